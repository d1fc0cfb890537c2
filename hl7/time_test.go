package hl7

import (
	"strconv"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the ParseTimeIn test reads a real zone whatever the machine has installed
)

const (
	wantFormDTM = " (expected YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ])"
	wantFormDT  = " (expected YYYY[MM[DD]])"
	wantFormTM  = " (expected HH[MM[SS[.S[S[S[S]]]]]][+/-ZZZZ])"
	wantFormTS  = " (expected YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ][^Y|L|D|H|M|S])"
	wantFormNM  = " (expected [+|-]digits[.digits])"
)

// timeCase is one row of the date/time tables: the input, the instant it names (RFC 3339, whose
// offset is also the zone the Time must be in), its precision and offset flag, or the exact error.
type timeCase struct {
	in        string
	instant   string
	prec      Precision
	hasOffset bool
	err       string
}

func checkTimeCase(t *testing.T, name string, tc timeCase, got Time, err error, roundTrip bool) {
	t.Helper()
	if tc.err != "" {
		if err == nil {
			t.Errorf("%s(%q) = %v, want error %q", name, tc.in, got, tc.err)
		} else if err.Error() != tc.err {
			t.Errorf("%s(%q) error:\n got %s\nwant %s", name, tc.in, err, tc.err)
		}
		if !got.IsZero() {
			t.Errorf("%s(%q) returned a non-zero Time with its error", name, tc.in)
		}
		return
	}
	if err != nil {
		t.Errorf("%s(%q): unexpected error %v", name, tc.in, err)
		return
	}
	want, perr := time.Parse(time.RFC3339Nano, tc.instant)
	if perr != nil {
		t.Fatalf("bad test instant %q: %v", tc.instant, perr)
	}
	_, gotOff := got.Zone()
	_, wantOff := want.Zone()
	if !got.Time.Equal(want) || gotOff != wantOff {
		t.Errorf("%s(%q) = %s, want %s", name, tc.in, got.Time.Format(time.RFC3339Nano), tc.instant)
	}
	if got.Precision != tc.prec {
		t.Errorf("%s(%q).Precision = %v, want %v", name, tc.in, got.Precision, tc.prec)
	}
	if got.HasOffset != tc.hasOffset {
		t.Errorf("%s(%q).HasOffset = %v, want %v", name, tc.in, got.HasOffset, tc.hasOffset)
	}
	if got.IsZero() {
		t.Errorf("%s(%q).IsZero() = true", name, tc.in)
	}
	if roundTrip {
		if f := got.Format(); f != tc.in {
			t.Errorf("%s(%q).Format() = %q, want the input back", name, tc.in, f)
		}
	}
}

func dtmErr(in, detail string, pos int) string {
	s := `hl7: "` + in + `" is not a DTM: ` + detail
	if pos > 0 {
		s += " at position " + strconv.Itoa(pos)
	}
	return s + wantFormDTM
}

