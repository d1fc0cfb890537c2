package storetest

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/store"
)

// testStrictFIFOFailingHead: in a strict lane a failing head blocks the entries behind it,
// through its retries and after it gives up, visibly, until an operator retries it.
func testStrictFIFOFailingHead(t *testing.T, s store.Store) {
	m1 := msg("F1", 0, dest)
	m1.Processed = []byte("processed F1")
	id1 := receiveOne(t, s, m1)
	id2 := receiveOne(t, s, msg("F2", time.Second, dest))
	receiveOne(t, s, msg("F3", 2*time.Second, dest))

	e1 := claimOne(t, s, claimReq(0), id1)
	if e1.State != store.EntrySending || e1.Owner != owner || !e1.LeaseUntil.Equal(at(lease)) || e1.Token == 0 {
		t.Errorf("claimed entry %+v: want SENDING, owner %s, lease until t0+%v, a token", e1, owner, lease)
	}
	if string(e1.Content) != "processed F1" {
		t.Errorf("claimed content %q, want the processed message", e1.Content)
	}
	if e1.Meta.ControlID != "F1" || !e1.ReceivedAt.Equal(at(0)) {
		t.Errorf("claimed entry meta %+v received %v, want F1 at t0", e1.Meta, e1.ReceivedAt)
	}

	// While the head is leased the lane is busy, for any owner.
	busy := claimReq(time.Second)
	busy.Owner = "node2/ehr"
	busy.Max = 5
	if res := claim(t, s, busy); len(res.Entries) != 0 || !res.NextDue.IsZero() || res.BlockedBy != nil {
		t.Fatalf("claim of a busy lane = %v, NextDue %v, BlockedBy %d; want nothing", messageIDs(res.Entries), res.NextDue, entryID(res.BlockedBy))
	}

	// A retry makes the lane wait for the head's next attempt.
	recordOK(t, s, retry(e1, time.Second, time.Minute))
	res := claim(t, s, claimReq(10*time.Second))
	if len(res.Entries) != 0 || !res.NextDue.Equal(at(time.Minute)) || entryID(res.BlockedBy) != e1.ID {
		t.Fatalf("claim while the head waits: %v, NextDue %v, BlockedBy %d; want nothing, t0+1m, entry %d",
			messageIDs(res.Entries), res.NextDue, entryID(res.BlockedBy), e1.ID)
	}
	if q := stats(t, s, ch, dest); entryID(q.BlockedBy) != e1.ID {
		t.Errorf("Stats.BlockedBy = %d while the head waits for a retry, want %d", entryID(q.BlockedBy), e1.ID)
	}

	// Due again: the same head, under a new token.
	e1b := claimOne(t, s, claimReq(time.Minute), id1)
	if e1b.ID != e1.ID || e1b.Token == e1.Token || e1b.Attempts != 1 || e1b.LastError != "connection refused" {
		t.Errorf("re-claimed head %+v: want entry %d, a new token (was %d), 1 attempt, the last error", e1b, e1.ID, e1.Token)
	}

	// It gives up and holds the lane.
	recordOK(t, s, failed(e1b, time.Minute, false))
	res = claim(t, s, claimReq(time.Hour))
	if len(res.Entries) != 0 || !res.NextDue.IsZero() || entryID(res.BlockedBy) != e1.ID || res.BlockedBy.State != store.EntryError {
		t.Fatalf("claim behind an ERROR head: %v, NextDue %v, BlockedBy %+v; want nothing, zero, entry %d in ERROR",
			messageIDs(res.Entries), res.NextDue, res.BlockedBy, e1.ID)
	}
	q := stats(t, s, ch, dest)
	if q.Errors != 1 || q.Pending != 2 || entryID(q.BlockedBy) != e1.ID || !q.Oldest.Equal(at(0)) {
		t.Errorf("stats %+v: want 1 error, 2 pending, blocked by %d, oldest t0", q, e1.ID)
	}
	m := message(t, s, id1)
	if m.Status != store.StatusError {
		t.Errorf("message status %s after give-up, want ERROR", m.Status)
	}

	// An operator retries it: it is due at once, with its attempts counted afresh.
	if err := s.Retry(ctx, e1.ID, "alice"); err != nil {
		t.Fatalf("Retry: %v", err)
	}
	e1c := claimOne(t, s, claimReq(time.Hour), id1)
	if e1c.Attempts != 0 {
		t.Errorf("attempts after an operator retry = %d, want 0", e1c.Attempts)
	}
	if m := message(t, s, id1); m.Status != store.StatusQueued {
		t.Errorf("message status %s after an operator retry, want QUEUED", m.Status)
	}
	recordOK(t, s, sent(e1c, time.Hour))
	claimOne(t, s, claimReq(time.Hour), id2)
}

