package sqlite

import (
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/store"
)

// schema0001Rows are rows as the store of schema 0001 wrote them: message 1 delivered to ehr
// after a retry (attempts and their events), filtered for archive, viewed by an operator;
// message 2 queued; message 3 delivered and pruned; message 4 failed on lab, holding the
// lane, and message 5 waiting behind it.
var schema0001Rows = []string{
	`INSERT INTO messages (id, channel, received_at, remote, file, raw, processed, ack, type, trigger_event, control_id,
		patient_id, status, error, size, sha256, sha_prefix, dedupe_key, pruned) VALUES
		(1, 'adt-in', 1000, '127.0.0.1:40000', '', x'4d31', NULL, x'41434b31', 'ADT', 'A01', 'M1', 'P1', 'SENT', '', 2, x'01', 1, 'k1', 0),
		(2, 'adt-in', 2000, '127.0.0.1:40000', '', x'4d32', x'5032', x'41434b32', 'ADT', 'A01', 'M2', 'P2', 'QUEUED', '', 2, x'02', 2, 'k2', 0),
		(3, 'adt-in', 3000, '', 'in/a.hl7', NULL, NULL, NULL, 'ADT', 'A01', 'M3', 'P3', 'SENT', '', 2, x'03', 3, 'k3', 1),
		(4, 'adt-in', 4000, '127.0.0.1:40000', '', x'4d34', NULL, NULL, 'ORU', 'R01', 'M4', 'P4', 'ERROR', '', 2, x'04', 4, NULL, 0),
		(5, 'adt-in', 5000, '127.0.0.1:40000', '', x'4d35', NULL, NULL, 'ORU', 'R01', 'M5', 'P5', 'QUEUED', '', 2, x'05', 5, NULL, 0)`,
	`INSERT INTO entries (id, message_id, channel, destination, order_key, state, hold, head, attempts,
		next_attempt_at, last_error, token, sent, updated_at) VALUES
		(1, 1, 'adt-in', 'ehr', '', 'SENT', 0, 0, 2, 0, '', 2, x'5331', 1300),
		(2, 1, 'adt-in', 'archive', '', 'FILTERED', 0, 0, 0, 0, '', 0, NULL, 1000),
		(3, 2, 'adt-in', 'ehr', '', 'PENDING', 0, 1, 0, 0, '', 0, NULL, 2000),
		(4, 3, 'adt-in', 'ehr', '', 'SENT', 0, 0, 1, 0, '', 1, NULL, 3100),
		(5, 4, 'adt-in', 'lab', '', 'ERROR', 1, 1, 1, 0, 'rejected', 1, NULL, 4100),
		(6, 5, 'adt-in', 'lab', '', 'PENDING', 0, 0, 0, 0, '', 0, NULL, 5000)`,
	`INSERT INTO attempts (id, entry_id, number, started, finished, outcome, response_code, response, error) VALUES
		(1, 1, 1, 1100, 1200, 'RETRY', '', NULL, 'connection refused'),
		(2, 1, 2, 1250, 1300, 'SENT', 'AA', x'4d53414141', ''),
		(3, 4, 1, 3050, 3100, 'SENT', 'AA', NULL, ''),
		(4, 5, 1, 4050, 4100, 'FAILED', 'AE', x'4d534141', 'rejected')`,
	`INSERT INTO events (id, message_id, entry_id, time, kind, actor, detail) VALUES
		(1, 1, 0, 1000, 'received', 'engine', 'received from 127.0.0.1:40000; queued for ehr; filtered by archive'),
		(2, 1, 1, 1200, 'attempt', 'engine', 'failed: connection refused'),
		(3, 1, 1, 1300, 'sent', 'engine', 'delivered (AA)'),
		(4, 1, 0, 1400, 'viewed', 'alice', 'opened in the dashboard'),
		(5, 2, 0, 2000, 'received', 'engine', 'received from 127.0.0.1:40000; queued for ehr'),
		(6, 3, 0, 3000, 'received', 'engine', 'received from file in/a.hl7; queued for ehr'),
		(7, 3, 4, 3100, 'sent', 'engine', 'delivered (AA)'),
		(8, 4, 0, 4000, 'received', 'engine', 'received from 127.0.0.1:40000; queued for lab'),
		(9, 4, 5, 4100, 'failed', 'engine', 'gave up (AE): rejected; the queue holds until an operator acts'),
		(10, 5, 0, 5000, 'received', 'engine', 'received from 127.0.0.1:40000; queued for lab')`,
	`INSERT INTO queue_counts (channel, destination, state, n) VALUES
		('adt-in', 'ehr', 'SENT', 2), ('adt-in', 'archive', 'FILTERED', 1), ('adt-in', 'ehr', 'PENDING', 1),
		('adt-in', 'lab', 'ERROR', 1), ('adt-in', 'lab', 'PENDING', 1)`,
	`UPDATE sequences SET next = 6 WHERE name = 'messages'`,
	`UPDATE sequences SET next = 7 WHERE name = 'entries'`,
}

