// Package mllp carries HL7 version 2 messages over TCP with the Minimal Lower Layer Protocol.
//
// MLLP wraps each message in a frame: a start block (0x0B), the message bytes, and an end
// block (0x1C 0x0D). Reader and Writer do the framing over any io.Reader and io.Writer;
// Server and Client add what a hospital interface needs around it: limits on every resource
// a peer can consume, deadlines, TLS with client certificates, graceful shutdown, reconnection
// with backoff, acknowledgement correlation and MLLP Release 2 commit acknowledgements.
//
// The package is transport only. It does not parse HL7: a Handler receives the bytes of each
// message and returns the bytes of the response. The one exception is the small scan the
// Client needs to match a response to the message it sent (MSH-10 of the message, MSA-1,
// MSA-2 and MSA-3 of the response); it finds segments and fields and nothing else. Building
// acknowledgements belongs to the hl7 package.
//
// The framing rules (what is tolerated, what is an error and what is discarded) are listed in
// docs/mllp.md and in the documentation of Reader.
//
// Nothing in this package logs or reports message bodies: logs carry connection ids,
// addresses, control ids and error kinds only.
package mllp
