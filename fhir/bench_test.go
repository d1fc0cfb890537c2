package fhir

import (
	"fmt"
	"strings"
	"testing"

	"github.com/courier-hl7/courier/hl7"
)

// oru30 is an ORU^R01 with one order and 30 numeric results, the benchmark's message.
func oru30() []byte {
	var b strings.Builder
	b.WriteString("MSH|^~\\&|LAB|GHLAB|EHR|GH|20240316091500-0500||ORU^R01^ORU_R01|BENCH1|P|2.5.1\r")
	b.WriteString("PID|1||MRN12345^^^GH&2.16.840.1.113883.3.999&ISO^MR||Doe^Jane^Q||19800214|F|||12 Main St^^Springfield^IL^62701\r")
	b.WriteString("PV1|1|O|CLINIC1|||||||||||||||||VN6000^^^GH&2.16.840.1.113883.3.999&ISO^VN\r")
	b.WriteString("ORC|RE|PL100^EHR|FL200^LAB||CM||||20240316080000|||1001^Attend^Alice^^^Dr^MD\r")
	b.WriteString("OBR|1|PL100^EHR|FL200^LAB|24323-8^Comprehensive metabolic panel^LN|||20240316070000||||||||||||||||20240316090000|||F\r")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "OBX|%d|NM|%d-%d^Analyte %d^LN||%d.%d|mg/dL^milligram per deciliter^UCUM|10-200|N^Normal^HL70078|||F|||20240316085000\r", i, 2000+i, i%10, i, 50+i, i%10)
	}
	return []byte(b.String())
}

// BenchmarkConvertORU30 measures parse, conversion to a transaction Bundle and JSON for an
// ORU^R01 with 30 OBX.
func BenchmarkConvertORU30(b *testing.B) {
	c, err := NewConverter(Options{})
	if err != nil {
		b.Fatal(err)
	}
	data := oru30()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := hl7.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		bun, err := c.Convert(m)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bun.JSON(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// BenchmarkConvertORU30Stages splits BenchmarkConvertORU30 into its stages.
func BenchmarkConvertORU30Stages(b *testing.B) {
	c, err := NewConverter(Options{})
	if err != nil {
		b.Fatal(err)
	}
	data := oru30()
	m, err := hl7.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	bun, err := c.Convert(m)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := hl7.Parse(data); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("convert", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := c.Convert(m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := bun.JSON(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAppendJSONORU30 measures what BenchmarkConvertORU30 does through AppendJSON, the
// engine's path: parse, then conversion straight to JSON into a buffer reused from message
// to message.
func BenchmarkAppendJSONORU30(b *testing.B) {
	c, err := NewConverter(Options{})
	if err != nil {
		b.Fatal(err)
	}
	data := oru30()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var buf []byte
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := hl7.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		if buf, err = c.AppendJSON(buf[:0], m); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
