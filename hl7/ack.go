package hl7

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// Acknowledgement codes, HL7 table 0008.
const (
	AckAA = "AA" // original mode: application accept
	AckAE = "AE" // original mode: application error
	AckAR = "AR" // original mode: application reject
	AckCA = "CA" // enhanced mode: commit accept
	AckCE = "CE" // enhanced mode: commit error
	AckCR = "CR" // enhanced mode: commit reject
)

// Error condition codes, HL7 table 0357 (v2.5.1).
const (
	ErrCodeAccepted             = "0"   // Message accepted
	ErrCodeSegmentSequence      = "100" // Segment sequence error
	ErrCodeRequiredFieldMissing = "101" // Required field missing
	ErrCodeDataType             = "102" // Data type error
	ErrCodeTableValue           = "103" // Table value not found
	ErrCodeValueTooLong         = "104" // Value too long (v2.7+)
	ErrCodeUnsupportedMessage   = "200" // Unsupported message type
	ErrCodeUnsupportedEvent     = "201" // Unsupported event code
	ErrCodeUnsupportedProcessID = "202" // Unsupported processing id
	ErrCodeUnsupportedVersion   = "203" // Unsupported version id
	ErrCodeUnknownKey           = "204" // Unknown key identifier
	ErrCodeDuplicateKey         = "205" // Duplicate key identifier
	ErrCodeRecordLocked         = "206" // Application record locked
	ErrCodeInternal             = "207" // Application internal error
)

// errCodeText holds the descriptions of table 0357, written into ERR-3.2 / ERR-1.4.2.
var errCodeText = map[string]string{
	"0": "Message accepted", "100": "Segment sequence error", "101": "Required field missing",
	"102": "Data type error", "103": "Table value not found", "104": "Value too long",
	"200": "Unsupported message type", "201": "Unsupported event code",
	"202": "Unsupported processing id", "203": "Unsupported version id",
	"204": "Unknown key identifier", "205": "Duplicate key identifier",
	"206": "Application record locked", "207": "Application internal error",
}

// ErrCodeText returns the HL7 table 0357 description of code, or "".
func ErrCodeText(code string) string { return errCodeText[code] }

// AckError is one problem reported in an ERR segment.
type AckError struct {
	// Where the problem is: segment name and occurrence, field, repetition, component and
	// sub-component (zero when not known). Written to ERR-2 (v2.5+) or ERR-1 (before).
	Location Path
	// Code is an HL7 table 0357 code (ErrCode...).
	Code string
	// Severity is E (error, the default), W (warning), I (information) or F (fatal), table 0516.
	Severity string
	// Text says what is wrong for a person: ERR-8 (user message) in v2.5+, ERR-1.4.2 before.
	Text string
	// Diagnostic is extra detail for the sending system's support staff, ERR-7 (v2.5+).
	Diagnostic string
}

// AckOptions say what acknowledgement to build.
type AckOptions struct {
	// Code is AA, AE, AR, CA, CE or CR. Empty means AA in original mode and CA in enhanced
	// mode (MSH-15/16 of the inbound message).
	Code string
	// Text is MSA-3, a short explanation. Deprecated by HL7 after v2.4 but read by many
	// receivers; written when given.
	Text string
	// ControlID is the acknowledgement's MSH-10. Empty means a random 20-character ID.
	ControlID string
	// Time is MSH-7. The zero Time means now.
	Time time.Time
	// Version is MSH-12 when the inbound message has none. Empty means 2.5.1.
	Version string
	// Errors become ERR segments: one per error in v2.5 and later, repetitions of ERR-1
	// before.
	Errors []AckError
}

