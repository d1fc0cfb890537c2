package dict

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/courier-hl7/courier/hl7/dict/internal/gen"
)

// TestGenerate regenerates the data files from the pinned package and compares them, byte for
// byte, with the committed ones: the generator is deterministic and the committed files are its
// output. It fetches the package with npm pack, or reads the tarball named by
// HL7_DICTIONARY_TGZ. Without npm or the registry it skips, except under CI, where it fails.
func TestGenerate(t *testing.T) {
	tarball := os.Getenv("HL7_DICTIONARY_TGZ")
	if tarball == "" {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		var err error
		if tarball, err = gen.Fetch(ctx, t.TempDir()); err != nil {
			unavailable(t, err)
		}
	}
	tgz, err := os.ReadFile(tarball)
	if err != nil {
		t.Fatal(err)
	}
	files, err := gen.Build(tgz)
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	out := t.TempDir()
	if err := gen.Write(out, files); err != nil {
		t.Fatal(err)
	}

	committed, err := filepath.Glob("data/*.dict.gz")
	if err != nil {
		t.Fatal(err)
	}
	generated, err := filepath.Glob(filepath.Join(out, "*.dict.gz"))
	if err != nil {
		t.Fatal(err)
	}
	names := func(paths []string) []string {
		var n []string
		for _, p := range paths {
			n = append(n, filepath.Base(p))
		}
		slices.Sort(n)
		return n
	}
	if a, b := names(committed), names(generated); !slices.Equal(a, b) {
		t.Fatalf("committed files %v, generated %v; run go generate ./hl7/dict", a, b)
	}
	for _, p := range committed {
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(out, filepath.Base(p)))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: regenerated file differs from the committed one (%d bytes, committed %d); run go generate ./hl7/dict", p, len(got), len(want))
		}
	}

	// A tarball with other bytes is refused.
	bad := slices.Clone(tgz)
	bad[len(bad)/2] ^= 1
	if _, err := gen.Build(bad); err == nil {
		t.Error("a tarball that does not match the pinned integrity was accepted")
	}
}

// unavailable skips a test that needs npm and the npm registry, or fails it under CI.
func unavailable(t *testing.T, err error) {
	t.Helper()
	if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
		t.Fatalf("CI is set, so npm and the npm registry must be reachable to check the generated files: %v", err)
	}
	t.Skipf("npm or the npm registry is unreachable, so the generated files are not checked against a fresh run (set HL7_DICTIONARY_TGZ to a downloaded %s-%s.tgz to run it offline): %v", gen.Package, gen.Version, err)
}
