package reliability

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

// The retry schedule of TestOutage: short, so that a few seconds reach the cap.
const (
	outInitial    = 100 * time.Millisecond
	outMax        = time.Second
	outMultiplier = 2.0
	outJitter     = 0.2
	outTimeout    = 400 * time.Millisecond // one attempt
	outACKTimeout = 300 * time.Millisecond
	// outSlack is how late an attempt may start after its due time: the worker wakes at the
	// due time, claims and dials (loopback, a store write).
	outSlack = 150 * time.Millisecond
)

// TestOutage is RELIABILITY test 5. Three destinations of one channel fail in the three ways
// a receiving system fails, for the same few seconds, while a sender streams:
//
//   - refuse: the receiver is down (no listener): connections are refused;
//   - noack: it accepts the connection and the message but never answers (ACK timeout);
//   - ae: it answers AE to everything;
//   - ar: it answers AR (rejected) to everything.
//
// Then every receiver recovers. Each destination's head message is retried on the
// configured schedule — wait n is initial×multiplier^(n−1), capped at max, ±jitter
// (100 ms, 2, 1 s, 20 %) — measured from each attempt's end to the next one's start in the
// store (`courier messages show --json`), and at the receiver for noack, ae and ar; and the
// jitter is really applied (some waits fall well below their base, some well above). Courier
// uses little CPU while it waits; afterwards each queue drains in order, without loss and
// without duplicates, soon after its receiver is back.
func TestOutage(t *testing.T) {
	outage := 6 * time.Second
	if testing.Short() {
		outage = 4 * time.Second
	}
	refuse, noack, ae, ar := newReceiver(t, "refuse"), newReceiver(t, "noack"), newReceiver(t, "ae"), newReceiver(t, "ar")
	refuse.down()
	noack.setBehaviour(func(string) reply { return replyNone })
	ae.setBehaviour(func(string) reply { return replyAE })
	ar.setBehaviour(func(string) reply { return replyAR })
	retry := retryConfig{Initial: outInitial.String(), Max: outMax.String(), Multiplier: outMultiplier, Jitter: outJitter}
	dest := func(name string, r *receiver) destConfig {
		return destConfig{Name: name, Port: r.port(), Timeout: outTimeout.String(), ACKTimeout: outACKTimeout.String(), Retry: retry}
	}
	c := newCourier(t, config{Dests: []destConfig{dest("refuse", refuse), dest("noack", noack), dest("ae", ae), dest("ar", ar)}}, "")
	c.start()
	begin := time.Now()
	s := startSenders(t, c.addr, senderOpts{Prefix: "O", N: 1, Keys: 10, Limit: 40, Pause: 20 * time.Millisecond})
	if !s.finished(20 * time.Second) {
		t.Fatal("the sender did not finish within 20s")
	}
	// While the receivers are away, Courier waits on timers: measure its CPU use.
	time.Sleep(500 * time.Millisecond)
	cpu0, ok0 := c.cpuTime()
	wall0 := time.Now()
	time.Sleep(time.Until(begin.Add(outage)))
	cpu1, ok1 := c.cpuTime()
	cpuShare := -1.0
	if ok0 && ok1 {
		cpuShare = float64(cpu1-cpu0) / float64(time.Since(wall0))
		if cpuShare > 0.10 {
			t.Errorf("courier used %.1f%% of a CPU while its receivers were down, target < 10%%", 100*cpuShare)
		}
	}
	for _, r := range []*receiver{refuse, noack, ae, ar} {
		if r.firstAccepted(time.Time{}) != (time.Time{}) {
			t.Errorf("%s accepted a message during the outage", r.name)
		}
	}

	back := time.Now()
	refuse.up()
	noack.setBehaviour(nil)
	ae.setBehaviour(nil)
	ar.setBehaviour(nil)
	f := check(t, c, s, checkSpec{Drain: 45 * time.Second, Targets: []target{{R: refuse}, {R: noack}, {R: ae}, {R: ar}}})

	head := controlID("O", 0, 1)
	m := c.show(c.messageID(head))
	var report []string
	var ratios []float64 // every wait in the store over its base, for the jitter check
	for _, e := range m.Entries {
		var waits []time.Duration
		var prevEnd time.Time
		for _, a := range m.Attempts {
			if a.EntryID != e.ID {
				continue
			}
			if !prevEnd.IsZero() {
				waits = append(waits, a.Started.Sub(prevEnd))
			}
			prevEnd = a.Finished
		}
		report = append(report, fmt.Sprintf("%s (store, end→start): %s", e.Destination, checkSchedule(t, e.Destination, waits, 0, 5*time.Millisecond)))
		for i, w := range waits {
			ratios = append(ratios, float64(w)/float64(scheduleBase(i)))
		}
	}
	checkJitter(t, ratios)
	// At the receiver, the gap between two arrivals is the wait plus the attempt before it:
	// about nothing for AE, the ACK timeout for noack. Each arrival is stamped when the
	// receiver's goroutine gets to read it, which on a loaded machine can be late by several
	// milliseconds; a first arrival stamped late shortens the gap (seen: 7 ms on a 2-core CI
	// run), so a gap may fall short of the schedule by arrivalSlack. The store's own stamps,
	// checked above, hold the schedule to 5 ms.
	const arrivalSlack = 25 * time.Millisecond
	for _, x := range []struct {
		r    *receiver
		took time.Duration
	}{{ae, 0}, {ar, 0}, {noack, outACKTimeout}} {
		frames := x.r.framesOf(head)
		var waits []time.Duration
		for i := 1; i < len(frames); i++ {
			waits = append(waits, frames[i].At.Sub(frames[i-1].At))
		}
		report = append(report, fmt.Sprintf("%s (receiver, arrival→arrival, minus %v): %s", x.r.name, x.took, checkSchedule(t, x.r.name+" at the receiver", waits, x.took, arrivalSlack)))
	}
	recovered := map[string]time.Duration{}
	for _, r := range []*receiver{refuse, noack, ae, ar} {
		if at := r.firstAccepted(back); !at.IsZero() {
			recovered[r.name] = at.Sub(back).Round(time.Millisecond)
		}
	}
	// Back means back: the next attempt is due within the capped wait, plus the attempt that
	// may be running when the receiver returns.
	limit := time.Duration(float64(outMax)*(1+outJitter)) + outTimeout + outSlack
	for name, d := range recovered {
		if d > limit {
			t.Errorf("%s: first delivery %v after the receiver came back; with retry max %v the next attempt is due within %v", name, d, outMax, limit)
		}
	}
	if _, err := c.term(15 * time.Second); err != nil {
		t.Errorf("courier exited with %v after SIGTERM, want status 0", err)
	}
	c.assertNoPHI()
	t.Logf("figures: outage %v; CPU while waiting %.1f%% of one core; first delivery after the receivers came back: %v; %v", outage, 100*cpuShare, recovered, f)
	for _, r := range report {
		t.Log("retry waits " + r)
	}
}

