package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/courier-hl7/courier/internal/store"
)

// pruneChunk is the most messages one pruning transaction touches. Receives wait for at most
// one such transaction, a few milliseconds.
const pruneChunk = 100

// finalSQL holds for a message none of whose entries a worker or an operator still has to act on.
const finalSQL = `NOT EXISTS (SELECT 1 FROM entries e WHERE e.message_id = m.id
	AND e.state <> 'SENT' AND e.state <> 'SKIPPED' AND e.state <> 'FILTERED')`

// Prune removes the content (or, with all, the whole) of at most batch messages received
// before cutoff whose entries are all final, oldest first, in transactions of at most
// pruneChunk messages so that receives go on in between.
func (s *Store) Prune(ctx context.Context, cutoff time.Time, all bool, batch int) (int, error) {
	if batch <= 0 {
		return 0, errors.New("prune: batch must be positive")
	}
	before := nanos(cutoff)
	total := 0
	// after is where the previous chunk stopped: messages still in the queues are skipped,
	// not read again by every chunk.
	var after int64
	for total < batch {
		n := min(pruneChunk, batch-total)
		var done int
		from := after
		err := s.do(ctx, true, func(w *writer) error {
			var err error
			done, after, err = pruneOnce(w, before, all, n, from)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("prune: %w", err)
		}
		total += done
		if done < n {
			break
		}
	}
	return total, nil
}

// pruneOnce prunes up to n messages and returns how many, and the received time to go on from.
func pruneOnce(w *writer, before int64, all bool, n int, after int64) (int, int64, error) {
	index := "messages_unpruned"
	cond := "m.pruned = 0 AND "
	if all {
		index, cond = "messages_received", ""
	}
	rows, err := w.query(`SELECT m.id, m.received_at FROM messages m INDEXED BY `+index+`
		WHERE `+cond+`m.received_at >= ? AND m.received_at < ? AND `+finalSQL+`
		ORDER BY m.received_at LIMIT ?`, after, before, n)
	if err != nil {
		return 0, 0, err
	}
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id, &after); err != nil {
			rows.Close()
			return 0, 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	if len(ids) == 0 {
		return 0, after, nil
	}
	in := "(" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")"
	if all {
		counts, err := w.conn.QueryContext(bg, `SELECT channel, destination, state, count(*) FROM entries
			WHERE message_id IN `+in+` GROUP BY channel, destination, state`, ids...)
		if err != nil {
			return 0, 0, err
		}
		for counts.Next() {
			var channel, dest, state string
			var n int
			if err := counts.Scan(&channel, &dest, &state, &n); err != nil {
				counts.Close()
				return 0, 0, err
			}
			w.count(channel, dest, store.EntryState(state), -n)
		}
		counts.Close()
		if err := counts.Err(); err != nil {
			return 0, 0, err
		}
		// Entries and events (attempts among them) go with their message. The foreign keys
		// declare it, but are not enforced (see Open), so the store deletes them itself.
		for _, q := range []string{
			`DELETE FROM contents WHERE id IN ` + in,
			`DELETE FROM events WHERE message_id IN ` + in,
			`DELETE FROM entries WHERE message_id IN ` + in,
			`DELETE FROM messages WHERE id IN ` + in,
		} {
			if _, err := w.conn.ExecContext(bg, q, ids...); err != nil {
				return 0, 0, err
			}
		}
		return len(ids), after, nil
	}
	// Error texts quote the content they are about (see store.PrunedError); an empty one
	// stays empty.
	gone := func(col string) string {
		return col + ` = CASE WHEN ` + col + ` = '' THEN '' ELSE '` + store.PrunedError + `' END`
	}
	for _, q := range []string{
		`DELETE FROM contents WHERE id IN ` + in,
		`UPDATE messages SET pruned = 1, ` + gone("error") + ` WHERE id IN ` + in,
		`UPDATE entries SET sent = NULL, ` + gone("last_error") + ` WHERE message_id IN ` + in,
		// An attempt's detail quotes its error ("failed (AE): ...; next attempt at ..."): the
		// quote goes too. Every expression reads the row as it was, error included.
		`UPDATE events SET response = NULL, ` + gone("error") + `, detail = CASE WHEN error = '' THEN detail
			ELSE replace(detail, error, '` + store.PrunedError + `') END WHERE message_id IN ` + in +
			` AND (response IS NOT NULL OR error <> '')`,
	} {
		if _, err := w.conn.ExecContext(bg, q, ids...); err != nil {
			return 0, 0, err
		}
	}
	return len(ids), after, nil
}
