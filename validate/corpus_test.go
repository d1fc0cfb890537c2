package validate

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/courier-hl7/courier/hl7"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// corpusDir is the shared folder of public sample messages (../shared/corpus beside the
// repository). CI has it; elsewhere the corpus test skips.
const corpusDir = "../../shared/corpus"

// TestCorpus validates every public sample message and compares a summary with
// testdata/corpus-summary.golden: how many messages of each type are valid and invalid, and
// for each file its verdict and its counts of errors, warnings and infos by code. A change in
// validation's behaviour shows up there in review. Run with -update to rewrite it.
func TestCorpus(t *testing.T) {
	var files []string
	err := filepath.WalkDir(corpusDir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".hl7") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil || len(files) == 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("corpus %s is missing under CI: %v", corpusDir, err)
		}
		t.Skipf("no corpus at %s (it sits beside the repository as ../shared/corpus): %v", corpusDir, err)
	}
	slices.Sort(files)
	v := mustValidator(t, Options{})
	type counts struct{ valid, invalid int }
	perType := map[string]*counts{}
	var detail strings.Builder
	total := counts{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(corpusDir, f)
		msgs, err := hl7.ParseFile(data)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			continue
		}
		for i, m := range msgs.Messages() {
			res := validateNoPanic(t, v, m, rel)
			typ := m.Type() + "^" + m.Trigger()
			c := perType[typ]
			if c == nil {
				c = &counts{}
				perType[typ] = c
			}
			verdict := "VALID"
			if res.Valid() {
				c.valid++
				total.valid++
			} else {
				c.invalid++
				total.invalid++
				verdict = "INVALID"
			}
			as := res.Version
			if res.FellBack {
				as = m.Version() + ">" + res.Version
			}
			name := rel
			if len(msgs.Messages()) > 1 {
				name = fmt.Sprintf("%s#%d", rel, i+1)
			}
			fmt.Fprintf(&detail, "%s %s %s %s %s %s\n", name, typ, as, orNone(res.Structure), verdict, codeCounts(res))
		}
	}
	var b strings.Builder
	b.WriteString("# Validation of ../shared/corpus against the standard (no profile, no rules).\n")
	b.WriteString("# Regenerate with: go test ./validate -run TestCorpus -update\n\n")
	b.WriteString("type valid invalid\n")
	types := make([]string, 0, len(perType))
	for typ := range perType {
		types = append(types, typ)
	}
	slices.Sort(types)
	for _, typ := range types {
		fmt.Fprintf(&b, "%s %d %d\n", typ, perType[typ].valid, perType[typ].invalid)
	}
	fmt.Fprintf(&b, "total %d %d\n\n", total.valid, total.invalid)
	b.WriteString("# file type version structure verdict issues (severity+code x count)\n")
	b.WriteString(detail.String())
	got := []byte(b.String())
	golden := filepath.Join("testdata", "corpus-summary.golden")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("corpus summary differs from %s at line %d:\ngot:  %s\nwant: %s\n(run with -update if the change is intended)", golden, i+1, g, w)
				break
			}
		}
	}
}

// validateNoPanic validates m, turning a panic into a test failure that names the file.
func validateNoPanic(t *testing.T, v *Validator, m *hl7.Message, name string) (res Result) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s: validation panicked: %v", name, p)
		}
	}()
	before := bytes.Clone(m.Bytes())
	res = v.Validate(m)
	if m.Modified() || !bytes.Equal(before, m.Bytes()) {
		t.Errorf("%s: validation changed the message", name)
	}
	return res
}

// codeCounts summarises issues as "E100x2 W103x5", sorted.
func codeCounts(res Result) string {
	n := map[string]int{}
	for _, is := range res.Issues {
		n[is.Severity.String()+is.Code]++
	}
	keys := make([]string, 0, len(n))
	for k := range n {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%sx%d", k, n[k]))
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, " ")
}

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
