package transform

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/courier-hl7/courier/hl7"
)

// Where places a segment: after or before another (PID, OBX[2], OBX[*] for each), or at the
// end when neither is given or the anchor is not in the message.
type Where struct {
	After  string
	Before string
}

type anchor struct {
	t      target
	before bool
	set    bool
}

func parseWhere(w Where) (anchor, error) {
	if w.After != "" && w.Before != "" {
		return anchor{}, errors.New("give after or before, not both")
	}
	s, before := w.After, false
	if w.Before != "" {
		s, before = w.Before, true
	}
	if s == "" {
		return anchor{}, nil
	}
	t, err := parseSegmentTarget(s)
	if err != nil {
		return anchor{}, err
	}
	return anchor{t: t, before: before, set: true}, nil
}

// parseSegmentTarget reads a segment path: ZPI, ZPI[2], ZPI[*].
func parseSegmentTarget(s string) (target, error) {
	t, err := parseTarget(s)
	if err != nil {
		return t, err
	}
	if t.p.Field != 0 {
		return t, fmt.Errorf("%s: name a segment (ZPI, ZPI[2], ZPI[*]), not a field", s)
	}
	return t, nil
}

// positions returns the positions of the segments t names, in order.
func (t target) positions(m *hl7.Message) []int {
	var out []int
	_ = t.each(m, false, func(_ hl7.Path, seg int) error {
		if seg >= 0 {
			out = append(out, seg)
		}
		return nil
	})
	return out
}

// addSegmentStep inserts a segment built from a template.
type addSegmentStep struct {
	stepBase
	text  *tmpl
	where anchor
}

// AddSegment returns a step that inserts a segment. text is the segment in the message's
// delimiters, without a terminator; it may hold {{path}} and {{= expr}} placeholders. With an
// anchor like OBX[*], one segment is added per anchor, and seg in expressions is that anchor.
func AddSegment(text string, w Where) (Step, error) {
	if strings.ContainsAny(text, "\r\n") {
		return nil, errors.New("a segment is one line")
	}
	if len(text) < 3 || !isSegmentName(strings.ToUpper(text[:3])) {
		return nil, fmt.Errorf("%q does not start with a segment name", clipText(text))
	}
	if strings.HasPrefix(text, "MSH") {
		return nil, errors.New("a message has one MSH segment")
	}
	t, err := parseTemplate(text)
	if err != nil {
		return nil, err
	}
	a, err := parseWhere(w)
	if err != nil {
		return nil, err
	}
	return &addSegmentStep{text: t, where: a}, nil
}

func (s *addSegmentStep) Kind() string              { return "segment" }
func (s *addSegmentStep) compile(c *compiler) error { return s.text.compile(c) }

func (s *addSegmentStep) apply(r *run, it *item) error {
	m := it.msg
	if !s.where.set {
		raw, err := s.text.render(r, it, -1, m.Delimiters())
		if err != nil {
			return err
		}
		return m.AppendSegment(raw)
	}
	pos := s.where.t.positions(m)
	if len(pos) == 0 {
		raw, err := s.text.render(r, it, -1, m.Delimiters())
		if err != nil {
			return err
		}
		return m.AppendSegment(raw)
	}
	// From the last anchor back, so that inserting does not move the anchors still to do.
	for i := len(pos) - 1; i >= 0; i-- {
		raw, err := s.text.render(r, it, pos[i], m.Delimiters())
		if err != nil {
			return err
		}
		at := pos[i] + 1
		if s.where.before {
			at = max(pos[i], 1)
		}
		if err := m.InsertSegment(at, raw); err != nil {
			return err
		}
	}
	return nil
}

// moveSegmentStep moves segments next to an anchor.
type moveSegmentStep struct {
	stepBase
	seg   target
	where anchor
}

