package schematest

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
)

const miniSchema = `{
  "$schema": "http://json-schema.org/draft-06/schema#",
  "id": "test",
  "discriminator": {"propertyName": "resourceType", "mapping": {}},
  "oneOf": [{"$ref": "#/definitions/Pet"}, {"$ref": "#/definitions/Car"}],
  "definitions": {
    "code": {"pattern": "^[^\\s]+(\\s[^\\s]+)*$", "type": "string"},
    "decimal": {"pattern": "^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$", "type": "number"},
    "Pet": {
      "description": "a pet",
      "properties": {
        "resourceType": {"const": "Pet"},
        "kind": {"enum": ["cat", "dog"]},
        "name": {"$ref": "#/definitions/code"},
        "weight": {"$ref": "#/definitions/decimal"},
        "tags": {"items": {"$ref": "#/definitions/code"}, "type": "array"},
        "alive": {"type": "boolean"}
      },
      "additionalProperties": false,
      "required": ["resourceType", "kind"]
    },
    "Car": {
      "properties": {"resourceType": {"const": "Car"}, "wheels": {"type": "integer"}},
      "additionalProperties": false,
      "required": ["resourceType"]
    },
    "Either": {"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "number"}]}
  }
}`

func TestValidate(t *testing.T) {
	s, err := Compile([]byte(miniSchema))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		doc  string
		want string // the violations, joined with "; ", or "" for a valid document
	}{
		{`{"resourceType":"Pet","kind":"cat"}`, ""},
		{`{"resourceType":"Pet","kind":"cat","name":"Tom","weight":4.5,"tags":["a","b c"],"alive":true}`, ""},
		{`{"resourceType":"Car","wheels":4}`, ""},
		{`{"resourceType":"Pet"}`, `: missing required property "kind"`},
		{`{"resourceType":"Pet","kind":"cow"}`, `/kind: cow is not one of the allowed values`},
		{`{"resourceType":"Pet","kind":"cat","name":" Tom"}`, `/name: " Tom" does not match ^[^\s]+(\s[^\s]+)*$`},
		{`{"resourceType":"Pet","kind":"cat","colour":"red"}`, `/colour: property not allowed here`},
		{`{"resourceType":"Pet","kind":"cat","weight":"4.5"}`, `/weight: is a string, want number`},
		{`{"resourceType":"Pet","kind":"cat","tags":["ok",""]}`, `/tags/1: "" does not match ^[^\s]+(\s[^\s]+)*$`},
		{`{"resourceType":"Pet","kind":"cat","alive":"yes"}`, `/alive: is a string, want boolean`},
		{`{"resourceType":"Car","wheels":4.5}`, `/wheels: is a number, want integer`},
		{`{"resourceType":"Boat"}`, `: resourceType "Boat" matches none of the 2 schemas of oneOf`},
		{`[1]`, `: resourceType "" matches none of the 2 schemas of oneOf`},
		{`{"resourceType":"Pet","kind":"cat"} {}`, `: trailing data after the JSON value`},
		{`{"resourceType":`, `: not JSON: unexpected EOF`},
	}
	for _, tt := range tests {
		var got []string
		for _, e := range s.Validate([]byte(tt.doc)) {
			got = append(got, e.Error())
		}
		if g := strings.Join(got, "; "); g != tt.want {
			t.Errorf("Validate(%s)\n got  %s\n want %s", tt.doc, g, tt.want)
		}
	}
}

// TestOneOfWithoutDiscriminator checks the general oneOf: exactly one branch must match.
func TestOneOfWithoutDiscriminator(t *testing.T) {
	s, err := Compile([]byte(`{"$ref":"#/definitions/E","definitions":{"E":{"oneOf":[{"type":"string"},{"type":"integer"},{"type":"number"}]}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for doc, want := range map[string]int{`"x"`: 0, `1.5`: 0, `2`: 1, `true`: 2} {
		if got := len(s.Validate([]byte(doc))); got != want {
			t.Errorf("Validate(%s): %d errors, want %d: %v", doc, got, want, s.Validate([]byte(doc)))
		}
	}
}

func TestDanglingRef(t *testing.T) {
	s, err := Compile([]byte(`{"$ref":"#/definitions/missing"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Dangling) != 1 || len(s.Validate([]byte(`1`))) != 1 {
		t.Errorf("dangling $ref not reported: %v %v", s.Dangling, s.Validate([]byte(`1`)))
	}
}

func TestCompileRejectsUnsupported(t *testing.T) {
	for _, doc := range []string{
		`{"anyOf":[{"type":"string"}]}`,
		`{"$ref":"http://example.org/x"}`,
		`{"additionalProperties":{"type":"string"}}`,
		`{"pattern":"(?<=a)b"}`,
		`{"items":[{"type":"string"}]}`,
	} {
		if _, err := Compile([]byte(doc)); err == nil {
			t.Errorf("Compile(%s) succeeded; want an error", doc)
		}
	}
}

var (
	fhirOnce   sync.Once
	fhirSchema *Schema
	fhirErr    error
)

// TestFHIRSchema checks the real FHIR schema compiles in the subset and tells a good
// Patient from bad ones.
func TestFHIRSchema(t *testing.T) {
	fhirOnce.Do(func() {
		dir, err := CacheDir()
		if err != nil {
			fhirErr = err
			return
		}
		b, err := FHIRSchema(context.Background(), dir)
		if err != nil {
			fhirErr = err
			return
		}
		fhirSchema, fhirErr = Compile(b)
	})
	if fhirErr != nil {
		if os.Getenv("CI") != "true" {
			t.Skipf("FHIR schema unavailable (set CI=true to make this fail): %v", fhirErr)
		}
		t.Fatal(fhirErr)
	}
	good := `{"resourceType":"Patient","id":"a1","gender":"male","birthDate":"2020-01-02","name":[{"family":"Doe","given":["J"]}]}`
	if errs := fhirSchema.Validate([]byte(good)); len(errs) > 0 {
		t.Errorf("valid Patient rejected: %v", errs)
	}
	for _, bad := range []string{
		`{"resourceType":"Patient","gender":"boy"}`,
		`{"resourceType":"Patient","birthDate":"2020-13-01"}`,
		`{"resourceType":"Patient","nickname":"x"}`,
		`{"resourceType":"Patient","name":[{"family":""}]}`,
		`{"resourceType":"Observation","status":"final"}`,
		`{"resourceType":"Observation","code":{"text":"x"},"effectiveDateTime":"2020-01-02T10:00"}`,
		`{"resourceType":"Nope"}`,
	} {
		if errs := fhirSchema.Validate([]byte(bad)); len(errs) == 0 {
			t.Errorf("invalid document accepted: %s", bad)
		}
	}
}
