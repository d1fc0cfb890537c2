package hl7

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// ackReference is ACK as it was built before it wrote its text in one buffer: New, then
// every MSH field replaced, then MSA and ERR appended as segments. TestACKMatchesReference
// holds the one-buffer ACK to it, byte for byte.
func ackReference(m *Message, opts AckOptions) (*Message, error) {
	code := opts.Code
	if code == "" {
		code = AckAA
		if m.AckMode() == EnhancedMode {
			code = AckCA
		}
	}
	d := m.delims
	a, err := New(d)
	if err != nil {
		return nil, err
	}
	if len(m.segs) > 0 {
		a.segs[0].trail = m.terminator()
	}
	version := m.Version()
	if version == "" {
		version = opts.Version
	}
	if version == "" {
		version = "2.5.1"
	}
	controlID := opts.ControlID
	if controlID == "" {
		controlID = newControlID()
	}
	ts := opts.Time
	if ts.IsZero() {
		ts = time.Now()
	}
	typ := "ACK"
	if trig := m.header(9).Comp(2).Raw(); len(trig) > 0 {
		typ = "ACK" + bs(d.Component) + string(trig)
		if versionAtLeast(version, 2, 3, 1) {
			typ += bs(d.Component) + "ACK"
		}
	}
	// The header, MSH-3 to MSH-18, written in one go: the values are whole fields as they
	// are encoded (swapped, echoed) or escaped here.
	var msh [19][]byte
	msh[3], msh[4], msh[5], msh[6] = m.header(5).Raw(), m.header(6).Raw(), m.header(3).Raw(), m.header(4).Raw()
	var tsBuf [32]byte
	msh[7] = ts.AppendFormat(tsBuf[:0], "20060102150405-0700")
	msh[9] = []byte(typ)
	msh[10] = []byte(mustEscape(d, controlID))
	msh[11], msh[12] = m.header(11).Raw(), m.header(12).Raw()
	if len(msh[12]) == 0 {
		msh[12] = []byte(mustEscape(d, version))
	}
	if m.AckMode() == EnhancedMode {
		// An acknowledgement asks for no acknowledgement of its own.
		msh[15], msh[16] = []byte("NE"), []byte("NE")
	}
	msh[18] = m.header(18).Raw()
	last := len(msh) - 1
	for last > 2 && len(msh[last]) == 0 {
		last--
	}
	h := &a.segs[0]
	size := len(h.b)
	for _, f := range msh[3 : last+1] {
		size += 1 + len(f)
	}
	b := append(make([]byte, 0, size), h.b...)
	for _, f := range msh[3 : last+1] {
		b = append(append(b, d.Field), f...)
	}
	h.b, h.seps, h.own = b, indexSeps(b, d.Field), a.owner()
	msa := []string{"MSA", code, string(m.header(10).Raw())}
	if opts.Text != "" {
		msa = append(msa, mustEscape(d, clipText(opts.Text, 80)))
	}
	if err := a.AppendSegment(strings.Join(msa, bs(d.Field))); err != nil {
		return nil, err
	}
	if versionAtLeast(version, 2, 5) {
		for _, e := range opts.Errors {
			if err := a.AppendSegment(errSegment25(d, e)); err != nil {
				return nil, err
			}
		}
	} else if len(opts.Errors) > 0 {
		if err := a.AppendSegment(errSegmentOld(d, opts.Errors)); err != nil {
			return nil, err
		}
	}
	// The character set last: the echoed control ID may hold characters it cannot encode
	// (bytes MSH-18's set does not define, read as U+FFFD), which ACK writes all the same.
	a.charset, a.enc, a.declared = m.charset, m.enc, m.declared
	a.dirty = true
	return a, nil
}

