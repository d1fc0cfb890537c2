package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/courier-hl7/courier/hl7"
	"github.com/spf13/cobra"
)

// messageJSON is one message in `courier inspect --json` output.
type messageJSON struct {
	Source    string     `json:"source"`
	Index     int        `json:"index"`
	Line      int        `json:"line"`
	Type      string     `json:"type,omitempty"`
	Trigger   string     `json:"trigger,omitempty"`
	Structure string     `json:"structure,omitempty"`
	ControlID string     `json:"control_id,omitempty"`
	Version   string     `json:"version,omitempty"`
	Charset   string     `json:"charset,omitempty"`
	Bytes     int        `json:"bytes"`
	Error     string     `json:"error,omitempty"`
	Value     *string    `json:"value,omitempty"`
	Segments  []hl7.Node `json:"segments,omitempty"`
}

func newInspectCmd() *cobra.Command {
	var asJSON bool
	var path string
	cmd := &cobra.Command{
		Use:   "inspect [FILE|-]...",
		Short: "Show the structure of HL7 messages",
		Long: `Inspect prints each message of the files (or standard input) as a tree: segments, the
fields present with their positions, repetitions, components and sub-components, with escape
sequences decoded. Files may hold one message, many, or FHS/BHS batches.

  courier inspect adt.hl7
  courier inspect --path PID-5.1 *.hl7
  cat msg.hl7 | courier inspect --json -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var p hl7.Path
			if path != "" {
				var err error
				if p, err = hl7.ParsePath(path); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			failed := 0
			var all []messageJSON
			err := readMessages(args, cmd.InOrStdin(), func(in inputMessage) error {
				if in.Err != nil {
					failed++
				}
				switch {
				case asJSON:
					all = append(all, toJSON(in, path, p))
				case path != "":
					printValue(out, in, p)
				default:
					printTree(out, in)
				}
				return nil
			})
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				if err := enc.Encode(all); err != nil {
					return err
				}
			}
			if failed > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "courier: %d message(s) could not be parsed\n", failed)
				return exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a tree")
	cmd.Flags().StringVar(&path, "path", "", "print only the value at this path (e.g. PID-5.1)")
	return cmd
}

func toJSON(in inputMessage, path string, p hl7.Path) messageJSON {
	j := messageJSON{Source: in.Source, Index: in.Index, Line: in.Line, Bytes: len(in.Raw)}
	if in.Err != nil {
		j.Error = in.Where() + ": " + in.Err.Error()
		return j
	}
	m := in.Msg
	j.Type, j.Trigger, j.Structure, j.ControlID, j.Version, j.Charset = m.Type(), m.Trigger(), m.Structure(), m.ControlID(), m.Version(), m.Charset()
	if path != "" {
		v := m.ValueAt(p).String()
		j.Value = &v
		return j
	}
	j.Segments = m.Tree()
	return j
}

func printValue(w io.Writer, in inputMessage, p hl7.Path) {
	if in.Err != nil {
		fmt.Fprintf(w, "%s: %v\n", in.Where(), in.Err)
		return
	}
	fmt.Fprintln(w, in.Msg.ValueAt(p).String())
}

// printTree writes a message as an indented tree, one position per line.
func printTree(w io.Writer, in inputMessage) {
	if in.Envelope {
		fmt.Fprintf(w, "%s: %v\n\n", in.Where(), in.Err)
		return
	}
	if in.Err != nil {
		fmt.Fprintf(w, "%s: message %d: %v\n\n", in.Where(), in.Index, in.Err)
		return
	}
	m := in.Msg
	head := fmt.Sprintf("%s: message %d, line %d: %s", in.Source, in.Index, in.Line, m.Type())
	if m.Trigger() != "" {
		head += "^" + m.Trigger()
	}
	head += fmt.Sprintf(" (structure %s), control ID %s, version %s, %d segments, %d bytes", m.Structure(), orDash(m.ControlID()), orDash(m.Version()), m.NumSegments(), len(in.Raw))
	if m.Charset() != "" {
		head += ", charset " + m.Charset()
	}
	fmt.Fprintln(w, head)
	for _, seg := range m.Tree() {
		fmt.Fprintln(w, seg.Path)
		printNodes(w, seg.Children, 1)
	}
	fmt.Fprintln(w)
}

func printNodes(w io.Writer, nodes []hl7.Node, depth int) {
	indent := strings.Repeat("  ", depth)
	for _, n := range nodes {
		text := n.Value
		switch {
		case n.Null:
			text = `"" (null)`
		case len(n.Children) > 0:
			text = n.Raw
		}
		fmt.Fprintf(w, "%s%-*s %s\n", indent, max(22-2*depth, 1), n.Path, quoteIfNeeded(text))
		printNodes(w, n.Children, depth+1)
	}
}

// quoteIfNeeded shows text as it is unless it holds line breaks or other control characters.
func quoteIfNeeded(s string) string {
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return fmt.Sprintf("%q", s)
		}
	}
	if len(s) > 200 {
		return s[:120] + fmt.Sprintf("… (%d bytes)", len(s))
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
