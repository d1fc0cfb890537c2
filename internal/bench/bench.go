// Package bench drives Courier end to end on loopback and measures it: senders stream HL7
// messages over MLLP into a real engine (SQLite store, fsync on), which acknowledges after
// storing and delivers over MLLP to a receiver. In the same run it measures the ceiling: the
// same senders against an MLLP server that parses and acknowledges without storing, so that
// the cost of durability reads as a ratio. `courier bench` prints what it returns.
package bench

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/connector"
	mllpconn "github.com/courier-hl7/courier/internal/connector/mllp"
	"github.com/courier-hl7/courier/internal/engine"
	"github.com/courier-hl7/courier/internal/store/sqlite"
	"github.com/courier-hl7/courier/mllp"
	"golang.org/x/time/rate"
)

// Options configure a run.
type Options struct {
	Senders  int           // concurrent sending connections (default 32)
	Duration time.Duration // how long each phase streams (default 20s)
	Rate     float64       // messages per second in total; 0 sends as fast as acknowledged
	Size     int           // approximate message size in bytes (default 1024)
	Dir      string        // data directory for the store (default a temporary one, removed after)
	// Phases to run: "ceiling" (MLLP round trip without a store) and "engine" (the full path).
	Phases []string
	// Progress, when set, receives a line every few seconds.
	Progress func(string)
	// EngineDrained, when set, is called once the engine phase has delivered everything,
	// with the engine still running: the moment to look at what it holds (a heap profile).
	EngineDrained func() error
}

// Result is one phase's figures.
type Result struct {
	Phase       string
	Sent        int64 // messages acknowledged positively
	Failed      int64 // not acknowledged positively (errors, negative ACKs)
	Delivered   int64 // received by the destination (engine phase)
	Seconds     float64
	Rate        float64 // acknowledged messages per second
	P50, P99    time.Duration
	Max         time.Duration
	HeapStart   uint64  // live heap (marked by the last GC) after the warm-up, bytes
	HeapEnd     uint64  // live heap at the end
	HeapMax     uint64  // largest live heap sampled
	RSSMax      uint64  // the process's resident set size, largest sample (Linux)
	DrainSecond float64 // engine: time after the last ACK until every message was delivered
	// GoMax is the largest sample of the memory the Go runtime holds from the system, less
	// what it has returned: the Go part of RSS. RSS beyond it is SQLite's (its page caches,
	// allocated outside the Go heap) and the program's code.
	GoMax uint64
}

func (o *Options) defaults() {
	if o.Senders <= 0 {
		o.Senders = 32
	}
	if o.Duration <= 0 {
		o.Duration = 20 * time.Second
	}
	if o.Size <= 0 {
		o.Size = 1024
	}
	if len(o.Phases) == 0 {
		o.Phases = []string{"ceiling", "engine"}
	}
}

// Run runs the phases in order and returns their results.
func Run(ctx context.Context, o Options) ([]Result, error) {
	o.defaults()
	var out []Result
	for _, ph := range o.Phases {
		var r Result
		var err error
		switch ph {
		case "ceiling":
			r, err = runCeiling(ctx, o)
		case "engine":
			r, err = runEngine(ctx, o)
		default:
			return out, fmt.Errorf("unknown phase %q: use ceiling or engine", ph)
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", ph, err)
		}
		out = append(out, r)
		runtime.GC()
	}
	return out, nil
}

// message returns an ADT^A01 of about size bytes with a unique control ID and a unique
// visit number (PV1-19): distinct messages, as real traffic sends, rather than one body under
// many control IDs, which the store flags as resends (same content, new MSH-10).
func message(id string, mrn int, size int) []byte {
	s := "MSH|^~\\&|BENCH|HOSP|COURIER|HOSP|20261127120000||ADT^A01^ADT_A01|" + id + "|P|2.5.1\r" +
		"EVN|A01|20261127120000\r" +
		"PID|1||" + strconv.Itoa(mrn) + "^^^HOSP^MR||TESTPATIENT^ALPHA^Q||19800101|F|||1 Main St^^Springfield^IL^62701^USA||(217)555-0101\r" +
		"PV1|1|I|4N^401^1^HOSP||||1234^ATTENDING^ALEX^^^^^^^^^^NPI|||MED||||ADM|A0||||V" + id + "\r"
	if pad := size - len(s) - len("NTE|1||\r"); pad > 0 {
		s += "NTE|1||" + strings.Repeat("x", pad) + "\r"
	}
	return []byte(s)
}