// testMoveOn: an entry that gives up with MoveOn lets the lane go on; the message shows
// ERROR and the queue is not blocked.
func testMoveOn(t *testing.T, s store.Store) {
	id1 := receiveOne(t, s, msg("M1", 0, dest))
	id2 := receiveOne(t, s, msg("M2", time.Second, dest))
	e1 := claimOne(t, s, claimReq(0), id1)
	recordOK(t, s, failed(e1, 0, true))
	claimOne(t, s, claimReq(time.Second), id2)
	q := stats(t, s, ch, dest)
	if q.Errors != 1 || q.BlockedBy != nil {
		t.Errorf("stats %+v: want 1 error and no blocking entry", q)
	}
	if m := message(t, s, id1); m.Status != store.StatusError {
		t.Errorf("status of the message that gave up: %s, want ERROR", m.Status)
	}
}

// testRetryMovedOn: an operator retries an entry the lane moved past while a newer entry is
// in flight; the lane stays one-at-a-time and the retried entry goes next.
func testRetryMovedOn(t *testing.T, s store.Store) {
	id1 := receiveOne(t, s, msg("RM1", 0, dest))
	id2 := receiveOne(t, s, msg("RM2", time.Second, dest))
	id3 := receiveOne(t, s, msg("RM3", 2*time.Second, dest))
	e1 := claimOne(t, s, claimReq(0), id1)
	recordOK(t, s, failed(e1, 0, true))
	e2 := claimOne(t, s, claimReq(time.Second), id2)
	if err := s.Retry(ctx, e1.ID, "bob"); err != nil {
		t.Fatalf("Retry of a moved-on entry: %v", err)
	}
	for _, keyedClaim := range []bool{false, true} {
		req := claimReq(2 * time.Second)
		req.Keyed = keyedClaim
		if got := claimIDs(t, s, req); len(got) != 0 {
			t.Fatalf("claim (keyed %v) while entry %d is in flight = %v, want nothing", keyedClaim, e2.ID, got)
		}
	}
	recordOK(t, s, sent(e2, 3*time.Second))
	e1b := claimOne(t, s, claimReq(3*time.Second), id1)
	recordOK(t, s, sent(e1b, 4*time.Second))
	claimOne(t, s, claimReq(4*time.Second), id3)
}

// testKeyedLanes: with Keyed claims each order key is its own FIFO lane; a blocked key does
// not stop the others.
func testKeyedLanes(t *testing.T, s store.Store) {
	a1 := receiveOne(t, s, keyed(msg("A1", 0, dest), "A"))
	b1 := receiveOne(t, s, keyed(msg("B1", 1*time.Second, dest), "B"))
	a2 := receiveOne(t, s, keyed(msg("A2", 2*time.Second, dest), "A"))
	c1 := receiveOne(t, s, keyed(msg("C1", 3*time.Second, dest), "C"))
	b2 := receiveOne(t, s, keyed(msg("B2", 4*time.Second, dest), "B"))

	req := claimReq(0)
	req.Keyed, req.Max = true, 10
	res := claim(t, s, req)
	if got := messageIDs(res.Entries); !slices.Equal(got, []int64{a1, b1, c1}) {
		t.Fatalf("keyed claim = %v, want the heads of each key [%d %d %d]", got, a1, b1, c1)
	}
	ea, eb, ec := res.Entries[0], res.Entries[1], res.Entries[2]
	if got := claimIDs(t, s, req); len(got) != 0 {
		t.Fatalf("keyed claim while every key is in flight = %v, want nothing", got)
	}
	recordOK(t, s, failed(ea, 0, false))
	recordOK(t, s, sent(eb, 0))
	recordOK(t, s, retry(ec, 0, time.Minute))

	res = claim(t, s, req)
	if got := messageIDs(res.Entries); !slices.Equal(got, []int64{b2}) {
		t.Fatalf("keyed claim with A blocked and C waiting = %v, want [%d]", got, b2)
	}
	if !res.NextDue.IsZero() {
		t.Errorf("NextDue %v when entries were claimed, want zero", res.NextDue)
	}
	recordOK(t, s, sent(res.Entries[0], time.Second))

	res = claim(t, s, req)
	if len(res.Entries) != 0 || !res.NextDue.Equal(at(time.Minute)) {
		t.Fatalf("keyed claim with nothing due = %v, NextDue %v; want nothing, t0+1m", messageIDs(res.Entries), res.NextDue)
	}
	req.Now = at(time.Minute)
	if got := claimIDs(t, s, req); !slices.Equal(got, []int64{c1}) {
		t.Fatalf("keyed claim when C is due = %v, want [%d]", got, c1)
	}
	// A strict claim of the same destination sees one lane, busy with C1.
	strict := claimReq(time.Minute)
	if got := claimIDs(t, s, strict); len(got) != 0 {
		t.Errorf("strict claim with C1 in flight = %v, want nothing", got)
	}
	// A2 waits behind the ERROR head of A until an operator acts.
	if err := s.Skip(ctx, ea.ID, "carol"); err != nil {
		t.Fatalf("Skip: %v", err)
	}
	req.Now = at(time.Minute + time.Second) // C1's lease is still live
	if got := claimIDs(t, s, req); !slices.Equal(got, []int64{a2}) {
		t.Fatalf("keyed claim after skipping A1 = %v, want [%d]", got, a2)
	}
}

