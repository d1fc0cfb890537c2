package transform

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"

	"github.com/courier-hl7/courier/hl7"
)

// ExprError reports an expression that does not compile, or that failed while it ran. Line
// and Column are 1-based positions in the expression's text.
type ExprError struct {
	Expr   string
	Line   int
	Column int
	Msg    string
}

func (e *ExprError) Error() string {
	src := e.Expr
	if len(src) > 80 {
		src = src[:77] + "..."
	}
	if e.Line > 0 {
		return fmt.Sprintf("expression %q: line %d column %d: %s", src, e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("expression %q: %s", src, e.Msg)
}

// exprErrorOf turns an error of package expr into an *ExprError.
func exprErrorOf(src string, err error) *ExprError {
	var fe *file.Error
	if errors.As(err, &fe) {
		return &ExprError{Expr: src, Line: fe.Line, Column: fe.Column + 1, Msg: fe.Message}
	}
	var ee *ExprError
	if errors.As(err, &ee) {
		return ee
	}
	return &ExprError{Expr: src, Msg: err.Error()}
}

// exprEnv is what a running expression sees: the message and, inside a step that works on a
// position, that position. One lives in each run and is reused for every expression.
type exprEnv struct {
	r     *run
	msg   *hl7.Message
	seg   int    // position of the segment the step is working on, or -1
	value string // the text at the step's target
}

// program is one compiled expression. When it has only the shapes exprfast.go knows, it is
// also compiled to a Go closure, which runs instead of expr's machine.
type program struct {
	src      string
	prog     *vm.Program
	fastBool fastBool // for a condition
	fastText fastText // for a value
}

// vmPool recycles expression machines: a vm.VM keeps its stack between runs, so a run of a
// compiled expression does not allocate one.
var vmPool = sync.Pool{New: func() any { return new(vm.VM) }}

// eval runs the expression against env.
func (p *program) eval(env *exprEnv) (any, error) {
	machine := vmPool.Get().(*vm.VM)
	out, err := machine.Run(p.prog, env)
	vmPool.Put(machine)
	if err != nil {
		return nil, exprErrorOf(p.src, err)
	}
	return out, nil
}

// evalBool runs a condition.
func (p *program) evalBool(env *exprEnv) (bool, error) {
	if p.fastBool != nil {
		return p.fastBool(env), nil
	}
	out, err := p.eval(env)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, &ExprError{Expr: p.src, Msg: fmt.Sprintf("the condition gave %s, not true or false", describeValue(out))}
	}
	return b, nil
}

// evalText runs an expression whose result is written into a message.
func (p *program) evalText(env *exprEnv) (string, error) {
	if p.fastText != nil {
		return p.fastText(env), nil
	}
	out, err := p.eval(env)
	if err != nil {
		return "", err
	}
	return toText(out), nil
}

func describeValue(v any) string {
	if v == nil {
		return "nil"
	}
	return fmt.Sprintf("a %T", v)
}

// toText turns an expression's result into the text written into a message.
func toText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'f', -1, 64)
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = toText(e)
		}
		return strings.Join(parts, " ")
	}
	return fmt.Sprint(v)
}

// compiler compiles expressions for one pipeline: it knows the tables lookup() may name and
// the clock now() reads.
type compiler struct {
	tables *Tables
	clock  func() time.Time
	loc    *time.Location
	deps   *Deps
}

// exprKind says what an expression must give.
type exprKind int

const (
	exprAny  exprKind = iota // a value written into a message
	exprBool                 // a condition
)

