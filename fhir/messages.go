package fhir

import (
	"github.com/courier-hl7/courier/hl7"
)

// The message walkers. Each reads the segments in order and keeps the group it is in (the
// patient, the visit, the order...) in conv and orderState, as the message structures of the
// guide's message maps nest them; segments the maps do not map are skipped.

// adt maps the ADT_A01 family (A01, A02, A03, A04, A05, A08, A11, A13, A28, A31): the
// patient, next of kin, visit, observations, allergies, diagnoses and insurance.
func (cv *conv) adt() {
	n := 0
	var lastOBX *Observation
	for _, s := range cv.m.Segments() {
		if s.Name() != "OBX" && s.Name() != "NTE" {
			lastOBX = nil
		}
		switch s.Name() {
		case "PID":
			cv.patientFrom(s)
		case "PD1":
			cv.additional(s)
		case "NK1":
			cv.nextOfKin(s)
		case "PV1":
			cv.visit(s)
		case "PV2":
			cv.visitMore(s)
		case "OBX":
			if cv.patient != nil {
				n++
				lastOBX = cv.observation(s, cv.obxKey(cv.localKey(s, "adt"), n, s))
			}
		case "NTE":
			if a, ok := cv.note(s); ok && lastOBX != nil {
				lastOBX.Note = append(lastOBX.Note, a)
			}
		case "AL1":
			cv.allergy(s)
		case "DG1":
			cv.diagnosis(s)
		case "IN1":
			cv.insurance(s)
		}
	}
}

// merge maps ADT^A40 (structure ADT_A39): each PID is the surviving patient, and the MRG
// after it names the patient merged into it. The guide has no MRG map to Patient; the
// merged patient becomes a Patient with the prior identifier, active false and a
// "replaced-by" link, and the survivor gets the "replaces" link (FHIR's Patient.link).
func (cv *conv) merge() {
	for _, s := range cv.m.Segments() {
		switch s.Name() {
		case "PID":
			cv.patientFrom(s)
		case "PD1":
			cv.additional(s)
		case "PV1":
			cv.visit(s)
		case "MRG":
			cv.mergeFrom(s)
		}
	}
}

// results maps ORU^R01: per patient, the visit, then per order the ServiceRequest, the
// DiagnosticReport, its Observations (with their notes) and Specimens.
func (cv *conv) results() {
	var o orderState
	nPatientObs := 0
	var lastOBX *Observation
	for _, s := range cv.m.Segments() {
		switch s.Name() {
		case "PID":
			cv.patientFrom(s)
			o = orderState{}
			lastOBX = nil
		case "PD1":
			cv.additional(s)
		case "NK1":
			cv.nextOfKin(s)
		case "PV1":
			cv.visit(s)
		case "PV2":
			cv.visitMore(s)
		case "ORC":
			o = orderState{orc: s, hasORC: true}
			lastOBX = nil
		case "OBR":
			if cv.patient == nil {
				continue
			}
			orc, hasORC := o.orc, o.hasORC
			if o.report != nil {
				hasORC = false // an ORC belongs to the one order group it starts
			}
			o = orderState{orc: orc, hasORC: hasORC}
			o.sr, o.srRef = cv.serviceRequest(orc, hasORC, s, true)
			cv.report(&o, s)
			lastOBX = nil
		case "TQ1":
			cv.timing(&o, s)
		case "OBX":
			if cv.patient == nil {
				continue
			}
			if o.report == nil {
				// An OBX before any OBR is about the patient and has no business key of
				// its own: it is keyed by the message, as in the other walkers, so that
				// the same position in another result message is another Observation
				// rather than a PUT over this one.
				nPatientObs++
				lastOBX = cv.observation(s, cv.obxKey(cv.concat(cv.patKey, "/patient-obs/", cv.ctrl), nPatientObs, s))
				continue
			}
			o.nObs++
			ob := cv.observation(s, cv.obxKey(o.repKey, o.nObs, s))
			if o.specimen != nil {
				ob.Specimen = o.specimen
				ob.Focus = append(ob.Focus, *o.specimen)
			} else {
				if o.report.Result == nil {
					// Room for the results of the group at once: the OBX up to the next
					// order or patient.
					o.report.Result = cv.p.references.many(min(cv.countOBX(s.Position()), maxReserve))
				}
				o.report.Result = append(o.report.Result, cv.refTo(ob))
				if o.srRef != nil {
					ob.BasedOn = cv.basedOn(&o)
				}
			}
			lastOBX = ob
		case "NTE":
			a, ok := cv.note(s)
			if !ok {
				continue
			}
			switch {
			case lastOBX != nil:
				lastOBX.Note = append(lastOBX.Note, a)
			case o.sr != nil:
				o.sr.Note = append(o.sr.Note, a)
			}
		case "SPM":
			if cv.patient == nil {
				continue
			}
			o.specimen = cv.specimen(&o, s)
			if o.report != nil {
				o.report.Specimen = append(o.report.Specimen, *o.specimen)
			}
			lastOBX = nil
		}
	}
}

