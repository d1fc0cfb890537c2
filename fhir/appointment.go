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
	// SCH-9 with its units SCH-10: minutesDuration when they are minutes (SCH[Appointment],
	// SCH-9), and the appointment's length in any units minutes reads, for the end.
	unit := cv.comp(field(sch, 10), 1)
	dur, hasDur := minutes(cv.text(field(sch, 9)), unit)
	hasDur = hasDur && dur > 0
	if u := strings.ToLower(unit); hasDur && (u == "" || u == "min" || u == "m") {
		a.MinutesDuration = int(dur / time.Minute)
	}
	tq := field(sch, 11)
	a.Start, a.End = cv.instant(tq.Comp(4)), cv.instant(tq.Comp(5))
	if a.Start != "" && a.End == "" && hasDur {
		// The appointment's own length ends it; the resources (AIS...) may end it later.
		a.End = shiftInstant(a.Start, dur)
	}
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
	settleTimes(a, dur, hasDur)
	if len(a.Participant) == 0 {
		a.Participant = []AppointmentParticipant{{Status: "needs-action", Type: []CodeableConcept{{Extension: []Extension{{URL: extDataAbsent, ValueCode: "unknown"}}}}}}
	}
}

// settleTimes makes Appointment.start, end and status meet FHIR R4's invariants app-2
// ("Either start and end are specified, or neither") and app-3 ("Only proposed or cancelled
// appointments can be missing start/end dates": proposed, cancelled and waitlist), which a
// server enforces. A start without an end (SCH-11.4 without SCH-11.5, no resource duration)
// is ended by the appointment's length (SCH-9/SCH-10), after the start (an end without a
// start is started before it). When no length is given, the one time known does not become
// start or end, which would make the resource invalid, but Appointment.requestedPeriod, so
// that it is not lost; and an appointment without start and end takes the status app-3
// allows that is closest to the one sent: "proposed" (in R4, an appointment whose "start/end
// time might not be set yet") for pending, booked, arrived, checked-in and fulfilled, and
// "cancelled" for noshow and entered-in-error, which must not become an appointment that
// looks still to come. proposed, cancelled and waitlist stay as they are.
func settleTimes(a *Appointment, dur time.Duration, hasDur bool) {
	if hasDur {
		switch {
		case a.Start != "" && a.End == "":
			a.End = shiftInstant(a.Start, dur)
		case a.Start == "" && a.End != "":
			a.Start = shiftInstant(a.End, -dur)
		}
	}
	if (a.Start == "") != (a.End == "") {
		a.RequestedPeriod = []Period{{Start: a.Start, End: a.End}}
		a.Start, a.End = "", ""
	}
	if a.Start != "" {
		return
	}
	switch a.Status {
	case "proposed", "cancelled", "waitlist":
	case "noshow", "entered-in-error":
		a.Status = "cancelled"
	default:
		a.Status = "proposed"
	}
}

// shiftInstant returns the FHIR instant s moved by d, in the offset s has, or "" when s does
// not read (an instant the converter wrote always does).
func shiftInstant(s string, d time.Duration) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return ""
	}
	var frac string
	if i := strings.IndexByte(s, '.'); i >= 0 {
		j := i + 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		frac = s[i+1 : j]
	}
	out, _ := v2Time{t: t.Add(d), prec: precSecond, frac: frac}.instant()
	return out
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
