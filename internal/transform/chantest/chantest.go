// Package chantest runs channel unit tests: YAML files that give input messages and what the
// channel must make of them — filtered or not, the messages each destination receives (whole,
// or selected paths), the error a bad message gets — and checks them against a channel's
// processors without a network, a store or a running engine. `courier test` is built on it.
//
// A test file:
//
//	channel: lab-results            # the channel of courier.yaml the tests are for
//	tests:
//	  - name: glucose gets its LOINC code
//	    input: |                    # one or more messages, one segment per line
//	      MSH|^~\&|LIS|LAB|EHR|HOSP|20261127090000||ORU^R01|1|P|2.5.1
//	      OBX|1|NM|GLU||5.5
//	    expect:
//	      destinations:
//	        ehr:                    # the messages ehr receives, in order
//	          - paths: {OBX-3.1: 2345-7}
//	        archive: []             # archive receives nothing
//
// docs/transform.md describes every key.
package chantest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/engine"
	"github.com/courier-hl7/courier/internal/transform"
)

// Channel is what a test file runs against: a channel's processing, as the engine runs it.
type Channel struct {
	Name string
	// Parser reads the inputs (the channel's character set, terminators and size limit).
	Parser hl7.Parser
	// Processor is the channel's filter and steps; nil lets every message through unchanged.
	Processor engine.Processor
	// Destinations are the channel's destinations, in order.
	Destinations []Destination
}

// Destination is one destination's processing.
type Destination struct {
	Name string
	// Processor is the destination's filter and steps; nil sends what the channel gives.
	Processor engine.Processor
}

// File is a test file, read and checked.
type File struct {
	Path    string
	Channel string
	Tests   []Test
}

// Test is one test of a file.
type Test struct {
	Name   string
	Pos    config.Position
	Inputs [][]byte
	Expect Expect
}

// Expect is what a test expects. Unset parts are not checked.
type Expect struct {
	// Filtered, when set, says whether the channel's filter and steps stopped the input(s).
	Filtered *bool
	// Reason is text the filter reason must contain.
	Reason string
	// Error is text the error must contain; set, the test expects the message to be rejected.
	Error string
	// Outputs, when set, is the number of messages the channel's steps produce.
	Outputs *int
	// Destinations maps destination names to the deliveries they must receive, in order;
	// a destination not listed is not checked.
	Destinations map[string][]Delivery
	names        []string // Destinations' keys in file order
}

// Delivery is one message a destination must receive.
type Delivery struct {
	Pos config.Position
	// Message is the exact ER7 expected (segments one per line).
	Message *string
	// Body is the exact encoded body expected after an encode step (JSON, XML).
	Body *string
	// Paths maps paths to the text they must hold.
	Paths map[string]string
	// Absent lists paths that must be absent or empty.
	Absent []string
}

// Result is the outcome of one test.
type Result struct {
	Name     string
	Pos      config.Position
	Failures []string
}

// Passed reports whether the test had no failure.
func (r Result) Passed() bool { return len(r.Failures) == 0 }

func (r Result) String() string {
	if r.Passed() {
		return fmt.Sprintf("PASS %s", r.Name)
	}
	return fmt.Sprintf("FAIL %s (%s)\n    %s", r.Name, r.Pos, strings.Join(r.Failures, "\n    "))
}

const (
	keyChannel      = "channel"
	keyTests        = "tests"
	keyName         = "name"
	keyInput        = "input"
	keyInputFile    = "input_file"
	keyExpect       = "expect"
	keyFiltered     = "filtered"
	keyReason       = "reason"
	keyError        = "error"
	keyOutputs      = "outputs"
	keyDestinations = "destinations"
	keyMessage      = "message"
	keyMessageFile  = "message_file"
	keyBody         = "body"
	keyPaths        = "paths"
	keyAbsent       = "absent"
)

// Spec describes a test file.
func Spec() config.Spec {
	return config.Spec{
		Name:    "channel test file",
		Summary: "Input messages and what a channel must make of them.",
		Fields: []config.Field{
			{Name: keyChannel, Type: config.String, Required: true, Description: "The channel the tests are for."},
			{Name: keyTests, Type: config.List, Required: true, Description: "The tests.", Elem: &config.Field{Type: config.Object, Fields: []config.Field{
				{Name: keyName, Type: config.String, Required: true, Description: "What the test checks."},
				{Name: keyInput, Type: config.String, Description: "One or more messages, one segment per line; each message starts with MSH."},
				{Name: keyInputFile, Type: config.String, Description: "A file of messages instead of input, relative to the test file."},
				{Name: keyExpect, Type: config.Object, Required: true, Description: "What the channel must do.", Fields: []config.Field{
					{Name: keyFiltered, Type: config.Bool, Description: "Whether the channel stops the input(s)."},
					{Name: keyReason, Type: config.String, Description: "Text the filter reason contains."},
					{Name: keyError, Type: config.String, Description: "Text the error contains: the message is rejected."},
					{Name: keyOutputs, Type: config.Int, Min: config.Bound(0), Description: "How many messages the channel's steps produce."},
					// Each value is a list of deliveries (see delivery), decoded by Parse: a config.Node
					// gives no access to the items of a list inside a map.
					{Name: keyDestinations, Type: config.Map, Elem: &config.Field{Type: config.Any}, Description: "Per destination, the messages it receives, in order: a list of objects with message, message_file, body, paths and absent."},
				}},
			}}},
		},
	}
}

