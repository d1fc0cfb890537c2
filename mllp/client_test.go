package mllp

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// fakeReceiver is a hand-written MLLP receiver whose answers a test controls.
type fakeReceiver struct {
	l        net.Listener
	accepted atomic.Int32
	wg       sync.WaitGroup
}

// newFakeReceiver answers each frame with answer(frame) after delay(frame); nil means no
// answer.
func newFakeReceiver(t *testing.T, answer func(frame []byte) (delay time.Duration, resp []byte)) *fakeReceiver {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeReceiver{l: l}
	var mu sync.Mutex
	var conns []net.Conn
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			f.accepted.Add(1)
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				defer c.Close()
				rd, w := NewReader(c, ReaderOptions{}), NewWriter(c, Framing{})
				for {
					frame, err := rd.ReadFrame()
					if err != nil {
						return
					}
					delay, resp := answer(frame)
					time.Sleep(delay)
					if resp != nil && w.WriteFrame(resp) != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		f.wg.Wait()
	})
	return f
}

func (f *fakeReceiver) addr() string { return f.l.Addr().String() }

func TestClientStaleResponse(t *testing.T) {
	cnt := newCounters()
	f := newFakeReceiver(t, func(frame []byte) (time.Duration, []byte) {
		if controlID(frame) == "S1" {
			return 0, cannedACK(testMessage("OLD"), CodeAA) // acknowledges another message
		}
		return 0, cannedACK(frame, CodeAA)
	})
	c := &Client{Addr: f.addr(), Hooks: cnt.hooks(), Backoff: Backoff{Min: time.Millisecond}}
	defer c.Close()
	resp, err := c.Send(ctxTimeout(t, 5*time.Second), testMessage("S1"))
	var re *ResponseError
	if !errors.As(err, &re) || *re != (ResponseError{Sent: "S1", Got: "OLD", Err: ErrStaleResponse}) || !errors.Is(err, ErrStaleResponse) {
		t.Fatalf("Send: %v, want a ResponseError for a stale response", err)
	}
	if resp.ControlID != "OLD" || resp.Code != CodeAA {
		t.Errorf("the stale response is returned as received: %+v", resp)
	}
	want := `mllp: response to message "S1" (MSA-2 "OLD"): response acknowledges another message; the message should be resent`
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	resp, err = c.Send(ctxTimeout(t, 5*time.Second), testMessage("S2"))
	if err != nil || resp.ControlID != "S2" {
		t.Fatalf("Send after a stale response: %+v, %v", resp, err)
	}
	if n := f.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2: a stale response closes the connection", n)
	}
	if n := cnt.err(KindStaleResponse); n != 1 {
		t.Errorf("%s counted %d times", KindStaleResponse, n)
	}
}

func TestClientBadResponses(t *testing.T) {
	tests := []struct {
		Name string
		Resp string
		Err  ResponseError
	}{
		{"no MSA", "MSH|^~\\&|A|B|C|D|1||ACK|9|P|2.5\r", ResponseError{Sent: "B1", Err: ErrNoMSA}},
		{"not HL7", "hello", ResponseError{Sent: "B1", Err: ErrNoMSA}},
		{"unknown code", "MSH|^~\\&|A|B|C|D|1||ACK|9|P|2.5\rMSA|OK|B1\r", ResponseError{Sent: "B1", Got: "B1", Err: ErrBadCode}},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			f := newFakeReceiver(t, func([]byte) (time.Duration, []byte) { return 0, []byte(tt.Resp) })
			c := &Client{Addr: f.addr()}
			defer c.Close()
			resp, err := c.Send(ctxTimeout(t, 5*time.Second), testMessage("B1"))
			var re *ResponseError
			if !errors.As(err, &re) || *re != tt.Err {
				t.Fatalf("Send: %v, want %v", err, &tt.Err)
			}
			if string(resp.Raw) != tt.Resp {
				t.Errorf("Raw %q, want the response as received", resp.Raw)
			}
		})
	}
}

