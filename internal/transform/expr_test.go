package transform

import (
	"strings"
	"testing"
)

func evalExpr(t *testing.T, src string) (any, error) {
	t.Helper()
	c := newCompiler(&Deps{TableDir: "testdata", Clock: fixedClock})
	p, err := c.compile(src, exprAny)
	if err != nil {
		return nil, err
	}
	m := parse(t, er7(base...))
	return p.eval(&exprEnv{msg: m, seg: 3, value: "cur"})
}

func TestExpressions(t *testing.T) {
	tests := []struct {
		src  string
		want any
		err  string
	}{
		{src: `MSH["9.1"]`, want: "ADT"},
		{src: `MSH["9.1"] == "ADT" && PV1["2"] in ["I", "E"]`, want: true},
		{src: `PID["3[2].1"]`, want: "456"},
		{src: `PID["5"]`, want: "doe^john"},
		{src: `OBX[2]["3"]`, want: "NA"},
		{src: `OBX[1 + 1]["5"]`, want: "140"},
		{src: `map(1..count("OBX"), OBX[#]["3"])`, want: []any{"GLU", "NA"}},
		{src: `ZPI`, want: "ZPI|7|VIP"},
		{src: `OBX[2]`, want: "OBX|2|NM|NA||140"},
		{src: `seg["3"]`, want: "GLU"},
		{src: `seg`, want: "OBX|1|NM|GLU||5.5"},
		{src: `value`, want: "cur"},
		{src: `get("PID-5.2")`, want: "john"},
		{src: `get("PID-" + "8")`, want: "M"},
		{src: `exists("ZPI-2")`, want: true},
		{src: `exists("ZPI-3")`, want: false},
		{src: `exists("NTE")`, want: false},
		{src: `values("OBX-3")`, want: []any{"GLU", "NA"}},
		{src: `"NA" in values("OBX[*]-3")`, want: true},
		{src: `values("PID-3[*].1")`, want: []any{"123", "456"}},
		{src: `count("OBX")`, want: 2},
		{src: `count("PID-3")`, want: 2},
		{src: `upper(PID["5.1"]) + " " + lower("X") + trim("  y ")`, want: "DOE xy"},
		{src: `now()`, want: "20261127093015+0000"},
		{src: `now("YYYY-MM-DD")`, want: "2026-11-27"},
		{src: `date(PID["7"], "MM/DD/YYYY")`, want: "01/01/1980"},
		{src: `date("12/31/2026", "MM/DD/YYYY", "HL7")`, want: "20261231"},
		{src: `date("", "YYYY")`, want: ""},
		{src: `lookup("loinc.csv", OBX["3"])`, want: "2345-7"},
		{src: `lookup("loinc.csv", "XX", "none")`, want: "none"},
		{src: `lookup("loinc.csv", "XX")`, want: ""},
		{src: `PID["8"] matches "^[MF]$"`, want: true},
		{src: `num(OBX["5"]) > 5`, want: true},
		{src: `num("x", 0)`, want: 0.0},
		{src: `digits("(217) 555-0101")`, want: "2175550101"},
		{src: `pad("42", 5)`, want: "00042"},
		{src: `pad("42", 5, " ")`, want: "   42"},
		{src: `len(PID["5.1"])`, want: 3},
		{src: `PID["5..1"]`, err: `expression "PID[\"5..1\"]": line 1 column 5: PID["5..1"]: write fields like "5", "5.1" or "3[2].1"`},
		{src: `PID[5]`, want: ""},
		{src: `OBX[2][5]`, err: `expression "OBX[2][5]": line 1 column 8: a field is written as a string: OBX["5"], not OBX[5]`},
		{src: `OBX[0]["5"]`, err: `expression "OBX[0][\"5\"]": line 1 column 5: segment occurrences start at 1`},
		{src: `get("PID-")`, err: `expression "get(\"PID-\")": line 1 column 5: hl7: invalid path "PID-" at position 5: expected the field number (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
		{src: `get("OBX[*]-5")`, err: `expression "get(\"OBX[*]-5\")": line 1 column 5: get("OBX[*]-5"): [*] names several values; use values("OBX[*]-5")`},
		{src: `lookup("nope", "x")`, err: `expression "lookup(\"nope\", \"x\")": line 1 column 8: no such table "nope" (define it under tables:, or name a .csv file in testdata)`},
		{src: `date(PID["7"], "YYYY-QQ")`, err: `expression "date(PID[\"7\"], \"YYYY-QQ\")": line 1 column 16: date pattern "YYYY-QQ": unknown letter 'Q' at position 6 (use YYYY MM DD HH mm ss SSS, or put text in [brackets])`},
		{src: `get("PID-" + "x")`, err: `expression "get(\"PID-\" + \"x\")": line 1 column 1: hl7: invalid path "PID-x" at position 5: expected the field number (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
		{src: `OBX[0 - 1]["5"]`, err: `expression "OBX[0 - 1][\"5\"]": line 1 column 11: segment occurrence -1: occurrences are whole numbers from 1`},
		{src: `unknownFn(1)`, err: `expression "unknownFn(1)": line 1 column 1: unknown name unknownFn`},
		{src: `  `, err: `expression "  ": empty expression`},
	}
	for _, tc := range tests {
		got, err := evalExpr(t, tc.src)
		if tc.err != "" {
			if err == nil {
				t.Errorf("%s: got %v, want error %q", tc.src, got, tc.err)
				continue
			}
			// expr appends a snippet of the source after the message; the first line is ours.
			first, _, _ := strings.Cut(err.Error(), " (1:")
			if first != tc.err {
				t.Errorf("%s:\n got %q\nwant %q", tc.src, first, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if !equalAny(got, tc.want) {
			t.Errorf("%s = %#v, want %#v", tc.src, got, tc.want)
		}
	}
}

func equalAny(a, b any) bool {
	as, ok1 := a.([]any)
	bs, ok2 := b.([]any)
	if ok1 || ok2 {
		if !ok1 || !ok2 || len(as) != len(bs) {
			return false
		}
		for i := range as {
			if !equalAny(as[i], bs[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}

// FuzzExpr: any text compiles or fails with an *ExprError, and a compiled expression never
// panics when it runs, whatever the message.
func FuzzExpr(f *testing.F) {
	for _, s := range []string{`MSH["9.1"] == "ADT"`, `OBX[2]["5"]`, `values("OBX[*]-3")`, `seg["3"] + value`,
		`map(1..count("OBX"), OBX[#]["3"])`, `date(PID["7"], "YYYY-MM-DD")`, `lookup("loinc.csv", "GLU", "x")`,
		`get("PID-" + "3")`, `num(OBX["5"], 0) > 1`, `pad(PID["3.1"], 12)`, `OBX[num("x", 1)]["5"]`, `PID[[1]]`, `ZZZ["999999"]`} {
		f.Add(s, er7(base...))
	}
	c := newCompiler(&Deps{TableDir: "testdata", Clock: fixedClock})
	f.Fuzz(func(t *testing.T, src, msg string) {
		p, err := c.compile(src, exprAny)
		if err != nil {
			if _, ok := err.(*ExprError); !ok {
				t.Fatalf("compile error %T: %v", err, err)
			}
			return
		}
		m, err := parseForFuzz(msg)
		if err != nil {
			m = parse(t, er7(base...))
		}
		_, _ = p.eval(&exprEnv{msg: m, seg: 1, value: "v"})
		_, _ = p.eval(&exprEnv{seg: -1})
	})
}