// Load reads and checks the test file at path.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read test file: %w", err)
	}
	return Parse(path, data)
}

// Parse reads a test file's contents; name is its path, for positions and relative files.
// Problems are returned together as config.Errors.
func Parse(name string, data []byte) (*File, error) {
	n, err := config.Decode(name, data, Spec(), config.NewRegistry(), func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(name)
	f := &File{Path: name, Channel: n.String(keyChannel)}
	var errs config.Errors
	for _, tn := range n.List(keyTests) {
		t := Test{Name: tn.String(keyName), Pos: tn.Pos()}
		in := tn.String(keyInput)
		switch {
		case tn.Has(keyInput) == tn.Has(keyInputFile):
			errs = append(errs, tn.Errorf("", "give either input or input_file"))
			continue
		case tn.Has(keyInputFile):
			b, err := os.ReadFile(filepath.Join(dir, tn.String(keyInputFile)))
			if err != nil {
				errs = append(errs, tn.Errorf(keyInputFile, "%v", err))
				continue
			}
			in = string(b)
		}
		// Trailing blanks are trimmed from messages written in the test file, where an editor
		// may leave them, but not from a message file: they are part of its values.
		t.Inputs = splitMessages(in, !tn.Has(keyInputFile))
		if len(t.Inputs) == 0 {
			errs = append(errs, tn.Errorf(keyInput, "no message: a message starts with MSH"))
			continue
		}
		en := tn.Object(keyExpect)
		if en.Has(keyFiltered) {
			b := en.Bool(keyFiltered)
			t.Expect.Filtered = &b
		}
		if en.Has(keyOutputs) {
			o := en.Int(keyOutputs)
			t.Expect.Outputs = &o
		}
		t.Expect.Reason, t.Expect.Error = en.String(keyReason), en.String(keyError)
		t.Expect.Destinations = map[string][]Delivery{}
		for _, dname := range en.MapKeys(keyDestinations) {
			dn := en.Map(keyDestinations)[dname]
			t.Expect.names = append(t.Expect.names, dname)
			ds, derrs := deliveries(dn, dir)
			errs = append(errs, derrs...)
			t.Expect.Destinations[dname] = ds
		}
		f.Tests = append(f.Tests, t)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return f, nil
}

// deliveries reads a destination's list of expected messages.
func deliveries(n *config.Node, dir string) ([]Delivery, config.Errors) {
	var errs config.Errors
	bad := func(format string, args ...any) {
		errs = append(errs, &config.Error{Pos: n.Pos(), Path: n.Path(), Msg: fmt.Sprintf(format, args...)})
	}
	list, ok := n.Value().([]any)
	if !ok {
		if n.Value() != nil {
			bad("expected a list of messages (- paths: ..., - message: ...), or [] for none")
		}
		return nil, errs
	}
	var out []Delivery
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			bad("message %d: expected a mapping with message, message_file, body, paths or absent", i+1)
			continue
		}
		d := Delivery{Pos: n.Pos()}
		str := func(key string) (*string, bool) {
			v, ok := m[key]
			if !ok {
				return nil, true
			}
			s, ok := v.(string)
			if !ok {
				bad("message %d: %s must be text", i+1, key)
				return nil, false
			}
			return &s, true
		}
		for key, v := range m {
			switch key {
			case keyMessage, keyMessageFile, keyBody:
			case keyPaths:
				pm, ok := v.(map[string]any)
				if !ok {
					bad("message %d: paths maps paths to text (PID-5.1: DOE)", i+1)
					continue
				}
				d.Paths = map[string]string{}
				for p, pv := range pm {
					if _, err := hl7.ParsePath(p); err != nil {
						bad("message %d: %v", i+1, err)
					}
					d.Paths[p] = fmt.Sprint(pv)
				}
			case keyAbsent:
				al, ok := v.([]any)
				if !ok {
					bad("message %d: absent is a list of paths", i+1)
					continue
				}
				for _, a := range al {
					p := fmt.Sprint(a)
					if _, err := hl7.ParsePath(p); err != nil {
						bad("message %d: %v", i+1, err)
					}
					d.Absent = append(d.Absent, p)
				}
			default:
				bad("message %d: unknown key %q (message, message_file, body, paths, absent)", i+1, key)
			}
		}
		d.Message, _ = str(keyMessage)
		d.Body, _ = str(keyBody)
		if file, ok := str(keyMessageFile); ok && file != nil {
			if d.Message != nil {
				bad("message %d: give message or message_file, not both", i+1)
			}
			b, err := os.ReadFile(filepath.Join(dir, *file))
			if err != nil {
				bad("message %d: %v", i+1, err)
			}
			s := string(b)
			d.Message = &s
		}
		out = append(out, d)
	}
	return out, errs
}

