package mllp

import (
	"bytes"
	"io"
	"reflect"
	"testing"
)

// referenceRead is a byte-at-a-time model of the framing rules documented on Reader,
// written independently of it: the fuzz target checks the Reader against it.
func referenceRead(in []byte, limit int, lenient bool) (out []result, discarded int64) {
	const (
		gap = iota
		frame
		afterEnd
		skip
	)
	f := DefaultFraming
	state, tail := gap, tailNone
	var start int
	var payload []byte
	for i := 0; i < len(in); i++ {
		c := in[i]
		switch state {
		case gap:
			switch {
			case tail == tailTrailer && c == f.Trailer:
				discarded++
				tail = tailLF
				continue
			case tail == tailLF && c == '\n':
				tail = tailNone
				continue
			}
			tail = tailNone
			if c == f.Start {
				state, start, payload = frame, i, payload[:0]
			} else {
				discarded++
			}
		case frame:
			switch c {
			case f.Start:
				discarded += int64(len(payload) + 1)
				if !lenient {
					out = append(out, result{Err: unexpectedStart(int64(start), int64(i))})
				}
				start, payload = i, payload[:0]
			case f.End:
				state = afterEnd
			default:
				payload = append(payload, c)
				if len(payload) > limit {
					out = append(out, result{Err: tooLarge(int64(start), int64(start+1+limit))})
					discarded += int64(len(payload) + 1)
					state = skip
				}
			}
		case skip:
			switch c {
			case f.Start:
				state, start, payload = frame, i, payload[:0]
			case f.End:
				discarded++
				state, tail = gap, tailTrailer
			default:
				discarded++
			}
		case afterEnd:
			switch {
			case c == f.Trailer:
				out = append(out, result{Frame: string(payload)})
				state, tail = gap, tailLF
				continue
			case lenient:
				out = append(out, result{Frame: string(payload)})
				tail = tailLF
			default:
				out = append(out, result{Err: missingTrailer(int64(start), int64(i))})
				discarded += int64(len(payload) + 2)
				tail = tailNone
			}
			state = gap
			i-- // the byte after the end block is read again, between frames
		}
	}
	switch state {
	case frame:
		out = append(out, result{Err: unexpectedEOF(int64(start), int64(len(in)))})
		discarded += int64(len(payload) + 1)
	case afterEnd:
		if lenient {
			out = append(out, result{Frame: string(payload)})
		} else {
			out = append(out, result{Err: missingTrailer(int64(start), int64(len(in)))})
			discarded += int64(len(payload) + 2)
		}
	}
	return out, discarded
}

func TestReferenceMatchesTable(t *testing.T) {
	// The model must agree with the hand-checked table before it can judge the fuzzer's
	// inputs.
	for _, tt := range readTests {
		limit := tt.Max
		if limit == 0 {
			limit = DefaultMaxFrameSize
		}
		got, disc := referenceRead([]byte(tt.Input), limit, tt.Lenient)
		if !reflect.DeepEqual(got, tt.Output) || disc != tt.Discarded {
			t.Errorf("%s: model gives %v (discarded %d), table says %v (discarded %d)", tt.Name, got, disc, tt.Output, tt.Discarded)
		}
	}
}

// FuzzReader checks that the Reader never panics, never returns a frame over the limit or
// holding a framing byte, gives the same results however the input is split into reads,
// agrees with the reference model, and reads back what a Writer wrote.
func FuzzReader(f *testing.F) {
	for _, tt := range readTests {
		f.Add([]byte(tt.Input), uint16(tt.Max), uint8(0), tt.Lenient)
		f.Add([]byte(tt.Input), uint16(tt.Max), uint8(1), !tt.Lenient)
	}
	f.Add([]byte(vt+"MSH|^~\\&|A\r"+fs+cr+"\n"+vt+vt+fs+fs+cr+cr), uint16(3), uint8(2), false)
	f.Fuzz(func(t *testing.T, data []byte, max uint16, chunk uint8, lenient bool) {
		limit := int(max%64) + 1
		var src io.Reader = bytes.NewReader(data)
		if n := int(chunk % 16); n > 0 {
			src = &chunkReader{data: data, n: n}
		}
		rd := NewReader(src, ReaderOptions{MaxFrameSize: limit, Lenient: lenient})
		got := readAll(t, rd, len(data)+2)
		want, disc := referenceRead(data, limit, lenient)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Reader gives %v\nmodel gives %v", got, want)
		}
		if rd.Discarded() != disc {
			t.Fatalf("Discarded() = %d, model says %d", rd.Discarded(), disc)
		}
		if rd.Offset() != int64(len(data)) {
			t.Fatalf("Offset() = %d at the end of %d bytes", rd.Offset(), len(data))
		}
		var frames []result
		var out bytes.Buffer
		w := NewWriter(&out, Framing{})
		for _, r := range got {
			if r.Err != nil {
				continue
			}
			if len(r.Frame) > limit {
				t.Fatalf("frame of %d bytes over the %d byte limit", len(r.Frame), limit)
			}
			if err := w.WriteFrame([]byte(r.Frame)); err != nil {
				t.Fatalf("a frame read cannot be written back: %v", err)
			}
			frames = append(frames, r)
		}
		back := readAll(t, NewReader(&out, ReaderOptions{MaxFrameSize: limit}), len(frames)+2)
		if !reflect.DeepEqual(back, frames) {
			t.Fatalf("frames written and read back: %v, want %v", back, frames)
		}
	})
}
