package transform

import (
	"fmt"
	"strings"
	"time"

	"github.com/courier-hl7/courier/hl7"
)

// dateLayout is a date pattern as analysts write it (YYYY-MM-DD, MM/DD/YYYY HH:mm), turned
// into a Go layout once, when the step or expression is compiled.
type dateLayout struct {
	pattern string
	hl7     bool          // "HL7": the DTM form, at the value's own precision
	iso     bool          // "ISO": RFC 3339, a date alone for a value with no time
	goLay   string        // the Go layout, when not hl7
	prec    hl7.Precision // the finest part the pattern has, for values it reads
}

// dateTokens are the pattern tokens, longest first so that YYYY wins over YY.
var dateTokens = []struct {
	tok, layout string
	prec        hl7.Precision
}{
	{"YYYY", "2006", hl7.PrecisionYear},
	{"YY", "06", hl7.PrecisionYear},
	{"MMMM", "January", hl7.PrecisionMonth},
	{"MMM", "Jan", hl7.PrecisionMonth},
	{"MM", "01", hl7.PrecisionMonth},
	{"M", "1", hl7.PrecisionMonth},
	{"DD", "02", hl7.PrecisionDay},
	{"D", "2", hl7.PrecisionDay},
	{"HH", "15", hl7.PrecisionHour},
	{"hh", "03", hl7.PrecisionHour},
	{"h", "3", hl7.PrecisionHour},
	{"mm", "04", hl7.PrecisionMinute},
	{"ss", "05", hl7.PrecisionSecond},
	{"SSS", "000", hl7.PrecisionMillisecond},
	{"A", "PM", hl7.PrecisionNone},
	{"a", "pm", hl7.PrecisionNone},
	{"ZZ", "-0700", hl7.PrecisionNone},
	{"Z", "Z07:00", hl7.PrecisionNone},
}

// parseDateLayout reads a pattern. Besides the tokens above it accepts the names HL7 (or
// DTM: the HL7 form at the value's own precision), DT (YYYYMMDD) and ISO (RFC 3339). Text in
// [brackets] is literal; other characters that are not letters are literal too.
func parseDateLayout(pattern string) (dateLayout, error) {
	l := dateLayout{pattern: pattern}
	switch strings.ToUpper(pattern) {
	case "HL7", "DTM", "TS":
		l.hl7 = true
		return l, nil
	case "DT":
		return dateLayout{pattern: pattern, goLay: "20060102", prec: hl7.PrecisionDay}, nil
	case "ISO", "RFC3339":
		return dateLayout{pattern: pattern, iso: true, goLay: time.RFC3339, prec: hl7.PrecisionSecond}, nil
	case "":
		return l, fmt.Errorf("empty date pattern (write one like YYYY-MM-DD, or HL7)")
	}
	var b strings.Builder
	for i := 0; i < len(pattern); {
		c := pattern[i]
		if c == '[' {
			j := strings.IndexByte(pattern[i:], ']')
			if j < 0 {
				return l, fmt.Errorf("date pattern %q: unclosed [ at position %d", pattern, i+1)
			}
			lit := pattern[i+1 : i+j]
			if strings.ContainsAny(lit, "0123456789") || containsGoLayoutWord(lit) {
				return l, fmt.Errorf("date pattern %q: literal text [%s] cannot hold digits or Go layout words", pattern, lit)
			}
			b.WriteString(lit)
			i += j + 1
			continue
		}
		matched := false
		for _, t := range dateTokens {
			if strings.HasPrefix(pattern[i:], t.tok) {
				b.WriteString(t.layout)
				l.prec = max(l.prec, t.prec)
				i += len(t.tok)
				matched = true
				break
			}
		}
		if matched {
			continue
		}
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			return l, fmt.Errorf("date pattern %q: unknown letter %q at position %d (use YYYY MM DD HH mm ss SSS, or put text in [brackets])", pattern, c, i+1)
		}
		b.WriteByte(c)
		i++
	}
	l.goLay = b.String()
	return l, nil
}

