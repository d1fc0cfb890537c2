package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// extensionPrefix starts keys that objects ignore, as in Docker Compose, so that a file can keep
// anchors for reuse (x-retry: &retry {...}) next to the keys that use them.
const extensionPrefix = "x-"

// maxValues bounds the number of values one decode produces. Aliases share their anchor's
// content, so a small file can describe a huge tree ("billion laughs"); a real configuration
// has a few thousand values.
const maxValues = 1 << 18

// Load reads the configuration file at path and decodes it; see Decode.
func Load(path string, root Spec, reg *Registry, env func(string) (string, bool)) (*Node, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Decode(path, data, root, reg, env)
}

// Decode parses data, the contents of the file filename, and decodes it against the spec root,
// with reg resolving Plugin fields and env looking up variables for ${NAME} (nil means
// os.LookupEnv). Relative ${file:...} paths are resolved against filename's directory.
//
// On success it returns the root Node, whose Warnings list uses of deprecated keys. If the
// file has problems it returns an Errors holding all of them, sorted by position, with the
// Node of what decoded (nil when the file is not YAML): a value with a problem is absent from
// it, so a caller may check the parts without problems further (see ErrorsUnder). A root spec
// that does not validate is a programming error and is returned as a plain error.
func Decode(filename string, data []byte, root Spec, reg *Registry, env func(string) (string, bool)) (*Node, error) {
	if err := root.Validate(); err != nil {
		return nil, err
	}
	if env == nil {
		env = os.LookupEnv
	}
	d := &decoder{file: filename, dir: filepath.Dir(filename), reg: reg, env: env, budget: maxValues}
	n := d.decode(root, data)
	if err := d.errs.Err(); err != nil {
		// What decoded cleanly is returned too (nil when the file is not YAML), so that a
		// caller can check the rest of the file and report all of its problems at once.
		return n, err
	}
	d.warns.sort()
	n.warnings = d.warns
	return n, nil
}

// CheckExamples decodes each of s.Examples and returns the problems of all of them (nil if
// there are none). For a plug-in (category not empty) an example is the object's content, with
// or without its `type` key; for a root spec it is a whole file. Variables in ${...} are not
// looked up: their values are only known where Courier runs. In positions an example is named
// "<category> <name> example <n>" ("<name> example <n>" for a root spec).
func CheckExamples(s Spec, category string, reg *Registry) error {
	if err := s.Validate(); err != nil {
		return err
	}
	var all Errors
	for i, ex := range s.Examples {
		name := strings.TrimSpace(category + " " + s.Name)
		d := &decoder{file: fmt.Sprintf("%s example %d", name, i+1), reg: reg, lenient: true, budget: maxValues,
			env: func(string) (string, bool) { return "", false }}
		if category == "" {
			d.decode(s, []byte(ex))
		} else if r := parseYAML(d.file, []byte(ex), &d.errs); r != nil {
			d.example(s, r)
		}
		all = append(all, d.errs...)
	}
	return all.Err()
}

// example decodes an example of the plug-in s, whose `type` key may be left out.
func (d *decoder) example(s Spec, r *raw) {
	if r.kind != rawMap {
		d.errorf(r.pos, "", "expected a mapping (key: value), got %s", describe(r, false))
		return
	}
	for _, e := range r.entries {
		if e.key == "type" && (e.val.kind != rawScalar || e.val.text != s.Name) {
			d.errorf(e.val.pos, "type", "an example of `%s` has type %s", s.Name, describe(e.val, false))
		}
	}
	d.object(s.Fields, r, "", r.pos, false, s.Name)
}

// decoder applies specs to a raw tree, collecting every problem instead of stopping at the
// first.
type decoder struct {
	file    string
	dir     string // for relative ${file:...} paths
	reg     *Registry
	env     func(string) (string, bool)
	lenient bool // leave ${...} unresolved and unchecked (CheckExamples)
	errs    Errors
	warns   Errors
	budget  int // values left before the file is too large
	depth   int
}

