package reliability

import (
	"bytes"
	"context"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/courier-hl7/courier/mllp"
)

// TestDuplicates is RELIABILITY test 7. Messages are sent once by four senders; then 10 % of
// them are sent again with the same bytes (same MSH-3, MSH-4, MSH-10): each resend must get
// the original acknowledgement (same MSA, same MSH-10 of the ACK) and must not be delivered
// again, and courier_duplicates_suppressed_total must count exactly the resends. A second
// round of resends after a restart shows the duplicate window lives in the store. Twins of a
// few messages sent at the same moment on two connections are stored once. A few messages
// sent again under a NEW control ID with an otherwise identical body are new messages: they
// are delivered, and flagged (courier_same_content_resends_total, and the stored message's
// SameContentAs).
func TestDuplicates(t *testing.T) {
	per := 50
	if testing.Short() {
		per = 25
	}
	const n = 4
	rcv := newReceiver(t, "ehr")
	c := newCourier(t, config{MetricsPort: freePort(t), Dedupe: "1h", Dests: []destConfig{{Name: "ehr", Port: rcv.port()}}}, "")
	c.start()
	s := startSenders(t, c.addr, senderOpts{Prefix: "D", N: n, Keys: 20, Limit: per})
	if !s.finished(time.Minute) {
		t.Fatal("senders did not finish within a minute")
	}
	originals := s.snapshot()
	var ctrls []string
	for ctrl := range originals {
		ctrls = append(ctrls, ctrl)
	}
	sort.Strings(ctrls)

	client := &mllp.Client{Addr: c.addr, ACKTimeout: 5 * time.Second}
	defer client.Close()
	// resend sends every tenth message again (those whose position modulo 10 is phase) and
	// checks the answers; it returns how many it resent.
	resend := func(phase int) int {
		t.Helper()
		count := 0
		for i, ctrl := range ctrls {
			if i%10 != phase {
				continue
			}
			orig := originals[ctrl]
			resp := sendOnce(t, client, orig.Raw)
			count++
			compareACK(t, ctrl, orig.Ack, resp.Raw)
		}
		return count
	}
	round1 := resend(0)
	if got := c.metric("courier_duplicates_suppressed_total"); got != float64(round1) {
		t.Errorf("courier_duplicates_suppressed_total = %v after %d resends", got, round1)
	}

	// The window is in the store: after a restart, resends are still recognised.
	if _, err := c.term(15 * time.Second); err != nil {
		t.Errorf("courier exited with %v after SIGTERM, want status 0", err)
	}
	c.start()
	round2 := resend(5)
	if got := c.metric("courier_duplicates_suppressed_total"); got != float64(round2) {
		t.Errorf("after a restart, courier_duplicates_suppressed_total = %v after %d resends", got, round2)
	}

	// Twins: the same new message on two connections at once is stored and delivered once,
	// and both senders get the same acknowledgement.
	twin := &mllp.Client{Addr: c.addr, ACKTimeout: 5 * time.Second}
	defer twin.Close()
	const twins = 5
	for i := range twins {
		ctrl := controlID("D", n+1, i+1)
		raw := message(ctrl, mrn(20, n+1, i+1))
		var wg sync.WaitGroup
		var first bool
		var other mllp.Response
		wg.Add(2)
		go func() { defer wg.Done(); first = s.sendExtra(client, ctrl, mrn(20, n+1, i+1), raw, n+1, i+1) }()
		go func() { defer wg.Done(); other = sendOnce(t, twin, raw) }()
		wg.Wait()
		if !first {
			t.Errorf("twin %s: no AA on the first connection", ctrl)
			continue
		}
		compareACK(t, ctrl, s.snapshot()[ctrl].Ack, other.Raw)
	}
	dupTotal := c.metric("courier_duplicates_suppressed_total")
	if dupTotal != float64(round2+twins) {
		t.Errorf("courier_duplicates_suppressed_total = %v after %d resends and %d twins", dupTotal, round2, twins)
	}

	// Same body, new control ID: a new message, delivered, and flagged.
	const renamed = 5
	for i := range renamed {
		orig := originals[ctrls[i*7]]
		ctrl := controlID("DN", n+2, i+1)
		raw := bytes.Replace(orig.Raw, []byte("|"+orig.Ctrl+"|"), []byte("|"+ctrl+"|"), 1)
		if !s.sendExtra(client, ctrl, orig.Key, raw, n+2, i+1) {
			t.Errorf("%s (the body of %s under a new control ID) was not acknowledged with AA", ctrl, orig.Ctrl)
		}
	}

	f := check(t, c, s, checkSpec{Drain: 30 * time.Second, Targets: []target{{R: rcv, MaxDup: 0}}})
	sameMetric := c.metric("courier_same_content_resends_total")
	flagged := 0
	for _, sm := range c.stored() {
		if sm.SameContentAs != 0 {
			flagged++
		}
	}
	if sameMetric != renamed || flagged != renamed {
		t.Errorf("%d messages resent under a new control ID with the same body: courier_same_content_resends_total = %v, %d stored messages flagged SameContentAs; want %d and %d",
			renamed, sameMetric, flagged, renamed, renamed)
	}
	if _, err := c.term(15 * time.Second); err != nil {
		t.Errorf("courier exited with %v after SIGTERM, want status 0", err)
	}
	c.assertNoPHI()
	t.Logf("figures: %d resends before and %d after a restart, each answered with the original ACK and not re-delivered; %d concurrent twins stored once; "+
		"courier_duplicates_suppressed_total %d then %v (%d+%d expected); %d same-body messages under new control IDs: delivered, flagged %d (metric %v); %v",
		round1, round2, twins, round1, dupTotal, round2, twins, renamed, flagged, sameMetric, f)
}

// sendOnce sends raw and fails the test unless the answer is an AA.
func sendOnce(t *testing.T, c *mllp.Client, raw []byte) mllp.Response {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := c.Send(ctx, raw)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if resp.Code != mllp.CodeAA {
		t.Errorf("answer %s, want AA: %q", resp.Code, resp.Raw)
	}
	return resp
}

// compareACK checks that a resend's acknowledgement replays the original: the same MSA
// segment and the same MSH-10 (the ACK's own control ID), so the sender cannot tell it
// from the first answer.
func compareACK(t *testing.T, ctrl string, orig, got []byte) {
	t.Helper()
	if !bytes.Equal(segment(orig, "MSA"), segment(got, "MSA")) {
		t.Errorf("%s resent: MSA %q, the original was %q", ctrl, segment(got, "MSA"), segment(orig, "MSA"))
	}
	a, _ := fieldsOf(orig)
	b, _ := fieldsOf(got)
	if a != b || a == "" {
		t.Errorf("%s resent: ACK control ID %q, the original ACK's was %q", ctrl, b, a)
	}
	if !bytes.Equal(orig, got) {
		t.Errorf("%s resent: the ACK differs from the original:\n%q\n%q", ctrl, got, orig)
	}
}