func TestParseTime(t *testing.T) {
	tests := []timeCase{
		// Every precision, without an offset: UTC.
		{in: "2026", instant: "2026-01-01T00:00:00Z", prec: PrecisionYear},
		{in: "202611", instant: "2026-11-01T00:00:00Z", prec: PrecisionMonth},
		{in: "20261127", instant: "2026-11-27T00:00:00Z", prec: PrecisionDay},
		{in: "2026112713", instant: "2026-11-27T13:00:00Z", prec: PrecisionHour},
		{in: "202611271345", instant: "2026-11-27T13:45:00Z", prec: PrecisionMinute},
		{in: "20261127134501", instant: "2026-11-27T13:45:01Z", prec: PrecisionSecond},
		{in: "20261127134501.1", instant: "2026-11-27T13:45:01.1Z", prec: PrecisionTenth},
		{in: "20261127134501.12", instant: "2026-11-27T13:45:01.12Z", prec: PrecisionHundredth},
		{in: "20261127134501.123", instant: "2026-11-27T13:45:01.123Z", prec: PrecisionMillisecond},
		{in: "20261127134501.1234", instant: "2026-11-27T13:45:01.1234Z", prec: PrecisionTenThousandth},
		{in: "20261127134501.0001", instant: "2026-11-27T13:45:01.0001Z", prec: PrecisionTenThousandth},
		{in: "20261127134501.10", instant: "2026-11-27T13:45:01.1Z", prec: PrecisionHundredth},
		{in: "20261127134501.0", instant: "2026-11-27T13:45:01Z", prec: PrecisionTenth},
		{in: "202611270000", instant: "2026-11-27T00:00:00Z", prec: PrecisionMinute},
		{in: "20261231235959.9999", instant: "2026-12-31T23:59:59.9999Z", prec: PrecisionTenThousandth},
		{in: "0001", instant: "0001-01-01T00:00:00Z", prec: PrecisionYear},
		{in: "9999", instant: "9999-01-01T00:00:00Z", prec: PrecisionYear},
		// Leap years: every fourth year, not centuries, but every fourth century.
		{in: "20240229", instant: "2024-02-29T00:00:00Z", prec: PrecisionDay},
		{in: "20000229", instant: "2000-02-29T00:00:00Z", prec: PrecisionDay},
		{in: "20260131", instant: "2026-01-31T00:00:00Z", prec: PrecisionDay},
		{in: "20260430", instant: "2026-04-30T00:00:00Z", prec: PrecisionDay},
		// Every precision with an offset: the offset may follow any of them.
		{in: "2026+0100", instant: "2026-01-01T00:00:00+01:00", prec: PrecisionYear, hasOffset: true},
		{in: "202611+0100", instant: "2026-11-01T00:00:00+01:00", prec: PrecisionMonth, hasOffset: true},
		{in: "20261127-0500", instant: "2026-11-27T00:00:00-05:00", prec: PrecisionDay, hasOffset: true},
		{in: "2026112713-0500", instant: "2026-11-27T13:00:00-05:00", prec: PrecisionHour, hasOffset: true},
		{in: "202611271345+0530", instant: "2026-11-27T13:45:00+05:30", prec: PrecisionMinute, hasOffset: true},
		{in: "20261127134501-0500", instant: "2026-11-27T13:45:01-05:00", prec: PrecisionSecond, hasOffset: true},
		{in: "20261127134501.1+0545", instant: "2026-11-27T13:45:01.1+05:45", prec: PrecisionTenth, hasOffset: true},
		{in: "20261127134501.12-0930", instant: "2026-11-27T13:45:01.12-09:30", prec: PrecisionHundredth, hasOffset: true},
		{in: "20261127134501.123+1245", instant: "2026-11-27T13:45:01.123+12:45", prec: PrecisionMillisecond, hasOffset: true},
		{in: "20261127134501.1234+0000", instant: "2026-11-27T13:45:01.1234Z", prec: PrecisionTenThousandth, hasOffset: true},
		{in: "20261127134501-0000", instant: "2026-11-27T13:45:01Z", prec: PrecisionSecond, hasOffset: true},
		{in: "20261127+1400", instant: "2026-11-27T00:00:00+14:00", prec: PrecisionDay, hasOffset: true},
		{in: "20261127-1200", instant: "2026-11-27T00:00:00-12:00", prec: PrecisionDay, hasOffset: true},
		{in: "20261127+0007", instant: "2026-11-27T00:00:00+00:07", prec: PrecisionDay, hasOffset: true},
		{in: "20261127-0059", instant: "2026-11-27T00:00:00-00:59", prec: PrecisionDay, hasOffset: true},

		// Invalid values.
		{in: "", err: dtmErr("", "empty", 0)},
		{in: "2026133", err: dtmErr("2026133", "month 13", 5)},
		{in: "202600", err: dtmErr("202600", "month 00 (months start at 01)", 5)},
		{in: "20260230", err: dtmErr("20260230", "day 30 (February 2026 has 28 days)", 7)},
		{in: "20250229", err: dtmErr("20250229", "day 29 (February 2025 has 28 days)", 7)},
		{in: "19000229", err: dtmErr("19000229", "day 29 (February 1900 has 28 days)", 7)},
		{in: "20260431", err: dtmErr("20260431", "day 31 (April 2026 has 30 days)", 7)},
		{in: "20260132", err: dtmErr("20260132", "day 32 (January 2026 has 31 days)", 7)},
		{in: "20260100", err: dtmErr("20260100", "day 00 (days start at 01)", 7)},
		{in: "0000", err: dtmErr("0000", "year 0000 (years start at 0001)", 1)},
		{in: "2026112724", err: dtmErr("2026112724", "hour 24", 9)},
		{in: "202611271360", err: dtmErr("202611271360", "minute 60", 11)},
		{in: "20261127135960", err: dtmErr("20261127135960", "second 60 (leap seconds are not accepted)", 13)},
		{in: "20261127135999", err: dtmErr("20261127135999", "second 99", 13)},
		{in: "2025-02-29", err: dtmErr("2025-02-29", "offset needs 4 digits (+HHMM or -HHMM)", 5)},
		{in: "2026-11-27T13:45:01Z", err: dtmErr("2026-11-27T13:45:01Z", "offset needs 4 digits (+HHMM or -HHMM)", 5)},
		{in: "20261127+1500", err: dtmErr("20261127+1500", "offset +1500 is outside -1200 to +1400", 9)},
		{in: "20261127+1401", err: dtmErr("20261127+1401", "offset +1401 is outside -1200 to +1400", 9)},
		{in: "20261127-1201", err: dtmErr("20261127-1201", "offset -1201 is outside -1200 to +1400", 9)},
		{in: "20261127+0160", err: dtmErr("20261127+0160", "offset +0160 has minutes above 59", 9)},
		{in: "20261127+01", err: dtmErr("20261127+01", "offset needs 4 digits (+HHMM or -HHMM)", 9)},
		{in: "20261127+", err: dtmErr("20261127+", "offset needs 4 digits (+HHMM or -HHMM)", 9)},
		{in: "20261127+01000", err: dtmErr("20261127+01000", "unexpected '0'", 14)},
		{in: "20261127134501+0100Z", err: dtmErr("20261127134501+0100Z", "unexpected 'Z'", 20)},
		{in: "abcd", err: dtmErr("abcd", "year needs 4 digits", 1)},
		{in: "202", err: dtmErr("202", "year needs 4 digits", 1)},
		{in: " 2026", err: dtmErr(" 2026", "year needs 4 digits", 1)},
		{in: "2026 ", err: dtmErr("2026 ", "unexpected ' '", 5)},
		{in: "2026AB", err: dtmErr("2026AB", "unexpected 'A'", 5)},
		{in: "20261", err: dtmErr("20261", "month needs 2 digits", 5)},
		{in: "2026112T", err: dtmErr("2026112T", "day needs 2 digits", 7)},
		{in: "2026112713450", err: dtmErr("2026112713450", "second needs 2 digits", 13)},
		{in: "20261127T1345", err: dtmErr("20261127T1345", "unexpected 'T'", 9)},
		{in: "20261127é", err: dtmErr("20261127é", "unexpected 'é'", 9)},
		{in: "202611271345011", err: dtmErr("202611271345011", "unexpected '1'", 15)},
		{in: "20261127134501.12345", err: dtmErr("20261127134501.12345", "more than 4 digits after the point", 20)},
		{in: "20261127134501.123456", err: dtmErr("20261127134501.123456", "more than 4 digits after the point", 20)},
		{in: "20261127134501.", err: dtmErr("20261127134501.", "a fraction needs 1 to 4 digits after the point", 16)},
		{in: "20261127134501.+0100", err: dtmErr("20261127134501.+0100", "a fraction needs 1 to 4 digits after the point", 16)},
		{in: "202611271345.5", err: dtmErr("202611271345.5", "a fraction may only follow the seconds", 13)},
		{in: "20261127.5", err: dtmErr("20261127.5", "a fraction may only follow the seconds", 9)},
		{in: `""`, err: dtmErr(`\"\"`, "year needs 4 digits", 1)},
		// A long value is cut in the message (not in the error's Value field).
		{in: "2026" + strings.Repeat("x", 50), err: dtmErr("2026"+strings.Repeat("x", 36)+"...", "unexpected 'x'", 5)},
	}
	for _, tc := range tests {
		got, err := ParseTime(tc.in)
		checkTimeCase(t, "ParseTime", tc, got, err, true)
	}
}

