package file

import (
	"testing"
	"time"
	_ "time/tzdata" // the DST tests need zones whatever the machine has installed
)

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseCronErrors(t *testing.T) {
	for _, tc := range []struct {
		expr, err string
	}{
		{"", "0 fields: a schedule has 5 (minute hour day-of-month month day-of-week)"},
		{"* * * *", "4 fields: a schedule has 5 (minute hour day-of-month month day-of-week)"},
		{"0 0 * * * *", "6 fields: a schedule has 5 (minute hour day-of-month month day-of-week); seconds are not supported"},
		{"60 * * * *", `minute "60": 60 is outside 0-59`},
		{"0 24 * * *", `hour "24": 24 is outside 0-23`},
		{"0 0 0 * *", `day of month "0": 0 is outside 1-31`},
		{"0 0 32 * *", `day of month "32": 32 is outside 1-31`},
		{"0 0 * 13 *", `month "13": 13 is outside 1-12`},
		{"0 0 * * 8", `day of week "8": 8 is outside 0-7`},
		{"0 0 * FOO *", `month "FOO": "FOO" is neither a number nor a name (JAN-DEC)`},
		{"0 0 * * SUNDAY", `day of week "SUNDAY": "SUNDAY" is neither a number nor a name (SUN-SAT)`},
		{"x * * * *", `minute "x": "x" is not a number`},
		{"*/0 * * * *", `minute "*/0": the step "0" is not a whole number from 1`},
		{"*/x * * * *", `minute "*/x": the step "x" is not a whole number from 1`},
		{"5-1 * * * *", `minute "5-1": the range ends before it starts`},
		{"- * * * *", `minute "-": a value is missing`},
		{"1- * * * *", `minute "1-": a value is missing`},
		{"1,,2 * * * *", `minute "1,,2": empty list item`},
		{"0 0 30 2 *", "the schedule never fires: no month in it has the days of month it names"},
		{"0 0 31 4,6,9,11 *", "the schedule never fires: no month in it has the days of month it names"},
		{"@reboot", `unknown shortcut "@reboot" (use @yearly, @monthly, @weekly, @daily or @hourly, or five fields)`},
	} {
		_, err := parseCron(tc.expr, time.UTC)
		if err == nil || err.Error() != tc.err {
			t.Errorf("parseCron(%q) = %v\nwant %s", tc.expr, err, tc.err)
		}
	}
}

