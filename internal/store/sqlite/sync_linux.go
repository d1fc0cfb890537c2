package sqlite

import (
	"os"
	"syscall"
)

// syncData flushes f's data and the metadata needed to read it back (its size), with
// fdatasync(2). SQLite reuses its WAL file from the start after a checkpoint, so most syncs
// change no metadata and skip the file system's journal, which fsync would commit for the
// modification time.
func syncData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			if err != nil {
				return &os.PathError{Op: "fdatasync", Path: f.Name(), Err: err}
			}
			return nil
		}
	}
}
