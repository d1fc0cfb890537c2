package cli

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/courier-hl7/courier/internal/connector"
)

// TestReferenceDocsAreCurrent fails when a spec changed and docs/config.md or
// docs/connectors/ were not regenerated (go run ./cmd/courier docs).
func TestReferenceDocsAreCurrent(t *testing.T) {
	if err := connector.Global().Specs().CheckExamples(); err != nil {
		t.Errorf("spec examples: %v", err)
	}
	for name, want := range referenceDocs(connector.Global().Specs()) {
		got, err := os.ReadFile(filepath.Join("../../docs", name))
		if err != nil || string(got) != want {
			t.Errorf("docs/%s is not current (run: go run ./cmd/courier docs)", name)
		}
	}
}
