package fhir

import (
	"strings"
	"sync"
)

// conceptRow is one row of a v2-to-FHIR concept map: a v2 code in a v2 table, and the FHIR
// code, display and system it maps to. Rows with an empty FHIR code say the v2 code has no
// FHIR equivalent.
type conceptRow struct {
	Code, System             string // v2 code and table (HL70001)
	Target, Display, TSystem string // FHIR code, display and code system
}

// conceptMap is one concept map of the guide, transcribed in vocab_tables.go from the CSV
// file named in File (folder codesystems/ of the guide's mapping spreadsheets).
type conceptMap struct {
	Name string
	File string
	Rows []conceptRow

	once  sync.Once
	exact map[string][]int // row indexes by code
	fold  map[string][]int // row indexes by upper-case code
}

// index builds the maps from codes to rows, once.
func (m *conceptMap) index() {
	m.once.Do(func() {
		m.exact = make(map[string][]int, len(m.Rows))
		m.fold = make(map[string][]int, len(m.Rows))
		for i, r := range m.Rows {
			if r.Target == "" {
				continue
			}
			m.exact[r.Code] = append(m.exact[r.Code], i)
			u := strings.ToUpper(r.Code)
			m.fold[u] = append(m.fold[u], i)
		}
	})
}

// lookup returns the rows for code. system is the v2 coding system sent with the code
// (CWE.3); it must be empty or name the map's table, as the guide's translator logic asks: a
// local code that happens to equal a table code is not translated.
func (m *conceptMap) lookup(code, system string) (conceptRow, bool) {
	if m == nil || code == "" {
		return conceptRow{}, false
	}
	m.index()
	rows := m.exact[code]
	if len(rows) == 0 {
		rows = m.fold[strings.ToUpper(code)]
	}
	for _, i := range rows {
		r := m.Rows[i]
		if system != "" && r.System != "" && !sameTable(system, r.System) {
			continue
		}
		return r, true
	}
	return conceptRow{}, false
}

// sameTable compares v2 table names leniently: HL70001, HL7001 and 0001 name one table.
func sameTable(a, b string) bool {
	if strings.EqualFold(a, b) {
		return true
	}
	return tableNumber(a) != "" && tableNumber(a) == tableNumber(b)
}

func tableNumber(s string) string {
	s = strings.ToUpper(s)
	s = strings.TrimPrefix(s, "HL7")
	s = strings.TrimLeft(s, "0")
	if !digits(s) {
		return ""
	}
	return s
}

// code returns the FHIR code for a v2 code, or "".
func (m *conceptMap) code(code, system string) string {
	r, _ := m.lookup(code, system)
	return r.Target
}

// cmap returns the transcribed concept map called name. It panics on a name that is not
// transcribed: that is a programming error that every test run finds.
func cmap(name string) *conceptMap {
	m, ok := conceptMaps[name]
	if !ok {
		panic("fhir: concept map " + name + " is not transcribed in vocab_tables.go")
	}
	return m
}

