package mllp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestServerRoundTrip(t *testing.T) {
	var got atomic.Pointer[Request]
	s := &Server{Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
		got.Store(req)
		return cannedACK(req.Frame, CodeAA), nil
	})}
	addr := serve(t, s)
	c := &Client{Addr: addr}
	defer c.Close()
	for i := 1; i <= 3; i++ {
		msg := testMessage(id(i))
		resp, err := c.Send(ctxTimeout(t, 5*time.Second), msg)
		if err != nil {
			t.Fatalf("Send: %v", err)
		}
		if resp.Code != CodeAA || resp.ControlID != id(i) || !bytes.Equal(resp.Raw, cannedACK(msg, CodeAA)) {
			t.Fatalf("response %+v, want AA for %s", resp, id(i))
		}
		req := got.Load()
		if !bytes.Equal(req.Frame, msg) || req.Seq != uint64(i) || req.Conn.ID != 1 || req.Conn.TLS != nil ||
			req.Conn.RemoteAddr == nil || time.Since(req.Received) > 5*time.Second {
			t.Fatalf("request %d: seq %d conn %+v received %v", i, req.Seq, req.Conn, req.Received)
		}
	}
}

func TestServerPipelining(t *testing.T) {
	for _, inFlight := range []int{1, 3} {
		t.Run(map[int]string{1: "sequential", 3: "three in flight"}[inFlight], func(t *testing.T) {
			var running, peak atomic.Int32
			s := &Server{MaxInFlight: inFlight, Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
				n := running.Add(1)
				defer running.Add(-1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				// The first message is the slowest: responses must still come back in order.
				time.Sleep(time.Duration(4-req.Seq) * 20 * time.Millisecond)
				return cannedACK(req.Frame, CodeAA), nil
			})}
			c := dialRaw(t, serve(t, s))
			c.write(frameOf(string(testMessage("A"))) + frameOf(string(testMessage("B"))) + frameOf(string(testMessage("C"))))
			for _, want := range []string{"A", "B", "C"} {
				resp, _ := readMSA([]byte(c.frame()))
				if resp.ControlID != want {
					t.Fatalf("response for %q, want %q", resp.ControlID, want)
				}
			}
			if p := peak.Load(); p != int32(inFlight) {
				t.Errorf("%d handlers ran at once, want %d", p, inFlight)
			}
		})
	}
}

func TestServerSkipsKeepAlivesAndCommitBlocks(t *testing.T) {
	var calls atomic.Int32
	cnt := newCounters()
	s := &Server{Hooks: cnt.hooks(), Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
		calls.Add(1)
		return cannedACK(req.Frame, CodeAA), nil
	})}
	c := dialRaw(t, serve(t, s))
	c.write(frameOf("") + frameOf("\x06") + frameOf("\x15") + "garbage" + frameOf(string(testMessage("K1"))))
	if resp, _ := readMSA([]byte(c.frame())); resp.ControlID != "K1" {
		t.Fatalf("response for %q, want K1", resp.ControlID)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("handler called %d times, want 1", n)
	}
	if n := cnt.discard.Load(); n != 7 {
		t.Errorf("OnDiscard counted %d bytes, want 7", n)
	}
	if n := cnt.in.Load(); n != 4 {
		t.Errorf("OnFrameIn called %d times, want 4", n)
	}
}

func TestServerFramingErrors(t *testing.T) {
	tests := []struct {
		Name    string
		Lenient bool
		Input   string
		Reply   string // control id of the response expected, "" for none
		Kind    ErrorKind
	}{
		{"start block inside a frame closes, strict", false, vt + "MSH|^~\\&" + frameOf(string(testMessage("S1"))), "", KindUnexpectedStart},
		{"start block inside a frame resynchronises, lenient", true, vt + "MSH|^~\\&" + frameOf(string(testMessage("S2"))), "S2", ""},
		{"end block without CR closes, strict", false, vt + string(testMessage("S3")) + fs + "\n", "", KindMissingTrailer},
		{"end block without CR ends the frame, lenient", true, vt + string(testMessage("S4")) + fs + "\n", "S4", ""},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			cnt := newCounters()
			s := &Server{Lenient: tt.Lenient, Handler: ackHandler, Hooks: cnt.hooks()}
			c := dialRaw(t, serve(t, s))
			c.write(tt.Input)
			if tt.Reply != "" {
				if resp, _ := readMSA([]byte(c.frame())); resp.ControlID != tt.Reply {
					t.Fatalf("response for %q, want %q", resp.ControlID, tt.Reply)
				}
				return
			}
			c.closed()
			eventually(t, "error counted", func() bool { return cnt.err(tt.Kind) == 1 })
		})
	}
}

