package hl7

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
	"unsafe"
)

// Precision is how much of a date/time value the sender gave. HL7 says the number of
// characters sent is the precision (v2.5.1 chapter 2A, DTM): "2026" is a year, not the first
// instant of it. Precisions are ordered: a larger Precision is finer.
type Precision uint8

const (
	PrecisionNone          Precision = iota // no value
	PrecisionYear                           // YYYY
	PrecisionMonth                          // YYYYMM
	PrecisionDay                            // YYYYMMDD
	PrecisionHour                           // YYYYMMDDHH
	PrecisionMinute                         // YYYYMMDDHHMM
	PrecisionSecond                         // YYYYMMDDHHMMSS
	PrecisionTenth                          // YYYYMMDDHHMMSS.S
	PrecisionHundredth                      // YYYYMMDDHHMMSS.SS
	PrecisionMillisecond                    // YYYYMMDDHHMMSS.SSS
	PrecisionTenThousandth                  // YYYYMMDDHHMMSS.SSSS
)

var precisionNames = [...]string{"none", "year", "month", "day", "hour", "minute", "second", "tenth of a second", "hundredth of a second", "millisecond", "ten-thousandth of a second"}

// String returns the precision's name in English ("day", "millisecond").
func (p Precision) String() string {
	if int(p) < len(precisionNames) {
		return precisionNames[p]
	}
	return "Precision(" + strconv.Itoa(int(p)) + ")"
}

// Time is a DTM, TS, DT or TM value with the precision the sender gave.
//
// The embedded time.Time holds the instant. For a value that carried an offset it is in a
// fixed zone of that offset; for a value without one it is the wall clock in the location
// given to ParseTimeIn (UTC for ParseTime): HL7 says such a value is in the sender's local
// time, which only the channel can know. Digits finer than Precision are zero, so two Times
// of the same precision compare equal when they name the same period.
//
// A TM (time of day) has the date January 1 of year 0, which no DTM or DT can have: that is
// how Format tells the two apart.
//
// Time's Format method takes no layout and writes HL7; the layout-taking Format of time.Time
// is t.Time.Format. Time embeds time.Time, so methods such as MarshalJSON are promoted and
// write the instant only, without Precision.
type Time struct {
	time.Time
	Precision Precision
	HasOffset bool // the value carried +/-ZZZZ
}

// The forms DataTypeError shows as the expected syntax, from HL7 v2.5.1 chapter 2A.
const (
	formDTM = "YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]"
	formDT  = "YYYY[MM[DD]]"
	formTM  = "HH[MM[SS[.S[S[S[S]]]]]][+/-ZZZZ]"
	formTS  = formDTM + "[^Y|L|D|H|M|S]"
	formNM  = "[+|-]digits[.digits]"
)

// DataTypeError reports a value that is not of the HL7 data type it was read as.
type DataTypeError struct {
	Type   string // the HL7 data type: DTM, DT, TM, TS or NM
	Value  string // the text that was read
	Pos    int    // 0-based byte position in Value where reading stopped
	Detail string // what is wrong there
}

// Unwrap returns ErrDataType, so that errors.Is(err, hl7.ErrDataType) holds.
func (e *DataTypeError) Unwrap() error { return ErrDataType }

// maxErrorValue bounds how much of a bad value an error message repeats: enough to recognise
// a date or a number, not a whole observation text pasted into a numeric field.
const maxErrorValue = 40

// Error says what is wrong and where, and shows the form expected. It repeats at most 40
// bytes of the value: error texts end up in logs, and values are patient data.
func (e *DataTypeError) Error() string {
	v := e.Value
	if len(v) > maxErrorValue {
		n := maxErrorValue
		for n > 0 && !utf8.RuneStart(v[n]) {
			n--
		}
		v = v[:n] + "..."
	}
	msg := fmt.Sprintf("hl7: %q is not a %s: %s", v, e.Type, e.Detail)
	if e.Value != "" {
		msg += " at position " + strconv.Itoa(e.Pos+1)
	}
	if form := expectedForm(e.Type); form != "" {
		msg += " (expected " + form + ")"
	}
	return msg
}

