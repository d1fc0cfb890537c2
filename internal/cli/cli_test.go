package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// run executes the command line in-process and returns its exit status and output.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(context.Background(), args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const twoMessages = "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20260101||ORU^R01|C1|P|2.5.1\rPID|1||123^^^H^MR||DOE^JANE\rOBX|1|NM|GLU||5.4\r" +
	"MSH|^~\\&|LAB|HOSP|EHR|HOSP|20260101||ORU^R01|C2|P|2.5.1|||AL|NE\rPID|1||456^^^H^MR||O\\T\\BRIEN^PAT\r"

func TestInspectPath(t *testing.T) {
	f := writeFile(t, "two.hl7", twoMessages)
	code, out, _ := run(t, "", "inspect", "--path", "PID-5.1", f)
	if code != 0 || out != "DOE\nO&BRIEN\n" {
		t.Errorf("code %d out %q", code, out)
	}
	code, out, _ = run(t, twoMessages, "inspect", "--path", "MSH-10", "-")
	if code != 0 || out != "C1\nC2\n" {
		t.Errorf("stdin: code %d out %q", code, out)
	}
	code, _, errOut := run(t, "", "inspect", "--path", "PID-", f)
	if code != 1 || !strings.Contains(errOut, `invalid path "PID-"`) {
		t.Errorf("bad path: code %d err %q", code, errOut)
	}
}

func TestInspectTreeAndJSON(t *testing.T) {
	f := writeFile(t, "two.hl7", twoMessages)
	code, out, _ := run(t, "", "inspect", f)
	for _, want := range []string{"message 1, line 1: ORU^R01", "control ID C2", "PID-5.1", "O&BRIEN", "OBX-5", "named from v2.5.1",
		"PID  Patient Identification", "Patient Name (XPN)", "Family Name (FN)", "Accept Acknowledgment Type (ID)          AL  = Always"} {
		if !strings.Contains(out, want) {
			t.Errorf("tree lacks %q:\n%s", want, out)
		}
	}
	if code != 0 {
		t.Errorf("code %d", code)
	}
	code, out, _ = run(t, "", "inspect", "--json", f)
	var got []messageJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 0 {
		t.Fatalf("json: %v %d\n%s", err, code, out)
	}
	if len(got) != 2 || got[1].ControlID != "C2" || got[0].Segments[1].Name != "PID" || got[1].Line != 4 ||
		got[0].Definitions != "2.5.1" || got[0].Segments[1].FieldName != "Patient Identification" || got[0].Segments[1].Children[2].FieldName != "Patient Name" {
		t.Errorf("json = %+v", got)
	}
}

func TestInspectBadMessageSaysWhere(t *testing.T) {
	f := writeFile(t, "bad.hl7", "MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.5\rPID|1\rMSH|^~\\&|A|B|C|D|20260101||ADT^A01|2|P|2.5\rPI|bad\r")
	code, out, errOut := run(t, "", "inspect", "--path", "MSH-10", f)
	if code != 1 || !strings.Contains(out, "1\n") || !strings.Contains(out, f+":4:1: hl7: line 4 col 1 (byte 92), segment 2: invalid segment name") || !strings.Contains(errOut, "1 message(s) could not be parsed") {
		t.Errorf("code %d out %q err %q", code, out, errOut)
	}
	// In JSON, a message that fails to parse says the line where it starts; its error, the
	// line of the problem.
	code, out, _ = run(t, "", "inspect", "--json", f)
	var got []messageJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil || code != 1 {
		t.Fatalf("json: %v %d\n%s", err, code, out)
	}
	if len(got) != 2 || got[1].Line != 3 || !strings.Contains(got[1].Error, ":4:1: ") {
		t.Errorf("json of the failing message: %+v, want line 3 and an error at 4:1", got)
	}
}

