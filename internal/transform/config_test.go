package transform

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/courier-hl7/courier/internal/config"
)

// testRoot is a root spec with one channel-like object holding the processing keys.
func testRoot() config.Spec {
	return config.Spec{Name: "test.yaml", Fields: append([]config.Field{
		{Name: "destinations", Type: config.List, Elem: &config.Field{Type: config.String}},
	}, Fields()...)}
}

func testRegistry(t testing.TB) *config.Registry {
	reg := config.NewRegistry()
	if err := Register(reg); err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestSpecExamples(t *testing.T) {
	if err := testRegistry(t).CheckExamples(); err != nil {
		t.Fatal(err)
	}
}

// fromYAML decodes a channel-like file and builds its pipeline.
func fromYAML(t testing.TB, dir, yaml string) (*Pipeline, error) {
	t.Helper()
	n, err := config.Decode(filepath.Join(dir, "courier.yaml"), []byte(yaml), testRoot(), testRegistry(t), func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, err
	}
	deps := Deps{Channel: "lab", TableDir: dir, Clock: fixedClock, Destinations: n.Strings("destinations")}
	return FromConfig(n, deps)
}

func TestFromConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "loinc.csv"), []byte("local,loinc\nGLU,2345-7\nNA,2951-2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fix.js"), []byte(`msg.set("PID-8", "F");`), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := fromYAML(t, dir, `
destinations: [ehr, archive]
filter: MSH["9.1"] == "ORU"
tables:
  loinc: {file: loinc.csv}
  wards:
    values: {W1: 4NORTH}
steps:
  - type: map
    path: OBX[*]-3.1
    table: loinc
  - type: map
    path: PV1-3.1
    table: wards
  - type: set
    name: upper family name
    path: PID-5.1
    expr: upper(PID["5.1"])
  - type: format
    path: PID-5
    person_name: {case: title}
    when: PID["8"] == "M"
  - type: script
    file: fix.js
    timeout: 10s
  - type: route
    rules:
      - when: OBX["3.1"] == "2345-7"
        to: [ehr]
      - to: [archive]
`)
	if err != nil {
		t.Fatal(err)
	}
	in := er7(
		"MSH|^~\\&|LIS|LAB|EHR|HOSP|20261127090000||ORU^R01|C1|P|2.5.1",
		"PID|1||123^^^HOSP^MR||doe^john||19800101|M",
		"PV1|1|I|W1^1",
		"OBR|1",
		"OBX|1|NM|GLU^Glucose||5.5",
		"OBX|2|NM|NA^Sodium||140",
	)
	out, err := p.Run(context.Background(), parse(t, in))
	if err != nil {
		t.Fatal(err)
	}
	want := er7(
		"MSH|^~\\&|LIS|LAB|EHR|HOSP|20261127090000||ORU^R01|C1|P|2.5.1",
		"PID|1||123^^^HOSP^MR||Doe^John||19800101|F",
		"PV1|1|I|4NORTH^1",
		"OBR|1",
		"OBX|1|NM|2345-7^Glucose||5.5",
		"OBX|2|NM|2951-2^Sodium||140",
	)
	if len(out.Outputs) != 1 || string(out.Outputs[0].Message.Bytes()) != want {
		t.Fatalf("got %+v\n%q\nwant %q", out, out.Outputs[0].Message.Bytes(), want)
	}
	if got := out.Outputs[0].Destinations; len(got) != 1 || got[0] != "ehr" {
		t.Errorf("destinations %v, want [ehr]", got)
	}
	out, err = p.Run(context.Background(), parse(t, strings.Replace(in, "ORU^R01", "ADT^A08", 1)))
	if err != nil || !out.Filtered {
		t.Errorf("ADT: filtered %v, err %v; want filtered", out.Filtered, err)
	}
}

// TestStepsAfterEncode: in a destination's steps, an edit after the step that made a JSON,
// XML or FHIR body would edit the HL7 message and not the body sent: it is a configuration
// error. Routing and filtering after it, and edits after encoding back to er7, are fine.
func TestStepsAfterEncode(t *testing.T) {
	dir := t.TempDir()
	n, err := config.Decode(filepath.Join(dir, "courier.yaml"), []byte(`
steps:
  - type: encode
    format: json
  - type: filter
    expr: MSH["9.1"] == "ADT"
  - type: set
    path: PID-8
    value: F
  - type: encode
    format: er7
  - type: set
    path: PID-8
    value: M
`), testRoot(), testRegistry(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = FromConfig(n, Deps{Channel: "lab", TableDir: dir, Clock: fixedClock}) // a destination's steps
	want := "courier.yaml:7:5: steps[2]: a set step after the step that made the body json would edit the HL7 message, not that body: put it before that step"
	if err == nil || strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "") != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// TestConfigErrors: every problem is reported at once, at its line, with what to do.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := fromYAML(t, dir, `
destinations: [ehr]
filter: MSH["9.1"] ==
steps:
  - type: set
    path: PID-5.1
    expr: upper(PID["5..1"])
  - type: set
    path: PID-5.1
    value: X
    expr: Y
  - type: route
    rules:
      - to: [nowhere]
  - type: map
    path: OBX-3.1
    table: missing
  - type: script
    source: |
      var a = 1;
      a +;
  - type: copy
    from: PID-3
    to: PID-
  - type: split
    repetition: PID-3.1
  - type: split
    segment: OBR
    repetition: PID-3
`)
	if err == nil {
		t.Fatal("no error")
	}
	want := []string{
		`courier.yaml:3:9: filter: expression "MSH[\"9.1\"] ==": line 1 column 13: unexpected token EOF`,
		`courier.yaml:7:11: steps[0].expr: expression "upper(PID[\"5..1\"])": line 1 column 11: PID["5..1"]: write fields like "5", "5.1" or "3[2].1"`,
		`courier.yaml:8:5: steps[1]: give exactly one of value, from and expr`,
		`courier.yaml:14:7: steps[2].rules: rule 1: no destination "nowhere" in this channel (it has: ehr)`,
		`courier.yaml:17:12: steps[3].table: no such table "missing" (define it under tables:, or name a .csv file in DIR)`,
		`courier.yaml:19:13: steps[4].source: script courier.yaml:19: line 2 column 4: Unexpected token ;`,
		`courier.yaml:24:9: steps[5].to: hl7: invalid path "PID-" at position 5: expected the field number (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`,
		`courier.yaml:26:17: steps[6].repetition: repetition "PID-3.1": give a field, such as PID-3 or IN1[2]-3, without a repetition or component`,
		`courier.yaml:27:5: steps[7]: split by segment (segment, leading) or by repetition (repetition), not both`,
	}
	got := strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "")
	got = strings.ReplaceAll(got, dir, "DIR")
	lines := strings.Split(got, "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%s", len(lines), len(want), got)
	}
	for i, w := range want {
		if lines[i] != w {
			t.Errorf("problem %d:\n got %s\nwant %s", i+1, lines[i], w)
		}
	}
}

func TestEncodeOnlyInDestinations(t *testing.T) {
	dir := t.TempDir()
	_, err := fromYAML(t, dir, "destinations: [ehr]\nsteps:\n  - type: encode\n    format: json\n")
	want := "courier.yaml:3:5: steps[0]: encode belongs in a destination's steps, not the channel's"
	if err == nil || strings.ReplaceAll(err.Error(), dir+string(filepath.Separator), "") != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}
