package fhir

import (
	"strconv"

	"github.com/courier-hl7/courier/hl7"
)

const (
	extCallbackPhone  = "http://hl7.org/fhir/StructureDefinition/servicerequest-order-callback-phone-number"
	extStatusReason   = "http://hl7.org/fhir/StructureDefinition/request-statusReason"
	extEventStatusRsn = "http://hl7.org/fhir/StructureDefinition/event-statusReason"
)

// orderState is the order group being mapped: the ORC, the ServiceRequest and, in results,
// the DiagnosticReport made from it.
type orderState struct {
	orc      hl7.Segment
	hasORC   bool
	sr       *ServiceRequest
	srRef    *Reference
	report   *DiagnosticReport
	repRef   *Reference
	repKey   string
	obs      *Observation // the last OBX, for its NTEs
	specimen *Reference   // the last SPM
	nObs     int
	// basedOn is the basedOn of the group's observations in a conversion to bytes, which
	// they share (see conv.basedOn).
	basedOn []Reference
}

// basedOn returns the basedOn of an observation of the order group o: a reference to its
// ServiceRequest. The observations of a conversion to bytes share one slice, since nothing
// modifies it and none of it outlives the call; those of a Bundle have one each.
func (cv *conv) basedOn(o *orderState) []Reference {
	if !cv.direct {
		return cv.p.ref1(*o.srRef)
	}
	if o.basedOn == nil {
		o.basedOn = cv.p.ref1(*o.srRef)
	}
	return o.basedOn
}

// orderKey is the business key of an order: its placer order number (ORC-2, else OBR-2)
// with the assigning authority, else the filler order number, else this segment.
func (cv *conv) orderKey(orc hl7.Segment, hasORC bool, obr hl7.Segment, hasOBR bool) string {
	for _, f := range [...]struct {
		s    hl7.Segment
		ok   bool
		n    int
		kind string
	}{{orc, hasORC, 2, "placer"}, {obr, hasOBR, 2, "placer"}, {orc, hasORC, 3, "filler"}, {obr, hasOBR, 3, "filler"}} {
		if !f.ok {
			continue
		}
		v := field(f.s, f.n)
		if val := cv.comp(v, 1); val != "" {
			return cv.concat(f.kind, "|", cv.comp(v, 2), "|", cv.comp(v, 3), "|", val)
		}
	}
	if hasOBR {
		return cv.localKey(obr, "order")
	}
	return cv.localKey(orc, "order")
}

