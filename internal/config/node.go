package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"time"
)

// A Node is a decoded value that remembers where it came from. Decode returns the root, an
// Object; constructors read their settings with the accessors, which take the name of a field
// of the node's spec:
//
//	listen := n.String("listen")
//	timeout := n.Duration("read_timeout")
//	for _, dest := range n.List("destinations") { ... dest.Kind() ... }
//
// Absent keys read as their default, or the zero value when there is none; Has tells whether
// a key was given in the file. An absent Object reads as an object of defaults, an absent
// Plugin as nil. Every accessor works on a nil *Node and returns the zero value.
//
// Asking for a name the spec does not declare, or with the accessor of another type, is a
// programming error and panics, like a bad index: the spec and the constructor sit side by
// side in one file, and the first test that decodes an example finds the mistake.
type Node struct {
	def    *Field // the field this value was decoded against; nil for an object or plug-in
	typ    Type
	kind   string // Plugin: the value of `type`
	pos    Position
	path   string
	given  bool // present in the file, as opposed to a default
	secret bool // redacted when printed: a Secret field, or read with ${file:...}

	val any // String, Int, Float, Bool, Duration, Size and Any

	defs   []Field // Object and Plugin: the declared keys, in spec order
	fields map[string]*Node
	items  []*Node          // List
	keys   []string         // Map, in file order
	entry  map[string]*Node // Map

	warnings []*Error // the root only: deprecated keys
}

// Kind returns the kind a Plugin node's `type` key selected ("mllp"), or "" for other nodes.
func (n *Node) Kind() string {
	if n == nil {
		return ""
	}
	return n.kind
}

// Pos returns where the value starts in the file, or the position of the enclosing object for
// an absent key.
func (n *Node) Pos() Position {
	if n == nil {
		return Position{}
	}
	return n.pos
}

// Path returns the value's path from the root, like channels[2].destinations[0].tls.ca.
func (n *Node) Path() string {
	if n == nil {
		return ""
	}
	return n.path
}

// Warnings returns the non-fatal problems of the file (deprecated keys), sorted by position.
// Only the root node returned by Decode has them.
func (n *Node) Warnings() []*Error {
	if n == nil {
		return nil
	}
	return n.warnings
}

// child returns the node of the declared field name, checking the accessor's type.
func (n *Node) child(name string, accessor string, types ...Type) *Node {
	if n == nil {
		return nil
	}
	f := findField(n.defs, name)
	if f == nil {
		panic(fmt.Sprintf("config: %s(%q) at %q: the spec declares no such field", accessor, name, n.path))
	}
	ok := false
	for _, t := range types {
		ok = ok || f.Type == t
	}
	if !ok {
		panic(fmt.Sprintf("config: %s(%q) at %q: the field is a %v", accessor, name, n.path, f.Type))
	}
	return n.fields[name]
}

func value[T any](n *Node) T {
	var zero T
	if n == nil {
		return zero
	}
	v, _ := n.val.(T)
	return v
}

// String returns the String field name.
func (n *Node) String(name string) string { return value[string](n.child(name, "String", String)) }

// Int returns the Int field name.
func (n *Node) Int(name string) int { return int(value[int64](n.child(name, "Int", Int))) }

// Int64 returns the Int field name.
func (n *Node) Int64(name string) int64 { return value[int64](n.child(name, "Int64", Int)) }

// Float returns the Float field name.
func (n *Node) Float(name string) float64 { return value[float64](n.child(name, "Float", Float)) }

// Bool returns the Bool field name.
func (n *Node) Bool(name string) bool { return value[bool](n.child(name, "Bool", Bool)) }

// Duration returns the Duration field name.
func (n *Node) Duration(name string) time.Duration {
	return value[time.Duration](n.child(name, "Duration", Duration))
}

// Size returns the Size field name, in bytes.
func (n *Node) Size(name string) int64 { return value[int64](n.child(name, "Size", Size)) }

// Any returns the Any field name as plain Go values: string, int64, uint64, float64, bool,
// []any, map[string]any or nil.
func (n *Node) Any(name string) any { return n.child(name, "Any", Any).Value() }

// Strings returns the List field name, whose elements are strings.
func (n *Node) Strings(name string) []string {
	c := n.child(name, "Strings", List)
	if c == nil || c.def.Elem.Type != String {
		if c != nil {
			panic(fmt.Sprintf("config: Strings(%q) at %q: the elements are %v", name, n.path, c.def.Elem.Type))
		}
		return nil
	}
	out := make([]string, len(c.items))
	for i, item := range c.items {
		out[i] = value[string](item)
	}
	return out
}

