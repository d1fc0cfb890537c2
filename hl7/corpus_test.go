package hl7

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir is the shared folder of public sample messages (../shared/corpus beside the
// repository). CI has it; elsewhere the corpus tests skip.
const corpusDir = "../../shared/corpus"

// corpusFiles returns every .hl7 file under the corpus, or skips the test when there is none.
func corpusFiles(t testing.TB) []string {
	t.Helper()
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
	return files
}

// TestCorpus parses every public sample message: each parses, re-encodes byte for byte, and
// has its header facts read.
func TestCorpus(t *testing.T) {
	for _, f := range corpusFiles(t) {
		name := filepath.Base(f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Parse(data)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !bytes.Equal(m.Bytes(), data) {
			t.Errorf("%s: not byte-identical after encoding", name)
		}
		if m.Type() == "" || m.ControlID() == "" {
			t.Errorf("%s: MSH facts missing: type %q control ID %q", name, m.Type(), m.ControlID())
		}
		_ = m.Trigger()
		_ = m.Structure()
		_ = m.Version()
		_ = m.SendingApplication().String()
		_ = m.AckMode()
		if _, err := m.ACK(AckOptions{}); err != nil {
			t.Errorf("%s: ACK: %v", name, err)
		}
	}
}
