package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/store"
	"github.com/courier-hl7/courier/internal/store/storetest"
)

var ctx = context.Background()

// xorCodec stands in for encryption at rest: it prefixes a key id and XORs the content, so
// that content that bypassed the codec, or was opened twice, shows.
type xorCodec struct{}

var codecPrefix = []byte("k1:")

func (xorCodec) Seal(b []byte) ([]byte, error) {
	out := append([]byte{}, codecPrefix...)
	for _, c := range b {
		out = append(out, c^0x5a)
	}
	return out, nil
}

func (xorCodec) Open(b []byte) ([]byte, error) {
	if !bytes.HasPrefix(b, codecPrefix) {
		return nil, fmt.Errorf("xor codec: content without key id %q", codecPrefix)
	}
	out := make([]byte, 0, len(b)-len(codecPrefix))
	for _, c := range b[len(codecPrefix):] {
		out = append(out, c^0x5a)
	}
	return out, nil
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// openTest opens a store in a temporary directory, closed when the test ends.
func openTest(t testing.TB, opts Options) *Store {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quiet
	}
	s, err := Open(ctx, filepath.Join(t.TempDir(), "courier.db"), opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// TestConformance runs the store conformance suite against every permutation of the
// options that change how the store works inside: the codec, and batches of one request
// (no group commit) or many.
func TestConformance(t *testing.T) {
	for _, p := range []struct {
		name string
		opts Options
	}{
		{"plain", Options{}},
		{"xor-codec", Options{Codec: xorCodec{}}},
		{"batch-1", Options{MaxBatch: 1, Readers: 1}},
	} {
		t.Run(p.name, func(t *testing.T) {
			storetest.Run(t, func(t *testing.T) store.Store { return openTest(t, p.opts) })
		})
	}
}

// TestOpenErrors: what Open refuses, with messages that say what to do.
func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	newer := filepath.Join(dir, "newer.db")
	s, err := Open(ctx, newer, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.conn.ExecContext(ctx, "INSERT INTO schema_version (version, name, applied_at) VALUES (?, 'future', 0)",
		SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	foreign := filepath.Join(dir, "foreign.db")
	f, err := Open(ctx, foreign, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.w.conn.ExecContext(ctx, "PRAGMA application_id = 7"); err != nil {
		t.Fatal(err)
	}
	f.Close()

	for _, c := range []struct {
		name, path, want string
	}{
		{"newer schema", newer, fmt.Sprintf("open store %s: database schema version %d is newer than this Courier supports (%d): run the Courier release that wrote it, or a newer one",
			newer, SchemaVersion()+1, SchemaVersion())},
		{"another application's database", foreign, fmt.Sprintf("open store %s: not a Courier store (application id 0x7): point the store at another file", foreign)},
		{"no path", "", "open store: no path given"},
	} {
		s, err := Open(ctx, c.path, Options{Logger: quiet})
		if err == nil {
			s.Close()
			t.Errorf("%s: Open succeeded", c.name)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("%s: error\n%s\nwant\n%s", c.name, err, c.want)
		}
	}
}

// TestReopen: data and schema survive a close; a second open migrates nothing.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "courier.db")
	s, err := Open(ctx, path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := s.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{newMsg("RO1", "ehr")}})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path, Options{Logger: quiet})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	m, err := s.Message(ctx, rs[0].ID)
	if err != nil || m.Meta.ControlID != "RO1" || len(m.Entries) != 1 {
		t.Fatalf("after reopen: %+v, %v", m, err)
	}
	var versions int
	if err := s.rdb.QueryRowContext(ctx, "SELECT count(*) FROM schema_version").Scan(&versions); err != nil || versions != SchemaVersion() {
		t.Fatalf("schema_version has %d rows (%v), want %d", versions, err, SchemaVersion())
	}
}

// TestMigrationsNumbered: the embedded migrations run 1, 2, 3... and each applies cleanly on
// top of the previous ones (Open applied them all above; here, their numbering).
func TestMigrationsNumbered(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) == 0 || SchemaVersion() != len(ms) {
		t.Fatalf("%d migrations, SchemaVersion %d", len(ms), SchemaVersion())
	}
}

// TestClosedErrors: ErrClosed is the error, not a wrapped driver error.
func TestClosedErrors(t *testing.T) {
	s := openTest(t, Options{})
	s.Close()
	if _, err := s.Stats(ctx); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Stats after Close: %v", err)
	}
}

// base is the receive time of the messages newMsg makes.
var base = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// newMsg builds a synthetic ADT message queued for dests.
func newMsg(control string, dests ...string) *store.NewMessage {
	m := &store.NewMessage{
		Channel:    "adt-in",
		ReceivedAt: base,
		Remote:     "127.0.0.1:40000",
		Raw: fmt.Appendf(nil, "MSH|^~\\&|LAB|NORTH|EHR|NORTH|20260102030405||ADT^A01^ADT_A01|%s|P|2.5\r"+
			"PID|1||MRN-%s^^^NORTH^MR||TESTPATIENT^ALPHA\r", control, control),
		Meta:      store.Meta{Type: "ADT", Trigger: "A01", ControlID: control, SendingApp: "LAB", SendingFacility: "NORTH", PatientID: "MRN-" + control},
		Ack:       []byte("MSA|AA|" + control),
		DedupeKey: "adt-in|LAB|NORTH|" + control,
		Status:    store.StatusQueued,
	}
	for _, d := range dests {
		m.Entries = append(m.Entries, store.NewEntry{Destination: d, State: store.EntryPending})
	}
	if len(dests) == 0 {
		m.Status = store.StatusReceived
	}
	return m
}
