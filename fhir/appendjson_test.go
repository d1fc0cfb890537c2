package fhir

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/courier-hl7/courier/hl7"
)

// identityOptions are the option sets the tests of the package convert with (the golden
// tests' channel, the defaults, another namespace), each with every Bundle type.
func identityOptions(t testing.TB) map[string]Options {
	out := map[string]Options{}
	for name, o := range map[string]Options{
		"golden":    goldenOptions(t),
		"default":   {},
		"namespace": {Namespace: "6ba7b811-9dad-11d1-80b4-00c04fd430c8"},
		"channel": {
			Location:          goldenOptions(t).Location,
			IdentifierSystems: map[string]string{"GH": "http://hospital.example.org/mrn", "2.16.840.1.113883.3.999": "urn:oid:2.16.840.1.113883.3.999"},
			CodeSystems:       map[string]string{"L": "http://hospital.example.org/codes", "99ZZZ": "http://hospital.example.org/\"quoted\"/é"},
			SourceEndpoint:    "mllp://adt.example.org:2575",
			Transformer:       "Courier \"test\"",
		},
	} {
		for _, bt := range []string{BundleTransaction, BundleMessage, BundleCollection, BundleBatch} {
			o.BundleType = bt
			out[name+"/"+bt] = o
		}
	}
	return out
}

// identityMessages returns the messages of testdata/ and of the corpus (when present; CI
// has it), by file name, each also with its line ends made LF: a message whose segments
// are not one text (edited) is converted by the tests that need one.
func identityMessages(t testing.TB) map[string][]byte {
	files, _ := filepath.Glob("testdata/*.hl7")
	if len(files) == 0 {
		t.Fatal("no test messages in testdata")
	}
	more, _ := filepath.Glob(filepath.Join(corpusDir, "*", "*.hl7"))
	if len(more) == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no corpus at %s", corpusDir)
		}
		t.Logf("no corpus at %s; testing testdata only", corpusDir)
	}
	out := map[string][]byte{"observations": []byte(observationsMessage)}
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[f] = data
		out[f+"(LF)"] = bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n"))
	}
	return out
}