// ACK builds the acknowledgement of m: MSH-1/2 (delimiters), MSH-11 (processing ID), MSH-12
// (version) and MSH-18 (character set) echo the inbound message; MSH-3/4 and MSH-5/6 swap
// whole (every component of the HD); MSH-9 is ACK^<trigger>^ACK (ACK^<trigger> before v2.3.1,
// ACK when the inbound message has no trigger); MSA-2 is the inbound MSH-10.
func (m *Message) ACK(opts AckOptions) (*Message, error) {
	mode := m.AckMode()
	code := opts.Code
	if code == "" {
		code = AckAA
		if mode == EnhancedMode {
			code = AckCA
		}
	}
	switch code {
	case AckAA, AckAE, AckAR, AckCA, AckCE, AckCR:
	default:
		return nil, fmt.Errorf("hl7: ack code %q is not one of AA, AE, AR, CA, CE, CR", code)
	}
	d := m.delims
	if err := d.Validate(); err != nil {
		return nil, err
	}
	term := []byte{'\r'}
	if len(m.segs) > 0 {
		term = m.terminator()
	}
	version := m.rawVersion()
	if version == "" {
		version = opts.Version
	}
	if version == "" {
		version = "2.5.1"
	}
	ts := opts.Time
	if ts.IsZero() {
		ts = time.Now()
	}
	// The acknowledgement is written as text in one buffer and indexed once, as a parsed
	// message is: MSH (fields whole, swapped or echoed as they are encoded, or escaped
	// here), MSA, then the ERR segments, each ended by the inbound message's terminator.
	// Every field is prepared in a buffer on the stack, and the message, its text and its
	// index share one allocation (ackBlock) when they fit.
	var msh [19][]byte
	msh[3], msh[4], msh[5], msh[6] = m.header(5).Raw(), m.header(6).Raw(), m.header(3).Raw(), m.header(4).Raw()
	var tsBuf [32]byte
	msh[7] = appendAckTime(tsBuf[:0], ts)
	var typBuf [32]byte
	typ := append(typBuf[:0], "ACK"...)
	if trig := m.header(9).Comp(2).Raw(); len(trig) > 0 {
		typ = append(append(typ, d.Component), trig...)
		if versionAtLeast(version, 2, 3, 1) {
			typ = append(append(typ, d.Component), "ACK"...)
		}
	}
	msh[9] = typ
	var idBuf [64]byte
	if opts.ControlID == "" {
		msh[10] = appendControlID(idBuf[:0]) // hexadecimal: never a delimiter (Validate)
	} else {
		msh[10] = appendMustEscape(idBuf[:0], &d, opts.ControlID)
	}
	msh[11], msh[12] = m.header(11).Raw(), m.header(12).Raw()
	var verBuf [32]byte
	if len(msh[12]) == 0 {
		msh[12] = appendMustEscape(verBuf[:0], &d, version)
	}
	if mode == EnhancedMode {
		// An acknowledgement asks for no acknowledgement of its own.
		msh[15], msh[16] = []byte("NE"), []byte("NE")
	}
	msh[18] = m.header(18).Raw()
	last := len(msh) - 1
	for last > 2 && len(msh[last]) == 0 {
		last--
	}
	// The usual acknowledgement, MSH and MSA, fits an ackBlock; one with ERR segments is
	// written in a buffer of its own and indexed by index.
	var blk *ackBlock
	var b []byte
	if len(opts.Errors) == 0 {
		blk = new(ackBlock)
		b = blk.text[:0]
	} else {
		b = make([]byte, 0, 192+len(opts.Text)+96*len(opts.Errors))
	}
	var ends [ackSegs]int // where the segments end, before their terminators
	nseg := 0
	endSegment := func(b []byte) []byte {
		if nseg < len(ends) {
			ends[nseg] = len(b)
		}
		nseg++
		return append(b, term...)
	}
	b = append(b, 'M', 'S', 'H', d.Field)
	for _, c := range [...]byte{d.Component, d.Repetition, d.Escape, d.SubComponent, d.Truncation} {
		if c == 0 {
			break // as EncodingCharacters
		}
		b = append(b, c)
	}
	for _, f := range msh[3 : last+1] {
		b = append(append(b, d.Field), f...)
	}
	b = endSegment(b)
	seg := len(b)
	b = append(append(append(append(b, "MSA"...), d.Field), code...), d.Field)
	b = append(b, m.header(10).Raw()...)
	if opts.Text != "" {
		b = appendMustEscape(append(b, d.Field), &d, clipText(opts.Text, 80))
	}
	if hasCRLF(b[seg:]) {
		return nil, fmt.Errorf("%w: a segment holds a line end", ErrSegmentName)
	}
	b = endSegment(b)
	var errs []string
	if versionAtLeast(version, 2, 5) {
		for _, e := range opts.Errors {
			errs = append(errs, errSegment25(d, e))
		}
	} else if len(opts.Errors) > 0 {
		errs = append(errs, errSegmentOld(d, opts.Errors))
	}
	for _, e := range errs {
		if hasLineEnd(e) {
			return nil, fmt.Errorf("%w: a segment holds a line end", ErrSegmentName)
		}
		b = endSegment(append(b, e...))
	}
	b = b[:len(b):len(b)]
	var a *Message
	if blk != nil {
		a = &blk.m
	} else {
		a = &Message{}
	}
	a.raw, a.text = b, b
	if blk == nil || nseg > len(ends) || !a.indexACK(blk, ends[:nseg], term) {
		if err := a.index(0, TerminatorsAuto, true); err != nil {
			return nil, err
		}
	}
	a.charset, a.enc, a.declared = m.charset, m.enc, m.declared
	if a.enc != nil && !identityText(a.charset, a.enc, b) {
		// Bytes gives the message in its character set, as the inbound one came.
		if enc, err := a.enc.NewEncoder().Bytes(b); err == nil {
			a.raw = enc
		}
	}
	return a, nil
}

