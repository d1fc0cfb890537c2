package transform

import (
	"fmt"
	"testing"

	"github.com/courier-hl7/courier/hl7"
)

// The helpers of fast.go stand in for hl7's own calls on the hot paths; these tests hold them
// to giving exactly what hl7 gives.

var testDelimiters = []hl7.Delimiters{
	{Field: '|', Component: '^', Repetition: '~', Escape: '\\', SubComponent: '&'},
	{Field: '|', Component: '^', Repetition: '~', Escape: '\\', SubComponent: '&', Truncation: '#'},
	{Field: '#', Component: '!', Repetition: '@', Escape: '$', SubComponent: '%'},
	{Field: '|', Component: '^'},
}

func TestEscapeMatchesHL7(t *testing.T) {
	var texts []string
	for c := range 256 {
		texts = append(texts, string([]byte{'a', byte(c), 'b'}))
	}
	texts = append(texts, "", "plain", "A^B", "x\r\ny", `C:\dir`, "50%#1")
	for _, d := range testDelimiters {
		for _, s := range texts {
			got, err := escape(d, s)
			want, werr := d.EscapeText(s)
			if got != want || fmt.Sprint(err) != fmt.Sprint(werr) {
				t.Errorf("%q: escape(%q) = %q, %v; EscapeText gives %q, %v", d.EncodingCharacters(), s, got, err, want, werr)
			}
		}
	}
}

func TestTextMatchesValueString(t *testing.T) {
	msgs := []string{
		testMsg,
		er7(`MSH|^~\&|A|B`, `ZZZ|a\F\b|c^d|e~f|g&h|\E\|plain|`),
		er7(`MSH|#!@$%|A|B`, `ZZZ|a$F$b|c!d|e@f|g%h|^~\&|plain`),
	}
	for _, src := range msgs {
		m := parse(t, src)
		r := &run{}
		for i := range m.NumSegments() {
			s := m.Segment(i)
			for f := 1; f <= s.NumFields(); f++ {
				for _, p := range []hl7.Path{{Field: f}, {Field: f, Repetition: 1}, {Field: f, Component: 1}, {Field: f, Component: 2, SubComp: 1}} {
					v := s.Value(p)
					for _, rr := range []*run{nil, r} {
						if got, want := text(rr, v, m.Delimiters()), v.String(); got != want {
							t.Errorf("segment %d, %+v: text gives %q, String %q", i, p, got, want)
						}
					}
					if got, want := peekText(v, m.Delimiters()), v.String(); got != want {
						t.Errorf("segment %d, %+v: peekText gives %q, String %q", i, p, got, want)
					}
				}
			}
		}
	}
}

// TestTextOfEditedSegment checks that a value read from a segment that is then edited in
// place keeps the text it had.
func TestTextOfEditedSegment(t *testing.T) {
	m := parse(t, testMsg)
	p := hl7.MustParsePath("PID-5.1")
	r := &run{}
	if err := m.SetRawAt(p, "first"); err != nil { // PID is now the message's own copy
		t.Fatal(err)
	}
	got := text(r, m.ValueAt(p), m.Delimiters())
	if err := m.SetRawAt(p, "SECOND"); err != nil { // edited in place
		t.Fatal(err)
	}
	if got != "first" {
		t.Errorf("text read before the edit is now %q", got)
	}
}

// FuzzPositionalEdits checks that writing and deleting through a segment's position (setRaw,
// setText, deleteAt, at) gives the message and the errors that hl7's Message calls give.
func FuzzPositionalEdits(f *testing.F) {
	for _, seed := range []struct{ msg, path, value string }{
		{testMsg, "PID-5.1", "X"},
		{testMsg, "PID-11", ""},
		{testMsg, "PID-13", ""},
		{testMsg, "PID-3[2].4", "A^B"},
		{testMsg, "PV1-3.2.1", "y"},
		{testMsg, "MSH-2", "x"},
		{testMsg, "MSH-4", "NEW"},
		{testMsg, "ZPI-9", "far"},
		{er7("MSH|^~\\&|A", "OBX|1|NM|GLU||5|", "OBX|2|"), "OBX-5", "6"},
		{er7("MSH|^~\\&|A", "OBX|1|NM|GLU||5|", "OBX|2|"), "OBX[2]-2", ""},
		{er7("MSH|^~\\&|A", "OBX|1|NM|GLU||5|", "OBX|2|"), "OBX-3", "a\rb"},
		{er7("MSH|^", "PID|1|a~b|c"), "PID-2[2]", "x~y"},
	} {
		f.Add(seed.msg, seed.path, seed.value)
	}
	f.Fuzz(func(t *testing.T, msg, path, value string) {
		orig, err := hl7.Parse([]byte(msg))
		if err != nil {
			return
		}
		p, err := hl7.ParsePath(path)
		if err != nil || p.Field == 0 {
			return
		}
		seg := segPos(orig, p.Segment, p.Occurrence)
		if seg < 0 {
			return // nothing to compare: without a segment, the helpers call hl7 as it is
		}
		edits := []struct {
			name       string
			fast, slow func(m *hl7.Message) error
		}{
			{"setRaw", func(m *hl7.Message) error { return setRaw(m, seg, p, value) }, func(m *hl7.Message) error { return m.SetRawAt(p, value) }},
			{"setText", func(m *hl7.Message) error { return setText(m, seg, p, value) }, func(m *hl7.Message) error { return m.SetAt(p, value) }},
			{"deleteAt", func(m *hl7.Message) error { return deleteAt(m, seg, p) }, func(m *hl7.Message) error { return m.DeleteAt(p) }},
			// setIfChanged writes over the value it read with Segment.SetRawValue.
			{"setIfChanged", func(m *hl7.Message) error { return setIfChanged(m, seg, p, value) }, func(m *hl7.Message) error {
				if v := m.ValueAt(p); v.Present() && string(v.Raw()) == value {
					return nil
				}
				return m.SetRawAt(p, value)
			}},
		}
		for _, e := range edits {
			// Once on the parsed bytes, once on the message's own copy of the segment.
			for _, pre := range []bool{false, true} {
				fast, slow := orig.Clone(), orig.Clone()
				if pre {
					for _, m := range []*hl7.Message{fast, slow} {
						_ = m.SetRawAt(hl7.Path{Segment: p.Segment, Occurrence: p.Occurrence, Field: 1}, "1")
					}
				}
				ferr, serr := e.fast(fast), e.slow(slow)
				if fmt.Sprint(ferr) != fmt.Sprint(serr) {
					t.Fatalf("%s %s %q (edited before: %v): error %v, hl7 gives %v", e.name, p, value, pre, ferr, serr)
				}
				if got, want := string(fast.Bytes()), string(slow.Bytes()); got != want {
					t.Fatalf("%s %s %q (edited before: %v):\n%q\nhl7 gives\n%q", e.name, p, value, pre, got, want)
				}
				if got, want := at(fast, seg, p), fast.ValueAt(p); string(got.Raw()) != string(want.Raw()) || got.Present() != want.Present() {
					t.Fatalf("at %s: %q, hl7 gives %q", p, got.Raw(), want.Raw())
				}
			}
		}
	})
}
