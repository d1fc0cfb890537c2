package sqlite

import (
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/store"
)

// TestReceivedDetail: the derived received event tells where the message came from and
// where it went when it was received, as the stored event did.
func TestReceivedDetail(t *testing.T) {
	entry := func(id int64, dest string, state store.EntryState) *store.Entry {
		return &store.Entry{ID: id, Destination: dest, State: state}
	}
	for _, c := range []struct {
		name          string
		m             store.Message
		filteredLater map[int64]bool
		want          string
	}{
		{"no source, no entries", store.Message{}, nil, "received"},
		{"remote", store.Message{Remote: "10.0.0.1:5000"}, nil, "received from 10.0.0.1:5000"},
		{"file", store.Message{File: "in/a.hl7"}, nil, "received from file in/a.hl7"},
		{"remote and file", store.Message{Remote: "sftp", File: "a.hl7"}, nil, "received from sftp file a.hl7"},
		{"reprocessed", store.Message{Reprocessed: 12}, nil, "received; reprocessed from message 12"},
		{"queued and filtered", store.Message{Remote: "r", Entries: []*store.Entry{
			entry(1, "ehr", store.EntrySent), entry(2, "archive", store.EntryFiltered), entry(3, "lab", store.EntryPending),
			entry(4, "billing", store.EntryFiltered)}}, nil,
			"received from r; queued for ehr, lab; filtered by archive, billing"},
		{"filtered later by its destination", store.Message{Entries: []*store.Entry{
			entry(1, "ehr", store.EntryFiltered), entry(2, "archive", store.EntryFiltered)}}, map[int64]bool{1: true},
			"received; queued for ehr; filtered by archive"},
	} {
		if got := receivedDetail(&c.m, c.filteredLater); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
}

// TestReceivedEventFirst: the derived received event comes first in a message's history,
// with ID 0 and the receive time, before every stored event.
func TestReceivedEventFirst(t *testing.T) {
	s := openTest(t, Options{})
	m := newMsg("EV1", "ehr")
	m.ReceivedAt = base
	rs, err := s.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{m}})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AddEvent(ctx, store.Event{MessageID: rs[0].ID, Time: base.Add(-time.Hour), Kind: "viewed", Actor: "alice"}); err != nil {
		t.Fatal(err)
	}
	got := message(t, s, rs[0].ID)
	if len(got.Events) != 2 {
		t.Fatalf("%d events, want 2", len(got.Events))
	}
	ev := got.Events[0]
	if ev.ID != 0 || ev.Kind != "received" || ev.Actor != "engine" || !ev.Time.Equal(base) || ev.MessageID != rs[0].ID ||
		ev.Detail != "received from 127.0.0.1:40000; queued for ehr" {
		t.Errorf("first event %+v, want the derived received event", ev)
	}
	if got.Events[1].ID <= 0 || got.Events[1].Kind != "viewed" {
		t.Errorf("second event %+v, want the stored viewed event", got.Events[1])
	}
}
