package mllp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Server and Client settings left at zero.
const (
	DefaultAddr          = ":2575"
	DefaultReadTimeout   = 30 * time.Second
	DefaultIdleTimeout   = 10 * time.Minute
	DefaultWriteTimeout  = 30 * time.Second
	DefaultMaxConns      = 1000
	DefaultMaxConnsPerIP = 100
)

var (
	// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or Close.
	ErrServerClosed = errors.New("mllp: server closed")
	// ErrCloseConn, returned (or wrapped) by a Handler, closes the connection after the
	// response, if any, is written.
	ErrCloseConn = errors.New("mllp: close the connection")
	// ErrTooManyConns is the reason given to Hooks.OnConnReject for a connection over
	// MaxConns.
	ErrTooManyConns = errors.New("mllp: too many connections")
	// ErrTooManyConnsPerIP is the reason given to Hooks.OnConnReject for a connection over
	// MaxConnsPerIP.
	ErrTooManyConnsPerIP = errors.New("mllp: too many connections from one address")
)

// A Handler answers the messages a Server receives.
//
// ServeMLLP is called once for each message, with the bytes between the framing. It returns
// the response to write back (typically an HL7 acknowledgement, without framing), or nil to
// write nothing. On one connection, calls are made one at a time in arrival order unless
// Server.MaxInFlight allows more; responses are always written in arrival order.
//
// A non-nil error means the message was not accepted: it is logged with the connection id
// and the message control id (never the body) and counted as KindHandler. The response, if
// not nil, is still written, so that a handler can return an AE or AR acknowledgement
// together with the reason. With Server.CommitAcks the error turns the commit
// acknowledgement into a negative one (0x15) and the response is dropped. An error wrapping
// ErrCloseConn closes the connection after the response is written. A panic is recovered,
// logged with its stack, and handled like an error that closes the connection.
//
// The context is cancelled when the server is closed (Close, or Shutdown running out of
// time); Shutdown lets running handlers finish.
type Handler interface {
	ServeMLLP(ctx context.Context, req *Request) ([]byte, error)
}

var _ Handler = HandlerFunc(nil)

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, req *Request) ([]byte, error)

// ServeMLLP calls f.
func (f HandlerFunc) ServeMLLP(ctx context.Context, req *Request) ([]byte, error) {
	return f(ctx, req)
}

// Request is one message received by a Server.
type Request struct {
	// Frame is the message, without framing. The handler owns it and may keep it.
	Frame []byte
	// Conn identifies the connection: id, addresses and TLS state (peer certificates).
	Conn ConnInfo
	// Seq numbers the messages of one connection from 1.
	Seq uint64
	// Received is when the last byte of the frame was read.
	Received time.Time
}

