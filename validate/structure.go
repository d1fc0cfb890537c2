package validate

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/courier-hl7/courier/hl7/dict"
)

// A message structure is compiled into a tree of snodes: segments, groups and choices with
// their cardinality, and for each group the segments that can start it. The matcher walks
// the message's segments through the tree; see docs/validate.md for its rules.

type nodeKind uint8

const (
	nSeg    nodeKind = iota // one segment name (or any, for the source's GenericSegment)
	nGroup                  // a named group of elements
	nChoice                 // one of several segment names per occurrence
)

// unbounded is the max of an element that may repeat without limit.
const unbounded = -1

type snode struct {
	kind     nodeKind
	name     string   // segment name, group name, or the choice's alternatives joined by |
	names    []string // segment names this element accepts (segments and choices)
	any      bool     // accepts any segment name (dict.AnySegment)
	min, max int      // occurrences in a row; max unbounded for no limit
	x        bool     // a profile's usage X: must not be present
	children []*snode
	parent   *snode
	// first holds the segment names that can start the group without skipping a required
	// element; all holds every segment name in the group.
	first, all []string
	anyFirst   bool // a GenericSegment can start the group
	anyAll     bool
	// nullable is true for a group whose elements are all optional: one empty instance
	// satisfies it.
	nullable bool
	seg      *segSpec // a profile's definition of the segment at this position; nil: the version's
	src      string   // where a profile wrote the element
	// dseg caches the version's definition of the segment, for the structures of one
	// version (compiled per vspec); set once under vspec's lock.
	dseg     *segSpec
	dsegOnce sync.Once
}

func (n *snode) accepts(name string) bool { return n.any || slices.Contains(n.names, name) }

func (n *snode) firstHas(name string) bool { return n.anyFirst || slices.Contains(n.first, name) }

func (n *snode) allHas(name string) bool { return n.anyAll || slices.Contains(n.all, name) }

// canRepeat reports whether the element may occur once more after k occurrences.
func (n *snode) canRepeat(k int) bool { return n.max == unbounded || k < n.max }

// skippable reports whether the element may be left out after k occurrences.
func (n *snode) skippable(k int) bool { return k >= n.min || n.nullable }

// label names the element for messages: "PID", "group ORDER_OBSERVATION (ORC, OBR…)".
func (n *snode) label() string {
	switch n.kind {
	case nGroup:
		if len(n.first) == 0 {
			return "group " + n.name
		}
		return "group " + n.name + " (" + listNames(n.first, 4) + ")"
	case nChoice:
		return "one of " + strings.Join(n.names, ", ")
	}
	if n.any {
		return "a segment of the master file"
	}
	return n.name
}

// context names where an element sits: "in ORDER_OBSERVATION" or "in ORU_R01".
func (n *snode) context() string {
	if n.parent == nil {
		return ""
	}
	return "in " + n.parent.name
}

// listNames writes at most max names, then an ellipsis.
func listNames(names []string, max int) string {
	if len(names) <= max {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:max], ", ") + "…"
}

// nodeSegment returns the version's definition of the segment at n, looked up once.
func (vs *vspec) nodeSegment(n *snode) *segSpec {
	n.dsegOnce.Do(func() { n.dseg = vs.segment(n.name) })
	return n.dseg
}

// compileStructure builds the tree of a dictionary structure.
func compileStructure(s *dict.Structure) *snode {
	root := &snode{kind: nGroup, name: s.Name, min: 1, max: 1}
	root.children = compileElements(s.Elements, root)
	root.finish()
	return root
}

func compileElements(els []dict.Element, parent *snode) []*snode {
	out := make([]*snode, 0, len(els))
	for _, e := range els {
		n := &snode{parent: parent, min: e.Min, max: e.Max}
		if n.max == dict.Unbounded {
			n.max = unbounded
		}
		switch {
		case e.Group != nil:
			n.kind, n.name = nGroup, e.Group.Name
			n.children = compileElements(e.Group.Elements, n)
		case e.Choice != nil:
			n.kind = nChoice
			for _, alt := range e.Choice {
				if alt.Segment != "" {
					n.names = append(n.names, alt.Segment)
				}
			}
			n.name = strings.Join(n.names, "|")
		default:
			n.kind, n.name = nSeg, e.Segment
			if e.Segment == dict.AnySegment {
				n.any = true
			} else {
				n.names = []string{e.Segment}
			}
		}
		out = append(out, n)
	}
	return out
}

