package transform

import (
	"fmt"

	"github.com/courier-hl7/courier/hl7/hl7json"
	"github.com/courier-hl7/courier/hl7/hl7xml"
)

// EncodeOptions configures an encode step.
type EncodeOptions struct {
	// Names adds the dictionary's field names to JSON (see hl7json.Options).
	Names bool
	// Flat writes XML without the message structure's groups.
	Flat bool
	// Version is the dictionary version; empty means MSH-12.
	Version string
}

type encodeStep struct {
	stepBase
	format string
	o      EncodeOptions
}

// Encode returns a step that turns the message into JSON or XML for a destination that wants
// them (format json or xml), or back to ER7 (er7) after an earlier encode. It should be the
// last step: the steps after it still edit the HL7 message, not the encoded body.
func Encode(format string, o EncodeOptions) (Step, error) {
	switch format {
	case "json", "xml", "er7":
	default:
		return nil, fmt.Errorf("encode %q: use json, xml or er7", format)
	}
	return &encodeStep{format: format, o: o}, nil
}

func (s *encodeStep) Kind() string            { return "encode" }
func (s *encodeStep) compile(*compiler) error { return nil }

func (s *encodeStep) apply(r *run, it *item) error {
	var err error
	switch s.format {
	case "json":
		it.body, err = hl7json.Marshal(it.msg, &hl7json.Options{Names: s.o.Names, Version: s.o.Version})
		it.ctype = hl7json.ContentType
	case "xml":
		it.body, err = hl7xml.Marshal(it.msg, &hl7xml.Options{Flat: s.o.Flat, Version: s.o.Version})
		it.ctype = hl7xml.ContentType
	default:
		it.body, it.ctype = nil, ""
	}
	return err
}
