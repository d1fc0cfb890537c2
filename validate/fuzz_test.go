package validate

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/courier-hl7/courier/hl7"
)

// FuzzValidate checks that validation never panics and never changes the message, whatever
// the message: with the standard alone, and with profiles, rules and user tables.
func FuzzValidate(f *testing.F) {
	files, _ := filepath.Glob("testdata/messages/*.hl7")
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	for _, s := range []string{
		msg(msh251, evn, pid, pv1),
		msg(msh23, evn, `PID|1||1~2~~3^^^&&&||DOE`, `ZZZ`, `PV1`),
		msg(oru251, pid, `OBX|1|ED|D||^AP^PDF^Base64^QUJD\X0D\|||||F`, `OBX|2||x||1`, `OBX|3|XX|x||2`),
		msg(`MSH|^~\&|A|B|C|D|2026||MFN^M01|1|P|2.3`, `MFI|X`, `ZL1`, `MFE`),
		"MSH|^~\\&#|A|B|C|D|2026||ORU^R01^ORU_R01|1|P|2.7\rPID|\"\"|~~|\\F\\\rOBR\rOBX|1|NM|G||1e3",
		"MSH#^~\\&#A#B\nPID#1##X^Y~Z\n",
		"MSH|^|A|B|C|D|2026||ADT^A01|1|P|2.5.1\rEVN\rPID|1||a^b^c^d^e^f^g^h^i^j^k^l\r",
		msg(labMSH, labPID, labOBR, labOBX1, labOBX2, `SPM|1`),
		msg(acmeMSH, acmeEVN, acmePID, `ZPI|x|y|z`, acmePV1, `PV2`, `IN1|1`, `IN1|2`, `IN1|3`),
		// Places the matcher reads ahead to choose between (OML_O21's ORC), empty repetitions.
		msg(oml251, pid, `ORC|NW`, `OBR|1`, `ORC|NW`, `OBR|2`, `PV1`, `ORC`, `OBR`, `OBX`, `ORC`, `ZZ1`, `OBR`, `SPM`),
		msg(msh27, evn27, `PID|1||~^^^^~&&^^^H^MR||^&&`, pv1),
	} {
		f.Add([]byte(s))
	}
	plain, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	tables, err := LoadTables("testdata/profiles/lab-tables.xml", "testdata/tables/LOCALCS.csv")
	if err != nil {
		f.Fatal(err)
	}
	rules, err := LoadRules("testdata/rules/site.yaml")
	if err != nil {
		f.Fatal(err)
	}
	opts := Options{Tables: tables, Rules: []*Rules{rules}, RejectZSegments: true, LengthSeverity: Error, TableSeverity: Error}
	for _, name := range []string{"acme-adt-a01.xml", "lab-oru-r01.xml", "legacy-adt-a04-v23.xml"} {
		p, err := LoadProfile("testdata/profiles/" + name)
		if err != nil {
			f.Fatal(err)
		}
		opts.Profiles = append(opts.Profiles, p)
	}
	full, err := New(opts)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := hl7.Parse(data)
		if err != nil {
			return
		}
		before := bytes.Clone(m.Bytes())
		for _, v := range []*Validator{plain, full} {
			res := v.Validate(m)
			for _, is := range res.Issues {
				if is.Severity < Error || is.Severity > Info || is.Code == "" || is.Message == "" || is.Rule == "" {
					t.Fatalf("malformed issue %+v", is)
				}
				if is.Offset > len(m.Text()) || is.Segment > m.NumSegments() {
					t.Fatalf("issue out of the message: %+v", is)
				}
			}
			_ = res.AckErrors()
		}
		if m.Modified() || !bytes.Equal(before, m.Bytes()) {
			t.Fatal("validation changed the message")
		}
	})
}

// FuzzFastSyntax checks that the fast acceptance of NM and DTM values never accepts what
// hl7.ParseNumber, hl7.ParseTime and hl7.ParseDate refuse: it may only save time.
func FuzzFastSyntax(f *testing.F) {
	for _, s := range []string{"5.4", "-0", "+.5", "1.2.3", "123456789012345678", "2026", "202602", "20260229", "20240229", "19000229",
		"20000229", "0000", "20261301", "2026010112", "202601011260", "20260101120059", "202601011200590", "2026-01", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if fastNM(s) {
			if _, err := hl7.ParseNumber(s); err != nil {
				t.Fatalf("fastNM accepts %q: %v", s, err)
			}
		}
		if fastDTM(s, false) {
			if _, err := hl7.ParseTime(s); err != nil {
				t.Fatalf("fastDTM accepts %q: %v", s, err)
			}
		}
		if fastDTM(s, true) {
			if _, err := hl7.ParseDate(s); err != nil {
				t.Fatalf("fastDTM(date) accepts %q: %v", s, err)
			}
		}
	})
}