// finish computes first, all and nullable, bottom-up.
func (n *snode) finish() {
	if n.kind != nGroup {
		return
	}
	n.first, n.all = nil, nil
	n.anyFirst, n.anyAll = false, false
	open := true // still reading the names that can come first
	n.nullable = true
	for _, c := range n.children {
		c.parent = n
		c.finish()
		var first, all []string
		var anyFirst, anyAll bool
		if c.kind == nGroup {
			first, all, anyFirst, anyAll = c.first, c.all, c.anyFirst, c.anyAll
		} else {
			first, all, anyFirst, anyAll = c.names, c.names, c.any, c.any
		}
		n.all = addNames(n.all, all)
		n.anyAll = n.anyAll || anyAll
		if open {
			n.first = addNames(n.first, first)
			n.anyFirst = n.anyFirst || anyFirst
		}
		if !c.skippable(0) {
			open = false
			n.nullable = false
		}
	}
}

func addNames(dst, src []string) []string {
	for _, s := range src {
		found := false
		for _, d := range dst {
			if d == s {
				found = true
				break
			}
		}
		if !found {
			dst = append(dst, s)
		}
	}
	return dst
}

// firstPosition returns the first element of the tree that accepts name, in document order.
func (n *snode) firstPosition(name string) *snode {
	for _, c := range n.children {
		if c.kind == nGroup {
			if c.allHas(name) {
				if p := c.firstPosition(name); p != nil {
					return p
				}
			}
			continue
		}
		if c.accepts(name) {
			return c
		}
	}
	return nil
}

// frame is the matcher's place in one open group: the child it is at and how many times that
// child has occurred in this instance of the group.
type frame struct {
	g *snode
	i int
	k int
}

// matcher matches a message's segments, one at a time, against a structure.
//
// It is greedy and never backtracks. For each segment it looks for the nearest place the
// segment may go from where the previous one went: at the current element again (when it
// repeats), at the following elements of the current group, at the start of a following
// group (entering it), and then, leaving the group, at the following elements of the
// enclosing groups — always the innermost and earliest place first. A place reached only by
// leaving out a required element is taken only when no place needs none, and then the one
// that leaves out the fewest; each element left out is reported missing. A segment with no
// place at all is reported unexpected and skipped, and the matcher stays where it was.
type matcher struct {
	root  *snode
	stack []frame
}

func (mt *matcher) reset(root *snode) {
	mt.root = root
	mt.stack = append(mt.stack[:0], frame{g: root})
}

// strict consumes name when a place needs no required element left out, and returns the
// element it matched; nil when there is none. It does not allocate.
func (mt *matcher) strict(name string) *snode {
	for d := len(mt.stack) - 1; d >= 0; d-- {
		f := mt.stack[d]
		kids := f.g.children
		for j := f.i; j < len(kids); j++ {
			c := kids[j]
			k := 0
			if j == f.i {
				k = f.k
			}
			if c.canRepeat(k) {
				if c.kind != nGroup && c.accepts(name) {
					mt.stack = mt.stack[:d+1]
					mt.stack[d].i, mt.stack[d].k = j, k+1
					return c
				}
				if c.kind == nGroup && c.firstHas(name) {
					mt.stack = mt.stack[:d+1]
					mt.stack[d].i, mt.stack[d].k = j, k+1
					return mt.enter(c, name)
				}
			}
			if !c.skippable(k) {
				return nil
			}
		}
	}
	return nil
}

// place is a position where a segment fits without leaving out a required element: child j
// of the group open at depth d of the stack, which has occurred k times so far.
type place struct {
	d, j, k int
	c       *snode
}

// strictPlaces appends to buf every place where name fits without leaving out a required
// element, innermost and earliest first (the first is the one strict takes), and returns it.
// HL7's grammars make this one place nearly always; OML_O21 is an exception, where an ORC
// after an OBR may begin the order's prior results (a group nested in OBSERVATION_REQUEST) or
// the next order.
func (mt *matcher) strictPlaces(name string, buf []place) []place {
	for d := len(mt.stack) - 1; d >= 0; d-- {
		f := mt.stack[d]
		kids := f.g.children
		for j := f.i; j < len(kids); j++ {
			c := kids[j]
			k := 0
			if j == f.i {
				k = f.k
			}
			if c.canRepeat(k) && (c.kind != nGroup && c.accepts(name) || c.kind == nGroup && c.firstHas(name)) {
				buf = append(buf, place{d: d, j: j, k: k, c: c})
			}
			if !c.skippable(k) {
				return buf
			}
		}
	}
	return buf
}

// take consumes name at p, one of the places strictPlaces found from the matcher's state, and
// returns the element matched.
func (mt *matcher) take(p place, name string) *snode {
	mt.stack = mt.stack[:p.d+1]
	mt.stack[p.d].i, mt.stack[p.d].k = p.j, p.k+1
	if p.c.kind == nGroup {
		return mt.enter(p.c, name)
	}
	return p.c
}