func TestServerHandlerErrors(t *testing.T) {
	tests := []struct {
		Name   string
		Result func(req *Request) ([]byte, error)
		Reply  string // MSA-1 expected, "" for no response
		Closed bool
		Kind   ErrorKind
	}{
		{"AE with an error", func(req *Request) ([]byte, error) {
			return cannedACK(req.Frame, CodeAE), errors.New("unknown patient")
		}, CodeAE, false, KindHandler},
		{"error without response", func(req *Request) ([]byte, error) {
			return nil, errors.New("store unavailable")
		}, "", false, KindHandler},
		{"response then close", func(req *Request) ([]byte, error) {
			return cannedACK(req.Frame, CodeAA), ErrCloseConn
		}, CodeAA, true, ""},
		{"panic", func(req *Request) ([]byte, error) {
			panic("handler bug")
		}, "", true, KindHandlerPanic},
		{"response holding a framing byte", func(req *Request) ([]byte, error) {
			return []byte("MSH|^~\\&\x1c"), nil
		}, "", true, KindHandler},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			cnt := newCounters()
			s := &Server{Hooks: cnt.hooks(), Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
				return tt.Result(req)
			})}
			c := dialRaw(t, serve(t, s))
			c.write(frameOf(string(testMessage("H1"))))
			if tt.Reply != "" {
				if resp, _ := readMSA([]byte(c.frame())); resp.Code != tt.Reply || resp.ControlID != "H1" {
					t.Fatalf("response %+v, want %s for H1", resp, tt.Reply)
				}
			}
			if tt.Closed {
				c.closed()
			} else {
				// Still open: the next message is answered.
				c.write(frameOf(string(testMessage("H2"))))
				if tt.Reply != "" {
					c.frame()
				}
			}
			if tt.Kind != "" {
				eventually(t, "error counted", func() bool { return cnt.err(tt.Kind) >= 1 })
			}
		})
	}
}

func TestServerGracefulShutdown(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	s := &Server{Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
		close(started)
		<-release
		return cannedACK(req.Frame, CodeAA), nil
	})}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	t.Cleanup(func() { s.Close() })

	busy := dialRaw(t, addr)
	idle := dialRaw(t, addr)
	partial := dialRaw(t, addr)
	busy.write(frameOf(string(testMessage("G1"))))
	partial.write(vt + "MSH|^~\\&|partial")
	<-started

	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(ctxTimeout(t, 10*time.Second)) }()

	if err := <-served; !errors.Is(err, ErrServerClosed) {
		t.Fatalf("Serve returned %v, want ErrServerClosed", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("a new connection was accepted during shutdown")
	}
	// Connections with no handler running are closed at once.
	idle.closed()
	partial.closed()
	select {
	case err := <-shut:
		t.Fatalf("Shutdown returned %v while a handler was running", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if resp, _ := readMSA([]byte(busy.frame())); resp.ControlID != "G1" {
		t.Fatalf("in-flight message answered for %q, want G1", resp.ControlID)
	}
	busy.closed()
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func TestServerShutdownTimeout(t *testing.T) {
	cancelled := make(chan struct{})
	started := make(chan struct{})
	s := &Server{Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
		close(started)
		<-ctx.Done()
		close(cancelled)
		return nil, ctx.Err()
	})}
	c := dialRaw(t, serve(t, s))
	c.write(frameOf(string(testMessage("T1"))))
	<-started
	err := s.Shutdown(ctxTimeout(t, 100*time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown: %v, want context.DeadlineExceeded", err)
	}
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler's context was not cancelled")
	}
	c.closed()
}

func TestServerConnectionLimits(t *testing.T) {
	tests := []struct {
		Name   string
		Limit  func(*Server)
		Reason error
		Kind   ErrorKind
	}{
		{"total", func(s *Server) { s.MaxConns = 2 }, ErrTooManyConns, KindConnLimit},
		{"per IP", func(s *Server) { s.MaxConnsPerIP = 2 }, ErrTooManyConnsPerIP, KindConnLimitPerIP},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			cnt := newCounters()
			s := &Server{Handler: ackHandler, Hooks: cnt.hooks()}
			tt.Limit(s)
			addr := serve(t, s)
			a, b := dialRaw(t, addr), dialRaw(t, addr)
			for i, c := range []*rawConn{a, b} {
				c.write(frameOf(string(testMessage(id(i)))))
				c.frame()
			}
			over := dialRaw(t, addr)
			over.closed()
			cnt.mu.Lock()
			rejects := cnt.rejects
			cnt.mu.Unlock()
			if len(rejects) != 1 || rejects[0] != tt.Reason || cnt.err(tt.Kind) != 1 {
				t.Fatalf("rejections %v, %s counted %d; want [%v] once", rejects, tt.Kind, cnt.err(tt.Kind), tt.Reason)
			}
			// A freed slot can be used again.
			a.c.Close()
			eventually(t, "slot freed", func() bool { return cnt.closed.Load() == 1 })
			again := dialRaw(t, addr)
			again.write(frameOf(string(testMessage("again"))))
			if resp, _ := readMSA([]byte(again.frame())); resp.ControlID != "again" {
				t.Fatalf("response for %q", resp.ControlID)
			}
		})
	}
}

