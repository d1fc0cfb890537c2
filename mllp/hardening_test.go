package mllp

// Adversarial tests of the listener and the client, as a network engineer would run them
// before putting the stack in front of an EHR: limits, deadlines, half-closed and stalled
// peers, odd framing, shutdown under load, and resource growth.

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// logBuffer collects a Server's or Client's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTestLogger() (*logBuffer, *slog.Logger) {
	lb := &logBuffer{}
	return lb, slog.New(slog.NewTextHandler(lb, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// settleGoroutines waits up to 5 s for the number of goroutines to fall to at most n.
func settleGoroutines(t *testing.T, n int) {
	t.Helper()
	for range 500 {
		if runtime.NumGoroutine() <= n {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	buf := make([]byte, 1<<20)
	t.Fatalf("%d goroutines, want at most %d:\n%s", runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
}

func TestReaderLenientEndBlockAloneDoesNotWait(t *testing.T) {
	// A sender that ends frames with 0x1C alone writes nothing more until it has the
	// answer: the reader must not wait for the byte after the end block.
	pr, pw := io.Pipe()
	defer pw.Close()
	rd := NewReader(pr, ReaderOptions{Lenient: true})
	type got struct {
		frame string
		err   error
	}
	next := func() got {
		ch := make(chan got, 1)
		go func() {
			f, err := rd.ReadFrame()
			ch <- got{string(f), err}
		}()
		select {
		case g := <-ch:
			return g
		case <-time.After(2 * time.Second):
			pw.CloseWithError(errors.New("test timed out"))
			t.Fatal("ReadFrame still waiting 2 s after the end block")
			return got{}
		}
	}
	writes := make(chan error, 1)
	go func() {
		_, err := pw.Write([]byte(vt + "A" + fs))
		writes <- err
	}()
	if g := next(); g.frame != "A" || g.err != nil {
		t.Fatalf("ReadFrame = %q, %v; want A", g.frame, g.err)
	}
	<-writes
	// The trailer and a line feed arriving late belong to that frame: not discarded.
	go func() {
		_, err := pw.Write([]byte(cr + "\n" + vt + "B" + fs + cr))
		writes <- err
	}()
	if g := next(); g.frame != "B" || g.err != nil {
		t.Fatalf("ReadFrame = %q, %v; want B", g.frame, g.err)
	}
	<-writes
	if d := rd.Discarded(); d != 0 {
		t.Errorf("Discarded() = %d, want 0", d)
	}
}

func TestServerLenientEndBlockAlone(t *testing.T) {
	// Before the fix the server waited for a 0x0D that never came, and the sender got no
	// answer: ReadTimeout closed the connection and the message was lost.
	s := &Server{Lenient: true, ReadTimeout: 3 * time.Second, Handler: ackHandler}
	c := dialRaw(t, serve(t, s))
	for _, id := range []string{"FS1", "FS2"} {
		c.write(vt + string(testMessage(id)) + fs)
		start := time.Now()
		c.c.SetReadDeadline(start.Add(2 * time.Second))
		f, err := c.rd.ReadFrame()
		if err != nil {
			t.Fatalf("no answer to a frame ended by 0x1C alone: %v after %v", err, time.Since(start))
		}
		if resp, _ := readMSA(f); resp.ControlID != id {
			t.Fatalf("answer for %q, want %s", resp.ControlID, id)
		}
	}
}

func TestServerStrictEndBlockAloneLogsHint(t *testing.T) {
	lb, lg := newTestLogger()
	cnt := newCounters()
	s := &Server{ReadTimeout: 200 * time.Millisecond, Handler: ackHandler, Logger: lg, Hooks: cnt.hooks()}
	c := dialRaw(t, serve(t, s))
	c.write(vt + string(testMessage("FS1")) + fs)
	c.closed()
	eventually(t, "read timeout counted", func() bool { return cnt.err(KindReadTimeout) == 1 })
	if !strings.Contains(lb.String(), "enable lenient framing") {
		t.Errorf("log does not point at the missing 0x0D:\n%s", lb.String())
	}
}

func TestClientLenientEndBlockAlone(t *testing.T) {
	// A receiver ending its acknowledgements with 0x1C, then (late, on the first one) 0x0D.
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
			accepted.Add(1)
			go func() {
				defer c.Close()
				rd := NewReader(c, ReaderOptions{})
				for i := 0; i < 10; i++ {
					f, err := rd.ReadFrame()
					if err != nil {
						return
					}
					c.Write(append(append([]byte(vt), cannedACK(f, CodeAA)...), 0x1C))
					if i == 0 {
						time.Sleep(50 * time.Millisecond)
						c.Write([]byte(cr))
					}
				}
			}()
		}
	}()
	cnt := newCounters()
	cl := &Client{Addr: l.Addr().String(), Lenient: true, ACKTimeout: 2 * time.Second, Hooks: cnt.hooks()}
	defer cl.Close()
	for i, id := range []string{"L1", "L2", "L3"} {
		if i == 1 {
			time.Sleep(100 * time.Millisecond) // the late trailer is waiting on the socket
		}
		resp, err := cl.Send(ctxTimeout(t, 3*time.Second), testMessage(id))
		if err != nil || resp.ControlID != id {
			t.Fatalf("Send %s: %+v, %v", id, resp, err)
		}
	}
	if n := accepted.Load(); n != 1 {
		t.Errorf("%d connections, want 1: a late trailer was taken for unsolicited data", n)
	}
	if n := cnt.err(KindUnsolicited); n != 0 {
		t.Errorf("%s counted %d times", KindUnsolicited, n)
	}
}

func TestServerFrameSizeBoundary(t *testing.T) {
	const limit = 64 << 10
	tests := []struct {
		Name string
		Size int
		Code string
	}{
		{"exactly the limit", limit, CodeAA},
		{"one byte over", limit + 1, CodeAR},
	}
	var seen atomic.Int64
	s := &Server{MaxFrameSize: limit, Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
		seen.Store(int64(len(req.Frame)))
		return cannedACK(req.Frame, CodeAA), nil
	}), Reject: func(ctx context.Context, req *Request, err error) []byte { return cannedACK(req.Frame, CodeAR) }}
	addr := serve(t, s)
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			seen.Store(0)
			msg := testMessage("SIZE")
			c := dialRaw(t, addr)
			c.write(frameOf(string(msg) + strings.Repeat("A", tt.Size-len(msg))))
			resp, _ := readMSA([]byte(c.frame()))
			if resp.Code != tt.Code || resp.ControlID != "SIZE" {
				t.Fatalf("answer %s for %s, want %s", resp.Code, resp.ControlID, tt.Code)
			}
			if tt.Code == CodeAA && seen.Load() != limit {
				t.Errorf("handler saw %d bytes, want %d", seen.Load(), limit)
			}
			if tt.Code == CodeAR {
				c.closed()
			}
		})
	}
}