// MoveSegment returns a step that moves the segments seg names (ZPI, ZPI[*]) after or before
// an anchor, keeping their order. Nothing moves when the anchor is not in the message.
func MoveSegment(seg string, w Where) (Step, error) {
	t, err := parseSegmentTarget(seg)
	if err != nil {
		return nil, err
	}
	if t.p.Segment == "MSH" {
		return nil, errors.New("MSH stays first")
	}
	a, err := parseWhere(w)
	if err != nil {
		return nil, err
	}
	if !a.set {
		return nil, errors.New("move needs after or before")
	}
	if a.t.wild() {
		return nil, errors.New("move needs one anchor, not [*]")
	}
	if a.t.p.Segment == t.p.Segment {
		return nil, errors.New("the anchor cannot be a segment that moves")
	}
	return &moveSegmentStep{seg: t, where: a}, nil
}

func (s *moveSegmentStep) Kind() string            { return "segment" }
func (s *moveSegmentStep) compile(*compiler) error { return nil }

func (s *moveSegmentStep) apply(r *run, it *item) error {
	m := it.msg
	n := len(s.seg.positions(m))
	// After: from the last, each right after the anchor. Before: from the first, each right
	// before the anchor. Either way they keep their order.
	for k := 0; k < n; k++ {
		i := k
		if !s.where.before {
			i = n - 1 - k
		}
		from := s.seg.positions(m)[i]
		a := segPos(m, s.where.t.p.Segment, s.where.t.p.Occurrence)
		if a < 0 {
			return nil
		}
		// MoveSegment counts the destination after taking the segment out.
		to := a
		switch {
		case s.where.before && from < a:
			to = a - 1
		case !s.where.before && from > a:
			to = a + 1
		}
		if err := m.MoveSegment(from, max(to, 1)); err != nil {
			return err
		}
	}
	return nil
}

// renameSegmentStep renames segments, optionally renumbering their fields.
type renameSegmentStep struct {
	stepBase
	seg    target
	to     string
	fields map[int]int
}

// RenameSegment returns a step that renames the segments seg names to name. With fields (source
// field → new field), the renamed segment holds only those fields, moved to their new numbers.
func RenameSegment(seg, name string, fields map[int]int) (Step, error) {
	t, err := parseSegmentTarget(seg)
	if err != nil {
		return nil, err
	}
	if !isSegmentName(name) {
		return nil, fmt.Errorf("%q is not a segment name (three upper-case letters or digits)", name)
	}
	if t.p.Segment == "MSH" || name == "MSH" || name == "FHS" || name == "BHS" {
		return nil, errors.New("header segments (MSH, FHS, BHS) are not renamed")
	}
	if err := checkFieldMap(fields); err != nil {
		return nil, err
	}
	return &renameSegmentStep{seg: t, to: name, fields: fields}, nil
}

func checkFieldMap(fields map[int]int) error {
	seen := map[int]int{}
	for from, to := range fields {
		if from < 1 || to < 1 {
			return fmt.Errorf("field numbers start at 1 (%d → %d)", from, to)
		}
		if prev, dup := seen[to]; dup {
			return fmt.Errorf("fields %d and %d both go to field %d", min(prev, from), max(prev, from), to)
		}
		seen[to] = from
	}
	return nil
}

func (s *renameSegmentStep) Kind() string            { return "segment" }
func (s *renameSegmentStep) compile(*compiler) error { return nil }

func (s *renameSegmentStep) apply(r *run, it *item) error {
	m := it.msg
	fs := string(m.Delimiters().Field)
	for _, pos := range s.seg.positions(m) {
		seg := m.Segment(pos)
		var raw string
		if s.fields == nil {
			raw = s.to + seg.String()[3:]
		} else {
			n := 0
			for _, to := range s.fields {
				n = max(n, to)
			}
			parts := make([]string, n+1)
			parts[0] = s.to
			for from, to := range s.fields {
				parts[to] = string(seg.Field(from).Raw())
			}
			for len(parts) > 1 && parts[len(parts)-1] == "" {
				parts = parts[:len(parts)-1]
			}
			raw = strings.Join(parts, fs)
		}
		if err := m.ReplaceSegment(pos, raw); err != nil {
			return err
		}
	}
	return nil
}

// mergeSegmentStep copies fields of one segment into another and removes it.
type mergeSegmentStep struct {
	stepBase
	seg    target
	into   target
	fields map[int]int
	keep   bool
}

