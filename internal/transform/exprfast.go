package transform

import (
	"math"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
)

// Most filters, conditions and route rules are a handful of shapes: an HL7 value compared with
// a constant (MSH["9.1"] == "ORU"), a value in a list of constants (PV1["2"] in ["O", "I"]),
// exists("PID-11"), joined by and, or and not; and many set expressions transform one value
// (upper(PID["5.1"])). expr's machine runs them correctly but, per run, allocates its argument
// buffer, boxes every string a function returns into an interface, and goes through reflection
// for "in": 9 of the 100 allocations of a 10-step mapping, and a quarter of the time of one
// whose steps set a value with an expression on each of 30 OBX. Expressions made only of these
// shapes are compiled a second time, here, into Go closures that read the message directly.
// Numbers take part as num(value, default) and constants, compared with each other, and a
// ternary chooses between texts (num(seg["5"], 0) > 40 ? "H" : seg["8"]).
// Any other node keeps the whole expression on expr's machine, so the closures only ever
// evaluate what they can evaluate exactly as expr does: none of these nodes can fail.

// fastBool is a condition compiled to Go.
type fastBool func(e *exprEnv) bool

// fastText is a text-valued expression compiled to Go.
type fastText func(e *exprEnv) string

// fastNum is a number-valued expression compiled to Go. expr compares an int with a float64
// as float64, so numbers are float64 here; integer constants beyond 2^53 keep an expression
// on expr's machine.
type fastNum func(e *exprEnv) float64

// compileFastBool returns n as a Go closure, or false when n has a node it does not know.
func (pt *patcher) compileFastBool(n ast.Node) (fastBool, bool) {
	switch n := n.(type) {
	case *ast.ConditionalNode:
		c, ok1 := pt.compileFastBool(n.Cond)
		a, ok2 := pt.compileFastBool(n.Exp1)
		b, ok3 := pt.compileFastBool(n.Exp2)
		if !ok1 || !ok2 || !ok3 {
			return nil, false
		}
		return func(e *exprEnv) bool {
			if c(e) {
				return a(e)
			}
			return b(e)
		}, true
	case *ast.BoolNode:
		v := n.Value
		return func(*exprEnv) bool { return v }, true
	case *ast.UnaryNode:
		if n.Operator != "!" && n.Operator != "not" {
			return nil, false
		}
		x, ok := pt.compileFastBool(n.Node)
		if !ok {
			return nil, false
		}
		return func(e *exprEnv) bool { return !x(e) }, true
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "and", "||", "or":
			l, ok1 := pt.compileFastBool(n.Left)
			r, ok2 := pt.compileFastBool(n.Right)
			if !ok1 || !ok2 {
				return nil, false
			}
			if n.Operator == "&&" || n.Operator == "and" {
				return func(e *exprEnv) bool { return l(e) && r(e) }, true
			}
			return func(e *exprEnv) bool { return l(e) || r(e) }, true
		case "==", "!=":
			l, ok1 := pt.compileText(n.Left, true)
			r, ok2 := pt.compileText(n.Right, true)
			if !ok1 || !ok2 {
				return pt.compareNumbers(n)
			}
			if n.Operator == "==" {
				return func(e *exprEnv) bool { return l(e) == r(e) }, true
			}
			return func(e *exprEnv) bool { return l(e) != r(e) }, true
		case "<", "<=", ">", ">=":
			return pt.compareNumbers(n)
		case "in":
			set, ok := constStrings(n.Right)
			if !ok {
				return nil, false
			}
			x, ok := pt.compileText(n.Left, true)
			if !ok {
				return nil, false
			}
			if len(set) <= 8 {
				// A short list is faster scanned than hashed.
				return func(e *exprEnv) bool {
					s := x(e)
					for _, c := range set {
						if s == c {
							return true
						}
					}
					return false
				}, true
			}
			m := make(map[string]struct{}, len(set))
			for _, c := range set {
				m[c] = struct{}{}
			}
			return func(e *exprEnv) bool {
				_, ok := m[x(e)]
				return ok
			}, true
		}
	case *ast.CallNode:
		if fn, idx, ok := pt.hiddenCall(n); ok && fn == "__existsp" {
			p := pt.paths[idx].p
			return func(e *exprEnv) bool { return e != nil && e.msg != nil && exists(e.msg.ValueAt(p)) }, true
		}
	}
	return nil, false
}