// receiver is an MLLP server that acknowledges everything and counts what it gets.
func receiver(count *atomic.Int64) (*mllp.Server, net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	srv := &mllp.Server{Handler: mllp.HandlerFunc(func(_ context.Context, req *mllp.Request) ([]byte, error) {
		m, err := hl7.Parse(req.Frame)
		if err != nil {
			return hl7.RejectRaw(req.Frame, hl7.AckOptions{Code: hl7.AckAR}).Bytes(), nil
		}
		count.Add(1)
		a, err := m.ACK(hl7.AckOptions{ControlID: "R" + m.ControlID()})
		if err != nil {
			return nil, err
		}
		return a.Bytes(), nil
	}), MaxInFlight: 1}
	go func() { _ = srv.Serve(ln) }()
	return srv, ln, nil
}

// runCeiling measures senders against a server that parses and acknowledges, nothing more.
func runCeiling(ctx context.Context, o Options) (Result, error) {
	var n atomic.Int64
	srv, ln, err := receiver(&n)
	if err != nil {
		return Result{}, err
	}
	defer srv.Close()
	r, err := stream(ctx, o, "ceiling", ln.Addr().String(), nil)
	return r, err
}

// runEngine measures the full path: MLLP in, store (fsync), ACK, MLLP out to a receiver.
func runEngine(ctx context.Context, o Options) (Result, error) {
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "courier-bench-")
		if err != nil {
			return Result{}, err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	var delivered atomic.Int64
	rsrv, rln, err := receiver(&delivered)
	if err != nil {
		return Result{}, err
	}
	defer rsrv.Close()
	log := slog.New(slog.DiscardHandler)
	st, err := sqlite.Open(ctx, filepath.Join(dir, "bench.db"), sqlite.Options{Logger: log})
	if err != nil {
		return Result{}, err
	}
	defer st.Close()
	eng, err := engine.New(engine.Options{Store: st, NodeID: "bench", Logger: log})
	if err != nil {
		return Result{}, err
	}
	srcAddr, err := freeAddr()
	if err != nil {
		return Result{}, err
	}
	src, dst, err := connectors(srcAddr, rln.Addr().String(), log)
	if err != nil {
		return Result{}, err
	}
	err = eng.Add(engine.ChannelConfig{
		Name: "bench", Source: src, AckMode: engine.AckAfterStore, DedupeWindow: time.Hour,
		Destinations: []engine.DestinationConfig{{Name: "receiver", Dest: dst, Batch: 64}},
	})
	if err != nil {
		return Result{}, err
	}
	if err := eng.Start(ctx); err != nil {
		return Result{}, err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = eng.Stop(sctx)
	}()
	r, err := stream(ctx, o, "engine", srcAddr, &delivered)
	if err != nil {
		return r, err
	}
	// Wait for the destination to receive everything acknowledged.
	start := time.Now()
	for delivered.Load() < r.Sent && time.Since(start) < 2*time.Minute && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	r.Delivered = delivered.Load()
	r.DrainSecond = time.Since(start).Seconds()
	if o.EngineDrained != nil {
		if err := o.EngineDrained(); err != nil {
			return r, err
		}
	}
	return r, nil
}

