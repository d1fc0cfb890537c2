package hl7

import (
	"bytes"
	"strings"
)

// The data type views below are typed names for the parts of a Value: they hold the same
// Value, copy nothing when made, and split the bytes only when an accessor is called.
//
// A view can be made over a field, a repetition or a component. Over a field it reads the
// first repetition; to read another, take it first:
//
//	m.ValueAt(MustParsePath("PID-5")).Rep(2).XPN().FamilyName()
//
// Over a component (a composite type inside another one, like the HD in CX.4) its parts are
// the component's sub-components.
//
// Every accessor returns the text of one leaf with its escape sequences decoded, and "" when
// that part is absent or empty. A part that holds the HL7 null reads as the two characters
// "\"\"", as Value.String does: test the part with IsNull where deleting matters. A part that
// the standard defines as a single value but that holds sub-components anyway reads as its
// first sub-component: HL7 tells receivers to ignore the parts they do not expect.
//
// Component numbers follow HL7 v2.5.1 chapter 2A (data types). Where the versions differ, the
// accessors read so that every shape gives the same answer: see each type.

// typedNode returns part i of v seen as a composite: component i of a field (its first
// repetition) or of a repetition, sub-component i of a component, the value itself for i == 1
// on a leaf. It walks the bytes without building the Values in between, as ValueAt does:
// every accessor of every view goes through here.
func (v Value) typedNode(i int) Value {
	if !v.ok || v.m == nil {
		return Value{m: v.m}
	}
	d := &v.m.delims
	b := v.b
	var sep byte
	lv := lvComp
	switch v.lv {
	case lvField:
		b = partBytes(b, d.Repetition, 1)
		sep = d.Component
	case lvRep:
		sep = d.Component
	case lvComp:
		sep, lv = d.SubComponent, lvSub
	case lvSub, lvLiteral:
		if i == 1 {
			return v
		}
		return Value{m: v.m}
	default:
		return Value{m: v.m}
	}
	if b = partBytes(b, sep, i); b == nil {
		return Value{m: v.m}
	}
	return Value{b: b, m: v.m, lv: lv, ok: true}
}

// typedLeaf returns part i of v as a leaf: a component's first sub-component.
func (v Value) typedLeaf(i int) Value {
	n := v.typedNode(i)
	if n.ok && n.lv == lvComp {
		n.b, n.lv = partBytes(n.b, n.m.delims.SubComponent, 1), lvSub
	}
	return n
}

// partBytes returns part i (from 1) of b split on sep, or nil when there is no such part. An
// empty part that exists is a non-nil empty slice. A zero sep (a delimiter the message does
// not define) leaves b whole as its only part.
func partBytes(b []byte, sep byte, i int) []byte {
	if i < 1 {
		return nil
	}
	if b == nil {
		b = []byte{}
	}
	if sep != 0 {
		for ; i > 1; i-- {
			j := bytes.IndexByte(b, sep)
			if j < 0 {
				return nil
			}
			b = b[j+1:]
		}
		if j := bytes.IndexByte(b, sep); j >= 0 {
			b = b[:j]
		}
	} else if i > 1 {
		return nil
	}
	return b
}

// typedText returns the decoded text of part i of v.
func (v Value) typedText(i int) string { return v.typedLeaf(i).String() }

// typedSpan returns parts from to to of v as one value over the same bytes, one level up so
// that its own parts are those parts: components 2 to 4 of an EI as an HD.
func (v Value) typedSpan(from, to int) Value {
	if !v.ok || v.m == nil || from < 1 || to < from {
		return Value{m: v.m}
	}
	var sep byte
	lv := v.lv
	switch v.lv {
	case lvField:
		return v.Rep(1).typedSpan(from, to)
	case lvRep:
		sep = v.m.delims.Component
	case lvComp:
		sep = v.m.delims.SubComponent
	case lvSub, lvLiteral:
		if from == 1 {
			return v
		}
		return Value{m: v.m}
	default:
		return Value{m: v.m}
	}
	b := v.b
	if sep == 0 {
		if from == 1 {
			return v
		}
		return Value{m: v.m}
	}
	for k := 1; k < from; k++ {
		j := bytes.IndexByte(b, sep)
		if j < 0 {
			return Value{m: v.m}
		}
		b = b[j+1:]
	}
	end := 0
	for k := from; k <= to; k++ {
		j := bytes.IndexByte(b[end:], sep)
		if j < 0 {
			end = len(b)
			break
		}
		if k == to {
			end += j
			break
		}
		end += j + 1
	}
	return Value{b: b[:end], m: v.m, lv: lv, ok: true}
}

