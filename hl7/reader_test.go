package hl7

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

// readResult is what a Reader gave for one input.
type readResult struct {
	msgs     []*Message
	raws     [][]byte
	at       []position
	fhs, bhs []*Message // FileHeader and BatchHeader after each message
	errs     []string   // each error, as "@n text" with n the number of messages read before it
}

// readAll reads r to io.EOF, within a bounded number of calls.
func readAllMessages(t testing.TB, r *Reader) readResult {
	t.Helper()
	var res readResult
	for range 1_000_000 {
		m, err := r.Next()
		if err == io.EOF {
			if m != nil {
				t.Fatal("message with io.EOF")
			}
			if _, err := r.Next(); err != io.EOF {
				t.Fatalf("Next after io.EOF: %v", err)
			}
			return res
		}
		if err != nil {
			if m != nil {
				t.Fatal("message and error")
			}
			res.errs = append(res.errs, fmt.Sprintf("@%d %v", len(res.msgs), err))
			continue
		}
		res.msgs = append(res.msgs, m)
		res.raws = append(res.raws, r.Raw())
		res.at = append(res.at, position{off: r.Offset(), line: r.Line()})
		res.fhs = append(res.fhs, r.FileHeader())
		res.bhs = append(res.bhs, r.BatchHeader())
	}
	t.Fatal("Reader did not end")
	return res
}

// readers returns the ways the tests feed an input to a Reader: whole, one byte per read with
// an 8-byte buffer (every decision is taken across refills, the buffer grows and compacts), and
// in halves with a 16-byte buffer.
func batchReaders(in string) map[string]func(p *Parser) *Reader {
	return map[string]func(p *Parser) *Reader{
		"whole":   func(p *Parser) *Reader { return p.NewReader(strings.NewReader(in)) },
		"onebyte": func(p *Parser) *Reader { return p.newReader(iotest.OneByteReader(strings.NewReader(in)), 8) },
		"half":    func(p *Parser) *Reader { return p.newReader(iotest.HalfReader(strings.NewReader(in)), 16) },
		"dataerr": func(p *Parser) *Reader { return p.newReader(iotest.DataErrReader(strings.NewReader(in)), 32) },
	}
}

// messagePositions returns where each message of f starts in f.Bytes().
func messagePositions(f *File) []position {
	var lc lineCounter
	var at []position
	f.walk(func(p piece) bool {
		if p.role == roleMessage {
			at = append(at, lc.pos())
		}
		lc.add(p.b)
		return true
	})
	return at
}

// TestReaderAgreesWithParseFile streams every table input and checks that the Reader gives
// what ParseFile gives: the same messages, bytes, envelopes and positions, Check's problems
// instead of io.EOF, and ParseFile's error as its first error.
func TestReaderAgreesWithParseFile(t *testing.T) {
	for _, tt := range fileTests {
		for how, newReader := range batchReaders(tt.in) {
			t.Run(tt.name+"/"+how, func(t *testing.T) {
				compareReader(t, []byte(tt.in), newReader(&Parser{}), &Parser{})
			})
		}
	}
}

// TestReaderLFBetweenCRMessages: a file of CR-terminated messages, one per line, reads as its
// messages, each giving back exactly its bytes with the LF after it, whatever the read sizes.
func TestReaderLFBetweenCRMessages(t *testing.T) {
	const (
		m1 = "MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.5\rPID|1|x\n"
		m2 = "MSH|^~\\&|A|B|C|D|20260101||ADT^A01|2|P|2.5\rPID|1|y\n"
	)
	for how, newReader := range batchReaders(m1 + m2) {
		res := readAllMessages(t, newReader(&Parser{}))
		if len(res.errs) > 0 || len(res.msgs) != 2 {
			t.Fatalf("%s: %d messages, errors %q", how, len(res.msgs), res.errs)
		}
		for i, want := range []struct{ raw, pid2 string }{{m1, "x"}, {m2, "y"}} {
			m := res.msgs[i]
			if string(res.raws[i]) != want.raw || string(m.Bytes()) != want.raw || m.Get("PID-2") != want.pid2 {
				t.Errorf("%s: message %d: PID-2 %q, Raw %q, Bytes %q", how, i+1, m.Get("PID-2"), res.raws[i], m.Bytes())
			}
			// An edited message keeps the LF after its last segment.
			if err := m.Set("PID-3", "z"); err != nil {
				t.Fatal(err)
			}
			if got, want := string(m.Bytes()), strings.TrimSuffix(want.raw, "\n")+"|z\n"; got != want {
				t.Errorf("%s: edited message %d: %q, want %q", how, i+1, got, want)
			}
		}
	}
}

