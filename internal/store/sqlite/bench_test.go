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

	sqlite "modernc.org/sqlite"
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

// writerStatus reads a counter of the writer connection: pages written to the WAL
// (sqlite.DBStatusCacheWrite), pages read from the files (sqlite.DBStatusCacheMiss).
func writerStatus(b *testing.B, s *Store, op sqlite.DBStatusOp) int {
	var n int
	err := s.do(ctx, false, func(w *writer) error {
		return w.conn.Raw(func(dc any) error {
			st, ok := dc.(sqlite.DBStatus)
			if !ok {
				return fmt.Errorf("driver connection %T reports no status", dc)
			}
			cur, _, err := st.Status(op, false)
			n = cur
			return err
		})
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkPipeline is the store's part of `courier bench`: 32 senders each receive one
// message at a time (one strict destination, a one-hour duplicate window), while one worker
// claims up to 64 entries and records them sent, until every message is delivered. It
// reports the committer's busy time, the writer's pages written to the WAL and read from the
// files per message, which tell the store's cost apart from other load on the machine, and
// the 99th percentile of the receives' latency.
func BenchmarkPipeline(b *testing.B) {
	s := openTest(b, Options{})
	var seq atomic.Int64
	var wg sync.WaitGroup
	commits, busy := s.commits.Load(), s.busy.Load()
	pages, misses := writerStatus(b, s, sqlite.DBStatusCacheWrite), writerStatus(b, s, sqlite.DBStatusCacheMiss)
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	const senders = 32
	lats := make([][]time.Duration, senders)
	for w := range senders {
		n := b.N / senders
		if w == 0 {
			n += b.N % senders
		}
		wg.Go(func() {
			for range n {
				i := seq.Add(1)
				m := benchMsg(i, base.Add(time.Duration(i)))
				m.Entries = []store.NewEntry{{Destination: "receiver", State: store.EntryPending}}
				req := &store.ReceiveRequest{Messages: []*store.NewMessage{m}, DedupeWindow: time.Hour}
				t := time.Now()
				if _, err := s.Receive(ctx, req); err != nil {
					b.Error(err)
					return
				}
				lats[w] = append(lats[w], time.Since(t))
			}
		})
	}
	delivered := 0
	req := store.ClaimRequest{Channel: "adt-in", Destination: "receiver", Owner: "w", Lease: time.Minute, Max: 64}
	for deadline := time.Now().Add(time.Minute); delivered < b.N && time.Now().Before(deadline); {
		req.Now = time.Now()
		res, err := s.Claim(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Entries) == 0 {
			time.Sleep(100 * time.Microsecond)
			continue
		}
		outs := make([]store.Outcome, len(res.Entries))
		for i, e := range res.Entries {
			outs[i] = store.Outcome{EntryID: e.ID, Token: e.Token, Kind: store.OutcomeSent, Started: req.Now, Finished: time.Now(),
				ResponseCode: "AA", Response: []byte("MSH|^~\\&|EHR|NORTH|COURIER|NORTH|20260102030405||ACK|" + e.Meta.ControlID + "|P|2.5\rMSA|AA|" + e.Meta.ControlID + "\r")}
		}
		if _, err := s.Record(ctx, outs); err != nil {
			b.Fatal(err)
		}
		delivered += len(outs)
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if delivered != b.N {
		b.Fatalf("delivered %d of %d", delivered, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/msg")
	b.ReportMetric(float64(s.busy.Load()-busy)/1e3/float64(b.N), "committer-µs/msg")
	b.ReportMetric(float64(writerStatus(b, s, sqlite.DBStatusCacheWrite)-pages)/float64(b.N), "pages/msg")
	b.ReportMetric(float64(writerStatus(b, s, sqlite.DBStatusCacheMiss)-misses)/float64(b.N), "page-reads/msg")
	if c := s.commits.Load() - commits; c > 0 {
		b.ReportMetric(float64(b.N)/float64(c), "msgs/commit")
	}
	all := slices.Concat(lats...)
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-receive-µs")
}