// compareNumbers compiles a comparison of two numbers.
func (pt *patcher) compareNumbers(n *ast.BinaryNode) (fastBool, bool) {
	l, ok1 := pt.compileFastNum(n.Left)
	r, ok2 := pt.compileFastNum(n.Right)
	if !ok1 || !ok2 {
		return nil, false
	}
	switch n.Operator {
	case "==":
		return func(e *exprEnv) bool { return l(e) == r(e) }, true
	case "!=":
		return func(e *exprEnv) bool { return l(e) != r(e) }, true
	case "<":
		return func(e *exprEnv) bool { return l(e) < r(e) }, true
	case "<=":
		return func(e *exprEnv) bool { return l(e) <= r(e) }, true
	case ">":
		return func(e *exprEnv) bool { return l(e) > r(e) }, true
	case ">=":
		return func(e *exprEnv) bool { return l(e) >= r(e) }, true
	}
	return nil, false
}

// constNumber returns the value of a number constant.
func constNumber(n ast.Node) (float64, bool) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		if n.Value > 1<<53 || n.Value < -(1<<53) {
			return 0, false
		}
		return float64(n.Value), true
	case *ast.FloatNode:
		return n.Value, true
	case *ast.UnaryNode:
		if n.Operator == "-" {
			v, ok := constNumber(n.Node)
			return -v, ok
		}
	}
	return 0, false
}

// compileFastNum returns n as a Go closure, or false when n has a node it does not know: a
// number constant, or num(text, constant), which never fails.
func (pt *patcher) compileFastNum(n ast.Node) (fastNum, bool) {
	if v, ok := constNumber(n); ok {
		return func(*exprEnv) float64 { return v }, true
	}
	call, ok := n.(*ast.CallNode)
	if !ok || len(call.Arguments) != 2 {
		return nil, false
	}
	if id, ok := call.Callee.(*ast.IdentifierNode); !ok || id.Value != "num" {
		return nil, false
	}
	def, ok := constNumber(call.Arguments[1])
	if !ok {
		return nil, false
	}
	x, ok := pt.compileText(call.Arguments[0], true)
	if !ok {
		return nil, false
	}
	return func(e *exprEnv) float64 {
		// As num does: the text trimmed, read by strconv, the default for what is not a
		// finite number.
		f, err := strconv.ParseFloat(strings.TrimSpace(x(e)), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return def
		}
		return f
	}, true
}

// compileFastText returns n as a Go closure, or false when n has a node it does not know.
func (pt *patcher) compileFastText(n ast.Node) (fastText, bool) { return pt.compileText(n, false) }