func TestServerOversizedFrameTrickled(t *testing.T) {
	// Refused as soon as the limit is passed, not at ReadTimeout.
	cnt := newCounters()
	s := &Server{MaxFrameSize: 16 << 10, ReadTimeout: 5 * time.Second, Hooks: cnt.hooks(), Handler: ackHandler,
		Reject: func(ctx context.Context, req *Request, err error) []byte { return cannedACK(req.Frame, CodeAR) }}
	c := dialRaw(t, serve(t, s))
	c.write(vt + string(testMessage("TRICKLE")))
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		chunk := bytes.Repeat([]byte("a"), 512)
		for range 400 {
			if _, err := c.c.Write(chunk); err != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	start := time.Now()
	resp, _ := readMSA([]byte(c.frame()))
	if resp.Code != CodeAR || resp.ControlID != "TRICKLE" || time.Since(start) > 3*time.Second {
		t.Fatalf("answer %+v after %v, want AR well before ReadTimeout", resp, time.Since(start))
	}
	c.closed()
}

func TestServerStartBlockThenSilence(t *testing.T) {
	const d = 300 * time.Millisecond
	cnt := newCounters()
	s := &Server{ReadTimeout: d, Handler: ackHandler, Hooks: cnt.hooks()}
	c := dialRaw(t, serve(t, s))
	c.write(vt)
	if took := c.closed(); took < d || took > d+d/deadlineSlack+700*time.Millisecond {
		t.Errorf("closed after %v, want about %v", took, d)
	}
	eventually(t, "read timeout counted", func() bool { return cnt.err(KindReadTimeout) == 1 })
}

func TestServerPeerNeverReadsAnswers(t *testing.T) {
	// The peer sends and never reads: WriteTimeout must end the connection and its
	// goroutines, in both modes.
	big := bytes.Repeat([]byte("Z"), 256<<10)
	for _, inFlight := range []int{1, 4} {
		cnt := newCounters()
		s := &Server{MaxInFlight: inFlight, WriteTimeout: 300 * time.Millisecond, Hooks: cnt.hooks(),
			Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
				return append(cannedACK(req.Frame, CodeAA), big...), nil
			})}
		addr := serve(t, s)
		base := runtime.NumGoroutine()
		c := dialRaw(t, addr)
		start := time.Now()
		for i := 0; i < 2000 && time.Since(start) < 3*time.Second && cnt.closed.Load() == 0; i++ {
			c.c.SetWriteDeadline(time.Now().Add(time.Second))
			if _, err := c.c.Write([]byte(frameOf(string(testMessage(id(i)))))); err != nil {
				break
			}
		}
		eventually(t, "connection closed by the server", func() bool { return cnt.closed.Load() == 1 })
		if cnt.err(KindWriteTimeout) != 1 {
			t.Errorf("MaxInFlight %d: errors %v, want one write timeout", inFlight, cnt.errs)
		}
		settleGoroutines(t, base)
	}
}

