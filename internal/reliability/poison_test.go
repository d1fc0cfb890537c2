package reliability

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"
)

// queueStats is what `courier messages queues --json` says of one destination queue.
type queueStats struct {
	Channel, Destination        string
	Pending, Held, Errors, Sent int
	BlockedBy                   *struct {
		ID, MessageID int64
		State         string
	}
}

// shownMessage is what `courier messages show --json` says of a message.
type shownMessage struct {
	ID      int64
	Status  string
	Entries []struct {
		ID          int64
		Destination string
		State       string
		Attempts    int
	}
	Attempts []struct {
		EntryID      int64
		Number       int
		Started      time.Time
		Finished     time.Time
		Outcome      string
		ResponseCode string
		Error        string
	}
}

func (c *courier) queues() map[string]queueStats {
	c.t.Helper()
	var qs []queueStats
	if err := json.Unmarshal(c.cli("messages", "queues", "--json"), &qs); err != nil {
		c.t.Fatalf("courier messages queues --json: %v", err)
	}
	out := map[string]queueStats{}
	for _, q := range qs {
		out[q.Destination] = q
	}
	return out
}

func (c *courier) show(id int64) shownMessage {
	c.t.Helper()
	var m shownMessage
	if err := json.Unmarshal(c.cli("messages", "show", strconv.FormatInt(id, 10), "--json"), &m); err != nil {
		c.t.Fatalf("courier messages show --json: %v", err)
	}
	return m
}

// messageID returns the stored message ID of a control ID.
func (c *courier) messageID(ctrl string) int64 {
	c.t.Helper()
	for _, sm := range c.stored() {
		if sm.Meta.ControlID == ctrl {
			return sm.ID
		}
	}
	c.t.Fatalf("%s is not in the store", ctrl)
	return 0
}

