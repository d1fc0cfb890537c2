package hl7

import (
	"bytes"
	"fmt"
	"strings"
	"unsafe"
)

// Set writes text at path, escaping any delimiter in it, so that reading the path back gives
// text. Missing segments, fields, repetitions and components are created: a missing segment
// is added after the last segment of the same name, or at the end. Only the edited segment's
// bytes change. Set(path, `""`) writes the HL7 null.
func (m *Message) Set(path, text string) error {
	p, err := ParsePath(path)
	if err != nil {
		return err
	}
	return m.SetAt(p, text)
}

// SetAt is Set with a parsed path.
func (m *Message) SetAt(p Path, text string) error {
	if p.Field == 0 {
		return &EscapeError{Path: p.String(), Err: fmt.Errorf("%w: a whole segment is set with SetRaw", ErrReadOnly)}
	}
	val, err := m.delims.appendEscaped(nil, text)
	if err != nil {
		return &EscapeError{Path: p.String(), Err: err}
	}
	return m.setRaw(p, val)
}

// SetRaw writes raw, already encoded with the message's delimiters, at path. It is how a
// whole field with components, or a whole segment (a path with no field), is written.
func (m *Message) SetRaw(path, raw string) error {
	p, err := ParsePath(path)
	if err != nil {
		return err
	}
	return m.SetRawAt(p, raw)
}

// SetRawAt is SetRaw with a parsed path.
func (m *Message) SetRawAt(p Path, raw string) error {
	if hasLineEnd(raw) {
		return &EscapeError{Path: p.String(), Err: fmt.Errorf("%w: raw value holds a line end", ErrReadOnly)}
	}
	return m.setRaw(p, []byte(raw))
}

// Delete removes what path addresses. A segment path removes that segment (the first of the
// name, or the given occurrence); a repetition path (PID-3[2]) removes that repetition; a field,
// component or sub-component path empties it, and trailing delimiters left empty by the
// deletion are trimmed. Deleting something absent is not an error.
func (m *Message) Delete(path string) error {
	p, err := ParsePath(path)
	if err != nil {
		return err
	}
	return m.DeleteAt(p)
}

// DeleteAt is Delete with a parsed path.
func (m *Message) DeleteAt(p Path) error {
	i := m.find(p.Segment, p.Occurrence)
	if i < 0 {
		return nil
	}
	if p.Field == 0 {
		m.RemoveSegment(i)
		return nil
	}
	s := &m.segs[i]
	if s.hdr && p.Field <= 2 {
		return &EscapeError{Path: p.String(), Err: fmt.Errorf("%w: MSH-1 and MSH-2 hold the delimiters", ErrReadOnly)}
	}
	if _, ok := s.field(p.Field); !ok {
		return nil
	}
	if i == 0 && p.Field == 18 {
		// Removing MSH-18's first repetition makes the next one the character set.
		if err := m.checkCharsetChange(p, m.headerAfter(func(t *Message) { t.deleteIn(0, p) })); err != nil {
			return err
		}
	}
	m.deleteIn(i, p)
	return nil
}

// deleteIn applies DeleteAt to field p.Field (present) of segment i.
func (m *Message) deleteIn(i int, p Path) {
	s := &m.segs[i]
	f, _ := s.field(p.Field)
	d := &m.delims
	var nf []byte
	switch {
	case p.Component == 0 && p.Repetition == 0:
		nf = nil
	case p.Component == 0:
		nf = removePart(f, d.Repetition, p.Repetition)
	default:
		rep := max(p.Repetition, 1)
		rb, ok := nthPart(f, d.Repetition, rep)
		if !ok {
			return
		}
		var nr []byte
		if p.SubComp == 0 {
			nr = trimEnd(replacePart(rb, d.Component, p.Component, nil), d.Component)
		} else {
			cb, ok := nthPart(rb, d.Component, p.Component)
			if !ok {
				return
			}
			nc := trimEnd(replacePart(cb, d.SubComponent, p.SubComp, nil), d.SubComponent)
			nr = trimEnd(replacePart(rb, d.Component, p.Component, nc), d.Component)
		}
		nf = replacePart(f, d.Repetition, rep, nr)
	}
	m.replaceField(i, p.Field, nf, true)
	m.syncCharset(i)
}

