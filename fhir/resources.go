package fhir

import "github.com/courier-hl7/courier/hl7"

// Resource is one FHIR R4 resource that the converter emits. The structs below are written
// by hand with only the elements the guide's mappings fill; every one starts with
// resourceType so that it is the first property in JSON.
type Resource interface {
	// ResourceType returns the FHIR resource type, such as "Patient".
	ResourceType() string
	// ResourceID returns the resource's logical id.
	ResourceID() string
}

// base holds what every resource starts with. Embedded first, it puts resourceType first.
type base struct {
	Type string `json:"resourceType"`
	ID   string `json:"id,omitempty"`
	Meta *Meta  `json:"meta,omitempty"`

	ref *Reference // the reference to this resource in its Bundle, made once
	urn string     // "urn:uuid:" and the id; ID is its suffix
	url string     // Type/id, for requests and batch references
}

// ResourceType returns the FHIR resource type.
func (b *base) ResourceType() string { return b.Type }

// ResourceID returns the logical id.
func (b *base) ResourceID() string { return b.ID }

func (b *base) baseOf() *base { return b }

// MessageHeader maps MSH (segment map MSH[MessageHeader]).
type MessageHeader struct {
	base
	Language    string                     `json:"language,omitempty"`
	Extension   []Extension                `json:"extension,omitempty"`
	EventCoding *Coding                    `json:"eventCoding,omitempty"`
	Destination []MessageHeaderDestination `json:"destination,omitempty"`
	Sender      *Reference                 `json:"sender,omitempty"`
	Source      *MessageHeaderSource       `json:"source,omitempty"`
	Responsible *Reference                 `json:"responsible,omitempty"`
}

// MessageHeaderDestination is MessageHeader.destination.
type MessageHeaderDestination struct {
	Name        string     `json:"name,omitempty"`
	Target      *Reference `json:"target,omitempty"`
	Endpoint    string     `json:"endpoint,omitempty"`
	EndpointExt *Element   `json:"_endpoint,omitempty"`
	Receiver    *Reference `json:"receiver,omitempty"`
}

// MessageHeaderSource is MessageHeader.source.
type MessageHeaderSource struct {
	Name        string   `json:"name,omitempty"`
	Software    string   `json:"software,omitempty"`
	Version     string   `json:"version,omitempty"`
	Endpoint    string   `json:"endpoint,omitempty"`
	EndpointExt *Element `json:"_endpoint,omitempty"`
}

// Provenance records where the data came from (MSH[Provenance-Source],
// MSH[Provenance-Transformation], EVN[Provenance]).
type Provenance struct {
	base
	Target           []Reference        `json:"target"`
	OccurredDateTime string             `json:"occurredDateTime,omitempty"`
	Recorded         string             `json:"recorded,omitempty"`
	Policy           []string           `json:"policy,omitempty"`
	Location         *Reference         `json:"location,omitempty"`
	Reason           []CodeableConcept  `json:"reason,omitempty"`
	Activity         *CodeableConcept   `json:"activity,omitempty"`
	Agent            []ProvenanceAgent  `json:"agent"`
	Entity           []ProvenanceEntity `json:"entity,omitempty"`
}

// ProvenanceAgent is Provenance.agent.
type ProvenanceAgent struct {
	Type *CodeableConcept `json:"type,omitempty"`
	Who  *Reference       `json:"who"`
}

// ProvenanceEntity is Provenance.entity.
type ProvenanceEntity struct {
	Role string     `json:"role"`
	What *Reference `json:"what"`
}

