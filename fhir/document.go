package fhir

import (
	"encoding/base64"
	"strings"

	"github.com/courier-hl7/courier/hl7"
)

// document maps MDM^T02: the patient and visit, the order it answers (ORC, OBR, TQ1, NTE
// before TXA), and the document: TXA (TXA[DocumentReference]) with its content from OBX
// (OBX[DocumentReference]) and NTE (NTE[DocumentReference]).
func (cv *conv) document() {
	var o orderState
	var doc *DocumentReference
	var lines []string // text lines of TX/FT/ST OBX segments, one document
	var notes []string
	for _, s := range cv.m.Segments() {
		switch s.Name() {
		case "PID":
			cv.patientFrom(s)
		case "PV1":
			cv.visit(s)
		case "PV2":
			cv.visitMore(s)
		case "ORC":
			o = orderState{orc: s, hasORC: true}
		case "OBR":
			if cv.patient != nil {
				o.sr, o.srRef = cv.serviceRequest(o.orc, o.hasORC, s, true)
				o.hasORC = false
			}
		case "TQ1":
			cv.timing(&o, s)
		case "TXA":
			if cv.patient == nil {
				continue
			}
			if o.hasORC && o.sr == nil { // an ORC without OBR
				o.sr, o.srRef = cv.serviceRequest(o.orc, true, hl7.Segment{}, false)
			}
			doc = cv.documentFrom(s, o.srRef)
		case "OBX":
			if doc == nil {
				continue
			}
			v := field(s, 5)
			switch strings.ToUpper(code(cv.text(field(s, 2)))) {
			case "ED":
				for _, r := range reps(s, 5) {
					if a := cv.attachmentED(r); a != nil {
						doc.Content = append(doc.Content, DocumentContent{Attachment: a})
					}
				}
			case "RP":
				if u := cv.comp(v, 1); u != "" {
					doc.Content = append(doc.Content, DocumentContent{Attachment: &Attachment{URL: u, ContentType: mimeOf(cv.comp(v, 3), cv.comp(v, 4))}})
				}
			default: // TX, FT, ST: lines of one text
				for _, r := range reps(s, 5) {
					lines = append(lines, cv.fullData(r))
				}
			}
		case "NTE":
			if doc == nil {
				if a, ok := cv.note(s); ok && o.sr != nil {
					o.sr.Note = append(o.sr.Note, a)
				}
				continue
			}
			for _, r := range reps(s, 3) {
				if t := cv.fullData(r); t != "" {
					notes = append(notes, t)
				}
			}
		}
	}
	if doc == nil {
		return
	}
	if len(lines) > 0 {
		doc.Content = append(doc.Content, DocumentContent{Attachment: textAttachment(lines, doc.Content)})
	}
	if len(notes) > 0 {
		doc.Content = append(doc.Content, DocumentContent{Attachment: &Attachment{ContentType: "text/plain", Data: base64.StdEncoding.EncodeToString([]byte(joinLines(notes))), Title: "notes"}})
	}
	if len(doc.Content) == 0 {
		doc.Content = []DocumentContent{{Attachment: &Attachment{Extension: []Extension{{URL: extDataAbsent, ValueCode: "unknown"}}}}}
	}
	// TXA-3, the content presentation, types the text when the sender gave it.
	if ct := doc.contentType; ct != "" {
		for i := range doc.Content {
			if a := doc.Content[i].Attachment; a.ContentType == "" && a.Data != "" {
				a.ContentType = ct
			}
		}
	}
}

// textAttachment returns the text lines of a document as a text/plain attachment (the
// guide's "text/hl7v2" and "application/text" are not MIME types; escapes and formatting
// are already decoded, so the text is plain).
func textAttachment(lines []string, _ []DocumentContent) *Attachment {
	return &Attachment{ContentType: "text/plain", Data: base64.StdEncoding.EncodeToString([]byte(joinLines(lines)))}
}

// documentFrom maps TXA (TXA[DocumentReference]).
func (cv *conv) documentFrom(txa hl7.Segment, order *Reference) *DocumentReference {
	d := &DocumentReference{base: base{Type: "DocumentReference"}, Subject: cv.patientRef}
	d.Type = cv.concept(field(txa, 2), nil)
	d.contentType = mimeOf(cv.text(field(txa, 3)), "")
	d.Date = cv.instant(field(txa, 6))
	for _, r := range reps(txa, 9) {
		if ref := cv.practitioner(r); ref != nil {
			d.Author = append(d.Author, *ref)
		}
	}
	for _, r := range reps(txa, 10) {
		if ref := cv.practitioner(r); ref != nil {
			d.Authenticator = ref
			break
		}
	}
	d.MasterIdentifier = cv.identifierEI(field(txa, 12))
	if s := cv.text(field(txa, 16)); s != "" {
		d.Identifier = append(d.Identifier, Identifier{Value: s})
	}
	switch code(cv.text(field(txa, 17))) {
	case "AU", "LA":
		d.DocStatus = "final"
	case "DI", "DO", "IN", "IP", "PA":
		d.DocStatus = "preliminary"
	}
	if cc := cv.concept1(cv.text(field(txa, 18)), "0272", vocabDocConfidential); cc != nil {
		d.SecurityLabel = append(d.SecurityLabel, *cc)
	}
	switch st := code(cv.text(field(txa, 19))); st {
	case "", "AV":
		d.Status = "current"
	case "OB":
		d.Status = "superseded"
	case "CA":
		d.Status = "entered-in-error"
	default:
		d.Status = "current"
	}
	if st := code(cv.text(field(txa, 19))); st == "CA" || st == "OB" || st == "UN" {
		d.StatusExt = &Element{Extension: []Extension{{URL: extAlternateCodes, ValueCodeableConcept: &CodeableConcept{Coding: []Coding{{System: sysV2 + "0275", Code: st}}}}}}
	}
	d.Description = cv.text(field(txa, 25))
	ctx := &DocumentContext{}
	if cv.encRef != nil {
		ctx.Encounter = []Reference{*cv.encRef}
	}
	if order != nil {
		ctx.Related = []Reference{*order}
	}
	if len(ctx.Encounter) > 0 || len(ctx.Related) > 0 {
		d.Context = ctx
	}
	key := ""
	switch {
	case d.MasterIdentifier != nil:
		key = "doc|" + d.MasterIdentifier.System + "|" + cv.comp(field(txa, 12), 2) + "|" + d.MasterIdentifier.Value
	case len(d.Identifier) > 0:
		key = "docfiller|" + d.Identifier[0].Value
	default:
		key = cv.localKey(txa, "document")
	}
	r, _ := cv.add(d, &d.base, key)
	return r.(*DocumentReference)
}
