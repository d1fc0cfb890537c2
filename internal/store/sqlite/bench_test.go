package sqlite

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/store"
)

// cpuTime is the CPU time the process used so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchMsg builds a message of about 1 KiB with one or two entries.
func benchMsg(i int64, at time.Time) *store.NewMessage {
	control := fmt.Sprintf("B%012d", i)
	pid := fmt.Sprintf("MRN%06d", i%5000)
	raw := fmt.Appendf(nil, "MSH|^~\\&|LAB|NORTH|EHR|NORTH|20260102030405||ADT^A01^ADT_A01|%s|P|2.5\r"+
		"EVN|A01|20260102030405\r"+
		"PID|1||%s^^^NORTH^MR||TESTPATIENT^ALPHA^B||19800101|F|||1 TEST STREET^^SPRINGFIELD^ST^00000||555-0100\r"+
		"PV1|1|I|WARD1^101^1^NORTH||||1234^TESTDOCTOR^BETA|||MED||||1|||1234^TESTDOCTOR^BETA|IP|%s|||||||||||||||||||NORTH||||||20260102030405\r",
		control, pid, control)
	pad := 1024 - len(raw)
	if pad > 0 {
		raw = fmt.Appendf(raw, "NTE|1||%s\r", strings.Repeat("x", max(pad-10, 0)))
	}
	m := &store.NewMessage{
		Channel: "adt-in", ReceivedAt: at, Remote: "127.0.0.1:40000", Raw: raw,
		Meta: store.Meta{Type: "ADT", Trigger: "A01", Structure: "ADT_A01", ControlID: control, Version: "2.5",
			SendingApp: "LAB", SendingFacility: "NORTH", PatientID: pid},
		Ack:       []byte("MSH|^~\\&|COURIER|NORTH|LAB|NORTH|20260102030405||ACK^A01|A" + control + "|P|2.5\rMSA|AA|" + control + "\r"),
		DedupeKey: "adt-in|LAB|NORTH|" + control,
		Status:    store.StatusQueued,
		Entries:   []store.NewEntry{{Destination: "ehr", State: store.EntryPending}},
	}
	if i%2 == 0 {
		m.Entries = append(m.Entries, store.NewEntry{Destination: "archive", State: store.EntryPending, OrderKey: pid})
	}
	return m
}

// BenchmarkReceive measures durable receives of ~1 KiB messages with 1–2 entries, with a
// one-hour duplicate window, from concurrent senders sharing group commits.
func BenchmarkReceive(b *testing.B) {
	for _, conc := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("concurrency=%d", conc), func(b *testing.B) {
			s := openTest(b, Options{})
			var seq atomic.Int64
			var wg sync.WaitGroup
			commits := s.commits.Load()
			b.ResetTimer()
			start, cpu := time.Now(), cpuTime()
			per := b.N / conc
			for w := range conc {
				n := per
				if w == 0 {
					n += b.N % conc
				}
				wg.Go(func() {
					for range n {
						i := seq.Add(1)
						req := &store.ReceiveRequest{Messages: []*store.NewMessage{benchMsg(i, base.Add(time.Duration(i)))}, DedupeWindow: time.Hour}
						if _, err := s.Receive(ctx, req); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			// CPU per message tells the cost apart from other load on the machine.
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/msg")
			if c := s.commits.Load() - commits; c > 0 {
				b.ReportMetric(float64(b.N)/float64(c), "msgs/commit")
			}
		})
	}
}

// BenchmarkReceiveBatch measures durable receives of the same messages as BenchmarkReceive,
// sent by one caller as requests of batch messages: one transaction and one fsync per
// request, the shape of BenchmarkReceive's commits at that concurrency without the
// scheduling of many senders. Its CPU per message is the store's own.
func BenchmarkReceiveBatch(b *testing.B) {
	for _, batch := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			s := openTest(b, Options{})
			b.ResetTimer()
			start, cpu := time.Now(), cpuTime()
			for i := 0; i < b.N; i += batch {
				var msgs []*store.NewMessage
				for j := i; j < min(i+batch, b.N); j++ {
					msgs = append(msgs, benchMsg(int64(j), base.Add(time.Duration(j))))
				}
				if _, err := s.Receive(ctx, &store.ReceiveRequest{Messages: msgs, DedupeWindow: time.Hour}); err != nil {
					b.Fatal(err)
				}
			}
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/msg")
		})
	}
}