// splitMessages reads one or more messages written one segment per line (LF, CR LF or CR) and
// returns each with CR terminators. A message starts at each MSH line. With trim, spaces and
// tabs at the ends of lines are removed.
func splitMessages(s string, trim bool) [][]byte {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	var out [][]byte
	var cur []string
	flush := func() {
		if len(cur) > 0 {
			out = append(out, []byte(strings.Join(cur, "\r")+"\r"))
			cur = nil
		}
	}
	for _, line := range strings.Split(s, "\n") {
		if trim {
			line = strings.TrimRight(line, " \t")
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		if strings.HasPrefix(line, "MSH") {
			flush()
		}
		if len(cur) == 0 && !strings.HasPrefix(line, "MSH") {
			continue
		}
		cur = append(cur, line)
	}
	flush()
	return out
}

// normalize writes a message one segment per CR, with a final CR, for comparison.
func normalize(b []byte) string {
	s := strings.ReplaceAll(strings.ReplaceAll(string(b), "\r\n", "\n"), "\r", "\n")
	s = strings.TrimRight(s, "\n")
	return strings.ReplaceAll(s, "\n", "\r") + "\r"
}

// delivered is what one destination received.
type delivered struct {
	msg  *hl7.Message
	body []byte
}

// Run runs the file's tests against ch. A file written for another channel fails every test.
func (f *File) Run(ctx context.Context, ch Channel) []Result {
	out := make([]Result, 0, len(f.Tests))
	for _, t := range f.Tests {
		r := Result{Name: t.Name, Pos: t.Pos}
		if f.Channel != ch.Name {
			r.Failures = append(r.Failures, fmt.Sprintf("the file tests channel %q, not %q", f.Channel, ch.Name))
		} else {
			r.Failures = runTest(ctx, ch, t)
		}
		out = append(out, r)
	}
	return out
}

// process runs a processor the way the engine does, on a clone; a transform.Pipeline is run
// directly so that encoded bodies can be checked.
func process(ctx context.Context, p engine.Processor, m *hl7.Message) (transform.Outcome, error) {
	if p == nil {
		return transform.Outcome{Outputs: []transform.Output{{Message: m}}}, nil
	}
	if tp, ok := p.(*transform.Pipeline); ok {
		return tp.Run(ctx, m.Clone())
	}
	res, err := p.Process(ctx, m.Clone())
	if err != nil {
		return transform.Outcome{}, err
	}
	o := transform.Outcome{Filtered: res.Filtered, Reason: res.Reason}
	for _, r := range res.Outputs {
		o.Outputs = append(o.Outputs, transform.Output{Message: r.Message, Destinations: r.Destinations})
	}
	return o, nil
}

func runTest(ctx context.Context, ch Channel, t Test) []string {
	var fails []string
	failf := func(format string, args ...any) { fails = append(fails, fmt.Sprintf(format, args...)) }
	got := map[string][]delivered{}
	var errs []string
	filtered, passed, outputs := 0, 0, 0
	var reasons []string
	for i, in := range t.Inputs {
		label := ""
		if len(t.Inputs) > 1 {
			label = fmt.Sprintf("input %d: ", i+1)
		}
		m, err := ch.Parser.Parse(in)
		if err != nil {
			errs = append(errs, label+err.Error())
			continue
		}
		res, err := process(ctx, ch.Processor, m)
		if err != nil {
			errs = append(errs, label+err.Error())
			continue
		}
		if res.Filtered || len(res.Outputs) == 0 {
			filtered++
			reasons = append(reasons, res.Reason)
			continue
		}
		passed++
		outputs += len(res.Outputs)
		for _, o := range res.Outputs {
			for _, d := range ch.Destinations {
				if o.Destinations != nil && !slices.Contains(o.Destinations, d.Name) {
					continue // routed elsewhere: stored as FILTERED for d
				}
				// The destination reads what the channel stored.
				dm, err := ch.Parser.Parse(o.Message.Bytes())
				if err != nil {
					errs = append(errs, fmt.Sprintf("%sdestination %s: the channel's output does not parse: %v", label, d.Name, err))
					continue
				}
				dres, err := process(ctx, d.Processor, dm)
				if err != nil {
					errs = append(errs, fmt.Sprintf("%sdestination %s: %v", label, d.Name, err))
					continue
				}
				for _, do := range dres.Outputs {
					got[d.Name] = append(got[d.Name], delivered{msg: do.Message, body: do.Body})
				}
			}
		}
	}
	e := t.Expect
	switch {
	case e.Error != "" && len(errs) == 0:
		failf("expected an error containing %q, got none", e.Error)
	case e.Error != "":
		if !slices.ContainsFunc(errs, func(s string) bool { return strings.Contains(s, e.Error) }) {
			failf("expected an error containing %q, got: %s", e.Error, strings.Join(errs, "; "))
		}
	case len(errs) > 0:
		failf("unexpected error: %s", strings.Join(errs, "; "))
	}
	if e.Filtered != nil {
		switch {
		case *e.Filtered && passed > 0:
			failf("expected the channel to filter the message, it went on (%d output(s))", outputs)
		case !*e.Filtered && filtered > 0:
			failf("expected the message to go on, the channel filtered it: %s", strings.Join(reasons, "; "))
		}
	}
	if e.Reason != "" && !slices.ContainsFunc(reasons, func(s string) bool { return strings.Contains(s, e.Reason) }) {
		failf("expected a filter reason containing %q, got %q", e.Reason, strings.Join(reasons, "; "))
	}
	if e.Outputs != nil && outputs != *e.Outputs {
		failf("expected %d output(s) from the channel's steps, got %d", *e.Outputs, outputs)
	}
	for _, name := range e.names {
		if !slices.ContainsFunc(ch.Destinations, func(d Destination) bool { return d.Name == name }) {
			failf("destination %q: the channel has no such destination", name)
			continue
		}
		want, have := e.Destinations[name], got[name]
		if len(want) != len(have) {
			failf("destination %s: expected %d message(s), got %d", name, len(want), len(have))
		}
		for i := 0; i < min(len(want), len(have)); i++ {
			fails = append(fails, checkDelivery(fmt.Sprintf("destination %s, message %d", name, i+1), want[i], have[i])...)
		}
	}
	return fails
}

func checkDelivery(where string, want Delivery, got delivered) []string {
	var fails []string
	failf := func(format string, args ...any) {
		fails = append(fails, where+": "+fmt.Sprintf(format, args...))
	}
	if want.Message != nil {
		w, g := normalize([]byte(*want.Message)), normalize(got.msg.Bytes())
		if w != g {
			failf("message differs:\n%s", diff(w, g))
		}
	}
	if want.Body != nil {
		if got.body == nil {
			failf("expected an encoded body, the destination got an HL7 message")
		} else if w, g := strings.TrimRight(*want.Body, "\n"), strings.TrimRight(string(got.body), "\n"); w != g {
			failf("body differs:\n%s", diff(w, g))
		}
	}
	for _, p := range sortedKeys(want.Paths) {
		v, err := got.msg.Value(p)
		if err != nil {
			failf("%v", err)
			continue
		}
		if g := v.String(); g != want.Paths[p] {
			if !v.Present() {
				failf("%s is absent, want %q", p, want.Paths[p])
			} else {
				failf("%s is %q, want %q", p, g, want.Paths[p])
			}
		}
	}
	for _, p := range want.Absent {
		v, err := got.msg.Value(p)
		if err != nil {
			failf("%v", err)
			continue
		}
		if v.Present() && !v.IsEmpty() {
			failf("%s is %q, want it absent", p, v.String())
		}
	}
	return fails
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// diff shows the segments that differ, with their line numbers.
func diff(want, got string) string {
	w, g := strings.Split(strings.TrimSuffix(want, "\r"), "\r"), strings.Split(strings.TrimSuffix(got, "\r"), "\r")
	var b bytes.Buffer
	for i := 0; i < max(len(w), len(g)); i++ {
		var ws, gs string
		if i < len(w) {
			ws = w[i]
		}
		if i < len(g) {
			gs = g[i]
		}
		if ws == gs {
			continue
		}
		fmt.Fprintf(&b, "      segment %d:\n        want %s\n        got  %s\n", i+1, ws, gs)
	}
	return strings.TrimRight(b.String(), "\n")
}

// ErrNoTests is returned by Summary for a run without tests.
var ErrNoTests = errors.New("no tests")

// Summary counts results and returns an error naming the failed tests, or nil when all passed.
func Summary(results []Result) (passed, failed int, err error) {
	var names []string
	for _, r := range results {
		if r.Passed() {
			passed++
		} else {
			failed++
			names = append(names, r.Name)
		}
	}
	switch {
	case len(results) == 0:
		return 0, 0, ErrNoTests
	case failed > 0:
		return passed, failed, fmt.Errorf("%d of %d test(s) failed: %s", failed, len(results), strings.Join(names, ", "))
	}
	return passed, failed, nil
}
