// Package store defines Courier's message store: the one place where messages, their
// destination queues, delivery attempts, events and channel state live. Engines on one node
// (SQLite) and on several nodes (PostgreSQL) share the same contract; the conformance suite in
// package storetest checks every implementation against it.
//
// The store is the only shared state. Queue positions, retry schedules, duplicate windows and
// channel state are rows, not memory, so that several nodes can share the work. A destination
// worker claims entries with a lease (owner, expiry, fencing token) and every outcome it records
// carries the token: an outcome with a stale token is refused.
package store

import (
	"context"
	"errors"
	"time"
)

// Sentinel errors.
var (
	// ErrNotFound means the message or entry does not exist (or its content was pruned).
	ErrNotFound = errors.New("not found")
	// ErrStaleLease means the entry's lease expired and was taken by another claim: the
	// outcome was not recorded. The worker must drop the entry; its new owner delivers it.
	ErrStaleLease = errors.New("stale lease")
	// ErrClosed means the store is closed.
	ErrClosed = errors.New("store closed")
	// ErrInvalidState means an operator action does not apply to the entry's state (retrying
	// an entry that was sent, skipping one that is being sent).
	ErrInvalidState = errors.New("invalid state for this action")
	// ErrFull means the store ran out of space: nothing of the call was stored, and the caller
	// must not acknowledge positively. The store recovers by itself once space is freed.
	ErrFull = errors.New("store is full")
)

// MessageStatus is the state of a message as a whole.
type MessageStatus string

const (
	// StatusQueued: stored; at least one destination entry is not yet final.
	StatusQueued MessageStatus = "QUEUED"
	// StatusSent: every destination entry is sent, skipped or filtered.
	StatusSent MessageStatus = "SENT"
	// StatusFiltered: the channel filter rejected the message; it has no entries.
	StatusFiltered MessageStatus = "FILTERED"
	// StatusError: the message failed to parse, validate or transform (it has no entries), or a
	// destination entry gave up.
	StatusError MessageStatus = "ERROR"
	// StatusReceived: stored with no destinations (a channel with none, or acknowledged
	// immediately and then stored).
	StatusReceived MessageStatus = "RECEIVED"
)

// EntryState is the state of one destination queue entry.
type EntryState string

const (
	EntryPending  EntryState = "PENDING"  // waiting for its turn or its next attempt
	EntrySending  EntryState = "SENDING"  // leased by a worker
	EntryHeld     EntryState = "HELD"     // set aside by its destination in a group (a batch file being gathered)
	EntrySent     EntryState = "SENT"     // delivered; final
	EntryError    EntryState = "ERROR"    // gave up after its attempts; waits for an operator
	EntrySkipped  EntryState = "SKIPPED"  // skipped by an operator; final
	EntryFiltered EntryState = "FILTERED" // the destination's filter rejected it; final
)

// Final reports whether no worker will act on an entry in this state again without an operator.
func (s EntryState) Final() bool {
	return s == EntrySent || s == EntrySkipped || s == EntryFiltered
}

// Meta is what the engine read from a message's header, kept for search and display.
type Meta struct {
	Type            string // MSH-9.1
	Trigger         string // MSH-9.2
	Structure       string
	ControlID       string // MSH-10
	Version         string // MSH-12
	SendingApp      string // MSH-3.1
	SendingFacility string // MSH-4.1
	PatientID       string // PID-3.1 of the first repetition
}

// NewMessage is a received message to store.
type NewMessage struct {
	Channel    string
	ReceivedAt time.Time // zero means the store's clock
	Remote     string    // remote address of the connection, when it came over a network
	File       string    // file name, when it came from a file
	Raw        []byte    // the bytes as received
	Processed  []byte    // the message after the channel's transform; nil when it is Raw
	Meta       Meta
	// Status is StatusQueued (with entries), or StatusFiltered, StatusError or
	// StatusReceived (without). Empty means StatusQueued when there are entries and
	// StatusReceived otherwise. The status of a message with entries is derived from them
	// from then on (see MessageStatus).
	Status  MessageStatus
	Error   string     // why, for StatusError
	Ack     []byte     // the acknowledgement returned to the sender, replayed for duplicates
	Entries []NewEntry // at most one per destination
	// DedupeKey identifies the message for duplicate detection within its channel: normally
	// channel, MSH-3, MSH-4 and MSH-10. Empty disables the check for this message.
	DedupeKey string
	// Reprocessed is the ID of the message this one was reprocessed from, or 0. A reprocessed
	// message is never a duplicate.
	Reprocessed int64
	// ReceivedControlID is the MSH-10 the sender gave, when the channel's steps store the
	// message under another one (Meta.ControlID: the parts of a split); empty otherwise. A
	// search by control ID finds the message by either.
	ReceivedControlID string
	// ContentSum is the digest that same-content detection compares (see
	// Receipt.SameContentAs). The engine computes it without MSH-7 and MSH-10, so that a
	// resend under a new control ID and time matches; zero means SHA-256 of Raw.
	ContentSum [32]byte
}