// Patient maps PID, PD1, NK1 and PV1-16.
type Patient struct {
	base
	Extension            []Extension      `json:"extension,omitempty"`
	Identifier           []Identifier     `json:"identifier,omitempty"`
	Active               *bool            `json:"active,omitempty"`
	Name                 []HumanName      `json:"name,omitempty"`
	Telecom              []ContactPoint   `json:"telecom,omitempty"`
	Gender               string           `json:"gender,omitempty"`
	BirthDate            string           `json:"birthDate,omitempty"`
	BirthDateExt         *Element         `json:"_birthDate,omitempty"`
	DeceasedBoolean      *bool            `json:"deceasedBoolean,omitempty"`
	DeceasedDateTime     string           `json:"deceasedDateTime,omitempty"`
	Address              []Address        `json:"address,omitempty"`
	MaritalStatus        *CodeableConcept `json:"maritalStatus,omitempty"`
	MultipleBirthBoolean *bool            `json:"multipleBirthBoolean,omitempty"`
	MultipleBirthInteger *int             `json:"multipleBirthInteger,omitempty"`
	Contact              []PatientContact `json:"contact,omitempty"`
	Communication        []Communication  `json:"communication,omitempty"`
	GeneralPractitioner  []Reference      `json:"generalPractitioner,omitempty"`
	Link                 []PatientLink    `json:"link,omitempty"`
}

// PatientContact is Patient.contact (NK1[Patient]).
type PatientContact struct {
	Relationship []CodeableConcept `json:"relationship,omitempty"`
	Name         *HumanName        `json:"name,omitempty"`
	Telecom      []ContactPoint    `json:"telecom,omitempty"`
	Address      *Address          `json:"address,omitempty"`
	Gender       string            `json:"gender,omitempty"`
	Organization *Reference        `json:"organization,omitempty"`
	Period       *Period           `json:"period,omitempty"`
}

// Communication is Patient.communication and RelatedPerson.communication.
type Communication struct {
	Language *CodeableConcept `json:"language"`
}

// PatientLink is Patient.link, used for merges (ADT^A40).
type PatientLink struct {
	Other *Reference `json:"other"`
	Type  string     `json:"type"`
}

// RelatedPerson maps NK1[RelatedPerson].
type RelatedPerson struct {
	base
	Identifier    []Identifier      `json:"identifier,omitempty"`
	Patient       *Reference        `json:"patient"`
	Relationship  []CodeableConcept `json:"relationship,omitempty"`
	Name          []HumanName       `json:"name,omitempty"`
	Telecom       []ContactPoint    `json:"telecom,omitempty"`
	Gender        string            `json:"gender,omitempty"`
	BirthDate     string            `json:"birthDate,omitempty"`
	Address       []Address         `json:"address,omitempty"`
	Period        *Period           `json:"period,omitempty"`
	Communication []Communication   `json:"communication,omitempty"`
}

// Practitioner maps XCN values.
type Practitioner struct {
	base
	Identifier    []Identifier    `json:"identifier,omitempty"`
	Name          []HumanName     `json:"name,omitempty"`
	Address       []Address       `json:"address,omitempty"`
	Qualification []Qualification `json:"qualification,omitempty"`
}

// Qualification is Practitioner.qualification.
type Qualification struct {
	Code *CodeableConcept `json:"code"`
}

// Organization maps XON, HD and CWE[Organization] values.
type Organization struct {
	base
	Identifier []Identifier   `json:"identifier,omitempty"`
	Name       string         `json:"name,omitempty"`
	Telecom    []ContactPoint `json:"telecom,omitempty"`
	Address    []Address      `json:"address,omitempty"`
}

// Location maps PL and HD[Location] values.
type Location struct {
	base
	Identifier        []Identifier     `json:"identifier,omitempty"`
	OperationalStatus *Coding          `json:"operationalStatus,omitempty"`
	Name              string           `json:"name,omitempty"`
	Description       string           `json:"description,omitempty"`
	Mode              string           `json:"mode,omitempty"`
	Address           *Address         `json:"address,omitempty"`
	PhysicalType      *CodeableConcept `json:"physicalType,omitempty"`
	PartOf            *Reference       `json:"partOf,omitempty"`
}

// Encounter maps PV1, PV2 and DG1[Encounter].
type Encounter struct {
	base
	Extension       []Extension            `json:"extension,omitempty"`
	Identifier      []Identifier           `json:"identifier,omitempty"`
	Status          string                 `json:"status"`
	Class           *Coding                `json:"class"`
	Type            []CodeableConcept      `json:"type,omitempty"`
	ServiceType     *CodeableConcept       `json:"serviceType,omitempty"`
	Priority        *CodeableConcept       `json:"priority,omitempty"`
	Subject         *Reference             `json:"subject,omitempty"`
	Participant     []EncounterParticipant `json:"participant,omitempty"`
	Period          *Period                `json:"period,omitempty"`
	Length          *Quantity              `json:"length,omitempty"`
	ReasonCode      []CodeableConcept      `json:"reasonCode,omitempty"`
	Diagnosis       []EncounterDiagnosis   `json:"diagnosis,omitempty"`
	Hospitalization *Hospitalization       `json:"hospitalization,omitempty"`
	Location        []EncounterLocation    `json:"location,omitempty"`
}

