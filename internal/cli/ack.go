package cli

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/courier-hl7/courier/hl7"
	"github.com/spf13/cobra"
)

func newACKCmd() *cobra.Command {
	var code, text string
	var raw bool
	cmd := &cobra.Command{
		Use:   "ack [FILE|-]...",
		Short: "Print the acknowledgement Courier would send for each message",
		Long: `Ack prints, for each message read, the acknowledgement Courier sends: AA (or CA in
enhanced mode, MSH-15/16) for a message that parses, AR with an ERR segment saying where for one
that does not. --code and --text choose another answer.

  courier ack adt.hl7
  courier ack --code AE --text "unknown patient" adt.hl7`,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch strings.ToUpper(code) {
			case "", hl7.AckAA, hl7.AckAE, hl7.AckAR, hl7.AckCA, hl7.AckCE, hl7.AckCR:
				code = strings.ToUpper(code)
			default:
				return fmt.Errorf("--code %s: use AA, AE, AR, CA, CE or CR", code)
			}
			out := cmd.OutOrStdout()
			bad := 0
			err := readMessages(args, cmd.InOrStdin(), func(in inputMessage) error {
				if in.Envelope {
					// Not HL7 at all, or a batch that does not add up: no acknowledgement to
					// print, and the exit status says so.
					bad++
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", in.Where(), in.Err)
					return nil
				}
				a, err := buildACK(in, code, text)
				if err != nil {
					return fmt.Errorf("%s: %w", in.Where(), err)
				}
				b := a.Bytes()
				if !raw {
					b = append(bytes.ReplaceAll(bytes.TrimRight(b, "\r\n"), []byte("\r"), []byte("\n")), '\n')
				}
				_, err = out.Write(b)
				return err
			})
			if err == nil && bad > 0 {
				return exitError{code: 1}
			}
			return err
		},
	}
	cmd.Flags().StringVar(&code, "code", "", "acknowledgement code: AA, AE, AR, CA, CE or CR (default: AA/CA, or AR when the message does not parse)")
	cmd.Flags().StringVar(&text, "text", "", "text for MSA-3 (and ERR-8 with AE/AR)")
	cmd.Flags().BoolVar(&raw, "raw", false, "print the exact bytes (segments ended by CR) instead of one segment per line")
	return cmd
}

// buildACK answers one input message the way Courier's listeners do.
func buildACK(in inputMessage, code, text string) (*hl7.Message, error) {
	opts := hl7.AckOptions{Code: code, Text: text}
	if in.Err != nil {
		if opts.Code == "" {
			opts.Code = hl7.AckAR
		}
		e := hl7.AckError{Code: hl7.ErrCodeInternal, Text: in.Err.Error()}
		var pe *hl7.ParseError
		if errors.As(in.Err, &pe) {
			e.Code, e.Location = pe.Code(), pe.Location()
		}
		if opts.Text == "" {
			opts.Text = "message could not be parsed"
		}
		opts.Errors = append(opts.Errors, e)
		return hl7.RejectRaw(in.Raw, opts), nil
	}
	if text != "" && (code == hl7.AckAE || code == hl7.AckAR || code == hl7.AckCE || code == hl7.AckCR) {
		opts.Errors = []hl7.AckError{{Code: hl7.ErrCodeInternal, Text: text}}
	}
	return in.Msg.ACK(opts)
}
