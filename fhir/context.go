package fhir

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"iter"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/courier-hl7/courier/hl7"
)

// conv holds the state of one conversion: the resources made so far, indexed by id so that
// an entity named twice (the same practitioner in PV1-7 and ORC-12) becomes one resource,
// and the resources the current segment group refers to. A conv is taken from its
// Converter's pool and returned to it by release, keeping its scratch buffers.
type conv struct {
	c    *Converter
	m    *hl7.Message
	typ  string // MSH-9.1^MSH-9.2
	ctrl string // key of this message: MSH-10, or a digest of the message when it has none
	err  error
	ents []Entry
	// direct is set for a conversion to bytes (AppendJSON): nothing it makes outlives it,
	// so its slabs and entries are kept for the next one, and observations are written
	// from their OBX when the JSON is (see observation).
	direct bool
	delims hl7.Delimiters
	cls    [256]uint8 // the class of each byte (clText, clComp...): see setDelims
	// escSeen is true when cls marks the escape character, so that locate and split say
	// whether a value holds one.
	escSeen bool
	// src is the message's text as one string, made once, when the message is unedited:
	// the text of a value without escapes is then a substring of it rather than a copy of
	// its own (see conv.substr), which saves an allocation for most strings of the Bundle.
	src string
	// msgText is the message's text when src is set: the bytes its values are slices of.
	msgText []byte
	p       parts // the slabs the Bundle's small parts come from
	// strs is the arena of the strings the conversion makes (ids, URLs, keys, times): a
	// strings.Builder only ever appends, so a string it returned stays as it was while
	// more is written, and many strings share one allocation.
	strs strings.Builder
	// reuse is the arena of a conversion to bytes, kept for the next one (see keep).
	reuse []byte

	// Scratch. The index and buffers are kept across conversions by the pool; the memos
	// are cleared by release, since they hold strings of the message.
	index resourceIndex
	ids   *idHasher // computes the ids; release makes it forget the names it saw
	name  []byte    // id names being hashed
	key   []byte    // an observation's key, built by obxKey
	times timeMemo
	vocab vocabMemo
	cs    comps // split's result for fillConcept and unit, kept here because it is large
	// interp is the JSON of the last OBX-8 that a conversion to bytes wrote (see
	// appendInterpretation); its buffer is kept for the next conversion.
	interp jsonMemo
	// valueType and resultStatus are OBX-2 and OBX-11 as the last OBX had them (see
	// obxMemo).
	valueType, resultStatus textMemo
	// effective and unitJSON are the same for OBX-14 and for the unit of a value quantity
	// (see appendEffective, appendQuantity).
	effective jsonMemo
	unitJSON  struct {
		unit, system, code string
		set                bool
		json               []byte
	}
	// unitMemo is the last unit that unit read, with its field's bytes: the results of a
	// panel repeat their units.
	unitMemo struct {
		raw                []byte
		set                bool
		unit, system, code string
	}

	msgHeader  *MessageHeader
	headerRef  *Reference
	patient    *Patient
	patientRef *Reference
	patKey     string
	encounter  *Encounter
	encRef     *Reference
	sender     *Reference // Organization of MSH-4
}

