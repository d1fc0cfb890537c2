package bench

import (
	"testing"

	"github.com/courier-hl7/courier/hl7"
)

// TestMessage: bench messages parse, have the size asked for, and differ in content beyond
// MSH-10 (their visit number), so that the store does not flag them as resends.
func TestMessage(t *testing.T) {
	a, b := message("engine-1-7", 1007, 1024), message("engine-1-8", 1007, 1024)
	for _, raw := range [][]byte{a, b} {
		if len(raw) < 1000 || len(raw) > 1050 {
			t.Errorf("message of %d bytes, want about 1024", len(raw))
		}
	}
	ma, err := hl7.Parse(a)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := hl7.Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := ma.Get("PV1-19"); got != "Vengine-1-7" {
		t.Errorf("PV1-19 = %q, want the control ID after V", got)
	}
	if ma.Get("PV1-19") == mb.Get("PV1-19") || ma.ControlID() == mb.ControlID() {
		t.Errorf("two messages share PV1-19 or MSH-10")
	}
}