// BenchmarkClaimRecord measures the delivery side: workers on separate destinations each
// claim up to max entries, record them sent in one call, and claim again.
func BenchmarkClaimRecord(b *testing.B) {
	for _, c := range []struct{ workers, max int }{{1, 1}, {4, 1}, {1, 10}, {4, 10}} {
		workers, claimMax := c.workers, c.max
		b.Run(fmt.Sprintf("workers=%d/max=%d", workers, claimMax), func(b *testing.B) {
			s := openTest(b, Options{})
			// Fill each worker's destination with b.N/workers+1 entries.
			per := b.N/workers + b.N%workers + 1
			for w := range workers {
				for off := 0; off < per; off += 500 {
					var msgs []*store.NewMessage
					for i := off; i < min(off+500, per); i++ {
						m := benchMsg(int64(w*per+i), base)
						m.DedupeKey = ""
						m.Entries = []store.NewEntry{{Destination: fmt.Sprintf("d%d", w), State: store.EntryPending}}
						msgs = append(msgs, m)
					}
					if _, err := s.Receive(ctx, &store.ReceiveRequest{Messages: msgs}); err != nil {
						b.Fatal(err)
					}
				}
			}
			var wg sync.WaitGroup
			b.ResetTimer()
			start, cpu := time.Now(), cpuTime()
			for w := range workers {
				n := b.N / workers
				if w == 0 {
					n += b.N % workers
				}
				wg.Go(func() {
					req := store.ClaimRequest{Channel: "adt-in", Destination: fmt.Sprintf("d%d", w), Owner: fmt.Sprintf("w%d", w),
						Lease: time.Minute, Now: base}
					for left := n; left > 0; {
						req.Max = min(claimMax, left)
						res, err := s.Claim(ctx, req)
						if err != nil || len(res.Entries) != req.Max {
							b.Errorf("claim: %v, %d entries", err, len(res.Entries))
							return
						}
						var outs []store.Outcome
						for _, e := range res.Entries {
							outs = append(outs, store.Outcome{EntryID: e.ID, Token: e.Token, Kind: store.OutcomeSent,
								Started: base, Finished: base, ResponseCode: "AA", Response: []byte("MSA|AA|" + e.Meta.ControlID)})
						}
						errs, err := s.Record(ctx, outs)
						if err != nil {
							b.Errorf("record: %v", err)
							return
						}
						for _, err := range errs {
							if err != nil {
								b.Errorf("record: %v", err)
								return
							}
						}
						left -= len(outs)
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/delivery")
		})
	}
}

// BenchmarkReceiveWhilePruning measures the latency of receives while Prune deletes 10,000
// old messages in the background; it reports the worst and the 99th percentile.
func BenchmarkReceiveWhilePruning(b *testing.B) {
	for _, all := range []bool{false, true} {
		b.Run(fmt.Sprintf("all=%v", all), func(b *testing.B) {
			s := openTest(b, Options{})
			for off := 0; off < 10_000; off += 500 {
				var msgs []*store.NewMessage
				for i := off; i < off+500; i++ {
					m := benchMsg(int64(i), base)
					m.Entries = []store.NewEntry{{Destination: "ehr", State: store.EntryFiltered}}
					msgs = append(msgs, m)
				}
				if _, err := s.Receive(ctx, &store.ReceiveRequest{Messages: msgs}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			done := make(chan int)
			go func() {
				n, err := s.Prune(ctx, base.Add(time.Hour), all, 10_000)
				if err != nil {
					b.Error(err)
				}
				done <- n
			}()
			var lat []time.Duration
			pruned := -1
			for i := 0; pruned < 0 || i < b.N; i++ {
				t := time.Now()
				m := benchMsg(int64(100_000+i), base.Add(2*time.Hour))
				if _, err := s.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{m}}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t))
				select {
				case pruned = <-done:
				default:
				}
			}
			b.StopTimer()
			if pruned != 10_000 {
				b.Fatalf("pruned %d, want 10000", pruned)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "max-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			b.ReportMetric(float64(len(lat)), "receives")
		})
	}
}
