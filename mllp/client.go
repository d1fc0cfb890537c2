package mllp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Defaults of Client settings left at zero.
const (
	DefaultACKTimeout  = 30 * time.Second
	DefaultDialTimeout = 10 * time.Second
)

// DefaultBackoff is the reconnection schedule used for the zero fields of Client.Backoff:
// 100 ms, doubling up to 30 s, each delay shortened by up to 20 % at random.
var DefaultBackoff = Backoff{Min: 100 * time.Millisecond, Max: 30 * time.Second, Multiplier: 2, Jitter: 0.2}

var (
	// ErrClientClosed is returned by Send after Close.
	ErrClientClosed = errors.New("mllp: client closed")
	// ErrACKTimeout means no response arrived within Client.ACKTimeout. The connection is
	// closed, so a late response cannot be taken for the answer to the next message. Whether
	// the receiver got the message is unknown: resend it.
	ErrACKTimeout = errors.New("mllp: no acknowledgement within the ACK timeout")
	// ErrConnectTimeout means Client.ConnectTimeout ran out before a connection was made; the
	// error also carries the last attempt's. The message was not sent.
	ErrConnectTimeout = errors.New("mllp: no connection within the connect timeout")
	// ErrCommitNAK means the receiver answered with an MLLP Release 2 negative commit
	// acknowledgement (0x15): it did not commit the message, which should be resent. The
	// connection stays open.
	ErrCommitNAK = errors.New("mllp: negative commit acknowledgement (0x15): the receiver did not commit the message")
)

// Sentinel errors carried by ResponseError.
var (
	// ErrStaleResponse means MSA-2 of the response is not the MSH-10 of the message sent: the
	// response belongs to another message (a late or duplicate acknowledgement).
	ErrStaleResponse = errors.New("response acknowledges another message")
	// ErrNoMSA means the response has no MSA segment, or is not an HL7 message at all.
	ErrNoMSA = errors.New("response has no MSA segment")
	// ErrBadCode means MSA-1 is not one of AA, AE, AR, CA, CE, CR.
	ErrBadCode = errors.New("MSA-1 is not an acknowledgement code of table 0008")
	// ErrNoCommit means a Release 2 receiver sent something other than a commit block first.
	ErrNoCommit = errors.New("expected an MLLP Release 2 commit block")
)

// ResponseError reports a response that cannot be taken as the acknowledgement of the message
// sent. Send returns it with the Response as received; the connection is closed.
type ResponseError struct {
	Sent string // MSH-10 of the message sent
	Got  string // MSA-2 of the response, "" when absent
	Err  error  // ErrStaleResponse, ErrNoMSA, ErrBadCode or ErrNoCommit
}

func (e *ResponseError) Error() string {
	return fmt.Sprintf("mllp: response to message %q (MSA-2 %q): %v; the message should be resent", e.Sent, e.Got, e.Err)
}

func (e *ResponseError) Unwrap() error { return e.Err }

// Backoff is an exponential reconnection schedule with jitter. Zero fields take the value of
// DefaultBackoff; a negative Jitter turns jitter off.
type Backoff struct {
	Min        time.Duration // delay after the first failure
	Max        time.Duration // longest delay
	Multiplier float64       // growth per consecutive failure, at least 1
	Jitter     float64       // each delay is shortened by up to this fraction, at random (0..1)
}

// Delay returns the wait before connection attempt number attempt+1, after attempt
// consecutive failures (attempt ≥ 1): Min·Multiplier^(attempt−1), at most Max, minus a
// random fraction of up to Jitter of it. Jitter only shortens, so Max is never exceeded and
// clients that failed together spread out.
func (b Backoff) Delay(attempt int) time.Duration {
	b = b.withDefaults()
	d := float64(b.Min) * math.Pow(b.Multiplier, float64(max(attempt, 1)-1))
	d = min(d, float64(b.Max))
	d -= d * b.Jitter * rand.Float64()
	return time.Duration(d)
}