// serviceRequest maps ORC (ORC[ServiceRequest]) and OBR (OBR[ServiceRequest]), either of
// which may be missing, to a ServiceRequest.
func (cv *conv) serviceRequest(orc hl7.Segment, hasORC bool, obr hl7.Segment, hasOBR bool) (*ServiceRequest, *Reference) {
	sr := alloc(cv, &cv.p.requests)
	sr.base.Type, sr.Intent, sr.Subject, sr.Encounter = "ServiceRequest", "order", cv.patientRef, cv.encRef
	obrVal := func(n int) hl7.Value {
		if !hasOBR {
			return hl7.Value{}
		}
		return field(obr, n)
	}
	orcVal := func(n int) hl7.Value {
		if !hasORC {
			return hl7.Value{}
		}
		return field(orc, n)
	}
	// Identifiers: placer and filler from OBR when valued, else from ORC, and room for
	// those that may follow.
	sr.Identifier = cv.p.identifiers.many(4)
	for _, p := range [...]struct {
		n   int
		typ string
	}{{2, "PLAC"}, {3, "FILL"}} {
		v := obrVal(p.n)
		if cv.comp(v, 1) == "" {
			v = orcVal(p.n)
		}
		if id := cv.identifierEI(v); id != nil {
			id.Type = cv.fixedType(p.typ)
			sr.Identifier = append(sr.Identifier, *id)
		}
	}
	if hasORC {
		if g := field(orc, 4); cv.comp(g, 1) != "" {
			sr.Requisition = &Identifier{Value: cv.sub(g, 1, 1), Type: cv.fixedType("PGN")}
			if ns, uid, typ := cv.sub(g, 1, 2), cv.sub(g, 1, 3), cv.sub(g, 1, 4); ns != "" || uid != "" {
				sr.Requisition.System = cv.authority(ns, uid, typ)
			}
		}
		if g := field(orc, 4); cv.comp(g, 2) != "" && !cv.valued(field(orc, 38)) {
			sr.Identifier = append(sr.Identifier, Identifier{Value: cv.sub(g, 2, 1), Type: cv.fixedType("FGN")})
		}
		status := field(orc, 5)
		if s := cv.codeOf(status, vocabOrderStatus); s != "" {
			sr.Status = s
		} else if !cv.valued(status) {
			sr.Status = cv.codeOf(field(orc, 1), vocabOrderControl)
			if cc := cv.concept(field(orc, 16), nil); cc != nil {
				sr.Extension = append(sr.Extension, Extension{URL: extStatusReason, ValueCodeableConcept: cc})
			}
		}
		if cv.comp(field(orc, 1), 1) == "NW" {
			sr.AuthoredOn = cv.dateTime(field(orc, 9))
		}
		for _, r := range reps(orc, 12) {
			if ref := cv.practitioner(r); ref != nil {
				sr.Requester = ref
				break
			}
		}
		if !cv.valued(obrVal(17)) {
			for _, r := range reps(orc, 14) {
				if cp := cv.contactPoint(r); cp != nil {
					sr.Extension = append(sr.Extension, Extension{URL: extCallbackPhone, ValueContactPoint: cp})
					break
				}
			}
		}
		if c := cv.coding(field(orc, 28), vocabConfidentiality); c != nil {
			sr.Meta = &Meta{Security: []Coding{*c}}
		}
		if cc := cv.concept(field(orc, 29), nil); cc != nil {
			sr.LocationCode = append(sr.LocationCode, *cc)
		}
		if !cv.valued(obrVal(53)) {
			if id := cv.identifierCX(field(orc, 33)); id != nil {
				id.Type = cv.fixedType("PLAC")
				sr.Identifier = append(sr.Identifier, *id)
			}
		}
		if id := cv.identifierEI(field(orc, 38)); id != nil {
			sr.Identifier = append(sr.Identifier, Identifier{Value: id.Value, System: id.System, Type: cv.fixedType("FGN")})
		}
	}
	if hasOBR {
		sr.Code = cv.concept(field(obr, 4), nil)
		sr.Priority = cv.codeOf(field(obr, 5), vocabPriority)
		sr.OccurrenceDateTime = cv.dateTime(field(obr, 6))
		if cv.comp(field(obr, 11), 1) == "G" {
			sr.Intent = "reflex-order"
		}
		if sr.Requester == nil {
			for _, r := range reps(obr, 16) {
				if ref := cv.practitioner(r); ref != nil {
					sr.Requester = ref
					break
				}
			}
		}
		if cp := cv.contactPoint(field(obr, 17)); cp != nil && sr.Requester != nil {
			sr.Extension = append(sr.Extension, Extension{URL: extCallbackPhone, ValueContactPoint: cp})
		}
		if p := field(obr, 29); cv.valued(p) && !cv.valued(field(obr, 50)) {
			if id := cv.identifierEISub(p, 1); id != nil {
				id.Type = cv.fixedType("PGN")
				sr.BasedOn = append(sr.BasedOn, Reference{Type: "ServiceRequest", Identifier: id})
			}
			if id := cv.identifierEISub(p, 2); id != nil {
				id.Type = cv.fixedType("FGN")
				sr.BasedOn = append(sr.BasedOn, Reference{Type: "ServiceRequest", Identifier: id})
			}
		}
		for _, r := range reps(obr, 31) {
			if cc := cv.concept(r, nil); cc != nil {
				sr.ReasonCode = append(sr.ReasonCode, *cc)
			}
		}
		for _, n := range [...]int{46, 47} {
			for _, r := range reps(obr, n) {
				if cc := cv.concept(r, nil); cc != nil {
					sr.OrderDetail = append(sr.OrderDetail, *cc)
				}
			}
		}
		if id := cv.identifierCX(field(obr, 53)); id != nil {
			id.Type = cv.fixedType("PLAC")
			sr.Identifier = append(sr.Identifier, *id)
		}
		if !hasORC || !cv.valued(field(orc, 7)) && !cv.valued(field(orc, 6)) {
			cv.timingTQ(sr, field(obr, 27))
		}
	}
	if hasORC {
		cv.timingTQ(sr, field(orc, 7))
	}
	if sr.Status == "" {
		sr.Status = "unknown"
	}
	r, added := cv.add(sr, &sr.base, cv.orderKey(orc, hasORC, obr, hasOBR))
	if !added {
		return r.(*ServiceRequest), cv.ref(r)
	}
	return sr, cv.ref(r)
}

