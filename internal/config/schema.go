package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Patterns of the JSON Schema. They follow the decoder closely enough for an editor to flag
// mistakes; the decoder stays the judge.
const (
	durationPattern      = `^(0|(([0-9]*[.])?[0-9]+(ns|us|µs|ms|s|m|h))+)$`
	sizePattern          = `^[0-9]+([.][0-9]+)? ?([kKmMgGtT][iI]?)?[bB]$|^[0-9]+$`
	interpolationPattern = `\$\{[^}]*\}`
)

// JSONSchema returns a JSON Schema (draft 2020-12) of files described by root, with the kinds
// registered in reg for its Plugin fields: descriptions, defaults, enums, patterns, bounds,
// required keys, and additionalProperties false everywhere a spec lists the keys (keys
// starting with x- excepted, as in the decoder). A Plugin
// field accepts an object whose `type` is one of its category's kinds, checked against that
// kind's schema (in $defs) with if/then. Scalars other than plain strings also accept a
// string containing ${...}, which is resolved only when Courier loads the file.
//
// The output is deterministic (keys sorted, two-space indent), so it can be committed and
// compared.
func JSONSchema(root Spec, reg *Registry) ([]byte, error) {
	if err := root.Validate(); err != nil {
		return nil, err
	}
	g := &schemaGen{reg: reg, defs: map[string]any{}, prefixes: map[string]string{}}
	s := g.object(root.Fields, "", "")
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	if root.Name != "" {
		s["title"] = root.Name
	}
	if d := joinParas(root.Summary, root.Description); d != "" {
		s["description"] = d
	}
	if len(g.defs) > 0 {
		s["$defs"] = g.defs
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("encode schema: %w", err)
	}
	return buf.Bytes(), nil
}

type schemaGen struct {
	reg  *Registry
	defs map[string]any
	// prefixes names the definitions of a category's kinds with given shared fields after
	// the first place they appear (see plugin): a kind that contains its own category with
	// the same shared fields (steps inside a step) refers to the definitions being made
	// instead of starting a deeper, endless set of them.
	prefixes map[string]string
}

