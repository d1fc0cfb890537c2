package hl7

import (
	"bytes"
	"unsafe"
)

type level uint8

const (
	lvField   level = iota // may hold repetitions, components and sub-components
	lvRep                  // one repetition: components and sub-components
	lvComp                 // one component: sub-components
	lvSub                  // a leaf
	lvLiteral              // MSH-1 and MSH-2: never split, never unescaped
	lvSegment              // a whole segment, from a path with no field
)

// Value is a view of a field, a repetition, a component or a sub-component. It holds the bytes
// in the message and the delimiters to split them with; nothing is copied until String is
// called. The zero Value is absent.
type Value struct {
	b  []byte
	m  *Message
	lv level
	ok bool
}

// Present reports whether the position exists in the message. A field beyond the last
// field separator of its segment, or a component beyond the last component separator of its
// field, is absent; an empty position between two separators is present and empty.
func (v Value) Present() bool { return v.ok }

// IsEmpty reports whether the value is present and holds nothing.
func (v Value) IsEmpty() bool { return v.ok && len(v.b) == 0 }

// IsNull reports whether the value is the HL7 null, the two characters "". The null tells
// a receiver to delete the value it holds, where an empty field tells it to keep it.
func (v Value) IsNull() bool { return v.ok && len(v.b) == 2 && v.b[0] == '"' && v.b[1] == '"' }

// Raw returns the value's bytes as they are in the message, escape sequences and delimiters
// included. Do not modify them. They are valid until the segment they lie in is edited: an edit
// may change an edited segment's bytes in place. (Values of parsed, unedited segments stay
// valid for the life of the message.) String returns a copy.
func (v Value) Raw() []byte { return v.b }

// Offset returns the byte offset of the value in the message's text, or -1 when the value is
// absent or lies in a segment that has been edited.
func (v Value) Offset() int {
	if !v.ok || v.m == nil || len(v.m.text) == 0 {
		return -1
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(v.m.text)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(v.b)))
	if v.b == nil || p < base || p > base+uintptr(len(v.m.text)) {
		return -1
	}
	return int(p - base)
}

// String returns the value as text. A leaf (a value with no delimiters of a lower level in
// it) has its escape sequences decoded. A value that still holds components, repetitions or
// sub-components is returned in its encoded form, as it is in the message.
func (v Value) String() string {
	if !v.ok || v.m == nil {
		return string(v.b)
	}
	if v.lv == lvLiteral || v.lv == lvSegment || v.hasStructure() {
		return string(v.b)
	}
	return v.m.unescape(v.b)
}

// IsLeaf reports whether the value holds no delimiters of a lower level.
func (v Value) IsLeaf() bool { return v.lv == lvLiteral || !v.hasStructure() }

func (v Value) hasStructure() bool {
	d := &v.m.delims
	for _, c := range v.b {
		switch {
		case c == d.SubComponent && d.SubComponent != 0:
			if v.lv <= lvComp {
				return true
			}
		case c == d.Component:
			if v.lv <= lvRep {
				return true
			}
		case c == d.Repetition && d.Repetition != 0:
			if v.lv == lvField {
				return true
			}
		}
	}
	return false
}

// Rep returns repetition i (from 1) of a field. For a value below the field level, Rep(1)
// is the value itself.
func (v Value) Rep(i int) Value {
	if !v.ok {
		return Value{m: v.m}
	}
	switch v.lv {
	case lvField:
		return v.part(v.m.delims.Repetition, i, lvRep)
	case lvSegment:
		return Value{m: v.m}
	}
	if i == 1 {
		return v
	}
	return Value{m: v.m}
}

// Comp returns component i (from 1). On a field it is a component of the first repetition.
// On a component or sub-component, Comp(1) is the value itself.
func (v Value) Comp(i int) Value {
	if !v.ok {
		return Value{m: v.m}
	}
	switch v.lv {
	case lvField:
		return v.Rep(1).Comp(i)
	case lvRep:
		return v.part(v.m.delims.Component, i, lvComp)
	case lvSegment, lvLiteral:
		if v.lv == lvLiteral && i == 1 {
			return v
		}
		return Value{m: v.m}
	}
	if i == 1 {
		return v
	}
	return Value{m: v.m}
}

// Sub returns sub-component i (from 1) of a component; on a field or repetition it is a
// sub-component of the first component.
func (v Value) Sub(i int) Value {
	if !v.ok {
		return Value{m: v.m}
	}
	switch v.lv {
	case lvField, lvRep:
		return v.Comp(1).Sub(i)
	case lvComp:
		return v.part(v.m.delims.SubComponent, i, lvSub)
	case lvSegment:
		return Value{m: v.m}
	}
	if i == 1 {
		return v
	}
	return Value{m: v.m}
}

