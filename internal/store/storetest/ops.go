package storetest

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/store"
)

// entryIn makes a message with one entry, on a destination of its own, in the given state.
func entryIn(t *testing.T, s store.Store, state store.EntryState, n int) *store.Entry {
	t.Helper()
	d := fmt.Sprintf("dest-%s-%d", state, n)
	m := msg(fmt.Sprintf("ST%d-%s", n, state), 0, d)
	if state == store.EntryFiltered {
		m.Entries[0].State = store.EntryFiltered
	}
	id := receiveOne(t, s, m)
	req := claimReq(0)
	req.Destination = d
	switch state {
	case store.EntrySending:
		claimOne(t, s, req, id)
	case store.EntryHeld:
		e := claimOne(t, s, req, id)
		recordOK(t, s, store.Outcome{EntryID: e.ID, Token: e.Token, Kind: store.OutcomeHeld, Group: "g"})
	case store.EntryError:
		recordOK(t, s, failed(claimOne(t, s, req, id), 0, false))
	case store.EntrySent:
		recordOK(t, s, sent(claimOne(t, s, req, id), 0))
	case store.EntrySkipped:
		if err := s.Skip(ctx, entryOf(t, s, id, d).ID, "setup"); err != nil {
			t.Fatalf("Skip: %v", err)
		}
	}
	e := entryOf(t, s, id, d)
	if e.State != state {
		t.Fatalf("setup: entry in state %s, want %s", e.State, state)
	}
	return e
}

// testRetrySkipRules: which states an operator may retry or skip, what it changes, and the
// event it leaves.
func testRetrySkipRules(t *testing.T, s store.Store) {
	for i, c := range []struct {
		state     store.EntryState
		retry     error
		skip      error
		afterSkip store.EntryState
	}{
		{store.EntryPending, nil, nil, store.EntrySkipped},
		{store.EntrySending, store.ErrInvalidState, store.ErrInvalidState, store.EntrySending},
		{store.EntryHeld, store.ErrInvalidState, nil, store.EntrySkipped},
		{store.EntryError, nil, nil, store.EntrySkipped},
		{store.EntrySent, store.ErrInvalidState, store.ErrInvalidState, store.EntrySent},
		{store.EntrySkipped, store.ErrInvalidState, store.ErrInvalidState, store.EntrySkipped},
		{store.EntryFiltered, store.ErrInvalidState, store.ErrInvalidState, store.EntryFiltered},
	} {
		e := entryIn(t, s, c.state, 2*i)
		err := s.Retry(ctx, e.ID, "alice")
		wantErr(t, fmt.Sprintf("Retry(%s)", c.state), err, c.retry)
		after := entryOf(t, s, e.MessageID, e.Destination)
		m := message(t, s, e.MessageID)
		if c.retry == nil {
			if after.State != store.EntryPending || !after.NextAttemptAt.IsZero() || !hasEvent(m, "retried", "alice", e.ID) {
				t.Errorf("Retry(%s): entry %+v, events %v; want PENDING, due now, a retried event by alice", c.state, after, eventKinds(m))
			}
		} else if after.State != c.state || hasEvent(m, "retried", "", 0) {
			t.Errorf("refused Retry(%s) changed the entry to %s or left an event", c.state, after.State)
		}

		e = entryIn(t, s, c.state, 2*i+1)
		err = s.Skip(ctx, e.ID, "bob")
		wantErr(t, fmt.Sprintf("Skip(%s)", c.state), err, c.skip)
		after = entryOf(t, s, e.MessageID, e.Destination)
		m = message(t, s, e.MessageID)
		if after.State != c.afterSkip {
			t.Errorf("Skip(%s): entry state %s, want %s", c.state, after.State, c.afterSkip)
		}
		if (c.skip == nil) != hasEvent(m, "skipped", "bob", e.ID) {
			t.Errorf("Skip(%s): events %v", c.state, eventKinds(m))
		}
	}
	wantErr(t, "Retry(unknown)", s.Retry(ctx, 1<<40, "alice"), store.ErrNotFound)
	wantErr(t, "Skip(unknown)", s.Skip(ctx, 1<<40, "alice"), store.ErrNotFound)
}

