package sqlite

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/courier-hl7/courier/internal/store"
)

// Entry changes.
//
// Outcomes and operator actions change entries the same way: the writer reads the entries
// once (loadChanges), the call changes them in memory, in order (an entry held and then
// sent in one call is seen held by the second outcome), and writeChanges writes each changed
// entry once and keeps what is derived from entries, for the whole call at once:
//
//   - active: whether the entry takes part in its lane's order (PENDING, SENDING, or ERROR
//     holding its lane). Lane indexes are partial on it, so a change that keeps an entry in
//     its lane (a lease, a retry) leaves them alone.
//   - head: the oldest active entry of each key lane. A lane whose head left gets the next
//     active entry as its head, once however many of its entries left; a lane an entry
//     joined (a retried or released held entry, an operator's retry) is judged again.
//   - the message's derived status, once per message whose entries entered or left ERROR or
//     a final state, rewriting only those whose status changes.
//   - queue_counts, in memory until the transaction commits (writer.move).
//   - the events, attempts included, with multi-row inserts.

// change is one entry as an outcome or an operator action changes it.
type change struct {
	id, msgID, token   int64
	channel, dest, key string
	// siblings is the number of entries of the message, this one included, as read.
	siblings int
	// was, wasHold and wasHead are the entry as read.
	was              store.EntryState
	wasHold, wasHead bool
	// The entry as it is to be written.
	state           store.EntryState
	hold, head      bool
	attempts, total int
	next            int64
	lastError, grp  string
	sent            []byte // sealed; written for SENT entries
	at              int64  // updated_at
	changed         bool
}

// activeState reports whether an entry in state (with hold) takes part in its lane's order.
func activeState(state store.EntryState, hold bool) bool {
	return state == store.EntryPending || state == store.EntrySending || (state == store.EntryError && hold)
}

func (c *change) wasActive() bool { return activeState(c.was, c.wasHold) }
func (c *change) active() bool    { return activeState(c.state, c.hold) }

// statusChanges reports whether the change can change its message's derived status: the
// entry entered or left ERROR or a final state.
func (c *change) statusChanges() bool {
	return (c.was == store.EntryError) != (c.state == store.EntryError) || c.was.Final() != c.state.Final()
}

// loadChangesSQL reads what a change needs of the entries whose IDs are in the IN list in,
// with the number of entries of each one's message (from the covering index on
// (message_id, destination)): when a call loads all of a message's entries, which it does for
// every message with one destination, it derives the message's status in memory.
func loadChangesSQL(in string) string {
	return `SELECT id, message_id, token, channel, destination, order_key, state, hold, head,
			attempts, attempts_total, next_attempt_at, last_error, grp,
			(SELECT count(*) FROM entries s WHERE s.message_id = entries.message_id)
		FROM entries WHERE id IN ` + in
}

