package validate

import (
	"fmt"
	"strings"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/hl7/dict"
)

// scratch is the memory one validation needs, kept in a pool so that validating a valid
// message allocates nothing.
type scratch struct {
	mt matcher
	// alt and places serve the matcher's look-ahead (choosePlace) and try preferMissing's;
	// cand holds the relaxed place being weighed, by place or by costAhead (never both at
	// once). Reused from message to message, they keep the look-ahead from allocating.
	alt    matcher
	try    matcher
	places []place
	cand   candidate
	// occ holds, once an issue needs it, the occurrence of each segment among those of its
	// name (from 1), and perName how many segments have each name (see run.occurrence).
	occ     []int32
	perName map[string]int32
	cls     [256]uint8 // the class of each byte for the message's delimiters
	// The field, repetition and component separators, each repeated in the eight bytes of a
	// word, for sepFlags.
	fieldMask, repMask, compMask uint64
	rep                          byte // the repetition separator, 0 when there is none
	// seps holds, for the field being checked, the offsets of its repetition and component
	// separators.
	seps []int32
}

func (s *scratch) reset() {
	clear(s.mt.stack[:cap(s.mt.stack)])
	s.mt.stack = s.mt.stack[:0]
	s.mt.root = nil
	clear(s.alt.stack[:cap(s.alt.stack)])
	s.alt.stack = s.alt.stack[:0]
	s.alt.root = nil
	clear(s.try.stack[:cap(s.try.stack)])
	s.try.stack = s.try.stack[:0]
	s.try.root = nil
	clear(s.places[:cap(s.places)])
	s.places = s.places[:0]
	clear(s.cand.miss[:cap(s.cand.miss)])
	s.cand = candidate{steps: s.cand.steps[:0], miss: s.cand.miss[:0]}
	s.occ = s.occ[:0]
	clear(s.perName) // its keys are the message's bytes
}

// run is one validation of one message.
type run struct {
	v    *Validator
	m    *hl7.Message
	sc   *scratch
	res  Result
	vs   *vspec
	d    hl7.Delimiters
	prof *compiledProfile
	root *snode // the structure, nil when there is none

	// The segment and field being checked.
	si       int
	seg      hl7.Segment
	segName  string
	spec     *segSpec
	fieldPos int // where the field being checked starts in the segment's bytes
	// Whether the segment holds the escape character, and the sub-component separator.
	segHasEsc, segHasSub bool

	// field2 is the raw bytes of field 2 of the segment being checked, once checked (OBX-2
	// gives the type of OBX-5); nil when it is empty or absent.
	field2 []byte

	// predField and predRep are the field and repetition whose components are being checked
	// (0 otherwise): a component's predicate reads its own repetition of that field.
	predField, predRep int

	// knownVT is the last value (OBX-2) found in the version's data types (table 0125).
	knownVT string

	// The last value type OBX-2 named, and OBX-5 as that type.
	lastVTName string
	lastVTOf   *elemSpec
	lastVT     *elemSpec

	// occNumbered is true once sc.occ and sc.perName hold the message's occurrences;
	// occReads counts the segments read to number them (once each: see occurrence).
	occNumbered bool
	occReads    int
}

