package chantest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/transform"
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// labChannel maps codes, upper-cases family names and routes by code; one destination
// encodes JSON.
func labChannel(t *testing.T) Channel {
	deps := transform.Deps{Channel: "lab", Destinations: []string{"ehr", "archive", "json"}}
	codes := map[string]string{"GLU": "2345-7"}
	ch := must(transform.NewPipeline(deps, `MSH["9.1"] == "ORU"`,
		must(transform.Map("OBX[*]-3.1", transform.MapOptions{Values: map[string]string{"GLU": "2345-7", "XYZ": "XYZ"}, OnMissing: "error"})),
		must(transform.Set("PID-5.1", transform.Value{Expr: `upper(PID["5.1"])`})),
		must(transform.Route(transform.RouteOptions{Rules: []transform.RouteRule{{When: `OBX["3.1"] == "2345-7"`, To: []string{"ehr", "json"}}}, Default: []string{"archive"}})),
	))
	_ = codes
	js := must(transform.NewPipeline(transform.Deps{Channel: "lab"}, "", must(transform.Encode("json", transform.EncodeOptions{}))))
	return Channel{Name: "lab", Processor: ch, Destinations: []Destination{{Name: "ehr"}, {Name: "archive"}, {Name: "json", Processor: js}}}
}

func TestPassing(t *testing.T) {
	f, err := Load("testdata/lab.test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	results := f.Run(context.Background(), labChannel(t))
	for _, r := range results {
		if !r.Passed() {
			t.Error(r)
		}
	}
	if p, failed, err := Summary(results); p != 4 || failed != 0 || err != nil {
		t.Errorf("summary %d %d %v", p, failed, err)
	}
}

func TestFailures(t *testing.T) {
	f, err := Load("testdata/failing.test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	results := f.Run(context.Background(), labChannel(t))
	want := [][]string{{
		"expected the channel to filter the message, it went on (1 output(s))",
		"expected 2 output(s) from the channel's steps, got 1",
		"destination ehr, message 1: message differs:\n      segment 2:\n        want PID|1||123^^^HOSP^MR||DOE^JANE\n        got  PID|1||123^^^HOSP^MR||DOE^jane",
		`destination ehr, message 1: PID-30 is absent, want "X"`,
		`destination ehr, message 1: PID-5.1 is "DOE", want "Doe"`,
		"destination archive: expected 1 message(s), got 0",
		`destination "nowhere": the channel has no such destination`,
	}, {
		`expected an error containing "boom", got none`,
	}}
	if len(results) != 2 {
		t.Fatalf("%d results", len(results))
	}
	for i, r := range results {
		if strings.Join(r.Failures, "\n") != strings.Join(want[i], "\n") {
			t.Errorf("test %d failures:\n%s\nwant\n%s", i+1, strings.Join(r.Failures, "\n"), strings.Join(want[i], "\n"))
		}
	}
	if r := results[1]; r.Pos.Line != 21 || r.String() != "FAIL no error where one was expected (testdata/failing.test.yaml:21:5)\n    expected an error containing \"boom\", got none" {
		t.Errorf("result: %q at %v", r.String(), r.Pos)
	}
	if _, _, err := Summary(results); err == nil || err.Error() != "2 of 2 test(s) failed: wrong expectations, no error where one was expected" {
		t.Errorf("summary: %v", err)
	}
	// A file for another channel fails every test.
	other := labChannel(t)
	other.Name = "adt"
	if r := f.Run(context.Background(), other); r[0].Failures[0] != `the file tests channel "lab", not "adt"` {
		t.Errorf("other channel: %v", r[0].Failures)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ yaml, want string }{
		{"tests: []\n", "t.yaml:1:1: missing required key `channel`"},
		{"channel: x\ntests:\n  - name: a\n    expect: {}\n", "t.yaml:3:5: tests[0]: give either input or input_file"},
		{"channel: x\ntests:\n  - name: a\n    input: PID|1\n    expect: {}\n", "t.yaml:4:12: tests[0].input: no message: a message starts with MSH"},
		{"channel: x\ntests:\n  - name: a\n    input: MSH|^~\\&\n    expect:\n      destinations:\n        ehr:\n          - paths: {PID-x: 1}\n            wrong: 2\n",
			"t.yaml:8:11: tests[0].expect.destinations.ehr: message 1: hl7: invalid path \"PID-x\" at position 5: expected the field number (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)\n" +
				"t.yaml:8:11: tests[0].expect.destinations.ehr: message 1: unknown key \"wrong\" (message, message_file, body, paths, absent)"},
		{"channel: x\ntests:\n  - name: a\n    input: MSH|^~\\&\n    expect: {filterd: true}\n", "t.yaml:5:14: tests[0].expect.filterd: unknown key `filterd` (did you mean `filtered`?)"},
	}
	for _, tc := range tests {
		_, err := Parse("t.yaml", []byte(tc.yaml))
		if err == nil {
			t.Errorf("%q: no error", tc.yaml)
			continue
		}
		var es config.Errors
		if !errors.As(err, &es) {
			t.Errorf("%q: %T is not config.Errors", tc.yaml, err)
		}
		got := err.Error()
		if tc.want != got {
			// Map iteration order may swap two problems at the same position.
			if lines := strings.Split(got, "\n"); len(lines) == 2 && lines[1]+"\n"+lines[0] == tc.want {
				continue
			}
			t.Errorf("%q:\n got %s\nwant %s", tc.yaml, got, tc.want)
		}
	}
}

func TestSplitMessages(t *testing.T) {
	got := splitMessages("MSH|^~\\&|A\r\nPID|1\n\nMSH|^~\\&|B\rEVN|A01  \n", true)
	if len(got) != 2 || string(got[0]) != "MSH|^~\\&|A\rPID|1\r" || string(got[1]) != "MSH|^~\\&|B\rEVN|A01\r" {
		t.Errorf("got %q", got)
	}
	// A message file keeps its values' trailing spaces (NTE-3 "  text  ").
	got = splitMessages("MSH|^~\\&|A\rNTE|1||  text  \r  \rMSH|^~\\&|B\r", false)
	if len(got) != 2 || string(got[0]) != "MSH|^~\\&|A\rNTE|1||  text  \r" || string(got[1]) != "MSH|^~\\&|B\r" {
		t.Errorf("untrimmed: got %q", got)
	}
}