func TestParseTimeErrorFields(t *testing.T) {
	long := "2026" + strings.Repeat("x", 50)
	_, err := ParseTime(long)
	e, ok := err.(*DataTypeError)
	if !ok {
		t.Fatalf("ParseTime error is %T, want *DataTypeError", err)
	}
	want := DataTypeError{Type: "DTM", Value: long, Pos: 4, Detail: "unexpected 'x'"}
	if *e != want {
		t.Errorf("ParseTime error = %+v, want %+v", *e, want)
	}
}

func TestParseTimeIn(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		loc  *time.Location
		want timeCase
	}{
		// Summer and winter wall clocks in a zone with daylight saving time.
		{"20260701120000", ny, timeCase{instant: "2026-07-01T12:00:00-04:00", prec: PrecisionSecond}},
		{"20260101120000", ny, timeCase{instant: "2026-01-01T12:00:00-05:00", prec: PrecisionSecond}},
		{"20260701", ny, timeCase{instant: "2026-07-01T00:00:00-04:00", prec: PrecisionDay}},
		// An offset in the value wins over the location.
		{"20260701120000+0200", ny, timeCase{instant: "2026-07-01T12:00:00+02:00", prec: PrecisionSecond, hasOffset: true}},
		// A nil location is UTC.
		{"20260701120000", nil, timeCase{instant: "2026-07-01T12:00:00Z", prec: PrecisionSecond}},
		{"2026070112000", ny, timeCase{err: dtmErr("2026070112000", "second needs 2 digits", 13)}},
	}
	for _, tc := range tests {
		tc.want.in = tc.in
		got, err := ParseTimeIn(tc.in, tc.loc)
		checkTimeCase(t, "ParseTimeIn", tc.want, got, err, true)
		if err == nil && !tc.want.hasOffset && got.Location() != tc.loc && tc.loc != nil {
			t.Errorf("ParseTimeIn(%q).Location() = %v, want %v", tc.in, got.Location(), tc.loc)
		}
	}
}

