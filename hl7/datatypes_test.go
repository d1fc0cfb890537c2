package hl7

import (
	"strconv"
	"testing"
)

// viewCase is one row of the data type tables: a field as it is in the message (ZZ1-1 of a
// message of the given version, 2.5.1 when empty), the path of the value to view (ZZ1-1 when
// empty), and what each accessor must return, in the order of the table's accessor list.
type viewCase struct {
	name    string
	version string
	field   string
	path    string
	want    []string
}

// runViews checks every case of a table against the accessors of one view type.
func runViews[V any](t *testing.T, view func(Value) V, accessors []func(V) string, cases []viewCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			version, path := tc.version, tc.path
			if version == "" {
				version = "2.5.1"
			}
			if path == "" {
				path = "ZZ1-1"
			}
			v, err := dtMessage(t, version, tc.field).Value(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.want) != len(accessors) {
				t.Fatalf("bad test: %d wants for %d accessors", len(tc.want), len(accessors))
			}
			x := view(v)
			for i, acc := range accessors {
				if got := acc(x); got != tc.want[i] {
					t.Errorf("%s of %q (v%s): accessor %d = %q, want %q", path, tc.field, version, i+1, got, tc.want[i])
				}
			}
		})
	}
}

func presentText(v Value) string { return strconv.FormatBool(v.Present()) }

