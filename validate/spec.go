package validate

import (
	"strconv"
	"strings"
	"sync"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/hl7/dict"
)

// The definitions of package dict are compiled, per version and per Validator (user tables
// differ between validators), into the shapes below: a field knows its resolved data type, its
// table as a set, and which checks apply, so that validating a value is a switch and a few
// comparisons, with no map lookup by name and no allocation.

// kind is the syntax check a data type gets.
type kind uint8

const (
	kText      kind = iota // ST, TX, FT and every type without a syntax of its own: length only
	kNM                    // numeric
	kSI                    // sequence ID: a non-negative integer
	kDT                    // date
	kDTM                   // date/time
	kTM                    // time of day
	kTS                    // time stamp: a DTM, then optionally the degree of precision
	kID                    // coded value from an HL7 table
	kIS                    // coded value from a user-defined table
	kComposite             // has components (or sub-components)
	kVaries                // VARIES: OBX-5 takes its type from OBX-2
)

// usage is the optionality of an element, as the standard and conformance profiles write it.
type usage uint8

const (
	uO  usage = iota // optional
	uR               // required
	uRE              // required but may be empty (profiles): nothing to check in a message
	uC               // conditional: required when its predicate holds, else optional
	uCE              // conditional but may be empty: optional
	uX               // not supported (profiles): must not be present
	uW               // withdrawn (v2.7): should not be sent
	uB               // backward compatibility: optional
)

func parseUsage(s string) (usage, bool) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "O", "":
		return uO, true
	case "R":
		return uR, true
	case "RE":
		return uRE, true
	case "C":
		return uC, true
	case "CE":
		return uCE, true
	case "X":
		return uX, true
	case "W":
		return uW, true
	case "B":
		return uB, true
	}
	return uO, false
}

// typeSpec is a data type of one version.
type typeSpec struct {
	name  string // "XPN"
	desc  string // "Extended Person Name"
	kind  kind
	comps []elemSpec // components of a composite, in order
	// coded types (CE, CWE, CNE, CF) check component 1 against the table of the field they
	// are in, when component 3 names no other coding system.
	coded bool
	// opaque types (ED, RP) carry data that is not split below their components (edge case
	// 14: never re-tokenise encapsulated data).
	opaque bool
	// lastReq is the number of the last component that may be required (R, or C with a
	// predicate): components after it need no look when absent.
	lastReq int
}

// lastRequired returns the number of the last component of comps that may be required.
func lastRequired(comps []elemSpec) int {
	n := 0
	for i := range comps {
		if u := comps[i].usage; u == uR || u == uC && comps[i].pred != nil {
			n = i + 1
		}
	}
	return n
}

// elemSpec is a field, a component or a sub-component: where it is, what it may hold.
type elemSpec struct {
	seq     int
	name    string    // "Patient Name"
	typ     *typeSpec // nil when the version does not define the type: only length and usage are checked
	typName string
	usage   usage
	pred    *condition // the predicate of a C or CE element, when one could be read
	maxReps int        // fields: the most repetitions, 0 for no limit
	minReps int        // fields (profiles): the fewest repetitions when the field is valued
	maxLen  int        // 0: no maximum length is checked
	minLen  int
	table   *tableRef
	tableID string
	// tableBound is set when a profile binds the element to a table other than the
	// standard's for it: a code missing from it breaks the profile, and is an error whatever
	// TableSeverity says. A profile repeating the standard's table does not set it.
	tableBound bool
	// constant is the only value allowed (a profile's ConstantValue), when hasConst.
	constant string
	hasConst bool
	// comps overrides typ.comps (a profile constrains the components of this one field).
	comps []elemSpec
	// src is where a profile wrote this element, for Issue.Source; "" for the standard.
	src string
	// variants caches, for OBX-5, this element with each data type OBX-2 names.
	variants *variantCache
	// lenOnly is set when a valued element needs no check but its length (a plain ST
	// component): the hot loop checks it inline without a call.
	lenOnly bool
	// lastReq is lastRequired(comps), when comps overrides the type's components.
	lastReq int
	quick   bool
}

