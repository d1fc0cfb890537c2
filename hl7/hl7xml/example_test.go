package hl7xml_test

import (
	"fmt"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/hl7/hl7xml"
)

func Example() {
	m, _ := hl7.Parse([]byte("MSH|^~\\&|ADT|HOSP|||20261127||ADT^A01^ADT_A01|7|P|2.5.1\rPID|1||123^^^HOSP^MR||DOE^JANE\r"))
	x, _ := hl7xml.Marshal(m, &hl7xml.Options{Flat: true})
	fmt.Print(string(x))

	back, _ := hl7xml.Unmarshal(x)
	fmt.Println(string(back.Bytes()) == string(m.Bytes()))
	// Output:
	// <?xml version="1.0" encoding="UTF-8"?>
	// <ADT_A01 xmlns="urn:hl7-org:v2xml" xmlns:c="urn:courier-hl7:er7">
	//   <MSH>
	//     <MSH.1>|</MSH.1>
	//     <MSH.2>^~\&amp;</MSH.2>
	//     <MSH.3><HD.1>ADT</HD.1></MSH.3>
	//     <MSH.4><HD.1>HOSP</HD.1></MSH.4>
	//     <MSH.7><TS.1>20261127</TS.1></MSH.7>
	//     <MSH.9><MSG.1>ADT</MSG.1><MSG.2>A01</MSG.2><MSG.3>ADT_A01</MSG.3></MSH.9>
	//     <MSH.10>7</MSH.10>
	//     <MSH.11><PT.1>P</PT.1></MSH.11>
	//     <MSH.12><VID.1>2.5.1</VID.1></MSH.12>
	//   </MSH>
	//   <PID>
	//     <PID.1>1</PID.1>
	//     <PID.3><CX.1>123</CX.1><CX.4><HD.1>HOSP</HD.1></CX.4><CX.5>MR</CX.5></PID.3>
	//     <PID.5><XPN.1><FN.1>DOE</FN.1></XPN.1><XPN.2>JANE</XPN.2></PID.5>
	//   </PID>
	// </ADT_A01>
	// true
}

func ExampleUnmarshal() {
	// Another tool's XML: groups and indentation are read through.
	m, err := hl7xml.Unmarshal([]byte(`<ADT_A01 xmlns="urn:hl7-org:v2xml">
	  <MSH><MSH.1>|</MSH.1><MSH.2>^~\&amp;</MSH.2><MSH.9><MSG.1>ADT</MSG.1><MSG.2>A01</MSG.2></MSH.9></MSH>
	  <PID>
	    <PID.5>
	      <XPN.1><FN.1>DOE</FN.1></XPN.1>
	      <XPN.2>JANE</XPN.2>
	    </PID.5>
	  </PID>
	</ADT_A01>`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", m.Bytes())
	// Output:
	// "MSH|^~\\&|||||||ADT^A01\rPID|||||DOE^JANE\r"
}
