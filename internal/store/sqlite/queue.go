package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/courier-hl7/courier/internal/store"
)

// activeSQL is the condition for an entry that takes part in its lane's order: the store sets
// entries.active when an entry joins or leaves its lane (PENDING, SENDING, or ERROR holding
// the lane). It reads as in the partial indexes entries_lane and entries_key_lane, so that
// SQLite uses them.
const activeSQL = "e.active = 1"

// strictLaneSQL lists a destination's lane in queue order, for strict claims.
const strictLaneSQL = `SELECT e.id, e.state, e.next_attempt_at FROM entries e
	WHERE e.channel = ? AND e.destination = ? AND ` + activeSQL + `
	ORDER BY e.id LIMIT ?`

// laneLeasedSQL reports whether a destination has a live lease, for strict claims.
const laneLeasedSQL = `SELECT EXISTS (SELECT 1 FROM entries e
	WHERE e.channel = ? AND e.destination = ? AND e.state = 'SENDING' AND e.lease_until > ?)`

// headsSQL lists the heads of a destination's key lanes, oldest first, for keyed claims.
const headsSQL = `SELECT e.id, e.order_key, e.state, e.next_attempt_at, e.lease_until FROM entries e
	WHERE e.channel = ? AND e.destination = ? AND e.head = 1 AND e.id > ?
	ORDER BY e.id LIMIT 64`

// keyLeasedSQL reports whether a key lane has a live lease on another entry, for keyed claims.
const keyLeasedSQL = `SELECT EXISTS (SELECT 1 FROM entries e
	WHERE e.channel = ? AND e.destination = ? AND e.order_key = ? AND e.state = 'SENDING'
		AND e.lease_until > ? AND e.id <> ?)`

// doneSQL is the condition of entries_state, which lists entries by state except those of
// lanes (PENDING, SENDING), which entries_lane lists. A query by another state adds it, so
// that SQLite uses the index.
const doneSQL = "e.state NOT IN ('PENDING', 'SENDING')"

// heldSQL lists a destination's entries held in a group, in queue order, with content.
const heldSQL = `SELECT ` + entryCols + `, c.raw, c.processed
	FROM entries e JOIN messages m ON m.id = e.message_id LEFT JOIN contents c ON c.id = e.message_id
	WHERE e.channel = ? AND e.destination = ? AND e.state = 'HELD' AND ` + doneSQL + ` AND e.grp = ?
	ORDER BY e.id`

// laneHeadSQL finds the oldest active entry of a key lane: its head.
const laneHeadSQL = `SELECT min(id) FROM entries WHERE channel = ? AND destination = ? AND order_key = ? AND active = 1`

// entryCols are the columns scanned by scanEntry, from entries e joined with messages m.
const entryCols = `e.id, e.message_id, e.channel, e.destination, e.order_key, e.state, e.attempts,
	e.next_attempt_at, e.last_error, e.grp, e.owner, e.lease_until, e.token, e.updated_at,
	m.received_at, m.type, m.trigger_event, m.structure, m.control_id, m.version,
	m.sending_app, m.sending_facility, m.patient_id`

// rowScanner is *sql.Row or *sql.Rows.
type rowScanner interface{ Scan(dest ...any) error }

// scanEntry scans entryCols, then extra.
func scanEntry(r rowScanner, extra ...any) (*store.Entry, error) {
	e := &store.Entry{}
	var state string
	var next, lease, updated, received int64
	dest := []any{&e.ID, &e.MessageID, &e.Channel, &e.Destination, &e.OrderKey, &state, &e.Attempts,
		&next, &e.LastError, &e.Group, &e.Owner, &lease, &e.Token, &updated,
		&received, &e.Meta.Type, &e.Meta.Trigger, &e.Meta.Structure, &e.Meta.ControlID, &e.Meta.Version,
		&e.Meta.SendingApp, &e.Meta.SendingFacility, &e.Meta.PatientID}
	if err := r.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	e.State = store.EntryState(state)
	e.NextAttemptAt = fromNanos(next)
	e.LeaseUntil = fromNanos(lease)
	e.UpdatedAt = fromNanos(updated)
	e.ReceivedAt = fromNanos(received)
	return e, nil
}

// claimed is an entry leased by a claim, with its sealed content.
type claimed struct {
	e              *store.Entry
	raw, processed []byte
}

