package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/courier-hl7/courier/internal/store"
)

// messageCols are the metadata columns scanned by scanMessage.
const messageCols = `m.id, m.channel, m.received_at, m.remote, m.file, m.type, m.trigger_event, m.structure,
	m.control_id, m.version, m.sending_app, m.sending_facility, m.patient_id, m.status, m.error,
	m.size, m.sha256, m.same_content_as, m.reprocessed, m.pruned, m.received_control_id`

func scanMessage(r rowScanner, extra ...any) (*store.Message, error) {
	m := &store.Message{}
	var received int64
	var status string
	dest := []any{&m.ID, &m.Channel, &received, &m.Remote, &m.File, &m.Meta.Type, &m.Meta.Trigger,
		&m.Meta.Structure, &m.Meta.ControlID, &m.Meta.Version, &m.Meta.SendingApp, &m.Meta.SendingFacility,
		&m.Meta.PatientID, &status, &m.Error, &m.Size, &m.SHA256, &m.SameContentAs, &m.Reprocessed, &m.Pruned,
		&m.ReceivedControlID}
	if err := r.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	m.ReceivedAt = fromNanos(received)
	m.Status = store.MessageStatus(status)
	return m, nil
}

// Message returns a message with its content, entries, attempts and events, read in one
// snapshot.
func (s *Store) Message(ctx context.Context, id int64) (*store.Message, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	m, err := s.message(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("message %d: %w", id, err)
	}
	return m, nil
}

