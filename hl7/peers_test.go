package hl7

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// loadPeerSet reads a length-prefixed message set written by ../shared/peers/prep.py, so that
// Courier parses exactly the bytes the other projects' parsers parse. The folder is named by
// COURIER_PEER_DATA; without it the benchmark skips.
func loadPeerSet(b *testing.B, name string) ([][]byte, int) {
	dir := os.Getenv("COURIER_PEER_DATA")
	if dir == "" {
		b.Skip("COURIER_PEER_DATA is not set (see docs/BENCHMARKS.md: python3 ../shared/peers/prep.py CORPUS DIR)")
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		b.Fatal(err)
	}
	var msgs [][]byte
	total := 0
	for len(data) >= 4 {
		n := int(binary.LittleEndian.Uint32(data))
		msgs = append(msgs, data[4:4+n])
		total += n
		data = data[4+n:]
	}
	return msgs, total
}

// BenchmarkPeerCorpus parses the same message set as the peer harnesses. "index" is Courier's
// parse (segments and fields indexed; the form to compare with lazy parsers); "decode" also
// reads every component of every field as text (the form to compare with eager parsers that
// build the whole tree).
func BenchmarkPeerCorpus(b *testing.B) {
	for _, set := range []string{"cr.bin", "raw.bin"} {
		msgs, total := loadPeerSet(b, set)
		fails, exact := 0, 0
		for _, m := range msgs {
			p, err := Parse(m)
			if err != nil {
				fails++
				continue
			}
			if bytes.Equal(p.Bytes(), m) {
				exact++
			}
		}
		b.Logf("%s: %d messages, %d bytes, %d parse failures, %d byte-identical round trips", set, len(msgs), total, fails, exact)
		b.Run(set+"/index", func(b *testing.B) {
			b.SetBytes(int64(total))
			for b.Loop() {
				for _, m := range msgs {
					_, _ = Parse(m)
				}
			}
			b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "msgs/s")
		})
		b.Run(set+"/decode", func(b *testing.B) {
			b.SetBytes(int64(total))
			sink := 0
			for b.Loop() {
				for _, m := range msgs {
					p, err := Parse(m)
					if err != nil {
						continue
					}
					for _, s := range p.Segments() {
						for _, f := range s.Fields() {
							for _, r := range f.Reps() {
								for _, c := range r.Comps() {
									sink += len(c.String())
								}
							}
						}
					}
				}
			}
			b.ReportMetric(float64(b.N*len(msgs))/b.Elapsed().Seconds(), "msgs/s")
			_ = sink
		})
	}
}
