package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/courier-hl7/courier/internal/store"
)

// incoming is a NewMessage made ready for the committer: validated, hashed and sealed in
// the caller's goroutine, so that the committer only runs SQL.
type incoming struct {
	m          *store.NewMessage
	receivedAt int64
	status     store.MessageStatus
	raw        []byte            // sealed
	processed  []byte            // sealed
	ack        []byte            // sealed
	sum        [sha256.Size]byte // of Raw, stored for integrity checks
	content    [sha256.Size]byte // what same-content detection compares (NewMessage.ContentSum)
}

// Receive stores the request's messages and entries in one transaction shared with other
// concurrent calls, and returns once it is synced to disk.
func (s *Store) Receive(ctx context.Context, req *store.ReceiveRequest) ([]store.Receipt, error) {
	if req == nil {
		return nil, errors.New("receive: nil request")
	}
	in := make([]incoming, len(req.Messages))
	for i, m := range req.Messages {
		if err := s.prepare(&in[i], m); err != nil {
			return nil, fmt.Errorf("receive: message %d: %w", i+1, err)
		}
	}
	if f := req.File; f != nil && (f.Channel == "" || f.Key == "") {
		return nil, errors.New("receive: file mark needs a channel and a key")
	}
	if len(in) == 0 && req.File == nil {
		if err := s.enter(); err != nil {
			return nil, err
		}
		s.leave()
		return []store.Receipt{}, nil
	}
	window := req.DedupeWindow.Nanoseconds()
	receipts := make([]store.Receipt, len(in))
	err := s.do(ctx, true, func(w *writer) error {
		for i := range in {
			if err := s.insertMessage(w, &in[i], window, &receipts[i]); err != nil {
				return fmt.Errorf("message %d: %w", i+1, err)
			}
		}
		if f := req.File; f != nil {
			var seenAt int64
			if len(in) > 0 {
				seenAt = in[len(in)-1].receivedAt
			} else {
				seenAt = s.now().UnixNano()
			}
			if _, err := w.exec(`INSERT INTO files (channel, key, seen_at) VALUES (?, ?, ?)
				ON CONFLICT (channel, key) DO NOTHING`, f.Channel, f.Key, seenAt); err != nil {
				return fmt.Errorf("mark file: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("receive: %w", err)
	}
	return receipts, nil
}

// prepare validates m, hashes and seals its content.
func (s *Store) prepare(in *incoming, m *store.NewMessage) error {
	if m == nil {
		return errors.New("nil message")
	}
	if m.Channel == "" {
		return errors.New("no channel")
	}
	in.m = m
	in.status = m.Status
	if in.status == "" {
		in.status = store.StatusReceived
		if len(m.Entries) > 0 {
			in.status = store.StatusQueued
		}
	}
	switch in.status {
	case store.StatusQueued:
		if len(m.Entries) == 0 {
			return errors.New("status QUEUED needs at least one destination entry")
		}
		// A message with entries has a derived status; see the entries_message_status trigger.
		in.status = store.StatusSent
		for _, e := range m.Entries {
			if !e.State.Final() {
				in.status = store.StatusQueued
			}
		}
	case store.StatusFiltered, store.StatusError, store.StatusReceived:
		if len(m.Entries) > 0 {
			return fmt.Errorf("status %s takes no destination entries (it has %d); use QUEUED", in.status, len(m.Entries))
		}
	default:
		return fmt.Errorf("unknown status %q", in.status)
	}
	for j, e := range m.Entries {
		if e.Destination == "" {
			return fmt.Errorf("entry %d: no destination", j+1)
		}
		if e.State != store.EntryPending && e.State != store.EntryFiltered {
			return fmt.Errorf("entry %d (%s): state %q, want PENDING or FILTERED", j+1, e.Destination, e.State)
		}
	}
	in.receivedAt = nanos(m.ReceivedAt)
	if in.receivedAt == 0 {
		in.receivedAt = s.now().UnixNano()
	}
	in.sum = sha256.Sum256(m.Raw)
	in.content = m.ContentSum
	if in.content == ([32]byte{}) {
		in.content = in.sum
	}
	raw := m.Raw
	if raw == nil {
		raw = []byte{}
	}
	var err error
	if in.raw, err = s.seal(raw); err != nil {
		return err
	}
	if in.processed, err = s.seal(m.Processed); err != nil {
		return err
	}
	if in.ack, err = s.seal(m.Ack); err != nil {
		return err
	}
	return nil
}

// insertMessage stores one message, or finds the original it duplicates.
func (s *Store) insertMessage(w *writer, in *incoming, window int64, rc *store.Receipt) error {
	m := in.m
	var dedupeKey any // NULL unless the message takes part in duplicate checks
	if m.DedupeKey != "" {
		dedupeKey = m.DedupeKey
	}
	var sameAs int64
	// A reprocessed message is a deliberate second run of its original: never a duplicate.
	if window > 0 && m.Reprocessed == 0 {
		since := in.receivedAt - window
		var orig int64
		if err := w.queryRow(lookupSQL, []any{dedupeKey, since, m.Channel, shaPrefix(in.content), since, m.Channel},
			&nullInt{&orig}, &nullInt{&sameAs}); err != nil {
			return fmt.Errorf("look for a duplicate: %w", err)
		}
		if orig != 0 {
			var ack []byte
			// No content row: the original's content was pruned, and there is no ACK to replay.
			if err := w.queryRow(`SELECT ack FROM contents WHERE id = ?`, []any{orig}, &ack); err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("read acknowledgement of message %d: %w", orig, err)
			}
			plain, err := s.open(ack)
			if err != nil {
				return fmt.Errorf("replay acknowledgement of message %d: %w", orig, err)
			}
			*rc = store.Receipt{ID: orig, Duplicate: true, Ack: plain}
			return insertEvent(w, orig, 0, in.receivedAt, "duplicate", "engine", "resent"+source(m))
		}
	}

	id := w.messageID()
	if _, err := w.exec(insertMessageSQL,
		id, m.Channel, in.receivedAt, m.Remote, m.File,
		m.Meta.Type, m.Meta.Trigger, m.Meta.Structure, m.Meta.ControlID, m.Meta.Version,
		m.Meta.SendingApp, m.Meta.SendingFacility, m.Meta.PatientID,
		string(in.status), m.Error, len(m.Raw), in.sum[:], shaPrefix(in.content), dedupeKey, sameAs, m.Reprocessed,
		receivedControlID(m)); err != nil {
		return fmt.Errorf("insert message: %w", err)
	}
	if _, err := w.exec(insertContentSQL, id, in.raw, in.processed, in.ack); err != nil {
		return fmt.Errorf("insert message content: %w", err)
	}
	*rc = store.Receipt{ID: id, SameContentAs: sameAs}

	// No "received" event is stored: the message row says when and from where, and its
	// entries where it was queued; Message derives the event (see receivedEvent). Events
	// are written for what the rows do not say.
	if sameAs != 0 {
		if err := insertEvent(w, id, 0, in.receivedAt, "duplicate",
			"engine", fmt.Sprintf("same content as message %d under another control ID", sameAs)); err != nil {
			return err
		}
	}
	switch in.status {
	case store.StatusFiltered:
		if err := insertEvent(w, id, 0, in.receivedAt, "filtered", "engine", m.Error); err != nil {
			return err
		}
	case store.StatusError:
		if err := insertEvent(w, id, 0, in.receivedAt, "error", "engine", m.Error); err != nil {
			return err
		}
	}
	if m.Reprocessed != 0 {
		// The original may have been deleted by retention; the event is then dropped.
		if _, err := w.exec(`INSERT INTO events (message_id, entry_id, time, kind, actor, detail)
			SELECT id, 0, ?, 'reprocessed', 'engine', ? FROM messages WHERE id = ?`,
			in.receivedAt, fmt.Sprintf("reprocessed as message %d", id), m.Reprocessed); err != nil {
			return fmt.Errorf("insert event: %w", err)
		}
	}

	for _, e := range m.Entries {
		// A PENDING entry is active, and its key lane's head when the lane has no other
		// active entry. A lane this transaction queued to before needs no look-up.
		active := e.State == store.EntryPending
		head := false
		if active {
			lane := laneKey{m.Channel, e.Destination, e.OrderKey}
			if !w.activeLanes[lane] {
				var busy bool
				if err := w.queryRow(laneBusySQL, []any{m.Channel, e.Destination, e.OrderKey}, &busy); err != nil {
					return fmt.Errorf("find the head of %s: %w", e.Destination, err)
				}
				head = !busy
				w.activeLanes[lane] = true
			}
		}
		if _, err := w.exec(insertEntrySQL,
			w.entryID(), id, m.Channel, e.Destination, e.OrderKey, string(e.State), active, head, in.receivedAt); err != nil {
			if isUnique(err) {
				return fmt.Errorf("destination %q has two entries", e.Destination)
			}
			return fmt.Errorf("insert entry for %s: %w", e.Destination, err)
		}
		w.count(m.Channel, e.Destination, e.State, 1)
	}
	return nil
}

// insertMessageSQL, insertContentSQL and insertEntrySQL store a message, its content and
// one of its entries. Content has a table of its own so that a message's row, which changes
// with its status, stays small.
const (
	insertMessageSQL = `INSERT INTO messages (id, channel, received_at, remote, file,
			type, trigger_event, structure, control_id, version, sending_app, sending_facility, patient_id,
			status, error, size, sha256, sha_prefix, dedupe_key, same_content_as, reprocessed, received_control_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertContentSQL = `INSERT INTO contents (id, raw, processed, ack) VALUES (?, ?, ?, ?)`
	insertEntrySQL   = `INSERT INTO entries (id, message_id, channel, destination, order_key, state, active, head, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
)

// lookupSQL finds, in one statement, the original a message duplicates (by its dedupe key;
// NULL for none) and the earliest message with the same content, both in the message's
// channel within the window (messages_dedupe and messages_sha256 serve them). Content is
// compared by sha_prefix, 64 bits of the content digest: two different messages of one
// channel within a window collide with odds near 2^-64 per pair, and the result is only a
// flag on a message that is stored and delivered anyway.
const lookupSQL = `SELECT
	(SELECT id FROM messages WHERE dedupe_key = ? AND received_at >= ? AND channel = ?
		ORDER BY received_at LIMIT 1),
	(SELECT id FROM messages WHERE sha_prefix = ? AND received_at >= ? AND channel = ?
		ORDER BY received_at LIMIT 1)`

// laneBusySQL reports whether a key lane has an active entry (served by entries_key_lane).
const laneBusySQL = `SELECT EXISTS (SELECT 1 FROM entries
	WHERE channel = ? AND destination = ? AND order_key = ? AND active = 1)`

// receivedControlID is the control ID to keep beside the stored one: the received one, only
// when it differs.
func receivedControlID(m *store.NewMessage) string {
	if m.ReceivedControlID == m.Meta.ControlID {
		return ""
	}
	return m.ReceivedControlID
}

// shaPrefix is the indexed part of a content hash.
func shaPrefix(sum [sha256.Size]byte) int64 {
	return int64(binary.BigEndian.Uint64(sum[:8]))
}

// source describes where a message came from, for an event's detail.
func source(m *store.NewMessage) string {
	switch {
	case m.Remote != "" && m.File != "":
		return " from " + m.Remote + " file " + m.File
	case m.Remote != "":
		return " from " + m.Remote
	case m.File != "":
		return " from file " + m.File
	}
	return ""
}

// insertEventSQL inserts an event that is not an attempt.
const insertEventSQL = `INSERT INTO events (message_id, entry_id, time, kind, actor, detail) VALUES (?, ?, ?, ?, ?, ?)`

// insertEvent inserts an event that is not an attempt.
func insertEvent(w *writer, msgID, entryID, at int64, kind, actor, detail string) error {
	if _, err := w.exec(insertEventSQL, msgID, entryID, at, kind, actor, detail); err != nil {
		return fmt.Errorf("insert %s event: %w", kind, err)
	}
	return nil
}

// FileSeen reports whether a FileMark with key was committed for channel.
func (s *Store) FileSeen(ctx context.Context, channel, key string) (bool, error) {
	if err := s.enter(); err != nil {
		return false, err
	}
	defer s.leave()
	var one int
	err := s.rdb.QueryRowContext(ctx, "SELECT 1 FROM files WHERE channel = ? AND key = ?", channel, key).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("file seen: %w", classify(err))
	}
	return true, nil
}