// setRaw writes val at p, creating what is missing. Everything that can refuse the edit is
// checked before a missing segment is created: a refused edit changes nothing.
func (m *Message) setRaw(p Path, val []byte) error {
	d := &m.delims
	if p.Field == 0 {
		seg, err := m.newSegment(val)
		if err != nil {
			return err
		}
		if string(seg.name()) != p.Segment {
			return &EscapeError{Path: p.String(), Err: fmt.Errorf("%w: the new segment is named %s", ErrReadOnly, seg.name())}
		}
		if err := m.checkCharset(p, val); err != nil {
			return err
		}
		if max(p.Occurrence, 1) == 1 && p.Segment == string(m.segs[0].name()) {
			// The header itself: it stays one, and a new MSH-18 must hold the message's text.
			if !seg.hdr {
				return &EscapeError{Path: p.String(), Err: fmt.Errorf("%w: the first segment stays the MSH", ErrReadOnly)}
			}
			if err := m.checkCharsetChange(p, &seg); err != nil {
				return err
			}
		}
		i := m.ensureSegment(p.Segment, p.Occurrence)
		seg.trail = m.segs[i].trail
		m.segs[i] = seg
		m.dirty = true
		m.syncCharset(i)
		return nil
	}
	if (p.Segment == "MSH" || p.Segment == "FHS" || p.Segment == "BHS") && p.Field <= 2 {
		return &EscapeError{Path: p.String(), Err: fmt.Errorf("%w: MSH-1 and MSH-2 hold the delimiters", ErrReadOnly)}
	}
	if p.Repetition > 1 && d.Repetition == 0 || p.SubComp > 1 && d.SubComponent == 0 {
		return &EscapeError{Path: p.String(), Err: fmt.Errorf("%w: the message's MSH-2 defines no separator for that level", ErrReadOnly)}
	}
	if err := m.checkCharset(p, val); err != nil {
		return err
	}
	i := m.ensureSegment(p.Segment, p.Occurrence)
	// editIn's own check concerns only the header, which always exists: ensureSegment has
	// created nothing when it refuses.
	return m.editIn(i, p, val)
}

// setIn writes val at p (field and below) in segment i, creating what is missing.
func (m *Message) setIn(i int, p Path, val []byte) error {
	d := &m.delims
	seg := &m.segs[i]
	if seg.hdr && p.Field <= 2 {
		return &EscapeError{Path: p.String(), Err: fmt.Errorf("%w: MSH-1 and MSH-2 hold the delimiters", ErrReadOnly)}
	}
	if p.Repetition > 1 && d.Repetition == 0 || p.SubComp > 1 && d.SubComponent == 0 {
		return &EscapeError{Path: p.String(), Err: fmt.Errorf("%w: the message's MSH-2 defines no separator for that level", ErrReadOnly)}
	}
	if err := m.checkCharset(p, val); err != nil {
		return err
	}
	return m.editIn(i, p, val)
}

// editIn is setIn after the checks on p and val: an edit of the header that may change MSH-18
// is tried on a copy first (see checkCharsetChange).
func (m *Message) editIn(i int, p Path, val []byte) error {
	if i == 0 && (p.Field == 18 || p.Field < 18 && hasByte(val, m.delims.Field)) {
		if err := m.checkCharsetChange(p, m.headerAfter(func(t *Message) { t.applyIn(0, p, val) })); err != nil {
			return err
		}
	}
	m.applyIn(i, p, val)
	return nil
}

// applyIn writes val at p in segment i; every check has passed.
func (m *Message) applyIn(i int, p Path, val []byte) {
	d := &m.delims
	seg := &m.segs[i]
	// The common case: every level of the path exists, and its bytes are replaced in place.
	if start, end, ok := seg.locate(d, p); ok {
		m.splice(i, start, end, val)
		m.syncCharset(i)
		return
	}
	f, _ := seg.field(p.Field)
	nf := val
	if p.Component > 0 || p.Repetition > 0 {
		rep := max(p.Repetition, 1)
		nr := val
		if p.Component > 0 {
			rb, _ := nthPart(f, d.Repetition, rep)
			nc := val
			if p.SubComp > 0 {
				cb, _ := nthPart(rb, d.Component, p.Component)
				nc = replacePart(cb, d.SubComponent, p.SubComp, val)
			}
			nr = replacePart(rb, d.Component, p.Component, nc)
		}
		nf = replacePart(f, d.Repetition, rep, nr)
	}
	m.replaceField(i, p.Field, nf, false)
	m.syncCharset(i)
}

