package validate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNormalizeTableID(t *testing.T) {
	for in, want := range map[string]string{"1": "0001", "0001": "0001", "HL70001": "0001", "hl7 0396": "HL7 0396", " 396 ": "0396", "99loc": "99LOC", "LOCALCS": "LOCALCS", "": ""} {
		if got := NormalizeTableID(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}

func TestLoadTables(t *testing.T) {
	ts, err := LoadTables("testdata/tables/0004.csv", "testdata/tables/multi.csv", "LOC=testdata/tables/LOCALCS.csv", "testdata/profiles/lab-tables.xml")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ts.IDs(), " "); got != "0001 0004 0078 ACME0004 LABUNITS LABVT LOC" {
		t.Errorf("ids %s", got)
	}
	for _, tt := range []struct {
		id, code, desc string
		found, known   bool
	}{
		{"HL70004", "I", "Inpatient", true, true},
		{"4", "P", "", false, true},
		{"0001", "F", "Female", true, true},
		{"LOC", "99LAB", "Riverside lab codes", true, true},
		{"LABUNITS", "mmol/L", "millimole per liter", true, true},
		{"0002", "M", "", false, false},
	} {
		desc, found, known := ts.Lookup(tt.id, tt.code)
		if desc != tt.desc || found != tt.found || known != tt.known {
			t.Errorf("Lookup(%s, %s) = %q %v %v", tt.id, tt.code, desc, found, known)
		}
	}
	if err := ts.Add("0136", "Yes/no", map[string]string{"Y": "Yes", "N": "No"}); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := ts.Lookup("0136", "Y"); !found {
		t.Error("Add")
	}
	if err := ts.Add(" ", "", nil); err == nil {
		t.Error("Add without an id")
	}
}

// TestUserTables checks that a user table replaces the HL7 table of its id, and that a code
// missing from it is an error.
func TestUserTables(t *testing.T) {
	ts, err := LoadTables("testdata/tables/0004.csv")
	if err != nil {
		t.Fatal(err)
	}
	v := mustValidator(t, Options{Tables: ts})
	res := v.Validate(mustParse(t, msg(msh251, evn, pid, `PV1|1|P`)))
	sameLines(t, "user table", issueLines(res), []string{`E 103 PV1-2: PV1-2 (Patient Class): "P" is not in table 0004 from 0004.csv`})
	res = v.Validate(mustParse(t, msg(msh251, evn, pid, `PV1|1|E`)))
	sameLines(t, "user table, valid", issueLines(res), nil)
}

func TestBadTables(t *testing.T) {
	tests := []struct {
		name, file, content, id, want string
	}{
		{"empty", "t.csv", "", "0001", "t.csv: empty file: the first row must name the columns (code,description)"},
		{"no code column", "t.csv", "value2,description\n", "0001", `t.csv:1:1: unknown column "value2": the header names code, description and, optionally, table`},
		{"no id", "t.csv", "code,description\nF,Female\n", "", "t.csv:1: no table id: add a table column, or name the file by its table (0001.csv, HL70001.csv, LOCAL.csv)"},
		{"empty code", "t.csv", "code,description\nF,Female\n,Nothing\n", "0001", "t.csv:3: empty code"},
		{"duplicate", "t.csv", "code,description\nF,Female\nM,Male\nF,Again\n", "0001", `t.csv:4: code "F" of table 0001 is listed twice (first on line 2)`},
		{"empty table id", "t.csv", "table,code\n0001,F\n,M\n", "", "t.csv:3: empty table id"},
		{"bad quoting", "t.csv", "code,description\n\"F,Female\n", "0001", `t.csv:2:11: extraneous or missing " in quoted-field`},
		{"xml without tables", "t.xml", "<Specification/>", "", "t.xml:1:1: no hl7table element: this is not a table file"},
		{"xml without id", "t.xml", "<hl7tables>\n  <hl7table name=\"x\"/>\n</hl7tables>", "", "t.xml:2:3: hl7table without an id"},
		{"xml without code", "t.xml", "<hl7tables><hl7table id=\"1\">\n<tableElement description=\"x\"/></hl7table></hl7tables>", "", "t.xml:2:1: tableElement without a code"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := NewTableSet()
			var err error
			if strings.HasSuffix(tt.file, ".xml") {
				err = ts.LoadXML(strings.NewReader(tt.content), tt.file)
			} else {
				err = ts.LoadCSV(strings.NewReader(tt.content), tt.file, tt.id)
			}
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %s", err, tt.want)
			}
		})
	}
	// A file name that is not a table id, and a file that is not there.
	dir := t.TempDir()
	bad := filepath.Join(dir, "patient class.csv")
	if err := os.WriteFile(bad, []byte("code\nI\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadTables(bad); err == nil || !strings.Contains(err.Error(), "no table id") {
		t.Errorf("file name: %v", err)
	}
	if _, err := LoadTables(filepath.Join(dir, "missing.csv")); !os.IsNotExist(err) {
		t.Errorf("missing file: %v", err)
	}
}
