package transform

import (
	"errors"
	"fmt"

	"github.com/courier-hl7/courier/hl7"
)

// What a map step does with a value its table does not have.
const (
	MissingKeep    = "keep"    // leave the value as it is
	MissingDefault = "default" // write MapOptions.Default
	MissingFail    = "error"   // fail the step: the message is rejected (or its delivery fails)
)

// MapOptions configures a map step.
type MapOptions struct {
	// Table names a table of the pipeline's Tables, or a .csv file in the table directory.
	Table string
	// Values is an inline table, used instead of Table.
	Values map[string]string
	// IgnoreCase matches the keys of Values without regard to case.
	IgnoreCase bool
	// To is where the translated value is written; empty means over the value read. With [*]
	// in both paths, positions pair by number.
	To string
	// Default is written for a value the table does not have, when OnMissing is "default".
	Default string
	// OnMissing is keep, default or error. Empty means default when Default is given, keep
	// otherwise.
	OnMissing string
}

type mapStep struct {
	stepBase
	from  target
	to    target
	o     MapOptions
	table *Table
	// inPlace: the result goes back where the value was read (no `to`, or the same path),
	// so each position need not be bound and compared.
	inPlace bool
}

// Map returns a step that translates the text at path through a lookup table: local lab
// codes to LOINC, ward codes to the EHR's locations. Empty and absent values, and the HL7 null
// "" (which tells the receiver to delete its value), are left alone.
func Map(path string, o MapOptions) (Step, error) {
	from, err := parseTarget(path)
	if err != nil {
		return nil, err
	}
	to := from
	if o.To != "" {
		if to, err = parseTarget(o.To); err != nil {
			return nil, err
		}
		if from.wild() && !to.wild() {
			return nil, fmt.Errorf("the source %s has [*] but the target %s does not", from, to)
		}
	}
	if from.p.Field == 0 || to.p.Field == 0 {
		return nil, errors.New("map translates values: give a field, component or sub-component, not a whole segment")
	}
	if (o.Table == "") == (o.Values == nil) {
		return nil, errors.New("give either a table or inline values")
	}
	switch o.OnMissing {
	case "":
		o.OnMissing = MissingKeep
		if o.Default != "" {
			o.OnMissing = MissingDefault
		}
	case MissingKeep, MissingDefault, MissingFail:
	default:
		return nil, fmt.Errorf("on_missing %q: use keep, default or error", o.OnMissing)
	}
	return &mapStep{from: from, to: to, o: o, inPlace: to.p == from.p && to.allOcc == from.allOcc && to.allRep == from.allRep}, nil
}

func (s *mapStep) Kind() string { return "map" }

func (s *mapStep) compile(c *compiler) error {
	if s.o.Values != nil {
		ts := NewTables("")
		if err := ts.Define("inline", TableDef{Values: s.o.Values, IgnoreCase: s.o.IgnoreCase}); err != nil {
			return err
		}
		s.table, _ = ts.Table("inline")
		return nil
	}
	t, err := c.tables.Table(s.o.Table)
	if err != nil {
		return err
	}
	s.table = t
	return nil
}

// MissingError is returned for a value the table does not have with on_missing: error.
type MissingError struct {
	Table string
	Path  string
	Value string
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s: %q is not in table %q (add it to the table, or set on_missing: keep or default)", e.Path, clipText(e.Value), e.Table)
}

func (s *mapStep) apply(r *run, it *item) error {
	m := it.msg
	d := m.Delimiters()
	dt := tableFor(d)
	entries := s.table.entries()
	return s.from.each(m, false, func(p hl7.Path, seg int) error {
		v := at(m, seg, p)
		if !exists(v) || v.IsNull() {
			// The HL7 null "" is no code to translate: mapping it (or writing a default over
			// it) would turn "delete this value" into a value.
			return nil
		}
		key := dt.text(r, v)
		out, ok := entries.get(s.table, key)
		if !ok {
			switch s.o.OnMissing {
			case MissingKeep:
				if s.to.p == s.from.p {
					return nil
				}
				out = key
			case MissingDefault:
				out = s.o.Default
			default:
				return &MissingError{Table: s.table.Name(), Path: p.String(), Value: key}
			}
		}
		enc, err := dt.escapeText(out)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if s.inPlace {
			if string(v.Raw()) == enc {
				return nil
			}
			return setRawValue(m, seg, p, v, enc)
		}
		to := s.to.bind(p)
		if to == p {
			if string(v.Raw()) == enc {
				return nil
			}
			return setRawValue(m, seg, p, v, enc)
		}
		if to.Segment != p.Segment || to.Occurrence != p.Occurrence {
			seg = -1
		}
		return setIfChanged(m, seg, to, enc)
	})
}
