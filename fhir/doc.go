// Package fhir converts HL7 v2 messages to FHIR R4 Bundles, following the HL7 v2-to-FHIR
// Implementation Guide (its message, segment, data type and vocabulary maps).
//
// A Converter is built once per channel from Options (UUID namespace, Bundle type, the zone
// of times sent without an offset, the systems of assigning authorities and local code
// systems) and converts messages of the types Supported lists:
//
//	c, err := fhir.NewConverter(fhir.Options{Location: loc})
//	b, err := c.Convert(msg)  // msg from hl7.Parse
//	js, err := b.JSON()
//
// An engine that only sends the JSON on uses AppendJSON instead, which writes the same bytes
// without building the Bundle's structs, and allocates about an eighth as much:
//
//	buf, err = c.AppendJSON(buf[:0], msg)
//
// Conversion is deterministic. Resource ids are name-based UUIDs (version 5) of the
// namespace, the resource type and a business key taken from the message (the patient's
// identifier and its assigning authority, the visit number, the order numbers...), so the
// same patient in two messages is one resource and replaying a message as a transaction
// updates the same resources. Nothing reads the clock, and the same message, whatever its
// segment terminators or byte-order mark, gives the same bytes.
//
// The FHIR resources are hand-written structs with only the elements the mappings fill
// (MessageHeader, Provenance, Patient, RelatedPerson, Encounter, Practitioner,
// Organization, Location, Condition, AllergyIntolerance, Coverage, ServiceRequest,
// DiagnosticReport, Observation, Specimen, Immunization, DocumentReference, Appointment),
// written as JSON with resourceType first and no empty values. docs/fhir.md lists what is
// mapped, the decisions taken where the guide leaves a choice, and the guide's rows that are
// not implemented.
package fhir
