package transform

import (
	"sync/atomic"
	"unsafe"

	"github.com/courier-hl7/courier/hl7"
)

// The helpers here keep the hot paths of steps and expressions from allocating: most values
// are plain text that needs no escaping and no decoding.

// delimTable says, for one set of delimiters, which bytes escape and text look for. Testing a
// byte against six delimiters one by one cost more than the rest of reading or writing a
// short value; a table lookup is one load per byte.
type delimTable struct {
	d hl7.Delimiters
	// escape marks the bytes text must be escaped for: the field and component separators,
	// CR and LF, and the other delimiters the message defines.
	escape [256]bool
	// decode marks the bytes that make a value need hl7's decoding: the escape character and
	// the separators below the field.
	decode [256]bool
}

// lastTable is the table of the delimiters last used: nearly every message of a channel has
// the same ones, so it is built once and shared. It starts with the usual |^~\&.
var lastTable atomic.Pointer[delimTable]

func init() {
	newDelimTable(hl7.Delimiters{Field: '|', Component: '^', Repetition: '~', Escape: '\\', SubComponent: '&'})
}

// tableFor returns the table of d, building it when d are not the delimiters last used.
func tableFor(d hl7.Delimiters) *delimTable {
	if t := lastTable.Load(); t.d == d {
		return t
	}
	return newDelimTable(d)
}

func newDelimTable(d hl7.Delimiters) *delimTable {
	t := &delimTable{d: d}
	for _, c := range []byte{d.Field, d.Component, '\r', '\n'} {
		t.escape[c] = true
	}
	for _, c := range []byte{d.Repetition, d.Escape, d.SubComponent, d.Truncation} {
		if c != 0 {
			t.escape[c] = true
		}
	}
	t.decode[d.Component] = true
	for _, c := range []byte{d.Escape, d.Repetition, d.SubComponent} {
		if c != 0 {
			t.decode[c] = true
		}
	}
	lastTable.Store(t)
	return t
}

// escape returns text encoded for d: the text itself when it holds nothing to escape.
func escape(d hl7.Delimiters, text string) (string, error) { return tableFor(d).escapeText(text) }

// escapeText is escape with the table of d in hand, for a step that escapes many values.
func (t *delimTable) escapeText(text string) (string, error) {
	for i := 0; i < len(text); i++ {
		if t.escape[text[i]] {
			return t.d.EscapeText(text)
		}
	}
	return text, nil
}

// text returns a value's decoded text. A leaf without escape sequences that lies in the bytes
// the message was parsed from is returned without copying: package hl7 never writes those (it
// copies a segment the first time it edits it, and edits that copy in place), so the string
// stays valid and unchanged for as long as it is referenced. A value in a segment that was
// edited is copied (into r's arena when r is not nil), because the next edit of that segment
// may overwrite its bytes.
func text(r *run, v hl7.Value, d hl7.Delimiters) string { return tableFor(d).text(r, v) }

// text is text with the table of the value's delimiters in hand.
func (t *delimTable) text(r *run, v hl7.Value) string {
	s, _ := t.textPlain(r, v)
	return s
}

// textPlain is text, and whether the value needed no decoding: its text is its bytes.
func (t *delimTable) textPlain(r *run, v hl7.Value) (string, bool) {
	raw := v.Raw()
	if len(raw) == 0 {
		return "", true
	}
	for _, c := range raw {
		if t.decode[c] {
			return v.String(), false
		}
	}
	return rawText(r, v), true
}

// peekText returns a value's decoded text like text, but without copying a value of an edited
// segment: the string then aliases the segment's bytes, and reads what they hold until the
// segment is next edited. It is for text that is used up before that — scanned, compared, or
// handed to an hl7 edit (which copies it: []byte(raw)) — and never kept: a format step reads a
// phone number's digits or an identifier with it, instead of copying each into the run's arena.
func peekText(v hl7.Value, d hl7.Delimiters) string {
	t := tableFor(d)
	raw := v.Raw()
	if len(raw) == 0 {
		return ""
	}
	for _, c := range raw {
		if t.decode[c] {
			return v.String()
		}
	}
	return unsafe.String(&raw[0], len(raw))
}

// rawText returns a value's bytes as they are encoded, without copying them when they are
// the parsed bytes hl7 never writes to (see text).
func rawText(r *run, v hl7.Value) string {
	raw := v.Raw()
	if len(raw) == 0 {
		return ""
	}
	if v.Offset() < 0 {
		return r.keep(raw)
	}
	return unsafe.String(&raw[0], len(raw))
}

// arenaChunk is the size of the blocks a run copies values into; the first block of a run is
// firstChunk bytes, as most runs copy a few short values.
const (
	arenaChunk = 1024
	firstChunk = 256
)

