package fhir

import (
	"github.com/courier-hl7/courier/hl7"
)

const (
	extSubjectLocation = "http://hl7.org/fhir/StructureDefinition/subject-locationClassification"
	extPlannedStart    = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Encounter.plannedStartDate"
	extPlannedEnd      = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Encounter.plannedEndDate"
	extModeOfArrival   = "http://hl7.org/fhir/StructureDefinition/encounter-modeOfArrival"
)

// participantType returns an Encounter.participant type of v3 ParticipationType.
// The guide gives the attender a coding display and the others a text.
func participantType(code, display string) []CodeableConcept {
	if code == "ATND" {
		return []CodeableConcept{{Coding: []Coding{{System: sysParticipType, Code: code, Display: display}}}}
	}
	return []CodeableConcept{{Coding: []Coding{{System: sysParticipType, Code: code}}, Text: display}}
}

// visit maps PV1 (PV1[Encounter], and PV1-16 into the Patient, PV1[Patient]).
func (cv *conv) visit(pv1 hl7.Segment) {
	if cv.patient == nil {
		return
	}
	e := alloc(cv, &cv.p.encounters)
	e.base.Type, e.Subject = "Encounter", cv.patientRef
	class := field(pv1, 2)
	if c := cv.coding(class, vocabEncounterClass); c != nil {
		if c.System == "" {
			c.System = sysV2 + "0004"
		}
		e.Class = c
	} else {
		e.Class = cv.p.codings.one()
		*e.Class = Coding{System: "http://terminology.hl7.org/CodeSystem/v3-NullFlavor", Code: "UNK", Display: "unknown"}
	}
	locStatus := "active"
	if cv.comp(class, 1) == "P" {
		locStatus = "planned"
	}
	if l := cv.location(field(pv1, 3)); l != nil {
		el := EncounterLocation{Location: l, Status: locStatus}
		// Room for the locations of PV1-6, PV1-11 and PV1-42 too.
		e.Location = append(allocN(cv, &cv.p.encLocations, 4), el)
		// PV1-40, the bed status, is the operational status of the bed or room.
		if bs := code(cv.comp(field(pv1, 40), 1)); bs != "" && (cv.comp(field(pv1, 3), 2) != "" || cv.comp(field(pv1, 3), 3) != "") {
			if loc, ok := cv.byID(l).(*Location); ok {
				loc.OperationalStatus = &Coding{System: sysV2 + "0116", Code: bs}
			}
		}
	}
	if cc := cv.concept(field(pv1, 4), vocabAdmissionType); cc != nil {
		e.Type = append(e.Type, *cc)
	}
	var hosp Hospitalization
	hosp.PreAdmissionIdentifier = cv.identifierCX(field(pv1, 5))
	if l := cv.location(field(pv1, 6)); l != nil {
		e.Location = append(e.Location, EncounterLocation{Location: l, Status: "completed"})
	}
	for _, p := range [...]struct {
		f             int
		code, display string
	}{{7, "ATND", "attender"}, {8, "REF", "referrer"}, {9, "CON", "consultant"}, {17, "ADM", "admitter"}, {52, "PART", "Participation"}} {
		for _, r := range reps(pv1, p.f) {
			if ref := cv.practitioner(r); ref != nil {
				e.Participant = append(e.Participant, EncounterParticipant{Type: participantType(p.code, p.display), Individual: ref})
			}
		}
	}
	e.ServiceType = cv.concept(field(pv1, 10), vocabHospitalService)
	if l := cv.location(field(pv1, 11)); l != nil {
		e.Location = append(e.Location, EncounterLocation{Location: l, Status: "active", Extension: []Extension{{
			URL: extSubjectLocation, ValueCodeableConcept: &CodeableConcept{Coding: []Coding{{System: "http://hl7.org/fhir/ValueSet/subject-location", Code: "temporary"}}},
		}}})
	}
	hosp.ReAdmission = cv.concept(field(pv1, 13), vocabReadmission)
	hosp.AdmitSource = cv.concept(field(pv1, 14), nil)
	for _, r := range reps(pv1, 15) {
		if cc := cv.concept(r, vocabAmbulatory); cc != nil {
			hosp.SpecialArrangement = append(hosp.SpecialArrangement, *cc)
		}
	}
	if cc := cv.concept(field(pv1, 16), vocabVIP); cc != nil {
		hosp.SpecialCourtesy = append(hosp.SpecialCourtesy, *cc)
		cv.patient.Extension = append(cv.patient.Extension, Extension{URL: extImportance, ValueCodeableConcept: cc})
	}
	if id := cv.identifierCX(field(pv1, 19)); id != nil {
		id.Type = &CodeableConcept{Coding: []Coding{{System: sysV20203, Code: "VN"}}, Text: "visit number"}
		e.Identifier = append(e.Identifier, *id)
	}
	hosp.DischargeDisposition = cv.concept(field(pv1, 36), vocabDischarge)
	if cc := cv.concept(field(pv1, 37).Comp(1), nil); cc != nil && cv.comp(field(pv1, 37), 1) != "" {
		l := &Location{base: base{Type: "Location"}, Name: cv.comp(field(pv1, 37), 1)}
		r, _ := cv.add(l, &l.base, "dld|"+cv.comp(field(pv1, 37), 1))
		hosp.Destination = cv.ref(r)
	}
	for _, r := range reps(pv1, 38) {
		if cc := cv.concept(r, vocabDiet); cc != nil {
			hosp.DietPreference = append(hosp.DietPreference, *cc)
		}
	}
	if l := cv.location(field(pv1, 42)); l != nil {
		e.Location = append(e.Location, EncounterLocation{Location: l, Status: "reserved"})
	}
	start, end := cv.dateTime(field(pv1, 44)), cv.dateTime(field(pv1, 45))
	if start != "" || end != "" {
		e.Period = &Period{Start: start, End: end}
	}
	switch {
	case end != "":
		e.Status = "finished"
	default:
		e.Status = cv.codeOf(class, vocabEncounterStatus)
	}
	if e.Status == "" {
		e.Status = "unknown"
	}
	if id := cv.identifierCX(field(pv1, 50)); id != nil {
		e.Identifier = append(e.Identifier, *id)
	}
	if hosp.PreAdmissionIdentifier != nil || hosp.AdmitSource != nil || hosp.ReAdmission != nil || len(hosp.DietPreference) > 0 ||
		len(hosp.SpecialCourtesy) > 0 || len(hosp.SpecialArrangement) > 0 || hosp.Destination != nil || hosp.DischargeDisposition != nil {
		e.Hospitalization = alloc(cv, &cv.p.hospitals)
		*e.Hospitalization = hosp
	}
	var key string
	if len(e.Identifier) > 0 {
		key = cv.concat("vn|", e.Identifier[0].System, "|", cv.sub(field(pv1, 19), 4, 1), "|", e.Identifier[0].Value)
	} else {
		key = cv.localKey(pv1, "encounter")
	}
	r, _ := cv.add(e, &e.base, key)
	cv.encounter = r.(*Encounter)
	cv.encRef = cv.ref(r)
}

