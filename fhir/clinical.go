package fhir

import (
	"strings"

	"github.com/courier-hl7/courier/hl7"
)

const (
	extAssertedDate = "http://hl7.org/fhir/StructureDefinition/condition-assertedDate"
	extDueTo        = "http://hl7.org/fhir/StructureDefinition/condition-dueTo"
	extSubscriberID = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Coverage.subscriberId"
)

// allergy maps AL1 (AL1[AllergyIntolerance]).
func (cv *conv) allergy(al1 hl7.Segment) {
	if cv.patient == nil {
		return
	}
	a := &AllergyIntolerance{base: base{Type: "AllergyIntolerance"}, Patient: cv.patientRef}
	a.ClinicalStatus = &CodeableConcept{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", Code: "active"}}}
	typ := field(al1, 2)
	if c := cv.codeOf(typ, vocabAllergyCategory); c != "" {
		a.Category = []string{c}
		if cc := cv.concept(typ, nil); cc != nil {
			a.CategoryExt = []*Element{{Extension: []Extension{{URL: extAlternateCodes, ValueCodeableConcept: cc}}}}
		}
	}
	a.Type = cv.codeOf(typ, vocabAllergyType)
	a.Code = cv.concept(field(al1, 3), nil)
	sev := field(al1, 4)
	a.Criticality = cv.codeOf(sev, vocabCriticality)
	if a.Criticality != "" {
		if cc := cv.concept(sev, nil); cc != nil {
			a.CriticalityExt = &Element{Extension: []Extension{{URL: extAlternateCodes, ValueCodeableConcept: cc}}}
		}
	}
	reactionSeverity := cv.codeOf(sev, vocabReactionSeverity)
	for _, r := range reps(al1, 5) {
		if s := cv.text(r); s != "" {
			a.Reaction = append(a.Reaction, AllergyReaction{Manifestation: []CodeableConcept{{Text: s}}, Severity: reactionSeverity})
		}
	}
	a.OnsetDateTime = cv.dateTime(field(al1, 6))
	key := cv.patKey + "/al1/" + cv.comp(field(al1, 3), 1) + "|" + cv.comp(field(al1, 3), 3) + "|" + cv.comp(field(al1, 3), 2)
	cv.add(a, &a.base, key)
}

// diagnosis maps DG1 to a Condition (DG1[Condition]) and, when there is a current
// Encounter, to its diagnosis (DG1[Encounter]). It returns a reference to the Condition.
func (cv *conv) diagnosis(dg1 hl7.Segment) *Reference {
	if cv.patient == nil {
		return nil
	}
	c := &Condition{base: base{Type: "Condition"}, Subject: cv.patientRef, Encounter: cv.encRef}
	c.Code = cv.concept(field(dg1, 3), nil)
	if d := cv.text(field(dg1, 4)); d != "" {
		if c.Code == nil {
			c.Code = &CodeableConcept{}
		}
		c.Code.Text = d
	}
	c.OnsetDateTime = cv.dateTime(field(dg1, 5))
	for _, r := range reps(dg1, 16) {
		if ref := cv.practitioner(r); ref != nil {
			c.Asserter = ref
			break
		}
	}
	if dt := cv.dateTime(field(dg1, 19)); dt != "" {
		c.RecordedDate = dt
		c.Extension = append(c.Extension, Extension{URL: extAssertedDate, ValueDateTime: dt})
	}
	if id := cv.identifierEI(field(dg1, 20)); id != nil {
		c.Identifier = append(c.Identifier, *id)
	}
	if cv.text(field(dg1, 21)) == "D" {
		c.VerificationStatus = &CodeableConcept{Coding: []Coding{{System: "http://terminology.hl7.org/CodeSystem/condition-ver-status", Code: "entered-in-error"}}}
	}
	if id := cv.identifierEI(field(dg1, 22)); id != nil {
		p := &Condition{base: base{Type: "Condition"}, Subject: cv.patientRef, Identifier: []Identifier{*id}}
		r, _ := cv.add(p, &p.base, cv.patKey+"/dg1id/"+id.System+"|"+id.Value)
		c.Extension = append(c.Extension, Extension{URL: extDueTo, ValueReference: cv.ref(r)})
	}
	key := cv.patKey + "/dg1/" + cv.comp(field(dg1, 3), 1) + "|" + cv.comp(field(dg1, 3), 3) + "|" + cv.text(field(dg1, 4))
	if cv.encounter != nil {
		key += "/" + cv.encounter.ID
	}
	if len(c.Identifier) > 0 {
		key = cv.patKey + "/dg1id/" + c.Identifier[0].System + "|" + c.Identifier[0].Value
	}
	r, _ := cv.add(c, &c.base, key)
	ref := cv.ref(r)
	if e := cv.encounter; e != nil {
		d := EncounterDiagnosis{Condition: ref, Use: cv.concept(field(dg1, 6), vocabDiagnosisType)}
		if n := cv.text(field(dg1, 15)); digits(n) && len(n) < 9 && atoi(n) > 0 {
			d.Rank = atoi(n)
		}
		e.Diagnosis = append(e.Diagnosis, d)
	}
	return ref
}

// insurance maps IN1 (IN1[Coverage]). Coverage needs a payor: an IN1 with neither an
// insurance company name (IN1-4) nor ID (IN1-3) is left out.
func (cv *conv) insurance(in1 hl7.Segment) {
	if cv.patient == nil {
		return
	}
	cov := &Coverage{base: base{Type: "Coverage"}, Status: "active", Beneficiary: cv.patientRef}
	if plan := field(in1, 2); cv.comp(plan, 1) != "" {
		cov.Identifier = append(cov.Identifier, Identifier{Value: cv.comp(plan, 1), System: cv.system(cv.comp(plan, 3))})
	}
	// The payor: IN1-4 name, IN1-3 identifiers, IN1-5 address.
	o := cv.newOrgXON(field(in1, 4))
	for _, r := range reps(in1, 3) {
		if id := cv.identifierCX(r); id != nil {
			if o == nil {
				o = &Organization{base: base{Type: "Organization"}}
			}
			o.Identifier = append(o.Identifier, *id)
		}
	}
	if o != nil {
		for _, r := range reps(in1, 5) {
			if a := cv.address(r); a != nil {
				o.Address = append(o.Address, *a)
			}
		}
		r, _ := cv.add(o, &o.base, cv.orgKey(o))
		cov.Payor = []Reference{*cv.ref(r)}
	} else {
		return
	}
	for _, r := range reps(in1, 10) {
		id := cv.identifierCX(r)
		if id == nil {
			continue
		}
		if cv.comp(r, 5) == "SN" {
			cov.Extension = append(cov.Extension, Extension{URL: extSubscriberID, ValueIdentifier: id})
		}
	}
	if ref := cv.organizationXON(field(in1, 11)); ref != nil {
		cov.PolicyHolder = ref
	}
	cov.Period = cv.periodOf(field(in1, 12), field(in1, 13))
	cov.Type = cv.concept(field(in1, 15), vocabPlanID)
	rel := field(in1, 17)
	cov.Relationship = cv.concept(rel, vocabRelationship)
	if cv.valued(field(in1, 16)) {
		if cv.comp(rel, 1) == "SEL" {
			cov.Subscriber = cv.patientRef
		} else {
			rp := &RelatedPerson{base: base{Type: "RelatedPerson"}, Patient: cv.patientRef}
			for _, r := range reps(in1, 16) {
				rp.Name = append(rp.Name, cv.humanNames(r)...)
			}
			if cc := cv.concept(rel, vocabRelationship); cc != nil {
				rp.Relationship = []CodeableConcept{*cc}
			}
			rp.BirthDate = cv.date(field(in1, 18))
			for _, r := range reps(in1, 19) {
				if a := cv.address(r); a != nil {
					rp.Address = append(rp.Address, *a)
				}
			}
			if len(rp.Name) > 0 {
				r, _ := cv.add(rp, &rp.base, cv.patKey+"/subscriber/"+strings.Join(nameKey(rp.Name), "|"))
				cov.Subscriber = cv.ref(r)
			}
		}
	}
	if id := cv.identifierCX(field(in1, 49)); id != nil {
		cov.Extension = append(cov.Extension, Extension{URL: extSubscriberID, ValueIdentifier: id})
	}
	key := cv.patKey + "/in1/" + cv.comp(field(in1, 2), 1) + "|" + cv.orgKey(o) + "|" + cv.text(field(in1, 36))
	cv.add(cov, &cov.base, key)
}
