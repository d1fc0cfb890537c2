package mllp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"net"
	"sync"
	"syscall"
)

// DefaultMaxFrameSize is the largest message a Reader accepts unless told otherwise: 16 MiB,
// enough for a report with an embedded PDF, small enough that a hostile peer cannot exhaust
// memory with a few connections.
const DefaultMaxFrameSize = 16 << 20

// Bytes of the MLLP Release 2 commit acknowledgement blocks. A commit block is a frame whose
// payload is this single byte: 0x0B 0x06 0x1C 0x0D acknowledges, 0x0B 0x15 0x1C 0x0D refuses.
const (
	CommitACK byte = 0x06
	CommitNAK byte = 0x15
)

// Sentinel errors carried by FrameError (test with errors.Is).
var (
	// ErrFrameTooLarge means a frame's payload grew past the maximum frame size. The reader
	// stops buffering at the limit and discards the rest of the frame.
	ErrFrameTooLarge = errors.New("frame larger than the maximum frame size")
	// ErrUnexpectedStart means a start block arrived inside a frame, before its end block.
	ErrUnexpectedStart = errors.New("start block inside a frame")
	// ErrUnexpectedEOF means the stream ended inside a frame.
	ErrUnexpectedEOF = errors.New("stream ended inside a frame")
	// ErrMissingTrailer means an end block (0x1C) was followed by something other than its
	// trailer (0x0D), or by the end of the stream.
	ErrMissingTrailer = errors.New("end block not followed by carriage return")
	// ErrFramingByte means a payload given to a Writer contains a start or end block byte,
	// which would end or restart the frame on the receiving side.
	ErrFramingByte = errors.New("payload contains a framing byte")
	// ErrFraming means a Framing has bytes that cannot delimit frames unambiguously.
	ErrFraming = errors.New("invalid framing bytes")
)

// FrameError reports a framing problem in a stream, with stream offsets counted from 0 like
// csv.ParseError. The frame it concerns is dropped; what the reader does next is described in
// Reader.
type FrameError struct {
	// Start is the offset of the start block of the frame the problem belongs to.
	Start int64
	// Offset is the offset of the byte where the problem was found: the unexpected start
	// block, the byte that should have been the trailer, the first byte past the size limit,
	// or the end of the stream.
	Offset int64
	// Err is ErrFrameTooLarge, ErrUnexpectedStart, ErrUnexpectedEOF or ErrMissingTrailer.
	Err error
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("mllp: frame starting at byte %d: %v at byte %d%s", e.Start, e.Err, e.Offset, frameHint(e.Err))
}

func (e *FrameError) Unwrap() error { return e.Err }

// frameHint tells the person reading a log what to do about a framing error.
func frameHint(err error) string {
	switch err {
	case ErrFrameTooLarge:
		return " (raise MaxFrameSize or have the sender split the message)"
	case ErrUnexpectedStart:
		return " (the sender began a new message before ending the previous one; it must resend it)"
	case ErrUnexpectedEOF:
		return " (the connection closed mid-message; the sender must resend it)"
	case ErrMissingTrailer:
		return " (the sender ends frames without 0x0D; enable lenient framing for this peer)"
	}
	return ""
}

// Framing names the bytes around a frame: Start, then the payload, then End and Trailer.
// The zero Framing means DefaultFraming.
type Framing struct {
	Start   byte
	End     byte
	Trailer byte
}

// DefaultFraming is the MLLP framing of the HL7 transport specification: 0x0B before the
// message, 0x1C 0x0D after it.
var DefaultFraming = Framing{Start: 0x0B, End: 0x1C, Trailer: 0x0D}

func (f Framing) orDefault() Framing {
	if f == (Framing{}) {
		return DefaultFraming
	}
	return f
}

