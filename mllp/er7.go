package mllp

import "bytes"

// This file is the only place where the package looks inside a message. The Client needs
// MSH-10 of what it sends and MSA-1, MSA-2 and MSA-3 of what comes back to tell which message
// an acknowledgement belongs to and what it says; importing the hl7 package for that would
// tie the transport to the parser. The scan finds segments and fields only:
//
//   - The message starts with "MSH" (after an optional UTF-8 byte order mark and blank
//     lines); the field separator is the byte after it (MSH-1).
//   - Segments end at CR, LF or CRLF.
//   - Fields are split on the field separator; MSH-1 is the separator itself, so MSH-n is the
//     (n-1)th piece after the segment name, and for any other segment SEG-n is the nth.
//   - Values are returned raw: no components, repetitions or escape sequences are decoded.
//     Correlation compares raw bytes, which is right because an acknowledgement copies MSH-10
//     into MSA-2 byte for byte.

// Acknowledgement codes of HL7 table 0008, as found in MSA-1.
const (
	CodeAA = "AA" // original mode: application accept
	CodeAE = "AE" // original mode: application error
	CodeAR = "AR" // original mode: application reject
	CodeCA = "CA" // enhanced mode: commit accept
	CodeCE = "CE" // enhanced mode: commit error
	CodeCR = "CR" // enhanced mode: commit reject
)

// Response is what a Client received for a message.
type Response struct {
	// Raw is the response message as received, without framing. The caller owns it. It is
	// nil when only an MLLP Release 2 commit block was awaited.
	Raw []byte
	// Code is MSA-1 when it is one of AA, AE, AR, CA, CE or CR, and "" otherwise.
	Code string
	// ControlID is MSA-2, the control id (MSH-10) of the message acknowledged.
	ControlID string
	// Text is MSA-3, raw (escape sequences are not decoded).
	Text string
	// Committed reports an MLLP Release 2 commit acknowledgement (0x06 block) for the message.
	Committed bool
}

// Accepted reports whether the response is a positive acknowledgement: AA, or CA in
// enhanced mode.
func (r Response) Accepted() bool { return r.Code == CodeAA || r.Code == CodeCA }

// separator returns the message with any byte order mark and leading line ends removed, and
// its field separator, if it starts with an MSH segment.
func separator(msg []byte) (rest []byte, sep byte, ok bool) {
	msg = bytes.TrimPrefix(msg, []byte("\xEF\xBB\xBF"))
	msg = bytes.TrimLeft(msg, "\r\n")
	if len(msg) < 4 || string(msg[:3]) != "MSH" || msg[3] == '\r' || msg[3] == '\n' {
		return nil, 0, false
	}
	return msg, msg[3], true
}

// nextSegment splits off the first segment of msg.
func nextSegment(msg []byte) (seg, rest []byte) {
	// Two IndexByte scans (vectorised) instead of IndexAny, which tests byte by byte: the
	// client reads each acknowledgement's MSA this way.
	i := bytes.IndexByte(msg, '\r')
	head := msg
	if i >= 0 {
		head = msg[:i]
	}
	if j := bytes.IndexByte(head, '\n'); j >= 0 {
		i = j
	}
	if i < 0 {
		return msg, nil
	}
	seg, rest = msg[:i], msg[i+1:]
	if msg[i] == '\r' && len(rest) > 0 && rest[0] == '\n' {
		rest = rest[1:]
	}
	return seg, rest
}

// field returns the nth piece of seg split on sep, counting the segment name as piece 0.
func field(seg []byte, sep byte, n int) []byte {
	for ; n > 0; n-- {
		i := bytes.IndexByte(seg, sep)
		if i < 0 {
			return nil
		}
		seg = seg[i+1:]
	}
	if i := bytes.IndexByte(seg, sep); i >= 0 {
		seg = seg[:i]
	}
	return seg
}

// mshField returns MSH-n (n ≥ 2) of msg, raw, or nil.
func mshField(msg []byte, n int) []byte {
	msg, sep, ok := separator(msg)
	if !ok || n < 2 {
		return nil
	}
	seg, _ := nextSegment(msg)
	return field(seg, sep, n-1)
}

// controlID returns MSH-10, the message control id, or "" when msg has none.
func controlID(msg []byte) string { return string(mshField(msg, 10)) }

// readMSA fills the acknowledgement fields of a response from its first MSA segment. It
// reports false when there is no MSA segment.
func readMSA(raw []byte) (Response, bool) {
	resp := Response{Raw: raw}
	msg, sep, ok := separator(raw)
	if !ok {
		return resp, false
	}
	for len(msg) > 0 {
		var seg []byte
		seg, msg = nextSegment(msg)
		if len(seg) < 3 || string(seg[:3]) != "MSA" || len(seg) > 3 && seg[3] != sep {
			continue
		}
		code := field(seg, sep, 1)
		for _, c := range [...]string{CodeAA, CodeAE, CodeAR, CodeCA, CodeCE, CodeCR} {
			if string(code) == c {
				resp.Code = c // the constant: no allocation
			}
		}
		resp.ControlID = string(field(seg, sep, 2))
		resp.Text = string(field(seg, sep, 3))
		return resp, true
	}
	return resp, false
}