func (b Backoff) withDefaults() Backoff {
	def := DefaultBackoff
	if b.Min <= 0 {
		b.Min = def.Min
	}
	if b.Max <= 0 {
		b.Max = def.Max
	}
	b.Max = max(b.Max, b.Min)
	if b.Multiplier < 1 {
		b.Multiplier = def.Multiplier
	}
	switch {
	case b.Jitter == 0:
		b.Jitter = def.Jitter
	case b.Jitter < 0:
		b.Jitter = 0
	case b.Jitter > 1:
		b.Jitter = 1
	}
	return b
}

// A Dialer opens network connections; *net.Dialer is one.
type Dialer interface {
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Client sends messages to one MLLP receiver and waits for their acknowledgements, over
// persistent connections it reopens with backoff when they fail.
//
// A Client is safe for concurrent use: up to PoolSize messages are in flight at once, each on
// its own connection, one message at a time per connection. Set the fields before the first
// Send and do not change them afterwards.
type Client struct {
	// Addr is the receiver's host:port. Required.
	Addr string
	// TLSConfig, when set, makes the client speak MLLP over TLS. Build it with ClientTLS. When
	// its ServerName is empty, the host of Addr is verified.
	TLSConfig *tls.Config
	// Dialer opens connections; a *net.Dialer with TCP keep-alives when nil.
	Dialer Dialer
	// DialTimeout bounds each connection attempt, TLS handshake included;
	// DefaultDialTimeout when zero.
	DialTimeout time.Duration
	// ConnectTimeout bounds the time one Send spends getting a connection: its attempts and
	// the backoff waits between them. When it runs out, or the next attempt is not due
	// before it would, Send fails with the last attempt's error (a refused connection, say)
	// instead of trying on until its context ends. Zero: only the context bounds it.
	ConnectTimeout time.Duration
	// ACKTimeout bounds the time from writing a message to receiving its response;
	// DefaultACKTimeout when zero. When it expires the connection is closed. Like a Server's
	// timeouts, it fires no earlier than asked and at most a sixteenth of itself later.
	ACKTimeout time.Duration
	// RetryClosed sends a message once more, on a new connection, when the connection it
	// went out on turns out to have been closed by the receiver before any byte of an answer
	// came back: a reused connection, and a read that met the end of the stream or a reset
	// (not a timeout). Receivers that close the connection after every acknowledgement cause
	// this now and then, when their close arrives after the check Send makes before writing.
	// Such a receiver closed its socket before the message came and did not read it; one that
	// crashed while handling the message looks the same, and would get it twice: enable this
	// where a duplicate is acceptable, as it is for a sender that resends failed messages
	// anyway (the engine does).
	RetryClosed bool
	// Backoff is the schedule of reconnection attempts after failures.
	Backoff Backoff
	// PoolSize is the number of connections, and so of messages in flight; 1 when zero.
	PoolSize int

	// CommitAcks turns on MLLP Release 2: after each message the client waits for a commit
	// block (0x06, or 0x15 which fails Send with ErrCommitNAK), then for the response unless
	// CommitOnly is set, and commits the response with a 0x06 block of its own.
	CommitAcks bool
	// CommitOnly, with CommitAcks, makes Send return after the commit block, for receivers
	// that send application acknowledgements later or not at all.
	CommitOnly bool

	// Framing, Lenient and MaxFrameSize apply to responses as they do to a Server's input.
	Framing      Framing
	Lenient      bool
	MaxFrameSize int

	// Hooks receive connection, frame and error events for metrics.
	Hooks Hooks
	// Logger receives connection events and errors; nothing is logged when nil.
	Logger *slog.Logger

	initOnce   sync.Once
	initErr    error
	slots      chan *clientConn
	all        []*clientConn
	closed     atomic.Bool
	done       chan struct{}
	closeOnce  sync.Once
	nextID     atomic.Uint64
	ackTimeout time.Duration
	dialTO     time.Duration
	framing    Framing
}

// clientConn is one slot of the pool and the connection it holds, if any.
type clientConn struct {
	mu       sync.Mutex // guards conn, info and open against Close from another goroutine
	conn     net.Conn
	raw      net.Conn // the TCP connection under conn
	probe    *probe   // looks at raw while idle
	rd       *Reader
	wr       *Writer
	info     ConnInfo
	open     bool         // OnConnOpen was called and OnConnClose not yet
	used     bool         // has carried an exchange; false for a fresh connection
	deadline lazyDeadline // the read and write deadline in effect
	broken   bool         // must be closed after the current exchange
	failures int
	nextDial time.Time
	dialErr  error // the last failed connection attempt's error, until one succeeds
	disc     int64
}

// Validate reports a setting the client cannot run with. It does no I/O.
func (c *Client) Validate() error {
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("mllp: client has no Addr"))
	} else if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("mllp: client Addr %q: %w", c.Addr, err))
	}
	if err := c.Framing.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.MaxFrameSize < 0 {
		errs = append(errs, fmt.Errorf("mllp: MaxFrameSize %d is negative", c.MaxFrameSize))
	}
	if c.PoolSize < 0 {
		errs = append(errs, fmt.Errorf("mllp: PoolSize %d is negative", c.PoolSize))
	}
	if c.ConnectTimeout < 0 {
		errs = append(errs, fmt.Errorf("mllp: ConnectTimeout %v is negative", c.ConnectTimeout))
	}
	if c.CommitOnly && !c.CommitAcks {
		errs = append(errs, errors.New("mllp: CommitOnly needs CommitAcks"))
	}
	return errors.Join(errs...)
}