// locate returns the byte range in the segment of the field, repetition, component or
// sub-component p names, when every level of it exists.
func (s *segment) locate(d *Delimiters, p Path) (start, end int, ok bool) {
	k := p.Field
	if s.hdr {
		k--
	}
	if k < 1 || k > len(s.seps) {
		return 0, 0, false
	}
	start, end = int(s.seps[k-1])+1, len(s.b)
	if k < len(s.seps) {
		end = int(s.seps[k])
	}
	if p.Repetition == 0 && p.Component == 0 {
		return start, end, true
	}
	steps := [3]struct {
		sep byte
		n   int
	}{{d.Repetition, max(p.Repetition, 1)}, {d.Component, p.Component}, {d.SubComponent, p.SubComp}}
	for _, st := range steps {
		if st.n == 0 {
			break
		}
		a, b, ok := nthRange(s.b[start:end], st.sep, st.n)
		if !ok {
			return 0, 0, false
		}
		start, end = start+a, start+b
	}
	return start, end, true
}

// nthRange returns the byte range of part n (from 1) of b split on sep.
func nthRange(b []byte, sep byte, n int) (int, int, bool) {
	if sep == 0 {
		return 0, len(b), n == 1
	}
	start := 0
	for ; n > 1; n-- {
		j := bytes.IndexByte(b[start:], sep)
		if j < 0 {
			return 0, 0, false
		}
		start += j + 1
	}
	end := len(b)
	if j := bytes.IndexByte(b[start:], sep); j >= 0 {
		end = start + j
	}
	return start, end, true
}

// owner returns the identity of the buffers m may edit in place, creating it.
func (m *Message) owner() *owner {
	if m.own == nil {
		m.own = &m.self // a message lives on the heap (Parse, New and Clone return pointers)
	}
	return m.own
}

// splice replaces bytes [start, end) of segment i with val. A segment whose bytes m owns is
// edited in place when it has room; otherwise its bytes are copied once, with room to grow,
// and owned from then on. Field separators after the edit move by the change in length, so
// the segment is not indexed again.
func (m *Message) splice(i, start, end int, val []byte) {
	s := &m.segs[i]
	fs := m.delims.Field
	m.dirty = true
	if hasByte(val, fs) {
		// New fields: rebuild and index.
		b := m.segmentBytes(len(s.b) - (end - start) + len(val))
		b = append(append(append(b, s.b[:start]...), val...), s.b[end:]...)
		s.b, s.seps, s.own, s.pooled = b, m.arenaIndex(b), m.owner(), true
		return
	}
	delta := len(val) - (end - start)
	old := len(s.b)
	owned := s.own != nil && s.own == m.own
	if owned && cap(s.b)-old >= delta {
		if overlaps(val, s.b[:cap(s.b)]) {
			// val reads bytes this edit moves (a caller's view of the segment itself).
			val = bytes.Clone(val)
		}
		newEnd := start + len(val)
		if delta > 0 {
			s.b = s.b[:old+delta]
		}
		copy(s.b[newEnd:], s.b[end:old])
		copy(s.b[start:newEnd], val)
		s.b = s.b[:old+delta]
	} else {
		b := m.segmentBytes(old + delta)
		s.b = append(append(append(b, s.b[:start]...), val...), s.b[end:]...)
		if !owned {
			s.seps = append(m.arenaSeps(len(s.seps)), s.seps...)
		}
		s.own, s.pooled = m.owner(), true
	}
	if delta != 0 {
		for j := len(s.seps) - 1; j >= 0 && int(s.seps[j]) >= end; j-- {
			s.seps[j] += int32(delta)
		}
	}
}

// overlaps reports whether a and b share bytes of one array.
func overlaps(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return false
	}
	a0, b0 := uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	return a0 < b0+uintptr(len(b)) && b0 < a0+uintptr(len(a))
}

// replaceField rebuilds segment i with field n replaced by val. With trim, trailing empty
// fields are dropped.
func (m *Message) replaceField(i, n int, val []byte, trim bool) {
	s := &m.segs[i]
	fs := m.delims.Field
	k := n // element index in the separator list
	if s.hdr {
		k--
	}
	var b []byte
	if k <= len(s.seps) {
		start := int(s.seps[k-1]) + 1
		end := len(s.b)
		if k < len(s.seps) {
			end = int(s.seps[k])
		}
		b = m.segmentBytes(len(s.b) - (end - start) + len(val))
		b = append(b, s.b[:start]...)
		b = append(b, val...)
		b = append(b, s.b[end:]...)
	} else {
		missing := k - len(s.seps)
		b = m.segmentBytes(len(s.b) + missing + len(val))
		b = append(b, s.b...)
		for ; missing > 0; missing-- {
			b = append(b, fs)
		}
		b = append(b, val...)
	}
	if trim {
		min := 4
		if s.hdr {
			min = 9 // never trim into MSH-2
		}
		for len(b) > min && b[len(b)-1] == fs {
			b = b[:len(b)-1]
		}
	}
	s.b, s.seps, s.own, s.pooled = b, m.arenaIndex(b), m.owner(), true
	m.dirty = true
}

