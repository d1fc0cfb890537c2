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
	var id [36]byte
	u.format(&id)
	a := &cv.strs
	start := a.Len()
	a.WriteString("urn:uuid:")
	a.Write(id[:])
	a.WriteString(b.Type)
	a.WriteByte('/')
	a.Write(id[:])
	s := a.String()[start:]
	b.urn, b.ID, b.url = s[:45], s[9:45], s[45:]
}

// format writes the lower-case 8-4-4-4-12 form of u.
func (u *uuid) format(s *[36]byte) {
	j := 0
	for i, x := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s[j] = '-'
			j++
		}
		s[j], s[j+1] = hexDigits[x>>4], hexDigits[x&0xF]
		j += 2
	}
}

// newUUID5 returns the version 5 UUID of name in namespace ns, in its string form.
func newUUID5(ns uuid, name []byte) string { return uuid5Sum(ns, name).urn()[9:] }