func TestClientACKTimeoutClosesConnection(t *testing.T) {
	f := newFakeReceiver(t, func(frame []byte) (time.Duration, []byte) {
		if controlID(frame) == "SLOW" {
			return 300 * time.Millisecond, cannedACK(frame, CodeAA) // arrives after the timeout
		}
		return 0, cannedACK(frame, CodeAA)
	})
	cnt := newCounters()
	c := &Client{Addr: f.addr(), ACKTimeout: 100 * time.Millisecond, Hooks: cnt.hooks(), Backoff: Backoff{Min: time.Millisecond}}
	defer c.Close()
	start := time.Now()
	_, err := c.Send(ctxTimeout(t, 5*time.Second), testMessage("SLOW"))
	if !errors.Is(err, ErrACKTimeout) {
		t.Fatalf("Send: %v, want ErrACKTimeout", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
		t.Errorf("timed out after %v, want about 100ms", d)
	}
	time.Sleep(300 * time.Millisecond) // let the late ACK arrive, on the old connection
	resp, err := c.Send(ctxTimeout(t, 5*time.Second), testMessage("FAST"))
	if err != nil || resp.ControlID != "FAST" {
		t.Fatalf("Send after a timeout: %+v, %v; want the ACK of FAST", resp, err)
	}
	if n := f.accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
	if n := cnt.err(KindACKTimeout); n != 1 {
		t.Errorf("%s counted %d times", KindACKTimeout, n)
	}
}

func TestClientContextCancelsWait(t *testing.T) {
	f := newFakeReceiver(t, func([]byte) (time.Duration, []byte) { return 0, nil }) // never answers
	c := &Client{Addr: f.addr()}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := c.Send(ctx, testMessage("C1"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Send: %v, want context.Canceled", err)
	}
}

func TestClientReconnectsAfterServerRestart(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	first := &Server{Handler: ackHandler}
	go first.Serve(l)

	cnt := newCounters()
	c := &Client{Addr: addr, Hooks: cnt.hooks(), Backoff: Backoff{Min: 20 * time.Millisecond, Max: 200 * time.Millisecond}}
	defer c.Close()
	if _, err := c.Send(ctxTimeout(t, 5*time.Second), testMessage("R1")); err != nil {
		t.Fatalf("Send to the first server: %v", err)
	}
	if err := first.Shutdown(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}

	// The second server comes up on the same port a little later.
	second := &Server{Handler: ackHandler}
	defer second.Close()
	go func() {
		time.Sleep(300 * time.Millisecond)
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("listen again on %s: %v", addr, err)
			return
		}
		second.Serve(l)
	}()
	resp, err := c.Send(ctxTimeout(t, 10*time.Second), testMessage("R2"))
	if err != nil || resp.ControlID != "R2" {
		t.Fatalf("Send across the restart: %+v, %v", resp, err)
	}
	if n := cnt.err(KindDial); n < 1 {
		t.Errorf("%d failed connection attempts counted, want at least 1 while the server was down", n)
	}
	if n := cnt.opened.Load(); n != 2 {
		t.Errorf("%d connections opened, want 2", n)
	}
}

func TestClientNoticesIdleClose(t *testing.T) {
	s := &Server{Handler: ackHandler, IdleTimeout: 50 * time.Millisecond}
	addr := serve(t, s)
	cnt := newCounters()
	c := &Client{Addr: addr, Hooks: cnt.hooks()}
	defer c.Close()
	for i := range 2 {
		if _, err := c.Send(ctxTimeout(t, 5*time.Second), testMessage(id(i))); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		time.Sleep(200 * time.Millisecond) // the server closes the idle connection
	}
	if n := cnt.opened.Load(); n != 2 {
		t.Errorf("%d connections opened, want 2", n)
	}
}

func TestClientConnectGivesUpWithContext(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	cnt := newCounters()
	c := &Client{Addr: addr, Hooks: cnt.hooks(), Backoff: Backoff{Min: 10 * time.Millisecond, Max: 40 * time.Millisecond}}
	defer c.Close()
	_, err = c.Send(ctxTimeout(t, 300*time.Millisecond), testMessage("X"))
	var op *net.OpError
	if !errors.Is(err, context.DeadlineExceeded) || !errors.As(err, &op) {
		t.Fatalf("Send: %v, want the deadline and the last connection error", err)
	}
	if n := cnt.err(KindDial); n < 3 {
		t.Errorf("%d attempts in 300 ms with a 10–40 ms backoff, want at least 3", n)
	}
}

// TestClientConnectTimeout: with ConnectTimeout, a Send to a port nobody listens on fails
// with the refusal once the timeout runs out, long before its context would end; a Send
// whose next attempt is not due within the timeout fails at once with the last refusal; and
// a receiver that comes back is reached by the next Send once its backoff is over.
func TestClientConnectTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	c := &Client{Addr: addr, ConnectTimeout: 200 * time.Millisecond,
		Backoff: Backoff{Min: 20 * time.Millisecond, Max: 50 * time.Millisecond, Jitter: -1}}
	defer c.Close()

	start := time.Now()
	_, err = c.Send(ctxTimeout(t, 10*time.Second), testMessage("X"))
	took := time.Since(start)
	if !errors.Is(err, ErrConnectTimeout) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("Send: %v, want ErrConnectTimeout and the refusal", err)
	}
	t.Logf("after %v: %v", took.Round(time.Millisecond), err)
	if took < 150*time.Millisecond || took > 2*time.Second {
		t.Errorf("Send gave up after %v, want about the 200 ms ConnectTimeout", took)
	}

	// A backoff longer than the timeout: the next Send makes no attempt and says why.
	c2 := &Client{Addr: addr, ConnectTimeout: 50 * time.Millisecond,
		Backoff: Backoff{Min: time.Second, Max: time.Second, Jitter: -1}}
	defer c2.Close()
	if _, err := c2.Send(ctxTimeout(t, 10*time.Second), testMessage("X")); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("first Send: %v, want the refusal", err)
	}
	start = time.Now()
	_, err = c2.Send(ctxTimeout(t, 10*time.Second), testMessage("X"))
	if !errors.Is(err, ErrConnectTimeout) || !errors.Is(err, syscall.ECONNREFUSED) || time.Since(start) > 500*time.Millisecond {
		t.Fatalf("second Send: %v after %v, want an immediate ErrConnectTimeout with the last refusal", err, time.Since(start))
	}
	t.Logf("backoff longer than the timeout: %v", err)

	// The receiver comes back on the same port: a later Send gets through.
	s := &Server{Handler: ackHandler}
	l2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken again before the test could reuse it: %v", addr, err)
	}
	go s.Serve(l2)
	defer s.Close()
	var resp Response
	for i := 0; i < 50; i++ { // bounded: 50 × (≤ 200 ms connect + 20 ms)
		if resp, err = c.Send(ctxTimeout(t, 5*time.Second), testMessage("Y")); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || resp.Code != "AA" {
		t.Fatalf("after the receiver came back: %v, %+v", err, resp)
	}
}

