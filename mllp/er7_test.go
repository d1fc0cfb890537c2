package mllp

import (
	"reflect"
	"testing"
)

func TestControlID(t *testing.T) {
	tests := []struct {
		Name  string
		Input string
		ID    string
	}{
		{"standard", "MSH|^~\\&|LAB|H1|EHR|H1|20240101||ADT^A01|MSG00001|P|2.5\rPID|1\r", "MSG00001"},
		{"custom field separator", "MSH#^~\\&#LAB#H1#EHR#H1#20240101##ADT^A01#X-7#P#2.5\r", "X-7"},
		{"LF segment terminators", "MSH|^~\\&|A|B|C|D|1||ADT^A01|LF1|P|2.5\nPID|1\n", "LF1"},
		{"CRLF segment terminators", "MSH|^~\\&|A|B|C|D|1||ADT^A01|CRLF1|P|2.5\r\nPID|1\r\n", "CRLF1"},
		{"byte order mark and blank line first", "\xef\xbb\xbf\r\nMSH|^~\\&|A|B|C|D|1||ADT^A01|B1|P|2.5\r", "B1"},
		{"MSH-10 is the last field", "MSH|^~\\&|A|B|C|D|1||ADT^A01|LAST", "LAST"},
		{"escape sequences stay raw", "MSH|^~\\&|A|B|C|D|1||ADT^A01|A\\F\\B|P\r", "A\\F\\B"},
		{"MSH-10 missing", "MSH|^~\\&|A|B|C|D|1||ADT^A01\rPID|1|||x|y|z|w|v|u|t\r", ""},
		{"MSH-10 empty", "MSH|^~\\&|A|B|C|D|1||ADT^A01||P\r", ""},
		{"not an HL7 message", "hello", ""},
		{"MSH not first", "PID|1\rMSH|^~\\&|A|B|C|D|1||ADT^A01|X|P\r", ""},
		{"MSH alone", "MSH", ""},
		{"MSH then terminator", "MSH\r", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		if got := controlID([]byte(tt.Input)); got != tt.ID {
			t.Errorf("%s: controlID = %q, want %q", tt.Name, got, tt.ID)
		}
	}
}

func TestReadMSA(t *testing.T) {
	const msh = "MSH|^~\\&|EHR|H1|LAB|H1|20240101||ACK^A01|ACK1|P|2.5\r"
	tests := []struct {
		Name   string
		Input  string
		Output Response
		OK     bool
	}{
		{"AA", msh + "MSA|AA|MSG00001\r", Response{Code: "AA", ControlID: "MSG00001"}, true},
		{"AE with text", msh + "MSA|AE|MSG00002|Unknown patient\rERR|||204\r", Response{Code: "AE", ControlID: "MSG00002", Text: "Unknown patient"}, true},
		{"AR", msh + "MSA|AR|M3\r", Response{Code: "AR", ControlID: "M3"}, true},
		{"CA", msh + "MSA|CA|M4\r", Response{Code: "CA", ControlID: "M4"}, true},
		{"CE", msh + "MSA|CE|M5\r", Response{Code: "CE", ControlID: "M5"}, true},
		{"CR", msh + "MSA|CR|M6\r", Response{Code: "CR", ControlID: "M6"}, true},
		{"unknown code", msh + "MSA|OK|M7\r", Response{ControlID: "M7"}, true},
		{"lower case code is not a code", msh + "MSA|aa|M8\r", Response{ControlID: "M8"}, true},
		{"custom separator", "MSH#^~\\&#A#B#C#D#1##ACK#9#P#2.5\rMSA#AA#M9#fine\r", Response{Code: "AA", ControlID: "M9", Text: "fine"}, true},
		{"LF terminators", "MSH|^~\\&|A\nMSA|AA|M10\n", Response{Code: "AA", ControlID: "M10"}, true},
		{"LF then CR", "MSH|^~\\&|A\nMSA|AA|M12\rPID|1\r", Response{Code: "AA", ControlID: "M12"}, true},
		{"CR then LF", msh + "MSA|AE|M13|text\nERR|1\n", Response{Code: "AE", ControlID: "M13", Text: "text"}, true},
		{"CR LF", "MSH|^~\\&|A\r\nMSA|AA|M14\r\n", Response{Code: "AA", ControlID: "M14"}, true},
		{"MSA without fields", msh + "MSA\r", Response{}, true},
		{"segment named MSAX is not MSA", msh + "MSAX|AA|M11\r", Response{}, false},
		{"no MSA", msh + "PID|1\r", Response{}, false},
		{"not HL7", "\x06", Response{}, false},
	}
	for _, tt := range tests {
		got, ok := readMSA([]byte(tt.Input))
		tt.Output.Raw = []byte(tt.Input)
		if ok != tt.OK || !reflect.DeepEqual(got, tt.Output) {
			t.Errorf("%s: readMSA = %+v, %v; want %+v, %v", tt.Name, got, ok, tt.Output, tt.OK)
		}
	}
}

func TestResponseAccepted(t *testing.T) {
	for code, want := range map[string]bool{"AA": true, "CA": true, "AE": false, "AR": false, "CE": false, "CR": false, "": false} {
		if got := (Response{Code: code}).Accepted(); got != want {
			t.Errorf("Response{Code: %q}.Accepted() = %v, want %v", code, got, want)
		}
	}
}