// finish sets the flags derived from the element's other fields; call it after any change.
func (e *elemSpec) finish() {
	e.lenOnly = (e.typ == nil || e.typ.kind == kText) && e.minLen == 0 && !e.hasConst && e.usage != uX && e.usage != uW && !e.textTable()
	// quick: a plain value of this element can be accepted by quickOK.
	e.quick = e.typ != nil && e.minLen == 0 && !e.hasConst && e.usage != uX && e.usage != uW && e.comps == nil
}

// textTable reports whether a value of a type with no syntax of its own (ST) is checked
// against a table: when a profile binds it to one. The standard's own tables are checked on
// coded types only (ID, IS, the identifier of CE/CWE/CNE, the namespace of HD).
func (e *elemSpec) textTable() bool {
	return e.table != nil && e.src != "" && (e.typ == nil || e.typ.kind == kText)
}

// variantCache holds OBX-5 as each data type OBX-2 has named. A map under a read lock rather
// than a sync.Map: looking up a string key in a map does not allocate.
type variantCache struct {
	mu sync.RWMutex
	m  map[string]*elemSpec
}

func newVariants() *variantCache { return &variantCache{m: map[string]*elemSpec{}} }

func (c *variantCache) load(name string) (*elemSpec, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.m[name]
	return e, ok
}

// store keeps e for name unless another goroutine stored one first, and returns the one kept.
// The key is copied: name may point into a message's bytes.
func (c *variantCache) store(name string, e *elemSpec) *elemSpec {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.m[name]; ok {
		return old
	}
	c.m[strings.Clone(name)] = e
	return e
}

// composite reports whether the element's values are checked component by component: a
// composite type, or a TS whose components a profile constrains.
func (e *elemSpec) composite() bool {
	return e.typ != nil && (e.typ.kind == kComposite || e.typ.kind == kTS && e.comps != nil)
}

// components returns the components that apply to the element.
func (e *elemSpec) components() []elemSpec {
	if e.comps != nil {
		return e.comps
	}
	if e.typ != nil {
		return e.typ.comps
	}
	return nil
}

// segSpec is a segment definition: the version's, or one a profile constrained.
type segSpec struct {
	name   string
	desc   string
	fields []elemSpec
	// lastAbsentCheck is the highest field number that needs a check even when absent
	// (required, conditional, constant); fields after the last one present and beyond it
	// need no look.
	lastAbsentCheck int
	src             string
}

func (s *segSpec) finish() {
	s.lastAbsentCheck = 0
	for i := range s.fields {
		f := &s.fields[i]
		if f.usage == uR || f.usage == uC || f.minReps > 0 {
			s.lastAbsentCheck = f.seq
		}
	}
}

// vspec is one version compiled for one Validator.
type vspec struct {
	d       *dict.Version
	name    string
	v       *Validator
	per25   bool   // 2.5 or later: lengths apply to primitive values, components have usage
	lenCode string // 104 (value too long) from 2.7, 102 before: older receivers do not know 104

	mu      sync.Mutex
	types   map[string]*typeSpec // compiled data types; nil value: undefined
	segs    sync.Map             // segment name → *segSpec (nil pointer: undefined)
	structs sync.Map             // structure name → *snode
}

func newVspec(d *dict.Version, v *Validator) *vspec {
	vs := &vspec{d: d, name: d.Name, v: v, types: map[string]*typeSpec{}}
	vs.per25 = versionAtLeast(d.Name, 2, 5)
	vs.lenCode = hl7.ErrCodeDataType
	if versionAtLeast(d.Name, 2, 7) {
		vs.lenCode = hl7.ErrCodeValueTooLong
	}
	return vs
}

// versionAtLeast compares a dotted version with major.minor.
func versionAtLeast(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return false
	}
	a, err1 := strconv.Atoi(parts[0])
	b, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return a > major || a == major && b >= minor
}

// typ returns the compiled data type name, or nil when the version does not define it.
func (vs *vspec) typ(name string) *typeSpec {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return vs.typeLocked(name, 0)
}

// maxTypeDepth bounds the nesting of composite types: HL7 has three levels (field,
// component, sub-component), and the bound keeps a faulty definition from recursing forever.
const maxTypeDepth = 3