// compile compiles src. HL7 paths become calls with their paths parsed once; a path that does
// not parse, a table that does not exist or a date pattern that cannot be read is a compile
// error with its position.
func (c *compiler) compile(src string, kind exprKind) (*program, error) {
	if strings.TrimSpace(src) == "" {
		return nil, &ExprError{Expr: src, Msg: "empty expression"}
	}
	pt := &patcher{c: c, markers: map[*ast.CallNode]segRef{}}
	opts := []expr.Option{
		expr.Env(&exprEnv{}),
		expr.Patch(pt),
		expr.MaxNodes(2000),
	}
	opts = append(opts, c.functions(pt)...)
	if kind == exprBool {
		opts = append(opts, expr.AsBool())
	}
	prog, err := expr.Compile(src, opts...)
	if len(pt.errs) > 0 {
		return nil, pt.errs[0].bind(src)
	}
	if err != nil {
		return nil, exprErrorOf(src, err)
	}
	out := &program{src: src, prog: prog}
	if kind == exprBool {
		out.fastBool, _ = pt.compileFastBool(prog.Node())
	} else {
		out.fastText, _ = pt.compileFastText(prog.Node())
	}
	return out, nil
}

// segRef is what a segment accessor (PID, OBX[2], OBX[i], seg) stands for while the patcher
// rewrites the member expressions around it.
type segRef struct {
	name    string   // segment name; "" for seg, the step's current segment
	occ     int      // constant occurrence, 0 = the first
	occExpr ast.Node // a computed occurrence
}

type patchError struct {
	loc file.Location
	msg string
}

func (e patchError) bind(src string) *ExprError {
	line, col := 1, 1
	for i, r := range src {
		if i >= e.loc.From {
			break
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &ExprError{Expr: src, Line: line, Column: col, Msg: e.msg}
}

// patcher rewrites HL7 accessors into calls of the hidden functions below. ast.Walk visits
// children before their parent, so PID becomes a segment marker first, and PID["5.1"] then
// merges the marker and the property into one path.
type patcher struct {
	c       *compiler
	paths   []target
	markers map[*ast.CallNode]segRef
	errs    []patchError
}

func envNode() ast.Node { return &ast.IdentifierNode{Value: "$env"} }

func (pt *patcher) addPath(t target) ast.Node {
	pt.paths = append(pt.paths, t)
	return &ast.IntegerNode{Value: len(pt.paths) - 1}
}

func (pt *patcher) fail(n ast.Node, format string, args ...any) {
	pt.errs = append(pt.errs, patchError{loc: n.Location(), msg: fmt.Sprintf(format, args...)})
}

// isSegmentName reports whether an identifier is a segment accessor: three characters, an
// upper-case letter and upper-case letters or digits, as HL7 names segments.
func isSegmentName(s string) bool {
	if len(s) != 3 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < 3; i++ {
		if !(s[i] >= 'A' && s[i] <= 'Z' || s[i] >= '0' && s[i] <= '9') {
			return false
		}
	}
	return true
}

func (pt *patcher) marker(node *ast.Node, ref segRef) {
	var call *ast.CallNode
	switch {
	case ref.name == "":
		call = &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__cur"}, Arguments: []ast.Node{envNode()}}
	case ref.occExpr != nil:
		call = &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__segocc"}, Arguments: []ast.Node{envNode(), &ast.StringNode{Value: ref.name}, ref.occExpr}}
	default:
		t := target{p: hl7.Path{Segment: ref.name, Occurrence: ref.occ}}
		t.text = t.p.String()
		call = &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__getp"}, Arguments: []ast.Node{envNode(), pt.addPath(t)}}
	}
	ast.Patch(node, call)
	pt.markers[call] = ref
}

func (pt *patcher) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		switch {
		case n.Value == "seg":
			pt.marker(node, segRef{})
		case n.Value == "value":
			ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__value"}, Arguments: []ast.Node{envNode()}})
		case isSegmentName(n.Value):
			pt.marker(node, segRef{name: n.Value})
		}
	case *ast.MemberNode:
		call, ok := n.Node.(*ast.CallNode)
		if !ok {
			return
		}
		ref, ok := pt.markers[call]
		if !ok {
			return
		}
		switch prop := n.Property.(type) {
		case *ast.StringNode:
			pt.field(node, n, ref, prop.Value)
		case *ast.IntegerNode:
			if ref.name == "" || ref.occ != 0 || ref.occExpr != nil {
				pt.fail(n.Property, "a field is written as a string: %s[\"5\"], not %s[5]", refName(ref), refName(ref))
				return
			}
			if prop.Value < 1 {
				pt.fail(n.Property, "segment occurrences start at 1")
				return
			}
			pt.marker(node, segRef{name: ref.name, occ: prop.Value})
		default:
			if ref.name == "" || ref.occ != 0 || ref.occExpr != nil {
				pt.fail(n.Property, "a field is written as a string constant: %s[\"5.1\"]", refName(ref))
				return
			}
			pt.marker(node, segRef{name: ref.name, occExpr: n.Property})
		}
	case *ast.CallNode:
		pt.call(node, n)
	}
}