func (c *Client) init() error {
	c.initOnce.Do(func() {
		if c.initErr = c.Validate(); c.initErr != nil {
			return
		}
		n := max(c.PoolSize, 1)
		c.slots = make(chan *clientConn, n)
		c.all = make([]*clientConn, n)
		for i := range c.all {
			c.all[i] = &clientConn{}
			c.slots <- c.all[i]
		}
		c.done = make(chan struct{})
		c.ackTimeout = orDefault(c.ACKTimeout, DefaultACKTimeout)
		c.dialTO = orDefault(c.DialTimeout, DefaultDialTimeout)
		c.framing = c.Framing.orDefault()
	})
	return c.initErr
}

func (c *Client) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return discardLogger
}

// Send sends msg (an HL7 message, without framing) and returns the response.
//
// If no connection is open, Send connects, retrying with Backoff until ctx is done: give ctx
// a deadline. A TLS handshake refused by either side (certificate not trusted, expired or
// for another name; protocol version) is returned at once instead, since retrying will not
// help; later Sends still wait for the backoff delay. The wait for the response is bounded
// by ACKTimeout and by ctx.
//
// The acknowledgement code is reported in Response.Code, not as an error: AE and AR are
// answers, and what to do about them (resend, alert, move on) is the caller's decision. An
// error means no usable answer arrived: the connection failed (the error wraps the network
// error), timed out (ErrACKTimeout), was refused (ErrCommitNAK) or answered for another
// message (*ResponseError wrapping ErrStaleResponse). In every case but ErrCommitNAK the
// connection is closed, so the next message starts on a clean one. Send never resends by
// itself, because only the caller knows whether a duplicate is acceptable.
func (c *Client) Send(ctx context.Context, msg []byte) (Response, error) {
	if err := c.init(); err != nil {
		return Response{}, err
	}
	if err := checkPayload(msg, c.framing); err != nil {
		return Response{}, err
	}
	sent := mshField(msg, 10) // compared as bytes: no allocation per message
	var cc *clientConn
	select {
	case cc = <-c.slots: // a free connection: no need to watch ctx and done
	default:
		select {
		case cc = <-c.slots:
		case <-ctx.Done():
			return Response{}, fmt.Errorf("mllp: send to %s: %w", c.Addr, ctx.Err())
		case <-c.done:
			return Response{}, ErrClientClosed
		}
	}
	defer func() { c.slots <- cc }()
	if c.closed.Load() {
		return Response{}, ErrClientClosed
	}
	if err := c.connect(ctx, cc); err != nil {
		return Response{}, err
	}
	reused, start := cc.used, cc.rd.Offset()
	resp, err := c.exchange(ctx, cc, msg, sent)
	if err != nil && c.RetryClosed && reused && closedByPeer(err) && cc.rd.Offset() == start && !cc.broken && ctx.Err() == nil {
		// The receiver had closed this connection after its last answer, and the close
		// arrived after the peek: the message went into a closed socket. Once more, on a new
		// connection.
		c.logger().Debug("mllp: connection closed by the receiver before an answer; sending again on a new connection", "conn", cc.info.ID, "addr", c.Addr)
		c.drop(cc)
		if err = c.connect(ctx, cc); err == nil {
			resp, err = c.exchange(ctx, cc, msg, sent)
		}
	}
	if err != nil && !reused && closedByPeer(err) && cc.rd.Offset() == start && ctx.Err() == nil {
		// A new connection closed before any answer: a server over its connection limits
		// accepts and closes at once, which the sender sees as a bare reset or end of stream.
		err = fmt.Errorf("%w (the receiver closed a new connection without answering: it may be refusing this client, e.g. over its connection limits)", err)
	}
	cc.used = true
	if (err != nil && !errors.Is(err, ErrCommitNAK)) || cc.broken {
		c.drop(cc)
		cc.failures++
		cc.nextDial = time.Now().Add(c.Backoff.Delay(cc.failures))
	} else {
		cc.failures = 0
	}
	return resp, err
}

