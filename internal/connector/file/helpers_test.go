package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/connector"
)

// testRegistry holds the two specs of this package under their categories.
func testRegistry(t testing.TB) *config.Registry {
	t.Helper()
	reg := config.NewRegistry()
	if err := reg.Register(connector.CategorySource, SourceSpec()); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register(connector.CategoryDestination, DestinationSpec()); err != nil {
		t.Fatal(err)
	}
	return reg
}

// testRoot is a configuration file with one source and one destination, as courier.yaml
// nests them.
var testRoot = config.Spec{Name: "test.yaml", Fields: []config.Field{
	{Name: "source", Type: config.Plugin, Category: connector.CategorySource},
	{Name: "destination", Type: config.Plugin, Category: connector.CategoryDestination},
}}

// decodeNode decodes the YAML of one plug-in (its keys, `type` included) under key.
func decodeNode(t testing.TB, key, yaml string) (*config.Node, error) {
	t.Helper()
	doc := key + ":\n" + indent(yaml)
	root, err := config.Decode("test.yaml", []byte(doc), testRoot, testRegistry(t), func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, err
	}
	return root.Object(key), nil
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// newTestSource builds a file source from YAML keys, with relative paths under base.
func newTestSource(t testing.TB, base, yaml string) (*source, error) {
	t.Helper()
	return newTestSourceDeps(t, yaml, connector.Deps{BaseDir: base, Channel: "test"})
}

func newTestSourceDeps(t testing.TB, yaml string, deps connector.Deps) (*source, error) {
	t.Helper()
	n, err := decodeNode(t, "source", "type: file\n"+yaml)
	if err != nil {
		return nil, err
	}
	s, err := NewSource(n, deps)
	if err != nil {
		return nil, err
	}
	return s.(*source), nil
}

func mustSource(t testing.TB, base, yaml string) *source {
	t.Helper()
	s, err := newTestSource(t, base, yaml)
	if err != nil {
		t.Fatalf("source config: %v", err)
	}
	return s
}

// newTestDest builds a file destination from YAML keys, with relative paths under base.
func newTestDest(t testing.TB, base, yaml string) (connector.Destination, error) {
	t.Helper()
	n, err := decodeNode(t, "destination", "type: file\n"+yaml)
	if err != nil {
		return nil, err
	}
	return NewDestination(n, connector.Deps{BaseDir: base, Channel: "test", Name: "out"})
}

func mustDest(t testing.TB, base, yaml string) connector.Destination {
	t.Helper()
	d, err := newTestDest(t, base, yaml)
	if err != nil {
		t.Fatalf("destination config: %v", err)
	}
	return d
}

// adt returns a synthetic ADT^A01 with control ID id, segments ended by term.
func adt(id, term string) string {
	return "MSH|^~\\&|SENDAPP|SENDFAC|RECVAPP|RECVFAC|20261127120000||ADT^A01^ADT_A01|" + id + "|P|2.5" + term +
		"PID|1||" + id + "MRN^^^HOSP^MR||TEST^PATIENT" + term
}

// adts returns n messages with control IDs prefix1..prefixN.
func adts(prefix string, n int, term string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = adt(fmt.Sprintf("%s%d", prefix, i+1), term)
	}
	return out
}

func writeFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// listDir returns the names in dir, sorted; nil when it does not exist.
func listDir(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	slices.Sort(out)
	return out
}

// waitFor polls cond every 5ms until it holds, failing the test after timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testReceiver stands in for the engine: it keeps file marks and the messages of each commit
// in memory, and can fail or hold commits on demand.
type testReceiver struct {
	mu       sync.Mutex
	marks    map[string]bool
	commits  []commit // successful ReceiveFile calls, in order
	attempts int      // ReceiveFile calls, failed ones included
	seenAsks map[string]int
	fail     int // fail this many ReceiveFile calls before succeeding

	// gate, when set, holds each ReceiveFile call until it can take a token.
	gate chan struct{}
}

type commit struct {
	file, key string
	raws      []string
}

func newTestReceiver() *testReceiver {
	return &testReceiver{marks: map[string]bool{}, seenAsks: map[string]int{}}
}

var _ connector.Receiver = (*testReceiver)(nil)

func (r *testReceiver) Receive(context.Context, *connector.Inbound) (connector.Reply, error) {
	return connector.Reply{}, errors.New("the file source must use ReceiveFile")
}

func (r *testReceiver) ReceiveFile(ctx context.Context, file, key string, msgs []*connector.Inbound) ([]connector.Reply, error) {
	r.mu.Lock()
	r.attempts++
	gate := r.gate
	r.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-time.After(10 * time.Second):
			return nil, fmt.Errorf("%w: test gate never opened", connector.ErrNotStored)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		return nil, fmt.Errorf("%w: disk full (test)", connector.ErrNotStored)
	}
	c := commit{file: file, key: key}
	reps := make([]connector.Reply, len(msgs))
	for i, m := range msgs {
		if m.File != file || m.ReceivedAt.IsZero() {
			return nil, fmt.Errorf("message %d: File %q ReceivedAt %v", i, m.File, m.ReceivedAt)
		}
		c.raws = append(c.raws, string(m.Raw))
		reps[i] = connector.Reply{Stored: true, MessageID: int64(i + 1)}
	}
	r.marks[key] = true
	r.commits = append(r.commits, c)
	return reps, nil
}

func (r *testReceiver) FileSeen(ctx context.Context, key string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seenAsks[key]++
	return r.marks[key], nil
}

// messages returns the raw messages of every commit, in order.
func (r *testReceiver) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, c := range r.commits {
		out = append(out, c.raws...)
	}
	return out
}

// fileCommits returns the commits that complete a file (the mark without a # suffix).
func (r *testReceiver) fileCommits() []commit {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []commit
	for _, c := range r.commits {
		if !strings.Contains(c.key, "#") {
			out = append(out, c)
		}
	}
	return out
}

func (r *testReceiver) stats() (commits, attempts int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.commits), r.attempts
}

// startSource starts s and stops it when the test ends.
func startSource(t testing.TB, s *source, r connector.Receiver) {
	t.Helper()
	if err := s.Start(context.Background(), r); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
}

// stopSource stops s within a bounded time.
func stopSource(t testing.TB, s *source) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
}
