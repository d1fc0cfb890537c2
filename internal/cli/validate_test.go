package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

const (
	validADT   = "MSH|^~\\&|REG|HOSP|EHR|HOSP|202601021530||ADT^A01^ADT_A01|V1|P|2.5.1\rEVN|A01|202601021530\rPID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F\rPV1|1|I\r"
	invalidADT = "MSH|^~\\&|REG|HOSP|EHR|HOSP|202601021530||ADT^A01^ADT_A01|V2|P|2.5.1\rEVN|A01|202601021530\rPID|1||12345^^^HOSP^MR||DOE^JANE||19800101|Q\r"
)

// TestValidateReport checks the report: where each message starts, its verdict, and one line
// per issue with its byte offset in the message.
func TestValidateReport(t *testing.T) {
	f := writeFile(t, "two.hl7", validADT+invalidADT)
	code, out, _ := run(t, "", "validate", f)
	want := f + ":1: ADT^A01, control ID V1, 2.5.1, ADT_A01: VALID\n" +
		f + ":5: ADT^A01, control ID V2, 2.5.1, ADT_A01: INVALID (1 error, 1 warning)\n" +
		"  W 103 PID-8            byte 132    PID-8 (Administrative Sex): \"Q\" is not in HL7 table 0001 (Administrative Sex)\n" +
		"  E 100 PV1              byte 134    PV1 is missing: ADT_A01 requires it, at the end of the message\n" +
		"2 messages: 1 valid, 1 invalid\n"
	if code != 1 || out != want {
		t.Errorf("code %d, out:\n%s\nwant:\n%s", code, out, want)
	}
	code, out, _ = run(t, validADT, "validate", "-")
	if code != 0 || !strings.HasSuffix(out, "1 message: 1 valid, 0 invalid\n") || !strings.HasPrefix(out, "-:1: ADT^A01") {
		t.Errorf("stdin: code %d out %q", code, out)
	}
}

func TestValidateJSON(t *testing.T) {
	f := writeFile(t, "msgs.hl7", validADT+"MSH|^~\\&|A|B|C|D|2026||ADT^A01|X|P|2.8\rPI|bad\r")
	code, out, _ := run(t, "", "validate", "--json", f)
	var got []validateJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if code != 1 || len(got) != 2 {
		t.Fatalf("code %d, %d results", code, len(got))
	}
	if !got[0].Valid || got[0].ValidatedAs != "2.5.1" || got[0].Structure != "ADT_A01" || len(got[0].Issues) != 0 || got[0].Type != "ADT^A01" {
		t.Errorf("first: %+v", got[0])
	}
	if got[1].Valid || !strings.Contains(got[1].Error, "msgs.hl7:6:1: hl7: line 6 col 1 (byte 181), segment 2: invalid segment name") {
		t.Errorf("a message that does not parse is invalid: %+v", got[1])
	}
}

func TestValidateOptions(t *testing.T) {
	long := "MSH|^~\\&|REG|HOSP|EHR|HOSP|202601021530||ADT^A01^ADT_A01|L1|P|2.5.1\rEVN|A01|202601021530\rPID|1||12345^^^HOSP^MR||DOE^ABCDEFGHIJABCDEFGHIJABCDEFGHIJX||19800101|F\rPV1|1|I\r"
	f := writeFile(t, "long.hl7", long)
	if code, out, _ := run(t, "", "validate", f); code != 0 || !strings.Contains(out, "VALID (1 warning)") {
		t.Errorf("length warning: %d\n%s", code, out)
	}
	if code, out, _ := run(t, "", "validate", "--length-errors", f); code != 1 || !strings.Contains(out, "  E 102 PID-5.2 ") {
		t.Errorf("--length-errors: %d\n%s", code, out)
	}
	// --version reads the message as another version: 2.3 has no CX.1 rule.
	noID := writeFile(t, "noid.hl7", strings.Replace(validADT, "12345^^^HOSP^MR", "^^^HOSP^MR", 1))
	if code, out, _ := run(t, "", "validate", noID); code != 1 || !strings.Contains(out, "PID-3.1 (ID Number) is required") {
		t.Errorf("2.5.1: %d\n%s", code, out)
	}
	if code, out, _ := run(t, "", "validate", "--version", "2.3", noID); code != 0 || !strings.Contains(out, "2.5.1 (as 2.3)") {
		t.Errorf("--version: %d\n%s", code, out)
	}
	// Rules and tables.
	rules := writeFile(t, "site.yaml", "rules:\n  - path: PV1-2\n    table: CLASSES\n")
	tables := writeFile(t, "classes.csv", "code,description\nO,Outpatient\n")
	code, out, _ := run(t, "", "validate", "--rules", rules, "--tables", "CLASSES="+tables, f)
	if code != 1 || !strings.Contains(out, `E 103 PV1-2            byte 167    PV1-2 (Patient Class) is "I", which is not in table CLASSES from classes.csv (custom rule)`) {
		t.Errorf("rules and tables: %d\n%s", code, out)
	}
}

