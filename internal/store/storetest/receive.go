package storetest

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/store"
)

// testReceiveRoundTrip: everything a NewMessage carries comes back from Message, and
// Messages lists it without content.
func testReceiveRoundTrip(t *testing.T, s store.Store) {
	m := msg("RT1", 0, "ehr")
	m.File = "inbound/adt_0001.hl7"
	m.Processed = []byte("MSH|^~\\&|COURIER|NORTH|EHR|NORTH|20260102030405||ADT^A01|RT1|P|2.5\r")
	m.Entries = append(m.Entries, store.NewEntry{Destination: "archive", State: store.EntryFiltered})
	m.Entries[0].OrderKey = "MRN-RT1"
	rc := receive(t, s, time.Hour, m)[0]
	if rc.ID <= 0 || rc.Duplicate || rc.SameContentAs != 0 || rc.Ack != nil {
		t.Fatalf("receipt %+v, want a new message with no flags", rc)
	}

	got := message(t, s, rc.ID)
	sum := sha256.Sum256(m.Raw)
	for _, c := range []struct {
		field     string
		got, want any
	}{
		{"Channel", got.Channel, m.Channel},
		{"ReceivedAt", got.ReceivedAt.UnixNano(), m.ReceivedAt.UnixNano()},
		{"Remote", got.Remote, m.Remote},
		{"File", got.File, m.File},
		{"Raw", string(got.Raw), string(m.Raw)},
		{"Processed", string(got.Processed), string(m.Processed)},
		{"Meta", got.Meta, m.Meta},
		{"Status", got.Status, store.StatusQueued},
		{"Error", got.Error, ""},
		{"Ack", string(got.Ack), string(m.Ack)},
		{"Size", got.Size, len(m.Raw)},
		{"SHA256", string(got.SHA256), string(sum[:])},
		{"SameContentAs", got.SameContentAs, int64(0)},
		{"Reprocessed", got.Reprocessed, int64(0)},
		{"Pruned", got.Pruned, false},
		{"len(Entries)", len(got.Entries), 2},
		{"len(Attempts)", len(got.Attempts), 0},
	} {
		if c.got != c.want {
			t.Errorf("Message(%d).%s = %v, want %v", rc.ID, c.field, c.got, c.want)
		}
	}
	if len(got.Entries) == 2 {
		e, f := got.Entries[0], got.Entries[1]
		if e.Destination != "ehr" || e.State != store.EntryPending || e.OrderKey != "MRN-RT1" || e.MessageID != rc.ID ||
			e.Channel != ch || e.Attempts != 0 || !e.NextAttemptAt.IsZero() || e.Owner != "" {
			t.Errorf("entry 1 = %+v, want a PENDING entry for ehr keyed MRN-RT1", e)
		}
		if f.Destination != "archive" || f.State != store.EntryFiltered {
			t.Errorf("entry 2 = %+v, want a FILTERED entry for archive", f)
		}
		if e.ID >= f.ID {
			t.Errorf("entry IDs %d, %d: want them in the order given", e.ID, f.ID)
		}
	}
	if !hasEvent(got, "received", "", 0) {
		t.Errorf("events %v: want a received event", eventKinds(got))
	}
	for _, ev := range got.Events {
		if ev.MessageID != rc.ID || ev.Time.IsZero() {
			t.Errorf("event %+v: want message %d and a time", ev, rc.ID)
		}
	}

	list, err := s.Messages(ctx, store.Query{Channel: ch})
	if err != nil {
		t.Fatalf("Messages: %v", err)
	}
	if len(list) != 1 || list[0].ID != rc.ID {
		t.Fatalf("Messages(channel) = %d messages, want [%d]", len(list), rc.ID)
	}
	l := list[0]
	if l.Raw != nil || l.Processed != nil || l.Entries != nil || l.Events != nil || l.Attempts != nil {
		t.Errorf("Messages returned content, entries or events: %+v", l)
	}
	if l.Meta != m.Meta || l.Status != store.StatusQueued || l.Size != len(m.Raw) || !l.ReceivedAt.Equal(m.ReceivedAt) {
		t.Errorf("Messages metadata = %+v, want the stored metadata", l)
	}

	if _, err := s.Message(ctx, rc.ID+1000); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Message(unknown) error %v, want ErrNotFound", err)
	}
}