func expectedForm(typ string) string {
	switch typ {
	case "DTM":
		return formDTM
	case "DT":
		return formDT
	case "TM":
		return formTM
	case "TS":
		return formTS
	case "NM":
		return formNM
	}
	return ""
}

// dataTypeError builds a *DataTypeError, copying s: the value may point into a message's bytes.
func dataTypeError(typ, s string, pos int, detail string) *DataTypeError {
	return &DataTypeError{Type: typ, Value: strings.Clone(s), Pos: pos, Detail: detail}
}

// ParseTime reads a DTM, or the first component of a TS:
// YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]. A value without an offset is read in UTC;
// use ParseTimeIn for the sender's zone.
//
// The rules, from HL7 v2.5.1 chapter 2A (DTM):
//   - The number of digits is the precision; each part has exactly its digits.
//   - The offset may follow any precision ("2026+0100", "202611-0500"): the standard's format
//     puts it outside every optional part. It must be +HHMM or -HHMM between -1200 and +1400
//     with minutes 00 to 59. "-0000" and "+0000" both mean UTC and Format keeps which was sent.
//   - Month 01-12, day valid for its month (leap years included), hour 00-23, minute and
//     second 00-59. A leap second (60) is refused: time.Time cannot hold one, so reading it
//     would change the value, and HL7 does not mention them.
//   - Year 0000 is refused: no record means it, and it marks a TM (see Time).
//   - At most four digits after the point; no other characters, no spaces.
//
// Every value ParseTime accepts is canonical: ParseTime(x).Format() == x.
func ParseTime(s string) (Time, error) { return parseTime(s, kindDTM, time.UTC) }

// ParseTimeIn is ParseTime for a value without an offset read in loc (the sender's zone); a
// value with an offset is read at that offset. A nil loc means UTC. A wall clock that does
// not exist in loc (skipped by a daylight-saving change) is normalized as time.Date does.
func ParseTimeIn(s string, loc *time.Location) (Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	return parseTime(s, kindDTM, loc)
}

// ParseDate reads a DT: YYYY[MM[DD]], with no time and no offset. The Time is at midnight
// UTC of the first day of the period given.
func ParseDate(s string) (Time, error) { return parseTime(s, kindDT, time.UTC) }

// ParseTimeOfDay reads a TM: HH[MM[SS[.S[S[S[S]]]]]][+/-ZZZZ]. The date part is January 1 of
// year 0; a value without an offset is in UTC.
func ParseTimeOfDay(s string) (Time, error) { return parseTime(s, kindTM, time.UTC) }

type timeKind uint8

const (
	kindDTM timeKind = iota
	kindDT
	kindTM
)

var timeKindNames = [...]string{"DTM", "DT", "TM"}

// timePart is one fixed-width group of digits of a date/time value.
type timePart struct {
	name     string
	prec     Precision
	min, max int
}

var (
	datePartsDTM = []timePart{
		{"year", PrecisionYear, 1, 9999},
		{"month", PrecisionMonth, 1, 12},
		{"day", PrecisionDay, 1, 31},
		{"hour", PrecisionHour, 0, 23},
		{"minute", PrecisionMinute, 0, 59},
		{"second", PrecisionSecond, 0, 59},
	}
	datePartsDT = datePartsDTM[:3]
	datePartsTM = datePartsDTM[3:]
)

// timeFields is a date/time value read but not yet made into a time.Time, so that TS.2 can
// cut it without a second trip through the zone.
type timeFields struct {
	v         [6]int // year, month, day, hour, minute, second
	nsec      int
	prec      Precision
	loc       *time.Location
	hasOffset bool
}

// parseTime reads s as kind. It does not allocate unless it fails or the offset is not a
// multiple of 15 minutes.
func parseTime(s string, kind timeKind, loc *time.Location) (Time, error) {
	f, err := parseFields(s, kind, loc)
	if err != nil {
		return Time{}, err
	}
	return f.time(), nil
}

func (f *timeFields) time() Time {
	t := time.Date(f.v[0], time.Month(f.v[1]), f.v[2], f.v[3], f.v[4], f.v[5], f.nsec, f.loc)
	return Time{Time: t, Precision: f.prec, HasOffset: f.hasOffset}
}

