package hl7

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
)

// defaultReaderMaxSize is the largest message a Reader accepts when its Parser sets no MaxSize.
// A stream is read message by message, so its limit guards memory; Parse's larger default
// applies to data that is already in memory.
const defaultReaderMaxSize = 64 << 20

// readerBufSize is the Reader's initial buffer. It grows to hold the largest message and
// shrinks back after it.
const readerBufSize = 64 << 10

// maxReaderEnvelopeErrors bounds the count problems a Reader keeps for the end of the input, so
// that a file of a million bad batches still streams in constant memory.
const maxReaderEnvelopeErrors = 100

// Reader reads the messages of a batch file, or of any stream that holds messages one after
// another without MLLP framing, one message at a time. It keeps in memory only the message it
// is reading (and the file and batch headers), so a file of any size streams in memory
// proportional to its largest message.
//
// The input is split as ParseFile splits it, and the two agree on every input: see File for
// the rules. Next returns the messages in order; FileHeader and BatchHeader return the FHS and
// BHS around the last one, Offset and Line where it starts.
//
// A Reader is not safe for concurrent use.
type Reader struct {
	p   Parser // options for each message, MaxSize resolved
	s   splitter
	w   walker
	err error // io.EOF once the input has ended, or a read error has ended it

	raw []byte
	at  position
	bhs *Message
}

// NewReader returns a Reader that reads messages from r with the default Parser.
func NewReader(r io.Reader) *Reader {
	var p Parser
	return p.NewReader(r)
}

// NewReader returns a Reader that reads messages from r with the Parser's options: the
// terminator rule, the default character set and MaxSize, which for a Reader defaults to
// 64 MiB. A message larger than MaxSize is skipped and reported (ErrTooLarge) without being
// held in memory, and a run of blank bytes longer than MaxSize ends the message before it, so
// that the Reader holds at most about twice MaxSize whatever the input.
func (p *Parser) NewReader(r io.Reader) *Reader {
	return p.newReader(r, readerBufSize)
}

func (p *Parser) newReader(r io.Reader, bufSize int) *Reader {
	rd := &Reader{p: *p}
	limit := p.MaxSize
	if limit <= 0 {
		limit = defaultReaderMaxSize
	}
	rd.p.MaxSize = min(limit, math.MaxInt32)
	rd.s.init(r, nil, p.Terminators, rd.p.MaxSize, bufSize)
	rd.w.init(&rd.p, nil, nil)
	return rd
}

// Next returns the next message, or io.EOF after the last. The message owns its bytes: later
// calls do not change them.
//
// An error from Next is about one place in the input, and the Reader goes on after it: call
// Next again for the next message. Errors about the input are *ParseError values with
// positions counted in the whole input:
//
//   - a message that does not parse (what Parse reports); Raw returns its bytes;
//   - a message larger than the limit (ErrTooLarge), which is skipped without being held in
//     memory, and still counts in its batch;
//   - input that breaks the file's structure (ErrNoHeader, ErrBatch, ErrDelimiters): a line
//     outside any message, a misplaced FHS, BTS or FTS, or an element after FTS (Raw returns the
//     bytes of such a message). The element is skipped.
//
// After the last message Next checks the envelopes as File.Check does: a BTS-1 or FTS-1 that
// does not match the count, or a BHS or FHS without its trailer. It returns those problems (a
// *ParseError wrapping ErrBatch, or several joined) once instead of io.EOF; the next call
// returns io.EOF. A read error, or input that starts with a UTF-16 byte order mark, ends the
// input: Next returns the error, then io.EOF, without checking the envelopes.
func (r *Reader) Next() (*Message, error) {
	r.raw = nil
	if r.err != nil {
		return nil, r.err
	}
	for {
		tok, err := r.s.next()
		if err == io.EOF {
			r.err = io.EOF
			r.w.end()
			if len(r.w.errs) > 0 {
				return nil, joinErrors(r.w.errs, r.w.dropped)
			}
			return nil, io.EOF
		}
		if err != nil {
			r.err = io.EOF
			return nil, err
		}
		switch tok.kind {
		case tokGap:
			continue
		case tokMSH:
		default:
			if tok.tooLarge {
				return nil, r.s.tooLargeError(tok)
			}
			if err := r.w.envelope(tok, r.s.lc.pos()); err != nil {
				return nil, err
			}
			continue
		}
		r.at = tok.at
		if !tok.tooLarge {
			tok.b = bytes.Clone(tok.b)
			r.raw = tok.b
		}
		if err := r.w.beginMessage(tok); err != nil {
			return nil, err
		}
		var m *Message
		if tok.tooLarge {
			err = r.s.tooLargeError(tok)
		} else {
			m, err = r.w.parseMessage(tok)
		}
		r.w.addMessage(tok, m, r.s.lc.pos())
		r.bhs = r.w.cur.Header
		if err != nil {
			return nil, err
		}
		return m, nil
	}
}