// testReceiveStatuses: messages without entries keep the status the engine gave them.
func testReceiveStatuses(t *testing.T, s store.Store) {
	for _, c := range []struct {
		status store.MessageStatus
		err    string
		event  string
	}{
		{store.StatusFiltered, "filter: not an ADT^A01", "filtered"},
		{store.StatusError, "PID-3: required field is empty", "error"},
		{store.StatusReceived, "", "received"},
	} {
		m := msg("ST-"+string(c.status), 0)
		m.Status, m.Error = c.status, c.err
		id := receiveOne(t, s, m)
		got := message(t, s, id)
		if got.Status != c.status || got.Error != c.err || len(got.Entries) != 0 {
			t.Errorf("status %s: stored status %s, error %q, %d entries", c.status, got.Status, got.Error, len(got.Entries))
		}
		if !hasEvent(got, c.event, "", 0) {
			t.Errorf("status %s: events %v, want %s", c.status, eventKinds(got), c.event)
		}
	}
}

// testReceiveInvalid: a request with one bad message stores none of its messages, nor its
// file mark.
func testReceiveInvalid(t *testing.T, s store.Store) {
	for _, c := range []struct {
		name string
		bad  func(m *store.NewMessage)
	}{
		{"no channel", func(m *store.NewMessage) { m.Channel = "" }},
		{"queued without entries", func(m *store.NewMessage) { m.Entries = nil }},
		{"entry in state SENT", func(m *store.NewMessage) { m.Entries[0].State = store.EntrySent }},
		{"entry without destination", func(m *store.NewMessage) { m.Entries[0].Destination = "" }},
		{"filtered with entries", func(m *store.NewMessage) { m.Status = store.StatusFiltered }},
		{"unknown status", func(m *store.NewMessage) { m.Status = "LOST" }},
		{"two entries for one destination", func(m *store.NewMessage) {
			m.Entries = append(m.Entries, store.NewEntry{Destination: dest, State: store.EntryPending})
		}},
	} {
		good := msg("GOOD-"+c.name, 0, dest)
		bad := msg("BAD-"+c.name, time.Second, dest)
		c.bad(bad)
		file := &store.FileMark{Channel: ch, Key: "file-" + c.name}
		rs, err := s.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{good, bad}, File: file})
		if err == nil {
			t.Errorf("%s: Receive succeeded with receipts %+v, want an error", c.name, rs)
			continue
		}
		if ids := allMessageIDs(t, s, store.Query{}); len(ids) != 0 {
			t.Fatalf("%s: Receive failed (%v) but stored messages %v", c.name, err, ids)
		}
		if seen, err := s.FileSeen(ctx, ch, file.Key); err != nil || seen {
			t.Errorf("%s: FileSeen = %v, %v after a failed request, want false", c.name, seen, err)
		}
	}
	// The store still works.
	receiveOne(t, s, msg("AFTER", 0, dest))
}