// testStrictClaimMax: a strict claim of several leases the head and the due entries right
// behind it, and stops at the first that is not due.
func testStrictClaimMax(t *testing.T, s store.Store) {
	var ids []int64
	for i, c := range []string{"X1", "X2", "X3", "X4"} {
		ids = append(ids, receiveOne(t, s, msg(c, time.Duration(i)*time.Second, dest)))
	}
	req := claimReq(0)
	req.Max = 3
	res := claim(t, s, req)
	if got := messageIDs(res.Entries); !slices.Equal(got, ids[:3]) {
		t.Fatalf("claim of 3 = %v, want %v", got, ids[:3])
	}
	e := res.Entries
	recordOK(t, s, sent(e[0], 0))
	recordOK(t, s, retry(e[1], 0, time.Minute))
	if got := claimIDs(t, s, req); len(got) != 0 {
		t.Fatalf("claim while entry 3 is leased = %v, want nothing", got)
	}
	recordOK(t, s, store.Outcome{EntryID: e[2].ID, Token: e[2].Token, Kind: store.OutcomeRelease})
	res = claim(t, s, req)
	if len(res.Entries) != 0 || !res.NextDue.Equal(at(time.Minute)) || entryID(res.BlockedBy) != e[1].ID {
		t.Fatalf("claim behind a waiting head = %v, NextDue %v, BlockedBy %d; want nothing, t0+1m, %d",
			messageIDs(res.Entries), res.NextDue, entryID(res.BlockedBy), e[1].ID)
	}
	req.Now = at(time.Minute)
	if got := claimIDs(t, s, req); !slices.Equal(got, ids[1:]) {
		t.Fatalf("claim when due = %v, want %v", got, ids[1:])
	}
}

// testLeaseExpiry: an expired lease is claimed again under a new token, and the old token is
// refused.
func testLeaseExpiry(t *testing.T, s store.Store) {
	id := receiveOne(t, s, msg("L1", 0, dest))
	first := claimOne(t, s, claimReq(0), id)

	other := claimReq(lease - time.Second)
	other.Owner = "node2/ehr"
	if got := claimIDs(t, s, other); len(got) != 0 {
		t.Fatalf("claim before the lease expired = %v, want nothing", got)
	}
	other.Now = at(lease + time.Second)
	second := claimOne(t, s, other, id)
	if second.ID != first.ID || second.Token == first.Token || second.Owner != "node2/ehr" {
		t.Fatalf("re-claimed entry %+v: want entry %d with a new token (old %d) and owner node2/ehr", second, first.ID, first.Token)
	}
	if errs := record(t, s, sent(first, lease+2*time.Second)); !errors.Is(errs[0], store.ErrStaleLease) {
		t.Fatalf("Record with the old token: %v, want ErrStaleLease", errs[0])
	}
	if m := message(t, s, id); m.Status != store.StatusQueued || hasEvent(m, "sent", "", 0) || len(m.Attempts) != 0 {
		t.Fatalf("stale outcome changed the message: status %s, events %v, %d attempts", m.Status, eventKinds(m), len(m.Attempts))
	}
	recordOK(t, s, sent(second, lease+2*time.Second))
	// Once recorded, the token is spent.
	if errs := record(t, s, sent(second, lease+3*time.Second)); !errors.Is(errs[0], store.ErrStaleLease) {
		t.Fatalf("second Record with the same token: %v, want ErrStaleLease", errs[0])
	}
	if m := message(t, s, id); m.Status != store.StatusSent || len(m.Attempts) != 1 {
		t.Fatalf("after delivery: status %s, %d attempts; want SENT, 1", m.Status, len(m.Attempts))
	}
}