// containsGoLayoutWord reports whether literal text would be read by time.Format as a layout
// element (Jan, Mon, MST, PM...).
func containsGoLayoutWord(s string) bool {
	for _, w := range []string{"Jan", "Mon", "MST", "PM", "pm", "January", "Monday"} {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// parse reads s with the layout; values without a zone are in loc.
func (l dateLayout) parse(s string, loc *time.Location) (hl7.Time, error) {
	if l.hl7 {
		return hl7.ParseTimeIn(s, loc)
	}
	if l.iso {
		return parseISO(s, loc, l.pattern)
	}
	t, err := time.ParseInLocation(l.goLay, s, loc)
	if err != nil {
		return hl7.Time{}, fmt.Errorf("%q does not match the date pattern %q", s, l.pattern)
	}
	hasZone := strings.Contains(l.goLay, "07")
	return hl7.Time{Time: t, Precision: l.prec, HasOffset: hasZone}, nil
}

// format writes t with the layout.
func (l dateLayout) format(t hl7.Time) string {
	if l.hl7 {
		return t.Format()
	}
	return t.Time.Format(l.layoutFor(t))
}

// layoutFor returns the Go layout to write t with. An ISO value is written at t's precision:
// a date of birth (19800215) is 1980-02-15, not midnight UTC of that day, which a receiver
// in a zone west of UTC would read as the day before.
func (l dateLayout) layoutFor(t hl7.Time) string {
	if !l.iso {
		return l.goLay
	}
	switch t.Precision {
	case hl7.PrecisionYear:
		return "2006"
	case hl7.PrecisionMonth:
		return "2006-01"
	case hl7.PrecisionDay:
		return "2006-01-02"
	case hl7.PrecisionTenth:
		return "2006-01-02T15:04:05.0Z07:00"
	case hl7.PrecisionHundredth:
		return "2006-01-02T15:04:05.00Z07:00"
	case hl7.PrecisionMillisecond:
		return "2006-01-02T15:04:05.000Z07:00"
	case hl7.PrecisionTenThousandth:
		return "2006-01-02T15:04:05.0000Z07:00"
	}
	return l.goLay
}

// parseISO reads an RFC 3339 date-time (fractions of a second allowed), or a date alone
// (2026-02-15, 2026-02, 2026) at its own precision.
func parseISO(s string, loc *time.Location, pattern string) (hl7.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		p := hl7.PrecisionSecond
		if i := strings.IndexByte(s, '.'); i >= 0 {
			// The digits of the fraction, as HL7 counts them (at most four).
			n := 0
			for _, c := range s[i+1:] {
				if c < '0' || c > '9' {
					break
				}
				n++
			}
			p = hl7.PrecisionSecond + hl7.Precision(min(n, 4))
		}
		return hl7.Time{Time: t, Precision: p, HasOffset: true}, nil
	}
	for _, f := range []struct {
		layout string
		prec   hl7.Precision
	}{{"2006-01-02", hl7.PrecisionDay}, {"2006-01", hl7.PrecisionMonth}, {"2006", hl7.PrecisionYear}} {
		if t, err := time.ParseInLocation(f.layout, s, loc); err == nil {
			return hl7.Time{Time: t, Precision: f.prec}, nil
		}
	}
	return hl7.Time{}, fmt.Errorf("%q does not match the date pattern %q", s, pattern)
}

// appendFormat appends what format returns to b, for callers that compare or copy the text
// instead of keeping it.
func (l dateLayout) appendFormat(b []byte, t hl7.Time) []byte {
	if l.hl7 {
		return t.AppendHL7(b)
	}
	return t.Time.AppendFormat(b, l.layoutFor(t))
}

// parsePrecision reads a precision name: year, month, day, hour, minute, second, millisecond.
func parsePrecision(s string) (hl7.Precision, error) {
	switch strings.ToLower(s) {
	case "year":
		return hl7.PrecisionYear, nil
	case "month":
		return hl7.PrecisionMonth, nil
	case "day":
		return hl7.PrecisionDay, nil
	case "hour":
		return hl7.PrecisionHour, nil
	case "minute":
		return hl7.PrecisionMinute, nil
	case "second":
		return hl7.PrecisionSecond, nil
	case "millisecond":
		return hl7.PrecisionMillisecond, nil
	}
	return 0, fmt.Errorf("unknown precision %q (year, month, day, hour, minute, second or millisecond)", s)
}

// withPrecision returns t at precision p: finer parts are cut, or added as zeros.
func withPrecision(t hl7.Time, p hl7.Precision) hl7.Time {
	if p == hl7.PrecisionNone {
		return t
	}
	if p < t.Precision {
		tt := t.Time
		y, mo, d := tt.Date()
		h, mi, s := tt.Clock()
		ns := tt.Nanosecond()
		if p < hl7.PrecisionMonth {
			mo = 1
		}
		if p < hl7.PrecisionDay {
			d = 1
		}
		if p < hl7.PrecisionHour {
			h = 0
		}
		if p < hl7.PrecisionMinute {
			mi = 0
		}
		if p < hl7.PrecisionSecond {
			s = 0
		}
		if p < hl7.PrecisionMillisecond {
			ns = 0
		}
		t.Time = time.Date(y, mo, d, h, mi, s, ns, tt.Location())
	}
	t.Precision = p
	if p <= hl7.PrecisionDay {
		// A date has no offset (DT); keeping one would make "19800101+0100".
		t.HasOffset = false
	}
	return t
}
