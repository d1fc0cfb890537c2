package mllp

import (
	"context"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/courier-hl7/courier/hl7"
)

// benchHandler answers in the round-trip benchmarks the way a receiver does: it parses the
// message with the hl7 package and builds its ACK (MSH swapped, MSA-2 = MSH-10, a new
// control ID and time).
var benchHandler Handler = HandlerFunc(func(_ context.Context, req *Request) ([]byte, error) {
	m, err := hl7.Parse(req.Frame)
	if err != nil {
		return nil, err
	}
	ack, err := m.ACK(hl7.AckOptions{})
	if err != nil {
		return nil, err
	}
	return ack.Bytes(), nil
})

var benchConns = []int{1, 8, 64}

// BenchmarkRoundTrip measures messages per second through a Client and a Server on
// loopback: frame, send, read, handle (parse, build the ACK), answer, read the ACK,
// check MSA-2. Compare with BenchmarkEcho, run in the same invocation:
//
//	go test -run=^$ -bench='RoundTrip|Echo' -benchtime=3s ./mllp
func BenchmarkRoundTrip(b *testing.B) {
	for _, n := range benchConns {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			c, msg := benchClient(b, n)
			b.SetBytes(int64(len(msg)))
			b.ResetTimer()
			start := time.Now()
			closedLoop(b, n, b.N, func() error {
				_, err := c.Send(context.Background(), msg)
				return err
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// benchClient starts a server and returns a client with n connections open.
func benchClient(b *testing.B, n int) (*Client, []byte) {
	s := &Server{Handler: benchHandler, MaxConns: -1, MaxConnsPerIP: -1}
	c := &Client{Addr: serve(b, s), PoolSize: n}
	b.Cleanup(func() { c.Close() })
	msg := testMessage("MSG00001")
	closedLoop(b, n, n, func() error { // open every connection before timing
		_, err := c.Send(context.Background(), msg)
		return err
	})
	return c, msg
}

// closedLoop runs total calls of send from n goroutines, each sending again as soon as its
// answer arrives.
func closedLoop(b *testing.B, n, total int, send func() error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(total) {
				if err := send(); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkEcho is the ceiling for BenchmarkRoundTrip: the same framed message sent over
// plain TCP to a server that writes back what it reads, with nothing else done.
func BenchmarkEcho(b *testing.B) {
	for _, n := range benchConns {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			addr := echoServer(b)
			frame := []byte(frameOf(string(testMessage("MSG00001"))))
			b.SetBytes(int64(len(frame)))
			// One goroutine per connection, each with its own buffer: the least work there is.
			var next atomic.Int64
			var wg sync.WaitGroup
			start := make(chan struct{})
			for range n {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { c.Close() })
				wg.Add(1)
				go func() {
					defer wg.Done()
					buf := make([]byte, len(frame))
					<-start
					for next.Add(1) <= int64(b.N) {
						if _, err := c.Write(frame); err != nil {
							b.Error(err)
							return
						}
						if _, err := io.ReadFull(c, buf); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			b.ResetTimer()
			t0 := time.Now()
			close(start)
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(t0).Seconds(), "msgs/s")
		})
	}
}

func echoServer(b *testing.B) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	b.Cleanup(func() {
		l.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				buf := make([]byte, 4096)
				for {
					n, err := c.Read(buf)
					if err != nil {
						return
					}
					if _, err := c.Write(buf[:n]); err != nil {
						return
					}
				}
			}()
		}
	}()
	return l.Addr().String()
}

// BenchmarkLatency measures ACK latency at half of the peak rate: it first measures the peak
// with 64 connections for a second (closed loop), then sends b.N messages at half that rate
// on a fixed schedule (open loop) spread over conns connections, and reports percentiles of
// the time from writing a message to receiving its ACK. The same schedule is then replayed
// against a raw TCP echo of the same bytes, so that the machine's own floor (scheduling,
// other processes) is measured in the same run.
//
// The schedule is kept with time.Sleep, which the Go runtime rounds to about a millisecond
// when it is idle; a send that starts late because of that is the load generator's delay,
// not the server's, so latency counts from the actual send. The sched-p99 figure counts from
// the scheduled time instead (no coordinated omission, but with the generator's jitter).
//
//	go test -run=^$ -bench=Latency -benchtime=20000x ./mllp
func BenchmarkLatency(b *testing.B) {
	for _, n := range []int{8, 64} {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			peak := measurePeak(b)
			c, msg := benchClient(b, n)
			echo := newEchoLoad(b, n, []byte(frameOf(string(msg))))
			b.ResetTimer()
			run := openLoop(b, n, peak/2, b.N, func(int) error {
				_, err := c.Send(context.Background(), msg)
				return err
			})
			b.StopTimer()
			echoRun := openLoop(b, n, peak/2, b.N, echo.once)
			b.ReportMetric(peak, "peak-msgs/s")
			b.ReportMetric(run.rate, "msgs/s")
			b.ReportMetric(percentile(run.lat, 0.50), "p50-µs")
			b.ReportMetric(percentile(run.lat, 0.99), "p99-µs")
			b.ReportMetric(percentile(run.lat, 0.999), "p99.9-µs")
			b.ReportMetric(percentile(run.sched, 0.99), "sched-p99-µs")
			b.ReportMetric(percentile(echoRun.lat, 0.99), "echo-p99-µs")
		})
	}
}

// loopRun holds the latencies of an open-loop run, sorted: from the actual send (lat) and
// from the scheduled send (sched).
type loopRun struct {
	lat, sched []time.Duration
	rate       float64
}

// openLoop sends total messages at rate per second over n goroutines, each on its own fixed
// schedule.
func openLoop(b *testing.B, n int, rate float64, total int, send func(conn int) error) loopRun {
	interval := time.Duration(float64(time.Second) * float64(n) / rate) // per goroutine
	lat := make([][]time.Duration, n)
	sched := make([][]time.Duration, n)
	per := (total + n - 1) / n
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := start.Add(interval * time.Duration(i) / time.Duration(n))
			for k := range per {
				at := first.Add(interval * time.Duration(k))
				time.Sleep(time.Until(at))
				t0 := time.Now()
				if err := send(i); err != nil {
					b.Error(err)
					return
				}
				lat[i] = append(lat[i], time.Since(t0))
				sched[i] = append(sched[i], time.Since(at))
			}
		}()
	}
	wg.Wait()
	r := loopRun{lat: slices.Concat(lat...), sched: slices.Concat(sched...)}
	r.rate = float64(len(r.lat)) / time.Since(start).Seconds()
	slices.Sort(r.lat)
	slices.Sort(r.sched)
	return r
}