// testAddEvent: events from outside the store join the message's history.
func testAddEvent(t *testing.T, s store.Store) {
	id := receiveOne(t, s, msg("EV1", 0, dest))
	ev := store.Event{MessageID: id, Time: at(time.Hour), Kind: "viewed", Actor: "erin", Detail: "opened in the dashboard"}
	if err := s.AddEvent(ctx, ev); err != nil {
		t.Fatalf("AddEvent: %v", err)
	}
	m := message(t, s, id)
	last := m.Events[len(m.Events)-1]
	if last.Kind != ev.Kind || last.Actor != ev.Actor || last.Detail != ev.Detail || !last.Time.Equal(ev.Time) ||
		last.MessageID != id || last.EntryID != 0 || last.ID == 0 {
		t.Errorf("last event %+v, want %+v", last, ev)
	}
	ev.MessageID = id + 1000
	wantErr(t, "AddEvent(unknown message)", s.AddEvent(ctx, ev), store.ErrNotFound)
}

// testMessagesQuery: every filter of Query, paging, newest first.
func testMessagesQuery(t *testing.T, s store.Store) {
	mk := func(channel, typ, trigger, control, patient string, offset time.Duration, status store.MessageStatus) int64 {
		m := msg(control, offset)
		m.Channel, m.Meta.Type, m.Meta.Trigger, m.Meta.PatientID, m.Status = channel, typ, trigger, patient, status
		m.DedupeKey = ""
		if status == store.StatusError {
			m.Error = "parse error"
		}
		return receiveOne(t, s, m)
	}
	id1 := mk("A", "ADT", "A01", "Q1", "P1", 0, store.StatusReceived)
	id2 := mk("A", "ADT", "A04", "Q2", "P2", time.Hour, store.StatusReceived)
	id3 := mk("B", "ORU", "R01", "Q3", "P1", 2*time.Hour, store.StatusError)
	id4 := mk("A", "ADT", "A01", "Q4", "P3", 3*time.Hour, store.StatusFiltered)
	id5 := mk("B", "ADT", "A01", "Q1", "P2", 4*time.Hour, store.StatusReceived)
	for _, c := range []struct {
		name string
		q    store.Query
		want []int64
	}{
		{"all", store.Query{}, []int64{id5, id4, id3, id2, id1}},
		{"channel", store.Query{Channel: "A"}, []int64{id4, id2, id1}},
		{"status", store.Query{Status: store.StatusError}, []int64{id3}},
		{"type", store.Query{Type: "ADT"}, []int64{id5, id4, id2, id1}},
		{"type and trigger", store.Query{Type: "ADT", Trigger: "A01"}, []int64{id5, id4, id1}},
		{"control ID", store.Query{ControlID: "Q1"}, []int64{id5, id1}},
		{"patient ID", store.Query{PatientID: "P1"}, []int64{id3, id1}},
		{"time range", store.Query{From: at(time.Hour), To: at(3 * time.Hour)}, []int64{id3, id2}},
		{"from", store.Query{From: at(3 * time.Hour)}, []int64{id5, id4}},
		{"to", store.Query{To: at(time.Hour)}, []int64{id1}},
		{"combined", store.Query{Channel: "A", Type: "ADT", PatientID: "P3"}, []int64{id4}},
		{"before ID", store.Query{BeforeID: id4}, []int64{id3, id2, id1}},
		{"limit", store.Query{Limit: 2}, []int64{id5, id4}},
		{"page", store.Query{Limit: 2, BeforeID: id4}, []int64{id3, id2}},
		{"no match", store.Query{ControlID: "nope"}, []int64{}},
	} {
		ms, err := s.Messages(ctx, c.q)
		if err != nil {
			t.Fatalf("%s: Messages: %v", c.name, err)
		}
		got := []int64{}
		for _, m := range ms {
			got = append(got, m.ID)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: Messages(%+v) = %v, want %v", c.name, c.q, got, c.want)
		}
	}
}