// Server accepts MLLP connections and passes each message to its Handler.
//
// Every setting has a safe default when left at zero; a negative duration or count turns
// that limit off. A Server must not be copied after first use, and its fields must not be
// changed while it serves.
type Server struct {
	// Addr is the TCP address ListenAndServe listens on; DefaultAddr (":2575") when empty.
	Addr string
	// Handler answers messages. Required.
	Handler Handler
	// TLSConfig, when set, makes the server speak MLLP over TLS ("MLLPS"). Build it with
	// ServerTLS; its GetCertificate may serve certificates reloaded from disk (CertReloader).
	TLSConfig *tls.Config

	// Framing is the framing spoken; zero means DefaultFraming.
	Framing Framing
	// Lenient accepts 0x1C without 0x0D as the end of a frame and resynchronises on a start
	// block inside a frame; see Reader. Strict (the default) closes the connection on any
	// framing error.
	Lenient bool
	// MaxFrameSize is the largest message accepted, in bytes; DefaultMaxFrameSize when zero.
	// A larger frame is refused (see Reject) and the connection closed.
	MaxFrameSize int

	// ReadTimeout bounds the time from the first byte of a frame to its last, and the TLS
	// handshake; DefaultReadTimeout (30 s) when zero. It closes slow ("slowloris") senders.
	ReadTimeout time.Duration
	// IdleTimeout bounds the wait for the next frame to begin; DefaultIdleTimeout (10 min)
	// when zero. Bytes outside frames do not extend it; empty frames (keep-alives) do.
	IdleTimeout time.Duration
	// WriteTimeout bounds the writing of each response; DefaultWriteTimeout when zero.
	//
	// Each of these timeouts fires no earlier than asked and at most a sixteenth of itself
	// later (30 s: by 31.9 s), which lets a busy connection keep its deadlines over many
	// messages instead of moving them at every one.
	WriteTimeout time.Duration

	// MaxConns bounds open connections; DefaultMaxConns when zero. Connections over the
	// limit are accepted and closed at once.
	MaxConns int
	// MaxConnsPerIP bounds open connections from one IP address; DefaultMaxConnsPerIP when
	// zero.
	MaxConnsPerIP int
	// MaxInFlight is how many messages of one connection may be handled at the same time; 1
	// when zero. Above 1, the server reads ahead (pipelining) and runs handlers concurrently,
	// still writing responses in arrival order.
	MaxInFlight int

	// CommitAcks turns on MLLP Release 2: after the handler returns, the server writes a
	// commit acknowledgement block (0x0B 0x06 0x1C 0x0D) followed by the response, or a
	// negative one (0x0B 0x15 0x1C 0x0D) alone if the handler failed. Commit blocks received
	// from the peer (for responses it committed) are consumed in either mode, never passed to
	// the handler.
	CommitAcks bool

	// Reject, when set, is called for a frame refused because it exceeds MaxFrameSize
	// (err wraps ErrFrameTooLarge), before the connection is closed. req.Frame holds the
	// first bytes of the frame (up to 16 KiB: enough to read the MSH segment); the returned
	// bytes, typically an AR acknowledgement, are written before closing, or nothing if nil.
	Reject func(ctx context.Context, req *Request, err error) []byte

	// Hooks receive connection, frame and error events for metrics.
	Hooks Hooks
	// Logger receives connection events and errors; nothing is logged when nil.
	Logger *slog.Logger

	mu         sync.Mutex
	started    bool
	listeners  map[net.Listener]struct{}
	conns      map[*serverConn]struct{}
	perIP      map[netip.Addr]int
	inShutdown atomic.Bool
	nextID     atomic.Uint64
	ctx        context.Context
	cancel     context.CancelFunc
	cfg        serverConfig
}

// serverConfig holds the settings in effect, defaults applied.
type serverConfig struct {
	readTimeout, idleTimeout, writeTimeout time.Duration
	maxConns, maxPerIP, maxInFlight        int
}

// Validate reports a setting the server cannot run with. It does no I/O.
func (s *Server) Validate() error {
	var errs []error
	if s.Handler == nil {
		errs = append(errs, errors.New("mllp: server has no Handler"))
	}
	if err := s.Framing.Validate(); err != nil {
		errs = append(errs, err)
	}
	if s.MaxFrameSize < 0 {
		errs = append(errs, fmt.Errorf("mllp: MaxFrameSize %d is negative", s.MaxFrameSize))
	}
	if s.MaxInFlight < 0 {
		errs = append(errs, fmt.Errorf("mllp: MaxInFlight %d is negative", s.MaxInFlight))
	}
	if s.TLSConfig != nil && s.TLSConfig.Certificates == nil && s.TLSConfig.GetCertificate == nil && s.TLSConfig.GetConfigForClient == nil {
		errs = append(errs, errors.New("mllp: TLSConfig has no certificate"))
	}
	return errors.Join(errs...)
}

func orDefault[T int | time.Duration](v, def T) T {
	switch {
	case v == 0:
		return def
	case v < 0:
		return 0 // off
	}
	return v
}

// start initialises the server state once.
func (s *Server) start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return
	}
	s.started = true
	s.listeners = make(map[net.Listener]struct{})
	s.conns = make(map[*serverConn]struct{})
	s.perIP = make(map[netip.Addr]int)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.cfg = serverConfig{
		readTimeout:  orDefault(s.ReadTimeout, DefaultReadTimeout),
		idleTimeout:  orDefault(s.IdleTimeout, DefaultIdleTimeout),
		writeTimeout: orDefault(s.WriteTimeout, DefaultWriteTimeout),
		maxConns:     orDefault(s.MaxConns, DefaultMaxConns),
		maxPerIP:     orDefault(s.MaxConnsPerIP, DefaultMaxConnsPerIP),
		maxInFlight:  max(s.MaxInFlight, 1),
	}
}

func (s *Server) logger() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return discardLogger
}

var discardLogger = slog.New(slog.DiscardHandler)