// refID returns the id in a reference made by conv.ref.
func refID(r *Reference) string {
	s := r.Reference
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ':' || s[i] == '/' {
			return s[i+1:]
		}
	}
	return s
}

// visitMore maps PV2 into the current Encounter (PV2[Encounter]).
func (cv *conv) visitMore(pv2 hl7.Segment) {
	e := cv.encounter
	if e == nil {
		return
	}
	if l := cv.location(field(pv2, 1)); l != nil {
		e.Location = append(e.Location, EncounterLocation{Location: l, Status: "planned"})
	}
	if cc := cv.concept(field(pv2, 3), nil); cc != nil {
		e.ReasonCode = append(e.ReasonCode, *cc)
	}
	if dt := cv.dateTime(field(pv2, 8)); dt != "" {
		e.Extension = append(e.Extension, Extension{URL: extPlannedStart, ValueDateTime: dt})
	}
	if dt := cv.dateTime(field(pv2, 9)); dt != "" {
		e.Extension = append(e.Extension, Extension{URL: extPlannedEnd, ValueDateTime: dt})
	}
	if d, ok := decimal(cv.text(field(pv2, 11))); ok {
		e.Length = &Quantity{Value: d, Unit: "days", System: sysUCUM, Code: "d"}
	}
	for _, r := range reps(pv2, 13) {
		if ref := cv.practitioner(r); ref != nil {
			e.Participant = append(e.Participant, EncounterParticipant{Type: participantType("REF", "referrer"), Individual: ref})
		}
	}
	e.Priority = cv.concept(field(pv2, 25), vocabEncPriority)
	if c := cv.coding(field(pv2, 38), vocabArrival); c != nil {
		e.Extension = append(e.Extension, Extension{URL: extModeOfArrival, ValueCoding: c})
	}
}