// enter opens a new instance of group g at the first place that takes name without leaving
// out a required element; g.firstHas(name) holds.
func (mt *matcher) enter(g *snode, name string) *snode {
	for depth := 0; depth < 64; depth++ {
		mt.stack = append(mt.stack, frame{g: g})
		d := len(mt.stack) - 1
		var next *snode
		for j, c := range g.children {
			if c.kind != nGroup && c.accepts(name) {
				mt.stack[d].i, mt.stack[d].k = j, 1
				return c
			}
			if c.kind == nGroup && c.firstHas(name) {
				mt.stack[d].i, mt.stack[d].k = j, 1
				next = c
				break
			}
			if !c.skippable(0) {
				break
			}
		}
		if next == nil {
			return nil // unreachable when first sets are right
		}
		g = next
	}
	return nil
}

// missed is an element left out: required, or occurring fewer times than its minimum.
type missed struct {
	n *snode
	k int // how many times it did occur
}

// candidate is a place for a segment reached by leaving out required elements. Its slices
// are reused from one search to the next (relaxed), so that reading ahead does not allocate.
type candidate struct {
	cost    int
	d, j, k int   // the frame to continue from, the child index there, its occurrences
	steps   []int // then, group by group, the child index entered
	miss    []missed
	matched *snode
}

// spot is where relaxedPlace found a place: child j of the group open at depth d of the
// stack, which has occurred k times, reached by leaving out cost required elements (on the
// way to it and, for a group, inside the new instance).
type spot struct {
	cost, d, j, k int
}

// relaxedPlace finds the place for name that leaves out the fewest required elements, without
// consuming it; ok is false when the segment has no place at all. Of places that leave out as
// many, it takes the innermost and earliest. It counts and does not allocate: relaxed fills in
// what was left out, for the reading that is taken.
func (mt *matcher) relaxedPlace(name string) (best spot, ok bool) {
	best.cost = -1
	skipped := 0
	for d := len(mt.stack) - 1; d >= 0; d-- {
		f := mt.stack[d]
		kids := f.g.children
		for j := f.i; j < len(kids); j++ {
			if best.cost >= 0 && skipped >= best.cost {
				return best, true
			}
			c := kids[j]
			k := 0
			if j == f.i {
				k = f.k
			}
			if c.canRepeat(k) {
				switch {
				case c.kind != nGroup && c.accepts(name):
					if best.cost < 0 || skipped < best.cost {
						best = spot{cost: skipped, d: d, j: j, k: k}
					}
				case c.kind == nGroup && c.allHas(name):
					if sub := descendCost(c, name, 0); sub >= 0 && (best.cost < 0 || skipped+sub < best.cost) {
						best = spot{cost: skipped + sub, d: d, j: j, k: k}
					}
				}
			}
			if !c.skippable(k) {
				skipped++
			}
		}
	}
	return best, best.cost >= 0
}

// descendCost returns how few required elements a new instance of group g must leave out for
// name to fit in it, or -1 when name has no place in g.
func descendCost(g *snode, name string, depth int) int {
	if depth > 64 {
		return -1
	}
	best, skipped := -1, 0
	for _, c := range g.children {
		if best >= 0 && skipped >= best {
			break
		}
		switch {
		case c.kind != nGroup && c.accepts(name):
			best = skipped
		case c.kind == nGroup && c.allHas(name):
			if sub := descendCost(c, name, depth+1); sub >= 0 && (best < 0 || skipped+sub < best) {
				best = skipped + sub
			}
		}
		if !c.skippable(0) {
			skipped++
		}
	}
	return best
}

// relaxed finds the place for name that leaves out the fewest required elements (see
// relaxedPlace), without consuming it, and writes it to c, reusing c's slices: the elements
// left out in the order they come, and the groups entered. ok is false when the segment has
// no place at all.
func (mt *matcher) relaxed(name string, c *candidate) (ok bool) {
	s, ok := mt.relaxedPlace(name)
	if !ok {
		return false
	}
	c.cost, c.d, c.j, c.k = s.cost, s.d, s.j, s.k
	c.steps, c.miss = c.steps[:0], c.miss[:0]
	for d := len(mt.stack) - 1; d >= s.d; d-- {
		f := mt.stack[d]
		end := len(f.g.children)
		if d == s.d {
			end = s.j
		}
		for j := f.i; j < end; j++ {
			k := 0
			if j == f.i {
				k = f.k
			}
			if e := f.g.children[j]; !e.skippable(k) {
				c.miss = append(c.miss, missed{n: e, k: k})
			}
		}
	}
	c.matched = mt.stack[s.d].g.children[s.j]
	if c.matched.kind == nGroup {
		c.matched = descendPath(c.matched, name, 0, s.cost-len(c.miss), c)
	}
	return true
}