// Validate reports whether f can delimit frames: the three bytes must differ, and Start must
// not be a line feed, which the reader tolerates after a frame.
func (f Framing) Validate() error {
	f = f.orDefault()
	if f.Start == f.End || f.Start == f.Trailer || f.End == f.Trailer {
		return fmt.Errorf("mllp: framing %#02x %#02x %#02x: the three bytes must differ: %w", f.Start, f.End, f.Trailer, ErrFraming)
	}
	if f.Start == '\n' {
		return fmt.Errorf("mllp: framing start byte must not be a line feed: %w", ErrFraming)
	}
	return nil
}

// ReaderOptions configure a Reader. The zero value reads standard MLLP with the default size
// limit, strictly.
type ReaderOptions struct {
	// Framing is the framing to read; zero means DefaultFraming.
	Framing Framing
	// MaxFrameSize is the largest payload accepted, in bytes; zero means DefaultMaxFrameSize.
	MaxFrameSize int
	// Lenient accepts an end block that is not followed by its trailer (0x1C alone, or 0x1C
	// then the end of the stream) as the end of the frame, and resynchronises silently on a
	// start block inside a frame, dropping the partial frame. Strict reading reports both as
	// a FrameError.
	Lenient bool
}

// Reader reads MLLP frames from a stream, front to back.
//
// The rules, in both modes unless said otherwise:
//   - Bytes outside frames (log banners, NULs, stray line feeds) are discarded and counted
//     in Discarded. A single line feed right after a frame's trailer is tolerated and not
//     counted, because many senders end frames with 0x1C 0x0D 0x0A.
//   - Several frames in one read are returned one by one; a frame split over many reads is
//     returned whole. Only complete frames are returned, so a multi-byte character split
//     across reads is never seen cut.
//   - A frame whose payload exceeds MaxFrameSize returns ErrFrameTooLarge as soon as the
//     limit is passed; nothing past the limit is buffered. The rest of the frame, up to its
//     end block or a start block, is discarded by the next call.
//   - End of stream inside a frame returns ErrUnexpectedEOF and drops the partial frame.
//   - A start block inside a frame drops the partial frame and begins a new frame at that
//     start block. Strict: ErrUnexpectedStart is returned first. Lenient: silently.
//   - An end block followed by anything but the trailer, or by the end of the stream.
//     Strict: ErrMissingTrailer, the frame is dropped and reading continues with the byte
//     after the end block. Lenient: the frame ends at the end block, and is returned as
//     soon as the end block is read, without waiting for the byte after it (the sender
//     may be waiting for the answer); a trailer that follows late is still the frame's.
//   - An empty frame (0x0B 0x1C 0x0D) is returned as an empty, non-nil slice.
//
// Every dropped byte, framing bytes included, is counted in Discarded. Errors other than
// FrameError come from the underlying reader and are returned as they are; io.EOF is
// returned only between frames. A timeout can be retried: the partial frame is kept.
//
// A Reader holds no buffer between frames: its buffer returns to a shared pool whenever all
// it read has been returned, so an idle connection costs almost nothing. Reading from a
// *net.TCPConn or *net.UnixConn on Unix, it even waits for data without holding a buffer.
type Reader struct {
	src     io.Reader
	raw     syscall.RawConn // set when src can be waited on without a buffer
	rawFn   func(fd uintptr) bool
	rawN    int
	rawErr  error
	f       Framing
	max     int
	lenient bool
	cfgErr  error

	bufp *[]byte // pooled buffer; nil when released
	buf  []byte
	base int64 // stream offset of buf[0]
	r, w int   // unread bytes are buf[r:w]

	inFrame  bool
	fs       int   // payload of the current frame starts at buf[fs]
	scan     int   // buf[fs:scan] holds no end or start byte
	frameOff int64 // stream offset of the current frame's start block
	skip     bool  // discarding the rest of an oversized frame
	tail     int   // what may follow the last frame or dropped frame: tailTrailer, tailLF, tailEndOnly
	head     []byte
	err      error // pending error from src

	discarded int64

	// before, when set, is called before each read from src with whether a frame is in
	// progress; the server sets its deadlines there.
	before func(inFrame bool) error
}