// EncounterParticipant is Encounter.participant.
type EncounterParticipant struct {
	Type       []CodeableConcept `json:"type,omitempty"`
	Individual *Reference        `json:"individual,omitempty"`
}

// EncounterDiagnosis is Encounter.diagnosis.
type EncounterDiagnosis struct {
	Condition *Reference       `json:"condition"`
	Use       *CodeableConcept `json:"use,omitempty"`
	Rank      int              `json:"rank,omitempty"`
}

// Hospitalization is Encounter.hospitalization.
type Hospitalization struct {
	PreAdmissionIdentifier *Identifier       `json:"preAdmissionIdentifier,omitempty"`
	AdmitSource            *CodeableConcept  `json:"admitSource,omitempty"`
	ReAdmission            *CodeableConcept  `json:"reAdmission,omitempty"`
	DietPreference         []CodeableConcept `json:"dietPreference,omitempty"`
	SpecialCourtesy        []CodeableConcept `json:"specialCourtesy,omitempty"`
	SpecialArrangement     []CodeableConcept `json:"specialArrangement,omitempty"`
	Destination            *Reference        `json:"destination,omitempty"`
	DischargeDisposition   *CodeableConcept  `json:"dischargeDisposition,omitempty"`
}

// EncounterLocation is Encounter.location.
type EncounterLocation struct {
	Extension []Extension `json:"extension,omitempty"`
	Location  *Reference  `json:"location"`
	Status    string      `json:"status,omitempty"`
}

// Condition maps DG1[Condition].
type Condition struct {
	base
	Extension          []Extension      `json:"extension,omitempty"`
	Identifier         []Identifier     `json:"identifier,omitempty"`
	VerificationStatus *CodeableConcept `json:"verificationStatus,omitempty"`
	Code               *CodeableConcept `json:"code,omitempty"`
	Subject            *Reference       `json:"subject"`
	Encounter          *Reference       `json:"encounter,omitempty"`
	OnsetDateTime      string           `json:"onsetDateTime,omitempty"`
	RecordedDate       string           `json:"recordedDate,omitempty"`
	Asserter           *Reference       `json:"asserter,omitempty"`
}

// AllergyIntolerance maps AL1.
type AllergyIntolerance struct {
	base
	ClinicalStatus *CodeableConcept  `json:"clinicalStatus,omitempty"`
	Type           string            `json:"type,omitempty"`
	Category       []string          `json:"category,omitempty"`
	CategoryExt    []*Element        `json:"_category,omitempty"`
	Criticality    string            `json:"criticality,omitempty"`
	CriticalityExt *Element          `json:"_criticality,omitempty"`
	Code           *CodeableConcept  `json:"code,omitempty"`
	Patient        *Reference        `json:"patient"`
	OnsetDateTime  string            `json:"onsetDateTime,omitempty"`
	Reaction       []AllergyReaction `json:"reaction,omitempty"`
}

// AllergyReaction is AllergyIntolerance.reaction.
type AllergyReaction struct {
	Manifestation []CodeableConcept `json:"manifestation"`
	Severity      string            `json:"severity,omitempty"`
}

// Coverage maps IN1.
type Coverage struct {
	base
	Extension    []Extension      `json:"extension,omitempty"`
	Identifier   []Identifier     `json:"identifier,omitempty"`
	Status       string           `json:"status"`
	Type         *CodeableConcept `json:"type,omitempty"`
	PolicyHolder *Reference       `json:"policyHolder,omitempty"`
	Subscriber   *Reference       `json:"subscriber,omitempty"`
	Beneficiary  *Reference       `json:"beneficiary"`
	Relationship *CodeableConcept `json:"relationship,omitempty"`
	Period       *Period          `json:"period,omitempty"`
	Payor        []Reference      `json:"payor"`
}

