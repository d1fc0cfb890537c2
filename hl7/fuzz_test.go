package hl7

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzSeeds adds the test messages and a few hostile shapes to a fuzz corpus.
func fuzzSeeds(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.hl7")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err == nil && len(data) < 20_000 {
			f.Add(data)
		}
	}
	for _, s := range []string{
		sampleADT,
		"MSH|^~\\&#|A\rPID|1||\"\"|~~|a\\Q\\b\\",
		"MSH#*@!%#A\nPID#1##X*Y%Z@W\n",
		"\xef\xbb\xbfMSH|^~\\&|A\r\n\r\nPID|1\r\n\x1a",
		"MSH|^~&|A\rNTE|1||\\X0D0A\\\\.sp 9\\",
		"MSH|^|A\rPID|1",
		"\xef\xbb\xbfMSH|^~\\&|A|||||||||||||||8859/1\rPID|1||M\xc3\xbcller\n",
		"\xef\xbb\xbfMSH|^~\\&|A|||||||||||||||8859/1\rPID|1||M\xfcller|caf\\XE9\\\x1a",
	} {
		f.Add([]byte(s))
	}
}

// FuzzParse checks the package's central promises on any input: no panic; an input that parses
// encodes back to itself; memory stays proportional to the input; a value set is read back,
// and the edited message parses again to the same bytes.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	paths := []Path{MustParsePath("PID-5.1"), MustParsePath("PID-3[2].4.2"), MustParsePath("OBX[2]-5"), MustParsePath("ZZZ-2.1")}
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m, err := Parse(data)
		runtime.ReadMemStats(&after)
		if err != nil {
			if m != nil {
				t.Fatal("message and error")
			}
			return
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(10*len(data)+8192) {
			t.Fatalf("parse of %d bytes allocated %d bytes", len(data), alloc)
		}
		if m.charset == "" && !bytes.Equal(m.Bytes(), data) {
			t.Fatalf("Bytes() = %q, want %q", m.Bytes(), data)
		}
		for _, s := range m.Segments() {
			for _, v := range s.Fields() {
				_ = v.String()
				for _, r := range v.Reps() {
					for _, c := range r.Comps() {
						_ = c.String()
					}
				}
			}
		}
		checkIterators(t, m)
		_ = m.Tree()
		for i, p := range paths {
			c := m.Clone()
			text := []string{"x", "a^b", "~&|\\", "\r\n"}[i]
			if err := c.SetAt(p, text); err != nil {
				continue
			}
			if got := c.ValueAt(p).String(); got != text {
				t.Fatalf("Set(%s, %q) then Get = %q", p, text, got)
			}
			out := c.Bytes()
			m2, err := Parse(out)
			if err != nil {
				t.Fatalf("edited message does not parse: %v\n%q", err, out)
			}
			if got := m2.ValueAt(p).String(); got != text && m.charset == "" {
				t.Fatalf("reparsed %s = %q, want %q\n%q", p, got, text, out)
			}
			if string(m.Bytes()) != string(data) && m.charset == "" {
				t.Fatal("editing a clone changed the original")
			}
		}
	})
}

// FuzzPath checks that any string either fails to parse as a path or parses to a path whose
// canonical form parses back to it.
func FuzzPath(f *testing.F) {
	for _, s := range []string{"PID-5.1", "PID-3[2].1", "OBX[2]-5", "PID-5.1.2", "PID-5-1", "PID.5.1", "pid-3[99].4.1", "X", "OBX[0]"} {
		f.Add(s)
	}
	m, _ := Parse([]byte(sampleADT))
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		q, err := ParsePath(p.String())
		if err != nil || q != p {
			t.Fatalf("ParsePath(%q) = %+v; canonical %q reads %+v, %v", s, p, p.String(), q, err)
		}
		_ = m.ValueAt(p).String()
	})
}

// FuzzEscape checks that escaping any text and decoding it gives the text back, and that
// decoding any input never fails.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"plain", "a^b&c~d|e\\f", `\X0D\`, `\.sp 3\`, "\r\n", `\M2442\\X3021\\C2842\`, "#"} {
		f.Add(s)
	}
	ds := []Delimiters{DefaultDelimiters(), {Field: '|', Component: '^', Repetition: '~', Escape: '\\', SubComponent: '&', Truncation: '#'}, {Field: '#', Component: '*', Repetition: '@', Escape: '!', SubComponent: '%'}}
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range ds {
			_ = d.UnescapeText(s)
			e, err := d.EscapeText(s)
			if err != nil {
				t.Fatal(err)
			}
			if got := d.UnescapeText(e); got != s && utf8.ValidString(s) {
				t.Fatalf("UnescapeText(EscapeText(%q)) = %q via %q", s, got, e)
			}
		}
	})
}

// FuzzACK checks that every message that parses can be acknowledged, that the acknowledgement
// parses and correlates, and that RejectRaw answers any input.
func FuzzACK(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := RejectRaw(data, AckOptions{Code: AckAR, ControlID: "R"})
		if r == nil {
			t.Fatal("RejectRaw returned nil")
		}
		if _, err := Parse(r.Bytes()); err != nil {
			t.Fatalf("RejectRaw output does not parse: %v\n%q", err, r.Bytes())
		}
		m, err := Parse(data)
		if err != nil {
			return
		}
		// The usual acknowledgement (no ERR) is written and indexed by a path of its own:
		// it must match the reference construction, byte for byte and index for index.
		compareACK(t, fmt.Sprintf("%q", data), m, AckOptions{ControlID: "F1", Time: time.Date(2026, 11, 27, 8, 30, 0, 0, time.UTC)})
		a, err := m.ACK(AckOptions{Code: AckAE, Text: "x", Errors: []AckError{{Location: MustParsePath("PID-3"), Code: ErrCodeRequiredFieldMissing}}})
		if err != nil {
			t.Fatal(err)
		}
		a2, err := Parse(a.Bytes())
		if err != nil {
			t.Fatalf("ACK does not parse: %v\n%q", err, a.Bytes())
		}
		if bytes.ContainsRune(m.Text(), utf8.RuneError) {
			// Bytes that the declared character set does not define cannot be echoed exactly.
			return
		}
		if !bytes.Equal(a2.ValueAt(MustParsePath("MSA-2")).Raw(), m.ValueAt(MustParsePath("MSH-10")).Raw()) {
			t.Fatalf("MSA-2 %q != MSH-10 %q", a2.Get("MSA-2"), m.Get("MSH-10"))
		}
	})
}
