package transform

import (
	"strings"
	"testing"
)

// base is the message most step tests start from.
var base = []string{
	"MSH|^~\\&|A|B|C|D|20261127||ADT^A01|1|P|2.5.1",
	"PID|1||123^^^H^MR~456^^^S^SS||doe^john||19800101|M",
	"PV1|1|I|W1^101",
	"OBX|1|NM|GLU||5.5",
	"OBX|2|NM|NA||140",
	"ZPI|7|VIP",
}

// edited returns base with the segments at the given positions replaced; a negative position
// removes segment -pos, and a position at len(base) or more appends.
func edited(changes map[int]string) string {
	var out []string
	for i, seg := range base {
		if _, removed := changes[-i]; removed && i > 0 {
			continue
		}
		if c, ok := changes[i]; ok {
			seg = c
		}
		out = append(out, seg)
	}
	for i := len(base); i < len(base)+5; i++ {
		if c, ok := changes[i]; ok {
			out = append(out, c)
		}
	}
	return er7(out...)
}

type stepCase struct {
	name string
	in   string // empty: base
	step func() (Step, error)
	want string // the message after the step
	err  string // the exact error, from the constructor or the run
}

func runCases(t *testing.T, cases []stepCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			if in == "" {
				in = er7(base...)
			}
			s, err := tc.step()
			if err == nil {
				var out Outcome
				out, err = runSteps(t, in, s)
				if err == nil {
					if tc.err != "" {
						t.Fatalf("no error, want %q", tc.err)
					}
					if len(out.Outputs) != 1 {
						t.Fatalf("%d outputs", len(out.Outputs))
					}
					if got := string(out.Outputs[0].Message.Bytes()); got != tc.want {
						t.Errorf("got\n%s\nwant\n%s", show(got), show(tc.want))
					}
					return
				}
			}
			if err.Error() != tc.err {
				t.Errorf("error\n got %q\nwant %q", err.Error(), tc.err)
			}
		})
	}
}

func show(s string) string { return strings.ReplaceAll(s, "\r", "\n") }

