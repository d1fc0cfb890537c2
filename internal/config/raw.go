package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// raw is a YAML value with positions, after anchors, aliases and merge keys are resolved and
// duplicate keys reported, before any spec is applied. Keeping this step separate lets
// defaults (Go values) and the file (YAML) go through the same decoder.
type raw struct {
	kind rawKind
	pos  Position

	// Scalars.
	styp    scalarType
	text    string // the string's value, or the source text of a number or boolean
	num     any    // int64, uint64, float64 or bool for a non-string scalar
	quoted  bool   // a quoted string (or tagged !!str): "2575" is not an integer
	strTag  bool   // tagged !!str
	literal bool   // from a Go default: never interpolated
	invalid bool   // already reported (an unknown alias): decoded as absent, without more errors

	entries []rawEntry // mappings, in file order
	items   []*raw     // sequences
}

type rawKind uint8

const (
	rawNull rawKind = iota
	rawScalar
	rawMap
	rawSeq
)

type scalarType uint8

const (
	yamlString scalarType = iota
	yamlInt
	yamlFloat
	yamlBool
)

type rawEntry struct {
	key    string
	keyPos Position
	val    *raw
}

// maxDepth bounds the nesting of a file; a configuration never comes close, and the bound keeps
// hostile input from exhausting the stack.
const maxDepth = 100

// parseYAML turns the file into a raw tree. A syntax error stops parsing (goccy reports one);
// other problems (unknown anchors, unsupported tags, duplicate keys) are collected in errs.
func parseYAML(file string, data []byte, errs *Errors) (result *raw) {
	// The parser is a dependency facing hand-written, sometimes hostile input; should it ever
	// panic, courier lint reports that instead of crashing.
	defer func() {
		if p := recover(); p != nil {
			*errs = append(*errs, &Error{Pos: Position{File: file}, Msg: fmt.Sprintf("the YAML parser failed: %v", p)})
			result = nil
		}
	}()
	f, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		*errs = append(*errs, syntaxError(file, err))
		return nil
	}
	c := &converter{file: file, anchors: map[string]*raw{}, errs: errs}
	var docs []*ast.DocumentNode
	for _, d := range f.Docs {
		if d != nil && d.Body != nil {
			docs = append(docs, d)
		}
	}
	switch len(docs) {
	case 0:
		return &raw{kind: rawMap, pos: Position{File: file, Line: 1, Col: 1}}
	case 1:
		return c.node(docs[0].Body, 0, "")
	default:
		c.errorf(c.pos(docs[1].Body), "", "a configuration is one YAML document; remove this `---` and what follows, or merge it into the first")
		return c.node(docs[0].Body, 0, "")
	}
}

func syntaxError(file string, err error) *Error {
	var ye yaml.Error
	if errors.As(err, &ye) {
		e := &Error{Pos: Position{File: file}, Msg: "YAML syntax: " + ye.GetMessage()}
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			e.Pos.Line, e.Pos.Col = tk.Position.Line, tk.Position.Column
		}
		return e
	}
	return &Error{Pos: Position{File: file}, Msg: "YAML syntax: " + err.Error()}
}

type converter struct {
	file    string
	anchors map[string]*raw
	errs    *Errors
}