func TestParseDate(t *testing.T) {
	e := func(in, detail string, pos int) string {
		s := `hl7: "` + in + `" is not a DT: ` + detail
		if pos > 0 {
			s += " at position " + strconv.Itoa(pos)
		}
		return s + wantFormDT
	}
	tests := []timeCase{
		{in: "2026", instant: "2026-01-01T00:00:00Z", prec: PrecisionYear},
		{in: "202611", instant: "2026-11-01T00:00:00Z", prec: PrecisionMonth},
		{in: "20261127", instant: "2026-11-27T00:00:00Z", prec: PrecisionDay},
		{in: "20240229", instant: "2024-02-29T00:00:00Z", prec: PrecisionDay},
		{in: "", err: e("", "empty", 0)},
		{in: "20250229", err: e("20250229", "day 29 (February 2025 has 28 days)", 7)},
		{in: "202613", err: e("202613", "month 13", 5)},
		{in: "2026112713", err: e("2026112713", "unexpected '1'", 9)},
		{in: "20261127+0100", err: e("20261127+0100", "unexpected '+'", 9)},
		{in: "20261127.5", err: e("20261127.5", "unexpected '.'", 9)},
		{in: "2026-11-27", err: e("2026-11-27", "unexpected '-'", 5)},
		{in: "26", err: e("26", "year needs 4 digits", 1)},
	}
	for _, tc := range tests {
		got, err := ParseDate(tc.in)
		checkTimeCase(t, "ParseDate", tc, got, err, true)
	}
}