// testDedupeWindow: a message whose DedupeKey was stored in the channel within the window is
// not stored again: the receipt replays the original's ACK.
func testDedupeWindow(t *testing.T, s store.Store) {
	const window = time.Hour
	a := msg("D1", 0, dest)
	a.Ack = []byte("MSA|AA|D1|original")
	ra := receive(t, s, window, a)[0]

	again := msg("D1", 10*time.Minute, dest)
	again.Ack = []byte("MSA|AA|D1|second")
	rb := receive(t, s, window, again)[0]
	if !rb.Duplicate || rb.ID != ra.ID || !bytes.Equal(rb.Ack, a.Ack) {
		t.Fatalf("resend within the window: receipt %+v, want Duplicate of %d with ACK %q", rb, ra.ID, a.Ack)
	}
	if got := allMessageIDs(t, s, store.Query{}); !slices.Equal(got, []int64{ra.ID}) {
		t.Fatalf("messages after a duplicate = %v, want only [%d]", got, ra.ID)
	}
	if orig := message(t, s, ra.ID); !hasEvent(orig, "duplicate", "", 0) {
		t.Errorf("original's events %v: want a duplicate event", eventKinds(orig))
	}
	if q := stats(t, s, ch, dest); q.Pending != 1 {
		t.Errorf("queue after a duplicate: %d pending, want 1 (not delivered twice)", q.Pending)
	}

	// Outside the window the same key is a new message; a later resend duplicates that one.
	rc := receive(t, s, window, msg("D1", 2*time.Hour, dest))[0]
	if rc.Duplicate || rc.ID == ra.ID {
		t.Fatalf("resend after the window: receipt %+v, want a new message", rc)
	}
	if rd := receive(t, s, window, msg("D1", 2*time.Hour+time.Minute, dest))[0]; !rd.Duplicate || rd.ID != rc.ID {
		t.Fatalf("resend of the second copy: receipt %+v, want Duplicate of %d", rd, rc.ID)
	}

	// No window, no key, or another channel: no check.
	if r := receive(t, s, 0, msg("D1", 2*time.Hour+2*time.Minute, dest))[0]; r.Duplicate {
		t.Errorf("window 0: receipt %+v, want a new message", r)
	}
	nokey := msg("D1", 2*time.Hour+3*time.Minute, dest)
	nokey.DedupeKey = ""
	if r := receive(t, s, window, nokey)[0]; r.Duplicate {
		t.Errorf("empty DedupeKey: receipt %+v, want a new message", r)
	}
	other := msg("D1", 2*time.Hour+4*time.Minute, dest)
	other.Channel = "adt-in-2"
	if r := receive(t, s, window, other)[0]; r.Duplicate {
		t.Errorf("same key on another channel: receipt %+v, want a new message", r)
	}
}

// testDedupeWithinOneRequest: two messages with one key in one request (and so one commit).
func testDedupeWithinOneRequest(t *testing.T, s store.Store) {
	first, second := msg("B1", 0, dest), msg("B1", time.Second, dest)
	rs := receive(t, s, time.Hour, first, second)
	if rs[0].Duplicate || !rs[1].Duplicate || rs[1].ID != rs[0].ID || !bytes.Equal(rs[1].Ack, first.Ack) {
		t.Fatalf("receipts %+v, want the second a Duplicate of the first", rs)
	}
	if got := allMessageIDs(t, s, store.Query{}); len(got) != 1 {
		t.Fatalf("stored %v, want one message", got)
	}
}

// testDedupeConcurrent: concurrent resends of one key store one message; every receipt
// points at it.
func testDedupeConcurrent(t *testing.T, s store.Store) {
	const n = 8
	rs := make([]store.Receipt, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			var r []store.Receipt
			r, errs[i] = s.Receive(ctx, &store.ReceiveRequest{
				Messages: []*store.NewMessage{msg("C1", time.Duration(i)*time.Millisecond, dest)}, DedupeWindow: time.Hour})
			if len(r) == 1 {
				rs[i] = r[0]
			}
		})
	}
	wg.Wait()
	originals := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Receive %d: %v", i, errs[i])
		}
		if !rs[i].Duplicate {
			originals++
		}
		if rs[i].ID != rs[0].ID {
			t.Errorf("receipt %d has ID %d, receipt 0 has %d", i, rs[i].ID, rs[0].ID)
		}
	}
	if originals != 1 {
		t.Errorf("%d receipts were not duplicates, want 1", originals)
	}
	if got := allMessageIDs(t, s, store.Query{}); len(got) != 1 {
		t.Errorf("stored %v, want one message", got)
	}
}