func TestSet(t *testing.T) {
	runCases(t, []stepCase{
		{name: "literal", step: func() (Step, error) { return Set("PID-5.1", Value{Text: "DOE"}) },
			want: edited(map[int]string{1: "PID|1||123^^^H^MR~456^^^S^SS||DOE^john||19800101|M"})},
		{name: "literal escaped", step: func() (Step, error) { return Set("PV1-3.2", Value{Text: "1^2|3"}) },
			want: edited(map[int]string{2: "PV1|1|I|W1^1\\S\\2\\F\\3"})},
		{name: "raw", step: func() (Step, error) { return Set("PV1-3", Value{Text: "W2^202^B", Raw: true}) },
			want: edited(map[int]string{2: "PV1|1|I|W2^202^B"})},
		{name: "from path copies encoded", step: func() (Step, error) { return Set("PV1-19", Value{Path: "PID-3[2]"}) },
			want: edited(map[int]string{2: "PV1|1|I|W1^101||||||||||||||||456^^^S^SS"})},
		{name: "expr", step: func() (Step, error) {
			return Set("PID-5.1", Value{Expr: `upper(PID["5.1"]) + "-" + string(count("OBX"))`})
		},
			want: edited(map[int]string{1: "PID|1||123^^^H^MR~456^^^S^SS||DOE-2^john||19800101|M"})},
		{name: "expr sees value and seg", step: func() (Step, error) {
			return Set("OBX[*]-8", Value{Expr: `seg["3"] == "GLU" ? "H" : value`})
		}, want: edited(map[int]string{3: "OBX|1|NM|GLU||5.5|||H"})},
		{name: "every repetition", step: func() (Step, error) { return Set("PID-3[*].4", Value{Text: "HOSP"}) },
			want: edited(map[int]string{1: "PID|1||123^^^HOSP^MR~456^^^HOSP^SS||doe^john||19800101|M"})},
		{name: "creates a segment", step: func() (Step, error) { return Set("NTE-3", Value{Text: "note"}) },
			want: edited(map[int]string{6: "NTE|||note"})},
		{name: "HL7 null", step: func() (Step, error) { return Set("PID-8", Value{Text: `""`}) },
			want: edited(map[int]string{1: "PID|1||123^^^H^MR~456^^^S^SS||doe^john||19800101|\"\""})},
		{name: "bad path", step: func() (Step, error) { return Set("PID-x", Value{Text: "1"}) },
			err: `hl7: invalid path "PID-x" at position 5: expected the field number (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
		{name: "value and expr", step: func() (Step, error) { return Set("PID-8", Value{Path: "PID-7", Expr: "1"}) },
			err: "give a value, a path or an expression, not several"},
		{name: "MSH-2 is read-only", step: func() (Step, error) { return Set("MSH-2", Value{Text: "^~"}) },
			err: `step 1 (set): hl7: set MSH-2: value cannot be set: MSH-1 and MSH-2 hold the delimiters`},
		{name: "run-time expression error", step: func() (Step, error) { return Set("PID-8", Value{Expr: `num(PID["5.1"])`}) },
			err: `step 1 (set): expression "num(PID[\"5.1\"])": line 1 column 1: num: "doe" is not a number (give a default: num(value, 0))`},
	})
}

func TestCopyMoveDelete(t *testing.T) {
	runCases(t, []stepCase{
		{name: "copy", step: func() (Step, error) { return Copy("PID-5", "PV1-7") },
			want: edited(map[int]string{2: "PV1|1|I|W1^101||||doe^john"})},
		{name: "copy pairs occurrences", step: func() (Step, error) { return Copy("OBX[*]-3", "OBX[*]-4") },
			want: edited(map[int]string{3: "OBX|1|NM|GLU|GLU|5.5", 4: "OBX|2|NM|NA|NA|140"})},
		{name: "copy of an empty value empties the target", step: func() (Step, error) { return Copy("PID-2", "PID-8") },
			want: edited(map[int]string{1: "PID|1||123^^^H^MR~456^^^S^SS||doe^john||19800101|"})},
		{name: "move", step: func() (Step, error) { return Move("ZPI-2", "PID-30") },
			want: edited(map[int]string{1: "PID|1||123^^^H^MR~456^^^S^SS||doe^john||19800101|M" + strings.Repeat("|", 22) + "VIP", 5: "ZPI|7"})},
		{name: "copy wildcard mismatch", step: func() (Step, error) { return Copy("OBX[*]-3", "PID-3") },
			err: "the source OBX[*]-3 has [*] but the target PID-3 does not: which one to copy?"},
		{name: "delete field", step: func() (Step, error) { return Delete("PID-8") },
			want: edited(map[int]string{1: "PID|1||123^^^H^MR~456^^^S^SS||doe^john||19800101"})},
		{name: "delete repetition", step: func() (Step, error) { return Delete("PID-3[1]") },
			want: edited(map[int]string{1: "PID|1||456^^^S^SS||doe^john||19800101|M"})},
		{name: "delete every segment", step: func() (Step, error) { return Delete("OBX[*]", "ZPI") },
			want: edited(map[int]string{-3: "", -4: "", -5: ""})},
		{name: "delete component of each", step: func() (Step, error) { return Delete("PID-3[*].4") },
			want: edited(map[int]string{1: "PID|1||123^^^^MR~456^^^^SS||doe^john||19800101|M"})},
		{name: "delete MSH", step: func() (Step, error) { return Delete("MSH") }, err: "the MSH segment cannot be deleted"},
		{name: "delete nothing", step: func() (Step, error) { return Delete() }, err: "delete needs at least one path"},
	})
}

func TestMap(t *testing.T) {
	wards := map[string]string{"W1": "4NORTH"}
	runCases(t, []stepCase{
		{name: "inline", step: func() (Step, error) { return Map("PV1-3.1", MapOptions{Values: wards}) },
			want: edited(map[int]string{2: "PV1|1|I|4NORTH^101"})},
		{name: "csv every OBX", step: func() (Step, error) { return Map("OBX[*]-3", MapOptions{Table: "loinc.csv"}) },
			want: edited(map[int]string{3: "OBX|1|NM|2345-7||5.5", 4: "OBX|2|NM|2951-2||140"})},
		{name: "to another path", step: func() (Step, error) { return Map("OBX[*]-3.1", MapOptions{Table: "loinc.csv", To: "OBX[*]-3.4"}) },
			want: edited(map[int]string{3: "OBX|1|NM|GLU^^^2345-7||5.5", 4: "OBX|2|NM|NA^^^2951-2||140"})},
		{name: "missing kept", step: func() (Step, error) { return Map("PID-8", MapOptions{Values: wards}) }, want: er7(base...)},
		{name: "missing default", step: func() (Step, error) { return Map("PID-8", MapOptions{Values: wards, Default: "U"}) },
			want: edited(map[int]string{1: "PID|1||123^^^H^MR~456^^^S^SS||doe^john||19800101|U"})},
		{name: "missing error", step: func() (Step, error) { return Map("PID-8", MapOptions{Values: wards, OnMissing: "error"}) },
			err: `step 1 (map): PID-8: "M" is not in table "inline" (add it to the table, or set on_missing: keep or default)`},
		{name: "ignore case", step: func() (Step, error) {
			return Map("PID-5.1", MapOptions{Values: map[string]string{"DOE": "SMITH"}, IgnoreCase: true})
		}, want: edited(map[int]string{1: "PID|1||123^^^H^MR~456^^^S^SS||SMITH^john||19800101|M"})},
		{name: "HL7 null kept with a default", in: er7(base[0], "PID|1||123||doe^john||19800101|\"\""),
			step: func() (Step, error) { return Map("PID-8", MapOptions{Values: wards, Default: "U"}) },
			want: er7(base[0], "PID|1||123||doe^john||19800101|\"\"")},
		{name: "HL7 null is not missing", in: er7(base[0], "PID|1||123||doe^john||19800101|\"\""),
			step: func() (Step, error) { return Map("PID-8", MapOptions{Values: wards, OnMissing: "error"}) },
			want: er7(base[0], "PID|1||123||doe^john||19800101|\"\"")},
		{name: "no table", step: func() (Step, error) { return Map("PID-8", MapOptions{}) }, err: "give either a table or inline values"},
		{name: "bad on_missing", step: func() (Step, error) { return Map("PID-8", MapOptions{Values: wards, OnMissing: "skip"}) },
			err: `on_missing "skip": use keep, default or error`},
		{name: "unknown table", step: func() (Step, error) { return Map("PID-8", MapOptions{Table: "sex"}) },
			err: `step 1 (map): no such table "sex" (define it under tables:, or name a .csv file in testdata)`},
	})
}

func TestSegmentSteps(t *testing.T) {
	runCases(t, []stepCase{
		{name: "add at end", step: func() (Step, error) { return AddSegment("NTE|1||{{PID-5.1}}", Where{}) },
			want: edited(map[int]string{6: "NTE|1||doe"})},
		{name: "add after", step: func() (Step, error) { return AddSegment("PD1|1", Where{After: "PID"}) },
			want: er7(base[0], base[1], "PD1|1", base[2], base[3], base[4], base[5])},
		{name: "add after each", step: func() (Step, error) { return AddSegment(`NTE|1||{{= seg["3"]}}`, Where{After: "OBX[*]"}) },
			want: er7(base[0], base[1], base[2], base[3], "NTE|1||GLU", base[4], "NTE|1||NA", base[5])},
		{name: "add before", step: func() (Step, error) { return AddSegment("EVN|A01", Where{Before: "PID"}) },
			want: er7(base[0], "EVN|A01", base[1], base[2], base[3], base[4], base[5])},
		{name: "add MSH", step: func() (Step, error) { return AddSegment("MSH|^~\\&", Where{}) }, err: "a message has one MSH segment"},
		{name: "move after", step: func() (Step, error) { return MoveSegment("ZPI", Where{After: "PID"}) },
			want: er7(base[0], base[1], base[5], base[2], base[3], base[4])},
		{name: "move every before", step: func() (Step, error) { return MoveSegment("OBX[*]", Where{Before: "PV1"}) },
			want: er7(base[0], base[1], base[3], base[4], base[2], base[5])},
		{name: "rename", step: func() (Step, error) { return RenameSegment("ZPI", "ZP1", nil) },
			want: edited(map[int]string{5: "ZP1|7|VIP"})},
		{name: "rename with fields", step: func() (Step, error) { return RenameSegment("ZPI", "ZP1", map[int]int{2: 1}) },
			want: edited(map[int]string{5: "ZP1|VIP"})},
		{name: "merge into PID", step: func() (Step, error) { return MergeSegment("ZPI", "PID", map[int]int{2: 30}, false) },
			want: edited(map[int]string{1: "PID|1||123^^^H^MR~456^^^S^SS||doe^john||19800101|M" + strings.Repeat("|", 22) + "VIP", -5: ""})},
		{name: "order", step: func() (Step, error) { return OrderSegments([]string{"MSH", "ZPI", "PV1", "PID"}) },
			want: er7(base[0], base[5], base[2], base[3], base[4], base[1])},
		{name: "order MSH not first", step: func() (Step, error) { return OrderSegments([]string{"PID", "MSH"}) }, err: "MSH is always first"},
		{name: "rename to MSH", step: func() (Step, error) { return RenameSegment("ZPI", "MSH", nil) }, err: "header segments (MSH, FHS, BHS) are not renamed"},
		{name: "field map collision", step: func() (Step, error) { return RenameSegment("ZPI", "ZP1", map[int]int{1: 3, 2: 3}) },
			err: "fields 1 and 2 both go to field 3"},
	})
}

func TestFormat(t *testing.T) {
	in := er7("MSH|^~\\&|A|B|C|D|20261127||ADT^A01|1|P|2.5.1",
		"PID|1||00123^^^H^MR||o'brien^mary ann||198001011230+0100|F|||||1 (217) 555-0101~555-01",
		"PV1|1|I"+strings.Repeat("|", 43)+"12/31/2026")
	cases := []stepCase{
		{name: "date precision", step: func() (Step, error) { return Format("PID-7", FormatOptions{Date: &DateFormat{Precision: "day"}}) }},
		{name: "date zone and pattern", step: func() (Step, error) {
			return Format("PID-7", FormatOptions{Date: &DateFormat{Zone: "UTC", To: "YYYY-MM-DD[T]HH:mm:ssZ"}})
		}},
		{name: "date from pattern", step: func() (Step, error) { return Format("PV1-45", FormatOptions{Date: &DateFormat{From: "MM/DD/YYYY"}}) }},
		{name: "name title", step: func() (Step, error) { return Format("PID-5", FormatOptions{Name: &NameFormat{Case: "title"}}) }},
		{name: "name order", step: func() (Step, error) {
			return Format("PID-5", FormatOptions{Name: &NameFormat{Case: "upper", Order: []int{2, 1}}})
		}},
		{name: "phone", step: func() (Step, error) {
			return Format("PID-13[*]", FormatOptions{Phone: &PhoneFormat{Pattern: "(###) ###-####", Country: "1"}, OnError: "keep"})
		}},
		{name: "phone error", step: func() (Step, error) {
			return Format("PID-13[2]", FormatOptions{Phone: &PhoneFormat{Pattern: "(###) ###-####"}})
		}},
		{name: "id", step: func() (Step, error) {
			return Format("PID-3", FormatOptions{ID: &IDFormat{Strip: "0", Pad: 8, Authority: "HOSP", TypeCode: "MRN"}})
		}},
		{name: "text", step: func() (Step, error) {
			return Format("PID-5.2", FormatOptions{Text: &TextFormat{Case: "upper", Max: 4}})
		}},
		{name: "two formats", step: func() (Step, error) { return Format("PID-5", FormatOptions{Text: &TextFormat{}, Name: &NameFormat{}}) }},
		{name: "bad zone", step: func() (Step, error) { return Format("PID-7", FormatOptions{Date: &DateFormat{Zone: "Mars/Base"}}) }},
	}
	want := []struct{ field, value, err string }{
		{"PID-7", "19800101", ""},
		{"PID-7", "1980-01-01T11:30:00Z", ""},
		{"PV1-45", "20261231", ""},
		{"PID-5", "O'Brien^Mary Ann", ""},
		{"PID-5", "MARY ANN^O'BRIEN", ""},
		{"PID-13", "(217) 555-0101~555-01", ""},
		{"", "", `step 1 (format): PID-13[2]: 5 digits, the pattern "(###) ###-####" has 10 (set on_error: keep or empty to let such values through)`},
		{"PID-3", "00000123^^^HOSP^MRN", ""},
		{"PID-5", "o'brien^MARY", ""},
		{"", "", "give exactly one of date, name, phone, id and text"},
		{"", "", `zone "Mars/Base": unknown time zone Mars/Base`},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.step()
			var out Outcome
			if err == nil {
				out, err = runSteps(t, in, s)
			}
			if want[i].err != "" || err != nil {
				if err == nil || err.Error() != want[i].err {
					t.Fatalf("error %v, want %q", err, want[i].err)
				}
				return
			}
			v, _ := out.Outputs[0].Message.Value(want[i].field)
			if got := string(v.Raw()); got != want[i].value {
				t.Errorf("%s = %q, want %q", want[i].field, got, want[i].value)
			}
		})
	}
}

// TestFormatNamesAndISODates covers a name's codes, suffix and degree, which keep their case,
// and ISO dates, which keep their precision.
func TestFormatNamesAndISODates(t *testing.T) {
	in := er7("MSH|^~\\&|A|B|C|D|20261127||ADT^A01|1|P|2.5.1",
		"PID|1||1||SMITH-JONES^JOHN^Q^III^DR^MD^L~DOE^JANE^^^^^A||19800215",
		"ZDT|2026-02-15|2026-11-27T09:30:15.250+01:00|202611|20261127093015.25+0100")
	name := func(c string) func() (Step, error) {
		return func() (Step, error) { return Format("PID-5[*]", FormatOptions{Name: &NameFormat{Case: c}}) }
	}
	date := func(path, from, to string) func() (Step, error) {
		return func() (Step, error) { return Format(path, FormatOptions{Date: &DateFormat{From: from, To: to}}) }
	}
	cases := []struct {
		name        string
		step        func() (Step, error)
		field, want string
	}{
		{"name title", name("title"), "PID-5", "Smith-Jones^John^Q^III^Dr^MD^L~Doe^Jane^^^^^A"},
		{"name lower", name("lower"), "PID-5", "smith-jones^john^q^III^dr^MD^L~doe^jane^^^^^A"},
		{"ISO date of birth", date("PID-7", "", "ISO"), "PID-7", "1980-02-15"},
		{"ISO month", date("ZDT-3", "", "ISO"), "ZDT-3", "2026-11"},
		{"ISO milliseconds", date("ZDT-4", "", "ISO"), "ZDT-4", "2026-11-27T09:30:15.25+01:00"},
		{"ISO date read", date("ZDT-1", "ISO", "HL7"), "ZDT-1", "20260215"},
		{"ISO fraction read", date("ZDT-2", "ISO", "HL7"), "ZDT-2", "20261127093015.250+0100"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.step()
			if err != nil {
				t.Fatal(err)
			}
			out, err := runSteps(t, in, s)
			if err != nil {
				t.Fatal(err)
			}
			v, _ := out.Outputs[0].Message.Value(tc.field)
			if got := string(v.Raw()); got != tc.want {
				t.Errorf("%s = %q, want %q", tc.field, got, tc.want)
			}
		})
	}
}