func TestClientPool(t *testing.T) {
	const pool = 4
	var running, peak atomic.Int32
	gate := make(chan struct{})
	open := sync.OnceFunc(func() { close(gate) })
	s := &Server{Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if n == pool {
			open()
		}
		select {
		case <-gate:
		case <-time.After(5 * time.Second):
		}
		return cannedACK(req.Frame, CodeAA), nil
	})}
	c := &Client{Addr: serve(t, s), PoolSize: pool}
	defer c.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Send(ctxTimeout(t, 10*time.Second), testMessage(id(i)))
			if err == nil && resp.ControlID != id(i) {
				err = errors.New("response for " + resp.ControlID + ", want " + id(i))
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if p := peak.Load(); p != pool {
		t.Errorf("%d messages in flight at most, want %d", p, pool)
	}
}

func TestClientErrors(t *testing.T) {
	c := &Client{Addr: "127.0.0.1:1"}
	if _, err := c.Send(context.Background(), []byte("MSH|^~\\&\x0b")); !errors.Is(err, ErrFramingByte) {
		t.Errorf("Send of a payload with a start block: %v, want ErrFramingByte", err)
	}
	c.Close()
	if _, err := c.Send(context.Background(), testMessage("Z")); err != ErrClientClosed {
		t.Errorf("Send after Close: %v, want ErrClientClosed", err)
	}
	bad := &Client{Addr: "no port", PoolSize: -1, CommitOnly: true}
	want := "mllp: client Addr \"no port\": address no port: missing port in address\nmllp: PoolSize -1 is negative\nmllp: CommitOnly needs CommitAcks"
	if err := bad.Validate(); err == nil || err.Error() != want {
		t.Errorf("Validate() = %v, want %q", err, want)
	}
}