// testEntries: a destination's entries by state, in queue order.
func testEntries(t *testing.T, s store.Store) {
	var es []*store.Entry
	for i := range 4 {
		id := receiveOne(t, s, msg(fmt.Sprintf("EN%d", i), time.Duration(i)*time.Second, dest))
		es = append(es, entryOf(t, s, id, dest))
	}
	recordOK(t, s, sent(claimOne(t, s, claimReq(0), es[0].MessageID), 0))
	recordOK(t, s, failed(claimOne(t, s, claimReq(0), es[1].MessageID), 0, true))
	ids := entryIDs(es)
	for _, c := range []struct {
		states []store.EntryState
		limit  int
		want   []int64
	}{
		{nil, 0, ids},
		{[]store.EntryState{store.EntryPending}, 0, ids[2:]},
		{[]store.EntryState{store.EntryPending, store.EntryError}, 0, ids[1:]},
		{[]store.EntryState{store.EntrySent, store.EntryPending}, 2, []int64{ids[0], ids[2]}},
		{nil, 2, ids[:2]},
		{[]store.EntryState{store.EntryHeld}, 0, []int64{}},
	} {
		got, err := s.Entries(ctx, ch, dest, c.states, c.limit)
		if err != nil {
			t.Fatalf("Entries(%v, %d): %v", c.states, c.limit, err)
		}
		if !slices.Equal(entryIDs(got), c.want) {
			t.Errorf("Entries(%v, %d) = %v, want %v", c.states, c.limit, entryIDs(got), c.want)
		}
		for _, e := range got {
			if e.Content != nil {
				t.Errorf("Entries returned content for entry %d", e.ID)
			}
		}
	}
	if got, err := s.Entries(ctx, ch, "nowhere", nil, 0); err != nil || len(got) != 0 {
		t.Errorf("Entries(unknown destination) = %v, %v; want none", entryIDs(got), err)
	}
}

// testStats: counts per destination, the oldest waiting entry, the blocking head.
func testStats(t *testing.T, s store.Store) {
	if all, err := s.Stats(ctx); err != nil || len(all) != 0 {
		t.Fatalf("Stats of an empty store = %+v, %v; want none", all, err)
	}
	var ids []int64
	for i := range 4 {
		ids = append(ids, receiveOne(t, s, msg(fmt.Sprintf("SS%d", i), time.Duration(i)*time.Minute, dest, "lab")))
	}
	recordOK(t, s, sent(claimOne(t, s, claimReq(0), ids[0]), 0))
	e := claimOne(t, s, claimReq(0), ids[1])
	recordOK(t, s, failed(e, 0, false))
	labReq := claimReq(0)
	labReq.Destination = "lab"
	claimOne(t, s, labReq, ids[0])

	q := stats(t, s, ch, dest)
	if q.Sent != 1 || q.Errors != 1 || q.Pending != 2 || q.Held != 0 || !q.Oldest.Equal(at(time.Minute)) || entryID(q.BlockedBy) != e.ID {
		t.Errorf("ehr stats %+v (blocked by %d): want 1 sent, 1 error, 2 pending, oldest t0+1m, blocked by %d",
			q, entryID(q.BlockedBy), e.ID)
	}
	q = stats(t, s, ch, "lab")
	if q.Pending != 4 || q.Sent != 0 || q.Errors != 0 || !q.Oldest.Equal(at(0)) || q.BlockedBy != nil {
		t.Errorf("lab stats %+v: want 4 pending (one leased), oldest t0, not blocked", q)
	}
}

// testMessagesByReceivedControlID: the parts of a split, stored under their own control IDs,
// are found by the one the sender gave too.
func testMessagesByReceivedControlID(t *testing.T, s store.Store) {
	var parts []int64
	for i, part := range []string{"RC1-1", "RC1-2"} {
		m := msg(part, time.Duration(i)*time.Second, dest)
		m.ReceivedControlID = "RC1"
		m.DedupeKey += fmt.Sprintf("\x1fpart %d", i+1)
		parts = append(parts, receiveOne(t, s, m))
	}
	plain := msg("RC2", 2*time.Second, dest)
	plain.ReceivedControlID = "RC2" // the same as stored: nothing to keep
	other := receiveOne(t, s, plain)
	for _, c := range []struct {
		id   string
		want []int64
	}{
		{"RC1", []int64{parts[1], parts[0]}},
		{"RC1-2", []int64{parts[1]}},
		{"RC2", []int64{other}},
		{"", []int64{other, parts[1], parts[0]}},
	} {
		if got := allMessageIDs(t, s, store.Query{ControlID: c.id}); !slices.Equal(got, c.want) {
			t.Errorf("Messages(control ID %q) = %v, want %v", c.id, got, c.want)
		}
	}
	if m := message(t, s, parts[0]); m.Meta.ControlID != "RC1-1" || m.ReceivedControlID != "RC1" {
		t.Errorf("part: control ID %q received as %q, want RC1-1 received as RC1", m.Meta.ControlID, m.ReceivedControlID)
	}
	if m := message(t, s, other); m.ReceivedControlID != "" {
		t.Errorf("message stored under its own control ID: received as %q, want empty", m.ReceivedControlID)
	}
}