// indexSeps returns the offsets of fs in b, in a slice of its own.
func indexSeps(b []byte, fs byte) []int32 {
	return appendSeps(make([]int32, 0, bytes.Count(b, []byte{fs})), b, fs)
}

// nthPart returns part i (from 1) of b split on sep.
func nthPart(b []byte, sep byte, i int) ([]byte, bool) {
	if sep == 0 {
		return b, i == 1
	}
	for ; i > 1; i-- {
		j := bytes.IndexByte(b, sep)
		if j < 0 {
			return nil, false
		}
		b = b[j+1:]
	}
	if j := bytes.IndexByte(b, sep); j >= 0 {
		b = b[:j]
	}
	return b, true
}

// replacePart returns a new slice: b split on sep with part i (from 1) replaced by val,
// separators added when b has fewer parts.
func replacePart(b []byte, sep byte, i int, val []byte) []byte {
	if sep == 0 {
		return append([]byte(nil), val...)
	}
	start := 0
	n := 1
	for ; n < i; n++ {
		j := bytes.IndexByte(b[start:], sep)
		if j < 0 {
			break
		}
		start += j + 1
	}
	out := make([]byte, 0, len(b)+len(val)+(i-n))
	if n < i {
		out = append(out, b...)
		for ; n < i; n++ {
			out = append(out, sep)
		}
		return append(out, val...)
	}
	end := len(b)
	if j := bytes.IndexByte(b[start:], sep); j >= 0 {
		end = start + j
	}
	out = append(out, b[:start]...)
	out = append(out, val...)
	return append(out, b[end:]...)
}

// removePart returns b split on sep without part i; b itself when it has no part i.
func removePart(b []byte, sep byte, i int) []byte {
	if sep == 0 {
		if i == 1 {
			return nil
		}
		return b
	}
	start := 0
	for n := 1; n < i; n++ {
		j := bytes.IndexByte(b[start:], sep)
		if j < 0 {
			return b
		}
		start += j + 1
	}
	end := len(b)
	j := bytes.IndexByte(b[start:], sep)
	if j >= 0 {
		end = start + j + 1 // remove the part and the separator after it
	} else if start > 0 {
		start-- // the last part: remove the separator before it
	}
	out := make([]byte, 0, len(b)-(end-start))
	out = append(out, b[:start]...)
	return append(out, b[end:]...)
}

func trimEnd(b []byte, sep byte) []byte {
	for sep != 0 && len(b) > 0 && b[len(b)-1] == sep {
		b = b[:len(b)-1]
	}
	return b
}

// ensureSegment returns the position of occurrence occ of name, adding empty segments of
// that name after the last one (or at the end) until it exists.
func (m *Message) ensureSegment(name string, occ int) int {
	occ = max(occ, 1)
	last, n := -1, 0
	for i := range m.segs {
		if string(m.segs[i].name()) == name {
			if n++; n == occ {
				return i
			}
			last = i
		}
	}
	at := len(m.segs)
	if last >= 0 {
		at = last + 1
	}
	for ; n < occ; n++ {
		s := segment{b: []byte(name)}
		if isHeaderName(s.b) {
			// An MSH, FHS or BHS holds the delimiters in its first two fields: without them
			// it would not read back (its fourth byte would be taken for the separator).
			s.b = append(append(s.b, m.delims.Field), m.delims.EncodingCharacters()...)
			s.seps, s.hdr = indexSeps(s.b, m.delims.Field), true
		}
		m.insert(at, s)
		at++
	}
	return at - 1
}

// newSegment reads raw as one segment with the message's delimiters.
func (m *Message) newSegment(raw []byte) (segment, error) {
	if hasLineEnd(string(raw)) {
		return segment{}, fmt.Errorf("%w: a segment holds a line end", ErrSegmentName)
	}
	b := append([]byte(nil), raw...)
	s := segment{b: b, seps: indexSeps(b, m.delims.Field)}
	if !validName(s.name()) {
		return segment{}, fmt.Errorf("%w: %q", ErrSegmentName, clip(b, 8))
	}
	s.hdr = isHeaderName(s.name())
	if s.hdr {
		d, err := readDelimiters(b)
		if err != nil {
			return segment{}, err
		}
		if d != m.delims {
			return segment{}, fmt.Errorf("%w: %s defines delimiters other than the message's", ErrDelimiters, s.name())
		}
	}
	return s, nil
}

