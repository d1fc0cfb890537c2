package sqlite

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/store"
)

// holdCommitter blocks the committer inside a request until the returned func is called, so
// that the requests sent meanwhile queue up and go into the next batch together.
func holdCommitter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	entered, gate := make(chan struct{}), make(chan struct{})
	var once sync.Once // the request runs again if another of its batch fails
	go s.do(ctx, true, func(*writer) error { once.Do(func() { close(entered) }); <-gate; return nil })
	<-entered
	var released sync.Once
	release = func() { released.Do(func() { close(gate) }) }
	t.Cleanup(release)
	return release
}

// waitQueued waits until n requests wait for the committer.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.reqs) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued after 10s, want %d", len(s.reqs), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// receiveAsync starts a Receive and returns where its result arrives.
func receiveAsync(ctx context.Context, s *Store, msgs ...*store.NewMessage) <-chan error {
	ch := make(chan error, 1)
	go func() {
		_, err := s.Receive(ctx, &store.ReceiveRequest{Messages: msgs})
		ch <- err
	}()
	return ch
}

func countMessages(t *testing.T, s *Store) int {
	t.Helper()
	var n int
	if err := s.rdb.QueryRowContext(ctx, "SELECT count(*) FROM messages").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestGroupCommit: requests that wait together commit together, with one fsync.
func TestGroupCommit(t *testing.T) {
	s := openTest(t, Options{})
	release := holdCommitter(t, s)
	const n = 20
	var results []<-chan error
	for i := range n {
		results = append(results, receiveAsync(ctx, s, newMsg(fmt.Sprintf("G%d", i), "ehr")))
	}
	waitQueued(t, s, n)
	commits, syncs := s.commits.Load(), s.syncs.Load()
	release()
	for i, r := range results {
		if err := <-r; err != nil {
			t.Fatalf("Receive %d: %v", i, err)
		}
	}
	// The holder's batch, joined by the n or followed by one batch of them.
	if got := s.commits.Load() - commits; got > 2 {
		t.Errorf("%d requests took %d commits, want at most 2", n, got)
	}
	if got := s.syncs.Load() - syncs; got > 2 {
		t.Errorf("%d requests took %d fsyncs, want at most 2", n, got)
	}
	if got := countMessages(t, s); got != n {
		t.Errorf("%d messages stored, want %d", got, n)
	}
}

// TestBatchIsolation: a request that fails inside a batch is undone alone.
func TestBatchIsolation(t *testing.T) {
	s := openTest(t, Options{})
	release := holdCommitter(t, s)
	bad := newMsg("BAD", "ehr")
	bad.Entries = append(bad.Entries, store.NewEntry{Destination: "ehr", State: store.EntryPending})
	good1 := receiveAsync(ctx, s, newMsg("OK1", "ehr"))
	waitQueued(t, s, 1)
	failing := receiveAsync(ctx, s, newMsg("BAD0", "ehr"), bad)
	waitQueued(t, s, 2)
	good2 := receiveAsync(ctx, s, newMsg("OK2", "ehr"))
	waitQueued(t, s, 3)
	commits := s.commits.Load()
	release()
	for _, r := range []<-chan error{good1, good2} {
		if err := <-r; err != nil {
			t.Fatalf("good request: %v", err)
		}
	}
	err := <-failing
	want := `receive: message 2: destination "ehr" has two entries`
	if err == nil || err.Error() != want {
		t.Fatalf("bad request: error %v, want %q", err, want)
	}
	if got := s.commits.Load() - commits; got > 2 {
		t.Errorf("%d commits, want at most 2 (the holder's and one batch)", got)
	}
	ms, err := s.Messages(ctx, store.Query{})
	if err != nil {
		t.Fatal(err)
	}
	var controls []string
	for _, m := range ms {
		controls = append(controls, m.Meta.ControlID)
	}
	if strings.Join(controls, ",") != "OK2,OK1" {
		t.Errorf("stored %v, want OK2,OK1", controls)
	}
	checkInvariants(t, s)
}

// TestCancelWhileQueued: a request cancelled before the committer took it is not stored.
func TestCancelWhileQueued(t *testing.T) {
	s := openTest(t, Options{})
	release := holdCommitter(t, s)
	cctx, cancel := context.WithCancel(ctx)
	r := receiveAsync(cctx, s, newMsg("C1", "ehr"))
	waitQueued(t, s, 1)
	cancel()
	if err := <-r; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Receive: %v, want context.Canceled", err)
	}
	release()
	// A later request proves the committer went past the cancelled one.
	if _, err := s.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{newMsg("C2", "ehr")}}); err != nil {
		t.Fatal(err)
	}
	if got := countMessages(t, s); got != 1 {
		t.Fatalf("%d messages stored, want only the second", got)
	}
}

// TestFsyncFailureStopsWrites: after a failed fsync the store refuses writes, since the
// kernel may have dropped data it will not report again; reads go on.
func TestFsyncFailureStopsWrites(t *testing.T) {
	s, err := Open(ctx, t.TempDir()+"/courier.db", Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := s.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{newMsg("F1", "ehr")}})
	if err != nil {
		t.Fatal(err)
	}
	s.wal.Close() // the next fsync fails
	for i := range 2 {
		_, err := s.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{newMsg(fmt.Sprintf("F%d", i+2), "ehr")}})
		if err == nil || !strings.Contains(err.Error(), "store I/O error: fsync of") || !strings.Contains(err.Error(), "restart Courier") {
			t.Fatalf("Receive %d after a failed fsync: %v, want a store I/O error", i, err)
		}
	}
	if _, err := s.Message(ctx, rs[0].ID); err != nil {
		t.Errorf("read after a failed fsync: %v", err)
	}
	_ = s.Close() // closing the WAL file again fails: the test closed it
}

