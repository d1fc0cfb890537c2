package hl7

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

// TestGolden parses every message under testdata and compares its tree (the JSON that
// `courier inspect --json` prints) with testdata/golden/NAME.json. Run with -update to rewrite.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.hl7")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test messages: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".hl7")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(m.Bytes(), data) {
				t.Fatal("not lossless")
			}
			tree := m.Tree()
			if len(data) > 100_000 {
				// Keep the golden file small: the tree of a large binary payload is its length.
				for i := range tree {
					clipLeaves(tree[i].Children)
				}
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(tree); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			golden := filepath.Join("testdata", "golden", name+".json")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./hl7 -run TestGolden -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("tree differs from %s (run with -update to accept):\n%s", golden, firstDiff(got, want))
			}
		})
	}
}

func clipLeaves(nodes []Node) {
	for i := range nodes {
		if len(nodes[i].Value) > 64 {
			nodes[i].Value = nodes[i].Value[:32] + "…(" + itoa(len(nodes[i].Value)) + " bytes)"
		}
		if len(nodes[i].Raw) > 64 {
			nodes[i].Raw = nodes[i].Raw[:32] + "…(" + itoa(len(nodes[i].Raw)) + " bytes)"
		}
		clipLeaves(nodes[i].Children)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// firstDiff shows the first differing line of two texts.
func firstDiff(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return "line " + itoa(i+1) + ":\n got: " + gl + "\nwant: " + wl
		}
	}
	return ""
}
