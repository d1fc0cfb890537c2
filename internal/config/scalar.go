package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// expected says what a field of type t accepts, for "expected X, got Y".
func expected(f *Field) string {
	switch f.Type {
	case String:
		return "a string"
	case Int:
		return "an integer"
	case Float:
		return "a number"
	case Bool:
		return "true or false"
	case Duration:
		return "a duration like 5s, 250ms or 2h"
	case Size:
		return "a size like 16MiB, 1MB or 1024"
	}
	return "a " + f.Type.String()
}

// scalar decodes a String, Int, Float, Bool, Duration or Size value into n.
func (d *decoder) scalar(n *Node, f *Field, r *raw) {
	n.val = zeroValue(f.Type)
	if r.kind != rawScalar {
		d.errorf(r.pos, n.path, "expected %s, got %s", expected(f), describe(r, f.Secret))
		return
	}
	text, styp, quoted := r.text, r.styp, r.quoted
	sensitive := f.Secret
	if styp == yamlString && !r.literal {
		x, err := d.expand(text)
		if err != nil {
			d.errs = append(d.errs, &Error{Pos: r.pos, Path: n.path, Err: err})
			return
		}
		if x.unresolved {
			if f.Type == String {
				n.val = text
			}
			return
		}
		if x.changed {
			// An interpolated value is read like an unquoted scalar: port: ${PORT} is an
			// integer when PORT=2575.
			text, styp, quoted = x.text, plainType(x.text), false
		}
		sensitive = sensitive || x.sensitive
	}
	n.secret = sensitive
	got := func() string {
		if sensitive {
			return "a value that is not shown because it is secret"
		}
		if styp == yamlString && quoted {
			return "the string " + quote(text)
		}
		return quote(text)
	}
	bad := func(hint string) {
		d.errorf(r.pos, n.path, "expected %s, got %s%s", expected(f), got(), hint)
	}
	unquote := " (remove the quotes)"
	if r.strTag {
		unquote = " (remove the `!!str` tag)"
	}

	switch f.Type {
	case String:
		n.val = text
		d.checkString(n, f, r.pos, text, sensitive)
		return
	case Int:
		v, ok := intOf(r, text, styp)
		switch {
		case ok:
			n.val = v
		case styp == yamlString && quoted && isInt(text):
			bad(unquote)
			return
		case styp == yamlInt:
			d.errorf(r.pos, n.path, "%s is too large for an integer", quote(text))
			return
		default:
			bad("")
			return
		}
		d.checkRange(n, f, r.pos, float64(v), text)
	case Float:
		var v float64
		switch styp {
		case yamlInt:
			if iv, ok := intOf(r, text, styp); ok {
				v = float64(iv)
			} else if u, ok := r.num.(uint64); ok && text == r.text {
				v = float64(u)
			} else {
				bad("")
				return
			}
		case yamlFloat:
			if fv, ok := r.num.(float64); ok && text == r.text {
				v = fv
			} else {
				v, _ = strconv.ParseFloat(text, 64)
			}
		default:
			if quoted && isFloat(text) {
				bad(unquote)
			} else {
				bad("")
			}
			return
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			d.errorf(r.pos, n.path, "expected a finite number, got %s", got())
			return
		}
		n.val = v
		d.checkRange(n, f, r.pos, v, text)
	case Bool:
		switch {
		case styp == yamlBool && text == r.text:
			n.val, _ = r.num.(bool)
		case styp == yamlBool:
			n.val = strings.EqualFold(text, "true")
		case quoted && (text == "true" || text == "false"):
			bad(unquote)
		default:
			bad("")
		}
	case Duration:
		if styp == yamlInt && text == "0" {
			return
		}
		v, err := time.ParseDuration(text)
		if err != nil {
			hint := ""
			if isFloat(text) {
				hint = fmt.Sprintf(" (add a unit, like `%ss`)", text)
			}
			bad(hint)
			return
		}
		if v < 0 {
			d.errorf(r.pos, n.path, "a duration cannot be negative, got %s", got())
			return
		}
		n.val = v
		d.checkRange(n, f, r.pos, v.Seconds(), text)
	case Size:
		var v int64
		var ok bool
		if styp == yamlInt {
			v, ok = intOf(r, text, styp)
		} else if styp == yamlString {
			v, ok = parseSize(text)
		}
		if !ok || v < 0 {
			bad("")
			return
		}
		n.val = v
		d.checkRange(n, f, r.pos, float64(v), text)
	}
}

// plainType classifies an interpolated value the way YAML would classify it unquoted.
func plainType(s string) scalarType {
	switch {
	case isInt(s):
		return yamlInt
	case isFloat(s):
		return yamlFloat
	case s == "true" || s == "false" || s == "True" || s == "False" || s == "TRUE" || s == "FALSE":
		return yamlBool
	}
	return yamlString
}

func isInt(s string) bool {
	_, err := strconv.ParseInt(s, 0, 64)
	return err == nil
}

