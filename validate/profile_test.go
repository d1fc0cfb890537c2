package validate

import (
	"strings"
	"testing"
)

// profileValidator loads the test profiles with their value sets.
func profileValidator(t *testing.T, files ...string) *Validator {
	t.Helper()
	tables, err := LoadTables("testdata/profiles/lab-tables.xml")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Tables: tables}
	for _, f := range files {
		p, err := LoadProfile("testdata/profiles/" + f)
		if err != nil {
			t.Fatal(err)
		}
		opts.Profiles = append(opts.Profiles, p)
	}
	return mustValidator(t, opts)
}

const (
	acmeMSH = `MSH|^~\&|REG|HOSP|ACME|HOSP|202601021530||ADT^A01^ADT_A01|C1|P|2.5.1`
	acmePID = `PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F`
	acmePV1 = `PV1|1|I|4E^401^1`
	acmeEVN = `EVN||202601021530` // Acme does not support EVN-1 (X)
	labMSH  = `MSH|^~\&|RIVERSIDE|LAB|EHR|HOSP|202601021530||ORU^R01^ORU_R01|C1|P|2.5.1`
	labPID  = `PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|F`
	labOBR  = `OBR|1||F1^LAB|2345-7^Glucose^LN`
	labOBX1 = `OBX|1|NM|2345-7^Glucose^LN||5.4|mmol/L^millimole per liter^UCUM|||||F`
	labOBX2 = `OBX|2|ST|8251-1^Comment^LN||fasting||||||F`
)

