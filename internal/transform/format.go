package transform

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/courier-hl7/courier/hl7"
)

// DateFormat converts dates and times.
type DateFormat struct {
	// From is the pattern values are read with; empty means HL7 (DTM/TS).
	From string
	// To is the pattern written; empty means HL7. Patterns: YYYY MM DD HH mm ss SSS Z ZZ,
	// MMM (Jan), hh and A (12-hour clock), [literal text], or the names HL7, DT, ISO.
	To string
	// Precision cuts (or extends with zeros) an HL7 value: year ... millisecond.
	Precision string
	// Zone converts the time to this IANA zone (America/Chicago) before writing it; an HL7
	// value then carries its offset.
	Zone string
	// InputZone is the zone of values that carry no offset; empty means UTC.
	InputZone string
}

// NameFormat standardizes a person name (XPN): case and component order.
type NameFormat struct {
	// Case is upper, lower or title (O'Brien, Smith-Jones); empty keeps it. On a whole name
	// it applies to the family, given and middle names and the prefix; the suffix, the degree
	// and the codes after them keep their case.
	Case string
	// Order lists components by their current number in their new order: [2, 1] swaps a
	// family and a given name sent the wrong way round. Unlisted components follow.
	Order []int
}

// PhoneFormat rewrites a phone number from its digits.
type PhoneFormat struct {
	// Pattern has one # per digit: "(###) ###-####". Empty writes the digits only.
	Pattern string
	// Country is a country code that is dropped when the number has it in front and one
	// digit group too many: "1" turns 12175550101 into (217) 555-0101.
	Country string
}

// IDFormat standardizes an identifier.
type IDFormat struct {
	// Strip removes these characters from the left: "0" drops leading zeros.
	Strip string
	// Pad pads on the left to this width with PadWith (default "0").
	Pad     int
	PadWith string
	// Authority writes the assigning authority (CX-4) and TypeCode the identifier type
	// (CX-5); both need a path to a whole identifier (PID-3, PID-3[*]), not to a component.
	Authority string
	TypeCode  string
}

// TextFormat cleans free text.
type TextFormat struct {
	// Case is upper, lower or title.
	Case string
	// Trim removes spaces at both ends.
	Trim bool
	// Max truncates to this many characters.
	Max int
}

// FormatOptions chooses one of the formats, and what a value that cannot be read does.
type FormatOptions struct {
	Date  *DateFormat
	Name  *NameFormat
	Phone *PhoneFormat
	ID    *IDFormat
	Text  *TextFormat
	// OnError is error (the default: the step fails), keep (the value stays as it is) or empty
	// (the value is emptied).
	OnError string
}

type formatStep struct {
	stepBase
	path target
	o    FormatOptions
	fn   func(c *formatCall) (string, bool, error) // encoded result, write?
	// date
	from, to   dateLayout
	prec       hl7.Precision
	zone, inZn *time.Location
}

