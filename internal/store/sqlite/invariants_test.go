package sqlite

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/store"
)

// invariants are the schema's invariants (docs/format/store.md), each a query that returns
// the rows breaking it.
var invariants = []struct{ name, query string }{
	{"head marks the oldest active entry of each key lane", `
		SELECT e.id, e.head FROM entries e
		WHERE e.head <> coalesce(e.id = (
			SELECT min(x.id) FROM entries x
			WHERE x.channel = e.channel AND x.destination = e.destination AND x.order_key = e.order_key
				AND x.active = 1), 0)`},
	{"active marks the entries that take part in their lane", `
		SELECT id, state, hold, active FROM entries
		WHERE active <> (state IN ('PENDING', 'SENDING') OR (state = 'ERROR' AND hold = 1))`},
	{"attempts_total numbers the entry's attempts", `
		SELECT e.id, e.attempts_total, a.n FROM entries e
		LEFT JOIN (SELECT entry_id, max(number) AS n, count(*) AS c FROM events WHERE outcome <> '' GROUP BY entry_id) a
			ON a.entry_id = e.id
		WHERE e.attempts_total <> coalesce(a.n, 0) OR coalesce(a.n, 0) <> coalesce(a.c, 0)`},
	{"an attempt is an event of one of its message's entries", `
		SELECT v.id FROM events v WHERE v.outcome <> ''
			AND NOT EXISTS (SELECT 1 FROM entries e WHERE e.id = v.entry_id AND e.message_id = v.message_id)`},
	{"every entry and event has its message", `
		SELECT 'entry', e.id FROM entries e WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = e.message_id)
		UNION ALL
		SELECT 'event', v.id FROM events v WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = v.message_id)`},
	{"only SENT entries have the bytes sent", `SELECT id, state FROM entries WHERE sent IS NOT NULL AND state <> 'SENT'`},
	{"queue_counts counts the entries", `
		SELECT c.channel, c.destination, c.state, c.n, count(e.id) FROM queue_counts c
		LEFT JOIN entries e ON e.channel = c.channel AND e.destination = c.destination AND e.state = c.state
		GROUP BY c.channel, c.destination, c.state HAVING c.n <> count(e.id)
		UNION ALL
		SELECT e.channel, e.destination, e.state, 0, count(*) FROM entries e
		WHERE NOT EXISTS (SELECT 1 FROM queue_counts c WHERE c.channel = e.channel AND c.destination = e.destination AND c.state = e.state)
		GROUP BY e.channel, e.destination, e.state`},
	{"an entry is SENDING iff it has an owner and a lease", `
		SELECT id, state, owner, lease_until FROM entries
		WHERE (state = 'SENDING') <> (owner <> '' AND lease_until <> 0)`},
	{"only ERROR entries hold their lane", `SELECT id, state FROM entries WHERE hold = 1 AND state <> 'ERROR'`},
	{"only HELD entries have a group", `SELECT id, state, grp FROM entries WHERE grp <> '' AND state <> 'HELD'`},
	{"a message with entries has the status derived from them", `
		SELECT m.id, m.status FROM messages m
		WHERE EXISTS (SELECT 1 FROM entries e WHERE e.message_id = m.id) AND m.status <> (
			SELECT CASE WHEN max(state = 'ERROR') THEN 'ERROR'
				WHEN max(state NOT IN ('SENT', 'SKIPPED', 'FILTERED')) THEN 'QUEUED' ELSE 'SENT' END
			FROM entries WHERE message_id = m.id)`},
	{"an entry has its message's channel", `
		SELECT e.id FROM entries e JOIN messages m ON m.id = e.message_id WHERE e.channel <> m.channel`},
	{"sequences are past every ID", `
		SELECT name FROM sequences
		WHERE (name = 'messages' AND next <= (SELECT coalesce(max(id), 0) FROM messages))
			OR (name = 'entries' AND next <= (SELECT coalesce(max(id), 0) FROM entries))`},
	{"a message has content until it is pruned", `
		SELECT m.id, m.pruned FROM messages m WHERE m.pruned = EXISTS (SELECT 1 FROM contents c WHERE c.id = m.id)
		UNION ALL
		SELECT c.id, NULL FROM contents c WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = c.id)
		UNION ALL
		SELECT m.id, m.pruned FROM messages m JOIN entries e ON e.message_id = m.id WHERE m.pruned = 1 AND e.sent IS NOT NULL
		UNION ALL
		SELECT m.id, m.pruned FROM messages m JOIN events v ON v.message_id = m.id WHERE m.pruned = 1 AND v.response IS NOT NULL`},
}

// checkInvariants fails the test for every invariant the database breaks. Sequences are
// written at commit, so the check runs between requests.
func checkInvariants(t *testing.T, s *Store) {
	t.Helper()
	for _, inv := range invariants {
		rows, err := s.rdb.QueryContext(ctx, inv.query)
		if err != nil {
			t.Fatalf("invariant %q: %v", inv.name, err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			t.Errorf("invariant %q broken: %v = %v", inv.name, cols, vals)
		}
		rows.Close()
	}
}

// TestInvariantsUnderRandomOperations drives the store with a seeded random mix of every
// operation and checks the schema's invariants after each step.
func TestInvariantsUnderRandomOperations(t *testing.T) {
	for seed := range uint64(3) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			t.Parallel()
			randomOperations(t, seed, 250)
		})
	}
}

