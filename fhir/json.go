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
// bytes at a time, with one branch for the eight, and copies the string in one append
// when there is none.
func jsonString(b []byte, s string) []byte {
	b = append(b, '"')
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8]
		if jsonSpecial[w[0]]|jsonSpecial[w[1]]|jsonSpecial[w[2]]|jsonSpecial[w[3]]|
			jsonSpecial[w[4]]|jsonSpecial[w[5]]|jsonSpecial[w[6]]|jsonSpecial[w[7]] != 0 {
			return jsonStringFrom(b, s, i)
		}
	}
	for ; i < len(s); i++ {
		if jsonSpecial[s[i]] != 0 {
			return jsonStringFrom(b, s, i)
		}
	}
	b = append(b, s...)
	return append(b, '"')
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
