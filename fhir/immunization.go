package fhir

import "github.com/courier-hl7/courier/hl7"

// immunization maps RXA (RXA[Immunization]) with the ORC before it (ORC[Immunization]).
// Its id comes from the filler order number (ORC-3), else the placer's (ORC-2), else the
// patient, vaccine and time.
func (cv *conv) immunization(orc hl7.Segment, hasORC bool, rxa hl7.Segment) *Immunization {
	im := &Immunization{base: base{Type: "Immunization"}, Patient: cv.patientRef, Encounter: cv.encRef}
	key := ""
	if hasORC {
		for _, p := range [...]struct {
			n   int
			typ string
		}{{2, "PLAC"}, {3, "FILL"}} {
			if id := cv.identifierEI(field(orc, p.n)); id != nil {
				id.Type = cv.fixedType(p.typ)
				im.Identifier = append(im.Identifier, *id)
				key = "order|" + p.typ + "|" + id.System + "|" + cv.comp(field(orc, p.n), 2) + "|" + id.Value
			}
		}
		if g := field(orc, 4); cv.valued(g) {
			if s := cv.sub(g, 2, 1); s != "" {
				im.Identifier = append(im.Identifier, Identifier{Value: s, Type: cv.fixedType("FGN")})
			}
			if s := cv.sub(g, 1, 1); s != "" {
				im.Identifier = append(im.Identifier, Identifier{Value: s, Type: cv.fixedType("PGN")})
			}
		}
		im.Recorded = cv.dateTime(field(orc, 9))
		for _, r := range reps(orc, 12) {
			if ref := cv.practitioner(r); ref != nil {
				im.Performer = append(im.Performer, ImmunizationPerformer{Actor: ref,
					Function: &CodeableConcept{Coding: []Coding{{System: sysV2 + "0443", Code: "OP"}}}})
			}
		}
		if c := cv.coding(field(orc, 28), vocabConfidentiality); c != nil {
			im.Meta = &Meta{Security: []Coding{*c}}
		}
	}
	if t, ok := cv.time(field(rxa, 3)); ok {
		im.OccurrenceDateTime = t.dateTime()
	} else {
		im.OccurrenceString = "unknown"
	}
	im.VaccineCode = cv.concept(field(rxa, 5), nil)
	if im.VaccineCode == nil {
		im.VaccineCode = &CodeableConcept{Extension: []Extension{{URL: extDataAbsent, ValueCode: "unknown"}}}
	}
	if d, ok := decimal(cv.text(field(rxa, 6))); ok && d != "999" {
		im.DoseQuantity = &Quantity{Value: d}
		cv.unit(im.DoseQuantity, field(rxa, 7))
	}
	for _, r := range reps(rxa, 10) {
		if ref := cv.practitioner(r); ref != nil {
			im.Performer = append(im.Performer, ImmunizationPerformer{Actor: ref,
				Function: &CodeableConcept{Coding: []Coding{{System: sysV2 + "0443", Code: "AP"}}}})
		}
	}
	for _, r := range reps(rxa, 15) {
		if s := cv.text(r); s != "" {
			im.LotNumber = s
			break
		}
	}
	im.ExpirationDate = cv.date(field(rxa, 16))
	im.Manufacturer = cv.organizationCWE(field(rxa, 17))
	if cc := cv.concept(field(rxa, 18), nil); cc != nil {
		im.StatusReason = cc
	}
	for _, r := range reps(rxa, 19) {
		if cc := cv.concept(r, nil); cc != nil {
			im.ReasonCode = append(im.ReasonCode, *cc)
		}
	}
	action := code(cv.text(field(rxa, 21)))
	switch {
	case action == "D":
		im.Status = "entered-in-error"
	default:
		im.Status = cv.codeOf(field(rxa, 20), vocabCompletion)
		if im.Status == "" {
			im.Status = "completed"
		}
	}
	if action == "A" {
		if dt := cv.dateTime(field(rxa, 22)); dt != "" {
			im.Recorded = dt
		}
	}
	if l := cv.location(field(rxa, 27)); l != nil {
		im.Location = l
		if a := cv.address(field(rxa, 28)); a != nil {
			if loc, ok := cv.byID(l).(*Location); ok && loc.Address == nil {
				loc.Address = a
			}
		}
	} else if a := cv.address(field(rxa, 28)); a != nil {
		loc := &Location{base: base{Type: "Location"}, Address: a}
		r, _ := cv.add(loc, &loc.base, cv.localKey(rxa, "location"))
		im.Location = cv.ref(r)
	}
	if key == "" {
		key = cv.patKey + "/rxa/" + cv.comp(field(rxa, 5), 1) + "|" + cv.text(field(rxa, 3))
	}
	r, _ := cv.add(im, &im.base, key)
	return r.(*Immunization)
}
