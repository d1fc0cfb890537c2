package fhir

import "encoding/json"

// The FHIR R4 data types the converter emits, with only the elements it fills. Every field
// is omitted when empty, and builders return nil instead of an empty element, so that the
// JSON never holds an empty string, array or object (FHIR forbids them).

// Coding is a code from a code system.
type Coding struct {
	System  string `json:"system,omitempty"`
	Version string `json:"version,omitempty"`
	Code    string `json:"code,omitempty"`
	Display string `json:"display,omitempty"`
}

// CodeableConcept is a concept given as codings and/or text.
type CodeableConcept struct {
	Extension []Extension `json:"extension,omitempty"`
	Coding    []Coding    `json:"coding,omitempty"`
	Text      string      `json:"text,omitempty"`
}

// Identifier is a business identifier.
type Identifier struct {
	Extension []Extension      `json:"extension,omitempty"`
	Use       string           `json:"use,omitempty"`
	Type      *CodeableConcept `json:"type,omitempty"`
	System    string           `json:"system,omitempty"`
	Value     string           `json:"value,omitempty"`
	Period    *Period          `json:"period,omitempty"`
	Assigner  *Reference       `json:"assigner,omitempty"`
}

// HumanName is a person's name.
type HumanName struct {
	Extension []Extension `json:"extension,omitempty"`
	Use       string      `json:"use,omitempty"`
	Text      string      `json:"text,omitempty"`
	Family    string      `json:"family,omitempty"`
	FamilyExt *Element    `json:"_family,omitempty"`
	Given     []string    `json:"given,omitempty"`
	Prefix    []string    `json:"prefix,omitempty"`
	Suffix    []string    `json:"suffix,omitempty"`
	Period    *Period     `json:"period,omitempty"`
}

// Address is a postal address.
type Address struct {
	Extension  []Extension `json:"extension,omitempty"`
	Use        string      `json:"use,omitempty"`
	Type       string      `json:"type,omitempty"`
	Text       string      `json:"text,omitempty"`
	Line       []string    `json:"line,omitempty"`
	City       string      `json:"city,omitempty"`
	District   string      `json:"district,omitempty"`
	State      string      `json:"state,omitempty"`
	PostalCode string      `json:"postalCode,omitempty"`
	Country    string      `json:"country,omitempty"`
	Period     *Period     `json:"period,omitempty"`
}

// ContactPoint is a telephone number, e-mail address or the like.
type ContactPoint struct {
	Extension []Extension `json:"extension,omitempty"`
	System    string      `json:"system,omitempty"`
	SystemExt *Element    `json:"_system,omitempty"`
	Value     string      `json:"value,omitempty"`
	Use       string      `json:"use,omitempty"`
	Rank      int         `json:"rank,omitempty"`
	Period    *Period     `json:"period,omitempty"`
}

// Period is a time range; either end may be open.
type Period struct {
	Start string `json:"start,omitempty"`
	End   string `json:"end,omitempty"`
}

// Decimal is a FHIR decimal, kept as the digits that were sent so that precision survives
// ("1.50" stays "1.50"). It is written as a JSON number.
type Decimal string

// MarshalJSON writes the decimal as a JSON number.
func (d Decimal) MarshalJSON() ([]byte, error) { return []byte(d), nil }

// Quantity is a measured amount.
type Quantity struct {
	Extension  []Extension `json:"extension,omitempty"`
	Value      Decimal     `json:"value,omitempty"`
	Comparator string      `json:"comparator,omitempty"`
	Unit       string      `json:"unit,omitempty"`
	System     string      `json:"system,omitempty"`
	Code       string      `json:"code,omitempty"`
}

// Range is a low and high quantity.
type Range struct {
	Extension []Extension `json:"extension,omitempty"`
	Low       *Quantity   `json:"low,omitempty"`
	High      *Quantity   `json:"high,omitempty"`
}

// Ratio is a numerator over a denominator.
type Ratio struct {
	Extension   []Extension `json:"extension,omitempty"`
	Numerator   *Quantity   `json:"numerator,omitempty"`
	Denominator *Quantity   `json:"denominator,omitempty"`
}

// Reference points to another resource: inside the Bundle by Reference, or logically by
// Identifier, or only by Display.
type Reference struct {
	Extension  []Extension `json:"extension,omitempty"`
	Reference  string      `json:"reference,omitempty"`
	Type       string      `json:"type,omitempty"`
	Identifier *Identifier `json:"identifier,omitempty"`
	Display    string      `json:"display,omitempty"`
}

// Annotation is a note with its author and time.
type Annotation struct {
	AuthorReference *Reference `json:"authorReference,omitempty"`
	Time            string     `json:"time,omitempty"`
	Text            string     `json:"text"`
}

// Attachment is content inline (Data, base64) or by URL.
type Attachment struct {
	Extension   []Extension `json:"extension,omitempty"`
	ContentType string      `json:"contentType,omitempty"`
	Data        string      `json:"data,omitempty"`
	URL         string      `json:"url,omitempty"`
	Title       string      `json:"title,omitempty"`
	Creation    string      `json:"creation,omitempty"`
}

// Meta holds security labels and tags.
type Meta struct {
	Security []Coding `json:"security,omitempty"`
	Tag      []Coding `json:"tag,omitempty"`
}

// Element carries the extensions of a primitive value (the "_name" property in JSON).
type Element struct {
	Extension []Extension `json:"extension,omitempty"`
}

// Extension is a FHIR extension with the value types the guide's mappings use.
type Extension struct {
	URL                  string           `json:"url"`
	Extension            []Extension      `json:"extension,omitempty"`
	ValueString          string           `json:"valueString,omitempty"`
	ValueCode            string           `json:"valueCode,omitempty"`
	ValueBoolean         *bool            `json:"valueBoolean,omitempty"`
	ValueDate            string           `json:"valueDate,omitempty"`
	ValueDateTime        string           `json:"valueDateTime,omitempty"`
	ValueCodeableConcept *CodeableConcept `json:"valueCodeableConcept,omitempty"`
	ValueCoding          *Coding          `json:"valueCoding,omitempty"`
	ValueIdentifier      *Identifier      `json:"valueIdentifier,omitempty"`
	ValueReference       *Reference       `json:"valueReference,omitempty"`
	ValueAddress         *Address         `json:"valueAddress,omitempty"`
	ValueContactPoint    *ContactPoint    `json:"valueContactPoint,omitempty"`
	ValueAttachment      *Attachment      `json:"valueAttachment,omitempty"`
	ValueAnnotation      *Annotation      `json:"valueAnnotation,omitempty"`
	ValuePeriod          *Period          `json:"valuePeriod,omitempty"`
	ValuePositiveInt     int              `json:"valuePositiveInt,omitempty"`
}

// Narrative is generated or additional human-readable text.
type Narrative struct {
	Status string `json:"status"`
	Div    string `json:"div"`
}

var _ json.Marshaler = Decimal("")
