package reliability

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// target is one destination as the checker sees it.
type target struct {
	R *receiver
	// Keyed destinations (order_by) keep order per key; others are one strict FIFO.
	Keyed bool
	// Skip lists control IDs this destination must not be expected to have (a poison
	// message that gave up, or that an operator skipped).
	Skip map[string]bool
	// MaxDup bounds the messages delivered more than once; see each test for why.
	MaxDup int
	// MaxLostRecords, when set, bounds per process the deliveries that were made again
	// later: those whose outcome the process did not record before it died. One claim
	// (strict) or one round of heads (keyed) is in flight at a time, so a crash can leave at
	// most that many unrecorded.
	MaxLostRecords int
}

// checkSpec is what a test expects of its run.
type checkSpec struct {
	Targets []target
	// Drain bounds the wait, with Courier running, for every acknowledged message to reach
	// every destination.
	Drain time.Duration
}

// destFigures is what one destination received.
type destFigures struct {
	Delivered  int // messages accepted, repeats included
	Unique     int // distinct messages
	Duplicates int // messages accepted more than once
	Repeats    int // deliveries beyond the first
}

// figures is what the checker measured.
type figures struct {
	Acked, Unacked int // messages that got their AA, and those sent that did not
	Stored         int
	DrainTime      time.Duration // from the start of the check until every destination had every acknowledged message
	ListTime       time.Duration // `courier messages list` of the whole channel
	Dests          map[string]destFigures
}

func (f figures) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "acknowledged %d, sent without AA %d, stored %d (listed in %v), drained in %v", f.Acked, f.Unacked, f.Stored, f.ListTime.Round(time.Millisecond), f.DrainTime.Round(time.Millisecond))
	names := make([]string, 0, len(f.Dests))
	for n := range f.Dests {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d := f.Dests[n]
		fmt.Fprintf(&b, "; %s: delivered %d (%d distinct), %d delivered twice or more (%d repeats)", n, d.Delivered, d.Unique, d.Duplicates, d.Repeats)
	}
	return b.String()
}

