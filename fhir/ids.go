package fhir

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
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
	var buf [128]byte // resource type names are short
	n := copy(buf[:], "urn:uuid:")
	u.format((*[36]byte)(buf[n : n+36]))
	n += 36
	n += copy(buf[n:], b.Type)
	buf[n] = '/'
	n++
	n += copy(buf[n:], buf[9:45])
	s := cv.keep(buf[:n])
	b.urn, b.ID, b.url = s[:45], s[9:45], s[45:]
}

// format writes the lower-case 8-4-4-4-12 form of u. Every resource of a Bundle has its id
// formatted, so the positions of the digits are in a table rather than found by branches.
func (u *uuid) format(s *[36]byte) {
	s[8], s[13], s[18], s[23] = '-', '-', '-', '-'
	for i, j := range uuidDigitsAt {
		x := u[i]
		s[j], s[j+1] = hexDigits[x>>4], hexDigits[x&0xF]
	}
}

// uuidDigitsAt holds where the two digits of each byte of a UUID go in its string form.
var uuidDigitsAt = [16]uint8{0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34}

// newUUID5 returns the version 5 UUID of name in namespace ns, in its string form.
func newUUID5(ns uuid, name []byte) string { return uuid5Sum(ns, name).urn()[9:] }
