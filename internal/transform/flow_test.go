package transform

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/courier-hl7/courier/hl7"
)

var oru = []string{
	"MSH|^~\\&|LIS|LAB|EHR|HOSP|20261127090000||ORU^R01^ORU_R01|C42|P|2.5.1",
	"PID|1||123^^^HOSP^MR||DOE^JANE||19800101|F",
	"PV1|1|O",
	"ORC|RE|O1",
	"OBR|1|O1||CBC",
	"OBX|1|NM|WBC||7.1",
	"NTE|1||fine",
	"ORC|RE|O2",
	"OBR|2|O2||BMP",
	"OBX|1|NM|NA||140",
	"OBX|2|NM|K||4.1",
}

func outputsOf(t *testing.T, out Outcome) []string {
	t.Helper()
	var got []string
	for _, o := range out.Outputs {
		got = append(got, show(string(o.Message.Bytes())))
	}
	return got
}

func TestSplit(t *testing.T) {
	const msh = "MSH|^~\\&|ADT|HOSP|EHR|HOSP|20261127090000||ADT^A04^ADT_A01|A7|P|2.5.1"
	tests := []struct {
		name string
		o    SplitOptions
		in   []string // default oru
		want []string
		err  string
	}{
		{name: "per OBR with leading ORC", o: SplitOptions{Segment: "OBR", Leading: []string{"ORC"}}, want: []string{
			er7(strings.Replace(oru[0], "C42", "C42-1", 1), oru[1], oru[2], oru[3], oru[4], oru[5], oru[6]),
			er7(strings.Replace(oru[0], "C42", "C42-2", 1), oru[1], oru[2], oru[7], oru[8], oru[9], oru[10]),
		}},
		// A group runs to the next starting segment: the second order's ORC and OBR stay in
		// the first OBX's part.
		{name: "per OBX, control ID kept", o: SplitOptions{Segment: "OBX", Suffix: "none"}, want: []string{
			er7(oru[:9]...),
			er7(append(append([]string{}, oru[:5]...), oru[9])...),
			er7(append(append([]string{}, oru[:5]...), oru[10])...),
		}},
		{name: "one group goes on unchanged", o: SplitOptions{Segment: "PV1"}, want: []string{er7(oru...)}},
		{name: "bad segment", o: SplitOptions{Segment: "msh"}, err: `split needs the name of the segment that starts each part (segment: OBR), or a field whose repetitions to split (repetition: PID-3); got segment "msh"`},
		{name: "neither", o: SplitOptions{}, err: `split needs the name of the segment that starts each part (segment: OBR), or a field whose repetitions to split (repetition: PID-3); got segment ""`},
		// By repetition: one message per non-empty repetition, each holding only its own.
		{name: "one message per identifier", o: SplitOptions{Repetition: "PID-3"},
			in: []string{msh, "PID|1||123^^^HOSP^MR~987^^^INS^MB~555^^^SSA^SS||DOE^JANE", "PV1|1|O"},
			want: []string{
				er7(strings.Replace(msh, "|A7|", "|A7-1|", 1), "PID|1||123^^^HOSP^MR||DOE^JANE", "PV1|1|O"),
				er7(strings.Replace(msh, "|A7|", "|A7-2|", 1), "PID|1||987^^^INS^MB||DOE^JANE", "PV1|1|O"),
				er7(strings.Replace(msh, "|A7|", "|A7-3|", 1), "PID|1||555^^^SSA^SS||DOE^JANE", "PV1|1|O"),
			}},
		{name: "empty repetitions make no message; suffix none keeps MSH-10", o: SplitOptions{Repetition: "PID-3", Suffix: "none"},
			in: []string{msh, "PID|1||~123^^^HOSP^MR~~987^^^INS^MB~||DOE^JANE"},
			want: []string{
				er7(msh, "PID|1||123^^^HOSP^MR||DOE^JANE"),
				er7(msh, "PID|1||987^^^INS^MB||DOE^JANE"),
			}},
		{name: "one value among empty repetitions: the message without them", o: SplitOptions{Repetition: "PID-3"},
			in:   []string{msh, "PID|1||^^^~123^^^HOSP^MR~\"\"~&^||DOE^JANE"},
			want: []string{er7(msh, "PID|1||123^^^HOSP^MR||DOE^JANE")}},
		{name: "one repetition: unchanged", o: SplitOptions{Repetition: "PID-3"},
			in:   []string{msh, "PID|1||123^^^HOSP^MR||DOE^JANE"},
			want: []string{er7(msh, "PID|1||123^^^HOSP^MR||DOE^JANE")}},
		{name: "absent field: unchanged", o: SplitOptions{Repetition: "PID-3"},
			in:   []string{msh, "PV1|1|O"},
			want: []string{er7(msh, "PV1|1|O")}},
		{name: "the second insurance's identifiers, escapes kept", o: SplitOptions{Repetition: "IN1[2]-3"},
			in: []string{msh, "IN1|1|A|X1", "IN1|2|B|Y1\\T\\2~Y2"},
			want: []string{
				er7(strings.Replace(msh, "|A7|", "|A7-1|", 1), "IN1|1|A|X1", "IN1|2|B|Y1\\T\\2"),
				er7(strings.Replace(msh, "|A7|", "|A7-2|", 1), "IN1|1|A|X1", "IN1|2|B|Y2"),
			}},
		{name: "a component is no field", o: SplitOptions{Repetition: "PID-3.1"}, err: `repetition "PID-3.1": give a field, such as PID-3 or IN1[2]-3, without a repetition or component`},
		{name: "a repetition is no field", o: SplitOptions{Repetition: "PID-3[2]"}, err: `repetition "PID-3[2]": give a field, such as PID-3 or IN1[2]-3, without a repetition or component`},
		{name: "not both", o: SplitOptions{Repetition: "PID-3", Segment: "OBR"}, err: `split by segment (segment, leading) or by repetition (repetition), not both`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Split(tc.o)
			if err != nil {
				if err.Error() != tc.err {
					t.Fatalf("error %q, want %q", err, tc.err)
				}
				return
			}
			in := tc.in
			if in == nil {
				in = oru
			}
			out, err := runSteps(t, er7(in...), s)
			if err != nil {
				t.Fatal(err)
			}
			got := outputsOf(t, out)
			if len(got) != len(tc.want) {
				t.Fatalf("%d outputs, want %d:\n%s", len(got), len(tc.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if got[i] != show(tc.want[i]) {
					t.Errorf("part %d:\n%s\nwant\n%s", i+1, got[i], show(tc.want[i]))
				}
			}
		})
	}
}

// TestStepsAfterSplit: the steps after a split apply to each part, and a filter step drops
// single parts.
func TestStepsAfterSplit(t *testing.T) {
	p := must(NewPipeline(testDeps(t), "",
		must(Split(SplitOptions{Segment: "OBR", Leading: []string{"ORC"}})),
		must(Filter(`OBR["4"] != "CBC"`)),
		must(Set("OBR-25", Value{Text: "F"})),
	))
	out, err := p.Run(context.Background(), parse(t, er7(oru...)))
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Outputs) != 1 || out.Outputs[0].Message.Get("OBR-4") != "BMP" || out.Outputs[0].Message.Get("OBR-25") != "F" {
		t.Errorf("got %v", outputsOf(t, out))
	}
	p = must(NewPipeline(testDeps(t), "", must(Filter(`false`))))
	out, err = p.Run(context.Background(), parse(t, er7(oru...)))
	if err != nil || !out.Filtered || out.Reason != "step 1 (filter) was false: false" {
		t.Errorf("all filtered: %+v %v", out, err)
	}
}