func TestServerHalfClosedPeer(t *testing.T) {
	for _, inFlight := range []int{1, 3} {
		cnt := newCounters()
		s := &Server{MaxInFlight: inFlight, Handler: ackHandler, Hooks: cnt.hooks()}
		addr := serve(t, s)
		// Three messages, then FIN: all three are answered, then the server closes.
		c := dialRaw(t, addr)
		c.write(frameOf(string(testMessage("H1"))) + frameOf(string(testMessage("H2"))) + frameOf(string(testMessage("H3"))))
		c.c.(*net.TCPConn).CloseWrite()
		for _, want := range []string{"H1", "H2", "H3"} {
			if resp, _ := readMSA([]byte(c.frame())); resp.ControlID != want {
				t.Fatalf("MaxInFlight %d: answer for %q, want %s", inFlight, resp.ControlID, want)
			}
		}
		c.closed()
		// FIN inside a frame: nothing answered, counted as unexpected_eof.
		p := dialRaw(t, addr)
		p.write(vt + "MSH|^~\\&|partial")
		p.c.(*net.TCPConn).CloseWrite()
		p.closed()
		eventually(t, "unexpected EOF counted", func() bool { return cnt.err(KindUnexpectedEOF) == 1 })
	}
}

func TestServerTLSHandshakeStall(t *testing.T) {
	// Peers that connect to a TLS port and stall in the handshake hold a connection slot
	// (they count against MaxConnsPerIP) until ReadTimeout, which bounds the handshake.
	ca := newTestCA(t, "Test Hospital CA")
	cert, _, _ := ca.issue(t, localhostSpec())
	cfg, err := ServerTLS(ServerTLSOptions{Certificate: &cert})
	if err != nil {
		t.Fatal(err)
	}
	const d = 400 * time.Millisecond
	cnt := newCounters()
	s := &Server{MaxConnsPerIP: 2, ReadTimeout: d, TLSConfig: cfg, Handler: ackHandler, Hooks: cnt.hooks()}
	addr := serve(t, s)
	silent := dialRaw(t, addr)
	partial := dialRaw(t, addr)
	partial.write("\x16\x03\x01\x02\x00") // a handshake record header, then nothing
	eventually(t, "both stallers admitted", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.conns) == 2
	})
	dialRaw(t, addr).closed() // over the limit while they stall
	for _, c := range []*rawConn{silent, partial} {
		c.closed()
	}
	eventually(t, "handshake timeouts counted", func() bool { return cnt.err(KindTLSHandshake) == 2 })
	if cnt.err(KindConnLimitPerIP) != 1 || cnt.opened.Load() != 0 {
		t.Errorf("errors %v, %d opened; want one per-IP refusal and nothing opened", cnt.errs, cnt.opened.Load())
	}
}