func randomOperations(t *testing.T, seed uint64, steps int) {
	s := openTest(t, Options{MaxBatch: 4})
	rng := rand.New(rand.NewPCG(seed, 1))
	dests := []string{"ehr", "lab", "billing"}
	keys := []string{"", "MRN-1", "MRN-2", "MRN-3"}
	owners := []string{"node1", "node2"}
	now := base
	var claimed []*store.Entry
	var entries []int64
	for step := range steps {
		now = now.Add(time.Duration(rng.IntN(20)) * time.Second)
		switch op := rng.IntN(10); {
		case op < 3: // receive one to three messages
			var msgs []*store.NewMessage
			for range 1 + rng.IntN(3) {
				m := newMsg(fmt.Sprintf("R%d-%d", step, len(msgs)))
				m.ReceivedAt = now
				m.Status = store.StatusQueued
				for _, d := range dests {
					if rng.IntN(2) == 0 {
						st := store.EntryPending
						if rng.IntN(6) == 0 {
							st = store.EntryFiltered
						}
						m.Entries = append(m.Entries, store.NewEntry{Destination: d, State: st, OrderKey: keys[rng.IntN(len(keys))]})
					}
				}
				if len(m.Entries) == 0 {
					m.Status = store.StatusReceived
				}
				msgs = append(msgs, m)
			}
			rs, err := s.Receive(ctx, &store.ReceiveRequest{Messages: msgs, DedupeWindow: time.Hour})
			if err != nil {
				t.Fatalf("step %d: Receive: %v", step, err)
			}
			for _, r := range rs {
				m, err := s.Message(ctx, r.ID)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range m.Entries {
					entries = append(entries, e.ID)
				}
			}
		case op < 5: // claim
			res, err := s.Claim(ctx, store.ClaimRequest{Channel: "adt-in", Destination: dests[rng.IntN(len(dests))],
				Owner: owners[rng.IntN(len(owners))], Lease: time.Minute, Max: 1 + rng.IntN(3), Keyed: rng.IntN(2) == 0, Now: now})
			if err != nil {
				t.Fatalf("step %d: Claim: %v", step, err)
			}
			claimed = append(claimed, res.Entries...)
		case op < 8 && len(claimed) > 0: // record an outcome of a claimed entry, stale or not
			i := rng.IntN(len(claimed))
			e := claimed[i]
			claimed = append(claimed[:i], claimed[i+1:]...)
			o := store.Outcome{EntryID: e.ID, Token: e.Token, Started: now, Finished: now}
			switch rng.IntN(6) {
			case 0:
				o.Kind = store.OutcomeSent
			case 1:
				o.Kind, o.Error, o.NextAttemptAt = store.OutcomeRetry, "refused", now.Add(time.Duration(rng.IntN(60))*time.Second)
			case 2:
				o.Kind, o.Error, o.MoveOn = store.OutcomeFailed, "rejected", rng.IntN(2) == 0
			case 3:
				o.Kind, o.Group = store.OutcomeHeld, "g1"
				claimed = append(claimed, e) // a held entry is recorded again later with its token
			case 4:
				o.Kind = store.OutcomeRelease
			default:
				o.Kind = store.OutcomeSent
			}
			errs, err := s.Record(ctx, []store.Outcome{o})
			if err != nil {
				t.Fatalf("step %d: Record: %v", step, err)
			}
			if errs[0] != nil && !errors.Is(errs[0], store.ErrStaleLease) {
				t.Fatalf("step %d: Record: %v", step, errs[0])
			}
		case op == 8 && len(entries) > 0: // an operator
			id := entries[rng.IntN(len(entries))]
			var err error
			if rng.IntN(2) == 0 {
				err = s.Retry(ctx, id, "op")
			} else {
				err = s.Skip(ctx, id, "op")
			}
			if err != nil && !errors.Is(err, store.ErrInvalidState) {
				t.Fatalf("step %d: operator: %v", step, err)
			}
		default: // a node restarts, or retention runs
			if rng.IntN(2) == 0 {
				if _, err := s.ReleaseOwner(ctx, owners[rng.IntN(len(owners))]); err != nil {
					t.Fatalf("step %d: ReleaseOwner: %v", step, err)
				}
			} else if _, err := s.Prune(ctx, now.Add(-time.Duration(rng.IntN(300))*time.Second), rng.IntN(2) == 0, 5); err != nil {
				t.Fatalf("step %d: Prune: %v", step, err)
			}
		}
		// Every step at first, where most transitions happen on few rows; then every tenth,
		// since the checks read every row.
		if step < 40 || step%10 == 0 || step == steps-1 {
			checkInvariants(t, s)
			if t.Failed() {
				t.Fatalf("invariants broken after step %d", step)
			}
		}
	}
}
