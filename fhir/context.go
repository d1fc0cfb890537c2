package fhir

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"iter"
	"strconv"
	"strings"

	"github.com/courier-hl7/courier/hl7"
)

// conv holds the state of one conversion: the resources made so far, indexed by type and id
// so that an entity named twice (the same practitioner in PV1-7 and ORC-12) becomes one
// resource, and the resources the current segment group refers to.
type conv struct {
	c      *Converter
	m      *hl7.Message
	typ    string // MSH-9.1^MSH-9.2
	ctrl   string // key of this message: MSH-10, or a digest of the message when it has none
	err    error
	index  map[uuid]Resource   // by id
	byID   map[string]Resource // by id string
	ents   []Entry
	name   []byte // scratch for id names
	delims hl7.Delimiters

	msgHeader  *MessageHeader
	headerRef  *Reference
	patient    *Patient
	patientRef *Reference
	patKey     string
	encounter  *Encounter
	encRef     *Reference
	sender     *Reference // Organization of MSH-4
}

func newConv(c *Converter, m *hl7.Message, typ string) *conv {
	cv := &conv{c: c, m: m, typ: typ, index: make(map[uuid]Resource, 48), byID: make(map[string]Resource, 48), ents: make([]Entry, 0, 32), delims: m.Delimiters()}
	cv.ctrl = cv.text(m.Segment(0).Field(10))
	if cv.ctrl == "" {
		cv.ctrl = "sha1:" + messageDigest(m)
	} else {
		cv.ctrl = cv.text(m.SendingApplication().Comp(1)) + "|" + cv.text(m.SendingFacility().Comp(1)) + "|" + cv.ctrl
	}
	return cv
}

