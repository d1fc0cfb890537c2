package hl7_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/courier-hl7/courier/hl7"
)

// A synthetic admission; every name and number in it is made up.
const exampleADT = "MSH|^~\\&|ADT1|GHH^2.16.840.1.113883.19.1^ISO|LAB|GHH|20261127134501-0500||ADT^A01^ADT_A01|MSG00001|P|2.5.1\r" +
	"PID|1||MRN0042^^^GHH&2.16.840.1.113883.19.5&ISO^MR~999-99-9999^^^USSSA^SS||O\\T\\BRIEN^EVE^E^^DR^^L~SMITH^EVE^^^^^M||19800229|F|||1000 HOSPITAL LANE^APT 4^ANN ARBOR^MI^99999^USA^H||^PRN^PH^^1^555^5550100~^NET^Internet^eve@example.org\r" +
	"PV1|1|I|4E^136^B^GHH^^N||||||||||||||||V0001\r"

func exampleMessage() *hl7.Message {
	m, err := hl7.Parse([]byte(exampleADT))
	if err != nil {
		panic(err)
	}
	return m
}

func ExampleParseTime() {
	t, err := hl7.ParseTime("20261127134501.25-0500")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.Precision, t.HasOffset)
	fmt.Println(t.UTC().Format(time.RFC3339Nano))
	fmt.Println(t.Format())

	// The precision is what the sender gave: a birth month is not the first of the month.
	month, _ := hl7.ParseTime("198002")
	fmt.Println(month.Precision, month.Format())
	// Output:
	// hundredth of a second true
	// 2026-11-27T18:45:01.25Z
	// 20261127134501.25-0500
	// month 198002
}

func ExampleParseTimeIn() {
	// A value without an offset is in the sender's local time, which the channel knows.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		fmt.Println(err)
		return
	}
	t, _ := hl7.ParseTimeIn("202607011200", ny)
	fmt.Println(t.UTC().Format(time.RFC3339), t.Format())
	// Output: 2026-07-01T16:00:00Z 202607011200
}

func ExampleDataTypeError() {
	_, err := hl7.ParseTime("20250229")
	fmt.Println(err)
	var dte *hl7.DataTypeError
	if errors.As(err, &dte) {
		fmt.Println(dte.Type, dte.Pos)
	}
	// Output:
	// hl7: "20250229" is not a DTM: day 29 (February 2025 has 28 days) at position 7 (expected YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ])
	// DTM 6
}

func ExampleValue_Time() {
	m := exampleMessage()
	sent, err := m.Timestamp().Time()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(sent.Format(), sent.Precision)

	birth, _ := m.Value("PID-7")
	dob, _ := birth.Time()
	fmt.Println(dob.Format(), dob.Precision)

	// An absent value is the zero Time, not an error.
	death, _ := m.Value("PID-29")
	t, err := death.Time()
	fmt.Println(t.IsZero(), err)
	// Output:
	// 20261127134501-0500 second
	// 19800229 day
	// true <nil>
}

func ExampleValue_Number() {
	m, _ := hl7.Parse([]byte("MSH|^~\\&|LAB|GHH|||20261127||ORU^R01|1|P|2.5.1\rOBX|1|NM|8867-4^Heart rate^LN||72|/min\rOBX|2|NM|8310-5^Body temperature^LN||1e2|Cel\r"))
	for obx := range m.All("OBX") {
		n, err := obx.Field(5).Number()
		fmt.Println(obx.Field(3).CWE().Text(), n, err)
	}
	// Output:
	// Heart rate 72 <nil>
	// Body temperature 0 hl7: "1e2" is not a NM: unexpected 'e' at position 2 (expected [+|-]digits[.digits])
}

func ExampleXPN() {
	m := exampleMessage()
	names, _ := m.Value("PID-5")

	// A view over a field reads its first repetition.
	legal := names.XPN()
	fmt.Println(legal.FamilyName(), "|", legal.Formatted())

	// Take a repetition first to read another one.
	for i, rep := range names.Reps() {
		x := rep.XPN()
		fmt.Println(i, x.NameTypeCode(), x.FamilyName())
	}
	fmt.Println(names.Rep(2).XPN().FamilyName())
	// Output:
	// O&BRIEN | EVE E O&BRIEN
	// 1 L O&BRIEN
	// 2 M SMITH
	// SMITH
}

func ExampleCX() {
	m := exampleMessage()
	ids, _ := m.Value("PID-3")
	for _, rep := range ids.Reps() {
		cx := rep.CX()
		aa := cx.AssigningAuthority()
		fmt.Printf("%s %s %s %s\n", cx.IdentifierTypeCode(), cx.ID(), aa.NamespaceID(), aa.UniversalID())
	}
	// Output:
	// MR MRN0042 GHH 2.16.840.1.113883.19.5
	// SS 999-99-9999 USSSA
}

func ExampleHD() {
	m := exampleMessage()
	fac := m.SendingFacility().HD()
	fmt.Println(fac.NamespaceID(), fac.UniversalID(), fac.UniversalIDType())
	// Output: GHH 2.16.840.1.113883.19.1 ISO
}

func ExampleEI() {
	m, _ := hl7.Parse([]byte("MSH|^~\\&|LAB|GHH|||20261127||ORU^R01|1|P|2.5.1\rORC|RE|ORD448811^CPOE^1.2.3.4^ISO\r"))
	placer, _ := m.Value("ORC-2")
	ei := placer.EI()
	fmt.Println(ei.EntityIdentifier(), ei.Authority().NamespaceID(), ei.Authority().UniversalID())
	// Output: ORD448811 CPOE 1.2.3.4
}

func ExampleXAD() {
	m := exampleMessage()
	addr, _ := m.Value("PID-11")
	a := addr.XAD()
	fmt.Printf("%s, %s, %s %s %s\n", a.Street(), a.OtherDesignation(), a.City(), a.State(), a.Zip())
	// Output: 1000 HOSPITAL LANE, APT 4, ANN ARBOR MI 99999
}

func ExampleXTN_Phone() {
	m := exampleMessage()
	tel, _ := m.Value("PID-13")
	for _, rep := range tel.Reps() {
		x := rep.XTN()
		fmt.Printf("%s %q %q\n", x.UseCode(), x.Phone(), x.Email())
	}
	// Output:
	// PRN "+1 (555) 5550100" ""
	// NET "" "eve@example.org"
}

func ExamplePL() {
	m := exampleMessage()
	loc, _ := m.Value("PV1-3")
	pl := loc.PL()
	fmt.Println(pl.Facility().NamespaceID(), pl.PointOfCare(), pl.Room(), pl.Bed())
	// Output: GHH 4E 136 B
}

func ExampleCWE() {
	m, _ := hl7.Parse([]byte("MSH|^~\\&|LAB|GHH|||20261127||ORU^R01|1|P|2.5.1\rOBX|1|NM|8867-4^Heart rate^LN^HR^Pulse^L||72|/min\r"))
	code, _ := m.Value("OBX-3")
	c := code.CWE()
	fmt.Println(c.CodingSystem(), c.Identifier(), c.Text())
	fmt.Println(c.AltCodingSystem(), c.AltIdentifier(), c.AltText())
	// Output:
	// LN 8867-4 Heart rate
	// L HR Pulse
}