// ackBlock holds an acknowledgement in one allocation: the message, the index of its
// segments and its text, sized for an MSH and an MSA segment of ordinary length. Whatever
// does not fit (long fields, ERR segments) spills into allocations of its own. The pointer-free
// parts come last, so that the collector scans only the first part of the block.
type ackBlock struct {
	m    Message
	segs [ackSegs]segment
	seps [24]int32
	text [224]byte
}

// ackSegs is the number of segments an ackBlock indexes: MSH and MSA.
const ackSegs = 2

// indexACK indexes a.text, the text ACK wrote, in blk when it has room: the segments end at
// ends, each followed by term. It gives the index index(0, TerminatorsAuto, true) gives
// (ack_reference_test.go holds the two to each other), and reports false, changing nothing,
// when it cannot be sure of that: a line end inside a segment, delimiters or a segment name
// index would refuse, or more separators than blk holds. The caller then calls index.
func (a *Message) indexACK(blk *ackBlock, ends []int, term []byte) bool {
	text := a.text
	d, err := readDelimiters(text)
	if err != nil {
		return false
	}
	fs := d.Field
	start := 0
	for _, end := range ends {
		if hasCRLF(text[start:end]) {
			return false
		}
		start = end + len(term)
	}
	if start != len(text) {
		return false
	}
	seps := blk.seps[:0]
	segs := blk.segs[:0]
	start = 0
	for _, end := range ends {
		body := text[start:end]
		s0 := len(seps)
		seps = appendSeps(seps, body, fs)
		if cap(seps) != len(blk.seps) {
			return false // grown out of the block
		}
		s := segment{b: body, seps: seps[s0:len(seps):len(seps)]}
		if !validName(s.name()) {
			return false
		}
		s.hdr = isHeaderName(s.name())
		s.trail = text[end : end+len(term)]
		segs = append(segs, s)
		start = end + len(term)
	}
	a.delims, a.prefix, a.segs = d, text[:0], segs
	return true
}

// hasCRLF reports whether b holds a carriage return or a line feed. (bytes.ContainsAny builds
// a set at every call.)
func hasCRLF(b []byte) bool {
	return bytes.IndexByte(b, '\r') >= 0 || bytes.IndexByte(b, '\n') >= 0
}

