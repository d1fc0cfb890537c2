package hl7json

import (
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/encoding/unicode/utf32"
)

// charsetEncoding returns the encoding of an MSH-18 value (HL7 table 0211) or IANA name, nil
// for sets whose bytes are UTF-8 or ASCII. It mirrors the table package hl7 reads with, so
// that text decoded by hl7 is encoded back to the same bytes.
func charsetEncoding(name string) (encoding.Encoding, bool) {
	key := strings.ToUpper(strings.TrimSpace(name))
	switch key {
	case "", "ASCII", "ISO IR6", "UNICODE UTF-8", "UTF-8":
		return nil, true
	case "ISO IR14":
		return japanese.ShiftJIS, true
	case "ISO IR87", "ISO IR159":
		return japanese.ISO2022JP, true
	case "KS X 1001":
		return korean.EUCKR, true
	case "BIG-5":
		return traditionalchinese.Big5, true
	case "GB 18030-2000":
		return simplifiedchinese.GB18030, true
	case "UNICODE", "UNICODE UTF-16":
		return unicode.UTF16(unicode.BigEndian, unicode.UseBOM), true
	case "UNICODE UTF-32":
		return utf32.UTF32(utf32.BigEndian, utf32.UseBOM), true
	}
	if n, ok := strings.CutPrefix(key, "8859/"); ok {
		key = "ISO-8859-" + n
	}
	enc, err := ianaindex.IANA.Encoding(key)
	if err != nil || enc == nil {
		return nil, false
	}
	if enc == unicode.UTF8 {
		return nil, true
	}
	return enc, true
}