// TestReaderAgreesUnderSizeLimits checks that the Reader and ParseFile skip the same elements
// as too large, whatever the read sizes: a limit is decided on what an element holds, never on
// how much input happens to be buffered.
func TestReaderAgreesUnderSizeLimits(t *testing.T) {
	tests := append([]fileCase{{
		name: "LongBlankRunAfterMessage",
		in:   bmsg("1", "\r") + strings.Repeat("\r\n", 100) + bmsg("2", "\r"),
	}, {
		name: "LongBlankRunThenSegment",
		in:   bmsg("1", "\r") + strings.Repeat(" ", 300) + "\rNTE|1\r" + bmsg("2", "\r"),
	}}, fileTests...)
	for _, limit := range []int{1, 20, 60, 85, 86, 87, 100, 150, 172, 173, 300} {
		for _, tt := range tests {
			for how, newReader := range batchReaders(tt.in) {
				t.Run(fmt.Sprintf("%d/%s/%s", limit, tt.name, how), func(t *testing.T) {
					p := Parser{MaxSize: limit}
					compareReader(t, []byte(tt.in), newReader(&p), &p)
				})
			}
		}
	}
	// A blank run longer than the limit ends the message before it: what follows is not part
	// of it.
	p := Parser{MaxSize: 200}
	in := bmsg("1", "\r") + strings.Repeat(" ", 300) + "\rNTE|1\r" + bmsg("2", "\r")
	r := p.newReader(iotest.OneByteReader(strings.NewReader(in)), 8)
	res := readAllMessages(t, r)
	want := []string{"@1 hl7: line 4 col 1 (byte 386): invalid batch: \"NTE|1\" after MSH (line 1) is outside any message; a message starts with MSH"}
	if len(res.msgs) != 2 || strings.Join(res.errs, "\n") != strings.Join(want, "\n") {
		t.Errorf("%d messages, errors:\n got %q\nwant %q", len(res.msgs), res.errs, want)
	}
}

// compareReader checks what r reads from in against ParseFile(in) with parser p.
func compareReader(t testing.TB, in []byte, r *Reader, p *Parser) {
	t.Helper()
	f, ferr := p.ParseFile(in)
	if ferr != nil {
		m, err := r.Next()
		for n := 0; err == nil && n < 1_000_000; n++ {
			m, err = r.Next()
		}
		if m != nil || batchErrText(err) != ferr.Error() {
			t.Fatalf("first Reader error:\n got %v\nwant %v", err, ferr)
		}
		return
	}
	res := readAllMessages(t, r)
	all := f.Messages()
	// The only error may be the envelope check, returned instead of io.EOF.
	var want []string
	if err := f.Check(); err != nil {
		want = []string{fmt.Sprintf("@%d %v", len(all), err)}
	}
	if strings.Join(res.errs, "\n") != strings.Join(want, "\n") {
		t.Errorf("Reader errors:\n got %q\nwant %q", res.errs, want)
	}
	if len(res.msgs) != len(all) {
		t.Fatalf("Reader read %d messages, ParseFile %d", len(res.msgs), len(all))
	}
	at := messagePositions(f)
	i := 0
	for _, b := range f.Batches {
		for _, m := range b.Messages {
			if !bytes.Equal(res.msgs[i].Bytes(), m.Bytes()) || !bytes.Equal(res.raws[i], m.Bytes()) {
				t.Errorf("message %d:\n got %q\nwant %q", i+1, res.msgs[i].Bytes(), m.Bytes())
			}
			if res.msgs[i].NumSegments() != m.NumSegments() {
				t.Errorf("message %d: %d segments, want %d", i+1, res.msgs[i].NumSegments(), m.NumSegments())
			}
			if res.at[i].off != at[i].off || res.at[i].line != at[i].line {
				t.Errorf("message %d at byte %d line %d, want byte %d line %d", i+1, res.at[i].off, res.at[i].line, at[i].off, at[i].line)
			}
			if !sameBytes(res.fhs[i], f.Header) || !sameBytes(res.bhs[i], b.Header) {
				t.Errorf("message %d: envelope headers differ: FHS %q/%q BHS %q/%q", i+1, msgBytes(res.fhs[i]), msgBytes(f.Header), msgBytes(res.bhs[i]), msgBytes(b.Header))
			}
			i++
		}
	}
}

