package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/connector"
	"github.com/courier-hl7/courier/internal/server"
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

// TestSchemaOfTheRegistry builds the JSON Schema of the real configuration, every connector
// and step included, within a bound: steps contain steps, and the schema must refer back to
// the step definitions instead of nesting them for ever.
func TestSchemaOfTheRegistry(t *testing.T) {
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := config.JSONSchema(server.RootSpec(), connector.Global().Specs())
		done <- result{b, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("JSONSchema of the registry did not finish within 30 s")
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, r.b); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	var schema struct {
		Defs map[string]json.RawMessage `json:"$defs"`
	}
	if err := json.Unmarshal(compact.Bytes(), &schema); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	reg := connector.Global().Specs()
	for _, cat := range []string{"source", "destination", "step"} {
		kinds := reg.Kinds(cat)
		if len(kinds) == 0 {
			t.Errorf("no %s kinds registered", cat)
		}
		for _, k := range kinds {
			if _, ok := schema.Defs[cat+"."+k]; !ok {
				t.Errorf("$defs has no %s.%s", cat, k)
			}
		}
	}
	// Steps that hold steps (build) refer back to the step definitions.
	nested := 0
	for _, k := range reg.Kinds("step") {
		var def struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(schema.Defs["step."+k], &def); err != nil {
			t.Fatal(err)
		}
		if steps, ok := def.Properties["steps"]; ok {
			nested++
			if !strings.Contains(string(steps), `"$ref":"#/$defs/step.set"`) {
				t.Errorf("step.%s: its steps do not refer to the step definitions: %.300s", k, steps)
			}
		}
	}
	if nested == 0 {
		t.Error("no step kind holds steps: the recursion this test guards is not exercised")
	}
}
