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
	p := &Practitioner{base: base{Type: "Practitioner"}}
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
		p.Identifier = append(p.Identifier, id)
	}
	n := HumanName{}
	cv.familyFN(&n, v, 2)
	n.Given = appendNonEmpty(n.Given, cv.comp(v, 3), cv.comp(v, 4))
	n.Suffix = appendNonEmpty(n.Suffix, cv.comp(v, 5))
	n.Prefix = appendNonEmpty(n.Prefix, cv.comp(v, 6))
	n.Suffix = appendNonEmpty(n.Suffix, cv.comp(v, 21))
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
		p.Name = []HumanName{n}
	}
	if q := cv.concept1(cv.comp(v, 7), "0360", vocabDegree); q != nil {
		p.Qualification = []Qualification{{Code: q}}
	}
	if len(p.Identifier) == 0 && len(p.Name) == 0 {
		return nil
	}
	key := ""
	if len(p.Identifier) > 0 {
		id := p.Identifier[0]
		key = "id|" + id.System + "|" + cv.sub(v, 9, 1) + "|" + id.Value
	} else {
		key = "name|" + n.Family + "|" + strings.Join(n.Given, " ") + "|" + strings.Join(n.Prefix, " ")
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
	r, _ := cv.add(o, &o.base, orgKey(o))
	return cv.ref(r)
}

func (cv *conv) newOrgXON(v hl7.Value) *Organization {
	if !cv.valued(v) {
		return nil
	}
	o := &Organization{base: base{Type: "Organization"}, Name: cv.comp(v, 1)}
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
		o.Identifier = append(o.Identifier, id)
	}
	if o.Name == "" && len(o.Identifier) == 0 {
		return nil
	}
	return o
}

func orgKey(o *Organization) string {
	if len(o.Identifier) > 0 {
		return "id|" + o.Identifier[0].System + "|" + o.Identifier[0].Value
	}
	return "name|" + o.Name
}

// organizationCWE maps a CWE naming an organization (CWE[Organization]), such as the
// vaccine manufacturer in RXA-17.
func (cv *conv) organizationCWE(v hl7.Value) *Reference {
	if !cv.valued(v) {
		return nil
	}
	o := &Organization{base: base{Type: "Organization"}, Name: cv.comp(v, 2)}
	if s := cv.comp(v, 9); s != "" && o.Name == "" {
		o.Name = s
	}
	if c := cv.comp(v, 1); c != "" {
		o.Identifier = []Identifier{{Value: c, System: cv.system(cv.comp(v, 3))}}
	}
	if o.Name == "" && len(o.Identifier) == 0 {
		return nil
	}
	r, _ := cv.add(o, &o.base, orgKey(o))
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
	var chain []*Location
	var keys []string
	key := ""
	// Keys run from the facility down so that "room 1" of two wards are two locations.
	for i := len(plLevels) - 1; i >= 0; i-- {
		lv := plLevels[i]
		ns, uid, typ := cv.hdSubs(v, lv.comp)
		if ns == "" && uid == "" {
			continue
		}
		key += "|" + ns + "&" + uid
		l := &Location{base: base{Type: "Location"}, Name: ns, Mode: "instance"}
		if ns != "" {
			l.Identifier = append(l.Identifier, Identifier{Value: ns})
		}
		if uid != "" {
			l.Identifier = append(l.Identifier, Identifier{Value: uid, Type: cv.concept1(typ, "0301", vocabUniversalIDType)})
		}
		if lv.typ != "" {
			l.PhysicalType = &CodeableConcept{Coding: []Coding{{System: sysLocationType, Code: lv.typ}}}
		}
		chain = append(chain, l)
		keys = append(keys, "pl"+key)
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
