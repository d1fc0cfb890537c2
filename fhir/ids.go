package fhir

import (
	"bytes"
	"crypto/sha1"
	"encoding"
	"encoding/hex"
	"fmt"
	"hash"
	"unsafe"
)

// DefaultNamespace is the UUID namespace for resource ids when Options.Namespace is empty. It
// is itself the version 5 UUID of "https://github.com/courier-hl7/courier/fhir" in the URL
// namespace of RFC 9562, so it is reproducible, and it never changes: changing it would give
// every resource Courier ever sent a new id.
const DefaultNamespace = "0a6e8801-676b-557b-b25b-d913f86dcbe5"

// uuid is a parsed 16-byte UUID.
type uuid [16]byte

// parseUUID reads the 8-4-4-4-12 hexadecimal form.
func parseUUID(s string) (uuid, error) {
	var u uuid
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, fmt.Errorf("%q is not a UUID in the 8-4-4-4-12 form", s)
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(u[:], []byte(h)); err != nil {
		return u, fmt.Errorf("%q is not a UUID: %w", s, err)
	}
	return u, nil
}

// uuid5Sum returns the 16 bytes of the name-based (SHA-1, version 5) UUID of name in
// namespace ns, RFC 9562 section 5.5.
func uuid5Sum(ns uuid, name []byte) uuid {
	var stack [256]byte
	buf := append(append(stack[:0], ns[:]...), name...)
	sum := sha1.Sum(buf)
	sum[6] = sum[6]&0x0f | 0x50
	sum[8] = sum[8]&0x3f | 0x80
	var u uuid
	copy(u[:], sum[:16])
	return u
}

// idHasher computes the version 5 UUIDs of a conversion. The names it hashes often share
// their beginning with the last one (the observations of a report all start with
// "Observation/" and the report's key) and, with the namespace, most take two SHA-1 blocks:
// so it keeps the SHA-1 state after the first block of the last long name and, when the next
// one begins with the same bytes, hashes only the rest. The ids are those uuid5Sum gives.
type idHasher struct {
	h     hash.Hash
	ns    uuid
	first [idHead]byte // the name's bytes in the first block, when ok
	ok    bool
	state []byte // h's state after the first block, when ok
	out   []byte
	memo  [4]idMemo // see remembered
	next  int
}

// idHead is how many bytes of a name the first SHA-1 block holds, after the namespace.
const idHead = sha1.BlockSize - len(uuid{})

// sum returns uuid5Sum(ns, name).
func (x *idHasher) sum(ns uuid, name []byte) uuid {
	// A name that ends within 55 bytes of the block's start, with the padding, is one block.
	if len(name) < idHead || len(name)+len(ns) <= sha1.BlockSize-9 {
		return uuid5Sum(ns, name)
	}
	if x.h == nil {
		x.h = sha1.New()
	}
	if x.ok && x.ns == ns && [idHead]byte(name) == x.first {
		if err := x.h.(encoding.BinaryUnmarshaler).UnmarshalBinary(x.state); err != nil {
			return uuid5Sum(ns, name) // cannot happen: the state is one h wrote
		}
	} else {
		x.h.Reset()
		x.ns = ns
		x.h.Write(x.ns[:])
		x.h.Write(name[:idHead])
		st, err := x.h.(encoding.BinaryAppender).AppendBinary(x.state[:0])
		if err != nil {
			return uuid5Sum(ns, name)
		}
		x.state, x.first, x.ok = st, [idHead]byte(name), true
	}
	x.h.Write(name[idHead:])
	x.out = x.h.Sum(x.out[:0])
	var u uuid
	copy(u[:], x.out)
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return u
}

// forget drops what the hasher holds of the last names, which are a message's data.
func (x *idHasher) forget() {
	x.first, x.ok = [idHead]byte{}, false
	clear(x.state)
	clear(x.out)
	for i := range x.memo {
		e := &x.memo[i]
		clear(e.name)
		e.name, e.set = e.name[:0], false
	}
	x.next = 0
}

// idMemo is a name hashed by remembered, with its id.
type idMemo struct {
	name []byte
	set  bool
	ns   uuid
	u    uuid
}

