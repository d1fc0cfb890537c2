package reliability

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/store/sqlite"
)

// TestKill9 is RELIABILITY test 1 in CI size: 16 senders stream for the whole test while a
// real `courier serve` is killed with SIGKILL at random moments (1–3 s apart) and restarted
// on the same data directory and port, 5–8 times (COURIER_RELIABILITY_CYCLES for more).
// Then the senders stop, Courier drains, and the checker finds no acknowledged message lost,
// order kept per destination (strict) and per patient (keyed), and repeats only across
// crashes.
//
// The duplicate bound: a strict destination claims claim_size entries, sends them one by one
// and records the batch's outcomes in one write; a keyed one sends up to `parallel` heads at
// once and records them together. A kill can therefore lose the record of at most claim_size
// (strict) or parallel (keyed) deliveries, which the next process sends again. So at most
// cycles × claim_size (strict) and cycles × parallel (keyed) messages are delivered twice.
func TestKill9(t *testing.T) {
	rng := newRand(t)
	cycles := 5 + rng.IntN(4)
	if testing.Short() {
		cycles = 3
	}
	cycles = envInt(t, envCycles, cycles)
	const (
		nSenders = 16
		claim    = 32
		parallel = 8
	)
	retry := retryConfig{Initial: "100ms", Max: "1s"}
	strict, keyed := newReceiver(t, "strict"), newReceiver(t, "keyed")
	c := newCourier(t, config{Dests: []destConfig{
		{Name: "strict", Port: strict.port(), Claim: claim, Timeout: "5s", ACKTimeout: "4s", Retry: retry},
		{Name: "keyed", Port: keyed.port(), OrderBy: "PID-3.1", Parallel: parallel, Connections: 4, Timeout: "5s", ACKTimeout: "4s", Retry: retry},
	}}, "")
	c.start()
	s := startSenders(t, c.addr, senderOpts{Prefix: "K", N: nSenders, Keys: 200})

	type cycle struct {
		up         time.Duration // listening to kill
		acked      int           // AAs received during the cycle
		deliveredS int           // strict deliveries at the kill
		restart    time.Duration
	}
	var history []cycle
	for range cycles {
		up := time.Second + time.Duration(rng.Int64N(int64(2*time.Second)))
		before := s.ackedCount()
		time.Sleep(up)
		c.kill()
		cy := cycle{up: up, acked: s.ackedCount() - before, deliveredS: len(strict.deliveries())}
		cy.restart = c.start()
		history = append(history, cy)
		if cy.restart > 5*time.Second {
			t.Errorf("restart to listening took %v, target < 5s", cy.restart)
		}
	}
	time.Sleep(time.Second) // the last process takes traffic too
	s.Stop()
	f := check(t, c, s, checkSpec{Drain: time.Minute, Targets: []target{
		{R: strict, MaxDup: cycles * claim, MaxLostRecords: claim},
		{R: keyed, Keyed: true, MaxDup: cycles * parallel, MaxLostRecords: parallel},
	}})
	if f.Acked == 0 {
		t.Fatal("no message was acknowledged")
	}
	stop, err := c.term(15 * time.Second)
	if err != nil {
		t.Errorf("courier exited with %v after SIGTERM, want status 0", err)
	}
	c.assertNoPHI()
	repeated := checkRepeatsUnrecorded(t, c, strict, keyed)

	// Resends after a crash carry the same control ID. Those whose first copy was committed
	// (its AA lost with the process) must have been recognised as duplicates; the others were
	// stored by the resend. The checker already proved that no control ID is stored twice.
	st := s.stats()
	dupSeen, freshStored := resendOutcomes(t, c, s)
	restarts := c.readyTimes()[1:]
	slices.Sort(restarts)
	t.Logf("figures: %d messages delivered more than once checked in the store: each has one SENT attempt, made by the process that delivered it last", repeated)
	t.Logf("figures: %d kill -9 cycles, %d senders; %d messages sent (%d sends), %d acknowledged, %d sent without AA at the end; "+
		"%d resent after no answer (%d recognised as duplicates of a committed first copy, %d stored by the resend); %v; "+
		"restart to listening min %v / median %v / max %v; final SIGTERM to exit %v",
		cycles, nSenders, st.Sent, st.Sends, st.Acked, st.Unacked, st.ResentNoAnswer, dupSeen, freshStored, f,
		restarts[0].Round(time.Millisecond), restarts[len(restarts)/2].Round(time.Millisecond), restarts[len(restarts)-1].Round(time.Millisecond),
		stop.Round(time.Millisecond))
	for i, cy := range history {
		t.Logf("cycle %d: up %v, %d AAs, killed with %d strict deliveries so far, back listening in %v", i+1, cy.up.Round(time.Millisecond), cy.acked, cy.deliveredS, cy.restart.Round(time.Millisecond))
	}
}

