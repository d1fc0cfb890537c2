package transform

import (
	"fmt"
	"strings"

	"github.com/courier-hl7/courier/hl7"
)

// tmpl is text with placeholders: {{PID-3}} is the value at that path as it is encoded,
// {{= expr}} the text an expression gives, escaped. A line that is only {{PID}} is the whole
// segment.
type tmpl struct {
	src   string
	parts []tmplPart
}

type tmplPart struct {
	lit  string
	path *target
	expr string
	prog *program
}

func parseTemplate(src string) (*tmpl, error) {
	t := &tmpl{src: src}
	rest := src
	for rest != "" {
		i := strings.Index(rest, "{{")
		if i < 0 {
			t.parts = append(t.parts, tmplPart{lit: rest})
			break
		}
		if i > 0 {
			t.parts = append(t.parts, tmplPart{lit: rest[:i]})
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			return nil, fmt.Errorf("template: {{ at byte %d is not closed with }}", len(src)-len(rest)+i+1)
		}
		inner := strings.TrimSpace(rest[i+2 : i+j])
		if strings.HasPrefix(inner, "=") {
			e := strings.TrimSpace(inner[1:])
			if e == "" {
				return nil, fmt.Errorf("template: empty expression at byte %d", len(src)-len(rest)+i+1)
			}
			t.parts = append(t.parts, tmplPart{expr: e})
		} else {
			p, err := parseTarget(inner)
			if err != nil {
				return nil, fmt.Errorf("template: %w", err)
			}
			if p.wild() {
				return nil, fmt.Errorf("template: {{%s}} names several values", inner)
			}
			t.parts = append(t.parts, tmplPart{path: &p})
		}
		rest = rest[i+j+2:]
	}
	return t, nil
}

func (t *tmpl) compile(c *compiler) error {
	for i := range t.parts {
		if t.parts[i].expr == "" {
			continue
		}
		prog, err := c.compile(t.parts[i].expr, exprAny)
		if err != nil {
			return fmt.Errorf("template: %w", err)
		}
		t.parts[i].prog = prog
	}
	return nil
}

// render fills the placeholders from it's message, encoding values with d (the delimiters of
// the text being built); seg is the segment the step works on, for seg[...] in expressions.
func (t *tmpl) render(r *run, it *item, seg int, d hl7.Delimiters) (string, error) {
	var b strings.Builder
	src := it.msg
	same := src.Delimiters() == d
	for _, p := range t.parts {
		switch {
		case p.path != nil:
			v := src.ValueAt(p.path.p)
			if same {
				b.Write(v.Raw())
			} else {
				b.WriteString(reencode(src, p.path.p, d))
			}
		case p.prog != nil:
			text, err := p.prog.evalText(r.envAt(it, seg, ""))
			if err != nil {
				return "", err
			}
			enc, err := d.EscapeText(text)
			if err != nil {
				return "", err
			}
			b.WriteString(enc)
		default:
			b.WriteString(p.lit)
		}
	}
	return b.String(), nil
}

// reencode writes the value at p in src, a message with other delimiters, with d: the
// structure is kept and every leaf is escaped again.
func reencode(src *hl7.Message, p hl7.Path, d hl7.Delimiters) string {
	v := src.ValueAt(p)
	if !v.Present() {
		return ""
	}
	var b strings.Builder
	leaf := func(x hl7.Value) {
		if s, err := d.EscapeText(x.String()); err == nil {
			b.WriteString(s)
		}
	}
	comp := func(c hl7.Value) {
		for i, s := range c.Subs() {
			if i > 1 {
				b.WriteByte(d.SubComponent)
			}
			leaf(s)
		}
	}
	rep := func(r hl7.Value) {
		for i, c := range r.Comps() {
			if i > 1 {
				b.WriteByte(d.Component)
			}
			comp(c)
		}
	}
	field := func(f hl7.Value) {
		for i, r := range f.Reps() {
			if i > 1 {
				b.WriteByte(d.Repetition)
			}
			rep(r)
		}
	}
	switch {
	case p.Field == 0:
		seg := src.Segment(segPos(src, p.Segment, p.Occurrence))
		b.WriteString(seg.Name())
		hdr := seg.Name() == "MSH" || seg.Name() == "FHS" || seg.Name() == "BHS"
		for i, f := range seg.Fields() {
			switch {
			case hdr && i == 1:
				b.WriteByte(d.Field)
			case hdr && i == 2:
				b.WriteString(d.EncodingCharacters())
			default:
				b.WriteByte(d.Field)
				field(f)
			}
		}
	case p.SubComp > 0:
		leaf(v)
	case p.Component > 0:
		comp(v)
	case p.Repetition > 0:
		rep(v)
	default:
		field(v)
	}
	return b.String()
}
