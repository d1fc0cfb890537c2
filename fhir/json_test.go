package fhir

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// TestJSONString compares jsonString with encoding/json (without HTML escaping) on strings
// that put every kind of byte at every offset of the word-at-a-time scan.
func TestJSONString(t *testing.T) {
	specials := []string{"\"", "\\", "\x00", "\x1f", "\x7f", " ", "\n", "é", "\xff", "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x82", "中", "😀", "<", "&"}
	var inputs []string
	for n := 0; n <= 20; n++ {
		for _, sp := range specials {
			for at := 0; at <= n; at++ {
				base := []byte("abcdefghijklmnopqrstuvwxyz"[:n])
				inputs = append(inputs, string(base[:at])+sp+string(base[at:]))
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			if r.IntN(4) == 0 {
				b[i] = byte(r.IntN(256))
			} else {
				b[i] = byte(0x20 + r.IntN(0x5f))
			}
		}
		inputs = append(inputs, string(b))
	}
	for _, s := range inputs {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		if got := jsonString(nil, s); !bytes.Equal(got, bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Errorf("jsonString(%q) = %s, want %s", s, got, want.Bytes())
		}
	}
}

// TestJSONWordSpecial compares the word-at-a-time test with the byte table on every pair
// of adjacent bytes at every position of a word, the neighbourhood where a borrow could
// carry from one byte into the next.
func TestJSONWordSpecial(t *testing.T) {
	for pos := 0; pos < 7; pos++ {
		for c1 := 0; c1 < 256; c1++ {
			for c2 := 0; c2 < 256; c2++ {
				w := []byte("abcdefgh")
				w[pos], w[pos+1] = byte(c1), byte(c2)
				want := false
				for _, c := range w {
					want = want || jsonSpecial[c] != 0
				}
				if got := jsonWordSpecial(word(string(w), 0)); got != want {
					t.Fatalf("jsonWordSpecial(%q) = %v, want %v", w, got, want)
				}
			}
		}
	}
}
