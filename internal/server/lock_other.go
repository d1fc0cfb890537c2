//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package server

import (
	"errors"
	"os"
)

// errLocked reports a lock held by another process.
var errLocked = errors.New("the lock is held")

// lockFile does nothing where flock is not available: there, a second serve on the same
// store is not detected.
func lockFile(*os.File) error { return nil }

func unlockFile(*os.File) error { return nil }