// The concept maps the converter uses, resolved once.
var (
	vocabSex              = cmap("AdministrativeSex")
	vocabMarital          = cmap("MaritalStatus")
	vocabEncounterClass   = cmap("PatientClass[EncounterClass]")
	vocabEncounterStatus  = cmap("PatientClass[EncounterStatus]")
	vocabObsStatus        = cmap("ObservationResultStatusCodesInterpretation")
	vocabReportStatus     = cmap("ResultStatus[Non-Queries]")
	vocabOrderControl     = cmap("OrderControlCode[ServiceRequest.status]")
	vocabOrderStatus      = cmap("OrderStatus")
	vocabCompletion       = cmap("CompletionStatus")
	vocabNameType         = cmap("NameType")
	vocabAddressUse       = cmap("AddressType[Use]")
	vocabAddressType      = cmap("AddressType[Type]")
	vocabTelecomUse       = cmap("TelecommunicationUseCode")
	vocabTelecomEquipment = cmap("TelecommunicationEquipmentType")
	vocabAllergyCategory  = cmap("AllergenType[AllergyIntoleranceCategory]")
	vocabAllergyType      = cmap("AllergyType")
	vocabCriticality      = cmap("AllergySeverity[AllergyIntolerance.criticality]")
	vocabReactionSeverity = cmap("AllergySeverity[AllergyIntolerance.reaction.severity]")
	vocabRelationship     = cmap("Relationship")
	vocabContactRole      = cmap("ContactRole")
	vocabApptStatus       = cmap("FillerStatusCodes[Appointment]")
	vocabPriority         = cmap("ExtendedPriorityCodes")
	vocabDiagnosisType    = cmap("DiagnosisType")
	vocabInterpretation   = cmap("InterpretationCodes")
	vocabYesNo            = cmap("YesNoIndicator")
	vocabUniversalIDType  = cmap("UniversalIDType")
	vocabDocConfidential  = cmap("DocumentConfidentialityStatus")
	vocabAdmissionType    = cmap("AdmissionType")
	vocabHospitalService  = cmap("HospitalService")
	vocabDischarge        = cmap("DischargeDisposition")
	vocabReligion         = cmap("Religion")
	vocabIdentifierType   = cmap("IdentifierType")
	vocabEventReason      = cmap("EventReason")
	vocabSpecimenType     = cmap("SpecimenType")
	vocabCollectionMethod = cmap("SpecimenCollectionMethod")
	vocabSourceSite       = cmap("SpecimenSourceSite")
	vocabSpecimenCond     = cmap("SpecimenCondition")
	vocabContainerType    = cmap("ContainerType")
	vocabRoute            = cmap("RouteOfAdministration")
	vocabBodyParts        = cmap("BodyParts")
	vocabServiceSection   = cmap("DiagnosticServiceSectionID")
	vocabAbnormalTesting  = cmap("NatureOfAbnormalTesting")
	vocabEncPriority      = cmap("EncounterPriority")
	vocabArrival          = cmap("ModeOfArrivalCode")
	vocabDiet             = cmap("DietType")
	vocabVIP              = cmap("VIPIndicator")
	vocabAmbulatory       = cmap("AmbulatoryStatus")
	vocabReadmission      = cmap("ReadmissionIndicator")
	vocabDegree           = cmap("DegreeLicenseCertificate")
	vocabAvailability     = cmap("YesNoIndicator[AvailabilityStatus]")
	vocabApptReason       = cmap("AppointmentReasonCodes")
	vocabApptType         = cmap("AppointmentTypeCodes")
	vocabConfidentiality  = cmap("ConfidentialityCode")
	vocabAdditive         = cmap("AdditivePreservative")
	vocabPlanID           = cmap("PlanId")
	vocabEventType        = cmap("EventType")
	vocabLanguage         = cmap("PrincipalLanguageOfMessage")
	vocabNameAssembly     = cmap("NameAssemblyOrder")
)

// vocabFiles lists the concept maps transcribed in vocab_tables.go, by name, with the CSV
// file each is read from. TestVocabularyTables compares the tables with these files and
// regenerates vocab_tables.go with -update.
var vocabFiles = []string{
	"AdditivePreservative", "AddressType[Type]", "AddressType[Use]", "AdministrativeSex",
	"AdmissionType", "AllergenType[AllergyIntoleranceCategory]", "AllergySeverity[AllergyIntolerance.criticality]",
	"AllergySeverity[AllergyIntolerance.reaction.severity]", "AllergyType", "AmbulatoryStatus",
	"AppointmentReasonCodes", "AppointmentTypeCodes", "BodyParts", "CompletionStatus",
	"ConfidentialityCode", "ContactRole", "ContainerType", "DegreeLicenseCertificate",
	"DiagnosisType", "DiagnosticServiceSectionID", "DietType", "DischargeDisposition",
	"DocumentConfidentialityStatus", "EncounterPriority", "EventReason", "EventType",
	"ExtendedPriorityCodes", "FillerStatusCodes[Appointment]", "HospitalService", "IdentifierType",
	"InterpretationCodes", "MaritalStatus", "ModeOfArrivalCode", "NameAssemblyOrder", "NameType",
	"NatureOfAbnormalTesting", "ObservationResultStatusCodesInterpretation",
	"OrderControlCode[ServiceRequest.status]", "OrderStatus", "PatientClass[EncounterClass]",
	"PatientClass[EncounterStatus]", "PlanId", "PrincipalLanguageOfMessage", "ReadmissionIndicator",
	"Relationship", "Religion", "ResultStatus[Non-Queries]", "RouteOfAdministration",
	"SpecimenCollectionMethod", "SpecimenCondition", "SpecimenSourceSite", "SpecimenType",
	"TelecommunicationEquipmentType", "TelecommunicationUseCode", "UniversalIDType", "VIPIndicator",
	"YesNoIndicator", "YesNoIndicator[AvailabilityStatus]",
}

