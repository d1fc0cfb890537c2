package fhir

import "github.com/courier-hl7/courier/hl7"

// mergeFrom maps MRG after a PID (ADT^A40): the prior patient identifiers (MRG-1, MRG-4)
// name a Patient that is no longer active and is replaced by the current one.
func (cv *conv) mergeFrom(mrg hl7.Segment) {
	if cv.patient == nil {
		return
	}
	old := &Patient{base: base{Type: "Patient"}}
	key := ""
	for _, n := range [...]int{1, 4} {
		for _, r := range reps(mrg, n) {
			if id := cv.identifierCX(r); id != nil {
				old.Identifier = append(old.Identifier, *id)
				if key == "" {
					key = "cx|" + cv.sub(r, 4, 1) + "|" + cv.sub(r, 4, 2) + "|" + id.Value
				}
			}
		}
	}
	if key == "" {
		return
	}
	for _, r := range reps(mrg, 7) {
		old.Name = append(old.Name, cv.humanNames(r)...)
	}
	r, added := cv.add(old, &old.base, key)
	if !added {
		return // the message names the surviving patient as the one merged: nothing to link
	}
	f := false
	old.Link = []PatientLink{{Other: cv.patientRef, Type: "replaced-by"}}
	old.Active = &f
	cv.patient.Link = append(cv.patient.Link, PatientLink{Other: cv.ref(r), Type: "replaces"})
}