// checkSchedule checks measured waits between attempts against the configured schedule,
// after taking away what each attempt itself took (took), and describes them. A wait may fall
// short of the jittered schedule by early, the noise of the stamps it was measured with.
func checkSchedule(t *testing.T, what string, waits []time.Duration, took, early time.Duration) string {
	t.Helper()
	if len(waits) < 5 {
		t.Errorf("%s: only %d waits between attempts; the outage should give at least 5", what, len(waits))
	}
	var b strings.Builder
	capped := 0
	for i, w := range waits {
		w -= took
		base := scheduleBase(i)
		if base == outMax {
			capped++
		}
		lo := time.Duration(float64(base)*(1-outJitter)) - early
		hi := time.Duration(float64(base)*(1+outJitter)) + outSlack
		mark := ""
		if w < lo || w > hi {
			mark = "!"
			t.Errorf("%s: wait %d was %v, the schedule says %v ±%.0f%% (%v..%v)", what, i+1, w.Round(time.Millisecond), base, 100*outJitter, lo.Round(time.Millisecond), hi.Round(time.Millisecond))
		}
		fmt.Fprintf(&b, "%v/%v%s ", w.Round(time.Millisecond), base, mark)
	}
	if len(waits) >= 6 && capped == 0 {
		t.Errorf("%s: no wait reached the cap of %v", what, outMax)
	}
	return strings.TrimSpace(b.String()) + " (measured/base)"
}

// scheduleBase is the wait after attempt i+1 before jitter: initial×multiplier^i, capped.
func scheduleBase(i int) time.Duration {
	return time.Duration(math.Min(float64(outInitial)*math.Pow(outMultiplier, float64(i)), float64(outMax)))
}

// checkJitter checks that the retry waits are spread by the jitter, not merely within its
// bounds: a schedule without jitter passes checkSchedule, and retries of many destinations
// would then go out in step. ratios are measured waits over their base. A wait is never
// shorter than the delay Courier computed (the worker wakes at or after the due time), so a
// wait under 1 − jitter/3 of its base can only come from the jitter; one over 1 + jitter/3 is
// expected too. With uniform jitter of ±20 % and some 25 waits, missing either side has a
// probability under 10⁻⁴.
func checkJitter(t *testing.T, ratios []float64) {
	t.Helper()
	if len(ratios) < 16 {
		t.Errorf("only %d retry waits in the store: too few to see the jitter", len(ratios))
		return
	}
	low, high := 0, 0
	for _, r := range ratios {
		switch {
		case r < 1-outJitter/3:
			low++
		case r > 1+outJitter/3:
			high++
		}
	}
	if low == 0 || high == 0 {
		t.Errorf("retry jitter %.0f%% configured, but of %d waits %d are more than %.1f%% below their base and %d more than %.1f%% above: the waits are not jittered",
			100*outJitter, len(ratios), low, 100*outJitter/3, high, 100*outJitter/3)
	}
}