// newConv takes a conv from the pool for a conversion of m; direct is set for a
// conversion to bytes, whose conv comes from a pool of its own, with the slabs and
// entries the last one left (see release).
func (c *Converter) newConv(m *hl7.Message, typ string, direct bool) *conv {
	pool := &c.pool
	if direct {
		pool = &c.bytesPool
	}
	cv, _ := pool.Get().(*conv)
	if cv == nil {
		cv = &conv{name: make([]byte, 0, 256), key: make([]byte, 0, 128), ids: &idHasher{}}
	}
	cv.c, cv.m, cv.typ, cv.direct = c, m, typ, direct
	cv.setDelims(m.Delimiters())
	cv.index.reset()
	if !m.Modified() {
		cv.msgText = m.Text()
		if text := cv.msgText; direct && len(text) > 0 {
			// A conversion to bytes ends before the caller gets m back, and nothing it
			// makes outlives it: its strings may share the message's bytes, which package
			// hl7 never modifies in place, rather than a copy of them.
			cv.src = unsafe.String(unsafe.SliceData(text), len(text))
		} else {
			cv.src = string(text)
		}
	}
	// Entries: about one per segment in the messages the converter maps, plus the header's,
	// its Provenance and organizations.
	if n := min(m.NumSegments()+16, maxReserve); cap(cv.ents) < n {
		cv.ents = make([]Entry, 0, n)
	}
	nOBX := m.Count("OBX")
	cv.p.size(nOBX)
	// About 100 bytes of ids per resource, and a resource per segment and a half.
	if n := 100 * min(m.NumSegments()+nOBX/2+16, maxReserve); !direct {
		cv.strs.Grow(n)
	} else if cap(cv.reuse) < n {
		cv.reuse = make([]byte, 0, n)
	}
	cv.ctrl = cv.text(m.Segment(0).Field(10))
	if cv.ctrl == "" {
		cv.ctrl = "sha1:" + messageDigest(m)
	} else {
		cv.ctrl = cv.concat(cv.text(m.SendingApplication().Comp(1)), "|", cv.text(m.SendingFacility().Comp(1)), "|", cv.ctrl)
	}
	return cv
}

// release returns cv to its Converter's pool, keeping only the scratch: everything that
// the Bundle holds is dropped, so that the pool neither keeps it alive nor hands it out
// again. A conversion to bytes made no Bundle: its slabs and entries are cleared and kept
// for the next one.
func (cv *conv) release() {
	c := cv.c
	if len(cv.index.slots) > 4096 {
		cv.index = resourceIndex{} // an unusually large message: do not keep its table
	}
	cv.ids.forget()
	next := conv{index: cv.index, ids: cv.ids, name: cv.name[:0], key: cv.key[:0]}
	if !cv.direct {
		*cv = next
		c.pool.Put(cv)
		return
	}
	cv.p.rewind()
	next.p = cv.p
	clear(cv.ents)
	if cap(cv.ents) <= maxKeep {
		next.ents = cv.ents[:0]
	}
	if cap(cv.reuse) <= 100*maxKeep {
		next.reuse = cv.reuse[:0]
	}
	next.interp.json = cv.interp.json[:0]
	next.effective.json = cv.effective.json[:0]
	next.unitJSON.json = cv.unitJSON.json[:0]
	*cv = next
	c.bytesPool.Put(cv)
}

// keep returns p as a string of the conversion's arena. A conversion to bytes reuses the
// arena of the last one: a string handed out is never written over while the conversion
// runs (when the arena is full, a new one is started and the old one stays as it was), and
// none outlives it, since release clears everything that holds one.
func (cv *conv) keep(p []byte) string {
	if len(p) == 0 {
		return ""
	}
	if !cv.direct {
		start := cv.strs.Len()
		cv.strs.Write(p)
		return cv.strs.String()[start:]
	}
	if len(cv.reuse)+len(p) > cap(cv.reuse) {
		cv.reuse = make([]byte, 0, max(2*cap(cv.reuse), len(p)))
	}
	start := len(cv.reuse)
	cv.reuse = append(cv.reuse, p...)
	return unsafe.String(&cv.reuse[start], len(p))
}

// concat returns the strings ss joined, as a string of the conversion's arena (see keep):
// the keys and URLs a conversion builds then cost no allocation of their own.
func (cv *conv) concat(ss ...string) string {
	n := 0
	for _, s := range ss {
		n += len(s)
	}
	if n == 0 {
		return ""
	}
	if !cv.direct {
		start := cv.strs.Len()
		for _, s := range ss {
			cv.strs.WriteString(s)
		}
		return cv.strs.String()[start:]
	}
	if len(cv.reuse)+n > cap(cv.reuse) {
		cv.reuse = make([]byte, 0, max(2*cap(cv.reuse), n))
	}
	start := len(cv.reuse)
	for _, s := range ss {
		cv.reuse = append(cv.reuse, s...)
	}
	return unsafe.String(&cv.reuse[start], n)
}