func TestClientRefusedOverLimit(t *testing.T) {
	// A server over MaxConnsPerIP accepts and closes: the sender must be told that this may
	// be a refusal, not only "connection reset by peer".
	ca := newTestCA(t, "Test Hospital CA")
	cert, _, _ := ca.issue(t, localhostSpec())
	serverCfg, err := ServerTLS(ServerTLSOptions{Certificate: &cert})
	if err != nil {
		t.Fatal(err)
	}
	clientCfg, err := ClientTLS(ClientTLSOptions{RootCAs: ca.pool})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		Name      string
		ServerTLS *tls.Config
		ClientTLS *tls.Config
	}{
		{"plain", nil, nil},
		{"TLS", serverCfg, clientCfg},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			s := &Server{MaxConnsPerIP: 1, TLSConfig: tt.ServerTLS, Handler: ackHandler}
			addr := serve(t, s)
			holder := &Client{Addr: addr, TLSConfig: tt.ClientTLS}
			defer holder.Close()
			if _, err := holder.Send(ctxTimeout(t, 5*time.Second), testMessage("HOLD")); err != nil {
				t.Fatal(err)
			}
			c := &Client{Addr: addr, TLSConfig: tt.ClientTLS, ConnectTimeout: 300 * time.Millisecond}
			defer c.Close()
			_, err := c.Send(ctxTimeout(t, 5*time.Second), testMessage("REFUSED"))
			if err == nil || !strings.Contains(err.Error(), "connection limits") {
				t.Fatalf("Send over the limit: %v; want an error that mentions connection limits", err)
			}
		})
	}
}

func TestClientTLS13MissingClientCertificate(t *testing.T) {
	// Under TLS 1.3 the client finishes its handshake before the server checks its
	// certificate: the refusal comes with the first read. Send must still fail at once and
	// say why, and nothing reach the handler.
	ca := newTestCA(t, "Test Hospital CA")
	cert, _, _ := ca.issue(t, localhostSpec())
	serverCfg, err := ServerTLS(ServerTLSOptions{Certificate: &cert, ClientAuth: RequireClientCert, ClientCAs: ca.pool})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	s := &Server{TLSConfig: serverCfg, Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
		calls.Add(1)
		return cannedACK(req.Frame, CodeAA), nil
	})}
	clientCfg, err := ClientTLS(ClientTLSOptions{RootCAs: ca.pool, MinVersion: tls.VersionTLS13})
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{Addr: serve(t, s), TLSConfig: clientCfg}
	defer c.Close()
	start := time.Now()
	_, err = c.Send(ctxTimeout(t, 5*time.Second), testMessage("NOCERT"))
	if err == nil || !strings.Contains(err.Error(), "certificate required") || time.Since(start) > 2*time.Second {
		t.Fatalf("Send without a client certificate: %v after %v", err, time.Since(start))
	}
	if calls.Load() != 0 {
		t.Error("a peer without a certificate reached the handler")
	}
}

