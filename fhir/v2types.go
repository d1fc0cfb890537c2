package fhir

import (
	"bytes"
	"strings"

	"github.com/courier-hl7/courier/hl7"
)

// Code systems and extension URLs that the guide's mappings name.
const (
	sysV2           = "http://terminology.hl7.org/CodeSystem/v2-"
	sysV20203       = sysV2 + "0203"
	sysParticipType = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
	sysUCUM         = "http://unitsofmeasure.org"
	sysRFC3986      = "urn:ietf:rfc:3986"
	sysLocationType = "http://terminology.hl7.org/CodeSystem/location-physical-type"
	sysDataAbsent   = "http://terminology.hl7.org/CodeSystem/data-absent-reason"

	extDataAbsent       = "http://hl7.org/fhir/StructureDefinition/data-absent-reason"
	extCheckDigit       = "http://hl7.org/fhir/StructureDefinition/identifier-checkDigit"
	extCheckDigitScheme = "http://hl7.org/fhir/StructureDefinition/namingsystem-checkDigit"
	extOwnPrefix        = "http://hl7.org/fhir/StructureDefinition/humanname-own-prefix"
	extOwnName          = "http://hl7.org/fhir/StructureDefinition/humanname-own-name"
	extPartnerPrefix    = "http://hl7.org/fhir/StructureDefinition/humanname-partner-prefix"
	extPartnerName      = "http://hl7.org/fhir/StructureDefinition/humanname-partner-name"
	extAssemblyOrder    = "http://hl7.org/fhir/StructureDefinition/humanname-assembly-order"
	extADUse            = "http://hl7.org/fhir/StructureDefinition/iso21090-AD-use"
	extCensusTract      = "http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-censusTract"
	extCountry          = "http://hl7.org/fhir/StructureDefinition/contactpoint-country"
	extArea             = "http://hl7.org/fhir/StructureDefinition/contactpoint-area"
	extLocal            = "http://hl7.org/fhir/StructureDefinition/contactpoint-local"
	extPhoneExt         = "http://hl7.org/fhir/StructureDefinition/contactpoint-extension"
	extOriginalText     = "http://hl7.org/fhir/StructureDefinition/originalText"
	extAlternateCodes   = "http://hl7.org/fhir/StructureDefinition/alternate-codes"
)

// absent returns the data-absent-reason extension with code "unknown", which marks a
// required element the message does not give.
func absent() *Element {
	return &Element{Extension: []Extension{{URL: extDataAbsent, ValueCode: "unknown"}}}
}

// --- identifiers and assigning authorities ---

// authority resolves an assigning authority (an HD: namespace ID, universal ID, universal
// ID type) to an identifier system: the channel's map first (by namespace, then universal
// ID), then urn:oid: or urn:uuid: for ISO and UUID universal IDs, else none. The guide maps
// HD.1 itself to the system (HD[uri]); a namespace such as "MRN" is not a URI, so that row
// is honoured only through Options.IdentifierSystems.
func (cv *conv) authority(ns, uid, typ string) string {
	if s, ok := cv.c.idSystems[ns]; ok && ns != "" {
		return s
	}
	if s, ok := cv.c.idSystems[uid]; ok && uid != "" {
		return s
	}
	if uid == "" {
		return ""
	}
	switch strings.ToUpper(typ) {
	case "ISO":
		if isOID(uid) {
			return cv.concat("urn:oid:", uid)
		}
	case "UUID":
		if u := strings.ToLower(uid); isUUID(u) {
			return cv.concat("urn:uuid:", u)
		}
	}
	return ""
}

func isOID(s string) bool {
	if s == "" || s[0] < '0' || s[0] > '2' {
		return false
	}
	for rest := s; ; {
		p, next, more := strings.Cut(rest, ".")
		if p == "" || !digits(p) || len(p) > 1 && p[0] == '0' {
			return false
		}
		if !more {
			break
		}
		rest = next
	}
	return strings.Contains(s, ".")
}

func isUUID(s string) bool {
	_, err := parseUUID(s)
	return err == nil && strings.ToLower(s) == s
}

