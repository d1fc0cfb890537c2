package validate

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/hl7/dict"
)

// Profile is an HL7 v2 conformance profile (a message profile) in the XML form of the HL7
// Messaging Workbench, which HAPI and the NIST tools also read: a root
// HL7v2xConformanceProfile with an HL7v2xStaticDef (or StaticDef) holding Segment and
// SegGroup elements with Usage, Min and Max, and within segments Field, Component and
// SubComponent elements with Usage, Min, Max, Datatype, Length (or MinLength/MaxLength),
// Table, ConstantValue and a Predicate. docs/validate.md says what each usage means here.
type Profile struct {
	// Name is the MetaData Name, or the file's name without its extension.
	Name string
	// Identifier is the profile's identifier, matched against MSH-21 (Message Profile
	// Identifier): the StaticDef's Identifier attribute, else the root's.
	Identifier string
	// HL7Version is the version the profile constrains ("2.5.1").
	HL7Version string
	// MsgType, EventType and MsgStructID say which messages the profile is for.
	MsgType, EventType, MsgStructID string
	// File is where the profile was read from.
	File string

	src  string // file:line of the static definition
	root *pelem
}

// pelem is a Segment or SegGroup of a profile.
type pelem struct {
	group    bool
	name     string
	longName string
	usage    usage
	min, max int
	fields   []*pfield
	children []*pelem
	src      string
}

// pfield is a Field, Component or SubComponent of a profile.
type pfield struct {
	name           string
	usage          usage
	pred           string
	min, max       int
	datatype       string
	minLen, maxLen int
	table          string
	constant       string
	hasConst       bool
	comps          []*pfield
	src            string
	line, col      int
}

// LoadProfile reads a conformance profile from a file.
func LoadProfile(file string) (*Profile, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseProfile(f, file)
}

// ParseProfile reads a conformance profile; file names it in errors. Every problem found is
// reported, each as a *FileError with its line and column.
func ParseProfile(r io.Reader, file string) (*Profile, error) {
	root, err := parseXMLTree(r, file)
	if err != nil {
		return nil, err
	}
	pp := &profileParser{file: file}
	p := pp.profile(root)
	if len(pp.errs) > 0 {
		slices.SortStableFunc(pp.errs, func(a, b error) int {
			ea, eb := a.(*FileError), b.(*FileError)
			return cmp.Or(cmp.Compare(ea.Line, eb.Line), cmp.Compare(ea.Column, eb.Column))
		})
		return nil, joinErrors(pp.errs)
	}
	return p, nil
}

type profileParser struct {
	file string
	errs []error
}

func (pp *profileParser) fail(n *xmlNode, format string, args ...any) {
	pp.errs = append(pp.errs, &FileError{File: pp.file, Line: n.line, Column: n.col, Msg: fmt.Sprintf(format, args...)})
}

func (pp *profileParser) src(n *xmlNode) string {
	return fmt.Sprintf("%s:%d", filepath.Base(pp.file), n.line)
}

func (pp *profileParser) profile(root *xmlNode) *Profile {
	switch {
	case strings.EqualFold(root.name, "HL7v2xConformanceProfile"):
	case strings.EqualFold(root.name, "ConformanceProfile"):
		pp.fail(root, "this is a NIST IGAMT profile (root ConformanceProfile), whose segments and data types live in other files; export the profile in the Messaging Workbench form (root HL7v2xConformanceProfile)")
		return nil
	default:
		pp.fail(root, "not an HL7 v2 conformance profile: the root element is %s, expected HL7v2xConformanceProfile", root.name)
		return nil
	}
	p := &Profile{File: pp.file, HL7Version: root.attr("HL7Version"), Identifier: root.attr("Identifier")}
	if md := root.child("MetaData"); md != nil {
		p.Name = md.attr("Name")
	}
	var sd *xmlNode
	for _, c := range root.children {
		if strings.EqualFold(c.name, "HL7v2xStaticDef") || strings.EqualFold(c.name, "StaticDef") {
			if sd != nil {
				pp.fail(c, "a second static definition: a profile here describes one message")
				continue
			}
			sd = c
		}
	}
	if sd == nil {
		pp.fail(root, "no HL7v2xStaticDef element: the profile defines no message")
		return nil
	}
	if p.HL7Version == "" {
		pp.fail(root, "the HL7Version attribute is missing (HL7Version=\"2.5.1\")")
	}
	p.MsgType, p.EventType, p.MsgStructID = sd.attr("MsgType"), sd.attr("EventType"), sd.attr("MsgStructID")
	if id := sd.attr("Identifier"); id != "" {
		p.Identifier = id
	}
	if p.Name == "" {
		if md := sd.child("MetaData"); md != nil {
			p.Name = md.attr("Name")
		}
	}
	if p.Name == "" {
		p.Name = strings.TrimSuffix(filepath.Base(pp.file), filepath.Ext(pp.file))
	}
	if p.MsgType == "" {
		pp.fail(sd, "the MsgType attribute is missing: which messages is the profile for (MsgType=\"ADT\")?")
	}
	p.src = pp.src(sd)
	p.root = &pelem{group: true, name: p.structName(), min: 1, max: 1, src: p.src}
	p.root.children = pp.elements(sd)
	if len(p.root.children) == 0 {
		pp.fail(sd, "the static definition has no Segment")
	} else if c := p.root.children[0]; c.group || c.name != "MSH" {
		pp.fail(sd, "the first element of the message must be the MSH segment")
	}
	return p
}

