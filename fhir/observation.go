package fhir

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/courier-hl7/courier/hl7"
)

const (
	extSubID           = "http://hl7.org/fhir/StructureDefinition/observation-v2-subid"
	extAbnormalTest    = "http://hl7.org/fhir/StructureDefinition/observation-nature-of-abnormal-test"
	extAnalysisTime    = "http://hl7.org/fhir/StructureDefinition/observation-analysis-date-time"
	extValueAttachment = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Observation.valueAttachment"
	extObsSpecimen     = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Observation.specimen"
)

// observation maps OBX (OBX[Observation]; OBX[Observation-Component] when OBX-5 repeats)
// under key, the business key of its group, and returns the Observation. It is the hot
// path of result messages: its parts come from the conversion's slabs.
//
// The mapping is in two parts. obxElements maps the elements that the OBX alone gives;
// obxLinks maps those that add resources to the Bundle (performers, the filler's
// identifier), which must be added now, in message order, so that the entries are in the
// same order whichever way the Bundle is written. A conversion to bytes (AppendJSON) only
// keeps the OBX here: obxElements runs when its JSON is written (appendObservation), so
// that the elements are never built as part of a Bundle that nobody will hold.
func (cv *conv) observation(obx hl7.Segment, key []byte) *Observation {
	ob := cv.p.observations.one()
	ob.base.Type, ob.Subject, ob.Encounter = "Observation", cv.patientRef, cv.encRef
	if cv.direct {
		ob.obx = obx
	} else {
		cv.obxElements(ob, obx)
		ob.Interpretation = cv.obxInterpretation(obx)
	}
	if obx.NumFields() >= 15 { // OBX-15 and after are often absent: nothing to link then
		cv.obxLinks(ob, obx)
	}
	r, _ := cv.addKey(ob, &ob.base, key)
	return r.(*Observation)
}

// resetLinks zeroes what a conversion to bytes sets in an Observation of its slab: the base,
// the OBX, what obxLinks adds and what the message walkers set (subject, encounter, basedOn,
// partOf, focus, specimen, notes). obxElements writes the rest into an Observation of its
// caller's (see appendObservation), never into these.
func (ob *Observation) resetLinks() {
	ob.base = base{}
	ob.Identifier, ob.BasedOn, ob.PartOf, ob.Focus, ob.Performer, ob.Note = nil, nil, nil, nil, nil, nil
	ob.Subject, ob.Encounter, ob.Specimen = nil, nil, nil
	ob.obx = hl7.Segment{}
}