// ListenAndServe listens on Addr and serves until Shutdown or Close, which make it return
// ErrServerClosed.
func (s *Server) ListenAndServe() error {
	if err := s.Validate(); err != nil {
		return err
	}
	addr := s.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("mllp: listen on %s: %w", addr, err)
	}
	return s.Serve(l)
}

// Serve accepts connections on l and serves each in its own goroutine, over TLS when
// TLSConfig is set. It closes l when it returns, which is after Shutdown or Close
// (ErrServerClosed) or on an accept error that is not temporary.
func (s *Server) Serve(l net.Listener) error {
	if err := s.Validate(); err != nil {
		l.Close()
		return err
	}
	s.start()
	s.mu.Lock()
	if s.inShutdown.Load() {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		l.Close()
	}()
	s.logger().Info("mllp: listening", "addr", l.Addr().String(), "tls", s.TLSConfig != nil)

	var delay time.Duration
	for {
		rwc, err := l.Accept()
		if err != nil {
			if s.inShutdown.Load() {
				return ErrServerClosed
			}
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				// Out of file descriptors or similar: wait instead of spinning.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.logger().Warn("mllp: accept failed; retrying", "error", err, "retry_in", delay)
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("mllp: accept on %s: %w", l.Addr(), err)
		}
		delay = 0
		s.admit(rwc)
	}
}

// admit registers a new connection and starts serving it, or closes it at once when a limit
// is reached.
func (s *Server) admit(rwc net.Conn) {
	ip := ipOf(rwc.RemoteAddr())
	s.mu.Lock()
	var reason error
	switch {
	case s.inShutdown.Load():
		reason = ErrServerClosed
	case s.cfg.maxConns > 0 && len(s.conns) >= s.cfg.maxConns:
		reason = ErrTooManyConns
	case s.cfg.maxPerIP > 0 && s.perIP[ip] >= s.cfg.maxPerIP:
		reason = ErrTooManyConnsPerIP
	}
	if reason != nil {
		s.mu.Unlock()
		s.logger().Debug("mllp: connection refused", "remote", rwc.RemoteAddr().String(), "reason", reason)
		switch reason {
		case ErrTooManyConns:
			s.Hooks.error(KindConnLimit)
		case ErrTooManyConnsPerIP:
			s.Hooks.error(KindConnLimitPerIP)
		}
		s.Hooks.connReject(rwc.RemoteAddr(), reason)
		rwc.Close()
		return
	}
	c := &serverConn{s: s, raw: rwc, conn: rwc, ip: ip}
	c.info = ConnInfo{ID: s.nextID.Add(1), RemoteAddr: rwc.RemoteAddr(), LocalAddr: rwc.LocalAddr()}
	s.conns[c] = struct{}{}
	s.perIP[ip]++
	s.mu.Unlock()
	go c.serve()
}

// ipOf returns the IP address connections are counted by.
func ipOf(a net.Addr) netip.Addr {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// Shutdown stops the server gracefully: it closes the listeners, closes connections that
// are waiting for or reading a message (a partly received message is dropped unacknowledged,
// so the sender will resend it), lets running handlers finish and their responses be
// written, and returns when every connection is closed. If ctx ends first, Shutdown closes
// everything as Close does and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.start()
	s.mu.Lock()
	s.inShutdown.Store(true)
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.interrupt()
	}
	s.mu.Unlock()

	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == 0 {
			s.cancel()
			return nil
		}
		select {
		case <-ctx.Done():
			s.Close()
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Close closes the listeners and every connection at once, and cancels the context of
// running handlers. Responses not yet written are lost; Shutdown is the graceful way.
func (s *Server) Close() error {
	s.start()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inShutdown.Store(true)
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.raw.Close()
	}
	s.cancel()
	return nil
}

// serverConn is the server side of one connection.
type serverConn struct {
	s    *Server
	raw  net.Conn // as accepted; safe to close or interrupt from other goroutines
	conn net.Conn // raw, or the TLS connection over it
	ip   netip.Addr
	info ConnInfo
	rd   *Reader
	wr   *Writer

	opened       bool
	seq          uint64
	discarded    int64
	idleSet      bool // the idle deadline of the current wait is set
	frameSet     bool // the deadline of the current frame is set
	readDL       lazyDeadline
	writeDL      lazyDeadline // used by whichever goroutine writes responses
	writerFailed atomic.Bool
}