// Close closes every connection; Sends in progress fail and later ones return
// ErrClientClosed.
func (c *Client) Close() error {
	if c.init() != nil {
		return nil
	}
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		close(c.done)
		for _, cc := range c.all {
			c.shut(cc, false) // a Send using it fails, and forgets it
		}
	})
	return nil
}

// connect makes sure cc holds a usable connection, dialing with backoff until ctx is done.
func (c *Client) connect(ctx context.Context, cc *clientConn) error {
	if cc.conn != nil {
		if !cc.used {
			return nil // fresh
		}
		switch state := peerState(cc); state {
		case "":
			return nil
		case "unsolicited":
			c.Hooks.error(KindUnsolicited)
			c.logger().Warn("mllp: unsolicited bytes on an idle connection; reconnecting", "conn", cc.info.ID, "addr", c.Addr)
		default:
			c.logger().Debug("mllp: connection closed by the receiver; reconnecting", "conn", cc.info.ID, "addr", c.Addr)
		}
		c.drop(cc)
	}
	var lastErr error
	var giveUp time.Time // zero: no bound but ctx
	if c.ConnectTimeout > 0 {
		giveUp = time.Now().Add(c.ConnectTimeout)
	}
	for {
		if wait := time.Until(cc.nextDial); wait > 0 {
			if !giveUp.IsZero() && time.Now().Add(wait).After(giveUp) {
				return c.connectGaveUp(cc, lastErr)
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return c.connectError(ctx.Err(), lastErr)
			case <-c.done:
				t.Stop()
				return ErrClientClosed
			case <-t.C:
			}
		}
		if c.closed.Load() {
			return ErrClientClosed
		}
		dctx, cancel := ctx, context.CancelFunc(func() {})
		if !giveUp.IsZero() {
			dctx, cancel = context.WithDeadline(ctx, giveUp)
		}
		err := c.dial(dctx, cc)
		cancel()
		if err == nil {
			cc.dialErr = nil
			return nil
		}
		var ne net.Error
		if cut := !giveUp.IsZero() && !time.Now().Before(giveUp); cut && lastErr != nil &&
			(errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()) {
			err = lastErr // the attempt ConnectTimeout cut short says less than the one before (refused)
		}
		cc.dialErr = err
		if ctx.Err() != nil {
			if lastErr != nil && errors.Is(err, ctx.Err()) {
				err = lastErr // the attempt cut short says less than the one before
			}
			return c.connectError(ctx.Err(), err)
		}
		cc.failures++
		delay := c.Backoff.Delay(cc.failures)
		cc.nextDial = time.Now().Add(delay)
		var he *handshakeError
		if errors.As(err, &he) && !transient(he.err) {
			// A certificate or protocol refusal will not go away by retrying now; the next
			// Send still waits for the backoff delay.
			c.logger().Warn("mllp: TLS handshake refused", "addr", c.Addr, "error", he.err)
			return err
		}
		lastErr = err
		c.Hooks.error(KindDial)
		if !giveUp.IsZero() && !time.Now().Before(giveUp) {
			return c.connectGaveUp(cc, lastErr)
		}
		c.logger().Debug("mllp: connect failed; retrying", "addr", c.Addr, "attempt", cc.failures, "retry_in", delay, "error", err)
	}
}

