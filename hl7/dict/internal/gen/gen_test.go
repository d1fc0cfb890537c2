package gen

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestVerify(t *testing.T) {
	if err := Verify([]byte("not the package")); !errors.Is(err, ErrIntegrity) {
		t.Errorf("Verify(other bytes) = %v, want ErrIntegrity", err)
	}
	if _, err := Build([]byte("not the package")); !errors.Is(err, ErrIntegrity) {
		t.Errorf("Build(other bytes) = %v, want ErrIntegrity", err)
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Set ID вЂ“ PCE", "Set ID – PCE"},
		{"Set ID вЂ“REL", "Set ID –REL"},
		{"Insurance - AddвЂ™l Info. - Cert.", "Insurance - Add’l Info. - Cert."},
		{"Nationality ", "Nationality"},
		{"Set ID   UB1", "Set ID UB1"},
		{" Check Digit Scheme\t", "Check Digit Scheme"},
		{"Café", "Café"}, // not Windows-1251 mojibake: left alone
		{"Patient Name", "Patient Name"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestDecodeModule(t *testing.T) {
	var segs map[string]srcSegment
	good := "var segments = {\"PID\": {\"desc\": \"Patient\", \"fields\": [{\"datatype\": \"ST\", \"desc\": \"A\", \"opt\": 1, \"rep\": 1}]}};\n\nmodule.exports = segments;\n"
	if err := decodeModule("segments.js", []byte(good), &segs); err != nil {
		t.Fatalf("decodeModule(good) = %v", err)
	}
	if f := segs["PID"].Fields[0]; f.DataType != "ST" || *f.Rep != 1 || f.Len != nil {
		t.Errorf("decoded %+v", f)
	}
	tests := []struct{ name, src, want string }{
		{"unknown key", strings.Replace(good, `"opt": 1`, `"opt": 1, "usage": "R"`, 1), `unknown field "usage"`},
		{"other names", strings.Replace(good, "module.exports = segments", "module.exports = fields", 1), "not of the form"},
		{"no export", "var segments = {};", "not of the form"},
		{"bad JSON", strings.Replace(good, `"PID":`, `PID:`, 1), "invalid character"},
	}
	for _, tt := range tests {
		var v map[string]srcSegment
		err := decodeModule("segments.js", []byte(tt.src), &v)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: decodeModule() = %v, want an error with %q", tt.name, err, tt.want)
		}
	}
}

func TestOrderedMap(t *testing.T) {
	var tb srcTable
	src := `{"desc": "Sex", "values": {"M": "Male", "F": "Female", "A": "x", "A2": "y", "A": "Ambiguous"}}`
	if err := decodeJSON(src, &tb); err != nil {
		t.Fatal(err)
	}
	want := orderedMap{{"M", "Male"}, {"F", "Female"}, {"A", "Ambiguous"}, {"A2", "y"}}
	if !slices.Equal(tb.Values, want) {
		t.Errorf("values = %v, want %v", tb.Values, want)
	}
	var bad srcTable
	if err := decodeJSON(`{"values": ["M"]}`, &bad); err == nil {
		t.Error("an array of values was accepted")
	}
	if err := decodeJSON(`{"values": {"M": 1}}`, &bad); err == nil {
		t.Error("a number value was accepted")
	}
}

// decodeJSON decodes a JSON text as the package's modules hold it.
func decodeJSON(text string, v any) error {
	return decodeModule("t.js", []byte("var t = "+text+";\nmodule.exports = t;"), v)
}

func TestField(t *testing.T) {
	one, zero, neg, table := 1, 0, -1, 1
	tests := []struct {
		in   srcField
		want outField
		err  string
	}{
		{srcField{DataType: "XPN", Desc: "Patient Name ", Opt: 2, Rep: &zero, Len: &one}, outField{name: "Patient Name", dataType: "XPN", usage: "R", minReps: 1, maxReps: 0, maxLen: 1}, ""},
		{srcField{DataType: "IS", Desc: "Sex", Opt: 1, Rep: &one, Table: &table}, outField{name: "Sex", dataType: "IS", usage: "O", maxReps: 1, table: "0001"}, ""},
		{srcField{DataType: "ST", Desc: "x", Opt: 3, Rep: &one}, outField{name: "x", dataType: "ST", usage: "C", maxReps: 1}, ""},
		{srcField{DataType: "ST", Desc: "x", Opt: 4, Rep: &one}, outField{name: "x", dataType: "ST", usage: "W", maxReps: 1}, ""},
		{srcField{DataType: "ST", Desc: "x", Opt: 0, Rep: &one}, outField{}, "opt 0"},
		{srcField{DataType: "ST", Desc: "x", Opt: 5, Rep: &one}, outField{}, "opt 5"},
		{srcField{DataType: "", Desc: "x", Opt: 1, Rep: &one}, outField{}, "no data type"},
		{srcField{DataType: "ST", Desc: "x", Opt: 1}, outField{}, "no rep"},
		{srcField{DataType: "ST", Desc: "x", Opt: 1, Rep: &neg}, outField{}, "rep -1"},
		{srcField{DataType: "ST", Desc: "x", Opt: 1, Rep: &one, Len: &neg}, outField{}, "len -1"},
	}
	for _, tt := range tests {
		got, err := field("PID-1", tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("field(%+v) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("field(%+v) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func seg(name string) outElem { return outElem{kind: kindSegment, name: name, min: 1, max: 1} }

func structures(defs map[string][]outElem) []outStructure {
	var out []outStructure
	for _, name := range sortedKeys(defs) {
		out = append(out, outStructure{name: name, elems: defs[name]})
	}
	return out
}

func TestEventMap(t *testing.T) {
	adt := []outElem{seg("MSH"), seg("EVN"), seg("PID")}
	adtNoEVN := []outElem{seg("MSH"), seg("PID")}
	t354 := orderedMap{
		{"ACK", "Varies"},
		{"ADT_A01", "A01, A04, A08"},
		{"ADT_A05", "A05. A14,A28,"},
		{"RPI_I01", "I01, I04"},
		{"RPI_I04", "I04"},
		{"PPG_PCG", "PCC, PCG"},
		{"ADT_A30", "A30, A47"},
	}
	defs := map[string][]outElem{
		"ACK": adt, "ADT_A01": adt, "ADT_A04": adtNoEVN, "ADT_A05": adt, "ADT_A14": adt,
		"RPI_I01": adt, "RPI_I04": adt, "PPP_PCC": adt, "PPG_PCG": adt, "CCR_I16": adt, "ADT_A47": adt,
	}
	render := func(events []outEvent) string {
		var s []string
		for _, e := range events {
			s = append(s, e.msgType+"^"+e.trigger+"="+e.structure)
		}
		return strings.Join(s, " ")
	}
	tests := []struct {
		version string
		want    string
	}{
		// Before 2.3.1 each event keeps its own definition; the table is not used.
		{"2.3", "ADT^A01=ADT_A01 ADT^A04=ADT_A04 ADT^A05=ADT_A05 ADT^A14=ADT_A14 ADT^A47=ADT_A47 CCR^I16=CCR_I16 PPG^PCG=PPG_PCG PPP^PCC=PPP_PCC RPI^I01=RPI_I01 RPI^I04=RPI_I04"},
		// From 2.3.1 the table maps events to structures the version defines; ADT_A30 is not
		// defined, so A47 keeps its own; ADT^A28 comes from the table alone.
		{"2.5.1", "ADT^A01=ADT_A01 ADT^A04=ADT_A01 ADT^A05=ADT_A05 ADT^A08=ADT_A01 ADT^A14=ADT_A05 ADT^A28=ADT_A05 ADT^A47=ADT_A47 CCR^I16=CCR_I16 PPG^PCC=PPG_PCG PPG^PCG=PPG_PCG PPP^PCC=PPP_PCC RPI^I01=RPI_I01 RPI^I04=RPI_I04"},
	}
	for _, tt := range tests {
		v := &outVersion{name: tt.version, structures: structures(defs)}
		events, err := eventMap(v, t354)
		if err != nil {
			t.Fatalf("%s: %v", tt.version, err)
		}
		if got := render(events); got != tt.want {
			t.Errorf("%s events =\n%s\nwant\n%s", tt.version, got, tt.want)
		}
	}

	// An override must agree with the package's data.
	saved := structureOverrides
	defer func() { structureOverrides = saved }()
	structureOverrides = map[string]map[string]string{"2.5.1": {"ADT^A14": "ADT_A01"}}
	events, err := eventMap(&outVersion{name: "2.5.1", structures: structures(defs)}, t354)
	if err != nil || !strings.Contains(render(events), "ADT^A14=ADT_A01") {
		t.Errorf("override ADT^A14 → ADT_A01: %v, %s", err, render(events))
	}
	structureOverrides = map[string]map[string]string{"2.5.1": {"ADT^A04": "ADT_A05"}}
	if _, err := eventMap(&outVersion{name: "2.5.1", structures: structures(defs)}, t354); err == nil || !strings.Contains(err.Error(), "contradicts") {
		t.Errorf("override contradicting the data: error = %v", err)
	}
	structureOverrides = map[string]map[string]string{"2.5.1": {"ADT^A04": "ADT_A99"}}
	if _, err := eventMap(&outVersion{name: "2.5.1", structures: structures(defs)}, t354); err == nil || !strings.Contains(err.Error(), "does not define") {
		t.Errorf("override to an undefined structure: error = %v", err)
	}
	structureOverrides = saved

	// Two structures claiming one event, neither of them the event's own, is an error.
	ambiguous := append(slices.Clone(t354), keyValue{"ADT_A02", "A04"})
	defs2 := map[string][]outElem{"ADT_A01": adt, "ADT_A02": adt}
	if _, err := eventMap(&outVersion{name: "2.5.1", structures: structures(defs2)}, ambiguous); err == nil || !strings.Contains(err.Error(), "ADT_A01 and ADT_A02") {
		t.Errorf("ambiguous table: error = %v", err)
	}
}

func name(s string) *string { return &s }

func TestChoiceRepair(t *testing.T) {
	alt := func(n *string) srcNode { return srcNode{Name: n, Desc: "Segment", Min: 0, Max: 0} }
	choice := func(desc string, names ...*string) srcNode {
		n := srcNode{Name: name(""), Desc: desc}
		for _, nm := range names {
			n.Compounds = append(n.Compounds, alt(nm))
		}
		return n
	}
	msg := func(nodes ...srcNode) srcMessage {
		var m srcMessage
		m.Segments.Segments = nodes
		return m
	}
	sv := srcVersion{name: "2.7", messages: map[string]srcMessage{
		"CCI_I22": {Name: "CCI_I22"},
		"CCM_I21": {Name: "CCM_I21"},
	}}
	named := msg(srcNode{Name: name("MSH"), Min: 1, Max: 1}, choice("Role Object", name("ROL"), name("PRD")))
	named.Name = "CCI_I22"
	broken := msg(srcNode{Name: name("MSH"), Min: 1, Max: 1}, choice("Role Object", nil, nil))
	broken.Name = "CCM_I21"
	sv.messages["CCI_I22"], sv.messages["CCM_I21"] = named, broken

	elems, err := elements("CCM_I21", broken.Segments.Segments, namedChoices(sv))
	if err != nil {
		t.Fatal(err)
	}
	if got := canon(elems); got != "0:MSH:1:1;2::0:0{0:ROL:0:0;0:PRD:0:0;};" {
		t.Errorf("repaired = %s", got)
	}

	// No named choice of the same description and size: an error, not a guess.
	lone := msg(choice("Other Object", nil, nil))
	if _, err := elements("X", lone.Segments.Segments, namedChoices(sv)); err == nil || !strings.Contains(err.Error(), "unnamed alternatives") {
		t.Errorf("unrepairable choice: error = %v", err)
	}
	// Two messages disagreeing on a choice make it unusable for repairs.
	other := msg(choice("Role Object", name("ROL"), name("NTE")))
	other.Name = "CCU_I20"
	sv.messages["CCU_I20"] = other
	if _, err := elements("CCM_I21", broken.Segments.Segments, namedChoices(sv)); err == nil {
		t.Error("a choice repaired from two disagreeing definitions")
	}
}

func TestElementsErrors(t *testing.T) {
	tests := []struct {
		name string
		node srcNode
		want string
	}{
		{"null segment", srcNode{Min: 1, Max: 1}, "segment without a name"},
		{"negative", srcNode{Name: name("PID"), Min: -1}, "cardinality"},
		{"empty group", srcNode{Name: name("G"), Children: []srcNode{}}, "group without"},
		{"both", srcNode{Name: name("G"), Children: []srcNode{{Name: name("PID")}}, Compounds: []srcNode{{Name: name("PID")}}}, "both children and compounds"},
		{"group in choice", srcNode{Name: name("C"), Compounds: []srcNode{{Name: name("G"), Children: []srcNode{{Name: name("PID")}}}}}, "not a segment"},
	}
	for _, tt := range tests {
		_, err := elements("M", []srcNode{tt.node}, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	order := []string{"2.1", "2.3", "2.3.1", "2.4", "2.5.1", "2.10"}
	for i := range order {
		for j := range order {
			got := compareVersions(order[i], order[j])
			if (got < 0) != (i < j) || (got == 0) != (i == j) {
				t.Errorf("compareVersions(%s, %s) = %d", order[i], order[j], got)
			}
		}
	}
}

func TestReadTarball(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	add := func(name string, body string, typ byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Size: int64(len(body)), Typeflag: typ, Mode: 0o644}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	add("package/lib/tables.js", "var t = {};\nmodule.exports = t;", tar.TypeReg)
	add("package/lib", "", tar.TypeDir)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	files, err := readTarball(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || string(files["package/lib/tables.js"]) != "var t = {};\nmodule.exports = t;" {
		t.Errorf("files = %v", files)
	}
	if _, err := readSource(files, []string{"2.1"}); err == nil || !strings.Contains(err.Error(), "package/lib/2.1/fields.js") {
		t.Errorf("readSource without 2.1: error = %v", err)
	}
	if _, err := readTarball([]byte("not gzip")); err == nil {
		t.Error("readTarball accepted bytes that are not gzip")
	}
}

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, "2.0.dict.gz")
	other := filepath.Join(dir, "README")
	for _, p := range []string{stale, other} {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := Write(dir, []File{{Name: "2.1.dict.gz", Data: []byte("new")}}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "2.1.dict.gz")); err != nil || string(b) != "new" {
		t.Errorf("2.1.dict.gz = %q, %v", b, err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("a stale generated file was kept")
	}
	if _, err := os.Stat(other); err != nil {
		t.Error("a file that is not generated was removed")
	}
}

func TestRestoreVaries(t *testing.T) {
	one := 1
	f := func(dt string) srcField { return srcField{DataType: dt, Desc: "x", Opt: 1, Rep: &one} }
	prev := srcVersion{
		dataTypes: map[string]srcDataType{"VARIES": {Desc: "Variable Datatype"}, "ST": {}},
		segments:  map[string]srcSegment{"OBX": {Fields: []srcField{f("SI"), f("ID"), f("VARIES")}}},
	}
	cur := srcVersion{
		dataTypes: map[string]srcDataType{"ST": {}, "SI": {}},
		segments: map[string]srcSegment{
			"OBX": {Fields: []srcField{f("ST"), f("ID"), f("ST"), f("ST")}},
			"ZZZ": {Fields: []srcField{f("ST")}},
		},
	}
	restoreVaries(&cur, prev)
	var got []string
	for _, fl := range cur.segments["OBX"].Fields {
		got = append(got, fl.DataType)
	}
	if want := []string{"ST", "ID", "VARIES", "ST"}; !slices.Equal(got, want) {
		t.Errorf("OBX types = %v, want %v", got, want)
	}
	if dt, ok := cur.dataTypes["VARIES"]; !ok || dt.Desc != "Variable Datatype" {
		t.Errorf("VARIES = %+v, %v", dt, ok)
	}
	// A version that has VARIES is left alone.
	keep := srcVersion{
		dataTypes: map[string]srcDataType{"VARIES": {Desc: "own"}},
		segments:  map[string]srcSegment{"OBX": {Fields: []srcField{f("SI"), f("ID"), f("ST")}}},
	}
	restoreVaries(&keep, prev)
	if keep.segments["OBX"].Fields[2].DataType != "ST" || keep.dataTypes["VARIES"].Desc != "own" {
		t.Error("a version with its own VARIES was changed")
	}
}