// deadlineSlack is how much later than asked, as a fraction of the timeout (1/deadlineSlack),
// a deadline may be set. Moving a deadline updates a runtime timer under a lock, which on a
// busy connection costs more per message than framing it; with the slack, a connection that
// carries one message after another moves its deadlines once every timeout/deadlineSlack
// instead of at every message. A timeout thus never fires early, and at most 1/16 of itself
// late: 30 s becomes at most 31.9 s.
const deadlineSlack = 16

// lazyDeadline remembers the deadline last set on one direction of a connection (or both),
// so that a new one is set only when the one in effect would not do. The zero value means no
// deadline is set, as on a new connection. A deadline set on the connection behind its back
// (Shutdown's interrupt, a client's cancelled context) leaves it wrong, which is harmless: both
// end the connection.
type lazyDeadline struct{ at time.Time }

// after returns the deadline for a timeout of d from now (none when d ≤ 0) and whether it
// must be set: not when the deadline in effect is no earlier than now+d and at most
// d/deadlineSlack later. A deadline it sets carries that slack, so the next calls within
// d/deadlineSlack keep it.
func (l *lazyDeadline) after(now time.Time, d time.Duration) (time.Time, bool) {
	if d <= 0 {
		return time.Time{}, l.exactly(time.Time{})
	}
	want := now.Add(d)
	if !l.at.IsZero() && !l.at.Before(want) && l.at.Sub(want) <= d/deadlineSlack {
		return l.at, false
	}
	l.at = want.Add(d / deadlineSlack)
	return l.at, true
}

// exactly records t as the deadline and reports whether it differs from the one in effect.
func (l *lazyDeadline) exactly(t time.Time) bool {
	if l.at.Equal(t) {
		return false
	}
	l.at = t
	return true
}

// errStop tells the read loop to stop quietly: the server is shutting down.
var errStop = errors.New("mllp: stopping")

// aLongTimeAgo is a deadline in the past, which makes blocked reads return at once.
var aLongTimeAgo = time.Unix(1, 0)

// interrupt wakes a read blocked on the connection so that the read loop sees the shutdown.
func (c *serverConn) interrupt() { c.raw.SetReadDeadline(aLongTimeAgo) }

func (c *serverConn) serve() {
	s := c.s
	log := s.logger()
	defer func() {
		c.conn.Close()
		s.mu.Lock()
		delete(s.conns, c)
		if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
			delete(s.perIP, c.ip)
		}
		s.mu.Unlock()
		if c.opened {
			s.Hooks.connClose(c.info)
			log.Debug("mllp: connection closed", "conn", c.info.ID, "remote", c.info.RemoteAddr.String(), "messages", c.seq)
		}
	}()

	if s.TLSConfig != nil {
		tc := tls.Server(c.raw, s.TLSConfig)
		c.conn = tc
		if d := s.cfg.readTimeout; d > 0 {
			tc.SetDeadline(time.Now().Add(d))
		}
		if s.inShutdown.Load() {
			return
		}
		if err := tc.HandshakeContext(s.ctx); err != nil {
			if s.inShutdown.Load() {
				return
			}
			// An audit event: who tried to connect and why they were refused. A peer that
			// closed before sending a byte (a load balancer's health check, a port scan) is
			// no refusal: it is logged at debug, and still counted.
			level := slog.LevelWarn
			if errors.Is(err, io.EOF) {
				level = slog.LevelDebug
			}
			log.Log(s.ctx, level, "mllp: TLS handshake failed", "conn", c.info.ID, "remote", c.info.RemoteAddr.String(), "error", err)
			s.Hooks.error(KindTLSHandshake)
			s.Hooks.connReject(c.info.RemoteAddr, err)
			return
		}
		tc.SetDeadline(time.Time{})
		cs := tc.ConnectionState()
		c.info.TLS = &cs
	}

	c.opened = true
	s.Hooks.connOpen(c.info)
	log.Debug("mllp: connection opened", "conn", c.info.ID, "remote", c.info.RemoteAddr.String())
	c.rd = NewReader(c.conn, ReaderOptions{Framing: s.Framing, MaxFrameSize: s.MaxFrameSize, Lenient: s.Lenient})
	c.rd.before = c.beforeRead
	c.wr = NewWriter(c.conn, s.Framing)
	if s.cfg.maxInFlight > 1 {
		c.servePipelined(s.cfg.maxInFlight)
	} else {
		c.serveSequential()
	}
}

func (c *serverConn) serveSequential() {
	for {
		req, err := c.readNext()
		if err != nil {
			c.readFailed(err)
			return
		}
		resp, herr := c.s.handle(req)
		if !c.respond(req, resp, herr) {
			return
		}
	}
}