// join is strings.Join of the non-empty strings of ss, in the conversion's arena.
func (cv *conv) join(sep string, ss ...string) string {
	var buf [128]byte
	b := buf[:0]
	for _, s := range ss {
		if s == "" {
			continue
		}
		if len(b) > 0 {
			b = append(b, sep...)
		}
		b = append(b, s...)
	}
	return cv.keep(b)
}

// nonEmpty is appendNonEmpty for a slice of the conversion's own: when dst is empty, the
// non-empty strings of ss go to a slice of exactly their number, from the conversion's
// slab of strings in a conversion to bytes.
func (cv *conv) nonEmpty(dst []string, ss ...string) []string {
	if len(dst) > 0 {
		return appendNonEmpty(dst, ss...)
	}
	n := 0
	for _, s := range ss {
		if s != "" {
			n++
		}
	}
	if n == 0 {
		return dst
	}
	return appendNonEmpty(allocN(cv, &cv.p.strings, n), ss...)
}

// absent returns the data-absent-reason extension with code "unknown" (see absent). A
// conversion to bytes shares one: nothing modifies it, and none of it outlives the call.
func (cv *conv) absent() *Element {
	if cv.direct {
		return &absentUnknown
	}
	return absent()
}

var absentUnknown = Element{Extension: []Extension{{URL: extDataAbsent, ValueCode: "unknown"}}}

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
	return newUUID5(cv.c.ns, cv.idName(typ, key))
}

// localKey returns a key for a resource that has no business identifier of its own: unique
// within this message, stable across replays of it.
func (cv *conv) localKey(seg hl7.Segment, what string) string {
	var buf [20]byte
	return cv.concat(cv.ctrl, "/", seg.Name(), "@", string(strconv.AppendInt(buf[:0], int64(seg.Position()), 10)), "/", what)
}

// add puts r in the Bundle under the id derived from key, unless a resource of that type
// and id is there already; it returns the resource in the Bundle and whether r was added.
func (cv *conv) add(r Resource, b *base, key string) (Resource, bool) {
	cv.name = append(append(append(cv.name[:0], b.Type...), '/'), key...)
	return cv.addNamed(r, b)
}

// addKey is add for a key held in a byte slice.
func (cv *conv) addKey(r Resource, b *base, key []byte) (Resource, bool) {
	cv.name = append(append(append(cv.name[:0], b.Type...), '/'), key...)
	return cv.addNamed(r, b)
}

// addNamed is add for the name (type/key) in cv.name.
func (cv *conv) addNamed(r Resource, b *base) (Resource, bool) {
	return cv.addID(r, b, cv.ids.sum(cv.c.ns, cv.name))
}

// known looks for the resource of type typ whose business key is parts joined, before it
// is built: a builder that mostly finds its resource in the Bundle already (the assigning
// authority of a message's identifiers is one or two organizations) then builds neither
// the resource nor its key. It returns the resource's id, for addID, and the resource when
// the Bundle has it.
func (cv *conv) known(typ string, parts ...string) (uuid, Resource) {
	cv.name = append(append(cv.name[:0], typ...), '/')
	for _, p := range parts {
		cv.name = append(cv.name, p...)
	}
	u := cv.ids.remembered(cv.c.ns, cv.name)
	if i := cv.index.get(u); i >= 0 {
		return u, cv.ents[i].Resource
	}
	return u, nil
}

