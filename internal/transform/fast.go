package transform

import (
	"unsafe"

	"github.com/courier-hl7/courier/hl7"
)

// The helpers here keep the hot paths of steps and expressions from allocating: most values
// are plain text that needs no escaping and no decoding.

// escape returns text encoded for d: the text itself when it holds nothing to escape.
func escape(d hl7.Delimiters, text string) (string, error) {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c == d.Field || c == d.Component || c == '\r' || c == '\n' ||
			c != 0 && (c == d.Repetition || c == d.Escape || c == d.SubComponent || c == d.Truncation) {
			return d.EscapeText(text)
		}
	}
	return text, nil
}

// text returns a value's decoded text. A leaf without escape sequences is returned without
// copying its bytes: package hl7 never writes a message's bytes in place (an edit builds new
// ones), so the string stays valid for as long as the message is referenced.
func text(v hl7.Value, d hl7.Delimiters) string {
	raw := v.Raw()
	if len(raw) == 0 {
		return ""
	}
	for _, c := range raw {
		if c == d.Escape && c != 0 || c == d.Component || c == d.Repetition && c != 0 || c == d.SubComponent && c != 0 {
			return v.String()
		}
	}
	return unsafe.String(&raw[0], len(raw))
}

// setIfChanged writes enc at p unless that is what p already holds, which saves rebuilding
// the segment for steps that leave most values as they are.
// seg is p's segment position, or -1 when it is not known (or p's segment does not exist).
func setIfChanged(m *hl7.Message, seg int, p hl7.Path, enc string) error {
	if v := at(m, seg, p); v.Present() && string(v.Raw()) == enc {
		return nil
	}
	return m.SetRawAt(p, enc)
}

// at returns the value at p, read in the segment at position seg when it is known: finding a
// segment by occurrence walks the message, which adds up over 30 OBX.
func at(m *hl7.Message, seg int, p hl7.Path) hl7.Value {
	if seg < 0 || p.Field == 0 {
		return m.ValueAt(p)
	}
	return valueIn(m, seg, p)
}