// ServiceRequest maps ORC, OBR, NTE and TQ1 in order messages (and the order behind a
// result).
type ServiceRequest struct {
	base
	Extension          []Extension       `json:"extension,omitempty"`
	Identifier         []Identifier      `json:"identifier,omitempty"`
	BasedOn            []Reference       `json:"basedOn,omitempty"`
	Requisition        *Identifier       `json:"requisition,omitempty"`
	Status             string            `json:"status"`
	Intent             string            `json:"intent"`
	Priority           string            `json:"priority,omitempty"`
	Code               *CodeableConcept  `json:"code,omitempty"`
	OrderDetail        []CodeableConcept `json:"orderDetail,omitempty"`
	QuantityQuantity   *Quantity         `json:"quantityQuantity,omitempty"`
	Subject            *Reference        `json:"subject"`
	Encounter          *Reference        `json:"encounter,omitempty"`
	OccurrenceDateTime string            `json:"occurrenceDateTime,omitempty"`
	OccurrenceTiming   *Timing           `json:"occurrenceTiming,omitempty"`
	AuthoredOn         string            `json:"authoredOn,omitempty"`
	Requester          *Reference        `json:"requester,omitempty"`
	LocationCode       []CodeableConcept `json:"locationCode,omitempty"`
	ReasonCode         []CodeableConcept `json:"reasonCode,omitempty"`
	ReasonReference    []Reference       `json:"reasonReference,omitempty"`
	SupportingInfo     []Reference       `json:"supportingInfo,omitempty"`
	Specimen           []Reference       `json:"specimen,omitempty"`
	Note               []Annotation      `json:"note,omitempty"`
}

// Timing is the schedule of an order (TQ1).
type Timing struct {
	Event  []string      `json:"event,omitempty"`
	Repeat *TimingRepeat `json:"repeat,omitempty"`
}

// TimingRepeat is Timing.repeat.
type TimingRepeat struct {
	BoundsPeriod *Period  `json:"boundsPeriod,omitempty"`
	CountMax     int      `json:"countMax,omitempty"`
	Duration     Decimal  `json:"duration,omitempty"`
	DurationUnit string   `json:"durationUnit,omitempty"`
	TimeOfDay    []string `json:"timeOfDay,omitempty"`
}

// DiagnosticReport maps OBR and ORC in result messages.
type DiagnosticReport struct {
	base
	Extension         []Extension       `json:"extension,omitempty"`
	Identifier        []Identifier      `json:"identifier,omitempty"`
	BasedOn           []Reference       `json:"basedOn,omitempty"`
	Status            string            `json:"status"`
	Category          []CodeableConcept `json:"category,omitempty"`
	Code              *CodeableConcept  `json:"code"`
	Subject           *Reference        `json:"subject,omitempty"`
	Encounter         *Reference        `json:"encounter,omitempty"`
	EffectiveDateTime string            `json:"effectiveDateTime,omitempty"`
	EffectivePeriod   *Period           `json:"effectivePeriod,omitempty"`
	Issued            string            `json:"issued,omitempty"`
	Specimen          []Reference       `json:"specimen,omitempty"`
	Result            []Reference       `json:"result,omitempty"`
}

