package hl7

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/japanese"
)

// maxSpace bounds the line breaks and spaces one \.sp\ or \.sk\ escape may expand to, so that a
// hostile "\.sp 999999999\" cannot allocate without limit.
const maxSpace = 64

// unescape decodes the escape sequences of a leaf value.
//
// Delimiter escapes \F\ \S\ \T\ \R\ \E\ (and \P\, the v2.7 truncation character) become the
// message's own delimiters. \Xhh..\ becomes the bytes it names, read in the message's character
// set. \.br\ and \.ce\ become a line break, \.sp n\ n line breaks, \.sk n\ n spaces. \H\, \N\,
// \.fi\, \.nf\, \.in n\ and \.ti n\ change only how text is shown and are removed. \Cxxyy\ and
// \Mxxyyzz\ switch ISO 2022 character sets: they are decoded when the text they switch decodes
// as ISO-2022-JP, and kept as they are otherwise. Anything else — \Zxx\ local escapes, unknown
// or unterminated sequences, a \X\ with odd or non-hex digits — is kept verbatim.
func (m *Message) unescape(b []byte) string {
	d := &m.delims
	e := d.Escape
	if e == 0 || bytes.IndexByte(b, e) < 0 {
		return string(b)
	}
	out := make([]byte, 0, len(b))
	iso2022 := false
	for i := 0; i < len(b); {
		c := b[i]
		if c != e {
			out = append(out, c)
			i++
			continue
		}
		j := bytes.IndexByte(b[i+1:], e)
		if j < 0 {
			out = append(out, b[i:]...)
			break
		}
		seq := b[i+1 : i+1+j]
		whole := b[i : i+j+2]
		i += j + 2
		if len(seq) == 0 {
			out = append(out, whole...)
			continue
		}
		switch seq[0] {
		case 'F', 'S', 'T', 'R', 'E', 'P':
			if len(seq) == 1 {
				if r := d.escaped(seq[0]); r != 0 {
					out = append(out, r)
					continue
				}
			}
		case 'X':
			if raw, ok := decodeHex(seq[1:]); ok {
				out = append(out, m.decodeBytes(raw)...)
				continue
			}
		case 'H', 'N':
			if len(seq) == 1 {
				continue
			}
		case 'C', 'M':
			if raw, ok := decodeHex(seq[1:]); ok && (seq[0] == 'C' && len(raw) == 2 || seq[0] == 'M' && (len(raw) == 2 || len(raw) == 3)) {
				out = append(out, 0x1B)
				out = append(out, raw...)
				iso2022 = true
				continue
			}
		case '.':
			if r, ok := formatting(seq[1:]); ok {
				out = append(out, r...)
				continue
			}
		}
		out = append(out, whole...)
	}
	if iso2022 {
		if dec, err := japanese.ISO2022JP.NewDecoder().Bytes(out); err == nil && bytes.IndexByte(dec, 0x1B) < 0 && !bytes.Contains(dec, []byte("\uFFFD")) {
			return string(dec)
		}
		return m.unescapeKeepingISO2022(b)
	}
	return string(out)
}

// unescapeKeepingISO2022 decodes b as unescape does but keeps \C and \M sequences verbatim.
func (m *Message) unescapeKeepingISO2022(b []byte) string {
	e := m.delims.Escape
	var sb strings.Builder
	for len(b) > 0 {
		i := bytes.IndexByte(b, e)
		if i < 0 {
			sb.WriteString(m.unescape(b))
			break
		}
		j := bytes.IndexByte(b[i+1:], e)
		if j < 0 {
			sb.WriteString(m.unescape(b))
			break
		}
		if c := b[i+1]; j > 0 && (c == 'C' || c == 'M') {
			sb.WriteString(m.unescape(b[:i]))
			sb.Write(b[i : i+j+2])
		} else {
			sb.WriteString(m.unescape(b[:i+j+2]))
		}
		b = b[i+j+2:]
	}
	return sb.String()
}

// escaped returns the delimiter named by a one-letter escape, or 0.
func (d *Delimiters) escaped(c byte) byte {
	switch c {
	case 'F':
		return d.Field
	case 'S':
		return d.Component
	case 'T':
		return d.SubComponent
	case 'R':
		return d.Repetition
	case 'E':
		return d.Escape
	case 'P':
		return d.Truncation
	}
	return 0
}

// decodeBytes turns bytes in the message's character set into text. A message that names no
// character set is read as UTF-8, but a sender that names none and escapes \XE9\ means the
// byte of its (single-byte) platform set, not a broken UTF-8 sequence: bytes that are not UTF-8
// are read as ISO 8859-1, so that String always returns valid text (HL7 v2.5 §2.7.5: the
// interpretation of \X\ bytes is left to site agreement). A message that declares UTF-8 (or
// ASCII, which is read as UTF-8 too) has said what its bytes are: bytes that are not valid
// UTF-8 become U+FFFD, as bytes a declared single-byte set does not define do. A UTF-8 byte
// order mark before a message whose MSH-18 names another set makes its bytes UTF-8, but not
// its escapes: they are read in MSH-18's set.
func (m *Message) decodeBytes(raw []byte) []byte {
	if m.enc == nil {
		if utf8.Valid(raw) {
			return raw
		}
		switch enc, declared := m.hexCharset(); {
		case declared && enc == nil:
			// Each byte that starts no valid sequence becomes one U+FFFD.
			out := make([]byte, 0, len(raw)+8)
			for len(raw) > 0 {
				r, n := utf8.DecodeRune(raw)
				out = utf8.AppendRune(out, r)
				raw = raw[n:]
			}
			return out
		case declared:
			if dec, err := enc.NewDecoder().Bytes(raw); err == nil {
				return dec
			}
		}
		out := make([]byte, 0, 2*len(raw))
		for _, c := range raw {
			out = utf8.AppendRune(out, rune(c))
		}
		return out
	}
	if dec, err := m.enc.NewDecoder().Bytes(raw); err == nil {
		return dec
	}
	return raw
}