// connectGaveUp is the error of a Send whose ConnectTimeout ran out: the last attempt's
// error, this Send's or, when it made none (an earlier failure's backoff outlasts the
// timeout), the connection's last.
func (c *Client) connectGaveUp(cc *clientConn, last error) error {
	if last == nil {
		last = cc.dialErr
	}
	if last == nil {
		return fmt.Errorf("mllp: connect to %s: next attempt in %v, after ConnectTimeout (%v): %w",
			c.Addr, time.Until(cc.nextDial).Round(time.Millisecond), c.ConnectTimeout, ErrConnectTimeout)
	}
	if errors.Is(last, ErrConnectTimeout) {
		return last
	}
	return fmt.Errorf("%w (%w of %v; %d consecutive attempt(s) failed)", last, ErrConnectTimeout, c.ConnectTimeout, cc.failures)
}

// handshakeError marks a failed TLS handshake.
type handshakeError struct{ err error }

func (e *handshakeError) Error() string { return e.err.Error() }
func (e *handshakeError) Unwrap() error { return e.err }

// transient reports a network failure worth retrying at once, as opposed to a refusal.
func transient(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	for _, e := range []error{io.EOF, io.ErrUnexpectedEOF, syscall.ECONNRESET, syscall.ECONNREFUSED, syscall.EPIPE, context.DeadlineExceeded} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func (c *Client) connectError(ctxErr, last error) error {
	if last == nil {
		return fmt.Errorf("mllp: connect to %s: %w", c.Addr, ctxErr)
	}
	return fmt.Errorf("mllp: connect to %s: %w; last attempt: %w", c.Addr, ctxErr, last)
}

// closedByPeer reports an exchange that failed because the receiver had closed or reset the
// connection: the end of the stream, a reset, or a broken pipe, not a timeout.
func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// peerState returns "" when an idle connection can carry a message, or why not. It costs a
// system call per message (a non-blocking peek), about 3 % of a loopback round trip, and
// saves the caller an error and a retry each time a receiver closes an idle connection or
// restarts: without it the message would be written into a dead connection.
func peerState(cc *clientConn) string {
	if cc.rd.Buffered() > 0 {
		return "unsolicited"
	}
	state := cc.probe.check()
	if state == "unsolicited" && cc.conn != cc.raw {
		return "closed" // under TLS, most likely a close_notify alert
	}
	if state == "unsolicited" && cc.rd.tail == tailEndOnly && cc.probe.peeked() == cc.rd.f.Trailer {
		// Lenient reading ended the last response at its end block; this is its trailer,
		// arrived late, which the Reader takes as such. (Anything after it that answers
		// nothing is caught by correlation.)
		return ""
	}
	return state
}

// dial opens a connection (and its TLS session) into cc.
func (c *Client) dial(ctx context.Context, cc *clientConn) error {
	ctx, cancel := context.WithTimeout(ctx, c.dialTO)
	defer cancel()
	d := c.Dialer
	if d == nil {
		d = &net.Dialer{}
	}
	raw, err := d.DialContext(ctx, "tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("mllp: connect to %s: %w", c.Addr, err)
	}
	conn := raw
	info := ConnInfo{ID: c.nextID.Add(1), RemoteAddr: raw.RemoteAddr(), LocalAddr: raw.LocalAddr()}
	if c.TLSConfig != nil {
		cfg := c.TLSConfig
		if cfg.ServerName == "" {
			host, _, _ := net.SplitHostPort(c.Addr)
			cfg = cfg.Clone()
			cfg.ServerName = host
		}
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			raw.Close()
			c.Hooks.error(KindTLSHandshake)
			hint := ""
			var rhe tls.RecordHeaderError
			if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &rhe) {
				// A receiver over its connection limits also closes before answering.
				hint = " (no TLS answer: check that the receiver speaks TLS on this port, and that it is not refusing this client, e.g. over its connection limits)"
			}
			return fmt.Errorf("mllp: TLS handshake with %s: %w%s", c.Addr, &handshakeError{err}, hint)
		}
		cs := tc.ConnectionState()
		info.TLS = &cs
		conn = tc
	}
	cc.mu.Lock()
	cc.conn, cc.raw, cc.info, cc.open, cc.probe = conn, raw, info, true, newProbe(raw)
	cc.rd = NewReader(conn, ReaderOptions{Framing: c.Framing, MaxFrameSize: c.MaxFrameSize, Lenient: c.Lenient})
	cc.wr = NewWriter(conn, c.Framing)
	cc.used, cc.deadline, cc.broken, cc.disc = false, lazyDeadline{}, false, 0
	cc.mu.Unlock()
	c.Hooks.connOpen(info)
	if c.closed.Load() { // Close ran while dialing and could not see this connection
		c.drop(cc)
		return ErrClientClosed
	}
	c.logger().Debug("mllp: connected", "conn", info.ID, "addr", c.Addr, "tls", info.TLS != nil)
	return nil
}