const (
	tailNone = iota
	tailTrailer
	tailLF
	tailEndOnly // lenient: a frame ended at an end block alone; its trailer may still come
)

// NewReader returns a Reader of frames from r.
func NewReader(r io.Reader, opts ReaderOptions) *Reader {
	rd := &Reader{src: r, f: opts.Framing.orDefault(), max: opts.MaxFrameSize, lenient: opts.Lenient}
	if rd.max == 0 {
		rd.max = DefaultMaxFrameSize
	}
	if rd.max < 0 {
		rd.cfgErr = fmt.Errorf("mllp: MaxFrameSize %d is negative", rd.max)
	}
	if err := rd.f.Validate(); err != nil {
		rd.cfgErr = err
	}
	if rc := rawConnOf(r); rc != nil {
		rd.raw = rc
		rd.rawFn = rd.rawRead
	}
	return rd
}

// Discarded returns the number of bytes read that were not returned as part of a frame: bytes
// between frames and dropped frames, framing bytes included, except the tolerated line feed
// after a frame.
func (r *Reader) Discarded() int64 { return r.discarded }

// Offset returns the stream offset of the next byte ReadFrame will look at.
func (r *Reader) Offset() int64 { return r.base + int64(r.r) }

// Buffered returns the number of bytes read from the stream and not yet returned or dropped.
func (r *Reader) Buffered() int {
	if r.inFrame {
		return r.w - r.fs + 1
	}
	return r.w - r.r
}

// ReadFrame returns the payload of the next frame, without its framing bytes.
//
// The slice points into the Reader's buffer: it is valid until the next call to ReadFrame
// and must not be modified or kept; copy it (bytes.Clone) to keep it. Reading a frame that
// fits in one read costs no allocation; a larger frame costs at most one buffer per doubling
// of size, taken from a shared pool.
func (r *Reader) ReadFrame() ([]byte, error) {
	if r.cfgErr != nil {
		return nil, r.cfgErr
	}
	r.head = nil
	for {
		switch {
		case r.inFrame:
			frame, err, done := r.scanFrame()
			if done {
				return frame, err
			}
			if !r.inFrame {
				continue // resynchronised at a start block: scan from there
			}
		case r.skip:
			if r.skipFrame(); !r.skip {
				continue
			}
		default:
			if r.scanGap(); r.inFrame {
				continue
			}
		}
		// Everything read so far is consumed, or the frame in progress needs more.
		if err := r.fill(); err != nil {
			return r.readError(err)
		}
	}
}

// scanGap consumes bytes between frames up to the next start block.
func (r *Reader) scanGap() {
	for r.r < r.w && r.tail != tailNone {
		c := r.buf[r.r]
		switch {
		case r.tail == tailTrailer && c == r.f.Trailer:
			r.discarded++
			r.r++
			r.tail = tailLF
		case r.tail == tailEndOnly && c == r.f.Trailer:
			r.r++ // the trailer of the frame already returned, late: not discarded
			r.tail = tailLF
		case (r.tail == tailLF || r.tail == tailEndOnly) && c == '\n':
			r.r++
			r.tail = tailNone
		default:
			r.tail = tailNone
		}
	}
	if r.r == r.w {
		return
	}
	i := bytes.IndexByte(r.buf[r.r:r.w], r.f.Start)
	if i < 0 {
		r.discarded += int64(r.w - r.r)
		r.r = r.w
		return
	}
	r.discarded += int64(i)
	start := r.r + i
	r.frameOff = r.base + int64(start)
	r.inFrame = true
	r.fs = start + 1
	r.scan = r.fs
	r.r = r.fs
}