// remembered is sum for the names a conversion looks up again and again (the assigning
// authorities of its identifiers, one or two organizations named by every EI and CX): the
// last few are kept with their ids.
func (x *idHasher) remembered(ns uuid, name []byte) uuid {
	for i := range x.memo {
		if e := &x.memo[i]; e.set && e.ns == ns && bytes.Equal(e.name, name) {
			return e.u
		}
	}
	u := x.sum(ns, name)
	e := &x.memo[x.next]
	x.next = (x.next + 1) % len(x.memo)
	e.name, e.set, e.ns, e.u = append(e.name[:0], name...), true, ns, u
	return u
}

// urn returns "urn:uuid:" and the lower-case string form of u, in one allocation; the id is
// its suffix, from byte 9.
func (u uuid) urn() string {
	var out [45]byte
	copy(out[:], "urn:uuid:")
	hex.Encode(out[9:17], u[0:4])
	out[17] = '-'
	hex.Encode(out[18:22], u[4:6])
	out[22] = '-'
	hex.Encode(out[23:27], u[6:8])
	out[27] = '-'
	hex.Encode(out[28:32], u[8:10])
	out[32] = '-'
	hex.Encode(out[33:45], u[10:16])
	return string(out[:])
}

// setID sets the id of a resource new in its Bundle, with its fullUrl (urn:uuid:) and
// the Type/id of its request and batch references. The three are substrings of one string,
// written in the conversion's string arena.
func (cv *conv) setID(b *base, u uuid) {
	n := len("urn:uuid:") + 36 + len(b.Type) + 1 + 36
	var s string
	if cv.direct {
		// Written in place in the arena of the conversion (see keep).
		if len(cv.reuse)+n > cap(cv.reuse) {
			cv.reuse = make([]byte, 0, max(2*cap(cv.reuse), n))
		}
		start := len(cv.reuse)
		cv.reuse = cv.reuse[:start+n]
		idText(cv.reuse[start:start+n], b.Type, u)
		s = unsafe.String(&cv.reuse[start], n)
	} else {
		var buf [128]byte // resource type names are short
		p := buf[:]
		if n > len(buf) {
			p = make([]byte, n)
		}
		s = cv.keep(idText(p[:n], b.Type, u))
	}
	b.urn, b.ID, b.url = s[:45], s[9:45], s[45:]
}

// idText writes "urn:uuid:", the id, the type, "/" and the id again into buf, which holds
// them exactly, and returns it.
func idText(buf []byte, typ string, u uuid) []byte {
	copy(buf, "urn:uuid:")
	u.format((*[36]byte)(buf[9:45]))
	k := 45 + copy(buf[45:], typ)
	buf[k] = '/'
	copy(buf[k+1:], buf[9:45])
	return buf
}

// format writes the lower-case 8-4-4-4-12 form of u. Every resource of a Bundle has its id
// formatted, so each byte's two digits come from a table, written at constant positions,
// which needs no bounds checks.
func (u *uuid) format(s *[36]byte) {
	s[8], s[13], s[18], s[23] = '-', '-', '-', '-'
	*(*[2]byte)(s[0:2]) = hexPairs[u[0]]
	*(*[2]byte)(s[2:4]) = hexPairs[u[1]]
	*(*[2]byte)(s[4:6]) = hexPairs[u[2]]
	*(*[2]byte)(s[6:8]) = hexPairs[u[3]]
	*(*[2]byte)(s[9:11]) = hexPairs[u[4]]
	*(*[2]byte)(s[11:13]) = hexPairs[u[5]]
	*(*[2]byte)(s[14:16]) = hexPairs[u[6]]
	*(*[2]byte)(s[16:18]) = hexPairs[u[7]]
	*(*[2]byte)(s[19:21]) = hexPairs[u[8]]
	*(*[2]byte)(s[21:23]) = hexPairs[u[9]]
	*(*[2]byte)(s[24:26]) = hexPairs[u[10]]
	*(*[2]byte)(s[26:28]) = hexPairs[u[11]]
	*(*[2]byte)(s[28:30]) = hexPairs[u[12]]
	*(*[2]byte)(s[30:32]) = hexPairs[u[13]]
	*(*[2]byte)(s[32:34]) = hexPairs[u[14]]
	*(*[2]byte)(s[34:36]) = hexPairs[u[15]]
}

// hexPairs holds the two lower-case hexadecimal digits of each byte.
var hexPairs = func() (t [256][2]byte) {
	for i := range t {
		t[i] = [2]byte{hexDigits[i>>4], hexDigits[i&0xF]}
	}
	return t
}()

// newUUID5 returns the version 5 UUID of name in namespace ns, in its string form.
func newUUID5(ns uuid, name []byte) string { return uuid5Sum(ns, name).urn()[9:] }
