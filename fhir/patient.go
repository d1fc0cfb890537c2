package fhir

import (
	"strings"

	"github.com/courier-hl7/courier/hl7"
)

const (
	extMothersMaiden = "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName"
	extBirthTime     = "http://hl7.org/fhir/StructureDefinition/patient-birthTime"
	extReligion      = "http://hl7.org/fhir/StructureDefinition/patient-religion"
	extBirthPlace    = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
	extCitizenship   = "http://hl7.org/fhir/StructureDefinition/patient-citizenship"
	extNationality   = "http://hl7.org/fhir/StructureDefinition/patient-nationality"
	extAnimal        = "http://hl7.org/fhir/StructureDefinition/patient-animal"
	extDisability    = "http://hl7.org/fhir/StructureDefinition/patient-disability"
	extCongregation  = "http://hl7.org/fhir/StructureDefinition/patient-congregation"
	extImportance    = "http://hl7.org/fhir/StructureDefinition/patient-importance"
	sysSSN           = "http://hl7.org/fhir/sid/us-ssn"
)

// patientFrom maps PID (PID[Patient]) and makes the Patient the subject of what follows.
// The Patient's id comes from its first identifier (PID-3, then PID-2, PID-4): the same
// patient in two messages gets the same id.
func (cv *conv) patientFrom(pid hl7.Segment) {
	p := alloc(cv, &cv.p.patients)
	p.base.Type = "Patient"
	// Room for the identifiers of PID-2, PID-3 and PID-4, with PID-19 and PID-20.
	p.Identifier = cv.p.identifiers.many(min(cv.numReps(pid, 2)+cv.numReps(pid, 3)+cv.numReps(pid, 4)+2, 16))
	for _, n := range [...]int{2, 3, 4} {
		for _, r := range reps(pid, n) {
			if id := cv.identifierCX(r); id != nil {
				p.Identifier = append(p.Identifier, *id)
			}
		}
	}
	for _, r := range reps(pid, 5) {
		if ns := cv.humanNames(r); p.Name == nil {
			p.Name = ns // a slice of its own, which nothing else holds
		} else {
			p.Name = append(p.Name, ns...)
		}
	}
	for _, r := range reps(pid, 6) {
		if s := cv.nameString(r); s != "" {
			p.Extension = append(p.Extension, Extension{URL: extMothersMaiden, ValueString: s})
			break // the extension holds one name
		}
	}
	if t, ok := cv.time(field(pid, 7)); ok {
		p.BirthDate = cv.dateOf(t)
		if t.prec > precDay {
			p.BirthDateExt = &Element{Extension: []Extension{{URL: extBirthTime, ValueDateTime: cv.dateTimeOf(t)}}}
		}
	}
	p.Gender = cv.codeOf(field(pid, 8), vocabSex)
	for _, r := range reps(pid, 9) {
		p.Name = append(p.Name, cv.humanNames(r)...)
	}
	for _, r := range reps(pid, 11) {
		if a := cv.address(r); a != nil {
			if p.Address == nil {
				// Room for the county of PID-12 too.
				p.Address = allocN(cv, &cv.p.addresses, min(cv.numReps(pid, 11)+1, 16))
			}
			p.Address = append(p.Address, *a)
		}
	}
	// PID-12, the county, goes to the one address that has none (PID[Patient] conditions).
	if county := cv.text(field(pid, 12)); county != "" {
		switch {
		case len(p.Address) == 0:
			p.Address = append(p.Address, Address{District: county})
		case len(p.Address) == 1 && p.Address[0].District == "":
			p.Address[0].District = county
		case p.Address[0].District != county:
			p.Address = append(p.Address, Address{District: county})
		}
	}
	for _, n := range [...]struct {
		f   int
		use string
	}{{13, "home"}, {14, "work"}, {40, ""}} {
		for _, r := range reps(pid, n.f) {
			if cp := cv.contactPoint(r); cp != nil {
				if cp.Use == "" && cv.comp(r, 2) == "" {
					cp.Use = n.use
				}
				p.Telecom = append(p.Telecom, *cp)
			}
		}
	}
	if cc := cv.concept(field(pid, 15), vocabLanguage); cc != nil {
		p.Communication = append(p.Communication, Communication{Language: cc})
	}
	p.MaritalStatus = cv.concept(field(pid, 16), vocabMarital)
	if cc := cv.concept(field(pid, 17), vocabReligion); cc != nil {
		p.Extension = append(p.Extension, Extension{URL: extReligion, ValueCodeableConcept: cc})
	}
	if ssn := cv.text(field(pid, 19)); ssn != "" {
		p.Identifier = append(p.Identifier, Identifier{Value: ssn, System: sysSSN, Type: &CodeableConcept{Coding: []Coding{{System: sysV20203, Code: "SS"}}}})
	}
	if dl := field(pid, 20); cv.comp(dl, 1) != "" {
		id := Identifier{Value: cv.comp(dl, 1), Type: cv.fixedType("DL")}
		if s := cv.system(cv.sub(dl, 2, 3)); s != "" {
			id.System = s
		}
		if end := cv.dateTime(dl.Comp(3)); end != "" {
			id.Period = &Period{End: end}
		}
		p.Identifier = append(p.Identifier, id)
	}
	if s := cv.text(field(pid, 23)); s != "" {
		p.Extension = append(p.Extension, Extension{URL: extBirthPlace, ValueAddress: &Address{Text: s}})
	}
	if n := cv.text(field(pid, 25)); n != "" && digits(n) && len(n) < 9 {
		k := atoi(n)
		p.MultipleBirthInteger = &k
	} else if b, ok := yesNo(cv.text(field(pid, 24))); ok {
		p.MultipleBirthBoolean = &b
	}
	for _, n := range [...]struct {
		f   int
		url string
	}{{26, extCitizenship}, {28, extNationality}, {39, extCitizenship}} {
		for _, r := range reps(pid, n.f) {
			if cc := cv.concept(r, nil); cc != nil {
				p.Extension = append(p.Extension, Extension{URL: n.url, Extension: []Extension{{URL: "code", ValueCodeableConcept: cc}}})
			}
		}
	}
	if dt := cv.dateTime(field(pid, 29)); dt != "" {
		p.DeceasedDateTime = dt
	} else if b, ok := yesNo(cv.text(field(pid, 30))); ok {
		p.DeceasedBoolean = &b
	}
	var animal []Extension
	if cc := cv.concept(field(pid, 35), nil); cc != nil {
		animal = append(animal, Extension{URL: "species", ValueCodeableConcept: cc})
	}
	if cc := cv.concept(field(pid, 36), nil); cc != nil {
		animal = append(animal, Extension{URL: "breed", ValueCodeableConcept: cc})
	}
	if len(animal) > 0 {
		p.Extension = append(p.Extension, Extension{URL: extAnimal, Extension: animal})
	}

	key := cv.patientKey(pid, p)
	r, _ := cv.add(p, &p.base, key)
	cv.patient = r.(*Patient)
	cv.patientRef = cv.ref(r)
	cv.patKey = key
	cv.encounter, cv.encRef = nil, nil
}