// addID is add for a resource whose id is u.
func (cv *conv) addID(r Resource, b *base, u uuid) (Resource, bool) {
	// Ids are unique across types (the type is part of the name hashed), so the UUID alone
	// is the index key; the strings are made only for a resource that is new.
	if i := cv.index.get(u); i >= 0 {
		old := cv.ents[i].Resource
		b.ID = old.ResourceID()
		return old, false
	}
	cv.setID(b, u)
	cv.index.put(u, len(cv.ents))
	cv.ents = append(cv.ents, Entry{Resource: r})
	return r, true
}

// byID returns the resource of the Bundle with the id in reference r, made by conv.ref.
func (cv *conv) byID(r *Reference) Resource {
	u, err := parseUUID(refID(r))
	if err != nil {
		return nil
	}
	if i := cv.index.get(u); i >= 0 {
		return cv.ents[i].Resource
	}
	return nil
}

// ref returns a reference to a resource in the Bundle: its fullUrl (urn:uuid:) for
// transaction, message and collection Bundles, whose receivers resolve references within
// the Bundle that way, and Type/id for batch Bundles, whose entries are independent.
// The Reference is made once per resource and shared: references are never modified.
func (cv *conv) ref(r Resource) *Reference {
	b := r.(interface{ baseOf() *base }).baseOf()
	if b.ref == nil {
		b.ref = cv.p.references.one()
		if cv.c.bundleType == BundleBatch {
			b.ref.Reference = b.url
		} else {
			b.ref.Reference = b.urn
		}
	}
	return b.ref
}

// refTo returns what *cv.ref(r) is, without making the shared Reference when r has none
// yet: for a reference that is copied into a slice, such as a report's results.
func (cv *conv) refTo(r Resource) Reference {
	b := r.(interface{ baseOf() *base }).baseOf()
	if b.ref != nil {
		return *b.ref
	}
	if cv.c.bundleType == BundleBatch {
		return Reference{Reference: b.url}
	}
	return Reference{Reference: b.urn}
}

// headerFirst moves the MessageHeader to the first entry, as a message Bundle requires;
// the organizations it refers to were added while it was being built.
func (cv *conv) headerFirst() {
	for i, e := range cv.ents {
		if e.Resource == Resource(cv.msgHeader) && i > 0 {
			copy(cv.ents[1:i+1], cv.ents[:i])
			cv.ents[0] = e
			break
		}
	}
}

// finish assembles the Bundle.
func (cv *conv) finish() *Bundle {
	cv.headerFirst()
	b := &Bundle{ResourceType: "Bundle", Type: cv.c.bundleType, Entry: cv.ents, conv: cv.c}
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
	var reqs []EntryRequest
	if put {
		reqs = make([]EntryRequest, len(b.Entry))
	}
	for i := range b.Entry {
		e := &b.Entry[i]
		rb := e.Resource.(interface{ baseOf() *base }).baseOf()
		e.FullURL = rb.urn
		if put {
			reqs[i] = EntryRequest{Method: "PUT", URL: rb.url}
			e.Request = &reqs[i]
		}
	}
	return b
}

// text returns a value as trimmed text; the HL7 null "" reads as empty (a FHIR PUT replaces
// the whole resource, so a field the sender wants deleted is simply left out). A value that
// still holds repetitions, components or sub-components gives its first leaf.
func (cv *conv) text(v hl7.Value) string { return cv.leaf(&v, 1, 1) }

// dataText is text for the payload of an attachment (ED data, document lines), which FHIR
// carries as base64Binary: the control characters that text replaces (see fhirString)
// stay, since a document or a file may hold them and base64 can.
func (cv *conv) dataText(v hl7.Value) string { return cv.leafAs(&v, 1, 1, true) }

// comp returns component i of v (of its first repetition, on a field) as text.
func (cv *conv) comp(v hl7.Value, i int) string { return cv.leaf(&v, i, 1) }

// sub returns sub-component j of component i of v as text.
func (cv *conv) sub(v hl7.Value, i, j int) string { return cv.leaf(&v, i, j) }

