package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/courier-hl7/courier/internal/editdist"
)

func findField(fields []Field, name string) *Field {
	for i := range fields {
		if fields[i].Name == name {
			return &fields[i]
		}
	}
	return nil
}

// joinKey appends a key to a path: server.tls for names, headers["X.Y"] for keys that would
// read ambiguously.
func joinKey(path, key string) string {
	if !isPlainKey(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func isPlainKey(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// unknownKeyHint suggests the key that was probably meant — among this object's keys and the
// keys of its nested objects, so that tls_ca suggests tls.ca — or lists the keys allowed here.
func unknownKeyHint(key string, fields []Field, plugin bool) string {
	var direct, nested []string
	if plugin {
		direct = append(direct, "type")
	}
	for _, f := range fields {
		direct = append(direct, f.Name)
		if f.Type == Object {
			nested = appendNested(nested, f.Name+".", f.Fields, 2)
		}
	}
	if s := suggest(key, direct); s != "" {
		return fmt.Sprintf(" (did you mean `%s`?)", s)
	}
	if s := suggest(key, nested); s != "" {
		return fmt.Sprintf(" (did you mean `%s`?)", s)
	}
	if len(direct) == 0 {
		return " (nothing can be set here)"
	}
	return " (known keys: " + backquoteList(direct) + ")"
}

func appendNested(out []string, prefix string, fields []Field, depth int) []string {
	for _, f := range fields {
		out = append(out, prefix+f.Name)
		if f.Type == Object && depth > 1 {
			out = appendNested(out, prefix+f.Name+".", f.Fields, depth-1)
		}
	}
	return out
}

// kindList names the registered kinds of a category for an error message.
func kindList(category string, kinds []string) string {
	if len(kinds) == 0 {
		return "no " + category + " types are registered"
	}
	return "known types: " + backquoteList(kinds)
}

// suggest returns the candidate closest to word, if it is close enough to be a likely typo:
// an edit distance of at most a third of the word's length, after ignoring case and the
// separators _ - . (so tls_ca matches tls.ca, and afterstore matches after-store).
func suggest(word string, candidates []string) string {
	w := normalizeKey(word)
	if w == "" || len(w) > 64 {
		return ""
	}
	limit := max(1, len(w)/3)
	best, bestDist := "", limit+1
	for _, c := range candidates {
		if dist := editdist.Distance(w, normalizeKey(c)); dist < bestDist {
			best, bestDist = c, dist
		}
	}
	return best
}

func normalizeKey(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', ' ':
			return -1
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}