// testStatsOldestSkipsMovedOn: a message that gave up and let its queue move on counts as an
// error, not as the oldest waiting: it would age the queue for ever.
func testStatsOldestSkipsMovedOn(t *testing.T, s store.Store) {
	id := receiveOne(t, s, msg("MO1", 0, dest))
	receiveOne(t, s, msg("MO2", time.Minute, dest))
	recordOK(t, s, failed(claimOne(t, s, claimReq(0), id), 0, true))
	q := stats(t, s, ch, dest)
	if q.Errors != 1 || q.Pending != 1 || !q.Oldest.Equal(at(time.Minute)) || q.BlockedBy != nil {
		t.Errorf("stats %+v (blocked by %d): want 1 error, 1 pending, oldest t0+1m, not blocked", q, entryID(q.BlockedBy))
	}
}

// testStatsBlockedWhileRetrying: a head entry that failed and is being tried again (SENDING,
// as it is for the whole of a slow connect) still blocks its queue; one on its first attempt
// does not.
func testStatsBlockedWhileRetrying(t *testing.T, s store.Store) {
	id := receiveOne(t, s, msg("BR1", 0, dest))
	receiveOne(t, s, msg("BR2", time.Second, dest))
	e := claimOne(t, s, claimReq(0), id)
	if q := stats(t, s, ch, dest); q.BlockedBy != nil {
		t.Errorf("first attempt in progress: blocked by %d, want not blocked", entryID(q.BlockedBy))
	}
	recordOK(t, s, retry(e, 0, time.Second))
	if q := stats(t, s, ch, dest); entryID(q.BlockedBy) != e.ID {
		t.Errorf("waiting to retry: blocked by %d, want %d", entryID(q.BlockedBy), e.ID)
	}
	e = claimOne(t, s, claimReq(2*time.Second), id)
	if q := stats(t, s, ch, dest); entryID(q.BlockedBy) != e.ID || q.BlockedBy.State != store.EntrySending || q.BlockedBy.LastError == "" {
		t.Errorf("retrying: blocked by %d (%+v), want %d, SENDING, with its last error", entryID(q.BlockedBy), q.BlockedBy, e.ID)
	}
	recordOK(t, s, sent(e, 2*time.Second))
	if q := stats(t, s, ch, dest); q.BlockedBy != nil {
		t.Errorf("delivered: blocked by %d, want not blocked", entryID(q.BlockedBy))
	}
}

// testPruneContent: content goes, metadata and history stay, only for messages that are done.
func testPruneContent(t *testing.T, s store.Store) {
	ids := pruneFixture(t, s)
	n, err := s.Prune(ctx, at(24*time.Hour), false, 100)
	if err != nil || n != 3 {
		t.Fatalf("Prune(content) = %d, %v; want 3", n, err)
	}
	m := message(t, s, ids.done)
	if !m.Pruned || m.Raw != nil || m.Processed != nil || m.Ack != nil {
		t.Errorf("pruned message: Pruned %v, Raw %q, Processed %q, Ack %q; want no content", m.Pruned, m.Raw, m.Processed, m.Ack)
	}
	if m.Meta.ControlID != "PR1" || m.Status != store.StatusSent || m.Size == 0 || len(m.SHA256) == 0 ||
		len(m.Entries) != 1 || len(m.Attempts) != 2 || len(m.Events) == 0 {
		t.Errorf("pruned message lost metadata or history: %+v", m)
	}
	if len(m.Entries) == 1 && m.Entries[0].Sent != nil {
		t.Errorf("pruned entry kept the bytes sent: %q", m.Entries[0].Sent)
	}
	if len(m.Attempts) == 2 {
		// Error texts quote content: they go with it; that the attempt failed stays.
		if a := m.Attempts[0]; a.Error != store.PrunedError || a.Outcome != "RETRY" {
			t.Errorf("pruned failed attempt: outcome %s, error %q; want %s, %q", a.Outcome, a.Error, "RETRY", store.PrunedError)
		}
		if a := m.Attempts[1]; a.Response != nil || a.ResponseCode != "AA" || a.Error != "" {
			t.Errorf("pruned attempt %+v: want the response gone, its code kept, no error text", a)
		}
	}
	for _, ev := range m.Events {
		if strings.Contains(ev.Detail, "connection refused") {
			t.Errorf("pruned message's %s event keeps the error text in its detail: %q", ev.Kind, ev.Detail)
		}
	}
	r := message(t, s, ids.rejected)
	if !r.Pruned || r.Raw != nil || r.Status != store.StatusError || r.Error != store.PrunedError {
		t.Errorf("pruned rejected message: Pruned %v, Raw %q, status %v, error %q; want pruned, %v, %q",
			r.Pruned, r.Raw, r.Status, r.Error, store.StatusError, store.PrunedError)
	}
	if m := message(t, s, ids.filtered); !m.Pruned || m.Raw != nil {
		t.Errorf("filtered message not pruned: %+v", m)
	}
	for _, id := range []int64{ids.queued, ids.recent} {
		if m := message(t, s, id); m.Pruned || m.Raw == nil {
			t.Errorf("message %d pruned; it is still queued or recent", id)
		}
	}
	if got := allMessageIDs(t, s, store.Query{PatientID: "MRN-PR1"}); !slices.Equal(got, []int64{ids.done}) {
		t.Errorf("search by patient after pruning = %v, want [%d]", got, ids.done)
	}
	if n, err := s.Prune(ctx, at(24*time.Hour), false, 100); err != nil || n != 0 {
		t.Errorf("second Prune(content) = %d, %v; want 0", n, err)
	}
	// A resend of a pruned message is still a duplicate; there is no ACK left to replay.
	rc := receive(t, s, time.Hour, msg("PR1", time.Minute, dest))[0]
	if !rc.Duplicate || rc.ID != ids.done || rc.Ack != nil {
		t.Errorf("resend of a pruned message: receipt %+v, want Duplicate of %d without an ACK", rc, ids.done)
	}
}

