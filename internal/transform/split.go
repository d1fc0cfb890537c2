package transform

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/courier-hl7/courier/hl7"
)

// SplitOptions configures a split step.
type SplitOptions struct {
	// Segment starts a part at each segment of this name: OBR gives one message per order.
	Segment string
	// Leading names segments that belong to the part of the segment they come just before:
	// ORC for OBR in an ORM or an ORU that sends ORC before each OBR.
	Leading []string
	// Suffix is appended to MSH-10 of each part, with {n} replaced by the part's number from
	// 1; empty means "-{n}". "none" keeps MSH-10 as it is.
	Suffix string
}

type splitStep struct {
	stepBase
	o SplitOptions
}

// Split returns a step that makes one message per group: the segments before the first group
// (MSH, PID, PV1...) are copied into each part, and a group is a starting segment with the
// segments after it up to the next one. A message with one group goes on unchanged. The steps
// after a split apply to each part.
func Split(o SplitOptions) (Step, error) {
	if !isSegmentName(o.Segment) || o.Segment == "MSH" {
		return nil, fmt.Errorf("split needs the name of the segment that starts each part (OBR), got %q", o.Segment)
	}
	for _, l := range o.Leading {
		if !isSegmentName(l) || l == "MSH" || l == o.Segment {
			return nil, fmt.Errorf("leading segment %q: a segment name other than MSH and %s", l, o.Segment)
		}
	}
	if o.Suffix == "" {
		o.Suffix = "-{n}"
	}
	return &splitStep{o: o}, nil
}

func (s *splitStep) Kind() string            { return "split" }
func (s *splitStep) compile(*compiler) error { return nil }

func (s *splitStep) apply(r *run, it *item) error {
	m := it.msg
	n := m.NumSegments()
	var starts []int
	for i := 1; i < n; i++ {
		if m.Segment(i).Name() != s.o.Segment {
			continue
		}
		start := i
		for start-1 > 0 && slices.Contains(s.o.Leading, m.Segment(start-1).Name()) && (len(starts) == 0 || start-1 >= starts[len(starts)-1]+1) {
			start--
		}
		starts = append(starts, start)
	}
	if len(starts) <= 1 {
		return nil
	}
	header := starts[0]
	controlID := m.Get("MSH-10")
	parts := make([]*hl7.Message, len(starts))
	for k, start := range starts {
		end := n
		if k+1 < len(starts) {
			end = starts[k+1]
		}
		part := m.Clone()
		// Remove, from the end, every segment outside the header and this group.
		for i := n - 1; i >= header; i-- {
			if i < start || i >= end {
				part.RemoveSegment(i)
			}
		}
		if s.o.Suffix != "none" {
			id := controlID + strings.ReplaceAll(s.o.Suffix, "{n}", strconv.Itoa(k+1))
			if err := part.Set("MSH-10", id); err != nil {
				return err
			}
		}
		parts[k] = part
	}
	it.msg = parts[0]
	extra := make([]*item, 0, len(parts)-1)
	for _, p := range parts[1:] {
		extra = append(extra, &item{msg: p, dests: it.dests})
	}
	r.add(it, extra...)
	return nil
}

// BuildOptions configures a build step.
type BuildOptions struct {
	// Template is the new message in ER7, one segment per line, starting with MSH. {{path}}
	// is replaced by the value at path in the message being processed, as it is encoded (a
	// line holding only {{PID}} copies the whole segment); {{= expr}} by the text of an
	// expression, escaped.
	Template string
	// Steps run on the new message after the template is filled.
	Steps []Step
	// Replace makes the new message take the place of the one it was built from; otherwise
	// it is added after it.
	Replace bool
	// Destinations routes the new message; nil sends it where the original goes.
	Destinations []string
}

type buildStep struct {
	stepBase
	o     BuildOptions
	lines []*tmpl
	d     hl7.Delimiters
}

// Build returns a step that makes a new message from a template, such as an ADT^A08 from an
// ORU's patient.
func Build(o BuildOptions) (Step, error) {
	text := strings.ReplaceAll(strings.ReplaceAll(o.Template, "\r\n", "\n"), "\r", "\n")
	var lines []*tmpl
	for _, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		t, err := parseTemplate(line)
		if err != nil {
			return nil, err
		}
		lines = append(lines, t)
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0].src, "MSH") || len(lines[0].src) < 8 {
		return nil, errors.New("the template starts with an MSH line (MSH|^~\\&|...)")
	}
	// The template's delimiters: parse the MSH line with its placeholders blanked.
	hdr := lines[0].src
	if i := strings.Index(hdr, "{{"); i >= 0 {
		hdr = hdr[:i]
	}
	pm, err := hl7.Parse([]byte(hdr))
	if err != nil {
		return nil, fmt.Errorf("template MSH: %w", err)
	}
	for _, st := range o.Steps {
		switch st.(type) {
		case *splitStep, *buildStep:
			return nil, fmt.Errorf("a build's steps cannot %s", st.Kind())
		}
	}
	return &buildStep{o: o, lines: lines, d: pm.Delimiters()}, nil
}

func (s *buildStep) Kind() string { return "build" }

func (s *buildStep) compile(c *compiler) error {
	for _, l := range s.lines {
		if err := l.compile(c); err != nil {
			return err
		}
	}
	if err := checkDestinations(c, s.o.Destinations); err != nil {
		return err
	}
	for i, st := range s.o.Steps {
		if err := compileStep(c, st, i+1); err != nil {
			return err
		}
	}
	return nil
}

func (s *buildStep) apply(r *run, it *item) error {
	var b strings.Builder
	for _, l := range s.lines {
		line, err := l.render(r, it, -1, s.d)
		if err != nil {
			return err
		}
		if line == "" {
			continue // a {{ZPI}} line for a segment the message does not have
		}
		b.WriteString(line)
		b.WriteByte('\r')
	}
	nm, err := hl7.Parse([]byte(b.String()))
	if err != nil {
		return fmt.Errorf("the built message does not parse: %w", err)
	}
	ni := &item{msg: nm, dests: it.dests}
	if s.o.Destinations != nil {
		ni.dests, ni.pinned = s.o.Destinations, true
	}
	for _, st := range s.o.Steps {
		if err := r.one(st, ni); err != nil {
			return err
		}
	}
	if s.o.Replace {
		*it = *ni
		return nil
	}
	r.add(it, ni)
	return nil
}
