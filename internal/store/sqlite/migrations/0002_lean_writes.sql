-- 0002_lean_writes: fewer rows, index writes and statement set-up per message and per delivery.
-- docs/format/store.md describes the resulting schema; this file moves a 0001 database to it.
-- It rebuilds messages, entries and events by copy (SQLite cannot change a CHECK constraint in
-- place), keeping every ID.
--
-- 1. CHECK constraints list their values with OR: SQLite evaluates a constant IN list of more
--    than two values by building a temporary B-tree each time a statement runs, which cost a
--    few microseconds on every INSERT and UPDATE of these tables.
-- 2. Lane membership is a column, entries.active, kept by the store. The lane indexes were
--    partial on state, so every claim (PENDING -> SENDING, both in the lane) rewrote them with
--    unchanged keys; on active they change only when an entry joins or leaves its lane.
-- 3. entries_state leaves out PENDING and SENDING entries, which entries_lane lists: a receive
--    and a claim no longer write it, a delivery writes it once.
-- 4. The triggers go: the store keeps head and the messages' derived status itself, once per
--    lane and per message for a whole batch of outcomes instead of once per entry.
-- 5. Attempts become events: an attempt was written twice, as an attempts row and as its
--    "attempt"/"sent"/"failed" event. The event row now carries the attempt's columns, so an
--    outcome writes one row. entries.attempts_total numbers attempts without counting rows.
-- 6. The "received" event is no longer stored: the message row says when and where from,
--    and its entries where it was queued; the store derives the event when it reads.
-- 7. Content moves from messages to a table of its own, contents: a status change rewrites
--    the message's row, which was as large as the message.
--
-- The store runs with foreign keys not enforced (they stay declared), so the tables can be
-- dropped and renamed in any order here.

DROP TRIGGER entries_message_status;
DROP TRIGGER entries_head_leave;
DROP TRIGGER entries_head_join;

-- messages: the metadata, which changes with the message's status; its content moves to
-- contents.
CREATE TABLE messages_new (
	id               INTEGER PRIMARY KEY,
	channel          TEXT    NOT NULL,
	received_at      INTEGER NOT NULL, -- Unix nanoseconds
	remote           TEXT    NOT NULL DEFAULT '',
	file             TEXT    NOT NULL DEFAULT '',
	type             TEXT    NOT NULL DEFAULT '',
	trigger_event    TEXT    NOT NULL DEFAULT '',
	structure        TEXT    NOT NULL DEFAULT '',
	control_id       TEXT    NOT NULL DEFAULT '',
	version          TEXT    NOT NULL DEFAULT '',
	sending_app      TEXT    NOT NULL DEFAULT '',
	sending_facility TEXT    NOT NULL DEFAULT '',
	patient_id       TEXT    NOT NULL DEFAULT '',
	status           TEXT    NOT NULL CHECK (status = 'QUEUED' OR status = 'SENT' OR status = 'FILTERED'
		OR status = 'ERROR' OR status = 'RECEIVED'),
	error            TEXT    NOT NULL DEFAULT '',
	size             INTEGER NOT NULL,
	sha256           BLOB    NOT NULL,
	sha_prefix       INTEGER NOT NULL, -- the first 8 bytes of sha256, big-endian, for a compact index
	dedupe_key       TEXT,             -- NULL when the message takes no part in duplicate checks
	same_content_as  INTEGER NOT NULL DEFAULT 0,
	reprocessed      INTEGER NOT NULL DEFAULT 0,
	pruned           INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO messages_new (id, channel, received_at, remote, file, type, trigger_event,
		structure, control_id, version, sending_app, sending_facility, patient_id, status, error, size,
		sha256, sha_prefix, dedupe_key, same_content_as, reprocessed, pruned)
	SELECT id, channel, received_at, remote, file, type, trigger_event,
		structure, control_id, version, sending_app, sending_facility, patient_id, status, error, size,
		sha256, sha_prefix, dedupe_key, same_content_as, reprocessed, pruned
	FROM messages ORDER BY id;

-- contents: a message's content, sealed by the codec, until retention prunes it (the row is
-- then deleted). A status change rewrites the message's row; without its content the row is
-- a few hundred bytes instead of the message's size.
CREATE TABLE contents (
	id        INTEGER PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE, -- the message's ID
	raw       BLOB    NOT NULL, -- the bytes as received
	processed BLOB,             -- after the channel's transform; NULL when it is raw
	ack       BLOB              -- the acknowledgement returned to the sender
) STRICT;
INSERT INTO contents (id, raw, processed, ack)
	SELECT id, raw, processed, ack FROM messages WHERE raw IS NOT NULL ORDER BY id;

