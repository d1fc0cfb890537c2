package hl7

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// A File is a batch file: an optional FHS/FTS envelope around batches, each an optional
// BHS/BTS envelope around messages. It is also what a plain file of messages one after another
// reads as: one batch without envelope.
//
// Reading (ParseFile, Reader) follows these rules:
//
//   - A message starts at a line that begins with MSH and its field separator; a line that
//     begins with FHS, BHS, BTS or FTS is one envelope segment; every other line belongs to
//     the message before it. Blank lines (white space, NULs, a DOS end-of-file mark 0x1A) and
//     UTF-8 byte order marks between elements are kept for Bytes but belong to no element, so a
//     message's bytes run from its MSH to the terminator of its last segment.
//   - Line ends are CR, LF or CR LF. Each message has its own style, as the Parser's
//     TerminatorsAuto rule reads it: one whose MSH segment ends with CR ends its segments at CR
//     (a lone LF inside is text, as real NTE comments have); one whose MSH segment ends with LF
//     ends them at CR, LF or CR LF. TerminatorsCR and TerminatorsAny apply to the whole file.
//   - Files often hold one message per line with CR inside. With TerminatorsAuto, an LF inside a
//     CR-terminated message that MSH, FHS or BHS (with the message's field separator and valid
//     encoding characters) or BTS or FTS (with its field separator) follows ends the message,
//     and belongs to it as its last segment's trail. An LF before anything else is text.
//   - FHS and BHS define delimiters like MSH (FHS-1 is the field separator); each message still
//     reads its own MSH. BTS and FTS are read with their header's delimiters; without a header,
//     their fourth byte is their field separator.
//   - Headers are optional. Messages without a BHS form a batch without header; a file with FHS
//     but no BHS holds one such batch, and FTS-1 counts it. A BHS ends the batch before it, and
//     an FTS the last batch; a BTS without BHS ends the headerless batch before it.
//   - Errors: text that is not blank before the first MSH, BHS or FHS (ErrNoHeader); a line that
//     is no element after an envelope segment, an FHS that does not start the file, an element
//     after FTS, a BTS that ends no batch (ErrBatch); a message larger than Parser.MaxSize
//     (ErrTooLarge); and whatever Parse reports for a message. Counts are not errors when
//     reading: Check compares them.
//   - A run of blank bytes longer than Parser.MaxSize ends the message before it, even if a
//     segment follows: no message holds that much nothing, and a Reader need not keep it.
//
// Header and Trailer of a File or Batch are one-segment messages, read with the usual API:
// f.Header.Segment(0).Field(9) is FHS-9, f.Header.Get("FHS-11") the file control ID. Batches
// and messages may be edited, added or removed; Bytes writes what the File holds.
type File struct {
	Header  *Message // FHS, nil when absent
	Trailer *Message // FTS, nil when absent
	Batches []*Batch

	// Blank bytes between elements, kept so that Bytes gives back the input.
	lead, afterHeader, afterTrailer []byte
}

var _ io.WriterTo = (*File)(nil)

// A Batch is a group of messages with an optional BHS/BTS envelope.
type Batch struct {
	Header   *Message // BHS, nil when absent
	Trailer  *Message // BTS, nil when absent
	Messages []*Message

	afterHeader, afterTrailer []byte
	after                     [][]byte // after[i] follows Messages[i]
}

// ParseFile reads a batch file, or any data that holds messages one after another, with the
// default Parser. The File keeps references to data: do not modify data afterwards.
func ParseFile(data []byte) (*File, error) {
	var p Parser
	return p.ParseFile(data)
}

