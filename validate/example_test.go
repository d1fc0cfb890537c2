package validate_test

import (
	"fmt"
	"strings"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/validate"
)

func Example() {
	m, err := hl7.Parse([]byte("MSH|^~\\&|REG|HOSP|EHR|HOSP|202601021530||ADT^A01^ADT_A01|C1|P|2.5.1\r" +
		"EVN|A01|202601021530\r" +
		"PID|1||12345^^^HOSP^MR||DOE^JANE||1980-01-01|F\r"))
	if err != nil {
		panic(err)
	}
	v, err := validate.New(validate.Options{})
	if err != nil {
		panic(err)
	}
	res := v.Validate(m)
	fmt.Println(res.Version, res.Structure, res.Valid())
	for _, is := range res.Issues {
		fmt.Println(is.Severity, is.Code, is.Path, is.Offset)
		fmt.Println(is.Message)
	}
	// Output:
	// 2.5.1 ADT_A01 false
	// E 102 PID-7 123
	// PID-7 (Date/Time of Birth): "1980-01-01" is not a DTM: offset needs 4 digits (+HHMM or -HHMM) at position 5 (expected YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ])
	// E 100 PV1 136
	// PV1 is missing: ADT_A01 requires it, at the end of the message
}

// An engine answers a message that fails validation with AE and one ERR segment per issue.
func ExampleResult_AckErrors() {
	m, _ := hl7.Parse([]byte("MSH|^~\\&|LAB|HOSP|EHR|HOSP|202601021530||ORU^R01^ORU_R01|C7|P|2.5.1\r" +
		"PID|1||12345^^^HOSP^MR||DOE^JANE\r" +
		"OBR|1||F1|GLU^Glucose^LN\r" +
		"OBX|1||GLU^Glucose^LN||5.4||||||F\r"))
	v, _ := validate.New(validate.Options{})
	res := v.Validate(m)
	ack, _ := m.ACK(hl7.AckOptions{Code: hl7.AckAE, ControlID: "ACK7", Errors: res.AckErrors()})
	for _, seg := range strings.Split(strings.TrimSpace(string(ack.Bytes())), "\r")[1:] {
		fmt.Println(seg)
	}
	// Output:
	// MSA|AE|C7
	// ERR||OBX^1^2^1|101^Required field missing^HL70357|E||||OBX-2 (Value Type) is empty, so the data type of OBX-5 (Observation Value) is unknown: OBX-2 is required when OBX-5 is valued
}

func ExampleParseRules() {
	rules, err := validate.ParseRules("site.yaml", []byte(`
rules:
  - path: PV1-2
    in: [I, O, E]
  - path: OBX-5
    when: OBX-2 == "NM"
    matches: '^-?[0-9]+(\.[0-9]+)?$'
    message: numeric results must be numbers
`))
	if err != nil {
		panic(err)
	}
	v, _ := validate.New(validate.Options{Rules: []*validate.Rules{rules}})
	m, _ := hl7.Parse([]byte("MSH|^~\\&|A|B|C|D|202601021530||ADT^A01^ADT_A01|C1|P|2.5.1\rEVN||202601021530\rPID|1||1^^^H^MR||DOE\rPV1|1|P\r"))
	for _, is := range v.Validate(m).Issues {
		fmt.Println(is.Severity, is.Code, is.Path, is.Rule, is.Source)
		fmt.Println(is.Message)
	}

	// A mistake in a rules file is reported with its line and column.
	_, err = validate.ParseRules("site.yaml", []byte("rules:\n  - path: PV1-2\n    in: [I, O, E]\n    severty: warning\n"))
	fmt.Println(err)
	// Output:
	// E 103 PV1-2 custom site.yaml:3
	// PV1-2 (Patient Class) is "P"; the custom rule allows I, O, E
	// site.yaml:4:5: unknown key "severty" (did you mean "severity"?)
}

func ExampleParseProfile() {
	p, err := validate.ParseProfile(strings.NewReader(`<?xml version="1.0"?>
<HL7v2xConformanceProfile HL7Version="2.5.1">
  <MetaData Name="Minimal A01"/>
  <HL7v2xStaticDef MsgType="ADT" EventType="A01" MsgStructID="ADT_A01">
    <Segment Name="MSH" Usage="R" Min="1" Max="1"/>
    <Segment Name="EVN" Usage="R" Min="1" Max="1"/>
    <Segment Name="PID" Usage="R" Min="1" Max="1">
      <Field Name="Set ID - PID" Usage="O" Min="0" Max="1" Datatype="SI"/>
      <Field Name="Patient ID" Usage="O" Min="0" Max="1" Datatype="CX"/>
      <Field Name="Patient Identifier List" Usage="R" Min="1" Max="*" Datatype="CX"/>
      <Field Name="Alternate Patient ID - PID" Usage="O" Min="0" Max="1" Datatype="CX"/>
      <Field Name="Patient Name" Usage="R" Min="1" Max="1" Datatype="XPN"/>
      <Field Name="Mother's Maiden Name" Usage="O" Min="0" Max="1" Datatype="XPN"/>
      <Field Name="Date/Time of Birth" Usage="O" Min="0" Max="1" Datatype="TS"/>
      <Field Name="Administrative Sex" Usage="R" Min="1" Max="1" Datatype="IS" Table="0001"/>
    </Segment>
    <Segment Name="PV1" Usage="R" Min="1" Max="1"/>
  </HL7v2xStaticDef>
</HL7v2xConformanceProfile>`), "minimal.xml")
	if err != nil {
		panic(err)
	}
	v, _ := validate.New(validate.Options{Profiles: []*validate.Profile{p}})
	m, _ := hl7.Parse([]byte("MSH|^~\\&|A|B|C|D|202601021530||ADT^A01^ADT_A01|C1|P|2.5.1\rEVN||202601021530\rPID|1||1^^^H^MR||DOE\rPV1|1|I\r"))
	res := v.Validate(m)
	fmt.Println(res.Profile)
	for _, is := range res.Issues {
		fmt.Println(is.Severity, is.Code, is.Path, is.Source)
		fmt.Println(is.Message)
	}
	// Output:
	// Minimal A01
	// E 101 PID-8 minimal.xml:15
	// PID-8 (Administrative Sex) is required but missing
}

// A site's own codes for a table replace the HL7 table of that id.
func ExampleTableSet() {
	ts := validate.NewTableSet()
	if err := ts.LoadCSV(strings.NewReader("code,description\nI,Inpatient\nO,Outpatient\n"), "0004.csv", "0004"); err != nil {
		panic(err)
	}
	v, _ := validate.New(validate.Options{Tables: ts})
	m, _ := hl7.Parse([]byte("MSH|^~\\&|A|B|C|D|202601021530||ADT^A01^ADT_A01|C1|P|2.5.1\rEVN||202601021530\rPID|1||1^^^H^MR||DOE\rPV1|1|E\r"))
	for _, is := range v.Validate(m).Issues {
		fmt.Println(is)
	}
	// Output:
	// E 103 PV1-2 @103: PV1-2 (Patient Class): "E" is not in table 0004 from 0004.csv
}