// messageDigest identifies a message that has no control ID by its segments, joined with CR
// whatever terminators it came with, so that the line-end variants of a message agree.
func messageDigest(m *hl7.Message) string {
	h := sha1.New()
	for _, s := range m.Segments() {
		h.Write(s.Raw())
		h.Write([]byte{'\r'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// needPatient reports whether the message type cannot be mapped without a PID.
func (cv *conv) needPatient() bool {
	switch cv.typ {
	case "ORM^O01", "OML^O21":
		return true
	}
	return !strings.HasPrefix(cv.typ, "SIU")
}

// id returns the id of the resource of type typ with business key key.
func (cv *conv) id(typ, key string) string {
	cv.name = append(append(append(cv.name[:0], typ...), '/'), key...)
	return newUUID5(cv.c.ns, cv.name)
}

// localKey returns a key for a resource that has no business identifier of its own: unique
// within this message, stable across replays of it.
func (cv *conv) localKey(seg hl7.Segment, what string) string {
	return cv.ctrl + "/" + seg.Name() + "@" + strconv.Itoa(seg.Position()) + "/" + what
}

// add puts r in the Bundle under the id derived from key, unless a resource of that type
// and id is there already; it returns the resource in the Bundle and whether r was added.
func (cv *conv) add(r Resource, b *base, key string) (Resource, bool) {
	cv.name = append(append(append(cv.name[:0], b.Type...), '/'), key...)
	u := uuid5Sum(cv.c.ns, cv.name)
	// Ids are unique across types (the type is part of the name hashed), so the UUID alone
	// is the index key; the strings are made only for a resource that is new.
	if old, ok := cv.index[u]; ok {
		b.ID = old.ResourceID()
		return old, false
	}
	b.urn = u.urn()
	b.ID = b.urn[9:]
	cv.index[u] = r
	cv.byID[b.ID] = r
	cv.ents = append(cv.ents, Entry{Resource: r})
	return r, true
}

// ref returns a reference to a resource in the Bundle: its fullUrl (urn:uuid:) for
// transaction, message and collection Bundles, whose receivers resolve references within
// the Bundle that way, and Type/id for batch Bundles, whose entries are independent.
// The Reference is made once per resource and shared: references are never modified.
func (cv *conv) ref(r Resource) *Reference {
	b := r.(interface{ baseOf() *base }).baseOf()
	if b.ref == nil {
		if cv.c.bundleType == BundleBatch {
			b.ref = &Reference{Reference: b.Type + "/" + b.ID}
		} else {
			b.ref = &Reference{Reference: b.urn}
		}
	}
	return b.ref
}

// finish assembles the Bundle.
func (cv *conv) finish() *Bundle {
	// The MessageHeader goes first, as a message Bundle requires; the organizations it
	// refers to were added while it was being built.
	for i, e := range cv.ents {
		if e.Resource == Resource(cv.msgHeader) && i > 0 {
			copy(cv.ents[1:i+1], cv.ents[:i])
			cv.ents[0] = e
			break
		}
	}
	b := &Bundle{ResourceType: "Bundle", Type: cv.c.bundleType, Entry: cv.ents}
	b.ID = cv.id("Bundle", cv.ctrl)
	if id := cv.text(cv.m.Segment(0).Field(10)); id != "" {
		b.Identifier = &Identifier{Value: id}
	}
	if t, ok := cv.time(cv.m.Timestamp()); ok {
		if s, ok := t.instant(); ok {
			b.Timestamp = s
		}
	}
	put := cv.c.bundleType == BundleTransaction || cv.c.bundleType == BundleBatch
	reqs := make([]EntryRequest, len(b.Entry))
	for i := range b.Entry {
		e := &b.Entry[i]
		r := e.Resource
		id := r.ResourceID()
		e.FullURL = r.(interface{ baseOf() *base }).baseOf().urn
		if put {
			reqs[i] = EntryRequest{Method: "PUT", URL: r.ResourceType() + "/" + id}
			e.Request = &reqs[i]
		}
	}
	return b
}

// text returns a value as trimmed text; the HL7 null "" reads as empty (a FHIR PUT replaces
// the whole resource, so a field the sender wants deleted is simply left out). A value that
// still holds repetitions, components or sub-components gives its first leaf.
func (cv *conv) text(v hl7.Value) string { return cv.leaf(v, v.Raw(), 1, 1) }

// comp returns component i of v (of its first repetition, on a field) as text.
func (cv *conv) comp(v hl7.Value, i int) string { return cv.leaf(v, v.Raw(), i, 1) }

// sub returns sub-component j of component i of v as text.
func (cv *conv) sub(v hl7.Value, i, j int) string { return cv.leaf(v, v.Raw(), i, j) }

// leaf finds sub-component j of component i of the first repetition in raw, the bytes of v,
// in one pass over the bytes. It reads a field, a repetition or a component alike: a
// component holds no component separators, so its only component is itself, as
// hl7.Value.Comp has it. Text with an escape sequence is decoded by package hl7.
func (cv *conv) leaf(v hl7.Value, raw []byte, i, j int) string {
	d := &cv.delims
	if k := bytes.IndexByte(raw, d.Repetition); k >= 0 && d.Repetition != 0 {
		raw = raw[:k]
	}
	raw, ok := nth(raw, d.Component, i)
	if !ok {
		return ""
	}
	if d.SubComponent != 0 {
		if raw, ok = nth(raw, d.SubComponent, j); !ok {
			return ""
		}
	} else if j > 1 {
		return ""
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || len(raw) == 2 && raw[0] == '"' && raw[1] == '"' {
		return ""
	}
	if d.Escape != 0 && bytes.IndexByte(raw, d.Escape) >= 0 {
		return strings.TrimSpace(v.Rep(1).Comp(i).Sub(j).String())
	}
	return string(raw)
}

// nth returns part i (from 1) of b split at sep.
func nth(b []byte, sep byte, i int) ([]byte, bool) {
	for ; i > 1; i-- {
		k := bytes.IndexByte(b, sep)
		if k < 0 {
			return nil, false
		}
		b = b[k+1:]
	}
	if k := bytes.IndexByte(b, sep); k >= 0 {
		b = b[:k]
	}
	return b, true
}

// field returns field n of s.
func field(s hl7.Segment, n int) hl7.Value { return s.Field(n) }

// reps iterates over the non-empty repetitions of field n of s, with their numbers.
func reps(s hl7.Segment, n int) iter.Seq2[int, hl7.Value] {
	return func(yield func(int, hl7.Value) bool) {
		f := s.Field(n)
		if f.IsNull() {
			return
		}
		k := f.NumReps()
		for i := 1; i <= k; i++ {
			r := f.Rep(i)
			if len(r.Raw()) > 0 && !r.IsNull() {
				if !yield(i, r) {
					return
				}
			}
		}
	}
}

// repList returns the non-empty repetitions of field n of s.
func repList(s hl7.Segment, n int) []hl7.Value {
	var out []hl7.Value
	for _, r := range reps(s, n) {
		out = append(out, r)
	}
	return out
}

// valued reports whether a value holds something other than delimiters and the null.
func (cv *conv) valued(v hl7.Value) bool {
	if !v.Present() || v.IsNull() {
		return false
	}
	d := cv.m.Delimiters()
	for _, c := range v.Raw() {
		if c != d.Component && c != d.Repetition && c != d.SubComponent && c != ' ' {
			return true
		}
	}
	return false
}

// code normalizes a code value: FHIR codes have no leading, trailing or repeated white space.
func code(s string) string {
	if strings.IndexByte(s, ' ') < 0 && strings.IndexByte(s, '\t') < 0 {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// time reads a v2 date/time value in the channel's zone.
func (cv *conv) time(v hl7.Value) (v2Time, bool) {
	s := cv.text(v.Comp(1))
	if s == "" {
		return v2Time{}, false
	}
	return parseV2Time(s, cv.c.loc)
}

// dateTime maps a DTM/DT/TS value to a FHIR dateTime, or "".
func (cv *conv) dateTime(v hl7.Value) string {
	t, ok := cv.time(v)
	if !ok {
		return ""
	}
	return t.dateTime()
}

// date maps a DTM/DT/TS value to a FHIR date, or "".
func (cv *conv) date(v hl7.Value) string {
	t, ok := cv.time(v)
	if !ok {
		return ""
	}
	return t.date()
}

// instant maps a DTM/TS value to a FHIR instant, or "".
func (cv *conv) instant(v hl7.Value) string {
	t, ok := cv.time(v)
	if !ok {
		return ""
	}
	s, _ := t.instant()
	return s
}

// comps is a repetition split into its components once, for data types whose many
// components are read one after another (CWE, XCN, XTN, XAD).
type comps struct {
	v hl7.Value
	n int
	p [24][]byte
}

// split splits the first repetition of v into its components.
func (cv *conv) split(v hl7.Value) comps {
	c := comps{v: v}
	raw := v.Raw()
	d := &cv.delims
	if k := bytes.IndexByte(raw, d.Repetition); k >= 0 && d.Repetition != 0 {
		raw = raw[:k]
	}
	if len(raw) == 0 {
		return c
	}
	for c.n < len(c.p) {
		k := bytes.IndexByte(raw, d.Component)
		if k < 0 {
			c.p[c.n] = raw
			c.n++
			break
		}
		c.p[c.n] = raw[:k]
		c.n++
		raw = raw[k+1:]
	}
	return c
}

// get returns component i as text (its first sub-component), as conv.comp would.
func (cv *conv) get(c *comps, i int) string {
	if i < 1 || i > c.n {
		return ""
	}
	if i == len(c.p) { // the last slot may hold the rest of a longer value
		return cv.comp(c.v, i)
	}
	raw := c.p[i-1]
	d := &cv.delims
	if k := bytes.IndexByte(raw, d.SubComponent); k >= 0 && d.SubComponent != 0 {
		raw = raw[:k]
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || len(raw) == 2 && raw[0] == '"' && raw[1] == '"' {
		return ""
	}
	if d.Escape != 0 && bytes.IndexByte(raw, d.Escape) >= 0 {
		return strings.TrimSpace(c.v.Rep(1).Comp(i).Sub(1).String())
	}
	return string(raw)
}
