package cli

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/courier-hl7/courier/fhir"
	"github.com/courier-hl7/courier/hl7/hl7json"
	"github.com/courier-hl7/courier/hl7/hl7xml"
	"github.com/spf13/cobra"
)

func newConvertCmd() *cobra.Command {
	var to, bundle, namespace, zone, version string
	var systems []string
	var names, flat bool
	cmd := &cobra.Command{
		Use:   "convert --to fhir|json|xml|er7 [FILE|-]...",
		Short: "Convert HL7 v2 messages to FHIR R4, JSON or XML, and JSON or XML back to HL7 v2",
		Long: `Convert reads HL7 v2 messages (files with one or many messages, or batches) and writes each
one in another form:

  --to fhir   a FHIR R4 Bundle, following the HL7 v2-to-FHIR mapping guide (docs/fhir.md)
  --to json   Courier's JSON shape of the message (docs/hl7json.md), lossless
  --to xml    the HL7 v2 XML encoding
  --to er7    back to HL7 v2 ("pipes and hats"); the input may be JSON or XML

  courier convert --to fhir --bundle transaction --zone Europe/Amsterdam adt.hl7
  courier convert --to json adt.hl7 | courier convert --to er7 -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			switch to {
			case "er7":
				return toER7(cmd, args)
			case "fhir", "json", "xml":
			default:
				return fmt.Errorf("--to %q: use fhir, json, xml or er7", to)
			}
			var conv *fhir.Converter
			if to == "fhir" {
				opts := fhir.Options{BundleType: bundle, Namespace: namespace, IdentifierSystems: map[string]string{}}
				if zone != "" {
					loc, err := time.LoadLocation(zone)
					if err != nil {
						return fmt.Errorf("--zone %s: %w", zone, err)
					}
					opts.Location = loc
				}
				for _, s := range systems {
					k, v, ok := strings.Cut(s, "=")
					if !ok {
						return fmt.Errorf("--identifier-system %q: write AUTHORITY=URI", s)
					}
					opts.IdentifierSystems[k] = v
				}
				var err error
				if conv, err = fhir.NewConverter(opts); err != nil {
					return err
				}
			}
			failed := 0
			err := readMessages(args, cmd.InOrStdin(), func(in inputMessage) error {
				if in.Err != nil {
					failed++
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", in.Where(), in.Err)
					return nil
				}
				var b []byte
				var err error
				switch to {
				case "fhir":
					var bd *fhir.Bundle
					if bd, err = conv.Convert(in.Msg); err == nil {
						b, err = bd.JSON()
					}
				case "json":
					b, err = hl7json.Marshal(in.Msg, &hl7json.Options{Names: names, Version: version})
				case "xml":
					b, err = hl7xml.Marshal(in.Msg, &hl7xml.Options{Version: version, Flat: flat})
				}
				if err != nil {
					failed++
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", in.Where(), err)
					return nil
				}
				if !bytes.HasSuffix(b, []byte("\n")) {
					b = append(b, '\n')
				}
				_, err = out.Write(b)
				return err
			})
			if err != nil {
				return err
			}
			if failed > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "courier: %d message(s) not converted\n", failed)
				return exitError{code: 1}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&to, "to", "", "output form: fhir, json, xml or er7 (required)")
	f.StringVar(&bundle, "bundle", "transaction", "FHIR Bundle type: transaction, message, collection or batch")
	f.StringVar(&namespace, "namespace", "", "UUID namespace for FHIR resource ids (default: Courier's documented namespace)")
	f.StringVar(&zone, "zone", "", "time zone for v2 times without an offset, e.g. Europe/Amsterdam (default UTC)")
	f.StringArrayVar(&systems, "identifier-system", nil, "map an assigning authority to an identifier system: AUTHORITY=URI (repeatable)")
	f.BoolVar(&names, "names", false, "json: add field names from the HL7 dictionary")
	f.BoolVar(&flat, "flat", false, "xml: segments directly under the root, without groups")
	f.StringVar(&version, "version", "", "json/xml: HL7 version for names and groups (default MSH-12)")
	_ = cmd.MarkFlagRequired("to")
	return cmd
}

// toER7 reads JSON or XML documents (or HL7 itself) and writes HL7 v2. Input that is none of
// the three is reported, not copied through.
func toER7(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		args = []string{"-"}
	}
	failed := 0
	for _, name := range args {
		rc, src, err := openInput(name, cmd.InOrStdin())
		if err != nil {
			return err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		trimmed := bytes.TrimLeft(data, " \t\r\n\xef\xbb\xbf")
		var docs [][]byte
		switch {
		case bytes.HasPrefix(trimmed, []byte("{")):
			docs, err = splitJSON(trimmed)
			if err != nil {
				return fmt.Errorf("%s: %w", src, err)
			}
			for i, d := range docs {
				m, err := hl7json.Unmarshal(d)
				if err != nil {
					return fmt.Errorf("%s: document %d: %w", src, i+1, err)
				}
				if _, err := cmd.OutOrStdout().Write(m.Bytes()); err != nil {
					return err
				}
			}
		case bytes.HasPrefix(trimmed, []byte("<")):
			// convert --to xml writes one document per message, one after the other.
			docs, err = splitXML(trimmed)
			if err != nil {
				return fmt.Errorf("%s: %w", src, err)
			}
			for i, d := range docs {
				m, err := hl7xml.Unmarshal(d)
				if err != nil {
					if len(docs) > 1 {
						return fmt.Errorf("%s: document %d: %w", src, i+1, err)
					}
					return fmt.Errorf("%s: %w", src, err)
				}
				if _, err := cmd.OutOrStdout().Write(m.Bytes()); err != nil {
					return err
				}
			}
		default:
			// HL7 already: copied as it is, once it reads as HL7.
			bad := 0
			n := 0
			_ = readFrom(bytes.NewReader(data), src, func(in inputMessage) error {
				if in.Err != nil {
					bad++
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: %v\n", in.Where(), in.Err)
				} else {
					n++
				}
				return nil
			})
			if bad == 0 && n == 0 {
				bad++
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: neither JSON, XML nor HL7: nothing to convert\n", src)
			}
			if bad > 0 {
				failed++
				continue
			}
			if _, err := cmd.OutOrStdout().Write(data); err != nil {
				return err
			}
		}
	}
	if failed > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "courier: %d input(s) not converted\n", failed)
		return exitError{code: 1}
	}
	return nil
}

// splitXML splits a stream of XML documents (as convert --to xml writes them, each with its
// own declaration) into documents, each from its declaration or root to the root's end.
func splitXML(data []byte) ([][]byte, error) {
	var docs [][]byte
	dec := xml.NewDecoder(bytes.NewReader(data))
	depth, start := 0, int64(0)
	for {
		tok, err := dec.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("XML: %w", err)
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
			if depth == 0 {
				end := dec.InputOffset()
				docs = append(docs, bytes.TrimSpace(data[start:end]))
				start = end
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("XML input ends inside a document")
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("XML input holds no element")
	}
	return docs, nil
}

// splitJSON splits a stream of JSON objects (as convert --to json writes them) into documents.
func splitJSON(data []byte) ([][]byte, error) {
	var docs [][]byte
	depth, start, inStr, esc := 0, -1, false, false
	for i, c := range data {
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{':
			if depth == 0 {
				start = i
			}
			depth++
		case c == '}':
			depth--
			if depth == 0 && start >= 0 {
				docs = append(docs, data[start:i+1])
				start = -1
			}
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("JSON input ends inside a document")
	}
	return docs, nil
}