// MergeSegment returns a step that copies fields of the segment seg into the segment into
// (source field → target field, as encoded), then removes seg unless keep: a sender's ZPI-1
// into PID-30. With [*] in both, segments pair by number.
func MergeSegment(seg, into string, fields map[int]int, keep bool) (Step, error) {
	t, err := parseSegmentTarget(seg)
	if err != nil {
		return nil, err
	}
	in, err := parseSegmentTarget(into)
	if err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		return nil, errors.New("merge needs fields (source field: target field)")
	}
	if err := checkFieldMap(fields); err != nil {
		return nil, err
	}
	if t.p.Segment == "MSH" {
		return nil, errors.New("MSH cannot be merged away")
	}
	if in.wild() && !t.wild() {
		return nil, errors.New("into has [*] but the merged segment does not")
	}
	return &mergeSegmentStep{seg: t, into: in, fields: fields, keep: keep}, nil
}

func (s *mergeSegmentStep) Kind() string            { return "segment" }
func (s *mergeSegmentStep) compile(*compiler) error { return nil }

func (s *mergeSegmentStep) apply(r *run, it *item) error {
	m := it.msg
	froms := slices.Sorted(mapKeys(s.fields))
	return s.seg.each(m, true, func(p hl7.Path, pos int) error {
		if pos < 0 {
			return nil
		}
		dst := s.into.bind(p)
		for _, from := range froms {
			v := m.Segment(pos).Field(from)
			if !exists(v) {
				continue
			}
			if err := m.SetRawAt(hl7.Path{Segment: dst.Segment, Occurrence: dst.Occurrence, Field: s.fields[from]}, string(v.Raw())); err != nil {
				return err
			}
		}
		if !s.keep {
			// Setting may have added the target segment before this one: find it again.
			if i := segPos(m, p.Segment, p.Occurrence); i >= 0 {
				m.RemoveSegment(i)
			}
		}
		return nil
	})
}

func mapKeys(m map[int]int) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// orderSegmentsStep sorts segments by name.
type orderSegmentsStep struct {
	stepBase
	rank map[string]int
}

// OrderSegments returns a step that puts segments in the order of names. A segment whose name
// is not listed travels with the listed segment before it (an NTE stays after its OBX); the
// order among segments of the same rank is kept. MSH stays first.
func OrderSegments(names []string) (Step, error) {
	if len(names) == 0 {
		return nil, errors.New("order needs segment names")
	}
	rank := map[string]int{}
	for i, n := range names {
		if !isSegmentName(n) {
			return nil, fmt.Errorf("%q is not a segment name", n)
		}
		if _, dup := rank[n]; dup {
			return nil, fmt.Errorf("%s is listed twice", n)
		}
		rank[n] = i + 1
	}
	if r, ok := rank["MSH"]; ok && r != 1 {
		return nil, errors.New("MSH is always first")
	}
	return &orderSegmentsStep{rank: rank}, nil
}

func (s *orderSegmentsStep) Kind() string            { return "segment" }
func (s *orderSegmentsStep) compile(*compiler) error { return nil }

func (s *orderSegmentsStep) apply(r *run, it *item) error {
	m := it.msg
	n := m.NumSegments()
	type ent struct{ orig, rank int }
	ents := make([]ent, n)
	cur := 0
	for i := range n {
		if rk, ok := s.rank[m.Segment(i).Name()]; ok {
			cur = rk
		}
		ents[i] = ent{orig: i, rank: cur}
	}
	ents[0].rank = -1
	slices.SortStableFunc(ents, func(a, b ent) int { return a.rank - b.rank })
	// at[i] is the original index of the segment now at position i.
	at := make([]int, n)
	for i := range at {
		at[i] = i
	}
	for i := 1; i < n; i++ {
		want := ents[i].orig
		j := slices.Index(at, want)
		if j == i {
			continue
		}
		if err := m.MoveSegment(j, i); err != nil {
			return err
		}
		v := at[j]
		copy(at[i+1:j+1], at[i:j])
		at[i] = v
	}
	return nil
}
