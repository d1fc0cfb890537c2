package fhir

import (
	"strings"

	"github.com/courier-hl7/courier/hl7"
)

// practitioner maps an XCN (XCN[Practitioner]) to a Practitioner in the Bundle and returns a
// reference to it, or nil when the XCN names nobody. The same person named twice in a
// message (by ID and authority, or by name when there is no ID) is one resource.
func (cv *conv) practitioner(v hl7.Value) *Reference {
	if !cv.valued(v) {
		return nil
	}
	p := alloc(cv, &cv.p.practitioners)
	p.base.Type = "Practitioner"
	if val := cv.comp(v, 1); val != "" {
		id := Identifier{Value: val}
		ns, uid, typ := cv.hdSubs(v, 9)
		id.System = cv.authority(ns, uid, typ)
		id.Assigner = cv.hdOrganization(ns, uid, typ)
		if s := cv.comp(v, 11); s != "" {
			id.Extension = append(id.Extension, Extension{URL: extCheckDigit, ValueString: s})
		}
		if s := cv.comp(v, 12); s != "" {
			id.Extension = append(id.Extension, Extension{URL: extCheckDigitScheme, ValueString: s})
		}
		if t := code(cv.comp(v, 13)); t != "" {
			id.Type = cv.typeCode(t, vocabIdentifierType)
		}
		p.Identifier = append(cv.p.identifiers.many(1), id)
	}
	n := HumanName{}
	cv.familyFN(&n, v, 2)
	n.Given = cv.nonEmpty(n.Given, cv.comp(v, 3), cv.comp(v, 4))
	n.Suffix = cv.nonEmpty(n.Suffix, cv.comp(v, 5), cv.comp(v, 21))
	n.Prefix = cv.nonEmpty(n.Prefix, cv.comp(v, 6))
	n.Use = vocabNameType.code(cv.comp(v, 10), "")
	if s := vocabNameAssembly.code(cv.comp(v, 18), ""); s != "" {
		n.Extension = append(n.Extension, Extension{URL: extAssemblyOrder, ValueCode: s})
	}
	if cv.comp(v, 19) != "" || cv.comp(v, 20) != "" {
		n.Period = cv.periodOf(v.Comp(19), v.Comp(20))
	} else {
		n.Period = cv.periodDRSub(v.Comp(17))
	}
	if n.Family != "" || len(n.Given) > 0 {
		p.Name = append(allocN(cv, &cv.p.names, 1), n)
	}
	if q := cv.concept1(cv.comp(v, 7), "0360", vocabDegree); q != nil {
		p.Qualification = append(allocN(cv, &cv.p.qualifications, 1), Qualification{Code: q})
	}
	if len(p.Identifier) == 0 && len(p.Name) == 0 {
		return nil
	}
	key := ""
	if len(p.Identifier) > 0 {
		id := p.Identifier[0]
		key = cv.concat("id|", id.System, "|", cv.sub(v, 9, 1), "|", id.Value)
	} else {
		key = cv.concat("name|", n.Family, "|", strings.Join(n.Given, " "), "|", strings.Join(n.Prefix, " "))
	}
	r, _ := cv.add(p, &p.base, key)
	return cv.ref(r)
}

// organizationXON maps an XON (XON[Organization]) and returns a reference, or nil.
func (cv *conv) organizationXON(v hl7.Value) *Reference {
	o := cv.newOrgXON(v)
	if o == nil {
		return nil
	}
	r, _ := cv.add(o, &o.base, cv.orgKey(o))
	return cv.ref(r)
}

func (cv *conv) newOrgXON(v hl7.Value) *Organization {
	if !cv.valued(v) {
		return nil
	}
	o := alloc(cv, &cv.p.organizations)
	o.base.Type, o.Name = "Organization", cv.comp(v, 1)
	val := cv.comp(v, 10)
	if val == "" {
		val = cv.comp(v, 3)
	}
	if val != "" {
		id := Identifier{Value: val}
		if s := cv.comp(v, 4); s != "" {
			id.Extension = append(id.Extension, Extension{URL: extCheckDigit, ValueString: s})
		}
		if s := cv.comp(v, 5); s != "" {
			id.Extension = append(id.Extension, Extension{URL: extCheckDigitScheme, ValueString: s})
		}
		ns, uid, typ := cv.hdSubs(v, 6)
		id.System = cv.authority(ns, uid, typ)
		id.Assigner = cv.hdOrganization(ns, uid, typ)
		if t := code(cv.comp(v, 7)); t != "" {
			id.Type = cv.fixedType(t)
		}
		o.Identifier = append(cv.p.identifiers.many(1), id)
	}
	if o.Name == "" && len(o.Identifier) == 0 {
		return nil
	}
	return o
}