func (vs *vspec) typeLocked(name string, depth int) *typeSpec {
	name = strings.ToUpper(strings.TrimSpace(name))
	if t, ok := vs.types[name]; ok {
		return t
	}
	// The name is copied: it may point into a message's bytes (OBX-2), and the cache outlives it.
	t := &typeSpec{name: strings.Clone(name), kind: primitiveKind(name)}
	dt := vs.d.DataType(name)
	switch {
	case name == "VARIES":
		t.kind = kVaries
	case dt == nil && t.kind == kText:
		// Unknown to the version. Not remembered: names come from messages (OBX-2), and the
		// cache must stay bounded.
		return nil
	}
	if dt != nil {
		t.desc = dt.Description
	}
	// TS is read as a DTM followed by its degree of precision in every version: the source
	// gives 2.3's TS one ST component, 2.5's a DTM and an ID, and the syntax is the same.
	if t.kind == kText && dt != nil && len(dt.Components) > 0 {
		t.kind = kComposite
		t.coded = name == "CE" || name == "CWE" || name == "CNE" || name == "CF"
		t.opaque = name == "ED" || name == "RP"
		vs.types[t.name] = t // before the components: a type that names itself ends here
		if depth >= maxTypeDepth {
			t.kind = kText
			return t
		}
		t.comps = make([]elemSpec, len(dt.Components))
		for i, c := range dt.Components {
			e := &t.comps[i]
			e.seq, e.name, e.typName, e.maxLen, e.tableID = c.Seq, c.Name, c.DataType, c.MaxLen, c.Table
			e.usage, _ = parseUsage(c.Usage)
			if e.usage == uC {
				e.usage = uO // the source carries no predicate to evaluate
			}
			if !vs.per25 {
				e.usage = uO // component optionality came with 2.5
			}
			e.typ = vs.typeLocked(c.DataType, depth+1)
			e.table = vs.v.table(c.Table, vs)
			vs.finishLen(e)
		}
		t.lastReq = lastRequired(t.comps)
		return t
	}
	vs.types[t.name] = t
	return t
}

// primitiveKind returns the syntax check of a primitive type name, kText when it has none.
func primitiveKind(name string) kind {
	switch name {
	case "NM":
		return kNM
	case "SI":
		return kSI
	case "DT":
		return kDT
	case "DTM":
		return kDTM
	case "TM":
		return kTM
	case "TS":
		return kTS
	case "ID":
		return kID
	case "IS":
		return kIS
	}
	return kText
}

// finishLen applies the version's length rule to e: before 2.5 a maximum length holds for the
// whole value, separators included; from 2.5 only primitive values have a normative length
// (the length of a composite is the informative sum of its parts), so composites lose theirs.
func (vs *vspec) finishLen(e *elemSpec) {
	if vs.per25 && e.typ != nil && e.typ.kind == kComposite {
		e.maxLen, e.minLen = 0, 0
	}
	e.finish()
}

// segment returns the compiled definition of segment name, or nil when the version has none.
func (vs *vspec) segment(name string) *segSpec {
	if s, ok := vs.segs.Load(name); ok {
		return s.(*segSpec)
	}
	if !validSegmentName(name) {
		return nil
	}
	ds := vs.d.Segment(name)
	var s *segSpec
	if ds != nil {
		s = &segSpec{name: ds.Name, desc: ds.Description, fields: make([]elemSpec, len(ds.Fields))}
		for i, f := range ds.Fields {
			e := &s.fields[i]
			e.seq, e.name, e.typName, e.maxReps, e.maxLen, e.tableID = f.Seq, f.Name, f.DataType, f.MaxReps, f.MaxLen, f.Table
			e.usage, _ = parseUsage(f.Usage)
			if e.usage == uC {
				e.usage = uO // the source carries no predicate to evaluate
			}
			e.typ = vs.typ(f.DataType)
			e.table = vs.v.table(f.Table, vs)
			vs.finishLen(e)
			if e.typ != nil && e.typ.kind == kVaries {
				e.variants = newVariants()
			}
		}
		s.finish()
	}
	if s == nil {
		return nil // not cached: segment names come from messages, and the cache must stay bounded
	}
	// The key is copied: name may point into the message's bytes, which the caller owns.
	actual, _ := vs.segs.LoadOrStore(strings.Clone(name), s)
	return actual.(*segSpec)
}