-- entries, with active and attempts_total.
CREATE TABLE entries_new (
	id              INTEGER PRIMARY KEY,
	message_id      INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	channel         TEXT    NOT NULL,
	destination     TEXT    NOT NULL,
	order_key       TEXT    NOT NULL DEFAULT '',
	state           TEXT    NOT NULL CHECK (state = 'PENDING' OR state = 'SENDING' OR state = 'HELD'
		OR state = 'SENT' OR state = 'ERROR' OR state = 'SKIPPED' OR state = 'FILTERED'),
	hold            INTEGER NOT NULL DEFAULT 0, -- 1: this ERROR entry holds its lane
	active          INTEGER NOT NULL DEFAULT 0, -- 1: takes part in its lane's order (PENDING, SENDING, ERROR holding)
	head            INTEGER NOT NULL DEFAULT 0, -- 1: the oldest active entry of its (channel, destination, order_key)
	attempts        INTEGER NOT NULL DEFAULT 0, -- attempts since the entry was queued or retried by an operator
	attempts_total  INTEGER NOT NULL DEFAULT 0, -- attempts over the entry's whole history
	next_attempt_at INTEGER NOT NULL DEFAULT 0, -- Unix nanoseconds; 0 means due now
	last_error      TEXT    NOT NULL DEFAULT '',
	grp             TEXT    NOT NULL DEFAULT '', -- the group of a HELD entry
	owner           TEXT    NOT NULL DEFAULT '',
	lease_until     INTEGER NOT NULL DEFAULT 0,
	token           INTEGER NOT NULL DEFAULT 0, -- fencing token: incremented by every claim
	sent            BLOB,                        -- sealed bytes delivered, when they differ from the content
	updated_at      INTEGER NOT NULL,
	UNIQUE (message_id, destination)
) STRICT;
INSERT INTO entries_new (id, message_id, channel, destination, order_key, state, hold, active, head,
		attempts, attempts_total, next_attempt_at, last_error, grp, owner, lease_until, token, sent, updated_at)
	SELECT e.id, e.message_id, e.channel, e.destination, e.order_key, e.state, e.hold,
		e.state = 'PENDING' OR e.state = 'SENDING' OR (e.state = 'ERROR' AND e.hold = 1), e.head,
		e.attempts, coalesce((SELECT max(a.number) FROM attempts a WHERE a.entry_id = e.id), 0),
		e.next_attempt_at, e.last_error, e.grp, e.owner, e.lease_until, e.token, e.sent, e.updated_at
	FROM entries e ORDER BY e.id;