// scanFrame looks for the end of the current frame in the bytes read so far. It reports
// done when it has a frame or an error to return. Whichever comes first in the stream wins:
// a start block, the end block, or the first payload byte past the size limit, so that the
// outcome never depends on how the bytes were split into reads.
func (r *Reader) scanFrame() (frame []byte, err error, done bool) {
	data := r.buf[r.scan:r.w]
	e := bytes.IndexByte(data, r.f.End)
	seg := data
	if e >= 0 {
		seg = data[:e]
	}
	limit := r.fs + r.max // index of the first payload byte past the limit
	if k := bytes.IndexByte(seg, r.f.Start); k >= 0 && r.scan+k <= limit {
		at := r.scan + k
		r.discarded += int64(at - r.fs + 1)
		r.inFrame = false
		r.r = at
		if r.lenient {
			return nil, nil, false
		}
		return nil, &FrameError{Start: r.frameOff, Offset: r.base + int64(at), Err: ErrUnexpectedStart}, true
	} else if k < 0 && e >= 0 && r.scan+e <= limit {
		return r.endFrame(r.scan + e)
	}
	if r.w > limit {
		return nil, r.tooLarge(), true
	}
	r.scan = r.w
	return nil, nil, false
}

// endFrame finishes the frame whose end block is at buf[end].
func (r *Reader) endFrame(end int) (frame []byte, err error, done bool) {
	r.scan = end
	if end+1 >= r.w {
		if !r.lenient {
			return nil, nil, false // the trailer has not arrived yet
		}
		// Lenient: the frame ends here, without waiting for the next byte. A sender that
		// ends frames with 0x1C alone writes nothing more until it gets the answer, so
		// waiting would hold its message until ReadTimeout closes the connection. A trailer
		// (or line feed) that does follow is taken as this frame's, as if read with it.
		r.inFrame = false
		r.r = end + 1
		r.tail = tailEndOnly
		return r.buf[r.fs:end], nil, true
	}
	r.inFrame = false
	frame = r.buf[r.fs:end]
	if r.buf[end+1] == r.f.Trailer {
		r.r = end + 2
		r.tail = tailLF
		return frame, nil, true
	}
	r.r = end + 1
	if r.lenient {
		r.tail = tailLF
		return frame, nil, true
	}
	r.discarded += int64(end - r.fs + 2)
	return nil, &FrameError{Start: r.frameOff, Offset: r.base + int64(end+1), Err: ErrMissingTrailer}, true
}

// tooLarge drops the current frame and switches to discarding the rest of it. The first
// bytes of the frame stay readable through head until the next call, for a rejection.
func (r *Reader) tooLarge() error {
	err := &FrameError{Start: r.frameOff, Offset: r.frameOff + 1 + int64(r.max), Err: ErrFrameTooLarge}
	r.head = r.buf[r.fs:min(r.w, r.fs+maxHead)]
	r.discarded++ // the start block; the payload is counted as skipFrame passes over it
	r.inFrame = false
	r.skip = true
	r.r = r.fs
	return err
}

// maxHead bounds the part of an oversized frame kept for a rejection: enough for any MSH.
const maxHead = 16 << 10

// skipFrame discards the rest of an oversized frame, up to its end block or a start block.
func (r *Reader) skipFrame() {
	data := r.buf[r.r:r.w]
	e := bytes.IndexByte(data, r.f.End)
	seg := data
	if e >= 0 {
		seg = data[:e]
	}
	if k := bytes.IndexByte(seg, r.f.Start); k >= 0 {
		r.discarded += int64(k)
		r.r += k
		r.skip = false
		return
	}
	if e < 0 {
		r.discarded += int64(len(data))
		r.r = r.w
		return
	}
	r.discarded += int64(e + 1)
	r.r += e + 1
	r.skip = false
	r.tail = tailTrailer
}

// awaitingTrailer reports a frame in progress whose end block has been read and whose
// trailer has not arrived: what a strict reader sees of a sender ending frames with 0x1C
// alone while it waits for the answer.
func (r *Reader) awaitingTrailer() bool {
	return r.inFrame && r.scan < r.w && r.buf[r.scan] == r.f.End
}