func TestServerSlowloris(t *testing.T) {
	const deadline = 300 * time.Millisecond
	tests := []struct {
		Name    string
		Limit   func(*Server)
		Trickle string // one byte every 20 ms
		Kind    ErrorKind
	}{
		{"frame trickled in", func(s *Server) { s.ReadTimeout = deadline }, vt + strings.Repeat("MSH|", 50), KindReadTimeout},
		{"garbage trickled in does not extend the idle timeout", func(s *Server) { s.IdleTimeout = deadline }, strings.Repeat("x", 200), KindIdleTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			cnt := newCounters()
			s := &Server{Handler: ackHandler, Hooks: cnt.hooks()}
			tt.Limit(s)
			c := dialRaw(t, serve(t, s))
			start := time.Now()
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < len(tt.Trickle); i++ {
					if _, err := c.c.Write([]byte{tt.Trickle[i]}); err != nil {
						return
					}
					select {
					case <-stop:
						return
					case <-time.After(20 * time.Millisecond):
					}
				}
			}()
			c.closed()
			elapsed := time.Since(start)
			close(stop)
			wg.Wait()
			// Closed at the deadline, give or take scheduling on a busy machine.
			if elapsed < deadline || elapsed > deadline+700*time.Millisecond {
				t.Errorf("closed after %v, want about %v", elapsed, deadline)
			}
			eventually(t, string(tt.Kind)+" counted", func() bool { return cnt.err(tt.Kind) == 1 })
		})
	}
}

func TestServerOversizedFrame(t *testing.T) {
	const limit = 1 << 20
	const total = 64 << 20
	cnt := newCounters()
	var head atomic.Pointer[[]byte]
	s := &Server{MaxFrameSize: limit, Hooks: cnt.hooks(), Handler: ackHandler,
		Reject: func(ctx context.Context, req *Request, err error) []byte {
			head.Store(&req.Frame)
			return cannedACK(req.Frame, CodeAR)
		}}
	c := dialRaw(t, serve(t, s))

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	// Stream a 64 MiB frame without an end, 64 KiB at a time, while reading the answer.
	msg := testMessage("BIG1")
	go func() {
		chunk := bytes.Repeat([]byte("A"), 64<<10)
		c.c.Write(append([]byte(vt), msg...))
		for sent := 0; sent < total; sent += len(chunk) {
			if _, err := c.c.Write(chunk); err != nil {
				return // the server closed the connection
			}
		}
	}()
	resp, _ := readMSA([]byte(c.frame()))
	if resp.Code != CodeAR || resp.ControlID != "BIG1" {
		t.Fatalf("answer %+v, want AR for BIG1", resp)
	}
	c.closed()

	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 8*limit {
		t.Errorf("allocated %d MiB while refusing a %d MiB frame against a %d MiB limit", grown>>20, total>>20, limit>>20)
	}
	if h := head.Load(); h == nil || !bytes.HasPrefix(*h, msg) || len(*h) > maxHead {
		t.Errorf("Reject saw %d bytes, want the first bytes of the frame", len(*head.Load()))
	}
	if n := cnt.err(KindFrameTooLarge); n != 1 {
		t.Errorf("%s counted %d times", KindFrameTooLarge, n)
	}
}