// testSameContent: the same bytes under another key within the window are stored and
// flagged with the earliest such message.
func testSameContent(t *testing.T, s store.Store) {
	const window = time.Hour
	a := msg("S1", 0, dest)
	ra := receive(t, s, window, a)[0]
	b := msg("S2", time.Minute, dest)
	b.Raw = a.Raw
	rb := receive(t, s, window, b)[0]
	if rb.Duplicate || rb.ID == ra.ID || rb.SameContentAs != ra.ID {
		t.Fatalf("same bytes, new key: receipt %+v, want a new message with SameContentAs %d", rb, ra.ID)
	}
	if got := message(t, s, rb.ID); got.SameContentAs != ra.ID {
		t.Errorf("Message(%d).SameContentAs = %d, want %d", rb.ID, got.SameContentAs, ra.ID)
	}
	c := msg("S3", 2*time.Minute, dest)
	c.Raw = a.Raw
	if rc := receive(t, s, window, c)[0]; rc.SameContentAs != ra.ID {
		t.Errorf("third copy: SameContentAs %d, want the earliest, %d", rc.SameContentAs, ra.ID)
	}
	late := msg("S4", 3*time.Hour, dest)
	late.Raw = a.Raw
	if r := receive(t, s, window, late)[0]; r.SameContentAs != 0 {
		t.Errorf("outside the window: SameContentAs %d, want 0", r.SameContentAs)
	}
	nowindow := msg("S5", 3*time.Hour+time.Minute, dest)
	nowindow.Raw = a.Raw
	if r := receive(t, s, 0, nowindow)[0]; r.SameContentAs != 0 {
		t.Errorf("window 0: SameContentAs %d, want 0", r.SameContentAs)
	}
	if r := receive(t, s, window, msg("S6", 3*time.Hour+2*time.Minute, dest))[0]; r.SameContentAs != 0 {
		t.Errorf("other bytes: SameContentAs %d, want 0", r.SameContentAs)
	}

	// ContentSum, when given, is what is compared: other bytes with the same sum match,
	// the same bytes with another sum do not.
	sum := [32]byte{1, 2, 3, 4, 5, 6, 7, 8, 9}
	d := msg("S7", 4*time.Hour, dest)
	d.ContentSum = sum
	rd := receive(t, s, window, d)[0]
	e := msg("S8", 4*time.Hour+time.Minute, dest)
	e.ContentSum = sum
	if r := receive(t, s, window, e)[0]; r.SameContentAs != rd.ID {
		t.Errorf("other bytes, same ContentSum: SameContentAs %d, want %d", r.SameContentAs, rd.ID)
	}
	f := msg("S9", 4*time.Hour+2*time.Minute, dest)
	f.Raw = d.Raw
	f.ContentSum = [32]byte{9, 8, 7}
	if r := receive(t, s, window, f)[0]; r.SameContentAs != 0 {
		t.Errorf("same bytes, other ContentSum: SameContentAs %d, want 0", r.SameContentAs)
	}
}

// testFileMarks: a file mark commits with its messages.
func testFileMarks(t *testing.T, s store.Store) {
	mark := &store.FileMark{Channel: ch, Key: "/data/in/lab_0001.hl7:1024:1767323045"}
	if _, err := s.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{msg("F1", 0, dest)}, File: mark}); err != nil {
		t.Fatalf("Receive with a file mark: %v", err)
	}
	empty := &store.FileMark{Channel: ch, Key: "/data/in/empty.hl7:0:1767323045"}
	if _, err := s.Receive(ctx, &store.ReceiveRequest{File: empty}); err != nil {
		t.Fatalf("Receive of an empty file's mark: %v", err)
	}
	for _, c := range []struct {
		channel, key string
		want         bool
	}{
		{ch, mark.Key, true},
		{ch, empty.Key, true},
		{ch, "/data/in/lab_0002.hl7:1024:1767323045", false},
		{"other", mark.Key, false},
	} {
		seen, err := s.FileSeen(ctx, c.channel, c.key)
		if err != nil || seen != c.want {
			t.Errorf("FileSeen(%s, %s) = %v, %v; want %v", c.channel, c.key, seen, err, c.want)
		}
	}
}

// testReprocessed: a reprocessed message points at its original, which gets an event.
func testReprocessed(t *testing.T, s store.Store) {
	orig := receiveOne(t, s, msg("R1", 0, dest))
	again := msg("R1", time.Hour, dest)
	again.Reprocessed = orig
	id := receive(t, s, time.Hour, again)[0].ID
	if id == orig {
		t.Fatalf("reprocessing returned the original's ID %d", id)
	}
	if got := message(t, s, id); got.Reprocessed != orig {
		t.Errorf("Message(%d).Reprocessed = %d, want %d", id, got.Reprocessed, orig)
	}
	if m := message(t, s, orig); !hasEvent(m, "reprocessed", "", 0) {
		t.Errorf("original's events %v: want reprocessed", eventKinds(m))
	}
}