// TestMigrateFrom0001: a database of schema 0001 opens with the current schema, every row
// kept with its ID: attempts become the events that recorded them, received events are
// derived, lanes and heads carry on, and the store works on the migrated rows.
func TestMigrateFrom0001(t *testing.T) {
	path := filepath.Join(t.TempDir(), "courier.db")
	db, err := sql.Open("sqlite", dsn(path, time.Second, 1024, "journal_mode(WAL)", "foreign_keys(1)"))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := migrateTo(ctx, conn, base, 1); err != nil || v != 1 {
		t.Fatalf("create schema 0001: version %d, %v", v, err)
	}
	for _, q := range schema0001Rows {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	conn.Close()
	db.Close()

	s, err := Open(ctx, path, Options{Logger: quiet, Now: func() time.Time { return base }})
	if err != nil {
		t.Fatalf("open a 0001 database: %v", err)
	}
	defer s.Close()
	var version int
	if err := s.rdb.QueryRowContext(ctx, "SELECT max(version) FROM schema_version").Scan(&version); err != nil || version != SchemaVersion() {
		t.Fatalf("schema version %d (%v), want %d", version, err, SchemaVersion())
	}
	checkInvariants(t, s)

	m := message(t, s, 1)
	if string(m.Raw) != "M1" || string(m.Ack) != "ACK1" || m.Status != store.StatusSent || len(m.Entries) != 2 ||
		string(m.Entries[0].Sent) != "S1" {
		t.Errorf("message 1 = raw %q, ack %q, status %s, %d entries: content or entries lost", m.Raw, m.Ack, m.Status, len(m.Entries))
	}
	type ev struct {
		id   int64
		kind string
	}
	var evs []ev
	for _, e := range m.Events {
		evs = append(evs, ev{e.ID, e.Kind})
	}
	if want := []ev{{0, "received"}, {2, "attempt"}, {3, "sent"}, {4, "viewed"}}; !slices.Equal(evs, want) {
		t.Errorf("message 1 events %v, want %v", evs, want)
	}
	if d := m.Events[0].Detail; d != "received from 127.0.0.1:40000; queued for ehr; filtered by archive" {
		t.Errorf("derived received event: %q", d)
	}
	if len(m.Attempts) != 2 {
		t.Fatalf("message 1 has %d attempts, want 2", len(m.Attempts))
	}
	a1, a2 := m.Attempts[0], m.Attempts[1]
	if a1.ID != 2 || a1.EntryID != 1 || a1.Number != 1 || a1.Outcome != "RETRY" || a1.Error != "connection refused" ||
		a1.Started.UnixNano() != 1100 || a1.Finished.UnixNano() != 1200 {
		t.Errorf("attempt 1 = %+v", a1)
	}
	if a2.ID != 3 || a2.Number != 2 || a2.Outcome != "SENT" || a2.ResponseCode != "AA" || string(a2.Response) != "MSAAA" {
		t.Errorf("attempt 2 = %+v", a2)
	}
	if m := message(t, s, 3); !m.Pruned || m.Raw != nil || len(m.Attempts) != 1 || m.Events[0].Detail != "received from file in/a.hl7; queued for ehr" {
		t.Errorf("pruned message 3 = %+v", m)
	}

	// The lab lane is held by message 4's failed entry; an operator retries it, and its next
	// attempt is number 2.
	lab := store.ClaimRequest{Channel: "adt-in", Destination: "lab", Owner: "w", Lease: time.Minute, Max: 5, Now: base}
	res, err := s.Claim(ctx, lab)
	if err != nil || len(res.Entries) != 0 || res.BlockedBy == nil || res.BlockedBy.ID != 5 {
		t.Fatalf("claim of the held lab lane: %d entries, blocked by %v, %v; want blocked by entry 5", len(res.Entries), res.BlockedBy, err)
	}
	if err := s.Retry(ctx, 5, "bob"); err != nil {
		t.Fatal(err)
	}
	res, err = s.Claim(ctx, lab)
	if err != nil || len(res.Entries) != 2 || res.Entries[0].ID != 5 || res.Entries[1].ID != 6 {
		t.Fatalf("claim after the retry: %v, %v; want entries 5 and 6", entryIDsOf(res.Entries), err)
	}
	var outs []store.Outcome
	for _, e := range res.Entries {
		outs = append(outs, store.Outcome{EntryID: e.ID, Token: e.Token, Kind: store.OutcomeSent, Started: base, Finished: base})
	}
	if errs, err := s.Record(ctx, outs); err != nil || errs[0] != nil || errs[1] != nil {
		t.Fatalf("record: %v %v", errs, err)
	}
	m4 := message(t, s, 4)
	if m4.Status != store.StatusSent || len(m4.Attempts) != 2 || m4.Attempts[1].Number != 2 {
		t.Errorf("message 4 after its retry: status %s, attempts %+v", m4.Status, m4.Attempts)
	}
	// The ehr lane's head carried over.
	ehr := store.ClaimRequest{Channel: "adt-in", Destination: "ehr", Owner: "w", Lease: time.Minute, Keyed: true, Max: 5, Now: base}
	if res, err := s.Claim(ctx, ehr); err != nil || len(res.Entries) != 1 || res.Entries[0].ID != 3 || string(res.Entries[0].Content) != "P2" {
		t.Fatalf("keyed claim of ehr: %v, %v; want entry 3 with its processed content", entryIDsOf(res.Entries), err)
	}
	// New IDs continue after the migrated ones.
	rs, err := s.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{newMsg("NEW1", "ehr")}})
	if err != nil || rs[0].ID != 6 {
		t.Fatalf("receive after the migration: %+v, %v; want message 6", rs, err)
	}
	checkInvariants(t, s)
}

// message reads a message or fails the test.
func message(t *testing.T, s *Store, id int64) *store.Message {
	t.Helper()
	m, err := s.Message(ctx, id)
	if err != nil {
		t.Fatalf("Message(%d): %v", id, err)
	}
	return m
}

func entryIDsOf(es []*store.Entry) []int64 {
	var ids []int64
	for _, e := range es {
		ids = append(ids, e.ID)
	}
	return ids
}