func TestParseTimeOfDay(t *testing.T) {
	e := func(in, detail string, pos int) string {
		s := `hl7: "` + in + `" is not a TM: ` + detail
		if pos > 0 {
			s += " at position " + strconv.Itoa(pos)
		}
		return s + wantFormTM
	}
	tests := []timeCase{
		{in: "13", instant: "0000-01-01T13:00:00Z", prec: PrecisionHour},
		{in: "1345", instant: "0000-01-01T13:45:00Z", prec: PrecisionMinute},
		{in: "134501", instant: "0000-01-01T13:45:01Z", prec: PrecisionSecond},
		{in: "134501.1", instant: "0000-01-01T13:45:01.1Z", prec: PrecisionTenth},
		{in: "134501.12", instant: "0000-01-01T13:45:01.12Z", prec: PrecisionHundredth},
		{in: "134501.123", instant: "0000-01-01T13:45:01.123Z", prec: PrecisionMillisecond},
		{in: "134501.1234", instant: "0000-01-01T13:45:01.1234Z", prec: PrecisionTenThousandth},
		{in: "0000", instant: "0000-01-01T00:00:00Z", prec: PrecisionMinute},
		{in: "235959+1100", instant: "0000-01-01T23:59:59+11:00", prec: PrecisionSecond, hasOffset: true},
		{in: "13+0100", instant: "0000-01-01T13:00:00+01:00", prec: PrecisionHour, hasOffset: true},
		{in: "0030-0100", instant: "0000-01-01T00:30:00-01:00", prec: PrecisionMinute, hasOffset: true},
		{in: "134501.1234-0000", instant: "0000-01-01T13:45:01.1234Z", prec: PrecisionTenThousandth, hasOffset: true},
		{in: "", err: e("", "empty", 0)},
		{in: "24", err: e("24", "hour 24", 1)},
		{in: "2400", err: e("2400", "hour 24", 1)},
		{in: "1360", err: e("1360", "minute 60", 3)},
		{in: "134560", err: e("134560", "second 60 (leap seconds are not accepted)", 5)},
		{in: "1", err: e("1", "hour needs 2 digits", 1)},
		{in: "134", err: e("134", "minute needs 2 digits", 3)},
		{in: "13.5", err: e("13.5", "a fraction may only follow the seconds", 3)},
		{in: "134501.12345", err: e("134501.12345", "more than 4 digits after the point", 12)},
		{in: "13+2000", err: e("13+2000", "offset +2000 is outside -1200 to +1400", 3)},
		{in: "20261127", err: e("20261127", "unexpected '2'", 7)},
		{in: "1345Z", err: e("1345Z", "unexpected 'Z'", 5)},
		{in: "13:45", err: e("13:45", "unexpected ':'", 3)},
	}
	for _, tc := range tests {
		got, err := ParseTimeOfDay(tc.in)
		checkTimeCase(t, "ParseTimeOfDay", tc, got, err, true)
	}
}

