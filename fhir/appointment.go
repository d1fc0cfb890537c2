package fhir

import (
	"strings"
	"time"

	"github.com/courier-hl7/courier/hl7"
)

const extAppointmentNote = "http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.note"

// schedule maps SIU^S12: SCH (SCH[Appointment]) with its notes (NTE[Appointment-Comment]),
// the patient (PID[Patient], PID[Appointment]) and the resources: services (AIS), general
// resources (AIG), locations (AIL) and personnel (AIP).
func (cv *conv) schedule() {
	sch, ok := cv.m.First("SCH")
	if !ok {
		cv.err = &MessageError{Type: cv.typ, Segment: "SCH", Err: ErrMissingSegment, Detail: "an SIU message needs its SCH segment"}
		return
	}
	a := &Appointment{base: base{Type: "Appointment"}}
	for _, n := range [...]int{1, 2} {
		if id := cv.identifierEI(field(sch, n)); id != nil {
			id.Type = cv.fixedType(map[int]string{1: "PLAC", 2: "FILL"}[n])
			a.Identifier = append(a.Identifier, *id)
		}
	}
	for _, n := range [...]int{7, 8} {
		v := field(sch, n)
		switch table := strings.ToUpper(cv.comp(v, 3)); {
		case n == 7 && sameTable(table, "HL70276"):
			if cc := cv.concept(v, vocabApptReason); cc != nil {
				a.ReasonCode = append(a.ReasonCode, *cc)
			}
		case sameTable(table, "HL70277") && a.AppointmentType == nil:
			a.AppointmentType = cv.concept(v, vocabApptType)
		case n == 7:
			if cc := cv.concept(v, nil); cc != nil {
				a.ReasonCode = append(a.ReasonCode, *cc)
			}
		}
	}
	if d := cv.text(field(sch, 9)); digits(d) && len(d) < 7 && atoi(d) > 0 {
		if u := strings.ToLower(cv.comp(field(sch, 10), 1)); u == "" || u == "min" || u == "m" {
			a.MinutesDuration = atoi(d)
		}
	}
	tq := field(sch, 11)
	a.Start, a.End = cv.instant(tq.Comp(4)), cv.instant(tq.Comp(5))
	for _, p := range [...]struct {
		n   int
		typ string
		sys string
	}{{12, "", ""}, {16, "", ""}, {20, "enterer", sysProvenanceParticipant}} {
		for _, r := range reps(sch, p.n) {
			if ref := cv.practitioner(r); ref != nil {
				pp := AppointmentParticipant{Actor: ref, Status: "accepted"}
				if p.typ != "" {
					pp.Type = []CodeableConcept{{Coding: []Coding{{System: p.sys, Code: p.typ}}}}
				}
				a.Participant = append(a.Participant, pp)
			}
		}
	}
	a.Status = cv.codeOf(field(sch, 25), vocabApptStatus)
	if a.Status == "" {
		a.Status = "booked"
	}
	for _, n := range [...]int{26, 27} {
		for _, r := range reps(sch, n) {
			if id := cv.identifierEISub(r, 1); id != nil {
				a.BasedOn = append(a.BasedOn, Reference{Type: "ServiceRequest", Identifier: id})
			}
		}
	}
	key := cv.localKey(sch, "appointment")
	if len(a.Identifier) > 0 {
		key = "appt|" + a.Identifier[len(a.Identifier)-1].System + "|" + a.Identifier[len(a.Identifier)-1].Value
	}
	r, _ := cv.add(a, &a.base, key)
	a = r.(*Appointment)
	var lastNTE bool
	for _, s := range cv.m.Segments() {
		lastNTE = false
		switch s.Name() {
		case "PID":
			cv.patientFrom(s)
			a.Participant = append(a.Participant, AppointmentParticipant{Actor: cv.patientRef, Status: "accepted"})
		case "PD1":
			cv.additional(s)
		case "PV1":
			cv.visit(s)
		case "PV2":
			cv.visitMore(s)
		case "DG1":
			cv.diagnosis(s)
		case "NTE":
			lastNTE = true
			if n, ok := cv.note(s); ok {
				a.Extension = append(a.Extension, Extension{URL: extAppointmentNote, ValueAnnotation: &n})
			}
		case "AIS":
			if cc := cv.concept(field(s, 3), nil); cc != nil {
				a.ServiceType = append(a.ServiceType, *cc)
			}
			cv.resourcePeriod(a, nil, nil, s, 4, 5, 6, 7)
		case "AIG":
			var actor *Reference
			if id := field(s, 3); cv.valued(id) {
				l := &Location{base: base{Type: "Location"}, Name: cv.comp(id, 2)}
				if c := cv.comp(id, 1); c != "" {
					l.Identifier = []Identifier{{Value: c, System: cv.system(cv.comp(id, 3))}}
				}
				r, _ := cv.add(l, &l.base, "aig|"+cv.comp(id, 1)+"|"+cv.comp(id, 3)+"|"+cv.comp(id, 2))
				actor = cv.ref(r)
			}
			cv.resourcePeriod(a, actor, cv.concept(field(s, 4), nil), s, 8, 9, 10, 11)
		case "AIL":
			cv.resourcePeriod(a, cv.location(field(s, 3)), nil, s, 6, 7, 8, 9)
		case "AIP":
			var actor *Reference
			for _, r := range reps(s, 3) {
				if actor = cv.practitioner(r); actor != nil {
					break
				}
			}
			cv.resourcePeriod(a, actor, cv.concept(field(s, 4), nil), s, 6, 7, 8, 9)
		}
		_ = lastNTE
	}
	if len(a.Participant) == 0 {
		a.Participant = []AppointmentParticipant{{Status: "needs-action", Type: []CodeableConcept{{Extension: []Extension{{URL: extDataAbsent, ValueCode: "unknown"}}}}}}
	}
}