// cut zeroes the parts finer than p and lowers the precision to p.
func (f *timeFields) cut(p Precision) {
	for k := int(p); k < len(f.v); k++ {
		f.v[k] = 0
		if k == 1 || k == 2 {
			f.v[k] = 1 // January, the 1st
		}
	}
	f.nsec, f.prec = 0, p
}

func parseFields(s string, kind timeKind, loc *time.Location) (timeFields, error) {
	typ := timeKindNames[kind]
	if s == "" {
		return timeFields{}, dataTypeError(typ, s, 0, "empty")
	}
	parts := datePartsDTM
	switch kind {
	case kindDT:
		parts = datePartsDT
	case kindTM:
		parts = datePartsTM
	}
	// v holds year, month, day, hour, minute, second; a TM keeps January 1 of year 0.
	v := [6]int{0, 1, 1, 0, 0, 0}
	first := 0
	if kind == kindTM {
		first = 3
	}
	prec := PrecisionNone
	i := 0
	for k, p := range parts {
		if k > 0 && (i == len(s) || !isDigit(s[i])) {
			break
		}
		width := 2
		if p.prec == PrecisionYear {
			width = 4
		}
		n, ok := atoiFixed(s, i, width)
		if !ok {
			return timeFields{}, dataTypeError(typ, s, i, p.name+" needs "+strconv.Itoa(width)+" digits")
		}
		if p.prec == PrecisionDay && n > 0 {
			if dim := daysIn(time.Month(v[1]), v[0]); n > dim {
				return timeFields{}, dataTypeError(typ, s, i, fmt.Sprintf("day %s (%s %04d has %d days)", s[i:i+2], time.Month(v[1]), v[0], dim))
			}
		}
		if n < p.min || n > p.max {
			return timeFields{}, dataTypeError(typ, s, i, rangeDetail(p, s[i:i+width], n))
		}
		v[first+k] = n
		prec = p.prec
		i += width
	}
	nsec := 0
	if i < len(s) && s[i] == '.' && kind != kindDT {
		if prec != PrecisionSecond {
			return timeFields{}, dataTypeError(typ, s, i, "a fraction may only follow the seconds")
		}
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		n := j - i - 1
		switch {
		case n == 0:
			return timeFields{}, dataTypeError(typ, s, i+1, "a fraction needs 1 to 4 digits after the point")
		case n > 4:
			return timeFields{}, dataTypeError(typ, s, i+5, "more than 4 digits after the point")
		}
		f, _ := atoiFixed(s, i+1, n)
		nsec = f * pow10[9-n]
		prec += Precision(n)
		i = j
	}
	hasOffset := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') && kind != kindDT {
		z, err := readOffset(typ, s, i)
		if err != nil {
			return timeFields{}, err
		}
		loc, hasOffset = z, true
		i += 5
	}
	if i < len(s) {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return timeFields{}, dataTypeError(typ, s, i, fmt.Sprintf("unexpected %q", r))
	}
	return timeFields{v: v, nsec: nsec, prec: prec, loc: loc, hasOffset: hasOffset}, nil
}

// rangeDetail says why part p, written as digits (value n), is out of range.
func rangeDetail(p timePart, digits string, n int) string {
	switch {
	case p.prec == PrecisionSecond && n == 60:
		return "second 60 (leap seconds are not accepted)"
	case p.prec <= PrecisionDay && n == 0:
		return p.name + " " + digits + " (" + p.name + "s start at " + digits[:len(digits)-1] + "1)"
	}
	return p.name + " " + digits
}

// readOffset reads +HHMM or -HHMM at s[i:].
func readOffset(typ, s string, i int) (*time.Location, error) {
	n, ok := atoiFixed(s, i+1, 4)
	if !ok {
		return nil, dataTypeError(typ, s, i, "offset needs 4 digits (+HHMM or -HHMM)")
	}
	hh, mm := n/100, n%100
	if mm > 59 {
		return nil, dataTypeError(typ, s, i, "offset "+s[i:i+5]+" has minutes above 59")
	}
	off := hh*60 + mm
	if s[i] == '-' {
		off = -off
	}
	if off < -12*60 || off > 14*60 {
		return nil, dataTypeError(typ, s, i, "offset "+s[i:i+5]+" is outside -1200 to +1400")
	}
	if off == 0 && s[i] == '-' {
		return minusZero, nil
	}
	return fixedZone(off), nil
}

