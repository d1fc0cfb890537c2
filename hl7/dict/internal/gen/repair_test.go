package gen

import (
	"strings"
	"testing"
)

// repairSource builds a small version: OBX with OBX-2 R, and OML_O21 with a required single
// ORDER/TIIMING group.
func repairSource() srcVersion {
	one := 1
	f := func(opt int) srcField { return srcField{DataType: "ST", Desc: "x", Opt: opt, Rep: &one} }
	var m srcMessage
	m.Name = "OML_O21"
	m.Segments.Segments = []srcNode{
		{Name: name("MSH"), Min: 1, Max: 1},
		{Name: name("ORDER"), Min: 1, Max: 0, Children: []srcNode{
			{Name: name("ORC"), Min: 1, Max: 1},
			{Name: name("TIIMING"), Min: 1, Max: 1, Children: []srcNode{{Name: name("TQ1"), Min: 1, Max: 1}}},
		}},
	}
	return srcVersion{
		name:     "2.6",
		segments: map[string]srcSegment{"OBX": {Fields: []srcField{f(1), f(2)}}},
		messages: map[string]srcMessage{"OML_O21": m},
	}
}

func TestRepairVersion(t *testing.T) {
	fields := []fieldRepair{{version: "2.6", segment: "OBX", seq: 2, from: 2, to: 1}}
	elems := []elementRepair{{version: "2.6", structure: "OML_O21", path: "ORDER/TIIMING", from: requiredOnce, to: optionalRepeating, rename: "TIMING"}}
	sv := repairSource()
	if err := repairVersion(&sv, fields, elems); err != nil {
		t.Fatal(err)
	}
	if got := sv.segments["OBX"].Fields[1].Opt; got != 1 {
		t.Errorf("OBX-2 opt = %d, want 1", got)
	}
	out, err := elements("OML_O21", sv.messages["OML_O21"].Segments.Segments, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := canon(out), "0:MSH:1:1;1:ORDER:1:0{0:ORC:1:1;1:TIMING:0:0{0:TQ1:1:1;};};"; got != want {
		t.Errorf("repaired OML_O21 = %s, want %s", got, want)
	}

	// Repairs of other versions are not applied.
	other := repairSource()
	other.name = "2.5.1"
	if err := repairVersion(&other, fields, elems); err != nil || other.segments["OBX"].Fields[1].Opt != 2 {
		t.Errorf("a 2.6 repair changed 2.5.1: %v", err)
	}

	// A repair that no longer matches the source stops the generator.
	tests := []struct {
		name   string
		fields []fieldRepair
		elems  []elementRepair
		want   string
	}{
		{"field already right", []fieldRepair{{version: "2.6", segment: "OBX", seq: 1, from: 2, to: 1}}, nil, "the source has opt 1, not the faulty 2"},
		{"no such field", []fieldRepair{{version: "2.6", segment: "OBX", seq: 3, from: 2, to: 1}}, nil, "2.6 segment OBX-3: the source has no such field"},
		{"no such segment", []fieldRepair{{version: "2.6", segment: "ORC", seq: 1, from: 1, to: 2}}, nil, "2.6 segment ORC-1: the source has no such field"},
		{"group already right", nil, []elementRepair{{version: "2.6", structure: "OML_O21", path: "ORDER", from: requiredOnce, to: optionalRepeating}}, "the source has 1..0, not the faulty 1..1"},
		{"no such group", nil, []elementRepair{{version: "2.6", structure: "OML_O21", path: "ORDER/TIMING", from: requiredOnce, to: optionalRepeating}}, "group ORDER/TIMING: the source has no such group"},
		{"segment, not group", nil, []elementRepair{{version: "2.6", structure: "OML_O21", path: "ORDER/ORC", from: requiredOnce, to: optionalRepeating}}, "no such group"},
		{"no such message", nil, []elementRepair{{version: "2.6", structure: "OML_O22", path: "ORDER", from: requiredOnce, to: optionalRepeating}}, "message OML_O22 group ORDER: the source has no such message"},
	}
	for _, tt := range tests {
		sv := repairSource()
		err := repairVersion(&sv, tt.fields, tt.elems)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestRepairTables(t *testing.T) {
	if err := checkRepairsTargetVersions(Versions); err != nil {
		t.Error(err)
	}
	if err := checkRepairsTargetVersions([]string{"2.5", "2.5.1"}); err == nil || !strings.Contains(err.Error(), "version 2.3.1 is not read") {
		t.Errorf("repairs of an unread version: error = %v", err)
	}
	for _, r := range fieldRepairs {
		if _, ok := usages[r.from]; !ok || usages[r.to] == "" || r.from == r.to || r.why == "" {
			t.Errorf("field repair %+v: from and to must be different known opt values, with a reason", r)
		}
	}
	for _, r := range elementRepairs {
		if (r.from == r.to && r.rename == "") || r.why == "" || strings.Trim(r.path, "/") != r.path || r.path == "" {
			t.Errorf("element repair %+v: changes nothing, or has no reason or a bad path", r)
		}
	}
}