// timingTQ maps the parts of a TQ (TQ[ServiceRequest]) that FHIR R4 holds: quantity,
// start and end, and priority.
func (cv *conv) timingTQ(sr *ServiceRequest, v hl7.Value) {
	if !cv.valued(v) {
		return
	}
	if q := cv.cq(v.Comp(1)); q != nil && sr.QuantityQuantity == nil {
		sr.QuantityQuantity = q
	}
	start, end := cv.dateTime(v.Comp(4)), cv.dateTime(v.Comp(5))
	if start != "" || end != "" {
		if sr.OccurrenceTiming == nil {
			sr.OccurrenceTiming = &Timing{}
		}
		sr.OccurrenceTiming.Repeat = &TimingRepeat{BoundsPeriod: &Period{Start: start, End: end}}
	}
	if p := vocabPriority.code(code(cv.comp(v, 6)), ""); p != "" && sr.Priority == "" {
		sr.Priority = p
	}
}

// timing maps TQ1 into the current ServiceRequest (TQ1[ServiceRequest]).
func (cv *conv) timing(o *orderState, tq1 hl7.Segment) {
	sr := o.sr
	if sr == nil {
		return
	}
	if q := cv.cq(field(tq1, 2)); q != nil {
		sr.QuantityQuantity = q
	}
	t := &Timing{}
	rep := &TimingRepeat{}
	for _, r := range reps(tq1, 4) {
		if s := timeOfDay(cv.text(r)); s != "" {
			rep.TimeOfDay = append(rep.TimeOfDay, s)
		}
	}
	// TQ1-7 and TQ1-8 bound the period. The guide maps TQ1-8 "IF TQ1-6 NOT VALUED" and has
	// TQ1-6 (service duration) give the end from the start, or the start from the end, when
	// one of them is missing (TQ1[ServiceRequest], rows TQ1-6 and TQ1-8). With all three
	// given, no row maps the end: the end the sender gave is kept rather than dropped.
	start, end := cv.dateTime(field(tq1, 7)), cv.dateTime(field(tq1, 8))
	if dur := field(tq1, 6); (start == "") != (end == "") && cv.valued(dur) {
		if d, ok := minutes(cv.comp(dur, 1), cv.sub(dur, 2, 1)); ok {
			if t, ok := cv.time(field(tq1, 7)); ok && start != "" {
				end = v2Time{t: t.t.Add(d), prec: t.prec}.dateTime()
			} else if t, ok := cv.time(field(tq1, 8)); ok && end != "" {
				start = v2Time{t: t.t.Add(-d), prec: t.prec}.dateTime()
			}
		}
	}
	if start != "" || end != "" {
		rep.BoundsPeriod = &Period{Start: start, End: end}
	}
	if d, ok := decimal(cv.comp(field(tq1, 13), 1)); ok {
		if u := ucumTime(cv.sub(field(tq1, 13), 2, 1)); u != "" {
			rep.Duration, rep.DurationUnit = d, u
		}
	}
	if n := cv.text(field(tq1, 14)); digits(n) && len(n) < 9 && atoi(n) > 0 {
		rep.CountMax = atoi(n)
	}
	if rep.BoundsPeriod != nil || len(rep.TimeOfDay) > 0 || rep.Duration != "" || rep.CountMax > 0 {
		t.Repeat = rep
		sr.OccurrenceTiming = t
	}
	if p := cv.codeOf(field(tq1, 9), vocabPriority); p != "" {
		sr.Priority = p
	}
	if s := cv.text(field(tq1, 11)); s != "" {
		sr.Note = append(sr.Note, Annotation{Text: s})
	}
}