func refName(ref segRef) string {
	if ref.name == "" {
		return "seg"
	}
	return ref.name
}

// field rewrites PID["5.1"], OBX[2]["5"], OBX[i]["5"] and seg["5"].
func (pt *patcher) field(node *ast.Node, n *ast.MemberNode, ref segRef, prop string) {
	name := ref.name
	if name == "" {
		name = "ZZZ" // any name: seg reads the step's current segment
	}
	text := name + "-" + prop
	if ref.occ > 0 {
		text = fmt.Sprintf("%s[%d]-%s", name, ref.occ, prop)
	}
	t, err := parseTarget(text)
	if err != nil || t.wild() {
		detail := "write fields like \"5\", \"5.1\" or \"3[2].1\""
		if t.wild() {
			detail = "[*] names several values: use values(\"" + refName(ref) + "[*]-" + prop + "\")"
		}
		pt.fail(n.Property, "%s[%q]: %s", refName(ref), prop, detail)
		return
	}
	t.text = text
	switch {
	case ref.name == "":
		t.text = "seg-" + prop
		ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__getseg"}, Arguments: []ast.Node{envNode(), pt.addPath(t)}})
	case ref.occExpr != nil:
		ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__getocc"}, Arguments: []ast.Node{envNode(), pt.addPath(t), ref.occExpr}})
	default:
		ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__getp"}, Arguments: []ast.Node{envNode(), pt.addPath(t)}})
	}
}

// call rewrites get, exists, values and count to read the message, parsing constant paths
// now; it checks the tables lookup names and the patterns date and now are given.
func (pt *patcher) call(node *ast.Node, n *ast.CallNode) {
	id, ok := n.Callee.(*ast.IdentifierNode)
	if !ok {
		return
	}
	constArg := func(i int) (string, bool) {
		if i >= len(n.Arguments) {
			return "", false
		}
		s, ok := n.Arguments[i].(*ast.StringNode)
		if !ok {
			return "", false
		}
		return s.Value, true
	}
	switch id.Value {
	case "get", "exists", "values", "count":
		if len(n.Arguments) != 1 {
			pt.fail(n, "%s takes one argument, a path like \"PID-5.1\"", id.Value)
			return
		}
		if id.Value == "count" {
			if s, ok := constArg(0); ok {
				if _, err := parseCount(s); err != nil {
					pt.fail(n.Arguments[0], "%v", err)
					return
				}
			}
			ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__count"}, Arguments: []ast.Node{envNode(), n.Arguments[0]}})
			return
		}
		s, isConst := constArg(0)
		if !isConst {
			ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__" + id.Value + "d"}, Arguments: []ast.Node{envNode(), n.Arguments[0]}})
			return
		}
		t, err := parseTarget(s)
		if err != nil {
			pt.fail(n.Arguments[0], "%v", err)
			return
		}
		if t.wild() && id.Value != "values" {
			pt.fail(n.Arguments[0], "%s(%q): [*] names several values; use values(%q)", id.Value, s, s)
			return
		}
		ast.Patch(node, &ast.CallNode{Callee: &ast.IdentifierNode{Value: "__" + id.Value + "p"}, Arguments: []ast.Node{envNode(), pt.addPath(t)}})
	case "lookup":
		if name, ok := constArg(0); ok && pt.c.tables != nil {
			if _, err := pt.c.tables.Table(name); err != nil {
				pt.fail(n.Arguments[0], "%v", err)
			}
		}
	case "date":
		for i := 1; i < len(n.Arguments); i++ {
			if s, ok := constArg(i); ok {
				if _, err := parseDateLayout(s); err != nil {
					pt.fail(n.Arguments[i], "%v", err)
				}
			}
		}
	case "now":
		if s, ok := constArg(0); ok {
			if _, err := parseDateLayout(s); err != nil {
				pt.fail(n.Arguments[0], "%v", err)
			}
		}
	}
}