// waitFor polls cond every 20 ms until it holds or d passes; it reports whether it held.
func waitFor(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPoison is RELIABILITY test 6. Every receiver answers AE, always, to one message (the
// poison, 10th of 30 from one sender over 5 patients). Three destinations with max_attempts
// 3 show the three policies:
//
//   - hold (strict, on_give_up hold): after 3 attempts the poison stays at the head; nothing
//     behind it is delivered; `courier messages queues` shows the queue blocked by its
//     entry; after `courier messages skip ENTRY` the rest drains in order.
//   - keyed (order_by PID-3.1, hold): the poison patient's lane is held, the other patients'
//     messages keep flowing; after the skip the lane drains in order.
//   - continue (strict, on_give_up continue): after 3 attempts the poison is set aside in
//     ERROR and the queue moves on, never before the last attempt.
func TestPoison(t *testing.T) {
	const (
		total    = 30
		poisonAt = 10
		keys     = 5
		attempts = 3
	)
	poison := controlID("P", 0, poisonAt)
	poisonKey := mrn(keys, 0, poisonAt)
	retry := func(onGiveUp string) retryConfig {
		return retryConfig{Initial: "50ms", Max: "200ms", MaxAttempts: attempts, OnGiveUp: onGiveUp}
	}
	hold, keyed, cont := newReceiver(t, "hold"), newReceiver(t, "keyed"), newReceiver(t, "continue")
	for _, r := range []*receiver{hold, keyed, cont} {
		r.setBehaviour(func(ctrl string) reply {
			if ctrl == poison {
				return replyAE
			}
			return replyAA
		})
	}
	c := newCourier(t, config{Dests: []destConfig{
		{Name: "hold", Port: hold.port(), Retry: retry("hold")},
		{Name: "keyed", Port: keyed.port(), OrderBy: "PID-3.1", Parallel: 4, Connections: 2, Retry: retry("hold")},
		{Name: "continue", Port: cont.port(), Retry: retry("continue")},
	}}, "")
	c.start()
	s := startSenders(t, c.addr, senderOpts{Prefix: "P", N: 1, Keys: keys, Limit: total})
	if !s.finished(30 * time.Second) {
		t.Fatal("the sender did not finish within 30s")
	}
	msgs := s.snapshot()

	// Every policy gives up after exactly 3 attempts.
	for _, r := range []*receiver{hold, keyed, cont} {
		if !waitFor(10*time.Second, func() bool { return len(r.framesOf(poison)) >= attempts }) {
			t.Fatalf("%s: the poison arrived %d times in 10s, want %d", r.name, len(r.framesOf(poison)), attempts)
		}
	}
	// continue moves on; keyed delivers every other patient.
	if !waitFor(10*time.Second, func() bool {
		for ctrl, m := range msgs {
			if ctrl != poison && !cont.has(ctrl) || m.Key != poisonKey && !keyed.has(ctrl) {
				return false
			}
		}
		return true
	}) {
		t.Fatal("continue did not move past the poison, or keyed did not deliver the other patients, within 10s")
	}
	pid := c.messageID(poison)
	var q map[string]queueStats
	if !waitFor(5*time.Second, func() bool {
		q = c.queues()
		return q["hold"].BlockedBy != nil && q["keyed"].BlockedBy != nil && q["continue"].Errors == 1
	}) {
		t.Fatalf("queues do not show the poison as blocking: %+v", q)
	}
	time.Sleep(500 * time.Millisecond) // anything wrongly let through has had time to arrive
	skipAt := time.Now()
	for _, r := range []*receiver{hold, keyed, cont} {
		if n := len(r.framesOf(poison)); n != attempts {
			t.Errorf("%s: the poison was tried %d times, max_attempts is %d", r.name, n, attempts)
		}
	}
	shown := c.show(pid)
	entry := map[string]int64{}
	tries := map[int64]int{}
	for _, a := range shown.Attempts {
		tries[a.EntryID]++
		if a.Outcome == "SENT" || a.ResponseCode != "AE" {
			t.Errorf("poison attempt %+v: want a failed attempt answered AE", a)
		}
	}
	for _, e := range shown.Entries {
		entry[e.Destination] = e.ID
		if e.State != "ERROR" || tries[e.ID] != attempts {
			t.Errorf("poison entry %d at %s: %s after %d recorded attempts, want ERROR after %d", e.ID, e.Destination, e.State, tries[e.ID], attempts)
		}
	}
	for _, d := range []string{"hold", "keyed"} {
		b := q[d].BlockedBy
		if b == nil || b.ID != entry[d] || b.MessageID != pid || b.State != "ERROR" {
			t.Errorf("queue %s: blocked by %+v, want the poison's entry %d (message %d) in ERROR", d, b, entry[d], pid)
		}
	}
	if h := q["hold"]; h.Pending != total-poisonAt || h.Sent != poisonAt-1 || h.Errors != 1 {
		t.Errorf("queue hold: %d waiting, %d sent, %d errors; want %d, %d, 1", h.Pending, h.Sent, h.Errors, total-poisonAt, poisonAt-1)
	}
	if b := q["continue"].BlockedBy; b != nil {
		t.Errorf("queue continue: blocked by %+v, want nothing (the queue moved on)", b)
	}
	text := string(c.cli("messages", "queues"))
	if !strings.Contains(text, "BLOCKED BY") || !strings.Contains(text, "entry "+strconv.FormatInt(entry["hold"], 10)+" ") {
		t.Errorf("courier messages queues does not name the blocking entry %d:\n%s", entry["hold"], text)
	}

	// Held means held: nothing behind the poison at hold, nothing of the poison's patient
	// behind it at keyed.
	for _, d := range hold.deliveries() {
		if msgs[d.Ctrl].Seq > poisonAt {
			t.Errorf("hold: %s delivered while the poison held the queue", d.Ctrl)
		}
	}
	for _, d := range keyed.deliveries() {
		if d.Key == poisonKey && msgs[d.Ctrl].Seq > poisonAt {
			t.Errorf("keyed: %s of the poison's patient delivered while the poison held the lane", d.Ctrl)
		}
	}
	// continue moved on only after the last attempt.
	lastTry := cont.framesOf(poison)[attempts-1].At
	for _, d := range cont.deliveries() {
		if msgs[d.Ctrl].Seq > poisonAt && d.At.Before(lastTry) {
			t.Errorf("continue: %s delivered before the poison gave up", d.Ctrl)
		}
	}

	for _, d := range []string{"hold", "keyed"} {
		out := string(c.cli("messages", "skip", strconv.FormatInt(entry[d], 10)))
		if !strings.Contains(out, "skipped") {
			t.Errorf("courier messages skip %d: %q", entry[d], out)
		}
	}
	skip := map[string]bool{poison: true}
	f := check(t, c, s, checkSpec{Drain: 20 * time.Second, Targets: []target{
		{R: hold, Skip: skip}, {R: keyed, Keyed: true, Skip: skip}, {R: cont, Skip: skip},
	}})
	released := time.Duration(0)
	for _, d := range hold.deliveries() {
		if msgs[d.Ctrl].Seq > poisonAt {
			released = d.At.Sub(skipAt)
			break
		}
	}
	q = c.queues()
	if q["hold"].BlockedBy != nil || q["keyed"].BlockedBy != nil || q["hold"].Pending != 0 {
		t.Errorf("after the skips the queues still wait: %+v", q)
	}
	if _, err := c.term(15 * time.Second); err != nil {
		t.Errorf("courier exited with %v after SIGTERM, want status 0", err)
	}
	c.assertNoPHI()
	t.Logf("figures: poison tried %d times at each destination (max_attempts %d); hold blocked %d behind it until the skip, then the first of them arrived %v after it; "+
		"keyed delivered the other patients while holding the poison's lane; continue moved on after the last attempt; %v",
		attempts, attempts, total-poisonAt, released.Round(time.Millisecond), f)
}
