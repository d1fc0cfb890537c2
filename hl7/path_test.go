package hl7

import (
	"testing"
)

func TestParsePath(t *testing.T) {
	tests := []struct {
		in    string
		want  Path
		canon string
		err   string
	}{
		{in: "PID", want: Path{Segment: "PID"}, canon: "PID"},
		{in: "PID-5", want: Path{Segment: "PID", Field: 5}, canon: "PID-5"},
		{in: "PID-5.1", want: Path{Segment: "PID", Field: 5, Component: 1}, canon: "PID-5.1"},
		{in: "PID-5.1.2", want: Path{Segment: "PID", Field: 5, Component: 1, SubComp: 2}, canon: "PID-5.1.2"},
		{in: "PID-3[2].1", want: Path{Segment: "PID", Field: 3, Repetition: 2, Component: 1}, canon: "PID-3[2].1"},
		{in: "OBX[2]-5", want: Path{Segment: "OBX", Occurrence: 2, Field: 5}, canon: "OBX[2]-5"},
		{in: "OBX[12]-5[3].2.1", want: Path{Segment: "OBX", Occurrence: 12, Field: 5, Repetition: 3, Component: 2, SubComp: 1}, canon: "OBX[12]-5[3].2.1"},
		{in: "PID-5-1", want: Path{Segment: "PID", Field: 5, Component: 1}, canon: "PID-5.1"},
		{in: "PID.5.1", want: Path{Segment: "PID", Field: 5, Component: 1}, canon: "PID-5.1"},
		{in: "PID-5-1-2", want: Path{Segment: "PID", Field: 5, Component: 1, SubComp: 2}, canon: "PID-5.1.2"},
		{in: "pid-5", want: Path{Segment: "PID", Field: 5}, canon: "PID-5"},
		{in: "ZP1-2", want: Path{Segment: "ZP1", Field: 2}, canon: "ZP1-2"},
		{in: "MSH-1", want: Path{Segment: "MSH", Field: 1}, canon: "MSH-1"},
		{in: "", err: `hl7: invalid path "" at position 1: a path starts with a three-character segment name (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
		{in: "PI", err: `hl7: invalid path "PI" at position 3: a path starts with a three-character segment name (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
		{in: "P-D-5", err: `hl7: invalid path "P-D-5" at position 2: a segment name is three letters or digits (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
		{in: "PID5", err: `hl7: invalid path "PID5" at position 4: expected '-' or '.' before the field (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
		{in: "PID-", err: `hl7: invalid path "PID-" at position 5: expected the field number (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
		{in: "PID-0", err: `hl7: invalid path "PID-0" at position 5: field numbers start at 1 (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
		{in: "PID-3[0]", err: `hl7: invalid path "PID-3[0]" at position 7: repetition numbers start at 1 (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
		{in: "PID-3[2", err: `hl7: invalid path "PID-3[2" at position 8: expected ']' (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
		{in: "PID-3[]", err: `hl7: invalid path "PID-3[]" at position 7: expected the repetition number inside [ ] (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
		{in: "OBX[12345678]-5", err: `hl7: invalid path "OBX[12345678]-5" at position 5: segment occurrence number too large (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
		{in: "OBX[x]-5", err: `hl7: invalid path "OBX[x]-5" at position 5: expected the segment occurrence number inside [ ] (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
		{in: "PID-5.1.2.3", err: `hl7: invalid path "PID-5.1.2.3" at position 10: unexpected text after the path (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
		{in: "PID-5.1[2]", err: `hl7: invalid path "PID-5.1[2]" at position 8: expected '-' or '.' before the sub-component (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
		{in: "PID-99999999", err: `hl7: invalid path "PID-99999999" at position 5: field number too large (write paths like PID-5.1, PID-3[2].1 or OBX[2]-5)`},
	}
	for _, tt := range tests {
		got, err := ParsePath(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParsePath(%q) err = %v\nwant %s", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParsePath(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParsePath(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if got.String() != tt.canon {
			t.Errorf("ParsePath(%q).String() = %q, want %q", tt.in, got.String(), tt.canon)
		}
	}
}

func TestGetOnSample(t *testing.T) {
	m := mustParse(t, sampleADT)
	checkGets(t, m, []getCase{
		{"MSH-9", "ADT^A01^ADT_A01", true},
		{"MSH-9.1", "ADT", true},
		{"PID-3[1].1", "PATID1234", true},
		{"PID-3[1].4.2", "1.2.840.114350", true},
		{"PID-3[2].1", "123-45-6789", true},
		{"PID-3[3]", "", false},
		{"PID-3.1", "PATID1234", true},
		{"PID-5", "EVERYWOMAN^EVE^E^^^^L~DOE^EVE^^^^^M", true},
		{"PID-5[1]", "EVERYWOMAN^EVE^E^^^^L", true},
		{"PID-5.1", "EVERYWOMAN", true},
		{"PID-5.1.1", "EVERYWOMAN", true},
		{"PID-5.1.2", "", false},
		{"PID-5[2].1", "DOE", true},
		{"OBX[2]-5", "120", true},
		{"OBX[3]-5", "", false},
		{"PID", "PID|1||PATID1234^^^GHH&1.2.840.114350&ISO^MR~123-45-6789^^^USSSA^SS||EVERYWOMAN^EVE^E^^^^L~DOE^EVE^^^^^M||19620320|F", true},
	})
	if got := m.Get("bad path"); got != "" {
		t.Errorf("Get of a bad path = %q", got)
	}
	var names []string
	for s := range m.All("OBX") {
		names = append(names, s.Field(3).Comp(2).String())
	}
	if len(names) != 2 || names[1] != "Systolic blood pressure" {
		t.Errorf("All(OBX) = %q", names)
	}
	pid, ok := m.First("PID")
	if !ok {
		t.Fatal("no PID")
	}
	var reps []string
	for i, r := range pid.Field(3).Reps() {
		reps = append(reps, r.Comp(1).String()+"/"+string(rune('0'+i)))
	}
	if len(reps) != 2 || reps[0] != "PATID1234/1" || reps[1] != "123-45-6789/2" {
		t.Errorf("reps = %q", reps)
	}
}

const sampleADT = "MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|GHH LAB|GOOD HEALTH HOSPITAL|20261127120000||ADT^A01^ADT_A01|MSG00001|P|2.5.1\r" +
	"EVN|A01|20261127120000\r" +
	"PID|1||PATID1234^^^GHH&1.2.840.114350&ISO^MR~123-45-6789^^^USSSA^SS||EVERYWOMAN^EVE^E^^^^L~DOE^EVE^^^^^M||19620320|F\r" +
	"PV1|1|I|2000^2012^01\r" +
	"OBX|1|NM|8867-4^Heart rate^LN||72|/min\r" +
	"OBX|2|NM|8480-6^Systolic blood pressure^LN||120|mm[Hg]\r"