// parseCount reads the argument of count: a segment name, or a path whose repetitions are
// counted.
func parseCount(s string) (target, error) {
	if len(s) == 3 {
		p, err := hl7.ParsePath(s)
		return target{text: s, p: p}, err
	}
	t, err := parseTarget(s)
	if err != nil {
		return t, err
	}
	if t.p.Field == 0 && !t.allOcc {
		return t, fmt.Errorf("count(%q): give a segment name (\"OBX\") or a field (\"PID-3\")", s)
	}
	return t, nil
}

// layoutCache holds date patterns parsed at run time (patterns computed by the expression).
var layoutCache sync.Map // string → dateLayout

func layoutOf(s string) (dateLayout, error) {
	if l, ok := layoutCache.Load(s); ok {
		return l.(dateLayout), nil
	}
	l, err := parseDateLayout(s)
	if err != nil {
		return l, err
	}
	// s may be a value read from a message without copying (see text): the cache keeps a
	// copy, so that it does not hold on to the message's bytes.
	layoutCache.Store(strings.Clone(s), l)
	return l, nil
}

func envOf(a any) *exprEnv {
	e, _ := a.(*exprEnv)
	if e == nil || e.msg == nil {
		return &exprEnv{seg: -1}
	}
	return e
}

// functions returns the functions expressions can call: the hidden ones the patcher calls and
// the helpers of the documentation. Each closure sees the paths of this one expression.
func (c *compiler) functions(pt *patcher) []expr.Option {
	getp := func(a ...any) (any, error) {
		e := envOf(a[0])
		if e.msg == nil {
			return "", nil
		}
		return text(e.r, e.msg.ValueAt(pt.paths[a[1].(int)].p), e.msg.Delimiters()), nil
	}
	clock := c.clock
	if clock == nil {
		clock = time.Now
	}
	loc := c.loc
	return []expr.Option{
		expr.Function("__getp", getp, new(func(any, int) string)),
		expr.Function("__getd", func(a ...any) (any, error) {
			t, err := parseTarget(a[1].(string))
			if err != nil {
				return nil, err
			}
			if t.wild() {
				return nil, fmt.Errorf("get(%q): [*] names several values; use values()", t.text)
			}
			e := envOf(a[0])
			if e.msg == nil {
				return "", nil
			}
			return e.msg.ValueAt(t.p).String(), nil
		}, new(func(any, string) string)),
		expr.Function("__getseg", func(a ...any) (any, error) {
			e := envOf(a[0])
			if e.msg == nil {
				return "", nil
			}
			return text(e.r, valueIn(e.msg, e.seg, pt.paths[a[1].(int)].p), e.msg.Delimiters()), nil
		}, new(func(any, int) string)),
		expr.Function("__cur", func(a ...any) (any, error) {
			e := envOf(a[0])
			if e.msg == nil || e.seg < 0 || e.seg >= e.msg.NumSegments() {
				return "", nil
			}
			return e.msg.Segment(e.seg).String(), nil
		}, new(func(any) string)),
		expr.Function("__getocc", func(a ...any) (any, error) {
			occ, err := toOccurrence(a[2])
			if err != nil {
				return nil, err
			}
			e := envOf(a[0])
			if e.msg == nil {
				return "", nil
			}
			p := pt.paths[a[1].(int)].p
			p.Occurrence = occ
			return e.msg.ValueAt(p).String(), nil
		}, new(func(any, int, any) string)),
		expr.Function("__segocc", func(a ...any) (any, error) {
			occ, err := toOccurrence(a[2])
			if err != nil {
				return nil, err
			}
			e := envOf(a[0])
			if e.msg == nil {
				return "", nil
			}
			return e.msg.ValueAt(hl7.Path{Segment: a[1].(string), Occurrence: occ}).String(), nil
		}, new(func(any, string, any) string)),
		expr.Function("__value", func(a ...any) (any, error) {
			return envOf(a[0]).value, nil
		}, new(func(any) string)),
		expr.Function("__existsp", func(a ...any) (any, error) {
			e := envOf(a[0])
			return e.msg != nil && exists(e.msg.ValueAt(pt.paths[a[1].(int)].p)), nil
		}, new(func(any, int) bool)),
		expr.Function("__existsd", func(a ...any) (any, error) {
			t, err := parseTarget(a[1].(string))
			if err != nil {
				return nil, err
			}
			e := envOf(a[0])
			return e.msg != nil && exists(e.msg.ValueAt(t.p)), nil
		}, new(func(any, string) bool)),
		expr.Function("__valuesp", func(a ...any) (any, error) {
			return values(envOf(a[0]).msg, pt.paths[a[1].(int)]), nil
		}, new(func(any, int) []any)),
		expr.Function("__valuesd", func(a ...any) (any, error) {
			t, err := parseTarget(a[1].(string))
			if err != nil {
				return nil, err
			}
			return values(envOf(a[0]).msg, t), nil
		}, new(func(any, string) []any)),
		expr.Function("__count", func(a ...any) (any, error) {
			t, err := parseCount(a[1].(string))
			if err != nil {
				return nil, err
			}
			return countOf(envOf(a[0]).msg, t), nil
		}, new(func(any, string) int)),
		// get, exists, values and count are declared so that the checker knows them; the
		// patcher always replaces their calls.
		expr.Function("get", func(a ...any) (any, error) { return "", nil }, new(func(string) string)),
		expr.Function("exists", func(a ...any) (any, error) { return false, nil }, new(func(string) bool)),
		expr.Function("values", func(a ...any) (any, error) { return []any{}, nil }, new(func(string) []any)),
		expr.Function("count", func(a ...any) (any, error) { return 0, nil }, new(func(string) int)),
		expr.Function("lookup", func(a ...any) (any, error) {
			if c.tables == nil {
				return nil, errors.New("no tables are defined")
			}
			v, ok, err := c.tables.Lookup(a[0].(string), a[1].(string))
			if err != nil {
				return nil, err
			}
			if !ok {
				if len(a) > 2 {
					return a[2].(string), nil
				}
				return "", nil
			}
			return v, nil
		}, new(func(string, string) string), new(func(string, string, string) string)),
		expr.Function("now", func(a ...any) (any, error) {
			t := clock()
			if loc != nil {
				t = t.In(loc)
			}
			ht := hl7.Time{Time: t.Truncate(time.Second), Precision: hl7.PrecisionSecond, HasOffset: true}
			if len(a) == 0 {
				return ht.Format(), nil
			}
			l, err := layoutOf(a[0].(string))
			if err != nil {
				return nil, err
			}
			return l.format(ht), nil
		}, new(func() string), new(func(string) string)),
		expr.Function("date", func(a ...any) (any, error) {
			s := a[0].(string)
			if s == "" || s == `""` {
				return "", nil
			}
			from, to := "HL7", a[1].(string)
			if len(a) == 3 {
				from, to = a[1].(string), a[2].(string)
			}
			fl, err := layoutOf(from)
			if err != nil {
				return nil, err
			}
			tl, err := layoutOf(to)
			if err != nil {
				return nil, err
			}
			t, err := fl.parse(s, time.UTC)
			if err != nil {
				return nil, err
			}
			return tl.format(t), nil
		}, new(func(string, string) string), new(func(string, string, string) string)),
		expr.Function("num", func(a ...any) (any, error) {
			s := strings.TrimSpace(a[0].(string))
			f, err := strconv.ParseFloat(s, 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				if len(a) > 1 {
					return toFloat(a[1])
				}
				return nil, fmt.Errorf("num: %q is not a number (give a default: num(value, 0))", clipText(s))
			}
			return f, nil
		}, new(func(string) float64), new(func(string, float64) float64), new(func(string, int) float64)),
		expr.Function("digits", func(a ...any) (any, error) {
			return digitsOf(a[0].(string)), nil
		}, new(func(string) string)),
		expr.Function("pad", func(a ...any) (any, error) {
			s, w := a[0].(string), a[1].(int)
			fill := "0"
			if len(a) > 2 {
				fill = a[2].(string)
			}
			return padLeft(s, w, fill)
		}, new(func(string, int) string), new(func(string, int, string) string)),
	}
}