func TestValidateProfile(t *testing.T) {
	const dir = "../../validate/testdata/profiles/"
	f := writeFile(t, "acme.hl7", "MSH|^~\\&|REG|HOSP|ACME|HOSP|202601021530||ADT^A01^ADT_A01|P1|P|2.5.1\rEVN||202601021530\rPID|1||12345^^^HOSP^PI||DOE^JANE||19800101|F\rPV1|1|P|4E\r")
	code, out, _ := run(t, "", "validate", "--profile", dir+"acme-adt-a01.xml", "--tables", dir+"lab-tables.xml", f)
	for _, want := range []string{
		", profile Acme EHR ADT A01: INVALID (2 errors)",
		`PID-3.5 (Identifier Type Code) is "PI"; profile Acme EHR ADT A01 requires "MR"`,
		`PV1-2 (Patient Class): "P" is not in table ACME0004 (Acme patient class) from lab-tables.xml`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("code %d", code)
	}
}

func TestValidateBatch(t *testing.T) {
	batch := "FHS|^~\\&|REG\rBHS|^~\\&|REG\r" + validADT + validADT + "BTS|2\rFTS|1\r"
	f := writeFile(t, "batch.hl7", batch)
	if code, out, _ := run(t, "", "validate", f); code != 0 || !strings.HasSuffix(out, "2 messages: 2 valid, 0 invalid\n") {
		t.Errorf("batch: %d\n%s", code, out)
	}
	wrong := writeFile(t, "wrong.hl7", strings.Replace(batch, "BTS|2", "BTS|3", 1))
	if code, out, _ := run(t, "", "validate", wrong); code != 1 || !strings.Contains(out, "INVALID: batch envelope") {
		t.Errorf("batch count: %d\n%s", code, out)
	}
}

func TestValidateBadFiles(t *testing.T) {
	msg := writeFile(t, "m.hl7", validADT)
	rules := writeFile(t, "bad.yaml", "rules:\n  - path: PV1-2\n    in: [I, O]\n    sevrity: error\n")
	code, out, errOut := run(t, "", "validate", "--rules", rules, msg)
	if code != 2 || out != "" || errOut != "courier: "+rules+":4:5: unknown key \"sevrity\" (did you mean \"severity\"?)\n" {
		t.Errorf("bad rules: %d %q %q", code, out, errOut)
	}
	profile := writeFile(t, "p.xml", "<Specification/>")
	if code, _, errOut := run(t, "", "validate", "--profile", profile, msg); code != 2 || !strings.Contains(errOut, profile+":1:1: not an HL7 v2 conformance profile") {
		t.Errorf("bad profile: %d %q", code, errOut)
	}
	if code, _, errOut := run(t, "", "validate", "--tables", writeFile(t, "my table.csv", "code\nA\n"), msg); code != 2 || !strings.Contains(errOut, "no table id") {
		t.Errorf("bad tables: %d %q", code, errOut)
	}
	if code, _, errOut := run(t, "", "validate", "--version", "two", msg); code != 2 || !strings.Contains(errOut, `version "two"`) {
		t.Errorf("bad version: %d %q", code, errOut)
	}
	if code, _, errOut := run(t, "", "validate", "-"); code != 1 || !strings.Contains(errOut, "no message to validate") {
		t.Errorf("empty input: %d %q", code, errOut)
	}
}