// Claim leases the next due entries of a destination. It writes (the leases), so it runs in
// the committer, but it does not wait for fsync: see request.durable.
func (s *Store) Claim(ctx context.Context, req store.ClaimRequest) (store.ClaimResult, error) {
	switch {
	case req.Channel == "" || req.Destination == "":
		return store.ClaimResult{}, errors.New("claim: channel and destination are required")
	case req.Owner == "":
		return store.ClaimResult{}, errors.New("claim: owner is required")
	case req.Lease <= 0:
		return store.ClaimResult{}, fmt.Errorf("claim %s/%s: lease must be positive, got %v", req.Channel, req.Destination, req.Lease)
	}
	limit := max(req.Max, 1)
	now := nanos(req.Now)
	if now == 0 {
		now = s.now().UnixNano()
	}
	until := now + req.Lease.Nanoseconds()

	var got []claimed
	var nextDue int64
	var blocked *store.Entry
	err := s.do(ctx, false, func(w *writer) error {
		got, nextDue, blocked = got[:0], 0, nil // the function may run twice
		var cands []candidate
		var blockedID int64
		var err error
		if req.Keyed {
			cands, nextDue, err = keyedCandidates(w, req.Channel, req.Destination, now, limit)
		} else {
			cands, nextDue, blockedID, err = strictCandidates(w, req.Channel, req.Destination, now, limit)
		}
		if err != nil {
			return err
		}
		// The leases, then the entries with their content: one statement each for the
		// whole claim. A lease keeps the entry in its lane (SENDING is active), so it
		// changes no head and no message status.
		ids := make([]int64, len(cands))
		for i, cand := range cands {
			ids[i] = cand.id
			w.move(req.Channel, req.Destination, cand.state, store.EntrySending)
		}
		err = inChunks(ids, func(in string, args []any) error {
			_, err := w.exec(leaseSQL(in), append([]any{req.Owner, until, now}, args...)...)
			return err
		})
		if err != nil {
			return fmt.Errorf("lease entries: %w", err)
		}
		err = inChunks(ids, func(in string, args []any) error {
			rows, err := w.query(leasedSQL(in), args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var c claimed
				if c.e, err = scanEntry(rows, &c.raw, &c.processed); err != nil {
					return err
				}
				got = append(got, c)
			}
			return rows.Err()
		})
		if err != nil {
			return fmt.Errorf("load leased entries: %w", err)
		}
		if len(got) != len(ids) {
			return fmt.Errorf("leased %d entries, loaded %d", len(ids), len(got))
		}
		if blockedID != 0 {
			st, err := w.stmt(`SELECT ` + entryCols + ` FROM entries e JOIN messages m ON m.id = e.message_id WHERE e.id = ?`)
			if err != nil {
				return err
			}
			if blocked, err = scanEntry(st.QueryRowContext(bg, blockedID)); err != nil {
				return fmt.Errorf("load entry %d: %w", blockedID, err)
			}
		}
		return nil
	})
	if err != nil {
		return store.ClaimResult{}, fmt.Errorf("claim %s/%s: %w", req.Channel, req.Destination, err)
	}
	res := store.ClaimResult{NextDue: fromNanos(nextDue), BlockedBy: blocked}
	for _, c := range got {
		content := c.processed
		if content == nil {
			content = c.raw
		}
		// The leases are taken; if the content cannot be opened they expire and the entries
		// are claimed again, which fails the same way and stays visible as a stuck lane.
		if c.e.Content, err = s.open(content); err != nil {
			return store.ClaimResult{}, fmt.Errorf("claim %s/%s: entry %d: %w", req.Channel, req.Destination, c.e.ID, err)
		}
		res.Entries = append(res.Entries, c.e)
	}
	return res, nil
}

// leaseSQL leases the entries whose IDs are in the IN list in; a lease keeps an entry in
// its lane, so it sets neither active nor head.
func leaseSQL(in string) string {
	return `UPDATE entries SET state = 'SENDING', owner = ?, lease_until = ?, token = token + 1, updated_at = ?
		WHERE id IN ` + in
}

// leasedSQL reads the entries whose IDs are in the IN list in, with their content.
func leasedSQL(in string) string {
	return `SELECT ` + entryCols + `, c.raw, c.processed
		FROM entries e JOIN messages m ON m.id = e.message_id LEFT JOIN contents c ON c.id = e.message_id
		WHERE e.id IN ` + in + ` ORDER BY e.id`
}

// candidate is an entry a claim may lease, and the state it is in.
type candidate struct {
	id    int64
	state store.EntryState
}