// orgKey is the business key of an organization: its first identifier, else its name.
func (cv *conv) orgKey(o *Organization) string {
	if len(o.Identifier) > 0 {
		return cv.concat("id|", o.Identifier[0].System, "|", o.Identifier[0].Value)
	}
	return cv.concat("name|", o.Name)
}

// organizationCWE maps a CWE naming an organization (CWE[Organization]), such as the
// vaccine manufacturer in RXA-17.
func (cv *conv) organizationCWE(v hl7.Value) *Reference {
	if !cv.valued(v) {
		return nil
	}
	o := alloc(cv, &cv.p.organizations)
	o.base.Type, o.Name = "Organization", cv.comp(v, 2)
	if s := cv.comp(v, 9); s != "" && o.Name == "" {
		o.Name = s
	}
	if c := cv.comp(v, 1); c != "" {
		o.Identifier = []Identifier{{Value: c, System: cv.system(cv.comp(v, 3))}}
	}
	if o.Name == "" && len(o.Identifier) == 0 {
		return nil
	}
	r, _ := cv.add(o, &o.base, cv.orgKey(o))
	return cv.ref(r)
}

// plLevels are the levels of a PL, from the most specific up, with the component that
// names each and its physical type (PL[Location]). The point of care has no physical type
// in the guide.
var plLevels = [...]struct {
	comp int
	typ  string
}{
	{3, "bd"},  // bed
	{2, "ro"},  // room
	{8, "lvl"}, // floor
	{1, ""},    // point of care
	{7, "bu"},  // building
	{4, "si"},  // facility
}

// location maps a PL (PL[Location]) to a chain of Location resources, each partOf the next
// level up, and returns a reference to the most specific one, or nil when the PL is empty.
func (cv *conv) location(v hl7.Value) *Reference {
	if !cv.valued(v) {
		return nil
	}
	var chainBuf [len(plLevels)]*Location
	var keysBuf [len(plLevels)]string
	chain, keys := chainBuf[:0], keysBuf[:0]
	var kb [256]byte
	key := append(kb[:0], "pl"...)
	// Keys run from the facility down so that "room 1" of two wards are two locations.
	for i := len(plLevels) - 1; i >= 0; i-- {
		lv := plLevels[i]
		ns, uid, typ := cv.hdSubs(v, lv.comp)
		if ns == "" && uid == "" {
			continue
		}
		key = append(append(append(append(key, '|'), ns...), '&'), uid...)
		l := alloc(cv, &cv.p.locations)
		l.base.Type, l.Name, l.Mode = "Location", ns, "instance"
		// Room for the EI of PL.10 too, on the most specific level.
		l.Identifier = cv.p.identifiers.many(3)
		if ns != "" {
			l.Identifier = append(l.Identifier, Identifier{Value: ns})
		}
		if uid != "" {
			l.Identifier = append(l.Identifier, Identifier{Value: uid, Type: cv.concept1(typ, "0301", vocabUniversalIDType)})
		}
		if lv.typ != "" {
			l.PhysicalType = cv.p.concept1(Coding{System: sysLocationType, Code: lv.typ})
		}
		chain = append(chain, l)
		keys = append(keys, cv.keep(key))
	}
	if len(chain) == 0 {
		return nil
	}
	// chain runs from the top (facility) down; the last one is the most specific.
	leaf := chain[len(chain)-1]
	leaf.Description = cv.comp(v, 9)
	if id := cv.identifierEISub(v, 10); id != nil {
		leaf.Identifier = append(leaf.Identifier, *id)
	}
	if ns, uid, typ := cv.hdSubs(v, 11); ns != "" || uid != "" {
		a := cv.hdOrganization(ns, uid, typ)
		for _, l := range chain {
			for j := range l.Identifier {
				l.Identifier[j].Assigner = a
			}
		}
	}
	var parent *Reference
	var last Resource
	for i, l := range chain {
		l.PartOf = parent
		r, _ := cv.add(l, &l.base, keys[i])
		parent = cv.ref(r)
		last = r
	}
	return cv.ref(last)
}

// locationHD maps an HD naming a location (HD[Location]), as in EVN-7.
func (cv *conv) locationHD(v hl7.Value) *Reference {
	ns, uid, typ := cv.hdComps(v)
	if ns == "" && uid == "" {
		return nil
	}
	l := &Location{base: base{Type: "Location"}, Name: ns, Mode: "instance"}
	if uid != "" {
		switch strings.ToUpper(typ) {
		case "ISO", "UUID":
			l.Identifier = []Identifier{{Value: uid, System: cv.authority("", uid, typ)}}
		}
		l.PhysicalType = &CodeableConcept{Coding: []Coding{{System: sysLocationType, Code: "si"}}}
	}
	r, _ := cv.add(l, &l.base, "hd|"+ns+"|"+uid)
	return cv.ref(r)
}