// part splits v on sep and returns part i, at level lv.
func (v Value) part(sep byte, i int, lv level) Value {
	if !v.ok || i < 1 {
		return Value{m: v.m}
	}
	b := v.b
	if sep == 0 {
		if i == 1 {
			return Value{b: b, m: v.m, lv: lv, ok: true}
		}
		return Value{m: v.m}
	}
	for ; i > 1; i-- {
		j := bytes.IndexByte(b, sep)
		if j < 0 {
			return Value{m: v.m}
		}
		b = b[j+1:]
	}
	if j := bytes.IndexByte(b, sep); j >= 0 {
		b = b[:j]
	}
	return Value{b: b, m: v.m, lv: lv, ok: true}
}

// count returns how many parts sep splits v into; an empty value has none.
func (v Value) count(sep byte) int {
	if !v.ok || len(v.b) == 0 {
		return 0
	}
	if sep == 0 {
		return 1
	}
	return bytes.Count(v.b, []byte{sep}) + 1
}

// NumReps returns the number of repetitions of a field; an empty field has none.
func (v Value) NumReps() int {
	if v.lv == lvField {
		return v.count(v.m.delims.Repetition)
	}
	if v.lv == lvSegment {
		return 0
	}
	return v.count(0)
}

// NumComps returns the number of components (of the first repetition, on a field).
func (v Value) NumComps() int {
	switch v.lv {
	case lvField:
		return v.Rep(1).NumComps()
	case lvRep:
		return v.count(v.m.delims.Component)
	case lvSegment:
		return 0
	}
	return v.count(0)
}

// NumSubs returns the number of sub-components (of the first component, above that level).
func (v Value) NumSubs() int {
	switch v.lv {
	case lvField, lvRep:
		return v.Comp(1).NumSubs()
	case lvComp:
		return v.count(v.m.delims.SubComponent)
	case lvSegment:
		return 0
	}
	return v.count(0)
}

// Reps iterates over the repetitions of a field with their numbers (from 1). Below the
// field level the value itself is the one repetition.
func (v Value) Reps() func(yield func(int, Value) bool) {
	// Small enough to inline, so that neither closure escapes to the heap.
	return func(yield func(int, Value) bool) { v.reps(yield) }
}

func (v Value) reps(yield func(int, Value) bool) {
	switch v.lv {
	case lvField:
		v.split(v.m.delims.Repetition, lvRep, yield)
	case lvSegment:
	default:
		v.split(0, v.lv, yield)
	}
}

// Comps iterates over the components with their numbers (from 1): those of the first
// repetition on a field; on a component or below, the value itself.
func (v Value) Comps() func(yield func(int, Value) bool) {
	// Small enough to inline, so that neither closure escapes to the heap.
	return func(yield func(int, Value) bool) { v.comps(yield) }
}

func (v Value) comps(yield func(int, Value) bool) {
	switch v.lv {
	case lvField:
		v.Rep(1).split(v.m.delims.Component, lvComp, yield)
	case lvRep:
		v.split(v.m.delims.Component, lvComp, yield)
	case lvSegment:
	default:
		v.split(0, v.lv, yield)
	}
}

// Subs iterates over the sub-components with their numbers (from 1): those of the first
// component on a field or repetition; on a sub-component, the value itself.
func (v Value) Subs() func(yield func(int, Value) bool) {
	// Small enough to inline, so that neither closure escapes to the heap.
	return func(yield func(int, Value) bool) { v.subs(yield) }
}

func (v Value) subs(yield func(int, Value) bool) {
	switch v.lv {
	case lvField, lvRep:
		v.Comp(1).split(v.m.delims.SubComponent, lvSub, yield)
	case lvComp:
		v.split(v.m.delims.SubComponent, lvSub, yield)
	case lvSegment:
	default:
		v.split(0, v.lv, yield)
	}
}

// split yields the parts of v that sep separates (all of v when sep is 0), at level lv,
// numbered from 1, in one pass over the bytes: what part(sep, i, lv) gives for i = 1, 2...
// An absent or empty value has no parts, as count says.
func (v Value) split(sep byte, lv level, yield func(int, Value) bool) {
	if !v.ok || len(v.b) == 0 {
		return
	}
	b := v.b
	for i := 1; ; i++ {
		j := -1
		if sep != 0 {
			j = bytes.IndexByte(b, sep)
		}
		if j < 0 {
			yield(i, Value{b: b, m: v.m, lv: lv, ok: true})
			return
		}
		if !yield(i, Value{b: b[:j], m: v.m, lv: lv, ok: true}) {
			return
		}
		b = b[j+1:]
	}
}