// observationsMessage is an ORU^R01 whose OBX segments take the less common branches of
// the Observation mapping, which AppendJSON writes its own way: every value type, repeated
// values, sub-IDs, statuses N and X, performers and identifiers (which add resources),
// method, body site, category, notes, a specimen, the same OBX twice (one resource), text
// that JSON escapes, escape sequences, and units and interpretations that change from one
// OBX to the next.
const observationsMessage = "MSH|^~\\&|LAB|GHLAB|EHR|GH|20240316091500-0500||ORU^R01^ORU_R01|OBS1|P|2.5.1\r" +
	"PID|1||MRN9^^^GH&2.16.840.1.113883.3.999&ISO^MR||Roe^Ann\r" +
	"PV1|1|I|W1^101^A^GH||||1001^Attend^Alice\r" +
	"ORC|RE|PL9^EHR|FL9^LAB||CM\r" +
	"OBR|1|PL9^EHR|FL9^LAB|24323-8^Panel^LN|||20240316070000|||||||||||||||20240316090000|||F\r" +
	"OBX|1|NM|2345-7^Glucose^LN|1|95|mg/dL^^UCUM|70-99|H~A^Abnormal^HL70078|||F|||20240316085000\r" +
	"NTE|1||Repeat \"fasting\" sample\\.br\\next line \u00e9\r" +
	"OBX|2|NM|2345-7^Glucose^LN|2|1.50|mmol/L^millimoles per liter^UCUM|3.9-5.5|N|||F\r" +
	"OBX|3|NM|2345-7^Glucose^LN|2|1.50|mmol/L^millimoles per liter^UCUM|3.9-5.5|N|||F\r" +
	"OBX|4|SN|14957-5^Microalbumin^LN||<^10|mg/L^^UCUM||L|||C\r" +
	"OBX|5|SN|14957-5^Ratio^LN|a|^1^:^128|||||N|||20240316\r" +
	"OBX|6|SN|14957-5^Range^LN|b|^10^-^20|g^gram^UCUM\r" +
	"OBX|7|SN|x^y^L||<>^5||||||X\r" +
	"OBX|8|ST|8251-1^Comment^LN||Line with tab\t and \u2028 and \\F\\ escape~second value|||||||F\r" +
	"OBX|9|TX|8251-1^Comment^LN||text^with^components|||||||P\r" +
	"OBX|10|CWE|600-7^Culture^LN||112283007^E. coli^SCT^^^^^^Original text|||A~N|||F|||20240316|LAB^Lab Org^L|1001^Attend^Alice~2002^Second^Sam^^^^^^GH&2.16.840.1.113883.3.999&ISO|METH^Method^L||20240316083000|BS^Arm^L|FILL7^LAB^2.16.840.1.113883.3.999^ISO||Perf Lab^^^^^GH&2.16.840.1.113883.3.999&ISO^XX^^^PL1|1 Lab Way^^Town^ST^12345|3003^Director^Dana||||CAT1\r" +
	"OBX|11|DT|21112-8^Birth date^LN||20240230\r" +
	"OBX|12|DTM|21112-8^Date time^LN||202403160850-0500\r" +
	"OBX|13|TM|x^Time^L||0850+0100\r" +
	"OBX|14|DR|x^Period^L||20240101^20240201\r" +
	"OBX|15|NR|x^Range^L||1^5\r" +
	"OBX|16|ED|x^Doc^L||^TEXT^PLAIN^Base64^SGVsbG8=\r" +
	"OBX|17|ED|x^Doc^L||^AP^PDF^Hex^48656C6C6F\r" +
	"OBX|18|RP|x^Ref^L||http://example.org/img^^IM^JPEG\r" +
	"OBX|19|NM|x^Many^L||1~2~x|kg\r" +
	"OBX|20|IS|x^Coded^L||Y\r" +
	"OBX|21|NA|x^Array^L||1~2\r" +
	"OBX|22|||||||||\r" +
	"OBX|23|VR|x^Var^L||1^9|||\"\"|||\"\"\r" +
	"SPM|1|SP1&LAB^FS1&LAB||BLD^Blood^HL70487\r" +
	"OBX|24|NM|2345-7^Glucose^LN||96|mg/dL^^UCUM|70-99|N|||F\r" +
	"NTE|1||After specimen\r" +
	"OBX|25|NM|2345-7^Glucose^LN||||||||N\r" +
	"OBR|2|PL9^EHR|FL9^LAB|24323-8^Panel^LN|||20240316070000|||||||||||||||20240316090000|||F\r" +
	"OBX|1|NM|2345-7^Glucose^LN|1|97|mg/dL^^UCUM|70-99|H|||F\r" +
	"NTE|1||On the observation of the first group, whose key this one has\r"

// checkIdentity converts m with Convert and JSON and with AppendJSON (into an empty buffer
// and after a prefix) and reports how they differ, or "".
func checkIdentity(c *Converter, m *hl7.Message) string {
	b, err := c.Convert(m)
	var want []byte
	if err == nil {
		want, _ = b.JSON()
	}
	got, err2 := c.AppendJSON(nil, m)
	if fmt.Sprint(err) != fmt.Sprint(err2) {
		return fmt.Sprintf("Convert error %v, AppendJSON error %v", err, err2)
	}
	if err != nil {
		var ue *UnsupportedError
		if errors.As(err, &ue) != errors.As(err2, &ue) || errors.Is(err, ErrMissingSegment) != errors.Is(err2, ErrMissingSegment) {
			return fmt.Sprintf("the errors differ in kind: %#v, %#v", err, err2)
		}
		if got != nil {
			return fmt.Sprintf("AppendJSON(nil) failed with %d bytes", len(got))
		}
		return ""
	}
	if !bytes.Equal(got, want) {
		return "AppendJSON differs from Convert+JSON:\n" + firstDiff(got, want)
	}
	prefix := []byte("prefix")
	got2, _ := c.AppendJSON(append(make([]byte, 0, 8), prefix...), m)
	if !bytes.HasPrefix(got2, prefix) || !bytes.Equal(got2[len(prefix):], want) {
		return "AppendJSON after a prefix differs"
	}
	return ""
}

// firstDiff shows where two byte strings start to differ.
func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	lo := max(0, i-120)
	return fmt.Sprintf("at byte %d:\n got  …%s\n want …%s", i, got[lo:min(len(got), i+120)], want[lo:min(len(want), i+120)])
}