func TestServerCertReloadWithOpenConnections(t *testing.T) {
	ca := newTestCA(t, "Test Hospital CA")
	first, firstCert, firstKey := ca.issue(t, localhostSpec())
	second, secondCert, secondKey := ca.issue(t, localhostSpec())
	dir := t.TempDir()
	t0 := time.Now().Add(-time.Hour)
	certFile, keyFile := writePair(t, dir, firstCert, firstKey, t0)
	r, err := NewCertReloader(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	serverCfg, err := ServerTLS(ServerTLSOptions{Reloader: r})
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, &Server{TLSConfig: serverCfg, Handler: ackHandler})
	clientCfg, err := ClientTLS(ClientTLSOptions{RootCAs: ca.pool})
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{Addr: addr, TLSConfig: clientCfg}
	defer c.Close()
	if _, err := c.Send(ctxTimeout(t, 5*time.Second), testMessage("R1")); err != nil {
		t.Fatal(err)
	}
	writePair(t, dir, secondCert, secondKey, t0.Add(time.Minute))
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	// The open connection keeps its session; new ones get the new certificate.
	resp, err := c.Send(ctxTimeout(t, 5*time.Second), testMessage("R2"))
	if err != nil || resp.ControlID != "R2" {
		t.Fatalf("Send on the open connection after a reload: %+v, %v", resp, err)
	}
	if got, want := servedSerial(t, addr, ca.pool), second.Leaf.SerialNumber.Int64(); got != want {
		t.Errorf("new connection got serial %d, want %d (first was %d)", got, want, first.Leaf.SerialNumber.Int64())
	}
}

func TestServerOddFrames(t *testing.T) {
	tests := []struct {
		Name    string
		Lenient bool
		Input   string
		Handled []string // frames the handler saw, in order
		Closed  bool     // the server closes without answering
		Kind    ErrorKind
	}{
		{Name: "VT VT strict", Input: vt + vt + "MSH|^~\\&|A|B|C|D||||VV|P|2.5\r" + fs + cr, Closed: true, Kind: KindUnexpectedStart},
		{Name: "VT VT lenient", Lenient: true, Input: vt + vt + "MSH|^~\\&|A|B|C|D||||VV|P|2.5\r" + fs + cr, Handled: []string{"MSH|^~\\&|A|B|C|D||||VV|P|2.5\r"}},
		{Name: "FS without CR strict", Input: vt + "abc" + fs + "x" + frameOf("MSH|^~\\&|A|B|C|D||||N2|P|2.5\r"), Closed: true, Kind: KindMissingTrailer},
		{Name: "FS without CR lenient", Lenient: true, Input: vt + "abc" + fs + "x" + frameOf("MSH|^~\\&|A|B|C|D||||N2|P|2.5\r"),
			Handled: []string{"abc", "MSH|^~\\&|A|B|C|D||||N2|P|2.5\r"}},
		{Name: "NUL bytes pass untouched", Input: frameOf("MSH|^~\\&|\x00\x00|B|C|D||||NUL1|P|2.5\r"), Handled: []string{"MSH|^~\\&|\x00\x00|B|C|D||||NUL1|P|2.5\r"}},
		{Name: "not HL7 reaches the handler", Input: frameOf("GET / HTTP/1.1\r\n\r\n"), Handled: []string{"GET / HTTP/1.1\r\n\r\n"}},
	}
	for _, tt := range tests {
		t.Run(tt.Name, func(t *testing.T) {
			var mu sync.Mutex
			var handled []string
			cnt := newCounters()
			s := &Server{Lenient: tt.Lenient, Hooks: cnt.hooks(), Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
				mu.Lock()
				handled = append(handled, string(req.Frame))
				mu.Unlock()
				return cannedACK(req.Frame, CodeAA), nil
			})}
			c := dialRaw(t, serve(t, s))
			c.write(tt.Input)
			if tt.Closed {
				c.closed()
				eventually(t, string(tt.Kind)+" counted", func() bool { return cnt.err(tt.Kind) == 1 })
			} else {
				for range tt.Handled {
					c.frame()
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if strings.Join(handled, "|") != strings.Join(tt.Handled, "|") || len(handled) != len(tt.Handled) {
				t.Errorf("handler saw %q, want %q", handled, tt.Handled)
			}
		})
	}
}