// dtMessage builds a message whose ZZ1-1 is field, in version; the data is synthetic.
func dtMessage(t testing.TB, version, field string) *Message {
	t.Helper()
	m, err := Parse([]byte("MSH|^~\\&|SND|FAC|RCV|FAC|20261127120000||ADT^A01|MSG1|P|" + version + "\rZZ1|" + field + "\r"))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func dtValue(t testing.TB, field, path string) Value {
	t.Helper()
	v, err := dtMessage(t, "2.5.1", field).Value(path)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestValueTime(t *testing.T) {
	tsErr := func(in, detail string, pos int) string {
		return `hl7: "` + in + `" is not a TS: ` + detail + " at position " + strconv.Itoa(pos) + wantFormTS
	}
	tests := []struct {
		field, path string
		want        timeCase // in is the expected Format
		zero        bool
	}{
		{"20261127134501", "ZZ1-1", timeCase{in: "20261127134501", instant: "2026-11-27T13:45:01Z", prec: PrecisionSecond}, false},
		{"20261127134501-0500", "ZZ1-1", timeCase{in: "20261127134501-0500", instant: "2026-11-27T13:45:01-05:00", prec: PrecisionSecond, hasOffset: true}, false},
		// TS.2, the degree of precision, cuts the value to it when it is coarser.
		{"20261127134501^S", "ZZ1-1", timeCase{in: "20261127134501", instant: "2026-11-27T13:45:01Z", prec: PrecisionSecond}, false},
		{"20261127134501.25^S", "ZZ1-1", timeCase{in: "20261127134501", instant: "2026-11-27T13:45:01Z", prec: PrecisionSecond}, false},
		{"20261127134501^M", "ZZ1-1", timeCase{in: "202611271345", instant: "2026-11-27T13:45:00Z", prec: PrecisionMinute}, false},
		{"20261127134501^H", "ZZ1-1", timeCase{in: "2026112713", instant: "2026-11-27T13:00:00Z", prec: PrecisionHour}, false},
		{"200604151030^D", "ZZ1-1", timeCase{in: "20060415", instant: "2006-04-15T00:00:00Z", prec: PrecisionDay}, false},
		{"200604151030^L", "ZZ1-1", timeCase{in: "200604", instant: "2006-04-01T00:00:00Z", prec: PrecisionMonth}, false},
		{"200604151030^Y", "ZZ1-1", timeCase{in: "2006", instant: "2006-01-01T00:00:00Z", prec: PrecisionYear}, false},
		{"200604152330-0500^D", "ZZ1-1", timeCase{in: "20060415-0500", instant: "2006-04-15T00:00:00-05:00", prec: PrecisionDay, hasOffset: true}, false},
		// When TS.2 is finer than the digits, the digits win.
		{"2006^S", "ZZ1-1", timeCase{in: "2006", instant: "2006-01-01T00:00:00Z", prec: PrecisionYear}, false},
		{"20060415^", "ZZ1-1", timeCase{in: "20060415", instant: "2006-04-15T00:00:00Z", prec: PrecisionDay}, false},
		{`20060415^""`, "ZZ1-1", timeCase{in: "20060415", instant: "2006-04-15T00:00:00Z", prec: PrecisionDay}, false},
		// The first repetition of a field; another one when asked for.
		{"20260101~20270202", "ZZ1-1", timeCase{in: "20260101", instant: "2026-01-01T00:00:00Z", prec: PrecisionDay}, false},
		{"20260101~20270202", "ZZ1-1[2]", timeCase{in: "20270202", instant: "2027-02-02T00:00:00Z", prec: PrecisionDay}, false},
		// A TS inside a composite: its parts are sub-components.
		{"X^200604151030&D", "ZZ1-1.2", timeCase{in: "20060415", instant: "2006-04-15T00:00:00Z", prec: PrecisionDay}, false},
		{"X^200604151030&D", "ZZ1-1.2.1", timeCase{in: "200604151030", instant: "2006-04-15T10:30:00Z", prec: PrecisionMinute}, false},
		// No time at all: the zero Time and no error.
		{"", "ZZ1-1", timeCase{}, true},
		{`""`, "ZZ1-1", timeCase{}, true},
		{"^D", "ZZ1-1", timeCase{}, true},
		{"20260101", "ZZ1-2", timeCase{}, true},
		{"20260101", "ZZ1", timeCase{}, true},
		// Errors.
		{"2026133^D", "ZZ1-1", timeCase{in: "2026133", err: dtmErr("2026133", "month 13", 5)}, false},
		{"20060415^X", "ZZ1-1", timeCase{in: "20060415^X", err: tsErr("20060415^X", `degree of precision "X"`, 10)}, false},
		{"20060415^d", "ZZ1-1", timeCase{in: "20060415^d", err: tsErr("20060415^d", `degree of precision "d"`, 10)}, false},
		{"20060415^D^x", "ZZ1-1", timeCase{in: "20060415", instant: "2006-04-15T00:00:00Z", prec: PrecisionDay}, false},
		{"20060415^SS^x", "ZZ1-1", timeCase{in: "20060415^SS", err: tsErr("20060415^SS", `degree of precision "SS"`, 10)}, false},
		{"X^20060415&Q", "ZZ1-1.2", timeCase{in: "20060415&Q", err: tsErr("20060415&Q", `degree of precision "Q"`, 10)}, false},
	}
	for _, tc := range tests {
		v := dtValue(t, tc.field, tc.path)
		got, err := v.Time()
		if tc.zero {
			if err != nil || !got.IsZero() || got.Format() != "" {
				t.Errorf("%s of %q: Time() = %v, %v; want the zero Time and no error", tc.path, tc.field, got, err)
			}
			continue
		}
		checkTimeCase(t, "Value.Time "+tc.path+" of", tc.want, got, err, true)
	}
}

func TestValueTimeIn(t *testing.T) {
	est := time.FixedZone("EST", -5*3600)
	v := dtValue(t, "200604151030^D", "ZZ1-1")
	got, err := v.TimeIn(est)
	checkTimeCase(t, "Value.TimeIn", timeCase{in: "20060415", instant: "2006-04-15T00:00:00-05:00", prec: PrecisionDay}, got, err, true)
	if got.Location() != est {
		t.Errorf("TimeIn location = %v, want EST", got.Location())
	}
	got, err = v.TimeIn(nil)
	checkTimeCase(t, "Value.TimeIn(nil)", timeCase{in: "20060415", instant: "2006-04-15T00:00:00Z", prec: PrecisionDay}, got, err, true)
}

func TestTimeFormat(t *testing.T) {
	tests := []struct {
		t    Time
		want string
	}{
		{Time{}, ""},
		{Time{Time: time.Date(2026, 11, 27, 13, 45, 1, 123456789, time.UTC), Precision: PrecisionMillisecond}, "20261127134501.123"},
		// Format cuts, it does not round.
		{Time{Time: time.Date(2026, 11, 27, 13, 45, 59, 999999999, time.UTC), Precision: PrecisionMinute}, "202611271345"},
		// A Time moved to another zone formats as the same instant there.
		{Time{Time: time.Date(2026, 11, 27, 13, 45, 1, 0, time.FixedZone("", 3600)).UTC(), Precision: PrecisionSecond, HasOffset: true}, "20261127124501+0000"},
		{Time{Time: time.Date(2026, 11, 27, 13, 45, 1, 0, time.FixedZone("", -(3*3600+30*60))), Precision: PrecisionSecond, HasOffset: true}, "20261127134501-0330"},
		{Time{Time: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), Precision: PrecisionDay, HasOffset: true}, "20261127+0000"},
		// A precision past the last one formats as ten-thousandths.
		{Time{Time: time.Date(2026, 11, 27, 13, 45, 1, 123456789, time.UTC), Precision: 42}, "20261127134501.1234"},
		// Year 0 at hour precision or finer is a TM.
		{Time{Time: time.Date(0, 1, 1, 8, 30, 0, 0, time.UTC), Precision: PrecisionMinute}, "0830"},
	}
	for _, tc := range tests {
		if got := tc.t.Format(); got != tc.want {
			t.Errorf("Format() of %v = %q, want %q", tc.t.Time, got, tc.want)
		}
		if got := string(tc.t.AppendHL7([]byte("x"))); got != "x"+tc.want {
			t.Errorf("AppendHL7 of %v = %q, want %q", tc.t.Time, got, "x"+tc.want)
		}
	}
}

func TestPrecisionString(t *testing.T) {
	tests := []struct {
		p    Precision
		want string
	}{
		{PrecisionNone, "none"},
		{PrecisionYear, "year"},
		{PrecisionDay, "day"},
		{PrecisionMillisecond, "millisecond"},
		{PrecisionTenThousandth, "ten-thousandth of a second"},
		{11, "Precision(11)"},
	}
	for _, tc := range tests {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("Precision(%d).String() = %q, want %q", uint8(tc.p), got, tc.want)
		}
	}
}