func TestCronNext(t *testing.T) {
	utc := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		expr, from string
		want       []string // successive fire times
	}{
		{"0 2 * * *", "2026-11-27 01:59", []string{"2026-11-27 02:00", "2026-11-28 02:00"}},
		{"0 2 * * *", "2026-11-27 02:00", []string{"2026-11-28 02:00"}},
		{"*/15 * * * *", "2026-11-27 10:07", []string{"2026-11-27 10:15", "2026-11-27 10:30", "2026-11-27 10:45", "2026-11-27 11:00"}},
		{"0-30/10 9 * * *", "2026-11-27 09:25", []string{"2026-11-27 09:30", "2026-11-28 09:00", "2026-11-28 09:10"}},
		{"45/5 * * * *", "2026-11-27 09:56", []string{"2026-11-27 10:45", "2026-11-27 10:50"}},
		{"0 0 31 * *", "2026-04-15 00:00", []string{"2026-05-31 00:00", "2026-07-31 00:00", "2026-08-31 00:00"}},
		{"0 0 29 2 *", "2026-03-01 00:00", []string{"2028-02-29 00:00", "2032-02-29 00:00"}},
		{"0 0 29 2 *", "2096-03-01 00:00", []string{"2104-02-29 00:00"}}, // 2100 is not a leap year
		{"0 0 1 * *", "2026-01-31 12:00", []string{"2026-02-01 00:00", "2026-03-01 00:00"}},
		{"0 0 31 1,3 *", "2026-02-01 00:00", []string{"2026-03-31 00:00", "2027-01-31 00:00"}},
		{"59 23 31 12 *", "2026-12-31 23:59", []string{"2027-12-31 23:59"}},
		{"0 12 1 JAN,jul *", "2026-07-01 12:00", []string{"2027-01-01 12:00", "2027-07-01 12:00"}},
		{"0 9 * * MON-FRI", "2026-11-27 10:00", []string{"2026-11-30 09:00", "2026-12-01 09:00"}}, // Friday → Monday
		{"0 0 * * 7", "2026-11-27 00:00", []string{"2026-11-29 00:00", "2026-12-06 00:00"}},       // 7 is Sunday
		{"0 0 * * 5-7", "2026-11-27 00:00", []string{"2026-11-28 00:00", "2026-11-29 00:00", "2026-12-04 00:00"}},
		// Both days restricted: the 13th or any Friday.
		{"0 0 13 * FRI", "2026-11-01 00:00", []string{"2026-11-06 00:00", "2026-11-13 00:00", "2026-11-20 00:00"}},
		// A day of month starting with * makes it "and": odd days that are Mondays.
		{"0 0 */2 * MON", "2026-11-01 00:00", []string{"2026-11-09 00:00", "2026-11-23 00:00", "2026-12-07 00:00"}},
		{"@hourly", "2026-11-27 10:30", []string{"2026-11-27 11:00"}},
		{"@weekly", "2026-11-27 10:30", []string{"2026-11-29 00:00"}},
		{"@monthly", "2026-12-15 10:30", []string{"2027-01-01 00:00"}},
		{"@YEARLY", "2026-12-15 10:30", []string{"2027-01-01 00:00"}},
		{"  0   2 * *   *  ", "2026-11-27 01:00", []string{"2026-11-27 02:00"}},
	} {
		s, err := parseCron(tc.expr, time.UTC)
		if err != nil {
			t.Errorf("parseCron(%q): %v", tc.expr, err)
			continue
		}
		at := utc(tc.from)
		for _, w := range tc.want {
			got := s.next(at)
			if !got.Equal(utc(w)) {
				t.Errorf("%q: next(%s) = %s, want %s", tc.expr, at.Format("2006-01-02 15:04"), got.Format("2006-01-02 15:04"), w)
				break
			}
			if p := s.prev(got); !p.Equal(got) {
				t.Errorf("%q: prev(%s) = %s, want the fire time itself", tc.expr, got, p)
			}
			if p := s.prev(got.Add(-time.Second)); !p.Before(got) || !s.next(p).Equal(got) {
				t.Errorf("%q: prev just before %s = %s, whose next is %s", tc.expr, got, p, s.next(p))
			}
			at = got
		}
	}
}