// obxElements sets the elements of ob that OBX gives without other resources, but for the
// interpretation (obxInterpretation): code, value (or components), status, times,
// reference range, method, body site, category and the extensions (sub-ID, attachment
// value, nature of abnormal test, analysis time, in that order). It is the one place these
// rows of OBX[Observation] are mapped, for Convert and for AppendJSON alike.
func (cv *conv) obxElements(ob *Observation, obx hl7.Segment) {
	ob.Code = cv.concept(field(obx, 3), nil)
	if ob.Code == nil {
		ob.Code = &CodeableConcept{Extension: []Extension{{URL: extDataAbsent, ValueCode: "unknown"}}}
	}
	if s := cv.text(field(obx, 4)); s != "" {
		ob.Extension = append(ob.Extension, Extension{URL: extSubID, ValueString: s})
	}
	vt := cv.obxMemo(&cv.valueType, field(obx, 2), valueType)
	first, nvals := cv.firstRep(obx, 5)
	units := field(obx, 6)
	if nvals > 1 && vt != "NA" {
		// Repeated values: one component each, with the observation's code.
		for _, v := range reps(obx, 5) {
			c := ObservationComponent{Code: ob.Code}
			var x obsValue
			cv.value(&x, vt, v, units)
			c.ValueQuantity, c.ValueCodeableConcept, c.ValueString = x.quantity, x.concept, x.str
			c.ValueRange, c.ValueRatio, c.ValueTime, c.ValueDateTime, c.ValuePeriod = x.rng, x.ratio, x.time, x.dateTime, x.period
			if x.set() {
				ob.Component = append(ob.Component, c)
			}
		}
	} else if nvals == 1 {
		var x obsValue
		cv.value(&x, vt, first, units)
		ob.ValueQuantity, ob.ValueCodeableConcept, ob.ValueString = x.quantity, x.concept, x.str
		ob.ValueRange, ob.ValueRatio, ob.ValueTime, ob.ValueDateTime, ob.ValuePeriod = x.rng, x.ratio, x.time, x.dateTime, x.period
		if x.attachment != nil {
			ob.Extension = append(ob.Extension, Extension{URL: extValueAttachment, ValueAttachment: x.attachment})
		}
	}
	if s := cv.text(field(obx, 7)); s != "" {
		ob.ReferenceRange = append(cv.p.ranges.many(1), ReferenceRange{Text: s})
	}
	for _, r := range reps(obx, 10) {
		if cc := cv.concept1(cv.comp(r, 1), "0080", vocabAbnormalTesting); cc != nil {
			ob.Extension = append(ob.Extension, Extension{URL: extAbnormalTest, ValueCodeableConcept: cc})
		}
	}
	st := cv.obxMemo(&cv.resultStatus, field(obx, 11), code)
	ob.Status = cv.mapCode(vocabObsStatus, st, "")
	switch st {
	case "N":
		ob.DataAbsentReason = &CodeableConcept{Coding: []Coding{{System: sysDataAbsent, Code: "not-asked"}}}
	case "X":
		ob.StatusExt = &Element{Extension: []Extension{{URL: extAlternateCodes, ValueCodeableConcept: &CodeableConcept{Coding: []Coding{{System: sysV2 + "0085", Code: "X"}}}}}}
	}
	if ob.Status == "" {
		ob.Status = "unknown"
	}
	if !cv.direct {
		// A conversion to bytes writes it from OBX-14 itself (see conv.appendEffective).
		ob.EffectiveDateTime = cv.dateTime(field(obx, 14))
	}
	if obx.NumFields() < 15 {
		return
	}
	ob.Method = cv.concept(field(obx, 17), nil)
	if dt := cv.dateTime(field(obx, 19)); dt != "" {
		ob.Extension = append(ob.Extension, Extension{URL: extAnalysisTime, ValueDateTime: dt})
	}
	ob.BodySite = cv.concept(field(obx, 20), nil)
	if c := code(cv.text(field(obx, 29))); c != "" {
		ob.Category = append(ob.Category, CodeableConcept{Coding: []Coding{{System: sysV2 + "0936", Code: c}}})
	}
}

// valueType normalizes OBX-2, the value type.
func valueType(s string) string { return strings.ToUpper(code(s)) }

// textMemo is the last text of a field that obxMemo read, with its bytes: the OBX of a
// panel mostly repeat their value type and status.
type textMemo struct {
	raw  []byte
	set  bool
	text string
}

// obxMemo returns f(cv.text(v)), from m when v has the bytes of the last value m saw.
func (cv *conv) obxMemo(m *textMemo, v hl7.Value, f func(string) string) string {
	if raw := v.Raw(); m.set && bytes.Equal(raw, m.raw) {
		return m.text
	}
	m.text = f(cv.text(v))
	m.raw, m.set = v.Raw(), true
	return m.text
}

// obxInterpretation maps OBX-8 to Observation.interpretation, through the guide's
// InterpretationCodes map. It is apart from obxElements because the JSON path keeps its
// JSON from one OBX to the next (see conv.appendInterpretation).
func (cv *conv) obxInterpretation(obx hl7.Segment) []CodeableConcept {
	return cv.concepts(obx, 8, vocabInterpretation)
}

