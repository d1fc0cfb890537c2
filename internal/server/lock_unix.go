//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package server

import (
	"errors"
	"os"
	"syscall"
)

// errLocked reports a lock held by another process.
var errLocked = errors.New("the lock is held")

// lockFile takes an exclusive flock on f without waiting. flock locks are separate from the
// POSIX record locks SQLite takes on the database, so the two never interfere.
func lockFile(f *os.File) error {
	var err error
	for range 100 { // a signal may interrupt the call (EINTR); it does not wait otherwise
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return errLocked
		}
		return err
	}
	return err
}

func unlockFile(f *os.File) error { return syscall.Flock(int(f.Fd()), syscall.LOCK_UN) }
