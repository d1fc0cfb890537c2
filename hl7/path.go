package hl7

import (
	"strconv"
	"strings"
)

// Path addresses a segment, field, repetition, component or sub-component. Zero means "not
// given": a zero Occurrence or Repetition means the first, a zero Field the whole segment, a
// zero Component the whole field or repetition.
type Path struct {
	Segment    string // three-character segment name, upper case
	Occurrence int    // which segment of that name, from 1
	Field      int
	Repetition int
	Component  int
	SubComp    int
}

// ParsePath reads a path. The canonical form is SEG[occurrence]-field[repetition].component.sub
// (PID-5.1, PID-3[2].1, OBX[2]-5, PID-5.1.2); a hyphen or a dot may separate any two levels
// (PID-5-1, PID.5.1). Segment names are case-insensitive. Indexes start at 1.
func ParsePath(s string) (Path, error) {
	var p Path
	if len(s) < 3 {
		return p, &PathError{Path: s, Pos: len(s), Detail: "a path starts with a three-character segment name"}
	}
	for i := 0; i < 3; i++ {
		if !isAlnum(s[i]) {
			return p, &PathError{Path: s, Pos: i, Detail: "a segment name is three letters or digits"}
		}
	}
	p.Segment = s[:3]
	if hasLower(p.Segment) {
		p.Segment = strings.ToUpper(p.Segment)
	}
	i := 3
	var err error
	if p.Occurrence, i, err = bracket(s, i, "segment occurrence"); err != nil {
		return p, err
	}
	if i == len(s) {
		return p, nil
	}
	nums := [3]*int{&p.Field, &p.Component, &p.SubComp}
	for level, name := range []string{"field", "component", "sub-component"} {
		if i == len(s) {
			break
		}
		if s[i] != '-' && s[i] != '.' {
			return p, &PathError{Path: s, Pos: i, Detail: "expected '-' or '.' before the " + name}
		}
		i++
		n, j := number(s, i)
		if j == i {
			return p, &PathError{Path: s, Pos: i, Detail: "expected the " + name + " number"}
		}
		if j < len(s) && s[j] >= '0' && s[j] <= '9' {
			return p, &PathError{Path: s, Pos: i, Detail: name + " number too large"}
		}
		if n < 1 {
			return p, &PathError{Path: s, Pos: i, Detail: name + " numbers start at 1"}
		}
		*nums[level] = n
		i = j
		if level == 0 {
			if p.Repetition, i, err = bracket(s, i, "repetition"); err != nil {
				return p, err
			}
		}
	}
	if i != len(s) {
		return p, &PathError{Path: s, Pos: i, Detail: "unexpected text after the path"}
	}
	return p, nil
}

// MustParsePath is ParsePath for paths written in source code; it panics on a bad path.
func MustParsePath(s string) Path {
	p, err := ParsePath(s)
	if err != nil {
		panic(err)
	}
	return p
}

// bracket reads an optional [n] at s[i:].
func bracket(s string, i int, what string) (int, int, error) {
	if i >= len(s) || s[i] != '[' {
		return 0, i, nil
	}
	n, j := number(s, i+1)
	if j == i+1 {
		return 0, i, &PathError{Path: s, Pos: i + 1, Detail: "expected the " + what + " number inside [ ]"}
	}
	if j < len(s) && s[j] >= '0' && s[j] <= '9' {
		return 0, i, &PathError{Path: s, Pos: i + 1, Detail: what + " number too large"}
	}
	if n < 1 {
		return 0, i, &PathError{Path: s, Pos: i + 1, Detail: what + " numbers start at 1"}
	}
	if j >= len(s) || s[j] != ']' {
		return 0, i, &PathError{Path: s, Pos: j, Detail: "expected ']'"}
	}
	return n, j + 1, nil
}

// number reads decimal digits at s[i:], returning the value and the offset after them. It stops
// at six digits: no HL7 position is that large, and it keeps the value from overflowing.
func number(s string, i int) (int, int) {
	n, j := 0, i
	for j < len(s) && j-i < 7 && s[j] >= '0' && s[j] <= '9' {
		n = n*10 + int(s[j]-'0')
		j++
	}
	return n, j
}

func hasLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'a' && s[i] <= 'z' {
			return true
		}
	}
	return false
}

// String returns the path in canonical form.
func (p Path) String() string {
	var b strings.Builder
	b.WriteString(p.Segment)
	if p.Occurrence > 0 {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(p.Occurrence))
		b.WriteByte(']')
	}
	if p.Field == 0 {
		return b.String()
	}
	b.WriteByte('-')
	b.WriteString(strconv.Itoa(p.Field))
	if p.Repetition > 0 {
		b.WriteByte('[')
		b.WriteString(strconv.Itoa(p.Repetition))
		b.WriteByte(']')
	}
	if p.Component > 0 {
		b.WriteByte('.')
		b.WriteString(strconv.Itoa(p.Component))
		if p.SubComp > 0 {
			b.WriteByte('.')
			b.WriteString(strconv.Itoa(p.SubComp))
		}
	}
	return b.String()
}

// Get returns the text at path, escape sequences decoded; "" when the path is absent or
// cannot be read. Use Value to tell those apart.
func (m *Message) Get(path string) string {
	p, err := ParsePath(path)
	if err != nil {
		return ""
	}
	return m.ValueAt(p).String()
}

// Value returns the value at path. The error is a *PathError when the path cannot be read; an
// absent position is not an error (see Value.Present).
func (m *Message) Value(path string) (Value, error) {
	p, err := ParsePath(path)
	if err != nil {
		return Value{m: m}, err
	}
	return m.ValueAt(p), nil
}

// ValueAt returns the value at p. A path without a field returns the whole segment.
func (m *Message) ValueAt(p Path) Value {
	i := m.find(p.Segment, p.Occurrence)
	if i < 0 {
		return Value{m: m}
	}
	return m.valueIn(i, p)
}

// valueIn returns the value at p (field and below) in segment i.
func (m *Message) valueIn(i int, p Path) Value {
	seg := &m.segs[i]
	if p.Field == 0 {
		return Value{b: seg.b, m: m, lv: lvSegment, ok: true}
	}
	b, ok := seg.field(p.Field)
	if !ok {
		return Value{m: m}
	}
	if seg.hdr && p.Field <= 2 {
		// MSH-1 and MSH-2 are literals: only their first repetition/component is themselves.
		v := Value{b: b, m: m, lv: lvLiteral, ok: true}
		if p.Repetition > 1 || p.Component > 1 || p.SubComp > 1 {
			return Value{m: m}
		}
		return v
	}
	// Walk down without building intermediate Values: this is the hot path of every lookup.
	d := &m.delims
	lv := lvField
	if p.Repetition > 0 || p.Component > 0 || p.SubComp > 0 {
		if b, ok = nthPart(b, d.Repetition, max(p.Repetition, 1)); !ok {
			return Value{m: m}
		}
		lv = lvRep
	}
	if p.Component > 0 || p.SubComp > 0 {
		if b, ok = nthPart(b, d.Component, max(p.Component, 1)); !ok {
			return Value{m: m}
		}
		lv = lvComp
	}
	if p.SubComp > 0 {
		if b, ok = nthPart(b, d.SubComponent, p.SubComp); !ok {
			return Value{m: m}
		}
		lv = lvSub
	}
	return Value{b: b, m: m, lv: lv, ok: true}
}