// hdOrganization maps an HD to an Organization (HD[Organization]) and returns a reference
// to it, or nil when the HD is empty.
func (cv *conv) hdOrganization(ns, uid, typ string) *Reference {
	if ns == "" && uid == "" {
		return nil
	}
	u, known := cv.known("Organization", "hd|", ns, "|", uid)
	if known != nil {
		return cv.ref(known)
	}
	o := alloc(cv, &cv.p.organizations)
	o.base.Type = "Organization"
	n := 0
	if ns != "" {
		n++
	}
	if uid != "" {
		n++
	}
	o.Identifier = cv.p.identifiers.many(n)
	if ns != "" {
		o.Identifier = append(o.Identifier, Identifier{Value: ns})
	}
	if uid != "" {
		id := Identifier{Value: uid, Type: cv.concept1(typ, "", vocabUniversalIDType)}
		switch strings.ToUpper(typ) {
		case "ISO":
			if isOID(uid) {
				id.System, id.Value = sysRFC3986, cv.concat("urn:oid:", uid)
			}
		case "UUID":
			if u := strings.ToLower(uid); isUUID(u) {
				id.System, id.Value = sysRFC3986, cv.concat("urn:uuid:", u)
			}
		}
		o.Identifier = append(o.Identifier, id)
	}
	r, _ := cv.addID(o, &o.base, u)
	return cv.ref(r)
}

// hd reads the components of an HD at v (a field or component whose parts are split by
// sub) and returns namespace ID, universal ID and universal ID type.
func (cv *conv) hdComps(v hl7.Value) (string, string, string) {
	return cv.comp(v, 1), cv.comp(v, 2), cv.comp(v, 3)
}

func (cv *conv) hdSubs(v hl7.Value, i int) (string, string, string) {
	return cv.sub(v, i, 1), cv.sub(v, i, 2), cv.sub(v, i, 3)
}

// identifierCX maps a CX (CX[Identifier]).
func (cv *conv) identifierCX(v hl7.Value) *Identifier {
	val := cv.comp(v, 1)
	if val == "" {
		return nil
	}
	id := cv.p.identifiers.one()
	id.Value = val
	if s := cv.comp(v, 2); s != "" {
		id.Extension = append(id.Extension, Extension{URL: extCheckDigit, ValueString: s})
	}
	if s := cv.comp(v, 3); s != "" {
		id.Extension = append(id.Extension, Extension{URL: extCheckDigitScheme, ValueString: s})
	}
	ns, uid, typ := cv.hdSubs(v, 4)
	id.System = cv.authority(ns, uid, typ)
	id.Assigner = cv.hdOrganization(ns, uid, typ)
	if t := code(cv.comp(v, 5)); t != "" {
		id.Type = cv.typeCode(t, vocabIdentifierType)
	}
	id.Period = cv.periodOf(v.Comp(7), v.Comp(8))
	return id
}

// typeCode returns a CodeableConcept for an identifier type code of table 0203: the guide's
// map where it has the code, the code in v2-0203 otherwise.
func (cv *conv) typeCode(t string, m *conceptMap) *CodeableConcept {
	if r, ok := cv.lookup(m, t, ""); ok {
		return cv.p.concept1(Coding{System: r.TSystem, Code: r.Target, Display: r.Display})
	}
	return cv.p.concept1(Coding{System: sysV20203, Code: t})
}

// fixedType returns an identifier type of table 0203 with the given code.
func (cv *conv) fixedType(c string) *CodeableConcept {
	return cv.p.concept1(Coding{System: sysV20203, Code: c})
}

// identifierEI maps an EI (EI[Identifier-Extension] for the value; the namespace and
// universal ID give the system as for CX.4, and the assigner as EI[Identifier-Organization]
// asks).
func (cv *conv) identifierEI(v hl7.Value) *Identifier {
	val := cv.comp(v, 1)
	if val == "" {
		return nil
	}
	ns, uid, typ := cv.comp(v, 2), cv.comp(v, 3), cv.comp(v, 4)
	id := cv.p.identifiers.one()
	*id = Identifier{Value: val, System: cv.authority(ns, uid, typ), Assigner: cv.hdOrganization(ns, uid, typ)}
	return id
}

// identifierEISub is identifierEI for an EI held in a component (its parts are
// sub-components), as in EIP.1 and EIP.2.
func (cv *conv) identifierEISub(v hl7.Value, i int) *Identifier {
	val := cv.sub(v, i, 1)
	if val == "" {
		return nil
	}
	ns, uid, typ := cv.sub(v, i, 2), cv.sub(v, i, 3), cv.sub(v, i, 4)
	id := cv.p.identifiers.one()
	*id = Identifier{Value: val, System: cv.authority(ns, uid, typ), Assigner: cv.hdOrganization(ns, uid, typ)}
	return id
}

