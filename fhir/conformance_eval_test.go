package fhir

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/courier-hl7/courier/hl7"
)

// tableEntry is one "@message checks" block of conformanceChecks.
type tableEntry struct {
	msg    string
	checks []string
	keys   []string
	line   int
}

func parseConformanceTable(t *testing.T) []tableEntry {
	var out []tableEntry
	for i, l := range strings.Split(conformanceChecks+conformanceChecks2, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "":
		case strings.HasPrefix(l, "@"):
			msg, rest, _ := strings.Cut(l[1:], " ")
			out = append(out, tableEntry{msg: msg, checks: strings.Split(rest, " && "), line: i + 1})
		default:
			if len(out) == 0 {
				t.Fatalf("conformance table line %d: a row key before any @message line", i+1)
			}
			out[len(out)-1].keys = append(out[len(out)-1].keys, l)
		}
	}
	return out
}

// bundleDoc is a converted test message as generic JSON, with its resources by reference.
type bundleDoc struct {
	root  map[string]any
	byRef map[string]map[string]any
	res   []map[string]any
}

func loadBundleDoc(t *testing.T, c *Converter, name string) *bundleDoc {
	data, err := os.ReadFile(filepath.Join("testdata", name+".hl7"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := hl7.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Convert(m)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	js, _ := b.JSON()
	d := &bundleDoc{byRef: map[string]map[string]any{}}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.UseNumber()
	if err := dec.Decode(&d.root); err != nil {
		t.Fatal(err)
	}
	for _, e := range d.root["entry"].([]any) {
		em := e.(map[string]any)
		r := em["resource"].(map[string]any)
		d.res = append(d.res, r)
		d.byRef[em["fullUrl"].(string)] = r
		d.byRef[r["resourceType"].(string)+"/"+r["id"].(string)] = r
	}
	return d
}

// splitTop splits s at sep where sep is not inside brackets.
func splitTop(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			depth++
		case ']':
			depth--
		case sep:
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// evalCheck reports whether one check holds in d.
func (d *bundleDoc) evalCheck(check string) (bool, error) {
	op, path, want := byte('?'), check, ""
	depth := 0
	for i := 0; i < len(check); i++ {
		c := check[i]
		if c == '[' {
			depth++
		} else if c == ']' {
			depth--
		} else if depth == 0 && (c == '=' || c == '~') {
			op, path, want = c, check[:i], check[i+1:]
			break
		}
	}
	if op == '?' {
		if !strings.HasSuffix(path, "?") {
			return false, fmt.Errorf("check %q has no operator (=, ~ or a trailing ?)", check)
		}
		path = strings.TrimSuffix(path, "?")
	}
	steps := splitTop(path, '.')
	typ := steps[0]
	var filter string
	if i := strings.IndexByte(typ, '['); i >= 0 {
		typ, filter = typ[:i], typ[i:]
	}
	var nodes []any
	if typ == "Bundle" {
		nodes = []any{d.root}
	} else {
		for _, r := range d.res {
			if r["resourceType"] == typ {
				nodes = append(nodes, r)
			}
		}
	}
	if filter != "" {
		nodes = d.applyFilter(nodes, filter)
	}
	for _, s := range steps[1:] {
		nodes = d.step(nodes, s)
	}
	for _, n := range nodes {
		got, ok := leafString(n)
		if !ok {
			if op == '?' {
				return true, nil
			}
			continue
		}
		switch op {
		case '?':
			return true, nil
		case '=':
			if got == want {
				return true, nil
			}
		case '~':
			if strings.Contains(got, want) {
				return true, nil
			}
		}
	}
	return false, nil
}

func leafString(n any) (string, bool) {
	switch v := n.(type) {
	case string:
		return v, true
	case json.Number:
		return v.String(), true
	case bool:
		if v {
			return "true", true
		}
		return "false", true
	}
	return "", false
}

func flatten(nodes []any) []any {
	var out []any
	for _, n := range nodes {
		if a, ok := n.([]any); ok {
			out = append(out, a...)
		} else if n != nil {
			out = append(out, n)
		}
	}
	return out
}

func (d *bundleDoc) step(nodes []any, s string) []any {
	deref := strings.HasSuffix(s, "@")
	s = strings.TrimSuffix(s, "@")
	name, filter := s, ""
	if i := strings.IndexByte(s, '['); i >= 0 {
		name, filter = s[:i], s[i:]
	}
	var out []any
	for _, n := range flatten(nodes) {
		if m, ok := n.(map[string]any); ok && name != "" {
			if v, ok := m[name]; ok {
				out = append(out, v)
			}
		}
	}
	out = flatten(out)
	if filter != "" {
		out = d.applyFilter(out, filter)
	}
	if deref {
		var res []any
		for _, n := range out {
			if m, ok := n.(map[string]any); ok {
				if ref, ok := m["reference"].(string); ok && d.byRef[ref] != nil {
					res = append(res, d.byRef[ref])
				}
			}
		}
		out = res
	}
	return out
}

// applyFilter keeps the objects whose field equals the value ("*": is present).
func (d *bundleDoc) applyFilter(nodes []any, filter string) []any {
	k, v, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(filter, "["), "]"), "=")
	var out []any
	for _, n := range flatten(nodes) {
		m, ok := n.(map[string]any)
		if !ok {
			continue
		}
		f, ok := m[k]
		if !ok {
			continue
		}
		if v == "*" {
			out = append(out, n)
			continue
		}
		if s, ok := leafString(f); ok && s == v {
			out = append(out, n)
		}
	}
	return out
}

// TestGuideConformance checks every implemented guide row against the conversion of a
// message that exercises it, counts the in-scope rows implemented, and keeps docs/fhir.md's
// list of rows not implemented up to date (-update rewrites it).
func TestGuideConformance(t *testing.T) {
	needGuide(t)
	rows := readScope(t)
	scope := map[string]guideRow{}
	for _, r := range rows {
		scope[r.key()] = r
	}
	c, err := NewConverter(goldenOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string]*bundleDoc{}
	implemented := map[string]bool{}
	for _, e := range parseConformanceTable(t) {
		d := docs[e.msg]
		if d == nil {
			d = loadBundleDoc(t, c, e.msg)
			docs[e.msg] = d
		}
		ok := true
		for _, ch := range e.checks {
			held, err := d.evalCheck(strings.TrimSpace(ch))
			if err != nil {
				t.Errorf("conformance table line %d: %v", e.line, err)
				ok = false
			} else if !held {
				t.Errorf("conformance table line %d (%s): check failed: %s", e.line, e.msg, ch)
				ok = false
			}
		}
		for _, k := range e.keys {
			if _, in := scope[k]; !in {
				t.Errorf("conformance table line %d: %q is not an in-scope row of the guide", e.line, k)
				continue
			}
			if ok {
				implemented[k] = true
			}
		}
	}
	n := 0
	for _, r := range rows {
		if implemented[r.key()] {
			n++
		}
	}
	t.Logf("%d of %d in-scope guide rows implemented", n, len(rows))
	doc := renderDoc(rows, implemented)
	path := filepath.Join("..", "docs", "fhir.md")
	if *update {
		if err := os.WriteFile(path, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if old, err := os.ReadFile(path); err != nil || !bytes.Equal(old, doc) {
		t.Errorf("%s is not up to date (run go test ./fhir -run TestGuideConformance -update)", path)
	}
}

// renderDoc builds docs/fhir.md: the prose of docIntro, then per map the rows implemented
// and not.
func renderDoc(rows []guideRow, implemented map[string]bool) []byte {
	var b bytes.Buffer
	n := 0
	for _, r := range rows {
		if implemented[r.key()] {
			n++
		}
	}
	b.WriteString(strings.ReplaceAll(docIntro, "{{COUNT}}", fmt.Sprintf("%d of %d", n, len(rows))))
	b.WriteString("\n## Coverage by map\n\n")
	b.WriteString("Generated by `go test ./fhir -run TestGuideConformance -update` from the guide's CSV files and\n")
	b.WriteString("the table of checked rows in `fhir/conformance_test.go`; do not edit by hand.\n\n")
	b.WriteString("| map | rows | implemented |\n|---|---|---|\n")
	type stat struct{ n, m int }
	stats := map[string]*stat{}
	var order []string
	for _, r := range rows {
		s := stats[r.Map]
		if s == nil {
			s = &stat{}
			stats[r.Map] = s
			order = append(order, r.Map)
		}
		s.m++
		if implemented[r.key()] {
			s.n++
		}
	}
	for _, m := range order {
		fmt.Fprintf(&b, "| %s | %d | %d |\n", m, stats[m].m, stats[m].n)
	}
	b.WriteString("\n## Rows not implemented\n\n")
	b.WriteString("Each row: v2 element, FHIR attribute as the guide writes it, and why it is not mapped.\n")
	cur := ""
	for _, r := range rows {
		if implemented[r.key()] {
			continue
		}
		if r.Map != cur {
			cur = r.Map
			fmt.Fprintf(&b, "\n### %s\n\n", cur)
		}
		fmt.Fprintf(&b, "- %s (%s) → `%s`: %s\n", r.ID, r.Name, r.Attr, notMappedReason(r))
	}
	return b.Bytes()
}

// notMappedReason explains a row that is not implemented.
func notMappedReason(r guideRow) string {
	if s, ok := rowReasons[r.key()]; ok {
		return s
	}
	for _, p := range reasonPatterns {
		if strings.Contains(r.key(), p.substr) {
			return p.reason
		}
	}
	if s, ok := mapReasons[r.Map]; ok {
		return s
	}
	return "not implemented yet."
}
