package transform

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/courier-hl7/courier/hl7"
)

// benchMessage is an ORU^R01 with 30 OBX (6.8 KB).
func benchMessage(tb testing.TB) *hl7.Message {
	tb.Helper()
	return parse(tb, string(readFile(tb, "testdata/oru_r01_30obx.hl7")))
}

// declarative10 is a typical mapping: local lab codes to LOINC on every OBX, and nine steps
// on the patient, the visit and the header.
func declarative10(tb testing.TB) *Pipeline {
	steps := []Step{
		must(Map("OBX[*]-3.4", MapOptions{Table: "bench_codes.csv", OnMissing: "keep"})),
		must(Set("PID-5.1", Value{Expr: `upper(PID["5.1"])`})),
		must(Format("PID-7", FormatOptions{Date: &DateFormat{To: "YYYY-MM-DD"}})),
		must(Format("PID-13.1", FormatOptions{Phone: &PhoneFormat{Pattern: "###-###-####"}, OnError: "keep"})),
		must(Map("PV1-2", MapOptions{Values: map[string]string{"O": "OUTPATIENT", "I": "INPATIENT"}})),
		must(Copy("MSH-4", "MSH-6")),
		must(Set("MSH-5", Value{Text: "EHR2"})),
		When(`exists("PID-11")`, must(Delete("PID-11"))),
		must(Format("PID-3[*]", FormatOptions{ID: &IDFormat{Authority: "GH", TypeCode: "MR"}})),
		must(Route(RouteOptions{Rules: []RouteRule{{When: `MSH["9.1"] == "ORU"`, To: []string{"ehr"}}}, Default: []string{"archive"}})),
	}
	return must(NewPipeline(testDeps(tb), `MSH["9.1"] == "ORU" && PV1["2"] in ["O", "I"]`, steps...))
}

// declarative10AllOBX is heavier: three of its ten steps read or write every OBX.
func declarative10AllOBX(b *testing.B) *Pipeline {
	steps := []Step{
		must(Map("OBX[*]-3.4", MapOptions{Table: "bench_codes.csv", OnMissing: "keep"})),
		must(Set("OBX[*]-8", Value{Expr: `num(seg["5"], 0) > 40 ? "H" : seg["8"]`})),
		must(Format("OBX[*]-14", FormatOptions{Date: &DateFormat{Precision: "minute"}})),
		must(Set("PID-5.1", Value{Expr: `upper(PID["5.1"])`})),
		must(Format("PID-7", FormatOptions{Date: &DateFormat{To: "YYYY-MM-DD"}})),
		must(Format("PID-13.1", FormatOptions{Phone: &PhoneFormat{Pattern: "###-###-####"}, OnError: "keep"})),
		must(Map("PV1-2", MapOptions{Values: map[string]string{"O": "OUTPATIENT", "I": "INPATIENT"}})),
		must(Copy("MSH-4", "MSH-6")),
		When(`exists("PID-11")`, must(Delete("PID-11"))),
		must(Route(RouteOptions{Rules: []RouteRule{{When: `MSH["9.1"] == "ORU"`, To: []string{"ehr"}}}, Default: []string{"archive"}})),
	}
	return must(NewPipeline(testDeps(b), `MSH["9.1"] == "ORU" && PV1["2"] in ["O", "I"]`, steps...))
}