// terminator returns the bytes that end the message's first segment, used for new segments.
func (m *Message) terminator() []byte {
	if len(m.segs) > 0 {
		t := m.segs[0].trail
		switch {
		case bytes.HasPrefix(t, []byte("\r\n")):
			return t[:2]
		case len(t) > 0 && (t[0] == '\r' || t[0] == '\n'):
			return t[:1]
		}
	}
	return []byte{'\r'}
}

// insert puts s at position at. At the end, the new segment takes over what the message
// ended with (a final terminator, or none) and the previous segment gets a terminator.
func (m *Message) insert(at int, s segment) {
	term := m.terminator()
	if at == len(m.segs) && at > 0 {
		prev := &m.segs[at-1]
		s.trail = prev.trail
		prev.trail = term
	} else {
		s.trail = term
	}
	m.segs = append(m.segs, segment{})
	copy(m.segs[at+1:], m.segs[at:])
	m.segs[at] = s
	m.dirty = true
}

// InsertSegment parses raw (one segment, encoded with the message's delimiters, without a
// terminator) and inserts it at position at (from 0; NumSegments appends).
func (m *Message) InsertSegment(at int, raw string) error {
	if len(m.segs) > 0 && at == 0 {
		// The MSH stays first: a message that does not start with it does not read back.
		return fmt.Errorf("hl7: insert segment at 0: %w: the MSH stays the first segment; insert from position 1", ErrReadOnly)
	}
	if at < 0 || at > len(m.segs) {
		return fmt.Errorf("hl7: insert segment at %d: position out of range 1..%d", at, len(m.segs))
	}
	s, err := m.newSegment([]byte(raw))
	if err != nil {
		return err
	}
	if m.needsCharsetCheck(s.b) {
		if err := m.checkCharset(Path{Segment: string(s.name())}, s.b); err != nil {
			return err
		}
	}
	m.insert(at, s)
	return nil
}

// AppendSegment adds raw as the last segment.
func (m *Message) AppendSegment(raw string) error { return m.InsertSegment(len(m.segs), raw) }

// ReplaceSegment replaces the segment at position at with raw; the name may change.
func (m *Message) ReplaceSegment(at int, raw string) error {
	if at < 0 || at >= len(m.segs) {
		return fmt.Errorf("hl7: replace segment %d: position out of range 0..%d", at, len(m.segs)-1)
	}
	s, err := m.newSegment([]byte(raw))
	if err != nil {
		return err
	}
	if at == 0 && string(s.name()) != "MSH" {
		return fmt.Errorf("hl7: replace segment 0: %w: the first segment stays the MSH", ErrReadOnly)
	}
	if m.needsCharsetCheck(s.b) {
		if err := m.checkCharset(Path{Segment: string(s.name())}, s.b); err != nil {
			return err
		}
	}
	if at == 0 {
		if err := m.checkCharsetChange(Path{Segment: "MSH"}, &s); err != nil {
			return err
		}
	}
	s.trail = m.segs[at].trail
	m.segs[at] = s
	m.dirty = true
	m.syncCharset(at)
	return nil
}

// RemoveSegment removes the segment at position at (from 0). The first segment (MSH) cannot
// be removed: a message without a header is not a message.
func (m *Message) RemoveSegment(at int) {
	if at <= 0 || at >= len(m.segs) {
		return
	}
	if at == len(m.segs)-1 {
		// Keep the way the message ends (a final terminator or none).
		m.segs[at-1].trail = m.segs[at].trail
	}
	m.segs = append(m.segs[:at], m.segs[at+1:]...)
	m.dirty = true
}

// MoveSegment moves the segment at position from to position to (both from 0, counted before
// the move). The first segment cannot move.
func (m *Message) MoveSegment(from, to int) error {
	if from <= 0 || from >= len(m.segs) || to <= 0 || to >= len(m.segs) {
		return fmt.Errorf("hl7: move segment %d to %d: positions out of range 1..%d", from, to, len(m.segs)-1)
	}
	if from == to {
		return nil
	}
	s := m.segs[from]
	m.RemoveSegment(from)
	m.insert(to, s)
	return nil
}