// NewEntry is one destination's queue entry for a new message.
type NewEntry struct {
	Destination string
	// OrderKey groups entries that must stay in order when the destination delivers keys in
	// parallel (order_by: PID-3); empty in strict FIFO mode.
	OrderKey string
	// State is EntryPending, or EntryFiltered when the destination's filter rejected it.
	State EntryState
}

// FileMark records that a source file was read completely, in the same transaction as its
// messages, so that a file is processed once even across restarts.
type FileMark struct {
	Channel string
	Key     string // identifies the file's content: path, size, modification time, or a hash
}

// ReceiveRequest is the unit of a durable commit: its messages (and its file mark) are stored
// together or not at all. A request with an invalid message (no channel, an unknown status,
// QUEUED without entries, an entry that is not PENDING or FILTERED, two entries for one
// destination) is refused whole. A file mark committed twice is kept once.
type ReceiveRequest struct {
	Messages []*NewMessage
	File     *FileMark
	// DedupeWindow is how far back a DedupeKey, and the same content, are looked for: a
	// message received at T matches one of its channel received at or after T-DedupeWindow.
	// Zero disables both checks. Messages in the same request, or committed together by
	// concurrent calls, are checked against each other too.
	DedupeWindow time.Duration
}

// Receipt tells what became of one NewMessage.
type Receipt struct {
	ID int64 // the stored message, or the original when Duplicate
	// Duplicate means a message with the same DedupeKey was stored within the window: nothing
	// was stored, and Ack is the acknowledgement stored with the original, to be replayed (nil
	// when the original's content was pruned). The original gets a "duplicate" event.
	Duplicate bool
	Ack       []byte
	// SameContentAs is the earliest message of the channel stored within the window with the
	// same content (NewMessage.ContentSum) but another DedupeKey: a probable resend under a
	// new ID.
	// The message is stored and delivered; this only flags it.
	SameContentAs int64
}

// Entry is a destination queue entry as a worker or an operator sees it.
type Entry struct {
	ID          int64
	MessageID   int64
	Channel     string
	Destination string
	OrderKey    string
	State       EntryState
	// Attempts counts the attempts since the entry was queued or an operator retried it;
	// Message.Attempts keeps every attempt.
	Attempts      int
	NextAttemptAt time.Time // when a PENDING entry may be tried; zero means now
	LastError     string
	Group         string // for HELD entries
	// Lease, set on claimed entries. Token is the fencing token of the latest claim; a HELD
	// entry keeps it, so that its destination records the entry's outcome with it later.
	Owner      string
	LeaseUntil time.Time
	Token      int64
	// Content is the message to deliver (Processed, or Raw), filled by Claim and Held.
	Content []byte
	// Sent is what was delivered when it differed from Content (Outcome.Sent), filled by
	// Message; nil when the content was pruned.
	Sent []byte
	// Meta of the message, filled by Claim, for logs and templates.
	Meta       Meta
	ReceivedAt time.Time
	UpdatedAt  time.Time
}

// ClaimRequest asks for the next entries of one destination.
//
// A lane (the destination in strict mode, one OrderKey of it in keyed mode) is served one
// lease at a time, in queue order (the order entries were received in). Its head entry
// decides: PENDING and due, it is claimed; PENDING and not due, the lane waits (NextDue);
// SENDING with a live lease, the lane is busy; SENDING with an expired lease, it is claimed
// again under a new token, and the old token is refused from then on; ERROR holding the
// lane, the lane is blocked (BlockedBy). ERROR entries that let the lane move on, and SENT,
// SKIPPED, FILTERED and HELD entries, are not in the lane. A strict claim of Max > 1 leases
// the head and the due entries right behind it; a keyed claim leases up to Max heads of
// different keys, oldest first.
type ClaimRequest struct {
	Channel     string
	Destination string
	Owner       string        // who holds the lease (node and worker)
	Lease       time.Duration // how long the lease lasts
	Max         int           // at most this many entries (default 1)
	// Keyed lets entries with different OrderKeys go in parallel: the head of each key may be
	// claimed. Otherwise the destination is one strict FIFO lane.
	Keyed bool
	// Now is the time leases and due times are judged by; zero means the store's clock.
	Now time.Time
}

