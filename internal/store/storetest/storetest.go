// Package storetest is the conformance suite of store.Store: every implementation (SQLite,
// PostgreSQL) runs it from its own tests and must pass all of it.
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "courier.db"), sqlite.Options{})
//			...
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// The suite uses the store through its interface only. It never relies on the wall clock:
// receive times, claim times and attempt times are set from a fixed base time, so that
// leases, backoff and duplicate windows are tested exactly.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/store"
)

// Run runs every conformance test against stores made by open, one fresh store per test.
// open must return an empty store and arrange for it to be closed when the test ends;
// closing a store twice must be harmless.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// tests are the conformance tests, by area.
var tests = []struct {
	name string
	fn   func(t *testing.T, s store.Store)
}{
	// Receiving.
	{"ReceiveRoundTrip", testReceiveRoundTrip},
	{"ReceiveStatuses", testReceiveStatuses},
	{"ReceiveInvalidStoresNothing", testReceiveInvalid},
	{"DedupeWindow", testDedupeWindow},
	{"DedupeWithinOneRequest", testDedupeWithinOneRequest},
	{"DedupeConcurrent", testDedupeConcurrent},
	{"SameContent", testSameContent},
	{"FileMarks", testFileMarks},
	{"Reprocessed", testReprocessed},
	// Queues.
	{"StrictFIFOFailingHead", testStrictFIFOFailingHead},
	{"MoveOn", testMoveOn},
	{"KeyedLanes", testKeyedLanes},
	{"StrictClaimMax", testStrictClaimMax},
	{"LeaseExpiry", testLeaseExpiry},
	{"RecordAfterExpiryNotReclaimed", testRecordAfterExpiry},
	{"RecordUnknownEntry", testRecordUnknownEntry},
	{"ReleaseOwner", testReleaseOwner},
	{"ReleaseOutcome", testReleaseOutcome},
	{"FilteredOutcome", testFilteredOutcome},
	{"HeldGroups", testHeldGroups},
	{"MessageStatusDerived", testMessageStatusDerived},
	{"AttemptsAndEvents", testAttemptsAndEvents},
	{"ConcurrentClaimsKeyed", testConcurrentClaimsKeyed},
	{"ConcurrentClaimsStrict", testConcurrentClaimsStrict},
	// Operators.
	{"RetrySkipRules", testRetrySkipRules},
	{"RetryMovedOnEntryWaitsForLane", testRetryMovedOn},
	{"AddEvent", testAddEvent},
	// Reading.
	{"MessagesQuery", testMessagesQuery},
	{"Entries", testEntries},
	{"Stats", testStats},
	{"StatsBlockedWhileRetrying", testStatsBlockedWhileRetrying},
	{"StatsOldestSkipsMovedOn", testStatsOldestSkipsMovedOn},
	{"MessagesByReceivedControlID", testMessagesByReceivedControlID},
	// Retention, state, lifecycle.
	{"PruneContent", testPruneContent},
	{"PruneAll", testPruneAll},
	{"PruneBatches", testPruneBatches},
	{"ChannelState", testChannelState},
	{"Close", testClose},
}

// t0 is the suite's base time: every time the suite passes to the store is t0 plus an offset.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

const (
	ch    = "adt-in"
	dest  = "ehr"
	owner = "node1/ehr"
	lease = 30 * time.Second
)

var ctx = context.Background()

// hl7 builds a synthetic ADT message. The names and numbers are made up.
func hl7(control, patient string) []byte {
	return fmt.Appendf(nil, "MSH|^~\\&|LAB|NORTH|EHR|NORTH|20260102030405||ADT^A01^ADT_A01|%s|P|2.5\r"+
		"PID|1||%s^^^NORTH^MR||TESTPATIENT^ALPHA\r", control, patient)
}