func TestBackoffDelay(t *testing.T) {
	tests := []struct {
		Backoff Backoff
		Attempt int
		Max     time.Duration // the delay without jitter
	}{
		{Backoff{}, 1, 100 * time.Millisecond},
		{Backoff{}, 2, 200 * time.Millisecond},
		{Backoff{}, 5, 1600 * time.Millisecond},
		{Backoff{}, 20, 30 * time.Second},
		{Backoff{}, 5000, 30 * time.Second},
		{Backoff{Min: time.Second, Max: 10 * time.Second, Multiplier: 3}, 3, 9 * time.Second},
		{Backoff{Min: time.Second, Max: 10 * time.Second, Multiplier: 3}, 4, 10 * time.Second},
		{Backoff{Min: time.Second, Jitter: -1}, 2, 2 * time.Second},
	}
	for _, tt := range tests {
		jitter := tt.Backoff.withDefaults().Jitter
		lo := time.Duration(float64(tt.Max) * (1 - jitter))
		seen := map[time.Duration]bool{}
		for range 100 {
			d := tt.Backoff.Delay(tt.Attempt)
			if d < lo || d > tt.Max {
				t.Fatalf("%+v.Delay(%d) = %v, want within [%v, %v]", tt.Backoff, tt.Attempt, d, lo, tt.Max)
			}
			seen[d] = true
		}
		if jitter > 0 && len(seen) < 50 {
			t.Errorf("%+v.Delay(%d): %d distinct values in 100, want jitter", tt.Backoff, tt.Attempt, len(seen))
		}
		if jitter == 0 && len(seen) != 1 {
			t.Errorf("%+v.Delay(%d): %d distinct values without jitter", tt.Backoff, tt.Attempt, len(seen))
		}
	}
}

func TestClientHooksBalanced(t *testing.T) {
	s := &Server{Handler: ackHandler}
	addr := serve(t, s)
	cnt := newCounters()
	c := &Client{Addr: addr, PoolSize: 3, Hooks: cnt.hooks()}
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.Send(ctxTimeout(t, 5*time.Second), testMessage(id(i))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	c.Close()
	if o, cl := cnt.opened.Load(), cnt.closed.Load(); o == 0 || o != cl {
		t.Errorf("OnConnOpen called %d times, OnConnClose %d", o, cl)
	}
	if in, out := cnt.in.Load(), cnt.out.Load(); in != 6 || out != 6 {
		t.Errorf("frames in %d, out %d; want 6 each", in, out)
	}
}

func TestClientUnsolicitedData(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			n := accepted.Add(1)
			go func() {
				defer c.Close()
				rd, w := NewReader(c, ReaderOptions{}), NewWriter(c, Framing{})
				for {
					frame, err := rd.ReadFrame()
					if err != nil {
						return
					}
					w.WriteFrame(cannedACK(frame, CodeAA))
					if n == 1 {
						// The first connection then sends a frame nobody asked for.
						time.Sleep(20 * time.Millisecond)
						w.WriteFrame(cannedACK(testMessage("UNASKED"), CodeAA))
					}
				}
			}()
		}
	}()
	cnt := newCounters()
	c := &Client{Addr: l.Addr().String(), Hooks: cnt.hooks()}
	defer c.Close()
	if _, err := c.Send(ctxTimeout(t, 5*time.Second), testMessage("U1")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	resp, err := c.Send(ctxTimeout(t, 5*time.Second), testMessage("U2"))
	if err != nil || resp.ControlID != "U2" {
		t.Fatalf("Send after unsolicited data: %+v, %v; want the ACK of U2", resp, err)
	}
	if n := accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}
	if n := cnt.err(KindUnsolicited); n != 1 {
		t.Errorf("%s counted %d times", KindUnsolicited, n)
	}
}

