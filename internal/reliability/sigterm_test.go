package reliability

import (
	"testing"
	"time"
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
