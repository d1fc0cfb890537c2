package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/mllp"
	"github.com/spf13/cobra"
)

func newListenCmd() *cobra.Command {
	var ack, text, out string
	var delay time.Duration
	var commit, quiet bool
	var maxSize int
	var tf tlsFlags
	cmd := &cobra.Command{
		Use:   "listen [ADDRESS]",
		Short: "A test MLLP receiver that acknowledges, refuses or delays, and can keep what it gets",
		Long: `Listen accepts MLLP connections (ADDRESS: HOST:PORT, :PORT or PORT; default :2575) and answers
each message with an acknowledgement built the way Courier builds them — AA by default, or the
code given with --ack, after --delay — to test how a sender behaves. It prints one line per message (time, sender,
type, control ID, size; never the content) and, with --out, writes each message to a folder.

  courier listen :2575
  courier listen 127.0.0.1:6661 --ack AE --text "unknown patient"
  courier listen :6661 --delay 2s --out received/
  courier listen :6661 --cert mllp.crt --key mllp.key --client-auth require --ca partners.pem`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			addr := ":2575"
			if len(args) == 1 {
				addr = listenAddr(args[0])
			}
			code := strings.ToUpper(ack)
			switch code {
			case "", hl7.AckAA, hl7.AckAE, hl7.AckAR, hl7.AckCA, hl7.AckCE, hl7.AckCR, "NONE":
			default:
				return fmt.Errorf("--ack %s: use AA, AE, AR, CA, CE, CR or none", ack)
			}
			tlsCfg, err := tf.server()
			if err != nil {
				return err
			}
			if out != "" {
				if err := os.MkdirAll(out, 0o750); err != nil {
					return err
				}
			}
			w := cmd.OutOrStdout()
			var n atomic.Int64
			srv := &mllp.Server{
				TLSConfig: tlsCfg, CommitAcks: commit, MaxFrameSize: maxSize,
				Handler: mllp.HandlerFunc(func(ctx context.Context, req *mllp.Request) ([]byte, error) {
					seq := n.Add(1)
					m, perr := hl7.Parse(req.Frame)
					if !quiet {
						line := fmt.Sprintf("%s  #%d  from %s  %d bytes", req.Received.Format("15:04:05.000"), seq, req.Conn.RemoteAddr, len(req.Frame))
						if perr != nil {
							line += "  does not parse: " + perr.Error()
						} else {
							line += fmt.Sprintf("  %s^%s  control ID %s", m.Type(), m.Trigger(), m.ControlID())
						}
						fmt.Fprintln(w, line)
					}
					if out != "" {
						name := fmt.Sprintf("%06d.hl7", seq)
						if perr == nil && safeName(m.ControlID()) != "" {
							name = fmt.Sprintf("%06d-%s.hl7", seq, safeName(m.ControlID()))
						}
						if err := os.WriteFile(filepath.Join(out, name), req.Frame, 0o640); err != nil {
							fmt.Fprintf(cmd.ErrOrStderr(), "write %s: %v\n", name, err)
						}
					}
					if delay > 0 {
						t := time.NewTimer(delay)
						select {
						case <-t.C:
						case <-ctx.Done():
							t.Stop()
							return nil, ctx.Err()
						}
					}
					if code == "NONE" {
						return nil, nil
					}
					opts := hl7.AckOptions{Code: code, Text: text}
					if text != "" && code != "" && code != hl7.AckAA && code != hl7.AckCA {
						opts.Errors = []hl7.AckError{{Code: hl7.ErrCodeInternal, Text: text}}
					}
					if perr != nil {
						if opts.Code == "" {
							opts.Code = hl7.AckAR
						}
						return hl7.RejectRaw(req.Frame, opts).Bytes(), nil
					}
					if m.IsACK() {
						return nil, nil
					}
					a, err := m.ACK(opts)
					if err != nil {
						return nil, err
					}
					return a.Bytes(), nil
				}),
			}
			if err := srv.Validate(); err != nil {
				return err
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			scheme := "MLLP"
			if tlsCfg != nil {
				scheme = "MLLP over TLS"
			}
			fmt.Fprintf(w, "listening for %s on %s (answering %s); Ctrl-C stops\n", scheme, ln.Addr(), answerName(code, delay))
			done := make(chan error, 1)
			go func() { done <- srv.Serve(ln) }()
			select {
			case <-cmd.Context().Done():
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := srv.Shutdown(ctx); err != nil {
					_ = srv.Close() // handlers still running at the deadline are cut off
				}
				<-done
				fmt.Fprintf(w, "%d message(s) received\n", n.Load())
				return nil
			case err := <-done:
				if errors.Is(err, mllp.ErrServerClosed) {
					return nil
				}
				return err
			}
		},
	}
	f := cmd.Flags()
	f.StringVar(&ack, "ack", "", "answer with this code: AA, AE, AR, CA, CE, CR, or none (default AA, CA in enhanced mode)")
	f.StringVar(&text, "text", "", "text for MSA-3 (and ERR-8 with a negative code)")
	f.DurationVar(&delay, "delay", 0, "wait this long before answering each message")
	f.StringVar(&out, "out", "", "write each message to this folder")
	f.BoolVar(&commit, "commit-acks", false, "MLLP Release 2: send a commit block before each acknowledgement")
	f.IntVar(&maxSize, "max-size", 16<<20, "largest message accepted, in bytes")
	f.BoolVarP(&quiet, "quiet", "q", false, "do not print a line per message")
	tf.add(cmd, true)
	return cmd
}

// listenAddr makes a bare port number, as people often type it, into an address net.Listen
// takes (":2575"); anything else is left for net.Listen to judge.
func listenAddr(arg string) string {
	if _, err := strconv.ParseUint(arg, 10, 16); err == nil {
		return ":" + arg
	}
	return arg
}

func answerName(code string, delay time.Duration) string {
	s := code
	switch code {
	case "":
		s = "AA/CA"
	case "NONE":
		s = "nothing"
	}
	if delay > 0 {
		s += " after " + delay.String()
	}
	return s
}

// safeName keeps the characters of a control ID that are safe in a file name.
func safeName(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(b) < 64; i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' {
			b = append(b, c)
		}
	}
	return strings.Trim(string(b), ".")
}
