package hl7_test

import (
	"fmt"
	"time"

	"github.com/courier-hl7/courier/hl7"
)

const adt = "MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|EHR|GOOD HEALTH HOSPITAL|20261127120000||ADT^A01^ADT_A01|MSG00001|P|2.5.1\r" +
	"PID|1||PATID1234^^^GHH^MR~123-45-6789^^^USSSA^SS||O\\T\\BRIEN^EVE^E^^^^L||19620320|F\r" +
	"PV1|1|I|2000^2012^01\r"

func ExampleParse() {
	m, err := hl7.Parse([]byte(adt))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Type(), m.Trigger(), m.ControlID(), m.Version())
	fmt.Println(m.Get("PID-5.1"))    // escapes are decoded at the leaf
	fmt.Println(m.Get("PID-3[2].1")) // the second repetition
	fmt.Println(string(m.Bytes()) == adt)
	// Output:
	// ADT A01 MSG00001 2.5.1
	// O&BRIEN
	// 123-45-6789
	// true
}

func ExampleMessage_Set() {
	m, _ := hl7.Parse([]byte(adt))
	_ = m.Set("PID-5.1", "SMITH^JONES") // text: the ^ is escaped
	_ = m.Set("PV1-3.4", "GHH")         // missing components are created
	_ = m.Set("ZPI-2", "custom")        // and missing segments
	pid, _ := m.First("PID")
	fmt.Println(pid.Field(5))
	fmt.Println(m.Get("PID-5.1"))
	fmt.Println(m.Get("PV1-3"))
	fmt.Println(m.Get("ZPI-2"))
	// Output:
	// SMITH\S\JONES^EVE^E^^^^L
	// SMITH^JONES
	// 2000^2012^01^GHH
	// custom
}

func ExampleMessage_Value() {
	m, _ := hl7.Parse([]byte("MSH|^~\\&|A\rPID|1||\"\"|||\r"))
	for _, path := range []string{"PID-3", "PID-4", "PID-9"} {
		v, _ := m.Value(path)
		fmt.Printf("%s present=%v empty=%v null=%v\n", path, v.Present(), v.IsEmpty(), v.IsNull())
	}
	// Output:
	// PID-3 present=true empty=false null=true
	// PID-4 present=true empty=true null=false
	// PID-9 present=false empty=false null=false
}

func ExampleMessage_All() {
	m, _ := hl7.Parse([]byte("MSH|^~\\&|LAB\rOBX|1|NM|GLU^Glucose||5.4|mmol/L\rOBX|2|NM|NA^Sodium||140|mmol/L\r"))
	for obx := range m.All("OBX") {
		fmt.Println(obx.Field(3).Comp(2), obx.Field(5), obx.Field(6))
	}
	// Output:
	// Glucose 5.4 mmol/L
	// Sodium 140 mmol/L
}

func ExampleMessage_ACK() {
	m, _ := hl7.Parse([]byte(adt))
	ack, _ := m.ACK(hl7.AckOptions{
		Code:      hl7.AckAE,
		ControlID: "ACK0001",
		Time:      time.Date(2026, 11, 27, 12, 0, 1, 0, time.UTC),
		Errors: []hl7.AckError{{
			Location: hl7.MustParsePath("PV1-2"),
			Code:     hl7.ErrCodeTableValue,
			Text:     "patient class I is not accepted here",
		}},
	})
	fmt.Printf("%q\n", ack.String())
	// Output:
	// "MSH|^~\\&|EHR|GOOD HEALTH HOSPITAL|ADT1|GOOD HEALTH HOSPITAL|20261127120001+0000||ACK^A01^ACK|ACK0001|P|2.5.1\rMSA|AE|MSG00001\rERR||PV1^1^2^1|103^Table value not found^HL70357|E||||patient class I is not accepted here\r"
}

func ExampleParsePath() {
	for _, s := range []string{"PID-5.1", "PID-3[2].1", "OBX[2]-5", "PID-5-1", "pid.5.1.2"} {
		p, _ := hl7.ParsePath(s)
		fmt.Println(p)
	}
	// Output:
	// PID-5.1
	// PID-3[2].1
	// OBX[2]-5
	// PID-5.1
	// PID-5.1.2
}
