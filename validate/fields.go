package validate

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/courier-hl7/courier/hl7"
)

// loc is where, inside the current field, a value sits.
type loc struct {
	rep, comp, sub int // 0 when not inside one (rep: or the field holds a single repetition)
	rel            int // byte offset of the value in the field's bytes
}

// level is how deep a value is: a field's repetition, a component or a sub-component.
const (
	lvRep  = 0
	lvComp = 1
	lvSub  = 2
)

// str returns b as a string without copying. Message bytes are never written in place (package
// hl7 builds new slices for edits), and the strings made here do not outlive the check that
// reads them, except through functions that copy what they keep (hl7's errors clone).
func str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

func isNull(b []byte) bool { return len(b) == 2 && b[0] == '"' && b[1] == '"' }

// Byte classes of the separators, to tell which one a search found.
const (
	cNone uint8 = iota
	cField
	cRep
	cComp
)

// setClasses fills the class table and the masks for delimiters d.
func (s *scratch) setClasses(d hl7.Delimiters) {
	s.cls = [256]uint8{}
	rep := d.Repetition
	if rep == 0 {
		rep = d.Component // no repetitions: searching for the component separator twice is harmless
	}
	s.rep = d.Repetition
	s.fieldMask, s.repMask, s.compMask = swarLo*uint64(d.Field), swarLo*uint64(rep), swarLo*uint64(d.Component)
	for _, x := range []struct {
		c   byte
		cls uint8
	}{{d.Component, cComp}, {d.Repetition, cRep}, {d.Field, cField}} {
		if x.c != 0 {
			s.cls[x.c] = x.cls
		}
	}
}

// checkSegment checks the fields of the current segment against r.spec. It splits the
// segment's bytes itself, in one pass: eight bytes at a time, it flags every field,
// repetition and component separator of a word at once and visits the flags in order, so that
// finding a separator costs a few instructions rather than a search. This loop runs for every
// field of every message.
func (r *run) checkSegment() {
	spec := r.spec
	b := r.seg.Raw()
	fsep := r.d.Field
	seq, pos := 1, 4 // field seq starts at b[pos]
	if len(b) <= 3 {
		seq, pos = 1, len(b)+1 // nothing after the name: no field at all
	} else if r.segName == "MSH" || r.segName == "FHS" || r.segName == "BHS" {
		// MSH-1 is the separator and MSH-2 the delimiters, which the parser has read: the
		// fields to check start at MSH-3.
		seq, pos = 3, len(b)+1
		if i := indexByte(b[4:], fsep); i >= 0 {
			pos = 4 + i + 1
		}
	}
	// Most segments hold no escape sequence and no sub-component: one vectorised look at the
	// whole segment spares a look at each value.
	r.segHasEsc = r.d.Escape != 0 && bytes.IndexByte(b, r.d.Escape) >= 0
	r.segHasSub = r.d.SubComponent != 0 && bytes.IndexByte(b, r.d.SubComponent) >= 0
	r.field2 = nil
	if pos <= len(b) {
		rsep := r.sc.rep
		m1, m2, m3 := r.sc.fieldMask, r.sc.repMask, r.sc.compMask
		seps := r.sc.seps[:0]
		reps := 1
		for i := pos; i < len(b); i += 8 {
			var t uint64
			if n := len(b) - i; n >= 8 {
				t = sepFlags(binary.LittleEndian.Uint64(b[i:]), m1, m2, m3)
			} else if len(b) >= 8 {
				// The last bytes: the segment's last word, shifted so that its byte 0 is b[i].
				t = sepFlags(binary.LittleEndian.Uint64(b[len(b)-8:])>>(8*(8-n)), m1, m2, m3)
			} else {
				t = r.sc.flagsSlow(b[i:])
			}
			for t != 0 {
				p := i + bits.TrailingZeros64(t)>>3
				t &= t - 1
				switch b[p] {
				case fsep:
					// An empty field that need not be valued needs no look.
					if p > pos || seq > len(spec.fields) || spec.fields[seq-1].usage == uR || spec.fields[seq-1].usage == uC {
						r.sc.seps = seps
						if r.checkField(spec, seq, pos, b[pos:p], reps) {
							return
						}
					}
					seq, pos, reps, seps = seq+1, p+1, 1, seps[:0]
					continue
				case rsep:
					reps++
				}
				seps = append(seps, int32(p-pos))
			}
		}
		// The last field runs to the end of the segment.
		r.sc.seps = seps
		if r.checkField(spec, seq, pos, b[pos:], reps) {
			return
		}
		seq++
	}
	// Fields after the last separator are absent.
	r.fieldPos = len(b)
	for ; seq <= spec.lastAbsentCheck; seq++ {
		if fs := &spec.fields[seq-1]; r.isRequired(fs) {
			r.addField(Error, hl7.ErrCodeRequiredFieldMissing, RuleRequired, fs.src, seq, loc{}, fmt.Sprintf("%s (%s) is required but missing", r.pathText(seq, loc{}), fs.name))
		}
	}
}