func (r *run) validate() {
	m := r.m
	if m.NumSegments() == 0 {
		return
	}
	r.d = m.Delimiters()
	r.sc.setClasses(r.d)
	if len(r.v.profiles) > 0 {
		r.prof = r.v.pickProfile(m)
		if r.prof == nil {
			r.addMessage(Error, unsupportedCode(m), RuleProfile, "", fmt.Sprintf("no conformance profile applies to %s: the profiles given are for %s", messageName(m), r.v.profileNames()))
		}
	}
	r.chooseVersion()
	r.chooseStructure()
	mt := &r.sc.mt
	if r.root != nil {
		mt.reset(r.root)
	}
	for i := 0; i < m.NumSegments(); i++ {
		r.si, r.seg = i, m.Segment(i)
		r.segName = r.seg.Name()
		var node *snode
		tolerated := false
		if r.root != nil {
			node, tolerated = r.place(mt)
		}
		if tolerated {
			continue
		}
		r.spec = nil
		if node != nil && node.seg != nil {
			r.spec = node.seg
		} else if node != nil && node.kind == nSeg && !node.any {
			r.spec = r.vs.nodeSegment(node)
		} else if r.prof != nil && node == nil {
			r.spec = r.prof.segByName[r.segName]
		}
		if r.spec == nil {
			r.spec = r.vs.segment(r.segName)
		}
		if node != nil && node.x {
			r.addSegment(Error, hl7.ErrCodeSegmentSequence, RuleProfile, node.src, fmt.Sprintf("segment %d (%s) must not be sent: profile %s marks it not supported (X)", i+1, r.segName, r.prof.p.Name))
			continue
		}
		if r.spec == nil {
			if r.root == nil && !r.zTolerated() {
				r.addSegment(Warning, hl7.ErrCodeSegmentSequence, RuleStructure, "", fmt.Sprintf("segment %d (%s) is not a segment of %s: its fields are not checked", i+1, r.segName, r.vs.name))
			}
			continue
		}
		r.checkSegment()
	}
	if r.root != nil {
		for _, ms := range mt.remaining() {
			r.addMissing(ms, m.NumSegments())
		}
	}
	r.applyRules()
}

func (r *run) zTolerated() bool {
	return !r.v.opts.RejectZSegments && strings.HasPrefix(r.segName, "Z")
}

// chooseVersion picks the definitions: Options.Version, the profile's version, or MSH-12.
func (r *run) chooseVersion() {
	want := r.v.opts.Version
	from := "Options.Version"
	if want == "" && r.prof != nil {
		want, from = r.prof.version, "profile "+r.prof.p.Name
	}
	msh12 := headerText(r.m, 12, 1)
	if want == "" {
		want, from = msh12, "MSH-12"
	}
	d, fell := dict.Lookup(want)
	r.vs = r.v.spec(d)
	r.res.Version, r.res.FellBack = d.Name, fell
	if fell {
		what := fmt.Sprintf("%s is %s, which Courier has no definitions for", from, want)
		if want == "" {
			what = from + " is empty"
		}
		r.addMessage(Info, hl7.ErrCodeUnsupportedVersion, RuleVersion, "", fmt.Sprintf("%s; the message was validated against %s, the closest version that has them", what, d.Name))
	}
	if r.prof != nil && r.v.opts.Version == "" && msh12 != "" && msh12 != r.prof.version {
		r.addMessage(Warning, hl7.ErrCodeUnsupportedVersion, RuleProfile, r.prof.p.src, fmt.Sprintf("MSH-12 is %s but profile %s is for %s; the message was validated as %s", msh12, r.prof.p.Name, r.prof.version, d.Name))
	}
}

// chooseStructure picks the structure: the profile's, or the version's for MSH-9.
func (r *run) chooseStructure() {
	if r.prof != nil {
		r.root = r.prof.root
		r.res.Structure, r.res.Profile = r.prof.root.name, r.prof.p.Name
		return
	}
	typ, trig := headerText(r.m, 9, 1), headerText(r.m, 9, 2)
	named := strings.ToUpper(headerText(r.m, 9, 3))
	d := r.vs.d
	st, ok := d.StructureFor(typ, trig)
	var chosen *dict.Structure
	// MSH-9.3 is the structure the sender claims. When it only repeats type_trigger, the
	// event's structure is meant (ADT^A04^ADT_A04 is an ADT_A01 message: the source's own
	// per-event definitions drift from the structures, see docs/dict.md).
	if named != "" && (named != strings.ToUpper(typ+"_"+trig) || !ok) {
		if s := d.Structure(named); s != nil {
			chosen = s
		} else if ok {
			r.addMessage(Warning, hl7.ErrCodeTableValue, RuleStructure, "", fmt.Sprintf("MSH-9.3 names message structure %s, which %s does not define; the segments were matched against %s, the structure of %s", named, d.Name, st.Name, messageName(r.m)))
		}
	}
	if chosen == nil && ok {
		chosen = st
	}
	if chosen == nil {
		r.addMessage(Warning, unsupportedCode(r.m), RuleStructure, "", fmt.Sprintf("%s has no message structure for %s: the segments' order was not checked, only their fields", d.Name, messageName(r.m)))
		return
	}
	r.res.Structure = chosen.Name
	r.root = r.vs.structure(chosen)
}