// TestBatchRerun: when a request of a batch fails, the others run again in a new
// transaction and give the same results: a claim leases its entry once, receipts and
// outcomes are those of the committed run.
func TestBatchRerun(t *testing.T) {
	s := openTest(t, Options{})
	first, err := s.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{newMsg("RR1", "ehr")}})
	if err != nil {
		t.Fatal(err)
	}
	release := holdCommitter(t, s)
	claimed := make(chan store.ClaimResult, 1)
	go func() {
		res, err := s.Claim(ctx, store.ClaimRequest{Channel: "adt-in", Destination: "ehr", Owner: "w", Lease: time.Minute, Max: 5, Now: base})
		if err != nil {
			t.Error(err)
		}
		claimed <- res
	}()
	waitQueued(t, s, 1)
	second := receiveAsync(ctx, s, newMsg("RR2", "lab"))
	waitQueued(t, s, 2)
	refused := make(chan error, 1)
	go func() { refused <- s.Retry(ctx, 1<<40, "op") }()
	waitQueued(t, s, 3)
	third := receiveAsync(ctx, s, newMsg("RR3", "lab"))
	waitQueued(t, s, 4)
	release()

	if err := <-refused; !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Retry of an unknown entry: %v, want ErrNotFound", err)
	}
	for _, r := range []<-chan error{second, third} {
		if err := <-r; err != nil {
			t.Fatalf("Receive: %v", err)
		}
	}
	res := <-claimed
	if len(res.Entries) != 1 || res.Entries[0].MessageID != first[0].ID || res.Entries[0].Token != 1 {
		t.Fatalf("claim in a rerun batch = %+v, want message %d's entry once, with token 1", res.Entries, first[0].ID)
	}
	if got := countMessages(t, s); got != 3 {
		t.Fatalf("%d messages stored, want 3", got)
	}
	checkInvariants(t, s)
}

// TestTwoProcesses: two stores on one file (the server and the CLI) write in turn without
// handing out the same ID twice.
func TestTwoProcesses(t *testing.T) {
	path := t.TempDir() + "/courier.db"
	a, err := Open(ctx, path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	seen := map[int64]bool{}
	for i := range 6 {
		s := a
		if i%2 == 1 {
			s = b
		}
		rs, err := s.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{newMsg(fmt.Sprint("TP", i), "ehr")}})
		if err != nil {
			t.Fatalf("Receive %d: %v", i, err)
		}
		if seen[rs[0].ID] {
			t.Fatalf("ID %d handed out twice", rs[0].ID)
		}
		seen[rs[0].ID] = true
	}
	checkInvariants(t, a)
}

// walHeader reads the WAL's checkpoint sequence number (bytes 12–15 of its header, one more
// at every restart) and the file's size; a WAL shorter than its header has sequence 0.
func walHeader(t *testing.T, path string) (seq uint32, size int64) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 32 {
		return 0, int64(len(b))
	}
	return binary.BigEndian.Uint32(b[12:16]), int64(len(b))
}

// TestWALRestartsInPlace: under load, the checkpointer has the writer start the WAL again
// from its beginning without emptying the file (RESTART, not TRUNCATE), so that frames
// overwrite blocks the file has and fdatasync changes no file size; once nothing is
// committed, the WAL is truncated.
func TestWALRestartsInPlace(t *testing.T) {
	s := openTest(t, Options{})
	walPath := s.path + "-wal"
	lastSeq, lastSize := walHeader(t, walPath)
	inPlace, restarts := 0, 0
	deadline := time.Now().Add(90 * time.Second)
	for i := int64(0); inPlace < 2; i++ {
		if i == 1000 || time.Now().After(deadline) {
			t.Fatalf("after %d requests the WAL restarted %d times, %d of them in place; want 2 in place", i, restarts, inPlace)
		}
		var msgs []*store.NewMessage
		for j := range int64(100) {
			m := benchMsg(i*100+j, base)
			m.DedupeKey = ""
			msgs = append(msgs, m)
		}
		sent := time.Now()
		if _, err := s.Receive(ctx, &store.ReceiveRequest{Messages: msgs}); err != nil {
			t.Fatal(err)
		}
		seq, size := walHeader(t, walPath)
		if size < lastSize && time.Since(sent) < idleTruncate/2 {
			t.Fatalf("the WAL shrank from %d to %d bytes while commits kept coming: truncated under load", lastSize, size)
		}
		if seq != lastSeq {
			// A restart in place keeps the file's size: the request's frames overwrite its
			// first blocks. One that emptied the file leaves the frames of one request
			// (about 1.3 MB), less than the file held, unless the file held no more (the
			// checkpointer kept up, and the writer restarted the WAL at each request: on a
			// slow machine the file may never reach walRestartAt).
			restarts++
			if size >= lastSize && lastSize > 0 {
				inPlace++
			}
			lastSeq = seq
		}
		lastSize = size
	}
	for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		_, size := walHeader(t, walPath)
		if size == 0 {
			break
		}
		if time.Since(start) > idleTruncate+10*time.Second {
			t.Fatalf("the WAL is %d bytes %v after the last commit, want 0", size, time.Since(start).Round(time.Millisecond))
		}
	}
}