// Observation maps OBX (and NTE notes on it).
type Observation struct {
	base
	Extension            []Extension            `json:"extension,omitempty"`
	Identifier           []Identifier           `json:"identifier,omitempty"`
	BasedOn              []Reference            `json:"basedOn,omitempty"`
	PartOf               []Reference            `json:"partOf,omitempty"`
	Status               string                 `json:"status"`
	StatusExt            *Element               `json:"_status,omitempty"`
	Category             []CodeableConcept      `json:"category,omitempty"`
	Code                 *CodeableConcept       `json:"code"`
	Subject              *Reference             `json:"subject,omitempty"`
	Focus                []Reference            `json:"focus,omitempty"`
	Encounter            *Reference             `json:"encounter,omitempty"`
	EffectiveDateTime    string                 `json:"effectiveDateTime,omitempty"`
	Issued               string                 `json:"issued,omitempty"`
	Performer            []Reference            `json:"performer,omitempty"`
	ValueQuantity        *Quantity              `json:"valueQuantity,omitempty"`
	ValueCodeableConcept *CodeableConcept       `json:"valueCodeableConcept,omitempty"`
	ValueString          string                 `json:"valueString,omitempty"`
	ValueRange           *Range                 `json:"valueRange,omitempty"`
	ValueRatio           *Ratio                 `json:"valueRatio,omitempty"`
	ValueTime            string                 `json:"valueTime,omitempty"`
	ValueDateTime        string                 `json:"valueDateTime,omitempty"`
	ValuePeriod          *Period                `json:"valuePeriod,omitempty"`
	DataAbsentReason     *CodeableConcept       `json:"dataAbsentReason,omitempty"`
	Interpretation       []CodeableConcept      `json:"interpretation,omitempty"`
	Note                 []Annotation           `json:"note,omitempty"`
	BodySite             *CodeableConcept       `json:"bodySite,omitempty"`
	Method               *CodeableConcept       `json:"method,omitempty"`
	Specimen             *Reference             `json:"specimen,omitempty"`
	Device               *Reference             `json:"device,omitempty"`
	ReferenceRange       []ReferenceRange       `json:"referenceRange,omitempty"`
	Component            []ObservationComponent `json:"component,omitempty"`

	// obx is the OBX of an Observation of a conversion to bytes, whose elements that the
	// OBX alone gives are written from it with the JSON (see conv.observation).
	obx hl7.Segment
}

// ReferenceRange is Observation.referenceRange.
type ReferenceRange struct {
	Text string `json:"text,omitempty"`
}

// ObservationComponent is Observation.component, used when OBX-5 repeats.
type ObservationComponent struct {
	Code                 *CodeableConcept  `json:"code"`
	ValueQuantity        *Quantity         `json:"valueQuantity,omitempty"`
	ValueCodeableConcept *CodeableConcept  `json:"valueCodeableConcept,omitempty"`
	ValueString          string            `json:"valueString,omitempty"`
	ValueRange           *Range            `json:"valueRange,omitempty"`
	ValueRatio           *Ratio            `json:"valueRatio,omitempty"`
	ValueTime            string            `json:"valueTime,omitempty"`
	ValueDateTime        string            `json:"valueDateTime,omitempty"`
	ValuePeriod          *Period           `json:"valuePeriod,omitempty"`
	Interpretation       []CodeableConcept `json:"interpretation,omitempty"`
	ReferenceRange       []ReferenceRange  `json:"referenceRange,omitempty"`
}

// Specimen maps SPM and OBR[Specimen].
type Specimen struct {
	base
	Identifier          []Identifier        `json:"identifier,omitempty"`
	AccessionIdentifier *Identifier         `json:"accessionIdentifier,omitempty"`
	Status              string              `json:"status,omitempty"`
	Type                *CodeableConcept    `json:"type,omitempty"`
	Subject             *Reference          `json:"subject,omitempty"`
	ReceivedTime        string              `json:"receivedTime,omitempty"`
	Parent              []Reference         `json:"parent,omitempty"`
	Collection          *SpecimenCollection `json:"collection,omitempty"`
	Container           []SpecimenContainer `json:"container,omitempty"`
	Condition           []CodeableConcept   `json:"condition,omitempty"`
	Note                []Annotation        `json:"note,omitempty"`
}

// SpecimenCollection is Specimen.collection.
type SpecimenCollection struct {
	Collector         *Reference       `json:"collector,omitempty"`
	CollectedDateTime string           `json:"collectedDateTime,omitempty"`
	CollectedPeriod   *Period          `json:"collectedPeriod,omitempty"`
	Quantity          *Quantity        `json:"quantity,omitempty"`
	Method            *CodeableConcept `json:"method,omitempty"`
	BodySite          *CodeableConcept `json:"bodySite,omitempty"`
}

// SpecimenContainer is Specimen.container.
type SpecimenContainer struct {
	Type                    *CodeableConcept `json:"type,omitempty"`
	AdditiveCodeableConcept *CodeableConcept `json:"additiveCodeableConcept,omitempty"`
}

