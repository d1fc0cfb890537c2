package file

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/courier-hl7/courier/hl7"
)

func testMessage(t testing.TB, raw string) *hl7.Message {
	t.Helper()
	m, err := hl7.Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestTemplateExpand(t *testing.T) {
	m := testMessage(t, "MSH|^~\\&|LAB|GENERAL HOSP|EHR|FAC|20261127120000||ORU^R01^ORU_R01|../../etc/passwd|P|2.5\r"+
		"PID|1||12345^^^HOSP^MR~999^^^SSA||M\\S\\ller^J\\F\\R||19700101|F\r"+
		"OBX|1|ST|CODE||a\x01b\r"+
		"NTE|1||.hidden\r"+
		"ZZZ|CON|nul.txt|"+strings.Repeat("x", 100)+"|Grüße €|\xff\xfe\r")
	date := time.Date(2026, 11, 27, 2, 5, 9, 0, time.UTC)
	for _, tc := range []struct {
		tmpl, want string
	}{
		{"{{MSH-10}}.hl7", "_._.._etc_passwd.hl7"},
		{"{{MSH-9.1}}/{{MSH-9.2}}/{{MSH-10}}.hl7", "ORU/R01/_._.._etc_passwd.hl7"},
		{"{{MSH-9}}", "ORU_R01_ORU_R01"},
		{"{{MSH-4}}", "GENERAL_HOSP"},
		{"{{PID-3[2].1}}-{{PID-3.1}}", "999-12345"},
		{"{{PID-5.1}}_{{PID-5.2}}", "M_ller_J_R"}, // escapes decoded (M|ller, J|R), then sanitised
		{"{{OBX-5}}", "a_b"},
		{"{{NTE-3}}", "_hidden"},
		{"{{ZZZ-1}}/{{ZZZ-2}}", "_CON/_nul.txt"},
		{"{{ZZZ-3}}", strings.Repeat("x", 64)},
		// Values side by side are cut together to 240 bytes, keeping the extension, so that
		// the name and its -999 suffix fit the 255 bytes file systems allow.
		{"{{ZZZ-3}}{{ZZZ-3}}{{ZZZ-3}}{{ZZZ-3}}.hl7", strings.Repeat("x", 236) + ".hl7"},
		{"a/{{ZZZ-3}}_{{ZZZ-3}}_{{ZZZ-3}}_{{ZZZ-3}}/b", "a/" + strings.Repeat("x", 64) + "_" + strings.Repeat("x", 64) + "_" + strings.Repeat("x", 64) + "_" + strings.Repeat("x", 45) + "/b"},
		{strings.Repeat("{{ZZZ-4}}", 30) + ".hl", strings.Repeat("Grüße__", 26) + "Gr.hl"}, // ü would end at byte 238 of 237
		{"{{ZZZ-4}}", "Grüße__"},
		{"{{ZZZ-5}}", "__"},
		{"{{ZZZ-6}}|{{PV1-2}}|{{MSH-99}}", "_|_|_"}, // empty, missing segment, missing field
		{"{{ PID-3.1 }}", "12345"},
		{"{{PID.3.1}}-{{PID-3-1}}", "12345-12345"},
		{"{{id}}_{{seq}}", "42_7"},
		{"{{date}}", "20261127"},
		{"{{date:2006/01/02}}/{{date:150405}}", "2026/11/27/020509"},
		{"{{date:Jan 2 15:04}}", "Nov_27_02_05"},
		{"plain/name.hl7", "plain/name.hl7"},
	} {
		tp, err := parseTemplate(tc.tmpl, messageParts...)
		if err != nil {
			t.Errorf("parseTemplate(%q): %v", tc.tmpl, err)
			continue
		}
		if got := tp.expand(tmplValues{msg: m, id: 42, seq: 7, date: date}); got != tc.want {
			t.Errorf("%q expands to %q, want %q", tc.tmpl, got, tc.want)
		}
	}
	tp, _ := parseTemplate("{{MSH-10}}-{{id}}", messageParts...)
	if got := tp.expand(tmplValues{id: 3}); got != "_-3" {
		t.Errorf("without a message: %q, want _-3", got)
	}
}

func TestTemplateErrors(t *testing.T) {
	for _, tc := range []struct {
		tmpl  string
		parts []partKind
		err   string
	}{
		{"{{MSH-10", messageParts, "the placeholder that starts at byte 1 has no closing }}"},
		{"a}}b", messageParts, `"}}" at byte 2 closes no placeholder (a placeholder is written {{MSH-10}})`},
		{"x{{}}", messageParts, "placeholder {{}} at byte 2: empty placeholder"},
		{"{{foo}}", messageParts, "placeholder {{foo}} at byte 1: not a field: use an HL7 path like MSH-10, or one of id, seq, group, date:LAYOUT"},
		{"{{PID}}", messageParts, "placeholder {{PID}} at byte 1: not a field: use an HL7 path like MSH-10, or one of id, seq, group, date:LAYOUT"},
		{"{{MSH-x}}", messageParts, "placeholder {{MSH-x}} at byte 1: not an HL7 path like MSH-10 nor one of id, seq, group, date:LAYOUT: " + pathErr("MSH-x")},
		{"{{to}}", messageParts, "placeholder {{to}} at byte 1: not an HL7 path like MSH-10 nor one of id, seq, group, date:LAYOUT: " + pathErr("to")},
		{"{{date:}}", messageParts, "placeholder {{date:}} at byte 1: empty date layout (write a Go layout like {{date:20060102}})"},
		{"{{id:5}}", messageParts, "placeholder {{id:5}} at byte 1: {{id}} takes no argument"},
		{"{{group}}", messageParts, "placeholder {{group}} at byte 1: {{group}} is not available here (use an HL7 path, {{id}}, {{seq}}, {{date}})"},
		{"{{MSH-10}}", batchParts, "placeholder {{MSH-10}} at byte 1: an HL7 path is not available here (use {{date}}, {{group}}, {{seq}})"},
		{"{{id}}", batchParts, "placeholder {{id}} at byte 1: {{id}} is not available here (use {{date}}, {{group}}, {{seq}})"},
	} {
		_, err := parseTemplate(tc.tmpl, tc.parts...)
		if err == nil || err.Error() != tc.err {
			t.Errorf("parseTemplate(%q) = %v\nwant %s", tc.tmpl, err, tc.err)
		}
	}
	for _, tc := range []struct{ tmpl, err string }{
		{"/abs/{{MSH-10}}", "the file name must be relative to the folder (put absolute folders in path)"},
		{"sub/", "the file name must end with a name, not a folder"},
		{"", "the file name must end with a name, not a folder"},
		{"../{{MSH-10}}", "the file name must not contain `..`: files stay inside the folder"},
		{"a/../b", "the file name must not contain `..`: files stay inside the folder"},
	} {
		tp, err := parseTemplate(tc.tmpl, messageParts...)
		if err != nil {
			t.Fatal(err)
		}
		if err := checkNameTemplate(tp); err == nil || err.Error() != tc.err {
			t.Errorf("checkNameTemplate(%q) = %v, want %s", tc.tmpl, err, tc.err)
		}
	}
}

func pathErr(s string) string {
	_, err := hl7.ParsePath(s)
	if err == nil {
		return "(no error)"
	}
	return err.Error()
}

func TestSanitize(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", "_"},
		{".", "_"},
		{"..", "_."},
		{"../x", "_._x"},
		{"a/b\\c", "a_b_c"},
		{"a\x00b\nc\td", "a_b_c_d"},
		{"ok-name_1.2+3=4@5,6", "ok-name_1.2+3=4@5,6"},
		{"x:y*z?\"<>|", "x_y_z_____"},
		{"space here", "space_here"},
		{"Ünïcödé", "Ünïcödé"},
		{"\xc3", "_"},
		{"PRN.hl7", "_PRN.hl7"},
		{"com1", "_com1"},
		{"COM10", "COM10"},
		{strings.Repeat("é", 40), strings.Repeat("é", 32)}, // 2 bytes each, cut at 64 bytes
	} {
		if got := sanitize(tc.in); got != tc.want {
			t.Errorf("sanitize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"{{MSH-10}}.hl7", "{{MSH-9.1}}/{{PID-3[1].1}}_{{date:2006/01}}", "{{id}}{{seq}}", "a}}", "{{"} {
		f.Add(s, "../..\x00/x")
	}
	f.Fuzz(func(t *testing.T, tmpl, value string) {
		tp, err := parseTemplate(tmpl, messageParts...)
		if err != nil {
			return
		}
		m, err := hl7.Parse([]byte("MSH|^~\\&|A|B\rPID|1||X\r"))
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Set("PID-3", value); err != nil {
			return
		}
		got := tp.expand(tmplValues{msg: m, date: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
		// Whatever the value, the literal text decides the folders: a value adds none and
		// never makes `..` or a control character.
		want := 0
		for _, p := range tp.parts {
			switch p.kind {
			case partLiteral:
				want += strings.Count(p.text, "/")
			case partDate:
				want += strings.Count(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Format(p.text), "/")
			}
		}
		if n := strings.Count(got, "/"); n != want {
			t.Fatalf("%q with %q gives %q: %d slashes, want %d", tmpl, value, got, n, want)
		}
		for _, e := range strings.Split(got, "/") {
			if e == ".." && !containsElem(tp.literalElems(), "..") {
				t.Fatalf("%q with %q gives %q", tmpl, value, got)
			}
			if len(e) > maxElemBytes || !utf8.ValidString(e) && utf8.ValidString(tmpl) {
				t.Fatalf("%q with %q gives the element %q (%d bytes)", tmpl, value, e, len(e))
			}
		}
		for _, r := range got {
			if unicode.IsControl(r) && !strings.ContainsRune(tmpl, r) {
				t.Fatalf("%q with %q gives a control character: %q", tmpl, value, got)
			}
		}
	})
}

func containsElem(elems []string, s string) bool {
	for _, e := range elems {
		if strings.Contains(e, s) {
			return true
		}
	}
	return false
}