// descendPath appends to c the steps into a new instance of group g, and the elements they
// leave out, of the place for name that descendCost found leaving out want elements: the
// first such place in document order. It returns the element matched.
func descendPath(g *snode, name string, depth, want int, c *candidate) *snode {
	skipped := 0
	for j, e := range g.children {
		switch {
		case e.kind != nGroup && e.accepts(name):
			if skipped == want {
				c.steps = append(c.steps, j)
				return e
			}
		case e.kind == nGroup && e.allHas(name):
			if sub := descendCost(e, name, depth+1); sub >= 0 && skipped+sub == want {
				c.steps = append(c.steps, j)
				return descendPath(e, name, depth+1, want-skipped, c)
			}
		}
		if !e.skippable(0) {
			c.miss = append(c.miss, missed{n: e})
			skipped++
		}
	}
	return nil // unreachable when want is what descendCost returned
}

// commit moves the matcher to a candidate found by relaxed.
func (mt *matcher) commit(c *candidate) {
	mt.stack = mt.stack[:c.d+1]
	mt.stack[c.d].i, mt.stack[c.d].k = c.j, c.k+1
	if len(c.steps) == 0 {
		return
	}
	g := mt.stack[c.d].g.children[c.j]
	for _, s := range c.steps {
		mt.stack = append(mt.stack, frame{g: g, i: s, k: 1})
		g = g.children[s]
	}
}

// copyTo makes dst a copy of the matcher, to try a reading on, reusing dst's stack.
func (mt *matcher) copyTo(dst *matcher) {
	dst.root = mt.root
	dst.stack = append(dst.stack[:0], mt.stack...)
}

// cost returns how many issues segment name would cost from here, and moves the matcher as
// reading it would: 0 when it fits, the elements left out when it fits only so, 1 when it has
// no place. For name "" (the end of the message), the required elements still missing. It
// does not allocate.
func (mt *matcher) cost(name string) int {
	if name == "" {
		return mt.remainingCount()
	}
	if mt.strict(name) != nil {
		return 0
	}
	if s, ok := mt.relaxedPlace(name); ok {
		return s.cost
	}
	return 1
}

// remaining returns the required elements not yet seen when the message ends.
func (mt *matcher) remaining() []missed {
	var out []missed
	mt.eachRemaining(func(m missed) { out = append(out, m) })
	return out
}

// remainingCount returns len(mt.remaining()) without allocating.
func (mt *matcher) remainingCount() int {
	n := 0
	mt.eachRemaining(func(missed) { n++ })
	return n
}

// eachRemaining calls f for each required element not yet seen, innermost first.
func (mt *matcher) eachRemaining(f func(missed)) {
	for d := len(mt.stack) - 1; d >= 0; d-- {
		fr := mt.stack[d]
		for j := fr.i; j < len(fr.g.children); j++ {
			c := fr.g.children[j]
			k := 0
			if j == fr.i {
				k = fr.k
			}
			if !c.skippable(k) {
				f(missed{n: c, k: k})
			}
		}
	}
}

// expected lists the segment names that could come next without leaving out a required
// element, and whether the message could end here.
func (mt *matcher) expected() (names []string, canEnd bool) {
	for d := len(mt.stack) - 1; d >= 0; d-- {
		f := mt.stack[d]
		kids := f.g.children
		for j := f.i; j < len(kids); j++ {
			c := kids[j]
			k := 0
			if j == f.i {
				k = f.k
			}
			if c.canRepeat(k) {
				if c.kind == nGroup {
					names = addNames(names, c.first)
				} else {
					names = addNames(names, c.names)
				}
			}
			if !c.skippable(k) {
				return names, false
			}
		}
	}
	return names, true
}

// current returns the element last matched, or nil before the first segment.
func (mt *matcher) current() *snode {
	f := mt.stack[len(mt.stack)-1]
	if f.k == 0 {
		return nil
	}
	return f.g.children[f.i]
}

// describeMissing says what a missed element is and where it was needed.
func describeMissing(m missed, structure string) string {
	n := m.n
	where := structure
	if n.parent != nil && n.parent.parent != nil {
		where = "group " + n.parent.name
	}
	if m.k > 0 {
		return fmt.Sprintf("%s occurs %d time%s; %s requires at least %d", n.label(), m.k, plural(m.k), where, n.min)
	}
	return fmt.Sprintf("%s is missing: %s requires it", n.label(), where)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