// timeOfDay reads a v2 TM (HH[MM[SS]]) or a time written HH:MM[:SS] as a FHIR time.
func timeOfDay(s string) string {
	b := make([]byte, 0, 8)
	for i := 0; i < len(s); i++ {
		if s[i] != ':' {
			b = append(b, s[i])
		}
	}
	s = string(b)
	if !digits(s) || len(s)%2 != 0 || len(s) < 2 || len(s) > 6 {
		return ""
	}
	for len(s) < 6 {
		s += "00"
	}
	if atoi(s[0:2]) > 23 || atoi(s[2:4]) > 59 || atoi(s[4:6]) > 59 {
		return ""
	}
	return s[0:2] + ":" + s[2:4] + ":" + s[4:6]
}

// ucumTime returns the FHIR units-of-time code for a v2 or UCUM time unit, or "".
func ucumTime(u string) string {
	switch u {
	case "s", "S", "sec":
		return "s"
	case "min", "m", "M":
		return "min"
	case "h", "hr", "H":
		return "h"
	case "d", "D":
		return "d"
	case "wk", "W":
		return "wk"
	case "mo":
		return "mo"
	case "a", "Y":
		return "a"
	}
	return ""
}

// note maps an NTE to an Annotation (NTE[Observation], NTE[ServiceRequest]), or reports
// false when it has no text.
func (cv *conv) note(nte hl7.Segment) (Annotation, bool) {
	var lines []string
	for _, r := range reps(nte, 3) {
		// NTE-3 is FT: the whole repetition is the comment, even when the sender left
		// a "^" or "&" in it unescaped.
		if s := cv.wholeText(r); s != "" {
			lines = append(lines, s)
		}
	}
	if len(lines) == 0 {
		return Annotation{}, false
	}
	a := Annotation{Text: joinLines(lines)}
	for _, r := range reps(nte, 5) {
		if ref := cv.practitioner(r); ref != nil {
			a.AuthorReference = ref
			break
		}
	}
	a.Time = cv.dateTime(field(nte, 6))
	return a, true
}

func joinLines(ls []string) string {
	n := 0
	for _, l := range ls {
		n += len(l) + 1
	}
	b := make([]byte, 0, n)
	for i, l := range ls {
		if i > 0 {
			b = append(b, '\n')
		}
		b = append(b, l...)
	}
	return string(b)
}

// report maps OBR and ORC to a DiagnosticReport (OBR[DiagnosticReport],
// ORC[DiagnosticReport]) based on the order's ServiceRequest.
func (cv *conv) report(o *orderState, obr hl7.Segment) {
	d := alloc(cv, &cv.p.reports)
	d.base.Type, d.Subject, d.Encounter = "DiagnosticReport", cv.patientRef, cv.encRef
	if o.srRef != nil {
		d.BasedOn = cv.p.ref1(*o.srRef)
	}
	d.Identifier = cv.p.identifiers.many(4)
	for _, p := range [...]struct {
		n   int
		typ string
	}{{2, "PLAC"}, {3, "FILL"}} {
		for _, v := range [...]hl7.Value{field(obr, p.n), orcField(o, p.n)} {
			if id := cv.identifierEI(v); id != nil {
				id.Type = cv.fixedType(p.typ)
				if !hasIdentifier(d.Identifier, id) {
					d.Identifier = append(d.Identifier, *id)
				}
			}
		}
	}
	if g := orcField(o, 4); cv.valued(g) {
		if s := cv.sub(g, 1, 1); s != "" {
			d.Identifier = append(d.Identifier, Identifier{Value: s, Type: cv.fixedType("PGN")})
		}
		if s := cv.sub(g, 2, 1); s != "" {
			d.Identifier = append(d.Identifier, Identifier{Value: s, Type: cv.fixedType("FGN")})
		}
	}
	d.Code = cv.concept(field(obr, 4), nil)
	if d.Code == nil {
		d.Code = &CodeableConcept{Extension: []Extension{{URL: extDataAbsent, ValueCode: "unknown"}}}
	}
	start, end := cv.dateTime(field(obr, 7)), cv.dateTime(field(obr, 8))
	if end != "" {
		d.EffectivePeriod = &Period{Start: start, End: end}
	} else {
		d.EffectiveDateTime = start
	}
	d.Issued = cv.instant(field(obr, 22))
	if cc := cv.concept1(cv.comp(field(obr, 24), 1), "0074", vocabServiceSection); cc != nil {
		d.Category = append(d.Category, *cc)
	}
	d.Status = cv.codeOf(field(obr, 25), vocabReportStatus)
	if d.Status == "" {
		d.Status = "unknown"
	}
	if o.hasORC {
		if cc := cv.concept(field(o.orc, 16), nil); cc != nil {
			d.Extension = append(d.Extension, Extension{URL: extEventStatusRsn, ValueCodeableConcept: cc})
		}
		if c := cv.coding(field(o.orc, 28), vocabConfidentiality); c != nil {
			d.Meta = &Meta{Security: []Coding{*c}}
		}
	}
	key := cv.concat(cv.orderKey(o.orc, o.hasORC, obr, true), "/report/", cv.comp(field(obr, 4), 1))
	r, _ := cv.add(d, &d.base, key)
	o.report = r.(*DiagnosticReport)
	o.repRef = cv.ref(r)
	o.repKey = key
	o.nObs = 0
	if sp := cv.specimenOBR(obr, key); sp != nil {
		o.report.Specimen = append(o.report.Specimen, *sp)
	}
}