// structName is the structure the profile defines: MsgStructID, or type_event.
func (p *Profile) structName() string {
	if p.MsgStructID != "" {
		return p.MsgStructID
	}
	if p.EventType != "" {
		return p.MsgType + "_" + p.EventType
	}
	return p.MsgType
}

func (pp *profileParser) elements(parent *xmlNode) []*pelem {
	var out []*pelem
	for _, c := range parent.children {
		var e *pelem
		switch {
		case strings.EqualFold(c.name, "Segment"):
			e = &pelem{name: strings.ToUpper(c.attr("Name"))}
			if !validSegmentName(e.name) {
				pp.fail(c, "segment name %q: a segment name is three letters or digits", c.attr("Name"))
			}
			for _, f := range c.children {
				if strings.EqualFold(f.name, "Field") {
					e.fields = append(e.fields, pp.field(f, 0))
				}
			}
		case strings.EqualFold(c.name, "SegGroup"):
			e = &pelem{group: true, name: c.attr("Name")}
			if e.name == "" {
				pp.fail(c, "a SegGroup needs a Name")
			}
			e.children = pp.elements(c)
			if len(e.children) == 0 {
				pp.fail(c, "SegGroup %s has no Segment", e.name)
			}
		default:
			continue
		}
		e.longName = c.attr("LongName")
		e.src = pp.src(c)
		e.usage = pp.usage(c)
		e.min, e.max = pp.cardinality(c)
		out = append(out, e)
	}
	return out
}