// testRecordAfterExpiry: a worker whose lease expired but was not taken may still record.
func testRecordAfterExpiry(t *testing.T, s store.Store) {
	id := receiveOne(t, s, msg("E1", 0, dest))
	e := claimOne(t, s, claimReq(0), id)
	recordOK(t, s, sent(e, time.Hour))
	if m := message(t, s, id); m.Status != store.StatusSent {
		t.Fatalf("status %s, want SENT", m.Status)
	}
}

// testRecordUnknownEntry: outcomes are judged one by one.
func testRecordUnknownEntry(t *testing.T, s store.Store) {
	id := receiveOne(t, s, msg("U1", 0, dest))
	e := claimOne(t, s, claimReq(0), id)
	errs := record(t, s, store.Outcome{EntryID: e.ID + 1000, Token: 1, Kind: store.OutcomeSent}, sent(e, 0))
	if !errors.Is(errs[0], store.ErrNotFound) || errs[1] != nil {
		t.Fatalf("Record(unknown, good) = %v; want ErrNotFound, nil", errs)
	}
}

// testReleaseOwner: a node starting again gives back its leases; its old tokens are refused.
func testReleaseOwner(t *testing.T, s store.Store) {
	id1 := receiveOne(t, s, msg("O1", 0, dest, "lab"))
	e := claimOne(t, s, claimReq(0), id1)
	labReq := claimReq(0)
	labReq.Destination = "lab"
	claimOne(t, s, labReq, id1)

	n, err := s.ReleaseOwner(ctx, owner)
	if err != nil || n != 2 {
		t.Fatalf("ReleaseOwner = %d, %v; want 2", n, err)
	}
	if n, err := s.ReleaseOwner(ctx, "node9/none"); err != nil || n != 0 {
		t.Fatalf("ReleaseOwner(unknown) = %d, %v; want 0", n, err)
	}
	again := claimReq(time.Second)
	again.Owner = "node1b/ehr"
	e2 := claimOne(t, s, again, id1)
	if e2.Token == e.Token || e2.Attempts != 0 {
		t.Errorf("entry after release: token %d (was %d), attempts %d; want a new token, 0 attempts", e2.Token, e.Token, e2.Attempts)
	}
	if errs := record(t, s, sent(e, time.Second)); !errors.Is(errs[0], store.ErrStaleLease) {
		t.Errorf("Record by the released owner: %v, want ErrStaleLease", errs[0])
	}
}

// testReleaseOutcome: OutcomeRelease gives an entry back without counting an attempt.
func testReleaseOutcome(t *testing.T, s store.Store) {
	id := receiveOne(t, s, msg("RL1", 0, dest))
	e := claimOne(t, s, claimReq(0), id)
	recordOK(t, s, store.Outcome{EntryID: e.ID, Token: e.Token, Kind: store.OutcomeRelease})
	e2 := claimOne(t, s, claimReq(0), id)
	if e2.Attempts != 0 || e2.Token == e.Token {
		t.Errorf("after release: attempts %d, token %d (was %d); want 0 and a new token", e2.Attempts, e2.Token, e.Token)
	}
	if m := message(t, s, id); len(m.Attempts) != 0 {
		t.Errorf("a release recorded %d attempts", len(m.Attempts))
	}
}

