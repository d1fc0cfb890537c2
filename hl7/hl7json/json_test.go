package hl7json

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/courier-hl7/courier/hl7"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func inputs(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/*.hl7")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test messages: %v", err)
	}
	return files
}

// TestGolden checks Marshal against testdata/golden and the round trip of every file.
func TestGolden(t *testing.T) {
	for _, file := range inputs(t) {
		name := strings.TrimSuffix(filepath.Base(file), ".hl7")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			m, err := hl7.Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			js, err := Marshal(m, nil)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.WriteFile(golden, js, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(js, want) {
				t.Errorf("Marshal differs from %s (run go test -update and review the diff):\n%s", golden, js)
			}
			back, err := Unmarshal(js)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if got := back.Bytes(); !bytes.Equal(got, data) {
				t.Errorf("round trip differs:\n got %q\nwant %q", got, data)
			}
		})
	}
}

func TestNamesAreIgnoredOnTheWayBack(t *testing.T) {
	data, _ := os.ReadFile("testdata/adt_a01.hl7")
	m, _ := hl7.Parse(data)
	js, err := Marshal(m, &Options{Names: true})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js, []byte(`"Patient Name"`)) {
		t.Errorf("names missing:\n%s", js)
	}
	back, err := Unmarshal(js)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Bytes(), data) {
		t.Error("round trip with names differs")
	}
}

// TestEdits: JSON edited by a consumer becomes the message it describes.
func TestEdits(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"text escaped", `{"segments": [["MSH", "|", "^~\\&", "A"], ["PID", "1", "", "", "", [["O'BRIEN|X", "A^B"]]]]}`,
			"MSH|^~\\&|A\rPID|1||||O'BRIEN\\F\\X^A\\S\\B\r"},
		{"repetitions and sub-components", `{"segments": [["MSH", "|", "^~\\&"], ["PID", "1", "", ["1", ["2", "", "", ["A", "B"]]]]]}`,
			"MSH|^~\\&\rPID|1||1~2^^^A&B\r"},
		{"edited raw object text wins", `{"segments": [["MSH", "|", "^~\\&"], ["NTE", "1", "", {"raw": "a\\.br\\b", "text": "edited"}]]}`,
			"MSH|^~\\&\rNTE|1||edited\r"},
		{"unedited raw object keeps bytes", `{"segments": [["MSH", "|", "^~\\&"], ["NTE", "1", "", {"raw": "a\\.br\\b", "text": "a\nb"}]]}`,
			"MSH|^~\\&\rNTE|1||a\\.br\\b\r"},
		{"terminator and trails", `{"terminator": "\n", "trails": {"1": ""}, "segments": [["MSH", "|", "^~\\&"], ["PID", "1"]]}`,
			"MSH|^~\\&\nPID|1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Unmarshal([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := string(m.Bytes()); got != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestUnmarshalErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`[]`, "hl7json: not a message document: json: cannot unmarshal array into Go value of type hl7json.document"},
		{`{"segments": []}`, "hl7json: segments: a message needs at least its MSH segment"},
		{`{"segments": [["PID", "1"]]}`, `hl7json: segments[0]: the first segment starts ["MSH", "|", "^~\\&", ...]`},
		{`{"segments": [["MSH", "|", "^~\\&"], ["PID", 5]]}`, "hl7json: segments[1][1]: expected a string or an array, got float64"},
		{`{"segments": [["MSH", "|", "^~\\&"], ["PID", null]]}`, `hl7json: segments[1][1]: null is not a value; write "" for an empty one, or "\"\"" for the HL7 null`},
		{`{"segments": [["MSH", "|", "^~\\&"], ["PID", [[["a", ["b"]]]]]]}`, "hl7json: segments[1][1][0][0][1]: sub-components hold text, not arrays"},
		{`{"segments": [["MSH", "|", "^~\\&"], ["PIDX"]]}`, "hl7json: segments[1][0]: a segment name is three characters"},
		{`{"terminator": "x", "segments": [["MSH", "|", "^~\\&"]]}`, `hl7json: terminator: a terminator is "\r", "\n" or "\r\n"`},
		{`{"trails": {"7": "\r"}, "segments": [["MSH", "|", "^~\\&"]]}`, "hl7json: trails.7: not the index of a segment (0 to 0)"},
		{`{"segments": [["MSH", "|", "^~\\&"]], "extra": 1}`, `hl7json: not a message document: json: unknown field "extra"`},
		{`{"segments": [["MSH", "|", "^^"]]}`, "hl7json: segments[0][2]: encoding characters: invalid delimiters in MSH-1/MSH-2: component separator and repetition separator are both '^'"},
	}
	for _, tc := range tests {
		_, err := Unmarshal([]byte(tc.in))
		if err == nil {
			t.Errorf("%s: no error, want %q", tc.in, tc.want)
			continue
		}
		var je *Error
		if !errors.As(err, &je) {
			t.Errorf("%s: error %T is not *Error", tc.in, err)
		}
		if err.Error() != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.in, err.Error(), tc.want)
		}
	}
}