// testPruneAll: whole messages go, with their entries, attempts and events.
func testPruneAll(t *testing.T, s store.Store) {
	ids := pruneFixture(t, s)
	before := stats(t, s, ch, dest)
	n, err := s.Prune(ctx, at(24*time.Hour), true, 100)
	if err != nil || n != 3 {
		t.Fatalf("Prune(all) = %d, %v; want 3", n, err)
	}
	for _, id := range []int64{ids.done, ids.filtered, ids.rejected} {
		if _, err := s.Message(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Message(%d) after Prune(all): %v, want ErrNotFound", id, err)
		}
	}
	for _, id := range []int64{ids.queued, ids.recent} {
		if m := message(t, s, id); m.Raw == nil {
			t.Errorf("message %d lost its content", id)
		}
	}
	if got := allMessageIDs(t, s, store.Query{}); !slices.Equal(got, []int64{ids.recent, ids.queued}) {
		t.Errorf("messages after Prune(all) = %v, want [%d %d]", got, ids.recent, ids.queued)
	}
	if after := stats(t, s, ch, dest); after.Sent != before.Sent-1 {
		t.Errorf("sent count %d after deleting one sent entry, was %d", after.Sent, before.Sent)
	}
}

type pruneIDs struct{ done, queued, filtered, rejected, recent int64 }

// pruneFixture stores: a message delivered at its second attempt, a filtered one and a
// rejected one received long ago, a queued one as old, and a delivered recent one.
func pruneFixture(t *testing.T, s store.Store) pruneIDs {
	var ids pruneIDs
	done := msg("PR1", 0, dest)
	done.Processed = []byte("processed PR1")
	ids.done = receiveOne(t, s, done)
	recordOK(t, s, retry(claimOne(t, s, claimReq(0), ids.done), 0, 0))
	e := claimOne(t, s, claimReq(0), ids.done)
	o := sent(e, 0)
	o.Sent = []byte("sent PR1")
	recordOK(t, s, o)
	ids.queued = receiveOne(t, s, msg("PR2", time.Minute, "lab"))
	filtered := msg("PR3", 2*time.Minute)
	filtered.Status = store.StatusFiltered
	ids.filtered = receiveOne(t, s, filtered)
	rejected := msg("PR5", 3*time.Minute)
	rejected.Status, rejected.Error = store.StatusError, `PID-7: "19800230" is not a valid date`
	ids.rejected = receiveOne(t, s, rejected)
	ids.recent = receiveOne(t, s, msg("PR4", 10*24*time.Hour, dest))
	recordOK(t, s, sent(claimOne(t, s, claimReq(10*24*time.Hour), ids.recent), 10*24*time.Hour))
	return ids
}

