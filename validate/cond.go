package validate

import (
	"fmt"
	"strings"

	"github.com/courier-hl7/courier/hl7"
)

// A condition is the `when` of a custom rule, or the predicate of a profile's conditional (C)
// element. It is deliberately small: comparisons of one value joined by "and".
//
//	OBX-2 == "NM"
//	PV1-2 != 'P'
//	PID-3.5 in [MR, PI]
//	PID-3.4 is valued
//	PID-19 is not valued and PID-3.5 == MR
//
// A path whose segment is the segment being checked reads that segment; any other path reads
// the first segment of its name in the message (or the occurrence it gives, OBX[2]-5).
type condition struct {
	text  string
	terms []condTerm
}

type condOp uint8

const (
	opEq condOp = iota
	opNe
	opIn
	opValued
	opNotValued
)

type condTerm struct {
	path   hl7.Path
	op     condOp
	values []string
}

// condError is a condition that cannot be read: Pos is the byte offset in the text.
type condError struct {
	Pos int
	Msg string
}

func (e *condError) Error() string { return e.Msg }

// parseCondition reads a condition.
func parseCondition(s string) (*condition, error) {
	c := &condition{text: strings.TrimSpace(s)}
	p := &condParser{s: s}
	for {
		t, err := p.term()
		if err != nil {
			return nil, err
		}
		c.terms = append(c.terms, t)
		p.space()
		if p.i == len(p.s) {
			return c, nil
		}
		w := p.word()
		if w != "and" && w != "&&" {
			return nil, &condError{Pos: p.i - len(w), Msg: fmt.Sprintf("expected `and` or the end of the condition, found %q", w)}
		}
	}
}

type condParser struct {
	s string
	i int
}

func (p *condParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

// word reads up to the next space or bracket.
func (p *condParser) word() string {
	p.space()
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune(" \t[],", rune(p.s[p.i])) {
		p.i++
	}
	return p.s[start:p.i]
}

func (p *condParser) term() (condTerm, error) {
	var t condTerm
	p.space()
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune(" \t=!", rune(p.s[p.i])) {
		p.i++
	}
	if start == p.i {
		return t, &condError{Pos: start, Msg: "expected a path such as OBX-2"}
	}
	path, err := hl7.ParsePath(p.s[start:p.i])
	if err != nil {
		return t, &condError{Pos: start, Msg: err.Error()}
	}
	t.path = path
	p.space()
	opAt := p.i
	switch {
	case strings.HasPrefix(p.s[p.i:], "=="):
		p.i += 2
		t.op = opEq
	case strings.HasPrefix(p.s[p.i:], "!="):
		p.i += 2
		t.op = opNe
	default:
		w := p.word()
		switch w {
		case "in":
			t.op = opIn
			vals, err := p.list()
			if err != nil {
				return t, err
			}
			t.values = vals
			return t, nil
		case "is":
			save := p.i
			switch w2 := p.word(); w2 {
			case "valued", "present":
				t.op = opValued
				return t, nil
			case "empty", "absent":
				t.op = opNotValued
				return t, nil
			case "not":
				if w3 := p.word(); w3 == "valued" || w3 == "present" {
					t.op = opNotValued
					return t, nil
				}
			}
			return t, &condError{Pos: save, Msg: "expected `is valued` or `is not valued`"}
		}
		return t, &condError{Pos: opAt, Msg: "expected ==, !=, in [...], is valued or is not valued after the path"}
	}
	v, err := p.value()
	if err != nil {
		return t, err
	}
	t.values = []string{v}
	return t, nil
}

// value reads a quoted string or a bare word.
func (p *condParser) value() (string, error) {
	p.space()
	if p.i == len(p.s) {
		return "", &condError{Pos: p.i, Msg: "expected a value"}
	}
	if q := p.s[p.i]; q == '"' || q == '\'' {
		end := strings.IndexByte(p.s[p.i+1:], q)
		if end < 0 {
			return "", &condError{Pos: p.i, Msg: "unterminated quoted value"}
		}
		v := p.s[p.i+1 : p.i+1+end]
		p.i += end + 2
		return v, nil
	}
	at := p.i
	w := p.word()
	if w == "" {
		return "", &condError{Pos: at, Msg: "expected a value"}
	}
	return w, nil
}

// list reads [a, b, "c"].
func (p *condParser) list() ([]string, error) {
	p.space()
	if p.i == len(p.s) || p.s[p.i] != '[' {
		return nil, &condError{Pos: p.i, Msg: "expected [ after in"}
	}
	p.i++
	var out []string
	for {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ']' && len(out) == 0 {
			return nil, &condError{Pos: p.i, Msg: "an empty list matches nothing"}
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.space()
		if p.i == len(p.s) {
			return nil, &condError{Pos: p.i, Msg: "expected ] to close the list"}
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ']':
			p.i++
			return out, nil
		default:
			return nil, &condError{Pos: p.i, Msg: "expected , or ] in the list"}
		}
	}
}

// valueFor reads the value a path names, from seg when it is a segment of the path's name and
// the path gives no occurrence, else from the message. A path into field curField of seg that
// gives no repetition reads repetition curRep (when not 0): the predicate of a component
// (PID-3.4 "If PID-3.5 == MR") is about the repetition the component is in.
func valueFor(m *hl7.Message, seg hl7.Segment, segName string, p hl7.Path, curField, curRep int) (hl7.Value, bool) {
	if p.Segment != segName || p.Occurrence != 0 || segName == "" {
		if p.Field == 0 {
			_, ok := m.First(p.Segment)
			if p.Occurrence > 1 {
				ok = m.Count(p.Segment) >= p.Occurrence
			}
			return hl7.Value{}, ok
		}
		return m.ValueAt(p), true
	}
	if p.Field == 0 {
		return hl7.Value{}, true
	}
	v := seg.Field(p.Field)
	rep := p.Repetition
	if rep == 0 && p.Field == curField && curRep > 0 {
		rep = curRep
	}
	if rep > 0 || p.Component > 0 || p.SubComp > 0 {
		v = v.Rep(max(rep, 1))
	}
	if p.Component > 0 || p.SubComp > 0 {
		v = v.Comp(max(p.Component, 1))
	}
	if p.SubComp > 0 {
		v = v.Sub(p.SubComp)
	}
	return v, true
}

// evalCondition evaluates c for the segment seg (named segName) of the message.
func (r *run) evalCondition(c *condition, seg hl7.Segment, segName string) bool {
	for _, t := range c.terms {
		v, segPresent := valueFor(r.m, seg, segName, t.path, r.predField, r.predRep)
		valued := segPresent
		if t.path.Field > 0 {
			valued = len(v.Raw()) > 0
		}
		var ok bool
		switch t.op {
		case opValued:
			ok = valued
		case opNotValued:
			ok = !valued
		case opEq:
			ok = valued && v.String() == t.values[0]
		case opNe:
			ok = !valued || v.String() != t.values[0]
		case opIn:
			if valued {
				s := v.String()
				for _, x := range t.values {
					if s == x {
						ok = true
						break
					}
				}
			}
		}
		if !ok {
			return false
		}
	}
	return true
}