// countOBX counts the OBX segments from position i up to the next ORC, OBR or PID.
func (cv *conv) countOBX(i int) int {
	n := 0
	for ; i < cv.m.NumSegments(); i++ {
		switch cv.m.Segment(i).Name() {
		case "OBX":
			n++
		case "ORC", "OBR", "PID":
			return n
		}
	}
	return n
}

// vaccination maps VXU^V04: the patient, the visit, and per order the Immunization (ORC,
// RXA, RXR) with the observations about it (partOf the Immunization).
func (cv *conv) vaccination() {
	var orc hl7.Segment
	hasORC := false
	var imm *Immunization
	var immRef *Reference
	var lastOBX *Observation
	nObs, nPatientObs := 0, 0
	for _, s := range cv.m.Segments() {
		switch s.Name() {
		case "PID":
			cv.patientFrom(s)
		case "PD1":
			cv.additional(s)
		case "NK1":
			cv.nextOfKin(s)
		case "PV1":
			cv.visit(s)
		case "PV2":
			cv.visitMore(s)
		case "IN1":
			cv.insurance(s)
		case "ORC":
			orc, hasORC = s, true
			imm, immRef, lastOBX, nObs = nil, nil, nil, 0
		case "RXA":
			if cv.patient == nil {
				continue
			}
			imm = cv.immunization(orc, hasORC, s)
			immRef = cv.ref(imm)
			hasORC = false
		case "RXR":
			if imm != nil {
				imm.Route = cv.concept(field(s, 1), vocabRoute)
				imm.Site = cv.concept(field(s, 2), vocabBodyParts)
			}
		case "OBX":
			if cv.patient == nil {
				continue
			}
			if imm == nil {
				nPatientObs++
				lastOBX = cv.observation(s, cv.obxKey(cv.patKey+"/vxu-obs/"+cv.ctrl, nPatientObs, s))
				continue
			}
			nObs++
			lastOBX = cv.observation(s, cv.obxKey("imm/"+imm.ID, nObs, s))
			lastOBX.PartOf = []Reference{*immRef}
		case "NTE":
			if a, ok := cv.note(s); ok && lastOBX != nil {
				lastOBX.Note = append(lastOBX.Note, a)
			}
		}
	}
}

// orders maps ORM^O01 and OML^O21: per order (ORC with its OBR), a ServiceRequest with its
// notes, timing, diagnoses, supporting observations and specimens.
func (cv *conv) orders() {
	var o orderState
	var lastOBX *Observation
	pending := false // an ORC whose OBR has not come yet
	flush := func() {
		if pending && cv.patient != nil {
			o.sr, o.srRef = cv.serviceRequest(o.orc, true, hl7.Segment{}, false)
		}
		pending = false
	}
	for _, s := range cv.m.Segments() {
		name := s.Name()
		if pending && name != "OBR" && name != "TQ1" && name != "TQ2" {
			flush()
		}
		switch name {
		case "PID":
			cv.patientFrom(s)
		case "PD1":
			cv.additional(s)
		case "NK1":
			cv.nextOfKin(s)
		case "PV1":
			cv.visit(s)
		case "PV2":
			cv.visitMore(s)
		case "IN1":
			cv.insurance(s)
		case "AL1":
			cv.allergy(s)
		case "ORC":
			o = orderState{orc: s, hasORC: true}
			lastOBX = nil
			pending = true
		case "OBR":
			if cv.patient == nil {
				continue
			}
			o.sr, o.srRef = cv.serviceRequest(o.orc, o.hasORC, s, true)
			o.hasORC, pending, lastOBX = false, false, nil
		case "TQ1":
			if pending {
				flush()
			}
			cv.timing(&o, s)
		case "NTE":
			if a, ok := cv.note(s); ok {
				switch {
				case lastOBX != nil:
					lastOBX.Note = append(lastOBX.Note, a)
				case o.sr != nil:
					o.sr.Note = append(o.sr.Note, a)
				}
			}
		case "DG1":
			if ref := cv.diagnosis(s); ref != nil && o.sr != nil {
				o.sr.ReasonReference = append(o.sr.ReasonReference, *ref)
			}
		case "OBX":
			if cv.patient == nil {
				continue
			}
			key := cv.patKey + "/order-obs/" + cv.ctrl
			if o.sr != nil {
				key = "sr/" + o.sr.ID
			}
			o.nObs++
			lastOBX = cv.observation(s, cv.obxKey(key, o.nObs, s))
			if o.sr != nil {
				o.sr.SupportingInfo = append(o.sr.SupportingInfo, *cv.ref(lastOBX))
			}
		case "SPM":
			if cv.patient == nil {
				continue
			}
			ref := cv.specimen(&o, s)
			if o.sr != nil {
				o.sr.Specimen = append(o.sr.Specimen, *ref)
			}
			lastOBX = nil
		}
	}
	flush()
}
