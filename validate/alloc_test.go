package validate

import (
	"os"
	"testing"
)

// TestValidAllocatesNothing checks the package's promise that validating a valid message
// allocates nothing once its version is compiled: an ORU^R01 with 30 OBX, and OML^O21
// messages whose ORC after an OBR fits two places, so that the matcher reads ahead
// (choosePlace), weighing places that leave out required elements on the way (preferMissing).
func TestValidAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under -race")
	}
	oru, err := os.ReadFile("testdata/messages/oru_r01_30obx.hl7")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, in string }{
		{"ORU^R01 30 OBX", string(oru)},
		{"OML^O21 two orders", msg(oml251, pid, `PV1|1|O`, `ORC|NW|P1`, `OBR|1|P1||GLU^Glucose^LN`, `ORC|NW|P2`, `OBR|2|P2||NA^Sodium^LN`)},
		{"OML^O21 prior results, then the next order", msg(oml251, pid, `ORC|NW|P1`, `OBR|1|P1||GLU^Glucose^LN`, `PV1|1|O`, `ORC|XO|P0`, `OBR|1|P0||GLU^Glucose^LN`, `OBX|1|NM|GLU^Glucose^LN||5.4|mmol/L|||||F`, `ORC|NW|P2`, `OBR|2|P2||NA^Sodium^LN`)},
		{"OML^O21 2.7 three orders", msg(`MSH|^~\&|A|B|C|D|202601021530||OML^O21^OML_O21|C1|P|2.7`, pid, `ORC|NW|P1`, `OBR|1|P1||GLU^Glucose^LN`, `ORC|NW|P2`, `TQ1|1`, `OBR|2|P2||NA^Sodium^LN`, `ORC|NW|P3`, `OBR|3|P3||K^Potassium^LN`)},
	}
	v := mustValidator(t, Options{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, tt.in)
			if res := v.Validate(m); !res.Valid() || len(res.Issues) > 0 {
				t.Fatalf("not a valid message: %v", issueLines(res))
			}
			if n := testing.AllocsPerRun(100, func() { v.Validate(m) }); n != 0 {
				t.Errorf("validating allocates %v times, want 0", n)
			}
		})
	}
}