// codingSystems maps names of HL7 table 0396 (Coding System), as sent in CWE.3, CWE.6 and
// CWE.12, to FHIR code system URIs. The guide's spreadsheets do not carry this table; the
// URIs are the canonical ones of the HL7 terminology (terminology.hl7.org, "External code
// systems") and of the FHIR R4 specification's terminology page. Tables of the form HL7nnnn
// and HL7nnnnn are handled by systemURI, not listed here.
var codingSystems = map[string]string{
	"LN":        "http://loinc.org",
	"SCT":       "http://snomed.info/sct",
	"CVX":       "http://hl7.org/fhir/sid/cvx",
	"MVX":       "http://terminology.hl7.org/CodeSystem/MVX",
	"UCUM":      "http://unitsofmeasure.org",
	"I10":       "http://hl7.org/fhir/sid/icd-10",
	"I10C":      "http://hl7.org/fhir/sid/icd-10-cm",
	"I10P":      "http://www.cms.gov/Medicare/Coding/ICD10",
	"I9":        "http://hl7.org/fhir/sid/icd-9-cm",
	"I9C":       "http://hl7.org/fhir/sid/icd-9-cm",
	"I9CDX":     "http://hl7.org/fhir/sid/icd-9-cm",
	"RXNORM":    "http://www.nlm.nih.gov/research/umls/rxnorm",
	"NDC":       "http://hl7.org/fhir/sid/ndc",
	"C4":        "http://www.ama-assn.org/go/cpt",
	"CPT4":      "http://www.ama-assn.org/go/cpt",
	"NUCC":      "http://nucc.org/provider-taxonomy",
	"NCIT":      "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl",
	"CDCREC":    "urn:oid:2.16.840.1.113883.6.238",
	"CDCPHINVS": "urn:oid:2.16.840.1.114222.4.5.274",
	"ISO3166_1": "urn:iso:std:iso:3166",
	"DCM":       "http://dicom.nema.org/resources/ontology/DCM",
	"UPC":       "urn:oid:2.16.840.1.113883.6.95",
	"NPI":       "http://hl7.org/fhir/sid/us-npi",
}

// systemURI returns the FHIR code system URI for a v2 coding system name, or "" when it is
// not known: a local or unknown system is left out rather than invented. Channel-specific
// names in extra (Options.CodeSystems) win.
func systemURI(name string, extra map[string]string) string {
	if name == "" {
		return ""
	}
	if u, ok := extra[name]; ok {
		return u
	}
	if u, ok := codingSystems[name]; ok {
		return u
	}
	if len(name) >= 7 && len(name) <= 8 && strings.EqualFold(name[:3], "HL7") && digits(name[3:]) {
		if u, ok := v2Systems[name[3:]]; ok {
			return u
		}
		return "http://terminology.hl7.org/CodeSystem/v2-" + name[3:]
	}
	if hasLower(name) {
		if u, ok := codingSystems[strings.ToUpper(name)]; ok {
			return u
		}
	}
	return ""
}

func hasLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'a' && s[i] <= 'z' {
			return true
		}
	}
	return false
}

// v2Systems holds the URIs of the v2 tables the concept maps name, made once so that the
// common ones cost no allocation.
var v2Systems = func() map[string]string {
	m := map[string]string{}
	for _, cm := range conceptMaps {
		for _, r := range cm.Rows {
			if n := strings.TrimPrefix(strings.ToUpper(r.System), "HL7"); len(n) == 4 && digits(n) {
				m[n] = "http://terminology.hl7.org/CodeSystem/v2-" + n
			}
		}
	}
	return m
}()

// vocabMemo remembers the last code system names and concept-map lookups of a conversion.
// The OBX segments of a message repeat the same few systems and codes (LN, UCUM, HL70078,
// status F, interpretation N): a repeated one costs a few string comparisons instead of
// hashing and map probes.
type vocabMemo struct {
	sys     [4]struct{ name, uri string }
	sysNext int
	rows    [4]struct {
		m         *conceptMap
		code, sys string
		row       conceptRow
		ok        bool
	}
	rowNext int
}

// system is systemURI with the channel's code systems, remembered.
func (cv *conv) system(name string) string {
	if name == "" {
		return ""
	}
	vm := &cv.vocab
	for i := range vm.sys {
		if vm.sys[i].name == name {
			return vm.sys[i].uri
		}
	}
	uri := systemURI(name, cv.c.codeSystems)
	vm.sys[vm.sysNext] = struct{ name, uri string }{name, uri}
	vm.sysNext = (vm.sysNext + 1) % len(vm.sys)
	return uri
}

// lookup is m.lookup, remembered.
func (cv *conv) lookup(m *conceptMap, code, system string) (conceptRow, bool) {
	if m == nil || code == "" {
		return conceptRow{}, false
	}
	vm := &cv.vocab
	for i := range vm.rows {
		if e := &vm.rows[i]; e.m == m && e.code == code && e.sys == system {
			return e.row, e.ok
		}
	}
	r, ok := m.lookup(code, system)
	e := &vm.rows[vm.rowNext]
	e.m, e.code, e.sys, e.row, e.ok = m, code, system, r, ok
	vm.rowNext = (vm.rowNext + 1) % len(vm.rows)
	return r, ok
}

// mapCode is m.code, remembered.
func (cv *conv) mapCode(m *conceptMap, code, system string) string {
	r, _ := cv.lookup(m, code, system)
	return r.Target
}