func TestServerCommitAcks(t *testing.T) {
	var calls atomic.Int32
	s := &Server{CommitAcks: true, Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
		calls.Add(1)
		if strings.Contains(string(req.Frame), "|FAIL|") {
			return cannedACK(req.Frame, CodeAE), errors.New("not stored")
		}
		if strings.Contains(string(req.Frame), "|QUIET|") {
			return nil, nil
		}
		return cannedACK(req.Frame, CodeAA), nil
	})}
	addr := serve(t, s)

	t.Run("wire", func(t *testing.T) {
		c := dialRaw(t, addr)
		c.write(frameOf(string(testMessage("W1"))))
		if f := c.frame(); f != "\x06" {
			t.Fatalf("first frame %q, want the commit block", f)
		}
		if f := c.frame(); f != string(cannedACK(testMessage("W1"), CodeAA)) {
			t.Fatalf("second frame %q, want the ACK", f)
		}
		c.write(frameOf("\x06")) // the client commits the ACK; the server must not answer it
		c.write(frameOf(string(testMessage("FAIL"))))
		if f := c.frame(); f != "\x15" {
			t.Fatalf("frame %q, want the negative commit block alone", f)
		}
		c.write(frameOf(string(testMessage("W2"))))
		if f := c.frame(); f != "\x06" {
			t.Fatalf("frame %q after a NAK, want the next commit block", f)
		}
		c.frame()
	})

	t.Run("client", func(t *testing.T) {
		cnt := newCounters()
		cl := &Client{Addr: addr, CommitAcks: true, Hooks: cnt.hooks()}
		defer cl.Close()
		calls.Store(0)
		resp, err := cl.Send(ctxTimeout(t, 5*time.Second), testMessage("R1"))
		if err != nil || !resp.Committed || resp.Code != CodeAA || resp.ControlID != "R1" {
			t.Fatalf("Send: %+v, %v; want committed AA", resp, err)
		}
		_, err = cl.Send(ctxTimeout(t, 5*time.Second), testMessage("FAIL"))
		if !errors.Is(err, ErrCommitNAK) {
			t.Fatalf("Send of a refused message: %v, want ErrCommitNAK", err)
		}
		resp, err = cl.Send(ctxTimeout(t, 5*time.Second), testMessage("R2"))
		if err != nil || !resp.Committed || resp.ControlID != "R2" {
			t.Fatalf("Send after a NAK: %+v, %v", resp, err)
		}
		if n := calls.Load(); n != 3 {
			t.Errorf("handler called %d times, want 3 (commit blocks are not messages)", n)
		}
		if n := cnt.opened.Load(); n != 1 {
			t.Errorf("%d connections opened, want 1: a NAK keeps the connection", n)
		}
	})

	t.Run("commit only", func(t *testing.T) {
		cl := &Client{Addr: addr, CommitAcks: true, CommitOnly: true}
		defer cl.Close()
		for _, msgID := range []string{"QUIET", "QUIET"} {
			resp, err := cl.Send(ctxTimeout(t, 5*time.Second), testMessage(msgID))
			if err != nil || !resp.Committed || resp.Raw != nil {
				t.Fatalf("Send: %+v, %v; want a commit and no response", resp, err)
			}
		}
	})
}

func TestServerValidate(t *testing.T) {
	s := &Server{Framing: Framing{Start: 1, End: 1, Trailer: 2}, MaxFrameSize: -1}
	err := s.Validate()
	want := "mllp: server has no Handler\nmllp: framing 0x01 0x01 0x02: the three bytes must differ: invalid framing bytes\nmllp: MaxFrameSize -1 is negative"
	if err == nil || err.Error() != want {
		t.Fatalf("Validate() = %v, want %q", err, want)
	}
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	if err := s.Serve(l); err == nil || err.Error() != want {
		t.Fatalf("Serve() = %v, want the validation error", err)
	}
	if _, err := l.Accept(); err == nil {
		t.Fatal("Serve left the listener open")
	}
}

