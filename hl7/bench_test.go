package hl7

import (
	"os"
	"testing"
)

func benchFile(b *testing.B, name string) []byte {
	b.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkParse measures parsing into an addressable message (segments and fields indexed).
func BenchmarkParse(b *testing.B) {
	for _, name := range []string{"adt_a01.hl7", "oru_r01_30obx.hl7", "mdm_t02_pdf.hl7"} {
		data := benchFile(b, name)
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGet measures one path lookup, path parsing included, on a parsed ADT^A01.
func BenchmarkGet(b *testing.B) {
	m, err := Parse(benchFile(b, "adt_a01.hl7"))
	if err != nil {
		b.Fatal(err)
	}
	for _, path := range []string{"PID-5.1", "PID-3[2].1", "PV1-3.4", "IN1-3.2"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v, _ := m.Value(path)
				if !v.Present() {
					b.Fatal("absent")
				}
			}
		})
	}
	b.Run("Get/PID-5.1", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if m.Get("PID-5.1") == "" {
				b.Fatal("empty")
			}
		}
	})
}

// BenchmarkSet measures one edit (path parsing, escaping and the segment rebuild).
func BenchmarkSet(b *testing.B) {
	data := benchFile(b, "adt_a01.hl7")
	m, err := Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Set("PID-5.1", "O'BRIEN"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkACK measures building the acknowledgement of a parsed ADT^A01 and encoding it:
// an AA as the engine sends after storing, and an AE with an ERR segment saying where.
func BenchmarkACK(b *testing.B) {
	m, err := Parse(benchFile(b, "adt_a01.hl7"))
	if err != nil {
		b.Fatal(err)
	}
	where, err := ParsePath("PID-3")
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts AckOptions
	}{
		{"AA", AckOptions{}},
		{"AE+ERR", AckOptions{Code: AckAE, Text: "required field missing", Errors: []AckError{{
			Code: ErrCodeRequiredFieldMissing, Text: "PID-3 is required", Location: where}}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ack, err := m.ACK(tc.opts)
				if err != nil {
					b.Fatal(err)
				}
				if len(ack.Bytes()) == 0 {
					b.Fatal("empty ACK")
				}
			}
		})
	}
}
