package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestJSONSchemaGolden(t *testing.T) {
	got, err := JSONSchema(testRoot(), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	if !json.Valid(got) {
		t.Fatal("JSONSchema output is not valid JSON")
	}
	golden(t, "testdata/schema.golden.json", got)

	again, _ := JSONSchema(testRoot(), testRegistry(t))
	if !bytes.Equal(got, again) {
		t.Error("JSONSchema output differs between two runs")
	}
}

// TestJSONSchemaConformance checks the schema against the test files with a small validator
// of the keywords JSONSchema emits: the good files conform, and the bad files that a schema
// can judge (unknown keys, enums, ranges, required keys, types) do not.
func TestJSONSchemaConformance(t *testing.T) {
	data, err := JSONSchema(testRoot(), testRegistry(t))
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	v := &miniValidator{root: schema}
	load := func(file string) any {
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var errs Errors
		r := parseYAML(file, src, &errs)
		if len(errs) > 0 {
			t.Fatalf("%s: %v", file, errs)
		}
		return toGo(r)
	}
	good, _ := filepath.Glob("testdata/*.good.yaml")
	for _, file := range good {
		if problems := v.validate(schema, load(file), ""); len(problems) > 0 {
			t.Errorf("%s does not conform to the schema:\n%s", file, strings.Join(problems, "\n"))
		}
	}
	for _, tt := range []struct{ file, want string }{
		{"testdata/unknown_keys.bad.yaml", "/server: additional property tls_ca"},
		{"testdata/unknown_keys.bad.yaml", "/channels/0/destinations/0: additional property retries"},
		{"testdata/values.bad.yaml", "/server/log_level: no branch of anyOf"},
		{"testdata/values.bad.yaml", "/channels/0/destinations/0/port: no branch of anyOf"},
		{"testdata/required.bad.yaml", ": missing required property store"},
		{"testdata/required.bad.yaml", "/channels/1/destinations/0: missing required property host"},
		{"testdata/types.bad.yaml", "/channels/0/steps: not of type array"},
		{"testdata/plugins.bad.yaml", "/channels/0/source/type: not in enum"},
	} {
		problems := v.validate(schema, load(tt.file), "")
		if !slices.Contains(problems, tt.want) {
			t.Errorf("%s: the schema does not report %q; it reports:\n%s", tt.file, tt.want, strings.Join(problems, "\n"))
		}
	}
}

// miniValidator implements the JSON Schema 2020-12 keywords that JSONSchema emits. Problems
// are "path: what", with JSON Pointer paths.
type miniValidator struct{ root map[string]any }

func (v *miniValidator) validate(schema, x any, path string) []string {
	s, ok := schema.(map[string]any)
	if !ok {
		if schema == false {
			return []string{path + ": schema false"}
		}
		return nil
	}
	var out []string
	fail := func(format string, args ...any) { out = append(out, path+": "+fmt.Sprintf(format, args...)) }
	if ref, ok := s["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/$defs/")
		def := v.root["$defs"].(map[string]any)[name]
		if def == nil {
			fail("unresolved $ref %s", ref)
		}
		out = append(out, v.validate(def, x, path)...)
	}
	if typ, ok := s["type"].(string); ok && !hasJSONType(x, typ) {
		fail("not of type %s", typ)
		return out
	}
	if enum, ok := s["enum"].([]any); ok && !slices.ContainsFunc(enum, func(e any) bool { return jsonEqual(e, x) }) {
		fail("not in enum")
	}
	if c, ok := s["const"]; ok && !jsonEqual(c, x) {
		fail("not const %v", c)
	}
	if p, ok := s["pattern"].(string); ok {
		if str, ok := x.(string); ok && !regexp.MustCompile(p).MatchString(str) {
			fail("does not match %s", p)
		}
	}
	if f, ok := toFloat(x); ok {
		if m, ok := s["minimum"].(float64); ok && f < m {
			fail("below minimum")
		}
		if m, ok := s["maximum"].(float64); ok && f > m {
			fail("above maximum")
		}
	}
	if obj, ok := x.(map[string]any); ok {
		props, _ := s["properties"].(map[string]any)
		for _, r := range asSlice(s["required"]) {
			if _, ok := obj[r.(string)]; !ok {
				fail("missing required property %s", r)
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		patterns, _ := s["patternProperties"].(map[string]any)
	keys:
		for _, k := range keys {
			if ps, ok := props[k]; ok {
				out = append(out, v.validate(ps, obj[k], path+"/"+k)...)
				continue
			}
			for p, ps := range patterns {
				if regexp.MustCompile(p).MatchString(k) {
					out = append(out, v.validate(ps, obj[k], path+"/"+k)...)
					continue keys
				}
			}
			switch ap := s["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("additional property %s", k)
				}
			case map[string]any:
				out = append(out, v.validate(ap, obj[k], path+"/"+k)...)
			}
		}
	}
	if arr, ok := x.([]any); ok {
		if items, ok := s["items"]; ok {
			for i, item := range arr {
				out = append(out, v.validate(items, item, fmt.Sprintf("%s/%d", path, i))...)
			}
		}
	}
	if anyOf := asSlice(s["anyOf"]); len(anyOf) > 0 {
		if !slices.ContainsFunc(anyOf, func(b any) bool { return len(v.validate(b, x, path)) == 0 }) {
			fail("no branch of anyOf")
		}
	}
	for _, sub := range asSlice(s["allOf"]) {
		out = append(out, v.validate(sub, x, path)...)
	}
	if cond, ok := s["if"]; ok && len(v.validate(cond, x, path)) == 0 {
		if then, ok := s["then"]; ok {
			out = append(out, v.validate(then, x, path)...)
		}
	}
	return out
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func hasJSONType(x any, typ string) bool {
	switch typ {
	case "object":
		_, ok := x.(map[string]any)
		return ok
	case "array":
		_, ok := x.([]any)
		return ok
	case "string":
		_, ok := x.(string)
		return ok
	case "boolean":
		_, ok := x.(bool)
		return ok
	case "number":
		_, ok := toFloat(x)
		return ok
	case "integer":
		f, ok := toFloat(x)
		return ok && f == float64(int64(f))
	case "null":
		return x == nil
	}
	return false
}

func toFloat(x any) (float64, bool) {
	switch n := x.(type) {
	case int64:
		return float64(n), true
	case uint64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

func jsonEqual(a, b any) bool {
	fa, oka := toFloat(a)
	fb, okb := toFloat(b)
	if oka || okb {
		return oka && okb && fa == fb
	}
	return a == b
}

// golden compares got with the file, or rewrites the file with -update.
func golden(t *testing.T, file string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run go test -update and review the diff):\n%s", file, got)
	}
}