func TestServerConnHooks(t *testing.T) {
	cnt := newCounters()
	s := &Server{Handler: ackHandler, Hooks: cnt.hooks()}
	addr := serve(t, s)
	for i := range 3 {
		c := dialRaw(t, addr)
		c.write(frameOf(string(testMessage(id(i)))))
		c.frame()
		c.c.Close()
	}
	eventually(t, "three connections closed", func() bool { return cnt.closed.Load() == 3 })
	if cnt.opened.Load() != 3 || cnt.in.Load() != 3 || cnt.out.Load() != 3 {
		t.Errorf("opened %d, frames in %d, out %d; want 3 each", cnt.opened.Load(), cnt.in.Load(), cnt.out.Load())
	}
	if n := cnt.err(KindRead); n != 0 {
		t.Errorf("a clean close counted %d read errors", n)
	}
}

func TestServerEOFInsideFrame(t *testing.T) {
	cnt := newCounters()
	s := &Server{Handler: ackHandler, Hooks: cnt.hooks()}
	c := dialRaw(t, serve(t, s))
	c.write(vt + "MSH|^~\\&|cut")
	c.c.(*net.TCPConn).CloseWrite()
	if _, err := io.ReadAll(c.c); err != nil {
		t.Fatal(err)
	}
	eventually(t, "unexpected EOF counted", func() bool { return cnt.err(KindUnexpectedEOF) == 1 })
	if d := cnt.discard.Load(); d != 13 {
		t.Errorf("discarded %d bytes, want 13", d)
	}
}

func TestServerShutdownPipelined(t *testing.T) {
	var started sync.WaitGroup
	started.Add(2)
	release := make(chan struct{})
	s := &Server{MaxInFlight: 2, Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
		started.Done()
		<-release
		return cannedACK(req.Frame, CodeAA), nil
	})}
	c := dialRaw(t, serve(t, s))
	c.write(frameOf(string(testMessage("P1"))) + frameOf(string(testMessage("P2"))))
	started.Wait()
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(ctxTimeout(t, 10*time.Second)) }()
	time.Sleep(20 * time.Millisecond)
	close(release)
	for _, want := range []string{"P1", "P2"} {
		if resp, _ := readMSA([]byte(c.frame())); resp.ControlID != want {
			t.Fatalf("response for %q, want %q", resp.ControlID, want)
		}
	}
	c.closed()
	if err := <-shut; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
}

func TestServerListenAndServe(t *testing.T) {
	s := &Server{Addr: "127.0.0.1:0", Handler: ackHandler}
	done := make(chan error, 1)
	go func() { done <- s.ListenAndServe() }()
	eventually(t, "listening", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.listeners) == 1
	})
	s.Close()
	if err := <-done; err != ErrServerClosed {
		t.Errorf("ListenAndServe after Close: %v, want ErrServerClosed", err)
	}
	bad := &Server{Addr: "127.0.0.1:99999", Handler: ackHandler}
	if err := bad.ListenAndServe(); err == nil || !strings.HasPrefix(err.Error(), "mllp: listen on 127.0.0.1:99999: ") {
		t.Errorf("ListenAndServe on a bad address: %v", err)
	}
}

// TestServerIdleTimeoutAfterBusyTraffic checks that an idle deadline kept from earlier
// messages (see lazyDeadline) never closes a connection before IdleTimeout of silence.
func TestServerIdleTimeoutAfterBusyTraffic(t *testing.T) {
	const idle = 300 * time.Millisecond
	s := &Server{Handler: ackHandler, IdleTimeout: idle}
	c := dialRaw(t, serve(t, s))
	for i := range 10 {
		c.write(frameOf(string(testMessage(id(i)))))
		if resp, _ := readMSA([]byte(c.frame())); resp.ControlID != id(i) {
			t.Fatalf("message %d: ACK of %q", i, resp.ControlID)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The server's wait began as it wrote the last ACK, a little before this one: allow
	// 10 ms for that.
	elapsed := c.closed()
	if elapsed < idle-10*time.Millisecond || elapsed > idle+idle/deadlineSlack+700*time.Millisecond {
		t.Errorf("closed after %v of silence, want %v to %v (give or take scheduling)", elapsed, idle, idle+idle/deadlineSlack)
	}
}
