package hl7

import (
	"strings"
	"testing"
)

// TestSpliceOverlappingValue: a value that is a view of the segment being edited in place
// is written as it was, not as the edit's own moves leave it.
func TestSpliceOverlappingValue(t *testing.T) {
	m, err := Parse([]byte("MSH|^~\\&|A|B\rPID|1||ID1||DOE^JANE^Q||19800101\r"))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Set("PID-3", "ID12"); err != nil { // own the segment, with room to grow
		t.Fatal(err)
	}
	seg := &m.segs[1]
	name := seg.b[len("PID|1||ID12||") : len("PID|1||ID12||")+len("DOE^JANE^Q")]
	if string(name) != "DOE^JANE^Q" {
		t.Fatalf("setup: %q", name)
	}
	// Replace PID-1 ("1") with the bytes of PID-5: the tail, PID-5 included, moves right
	// before the value is copied.
	m.splice(1, len("PID|"), len("PID|1"), name)
	if got, want := string(m.Segment(1).Raw()), "PID|DOE^JANE^Q||ID12||DOE^JANE^Q||19800101"; got != want {
		t.Errorf("segment %q, want %q", got, want)
	}
}

func TestVersionAtLeast(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want []int
		ok   bool
	}{
		{"2.5.1", []int{2, 5}, true},
		{"2.5", []int{2, 5}, true},
		{"2.4", []int{2, 5}, false},
		{"2.5", []int{2, 5, 1}, false},
		{"2.5.1", []int{2, 5, 1}, true},
		{"2.3.1", []int{2, 3, 1}, true},
		{"2.3", []int{2, 3, 1}, false},
		{"2.10", []int{2, 5}, true},
		{"3", []int{2, 5}, true},
		{"2", []int{2, 5}, false},
		{"", []int{2, 5}, true}, // not a version: the newest
		{"junk", []int{2, 5}, true},
		{"2.x", []int{2, 5}, true},
		{"2.5.", []int{2, 5, 1}, true},
		{"2..5", []int{2, 5}, true},
		{"2.5.0", []int{2, 5, 1}, false},
	} {
		if got := versionAtLeast(tc.v, tc.want...); got != tc.ok {
			t.Errorf("versionAtLeast(%q, %v) = %v, want %v", tc.v, tc.want, got, tc.ok)
		}
	}
}

// TestNewControlID: 20 upper-case hexadecimal characters, different every time.
func TestNewControlID(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := newControlID()
		if len(id) != 20 || strings.Trim(id, "0123456789ABCDEF") != "" {
			t.Fatalf("control ID %q: want 20 upper-case hexadecimal characters", id)
		}
		if seen[id] {
			t.Fatalf("control ID %q repeated", id)
		}
		seen[id] = true
	}
}
