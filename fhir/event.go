package fhir

import "github.com/courier-hl7/courier/hl7"

// event maps EVN (EVN[Provenance]); when EVN-5 names no operator, the sending organization
// stands in as the agent (MSH[Provenance-Operator]).
func (cv *conv) event(evn hl7.Segment) {
	p := &Provenance{base: base{Type: "Provenance"}, Target: []Reference{*cv.headerRef}}
	p.Recorded = cv.instant(field(evn, 2))
	if p.Recorded == "" {
		p.Recorded = cv.instant(field(cv.m.Segment(0), 7))
	}
	if p.Recorded == "" {
		return // Provenance.recorded is required
	}
	// EVN[Provenance] assigns "event - :"+MSG.1+"^"+MSG.2: the message structure (MSG.3),
	// which the source Provenance's "message - " display carries, is not part of it.
	msg := field(cv.m.Segment(0), 9)
	if t, g := cv.comp(msg, 1), cv.comp(msg, 2); t != "" || g != "" {
		p.Activity = &CodeableConcept{Coding: []Coding{{Display: cv.concat("event - :", cv.join("^", t, g))}}}
	}
	reason := field(evn, 4)
	if cv.comp(reason, 1) == "U" {
		p.Reason = []CodeableConcept{{Extension: []Extension{{URL: extDataAbsent, ValueCode: "unknown"}}}}
	} else if cc := cv.concept(reason, vocabEventReason); cc != nil {
		p.Reason = []CodeableConcept{*cc}
	}
	for _, op := range reps(evn, 5) {
		if r := cv.practitioner(op); r != nil {
			p.Agent = append(p.Agent, ProvenanceAgent{Who: r})
		}
	}
	if len(p.Agent) == 0 {
		who := cv.msgHeader.Responsible
		if who == nil {
			who = cv.sender
		}
		if who == nil {
			return // Provenance.agent is required
		}
		p.Agent = []ProvenanceAgent{{Who: who}}
	}
	p.OccurredDateTime = cv.dateTime(field(evn, 6))
	p.Location = cv.locationHD(field(evn, 7))
	cv.add(p, &p.base, cv.ctrl+"/evn")
}
