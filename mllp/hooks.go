package mllp

import (
	"crypto/tls"
	"errors"
	"net"
	"os"
)

// ConnInfo identifies a connection in hooks and requests.
type ConnInfo struct {
	// ID numbers the connections of one Server or Client from 1, for logs and correlation.
	ID         uint64
	RemoteAddr net.Addr
	LocalAddr  net.Addr
	// TLS is the state of the TLS connection after its handshake, or nil for plain TCP.
	// It must not be modified.
	TLS *tls.ConnectionState
}

// ErrorKind names a class of failure for metrics: a small fixed set, safe as a label value.
type ErrorKind string

// The error kinds reported to Hooks.OnError.
const (
	KindFrameTooLarge   ErrorKind = "frame_too_large"   // a frame exceeded MaxFrameSize
	KindUnexpectedStart ErrorKind = "unexpected_start"  // a start block inside a frame
	KindUnexpectedEOF   ErrorKind = "unexpected_eof"    // the connection closed inside a frame
	KindMissingTrailer  ErrorKind = "missing_trailer"   // 0x1C not followed by 0x0D
	KindReadTimeout     ErrorKind = "read_timeout"      // a frame did not arrive whole in time
	KindIdleTimeout     ErrorKind = "idle_timeout"      // no frame began in time
	KindWriteTimeout    ErrorKind = "write_timeout"     // a response or message could not be written in time
	KindRead            ErrorKind = "read"              // another read error (reset, ...)
	KindWrite           ErrorKind = "write"             // another write error
	KindTLSHandshake    ErrorKind = "tls_handshake"     // a TLS handshake failed
	KindHandler         ErrorKind = "handler"           // the Handler returned an error or a bad response
	KindHandlerPanic    ErrorKind = "handler_panic"     // the Handler panicked
	KindConnLimit       ErrorKind = "conn_limit"        // a connection over MaxConns was refused
	KindConnLimitPerIP  ErrorKind = "conn_limit_per_ip" // a connection over MaxConnsPerIP was refused
	KindDial            ErrorKind = "dial"              // the Client could not connect
	KindACKTimeout      ErrorKind = "ack_timeout"       // no acknowledgement in time
	KindStaleResponse   ErrorKind = "stale_response"    // MSA-2 did not match the MSH-10 sent
	KindBadResponse     ErrorKind = "bad_response"      // a response without a usable MSA segment
	KindCommitNAK       ErrorKind = "commit_nak"        // an MLLP Release 2 negative commit acknowledgement
	KindUnsolicited     ErrorKind = "unsolicited"       // bytes arrived on an idle client connection
)

// Hooks receive events for metrics. Every field is optional. They are called synchronously
// from connection goroutines, concurrently, so they must be fast and safe for concurrent use;
// a counter increment is what they are for. They never receive message content.
type Hooks struct {
	// OnConnOpen is called when a connection is ready to carry messages (after its TLS
	// handshake).
	OnConnOpen func(ConnInfo)
	// OnConnClose is called once for each connection OnConnOpen was called for.
	OnConnClose func(ConnInfo)
	// OnConnReject is called when a server closes a connection at once because it is over
	// a limit (ErrTooManyConns, ErrTooManyConnsPerIP) or failed its TLS handshake.
	OnConnReject func(remote net.Addr, reason error)
	// OnFrameIn is called for each frame received, with its payload size in bytes.
	OnFrameIn func(size int)
	// OnFrameOut is called for each frame sent, with its payload size in bytes.
	OnFrameOut func(size int)
	// OnDiscard is called with the number of bytes dropped outside frames or with dropped
	// frames (see Reader.Discarded).
	OnDiscard func(n int)
	// OnError is called once for each failure, with its kind.
	OnError func(kind ErrorKind)
}

func (h *Hooks) connOpen(ci ConnInfo) {
	if h.OnConnOpen != nil {
		h.OnConnOpen(ci)
	}
}

func (h *Hooks) connClose(ci ConnInfo) {
	if h.OnConnClose != nil {
		h.OnConnClose(ci)
	}
}

func (h *Hooks) connReject(a net.Addr, err error) {
	if h.OnConnReject != nil {
		h.OnConnReject(a, err)
	}
}

func (h *Hooks) frameIn(n int) {
	if h.OnFrameIn != nil {
		h.OnFrameIn(n)
	}
}

func (h *Hooks) frameOut(n int) {
	if h.OnFrameOut != nil {
		h.OnFrameOut(n)
	}
}

func (h *Hooks) discard(n int64) {
	if n > 0 && h.OnDiscard != nil {
		h.OnDiscard(int(n))
	}
}

func (h *Hooks) error(k ErrorKind) {
	if h.OnError != nil {
		h.OnError(k)
	}
}

// readErrorKind classifies an error returned by Reader.ReadFrame on a connection.
func readErrorKind(err error, inFrame bool) ErrorKind {
	switch {
	case errors.Is(err, ErrFrameTooLarge):
		return KindFrameTooLarge
	case errors.Is(err, ErrUnexpectedStart):
		return KindUnexpectedStart
	case errors.Is(err, ErrUnexpectedEOF):
		return KindUnexpectedEOF
	case errors.Is(err, ErrMissingTrailer):
		return KindMissingTrailer
	case errors.Is(err, os.ErrDeadlineExceeded) && inFrame:
		return KindReadTimeout
	case errors.Is(err, os.ErrDeadlineExceeded):
		return KindIdleTimeout
	}
	return KindRead
}