// minusZero is the zone of a "-0000" offset. It is UTC, as "+0000" is, but has its own name
// so that Format writes back the sign that was sent: v2.9 gives "-0000" its own meaning
// (UTC, the local offset unknown).
var minusZero = time.FixedZone("-0000", 0)

// quarterZones holds an unnamed fixed zone for every offset from -1200 to +1400 that is a
// multiple of 15 minutes: every offset in use is one, and a shared *time.Location saves the
// three allocations time.FixedZone makes for offsets that are not whole hours (+0530, +0545).
var quarterZones = sync.OnceValue(func() []*time.Location {
	z := make([]*time.Location, (26*60)/15+1)
	for k := range z {
		z[k] = time.FixedZone("", (k*15-12*60)*60)
	}
	return z
})

// fixedZone returns the zone of an offset in minutes east of UTC.
func fixedZone(min int) *time.Location {
	if min%15 == 0 {
		return quarterZones()[(min+12*60)/15]
	}
	return time.FixedZone("", min*60)
}

var pow10 = [...]int{1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// atoiFixed reads exactly width digits at s[i:].
func atoiFixed(s string, i, width int) (int, bool) {
	if i+width > len(s) {
		return 0, false
	}
	n := 0
	for _, c := range []byte(s[i : i+width]) {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// IsZero reports whether t holds no value: the zero Time, which is what Value.Time returns for
// an absent, empty or null value. A Time read from text is never zero, even a TM (whose date
// is in year 0).
func (t Time) IsZero() bool { return t.Precision == PrecisionNone && t.Time.IsZero() }

// Format writes t back in HL7 at its own precision, with the offset if and only if HasOffset:
// a DTM, or a TM when the date is January 1 of year 0. The date and clock are those of t's
// location, so a Time moved to another zone with In still formats as the same instant. The
// zero Time formats as "".
func (t Time) Format() string {
	var buf [32]byte
	return string(t.appendFormat(buf[:0]))
}

// AppendHL7 appends Format's text to b.
func (t Time) AppendHL7(b []byte) []byte { return t.appendFormat(b) }

func (t Time) appendFormat(b []byte) []byte {
	p := min(t.Precision, PrecisionTenThousandth)
	if p == PrecisionNone {
		return b
	}
	year, month, day := t.Date()
	hour, minute, sec := t.Clock()
	if !(year == 0 && month == time.January && day == 1 && p >= PrecisionHour) {
		b = appendDigits(b, year, 4)
		if p >= PrecisionMonth {
			b = appendDigits(b, int(month), 2)
		}
		if p >= PrecisionDay {
			b = appendDigits(b, day, 2)
		}
	}
	if p >= PrecisionHour {
		b = appendDigits(b, hour, 2)
	}
	if p >= PrecisionMinute {
		b = appendDigits(b, minute, 2)
	}
	if p >= PrecisionSecond {
		b = appendDigits(b, sec, 2)
	}
	if p > PrecisionSecond {
		n := int(p - PrecisionSecond)
		b = append(b, '.')
		b = appendDigits(b, t.Nanosecond()/pow10[9-n], n)
	}
	if t.HasOffset {
		name, off := t.Zone()
		sign := byte('+')
		if off < 0 || off == 0 && name == "-0000" {
			sign, off = '-', -off
		}
		off /= 60
		b = append(b, sign)
		b = appendDigits(b, off/60, 2)
		b = appendDigits(b, off%60, 2)
	}
	return b
}

// appendDigits appends n in decimal, zero-padded to width digits.
func appendDigits(b []byte, n, width int) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	var d [20]byte
	i := len(d)
	for n >= 10 || len(d)-i < width-1 {
		i--
		d[i] = byte('0' + n%10)
		n /= 10
	}
	i--
	d[i] = byte('0' + n)
	return append(b, d[i:]...)
}

// degrees maps the TS.2 "degree of precision" codes of v2.3 to v2.5 to precisions.
func degree(code string) (Precision, bool) {
	switch code {
	case "Y":
		return PrecisionYear, true
	case "L":
		return PrecisionMonth, true
	case "D":
		return PrecisionDay, true
	case "H":
		return PrecisionHour, true
	case "M":
		return PrecisionMinute, true
	case "S":
		return PrecisionSecond, true
	}
	return PrecisionNone, false
}

// Time reads a TS or a DTM in UTC; see TimeIn.
func (v Value) Time() (Time, error) { return v.TimeIn(time.UTC) }

// TimeIn reads a TS or a DTM, as ParseTimeIn does: a value without an offset is in loc. It
// works on a field (its first repetition), a repetition, a component (a TS inside a composite
// type, whose parts are sub-components) or a leaf.
//
// The first component is the DTM. The second is TS.2, the "degree of precision" of v2.3 to
// v2.5 (deprecated since): Y year, L month, D day, H hour, M minute, S second. When it is
// given and coarser than the digits sent, the Time is cut to it ("200604151030^D" is the
// day 2006-04-15); when it is finer, the digits win, since nothing finer was sent. Any other
// TS.2 is an error.
//
// An absent, empty or null value gives the zero Time and no error: it holds no time, which is
// not a fault in the data. Test the result with IsZero.
func (v Value) TimeIn(loc *time.Location) (Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	dtm := v.typedLeaf(1)
	s := rawString(dtm)
	if s == "" || s == `""` {
		return Time{}, nil
	}
	f, err := parseFields(s, kindDTM, loc)
	if err != nil {
		return Time{}, err
	}
	ts2 := v.typedLeaf(2)
	code := rawString(ts2)
	if code == "" || code == `""` {
		return f.time(), nil
	}
	p, ok := degree(code)
	if !ok {
		node := v.typedSpan(1, 2)
		return Time{}, dataTypeError("TS", rawString(node), int(offsetIn(node.b, ts2.b)), fmt.Sprintf("degree of precision %q", code))
	}
	if p < f.prec {
		f.cut(p)
	}
	return f.time(), nil
}

// rawString returns the bytes of v as a string without copying. Message bytes are never
// written in place (see segment), so the string stays valid; anything kept beyond the call
// must be copied.
func rawString(v Value) string {
	if len(v.b) == 0 {
		return ""
	}
	return unsafe.String(&v.b[0], len(v.b))
}

// Number reads an NM: an optional sign, digits, and an optional decimal point ("-123.45",
// "007", "5.", ".5"). HL7 NM has no exponent, no thousands separator and no spaces, so "1e3"
// and " 12" are errors. On a field it reads the first component of the first repetition.
//
// Unlike Time, an absent, empty or null value is an error: a float64 has no zero marker, and
// reading a missing result as 0 would be wrong. Test Present or IsEmpty first where a missing
// value is expected.
func (v Value) Number() (float64, error) {
	s := rawString(v.typedLeaf(1))
	switch s {
	case "":
		return 0, dataTypeError("NM", "", 0, "empty")
	case `""`:
		return 0, dataTypeError("NM", s, 0, `the HL7 null "" (the sender asks to delete the value)`)
	}
	return parseNumber(s)
}

// ParseNumber reads s as an NM, as Value.Number does.
func ParseNumber(s string) (float64, error) {
	if s == "" {
		return 0, dataTypeError("NM", "", 0, "empty")
	}
	return parseNumber(s)
}

func parseNumber(s string) (float64, error) {
	i := 0
	if s[0] == '+' || s[0] == '-' {
		i++
	}
	digits, point := 0, false
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
			digits++
		case c == '.' && !point:
			point = true
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return 0, dataTypeError("NM", s, i, fmt.Sprintf("unexpected %q", r))
		}
	}
	if digits == 0 {
		return 0, dataTypeError("NM", s, 0, "no digits")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, dataTypeError("NM", s, 0, "out of the range of a float64")
	}
	return f, nil
}