// msg builds a NewMessage on ch received at t0+offset, queued for dests (PENDING, strict).
func msg(control string, offset time.Duration, dests ...string) *store.NewMessage {
	m := &store.NewMessage{
		Channel:    ch,
		ReceivedAt: at(offset),
		Remote:     "127.0.0.1:40000",
		Raw:        hl7(control, "MRN-"+control),
		Meta: store.Meta{Type: "ADT", Trigger: "A01", Structure: "ADT_A01", ControlID: control, Version: "2.5",
			SendingApp: "LAB", SendingFacility: "NORTH", PatientID: "MRN-" + control},
		Ack:       []byte("MSA|AA|" + control),
		DedupeKey: ch + "|LAB|NORTH|" + control,
		Status:    store.StatusQueued,
	}
	for _, d := range dests {
		m.Entries = append(m.Entries, store.NewEntry{Destination: d, State: store.EntryPending})
	}
	if len(dests) == 0 {
		m.Status = store.StatusReceived
	}
	return m
}

// keyed sets the order key of every entry of m.
func keyed(m *store.NewMessage, key string) *store.NewMessage {
	for i := range m.Entries {
		m.Entries[i].OrderKey = key
	}
	return m
}

// receive stores msgs in one request and fails the test on error.
func receive(t *testing.T, s store.Store, window time.Duration, msgs ...*store.NewMessage) []store.Receipt {
	t.Helper()
	rs, err := s.Receive(ctx, &store.ReceiveRequest{Messages: msgs, DedupeWindow: window})
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if len(rs) != len(msgs) {
		t.Fatalf("Receive returned %d receipts for %d messages", len(rs), len(msgs))
	}
	return rs
}

// receiveOne stores one message and returns its ID.
func receiveOne(t *testing.T, s store.Store, m *store.NewMessage) int64 {
	t.Helper()
	rc := receive(t, s, 0, m)[0]
	if rc.ID <= 0 || rc.Duplicate {
		t.Fatalf("Receive %s: receipt %+v, want a new message", m.Meta.ControlID, rc)
	}
	return rc.ID
}

// claimReq is a strict claim of one entry of dest by owner at t0+offset.
func claimReq(offset time.Duration) store.ClaimRequest {
	return store.ClaimRequest{Channel: ch, Destination: dest, Owner: owner, Lease: lease, Max: 1, Now: at(offset)}
}

func claim(t *testing.T, s store.Store, req store.ClaimRequest) store.ClaimResult {
	t.Helper()
	res, err := s.Claim(ctx, req)
	if err != nil {
		t.Fatalf("Claim(%s/%s by %s at %s): %v", req.Channel, req.Destination, req.Owner, req.Now.Sub(t0), err)
	}
	return res
}

// claimIDs claims and returns the message IDs of the claimed entries, in order.
func claimIDs(t *testing.T, s store.Store, req store.ClaimRequest) []int64 {
	t.Helper()
	return messageIDs(claim(t, s, req).Entries)
}

// claimOne claims and expects exactly the entry of message want.
func claimOne(t *testing.T, s store.Store, req store.ClaimRequest, want int64) *store.Entry {
	t.Helper()
	res := claim(t, s, req)
	if got := messageIDs(res.Entries); !slices.Equal(got, []int64{want}) {
		t.Fatalf("Claim at %s: got messages %v, want [%d] (NextDue %v, BlockedBy %v)",
			req.Now.Sub(t0), got, want, res.NextDue, entryID(res.BlockedBy))
	}
	return res.Entries[0]
}

func messageIDs(es []*store.Entry) []int64 {
	out := []int64{}
	for _, e := range es {
		out = append(out, e.MessageID)
	}
	return out
}

func entryIDs(es []*store.Entry) []int64 {
	out := []int64{}
	for _, e := range es {
		out = append(out, e.ID)
	}
	return out
}

// entryID returns e's ID, or 0 for nil.
func entryID(e *store.Entry) int64 {
	if e == nil {
		return 0
	}
	return e.ID
}

// record records outcomes and returns the per-outcome errors.
func record(t *testing.T, s store.Store, outcomes ...store.Outcome) []error {
	t.Helper()
	errs, err := s.Record(ctx, outcomes)
	if err != nil {
		t.Fatalf("Record: %v", err)
	}
	if len(errs) != len(outcomes) {
		t.Fatalf("Record returned %d errors for %d outcomes", len(errs), len(outcomes))
	}
	return errs
}