// leaf finds sub-component j of component i of the first repetition of v in one pass over
// its bytes. It reads a field, a repetition or a component alike: a component holds no
// component separators, so its only component is itself, as hl7.Value.Comp has it. It works
// on offsets into v's bytes so that the text can be a substring of the message (conv.substr).
// Text with an escape sequence is decoded by package hl7. v is passed by address: copied
// whole into its frame, as a Value argument is, its fields are read back before the copy's
// stores complete, which stalls the processor on one of the conversion's most frequent calls.
//
// The text is a FHIR string: control characters are replaced (see fhirString).
func (cv *conv) leaf(v *hl7.Value, i, j int) string { return cv.leafAs(v, i, j, false) }

// leafAs is leaf, keeping control characters when data is set (see dataText).
func (cv *conv) leafAs(v *hl7.Value, i, j int, data bool) string {
	raw := v.Raw()
	if len(raw) == 0 {
		return ""
	}
	lo, hi, seen, ok := cv.locate(raw, i, j)
	if !ok {
		return ""
	}
	lo, hi, slow := cv.clean(raw, lo, hi, seen)
	if lo == hi {
		return ""
	}
	if slow {
		s := strings.TrimSpace(v.Rep(1).Comp(i).Sub(j).String())
		if data {
			return s
		}
		return cv.fhirString(s)
	}
	return cv.substr(raw, cv.offset(raw), lo, hi)
}

// fhirString returns s, text of the message, as a FHIR string may hold it: FHIR R4's
// string type (datatypes.html#string) says characters below U+0020 other than tab,
// carriage return and line feed should not appear, and servers reject them. They come
// from hex escapes (\X00\, \X07\, \X1B\) or raw bytes in the message. Each is replaced by
// U+FFFD, the replacement character, rather than dropped: a reader sees that something
// was there, and text keeps its tokens apart ("1\X07\0 mg" does not become "10 mg"). The
// check is one pass over text that is already on the slow path (escapes or control bytes
// seen); text without such characters is returned as it is.
func (cv *conv) fhirString(s string) string {
	i := 0
	for i < len(s) && !forbiddenControl(s[i]) {
		i++
	}
	if i == len(s) {
		return s
	}
	var buf [128]byte
	b := append(buf[:0], s[:i]...)
	for ; i < len(s); i++ {
		if c := s[i]; forbiddenControl(c) {
			b = append(b, "\uFFFD"...)
		} else {
			b = append(b, c)
		}
	}
	return cv.keep(b)
}

// forbiddenControl reports whether c is a control character FHIR strings may not hold: below
// U+0020 and not tab, carriage return or line feed. Bytes of multi-byte UTF-8 characters are
// all 0x80 or more, so a byte test is exact.
func forbiddenControl(c byte) bool {
	return c < 0x20 && c != '\t' && c != '\n' && c != '\r'
}

// Classes of bytes in a conversion's byte table (conv.cls). The first ones are text: white
// space, the escape character and bytes beyond ASCII are noted as they are passed over, so
// that trimming and unescaping are tried only on text that has them. The others are
// delimiters, from the lowest level up.
const (
	clText  = iota
	clSpace // ASCII white space, as bytes.TrimSpace has it
	clEsc   // the escape character
	clHigh  // a byte of a multi-byte character: maybe Unicode white space
	clCtl   // a control character FHIR strings may not hold (forbiddenControl), \v and \f among them
	clSub
	clComp
	clRep
)