// readError turns an error from the source into what ReadFrame returns, ending a frame in
// progress at the end of the stream.
func (r *Reader) readError(err error) ([]byte, error) {
	if err != io.EOF {
		return nil, err
	}
	r.skip = false
	if !r.inFrame {
		return nil, io.EOF
	}
	r.inFrame = false
	r.r = r.w
	if r.scan < r.w && r.buf[r.scan] == r.f.End { // end block, then the end of the stream
		if r.lenient {
			return r.buf[r.fs:r.scan], nil
		}
		r.discarded += int64(r.w - r.fs + 1)
		return nil, &FrameError{Start: r.frameOff, Offset: r.base + int64(r.w), Err: ErrMissingTrailer}
	}
	r.discarded += int64(r.w - r.fs + 1)
	return nil, &FrameError{Start: r.frameOff, Offset: r.base + int64(r.w), Err: ErrUnexpectedEOF}
}

// fill reads more bytes from the source, keeping the frame in progress and releasing the
// buffer when nothing in it is needed any more.
func (r *Reader) fill() error {
	if r.err != nil {
		err := r.err
		if err != io.EOF {
			r.err = nil
		}
		return err
	}
	if r.inFrame {
		r.makeRoom()
	} else {
		r.base += int64(r.w)
		r.r, r.w = 0, 0
		r.release()
	}
	if r.before != nil {
		if err := r.before(r.inFrame || r.skip); err != nil {
			return err
		}
	}
	if r.buf == nil && r.raw != nil {
		return r.fillRaw()
	}
	if r.buf == nil {
		r.acquire(bufBase)
	}
	for i := 0; i < 100; i++ {
		n, err := r.src.Read(r.buf[r.w:])
		if n < 0 || n > len(r.buf)-r.w {
			return fmt.Errorf("mllp: reader returned an invalid count %d", n)
		}
		r.w += n
		if err != nil {
			if n > 0 {
				r.err = err
				return nil
			}
			if err == io.EOF {
				r.err = err
			}
			return err
		}
		if n > 0 {
			return nil
		}
	}
	return io.ErrNoProgress
}

// fillRaw waits for the connection to be readable without holding a buffer, then reads into
// a pooled one.
func (r *Reader) fillRaw() error {
	r.rawN, r.rawErr = 0, nil
	if err := r.raw.Read(r.rawFn); err != nil {
		r.release()
		return err
	}
	if r.rawErr != nil {
		r.release()
		return &net.OpError{Op: "read", Net: "tcp", Err: r.rawErr}
	}
	if r.rawN == 0 {
		r.release()
		r.err = io.EOF
		return io.EOF
	}
	r.w += r.rawN
	return nil
}

// makeRoom makes space after the bytes of the frame in progress: it moves the frame to the
// front of the buffer, and doubles the buffer (up to the size limit) when it is mostly full.
func (r *Reader) makeRoom() {
	if len(r.buf)-r.w >= len(r.buf)/4 {
		return
	}
	if r.fs > 0 {
		shift := r.fs
		copy(r.buf, r.buf[shift:r.w])
		r.base += int64(shift)
		r.w -= shift
		r.scan -= shift
		r.fs = 0
		r.r = 0
		if len(r.buf)-r.w >= len(r.buf)/4 {
			return
		}
	}
	limit := r.max + 2 // payload, end block and trailer
	size := min(2*len(r.buf), limit)
	if size <= len(r.buf) {
		return
	}
	oldp, old := r.bufp, r.buf
	if size == limit && size&(size-1) != 0 {
		// The last step to an odd limit: allocate exactly, not the next power of two.
		b := make([]byte, size)
		r.bufp, r.buf = &b, b
	} else {
		r.acquire(size)
		r.buf = r.buf[:min(len(r.buf), limit)]
	}
	copy(r.buf, old[:r.w])
	putBuf(oldp)
}

