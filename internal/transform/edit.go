package transform

import (
	"errors"
	"fmt"

	"github.com/courier-hl7/courier/hl7"
)

// Value is what a set step writes: literal text, the value at another path, or the result of
// an expression. At most one of Path and Expr is given; with neither, Text is written (an
// empty Text empties the target).
type Value struct {
	Text string
	Path string
	Expr string
	// Raw writes Text or the expression's result as already encoded with the message's
	// delimiters (DOE^JOHN sets two components) instead of escaping it (DOE\S\JOHN). A value
	// read from Path is always copied as it is encoded.
	Raw bool
}

func (v Value) String() string {
	switch {
	case v.Path != "":
		return "path " + v.Path
	case v.Expr != "":
		return "expr " + v.Expr
	}
	return fmt.Sprintf("%q", v.Text)
}

// valueSource is a compiled Value.
type valueSource struct {
	v    Value
	path target
	prog *program
}

func newValueSource(v Value) (valueSource, error) {
	if v.Path != "" && v.Expr != "" {
		return valueSource{}, errors.New("give a value, a path or an expression, not several")
	}
	vs := valueSource{v: v}
	if v.Path != "" {
		t, err := parseTarget(v.Path)
		if err != nil {
			return vs, err
		}
		vs.path = t
	}
	return vs, nil
}

func (vs *valueSource) compile(c *compiler) error {
	if vs.v.Expr == "" {
		return nil
	}
	prog, err := c.compile(vs.v.Expr, exprAny)
	if err != nil {
		return err
	}
	vs.prog = prog
	return nil
}

// get returns the encoded bytes to write at cur (a concrete target position in segment seg),
// and whether there is anything at all (false: an absent source path).
func (vs *valueSource) get(r *run, it *item, cur hl7.Path, seg int, d hl7.Delimiters) (string, bool, error) {
	switch {
	case vs.v.Path != "":
		v := it.msg.ValueAt(vs.path.bind(cur))
		return rawText(r, v), v.Present(), nil
	case vs.prog != nil:
		cv := ""
		if seg >= 0 {
			cv = text(r, at(it.msg, seg, cur), d)
		}
		text, err := vs.prog.evalText(r.envAt(it, seg, cv))
		if err != nil {
			return "", false, err
		}
		return vs.encode(text, d, cur)
	}
	return vs.encode(vs.v.Text, d, cur)
}

func (vs *valueSource) encode(text string, d hl7.Delimiters, p hl7.Path) (string, bool, error) {
	if vs.v.Raw || p.Field == 0 {
		return text, true, nil
	}
	enc, err := escape(d, text)
	if err != nil {
		return "", false, fmt.Errorf("%s: %w", p, err)
	}
	return enc, true, nil
}

// setStep writes a value at a path.
type setStep struct {
	stepBase
	to  target
	val valueSource
}

// Set returns a step that writes v at path. A path with [*] (OBX[*]-3.1, PID-3[*].4) writes at
// every position it names that exists; a path without creates what is missing (segments,
// fields, components). Text is escaped unless v.Raw.
func Set(path string, v Value) (Step, error) {
	t, err := parseTarget(path)
	if err != nil {
		return nil, err
	}
	vs, err := newValueSource(v)
	if err != nil {
		return nil, err
	}
	if vs.v.Path != "" && vs.path.wild() && !t.wild() {
		return nil, fmt.Errorf("the source %s has [*] but the target %s does not: which one to copy?", vs.path, t)
	}
	return &setStep{to: t, val: vs}, nil
}

func (s *setStep) Kind() string                 { return "set" }
func (s *setStep) compile(c *compiler) error    { return s.val.compile(c) }
func (s *setStep) apply(r *run, it *item) error { return s.write(r, it) }

// write sets every target position. A source path that is absent or empty empties the
// target (and creates nothing).
func (s *setStep) write(r *run, it *item) error {
	m := it.msg
	d := m.Delimiters()
	return s.to.each(m, false, func(p hl7.Path, seg int) error {
		raw, ok, err := s.val.get(r, it, p, seg, d)
		if err != nil {
			return err
		}
		if s.val.v.Path != "" && (!ok || raw == "") {
			if exists(at(m, seg, p)) {
				return setRaw(m, seg, p, "")
			}
			return nil
		}
		if raw == "" && !at(m, seg, p).Present() {
			return nil // nothing to write where nothing is: no segment or field is created
		}
		return setIfChanged(m, seg, p, raw)
	})
}

// copyStep copies the encoded value at one path to another.
type copyStep struct {
	stepBase
	set  setStep
	move bool
	from target
}

// Copy returns a step that copies the value at from, as it is encoded (components and
// repetitions included), to to. An absent or empty source empties the target. With [*] in
// both paths, positions pair by number: OBX[*]-3.1 to OBX[*]-3.4 copies within each OBX.
func Copy(from, to string) (Step, error) { return newCopy(from, to, false) }

// Move is Copy followed by deleting the source.
func Move(from, to string) (Step, error) { return newCopy(from, to, true) }

func newCopy(from, to string, move bool) (Step, error) {
	st, err := Set(to, Value{Path: from})
	if err != nil {
		return nil, err
	}
	s := st.(*setStep)
	return &copyStep{set: *s, move: move, from: s.val.path}, nil
}

func (s *copyStep) Kind() string {
	if s.move {
		return "move"
	}
	return "copy"
}

func (s *copyStep) compile(*compiler) error { return nil }

func (s *copyStep) apply(r *run, it *item) error {
	if err := s.set.write(r, it); err != nil {
		return err
	}
	if !s.move {
		return nil
	}
	m := it.msg
	if s.from.wild() {
		return s.from.each(m, true, func(p hl7.Path, seg int) error { return deleteAt(m, seg, p) })
	}
	// A source that is also the target (moving PID-3 to PID-3) is left as written.
	if s.from.p == s.set.to.p {
		return nil
	}
	return m.DeleteAt(s.from.p)
}

// deleteStep removes values or segments.
type deleteStep struct {
	stepBase
	paths []target
}

// Delete returns a step that deletes what each path names: a segment path removes segments
// (ZPI the first, ZPI[*] all), a repetition path removes repetitions, and a field, component or
// sub-component path empties it.
func Delete(paths ...string) (Step, error) {
	if len(paths) == 0 {
		return nil, errors.New("delete needs at least one path")
	}
	s := &deleteStep{}
	for _, p := range paths {
		t, err := parseTarget(p)
		if err != nil {
			return nil, err
		}
		if t.p.Segment == "MSH" && t.p.Field == 0 {
			return nil, errors.New("the MSH segment cannot be deleted")
		}
		s.paths = append(s.paths, t)
	}
	return s, nil
}

func (s *deleteStep) Kind() string            { return "delete" }
func (s *deleteStep) compile(*compiler) error { return nil }
func (s *deleteStep) apply(r *run, it *item) error {
	m := it.msg
	for _, t := range s.paths {
		if err := t.each(m, true, func(p hl7.Path, seg int) error { return deleteAt(m, seg, p) }); err != nil {
			return err
		}
	}
	return nil
}