// setDelims sets the delimiters of the message and builds the table that classifies its
// bytes, so that locate and split find delimiters with one lookup per byte. A delimiter
// that is also a higher one counts as the higher (the repetition first, then the
// component), as splitting level by level has it; an absent (zero) repetition or
// sub-component separator splits nothing.
func (cv *conv) setDelims(d hl7.Delimiters) {
	cv.delims = d
	cls := &cv.cls
	*cls = [256]uint8{}
	for c := utf8.RuneSelf; c < 256; c++ {
		cls[c] = clHigh
	}
	for c := range 0x20 {
		if forbiddenControl(byte(c)) {
			cls[c] = clCtl
		}
	}
	for _, c := range []byte(" \t\n\r") {
		cls[c] = clSpace
	}
	// The escape character is noted only when it is plain text otherwise; clean tests
	// for it byte by byte when it is not.
	cv.escSeen = d.Escape != 0 && cls[d.Escape] == clText
	if cv.escSeen {
		cls[d.Escape] = clEsc
	}
	if d.SubComponent != 0 {
		cls[d.SubComponent] = clSub
	}
	cls[d.Component] = clComp
	if d.Repetition != 0 {
		cls[d.Repetition] = clRep
	}
	if cv.escSeen && cls[d.Escape] != clEsc { // the escape character is also a delimiter
		cv.escSeen = false
	}
}

// locate returns the bounds in raw of sub-component j of component i of its first
// repetition (i and j from 1), with the set of text classes it holds (bit 1<<class), or
// false when raw has no such part.
func (cv *conv) locate(raw []byte, i, j int) (lo, hi int, seen uint8, ok bool) {
	cls := &cv.cls
	k := 0
	for ; i > 1; i-- { // skip to component i
		for {
			if k == len(raw) {
				return 0, 0, 0, false
			}
			c := cls[raw[k]]
			k++
			if c == clComp {
				break
			}
			if c == clRep {
				return 0, 0, 0, false
			}
		}
	}
	for ; j > 1; j-- { // then to sub-component j
		for {
			if k == len(raw) {
				return 0, 0, 0, false
			}
			c := cls[raw[k]]
			k++
			if c == clSub {
				break
			}
			if c > clSub {
				return 0, 0, 0, false
			}
		}
	}
	lo = k
	for k < len(raw) {
		c := cls[raw[k]]
		if c >= clSub {
			break
		}
		seen |= 1 << c
		k++
	}
	return lo, k, seen, true
}

// clean trims raw[lo:hi], a leaf whose text classes (from locate or split) are seen, and
// reads the HL7 null as empty (lo == hi); slow reports that the text has escape sequences
// to decode or control characters to replace (see fhirString). It takes and returns plain
// integers, not the hl7.Value: passed down by value through several calls, the Value's
// copies cost more than the work.
func (cv *conv) clean(raw []byte, lo, hi int, seen uint8) (int, int, bool) {
	if seen&(1<<clSpace|1<<clHigh|1<<clCtl) != 0 {
		lo, hi = trimSpace(raw, lo, hi)
	}
	if lo == hi || hi-lo == 2 && raw[lo] == '"' && raw[lo+1] == '"' {
		return lo, lo, false
	}
	e := cv.delims.Escape
	slow := seen&(1<<clCtl) != 0 ||
		e != 0 && (seen&(1<<clEsc) != 0 || !cv.escSeen) && bytes.IndexByte(raw[lo:hi], e) >= 0
	return lo, hi, slow
}

// substr returns raw[lo:hi] as a string, where raw, at offset off in the message's text
// (hl7.Value.Offset), is a value's bytes: a substring of the text when there is one, so
// that no copy is made.
func (cv *conv) substr(raw []byte, off, lo, hi int) string {
	if off >= 0 && off+hi <= len(cv.src) {
		return cv.src[off+lo : off+hi]
	}
	return string(raw[lo:hi])
}

// offset returns the offset of raw, a value's bytes, in the text of the conversion's message
// when it lies in it, else -1: what hl7.Value.Offset returns for the value when the message
// is unedited, which is when substr uses it, without another copy of the Value.
func (cv *conv) offset(raw []byte) int {
	if len(cv.src) == 0 || len(raw) == 0 {
		return -1
	}
	base := uintptr(unsafe.Pointer(unsafe.SliceData(cv.msgText)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(raw)))
	if p < base || p > base+uintptr(len(cv.msgText)) {
		return -1
	}
	return int(p - base)
}