func TestBuild(t *testing.T) {
	tmpl := "MSH|^~\\&|COURIER|{{MSH-4}}|ADT|HOSP|{{= now()}}||ADT^A08^ADT_A01|{{MSH-10}}A08|P|2.5.1\n" +
		"EVN|A08|{{= now()}}\n{{PID}}\n{{ZZZ}}\nPV1|1|{{PV1-2}}\n"
	b := must(Build(BuildOptions{Template: tmpl, Destinations: []string{"ehr"},
		Steps: []Step{must(Set("PID-5.1", Value{Expr: `lower(PID["5.1"])`}))}}))
	out, err := runSteps(t, er7(oru...), b)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Outputs) != 2 || string(out.Outputs[0].Message.Bytes()) != er7(oru...) {
		t.Fatalf("outputs %v", outputsOf(t, out))
	}
	want := er7("MSH|^~\\&|COURIER|LAB|ADT|HOSP|20261127093015+0000||ADT^A08^ADT_A01|C42A08|P|2.5.1",
		"EVN|A08|20261127093015+0000", "PID|1||123^^^HOSP^MR||doe^JANE||19800101|F", "PV1|1|O")
	if got := string(out.Outputs[1].Message.Bytes()); got != want {
		t.Errorf("built\n%s\nwant\n%s", show(got), show(want))
	}
	if d := out.Outputs[1].Destinations; len(d) != 1 || d[0] != "ehr" || out.Outputs[0].Destinations != nil {
		t.Errorf("destinations %v %v", out.Outputs[0].Destinations, d)
	}
	// A route after the build routes the original and leaves the built message where its
	// to: sends it.
	route := must(Route(RouteOptions{Rules: []RouteRule{{When: `MSH["9.1"] == "ADT"`, To: []string{"billing"}}}, Default: []string{"archive"}}))
	out, err = runSteps(t, er7(oru...), b, route)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Outputs) != 2 || !slices.Equal(out.Outputs[0].Destinations, []string{"archive"}) ||
		!slices.Equal(out.Outputs[1].Destinations, []string{"ehr"}) {
		t.Errorf("after a route: destinations %v and %v, want [archive] and [ehr]", out.Outputs[0].Destinations, out.Outputs[1].Destinations)
	}
	// Other delimiters in the template: values are encoded again.
	b = must(Build(BuildOptions{Template: "MSH#*~\\&#A\nPID#1##{{PID-3}}##{{PID-5}}", Replace: true}))
	out, err = runSteps(t, er7(oru...), b)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out.Outputs[0].Message.Bytes()); len(out.Outputs) != 1 || got != "MSH#*~\\&#A\rPID#1##123***HOSP*MR##DOE*JANE\r" {
		t.Errorf("replace: %q", got)
	}
	for _, tc := range []struct{ tmpl, err string }{
		{"PID|1", `the template starts with an MSH line (MSH|^~\&|...)`},
		{"MSH|^~\\&\nPID|{{PID-", "template: {{ at byte 5 is not closed with }}"},
		{"MSH|^~\\&\nPID|{{OBX[*]-3}}", "template: {{OBX[*]-3}} names several values"},
	} {
		if _, err := Build(BuildOptions{Template: tc.tmpl}); err == nil || err.Error() != tc.err {
			t.Errorf("%q: error %v, want %q", tc.tmpl, err, tc.err)
		}
	}
}

