package mllp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testMessage returns a synthetic ADT^A01 with control id id (no real patient data).
func testMessage(id string) []byte {
	return []byte("MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|GHH LAB|GOOD HEALTH HOSPITAL|20240101120000||ADT^A01^ADT_A01|" + id + "|P|2.5\r" +
		"EVN|A01|20240101120000\r" +
		"PID|1||PATID1234^^^GHH^MR||TESTPATIENT^ALPHA^A||19700101|F|||1 TEST STREET^^TESTTOWN^^00000||555-0100\r" +
		"PV1|1|I|2000^2012^01||||004777^DOCTOR^TEST^A|||SUR||||ADM|A0|\r")
}

// cannedACK builds an acknowledgement of msg from its bytes alone: MSH-10 copied to MSA-2.
// It stands in for the hl7 package's ACK builder in tests and benchmarks.
func cannedACK(msg []byte, code string) []byte {
	id := mshField(msg, 10)
	b := make([]byte, 0, 96+2*len(id))
	b = append(b, "MSH|^~\\&|GHH LAB|GOOD HEALTH HOSPITAL|ADT1|GOOD HEALTH HOSPITAL|20240101120001||ACK^A01^ACK|A"...)
	b = append(b, id...)
	b = append(b, "|P|2.5\rMSA|"...)
	b = append(b, code...)
	b = append(b, '|')
	b = append(b, id...)
	return append(b, '\r')
}

// ackHandler acknowledges every message with AA.
var ackHandler = HandlerFunc(func(_ context.Context, req *Request) ([]byte, error) {
	return cannedACK(req.Frame, CodeAA), nil
})

// serve starts s on 127.0.0.1:0 and returns its address; the server is closed when the test
// ends, and Serve must have returned by then.
func serve(t testing.TB, s *Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		select {
		case err := <-done:
			if !errors.Is(err, ErrServerClosed) {
				t.Errorf("Serve returned %v, want ErrServerClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return within 5 s of Close")
		}
	})
	return l.Addr().String()
}

// rawConn is a test peer speaking MLLP by hand.
type rawConn struct {
	t  testing.TB
	c  net.Conn
	rd *Reader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c, rd: NewReader(c, ReaderOptions{})}
}

func (r *rawConn) write(s string) {
	r.t.Helper()
	r.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.c.Write([]byte(s)); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// frame reads one frame, failing the test after 5 s.
func (r *rawConn) frame() string {
	r.t.Helper()
	r.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	f, err := r.rd.ReadFrame()
	if err != nil {
		r.t.Fatalf("read frame: %v", err)
	}
	return string(f)
}

// closed waits up to 5 s for the server to close the connection and returns how long that
// took. Frames received meanwhile fail the test.
func (r *rawConn) closed() time.Duration {
	r.t.Helper()
	start := time.Now()
	r.c.SetReadDeadline(start.Add(5 * time.Second))
	f, err := r.rd.ReadFrame()
	if err == nil {
		r.t.Fatalf("got frame %q, want the connection closed", f)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		r.t.Fatalf("connection still open after 5 s")
	}
	return time.Since(start)
}

// counters records hook events.
type counters struct {
	mu      sync.Mutex
	errs    map[ErrorKind]int
	rejects []error
	opened  atomic.Int64
	closed  atomic.Int64
	in, out atomic.Int64
	discard atomic.Int64
}

func newCounters() *counters { return &counters{errs: map[ErrorKind]int{}} }

func (c *counters) hooks() Hooks {
	return Hooks{
		OnConnOpen:  func(ConnInfo) { c.opened.Add(1) },
		OnConnClose: func(ConnInfo) { c.closed.Add(1) },
		OnConnReject: func(_ net.Addr, err error) {
			c.mu.Lock()
			c.rejects = append(c.rejects, err)
			c.mu.Unlock()
		},
		OnFrameIn:  func(int) { c.in.Add(1) },
		OnFrameOut: func(int) { c.out.Add(1) },
		OnDiscard:  func(n int) { c.discard.Add(int64(n)) },
		OnError: func(k ErrorKind) {
			c.mu.Lock()
			c.errs[k]++
			c.mu.Unlock()
		},
	}
}

func (c *counters) err(k ErrorKind) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.errs[k]
}

// eventually polls cond every 5 ms for up to 5 s.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for range 1000 {
		if cond() {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("after 5 s: %s", what)
}

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func frameOf(payload string) string { return vt + payload + fs + cr }

func id(i int) string { return fmt.Sprintf("MSG%05d", i) }
