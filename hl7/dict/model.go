package dict

// Usage codes of fields and components, as the standard writes them. The source has no B
// (backward compatible) and, for fields before 2.7, no C either: such fields read O there.
const (
	Optional    = "O"
	Required    = "R"
	Conditional = "C"
	Withdrawn   = "W" // 2.7 and 2.7.1 only
)

// Unbounded is the MaxReps of a field, and the Max of an element, that may repeat without
// limit. It is zero, as in the source, so a zero maximum always means "no limit" and never
// "may not occur".
const Unbounded = 0

// AnySegment is the segment name the source puts where a message allows a segment of any
// name: 2.3's MFN_M01 has it after MFE for the master file's own (often Z) segment.
const AnySegment = "GenericSegment"

// Segment is a segment definition.
type Segment struct {
	Name        string // "PID"
	Description string // "Patient Identification"
	Fields      []Field
}

// Field returns field seq (from 1, MSH-1 being the field separator), or nil when the segment
// has no such field.
func (s *Segment) Field(seq int) *Field {
	if s == nil || seq < 1 || seq > len(s.Fields) {
		return nil
	}
	return &s.Fields[seq-1]
}

// Field is a field of a segment.
type Field struct {
	Seq      int    // position in the segment, from 1
	Name     string // "Patient Name"
	DataType string // "XPN"; "VARIES" when another field gives it (OBX-5 by OBX-2)
	Usage    string // Optional, Required, Conditional or Withdrawn
	// MinReps is 1 for a required field and 0 otherwise: the source gives no minimum.
	MinReps int
	// MaxReps is the most repetitions allowed, Unbounded (0) for no limit.
	MaxReps int
	// MaxLen is the maximum length, 0 when the source gives none: often in 2.7 and 2.7.1,
	// where the standard replaced lengths by conformance lengths the source does not carry.
	MaxLen int
	Table  string // "0001", or "" for none; the table may be absent from Table
}

// DataType is a data type definition. A primitive type (ST, NM, DTM...) has no components.
type DataType struct {
	Name        string // "XPN"
	Description string // "Extended Person Name"
	Components  []Component
}

// Component returns component seq (from 1), or nil when there is none.
func (t *DataType) Component(seq int) *Component {
	if t == nil || seq < 1 || seq > len(t.Components) {
		return nil
	}
	return &t.Components[seq-1]
}

// Component is a component of a data type, or a sub-component when the data type is itself a
// component's type.
type Component struct {
	Seq      int    // position, from 1
	Name     string // "Family Name"
	DataType string // "FN"
	Usage    string // before 2.5 the source marks every component Optional
	MaxLen   int    // 0 when the source gives none (every component before 2.5)
	Table    string
}

// Table is a table of coded values.
type Table struct {
	ID    string // "0001"
	Name  string // "Administrative Sex"
	Codes []Code // in the order the source lists them
	index map[string]int
}

// Code is one value of a table.
type Code struct {
	Value       string // "F"
	Description string // "Female"
}

// Description returns the description of code, and whether the table has the code.
// Codes are compared exactly: HL7 codes are case-sensitive.
func (t *Table) Description(code string) (string, bool) {
	if t == nil {
		return "", false
	}
	i, ok := t.index[code]
	if !ok {
		return "", false
	}
	return t.Codes[i].Description, true
}

// Structure is the segment grammar of a message: which segments and groups may appear, in
// which order, how often.
type Structure struct {
	Name        string // "ADT_A01"
	Description string // "Admit/visit notification"
	Elements    []Element
}

// Element is one position of a structure or group: a segment, a group, or a choice.
// Exactly one of Segment, Group and Choice is set.
//
// Min and Max bound how often the element occurs in a row. Max is Unbounded (0) for no limit;
// the source has no other maximum than 1, so Max is 0 or 1 everywhere, and Min 0 or 1.
//
// A choice holds one of its alternatives per occurrence, such as <OBR | RQD | RQ1 | RXO | ODS
// | ODT> in ORM_O01. Alternatives are segments. Their own Min and Max are as the source gives
// them: 1..1 up to 2.6; 0..Unbounded in 2.7 and 2.7.1, where the source lost them.
type Element struct {
	Segment     string    // segment name, or "" for a group or a choice
	Group       *Group    // nil unless the element is a group
	Choice      []Element // alternatives, nil unless the element is a choice
	Description string    // "Patient identification", "Insurance"
	Min, Max    int
}

// Group is a named group of elements, such as PATIENT_RESULT in ORU_R01.
type Group struct {
	Name     string // "PATIENT_RESULT"
	Elements []Element
}