// recordOK records one outcome and expects it to be accepted.
func recordOK(t *testing.T, s store.Store, o store.Outcome) {
	t.Helper()
	if errs := record(t, s, o); errs[0] != nil {
		t.Fatalf("Record entry %d kind %d: %v", o.EntryID, o.Kind, errs[0])
	}
}

// sent, retry and failed build outcomes for a claimed entry at t0+offset.
func sent(e *store.Entry, offset time.Duration) store.Outcome {
	return store.Outcome{EntryID: e.ID, Token: e.Token, Kind: store.OutcomeSent, Started: at(offset),
		Finished: at(offset + time.Millisecond), ResponseCode: "AA", Response: []byte("MSA|AA|" + e.Meta.ControlID)}
}

func retry(e *store.Entry, offset, next time.Duration) store.Outcome {
	return store.Outcome{EntryID: e.ID, Token: e.Token, Kind: store.OutcomeRetry, Started: at(offset),
		Finished: at(offset + time.Millisecond), Error: "connection refused", NextAttemptAt: at(next)}
}

func failed(e *store.Entry, offset time.Duration, moveOn bool) store.Outcome {
	return store.Outcome{EntryID: e.ID, Token: e.Token, Kind: store.OutcomeFailed, Started: at(offset),
		Finished: at(offset + time.Millisecond), ResponseCode: "AE", Error: "rejected: unknown patient", MoveOn: moveOn}
}

func message(t *testing.T, s store.Store, id int64) *store.Message {
	t.Helper()
	m, err := s.Message(ctx, id)
	if err != nil {
		t.Fatalf("Message(%d): %v", id, err)
	}
	return m
}

// entryOf returns message id's entry for destination d.
func entryOf(t *testing.T, s store.Store, id int64, d string) *store.Entry {
	t.Helper()
	for _, e := range message(t, s, id).Entries {
		if e.Destination == d {
			return e
		}
	}
	t.Fatalf("message %d has no entry for %s", id, d)
	return nil
}

// eventKinds lists the kinds of a message's events, in order.
func eventKinds(m *store.Message) []string {
	var out []string
	for _, ev := range m.Events {
		out = append(out, ev.Kind)
	}
	return out
}

// hasEvent reports whether m has an event of kind by actor ("" for any) on entry (0 for any).
func hasEvent(m *store.Message, kind, actor string, entry int64) bool {
	for _, ev := range m.Events {
		if ev.Kind == kind && (actor == "" || ev.Actor == actor) && (entry == 0 || ev.EntryID == entry) {
			return true
		}
	}
	return false
}

// countMessages counts every stored message, newest first, paging through Messages.
func allMessageIDs(t *testing.T, s store.Store, q store.Query) []int64 {
	t.Helper()
	out := []int64{}
	for range 1000 {
		ms, err := s.Messages(ctx, q)
		if err != nil {
			t.Fatalf("Messages(%+v): %v", q, err)
		}
		for _, m := range ms {
			out = append(out, m.ID)
		}
		if len(ms) == 0 || (q.Limit > 0 && len(ms) < q.Limit) || (q.Limit == 0 && len(ms) < 100) {
			return out
		}
		q.BeforeID = ms[len(ms)-1].ID
	}
	t.Fatal("Messages paging did not end")
	return nil
}

func stats(t *testing.T, s store.Store, channel, destination string) store.QueueStats {
	t.Helper()
	all, err := s.Stats(ctx)
	if err != nil {
		t.Fatalf("Stats: %v", err)
	}
	for _, q := range all {
		if q.Channel == channel && q.Destination == destination {
			return q
		}
	}
	return store.QueueStats{Channel: channel, Destination: destination}
}

// wantErr fails unless err matches want (errors.Is), or is nil when want is nil.
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("%s: unexpected error %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
}
