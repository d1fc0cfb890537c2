package config

import (
	"encoding/json"
	"fmt"
	"strings"
)

// MarkdownDoc returns the reference page of a spec: docs/connectors/<kind>.md for a plug-in
// (category is its registry category, "source"), or docs/config.md for the root spec
// (category ""). Every key is documented, nested keys by their path (tls.ca,
// destinations[].name); Advanced keys come last under their own heading. The output depends
// only on the spec, so the generated files can be committed and checked for staleness.
func MarkdownDoc(s Spec, category string) string {
	var b strings.Builder
	b.WriteString("<!-- Generated from the spec in Courier's source code by MarkdownDoc; do not edit. -->\n\n")
	if category == "" {
		fmt.Fprintf(&b, "# %s\n\n", s.Name)
	} else {
		fmt.Fprintf(&b, "# `%s` %s\n\n", s.Name, category)
	}
	if s.Summary != "" {
		b.WriteString(strings.TrimSpace(s.Summary) + "\n\n")
	}
	if category != "" {
		fmt.Fprintf(&b, "Select it with `type: %s` in a %s.\n\n", s.Name, category)
	}
	if s.Description != "" {
		b.WriteString(strings.TrimSpace(s.Description) + "\n\n")
	}
	if len(s.Examples) > 0 {
		if len(s.Examples) == 1 {
			b.WriteString("## Example\n\n")
		} else {
			b.WriteString("## Examples\n\n")
		}
		for _, ex := range s.Examples {
			b.WriteString("```yaml\n" + strings.TrimRight(ex, "\n") + "\n```\n\n")
		}
	}

	var keys []docKey
	if category != "" {
		keys = append(keys, docKey{path: "type", field: &Field{Name: "type", Type: String, Required: true,
			Description: fmt.Sprintf("Selects this %s: `%s`.", category, s.Name)}})
	}
	keys = collectKeys(keys, s.Fields, "", false)
	var basic, advanced []docKey
	for _, k := range keys {
		if k.advanced {
			advanced = append(advanced, k)
		} else {
			basic = append(basic, k)
		}
	}
	if len(keys) == 0 {
		b.WriteString("It has no settings.\n")
		return b.String()
	}
	b.WriteString("## Keys\n\n| Key | Type | Default | Description |\n|---|---|---|---|\n")
	for _, k := range keys {
		def := ""
		switch {
		case k.field.Required:
			def = "required"
		case k.field.Default != nil:
			def = "`" + docValue(displayValue(k.field, k.field.Default)) + "`"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", k.path, docType(k.field), cell(def), cell(firstSentence(k.field.Description)))
	}
	b.WriteString("\n")
	writeKeys(&b, basic)
	if len(advanced) > 0 {
		b.WriteString("## Advanced\n\n")
		writeKeys(&b, advanced)
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

type docKey struct {
	path     string
	field    *Field
	advanced bool
}

// collectKeys lists fields depth first, descending into objects, the elements of lists and
// maps, and the shared fields of plug-ins.
func collectKeys(out []docKey, fields []Field, prefix string, advanced bool) []docKey {
	for i := range fields {
		f := &fields[i]
		path := prefix + f.Name
		adv := advanced || f.Advanced
		out = append(out, docKey{path: path, field: f, advanced: adv})
		out = collectInner(out, f, path, adv)
	}
	return out
}

func collectInner(out []docKey, f *Field, path string, adv bool) []docKey {
	switch f.Type {
	case Object, Plugin:
		return collectKeys(out, f.Fields, path+".", adv)
	case List:
		return collectInner(out, f.Elem, path+"[]", adv)
	case Map:
		return collectInner(out, f.Elem, path+".<name>", adv)
	}
	return out
}

func writeKeys(b *strings.Builder, keys []docKey) {
	for _, k := range keys {
		f := k.field
		fmt.Fprintf(b, "### `%s`\n\n", k.path)
		if f.Description != "" {
			b.WriteString(strings.TrimSpace(f.Description) + "\n\n")
		}
		fmt.Fprintf(b, "- Type: %s\n", docType(f))
		if f.Required {
			b.WriteString("- Required\n")
		}
		if f.Default != nil {
			fmt.Fprintf(b, "- Default: `%s`\n", docValue(displayValue(f, f.Default)))
		}
		if len(f.Enum) > 0 {
			fmt.Fprintf(b, "- Allowed values: %s\n", backquoteList(f.Enum))
		}
		if f.Min != nil || f.Max != nil {
			fmt.Fprintf(b, "- Range: %s\n", docRange(f))
		}
		if f.Pattern != "" {
			fmt.Fprintf(b, "- Pattern: `%s`\n", f.Pattern)
		}
		if f.Elem != nil && f.Elem.Type == String {
			if len(f.Elem.Enum) > 0 {
				fmt.Fprintf(b, "- Allowed elements: %s\n", backquoteList(f.Elem.Enum))
			}
			if f.Elem.Pattern != "" {
				fmt.Fprintf(b, "- Element pattern: `%s`\n", f.Elem.Pattern)
			}
		}
		if p := pluginOf(f); p != nil {
			fmt.Fprintf(b, "- Its `type` selects a %s; see the %s pages in docs/connectors.\n", p.Category, p.Category)
			if len(p.Fields) > 0 {
				fmt.Fprintf(b, "- Besides the keys of its type, every %s here has the keys below.\n", p.Category)
			}
		}
		if f.Secret || f.Elem != nil && f.Elem.Secret {
			b.WriteString("- Secret: shown as `***`; give it with `${file:/run/secrets/...}` or `${env:NAME}` rather than in the file.\n")
		}
		if f.Example != nil {
			fmt.Fprintf(b, "- Example: `%s`\n", docValue(displayValue(f, f.Example)))
		}
		if f.Deprecated != "" {
			fmt.Fprintf(b, "- Deprecated: %s\n", f.Deprecated)
		}
		b.WriteString("\n")
	}
}

// docType names a field's type for readers.
func docType(f *Field) string {
	switch f.Type {
	case String:
		return "string"
	case Int:
		return "integer"
	case Float:
		return "number"
	case Bool:
		return "boolean"
	case Duration:
		return "duration"
	case Size:
		return "size"
	case List:
		return "list of " + plural(f.Elem)
	case Map:
		return "map of " + plural(f.Elem)
	case Object:
		return "object"
	case Plugin:
		return "`" + f.Category + "`"
	}
	return "any"
}

func plural(f *Field) string {
	switch f.Type {
	case Object:
		return "objects"
	case Plugin:
		return "`" + f.Category + "`"
	case List, Map:
		return docType(f)
	case Any:
		return "any values"
	}
	return docType(f) + "s"
}

func docRange(f *Field) string {
	switch {
	case f.Min != nil && f.Max != nil:
		return formatBound(f, *f.Min) + " to " + formatBound(f, *f.Max)
	case f.Min != nil:
		return "at least " + formatBound(f, *f.Min)
	}
	return "at most " + formatBound(f, *f.Max)
}

// docValue shows a default or example as it would be written in YAML's flow style.
func docValue(v any) string {
	if s, ok := v.(string); ok && isPlainKey(s) {
		return s
	}
	var buf strings.Builder
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

func firstSentence(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "\n\n"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	return strings.Join(strings.Fields(s), " ")
}

// pluginOf returns the plug-in a field holds, directly or as the element of a list or map.
func pluginOf(f *Field) *Field {
	for f != nil && (f.Type == List || f.Type == Map) {
		f = f.Elem
	}
	if f != nil && f.Type == Plugin {
		return f
	}
	return nil
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
