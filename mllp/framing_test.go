package mllp

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"
)

// result is one return of ReadFrame: a frame, or an error.
type result struct {
	Frame string
	Err   error
}

func (r result) String() string {
	if r.Err != nil {
		return "error " + r.Err.Error()
	}
	return fmt.Sprintf("frame %q", r.Frame)
}

// Frame bytes in test inputs: VT = start block, FS = end block, CR = trailer.
const (
	vt = "\x0b"
	fs = "\x1c"
	cr = "\r"
)

func tooLarge(start, off int64) error {
	return &FrameError{Start: start, Offset: off, Err: ErrFrameTooLarge}
}
func unexpectedStart(start, off int64) error {
	return &FrameError{Start: start, Offset: off, Err: ErrUnexpectedStart}
}
func unexpectedEOF(start, off int64) error {
	return &FrameError{Start: start, Offset: off, Err: ErrUnexpectedEOF}
}
func missingTrailer(start, off int64) error {
	return &FrameError{Start: start, Offset: off, Err: ErrMissingTrailer}
}

// readTests are named after the rows of ../shared/HL7-EDGE-CASES.md they cover. Each runs
// with the input delivered whole and in chunks of 1, 2, 3 and 7 bytes: the results must not
// depend on how the bytes arrive.
var readTests = []struct {
	Name      string
	Input     string
	Lenient   bool
	Max       int
	Output    []result // then io.EOF
	Discarded int64
}{
	{
		Name:   "row16/payload at the limit",
		Input:  vt + "ABCDE" + fs + cr,
		Max:    5,
		Output: []result{{Frame: "ABCDE"}},
	},
	{
		Name:      "row16/payload over the limit, then a good frame",
		Input:     vt + "ABCDEF" + fs + cr + vt + "OK" + fs + cr,
		Max:       5,
		Output:    []result{{Err: tooLarge(0, 6)}, {Frame: "OK"}},
		Discarded: 9,
	},
	{
		Name:      "row16/oversized frame cut by the end of the stream",
		Input:     vt + "ABCDEFGH",
		Max:       4,
		Output:    []result{{Err: tooLarge(0, 5)}},
		Discarded: 9,
	},
	{
		Name:      "row16/start block inside an oversized frame resynchronises",
		Input:     vt + "ABCDE" + vt + "OK" + fs + cr,
		Max:       3,
		Output:    []result{{Err: tooLarge(0, 4)}, {Frame: "OK"}},
		Discarded: 6,
	},
	{
		Name:      "row16/start block right at the limit is a start, not an overflow",
		Input:     vt + "AB" + vt + "C" + fs + cr,
		Max:       2,
		Output:    []result{{Err: unexpectedStart(0, 3)}, {Frame: "C"}},
		Discarded: 3,
	},
	{
		Name:   "row17/ISO 8859-1 bytes pass through untouched",
		Input:  vt + "MSH|^~\\&|||||||ADT^A01|1|P|2.5|||||||8859/1\rPID|1||||M\xfcller\r" + fs + cr,
		Output: []result{{Frame: "MSH|^~\\&|||||||ADT^A01|1|P|2.5|||||||8859/1\rPID|1||||M\xfcller\r"}},
	},
	{
		Name:   "row17/UTF-8 byte order mark is payload",
		Input:  vt + "\xef\xbb\xbfMSH|^~\\&\r" + fs + cr,
		Output: []result{{Frame: "\xef\xbb\xbfMSH|^~\\&\r"}},
	},
	{
		Name:   "row18/multi-byte character split across reads",
		Input:  vt + "PID|1||||Gonz\xc3\xa1lez^Jos\xc3\xa9\r" + fs + cr,
		Output: []result{{Frame: "PID|1||||Gonz\xc3\xa1lez^Jos\xc3\xa9\r"}},
	},
	{
		Name:   "row19/frame split across reads",
		Input:  vt + "MSH|^~\\&|LAB|H1|EHR|H1|20240101120000||ORU^R01|42|P|2.5\rOBX|1|TX|||result\r" + fs + cr,
		Output: []result{{Frame: "MSH|^~\\&|LAB|H1|EHR|H1|20240101120000||ORU^R01|42|P|2.5\rOBX|1|TX|||result\r"}},
	},
	{
		Name:   "row20/three frames in one read",
		Input:  vt + "A" + fs + cr + vt + "B" + fs + cr + vt + "C" + fs + cr,
		Output: []result{{Frame: "A"}, {Frame: "B"}, {Frame: "C"}},
	},
	{
		Name:   "row20/pipelined frames ended with FS CR LF",
		Input:  vt + "A" + fs + cr + "\n" + vt + "B" + fs + cr + "\n",
		Output: []result{{Frame: "A"}, {Frame: "B"}},
	},
	{
		Name:      "row21/log banner before the first start block",
		Input:     "Welcome to LIS v2\r\n" + vt + "A" + fs + cr,
		Output:    []result{{Frame: "A"}},
		Discarded: 19,
	},
	{
		Name:      "row21/NULs between frames",
		Input:     vt + "A" + fs + cr + "\x00\x00\x00" + vt + "B" + fs + cr,
		Output:    []result{{Frame: "A"}, {Frame: "B"}},
		Discarded: 3,
	},
	{
		Name:      "row21/only the first line feed after a frame is tolerated",
		Input:     vt + "A" + fs + cr + "\n\n" + vt + "B" + fs + cr,
		Output:    []result{{Frame: "A"}, {Frame: "B"}},
		Discarded: 1,
	},
	{
		Name:      "row21/end block outside a frame is garbage",
		Input:     fs + cr + vt + "A" + fs + cr,
		Output:    []result{{Frame: "A"}},
		Discarded: 2,
	},
	{
		Name:      "row21/garbage and no frame",
		Input:     "\x00\x00junk",
		Discarded: 6,
	},
	{
		Name:      "row22/end block without carriage return, strict",
		Input:     vt + "A" + fs + "X" + vt + "B" + fs + cr,
		Output:    []result{{Err: missingTrailer(0, 3)}, {Frame: "B"}},
		Discarded: 4,
	},
	{
		Name:      "row22/end block without carriage return, lenient",
		Input:     vt + "A" + fs + "X" + vt + "B" + fs + cr,
		Lenient:   true,
		Output:    []result{{Frame: "A"}, {Frame: "B"}},
		Discarded: 1,
	},
	{
		Name:    "row22/end block then line feed, lenient",
		Input:   vt + "A" + fs + "\n" + vt + "B" + fs + cr,
		Lenient: true,
		Output:  []result{{Frame: "A"}, {Frame: "B"}},
	},
	{
		Name:      "row22/end block then end of stream, strict",
		Input:     vt + "A" + fs,
		Output:    []result{{Err: missingTrailer(0, 3)}},
		Discarded: 3,
	},
	{
		Name:    "row22/end block then end of stream, lenient",
		Input:   vt + "A" + fs,
		Lenient: true,
		Output:  []result{{Frame: "A"}},
	},
	{
		Name:      "row22/end of stream inside a frame",
		Input:     vt + "A" + fs + cr + vt + "ABC",
		Output:    []result{{Frame: "A"}, {Err: unexpectedEOF(4, 8)}},
		Discarded: 4,
	},
	{
		Name:      "row22/end of stream inside a frame, lenient",
		Input:     vt + "ABC",
		Lenient:   true,
		Output:    []result{{Err: unexpectedEOF(0, 4)}},
		Discarded: 4,
	},
	{
		Name:      "row22/start block inside a frame, strict",
		Input:     vt + "AB" + vt + "CD" + fs + cr,
		Output:    []result{{Err: unexpectedStart(0, 3)}, {Frame: "CD"}},
		Discarded: 3,
	},
	{
		Name:      "row22/start block inside a frame, lenient",
		Input:     vt + "AB" + vt + "CD" + fs + cr,
		Lenient:   true,
		Output:    []result{{Frame: "CD"}},
		Discarded: 3,
	},
	{
		Name:      "row22/two start blocks in a row",
		Input:     vt + vt + "A" + fs + cr,
		Output:    []result{{Err: unexpectedStart(0, 1)}, {Frame: "A"}},
		Discarded: 1,
	},
	{
		Name:   "empty frame",
		Input:  vt + fs + cr,
		Output: []result{{Frame: ""}},
	},
	{
		Name:   "release 2 commit blocks are frames",
		Input:  vt + "\x06" + fs + cr + vt + "\x15" + fs + cr,
		Output: []result{{Frame: "\x06"}, {Frame: "\x15"}},
	},
	{
		Name:  "empty stream",
		Input: "",
	},
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	data []byte
	n    int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.n)], c.data)
	c.data = c.data[n:]
	return n, nil
}

