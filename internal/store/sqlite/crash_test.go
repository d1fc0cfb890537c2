package sqlite

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/store"
)

// crashEnv names the database a child process of TestCrashRecovery writes to.
const crashEnv = "COURIER_STORE_CRASH_CHILD"

// TestCrashRecovery is a store-level version of RELIABILITY test 1: a child process receives
// messages from several goroutines and delivers them, printing each message ID once Receive
// returned and each entry once Record returned; it is killed with SIGKILL at a random moment.
// After each kill the database must hold every printed message with its entries and content,
// every printed delivery as SENT, and pass SQLite's integrity check.
//
// SIGKILL keeps what the kernel already has, so this proves the store acknowledges only
// committed work and recovers it; that the commit was also synced is shown by the syncer's
// design (see TestGroupCommit and docs/format/store.md), since losing the page cache needs a
// machine-level fault.
func TestCrashRecovery(t *testing.T) {
	if path := os.Getenv(crashEnv); path != "" {
		crashChild(path)
		return
	}
	if testing.Short() {
		t.Skip("starts child processes")
	}
	path := filepath.Join(t.TempDir(), "courier.db")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	acked := map[int64]string{} // message ID → control ID
	delivered := map[int64]bool{}
	const cycles = 4
	for cycle := range cycles {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashRecovery$")
		cmd.Env = append(os.Environ(), crashEnv+"="+path, fmt.Sprintf("COURIER_STORE_CRASH_CYCLE=%d", cycle))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan []string)
		go func() {
			var got []string
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				got = append(got, sc.Text())
			}
			lines <- got
		}()
		// Let it run 300–900 ms once it has started receiving, then kill it.
		time.Sleep(time.Duration(300+rng.IntN(600)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		got := <-lines
		_ = cmd.Wait() // "signal: killed"
		n, d := 0, 0
		for _, l := range got {
			f := strings.Fields(l)
			if len(f) == 0 {
				continue
			}
			// A line cut by the kill is incomplete: only whole lines count.
			switch {
			case f[0] == "R" && len(f) == 3:
				id, err := strconv.ParseInt(f[1], 10, 64)
				if err != nil {
					t.Fatalf("child printed %q", l)
				}
				acked[id] = f[2]
				n++
			case f[0] == "S" && len(f) == 2:
				id, err := strconv.ParseInt(f[1], 10, 64)
				if err != nil {
					t.Fatalf("child printed %q", l)
				}
				delivered[id] = true
				d++
			}
		}
		t.Logf("cycle %d: %d messages acknowledged, %d deliveries recorded before the kill", cycle, n, d)
		verifyAfterCrash(t, path, acked, delivered)
	}
	if len(acked) == 0 || len(delivered) == 0 {
		t.Fatalf("the children acknowledged %d messages and %d deliveries: the test proved nothing", len(acked), len(delivered))
	}
}

// verifyAfterCrash reopens the store and checks everything that was acknowledged.
func verifyAfterCrash(t *testing.T, path string, acked map[int64]string, delivered map[int64]bool) {
	t.Helper()
	s, err := Open(ctx, path, Options{Logger: quiet})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer s.Close()
	var ok string
	if err := s.rdb.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity check: %q, %v", ok, err)
	}
	for id, control := range acked {
		m, err := s.Message(ctx, id)
		if err != nil {
			t.Fatalf("acknowledged message %d lost: %v", id, err)
		}
		if m.Meta.ControlID != control || string(m.Raw) != string(crashMsg(control).Raw) || len(m.Entries) != 2 {
			t.Fatalf("acknowledged message %d came back as %s with %d entries and raw %q", id, m.Meta.ControlID, len(m.Entries), m.Raw)
		}
	}
	sent, err := s.Entries(ctx, "adt-in", "ehr", []store.EntryState{store.EntrySent}, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	isSent := map[int64]bool{}
	for _, e := range sent {
		isSent[e.ID] = true
	}
	for id := range delivered {
		if !isSent[id] {
			t.Fatalf("entry %d was recorded sent before the kill, and is not SENT after it", id)
		}
	}
	checkInvariants(t, s)
}

// crashMsg is the message the child stores for a control ID.
func crashMsg(control string) *store.NewMessage {
	m := newMsg(control, "ehr", "archive")
	m.ReceivedAt = time.Now()
	return m
}

// crashChild receives and delivers until it is killed (or for 30 s at most).
func crashChild(path string) {
	s, err := Open(ctx, path, Options{Logger: quiet})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	// The previous child was killed holding leases; a new node gives them back first.
	if _, err := s.ReleaseOwner(ctx, "child/ehr"); err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	var mu sync.Mutex
	say := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		// One write per line: the pipe is the record of what was acknowledged.
		os.Stdout.WriteString(fmt.Sprintf(format, args...) + "\n")
	}
	cycle := os.Getenv("COURIER_STORE_CRASH_CYCLE")
	deadline := time.Now().Add(30 * time.Second)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				control := fmt.Sprintf("C%s-%d-%d", cycle, g, i)
				rs, err := s.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{crashMsg(control)}, DedupeWindow: time.Hour})
				if err != nil {
					fmt.Fprintln(os.Stderr, "child:", err)
					os.Exit(2)
				}
				say("R %d %s", rs[0].ID, control)
			}
		})
	}
	wg.Go(func() {
		for time.Now().Before(deadline) {
			res, err := s.Claim(ctx, store.ClaimRequest{Channel: "adt-in", Destination: "ehr", Owner: "child/ehr",
				Lease: time.Minute, Max: 10})
			if err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				os.Exit(2)
			}
			if len(res.Entries) == 0 {
				time.Sleep(time.Millisecond)
				continue
			}
			var outs []store.Outcome
			for _, e := range res.Entries {
				outs = append(outs, store.Outcome{EntryID: e.ID, Token: e.Token, Kind: store.OutcomeSent, ResponseCode: "AA"})
			}
			errs, err := s.Record(ctx, outs)
			if err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				os.Exit(2)
			}
			for i, e := range errs {
				if e == nil {
					say("S %d", outs[i].EntryID)
				}
			}
		}
	})
	wg.Wait()
	s.Close()
}