// pending is a message being handled while later ones are read (pipelining).
type pending struct {
	req  *Request
	resp []byte
	err  error
	done chan struct{}
}

// servePipelined reads ahead and runs up to n handlers at once; a writer goroutine writes the
// responses in arrival order.
func (c *serverConn) servePipelined(n int) {
	queue := make(chan *pending, n-1) // with the one the writer waits for: n in flight
	written := make(chan struct{})
	go func() {
		defer close(written)
		ok := true
		for p := range queue {
			<-p.done
			if ok && !c.respond(p.req, p.resp, p.err) {
				ok = false
				c.writerFailed.Store(true)
				c.raw.Close() // wakes the reader
			}
		}
	}()
	var rerr error
	for !c.writerFailed.Load() {
		req, err := c.readNext()
		if err != nil {
			rerr = err
			break
		}
		p := &pending{req: req, done: make(chan struct{})}
		queue <- p
		go func() {
			p.resp, p.err = c.s.handle(p.req)
			close(p.done)
		}()
	}
	close(queue)
	<-written
	if rerr != nil && !c.writerFailed.Load() {
		c.readFailed(rerr)
	}
}

// readNext returns the next message, skipping keep-alives (empty frames) and commit blocks.
func (c *serverConn) readNext() (*Request, error) {
	for {
		if c.s.inShutdown.Load() {
			return nil, errStop
		}
		c.idleSet, c.frameSet = false, false
		frame, err := c.rd.ReadFrame()
		if d := c.rd.Discarded(); d != c.discarded {
			c.s.Hooks.discard(d - c.discarded)
			c.discarded = d
		}
		if err != nil {
			return nil, err
		}
		c.s.Hooks.frameIn(len(frame))
		if len(frame) == 0 || len(frame) == 1 && (frame[0] == CommitACK || frame[0] == CommitNAK) {
			continue
		}
		c.seq++
		return &Request{Frame: bytes.Clone(frame), Conn: c.info, Seq: c.seq, Received: time.Now()}, nil
	}
}

// beforeRead sets the read deadline: IdleTimeout while waiting for a frame to begin,
// ReadTimeout from the first read inside a frame. Each is set once per wait or frame, so
// bytes trickled in do not extend it.
func (c *serverConn) beforeRead(inFrame bool) error {
	var d time.Duration
	if inFrame {
		if c.frameSet {
			return nil
		}
		c.frameSet = true
		d = c.s.cfg.readTimeout
	} else {
		if c.idleSet {
			return nil
		}
		c.idleSet = true
		d = c.s.cfg.idleTimeout
	}
	var now time.Time
	if d > 0 {
		now = time.Now()
	}
	if t, set := c.readDL.after(now, d); set {
		c.conn.SetReadDeadline(t)
	}
	// Shutdown may have interrupted the read just before this deadline replaced its own.
	// (When the deadline is kept, an interrupt stays in effect and the read returns at once.)
	if c.s.inShutdown.Load() {
		return errStop
	}
	return nil
}

// readFailed logs and counts the error that ended the read loop.
func (c *serverConn) readFailed(err error) {
	s := c.s
	if err == errStop || err == io.EOF || s.inShutdown.Load() && (errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, net.ErrClosed)) {
		return
	}
	kind := readErrorKind(err, c.rd.inFrame)
	s.Hooks.error(kind)
	attrs := []any{"conn", c.info.ID, "remote", c.info.RemoteAddr.String(), "kind", string(kind), "error", err}
	var fe *FrameError
	switch {
	case errors.As(err, &fe):
		s.logger().Warn("mllp: framing error; closing the connection", attrs...)
		if errors.Is(err, ErrFrameTooLarge) {
			c.reject(err)
		}
	case kind == KindReadTimeout && c.rd.awaitingTrailer():
		// The sender ended the frame with 0x1C alone and waits for the answer: say so,
		// instead of blaming a slow sender.
		s.logger().Warn("mllp: frame ended with an end block but no trailer followed within ReadTimeout; closing the connection (if this sender ends frames without 0x0D, enable lenient framing for it)", attrs...)
	case kind == KindReadTimeout:
		s.logger().Warn("mllp: frame not received within ReadTimeout; closing the connection", attrs...)
	case kind == KindIdleTimeout:
		s.logger().Debug("mllp: idle connection closed", attrs...)
	default:
		s.logger().Debug("mllp: read failed", attrs...)
	}
}