// readAll reads frames until io.EOF, or at most limit results.
func readAll(t testing.TB, rd *Reader, limit int) []result {
	t.Helper()
	var out []result
	for range limit {
		frame, err := rd.ReadFrame()
		if err == io.EOF {
			return out
		}
		if err != nil {
			out = append(out, result{Err: err})
			continue
		}
		out = append(out, result{Frame: string(frame)})
	}
	t.Fatalf("no io.EOF after %d results", limit)
	return nil
}

func TestReader(t *testing.T) {
	for _, tt := range readTests {
		for _, chunk := range []int{0, 1, 2, 3, 7} {
			t.Run(fmt.Sprintf("%s/chunk=%d", tt.Name, chunk), func(t *testing.T) {
				var src io.Reader = strings.NewReader(tt.Input)
				if chunk > 0 {
					src = &chunkReader{data: []byte(tt.Input), n: chunk}
				}
				rd := NewReader(src, ReaderOptions{MaxFrameSize: tt.Max, Lenient: tt.Lenient})
				got := readAll(t, rd, len(tt.Input)+2)
				if !reflect.DeepEqual(got, tt.Output) {
					t.Errorf("ReadFrame results:\n got %v\nwant %v", got, tt.Output)
				}
				if rd.Discarded() != tt.Discarded {
					t.Errorf("Discarded() = %d, want %d", rd.Discarded(), tt.Discarded)
				}
				if rd.Offset() != int64(len(tt.Input)) {
					t.Errorf("Offset() = %d after the end of the stream, want %d", rd.Offset(), len(tt.Input))
				}
				// The end of the stream is sticky.
				if _, err := rd.ReadFrame(); err != io.EOF {
					t.Errorf("ReadFrame after io.EOF: %v, want io.EOF", err)
				}
			})
		}
	}
}

