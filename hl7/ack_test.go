package hl7

import (
	"strings"
	"testing"
)

func TestRow26AckCodes(t *testing.T) {
	const original = "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20260101||ORU^R01^ORU_R01|CTRL1|P|2.5.1\rPID|1\r"
	const enhanced = "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20260101||ORU^R01^ORU_R01|CTRL1|P|2.5.1|||AL|NE\rPID|1\r"
	tests := []struct {
		name, in string
		opts     AckOptions
		want     string
		err      string
	}{
		{name: "default original is AA", in: original,
			want: "MSH|^~\\&|EHR|HOSP|LAB|HOSP|20260102030405+0000||ACK^R01^ACK|A1|P|2.5.1\rMSA|AA|CTRL1\r"},
		{name: "default enhanced is CA, asking for no ack", in: enhanced,
			want: "MSH|^~\\&|EHR|HOSP|LAB|HOSP|20260102030405+0000||ACK^R01^ACK|A1|P|2.5.1|||NE|NE\rMSA|CA|CTRL1\r"},
		{name: "AE with text and a 2.5 ERR", in: original,
			opts: AckOptions{Code: AckAE, Text: "PID-3 is required", Errors: []AckError{{Location: MustParsePath("PID-3"), Code: ErrCodeRequiredFieldMissing, Text: "PID-3 is required", Diagnostic: "segment 2 byte 14"}}},
			want: "MSH|^~\\&|EHR|HOSP|LAB|HOSP|20260102030405+0000||ACK^R01^ACK|A1|P|2.5.1\rMSA|AE|CTRL1|PID-3 is required\rERR||PID^1^3^1|101^Required field missing^HL70357|E|||segment 2 byte 14|PID-3 is required\r"},
		{name: "AR for an unsupported type, location down to the sub-component", in: original,
			opts: AckOptions{Code: AckAR, Errors: []AckError{{Location: MustParsePath("MSH-9.2"), Code: ErrCodeUnsupportedEvent, Severity: "E"}, {Location: MustParsePath("OBX[3]-5[2].1.2"), Code: ErrCodeDataType, Severity: "W"}}},
			want: "MSH|^~\\&|EHR|HOSP|LAB|HOSP|20260102030405+0000||ACK^R01^ACK|A1|P|2.5.1\rMSA|AR|CTRL1\rERR||MSH^1^9^1^2|201^Unsupported event code^HL70357|E\rERR||OBX^3^5^2^1^2|102^Data type error^HL70357|W\r"},
		{name: "CE and CR", in: enhanced, opts: AckOptions{Code: AckCR},
			want: "MSH|^~\\&|EHR|HOSP|LAB|HOSP|20260102030405+0000||ACK^R01^ACK|A1|P|2.5.1|||NE|NE\rMSA|CR|CTRL1\r"},
		{name: "bad code", in: original, opts: AckOptions{Code: "OK"}, err: `hl7: ack code "OK" is not one of AA, AE, AR, CA, CE, CR`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, tt.in)
			tt.opts.ControlID, tt.opts.Time = "A1", fixedTime
			a, err := m.ACK(tt.opts)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := a.String(); got != tt.want {
				t.Errorf("ACK =\n%q\nwant\n%q", got, tt.want)
			}
			if _, err := Parse(a.Bytes()); err != nil {
				t.Errorf("ACK does not parse: %v", err)
			}
			if !a.IsACK() {
				t.Errorf("IsACK false")
			}
		})
	}
}