func msgBytes(m *Message) []byte {
	if m == nil {
		return nil
	}
	return m.Bytes()
}

func sameBytes(a, b *Message) bool {
	return (a == nil) == (b == nil) && bytes.Equal(msgBytes(a), msgBytes(b))
}

// TestReaderOwnsItsBytes checks that a message read earlier is not changed by later calls,
// which reuse the Reader's buffer.
func TestReaderOwnsItsBytes(t *testing.T) {
	var in strings.Builder
	for i := range 200 {
		in.WriteString(bmsg(strconv.Itoa(i), "\r"))
	}
	r := (&Parser{}).newReader(iotest.HalfReader(strings.NewReader(in.String())), 64)
	res := readAllMessages(t, r)
	if len(res.msgs) != 200 {
		t.Fatalf("%d messages", len(res.msgs))
	}
	for i, m := range res.msgs {
		if want := bmsg(strconv.Itoa(i), "\r"); string(m.Bytes()) != want || string(res.raws[i]) != want {
			t.Fatalf("message %d changed: %q", i, m.Bytes())
		}
	}
}

// TestReaderGoesOn checks that the Reader reports a problem and goes on with the next message.
func TestReaderGoesOn(t *testing.T) {
	big := "MSH|^~\\&|A||||||ADT^A01|BIG|P|2.5\rOBX|1|ED|PDF||" + strings.Repeat("QUJD", 20_000) + "\r"
	for _, tt := range []struct {
		name string
		p    Parser
		in   string
		want []string
		raws []string // Raw after each event, when given
	}{{
		name: "TextBeforeFirstMessage",
		in:   "report of 27 Nov\r\n" + bmsg("1", "\r\n"),
		want: []string{"err: hl7: line 1 col 1 (byte 0): message does not start with an MSH segment: found \"report of 27 Nov\" where a file starts with MSH, BHS or FHS", "1"},
	}, {
		name: "MessageThatDoesNotParse",
		in:   bmsg("1", "\r") + "MSH|^~\\&|A||||||ADT^A01|2|P|2.5\rP-D|1\r" + bmsg("3", "\r"),
		want: []string{"1", "err: hl7: line 4 col 1 (byte 117), segment 2: invalid segment name: \"P-D|1\" (a segment starts with three letters or digits and the field separator '|')", "3"},
		raws: []string{bmsg("1", "\r"), "MSH|^~\\&|A||||||ADT^A01|2|P|2.5\rP-D|1\r", bmsg("3", "\r")},
	}, {
		// A message too large is skipped, and still counts in its batch.
		name: "TooLarge",
		p:    Parser{MaxSize: 4096},
		in:   testBHS + bmsg("1", "\r") + big + bmsg("3", "\r") + "BTS|3\r",
		want: []string{"1", "err: hl7: line 4 col 1 (byte 154): message too large: the message is larger than 4096 bytes and was skipped; raise Parser.MaxSize if messages this large are expected", "3"},
		raws: []string{bmsg("1", "\r"), "", bmsg("3", "\r")},
	}, {
		name: "SegmentOutsideMessage",
		in:   testBHS + bmsg("1", "\r") + "BTS|1\rNTE|1||lost\r" + bmsg("2", "\r"),
		want: []string{"1", "err: hl7: line 5 col 1 (byte 160): invalid batch: \"NTE|1||lost\" after BTS (line 4) is outside any message; a message starts with MSH", "2"},
		raws: []string{bmsg("1", "\r"), "", bmsg("2", "\r")},
	}, {
		name: "FilesJoined",
		in:   testFHS + bmsg("1", "\r") + "FTS|1\r" + testFHS + bmsg("2", "\r") + "FTS|1\r",
		want: []string{
			"1",
			"err: hl7: line 5 col 1 (byte 168): invalid batch: FHS after FTS (line 4); FTS ends the file (were two files joined?)",
			"err: hl7: line 6 col 1 (byte 245): invalid batch: MSH after FTS (line 4); FTS ends the file (were two files joined?)",
			"err: hl7: line 8 col 1 (byte 330): invalid batch: FTS after FTS (line 4); FTS ends the file (were two files joined?)",
		},
		raws: []string{bmsg("1", "\r"), "", bmsg("2", "\r"), ""},
	}, {
		name: "CountsAtTheEnd",
		in:   testFHS + testBHS + bmsg("1", "\r") + "BTS|2\r" + testBHS2 + bmsg("2", "\r"),
		want: []string{"1", "2",
			"err: hl7: line 5 col 5 (byte 235): invalid batch: BTS-1 is 2 but the batch begun by BHS at line 2 holds 1 message; a message is missing or BTS-1 is wrong\n" +
				"hl7: line 9 col 1 (byte 391): invalid batch: the batch begun by BHS at line 6 has no BTS; the file may have been cut short\n" +
				"hl7: line 9 col 1 (byte 391): invalid batch: the file begun by FHS at line 1 has no FTS; the file may have been cut short",
		},
		raws: []string{bmsg("1", "\r"), bmsg("2", "\r"), ""},
	}} {
		for how, newReader := range batchReaders(tt.in) {
			t.Run(tt.name+"/"+how, func(t *testing.T) {
				r := newReader(&tt.p)
				var got, raws []string
				for range 100 {
					m, err := r.Next()
					if err == io.EOF {
						break
					}
					raws = append(raws, string(r.Raw()))
					if err != nil {
						got = append(got, "err: "+err.Error())
						continue
					}
					got = append(got, m.ControlID())
				}
				if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
					t.Errorf("events:\n got %q\nwant %q", got, tt.want)
				}
				if tt.raws != nil && strings.Join(raws, "\n") != strings.Join(tt.raws, "\n") {
					t.Errorf("Raw:\n got %q\nwant %q", raws, tt.raws)
				}
			})
		}
	}
}

