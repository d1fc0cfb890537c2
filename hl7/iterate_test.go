package hl7

import (
	"os"
	"path/filepath"
	"testing"
)

// checkIterators compares the one-pass iterators with the indexed accessors on every field
// of m, at every level: Reps with Rep(i) for i up to NumReps, and so on.
func checkIterators(t *testing.T, m *Message) {
	t.Helper()
	same := func(what string, it func(func(int, Value) bool), n int, at func(int) Value) {
		t.Helper()
		got := 0
		for i, v := range it {
			got++
			if i != got {
				t.Fatalf("%s: number %d at position %d", what, i, got)
			}
			w := at(i)
			if v.ok != w.ok || v.lv != w.lv || string(v.b) != string(w.b) {
				t.Fatalf("%s %d: %q (level %d), want %q (level %d)", what, i, v.b, v.lv, w.b, w.lv)
			}
		}
		if got != n {
			t.Fatalf("%s: %d yielded, want %d", what, got, n)
		}
	}
	for _, s := range m.Segments() {
		for f, v := range s.Fields() {
			where := s.Name() + "-" + itoa(f)
			same(where+" reps", v.Reps(), v.NumReps(), v.Rep)
			same(where+" comps", v.Comps(), v.NumComps(), v.Comp)
			same(where+" subs", v.Subs(), v.NumSubs(), v.Sub)
			for _, r := range v.Reps() {
				same(where+" rep reps", r.Reps(), r.NumReps(), r.Rep)
				same(where+" rep comps", r.Comps(), r.NumComps(), r.Comp)
				same(where+" rep subs", r.Subs(), r.NumSubs(), r.Sub)
				for _, c := range r.Comps() {
					same(where+" comp comps", c.Comps(), c.NumComps(), c.Comp)
					same(where+" comp subs", c.Subs(), c.NumSubs(), c.Sub)
					for _, sc := range c.Subs() {
						same(where+" sub subs", sc.Subs(), sc.NumSubs(), sc.Sub)
						same(where+" sub comps", sc.Comps(), sc.NumComps(), sc.Comp)
					}
				}
			}
		}
	}
	// Stopping early stops.
	for _, s := range m.Segments() {
		for _, v := range s.Fields() {
			n := 0
			for range v.Comps() {
				n++
				break
			}
			if n > 1 {
				t.Fatalf("break did not stop Comps")
			}
		}
	}
}

// TestIteratorsMatchIndex runs checkIterators on the test messages and, when it is there,
// on ../shared/corpus.
func TestIteratorsMatchIndex(t *testing.T) {
	var files []string
	for _, pattern := range []string{"testdata/*.hl7", "../../shared/corpus/*/*.hl7", "../../shared/corpus/*.hl7"} {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	if len(files) < 4 {
		t.Fatalf("found %d test messages", len(files))
	}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		file, err := ParseFile(data)
		if err != nil {
			continue // files the corpus test reports on
		}
		for _, b := range file.Batches {
			for _, m := range b.Messages {
				checkIterators(t, m)
			}
		}
	}
	for _, text := range []string{
		"MSH|^~\\&|A|B\rPID|1||1^^^H~2^^^I||A&B^C&&D~E||\r",
		"MSH|^~\\&|A\rZZZ|^^||~|&|x\r",
		"MSH|^|A\rPID|1||1~2^3&4\r", // no repetition or sub-component separator
	} {
		m, err := Parse([]byte(text))
		if err != nil {
			t.Fatalf("parse %q: %v", text, err)
		}
		checkIterators(t, m)
	}
}