// appendAckTime appends t as the layout "20060102150405-0700" formats it, without parsing
// the layout at every acknowledgement; years outside 0–9999 take time.AppendFormat.
func appendAckTime(dst []byte, t time.Time) []byte {
	year, month, day := t.Date()
	if year < 0 || year > 9999 {
		return t.AppendFormat(dst, "20060102150405-0700")
	}
	hour, minute, sec := t.Clock()
	_, off := t.Zone()
	off /= 60 // minutes: the layout drops the seconds of an offset, and their sign with them
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	dst = append(dst, byte('0'+year/1000), byte('0'+year/100%10), byte('0'+year/10%10), byte('0'+year%10))
	for _, n := range [...]int{int(month), day, hour, minute, sec} {
		dst = append(dst, byte('0'+n/10), byte('0'+n%10))
	}
	return append(dst, sign, byte('0'+off/600), byte('0'+off/60%10), byte('0'+off%60/10), byte('0'+off%10))
}

// rawVersion returns m.Version() without copying when MSH-12.1 holds no escape sequence, as
// it then reads the same: a view of the message's text, to be used before ACK returns and
// not kept.
func (m *Message) rawVersion() string {
	raw := m.header(12).Comp(1).Raw()
	if e := m.delims.Escape; e != 0 && bytes.IndexByte(raw, e) >= 0 {
		return m.Version()
	}
	if len(raw) == 0 {
		return ""
	}
	return unsafe.String(&raw[0], len(raw))
}

// errSegment25 writes one ERR segment in the v2.5+ form: ERR-2 location (ERL), ERR-3 error
// code (CWE from table 0357), ERR-4 severity, ERR-7 diagnostic, ERR-8 user message.
func errSegment25(d Delimiters, e AckError) string {
	f := make([]string, 9)
	f[0] = "ERR"
	f[2] = erl(d, e.Location, false)
	f[3] = errCode(d, e.Code)
	f[4] = e.Severity
	if f[4] == "" {
		f[4] = "E"
	}
	f[7] = mustEscape(d, e.Diagnostic)
	f[8] = mustEscape(d, e.Text)
	return trimFields(d, f)
}

// errSegmentOld writes the pre-2.5 ERR segment: ERR-1 repeats an ELD (segment ID ^ sequence ^
// field position ^ code and text as CE) for each error.
func errSegmentOld(d Delimiters, errs []AckError) string {
	reps := make([]string, 0, len(errs))
	for _, e := range errs {
		code := e.Code
		if code == "" {
			code = ErrCodeInternal
		}
		text := e.Text
		if text == "" {
			text = errCodeText[code]
		}
		ce := code + bs(d.SubComponent) + mustEscape(d, text) + bs(d.SubComponent) + "HL70357"
		reps = append(reps, erl(d, e.Location, true)+bs(d.Component)+ce)
	}
	sep := bs(d.Repetition)
	if d.Repetition == 0 {
		reps = reps[:1]
	}
	return "ERR" + bs(d.Field) + strings.Join(reps, sep)
}

// erl writes an error location: segment ID, occurrence, field, repetition, component,
// sub-component; the old ELD form has only the first three.
func erl(d Delimiters, p Path, old bool) string {
	if p.Segment == "" {
		if old {
			return strings.Repeat(bs(d.Component), 2)
		}
		return ""
	}
	parts := []string{p.Segment, "", "", "", "", ""}
	set := func(i, n int) {
		if n > 0 {
			parts[i] = strconv.Itoa(n)
		}
	}
	set(1, max(p.Occurrence, 1))
	set(2, p.Field)
	if p.Field > 0 {
		set(3, max(p.Repetition, 1))
	}
	set(4, p.Component)
	set(5, p.SubComp)
	if old {
		// The ELD's fourth component is the error code: its first three keep their places
		// even when empty, so that the code never lands in the field position.
		return strings.Join(parts[:3], bs(d.Component))
	}
	for len(parts) > 1 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return strings.Join(parts, bs(d.Component))
}

func errCode(d Delimiters, code string) string {
	if code == "" {
		code = ErrCodeInternal
	}
	c := bs(d.Component)
	return mustEscape(d, code) + c + mustEscape(d, errCodeText[code]) + c + "HL70357"
}

func trimFields(d Delimiters, f []string) string {
	for len(f) > 1 && f[len(f)-1] == "" {
		f = f[:len(f)-1]
	}
	return strings.Join(f, bs(d.Field))
}

