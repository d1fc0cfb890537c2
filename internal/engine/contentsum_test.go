package engine

import (
	"testing"

	"github.com/courier-hl7/courier/hl7"
)

// TestContentSum: a resend under a new time and control ID has the sum of its original;
// any other change gives another sum.
func TestContentSum(t *testing.T) {
	const base = "MSH|^~\\&|LAB|NORTH|EHR|MAIN|20261127083000||ADT^A01^ADT_A01|C0001|P|2.5\rPID|1||MRN-1^^^H||DOE^JANE\r"
	sum := func(s string) [32]byte {
		t.Helper()
		m, err := hl7.Parse([]byte(s))
		if err != nil {
			t.Fatalf("parse %q: %v", s, err)
		}
		return contentSum(m)
	}
	orig := sum(base)
	same := []struct{ name, msg string }{
		{"new MSH-10", "MSH|^~\\&|LAB|NORTH|EHR|MAIN|20261127083000||ADT^A01^ADT_A01|C0002|P|2.5\rPID|1||MRN-1^^^H||DOE^JANE\r"},
		{"new MSH-7 and MSH-10", "MSH|^~\\&|LAB|NORTH|EHR|MAIN|20261127090000||ADT^A01^ADT_A01|RESEND-7|P|2.5\rPID|1||MRN-1^^^H||DOE^JANE\r"},
	}
	for _, c := range same {
		if sum(c.msg) != orig {
			t.Errorf("%s: sum differs from the original's, want the same", c.name)
		}
	}
	other := []struct{ name, msg string }{
		{"other MSH-9", "MSH|^~\\&|LAB|NORTH|EHR|MAIN|20261127083000||ADT^A08^ADT_A01|C0001|P|2.5\rPID|1||MRN-1^^^H||DOE^JANE\r"},
		{"other MSH-3", "MSH|^~\\&|LAB2|NORTH|EHR|MAIN|20261127083000||ADT^A01^ADT_A01|C0001|P|2.5\rPID|1||MRN-1^^^H||DOE^JANE\r"},
		{"other PID-5", "MSH|^~\\&|LAB|NORTH|EHR|MAIN|20261127083000||ADT^A01^ADT_A01|C0001|P|2.5\rPID|1||MRN-1^^^H||DOE^JOHN\r"},
		{"MSH-10 moved into MSH-11", "MSH|^~\\&|LAB|NORTH|EHR|MAIN|20261127083000||ADT^A01^ADT_A01||C0001P|2.5\rPID|1||MRN-1^^^H||DOE^JANE\r"},
		{"a segment more", base + "PV1|1|I\r"},
	}
	for _, c := range other {
		if sum(c.msg) == orig {
			t.Errorf("%s: same sum as the original, want another", c.name)
		}
	}
}