// FuzzJSONRoundTrip: every message that parses comes back byte for byte.
func FuzzJSONRoundTrip(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.hl7")
	for _, file := range files {
		// Large files make coverage-guided fuzzing crawl; the golden test
		// covers them.
		if b, err := os.ReadFile(file); err == nil && len(b) < 64<<10 {
			f.Add(b)
		}
	}
	f.Add([]byte("MSH|^~\\&|A\rPID|1|\\X41\\|a~~b^c&&\r\n\r\n"))
	f.Add([]byte("MSH|^~\\&|A\rPID|1|x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := hl7.Parse(data)
		if err != nil {
			return
		}
		if m.Charset() != "" && bytes.Contains(m.Text(), []byte("\uFFFD")) {
			// Bytes the declared character set does not define read as U+FFFD (docs/hl7.md):
			// text cannot give them back.
			return
		}
		js, err := Marshal(m, nil)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		back, err := Unmarshal(js)
		if err != nil {
			t.Fatalf("Unmarshal: %v\n%s", err, js)
		}
		if !bytes.Equal(back.Bytes(), m.Bytes()) {
			t.Fatalf("round trip differs:\n got %q\nwant %q\n%s", back.Bytes(), m.Bytes(), js)
		}
	})
}

// TestRoundTripFileMessages: the messages of a file with one CR-terminated message per line
// end with the LF that separates them (after their last segment), and come back byte for byte.
func TestRoundTripFileMessages(t *testing.T) {
	const in = "MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.5\rPID|1|x\nMSH|^~\\&|A|B|C|D|20260101||ADT^A01|2|P|2.5\rPID|1|y\n"
	r := hl7.NewReader(strings.NewReader(in))
	var all []byte
	n := 0
	for ; n < 3; n++ {
		m, err := r.Next()
		if err == io.EOF {
			break
		}
		if want := []string{"x", "y", ""}[n]; m != nil && m.Get("PID-2") != want {
			t.Errorf("message %d: PID-2 = %q, want %q", n+1, m.Get("PID-2"), want)
		}
		if err != nil {
			t.Fatal(err)
		}
		doc, err := Marshal(m, nil)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Unmarshal(doc)
		if err != nil {
			t.Fatalf("Unmarshal: %v\n%s", err, doc)
		}
		if !bytes.Equal(back.Bytes(), m.Bytes()) || back.Get("PID-2") != m.Get("PID-2") {
			t.Errorf("round trip differs:\n got %q\nwant %q\n%s", back.Bytes(), m.Bytes(), doc)
		}
		all = append(all, back.Bytes()...)
	}
	if n != 2 || string(all) != in {
		t.Errorf("%d messages joined: %q\nwant 2: %q", n, all, in)
	}
}
