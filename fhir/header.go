package fhir

import (
	"strings"

	"github.com/courier-hl7/courier/hl7"
)

const (
	sysProvenanceParticipant = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
	sysProvenanceActivity    = "http://hl7.org/fhir/uv/v2mappings/CodeSystem/provenance-activity-type-v2-to-fhir"
	sysV20003                = sysV2 + "0003"
)

// header maps MSH (MSH[MessageHeader], MSH[Bundle]), SFT (SFT[MessageHeader]) and the
// source and transformation Provenance (MSH[Provenance-Source],
// MSH[Provenance-Transformation]), then EVN (EVN[Provenance]) when the message has one.
func (cv *conv) header() {
	msh := cv.m.Segment(0)
	h := alloc(cv, &cv.p.headers)
	h.base.Type = "MessageHeader"
	// MSH-9 (MSG[Coding]): the event code in table 0003, the whole type as the display.
	msg := field(msh, 9)
	h.EventCoding = cv.p.codings.one()
	*h.EventCoding = Coding{System: sysV20003, Code: code(cv.comp(msg, 2)), Display: cv.join("^", cv.comp(msg, 1), cv.comp(msg, 2), cv.comp(msg, 3))}
	if h.EventCoding.Code == "" {
		h.EventCoding.System = ""
	}
	// MSH-3 and MSH-24: the source.
	src := alloc(cv, &cv.p.sources)
	app := field(msh, 3)
	src.Name = cv.comp(app, 1)
	ns, uid, typ := cv.hdComps(app)
	switch {
	case cv.c.source != "":
		src.Endpoint = cv.c.source
	case strings.EqualFold(typ, "ISO") && isOID(uid):
		src.Endpoint = cv.concat("urn:oid:", uid)
	case strings.EqualFold(typ, "UUID") && isUUID(strings.ToLower(uid)):
		src.Endpoint = cv.concat("urn:uuid:", strings.ToLower(uid))
	case strings.EqualFold(typ, "DNS") && uid != "" && validURI("urn:dns:"+uid):
		src.Endpoint = cv.concat("urn:dns:", uid)
	default:
		src.EndpointExt = cv.absent()
		if uid != "" && ns != "" {
			src.Name = cv.concat(ns, " - ", typ, ":", uid)
		} else if src.Name == "" {
			src.Name = uid
		}
	}
	if sft, ok := cv.m.First("SFT"); ok {
		src.Version = cv.text(field(sft, 2))
		src.Software = cv.text(field(sft, 3))
	}
	h.Source = src
	// MSH-4: the sender; MSH-22: the responsible organization.
	sns, suid, styp := cv.hdComps(field(msh, 4))
	cv.sender = cv.hdOrganization(sns, suid, styp)
	h.Sender = cv.sender
	h.Responsible = cv.organizationXON(field(msh, 22))
	// MSH-5, MSH-6, MSH-23, MSH-25: the destination.
	d := MessageHeaderDestination{}
	rapp := field(msh, 5)
	rns, ruid, rtyp := cv.hdComps(rapp)
	d.Name = rns
	switch {
	case strings.EqualFold(rtyp, "ISO") && isOID(ruid):
		d.Endpoint = cv.concat("urn:oid:", ruid)
	case strings.EqualFold(rtyp, "UUID") && isUUID(strings.ToLower(ruid)):
		d.Endpoint = cv.concat("urn:uuid:", strings.ToLower(ruid))
	default:
		d.EndpointExt = cv.absent()
		if d.Name == "" {
			d.Name = ruid
		}
	}
	if r := cv.organizationXON(field(msh, 23)); r != nil {
		d.Receiver = r
	} else {
		fns, fuid, ftyp := cv.hdComps(field(msh, 6))
		d.Receiver = cv.hdOrganization(fns, fuid, ftyp)
	}
	if d.Name != "" || d.Endpoint != "" || d.Receiver != nil {
		h.Destination = append(allocN(cv, &cv.p.destinations, 1), d)
	}
	// MSH-8: security; MSH-11 (PT[Meta]): processing ID and mode as tags.
	var meta Meta
	if s := code(cv.text(field(msh, 8))); s != "" {
		meta.Security = append(meta.Security, Coding{Code: s})
	}
	if p1, p2 := code(cv.comp(field(msh, 11), 1)), code(cv.comp(field(msh, 11), 2)); p1 != "" || p2 != "" {
		meta.Tag = cv.p.codings.many(2)
		if p1 != "" {
			meta.Tag = append(meta.Tag, Coding{System: sysV2 + "0103", Code: p1})
		}
		if p2 != "" {
			meta.Tag = append(meta.Tag, Coding{System: sysV2 + "0207", Code: p2})
		}
	}
	for _, n := range [...]int{26, 27} {
		if c := cv.coding(field(msh, n), nil); c != nil {
			meta.Security = append(meta.Security, *c)
		}
	}
	if len(meta.Security) > 0 || len(meta.Tag) > 0 {
		h.Meta = alloc(cv, &cv.p.metas)
		*h.Meta = meta
	}
	// MSH-19: the language of the message, as a BCP-47 code.
	h.Language = cv.language(field(msh, 19))
	r, _ := cv.add(h, &h.base, cv.ctrl)
	cv.msgHeader = h
	cv.headerRef = cv.ref(r)

	recorded := cv.instant(field(msh, 7))
	var activity *CodeableConcept
	if h.EventCoding.Display != "" {
		activity = cv.p.concept1(Coding{Display: cv.concat("message - ", h.EventCoding.Display)})
	}
	// The source Provenance: who sent the message (MSH-4, or MSH-22 when valued).
	if recorded != "" {
		p := alloc(cv, &cv.p.provenances)
		p.base.Type, p.Target, p.Recorded, p.Activity = "Provenance", cv.p.ref1(*cv.headerRef), recorded, activity
		if t, ok := cv.time(field(msh, 7)); ok {
			p.OccurredDateTime = cv.dateTimeOf(t)
		}
		who := h.Responsible
		if who == nil {
			who = cv.sender
		}
		if who != nil {
			author := cv.p.concept1(Coding{System: sysProvenanceParticipant, Code: "author"})
			p.Agent = append(allocN(cv, &cv.p.agents, 1), ProvenanceAgent{Type: author, Who: who})
			cv.add(p, &p.base, cv.concat(cv.ctrl, "/provenance-source"))
		}
		// The transformation Provenance. Its time is the message's own (MSH-7): the
		// conversion reads no clock, so that replaying a message gives the same Bundle.
		t := alloc(cv, &cv.p.provenances)
		t.base.Type, t.Target, t.Recorded = "Provenance", cv.p.ref1(*cv.headerRef), recorded
		t.Activity = cv.p.concept1(Coding{System: sysProvenanceActivity, Code: "v2-fhir-transformation"})
		assembler := cv.p.references.one()
		assembler.Display = cv.c.transformer
		t.Agent = append(allocN(cv, &cv.p.agents, 1), ProvenanceAgent{
			Type: cv.p.concept1(Coding{System: sysProvenanceParticipant, Code: "assembler"}),
			Who:  assembler,
		})
		cv.add(t, &t.base, cv.concat(cv.ctrl, "/provenance-transformation"))
	}
	if evn, ok := cv.m.First("EVN"); ok {
		cv.event(evn)
	}
}

// language maps a CWE naming a language to a BCP-47 tag for Resource.language: the guide's
// PrincipalLanguageOfMessage map is empty, so an ISO 639 code (CWE.3 ISO639, or no system)
// that reads as a language tag is used as it is.
func (cv *conv) language(v hl7.Value) string {
	l, sys := code(cv.comp(v, 1)), strings.ToUpper(cv.comp(v, 3))
	if sys != "" && sys != "ISO639" && sys != "ISO+" {
		return ""
	}
	if len(l) < 2 || len(l) > 8 {
		return ""
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' && i > 1) {
			return ""
		}
	}
	return l
}
