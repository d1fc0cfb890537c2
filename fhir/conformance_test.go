package fhir

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The guide's rows in scope are those of the segment maps that the guide's message maps use
// for the supported messages and whose target resource is one the converter emits, and of
// the data type maps those segment maps use; a row is in scope when it names a FHIR
// attribute (rows without one are the guide's own "not mapped"). A row is keyed by its map,
// v2 identifier and FHIR attribute: the spreadsheets repeat a row per condition.
var (
	scopeSegmentMaps = strings.Fields(`MSH[MessageHeader] MSH[Bundle] MSH[Provenance-Source]
		MSH[Provenance-Transformation] MSH[Provenance-Operator] MSH[Encounter] EVN[Provenance]
		SFT[MessageHeader] PID[Patient] PID[Provenance-Patient] PID[Appointment] PD1[Patient]
		PD1[Observation-LivingWill] NK1[Patient] NK1[RelatedPerson] PV1[Encounter] PV1[Patient]
		PV1[Coverage] PV2[Encounter] AL1[AllergyIntolerance] DG1[Condition] DG1[Encounter]
		IN1[Coverage] ORC[ServiceRequest] ORC[DiagnosticReport] ORC[Immunization] ORC[Provenance]
		OBR[ServiceRequest] OBR[DiagnosticReport] OBR[Specimen] OBX[Observation]
		OBX[Observation-Component] OBX[DocumentReference] NTE[Observation] NTE[ServiceRequest]
		NTE[DocumentReference] NTE[Appointment-Comment] SPM[Specimen] TQ1[ServiceRequest]
		RXA[Immunization] RXR[Immunization] TXA[DocumentReference] TXA[Provenance]
		SCH[Appointment] SCH[ServiceRequest] SCH[Provenance] AIS[Appointment] AIS[ServiceRequest]
		AIG[Appointment] AIL[Appointment] AIP[Appointment]`)
	scopeDataTypeMaps = strings.Fields(`CX[Identifier] XPN[HumanName] FN[HumanName] SAD[Address]
		XAD[Address] XTN[ContactPoint] CWE[CodeableConcept] CE[CodeableConcept] CNE[CodeableConcept]
		CWE[Coding] CWE[code] CWE[Quantity] CWE[string] CWE[Organization] HD[Organization] HD[uri]
		HD[Location] HD[Identifier] HD[MessageHeader.source-name] HD[MessageHeader.source-endpoint]
		HD[MessageHeader.destination-endpoint] HD[MessageHeader.destination-name]
		EI[Identifier-Extension] EI[Identifier-Organization] EIP[Identifier-PlacerAssignedIdentifier]
		EIP[Identifier-FillerAssignedIdentifier] XCN[Practitioner] XON[Organization] XON[string]
		PL[Location] DR[Period] SN[Quantity] SN[Range] SN[Ratio] NM[Quantity] NR[Range]
		CQ[Quantity] ED[Attachment] MSG[Coding] DLN[Identifier] PT[Meta] NM[Quantity-LengthOfStay]
		ID[CodeableConcept] ST[Identifier] ST[CodeableConcept] SPS[Specimen-Source]
		OG[Extension-Subidentifier] DTM[Annotation-Time] FT[Annotation-Comment]`)
)

// guideRow is one in-scope row of the guide.
type guideRow struct {
	Map, ID, Attr string
	Name          string // the v2 element's name
}

func (r guideRow) key() string { return r.Map + "|" + r.ID + "|" + r.Attr }

// readGuideRows reads the in-scope rows of one map. Columns: sort order, identifier, name,
// data type, cardinalities, three condition columns, FHIR attribute, ...
func readGuideRows(folder, prefix, name string) ([]guideRow, error) {
	pattern := filepath.Join(guideDir, folder, prefix+strings.ReplaceAll(name, "[", "[[]")+" - *.csv")
	files, _ := filepath.Glob(pattern)
	if len(files) != 1 {
		return nil, fmt.Errorf("%s: want one file matching %s, found %d", name, pattern, len(files))
	}
	f, err := os.Open(files[0])
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", files[0], err)
	}
	var out []guideRow
	seen := map[string]bool{}
	for _, rec := range recs[2:] {
		if len(rec) < 10 || strings.TrimSpace(rec[9]) == "" {
			continue
		}
		id := strings.TrimSpace(rec[1])
		if id == "" {
			id = name[:strings.IndexByte(name, '[')]
		}
		row := guideRow{Map: name, ID: id, Attr: strings.Join(strings.Fields(rec[9]), " "), Name: strings.TrimSpace(rec[2])}
		if !seen[row.key()] {
			seen[row.key()] = true
			out = append(out, row)
		}
	}
	return out, nil
}

func readScope(t *testing.T) []guideRow {
	var rows []guideRow
	for _, m := range scopeSegmentMaps {
		r, err := readGuideRows("segments", "HL7 Segment - FHIR R4_ ", m)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r...)
	}
	for _, m := range scopeDataTypeMaps {
		r, err := readGuideRows("datatypes", "HL7 Data Type - FHIR R4_ ", m)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r...)
	}
	return rows
}