// trimSpace returns the bounds of raw[lo:hi] without leading and trailing white space, as
// bytes.TrimSpace trims it.
func trimSpace(raw []byte, lo, hi int) (int, int) {
	for lo < hi && asciiSpace(raw[lo]) {
		lo++
	}
	for hi > lo && asciiSpace(raw[hi-1]) {
		hi--
	}
	if lo < hi && (raw[lo] >= utf8.RuneSelf || raw[hi-1] >= utf8.RuneSelf) {
		// Unicode white space (NEL, NBSP...) at an end: as bytes.TrimSpace, decode runes.
		t := bytes.TrimLeftFunc(raw[lo:hi], unicode.IsSpace)
		lo = hi - len(t)
		hi = lo + len(bytes.TrimRightFunc(t, unicode.IsSpace))
	}
	return lo, hi
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// field returns field n of s.
func field(s hl7.Segment, n int) hl7.Value { return s.Field(n) }

// reps iterates over the non-empty repetitions of field n of s, with their numbers.
func reps(s hl7.Segment, n int) iter.Seq2[int, hl7.Value] {
	return func(yield func(int, hl7.Value) bool) {
		f := s.Field(n)
		if raw := f.Raw(); len(raw) == 0 || isNull(raw) {
			return // the common case, found without more copies of f (see valued)
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

// numReps returns a bound on the repetitions reps(s, n) yields, to size slices with.
func (cv *conv) numReps(s hl7.Segment, n int) int {
	f := s.Field(n)
	if raw := f.Raw(); len(raw) == 0 || isNull(raw) {
		return 0
	}
	return f.NumReps()
}

// firstRep returns the first of the repetitions reps(s, n) yields and how many it yields.
func (cv *conv) firstRep(s hl7.Segment, n int) (hl7.Value, int) {
	f := s.Field(n)
	raw := f.Raw()
	if isNull(raw) { // f.IsNull(), without another copy of f
		return hl7.Value{}, 0
	}
	if rep := cv.delims.Repetition; rep == 0 || bytes.IndexByte(raw, rep) < 0 {
		// One repetition at most, the common case: the field is it, unless empty.
		if len(raw) == 0 {
			return hl7.Value{}, 0
		}
		return f.Rep(1), 1
	}
	var first hl7.Value
	k := 0
	for i, nr := 1, f.NumReps(); i <= nr; i++ {
		if r := f.Rep(i); len(r.Raw()) > 0 && !r.IsNull() {
			if k == 0 {
				first = r
			}
			k++
		}
	}
	return first, k
}

// isNull reports whether raw, a present value's bytes, is the HL7 null "", as
// hl7.Value.IsNull has it.
func isNull(raw []byte) bool { return len(raw) == 2 && raw[0] == '"' && raw[1] == '"' }

// valued reports whether a value holds something other than delimiters and the null.
//
// It reads v through Raw alone: an absent value has no bytes, and a Value is large enough
// that each method call copies it.
func (cv *conv) valued(v hl7.Value) bool {
	raw := v.Raw()
	if len(raw) == 0 || isNull(raw) {
		return false
	}
	d := &cv.delims
	for _, c := range raw {
		if c != d.Component && c != d.Repetition && c != d.SubComponent && c != ' ' {
			return true
		}
	}
	return false
}

// code normalizes a code value: FHIR codes have no leading, trailing or repeated white space.
func code(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == ' ' || s[i] == '\t' {
			return strings.Join(strings.Fields(s), " ")
		}
	}
	return s
}

// time reads a v2 date/time value in the channel's zone.
func (cv *conv) time(v hl7.Value) (v2Time, bool) {
	s := cv.text(v) // component 1 of a TS: text reads the first component

	if s == "" {
		return v2Time{}, false
	}
	return parseV2Time(s, cv.c.loc)
}

// dateTime maps a DTM/DT/TS value to a FHIR dateTime, or "".
func (cv *conv) dateTime(v hl7.Value) string { return cv.timeAs(v, asDateTime) }

// date maps a DTM/DT/TS value to a FHIR date, or "".
func (cv *conv) date(v hl7.Value) string { return cv.timeAs(v, asDate) }

// instant maps a DTM/TS value to a FHIR instant, or "".
func (cv *conv) instant(v hl7.Value) string { return cv.timeAs(v, asInstant) }

// timeAs maps a DTM/DT/TS value to a FHIR dateTime, date or instant, or "", remembering
// the result for the values that follow (see timeMemo).
func (cv *conv) timeAs(v hl7.Value, kind int) string {
	s := cv.text(v) // component 1 of a TS: text reads the first component
	if s == "" {
		return ""
	}
	if out, ok := cv.times.get(s, kind); ok {
		return out
	}
	out := ""
	if t, ok := parseV2Time(s, cv.c.loc); ok {
		var buf [48]byte
		switch kind {
		case asDateTime:
			out = cv.keep(t.appendDateTime(buf[:0], t.prec))
		case asDate:
			out = cv.keep(t.appendDateTime(buf[:0], min(t.prec, precDay)))
		case asInstant:
			b, _ := t.appendInstant(buf[:0])
			out = cv.keep(b)
		}
	}
	cv.times.put(s, kind, out)
	return out
}

// dateTimeOf is t.dateTime(), in the conversion's arena.
func (cv *conv) dateTimeOf(t v2Time) string {
	var buf [48]byte
	return cv.keep(t.appendDateTime(buf[:0], t.prec))
}

// dateOf is t.date(), in the conversion's arena.
func (cv *conv) dateOf(t v2Time) string {
	var buf [16]byte
	return cv.keep(t.appendDateTime(buf[:0], min(t.prec, precDay)))
}

// comps is a repetition split into its components once, for data types whose many
// components are read one after another (CWE, XCN, XTN, XAD).
type comps struct {
	v   hl7.Value
	raw []byte
	off int // of raw in the message's text, or -1
	n   int
	p   [24]struct {
		lo, hi int32 // bounds of the component in raw
		sub    int32 // bound of its first sub-component
		seen   uint8 // its text classes, as locate reports them
	}
}

// split splits the first repetition of v into its components, into c: a comps is large,
// and filled in place it is not copied.
func (cv *conv) split(c *comps, v hl7.Value) {
	raw := v.Raw()
	c.v, c.raw, c.off, c.n = v, raw, cv.offset(raw), 0
	if len(raw) == 0 || cv.cls[raw[0]] == clRep {
		return
	}
	cls := &cv.cls
	k := 0
	for c.n < len(c.p) {
		p := &c.p[c.n]
		c.n++
		lo, sub := k, -1
		var seen uint8
		for ; k < len(raw); k++ { // the component, up to its end
			cl := cls[raw[k]]
			if cl < clSub {
				seen |= 1 << cl
				continue
			}
			if cl != clSub {
				break
			}
			if sub < 0 {
				sub = k
			}
		}
		if sub < 0 {
			sub = k
		}
		p.lo, p.hi, p.sub, p.seen = int32(lo), int32(k), int32(sub), seen
		if k == len(raw) || cls[raw[k]] == clRep {
			return
		}
		k++ // past the component separator
	}
}

// get returns component i as text (its first sub-component), as conv.comp would.
func (cv *conv) get(c *comps, i int) string {
	if i < 1 || i > c.n {
		return ""
	}
	if i == len(c.p) { // the last slot may hold the rest of a longer value
		return cv.comp(c.v, i)
	}
	p := &c.p[i-1]
	lo, hi, slow := cv.clean(c.raw, int(p.lo), int(p.sub), p.seen)
	if lo == hi {
		return ""
	}
	if slow {
		return cv.fhirString(strings.TrimSpace(c.v.Rep(1).Comp(i).Sub(1).String()))
	}
	return cv.substr(c.raw, c.off, lo, hi)
}
