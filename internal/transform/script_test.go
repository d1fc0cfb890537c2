package transform

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// memState is a State in memory, standing in for the store's per-channel state in tests.
type memState struct {
	mu sync.Mutex
	m  map[string][]byte
}

func (s *memState) Get(_ context.Context, k string) ([]byte, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[k]
	return v, ok, nil
}

func (s *memState) Set(_ context.Context, k string, v []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string][]byte{}
	}
	s.m[k] = v
	return nil
}

func runScript(t *testing.T, deps Deps, src string, o ScriptOptions) (Outcome, error) {
	t.Helper()
	o.Source = src
	if o.Timeout == 0 {
		o.Timeout = 10 * time.Second // a loaded test machine must not turn into a timeout
	}
	s, err := Script(o)
	if err != nil {
		return Outcome{}, err
	}
	p, err := NewPipeline(deps, "", s)
	if err != nil {
		return Outcome{}, err
	}
	return p.Run(context.Background(), parse(t, er7(base...)))
}

func TestScripts(t *testing.T) {
	tests := []struct {
		name, src string
		check     map[string]string // path → value after the run
		err       string
	}{
		{name: "get and set", src: `msg.set("PID-5.1", msg.get("PID-5.1").toUpperCase());`, check: map[string]string{"PID-5.1": "DOE"}},
		{name: "set escapes", src: `msg.set("PID-5.2", "A^B");`, check: map[string]string{"PID-5.2": "A^B"}},
		{name: "setRaw", src: `msg.setRaw("PID-5", "SMITH^JANE");`, check: map[string]string{"PID-5.2": "JANE"}},
		{name: "segments", src: `for (const o of msg.segments("OBX")) { o.set("4", o.name + o.index + ":" + o.get("3")); }`,
			check: map[string]string{"OBX[1]-4": "OBX1:GLU", "OBX[2]-4": "OBX2:NA"}},
		{name: "tables", src: `for (const o of msg.segments("OBX")) { o.set("3", tables.lookup("loinc.csv", o.get("3"), "?")); }`,
			check: map[string]string{"OBX[1]-3": "2345-7", "OBX[2]-3": "2951-2"}},
		{name: "count values exists", src: `msg.set("ZPI-3", msg.count("OBX") + "/" + msg.values("OBX-3").join(",") + "/" + msg.exists("ZPI-9"));`,
			check: map[string]string{"ZPI-3": "2/GLU,NA/false"}},
		{name: "delete and remove", src: `msg.delete("PID-8"); msg.removeSegment("ZPI");`, check: map[string]string{"PID-8": "", "ZPI": ""}},
		{name: "segment objects after an insert", src: `var o = msg.segments("OBX"); msg.addSegment("NTE|1", "PID"); msg.set("ZPI-3", o[1].get("3") + o[1]);`,
			check: map[string]string{"ZPI-3": "NAOBX|2|NM|NA||140"}},
		{name: "add segment", src: `msg.addSegment("NTE|1||hello", "PID");`, check: map[string]string{"NTE-3": "hello", "PV1-2": "I"}},
		{name: "raw is the original", src: `msg.set("PID-5.1", "X"); msg.set("ZPI-3", msg.raw().indexOf("doe^john") > 0);`, check: map[string]string{"ZPI-3": "true"}},
		{name: "state", src: `var n = channel.state.get("n") || 0; channel.state.set("n", n + 1); msg.set("ZPI-3", String(channel.state.get("n")) + channel.name);`,
			check: map[string]string{"ZPI-3": "1test"}},
		{name: "return ends", src: "msg.set(\"ZPI-3\", \"a\");\nreturn;\nmsg.set(\"ZPI-3\", \"b\");", check: map[string]string{"ZPI-3": "a"}},
		{name: "syntax error", src: "var a = 1;\nvar b = ;", err: "script script: line 2 column 9: Unexpected token ;"},
		{name: "run-time error", src: "var a = {};\na.b.c;", err: "step 1 (script): script script: line 2 column 5: TypeError: Cannot read property 'c' of undefined"},
		{name: "bad path", src: `msg.get("PID-x");`, err: `step 1 (script): script script: line 1 column 8: GoError: hl7: invalid path "PID-x" at position 5: expected the field number (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
		{name: "endless recursion", src: "function f(n) {\n  return f(n + 1) + 1;\n}\nf(0);",
			err: "step 1 (script): script script: line 2 column 11: RangeError: calls nested deeper than 512 (a function that calls itself without end?)"},
		{name: "join", src: `msg.set("ZPI-3", [1, "a", , null].join("-") + [2, 3]);`, check: map[string]string{"ZPI-3": "1-a--2,3"}},
		{name: "no globals leak", src: `leaked = 1;`, err: "step 1 (script): script script: line 1 column 1: ReferenceError: leaked is not defined"},
		{name: "no require", src: `require("fs");`, err: "step 1 (script): script script: line 1 column 8: ReferenceError: require is not defined"},
		{name: "route unknown", src: `msg.route(["nowhere"]);`, err: `step 1 (script): script script: line 1 column 10: GoError: route: no destination "nowhere" in this channel`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			deps := testDeps(t)
			deps.State = &memState{}
			out, err := runScript(t, deps, tc.src, ScriptOptions{})
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
					t.Errorf("%s = %q, want %q", p, got, want)
				}
			}
		})
	}
}

func TestScriptFilterAndRoute(t *testing.T) {
	out, err := runScript(t, testDeps(t), `if (msg.get("PV1-2") == "I") msg.filter("inpatients go elsewhere");`, ScriptOptions{})
	if err != nil || !out.Filtered || out.Reason != "script: inpatients go elsewhere" {
		t.Errorf("filter: %+v, %v", out, err)
	}
	out, err = runScript(t, testDeps(t), `msg.route(["ehr", "archive"]);`, ScriptOptions{})
	if err != nil || strings.Join(out.Outputs[0].Destinations, ",") != "ehr,archive" {
		t.Errorf("route: %+v, %v", out, err)
	}
}

func TestScriptLimits(t *testing.T) {
	start := time.Now()
	_, err := runScript(t, testDeps(t), "while (true) {}", ScriptOptions{Timeout: 20 * time.Millisecond})
	if !errors.Is(err, ErrScriptTimeout) {
		t.Fatalf("timeout: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the interrupt took %v", d)
	}
	if want := "step 1 (script): script script: the script ran longer than its time limit (20ms)"; err.Error() != want {
		t.Errorf("got %q\nwant %q", err.Error(), want)
	}
	for _, src := range []string{`"x".repeat(1e9)`, `"".padStart(1e9)`, `new Array(1e8).fill(0)`,
		`new Array(1e8).join("xxxxxxxxxx")`, `String(new Array(1e8))`,
		`var a = [], s = "y".repeat(1000); for (var i = 0; i < 100; i++) a.push(s); a.join("");`,
		`var s = msg.raw(); for (;;) { msg.set("ZPI-3", s); }`,
		`"x".repeat(1000).replaceAll("", "y".repeat(100))`,
		`"x".repeat(1000).replace(/x/g, "$\u0060")`,
		`var a = []; for (var i = 0; i < 100; i++) a.push("y".repeat(30)); JSON.stringify(a);`} {
		// A long time limit: the memory guard must stop these, even under the race detector.
		_, err := runScript(t, testDeps(t), src, ScriptOptions{MaxMemory: 4096, Timeout: 20 * time.Second})
		if !errors.Is(err, ErrScriptMemory) {
			t.Errorf("%s: %v, want the memory limit", src, err)
		}
	}
	// A machine that was interrupted is reused cleanly.
	s := must(Script(ScriptOptions{Source: `if (msg.get("ZPI-1") == "7") { while (true) {} } msg.set("ZPI-3", "ok");`, Timeout: 500 * time.Millisecond}))
	p := must(NewPipeline(testDeps(t), "", s))
	if _, err := p.Run(context.Background(), parse(t, er7(base...))); !errors.Is(err, ErrScriptTimeout) {
		t.Fatalf("first run: %v", err)
	}
	out, err := p.Run(context.Background(), parse(t, strings.Replace(er7(base...), "ZPI|7", "ZPI|8", 1)))
	if err != nil || out.Outputs[0].Message.Get("ZPI-3") != "ok" {
		t.Fatalf("second run: %v", err)
	}
}

// TestScriptGuardedBuiltins: the built-ins wrapped by the memory guard give what they give
// unwrapped.
func TestScriptGuardedBuiltins(t *testing.T) {
	src := `var out = [
		"a-b-c".replaceAll("-", "+"),
		"a-b-c".replace("-", "+"),
		"20261127".replace(/(\d{4})(\d{2})(\d{2})/, "$3.$2.$1"),
		"x1y22z".replace(/\d+/g, "[$&]"),
		"abc".replace(/b/, "$\u0060$'"),
		"aaa".replaceAll(/a/g, function(m) { return m.toUpperCase(); }),
		"ab".replaceAll("", "-"),
		JSON.stringify({a: [1, "x", null, true], b: {c: "d"}}),
		JSON.stringify([1, 2], null, 2),
		["p", "q", 3].join("/"),
	];
	msg.set("ZPI-3", out.join("|"));`
	out, err := runScript(t, testDeps(t), src, ScriptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := `a+b+c|a+b-c|27.11.2026|x[1]y[22]z|aacc|AAA|-a-b-|{"a":[1,"x",null,true],"b":{"c":"d"}}|` + "[\n  1,\n  2\n]|p/q/3"
	got := out.Outputs[0].Message.Get("ZPI-3")
	if got != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestScriptConcurrent(t *testing.T) {
	s := must(Script(ScriptOptions{Source: `var id = msg.get("MSH-10"); for (const o of msg.segments("OBX")) o.set("4", id);`, Timeout: 10 * time.Second}))
	p := must(NewPipeline(testDeps(t), "", s))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				id := strings.Repeat("x", g+1) + string(rune('a'+i%26))
				out, err := p.Run(context.Background(), parse(t, strings.Replace(er7(base...), "|1|P|", "|"+id+"|P|", 1)))
				if err != nil {
					errs <- err
					return
				}
				if got := out.Outputs[0].Message.Get("OBX[2]-4"); got != id {
					errs <- errors.New("cross-talk: " + got + " != " + id)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestScriptLogs(t *testing.T) {
	var b strings.Builder
	deps := testDeps(t)
	// As the server gives it: a logger that names the channel once.
	deps.Logger = slog.New(slog.NewTextHandler(&b, &slog.HandlerOptions{ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}})).With("channel", deps.Channel)
	if _, err := runScript(t, deps, `log.warn("odd sender", "count", msg.count("OBX"));`, ScriptOptions{Name: "fix.js"}); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "level=WARN msg=\"odd sender\" channel=test script=fix.js count=2\n"; got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
