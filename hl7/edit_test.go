package hl7

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

func TestSet(t *testing.T) {
	const in = "MSH|^~\\&|A\rPID|1||ID1^^^AUTH~ID2||DOE^JOHN|\rOBX|1|NM|X||5\r"
	tests := []struct {
		path, value string
		raw         bool
		want        string // the PID, OBX or new segments as they must read after the edit
		err         string
	}{
		{path: "PID-5.1", value: "SMITH", want: "PID|1||ID1^^^AUTH~ID2||SMITH^JOHN|"},
		{path: "PID-5", value: "A^B", want: "PID|1||ID1^^^AUTH~ID2||A\\S\\B|"},
		{path: "PID-5", value: "A^B", raw: true, want: "PID|1||ID1^^^AUTH~ID2||A^B|"},
		{path: "PID-5.4", value: "JR", want: "PID|1||ID1^^^AUTH~ID2||DOE^JOHN^^JR|"},
		{path: "PID-5.1.2", value: "VAN", want: "PID|1||ID1^^^AUTH~ID2||DOE&VAN^JOHN|"},
		{path: "PID-3[2].4", value: "OTHER", want: "PID|1||ID1^^^AUTH~ID2^^^OTHER||DOE^JOHN|"},
		{path: "PID-3[4]", value: "ID4", want: "PID|1||ID1^^^AUTH~ID2~~ID4||DOE^JOHN|"},
		{path: "PID-3", value: "ONLY", want: "PID|1||ONLY||DOE^JOHN|"},
		{path: "PID-10", value: "X", want: "PID|1||ID1^^^AUTH~ID2||DOE^JOHN|||||X"},
		{path: "PID-8", value: `""`, want: `PID|1||ID1^^^AUTH~ID2||DOE^JOHN|||""`},
		{path: "PID", value: "PID|9", raw: true, want: "PID|9"},
		{path: "OBX[2]-5", value: "7", want: "OBX|1|NM|X||5\rOBX|||||7"},
		{path: "ZZZ-2.2", value: "z", want: "ZZZ||^z"},
		{path: "MSH-2", value: "x", err: "hl7: set MSH-2: value cannot be set: MSH-1 and MSH-2 hold the delimiters"},
		{path: "PID", value: "x", err: "hl7: set PID: value cannot be set: a whole segment is set with SetRaw"},
		{path: "PID", value: "PV1|1", raw: true, err: "hl7: set PID: value cannot be set: the new segment is named PV1"},
		{path: "PID-5", value: "a\rb", raw: true, err: "hl7: set PID-5: value cannot be set: raw value holds a line end"},
		{path: "PID-", value: "x", err: `hl7: invalid path "PID-" at position 5: expected the field number (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
	}
	for _, tt := range tests {
		m := mustParse(t, in)
		var err error
		if tt.raw {
			err = m.SetRaw(tt.path, tt.value)
		} else {
			err = m.Set(tt.path, tt.value)
		}
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("Set(%q, %q) err = %v\nwant %s", tt.path, tt.value, err, tt.err)
			}
			if m.Modified() {
				t.Errorf("Set(%q) failed but modified the message", tt.path)
			}
			continue
		}
		if err != nil {
			t.Errorf("Set(%q, %q): %v", tt.path, tt.value, err)
			continue
		}
		if !bytes.Contains(m.Bytes(), []byte(tt.want+"\r")) {
			t.Errorf("Set(%q, %q) = %q\nwant it to contain %q", tt.path, tt.value, m.Bytes(), tt.want)
		}
		if !tt.raw && tt.path != "PID" {
			if got := m.Get(tt.path); got != tt.value {
				t.Errorf("Get(%q) after Set = %q, want %q", tt.path, got, tt.value)
			}
		}
		// The edit is visible to a fresh parse of the output.
		m2, err := Parse(m.Bytes())
		if err != nil {
			t.Fatalf("reparse: %v", err)
		}
		if !bytes.Equal(m2.Bytes(), m.Bytes()) {
			t.Errorf("reparse differs")
		}
	}
}

// TestEditChangesOnlyItsSegment checks that editing one field leaves every other byte of the
// message as it came, odd terminators and trailing delimiters included.
func TestEditChangesOnlyItsSegment(t *testing.T) {
	in := "\xef\xbb\xbfMSH|^~\\&|A|||||||ADT^A01|1|P|2.5\r\nEVN|A01||||\r\n\r\nPID|1||X~~||a\\Q\\b^^|\r\nPV1|1|I|||\r\n"
	m := mustParse(t, in)
	if err := m.Set("PID-5.2", "NEW"); err != nil {
		t.Fatal(err)
	}
	want := "\xef\xbb\xbfMSH|^~\\&|A|||||||ADT^A01|1|P|2.5\r\nEVN|A01||||\r\n\r\nPID|1||X~~||a\\Q\\b^NEW^|\r\nPV1|1|I|||\r\n"
	if got := string(m.Bytes()); got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestDelete(t *testing.T) {
	const in = "MSH|^~\\&|A\rPID|1||ID1~ID2~ID3||DOE^JOHN^Q^^|X|Y\rOBX|1\rOBX|2\r"
	tests := []struct{ path, want string }{
		{"PID-7", "PID|1||ID1~ID2~ID3||DOE^JOHN^Q^^|X"},
		{"PID-6", "PID|1||ID1~ID2~ID3||DOE^JOHN^Q^^||Y"},
		{"PID-3[2]", "PID|1||ID1~ID3||DOE^JOHN^Q^^|X|Y"},
		{"PID-3[3]", "PID|1||ID1~ID2||DOE^JOHN^Q^^|X|Y"},
		{"PID-3[1]", "PID|1||ID2~ID3||DOE^JOHN^Q^^|X|Y"},
		{"PID-5.3", "PID|1||ID1~ID2~ID3||DOE^JOHN|X|Y"},
		{"PID-5.2", "PID|1||ID1~ID2~ID3||DOE^^Q|X|Y"},
		{"PID-9", "PID|1||ID1~ID2~ID3||DOE^JOHN^Q^^|X|Y"},
		{"OBX[2]", "MSH|^~\\&|A\rPID|1||ID1~ID2~ID3||DOE^JOHN^Q^^|X|Y\rOBX|1"},
		{"OBX", "PID|1||ID1~ID2~ID3||DOE^JOHN^Q^^|X|Y\rOBX|2"},
		{"ZZZ", "OBX|2"},
	}
	for _, tt := range tests {
		m := mustParse(t, in)
		if err := m.Delete(tt.path); err != nil {
			t.Errorf("Delete(%q): %v", tt.path, err)
			continue
		}
		if !bytes.Contains(m.Bytes(), []byte(tt.want+"\r")) {
			t.Errorf("Delete(%q) = %q\nwant it to contain %q", tt.path, m.Bytes(), tt.want)
		}
	}
	m := mustParse(t, in)
	if err := m.Delete("MSH-2"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Delete(MSH-2) = %v", err)
	}
}

func TestSegmentEdits(t *testing.T) {
	m := mustParse(t, "MSH|^~\\&|A\rPID|1\rPV1|1")
	if err := m.AppendSegment("ZZZ|1"); err != nil {
		t.Fatal(err)
	}
	// The message had no final terminator; it still has none.
	if got := m.String(); got != "MSH|^~\\&|A\rPID|1\rPV1|1\rZZZ|1" {
		t.Errorf("append: %q", got)
	}
	if err := m.InsertSegment(1, "EVN|A01"); err != nil {
		t.Fatal(err)
	}
	if err := m.MoveSegment(4, 2); err != nil {
		t.Fatal(err)
	}
	if got := m.String(); got != "MSH|^~\\&|A\rEVN|A01\rZZZ|1\rPID|1\rPV1|1" {
		t.Errorf("insert+move: %q", got)
	}
	if err := m.ReplaceSegment(2, "ZPI|2|x"); err != nil {
		t.Fatal(err)
	}
	m.RemoveSegment(4)
	m.RemoveSegment(0) // the header stays
	if got := m.String(); got != "MSH|^~\\&|A\rEVN|A01\rZPI|2|x\rPID|1" {
		t.Errorf("replace+remove: %q", got)
	}
	for _, bad := range []string{"x", "PID\r|1", "TOOLONG|1", "MSH|#~\\&|X"} {
		if err := m.AppendSegment(bad); err == nil {
			t.Errorf("AppendSegment(%q) succeeded", bad)
		}
	}
	// New segments take the message's own terminator.
	m = mustParse(t, "MSH|^~\\&|A\r\nPID|1\r\n")
	_ = m.AppendSegment("PV1|1")
	if got := m.String(); got != "MSH|^~\\&|A\r\nPID|1\r\nPV1|1\r\n" {
		t.Errorf("CRLF append: %q", got)
	}
}

func TestCloneIsIndependent(t *testing.T) {
	m := mustParse(t, sampleADT)
	c := m.Clone()
	if err := c.Set("PID-5.1", "CHANGED"); err != nil {
		t.Fatal(err)
	}
	if err := c.AppendSegment("ZZZ|1"); err != nil {
		t.Fatal(err)
	}
	if m.Get("PID-5.1") != "EVERYWOMAN" || m.Modified() || string(m.Bytes()) != sampleADT {
		t.Errorf("editing a clone changed the original")
	}
	if c.Get("PID-5.1") != "CHANGED" || c.Count("ZZZ") != 1 {
		t.Errorf("clone did not change")
	}
}

func TestNew(t *testing.T) {
	m, err := New(DefaultDelimiters())
	if err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{{"MSH-3", "COURIER"}, {"MSH-9.1", "ADT"}, {"MSH-9.2", "A08"}, {"MSH-12", "2.5.1"}, {"PID-3.1", "123"}} {
		if err := m.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	if got := m.String(); got != "MSH|^~\\&|COURIER||||||ADT^A08|||2.5.1\rPID|||123\r" {
		t.Errorf("New = %q", got)
	}
	if _, err := New(Delimiters{Field: '|', Component: '|'}); !errors.Is(err, ErrDelimiters) {
		t.Errorf("New with bad delimiters: %v", err)
	}
}

func TestCharsetRoundTrip(t *testing.T) {
	in := []byte("MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||8859/1\rPID|1||||M\xfcller^J\xfcrgen\r")
	m, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Get("PID-5.1"); got != "Müller" {
		t.Errorf("PID-5.1 = %q", got)
	}
	if !bytes.Equal(m.Bytes(), in) {
		t.Errorf("not lossless")
	}
	if err := m.Set("PID-5.2", "Jörg"); err != nil {
		t.Fatal(err)
	}
	want := []byte("MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||8859/1\rPID|1||||M\xfcller^J\xf6rg\r")
	if !bytes.Equal(m.Bytes(), want) {
		t.Errorf("edited = %q, want %q", m.Bytes(), want)
	}
	if got := string(m.Text()); got != "MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||8859/1\rPID|1||||Müller^Jörg\r" {
		t.Errorf("Text = %q", got)
	}
	// A default charset applies when MSH-18 is empty.
	p := Parser{Charset: "8859/1"}
	m, err = p.Parse([]byte("MSH|^~\\&|A\rPID|1||||M\xfcller\r"))
	if err != nil || m.Get("PID-5") != "Müller" {
		t.Errorf("default charset: %v %q", err, m.Get("PID-5"))
	}
	// An unknown charset is an error that says where, unless ignored.
	_, err = Parse([]byte("MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||KLINGON\rPID|1\r"))
	if want := `hl7: line 1 col 38 (byte 37), segment 1 (MSH), field 18: unsupported character set: "KLINGON" (set the channel's default charset, or fix MSH-18)`; err == nil || err.Error() != want {
		t.Errorf("unknown charset: %v\nwant %s", err, want)
	}
	p = Parser{IgnoreUnknownCharset: true}
	if _, err := p.Parse([]byte("MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||KLINGON\rPID|1\r")); err != nil {
		t.Errorf("ignored unknown charset: %v", err)
	}
	// UTF-16 with a byte order mark is decoded whole.
	u16 := []byte{0xFE, 0xFF}
	for _, r := range "MSH|^~\\&|A\rPID|1||||Ça\r" {
		u16 = append(u16, byte(r>>8), byte(r))
	}
	m, err = Parse(u16)
	if err != nil {
		t.Fatal(err)
	}
	if m.Get("PID-5") != "Ça" || !bytes.Equal(m.Bytes(), u16) {
		t.Errorf("UTF-16: %q", m.Get("PID-5"))
	}
	for _, name := range []string{"ASCII", "8859/15", "UNICODE UTF-8", "ISO IR87", "GB 18030-2000", "KS X 1001", "BIG-5", "windows-1252", "utf-8"} {
		if !SupportedCharset(name) {
			t.Errorf("%s not supported", name)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, err string }{
		{"", `hl7: line 1 col 1 (byte 0): message does not start with an MSH segment: found ""`},
		{"PID|1\r", `hl7: line 1 col 1 (byte 0): message does not start with an MSH segment: found "PID|1\r"`},
		{"\r\n\r\nEVN|1", `hl7: line 3 col 1 (byte 4): message does not start with an MSH segment: found "EVN|1"`},
		{"MSH", `hl7: line 1 col 4 (byte 3), segment 1 (MSH), field 2: invalid delimiters in MSH-1/MSH-2: header is 3 bytes, too short to hold MSH-1`},
		{"MSH|^~\\&|A\rPIDX|1\r", `hl7: line 2 col 1 (byte 11), segment 2: invalid segment name: "PIDX|1" (a segment starts with three letters or digits and the field separator '|')`},
		{"MSH|^~\\&|A\rPI|1\r", `hl7: line 2 col 1 (byte 11), segment 2: invalid segment name: "PI|1" (a segment starts with three letters or digits and the field separator '|')`},
	}
	for _, tt := range tests {
		_, err := Parse([]byte(tt.in))
		if err == nil || err.Error() != tt.err {
			t.Errorf("Parse(%q) = %v\nwant %s", tt.in, err, tt.err)
		}
	}
	p := Parser{MaxSize: 10}
	if _, err := p.Parse([]byte("MSH|^~\\&|APP\r")); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxSize: %v", err)
	}
}

// TestEditsInPlace checks that many edits of one segment, clones taken between edits, and
// edits of those clones never show through to one another.
func TestEditsInPlace(t *testing.T) {
	m := mustParse(t, sampleADT)
	pid, _ := m.First("PID")
	for i, v := range []string{"A", "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", "", "CC", "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD^X"} {
		if err := pid.Set(MustParsePath("PID-5.1"), v); err != nil {
			t.Fatal(err)
		}
		if got := m.Get("PID-5.1"); got != v {
			t.Fatalf("edit %d: %q, want %q", i, got, v)
		}
		if got := m.Get("PID-8"); got != "F" {
			t.Fatalf("edit %d moved PID-8: %q", i, got)
		}
	}
	c := m.Clone()
	if err := m.Set("PID-5.2", "ORIGINAL"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("PID-5.2", "CLONE"); err != nil {
		t.Fatal(err)
	}
	if m.Get("PID-5.2") != "ORIGINAL" || c.Get("PID-5.2") != "CLONE" || m.Get("PID-5.1") != c.Get("PID-5.1") {
		t.Errorf("clone and original share an edit: %q %q", m.Get("PID-5.2"), c.Get("PID-5.2"))
	}
	c2 := c.Clone()
	_ = c2.SetRaw("PID-8", "M")
	if c.Get("PID-8") != "F" || c2.Get("PID-8") != "M" {
		t.Errorf("second clone: %q %q", c.Get("PID-8"), c2.Get("PID-8"))
	}
	// Every version reparses to itself.
	for _, x := range []*Message{m, c, c2} {
		y, err := Parse(x.Bytes())
		if err != nil || !bytes.Equal(y.Bytes(), x.Bytes()) || y.Get("PID-8") != x.Get("PID-8") {
			t.Errorf("reparse: %v", err)
		}
	}
	if string(mustParse(t, sampleADT).Bytes()) != sampleADT {
		t.Error("the parsed input was written to")
	}
}

func TestSegmentSetAndValue(t *testing.T) {
	m := mustParse(t, sampleADT)
	var obx []Segment
	for s := range m.All("OBX") {
		obx = append(obx, s)
	}
	if err := obx[1].Set(MustParsePath("OBX-3.1"), "X^Y"); err != nil {
		t.Fatal(err)
	}
	if err := obx[0].SetRaw(MustParsePath("OBX-3.4"), "A^B"); err != nil {
		t.Fatal(err)
	}
	if got := m.Get("OBX[2]-3.1"); got != "X^Y" {
		t.Errorf("OBX[2]-3.1 = %q", got)
	}
	if got := obx[0].Value(MustParsePath("OBX-3.5")).String(); got != "B" {
		t.Errorf("OBX[1]-3.5 = %q", got)
	}
	if err := obx[0].Set(MustParsePath("OBX"), "x"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("whole segment: %v", err)
	}
	msh, _ := m.First("MSH")
	if err := msh.Set(MustParsePath("MSH-2"), "x"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("MSH-2: %v", err)
	}
}

func TestSetRawValue(t *testing.T) {
	m := mustParse(t, sampleADT)
	for obx := range m.All("OBX") {
		v := obx.Value(MustParsePath("OBX-3.1"))
		ok, err := obx.SetRawValue(v, "LN-"+v.String())
		if !ok || err != nil {
			t.Fatalf("SetRawValue: %v %v", ok, err)
		}
	}
	if m.Get("OBX[1]-3.1") != "LN-8867-4" || m.Get("OBX[2]-3.1") != "LN-8480-6" || m.Get("OBX[2]-3.2") != "Systolic blood pressure" {
		t.Errorf("after SetRawValue: %q %q", m.Get("OBX[1]-3.1"), m.Get("OBX[2]-3.1"))
	}
	pid, _ := m.First("PID")
	obx, _ := m.First("OBX")
	// A value of another segment is refused, and nothing changes.
	if ok, _ := obx.SetRawValue(pid.Field(5), "X"); ok || m.Get("OBX-3.1") != "LN-8867-4" {
		t.Error("a value of another segment was accepted")
	}
	if _, err := obx.SetRawValue(obx.Field(5), "a\rb"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("line end: %v", err)
	}
	if y, err := Parse(m.Bytes()); err != nil || y.Get("OBX[2]-3.1") != "LN-8480-6" {
		t.Errorf("reparse: %v", err)
	}
}

// TestCharsetEdits: an edit never leaves bytes that disagree with MSH-18 (row 17). Setting
// MSH-18 re-encodes the message in the set it names; text the set cannot hold is refused
// instead of turning the whole message into UTF-8 under an MSH-18 that says otherwise.
func TestCharsetEdits(t *testing.T) {
	const hdr = "MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||"
	tests := []struct {
		name   string
		in     string
		parser Parser
		path   string // set to text
		text   string
		want   string // Bytes after the edit
		err    string
	}{
		{name: "8859/1 converted to UTF-8 by setting MSH-18", in: hdr + "8859/1\rPID|1||||M\xfcller\r",
			path: "MSH-18", text: "UNICODE UTF-8", want: hdr + "UNICODE UTF-8\rPID|1||||M\xc3\xbcller\r"},
		{name: "UTF-8 converted to 8859/1", in: hdr + "UNICODE UTF-8\rPID|1||||M\xc3\xbcller\r",
			path: "MSH-18", text: "8859/1", want: hdr + "8859/1\rPID|1||||M\xfcller\r"},
		{name: "default charset made explicit", in: "MSH|^~\\&|A\rPID|1||||M\xfcller\r", parser: Parser{Charset: "8859/1"},
			path: "MSH-18", text: "8859/1", want: "MSH|^~\\&|A|||||||||||||||8859/1\rPID|1||||M\xfcller\r"},
		{name: "undeclared 8859/1 bytes declared by setting MSH-18", in: "MSH|^~\\&|A\rPID|1||||M\xfcller\r",
			path: "MSH-18", text: "8859/1", want: "MSH|^~\\&|A|||||||||||||||8859/1\rPID|1||||M\xfcller\r"},
		{name: "other header edits keep the set", in: hdr + "8859/1\rPID|1||||M\xfcller\r",
			path: "MSH-3", text: "B\u00e9", want: "MSH|^~\\&|B\xe9||||||ADT^A01|1|P|2.5||||||8859/1\rPID|1||||M\xfcller\r"},
		{name: "an unknown set leaves the encoding", in: hdr + "8859/1\rPID|1||||M\xfcller\r",
			path: "MSH-18", text: "KLINGON", want: hdr + "KLINGON\rPID|1||||M\xfcller\r"},
		{name: "text 8859/1 cannot hold is refused", in: hdr + "8859/1\rPID|1||||M\xfcller\r",
			path: "PID-5.2", text: "\u20ac",
			err: "hl7: set PID-5.2: unsupported character set: the message's character set 8859/1 (MSH-18) cannot hold the text; change MSH-18 first (to UNICODE UTF-8) or replace the characters"},
		{name: "refused in a 7-bit 8859/1 message too", in: hdr + "8859/1\rPID|1\r",
			path: "PID-5", text: "\u4e9c",
			err: "hl7: set PID-5: unsupported character set: the message's character set 8859/1 (MSH-18) cannot hold the text; change MSH-18 first (to UNICODE UTF-8) or replace the characters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := tt.parser.Parse([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			err = m.Set(tt.path, tt.text)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v\nwant %s", err, tt.err)
				}
				if !bytes.Equal(m.Bytes(), []byte(tt.in)) {
					t.Errorf("a refused edit changed the message: %q", m.Bytes())
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := string(m.Bytes()); got != tt.want {
				t.Errorf("Bytes = %q\nwant %q", got, tt.want)
			}
			if tt.path == "MSH-18" && !SupportedCharset(tt.text) {
				return // the message does not read back without IgnoreUnknownCharset
			}
			back, err := Parse(m.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if got, want := back.Get("PID-5"), "Müller"; got != want {
				t.Errorf("read back PID-5 = %q, want %q", got, want)
			}
		})
	}
}

// TestBOMWithDeclaredCharset: a UTF-8 byte order mark before a message whose MSH-18 names
// another set (an editor re-saved the file as UTF-8) reads as UTF-8; before bytes that are not
// UTF-8, the mark is skipped and the rest read in MSH-18's set. Both are lossless.
func TestBOMWithDeclaredCharset(t *testing.T) {
	const hdr = "MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||8859/1\r"
	tests := []struct{ name, in, want, charset, edited string }{
		{"UTF-8 text", "\xef\xbb\xbf" + hdr + "PID|1||||M\xc3\xbcller\r", "Müller", "UNICODE UTF-8",
			"\xef\xbb\xbf" + hdr + "PID|1||||M\xc3\xbcller|x\r"},
		{"8859/1 text", "\xef\xbb\xbf" + hdr + "PID|1||||M\xfcller\r", "Müller", "8859/1",
			"\xef\xbb\xbf" + hdr + "PID|1||||M\xfcller|x\r"},
		{"7-bit text", "\xef\xbb\xbf" + hdr + "PID|1||||Muller\r", "Muller", "UNICODE UTF-8",
			"\xef\xbb\xbf" + hdr + "PID|1||||Muller|x\r"},
	}
	for _, tt := range tests {
		m, err := Parse([]byte(tt.in))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := m.Get("PID-5"); got != tt.want || m.Charset() != tt.charset {
			t.Errorf("%s: PID-5 = %q in %q, want %q in %q", tt.name, got, m.Charset(), tt.want, tt.charset)
		}
		if !bytes.Equal(m.Bytes(), []byte(tt.in)) {
			t.Errorf("%s: not lossless", tt.name)
		}
		if err := m.Set("PID-6", "x"); err != nil {
			t.Fatal(err)
		}
		if got := string(m.Bytes()); got != tt.edited {
			t.Errorf("%s: edited = %q\nwant %q", tt.name, got, tt.edited)
		}
	}
}

// TestHeaderSegmentsStay: the MSH stays first, and a header segment an edit creates carries
// the delimiters, so that the message reads back.
func TestHeaderSegmentsStay(t *testing.T) {
	const in = "MSH|^~\\&|A\rPID|1\r"
	m := mustParse(t, in)
	want := "hl7: insert segment at 0: value cannot be set: the MSH stays the first segment; insert from position 1"
	if err := m.InsertSegment(0, "PID|2"); err == nil || err.Error() != want {
		t.Errorf("InsertSegment(0) = %v\nwant %s", err, want)
	}
	want = "hl7: replace segment 0: value cannot be set: the first segment stays the MSH"
	if err := m.ReplaceSegment(0, "PID|2"); err == nil || err.Error() != want {
		t.Errorf("ReplaceSegment(0) = %v\nwant %s", err, want)
	}
	if string(m.Bytes()) != in {
		t.Errorf("refused edits changed the message: %q", m.Bytes())
	}
	for _, tt := range []struct{ path, want string }{
		{"BHS-3", "MSH|^~\\&|A\rPID|1\rBHS|^~\\&|x\r"},
		{"MSH[2]-4", "MSH|^~\\&|A\rMSH|^~\\&||x\rPID|1\r"},
	} {
		m := mustParse(t, in)
		if err := m.Set(tt.path, "x"); err != nil {
			t.Fatal(err)
		}
		if got := string(m.Bytes()); got != tt.want {
			t.Errorf("Set(%s) = %q\nwant %q", tt.path, got, tt.want)
		}
		if got := m.Get(tt.path); got != "x" {
			t.Errorf("Get(%s) = %q", tt.path, got)
		}
	}
}

// TestRefusedEditChangesNothing: text the message's character set cannot hold is refused on
// every edit path before anything is created, so the message stays as it was: no empty
// segments added on the way to the one refused, not marked modified.
func TestRefusedEditChangesNothing(t *testing.T) {
	const in = "MSH|^~\\&|A||||||ADT^A01|1|P|2.5||||||8859/1\rPID|1||||M\xfcller\rNTE|1||x\r"
	nte, _ := ParsePath("NTE[3]-3")
	tests := []struct {
		name string
		edit func(m *Message) error
	}{
		{"Set", func(m *Message) error { return m.Set("NTE[3]-3", "price \u20ac") }},
		{"Set component", func(m *Message) error { return m.Set("ZZZ[2]-3[2].1.2", "\u20ac") }},
		{"SetAt", func(m *Message) error { return m.SetAt(nte, "price \u20ac") }},
		{"SetRaw field", func(m *Message) error { return m.SetRaw("NTE[3]-3", "price \u20ac") }},
		{"SetRaw segment", func(m *Message) error { return m.SetRaw("NTE[3]", "NTE|3||price \u20ac") }},
		{"SetRawAt", func(m *Message) error { return m.SetRawAt(nte, "price \u20ac") }},
		{"Segment.Set", func(m *Message) error { return m.Segment(2).Set(nte, "price \u20ac") }},
		{"Segment.SetRaw", func(m *Message) error { return m.Segment(2).SetRaw(nte, "price \u20ac") }},
		{"SetRawValue", func(m *Message) error {
			s := m.Segment(2)
			_, err := s.SetRawValue(s.Field(3), "price \u20ac")
			return err
		}},
		{"InsertSegment", func(m *Message) error { return m.InsertSegment(1, "NTE|0||price \u20ac") }},
		{"AppendSegment", func(m *Message) error { return m.AppendSegment("NTE|2||price \u20ac") }},
		{"ReplaceSegment", func(m *Message) error { return m.ReplaceSegment(2, "NTE|1||price \u20ac") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, in)
			if err := tt.edit(m); !errors.Is(err, ErrCharset) {
				t.Fatalf("err = %v, want ErrCharset", err)
			}
			if m.Modified() || m.NumSegments() != 3 || !bytes.Equal(m.Bytes(), []byte(in)) {
				t.Errorf("a refused edit changed the message: modified %v, %d segments, %q", m.Modified(), m.NumSegments(), m.Bytes())
			}
		})
	}
}

// TestCharsetChangeChecksText: an edit that changes the character set MSH-18 names is refused
// when the text already in the message cannot be written in the new set, whatever the edit
// path; the message is left as it was. Bytes that are not UTF-8 in a message read without a
// set are read in a single-byte set that MSH-18 then names (declaring what they are), and
// refused for any other set: the output is never in two encodings.
func TestCharsetChangeChecksText(t *testing.T) {
	const (
		hdr  = "MSH|^~\\&|A||||||ADT^A01|1|P|2.5"
		utf8 = hdr + "\rNTE|1||caf\xc3\xa9 \xe2\x82\xac\r" // "café €", no MSH-18
		hold = "hl7: set MSH-18: unsupported character set: MSH-18 8859/1 cannot hold the text already in segment 2 (NTE); choose a set that holds it (UNICODE UTF-8), or change that text first"
	)
	tests := []struct {
		name string
		in   string
		edit func(m *Message) error
		err  string
	}{
		{"Set", utf8, func(m *Message) error { return m.Set("MSH-18", "8859/1") }, hold},
		{"SetRaw", utf8, func(m *Message) error { return m.SetRaw("MSH-18", "8859/1~UNICODE UTF-8") }, hold},
		{"SetRaw moving fields", utf8, func(m *Message) error { return m.SetRaw("MSH-17", "USA|8859/1") },
			"hl7: set MSH-17: unsupported character set: MSH-18 8859/1 cannot hold the text already in segment 2 (NTE); choose a set that holds it (UNICODE UTF-8), or change that text first"},
		{"SetRaw segment", utf8, func(m *Message) error { return m.SetRaw("MSH", hdr+"||||||8859/1") },
			"hl7: set MSH: unsupported character set: MSH-18 8859/1 cannot hold the text already in segment 2 (NTE); choose a set that holds it (UNICODE UTF-8), or change that text first"},
		{"ReplaceSegment", utf8, func(m *Message) error { return m.ReplaceSegment(0, hdr+"||||||8859/1") },
			"hl7: set MSH: unsupported character set: MSH-18 8859/1 cannot hold the text already in segment 2 (NTE); choose a set that holds it (UNICODE UTF-8), or change that text first"},
		{"Segment.Set", utf8, func(m *Message) error { return m.Segment(0).Set(Path{Segment: "MSH", Field: 18}, "8859/1") }, hold},
		{"SetRawValue", hdr + "||||||UNICODE UTF-8\rNTE|1||caf\xc3\xa9 \xe2\x82\xac\r", func(m *Message) error {
			s := m.Segment(0)
			_, err := s.SetRawValue(s.Field(18), "8859/1")
			return err
		}, hold},
		{"Delete first repetition", hdr + "||||||UNICODE UTF-8~8859/1\rNTE|1||caf\xc3\xa9 \xe2\x82\xac\r",
			func(m *Message) error { return m.Delete("MSH-18[1]") },
			"hl7: set MSH-18[1]: unsupported character set: MSH-18 8859/1 cannot hold the text already in segment 2 (NTE); choose a set that holds it (UNICODE UTF-8), or change that text first"},
		{"ASCII", hdr + "\rNTE|1||caf\xc3\xa9\r", func(m *Message) error { return m.Set("MSH-18", "ASCII") },
			"hl7: set MSH-18: unsupported character set: MSH-18 ASCII cannot hold the text already in segment 2 (NTE); choose a set that holds it (UNICODE UTF-8), or change that text first"},
		{"text in the header itself", hdr + "\rNTE|1\r", func(m *Message) error { return m.SetRaw("MSH", "MSH|^~\\&|\u20ac||||||ADT^A01|1|P|2.5||||||8859/1") },
			"hl7: set MSH: unsupported character set: MSH-18 8859/1 cannot hold the text already in segment 1 (MSH); choose a set that holds it (UNICODE UTF-8), or change that text first"},
		{"undeclared bytes that are not UTF-8, declared UTF-8", hdr + "\rPID|1||||M\xfcller\r",
			func(m *Message) error { return m.Set("MSH-18", "UNICODE UTF-8") },
			"hl7: set MSH-18: unsupported character set: segment 2 (PID) holds bytes that are not text in the character set the message was read in (none: bytes as they are), so it cannot be converted to UNICODE UTF-8; read the message with the channel's default character set set to the one its bytes are in"},
		{"undeclared bytes that are not UTF-8, declared multi-byte", hdr + "\rPID|1||||M\xfcller\r",
			func(m *Message) error { return m.Set("MSH-18", "GB 18030-2000") },
			"hl7: set MSH-18: unsupported character set: segment 2 (PID) holds bytes that are not text in the character set the message was read in (none: bytes as they are), so it cannot be converted to GB 18030-2000; read the message with the channel's default character set set to the one its bytes are in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, tt.in)
			cs := m.Charset()
			err := tt.edit(m)
			if err == nil || err.Error() != tt.err || !errors.Is(err, ErrCharset) {
				t.Fatalf("err = %v\nwant %s", err, tt.err)
			}
			if m.Modified() || !bytes.Equal(m.Bytes(), []byte(tt.in)) || m.Charset() != cs {
				t.Errorf("a refused edit changed the message: %q in %q", m.Bytes(), m.Charset())
			}
		})
	}

	// Undeclared 8859/1 bytes, then MSH-18 8859/1, then an edit: one encoding throughout.
	m := mustParse(t, hdr+"\rPID|1||||M\xfcller^J\r")
	if err := m.Set("MSH-18", "8859/1"); err != nil {
		t.Fatal(err)
	}
	if err := m.Set("PID-5.2", "J\u00fcrgen"); err != nil {
		t.Fatal(err)
	}
	if got, want := string(m.Bytes()), hdr+"||||||8859/1\rPID|1||||M\xfcller^J\xfcrgen\r"; got != want {
		t.Errorf("Bytes = %q\nwant %q", got, want)
	}
	if got := m.Get("PID-5"); got != "Müller^Jürgen" {
		t.Errorf("PID-5 = %q", got)
	}
	// The same bytes declared 8859/2 read as 8859/2 (0xB1 is ą there).
	m = mustParse(t, hdr+"\rPID|1||||M\xb1ka\r")
	if err := m.Set("MSH-18", "8859/2"); err != nil {
		t.Fatal(err)
	}
	if got := m.Get("PID-5"); got != "Mąka" {
		t.Errorf("8859/2 PID-5 = %q", got)
	}
	if got, want := string(m.Bytes()), hdr+"||||||8859/2\rPID|1||||M\xb1ka\r"; got != want {
		t.Errorf("8859/2 Bytes = %q\nwant %q", got, want)
	}
	// A set that holds the text converts it.
	m = mustParse(t, utf8)
	if err := m.Set("MSH-18", "8859/15"); err != nil {
		t.Fatal(err)
	}
	if got, want := string(m.Bytes()), hdr+"||||||8859/15\rNTE|1||caf\xe9 \xa4\r"; got != want {
		t.Errorf("8859/15 Bytes = %q\nwant %q", got, want)
	}
}

// TestInPlaceEditsAllocateNothing: writing a short ASCII value in place, as mapping steps do
// for every OBX of a result, allocates nothing — the []byte of the value stays on the stack
// as long as no edit path lets it escape (the character set check once did: 40 allocations
// per 10-step mapping instead of 2).
func TestInPlaceEditsAllocateNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations are counted without -race")
	}
	data, err := os.ReadFile("testdata/oru_r01_30obx.hl7")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePath("OBX-3.4")
	if err != nil {
		t.Fatal(err)
	}
	seg := 1
	for m.Segment(seg).Name() != "OBX" {
		seg++
	}
	s := m.Segment(seg)
	_ = s.SetRaw(p, "L1000") // the segment's first edit copies it into the message's arena
	if n := testing.AllocsPerRun(200, func() { _ = s.SetRaw(p, "L1001") }); n != 0 {
		t.Errorf("Segment.SetRaw: %v allocations per edit, want 0", n)
	}
	if n := testing.AllocsPerRun(200, func() { _, _ = s.SetRawValue(s.Value(p), "L1002") }); n != 0 {
		t.Errorf("Segment.SetRawValue: %v allocations per edit, want 0", n)
	}
}
