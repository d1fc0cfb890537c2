package transform

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/dop251/goja"

	"github.com/courier-hl7/courier/hl7"
)

// TestReleasedOutputs runs the benchmark pipelines the way the benchmarks do, releasing each
// output once it has been read: every message comes out byte for byte as the first one, which
// edited in fresh memory, and an output kept while later ones are released stays as it was.
func TestReleasedOutputs(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    *Pipeline
	}{
		{"declarative10", declarative10(t)},
		{"script30", script30Pipeline(t)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := benchMessage(t)
			ctx := context.Background()
			run := func() *hl7.Message {
				t.Helper()
				out, err := tc.p.Run(ctx, m.Clone())
				if err != nil {
					t.Fatal(err)
				}
				if len(out.Outputs) != 1 {
					t.Fatalf("%d outputs, want 1", len(out.Outputs))
				}
				return out.Outputs[0].Message
			}
			kept := run()
			want := string(kept.Bytes())
			if want == string(m.Bytes()) {
				t.Fatal("the steps changed nothing")
			}
			for i := range 50 {
				got := run()
				if s := string(got.Bytes()); s != want {
					t.Fatalf("message %d after releases:\n%s\nwant\n%s", i+2, show(s), show(want))
				}
				got.Release()
			}
			if s := string(kept.Bytes()); s != want {
				t.Fatalf("a message kept while others were released:\n%s\nwant\n%s", show(s), show(want))
			}
			if s := string(m.Bytes()); s != string(readFile(t, "testdata/oru_r01_30obx.hl7")) {
				t.Fatal("the parsed message changed")
			}
		})
	}
}