// drop closes the connection of cc and forgets it.
func (c *Client) drop(cc *clientConn) { c.shut(cc, true) }

// shut closes the connection of cc, reporting the close once. Only the goroutine holding
// the slot may forget the connection; Close only closes it.
func (c *Client) shut(cc *clientConn, forget bool) {
	cc.mu.Lock()
	conn, info, open := cc.conn, cc.info, cc.open
	cc.open = false
	if forget {
		cc.conn, cc.raw = nil, nil
	}
	cc.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
	if open {
		c.Hooks.connClose(info)
		c.logger().Debug("mllp: connection closed", "conn", info.ID, "addr", c.Addr)
	}
}

// exchange writes msg on cc and reads its answer.
func (c *Client) exchange(ctx context.Context, cc *clientConn, msg, sent []byte) (Response, error) {
	// The deadline moves only when the one in effect would not do (see lazyDeadline): a
	// connection sending one message after another keeps it for ACKTimeout/16. A context
	// deadline that comes first is set exactly.
	now := time.Now()
	if d, ok := ctx.Deadline(); ok && d.Before(now.Add(c.ackTimeout)) {
		if cc.deadline.exactly(d) {
			cc.conn.SetDeadline(d)
		}
	} else if t, set := cc.deadline.after(now, c.ackTimeout); set {
		cc.conn.SetDeadline(t)
	}
	if ctx.Done() != nil {
		raw := cc.raw
		stop := context.AfterFunc(ctx, func() { raw.SetDeadline(aLongTimeAgo) })
		defer func() {
			if !stop() {
				// Cancelled as the exchange ended: the past deadline may land after the next
				// exchange sets its own, so this connection is not reused.
				cc.broken = true
			}
		}()
	}
	if err := cc.wr.write(nil, msg); err != nil {
		return Response{}, c.ioError(ctx, "send to", err, true)
	}
	c.Hooks.frameOut(len(msg))

	var resp Response
	if c.CommitAcks {
		frame, err := c.read(ctx, cc)
		if err != nil {
			return resp, err
		}
		switch {
		case isBlock(frame, CommitACK):
			resp.Committed = true
		case isBlock(frame, CommitNAK):
			c.Hooks.error(KindCommitNAK)
			return resp, fmt.Errorf("mllp: message %q to %s: %w", sent, c.Addr, ErrCommitNAK)
		default:
			c.Hooks.error(KindBadResponse)
			return resp, &ResponseError{Sent: string(sent), Err: ErrNoCommit}
		}
		if c.CommitOnly {
			return resp, nil
		}
	}
	var raw []byte
	for raw == nil {
		frame, err := c.read(ctx, cc)
		if err != nil {
			return resp, err
		}
		switch {
		case len(frame) == 0: // keep-alive
		case isBlock(frame, CommitACK): // a Release 2 receiver talking to a Release 1 client
			resp.Committed = true
		case isBlock(frame, CommitNAK):
			c.Hooks.error(KindCommitNAK)
			return resp, fmt.Errorf("mllp: message %q to %s: %w", sent, c.Addr, ErrCommitNAK)
		default:
			raw = bytes.Clone(frame)
		}
	}
	if c.CommitAcks {
		// The response is a message too: commit it, as Release 2 asks of every receiver.
		if err := cc.wr.write(nil, commitACK); err != nil {
			cc.broken = true
			c.logger().Debug("mllp: commit acknowledgement of the response not sent", "conn", cc.info.ID, "error", err)
		} else {
			c.Hooks.frameOut(1)
		}
	}

	committed := resp.Committed
	resp, ok := readMSA(raw)
	resp.Committed = committed
	var rerr *ResponseError
	switch {
	case !ok:
		rerr = &ResponseError{Sent: string(sent), Err: ErrNoMSA}
	case resp.Code == "":
		rerr = &ResponseError{Sent: string(sent), Got: resp.ControlID, Err: ErrBadCode}
	case len(sent) > 0 && resp.ControlID != string(sent):
		rerr = &ResponseError{Sent: string(sent), Got: resp.ControlID, Err: ErrStaleResponse}
	}
	if rerr != nil {
		kind := KindBadResponse
		if rerr.Err == ErrStaleResponse {
			kind = KindStaleResponse
		}
		c.Hooks.error(kind)
		c.logger().Warn("mllp: response does not acknowledge the message sent; closing the connection",
			"conn", cc.info.ID, "addr", c.Addr, "control_id", string(sent), "msa_2", resp.ControlID, "error", rerr.Err)
		return resp, rerr
	}
	return resp, nil
}