// ParseFile reads a batch file with the Parser's options, which apply to each message. The File
// keeps references to data: do not modify data afterwards. It stops at the first error, a
// *ParseError with positions counted in data (a Reader reports each problem and goes on). It
// does not compare the envelope counts: call Check.
func (p *Parser) ParseFile(data []byte) (*File, error) {
	pp := *p
	limit := p.MaxSize
	if limit <= 0 {
		limit = defaultMaxSize
	}
	pp.MaxSize = min(limit, math.MaxInt32)
	var s splitter
	s.init(nil, data, p.Terminators, pp.MaxSize, 0)
	f := new(File)
	var w walker
	w.init(&pp, f, data)
	for {
		tok, err := s.next()
		if err == io.EOF {
			w.end()
			return f, nil
		}
		if err != nil {
			return nil, err
		}
		switch tok.kind {
		case tokGap:
			w.gap(tok)
			continue
		case tokMSH:
		default:
			if tok.tooLarge {
				return nil, s.tooLargeError(tok)
			}
			if err := w.envelope(tok, s.lc.pos()); err != nil {
				return nil, err
			}
			continue
		}
		if err := w.beginMessage(tok); err != nil {
			return nil, err
		}
		if tok.tooLarge {
			return nil, s.tooLargeError(tok)
		}
		m, err := w.parseMessage(tok)
		if err != nil {
			return nil, err
		}
		w.addMessage(tok, m, s.lc.pos())
	}
}

// Messages returns every message of the file, batch after batch.
func (f *File) Messages() []*Message {
	n := 0
	for _, b := range f.Batches {
		n += len(b.Messages)
	}
	all := make([]*Message, 0, n)
	for _, b := range f.Batches {
		all = append(all, b.Messages...)
	}
	return all
}

// Bytes returns the file encoded. For a File read by ParseFile and not modified it is exactly
// the input: blank lines, line ends and byte order marks included. Each element is written as
// its Bytes; an element that does not end with a line end (a message built without a final
// terminator) gets a CR before the next element.
func (f *File) Bytes() []byte {
	var out []byte
	f.walk(func(p piece) bool {
		out = append(out, p.b...)
		return true
	})
	return out
}

// WriteTo writes Bytes to w.
func (f *File) WriteTo(w io.Writer) (int64, error) {
	var n int64
	var err error
	f.walk(func(p piece) bool {
		if len(p.b) == 0 {
			return true
		}
		var k int
		k, err = w.Write(p.b)
		n += int64(k)
		return err == nil
	})
	return n, err
}

// Check compares the envelope counts with what the file holds: BTS-1 with the number of
// messages in its batch, FTS-1 with the number of batches (a batch without BHS counts). An
// empty BTS-1 or FTS-1 is not checked (both are optional in the standard). A BHS without BTS or
// an FHS without FTS is reported too: the file may have been cut short. Each problem is a
// *ParseError wrapping ErrBatch, positioned in Bytes at the count or where the trailer is
// missing; several are joined with errors.Join. Check returns nil when all is well.
func (f *File) Check() error {
	var (
		lc                    lineCounter
		errs                  []error
		fhsAt, ftsAt, lastEnd position
		batchAt, trailerAt    position
	)
	f.walk(func(p piece) bool {
		at := lc.pos()
		lc.add(p.b)
		switch p.role {
		case roleFileHeader:
			fhsAt = at
		case roleFileTrailer:
			ftsAt = at
		case roleBatchBegin:
			batchAt = at
		case roleBatchTrailer:
			trailerAt = at
		case roleBatchEnd:
			if err := checkBatch(p.batch, len(p.batch.Messages), batchAt, trailerAt, lastEnd); err != nil {
				errs = append(errs, err)
			}
		}
		if p.role.isElement() {
			lastEnd = lc.pos()
		}
		return true
	})
	if err := checkFile(f, len(f.Batches), fhsAt, ftsAt, lastEnd); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		return nil
	}
	return joinErrors(errs, 0)
}

// pieceRole tells what a piece of a File's encoding is.
type pieceRole uint8

const (
	roleGap pieceRole = iota
	roleSep           // a CR added after an element that does not end with a line end
	roleFileHeader
	roleFileTrailer
	roleBatchBegin // empty, before a batch's first element
	roleBatchHeader
	roleMessage
	roleBatchTrailer
	roleBatchEnd // empty, after a batch's last element
)

func (r pieceRole) isElement() bool {
	switch r {
	case roleFileHeader, roleFileTrailer, roleBatchHeader, roleMessage, roleBatchTrailer:
		return true
	}
	return false
}