// TestScriptSegmentObjectsCarryNothing: segment objects are reused from message to message,
// frozen, so that a script can neither hang data on one nor reach the previous message through
// one it kept.
func TestScriptSegmentObjectsCarryNothing(t *testing.T) {
	// A script can keep a value on the global object (see the report on isolation); here it
	// keeps a segment object to find it again in the next message.
	const src = `
var g = (0, eval)("this");
var out = [];
if (g.prev) {
  try { g.prev.get("3"); out.push("stale read"); } catch (e) { out.push("stale refused"); }
}
var o = msg.segments("OBX")[0];
if (g.prev) { out.push(g.prev === o ? "same object" : "new object"); }
out.push(Object.getOwnPropertyNames(o).length + " own", String(o.x), String(o.secret), Object.isFrozen(o) ? "frozen" : "extensible");
try { o.x = "secret"; out.push("set x"); } catch (e) { out.push(e.name); }
try { Object.defineProperty(o, "secret", {value: 1}); out.push("defined"); } catch (e) { out.push(e.name); }
try { Object.setPrototypeOf(o, {x: "secret"}); out.push("set prototype"); } catch (e) { out.push(e.name); }
g.prev = o;
msg.set("ZPI-3", out.join(","));
`
	s, err := Script(ScriptOptions{Source: src, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPipeline(testDeps(t), "", s)
	if err != nil {
		t.Fatal(err)
	}
	const each = "0 own,undefined,undefined,frozen,TypeError,TypeError,TypeError"
	for i, want := range []string{each, "stale refused,same object," + each, "stale refused,same object," + each} {
		out, err := p.Run(context.Background(), parse(t, er7(base...)))
		if err != nil {
			t.Fatal(err)
		}
		if got := out.Outputs[0].Message.Get("ZPI-3"); got != want {
			t.Errorf("message %d: %q\nwant %q", i+1, got, want)
		}
	}
}

// TestScriptManySegments: a message with more segments than a machine keeps objects for is
// processed like any other, and so is the next one.
func TestScriptManySegments(t *testing.T) {
	lines := []string{"MSH|^~\\&|LAB|HOSP|EHR|HOSP|20261127090000||ORU^R01|CTRL1|P|2.5.1", "PID|1||12345"}
	for i := range maxSegObjects + 100 {
		lines = append(lines, fmt.Sprintf("OBX|%d|NM|C%d||%d", i+1, i+1, i))
	}
	text := er7(lines...)
	s, err := Script(ScriptOptions{Source: `var n = 0; for (const o of msg.segments("OBX")) { n += Number(o.get("5")); o.set("6", o.index); } msg.set("PID-2", n);`, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPipeline(testDeps(t), "", s)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		for _, text := range []string{text, er7(base...)} {
			out, err := p.Run(context.Background(), parse(t, text))
			if err != nil {
				t.Fatal(err)
			}
			m := out.Outputs[0].Message
			n := m.Count("OBX")
			if got, want := m.Get("PID-2"), fmt.Sprint(n*(n-1)/2); n > 2 && got != want {
				t.Errorf("PID-2 = %s, want %s", got, want)
			}
			if got, want := m.Get(fmt.Sprintf("OBX[%d]-6", n)), fmt.Sprint(n); got != want {
				t.Errorf("OBX[%d]-6 = %s, want %s", n, got, want)
			}
		}
	}
}

// TestNumberValue: numberValue gives the script the same number, of the same type, as
// Runtime.ToValue.
func TestNumberValue(t *testing.T) {
	rt := goja.New()
	for _, f := range []float64{0, math.Copysign(0, -1), 1, 3, 255, 256, -1, 1.5, 40.5, 1e300, 1 << 53, math.NaN(), math.Inf(1), math.Inf(-1)} {
		got, want := numberValue(rt, f), rt.ToValue(f)
		if reflect.TypeOf(got) != reflect.TypeOf(want) || !got.SameAs(want) {
			t.Errorf("numberValue(%v) = %v (%T), ToValue gives %v (%T)", f, got, got, want, want)
		}
	}
}

// TestScriptGetRepeatedValues: get hands back the string it made for the same bytes read
// last at the same field, and nothing else: escaped text, structure, and values that edits
// changed in place read as they are.
func TestScriptGetRepeatedValues(t *testing.T) {
	text := er7(
		"MSH|^~\\&|LAB|HOSP|EHR|HOSP|20261127090000||ORU^R01|CTRL1|P|2.5.1",
		"PID|1||12345",
		"OBX|1|NM|A||1.5",
		"OBX|2|NM|B||1.5",
		"OBX|3|ST|C||A\\T\\B",
		"OBX|4|ST|D||A\\T\\B",
		"OBX|5|ST|E||",
		"OBX|6|CE|F||x^y",
		"OBX|7|CE|G||x^y",
		"OBX|8|NM|H||1.5",
	)
	const src = `
var obx = msg.segments("OBX"), first = [], edited = [];
for (var i = 0; i < obx.length; i++) { first.push(obx[i].get("5")); }
for (var i = 0; i < obx.length; i++) {
  var before = obx[i].get("5");
  obx[i].set("5", i % 2 ? before : "9.9");
  edited.push(before + ">" + obx[i].get("5") + "." + obx[i].get("5.2"));
}
msg.set("PID-2", first.join(";"));
msg.set("PID-4", edited.join(";"));
`
	s, err := Script(ScriptOptions{Source: src, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPipeline(testDeps(t), "", s)
	if err != nil {
		t.Fatal(err)
	}
	for run := range 3 {
		out, err := p.Run(context.Background(), parse(t, text))
		if err != nil {
			t.Fatal(err)
		}
		m := out.Outputs[0].Message
		if got, want := m.Get("PID-2"), "1.5;1.5;A&B;A&B;;x^y;x^y;1.5"; got != want {
			t.Errorf("run %d: read %q, want %q", run+1, got, want)
		}
		if got, want := m.Get("PID-4"), "1.5>9.9.;1.5>1.5.;A&B>9.9.;A&B>A&B.;>9.9.;x^y>x^y.;x^y>9.9.;1.5>1.5."; got != want {
			t.Errorf("run %d: read around edits %q\nwant %q", run+1, got, want)
		}
	}
}

// TestNamed: named agrees with comparing Name, on parsed and edited segments.
func TestNamed(t *testing.T) {
	m := parse(t, er7("MSH|^~\\&|A", "PID|1", "ZZ1", "OBX|1|NM", "obx|2"))
	if err := m.Set("OBX-3", "X"); err != nil { // an edited segment, in the arena
		t.Fatal(err)
	}
	for i, s := range m.Segments() {
		for _, name := range []string{"MSH", "PID", "ZZ1", "OBX", "obx", "OB", "OBX|", "", "ZZ", "PID1"} {
			if got, want := named(s, name), s.Name() == name; got != want {
				t.Errorf("segment %d (%s): named(%q) = %v, want %v", i, s.Name(), name, got, want)
			}
		}
	}
}