func TestNumber(t *testing.T) {
	e := func(in, detail string, pos int) string {
		s := `hl7: "` + in + `" is not a NM: ` + detail
		if pos > 0 {
			s += " at position " + strconv.Itoa(pos)
		}
		return s + wantFormNM
	}
	tests := []struct {
		in   string
		want float64
		err  string
	}{
		{"0", 0, ""},
		{"999", 999, ""},
		{"007", 7, ""},
		{"-123.792", -123.792, ""},
		{"+5", 5, ""},
		{"5.", 5, ""},
		{".5", 0.5, ""},
		{"-.5", -0.5, ""},
		{"0.000", 0, ""},
		{"12345678901234567890", 12345678901234567890, ""},
		{"", 0, e("", "empty", 0)},
		{"1e3", 0, e("1e3", "unexpected 'e'", 2)},
		{"1E3", 0, e("1E3", "unexpected 'E'", 2)},
		{" 12", 0, e(" 12", "unexpected ' '", 1)},
		{"12 ", 0, e("12 ", "unexpected ' '", 3)},
		{"1.2.3", 0, e("1.2.3", "unexpected '.'", 4)},
		{"1,5", 0, e("1,5", "unexpected ','", 2)},
		{"1_000", 0, e("1_000", "unexpected '_'", 2)},
		{"0x1F", 0, e("0x1F", "unexpected 'x'", 2)},
		{"--1", 0, e("--1", "unexpected '-'", 2)},
		{"+", 0, e("+", "no digits", 1)},
		{".", 0, e(".", "no digits", 1)},
		{"-.", 0, e("-.", "no digits", 1)},
		{"Inf", 0, e("Inf", "unexpected 'I'", 1)},
		{"NaN", 0, e("NaN", "unexpected 'N'", 1)},
		{"½", 0, e("½", "unexpected '½'", 1)},
		{"<5", 0, e("<5", "unexpected '<'", 1)},
		{"1" + strings.Repeat("0", 400), 0, e("1"+strings.Repeat("0", 39)+"...", "out of the range of a float64", 1)},
	}
	for _, tc := range tests {
		got, err := ParseNumber(tc.in)
		checkNumber(t, "ParseNumber", tc.in, got, err, tc.want, tc.err)
		if strings.ContainsAny(tc.in, "|^~\\&") || tc.in == "" {
			continue
		}
		got, err = dtValue(t, tc.in, "ZZ1-1").Number()
		checkNumber(t, "Value.Number", tc.in, got, err, tc.want, tc.err)
	}
}