// keep returns a copy of b. Values read from edited segments are copied into a block of the
// run, so that reading a few dozen of them costs one allocation instead of one each. A block
// is never reused, not even by the next message: a string taken from it may outlive the run
// (in an error, say), and must keep its bytes.
func (r *run) keep(b []byte) string {
	if r == nil || len(b) > arenaChunk/4 {
		return string(b)
	}
	if cap(r.arena)-len(r.arena) < len(b) {
		size := arenaChunk
		if r.arena == nil {
			size = firstChunk
		}
		r.arena = make([]byte, 0, size)
	}
	n := len(r.arena)
	r.arena = append(r.arena, b...)
	return unsafe.String(&r.arena[n], len(b))
}

// setIfChanged writes enc at p unless that is what p already holds, which saves editing the
// segment for steps that leave most values as they are.
// seg is p's segment position, or -1 when it is not known (or p's segment does not exist).
func setIfChanged(m *hl7.Message, seg int, p hl7.Path, enc string) error {
	v := at(m, seg, p)
	if v.Present() && string(v.Raw()) == enc {
		return nil
	}
	return setRawValue(m, seg, p, v, enc)
}

// setRaw writes enc at p, in the segment at position seg when it is known: Message.SetRawAt
// finds "OBX[k]" by walking the message from its start, which adds up over 30 OBX, while
// Segment.SetRaw edits the segment in hand. Both check and fail the same way.
func setRaw(m *hl7.Message, seg int, p hl7.Path, enc string) error {
	if seg < 0 || p.Field == 0 {
		return m.SetRawAt(p, enc)
	}
	return m.Segment(seg).SetRaw(p, enc)
}

// setRawValue writes enc over v, the value at p just read (with at) from the segment at
// position seg, which has not been edited since: Segment.SetRawValue replaces v's bytes
// without locating p in the segment again, which was a tenth of a map step over 30 OBX. When it
// cannot (v is a literal or no longer lies in the segment's bytes) or refuses enc, setRaw
// writes it as before, with setRaw's own result and error.
func setRawValue(m *hl7.Message, seg int, p hl7.Path, v hl7.Value, enc string) error {
	if seg >= 0 && p.Field > 0 && len(v.Raw()) > 0 {
		if ok, err := m.Segment(seg).SetRawValue(v, enc); ok && err == nil {
			return nil
		}
	}
	return setRaw(m, seg, p, enc)
}

// deleteAt deletes what p names, as Message.DeleteAt does; seg is p's segment position, or -1.
// Message.DeleteAt rebuilds and re-indexes the segment, then trims the field separators left
// at its end. When a whole field that is not the segment's last is emptied in a segment that
// does not end with a separator, there is nothing to trim, and emptying it in place with
// Segment.SetRaw gives the same bytes without a new segment.
func deleteAt(m *hl7.Message, seg int, p hl7.Path) error {
	if seg >= 0 && p.Field > 2 && p.Repetition == 0 && p.Component == 0 && p.SubComp == 0 {
		s := m.Segment(seg)
		raw := s.Raw()
		if p.Field < s.NumFields() && raw[len(raw)-1] != m.Delimiters().Field {
			return s.SetRaw(p, "")
		}
	}
	return m.DeleteAt(p)
}

// setText writes text at p, escaped, as Message.SetAt and Segment.Set do (with the same
// errors), in the segment at position seg when it is known (-1: found by p). Text without
// delimiters in it is written as it is, without the copy hl7 makes to escape it.
func setText(m *hl7.Message, seg int, p hl7.Path, text string) error {
	if p.Field == 0 {
		return m.SetAt(p, text) // the error for a whole segment
	}
	enc, err := escape(m.Delimiters(), text)
	if err != nil {
		return &hl7.EscapeError{Path: p.String(), Err: err}
	}
	return setRaw(m, seg, p, enc)
}

// at returns the value at p, read in the segment at position seg when it is known: finding a
// segment by occurrence walks the message, which adds up over 30 OBX.
func at(m *hl7.Message, seg int, p hl7.Path) hl7.Value {
	if seg < 0 || p.Field == 0 {
		return m.ValueAt(p)
	}
	return m.Segment(seg).Value(p)
}

// scratchString returns b as a string without copying it. Only for text that is compared or
// handed to an hl7 edit (which copies it) before b is written again: see formatCall.buf.
func scratchString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// appendDigits appends the ASCII digits of s to b, as digitsOf returns them. A byte of a
// multi-byte character is never an ASCII digit, so it reads s byte by byte.
func appendDigits(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' {
			b = append(b, c)
		}
	}
	return b
}
