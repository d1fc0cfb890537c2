package sqlite

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/store"
)

// setMaxPages limits the database to n pages (0: the current size plus extra), which makes
// SQLite fail with SQLITE_FULL as a full disk would.
func setMaxPages(t *testing.T, s *Store, extra int) {
	t.Helper()
	err := s.do(ctx, true, func(w *writer) error {
		var pages int
		if err := w.conn.QueryRowContext(bg, "PRAGMA page_count").Scan(&pages); err != nil {
			return err
		}
		_, err := w.conn.ExecContext(bg, fmt.Sprintf("PRAGMA max_page_count = %d", pages+extra))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// bigMsg is a message of about 64 KiB.
func bigMsg(control string) *store.NewMessage {
	m := newMsg(control, "ehr", "archive")
	m.Raw = append(m.Raw, []byte("NTE|1||"+strings.Repeat("x", 64<<10)+"\r")...)
	return m
}

// TestStoreFull: when the store runs out of space, Receive fails with ErrFull and a message
// that says what to do, stores nothing of the failed requests, and works again by itself
// once there is space.
func TestStoreFull(t *testing.T) {
	s := openTest(t, Options{})
	setMaxPages(t, s, 200) // about 800 KiB
	var err error
	stored := 0
	for i := range 100 {
		_, err = s.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{bigMsg(fmt.Sprint("FULL", i))}})
		if err != nil {
			break
		}
		stored++
	}
	if !errors.Is(err, store.ErrFull) {
		t.Fatalf("Receive into a full store: %v, want ErrFull", err)
	}
	if !strings.HasPrefix(err.Error(), "receive: store is full: free space on the store's volume, commits resume by themselves: ") {
		t.Errorf("error message %q does not say what happened and what to do", err)
	}
	if stored == 0 {
		t.Fatal("nothing fit before the store was full")
	}

	// A batch of several requests fails whole: SQLite may have rolled back the transaction.
	release := holdCommitter(t, s)
	var results []<-chan error
	for i := range 4 {
		results = append(results, receiveAsync(ctx, s, bigMsg(fmt.Sprint("BATCH", i))))
	}
	waitQueued(t, s, 4)
	release()
	for i, r := range results {
		if err := <-r; !errors.Is(err, store.ErrFull) {
			t.Errorf("request %d of a batch in a full store: %v, want ErrFull", i, err)
		}
	}
	if got := countMessages(t, s); got != stored {
		t.Fatalf("%d messages stored, want the %d acknowledged", got, stored)
	}
	checkInvariants(t, s)

	// Space returns: the next receive works, without a restart.
	setMaxPages(t, s, 1<<20)
	if _, err := s.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{bigMsg("AFTER")}}); err != nil {
		t.Fatalf("Receive after space returned: %v", err)
	}
	if got := countMessages(t, s); got != stored+1 {
		t.Fatalf("%d messages stored, want %d", got, stored+1)
	}
	checkInvariants(t, s)
}

// canary is a made-up patient name that must never appear in the database files.
const canary = "ZZCANARY^PATIENT"