func (r *Reader) acquire(size int) {
	r.bufp = getBuf(size)
	r.buf = (*r.bufp)[:cap(*r.bufp)]
}

func (r *Reader) release() {
	if r.bufp != nil {
		putBuf(r.bufp)
	}
	r.bufp, r.buf = nil, nil
}

// Writer writes MLLP frames to a stream.
type Writer struct {
	w io.Writer
	f Framing
}

// NewWriter returns a Writer of frames to w; the zero Framing means DefaultFraming.
func NewWriter(w io.Writer, f Framing) *Writer {
	return &Writer{w: w, f: f.orDefault()}
}

// WriteFrame writes p as one frame with a single write when it is small, with a vectored
// write otherwise. It refuses a payload that contains the start or end block byte, which
// would cut or restart the frame on the other side, and returns an error wrapping
// ErrFramingByte without writing anything.
func (w *Writer) WriteFrame(p []byte) error {
	if err := checkPayload(p, w.f); err != nil {
		return err
	}
	return w.write(nil, p)
}

// checkPayload reports a start or end block byte in p.
func checkPayload(p []byte, f Framing) error {
	for _, c := range [2]byte{f.Start, f.End} {
		if i := bytes.IndexByte(p, c); i >= 0 {
			return fmt.Errorf("mllp: payload byte %d is %#02x: %w", i, c, ErrFramingByte)
		}
	}
	return nil
}

// write frames first (if not nil) and then p, already checked, in as few writes as possible.
func (w *Writer) write(first, p []byte) error {
	size := len(p) + 3
	if first != nil {
		size += len(first) + 3
	}
	if size <= maxCopyWrite {
		bp := getBuf(size)
		b := (*bp)[:0]
		if first != nil {
			b = w.appendFrame(b, first)
		}
		if p != nil {
			b = w.appendFrame(b, p)
		}
		_, err := w.w.Write(b)
		putBuf(bp)
		return err
	}
	var head, tail [3]byte
	var vec net.Buffers
	if first != nil {
		vec = append(vec, w.appendFrame(head[:0], first))
	}
	tail[0], tail[1] = w.f.End, w.f.Trailer
	vec = append(vec, []byte{w.f.Start}, p, tail[:2])
	_, err := vec.WriteTo(w.w)
	return err
}

func (w *Writer) appendFrame(b, p []byte) []byte {
	b = append(b, w.f.Start)
	b = append(b, p...)
	return append(b, w.f.End, w.f.Trailer)
}

// maxCopyWrite is the largest frame copied into one buffer for a single write; larger frames
// go out with a vectored write instead of a copy.
const maxCopyWrite = 64 << 10

// Buffers are pooled by size class, powers of two from bufBase, so that a connection holds
// memory only while it reads a frame.
const (
	bufBase    = 4 << 10
	bufClasses = 13 // 4 KiB .. 16 MiB
)

var bufPools [bufClasses]sync.Pool

// getBuf returns a buffer with a capacity of at least size.
func getBuf(size int) *[]byte {
	c := 0
	if size > bufBase {
		c = bits.Len(uint(size-1)) - bits.Len(uint(bufBase-1))
	}
	if c >= bufClasses {
		b := make([]byte, size)
		return &b
	}
	if v := bufPools[c].Get(); v != nil {
		return v.(*[]byte)
	}
	b := make([]byte, bufBase<<c)
	return &b
}

// putBuf returns a buffer to the pool of the largest class it can serve.
func putBuf(bp *[]byte) {
	n := cap(*bp)
	if n < bufBase {
		return
	}
	c := bits.Len(uint(n)) - bits.Len(uint(bufBase))
	if c >= bufClasses {
		return
	}
	*bp = (*bp)[:cap(*bp)]
	bufPools[c].Put(bp)
}