// --- names, addresses, telecoms ---

// humanNames maps an XPN (XPN[HumanName]): the name, and a nickname from XPN.15.
func (cv *conv) humanNames(v hl7.Value) []HumanName {
	var out []HumanName
	n := HumanName{}
	cv.familyFN(&n, v, 1)
	n.Given = cv.nonEmpty(n.Given, cv.comp(v, 2), cv.comp(v, 3))
	n.Suffix = cv.nonEmpty(n.Suffix, cv.comp(v, 4), cv.comp(v, 6))
	n.Prefix = cv.nonEmpty(n.Prefix, cv.comp(v, 5))
	n.Use = vocabNameType.code(cv.comp(v, 7), "")
	if s := vocabNameAssembly.code(cv.comp(v, 11), ""); s != "" {
		n.Extension = append(n.Extension, Extension{URL: extAssemblyOrder, ValueCode: s})
	}
	if valued12, valued13 := cv.comp(v, 12) != "", cv.comp(v, 13) != ""; valued12 || valued13 {
		n.Period = cv.periodOf(v.Comp(12), v.Comp(13))
	} else {
		n.Period = cv.periodDRSub(v.Comp(10))
	}
	n.Suffix = cv.nonEmpty(n.Suffix, cv.comp(v, 14))
	named := n.Family != "" || len(n.Given) > 0 || len(n.Prefix) > 0 || len(n.Suffix) > 0
	nick := cv.comp(v, 15)
	k := 0
	if named {
		k++
	}
	if nick != "" {
		k++
	}
	if k == 0 {
		return nil
	}
	out = allocN(cv, &cv.p.names, k)
	if named {
		out = append(out, n)
	}
	if nick != "" {
		out = append(out, HumanName{Use: "nickname", Given: cv.nonEmpty(nil, nick)})
	}
	return out
}

// familyFN fills the family name from an FN held in component i (FN[HumanName]).
func (cv *conv) familyFN(n *HumanName, v hl7.Value, i int) {
	n.Family = cv.sub(v, i, 1)
	var ext []Extension
	for j, url := range [...]string{2: extOwnPrefix, 3: extOwnName, 4: extPartnerPrefix, 5: extPartnerName} {
		if url == "" {
			continue
		}
		if s := cv.sub(v, i, j); s != "" {
			ext = append(ext, Extension{URL: url, ValueString: s})
		}
	}
	if len(ext) > 0 && n.Family != "" {
		n.FamilyExt = &Element{Extension: ext}
	}
}

// nameString renders an XPN as a string (XPN[string]): given names, then family.
func (cv *conv) nameString(v hl7.Value) string {
	return cv.join(" ", cv.comp(v, 5), cv.comp(v, 2), cv.comp(v, 3), cv.sub(v, 1, 1), cv.comp(v, 4))
}

func appendNonEmpty(dst []string, ss ...string) []string {
	for _, s := range ss {
		if s != "" {
			dst = append(dst, s)
		}
	}
	return dst
}

// address maps an XAD (XAD[Address], SAD[Address]).
func (cv *conv) address(v hl7.Value) *Address {
	a := alloc(cv, &cv.p.addresses)
	a.Line = cv.nonEmpty(a.Line, cv.sub(v, 1, 1), cv.sub(v, 1, 2), cv.sub(v, 1, 3), cv.comp(v, 2))
	a.City, a.State, a.PostalCode, a.Country = cv.comp(v, 3), cv.comp(v, 4), cv.comp(v, 5), cv.comp(v, 6)
	switch t := code(cv.comp(v, 7)); {
	case t == "":
	case t == "HV":
		a.Extension = append(a.Extension, Extension{URL: extADUse, ValueCode: "HV"})
	default:
		if u := vocabAddressType.code(t, ""); u != "" && (t == "M" || t == "SH") {
			a.Type = u
		} else if u := vocabAddressUse.code(t, ""); u != "" {
			a.Use = u
		}
	}
	if d := cv.cweString(v.Comp(9)); d != "" {
		a.District = d
	}
	if s := cv.cweString(v.Comp(10)); s != "" {
		a.Extension = append(a.Extension, Extension{URL: extCensusTract, ValueCode: code(s)})
	}
	if cv.comp(v, 13) != "" || cv.comp(v, 14) != "" {
		a.Period = cv.periodOf(v.Comp(13), v.Comp(14))
	} else {
		a.Period = cv.periodDRSub(v.Comp(12))
	}
	a.Line = appendNonEmpty(a.Line, cv.comp(v, 19))
	if len(a.Line) == 0 && a.City == "" && a.State == "" && a.PostalCode == "" && a.Country == "" && a.District == "" {
		return nil
	}
	return a
}