// hexCharset returns the character set that hex escapes are read in when the message's text
// is its bytes as they are: MSH-18's (which a UTF-8 byte order mark overrides for the bytes,
// not for the escapes the sender wrote for MSH-18's set), else the Parser's default. declared
// is false when neither names a set this package knows.
func (m *Message) hexCharset() (enc encoding.Encoding, declared bool) {
	name := m.declared
	if name == "" {
		name = m.charset
	}
	if name == "" {
		return nil, false
	}
	enc, err := lookupCharset(name)
	return enc, err == nil
}

func decodeHex(h []byte) ([]byte, bool) {
	if len(h) == 0 || len(h)%2 != 0 {
		return nil, false
	}
	out := make([]byte, len(h)/2)
	for i := range out {
		hi, ok1 := unhex(h[2*i])
		lo, ok2 := unhex(h[2*i+1])
		if !ok1 || !ok2 {
			return nil, false
		}
		out[i] = hi<<4 | lo
	}
	return out, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// formatting decodes a formatted-text command (the part after the dot) into plain text.
func formatting(cmd []byte) ([]byte, bool) {
	if len(cmd) < 2 {
		return nil, false
	}
	name, arg := cmd[:2], bytes.TrimSpace(cmd[2:])
	n, signed, ok := formatArg(arg)
	if !ok {
		return nil, false
	}
	switch string(name) {
	case "br", "ce":
		if len(arg) == 0 {
			return []byte{'\n'}, true
		}
	case "sp":
		if !signed {
			if len(arg) == 0 {
				n = 1
			}
			return bytes.Repeat([]byte{'\n'}, min(n, maxSpace)), true
		}
	case "sk":
		if !signed {
			if len(arg) == 0 {
				n = 1
			}
			return bytes.Repeat([]byte{' '}, min(n, maxSpace)), true
		}
	case "fi", "nf":
		if len(arg) == 0 {
			return nil, true
		}
	case "in", "ti":
		return nil, true
	}
	return nil, false
}

// formatArg reads the optional number of a formatting command: digits with an optional sign.
func formatArg(arg []byte) (n int, signed, ok bool) {
	if len(arg) == 0 {
		return 0, false, true
	}
	if arg[0] == '+' || arg[0] == '-' {
		signed, arg = true, arg[1:]
	}
	if len(arg) == 0 || len(arg) > 6 {
		return 0, signed, false
	}
	for _, c := range arg {
		if c < '0' || c > '9' {
			return 0, signed, false
		}
		n = n*10 + int(c-'0')
	}
	return n, signed, true
}

// errNoEscape means a value holds a delimiter and the message has no escape character.
var errNoEscape = errors.New("value holds a delimiter and the message defines no escape character")

// EscapeText encodes text for the message's delimiters: every delimiter in it becomes its escape
// sequence, and CR and LF become \X0D\ and \X0A\ (a raw CR would end the segment).
func (d Delimiters) EscapeText(text string) (string, error) {
	b, err := d.appendEscaped(nil, text)
	return string(b), err
}

// UnescapeText decodes the escape sequences of a leaf value, as Value.String does, for a message
// with these delimiters in ASCII or UTF-8.
func (d Delimiters) UnescapeText(raw string) string {
	m := Message{delims: d}
	return m.unescape([]byte(raw))
}

func (d *Delimiters) appendEscaped(dst []byte, text string) ([]byte, error) {
	if !d.needsEscape(text) {
		return append(dst, text...), nil
	}
	if d.Escape == 0 {
		return dst, errNoEscape
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		var r byte
		switch {
		case c == d.Escape:
			r = 'E'
		case c == d.Field:
			r = 'F'
		case c == d.Component:
			r = 'S'
		case c == d.SubComponent && c != 0:
			r = 'T'
		case c == d.Repetition && c != 0:
			r = 'R'
		case c == d.Truncation && c != 0:
			r = 'P'
		case c == '\r':
			dst = append(dst, d.Escape, 'X', '0', 'D', d.Escape)
			continue
		case c == '\n':
			dst = append(dst, d.Escape, 'X', '0', 'A', d.Escape)
			continue
		default:
			dst = append(dst, c)
			continue
		}
		dst = append(dst, d.Escape, r, d.Escape)
	}
	return dst, nil
}

func (d *Delimiters) needsEscape(text string) bool {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == '\r' || c == '\n' || d.isDelimiter(c) || c == d.Truncation && c != 0 {
			return true
		}
	}
	return false
}

// EscapeError reports a value that cannot be written with a message's delimiters.
type EscapeError struct {
	Path string
	Err  error
}

func (e *EscapeError) Error() string { return fmt.Sprintf("hl7: set %s: %v", e.Path, e.Err) }
func (e *EscapeError) Unwrap() error { return e.Err }