// script30 does the same work in 30 lines of JavaScript.
const script30 = `
var obx = msg.segments("OBX");
for (var i = 0; i < obx.length; i++) {
  var o = obx[i];
  var local = o.get("3.4");
  var code = tables.lookup("bench_codes.csv", local);
  if (code !== undefined) {
    o.set("3.4", code);
  }
  var value = parseFloat(o.get("5"));
  if (!isNaN(value) && value > 40) {
    o.set("8", "H");
  }
  var when = o.get("14");
  if (when.length > 12) {
    o.set("14", when.substring(0, 12));
  }
}
msg.set("PID-5.1", msg.get("PID-5.1").toUpperCase());
var dob = msg.get("PID-7");
if (dob.length >= 8) {
  msg.set("PID-7", dob.substring(0, 4) + "-" + dob.substring(4, 6) + "-" + dob.substring(6, 8));
}
var phone = msg.get("PID-13.1").replace(/[^0-9]/g, "");
if (phone.length == 10) {
  msg.set("PID-13.1", phone.substring(0, 3) + "-" + phone.substring(3, 6) + "-" + phone.substring(6));
}
var classes = {O: "OUTPATIENT", I: "INPATIENT"};
msg.set("PV1-2", classes[msg.get("PV1-2")] || msg.get("PV1-2"));
msg.setRaw("MSH-6", msg.get("MSH-4"));
msg.delete("PID-11");
msg.route(msg.get("MSH-9.1") == "ORU" ? ["ehr"] : ["archive"]);
`

func benchPipeline(b *testing.B, p *Pipeline) {
	m := benchMessage(b)
	ctx := context.Background()
	// Check once that the steps did their work.
	out, err := p.Run(ctx, m.Clone())
	if err != nil {
		b.Fatal(err)
	}
	got := out.Outputs[0].Message
	if got.Get("OBX[30]-3.4") != "L1030" || got.Get("PID-5.1") != "TESTPATIENT" || got.Get("PV1-2") != "OUTPATIENT" {
		b.Fatalf("steps did not apply:\n%s", show(string(got.Bytes())))
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for b.Loop() {
		out, err := p.Run(ctx, m.Clone())
		if err != nil {
			b.Fatal(err)
		}
		// Done with the outputs, as a channel is once it has stored them: their edits' memory
		// goes back to the pool for the next message (see hl7.Message.Release).
		for _, o := range out.Outputs {
			o.Message.Release()
		}
	}
	reportRates(b, cpu)
}

// cpuTime is the process's CPU time (user and system). On a machine shared with other work
// the wall clock overstates what a message costs; with -cpu 1 the CPU time is what one core
// spent.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportRates reports messages per second of wall clock and of CPU time.
func reportRates(b *testing.B, cpuStart time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	if used := cpuTime() - cpuStart; used > 0 {
		b.ReportMetric(float64(b.N)/used.Seconds(), "msgs/cpu-s")
	}
}

// BenchmarkDeclarative10 runs a 10-step declarative mapping on an ORU with 30 OBX; the target
// is 100,000 messages/s on one core (go test -bench . -cpu 1).
func BenchmarkDeclarative10(b *testing.B) { benchPipeline(b, declarative10(b)) }

// BenchmarkDeclarative10AllOBX runs a mapping with three steps over every OBX: 90 values read
// and 60 written per message.
func BenchmarkDeclarative10AllOBX(b *testing.B) { benchPipeline(b, declarative10AllOBX(b)) }

// BenchmarkScript30 runs the same mapping as a 30-line script; the target is 20,000
// messages/s on one core.
func BenchmarkScript30(b *testing.B) { benchPipeline(b, script30Pipeline(b)) }

func script30Pipeline(tb testing.TB) *Pipeline {
	return must(NewPipeline(testDeps(tb), "", must(Script(ScriptOptions{Name: "bench.js", Source: script30, Timeout: 10 * time.Second}))))
}

// BenchmarkDeclarative10Parsed includes parsing the message and encoding the result, the
// whole of what a channel does with it apart from storing.
func BenchmarkDeclarative10Parsed(b *testing.B) {
	p := declarative10(b)
	data := readFile(b, "testdata/oru_r01_30obx.hl7")
	ctx := context.Background()
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		m, err := hl7.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		out, err := p.Run(ctx, m)
		if err != nil {
			b.Fatal(err)
		}
		_ = out.Outputs[0].Message.Bytes()
	}
	reportRates(b, cpu)
}
