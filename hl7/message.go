package hl7

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strings"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
)

// Message is one HL7 v2 message: an index of segments and field separators over the bytes it
// was parsed from. The zero Message is not usable; get one from Parse, a Parser or New.
type Message struct {
	raw     []byte // the input, exactly; returned by Bytes while the message is unmodified
	text    []byte // the UTF-8 (or ASCII-compatible) text the segments point into
	prefix  []byte // bytes before the first segment: a byte order mark, blank lines
	segs    []segment
	delims  Delimiters
	charset string            // the character set the message was read in (MSH-18 or default)
	enc     encoding.Encoding // nil when text is raw; otherwise encodes text back to raw's charset
	// declared is MSH-18 (first repetition, trimmed) as charset and enc were last chosen from:
	// an edit that changes MSH-18 changes the character set Bytes encodes in (see syncCharset).
	declared string
	dirty    bool
	// own marks the segment buffers this message alone holds (segment.own == own): edits
	// change those in place. Parsed bytes are owned by no one and are never written to.
	own *owner
	// self is the identity own points to once the message edits (see owner): part of the
	// message, so that its first edit allocates nothing for it.
	self owner
	// arena and sepArena hold the copies of segments edited in place (see arenaBytes), in the
	// pooled blocks listed in blocks and sepBlocks for Release.
	arena     []byte
	sepArena  []int32
	blocks    [keptBlocks]*[arenaBlock]byte
	sepBlocks [keptSepBlocks]*[sepBlock]int32
	// list holds segs' array when Clone took it from the pool, for Release to give back.
	list *segList
}

// owner is an identity for buffers a message may edit in place. It has a size so that two
// owners never share an address.
type owner struct{ _ byte }

// segment is one segment's bytes and the offsets of its field separators. Parsed bytes are
// never written to: the first edit of a segment copies it, and later edits change that copy in
// place (see splice). So a Message shares parsed bytes with its clones, never copies it edits.
type segment struct {
	b     []byte  // the segment without its terminator
	trail []byte  // its terminator and any blank lines after it, verbatim
	seps  []int32 // offsets in b of the field separators, capacity capped to length
	hdr   bool    // MSH, FHS or BHS: field 1 is the separator itself
	// pooled marks b as carved from an arena block (or made by the arena when too big for
	// one), which Release hands to later messages: the segment's name is then returned
	// interned, never as a view of b (see nameString).
	pooled bool
	own    *owner // the message that allocated b and seps (nil for parsed bytes)
}

// Terminators chooses which bytes end a segment.
type Terminators uint8

const (
	// TerminatorsAuto ends segments at CR, counting CR LF as one terminator. A message with no
	// CR at all has its segments ended by LF. A lone LF inside a CR-terminated message is text
	// (real senders put line breaks in NTE comments).
	TerminatorsAuto Terminators = iota
	// TerminatorsCR ends segments at CR only, as the standard says.
	TerminatorsCR
	// TerminatorsAny ends segments at CR, LF or CR LF, wherever they appear.
	TerminatorsAny
)

// Parser holds the options for reading messages. The zero Parser is ready to use and is what
// Parse uses. A Parser is safe for concurrent use.
type Parser struct {
	// Terminators chooses which bytes end a segment; the default is TerminatorsAuto.
	Terminators Terminators
	// Charset is the character set assumed when MSH-18 is empty, in HL7 table 0211 notation
	// ("8859/1", "UNICODE UTF-8") or an IANA name. Empty means ASCII-compatible bytes are kept
	// as they are, which reads ASCII and UTF-8 correctly.
	Charset string
	// IgnoreUnknownCharset reads a message whose MSH-18 names a character set this package
	// cannot decode as if it named none, instead of failing.
	IgnoreUnknownCharset bool
	// MaxSize is the largest message accepted, in bytes. Zero means 1 GiB.
	MaxSize int
}

const defaultMaxSize = 1 << 30

// Parse reads one message with the default Parser. The message keeps a reference to data:
// do not modify data afterwards.
func Parse(data []byte) (*Message, error) {
	var p Parser
	return p.Parse(data)
}

