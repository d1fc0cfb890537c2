// Package connector defines how messages enter and leave Courier: a Source hands each message
// it receives to the engine, and a Destination delivers one message at a time. Each transport
// lives in its own package under connector/ and registers a spec and a constructor in an Env.
package connector

import (
	"context"
	"errors"
	"time"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/store"
)

// Inbound is one message as a source received it.
type Inbound struct {
	Raw        []byte    // the message bytes; the engine keeps them, the source must not reuse them
	Remote     string    // remote network address, when it came over a connection
	File       string    // file name, when it came from a file
	ReceivedAt time.Time // when the last byte arrived
	// Reprocess is the ID of a stored message this one reprocesses: it skips the duplicate
	// check and is linked to the original.
	Reprocess int64
	// Durable asks Receive to return only once the message is stored, whatever the
	// channel's ACK mode: a channel destination handing a message over must know that it
	// is stored, or it would count the hand-over as failed and hand it over again. (ACK
	// mode immediate is about the channel's own senders.)
	Durable bool
}

// Reply is the engine's answer to one inbound message.
type Reply struct {
	// Ack is the acknowledgement to send back to the sender; nil means send nothing (the
	// channel's ACK mode is none, or the message was itself an acknowledgement).
	Ack []byte
	// Stored reports that the message is durably stored (or was already, as a duplicate).
	Stored bool
	// Duplicate reports that the message was a resend within the duplicate window.
	Duplicate bool
	// MessageID is the stored message's ID (the original's for a duplicate).
	MessageID int64
}

// ErrNotStored means the engine could not store the message (the store refused the commit,
// or the engine is shutting down). A network source answers with the negative Reply.Ack that
// comes with it, or closes the connection; a file source leaves the file for a later try.
var ErrNotStored = errors.New("message not stored")

// ErrUnreachable means a destination could not reach its receiver (no connection within its
// connect timeout): the message was not sent, and the attempt is retried per the policy.
var ErrUnreachable = errors.New("receiver unreachable")

// Receiver is the engine's side of a source.
type Receiver interface {
	// Receive runs one message through the channel's pipeline. It returns after the message
	// is stored (in every ACK mode but immediate), with the acknowledgement to send back. On
	// an error wrapping ErrNotStored, Reply.Ack, when set, is a negative acknowledgement.
	// Safe for concurrent use.
	Receive(ctx context.Context, in *Inbound) (Reply, error)
	// ReceiveFile stores all messages of one file and marks the file as read in the same
	// commit: either every message is stored and the file will not be read again, or none is.
	ReceiveFile(ctx context.Context, file string, key string, msgs []*Inbound) ([]Reply, error)
	// FileSeen reports whether a file with this key was already read completely.
	FileSeen(ctx context.Context, key string) (bool, error)
}

// Source receives messages and hands them to a Receiver.
//
// Start begins receiving in the background and returns once the source is ready (a listener
// bound, a folder found); an error means it could not start and nothing runs. Stop stops
// accepting new messages, waits for messages in flight to be stored and answered, and returns;
// it must work after a failed or partial Start. After Stop, Start may be called again (a paused
// channel resuming).
type Source interface {
	Start(ctx context.Context, r Receiver) error
	Stop(ctx context.Context) error
}

// Outbound is one message to deliver.
type Outbound struct {
	Content []byte // the bytes to send, after the destination's transform
	// ContentType is the media type of Content when a step encoded it (application/json,
	// application/fhir+json, application/xml); empty for HL7 v2 (ER7).
	ContentType string
	Message     *hl7.Message // the HL7 message (nil when Content does not parse: send the bytes as they are)
	MessageID   int64
	EntryID     int64
	Attempt     int // 1 for the first attempt
	Meta        store.Meta
	Received    time.Time
}

// Response is what a destination got back.
type Response struct {
	// OK reports that the receiver accepted the message (AA or CA for MLLP, 2xx for HTTP).
	OK bool
	// Code is the receiver's answer in its own terms: AA, AE, AR, CA, CE, CR, an HTTP status.
	Code string
	// Raw is the response body (the downstream acknowledgement), stored with the attempt.
	Raw []byte
	// Text explains a negative answer (MSA-3, ERR-8, an OperationOutcome's diagnostics).
	Text string
}

// Destination delivers messages. Send is called for one message at a time per ordered lane
// (several lanes may call it concurrently when the destination delivers keys in parallel). An
// error means the attempt failed before an answer came (connection refused, timeout); a
// Response with OK false means the receiver answered and refused. The engine retries both per
// the destination's retry policy. Close releases connections; it must work after a failed
// Connect or no Send at all.
type Destination interface {
	Send(ctx context.Context, out *Outbound) (Response, error)
	Close(ctx context.Context) error
}

// Batcher is implemented by destinations that gather messages and deliver them together (a
// daily batch file). The engine holds each entry in the current group instead of sending it,
// asks Due when to deliver, and calls Flush with the group's messages in queue order.
type Batcher interface {
	Destination
	// Group names the batch that an entry held now joins.
	Group(now time.Time) string
	// Due reports whether the group must be delivered now, given how many messages it holds,
	// and otherwise when to ask again.
	Due(group string, held int, now time.Time) (bool, time.Time)
	// Flush delivers a group. It must be idempotent for the same group name: after a crash
	// the engine flushes the group again.
	Flush(ctx context.Context, group string, msgs []*Outbound) error
}

// A BatchLimit is a Batcher whose groups hold at most MaxMessages messages (0: no limit):
// the engine puts no more than that in one group, and flushes it before holding more.
type BatchLimit interface {
	MaxMessages() int
}
