package fhir

import "unicode/utf8"

// jsonAppender is implemented by every type of json_gen.go.
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

// jsonKey writes the key of a property, given as `,"name":`: without the comma when it is
// the first property written (n counts them).
func jsonKey(b []byte, n *int, key string) []byte {
	if *n == 0 {
		key = key[1:]
	}
	*n++
	return append(b, key...)
}

const hexDigits = "0123456789abcdef"

// jsonString writes s as a JSON string escaped exactly as encoding/json escapes it with
// HTML escaping off: quotes, backslashes and control characters; invalid UTF-8 becomes
// U+FFFD; U+2028 and U+2029 are escaped for JavaScript.
//
// Nearly every string of a Bundle (codes, URLs, ids, dates, names) needs no escaping, and
// strings are most of its bytes: so it looks for the first byte that may need work eight
// bytes at a time, as one 64-bit word with a few arithmetic operations for the eight
// (jsonWordSpecial), and copies the string in one append when there is none.
func jsonString(b []byte, s string) []byte {
	b = append(b, '"')
	n := len(s)
	if n < 8 {
		for i := 0; i < n; i++ {
			if jsonSpecial[s[i]] != 0 {
				return jsonStringFrom(b, s, i)
			}
		}
	} else {
		i := 0
		for ; i+8 <= n; i += 8 {
			if jsonWordSpecial(word(s, i)) {
				return jsonStringFrom(b, s, i)
			}
		}
		// The last bytes, as the word that ends the string: it overlaps words already
		// checked, which is harmless.
		if i < n && jsonWordSpecial(word(s, n-8)) {
			return jsonStringFrom(b, s, n-8)
		}
	}
	b = append(b, s...)
	return append(b, '"')
}

// word returns the eight bytes of s from i as a little-endian word; the compiler makes it
// one load.
func word(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// jsonWordSpecial reports whether one of the eight bytes of w is one that jsonSpecial
// marks. A byte below 0x20 borrows when 0x20 is taken from it, which sets its top bit;
// a byte of 0x80 or more has it set already; a byte equal to the quote or the backslash
// becomes zero when xored with it, which the classic has-zero-byte test finds. A borrow
// from a lower byte only ever follows a byte that is itself special, so the tests are
// exact for the word as a whole.
func jsonWordSpecial(w uint64) bool {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	q := w ^ ('"' * ones)
	bs := w ^ ('\\' * ones)
	return ((w-0x20*ones)|w|(q-ones)&^q|(bs-ones)&^bs)&highs != 0
}

// jsonSpecial marks the bytes jsonString does not copy as they are: control characters,
// the quote, the backslash, and the bytes of multi-byte characters (which may be invalid,
// or U+2028 and U+2029).
var jsonSpecial = func() (t [256]uint8) {
	for c := range t {
		if c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			t[c] = 1
		}
	}
	return t
}()

// jsonStringFrom writes s from i on, escaping what needs it; s[:i] needs nothing.
func jsonStringFrom(b []byte, s string, i int) []byte {
	start := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