// obxLinks sets the elements of ob that refer to other resources, which it adds to the
// Bundle: performers (OBX-15, OBX-16, OBX-23 with OBX-24, OBX-25, in that order) and the
// filler's identifier (OBX-21), whose assigner is an Organization.
func (cv *conv) obxLinks(ob *Observation, obx hl7.Segment) {
	if ref := cv.organizationCWE(field(obx, 15)); ref != nil {
		ob.Performer = append(ob.Performer, *ref)
	}
	for _, r := range reps(obx, 16) {
		if ref := cv.practitioner(r); ref != nil {
			ob.Performer = append(ob.Performer, *ref)
		}
	}
	if id := cv.identifierEI(field(obx, 21)); id != nil {
		id.Type = cv.fixedType("FILL")
		ob.Identifier = append(ob.Identifier, *id)
	}
	// OBX-23..25: the performing organization, with its address, and its medical director.
	if o := cv.newOrgXON(field(obx, 23)); o != nil {
		if a := cv.address(field(obx, 24)); a != nil {
			o.Address = append(o.Address, *a)
		}
		r, _ := cv.add(o, &o.base, cv.orgKey(o))
		ob.Performer = append(ob.Performer, *cv.ref(r))
	}
	for _, r := range reps(obx, 25) {
		if ref := cv.practitioner(r); ref != nil {
			ob.Performer = append(ob.Performer, *ref)
		}
	}
}

// obsValue is one value of OBX-5, in the FHIR type OBX-2 selects.
type obsValue struct {
	quantity   *Quantity
	concept    *CodeableConcept
	str        string
	rng        *Range
	ratio      *Ratio
	time       string
	dateTime   string
	period     *Period
	attachment *Attachment
}

func (x *obsValue) set() bool {
	return x.quantity != nil || x.concept != nil || x.str != "" || x.rng != nil || x.ratio != nil || x.time != "" || x.dateTime != "" || x.period != nil
}

// value maps one repetition of OBX-5 by its type OBX-2, as the OBX-5 rows of OBX[Observation]
// say: NM as a Quantity with OBX-6 units, ST/TX/FT as a string, CWE/CE/CNE/IS as a
// CodeableConcept, SN as a Quantity, Range or Ratio, DT/DTM/TS as a dateTime, TM as a time,
// DR as a Period, NR as a Range, ED and RP as an Attachment. A value that does not read as
// its type becomes a string, so that no data is lost.
func (cv *conv) value(x *obsValue, vt string, v hl7.Value, units hl7.Value) {
	switch vt {
	case "NM":
		if d, ok := decimal(cv.text(v)); ok {
			x.quantity = cv.p.quantities.one()
			x.quantity.Value = d
			cv.unit(x.quantity, units)
			return
		}
	case "ST", "TX", "FT":
		x.str = cv.wholeText(v)
		return
	case "CWE", "CE", "CNE", "CF", "IS", "ID":
		if vt == "IS" || vt == "ID" {
			x.concept = cv.concept1(cv.text(v), "", &conceptMap{})
		} else {
			x.concept = cv.concept(v, nil)
		}
		if x.concept != nil {
			return
		}
	case "SN":
		if cv.structuredNumeric(x, v, units) {
			return
		}
		// The guide's last SN row (when no Quantity, Range or Ratio reads): the
		// components and the units of OBX-6 as a string.
		if x.str = cv.snString(v, units); x.str != "" {
			return
		}
	case "DT", "DTM", "TS":
		if dt := cv.dateTime(v.Comp(1)); dt != "" {
			x.dateTime = dt
			return
		}
	case "TM":
		if t := timeOfDay(strings.SplitN(strings.SplitN(cv.text(v), "+", 2)[0], "-", 2)[0]); t != "" {
			x.time = t
			return
		}
	case "DR":
		if p := cv.periodDRSub(v.Comp(1)); p != nil || cv.periodOf(v.Comp(1), v.Comp(2)) != nil {
			x.period = cv.periodOf(v.Comp(1), v.Comp(2))
			if x.period != nil {
				return
			}
		}
	case "NR":
		lo, okL := decimal(cv.comp(v, 1))
		hi, okH := decimal(cv.comp(v, 2))
		if okL || okH {
			x.rng = &Range{}
			if okL {
				x.rng.Low = &Quantity{Value: lo}
			}
			if okH {
				x.rng.High = &Quantity{Value: hi}
			}
			return
		}
	case "VR":
		x.str = strings.Trim(cv.comp(v, 1)+"-"+cv.comp(v, 2), "-")
		return
	case "ED":
		if a := cv.attachmentED(v); a != nil {
			x.attachment = a
			return
		}
	case "RP":
		if u := cv.comp(v, 1); u != "" {
			x.attachment = &Attachment{URL: u}
			if t := cv.comp(v, 3); t != "" {
				x.attachment.ContentType = mimeOf(t, cv.comp(v, 4))
			}
			return
		}
	}
	x.str = cv.fullText(v)
}

