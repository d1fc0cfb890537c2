package dict

import "testing"

func TestDescribe(t *testing.T) {
	// Each level as "name/type", from the segment down; ok false gives "".
	tests := []struct {
		version, path string
		want          string
	}{
		{"2.5.1", "PID", "Patient Identification"},
		{"2.5.1", "PID-5", "Patient Identification > Patient Name/XPN"},
		{"2.5.1", "PID-5.1", "Patient Identification > Patient Name/XPN > Family Name/FN"},
		{"2.5.1", "PID-5.1.2", "Patient Identification > Patient Name/XPN > Family Name/FN > Own Surname Prefix/ST"},
		{"2.5.1", "PID-5.2", "Patient Identification > Patient Name/XPN > Given Name/ST"},
		{"2.5.1", "PID-5-1", "Patient Identification > Patient Name/XPN > Family Name/FN"},
		{"2.5.1", "pid.5.1", "Patient Identification > Patient Name/XPN > Family Name/FN"},
		{"2.5.1", "PID-3[2].1", "Patient Identification > Patient Identifier List/CX > ID Number/ST"},
		{"2.5.1", "PID-3.4.1", "Patient Identification > Patient Identifier List/CX > Assigning Authority/HD > Namespace ID/IS"},
		{"2.5.1", "OBX[2]-5", "Observation/Result > Observation Value/VARIES"},
		{"2.5.1", "MSH-9.2", "Message Header > Message Type/MSG > Trigger Event/ID"},
		{"2.3", "PID-5", "Patient Identification > Patient Name/XPN"},
		{"2.3", "PID-5.1", "Patient Identification > Patient Name/XPN > Family Name/ST"},
		{"2.7", "PID-5.1", "Patient Identification > Patient Name/XPN > Family Name/FN"},
		{"2.7", "PID-5.1.1", "Patient Identification > Patient Name/XPN > Family Name/FN > Surname/ST"},
		// A primitive value is its own first component and sub-component.
		{"2.5.1", "PID-8.1", "Patient Identification > Administrative Sex/IS"},
		{"2.5.1", "PID-8.1.1", "Patient Identification > Administrative Sex/IS"},
		{"2.3", "PID-5.1.1", "Patient Identification > Patient Name/XPN > Family Name/ST"},
		{"2.5.1", "OBX-5.1", "Observation/Result > Observation Value/VARIES"},
		// Not defined, or not a path.
		{"2.5.1", "PID-8.2", ""},
		{"2.5.1", "PID-8.1.2", ""},
		{"2.3", "PID-5.1.2", ""},
		{"2.5.1", "OBX-5.2", ""},
		{"2.5.1", "PID-5.15", ""},
		{"2.5.1", "PID-5.1.6", ""},
		{"2.5.1", "PID-40", ""},
		{"2.5.1", "ZZZ-1", ""},
		{"2.5.1", "PI", ""},
		{"2.5.1", "PID-", ""},
		{"2.5.1", "PID-0", ""},
		{"2.5.1", "", ""},
	}
	for _, tt := range tests {
		d, _ := Lookup(tt.version)
		info, ok := d.Describe(tt.path)
		got := ""
		if ok {
			got = levels(info)
		}
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s Describe(%q) = %q, %v; want %q", tt.version, tt.path, got, ok, tt.want)
		}
	}
}

func levels(p PathInfo) string {
	s := p.Segment.Description
	if p.Field != nil {
		s += " > " + p.Field.Name + "/" + p.Field.DataType
	}
	if p.Component != nil {
		s += " > " + p.Component.Name + "/" + p.Component.DataType
	}
	if p.SubComponent != nil {
		s += " > " + p.SubComponent.Name + "/" + p.SubComponent.DataType
	}
	return s
}

func TestPathInfoDeepest(t *testing.T) {
	d, _ := Lookup("2.5.1")
	tests := []struct{ path, name, dataType string }{
		{"PID", "Patient Identification", ""},
		{"PID-5", "Patient Name", "XPN"},
		{"PID-5.1", "Family Name", "FN"},
		{"PID-5.1.1", "Surname", "ST"},
		{"PID-8.1", "Administrative Sex", "IS"},
	}
	for _, tt := range tests {
		info, ok := d.Describe(tt.path)
		if !ok || info.Name() != tt.name || info.DataType() != tt.dataType {
			t.Errorf("Describe(%q) = %q %q %v, want %q %q", tt.path, info.Name(), info.DataType(), ok, tt.name, tt.dataType)
		}
	}
	if (PathInfo{}).Name() != "" || (PathInfo{}).DataType() != "" {
		t.Error("an empty PathInfo has a name or a data type")
	}
}

func FuzzDescribe(f *testing.F) {
	for _, s := range []string{"PID-5.1.2", "OBX[2]-5", "MSH-9", "PID-3[2].1", "pid.5.1", "ZZZ", "PID-8.1.1", "A"} {
		f.Add(s)
	}
	d, _ := Lookup("2.5.1")
	f.Fuzz(func(t *testing.T, path string) {
		info, ok := d.Describe(path)
		if ok && info.Segment == nil {
			t.Fatalf("Describe(%q) is ok without a segment", path)
		}
		if !ok && info != (PathInfo{}) {
			t.Fatalf("Describe(%q) failed but returned %+v", path, info)
		}
	})
}
