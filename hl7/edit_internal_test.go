package hl7

import "testing"

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
