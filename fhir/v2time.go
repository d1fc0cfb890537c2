package fhir

import (
	"strings"
	"time"

	"github.com/courier-hl7/courier/hl7"
)

// Precision of a v2 date/time value, from the digits that were sent.
const (
	precYear = iota + 1
	precMonth
	precDay
	precHour
	precMinute
	precSecond
)

// v2Time is a parsed v2 DTM, DT or TS value.
type v2Time struct {
	t         time.Time
	prec      int
	frac      string // the fractional-second digits as sent, without the dot
	hasOffset bool
}

// parseV2Time reads a v2 DTM (YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]), which is also
// the form of DT and of TS component 1, with hl7.ParseTimeIn: a value without an offset is
// read in loc. It reports false for anything that is not a valid date and time (hl7's rules:
// 30 February, month 13, a bad offset...): a mapping then leaves the element out rather
// than send a value FHIR would reject. A wall clock skipped by a daylight-saving change is
// normalized as time.Date does. This is the one place v2 times are read.
func parseV2Time(s string, loc *time.Location) (v2Time, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '^'); i >= 0 { // a TS sent whole: keep component 1
		s = s[:i]
	}
	if s == "" {
		return v2Time{}, false // as hl7.ParseTimeIn has it, without making its error
	}
	t, err := hl7.ParseTimeIn(s, loc)
	if err != nil || t.Precision == hl7.PrecisionNone {
		return v2Time{}, false
	}
	r := v2Time{t: t.Time, prec: int(t.Precision), hasOffset: t.HasOffset}
	if t.Precision > hl7.PrecisionSecond {
		// The fraction as sent: as many digits as the precision says.
		n := int(t.Precision - hl7.PrecisionSecond)
		var buf [9]byte
		ns := t.Nanosecond()
		for i := 8; i >= 0; i-- {
			buf[i] = byte('0' + ns%10)
			ns /= 10
		}
		r.frac = string(buf[:n])
		r.prec = precSecond
	}
	if r.t.Year() < 1 || r.t.Year() > 9999 {
		return v2Time{}, false // FHIR years are 0001 to 9999
	}
	return r, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// dateTime formats t as a FHIR dateTime at the precision that was sent. FHIR requires
// seconds and an offset as soon as a time is given, so a v2 value precise to the hour or
// minute gets zero seconds (the FHIR specification allows zero-filled seconds) and the offset
// of the channel's zone when it had none.
func (t v2Time) dateTime() string {
	var buf [48]byte
	return string(t.appendDateTime(buf[:0], t.prec))
}

func (t v2Time) appendDateTime(b []byte, prec int) []byte {
	y, mo, d := t.t.Date()
	b = append(b, byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10))
	if prec >= precMonth {
		b = append(b, '-')
		b = append2(b, int(mo))
	}
	if prec >= precDay {
		b = append(b, '-')
		b = append2(b, d)
	}
	if prec <= precDay {
		return b
	}
	h, mi, sec := t.t.Clock()
	b = append(b, 'T')
	b = append2(b, h)
	b = append(b, ':')
	b = append2(b, mi)
	b = append(b, ':')
	b = append2(b, sec)
	if t.frac != "" {
		b = append(b, '.')
		b = append(b, t.frac...)
	}
	_, off := t.t.Zone()
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	b = append(b, sign)
	b = append2(b, off/3600)
	b = append(b, ':')
	return append2(b, off/60%60)
}

func append2(b []byte, n int) []byte { return append(b, byte('0'+n/10%10), byte('0'+n%10)) }

// date formats t as a FHIR date: the date part only, at most to the day.
func (t v2Time) date() string {
	var buf [16]byte
	return string(t.appendDateTime(buf[:0], min(t.prec, precDay)))
}

// instant formats t as a FHIR instant, which must be precise to the second; it reports false
// for values less precise than a day.
func (t v2Time) instant() (string, bool) {
	var buf [48]byte
	b, ok := t.appendInstant(buf[:0])
	return string(b), ok
}

// appendInstant appends t as a FHIR instant, as instant returns it.
func (t v2Time) appendInstant(b []byte) ([]byte, bool) {
	if t.prec < precDay {
		return b, false
	}
	return t.appendDateTime(b, max(t.prec, precSecond)), true
}

// Kinds of FHIR time a v2 time is written as.
const (
	asDateTime = iota
	asDate
	asInstant
)

// timeMemo remembers the last few v2 times a conversion wrote, with what they gave. Messages
// repeat their times (every OBX of a panel has the same observation time): a repeated one
// is then neither parsed nor formatted nor allocated again.
type timeMemo struct {
	e    [4]timeMemoEntry
	next int
}

type timeMemoEntry struct {
	in   string
	kind int
	out  string
}

func (tm *timeMemo) get(in string, kind int) (string, bool) {
	for i := range tm.e {
		if e := &tm.e[i]; e.in == in && e.kind == kind && e.in != "" {
			return e.out, true
		}
	}
	return "", false
}

func (tm *timeMemo) put(in string, kind int, out string) {
	tm.e[tm.next] = timeMemoEntry{in: in, kind: kind, out: out}
	tm.next = (tm.next + 1) % len(tm.e)
}