// TestCodecSealsAllContent: with a codec that transforms content, a canary written through
// every content path (raw, processed, ACK, bytes sent, response, channel state) appears in
// no database file, and comes back whole through the store. With the plain codec the same
// canary is found, so the check itself works.
func TestCodecSealsAllContent(t *testing.T) {
	for _, c := range []struct {
		name  string
		codec store.Codec
		found bool
	}{
		{"xor", xorCodec{}, false},
		{"plain", store.PlainCodec{}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(ctx, filepath.Join(dir, "courier.db"), Options{Codec: c.codec, Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			with := func(what string) []byte { return []byte("PID|1||MRN1||" + canary + "|" + what + "\r") }
			m := newMsg("CAN1", "ehr")
			m.Raw, m.Processed, m.Ack = with("raw"), with("processed"), with("ack")
			rs, err := s.Receive(ctx, &store.ReceiveRequest{Messages: []*store.NewMessage{m}})
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.Claim(ctx, store.ClaimRequest{Channel: "adt-in", Destination: "ehr", Owner: "w", Lease: time.Minute, Now: base})
			if err != nil || len(res.Entries) != 1 {
				t.Fatalf("Claim: %v", err)
			}
			e := res.Entries[0]
			if !bytes.Equal(e.Content, m.Processed) {
				t.Errorf("claimed content %q, want %q", e.Content, m.Processed)
			}
			if _, err := s.Record(ctx, []store.Outcome{{EntryID: e.ID, Token: e.Token, Kind: store.OutcomeSent,
				Sent: with("sent"), Response: with("response")}}); err != nil {
				t.Fatal(err)
			}
			if err := s.StateSet(ctx, "adt-in", "last", with("state")); err != nil {
				t.Fatal(err)
			}
			got, err := s.Message(ctx, rs[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			v, _, err := s.StateGet(ctx, "adt-in", "last")
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range []struct {
				name      string
				got, want []byte
			}{
				{"raw", got.Raw, m.Raw}, {"processed", got.Processed, m.Processed}, {"ack", got.Ack, m.Ack},
				{"sent", got.Entries[0].Sent, with("sent")}, {"response", got.Attempts[0].Response, with("response")},
				{"state", v, with("state")},
			} {
				if !bytes.Equal(b.got, b.want) {
					t.Errorf("%s came back as %q, want %q", b.name, b.got, b.want)
				}
			}
			// Look in the files both while open (content in the WAL) and after Close (checkpointed).
			if found := filesContain(t, dir, canary); found != c.found {
				t.Errorf("canary in the open store's files: %v, want %v", found, c.found)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if found := filesContain(t, dir, canary); found != c.found {
				t.Errorf("canary in the closed store's files: %v, want %v", found, c.found)
			}
		})
	}
}

// filesContain reports whether any file in dir contains s.
func filesContain(t *testing.T, dir, s string) bool {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}

// TestPruneInSmallTransactions: a large Prune commits in chunks, so that receives interleave.
func TestPruneInSmallTransactions(t *testing.T) {
	s := openTest(t, Options{})
	const n = 1000
	var msgs []*store.NewMessage
	for i := range n {
		msgs = append(msgs, newMsg(fmt.Sprint("P", i)))
	}
	if _, err := s.Receive(ctx, &store.ReceiveRequest{Messages: msgs}); err != nil {
		t.Fatal(err)
	}
	for _, all := range []bool{false, true} {
		commits := s.commits.Load()
		got, err := s.Prune(ctx, base.Add(time.Hour), all, n)
		if err != nil || got != n {
			t.Fatalf("Prune(all=%v) = %d, %v; want %d", all, got, err, n)
		}
		if c := s.commits.Load() - commits; c < n/pruneChunk {
			t.Errorf("Prune(all=%v) of %d messages took %d transactions, want at least %d", all, n, c, n/pruneChunk)
		}
	}
	checkInvariants(t, s)
}

// TestQueryPlans: every query that runs per message or per claim, and every search filter,
// is served by an index: no full scan, and no sort of the whole result.
func TestQueryPlans(t *testing.T) {
	s := openTest(t, Options{})
	// A plan line "SCAN t" reads a whole table or index; "USE TEMP B-TREE" sorts the rows
	// found. No plan may scan; the queries marked noSort may not sort either.
	type plan struct {
		name, sql string
		args      []any
		noSort    bool
		need      string // the index the plan must use
	}
	const noScan, noScanNoSort = false, true
	q := func(query store.Query) (string, []any) { return messagesQuery(query) }
	var plans []plan
	for _, c := range []struct {
		name  string
		query store.Query
		index string
	}{
		{"channel", store.Query{Channel: "a"}, "messages_channel"},
		{"status", store.Query{Status: store.StatusError}, "messages_status"},
		{"patient ID", store.Query{PatientID: "P1"}, "messages_patient"},
		{"type", store.Query{Type: "ADT"}, "messages_type"},
		{"type and trigger", store.Query{Type: "ADT", Trigger: "A01"}, "messages_type"},
		{"channel and status", store.Query{Channel: "a", Status: store.StatusQueued}, "USING INDEX messages_"},
		{"before ID", store.Query{BeforeID: 100}, "INTEGER PRIMARY KEY"},
	} {
		sqlText, args := q(c.query)
		plans = append(plans, plan{"Messages by " + c.name, sqlText, args, noScanNoSort, c.index})
	}
	sqlText, args := q(store.Query{From: base, To: base.Add(time.Hour)})
	plans = append(plans, plan{"Messages by time range", sqlText, args, noScan, "messages_received"})
	// By control ID, as stored or as received: both indexes drive the search, alone or with
	// other filters (which an index on channel or status must not take over: it would read
	// a whole channel), and the few found are sorted.
	for _, c := range []struct {
		name  string
		query store.Query
	}{
		{"control ID", store.Query{ControlID: "Q1"}},
		{"channel and control ID", store.Query{Channel: "a", ControlID: "Q1"}},
		{"status and control ID", store.Query{Status: store.StatusSent, ControlID: "Q1"}},
		{"control ID, next page", store.Query{Channel: "a", ControlID: "Q1", BeforeID: 100}},
	} {
		sqlText, args = q(c.query)
		plans = append(plans, plan{"Messages by " + c.name, sqlText, args, noScan, "messages_control"},
			plan{"Messages by " + c.name + " (received)", sqlText, args, noScan, "messages_received_control"})
	}
	plans = append(plans,
		plan{"duplicate lookup", lookupSQL, []any{"k", 0, "c", 1, 0, []byte{1}, "c"}, noScanNoSort, "messages_dedupe"},
		plan{"same content lookup", lookupSQL, []any{"k", 0, "c", 1, 0, []byte{1}, "c"}, noScanNoSort, "messages_sha256"},
		plan{"strict claim: busy", laneLeasedSQL, []any{"c", "d", 0}, noScan, "entries_sending"},
		plan{"strict claim: lane", strictLaneSQL, []any{"c", "d", 1}, noScanNoSort, "entries_lane"},
		plan{"keyed claim: heads", headsSQL, []any{"c", "d", 0}, noScanNoSort, "entries_heads"},
		plan{"keyed claim: busy", keyLeasedSQL, []any{"c", "d", "k", 0, 1}, noScan, "entries_sending"},
		plan{"new entry: head", laneBusySQL, []any{"c", "d", "k"}, noScan, "entries_key_lane"},
		plan{"lane's head", laneHeadSQL, []any{"c", "d", "k"}, noScan, "entries_key_lane"},
		plan{"vacated lane's head", newHeadSQL, []any{"c", "d", "k"}, noScan, "entries_key_lane"},
		plan{"write an entry", moveEntrySQL, make([]any, 11), noScan, "SEARCH entries USING INTEGER PRIMARY KEY"},
		plan{"write an entry in its lane", updateEntrySQL, make([]any, 10), noScan, "SEARCH entries USING INTEGER PRIMARY KEY"},
		plan{"derived message status", messageStatusSQL, []any{1}, noScan, "sqlite_autoindex_entries_1"},
		plan{"message status derived in memory", setStatusSQL(placeholders(2)), []any{"SENT", 1, 2}, noScan, "SEARCH messages USING INTEGER PRIMARY KEY"},
		plan{"entries to change", loadChangesSQL(placeholders(2)), []any{1, 2}, noScan, "USING COVERING INDEX sqlite_autoindex_entries_1"},
		plan{"release owner", `SELECT id FROM entries WHERE state = 'SENDING' AND owner = ?`, []any{"o"}, noScan, "entries_owner"},
		plan{"held group", heldSQL, []any{"c", "d", "g"}, noScanNoSort, "entries_state"},
		plan{"entries by state", entriesByStateSQL, []any{"c", "d", "SENT", 1}, noScanNoSort, "entries_state"},
		plan{"entries in lanes by state", laneByStateSQL, []any{"c", "d", "PENDING", 1}, noScanNoSort, "entries_lane"},
		plan{"blocking error", blockingErrorSQL, []any{"c", "d"}, noScanNoSort, "entries_state"},
		plan{"lane's head entry", laneHeadEntrySQL, []any{"c", "d"}, noScanNoSort, "entries_lane"},
		plan{"oldest waiting entry", oldestSQL, []any{"c", "d"}, noScan, "entries_state"},
		plan{"oldest entry in a lane", oldestSQL, []any{"c", "d"}, noScan, "entries_lane"},
		plan{"message's events", `SELECT id FROM events WHERE message_id = ? ORDER BY id`, []any{1}, noScanNoSort, "events_message"},
		plan{"prune content", `SELECT m.id, m.received_at FROM messages m INDEXED BY messages_unpruned
			WHERE m.pruned = 0 AND m.received_at >= ? AND m.received_at < ? AND ` + finalSQL + ` ORDER BY m.received_at LIMIT ?`,
			[]any{0, 1, 1}, noScanNoSort, "messages_unpruned"},
	)
	explain := func(sqlText string, args []any) []string {
		t.Helper()
		rows, err := s.rdb.QueryContext(ctx, "EXPLAIN QUERY PLAN "+sqlText, args...)
		if err != nil {
			t.Fatalf("explain %s: %v", sqlText, err)
		}
		defer rows.Close()
		var lines []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, detail)
		}
		return lines
	}
	// The check itself: a filter on a column without an index is a scan.
	if got := explain("SELECT id FROM messages m WHERE m.remote = ?", []any{"x"}); len(got) != 1 || got[0] != "SCAN m" {
		t.Fatalf("plan of an unindexed filter = %q, want SCAN m", got)
	}
	for _, p := range plans {
		lines := explain(p.sql, p.args)
		text := strings.Join(lines, "; ")
		t.Logf("%-28s %s", p.name, text)
		for _, l := range lines {
			if strings.HasPrefix(l, "SCAN ") && l != "SCAN CONSTANT ROW" {
				t.Errorf("%s: plan %q scans", p.name, text)
			}
			if p.noSort && strings.HasPrefix(l, "USE TEMP B-TREE") {
				t.Errorf("%s: plan %q sorts", p.name, text)
			}
		}
		if !strings.Contains(text, p.need) {
			t.Errorf("%s: plan %q does not use %s", p.name, text, p.need)
		}
	}
}

// TestNoTemporaryBTrees: the statements that run for every message, claim and outcome build
// no temporary B-tree when they run. SQLite builds one for a constant IN list of more than
// two values (in a CHECK constraint too), for UPDATE … FROM and materialized CTEs, and for
// sorts; each costs microseconds of set-up per run, more than the row it serves. An IN list
// of IDs that drives a look-up takes one per statement from two IDs on, shared by the rows
// of a claim or an outcome batch; it is checked here with one ID, the single entry's case.
func TestNoTemporaryBTrees(t *testing.T) {
	s := openTest(t, Options{})
	in1 := placeholders(1)
	for _, c := range []struct {
		name, sql string
		args      int
	}{
		{"duplicate look-up", lookupSQL, 7},
		{"insert message", insertMessageSQL, 22},
		{"insert content", insertContentSQL, 4},
		{"lane busy", laneBusySQL, 3},
		{"insert entry", insertEntrySQL, 9},
		{"insert event", insertEventSQL, 6},
		{"strict claim: busy", laneLeasedSQL, 3},
		{"strict claim: lane", strictLaneSQL, 3},
		{"keyed claim: heads", headsSQL, 3},
		{"keyed claim: busy", keyLeasedSQL, 5},
		{"lease", leaseSQL(in1), 4},
		{"read leased entries", leasedSQL(in1), 1},
		{"read entries to change", loadChangesSQL(in1), 1},
		{"write an entry", moveEntrySQL, 11},
		{"write an entry in its lane", updateEntrySQL, 10},
		{"lane's head", laneHeadSQL, 3},
		{"vacated lane's head", newHeadSQL, 3},
		{"derived message status", messageStatusSQL, 1},
		{"message status derived in memory", setStatusSQL(in1), 2},
		{"insert attempts", insertEventsSQL(4), 48},
		{"read sequences", readSequencesSQL, 0},
		{"add queue counts", addCountSQL, 4},
		{"set a sequence", setSequenceSQL, 2},
	} {
		rows, err := s.rdb.QueryContext(ctx, "EXPLAIN "+c.sql, make([]any, c.args)...)
		if err != nil {
			t.Fatalf("%s: explain: %v", c.name, err)
		}
		for rows.Next() {
			var addr, p1, p2, p3 int
			var op string
			var p4, p5, comment any
			if err := rows.Scan(&addr, &op, &p1, &p2, &p3, &p4, &p5, &comment); err != nil {
				t.Fatal(err)
			}
			switch op {
			case "OpenEphemeral", "OpenAutoindex", "SorterOpen":
				t.Errorf("%s: runs %s at %d", c.name, op, addr)
			}
		}
		rows.Close()
	}
	// The check itself: a constant IN list of three values builds one.
	rows, err := s.rdb.QueryContext(ctx, "EXPLAIN SELECT 1 FROM entries WHERE state IN ('A', 'B', 'C')")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for rows.Next() {
		var addr, p1, p2, p3 int
		var op string
		var p4, p5, comment any
		if err := rows.Scan(&addr, &op, &p1, &p2, &p3, &p4, &p5, &comment); err != nil {
			t.Fatal(err)
		}
		found = found || op == "OpenEphemeral"
	}
	rows.Close()
	if !found {
		t.Fatal("a constant IN list of three values built no temporary B-tree: the check cannot fail")
	}
}

// TestPrunedContentLeavesNoTrace: once content is pruned and the store closed (the WAL
// checkpointed), the message bytes are nowhere in the database file: deleted content is
// overwritten, not left in free pages.
func TestPrunedContentLeavesNoTrace(t *testing.T) {
	s := openTest(t, Options{})
	const canary = "ZZCANARYSURNAME"
	var msgs []*store.NewMessage
	for i := range 200 {
		m := newMsg(fmt.Sprint("T", i))
		m.Raw = append(m.Raw, "NK1|1|"+canary+"^KIN\r"...)
		msgs = append(msgs, m)
	}
	if _, err := s.Receive(ctx, &store.ReceiveRequest{Messages: msgs}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Prune(ctx, base.Add(time.Hour), false, 1000); err != nil || n != len(msgs) {
		t.Fatalf("Prune = %d, %v", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(s.path + suffix)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if n := bytes.Count(b, []byte(canary)); n > 0 {
			t.Errorf("courier.db%s holds the pruned content %d times", suffix, n)
		}
	}
}
