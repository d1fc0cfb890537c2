package hl7

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

// The tests in this file follow the parser rows of ../shared/HL7-EDGE-CASES.md, one test per
// row, named after it. Each case gives an input, what reading it must give, and the exact error
// when it must fail.

func mustParse(t *testing.T, s string) *Message {
	t.Helper()
	m, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	if got := string(m.Bytes()); got != s {
		t.Fatalf("Bytes() = %q, want the input %q", got, s)
	}
	return m
}

// getCase is one path lookup: the decoded text, and whether the position is present.
type getCase struct {
	path    string
	want    string
	present bool
}

func checkGets(t *testing.T, m *Message, cases []getCase) {
	t.Helper()
	for _, c := range cases {
		v, err := m.Value(c.path)
		if err != nil {
			t.Errorf("Value(%q): %v", c.path, err)
			continue
		}
		if got := v.String(); got != c.want || v.Present() != c.present {
			t.Errorf("Value(%q) = %q present=%v, want %q present=%v", c.path, got, v.Present(), c.want, c.present)
		}
	}
}

func TestRow01CustomDelimiters(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		delim Delimiters
		gets  []getCase
		err   string
	}{{
		name:  "unusual set",
		in:    "MSH#*@!%#APP#FAC\rPID#1##123*X!Y%Z@456#\r",
		delim: Delimiters{Field: '#', Component: '*', Repetition: '@', Escape: '!', SubComponent: '%'},
		gets:  []getCase{{"MSH-1", "#", true}, {"MSH-2", "*@!%", true}, {"PID-3[1].1", "123", true}, {"PID-3[1].2.2", "Z", true}, {"PID-3[2]", "456", true}, {"PID-3[1].2", "X!Y%Z", true}},
	}, {
		name:  "three encoding characters read by position",
		in:    "MSH|^~&|APP\rPID|1||A^B\r",
		delim: Delimiters{Field: '|', Component: '^', Repetition: '~', Escape: '&'},
		gets:  []getCase{{"PID-3.2", "B", true}, {"MSH-2", "^~&", true}},
	}, {
		name: "duplicate delimiter",
		in:   "MSH|^~\\^|APP\r",
		err:  `hl7: line 1 col 4 (byte 3), segment 1 (MSH), field 2: invalid delimiters in MSH-1/MSH-2: component separator and sub-component separator are both '^'`,
	}, {
		name:  "field separator repeated in MSH-2",
		in:    "MSH|^|\\&|APP\r",
		err:   "",
		delim: Delimiters{Field: '|', Component: '^'},
		gets:  []getCase{{"MSH-3", "\\&", true}},
	}, {
		name: "letter as delimiter",
		in:   "MSH|^~\\A|APP\r",
		err:  `hl7: line 1 col 4 (byte 3), segment 1 (MSH), field 2: invalid delimiters in MSH-1/MSH-2: sub-component separator 'A' is a letter or digit`,
	}, {
		name: "empty MSH-2",
		in:   "MSH||APP\r",
		err:  `hl7: line 1 col 4 (byte 3), segment 1 (MSH), field 2: invalid delimiters in MSH-1/MSH-2: MSH-2 (encoding characters) is empty`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.in))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v\nwant %s", err, tt.err)
				}
				if !errors.Is(err, ErrDelimiters) {
					t.Errorf("error does not wrap ErrDelimiters")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Delimiters() != tt.delim {
				t.Errorf("delimiters = %+v, want %+v", m.Delimiters(), tt.delim)
			}
			if !bytes.Equal(m.Bytes(), []byte(tt.in)) {
				t.Errorf("not lossless")
			}
			checkGets(t, m, tt.gets)
		})
	}
	t.Run("ACK echoes MSH-1 and MSH-2", func(t *testing.T) {
		m := mustParse(t, "MSH#*@!%#APP#FAC#RAPP#RFAC#20260101##ADT*A01#C1#P#2.5\r")
		a, err := m.ACK(AckOptions{ControlID: "A1", Time: fixedTime})
		if err != nil {
			t.Fatal(err)
		}
		want := "MSH#*@!%#RAPP#RFAC#APP#FAC#20260102030405+0000##ACK*A01*ACK#A1#P#2.5\rMSA#AA#C1\r"
		if got := string(a.Bytes()); got != want {
			t.Errorf("ACK =\n%q\nwant\n%q", got, want)
		}
	})
}

var fixedTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func TestRow02TruncationCharacter(t *testing.T) {
	m := mustParse(t, "MSH|^~\\&#|APP|FAC|||20260101||ADT^A01|C1|P|2.7\rPID|1||12#34^X||DOE#\r")
	if got := m.Delimiters().Truncation; got != '#' {
		t.Fatalf("truncation = %q", got)
	}
	checkGets(t, m, []getCase{
		{"MSH-2", "^~\\&#", true},
		{"PID-3.1", "12#34", true}, // not a separator
		{"PID-3.2", "X", true},
		{"PID-5", "DOE#", true},
	})
	// \P\ is the truncation character's escape (v2.7).
	if got := m.Delimiters().UnescapeText(`A\P\B`); got != "A#B" {
		t.Errorf(`\P\ = %q`, got)
	}
	if got, _ := m.Delimiters().EscapeText("A#B"); got != `A\P\B` {
		t.Errorf("escape = %q", got)
	}
	a, err := m.ACK(AckOptions{ControlID: "X", Time: fixedTime})
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Get("MSH-2"); got != "^~\\&#" {
		t.Errorf("ACK MSH-2 = %q", got)
	}
}

func TestRow03SegmentTerminators(t *testing.T) {
	tests := []struct {
		name  string
		term  Terminators
		in    string
		names string // segment names, space separated
		gets  []getCase
		err   string
	}{
		{name: "CR", in: "MSH|^~\\&|A\rPID|1\rPV1|1\r", names: "MSH PID PV1"},
		{name: "LF only", in: "MSH|^~\\&|A\nPID|1\nPV1|1\n", names: "MSH PID PV1"},
		{name: "CRLF", in: "MSH|^~\\&|A\r\nPID|1\r\nPV1|1\r\n", names: "MSH PID PV1", gets: []getCase{{"PID-1", "1", true}}},
		{name: "lone LF inside a CR message is text", in: "MSH|^~\\&|A\rNTE|1||line one\nline two\rPV1|1\r", names: "MSH NTE PV1",
			gets: []getCase{{"NTE-3", "line one\nline two", true}}},
		{name: "no final terminator", in: "MSH|^~\\&|A\rPID|1", names: "MSH PID"},
		{name: "CR message whose file adds a final LF", in: "MSH|^~\\&|A\rPID|1|x\n", names: "MSH PID",
			gets: []getCase{{"PID-2", "x", true}}},
		{name: "final LF and blank lines after a CR message", in: "MSH|^~\\&|A\rPID|1|x \n\n\x1a", names: "MSH PID",
			gets: []getCase{{"PID-2", "x ", true}}},
		{name: "final DOS end-of-file mark", in: "MSH|^~\\&|A\rPID|1|x\x1a", names: "MSH PID",
			gets: []getCase{{"PID-2", "x", true}}},
		{name: "any: mixed ends", term: TerminatorsAny, in: "MSH|^~\\&|A\rPID|1\nPV1|1\r\nOBX|1\r", names: "MSH PID PV1 OBX"},
		{name: "CR only: LF is text", term: TerminatorsCR, in: "MSH|^~\\&|A\nPID|1\r", names: "MSH",
			gets: []getCase{{"MSH-3", "A\nPID", true}, {"MSH-4", "1", true}}},
		{name: "CR only: a blank LF after CR is not a segment", term: TerminatorsCR, in: "MSH|^~\\&|A\r\nPID|1\r", names: "MSH PID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Parser{Terminators: tt.term}
			m, err := p.Parse([]byte(tt.in))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v\nwant %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := segNames(m); got != tt.names {
				t.Errorf("segments = %q, want %q", got, tt.names)
			}
			if string(m.Bytes()) != tt.in {
				t.Errorf("not lossless")
			}
			checkGets(t, m, tt.gets)
		})
	}
}

func segNames(m *Message) string {
	var names []string
	for _, s := range m.Segments() {
		names = append(names, s.Name())
	}
	return strings.Join(names, " ")
}

