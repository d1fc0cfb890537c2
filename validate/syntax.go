package validate

// Fast acceptance of the most common well-formed values. hl7.ParseNumber and hl7.ParseTime
// are the definition of NM and DTM here; they also build a float64 and a time.Time, which
// validation does not need. The functions below accept only values those parsers accept
// (FuzzFastSyntax checks it) and answer false when unsure, which sends the value to the
// parser; so they change what costs how much, never what is valid.

// fastNM reports whether s is plainly an NM: an optional sign, at most 15 digits, at most one
// point, at least one digit.
func fastNM(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits, point := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point:
			point = true
		default:
			return false
		}
	}
	return digits > 0 && digits <= 15
}

// fastDTM reports whether s is plainly a DTM (or DT): digits only, a whole number of parts
// from the year to the second, each in its range.
func fastDTM(s string, dateOnly bool) bool {
	switch len(s) {
	case 4, 6, 8:
	case 10, 12, 14:
		if dateOnly {
			return false
		}
	default:
		return false
	}
	var v [7]int
	for i := 0; i < len(s); i += 2 {
		a, b := s[i]-'0', s[i+1]-'0'
		if a > 9 || b > 9 {
			return false
		}
		v[i/2] = int(a)*10 + int(b)
	}
	year := v[0]*100 + v[1]
	if year == 0 {
		return false
	}
	if len(s) >= 6 && (v[2] < 1 || v[2] > 12) {
		return false
	}
	if len(s) >= 8 && (v[3] < 1 || v[3] > daysInMonth(v[2], year)) {
		return false
	}
	if len(s) >= 10 && v[4] > 23 {
		return false
	}
	if len(s) >= 12 && v[5] > 59 {
		return false
	}
	if len(s) >= 14 && v[6] > 59 {
		return false
	}
	return true
}

func daysInMonth(month, year int) int {
	switch month {
	case 4, 6, 9, 11:
		return 30
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 31
}