// contactPoint maps an XTN (XTN[ContactPoint]).
func (cv *conv) contactPoint(v hl7.Value) *ContactPoint {
	p := alloc(cv, &cv.p.contacts)
	equip := cv.comp(v, 3)
	email := strings.EqualFold(equip, "Internet") || strings.EqualFold(equip, "X.400")
	if r, ok := vocabTelecomEquipment.lookup(equip, ""); ok {
		if strings.HasSuffix(r.TSystem, "contact-point-use") {
			// The guide's map gives CP the ContactPoint.use code "mobile"; the system of a
			// cellular phone is "phone".
			p.System, p.Use = "phone", r.Target
		} else {
			p.System = r.Target
		}
	}
	if u := vocabTelecomUse.code(cv.comp(v, 2), ""); u != "" && p.Use == "" {
		p.Use = u
	}
	cc, area, local, ext := cv.comp(v, 5), cv.comp(v, 6), cv.comp(v, 7), cv.comp(v, 8)
	switch {
	case email:
		p.Value = cv.comp(v, 4)
	case cv.comp(v, 12) != "":
		p.Value = cv.comp(v, 12)
	case local != "":
		parts := []string{}
		if cc != "" {
			parts = append(parts, "+"+cc)
		}
		parts = appendNonEmpty(parts, area, local)
		if ext != "" {
			parts = append(parts, "X"+ext)
		}
		p.Value = strings.Join(parts, " ")
	default:
		p.Value = cv.comp(v, 1)
	}
	if equip == "" && p.System == "" {
		if cv.comp(v, 4) != "" {
			p.System = "email"
			if p.Value == "" {
				p.Value = cv.comp(v, 4)
			}
		} else {
			p.SystemExt = cv.absent()
		}
	}
	if !email {
		for _, e := range [...]struct{ url, s string }{{extCountry, cc}, {extArea, area}, {extLocal, local}, {extPhoneExt, ext}} {
			if e.s != "" {
				p.Extension = append(p.Extension, Extension{URL: e.url, ValueString: e.s})
			}
		}
	}
	p.Period = cv.periodOf(v.Comp(13), v.Comp(14))
	if r := cv.comp(v, 18); r != "" && digits(r) && r[0] != '0' && len(r) < 9 {
		p.Rank = atoi(r)
	}
	if p.Value == "" {
		return nil
	}
	return p
}

// --- coded values ---

// concept maps a CWE, CE or CNE (CWE[CodeableConcept]): up to three codings and the
// original text. When m is not nil, each triplet that m translates also gives the FHIR
// coding, placed before the original v2 coding, which is kept (the guide's translator
// logic; keeping the original is what it recommends for extensible bindings).
func (cv *conv) concept(v hl7.Value, m *conceptMap) *CodeableConcept {
	if !cv.valued(v) {
		return nil
	}
	cc := cv.p.concepts.one()
	if !cv.fillConcept(cc, v, m) {
		return nil
	}
	return cc
}

// concepts maps the repetitions of field n of s as concept does, into one slice from the
// conversion's slab; it returns nil when none gives a concept.
func (cv *conv) concepts(s hl7.Segment, n int, m *conceptMap) []CodeableConcept {
	k := cv.numReps(s, n)
	if k == 0 {
		return nil
	}
	// Room for the repetitions at once; an append reallocates for a field with more,
	// which need not all be valued.
	dst := cv.p.concepts.many(min(k, 8))
	for _, r := range reps(s, n) {
		dst = append(dst, CodeableConcept{})
		if !cv.valued(r) || !cv.fillConcept(&dst[len(dst)-1], r, m) {
			dst = dst[:len(dst)-1]
		}
	}
	if len(dst) == 0 {
		return nil
	}
	return dst
}