// testPruneBatches: Prune stops at its batch; repeated calls finish the work.
func testPruneBatches(t *testing.T, s store.Store) {
	for i := range 5 {
		receiveOne(t, s, msg(fmt.Sprintf("PB%d", i), time.Duration(i)*time.Second))
	}
	for _, all := range []bool{false, true} {
		var got []int
		for range 10 {
			n, err := s.Prune(ctx, at(time.Hour), all, 2)
			if err != nil {
				t.Fatalf("Prune(all=%v): %v", all, err)
			}
			got = append(got, n)
			if n == 0 {
				break
			}
		}
		if !slices.Equal(got, []int{2, 2, 1, 0}) {
			t.Errorf("Prune(all=%v, batch 2) counts = %v, want [2 2 1 0]", all, got)
		}
	}
}

// testChannelState: the per-channel key/value store.
func testChannelState(t *testing.T, s store.Store) {
	get := func(channel, key string) ([]byte, bool) {
		t.Helper()
		v, ok, err := s.StateGet(ctx, channel, key)
		if err != nil {
			t.Fatalf("StateGet(%s, %s): %v", channel, key, err)
		}
		return v, ok
	}
	set := func(channel, key string, v []byte) {
		t.Helper()
		if err := s.StateSet(ctx, channel, key, v); err != nil {
			t.Fatalf("StateSet(%s, %s): %v", channel, key, err)
		}
	}
	if v, ok := get(ch, "last"); ok || v != nil {
		t.Fatalf("missing key = %q, %v; want nil, false", v, ok)
	}
	set(ch, "last", []byte("MRN-1"))
	set(ch, "last", []byte("MRN-2"))
	set("other", "last", []byte("X"))
	set(ch, "empty", []byte{})
	for _, c := range []struct {
		channel, key string
		want         []byte
		ok           bool
	}{
		{ch, "last", []byte("MRN-2"), true},
		{"other", "last", []byte("X"), true},
		{ch, "empty", []byte{}, true},
		{ch, "none", nil, false},
	} {
		if v, ok := get(c.channel, c.key); ok != c.ok || !bytes.Equal(v, c.want) {
			t.Errorf("StateGet(%s, %s) = %q, %v; want %q, %v", c.channel, c.key, v, ok, c.want, c.ok)
		}
	}
	set(ch, "last", nil)
	if _, ok := get(ch, "last"); ok {
		t.Errorf("key still present after StateSet(nil)")
	}
	if _, ok := get("other", "last"); !ok {
		t.Errorf("deleting a key of one channel deleted another channel's")
	}
}

// testClose: every method fails with ErrClosed after Close; Close again is harmless.
func testClose(t *testing.T, s store.Store) {
	id := receiveOne(t, s, msg("CL1", 0, dest))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	for _, c := range []struct {
		name string
		err  error
	}{
		{"Receive", func() error {
			_, err := s.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{msg("CL2", 0, dest)}})
			return err
		}()},
		{"FileSeen", func() error { _, err := s.FileSeen(ctx, ch, "k"); return err }()},
		{"Claim", func() error { _, err := s.Claim(ctx, claimReq(0)); return err }()},
		{"Record", func() error {
			_, err := s.Record(ctx, []store.Outcome{{EntryID: 1, Token: 1, Kind: store.OutcomeSent}})
			return err
		}()},
		{"Held", func() error { _, err := s.Held(ctx, ch, dest, "g"); return err }()},
		{"ReleaseOwner", func() error { _, err := s.ReleaseOwner(ctx, owner); return err }()},
		{"Retry", s.Retry(ctx, 1, "alice")},
		{"Skip", s.Skip(ctx, 1, "alice")},
		{"AddEvent", s.AddEvent(ctx, store.Event{MessageID: id, Kind: "viewed", Actor: "alice"})},
		{"Message", func() error { _, err := s.Message(ctx, id); return err }()},
		{"Messages", func() error { _, err := s.Messages(ctx, store.Query{}); return err }()},
		{"Entries", func() error { _, err := s.Entries(ctx, ch, dest, nil, 0); return err }()},
		{"Stats", func() error { _, err := s.Stats(ctx); return err }()},
		{"StateGet", func() error { _, _, err := s.StateGet(ctx, ch, "k"); return err }()},
		{"StateSet", s.StateSet(ctx, ch, "k", []byte("v"))},
		{"Prune", func() error { _, err := s.Prune(ctx, at(time.Hour), true, 10); return err }()},
	} {
		if !errors.Is(c.err, store.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", c.name, c.err)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}
