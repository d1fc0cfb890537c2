package dict

import "github.com/courier-hl7/courier/hl7"

// PathInfo describes what a path such as PID-5.1 names: the segment and, as far as the path
// goes, the field, the component and the sub-component, each with its definition.
type PathInfo struct {
	Segment      *Segment
	Field        *Field     // nil when the path names a whole segment
	Component    *Component // nil unless the path names a component of a composite field
	SubComponent *Component // nil unless the path names a sub-component of a composite component
}

// Name returns the name of the deepest level the path names: "Family Name" for PID-5.1.
func (p PathInfo) Name() string {
	switch {
	case p.SubComponent != nil:
		return p.SubComponent.Name
	case p.Component != nil:
		return p.Component.Name
	case p.Field != nil:
		return p.Field.Name
	case p.Segment != nil:
		return p.Segment.Description
	}
	return ""
}

// DataType returns the data type of the deepest level the path names ("FN" for PID-5.1 in
// 2.5.1), or "" for a whole segment.
func (p PathInfo) DataType() string {
	switch {
	case p.SubComponent != nil:
		return p.SubComponent.DataType
	case p.Component != nil:
		return p.Component.DataType
	case p.Field != nil:
		return p.Field.DataType
	}
	return ""
}

// Describe tells what path names in this version: "PID-5" is the field Patient Name of type
// XPN, "PID-5.1" its first component, "PID-5.1.2" a sub-component. Paths are written as in
// package hl7 (PID-5.1, PID-3[2].1, OBX[2]-5, PID-5-1, PID.5.1); occurrence and repetition
// indexes are accepted and do not change the answer.
//
// A primitive value is its own first component, as HL7 encoding has it: PID-8.1 describes the
// same as PID-8, with Component nil. The components of a VARIES field (OBX-5) depend on the
// message (OBX-2), so OBX-5.2 is not described; look up DataType(OBX-2) instead.
//
// ok is false when the path is malformed or names something the version does not define.
func (d *Version) Describe(path string) (info PathInfo, ok bool) {
	p, err := hl7.ParsePath(path)
	if err != nil {
		return PathInfo{}, false
	}
	info.Segment = d.Segment(p.Segment)
	if info.Segment == nil {
		return PathInfo{}, false
	}
	if p.Field == 0 {
		return info, true
	}
	if info.Field = info.Segment.Field(p.Field); info.Field == nil {
		return PathInfo{}, false
	}
	if p.Component == 0 {
		return info, true
	}
	c, ok := d.part(info.Field.DataType, p.Component, p.SubComp)
	if !ok {
		return PathInfo{}, false
	}
	info.Component = c
	if p.SubComp == 0 || c == nil {
		return info, true
	}
	sub, ok := d.part(c.DataType, p.SubComp, 0)
	if !ok {
		return PathInfo{}, false
	}
	info.SubComponent = sub
	return info, true
}

// part returns component seq of data type typ. For a type without components (a primitive,
// VARIES, or a type the version lacks) only seq 1 exists, standing for the value itself: it
// returns nil and true, and then no deeper level (below) may follow but a first one.
func (d *Version) part(typ string, seq, below int) (*Component, bool) {
	dt := d.DataType(typ)
	if dt == nil || len(dt.Components) == 0 {
		return nil, seq == 1 && below <= 1
	}
	c := dt.Component(seq)
	return c, c != nil
}