// TestReaderLineAndOffset checks the positions a Reader gives for each message.
func TestReaderLineAndOffset(t *testing.T) {
	in := "\xEF\xBB\xBF\n" + bmsg("1", "\r\n") + "\r\n" + bmsg("2", "\n") + bmsg("3", "\r")
	r := NewReader(strings.NewReader(in))
	var got []string
	for {
		m, err := r.Next()
		if err != nil {
			break
		}
		got = append(got, fmt.Sprintf("%s@%d:%d", m.ControlID(), r.Line(), r.Offset()))
	}
	n1 := int64(len(bmsg("1", "\r\n")))
	want := []string{"1@2:4", fmt.Sprintf("2@5:%d", 4+n1+2), fmt.Sprintf("3@7:%d", 4+n1+2+int64(len(bmsg("2", "\n"))))}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestReaderParserOptions checks that a Reader made from a Parser reads each message with its
// options.
func TestReaderParserOptions(t *testing.T) {
	p := Parser{Charset: "8859/1"}
	in := bmsg("1", "\r") + "MSH|^~\\&|A||||||ADT^A01|2|P|2.5\rPID|1||2||M\xdcLLER\r"
	r := p.NewReader(strings.NewReader(in))
	res := readAllMessages(t, r)
	if len(res.msgs) != 2 || res.msgs[1].Get("PID-5.1") != "MÜLLER" || res.msgs[1].Charset() != "8859/1" {
		t.Fatalf("messages %d, PID-5.1 %q", len(res.msgs), res.msgs[len(res.msgs)-1].Get("PID-5.1"))
	}
	compareReader(t, []byte(in), p.NewReader(strings.NewReader(in)), &p)
	for _, term := range []Terminators{TerminatorsCR, TerminatorsAny} {
		p := Parser{Terminators: term}
		for _, tt := range fileTests {
			compareReader(t, []byte(tt.in), p.newReader(iotest.OneByteReader(strings.NewReader(tt.in)), 8), &p)
		}
	}
}

// errAfter returns data, then err.
type errAfterReader struct {
	data []byte
	err  error
}

func (e *errAfterReader) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestReaderReadError(t *testing.T) {
	errCable := errors.New("network cable unplugged")
	r := NewReader(&errAfterReader{data: []byte(testBHS + bmsg("1", "\r") + bmsg("2", "\r")), err: errCable})
	var got []string
	for range 10 {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if !errors.Is(err, errCable) {
				t.Errorf("read error not wrapped: %v", err)
			}
			got = append(got, "err: "+err.Error())
			continue
		}
		got = append(got, m.ControlID())
	}
	// The last message cannot be known to be complete: the read error comes first, and no
	// envelope problem is reported for an input that did not end.
	want := []string{"1", "err: hl7: read batch: network cable unplugged"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got %q, want %q", got, want)
	}
}