// Immunization maps ORC, RXA and RXR in VXU messages.
type Immunization struct {
	base
	Identifier         []Identifier            `json:"identifier,omitempty"`
	Status             string                  `json:"status"`
	StatusReason       *CodeableConcept        `json:"statusReason,omitempty"`
	VaccineCode        *CodeableConcept        `json:"vaccineCode"`
	Patient            *Reference              `json:"patient"`
	Encounter          *Reference              `json:"encounter,omitempty"`
	OccurrenceDateTime string                  `json:"occurrenceDateTime,omitempty"`
	OccurrenceString   string                  `json:"occurrenceString,omitempty"`
	Recorded           string                  `json:"recorded,omitempty"`
	Location           *Reference              `json:"location,omitempty"`
	Manufacturer       *Reference              `json:"manufacturer,omitempty"`
	LotNumber          string                  `json:"lotNumber,omitempty"`
	ExpirationDate     string                  `json:"expirationDate,omitempty"`
	Site               *CodeableConcept        `json:"site,omitempty"`
	Route              *CodeableConcept        `json:"route,omitempty"`
	DoseQuantity       *Quantity               `json:"doseQuantity,omitempty"`
	Performer          []ImmunizationPerformer `json:"performer,omitempty"`
	ReasonCode         []CodeableConcept       `json:"reasonCode,omitempty"`
}

// ImmunizationPerformer is Immunization.performer.
type ImmunizationPerformer struct {
	Function *CodeableConcept `json:"function,omitempty"`
	Actor    *Reference       `json:"actor"`
}

// DocumentReference maps TXA, OBX and NTE in MDM messages.
type DocumentReference struct {
	base
	Extension        []Extension       `json:"extension,omitempty"`
	MasterIdentifier *Identifier       `json:"masterIdentifier,omitempty"`
	Identifier       []Identifier      `json:"identifier,omitempty"`
	Status           string            `json:"status"`
	StatusExt        *Element          `json:"_status,omitempty"`
	DocStatus        string            `json:"docStatus,omitempty"`
	Type             *CodeableConcept  `json:"type,omitempty"`
	Subject          *Reference        `json:"subject,omitempty"`
	Date             string            `json:"date,omitempty"`
	Author           []Reference       `json:"author,omitempty"`
	Authenticator    *Reference        `json:"authenticator,omitempty"`
	Description      string            `json:"description,omitempty"`
	SecurityLabel    []CodeableConcept `json:"securityLabel,omitempty"`
	Content          []DocumentContent `json:"content"`
	Context          *DocumentContext  `json:"context,omitempty"`

	contentType string // TXA-3, for content that does not say its own type
}

// DocumentContent is DocumentReference.content.
type DocumentContent struct {
	Attachment *Attachment `json:"attachment"`
}

// DocumentContext is DocumentReference.context.
type DocumentContext struct {
	Encounter []Reference `json:"encounter,omitempty"`
	Related   []Reference `json:"related,omitempty"`
}

// Appointment maps SCH, the AIS, AIG, AIL and AIP resources, and NTE in SIU messages.
type Appointment struct {
	base
	Extension       []Extension              `json:"extension,omitempty"`
	Identifier      []Identifier             `json:"identifier,omitempty"`
	Status          string                   `json:"status"`
	ServiceType     []CodeableConcept        `json:"serviceType,omitempty"`
	AppointmentType *CodeableConcept         `json:"appointmentType,omitempty"`
	ReasonCode      []CodeableConcept        `json:"reasonCode,omitempty"`
	Start           string                   `json:"start,omitempty"`
	End             string                   `json:"end,omitempty"`
	MinutesDuration int                      `json:"minutesDuration,omitempty"`
	BasedOn         []Reference              `json:"basedOn,omitempty"`
	Participant     []AppointmentParticipant `json:"participant"`
	RequestedPeriod []Period                 `json:"requestedPeriod,omitempty"`
}

// AppointmentParticipant is Appointment.participant.
type AppointmentParticipant struct {
	Type   []CodeableConcept `json:"type,omitempty"`
	Actor  *Reference        `json:"actor,omitempty"`
	Status string            `json:"status"`
	Period *Period           `json:"period,omitempty"`
}
