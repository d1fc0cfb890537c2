package reliability

import (
	"testing"
	"time"

	"github.com/courier-hl7/courier/mllp"
)

// TestSIGTERM is RELIABILITY test 15: 16 senders stream while Courier is stopped with
// SIGTERM and started again, three times. Each stop must end within the 10 s shutdown
// timeout with status 0; every message that got an AA, even during the stop, is stored and
// delivered after the restart; and because a graceful stop finishes and records the sends in
// flight, nothing is delivered twice.
func TestSIGTERM(t *testing.T) {
	rng := newRand(t)
	stops := 3
	if testing.Short() {
		stops = 2
	}
	strict, keyed := newReceiver(t, "strict"), newReceiver(t, "keyed")
	c := newCourier(t, config{Shutdown: "10s", Dests: []destConfig{
		{Name: "strict", Port: strict.port(), Timeout: "5s", ACKTimeout: "4s"},
		{Name: "keyed", Port: keyed.port(), OrderBy: "PID-3.1", Parallel: 8, Connections: 4, Timeout: "5s", ACKTimeout: "4s"},
	}}, "")
	c.start()
	s := startSenders(t, c.addr, senderOpts{Prefix: "T", N: 16, Keys: 200})

	var exits []time.Duration
	acksDuring := 0
	for range stops {
		time.Sleep(time.Second + time.Duration(rng.Int64N(int64(time.Second))))
		termAt := time.Now()
		took, err := c.term(30 * time.Second)
		exits = append(exits, took)
		if err != nil {
			t.Errorf("courier exited with %v after SIGTERM, want status 0", err)
		}
		if took > 10*time.Second {
			t.Errorf("SIGTERM to exit took %v, target ≤ 10s", took)
		}
		exitAt := termAt.Add(took)
		for _, a := range s.answersSince(termAt) {
			if a.Code == "AA" && !a.Got.After(exitAt) {
				acksDuring++
			}
		}
		c.start()
	}
	time.Sleep(time.Second)
	s.Stop()
	f := check(t, c, s, checkSpec{Drain: time.Minute, Targets: []target{
		{R: strict, MaxDup: 0},
		{R: keyed, Keyed: true, MaxDup: 0},
	}})
	last, err := c.term(30 * time.Second)
	if err != nil {
		t.Errorf("courier exited with %v after the last SIGTERM, want status 0", err)
	}
	c.assertNoPHI()
	st := s.stats()
	t.Logf("figures: %d SIGTERM stops under load, SIGTERM to exit %v (idle: %v); %d AAs received between SIGTERM and exit, all stored; "+
		"%d messages resent after no answer; %v", stops, roundAll(exits), last.Round(time.Millisecond), acksDuring, st.ResentNoAnswer, f)
}

// roundAll rounds durations to milliseconds for display.
func roundAll(ds []time.Duration) []time.Duration {
	out := make([]time.Duration, len(ds))
	for i, d := range ds {
		out[i] = d.Round(time.Millisecond)
	}
	return out
}

// TestSIGTERMInFlight is RELIABILITY test 15 with a delivery in flight when SIGTERM comes,
// which TestSIGTERM's fast receivers leave to chance. The destination's own timeouts (30 s)
// are longer than the shutdown timeout (3 s here, 10 s by default), so only the shutdown
// bounds the stop:
//
//   - the receiver holds its answer for 1 s: the stop waits for it, records the delivery
//     and exits with status 0; after a restart the message is not delivered again;
//   - the receiver never answers: the stop still ends within the shutdown timeout, and after
//     a restart the message is delivered.
func TestSIGTERMInFlight(t *testing.T) {
	const (
		shutdown = 3 * time.Second
		hold     = time.Second
		slack    = time.Second // process exit after the deadline: closing the store, logging
	)
	rcv := newReceiver(t, "slow")
	c := newCourier(t, config{Shutdown: shutdown.String(), Dests: []destConfig{
		{Name: "slow", Port: rcv.port(), Timeout: "30s", ACKTimeout: "30s", Retry: retryConfig{Initial: "100ms", Max: "1s"}},
	}}, "")
	c.start()
	rcv.pause()
	s := startSenders(t, c.addr, senderOpts{Prefix: "I", N: 1, Keys: 5, Limit: 6})
	if !s.finished(10 * time.Second) {
		t.Fatal("the sender did not finish within 10s")
	}
	if !waitFor(5*time.Second, func() bool { return rcv.holding() > 0 }) {
		t.Fatal("no delivery reached the receiver within 5s")
	}
	first := controlID("I", 0, 1)

	// 1. An answer that comes within the shutdown timeout: the delivery finishes.
	release := time.AfterFunc(hold, rcv.resume)
	defer release.Stop()
	took1, err := c.term(shutdown + 10*time.Second)
	if err != nil {
		t.Errorf("stop with a delivery in flight: courier exited with %v, want status 0", err)
	}
	if took1 < hold-100*time.Millisecond {
		t.Errorf("courier exited %v after SIGTERM, before the delivery in flight was answered (%v): it did not finish it", took1, hold)
	}
	if took1 > shutdown+slack {
		t.Errorf("stop with a delivery answered after %v took %v, shutdown timeout %v", hold, took1, shutdown)
	}
	if n := len(rcv.framesOf(first)); n != 1 {
		t.Fatalf("%s arrived %d times before the restart, want 1", first, n)
	}

	// 2. No answer at all: the stop ends at the shutdown timeout. The receiver does not count
	// unanswered frames as deliveries, so the message must be delivered after the restart.
	c.start()
	if !waitFor(10*time.Second, func() bool { return len(rcv.deliveries()) == 6 }) {
		t.Fatalf("%d of 6 messages delivered after the restart", len(rcv.deliveries()))
	}
	rcv.setBehaviour(func(string) reply { return replyNone })
	extra := &mllp.Client{Addr: c.addr, ACKTimeout: 5 * time.Second}
	defer extra.Close()
	stuck := controlID("I", 1, 1)
	if !s.sendExtra(extra, stuck, mrn(5, 1, 1), message(stuck, mrn(5, 1, 1)), 1, 1) {
		t.Fatalf("%s was not acknowledged", stuck)
	}
	if !waitFor(5*time.Second, func() bool { return len(rcv.framesOf(stuck)) > 0 }) {
		t.Fatalf("%s did not reach the receiver within 5s", stuck)
	}
	took2, err2 := c.term(shutdown + 10*time.Second)
	if err2 != nil {
		t.Errorf("stop with a delivery never answered: courier exited with %v, want status 0 (the stop kept its deadline; the delivery is sent again after the restart)", err2)
	}
	if took2 > shutdown+slack {
		t.Errorf("stop with a delivery that is never answered took %v, shutdown timeout %v", took2, shutdown)
	}
	rcv.setBehaviour(nil)
	c.start()
	f := check(t, c, s, checkSpec{Drain: 20 * time.Second, Targets: []target{{R: rcv, MaxDup: 0}}})
	if _, err := c.term(15 * time.Second); err != nil {
		t.Errorf("courier exited with %v after the last SIGTERM, want status 0", err)
	}
	c.assertNoPHI()
	t.Logf("figures: SIGTERM with a delivery answered %v later: exit after %v; with a delivery never answered: exit after %v (%v), shutdown timeout %v; %v",
		hold, took1.Round(time.Millisecond), took2.Round(time.Millisecond), err2, shutdown, f)
}