func orcField(o *orderState, n int) hl7.Value {
	if !o.hasORC {
		return hl7.Value{}
	}
	return field(o.orc, n)
}

func hasIdentifier(ids []Identifier, id *Identifier) bool {
	for _, x := range ids {
		if x.Value == id.Value && x.System == id.System {
			return true
		}
	}
	return false
}

// specimenOBR maps the specimen fields of OBR (OBR[Specimen]) when OBR names a specimen
// source (OBR-15), volume (OBR-9) or collector (OBR-10); the collection time alone is the
// report's effective time, not a specimen.
func (cv *conv) specimenOBR(obr hl7.Segment, key string) *Reference {
	if !cv.valued(field(obr, 15)) && !cv.valued(field(obr, 9)) && !cv.valued(field(obr, 10)) {
		return nil
	}
	sp := &Specimen{base: base{Type: "Specimen"}, Subject: cv.patientRef}
	if id := cv.identifierEI(field(obr, 2)); id != nil {
		sp.AccessionIdentifier = id
	}
	col := &SpecimenCollection{}
	start, end := cv.dateTime(field(obr, 7)), cv.dateTime(field(obr, 8))
	if end != "" {
		col.CollectedPeriod = &Period{Start: start, End: end}
	} else {
		col.CollectedDateTime = start
	}
	col.Quantity = cv.cq(field(obr, 9))
	for _, r := range reps(obr, 10) {
		if ref := cv.practitioner(r); ref != nil {
			col.Collector = ref
			break
		}
	}
	sp.ReceivedTime = cv.dateTime(field(obr, 14))
	// OBR-15 (SPS[Specimen-Source]): type, additive, collection method text, body site.
	sps := field(obr, 15)
	if c := cv.sub(sps, 1, 1); c != "" {
		sp.Type = cv.conceptSub(sps, 1, vocabSpecimenType)
	}
	if cc := cv.conceptSub(sps, 2, vocabAdditive); cc != nil {
		sp.Container = append(sp.Container, SpecimenContainer{AdditiveCodeableConcept: cc})
	}
	if s := cv.comp(sps, 3); s != "" {
		sp.Note = append(sp.Note, Annotation{Text: s})
	}
	col.BodySite = cv.conceptSub(sps, 4, vocabSourceSite)
	if cc := cv.conceptSub(sps, 6, vocabSpecimenCond); cc != nil {
		sp.Condition = append(sp.Condition, *cc)
	}
	if col.CollectedDateTime != "" || col.CollectedPeriod != nil || col.Quantity != nil || col.Collector != nil || col.BodySite != nil {
		sp.Collection = col
	}
	for _, r := range reps(obr, 39) {
		if s := cv.cweString(r); s != "" {
			sp.Note = append(sp.Note, Annotation{Text: s})
		}
	}
	r, _ := cv.add(sp, &sp.base, key+"/obr-specimen")
	return cv.ref(r)
}

