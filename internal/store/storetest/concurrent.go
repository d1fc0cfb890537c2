package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/store"
)

// delivery is one entry a worker delivered.
type delivery struct {
	entry, message int64
	key            string
}

// lanes tracks what is in flight per lane, to catch two leases in one lane at once.
type lanes struct {
	mu        sync.Mutex
	inflight  map[string]int64 // lane → entry in flight
	delivered []delivery
	errs      []string
}

// start marks the lanes of one claim's entries in flight. One strict claim may lease several
// entries of its lane; two claims may not hold one lane at once.
func (l *lanes) start(laneOf func(*store.Entry) string, es []*store.Entry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	mine := map[string]bool{}
	for _, e := range es {
		lane := laneOf(e)
		if other, ok := l.inflight[lane]; ok && !mine[lane] {
			l.errs = append(l.errs, fmt.Sprintf("entry %d claimed while entry %d of lane %q was in flight", e.ID, other, lane))
		}
		mine[lane] = true
		l.inflight[lane] = e.ID
	}
}

// finish is called before the outcomes are recorded: until the store has them, the leases
// are live and no other claim can take the next entries of these lanes.
func (l *lanes) finish(laneOf func(*store.Entry) string, es []*store.Entry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range es {
		delete(l.inflight, laneOf(e))
		l.delivered = append(l.delivered, delivery{entry: e.ID, message: e.MessageID, key: e.OrderKey})
	}
}

// runWorkers runs workers owners claiming with req until want entries are delivered or
// the time runs out.
func runWorkers(t *testing.T, s store.Store, req store.ClaimRequest, workers, want int, laneOf func(*store.Entry) string) *lanes {
	t.Helper()
	l := &lanes{inflight: map[string]int64{}}
	deadline := time.Now().Add(20 * time.Second)
	var wg sync.WaitGroup
	var fail sync.Once
	var failure string
	done := func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		return len(l.delivered) >= want || time.Now().After(deadline)
	}
	for w := range workers {
		wg.Go(func() {
			r := req
			r.Owner = fmt.Sprintf("node%d/%s", w, req.Destination)
			for i := 0; i < 100_000 && !done(); i++ {
				res, err := s.Claim(ctx, r)
				if err != nil {
					fail.Do(func() { failure = fmt.Sprintf("Claim by %s: %v", r.Owner, err) })
					return
				}
				if len(res.Entries) == 0 {
					time.Sleep(100 * time.Microsecond)
					continue
				}
				var outs []store.Outcome
				for _, e := range res.Entries {
					if e.Owner != r.Owner {
						fail.Do(func() { failure = fmt.Sprintf("entry %d claimed by %s has owner %s", e.ID, r.Owner, e.Owner) })
					}
					outs = append(outs, sent(e, 0))
				}
				l.start(laneOf, res.Entries)
				time.Sleep(50 * time.Microsecond) // sending: a second claim of the lane would show now
				l.finish(laneOf, res.Entries)
				errs, err := s.Record(ctx, outs)
				if err != nil {
					fail.Do(func() { failure = fmt.Sprintf("Record by %s: %v", r.Owner, err) })
					return
				}
				for i, err := range errs {
					if err != nil {
						fail.Do(func() { failure = fmt.Sprintf("Record entry %d by %s: %v", outs[i].EntryID, r.Owner, err) })
					}
				}
			}
		})
	}
	wg.Wait()
	if failure != "" {
		t.Fatal(failure)
	}
	for _, e := range l.errs {
		t.Error(e)
	}
	if len(l.delivered) != want {
		t.Fatalf("%d entries delivered, want %d", len(l.delivered), want)
	}
	return l
}

// checkOrder checks that every entry was delivered once and each lane in queue order.
func checkOrder(t *testing.T, l *lanes, laneOf func(delivery) string) {
	t.Helper()
	seen := map[int64]bool{}
	last := map[string]int64{}
	for _, d := range l.delivered {
		if seen[d.entry] {
			t.Errorf("entry %d delivered twice", d.entry)
		}
		seen[d.entry] = true
		lane := laneOf(d)
		if d.entry < last[lane] {
			t.Errorf("lane %q: entry %d delivered after entry %d", lane, d.entry, last[lane])
		}
		last[lane] = d.entry
	}
}

// testConcurrentClaimsKeyed: several owners claim keyed lanes at once: each entry is
// delivered once, one at a time per key, each key in order.
func testConcurrentClaimsKeyed(t *testing.T, s store.Store) {
	const keys, perKey = 4, 25
	var msgs []*store.NewMessage
	for i := range keys * perKey {
		m := keyed(msg(fmt.Sprintf("K%03d", i), time.Duration(i)*time.Millisecond, dest), fmt.Sprintf("MRN-%d", i%keys))
		msgs = append(msgs, m)
	}
	receive(t, s, 0, msgs...)
	req := claimReq(0)
	req.Keyed, req.Max, req.Lease = true, 3, time.Hour
	l := runWorkers(t, s, req, 4, keys*perKey, func(e *store.Entry) string { return e.OrderKey })
	checkOrder(t, l, func(d delivery) string { return d.key })
	keysSeen := map[string]bool{}
	for _, d := range l.delivered {
		keysSeen[d.key] = true
	}
	if len(keysSeen) != keys {
		t.Errorf("delivered %d keys, want %d", len(keysSeen), keys)
	}
	if q := stats(t, s, ch, dest); q.Sent != keys*perKey || q.Pending != 0 {
		t.Errorf("stats after the run %+v: want all sent", q)
	}
}

// testConcurrentClaimsStrict: several owners claim one strict lane: one batch in flight at a
// time, in queue order.
func testConcurrentClaimsStrict(t *testing.T, s store.Store) {
	const n = 60
	var msgs []*store.NewMessage
	for i := range n {
		msgs = append(msgs, msg(fmt.Sprintf("S%03d", i), time.Duration(i)*time.Millisecond, dest))
	}
	rs := receive(t, s, 0, msgs...)
	req := claimReq(0)
	req.Max, req.Lease = 2, time.Hour
	l := runWorkers(t, s, req, 4, n, func(*store.Entry) string { return "lane" })
	checkOrder(t, l, func(delivery) string { return "lane" })
	var got, want []int64
	for _, d := range l.delivered {
		got = append(got, d.message)
	}
	for _, r := range rs {
		want = append(want, r.ID)
	}
	if !slices.Equal(got, want) {
		t.Errorf("delivery order %v, want %v", got, want)
	}
}
