package transform

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dop251/goja"
)

// gojaParseFloat returns goja's own parseFloat, from a runtime whose built-ins are untouched.
func gojaParseFloat(t testing.TB) func(string) goja.Value {
	t.Helper()
	rt := goja.New()
	fn, ok := goja.AssertFunction(rt.Get("parseFloat"))
	if !ok {
		t.Fatal("no parseFloat")
	}
	return func(s string) goja.Value {
		v, err := fn(goja.Undefined(), rt.ToValue(s))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// sameNumber is Object.is for numbers: NaN is itself, and -0 is not 0.
func sameNumber(a, b float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return a == b && math.Signbit(a) == math.Signbit(b)
}

var parseFloatSeeds = []string{
	"", " ", "1.5", "3.0", "  42  ", "-0", "+0", "0", "-", "+", ".", "+.", "-.5", "5.", ".5e3",
	"1e", "1e+", "1e-", "1e5", "1E-5", "1e+5x", "12abc", "abc", "Infinity", "+Infinity",
	"-Infinity", "Infinityx", "Inf", "infinity", "NaN", "0x10", "1_000", "1e400", "-1e400",
	"1e-400", "\t\n\v\f\r 7", "\u00a0 8", "\ufeff9", "\u3000-1.25e2 ", "１２", "1.2.3",
	"00012", "9007199254740993", "4.9e-324", "1.7976931348623157e308", "-.e5", "+-1", "e5",
}

// TestParseFloatMatchesGoja checks the native parseFloat against goja's on tricky input, and
// that scripts get it as parseFloat and Number.parseFloat.
func TestParseFloatMatchesGoja(t *testing.T) {
	want := gojaParseFloat(t)
	for _, s := range parseFloatSeeds {
		if got, w := parseFloat(s), want(s).ToFloat(); !sameNumber(got, w) {
			t.Errorf("parseFloat(%q) = %v, goja gives %v", s, got, w)
		}
	}
	out, err := runScript(t, testDeps(t), `msg.set("ZPI-3", [parseFloat(" 1.5e1x"), parseFloat === Number.parseFloat, parseFloat.name, parseFloat.length, Object.keys(this || {}).length, 1 / parseFloat("-0"), parseFloat({toString() { return "2.5"; }})].join(","));`, ScriptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out.Outputs[0].Message.Get("ZPI-3"), "15,true,parseFloat,1,0,-Infinity,2.5"; got != want {
		t.Errorf("ZPI-3 = %q, want %q", got, want)
	}
	_, err = runScript(t, testDeps(t), `parseFloat(Symbol("x"));`, ScriptOptions{})
	if err == nil || err.Error() != "step 1 (script): script script: line 1 column 11: TypeError: Cannot convert a Symbol value to a string" {
		t.Errorf("parseFloat of a symbol: %v", err)
	}
}

// TestParseFloatArguments checks parseFloat in scripts on each kind of argument: strings
// (ASCII and not, which the native function reads directly) and the values it converts first.
func TestParseFloatArguments(t *testing.T) {
	tests := []struct{ arg, want string }{
		{`"7.25kg"`, "7.25"},
		{`"\u2003\u00a0-3e2"`, "-300"},
		{`"\u00e9"`, "NaN"},
		{`""`, "NaN"},
		{`12.5`, "12.5"},
		{`undefined`, "NaN"},
		{`null`, "NaN"},
		{`true`, "NaN"},
		{`new String(" 4 ")`, "4"},
		{`["8", "9"]`, "8"},
		{`"Infinityx"`, "Infinity"},
	}
	for _, tc := range tests {
		out, err := runScript(t, testDeps(t), `msg.set("ZPI-3", String(parseFloat(`+tc.arg+`)));`, ScriptOptions{})
		if err != nil {
			t.Fatalf("parseFloat(%s): %v", tc.arg, err)
		}
		if got := out.Outputs[0].Message.Get("ZPI-3"); got != tc.want {
			t.Errorf("parseFloat(%s) = %q, want %q", tc.arg, got, tc.want)
		}
	}
}

func FuzzParseFloat(f *testing.F) {
	for _, s := range parseFloatSeeds {
		f.Add(s)
	}
	want := gojaParseFloat(f)
	f.Fuzz(func(t *testing.T, s string) {
		if got, w := parseFloat(s), want(s).ToFloat(); !sameNumber(got, w) {
			t.Errorf("parseFloat(%q) = %v, goja gives %v", s, got, w)
		}
	})
}

// TestScriptTimerReused checks the time limit of a machine whose timer is reset run after
// run: quick runs are not interrupted by the timer of an earlier one, and a later run that
// goes over its limit still is.
func TestScriptTimerReused(t *testing.T) {
	s := must(Script(ScriptOptions{Source: `if (msg.get("ZPI-1") == "7") { while (true) {} } msg.set("ZPI-3", "ok");`, Timeout: 200 * time.Millisecond}))
	p := must(NewPipeline(testDeps(t), "", s))
	quick := strings.Replace(er7(base...), "ZPI|7", "ZPI|8", 1)
	for round := range 3 {
		for i := range 20 {
			out, err := p.Run(context.Background(), parse(t, quick))
			if err != nil || out.Outputs[0].Message.Get("ZPI-3") != "ok" {
				t.Fatalf("round %d, quick run %d: %v", round, i, err)
			}
		}
		start := time.Now()
		if _, err := p.Run(context.Background(), parse(t, er7(base...))); !errors.Is(err, ErrScriptTimeout) {
			t.Fatalf("round %d: the endless run gave %v", round, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("round %d: the interrupt took %v", round, d)
		}
	}
}

// TestScriptSegmentPositions checks that segment objects read and write their own segment
// when segments are added before them, including by writing through a segment object whose
// segment was removed (which creates it again, at the end of its kind).
func TestScriptSegmentPositions(t *testing.T) {
	tests := []struct {
		name, src string
		check     map[string]string
		err       string
	}{
		{name: "insert before", src: `var o = msg.segments("OBX"); msg.addSegment("NTE|1", "PID"); o[1].set("4", "b"); o[0].set("4", o[1].get("3"));`,
			check: map[string]string{"OBX[1]-4": "NA", "OBX[2]-4": "b", "NTE-1": "1"}},
		{name: "removed then written", src: `var z = msg.segments("ZPI")[0]; var o = msg.segments("OBX"); msg.removeSegment("ZPI"); z.set("2", "new"); o[1].set("4", z.get("2"));`,
			check: map[string]string{"ZPI-2": "new", "OBX[2]-4": "new"}},
		{name: "created segment moves others", src: `var o = msg.segments("OBX"); msg.removeSegment("OBX"); o[1].set("4", "x"); o[0].set("4", "y");`,
			check: map[string]string{"OBX[1]-4": "y", "OBX[1]-3": "NA", "OBX[2]-4": "x", "OBX[2]-3": ""}},
		{name: "delete through a segment", src: `msg.segments("PID")[0].delete("7"); msg.segments("OBX")[1].delete("5");`,
			check: map[string]string{"PID-7": "", "PID-8": "M", "OBX[2]-5": "", "OBX[2]-3": "NA"}},
		{name: "not a segment", src: `var o = msg.segments("OBX")[0]; o.get.call({}, "3");`,
			err: "step 1 (script): script script: line 1 column 43: GoError: not a segment of this message"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := runScript(t, testDeps(t), tc.src, ScriptOptions{})
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v\nwant %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m := out.Outputs[0].Message
			for p, want := range tc.check {
				if got := m.Get(p); got != want {
					t.Errorf("%s = %q, want %q\n%s", p, got, want, show(string(m.Bytes())))
				}
			}
		})
	}
}

// TestScriptLookupSeveralTables checks tables.lookup when a run switches between tables: it
// keeps the table it last read, and must not answer from it for another one.
func TestScriptLookupSeveralTables(t *testing.T) {
	src := `var a = tables.lookup("loinc.csv", "GLU"), b = tables.lookup("bench_codes.csv", "LOC1");
msg.set("ZPI-3", [a, b, tables.lookup("loinc.csv", "LOC1", "none"), tables.lookup("bench_codes.csv", "GLU", "none"), tables.lookup("loinc.csv", "NA")].join(","));
if (msg.get("ZPI-1") === "7") tables.lookup("nosuch", "x");`
	s := must(Script(ScriptOptions{Source: src, Timeout: 10 * time.Second}))
	p := must(NewPipeline(testDeps(t), "", s))
	// Twice, so that the second run gets the pooled machine of the first.
	for round := range 2 {
		out, err := p.Run(context.Background(), parse(t, strings.Replace(testMsg, "ZPI|7|", "ZPI|8|", 1)))
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if got, want := out.Outputs[0].Message.Get("ZPI-3"), "2345-7,L1001,none,none,2951-2"; got != want {
			t.Errorf("round %d: ZPI-3 = %q, want %q", round, got, want)
		}
	}
	_, err := p.Run(context.Background(), parse(t, testMsg))
	if err == nil || err.Error() != `step 1 (script): script script: line 3 column 44: GoError: no such table "nosuch" (define it under tables:, or name a .csv file in testdata)` {
		t.Errorf("unknown table: %v", err)
	}
}