// openStopped opens the store of a stopped courier for who, and maps the control IDs of its
// messages to their IDs.
func openStopped(t *testing.T, c *courier, who string) (*sqlite.Store, map[string]int64) {
	t.Helper()
	if c.running() {
		t.Fatalf("%s reads the store of a stopped courier", who)
	}
	st, err := sqlite.Open(context.Background(), c.dbPath, sqlite.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("open the store: %v", err)
	}
	ids := map[string]int64{}
	for _, sm := range c.stored() {
		ids[sm.Meta.ControlID] = sm.ID
	}
	return st, ids
}

// resendOutcomes reads the stopped store to tell, for every message resent after getting
// no answer, whether the store had kept its first copy (the resend was answered from the
// duplicate window) or not (the resend was stored).
func resendOutcomes(t *testing.T, c *courier, s *senders) (duplicates, fresh int) {
	t.Helper()
	ctx := context.Background()
	st, ids := openStopped(t, c, "resendOutcomes")
	defer st.Close()
	for ctrl, m := range s.snapshot() {
		if m.NoAnswer == 0 || m.Acked.IsZero() {
			continue
		}
		id, ok := ids[ctrl]
		if !ok {
			continue // the checker reported it as lost
		}
		msg, err := st.Message(ctx, id)
		if err != nil {
			t.Fatalf("message %d: %v", id, err)
		}
		dup := false
		for _, ev := range msg.Events {
			if ev.Kind == "duplicate" {
				dup = true
			}
		}
		if dup {
			duplicates++
		} else {
			fresh++
		}
	}
	return duplicates, fresh
}

// checkRepeatsUnrecorded reads the stopped store to prove that a message was delivered again
// only because its earlier delivery had not been marked sent: for every message a receiver
// accepted more than once, the store holds exactly one SENT attempt at that destination, the
// entry is SENT, and that attempt was made by the process that made the last delivery
// (started after that process was spawned, and before the last delivery arrived). A message
// marked sent and then sent again (a recovery that queues sent entries again) shows a second
// SENT attempt, or a SENT attempt older than the last delivery's process. It returns how many
// (message, destination) pairs it checked.
func checkRepeatsUnrecorded(t *testing.T, c *courier, rs ...*receiver) int {
	t.Helper()
	ctx := context.Background()
	st, ids := openStopped(t, c, "checkRepeatsUnrecorded")
	defer st.Close()
	starts := c.startTimes()
	checked, errs := 0, 0
	report := func(format string, args ...any) {
		errs++
		if errs <= 20 {
			t.Errorf(format, args...)
		}
	}
	for _, r := range rs {
		count := map[string]int{}
		last := map[string]time.Time{}
		for _, d := range r.deliveries() {
			count[d.Ctrl]++
			last[d.Ctrl] = d.At
		}
		for ctrl, n := range count {
			if n < 2 {
				continue
			}
			id, ok := ids[ctrl]
			if !ok {
				continue // the checker reported it
			}
			msg, err := st.Message(ctx, id)
			if err != nil {
				t.Fatalf("message %d: %v", id, err)
			}
			checked++
			var entry int64
			for _, e := range msg.Entries {
				if e.Destination == r.name {
					entry = e.ID
					if e.State != "SENT" {
						report("%s: %s delivered %d times, its entry %d is %s, want SENT", r.name, ctrl, n, e.ID, e.State)
					}
				}
			}
			var sentAt []time.Time
			for _, a := range msg.Attempts {
				if a.EntryID == entry && a.Outcome == "SENT" {
					sentAt = append(sentAt, a.Started)
				}
			}
			spawn := starts[processAt(starts, last[ctrl])]
			switch {
			case len(sentAt) != 1:
				report("%s: %s delivered %d times and recorded SENT %d times (attempts started %v): a delivery marked sent was sent again", r.name, ctrl, n, len(sentAt), sentAt)
			case sentAt[0].Before(spawn) || sentAt[0].After(last[ctrl]):
				report("%s: %s delivered %d times, last at %s by the process spawned at %s, but its SENT record is of an attempt started at %s: a delivery marked sent was sent again",
					r.name, ctrl, n, last[ctrl].Format("15:04:05.000"), spawn.Format("15:04:05.000"), sentAt[0].Format("15:04:05.000"))
			}
		}
	}
	if errs > 20 {
		t.Errorf("%d messages sent again after being marked sent", errs)
	}
	return checked
}