// connectors builds the MLLP source and destination from configuration, as courier.yaml would.
func connectors(listen, to string, log *slog.Logger) (connector.Source, connector.Destination, error) {
	reg := connector.NewEnv()
	if err := reg.RegisterSource(mllpconn.SourceSpec(), mllpconn.NewSource); err != nil {
		return nil, nil, err
	}
	if err := reg.RegisterDestination(mllpconn.DestinationSpec(), mllpconn.NewDestination); err != nil {
		return nil, nil, err
	}
	host, port, _ := net.SplitHostPort(to)
	spec := config.Spec{Name: "bench", Fields: []config.Field{
		{Name: "source", Type: config.Plugin, Category: connector.CategorySource},
		{Name: "destination", Type: config.Plugin, Category: connector.CategoryDestination},
	}}
	yaml := fmt.Sprintf("source:\n  type: mllp\n  listen: %q\n  max_connections_per_ip: 1000\ndestination:\n  type: mllp\n  host: %s\n  port: %s\n", listen, host, port)
	n, err := config.Decode("bench.yaml", []byte(yaml), spec, reg.Specs(), nil)
	if err != nil {
		return nil, nil, err
	}
	deps := connector.Deps{Logger: log, Channel: "bench", Name: "receiver"}
	src, err := reg.NewSource(n.Object("source"), deps)
	if err != nil {
		return nil, nil, err
	}
	dst, err := reg.NewDestination(n.Object("destination"), deps)
	return src, dst, err
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// stream runs the senders for the duration and gathers latencies and memory samples.
func stream(ctx context.Context, o Options, phase, addr string, delivered *atomic.Int64) (Result, error) {
	res := Result{Phase: phase}
	var lim *rate.Limiter
	if o.Rate > 0 {
		lim = rate.NewLimiter(rate.Limit(o.Rate), o.Senders)
	}
	var sent, failed atomic.Int64
	lats := make([]histogram, o.Senders)
	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	warm := time.Now().Add(min(2*time.Second, o.Duration/5))
	start := time.Now()
	for i := range o.Senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &mllp.Client{Addr: addr, ACKTimeout: 30 * time.Second}
			defer c.Close()
			for seq := 0; runCtx.Err() == nil; seq++ {
				if lim != nil && lim.Wait(runCtx) != nil {
					return
				}
				id := fmt.Sprintf("%s-%d-%d", phase, i, seq)
				msg := message(id, 1000+(i*7919+seq)%200, o.Size)
				t0 := time.Now()
				sctx, scancel := context.WithTimeout(context.WithoutCancel(runCtx), 30*time.Second)
				resp, err := c.Send(sctx, msg)
				scancel()
				lat := time.Since(t0)
				if err != nil || !resp.Accepted() {
					failed.Add(1)
					if err == nil {
						err = fmt.Errorf("answer %q", resp.Code)
					}
					errOnce.Do(func() { firstErr = err })
					if errors.Is(err, mllp.ErrClientClosed) {
						return
					}
					continue
				}
				sent.Add(1)
				if t0.After(warm) {
					lats[i].add(lat)
				}
			}
		}()
	}
	// Memory samples while streaming.
	sampleDone := make(chan struct{})
	go func() {
		defer close(sampleDone)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		warmed := false
		last := time.Now()
		// The live heap as of the last GC: what the program holds, without the garbage that
		// HeapInuse counts until it is swept (up to GOGC% more), so that growth shows.
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
			}
			metrics.Read(live)
			heap := live[0].Value.Uint64()
			if !warmed && time.Now().After(warm) {
				res.HeapStart, warmed = heap, true
			}
			res.HeapEnd = heap
			res.HeapMax = max(res.HeapMax, heap)
			rs := rss()
			res.RSSMax = max(res.RSSMax, rs)
			goMem := live[1].Value.Uint64() - live[2].Value.Uint64()
			res.GoMax = max(res.GoMax, goMem)
			if o.Progress != nil && time.Since(last) >= 5*time.Second {
				last = time.Now()
				line := fmt.Sprintf("%s: %d acknowledged (%.0f/s), %d failed", phase, sent.Load(), float64(sent.Load())/time.Since(start).Seconds(), failed.Load())
				if delivered != nil {
					line += fmt.Sprintf(", %d delivered", delivered.Load())
				}
				o.Progress(line + fmt.Sprintf(", live heap %.1f MiB, Go %.0f MiB, RSS %.0f MiB", float64(heap)/(1<<20), float64(goMem)/(1<<20), float64(rs)/(1<<20)))
			}
		}
	}()
	wg.Wait()
	<-sampleDone
	res.Seconds = time.Since(start).Seconds()
	res.Sent, res.Failed = sent.Load(), failed.Load()
	res.Rate = float64(res.Sent) / res.Seconds
	var all histogram
	for i := range lats {
		all.merge(&lats[i])
	}
	res.P50, res.P99, res.Max = all.quantile(0.5), all.quantile(0.99), all.max
	if res.Sent == 0 && firstErr != nil {
		return res, firstErr
	}
	return res, nil
}

// rss returns the resident set size of this process from /proc, or 0 elsewhere.
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				kb, _ := strconv.ParseUint(f[1], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}