// fullText returns a repetition as text with its components joined by spaces: a string
// value whose sender used components is kept whole. Text types (ST, TX, FT) have no
// sub-components, so a sub-component separator in one is the sender's unescaped "&"
// ("Tom & Jerry"): it is kept as that character, not taken as the end of the text.
// Control characters are replaced, as text replaces them (see fhirString).
func (cv *conv) fullText(v hl7.Value) string { return cv.fullTextAs(v, false) }

// fullData is fullText for the lines of a document that becomes base64 attachment data:
// control characters stay, as dataText keeps them.
func (cv *conv) fullData(v hl7.Value) string { return cv.fullTextAs(v, true) }

func (cv *conv) fullTextAs(v hl7.Value, data bool) string {
	if v.IsLeaf() {
		return cv.leafAs(&v, 1, 1, data)
	}
	var parts []string
	for _, c := range v.Comps() {
		if c.IsNull() {
			continue
		}
		s := c.String()
		if !c.IsLeaf() {
			var b strings.Builder
			for j, sc := range c.Subs() {
				if j > 1 {
					b.WriteByte(cv.delims.SubComponent)
				}
				b.WriteString(sc.String())
			}
			s = b.String()
		}
		if s = strings.TrimSpace(s); s != "" {
			parts = append(parts, s)
		}
	}
	if data {
		return strings.Join(parts, " ")
	}
	return cv.fhirString(strings.Join(parts, " "))
}

// wholeText returns a value of a text type (ST, TX, FT: no components) as the sender wrote
// it: a "^" or "&" left unescaped in it is the sender's character, kept as such ("BP 120^80"),
// with the escapes decoded.
func (cv *conv) wholeText(v hl7.Value) string {
	if v.IsLeaf() {
		return cv.leafAs(&v, 1, 1, false)
	}
	var b strings.Builder
	for i, c := range v.Comps() {
		if i > 1 {
			b.WriteByte(cv.delims.Component)
		}
		for j, sc := range c.Subs() {
			if j > 1 {
				b.WriteByte(cv.delims.SubComponent)
			}
			b.WriteString(sc.String())
		}
	}
	return cv.fhirString(strings.TrimSpace(b.String()))
}

// structuredNumeric maps an SN (SN[Quantity], SN[Range], SN[Ratio]): comparator, numbers
// and separator; "<>" and other forms FHIR cannot hold become a string.
func (cv *conv) structuredNumeric(x *obsValue, v hl7.Value, units hl7.Value) bool {
	cmp, n1, sep, n2 := cv.comp(v, 1), cv.comp(v, 2), cv.comp(v, 3), cv.comp(v, 4)
	orig := strings.Join(appendNonEmpty(nil, cmp, n1, sep, n2), " ")
	if cmp == "<>" || sep == "+" {
		x.str = cv.snString(v, units)
		return x.str != ""
	}
	d1, ok1 := decimal(n1)
	d2, ok2 := decimal(n2)
	switch sep {
	case "":
		if !ok1 || n2 != "" {
			return false
		}
		q := &Quantity{Value: d1}
		switch cmp {
		case "", "=":
		case "<", "<=", ">=", ">":
			q.Comparator = cmp
		default:
			return false
		}
		cv.unit(q, units)
		x.quantity = q
	case "-":
		if !ok1 || !ok2 || cmp != "" && cmp != "=" {
			return false
		}
		lo, hi := &Quantity{Value: d1}, &Quantity{Value: d2}
		cv.unit(lo, units)
		cv.unit(hi, units)
		x.rng = &Range{Low: lo, High: hi, Extension: []Extension{{URL: extOriginalText, ValueString: orig}}}
	case ":", "/":
		if !ok1 || !ok2 {
			return false
		}
		num, den := &Quantity{Value: d1}, &Quantity{Value: d2}
		switch cmp {
		case "", "=":
		case "<", "<=", ">=", ">":
			num.Comparator = cmp
		default:
			return false
		}
		x.ratio = &Ratio{Numerator: num, Denominator: den, Extension: []Extension{{URL: extOriginalText, ValueString: orig}}}
	default:
		return false
	}
	return true
}