// fillConcept is concept writing into cc, a zero CodeableConcept, for a value that is
// valued; it reports false when the value gives no concept.
func (cv *conv) fillConcept(cc *CodeableConcept, v hl7.Value, m *conceptMap) bool {
	c := &cv.cs
	cv.split(c, v)
	// Room for the codings of the triplets sent, and for their translations.
	n := 1
	if c.n >= 4 {
		n++
	}
	if c.n >= 10 {
		n++
	}
	if m != nil {
		n *= 2
	}
	cc.Coding = cv.p.codings.many(n)
	for _, t := range [...][5]int{{1, 2, 3, 7, 14}, {4, 5, 6, 8, 17}, {10, 11, 12, 13, 20}} {
		if t[0] > c.n {
			break
		}
		code := code(cv.get(c, t[0]))
		if code == "" {
			continue
		}
		sys := cv.get(c, t[2])
		if m != nil {
			if r, ok := cv.lookup(m, code, sys); ok {
				cc.addCoding(Coding{System: r.TSystem, Code: r.Target, Display: r.Display})
			}
		}
		uri := cv.system(sys)
		if uri == "" {
			if oid := cv.get(c, t[4]); isOID(oid) {
				uri = "urn:oid:" + oid
			}
		}
		cc.addCoding(Coding{System: uri, Code: code, Display: cv.get(c, t[1]), Version: cv.get(c, t[3])})
	}
	cc.Text = cv.get(c, 9)
	if cc.Text == "" && len(cc.Coding) == 0 {
		cc.Text = cv.get(c, 2)
	}
	if len(cc.Coding) == 0 {
		cc.Coding = nil
		if cc.Text == "" {
			return false
		}
	}
	return true
}

func (cc *CodeableConcept) addCoding(c Coding) {
	for _, o := range cc.Coding {
		if o.System == c.System && o.Code == c.Code {
			return
		}
	}
	cc.Coding = append(cc.Coding, c)
}

// concept1 builds a CodeableConcept from one code of a v2 table (ID, IS), translated with m
// when it can be, the v2 code kept with the table's system.
func (cv *conv) concept1(c, table string, m *conceptMap) *CodeableConcept {
	c = code(c)
	if c == "" {
		return nil
	}
	cc := cv.p.concepts.one()
	cc.Coding = cv.p.codings.many(2)
	if r, ok := cv.lookup(m, c, ""); ok {
		cc.addCoding(Coding{System: r.TSystem, Code: r.Target, Display: r.Display})
	}
	if table != "" {
		cc.addCoding(Coding{System: cv.concat(sysV2, table), Code: c})
	} else if len(cc.Coding) == 0 {
		cc.Coding = append(cc.Coding, Coding{Code: c})
	}
	return cc
}

// coding maps the first triplet of a CWE to a Coding (CWE[Coding]), translated with m when
// it can be.
func (cv *conv) coding(v hl7.Value, m *conceptMap) *Coding {
	c := code(cv.comp(v, 1))
	if c == "" {
		return nil
	}
	out := cv.p.codings.one()
	if m != nil {
		if r, ok := cv.lookup(m, c, cv.comp(v, 3)); ok {
			*out = Coding{System: r.TSystem, Code: r.Target, Display: r.Display}
			return out
		}
	}
	*out = Coding{System: cv.system(cv.comp(v, 3)), Code: c, Display: cv.comp(v, 2), Version: cv.comp(v, 7)}
	return out
}

// codeOf maps a CWE to a FHIR code through m (CWE[code]): CWE.1, or CWE.4 when CWE.1 is
// empty.
func (cv *conv) codeOf(v hl7.Value, m *conceptMap) string {
	if c := code(cv.comp(v, 1)); c != "" {
		return cv.mapCode(m, c, cv.comp(v, 3))
	}
	return cv.mapCode(m, code(cv.comp(v, 4)), cv.comp(v, 6))
}

// cweString renders a CWE as a string (CWE[string]): the original text, or the text.
func (cv *conv) cweString(v hl7.Value) string {
	if s := cv.sub(v, 1, 9); s != "" && v.NumSubs() > 1 {
		return s
	}
	if s := cv.sub(v, 1, 2); s != "" && v.NumSubs() > 1 {
		return s
	}
	return cv.text(v)
}

// unit fills the unit of q, which has none yet, from a CWE (CWE[Quantity]). FHIR allows a
// unit code only with its system, so a code whose system is unknown becomes the unit text.
func (cv *conv) unit(q *Quantity, v hl7.Value) {
	// The results of a panel mostly repeat their units, and what a unit maps to depends
	// on its bytes alone: the last one is remembered.
	m := &cv.unitMemo
	if raw := v.Raw(); m.set && bytes.Equal(raw, m.raw) {
		q.Unit, q.System, q.Code = m.unit, m.system, m.code
		return
	}
	cv.readUnit(q, v)
	m.raw, m.set, m.unit, m.system, m.code = v.Raw(), true, q.Unit, q.System, q.Code
}