// Parse reads one message. The message keeps a reference to data: do not modify data
// afterwards. The first segment must be MSH; everything after it is indexed without
// interpretation, so a message of any version, with any Z-segments, parses.
func (p *Parser) Parse(data []byte) (*Message, error) {
	max := p.MaxSize
	if max <= 0 || max > math.MaxInt32 {
		max = min(defaultMaxSize, math.MaxInt32)
	}
	if len(data) > max {
		return nil, newParseError(data, max, ErrTooLarge, fmt.Sprintf("%d bytes, the limit is %d", len(data), max))
	}
	m := &Message{raw: data, text: data}
	start := 0
	switch {
	case bytes.HasPrefix(data, bomUTF8):
		start = len(bomUTF8)
	case bytes.HasPrefix(data, bomUTF16BE), bytes.HasPrefix(data, bomUTF16LE):
		return p.parseTranscoded(m, "UNICODE UTF-16")
	}
	if err := m.index(start, p.Terminators, true); err != nil {
		return nil, err
	}
	cs := m.headerCharset()
	m.declared = cs
	if cs == "" {
		cs = p.Charset
	}
	if cs == "" {
		return m, nil
	}
	enc, err := lookupCharset(cs)
	if err != nil {
		if p.IgnoreUnknownCharset {
			m.charset = cs
			return m, nil
		}
		off := 0
		if len(m.segs) > 0 {
			if f, ok := m.segs[0].field(18); ok {
				off = int(offsetIn(m.text, f))
			}
		}
		e := newParseError(m.raw, off, ErrCharset, fmt.Sprintf("%q (set the channel's default charset, or fix MSH-18)", cs))
		e.Segment, e.SegmentName, e.Field = 1, "MSH", 18
		return nil, e
	}
	m.charset = cs
	if enc == nil {
		return m, nil
	}
	if start > 0 && asciiBased(cs, enc) && utf8.Valid(data) {
		// A UTF-8 byte order mark is written by tools that saved the text as UTF-8: the bytes
		// are UTF-8 whatever MSH-18 says (as a UTF-16 mark decodes the message as UTF-16), and
		// reading them in MSH-18's set would garble every character that is not ASCII.
		m.charset = "UNICODE UTF-8"
		return m, nil
	}
	if identityText(cs, enc, data) {
		// Pure 7-bit text reads the same in every ASCII-based character set: keep the index
		// and remember the charset for encoding edits back.
		m.enc = enc
		return m, nil
	}
	return p.parseTranscoded(m, cs)
}

// parseTranscoded decodes the whole message from charset cs into UTF-8 and indexes the result.
// Decoding happens on the whole message, never per field, so multi-byte characters whose
// bytes look like delimiters are read correctly.
func (p *Parser) parseTranscoded(m *Message, cs string) (*Message, error) {
	enc, err := lookupCharset(cs)
	if err != nil || enc == nil {
		return nil, newParseError(m.raw, 0, ErrCharset, cs)
	}
	raw, bom := m.raw, []byte(nil)
	if bytes.HasPrefix(raw, bomUTF8) && asciiBased(cs, enc) {
		// A UTF-8 byte order mark before bytes that are not UTF-8: the mark is skipped and
		// kept, and the rest is read in the declared set.
		raw, bom = raw[len(bomUTF8):], bomUTF8
	}
	text, err := enc.NewDecoder().Bytes(raw)
	if err != nil {
		return nil, newParseError(m.raw, 0, ErrCharset, fmt.Sprintf("decode as %s: %v", cs, err))
	}
	if bom != nil {
		text = append(bom[:len(bom):len(bom)], text...)
	}
	m.text, m.enc, m.charset, m.segs = text, enc, cs, nil
	start := 0
	if bytes.HasPrefix(text, bomUTF8) {
		start = len(bomUTF8)
	}
	if err := m.index(start, p.Terminators, true); err != nil {
		return nil, err
	}
	m.declared = m.headerCharset()
	return m, nil
}