// batchGen generates a batch file on the fly: FHS, then n messages in batches of per (each with
// BHS and BTS), then FTS. Its messages are about 500 bytes, no two alike.
type batchGen struct {
	n, per int
	i      int
	buf    []byte
	off    int
	done   bool
}

func (g *batchGen) Read(p []byte) (int, error) {
	for g.off == len(g.buf) {
		if g.done {
			return 0, io.EOF
		}
		g.produce()
	}
	n := copy(p, g.buf[g.off:])
	g.off += n
	return n, nil
}

func (g *batchGen) produce() {
	g.buf, g.off = g.buf[:0], 0
	if g.i == 0 {
		g.buf = append(g.buf, "FHS|^~\\&|COURIER|GHH|BILLING|GHH|20261127230000||gen.hl7||F1\r"...)
	}
	if g.i < g.n {
		if g.i%g.per == 0 {
			g.buf = fmt.Appendf(g.buf, "BHS|^~\\&|COURIER|GHH|BILLING|GHH|20261127230000||DFT||B%d\r", g.i/g.per+1)
		}
		g.buf = fmt.Appendf(g.buf, "MSH|^~\\&|PAS|GHH|BILLING|GHH|20261127%06d||DFT^P03^DFT_P03|G%08d|P|2.5\r"+
			"EVN|P03|20261127%06d\r"+
			"PID|1||P%07d^^^GHH^MR||TESTPATIENT^SAM^^^^^L||19800101|U|||%d MAIN ST^^SPRINGFIELD^ST^%05d\r"+
			"PV1|1|O|CLINIC^%d^1|||||1234^DOCTOR^DANA\r"+
			"FT1|1|||20261127|20261127|CG|99213^Office visit^CPT|||1|%d.00\r"+
			"NTE|1||Synthetic record %d for the streaming test; no patient data.\r",
			g.i%240000, g.i, g.i%240000, g.i, g.i%9999, g.i%99999, g.i%50, 100+g.i%900, g.i)
		g.i++
		if g.i%g.per == 0 || g.i == g.n {
			g.buf = fmt.Appendf(g.buf, "BTS|%d\r", (g.i-1)%g.per+1)
		}
	}
	if g.i == g.n {
		g.buf = fmt.Appendf(g.buf, "FTS|%d\r", (g.n+g.per-1)/g.per)
		g.done = true
	}
}

// countingReader counts the bytes read through it.
type countingSource struct {
	r io.Reader
	n int64
}

func (c *countingSource) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestReaderBoundedMemory streams a generated file of 50,000 messages (about 19 MB, never held
// in memory) and checks that the live heap grows by less than 2 MB while every message is read:
// memory follows the largest message, not the file.
func TestReaderBoundedMemory(t *testing.T) {
	const n = 50_000
	src := &countingSource{r: &batchGen{n: n, per: 1000}}
	r := NewReader(src)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak uint64
	count := 0
	for range n + 10 {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d messages: %v", count, err)
		}
		count++
		if want := fmt.Sprintf("G%08d", count-1); m.ControlID() != want {
			t.Fatalf("message %d has control ID %q", count, m.ControlID())
		}
		if count%5000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base {
				peak = max(peak, ms.HeapAlloc-base)
			}
		}
	}
	if count != n {
		t.Fatalf("read %d messages, want %d", count, n)
	}
	const limit = 2 << 20
	t.Logf("%d messages, %.1f MB streamed; live heap grew at most %.2f MB", count, float64(src.n)/1e6, float64(peak)/1e6)
	if src.n < 5*limit {
		t.Fatalf("the generated file (%d bytes) is too small to show the bound", src.n)
	}
	if peak > limit {
		t.Errorf("live heap grew by %d bytes while streaming, more than %d", peak, limit)
	}
}

