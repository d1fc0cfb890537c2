package fhir_test

import (
	"encoding/json"
	"fmt"
	"log"

	"github.com/courier-hl7/courier/fhir"
	"github.com/courier-hl7/courier/hl7"
)

func ExampleConverter_Convert() {
	msg, err := hl7.Parse([]byte("MSH|^~\\&|LAB|GH|EHR|GH|20240316091500-0500||ORU^R01^ORU_R01|42|P|2.5.1\r" +
		"PID|1||MRN1^^^GH^MR||Doe^Jane||19800214|F\r" +
		"OBR|1|PL1^EHR|FL1^LAB|2345-7^Glucose^LN|||20240316070000||||||||||||||||||F\r" +
		"OBX|1|NM|2345-7^Glucose^LN||95|mg/dL^^UCUM|70-99|N|||F\r"))
	if err != nil {
		log.Fatal(err)
	}
	c, err := fhir.NewConverter(fhir.Options{
		IdentifierSystems: map[string]string{"GH": "http://hospital.example.org/mrn"},
	})
	if err != nil {
		log.Fatal(err)
	}
	b, err := c.Convert(msg)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range b.Entry {
		fmt.Println(e.Request.Method, e.Request.URL[:len(e.Resource.ResourceType())])
	}
	for _, r := range b.Resources() {
		if o, ok := r.(*fhir.Observation); ok {
			fmt.Println(o.Code.Coding[0].System, o.Code.Coding[0].Code, o.ValueQuantity.Value, o.ValueQuantity.Code, o.Status)
		}
	}
	// Output:
	// PUT MessageHeader
	// PUT Organization
	// PUT Provenance
	// PUT Provenance
	// PUT Patient
	// PUT Organization
	// PUT Organization
	// PUT ServiceRequest
	// PUT DiagnosticReport
	// PUT Observation
	// http://loinc.org 2345-7 95 mg/dL final
}

func ExampleSupported() {
	fmt.Println(fhir.Supported()[0], len(fhir.Supported()))
	// Output: ADT^A01 17
}

func ExampleConverter_AppendJSON() {
	c, err := fhir.NewConverter(fhir.Options{})
	if err != nil {
		log.Fatal(err)
	}
	var buf []byte // reused from message to message, as an engine would
	for _, id := range []string{"1", "2"} {
		msg, err := hl7.Parse([]byte("MSH|^~\\&|LAB|GH|EHR|GH|20240316091500-0500||ORU^R01^ORU_R01|" + id + "|P|2.5.1\r" +
			"PID|1||MRN1^^^GH^MR||Doe^Jane||19800214|F\r" +
			"OBR|1|PL1^EHR|FL1^LAB|2345-7^Glucose^LN|||20240316070000||||||||||||||||||F\r" +
			"OBX|1|NM|2345-7^Glucose^LN||95|mg/dL^^UCUM|70-99|N|||F\r"))
		if err != nil {
			log.Fatal(err)
		}
		if buf, err = c.AppendJSON(buf[:0], msg); err != nil {
			log.Fatal(err)
		}
		var bundle struct {
			Type  string
			Entry []struct{ Resource struct{ ResourceType string } }
		}
		if err := json.Unmarshal(buf, &bundle); err != nil {
			log.Fatal(err)
		}
		fmt.Println(bundle.Type, len(bundle.Entry), bundle.Entry[len(bundle.Entry)-1].Resource.ResourceType)
	}
	// Output:
	// transaction 10 Observation
	// transaction 10 Observation
}