func (d *decoder) errorf(pos Position, path, format string, args ...any) {
	d.errs = append(d.errs, &Error{Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (d *decoder) decode(root Spec, data []byte) *Node {
	r := parseYAML(d.file, data, &d.errs)
	if r == nil {
		return nil
	}
	if r.kind == rawNull {
		r = &raw{kind: rawMap, pos: r.pos}
	}
	if r.kind != rawMap {
		d.errorf(r.pos, "", "expected a mapping of keys (like `%s:`) at the top of the file, got %s", firstName(root.Fields), describe(r, false))
		// Decoded as absent: "missing required key" would only repeat the problem.
		return d.object(root.Fields, nil, "", r.pos, true, "")
	}
	return d.object(root.Fields, r, "", r.pos, false, "")
}

func firstName(fields []Field) string {
	if len(fields) == 0 {
		return "key"
	}
	return fields[0].Name
}

// field decodes the key f of an object: r is its value, or nil when the key is absent, in
// which case the default (or the zero value) applies at the object's position.
func (d *decoder) field(f *Field, r *raw, path string, objPos Position) *Node {
	if r != nil {
		return d.value(f, r, path)
	}
	if f.Default != nil {
		dr, err := fromGo(f.Default, objPos)
		if err != nil {
			d.errs = append(d.errs, &Error{Pos: objPos, Path: path, Msg: "invalid default in the spec", Err: err})
			return d.zero(f, path, objPos)
		}
		return d.value(f, dr, path)
	}
	return d.zero(f, path, objPos)
}

// zero is the node of an absent key without a default: zero scalars, empty collections, an
// object of defaults, and nil for a plug-in (there is no kind to default to).
func (d *decoder) zero(f *Field, path string, pos Position) *Node {
	switch f.Type {
	case Object:
		return d.object(f.Fields, nil, path, pos, true, "")
	case Plugin:
		return nil
	}
	return &Node{def: f, typ: f.Type, pos: pos, path: path, secret: f.Secret, val: zeroValue(f.Type)}
}

func zeroValue(t Type) any {
	switch t {
	case String:
		return ""
	case Int, Size:
		return int64(0)
	case Float:
		return float64(0)
	case Bool:
		return false
	case Duration:
		return time.Duration(0)
	}
	return nil
}

// value decodes a value that is present (in the file, or as a default).
func (d *decoder) value(f *Field, r *raw, path string) *Node {
	if r.invalid {
		return d.zero(f, path, r.pos)
	}
	if !d.enter(r, path) {
		return d.zero(f, path, r.pos)
	}
	defer d.leave()
	switch f.Type {
	case Object:
		if r.kind != rawMap && r.kind != rawNull {
			d.errorf(r.pos, path, "expected a mapping (key: value), got %s", describe(r, false))
			n := d.object(f.Fields, nil, path, r.pos, true, "")
			n.given = true
			return n
		}
		return d.object(f.Fields, r, path, r.pos, false, "")
	case Plugin:
		return d.plugin(f, r, path)
	}
	n := &Node{def: f, typ: f.Type, pos: r.pos, path: path, given: !r.literal, secret: f.Secret}
	switch f.Type {
	case List:
		switch r.kind {
		case rawNull:
		case rawSeq:
			n.items = make([]*Node, 0, len(r.items))
			for i, item := range r.items {
				n.items = append(n.items, d.value(f.Elem, item, path+"["+strconv.Itoa(i)+"]"))
			}
		default:
			d.errorf(r.pos, path, "expected a list, got %s", describe(r, f.Secret))
		}
	case Map:
		switch r.kind {
		case rawNull:
		case rawMap:
			n.entry = make(map[string]*Node, len(r.entries))
			for _, e := range r.entries {
				n.keys = append(n.keys, e.key)
				n.entry[e.key] = d.value(f.Elem, e.val, joinKey(path, e.key))
			}
		default:
			d.errorf(r.pos, path, "expected a mapping (key: value), got %s", describe(r, false))
		}
	case Any:
		n.val = d.anyValue(r, path)
	default:
		d.scalar(n, f, r)
	}
	return n
}

// enter counts one more value and one more level, and reports false (once) when the file is
// too large or too deep; every call that returns true is paired with leave.
func (d *decoder) enter(r *raw, path string) bool {
	d.budget--
	if d.budget < 0 {
		if d.budget == -1 {
			d.errorf(r.pos, path, "more than %d values (after expanding aliases); this is not a configuration Courier can load", maxValues)
		}
		return false
	}
	if d.depth >= maxDepth {
		d.errorf(r.pos, path, "nesting deeper than %d levels", maxDepth)
		return false
	}
	d.depth++
	return true
}

func (d *decoder) leave() { d.depth-- }

// object decodes a mapping against fields. absent means the key was not given at all: its
// required fields are then not reported (the parent reports the key itself if it is required).
// kind is the plug-in kind when the object is a plug-in's, whose `type` key is then allowed.
func (d *decoder) object(fields []Field, r *raw, path string, pos Position, absent bool, kind string) *Node {
	n := &Node{typ: Object, kind: kind, pos: pos, path: path, defs: fields, fields: make(map[string]*Node, len(fields))}
	given := map[string]bool{}
	if r != nil {
		n.given = !r.literal
		for _, e := range r.entries {
			if e.key == "type" && kind != "" || strings.HasPrefix(e.key, extensionPrefix) {
				continue
			}
			fd := findField(fields, e.key)
			if fd == nil {
				d.errorf(e.keyPos, joinKey(path, e.key), "unknown key %s%s", quote(e.key), unknownKeyHint(e.key, fields, kind != ""))
				continue
			}
			given[e.key] = true
			if fd.Deprecated != "" && !e.val.literal {
				d.warns = append(d.warns, &Error{Pos: e.keyPos, Path: joinKey(path, e.key), Msg: "deprecated: " + fd.Deprecated})
			}
			n.fields[e.key] = d.value(fd, e.val, joinKey(path, e.key))
		}
	}
	for i := range fields {
		fd := &fields[i]
		if given[fd.Name] {
			continue
		}
		if fd.Required && !absent {
			d.errorf(pos, path, "missing required key `%s`", fd.Name)
		}
		n.fields[fd.Name] = d.field(fd, nil, joinKey(path, fd.Name), pos)
	}
	return n
}

// plugin decodes an object whose `type` key selects a spec in f.Category. It returns nil when
// the kind is missing or unknown: the other keys cannot be checked without it.
func (d *decoder) plugin(f *Field, r *raw, path string) *Node {
	kinds := d.reg.Kinds(f.Category)
	if r.kind != rawMap {
		d.errorf(r.pos, path, "expected a mapping with a `type` key (%s), got %s", kindList(f.Category, kinds), describe(r, false))
		return nil
	}
	var tr *raw
	for _, e := range r.entries {
		if e.key == "type" {
			tr = e.val
		}
	}
	if tr == nil {
		d.errorf(r.pos, path, "missing required key `type` (%s)", kindList(f.Category, kinds))
		return nil
	}
	typePath := joinKey(path, "type")
	if tr.kind != rawScalar || tr.styp != yamlString {
		d.errorf(tr.pos, typePath, "expected the name of a %s type (%s), got %s", f.Category, kindList(f.Category, kinds), describe(tr, false))
		return nil
	}
	kind := tr.text
	if !tr.literal {
		x, err := d.expand(kind)
		if err != nil {
			d.errs = append(d.errs, &Error{Pos: tr.pos, Path: typePath, Err: err})
			return nil
		}
		if x.unresolved {
			return nil
		}
		kind = x.text
	}
	spec, ok := d.reg.Lookup(f.Category, kind)
	if !ok {
		hint := ""
		if s := suggest(kind, kinds); s != "" {
			hint = fmt.Sprintf("did you mean `%s`? ", s)
		}
		d.errorf(tr.pos, typePath, "unknown %s type %s (%s%s)", f.Category, quote(kind), hint, kindList(f.Category, kinds))
		return nil
	}
	fields := spec.Fields
	if len(f.Fields) > 0 {
		fields = slices.Concat(f.Fields, spec.Fields)
		for _, sf := range f.Fields {
			if findField(spec.Fields, sf.Name) != nil {
				d.errorf(tr.pos, typePath, "the %s type `%s` declares `%s`, which every %s already has (fix the spec)", f.Category, kind, sf.Name, f.Category)
				return nil
			}
		}
	}
	n := d.object(fields, r, path, r.pos, false, kind)
	n.typ = Plugin
	return n
}