func TestRoute(t *testing.T) {
	r := must(Route(RouteOptions{Rules: []RouteRule{
		{When: `MSH["9.1"] == "ADT"`, To: []string{"ehr", "billing"}},
		{When: `PID["8"] == "F"`, To: []string{"ehr"}},
	}, Default: []string{"archive"}}))
	all := must(Route(RouteOptions{All: true, Rules: []RouteRule{
		{When: `MSH["9.1"] == "ORU"`, To: []string{"ehr"}},
		{When: `PID["8"] == "F"`, To: []string{"billing", "ehr"}},
	}}))
	none := must(Route(RouteOptions{Rules: []RouteRule{{When: `false`, To: []string{"ehr"}}}}))
	dup := must(Route(RouteOptions{Rules: []RouteRule{{To: []string{"ehr", "ehr", "billing"}}}}))
	for _, tc := range []struct {
		step Step
		msg  string
		want string
	}{
		{r, er7(oru...), "ehr"},
		{r, strings.Replace(er7(oru...), "ORU^R01", "ADT^A01", 1), "ehr,billing"},
		{r, strings.Replace(er7(oru...), "|F\r", "|M\r", 1), "archive"},
		{all, er7(oru...), "ehr,billing"},
		{none, er7(oru...), ""},
		{dup, er7(oru...), "ehr,billing"},
	} {
		out, err := runSteps(t, tc.msg, tc.step)
		if err != nil {
			t.Fatal(err)
		}
		d := out.Outputs[0].Destinations
		if d == nil || strings.Join(d, ",") != tc.want {
			t.Errorf("destinations %#v, want %q", d, tc.want)
		}
	}
	// The messages a rule sends share its list of destinations: one output's changing its
	// own must not change the next one's.
	for _, step := range []Step{r, none} {
		first, err := runSteps(t, er7(oru...), step)
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Join(first.Outputs[0].Destinations, ",")
		_ = append(first.Outputs[0].Destinations, "billing")
		second, err := runSteps(t, er7(oru...), step)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(second.Outputs[0].Destinations, ","); got != want {
			t.Errorf("destinations %q after an append to the first output's, want %q", got, want)
		}
	}
	if _, err := runSteps(t, er7(oru...), must(Route(RouteOptions{Rules: []RouteRule{{To: []string{"lab"}}}}))); err == nil ||
		err.Error() != `step 1 (route): rule 1: no destination "lab" in this channel (it has: ehr, billing, archive)` {
		t.Errorf("unknown destination: %v", err)
	}
}

