package sqlite

import (
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/courier-hl7/courier/internal/store"
)

// TestAcknowledgedSurvivesPowerLoss is RELIABILITY test 2 in the form this machine allows
// (no device mapper, no fault-injecting file system): at each fsync of the WAL, the test
// copies the database and WAL files as they are — what a power loss just after that fsync
// leaves on disk, since SQLite writes before it syncs and the store answers only after the
// sync. After every Receive returns (the moment the engine acknowledges), the copy made by
// the last fsync that completed before it is opened as a database of its own: the message
// must be there. A store that answered before its fsync, or synced before SQLite wrote the
// commit, fails.
func TestAcknowledgedSurvivesPowerLoss(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "courier.db")
	var (
		mu    sync.Mutex
		n     int
		snaps []string // snapshots of completed fsyncs, in order
	)
	copyFile := func(from, to string) error {
		in, err := os.Open(from)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(to)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	}
	orig := syncWAL
	syncWAL = func(f *os.File) error {
		mu.Lock()
		n++
		snap := filepath.Join(dir, fmt.Sprintf("snap%03d", n))
		mu.Unlock()
		if err := os.Mkdir(snap, 0o700); err != nil {
			return err
		}
		for _, name := range []string{"courier.db", "courier.db-wal"} {
			if err := copyFile(filepath.Join(dir, name), filepath.Join(snap, name)); err != nil {
				return err
			}
		}
		err := orig(f)
		mu.Lock()
		snaps = append(snaps, snap)
		mu.Unlock()
		return err
	}
	t.Cleanup(func() { syncWAL = orig })

	s, err := Open(ctx, path, Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := range 20 {
		control := fmt.Sprintf("PL%02d", i)
		if _, err := s.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{newMsg(control, "ehr")}}); err != nil {
			t.Fatal(err)
		}
		// Acknowledged: a power loss now leaves at most what the last completed fsync covered.
		mu.Lock()
		if len(snaps) == 0 {
			mu.Unlock()
			t.Fatalf("%s acknowledged before any fsync of the WAL", control)
		}
		last := snaps[len(snaps)-1]
		mu.Unlock()
		db, err := sql.Open("sqlite", "file:"+filepath.Join(last, "courier.db"))
		if err != nil {
			t.Fatal(err)
		}
		var got int
		err = db.QueryRow(`SELECT count(*) FROM messages m JOIN contents c ON c.id = m.id
			JOIN entries e ON e.message_id = m.id WHERE m.control_id = ?`, control).Scan(&got)
		db.Close()
		if err != nil || got != 1 {
			t.Fatalf("after the acknowledgement of %s, the files as the last fsync left them (%s) hold %d copies of it with content and entry (%v), want 1", control, filepath.Base(last), got, err)
		}
	}
}