-- events, with the columns of an attempt: outcome is '' for an event that is not an attempt.
CREATE TABLE events_new (
	id            INTEGER PRIMARY KEY,
	message_id    INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	entry_id      INTEGER NOT NULL DEFAULT 0,
	time          INTEGER NOT NULL, -- for an attempt, when it finished
	kind          TEXT    NOT NULL,
	actor         TEXT    NOT NULL DEFAULT '',
	detail        TEXT    NOT NULL DEFAULT '',
	outcome       TEXT    NOT NULL DEFAULT '' CHECK (outcome = '' OR outcome = 'SENT' OR outcome = 'RETRY'
		OR outcome = 'FAILED'),
	number        INTEGER NOT NULL DEFAULT 0, -- 1, 2, ... over the entry's whole history
	started       INTEGER NOT NULL DEFAULT 0,
	response_code TEXT    NOT NULL DEFAULT '',
	response      BLOB,                       -- sealed by the codec
	error         TEXT    NOT NULL DEFAULT ''
) STRICT;
-- Each attempt was written with its event, in the same transaction and order: the k-th
-- attempt event of an entry is its k-th attempt. Event IDs are kept, so histories keep their
-- order.
INSERT INTO events_new (id, message_id, entry_id, time, kind, actor, detail,
		outcome, number, started, response_code, response, error)
	SELECT e.id, e.message_id, e.entry_id, e.time, e.kind, e.actor, e.detail,
		coalesce(a.outcome, ''), coalesce(a.number, 0), coalesce(a.started, 0),
		coalesce(a.response_code, ''), a.response, coalesce(a.error, '')
	FROM (SELECT *, CASE WHEN kind IN ('attempt', 'sent', 'failed') AND entry_id <> 0 THEN
			row_number() OVER (PARTITION BY entry_id, kind IN ('attempt', 'sent', 'failed') ORDER BY id) END AS k
		FROM events) e
	LEFT JOIN (SELECT *, row_number() OVER (PARTITION BY entry_id ORDER BY id) AS k FROM attempts) a
		ON a.entry_id = e.entry_id AND a.k = e.k
	WHERE NOT (e.kind = 'received' AND e.entry_id = 0 AND e.actor = 'engine')
	ORDER BY e.id;
-- An attempt without its event (none is expected) is kept as an event of its own.
INSERT INTO events_new (message_id, entry_id, time, kind, actor, detail,
		outcome, number, started, response_code, response, error)
	SELECT en.message_id, a.entry_id, a.finished,
		CASE a.outcome WHEN 'SENT' THEN 'sent' WHEN 'RETRY' THEN 'attempt' ELSE 'failed' END,
		'engine', '', a.outcome, a.number, a.started, a.response_code, a.response, a.error
	FROM attempts a JOIN entries en ON en.id = a.entry_id
	WHERE NOT EXISTS (SELECT 1 FROM events_new n WHERE n.entry_id = a.entry_id AND n.number = a.number AND n.outcome <> '')
	ORDER BY a.id;

DROP TABLE attempts;
DROP TABLE events;
DROP TABLE entries;
DROP TABLE messages;
ALTER TABLE messages_new RENAME TO messages;
ALTER TABLE entries_new RENAME TO entries;
ALTER TABLE events_new RENAME TO events;

-- Search. Every index also holds the rowid, so "WHERE x = ? ORDER BY id DESC" needs no sort.
CREATE INDEX messages_channel  ON messages (channel);
CREATE INDEX messages_status   ON messages (status);
CREATE INDEX messages_control  ON messages (control_id);
CREATE INDEX messages_patient  ON messages (patient_id);
CREATE INDEX messages_type     ON messages (type);
CREATE INDEX messages_received ON messages (received_at);
-- Duplicate and same-content checks: a range seek on (key, received_at >= window start).
CREATE INDEX messages_dedupe   ON messages (dedupe_key, received_at) WHERE dedupe_key IS NOT NULL;
CREATE INDEX messages_sha256   ON messages (sha_prefix, received_at);
-- Content pruning walks the messages that still have content, oldest first.
CREATE INDEX messages_unpruned ON messages (received_at) WHERE pruned = 0;

-- Strict FIFO: the active entries of a destination in queue order.
CREATE INDEX entries_lane ON entries (channel, destination, id) WHERE active = 1;
-- Keyed lanes: the active entries of one order key, to find a lane's head.
CREATE INDEX entries_key_lane ON entries (channel, destination, order_key, id) WHERE active = 1;
-- Keyed claims walk the heads only: one row per key lane that has active entries.
CREATE INDEX entries_heads ON entries (channel, destination, id) WHERE head = 1;
-- Leases: is a lane busy, and which entries does an owner hold.
CREATE INDEX entries_sending ON entries (channel, destination, order_key, lease_until) WHERE state = 'SENDING';
CREATE INDEX entries_owner ON entries (owner) WHERE state = 'SENDING';
-- Listing a queue by state in queue order, and the oldest entry per state, but for the
-- states of lanes (PENDING, SENDING), which entries_lane lists.
CREATE INDEX entries_state ON entries (channel, destination, state, id) WHERE state NOT IN ('PENDING', 'SENDING');

-- A message's history.
CREATE INDEX events_message ON events (message_id);