func isFloat(s string) bool {
	if s == "" || strings.ContainsAny(s, "xXpP") {
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil && !strings.EqualFold(strings.TrimLeft(s, "+-"), "inf") && !strings.EqualFold(strings.TrimLeft(s, "+-"), "infinity") && !strings.EqualFold(s, "nan")
}

// intOf returns the integer a scalar holds: from the YAML parser when the text is the file's,
// from the text when it was interpolated.
func intOf(r *raw, text string, styp scalarType) (int64, bool) {
	if styp != yamlInt {
		return 0, false
	}
	if text == r.text {
		switch v := r.num.(type) {
		case int64:
			return v, true
		case uint64:
			if v <= math.MaxInt64 {
				return int64(v), true
			}
			return 0, false
		}
	}
	v, err := strconv.ParseInt(text, 0, 64)
	return v, err == nil
}

func (d *decoder) checkString(n *Node, f *Field, pos Position, s string, sensitive bool) {
	shown := quote(s)
	if sensitive {
		shown = "the value"
	}
	if len(f.Enum) > 0 && !containsString(f.Enum, s) {
		hint := ""
		if sg := suggest(s, f.Enum); sg != "" && !sensitive {
			hint = fmt.Sprintf("did you mean `%s`? ", sg)
		}
		d.errorf(pos, n.path, "invalid value %s (%sallowed: %s)", shown, hint, backquoteList(f.Enum))
	}
	if f.Pattern != "" {
		if re, err := compilePattern(f.Pattern); err == nil && !re.MatchString(s) {
			d.errorf(pos, n.path, "%s does not match the pattern `%s`", shown, f.Pattern)
		}
	}
}

func (d *decoder) checkRange(n *Node, f *Field, pos Position, v float64, text string) {
	if f.Min != nil && v < *f.Min {
		d.errorf(pos, n.path, "%s is below the minimum %s", quote(text), formatBound(f, *f.Min))
	}
	if f.Max != nil && v > *f.Max {
		d.errorf(pos, n.path, "%s is above the maximum %s", quote(text), formatBound(f, *f.Max))
	}
}

// formatBound shows Min or Max in the unit of the field's type.
func formatBound(f *Field, b float64) string {
	switch f.Type {
	case Duration:
		return formatDuration(time.Duration(b * float64(time.Second)))
	case Size:
		return formatSize(int64(b))
	}
	return strconv.FormatFloat(b, 'g', -1, 64)
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func backquoteList(list []string) string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = "`" + s + "`"
	}
	return strings.Join(out, ", ")
}

// sizeUnits are the units a Size accepts, matched without regard to case.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
}

// parseSize reads "1024", "512B", "1.5MB", "16MiB", "16 MiB".
func parseSize(s string) (int64, bool) {
	i := 0
	for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
		i++
	}
	num, unit := s[:i], strings.ToLower(strings.TrimPrefix(s[i:], " "))
	mult, ok := sizeUnits[unit]
	if num == "" || !ok {
		return 0, false
	}
	if !strings.Contains(num, ".") {
		n, err := strconv.ParseInt(num, 10, 64)
		if err != nil || n > math.MaxInt64/mult {
			return 0, false
		}
		return n * mult, true
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f*float64(mult) >= math.MaxInt64 {
		return 0, false
	}
	return int64(f * float64(mult)), true
}

// formatSize shows a byte count in the largest binary unit that divides it, else in decimal
// units, else in bytes: 16MiB, 1MB, 1000.
func formatSize(n int64) string {
	if n > 0 {
		for _, u := range []struct {
			name string
			mult int64
		}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"TB", 1e12}, {"GB", 1e9}, {"MB", 1e6}} {
			if n%u.mult == 0 {
				return strconv.FormatInt(n/u.mult, 10) + u.name
			}
		}
	}
	return strconv.FormatInt(n, 10)
}

// formatDuration is time.Duration.String without the trailing zero units: 1m, not 1m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// normalizeNum returns integers as int64, as the accessors do: the YAML parser gives uint64 for
// non-negative ones. Only integers beyond int64 stay uint64.
func normalizeNum(v any) any {
	if u, ok := v.(uint64); ok && u <= math.MaxInt64 {
		return int64(u)
	}
	return v
}

// anyValue decodes an Any value to plain Go values, interpolating its strings.
func (d *decoder) anyValue(r *raw, path string) any {
	if !d.enter(r, path) {
		return nil
	}
	defer d.leave()
	switch r.kind {
	case rawScalar:
		if r.styp != yamlString {
			return normalizeNum(r.num)
		}
		if r.literal {
			return r.text
		}
		x, err := d.expand(r.text)
		if err != nil {
			d.errs = append(d.errs, &Error{Pos: r.pos, Path: path, Err: err})
			return ""
		}
		return x.text
	case rawSeq:
		out := make([]any, len(r.items))
		for i, item := range r.items {
			out[i] = d.anyValue(item, path+"["+strconv.Itoa(i)+"]")
		}
		return out
	case rawMap:
		out := make(map[string]any, len(r.entries))
		for _, e := range r.entries {
			out[e.key] = d.anyValue(e.val, joinKey(path, e.key))
		}
		return out
	}
	return nil
}
