-- 0001_init: the first schema of Courier's SQLite store.
-- docs/format/store.md describes every table, index and trigger and the invariants they keep.
-- A released migration is never edited: a change is a new, higher-numbered file.

-- sequences keeps the next message and entry IDs. The committer hands IDs out in memory and
-- writes the high-water mark once per transaction, so that an ID is never used twice even
-- after retention deleted the newest rows (which AUTOINCREMENT would also ensure, at the
-- price of a write per row).
CREATE TABLE sequences (
	name TEXT    PRIMARY KEY,
	next INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO sequences (name, next) VALUES ('messages', 1), ('entries', 1);

-- messages holds one row per stored message. Content columns (raw, processed, ack) hold
-- bytes sealed by the store's codec, or NULL when absent or pruned.
CREATE TABLE messages (
	id               INTEGER PRIMARY KEY,
	channel          TEXT    NOT NULL,
	received_at      INTEGER NOT NULL, -- Unix nanoseconds
	remote           TEXT    NOT NULL DEFAULT '',
	file             TEXT    NOT NULL DEFAULT '',
	raw              BLOB,
	processed        BLOB,
	ack              BLOB,
	type             TEXT    NOT NULL DEFAULT '',
	trigger_event    TEXT    NOT NULL DEFAULT '',
	structure        TEXT    NOT NULL DEFAULT '',
	control_id       TEXT    NOT NULL DEFAULT '',
	version          TEXT    NOT NULL DEFAULT '',
	sending_app      TEXT    NOT NULL DEFAULT '',
	sending_facility TEXT    NOT NULL DEFAULT '',
	patient_id       TEXT    NOT NULL DEFAULT '',
	status           TEXT    NOT NULL CHECK (status IN ('QUEUED', 'SENT', 'FILTERED', 'ERROR', 'RECEIVED')),
	error            TEXT    NOT NULL DEFAULT '',
	size             INTEGER NOT NULL,
	sha256           BLOB    NOT NULL,
	sha_prefix       INTEGER NOT NULL, -- the first 8 bytes of sha256, big-endian, for a compact index
	dedupe_key       TEXT,             -- NULL when the message takes no part in duplicate checks
	same_content_as  INTEGER NOT NULL DEFAULT 0,
	reprocessed      INTEGER NOT NULL DEFAULT 0,
	pruned           INTEGER NOT NULL DEFAULT 0
) STRICT;

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

-- entries holds one row per (message, destination): the destination's queue entry.
-- Queue order is id order. An entry is "active" when it takes part in its lane's order:
-- PENDING, SENDING, or ERROR holding its lane (hold = 1). The expression
--   state IN ('PENDING', 'SENDING') OR (state = 'ERROR' AND hold = 1)
-- is written identically in the partial indexes below, the triggers and the store's queries,
-- so that SQLite's planner matches them.
CREATE TABLE entries (
	id              INTEGER PRIMARY KEY,
	message_id      INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	channel         TEXT    NOT NULL,
	destination     TEXT    NOT NULL,
	order_key       TEXT    NOT NULL DEFAULT '',
	state           TEXT    NOT NULL CHECK (state IN ('PENDING', 'SENDING', 'HELD', 'SENT', 'ERROR', 'SKIPPED', 'FILTERED')),
	hold            INTEGER NOT NULL DEFAULT 0, -- 1: this ERROR entry holds its lane
	head            INTEGER NOT NULL DEFAULT 0, -- 1: the oldest active entry of its (channel, destination, order_key)
	attempts        INTEGER NOT NULL DEFAULT 0, -- attempts since the entry was queued or retried by an operator
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

-- Strict FIFO: the active entries of a destination in queue order.
CREATE INDEX entries_lane ON entries (channel, destination, id)
	WHERE state IN ('PENDING', 'SENDING') OR (state = 'ERROR' AND hold = 1);
-- Keyed lanes: the active entries of one order key, to find a lane's head.
CREATE INDEX entries_key_lane ON entries (channel, destination, order_key, id)
	WHERE state IN ('PENDING', 'SENDING') OR (state = 'ERROR' AND hold = 1);
-- Keyed claims walk the heads only: one row per key lane that has active entries.
CREATE INDEX entries_heads ON entries (channel, destination, id) WHERE head = 1;
-- Leases: is a lane busy, and which entries does an owner hold.
CREATE INDEX entries_sending ON entries (channel, destination, order_key, lease_until) WHERE state = 'SENDING';
CREATE INDEX entries_owner ON entries (owner) WHERE state = 'SENDING';
-- Listing a queue by state in queue order, and the oldest entry per state.
CREATE INDEX entries_state ON entries (channel, destination, state, id);

-- attempts holds one row per delivery attempt; response is sealed by the codec.
CREATE TABLE attempts (
	id            INTEGER PRIMARY KEY,
	entry_id      INTEGER NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
	number        INTEGER NOT NULL, -- 1, 2, ... over the entry's whole history
	started       INTEGER NOT NULL,
	finished      INTEGER NOT NULL,
	outcome       TEXT    NOT NULL CHECK (outcome IN ('SENT', 'RETRY', 'FAILED')),
	response_code TEXT    NOT NULL DEFAULT '',
	response      BLOB,
	error         TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX attempts_entry ON attempts (entry_id);

-- events is each message's history. entry_id is 0 for message-level events.
CREATE TABLE events (
	id         INTEGER PRIMARY KEY,
	message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
	entry_id   INTEGER NOT NULL DEFAULT 0,
	time       INTEGER NOT NULL,
	kind       TEXT    NOT NULL,
	actor      TEXT    NOT NULL DEFAULT '',
	detail     TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX events_message ON events (message_id);

-- queue_counts counts entries per destination and state, so that Stats reads a few rows
-- instead of counting every delivered entry. The committer adds up the changes of a
-- transaction and writes them before it commits.
CREATE TABLE queue_counts (
	channel     TEXT    NOT NULL,
	destination TEXT    NOT NULL,
	state       TEXT    NOT NULL,
	n           INTEGER NOT NULL,
	PRIMARY KEY (channel, destination, state)
) STRICT, WITHOUT ROWID;

-- channel_state is the per-channel key/value store of scripts; value is sealed by the codec.
CREATE TABLE channel_state (
	channel    TEXT    NOT NULL,
	key        TEXT    NOT NULL,
	value      BLOB    NOT NULL,
	updated_at INTEGER NOT NULL,
	PRIMARY KEY (channel, key)
) STRICT, WITHOUT ROWID;

-- files marks source files read completely, committed with their messages.
CREATE TABLE files (
	channel TEXT    NOT NULL,
	key     TEXT    NOT NULL,
	seen_at INTEGER NOT NULL,
	PRIMARY KEY (channel, key)
) STRICT, WITHOUT ROWID;

-- Derived data, kept in the transaction that changes an entry.

-- A message with entries has a derived status: ERROR if any entry gave up, QUEUED while any
-- entry is not final, SENT when all are final. It changes only when an entry enters or leaves
-- ERROR or a final state.
CREATE TRIGGER entries_message_status AFTER UPDATE OF state ON entries
WHEN (OLD.state = 'ERROR') <> (NEW.state = 'ERROR')
	OR (OLD.state IN ('SENT', 'SKIPPED', 'FILTERED')) <> (NEW.state IN ('SENT', 'SKIPPED', 'FILTERED'))
BEGIN
	UPDATE messages SET status = (
		SELECT CASE
			WHEN max(state = 'ERROR') THEN 'ERROR'
			WHEN max(state NOT IN ('SENT', 'SKIPPED', 'FILTERED')) THEN 'QUEUED'
			ELSE 'SENT' END
		FROM entries WHERE message_id = NEW.message_id)
	WHERE id = NEW.message_id;
END;

-- head = 1 marks the oldest active entry of each (channel, destination, order_key).
-- An entry that stops being active hands the head to the next active entry of its key.
CREATE TRIGGER entries_head_leave AFTER UPDATE OF state, hold ON entries
WHEN OLD.head = 1 AND NOT (NEW.state IN ('PENDING', 'SENDING') OR (NEW.state = 'ERROR' AND NEW.hold = 1))
BEGIN
	UPDATE entries SET head = 0 WHERE id = NEW.id;
	UPDATE entries SET head = 1 WHERE id = (
		SELECT min(id) FROM entries
		WHERE channel = NEW.channel AND destination = NEW.destination AND order_key = NEW.order_key
			AND (state IN ('PENDING', 'SENDING') OR (state = 'ERROR' AND hold = 1)));
END;

-- An entry that becomes active again (an operator retried it) takes the head when it is
-- older than the current head.
CREATE TRIGGER entries_head_join AFTER UPDATE OF state, hold ON entries
WHEN NOT (OLD.state IN ('PENDING', 'SENDING') OR (OLD.state = 'ERROR' AND OLD.hold = 1))
	AND (NEW.state IN ('PENDING', 'SENDING') OR (NEW.state = 'ERROR' AND NEW.hold = 1))
	AND NOT EXISTS (
		SELECT 1 FROM entries
		WHERE channel = NEW.channel AND destination = NEW.destination AND order_key = NEW.order_key
			AND (state IN ('PENDING', 'SENDING') OR (state = 'ERROR' AND hold = 1))
			AND id < NEW.id)
BEGIN
	UPDATE entries SET head = 0 WHERE id = (
		SELECT min(id) FROM entries
		WHERE channel = NEW.channel AND destination = NEW.destination AND order_key = NEW.order_key
			AND (state IN ('PENDING', 'SENDING') OR (state = 'ERROR' AND hold = 1))
			AND id > NEW.id);
	UPDATE entries SET head = 1 WHERE id = NEW.id;
END;