func TestFrameErrorMessage(t *testing.T) {
	tests := []struct {
		Err  error
		Want string
	}{
		{ErrFrameTooLarge, "mllp: frame starting at byte 10: frame larger than the maximum frame size at byte 20 (raise MaxFrameSize or have the sender split the message)"},
		{ErrUnexpectedStart, "mllp: frame starting at byte 10: start block inside a frame at byte 20 (the sender began a new message before ending the previous one; it must resend it)"},
		{ErrUnexpectedEOF, "mllp: frame starting at byte 10: stream ended inside a frame at byte 20 (the connection closed mid-message; the sender must resend it)"},
		{ErrMissingTrailer, "mllp: frame starting at byte 10: end block not followed by carriage return at byte 20 (the sender ends frames without 0x0D; enable lenient framing for this peer)"},
	}
	for _, tt := range tests {
		err := error(&FrameError{Start: 10, Offset: 20, Err: tt.Err})
		if err.Error() != tt.Want {
			t.Errorf("Error() = %q, want %q", err.Error(), tt.Want)
		}
		if !errors.Is(err, tt.Err) {
			t.Errorf("errors.Is(%v, %v) = false", err, tt.Err)
		}
	}
}

func TestReaderCustomFraming(t *testing.T) {
	f := Framing{Start: 0x02, End: 0x03, Trailer: '\n'}
	var buf bytes.Buffer
	w := NewWriter(&buf, f)
	for _, p := range []string{"one", "two\x0b\x1c"} {
		if err := w.WriteFrame([]byte(p)); err != nil {
			t.Fatalf("WriteFrame(%q): %v", p, err)
		}
	}
	if want := "\x02one\x03\n\x02two\x0b\x1c\x03\n"; buf.String() != want {
		t.Fatalf("written %q, want %q", buf.String(), want)
	}
	got := readAll(t, NewReader(&buf, ReaderOptions{Framing: f}), 10)
	want := []result{{Frame: "one"}, {Frame: "two\x0b\x1c"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestFramingValidate(t *testing.T) {
	tests := []struct {
		Framing Framing
		Err     string
	}{
		{Framing{}, ""},
		{DefaultFraming, ""},
		{Framing{Start: 2, End: 3, Trailer: '\n'}, ""},
		{Framing{Start: 2, End: 2, Trailer: '\r'}, "mllp: framing 0x02 0x02 0x0d: the three bytes must differ: invalid framing bytes"},
		{Framing{Start: '\n', End: 3, Trailer: '\r'}, "mllp: framing start byte must not be a line feed: invalid framing bytes"},
	}
	for _, tt := range tests {
		err := tt.Framing.Validate()
		if got := fmt.Sprint(err); (err == nil) != (tt.Err == "") || err != nil && got != tt.Err {
			t.Errorf("%v.Validate() = %v, want %q", tt.Framing, err, tt.Err)
		}
		if err != nil {
			if _, rerr := NewReader(strings.NewReader(""), ReaderOptions{Framing: tt.Framing}).ReadFrame(); rerr == nil || rerr.Error() != tt.Err {
				t.Errorf("ReadFrame with framing %v: %v, want %q", tt.Framing, rerr, tt.Err)
			}
		}
	}
}

func TestWriter(t *testing.T) {
	large := bytes.Repeat([]byte("OBX|1|ED|||^AP^PDF^Base64^QUJD\r"), 4096) // past the copy threshold
	tests := []struct {
		Name    string
		Payload []byte
		Output  string
		Err     string
	}{
		{Name: "message", Payload: []byte("MSH|^~\\&\r"), Output: vt + "MSH|^~\\&\r" + fs + cr},
		{Name: "empty", Payload: []byte{}, Output: vt + fs + cr},
		{Name: "commit block", Payload: []byte{CommitACK}, Output: vt + "\x06" + fs + cr},
		{Name: "large", Payload: large, Output: vt + string(large) + fs + cr},
		{Name: "start block in payload", Payload: []byte("AB\x0bC"), Err: "mllp: payload byte 2 is 0x0b: payload contains a framing byte"},
		{Name: "end block in payload", Payload: []byte("ABC\x1c"), Err: "mllp: payload byte 3 is 0x1c: payload contains a framing byte"},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			var buf bytes.Buffer
			err := NewWriter(&buf, Framing{}).WriteFrame(tt.Payload)
			if tt.Err != "" {
				if err == nil || err.Error() != tt.Err || !errors.Is(err, ErrFramingByte) {
					t.Fatalf("WriteFrame error %v, want %q", err, tt.Err)
				}
				if buf.Len() != 0 {
					t.Fatalf("WriteFrame wrote %d bytes after refusing the payload", buf.Len())
				}
				return
			}
			if err != nil {
				t.Fatalf("WriteFrame: %v", err)
			}
			if buf.String() != tt.Output {
				t.Fatalf("WriteFrame wrote %d bytes, want %d", buf.Len(), len(tt.Output))
			}
		})
	}
}

// repeatReader returns the same bytes forever.
type repeatReader struct{ data []byte }

func (r repeatReader) Read(p []byte) (int, error) { return copy(p, r.data), nil }

func TestReaderAllocations(t *testing.T) {
	msg := vt + "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5\rPID|1||123\r" + fs + cr
	rd := NewReader(repeatReader{[]byte(msg)}, ReaderOptions{})
	if _, err := rd.ReadFrame(); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(1000, func() {
		if _, err := rd.ReadFrame(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("ReadFrame of a small frame: %v allocations, want 0", n)
	}
}

func TestReaderLargeFrameAcrossReads(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB
	var in bytes.Buffer
	w := NewWriter(&in, Framing{})
	for range 3 {
		if err := w.WriteFrame(payload); err != nil {
			t.Fatal(err)
		}
	}
	rd := NewReader(&chunkReader{data: in.Bytes(), n: 1500}, ReaderOptions{MaxFrameSize: len(payload)})
	for i := range 3 {
		frame, err := rd.ReadFrame()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if !bytes.Equal(frame, payload) {
			t.Fatalf("frame %d differs from what was written", i)
		}
	}
	if _, err := rd.ReadFrame(); err != io.EOF {
		t.Fatalf("after the frames: %v, want io.EOF", err)
	}
	if len(rd.buf) > len(payload)+2 {
		t.Errorf("buffer of %d bytes for a %d byte limit", len(rd.buf), len(payload))
	}
}

// errReader fails once with err, then serves data.
type errReader struct {
	data []byte
	err  error
}

func (e *errReader) Read(p []byte) (int, error) {
	if e.err != nil {
		err := e.err
		e.err = nil
		return 0, err
	}
	if len(e.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestReaderErrorIsNotSticky(t *testing.T) {
	// A timeout in the middle of a frame keeps the partial frame: reading again resumes.
	timeout := errors.New("i/o timeout")
	src := io.MultiReader(strings.NewReader(vt+"AB"), &errReader{data: []byte("C" + fs + cr), err: timeout})
	rd := NewReader(src, ReaderOptions{})
	if _, err := rd.ReadFrame(); err != timeout {
		t.Fatalf("first ReadFrame: %v, want the source's error", err)
	}
	frame, err := rd.ReadFrame()
	if err != nil || string(frame) != "ABC" {
		t.Fatalf("second ReadFrame: %q, %v; want \"ABC\"", frame, err)
	}
}