func toOccurrence(v any) (int, error) {
	switch x := v.(type) {
	case int:
		if x >= 1 && x <= 1<<20 {
			return x, nil
		}
	case float64:
		if x >= 1 && x <= 1<<20 && x == math.Trunc(x) {
			return int(x), nil
		}
	}
	return 0, fmt.Errorf("segment occurrence %v: occurrences are whole numbers from 1", v)
}

func toFloat(v any) (any, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int:
		return float64(x), nil
	}
	return nil, fmt.Errorf("num: the default must be a number")
}

// clipText shortens a value quoted in an error: errors are logged, values are patient data.
func clipText(s string) string {
	if len(s) > 20 {
		return s[:17] + "..."
	}
	return s
}

// exists reports whether a value is present and holds something.
func exists(v hl7.Value) bool { return v.Present() && !v.IsEmpty() }

// values returns the text at every position t names; a path without an occurrence counts
// every segment of its name.
func values(m *hl7.Message, t target) []any {
	if m == nil {
		return []any{}
	}
	if t.p.Occurrence == 0 {
		t.allOcc = true
	}
	out := []any{}
	_ = t.each(m, false, func(p hl7.Path, _ int) error {
		if v := m.ValueAt(p); v.Present() {
			out = append(out, v.String())
		}
		return nil
	})
	return out
}