// TestCronDST checks fire times where clocks change: a skipped time fires at the jump, a
// repeated time fires once at its first occurrence.
func TestCronDST(t *testing.T) {
	for _, tc := range []struct {
		zone, expr, from string   // from in UTC
		want             []string // fire times as RFC 3339 in the zone
	}{
		// New York, 8 March 2026: 02:00 EST → 03:00 EDT.
		{"America/New_York", "30 2 * * *", "2026-03-07T12:00:00Z", []string{"2026-03-08T03:00:00-04:00", "2026-03-09T02:30:00-04:00"}},
		{"America/New_York", "*/30 * * * *", "2026-03-08T06:45:00Z", []string{"2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00"}},
		{"America/New_York", "0 2 * * *", "2026-03-07T12:00:00Z", []string{"2026-03-08T03:00:00-04:00", "2026-03-09T02:00:00-04:00"}},
		// New York, 1 November 2026: 02:00 EDT → 01:00 EST; 01:30 happens twice.
		{"America/New_York", "30 1 * * *", "2026-10-31T16:00:00Z", []string{"2026-11-01T01:30:00-04:00", "2026-11-02T01:30:00-05:00"}},
		{"America/New_York", "0 * * * *", "2026-11-01T04:30:00Z", []string{"2026-11-01T01:00:00-04:00", "2026-11-01T02:00:00-05:00", "2026-11-01T03:00:00-05:00"}},
		// From inside the repeated hour's second pass: its times have fired already.
		{"America/New_York", "*/20 * * * *", "2026-11-01T06:05:00Z", []string{"2026-11-01T02:00:00-05:00"}},
		// Berlin, 29 March 2026: 02:00 CET → 03:00 CEST.
		{"Europe/Berlin", "30 2 * * *", "2026-03-28T12:00:00Z", []string{"2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}},
		// Berlin, 25 October 2026: 03:00 CEST → 02:00 CET; time.Date would pick the second 02:30.
		{"Europe/Berlin", "30 2 * * *", "2026-10-24T12:00:00Z", []string{"2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
		// Lord Howe, 4 October 2026: clocks go from 02:00 to 02:30.
		{"Australia/Lord_Howe", "15 2 * * *", "2026-10-03T00:00:00Z", []string{"2026-10-04T02:30:00+11:00", "2026-10-05T02:15:00+11:00"}},
	} {
		loc := mustZone(t, tc.zone)
		s, err := parseCron(tc.expr, loc)
		if err != nil {
			t.Fatal(err)
		}
		at, err := time.Parse(time.RFC3339, tc.from)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			got := s.next(at)
			if got.In(loc).Format(time.RFC3339) != w {
				t.Errorf("%s %q: next(%s) = %s, want %s", tc.zone, tc.expr, at.In(loc).Format(time.RFC3339), got.In(loc).Format(time.RFC3339), w)
				break
			}
			at = got
		}
	}
}

// TestCronYearInZones walks a year of fire times through both clock changes: they strictly
// increase, no wall-clock minute fires twice, each sits on the schedule or on a jump, and prev
// agrees with next everywhere.
func TestCronYearInZones(t *testing.T) {
	for _, zone := range []string{"America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "UTC"} {
		loc := mustZone(t, zone)
		s, err := parseCron("*/30 0-4 * * *", loc)
		if err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		seen := map[string]bool{}
		for range 366 * 10 {
			f := s.next(at)
			if !f.After(at) {
				t.Fatalf("%s: next(%s) = %s, not after", zone, at, f)
			}
			wall := f.In(loc).Format("2006-01-02 15:04")
			if seen[wall] {
				t.Fatalf("%s: wall-clock time %s fired twice", zone, wall)
			}
			seen[wall] = true
			if m, h := f.In(loc).Minute(), f.In(loc).Hour(); (m%30 != 0 || h > 4) && !onJump(f, loc) {
				t.Fatalf("%s: fire time %s is off the schedule", zone, f.In(loc))
			}
			if p := s.prev(f.Add(time.Minute)); !p.Equal(f) {
				t.Fatalf("%s: prev(%s) = %s, want %s", zone, f.Add(time.Minute).In(loc), p.In(loc), f.In(loc))
			}
			at = f
		}
	}
}

// onJump reports whether t is the instant of a clock change in loc.
func onJump(t time.Time, loc *time.Location) bool {
	start, _ := t.In(loc).ZoneBounds()
	return start.Equal(t)
}

func TestWallTimeRoundTrip(t *testing.T) {
	// Group names are wall-clock minutes read back with wallTime: every instant wallTime
	// returns must read back as itself.
	for _, zone := range []string{"America/New_York", "Europe/Berlin", "Australia/Lord_Howe"} {
		loc := mustZone(t, zone)
		for d := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == 2026; d = d.Add(15 * time.Minute) {
			w := wallTime(d.Year(), d.Month(), d.Day(), d.Hour(), d.Minute(), loc)
			l := w.In(loc)
			if back := wallTime(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), loc); !back.Equal(w) {
				t.Fatalf("%s: %s → %s → %s", zone, d.Format("2006-01-02 15:04"), l, back.In(loc))
			}
		}
	}
}

func FuzzParseCron(f *testing.F) {
	for _, s := range []string{"0 2 * * *", "*/15 0-4 1,15 JAN-MAR MON-FRI", "@daily", "0 0 29 2 *", "5/7 */3 * * 7", "0 0 13 * FRI"} {
		f.Add(s)
	}
	loc := mustZone(f, "America/New_York")
	from := time.Date(2026, 11, 1, 5, 17, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := parseCron(expr, loc)
		if err != nil {
			return
		}
		n := s.next(from)
		if n.IsZero() || !n.After(from) {
			t.Fatalf("%q: next(%s) = %s", expr, from, n)
		}
		if p := s.prev(n); !p.Equal(n) {
			t.Fatalf("%q: prev(next) = %s, want %s", expr, p, n)
		}
	})
}

// BenchmarkCronGroup measures what a batch destination's Group pays per claim round: the
// opening of the window that holds now, for a daily and a dense schedule.
func BenchmarkCronGroup(b *testing.B) {
	loc := mustZone(b, "Europe/Berlin")
	now := time.Date(2026, 11, 27, 13, 45, 0, 0, time.UTC)
	for _, expr := range []string{"0 2 * * *", "*/5 * * * MON-FRI", "0 0 29 2 *"} {
		s, err := parseCron(expr, loc)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(expr, func(b *testing.B) {
			for b.Loop() {
				if s.prev(now).IsZero() {
					b.Fatal("no window")
				}
			}
		})
	}
}