// ClaimResult is what a claim found.
type ClaimResult struct {
	Entries []*Entry
	// NextDue is the earliest time at which a PENDING entry becomes due, when none is due
	// now; zero when the queue is empty or blocked by a lease or an error.
	NextDue time.Time
	// BlockedBy is the head entry that stops a strict lane (an ERROR entry with the hold
	// policy, or one waiting for its next attempt), for display; nil otherwise, and for keyed
	// claims.
	BlockedBy *Entry
}

// OutcomeKind is what happened to a claimed entry.
type OutcomeKind uint8

const (
	// OutcomeSent: delivered.
	OutcomeSent OutcomeKind = iota + 1
	// OutcomeRetry: the attempt failed; try again at NextAttemptAt.
	OutcomeRetry
	// OutcomeFailed: the attempt failed and the entry gave up (ERROR). With MoveOn, the lane
	// goes on past it; otherwise it holds the lane until an operator acts.
	OutcomeFailed
	// OutcomeHeld: set aside in Group by its destination (gathered for a batch file). The
	// entry leaves its lane and keeps its token, with which its final outcome is recorded.
	OutcomeHeld
	// OutcomeRelease: give the entry back untouched (shutdown), without counting an attempt.
	OutcomeRelease
	// OutcomeFiltered: the destination's own filter rejected the message at send time; the
	// entry becomes FILTERED (final) without an attempt.
	OutcomeFiltered
)

// Outcome records one attempt, or the release of a lease. It is accepted when Token is the
// entry's current token and the entry is SENDING or HELD, even after the lease expired if no
// other claim took the entry; otherwise it is refused with ErrStaleLease.
type Outcome struct {
	EntryID       int64
	Token         int64
	Kind          OutcomeKind
	Started       time.Time
	Finished      time.Time
	Response      []byte // what the destination answered (the downstream ACK), if anything
	ResponseCode  string // AA, AE, CA, HTTP 200...
	Error         string // why it failed
	Sent          []byte // the bytes delivered, when they differ from the entry's Content
	NextAttemptAt time.Time
	MoveOn        bool
	Group         string
}

// Attempt is one recorded delivery attempt.
type Attempt struct {
	ID           int64
	EntryID      int64
	Number       int
	Started      time.Time
	Finished     time.Time
	Outcome      string // SENT, RETRY, FAILED
	ResponseCode string
	Response     []byte
	Error        string
}

// Event is one thing that happened to a message: the history that the dashboard, metrics and
// the audit trail read.
type Event struct {
	ID        int64
	MessageID int64
	EntryID   int64 // 0 for message-level events
	Time      time.Time
	Kind      string // received, duplicate, filtered, error, queued, attempt, sent, failed, held, retried, skipped, reprocessed, viewed
	Actor     string // "engine", or the operator
	Detail    string
}

// Message is a stored message with its entries, attempts and events.
type Message struct {
	ID            int64
	Channel       string
	ReceivedAt    time.Time
	Remote        string
	File          string
	Raw           []byte // nil when the content was pruned
	Processed     []byte
	Meta          Meta
	Status        MessageStatus
	Error         string
	Ack           []byte
	Size          int
	SHA256        []byte
	SameContentAs int64
	Reprocessed   int64
	// ReceivedControlID is the MSH-10 the sender gave when it differs from Meta.ControlID
	// (see NewMessage.ReceivedControlID).
	ReceivedControlID string
	// Pruned means retention removed the content: Raw, Processed, Ack, the entries' Sent
	// and the attempts' Response are nil, and the error texts (the message's Error, the
	// entries' LastError, the attempts' Error) read PrunedError; metadata, entries, attempts,
	// response codes and events are kept.
	Pruned   bool
	Entries  []*Entry
	Attempts []*Attempt
	Events   []*Event
}

// Query selects messages; zero fields do not filter.
type Query struct {
	Channel   string
	Status    MessageStatus
	Type      string
	Trigger   string
	ControlID string // MSH-10 as stored or as received (see Message.ReceivedControlID)
	PatientID string
	From, To  time.Time // received in [From, To)
	// BeforeID pages backwards: only messages with a smaller ID (0 = from the newest).
	BeforeID int64
	Limit    int // default 100
}

// QueueStats describes one destination queue.
type QueueStats struct {
	Channel     string
	Destination string
	Pending     int // PENDING and SENDING
	Held        int
	Errors      int
	Sent        int
	// Oldest is the received time of the oldest entry waiting for delivery: pending, being
	// sent, held in a group, or given up and holding its lane (not one that let the queue
	// move on: Errors counts those).
	Oldest time.Time
	// BlockedBy is the oldest ERROR entry holding its lane or, when there is none, the
	// destination's head entry after a failed attempt, while it waits for its next attempt or
	// is in it (SENDING); nil when the queue flows.
	BlockedBy *Entry
}