type piece struct {
	role  pieceRole
	b     []byte
	batch *Batch
}

// walk gives the pieces of f's encoding in order, until yield returns false. Bytes, WriteTo
// and Check all walk, so Check's positions are positions in Bytes.
func (f *File) walk(yield func(piece) bool) {
	needSep := false
	elem := func(role pieceRole, m *Message, gap []byte, b *Batch) bool {
		if m == nil {
			return true
		}
		if needSep && !yield(piece{role: roleSep, b: []byte{'\r'}}) {
			return false
		}
		data := m.Bytes()
		needSep = len(data) > 0 && data[len(data)-1] != '\r' && data[len(data)-1] != '\n'
		if !yield(piece{role: role, b: data, batch: b}) {
			return false
		}
		return len(gap) == 0 || yield(piece{role: roleGap, b: gap})
	}
	if len(f.lead) > 0 && !yield(piece{role: roleGap, b: f.lead}) {
		return
	}
	if !elem(roleFileHeader, f.Header, f.afterHeader, nil) {
		return
	}
	for _, b := range f.Batches {
		if !yield(piece{role: roleBatchBegin, batch: b}) || !elem(roleBatchHeader, b.Header, b.afterHeader, b) {
			return
		}
		for i, m := range b.Messages {
			var gap []byte
			if i < len(b.after) {
				gap = b.after[i]
			}
			if !elem(roleMessage, m, gap, b) {
				return
			}
		}
		if !elem(roleBatchTrailer, b.Trailer, b.afterTrailer, b) || !yield(piece{role: roleBatchEnd, batch: b}) {
			return
		}
	}
	elem(roleFileTrailer, f.Trailer, f.afterTrailer, nil)
}

// checkBatch compares BTS-1 with n, the number of messages of batch b. start is where the
// batch begins, trailerAt where its BTS is, end where its last element ends.
func checkBatch(b *Batch, n int, start, trailerAt, end position) error {
	where := fmt.Sprintf("the batch that starts at line %d", start.line)
	if b.Header != nil {
		where = fmt.Sprintf("the batch begun by BHS at line %d", start.line)
	}
	if b.Trailer == nil {
		if b.Header == nil {
			return nil
		}
		return posError(end, ErrBatch, "BTS", where+" has no BTS; the file may have been cut short")
	}
	return checkCount(b.Trailer, trailerAt, "BTS", n, "message", where)
}

// checkFile compares FTS-1 with n, the number of batches of f.
func checkFile(f *File, n int, fhsAt, ftsAt, end position) error {
	if f.Trailer == nil {
		if f.Header == nil {
			return nil
		}
		return posError(end, ErrBatch, "FTS", fmt.Sprintf("the file begun by FHS at line %d has no FTS; the file may have been cut short", fhsAt.line))
	}
	return checkCount(f.Trailer, ftsAt, "FTS", n, "batch", "the file")
}