// textOf returns s, or "" when s is the HL7 null: for the conveniences that compose text.
func textOf(s string) string {
	if s == `""` {
		return ""
	}
	return s
}

// HD is a hierarchic designator (HL7 v2.5.1 chapter 2A, HD): an application, facility or
// assigning authority, named locally (HD.1) or universally (HD.2 of the type in HD.3). MSH-3
// to MSH-6 are HDs; so are CX.4, CX.6 and PL.4, where the parts are sub-components
// ("HOSP&1.2.3&ISO"), which HD reads as well.
type HD struct{ Value }

// HD returns v as a hierarchic designator.
func (v Value) HD() HD { return HD{v} }

// NamespaceID returns HD.1, the local name.
func (h HD) NamespaceID() string { return h.typedText(1) }

// UniversalID returns HD.2, a universal identifier such as an OID.
func (h HD) UniversalID() string { return h.typedText(2) }

// UniversalIDType returns HD.3, the type of UniversalID (ISO, DNS, UUID...; table 0301).
func (h HD) UniversalIDType() string { return h.typedText(3) }

// EI is an entity identifier (HL7 v2.5.1 chapter 2A, EI): an identifier (EI.1) and the HD of
// the system that assigned it, flattened into EI.2 to EI.4. Order and filler numbers (ORC-2,
// ORC-3) and message profile identifiers are EIs.
type EI struct{ Value }

// EI returns v as an entity identifier.
func (v Value) EI() EI { return EI{v} }

// EntityIdentifier returns EI.1, the identifier.
func (e EI) EntityIdentifier() string { return e.typedText(1) }

// NamespaceID returns EI.2, the assigning authority's local name.
func (e EI) NamespaceID() string { return e.typedText(2) }

// UniversalID returns EI.3, the assigning authority's universal identifier.
func (e EI) UniversalID() string { return e.typedText(3) }

// UniversalIDType returns EI.4, the type of UniversalID.
func (e EI) UniversalIDType() string { return e.typedText(4) }

// Authority returns EI.2 to EI.4 as an HD over the same bytes, for code that handles
// assigning authorities as HDs whatever type carried them.
func (e EI) Authority() HD { return HD{e.typedSpan(2, 4)} }

// CX is an extended composite identifier with check digit (HL7 v2.5.1 chapter 2A, CX): a
// patient, visit or account number with who assigned it. PID-3 is a CX. The CK and CM
// identifiers of v2.1 and v2.2 have the same first components and read the same way; CX.4,
// a plain name in those versions, reads as the HD's NamespaceID.
type CX struct{ Value }

// CX returns v as an extended composite identifier.
func (v Value) CX() CX { return CX{v} }

// ID returns CX.1, the identifier.
func (c CX) ID() string { return c.typedText(1) }

// CheckDigit returns CX.2.
func (c CX) CheckDigit() string { return c.typedText(2) }

// CheckDigitScheme returns CX.3 (M10, M11, ISO, NPI...; table 0061).
func (c CX) CheckDigitScheme() string { return c.typedText(3) }

// AssigningAuthority returns CX.4, an HD whose parts are sub-components.
func (c CX) AssigningAuthority() HD { return HD{c.typedNode(4)} }

// IdentifierTypeCode returns CX.5 (MR, PI, AN, SS...; table 0203).
func (c CX) IdentifierTypeCode() string { return c.typedText(5) }

// AssigningFacility returns CX.6, an HD whose parts are sub-components.
func (c CX) AssigningFacility() HD { return HD{c.typedNode(6)} }

// EffectiveDate returns CX.7, a DT as written; read it with ParseDate.
func (c CX) EffectiveDate() string { return c.typedText(7) }

// ExpirationDate returns CX.8, a DT as written; read it with ParseDate.
func (c CX) ExpirationDate() string { return c.typedText(8) }

// XPN is an extended person name (HL7 v2.5.1 chapter 2A, XPN), such as PID-5. It also reads
// the PN of v2.1 and v2.2, whose first six components are the same. XPN.1 is a plain family
// name in the PN and has sub-components in the XPN (in v2.5.1 an FN: surname&own surname
// prefix&own surname&...): FamilyName reads its first sub-component, which is the surname in
// both.
type XPN struct{ Value }

// XPN returns v as an extended person name.
func (v Value) XPN() XPN { return XPN{v} }