// handle calls the handler, turning a panic into an error.
func (s *Server) handle(req *Request) (resp []byte, err error) {
	defer func() {
		if v := recover(); v != nil {
			s.Hooks.error(KindHandlerPanic)
			s.logger().Error("mllp: handler panicked", "conn", req.Conn.ID, "control_id", controlID(req.Frame), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			resp, err = nil, fmt.Errorf("mllp: handler panicked: %w", ErrCloseConn)
		}
	}()
	return s.Handler.ServeMLLP(s.ctx, req)
}

var (
	commitACK = []byte{CommitACK}
	commitNAK = []byte{CommitNAK}
)

// respond writes the answer to one message. It reports whether the connection stays open.
func (c *serverConn) respond(req *Request, resp []byte, herr error) bool {
	s := c.s
	keep := !errors.Is(herr, ErrCloseConn)
	// A bare ErrCloseConn only asks for the close; anything else is a failure.
	failed := herr != nil && herr != ErrCloseConn
	if failed {
		s.Hooks.error(KindHandler)
		s.logger().Warn("mllp: handler failed", "conn", c.info.ID, "seq", req.Seq,
			"control_id", controlID(req.Frame), "type", string(mshField(req.Frame, 9)), "error", herr)
	}
	if resp != nil {
		if err := checkPayload(resp, c.rd.f); err != nil {
			s.Hooks.error(KindHandler)
			s.logger().Error("mllp: handler returned a response that cannot be framed; closing the connection",
				"conn", c.info.ID, "seq", req.Seq, "control_id", controlID(req.Frame), "error", err)
			resp, keep, failed = nil, false, true
		}
	}
	var commit []byte
	if s.CommitAcks {
		commit = commitACK
		if failed {
			commit, resp = commitNAK, nil
		}
	}
	if commit == nil && resp == nil {
		return keep
	}
	if err := c.write(commit, resp); err != nil {
		return false
	}
	return keep
}

// write writes an optional commit block and an optional response within WriteTimeout.
func (c *serverConn) write(commit, resp []byte) error {
	s := c.s
	if d := s.cfg.writeTimeout; d > 0 {
		if t, set := c.writeDL.after(time.Now(), d); set {
			c.conn.SetWriteDeadline(t)
		}
	}
	first, p := commit, resp
	if p == nil {
		first, p = nil, commit
	}
	if err := c.wr.write(first, p); err != nil {
		kind := KindWrite
		if errors.Is(err, os.ErrDeadlineExceeded) {
			kind = KindWriteTimeout
		}
		s.Hooks.error(kind)
		s.logger().Debug("mllp: write failed", "conn", c.info.ID, "remote", c.info.RemoteAddr.String(), "error", err)
		return err
	}
	if commit != nil {
		s.Hooks.frameOut(len(commit))
	}
	if resp != nil {
		s.Hooks.frameOut(len(resp))
	}
	return nil
}

// Lingering after a rejection is bounded in time and bytes.
const (
	lingerTime  = time.Second
	lingerBytes = 4 << 20
)

// reject answers an oversized frame through Server.Reject, then half-closes the connection
// and reads (discarding) for a short while, so that a sender still writing its frame gets to
// read the answer instead of a connection reset.
func (c *serverConn) reject(err error) {
	s := c.s
	if s.Reject == nil {
		return
	}
	req := &Request{Frame: bytes.Clone(c.rd.head), Conn: c.info, Seq: c.seq + 1, Received: time.Now()}
	var resp []byte
	func() {
		defer func() {
			if v := recover(); v != nil {
				s.Hooks.error(KindHandlerPanic)
				s.logger().Error("mllp: Reject panicked", "conn", c.info.ID, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				resp = nil
			}
		}()
		resp = s.Reject(s.ctx, req, err)
	}()
	if resp == nil {
		return
	}
	if err := checkPayload(resp, c.rd.f); err != nil {
		s.Hooks.error(KindHandler)
		s.logger().Error("mllp: Reject returned a response that cannot be framed", "conn", c.info.ID, "error", err)
		return
	}
	if c.write(nil, resp) != nil {
		return
	}
	if cw, ok := c.conn.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	c.conn.SetReadDeadline(time.Now().Add(lingerTime))
	io.CopyN(io.Discard, c.conn, lingerBytes)
}