// conceptSub maps a CWE held in component i (its parts are sub-components).
func (cv *conv) conceptSub(v hl7.Value, i int, m *conceptMap) *CodeableConcept {
	c := code(cv.sub(v, i, 1))
	disp := cv.sub(v, i, 2)
	if c == "" && disp == "" {
		return nil
	}
	cc := &CodeableConcept{}
	if c != "" {
		sys := cv.sub(v, i, 3)
		if m != nil {
			if r, ok := m.lookup(c, sys); ok {
				cc.addCoding(Coding{System: r.TSystem, Code: r.Target, Display: r.Display})
			}
		}
		cc.addCoding(Coding{System: cv.system(sys), Code: c, Display: disp})
	} else {
		cc.Text = disp
	}
	return cc
}

// specimen maps SPM (SPM[Specimen]).
func (cv *conv) specimen(o *orderState, spm hl7.Segment) *Reference {
	sp := &Specimen{base: base{Type: "Specimen"}, Subject: cv.patientRef}
	ids := field(spm, 2)
	if id := cv.identifierEISub(ids, 1); id != nil {
		id.Type = cv.fixedType("PGN")
		sp.Identifier = append(sp.Identifier, *id)
	}
	if id := cv.identifierEISub(ids, 2); id != nil {
		id.Type = cv.fixedType("FGN")
		sp.Identifier = append(sp.Identifier, *id)
	}
	for _, r := range reps(spm, 3) {
		for i, t := range [...]string{"PGN", "FGN"} {
			if id := cv.identifierEISub(r, i+1); id != nil {
				id.Type = cv.fixedType(t)
				sp.Parent = append(sp.Parent, Reference{Type: "Specimen", Identifier: id})
			}
		}
	}
	sp.Type = cv.concept(field(spm, 4), vocabSpecimenType)
	for _, r := range reps(spm, 6) {
		if cc := cv.concept(r, vocabAdditive); cc != nil {
			sp.Container = append(sp.Container, SpecimenContainer{AdditiveCodeableConcept: cc})
		}
	}
	col := &SpecimenCollection{}
	col.Method = cv.concept(field(spm, 7), vocabCollectionMethod)
	col.BodySite = cv.concept(field(spm, 8), vocabSourceSite)
	col.Quantity = cv.cq(field(spm, 12))
	for _, r := range reps(spm, 14) {
		if s := cv.text(r); s != "" {
			sp.Note = append(sp.Note, Annotation{Text: s})
		}
	}
	dr := field(spm, 17)
	if cv.comp(dr, 2) != "" {
		col.CollectedPeriod = cv.periodDR(dr)
	} else {
		col.CollectedDateTime = cv.dateTime(dr.Comp(1))
	}
	if col.Method != nil || col.BodySite != nil || col.Quantity != nil || col.CollectedPeriod != nil || col.CollectedDateTime != "" {
		sp.Collection = col
	}
	sp.ReceivedTime = cv.dateTime(field(spm, 18))
	sp.Status = cv.codeOf(field(spm, 20), vocabAvailability)
	for _, r := range reps(spm, 24) {
		if cc := cv.concept(r, vocabSpecimenCond); cc != nil {
			sp.Condition = append(sp.Condition, *cc)
		}
	}
	if cc := cv.concept(field(spm, 27), vocabContainerType); cc != nil {
		if len(sp.Container) > 0 {
			sp.Container[0].Type = cc
		} else {
			sp.Container = append(sp.Container, SpecimenContainer{Type: cc})
		}
	}
	sp.AccessionIdentifier = cv.identifierCX(field(spm, 30))
	for _, r := range reps(spm, 31) {
		if id := cv.identifierCX(r); id != nil {
			sp.Identifier = append(sp.Identifier, *id)
		}
	}
	if id := cv.identifierEI(field(spm, 32)); id != nil {
		id.Type = cv.fixedType("SHIP")
		sp.Identifier = append(sp.Identifier, *id)
	}
	key := ""
	if len(sp.Identifier) > 0 {
		key = "spm|" + sp.Identifier[0].System + "|" + sp.Identifier[0].Value
	} else if o.repKey != "" {
		key = o.repKey + "/spm/" + cv.text(field(spm, 1)) + "/" + strconv.Itoa(spm.Position())
	} else {
		key = cv.localKey(spm, "specimen")
	}
	r, _ := cv.add(sp, &sp.base, key)
	return cv.ref(r)
}