// FamilyName returns XPN.1, the surname (FN.1 where XPN.1 is an FN).
func (x XPN) FamilyName() string { return x.typedText(1) }

// GivenName returns XPN.2.
func (x XPN) GivenName() string { return x.typedText(2) }

// SecondNames returns XPN.3, second and further given names or their initials.
func (x XPN) SecondNames() string { return x.typedText(3) }

// Suffix returns XPN.4 (JR, III).
func (x XPN) Suffix() string { return x.typedText(4) }

// Prefix returns XPN.5 (DR).
func (x XPN) Prefix() string { return x.typedText(5) }

// Degree returns XPN.6 (MD), deprecated since v2.5 in favour of XPN.14.
func (x XPN) Degree() string { return x.typedText(6) }

// NameTypeCode returns XPN.7 (L legal, D display, M maiden...; table 0200).
func (x XPN) NameTypeCode() string { return x.typedText(7) }

// Formatted returns the name as "Given Second Family" for display: those of the three parts
// that hold text, separated by single spaces. It leaves out prefix, suffix and degree, and does
// not follow the name assembly order of XPN.11.
func (x XPN) Formatted() string {
	return joinNonEmpty(" ", textOf(x.GivenName()), textOf(x.SecondNames()), textOf(x.FamilyName()))
}

func joinNonEmpty(sep string, parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p) + len(sep)
	}
	var b strings.Builder
	b.Grow(n)
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString(sep)
		}
		b.WriteString(p)
	}
	return b.String()
}

// XAD is an extended address (HL7 v2.5.1 chapter 2A, XAD), such as PID-11. It also reads the
// AD of v2.1 and v2.2. XAD.1 is a plain street in early versions and an SAD
// (street&street name&dwelling number) in v2.5.1: Street reads its first sub-component, which
// is the street address line in both.
type XAD struct{ Value }

// XAD returns v as an extended address.
func (v Value) XAD() XAD { return XAD{v} }

// Street returns XAD.1, the street address line (SAD.1 where XAD.1 is an SAD).
func (a XAD) Street() string { return a.typedText(1) }

// OtherDesignation returns XAD.2, the second address line (apartment, suite).
func (a XAD) OtherDesignation() string { return a.typedText(2) }

// City returns XAD.3.
func (a XAD) City() string { return a.typedText(3) }

// State returns XAD.4, the state or province.
func (a XAD) State() string { return a.typedText(4) }

// Zip returns XAD.5, the zip or postal code.
func (a XAD) Zip() string { return a.typedText(5) }

// Country returns XAD.6 (ISO 3166 codes; table 0399).
func (a XAD) Country() string { return a.typedText(6) }

// AddressType returns XAD.7 (H home, M mailing, B business...; table 0190).
func (a XAD) AddressType() string { return a.typedText(7) }

// OtherGeographic returns XAD.8, another geographic designation.
func (a XAD) OtherGeographic() string { return a.typedText(8) }

// CountyParish returns XAD.9, the county or parish code.
func (a XAD) CountyParish() string { return a.typedText(9) }

// XTN is an extended telecommunication number (HL7 v2.5.1 chapter 2A, XTN), such as PID-13.
// It also reads the TN of v2.1 and v2.2, a formatted number alone, as XTN.1.
//
// XTN.Number is XTN.1; it hides Value.Number, which reads a value as an NM: call
// x.Value.Number() for that.
type XTN struct{ Value }

// XTN returns v as an extended telecommunication number.
func (v Value) XTN() XTN { return XTN{v} }

// Number returns XTN.1, the number as the sender formatted it ("(555)555-0100"). It is
// deprecated after v2.5 in favour of XTN.5 to XTN.8 but still widely sent.
func (x XTN) Number() string { return x.typedText(1) }

// UseCode returns XTN.2 (PRN primary residence, WPN work, NET network address...; table
// 0201).
func (x XTN) UseCode() string { return x.typedText(2) }

// EquipmentType returns XTN.3 (PH telephone, CP cellular, FX fax, Internet...; table 0202).
func (x XTN) EquipmentType() string { return x.typedText(3) }

// Email returns XTN.4, the communication address (an e-mail address).
func (x XTN) Email() string { return x.typedText(4) }

// CountryCode returns XTN.5.
func (x XTN) CountryCode() string { return x.typedText(5) }

// AreaCode returns XTN.6, the area or city code.
func (x XTN) AreaCode() string { return x.typedText(6) }