func TestAckErrPre25(t *testing.T) {
	m := mustParse(t, "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20260101||ADT^A01|CTRL1|P|2.3\r")
	a, err := m.ACK(AckOptions{Code: AckAE, ControlID: "A1", Time: fixedTime, Errors: []AckError{
		{Location: MustParsePath("PID-3"), Code: ErrCodeRequiredFieldMissing},
		{Location: MustParsePath("PV1[1]-2"), Code: ErrCodeTableValue, Text: "X^Y is not a patient class"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := "MSH|^~\\&|EHR|HOSP|LAB|HOSP|20260102030405+0000||ACK^A01|A1|P|2.3\rMSA|AE|CTRL1\rERR|PID^1^3^101&Required field missing&HL70357~PV1^1^2^103&X\\S\\Y is not a patient class&HL70357\r"
	if got := a.String(); got != want {
		t.Errorf("ACK =\n%q\nwant\n%q", got, want)
	}
}

func TestRow27AckHeader(t *testing.T) {
	// Whole HDs swap, MSH-11 and MSH-18 echo, the terminator style is kept.
	m := mustParse(t, "MSH|^~\\&|LAB^1.2.3^ISO|HOSP^2.16.840^ISO|EHR^9.8^ISO|CLINIC|20260101||ORU^R01|CTRL\\F\\1|T^A|2.5||||||UNICODE UTF-8\r\nPID|1\r\n")
	a, err := m.ACK(AckOptions{ControlID: "A1", Time: fixedTime})
	if err != nil {
		t.Fatal(err)
	}
	want := "MSH|^~\\&|EHR^9.8^ISO|CLINIC|LAB^1.2.3^ISO|HOSP^2.16.840^ISO|20260102030405+0000||ACK^R01^ACK|A1|T^A|2.5||||||UNICODE UTF-8\r\nMSA|AA|CTRL\\F\\1\r\n"
	if got := a.String(); got != want {
		t.Errorf("ACK =\n%q\nwant\n%q", got, want)
	}
	if a.Get("MSA-2") != m.ControlID() {
		t.Errorf("MSA-2 %q != MSH-10 %q", a.Get("MSA-2"), m.ControlID())
	}
	// A generated control ID is new each time and fits MSH-10 (20 characters).
	a1, _ := m.ACK(AckOptions{})
	a2, _ := m.ACK(AckOptions{})
	if id1, id2 := a1.ControlID(), a2.ControlID(); id1 == id2 || len(id1) != 20 {
		t.Errorf("generated control IDs %q %q", id1, id2)
	}
}

func TestRow28AckCorrelation(t *testing.T) {
	// A receiver correlates an acknowledgement with what it sent by MSA-2 = MSH-10.
	for _, id := range []string{"1", "ABC-123", "X\\S\\Y"} {
		m := mustParse(t, "MSH|^~\\&|A|B|C|D|20260101||ADT^A01|"+id+"|P|2.5\r")
		a, _ := m.ACK(AckOptions{})
		if a.Get("MSA-2") != m.ControlID() {
			t.Errorf("MSA-2 %q, MSH-10 %q", a.Get("MSA-2"), m.ControlID())
		}
	}
}

func TestRejectRaw(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"bad later segment", "MSH|^~\\&|A|B|C|D|20260101||ADT^A01|C9|P|2.4\rP\x00D|x\r", "MSH|^~\\&|C|D|A|B|20260102030405+0000||ACK^A01^ACK|R1|P|2.4\rMSA|AR|C9\r"},
		{"custom delimiters kept", "MSH#*@!%#A#B###20260101##ADT*A01#C9#P#2.4\r???\r", "MSH#*@!%###A#B#20260102030405+0000##ACK*A01*ACK#R1#P#2.4\rMSA#AR#C9\r"},
		{"no header at all", "garbage", "MSH|^~\\&|||||20260102030405+0000||ACK|R1||2.5.1\rMSA|AR|\r"},
		{"BOM and blank lines", "\xef\xbb\xbf\r\nMSH|^~\\&|A|B|C|D|20260101||ADT^A01|C9|P|2.4\nbad line\n", "MSH|^~\\&|C|D|A|B|20260102030405+0000||ACK^A01^ACK|R1|P|2.4\rMSA|AR|C9\r"},
	}
	for _, tt := range tests {
		a := RejectRaw([]byte(tt.in), AckOptions{Code: AckAR, ControlID: "R1", Time: fixedTime})
		if got := a.String(); got != tt.want {
			t.Errorf("%s: RejectRaw =\n%q\nwant\n%q", tt.name, got, tt.want)
		}
	}
}

func TestErrCodeText(t *testing.T) {
	if ErrCodeText(ErrCodeDuplicateKey) != "Duplicate key identifier" || ErrCodeText("999") != "" {
		t.Error("table 0357")
	}
	if !strings.Contains(ErrCodeText(ErrCodeInternal), "internal") {
		t.Error("207")
	}
}

// TestAckErrPre25Positions: before v2.5, ERR-1 is an ELD (segment ID ^ sequence ^ field
// position ^ code as CE, v2.4 §2.16.5.1): the code is its fourth component even when the
// location is partly or wholly unknown.
func TestAckErrPre25Positions(t *testing.T) {
	m := mustParse(t, "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20260101||ADT^A01|CTRL1|P|2.4\r")
	tests := []struct {
		name string
		loc  Path
		want string // ERR-1 as written
	}{
		{"segment only", Path{Segment: "PID"}, "PID^1^^207&Application internal error&HL70357"},
		{"no location", Path{}, "^^^207&Application internal error&HL70357"},
		{"field", MustParsePath("PV1[2]-3.1"), "PV1^2^3^207&Application internal error&HL70357"},
	}
	for _, tt := range tests {
		a, err := m.ACK(AckOptions{Code: AckAE, ControlID: "A1", Time: fixedTime, Errors: []AckError{{Location: tt.loc}}})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(a.ValueAt(MustParsePath("ERR-1")).Raw()); got != tt.want {
			t.Errorf("%s: ERR-1 = %q, want %q", tt.name, got, tt.want)
		}
		if got := a.Get("ERR-1.4.1"); got != ErrCodeInternal {
			t.Errorf("%s: ERR-1.4.1 = %q, want the code %s", tt.name, got, ErrCodeInternal)
		}
	}
}