// identityText reports whether data decodes to itself in enc: 7-bit bytes without ISO 2022
// escapes, in a character set that is not UTF-16 or UTF-32.
func identityText(name string, enc encoding.Encoding, data []byte) bool {
	if !asciiBased(name, enc) || bytes.IndexByte(data, 0x1B) >= 0 {
		return false
	}
	i := 0
	for ; i+8 <= len(data); i += 8 {
		if binary.LittleEndian.Uint64(data[i:])&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(data); i++ {
		if data[i] >= 0x80 {
			return false
		}
	}
	return true
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16BE = []byte{0xFE, 0xFF}
	bomUTF16LE = []byte{0xFF, 0xFE}
)

// index finds the segments of m.text from start. needMSH requires the first segment to be MSH.
func (m *Message) index(start int, term Terminators, needMSH bool) error {
	text := m.text
	start = skipBlank(text, start)
	m.prefix = text[:start]
	rest := text[start:]
	if len(rest) < 3 || !(bytes.HasPrefix(rest, []byte("MSH")) || !needMSH && isHeaderName(rest[:3])) {
		got := rest
		if len(got) > 8 {
			got = got[:8]
		}
		return newParseError(text, start, ErrNoHeader, fmt.Sprintf("found %q", got))
	}
	d, err := readDelimiters(rest)
	if err != nil {
		e := newParseError(text, start+3, err, "")
		e.Segment, e.SegmentName, e.Field = 1, string(rest[:3]), 2
		return e
	}
	m.delims = d
	fs := d.Field
	lfOnly := term == TerminatorsAuto && bytes.IndexByte(rest, '\r') < 0
	// One allocation for every separator offset in the message, and one for the segments.
	seps := make([]int32, 0, bytes.Count(rest, []byte{fs}))
	nl := byte('\r')
	if lfOnly {
		nl = '\n'
	}
	m.segs = make([]segment, 0, bytes.Count(rest, []byte{nl})+1)
	pos, lastEnd := start, -1
	for pos < len(text) {
		// Blank bytes at the start of a line (an LF after a CR LF pair, spaces) belong to the
		// trail of the segment before: a segment starts with its name.
		if pos = skipBlank(text, pos); pos == len(text) {
			break
		}
		end, next := segmentEnd(text, pos, term, lfOnly)
		if end == len(text) && term == TerminatorsAuto {
			end = pos + trailingLineEnd(text[pos:end])
		}
		seg := text[pos:end]
		if isBlank(seg) {
			// Blank lines and trailing whitespace belong to the previous segment's trail so
			// that they are written back as they came; they are not segments.
			pos = next
			continue
		}
		if lastEnd >= 0 {
			m.segs[len(m.segs)-1].trail = text[lastEnd:pos]
		}
		s0 := len(seps)
		seps = appendSeps(seps, seg, fs)
		s := segment{b: seg, seps: seps[s0:len(seps):len(seps)]}
		if !validName(s.name()) {
			e := newParseError(text, pos, ErrSegmentName, fmt.Sprintf("%q (a segment starts with three letters or digits and the field separator %q)", clip(seg, 8), fs))
			e.Segment = len(m.segs) + 1
			return e
		}
		s.hdr = isHeaderName(s.name())
		m.segs = append(m.segs, s)
		lastEnd, pos = end, next
	}
	m.segs[len(m.segs)-1].trail = text[lastEnd:]
	return nil
}

// appendSeps appends the offsets of fs in seg. Fields are mostly short, so it looks a few bytes
// ahead one at a time (cheaper than a call per field) and hands long runs — a base64
// document — to the vectorised bytes.IndexByte.
func appendSeps(seps []int32, seg []byte, fs byte) []int32 {
	const short = 16
	for i, n := 0, len(seg); i < n; {
		end := min(i+short, n)
		j := i
		for j < end && seg[j] != fs {
			j++
		}
		if j < end {
			seps = append(seps, int32(j))
			i = j + 1
			continue
		}
		if end == n {
			break
		}
		k := bytes.IndexByte(seg[end:], fs)
		if k < 0 {
			break
		}
		seps = append(seps, int32(end+k))
		i = end + k + 1
	}
	return seps
}

// segmentEnd returns the end of the segment starting at pos and the start of what follows its
// terminator.
func segmentEnd(text []byte, pos int, term Terminators, lfOnly bool) (end, next int) {
	rest := text[pos:]
	var i int
	switch {
	case lfOnly:
		i = bytes.IndexByte(rest, '\n')
	case term == TerminatorsAny:
		i = bytes.IndexAny(rest, "\r\n")
	default:
		i = bytes.IndexByte(rest, '\r')
	}
	if i < 0 {
		return len(text), len(text)
	}
	end = pos + i
	next = end + 1
	if text[end] == '\r' && term != TerminatorsCR && next < len(text) && text[next] == '\n' {
		next++
	}
	return end, next
}

// trailingLineEnd returns where the last segment of a message, which no CR ends, stops: before
// a line feed, NUL or end-of-file mark in the blank bytes it ends with. A CR-terminated message
// whose file adds a final LF ("MSH…\rPID|x\n") would otherwise have "x\n" as its last value;
// an LF followed by text is still text (row 3), and trailing spaces alone stay data.
func trailingLineEnd(seg []byte) int {
	k := len(seg)
	for k > 0 && isBlank(seg[k-1:k]) {
		k--
	}
	for i := k; i < len(seg); i++ {
		switch seg[i] {
		case '\n', 0, 0x1A:
			return i
		}
	}
	return len(seg)
}

// isBlank reports whether b holds only white space, line ends, NULs or a DOS end-of-file mark.
func isBlank(b []byte) bool {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n', '\f', '\v', 0, 0x1A:
		default:
			return false
		}
	}
	return true
}

