//go:build unix

package mllp

import (
	"syscall"
	"testing"
)

// raiseFileLimit lifts the soft limit on open files to what n connections need, up to the
// hard limit, or skips the test.
func raiseFileLimit(tb testing.TB, n int) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		tb.Skipf("getrlimit: %v", err)
	}
	want := uint64(n + 256)
	if lim.Cur >= want {
		return
	}
	lim.Cur = min(want, lim.Max)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < want {
		tb.Skipf("%d connections need %d open files; the limit is %d (%v)", n, want, lim.Cur, err)
	}
}