func TestProfiles(t *testing.T) {
	v := profileValidator(t, "acme-adt-a01.xml", "lab-oru-r01.xml", "legacy-adt-a04-v23.xml")
	tests := []struct {
		name, in string
		want     []string
	}{
		// Acme EHR ADT^A01 (2.5.1).
		{"acme valid", msg(acmeMSH, acmeEVN, acmePID, `ZPI|Jo|2`, acmePV1, `IN1|1|PLAN^Plan|INS1`, `IN1|2|PLAN^Plan|INS2`), nil},
		{"acme not followed", msg(
			`MSH|^~\&|REG|HOSP|ACME|HOSP|202601021530|SECRET|ADT^A01^ADT_A01|C1|P|2.5.1`,
			`EVN|A01|202601021530`,
			`PID|1||1^^^H^MR~2^^^H^PI~3^^^H^MR~4^^^H^MR||DOE^JANE||19800101|F|||||||||||123-45-6789|||||||||||Y`,
			`ZPI||x`,
			`PV1|1|P|4E`,
			`PV2|1`,
		), []string{
			"E 102 MSH-8: MSH-8 (Security) must not be valued: profile Acme EHR ADT A01 marks it not supported (X)",
			"E 102 EVN-1: EVN-1 (Event Type Code) must not be valued: profile Acme EHR ADT A01 marks it not supported (X)",
			"E 102 PID-3: PID-3 (Patient Identifier List) has 4 repetitions; profile Acme EHR ADT A01 allows at most 3",
			`E 103 PID-3[2].5: PID-3[2].5 (Identifier Type Code) is "PI"; profile Acme EHR ADT A01 requires "MR"`,
			"E 102 PID-19: PID-19 (SSN Number - Patient) must not be valued: profile Acme EHR ADT A01 marks it not supported (X)",
			"E 101 PID-29: PID-29 (Patient Death Date and Time) is required but empty",
			"E 101 ZPI-1: ZPI-1 (Preferred Name) is required but empty",
			`E 102 ZPI-2: ZPI-2 (Portal Enrolled Count): "x" is not a NM: unexpected 'x' at position 1 (expected [+|-]digits[.digits])`,
			`E 103 PV1-2: PV1-2 (Patient Class): "P" is not in table ACME0004 (Acme patient class) from lab-tables.xml`,
			"E 100 PV2: segment 6 (PV2) must not be sent: profile Acme EHR ADT A01 marks it not supported (X)",
		}},
		{"acme segments the profile leaves out", msg(acmeMSH, `SFT|Acme|1|EHR|42`, acmeEVN, acmePID, acmePV1), []string{
			"E 100 SFT: segment 2 (SFT) is not part of ADT_A01; after MSH the structure allows EVN",
		}},
		{"acme group cardinality", msg(acmeMSH, acmeEVN, acmePID, acmePV1, `IN1|1|P|I1`, `IN1|2|P|I2`, `IN1|3|P|I3`), []string{
			"E 100 IN1[3]: segment 7 (IN1) would begin group INSURANCE again, which may occur only 2 times in ADT_A01",
		}},

		// Riverside Lab ORU^R01 (2.5.1).
		{"lab valid", msg(labMSH, labPID, labOBR, labOBX1, labOBX2), nil},
		{"lab not followed", msg(
			labMSH,
			`PID|1||12345^^^HOSP^MR||DOE^JANE||1980|F`,
			`OBR|1||F1^LAB|2345-7^Glucose^L`,
			`OBX|1|NM|2345-7^Glucose^LN||5.4||||0.9||F`,
			`OBX|2|TX|8251-1^Comment^LN||fasting|g|||||F`,
			`SPM|1|S1`,
		), []string{
			`E 102 PID-7.1: PID-7.1 (Time) is 4 characters long; profile Riverside Lab ORU requires at least 8`,
			`E 103 OBR-4.3: OBR-4.3 (Name of Coding System) is "L"; profile Riverside Lab ORU requires "LN"`,
			"E 101 OBX[1]-6: OBX[1]-6 (Units) is required but empty",
			"E 102 OBX[1]-9: OBX[1]-9 (Probability) must not be valued: profile Riverside Lab ORU marks it not supported (X)",
			`E 103 OBX[2]-2: OBX[2]-2 (Value Type): "TX" is not in table LABVT (Lab value types) from lab-tables.xml`,
			`E 103 OBX[2]-6.1: OBX[2]-6.1 (Identifier): "g" is not in table LABUNITS (Lab units (UCUM)) from lab-tables.xml`,
			"E 100 SPM: segment 6 (SPM) must not be sent: profile Riverside Lab ORU marks it not supported (X)",
		}},
		// The profile copies the standard's tables onto PID-8 and OBX-8 (0001, 0078): that
		// constrains nothing, and a miss is what TableSeverity says, as without the profile.
		{"lab codes outside the HL7 tables the profile repeats", msg(labMSH, `PID|1||12345^^^HOSP^MR||DOE^JANE||19800101|Q`, `PV1|1|Q`, labOBR, `OBX|1|NM|2345-7^Glucose^LN||5.4|mmol/L^millimole per liter^UCUM||ZZ|||F`, labOBX2), []string{
			`W 103 PID-8: PID-8 (Administrative Sex): "Q" is not in HL7 table 0001 (Administrative Sex)`,
			`W 103 PV1-2: PV1-2 (Patient Class): "Q" is not in HL7 table 0004 (Patient Class)`, // the profile leaves PV1 to the standard
			`W 103 OBX[1]-8: OBX[1]-8 (Abnormal Flags): "ZZ" is not in HL7 table 0078 (Abnormal flags)`,
		}},
		{"lab group minimum", msg(labMSH, labPID, labOBR, labOBX1), []string{
			"E 100 OBX: group OBSERVATION (OBX) occurs 1 time; group ORDER_OBSERVATION requires at least 2, at the end of the message",
		}},

		// Legacy registration ADT^A04 (2.3): lengths for whole fields.
		{"legacy valid", msg(`MSH|^~\&|REG|HOSP|LEG|HOSP|202601021530||ADT^A04|C1|P|2.3`, evn, `PID|1||12345^^^H||DOE^JANE||19800101|F`, `ZRG|clerk1`, pv1), nil},
		{"legacy not followed", msg(`MSH|^~\&|REG|HOSP|LEG|HOSP|202601021530||ADT^A04|C1|P|2.3`, evn, `PID|1||1234567890^^^HOSPITAL||DOE^JANE||19800101`, `ZRG|`, pv1), []string{
			"W 102 PID-3: PID-3 (Patient ID (Internal ID)) is 21 characters long; profile Legacy registration A04 allows at most 20",
			"E 101 PID-8: PID-8 (Sex) is required but missing",
			"E 101 ZRG-1: ZRG-1 (Registration Clerk) is required but empty",
		}},
		{"legacy sex outside HL7 table 0001, which the profile repeats", msg(`MSH|^~\&|REG|HOSP|LEG|HOSP|202601021530||ADT^A04|C1|P|2.3`, evn, `PID|1||12345^^^H||DOE^JANE||19800101|X`, pv1), []string{
			`W 103 PID-8: PID-8 (Sex): "X" is not in HL7 table 0001 (Administrative Sex)`,
		}},
		{"profile version differs from MSH-12", msg(`MSH|^~\&|REG|HOSP|LEG|HOSP|202601021530||ADT^A04|C1|P|2.4`, evn, `PID|1||12345||DOE^JANE||19800101|F`, pv1), []string{
			"W 203 -: MSH-12 is 2.4 but profile Legacy registration A04 is for 2.3; the message was validated as 2.3",
		}},

		// Which profile applies.
		{"no profile applies", msg(`MSH|^~\&|A|B|C|D|202601021530||ADT^A08^ADT_A01|C1|P|2.5.1`, evn, pid, pv1), []string{
			"E 201 -: no conformance profile applies to ADT^A08: the profiles given are for ADT^A01 (Acme EHR ADT A01), ORU^R01 (Riverside Lab ORU), ADT^A04 (Legacy registration A04)",
		}},
		{"MSH-21 chooses the profile", msg(`MSH|^~\&|REG|HOSP|ACME|HOSP|202601021530||ADT^A08^ADT_A01|C1|P|2.5.1|||||||||ACME-ADT-A01-1`, acmeEVN, acmePID, acmePV1), []string{
			`E 103 MSH-9.2: MSH-9.2 (Trigger Event) is "A08"; profile Acme EHR ADT A01 requires "A01"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sameLines(t, tt.name, issueLines(v.Validate(mustParse(t, tt.in))), tt.want)
		})
	}
}

func TestProfileResult(t *testing.T) {
	v := profileValidator(t, "lab-oru-r01.xml")
	res := v.Validate(mustParse(t, msg(labMSH, labPID, labOBR, labOBX1, labOBX2)))
	if res.Profile != "Riverside Lab ORU" || res.Structure != "ORU_R01" || res.Version != "2.5.1" || !res.Valid() {
		t.Errorf("%+v", res)
	}
	p, err := LoadProfile("testdata/profiles/lab-oru-r01.xml")
	if err != nil {
		t.Fatal(err)
	}
	if p.Identifier != "RIVERSIDE-LAB-ORU-1" || p.MsgType != "ORU" || p.EventType != "R01" || p.HL7Version != "2.5.1" {
		t.Errorf("%+v", p)
	}
}

// TestBadProfiles checks that every problem of a profile file is reported with its position.
func TestBadProfiles(t *testing.T) {
	const head = `<?xml version="1.0"?>` + "\n"
	tests := []struct {
		name, xml string
		want      string // the error of ParseProfile, or of New when ParseProfile succeeds
	}{
		{"not XML", head + "<HL7v2xConformanceProfile>\n<oops>", "bad.xml:3: XML syntax: unexpected EOF"},
		{"not a profile", head + "<Specification/>", "bad.xml:2:1: not an HL7 v2 conformance profile: the root element is Specification, expected HL7v2xConformanceProfile"},
		{"NIST split profile", head + `<ConformanceProfile ID="x"/>`, "bad.xml:2:1: this is a NIST IGAMT profile (root ConformanceProfile), whose segments and data types live in other files; export the profile in the Messaging Workbench form (root HL7v2xConformanceProfile)"},
		{"no static definition", head + `<HL7v2xConformanceProfile HL7Version="2.5.1"/>`, "bad.xml:2:1: no HL7v2xStaticDef element: the profile defines no message"},
		{"errors all at once", head + `<HL7v2xConformanceProfile>
  <HL7v2xStaticDef>
    <Segment Name="MSH" Usage="R" Min="1" Max="1"/>
    <Segment Name="PIDX" Usage="Q" Min="2" Max="1">
      <Field Name="x" Usage="R" Min="one" Max="*" Length="-3"/>
    </Segment>
  </HL7v2xStaticDef>
</HL7v2xConformanceProfile>`, strings.Join([]string{
			`bad.xml:2:1: the HL7Version attribute is missing (HL7Version="2.5.1")`,
			`bad.xml:3:3: the MsgType attribute is missing: which messages is the profile for (MsgType="ADT")?`,
			`bad.xml:5:5: segment name "PIDX": a segment name is three letters or digits`,
			`bad.xml:5:5: Usage "Q": use R, RE, O, C, CE, X, B or W`,
			`bad.xml:5:5: Min 2 is greater than Max 1`,
			`bad.xml:6:7: Min "one" is not a whole number`,
			`bad.xml:6:7: Length "-3" is not a whole number`,
		}, "\n")},
		{"first segment", head + `<HL7v2xConformanceProfile HL7Version="2.5.1"><HL7v2xStaticDef MsgType="ADT"><Segment Name="PID"/></HL7v2xStaticDef></HL7v2xConformanceProfile>`, "bad.xml:2:46: the first element of the message must be the MSH segment"},
		{"unknown data type", head + `<HL7v2xConformanceProfile HL7Version="2.5.1"><HL7v2xStaticDef MsgType="ADT">
<Segment Name="MSH"/>
<Segment Name="PID"><Field Name="a"/><Field Name="b" Datatype="QQ"/></Segment>
</HL7v2xStaticDef></HL7v2xConformanceProfile>`, "bad.xml:4:38: PID-2: data type QQ is not defined in 2.5.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseProfile(strings.NewReader(tt.xml), "bad.xml")
			if err == nil {
				_, err = New(Options{Profiles: []*Profile{p}})
			}
			if err == nil || err.Error() != tt.want {
				t.Errorf("error:\n%v\nwant:\n%s", err, tt.want)
			}
		})
	}
	// A value set the tables do not have.
	p, err := LoadProfile("testdata/profiles/acme-adt-a01.xml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(Options{Profiles: []*Profile{p}})
	want := "testdata/profiles/acme-adt-a01.xml:91:7: PV1-2: table ACME0004 is not an HL7 table and no user table has that id: load it (Options.Tables, --tables)"
	if err == nil || err.Error() != want {
		t.Errorf("missing value set: %v", err)
	}
}

// TestPredicatePerRepetition checks that the predicate of a component reads the repetition the
// component is in: PID-3.4 required "If PID-3.5 == MR" holds for each identifier on its own.
func TestPredicatePerRepetition(t *testing.T) {
	const xml = `<?xml version="1.0"?>
<HL7v2xConformanceProfile HL7Version="2.5.1" Identifier="PRED-1">
  <MetaData Name="Predicates"/>
  <HL7v2xStaticDef MsgType="ADT" EventType="A01" MsgStructID="ADT_A01">
    <Segment Name="MSH" Usage="R" Min="1" Max="1"/>
    <Segment Name="EVN" Usage="R" Min="1" Max="1"/>
    <Segment Name="PID" Usage="R" Min="1" Max="1">
      <Field Name="Set ID - PID" Usage="O" Min="0" Max="1" Datatype="SI"/>
      <Field Name="Patient ID" Usage="O" Min="0" Max="1" Datatype="CX"/>
      <Field Name="Patient Identifier List" Usage="R" Min="1" Max="*" Datatype="CX">
        <Component Name="ID Number" Usage="R" Datatype="ST"/>
        <Component Name="Check Digit" Usage="O" Datatype="ST"/>
        <Component Name="Check Digit Scheme" Usage="O" Datatype="ID"/>
        <Component Name="Assigning Authority" Usage="C" Datatype="HD">
          <Predicate>If PID-3.5 == MR.</Predicate>
        </Component>
        <Component Name="Identifier Type Code" Usage="R" Datatype="ID"/>
      </Field>
    </Segment>
    <Segment Name="PV1" Usage="R" Min="1" Max="1"/>
  </HL7v2xStaticDef>
</HL7v2xConformanceProfile>`
	p, err := ParseProfile(strings.NewReader(xml), "pred.xml")
	if err != nil {
		t.Fatal(err)
	}
	v := mustValidator(t, Options{Profiles: []*Profile{p}})
	for _, tt := range []struct {
		pid  string
		want []string
	}{
		{`PID|1||1^^^H^MR~2^^^^PI~3^^^^MR||DOE`, []string{
			"E 101 PID-3[3].4: PID-3[3].4 (Assigning Authority) is required when PID-3[3] is valued, but empty",
		}},
		{`PID|1||2^^^^PI~1^^^H^MR||DOE`, nil},
		{`PID|1||1^^^^MR||DOE`, []string{
			"E 101 PID-3.4: PID-3.4 (Assigning Authority) is required when PID-3 is valued, but empty",
		}},
	} {
		res := v.Validate(mustParse(t, msg(msh251, evn, tt.pid, pv1)))
		sameLines(t, tt.pid, issueLines(res), tt.want)
	}
}

// TestProfileTableBinding checks when a table a profile binds makes a missing code an error:
// when it is another table than the standard's for the element (or the standard has none
// there), not when the profile merely repeats the standard's table, which is left to
// TableSeverity as without a profile.
func TestProfileTableBinding(t *testing.T) {
	const xml = `<?xml version="1.0"?>
<HL7v2xConformanceProfile HL7Version="2.3">
  <MetaData Name="Bindings"/>
  <StaticDef MsgType="ADT" EventType="A04" MsgStructID="ADT_A04">
    <Segment Name="MSH" Usage="R" Min="1" Max="1"/>
    <Segment Name="EVN" Usage="R" Min="1" Max="1"/>
    <Segment Name="PID" Usage="R" Min="1" Max="1">
      <Field Name="Set ID - Patient ID" Usage="O" Min="0" Max="1" Datatype="SI"/>
      <Field Name="Patient ID (External ID)" Usage="O" Min="0" Max="1" Datatype="CX"/>
      <Field Name="Patient ID (Internal ID)" Usage="R" Min="1" Max="1" Datatype="CX"/>
      <Field Name="Alternate Patient ID" Usage="O" Min="0" Max="1" Datatype="CX"/>
      <Field Name="Patient Name" Usage="R" Min="1" Max="1" Datatype="XPN"/>
      <Field Name="Mother's Maiden Name" Usage="O" Min="0" Max="1" Datatype="XPN"/>
      <Field Name="Date of Birth" Usage="O" Min="0" Max="1" Datatype="TS"/>
      <Field Name="Sex" Usage="O" Min="0" Max="1" Datatype="IS" Table="HL70001"/>
      <Field Name="Patient Alias" Usage="O" Min="0" Max="1" Datatype="XPN"/>
      <Field Name="Race" Usage="O" Min="0" Max="1" Datatype="IS" Table="0189"/>
    </Segment>
    <Segment Name="ZRG" Usage="O" Min="0" Max="1">
      <Field Name="Registration Sex" Usage="O" Min="0" Max="1" Datatype="IS" Table="0001"/>
    </Segment>
    <Segment Name="PV1" Usage="R" Min="1" Max="1"/>
  </StaticDef>
</HL7v2xConformanceProfile>`
	p, err := ParseProfile(strings.NewReader(xml), "bind.xml")
	if err != nil {
		t.Fatal(err)
	}
	const header = `MSH|^~\&|REG|HOSP|LEG|HOSP|202601021530||ADT^A04|C1|P|2.3`
	in := msg(header, evn, `PID|1||12345^^^H||DOE^JANE||19800101|X||W`, `ZRG|X`, pv1)
	for _, tt := range []struct {
		name string
		sev  Severity
		want []string
	}{
		{"TableSeverity default", 0, []string{
			// HL70001 is PID-8's own table 0001, however it is written.
			`W 103 PID-8: PID-8 (Sex): "X" is not in HL7 table 0001 (Administrative Sex)`,
			// PID-10's table is 0005: the profile asks for another.
			`E 103 PID-10: PID-10 (Race): "W" is not in HL7 table 0189 (Ethnic Group), which profile Bindings requires`,
			// The standard has no ZRG: the table is the profile's alone.
			`E 103 ZRG-1: ZRG-1 (Registration Sex): "X" is not in HL7 table 0001 (Administrative Sex), which profile Bindings requires`,
		}},
		{"TableSeverity Info", Info, []string{
			`I 103 PID-8: PID-8 (Sex): "X" is not in HL7 table 0001 (Administrative Sex)`,
			`E 103 PID-10: PID-10 (Race): "W" is not in HL7 table 0189 (Ethnic Group), which profile Bindings requires`,
			`E 103 ZRG-1: ZRG-1 (Registration Sex): "X" is not in HL7 table 0001 (Administrative Sex), which profile Bindings requires`,
		}},
	} {
		v := mustValidator(t, Options{Profiles: []*Profile{p}, TableSeverity: tt.sev})
		sameLines(t, tt.name, issueLines(v.Validate(mustParse(t, in))), tt.want)
	}
	// Without the profile, PID-8 is the same warning.
	res := mustValidator(t, Options{}).Validate(mustParse(t, msg(header, evn, `PID|1||12345^^^H||DOE^JANE||19800101|X`, pv1)))
	sameLines(t, "no profile", issueLines(res), []string{`W 103 PID-8: PID-8 (Sex): "X" is not in HL7 table 0001 (Administrative Sex)`})
}