// skipBlank returns the offset of the first byte from i that is not blank.
func skipBlank(b []byte, i int) int {
	for i < len(b) && isBlank(b[i:i+1]) {
		i++
	}
	return i
}

func clip(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

func validName(name []byte) bool {
	return len(name) == 3 && isAlnum(name[0]) && isAlnum(name[1]) && isAlnum(name[2])
}

// name returns the segment name: the bytes before the first field separator.
func (s *segment) name() []byte {
	if len(s.seps) > 0 {
		return s.b[:s.seps[0]]
	}
	return s.b
}

// nameString returns the name without copying: edits splice within fields and never write
// the name's bytes. The name of a segment in an arena block is interned instead, as the block
// may hold another message's bytes after Release, and a name is a string callers keep.
func (s *segment) nameString() string {
	n := s.name()
	if len(n) == 0 {
		return ""
	}
	if s.pooled {
		return internName(n)
	}
	return unsafe.String(&n[0], len(n))
}

// numFields returns the number of fields, counted the HL7 way.
func (s *segment) numFields() int {
	if s.hdr {
		return len(s.seps) + 1
	}
	return len(s.seps)
}

// field returns the bytes of field n (1-based, counted the HL7 way) and whether it exists.
func (s *segment) field(n int) ([]byte, bool) {
	if s.hdr {
		if n == 1 {
			if len(s.seps) == 0 {
				return nil, false
			}
			i := s.seps[0]
			return s.b[i : i+1], true
		}
		n--
	}
	if n < 1 || n > len(s.seps) {
		return nil, false
	}
	start := s.seps[n-1] + 1
	if n == len(s.seps) {
		return s.b[start:], true
	}
	return s.b[start:s.seps[n]], true
}

// offsetIn returns the offset of sub within b; sub must be a subslice of b.
func offsetIn(b, sub []byte) int64 {
	if len(b) == 0 || cap(sub) == 0 {
		return 0
	}
	return int64(uintptr(unsafe.Pointer(unsafe.SliceData(sub[:1]))) - uintptr(unsafe.Pointer(unsafe.SliceData(b))))
}

// headerCharset returns the first repetition of MSH-18, trimmed.
func (m *Message) headerCharset() string { return string(m.headerCharsetBytes()) }

// headerCharsetBytes is headerCharset as a view of the header's bytes.
func (m *Message) headerCharsetBytes() []byte {
	if len(m.segs) == 0 {
		return nil
	}
	return m.charsetOf(&m.segs[0])
}

// charsetOf returns the first repetition of field 18 of the header h, trimmed.
func (m *Message) charsetOf(h *segment) []byte {
	f, ok := h.field(18)
	if !ok {
		return nil
	}
	if r := m.delims.Repetition; r != 0 {
		if i := bytes.IndexByte(f, r); i >= 0 {
			f = f[:i]
		}
	}
	return bytes.TrimSpace(f)
}

// syncCharset follows an edit of segment i: when it is the header and its MSH-18 now names
// another character set that this package can write, the message is encoded in that set from
// now on, so that Bytes says what MSH-18 says (a mapping that sets MSH-18 to "UNICODE UTF-8"
// converts the message). An MSH-18 that is emptied or names a set this package cannot write
// leaves the encoding as it was. checkCharsetChange has made sure the text fits the new set.
func (m *Message) syncCharset(i int) {
	if i != 0 || len(m.segs) == 0 {
		return
	}
	f := m.headerCharsetBytes()
	if string(f) == m.declared {
		return
	}
	cs := string(f)
	m.declared = cs
	if cs == "" {
		return
	}
	enc, err := lookupCharset(cs)
	if err != nil {
		return
	}
	if m.enc == nil && singleByte(enc) {
		// Bytes read as they are that are not UTF-8 are in some single-byte set, and MSH-18
		// now says which: read them in it, so that the text is UTF-8 again and encodes back to
		// the same bytes.
		dec := enc.NewDecoder()
		for k := range m.segs {
			s := &m.segs[k]
			if utf8.Valid(s.b) {
				continue
			}
			b, err := dec.Bytes(s.b)
			if err != nil {
				continue // not for a single-byte set, whose every byte decodes
			}
			s.b, s.seps, s.own, s.pooled = b, indexSeps(b, m.delims.Field), nil, false
		}
	}
	m.charset, m.enc = cs, enc
}

// singleByte reports whether enc is a single-byte, ASCII-based character set (8859/n, the
// Windows code pages), in which every byte is one character.
func singleByte(enc encoding.Encoding) bool {
	_, ok := enc.(*charmap.Charmap)
	return ok
}

// headerAfter returns the header as an edit would leave it, without changing m: edit runs on a
// message holding a copy of the header, which copies the header's bytes before writing (they
// are not its own).
func (m *Message) headerAfter(edit func(t *Message)) *segment {
	t := &Message{delims: m.delims, declared: m.declared, charset: m.charset, enc: m.enc}
	t.segs = []segment{m.segs[0]}
	edit(t)
	return &t.segs[0]
}

// checkCharsetChange reports, for an edit at p that leaves the header as h, an MSH-18 that
// would name a character set the message's text cannot be written in. syncCharset would switch
// Bytes to that set, and then find characters it cannot encode (Bytes would give UTF-8 under an
// MSH-18 that says otherwise), or bytes that are not text at all. Setting MSH-18 to a
// single-byte set on a message read without one whose bytes are not UTF-8 declares what those
// bytes are (see syncCharset) and is not refused.
func (m *Message) checkCharsetChange(p Path, h *segment) error {
	f := m.charsetOf(h)
	if len(f) == 0 || string(f) == m.declared {
		return nil
	}
	cs := string(f)
	enc, err := lookupCharset(cs)
	if err != nil {
		return nil // an unknown set leaves the encoding as it is
	}
	reread := m.enc == nil && singleByte(enc)
	for k := range m.segs {
		s := &m.segs[k]
		if k == 0 {
			s = h
		}
		if !hasNonASCII(s.b) {
			continue
		}
		where := fmt.Sprintf("segment %d (%s)", k+1, s.name())
		if !utf8.Valid(s.b) {
			if reread {
				continue
			}
			return &EscapeError{Path: p.String(), Err: fmt.Errorf("%w: %s holds bytes that are not text in the character set the message was read in (%s), so it cannot be converted to %s; read the message with the channel's default character set set to the one its bytes are in", ErrCharset, where, charsetName(m.charset), cs)}
		}
		if !canEncode(cs, enc, s.b) {
			return &EscapeError{Path: p.String(), Err: fmt.Errorf("%w: MSH-18 %s cannot hold the text already in %s; choose a set that holds it (UNICODE UTF-8), or change that text first", ErrCharset, cs, where)}
		}
	}
	return nil
}

// charsetName names a character set for an error message.
func charsetName(cs string) string {
	if cs == "" {
		return "none: bytes as they are"
	}
	return cs
}

// canEncode reports whether the UTF-8 text b can be written in the character set cs (enc, as
// lookupCharset returns it).
func canEncode(cs string, enc encoding.Encoding, b []byte) bool {
	if enc == nil {
		return !sevenBit(cs) || !hasNonASCII(b)
	}
	_, err := enc.NewEncoder().Bytes(b)
	return err == nil
}

// sevenBit reports whether cs names 7-bit ASCII, which lookupCharset reads as bytes as they
// are but which holds no byte of 0x80 or more.
func sevenBit(cs string) bool {
	switch strings.ToUpper(strings.TrimSpace(cs)) {
	case "ASCII", "ISO IR6", "US-ASCII":
		return true
	}
	return false
}

// checkCharset reports, for an edit at p, text that the message's character set cannot hold:
// written anyway, it would leave Bytes no choice but to give the whole message in UTF-8 under an
// MSH-18 that says otherwise, garbling every other character that is not ASCII.
func (m *Message) checkCharset(p Path, val []byte) error {
	if m.enc == nil || !hasNonASCII(val) {
		return nil
	}
	// A copy for the encoder (an interface): val itself must not escape, or every edit's
	// []byte(raw) conversion would be made on the heap instead of the stack.
	if _, err := m.enc.NewEncoder().Bytes(append([]byte(nil), val...)); err != nil {
		return &EscapeError{Path: p.String(), Err: fmt.Errorf("%w: the message's character set %s (MSH-18) cannot hold the text; change MSH-18 first (to UNICODE UTF-8) or replace the characters", ErrCharset, m.charset)}
	}
	return nil
}

// needsCharsetCheck reports whether text b could be refused by checkCharset: only text that
// is not ASCII, in a message with a character set other than its own bytes. Callers test it
// before building checkCharset's arguments, which would allocate on every edit.
func (m *Message) needsCharsetCheck(b []byte) bool { return m.enc != nil && hasNonASCII(b) }

func hasNonASCIIString(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return true
		}
	}
	return false
}

func hasNonASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return true
		}
	}
	return false
}

// Delimiters returns the delimiters the message was read with.
func (m *Message) Delimiters() Delimiters { return m.delims }

// Charset returns the character set the message was read in: MSH-18, the Parser's default, or
// "" when the bytes were read as they are (ASCII or UTF-8); "UNICODE UTF-8" when a UTF-8 byte
// order mark overrode MSH-18. An edit that sets MSH-18 to a supported set changes it: Bytes
// then encodes the message in that set.
func (m *Message) Charset() string { return m.charset }

// Modified reports whether the message has been edited since it was parsed.
func (m *Message) Modified() bool { return m.dirty }

// Bytes returns the message encoded. An unmodified message returns exactly the bytes it was
// parsed from (the same slice: do not modify it). An edited one is rebuilt from its segments,
// in its own character set; segments that were not edited keep their bytes.
func (m *Message) Bytes() []byte {
	if !m.dirty {
		return m.raw
	}
	out := m.build()
	if m.enc != nil {
		var bom []byte
		if bytes.HasPrefix(m.raw, bomUTF8) && bytes.HasPrefix(out, bomUTF8) {
			// The UTF-8 byte order mark the message came with, which its character set cannot
			// hold: written back as it came.
			bom, out = bomUTF8, out[len(bomUTF8):]
		}
		if enc, err := m.enc.NewEncoder().Bytes(out); err == nil {
			if bom != nil {
				enc = append(bom[:len(bom):len(bom)], enc...)
			}
			return enc
		}
		if bom != nil {
			out = append(bom[:len(bom):len(bom)], out...)
		}
		// A character that the message's own charset cannot hold was set: keep the UTF-8
		// text rather than lose it.
	}
	return out
}

