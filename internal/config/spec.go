package config

import (
	"errors"
	"fmt"
	"regexp"
	"sync"
)

// Type is the type of a configuration value.
type Type int

// The types a Field can have. The zero Type is invalid, so that a field whose Type was
// forgotten is caught when its spec is registered or used.
const (
	String   Type = iota + 1 // a string; any YAML scalar is read as its text
	Int                      // a whole number (int64)
	Float                    // a number (float64)
	Bool                     // true or false
	Duration                 // a Go duration string: 250ms, 5s, 1m30s, 2h; 0 is allowed bare
	Size                     // a byte count: 1024, 512B, 1MB (10^6), 16MiB (2^20), KB..TB, KiB..TiB
	List                     // a sequence of Elem
	Map                      // a mapping from any key to Elem
	Object                   // a mapping with the keys listed in Fields
	Plugin                   // a mapping whose `type` key selects a registered Spec in Category
	Any                      // any YAML value, decoded to string, int64, float64, bool, []any, map[string]any or nil
)

var typeNames = [...]string{
	String: "string", Int: "int", Float: "float", Bool: "bool", Duration: "duration",
	Size: "size", List: "list", Map: "map", Object: "object", Plugin: "plugin", Any: "any",
}

// String returns the type's name as the documentation shows it.
func (t Type) String() string {
	if t < String || t > Any {
		return fmt.Sprintf("Type(%d)", int(t))
	}
	return typeNames[t]
}

// A Spec describes one configurable thing: the whole file, a connector, a transform step. It
// is the single source for decoding, linting, the JSON Schema and the reference docs.
type Spec struct {
	Name        string   // the kind for a registered spec ("mllp"), the file name for the root ("courier.yaml")
	Summary     string   // one line
	Description string   // Markdown paragraphs for the docs
	Fields      []Field  // in the order the docs show them
	Examples    []string // YAML snippets; CheckExamples decodes them, so they cannot rot
}

// Field describes one key of an object. Only Name and Type are required; the other members
// apply to the types their comments name.
type Field struct {
	Name        string // snake_case key
	Type        Type
	Description string // Markdown; the first sentence doubles as the summary in tables
	Default     any    // used when the key is absent, as a Go value (time.Duration or "5s" for Duration); nil = no default
	Required    bool   // the key must be given; a required field has no Default
	Enum        []string
	Min, Max    *float64 // bounds for Int, Float, Size (bytes) and Duration (seconds)
	Pattern     string   // a regular expression a String must match (RE2; anchor it yourself)
	Secret      bool     // String only: redacted when printed, never quoted in errors
	Elem        *Field   // List and Map: the element; its Name is ignored
	Fields      []Field  // Object: its keys. Plugin: keys shared by every kind (name, steps...)
	Category    string   // Plugin: the registry category whose kinds the `type` key selects
	Advanced    bool     // documented under "Advanced"
	Example     any      // a value for the docs and the schema
	Deprecated  string   // non-empty: what to use instead; using the key gives a warning
}

// Bound returns a pointer to v, for Field.Min and Field.Max.
func Bound(v float64) *float64 { return &v }

var (
	fieldNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	kindNameRE  = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
)

// patternCache holds compiled Field.Pattern expressions, shared by every decode.
var patternCache sync.Map // string → *regexp.Regexp

func compilePattern(p string) (*regexp.Regexp, error) {
	if re, ok := patternCache.Load(p); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	patternCache.Store(p, re)
	return re, nil
}

// Validate checks that the spec is well formed: valid field names and types, members that fit
// each type, defaults of the right type. Problems in a spec are programming errors; Register
// and Decode refuse a spec that does not validate.
func (s Spec) Validate() error {
	var errs []error
	validateFields(s.Fields, "", &errs)
	if len(errs) > 0 {
		return fmt.Errorf("spec %q: %w", s.Name, errors.Join(errs...))
	}
	return nil
}

func validateFields(fields []Field, prefix string, errs *[]error) {
	seen := map[string]bool{}
	for i := range fields {
		f := &fields[i]
		path := prefix + f.Name
		if !fieldNameRE.MatchString(f.Name) {
			*errs = append(*errs, fmt.Errorf("field %q: name must be snake_case", path))
		}
		if seen[f.Name] {
			*errs = append(*errs, fmt.Errorf("field %q: declared twice", path))
		}
		seen[f.Name] = true
		validateField(f, path, errs)
	}
}

func validateField(f *Field, path string, errs *[]error) {
	bad := func(format string, args ...any) {
		*errs = append(*errs, fmt.Errorf("field %q: "+format, append([]any{path}, args...)...))
	}
	if f.Type < String || f.Type > Any {
		bad("invalid type %v", f.Type)
		return
	}
	if f.Required && f.Default != nil {
		bad("required fields have no default")
	}
	if len(f.Enum) > 0 && f.Type != String {
		bad("Enum applies to strings, not %v", f.Type)
	}
	if f.Pattern != "" {
		if f.Type != String {
			bad("Pattern applies to strings, not %v", f.Type)
		} else if _, err := compilePattern(f.Pattern); err != nil {
			bad("pattern: %w", err)
		}
	}
	if (f.Min != nil || f.Max != nil) && f.Type != Int && f.Type != Float && f.Type != Size && f.Type != Duration {
		bad("Min and Max apply to numbers, sizes and durations, not %v", f.Type)
	}
	if f.Min != nil && f.Max != nil && *f.Min > *f.Max {
		bad("Min %v is above Max %v", *f.Min, *f.Max)
	}
	if f.Secret && f.Type != String {
		bad("Secret applies to strings, not %v", f.Type)
	}
	switch f.Type {
	case List, Map:
		if f.Elem == nil {
			bad("a %v needs an Elem", f.Type)
		} else {
			if f.Elem.Required || f.Elem.Default != nil {
				bad("Elem has no Required or Default")
			}
			validateField(f.Elem, path+"[]", errs)
		}
	default:
		if f.Elem != nil {
			bad("Elem applies to lists and maps, not %v", f.Type)
		}
	}
	switch f.Type {
	case Object:
		validateFields(f.Fields, path+".", errs)
	case Plugin:
		if !kindNameRE.MatchString(f.Category) {
			bad("a plugin needs a Category")
		}
		for _, sf := range f.Fields {
			if sf.Name == "type" {
				bad("shared field `type` is the plugin's selector")
			}
		}
		validateFields(f.Fields, path+".", errs)
	default:
		if len(f.Fields) > 0 {
			bad("Fields apply to objects and plugins, not %v", f.Type)
		}
		if f.Category != "" {
			bad("Category applies to plugins, not %v", f.Type)
		}
	}
	if f.Default != nil && !containsPlugin(f) {
		// Defaults are decoded exactly like values from the file, so a default of the wrong
		// type is caught here rather than at the first start without the key.
		d := &decoder{file: "default", budget: maxValues}
		r, err := fromGo(f.Default, Position{})
		if err != nil {
			bad("default: %w", err)
		} else if d.value(f, r, path); len(d.errs) > 0 {
			bad("default: %s", d.errs[0].Msg)
		}
	}
}

// containsPlugin reports whether decoding f needs a registry.
func containsPlugin(f *Field) bool {
	switch f.Type {
	case Plugin:
		return true
	case List, Map:
		return f.Elem != nil && containsPlugin(f.Elem)
	case Object:
		for i := range f.Fields {
			if containsPlugin(&f.Fields[i]) {
				return true
			}
		}
	}
	return false
}