// readUnit is unit without the memo, for a q that has no unit yet.
func (cv *conv) readUnit(q *Quantity, v hl7.Value) {
	// One pass over the CWE for its three components. cv.cs is free: unit is not called
	// while fillConcept uses it.
	c := &cv.cs
	cv.split(c, v)
	c1, disp, sys := code(cv.get(c, 1)), cv.get(c, 2), cv.get(c, 3)
	if c1 == "" && disp == "" {
		return
	}
	q.Unit = disp
	if q.Unit == "" {
		q.Unit = c1
	}
	if c1 != "" && sys != "" {
		if uri := cv.system(sys); uri != "" {
			q.System, q.Code = uri, c1
		}
	}
}

// unitSub is unit for a CWE held in a component (its parts are sub-components), as in CQ.2.
func (cv *conv) unitSub(q *Quantity, v hl7.Value, i int) {
	c, disp, sys := code(cv.sub(v, i, 1)), cv.sub(v, i, 2), cv.sub(v, i, 3)
	if c == "" && disp == "" {
		return
	}
	q.Unit = disp
	if q.Unit == "" {
		q.Unit = c
	}
	if c != "" && sys != "" {
		if uri := cv.system(sys); uri != "" {
			q.System, q.Code = uri, c
		}
	}
}

// --- numbers and quantities ---

// decimal reads a v2 NM as a FHIR decimal: an optional sign, digits, an optional fraction.
// It reports false for anything else. A leading "+" and leading zeros are dropped, and a
// bare fraction gets its zero (".5" is 0.5), so that the result is valid JSON and FHIR.
func decimal(s string) (Decimal, bool) {
	s = strings.TrimSpace(s)
	neg, plus := false, false
	switch {
	case strings.HasPrefix(s, "+"):
		plus, s = true, s[1:]
	case strings.HasPrefix(s, "-"):
		neg = true
	}
	digitsOf := s
	if neg {
		digitsOf = s[1:]
	}
	intPart, frac, hasDot := strings.Cut(digitsOf, ".")
	if intPart == "" && frac == "" || intPart != "" && !digits(intPart) || hasDot && !digits(frac) {
		return "", false
	}
	trimmed := strings.TrimLeft(intPart, "0")
	if trimmed == "" {
		trimmed = "0"
	}
	zero := trimmed == "0" && strings.Trim(frac, "0") == ""
	if !plus && trimmed == intPart && !(neg && zero) {
		// Already in FHIR's form, the common case: the text itself, without a copy.
		return Decimal(s), true
	}
	out := trimmed
	if hasDot {
		out += "." + frac
	}
	if neg && !zero {
		out = "-" + out
	}
	return Decimal(out), true
}

// cq maps a CQ (CQ[Quantity]).
func (cv *conv) cq(v hl7.Value) *Quantity {
	d, ok := decimal(cv.comp(v, 1))
	if !ok {
		return nil
	}
	q := &Quantity{Value: d}
	cv.unitSub(q, v, 2)
	return q
}

// --- periods ---

// periodOf builds a Period from two DTM values.
func (cv *conv) periodOf(start, end hl7.Value) *Period {
	return cv.period(cv.dateTime(start), cv.dateTime(end))
}

// period returns a Period from start to end, or nil when both are empty.
func (cv *conv) period(start, end string) *Period {
	if start == "" && end == "" {
		return nil
	}
	p := alloc(cv, &cv.p.periods)
	p.Start, p.End = start, end
	return p
}

// periodDR maps a DR held in a field or repetition (DR[Period]).
func (cv *conv) periodDR(v hl7.Value) *Period {
	return cv.periodOf(v.Comp(1), v.Comp(2))
}

// periodDRSub maps a DR held in a component (its parts are sub-components).
func (cv *conv) periodDRSub(v hl7.Value) *Period {
	if !cv.valued(v) {
		return nil // neither sub-component can give a time
	}
	var start, end string
	if t, ok := parseV2Time(strings.TrimSpace(v.Sub(1).String()), cv.c.loc); ok && !v.Sub(1).IsNull() {
		start = cv.dateTimeOf(t)
	}
	if t, ok := parseV2Time(strings.TrimSpace(v.Sub(2).String()), cv.c.loc); ok && !v.Sub(2).IsNull() {
		end = cv.dateTimeOf(t)
	}
	return cv.period(start, end)
}