// strictCandidates finds the entries a strict FIFO claim may lease: the head of the
// destination's lane and the due entries right behind it, unless a live lease makes the lane
// busy. When the head is not due, nextDue is its next attempt and blockedID the head; when
// the head is an ERROR holding the lane, blockedID is the head.
func strictCandidates(w *writer, channel, dest string, now int64, limit int) (cands []candidate, nextDue, blockedID int64, err error) {
	var busy bool
	if err := w.queryRow(laneLeasedSQL, []any{channel, dest, now}, &busy); err != nil {
		return nil, 0, 0, err
	}
	if busy {
		return nil, 0, 0, nil
	}
	rows, err := w.query(strictLaneSQL, channel, dest, limit)
	if err != nil {
		return nil, 0, 0, err
	}
	defer rows.Close()
	for first := true; rows.Next(); first = false {
		var id, next int64
		var state string
		if err := rows.Scan(&id, &state, &next); err != nil {
			return nil, 0, 0, err
		}
		due := state == string(store.EntrySending) || // its lease expired: the lane is not busy
			(state == string(store.EntryPending) && next <= now)
		if !due {
			if first {
				blockedID = id
				if state == string(store.EntryPending) {
					nextDue = next
				}
			}
			break
		}
		cands = append(cands, candidate{id, store.EntryState(state)})
	}
	return cands, nextDue, blockedID, rows.Err()
}

// keyedCandidates finds the entries a keyed claim may lease: the due heads of the
// destination's key lanes whose lane has no other live lease, oldest first. When none is
// due, nextDue is the earliest next attempt of a waiting head.
func keyedCandidates(w *writer, channel, dest string, now int64, limit int) (cands []candidate, nextDue int64, err error) {
	type head struct {
		id, next, lease int64
		key, state      string
	}
	var after int64
	for len(cands) < limit {
		rows, err := w.query(headsSQL, channel, dest, after)
		if err != nil {
			return nil, 0, err
		}
		var heads []head
		for rows.Next() {
			var h head
			if err := rows.Scan(&h.id, &h.key, &h.state, &h.next, &h.lease); err != nil {
				rows.Close()
				return nil, 0, err
			}
			heads = append(heads, h)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, 0, err
		}
		if len(heads) == 0 {
			break
		}
		after = heads[len(heads)-1].id
		for _, h := range heads {
			if len(cands) == limit {
				break
			}
			switch {
			case h.state == string(store.EntryPending) && h.next > now:
				if nextDue == 0 || h.next < nextDue {
					nextDue = h.next
				}
				continue
			case h.state == string(store.EntryPending):
			case h.state == string(store.EntrySending) && h.lease <= now:
			default: // leased, or an ERROR holding its lane
				continue
			}
			// An operator may have retried an older entry of this key while a newer one is
			// in flight: the key lane stays one-at-a-time.
			var busy bool
			if err := w.queryRow(keyLeasedSQL, []any{channel, dest, h.key, now, h.id}, &busy); err != nil {
				return nil, 0, err
			}
			if !busy {
				cands = append(cands, candidate{h.id, store.EntryState(h.state)})
			}
		}
	}
	if len(cands) > 0 {
		nextDue = 0
	}
	return cands, nextDue, nil
}

// Record stores the outcomes of claimed entries, each checked against its entry's current
// fencing token. The whole call reads its entries with one statement and writes them with
// one per form of change (see writeChanges).
func (s *Store) Record(ctx context.Context, outcomes []store.Outcome) ([]error, error) {
	sent := make([][]byte, len(outcomes))
	resp := make([][]byte, len(outcomes))
	for i, o := range outcomes {
		var err error
		if sent[i], err = s.seal(o.Sent); err != nil {
			return nil, fmt.Errorf("record entry %d: %w", o.EntryID, err)
		}
		if resp[i], err = s.seal(o.Response); err != nil {
			return nil, fmt.Errorf("record entry %d: %w", o.EntryID, err)
		}
	}
	errs := make([]error, len(outcomes))
	now := s.now().UnixNano()
	err := s.do(ctx, true, func(w *writer) error {
		clear(errs) // the function may run twice
		w.forgetLanes()
		ids := make([]int64, len(outcomes))
		for i, o := range outcomes {
			ids[i] = o.EntryID
		}
		cs, err := loadChanges(w, ids)
		if err != nil {
			return err
		}
		var evs []event
		for i := range outcomes {
			evs, errs[i] = applyOutcome(cs[outcomes[i].EntryID], &outcomes[i], sent[i], resp[i], now, evs)
		}
		return writeChanges(w, cs, evs)
	})
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	return errs, nil
}

