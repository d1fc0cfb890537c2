package file

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// cronSchedule is a five-field cron expression (minute, hour, day of month, month, day of
// week) in a time zone. It follows Vixie cron, the cron most people have read a crontab for:
//
//   - each field is `*`, a value, a range `a-b`, a step `*/n`, `a-b/n` or `a/n` (a to the
//     field's end), or a comma-separated list of those; months and days of the week also take
//     their English three-letter names (JAN, MON), in any case; a day of week of 7 is Sunday;
//   - when both the day of month and the day of week are restricted (neither starts with
//     `*`), a day matches if either does; otherwise both must;
//   - `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`) and `@hourly`
//     stand for their usual expressions. There is no seconds field and no `@reboot`.
//
// Times are wall-clock times in the zone. Where clocks go back, a wall-clock time that occurs
// twice fires once, at its first occurrence; where they jump forward, a time that does not
// exist fires once, at the jump (02:30 on the night clocks go from 02:00 to 03:00 fires at
// 03:00). So each wall-clock minute fires at most once, and the fire times of a schedule are
// strictly increasing.
type cronSchedule struct {
	expr                            string
	minute, hour, dom, month, dow   uint64 // bit i set: value i matches
	domStar, dowStar                bool   // the field starts with `*`
	loc                             *time.Location
	minuteList, hourList            []int // the set bits, ascending
	firstMinute, firstHour, maxDays int
}

// cronField describes one of the five fields.
type cronField struct {
	name     string
	min, max int
	names    []string // names[i] stands for min+i
}

