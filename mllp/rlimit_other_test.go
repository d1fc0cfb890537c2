//go:build !unix

package mllp

import "testing"

// raiseFileLimit skips: the idle-connection measurement is written for Unix.
func raiseFileLimit(tb testing.TB, n int) {
	tb.Skip("the idle-connection measurement runs on Unix")
}
