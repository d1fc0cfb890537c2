package validate

import (
	"strings"
	"testing"
)

func siteValidator(t *testing.T) *Validator {
	t.Helper()
	rules, err := LoadRules("testdata/rules/site.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tables, err := LoadTables("testdata/tables/LOCALCS.csv")
	if err != nil {
		t.Fatal(err)
	}
	return mustValidator(t, Options{Rules: []*Rules{rules}, Tables: tables})
}

func TestRules(t *testing.T) {
	v := siteValidator(t)
	tests := []struct {
		name, in string
		want     []string
	}{
		{"valid ADT", msg(msh251, evn, pid, pv1, `IN1|1|P|I1`), nil},
		{"valid ORU", msg(oru251, pid, obr, `OBX|1|NM|GLU^Glucose^LN||-5.40||||||F`, `OBX|2|ST|C^Comment^L||text||||||F`), nil},
		{"required, in, forbidden, max_length", msg(msh251, evn, `PID|1||^^^H^SS||DOEDOEDOEDOEDOEDOEDOE^J||||||||||||||123`, `PV1|1|P`, `NTE|1||note`, `IN1|1|P|I1`), []string{
			"E 101 PID-3.1: PID-3.1 (ID Number) is required when PID-3 is valued, but empty",
			"E 100 NTE: segment 5 (NTE) is not part of ADT_A01; after PV1 the structure allows PV2, ROL, DB1, OBX, AL1, DG1, DRG, PR1, GT1, IN1…, or the end of the message",
			"E 103 PID-3.5: patient identifiers must be medical record numbers (MR) or patient internal IDs (PI)",
			`E 103 PV1-2: PV1-2 (Patient Class) is "P"; the custom rule allows I, O, E`,
			"E 102 PID-19: PID-19 (SSN Number - Patient) must not be valued (custom rule)",
			"I 100 NTE: segment 5 (NTE) must not be sent (custom rule)",
			"E 102 PID-5.1: PID-5.1 (Family Name) is 21 characters long; the custom rule allows at most 20",
		}},
		{"required by a rule, empty", msg(msh251, evn, `PID|1||||DOE`, pv1, `IN1|1|P|I1`), []string{
			"E 101 PID-3: PID-3 (Patient Identifier List) is required but empty",
			"E 101 PID-3: PID-3 (Patient Identifier List) is required by a custom rule, but empty",
		}},
		{"when and matches", msg(oru251, pid, obr, `OBX|1|NM|GLU^Glucose^XX||5,4||||||F`, `OBX|2|ST|C^Comment^L||not a number||||||F`), []string{
			`W 103 OBX[1]-3.3: OBX[1]-3.3 (Name of Coding System): "XX" is not in HL7 table 0396 (Coding system)`,
			"E 102 OBX[1]-5: OBX[1]-5 (Observation Value): \"5,4\" is not a NM: unexpected ',' at position 2 (expected [+|-]digits[.digits])",
			"E 102 OBX[1]-5: numeric results must be numbers",
			`W 103 OBX[1]-3.3: OBX[1]-3.3 (Name of Coding System) is "XX", which is not in table LOCALCS from LOCALCS.csv (custom rule)`,
		}},
		{"a required segment the message lacks", msg(msh251, evn, pid, pv1), []string{
			"E 101 IN1: IN1 is required by a custom rule, but the message has no IN1 segment",
		}},
		{"rules scoped to other messages", msg(`MSH|^~\&|A|B|C|D|202601021530||ADT^A08^ADT_A01|C1|P|2.5.1`, evn, pid, `PV1|1|P`, `NTE|1||note`), []string{
			"E 100 NTE: segment 5 (NTE) is not part of ADT_A01; after PV1 the structure allows PV2, ROL, DB1, OBX, AL1, DG1, DRG, PR1, GT1, IN1…, or the end of the message",
			`E 103 PV1-2: PV1-2 (Patient Class) is "P"; the custom rule allows I, O, E`,
			"I 100 NTE: segment 5 (NTE) must not be sent (custom rule)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := v.Validate(mustParse(t, tt.in))
			sameLines(t, tt.name, issueLines(res), tt.want)
			for _, is := range res.Issues {
				if is.Rule == RuleCustom && !strings.HasPrefix(is.Source, "testdata/rules/site.yaml:") {
					t.Errorf("custom issue without its rule's position: %+v", is)
				}
			}
		})
	}
}

// TestRuleOffsets checks that custom rules' issues point at the value, or for an absent field
// at the end of its segment, as the standard's own issues do.
func TestRuleOffsets(t *testing.T) {
	rules, err := ParseRules("r.yaml", []byte("rules:\n  - path: PID-19\n    required: true\n  - path: PID-18\n    required: true\n  - path: PID-3.5\n    in: [MR]\n"))
	if err != nil {
		t.Fatal(err)
	}
	v := mustValidator(t, Options{Rules: []*Rules{rules}})
	for _, term := range []string{"\r", "\n"} {
		text := strings.Join([]string{msh251, evn, `PID|1||1^^^H^MR~2^^^H^PI||DOE|||F|||||||||||`, `PID|1||1^^^H^MR||DOE|||F`, pv1}, term) + term
		res := v.Validate(mustParse(t, text))
		want := map[string]string{
			"PID[1]-18":     "|" + term,   // empty: where the value would be
			"PID[1]-19":     term + "PID", // empty, the last field
			"PID[1]-3[2].5": "PI||DOE",    // the value
			"PID[2]-18":     term + "PV1", // absent: the end of the segment
			"PID[2]-19":     term + "PV1",
		}
		n := 0
		for _, is := range res.Issues {
			if is.Rule != RuleCustom {
				continue
			}
			n++
			w, ok := want[is.Path.String()]
			if !ok || is.Offset < 0 || !strings.HasPrefix(text[is.Offset:], w) {
				t.Errorf("%q: %s at %d (%q), want %q", term, is.Path, is.Offset, text[max(is.Offset, 0):], w)
			}
		}
		if n != len(want) {
			t.Errorf("%q: %d custom issues, want %d: %v", term, n, len(want), issueLines(res))
		}
	}
}

// TestBadRules checks that every problem of a rules file is reported at its line and column.
func TestBadRules(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "r.yaml:1: no rules: the file is empty (write `rules:` and a list of rules)"},
		{"syntax", "rules:\n  - path: [PID-3\n", "r.yaml:2:11: YAML syntax: sequence end token ']' not found"},
		{"not a mapping", "- path: PID-3\n", "r.yaml:1:1: a rules file is a mapping with the key `rules`, holding a list of rules"},
		{"unknown top key", "rule:\n  - path: PID-3\n", "r.yaml:1:1: unknown key \"rule\" at the top of a rules file: the only key is `rules`\nr.yaml:1:1: no `rules:` key"},
		{"rules not a list", "rules: PID-3\n", "r.yaml:1:8: `rules` is a list: write each rule on a line starting with `- `\nr.yaml:1: no rules in the file"},
		{"no rules", "rules: []\n", "r.yaml:1: no rules in the file"},
		{"rule not a mapping", "rules:\n  - PID-3\n", "r.yaml:2:5: a rule is a mapping with a path and checks, such as `path: PID-3` and `required: true`"},
		{"errors all at once", `rules:
  - path: PID-
    required: yes
  - path: PV1-2
    in: I
    sevrity: error
  - path: OBX-5
    matches: '([a-z'
    when: OBX-2 = NM
    severity: fatal
    code: 999
  - path: PID-3
    max_length: 0
    messages: [ADT^A01, "A D T"]
  - required: true
  - path: PID
    in: [A]
  - path: PID-8
    required: true
    forbidden: true
  - path: PID-8
    message: nothing to check
`, strings.Join([]string{
			`r.yaml:2:15: hl7: invalid path "PID-" at position 5: expected the field number (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`,
			`r.yaml:3:15: required is true or false`,
			`r.yaml:5:9: in is a list of allowed values, such as [I, O, E]`,
			`r.yaml:6:5: unknown key "sevrity" (did you mean "severity"?)`,
			"r.yaml:8:14: matches: error parsing regexp: missing closing ]: `[a-z`",
			"r.yaml:9:17: when: expected ==, !=, in [...], is valued or is not valued after the path",
			`r.yaml:10:15: severity "fatal": use error, warning or info`,
			`r.yaml:11:11: code is an HL7 table 0357 error code: 100, 101, 102, 103, 104, 200 to 207`,
			`r.yaml:13:17: max_length is a whole number of characters, at least 1`,
			`r.yaml:14:25: messages are message types such as ADT, ADT^A01 or ORU^*`,
			`r.yaml:15:5: the rule has no path: add ` + "`path: PID-3`" + ` (the value the rule checks)`,
			`r.yaml:16:11: path PID names a whole segment: in, matches, lengths and table check a field (write PID-1...)`,
			`r.yaml:18:5: a rule cannot be both required and forbidden`,
			`r.yaml:21:5: the rule checks nothing: add required, forbidden, in, matches, max_length, min_length or table`,
		}, "\n")},
		{"duplicate key", "rules:\n  - path: PID-3\n    required: true\n    path: PID-4\n", "r.yaml:4:5: key \"path\" appears twice in this rule"},
		{"two documents", "rules:\n  - path: PID-3\n    required: true\n---\nrules: []\n", "r.yaml:5:1: a rules file is one YAML document; remove this `---` and what follows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRules("r.yaml", []byte(tt.yaml))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error:\n%v\nwant:\n%s", err, tt.want)
			}
		})
	}
	// A table the rule names must exist when it is not an HL7 table.
	rs, err := ParseRules("r.yaml", []byte("rules:\n  - path: PID-8\n    table: SEXES\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(Options{Rules: []*Rules{rs}}); err == nil || err.Error() != "r.yaml:2: table SEXES is not an HL7 table and no user table has that id: load it (Options.Tables, --tables)" {
		t.Errorf("missing table: %v", err)
	}
	if rs.Len() != 1 {
		t.Errorf("Len = %d", rs.Len())
	}
}

