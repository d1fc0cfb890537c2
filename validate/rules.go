package validate

import (
	"fmt"
	"os"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/editdist"
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// Rules are custom rules read from a YAML file (LoadRules, ParseRules). The file is a mapping
// with one key, rules, a list of rules; each names a path and one or more checks:
//
//	rules:
//	  - path: PID-3
//	    required: true
//	  - path: PV1-2
//	    in: [I, O, E]
//	  - path: OBX-5
//	    when: OBX-2 == "NM"
//	    matches: '^-?[0-9]+(\.[0-9]+)?$'
//	    message: numeric results must be numbers
//	    severity: error
//
// docs/validate.md lists every key. Rules are read once and are safe for concurrent use.
type Rules struct {
	file  string
	rules []*rule
}

// Len returns the number of rules.
func (rs *Rules) Len() int { return len(rs.rules) }

type rule struct {
	src       string // "rules.yaml:12"
	path      hl7.Path
	pathText  string
	messages  []string // MSH-9 patterns: "ADT", "ADT^A01", "ORU^*"
	when      *condition
	required  bool
	forbidden bool
	in        []string
	matches   *regexp.Regexp
	maxLen    int
	minLen    int
	table     string
	message   string
	severity  Severity
	code      string
}

type compiledRule struct {
	*rule
	tableRef *tableRef // the user table the rule names, resolved once; HL7 tables are shared
}

// LoadRules reads a rules file.
func LoadRules(file string) (*Rules, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	return ParseRules(file, data)
}

// ruleKeys are the keys a rule may have, in the order docs/validate.md lists them.
var ruleKeys = []string{"path", "messages", "when", "required", "forbidden", "in", "matches", "max_length", "min_length", "table", "message", "severity", "code"}

// ParseRules reads rules from data; file names it in errors. Every problem found is reported,
// each as a *FileError with its line and column, joined into one error.
func ParseRules(file string, data []byte) (rs *Rules, err error) {
	rs = &Rules{file: file}
	var errs []error
	fail := func(n ast.Node, format string, args ...any) {
		line, col := nodePos(n)
		errs = append(errs, &FileError{File: file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
	}
	defer func() {
		// The YAML parser faces hand-written input; should it ever panic, say so instead of
		// crashing the command that loads the file.
		if p := recover(); p != nil {
			rs, err = nil, &FileError{File: file, Msg: fmt.Sprintf("the YAML parser failed: %v", p)}
		}
	}()
	f, perr := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if perr != nil {
		e := &FileError{File: file, Msg: "YAML syntax: " + perr.Error()}
		if ye, ok := perr.(yaml.Error); ok {
			e.Msg = "YAML syntax: " + ye.GetMessage()
			if tk := ye.GetToken(); tk != nil && tk.Position != nil {
				e.Line, e.Column = tk.Position.Line, tk.Position.Column
			}
		}
		return nil, e
	}
	var body ast.Node
	for _, d := range f.Docs {
		if d == nil || d.Body == nil {
			continue
		}
		if body != nil {
			fail(d.Body, "a rules file is one YAML document; remove this `---` and what follows")
			break
		}
		body = d.Body
	}
	if body == nil {
		return nil, &FileError{File: file, Line: 1, Msg: "no rules: the file is empty (write `rules:` and a list of rules)"}
	}
	top, ok := mapping(unwrap(body))
	if !ok {
		fail(body, "a rules file is a mapping with the key `rules`, holding a list of rules")
		return nil, joinErrors(errs)
	}
	var list ast.Node
	for _, kv := range top {
		switch k := keyText(kv); k {
		case "rules":
			list = kv.Value
		default:
			fail(kv.Key, "unknown key %q at the top of a rules file: the only key is `rules`", k)
		}
	}
	if list == nil {
		fail(body, "no `rules:` key")
		return nil, joinErrors(errs)
	}
	seq, ok := unwrap(list).(*ast.SequenceNode)
	if !ok {
		if _, null := unwrap(list).(*ast.NullNode); !null {
			fail(list, "`rules` is a list: write each rule on a line starting with `- `")
		}
		return nil, joinErrors(append(errs, &FileError{File: file, Line: 1, Msg: "no rules in the file"}))
	}
	for _, item := range seq.Values {
		r, ruleErrs := parseRule(file, item)
		errs = append(errs, ruleErrs...)
		if r != nil {
			rs.rules = append(rs.rules, r)
		}
	}
	if len(errs) > 0 {
		return nil, joinErrors(errs)
	}
	if len(rs.rules) == 0 {
		return nil, &FileError{File: file, Line: 1, Msg: "no rules in the file"}
	}
	return rs, nil
}

func parseRule(file string, item ast.Node) (*rule, []error) {
	var errs []error
	fail := func(n ast.Node, format string, args ...any) {
		line, col := nodePos(n)
		errs = append(errs, &FileError{File: file, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
	}
	kvs, ok := mapping(unwrap(item))
	if !ok {
		fail(item, "a rule is a mapping with a path and checks, such as `path: PID-3` and `required: true`")
		return nil, errs
	}
	line, _ := nodePos(item)
	r := &rule{src: fmt.Sprintf("%s:%d", file, line), severity: Error}
	seen := map[string]bool{}
	var pathNode ast.Node
	checks := 0
	for _, kv := range kvs {
		key := keyText(kv)
		if seen[key] {
			fail(kv.Key, "key %q appears twice in this rule", key)
			continue
		}
		seen[key] = true
		val := unwrap(kv.Value)
		switch key {
		case "path":
			pathNode = kv.Value
			s, ok := scalar(val)
			if !ok || s == "" {
				fail(kv.Value, "path is a path such as PID-3 or OBX-5.1")
				continue
			}
			p, err := hl7.ParsePath(s)
			if err != nil {
				line, col := nodePos(kv.Value)
				if pe, ok := err.(*hl7.PathError); ok {
					col += pe.Pos
				}
				errs = append(errs, &FileError{File: file, Line: line, Column: col, Msg: err.Error()})
				continue
			}
			r.path, r.pathText = p, s
		case "messages":
			for _, n := range listOrScalar(val) {
				s, ok := scalar(unwrap(n))
				if !ok || !validMessagePattern(s) {
					fail(n, "messages are message types such as ADT, ADT^A01 or ORU^*")
					continue
				}
				r.messages = append(r.messages, s)
			}
		case "when":
			s, ok := scalar(val)
			if !ok {
				fail(kv.Value, "when is a condition such as OBX-2 == \"NM\"")
				continue
			}
			c, err := parseCondition(s)
			if err != nil {
				line, col := nodePos(kv.Value)
				if ce, ok := err.(*condError); ok {
					col += ce.Pos
				}
				errs = append(errs, &FileError{File: file, Line: line, Column: col, Msg: "when: " + err.Error()})
				continue
			}
			r.when = c
		case "required", "forbidden":
			b, ok := val.(*ast.BoolNode)
			if !ok {
				fail(kv.Value, "%s is true or false", key)
				continue
			}
			if key == "required" {
				r.required = b.Value
			} else {
				r.forbidden = b.Value
			}
			if b.Value {
				checks++
			}
		case "in":
			items := listOrScalar(val)
			if _, isSeq := val.(*ast.SequenceNode); !isSeq || len(items) == 0 {
				fail(kv.Value, "in is a list of allowed values, such as [I, O, E]")
				continue
			}
			for _, n := range items {
				s, ok := scalar(unwrap(n))
				if !ok {
					fail(n, "a value of `in` is a single value, not a list or a mapping")
					continue
				}
				r.in = append(r.in, s)
			}
			checks++
		case "matches":
			s, ok := scalar(val)
			if !ok || s == "" {
				fail(kv.Value, "matches is a regular expression")
				continue
			}
			re, err := regexp.Compile(s)
			if err != nil {
				fail(kv.Value, "matches: %v", err)
				continue
			}
			r.matches = re
			checks++
		case "max_length", "min_length":
			n, ok := val.(*ast.IntegerNode)
			v, convErr := strconv.Atoi(fmt.Sprint(nodeValue(n)))
			if !ok || convErr != nil || v < 1 {
				fail(kv.Value, "%s is a whole number of characters, at least 1", key)
				continue
			}
			if key == "max_length" {
				r.maxLen = v
			} else {
				r.minLen = v
			}
			checks++
		case "table":
			s, ok := scalar(val)
			if !ok || NormalizeTableID(s) == "" {
				fail(kv.Value, "table is a table id such as 0001 or HL70001")
				continue
			}
			r.table = NormalizeTableID(s)
			checks++
		case "message":
			s, ok := scalar(val)
			if !ok || s == "" {
				fail(kv.Value, "message is the sentence to report when the rule fails")
				continue
			}
			r.message = s
		case "severity":
			s, _ := scalar(val)
			sev, err := ParseSeverity(s)
			if err != nil {
				fail(kv.Value, "%v", err)
				continue
			}
			r.severity = sev
		case "code":
			s, ok := scalar(val)
			if !ok || hl7.ErrCodeText(s) == "" || s == "0" {
				fail(kv.Value, "code is an HL7 table 0357 error code: 100, 101, 102, 103, 104, 200 to 207")
				continue
			}
			r.code = s
		default:
			if s := suggest(key, ruleKeys); s != "" {
				fail(kv.Key, "unknown key %q (did you mean %q?)", key, s)
			} else {
				fail(kv.Key, "unknown key %q: a rule has %s", key, strings.Join(ruleKeys, ", "))
			}
		}
	}
	switch {
	case pathNode == nil && r.pathText == "":
		fail(item, "the rule has no path: add `path: PID-3` (the value the rule checks)")
		return nil, errs
	case r.pathText == "":
		return nil, errs
	}
	if checks == 0 && len(errs) == 0 {
		fail(item, "the rule checks nothing: add required, forbidden, in, matches, max_length, min_length or table")
	}
	if r.required && r.forbidden {
		fail(item, "a rule cannot be both required and forbidden")
	}
	if r.path.Field == 0 && (r.in != nil || r.matches != nil || r.maxLen > 0 || r.minLen > 0 || r.table != "") {
		fail(pathNode, "path %s names a whole segment: in, matches, lengths and table check a field (write %s-1...)", r.pathText, r.path.Segment)
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return r, nil
}

// validMessagePattern accepts TYPE, TYPE^EVENT and patterns with * and ?.
func validMessagePattern(s string) bool {
	if s == "" {
		return false
	}
	if _, err := path.Match(s, ""); err != nil {
		return false
	}
	for _, c := range s {
		if !(c == '^' || c == '_' || c == '*' || c == '?' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// suggest returns the candidate closest to s, if it is close enough to be a typo.
func suggest(s string, candidates []string) string {
	best, bestD := "", 3
	for _, c := range candidates {
		if d := editdist.Distance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// YAML helpers. Anchors and tags are looked through; aliases are not supported (a rules file
// has no need for them) and read as non-scalars, which the checks report.

func unwrap(n ast.Node) ast.Node {
	for i := 0; i < 8 && n != nil; i++ {
		switch v := n.(type) {
		case *ast.TagNode:
			n = v.Value
		case *ast.AnchorNode:
			n = v.Value
		default:
			return n
		}
	}
	return n
}

func mapping(n ast.Node) ([]*ast.MappingValueNode, bool) {
	switch v := n.(type) {
	case *ast.MappingNode:
		return v.Values, true
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{v}, true
	}
	return nil, false
}

func keyText(kv *ast.MappingValueNode) string {
	if kv.Key == nil {
		return ""
	}
	if s, ok := scalar(unwrap(kv.Key)); ok {
		return s
	}
	return kv.Key.String()
}

// scalar returns the text of a scalar as written (numbers keep their digits: 01 stays 01).
func scalar(n ast.Node) (string, bool) {
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		if v.Value != nil {
			return v.Value.Value, true
		}
		return "", true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode:
		if tk := n.GetToken(); tk != nil {
			return tk.Value, true
		}
	}
	return "", false
}

func nodeValue(n *ast.IntegerNode) any {
	if n == nil {
		return nil
	}
	return n.Value
}

func listOrScalar(n ast.Node) []ast.Node {
	if s, ok := n.(*ast.SequenceNode); ok {
		return s.Values
	}
	if n == nil {
		return nil
	}
	return []ast.Node{n}
}

func nodePos(n ast.Node) (int, int) {
	if n == nil {
		return 0, 0
	}
	if m, ok := n.(*ast.MappingNode); ok && len(m.Values) > 0 {
		n = m.Values[0]
	}
	if kv, ok := n.(*ast.MappingValueNode); ok && kv.Key != nil {
		n = kv.Key
	}
	if s, ok := n.(*ast.SequenceNode); ok && len(s.Values) > 0 && !s.IsFlowStyle {
		line, col := nodePos(s.Values[0])
		return line, max(col-2, 1)
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return 0, 0
	}
	return tk.Position.Line, tk.Position.Column
}

// appliesTo reports whether the rule is for messages like m.
func (ru *rule) appliesTo(m *hl7.Message) bool {
	if len(ru.messages) == 0 {
		return true
	}
	typ, trig := headerText(m, 9, 1), headerText(m, 9, 2)
	full := typ + "^" + trig
	for _, p := range ru.messages {
		if !strings.Contains(p, "^") {
			if ok, _ := path.Match(p, typ); ok {
				return true
			}
			continue
		}
		if ok, _ := path.Match(p, full); ok {
			return true
		}
	}
	return false
}

// applyRules checks the custom rules against the message.
func (r *run) applyRules() {
	for _, cr := range r.v.rules {
		if !cr.appliesTo(r.m) {
			continue
		}
		name := cr.path.Segment
		found, occ, total := false, 0, r.m.Count(name)
		for i := 0; i < r.m.NumSegments(); i++ {
			seg := r.m.Segment(i)
			if seg.Name() != name {
				continue
			}
			occ++
			if cr.path.Occurrence > 0 && occ != cr.path.Occurrence {
				continue
			}
			found = true
			r.si, r.seg, r.segName = i, seg, name
			if cr.when != nil && !r.evalCondition(cr.when, seg, name) {
				continue
			}
			showOcc := 0
			if total > 1 {
				showOcc = occ
			}
			r.checkRule(cr, showOcc)
		}
		if found || !cr.required && !cr.forbidden {
			continue
		}
		if cr.when != nil && !r.evalCondition(cr.when, hl7.Segment{}, "") {
			continue
		}
		if cr.required {
			what := "the message has no " + name + " segment"
			if cr.path.Occurrence > 1 {
				what = fmt.Sprintf("the message has %d %s segment%s", total, name, plural(total))
			}
			r.addRule(cr, hl7.ErrCodeRequiredFieldMissing, cr.path, -1, -1, fmt.Sprintf("%s is required by a custom rule, but %s", r.describePath(cr.pathText), what))
		}
	}
}

// checkRule checks one rule against one segment, the current one.
func (r *run) checkRule(cr *compiledRule, occ int) {
	p := cr.path
	p.Occurrence = occ
	segOff := segmentOffset(r.m, r.si)
	if p.Field == 0 {
		if cr.forbidden {
			r.addRule(cr, hl7.ErrCodeSegmentSequence, p, r.si, segOff, fmt.Sprintf("segment %d (%s) must not be sent (custom rule)", r.si+1, p.Segment))
		}
		return
	}
	field := r.seg.Field(p.Field)
	reps := field.NumReps()
	first, last := 1, max(reps, 1)
	if p.Repetition > 0 {
		first, last = p.Repetition, p.Repetition
	}
	valued := false
	for rep := first; rep <= last; rep++ {
		v := field.Rep(rep)
		if p.Component > 0 || p.SubComp > 0 {
			v = v.Comp(max(p.Component, 1))
		}
		if p.SubComp > 0 {
			v = v.Sub(p.SubComp)
		}
		if len(v.Raw()) == 0 {
			continue
		}
		valued = true
		vp := p
		if reps > 1 {
			vp.Repetition = rep
		}
		off := v.Offset()
		text := v.String()
		where := r.describePath(vp.String())
		if cr.forbidden {
			r.addRule(cr, hl7.ErrCodeDataType, vp, r.si, off, fmt.Sprintf("%s must not be valued (custom rule)", where))
			continue
		}
		if cr.in != nil && !slices.Contains(cr.in, text) {
			r.addRule(cr, hl7.ErrCodeTableValue, vp, r.si, off, fmt.Sprintf("%s is %s; the custom rule allows %s", where, quote(text), listNames(cr.in, 12)))
		}
		if cr.matches != nil && !cr.matches.MatchString(text) {
			r.addRule(cr, hl7.ErrCodeDataType, vp, r.si, off, fmt.Sprintf("%s is %s, which does not match %s (custom rule)", where, quote(text), cr.matches.String()))
		}
		if n := utf8.RuneCountInString(text); cr.maxLen > 0 && n > cr.maxLen {
			r.addRule(cr, r.vs.lenCode, vp, r.si, off, fmt.Sprintf("%s is %d characters long; the custom rule allows at most %d", where, n, cr.maxLen))
		} else if cr.minLen > 0 && n < cr.minLen {
			r.addRule(cr, hl7.ErrCodeDataType, vp, r.si, off, fmt.Sprintf("%s is %d character%s long; the custom rule requires at least %d", where, n, plural(n), cr.minLen))
		}
		if cr.table != "" {
			t := cr.tableRef
			if t == nil {
				t = r.v.table(cr.table, r.vs)
			}
			if t != nil && !t.has(text, r.vs) {
				r.addRule(cr, hl7.ErrCodeTableValue, vp, r.si, off, fmt.Sprintf("%s is %s, which is not in %s (custom rule)", where, quote(text), t.describe()))
			}
		}
	}
	if cr.required && !valued {
		state := "empty"
		off := field.Offset()
		if !field.Present() {
			state = "missing"
			if segOff >= 0 {
				off = segOff + len(r.seg.Raw()) // an absent field: the end of its segment
			}
		}
		r.addRule(cr, hl7.ErrCodeRequiredFieldMissing, p, r.si, off, fmt.Sprintf("%s is required by a custom rule, but %s", r.describePath(p.String()), state))
	}
}

// describePath writes a path with the name the version gives it: "PID-3 (Patient Identifier List)".
func (r *run) describePath(p string) string {
	if info, ok := r.vs.d.Describe(p); ok && info.Field != nil {
		return p + " (" + info.Name() + ")"
	}
	return p
}

// addRule adds an issue found by a custom rule: its severity, its code when it sets one, its
// message when it has one.
func (r *run) addRule(cr *compiledRule, code string, p hl7.Path, seg, off int, msg string) {
	if cr.code != "" {
		code = cr.code
	}
	if cr.message != "" {
		msg = cr.message
	}
	r.res.Issues = append(r.res.Issues, Issue{Severity: cr.severity, Code: code, Path: p, Segment: seg, Offset: off, Message: msg, Rule: RuleCustom, Source: cr.src})
}