func TestRow04BlankLinesAndTrailingWhitespace(t *testing.T) {
	for _, in := range []string{
		"MSH|^~\\&|A\rPID|1\r\r\r",
		"MSH|^~\\&|A\rPID|1\r\n\r\n",
		"\r\nMSH|^~\\&|A\rPID|1\r",
		"MSH|^~\\&|A\r\rPID|1\r  \t\r",
		"MSH|^~\\&|A\nPID|1\n\n\n",
		"MSH|^~\\&|A\rPID|1\r\x1a",
		"\xef\xbb\xbfMSH|^~\\&|A\rPID|1\r",
	} {
		m := mustParse(t, in)
		if got := segNames(m); got != "MSH PID" {
			t.Errorf("%q: segments %q", in, got)
		}
	}
	// Text that is not blank and not a segment is an error that says where.
	_, err := Parse([]byte("MSH|^~\\&|A\rPID|1\rhello world\r"))
	want := `hl7: line 3 col 1 (byte 17), segment 3: invalid segment name: "hello wo" (a segment starts with three letters or digits and the field separator '|')`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Segment != 3 || pe.Offset != 17 {
		t.Errorf("ParseError = %+v", pe)
	}
}

func TestRow05TrailingDelimiters(t *testing.T) {
	m := mustParse(t, "MSH|^~\\&|A\rPID|1||x^^^|||\r")
	pid, _ := m.First("PID")
	if pid.NumFields() != 6 {
		t.Errorf("PID has %d fields, want 6", pid.NumFields())
	}
	checkGets(t, m, []getCase{
		{"PID-3.1", "x", true}, {"PID-3.4", "", true}, {"PID-3.5", "", false},
		{"PID-6", "", true}, {"PID-7", "", false},
	})
	// Editing another field keeps the trailing delimiters of this one.
	if err := m.Set("PID-1", "2"); err != nil {
		t.Fatal(err)
	}
	if got := m.String(); got != "MSH|^~\\&|A\rPID|2||x^^^|||\r" {
		t.Errorf("after edit: %q", got)
	}
}

func TestRow06EmptyNullAbsent(t *testing.T) {
	m := mustParse(t, "MSH|^~\\&|A\rPID|1||\"\"||~~X|\"\"^B\r")
	tests := []struct {
		path                   string
		present, empty, isNull bool
		str                    string
	}{
		{"PID-2", true, true, false, ""},
		{"PID-3", true, false, true, `""`},
		{"PID-4", true, true, false, ""},
		{"PID-5[1]", true, true, false, ""},
		{"PID-5[3]", true, false, false, "X"},
		{"PID-5[4]", false, false, false, ""},
		{"PID-6.1", true, false, true, `""`},
		{"PID-9", false, false, false, ""},
		{"ZZZ-1", false, false, false, ""},
	}
	for _, tt := range tests {
		v, _ := m.Value(tt.path)
		if v.Present() != tt.present || v.IsEmpty() != tt.empty || v.IsNull() != tt.isNull || v.String() != tt.str {
			t.Errorf("%s: present=%v empty=%v null=%v %q, want %v %v %v %q", tt.path, v.Present(), v.IsEmpty(), v.IsNull(), v.String(), tt.present, tt.empty, tt.isNull, tt.str)
		}
	}
	f := m.ValueAt(MustParsePath("PID-5"))
	if f.NumReps() != 3 {
		t.Errorf("PID-5 has %d repetitions, want 3 (empty repetitions keep their place)", f.NumReps())
	}
	// Writing the null.
	if err := m.Set("PID-8", `""`); err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Value("PID-8"); !v.IsNull() {
		t.Errorf("PID-8 is not null after Set")
	}
}

func TestRow07HeaderFieldNumbering(t *testing.T) {
	m := mustParse(t, "MSH|^~\\&|APP|FAC|RAPP|RFAC|20260101||ADT^A01|C1|P|2.5|||||USA|UNICODE UTF-8~8859/1|||PROF1~PROF2\rPID|1\r")
	checkGets(t, m, []getCase{
		{"MSH-1", "|", true}, {"MSH-2", "^~\\&", true}, {"MSH-3", "APP", true},
		{"MSH-2.1", "^~\\&", true}, {"MSH-2.2", "", false}, {"MSH-2[2]", "", false},
		{"MSH-9.2", "A01", true}, {"MSH-10", "C1", true}, {"MSH-12", "2.5", true},
		{"MSH-18[1]", "UNICODE UTF-8", true}, {"MSH-18[2]", "8859/1", true},
		{"MSH-21[2]", "PROF2", true},
	})
	if m.Charset() != "UNICODE UTF-8" {
		t.Errorf("charset = %q", m.Charset())
	}
	if err := m.Set("MSH-2", "x"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Set MSH-2: %v", err)
	}
	if err := m.Set("MSH-1", "x"); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Set MSH-1: %v", err)
	}
}