// TestReaderBufferFollowsMessages checks that the Reader's buffer grows for a large message,
// shrinks back after it, and does not grow at all for a message it skips as too large.
func TestReaderBufferFollowsMessages(t *testing.T) {
	big := "MSH|^~\\&|A||||||MDM^T02|BIG|P|2.5\rOBX|1|ED|PDF||" + strings.Repeat("QUJD", 1<<20) + "\r"
	var small strings.Builder
	for i := range 1000 {
		small.WriteString(bmsg(strconv.Itoa(i), "\r"))
	}
	in := big + small.String()

	r := NewReader(strings.NewReader(in))
	m, err := r.Next()
	if err != nil || m.ControlID() != "BIG" {
		t.Fatalf("big message: %v", err)
	}
	if len(r.s.buf) < len(big) {
		t.Fatalf("buffer %d smaller than the message %d", len(r.s.buf), len(big))
	}
	res := readAllMessages(t, r)
	if len(res.msgs) != 1000 {
		t.Fatalf("%d small messages", len(res.msgs))
	}
	if len(r.s.buf) > 4*readerBufSize {
		t.Errorf("buffer still %d bytes after the large message", len(r.s.buf))
	}

	p := Parser{MaxSize: 8192}
	r = p.NewReader(strings.NewReader(in))
	if _, err := r.Next(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}
	if len(r.s.buf) > readerBufSize+8192 {
		t.Errorf("buffer grew to %d bytes for a message it skips", len(r.s.buf))
	}
	if res := readAllMessages(t, r); len(res.msgs) != 1000 {
		t.Fatalf("%d messages after the skipped one", len(res.msgs))
	}
}

// TestReaderJunk checks that input with no line end at all (a binary file given by mistake) is
// one error, read through without being held in memory.
func TestReaderJunk(t *testing.T) {
	junk := bytes.Repeat([]byte("\x89PNG\x00\x01binary"), 200_000) // 2.8 MB, no CR or LF
	r := NewReader(bytes.NewReader(junk))
	res := readAllMessages(t, r)
	want := []string{"@0 hl7: line 1 col 1 (byte 0): message does not start with an MSH segment: found \"\\x89PNG\\x00\\x01binary\\x89PNG\" where a file starts with MSH, BHS or FHS"}
	if len(res.msgs) != 0 || strings.Join(res.errs, "\n") != strings.Join(want, "\n") {
		t.Errorf("errors:\n got %q\nwant %q", res.errs, want)
	}
	if len(r.s.buf) > readerBufSize {
		t.Errorf("buffer grew to %d bytes", len(r.s.buf))
	}
}

// TestReaderEnvelopeErrorsBounded checks that a Reader keeps a bounded number of count
// problems for the end of the input.
func TestReaderEnvelopeErrorsBounded(t *testing.T) {
	var in strings.Builder
	for i := range maxReaderEnvelopeErrors + 50 {
		in.WriteString(testBHS + bmsg(strconv.Itoa(i), "\r") + "BTS|2\r")
	}
	res := readAllMessages(t, NewReader(strings.NewReader(in.String())))
	if len(res.errs) != 1 {
		t.Fatalf("%d errors", len(res.errs))
	}
	lines := strings.Split(res.errs[0], "\n")
	if len(lines) != maxReaderEnvelopeErrors+1 || lines[len(lines)-1] != "hl7: invalid batch: 50 more envelope problems not shown" {
		t.Errorf("%d lines, the last %q", len(lines), lines[len(lines)-1])
	}
}