func TestACKCommand(t *testing.T) {
	f := writeFile(t, "two.hl7", twoMessages)
	code, out, _ := run(t, "", "ack", f)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || !strings.HasPrefix(lines[1], "MSA|AA|C1") || !strings.HasPrefix(lines[3], "MSA|CA|C2") {
		t.Errorf("code %d out:\n%s", code, out)
	}
	if !strings.HasPrefix(lines[0], "MSH|^~\\&|EHR|HOSP|LAB|HOSP|") || !strings.Contains(lines[0], "|ACK^R01^ACK|") {
		t.Errorf("header %q", lines[0])
	}
	code, out, _ = run(t, "", "ack", "--raw", "--code", "ae", "--text", "unknown patient", f)
	if code != 0 || !strings.Contains(out, "\rMSA|AE|C1|unknown patient\rERR||") || strings.Contains(out, "\n") {
		t.Errorf("raw AE: %q", out)
	}
	code, _, errOut := run(t, "", "ack", "--code", "XX", f)
	if code != 1 || !strings.Contains(errOut, "--code XX: use AA, AE, AR, CA, CE or CR") {
		t.Errorf("bad code: %d %q", code, errOut)
	}
	// A message that does not parse is answered AR, with the problem in ERR.
	code, out, _ = run(t, "MSH|^~\\&|A|B|C|D|20260101||ADT^A01|X9|P|2.5\rPI|bad\r", "ack")
	if code != 0 || !strings.Contains(out, "MSA|AR|X9|message could not be parsed") || !strings.Contains(out, "ERR|||100^Segment sequence error^HL70357|E") {
		t.Errorf("reject: %q", out)
	}
	// A file that is not HL7 has no acknowledgement: it says why, and the exit status is 1.
	code, out, errOut = run(t, "hello, this is not HL7\n", "ack")
	if code != 1 || out != "" || !strings.Contains(errOut, "-:1:1: hl7: line 1 col 1 (byte 0): message does not start with an MSH segment") {
		t.Errorf("not HL7: %d %q %q", code, out, errOut)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := run(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "courier ") {
		t.Errorf("%d %q", code, out)
	}
}

func TestConvert(t *testing.T) {
	f := writeFile(t, "two.hl7", twoMessages)
	code, out, errOut := run(t, "", "convert", "--to", "fhir", "--zone", "Europe/Amsterdam", f)
	if code != 0 || strings.Count(out, `"resourceType":"Bundle"`) != 2 {
		t.Fatalf("fhir: %d %q %s", code, errOut, out)
	}
	for _, to := range []string{"json", "xml"} {
		code, enc, errOut := run(t, "", "convert", "--to", to, f)
		if code != 0 {
			t.Fatalf("%s: %d %s", to, code, errOut)
		}
		// Several messages are several documents, one after the other (XML: each with its
		// declaration); er7 reads them all back.
		code, back, errOut := run(t, enc, "convert", "--to", "er7", "-")
		if code != 0 || back != twoMessages {
			t.Errorf("%s round trip: %d %s\n%q", to, code, errOut, back)
		}
	}
	// Input that is neither JSON, XML nor HL7 is reported, not copied through.
	for _, in := range []string{"hello, this is not HL7\n", ""} {
		code, out, errOut = run(t, in, "convert", "--to", "er7", "-")
		if code != 1 || out != "" || !strings.Contains(errOut, "courier: 1 input(s) not converted") {
			t.Errorf("er7 of %q: %d %q %q", in, code, out, errOut)
		}
	}
	code, out, _ = run(t, twoMessages, "convert", "--to", "er7", "-")
	if code != 0 || out != twoMessages {
		t.Errorf("er7 of HL7: %d %q", code, out)
	}
	code, _, errOut = run(t, "<ORU_R01><MSH>", "convert", "--to", "er7", "-")
	if code != 1 || !strings.Contains(errOut, "XML input ends inside a document") {
		t.Errorf("cut XML: %d %q", code, errOut)
	}
	code, _, errOut = run(t, "", "convert", "--to", "pdf", f)
	if code != 1 || !strings.Contains(errOut, `--to "pdf": use fhir, json, xml or er7`) {
		t.Errorf("bad --to: %d %q", code, errOut)
	}
}

func writeAt(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