// Text returns the message as UTF-8 text: the same as Bytes for ASCII and UTF-8 messages, the
// decoded text for messages in other character sets.
func (m *Message) Text() []byte {
	if !m.dirty {
		return m.text
	}
	return m.build()
}

// build concatenates the prefix and every segment with its trail.
func (m *Message) build() []byte {
	n := len(m.prefix)
	for i := range m.segs {
		n += len(m.segs[i].b) + len(m.segs[i].trail)
	}
	out := make([]byte, 0, n)
	out = append(out, m.prefix...)
	for i := range m.segs {
		out = append(out, m.segs[i].b...)
		out = append(out, m.segs[i].trail...)
	}
	return out
}

// String returns the message as UTF-8 text.
func (m *Message) String() string { return string(m.Text()) }

// WriteTo writes Bytes to w.
func (m *Message) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(m.Bytes())
	return int64(n), err
}

// Clone returns a copy of m that can be edited without changing m. It is cheap: segment
// bytes are shared until one of the two messages edits them.
func (m *Message) Clone() *Message {
	c := *m
	c.own, c.arena, c.sepArena = nil, nil, nil
	c.blocks, c.sepBlocks = [keptBlocks]*[arenaBlock]byte{}, [keptSepBlocks]*[sepBlock]int32{}
	c.segs, c.list = cloneSegs(m.segs)
	// Segments m edits in place get copies of their own; parsed bytes are shared, never
	// written to. Clone only reads m.
	for i := range c.segs {
		s := &c.segs[i]
		if s.own == nil || s.own != m.own {
			continue
		}
		if c.own == nil {
			c.own = new(owner)
		}
		s.b = append(make([]byte, 0, cap(s.b)), s.b...)
		s.seps = append(make([]int32, 0, cap(s.seps)), s.seps...)
		s.own, s.pooled = c.own, false
	}
	return &c
}

