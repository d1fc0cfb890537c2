package transform

import (
	"strings"

	"github.com/courier-hl7/courier/hl7"
)

// target is a path as steps write it: an hl7 path in which the segment occurrence and the
// field repetition may be [*], "every one". OBX[*]-3.1 is component 1 of field 3 of every OBX;
// PID-3[*].4 is component 4 of every repetition of PID-3.
type target struct {
	text   string
	p      hl7.Path
	allOcc bool
	allRep bool
}

// parseTarget reads a path with optional [*] wildcards. The error is an *hl7.PathError whose
// position points into the text as written.
func parseTarget(s string) (target, error) {
	t := target{text: s}
	plain := s
	if strings.Contains(s, "[*]") {
		var b strings.Builder
		for i := 0; i < len(s); {
			if strings.HasPrefix(s[i:], "[*]") {
				switch {
				case i == 3:
					t.allOcc = true
				case afterField(s[:i]) && !t.allRep:
					t.allRep = true
				default:
					return t, &hl7.PathError{Path: s, Pos: i, Detail: "[*] stands after the segment name (OBX[*]-5) or after the field number (PID-3[*].1)"}
				}
				i += 3
				continue
			}
			b.WriteByte(s[i])
			i++
		}
		plain = b.String()
	}
	p, err := hl7.ParsePath(plain)
	if err != nil {
		if pe, ok := err.(*hl7.PathError); ok && plain != s {
			return t, &hl7.PathError{Path: s, Pos: pe.Pos, Detail: pe.Detail}
		}
		return t, err
	}
	if t.allRep && p.Field == 0 {
		return t, &hl7.PathError{Path: s, Pos: 3, Detail: "[*] after a field needs a field number"}
	}
	if t.allOcc && p.Occurrence != 0 || t.allRep && p.Repetition != 0 {
		return t, &hl7.PathError{Path: s, Pos: 3, Detail: "a position is either [*] or a number"}
	}
	t.p = p
	return t, nil
}

// afterField reports whether prefix ends with a field number: a segment name, an optional
// occurrence, a separator and digits (PID-3, OBX[*]-5, OBX[2].5).
func afterField(prefix string) bool {
	if len(prefix) < 5 {
		return false
	}
	rest := prefix[3:]
	if strings.HasPrefix(rest, "[") {
		j := strings.IndexByte(rest, ']')
		if j < 0 {
			return false
		}
		rest = rest[j+1:]
	}
	if len(rest) < 2 || rest[0] != '-' && rest[0] != '.' {
		return false
	}
	for _, c := range rest[1:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// mustTarget parses a path known to be valid.
func mustTarget(s string) target {
	t, err := parseTarget(s)
	if err != nil {
		panic(err)
	}
	return t
}

func (t target) String() string { return t.text }

// wild reports whether the path names several positions.
func (t target) wild() bool { return t.allOcc || t.allRep }

// each calls fn with every concrete path t names in m, and the position of the segment it is
// in (-1 when the segment does not exist yet). Without wildcards it calls fn once, even for a
// position that does not exist, so that set can create it. With reverse, positions are
// visited from the last, so that deleting one does not shift those still to visit.
//
// The segments are found in one walk over the message and fn gets their positions, so that
// a step edits each one through hl7.Segment instead of searching the message for "OBX[k]"
// again (which made a step over 30 OBX quadratic). The positions are collected before fn runs,
// as fn may remove segments; a small array on the stack holds them for ordinary messages.
func (t target) each(m *hl7.Message, reverse bool, fn func(p hl7.Path, seg int) error) error {
	if !t.wild() {
		return fn(t.p, segPos(m, t.p.Segment, t.p.Occurrence))
	}
	var buf [64]int32
	occs := buf[:0] // segment positions
	if t.allOcc {
		for i := range m.NumSegments() {
			if named(m.Segment(i), t.p.Segment) {
				occs = append(occs, int32(i))
			}
		}
	} else if i := segPos(m, t.p.Segment, t.p.Occurrence); i >= 0 {
		occs = append(occs, int32(i))
	}
	for k := range occs {
		if reverse {
			k = len(occs) - 1 - k
		}
		pos := int(occs[k])
		p := t.p
		if t.allOcc {
			p.Occurrence = k + 1
		}
		if !t.allRep {
			if err := fn(p, pos); err != nil {
				return err
			}
			continue
		}
		n := m.Segment(pos).Field(t.p.Field).NumReps()
		for r := 1; r <= n; r++ {
			p.Repetition = r
			if reverse {
				p.Repetition = n - r + 1
			}
			if err := fn(p, pos); err != nil {
				return err
			}
		}
	}
	return nil
}

// bind returns t with its wildcards replaced by the occurrence and repetition of cur, the
// position a step is working on: copy from OBX[*]-3.1 to OBX[*]-3.4 pairs each OBX with
// itself.
func (t target) bind(cur hl7.Path) hl7.Path {
	p := t.p
	if t.allOcc {
		p.Occurrence = cur.Occurrence
		if cur.Segment != p.Segment && cur.Occurrence == 0 {
			p.Occurrence = 1
		}
	}
	if t.allRep {
		p.Repetition = max(cur.Repetition, 1)
	}
	return p
}

// segPos returns the position of occurrence occ (0 or 1 = the first) of segment name, or -1.
func segPos(m *hl7.Message, name string, occ int) int {
	occ = max(occ, 1)
	for i, s := range m.Segments() {
		if named(s, name) {
			if occ--; occ == 0 {
				return i
			}
		}
	}
	return -1
}

// named reports whether s is named name, as s.Name() == name does, without Name: Name returns
// the name of an edited segment interned (see hl7.Message.Release), which costs a lookup, and
// steps compare names segment after segment. A segment's name is three letters or digits
// followed by the field separator, which is neither, or by nothing.
func named(s hl7.Segment, name string) bool {
	raw := s.Raw()
	return len(name) == 3 && len(raw) >= 3 && string(raw[:3]) == name && (len(raw) == 3 || !isNameByte(raw[3]))
}

// isNameByte reports whether c may be part of a segment name.
func isNameByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// valueIn returns the value at p counted inside the segment at position seg, whatever p's
// segment name: it is how seg["5"] reads the segment a step is working on.
func valueIn(m *hl7.Message, seg int, p hl7.Path) hl7.Value {
	if seg < 0 || seg >= m.NumSegments() {
		return hl7.Value{}
	}
	s := m.Segment(seg)
	if p.Field == 0 {
		return m.ValueAt(hl7.Path{Segment: s.Name(), Occurrence: occurrenceOf(m, seg)})
	}
	v := s.Field(p.Field)
	if p.Repetition > 0 || p.Component > 0 || p.SubComp > 0 {
		v = v.Rep(max(p.Repetition, 1))
	}
	if p.Component > 0 || p.SubComp > 0 {
		v = v.Comp(max(p.Component, 1))
	}
	if p.SubComp > 0 {
		v = v.Sub(p.SubComp)
	}
	return v
}

// occurrenceOf returns which occurrence of its name the segment at position seg is, from 1.
func occurrenceOf(m *hl7.Message, seg int) int {
	name := m.Segment(seg).Name()
	n := 0
	for i := 0; i <= seg; i++ {
		if named(m.Segment(i), name) {
			n++
		}
	}
	return n
}

// pathAt returns the concrete path of p inside the segment at position seg.
func pathAt(m *hl7.Message, seg int, p hl7.Path) hl7.Path {
	p.Segment = m.Segment(seg).Name()
	p.Occurrence = occurrenceOf(m, seg)
	return p
}