func isBlock(frame []byte, b byte) bool { return len(frame) == 1 && frame[0] == b }

// read returns the next frame of cc.
func (c *Client) read(ctx context.Context, cc *clientConn) ([]byte, error) {
	frame, err := cc.rd.ReadFrame()
	if d := cc.rd.Discarded(); d != cc.disc {
		c.Hooks.discard(d - cc.disc)
		cc.disc = d
	}
	if err != nil {
		var fe *FrameError
		if errors.As(err, &fe) {
			c.Hooks.error(readErrorKind(err, true))
			return nil, fmt.Errorf("mllp: response from %s: %w", c.Addr, err)
		}
		return nil, c.ioError(ctx, "wait for the response from", err, false)
	}
	c.Hooks.frameIn(len(frame))
	return frame, nil
}

// ioError describes a failed write or read, telling a timeout from a cancelled context.
func (c *Client) ioError(ctx context.Context, op string, err error, write bool) error {
	if ctx.Err() != nil {
		return fmt.Errorf("mllp: %s %s: %w", op, c.Addr, ctx.Err())
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		if write {
			c.Hooks.error(KindWriteTimeout)
		} else {
			c.Hooks.error(KindACKTimeout)
		}
		return fmt.Errorf("mllp: %s %s: %w", op, c.Addr, ErrACKTimeout)
	}
	if write {
		c.Hooks.error(KindWrite)
	} else {
		c.Hooks.error(KindRead)
	}
	return fmt.Errorf("mllp: %s %s: %w", op, c.Addr, err)
}