// testFilteredOutcome: OutcomeFiltered (the destination's own filter rejected the message at
// send time) makes the entry FILTERED, final, without an attempt; the lane goes on, the
// message's status follows, and its history says so.
func testFilteredOutcome(t *testing.T, s store.Store) {
	id1 := receiveOne(t, s, msg("FO1", 0, dest))
	id2 := receiveOne(t, s, msg("FO2", time.Second, dest))
	e := claimOne(t, s, claimReq(0), id1)
	recordOK(t, s, store.Outcome{EntryID: e.ID, Token: e.Token, Kind: store.OutcomeFiltered, Started: at(time.Second), Finished: at(time.Second)})
	m := message(t, s, id1)
	if got := m.Entries[0]; got.State != store.EntryFiltered || got.Attempts != 0 || got.Owner != "" {
		t.Errorf("entry after OutcomeFiltered: %+v, want FILTERED without an attempt or owner", got)
	}
	if m.Status != store.StatusSent || len(m.Attempts) != 0 {
		t.Errorf("message after OutcomeFiltered: status %s, %d attempts; want SENT (all entries final), none", m.Status, len(m.Attempts))
	}
	if !hasEvent(m, "filtered", "", e.ID) {
		t.Errorf("events %v: want a filtered event for entry %d", eventKinds(m), e.ID)
	}
	if errs := record(t, s, sent(e, 2*time.Second)); !errors.Is(errs[0], store.ErrStaleLease) {
		t.Errorf("Record after OutcomeFiltered: %v, want ErrStaleLease (the entry is final)", errs[0])
	}
	claimOne(t, s, claimReq(time.Second), id2)
	if q := stats(t, s, ch, dest); q.Pending != 1 || q.Sent != 0 {
		t.Errorf("stats %+v: want 1 pending, none sent", q)
	}
}

// testHeldGroups: entries held in a group step out of the lane, come back from Held with
// their content and tokens, and are then recorded.
func testHeldGroups(t *testing.T, s store.Store) {
	id1 := receiveOne(t, s, msg("H1", 0, dest))
	id2 := receiveOne(t, s, msg("H2", time.Second, dest))
	id3 := receiveOne(t, s, msg("H3", 2*time.Second, dest))
	req := claimReq(0)
	req.Max = 2
	res := claim(t, s, req)
	if got := messageIDs(res.Entries); !slices.Equal(got, []int64{id1, id2}) {
		t.Fatalf("claim = %v, want [%d %d]", got, id1, id2)
	}
	for _, e := range res.Entries {
		recordOK(t, s, store.Outcome{EntryID: e.ID, Token: e.Token, Kind: store.OutcomeHeld, Group: "batch-0001"})
	}
	claimOne(t, s, claimReq(time.Second), id3)

	held, err := s.Held(ctx, ch, dest, "batch-0001")
	if err != nil {
		t.Fatalf("Held: %v", err)
	}
	if got := entryIDs(held); !slices.Equal(got, entryIDs(res.Entries)) {
		t.Fatalf("Held = %v, want %v", got, entryIDs(res.Entries))
	}
	for i, h := range held {
		if h.State != store.EntryHeld || h.Group != "batch-0001" || h.Token != res.Entries[i].Token ||
			!bytes.Equal(h.Content, res.Entries[i].Content) {
			t.Errorf("held entry %+v: want HELD in batch-0001 with the claim's token and content", h)
		}
	}
	if other, err := s.Held(ctx, ch, dest, "batch-0002"); err != nil || len(other) != 0 {
		t.Errorf("Held(other group) = %v, %v; want none", entryIDs(other), err)
	}
	if q := stats(t, s, ch, dest); q.Held != 2 {
		t.Errorf("stats %+v: want 2 held", q)
	}
	if groups, err := s.HeldGroups(ctx, ch, dest); err != nil || len(groups) != 1 || groups["batch-0001"] != 2 {
		t.Errorf("HeldGroups = %v, %v; want batch-0001: 2", groups, err)
	}
	if groups, err := s.HeldGroups(ctx, ch, "elsewhere"); err != nil || len(groups) != 0 {
		t.Errorf("HeldGroups(another destination) = %v, %v; want none", groups, err)
	}
	for _, h := range held {
		recordOK(t, s, sent(h, time.Minute))
	}
	if held, _ := s.Held(ctx, ch, dest, "batch-0001"); len(held) != 0 {
		t.Errorf("Held after delivery = %v, want none", entryIDs(held))
	}
	if groups, err := s.HeldGroups(ctx, ch, dest); err != nil || len(groups) != 0 {
		t.Errorf("HeldGroups after delivery = %v, %v; want none", groups, err)
	}
	if m := message(t, s, id1); m.Status != store.StatusSent {
		t.Errorf("status %s, want SENT", m.Status)
	}
}