// loadChanges reads the entries with the given IDs; an unknown ID has no change.
func loadChanges(w *writer, ids []int64) (map[int64]*change, error) {
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	out := make(map[int64]*change, len(ids))
	err := inChunks(ids, func(in string, args []any) error {
		rows, err := w.query(loadChangesSQL(in), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c := &change{}
			var state string
			if err := rows.Scan(&c.id, &c.msgID, &c.token, &c.channel, &c.dest, &c.key, &state, &c.hold, &c.head,
				&c.attempts, &c.total, &c.next, &c.lastError, &c.grp, &c.siblings); err != nil {
				return err
			}
			c.was, c.state = store.EntryState(state), store.EntryState(state)
			c.wasHold, c.wasHead = c.hold, c.head
			out[c.id] = c
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("read entries: %w", err)
	}
	return out, nil
}

// writeChanges writes the changed entries of cs and what derives from them (see the comment
// at the top of this file), and inserts evs.
func writeChanges(w *writer, cs map[int64]*change, evs []event) error {
	var stay, move []*change // entries that keep their lane membership, and those that join or leave
	for _, c := range cs {
		if !c.changed {
			continue
		}
		if c.active() == c.wasActive() {
			stay = append(stay, c)
		} else {
			move = append(move, c)
		}
	}
	// The map's order must not decide the statements' order: a batch that runs again must
	// do the same.
	byID := func(a, b *change) int { return cmp.Compare(a.id, b.id) }
	slices.SortFunc(stay, byID)
	slices.SortFunc(move, byID)

	// Lanes an entry joins are judged again; their head before the change is found now,
	// while the head invariant still holds. The other lanes whose head leaves are vacated:
	// their next active entry becomes the head.
	type judged struct {
		lane laneKey
		head int64 // before the change; 0 for none
	}
	var rejudge []judged
	joined := map[laneKey]bool{}
	for _, c := range move {
		lane := laneKey{c.channel, c.dest, c.key}
		if c.active() && !joined[lane] {
			var head int64
			if err := w.queryRow(laneHeadSQL, []any{lane.channel, lane.destination, lane.key}, &nullInt{&head}); err != nil {
				return fmt.Errorf("find the head of %s: %w", lane.destination, err)
			}
			rejudge = append(rejudge, judged{lane, head})
			joined[lane] = true
		}
	}
	var vacated []laneKey
	for _, c := range move {
		lane := laneKey{c.channel, c.dest, c.key}
		if c.wasHead && !joined[lane] {
			vacated = append(vacated, lane) // once: a lane has one head
		}
		c.head = false // moveEntrySQL writes head 0; a joining entry is made head below if it is one
	}

	for _, c := range stay {
		if _, err := w.exec(updateEntrySQL, c.args(false)...); err != nil {
			return fmt.Errorf("update entry %d: %w", c.id, err)
		}
	}
	for _, c := range move {
		if _, err := w.exec(moveEntrySQL, c.args(true)...); err != nil {
			return fmt.Errorf("update entry %d: %w", c.id, err)
		}
	}

	// Heads. A vacated lane's next active entry is its head. A lane an entry joined has as
	// its head the oldest of its active entries now; the head it had before steps down.
	for _, l := range vacated {
		if _, err := w.exec(newHeadSQL, l.channel, l.destination, l.key); err != nil {
			return fmt.Errorf("hand on the head of %s: %w", l.destination, err)
		}
	}
	for _, j := range rejudge {
		var head int64
		if err := w.queryRow(laneHeadSQL, []any{j.lane.channel, j.lane.destination, j.lane.key}, &nullInt{&head}); err != nil {
			return fmt.Errorf("find the head of %s: %w", j.lane.destination, err)
		}
		if head == j.head {
			continue
		}
		if j.head != 0 {
			if _, err := w.exec(`UPDATE entries SET head = 0 WHERE id = ?`, j.head); err != nil {
				return fmt.Errorf("set the head of %s: %w", j.lane.destination, err)
			}
		}
		if head != 0 {
			if _, err := w.exec(`UPDATE entries SET head = 1 WHERE id = ?`, head); err != nil {
				return fmt.Errorf("set the head of %s: %w", j.lane.destination, err)
			}
		}
	}

	// Derived message statuses, and queue counts.
	var msgs []int64
	for _, c := range cs {
		if c.changed {
			w.move(c.channel, c.dest, c.was, c.state)
			if c.statusChanges() {
				msgs = append(msgs, c.msgID)
			}
		}
	}
	if len(msgs) > 0 {
		slices.Sort(msgs)
		msgs = slices.Compact(msgs)
		derived := deriveStatuses(cs, msgs)
		byStatus := map[store.MessageStatus][]int64{}
		for _, id := range msgs {
			if st, ok := derived[id]; ok {
				byStatus[st] = append(byStatus[st], id)
				continue
			}
			if _, err := w.exec(messageStatusSQL, id); err != nil {
				return fmt.Errorf("update the status of message %d: %w", id, err)
			}
		}
		for _, st := range []store.MessageStatus{store.StatusError, store.StatusQueued, store.StatusSent} {
			err := inChunks(byStatus[st], func(in string, args []any) error {
				_, err := w.exec(setStatusSQL(in), append([]any{string(st)}, args...)...)
				return err
			})
			if err != nil {
				return fmt.Errorf("update the status of messages: %w", err)
			}
		}
	}
	return insertEvents(w, evs)
}

// deriveStatuses derives, from the entries as changed, the status of each message of msgs
// whose entries cs holds all of: ERROR if an entry is, else QUEUED while an entry is not
// final, else SENT (as derivedStatusSQL does). The other messages are left out: their status
// is derived by the database, from entries this call did not read.
func deriveStatuses(cs map[int64]*change, msgs []int64) map[int64]store.MessageStatus {
	type tally struct {
		loaded, siblings int
		failed, open     bool
	}
	ts := make(map[int64]*tally, len(msgs))
	for _, id := range msgs {
		ts[id] = &tally{}
	}
	for _, c := range cs {
		t := ts[c.msgID]
		if t == nil {
			continue
		}
		t.loaded++
		t.siblings = c.siblings
		t.failed = t.failed || c.state == store.EntryError
		t.open = t.open || !c.state.Final()
	}
	out := make(map[int64]store.MessageStatus, len(msgs))
	for id, t := range ts {
		if t.loaded != t.siblings {
			continue
		}
		switch {
		case t.failed:
			out[id] = store.StatusError
		case t.open:
			out[id] = store.StatusQueued
		default:
			out[id] = store.StatusSent
		}
	}
	return out
}

// pow2Prefix is how many of n rows the next multi-row statement takes: the largest power of
// two up to n and maxList, so that a handful of prepared statements serve every count
// (10 rows go as 8 and 2).
func pow2Prefix(n int) int {
	size := 1
	for size*2 <= min(n, maxList) {
		size *= 2
	}
	return size
}

// updateEntrySQL writes a change that keeps the entry in or out of its lane; moveEntrySQL
// one that moves it in or out, and sets head to 0 (see writeChanges). An UPDATE rewrites its
// row's entry in every index on a column it sets (or whose partial-index condition names the
// column), whether the value changed or not, so the first sets neither active nor head.
// Each change is one statement: a multi-row UPDATE … FROM materializes its rows in a
// temporary B-tree, which costs more than running a prepared statement again.
const (
	updateEntrySQL = `UPDATE entries SET state = ?, hold = ?, owner = '', lease_until = 0, grp = ?,
		attempts = ?, attempts_total = ?, next_attempt_at = ?, last_error = ?, sent = ?, updated_at = ?
		WHERE id = ?`
	moveEntrySQL = `UPDATE entries SET state = ?, hold = ?, owner = '', lease_until = 0, grp = ?,
		attempts = ?, attempts_total = ?, next_attempt_at = ?, last_error = ?, sent = ?, updated_at = ?,
		active = ?, head = 0
		WHERE id = ?`
)

// args are the arguments of updateEntrySQL, or with lane of moveEntrySQL.
func (c *change) args(lane bool) []any {
	args := []any{string(c.state), c.hold, c.grp, c.attempts, c.total, c.next, c.lastError, c.sent, c.at}
	if lane {
		args = append(args, c.active())
	}
	return append(args, c.id)
}

// newHeadSQL makes the oldest active entry of a key lane its head.
const newHeadSQL = `UPDATE entries SET head = 1 WHERE id = (` + laneHeadSQL + `)`

// messageStatusSQL derives a message's status from its entries and writes it if it changed:
// ERROR if an entry is, else QUEUED while an entry is not final, else SENT. (A constant list
// of more than two values is written without IN, which SQLite evaluates with a temporary
// B-tree built each time the statement runs.)
const messageStatusSQL = `UPDATE messages SET status = (` + derivedStatusSQL + `)
	WHERE id = ?1 AND status <> (` + derivedStatusSQL + `)`

// setStatusSQL writes one status, derived in memory (see deriveStatuses), to the messages
// whose IDs are in the IN list in, where it changed: one statement for all the messages of a
// call that end in that status, reading no entry, where messageStatusSQL runs once per
// message and derives the status twice.
func setStatusSQL(in string) string {
	return `UPDATE messages SET status = ?1 WHERE status <> ?1 AND id IN ` + in
}

const derivedStatusSQL = `SELECT CASE
		WHEN max(state = 'ERROR') THEN 'ERROR'
		WHEN max(state <> 'SENT' AND state <> 'SKIPPED' AND state <> 'FILTERED') THEN 'QUEUED'
		ELSE 'SENT' END
	FROM entries WHERE message_id = ?1`

// event is a row of events: a thing that happened to a message, or one of its entries'
// delivery attempts (outcome set).
type event struct {
	msgID, entryID, at  int64
	kind, actor, detail string
	// An attempt's columns; outcome is empty for other events.
	outcome  string
	number   int
	started  int64
	code     string
	response []byte // sealed
	err      string
}

// insertEventsSQL inserts n events.
func insertEventsSQL(n int) string {
	return `INSERT INTO events (message_id, entry_id, time, kind, actor, detail, outcome, number, started,
		response_code, response, error) VALUES ` + rowPlaceholders(n, 12)
}

// insertEvents inserts evs in order, with multi-row inserts of power-of-two sizes so that a
// handful of prepared statements serve every count.
func insertEvents(w *writer, evs []event) error {
	for len(evs) > 0 {
		n := pow2Prefix(len(evs))
		args := make([]any, 0, n*12)
		for _, e := range evs[:n] {
			args = append(args, e.msgID, e.entryID, e.at, e.kind, e.actor, e.detail,
				e.outcome, e.number, e.started, e.code, e.response, e.err)
		}
		if _, err := w.exec(insertEventsSQL(n), args...); err != nil {
			return fmt.Errorf("insert %s event: %w", evs[0].kind, err)
		}
		evs = evs[n:]
	}
	return nil
}

// nullInt scans an INTEGER that may be NULL into an int64, NULL as 0.
type nullInt struct{ p *int64 }

func (n *nullInt) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*n.p = 0
	case int64:
		*n.p = v
	default:
		return fmt.Errorf("scan %T into an integer", v)
	}
	return nil
}
