package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/courier-hl7/courier/validate"
	"github.com/spf13/cobra"
)

// validateJSON is one message in `courier validate --json` output.
type validateJSON struct {
	Source      string      `json:"source"`
	Index       int         `json:"index"`
	Line        int         `json:"line"`
	Type        string      `json:"type,omitempty"`
	ControlID   string      `json:"control_id,omitempty"`
	Version     string      `json:"version,omitempty"`      // MSH-12
	ValidatedAs string      `json:"validated_as,omitempty"` // the definitions used
	FellBack    bool        `json:"fell_back,omitempty"`
	Structure   string      `json:"structure,omitempty"`
	Profile     string      `json:"profile,omitempty"`
	Valid       bool        `json:"valid"`
	Error       string      `json:"error,omitempty"` // the message could not be parsed
	Issues      []issueJSON `json:"issues"`
}

type issueJSON struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Path     string `json:"path,omitempty"`
	Segment  int    `json:"segment"`
	Offset   int    `json:"offset"`
	Message  string `json:"message"`
	Rule     string `json:"rule"`
	Source   string `json:"source,omitempty"`
}

func newValidateCmd() *cobra.Command {
	var (
		version                 string
		profiles, rules, tables []string
		lengthErrors, asJSON    bool
	)
	cmd := &cobra.Command{
		Use:   "validate [--version V] [--profile FILE] [--rules FILE] [FILE|-]...",
		Short: "Check HL7 messages against the standard, conformance profiles and custom rules",
		Long: `Validate checks each message of the files (or standard input) against the HL7 definitions
of its version (MSH-12, or --version): segment order and groups, required fields, repetitions,
lengths, data types and table values; and against conformance profiles (the XML of the HL7
Messaging Workbench) and custom rules (YAML) when given. Files may hold one message, many, or
FHS/BHS batches.

It prints, for each message, where it starts, its type and control ID, VALID or INVALID, and one
line per issue: severity (E, W, I), HL7 error code (table 0357), path, byte offset in the
message, and what is wrong. The exit status is 0 only when every message is valid (has no
error); 1 when one is not or cannot be parsed; 2 when a profile, rules or table file is wrong.

  courier validate adt.hl7
  courier validate --version 2.5.1 --profile acme-adt.xml --rules site.yaml feed/*.hl7
  courier validate --tables 0004=patient-class.csv --length-errors --json lab.hl7`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := validate.Options{Version: version}
			if lengthErrors {
				opts.LengthSeverity = validate.Error
			}
			stderr := cmd.ErrOrStderr()
			fail := func(err error) error {
				fmt.Fprintf(stderr, "courier: %v\n", err)
				return exitError{code: 2}
			}
			for _, f := range profiles {
				p, err := validate.LoadProfile(f)
				if err != nil {
					return fail(err)
				}
				opts.Profiles = append(opts.Profiles, p)
			}
			for _, f := range rules {
				rs, err := validate.LoadRules(f)
				if err != nil {
					return fail(err)
				}
				opts.Rules = append(opts.Rules, rs)
			}
			if len(tables) > 0 {
				ts, err := validate.LoadTables(tables...)
				if err != nil {
					return fail(err)
				}
				opts.Tables = ts
			}
			v, err := validate.New(opts)
			if err != nil {
				return fail(err)
			}
			out := cmd.OutOrStdout()
			var all []validateJSON
			total, invalid := 0, 0
			err = readMessages(args, cmd.InOrStdin(), func(in inputMessage) error {
				total++
				j := validateOne(v, in)
				if !j.Valid {
					invalid++
				}
				if asJSON {
					all = append(all, j)
					return nil
				}
				printValidation(out, in, j)
				return nil
			})
			if err != nil {
				return err
			}
			if asJSON {
				if all == nil {
					all = []validateJSON{}
				}
				enc := json.NewEncoder(out)
				enc.SetEscapeHTML(false)
				enc.SetIndent("", "  ")
				if err := enc.Encode(all); err != nil {
					return err
				}
			} else {
				fmt.Fprintf(out, "%d message%s: %d valid, %d invalid\n", total, validatePlural(total), total-invalid, invalid)
			}
			if invalid > 0 || total == 0 {
				if total == 0 {
					fmt.Fprintln(stderr, "courier: no message to validate")
				}
				return exitError{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&version, "version", "", "validate as this HL7 version instead of MSH-12 (e.g. 2.5.1)")
	f.StringArrayVar(&profiles, "profile", nil, "conformance profile (Messaging Workbench XML); repeat for several message types")
	f.StringArrayVar(&rules, "rules", nil, "custom rules file (YAML); may be repeated")
	f.StringArrayVar(&tables, "tables", nil, "user table: a CSV (code,description) named by its table id, ID=FILE.csv, or a Workbench table XML; may be repeated")
	f.BoolVar(&lengthErrors, "length-errors", false, "report values longer than their maximum length as errors, not warnings")
	f.BoolVar(&asJSON, "json", false, "print JSON instead of a report")
	return cmd
}

// validateOne validates one input message; a message that did not parse is invalid.
func validateOne(v *validate.Validator, in inputMessage) validateJSON {
	j := validateJSON{Source: in.Source, Index: in.Index, Line: in.Line, Issues: []issueJSON{}}
	if in.Err != nil {
		j.Error = in.Where() + ": " + in.Err.Error()
		return j
	}
	m := in.Msg
	j.Type = m.Type()
	if t := m.Trigger(); t != "" {
		j.Type += "^" + t
	}
	j.ControlID, j.Version = m.ControlID(), m.Version()
	res := v.Validate(m)
	j.ValidatedAs, j.FellBack, j.Structure, j.Profile, j.Valid = res.Version, res.FellBack, res.Structure, res.Profile, res.Valid()
	for _, is := range res.Issues {
		ij := issueJSON{Severity: is.Severity.String(), Code: is.Code, Segment: is.Segment, Offset: is.Offset, Message: is.Message, Rule: is.Rule, Source: is.Source}
		if is.Path.Segment != "" {
			ij.Path = is.Path.String()
		}
		j.Issues = append(j.Issues, ij)
	}
	return j
}

// printValidation writes one message's result: a head line, then one line per issue.
func printValidation(w io.Writer, in inputMessage, j validateJSON) {
	if in.Err != nil {
		what := "INVALID: cannot be parsed"
		if in.Envelope {
			what = "INVALID: batch envelope"
		}
		fmt.Fprintf(w, "%s: message %d: %s: %v\n", in.Where(), in.Index, what, in.Err)
		return
	}
	head := fmt.Sprintf("%s:%d: %s, control ID %s, %s", in.Source, in.Line, orDash(j.Type), orDash(j.ControlID), orDash(j.Version))
	switch {
	case j.FellBack:
		head += " validated as " + j.ValidatedAs
	case j.Version == "" || j.Version != j.ValidatedAs:
		head += " (as " + j.ValidatedAs + ")"
	}
	if j.Structure != "" {
		head += ", " + j.Structure
	}
	if j.Profile != "" {
		head += ", profile " + j.Profile
	}
	counts := map[string]int{}
	for _, is := range j.Issues {
		counts[is.Severity]++
	}
	verdict := "VALID"
	if !j.Valid {
		verdict = "INVALID"
	}
	var parts []string
	for _, s := range []struct{ code, word string }{{"E", "error"}, {"W", "warning"}, {"I", "info"}} {
		if n := counts[s.code]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s%s", n, s.word, validatePlural(n)))
		}
	}
	if len(parts) > 0 {
		verdict += " (" + strings.Join(parts, ", ") + ")"
	}
	fmt.Fprintf(w, "%s: %s\n", head, verdict)
	for _, is := range j.Issues {
		off := "-"
		if is.Offset >= 0 {
			off = fmt.Sprint(is.Offset)
		}
		fmt.Fprintf(w, "  %s %-3s %-16s byte %-6s %s\n", is.Severity, is.Code, orDash(is.Path), off, is.Message)
	}
}

func validatePlural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