func TestLazyDeadline(t *testing.T) {
	const d = 16 * time.Second // slack d/deadlineSlack = 1 s
	t0 := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	steps := []struct {
		Name string
		Now  time.Duration // since t0
		D    time.Duration
		At   time.Duration // deadline in effect afterwards, since t0; -1: none
		Set  bool
	}{
		{"first deadline carries the slack", 0, d, 17 * time.Second, true},
		{"within the slack: kept", 500 * time.Millisecond, d, 17 * time.Second, false},
		{"at the edge of the slack: kept", time.Second, d, 17 * time.Second, false},
		{"past the slack: would fire early, moved", time.Second + 1, d, 18*time.Second + 1, true},
		{"a shorter timeout: the one in effect is too late, moved", 2 * time.Second, time.Second, 3*time.Second + time.Second/16, true},
		{"a longer one again: too early, moved", 2 * time.Second, d, 19 * time.Second, true},
		{"timeout off: cleared", 3 * time.Second, 0, -1, true},
		{"off again: nothing to do", 4 * time.Second, 0, -1, false},
	}
	var l lazyDeadline
	for _, st := range steps {
		at, set := l.after(t0.Add(st.Now), st.D)
		want := time.Time{}
		if st.At >= 0 {
			want = t0.Add(st.At)
		}
		if set != st.Set || !at.Equal(want) || !l.at.Equal(want) {
			t.Errorf("%s: after = %v, %v (in effect %v); want %v, %v", st.Name, at, set, l.at, want, st.Set)
		}
		// Never early: a timeout of D from Now does not fire before Now+D.
		if st.D > 0 && at.Before(t0.Add(st.Now+st.D)) {
			t.Errorf("%s: deadline %v earlier than the timeout asks", st.Name, at)
		}
	}
	if !l.exactly(t0) || l.exactly(t0) {
		t.Errorf("exactly: want a change, then none")
	}
}

// TestClientACKTimeoutAfterBusyTraffic checks that a deadline kept from earlier messages
// (see lazyDeadline) never makes a later message time out early, nor late by much.
func TestClientACKTimeoutAfterBusyTraffic(t *testing.T) {
	const timeout = 300 * time.Millisecond
	f := newFakeReceiver(t, func(frame []byte) (time.Duration, []byte) {
		if controlID(frame) == "SLOW" {
			return time.Second, cannedACK(frame, CodeAA)
		}
		return 0, cannedACK(frame, CodeAA)
	})
	c := &Client{Addr: f.addr(), ACKTimeout: timeout}
	defer c.Close()
	// Fast messages spread over more than the slack (timeout/16), so the deadline in effect
	// was set by one of them, and is kept by the others.
	for i := range 10 {
		if _, err := c.Send(ctxTimeout(t, 5*time.Second), testMessage(id(i))); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	start := time.Now()
	_, err := c.Send(ctxTimeout(t, 5*time.Second), testMessage("SLOW"))
	elapsed := time.Since(start)
	if !errors.Is(err, ErrACKTimeout) {
		t.Fatalf("Send: %v, want ErrACKTimeout", err)
	}
	if elapsed < timeout || elapsed > timeout+timeout/deadlineSlack+700*time.Millisecond {
		t.Errorf("timed out after %v, want %v to %v (give or take scheduling)", elapsed, timeout, timeout+timeout/deadlineSlack)
	}
}

// TestClientReceiverClosingAfterEveryACK: some receivers close the connection after each
// acknowledgement. The client's peek before a message finds most such connections closed,
// but the close can arrive just after it: the message then goes into a socket the receiver
// has closed, and the read meets EOF or a reset before any byte of an answer. With
// RetryClosed the client sends once more on a new connection; without it, Send fails.
func TestClientReceiverClosingAfterEveryACK(t *testing.T) {
	s := &Server{Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
		ack, _ := ackHandler(ctx, req)
		return ack, ErrCloseConn
	}), MaxConns: -1, MaxConnsPerIP: -1}
	addr := serve(t, s)
	for _, retry := range []bool{false, true} {
		c := &Client{Addr: addr, RetryClosed: retry}
		failed := 0
		const n = 300
		for i := range n {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			resp, err := c.Send(ctx, testMessage("C"+strconv.Itoa(i)))
			cancel()
			if err != nil || resp.Code != CodeAA {
				failed++
			}
		}
		c.Close()
		t.Logf("RetryClosed %v: %d of %d failed", retry, failed, n)
		if retry && failed > 0 {
			t.Errorf("RetryClosed: %d of %d Sends failed against a receiver that closes after every ACK, want 0", failed, n)
		}
	}
}
