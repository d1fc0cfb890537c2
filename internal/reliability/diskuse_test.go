package reliability

import (
	"os"
	"testing"
	"time"
)

// walLimit bounds the write-ahead log: twice the store's journal_size_limit of 32 MiB
// (docs/format/store.md), the size SQLite cuts the WAL back to when it restarts it from the
// beginning after a complete checkpoint; the checkpointer restarts it once it holds 8 MiB.
const walLimit = 64 << 20

// TestStoreFilesBounded: under a sustained stream, the store's files grow with the data,
// not with time. docs/format/store.md says the checkpointer keeps the WAL restarting from
// its beginning, with a journal_size_limit of 32 MiB. A WAL that never restarts fills the
// disk long before the data does (test 4 then happens by itself), and makes every restart
// replay it (test 1's restart time). Sixteen senders stream for 10 s (5 s with -short); the
// WAL is sampled every half second and must stay within 64 MiB, and once the stream stops and the queue
// has drained it must be back within the limit.
func TestStoreFilesBounded(t *testing.T) {
	stream := 10 * time.Second
	if testing.Short() {
		stream = 5 * time.Second
	}
	rcv := newReceiver(t, "ehr")
	c := newCourier(t, config{Dests: []destConfig{{Name: "ehr", Port: rcv.port()}}}, "")
	c.start()
	s := startSenders(t, c.addr, senderOpts{Prefix: "W", N: 16, Keys: 200})
	size := func(p string) int64 {
		fi, err := os.Stat(p)
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	var maxWAL int64
	var over time.Duration
	begin := time.Now()
	for time.Since(begin) < stream {
		time.Sleep(500 * time.Millisecond)
		w := size(c.dbPath + "-wal")
		if w > walLimit && over == 0 {
			over = time.Since(begin)
		}
		maxWAL = max(maxWAL, w)
	}
	s.Stop()
	f := check(t, c, s, checkSpec{Drain: time.Minute, Targets: []target{{R: rcv}}})
	time.Sleep(3 * time.Second) // the checkpointer's turn, with nothing arriving
	idleWAL, db := size(c.dbPath+"-wal"), size(c.dbPath)
	if maxWAL > walLimit {
		t.Errorf("the WAL grew to %d MiB while streaming (past the %d MiB limit after %v); the database is %d MiB",
			maxWAL>>20, walLimit>>20, over.Round(time.Second), db>>20)
	}
	if idleWAL > walLimit {
		t.Errorf("the WAL is still %d MiB 3 s after the queue drained (limit %d MiB)", idleWAL>>20, walLimit>>20)
	}
	if _, err := c.term(30 * time.Second); err != nil {
		t.Errorf("courier exited with %v after SIGTERM, want status 0", err)
	}
	t.Logf("figures: %v of 16 senders: largest WAL %d MiB, %d MiB once idle; database %d MiB; %v",
		stream, maxWAL>>20, idleWAL>>20, db>>20, f)
}