func validSegmentName(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (pp *profileParser) usage(n *xmlNode) usage {
	s := n.attr("Usage")
	if i := strings.IndexByte(s, '('); i > 0 && strings.HasSuffix(s, ")") {
		s = s[:i] // C(R/O), the v2.7 conformance form: conditional
	}
	u, ok := parseUsage(s)
	if !ok {
		pp.fail(n, "Usage %q: use R, RE, O, C, CE, X, B or W", n.attr("Usage"))
	}
	return u
}

// cardinality reads Min and Max; Max may be * for no limit.
func (pp *profileParser) cardinality(n *xmlNode) (int, int) {
	lo, hi := 0, 1
	if s, ok := n.attrOK("Min"); ok && strings.TrimSpace(s) != "" {
		v, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || v < 0 {
			pp.fail(n, "Min %q is not a whole number", s)
		}
		lo = v
	}
	if s, ok := n.attrOK("Max"); ok && strings.TrimSpace(s) != "" {
		s = strings.TrimSpace(s)
		if s == "*" {
			hi = unbounded
		} else {
			v, err := strconv.Atoi(s)
			if err != nil || v < 0 {
				pp.fail(n, "Max %q is not a whole number or *", s)
			}
			hi = v
		}
	}
	if hi != unbounded && lo > hi {
		pp.fail(n, "Min %d is greater than Max %d", lo, hi)
	}
	return lo, hi
}

func (pp *profileParser) field(n *xmlNode, depth int) *pfield {
	f := &pfield{name: n.attr("Name"), datatype: strings.ToUpper(n.attr("Datatype")), table: n.attr("Table"), src: pp.src(n), line: n.line, col: n.col}
	f.usage = pp.usage(n)
	f.min, f.max = pp.cardinality(n)
	if pr := n.child("Predicate"); pr != nil {
		f.pred = strings.TrimSpace(pr.text.String())
	}
	if c, ok := n.attrOK("ConstantValue"); ok {
		f.constant, f.hasConst = c, true
	}
	num := func(attr string) int {
		s := n.attr(attr)
		if s == "" || s == "*" {
			return 0
		}
		v, err := strconv.Atoi(s)
		if err != nil || v < 0 {
			pp.fail(n, "%s %q is not a whole number", attr, s)
		}
		return v
	}
	f.maxLen = num("Length")
	if v := num("MaxLength"); v > 0 {
		f.maxLen = v
	}
	f.minLen = num("MinLength")
	if f.maxLen > 0 && f.minLen > f.maxLen {
		pp.fail(n, "MinLength %d is greater than the maximum length %d", f.minLen, f.maxLen)
	}
	child := "Component"
	if depth == 1 {
		child = "SubComponent"
	}
	if depth < 2 {
		for _, c := range n.children {
			if strings.EqualFold(c.name, child) {
				f.comps = append(f.comps, pp.field(c, depth+1))
			}
		}
	}
	return f
}

// compiledProfile is a profile ready to validate with: its structure tree with, at each
// segment, the version's definition constrained by the profile.
type compiledProfile struct {
	p         *Profile
	version   string
	vs        *vspec
	root      *snode
	segByName map[string]*segSpec // the first definition of each segment, for misplaced ones
}

// compileProfile builds a profile against its version's definitions. Data types the version
// does not define are errors, with the position of the element that names them.
func (v *Validator) compileProfile(p *Profile) (*compiledProfile, error) {
	if p.root == nil {
		return nil, fmt.Errorf("validate: profile %s was not read with LoadProfile or ParseProfile", p.Name)
	}
	d, _ := dict.Lookup(p.HL7Version)
	cp := &compiledProfile{p: p, version: p.HL7Version, vs: v.spec(d), segByName: map[string]*segSpec{}}
	pc := &profileCompiler{v: v, vs: cp.vs, file: p.File, cp: cp}
	cp.root = &snode{kind: nGroup, name: p.root.name, min: 1, max: 1, src: p.src}
	cp.root.children = pc.elements(p.root.children, cp.root)
	cp.root.finish()
	if len(pc.errs) > 0 {
		return nil, joinErrors(pc.errs)
	}
	return cp, nil
}

type profileCompiler struct {
	v    *Validator
	vs   *vspec
	file string
	cp   *compiledProfile
	errs []error
}

func (pc *profileCompiler) elements(els []*pelem, parent *snode) []*snode {
	out := make([]*snode, 0, len(els))
	for _, e := range els {
		n := &snode{parent: parent, name: e.name, min: e.min, max: e.max, src: e.src}
		if e.usage == uR && n.min == 0 {
			n.min = 1
		}
		if e.usage == uX || e.usage == uW {
			n.x, n.min, n.max = true, 0, unbounded
		}
		if e.group {
			n.kind = nGroup
			n.children = pc.elements(e.children, n)
		} else {
			n.kind = nSeg
			n.names = []string{e.name}
			n.seg = pc.segment(e)
			if n.seg != nil {
				if _, ok := pc.cp.segByName[e.name]; !ok {
					pc.cp.segByName[e.name] = n.seg
				}
			}
		}
		out = append(out, n)
	}
	return out
}

// segment returns the version's definition of the segment constrained by the profile's
// fields, or nil when the profile lists no field (the version's definition applies).
func (pc *profileCompiler) segment(e *pelem) *segSpec {
	if len(e.fields) == 0 {
		return nil
	}
	base := pc.vs.segment(e.name)
	s := &segSpec{name: e.name, desc: e.longName, src: e.src}
	n := len(e.fields)
	if base != nil {
		n = max(n, len(base.fields))
		if s.desc == "" {
			s.desc = base.desc
		}
	}
	s.fields = make([]elemSpec, n)
	for i := range n {
		var b *elemSpec
		if base != nil && i < len(base.fields) {
			b = &base.fields[i]
		}
		if i < len(e.fields) {
			s.fields[i] = pc.element(b, e.fields[i], i+1, e.name+"-"+strconv.Itoa(i+1))
		} else {
			s.fields[i] = *b
		}
	}
	s.finish()
	return s
}

// element compiles a profile's Field, Component or SubComponent over the version's
// definition b (nil when the version has none).
func (pc *profileCompiler) element(b *elemSpec, f *pfield, seq int, where string) elemSpec {
	var e elemSpec
	if b != nil {
		e = *b
		e.comps = nil
	}
	e.seq, e.src = seq, f.src
	if f.name != "" {
		e.name = f.name
	}
	e.usage = f.usage
	e.pred = nil
	if (f.usage == uC || f.usage == uCE) && f.pred != "" {
		e.pred = readPredicate(f.pred)
	}
	if f.usage == uCE {
		e.usage = uO
	}
	if f.usage == uB {
		e.usage = uO
	}
	e.minReps = f.min
	e.maxReps = f.max
	if f.max == unbounded {
		e.maxReps = 0
	}
	if f.datatype != "" {
		e.typName = f.datatype
		e.typ = pc.vs.typ(f.datatype)
		if e.typ == nil {
			pc.errs = append(pc.errs, &FileError{File: pc.file, Line: f.line, Column: f.col, Msg: fmt.Sprintf("%s: data type %s is not defined in %s", where, f.datatype, pc.vs.name)})
		}
	}
	if f.maxLen > 0 {
		e.maxLen = f.maxLen
	}
	if f.minLen > 0 {
		e.minLen = f.minLen
	}
	if f.table != "" {
		// Profiles routinely copy the standard's own table onto a field (0001 on PID-8):
		// that constrains nothing, and a miss stays what TableSeverity makes it. Only a table
		// other than the field's own is the profile's constraint (a value set is a user
		// table, whose misses are errors anyway).
		e.tableBound = b == nil || NormalizeTableID(f.table) != NormalizeTableID(b.tableID)
		e.tableID = f.table
		e.table = pc.v.table(f.table, pc.vs)
		if id := NormalizeTableID(f.table); e.table == nil && !numericID(id) {
			pc.errs = append(pc.errs, &FileError{File: pc.file, Line: f.line, Column: f.col, Msg: fmt.Sprintf("%s: table %s is not an HL7 table and no user table has that id: load it (Options.Tables, --tables)", where, f.table)})
		}
	}
	e.constant, e.hasConst = f.constant, f.hasConst
	if len(f.comps) > 0 {
		var base []elemSpec
		if e.typ != nil {
			base = e.typ.comps
		}
		n := max(len(f.comps), len(base))
		e.comps = make([]elemSpec, n)
		for i := range n {
			var cb *elemSpec
			if i < len(base) {
				cb = &base[i]
			}
			if i < len(f.comps) {
				e.comps[i] = pc.element(cb, f.comps[i], i+1, where+"."+strconv.Itoa(i+1))
			} else {
				e.comps[i] = *cb
			}
		}
		e.lastReq = lastRequired(e.comps)
	}
	pc.vs.finishLen(&e)
	e.variants = nil
	if e.typ != nil && e.typ.kind == kVaries {
		e.variants = newVariants()
	}
	return e
}

// readPredicate reads a profile's predicate as a condition, when it is written as one ("If
// PID-3.4 is valued."); free text gives nil, and the element is then optional.
func readPredicate(s string) *condition {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(s, ".")
	for _, p := range []string{"If ", "if ", "IF "} {
		s = strings.TrimPrefix(s, p)
	}
	c, err := parseCondition(s)
	if err != nil {
		return nil
	}
	return c
}

// pickProfile returns the profile for m: the one MSH-21 names, else the first for its type and
// event; nil when none applies.
func (v *Validator) pickProfile(m *hl7.Message) *compiledProfile {
	msh21 := m.Segment(0).Field(21)
	for _, rep := range msh21.Reps() {
		id := rep.Comp(1).String()
		if id == "" {
			continue
		}
		for _, cp := range v.profiles {
			if cp.p.Identifier != "" && cp.p.Identifier == id {
				return cp
			}
		}
	}
	typ, trig := headerText(m, 9, 1), headerText(m, 9, 2)
	for _, cp := range v.profiles {
		if cp.p.MsgType != typ {
			continue
		}
		if e := cp.p.EventType; e == "" || e == "*" || e == trig {
			return cp
		}
	}
	return nil
}

// profileNames lists the profiles for messages: "ADT^A01 (Acme ADT), ORU^R01 (Lab results)".
func (v *Validator) profileNames() string {
	var parts []string
	for _, cp := range v.profiles {
		t := cp.p.MsgType
		if cp.p.EventType != "" {
			t += "^" + cp.p.EventType
		}
		parts = append(parts, t+" ("+cp.p.Name+")")
	}
	return strings.Join(parts, ", ")
}