func TestConditions(t *testing.T) {
	m := mustParse(t, msg(oru251, `PID|1||1^^^H^MR||DOE|||F`, obr, `OBX|1|NM|G||5`, `OBX|2|ST|G||x`))
	v := mustValidator(t, Options{})
	r := &run{v: v, m: m}
	obx2 := m.Segment(4)
	tests := []struct {
		cond string
		want bool
		err  string
	}{
		{`OBX-2 == "ST"`, true, ""},
		{`OBX-2 == NM`, false, ""},
		{`OBX-2 != 'NM'`, true, ""},
		{`OBX[1]-2 == NM`, true, ""},
		{`PID-8 in [M, F]`, true, ""},
		{`PID-8 in [M]`, false, ""},
		{`PID-7 is not valued`, true, ""},
		{`PID-3.5 is valued and OBX-5 == x`, true, ""},
		{`PV1 is valued`, false, ""},
		{`PID is present`, true, ""},
		{`OBX-2 ==`, false, "expected a value"},
		{`OBX-2 == "NM`, false, "unterminated quoted value"},
		{`PID-8 in M`, false, "expected [ after in"},
		{`PID-8 in []`, false, "an empty list matches nothing"},
		{`PID-8 in [M F]`, false, "expected , or ] in the list"},
		{`PID-8 is maybe`, false, "expected `is valued` or `is not valued`"},
		{`PID-8 == F or PID-8 == M`, false, "expected `and` or the end of the condition, found \"or\""},
		{`== F`, false, "expected a path such as OBX-2"},
	}
	for _, tt := range tests {
		c, err := parseCondition(tt.cond)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("%q: error %v, want %q", tt.cond, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tt.cond, err)
			continue
		}
		if got := r.evalCondition(c, obx2, "OBX"); got != tt.want {
			t.Errorf("%q = %v", tt.cond, got)
		}
	}
}
