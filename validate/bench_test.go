package validate

import (
	"os"
	"testing"

	"github.com/courier-hl7/courier/hl7"
)

// BenchmarkValidateORU30 validates an ORU^R01 of 2.5.1 with 30 OBX segments (each with coded,
// numeric, date/time and composite fields) against the standard, the figure recorded in
// docs/BENCHMARKS.md. The message is parsed once; the loop validates.
func BenchmarkValidateORU30(b *testing.B) {
	data, err := os.ReadFile("testdata/messages/oru_r01_30obx.hl7")
	if err != nil {
		b.Fatal(err)
	}
	m, err := hl7.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	v, err := New(Options{})
	if err != nil {
		b.Fatal(err)
	}
	res := v.Validate(m) // compile 2.5.1 outside the loop
	if !res.Valid() || res.Version != "2.5.1" || m.Count("OBX") != 30 {
		b.Fatalf("benchmark message: valid %v version %s, %d OBX: %v", res.Valid(), res.Version, m.Count("OBX"), res.Issues)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		v.Validate(m)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
