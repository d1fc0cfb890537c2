//go:build !unix

package mllp

import (
	"io"
	"net"
	"syscall"
)

// rawConnOf returns nil: outside Unix the Reader holds a buffer while it waits for data.
func rawConnOf(io.Reader) syscall.RawConn { return nil }

func (r *Reader) rawRead(uintptr) bool { return true }

// probe cannot look at an idle socket without reading it outside Unix; a dead connection
// is found by the next write or read instead.
type probe struct{}

func newProbe(net.Conn) *probe { return nil }

func (*probe) check() string { return "" }

func (*probe) peeked() byte { return 0 }