var cronFields = [5]cronField{
	{name: "minute", min: 0, max: 59},
	{name: "hour", min: 0, max: 23},
	{name: "day of month", min: 1, max: 31},
	{name: "month", min: 1, max: 12, names: []string{"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
	{name: "day of week", min: 0, max: 7, names: []string{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
}

var cronMacros = map[string]string{
	"@yearly":   "0 0 1 1 *",
	"@annually": "0 0 1 1 *",
	"@monthly":  "0 0 1 * *",
	"@weekly":   "0 0 * * 0",
	"@daily":    "0 0 * * *",
	"@midnight": "0 0 * * *",
	"@hourly":   "0 * * * *",
}

// cronSearchYears bounds how far ahead next looks. The rarest schedule that can fire at all
// is the 29th of February on a given weekday, which comes round every 28 years or so (40 across
// the skipped leap year of 2100).
const cronSearchYears = 50

// parseCron reads a cron expression whose times are in loc. It refuses expressions that can
// never fire (the 30th of February).
func parseCron(expr string, loc *time.Location) (*cronSchedule, error) {
	text := strings.TrimSpace(expr)
	if strings.HasPrefix(text, "@") {
		m, ok := cronMacros[strings.ToLower(text)]
		if !ok {
			return nil, fmt.Errorf("unknown shortcut %q (use @yearly, @monthly, @weekly, @daily or @hourly, or five fields)", text)
		}
		text = m
	}
	parts := strings.Fields(text)
	switch {
	case len(parts) == 6:
		return nil, fmt.Errorf("6 fields: a schedule has 5 (minute hour day-of-month month day-of-week); seconds are not supported")
	case len(parts) != 5:
		return nil, fmt.Errorf("%d fields: a schedule has 5 (minute hour day-of-month month day-of-week)", len(parts))
	}
	s := &cronSchedule{expr: expr, loc: loc}
	sets := [5]*uint64{&s.minute, &s.hour, &s.dom, &s.month, &s.dow}
	for i, p := range parts {
		set, err := parseCronField(p, &cronFields[i])
		if err != nil {
			return nil, err
		}
		*sets[i] = set
	}
	if s.dow&(1<<7) != 0 {
		s.dow = s.dow&^(1<<7) | 1 // 7 is Sunday, like 0
	}
	s.domStar, s.dowStar = parts[2][0] == '*', parts[4][0] == '*'
	if !s.canFire() {
		return nil, fmt.Errorf("the schedule never fires: no month in it has the days of month it names")
	}
	s.minuteList, s.hourList = bitList(s.minute), bitList(s.hour)
	return s, nil
}

// parseCronField reads one field into a bit set.
func parseCronField(text string, f *cronField) (uint64, error) {
	var set uint64
	for item := range strings.SplitSeq(text, ",") {
		bad := func(format string, args ...any) error {
			return fmt.Errorf("%s %q: %s", f.name, item, fmt.Sprintf(format, args...))
		}
		if item == "" {
			return 0, fmt.Errorf("%s %q: empty list item", f.name, text)
		}
		rng, stepText, hasStep := strings.Cut(item, "/")
		step := 1
		if hasStep {
			n, err := strconv.Atoi(stepText)
			if err != nil || n < 1 {
				return 0, bad("the step %q is not a whole number from 1", stepText)
			}
			step = n
		}
		lo, hi := f.min, f.max
		if f.name == "day of week" {
			hi = 6 // `*` is Sunday to Saturday; 7 is only an alias of 0
		}
		if rng != "*" {
			a, b, isRange := strings.Cut(rng, "-")
			var err error
			if lo, err = cronValue(a, f); err != nil {
				return 0, bad("%v", err)
			}
			switch {
			case isRange:
				if hi, err = cronValue(b, f); err != nil {
					return 0, bad("%v", err)
				}
				if hi < lo {
					return 0, bad("the range ends before it starts")
				}
			case hasStep:
				hi = f.max // a/n: from a to the end
				if f.name == "day of week" {
					hi = 6
				}
			default:
				hi = lo
			}
		}
		for v := lo; v <= hi; v += step {
			set |= 1 << v
		}
	}
	return set, nil
}

// cronValue reads a number or a name of field f.
func cronValue(s string, f *cronField) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("a value is missing")
	}
	for i, name := range f.names {
		if strings.EqualFold(s, name) {
			return f.min + i, nil
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		if len(f.names) > 0 {
			return 0, fmt.Errorf("%q is neither a number nor a name (%s-%s)", s, f.names[0], f.names[len(f.names)-1])
		}
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if n < f.min || n > f.max {
		return 0, fmt.Errorf("%d is outside %d-%d", n, f.min, f.max)
	}
	return n, nil
}

// canFire reports whether some day of some year matches.
func (s *cronSchedule) canFire() bool {
	if s.minute == 0 || s.hour == 0 || s.dom == 0 || s.month == 0 || s.dow == 0 {
		return false
	}
	if !s.domStar && !s.dowStar {
		return true // either matches, and every day of the week comes each month
	}
	// Both must match: every (month, day) that exists recurs on each weekday over the years.
	for m := 1; m <= 12; m++ {
		if s.month&(1<<m) == 0 {
			continue
		}
		days := daysIn(time.Month(m), 2024) // a leap year: the 29th of February exists
		if s.dom&(uint64(1)<<(days+1)-1) != 0 {
			return true
		}
	}
	return false
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func bitList(set uint64) []int {
	var out []int
	for set != 0 {
		i := bits.TrailingZeros64(set)
		out = append(out, i)
		set &^= 1 << i
	}
	return out
}

// dayMatches reports whether the calendar day d (a UTC midnight standing for a date) matches.
func (s *cronSchedule) dayMatches(d time.Time) bool {
	if s.month&(1<<int(d.Month())) == 0 {
		return false
	}
	domOK := s.dom&(1<<d.Day()) != 0
	dowOK := s.dow&(1<<int(d.Weekday())) != 0
	if s.domStar || s.dowStar {
		return domOK && dowOK
	}
	return domOK || dowOK
}

// next returns the first fire time strictly after from, or the zero time if there is none
// within cronSearchYears (which parseCron rules out).
func (s *cronSchedule) next(from time.Time) time.Time {
	w := from.In(s.loc)
	// The first candidate is the wall-clock minute after from's: any earlier wall-clock minute
	// maps to an instant at or before from, even where clocks go back.
	day := time.Date(w.Year(), w.Month(), w.Day(), 0, 0, 0, 0, time.UTC)
	h, mi := w.Hour(), w.Minute()+1
	end := day.AddDate(cronSearchYears, 0, 0)
	for day.Before(end) {
		if s.month&(1<<int(day.Month())) == 0 {
			day = time.Date(day.Year(), day.Month()+1, 1, 0, 0, 0, 0, time.UTC)
			h, mi = 0, 0
			continue
		}
		if s.dayMatches(day) {
			for _, hh := range s.hourList {
				if hh < h {
					continue
				}
				for _, mm := range s.minuteList {
					if hh == h && mm < mi {
						continue
					}
					t := wallTime(day.Year(), day.Month(), day.Day(), hh, mm, s.loc)
					if t.After(from) {
						return t
					}
				}
			}
		}
		day = day.AddDate(0, 0, 1)
		h, mi = 0, 0
	}
	return time.Time{}
}

// prev returns the last fire time at or before t, or the zero time if there is none within
// twice cronSearchYears. It looks back further and further for a fire time, then walks
// forward with next, so that prev and next agree by construction.
func (s *cronSchedule) prev(t time.Time) time.Time {
	for back := time.Hour; back <= 2*cronSearchYears*366*24*time.Hour; back *= 4 {
		f := s.next(t.Add(-back))
		if f.IsZero() || f.After(t) {
			continue
		}
		// Fires in (t-back, t]: at most the minutes of that span, and far fewer for any
		// schedule that fires rarely enough to need a long look back.
		for range 4 * 366 * 24 * 60 {
			n := s.next(f)
			if n.IsZero() || n.After(t) {
				return f
			}
			f = n
		}
		return f
	}
	return time.Time{}
}

// wallTime returns the instant at which the wall clock in loc shows the given minute: its
// first occurrence where clocks go back, and the moment of the jump where clocks skip it.
// time.Date leaves both cases to the zone's data (it picks the later occurrence in some zones
// and normalises a skipped time backwards in others), which would make fire times and group
// names depend on the zone's history.
func wallTime(y int, mo time.Month, d, h, mi int, loc *time.Location) time.Time {
	naive := time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
	t0 := time.Date(y, mo, d, h, mi, 0, 0, loc)
	start, end := t0.ZoneBounds()
	var best time.Time
	try := func(probe time.Time) {
		_, off := probe.Zone()
		t := naive.Add(-time.Duration(off) * time.Second)
		if wallOf(t.In(loc)).Equal(naive) && (best.IsZero() || t.Before(best)) {
			best = t
		}
	}
	try(t0)
	if !start.IsZero() {
		try(start.Add(-time.Second)) // the offset before t0's zone began
	}
	if !end.IsZero() {
		try(end) // the offset after it ends
	}
	if !best.IsZero() {
		return best.In(loc)
	}
	// Skipped by a jump forward: t0 is the time normalised into one side of the gap.
	if wallOf(t0).After(naive) {
		return start.In(loc)
	}
	return end.In(loc)
}

// wallOf returns t's wall clock as a UTC time, for comparing wall clocks.
func wallOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}