// patientKey is the business key of a patient: the first identifier of PID-3 (then PID-2,
// PID-4) with its authority, or, failing those, this PID segment in this message.
func (cv *conv) patientKey(pid hl7.Segment, p *Patient) string {
	for _, n := range [...]int{3, 2, 4} {
		for _, r := range reps(pid, n) {
			if v := cv.comp(r, 1); v != "" {
				return cv.concat("cx|", cv.sub(r, 4, 1), "|", cv.sub(r, 4, 2), "|", v)
			}
		}
	}
	return cv.localKey(pid, "patient")
}

// yesNo reads a Y/N indicator (table 0136, YesNoIndicator).
func yesNo(s string) (bool, bool) {
	switch vocabYesNo.code(s, "") {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// additional maps PD1 into the current Patient (PD1[Patient]).
func (cv *conv) additional(pd1 hl7.Segment) {
	p := cv.patient
	if p == nil {
		return
	}
	for _, r := range reps(pd1, 3) {
		if ref := cv.organizationXON(r); ref != nil {
			p.GeneralPractitioner = append(p.GeneralPractitioner, *ref)
		}
	}
	for _, r := range reps(pd1, 4) {
		if ref := cv.practitioner(r); ref != nil {
			p.GeneralPractitioner = append(p.GeneralPractitioner, *ref)
		}
	}
	if cc := cv.concept(field(pd1, 6), nil); cc != nil {
		p.Extension = append(p.Extension, Extension{URL: extDisability, ValueCodeableConcept: cc})
	}
	for _, r := range reps(pd1, 14) {
		s := cv.comp(r, 1)
		if s == "" {
			s = cv.comp(r, 10)
		}
		if s != "" {
			p.Extension = append(p.Extension, Extension{URL: extCongregation, ValueString: s})
			break
		}
	}
}

// nextOfKin maps NK1 to a RelatedPerson (NK1[RelatedPerson]) and to a contact of the
// current Patient (NK1[Patient]).
func (cv *conv) nextOfKin(nk1 hl7.Segment) {
	if cv.patient == nil {
		return
	}
	rp := &RelatedPerson{base: base{Type: "RelatedPerson"}, Patient: cv.patientRef}
	ct := PatientContact{}
	for _, n := range [...]int{12, 33} {
		for _, r := range reps(nk1, n) {
			if id := cv.identifierCX(r); id != nil {
				rp.Identifier = append(rp.Identifier, *id)
			}
		}
	}
	if ssn := cv.text(field(nk1, 37)); ssn != "" {
		rp.Identifier = append(rp.Identifier, Identifier{Value: ssn, System: sysSSN, Type: &CodeableConcept{Coding: []Coding{{System: sysV20203, Code: "SS"}}}})
	}
	for _, r := range reps(nk1, 2) {
		names := cv.humanNames(r)
		rp.Name = append(rp.Name, names...)
		if ct.Name == nil && len(names) > 0 {
			ct.Name = &names[0]
		}
	}
	for _, r := range reps(nk1, 30) {
		rp.Name = append(rp.Name, cv.humanNames(r)...)
	}
	if cc := cv.concept(field(nk1, 3), vocabRelationship); cc != nil {
		rp.Relationship = append(rp.Relationship, *cc)
		ct.Relationship = append(ct.Relationship, *cc)
	}
	if cc := cv.concept(field(nk1, 7), vocabContactRole); cc != nil {
		rp.Relationship = append(rp.Relationship, *cc)
		ct.Relationship = append(ct.Relationship, *cc)
	}
	for _, r := range reps(nk1, 4) {
		if a := cv.address(r); a != nil {
			rp.Address = append(rp.Address, *a)
			if ct.Address == nil {
				ct.Address = a
			}
		}
	}
	for _, r := range reps(nk1, 32) {
		if a := cv.address(r); a != nil {
			rp.Address = append(rp.Address, *a)
		}
	}
	for _, n := range [...]struct {
		f   int
		use string
	}{{5, ""}, {6, "work"}, {40, ""}, {41, ""}} {
		for _, r := range reps(nk1, n.f) {
			if cp := cv.contactPoint(r); cp != nil {
				if n.use != "" {
					cp.Use = n.use
				}
				rp.Telecom = append(rp.Telecom, *cp)
				ct.Telecom = append(ct.Telecom, *cp)
			}
		}
	}
	for _, r := range reps(nk1, 31) {
		if cp := cv.contactPoint(r); cp != nil {
			rp.Telecom = append(rp.Telecom, *cp)
		}
	}
	rp.Period = cv.periodOf(field(nk1, 8), field(nk1, 9))
	ct.Period = rp.Period
	rp.Gender = cv.codeOf(field(nk1, 15), vocabSex)
	ct.Gender = rp.Gender
	rp.BirthDate = cv.date(field(nk1, 16))
	if cc := cv.concept(field(nk1, 20), vocabLanguage); cc != nil {
		rp.Communication = []Communication{{Language: cc}}
	}
	// NK1-13 with NK1-30..32: the contact is an organization, and its contact person.
	if o := cv.newOrgXON(field(nk1, 13)); o != nil {
		r, _ := cv.add(o, &o.base, cv.orgKey(o))
		ct.Organization = cv.ref(r)
	}
	if ct.Name != nil || len(ct.Telecom) > 0 || ct.Address != nil || ct.Organization != nil || len(ct.Relationship) > 0 {
		cv.patient.Contact = append(cv.patient.Contact, ct)
	}
	if len(rp.Name) == 0 && len(rp.Identifier) == 0 && len(rp.Telecom) == 0 && len(rp.Relationship) == 0 {
		return
	}
	key := cv.patKey + "/nk1/" + cv.text(field(nk1, 1)) + "/" + strings.Join(nameKey(rp.Name), "|")
	if len(rp.Identifier) > 0 {
		key = cv.patKey + "/nk1id/" + rp.Identifier[0].System + "|" + rp.Identifier[0].Value
	}
	cv.add(rp, &rp.base, key)
}

func nameKey(ns []HumanName) []string {
	if len(ns) == 0 {
		return nil
	}
	return append([]string{ns[0].Family}, ns[0].Given...)
}