// NumSegments returns the number of segments.
func (m *Message) NumSegments() int { return len(m.segs) }

// Segment returns the segment at position i, counted from 0 as in a Go slice. It panics if i
// is out of range, like a slice index.
func (m *Message) Segment(i int) Segment {
	_ = m.segs[i]
	return Segment{m: m, i: i}
}

// Segments iterates over all segments in order with their positions (from 0).
func (m *Message) Segments() func(yield func(int, Segment) bool) {
	return func(yield func(int, Segment) bool) {
		for i := range m.segs {
			if !yield(i, Segment{m: m, i: i}) {
				return
			}
		}
	}
}

// All iterates over the segments named name, in order.
func (m *Message) All(name string) func(yield func(Segment) bool) {
	return func(yield func(Segment) bool) {
		for i := range m.segs {
			if string(m.segs[i].name()) == name && !yield(Segment{m: m, i: i}) {
				return
			}
		}
	}
}

// First returns the first segment named name.
func (m *Message) First(name string) (Segment, bool) {
	i := m.find(name, 1)
	if i < 0 {
		return Segment{}, false
	}
	return Segment{m: m, i: i}, true
}

// Count returns how many segments are named name.
func (m *Message) Count(name string) int {
	n := 0
	for i := range m.segs {
		if string(m.segs[i].name()) == name {
			n++
		}
	}
	return n
}

// find returns the position of occurrence occ (from 1) of segment name, or -1.
func (m *Message) find(name string, occ int) int {
	if occ < 1 {
		occ = 1
	}
	for i := range m.segs {
		if string(m.segs[i].name()) == name {
			if occ--; occ == 0 {
				return i
			}
		}
	}
	return -1
}

// Segment is a view of one segment of a message. It stays valid until segments are inserted
// or removed before it.
type Segment struct {
	m *Message
	i int
}

func (s Segment) seg() *segment { return &s.m.segs[s.i] }

// Name returns the segment's three-character name.
func (s Segment) Name() string { return s.seg().nameString() }

// Position returns the segment's position in its message, from 0.
func (s Segment) Position() int { return s.i }

// NumFields returns the number of fields present, counted the HL7 way (MSH-1 is a field).
func (s Segment) NumFields() int { return s.seg().numFields() }

// Raw returns the segment's bytes without its terminator.
func (s Segment) Raw() []byte { return s.seg().b }

// String returns the segment's text without its terminator.
func (s Segment) String() string { return string(s.seg().b) }

// Field returns field n (from 1, counted the HL7 way). MSH-1 is the field separator and
// MSH-2 the encoding characters; both are literal values that are not split further.
func (s Segment) Field(n int) Value {
	seg := s.seg()
	b, ok := seg.field(n)
	if !ok {
		return Value{m: s.m}
	}
	lv := lvField
	if seg.hdr && n <= 2 {
		lv = lvLiteral
	}
	return Value{b: b, m: s.m, lv: lv, ok: true}
}

// Fields iterates over the fields present, with their numbers.
func (s Segment) Fields() func(yield func(int, Value) bool) {
	return func(yield func(int, Value) bool) {
		n := s.NumFields()
		for i := 1; i <= n; i++ {
			if !yield(i, s.Field(i)) {
				return
			}
		}
	}
}