// checkCount compares field 1 of trailer (at position at) with n.
func checkCount(trailer *Message, at position, name string, n int, unit, where string) error {
	if trailer.NumSegments() == 0 {
		return nil
	}
	v := trailer.Segment(0).Field(1)
	s := strings.TrimSpace(string(v.Raw()))
	if s == "" {
		return nil
	}
	if o := v.Offset(); o >= 0 && !trailer.Modified() {
		at.off += int64(o)
		at.col += o
	}
	want, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return posError(at, ErrBatch, name, fmt.Sprintf("%s-1 %q is not a count of %s", name, clip([]byte(s), 20), plural(2, unit)[2:]))
	}
	if int(want) != n {
		return posError(at, ErrBatch, name, fmt.Sprintf("%s-1 is %d but %s holds %s; a %s is missing or %s-1 is wrong", name, want, where, plural(n, unit), unit, name))
	}
	return nil
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	if strings.HasSuffix(unit, "ch") {
		return strconv.Itoa(n) + " " + unit + "es"
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// walker follows the structure of a file element by element, for ParseFile (keep: it builds
// the whole File, sharing the input) and for Reader (it keeps only the open envelopes and
// counts, and checks each batch as it ends).
type walker struct {
	p    *Parser
	keep bool
	f    *File

	started bool // an element has been read
	ended   bool // FTS has been read
	cur     *Batch
	curN    int // messages in cur
	batches int

	curAt, trailerAt, fhsAt, ftsAt position
	last                           tokKind
	lastAt, lastEnd                position
	delims                         Delimiters // of the last MSH, BHS or FHS

	data    []byte  // keep: the input
	gapTo   *[]byte // keep: where the next blank run goes
	gapOff  int64   // input offset where *gapTo starts
	errs    []error // streaming: count problems, reported at the end
	dropped int
}

func (w *walker) init(p *Parser, f *File, data []byte) {
	*w = walker{p: p, keep: f != nil, f: f, data: data}
	if f == nil {
		w.f = new(File)
	}
	w.gapTo = &w.f.lead
}

// gap keeps a blank run after the last element (ParseFile only).
func (w *walker) gap(tok token) {
	if !w.keep {
		return
	}
	if len(*w.gapTo) == 0 {
		*w.gapTo, w.gapOff = tok.b[:len(tok.b):len(tok.b)], tok.at.off
		return
	}
	// Runs are contiguous in the input: one slice covers both.
	end := tok.at.off + int64(len(tok.b))
	*w.gapTo = w.data[w.gapOff:end:end]
}

// envelope reads an FHS, BHS, BTS or FTS token (or a line that is no element). end is the
// position after it.
func (w *walker) envelope(tok token, end position) error {
	if tok.kind == tokOther || !w.started && (tok.kind == tokBTS || tok.kind == tokFTS) {
		line := clip(tok.b, 16)
		if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
			line = line[:i]
		}
		if !w.started {
			return posError(tok.at, ErrNoHeader, "", fmt.Sprintf("found %q where a file starts with MSH, BHS or FHS", line))
		}
		return posError(tok.at, ErrBatch, "", fmt.Sprintf("%q after %s (line %d) is outside any message; a message starts with MSH", line, w.last, w.lastAt.line))
	}
	name := tok.kind.String()
	if w.ended {
		return posError(tok.at, ErrBatch, name, fmt.Sprintf("%s after FTS (line %d); FTS ends the file (were two files joined?)", name, w.ftsAt.line))
	}
	if !w.keep {
		tok.b = bytes.Clone(tok.b)
	}
	switch tok.kind {
	case tokFHS:
		if w.started {
			return posError(tok.at, ErrBatch, name, "FHS is not the first segment of the file; only one FHS may start a file (were two files joined?)")
		}
		m, err := w.header(tok)
		if err != nil {
			return err
		}
		w.f.Header, w.fhsAt, w.gapTo = m, tok.at, &w.f.afterHeader
	case tokBHS:
		m, err := w.header(tok)
		if err != nil {
			return err
		}
		w.closeBatch()
		w.openBatch(m, tok.at)
		w.gapTo = &w.cur.afterHeader
	case tokBTS:
		if w.cur == nil {
			return posError(tok.at, ErrBatch, name, fmt.Sprintf("BTS after %s (line %d) ends no batch; a batch starts with BHS or MSH", w.last, w.lastAt.line))
		}
		m, err := w.trailer(tok, w.cur.Header)
		if err != nil {
			return err
		}
		b := w.cur
		b.Trailer, w.trailerAt = m, tok.at
		w.closeBatch()
		w.gapTo = &b.afterTrailer
	case tokFTS:
		m, err := w.trailer(tok, w.f.Header)
		if err != nil {
			return err
		}
		w.closeBatch()
		w.f.Trailer, w.ftsAt, w.ended, w.gapTo = m, tok.at, true, &w.f.afterTrailer
	}
	w.started, w.last, w.lastAt, w.lastEnd = true, tok.kind, tok.at, end
	return nil
}

// header reads an FHS or BHS line as a one-segment message.
func (w *walker) header(tok token) (*Message, error) {
	m := &Message{raw: tok.b, text: tok.b}
	if err := m.index(0, w.p.Terminators, false); err != nil {
		return nil, shiftError(err, tok.at)
	}
	w.delims = m.delims
	return m, nil
}

