package dict

import (
	"errors"
	"strings"
	"testing"

	"github.com/courier-hl7/courier/hl7/dict/internal/wire"
)

// versionFile writes a small version file: its structure's second element is of the given
// kind, its one event names structure event, and extra leaves a number over at the end.
func versionFile(t *testing.T, kind int, event string, extra bool) []byte {
	t.Helper()
	w := wire.NewWriter()
	w.String("version")
	w.String("9.9")
	w.Uint(1) // data types
	w.String("ST")
	w.String("String Data")
	w.Uint(0)
	w.Uint(1) // segments
	w.String("ZZZ")
	w.String("Test")
	w.Uint(1)
	for _, s := range []string{"Value", "ST", "R"} {
		w.String(s)
	}
	w.Uint(1)
	w.Uint(0)
	w.Uint(10)
	w.String("")
	w.Uint(1) // structures
	w.String("ZZZ_Z01")
	w.String("Test message")
	w.Uint(2)
	w.Uint(kindSegment)
	w.String("MSH")
	w.String("Header")
	w.Uint(1)
	w.Uint(1)
	w.Uint(kind)
	w.String("GROUP")
	w.String("A group")
	w.Uint(0)
	w.Uint(0)
	w.Uint(1)
	w.Uint(kindSegment)
	w.String("ZZZ")
	w.String("Test")
	w.Uint(1)
	w.Uint(1)
	w.Uint(1) // events
	w.String("ZZZ")
	w.String("Z01")
	w.String(event)
	if extra {
		w.Uint(0)
	}
	file, err := wire.Compress(w.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return file
}

func TestDecodeVersion(t *testing.T) {
	v, err := decodeVersion(versionFile(t, kindGroup, "ZZZ_Z01", false))
	if err != nil {
		t.Fatal(err)
	}
	want := Field{Seq: 1, Name: "Value", DataType: "ST", Usage: Required, MinReps: 1, MaxLen: 10}
	if v.Name != "9.9" || *v.Segment("ZZZ").Field(1) != want {
		t.Errorf("decoded %s %+v", v.Name, v.Segment("ZZZ").Field(1))
	}
	s, ok := v.StructureFor("ZZZ", "Z01")
	if !ok || shape(s.Elements) != "MSH GROUP*{ZZZ}" {
		t.Errorf("ZZZ^Z01 = %v %v", s, ok)
	}
	c, err := decodeVersion(versionFile(t, kindChoice, "ZZZ_Z01", false))
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Structure("ZZZ_Z01"); shape(s.Elements) != "MSH <ZZZ>*" {
		t.Errorf("choice decoded as %s", shape(s.Elements))
	}

	tables, err := data.ReadFile("data/" + tablesFile)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{"unknown structure", versionFile(t, kindGroup, "ZZZ_Z99", false), "names structure ZZZ_Z99"},
		{"unknown kind", versionFile(t, 7, "ZZZ_Z01", false), "element kind 7"},
		{"bytes left over", versionFile(t, kindGroup, "ZZZ_Z01", true), "left over"},
		{"tables file", tables, `a "tables" file`},
		{"not gzip", []byte("PID|1"), "not a dictionary file"},
	}
	for _, tt := range tests {
		_, err := decodeVersion(tt.file)
		if !errors.Is(err, wire.ErrFormat) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: decodeVersion() = %v, want ErrFormat with %q", tt.name, err, tt.want)
		}
	}
	if _, err := decodeTables(versionFile(t, kindGroup, "ZZZ_Z01", false)); !errors.Is(err, wire.ErrFormat) {
		t.Errorf("decodeTables(a version file) = %v, want ErrFormat", err)
	}
}
