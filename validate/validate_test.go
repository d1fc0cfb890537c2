package validate

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/courier-hl7/courier/hl7"
)

// msg joins segments with CR, the HL7 terminator.
func msg(segs ...string) string { return strings.Join(segs, "\r") + "\r" }

// issueLines renders issues as "E 101 PID-3: message", the form the table tests compare.
func issueLines(res Result) []string {
	out := make([]string, 0, len(res.Issues))
	for _, is := range res.Issues {
		p := "-"
		if is.Path.Segment != "" {
			p = is.Path.String()
		}
		out = append(out, fmt.Sprintf("%s %s %s: %s", is.Severity, is.Code, p, is.Message))
	}
	return out
}

func mustValidator(t testing.TB, opts Options) *Validator {
	t.Helper()
	v, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustParse(t testing.TB, s string) *hl7.Message {
	t.Helper()
	m, err := hl7.Parse([]byte(s))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return m
}

// sameLines compares issue lines and reports the difference readably.
func sameLines(t *testing.T, name string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") == strings.Join(want, "\n") {
		return
	}
	t.Errorf("%s:\ngot:\n\t%s\nwant:\n\t%s", name, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
}

// Headers and minimal valid bodies per version.
const (
	msh23  = `MSH|^~\&|REG|HOSP|EHR|HOSP|202601021530||ADT^A01|C1|P|2.3`
	msh251 = `MSH|^~\&|REG|HOSP|EHR|HOSP|202601021530||ADT^A01^ADT_A01|C1|P|2.5.1`
	msh27  = `MSH|^~\&|REG|HOSP|EHR|HOSP|202601021530||ADT^A01^ADT_A01|C1|P|2.7`
	evn    = `EVN|A01|202601021530`
	evn27  = `EVN||202601021530`
	pid    = `PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F`
	pv1    = `PV1|1|I`
)

// TestRuleKinds checks each kind of rule of the standard, with a valid and invalid message, in
// versions 2.3, 2.5.1 and 2.7 (three versions whose definitions differ in kind: lengths for
// whole fields, lengths per component and no component rules, few lengths and withdrawn
// fields).
func TestRuleKinds(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		in   string
		want []string
	}{
		// Valid messages.
		{"2.3 valid", Options{}, msg(msh23, evn, pid, pv1), nil},
		{"2.5.1 valid", Options{}, msg(msh251, evn, pid, pv1), nil},
		{"2.7 valid", Options{}, msg(msh27, evn27, pid, pv1), nil},
		{"2.5.1 null in a required field is a value", Options{}, msg(msh251, evn, `PID|1||12345^^^HOSP^MR||""`, pv1), nil},

		// Required fields (R), empty and absent.
		{"2.3 required empty", Options{}, msg(msh23, evn, `PID|1||12345||`, pv1), []string{
			"E 101 PID-5: PID-5 (Patient Name) is required but empty",
		}},
		{"2.5.1 required missing", Options{}, msg(msh251, evn, `PID|1||12345^^^HOSP^MR`, pv1), []string{
			"E 101 PID-5: PID-5 (Patient Name) is required but missing",
		}},
		{"2.7 required empty", Options{}, msg(msh27, evn27, `PID|1||||DOE`, pv1), []string{
			"E 101 PID-3: PID-3 (Patient Identifier List) is required but empty",
		}},

		// Required components: from 2.5 the standard gives them (CX.1; CX.5 too in 2.7).
		{"2.3 no component rules", Options{}, msg(msh23, evn, `PID|1||^^^HOSP||DOE`, pv1), nil},
		{"2.5.1 CX.1 required", Options{}, msg(msh251, evn, `PID|1||^^^HOSP^MR~7^^^HOSP^MR||DOE`, pv1), []string{
			"E 101 PID-3[1].1: PID-3[1].1 (ID Number) is required when PID-3[1] is valued, but empty",
		}},
		{"2.7 CX.5 required", Options{}, msg(msh27, evn27, `PID|1||12345^^^HOSP||DOE`, pv1), []string{
			"E 101 PID-3.5: PID-3.5 (Identifier Type Code) is required when PID-3 is valued, but missing",
		}},

		// Empty repetitions and fields of separators only hold no value (edge cases 5 and 6).
		{"2.5.1 empty repetitions are not checked", Options{}, msg(msh251, evn, `PID|1||~12345^^^HOSP^MR~||DOE^JANE||19800101|F|||~1 MAIN ST^^CITY`, pv1), nil},
		{"2.7 empty repetitions are not checked", Options{}, msg(msh27, evn27, `PID|1||12345^^^H^MR~^^^^~||DOE`, pv1), nil},
		{"2.7 required field of empty repetitions", Options{}, msg(msh27, evn27, `PID|1||~||DOE`, pv1), []string{
			"E 101 PID-3: PID-3 (Patient Identifier List) is required but empty",
		}},
		{"2.5.1 required field of separators only", Options{}, msg(msh251, evn, `PID|1||^^^^||DOE`, pv1), []string{
			"E 101 PID-3: PID-3 (Patient Identifier List) is required but empty",
		}},
		{"2.5.1 a component of sub-component separators only is empty", Options{}, msg(msh251, evn, `PID|1||1^^^H^MR||&&^JANE`, pv1), nil},
		{"2.5.1 a valued component's required sub-component", Options{}, msg(msh251, evn, `PID|1||1^^^H^MR||&VAN^JANE`, pv1), []string{
			"E 101 PID-5.1.1: PID-5.1.1 (Surname) is required when PID-5.1 is valued, but empty",
		}},
		{"2.3 a trailing empty repetition is a repetition", Options{}, msg(msh23, evn, `PID|1||1||DOE|||F~`, pv1), []string{
			"E 102 PID-8: PID-8 (Sex) has 2 repetitions; 2.3 allows only one",
		}},

		// Repetitions.
		{"2.3 too many repetitions", Options{}, msg(msh23, evn, `PID|1||12345||DOE|||F~M`, pv1), []string{
			"E 102 PID-8: PID-8 (Sex) has 2 repetitions; 2.3 allows only one",
		}},
		{"2.5.1 repeatable field", Options{}, msg(msh251, evn, `PID|1||1^^^H^MR~2^^^H^MR~3^^^H^MR||DOE`, pv1), nil},
		{"2.7 too many repetitions", Options{}, msg(msh27, evn27, `PID|1||1^^^H^MR||DOE||19800101~19810101`, pv1), []string{
			"E 102 PID-7: PID-7 (Date/Time of Birth) has 2 repetitions; 2.7 allows only one",
		}},

		// Lengths: before 2.5 the whole field (PID-3 20, separators included); from 2.5 each
		// primitive value (XPN.2 30); in 2.7 only the few fields that still have one.
		{"2.3 field length", Options{}, msg(msh23, evn, `PID|1||1234567890^^^HOSPITAL^MR||DOE`, pv1), []string{
			"W 102 PID-3: PID-3 (Patient ID) is 24 characters long; 2.3 allows at most 20",
		}},
		{"2.5.1 component length", Options{}, msg(msh251, evn, `PID|1||1^^^H^MR||DOE^ABCDEFGHIJABCDEFGHIJABCDEFGHIJX`, pv1), []string{
			"W 102 PID-5.2: PID-5.2 (Given Name) is 31 characters long; 2.5.1 allows at most 30",
		}},
		{"2.5.1 composite length is informative", Options{}, msg(msh251, evn, pid, pv1, `OBX|1|ST|G^`+strings.Repeat("T", 199)+`^LN^G2^`+strings.Repeat("U", 199)+`^L||x||||||F`), nil},
		{"2.7 length with code 104", Options{}, msg(msh27, evn27, `PID|12345||1^^^H^MR||DOE`, pv1), []string{
			"W 104 PID-1: PID-1 (Set ID - PID) is 5 characters long; 2.7 allows at most 4",
		}},
		{"length as error", Options{LengthSeverity: Error}, msg(msh23, evn, `PID|1||1234567890^^^HOSPITAL^MR||DOE`, pv1), []string{
			"E 102 PID-3: PID-3 (Patient ID) is 24 characters long; 2.3 allows at most 20",
		}},
		{"length counts characters, not bytes", Options{}, msg(msh251, evn, `PID|1||1^^^H^MR||DOE^ÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉÉ`, pv1), nil},

		// Data types.
		{"SI", Options{}, msg(msh251, evn, `PID|A||1^^^H^MR||DOE`, pv1), []string{
			`E 102 PID-1: PID-1 (Set ID - PID): "A" is not a sequence ID (SI): expected a non-negative whole number`,
		}},
		{"NM", Options{}, msg(msh251, evn, pid, pv1, `OBX|1|NM|GLU^Glucose^LN||12,5||||||F`), []string{
			`E 102 OBX-5: OBX-5 (Observation Value): "12,5" is not a NM: unexpected ',' at position 3 (expected [+|-]digits[.digits])`,
		}},
		{"DT", Options{}, msg(msh251, evn, pid, pv1, `IN1|1|PLAN1|INS1|||||||||20261340`), []string{
			`E 102 IN1-12: IN1-12 (Plan Effective Date): "20261340" is not a DT: month 13 at position 5 (expected YYYY[MM[DD]])`,
		}},
		{"2.3 TS", Options{}, msg(msh23, evn, `PID|1||1||DOE||19800230`, pv1), []string{
			`E 102 PID-7: PID-7 (Date of Birth): "19800230" is not a DTM: day 30 (February 1980 has 29 days) at position 7 (expected YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ])`,
		}},
		{"2.5.1 TS degree of precision", Options{}, msg(msh251, evn, `PID|1||1^^^H^MR||DOE||198001^Q`, pv1), []string{
			`E 102 PID-7: PID-7 (Date/Time of Birth): degree of precision "Q" is not one of Y, L, D, H, M, S`,
		}},
		{"2.7 DTM with offset", Options{}, msg(msh27, evn27, `PID|1||1^^^H^MR||DOE||198001011230+0100`, pv1), nil},
		{"2.7 DTM", Options{}, msg(msh27, evn27, `PID|1||1^^^H^MR||DOE||1980-01-01`, pv1), []string{
			`E 102 PID-7: PID-7 (Date/Time of Birth): "1980-01-01" is not a DTM: offset needs 4 digits (+HHMM or -HHMM) at position 5 (expected YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ])`,
		}},
		{"TM", Options{}, msg(`MSH|^~\&|LAB|HOSP|EHR|HOSP|202601021530||ORU^R01^ORU_R01|C1|P|2.5.1`, pid, `ORC|RE`, `OBR|1||F1|GLU^Glucose^LN`, `TQ1|1|||0830~8:30`), []string{
			`E 102 TQ1-4[2]: TQ1-4[2] (Explicit Time): "8:30" is not a TM: hour needs 2 digits at position 1 (expected HH[MM[SS[.S[S[S[S]]]]]][+/-ZZZZ])`,
		}},

		// Coded values.
		{"ID table", Options{}, msg(`MSH|^~\&|A|B|C|D|202601021530||ADT^A01^ADT_A01|C1|P|2.5.1|||XX`, evn, pid, pv1), []string{
			`W 103 MSH-15: MSH-15 (Accept Acknowledgment Type): "XX" is not in HL7 table 0155 (Accept/application acknowledgment conditions)`,
		}},
		{"IS table", Options{}, msg(msh23, evn, `PID|1||1||DOE|||Q`, pv1), []string{
			`W 103 PID-8: PID-8 (Sex): "Q" is not in HL7 table 0001 (Administrative Sex)`,
		}},
		{"table misses as errors", Options{TableSeverity: Error}, msg(msh23, evn, `PID|1||1||DOE|||Q`, pv1), []string{
			`E 103 PID-8: PID-8 (Sex): "Q" is not in HL7 table 0001 (Administrative Sex)`,
		}},
		{"2.7 CWE with the table's own coding system", Options{}, msg(msh27, evn27, `PID|1||1^^^H^MR||DOE|||Q^Queer^HL70001`, pv1), []string{
			`W 103 PID-8.1: PID-8.1 (Administrative Sex): "Q" is not in HL7 table 0001 (Administrative Sex)`,
		}},
		{"2.7 CWE of another coding system", Options{}, msg(msh27, evn27, `PID|1||1^^^H^MR||DOE|||Q^Queer^99LOCAL`, pv1), nil},
		{"coding system table 0396 patterns", Options{}, msg(msh251, evn, pid, pv1, `OBX|1|CE|GLU^Glucose^LN^G1^Glu^99LAB||A^High^L^X^Y^HL70078||||||F`), nil},
		{"coding system table 0396 numbered families", Options{}, msg(msh251, evn, pid, pv1, `OBX|1|CE|GLU^Glucose^LN^G1^Glu^IBT0001||A^High^ISO3166_1^X^Y^ISO4217|g^gram^X12DE355|||||F`), nil},
		{"coding system table 0396 not a numbered family", Options{}, msg(msh251, evn, pid, pv1, `OBX|1|CE|GLU^Glucose^LN^G1^Glu^ISO||A^High^ISOX||||||F`), []string{
			`W 103 OBX-3.6: OBX-3.6 (Name of Alternate Coding System): "ISO" is not in HL7 table 0396 (Coding system)`,
			`W 103 OBX-5.3: OBX-5.3 (Name of Coding System): "ISOX" is not in HL7 table 0396 (Coding system)`,
		}},
		{"escaped code is decoded and counts as one character", Options{}, msg(msh23, evn, `PID|1||1||DOE|||\X46\`, pv1), nil},

		// OBX-5 takes its type from OBX-2 (edge case 14).
		{"OBX-2 missing", Options{}, msg(msh251, evn, pid, pv1, `OBX|1||GLU^Glucose^LN||5.4||||||F`), []string{
			`E 101 OBX-2: OBX-2 (Value Type) is empty, so the data type of OBX-5 (Observation Value) is unknown: OBX-2 is required when OBX-5 is valued`,
		}},
		{"OBX-2 not a type", Options{}, msg(msh251, evn, pid, pv1, `OBX|1|XX|GLU^Glucose^LN||5.4||||||F`), []string{
			`E 102 OBX-2: OBX-2 (Value Type) "XX" is not a data type of 2.5.1, so OBX-5 (Observation Value) cannot be checked`,
		}},
		{"OBX-5 coded", Options{}, msg(msh251, evn, pid, pv1, `OBX|1|CE|GLU^Glucose^LN||^Positive||||||F`), nil},
		{"OBX-5 ED is not split below its components", Options{}, msg(msh251, evn, pid, pv1, `OBX|1|ED|DOC^Report^LN||LAB^AP^PDF^Base64^JVBERi0xLjQK&&&||||||F`), nil},
		{"OBX-5 ED data is required", Options{}, msg(msh251, evn, pid, pv1, `OBX|1|ED|DOC^Report^LN||LAB^AP^PDF^Base64||||||F`), []string{
			`E 101 OBX-5.5: OBX-5.5 (Data) is required when OBX-5 is valued, but missing`,
		}},
		{"OBX-5 repeats, each checked", Options{}, msg(msh251, evn, pid, pv1, `OBX|1|NM|GLU^Glucose^LN||5.4~x||||||F`), []string{
			`E 102 OBX-5[2]: OBX-5[2] (Observation Value): "x" is not a NM: unexpected 'x' at position 1 (expected [+|-]digits[.digits])`,
		}},
		{"2.7 OBX-2 CE is not a type of 2.7", Options{}, msg(msh27, evn27, pid, pv1, `OBX|1|CE|GLU^Glucose^LN||^Positive||||||F`), []string{
			`E 102 OBX-2: OBX-2 (Value Type) "CE" is not a data type of 2.7, so OBX-5 (Observation Value) cannot be checked`,
		}},

		// What the version says of fields it does not have or withdrew.
		{"field beyond the definition", Options{}, msg(msh23, evn, `PID|1||1||DOE`, `PV1|1|I`+strings.Repeat("|", 60)+`X|Y`), []string{
			"W 102 PV1-62: PV1-62 to PV1-63 are not defined in 2.3, where PV1 has 52 fields: a receiver of this version ignores them",
		}},
		{"fields beyond the definition in a repeated segment", Options{}, msg(msh23, evn, `PID|1||1||DOE`, pv1, `AL1|1||A^B`, `AL1|2||C^D||||X|Y`), []string{
			"W 102 AL1[2]-7: AL1[2]-7 to AL1[2]-8 are not defined in 2.3, where AL1 has 6 fields: a receiver of this version ignores them",
		}},
		{"2.7 withdrawn field", Options{}, msg(msh27, evn27, `PID|1|OLD|1^^^H^MR||DOE`, pv1), []string{
			"W 102 PID-2: PID-2 (Patient ID) is withdrawn in 2.7 and should not be sent",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := mustValidator(t, tt.opts)
			res := v.Validate(mustParse(t, tt.in))
			sameLines(t, tt.name, issueLines(res), tt.want)
			wantValid := true
			for _, w := range tt.want {
				if strings.HasPrefix(w, "E ") {
					wantValid = false
				}
			}
			if res.Valid() != wantValid {
				t.Errorf("Valid() = %v", res.Valid())
			}
		})
	}
}

// TestOffsets checks that issues point at the byte where the problem is, in CR, LF and CR LF
// messages alike.
func TestOffsets(t *testing.T) {
	v := mustValidator(t, Options{})
	for _, term := range []string{"\r", "\n", "\r\n"} {
		text := strings.Join([]string{msh251, evn, `PID|1||^^^H^MR~7^^^H^MR||DOE|||Q`, `PV1`}, term) + term
		res := v.Validate(mustParse(t, text))
		want := map[string]string{
			"PID-3[1].1": "^^^H",     // an empty required component: where it would be
			"PID-8":      "Q" + term, // a code not in its table
			"PV1-2":      term,       // an absent required field: the end of its segment
		}
		if len(res.Issues) != len(want) {
			t.Fatalf("%q: %v", term, issueLines(res))
		}
		for _, is := range res.Issues {
			w, ok := want[is.Path.String()]
			if !ok || is.Offset < 0 || !strings.HasPrefix(text[is.Offset:], w) {
				t.Errorf("%q: %s at %d: %q, want %q", term, is.Path, is.Offset, text[max(is.Offset, 0):], w)
			}
		}
	}
}

// TestFallBack checks edge case 12: a version without definitions is validated against the
// closest that has them, and the result says so; so does an empty MSH-12.
func TestFallBack(t *testing.T) {
	v := mustValidator(t, Options{})
	for _, tt := range []struct{ version, as, info string }{
		{"2.8", "2.7.1", "I 203 -: MSH-12 is 2.8, which Courier has no definitions for; the message was validated against 2.7.1, the closest version that has them"},
		{"2.5.1.1", "2.5.1", "I 203 -: MSH-12 is 2.5.1.1, which Courier has no definitions for; the message was validated against 2.5.1, the closest version that has them"},
		{"", "2.7.1", "I 203 -: MSH-12 is empty; the message was validated against 2.7.1, the closest version that has them"},
	} {
		m := mustParse(t, msg(`MSH|^~\&|A|B|C|D|202601021530||ADT^A01^ADT_A01|C1|P|`+tt.version, evn27, `PID|1||1^^^H^MR||DOE`, pv1))
		res := v.Validate(m)
		if res.Version != tt.as || !res.FellBack {
			t.Errorf("%q: version %s fell back %v", tt.version, res.Version, res.FellBack)
		}
		lines := issueLines(res)
		if len(lines) == 0 || lines[0] != tt.info {
			t.Errorf("%q: %v", tt.version, lines)
		}
	}
	// Options.Version wins over MSH-12.
	res := mustValidator(t, Options{Version: "2.3"}).Validate(mustParse(t, msg(msh251, evn, pid, pv1)))
	if res.Version != "2.3" || res.FellBack {
		t.Errorf("Options.Version: %s %v", res.Version, res.FellBack)
	}
	if _, err := New(Options{Version: "v2"}); err == nil || err.Error() != `validate: version "v2": write it as in MSH-12, like 2.5.1` {
		t.Errorf("bad version: %v", err)
	}
}

// TestNeverMutates checks edge case 29: validation reads, it never changes the message.
func TestNeverMutates(t *testing.T) {
	rules, err := ParseRules("r.yaml", []byte("rules:\n  - path: PID-5\n    matches: '^[A-Z]+$'\n"))
	if err != nil {
		t.Fatal(err)
	}
	v := mustValidator(t, Options{Rules: []*Rules{rules}})
	for _, text := range []string{
		msg(msh251, evn, `PID|1||^^^H^MR||d\T\oe|||Q`, `ZZZ|1`, `OBX|1|NM|G||x`),
		"\xef\xbb\xbf" + msg(msh23, evn, pid, pv1),
		strings.ReplaceAll(msg(msh251, evn, pid, pv1), "\r", "\r\n"),
	} {
		data := []byte(text)
		orig := bytes.Clone(data)
		m := mustParse(t, text)
		before := bytes.Clone(m.Bytes())
		v.Validate(m)
		if m.Modified() || !bytes.Equal(m.Bytes(), before) || !bytes.Equal(data, orig) {
			t.Errorf("message changed by validation: %q", m.Bytes())
		}
	}
}

// TestConcurrent validates from many goroutines with one Validator (run with -race).
func TestConcurrent(t *testing.T) {
	v := mustValidator(t, Options{})
	texts := []string{msg(msh23, evn, pid, pv1), msg(msh251, evn, pid, pv1, `OBX|1|NM|G||x`), msg(msh27, evn27, `PID|1||1||DOE`, pv1)}
	want := make([][]string, len(texts))
	for i, s := range texts {
		want[i] = issueLines(mustValidator(t, Options{}).Validate(mustParse(t, s)))
	}
	done := make(chan []string, 8*len(texts))
	for g := 0; g < 8; g++ {
		go func() {
			for i, s := range texts {
				got := issueLines(v.Validate(mustParse(t, s)))
				if strings.Join(got, "\n") != strings.Join(want[i], "\n") {
					done <- got
					continue
				}
				done <- nil
			}
		}()
	}
	for i := 0; i < 8*len(texts); i++ {
		if got := <-done; got != nil {
			t.Errorf("concurrent result differs: %v", got)
		}
	}
}

// TestAckErrors checks the issues become ERR segments the engine can send.
func TestAckErrors(t *testing.T) {
	v := mustValidator(t, Options{})
	m := mustParse(t, msg(msh251, evn, `PID|1||1^^^H^MR||`, pv1))
	res := v.Validate(m)
	errs := res.AckErrors()
	if len(errs) != 1 || errs[0].Code != "101" || errs[0].Severity != "E" || errs[0].Location.String() != "PID-5" {
		t.Fatalf("%+v", errs)
	}
	ack, err := m.ACK(hl7.AckOptions{Code: hl7.AckAE, ControlID: "A1", Errors: errs})
	if err != nil {
		t.Fatal(err)
	}
	want := "ERR||PID^1^5^1|101^Required field missing^HL70357|E||||PID-5 (Patient Name) is required but empty"
	if got := strings.Split(strings.TrimSpace(string(ack.Bytes())), "\r"); got[len(got)-1] != want {
		t.Errorf("ERR = %q, want %q", got[len(got)-1], want)
	}
	if (Result{}).AckErrors() != nil {
		t.Error("no issues gives errors")
	}
}

func TestSeverity(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Severity
		err  string
	}{
		{"error", Error, ""}, {"W", Warning, ""}, {" Info ", Info, ""}, {"fatal", 0, `severity "fatal": use error, warning or info`},
	} {
		got, err := ParseSeverity(tt.in)
		if got != tt.want || fmt.Sprint(err) != fmt.Sprint(errOrNil(tt.err)) {
			t.Errorf("%q: %v %v", tt.in, got, err)
		}
	}
	if Error.String() != "E" || Warning.Word() != "warning" || Severity(0).String() != "" {
		t.Error("names")
	}
	if _, err := Severity(9).MarshalText(); err == nil {
		t.Error("MarshalText of an unknown severity")
	}
	if _, err := New(Options{LengthSeverity: 7}); err == nil {
		t.Error("bad LengthSeverity accepted")
	}
}

func errOrNil(s string) error {
	if s == "" {
		return nil
	}
	return fmt.Errorf("%s", s)
}

// TestResultOutlivesBuffer checks that nothing validation keeps — the Result, the Validator's
// caches — points into the message's bytes: the buffer a message was parsed from is often
// reused for the next one.
func TestResultOutlivesBuffer(t *testing.T) {
	v := mustValidator(t, Options{})
	buf := []byte(msg(msh251, evn, `PID|1||^^^H^MR||DOE`, pv1, `OBX|1|NM|G||x||||||F`, `ABC|1`))
	m, err := hl7.Parse(buf) // the message keeps buf
	if err != nil {
		t.Fatal(err)
	}
	res := v.Validate(m)
	before := issueLines(res)
	if len(before) != 3 {
		t.Fatalf("want three issues: %v", before)
	}
	for i := range buf {
		buf[i] = 'Q'
	}
	if after := issueLines(res); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("result changed with the buffer:\n%v\n%v", before, after)
	}
	// The caches still answer for the names they were filled with.
	again := v.Validate(mustParse(t, msg(msh251, evn, `PID|1||^^^H^MR||DOE`, pv1, `OBX|1|NM|G||x||||||F`, `ABC|1`)))
	sameLines(t, "second validation", issueLines(again), before)
}