// mustEscape escapes text; without an escape character in the message, delimiters are replaced
// by spaces rather than break the acknowledgement's structure.
func mustEscape(d Delimiters, text string) string {
	s, err := d.EscapeText(text)
	if err == nil {
		return s
	}
	b := []byte(text)
	for i, c := range b {
		if d.isDelimiter(c) || c == '\r' || c == '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}

// appendMustEscape appends text to dst as mustEscape writes it.
func appendMustEscape(dst []byte, d *Delimiters, text string) []byte {
	out, err := d.appendEscaped(dst, text)
	if err == nil {
		return out
	}
	start := len(dst) // appendEscaped wrote nothing
	dst = append(dst, text...)
	for i, c := range dst[start:] {
		if d.isDelimiter(c) || c == '\r' || c == '\n' {
			dst[start+i] = ' '
		}
	}
	return dst
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// newControlID returns 20 random hexadecimal characters, within MSH-10's 20-character limit.
// They come from math/rand/v2's generator (ChaCha8, seeded by the operating system), which
// makes 80-bit IDs unique in practice without a system call per acknowledgement, as
// crypto/rand would cost; a control ID identifies, it protects nothing.
func newControlID() string {
	var b [20]byte
	return string(appendControlID(b[:0]))
}

// appendControlID appends the 20 characters of a new control ID (see newControlID) to dst.
func appendControlID(dst []byte) []byte {
	const hexDigits = "0123456789ABCDEF"
	hi, lo := rand.Uint64(), rand.Uint64()
	for i := range 16 {
		dst = append(dst, hexDigits[hi>>(60-4*i)&0xf])
	}
	for i := range 4 {
		dst = append(dst, hexDigits[lo>>(60-4*i)&0xf])
	}
	return dst
}

// versionAtLeast compares a dotted version ("2.5.1", "2.3") with major.minor[.patch]; text that
// is not a version (junk, "") compares as the newest version, as HAPI does for unknown versions.
func versionAtLeast(v string, want ...int) bool {
	rest := v
	for i, w := range want {
		if i > 0 {
			if rest == "" {
				return false // fewer parts than wanted: "2.5" is not 2.5.1
			}
			rest = rest[1:] // the dot
		}
		part := rest
		if j := strings.IndexByte(rest, '.'); j >= 0 {
			part, rest = rest[:j], rest[j:]
		} else {
			rest = ""
		}
		n, err := strconv.Atoi(part)
		if err != nil {
			return true
		}
		if n != w {
			return n > w
		}
	}
	return true
}

// IsACK reports whether m is an acknowledgement (MSH-9.1 is ACK, or it has an MSA segment).
// Never acknowledge an acknowledgement.
func (m *Message) IsACK() bool {
	return m.Type() == "ACK" || m.find("MSA", 1) >= 0
}

// RejectRaw builds an acknowledgement for bytes that did not parse as a message: it reads
// what it can of their MSH segment (delimiters, applications, control ID, version) and falls
// back to |^~\& when even that is unreadable. code is usually AR (or CR in enhanced mode).
func RejectRaw(data []byte, opts AckOptions) *Message {
	if m, err := Parse(data); err == nil {
		if a, err := m.ACK(opts); err == nil {
			return a
		}
	}
	header := data
	if i := bytes.IndexByte(header, 'M'); i >= 0 && i < 8 {
		header = header[i:] // skip a byte order mark or blank lines
	}
	if i := bytes.IndexAny(header, "\r\n"); i >= 0 {
		header = header[:i]
	}
	if m, err := Parse(header); err == nil {
		if a, err := m.ACK(opts); err == nil {
			return a
		}
	}
	m, _ := New(DefaultDelimiters())
	a, err := m.ACK(opts)
	if err != nil {
		opts.Code = AckAR
		a, _ = m.ACK(opts)
	}
	return a
}

// bs returns the one-byte string c. (string(c) on a byte would encode c as a rune.)
func bs(c byte) string { return string([]byte{c}) }
