package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode checks that no input makes Decode panic or hang, and that what it returns is
// consistent: either a node that can be printed, or Errors whose every entry has a position in
// the file.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"", "~", "[]", "store: {}\nx-a: &a {b: *a}\n", "store: {<<: [*a]}\n", "store: !!binary x\n",
		"store: {}\nchannels: [{name: a, source: {type: ${X:-mllp}}}]\n", "store: {path: \"$${\"}\n",
		"? [a]\n: b\n", "store:\n  - 1\n  - {a: 1, a: 1}\n", "extensions: &x [*x]\n",
	} {
		f.Add([]byte(s))
	}
	root, reg := testRoot(), testRegistry(f)
	name := filepath.Join(f.TempDir(), "fuzz.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		n, err := Decode(name, data, root, reg, stdEnv)
		if err != nil {
			es := AsErrors(err)
			if len(es) == 0 {
				t.Fatalf("Decode returned a %T, not Errors: %v", err, err)
			}
			for _, e := range es {
				if e.Pos.File != name || e.Pos.Line < 0 || e.Msg == "" && e.Err == nil {
					t.Fatalf("malformed error %#v", e)
				}
			}
			return
		}
		if n == nil {
			t.Fatal("Decode returned neither a node nor an error")
		}
		if _, err := n.MarshalJSON(); err != nil {
			t.Fatalf("MarshalJSON: %v", err)
		}
		_ = n.Value()
	})
}