// trailer reads a BTS or FTS line as a one-segment message, with the delimiters of hdr, its
// header, when there is one.
func (w *walker) trailer(tok token, hdr *Message) (*Message, error) {
	b := tok.b
	content := b
	switch {
	case w.p.Terminators != TerminatorsCR && bytes.HasSuffix(b, []byte("\r\n")):
		content = b[:len(b)-2]
	case bytes.HasSuffix(b, []byte{'\r'}), w.p.Terminators != TerminatorsCR && bytes.HasSuffix(b, []byte{'\n'}):
		content = b[:len(b)-1]
	}
	content = content[:len(content):len(content)]
	var d Delimiters
	switch {
	case hdr != nil:
		d = hdr.delims
		if len(content) > 3 && content[3] != d.Field {
			e := posError(tok.at, ErrDelimiters, tok.kind.String(), fmt.Sprintf("%s uses the field separator %q but its header %s defines %q", tok.kind, content[3], hdr.Segment(0).Name(), d.Field))
			e.Column += 3
			e.Offset += 3
			return nil, e
		}
	case len(content) > 3 && content[3] != w.delims.Field:
		d = delimitersWithField(content[3])
	default:
		d = w.delims
	}
	seg := segment{b: content, trail: b[len(content):], seps: indexSeps(content, d.Field)}
	return &Message{raw: b, text: b, segs: []segment{seg}, delims: d}, nil
}

// delimitersWithField returns the default delimiters with fs as the field separator, leaving
// out any that fs replaces.
func delimitersWithField(fs byte) Delimiters {
	d := DefaultDelimiters()
	d.Field = fs
	for _, c := range []*byte{&d.Component, &d.Repetition, &d.Escape, &d.SubComponent} {
		if *c == fs {
			*c = 0
		}
	}
	return d
}

// beginMessage checks that a message may come here, and opens a batch without header for it
// when none is open.
func (w *walker) beginMessage(tok token) error {
	if w.ended {
		return posError(tok.at, ErrBatch, "MSH", fmt.Sprintf("MSH after FTS (line %d); FTS ends the file (were two files joined?)", w.ftsAt.line))
	}
	if w.cur == nil {
		w.openBatch(nil, tok.at)
	}
	return nil
}

// parseMessage parses a message token with the Parser's options.
func (w *walker) parseMessage(tok token) (*Message, error) {
	p := w.p
	if tok.lfFirst && p.Terminators == TerminatorsAuto {
		any := *p
		any.Terminators = TerminatorsAny
		p = &any
	}
	m, err := p.Parse(tok.b)
	if err != nil {
		return nil, shiftError(err, tok.at)
	}
	w.delims = m.delims
	return m, nil
}

// addMessage counts a message (m is nil when it did not parse) in the open batch.
func (w *walker) addMessage(tok token, m *Message, end position) {
	w.curN++
	if w.keep {
		w.cur.Messages = append(w.cur.Messages, m)
		w.cur.after = append(w.cur.after, nil)
		w.gapTo = &w.cur.after[len(w.cur.after)-1]
	}
	w.started, w.last, w.lastAt, w.lastEnd = true, tokMSH, tok.at, end
}

func (w *walker) openBatch(hdr *Message, at position) {
	w.cur, w.curN, w.curAt = &Batch{Header: hdr}, 0, at
	w.batches++
	if w.keep {
		w.f.Batches = append(w.f.Batches, w.cur)
	}
}

// closeBatch ends the open batch; a streaming walker checks its count now.
func (w *walker) closeBatch() {
	if w.cur == nil {
		return
	}
	if !w.keep {
		w.report(checkBatch(w.cur, w.curN, w.curAt, w.trailerAt, w.lastEnd))
	}
	w.cur = nil
}

// end closes what is open at the end of the input.
func (w *walker) end() {
	w.closeBatch()
	if !w.keep {
		w.report(checkFile(w.f, w.batches, w.fhsAt, w.ftsAt, w.lastEnd))
	}
}

func (w *walker) report(err error) {
	if err == nil {
		return
	}
	if len(w.errs) == maxReaderEnvelopeErrors {
		w.dropped++
		return
	}
	w.errs = append(w.errs, err)
}