func TestServerPipelinedCommitAcks(t *testing.T) {
	for _, inFlight := range []int{1, 3} {
		s := &Server{CommitAcks: true, MaxInFlight: inFlight, Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
			if bytes.Contains(req.Frame, []byte("|FAIL|")) {
				return cannedACK(req.Frame, CodeAE), errors.New("not stored")
			}
			time.Sleep(time.Duration(4-min(req.Seq, 3)) * 10 * time.Millisecond) // earlier ones slower
			return cannedACK(req.Frame, CodeAA), nil
		})}
		c := dialRaw(t, serve(t, s))
		// Messages with the peer's own commit block for an earlier answer in between.
		c.write(frameOf(string(testMessage("P1"))) + frameOf("\x06") + frameOf(string(testMessage("FAIL"))) + frameOf(string(testMessage("P3"))))
		var got []string
		for range 5 {
			switch f := c.frame(); f {
			case "\x06":
				got = append(got, "ACK")
			case "\x15":
				got = append(got, "NAK")
			default:
				resp, _ := readMSA([]byte(f))
				got = append(got, resp.ControlID)
			}
		}
		if want := "ACK P1 NAK ACK P3"; strings.Join(got, " ") != want {
			t.Errorf("MaxInFlight %d: got %v, want %s", inFlight, got, want)
		}
	}
}

func TestServerShutdownAndCloseWithSlowHandler(t *testing.T) {
	t.Run("Shutdown lets it finish", func(t *testing.T) {
		release := make(chan struct{})
		entered := make(chan struct{})
		var cancelled atomic.Bool
		s := &Server{Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
			close(entered)
			select {
			case <-release:
			case <-time.After(5 * time.Second):
			}
			cancelled.Store(ctx.Err() != nil)
			return cannedACK(req.Frame, CodeAA), nil
		})}
		addr := serve(t, s)
		c := dialRaw(t, addr)
		c.write(frameOf(string(testMessage("SLOW"))))
		<-entered
		done := make(chan error, 1)
		go func() { done <- s.Shutdown(ctxTimeout(t, 5*time.Second)) }()
		eventually(t, "listener closed", func() bool {
			n, err := net.DialTimeout("tcp", addr, time.Second)
			if n != nil {
				n.Close()
			}
			return err != nil
		})
		close(release)
		if resp, _ := readMSA([]byte(c.frame())); resp.ControlID != "SLOW" {
			t.Fatalf("answer for %q", resp.ControlID)
		}
		c.closed()
		if err := <-done; err != nil || cancelled.Load() {
			t.Errorf("Shutdown = %v, handler context cancelled %v", err, cancelled.Load())
		}
	})
	t.Run("Close cancels it", func(t *testing.T) {
		entered := make(chan struct{})
		var cancelled atomic.Bool
		s := &Server{Handler: HandlerFunc(func(ctx context.Context, req *Request) ([]byte, error) {
			close(entered)
			select {
			case <-ctx.Done():
				cancelled.Store(true)
			case <-time.After(5 * time.Second):
			}
			return cannedACK(req.Frame, CodeAA), nil
		})}
		c := dialRaw(t, serve(t, s))
		c.write(frameOf(string(testMessage("SLOW"))))
		<-entered
		s.Close()
		c.closed()
		eventually(t, "handler context cancelled", cancelled.Load)
	})
}

func TestServerManyShortConnections(t *testing.T) {
	// 10,000 connections, one message each: no goroutine or connection-table growth.
	n := 10000
	if testing.Short() {
		n = 1000
	}
	s := &Server{Handler: ackHandler}
	addr := serve(t, s)
	runtime.GC()
	base := runtime.NumGoroutine()
	start := time.Now()
	for i := range n {
		if time.Since(start) > 90*time.Second {
			t.Fatalf("only %d connections in 90 s", i)
		}
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte(frameOf(string(testMessage(id(i)))))); err != nil {
			t.Fatal(err)
		}
		if _, err := NewReader(c, ReaderOptions{}).ReadFrame(); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		c.Close()
	}
	eventually(t, "connection table empty", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		return len(s.conns) == 0 && len(s.perIP) == 0
	})
	settleGoroutines(t, base)
}