// New returns a message holding only an MSH segment with the given delimiters, ended by CR.
// Fill it with Set and AppendSegment.
func New(d Delimiters) (*Message, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	b := []byte{'M', 'S', 'H', d.Field}
	b = append(b, d.EncodingCharacters()...)
	m := &Message{delims: d, dirty: true}
	m.segs = []segment{{b: b, trail: []byte{'\r'}, seps: indexSeps(b, d.Field), hdr: true}}
	return m, nil
}

// Set writes text at p in this segment, as Message.Set does; p's segment name and occurrence
// are ignored. It saves finding the segment again when a caller already walks segments.
func (s Segment) Set(p Path, text string) error {
	if p.Field == 0 {
		return &EscapeError{Path: p.String(), Err: fmt.Errorf("%w: a whole segment is set with Message.ReplaceSegment", ErrReadOnly)}
	}
	val, err := s.m.delims.appendEscaped(nil, text)
	if err != nil {
		return &EscapeError{Path: p.String(), Err: err}
	}
	return s.m.setIn(s.i, p, val)
}

// SetRaw writes raw, encoded with the message's delimiters, at p in this segment; p's segment
// name and occurrence are ignored.
func (s Segment) SetRaw(p Path, raw string) error {
	if p.Field == 0 {
		return &EscapeError{Path: p.String(), Err: fmt.Errorf("%w: a whole segment is set with Message.ReplaceSegment", ErrReadOnly)}
	}
	if hasLineEnd(raw) {
		return &EscapeError{Path: p.String(), Err: fmt.Errorf("%w: raw value holds a line end", ErrReadOnly)}
	}
	return s.m.setIn(s.i, p, []byte(raw))
}

// Value returns the value at p in this segment; p's segment name and occurrence are ignored.
func (s Segment) Value(p Path) Value {
	return s.m.valueIn(s.i, p) // valueIn reads the field and below: no need to name the segment
}

// hasLineEnd reports whether s holds a CR or LF (two vectorised scans, no allocation).
func hasLineEnd(s string) bool {
	if len(s) < shortScan {
		for i := 0; i < len(s); i++ {
			if s[i] == '\r' || s[i] == '\n' {
				return true
			}
		}
		return false
	}
	return strings.IndexByte(s, '\r') >= 0 || strings.IndexByte(s, '\n') >= 0
}

// shortScan is the length under which a byte loop finds a byte sooner than the vectorised
// IndexByte, whose set-up costs more than it saves on the short values edits mostly write.
const shortScan = 16

// hasByte reports whether b holds c.
func hasByte(b []byte, c byte) bool {
	if len(b) < shortScan {
		for _, x := range b {
			if x == c {
				return true
			}
		}
		return false
	}
	return bytes.IndexByte(b, c) >= 0
}

// SetRawValue replaces the bytes of v, a value read from this segment (with Field, Value or
// their parts) since its last edit, by raw: it saves locating the value again. It reports
// false, changing nothing, when v does not lie in the segment's current bytes.
func (s Segment) SetRawValue(v Value, raw string) (bool, error) {
	seg := s.seg()
	if !v.ok || v.lv == lvLiteral || v.lv == lvSegment || len(seg.b) == 0 {
		return false, nil
	}
	if hasLineEnd(raw) {
		return false, &EscapeError{Path: s.Name(), Err: fmt.Errorf("%w: raw value holds a line end", ErrReadOnly)}
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(seg.b)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(v.b)))
	if v.b == nil || p < base || p+uintptr(len(v.b)) > base+uintptr(len(seg.b)) {
		return false, nil
	}
	start := int(p - base)
	if s.m.enc != nil && hasNonASCIIString(raw) { // rare: no conversion, no path otherwise
		if err := s.m.checkCharset(Path{Segment: s.Name()}, []byte(raw)); err != nil {
			return false, err
		}
	}
	if end := start + len(v.b); s.i == 0 && (strings.IndexByte(raw, s.m.delims.Field) >= 0 || len(seg.seps) >= 17 && end > int(seg.seps[16])) {
		// The edit reaches MSH-18 (or moves fields into it).
		h := s.m.headerAfter(func(t *Message) { t.splice(0, start, end, []byte(raw)) })
		if err := s.m.checkCharsetChange(Path{Segment: "MSH", Field: 18}, h); err != nil {
			return false, err
		}
	}
	s.m.splice(s.i, start, start+len(v.b), []byte(raw))
	s.m.syncCharset(s.i)
	return true, nil
}