// resourcePeriod adds a participant for a scheduled resource (AIS, AIG, AIL, AIP): its
// start (field st), and its end from the duration (field dur, with units in field unit)
// after the start; startOffset is the offset from the appointment start when no start is
// given (field off). The appointment gets the earliest start and latest end.
func (cv *conv) resourcePeriod(a *Appointment, actor *Reference, typ *CodeableConcept, s hl7.Segment, st, off, offUnit, dur int) {
	var per *Period
	if t, ok := cv.time(field(s, st)); ok && t.prec >= precMinute {
		per = &Period{Start: t.dateTime()}
		if d, ok := minutes(cv.text(field(s, dur)), cv.comp(field(s, dur+1), 1)); ok {
			per.End = v2Time{t: t.t.Add(d), prec: t.prec}.dateTime()
		}
		if a.Start == "" || per.Start < a.Start {
			if s, ok := t.instant(); ok {
				a.Start = s
			}
		}
		if per.End != "" && (a.End == "" || per.End > a.End) {
			a.End = per.End
		}
	}
	_ = off
	_ = offUnit
	if actor == nil && typ == nil && per == nil {
		return
	}
	p := AppointmentParticipant{Actor: actor, Status: "accepted", Period: per}
	if typ != nil {
		p.Type = []CodeableConcept{*typ}
	}
	if actor == nil && typ == nil {
		return
	}
	a.Participant = append(a.Participant, p)
}

// minutes reads a duration with its units (ISO+ or ANSI+ minutes, seconds, hours, days).
func minutes(n, unit string) (time.Duration, bool) {
	if !digits(n) || len(n) > 6 {
		return 0, false
	}
	d := time.Duration(atoi(n))
	switch strings.ToLower(unit) {
	case "", "min", "m":
		return d * time.Minute, true
	case "s", "sec":
		return d * time.Second, true
	case "h", "hr":
		return d * time.Hour, true
	case "d":
		return d * 24 * time.Hour, true
	}
	return 0, false
}
