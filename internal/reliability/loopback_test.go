package reliability

import (
	"testing"
	"time"
)

// TestLoopback: without faults, senders → Courier → receivers over loopback. Every message
// gets its AA and arrives exactly once at a strict FIFO destination and at a keyed one
// (order_by PID-3.1), in order; a stop with SIGTERM is clean.
func TestLoopback(t *testing.T) {
	strict, keyed := newReceiver(t, "strict"), newReceiver(t, "keyed")
	c := newCourier(t, config{Dests: []destConfig{
		{Name: "strict", Port: strict.port()},
		{Name: "keyed", Port: keyed.port(), OrderBy: "PID-3.1", Parallel: 8, Connections: 4},
	}}, "")
	ready := c.start()

	const n = 4
	per := 250
	if testing.Short() {
		per = 50
	}
	begin := time.Now()
	s := startSenders(t, c.addr, senderOpts{Prefix: "L", N: n, Keys: 20, Limit: per})
	if !s.finished(2 * time.Minute) {
		t.Fatal("senders did not finish within 2 minutes")
	}
	sendTime := time.Since(begin)
	f := check(t, c, s, checkSpec{Drain: 30 * time.Second, Targets: []target{{R: strict}, {R: keyed, Keyed: true}}})
	st := s.stats()
	if f.Acked != n*per || st.Sends != n*per {
		t.Errorf("%d of %d messages acknowledged with %d sends: every message should get its AA at the first send", f.Acked, n*per, st.Sends)
	}
	for name, d := range f.Dests {
		if d.Delivered != n*per || d.Duplicates != 0 {
			t.Errorf("%s: %d deliveries, %d duplicates; want exactly %d, none twice", name, d.Delivered, d.Duplicates, n*per)
		}
	}
	stop, err := c.term(15 * time.Second)
	if err != nil {
		t.Errorf("courier exited with %v after SIGTERM, want status 0", err)
	}
	c.assertNoPHI()
	t.Logf("figures: %d senders × %d messages acknowledged in %v (%.0f msg/s); %v; start to listening %v; SIGTERM to exit %v",
		n, per, sendTime.Round(time.Millisecond), float64(n*per)/sendTime.Seconds(), f, ready.Round(time.Millisecond), stop.Round(time.Millisecond))
}
