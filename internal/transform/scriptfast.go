package transform

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/dop251/goja"
	"github.com/dop251/goja/parser"
)

// parseFloat is the ECMAScript parseFloat, as goja defines it, without the regular expression
// goja matches the text with: scripts read numbers from HL7 values with parseFloat, and that
// regular expression took a tenth of a 30-line script's time on an ORU with 30 OBX. It gives what
// goja's gives for every input (TestParseFloatMatchesGoja): the text with white space trimmed
// (Go's for ASCII text, ECMAScript's otherwise, as goja's string types do), its longest prefix
// of the form [+-]?(Infinity|digits[.digits][e[+-]digits]) read with strconv.ParseFloat, and
// NaN when that prefix is not a number.
func parseFloat(s string) float64 {
	if isASCII(s) {
		s = strings.TrimSpace(s)
	} else {
		s = strings.Trim(s, parser.WhitespaceChars)
	}
	n := floatPrefix(s)
	switch p := s[:n]; p {
	case "", "+", "-":
	case "Infinity", "+Infinity":
		return math.Inf(1)
	case "-Infinity":
		return math.Inf(-1)
	default:
		f, err := strconv.ParseFloat(p, 64)
		if err == nil || errors.Is(err, strconv.ErrRange) {
			return f
		}
	}
	return math.NaN()
}

// floatPrefix returns the length of what ^[+-]?(?:Infinity|[0-9]*\.?[0-9]*(?:[eE][+-]?[0-9]+)?)
// matches at the start of s, with the leftmost-first choices of Go's regexp: Infinity if it is
// there, otherwise as many digits, a dot, as many digits, and an exponent only if it has digits.
func floatPrefix(s string) int {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	if strings.HasPrefix(s[i:], "Infinity") {
		return i + len("Infinity")
	}
	digits := func(j int) int {
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		return j
	}
	i = digits(i)
	if i < len(s) && s[i] == '.' {
		i++
	}
	i = digits(i)
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if k := digits(j); k > j {
			i = k
		}
	}
	return i
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// replaceParseFloat puts the native parseFloat in place of goja's, as the global and as
// Number.parseFloat (one function object, as the language requires), with the same name,
// length and property attributes.
func (vm *scriptVM) replaceParseFloat() error {
	rt := vm.rt
	fn := rt.ToValue(func(c goja.FunctionCall) goja.Value {
		a := c.Argument(0)
		if s, ok := a.(goja.String); ok {
			// A string, what scripts nearly always pass (parseFloat(o.get("5"))): its text
			// as it is. ToString would box it into a new interface value first.
			return numberValue(rt, parseFloat(s.String()))
		}
		// ToString converts an object with its toString (and throws what that throws), as
		// goja's parseFloat does; a symbol cannot be converted.
		v := a.ToString()
		if _, ok := v.(*goja.Symbol); ok {
			panic(rt.NewTypeError("Cannot convert a Symbol value to a string"))
		}
		return numberValue(rt, parseFloat(v.String()))
	}).(*goja.Object)
	if err := fn.DefineDataProperty("name", rt.ToValue("parseFloat"), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
		return err
	}
	if err := fn.DefineDataProperty("length", rt.ToValue(1), goja.FLAG_FALSE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
		return err
	}
	if err := rt.GlobalObject().DefineDataProperty("parseFloat", fn, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE); err != nil {
		return err
	}
	number, ok := rt.GlobalObject().Get("Number").(*goja.Object)
	if !ok {
		return errors.New("internal: no Number object")
	}
	return number.DefineDataProperty("parseFloat", fn, goja.FLAG_TRUE, goja.FLAG_TRUE, goja.FLAG_FALSE)
}

// numberValue returns f as ToValue does. goja keeps an integral number as an integer, and
// boxing a small integer costs no allocation where boxing the float64 does: parseFloat("3.0")
// returns without one.
func numberValue(rt *goja.Runtime, f float64) goja.Value {
	if i := int64(f); float64(i) == f && i >= 0 && i < 256 && !(i == 0 && math.Signbit(f)) {
		return rt.ToValue(i)
	}
	return rt.ToValue(f)
}

// maxCachedStrings bounds the JavaScript strings a machine keeps for table values.
const maxCachedStrings = 1024

// tableValue returns a table's value as a JavaScript string, charged to the budget like any
// string handed to the script. A table has a few hundred values that come back message after
// message; keeping the goja value of each saves the two allocations of converting it again.
func (vm *scriptVM) tableValue(s string) goja.Value {
	vm.charge(len(s))
	if v, ok := vm.strs[s]; ok {
		return v
	}
	v := vm.rt.ToValue(s)
	if len(vm.strs) >= maxCachedStrings {
		clear(vm.strs)
	}
	vm.strs[s] = v
	return v
}