// applyOutcome applies one outcome to its entry, as read by loadChanges (nil when there is
// none) and changed by the outcomes before it in the call, and appends its event. The error
// is the outcome's own: not found, stale lease, or an invalid outcome.
func applyOutcome(c *change, o *store.Outcome, sent, resp []byte, now int64, evs []event) ([]event, error) {
	if c == nil {
		return evs, fmt.Errorf("entry %d: %w", o.EntryID, store.ErrNotFound)
	}
	if c.token != o.Token || (c.state != store.EntrySending && c.state != store.EntryHeld) {
		return evs, fmt.Errorf("entry %d: token %d: %w", o.EntryID, o.Token, store.ErrStaleLease)
	}
	at := nanos(o.Finished)
	if at == 0 {
		at = now
	}
	started := nanos(o.Started)
	if started == 0 {
		started = at
	}
	ev := event{msgID: c.msgID, entryID: c.id, at: at, actor: "engine"}
	attempt := func(outcome, kind, detail string) {
		c.attempts++
		c.total++
		ev.kind, ev.detail, ev.outcome, ev.number = kind, detail, outcome, c.total
		ev.started, ev.code, ev.response, ev.err = started, o.ResponseCode, resp, o.Error
	}
	switch o.Kind {
	case store.OutcomeSent:
		c.state, c.hold, c.grp, c.next, c.lastError, c.sent = store.EntrySent, false, "", 0, "", sent
		attempt("SENT", "sent", withCode("delivered", o.ResponseCode))
	case store.OutcomeRetry:
		c.state, c.hold, c.grp, c.next, c.lastError = store.EntryPending, false, "", nanos(o.NextAttemptAt), o.Error
		detail := withCode("failed", o.ResponseCode) + ": " + o.Error
		if !o.NextAttemptAt.IsZero() {
			detail += "; next attempt at " + o.NextAttemptAt.UTC().Format(time.RFC3339Nano)
		}
		attempt("RETRY", "attempt", detail)
	case store.OutcomeFailed:
		policy := "the queue holds until an operator acts"
		if o.MoveOn {
			policy = "the queue moves on"
		}
		c.state, c.hold, c.grp, c.next, c.lastError = store.EntryError, !o.MoveOn, "", 0, o.Error
		attempt("FAILED", "failed", withCode("gave up", o.ResponseCode)+": "+o.Error+"; "+policy)
	case store.OutcomeHeld:
		if o.Group == "" {
			return evs, fmt.Errorf("entry %d: held outcome without a group", o.EntryID)
		}
		c.state, c.hold, c.grp = store.EntryHeld, false, o.Group
		ev.kind, ev.detail = "held", "held in group "+o.Group
	case store.OutcomeRelease:
		c.state, c.hold, c.grp = store.EntryPending, false, ""
	case store.OutcomeFiltered:
		c.state, c.hold, c.grp = store.EntryFiltered, false, ""
		ev.kind, ev.detail = "filtered", "filtered by the destination"
	default:
		return evs, fmt.Errorf("entry %d: unknown outcome kind %d", o.EntryID, o.Kind)
	}
	c.at, c.changed = at, true
	if ev.kind != "" {
		evs = append(evs, ev)
	}
	return evs, nil
}

func withCode(s, code string) string {
	if code == "" {
		return s
	}
	return s + " (" + code + ")"
}