// StringMap returns the Map field name, whose elements are strings.
func (n *Node) StringMap(name string) map[string]string {
	c := n.child(name, "StringMap", Map)
	if c == nil || c.def.Elem.Type != String {
		if c != nil {
			panic(fmt.Sprintf("config: StringMap(%q) at %q: the elements are %v", name, n.path, c.def.Elem.Type))
		}
		return nil
	}
	out := make(map[string]string, len(c.keys))
	for _, k := range c.keys {
		out[k] = value[string](c.entry[k])
	}
	return out
}

// Object returns the Object or Plugin field name: for an absent Object, an object of defaults;
// for an absent Plugin without a default, nil.
func (n *Node) Object(name string) *Node { return n.child(name, "Object", Object, Plugin) }

// List returns the elements of the List field name.
func (n *Node) List(name string) []*Node {
	c := n.child(name, "List", List)
	if c == nil {
		return nil
	}
	return c.items
}

// Map returns the entries of the Map field name; MapKeys gives their order in the file.
func (n *Node) Map(name string) map[string]*Node {
	c := n.child(name, "Map", Map)
	if c == nil {
		return nil
	}
	return c.entry
}

// MapKeys returns the keys of the Map field name in the order of the file.
func (n *Node) MapKeys(name string) []string {
	c := n.child(name, "MapKeys", Map)
	if c == nil {
		return nil
	}
	return c.keys
}

// Has reports whether the key name was given in the file (rather than defaulted). It panics
// if the spec does not declare name.
func (n *Node) Has(name string) bool {
	c := n.child(name, "Has", String, Int, Float, Bool, Duration, Size, List, Map, Object, Plugin, Any)
	return c != nil && c.given
}

// PosOf returns the position of the value of the key name, or the node's own position when the
// key is absent.
func (n *Node) PosOf(name string) Position {
	if c := n.child(name, "PosOf", String, Int, Float, Bool, Duration, Size, List, Map, Object, Plugin, Any); c != nil && c.given {
		return c.pos
	}
	return n.Pos()
}

// Errorf returns a problem with the value of the key name (or with the node itself when name is
// empty), at its position, for checks a spec cannot express: a reference to a channel that
// does not exist, a port already in use. Collect them in an Errors and return Errors.Err().
func (n *Node) Errorf(name, format string, args ...any) *Error {
	e := &Error{Pos: n.Pos(), Path: n.Path(), Msg: fmt.Sprintf(format, args...)}
	if name != "" {
		e.Pos = n.PosOf(name)
		e.Path = joinKey(e.Path, name)
	}
	return e
}

// Value returns the node's decoded value as plain Go values, secrets included: string, int64
// (Int, Size), float64, bool, time.Duration, []any (List), map[string]any (Map, Object, and
// Plugin with its `type`), and for Any what Any documents.
func (n *Node) Value() any { return n.export(false) }

// Redacted is Value with every secret replaced by "***" and durations written as strings
// ("30s"), for printing the effective configuration and for logs.
func (n *Node) Redacted() any { return n.export(true) }

const redactedText = "***"

func (n *Node) export(redact bool) any {
	if n == nil {
		return nil
	}
	switch n.typ {
	case Object, Plugin:
		out := make(map[string]any, len(n.defs)+1)
		if n.kind != "" {
			out["type"] = n.kind
		}
		for _, f := range n.defs {
			if c := n.fields[f.Name]; c != nil {
				out[f.Name] = c.export(redact)
			}
		}
		return out
	case List:
		out := make([]any, len(n.items))
		for i, item := range n.items {
			out[i] = item.export(redact)
		}
		return out
	case Map:
		out := make(map[string]any, len(n.keys))
		for _, k := range n.keys {
			out[k] = n.entry[k].export(redact)
		}
		return out
	}
	if redact {
		if n.secret && n.val != "" {
			return redactedText
		}
		if d, ok := n.val.(time.Duration); ok {
			return formatDuration(d)
		}
	}
	return n.val
}

// MarshalJSON writes the redacted value, so that a Node can never leak a secret through JSON.
func (n *Node) MarshalJSON() ([]byte, error) { return json.Marshal(n.Redacted()) }

// LogValue logs the redacted value, so that passing a Node to log/slog is safe.
func (n *Node) LogValue() slog.Value { return slog.AnyValue(n.Redacted()) }

// Format prints the redacted value as JSON for every verb, so that fmt.Printf("%v", node)
// does not print secrets either.
func (n *Node) Format(f fmt.State, _ rune) {
	b, err := n.MarshalJSON()
	if err != nil {
		fmt.Fprintf(f, "%%!(config.Node: %v)", err)
		return
	}
	f.Write(b)
}

var (
	_ json.Marshaler = (*Node)(nil)
	_ slog.LogValuer = (*Node)(nil)
	_ fmt.Formatter  = (*Node)(nil)
)