// LocalNumber returns XTN.7.
func (x XTN) LocalNumber() string { return x.typedText(7) }

// Extension returns XTN.8.
func (x XTN) Extension() string { return x.typedText(8) }

// Text returns XTN.9, free text ("after 6 pm").
func (x XTN) Text() string { return x.typedText(9) }

// Phone returns the number to show or dial: XTN.1 when it holds text, otherwise one composed
// from XTN.5 to XTN.8 as "+country (area) local xextension", leaving out the parts that are
// absent. It is "" when neither XTN.1 nor the local number (XTN.7) is given, as for an e-mail
// address alone.
func (x XTN) Phone() string {
	if n := textOf(x.Number()); n != "" {
		return n
	}
	local := textOf(x.LocalNumber())
	if local == "" {
		return ""
	}
	var country, area, ext string
	if c := strings.TrimPrefix(textOf(x.CountryCode()), "+"); c != "" {
		country = "+" + c
	}
	if a := textOf(x.AreaCode()); a != "" {
		area = "(" + a + ")"
	}
	if e := textOf(x.Extension()); e != "" {
		ext = "x" + e
	}
	return joinNonEmpty(" ", country, area, local, ext)
}

// CWE is a coded value with exceptions (HL7 v2.5.1 chapter 2A, CWE): a code, its text and its
// coding system, an alternate coding, and the original text. CE, the coded element of
// earlier versions, has the first six components of CWE and reads the same way: read a CE
// as a CWE, or through the CE alias.
type CWE struct{ Value }

// CE is the coded element of HL7 versions before 2.5: the first six components of CWE.
type CE = CWE

// CWE returns v as a coded value; use it for CE values as well.
func (v Value) CWE() CWE { return CWE{v} }

// Identifier returns CWE.1, the code.
func (c CWE) Identifier() string { return c.typedText(1) }

// Text returns CWE.2, the code's text.
func (c CWE) Text() string { return c.typedText(2) }

// CodingSystem returns CWE.3, the name of the coding system (LN for LOINC, SCT, I10...).
func (c CWE) CodingSystem() string { return c.typedText(3) }

// AltIdentifier returns CWE.4, the alternate code.
func (c CWE) AltIdentifier() string { return c.typedText(4) }

// AltText returns CWE.5, the alternate code's text.
func (c CWE) AltText() string { return c.typedText(5) }

// AltCodingSystem returns CWE.6, the alternate coding system.
func (c CWE) AltCodingSystem() string { return c.typedText(6) }

// CodingSystemVersion returns CWE.7, the version of the coding system.
func (c CWE) CodingSystemVersion() string { return c.typedText(7) }

// AltCodingSystemVersion returns CWE.8, the version of the alternate coding system.
func (c CWE) AltCodingSystemVersion() string { return c.typedText(8) }

// OriginalText returns CWE.9, the text as the user saw or typed it.
func (c CWE) OriginalText() string { return c.typedText(9) }

// PL is a person location (HL7 v2.5.1 chapter 2A, PL), such as PV1-3. Point of care, room,
// bed, building and floor are single values (IS) up to v2.5.1 and HDs in later versions
// ("4E&1.2.3&ISO"): their accessors read the first sub-component, which is the value in
// both. Facility (PL.4) is an HD in every version and is returned as one.
type PL struct{ Value }

// PL returns v as a person location.
func (v Value) PL() PL { return PL{v} }

// PointOfCare returns PL.1, the nursing unit or clinic (HD.1 where PL.1 is an HD).
func (p PL) PointOfCare() string { return p.typedText(1) }

// Room returns PL.2.
func (p PL) Room() string { return p.typedText(2) }

// Bed returns PL.3.
func (p PL) Bed() string { return p.typedText(3) }

// Facility returns PL.4, an HD whose parts are sub-components.
func (p PL) Facility() HD { return HD{p.typedNode(4)} }

// LocationStatus returns PL.5.
func (p PL) LocationStatus() string { return p.typedText(5) }

// PersonLocationType returns PL.6 (N nursing unit, C clinic, D department...; table 0305).
func (p PL) PersonLocationType() string { return p.typedText(6) }

// Building returns PL.7 (HD.1 where PL.7 is an HD).
func (p PL) Building() string { return p.typedText(7) }

// Floor returns PL.8.
func (p PL) Floor() string { return p.typedText(8) }

// Description returns PL.9, the location description.
func (p PL) Description() string { return p.typedText(9) }