func TestHD(t *testing.T) {
	acc := []func(HD) string{HD.NamespaceID, HD.UniversalID, HD.UniversalIDType}
	runViews(t, Value.HD, acc, []viewCase{
		{name: "field", field: "ADT1^1.2.840.114350.1.13^ISO", want: []string{"ADT1", "1.2.840.114350.1.13", "ISO"}},
		{name: "namespace only", field: "ADT1", want: []string{"ADT1", "", ""}},
		{name: "universal only", field: "^urn:example:lab^URI", want: []string{"", "urn:example:lab", "URI"}},
		{name: "component of CX", field: "12345^^^HOSP&1.2.3&ISO^MR", path: "ZZ1-1.4", want: []string{"HOSP", "1.2.3", "ISO"}},
		{name: "sub-component", field: "12345^^^HOSP&1.2.3&ISO^MR", path: "ZZ1-1.4.1", want: []string{"HOSP", "", ""}},
		{name: "escapes", field: `A\T\B^x\S\y^\E\`, want: []string{"A&B", "x^y", `\`}},
		{name: "escapes in a component", field: `1^^^A\T\B&x\S\y`, path: "ZZ1-1.4", want: []string{"A&B", "x^y", ""}},
		{name: "extra sub-components ignored", field: "ADT1&X^1.2&Y^ISO", want: []string{"ADT1", "1.2", "ISO"}},
		{name: "second repetition", field: "A~B^1.2^ISO", path: "ZZ1-1[2]", want: []string{"B", "1.2", "ISO"}},
		{name: "null", field: `""`, want: []string{`""`, "", ""}},
		{name: "empty", field: "", want: []string{"", "", ""}},
		{name: "absent field", field: "X", path: "ZZ1-9", want: []string{"", "", ""}},
		{name: "segment", field: "X^Y^Z", path: "ZZ1", want: []string{"", "", ""}},
	})
}

func TestHDOnHeader(t *testing.T) {
	m := dtMessage(t, "2.5.1", "")
	h := m.SendingFacility().HD()
	if got := h.NamespaceID(); got != "FAC" {
		t.Errorf("MSH-4 HD.1 = %q, want FAC", got)
	}
	// MSH-1 and MSH-2 are literals: read as an HD they are themselves, never split.
	v, _ := m.Value("MSH-2")
	if got := v.HD().NamespaceID(); got != `^~\&` {
		t.Errorf("MSH-2 HD.1 = %q, want ^~\\&", got)
	}
}

func TestEI(t *testing.T) {
	acc := []func(EI) string{
		EI.EntityIdentifier, EI.NamespaceID, EI.UniversalID, EI.UniversalIDType,
		func(e EI) string { return presentText(e.Authority().Value) },
		func(e EI) string { return string(e.Authority().Raw()) },
		func(e EI) string { return e.Authority().NamespaceID() },
		func(e EI) string { return e.Authority().UniversalID() },
		func(e EI) string { return e.Authority().UniversalIDType() },
	}
	runViews(t, Value.EI, acc, []viewCase{
		{name: "full", field: "ORD448811^LAB^1.2.840.114350.1.13.99^ISO", want: []string{"ORD448811", "LAB", "1.2.840.114350.1.13.99", "ISO", "true", "LAB^1.2.840.114350.1.13.99^ISO", "LAB", "1.2.840.114350.1.13.99", "ISO"}},
		{name: "identifier only", field: "ORD448811", want: []string{"ORD448811", "", "", "", "false", "", "", "", ""}},
		{name: "namespace only", field: "ORD448811^LAB", want: []string{"ORD448811", "LAB", "", "", "true", "LAB", "LAB", "", ""}},
		{name: "trailing components beyond EI.4", field: "ORD1^LAB^1.2^ISO^EXTRA", want: []string{"ORD1", "LAB", "1.2", "ISO", "true", "LAB^1.2^ISO", "LAB", "1.2", "ISO"}},
		{name: "empty authority", field: "ORD1^^^", want: []string{"ORD1", "", "", "", "true", "^^", "", "", ""}},
		{name: "escapes", field: `A\F\1^L\T\B`, want: []string{"A|1", "L&B", "", "", "true", `L\T\B`, "L&B", "", ""}},
		{name: "inside a composite", field: "X^ORD1&LAB&1.2&ISO", path: "ZZ1-1.2", want: []string{"ORD1", "LAB", "1.2", "ISO", "true", "LAB&1.2&ISO", "LAB", "1.2", "ISO"}},
		{name: "inside a composite, no authority", field: "X^ORD1", path: "ZZ1-1.2", want: []string{"ORD1", "", "", "", "false", "", "", "", ""}},
		{name: "sub-component", field: "X^ORD1&LAB", path: "ZZ1-1.2.1", want: []string{"ORD1", "", "", "", "false", "", "", "", ""}},
		{name: "second repetition", field: "A^L1~B^L2^2.3^ISO", path: "ZZ1-1[2]", want: []string{"B", "L2", "2.3", "ISO", "true", "L2^2.3^ISO", "L2", "2.3", "ISO"}},
		{name: "null", field: `""`, want: []string{`""`, "", "", "", "false", "", "", "", ""}},
		{name: "absent", field: "", path: "ZZ1-3", want: []string{"", "", "", "", "false", "", "", "", ""}},
	})
}

func TestCX(t *testing.T) {
	acc := []func(CX) string{
		CX.ID, CX.CheckDigit, CX.CheckDigitScheme,
		func(c CX) string { return c.AssigningAuthority().NamespaceID() },
		func(c CX) string { return c.AssigningAuthority().UniversalID() },
		func(c CX) string { return c.AssigningAuthority().UniversalIDType() },
		CX.IdentifierTypeCode,
		func(c CX) string { return c.AssigningFacility().NamespaceID() },
		func(c CX) string { return c.AssigningFacility().UniversalID() },
		CX.EffectiveDate, CX.ExpirationDate,
	}
	runViews(t, Value.CX, acc, []viewCase{
		{name: "v2.5.1 full", field: "MRN0042^7^M10^GHH&2.16.840.1.113883.19.5&ISO^MR^WARD&1.2.3&ISO^20200101^20301231",
			want: []string{"MRN0042", "7", "M10", "GHH", "2.16.840.1.113883.19.5", "ISO", "MR", "WARD", "1.2.3", "20200101", "20301231"}},
		{name: "common shape", field: "MRN0042^^^GHH^MR", want: []string{"MRN0042", "", "", "GHH", "", "", "MR", "", "", "", ""}},
		{name: "v2.2 CK with a plain facility", version: "2.2", field: "MRN0042^7^M10^GHH", want: []string{"MRN0042", "7", "M10", "GHH", "", "", "", "", "", "", ""}},
		{name: "universal authority only", field: "MRN0042^^^&2.16.840.1.113883.19.5&ISO^MR", want: []string{"MRN0042", "", "", "", "2.16.840.1.113883.19.5", "ISO", "MR", "", "", "", ""}},
		{name: "escapes", field: `12\F\34^^^GHH\T\CLINIC&1.2&ISO^MR`, want: []string{"12|34", "", "", "GHH&CLINIC", "1.2", "ISO", "MR", "", "", "", ""}},
		{name: "unescaped ampersand in the ID", field: "12&34^^^GHH^MR", want: []string{"12", "", "", "GHH", "", "", "MR", "", "", "", ""}},
		{name: "first repetition", field: "MRN1^^^GHH^MR~SSN1^^^USSSA^SS", want: []string{"MRN1", "", "", "GHH", "", "", "MR", "", "", "", ""}},
		{name: "second repetition", field: "MRN1^^^GHH^MR~SSN1^^^USSSA^SS", path: "ZZ1-1[2]", want: []string{"SSN1", "", "", "USSSA", "", "", "SS", "", "", "", ""}},
		{name: "null ID", field: `""^^^GHH^MR`, want: []string{`""`, "", "", "GHH", "", "", "MR", "", "", "", ""}},
		{name: "empty", field: "", want: []string{"", "", "", "", "", "", "", "", "", "", ""}},
		{name: "absent", field: "", path: "ZZ1-2", want: []string{"", "", "", "", "", "", "", "", "", "", ""}},
	})
}

func TestXPN(t *testing.T) {
	acc := []func(XPN) string{
		XPN.FamilyName, XPN.GivenName, XPN.SecondNames, XPN.Suffix, XPN.Prefix, XPN.Degree,
		XPN.NameTypeCode, XPN.Formatted,
	}
	runViews(t, Value.XPN, acc, []viewCase{
		{name: "v2.5.1 full", field: "EVERYWOMAN^EVE^E^JR^DR^MD^L", want: []string{"EVERYWOMAN", "EVE", "E", "JR", "DR", "MD", "L", "EVE E EVERYWOMAN"}},
		{name: "v2.1 PN", version: "2.1", field: "EVERYWOMAN^EVE^E^JR^DR^MD", want: []string{"EVERYWOMAN", "EVE", "E", "JR", "DR", "MD", "", "EVE E EVERYWOMAN"}},
		{name: "v2.2 PN", version: "2.2", field: "EVERYMAN^ADAM", want: []string{"EVERYMAN", "ADAM", "", "", "", "", "", "ADAM EVERYMAN"}},
		{name: "v2.5 FN with sub-components", field: "VAN DER BERG&VAN DER&BERG^ANNA^^^^^L", want: []string{"VAN DER BERG", "ANNA", "", "", "", "", "L", "ANNA VAN DER BERG"}},
		// \T\ is an escaped sub-component separator: a literal '&' in the surname.
		{name: "escaped ampersand", field: `O\T\BRIEN^SEAN`, want: []string{"O&BRIEN", "SEAN", "", "", "", "", "", "SEAN O&BRIEN"}},
		// An unescaped '&' separates FN sub-components: "O" is the surname, "BRIEN" FN.2.
		{name: "unescaped ampersand", field: "O&BRIEN^SEAN", want: []string{"O", "SEAN", "", "", "", "", "", "SEAN O"}},
		{name: "apostrophe", field: "O'BRIEN^SEAN", want: []string{"O'BRIEN", "SEAN", "", "", "", "", "", "SEAN O'BRIEN"}},
		{name: "escaped component separator", field: `DOE\S\SMITH^JANE`, want: []string{"DOE^SMITH", "JANE", "", "", "", "", "", "JANE DOE^SMITH"}},
		{name: "escaped escape", field: `D\E\ARCY^J`, want: []string{`D\ARCY`, "J", "", "", "", "", "", `J D\ARCY`}},
		{name: "hex escape", field: `M\XC3BC\LLER^J`, want: []string{"MüLLER", "J", "", "", "", "", "", "J MüLLER"}},
		{name: "UTF-8", field: "MÜLLER^JÖRG", want: []string{"MÜLLER", "JÖRG", "", "", "", "", "", "JÖRG MÜLLER"}},
		{name: "extra sub-components of a given name", field: "SMITH^JOHN&X", want: []string{"SMITH", "JOHN", "", "", "", "", "", "JOHN SMITH"}},
		{name: "empty components", field: "SMITH^^^^^^L", want: []string{"SMITH", "", "", "", "", "", "L", "SMITH"}},
		{name: "given name only", field: "^MADONNA", want: []string{"", "MADONNA", "", "", "", "", "", "MADONNA"}},
		{name: "null component", field: `SMITH^""^Q`, want: []string{"SMITH", `""`, "Q", "", "", "", "", "Q SMITH"}},
		{name: "null field", field: `""`, want: []string{`""`, "", "", "", "", "", "", ""}},
		{name: "empty field", field: "", want: []string{"", "", "", "", "", "", "", ""}},
		{name: "absent field", field: "X", path: "ZZ1-4", want: []string{"", "", "", "", "", "", "", ""}},
		{name: "first repetition", field: "EVERYWOMAN^EVE^^^^^L~SMITH^EVE^^^^^M", want: []string{"EVERYWOMAN", "EVE", "", "", "", "", "L", "EVE EVERYWOMAN"}},
		{name: "second repetition", field: "EVERYWOMAN^EVE^^^^^L~SMITH^EVE^^^^^M", path: "ZZ1-1[2]", want: []string{"SMITH", "EVE", "", "", "", "", "M", "EVE SMITH"}},
		{name: "absent repetition", field: "EVERYWOMAN^EVE", path: "ZZ1-1[2]", want: []string{"", "", "", "", "", "", "", ""}},
	})
}

func TestXAD(t *testing.T) {
	acc := []func(XAD) string{
		XAD.Street, XAD.OtherDesignation, XAD.City, XAD.State, XAD.Zip, XAD.Country,
		XAD.AddressType, XAD.OtherGeographic, XAD.CountyParish,
	}
	runViews(t, Value.XAD, acc, []viewCase{
		{name: "v2.5.1 SAD", field: "1000 HOSPITAL LANE&HOSPITAL LANE&1000^APT 4^ANN ARBOR^MI^99999^USA^H^^WASHTENAW",
			want: []string{"1000 HOSPITAL LANE", "APT 4", "ANN ARBOR", "MI", "99999", "USA", "H", "", "WASHTENAW"}},
		{name: "v2.3 plain street", version: "2.3", field: "1000 HOSPITAL LANE^^ANN ARBOR^MI^99999^USA^M^NORTH^WASHTENAW",
			want: []string{"1000 HOSPITAL LANE", "", "ANN ARBOR", "MI", "99999", "USA", "M", "NORTH", "WASHTENAW"}},
		{name: "v2.2 AD", version: "2.2", field: "1 MAIN ST^^SPRINGFIELD^ST^00000", want: []string{"1 MAIN ST", "", "SPRINGFIELD", "ST", "00000", "", "", "", ""}},
		{name: "escapes", field: `1 A\S\B ST^C\T\D^E\F\F`, want: []string{"1 A^B ST", "C&D", "E|F", "", "", "", "", "", ""}},
		{name: "null city", field: `1 MAIN ST^^""`, want: []string{"1 MAIN ST", "", `""`, "", "", "", "", "", ""}},
		{name: "second repetition", field: "1 MAIN ST^^A^^^^H~PO BOX 7^^B^^^^M", path: "ZZ1-1[2]", want: []string{"PO BOX 7", "", "B", "", "", "", "M", "", ""}},
		{name: "empty", field: "", want: []string{"", "", "", "", "", "", "", "", ""}},
	})
}

func TestXTN(t *testing.T) {
	acc := []func(XTN) string{
		XTN.Number, XTN.UseCode, XTN.EquipmentType, XTN.Email, XTN.CountryCode, XTN.AreaCode,
		XTN.LocalNumber, XTN.Extension, XTN.Text, XTN.Phone,
	}
	runViews(t, Value.XTN, acc, []viewCase{
		{name: "formatted and parts", field: "(555)555-0100^PRN^PH^^1^555^5550100^123^after 6 pm",
			want: []string{"(555)555-0100", "PRN", "PH", "", "1", "555", "5550100", "123", "after 6 pm", "(555)555-0100"}},
		{name: "parts only", field: "^PRN^PH^^1^555^5550100^123", want: []string{"", "PRN", "PH", "", "1", "555", "5550100", "123", "", "+1 (555) 5550100 x123"}},
		{name: "no country, no extension", field: "^WPN^PH^^^555^5550100", want: []string{"", "WPN", "PH", "", "", "555", "5550100", "", "", "(555) 5550100"}},
		{name: "local only", field: "^PRN^PH^^^^5550100", want: []string{"", "PRN", "PH", "", "", "", "5550100", "", "", "5550100"}},
		{name: "country with a sign", field: "^PRN^CP^^+44^20^79460000", want: []string{"", "PRN", "CP", "", "+44", "20", "79460000", "", "", "+44 (20) 79460000"}},
		{name: "e-mail", field: "^NET^Internet^eve@example.org", want: []string{"", "NET", "Internet", "eve@example.org", "", "", "", "", "", ""}},
		{name: "no local number", field: "^PRN^PH^^1^555", want: []string{"", "PRN", "PH", "", "1", "555", "", "", "", ""}},
		{name: "null number falls back to parts", field: `""^PRN^PH^^^555^5550100`, want: []string{`""`, "PRN", "PH", "", "", "555", "5550100", "", "", "(555) 5550100"}},
		{name: "null field", field: `""`, want: []string{`""`, "", "", "", "", "", "", "", "", ""}},
		{name: "v2.2 TN", version: "2.2", field: "(555)555-0100X123", want: []string{"(555)555-0100X123", "", "", "", "", "", "", "", "", "(555)555-0100X123"}},
		{name: "escapes", field: `555\F\0100^^^a\T\b@example.org^^^^^x\S\y`, want: []string{"555|0100", "", "", "a&b@example.org", "", "", "", "", "x^y", "555|0100"}},
		{name: "second repetition", field: "^PRN^PH^^^^5550100~^NET^Internet^eve@example.org", path: "ZZ1-1[2]", want: []string{"", "NET", "Internet", "eve@example.org", "", "", "", "", "", ""}},
		{name: "empty", field: "", want: []string{"", "", "", "", "", "", "", "", "", ""}},
	})
}

func TestXTNValueNumber(t *testing.T) {
	// XTN.Number hides Value.Number; the embedded Value still reads the field as an NM.
	x := dtValue(t, "5550100", "ZZ1-1").XTN()
	n, err := x.Value.Number()
	if err != nil || n != 5550100 {
		t.Errorf("x.Value.Number() = %v, %v; want 5550100", n, err)
	}
	if got := x.Number(); got != "5550100" {
		t.Errorf("x.Number() = %q, want 5550100", got)
	}
}

func TestCWE(t *testing.T) {
	acc := []func(CWE) string{
		CWE.Identifier, CWE.Text, CWE.CodingSystem, CWE.AltIdentifier, CWE.AltText,
		CWE.AltCodingSystem, CWE.CodingSystemVersion, CWE.AltCodingSystemVersion, CWE.OriginalText,
	}
	runViews(t, Value.CWE, acc, []viewCase{
		{name: "v2.5.1 CWE", field: "8867-4^Heart rate^LN^HR^Pulse^L^2.68^1.0^heart beat",
			want: []string{"8867-4", "Heart rate", "LN", "HR", "Pulse", "L", "2.68", "1.0", "heart beat"}},
		{name: "v2.3 CE", version: "2.3", field: "I10^Essential (primary) hypertension^I10^401.9^HTN^I9C",
			want: []string{"I10", "Essential (primary) hypertension", "I10", "401.9", "HTN", "I9C", "", "", ""}},
		{name: "original text only", field: "^^^^^^^^chest pain since Tuesday", want: []string{"", "", "", "", "", "", "", "", "chest pain since Tuesday"}},
		{name: "escapes", field: `A\S\B^x\E\y^L\T\N`, want: []string{"A^B", `x\y`, "L&N", "", "", "", "", "", ""}},
		{name: "formatting escape", field: `X^line one\.br\line two`, want: []string{"X", "line one\nline two", "", "", "", "", "", "", ""}},
		{name: "inside a composite", field: "SMITH^^^^^^^^A&Alias&HL70448", path: "ZZ1-1.9", want: []string{"A", "Alias", "HL70448", "", "", "", "", "", ""}},
		{name: "null code", field: `""^^LN`, want: []string{`""`, "", "LN", "", "", "", "", "", ""}},
		{name: "second repetition", field: "A^a^L~B^b^L", path: "ZZ1-1[2]", want: []string{"B", "b", "L", "", "", "", "", "", ""}},
		{name: "absent", field: "", path: "ZZ1-2", want: []string{"", "", "", "", "", "", "", "", ""}},
	})
}

func TestPL(t *testing.T) {
	acc := []func(PL) string{
		PL.PointOfCare, PL.Room, PL.Bed,
		func(p PL) string { return p.Facility().NamespaceID() },
		func(p PL) string { return p.Facility().UniversalID() },
		PL.LocationStatus, PL.PersonLocationType, PL.Building, PL.Floor, PL.Description,
	}
	runViews(t, Value.PL, acc, []viewCase{
		{name: "nursing unit", field: "4E^136^B^CommunityHospital^^N^^^", want: []string{"4E", "136", "B", "CommunityHospital", "", "", "N", "", "", ""}},
		{name: "clinic", field: "InternalMedicine^^^UniversityHospitals&1.2.3&ISO^^C^Briones^3^Internal medicine clinic",
			want: []string{"InternalMedicine", "", "", "UniversityHospitals", "1.2.3", "", "C", "Briones", "3", "Internal medicine clinic"}},
		{name: "home", field: "^^^^^H^^^", want: []string{"", "", "", "", "", "", "H", "", "", ""}},
		{name: "HD-typed parts of later versions", version: "2.7", field: "4E&1.2.3.1&ISO^136&1.2.3.2&ISO^B&1.2.3.3&ISO^HOSP&1.2.3&ISO^O^N^MAIN&1.2.3.4&ISO^2&1.2.3.5&ISO",
			want: []string{"4E", "136", "B", "HOSP", "1.2.3", "O", "N", "MAIN", "2", ""}},
		{name: "escapes", field: `4\T\E^1\S\2^^F\E\G`, want: []string{"4&E", "1^2", "", `F\G`, "", "", "", "", "", ""}},
		{name: "null room", field: `4E^""^B`, want: []string{"4E", `""`, "B", "", "", "", "", "", "", ""}},
		{name: "empty", field: "", want: []string{"", "", "", "", "", "", "", "", "", ""}},
	})
}

// TestViewsCustomDelimiters reads every view with delimiters that are not the usual ones.
func TestViewsCustomDelimiters(t *testing.T) {
	m, err := Parse([]byte("MSH#!@$%#SND#FAC#RCV#FAC#20261127120000##ADT!A01#MSG1#P#2.5.1\r" +
		"ZZ1#O$T$BRIEN!SEAN@SMITH!EVE#MRN1!!!GHH%1.2.3%ISO!MR#X!20060415103000%D\r"))
	if err != nil {
		t.Fatal(err)
	}
	seg := m.Segment(1)
	tests := []struct {
		name, got, want string
	}{
		{"XPN.1", seg.Field(1).XPN().FamilyName(), "O%BRIEN"},
		{"XPN.2", seg.Field(1).XPN().GivenName(), "SEAN"},
		{"XPN rep 2", seg.Field(1).Rep(2).XPN().FamilyName(), "SMITH"},
		{"CX.1", seg.Field(2).CX().ID(), "MRN1"},
		{"CX.4.2", seg.Field(2).CX().AssigningAuthority().UniversalID(), "1.2.3"},
		{"CX.5", seg.Field(2).CX().IdentifierTypeCode(), "MR"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	ts, err := seg.Field(3).Comp(2).Time()
	if err != nil || ts.Format() != "20060415" {
		t.Errorf("TS in a component = %q, %v; want 20060415", ts.Format(), err)
	}
}

// TestViewsShareBytes checks that a view is the same bytes as the value it was made from.
func TestViewsShareBytes(t *testing.T) {
	m := dtMessage(t, "2.5.1", "ORD1^LAB^1.2^ISO")
	v, _ := m.Value("ZZ1-1")
	e := v.EI()
	if e.Offset() != v.Offset() || &e.Raw()[0] != &v.Raw()[0] {
		t.Error("EI does not share the field's bytes")
	}
	a := e.Authority()
	if got, want := a.Offset(), v.Offset()+len("ORD1^"); got != want {
		t.Errorf("Authority().Offset() = %d, want %d", got, want)
	}
}

// BenchmarkXPN measures reading the parts of a person name from a parsed message.
func BenchmarkXPN(b *testing.B) {
	m := dtMessage(b, "2.5.1", `VAN DER BERG&VAN DER&BERG^ANNA^MARIA^^DR^^L~O\T\BRIEN^SEAN^^^^^M`)
	f := m.Segment(1).Field(1)
	b.Run("FamilyName", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if f.XPN().FamilyName() != "VAN DER BERG" {
				b.Fatal("wrong name")
			}
		}
	})
	b.Run("Formatted", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if f.XPN().Formatted() != "ANNA MARIA VAN DER BERG" {
				b.Fatal("wrong name")
			}
		}
	})
	b.Run("Rep2/escaped", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if f.Rep(2).XPN().FamilyName() != "O&BRIEN" {
				b.Fatal("wrong name")
			}
		}
	})
}