// testMessageStatusDerived: a message's status follows its entries.
func testMessageStatusDerived(t *testing.T, s store.Store) {
	id := receiveOne(t, s, msg("DS1", 0, dest, "lab"))
	labReq := claimReq(0)
	labReq.Destination = "lab"
	steps := []struct {
		do   func()
		want store.MessageStatus
	}{
		{func() {}, store.StatusQueued},
		{func() { recordOK(t, s, sent(claimOne(t, s, claimReq(0), id), 0)) }, store.StatusQueued},
		{func() { recordOK(t, s, failed(claimOne(t, s, labReq, id), 0, true)) }, store.StatusError},
		{func() {
			if err := s.Skip(ctx, entryOf(t, s, id, "lab").ID, "dave"); err != nil {
				t.Fatalf("Skip: %v", err)
			}
		}, store.StatusSent},
	}
	for i, st := range steps {
		st.do()
		if got := message(t, s, id).Status; got != st.want {
			t.Fatalf("step %d: status %s, want %s", i, got, st.want)
		}
		if ms, err := s.Messages(ctx, store.Query{Status: st.want}); err != nil || len(ms) != 1 || ms[0].ID != id {
			t.Fatalf("step %d: Messages(status %s) = %d messages, %v; want [%d]", i, st.want, len(ms), err, id)
		}
	}

	all := msg("DS2", time.Second, dest)
	all.Entries[0].State = store.EntryFiltered
	if got := message(t, s, receiveOne(t, s, all)).Status; got != store.StatusSent {
		t.Errorf("message whose only entry was filtered: status %s, want SENT", got)
	}
}

// testAttemptsAndEvents: attempts keep times, response and error; events tell the story.
func testAttemptsAndEvents(t *testing.T, s store.Store) {
	id := receiveOne(t, s, msg("AE1", 0, dest))
	e := claimOne(t, s, claimReq(0), id)
	recordOK(t, s, retry(e, time.Second, time.Minute))
	e = claimOne(t, s, claimReq(time.Minute), id)
	out := sent(e, time.Minute)
	out.Sent = []byte("MSH|^~\\&|COURIER|NORTH|EHR|NORTH|20260102030405||ADT^A01|AE1|P|2.3\r")
	recordOK(t, s, out)

	m := message(t, s, id)
	if len(m.Attempts) != 2 {
		t.Fatalf("%d attempts, want 2", len(m.Attempts))
	}
	a1, a2 := m.Attempts[0], m.Attempts[1]
	if a1.EntryID != e.ID || a1.Number != 1 || a1.Outcome != "RETRY" || a1.Error != "connection refused" ||
		!a1.Started.Equal(at(time.Second)) || !a1.Finished.Equal(at(time.Second+time.Millisecond)) {
		t.Errorf("attempt 1 = %+v", a1)
	}
	if a2.Number != 2 || a2.Outcome != "SENT" || a2.ResponseCode != "AA" || string(a2.Response) != "MSA|AA|AE1" {
		t.Errorf("attempt 2 = %+v", a2)
	}
	ent := m.Entries[0]
	if ent.State != store.EntrySent || ent.Attempts != 2 || !bytes.Equal(ent.Sent, out.Sent) {
		t.Errorf("entry = %+v (sent %q), want SENT after 2 attempts with the bytes sent", ent, ent.Sent)
	}
	for _, kind := range []string{"received", "attempt", "sent"} {
		if !hasEvent(m, kind, "", 0) {
			t.Errorf("events %v: want %s", eventKinds(m), kind)
		}
	}
	if !hasEvent(m, "sent", "", e.ID) {
		t.Errorf("the sent event does not name entry %d", e.ID)
	}
	for i := 1; i < len(m.Events); i++ {
		if m.Events[i].ID <= m.Events[i-1].ID || m.Events[i].Time.Before(m.Events[i-1].Time) {
			t.Errorf("events out of order: %+v before %+v", m.Events[i-1], m.Events[i])
		}
	}
}