// compileText is compileFastText. With peek, the text is one a comparison or num uses up at
// once, and the HL7 values in it are read with peekText: a value of an edited segment is not
// copied into the run's arena (MSH["9.1"] == "ORU" after a step set MSH-5 cost 1 KiB per
// message). Without, they are read with text, as a result may be kept or written back.
func (pt *patcher) compileText(n ast.Node, peek bool) (fastText, bool) {
	switch n := n.(type) {
	case *ast.ConditionalNode:
		c, ok1 := pt.compileFastBool(n.Cond)
		a, ok2 := pt.compileText(n.Exp1, peek)
		b, ok3 := pt.compileText(n.Exp2, peek)
		if !ok1 || !ok2 || !ok3 {
			return nil, false
		}
		return func(e *exprEnv) string {
			if c(e) {
				return a(e)
			}
			return b(e)
		}, true
	case *ast.StringNode:
		v := n.Value
		return func(*exprEnv) string { return v }, true
	case *ast.ConstantNode:
		v, ok := n.Value.(string)
		if !ok {
			return nil, false
		}
		return func(*exprEnv) string { return v }, true
	case *ast.CallNode:
		if fn, idx, ok := pt.hiddenCall(n); ok {
			switch fn {
			case "__getp":
				p := pt.paths[idx].p
				if peek {
					return func(e *exprEnv) string {
						if e == nil || e.msg == nil {
							return ""
						}
						return peekText(e.msg.ValueAt(p), e.msg.Delimiters())
					}, true
				}
				return func(e *exprEnv) string {
					if e == nil || e.msg == nil {
						return ""
					}
					return text(e.r, e.msg.ValueAt(p), e.msg.Delimiters())
				}, true
			case "__getseg":
				p := pt.paths[idx].p
				if peek {
					return func(e *exprEnv) string {
						if e == nil || e.msg == nil {
							return ""
						}
						return peekText(valueIn(e.msg, e.seg, p), e.msg.Delimiters())
					}, true
				}
				return func(e *exprEnv) string {
					if e == nil || e.msg == nil {
						return ""
					}
					return text(e.r, valueIn(e.msg, e.seg, p), e.msg.Delimiters())
				}, true
			}
			return nil, false
		}
		id, ok := n.Callee.(*ast.IdentifierNode)
		if !ok {
			return nil, false
		}
		if id.Value == "__value" && len(n.Arguments) == 1 && isEnvNode(n.Arguments[0]) {
			return func(e *exprEnv) string {
				if e == nil || e.msg == nil {
					return "" // as envOf gives a run without a message
				}
				return e.value
			}, true
		}
	case *ast.BuiltinNode:
		// expr's built-ins of one string: strings.ToUpper, ToLower and TrimSpace.
		var f func(string) string
		switch n.Name {
		case "upper":
			f = strings.ToUpper
		case "lower":
			f = strings.ToLower
		case "trim":
			f = strings.TrimSpace
		default:
			return nil, false
		}
		if len(n.Arguments) != 1 {
			return nil, false
		}
		x, ok := pt.compileText(n.Arguments[0], peek)
		if !ok {
			return nil, false
		}
		return func(e *exprEnv) string { return f(x(e)) }, true
	}
	return nil, false
}

// hiddenCall recognises the calls the patcher wrote for a constant path: __getp($env, i),
// __getseg($env, i) and __existsp($env, i).
func (pt *patcher) hiddenCall(n *ast.CallNode) (string, int, bool) {
	id, ok := n.Callee.(*ast.IdentifierNode)
	if !ok || len(n.Arguments) != 2 || !isEnvNode(n.Arguments[0]) {
		return "", 0, false
	}
	switch id.Value {
	case "__getp", "__getseg", "__existsp":
	default:
		return "", 0, false
	}
	i, ok := n.Arguments[1].(*ast.IntegerNode)
	if !ok || i.Value < 0 || i.Value >= len(pt.paths) {
		return "", 0, false
	}
	return id.Value, i.Value, true
}

func isEnvNode(n ast.Node) bool {
	id, ok := n.(*ast.IdentifierNode)
	return ok && id.Value == "$env"
}

// constStrings returns the constants of a list of strings, as written (["O", "I"]) or as expr's
// optimizer turns it into a set.
func constStrings(n ast.Node) ([]string, bool) {
	switch n := n.(type) {
	case *ast.ArrayNode:
		out := make([]string, 0, len(n.Nodes))
		for _, x := range n.Nodes {
			s, ok := x.(*ast.StringNode)
			if !ok {
				return nil, false
			}
			out = append(out, s.Value)
		}
		return out, true
	case *ast.ConstantNode:
		set, ok := n.Value.(map[string]struct{})
		if !ok {
			return nil, false
		}
		out := make([]string, 0, len(set))
		for s := range set {
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}