func TestRow08EscapesAtTheLeaf(t *testing.T) {
	m := mustParse(t, "MSH|^~\\&|A\rNTE|1||A\\S\\B^C\\T\\D&E\\F\\F~G\\R\\H\\E\\I\r")
	checkGets(t, m, []getCase{
		{"NTE-3[1].1", "A^B", true},
		{"NTE-3[1].2.1", "C&D", true},
		{"NTE-3[1].2.2", "E|F", true},
		{"NTE-3[2]", "G~H\\I", true},
	})
	if v, _ := m.Value("NTE-3[1].1"); string(v.Raw()) != `A\S\B` {
		t.Errorf("raw = %q", v.Raw())
	}
	// Set escapes per leaf; reading back gives the text.
	for _, text := range []string{"A^B", "x|y~z&w\\v", "line\rbreak\nhere"} {
		if err := m.Set("NTE-4.2", text); err != nil {
			t.Fatal(err)
		}
		if got := m.Get("NTE-4.2"); got != text {
			t.Errorf("Set/Get %q = %q", text, got)
		}
	}
}

func TestRow09FormattingAndHexEscapes(t *testing.T) {
	d := DefaultDelimiters()
	tests := []struct{ in, want string }{
		{`one\.br\two`, "one\ntwo"},
		{`a\.sp\b`, "a\nb"},
		{`a\.sp 3\b`, "a\n\n\nb"},
		{`a\.sp 999999\b`, "a" + strings.Repeat("\n", maxSpace) + "b"},
		{`a\.sk 2\b`, "a  b"},
		{`\.ce\Title`, "\nTitle"},
		{`\H\bold\N\ text`, "bold text"},
		{`\.in +4\\.ti -2\x\.fi\\.nf\`, "x"},
		{`\X0D0A\`, "\r\n"},
		{`caf\XC3A9\`, "café"},
		{`\X41\`, "A"},
		{`caf\XE9\`, "café"},    // no character set named, not UTF-8: the byte in ISO 8859-1
		{`\XC3\`, "\u00c3"},     // half a UTF-8 sequence: never an invalid string
		{`\XE282AC\`, "\u20ac"}, // a whole UTF-8 sequence
		{`\X4\`, `\X4\`},        // odd digits: kept
		{`\XZZ\`, `\XZZ\`},      // not hex: kept
		{`\Zlocal\`, `\Zlocal\`},
		{`\.xx\`, `\.xx\`},
		{`\.sp x\`, `\.sp x\`},
		{`\C2842\A\C2D41\`, `\C2842\A\C2D41\`}, // ISO 2022 switches that do not decode as ISO-2022-JP: kept
		{`\M2442\\X3021\\C2842\`, "亜"},         // JIS X 0208 via ISO-2022-JP
	}
	for _, tt := range tests {
		if got := d.UnescapeText(tt.in); got != tt.want {
			t.Errorf("UnescapeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	// A message in ISO 8859-1: hex escapes name bytes of that character set.
	m, err := Parse([]byte("MSH|^~\\&|A|||||||||||||||8859/1\rNTE|1||caf\\XE9\\ \xe9t\xe9\r"))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Get("NTE-3"); got != "café été" {
		t.Errorf("8859/1 text = %q", got)
	}
}

// TestHexEscapesFollowDeclaredCharset: hex escapes that are not UTF-8 read as ISO 8859-1 only
// when no character set is named; a declared UTF-8 (MSH-18 or the Parser's default) makes them
// U+FFFD, one per byte that starts no valid sequence.
func TestHexEscapesFollowDeclaredCharset(t *testing.T) {
	const hdr = "MSH|^~\\&|A|||||||||||||||"
	tests := []struct {
		name   string
		parser Parser
		msh18  string
		want   string
	}{
		{"no set", Parser{}, "", "café é \u00c3"},
		{"UNICODE UTF-8", Parser{}, "UNICODE UTF-8", "caf\uFFFD é \uFFFD"},
		{"UTF-8 by IANA name", Parser{}, "utf-8", "caf\uFFFD é \uFFFD"},
		{"ASCII", Parser{}, "ASCII", "caf\uFFFD é \uFFFD"},
		{"default UTF-8", Parser{Charset: "UNICODE UTF-8"}, "", "caf\uFFFD é \uFFFD"},
		{"8859/1", Parser{}, "8859/1", "café Ã© Ã"},
		{"unknown set ignored", Parser{IgnoreUnknownCharset: true}, "KLINGON", "café é \u00c3"},
	}
	for _, tt := range tests {
		m, err := tt.parser.Parse([]byte(hdr + tt.msh18 + "\rNTE|1||caf\\XE9\\ \\XC3A9\\ \\XC3\\\r"))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got := m.Get("NTE-3"); got != tt.want {
			t.Errorf("%s: NTE-3 = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestRow10UnknownEscapes(t *testing.T) {
	d := DefaultDelimiters()
	for _, tt := range []struct{ in, want string }{
		{`a\Q\b`, `a\Q\b`},
		{`lone \ backslash`, `lone \ backslash`},
		{`end\`, `end\`},
		{`\\`, `\\`},
		{`\E\\F\`, `\|`},
	} {
		if got := d.UnescapeText(tt.in); got != tt.want {
			t.Errorf("UnescapeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	m := mustParse(t, "MSH|^~\\&|A\rNTE|1||a\\Q\\b\r")
	if got := m.Get("NTE-3"); got != `a\Q\b` {
		t.Errorf("Get = %q", got)
	}
}

func TestRow11ZSegments(t *testing.T) {
	m := mustParse(t, "MSH|^~\\&|A\rPID|1\rZPI|1|custom^value\rPV1|1\rZPI|2|other\r")
	checkGets(t, m, []getCase{{"ZPI-2.2", "value", true}, {"ZPI[2]-2", "other", true}})
	if n := m.Count("ZPI"); n != 2 {
		t.Errorf("ZPI count = %d", n)
	}
	if err := m.Set("PV1-2", "I"); err != nil {
		t.Fatal(err)
	}
	if got := m.String(); got != "MSH|^~\\&|A\rPID|1\rZPI|1|custom^value\rPV1|1|I\rZPI|2|other\r" {
		t.Errorf("after edit: %q", got)
	}
}

func TestRow12UnknownVersion(t *testing.T) {
	for _, tt := range []struct{ in, version, ackVersion string }{
		{"MSH|^~\\&|A|F|||20260101||ADT^A01|C1|P\r", "", "2.5.1"},
		{"MSH|^~\\&|A|F|||20260101||ADT^A01|C1|P|2.9\r", "2.9", "2.9"},
		{"MSH|^~\\&|A|F|||20260101||ADT^A01|C1|P|2.5.1.1\r", "2.5.1.1", "2.5.1.1"},
		{"MSH|^~\\&|A|F|||20260101||ADT^A01|C1|P|junk\r", "junk", "junk"},
	} {
		m := mustParse(t, tt.in)
		if m.Version() != tt.version {
			t.Errorf("%q: version %q", tt.in, m.Version())
		}
		a, err := m.ACK(AckOptions{Time: fixedTime, ControlID: "X"})
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Get("MSH-12"); got != tt.ackVersion {
			t.Errorf("%q: ACK MSH-12 %q, want %q", tt.in, got, tt.ackVersion)
		}
	}
}

func TestRow13MessageTypeShapes(t *testing.T) {
	for _, tt := range []struct{ msh9, version, structure, ack9 string }{
		{"ADT", "2.5", "ADT", "ACK"},
		{"ADT^A04", "2.5", "ADT_A04", "ACK^A04^ACK"},
		{"ADT^A04^ADT_A01", "2.5", "ADT_A01", "ACK^A04^ACK"},
		{"ADT^A04", "2.2", "ADT_A04", "ACK^A04"},
		{"ACK^A01^ACK", "2.5", "ACK", "ACK^A01^ACK"},
		{"ACK", "2.5", "ACK", "ACK"},
	} {
		m := mustParse(t, "MSH|^~\\&|A|F|||20260101||"+tt.msh9+"|C1|P|"+tt.version+"\r")
		if got := m.Structure(); got != tt.structure {
			t.Errorf("%s: structure %q, want %q", tt.msh9, got, tt.structure)
		}
		a, _ := m.ACK(AckOptions{Time: fixedTime, ControlID: "X"})
		if got := a.Get("MSH-9"); got != tt.ack9 {
			t.Errorf("%s: ACK MSH-9 %q, want %q", tt.msh9, got, tt.ack9)
		}
	}
}

func TestRow14OBX5DependsOnOBX2(t *testing.T) {
	m := mustParse(t, "MSH|^~\\&|A\rOBX|1|CWE|X^Y||A1^Alpha^L\rOBX|2||X||free^text\rOBX|3|ED|PDF||^AP^PDF^Base64^JVBERi0xLjQK\r")
	// The generic parser splits OBX-5 by the message's delimiters whatever OBX-2 says; the
	// data type only changes how a value is interpreted (typed views, validation, FHIR).
	checkGets(t, m, []getCase{
		{"OBX[1]-5.2", "Alpha", true},
		{"OBX[2]-2", "", true},
		{"OBX[2]-5.1", "free", true},
		{"OBX[3]-5.5", "JVBERi0xLjQK", true},
		{"OBX[3]-5.4", "Base64", true},
	})
}

func TestRow15LargeBinaryPayload(t *testing.T) {
	payload := bytes.Repeat([]byte("QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo+/="), 100_000) // ~3.8 MB of base64
	in := append([]byte("MSH|^~\\&|A|||||||MDM^T02|C1|P|2.5.1\rOBX|1|ED|PDF||^AP^PDF^Base64^"), payload...)
	in = append(in, "||||||F\r"...)
	m, err := Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := m.Value("OBX-5.5")
	if !bytes.Equal(v.Raw(), payload) {
		t.Fatalf("payload differs")
	}
	if !bytes.Equal(m.Bytes(), in) {
		t.Fatalf("not lossless")
	}
	// Allocations do not grow with the size of the payload or the number of fields.
	small := []byte("MSH|^~\\&|A|||||||MDM^T02|C1|P|2.5.1\rOBX|1|ED|PDF||^AP^PDF^Base64^QUJD||||||F\r")
	allocsBig := testing.AllocsPerRun(5, func() { _, _ = Parse(in) })
	allocsSmall := testing.AllocsPerRun(5, func() { _, _ = Parse(small) })
	if allocsBig != allocsSmall {
		t.Errorf("allocations: %v for %d bytes, %v for %d bytes", allocsBig, len(in), allocsSmall, len(small))
	}
	many := []byte("MSH|^~\\&|A\rPID" + strings.Repeat("|x^y~z", 2000) + "\r")
	if a := testing.AllocsPerRun(5, func() { _, _ = Parse(many) }); a != allocsSmall {
		t.Errorf("allocations: %v for 2000 fields, %v for a few", a, allocsSmall)
	}
}

func TestRow23MessagesGluedTogether(t *testing.T) {
	// Parse reads one message: a second MSH stays a segment of it. Splitting a file or a
	// frame that holds several messages is the job of ParseFile and Reader.
	m := mustParse(t, "MSH|^~\\&|A||||||ADT^A01|1|P|2.5\rPID|1\rMSH|^~\\&|A||||||ADT^A01|2|P|2.5\rPID|2\r")
	if m.Count("MSH") != 2 || m.ControlID() != "1" {
		t.Errorf("MSH count %d, control ID %q", m.Count("MSH"), m.ControlID())
	}
}

func TestRow04BlankBytesAtSegmentStart(t *testing.T) {
	for _, in := range []string{
		"MSH|^~\\&|A\r\n\nPID|1\r",
		"MSH|^~\\&|A\r  PID|1\r",
		"MSH|^~\\&|A\r\x00PID|1\r",
	} {
		m := mustParse(t, in)
		if got := segNames(m); got != "MSH PID" || m.Get("PID-1") != "1" {
			t.Errorf("%q: segments %q", in, got)
		}
	}
}
