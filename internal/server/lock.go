package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// errStoreInUse is the cause when another `courier serve` runs on the same store.
var errStoreInUse = errors.New("the store is in use by another courier serve")

// storeLock is the exclusive lock `courier serve` holds on its store while it runs.
//
// The SQLite store serves one node. Two serve processes on one database would each take
// the node name kept in the file node-id, and the second one, starting, would take back the
// first one's live leases as if they were left by a crash: the entries in flight would be
// sent twice and a strict queue would be delivered out of order. The lock refuses the
// second process instead. `courier messages` does not take it: it works beside a running
// Courier, through SQLite's own locking.
type storeLock struct {
	f    *os.File
	path string
}

// lockStore takes the lock file beside the store's database (the database's name with
// ".lock"), creating it and its folder if needed, and writes this process's ID into it so
// that a refused process can name the one that holds it. The kernel releases the lock when
// the process ends, however it ends; the file itself stays.
func lockStore(storePath string) (*storeLock, error) {
	path := storePath + ".lock"
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("lock the store: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("lock the store: %w", err)
	}
	if err := lockFile(f); err != nil {
		holder := ""
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil {
				holder = fmt.Sprintf(" (process %d)", pid)
			}
		}
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("%w%s, which holds %s: stop it first, or give each Courier its own server.data_dir or store.path: %w",
				errStoreInUse, holder, path, err)
		}
		return nil, fmt.Errorf("lock the store with %s: %w", path, err)
	}
	// The process ID is only a hint for the message above; the lock is what counts.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &storeLock{f: f, path: path}, nil
}

// release gives the lock up. The file is kept: removing it would let a process that opened
// it before the removal and one that creates it again each hold a lock.
func (l *storeLock) release() {
	if l == nil {
		return
	}
	_ = unlockFile(l.f)
	_ = l.f.Close()
}