// countOf counts what count(x) names: the segments of a name, the repetitions of a field
// (of the first segment, or of each with [*]), or the positions a path with [*] names.
func countOf(m *hl7.Message, t target) int {
	switch {
	case m == nil:
		return 0
	case t.p.Field == 0 && !t.allOcc:
		return m.Count(t.p.Segment)
	case t.wild():
		n := 0
		_ = t.each(m, false, func(p hl7.Path, _ int) error {
			if t.p.Field == 0 || t.allRep || p.Repetition > 0 || p.Component > 0 {
				n++
			} else {
				n += m.ValueAt(p).NumReps()
			}
			return nil
		})
		return n
	case t.p.Repetition == 0 && t.p.Component == 0:
		return m.ValueAt(t.p).NumReps()
	}
	if exists(m.ValueAt(t.p)) {
		return 1
	}
	return 0
}

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// maxPad bounds padding, which an expression could otherwise ask to be any size.
const maxPad = 1024

func padLeft(s string, width int, fill string) (string, error) {
	if width > maxPad {
		return "", fmt.Errorf("pad: width %d is above %d", width, maxPad)
	}
	if fill == "" {
		return "", errors.New("pad: empty fill")
	}
	n := width - len([]rune(s))
	if n <= 0 {
		return s, nil
	}
	fr := []rune(fill)
	out := make([]rune, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, fr[i%len(fr)])
	}
	return string(out) + s, nil
}

// titleCase upper-cases the first letter of each word and lower-cases the rest; a letter
// after an apostrophe or a hyphen starts a word (O'Brien, Smith-Jones).
func titleCase(s string) string {
	rs := []rune(s)
	start := true
	for i, r := range rs {
		if unicode.IsLetter(r) {
			if start {
				rs[i] = unicode.ToUpper(r)
			} else {
				rs[i] = unicode.ToLower(r)
			}
			start = false
			continue
		}
		start = true
	}
	return string(rs)
}