// headerText returns component comp of MSH field n as text, without copying when it holds no
// escape sequence (the common case: MSH-9 and MSH-12 are codes). Like every string made from a
// message's bytes here, it must not outlive the validation.
func headerText(m *hl7.Message, n, comp int) string {
	v := m.Segment(0).Field(n).Rep(1).Comp(comp)
	b := firstPart(v.Raw(), m.Delimiters().SubComponent)
	if e := m.Delimiters().Escape; e != 0 && indexByte(b, e) >= 0 {
		return v.String()
	}
	return str(b)
}

// structure returns the compiled tree of s, compiling it on first use.
func (vs *vspec) structure(s *dict.Structure) *snode {
	if n, ok := vs.structs.Load(s.Name); ok {
		return n.(*snode)
	}
	n, _ := vs.structs.LoadOrStore(s.Name, compileStructure(s))
	return n.(*snode)
}

func messageName(m *hl7.Message) string {
	t := m.Type()
	if t == "" {
		t = "(no message type)"
	}
	if tr := m.Trigger(); tr != "" {
		t += "^" + tr
	}
	return t
}

// unsupportedCode returns 200 (unsupported message type) when MSH-9.1 is not in table 0076,
// 201 (unsupported event) otherwise.
func unsupportedCode(m *hl7.Message) string {
	d, _ := dict.Lookup("")
	if _, ok := d.Table("0076").Description(m.Type()); ok {
		return hl7.ErrCodeUnsupportedEvent
	}
	return hl7.ErrCodeUnsupportedMessage
}

// place matches the current segment in the structure and reports what does not fit. It
// returns the element matched (nil when the segment has no place), and whether the segment is
// a tolerated Z-segment to pass over.
func (r *run) place(mt *matcher) (*snode, bool) {
	name := r.segName
	ps := mt.strictPlaces(name, r.sc.places[:0])
	r.sc.places = ps
	if len(ps) > 0 {
		best := 0
		if len(ps) > 1 {
			best = r.choosePlace(mt, ps)
		}
		return mt.take(ps[best], name), false
	}
	inStructure := r.root.allHas(name)
	if !inStructure && r.zTolerated() {
		return nil, true
	}
	if c := &r.sc.cand; mt.relaxed(name, c) && r.preferMissing(mt, c, r.si) {
		for _, ms := range c.miss {
			r.addMissing(ms, r.si)
		}
		mt.commit(c)
		return c.matched, false
	}
	r.addUnexpected(mt, inStructure)
	return nil, false
}

// lookAhead is how many segments choosePlace reads ahead to compare two places.
const lookAhead = 32

// choosePlace returns which of several places where the current segment fits without leaving
// out a required element to take: the one from which the following segments (up to lookAhead
// of them, and the end of the message when it comes before) cost the fewest issues, each read
// as place reads it. A tie takes the first: innermost and earliest. Reading ahead tells an ORC
// that begins OML_O21's next order from one that begins the prior results of this one.
func (r *run) choosePlace(mt *matcher, ps []place) int {
	best, bestCost := 0, -1
	alt := &r.sc.alt
	for i, p := range ps {
		mt.copyTo(alt)
		alt.take(p, r.segName)
		c := r.costAhead(alt, r.si+1, bestCost)
		if bestCost < 0 || c < bestCost {
			best, bestCost = i, c
		}
		if bestCost == 0 {
			break
		}
	}
	return best
}

// costAhead returns the issues that matching the segments from index from on (up to
// lookAhead of them) costs from mt's state, which it moves; it stops counting at limit when
// limit is not negative (a reading that costs as much as another already read loses the tie).
func (r *run) costAhead(mt *matcher, from, limit int) int {
	cost := 0
	i := from
	for n := 0; n < lookAhead && (limit < 0 || cost < limit); n++ {
		name, at := r.nextMatched(i)
		if at < 0 {
			return cost + mt.remainingCount()
		}
		i = at + 1
		if mt.strict(name) != nil {
			continue
		}
		if c := &r.sc.cand; mt.relaxed(name, c) && r.preferMissing(mt, c, at) {
			cost += c.cost
			mt.commit(c)
			continue
		}
		cost++
	}
	return cost
}