// TestAppendJSONIdentity wants AppendJSON to write byte for byte what Convert then JSON
// write, for every test and corpus message, every option set of the tests and every Bundle
// type, and the same errors.
func TestAppendJSONIdentity(t *testing.T) {
	msgs := identityMessages(t)
	converted := 0
	for name, o := range identityOptions(t) {
		c, err := NewConverter(o)
		if err != nil {
			t.Fatal(err)
		}
		for f, data := range msgs {
			m, err := hl7.Parse(data)
			if err != nil {
				continue
			}
			if d := checkIdentity(c, m); d != "" {
				t.Errorf("%s, options %s: %s", f, name, d)
				continue
			}
			converted++
		}
	}
	if converted == 0 {
		t.Fatal("no message compared")
	}
}

// TestAppendJSONEdited compares the two paths on an edited message, whose values are not
// substrings of one text.
func TestAppendJSONEdited(t *testing.T) {
	c, err := NewConverter(goldenOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"testdata/oru_r01.hl7", "testdata/adt_a01.hl7", "testdata/vxu_v04.hl7"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := hl7.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Set("OBX[1]-5", "Edited"); err != nil {
			t.Fatal(err)
		}
		if d := checkIdentity(c, m); d != "" {
			t.Errorf("%s: %s", f, d)
		}
	}
}

// TestAppendJSONErrors wants the errors of Convert, and dst back as it was.
func TestAppendJSONErrors(t *testing.T) {
	c, err := NewConverter(Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		msg  string
		want string
	}{
		{"MSH|^~\\&|A|B|C|D|20240101||ACK^A01|1|P|2.5\rMSA|AA|1", (&UnsupportedError{Type: "ACK^A01"}).Error()},
		{"MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5\rOBR|1", `fhir: ORU^R01: PID: required segment missing: a patient is needed to map this message type`},
		{"MSH|^~\\&|A|B|C|D|20240101||SIU^S12|1|P|2.5\rPID|1||X", `fhir: SIU^S12: SCH: required segment missing: an SIU message needs its SCH segment`},
	}
	for _, tt := range tests {
		m, err := hl7.Parse([]byte(tt.msg))
		if err != nil {
			t.Fatal(err)
		}
		dst := []byte("kept")
		got, err := c.AppendJSON(dst, m)
		if err == nil || err.Error() != tt.want {
			t.Errorf("AppendJSON(%q) = %v, want %s", tt.msg, err, tt.want)
		}
		if string(got) != "kept" {
			t.Errorf("AppendJSON(%q) returned %q, want dst as it was", tt.msg, got)
		}
	}
	if _, err := c.AppendJSON(nil, nil); err == nil || !errors.Is(err, ErrMissingSegment) {
		t.Errorf("AppendJSON(nil message) = %v, want ErrMissingSegment", err)
	}
}

// TestAppendJSONConcurrent converts the test messages from many goroutines with one
// Converter, whose scratch is pooled and reused between calls, alternating AppendJSON and
// Convert, and wants the bytes of sequential conversions every time (run it with -race).
func TestAppendJSONConcurrent(t *testing.T) {
	c, err := NewConverter(goldenOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/*.hl7")
	var inputs, want [][]byte
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs, want = append(inputs, data), append(want, mustConvert(t, c, data))
	}
	var wg sync.WaitGroup
	errs := make(chan string, 16)
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for k := range 40 {
				i := (g + k) % len(inputs)
				m, err := hl7.Parse(inputs[i])
				if err != nil {
					errs <- files[i] + ": " + err.Error()
					return
				}
				if k%5 == 4 {
					b, err := c.Convert(m)
					if err != nil {
						errs <- files[i] + ": " + err.Error()
						return
					}
					if js, _ := b.JSON(); !bytes.Equal(js, want[i]) {
						errs <- files[i] + ": a concurrent Convert differs"
						return
					}
					continue
				}
				if buf, err = c.AppendJSON(buf[:0], m); err != nil {
					errs <- files[i] + ": " + err.Error()
					return
				}
				if !bytes.Equal(buf, want[i]) {
					errs <- files[i] + ": a concurrent AppendJSON differs:\n" + firstDiff(buf, want[i])
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