func (s *Store) message(ctx context.Context, id int64) (*store.Message, error) {
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, classify(err)
	}
	defer func() { _ = tx.Rollback() }() // read-only: nothing to keep

	var raw, processed, ack []byte
	m, err := scanMessage(tx.QueryRowContext(ctx, `SELECT `+messageCols+`, c.raw, c.processed, c.ack
		FROM messages m LEFT JOIN contents c ON c.id = m.id WHERE m.id = ?`, id), &raw, &processed, &ack)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, classify(err)
	}
	if m.Raw, err = s.open(raw); err != nil {
		return nil, err
	}
	if m.Raw == nil && !m.Pruned {
		m.Raw = []byte{}
	}
	if m.Processed, err = s.open(processed); err != nil {
		return nil, err
	}
	if m.Ack, err = s.open(ack); err != nil {
		return nil, err
	}

	rows, err := tx.QueryContext(ctx, `SELECT `+entryCols+`, e.sent
		FROM entries e JOIN messages m ON m.id = e.message_id WHERE e.message_id = ? ORDER BY e.id`, id)
	if err != nil {
		return nil, classify(err)
	}
	for rows.Next() {
		var sent []byte
		e, err := scanEntry(rows, &sent)
		if err != nil {
			rows.Close()
			return nil, err
		}
		if e.Sent, err = s.open(sent); err != nil {
			rows.Close()
			return nil, err
		}
		m.Entries = append(m.Entries, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}

	// Events, attempts among them (an attempt is the event that recorded it).
	rows, err = tx.QueryContext(ctx, `SELECT id, entry_id, time, kind, actor, detail,
			outcome, number, started, response_code, response, error
		FROM events WHERE message_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, classify(err)
	}
	defer rows.Close()
	m.Events = append(m.Events, receivedEvent(m))
	filteredLater := map[int64]bool{}
	for rows.Next() {
		ev := &store.Event{MessageID: id}
		var a store.Attempt
		var at, started int64
		var resp []byte
		if err := rows.Scan(&ev.ID, &ev.EntryID, &at, &ev.Kind, &ev.Actor, &ev.Detail,
			&a.Outcome, &a.Number, &started, &a.ResponseCode, &resp, &a.Error); err != nil {
			return nil, err
		}
		ev.Time = fromNanos(at)
		m.Events = append(m.Events, ev)
		if ev.Kind == "filtered" && ev.EntryID != 0 {
			filteredLater[ev.EntryID] = true
		}
		if a.Outcome == "" {
			continue
		}
		a.ID, a.EntryID, a.Started, a.Finished = ev.ID, ev.EntryID, fromNanos(started), ev.Time
		if a.Response, err = s.open(resp); err != nil {
			return nil, err
		}
		m.Attempts = append(m.Attempts, &a)
	}
	if err := rows.Err(); err != nil {
		return nil, classify(err)
	}
	m.Events[0].Detail = receivedDetail(m, filteredLater)
	return m, nil
}

// receivedEvent is the event of a message's receipt. It is not stored: the message row says
// when and where from, and its entries where it went. Its ID is 0, before every stored event
// of the message.
func receivedEvent(m *store.Message) *store.Event {
	return &store.Event{MessageID: m.ID, Time: m.ReceivedAt, Kind: "received", Actor: "engine"}
}

// receivedDetail tells where a message came from and where it was queued or filtered when it
// was received. An entry filtered later, by its destination at send time, has an event of
// its own, and was queued at receipt.
func receivedDetail(m *store.Message, filteredLater map[int64]bool) string {
	var b strings.Builder
	b.WriteString("received")
	switch {
	case m.Remote != "" && m.File != "":
		b.WriteString(" from " + m.Remote + " file " + m.File)
	case m.Remote != "":
		b.WriteString(" from " + m.Remote)
	case m.File != "":
		b.WriteString(" from file " + m.File)
	}
	if m.Reprocessed != 0 {
		fmt.Fprintf(&b, "; reprocessed from message %d", m.Reprocessed)
	}
	for _, filtered := range []bool{false, true} {
		sep := "; queued for "
		if filtered {
			sep = "; filtered by "
		}
		for _, e := range m.Entries {
			if (e.State == store.EntryFiltered && !filteredLater[e.ID]) == filtered {
				b.WriteString(sep + e.Destination)
				sep = ", "
			}
		}
	}
	return b.String()
}

// Messages returns the messages matching q, newest first, without content, entries or events.
// Each filter is served by an index; see docs/format/store.md.
func (s *Store) Messages(ctx context.Context, q store.Query) ([]*store.Message, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	query, args := messagesQuery(q)
	rows, err := s.rdb.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("messages: %w", classify(err))
	}
	defer rows.Close()
	var out []*store.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("messages: %w", err)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("messages: %w", classify(err))
	}
	return out, nil
}

// messagesQuery builds the SQL for q.
func messagesQuery(q store.Query) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		where = append(where, cond)
		args = append(args, v)
	}
	if q.Channel != "" {
		add("m.channel = ?", q.Channel)
	}
	if q.Status != "" {
		add("m.status = ?", string(q.Status))
	}
	if q.Type != "" {
		add("m.type = ?", q.Type)
	}
	if q.Trigger != "" {
		add("m.trigger_event = ?", q.Trigger)
	}
	if q.ControlID != "" {
		// The few IDs the two indexes give (messages_control, and the partial
		// messages_received_control, which the repeated condition lets the planner use)
		// drive the search, whatever else filters it: an OR of the two columns would let
		// an index on channel or status drive it instead, reading a whole channel.
		where = append(where, "m.id IN (SELECT id FROM messages WHERE control_id = ? UNION ALL "+
			"SELECT id FROM messages WHERE received_control_id = ? AND received_control_id <> '')")
		args = append(args, q.ControlID, q.ControlID)
	}
	if q.PatientID != "" {
		add("m.patient_id = ?", q.PatientID)
	}
	if !q.From.IsZero() {
		add("m.received_at >= ?", nanos(q.From))
	}
	if !q.To.IsZero() {
		add("m.received_at < ?", nanos(q.To))
	}
	if q.BeforeID > 0 {
		add("m.id < ?", q.BeforeID)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	sqlText := `SELECT ` + messageCols + ` FROM messages m`
	if len(where) > 0 {
		sqlText += " WHERE " + strings.Join(where, " AND ")
	}
	sqlText += " ORDER BY m.id DESC LIMIT ?"
	return sqlText, append(args, limit)
}

// allStates lists every entry state, in the order Entries reads them.
var allStates = []store.EntryState{store.EntryPending, store.EntrySending, store.EntryHeld, store.EntryError,
	store.EntrySent, store.EntrySkipped, store.EntryFiltered}

// Entries returns a destination's entries in the given states (all when none), in queue
// order, without content.
func (s *Store) Entries(ctx context.Context, channel, destination string, states []store.EntryState, limit int) ([]*store.Entry, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	if len(states) == 0 {
		states = allStates
	}
	if limit <= 0 {
		limit = 100
	}
	// One index range per state, merged: ordering the union in SQL would sort every
	// delivered entry of the destination. PENDING and SENDING entries, and ERROR entries
	// holding their lane, are in entries_lane; the others in entries_state.
	var out []*store.Entry
	for _, st := range slices.Compact(slices.Sorted(slices.Values(states))) {
		query := entriesByStateSQL
		if st == store.EntryPending || st == store.EntrySending {
			query = laneByStateSQL
		}
		rows, err := s.rdb.QueryContext(ctx, query, channel, destination, string(st), limit)
		if err != nil {
			return nil, fmt.Errorf("entries %s/%s: %w", channel, destination, classify(err))
		}
		for rows.Next() {
			e, err := scanEntry(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("entries %s/%s: %w", channel, destination, err)
			}
			out = append(out, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("entries %s/%s: %w", channel, destination, classify(err))
		}
	}
	slices.SortFunc(out, func(a, b *store.Entry) int { return cmp.Compare(a.ID, b.ID) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// entriesByStateSQL lists a destination's entries in one state other than PENDING and
// SENDING, in queue order (entries_state).
const entriesByStateSQL = `SELECT ` + entryCols + `
	FROM entries e JOIN messages m ON m.id = e.message_id
	WHERE e.channel = ? AND e.destination = ? AND e.state = ? AND ` + doneSQL + ` ORDER BY e.id LIMIT ?`

// laneByStateSQL lists a destination's PENDING or SENDING entries, in queue order, from its
// lane (entries_lane), which holds them with the few ERROR entries holding a lane.
const laneByStateSQL = `SELECT ` + entryCols + `
	FROM entries e JOIN messages m ON m.id = e.message_id
	WHERE e.channel = ? AND e.destination = ? AND ` + activeSQL + ` AND e.state = ? ORDER BY e.id LIMIT ?`

// Stats describes every destination queue that has entries.
func (s *Store) Stats(ctx context.Context) ([]store.QueueStats, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	out, err := s.stats(ctx)
	if err != nil {
		return nil, fmt.Errorf("stats: %w", classify(err))
	}
	return out, nil
}

func (s *Store) stats(ctx context.Context) ([]store.QueueStats, error) {
	tx, err := s.rdb.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() { _ = tx.Rollback() }() // read-only: nothing to keep

	rows, err := tx.QueryContext(ctx, `SELECT channel, destination, state, n FROM queue_counts
		WHERE n > 0 ORDER BY channel, destination`)
	if err != nil {
		return nil, err
	}
	var out []store.QueueStats
	for rows.Next() {
		var ch, dest, state string
		var n int
		if err := rows.Scan(&ch, &dest, &state, &n); err != nil {
			rows.Close()
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Channel != ch || out[len(out)-1].Destination != dest {
			out = append(out, store.QueueStats{Channel: ch, Destination: dest})
		}
		q := &out[len(out)-1]
		switch store.EntryState(state) {
		case store.EntryPending, store.EntrySending:
			q.Pending += n
		case store.EntryHeld:
			q.Held += n
		case store.EntryError:
			q.Errors += n
		case store.EntrySent:
			q.Sent += n
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	for i := range out {
		q := &out[i]
		// The oldest non-final entry: the first of each non-final state, by queue order.
		var oldest sql.NullInt64
		if err := tx.QueryRowContext(ctx, oldestSQL, q.Channel, q.Destination).Scan(&oldest); err != nil {
			return nil, err
		}
		if oldest.Valid {
			var received int64
			if err := tx.QueryRowContext(ctx, `SELECT m.received_at FROM entries e JOIN messages m ON m.id = e.message_id
				WHERE e.id = ?`, oldest.Int64).Scan(&received); err != nil {
				return nil, err
			}
			q.Oldest = fromNanos(received)
		}
		// BlockedBy: the oldest ERROR entry holding its lane, or else the destination's head
		// when it is failing: waiting for its next attempt, or in it (SENDING after a failed
		// attempt, which lasts as long as a connect that is refused again and again).
		e, err := scanEntry(tx.QueryRowContext(ctx, blockingErrorSQL, q.Channel, q.Destination))
		if errors.Is(err, sql.ErrNoRows) {
			e, err = scanEntry(tx.QueryRowContext(ctx, laneHeadEntrySQL, q.Channel, q.Destination))
			if err == nil && (e.State != store.EntryPending && e.State != store.EntrySending || e.Attempts == 0) {
				e = nil
			}
		}
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return nil, err
		default:
			q.BlockedBy = e
		}
	}
	return out, nil
}

// oldestSQL finds a destination's oldest entry waiting for delivery: the head of its lane
// (pending, being sent, or given up and holding the lane), or its oldest HELD entry. An
// entry that gave up and let its queue move on waits for an operator, not for delivery: the
// error count shows it, and it does not age the queue for ever.
const oldestSQL = `SELECT min(id) FROM (
	SELECT min(e.id) AS id FROM entries e WHERE e.channel = ?1 AND e.destination = ?2 AND ` + activeSQL + `
	UNION ALL SELECT min(e.id) FROM entries e WHERE e.channel = ?1 AND e.destination = ?2 AND e.state = 'HELD' AND ` + doneSQL + `)`

// blockingErrorSQL finds a destination's oldest ERROR entry holding its lane.
const blockingErrorSQL = `SELECT ` + entryCols + `
	FROM entries e JOIN messages m ON m.id = e.message_id
	WHERE e.channel = ? AND e.destination = ? AND e.state = 'ERROR' AND ` + doneSQL + ` AND e.hold = 1
	ORDER BY e.id LIMIT 1`

// laneHeadEntrySQL reads the head of a destination's lane.
const laneHeadEntrySQL = `SELECT ` + entryCols + `
	FROM entries e JOIN messages m ON m.id = e.message_id
	WHERE e.channel = ? AND e.destination = ? AND ` + activeSQL + `
	ORDER BY e.id LIMIT 1`

// StateGet reads a channel's state value.
func (s *Store) StateGet(ctx context.Context, channel, key string) ([]byte, bool, error) {
	if err := s.enter(); err != nil {
		return nil, false, err
	}
	defer s.leave()
	var sealed []byte
	err := s.rdb.QueryRowContext(ctx, `SELECT value FROM channel_state WHERE channel = ? AND key = ?`, channel, key).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("state get %s %q: %w", channel, key, classify(err))
	}
	if sealed == nil {
		sealed = []byte{}
	}
	v, err := s.open(sealed)
	if err != nil {
		return nil, false, fmt.Errorf("state get %s %q: %w", channel, key, err)
	}
	return v, true, nil
}

// StateSet writes a channel's state value; a nil value deletes the key.
func (s *Store) StateSet(ctx context.Context, channel, key string, value []byte) error {
	var sealed []byte
	if value != nil {
		var err error
		if sealed, err = s.seal(value); err != nil {
			return fmt.Errorf("state set %s %q: %w", channel, key, err)
		}
	}
	now := s.now().UnixNano()
	err := s.do(ctx, true, func(w *writer) error {
		if value == nil {
			_, err := w.exec(`DELETE FROM channel_state WHERE channel = ? AND key = ?`, channel, key)
			return err
		}
		_, err := w.exec(`INSERT INTO channel_state (channel, key, value, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (channel, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			channel, key, sealed, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("state set %s %q: %w", channel, key, err)
	}
	return nil
}