// nextMatched returns the name and index of the first segment from index i on that the
// matcher reads (tolerated Z-segments are passed over), or "" and -1 at the end of the message.
func (r *run) nextMatched(i int) (string, int) {
	for ; i < r.m.NumSegments(); i++ {
		n := r.m.Segment(i).Name()
		if !r.root.allHas(n) && !r.v.opts.RejectZSegments && strings.HasPrefix(n, "Z") {
			continue
		}
		return n, i
	}
	return "", -1
}

// preferMissing decides between two readings of segment at, which fits only by leaving out
// required elements: that they are missing (c), or that the segment itself is misplaced. It
// looks one segment ahead and takes the reading that costs fewer issues over the two: the
// elements left out now, or 1 for the misplaced segment, plus what the next segment costs from
// where each reading leaves the matcher. A tie reads elements missing.
func (r *run) preferMissing(mt *matcher, c *candidate, at int) bool {
	next, _ := r.nextMatched(at + 1)
	try := &r.sc.try
	mt.copyTo(try)
	try.commit(c)
	withMissing := c.cost + try.cost(next)
	mt.copyTo(try)
	asMisplaced := 1 + try.cost(next)
	return withMissing <= asMisplaced
}

// addUnexpected reports a segment that has no place in the structure from where the matcher is.
func (r *run) addUnexpected(mt *matcher, inStructure bool) {
	name := r.segName
	cur := mt.current()
	after := "at the start of the message"
	if cur != nil {
		after = "after " + cur.label()
		if cur.kind == nGroup {
			after = "here"
		}
	}
	names, canEnd := mt.expected()
	allowed := listNames(names, 10)
	switch {
	case len(names) == 0 && canEnd:
		allowed = "no more segments"
	case canEnd:
		allowed += ", or the end of the message"
	case len(names) == 0:
		allowed = "nothing that could follow"
	}
	st := r.root.name
	var msg, rule string
	switch {
	case !inStructure && r.vs.d.Segment(name) == nil && !strings.HasPrefix(name, "Z"):
		msg = fmt.Sprintf("segment %d (%s) is not a segment of %s, nor of %s; %s the structure allows %s", r.si+1, name, r.vs.name, st, after, allowed)
		rule = RuleStructure
	case !inStructure:
		msg = fmt.Sprintf("segment %d (%s) is not part of %s; %s the structure allows %s", r.si+1, name, st, after, allowed)
		rule = RuleStructure
	case exhaustedGroup(mt, name) != nil:
		g := exhaustedGroup(mt, name)
		msg = fmt.Sprintf("segment %d (%s) would begin group %s again, which may occur only %s %s", r.si+1, name, g.name, times(g.max), g.context())
		rule = RuleCardinality
	case cur != nil && cur.kind != nGroup && cur.accepts(name) && !cur.canRepeat(mt.stack[len(mt.stack)-1].k):
		msg = fmt.Sprintf("segment %d (%s) repeats %s, which may occur only %s %s", r.si+1, name, name, times(cur.max), cur.context())
		rule = RuleCardinality
	default:
		msg = fmt.Sprintf("segment %d (%s) is out of order: %s, %s allows %s", r.si+1, name, after, st, allowed)
		if p := r.root.firstPosition(name); p != nil {
			msg += "; " + name + " belongs " + placeOf(p)
		}
		rule = RuleStructure
	}
	r.addSegment(Error, hl7.ErrCodeSegmentSequence, rule, "", msg)
}

