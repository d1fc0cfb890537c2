package fhir

import (
	"bytes"
	"slices"

	"github.com/courier-hl7/courier/hl7"
)

// AppendJSON converts m and appends the Bundle's JSON to dst: the same bytes Convert(m) then
// Bundle.JSON() produce, without building the Bundle's structs. It is what the engine uses.
// On error dst is returned unchanged, with the error Convert would return.
//
// Because nothing of the conversion outlives the call but the bytes, its scratch (the
// resources' small parts, the entries, the index of ids) is kept by the Converter and
// reused by the next call, and the Observations of result messages, most of a Bundle, are
// written from their OBX segments as the JSON is written rather than built as structs
// first. Like Convert, it is safe for concurrent use.
func (c *Converter) AppendJSON(dst []byte, m *hl7.Message) ([]byte, error) {
	cv, err := c.run(m, true)
	if err != nil {
		return dst, err
	}
	defer cv.release()
	return cv.appendBundle(dst), nil
}

// appendBundle writes the Bundle of a conversion to bytes as Bundle.appendJSON writes the
// Bundle that finish would assemble: the same properties in the same order, with the
// entries' fullUrl and request written from the ids that setID made.
func (cv *conv) appendBundle(b []byte) []byte {
	cv.headerFirst()
	per := int(cv.c.jsonPerEntry.Load())
	if per == 0 {
		per = 1536
	}
	n := len(cv.ents)
	b = slices.Grow(b, 512+per*n+per*n/16)
	start := len(b)

	b = append(b, `{"resourceType":"Bundle","id":"`...)
	b = appendUUID(b, uuid5Sum(cv.c.ns, cv.idName("Bundle", cv.ctrl)))
	b = append(b, '"')
	if id := cv.text(cv.m.Segment(0).Field(10)); id != "" {
		b = append(b, `,"identifier":{"value":`...)
		b = jsonString(b, id)
		b = append(b, '}')
	}
	// The Bundle type is one of four constants, and the ids, fullUrls and request URLs
	// are hexadecimal and resource type names: none needs escaping.
	b = append(b, `,"type":"`...)
	b = append(b, cv.c.bundleType...)
	b = append(b, '"')
	if t, ok := cv.time(cv.m.Timestamp()); ok {
		mark := len(b)
		b = append(b, `,"timestamp":"`...)
		if b, ok = t.appendInstant(b); ok {
			b = append(b, '"')
		} else {
			b = b[:mark]
		}
	}
	if n > 0 {
		put := cv.c.bundleType == BundleTransaction || cv.c.bundleType == BundleBatch
		b = append(b, `,"entry":[`...)
		for i := range cv.ents {
			if i > 0 {
				b = append(b, ',')
			}
			r := cv.ents[i].Resource
			rb := r.(interface{ baseOf() *base }).baseOf()
			b = append(b, `{"fullUrl":"`...)
			b = append(b, rb.urn...)
			b = append(b, `","resource":`...)
			if ob, ok := r.(*Observation); ok {
				b = cv.appendObservation(b, ob)
			} else {
				b = r.(jsonAppender).appendJSON(b)
			}
			if put {
				b = append(b, `,"request":{"method":"PUT","url":"`...)
				b = append(b, rb.url...)
				b = append(b, `"}`...)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	b = append(b, '}')
	if n > 0 {
		cv.c.jsonPerEntry.Store(int64((len(b) - start) / n))
	}
	return b
}

// idName puts the name of the id of the resource of type typ with business key key in
// cv.name, as conv.id hashes it, and returns it.
func (cv *conv) idName(typ, key string) []byte {
	cv.name = append(append(append(cv.name[:0], typ...), '/'), key...)
	return cv.name
}

// appendUUID appends the lower-case 8-4-4-4-12 form of u.
func appendUUID(b []byte, u uuid) []byte {
	var s [36]byte
	u.format(&s)
	return append(b, s[:]...)
}

// appendObservation writes an Observation of a conversion to bytes: ob holds what the
// conversion linked (id, performers, identifiers, and what the message walkers set: basedOn,
// partOf, focus, specimen, notes), and obxElements maps the rest from its OBX now, into
// scratch that the next Observation reuses. The properties are written in the order of the
// Observation struct, as Observation.appendJSON writes them; the elements themselves are
// written by the generated encoders of their types.
func (cv *conv) appendObservation(b []byte, ob *Observation) []byte {
	// The elements are mapped into an Observation on the stack: clearing and filling it
	// costs no write barriers, as scratch on the heap would while the collector runs.
	var x Observation
	cv.obxElements(&x, ob.obx)

	b = append(b, `{"resourceType":"Observation","id":"`...)
	b = append(b, ob.ID...) // hexadecimal
	b = append(b, '"')
	if ob.Meta != nil {
		b = append(b, `,"meta":`...)
		b = ob.Meta.appendJSON(b)
	}
	b = appendArray(b, `,"extension":`, x.Extension)
	b = appendArray(b, `,"identifier":`, ob.Identifier)
	b = appendRefs(b, `,"basedOn":`, ob.BasedOn)
	b = appendRefs(b, `,"partOf":`, ob.PartOf)
	b = append(b, `,"status":`...)
	b = jsonString(b, x.Status)
	if x.StatusExt != nil {
		b = append(b, `,"_status":`...)
		b = x.StatusExt.appendJSON(b)
	}
	b = appendArray(b, `,"category":`, x.Category)
	b = append(b, `,"code":`...)
	b = x.Code.appendJSON(b) // never nil: obxElements marks an absent code
	b = appendRef(b, `,"subject":`, ob.Subject)
	b = appendRefs(b, `,"focus":`, ob.Focus)
	b = appendRef(b, `,"encounter":`, ob.Encounter)
	b = cv.appendEffective(b, ob.obx) // x.EffectiveDateTime, which obxElements leaves to it
	if ob.Issued != "" {
		b = append(b, `,"issued":`...)
		b = jsonString(b, ob.Issued)
	}
	b = appendRefs(b, `,"performer":`, ob.Performer)
	q := x.ValueQuantity
	if q != nil {
		b = append(b, `,"valueQuantity":`...)
		b = cv.appendQuantity(b, q)
	}
	b = appendValue(b, `,"value`, nil, x.ValueCodeableConcept, x.ValueString, x.ValueRange, x.ValueRatio, x.ValueTime, x.ValueDateTime, x.ValuePeriod)
	if x.DataAbsentReason != nil {
		b = append(b, `,"dataAbsentReason":`...)
		b = x.DataAbsentReason.appendJSON(b)
	}
	b = cv.appendInterpretation(b, ob.obx)
	b = appendArray(b, `,"note":`, ob.Note)
	if x.BodySite != nil {
		b = append(b, `,"bodySite":`...)
		b = x.BodySite.appendJSON(b)
	}
	if x.Method != nil {
		b = append(b, `,"method":`...)
		b = x.Method.appendJSON(b)
	}
	b = appendRef(b, `,"specimen":`, ob.Specimen)
	b = appendRef(b, `,"device":`, ob.Device)
	b = appendArray(b, `,"referenceRange":`, x.ReferenceRange)
	b = appendArray(b, `,"component":`, x.Component)
	return append(b, '}')
}

// appendValue writes the value[x] properties of an Observation or of one of its components,
// in their order in both structs.
func appendValue(b []byte, prefix string, q *Quantity, cc *CodeableConcept, str string, rng *Range, ratio *Ratio, tm, dt string, p *Period) []byte {
	if q != nil {
		b = append(append(b, prefix...), `Quantity":`...)
		b = q.appendJSON(b)
	}
	if cc != nil {
		b = append(append(b, prefix...), `CodeableConcept":`...)
		b = cc.appendJSON(b)
	}
	if str != "" {
		b = append(append(b, prefix...), `String":`...)
		b = jsonString(b, str)
	}
	if rng != nil {
		b = append(append(b, prefix...), `Range":`...)
		b = rng.appendJSON(b)
	}
	if ratio != nil {
		b = append(append(b, prefix...), `Ratio":`...)
		b = ratio.appendJSON(b)
	}
	if tm != "" {
		b = append(append(b, prefix...), `Time":`...)
		b = jsonString(b, tm)
	}
	if dt != "" {
		b = append(append(b, prefix...), `DateTime":`...)
		b = jsonString(b, dt)
	}
	if p != nil {
		b = append(append(b, prefix...), `Period":`...)
		b = p.appendJSON(b)
	}
	return b
}

// appendArray writes the property key (given as `,"name":`) with the array xs, as the
// generated encoder writes a slice field with omitempty: nothing when xs is empty.
func appendArray[T any, P interface {
	*T
	jsonAppender
}](b []byte, key string, xs []T) []byte {
	if len(xs) == 0 {
		return b
	}
	b = append(b, key...)
	b = append(b, '[')
	for i := range xs {
		if i > 0 {
			b = append(b, ',')
		}
		b = P(&xs[i]).appendJSON(b)
	}
	return append(b, ']')
}

// appendInterpretation writes OBX-8 as Observation.interpretation. The field mostly
// repeats from one OBX to the next (N, H, L), and what it maps to depends on its bytes
// alone (with the conversion's delimiters and options), so the JSON written for the last
// one is kept and copied when the bytes are the same.
func (cv *conv) appendInterpretation(b []byte, obx hl7.Segment) []byte {
	raw := field(obx, 8).Raw()
	m := &cv.interp
	if m.set && bytes.Equal(raw, m.raw) {
		return append(b, m.json...)
	}
	start := len(b)
	b = appendArray(b, `,"interpretation":`, cv.obxInterpretation(obx))
	m.raw, m.set = raw, true
	m.json = append(m.json[:0], b[start:]...)
	return b
}

// appendEffective writes OBX-14 as Observation.effectiveDateTime. Like OBX-8 (see
// appendInterpretation), it mostly repeats from one OBX to the next, and its JSON depends on
// its bytes alone: the JSON written for the last one is kept and copied when the bytes are
// the same.
func (cv *conv) appendEffective(b []byte, obx hl7.Segment) []byte {
	v := field(obx, 14)
	m := &cv.effective
	if raw := v.Raw(); m.set && bytes.Equal(raw, m.raw) {
		return append(b, m.json...)
	}
	start := len(b)
	if dt := cv.dateTime(v); dt != "" {
		b = append(b, `,"effectiveDateTime":`...)
		b = jsonString(b, dt)
	}
	m.raw, m.set = v.Raw(), true
	m.json = append(m.json[:0], b[start:]...)
	return b
}

// appendQuantity writes q as Quantity.appendJSON does. The value quantities of a panel's
// results mostly share their unit, system and code (which conv.unit remembers as the same
// strings): the JSON of those is kept and copied while they stay the same.
func (cv *conv) appendQuantity(b []byte, q *Quantity) []byte {
	if len(q.Extension) > 0 || q.Value == "" || q.Comparator != "" {
		return q.appendJSON(b)
	}
	b = append(b, `{"value":`...)
	b = append(b, q.Value...)
	m := &cv.unitJSON
	if m.set && q.Unit == m.unit && q.System == m.system && q.Code == m.code {
		return append(b, m.json...)
	}
	start := len(b)
	if q.Unit != "" {
		b = append(b, `,"unit":`...)
		b = jsonString(b, q.Unit)
	}
	if q.System != "" {
		b = append(b, `,"system":`...)
		b = jsonString(b, q.System)
	}
	if q.Code != "" {
		b = append(b, `,"code":`...)
		b = jsonString(b, q.Code)
	}
	b = append(b, '}')
	m.unit, m.system, m.code, m.set = q.Unit, q.System, q.Code, true
	m.json = append(m.json[:0], b[start:]...)
	return b
}

// jsonMemo is the JSON written for a field's bytes, kept for the next field with the
// same bytes.
type jsonMemo struct {
	raw  []byte // the field's bytes, in the message
	set  bool
	json []byte
}

// appendRef writes the property key (given as `,"name":`) with the reference r, when r is
// not nil. A reference to a resource of the Bundle, the common case, has only its
// reference, which conv.ref made from the resource's urn:uuid: fullUrl or its Type/id:
// neither needs escaping, so it is written as it is, as Reference.appendJSON would write it.
func appendRef(b []byte, key string, r *Reference) []byte {
	if r == nil {
		return b
	}
	b = append(b, key...)
	return appendReference(b, r)
}

// appendRefs writes the property key (given as `,"name":`) with the array rs, as the
// generated encoder writes a slice of references with omitempty.
func appendRefs(b []byte, key string, rs []Reference) []byte {
	if len(rs) == 0 {
		return b
	}
	b = append(b, key...)
	b = append(b, '[')
	for i := range rs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendReference(b, &rs[i])
	}
	return append(b, ']')
}

// appendReference writes r as Reference.appendJSON does (see appendRef).
func appendReference(b []byte, r *Reference) []byte {
	if r.Reference == "" || len(r.Extension) > 0 || r.Type != "" || r.Identifier != nil || r.Display != "" {
		return r.appendJSON(b)
	}
	b = append(b, `{"reference":"`...)
	b = append(b, r.Reference...)
	return append(b, `"}`...)
}