func (c *converter) errorf(pos Position, path, format string, args ...any) {
	*c.errs = append(*c.errs, &Error{Pos: pos, Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (c *converter) tokPos(tk *token.Token) Position {
	if tk == nil || tk.Position == nil {
		return Position{File: c.file}
	}
	return Position{File: c.file, Line: tk.Position.Line, Col: tk.Position.Column}
}

// pos returns where a value starts as a reader sees it: the first key of a block mapping, the
// first dash of a block sequence, the value after an anchor or a tag.
func (c *converter) pos(n ast.Node) Position {
	switch v := n.(type) {
	case *ast.MappingNode:
		if !v.IsFlowStyle && len(v.Values) > 0 {
			return c.pos(v.Values[0])
		}
		return c.tokPos(v.Start)
	case *ast.MappingValueNode:
		if v.Key != nil {
			return c.pos(v.Key)
		}
	case *ast.MappingKeyNode:
		if v.Value != nil {
			return c.pos(v.Value)
		}
	case *ast.AnchorNode:
		if v.Value != nil {
			return c.pos(v.Value)
		}
	case *ast.TagNode:
		if v.Value != nil {
			return c.pos(v.Value)
		}
	}
	return c.tokPos(n.GetToken())
}

// node converts n, found at path (the same path syntax as errors from the decoder).
func (c *converter) node(n ast.Node, depth int, path string) *raw {
	if depth > maxDepth {
		c.errorf(c.pos(n), path, "nesting deeper than %d levels", maxDepth)
		return &raw{kind: rawNull, pos: c.pos(n)}
	}
	pos := c.pos(n)
	switch v := n.(type) {
	case *ast.MappingNode:
		return c.mapping(pos, v.Values, depth, path)
	case *ast.MappingValueNode:
		return c.mapping(pos, []*ast.MappingValueNode{v}, depth, path)
	case *ast.SequenceNode:
		r := &raw{kind: rawSeq, pos: pos, items: make([]*raw, 0, len(v.Values))}
		for i, item := range v.Values {
			if item == nil {
				r.items = append(r.items, &raw{kind: rawNull, pos: pos})
				continue
			}
			r.items = append(r.items, c.node(item, depth+1, path+"["+strconv.Itoa(i)+"]"))
		}
		return r
	case *ast.StringNode:
		return &raw{kind: rawScalar, pos: pos, styp: yamlString, text: v.Value, quoted: isQuoted(v.Token)}
	case *ast.LiteralNode:
		text := ""
		if v.Value != nil {
			text = v.Value.Value
		}
		return &raw{kind: rawScalar, pos: pos, styp: yamlString, text: text}
	case *ast.IntegerNode:
		return &raw{kind: rawScalar, pos: pos, styp: yamlInt, text: v.Token.Value, num: v.Value}
	case *ast.FloatNode:
		return &raw{kind: rawScalar, pos: pos, styp: yamlFloat, text: v.Token.Value, num: v.Value}
	case *ast.InfinityNode:
		return &raw{kind: rawScalar, pos: pos, styp: yamlFloat, text: v.Token.Value, num: v.Value}
	case *ast.NanNode:
		return &raw{kind: rawScalar, pos: pos, styp: yamlFloat, text: v.Token.Value, num: math.NaN()}
	case *ast.BoolNode:
		return &raw{kind: rawScalar, pos: pos, styp: yamlBool, text: v.Token.Value, num: v.Value}
	case *ast.NullNode:
		return &raw{kind: rawNull, pos: pos}
	case *ast.AnchorNode:
		var r *raw
		if v.Value == nil {
			r = &raw{kind: rawNull, pos: pos}
		} else {
			r = c.node(v.Value, depth+1, path)
		}
		if v.Name != nil {
			// Registered after its value is converted, so an alias inside its own anchor is
			// an unknown anchor rather than a cycle.
			c.anchors[v.Name.GetToken().Value] = r
		}
		return r
	case *ast.AliasNode:
		name := ""
		if v.Value != nil {
			name = v.Value.GetToken().Value
		}
		target, ok := c.anchors[name]
		if !ok {
			c.errorf(pos, path, "unknown anchor `%s` (define it with `&%s` before using `*%s`)", name, name, name)
			return &raw{kind: rawNull, pos: pos, invalid: true}
		}
		// The alias shares the anchor's content; only its own position is the use site, so a
		// type error in an aliased scalar points where it is used.
		cp := *target
		cp.pos = pos
		return &cp
	case *ast.TagNode:
		return c.tagged(v, depth, path)
	default:
		c.errorf(pos, path, "unsupported YAML %s", n.Type().YAMLName())
		return &raw{kind: rawNull, pos: pos}
	}
}

func isQuoted(tk *token.Token) bool {
	return tk != nil && (tk.Type == token.DoubleQuoteType || tk.Type == token.SingleQuoteType)
}

// tagged handles explicit tags. Only the YAML core tags are accepted; !!str turns any scalar
// into a string, the others only confirm what the value already is.
func (c *converter) tagged(v *ast.TagNode, depth int, path string) *raw {
	pos := c.pos(v)
	tag := ""
	if v.Start != nil {
		tag = v.Start.Value
	}
	var r *raw
	if v.Value == nil {
		r = &raw{kind: rawNull, pos: pos}
	} else {
		r = c.node(v.Value, depth+1, path)
	}
	switch tag {
	case "!!str", "tag:yaml.org,2002:str":
		switch r.kind {
		case rawScalar:
			cp := *r
			cp.styp, cp.num, cp.quoted, cp.strTag = yamlString, nil, true, true
			return &cp
		case rawNull:
			return &raw{kind: rawScalar, pos: r.pos, styp: yamlString, quoted: true, strTag: true}
		}
		c.errorf(pos, path, "`%s` applies to scalars", tag)
	case "!!int", "!!float", "!!bool", "!!null", "!!map", "!!seq":
	default:
		c.errorf(pos, path, "unsupported tag `%s`", tag)
	}
	return r
}

func (c *converter) mapping(pos Position, values []*ast.MappingValueNode, depth int, path string) *raw {
	r := &raw{kind: rawMap, pos: pos}
	seen := map[string]Position{}
	var merges []*raw
	for _, mv := range values {
		if mv == nil {
			continue
		}
		if mv.Key == nil {
			c.errorf(c.tokPos(mv.Start), path, "missing key")
			continue
		}
		key, ok := keyText(mv.Key)
		_, merge := mv.Key.(*ast.MergeKeyNode)
		keyPath := joinKey(path, key)
		if merge {
			keyPath = path
		}
		var val *raw
		if mv.Value == nil {
			val = &raw{kind: rawNull, pos: c.pos(mv)}
		} else {
			val = c.node(mv.Value, depth+1, keyPath)
		}
		if merge {
			merges = append(merges, val)
			continue
		}
		keyPos := c.pos(mv.Key)
		if !ok {
			c.errorf(keyPos, path, "keys must be plain strings")
			continue
		}
		if first, dup := seen[key]; dup {
			c.errorf(keyPos, keyPath, "duplicate key %s (first given at line %d)", quote(key), first.Line)
			continue
		}
		seen[key] = keyPos
		r.entries = append(r.entries, rawEntry{key: key, keyPos: keyPos, val: val})
	}
	// Merge keys (<<: *defaults) add the keys the mapping does not set itself; with a list of
	// mappings, earlier ones win, as in YAML 1.1.
	for _, m := range merges {
		sources := []*raw{m}
		if m.kind == rawSeq {
			sources = m.items
		}
		for _, src := range sources {
			if src.invalid {
				continue
			}
			if src.kind != rawMap {
				c.errorf(src.pos, path, "`<<` merges mappings, got %s", describe(src, false))
				continue
			}
			for _, e := range src.entries {
				if _, dup := seen[e.key]; dup {
					continue
				}
				seen[e.key] = e.keyPos
				r.entries = append(r.entries, e)
			}
		}
	}
	return r
}

func keyText(k ast.MapKeyNode) (string, bool) {
	switch v := k.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NullNode, *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value, true
	case *ast.MappingKeyNode:
		if mk, ok := v.Value.(ast.MapKeyNode); ok {
			return keyText(mk)
		}
	case *ast.TagNode:
		if mk, ok := v.Value.(ast.MapKeyNode); ok {
			return keyText(mk)
		}
	}
	return "", false
}

// fromGo converts a Go value (a Field.Default) to a raw tree at pos. Map keys are sorted so that
// the result does not depend on map order.
func fromGo(v any, pos Position) (*raw, error) {
	switch x := v.(type) {
	case nil:
		return &raw{kind: rawNull, pos: pos, literal: true}, nil
	case string:
		return &raw{kind: rawScalar, pos: pos, styp: yamlString, text: x, literal: true}, nil
	case bool:
		return &raw{kind: rawScalar, pos: pos, styp: yamlBool, text: strconv.FormatBool(x), num: x, literal: true}, nil
	case time.Duration:
		return &raw{kind: rawScalar, pos: pos, styp: yamlString, text: formatDuration(x), literal: true}, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := rv.Int()
		return &raw{kind: rawScalar, pos: pos, styp: yamlInt, text: strconv.FormatInt(n, 10), num: n, literal: true}, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n := rv.Uint()
		return &raw{kind: rawScalar, pos: pos, styp: yamlInt, text: strconv.FormatUint(n, 10), num: n, literal: true}, nil
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		return &raw{kind: rawScalar, pos: pos, styp: yamlFloat, text: strconv.FormatFloat(f, 'g', -1, 64), num: f, literal: true}, nil
	case reflect.Slice, reflect.Array:
		r := &raw{kind: rawSeq, pos: pos, literal: true}
		for i := range rv.Len() {
			item, err := fromGo(rv.Index(i).Interface(), pos)
			if err != nil {
				return nil, err
			}
			r.items = append(r.items, item)
		}
		return r, nil
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("map keys must be strings, not %s", rv.Type().Key())
		}
		r := &raw{kind: rawMap, pos: pos, literal: true}
		keys := make([]string, 0, rv.Len())
		for _, k := range rv.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		for _, k := range keys {
			item, err := fromGo(rv.MapIndex(reflect.ValueOf(k).Convert(rv.Type().Key())).Interface(), pos)
			if err != nil {
				return nil, err
			}
			r.entries = append(r.entries, rawEntry{key: k, keyPos: pos, val: item})
		}
		return r, nil
	}
	return nil, fmt.Errorf("unsupported Go type %T", v)
}

// toGo converts a raw tree to plain Go values without a spec, for Any fields and for checking
// files against the JSON Schema. Strings are returned as written (no interpolation).
func toGo(r *raw) any {
	switch r.kind {
	case rawScalar:
		if r.styp == yamlString {
			return r.text
		}
		return normalizeNum(r.num)
	case rawSeq:
		out := make([]any, len(r.items))
		for i, item := range r.items {
			out[i] = toGo(item)
		}
		return out
	case rawMap:
		out := make(map[string]any, len(r.entries))
		for _, e := range r.entries {
			out[e.key] = toGo(e.val)
		}
		return out
	}
	return nil
}

// describe names what a value is, for "expected X, got Y". A sensitive value is not quoted.
func describe(r *raw, sensitive bool) string {
	switch r.kind {
	case rawNull:
		return "nothing (an empty value)"
	case rawMap:
		return "a mapping"
	case rawSeq:
		return "a list"
	}
	if sensitive {
		return "a value that is not shown because it is secret"
	}
	if r.styp == yamlString && r.quoted {
		return "the string " + quote(r.text)
	}
	return quote(r.text)
}

// quote shows a value from the file in a message: in backticks, shortened when long.
func quote(s string) string {
	if s == "" {
		return "an empty string"
	}
	const max = 60
	if r := []rune(s); len(r) > max {
		s = string(r[:max]) + "…"
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < ' ' || r == '`' || r == 0x7f }) {
		return strconv.Quote(s)
	}
	return "`" + s + "`"
}
