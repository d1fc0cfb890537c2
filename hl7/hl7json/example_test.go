package hl7json_test

import (
	"fmt"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/hl7/hl7json"
)

func Example() {
	m, _ := hl7.Parse([]byte("MSH|^~\\&|LIS|LAB|||20261127||ORU^R01|1|P|2.5.1\rPID|1||123^^^HOSP^MR||O\\T\\BRIEN^ANNE\r"))
	js, _ := hl7json.Marshal(m, nil)
	fmt.Print(string(js))

	back, _ := hl7json.Unmarshal(js)
	fmt.Println(string(back.Bytes()) == string(m.Bytes()))
	// Output:
	// {
	//   "segments": [
	//     ["MSH", "|", "^~\\&", "LIS", "LAB", "", "", "20261127", "", [["ORU", "R01"]], "1", "P", "2.5.1"],
	//     ["PID", "1", "", [["123", "", "", "HOSP", "MR"]], "", [["O&BRIEN", "ANNE"]]]
	//   ]
	// }
	// true
}

func ExampleUnmarshal() {
	// A consumer's JSON: fields by number, text unescaped.
	m, err := hl7json.Unmarshal([]byte(`{"segments": [
		["MSH", "|", "^~\\&", "COURIER", "", "", "", "20261127", "", [["ADT", "A08"]], "42", "P", "2.5.1"],
		["PID", "1", "", "", "", [["SMITH & SONS", "JO"]]]
	]}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%q\n", m.Bytes())
	fmt.Println(m.Get("PID-5.1"))
	// Output:
	// "MSH|^~\\&|COURIER||||20261127||ADT^A08|42|P|2.5.1\rPID|1||||SMITH \\T\\ SONS^JO\r"
	// SMITH & SONS
}