// snString renders an SN as the guide's string rows for SN values have it:
// OBX-5.1+" "+OBX-5.2+" "+OBX-5.3+" "+OBX-5.4+" "+OBX-6, without the empty parts; the unit
// is OBX-6.1.
func (cv *conv) snString(v hl7.Value, units hl7.Value) string {
	return strings.Join(appendNonEmpty(nil, cv.comp(v, 1), cv.comp(v, 2), cv.comp(v, 3), cv.comp(v, 4), cv.comp(units, 1)), " ")
}

// attachmentED maps an ED (ED[Attachment]): the type of data, the encoding and the data,
// decoded from hexadecimal when ED.4 is "Hex" and re-encoded as base64.
func (cv *conv) attachmentED(v hl7.Value) *Attachment {
	data := cv.dataText(v.Comp(5))
	if data == "" {
		return nil
	}
	a := &Attachment{}
	a.ContentType = mimeOf(cv.comp(v, 2), cv.comp(v, 3))
	switch strings.ToUpper(cv.comp(v, 4)) {
	case "BASE64":
		clean := strings.Map(func(r rune) rune {
			if r == ' ' || r == '\n' || r == '\r' || r == '\t' {
				return -1
			}
			return r
		}, data)
		if _, err := base64.StdEncoding.DecodeString(clean); err != nil {
			return nil
		}
		a.Data = clean
	case "HEX":
		b, err := hex.DecodeString(data)
		if err != nil {
			return nil
		}
		a.Data = base64.StdEncoding.EncodeToString(b)
	default:
		a.Data = base64.StdEncoding.EncodeToString([]byte(data))
	}
	if a.ContentType == "" {
		if t := cv.comp(v, 2); t != "" {
			a.Extension = []Extension{{URL: extAlternateCodes, ValueCodeableConcept: &CodeableConcept{Coding: []Coding{{System: sysV2 + "0191", Code: code(t)}}}}}
		}
	}
	return a
}

// mimeOf builds a MIME type from a v2 type of data (ED.2, table 0191) and subtype (ED.3,
// table 0291), which v2 senders use for MIME types; it returns "" when they do not make one.
func mimeOf(typ, subtype string) string {
	t := strings.ToLower(code(typ))
	st := strings.ToLower(code(subtype))
	switch t {
	case "ap", "application":
		t = "application"
	case "tx", "text":
		t = "text"
	case "im", "image":
		t = "image"
	case "au", "audio":
		t = "audio"
	case "video", "multipart":
	default:
		if strings.Contains(st, "/") {
			return st
		}
		return ""
	}
	switch st {
	case "":
		if t == "text" {
			return "text/plain"
		}
		return ""
	case "octet-stream", "pdf", "rtf", "xml", "html", "plain", "jpeg", "png", "gif", "tiff", "dicom":
	default:
		if strings.ContainsAny(st, " /") {
			return ""
		}
	}
	return t + "/" + st
}

// obxKey is the business key of an observation: its group's key, the position of the OBX in
// the group, its code and sub-ID. It is built in the conversion's key buffer, valid until
// the next call, since it is only hashed into the Observation's id.
func (cv *conv) obxKey(group string, n int, obx hl7.Segment) []byte {
	b := cv.key[:0]
	b = append(b, group...)
	b = append(b, "/obx/"...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, '/')
	b = append(b, cv.comp(field(obx, 3), 1)...)
	b = append(b, '/')
	b = append(b, cv.text(field(obx, 4))...)
	cv.key = b
	return b
}