func checkNumber(t *testing.T, name, in string, got float64, err error, want float64, wantErr string) {
	t.Helper()
	if wantErr != "" {
		if err == nil || err.Error() != wantErr {
			t.Errorf("%s(%q) = %v, %v; want error\n%s", name, in, got, err, wantErr)
		}
		return
	}
	if err != nil || got != want {
		t.Errorf("%s(%q) = %v, %v; want %v", name, in, got, err, want)
	}
}

func TestValueNumber(t *testing.T) {
	e := func(in, detail string) string {
		s := `hl7: "` + in + `" is not a NM: ` + detail
		if in != "" {
			s += " at position 1"
		}
		return s + wantFormNM
	}
	tests := []struct {
		field, path string
		want        float64
		err         string
	}{
		{"12.5^mg", "ZZ1-1", 12.5, ""},
		{"12.5~13", "ZZ1-1[2]", 13, ""},
		{"X^-4&unit", "ZZ1-1.2", -4, ""},
		{"", "ZZ1-1", 0, e("", "empty")},
		{"1", "ZZ1-2", 0, e("", "empty")},
		{`""`, "ZZ1-1", 0, e(`\"\"`, `the HL7 null "" (the sender asks to delete the value)`)},
		{"^12", "ZZ1-1", 0, e("", "empty")},
	}
	for _, tc := range tests {
		got, err := dtValue(t, tc.field, tc.path).Number()
		checkNumber(t, "Value.Number "+tc.path+" of", tc.field, got, err, tc.want, tc.err)
	}
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2026", "202611", "20261127", "2026112713", "202611271345", "20261127134501",
		"20261127134501.1234", "20261127134501.1-0500", "2026+1400", "20261127-0000",
		"20240229", "20250229", "2026133", "13", "134501.12+0545", "", "+0100", "0000",
		"20261127134501.12345", "2026-11-27", "99991231235959.9999-1200",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parsers := []struct {
			name  string
			parse func(string) (Time, error)
		}{{"ParseTime", ParseTime}, {"ParseDate", ParseDate}, {"ParseTimeOfDay", ParseTimeOfDay}}
		for _, p := range parsers {
			got, err := p.parse(s)
			if err != nil {
				if _, ok := err.(*DataTypeError); !ok {
					t.Fatalf("%s(%q) error is %T, want *DataTypeError", p.name, s, err)
				}
				continue
			}
			// Every accepted value is canonical: it formats back to itself, and reads again
			// as the same instant at the same precision.
			out := got.Format()
			if out != s {
				t.Fatalf("%s(%q).Format() = %q", p.name, s, out)
			}
			again, err := p.parse(out)
			if err != nil {
				t.Fatalf("%s(%q) then %s(%q): %v", p.name, s, p.name, out, err)
			}
			if !again.Time.Equal(got.Time) || again.Precision != got.Precision || again.HasOffset != got.HasOffset {
				t.Fatalf("%s(%q) = %v %v, again = %v %v", p.name, s, got.Time, got.Precision, again.Time, again.Precision)
			}
		}
	})
}

// formatSink keeps the benchmarked Format result alive, so that its allocation is counted.
var formatSink string

// BenchmarkParseTime measures reading date/time values; the values without an offset, or with
// a whole-hour or quarter-hour offset, should not allocate.
func BenchmarkParseTime(b *testing.B) {
	for _, s := range []string{"20261127", "20261127134501", "20261127134501.1234", "20261127134501-0500", "20261127134501+0545", "20261127134501+0007"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseTime(s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("Value.Time/TS", func(b *testing.B) {
		v := dtValue(b, "20261127134501-0500^M", "ZZ1-1")
		b.ReportAllocs()
		for b.Loop() {
			if _, err := v.Time(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Format", func(b *testing.B) {
		t, _ := ParseTime("20261127134501.1234-0500")
		b.ReportAllocs()
		for b.Loop() {
			formatSink = t.Format()
		}
	})
}
