// Package wire is the binary format of the generated dictionary files: the generator writes it
// and package dict reads it, so both sides share one definition of its primitives.
//
// A file is gzip(payload). The payload starts with Magic and a string table, then carries only
// unsigned varints (encoding/binary's Uvarint) and indexes into that table:
//
//	payload  = Magic, uvarint nstrings, nstrings × (uvarint len, bytes), body
//
// The string table holds every distinct text once, sorted by bytes, with "" always at index 0,
// so a reader can slice all strings from one allocation and equal texts share memory. The body
// is laid out by package dict (docs/dict.md describes it); wire knows only its primitives.
package wire

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
)

// Magic starts every payload: a name and the format number. A reader that finds another
// number refuses the file instead of misreading it.
const Magic = "HL7DICT\x01"

// Writer builds a payload. Strings are collected while the body is written as references and
// laid out, sorted, in front of it by Bytes, so the output depends only on what was written.
type Writer struct {
	body    []ref
	strings map[string]struct{}
}

// ref is one body item: a string reference (s) or a number (n).
type ref struct {
	s     string
	n     uint64
	isStr bool
}

// NewWriter returns an empty Writer.
func NewWriter() *Writer {
	return &Writer{strings: map[string]struct{}{"": {}}}
}

// String appends a reference to s.
func (w *Writer) String(s string) {
	w.strings[s] = struct{}{}
	w.body = append(w.body, ref{s: s, isStr: true})
}

// Uint appends n.
func (w *Writer) Uint(n int) {
	if n < 0 {
		panic(fmt.Sprintf("wire: negative number %d", n))
	}
	w.body = append(w.body, ref{n: uint64(n)})
}

// Bytes returns the payload, uncompressed.
func (w *Writer) Bytes() []byte {
	table := make([]string, 0, len(w.strings))
	for s := range w.strings {
		table = append(table, s)
	}
	sort.Strings(table) // "" sorts first
	index := make(map[string]uint64, len(table))
	for i, s := range table {
		index[s] = uint64(i)
	}
	var b []byte
	b = append(b, Magic...)
	b = binary.AppendUvarint(b, uint64(len(table)))
	for _, s := range table {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	for _, r := range w.body {
		if r.isStr {
			b = binary.AppendUvarint(b, index[r.s])
		} else {
			b = binary.AppendUvarint(b, r.n)
		}
	}
	return b
}

// Compress returns payload gzip-compressed with a fixed header (no name, no time), so equal
// payloads give equal files.
func Compress(payload []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(payload); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ErrFormat reports a payload that is not in this format or is cut short.
var ErrFormat = errors.New("not a dictionary file of this format")

// Reader reads a payload. Its methods record the first error and return zero values after it,
// so a decoder can read a whole record and check Err once.
type Reader struct {
	b       []byte
	off     int
	strings []string
	err     error
}

// NewReader decompresses file and reads its string table.
func NewReader(file []byte) (*Reader, error) {
	zr, err := gzip.NewReader(bytes.NewReader(file))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	payload, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrFormat, err)
	}
	if !bytes.HasPrefix(payload, []byte(Magic)) {
		return nil, ErrFormat
	}
	r := &Reader{b: payload, off: len(Magic)}
	n := r.Count()
	// All strings are copied into one and sliced from it: one allocation for the whole table.
	type span struct{ off, len int }
	spans := make([]span, 0, n)
	total := 0
	for range n {
		l := r.Uint()
		if r.err == nil && l > len(r.b)-r.off {
			r.err = ErrFormat
		}
		if r.err != nil {
			return nil, r.err
		}
		spans = append(spans, span{r.off, l})
		total += l
		r.off += l
	}
	all := make([]byte, 0, total)
	for _, sp := range spans {
		all = append(all, r.b[sp.off:sp.off+sp.len]...)
	}
	joined := string(all)
	r.strings = make([]string, len(spans))
	pos := 0
	for i, sp := range spans {
		r.strings[i] = joined[pos : pos+sp.len]
		pos += sp.len
	}
	if len(r.strings) == 0 || r.strings[0] != "" || !slices.IsSorted(r.strings) {
		return nil, ErrFormat
	}
	return r, nil
}

// Uint reads a number.
func (r *Reader) Uint() int {
	if r.err != nil {
		return 0
	}
	v, k := binary.Uvarint(r.b[r.off:])
	if k <= 0 || v > 1<<31 {
		r.err = ErrFormat
		return 0
	}
	r.off += k
	return int(v)
}

// Count reads the length of a list that follows. It cannot exceed the bytes left, since every
// item takes at least one byte; checking that keeps a damaged file from asking for a huge slice.
func (r *Reader) Count() int {
	n := r.Uint()
	if n > len(r.b)-r.off {
		r.err = ErrFormat
		return 0
	}
	return n
}

// String reads a string reference.
func (r *Reader) String() string {
	i := r.Uint()
	if r.err != nil {
		return ""
	}
	if i >= len(r.strings) {
		r.err = ErrFormat
		return ""
	}
	return r.strings[i]
}

// Err returns the first error met so far.
func (r *Reader) Err() error { return r.err }

// Done reports an error when the payload was not read to its end, which means the reader and
// the writer disagree on the layout.
func (r *Reader) Done() error {
	if r.err != nil {
		return r.err
	}
	if r.off != len(r.b) {
		return fmt.Errorf("%w: %d bytes left over", ErrFormat, len(r.b)-r.off)
	}
	return nil
}