// Raw returns the bytes of the message the last call to Next read, whether it parsed or not,
// from its MSH through its last segment terminator. It is nil when that call read no message:
// after an envelope problem, at the end, or for a message skipped as too large. The caller owns
// the bytes.
func (r *Reader) Raw() []byte { return r.raw }

// Offset returns the byte offset in the input (from 0) where the message Next read last
// starts.
func (r *Reader) Offset() int64 { return r.at.off }

// Line returns the line (from 1) where the message Next read last starts, counting CR, LF
// and CR LF each as one line end.
func (r *Reader) Line() int { return r.at.line }

// FileHeader returns the file's FHS as a one-segment message, or nil when the input has none
// (so far: an FHS is always the first element).
func (r *Reader) FileHeader() *Message { return r.w.f.Header }

// BatchHeader returns the BHS of the batch that holds the message Next read last, as a
// one-segment message, or nil when that batch has no BHS.
func (r *Reader) BatchHeader() *Message { return r.bhs }

// joinErrors returns one error as it is, several joined, and mentions the ones dropped.
func joinErrors(errs []error, dropped int) error {
	if dropped > 0 {
		errs = append(errs, fmt.Errorf("hl7: %w: %d more envelope problems not shown", ErrBatch, dropped))
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// position is a place in the input: a byte offset from 0, a line and a column from 1.
type position struct {
	off       int64
	line, col int
}

// lineCounter follows the position at the end of the bytes given to add, counting CR, LF and
// CR LF each as one line end, as lineCol does, even when a CR and its LF come in two calls.
type lineCounter struct {
	off       int64
	line      int // 0 stands for 1, so that the zero lineCounter is at the start
	lineStart int64
	prevCR    bool
}

func (c *lineCounter) pos() position {
	return position{off: c.off, line: c.line + 1, col: int(c.off-c.lineStart) + 1}
}

func (c *lineCounter) add(b []byte) {
	if len(b) == 0 {
		return
	}
	rest := b
	if c.prevCR && b[0] == '\n' {
		rest = b[1:]
		c.lineStart = c.off + 1
	}
	ncr, nlf := bytes.Count(rest, []byte{'\r'}), bytes.Count(rest, []byte{'\n'})
	if ncr+nlf > 0 {
		n := ncr + nlf
		if ncr > 0 && nlf > 0 {
			n -= bytes.Count(rest, []byte("\r\n"))
		}
		c.line += n
		last := max(bytes.LastIndexByte(b, '\r'), bytes.LastIndexByte(b, '\n'))
		c.lineStart = c.off + int64(last) + 1
	}
	c.off += int64(len(b))
	c.prevCR = b[len(b)-1] == '\r'
}

// posError returns a ParseError at position at.
func posError(at position, err error, name, detail string) *ParseError {
	return &ParseError{Offset: int(at.off), Line: at.line, Column: at.col, SegmentName: name, Err: err, Detail: detail}
}

// shiftError moves the position of an error found in an element (a message or an envelope
// segment parsed on its own) to where the element starts in the whole input.
func shiftError(err error, at position) error {
	var pe *ParseError
	if !errors.As(err, &pe) {
		return err
	}
	e := *pe
	e.Offset += int(at.off)
	if e.Line <= 1 {
		e.Column += at.col - 1
	}
	e.Line += at.line - 1
	return &e
}

// tokKind tells what a token of the input is.
type tokKind uint8

const (
	tokGap   tokKind = iota // blank bytes between elements: spaces, line ends, NULs, 0x1A, BOMs
	tokOther                // a line that starts no element, skipped to the next element; b holds its start
	tokMSH
	tokFHS
	tokBHS
	tokBTS
	tokFTS
)

var tokNames = [...]string{tokGap: "blank", tokOther: "text", tokMSH: "MSH", tokFHS: "FHS", tokBHS: "BHS", tokBTS: "BTS", tokFTS: "FTS"}

func (k tokKind) String() string { return tokNames[k] }

// token is one element of the input, or a run of blank bytes between elements.
type token struct {
	kind tokKind
	b    []byte // the bytes; for tokOther, the start of the line (for the error message)
	at   position
	// lfFirst marks a message read with TerminatorsAuto whose MSH segment ends with LF: its
	// segments end at CR, LF or CR LF, and it is parsed with TerminatorsAny to agree.
	lfFirst bool
	// tooLarge marks an element that was larger than the limit and skipped; b holds the start
	// of its first line only.
	tooLarge bool
}

// headerKind returns which element the line b starts, or tokOther. b must hold at least four
// bytes or reach the end of the input. An element starts with its three-letter name followed
// by the field separator, a line end or the end of the input.
func headerKind(b []byte) tokKind {
	if len(b) < 3 || len(b) > 3 && isAlnum(b[3]) {
		return tokOther
	}
	switch string(b[:3]) {
	case "MSH":
		return tokMSH
	case "FHS":
		return tokFHS
	case "BHS":
		return tokBHS
	case "BTS":
		return tokBTS
	case "FTS":
		return tokFTS
	}
	return tokOther
}

// splitter cuts the input into tokens: elements (a message, or one FHS, BHS, BTS or FTS line)
// and the blank runs between them. It works on a window of the input: the whole input for
// ParseFile, a buffer refilled from an io.Reader for Reader. Scanning is resumable: when the
// window ends before a decision can be made, the splitter reads more and carries on where it
// stopped, so every byte is searched a bounded number of times whatever the read sizes.
type splitter struct {
	term   Terminators
	max    int
	src    io.Reader // nil when buf holds the whole input
	buf    []byte    // buf[r:w] is the input not yet returned as tokens
	r, w   int
	base   int64 // input offset of buf[0]
	eof    bool  // buf[w] is the end of the input
	minBuf int
	lc     lineCounter // position of buf[r]
	cr, lf finder
	ms     msgScan
	sk     skipScan
}

// skipScan is the state of an element being discarded (see startSkip).
type skipScan struct {
	active    bool
	lineStart bool  // buf[r] starts a line
	tok       token // returned when the skip ends
}

// msgScan is the state of a message being scanned across refills.
type msgScan struct {
	active  bool
	started bool  // its MSH line has been read and its terminator style chosen
	crOnly  bool  // its segments end at CR (CR LF counted as one); a lone LF is text
	lfFirst bool  // see token.lfFirst
	end     int64 // input offset where the lines read so far end
	gapTo   int64 // input offset up to which the blank bytes after end have been skipped
	lfDone  int64 // input offset up to which the LFs of a crOnly line are known to be text
}

func (s *splitter) init(src io.Reader, data []byte, term Terminators, max, bufSize int) {
	*s = splitter{term: term, max: max, src: src, minBuf: bufSize}
	s.cr.c, s.lf.c = '\r', '\n'
	if src == nil {
		s.buf, s.w, s.eof = data, len(data), true
	}
}

// errNoProgress guards against a scanner that asks for input after the end: it cannot happen
// unless the splitter has a bug, and then it stops the Reader instead of spinning.
var errNoProgress = errors.New("hl7: internal error: splitter asked for input after the end")

// next returns the next token, or io.EOF after the last.
func (s *splitter) next() (token, error) {
	for {
		tok, ok, err := s.scan()
		if ok || err != nil {
			return tok, err
		}
		if err := s.fill(); err != nil {
			return token{}, err
		}
	}
}

// startSkip starts discarding the element of kind at buf[r]: a line that starts no element
// (tokOther), or an element larger than the limit. The splitter reads on, without keeping what
// it reads, to the next line that starts an element, and returns the discarded element as one
// token.
func (s *splitter) startSkip(kind tokKind, tooLarge bool) {
	line := s.buf[s.r:min(s.w, s.r+16)]
	if i := bytes.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	s.ms = msgScan{}
	s.sk = skipScan{active: true, tok: token{kind: kind, b: bytes.Clone(line), at: s.lc.pos(), tooLarge: tooLarge}}
}

// skip discards input up to the next line that starts an element, then returns the token
// startSkip prepared. Lines end at CR, LF or CR LF here (CR only with TerminatorsCR), whatever
// the style of the element skipped.
func (s *splitter) skip() (tok token, ok bool, err error) {
	sk := &s.sk
	for {
		if sk.lineStart {
			k, more := s.skipGap(s.r)
			s.consume(k - s.r)
			if more {
				return tok, false, nil
			}
			if k == s.w && !s.eof {
				return tok, false, nil
			}
			if k < s.w {
				kind, ok := s.kindAt(k)
				if !ok {
					return tok, false, nil
				}
				if kind == tokOther {
					sk.lineStart = false
					continue
				}
			}
			tok = sk.tok
			*sk = skipScan{}
			return tok, true, nil
		}
		_, next, found, more := s.lineEnd(s.r, s.term == TerminatorsCR)
		switch {
		case found:
			s.consume(next - s.r)
			sk.lineStart = true
		case more:
			n := s.w - s.r
			if n > 0 && s.buf[s.w-1] == '\r' {
				n-- // keep a CR whose LF may come next
			}
			s.consume(n)
			return tok, false, nil
		default:
			s.consume(s.w - s.r)
			sk.lineStart = true // at the end of the input
		}
	}
}

func (s *splitter) tooLargeError(tok token) error {
	what := "the message"
	if tok.kind != tokMSH {
		what = "the " + tok.kind.String() + " segment"
	}
	return posError(tok.at, ErrTooLarge, tok.kind.String(), fmt.Sprintf("%s is larger than %d bytes and was skipped; raise Parser.MaxSize if messages this large are expected", what, s.max))
}

// fill reads more input into buf, making room first.
func (s *splitter) fill() error {
	if s.src == nil || s.eof {
		return errNoProgress
	}
	n := s.w - s.r
	switch {
	case len(s.buf) > 4*s.minBuf && n <= len(s.buf)/8:
		// A large message has gone: give its memory back.
		nb := make([]byte, max(s.minBuf, 2*n))
		copy(nb, s.buf[s.r:s.w])
		s.buf, s.base, s.r, s.w = nb, s.base+int64(s.r), 0, n
	case s.w == len(s.buf) && s.r > 0:
		copy(s.buf, s.buf[s.r:s.w])
		s.base, s.r, s.w = s.base+int64(s.r), 0, n
	}
	if s.w == len(s.buf) {
		// The element fills the buffer: grow it. It holds at most a message of the limit, as
		// many blank bytes after it and a line start, so growth stops near twice the limit.
		size := min(max(2*len(s.buf), s.minBuf), 2*s.max+s.minBuf)
		if size <= len(s.buf) {
			size = len(s.buf) + s.minBuf
		}
		nb := make([]byte, size)
		copy(nb, s.buf[s.r:s.w])
		s.buf, s.base, s.r, s.w = nb, s.base+int64(s.r), 0, n
	}
	for range 100 {
		k, err := s.src.Read(s.buf[s.w:])
		s.w += k
		if err == io.EOF {
			s.eof = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("hl7: read batch: %w", err)
		}
		if k > 0 {
			return nil
		}
	}
	return io.ErrNoProgress
}

// consume returns the next n bytes as consumed.
func (s *splitter) consume(n int) {
	s.lc.add(s.buf[s.r : s.r+n])
	s.r += n
}

// scan tries to cut the next token from the window. ok false with a nil error means it needs
// more input.
func (s *splitter) scan() (tok token, ok bool, err error) {
	if s.sk.active {
		return s.skip()
	}
	if s.ms.active {
		return s.scanMessage()
	}
	if s.r == s.w {
		if s.eof {
			return tok, false, io.EOF
		}
		return tok, false, nil
	}
	at := s.lc.pos()
	if at.off == 0 {
		if s.w-s.r < 2 && !s.eof {
			return tok, false, nil
		}
		if b := s.buf[s.r:s.w]; bytes.HasPrefix(b, bomUTF16BE) || bytes.HasPrefix(b, bomUTF16LE) {
			return tok, false, posError(at, ErrCharset, "", "the input starts with a UTF-16 byte order mark; convert the file to UTF-8 (or an ASCII-based character set) to read it as a batch")
		}
	}
	k, more := s.skipGap(s.r)
	if k > s.r {
		tok = token{kind: tokGap, b: s.buf[s.r:k], at: at}
		s.consume(k - s.r)
		return tok, true, nil
	}
	if more {
		return tok, false, nil
	}
	kind, ok := s.kindAt(s.r)
	if !ok {
		return tok, false, nil
	}
	switch kind {
	case tokOther:
		// Keep the start of the line for the error message: wait for 16 bytes or its end.
		if b := s.buf[s.r:s.w]; len(b) < 16 && !s.eof && bytes.IndexAny(b, "\r\n") < 0 {
			return tok, false, nil
		}
		s.startSkip(tokOther, false)
		return s.skip()
	case tokMSH:
		s.ms = msgScan{active: true}
		return s.scanMessage()
	}
	_, end, _, more := s.lineEnd(s.r, s.term == TerminatorsCR)
	if more {
		return s.needMore(kind)
	}
	return s.emit(kind, end, false)
}

// scanMessage finds the end of the message that starts at buf[r]: the end of its last line
// before a line that starts another element (after blank lines, which are left as a gap) or
// the end of the input.
func (s *splitter) scanMessage() (tok token, ok bool, err error) {
	ms := &s.ms
	if !ms.started {
		termAt, next, found, more := s.lineEnd(s.r, s.term == TerminatorsCR)
		if more {
			return s.needMore(tokMSH)
		}
		if !found {
			return s.emit(tokMSH, s.w, false)
		}
		switch s.term {
		case TerminatorsCR:
			ms.crOnly = true
		case TerminatorsAuto:
			ms.crOnly = s.buf[termAt] == '\r'
			ms.lfFirst = !ms.crOnly
		}
		ms.started = true
		ms.end, ms.gapTo = s.base+int64(next), s.base+int64(next)
	}
	for {
		end := int(ms.end - s.base)
		if end-s.r > s.max {
			s.startSkip(tokMSH, true)
			return s.skip()
		}
		k, more := s.skipGap(int(ms.gapTo - s.base))
		ms.gapTo = s.base + int64(k)
		if k-end > s.max {
			// More blank bytes than a message may hold: they cannot belong to this message
			// without making it too large, so it ends here. This keeps what a stream holds
			// bounded whatever comes after.
			return s.emit(tokMSH, end, ms.lfFirst)
		}
		if more {
			return tok, false, nil
		}
		if k == s.w {
			if !s.eof {
				return tok, false, nil
			}
			return s.emit(tokMSH, end, ms.lfFirst)
		}
		kind, ok := s.kindAt(k)
		if !ok {
			return tok, false, nil
		}
		if kind != tokOther {
			return s.emit(tokMSH, end, ms.lfFirst)
		}
		termAt, next, found, more := s.lineEnd(k, ms.crOnly)
		if ms.crOnly && s.term == TerminatorsAuto {
			// Files hold one message per line with CR inside: an LF in a line that an element
			// follows ends the message, and belongs to it (as a final LF does).
			to := termAt
			if more || !found {
				to = s.w
			}
			from := max(k, int(ms.lfDone-s.base))
			j, decided := s.boundaryLF(from, to, !more)
			if decided && j >= 0 {
				return s.emit(tokMSH, j+1, false)
			}
			if !decided {
				// An LF near the end of the window: the message runs at least to it.
				ms.lfDone = s.base + int64(j)
				if j+1-s.r > s.max {
					s.startSkip(tokMSH, true)
					return s.skip()
				}
				return tok, false, nil
			}
			ms.lfDone = s.base + int64(to)
		}
		if more {
			return s.needMore(tokMSH)
		}
		if !found {
			return s.emit(tokMSH, s.w, ms.lfFirst)
		}
		ms.end, ms.gapTo = s.base+int64(next), s.base+int64(next)
	}
}

// boundaryLF looks in buf[from:to], part of a line of the CR-terminated message that starts
// at buf[r], for an LF that the start of another element follows: MSH, FHS or BHS with the
// message's field separator and valid encoding characters, or BTS or FTS with the message's
// field separator. An LF before anything else is text, as in an NTE comment. final says that
// the line ends at to (a CR, or the end of the input); otherwise more input may follow, and an
// LF whose element cannot be told yet is returned with decided false. It returns the LF's
// offset, or -1 when there is none (decided true).
func (s *splitter) boundaryLF(from, to int, final bool) (j int, decided bool) {
	fs := s.buf[s.r+3] // the MSH line has been read, so it is there
	if fs <= ' ' || fs >= 0x7F || isAlnum(fs) {
		return -1, true
	}
	for from < to {
		j = bytes.IndexByte(s.buf[from:to], '\n')
		if j < 0 {
			return -1, true
		}
		j += from
		from = j + 1
		b := s.buf[j+1 : to]
		if len(b) < 4 {
			if final {
				continue
			}
			return j, false
		}
		if b[3] != fs {
			continue
		}
		switch headerKind(b[:4]) {
		case tokMSH, tokFHS, tokBHS:
			// MSH-2 ends at the next field separator or line end, and is at most 5 bytes.
			if !final && len(b) < 10 && bytes.IndexByte(b[4:], fs) < 0 && bytes.IndexAny(b[4:], "\r\n") < 0 {
				return j, false
			}
			if _, err := readDelimiters(b); err == nil {
				return j, true
			}
		case tokBTS, tokFTS:
			return j, true
		}
	}
	return -1, true
}

// needMore asks for more input to find the end of a line of the element at buf[r]. The line
// ends beyond the window, so when the window already holds more than the limit the element is
// too large whatever comes: skip it now rather than read on.
func (s *splitter) needMore(kind tokKind) (token, bool, error) {
	if s.w-s.r > s.max {
		s.startSkip(kind, true)
		return s.skip()
	}
	return token{}, false, nil
}

// emit returns buf[r:end] as a token of kind and consumes it.
func (s *splitter) emit(kind tokKind, end int, lfFirst bool) (token, bool, error) {
	if end-s.r > s.max {
		s.startSkip(kind, true)
		return s.skip()
	}
	tok := token{kind: kind, b: s.buf[s.r:end], at: s.lc.pos(), lfFirst: lfFirst}
	s.consume(end - s.r)
	s.ms = msgScan{}
	return tok, true, nil
}

// skipGap returns the offset in buf of the first byte from i that is neither blank (as
// isBlank defines it) nor part of a UTF-8 byte order mark, and whether more input is needed
// to tell (a byte order mark cut by the end of the window).
func (s *splitter) skipGap(i int) (int, bool) {
	for {
		i = skipBlank(s.buf[:s.w], i)
		if i < s.w && s.buf[i] == bomUTF8[0] {
			rest := s.buf[i:s.w]
			if len(rest) >= len(bomUTF8) {
				if bytes.HasPrefix(rest, bomUTF8) {
					i += len(bomUTF8)
					continue
				}
			} else if !s.eof && bytes.HasPrefix(bomUTF8, rest) {
				return i, true
			}
		}
		return i, false
	}
}

// kindAt returns the kind of element the line at buf[i] starts, and false when more input
// is needed to tell.
func (s *splitter) kindAt(i int) (tokKind, bool) {
	if s.w-i < 4 && !s.eof {
		return tokOther, false
	}
	return headerKind(s.buf[i:min(i+4, s.w)]), true
}

// lineEnd finds the end of the line that starts at buf[from]: its terminator at termAt, and
// next, the offset after it. crOnly ends lines at CR only; otherwise at CR or LF. A CR
// followed by LF is one terminator unless the Terminators option is TerminatorsCR. found is
// false at the end of the input (next is then w); more is true when more input is needed.
func (s *splitter) lineEnd(from int, crOnly bool) (termAt, next int, found, more bool) {
	i := s.find(&s.cr, from)
	if !crOnly {
		if j := s.find(&s.lf, from); j >= 0 && (i < 0 || j < i) {
			return j, j + 1, true, false
		}
	}
	if i < 0 {
		if s.eof {
			return s.w, s.w, false, false
		}
		return 0, 0, false, true
	}
	if s.term != TerminatorsCR {
		if i+1 == s.w && !s.eof {
			return 0, 0, false, true
		}
		if i+1 < s.w && s.buf[i+1] == '\n' {
			return i, i + 2, true, false
		}
	}
	return i, i + 1, true, false
}

// finder remembers how far the input has been searched for one byte, so that searching for CR
// and for LF in turn reads each byte of the input once, not once per line.
type finder struct {
	c      byte
	lo, hi int64 // the input holds no c in [lo, hi)
	found  bool  // the input holds c at hi
}

// find returns the offset in buf of the first f.c at or after buf[from], or -1 when the window
// holds none.
func (s *splitter) find(f *finder, from int) int {
	abs := s.base + int64(from)
	start := abs
	if abs >= f.lo && abs <= f.hi {
		if f.found {
			return int(f.hi - s.base)
		}
		start = f.hi
	} else {
		f.lo = abs
	}
	i := bytes.IndexByte(s.buf[int(start-s.base):s.w], f.c)
	if i < 0 {
		f.hi, f.found = s.base+int64(s.w), false
		return -1
	}
	f.hi, f.found = start+int64(i), true
	return int(f.hi - s.base)
}
