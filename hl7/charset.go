package hl7

import (
	"fmt"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// hl7Charsets maps the values of HL7 table 0211 (alternate character sets, as listed in
// HL7 v2.5.1 chapter 2 and v2.8 chapter 2C) to decoders. A nil encoding means the bytes are
// ASCII-compatible and are read as they are.
var hl7Charsets = map[string]encoding.Encoding{ // every one ASCII-based except those in wideCharsets
	"ASCII":          nil,
	"ISO IR6":        nil,
	"UNICODE UTF-8":  nil,
	"UTF-8":          nil,
	"8859/1":         charmap.ISO8859_1,
	"8859/2":         charmap.ISO8859_2,
	"8859/3":         charmap.ISO8859_3,
	"8859/4":         charmap.ISO8859_4,
	"8859/5":         charmap.ISO8859_5,
	"8859/6":         charmap.ISO8859_6,
	"8859/7":         charmap.ISO8859_7,
	"8859/8":         charmap.ISO8859_8,
	"8859/9":         charmap.ISO8859_9,
	"8859/10":        charmap.ISO8859_10,
	"8859/13":        charmap.ISO8859_13,
	"8859/14":        charmap.ISO8859_14,
	"8859/15":        charmap.ISO8859_15,
	"8859/16":        charmap.ISO8859_16,
	"ISO IR14":       japanese.ShiftJIS, // JIS X 0201: its upper half reads the same in Shift_JIS
	"ISO IR87":       japanese.ISO2022JP,
	"ISO IR159":      japanese.ISO2022JP,
	"KS X 1001":      korean.EUCKR,
	"BIG-5":          traditionalchinese.Big5,
	"GB 18030-2000":  simplifiedchinese.GB18030,
	"UNICODE":        unicode.UTF16(unicode.BigEndian, unicode.UseBOM),
	"UNICODE UTF-16": unicode.UTF16(unicode.BigEndian, unicode.UseBOM),
	"UNICODE UTF-32": utf32.UTF32(utf32.BigEndian, utf32.UseBOM),
}

// wideCharsets are the table 0211 sets whose 7-bit bytes are not ASCII.
var wideCharsets = map[string]bool{"UNICODE": true, "UNICODE UTF-16": true, "UNICODE UTF-32": true}

// lookupCharset returns the decoder for an MSH-18 value or IANA name, nil for ASCII-compatible
// sets read as they are, or an error wrapping ErrCharset.
func lookupCharset(name string) (encoding.Encoding, error) {
	key := strings.ToUpper(strings.TrimSpace(name))
	if enc, ok := hl7Charsets[key]; ok {
		return enc, nil
	}
	enc, err := ianaindex.IANA.Encoding(name)
	if err != nil || enc == nil {
		return nil, fmt.Errorf("%w: %q", ErrCharset, name)
	}
	if enc == unicode.UTF8 {
		return nil, nil
	}
	return enc, nil
}

// SupportedCharset reports whether name (an MSH-18 value or an IANA name) can be read.
func SupportedCharset(name string) bool {
	_, err := lookupCharset(name)
	return err == nil
}

// asciiBased reports whether the character set named name reads 7-bit bytes as ASCII (all but
// UTF-16 and UTF-32).
func asciiBased(name string, enc encoding.Encoding) bool {
	key := strings.ToUpper(strings.TrimSpace(name))
	if _, ok := hl7Charsets[key]; ok {
		return !wideCharsets[key]
	}
	const sample = "MSH|^~\\&\x7f 09AZaz"
	got, err := enc.NewDecoder().String(sample)
	return err == nil && got == sample
}