// Format returns a step that standardizes the values at path: dates, names, phone numbers,
// identifiers or text.
func Format(path string, o FormatOptions) (Step, error) {
	t, err := parseTarget(path)
	if err != nil {
		return nil, err
	}
	if t.p.Field == 0 {
		return nil, errors.New("format works on fields and components, not whole segments")
	}
	n := 0
	for _, set := range []bool{o.Date != nil, o.Name != nil, o.Phone != nil, o.ID != nil, o.Text != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, errors.New("give exactly one of date, name, phone, id and text")
	}
	switch o.OnError {
	case "":
		o.OnError = "error"
	case "error", "keep", "empty":
	default:
		return nil, fmt.Errorf("on_error %q: use error, keep or empty", o.OnError)
	}
	s := &formatStep{path: t, o: o}
	switch {
	case o.Date != nil:
		err = s.initDate(*o.Date)
	case o.Name != nil:
		err = s.initName(*o.Name)
	case o.Phone != nil:
		err = s.initPhone(*o.Phone)
	case o.ID != nil:
		err = s.initID(*o.ID)
	case o.Text != nil:
		err = s.initText(*o.Text)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// formatCall is one value a format step works on. The run holds it, so that calling a step's
// function through its pointer does not allocate one per value.
type formatCall struct {
	r   *run
	m   *hl7.Message
	seg int // position of the value's segment, or -1
	p   hl7.Path
	v   hl7.Value
	// buf is scratch space that a result may be built in: it is written (and copied into the
	// message) before the next value is formatted, so reusing it saves an allocation per value.
	buf *[]byte
}

func (s *formatStep) Kind() string            { return "format" }
func (s *formatStep) compile(*compiler) error { return nil }

// FormatError reports a value a format step could not read.
type FormatError struct {
	Path string
	Msg  string
}

func (e *FormatError) Error() string {
	return e.Path + ": " + e.Msg + " (set on_error: keep or empty to let such values through)"
}

func (s *formatStep) apply(r *run, it *item) error {
	m := it.msg
	return s.path.each(m, false, func(p hl7.Path, seg int) error {
		v := at(m, seg, p)
		if !exists(v) || v.IsNull() {
			return nil
		}
		c := &r.fc
		*c = formatCall{r: r, m: m, seg: seg, p: p, v: v, buf: &r.buf}
		out, write, err := s.fn(c)
		if err != nil {
			switch s.o.OnError {
			case "keep":
				return nil
			case "empty":
				return setRaw(m, seg, p, "")
			}
			return &FormatError{Path: p.String(), Msg: err.Error()}
		}
		if !write {
			return nil
		}
		return setIfChanged(m, seg, p, out)
	})
}

var errNotLeaf = errors.New("the value has components; point the path at one (PID-13.1)")

func checkCase(c string) error {
	switch c {
	case "", "upper", "lower", "title":
		return nil
	}
	return fmt.Errorf("case %q: use upper, lower or title", c)
}

func applyCase(c, s string) string {
	switch c {
	case "upper":
		return strings.ToUpper(s)
	case "lower":
		return strings.ToLower(s)
	case "title":
		return titleCase(s)
	}
	return s
}

func (s *formatStep) initDate(f DateFormat) error {
	var err error
	if f.From == "" {
		f.From = "HL7"
	}
	if f.To == "" {
		f.To = "HL7"
	}
	if s.from, err = parseDateLayout(f.From); err != nil {
		return err
	}
	if s.to, err = parseDateLayout(f.To); err != nil {
		return err
	}
	if f.Precision != "" {
		if s.prec, err = parsePrecision(f.Precision); err != nil {
			return err
		}
	}
	if f.Zone != "" {
		if s.zone, err = time.LoadLocation(f.Zone); err != nil {
			return fmt.Errorf("zone %q: %w", f.Zone, err)
		}
	}
	s.inZn = time.UTC
	if f.InputZone != "" {
		if s.inZn, err = time.LoadLocation(f.InputZone); err != nil {
			return fmt.Errorf("input_zone %q: %w", f.InputZone, err)
		}
	}
	s.fn = func(c *formatCall) (string, bool, error) {
		var t hl7.Time
		var err error
		if s.from.hl7 {
			t, err = c.v.TimeIn(s.inZn)
		} else {
			t, err = s.from.parse(c.v.String(), s.inZn)
		}
		if err != nil {
			return "", false, err
		}
		if s.zone != nil {
			t.Time = t.Time.In(s.zone)
			t.HasOffset = true
		}
		if s.prec != hl7.PrecisionNone {
			t = withPrecision(t, s.prec)
		}
		*c.buf = s.to.appendFormat((*c.buf)[:0], t)
		out, err := escape(c.m.Delimiters(), scratchString(*c.buf))
		return out, true, err
	}
	return nil
}

func (s *formatStep) initName(f NameFormat) error {
	if err := checkCase(f.Case); err != nil {
		return err
	}
	seen := map[int]bool{}
	for _, c := range f.Order {
		if c < 1 || seen[c] {
			return fmt.Errorf("order %v: list component numbers from 1, each once", f.Order)
		}
		seen[c] = true
	}
	if s.path.p.Component != 0 && len(f.Order) > 0 {
		return errors.New("order needs a path to a whole name (PID-5, PID-5[*]), not a component")
	}
	s.fn = func(c *formatCall) (string, bool, error) {
		v, p, m := c.v, c.p, c.m
		d := m.Delimiters()
		if p.Component != 0 {
			out, err := d.EscapeText(applyCase(f.Case, v.String()))
			return out, true, err
		}
		if p.Repetition == 0 {
			v = v.Rep(1)
		}
		var comps []string
		for n, c := range v.Comps() {
			if !casedNamePart(n) {
				// Codes (name type L, A...), suffixes (III) and degrees (MD) keep their case.
				comps = append(comps, string(c.Raw()))
				continue
			}
			comps = append(comps, caseEncoded(f.Case, c, d))
		}
		if len(f.Order) > 0 {
			ordered := make([]string, 0, len(comps))
			used := map[int]bool{}
			for _, n := range f.Order {
				used[n] = true
				if n <= len(comps) {
					ordered = append(ordered, comps[n-1])
				} else {
					ordered = append(ordered, "")
				}
			}
			for i, c := range comps {
				if !used[i+1] {
					ordered = append(ordered, c)
				}
			}
			comps = ordered
		}
		for len(comps) > 0 && comps[len(comps)-1] == "" {
			comps = comps[:len(comps)-1]
		}
		out := strings.Join(comps, string(d.Component))
		// Write the repetition only, so that the field's other repetitions stay.
		q := p
		q.Repetition = max(q.Repetition, 1)
		return "", false, setRaw(m, c.seg, q, out)
	}
	return nil
}

// casedNamePart reports whether a case applies to component n of a whole name (XPN): the
// family name, given name, middle names and prefix. The suffix (JR, III), the degree (MD) and
// the codes that follow (name type L, representation, context) are kept as sent: title case
// would make III "Iii" and MD "Md", and lower case would make the name type code L "l".
func casedNamePart(n int) bool { return n <= 3 || n == 5 }

// caseEncoded applies a case to every leaf of a component, keeping its sub-components.
func caseEncoded(c string, v hl7.Value, d hl7.Delimiters) string {
	if v.NumSubs() <= 1 {
		s, _ := d.EscapeText(applyCase(c, v.String()))
		return s
	}
	parts := make([]string, 0, v.NumSubs())
	for _, sv := range v.Subs() {
		s, _ := d.EscapeText(applyCase(c, sv.String()))
		parts = append(parts, s)
	}
	return strings.Join(parts, string(d.SubComponent))
}

func (s *formatStep) initPhone(f PhoneFormat) error {
	want := strings.Count(f.Pattern, "#")
	if f.Pattern != "" && want == 0 {
		return errors.New("a phone pattern has one # per digit")
	}
	if digitsOf(f.Country) != f.Country {
		return fmt.Errorf("country %q: digits only", f.Country)
	}
	s.fn = func(c *formatCall) (string, bool, error) {
		if !c.v.IsLeaf() {
			return "", false, errNotLeaf
		}
		// The digits, then the number written with the pattern, are built in the scratch
		// buffer: b[:nd] holds the digits and the result follows them.
		b := appendDigits((*c.buf)[:0], peekText(c.v, c.m.Delimiters()))
		nd := len(b)
		if f.Pattern == "" {
			*c.buf = b
			return scratchString(b), true, nil
		}
		from := 0
		if nd == want+len(f.Country) && f.Country != "" && strings.HasPrefix(scratchString(b), f.Country) {
			from = len(f.Country)
		}
		if nd-from != want {
			return "", false, fmt.Errorf("%d digits, the pattern %q has %d", nd-from, f.Pattern, want)
		}
		k := from
		for _, r := range f.Pattern {
			if r == '#' {
				b = append(b, b[k])
				k++
				continue
			}
			b = utf8.AppendRune(b, r)
		}
		*c.buf = b
		out, err := escape(c.m.Delimiters(), scratchString(b[nd:]))
		return out, true, err
	}
	return nil
}

func (s *formatStep) initID(f IDFormat) error {
	if f.PadWith == "" {
		f.PadWith = "0"
	}
	if f.Pad < 0 || f.Pad > maxPad {
		return fmt.Errorf("pad %d: between 0 and %d", f.Pad, maxPad)
	}
	whole := f.Authority != "" || f.TypeCode != ""
	if whole && s.path.p.Component != 0 {
		return errors.New("authority and type_code need a path to a whole identifier (PID-3, PID-3[*]), not a component")
	}
	s.fn = func(c *formatCall) (string, bool, error) {
		v, p, m := c.v, c.p, c.m
		d := m.Delimiters()
		idv := v
		if p.Component == 0 {
			idv = v.Comp(1)
		}
		// The identifier is copied into the scratch buffer, not into the run's arena: nothing
		// keeps it after this call, and the buffer is not the segment's bytes, which the
		// writes below edit in place.
		*c.buf = append((*c.buf)[:0], peekText(idv, d)...)
		id := scratchString(*c.buf)
		if f.Strip != "" {
			id = strings.TrimLeft(id, f.Strip)
		}
		id, err := padLeft(id, f.Pad, f.PadWith)
		if err != nil {
			return "", false, err
		}
		enc, err := escape(d, id)
		if err != nil {
			return "", false, err
		}
		if p.Component != 0 {
			return enc, true, nil
		}
		// Write component by component so that the identifier's other components stay.
		base := p
		if base.Repetition == 0 {
			base.Repetition = 1
		}
		set := func(comp int, text string) error {
			q := base
			q.Component = comp
			e, err := escape(d, text)
			if err != nil {
				return err
			}
			return setRaw(m, c.seg, q, e)
		}
		if err := set(1, id); err != nil {
			return "", false, err
		}
		if f.Authority != "" {
			if err := set(4, f.Authority); err != nil {
				return "", false, err
			}
		}
		if f.TypeCode != "" {
			if err := set(5, f.TypeCode); err != nil {
				return "", false, err
			}
		}
		return "", false, nil
	}
	return nil
}

func (s *formatStep) initText(f TextFormat) error {
	if err := checkCase(f.Case); err != nil {
		return err
	}
	if f.Max < 0 {
		return errors.New("max cannot be negative")
	}
	s.fn = func(c *formatCall) (string, bool, error) {
		if !c.v.IsLeaf() {
			return "", false, errNotLeaf
		}
		t := applyCase(f.Case, c.v.String())
		if f.Trim {
			t = strings.TrimSpace(t)
		}
		if f.Max > 0 && utf8.RuneCountInString(t) > f.Max {
			t = string([]rune(t)[:f.Max])
		}
		out, err := escape(c.m.Delimiters(), t)
		return out, true, err
	}
	return nil
}