// object is the schema of a mapping with the given fields; kind, when not empty, adds the
// `type` key of a plug-in. scope names the place in the spec tree, for naming $defs.
func (g *schemaGen) object(fields []Field, scope, kind string) map[string]any {
	props := map[string]any{}
	var required []string
	if kind != "" {
		props["type"] = map[string]any{"const": kind}
		required = append(required, "type")
	}
	for i := range fields {
		f := &fields[i]
		props[f.Name] = g.field(f, dotted(scope, f.Name))
		if f.Required {
			required = append(required, f.Name)
		}
	}
	s := map[string]any{
		"type":                 "object",
		"properties":           props,
		"patternProperties":    map[string]any{"^" + extensionPrefix: map[string]any{}},
		"additionalProperties": false,
	}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

func dotted(scope, name string) string {
	if scope == "" {
		return name
	}
	return scope + "." + name
}

// field is the schema of one field with its annotations.
func (g *schemaGen) field(f *Field, scope string) map[string]any {
	s := g.typeSchema(f, scope)
	desc := f.Description
	if f.Deprecated != "" {
		s["deprecated"] = true
		desc = joinParas(desc, "Deprecated: "+f.Deprecated)
	}
	if desc != "" {
		s["description"] = desc
	}
	if f.Default != nil {
		s["default"] = displayValue(f, f.Default)
	}
	if f.Example != nil {
		s["examples"] = []any{displayValue(f, f.Example)}
	}
	if f.Secret {
		s["writeOnly"] = true
	}
	return s
}

func (g *schemaGen) typeSchema(f *Field, scope string) map[string]any {
	interpolated := map[string]any{"type": "string", "pattern": interpolationPattern}
	orInterpolated := func(alts ...map[string]any) map[string]any {
		branches := make([]any, 0, len(alts)+1)
		for _, a := range alts {
			branches = append(branches, a)
		}
		return map[string]any{"anyOf": append(branches, interpolated)}
	}
	bounds := func(s map[string]any) map[string]any {
		if f.Min != nil {
			s["minimum"] = *f.Min
		}
		if f.Max != nil {
			s["maximum"] = *f.Max
		}
		return s
	}
	switch f.Type {
	case String:
		s := map[string]any{"type": "string"}
		if len(f.Enum) == 0 && f.Pattern == "" {
			return s
		}
		if len(f.Enum) > 0 {
			s["enum"] = f.Enum
		}
		if f.Pattern != "" {
			s["pattern"] = f.Pattern
		}
		return orInterpolated(s)
	case Int:
		return orInterpolated(bounds(map[string]any{"type": "integer"}))
	case Float:
		return orInterpolated(bounds(map[string]any{"type": "number"}))
	case Bool:
		return orInterpolated(map[string]any{"type": "boolean"})
	case Duration:
		return orInterpolated(map[string]any{"type": "string", "pattern": durationPattern}, map[string]any{"const": 0})
	case Size:
		n := bounds(map[string]any{"type": "integer"})
		if f.Min == nil {
			n["minimum"] = 0
		}
		return orInterpolated(n, map[string]any{"type": "string", "pattern": sizePattern})
	case List:
		return map[string]any{"type": "array", "items": g.field(f.Elem, scope)}
	case Map:
		return map[string]any{"type": "object", "additionalProperties": g.field(f.Elem, scope)}
	case Object:
		return g.object(f.Fields, scope, "")
	case Plugin:
		return g.plugin(f, scope)
	}
	return map[string]any{}
}

// plugin is the schema of a Plugin field: `type` is one of the kinds, and if/then applies the
// kind's schema from $defs (named by defPrefix), which includes the field's shared fields.
func (g *schemaGen) plugin(f *Field, scope string) map[string]any {
	kinds := g.reg.Kinds(f.Category)
	typ := map[string]any{"type": "string", "description": fmt.Sprintf("The %s type.", f.Category)}
	s := map[string]any{"type": "object", "required": []string{"type"}, "properties": map[string]any{"type": typ}}
	if len(kinds) == 0 {
		return s
	}
	typ["enum"] = kinds
	prefix := g.defPrefix(f, scope)
	var branches []any
	for _, k := range kinds {
		spec, _ := g.reg.Lookup(f.Category, k)
		name := prefix + "." + k
		if _, done := g.defs[name]; !done {
			g.defs[name] = nil // reserve first: a kind may contain its own category (nested steps)
			fields := spec.Fields
			if len(f.Fields) > 0 {
				fields = append(append([]Field(nil), f.Fields...), spec.Fields...)
			}
			def := g.object(fields, name, k)
			def["title"] = k + " " + f.Category
			if spec.Summary != "" {
				def["description"] = spec.Summary
			}
			g.defs[name] = def
		}
		branches = append(branches, map[string]any{
			"if":   map[string]any{"properties": map[string]any{"type": map[string]any{"const": k}}, "required": []string{"type"}},
			"then": map[string]any{"$ref": "#/$defs/" + name},
		})
	}
	s["allOf"] = branches
	return s
}

// defPrefix names the definitions of f's kinds: after the category ("step.set"), or, when
// the category already names definitions with other shared fields, after the field
// ("channels.destinations.mllp"). A Plugin field with the same category and shared fields as
// one seen before uses its definitions, which ends the recursion of steps inside a step.
func (g *schemaGen) defPrefix(f *Field, scope string) string {
	sig := sharedSignature(f)
	if p, ok := g.prefixes[sig]; ok {
		return p
	}
	prefix := f.Category
	for _, p := range g.prefixes {
		if p == prefix {
			prefix = scope
			break
		}
	}
	g.prefixes[sig] = prefix
	return prefix
}

// sharedSignature identifies a Plugin field's category with its shared fields, by their
// names and types: two such fields share their kinds' definitions.
func sharedSignature(f *Field) string {
	var b strings.Builder
	b.WriteString(f.Category)
	for _, sf := range f.Fields {
		fmt.Fprintf(&b, "|%s:%d", sf.Name, sf.Type)
	}
	return b.String()
}

// displayValue converts a Default or Example to how a person writes it in the file: durations
// as strings ("30s" rather than nanoseconds), sizes in their largest exact unit ("16MiB").
func displayValue(f *Field, v any) any {
	switch x := v.(type) {
	case time.Duration:
		return formatDuration(x)
	case string:
		return x
	}
	if f.Type == Size {
		if r, err := fromGo(v, Position{}); err == nil && r.styp == yamlInt {
			if n, ok := intOf(r, r.text, yamlInt); ok {
				return formatSize(n)
			}
		}
	}
	return v
}

func joinParas(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n\n" + b
}
