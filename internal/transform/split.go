package transform

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/courier-hl7/courier/hl7"
)

// SplitOptions configures a split step: by segment group (Segment) or by the repetitions of
// a field (Repetition), one or the other.
type SplitOptions struct {
	// Segment starts a part at each segment of this name: OBR gives one message per order.
	Segment string
	// Repetition is a field path (PID-3, IN1[2]-3): one message per repetition of that field,
	// each holding only its repetition there. Repetitions without a value (A~~B, ^^^, "")
	// make no message.
	Repetition string
	// Leading names segments that belong to the part of the segment they come just before:
	// ORC for OBR in an ORM or an ORU that sends ORC before each OBR.
	Leading []string
	// Suffix is appended to MSH-10 of each part, with {n} replaced by the part's number from
	// 1; empty means "-{n}". "none" keeps MSH-10 as it is.
	Suffix string
}

type splitStep struct {
	stepBase
	o     SplitOptions
	field hl7.Path // the field whose repetitions are split, in repetition mode
}

// Split returns a step that makes one message per group: the segments before the first group
// (MSH, PID, PV1...) are copied into each part, and a group is a starting segment with the
// segments after it up to the next one. A message with one group goes on unchanged. The steps
// after a split apply to each part.
//
// With Repetition instead, each part is a copy of the message whose field holds one of its
// repetitions: a PID-3 with a medical record number and an insurance number gives two
// messages, one per identifier, for a receiver that takes one identifier per message.
func Split(o SplitOptions) (Step, error) {
	if o.Repetition != "" {
		if o.Segment != "" || len(o.Leading) > 0 {
			return nil, errors.New("split by segment (segment, leading) or by repetition (repetition), not both")
		}
		p, err := hl7.ParsePath(o.Repetition)
		if err != nil {
			return nil, fmt.Errorf("repetition: %w", err)
		}
		if p.Field == 0 || p.Repetition != 0 || p.Component != 0 || p.SubComp != 0 || (p.Segment == "MSH" && p.Field <= 2) {
			return nil, fmt.Errorf("repetition %q: give a field, such as PID-3 or IN1[2]-3, without a repetition or component", o.Repetition)
		}
		if o.Suffix == "" {
			o.Suffix = "-{n}"
		}
		return &splitStep{o: o, field: p}, nil
	}
	if !isSegmentName(o.Segment) || o.Segment == "MSH" {
		return nil, fmt.Errorf("split needs the name of the segment that starts each part (segment: OBR), or a field whose repetitions to split (repetition: PID-3); got segment %q", o.Segment)
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
	if s.o.Repetition != "" {
		return s.applyReps(r, it)
	}
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
		parts[k] = part
	}
	return s.emit(r, it, parts)
}

// applyReps makes one part per non-empty repetition of the field.
func (s *splitStep) applyReps(r *run, it *item) error {
	m := it.msg
	v := m.ValueAt(s.field)
	if v.NumReps() <= 1 {
		return nil
	}
	d := m.Delimiters()
	var reps []string
	for _, rep := range v.Reps() {
		// A repetition of separators only (^^^) or the HL7 null ("") holds no value: no part.
		raw := rep.Raw()
		if len(bytes.Trim(raw, string([]byte{d.Component, d.SubComponent}))) > 0 && !rep.IsNull() {
			reps = append(reps, string(raw))
		}
	}
	if len(reps) == 0 {
		return nil
	}
	parts := make([]*hl7.Message, len(reps))
	parts[0] = m
	for k := 1; k < len(reps); k++ {
		parts[k] = m.Clone()
	}
	for k, raw := range reps {
		if err := parts[k].SetRawAt(s.field, raw); err != nil {
			return err
		}
	}
	if len(parts) == 1 {
		return nil // one repetition with a value: the message, without its empty ones
	}
	return s.emit(r, it, parts)
}

// emit numbers the parts' control IDs and puts them in the run: the first in the item's
// place, the others after it, to the same destinations.
func (s *splitStep) emit(r *run, it *item, parts []*hl7.Message) error {
	if s.o.Suffix != "none" {
		controlID := it.msg.Get("MSH-10")
		for k, part := range parts {
			id := controlID + strings.ReplaceAll(s.o.Suffix, "{n}", strconv.Itoa(k+1))
			if err := part.Set("MSH-10", id); err != nil {
				return err
			}
		}
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
