//go:build unix

package mllp

import (
	"io"
	"net"
	"syscall"
)

// rawConnOf returns the raw connection under r when the Reader can wait on it for data
// without holding a buffer: a TCP or Unix socket.
func rawConnOf(r io.Reader) syscall.RawConn {
	var sc syscall.Conn
	switch c := r.(type) {
	case *net.TCPConn:
		sc = c
	case *net.UnixConn:
		sc = c
	default:
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return rc
}

// rawRead is the callback of syscall.RawConn.Read: it takes a buffer only to read, and gives
// it back when the socket has nothing, so that a goroutine parked on an idle connection holds
// no buffer. The runtime's poller calls it again when the socket becomes readable.
func (r *Reader) rawRead(fd uintptr) bool {
	if r.buf == nil {
		r.acquire(bufBase)
	}
	for {
		n, err := syscall.Read(int(fd), r.buf[r.w:])
		switch err {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			r.release()
			return false
		}
		if n < 0 {
			n = 0
		}
		r.rawN, r.rawErr = n, err
		return true
	}
}

// probe looks at an idle connection without blocking and without allocating, so that a
// client can check it before each message.
type probe struct {
	rc    syscall.RawConn
	fn    func(fd uintptr)
	state string
	b     [1]byte
}

// newProbe returns a probe of c, or nil if c is not a socket.
func newProbe(c net.Conn) *probe {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	p := &probe{rc: rc}
	p.fn = p.peek
	return p
}

func (p *probe) peek(fd uintptr) {
	n, _, err := syscall.Recvfrom(int(fd), p.b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	switch {
	case err == syscall.EAGAIN:
		p.state = ""
	case err != nil || n == 0:
		p.state = "closed"
	default:
		p.state = "unsolicited"
	}
}

// peeked returns the byte the last check found waiting, when it reported "unsolicited".
func (p *probe) peeked() byte { return p.b[0] }

// check reports whether the connection can still carry a request: "" if it can, "closed"
// if the peer closed it (or it failed), "unsolicited" if bytes nobody asked for are waiting
// (a late or unsolicited frame).
func (p *probe) check() string {
	if p == nil {
		return ""
	}
	if err := p.rc.Control(p.fn); err != nil {
		return "closed"
	}
	return p.state
}
