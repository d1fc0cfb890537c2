package hl7

import (
	"fmt"
)

// Delimiters are the characters that structure a message, read from MSH-1 and MSH-2 (or FHS,
// BHS). A zero Repetition, Escape, SubComponent or Truncation means the message does not use
// that delimiter: MSH-2 may be shorter than four characters in old or careless senders.
type Delimiters struct {
	Field        byte // MSH-1, usually '|'
	Component    byte // MSH-2 first character, usually '^'
	Repetition   byte // usually '~'
	Escape       byte // usually '\\'
	SubComponent byte // usually '&'
	Truncation   byte // v2.7+: fifth MSH-2 character, usually '#'; 0 when absent
}

// DefaultDelimiters returns |^~\& without a truncation character.
func DefaultDelimiters() Delimiters {
	return Delimiters{Field: '|', Component: '^', Repetition: '~', Escape: '\\', SubComponent: '&'}
}

// EncodingCharacters returns MSH-2 for these delimiters.
func (d Delimiters) EncodingCharacters() string {
	b := make([]byte, 0, 5)
	for _, c := range []byte{d.Component, d.Repetition, d.Escape, d.SubComponent, d.Truncation} {
		if c == 0 {
			break
		}
		b = append(b, c)
	}
	return string(b)
}

// Validate reports whether the delimiters can structure a message: present where required,
// distinct, and not a segment terminator.
func (d Delimiters) Validate() error {
	if d.Field == 0 || d.Component == 0 {
		return fmt.Errorf("%w: field and component separators are required", ErrDelimiters)
	}
	all := [6]byte{d.Field, d.Component, d.Repetition, d.Escape, d.SubComponent, d.Truncation}
	for i, c := range all {
		if c == 0 {
			continue
		}
		if c <= ' ' || c >= 0x7F {
			return fmt.Errorf("%w: %s is byte 0x%02X, not a visible ASCII character", ErrDelimiters, delimNames[i], c)
		}
		if isAlnum(c) {
			return fmt.Errorf("%w: %s %q is a letter or digit", ErrDelimiters, delimNames[i], c)
		}
		for j := i + 1; j < len(all); j++ {
			if all[j] == c {
				return fmt.Errorf("%w: %s and %s are both %q", ErrDelimiters, delimNames[i], delimNames[j], c)
			}
		}
	}
	return nil
}

var delimNames = [6]string{"field separator", "component separator", "repetition separator", "escape character", "sub-component separator", "truncation character"}

// isDelimiter reports whether c is one of the separators or the escape character.
func (d *Delimiters) isDelimiter(c byte) bool {
	return c != 0 && (c == d.Field || c == d.Component || c == d.Repetition || c == d.Escape || c == d.SubComponent)
}

// readDelimiters reads MSH-1 and MSH-2 from a header segment starting at seg[0].
// It returns the delimiters and the length of the header through MSH-2.
func readDelimiters(seg []byte) (Delimiters, error) {
	var d Delimiters
	if len(seg) < 4 {
		return d, fmt.Errorf("%w: header is %d bytes, too short to hold MSH-1", ErrDelimiters, len(seg))
	}
	d.Field = seg[3]
	i := 4
	enc := [5]*byte{&d.Component, &d.Repetition, &d.Escape, &d.SubComponent, &d.Truncation}
	for n := 0; i < len(seg) && seg[i] != d.Field && seg[i] != '\r' && seg[i] != '\n'; i, n = i+1, n+1 {
		if n == len(enc) {
			return d, fmt.Errorf("%w: MSH-2 is longer than 5 characters", ErrDelimiters)
		}
		*enc[n] = seg[i]
	}
	if i == 4 {
		return d, fmt.Errorf("%w: MSH-2 (encoding characters) is empty", ErrDelimiters)
	}
	return d, d.Validate()
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z'
}

// isHeaderName reports whether a segment with this name defines delimiters in its first two
// fields, and so counts its fields the MSH way.
func isHeaderName(name []byte) bool {
	if len(name) != 3 {
		return false
	}
	switch string(name) {
	case "MSH", "FHS", "BHS":
		return true
	}
	return false
}