// conformanceChecks is the table of implemented rows. A line "@message check && check..."
// names a test message (testdata/<message>.hl7, converted with goldenOptions) and the checks
// its Bundle must pass; the lines after it are the keys (map|identifier|attribute) of the
// guide rows those checks verify. A check is a path, from a resource type, an operator and
// a value: "Patient.gender=female" (some value equals), "Patient.name.given~Ja" (some value
// contains), "Patient.birthDate?" (present). A path step "name[field=value]" keeps the
// array elements whose field equals the value; the step "@" follows a reference to the
// resource in the Bundle.
const conformanceChecks = `
@adt_a01 MessageHeader.source.name=REGADT && MessageHeader.source.endpoint=urn:oid:1.2.840.114350.1.13.99
MSH[MessageHeader]|MSH-3|source[1]
HD[MessageHeader.source-name]|HD.1|name
HD[MessageHeader.source-endpoint]|HD.2|endpoint
MSH[MessageHeader]|MSH-3|source[1].endpoint
@siu_s12 MessageHeader.source.name=SCHED && MessageHeader.source._endpoint.extension[url=http://hl7.org/fhir/StructureDefinition/data-absent-reason].valueCode=unknown
HD[MessageHeader.source-endpoint]|HD.1|name
HD[MessageHeader.source-endpoint]|HD.3|endpoint.extension[1].url
HD[MessageHeader.source-endpoint]|HD.3|endpoint.extension[1].valueCode
@adt_a01 MessageHeader.sender@.identifier.value=GOODHEALTH && MessageHeader.sender@.identifier.value=urn:oid:2.16.840.1.113883.3.999 && MessageHeader.sender@.identifier.system=urn:ietf:rfc:3986
MSH[MessageHeader]|MSH-4|sender(Organization)
HD[Organization]|HD.1|identifier[1].value
HD[Organization]|HD.2|identifier[2].value
HD[Organization]|HD.3|identifier[2].system
@adt_a01 MessageHeader.sender@.identifier.type.coding.code=ISO
HD[Organization]|HD.3|identifier[2].type
@adt_a01 MessageHeader.destination.name=FHIRGATE && MessageHeader.destination._endpoint.extension.valueCode=unknown
MSH[MessageHeader]|MSH-5|destination[1].name
MSH[MessageHeader]|MSH-25|destination[1].endpoint.extension.url
MSH[MessageHeader]|MSH-25|destination[1].endpoint.extension.valueCode
HD[MessageHeader.destination-endpoint]|HD.1|name
HD[MessageHeader.destination-endpoint]|HD.3|endpoint.extension.url
HD[MessageHeader.destination-endpoint]|HD.3|endpoint.extension.valueCode
@oru_r01 MessageHeader.source.endpoint=urn:oid:2.16.840.1.113883.3.999.2
HD[MessageHeader.destination-endpoint]|HD.2|endpoint
@adt_a01 MessageHeader.destination.receiver@.identifier.value=STATEHIE
MSH[MessageHeader]|MSH-6|destination[1].receiver(Organization)
@adt_a01 MessageHeader.meta.security.code=RESTRICTED
MSH[MessageHeader]|MSH-8|meta.security
@adt_a01 MessageHeader.eventCoding.code=A01 && MessageHeader.eventCoding.system=http://terminology.hl7.org/CodeSystem/v2-0003 && MessageHeader.eventCoding.display=ADT^A01^ADT_A01
MSH[MessageHeader]|MSH-9|eventCoding
MSG[Coding]|MSG|display
MSG[Coding]|MSG.2|code
MSG[Coding]|MSG.2|system
@adt_a01 MessageHeader.meta.tag[system=http://terminology.hl7.org/CodeSystem/v2-0103].code=P && MessageHeader.meta.tag[system=http://terminology.hl7.org/CodeSystem/v2-0207].code=T
MSH[MessageHeader]|MSH-11|meta
PT[Meta]|PT.1|tag[1].code
PT[Meta]|PT.1|tag[1].system
PT[Meta]|PT.2|tag[2].code
PT[Meta]|PT.2|tag[2].system
@adt_a01 MessageHeader.responsible@.name=GoodHealth Responsible && MessageHeader.responsible@.identifier.value=77
MSH[MessageHeader]|MSH-22|responsible(Organization)
XON[Organization]|XON.1|name
XON[Organization]|XON.10|identifier.value
@adt_a01 MessageHeader.responsible@.identifier.type.coding.code=XX && MessageHeader.responsible@.identifier.type.coding.system=http://terminology.hl7.org/CodeSystem/v2-0203 && MessageHeader.responsible@.identifier.system=urn:oid:2.16.840.1.113883.3.999
XON[Organization]|XON.7|identifier.type.coding.code
XON[Organization]|XON.7|identifier.type.coding.system
XON[Organization]|XON.6|identifier[1].system
XON[Organization]|XON.6|identifier[1].assigner(Organization)
@adt_a01 MessageHeader.source.version=7.4.2 && MessageHeader.source.software=ADT Engine
SFT[MessageHeader]|SFT-2|source.version
SFT[MessageHeader]|SFT-3|source.software
@adt_a01 Bundle.type=transaction && Bundle.timestamp=2024-03-15T14:30:12-05:00 && Bundle.identifier.value=CTRL0001
MSH[Bundle]|MSH|type
MSH[Bundle]|MSH-7|timestamp
MSH[Bundle]|MSH-10|identifier.value
@adt_a01 Provenance.activity.coding.display=message - ADT^A01^ADT_A01 && Provenance.recorded=2024-03-15T14:30:12-05:00 && Provenance.occurredDateTime=2024-03-15T14:30:12-05:00
MSH[Provenance-Source]|MSH-9|activity.coding.display
MSH[Provenance-Source]|MSH-7|recorded
MSH[Provenance-Source]|MSH-7|occurred
@adt_a01 Provenance.agent[who=*].who@.name=GoodHealth Responsible && Provenance.agent.type.coding.code=author && Provenance.agent.type.coding.system=http://terminology.hl7.org/CodeSystem/provenance-participant-type
MSH[Provenance-Source]|MSH-22|agent[2].who(Organization)
MSH[Provenance-Source]|MSH-22|agent[2].type.coding.code
MSH[Provenance-Source]|MSH-22|agent[2].type.coding.system
@oru_r01 Provenance.agent.who@.identifier.value=GHLAB && Provenance.agent.type.coding.code=author
MSH[Provenance-Source]|MSH-4|agent[1].who(Organization)
MSH[Provenance-Source]|MSH-4|agent[1].type.coding.code
MSH[Provenance-Source]|MSH-4|agent[1].type.coding.system
@adt_a01 Provenance.activity.coding.code=v2-fhir-transformation && Provenance.activity.coding.system=http://hl7.org/fhir/uv/v2mappings/CodeSystem/provenance-activity-type-v2-to-fhir && Provenance.agent.type.coding.code=assembler && Provenance.agent.who.display=Courier
MSH[Provenance-Transformation]|MSH|activity.coding.code
MSH[Provenance-Transformation]|MSH|activity.coding.system
MSH[Provenance-Transformation]|MSH|recorded
MSH[Provenance-Transformation]|MSH|agent[1].type.coding.code
MSH[Provenance-Transformation]|MSH|agent[1].type.coding.system
MSH[Provenance-Transformation]|MSH|agent[1].who(Organization|Device)
@adt_a01 Provenance.activity.coding.display=event - :ADT^A01 && Provenance.recorded=2024-03-15T14:29:00-04:00 && Provenance.occurredDateTime=2024-03-15T14:25:00-04:00
EVN[Provenance]|EVN|activity.coding.display
EVN[Provenance]|EVN-2|recorded
EVN[Provenance]|EVN-6|occurredDateTime
@adt_a01 Provenance.reason.coding.code=O && Provenance.agent.who@.name.family=Clerk && Provenance.location@.name=WARD4
EVN[Provenance]|EVN-4|reason
EVN[Provenance]|EVN-5|agent.who(Practitioner)
EVN[Provenance]|EVN-7|location(Location)
HD[Location]|HD.1|name
@adt_a01 Provenance.location@.identifier.value=2.16.840.1.113883.3.999.4 && Provenance.location@.physicalType.coding.code=si
HD[Location]|HD.2|identifier.value
HD[Location]|HD.2|physicalType.coding.code
HD[Location]|HD.2|physicalType.coding.system
@adt_a40 Provenance.agent.who@.identifier.value=GH
MSH[Provenance-Operator]|MSH-4|agent.who(Organization)
@adt_a01 Patient.identifier[value=ALT77].type.coding.code=PI
PID[Patient]|PID-2|identifier[1]
@adt_a01 Patient.identifier.value=MRN12345 && Patient.identifier.value=999-99-9999
PID[Patient]|PID-3|identifier[2]
CX[Identifier]|CX.1|value
@adt_a01 Patient.identifier.value=OLD55
PID[Patient]|PID-4|identifier[3]
@adt_a01 Patient.identifier[value=MRN12345].extension[url=http://hl7.org/fhir/StructureDefinition/identifier-checkDigit].valueString=7 && Patient.identifier[value=MRN12345].extension[url=http://hl7.org/fhir/StructureDefinition/namingsystem-checkDigit].valueString=M10
CX[Identifier]|CX.2|extension[1].url
CX[Identifier]|CX.2|extension[1].valueString
CX[Identifier]|CX.3|extension[2].url
CX[Identifier]|CX.3|extension[2].valueString
@adt_a01 Patient.identifier[value=MRN12345].system=http://hospital.example.org/mrn && Patient.identifier[value=999-99-9999].system=urn:oid:2.16.840.1.113883.4.1 && Patient.identifier[value=MRN12345].assigner@.identifier.value=GH && Patient.identifier[value=MRN12345].type.coding.code=MR
CX[Identifier]|CX.4|assigner(Organization)
CX[Identifier]|CX.4|system
CX[Identifier]|CX.5|type.coding.code
@adt_a01 Patient.identifier[value=MRN12345].period.start=2020-01-01 && Patient.identifier[value=MRN12345].period.end=2030-12-31
CX[Identifier]|CX.7|period.start
CX[Identifier]|CX.8|period.end
@adt_a01 Patient.name[use=official].family=Doe && Patient.name[use=official].given=Jane && Patient.name[use=official].given=Q && Patient.name[use=official].suffix=Jr && Patient.name[use=official].prefix=Dr && Patient.name[use=official].suffix=PhD && Patient.name[use=official].suffix=III
PID[Patient]|PID-5|name[1]
XPN[HumanName]|XPN.1|[1].family
XPN[HumanName]|XPN.2|[1].given[1]
XPN[HumanName]|XPN.3|[1].given[2]
XPN[HumanName]|XPN.4|[1].suffix[1]
XPN[HumanName]|XPN.5|[1].prefix
XPN[HumanName]|XPN.6|[1].suffix[2]
XPN[HumanName]|XPN.7|[1].use
XPN[HumanName]|XPN.14|[1].suffix[3]
FN[HumanName]|FN.1|family
@adt_a01 Patient.name[use=official].period.start=2010-01-01 && Patient.name[use=official].period.end=2099-12-31
XPN[HumanName]|XPN.12|[1].period.start
XPN[HumanName]|XPN.13|[1].period.end
@adt_a01 Patient.name[use=official].extension[url=http://hl7.org/fhir/StructureDefinition/humanname-assembly-order].valueCode?
XPN[HumanName]|XPN.11|[1].extension.url
XPN[HumanName]|XPN.11|[1].extension.valueCode
@adt_a01 Patient.name[use=nickname].given=Janie
XPN[HumanName]|XPN.15|[2].given
XPN[HumanName]|XPN.15|[2].use
@adt_a01 Patient.name._family.extension[url=http://hl7.org/fhir/StructureDefinition/humanname-own-prefix].valueString=van && Patient.name._family.extension[url=http://hl7.org/fhir/StructureDefinition/humanname-own-name].valueString=Dam && Patient.name._family.extension[url=http://hl7.org/fhir/StructureDefinition/humanname-partner-prefix].valueString=de && Patient.name._family.extension[url=http://hl7.org/fhir/StructureDefinition/humanname-partner-name].valueString=Berg
FN[HumanName]|FN.2|family.extension[1].url
FN[HumanName]|FN.2|family.extension[1].valueString
FN[HumanName]|FN.3|family.extension[2].url
FN[HumanName]|FN.3|family.extension[2].valueString
FN[HumanName]|FN.4|family.extension[3].url
FN[HumanName]|FN.4|family.extension[3].valueString
FN[HumanName]|FN.5|family.extension[3].url
FN[HumanName]|FN.5|family.extension[3].valueString
@adt_a01 Patient.extension[url=http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName].valueString=Mary Smith
PID[Patient]|PID-6|extension[1].url
PID[Patient]|PID-6|extension[1].valueString
@adt_a01 Patient.birthDate=1980-02-14 && Patient._birthDate.extension[url=http://hl7.org/fhir/StructureDefinition/patient-birthTime].valueDateTime=1980-02-14T08:30:00-05:00
PID[Patient]|PID-7|birthDate
PID[Patient]|PID-7|birthDate.extension[1].url
PID[Patient]|PID-7|birthDate.extension[1].valueDateTime
@adt_a01 Patient.gender=female
PID[Patient]|PID-8|gender
CWE[code]|CWE.1|$value
@adt_a01 Patient.name.family=Doee
PID[Patient]|PID-9|name[2]
@adt_a01 Patient.address.line=12 Main St && Patient.address.line=Main St && Patient.address.line=12 && Patient.address.line=Apt 4 && Patient.address.city=Springfield && Patient.address.state=IL && Patient.address.postalCode=62701 && Patient.address.country=USA && Patient.address.use=home
PID[Patient]|PID-11|address[1]
XAD[Address]|XAD.1|line[1-3]
SAD[Address]|SAD.1|line[1]
SAD[Address]|SAD.2|line[2]
SAD[Address]|SAD.3|line[3]
XAD[Address]|XAD.2|line[4]
XAD[Address]|XAD.3|city
XAD[Address]|XAD.4|state
XAD[Address]|XAD.5|postalCode
XAD[Address]|XAD.6|country
XAD[Address]|XAD.7|use
@adt_a01 Patient.address.district=Sangamon && Patient.address.extension[url=http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-censusTract].valueCode=1701 && Patient.address.line=Back door
XAD[Address]|XAD.9|district
XAD[Address]|XAD.10|extension[3].url
XAD[Address]|XAD.10|extension[3].valueCode
XAD[Address]|XAD.19|line[5]
@adt_a01 Patient.address.period.start=2015-01-01 && Patient.address.period.end=2025-12-31
XAD[Address]|XAD.13|period.start
XAD[Address]|XAD.14|period.end
@adt_a01 Patient.address.district=SANGAMON
PID[Patient]|PID-12|address[2].district
@adt_a01 Patient.telecom[value=+1 217 5551234 X12].use=home && Patient.telecom[value=+1 217 5551234 X12].system=phone && Patient.telecom[value=jane@example.org].system=email
PID[Patient]|PID-13|telecom[1]
XTN[ContactPoint]|XTN.2|use
XTN[ContactPoint]|XTN.3|system
XTN[ContactPoint]|XTN.4|value
XTN[ContactPoint]|XTN.7|value
@adt_a01 Patient.telecom.extension[url=http://hl7.org/fhir/StructureDefinition/contactpoint-country].valueString=1 && Patient.telecom.extension[url=http://hl7.org/fhir/StructureDefinition/contactpoint-area].valueString=217 && Patient.telecom.extension[url=http://hl7.org/fhir/StructureDefinition/contactpoint-local].valueString=5551234 && Patient.telecom.extension[url=http://hl7.org/fhir/StructureDefinition/contactpoint-extension].valueString=12
XTN[ContactPoint]|XTN.5|extension[1].url
XTN[ContactPoint]|XTN.5|extension[1].valueString
XTN[ContactPoint]|XTN.6|extension[2].url
XTN[ContactPoint]|XTN.6|extension[2].valueString
XTN[ContactPoint]|XTN.7|extension[3].url
XTN[ContactPoint]|XTN.7|extension[3].valueString
XTN[ContactPoint]|XTN.8|extension[4].url
XTN[ContactPoint]|XTN.8|extension[4].valueString
@adt_a01 Patient.telecom[value=217 5559876].use=mobile
PID[Patient]|PID-14|telecom[2]
@adt_a01 Patient.telecom[value=+1 217 5557777].system=phone
PID[Patient]|PID-40|telecom[3]
@adt_a01 Patient.maritalStatus.coding.code=S && Patient.maritalStatus.coding.system=http://terminology.hl7.org/CodeSystem/v3-MaritalStatus
PID[Patient]|PID-16|maritalStatus
@adt_a01 Patient.extension[url=http://hl7.org/fhir/StructureDefinition/patient-religion].valueCodeableConcept.coding.code=CHR
PID[Patient]|PID-17|extension[2].url
PID[Patient]|PID-17|extension[2].valueCodeableConcept
@adt_a01 Patient.identifier[value=123-45-6789].system=http://hl7.org/fhir/sid/us-ssn && Patient.identifier[value=123-45-6789].type.coding.code=SS && Patient.identifier[value=123-45-6789].type.coding.system=http://terminology.hl7.org/CodeSystem/v2-0203
PID[Patient]|PID-19|identifier[4].value
PID[Patient]|PID-19|identifier[4].type.coding.code
PID[Patient]|PID-19|identifier[4].type.coding.system
PID[Patient]|PID-19|identifier[4].system
@adt_a01 Patient.identifier[value=D1234567].type.coding.code=DL && Patient.identifier[value=D1234567].period.end=2030-01-01
PID[Patient]|PID-20|identifier[5]
DLN[Identifier]|DLN.1|value
DLN[Identifier]|DLN.1|type.coding.code
DLN[Identifier]|DLN.1|type.coding.sytem
DLN[Identifier]|DLN.3|period.end
@adt_a01 Patient.extension[url=http://hl7.org/fhir/StructureDefinition/patient-birthPlace].valueAddress.text=Springfield General
PID[Patient]|PID-23|extension[3].url
PID[Patient]|PID-23|extension[3].valueAddress.text
@adt_a01 Patient.multipleBirthInteger=2
PID[Patient]|PID-25|multipleBirthInteger
@adt_a01 Patient.extension[url=http://hl7.org/fhir/StructureDefinition/patient-citizenship].extension[url=code].valueCodeableConcept.coding.code=USA
PID[Patient]|PID-26|extension[4].url
PID[Patient]|PID-26|extension[4].extension[1].url
PID[Patient]|PID-26|extension[4].extension[1].valueCodeableConcept
PID[Patient]|PID-39|extension[7].url
PID[Patient]|PID-39|extension[7].extension[1].url
PID[Patient]|PID-39|extension[7].extension[1].valueCodeableConcept
@adt_a01 Patient.extension[url=http://hl7.org/fhir/StructureDefinition/patient-nationality].extension[url=code].valueCodeableConcept.coding.code=USA
PID[Patient]|PID-28|extension[5].url
PID[Patient]|PID-28|extension[5].extension[1].url
PID[Patient]|PID-28|extension[5].extension[1].valueCodeableConcept
@adt_a01 Patient.deceasedBoolean=false
PID[Patient]|PID-30|deceasedBoolean
@adt_a01 Patient.extension[url=http://hl7.org/fhir/StructureDefinition/patient-animal].extension[url=species].valueCodeableConcept.coding.code=125097000 && Patient.extension[url=http://hl7.org/fhir/StructureDefinition/patient-animal].extension[url=breed].valueCodeableConcept.coding.code=4880003
PID[Patient]|PID-35|extension[6].url
PID[Patient]|PID-35|extension[6].extension[1].url
PID[Patient]|PID-35|extension[6].extension[1].valueCodeableConcept
PID[Patient]|PID-36|extension[6].url
PID[Patient]|PID-36|extension[6].extension[2].url
PID[Patient]|PID-36|extension[6].extension[2].valueCodeableConcept
@siu_s12 Appointment.participant.actor@.identifier.value=MRN12345
PID[Appointment]|PID-3|participant.actor[2](Patient)
@adt_a01 Patient.generalPractitioner@.name=Family Clinic && Patient.generalPractitioner@.name.family=Green
PD1[Patient]|PD1-3|generalPractitioner[1](Organization)
PD1[Patient]|PD1-4|generalPractitioner[2](Practitioner)
@adt_a01 Patient.extension[url=http://hl7.org/fhir/StructureDefinition/patient-disability].valueCodeableConcept.coding.code=DIS && Patient.extension[url=http://hl7.org/fhir/StructureDefinition/patient-congregation].valueString=First Church
PD1[Patient]|PD1-6|extension[1].url
PD1[Patient]|PD1-6|extension[1].valueCodeableConcept
PD1[Patient]|PD1-14|extension[2].url
PD1[Patient]|PD1-14|extension[2].valueString
@adt_a01 Patient.contact.name.family=Doe && Patient.contact.relationship.coding.code=SPO && Patient.contact.relationship.coding.code=EMC && Patient.contact.address.city=Springfield && Patient.contact.telecom.value=+1 217 5551234 && Patient.contact.telecom[value=+1 217 5550000].use=work && Patient.contact.period.start=2020-01-01 && Patient.contact.period.end=2030-12-31 && Patient.contact.gender=male
NK1[Patient]|NK1-2|contact.name
NK1[Patient]|NK1-3|contact.relationship[1]
NK1[Patient]|NK1-4|contact.address
NK1[Patient]|NK1-5|contact.telecom[1]
NK1[Patient]|NK1-6|contact.telecom[2]
NK1[Patient]|NK1-6|contact.telecom[2].use
NK1[Patient]|NK1-7|contact.relationship[2]
NK1[Patient]|NK1-8|contact.period.start
NK1[Patient]|NK1-9|contact.period.end
NK1[Patient]|NK1-15|contact.gender
@adt_a01 RelatedPerson.name.family=Doe && RelatedPerson.relationship.coding.code=SPS && RelatedPerson.relationship.coding.code=EMC && RelatedPerson.address.city=Springfield && RelatedPerson.telecom.value=+1 217 5551234 && RelatedPerson.telecom[value=+1 217 5550000].use=work && RelatedPerson.period.start=2020-01-01 && RelatedPerson.period.end=2030-12-31 && RelatedPerson.identifier.value=NK77 && RelatedPerson.gender=male && RelatedPerson.birthDate=1979-01-01 && RelatedPerson.communication.language.coding.code=en
NK1[RelatedPerson]|NK1-2|name[1]
NK1[RelatedPerson]|NK1-3|relationship[1]
NK1[RelatedPerson]|NK1-4|address[1]
NK1[RelatedPerson]|NK1-5|telecom[1]
NK1[RelatedPerson]|NK1-6|telecom[2]
NK1[RelatedPerson]|NK1-6|telecom[2].use
NK1[RelatedPerson]|NK1-7|relationship[2]
NK1[RelatedPerson]|NK1-8|period.start
NK1[RelatedPerson]|NK1-9|period.end
NK1[RelatedPerson]|NK1-12|identifier[1]
NK1[RelatedPerson]|NK1-15|gender
NK1[RelatedPerson]|NK1-16|birthDate
NK1[RelatedPerson]|NK1-20|communication.language
@adt_a01 Encounter.class.code=IMP && Encounter.class.system=http://terminology.hl7.org/CodeSystem/v3-ActCode
PV1[Encounter]|PV1-2|class
CWE[Coding]|CWE.1|code
CWE[Coding]|CWE.3|system
@oru_r01 Encounter.status=in-progress
PV1[Encounter]|PV1-2|status
@adt_a01 Encounter.location[status=active].location@.name=B && Encounter.location[status=active].location@.physicalType.coding.code=bd && Encounter.location[status=active].location@.description=Fourth floor west
PV1[Encounter]|PV1-3|location[1].location(Location)
PV1[Encounter]|PV1-3|location[1].status
PL[Location]|PL.3|[1].identifier[1]
PL[Location]|PL.3|[1].mode
PL[Location]|PL.3|[1].physicalType.coding.code
PL[Location]|PL.3|[1].physicalType.coding.system
PL[Location]|PL.9|[1].location(Location.description)
@adt_a01 Encounter.location[status=active].location@.partOf@.name=401 && Encounter.location[status=active].location@.partOf@.physicalType.coding.code=ro && Encounter.location[status=active].location@.partOf@.mode=instance
PL[Location]|PL.3|[1].partOf.reference(Location[2])
PL[Location]|PL.2|[2].identifier[1]
PL[Location]|PL.2|[2].mode
PL[Location]|PL.2|[2].physicalType.coding.code
PL[Location]|PL.2|[2].physicalType.coding.system
@adt_a01 Encounter.location[status=active].location@.partOf@.partOf@.name=4 && Encounter.location[status=active].location@.partOf@.partOf@.physicalType.coding.code=lvl && Encounter.location[status=active].location@.partOf@.partOf@.partOf@.name=4W
PL[Location]|PL.2|[2].partOf.reference(Location[3])
PL[Location]|PL.8|[3].identifier[1]
PL[Location]|PL.8|[3].mode
PL[Location]|PL.8|[3].physicalType.coding.code
PL[Location]|PL.8|[3].physicalType.coding.system
PL[Location]|PL.8|[3].partOf.reference(Location[4])
PL[Location]|PL.1|[4].identifier[1]
PL[Location]|PL.1|[4].location(Location.mode)
@adt_a01 Location[name=MAIN].physicalType.coding.code=bu && Location[name=GHFAC].physicalType.coding.code=si && Location[name=GHFAC].identifier.value=2.16.840.1.113883.3.999.1 && Location[name=MAIN].partOf@.name=GHFAC
PL[Location]|PL.7|[5].identifier[1]
PL[Location]|PL.7|[5].mode
PL[Location]|PL.7|[5].physicalType.coding.code
PL[Location]|PL.7|[5].physicalType.coding.system
PL[Location]|PL.4|[6].identifier[1]
PL[Location]|PL.4|[6].mode
PL[Location]|PL.4|[6].physicalType.coding.code
PL[Location]|PL.4|[6].physicalType.coding.system
HD[Identifier]|HD.1|value[1]
HD[Identifier]|HD.2|value[2]
@adt_a01 Location[name=GHFAC].identifier.type.coding.code=ISO
HD[Identifier]|HD.3|type[2]
@adt_a01 Encounter.type.coding.code=E
PV1[Encounter]|PV1-4|type
@adt_a01 Encounter.hospitalization.preAdmissionIdentifier.value=PRE99
PV1[Encounter]|PV1-5|hospitalization.preAdmissionIdentifier
@adt_a01 Encounter.location[status=completed].location@.name=A
PV1[Encounter]|PV1-6|location[2].location(Location)
PV1[Encounter]|PV1-6|location[2].status
@adt_a01 Encounter.participant.type.coding[code=ATND].system=http://terminology.hl7.org/CodeSystem/v3-ParticipationType && Encounter.participant.type.coding[code=ATND].display=attender && Encounter.participant[type=*].individual@.name.family=Attend
PV1[Encounter]|PV1-7|participant[1].individual(Practitioner)
PV1[Encounter]|PV1-7|participant[1].type.coding.code
PV1[Encounter]|PV1-7|participant[1].type.coding.system
PV1[Encounter]|PV1-7|participant[1].type.coding.display
@adt_a01 Encounter.participant.type.coding.code=REF && Encounter.participant.individual@.name.family=Refer && Encounter.participant.type.coding.code=CON && Encounter.participant.individual@.name.family=Consult && Encounter.participant.type.coding.code=ADM && Encounter.participant.individual@.name.family=Admit && Encounter.participant.type.coding.code=PART && Encounter.participant.individual@.name.family=Other
PV1[Encounter]|PV1-8|participant[2].individual(Practitioner)
PV1[Encounter]|PV1-8|participant[2].type.coding.code
PV1[Encounter]|PV1-8|participant[2].type.coding.system
PV1[Encounter]|PV1-9|participant[3].individual(Practitioner)
PV1[Encounter]|PV1-9|participant[3].type.coding.code
PV1[Encounter]|PV1-9|participant[3].type.coding.system
PV1[Encounter]|PV1-17|participant[4].individual(Practitioner)
PV1[Encounter]|PV1-17|participant[4].type.coding.code
PV1[Encounter]|PV1-17|participant[4].type.coding.system
PV1[Encounter]|PV1-52|participant[5].individual(Practitioner)
PV1[Encounter]|PV1-52|participant[5].type.coding.code="PART"
PV1[Encounter]|PV1-52|participant[5].type.coding.system
@adt_a01 Encounter.serviceType.coding.code=MED
PV1[Encounter]|PV1-10|serviceType
@adt_a01 Encounter.location.extension[url=http://hl7.org/fhir/StructureDefinition/subject-locationClassification].valueCodeableConcept.coding.code=temporary && Encounter.location[extension=*].location@.name=TEMP1
PV1[Encounter]|PV1-11|location[3].location(Location)
PV1[Encounter]|PV1-11|location[3].status
PV1[Encounter]|PV1-11|location[3].extension.url
PV1[Encounter]|PV1-11|location[3].extension.valueCodeableConcept.coding.code
@adt_a01 Encounter.hospitalization.reAdmission.coding.code=R && Encounter.hospitalization.admitSource.coding.code=7 && Encounter.hospitalization.specialArrangement.coding.code=A0 && Encounter.hospitalization.specialCourtesy.coding.code=VIP
PV1[Encounter]|PV1-13|hospitalization.reAdmission
PV1[Encounter]|PV1-14|hospitalization.admitSource
PV1[Encounter]|PV1-15|hospitalization.specialArrangement
PV1[Encounter]|PV1-16|hospitalization.specialCourtesy
@adt_a01 Patient.extension[url=http://hl7.org/fhir/StructureDefinition/patient-importance].valueCodeableConcept.coding.code=VIP
PV1[Patient]|PV1-16|extension[1].url
PV1[Patient]|PV1-16|extension[1].valueCodeableConcept
@adt_a01 Encounter.identifier[value=VN5555].type.coding.code=VN && Encounter.identifier[value=VN5555].type.coding.system=http://terminology.hl7.org/CodeSystem/v2-0203 && Encounter.identifier[value=VN5555].type.text=visit number
PV1[Encounter]|PV1-19|identifier[1]
PV1[Encounter]|PV1-19|identifier[1].type.coding.code
PV1[Encounter]|PV1-19|identifier[1].type.coding.system
PV1[Encounter]|PV1-19|identifier[1].type.text
@adt_a01 Encounter.hospitalization.dischargeDisposition.coding.code=01 && Encounter.hospitalization.destination@.name=HOME && Encounter.hospitalization.dietPreference.coding.code=VEG
PV1[Encounter]|PV1-36|hospitalization.dischargeDisposition
PV1[Encounter]|PV1-37|hospitalization.destination(Location)
PV1[Encounter]|PV1-38|hospitalization.dietPreference
@adt_a01 Encounter.location[status=active].location@.operationalStatus.code=O
PV1[Encounter]|PV1-40|location[1].location(Location.operationalStatus)
@adt_a01 Encounter.location[status=reserved].location@.name=A
PV1[Encounter]|PV1-42|location[4].location(Location)
PV1[Encounter]|PV1-42|location[4].status
@adt_a01 Encounter.period.start=2024-03-15T14:00:00-04:00 && Encounter.period.end=2024-03-20T11:00:00-04:00 && Encounter.status=finished
PV1[Encounter]|PV1-44|period.start
PV1[Encounter]|PV1-45|period.end
PV1[Encounter]|PV1-45|status="finished"
@adt_a01 Encounter.identifier.value=ALTVN1
PV1[Encounter]|PV1-50|identifier[2]
@adt_a01 Encounter.location[status=planned].location@.name=A
PV2[Encounter]|PV2-1|location[5].location(Location)
PV2[Encounter]|PV2-1|location[5].status
@adt_a01 Encounter.reasonCode.coding.code=CHEST
PV2[Encounter]|PV2-3|reasonCode[1]
@adt_a01 Encounter.extension[url=http://hl7.org/fhir/5.0/StructureDefinition/extension-Encounter.plannedStartDate].valueDateTime=2024-03-15 && Encounter.extension[url=http://hl7.org/fhir/5.0/StructureDefinition/extension-Encounter.plannedEndDate].valueDateTime=2024-03-20
PV2[Encounter]|PV2-8|extension[1].url
PV2[Encounter]|PV2-8|extension[1].valueDateTime
PV2[Encounter]|PV2-9|extension[2].url
PV2[Encounter]|PV2-9|extension[2].valueDateTime
@adt_a01 Encounter.length.value=5 && Encounter.length.unit=days && Encounter.length.system=http://unitsofmeasure.org && Encounter.length.code=d
PV2[Encounter]|PV2-11|length
NM[Quantity-LengthOfStay]|NM.1|value
NM[Quantity-LengthOfStay]|NM.1|unit
NM[Quantity-LengthOfStay]|NM.1|code
@adt_a01 Encounter.participant.individual@.name.family=Refer && Encounter.participant.individual@.name.given=Rita
PV2[Encounter]|PV2-13|participant.individual(Practitioner)
PV2[Encounter]|PV2-13|participant.type.coding.code
PV2[Encounter]|PV2-13|participant.type.coding.system
@adt_a01 Encounter.priority.coding.code=1
PV2[Encounter]|PV2-25|priority
@adt_a01 Encounter.extension[url=http://hl7.org/fhir/StructureDefinition/encounter-modeOfArrival].valueCoding.code?
PV2[Encounter]|PV2-38|extension[1].url
PV2[Encounter]|PV2-38|extension[1].valueCoding
@adt_a01 Observation.valueQuantity.value=172.5 && Observation.valueQuantity.unit=centimeter && Observation.valueQuantity.code=cm && Observation.valueQuantity.system=http://unitsofmeasure.org && Observation.code.coding.code=8302-2 && Observation.referenceRange.text=150-200
OBX[Observation]|OBX-3|code
OBX[Observation]|OBX-5|valueQuantity.value
OBX[Observation]|OBX-6|valueQuantity[1]
OBX[Observation]|OBX-7|referenceRange.text
NM[Quantity]|NM.1|$value
CWE[Quantity]|CWE.1|Quantity.code
CWE[Quantity]|CWE.2|Quantity.unit
CWE[Quantity]|CWE.3|Quantity.system
@oru_r01 Observation.valueQuantity[code=*].value=60 && Observation.valueQuantity.comparator=>
OBX[Observation]|OBX-5|valueQuantity[1]
SN[Quantity]|SN.1|comparator
SN[Quantity]|SN.2|value
@oru_r01 Observation.valueQuantity[value=5].unit=mL
CWE[Quantity]|CWE.1|Quantity.unit
@adt_a01 Observation.valueString=120^over^80
OBX[Observation]|OBX-5|valueString
@adt_a01 Observation.interpretation.coding.code=N && Observation.interpretation.coding.system=http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation && Observation.status=final && Observation.effectiveDateTime=2024-03-15T14:15:00-04:00
OBX[Observation]|OBX-8|interpretation
OBX[Observation]|OBX-11|status
OBX[Observation]|OBX-14|effectiveDateTime
@oru_r01 Observation.valueCodeableConcept.coding.code=278149003 && Observation.valueCodeableConcept.coding.system=http://snomed.info/sct && Observation.valueCodeableConcept.coding.display=Blood group A Rh(D) positive
OBX[Observation]|OBX-5|valueCodeableConcept
CWE[CodeableConcept]|CWE.1|coding[1].code
CWE[CodeableConcept]|CWE.2|coding[1].display
CWE[CodeableConcept]|CWE.3|coding[1].system
@oru_r01 Observation.valueRatio.numerator.value=1 && Observation.valueRatio.denominator.value=3 && Observation.valueRatio.extension[url=http://hl7.org/fhir/StructureDefinition/originalText].valueString=1 : 3
OBX[Observation]|OBX-5|valueRatio[1]
SN[Ratio]|SN|extension[1].url
SN[Ratio]|SN|extension[1].valueString
SN[Ratio]|SN.2|numerator.value
SN[Ratio]|SN.4|denominator.value
@oru_r01 Observation.valueRange.low.value=100 && Observation.valueRange.high.value=150 && Observation.valueRange.low.unit=mg/dL && Observation.valueRange.high.unit=mg/dL && Observation.valueRange.extension[url=http://hl7.org/fhir/StructureDefinition/originalText].valueString=100 - 150
OBX[Observation]|OBX-5|valueRange[1]
OBX[Observation]|OBX-6|valueRange[1].low
OBX[Observation]|OBX-6|valueRange[1].high
SN[Range]|SN|extension[1].url
SN[Range]|SN|extension[1].valueString
SN[Range]|SN.2|low.value
SN[Range]|SN.4|high.value
@oru_r01 Observation.valueDateTime=2024-03-16
OBX[Observation]|OBX-5|valueDateTime
@oru_r01 Observation.extension[url=http://hl7.org/fhir/5.0/StructureDefinition/extension-Observation.valueAttachment].valueAttachment.contentType=application/pdf && Observation.extension.valueAttachment.data=SGVsbG8gV29ybGQ=
OBX[Observation]|OBX-5|extension[1].url
OBX[Observation]|OBX-5|extension[1].valueAttachment
ED[Attachment]|ED.3|contentType
ED[Attachment]|ED.5|data
@oru_r01 Observation.component.valueString=Result reviewed && Observation.component.valueString=second line && Observation.component.code.coding.code=8251-1 && Observation.status=corrected
OBX[Observation-Component]|OBX-3|component[each].code
OBX[Observation-Component]|OBX-5|component[each].valueString
OBX[Observation-Component]|OBX-11|status
@oru_r01 Observation.component.valueQuantity.value=95 && Observation.component.valueQuantity.value=97 && Observation.component.valueQuantity.unit=mg/dL && Observation.code.coding.code=2345-7
OBX[Observation-Component]|OBX-3|code
OBX[Observation-Component]|OBX-5|component[each].valueQuantity
OBX[Observation-Component]|OBX-6|component[each].valueQuantity
@oru_r01 Observation._status.extension[url=http://hl7.org/fhir/StructureDefinition/alternate-codes].valueCodeableConcept.coding.code=X && Observation._status.extension.valueCodeableConcept.coding.system=http://terminology.hl7.org/CodeSystem/v2-0085
OBX[Observation]|OBX-11|status.extension[1].url
OBX[Observation]|OBX-11|status.extension[1].valueCodeableConcept.coding.code
OBX[Observation]|OBX-11|status.extension[1].valueCodeableConcept.coding.system
@oru_r01 Observation.extension[url=http://hl7.org/fhir/StructureDefinition/observation-v2-subid].valueString=1
OBX[Observation]|OBX-4|$this
@oru_r01 Observation.extension[url=http://hl7.org/fhir/StructureDefinition/observation-nature-of-abnormal-test].valueCodeableConcept.coding.code=A
OBX[Observation]|OBX-10|extension[2].uri
OBX[Observation]|OBX-10|extension[2].valueCodeableConcept
@oru_r01 Observation.performer@.name=Good Health Lab && Observation.performer@.identifier.value=GHLAB
OBX[Observation]|OBX-15|performer[2](Organization)
CWE[Organization]|CWE.1|identifier.value
CWE[Organization]|CWE.2|name
@oru_r01 Observation.performer@.name.family=Tech
OBX[Observation]|OBX-16|performer[1](PractitionerRole.practitioner(Practitioner))
@oru_r01 Observation.method.coding.code=ENZ && Observation.bodySite.coding.code=LA && Observation.identifier.value=OBS-1 && Observation.identifier.type.coding.code=FILL
OBX[Observation]|OBX-17|method
OBX[Observation]|OBX-20|bodySite
OBX[Observation]|OBX-21|identifier
OBX[Observation]|OBX-21|identifier.type.coding.code
EI[Identifier-Extension]|EI.1|value
@oru_r01 Observation.extension[url=http://hl7.org/fhir/StructureDefinition/observation-analysis-date-time].valueDateTime=2024-03-16T08:45:00-04:00
OBX[Observation]|OBX-19|extension[2].url
OBX[Observation]|OBX-19|extension[2].valueDateTime
@oru_r01 Observation.performer@.name=GH Lab && Observation.performer@.address.city=Springfield && Observation.performer@.name.family=Director
OBX[Observation]|OBX-23|performer[2](Organization)
OBX[Observation]|OBX-24|performer[2](Organization.address)
OBX[Observation]|OBX-25|performer[2](PractitionerRole[1].practitioner)
@oru_r01 Observation.category.coding.code=RSLT && Observation.category.coding.system=http://terminology.hl7.org/CodeSystem/v2-0936
OBX[Observation]|OBX-29|category[1].coding.code
OBX[Observation]|OBX-29|category[1].coding.system
@adt_a01 AllergyIntolerance.clinicalStatus.coding.code=active && AllergyIntolerance.clinicalStatus.coding.system=http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical && AllergyIntolerance.category=medication && AllergyIntolerance.type=allergy && AllergyIntolerance.code.coding.code=70618
AL1[AllergyIntolerance]|AL1|clinicalStatus.coding.code
AL1[AllergyIntolerance]|AL1|clinicalStatus.coding.system
AL1[AllergyIntolerance]|AL1-2|category
AL1[AllergyIntolerance]|AL1-2|type
AL1[AllergyIntolerance]|AL1-3|code
@adt_a01 AllergyIntolerance._category.extension[url=http://hl7.org/fhir/StructureDefinition/alternate-codes].valueCodeableConcept.coding.code=DA && AllergyIntolerance._criticality.extension[url=http://hl7.org/fhir/StructureDefinition/alternate-codes].valueCodeableConcept.coding.code=SV
AL1[AllergyIntolerance]|AL1-2|category.extension[1].url
AL1[AllergyIntolerance]|AL1-2|category.extension[1].valueCodeableConcept
AL1[AllergyIntolerance]|AL1-4|criticality.extension[1].url
AL1[AllergyIntolerance]|AL1-4|criticality.extension[1].valueCodeableConcept
@adt_a01 AllergyIntolerance.criticality=high && AllergyIntolerance.reaction.severity=severe && AllergyIntolerance.reaction.manifestation.text=Hives && AllergyIntolerance.onsetDateTime=2010-01-01
AL1[AllergyIntolerance]|AL1-4|criticality
AL1[AllergyIntolerance]|AL1-4|reaction.severity
AL1[AllergyIntolerance]|AL1-5|reaction.manifestation.text
AL1[AllergyIntolerance]|AL1-6|onsetDateTime
ST[CodeableConcept]|ST.1|text
@adt_a01 Condition.code.coding.code=I10 && Condition.code.coding.system=http://hl7.org/fhir/sid/icd-10 && Condition.code.text=Hypertension && Condition.onsetDateTime=2024-03-15 && Condition.asserter@.name.family=Diag
DG1[Condition]|DG1-3|code[1]
DG1[Condition]|DG1-4|code[1].text
DG1[Condition]|DG1-5|onsetDateTime
DG1[Condition]|DG1-16|asserter(Practitioner)
@adt_a01 Condition.recordedDate=2024-03-15T14:20:00-04:00 && Condition.extension[url=http://hl7.org/fhir/StructureDefinition/condition-assertedDate].valueDateTime=2024-03-15T14:20:00-04:00 && Condition.identifier.value=DX1
DG1[Condition]|DG1-19|extension[1].url
DG1[Condition]|DG1-19|extension[1].valueDateTime
DG1[Condition]|DG1-19|recordedDate
DG1[Condition]|DG1-20|identifier
@adt_a01 Encounter.diagnosis.condition@.code.coding.code=I10 && Encounter.diagnosis.condition@.code.text=Hypertension && Encounter.diagnosis.condition@.onsetDateTime=2024-03-15 && Encounter.diagnosis.use.coding.code=AD && Encounter.diagnosis.rank=1 && Encounter.diagnosis.condition@.asserter@.name.family=Diag && Encounter.diagnosis.condition@.recordedDate? && Encounter.diagnosis.condition@.identifier.value=DX1
DG1[Encounter]|DG1-3|diagnosis.condition(Condition.code)
DG1[Encounter]|DG1-4|diagnosis.condition(Condition.code.text)
DG1[Encounter]|DG1-5|diagnosis.condition(Condition.onsetDateTime)
DG1[Encounter]|DG1-6|diagnosis.use
DG1[Encounter]|DG1-15|diagnosis.rank
DG1[Encounter]|DG1-16|diagnosis.condition(Condition.asserter(Practitioner)
DG1[Encounter]|DG1-19|diagnosis.condition(Condition.extension[1].url)
DG1[Encounter]|DG1-19|diagnosis.condition(Condition.extension[1].valueDateTime)
DG1[Encounter]|DG1-19|diagnosis.condition(Condition.recordedDate)
DG1[Encounter]|DG1-20|diagnosis.condition(Condition.identifier)
@adt_a01 Coverage.identifier.value=PLAN7 && Coverage.payor@.name=Acme Insurance && Coverage.payor@.identifier.value=INS1 && Coverage.payor@.address.city=Chicago
IN1[Coverage]|IN1-2|identifier
IN1[Coverage]|IN1-4|payor[1](Organization)
IN1[Coverage]|IN1-5|payer[1](Organization.address)
@adt_a01 Coverage.extension[url=http://hl7.org/fhir/5.0/StructureDefinition/extension-Coverage.subscriberId].valueIdentifier.value=EMP1 && Coverage.extension.valueIdentifier.value=SUB1
IN1[Coverage]|IN1-10|extension[1].url
IN1[Coverage]|IN1-10|extension[1].valueIdentifier
IN1[Coverage]|IN1-49|extension[1].url
IN1[Coverage]|IN1-49|extension[1].valueIdentifier
@adt_a01 Coverage.policyHolder@.name=Employer Inc && Coverage.period.start=2024-01-01 && Coverage.period.end=2024-12-31 && Coverage.type.coding.code=HMO && Coverage.subscriber@.name.family=Doe && Coverage.relationship.coding.code=SPS
IN1[Coverage]|IN1-11|policyHolder[1](Organization)
IN1[Coverage]|IN1-12|period.start
IN1[Coverage]|IN1-13|period.end
IN1[Coverage]|IN1-15|type
IN1[Coverage]|IN1-16|subscriber(RelatedPerson)
IN1[Coverage]|IN1-17|relationship
@orm_o01 ServiceRequest.status=active && ServiceRequest.intent=reflex-order && ServiceRequest.authoredOn=2024-03-18T07:55:00-04:00 && ServiceRequest.requester@.name.family=Attend
ORC[ServiceRequest]|ORC-5|status
ORC[ServiceRequest]|ORC-9|authoredOn
ORC[ServiceRequest]|ORC-12|requester(PractitionerRole.practitioner)
OBR[ServiceRequest]|OBR-11|intent
@oml_o21 ServiceRequest.status=active && ServiceRequest.intent=order
ORC[ServiceRequest]|ORC-1|status
ORC[ServiceRequest]|ORC-1|intent
OBR[ServiceRequest]|OBR|intent
@oml_o21 ServiceRequest.identifier.value=ORD600 && ServiceRequest.identifier.type.coding.code=PLAC && ServiceRequest.identifier.type.coding.system=http://terminology.hl7.org/CodeSystem/v2-0203
OBR[ServiceRequest]|OBR-2|identifier[1]
OBR[ServiceRequest]|OBR-2|identifier[1].type.coding.code
OBR[ServiceRequest]|OBR-2|identifier[1].type.coding.system
@oru_r01 ServiceRequest.identifier.value=FL200 && ServiceRequest.identifier[value=FL200].type.coding.code=FILL
OBR[ServiceRequest]|OBR-3|identifier[2]
OBR[ServiceRequest]|OBR-3|identifier[2].type.coding.code
OBR[ServiceRequest]|OBR-3|identifier[2].type.coding.system
@mdm_t02 ServiceRequest.identifier.value=ORD700 && ServiceRequest.identifier.type.coding.code=PLAC
ORC[ServiceRequest]|ORC-2|identifier[1]
ORC[ServiceRequest]|ORC-2|identifier[1].type.coding.code
ORC[ServiceRequest]|ORC-2|identifier[1].type.coding.system
@oru_r01 ServiceRequest.requisition.value=GRP1 && ServiceRequest.requisition.type.coding.code=PGN && ServiceRequest.requisition.type.coding.system=http://terminology.hl7.org/CodeSystem/v2-0203
ORC[ServiceRequest]|ORC-4|requisition[1].value
ORC[ServiceRequest]|ORC-4|requisition[1].type.coding.code
ORC[ServiceRequest]|ORC-4|requisition[1].type.coding.system
@oru_r01 ServiceRequest.extension[url=http://hl7.org/fhir/StructureDefinition/servicerequest-order-callback-phone-number].valueContactPoint.value=+1 217 5550001
ORC[ServiceRequest]|ORC-14|extension[3].url
ORC[ServiceRequest]|ORC-14|extension[3].valueContactPoint
@oru_r01 ServiceRequest.meta.security.code=R && ServiceRequest.locationCode.coding.code=O
ORC[ServiceRequest]|ORC-28|meta.security
ORC[ServiceRequest]|ORC-29|locationCode
@orm_o01 ServiceRequest.identifier.value=ALT500 && ServiceRequest.identifier[value=ALT500].type.coding.code=PLAC
ORC[ServiceRequest]|ORC-33|identifier[4]
ORC[ServiceRequest]|ORC-33|identifier[4].type.coding.code
ORC[ServiceRequest]|ORC-33|identifier[4].type.coding.system
@orm_o01 ServiceRequest.code.coding.code=80053 && ServiceRequest.code.coding.system=http://www.ama-assn.org/go/cpt && ServiceRequest.priority=stat && ServiceRequest.occurrenceDateTime=2024-03-18T08:00:00-04:00 && ServiceRequest.reasonCode.coding.code=Routine check
OBR[ServiceRequest]|OBR-4|code
OBR[ServiceRequest]|OBR-5|priority
OBR[ServiceRequest]|OBR-6|occurrenceDateTime
OBR[ServiceRequest]|OBR-31|reasonCode
@orm_o01 ServiceRequest.occurrenceTiming.repeat.boundsPeriod.start=2024-03-18T09:00:00-04:00
ORC[ServiceRequest]|ORC-7|$this
@oru_r01 ServiceRequest.basedOn.identifier.value=PARENT1 && ServiceRequest.basedOn.type=ServiceRequest && ServiceRequest.basedOn.identifier.value=PARENTF1 && ServiceRequest.basedOn.identifier.type.coding.code=PGN && ServiceRequest.basedOn.identifier.type.coding.code=FGN
OBR[ServiceRequest]|OBR-29|basedOn[1].identifier
OBR[ServiceRequest]|OBR-29|basedOn[1].type
OBR[ServiceRequest]|OBR-29|basedOn[2].identifier
OBR[ServiceRequest]|OBR-29|basedOn[2].type
EIP[Identifier-PlacerAssignedIdentifier]|EIP.1|value
EIP[Identifier-PlacerAssignedIdentifier]|EIP.1|type.coding.code
EIP[Identifier-PlacerAssignedIdentifier]|EIP.1|type.coding.system
EIP[Identifier-FillerAssignedIdentifier]|EIP.2|value
EIP[Identifier-FillerAssignedIdentifier]|EIP.2|type.coding.code
EIP[Identifier-FillerAssignedIdentifier]|EIP.2|type.coding.system
@oru_r01 ServiceRequest.orderDetail.coding.code=NEW && ServiceRequest.orderDetail.coding.code=FILLERDETAIL && ServiceRequest.identifier[value=ALTPL1].type.coding.code=PLAC
OBR[ServiceRequest]|OBR-46|orderDetail[1]
OBR[ServiceRequest]|OBR-47|orderDetail[2]
OBR[ServiceRequest]|OBR-53|identifier[3]
OBR[ServiceRequest]|OBR-53|identifier[3].type.coding.code
OBR[ServiceRequest]|OBR-53|identifier[3].type.coding.system
@oru_r01 ServiceRequest.note.text=Specimen slightly hemolyzed.
NTE[ServiceRequest]|NTE-3|note.text
@oru_r01 Observation.note.text=Fasting sample.
NTE[Observation]|NTE-3|note.text
@oml_o21 ServiceRequest.quantityQuantity.value=2 && ServiceRequest.occurrenceTiming.repeat.boundsPeriod.start=2024-03-18T09:00:00-04:00 && ServiceRequest.occurrenceTiming.repeat.boundsPeriod.end=2024-03-18T10:00:00-04:00 && ServiceRequest.priority=routine && ServiceRequest.note.text=Draw before noon && ServiceRequest.occurrenceTiming.repeat.duration=30 && ServiceRequest.occurrenceTiming.repeat.durationUnit=min && ServiceRequest.occurrenceTiming.repeat.countMax=3
TQ1[ServiceRequest]|TQ1-2|quantityQuantity
TQ1[ServiceRequest]|TQ1-7|occurrenceTiming.repeat.boundsPeriod.start
TQ1[ServiceRequest]|TQ1-8|occurrenceTiming.repeat.boundsPeriod.end
TQ1[ServiceRequest]|TQ1-9|priority
TQ1[ServiceRequest]|TQ1-11|note(Annotation.text)
TQ1[ServiceRequest]|TQ1-13|occurrenceTiming.duration
TQ1[ServiceRequest]|TQ1-13|occurrenceTiming.durationUnit
TQ1[ServiceRequest]|TQ1-14|occurrenceTiming.repeat.countMax
CQ[Quantity]|CQ.1|value
@oru_r01 DiagnosticReport.identifier[value=PL100].type.coding.code=PLAC && DiagnosticReport.identifier[value=FL200].type.coding.code=FILL && DiagnosticReport.identifier.type.coding.system=http://terminology.hl7.org/CodeSystem/v2-0203
OBR[DiagnosticReport]|OBR-2|identifier[1]
OBR[DiagnosticReport]|OBR-2|identifier[1].type.coding.code
OBR[DiagnosticReport]|OBR-2|identifier[1].type.coding.system
OBR[DiagnosticReport]|OBR-3|identifier[2]
OBR[DiagnosticReport]|OBR-3|identifier[2].type.coding.code
OBR[DiagnosticReport]|OBR-3|identifier[2].type.coding.system
ORC[DiagnosticReport]|ORC-2|identifier[1]
ORC[DiagnosticReport]|ORC-2|identifier[1].type.coding.code
ORC[DiagnosticReport]|ORC-2|identifier[1].type.coding.system
ORC[DiagnosticReport]|ORC-3|identifier[2]
ORC[DiagnosticReport]|ORC-3|identifier[2].type.coding.code
ORC[DiagnosticReport]|ORC-3|identifier[2].type.coding.system
@oru_r01 DiagnosticReport.basedOn@.identifier.value=PL100 && DiagnosticReport.identifier[value=GRP1].type.coding.code=PGN
ORC[DiagnosticReport]|ORC-2|basedOn(ServiceRequest)
ORC[DiagnosticReport]|ORC-4|identifier[4]
@oru_r01 DiagnosticReport.extension[url=http://hl7.org/fhir/StructureDefinition/event-statusReason].valueCodeableConcept.coding.code=LATE && DiagnosticReport.meta.security.code=R
ORC[DiagnosticReport]|ORC-16|extension[1].url
ORC[DiagnosticReport]|ORC-16|extension[1].valueCodeableConcept
ORC[DiagnosticReport]|ORC-28|meta.security
@oru_r01 DiagnosticReport.code.coding.code=24331-1 && DiagnosticReport.effectivePeriod.start=2024-03-16T07:15:00-04:00 && DiagnosticReport.effectivePeriod.end=2024-03-16T07:20:00-04:00 && DiagnosticReport.issued=2024-03-16T09:00:00-04:00 && DiagnosticReport.category.coding.code=CH && DiagnosticReport.status=final
OBR[DiagnosticReport]|OBR-4|code
OBR[DiagnosticReport]|OBR-7|effectivePeriod.start
OBR[DiagnosticReport]|OBR-8|effectivePeriod.end
OBR[DiagnosticReport]|OBR-22|issued
OBR[DiagnosticReport]|OBR-24|category
OBR[DiagnosticReport]|OBR-25|status
ID[CodeableConcept]|ID.1|coding.code
@mdm_t02 ServiceRequest.code.coding.code=11506-3
@oru_r01 Specimen.accessionIdentifier.value=PL100 && Specimen.collection.collectedPeriod.start=2024-03-16T07:15:00-04:00 && Specimen.collection.collectedPeriod.end=2024-03-16T07:20:00-04:00 && Specimen.collection.quantity.value=5 && Specimen.collection.quantity.unit=milliliter && Specimen.collection.collector@.name.family=Draw && Specimen.receivedTime=2024-03-16T07:30:00-04:00
OBR[Specimen]|OBR-2|accessionIdentifier
OBR[Specimen]|OBR-7|collection.collectedPeriod.start
OBR[Specimen]|OBR-8|collection.collectedPeriod.end
OBR[Specimen]|OBR-9|collection.quantity
OBR[Specimen]|OBR-10|collection.collector(Practitioner)
OBR[Specimen]|OBR-14|receivedTime
CQ[Quantity]|CQ.2|unit
@oru_r01 Specimen.type.coding.code=BLD && Specimen.note.text=Fasting && Specimen.collection.bodySite.coding.code=LA && Specimen.condition.coding.code=HEM && Specimen.note.text=Collected at home
OBR[Specimen]|OBR-15|$this
SPS[Specimen-Source]|SPS.1|type
SPS[Specimen-Source]|SPS.3|note(Annotation.text)
SPS[Specimen-Source]|SPS.4|collection.bodySite
SPS[Specimen-Source]|SPS.6|condition
OBR[Specimen]|OBR-39|note
@oru_r01 Specimen.identifier[value=SP1].type.coding.code=PGN && Specimen.identifier[value=SPF1].type.coding.code=FGN && Specimen.identifier[value=SP1].system=urn:oid:2.16.840.1.113883.3.999.3
SPM[Specimen]|SPM-2|identifier[1]
SPM[Specimen]|SPM-2|identifier[2]
@oru_r01 Specimen[identifier=*].type.coding.code=BLD && Specimen.collection.method.coding.code=VENIP && Specimen.collection.bodySite.coding.code=LA && Specimen.collection.quantity.value=5 && Specimen.note.text=Handle with care && Specimen.collection.collectedPeriod.start=2024-03-16T07:00:00-04:00 && Specimen.receivedTime=2024-03-16T07:30:00-04:00
SPM[Specimen]|SPM-4|type
SPM[Specimen]|SPM-7|collection.method
SPM[Specimen]|SPM-8|collection.bodySite
SPM[Specimen]|SPM-12|collection.quantity
SPM[Specimen]|SPM-14|note(Annotation.text)
SPM[Specimen]|SPM-17|collection.collectedPeriod
DR[Period]|DR.1|start
DR[Period]|DR.2|end
@oru_r01 Specimen.status=available && Specimen.condition.coding.code=FROZ && Specimen.container.type.coding.code=SST
SPM[Specimen]|SPM-20|status
SPM[Specimen]|SPM-24|condition
SPM[Specimen]|SPM-27|container.type
@oml_o21 Specimen.type.coding.code=SER && ServiceRequest.specimen@.identifier.value=SP9
@oru_r01 DiagnosticReport.result@.code.coding.code=2093-3 && DiagnosticReport.specimen@.identifier.value=SP1
@vxu_v04 Immunization.occurrenceDateTime=2024-03-17T10:00:00-04:00 && Immunization.vaccineCode.coding.code=08 && Immunization.vaccineCode.coding.system=http://hl7.org/fhir/sid/cvx && Immunization.doseQuantity.value=0.5 && Immunization.doseQuantity.code=mL && Immunization.doseQuantity.system=http://unitsofmeasure.org
RXA[Immunization]|RXA-3|occurrenceDateTime
RXA[Immunization]|RXA-5|vaccineCode
RXA[Immunization]|RXA-6|doseQuantity.value
RXA[Immunization]|RXA-7|doseQuantity
@vxu_v04 Immunization.performer[function=*].actor@.name.family=Admin && Immunization.performer.function.coding.code=AP && Immunization.performer.function.coding.system=http://terminology.hl7.org/CodeSystem/v2-0443
RXA[Immunization]|RXA-10|performer.actor(Practitioner)
RXA[Immunization]|RXA-10|performer.function.coding.code
RXA[Immunization]|RXA-10|performer.function.coding.system
@vxu_v04 Immunization.lotNumber=LOT42 && Immunization.expirationDate=2025-12-31 && Immunization.manufacturer@.name=Merck && Immunization.manufacturer@.identifier.value=MSD && Immunization.manufacturer@.identifier.system=http://terminology.hl7.org/CodeSystem/MVX
RXA[Immunization]|RXA-15|lotNumber
RXA[Immunization]|RXA-16|expirationDate
RXA[Immunization]|RXA-17|manufacturer(Organization)
CWE[Organization]|CWE.3|identifier.system
@vxu_v04 Immunization.reasonCode.coding.code=PROPH && Immunization.status=completed && Immunization.recorded=2024-03-17T10:10:00-04:00
RXA[Immunization]|RXA-19|reasonCode
RXA[Immunization]|RXA-20|status
RXA[Immunization]|RXA-22|recorded
@vxu_v04 Immunization.location@.name=CLINIC1 && Immunization.location@.address.line=9 Clinic Rd
RXA[Immunization]|RXA-27|location[1](Location)
RXA[Immunization]|RXA-28|location[1](Location.address)
@vxu_v04 Immunization.route.coding.code=IM && Immunization.site.coding.code=LT
RXR[Immunization]|RXR-1|route
RXR[Immunization]|RXR-2|site
@vxu_v04 Immunization.identifier[value=IZ-PL-1].type.coding.code=PLAC && Immunization.identifier[value=IZ-FL-1].type.coding.code=FILL && Immunization.identifier.type.coding.system=http://terminology.hl7.org/CodeSystem/v2-0203 && Immunization.identifier[value=IZGRP].type.coding.code=PGN
ORC[Immunization]|ORC-2|identifier[1]
ORC[Immunization]|ORC-2|identifier[1].type.coding.code="PLAC"
ORC[Immunization]|ORC-2|identifier[1].type.coding.system
ORC[Immunization]|ORC-3|identifier[2]
ORC[Immunization]|ORC-3|identifier[2].type.coding.code
ORC[Immunization]|ORC-3|identifier[2].type.coding.system
ORC[Immunization]|ORC-4|identifier[4]
@vxu_v04 Immunization.performer.function.coding.code=OP && Immunization.performer.actor@.name.family=Nurse && Immunization.meta.security.code=N
ORC[Immunization]|ORC-12|performer.function.coding.code
ORC[Immunization]|ORC-12|performer.function.coding.system
ORC[Immunization]|ORC-28|meta.security
@vxu_v04 Observation.partOf@.lotNumber=LOT42 && Observation.valueCodeableConcept.coding.code=V02 && Observation.note.text=Parent consented.
@mdm_t02 DocumentReference.status=current && DocumentReference.type.coding.code=11506-3 && DocumentReference.content.attachment.contentType=text/plain && DocumentReference.date=2024-03-19T11:30:00-04:00
TXA[DocumentReference]|TXA|status
TXA[DocumentReference]|TXA-2|type
TXA[DocumentReference]|TXA-3|content.attachment.contentType
TXA[DocumentReference]|TXA-6|date
TXA[DocumentReference]|TXA-19|status
@mdm_t02 DocumentReference.author@.name.family=Attend && DocumentReference.authenticator@.name.family=Sign && DocumentReference.masterIdentifier.value=DOC123 && DocumentReference.identifier.value=FILLER9 && DocumentReference.docStatus=final && DocumentReference.securityLabel.coding.code=R && DocumentReference.description=Daily progress note
TXA[DocumentReference]|TXA-9|author(Practitioner)
TXA[DocumentReference]|TXA-10|authenticator(Practitioner)
TXA[DocumentReference]|TXA-12|masterIdentifier
TXA[DocumentReference]|TXA-16|identifier[1]
TXA[DocumentReference]|TXA-17|docStatus
TXA[DocumentReference]|TXA-18|securityLabel
TXA[DocumentReference]|TXA-25|description
EI[Identifier-Organization]|EI.1|value
ST[Identifier]|ST.1|$value
@mdm_t02 DocumentReference.masterIdentifier.assigner@.identifier.value=GH && DocumentReference.masterIdentifier.assigner@.identifier.value=urn:oid:2.16.840.1.113883.3.999 && DocumentReference.masterIdentifier.assigner@.identifier.type.coding.code=ISO
EI[Identifier-Organization]|EI.2|assigner(Organization[1].identifier[1].value)
EI[Identifier-Organization]|EI.3|assigner(Organization[1].identifier[2].value)
EI[Identifier-Organization]|EI.4|assigner(Organization[1].identifier[2].type)
@mdm_t02 DocumentReference.content.attachment.data=UGF0aWVudCBpcyBpbXByb3ZpbmcuClBsYW46IGRpc2NoYXJnZSB0b21vcnJvdy4= && DocumentReference.context.related@.identifier.value=ORD700
OBX[DocumentReference]|OBX-5|content[4].data
OBX[DocumentReference]|OBX-5|content[4].contentType
@mdm_t02 DocumentReference.content.attachment.title=notes && DocumentReference.content.attachment.data=RGljdGF0ZWQsIG5vdCBwcm9vZnJlYWQu
NTE[DocumentReference]|NTE-3|content[1].attachment.data
@siu_s12 Appointment.identifier.value=APPT-PL-1 && Appointment.identifier.value=APPT-FL-1 && Appointment.appointmentType.coding.code=FOLLOWUP && Appointment.minutesDuration=30 && Appointment.start=2024-03-25T10:00:00-04:00 && Appointment.end=2024-03-25T10:30:00-04:00 && Appointment.status=booked
SCH[Appointment]|SCH-1|identifier[1]
SCH[Appointment]|SCH-2|identifier[2]
SCH[Appointment]|SCH-7|appointmentType[1]
SCH[Appointment]|SCH-9|minutesDuration[1]
SCH[Appointment]|SCH-11|$this
SCH[Appointment]|SCH-25|status
@siu_s12 Appointment.participant.actor@.name.family=Attend && Appointment.participant.actor@.name.family=Filler && Appointment.participant.actor@.name.family=Clerk && Appointment.participant.type.coding.code=enterer && Appointment.participant.type.coding.system=http://terminology.hl7.org/CodeSystem/provenance-participant-type
SCH[Appointment]|SCH-12|participant[1].actor(Practitioner)
SCH[Appointment]|SCH-16|participant[2].actor(Practitioner)
SCH[Appointment]|SCH-20|participant[3].actor(Practitioner)
SCH[Appointment]|SCH-20|participant[3].type[1].coding.code
SCH[Appointment]|SCH-20|participant[3].type[1].coding.system
@siu_s12 Appointment.basedOn.identifier.value=ORD500 && Appointment.basedOn.type=ServiceRequest
SCH[Appointment]|SCH-26|basedOn(ServiceRequest)
@siu_s12 Appointment.extension[url=http://hl7.org/fhir/5.0/StructureDefinition/extension-Appointment.note].valueAnnotation.text=Bring insurance card.
NTE[Appointment-Comment]|NTE-3|extension[1].url
NTE[Appointment-Comment]|NTE-3|extension[1].valueAnnotation
FT[Annotation-Comment]|FT-1|text
@siu_s12 Appointment.serviceType.coding.code=99213 && Appointment.participant.period.start=2024-03-25T10:00:00-04:00 && Appointment.participant.period.end=2024-03-25T10:30:00-04:00
AIS[Appointment]|AIS-3|serviceType
AIS[Appointment]|AIS-4|participant.period.start
AIS[Appointment]|AIS-7|participant.period.end
@siu_s12 Appointment.participant.actor@.identifier.value=ROOMX && Appointment.participant.type.coding.code=ROOM
AIG[Appointment]|AIG-3|participant.actor(Location.identifier)
AIG[Appointment]|AIG-4|participant.type
AIG[Appointment]|AIG-8|participant.period.start
AIG[Appointment]|AIG-11|participant.period.end
@siu_s12 Appointment.participant.actor@.name=EXAM2 && Appointment.participant.type.coding.code=ATND
AIL[Appointment]|AIL-3|participant.actor[1]
AIL[Appointment]|AIL-6|participant.period.start
AIL[Appointment]|AIL-9|participant.period.end
AIP[Appointment]|AIP-3|participant.actor[1]
AIP[Appointment]|AIP-4|participant.type[1]
AIP[Appointment]|AIP-6|participant.period.start
AIP[Appointment]|AIP-9|participant.period.end
@adt_a40 Patient.link.type=replaces && Patient.link.type=replaced-by && Patient.active=false && Patient.link.other@.identifier.value=MRN99999
@adt_a01 Encounter.participant[individual=*].individual@.identifier.system=urn:oid:2.16.840.1.113883.4.6 && Encounter.participant.individual@.identifier.value=1001 && Encounter.participant.individual@.identifier.assigner@.identifier.value=urn:oid:2.16.840.1.113883.4.6 && Encounter.participant.individual@.name.prefix=Dr && Encounter.participant.individual@.name.use=official
XCN[Practitioner]|XCN.1|identifier[1].value
XCN[Practitioner]|XCN.2|name
XCN[Practitioner]|XCN.3|name.given[1]
XCN[Practitioner]|XCN.6|name.prefix
XCN[Practitioner]|XCN.9|identifier[1].assigner(Organization)
XCN[Practitioner]|XCN.9|identifier[1].system
XCN[Practitioner]|XCN.10|name.use
@adt_a01 Encounter.participant.individual@.qualification.code.coding.code=MD && Encounter.participant.individual@.identifier.type.coding.code=NPI
XCN[Practitioner]|XCN.7|qualification.code
XCN[Practitioner]|XCN.13|identifier[1].type.coding.code
`