// check is the one checker every test ends with. With Courier running, it waits (bounded)
// until every acknowledged message has reached every destination, then checks:
//
//   - no loss: every acknowledged message is stored, and delivered to every destination
//     (but the ones a destination's Skip lists);
//   - no phantom: every delivered message was sent by a sender and is stored;
//   - once in the store: no control ID is stored twice (the duplicate window holds across
//     restarts);
//   - order: per destination, first deliveries come in store order (message ID: the commit
//     order) — for the whole destination when strict, per key when keyed — and, when strict,
//     each sender's messages in the order it sent them (which its ACKs fixed);
//   - duplicates: a message is accepted again only if a process was started since its
//     previous delivery (the process that made it died with the delivery unrecorded), no
//     more messages than the target's MaxDup are, and no process left more deliveries
//     unrecorded than the target's MaxLostRecords (when set).
func check(t *testing.T, c *courier, s *senders, spec checkSpec) figures {
	t.Helper()
	msgs := s.snapshot()
	var f figures
	f.Dests = map[string]destFigures{}
	var acked []string
	for ctrl, m := range msgs {
		if m.Acked.IsZero() {
			f.Unacked++
		} else {
			acked = append(acked, ctrl)
		}
	}
	sort.Strings(acked)
	f.Acked = len(acked)

	// Drain, with Courier running.
	start := time.Now()
	deadline := start.Add(spec.Drain)
	drain(t, spec.Targets, acked, deadline, "acknowledged")
	f.DrainTime = time.Since(start)

	// The store's view: message IDs are the commit order.
	listed := time.Now()
	all := c.stored()
	f.ListTime = time.Since(listed)
	ids := map[string]int64{}
	for _, sm := range all {
		ctrl := sm.Meta.ControlID
		if prev, dup := ids[ctrl]; dup {
			t.Errorf("control ID %s is stored twice (messages %d and %d): the duplicate window missed a resend", ctrl, prev, sm.ID)
			continue
		}
		ids[ctrl] = sm.ID
	}
	f.Stored = len(ids)
	lost := 0
	for _, ctrl := range acked {
		if _, ok := ids[ctrl]; !ok {
			lost++
			if lost <= 10 {
				t.Errorf("LOST: %s was acknowledged (AA at %s) but is not in the store", ctrl, msgs[ctrl].Acked.Format(time.RFC3339Nano))
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d acknowledged messages are not in the store", lost)
	}
	// Messages stored without their sender getting the AA (the answer was lost with a
	// crash) are committed too: they must be delivered like the others.
	expected := append([]string(nil), acked...)
	var storedOnly []string
	for ctrl := range ids {
		if m, ok := msgs[ctrl]; ok && m.Acked.IsZero() {
			storedOnly = append(storedOnly, ctrl)
		}
	}
	sort.Strings(storedOnly)
	drain(t, spec.Targets, storedOnly, deadline, "stored but unacknowledged")
	expected = append(expected, storedOnly...)

	starts := c.startTimes()
	for _, tg := range spec.Targets {
		f.Dests[tg.R.name] = checkTarget(t, tg, msgs, ids, expected, starts)
	}
	return f
}

// checkTarget checks one destination's deliveries.
func checkTarget(t *testing.T, tg target, msgs map[string]sent, ids map[string]int64, expected []string, starts []time.Time) destFigures {
	t.Helper()
	name := tg.R.name
	var df destFigures
	first := map[string]delivery{}
	prevAt := map[string]time.Time{} // the message's previous delivery
	unrecorded := map[int]int{}      // per process (index of its start): deliveries made again later
	lastID := map[string]int64{}     // per lane ("" when strict, the key when keyed)
	lastCtrl := map[string]string{}  // the lane's previous first delivery, for messages
	lastSeq := map[int]int{}         // per sender
	repeats := map[string]int{}
	errs := 0
	report := func(format string, args ...any) {
		errs++
		if errs <= 20 {
			t.Errorf("%s: "+format, append([]any{name}, args...)...)
		}
	}
	for _, d := range tg.R.deliveries() {
		df.Delivered++
		m, known := msgs[d.Ctrl]
		if !known {
			report("delivered %s, which no sender sent", d.Ctrl)
			continue
		}
		id, isStored := ids[d.Ctrl]
		if !isStored {
			report("delivered %s, which is not in the store", d.Ctrl)
			continue
		}
		if _, seen := first[d.Ctrl]; seen {
			repeats[d.Ctrl]++
			// A repeat is legitimate only if the process that made the previous delivery
			// died before recording it: a new process started in between. Comparing with
			// the previous delivery, not the first, also catches a process that repeats a
			// delivery it made itself after a restart.
			prev := prevAt[d.Ctrl]
			crash := false
			for _, s := range starts {
				if s.After(prev) && s.Before(d.At) {
					crash = true
					break
				}
			}
			if !crash {
				report("%s delivered again at %s without a restart since its previous delivery at %s",
					d.Ctrl, d.At.Format("15:04:05.000"), prev.Format("15:04:05.000"))
			}
			unrecorded[processAt(starts, prev)]++
			prevAt[d.Ctrl] = d.At
			continue
		}
		first[d.Ctrl] = d
		prevAt[d.Ctrl] = d.At
		lane := ""
		if tg.Keyed {
			lane = m.Key
			if d.Key != m.Key {
				report("%s arrived with key %q, sent with %q", d.Ctrl, d.Key, m.Key)
			}
		}
		if prev, ok := lastID[lane]; ok && id < prev {
			report("ORDER: %s (message %d) delivered after %s (message %d) in lane %q", d.Ctrl, id, lastCtrl[lane], prev, lane)
		}
		lastID[lane], lastCtrl[lane] = id, d.Ctrl
		// A sender's messages go out in its send order on a strict destination; on a keyed
		// one only per key, which the lane check above covers.
		if !tg.Keyed {
			if prev, ok := lastSeq[m.Sender]; ok && m.Seq < prev {
				report("ORDER: %s of sender %d delivered after its message %d", d.Ctrl, m.Sender, prev)
			}
			lastSeq[m.Sender] = m.Seq
		}
	}
	for _, ctrl := range expected {
		if _, ok := first[ctrl]; !ok && !tg.Skip[ctrl] {
			what := "acknowledged"
			if msgs[ctrl].Acked.IsZero() {
				what = "stored"
			}
			report("LOST: %s %s (message %d) never delivered", what, ctrl, ids[ctrl])
		}
	}
	if errs > 20 {
		t.Errorf("%s: %d problems in all", name, errs)
	}
	df.Unique = len(first)
	df.Duplicates = len(repeats)
	for _, n := range repeats {
		df.Repeats += n
	}
	if df.Duplicates > tg.MaxDup {
		t.Errorf("%s: %d messages delivered more than once, bound %d", name, df.Duplicates, tg.MaxDup)
	}
	if tg.MaxLostRecords > 0 {
		for p, n := range unrecorded {
			if n > tg.MaxLostRecords {
				t.Errorf("%s: process %d left %d deliveries unrecorded (delivered again by a later process), bound %d per crash", name, p+1, n, tg.MaxLostRecords)
			}
		}
	}
	return df
}

// processAt returns the index of the process that ran at t: the last one started at or
// before t (0 before the first start).
func processAt(starts []time.Time, t time.Time) int {
	p := 0
	for i, s := range starts {
		if !s.After(t) {
			p = i
		}
	}
	return p
}

// drain waits until every target has every control ID of ctrls (but those it skips), or
// until deadline.
func drain(t *testing.T, targets []target, ctrls []string, deadline time.Time, what string) {
	t.Helper()
	for {
		missing := 0
		for _, tg := range targets {
			for _, ctrl := range ctrls {
				if !tg.Skip[ctrl] && !tg.R.has(ctrl) {
					missing++
				}
			}
		}
		if missing == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("drain: %d deliveries of %s messages still missing at the deadline", missing, what)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}