func TestPipeline(t *testing.T) {
	deps := testDeps(t)
	p := must(NewPipeline(deps, `MSH["9.1"] == "ORU"`, Named("upper", When(`PID["8"] == "F"`, must(Set("PID-5.1", Value{Expr: `lower(PID["5.1"])`}))))))
	out, err := p.Run(context.Background(), parse(t, strings.Replace(er7(oru...), "ORU^R01", "ADT^A01", 1)))
	if err != nil || !out.Filtered || out.Reason != `the filter was false: MSH["9.1"] == "ORU"` {
		t.Errorf("filter: %+v %v", out, err)
	}
	res, err := p.Process(context.Background(), parse(t, er7(oru...)))
	if err != nil || res.Filtered || len(res.Outputs) != 1 || res.Outputs[0].Message.Get("PID-5.1") != "doe" {
		t.Errorf("process: %+v %v", res, err)
	}
	res, err = p.Process(context.Background(), parse(t, strings.Replace(er7(oru...), "|F\r", "|M\r", 1)))
	if err != nil || res.Outputs[0].Message.Get("PID-5.1") != "DOE" {
		t.Errorf("when false: %+v %v", res, err)
	}
	// Errors name the step.
	p = must(NewPipeline(deps, "", Named("codes", must(Map("PID-8", MapOptions{Values: map[string]string{}, OnMissing: "error"})))))
	_, err = p.Run(context.Background(), parse(t, er7(oru...)))
	var se *StepError
	if !errors.As(err, &se) || se.Index != 1 || se.Name != "codes" || err.Error() != `step 1 (map "codes"): PID-8: "F" is not in table "inline" (add it to the table, or set on_missing: keep or default)` {
		t.Errorf("step error: %v", err)
	}
	// An encoded output travels to the engine as a body with its content type.
	p = must(NewPipeline(deps, "", must(Encode("json", EncodeOptions{}))))
	out, err = p.Run(context.Background(), parse(t, er7(oru...)))
	if err != nil || out.Outputs[0].ContentType != "application/json" || !strings.HasPrefix(string(out.Outputs[0].Body), "{\n  \"segments\"") {
		t.Errorf("encode: %+v %v", out, err)
	}
	if res, err := p.Process(context.Background(), parse(t, er7(oru...))); err != nil || res.Outputs[0].ContentType != "application/json" || res.Outputs[0].Message == nil {
		t.Errorf("Process with encode: %+v %v", res, err)
	}
	// A cancelled context stops the run.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := must(NewPipeline(deps, "", must(Delete("ZPI")))).Run(ctx, parse(t, er7(oru...))); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestTableReload: editing a CSV file changes the mapping without a restart.
func TestTableReload(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "wards.csv")
	write := func(content string, mod time.Time) {
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(file, mod, mod); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Now().Add(-time.Hour)
	write("code,location\nW1,4NORTH\n", t0)
	ts := NewTables(dir)
	ts.CheckEvery = time.Nanosecond
	var reloads []string
	ts.OnReload = func(name string, err error) {
		if err != nil {
			reloads = append(reloads, name+": "+err.Error())
		} else {
			reloads = append(reloads, name)
		}
	}
	if err := ts.Define("wards", TableDef{File: "wards.csv", From: "code", To: "location"}); err != nil {
		t.Fatal(err)
	}
	deps := testDeps(t)
	deps.Tables = ts
	p := must(NewPipeline(deps, "", must(Map("PV1-3.1", MapOptions{Table: "wards"}))))
	run := func() string {
		out, err := p.Run(context.Background(), parse(t, er7(base...)))
		if err != nil {
			t.Fatal(err)
		}
		return out.Outputs[0].Message.Get("PV1-3.1")
	}
	if got := run(); got != "4NORTH" {
		t.Fatalf("first: %q", got)
	}
	write("code,location\nW1,5SOUTH\n", t0.Add(time.Minute))
	if got := run(); got != "5SOUTH" {
		t.Errorf("after the edit: %q", got)
	}
	write("code,location\nW1,6EAST\nW1,7WEST\n", t0.Add(2*time.Minute))
	if got := run(); got != "5SOUTH" {
		t.Errorf("after a bad edit the old entries stay: %q", got)
	}
	want := []string{"wards", `wards: table "wards" (wards.csv:3): key "W1" is already on line 2`}
	if strings.Join(reloads, "|") != strings.Join(want, "|") {
		t.Errorf("reloads %q, want %q", reloads, want)
	}
}

func TestTableErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"empty.csv":  "",
		"one.csv":    "code\nA\n",
		"quote.csv":  "a,b\n\"x,y\n",
		"short.csv":  "a,b\nx\n",
		"header.csv": "a,b\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		def  TableDef
		want string
	}{
		{TableDef{File: "empty.csv"}, `table "t" (empty.csv:1): the file is empty; it needs a header row (from,to)`},
		{TableDef{File: "one.csv"}, `table "t" (one.csv:1): the header has 1 column(s); a table needs two`},
		{TableDef{File: "quote.csv"}, `table "t" (quote.csv:2): CSV: extraneous or missing " in quoted-field`},
		{TableDef{File: "short.csv"}, `table "t" (short.csv:2): 1 column(s), the table reads column 2`},
		{TableDef{File: "header.csv", To: "c"}, `table "t" (header.csv:1): no column "c" in the header (a,b)`},
		{TableDef{File: "missing.csv"}, `table "t" (missing.csv): open: open ` + filepath.Join(dir, "missing.csv") + `: no such file or directory`},
		{TableDef{}, `table "t": give either a file or values`},
	} {
		err := NewTables(dir).Define("t", tc.def)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%+v: %v\nwant %s", tc.def, err, tc.want)
		}
	}
	_ = hl7.Path{}
}
