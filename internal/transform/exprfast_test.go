package transform

import (
	"testing"
)

// TestFastExprMatchesVM checks that the expressions compiled to Go closures give what expr's
// machine gives, on messages that have and lack the values they read, and that the shapes the
// closures know are the ones that take the fast path.
func TestFastExprMatchesVM(t *testing.T) {
	tests := []struct {
		src  string
		kind exprKind
		fast bool
	}{
		{`MSH["9.1"] == "ORU"`, exprBool, true},
		{`MSH["9.1"] != "ORU"`, exprBool, true},
		{`MSH["9.1"] == "ORU" && PV1["2"] in ["O", "I"]`, exprBool, true},
		{`MSH["9.1"] == "ADT" || PV1["2"] in ["O", "I", "E", "P", "R", "B", "C", "N", "U"]`, exprBool, true},
		{`not (PV1["2"] in ["O"])`, exprBool, true},
		{`PV1["2"] not in ["O"]`, exprBool, true},
		{`!exists("PID-11") or false`, exprBool, true},
		{`exists("ZPI-1") and true`, exprBool, true},
		{`PID["5.1"] == PID["5.2"]`, exprBool, true},
		{`upper(PID["5.1"]) == "DOE"`, exprBool, true},
		{`trim(lower(PID["5.2"])) == "john"`, exprBool, true},
		{`PID["3[2].1"] == "67890"`, exprBool, true},
		{`OBX[2]["5"] == "x"`, exprBool, true},
		{`PV1["2"] in []`, exprBool, true},
		{`PV1["2"] in ["O", 1]`, exprBool, false},
		{`count("OBX") > 1`, exprBool, false},
		{`PID["5.1"] matches "^d"`, exprBool, false},
		{`num(PID["7"], 0) > 1`, exprBool, true},
		{`num(PID["1"], 0) > 0`, exprBool, true},
		{`num(PV1["3.2"], -1) >= 101.5 || num("x", 2.5) == 2.5`, exprBool, true},
		{`num(PID["7"], 0) != 19800101 and num(PID["7"], 0) <= 1e10`, exprBool, true},
		{`num(PID["5.1"], 0) < 1`, exprBool, true},
		{`num(PV1["3.2"], -1) >= 101`, exprBool, true},
		{`num(PV1["3.2"], -1) <= 101`, exprBool, true},
		{`num(PV1["3.2"], -1) < 101`, exprBool, true},
		{`num(PV1["3.2"], -1) > 101`, exprBool, true},
		{`num(PV1["3.2"], -1) != 101`, exprBool, true},
		{`num(" 12 ", 0) == 12`, exprBool, true},
		{`num("inf", 3) == 3 && num("1e400", 4) == 4 && num("0x10", 0) == 16`, exprBool, true},
		{`num(PID["7"]) > 1`, exprBool, false},
		{`num(PID["7"], count("OBX")) > 1`, exprBool, false},
		{`1 < 9007199254740993`, exprBool, false},
		{`PV1["2"] == "I" ? exists("PV1-3") : false`, exprBool, true},
		{`num(seg["1"], 0) > 1 ? "H" : seg["2"]`, exprAny, true},
		{`PV1["2"] == "I" ? upper(value) : "out"`, exprAny, true},
		{`num(seg["1"], 0) > 1 ? 1 : seg["2"]`, exprAny, false},
		{`upper(PID["5.1"])`, exprAny, true},
		{`PID["5"]`, exprAny, true},
		{`"literal"`, exprAny, true},
		{`lower(trim(ZPI["2"]))`, exprAny, true},
		{`PID["5.1"] + "x"`, exprAny, false},
		{`PID["5.1"] == "x"`, exprAny, false},
		{`get("PID-5.1")`, exprAny, true},
		{`PID`, exprAny, true},
		{`get(PID["5.1"])`, exprAny, false},
		{`trim(PID["5.1"], "D")`, exprAny, false},
		{`value`, exprAny, true},
		{`seg["2"]`, exprAny, true},
		{`upper(seg["2"]) == value`, exprBool, true},
	}
	c := newCompiler(&Deps{TableDir: "testdata"})
	for _, tt := range tests {
		prog, err := c.compile(tt.src, tt.kind)
		if err != nil {
			t.Fatalf("%s: %v", tt.src, err)
		}
		if got := prog.fastBool != nil || prog.fastText != nil; got != tt.fast {
			t.Errorf("%s: fast path %v, want %v", tt.src, got, tt.fast)
		}
		compareFastExpr(t, prog, tt.kind)
	}
}

// fastExprMessages are what compareFastExpr runs expressions on.
var fastExprMessages = []string{
	testMsg,
	er7("MSH|^~\\&|LAB|HOSP|EHR|HOSP|20261127090000||ORU^R01|C2|P|2.5.1", "PID|1||1^^^H~67890||  DOE ^ JOHN ", "PV1|1|O", "OBX|1|NM||| 7 ", "OBX|2||||x"),
	er7("MSH|^~\\&|LAB|HOSP|EHR|HOSP|20261127090000||ORU^R01|C3|P|2.5.1", "PID|1||||D\\S\\OE^john", "OBX|1|NM|||1e3"),
}

// compareFastExpr runs prog with its Go closure and on expr's machine, on every segment of
// some messages and without a message, and fails when they differ.
func compareFastExpr(t *testing.T, prog *program, kind exprKind) {
	t.Helper()
	slow := *prog
	slow.fastBool, slow.fastText = nil, nil
	for i, src := range fastExprMessages {
		m := parse(t, src)
		envs := []*exprEnv{{seg: -1, value: "v"}} // a run without a message reads nothing
		for seg := -1; seg < m.NumSegments(); seg++ {
			envs = append(envs, &exprEnv{msg: m, seg: seg, value: "v"})
		}
		for k, env := range envs {
			if kind == exprBool {
				got, err1 := prog.evalBool(env)
				want, err2 := slow.evalBool(env)
				if got != want || (err1 == nil) != (err2 == nil) {
					t.Errorf("%s on message %d, environment %d: %v, %v; the machine gives %v, %v", prog.src, i+1, k, got, err1, want, err2)
				}
				continue
			}
			got, err1 := prog.evalText(env)
			want, err2 := slow.evalText(env)
			if got != want || (err1 == nil) != (err2 == nil) {
				t.Errorf("%s on message %d, environment %d: %q, %v; the machine gives %q, %v", prog.src, i+1, k, got, err1, want, err2)
			}
		}
	}
}

// FuzzFastExpr checks expressions the fuzzer writes that take the fast path against expr's
// machine.
func FuzzFastExpr(f *testing.F) {
	for _, s := range []string{
		`MSH["9.1"] == "ORU" && PV1["2"] in ["O", "I"]`,
		`not exists("PID-11") or PID["5.1"] != "x"`,
		`num(seg["5"], 0) > 40 ? "H" : seg["8"]`,
		`upper(trim(PID["5.2"]))`,
		`num(OBX[2]["5"], -1.5) <= 3`,
	} {
		f.Add(s)
	}
	c := newCompiler(&Deps{TableDir: "testdata"})
	f.Fuzz(func(t *testing.T, src string) {
		for _, kind := range []exprKind{exprBool, exprAny} {
			prog, err := c.compile(src, kind)
			if err != nil || prog.fastBool == nil && prog.fastText == nil {
				continue
			}
			compareFastExpr(t, prog, kind)
		}
	})
}
