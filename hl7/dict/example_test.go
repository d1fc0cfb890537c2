package dict_test

import (
	"fmt"

	"github.com/courier-hl7/courier/hl7/dict"
)

func Example() {
	d, fellBack := dict.Lookup("2.5.1") // the version in MSH-12
	fmt.Println(d.Name, fellBack)

	fmt.Println(d.FieldName("PID", 5))
	if info, ok := d.Describe("PID-5.1"); ok {
		fmt.Println(info.Name(), info.DataType())
	}

	sex, _ := d.Table("0001").Description("F")
	fmt.Println(sex)

	s, _ := d.StructureFor("ADT", "A04")
	fmt.Println(s.Name, len(s.Elements), "elements")
	// Output:
	// 2.5.1 false
	// Patient Name
	// Family Name FN
	// Female
	// ADT_A01 22 elements
}

func ExampleLookup() {
	// There are no definitions after 2.7.1: a 2.8 message is checked against 2.7.1.
	d, fellBack := dict.Lookup("2.8")
	fmt.Println(d.Name, fellBack)
	// Output: 2.7.1 true
}

func ExampleVersion_StructureFor() {
	d, _ := dict.Lookup("2.5.1")
	s, _ := d.StructureFor("ORU", "R01")
	var walk func(indent string, es []dict.Element)
	walk = func(indent string, es []dict.Element) {
		for _, e := range es {
			most := "*"
			if e.Max != dict.Unbounded {
				most = fmt.Sprint(e.Max)
			}
			if e.Group != nil {
				fmt.Printf("%s%s [%d..%s]\n", indent, e.Group.Name, e.Min, most)
				walk(indent+"  ", e.Group.Elements)
				continue
			}
			fmt.Printf("%s%s [%d..%s]\n", indent, e.Segment, e.Min, most)
		}
	}
	walk("", s.Elements[:3])
	// Output:
	// MSH [1..1]
	// SFT [0..*]
	// PATIENT_RESULT [1..*]
	//   PATIENT [0..1]
	//     PID [1..1]
	//     PD1 [0..1]
	//     NTE [0..*]
	//     NK1 [0..*]
	//     VISIT [0..1]
	//       PV1 [1..1]
	//       PV2 [0..1]
	//   ORDER_OBSERVATION [1..*]
	//     ORC [0..1]
	//     OBR [1..1]
	//     NTE [0..*]
	//     TIMING_QTY [0..*]
	//       TQ1 [1..1]
	//       TQ2 [0..*]
	//     CTD [0..1]
	//     OBSERVATION [0..*]
	//       OBX [1..1]
	//       NTE [0..*]
	//     FT1 [0..*]
	//     CTI [0..*]
	//     SPECIMEN [0..*]
	//       SPM [1..1]
	//       OBX [0..*]
}