// Held returns the HELD entries of a destination's group in queue order, with content and
// the tokens to record their outcomes with.
func (s *Store) Held(ctx context.Context, channel, destination, group string) ([]*store.Entry, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	rows, err := s.rdb.QueryContext(ctx, heldSQL, channel, destination, group)
	if err != nil {
		return nil, fmt.Errorf("held %s/%s: %w", channel, destination, classify(err))
	}
	defer rows.Close()
	var out []*store.Entry
	for rows.Next() {
		var raw, processed []byte
		e, err := scanEntry(rows, &raw, &processed)
		if err != nil {
			return nil, fmt.Errorf("held %s/%s: %w", channel, destination, err)
		}
		content := processed
		if content == nil {
			content = raw
		}
		if e.Content, err = s.open(content); err != nil {
			return nil, fmt.Errorf("held %s/%s: entry %d: %w", channel, destination, e.ID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("held %s/%s: %w", channel, destination, classify(err))
	}
	return out, nil
}

// HeldGroups counts a destination's held entries per group (entries_state finds them).
func (s *Store) HeldGroups(ctx context.Context, channel, destination string) (map[string]int, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.leave()
	rows, err := s.rdb.QueryContext(ctx, `SELECT grp, count(*) FROM entries
		WHERE channel = ? AND destination = ? AND state = 'HELD' GROUP BY grp`, channel, destination)
	if err != nil {
		return nil, fmt.Errorf("held groups %s/%s: %w", channel, destination, classify(err))
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var g string
		var n int
		if err := rows.Scan(&g, &n); err != nil {
			return nil, fmt.Errorf("held groups %s/%s: %w", channel, destination, err)
		}
		out[g] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("held groups %s/%s: %w", channel, destination, classify(err))
	}
	return out, nil
}

// ReleaseOwner gives back every lease held by owner.
func (s *Store) ReleaseOwner(ctx context.Context, owner string) (int, error) {
	if owner == "" {
		return 0, errors.New("release owner: owner is required")
	}
	var n int64
	now := s.now().UnixNano()
	err := s.do(ctx, true, func(w *writer) error {
		n = 0
		rows, err := w.query(`UPDATE entries SET state = 'PENDING', owner = '', lease_until = 0, updated_at = ?
			WHERE state = 'SENDING' AND owner = ? RETURNING channel, destination`, now, owner)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var channel, dest string
			if err := rows.Scan(&channel, &dest); err != nil {
				return err
			}
			w.move(channel, dest, store.EntrySending, store.EntryPending)
			n++
		}
		return rows.Err()
	})
	if err != nil {
		return 0, fmt.Errorf("release owner %s: %w", owner, err)
	}
	return int(n), nil
}

// Retry makes an ERROR or PENDING entry due now and starts its attempt count again; its
// attempt history is kept.
func (s *Store) Retry(ctx context.Context, entryID int64, actor string) error {
	return s.operate(ctx, entryID, actor, "retry", func(c *change, now int64) (event, error) {
		was := c.state
		if was != store.EntryError && was != store.EntryPending {
			return event{}, fmt.Errorf("retry entry %d: it is %s: %w", entryID, was, store.ErrInvalidState)
		}
		c.state, c.hold, c.next, c.attempts = store.EntryPending, false, 0, 0
		return event{kind: "retried", detail: "retried by " + actor + " (was " + string(was) + ")"}, nil
	})
}

// Skip makes a PENDING, HELD or ERROR entry SKIPPED (final).
func (s *Store) Skip(ctx context.Context, entryID int64, actor string) error {
	return s.operate(ctx, entryID, actor, "skip", func(c *change, now int64) (event, error) {
		was := c.state
		switch was {
		case store.EntryPending, store.EntryHeld, store.EntryError:
		default:
			return event{}, fmt.Errorf("skip entry %d: it is %s: %w", entryID, was, store.ErrInvalidState)
		}
		c.state, c.hold, c.grp = store.EntrySkipped, false, ""
		return event{kind: "skipped", detail: "skipped by " + actor + " (was " + string(was) + ")"}, nil
	})
}

// operate runs an operator action on one entry: fn changes the entry and returns the event
// to record with the actor.
func (s *Store) operate(ctx context.Context, entryID int64, actor, verb string, fn func(c *change, now int64) (event, error)) error {
	if actor == "" {
		return fmt.Errorf("%s entry %d: actor is required", verb, entryID)
	}
	now := s.now().UnixNano()
	return s.do(ctx, true, func(w *writer) error {
		w.forgetLanes()
		cs, err := loadChanges(w, []int64{entryID})
		if err != nil {
			return fmt.Errorf("%s entry %d: %w", verb, entryID, err)
		}
		c := cs[entryID]
		if c == nil {
			return fmt.Errorf("%s entry %d: %w", verb, entryID, store.ErrNotFound)
		}
		ev, err := fn(c, now)
		if err != nil {
			return err
		}
		c.at, c.changed = now, true
		ev.msgID, ev.entryID, ev.at, ev.actor = c.msgID, c.id, now, actor
		return writeChanges(w, cs, []event{ev})
	})
}

// AddEvent appends an event to a message's history.
func (s *Store) AddEvent(ctx context.Context, ev store.Event) error {
	if ev.Kind == "" {
		return errors.New("add event: kind is required")
	}
	at := nanos(ev.Time)
	if at == 0 {
		at = s.now().UnixNano()
	}
	err := s.do(ctx, true, func(w *writer) error {
		n, err := w.affected(`INSERT INTO events (message_id, entry_id, time, kind, actor, detail)
			SELECT id, ?, ?, ?, ?, ? FROM messages WHERE id = ?`,
			ev.EntryID, at, ev.Kind, ev.Actor, ev.Detail, ev.MessageID)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("message %d: %w", ev.MessageID, store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("add event: %w", err)
	}
	return nil
}