// conformanceChecks2 covers the alternatives that adt_a08.hl7 exercises.
const conformanceChecks2 = `
@adt_a08 MessageHeader.source.endpoint=urn:uuid:5b6a2c3e-1f2d-4c5b-9a8e-7d6c5b4a3f21 && MessageHeader.destination.endpoint=urn:oid:2.16.840.1.113883.3.1000
HD[uri]|HD.2|$value
MSH[MessageHeader]|MSH-5|destination[1].endpoint
@adt_a08 Provenance.reason.extension[url=http://hl7.org/fhir/StructureDefinition/data-absent-reason].valueCode=unknown
EVN[Provenance]|EVN-4|reason.extension[1].url
EVN[Provenance]|EVN-4|reason.extension[1].valueCodeableConcept
@adt_a08 Patient.name.period.start=2010-01-01 && Patient.name.period.end=2020-12-31
XPN[HumanName]|XPN.10|[1].period
@adt_a08 Patient.address.district=COOK
PID[Patient]|PID-12|address[1].district
@adt_a08 Patient.telecom[value=2175551111].rank=2 && Patient.telecom[value=2175551111].period.start=2020-01-01 && Patient.telecom[value=2175551111].period.end=2030-12-31
XTN[ContactPoint]|XTN.12|value
XTN[ContactPoint]|XTN.13|period.start
XTN[ContactPoint]|XTN.14|period.end
XTN[ContactPoint]|XTN.18|rank
@adt_a08 Patient.telecom[value=(217)555-2222].system=phone && Patient.telecom[value=ann@example.org].system=email && Patient.telecom._system.extension[url=http://hl7.org/fhir/StructureDefinition/data-absent-reason].valueCode=unknown
XTN[ContactPoint]|XTN.1|value
XTN[ContactPoint]|XTN.3|system.extension-data-absent-reason
@adt_a08 Patient.deceasedDateTime=2024-03-20 && Patient.multipleBirthBoolean=true
PID[Patient]|PID-29|deceasedDateTime
PID[Patient]|PID-24|multipleBirthBoolean
@adt_a08 RelatedPerson.name.given=Carol && RelatedPerson.telecom[value=217 5553333].use=work && RelatedPerson.address.type=postal && RelatedPerson.identifier[value=111-22-3333].system=http://hl7.org/fhir/sid/us-ssn && RelatedPerson.identifier.type.coding.code=SS && RelatedPerson.telecom.value=217 5554444 && RelatedPerson.telecom[value=217 5555555].use=mobile
NK1[RelatedPerson]|NK1-30|name[2]
NK1[RelatedPerson]|NK1-31|telecom[3]
NK1[RelatedPerson]|NK1-32|address[2]
NK1[RelatedPerson]|NK1-37|identifier[3].value
NK1[RelatedPerson]|NK1-37|identifier[3].system
NK1[RelatedPerson]|NK1-37|identifier[3].type.coding.code
NK1[RelatedPerson]|NK1-40|telecom[4]
NK1[RelatedPerson]|NK1-41|telecom[5]
XAD[Address]|XAD.7|type
@adt_a08 Patient.contact.organization@.name=Smith Holdings && Patient.contact.telecom.value=217 5554444 && Patient.contact.telecom[value=217 5555555].use=mobile
NK1[Patient]|NK1-13|contact.organization[1](Organization)
NK1[Patient]|NK1-40|contact.telecom[3]
NK1[Patient]|NK1-41|contact.telecom[4]
@adt_a08 Organization[name=Smith Holdings].identifier.value=88
XON[Organization]|XON.3|identifier.value
@adt_a08 Organization[name=Other Insurance].identifier.extension[url=http://hl7.org/fhir/StructureDefinition/identifier-checkDigit].valueString=3 && Organization[name=Other Insurance].identifier.extension[url=http://hl7.org/fhir/StructureDefinition/namingsystem-checkDigit].valueString=M11
XON[Organization]|XON.4|identifier[1].extension[1].url
XON[Organization]|XON.4|identifier[1].extension[1].valueString
XON[Organization]|XON.5|identifier[1].extension[2].url
XON[Organization]|XON.5|identifier[1].extension[2].valueString
@adt_a08 Encounter.location.status=planned && Encounter.status=planned
@adt_a08 Practitioner.name.given=Middle && Practitioner.name.suffix=Sr && Practitioner.name.suffix=II && Practitioner.name.period.start=2010-01-01 && Practitioner.name.period.end=2030-12-31 && Practitioner.name.extension[url=http://hl7.org/fhir/StructureDefinition/humanname-assembly-order].valueCode?
XCN[Practitioner]|XCN.4|name.given[2]
XCN[Practitioner]|XCN.5|name.suffix[1]
XCN[Practitioner]|XCN.17|name.period
XCN[Practitioner]|XCN.21|name.suffix[2]
@adt_a08 Practitioner.identifier.extension[url=http://hl7.org/fhir/StructureDefinition/identifier-checkDigit].valueString=7 && Practitioner.identifier.extension[url=http://hl7.org/fhir/StructureDefinition/namingsystem-checkDigit].valueString=M10
XCN[Practitioner]|XCN.11|identifier[1].extension[1].url
XCN[Practitioner]|XCN.11|identifier[1].extension[1].valueString
XCN[Practitioner]|XCN.12|identifier[1].extension[2].url
XCN[Practitioner]|XCN.12|identifier[1].extension[2].valueString
@adt_a08 Observation.valueRange.low.value=10 && Observation.valueRange.high.value=20
OBX[Observation]|OBX-5|valueRange
NR[Range]|NR.1|low.value
NR[Range]|NR.2|high.value
@adt_a08 Observation.valueTime=14:30:00 && Observation.valuePeriod.start=2024-01-01 && Observation.valuePeriod.end=2024-01-31
OBX[Observation]|OBX-5|valueTime
OBX[Observation]|OBX-5|valuePeriod
@adt_a08 Observation.note.text=Range note && Observation.note.authorReference@.name.family=Note && Observation.note.time=2024-03-22T10:00:00-04:00
NTE[Observation]|NTE-5|note.authorReference(Practitioner)
NTE[Observation]|NTE-6|note.time
DTM[Annotation-Time]|DTM.1|time
@adt_a08 Observation.valueCodeableConcept.coding.code=A && Observation.valueCodeableConcept.coding.display=Alpha && Observation.valueCodeableConcept.coding.code=B && Observation.valueCodeableConcept.coding.display=Beta && Observation.valueCodeableConcept.coding.version=v1 && Observation.valueCodeableConcept.coding.version=v2 && Observation.valueCodeableConcept.text=Alpha original && Observation.valueCodeableConcept.coding.code=C && Observation.valueCodeableConcept.coding.display=Gamma && Observation.valueCodeableConcept.coding.version=v3
CNE[CodeableConcept]|CNE.1|coding[1].code
CNE[CodeableConcept]|CNE.2|coding[1].display
CNE[CodeableConcept]|CNE.4|coding[2].code
CNE[CodeableConcept]|CNE.5|coding[2].display
CNE[CodeableConcept]|CNE.7|coding[1].version
CNE[CodeableConcept]|CNE.8|coding[2].version
CNE[CodeableConcept]|CNE.9|text
CNE[CodeableConcept]|CNE.10|coding[3].code
CNE[CodeableConcept]|CNE.11|coding[3].display
CNE[CodeableConcept]|CNE.13|coding[3.version
CWE[CodeableConcept]|CWE.4|coding[2].code
CWE[CodeableConcept]|CWE.5|coding[2].display
CWE[CodeableConcept]|CWE.7|coding[1].version
CWE[CodeableConcept]|CWE.8|coding[2].version
CWE[CodeableConcept]|CWE.9|text
CWE[CodeableConcept]|CWE.10|coding[3].code
CWE[CodeableConcept]|CWE.11|coding[3].display
CWE[CodeableConcept]|CWE.13|coding[3].version
@adt_a08 Observation.valueCodeableConcept.coding.code=LA6576-8 && Observation.valueCodeableConcept.coding.system=http://loinc.org && Observation.valueCodeableConcept.coding.display=Positive && Observation.valueCodeableConcept.coding.code=POS && Observation.valueCodeableConcept.coding.display=Pos
CE[CodeableConcept]|CE.1|coding[1].code
CE[CodeableConcept]|CE.2|coding[1].display
CE[CodeableConcept]|CE.3|coding[1].system
CE[CodeableConcept]|CE.4|coding[2].code
CE[CodeableConcept]|CE.5|coding[2].display
@adt_a08 Observation.code.coding.system=urn:oid:2.16.840.1.113883.3.999.77 && Observation.dataAbsentReason.coding.code=not-asked && Observation.dataAbsentReason.coding.system=http://terminology.hl7.org/CodeSystem/data-absent-reason
OBX[Observation]|OBX-11|dataAbsentReason.coding[2].code
OBX[Observation]|OBX-11|dataAbsentReason.coding[2].system
@adt_a08 Condition.verificationStatus.coding.code=entered-in-error && Condition.verificationStatus.coding.system=http://terminology.hl7.org/CodeSystem/condition-ver-status && Condition.extension[url=http://hl7.org/fhir/StructureDefinition/condition-dueTo].valueReference@.identifier.value=DX1
DG1[Condition]|DG1-21|verificationStatus.coding.code
DG1[Condition]|DG1-21|verificationStatus.coding.system
DG1[Condition]|DG1-22|extension[2].url
DG1[Condition]|DG1-22|extension[2].valueReference(Condition)
@adt_a08 Encounter.diagnosis.condition@.verificationStatus.coding.code=entered-in-error && Encounter.diagnosis.condition@.extension.valueReference@.identifier.value=DX1
DG1[Encounter]|DG1-21|diagnosis.condition(Condition.verificationStatus.coding.code)
DG1[Encounter]|DG1-21|diagnosis.condition(Condition.verificationStatus.coding.system
DG1[Encounter]|DG1-22|diagnosis.condition(Condition.extension[1].uri)
DG1[Encounter]|DG1-22|diagnosis.condition(Condition.extension[1].valueReference(Condition))
@adt_a08 Coverage.subscriber@.name.given=Ann && Coverage.subscriber@.birthDate=1950-01-01
IN1[Coverage]|IN1-16|subscriber(Patient)
@adt_a01 Encounter.participant.type[text=referrer].coding.code=REF && Encounter.participant.type[text=consultant].coding.code=CON && Encounter.participant.type[text=admitter].coding.code=ADM && Encounter.participant.type[text=Participation].coding.code=PART
PV1[Encounter]|PV1-8|participant[2].type.text
PV1[Encounter]|PV1-9|participant[3].type.text
PV1[Encounter]|PV1-17|participant[4].type.text
PV1[Encounter]|PV1-52|participant[5].type.text="Participation"
PV2[Encounter]|PV2-13|participant.type.text
@adt_a01 Encounter.location.extension.valueCodeableConcept.coding.system=http://hl7.org/fhir/ValueSet/subject-location
PV1[Encounter]|PV1-11|location[3].extension.valueCodeableConcept.coding.system
@adt_a08 Patient.telecom[value=5556666].use=home && Patient.telecom[value=(217)555-2222].use=home
PID[Patient]|PID-13|telecom[1].use
@oru_r01 ServiceRequest.identifier[value=FL200].system=urn:oid:2.16.840.1.113883.3.999.2
@vxu_v04 Immunization.recorded?
ORC[Immunization]|ORC-9|recorded
@orm_o01 ServiceRequest.requester@.name.given=Alice
@adt_a01 Patient.communication.language.coding.code=en && MessageHeader.language=en
PID[Patient]|PID-15|communication.language
MSH[MessageHeader]|MSH-19|language
`