// TestACKMatchesReference compares ACK with ackReference on the test messages, the corpus,
// and messages with other charsets, terminators, delimiters and versions, for every code,
// with and without a text and errors.
func TestACKMatchesReference(t *testing.T) {
	var inputs [][]byte
	for _, pattern := range []string{"testdata/*.hl7", "../../shared/corpus/*/*.hl7"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			file, err := ParseFile(data)
			if err != nil {
				continue
			}
			for _, b := range file.Batches {
				for _, m := range b.Messages {
					inputs = append(inputs, m.Bytes())
				}
			}
		}
	}
	inputs = append(inputs,
		[]byte("MSH|^~\\&|LAB|NORTH|EHR|MAIN|20261127||ORU^R01|C1|P|2.3\rPID|1\r"),
		[]byte("MSH|^~\\&|LAB|NORTH|EHR|MAIN|20261127||ORU^R01|C1|P|2.4|||AL|NE\nPID|1\n"),
		[]byte("MSH|^~\\&|LAB|NORTH|EHR|MAIN|20261127||ADT^A01^ADT_A01|C1|P|2.5.1\r\nPID|1\r\n"),
		[]byte("MSH|^~\\&|LAB|NORTH|EHR|MAIN|20261127||ADT^A01|C1|P|2.5.1|||AL|AL||8859/1\rPID|1||1||M\xdcLLER^J\xd6RG\r"),
		[]byte("MSH|^~\\&|L\xc4B|N\xd6RTH|EHR|MAIN|20261127||ADT^A01|C1|P|2.6||||||8859/1\rPID|1\r"),
		[]byte("MSH|^~\\&|LAB|NORTH|EHR|MAIN|20261127||ADT^A01|C1|P|2.7||||||UNICODE UTF-8\rPID|1||1||M\xc3\x9cLLER\r"),
		[]byte("MSH|^~\\&#|LAB|NORTH|EHR|MAIN|20261127||ADT^A01|C1|P|2.7\rPID|1\r"),
		[]byte("MSH|^~&|LAB|NORTH|EHR|MAIN|20261127||ADT^A01|C1|P|2.5\rPID|1\r"),
		[]byte("MSH|^|LAB|NORTH\rPID|1\r"),
		[]byte("MSH|^~\\&|||||||||||\r"),
		[]byte("MSH$^~\\&$LAB$NORTH$EHR$MAIN$20261127$$ADT^A01$C1$P$2.2\rPID$1\r"),
		// Longer than an ackBlock holds; a line feed inside a CR-terminated header; an
		// escaped version; a version with a sub-component.
		[]byte("MSH|^~\\&|"+strings.Repeat("LONG APPLICATION NAME ", 12)+"|NORTH|EHR|MAIN|20261127||ADT^A01|C1|P|2.5\rPID|1\r"),
		[]byte("MSH|^~\\&|LAB|NOR\nTH|EHR|MAIN|20261127||ADT^A01|C1|P|2.5\rPID|1\r"),
		[]byte("MSH|^~\\&|LAB|NORTH|EHR|MAIN|20261127||ADT^A01|C1|P|2\\T\\5\rPID|1\r"),
		[]byte("MSH|^~\\&|LAB|NORTH|EHR|MAIN|20261127||ADT^A01|C1|P|2.3&x\rPID|1\r"),
	)
	where, err := ParsePath("PID-3[2].1.2")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 27, 8, 30, 0, 0, time.FixedZone("", 3600))
	optsList := []AckOptions{
		{},
		{Code: AckAE, Text: "bad | field ^ & ~ \\ here"},
		{Code: AckAR, Text: strings.Repeat("long text ", 20), Version: "2.3"},
		{Code: AckCE, Errors: []AckError{{Code: ErrCodeRequiredFieldMissing, Location: where, Text: "PID-3 is required", Diagnostic: "seen | ^"}, {Code: ErrCodeDataType, Severity: "W"}}},
		{Code: AckCA, Errors: []AckError{{}}},
	}
	n := 0
	for _, in := range inputs {
		m, err := Parse(in)
		if err != nil {
			continue
		}
		for i, opts := range optsList {
			opts.ControlID, opts.Time = "ACK0001", at
			if compareACK(t, fmt.Sprintf("%q options %d", in, i), m, opts) {
				n++
			}
		}
	}
	if n < 50 {
		t.Fatalf("compared %d acknowledgements, want at least 50", n)
	}
}

// TestAppendAckTime holds appendAckTime to the layout it stands for.
// compareACK holds m.ACK(opts) to ackReference, byte for byte, and its index to the one
// index builds; it reports whether there was an acknowledgement to compare.
func compareACK(t *testing.T, what string, m *Message, opts AckOptions) bool {
	t.Helper()
	got, gerr := m.ACK(opts)
	want, werr := ackReference(m, opts)
	if (gerr == nil) != (werr == nil) {
		t.Fatalf("%s: error %v, reference %v", what, gerr, werr)
	}
	if gerr != nil {
		return false
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) || !bytes.Equal(got.Text(), want.Text()) {
		t.Fatalf("%s:\n got %q\nwant %q", what, got.Bytes(), want.Bytes())
	}
	if got.ControlID() != want.ControlID() || got.Get("MSA-2") != want.Get("MSA-2") || got.NumSegments() != want.NumSegments() {
		t.Fatalf("%s: facts differ", what)
	}
	// ACK indexes its text itself (indexACK) when it can: the index must be the one index
	// builds.
	re := &Message{raw: got.raw, text: got.text}
	if err := re.index(0, TerminatorsAuto, true); err != nil {
		t.Fatalf("%s: the acknowledgement does not index: %v", what, err)
	}
	if !reflect.DeepEqual(got.segs, re.segs) || !bytes.Equal(got.prefix, re.prefix) || (got.prefix == nil) != (re.prefix == nil) || got.delims != re.delims {
		t.Fatalf("%s: index of the acknowledgement\n got %+v\nwant %+v", what, got.segs, re.segs)
	}
	return true
}

func TestAppendAckTime(t *testing.T) {
	zones := []*time.Location{time.UTC, time.FixedZone("", 3600), time.FixedZone("", -7*3600-30*60),
		time.FixedZone("", -30), time.FixedZone("", 45), time.FixedZone("", 14*3600), time.FixedZone("", -12*3600-59*60-59)}
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		zones = append(zones, ny)
	}
	times := []time.Time{
		time.Date(2026, 11, 27, 8, 30, 5, 999, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 6, 15, 12, 0, 0, 0, time.UTC),
		time.Date(1883, 11, 18, 12, 0, 0, 0, time.UTC), // before railway time: offsets in seconds
		time.Now(),
	}
	for _, tm := range times {
		for _, z := range zones {
			in := tm.In(z)
			want := in.Format("20060102150405-0700")
			if got := string(appendAckTime(nil, in)); got != want {
				t.Errorf("appendAckTime(%v) = %q, want %q", in, got, want)
			}
		}
	}
}