func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return float64(sorted[min(len(sorted)-1, int(p*float64(len(sorted))))].Microseconds())
}

// measurePeak returns the messages per second 64 connections sustain for a second.
func measurePeak(b *testing.B) float64 {
	const n = 64
	c, msg := benchClient(b, n)
	var done atomic.Int64
	stop := time.Now().Add(time.Second)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				if _, err := c.Send(context.Background(), msg); err != nil {
					b.Error(err)
					return
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return float64(done.Load())
}

// BenchmarkRoundTripVsEcho runs BenchmarkRoundTrip's and BenchmarkEcho's loads in
// alternating slices on the same connections count, so that both see the same machine
// (other processes come and go on a shared box), and reports both rates and their ratio.
//
//	go test -run=^$ -bench=RoundTripVsEcho -benchtime=100000x ./mllp
func BenchmarkRoundTripVsEcho(b *testing.B) {
	for _, n := range benchConns {
		b.Run(fmt.Sprintf("conns=%d", n), func(b *testing.B) {
			c, msg := benchClient(b, n)
			echo := newEchoLoad(b, n, []byte(frameOf(string(msg))))
			const slices = 20
			per := max(b.N/slices, n)
			var mllpTime, echoTime time.Duration
			b.ResetTimer()
			for range slices {
				t0 := time.Now()
				echo.run(b, per)
				t1 := time.Now()
				closedLoop(b, n, per, func() error {
					_, err := c.Send(context.Background(), msg)
					return err
				})
				echoTime += t1.Sub(t0)
				mllpTime += time.Since(t1)
			}
			total := float64(per * slices)
			b.ReportMetric(total/echoTime.Seconds(), "echo-msgs/s")
			b.ReportMetric(total/mllpTime.Seconds(), "mllp-msgs/s")
			b.ReportMetric(echoTime.Seconds()/mllpTime.Seconds(), "ratio")
		})
	}
}

// echoLoad drives n connections to an echo server, one goroutine per connection.
type echoLoad struct {
	conns []net.Conn
	frame []byte
}

func newEchoLoad(b *testing.B, n int, frame []byte) *echoLoad {
	addr := echoServer(b)
	e := &echoLoad{frame: frame}
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		e.conns = append(e.conns, c)
	}
	return e
}

// once echoes the frame on connection i.
func (e *echoLoad) once(i int) error {
	buf := make([]byte, len(e.frame))
	if _, err := e.conns[i].Write(e.frame); err != nil {
		return err
	}
	_, err := io.ReadFull(e.conns[i], buf)
	return err
}

// run echoes the frame total times over all connections.
func (e *echoLoad) run(b *testing.B, total int) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, c := range e.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, len(e.frame))
			for next.Add(1) <= int64(total) {
				if _, err := c.Write(e.frame); err != nil {
					b.Error(err)
					return
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