const swarLo, swarHi, swar7F = 0x0101010101010101, 0x8080808080808080, 0x7F7F7F7F7F7F7F7F

// sepFlags returns, for the eight bytes of w (little-endian: byte 0 is the first), the high
// bit of each byte that is one of three separators, given as masks (the byte repeated eight
// times). The test is exact for every byte, not only the first match: a byte of w^m is zero
// when adding 0x7F to its low seven bits leaves its high bit clear and it had none.
func sepFlags(w, m1, m2, m3 uint64) uint64 {
	x, y, z := w^m1, w^m2, w^m3
	x = (x&swar7F + swar7F) | x
	y = (y&swar7F + swar7F) | y
	z = (z&swar7F + swar7F) | z
	return ^(x & y & z) & swarHi
}

// flagsSlow is sepFlags for a segment shorter than a word: b holds fewer than eight bytes.
func (s *scratch) flagsSlow(b []byte) uint64 {
	var t uint64
	for k, c := range b {
		if s.cls[c] != cNone {
			t |= 0x80 << (8 * k)
		}
	}
	return t
}

// indexByte is bytes.IndexByte for the short values of HL7. It compares eight bytes at a time
// in a register (SWAR), which for values of a few to a few dozen bytes costs less than the
// call and set-up of the vectorised search; long runs (encapsulated data) go to the latter.
func indexByte(b []byte, c byte) int {
	const lo, hi = 0x0101010101010101, 0x8080808080808080
	bc := lo * uint64(c)
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if i == 64 {
			if j := bytes.IndexByte(b[i:], c); j >= 0 {
				return i + j
			}
			return -1
		}
		w := binary.LittleEndian.Uint64(b[i:]) ^ bc
		// The lowest byte flagged is the first zero byte of w: the first c.
		if t := (w - lo) &^ w & hi; t != 0 {
			return i + bits.TrailingZeros64(t)/8
		}
	}
	for ; i < len(b); i++ {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// extraFields reports, once, the fields from seq on that the definition does not have:
// senders of later versions add fields, which a receiver of this version ignores.
func (r *run) extraFields(spec *segSpec, seq int) {
	last := seq
	nf := r.seg.NumFields()
	for i := seq + 1; i <= nf; i++ {
		if len(r.seg.Field(i).Raw()) > 0 {
			last = i
		}
	}
	what := r.pathText(seq, loc{}) + " is"
	if last > seq {
		what = fmt.Sprintf("%s to %s are", r.pathText(seq, loc{}), r.pathText(last, loc{}))
	}
	r.addField(Warning, hl7.ErrCodeDataType, RuleDataType, spec.src, seq, loc{}, fmt.Sprintf("%s not defined in %s, where %s has %d fields: a receiver of this version ignores them", what, r.specSource(spec), r.segName, len(spec.fields)))
}

// specSource names who defined a segment: the version, or a profile.
func (r *run) specSource(s *segSpec) string {
	if s.src != "" && r.prof != nil {
		return "profile " + r.prof.p.Name
	}
	return r.vs.name
}

// by names who set a limit on an element, for messages: "2.5.1" or "profile NAME".
func (r *run) by(e *elemSpec) string {
	if e.src != "" && r.prof != nil {
		return "profile " + r.prof.p.Name
	}
	return r.vs.name
}

// isRequired reports whether an element must be valued: usage R, or C whose predicate holds.
func (r *run) isRequired(e *elemSpec) bool {
	switch e.usage {
	case uR:
		return true
	case uC:
		return e.pred != nil && r.evalCondition(e.pred, r.seg, r.segName)
	}
	return false
}

// checkField checks field seq of the segment, which starts at pos in the segment's bytes and
// holds raw, with reps repetitions and its inner separators in r.sc.seps. It reports true
// when the fields from seq on are beyond the segment's definition, and so need no check.
func (r *run) checkField(spec *segSpec, seq, pos int, raw []byte, reps int) bool {
	r.fieldPos = pos
	if seq > len(spec.fields) {
		if len(raw) > 0 {
			r.extraFields(spec, seq)
			return true
		}
		return false
	}
	fs := &spec.fields[seq-1]
	// A field of separators only (~, ^^^) holds no value: it reads as empty, as trailing
	// separators do (edge case 5), and its empty repetitions need no look.
	if len(raw) == 0 || r.blank(raw) {
		if (fs.usage == uR || fs.usage == uC) && r.isRequired(fs) {
			r.addField(Error, hl7.ErrCodeRequiredFieldMissing, RuleRequired, fs.src, seq, loc{}, fmt.Sprintf("%s (%s) is required but empty", r.pathText(seq, loc{}), fs.name))
		}
		return false
	}
	if seq == 2 {
		r.field2 = raw // OBX-2, the type of OBX-5
	}
	switch fs.usage {
	case uX:
		r.addField(Error, hl7.ErrCodeDataType, RuleProfile, fs.src, seq, loc{}, fmt.Sprintf("%s (%s) must not be valued: %s marks it not supported (X)", r.pathText(seq, loc{}), fs.name, r.by(fs)))
		return false
	case uW:
		r.addField(Warning, hl7.ErrCodeDataType, RuleDataType, fs.src, seq, loc{}, fmt.Sprintf("%s (%s) is withdrawn in %s and should not be sent", r.pathText(seq, loc{}), fs.name, r.by(fs)))
		return false
	}
	if isNull(raw) {
		return false // the HL7 null: "delete the value", valid for any field
	}
	if fs.maxReps > 0 && reps > fs.maxReps {
		r.addField(Error, hl7.ErrCodeDataType, RuleCardinality, fs.src, seq, loc{}, fmt.Sprintf("%s (%s) has %d repetitions; %s allows %s", r.pathText(seq, loc{}), fs.name, reps, r.by(fs), atMost(fs.maxReps)))
	}
	if fs.minReps > 1 && reps < fs.minReps {
		r.addField(Error, hl7.ErrCodeRequiredFieldMissing, RuleCardinality, fs.src, seq, loc{}, fmt.Sprintf("%s (%s) has %d repetition%s; %s requires at least %d", r.pathText(seq, loc{}), fs.name, reps, plural(reps), r.by(fs), fs.minReps))
	}
	e, t := fs, fs.typ
	if t != nil && t.kind == kVaries {
		if e = r.varies(fs, seq); e == nil {
			return false
		}
		t = e.typ
	}
	if e.composite() {
		r.walkComposite(e, t, raw, reps, seq)
		return false
	}
	if reps == 1 {
		if len(r.sc.seps) == 0 && r.quickOK(e, raw) {
			return false
		}
		r.checkValue(e, t, raw, lvRep, seq, loc{})
		return false
	}
	rs := r.d.Repetition
	start := 0
	for rep := 1; ; rep++ {
		end := len(raw)
		if i := indexByte(raw[start:], rs); i >= 0 {
			end = start + i
		}
		if b := raw[start:end]; len(b) > 0 {
			r.checkValue(e, t, b, lvRep, seq, loc{rep: rep, rel: start})
		}
		if end == len(raw) {
			return false
		}
		start = end + 1
	}
}

// walkComposite checks the repetitions of a composite field in one pass over its bytes,
// component by component.
func (r *run) walkComposite(e *elemSpec, t *typeSpec, raw []byte, reps, seq int) {
	comps := e.components()
	next := lvComp
	if t.opaque {
		next = lvSub // ED and RP: components are not split further
	}
	cls := &r.sc.cls
	rep, j := 1, 1
	repStart, compStart := 0, 0
	var first, system []byte
	seps := r.sc.seps // where checkSegment saw the repetitions and components end
	// What endComposite checks at the end of a repetition: the whole value's length or
	// constant, required components after the last one sent, the table of the first.
	lastReq := t.lastReq
	if e.comps != nil {
		lastReq = e.lastReq
	}
	needEnd := e.maxLen > 0 || e.minLen > 0 || e.hasConst || e.table != nil
	r.predField, r.predRep = seq, 1
	for k := 0; ; k++ {
		i, c := len(raw), cRep // the end of the field ends the repetition
		if k < len(seps) {
			i = int(seps[k])
			c = cls[raw[i]]
		}
		// Component j of the repetition ends at i.
		part := raw[compStart:i]
		switch j {
		case 1:
			first = part
		case 3:
			system = part
		}
		if j <= len(comps) {
			ce := &comps[j-1]
			// An empty component needs a look only when it may be required; a valued one
			// only when it is more than text within its length and not plainly right.
			if len(part) == 0 && (ce.usage == uR || ce.usage == uC) && !r.blank(raw[repStart:repEnd(raw, repStart, r.sc.rep)]) ||
				len(part) > 0 && (!ce.lenOnly || ce.maxLen > 0 && len(part) > ce.maxLen) && (next != lvComp || !r.quickOK(ce, part)) {
				lc := loc{comp: j, rel: compStart}
				if reps > 1 {
					lc.rep = rep
				}
				r.component(ce, part, next, seq, lc)
			}
		}
		if c == cComp {
			j, compStart = j+1, i+1
			continue
		}
		// The repetition ends at i.
		// An empty repetition (~~, or ^^^ between two) holds no value whose parts to check.
		if b := raw[repStart:i]; len(b) > 0 && (needEnd || j < lastReq) && !r.blank(b) {
			lc := loc{rel: repStart}
			if reps > 1 {
				lc.rep = rep
			}
			r.endComposite(e, t, comps, j, b, first, system, lvRep, seq, lc)
		}
		if i >= len(raw) {
			r.predField, r.predRep = 0, 0
			return
		}
		rep, j = rep+1, 1
		r.predRep = rep
		repStart, compStart = i+1, i+1
		first, system = nil, nil
	}
}

func atMost(n int) string {
	if n == 1 {
		return "only one"
	}
	return fmt.Sprintf("at most %d", n)
}

// varies returns OBX-5 as the type OBX-2 names, or nil (after reporting why) when OBX-2 does
// not name one. Other VARIES fields (MFE-4, QPD-3...) take their type from elsewhere and are
// not checked.
func (r *run) varies(fs *elemSpec, seq int) *elemSpec {
	if r.segName != "OBX" || seq != 5 {
		return nil
	}
	code := firstPart(firstPart(r.field2, r.d.Repetition), r.d.Component)
	if r.lastVT != nil && r.lastVTOf == fs && string(code) == r.lastVTName {
		return r.lastVT // OBX segments of a message mostly share their value type
	}
	name := strings.TrimSpace(r.text(code, lvSub))
	field5 := r.fieldPos
	defer func() { r.fieldPos = field5 }()
	r.fieldPos = fieldStart(r.seg, 2)
	switch {
	case name == "":
		r.addField(Error, hl7.ErrCodeRequiredFieldMissing, RuleRequired, "", 2, loc{}, fmt.Sprintf("%s (Value Type) is empty, so the data type of %s (%s) is unknown: OBX-2 is required when OBX-5 is valued", r.pathText(2, loc{}), r.pathText(5, loc{}), fs.name))
		return nil
	case fs.variants == nil:
		return nil
	}
	ev := r.variant(fs, name)
	if ev == nil {
		r.badValueType(fs, name)
		return nil
	}
	if string(code) == name {
		r.lastVT, r.lastVTOf, r.lastVTName = ev, fs, name
	}
	return ev
}

// variant returns OBX-5 (fs) as type name, or nil when the version has no such type.
func (r *run) variant(fs *elemSpec, name string) *elemSpec {
	if e, ok := fs.variants.load(name); ok {
		return e
	}
	ev := *fs
	ev.variants = nil
	ev.typ = r.vs.typ(name)
	ev.typName = name
	if ev.typ != nil && ev.typ.kind == kVaries {
		ev.typ = nil
	}
	r.vs.finishLen(&ev)
	if ev.typ == nil {
		return nil // not cached: OBX-2 may hold anything, and the cache must stay bounded
	}
	return fs.variants.store(name, &ev)
}

func (r *run) badValueType(fs *elemSpec, name string) {
	r.addField(Error, hl7.ErrCodeDataType, RuleDataType, "", 2, loc{}, fmt.Sprintf("%s (Value Type) %s is not a data type of %s, so %s (%s) cannot be checked", r.pathText(2, loc{}), quote(name), r.vs.name, r.pathText(5, loc{}), fs.name))
}

// checkValue checks one non-empty value: a repetition, a component or a sub-component.
func (r *run) checkValue(e *elemSpec, t *typeSpec, b []byte, lv int, seq int, lc loc) {
	if lv != lvRep || !e.composite() {
		r.checkLengthConst(e, b, lv, seq, lc) // a composite repetition: in endComposite
	}
	if isNull(b) {
		return
	}
	if e.textTable() {
		r.checkCode(e, e.table, r.text(b, lv), seq, lc)
		return
	}
	if t == nil {
		return
	}
	switch t.kind {
	case kText, kVaries:
		return
	case kComposite:
		if lv < lvSub {
			r.checkComposite(e, t, b, lv, seq, lc)
		}
		return
	case kTS:
		if e.comps != nil && lv < lvSub {
			r.checkComposite(e, t, b, lv, seq, lc) // a profile constrains its components
			return
		}
		r.checkTS(e, b, lv, seq, lc)
		return
	}
	r.checkLeaf(e, t, b, lv, seq, lc)
}

// checkLengthConst checks the length of a value, and that it is the profile's constant.
func (r *run) checkLengthConst(e *elemSpec, b []byte, lv int, seq int, lc loc) {
	if e.maxLen > 0 && len(b) > e.maxLen {
		if n := r.length(b); n > e.maxLen {
			r.addField(r.v.lenSev, r.vs.lenCode, RuleLength, e.src, seq, lc, fmt.Sprintf("%s (%s) is %d characters long; %s allows at most %d", r.pathText(seq, lc), e.name, n, r.by(e), e.maxLen))
		}
	}
	if e.minLen > 0 && len(b) < e.minLen*utf8.UTFMax {
		if n := r.length(b); n < e.minLen {
			r.addField(Error, hl7.ErrCodeDataType, RuleLength, e.src, seq, lc, fmt.Sprintf("%s (%s) is %d character%s long; %s requires at least %d", r.pathText(seq, lc), e.name, n, plural(n), r.by(e), e.minLen))
		}
	}
	if e.hasConst {
		if got := r.text(b, lv); got != e.constant {
			r.addField(Error, hl7.ErrCodeTableValue, RuleProfile, e.src, seq, lc, fmt.Sprintf("%s (%s) is %s; %s requires %s", r.pathText(seq, lc), e.name, quote(got), r.by(e), quote(e.constant)))
		}
	}
}

// length returns the length of a value in characters, as the receiver stores it: escape
// sequences count as what they stand for (\F\ is one character), separators as one each.
func (r *run) length(b []byte) int {
	if r.d.Escape != 0 && indexByte(b, r.d.Escape) >= 0 {
		return utf8.RuneCountInString(r.d.UnescapeText(string(b)))
	}
	return utf8.RuneCount(b)
}

// checkLeaf checks a primitive value with a syntax or a table: its first leaf.
func (r *run) checkLeaf(e *elemSpec, t *typeSpec, b []byte, lv int, seq int, lc loc) {
	leaf := b
	if lv < lvSub {
		leaf = firstPart(b, r.lowerSep(lv))
	}
	if len(leaf) == 0 {
		return
	}
	s := r.text(leaf, lvSub)
	var err error
	switch t.kind {
	case kNM:
		if !fastNM(s) {
			_, err = hl7.ParseNumber(s)
		}
	case kSI:
		if !allDigits(s) {
			r.addField(Error, hl7.ErrCodeDataType, RuleDataType, e.src, seq, lc, fmt.Sprintf("%s (%s): %s is not a sequence ID (SI): expected a non-negative whole number", r.pathText(seq, lc), e.name, quote(s)))
		}
		return
	case kDT:
		if !fastDTM(s, true) {
			_, err = hl7.ParseDate(s)
		}
	case kDTM:
		if !fastDTM(s, false) {
			_, err = hl7.ParseTime(s)
		}
	case kTM:
		_, err = hl7.ParseTimeOfDay(s)
	case kID, kIS:
		r.checkCode(e, e.table, s, seq, lc)
		return
	}
	if err != nil {
		r.addDataTypeError(e, seq, lc, err)
	}
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// quickOK reports whether a value with no delimiter in it (a whole field, or a component) is
// certainly valid for e, at the cost of a comparison or a lookup: the common case of a code
// found in its table, a plain number or date. False means "look properly", not "invalid".
func (r *run) quickOK(e *elemSpec, b []byte) bool {
	if !e.quick || r.segHasEsc || r.segHasSub || e.maxLen > 0 && len(b) > e.maxLen {
		return false
	}
	s := str(b)
	switch e.typ.kind {
	case kText:
		return !e.textTable()
	case kID, kIS:
		// A code its table has is right whatever the table (checkCode reports only misses).
		t := e.table
		switch {
		case t == nil:
			return true
		case t.special == tsValueType:
			// OBX-2: the segments of a message mostly name one type, which is looked up by
			// name in the version's definitions once.
			if s == r.knownVT {
				return true
			}
			if t.has(s, r.vs) {
				r.knownVT = s
				return true
			}
			return false
		}
		return t.has(s, r.vs)
	case kComposite:
		return r.quickComposite(e, b)
	case kNM:
		return fastNM(s)
	case kSI:
		return allDigits(s)
	case kDT:
		return fastDTM(s, true)
	case kDTM, kTS:
		return fastDTM(s, false)
	}
	return false
}

// quickComposite is quickOK for a composite component (an XAD's SAD, an XCN's FN) holding a
// single sub-component: b has no delimiter, and the segment no sub-component separator. It
// answers for the few types where the whole check is that of the first sub-component: no
// sub-component after the first may be required, and no table applies to the first.
func (r *run) quickComposite(e *elemSpec, b []byte) bool {
	t := e.typ
	if len(t.comps) == 0 || t.lastReq > 1 || t.opaque || e.table != nil && (t.coded || t.name == "HD") {
		return false
	}
	if isNull(b) {
		return true
	}
	c := &t.comps[0]
	if c.lenOnly {
		return c.maxLen == 0 || len(b) <= c.maxLen
	}
	return c.quick && c.typ.kind != kComposite && r.quickOK(c, b)
}

// checkTS checks a TS: a DTM, then optionally TS.2, the degree of precision (v2.3 to v2.5).
func (r *run) checkTS(e *elemSpec, b []byte, lv int, seq int, lc loc) {
	var dtm, degree []byte
	dtm = b
	if lv < lvSub {
		sep := r.lowerSep(lv)
		dtm = firstPart(b, sep)
		if len(dtm) < len(b) {
			degree = firstPart(b[len(dtm)+1:], sep)
		}
	}
	if len(dtm) > 0 && !isNull(dtm) {
		if s := r.text(dtm, lvSub); fastDTM(s, false) {
		} else if _, err := hl7.ParseTime(s); err != nil {
			r.addDataTypeError(e, seq, lc, err)
			return
		}
	}
	if len(degree) > 0 && !isNull(degree) {
		switch str(degree) {
		case "Y", "L", "D", "H", "M", "S":
		default:
			r.addField(Error, hl7.ErrCodeDataType, RuleDataType, e.src, seq, lc, fmt.Sprintf("%s (%s): degree of precision %s is not one of Y, L, D, H, M, S", r.pathText(seq, lc), e.name, quote(str(degree))))
		}
	}
}

// addDataTypeError reports an error from hl7's parsers, which says what is wrong and shows
// the form expected.
func (r *run) addDataTypeError(e *elemSpec, seq int, lc loc, err error) {
	text := err.Error()
	var dte *hl7.DataTypeError
	if errors.As(err, &dte) {
		text = strings.TrimPrefix(text, "hl7: ")
	}
	r.addField(Error, hl7.ErrCodeDataType, RuleDataType, e.src, seq, lc, fmt.Sprintf("%s (%s): %s", r.pathText(seq, lc), e.name, text))
}

// checkCode checks a coded value against its table.
func (r *run) checkCode(e *elemSpec, t *tableRef, code string, seq int, lc loc) {
	if t == nil || t.special == tsValueType && r.segName == "OBX" && seq == 2 {
		return // OBX-5 reports a value type it cannot read, as an error
	}
	if t.has(code, r.vs) {
		return
	}
	if t.id == "0104" && r.res.FellBack {
		return // the version is already reported as unknown
	}
	sev := r.v.tableSev
	var binds string
	switch {
	case t.user:
		sev = Error
	case e.tableBound && r.prof != nil:
		// The profile says the value must come from this HL7 table: not following it is an
		// error, as for any other constraint of the profile.
		sev = Error
		binds = ", which " + r.by(e) + " requires"
	}
	r.addField(sev, hl7.ErrCodeTableValue, RuleTable, e.src, seq, lc, fmt.Sprintf("%s (%s): %s is not in %s%s", r.pathText(seq, lc), e.name, quote(code), t.describe(), binds))
}

// checkComposite checks the components (or sub-components) of a composite value.
func (r *run) checkComposite(e *elemSpec, t *typeSpec, b []byte, lv int, seq int, lc loc) {
	comps := e.components()
	sep := r.lowerSep(lv)
	next := lv + 1
	if t.opaque {
		next = lvSub // ED and RP: components are not split further
	}
	start, j := 0, 1
	var first, system []byte
	for {
		end := len(b)
		if sep != 0 {
			if i := indexByte(b[start:], sep); i >= 0 {
				end = start + i
			}
		}
		part := b[start:end]
		switch j {
		case 1:
			first = part
		case 3:
			system = part
		}
		if j <= len(comps) {
			clc := lc
			clc.rel = lc.rel + start
			if lv == lvRep {
				clc.comp = j
			} else {
				clc.sub = j
			}
			r.component(&comps[j-1], part, next, seq, clc)
		}
		if end == len(b) {
			break
		}
		start, j = end+1, j+1
	}
	r.endComposite(e, t, comps, j, b, first, system, lv, seq, lc)
}

// component checks one component (or sub-component) ce holding part, at level lv.
func (r *run) component(ce *elemSpec, part []byte, lv int, seq int, lc loc) {
	switch {
	case len(part) == 0 || r.segHasSub && r.blank(part): // & alone is no value either
		if r.isRequired(ce) {
			r.addField(Error, hl7.ErrCodeRequiredFieldMissing, RuleRequired, ce.src, seq, lc, fmt.Sprintf("%s (%s) is required when %s is valued, but empty", r.pathText(seq, lc), ce.name, r.pathText(seq, parentLoc(lc))))
		}
	case ce.lenOnly && (ce.maxLen == 0 || len(part) <= ce.maxLen):
	case ce.usage == uX:
		r.addField(Error, hl7.ErrCodeDataType, RuleProfile, ce.src, seq, lc, fmt.Sprintf("%s (%s) must not be valued: %s marks it not supported (X)", r.pathText(seq, lc), ce.name, r.by(ce)))
	default:
		r.checkValue(ce, ce.typ, part, lv, seq, lc)
	}
}

// blank reports whether b holds nothing but repetition, component and sub-component
// separators: no value at any level. It stops at the first other byte, which for a valued
// field is nearly always the first.
func (r *run) blank(b []byte) bool {
	for _, c := range b {
		if c != r.d.Component && (c != r.d.SubComponent || c == 0) && (c != r.d.Repetition || c == 0) {
			return false
		}
	}
	return true
}

// repEnd returns where the repetition of raw that starts at start ends: at the next repetition
// separator rep (0 when the message has none), or the end of raw.
func repEnd(raw []byte, start int, rep byte) int {
	if rep != 0 {
		if i := indexByte(raw[start:], rep); i >= 0 {
			return start + i
		}
	}
	return len(raw)
}

// parentLoc returns the location of the value that holds lc: a component's repetition, a
// sub-component's component.
func parentLoc(lc loc) loc {
	if lc.sub > 0 {
		lc.sub = 0
	} else {
		lc.comp = 0
	}
	return lc
}

// endComposite finishes a composite value b of level lv whose last part was number j: the
// required parts after it, and the table of a coded value. The maximum length of the whole
// value (before 2.5) and a constant were checked by checkValue or are checked here.
func (r *run) endComposite(e *elemSpec, t *typeSpec, comps []elemSpec, j int, b, first, system []byte, lv int, seq int, lc loc) {
	if lv == lvRep && (e.maxLen > 0 || e.minLen > 0 || e.hasConst) {
		r.checkLengthConst(e, b, lv, seq, lc)
	}
	lastReq := t.lastReq
	if e.comps != nil {
		lastReq = e.lastReq
	}
	for k := j + 1; k <= lastReq; k++ {
		ce := &comps[k-1]
		if r.isRequired(ce) {
			clc := lc
			clc.rel = lc.rel + len(b)
			if lv == lvRep {
				clc.comp = k
			} else {
				clc.sub = k
			}
			r.addField(Error, hl7.ErrCodeRequiredFieldMissing, RuleRequired, ce.src, seq, clc, fmt.Sprintf("%s (%s) is required when %s is valued, but missing", r.pathText(seq, clc), ce.name, r.pathText(seq, lc)))
		}
	}
	// A table on a coded field (PID-10 Race, CE, table 0005) is for its identifier, when the
	// coding system names no other system; on an HD, for its namespace ID.
	if e.table != nil && len(first) > 0 && !isNull(first) {
		check := t.name == "HD"
		if t.coded {
			sys := str(system)
			check = sys == "" || NormalizeTableID(sys) == e.table.id || strings.EqualFold(sys, "HL7"+e.table.id)
		}
		if check {
			clc := lc
			if lv == lvRep {
				clc.comp = 1
			} else {
				clc.sub = 1
			}
			r.checkCode(e, e.table, r.text(firstPart(first, r.d.SubComponent), lvSub), seq, clc)
		}
	}
}

// lowerSep returns the separator that splits a value of level lv.
func (r *run) lowerSep(lv int) byte {
	if lv == lvRep {
		return r.d.Component
	}
	return r.d.SubComponent
}

// firstPart returns b up to the first sep.
func firstPart(b []byte, sep byte) []byte {
	if sep == 0 {
		return b
	}
	if i := indexByte(b, sep); i >= 0 {
		return b[:i]
	}
	return b
}

// text returns the text of a value: its bytes when they hold no escape sequence (without
// copying), else decoded. A value of a level above lvSub is first cut to its first leaf.
func (r *run) text(b []byte, lv int) string {
	if lv < lvSub {
		b = firstPart(b, r.lowerSep(lv))
		if r.segHasSub {
			b = firstPart(b, r.d.SubComponent)
		}
	}
	if !r.segHasEsc || indexByte(b, r.d.Escape) < 0 {
		return str(b)
	}
	return r.d.UnescapeText(string(b))
}

// quote shows a value in a message: quoted, at most 40 bytes of it (values are patient data,
// and messages end up in acknowledgements and logs).
func quote(s string) string {
	const max = 40
	if len(s) > max {
		n := max
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// pathText returns the path of a value of the current field, as written in messages.
func (r *run) pathText(seq int, lc loc) string {
	return r.path(seq, lc).String()
}

func (r *run) path(seq int, lc loc) hl7.Path {
	// The name is copied: it points into the message's bytes, and a Result may outlive them.
	return hl7.Path{Segment: strings.Clone(r.segName), Occurrence: r.occurrence(), Field: seq, Repetition: lc.rep, Component: lc.comp, SubComp: lc.sub}
}

// fieldStart returns where field seq starts in the segment's bytes, or the segment's length
// when the field is absent.
func fieldStart(seg hl7.Segment, seq int) int {
	f := seg.Field(seq)
	so := seg.Field(1).Offset()
	fo := f.Offset()
	if !f.Present() || so < 0 || fo < 0 {
		return len(seg.Raw())
	}
	first := 4
	if n := seg.Name(); n == "MSH" || n == "FHS" || n == "BHS" {
		first = 3
	}
	return first + fo - so
}

// addField adds an issue about a value of the current segment; r.fieldPos is where the field
// it is in starts in the segment.
func (r *run) addField(sev Severity, code, rule, src string, seq int, lc loc, msg string) {
	off := -1
	if so := segmentOffset(r.m, r.si); so >= 0 {
		off = so + r.fieldPos + lc.rel
	}
	r.res.Issues = append(r.res.Issues, Issue{Severity: sev, Code: code, Path: r.path(seq, lc), Segment: r.si, Offset: off, Message: msg, Rule: rule, Source: src})
}