// Store is the message store. Implementations are safe for concurrent use. After Close every
// method returns ErrClosed; closing twice is harmless.
//
// Receive is durable when it returns: the messages and entries are committed and synced to
// stable storage, so that a positive acknowledgement may be sent. Concurrent Receive calls
// share commits (group commit). An error means nothing of the request was stored; the caller
// must not acknowledge positively. ErrFull means the store is out of space.
//
// Every change to a message's entries that an outcome or an operator makes updates the
// message's derived status and adds an event, in the same transaction.
type Store interface {
	Receive(ctx context.Context, req *ReceiveRequest) ([]Receipt, error)
	// FileSeen reports whether a FileMark with this key was committed for the channel.
	FileSeen(ctx context.Context, channel, key string) (bool, error)

	// Claim leases the next due entries of a destination, in queue order (see ClaimRequest).
	Claim(ctx context.Context, req ClaimRequest) (ClaimResult, error)
	// Record stores outcomes of claimed entries. The returned slice has one error per outcome
	// (nil, ErrStaleLease, ErrNotFound for an unknown entry); the error is for the call as a
	// whole.
	Record(ctx context.Context, outcomes []Outcome) ([]error, error)
	// Held returns the HELD entries of a destination in a group, in queue order, with content.
	Held(ctx context.Context, channel, destination, group string) ([]*Entry, error)
	// HeldGroups counts a destination's held entries per group, without reading them: a
	// batch destination asks it each round to see which groups are due by size.
	HeldGroups(ctx context.Context, channel, destination string) (map[string]int, error)
	// ReleaseOwner gives back every lease held by owner (a node starting again after a crash):
	// the entries are PENDING again, due as they were, and the owner's tokens are refused.
	// It returns how many it released.
	ReleaseOwner(ctx context.Context, owner string) (int, error)

	// Operator actions, recorded as events with the actor. Both return ErrNotFound for an
	// unknown entry and ErrInvalidState for an entry in another state.
	Retry(ctx context.Context, entryID int64, actor string) error // ERROR or PENDING → due now, attempts counted afresh
	Skip(ctx context.Context, entryID int64, actor string) error  // PENDING, HELD or ERROR → SKIPPED (not SENDING)
	AddEvent(ctx context.Context, ev Event) error

	// Reading.
	Message(ctx context.Context, id int64) (*Message, error)
	Messages(ctx context.Context, q Query) ([]*Message, error) // newest first; no content, entries or events
	// Entries lists a destination's entries in the given states (all when none), in queue
	// order, without content; limit defaults to 100.
	Entries(ctx context.Context, channel, destination string, states []EntryState, limit int) ([]*Entry, error)
	Stats(ctx context.Context) ([]QueueStats, error)

	// Channel state: a small key/value store per channel for scripts. Values pass through the
	// codec like message content; StateSet with a nil value deletes the key.
	StateGet(ctx context.Context, channel, key string) ([]byte, bool, error)
	StateSet(ctx context.Context, channel, key string, value []byte) error

	// Prune removes message content (or whole messages, with all) received before cutoff
	// — with the error texts, which quote values from it (see PrunedError) —
	// whose entries are all final, at most batch messages per call, oldest first; it returns
	// how many it pruned (see Message.Pruned). Called repeatedly in the background, it never
	// holds the store for long.
	Prune(ctx context.Context, cutoff time.Time, all bool, batch int) (int, error)

	Close() error
}

// Codec seals message content on its way into the store and opens it on the way out, so that
// encryption at rest slots in without touching the engine. Sealed content carries its own key
// id.
type Codec interface {
	Seal(plain []byte) ([]byte, error)
	Open(sealed []byte) ([]byte, error)
}

// PrunedError replaces every non-empty error text of a message when retention prunes its
// content. Error texts quote the values they are about — a date that does not parse, a code
// missing from a table, a receiver's reason for rejecting a patient — so they are patient
// data as much as the content is, and go with it. That an error happened, when, its response
// code and the message's status stay.
const PrunedError = "(removed with the content by retention)"

// PlainCodec stores content as it is.
type PlainCodec struct{}

// Seal returns b.
func (PlainCodec) Seal(b []byte) ([]byte, error) { return b, nil }

// Open returns b.
func (PlainCodec) Open(b []byte) ([]byte, error) { return b, nil }