// Envelope holds the fields of an FHS or BHS segment that a sender fills in. FHS builds a file
// header from it, BHS a batch header; the two segments have the same fields.
type Envelope struct {
	// Delimiters are the message delimiters the header declares; zero means DefaultDelimiters.
	Delimiters Delimiters
	// The applications and facilities (-3 to -6) are hierarchic designators (HD), written as
	// given: components are separated by the component separator ("LAB^1.2.3^ISO").
	SendingApplication, SendingFacility     string
	ReceivingApplication, ReceivingFacility string
	// Time (-7) is the file or batch creation time, written to the second with its UTC offset;
	// zero leaves the field empty.
	Time time.Time
	// The remaining fields are text, escaped as Message.Set escapes. Name (-9) is the file
	// name or ID (FHS), or the batch name, ID or type (BHS).
	Security           string // -8
	Name               string // -9
	Comment            string // -10
	ControlID          string // -11
	ReferenceControlID string // -12
}

// FHS returns a file header segment holding e, as a one-segment message ended by CR.
func (e Envelope) FHS() (*Message, error) { return e.build("FHS") }

// BHS returns a batch header segment holding e, as a one-segment message ended by CR.
func (e Envelope) BHS() (*Message, error) { return e.build("BHS") }

func (e Envelope) build(name string) (*Message, error) {
	d := e.Delimiters
	if d == (Delimiters{}) {
		d = DefaultDelimiters()
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("hl7: build %s: %w", name, err)
	}
	b := append([]byte(name), d.Field)
	b = append(b, d.EncodingCharacters()...)
	m := &Message{delims: d, dirty: true}
	m.segs = []segment{{b: b, trail: []byte{'\r'}, seps: indexSeps(b, d.Field), hdr: true}}
	raw := []struct {
		n int
		v string
	}{{3, e.SendingApplication}, {4, e.SendingFacility}, {5, e.ReceivingApplication}, {6, e.ReceivingFacility}}
	if !e.Time.IsZero() {
		raw = append(raw, struct {
			n int
			v string
		}{7, e.Time.Format("20060102150405-0700")})
	}
	for _, f := range raw {
		if f.v == "" {
			continue
		}
		if strings.IndexByte(f.v, d.Field) >= 0 {
			return nil, &EscapeError{Path: fmt.Sprintf("%s-%d", name, f.n), Err: fmt.Errorf("%w: a hierarchic designator holds the field separator %q", ErrReadOnly, d.Field)}
		}
		if err := m.SetRawAt(Path{Segment: name, Field: f.n}, f.v); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		n int
		v string
	}{{8, e.Security}, {9, e.Name}, {10, e.Comment}, {11, e.ControlID}, {12, e.ReferenceControlID}} {
		if f.v == "" {
			continue
		}
		if err := m.SetAt(Path{Segment: name, Field: f.n}, f.v); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Writer writes a batch file: an optional FHS, batches each with an optional BHS, the
// messages, and the trailers with their counts filled in (BTS-1, the messages of the batch;
// FTS-1, the batches of the file). Envelope segments end with CR. Each message is written as
// its Bytes, from its MSH: whatever line ends it has are kept, and a CR is added if it does not
// end with one.
//
// Call BeginFile first if the file has an FHS, then BeginBatch for each batch with a BHS (or
// Write messages without one), and Close at the end. A Writer does not buffer: wrap w in a
// bufio.Writer for many small messages. After an error, every call returns it.
type Writer struct {
	out      io.Writer
	err      error
	fhs, bhs *Message
	started  bool // something has been written
	inBatch  bool // a batch is open: begun by BeginBatch (bhs set) or by a message
	n        int  // messages in the open batch
	batches  int
	closed   bool
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{out: w} }

// BeginFile writes the file header fhs (see Envelope.FHS). It must come first.
func (w *Writer) BeginFile(fhs *Message) error {
	if err := w.usable(); err != nil {
		return err
	}
	if err := isEnvelope(fhs, "FHS"); err != nil {
		return err
	}
	if w.started {
		return fmt.Errorf("hl7: begin file: %w: the FHS must be the first segment of the file", ErrBatch)
	}
	w.fhs = fhs
	return w.element(fhs.Bytes())
}

// BeginBatch ends the open batch, if any, and writes the batch header bhs (see Envelope.BHS).
func (w *Writer) BeginBatch(bhs *Message) error {
	if err := w.usable(); err != nil {
		return err
	}
	if err := isEnvelope(bhs, "BHS"); err != nil {
		return err
	}
	if err := w.endBatch(); err != nil {
		return err
	}
	w.bhs, w.inBatch, w.n = bhs, true, 0
	w.batches++
	return w.element(bhs.Bytes())
}

// Write writes message m in the open batch. Outside a batch begun by BeginBatch, messages form
// a batch without BHS and BTS, as a plain file of messages is.
func (w *Writer) Write(m *Message) error {
	if err := w.usable(); err != nil {
		return err
	}
	if m == nil || m.NumSegments() == 0 || m.Segment(0).Name() != "MSH" {
		return fmt.Errorf("hl7: write batch: %w: the message does not start with MSH", ErrNoHeader)
	}
	if !w.inBatch {
		w.inBatch, w.bhs, w.n = true, nil, 0
		w.batches++
	}
	w.n++
	b := m.Bytes()
	if len(m.prefix) > 0 && bytes.HasPrefix(b, m.prefix) {
		// A byte order mark or blank lines before the MSH have no place inside a file.
		b = b[len(m.prefix):]
	}
	return w.element(b)
}

// EndBatch writes the BTS of the batch begun by BeginBatch, with the number of messages written
// since.
func (w *Writer) EndBatch() error {
	if err := w.usable(); err != nil {
		return err
	}
	if !w.inBatch || w.bhs == nil {
		return fmt.Errorf("hl7: end batch: %w: no batch was begun with BeginBatch", ErrBatch)
	}
	return w.endBatch()
}

// endBatch closes the open batch, writing the BTS when it has a BHS.
func (w *Writer) endBatch() error {
	if !w.inBatch {
		return nil
	}
	w.inBatch = false
	if w.bhs == nil {
		return nil
	}
	return w.trailer("BTS", w.bhs.delims.Field, w.n)
}

// Close ends the open batch and writes the FTS when the file has an FHS. It does not close the
// underlying writer. Calling Close again does nothing.
func (w *Writer) Close() error {
	if w.closed || w.err != nil {
		return w.err
	}
	if err := w.endBatch(); err != nil {
		return err
	}
	w.closed = true
	if w.fhs == nil {
		return nil
	}
	return w.trailer("FTS", w.fhs.delims.Field, w.batches)
}

func (w *Writer) usable() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return fmt.Errorf("hl7: write batch: %w: the Writer is closed", ErrBatch)
	}
	return nil
}

func (w *Writer) fail(err error) error {
	w.err = err
	return err
}

func (w *Writer) trailer(name string, fs byte, n int) error {
	b := make([]byte, 0, 16)
	b = append(b, name...)
	b = append(b, fs)
	b = strconv.AppendInt(b, int64(n), 10)
	return w.element(append(b, '\r'))
}

// element writes b, adding a CR when it does not end with a line end.
func (w *Writer) element(b []byte) error {
	w.started = true
	if _, err := w.out.Write(b); err != nil {
		return w.fail(fmt.Errorf("hl7: write batch: %w", err))
	}
	if len(b) > 0 && b[len(b)-1] != '\r' && b[len(b)-1] != '\n' {
		if _, err := w.out.Write([]byte{'\r'}); err != nil {
			return w.fail(fmt.Errorf("hl7: write batch: %w", err))
		}
	}
	return nil
}

// isEnvelope checks that m is a one-segment message holding an envelope segment named name.
func isEnvelope(m *Message, name string) error {
	if m == nil || m.NumSegments() != 1 || m.Segment(0).Name() != name {
		return fmt.Errorf("hl7: write batch: %w: expected a single %s segment (build one with Envelope.%s)", ErrBatch, name, name)
	}
	return nil
}