// exhaustedGroup returns the innermost open group that name could begin again but that has
// occurred as often as it may, or nil.
func exhaustedGroup(mt *matcher, name string) *snode {
	for d := len(mt.stack) - 1; d >= 1; d-- {
		g, parent := mt.stack[d].g, mt.stack[d-1]
		if g.firstHas(name) && !g.canRepeat(parent.k) {
			return g
		}
	}
	return nil
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

// placeOf says where an element sits: "after EVN", "in group OBSERVATION, after OBR".
func placeOf(n *snode) string {
	p := n.parent
	prev := ""
	for i, c := range p.children {
		if c == n && i > 0 {
			prev = p.children[i-1].label()
		}
	}
	switch {
	case p.parent == nil && prev != "":
		return "after " + prev
	case p.parent == nil:
		return "at the start of the message"
	case prev != "":
		return "in group " + p.name + ", after " + prev
	}
	return "at the start of group " + p.name
}

// addMissing reports a required element left out before segment at (or at the end).
func (r *run) addMissing(ms missed, at int) {
	where := "at the end of the message"
	if at < r.m.NumSegments() {
		where = fmt.Sprintf("before segment %d (%s)", at+1, r.m.Segment(at).Name())
	}
	msg := describeMissing(ms, r.root.name) + ", " + where
	rule := RuleStructure
	if ms.k > 0 {
		rule = RuleCardinality
	}
	n := ms.n
	name := anchor(n)
	off := -1
	if at < r.m.NumSegments() {
		off = segmentOffset(r.m, at)
	} else {
		off = len(r.m.Text())
	}
	r.res.Issues = append(r.res.Issues, Issue{Severity: Error, Code: hl7.ErrCodeSegmentSequence, Path: hl7.Path{Segment: name}, Segment: at, Offset: off, Message: msg, Rule: rule, Source: n.src})
}

// anchor returns the segment name that stands for an element in a location: the segment
// itself, or the first required segment of a group (OBR for ORDER_OBSERVATION).
func anchor(n *snode) string {
	switch n.kind {
	case nSeg, nChoice:
		if len(n.names) > 0 {
			return n.names[0]
		}
		return ""
	}
	for _, c := range n.children {
		if !c.skippable(0) {
			return anchor(c)
		}
	}
	if len(n.first) > 0 {
		return n.first[0]
	}
	return ""
}

// segmentOffset returns the byte offset of segment i in the message's text, or -1.
func segmentOffset(m *hl7.Message, i int) int {
	s := m.Segment(i)
	raw := s.Raw()
	if f := s.Field(1); f.Present() {
		if off := f.Offset(); off >= 0 {
			if s.Name() == "MSH" || s.Name() == "FHS" || s.Name() == "BHS" {
				return off - 3
			}
			return off - len(s.Name()) - 1
		}
		return -1
	}
	// A segment with no field separator: find its bytes in the text.
	text := m.Text()
	if len(raw) == 0 || m.Modified() {
		return -1
	}
	off := cap(text) - cap(raw)
	if off >= 0 && off < len(text) && &text[off] == &raw[0] {
		return off
	}
	return -1
}

// addMessage adds an issue about the message as a whole.
func (r *run) addMessage(sev Severity, code, rule, src, msg string) {
	r.res.Issues = append(r.res.Issues, Issue{Severity: sev, Code: code, Segment: -1, Offset: -1, Message: msg, Rule: rule, Source: src})
}

// addSegment adds an issue about the current segment as a whole.
func (r *run) addSegment(sev Severity, code, rule, src, msg string) {
	p := hl7.Path{Segment: strings.Clone(r.segName), Occurrence: r.occurrence()}
	r.res.Issues = append(r.res.Issues, Issue{Severity: sev, Code: code, Path: p, Segment: r.si, Offset: segmentOffset(r.m, r.si), Message: msg, Rule: rule, Source: src})
}

// occurrence returns which segment of its name the current one is (from 1), or 0 when the
// message has only one of that name. The first call numbers every segment in one pass, so
// that reporting issues stays linear in the message's length (a feed of thousands of
// misplaced segments); a valid message, which has no issue to place, never pays for it.
func (r *run) occurrence() int {
	sc := r.sc
	if !r.occNumbered {
		r.occNumbered = true
		if sc.perName == nil {
			sc.perName = make(map[string]int32)
		}
		n := r.m.NumSegments()
		sc.occ = sc.occ[:0]
		for i := range n {
			name := r.m.Segment(i).Name()
			sc.perName[name]++
			sc.occ = append(sc.occ, sc.perName[name])
		}
		r.occReads += n
	}
	if r.si >= len(sc.occ) || sc.perName[r.segName] <= 1 {
		return 0
	}
	return int(sc.occ[r.si])
}