// TestReaderCorpus streams every sample message of the shared corpus, alone and all joined
// into one file as `cat` would join them (byte order marks and LF line ends included).
func TestReaderCorpus(t *testing.T) {
	var joined []byte
	var want [][]byte
	for _, name := range corpusFiles(t) {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		r := NewReader(bytes.NewReader(data))
		res := readAllMessages(t, r)
		if len(res.errs) > 0 || len(res.msgs) != 1 {
			t.Errorf("%s: %d messages, errors %q", filepath.Base(name), len(res.msgs), res.errs)
			continue
		}
		if m := res.msgs[0]; m.Type() == "" || m.ControlID() == "" {
			t.Errorf("%s: MSH facts missing", filepath.Base(name))
		}
		f, err := ParseFile(data)
		if err != nil || !bytes.Equal(f.Bytes(), data) || len(f.Messages()) != 1 || !bytes.Equal(f.Messages()[0].Bytes(), res.raws[0]) {
			t.Errorf("%s: ParseFile does not agree: %v", filepath.Base(name), err)
			continue
		}
		// Joined, each file ends with a line end, which a message without one takes in.
		msg := res.raws[0]
		if end := msg[len(msg)-1]; end != '\n' && end != '\r' {
			data = append(data, '\n')
			msg = append(msg, '\n')
		}
		joined = append(joined, data...)
		want = append(want, msg)
	}
	res := readAllMessages(t, (&Parser{}).newReader(iotest.HalfReader(bytes.NewReader(joined)), 4096))
	if len(res.errs) > 0 {
		t.Fatalf("joined corpus: %q", res.errs)
	}
	if len(res.msgs) != len(want) {
		t.Fatalf("joined corpus: %d messages, want %d", len(res.msgs), len(want))
	}
	for i := range want {
		if !bytes.Equal(res.raws[i], want[i]) {
			t.Errorf("joined corpus message %d: %q...", i+1, clip(res.raws[i], 40))
		}
	}
	t.Logf("%d corpus messages read alone and joined (%d bytes)", len(want), len(joined))
}

// FuzzParseFile checks on any input: no panic; an input that parses encodes back to itself and
// its envelope check does not panic; a Reader fed byte by byte agrees with ParseFile on the
// messages, and gives ParseFile's error as its first error; the Reader always ends.
func FuzzParseFile(f *testing.F) {
	for _, tt := range fileTests {
		f.Add([]byte(tt.in))
	}
	files, _ := filepath.Glob("testdata/batch/*.hl7")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		"MSH|^~\\&\rBTS\rFTS\rBTS",
		"FHS|\rMSH",
		"\xEF\xBB\rMSH|^~\\&|A\r\n\xEF\xBB\xBFBHS|^~\\&\n",
		"BHS#*@!%\rMSH|^~\\&\rBTS|1|x\rMSH#^~\\&\nBTS^1",
		"MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.5\rPID|1|x\nMSH|^~\\&|A|B|C|D|20260101||ADT^A01|2|P|2.5\rPID|1|y\n",
		"MSH|^~\\&\rNTE|a\nMSH|^~\nMSH|^~\\&|\nFTS|\nBTS\r\nMSH|\rX\nMSH|^~\\&^|",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseFile(data)
		if err == nil {
			if !bytes.Equal(file.Bytes(), data) {
				t.Fatalf("Bytes differ from the input:\n got %q\nwant %q", file.Bytes(), data)
			}
			_ = file.Check()
		}
		p := Parser{}
		compareReader(t, data, p.newReader(iotest.OneByteReader(bytes.NewReader(data)), 8), &p)
		if len(data) > 0 {
			// And with a size limit somewhere in the input's range.
			p.MaxSize = 1 + int(data[0])%max(len(data), 1)
			compareReader(t, data, p.newReader(iotest.HalfReader(bytes.NewReader(data)), 16), &p)
		}
		// Whatever the errors, a Reader reaches io.EOF within one call per input byte or so.
		r := NewReader(bytes.NewReader(data))
		for n := 0; ; n++ {
			if _, err := r.Next(); err == io.EOF {
				break
			}
			if n > 2*len(data)+10 {
				t.Fatal("Reader did not end")
			}
		}
	})
}

// BenchmarkReader streams a generated file of 10,000 messages (about 5 MB) from memory.
func BenchmarkReader(b *testing.B) {
	data, err := io.ReadAll(&batchGen{n: 10_000, per: 1000})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(data))
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != 10_000 {
			b.Fatalf("%d messages", n)
		}
	}
}

// BenchmarkParseFile reads the same file in memory with ParseFile and checks its counts.
func BenchmarkParseFile(b *testing.B) {
	data, err := io.ReadAll(&batchGen{n: 10_000, per: 1000})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := ParseFile(data)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.Check(); err != nil {
			b.Fatal(err)
		}
	}
}
