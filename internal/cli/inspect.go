package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/hl7/dict"
	"github.com/spf13/cobra"
)

// messageJSON is one message in `courier inspect --json` output.
type messageJSON struct {
	Source    string  `json:"source"`
	Index     int     `json:"index"`
	Line      int     `json:"line"`
	Type      string  `json:"type,omitempty"`
	Trigger   string  `json:"trigger,omitempty"`
	Structure string  `json:"structure,omitempty"`
	ControlID string  `json:"control_id,omitempty"`
	Version   string  `json:"version,omitempty"`
	Charset   string  `json:"charset,omitempty"`
	Bytes     int     `json:"bytes"`
	Error     string  `json:"error,omitempty"`
	Value     *string `json:"value,omitempty"`
	// Definitions is the HL7 version whose definitions named the nodes, and whether the
	// message's own version had none (2.8+, unknown) so the newest was used.
	Definitions string      `json:"definitions,omitempty"`
	FellBack    bool        `json:"definitions_fell_back,omitempty"`
	Segments    []namedNode `json:"segments,omitempty"`
}

// namedNode is a tree node with what the HL7 definitions say of it.
type namedNode struct {
	hl7.Node
	FieldName   string      `json:"field_name,omitempty"`
	DataType    string      `json:"data_type,omitempty"`
	Description string      `json:"description,omitempty"` // of a coded value, from its HL7 table
	Children    []namedNode `json:"children,omitempty"`
}

// describe attaches names, data types and table descriptions to a message's tree.
func describe(m *hl7.Message, d *dict.Version) []namedNode {
	var walk func(nodes []hl7.Node) []namedNode
	walk = func(nodes []hl7.Node) []namedNode {
		out := make([]namedNode, len(nodes))
		for i, n := range nodes {
			nn := namedNode{Node: n}
			nn.Node.Children = nil
			table := ""
			if d != nil {
				if info, ok := d.Describe(n.Path); ok {
					if n.Name == "" {
						nn.FieldName = info.Name()
					} else if info.Segment != nil {
						nn.FieldName = info.Segment.Description
					}
					nn.DataType = info.DataType()
					switch {
					case info.SubComponent != nil:
						table = info.SubComponent.Table
					case info.Component != nil:
						table = info.Component.Table
					case info.Field != nil:
						table = info.Field.Table
					}
				}
				if table != "" && n.Value != "" && len(n.Children) == 0 {
					if t := d.Table(table); t != nil {
						if desc, ok := t.Description(n.Value); ok {
							nn.Description = desc
						}
					}
				}
			}
			nn.Children = walk(n.Children)
			out[i] = nn
		}
		return out
	}
	return walk(m.Tree())
}

// definitions returns the definitions for a message: those of version when given, else of
// MSH-12.
func definitions(m *hl7.Message, version string) (*dict.Version, bool) {
	if version == "" {
		version = m.Version()
	}
	return dict.Lookup(version)
}

func newInspectCmd() *cobra.Command {
	var asJSON, bare bool
	var path, version string
	cmd := &cobra.Command{
		Use:   "inspect [FILE|-]...",
		Short: "Show the structure of HL7 messages",
		Long: `Inspect prints each message of the files (or standard input) as a tree: segments, the
fields present with their positions, repetitions, components and sub-components, with escape
sequences decoded, and the name and data type of each from the HL7 definitions of the message's
version (MSH-12), with the description of coded values from HL7 tables. Files may hold one
message, many, or FHS/BHS batches.

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
					all = append(all, toJSON(in, path, p, !bare, version))
				case path != "":
					printValue(out, in, p)
				default:
					printTree(out, in, !bare, version)
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
	cmd.Flags().BoolVar(&bare, "bare", false, "leave out names, data types and table descriptions")
	cmd.Flags().StringVar(&version, "version", "", "HL7 version whose definitions name the fields (default MSH-12)")
	return cmd
}

func toJSON(in inputMessage, path string, p hl7.Path, names bool, version string) messageJSON {
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
	var d *dict.Version
	if names {
		d, j.FellBack = definitions(m, version)
		j.Definitions = d.Name
	}
	j.Segments = describe(m, d)
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
func printTree(w io.Writer, in inputMessage, names bool, version string) {
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
	var d *dict.Version
	if names {
		var fell bool
		d, fell = definitions(m, version)
		head += ", named from v" + d.Name
		if fell {
			head += " (the newest definitions Courier has)"
		}
	}
	fmt.Fprintln(w, head)
	for _, seg := range describe(m, d) {
		line := seg.Path
		if seg.FieldName != "" {
			line += "  " + seg.FieldName
		}
		fmt.Fprintln(w, line)
		printNodes(w, seg.Children, 1, names)
	}
	fmt.Fprintln(w)
}

func printNodes(w io.Writer, nodes []namedNode, depth int, names bool) {
	indent := strings.Repeat("  ", depth)
	for _, n := range nodes {
		text := n.Value
		switch {
		case n.Null:
			text = `"" (null)`
		case len(n.Children) > 0:
			text = n.Raw
		}
		if !names {
			fmt.Fprintf(w, "%s%-*s %s\n", indent, max(22-2*depth, 1), n.Path, quoteIfNeeded(text))
		} else {
			label := n.FieldName
			if n.DataType != "" {
				label += " (" + n.DataType + ")"
			}
			text = quoteIfNeeded(text)
			if n.Description != "" {
				text += "  = " + n.Description
			}
			fmt.Fprintf(w, "%s%-*s %-*s %s\n", indent, max(22-2*depth, 1), n.Path, 40, clip(label, 40), text)
		}
		printNodes(w, n.Children, depth+1, names)
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
