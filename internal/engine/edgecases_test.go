package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/connector"
	"github.com/courier-hl7/courier/internal/store"
	"github.com/courier-hl7/courier/internal/store/sqlite"
)

// splitter is a channel step that makes one part per OBR segment, as the split step does:
// the segments before the first OBR and one OBR each, MSH-10 with -1, -2...
type splitter struct{}

func (splitter) Process(_ context.Context, m *hl7.Message) (Result, error) {
	var header, groups []string
	for _, seg := range strings.Split(strings.TrimRight(string(m.Bytes()), "\r"), "\r") {
		if strings.HasPrefix(seg, "OBR|") {
			groups = append(groups, seg)
		} else if len(groups) == 0 {
			header = append(header, seg)
		}
	}
	var res Result
	for k, g := range groups {
		part, err := hl7.Parse([]byte(strings.Join(append(append([]string(nil), header...), g), "\r") + "\r"))
		if err != nil {
			return Result{}, err
		}
		if err := part.Set("MSH-10", m.ControlID()+fmt.Sprintf("-%d", k+1)); err != nil {
			return Result{}, err
		}
		res.Outputs = append(res.Outputs, Output{Message: part})
	}
	return res, nil
}

// TestSplitResendIsNotDeliveredAgain resends a message that the channel's steps split in two
// within the duplicate window: the resend is a duplicate as a whole, so neither part may be
// stored or delivered again.
func TestSplitResendIsNotDeliveredAgain(t *testing.T) {
	e, st := newEngine(t)
	rec := newRecorder()
	start(t, e, ChannelConfig{Name: "c", DedupeWindow: time.Hour, Processor: splitter{},
		Destinations: []DestinationConfig{{Name: "d", Dest: rec, Retry: fastRetry()}}})
	first := receive(t, e, "c", msg("S1", "OBR|1||O1", "OBR|2||O2"))
	waitFor(t, "both parts", func() bool { return len(rec.delivered()) == 2 })
	again := receive(t, e, "c", msg("S1", "OBR|1||O1", "OBR|2||O2"))
	if !again.Duplicate || string(again.Ack) != string(first.Ack) {
		t.Errorf("resend: duplicate %v, ack %q (first %q)", again.Duplicate, again.Ack, first.Ack)
	}
	// A part delivered again would show within a few worker rounds.
	time.Sleep(300 * time.Millisecond)
	if got := rec.delivered(); len(got) != 2 {
		t.Errorf("delivered %v, want each part once (S1-1,S1-2)", got)
	}
	ms, err := st.Messages(context.Background(), store.Query{Channel: "c"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Errorf("stored %d messages, want the 2 parts of the first receipt", len(ms))
	}
	// The second part is not "a resend under a new control ID" of the first.
	for _, m := range ms {
		if m.SameContentAs != 0 {
			t.Errorf("message %d (%s) flagged as same content as %d", m.ID, m.Meta.ControlID, m.SameContentAs)
		}
	}
	// The parts are found by the control ID the sender knows.
	byID, err := st.Messages(context.Background(), store.Query{ControlID: "S1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(byID) != 2 || byID[0].ReceivedControlID != "S1" || byID[1].ReceivedControlID != "S1" {
		t.Errorf("search by the received control ID S1: %d messages %+v, want the 2 parts, received as S1", len(byID), byID)
	}
}

// TestDuplicateOfPrunedMessageIsAcknowledged resends a message within the duplicate window
// after retention removed the original's content (and so its stored acknowledgement): the
// sender must still get a positive acknowledgement, or it waits and resends forever.
func TestDuplicateOfPrunedMessageIsAcknowledged(t *testing.T) {
	e, st := newEngine(t)
	rec := newRecorder()
	start(t, e, ChannelConfig{Name: "c", DedupeWindow: 24 * time.Hour,
		Destinations: []DestinationConfig{{Name: "d", Dest: rec, Retry: fastRetry()}}})
	first := receive(t, e, "c", msg("PR1"))
	waitFor(t, "delivery", func() bool { return len(rec.delivered()) == 1 })
	waitFor(t, "status SENT", func() bool {
		m, err := st.Message(context.Background(), first.MessageID)
		return err == nil && m.Status == store.StatusSent
	})
	n, err := st.Prune(context.Background(), time.Now().Add(time.Minute), false, 10)
	if err != nil || n != 1 {
		t.Fatalf("prune: %d, %v", n, err)
	}
	again := receive(t, e, "c", msg("PR1"))
	if !again.Duplicate {
		t.Fatalf("resend not recognised as a duplicate: %+v", again)
	}
	if code := ackCode(t, again.Ack); code != "AA" {
		t.Errorf("duplicate of a pruned message answered %q (ack %q), want AA", code, again.Ack)
	}
	time.Sleep(100 * time.Millisecond)
	if got := rec.delivered(); len(got) != 1 {
		t.Errorf("delivered %v", got)
	}
}

// TestImmediateAckedMessagesSurviveStop acknowledges messages immediately and stops the engine
// and closes the store at once, as SIGTERM does: every message acknowledged before the
// shutdown must be in the store when it is opened again. Immediate mode is unsafe against a
// crash or a full disk, not against an orderly shutdown.
func TestImmediateAckedMessagesSurviveStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "courier.db")
	st, err := sqlite.Open(context.Background(), path, sqlite.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(Options{Store: st, NodeID: "test"})
	if err != nil {
		t.Fatal(err)
	}
	start(t, e, ChannelConfig{Name: "c", AckMode: AckImmediate})
	r, _ := e.Receiver("c")
	const senders, each = 8, 25
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := 0
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				rep, err := r.Receive(context.Background(), &connector.Inbound{Raw: msg(fmt.Sprintf("I%d-%d", s, i))})
				if err == nil && rep.Ack != nil {
					mu.Lock()
					acked++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st, err = sqlite.Open(context.Background(), path, sqlite.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ms, err := st.Messages(context.Background(), store.Query{Channel: "c", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != acked {
		var ids []string
		for _, m := range ms {
			ids = append(ids, m.Meta.ControlID)
		}
		t.Errorf("acknowledged %d messages, %d stored after an orderly stop (%s)", acked, len(ms), strings.Join(ids[:min(5, len(ids))], ","))
	}
}

// countBatcher gathers every held entry in one group, due once it holds max messages.
type countBatcher struct {
	recorder
	max     int
	flushed []int
}

func (b *countBatcher) Group(time.Time) string { return "g" }
func (b *countBatcher) Due(_ string, held int, now time.Time) (bool, time.Time) {
	return held >= b.max, now.Add(time.Hour)
}
func (b *countBatcher) Flush(_ context.Context, _ string, msgs []*connector.Outbound) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.flushed = append(b.flushed, len(msgs))
	return nil
}

// TestBatchFlushesAtMaxMessagesAbove100 holds more entries than one page of Entries (100)
// in a batch group whose size limit is 150: the group is due by its count, and must be
// flushed without waiting for its time window to end.
func TestBatchFlushesAtMaxMessagesAbove100(t *testing.T) {
	e, _ := newEngine(t)
	b := &countBatcher{recorder: *newRecorder(), max: 150}
	start(t, e, ChannelConfig{Name: "c", Destinations: []DestinationConfig{{Name: "file", Dest: b}}})
	r, _ := e.Receiver("c")
	ins := make([]*connector.Inbound, 160)
	for i := range ins {
		ins[i] = &connector.Inbound{Raw: msg(fmt.Sprintf("B%03d", i))}
	}
	if _, err := r.ReceiveFile(context.Background(), "batch.hl7", "k1", ins); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the group to be flushed at 150 messages", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.flushed) > 0
	})
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.flushed[0] < 150 {
		t.Errorf("flushed %v", b.flushed)
	}
}

// TestAfterDeliveryFilteredByTheFirstDestination sends, in after-delivery mode, a message that
// the first destination's own filter rejects: nothing is to be delivered, so the sender gets
// the channel's positive acknowledgement at once, not a negative one after the ACK timeout
// saying that the message "will be delivered".
func TestAfterDeliveryFilteredByTheFirstDestination(t *testing.T) {
	e, st := newEngine(t)
	rec := newRecorder()
	start(t, e, ChannelConfig{Name: "c", AckMode: AckAfterDelivery, AckTimeout: 2 * time.Second,
		Destinations: []DestinationConfig{{Name: "d", Dest: rec, Processor: TypeFilter{"ORU"}}}})
	began := time.Now()
	rep := receive(t, e, "c", msg("AF1"))
	if code := ackCode(t, rep.Ack); code != "AA" {
		t.Errorf("ack %q after %v, want AA", rep.Ack, time.Since(began).Round(time.Millisecond))
	}
	waitFor(t, "the entry filtered", func() bool {
		m, err := st.Message(context.Background(), rep.MessageID)
		return err == nil && len(m.Entries) == 1 && m.Entries[0].State == store.EntryFiltered
	})
}

// rejectBad is a channel step that fails messages holding a ZBD segment.
type rejectBad struct{}

func (rejectBad) Process(_ context.Context, m *hl7.Message) (Result, error) {
	if strings.Contains(string(m.Bytes()), "\rZBD|") {
		return Result{}, fmt.Errorf("ZBD segment not allowed")
	}
	return Pass(m), nil
}

// TestCorrectedResendOfRejectedMessage: a message rejected with AE, sent again unchanged, is a
// duplicate (the AE is replayed, nothing is stored again); sent again corrected under the same
// control ID, it is processed and delivered, not answered with the old AE.
func TestCorrectedResendOfRejectedMessage(t *testing.T) {
	e, _ := newEngine(t)
	rec := newRecorder()
	start(t, e, ChannelConfig{Name: "c", DedupeWindow: time.Hour, Processor: rejectBad{},
		Destinations: []DestinationConfig{{Name: "d", Dest: rec, Retry: fastRetry()}}})
	bad := receive(t, e, "c", msg("RJ1", "ZBD|1"))
	if code := ackCode(t, bad.Ack); code != "AE" {
		t.Fatalf("first answer %q, want AE", code)
	}
	again := receive(t, e, "c", msg("RJ1", "ZBD|1"))
	if !again.Duplicate || string(again.Ack) != string(bad.Ack) {
		t.Errorf("unchanged resend: duplicate %v, ack %q; want the AE replayed", again.Duplicate, again.Ack)
	}
	fixed := receive(t, e, "c", msg("RJ1"))
	if fixed.Duplicate || ackCode(t, fixed.Ack) != "AA" {
		t.Fatalf("corrected resend: duplicate %v, ack %q; want it processed and AA", fixed.Duplicate, fixed.Ack)
	}
	waitFor(t, "delivery of the corrected message", func() bool { return len(rec.delivered()) == 1 })
	// And the corrected message is now the original of its own resends.
	if dup := receive(t, e, "c", msg("RJ1")); !dup.Duplicate {
		t.Errorf("resend of the corrected message not a duplicate: %+v", dup)
	}
}

// TestRefusedMessagesLoggedOnce: while the store refuses every message (here it is closed;
// a full disk does the same), the refusals are answered one by one but logged once per
// interval, with the count of those not logged.
func TestRefusedMessagesLoggedOnce(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "courier.db"), sqlite.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var logs lockedBuilder
	e, err := New(Options{Store: st, NodeID: "test", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.Stop(ctx)
	})
	start(t, e, ChannelConfig{Name: "c", Destinations: []DestinationConfig{{Name: "d", Dest: newRecorder(), Retry: fastRetry()}}})
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	r, _ := e.Receiver("c")
	for i := range 50 {
		rep, err := r.Receive(context.Background(), &connector.Inbound{Raw: msg(fmt.Sprint("NS", i)), ReceivedAt: time.Now()})
		if !errors.Is(err, connector.ErrNotStored) || ackCode(t, rep.Ack) != "AR" {
			t.Fatalf("message %d: %v, %q; want refused with AR", i, err, rep.Ack)
		}
	}
	if n := strings.Count(logs.String(), "message not stored"); n != 1 {
		t.Errorf("50 refusals logged %d times, want once within the interval", n)
	}
}

// lockedBuilder is a strings.Builder safe for a logger's concurrent writes.
type lockedBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuilder) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuilder) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// limitBatcher is a countBatcher that declares its limit (connector.BatchLimit) and starts a
// new group after each flush, as the file destination does.
type limitBatcher struct {
	countBatcher
}

func (b *limitBatcher) MaxMessages() int { return b.max }
func (b *limitBatcher) Group(time.Time) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return fmt.Sprint("g", len(b.flushed)+1)
}

// TestBatchGroupsKeepTheirLimit: 12 messages arrive at once for a batch destination whose
// groups hold at most 5: they go out as 5, 5 and (when the window closes) 2, never 12 in one.
func TestBatchGroupsKeepTheirLimit(t *testing.T) {
	e, _ := newEngine(t)
	b := &limitBatcher{countBatcher: countBatcher{recorder: *newRecorder(), max: 5}}
	start(t, e, ChannelConfig{Name: "c", Destinations: []DestinationConfig{{Name: "file", Dest: b}}})
	r, _ := e.Receiver("c")
	ins := make([]*connector.Inbound, 12)
	for i := range ins {
		ins[i] = &connector.Inbound{Raw: msg(fmt.Sprintf("L%03d", i))}
	}
	if _, err := r.ReceiveFile(context.Background(), "batch.hl7", "k1", ins); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "two full groups flushed", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return len(b.flushed) >= 2
	})
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.flushed[0] != 5 || b.flushed[1] != 5 {
		t.Errorf("groups flushed with %v messages, want 5 and 5", b.flushed)
	}
}
