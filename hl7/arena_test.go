package hl7

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRelease: Release empties the message; what was copied out of it before stays as it was
// while later messages edit in the released blocks; a second Release does nothing.
func TestRelease(t *testing.T) {
	const in = "MSH|^~\\&|A|B\rPID|1||ID1||DOE^JANE\rZPX|1|x\rOBX|1|NM|GLU||5.5\r"
	orig := mustParse(t, in)
	m := orig.Clone()
	for _, e := range []struct{ path, text string }{{"PID-5.1", "SMITH"}, {"ZPX-2", "yy"}, {"OBX-5", "6.1"}} {
		if err := m.Set(e.path, e.text); err != nil {
			t.Fatal(err)
		}
	}
	const want = "MSH|^~\\&|A|B\rPID|1||ID1||SMITH^JANE\rZPX|1|yy\rOBX|1|NM|GLU||6.1\r"
	out := m.Bytes()
	name := m.Segment(2).Name() // an edited segment's name, kept past Release
	val := m.Segment(1).Field(5).String()
	c := m.Clone()
	m.Release()
	if n := m.NumSegments(); n != 0 {
		t.Errorf("after Release: %d segments, want 0", n)
	}
	if b := m.Bytes(); len(b) != 0 {
		t.Errorf("after Release: Bytes = %q, want nothing", b)
	}
	m.Release()
	// Later messages edit in the released blocks, writing over every byte they held.
	for range 4 {
		o := orig.Clone()
		for _, p := range []string{"PID-5.1", "ZPX-2", "OBX-5", "OBX-3"} {
			if err := o.Set(p, strings.Repeat("#", 40)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if string(out) != want {
		t.Errorf("Bytes taken before Release = %q, want %q", out, want)
	}
	if name != "ZPX" || val != "SMITH^JANE" {
		t.Errorf("name %q, value %q taken before Release, want ZPX, SMITH^JANE", name, val)
	}
	if got := string(c.Bytes()); got != want {
		t.Errorf("clone made before Release = %q, want %q", got, want)
	}
	if got := string(orig.Bytes()); got != in {
		t.Errorf("the parsed message = %q, want it unchanged", got)
	}
}

// TestReleaseUnedited: releasing a message that was never edited leaves the bytes it was
// parsed from alone.
func TestReleaseUnedited(t *testing.T) {
	data := []byte("MSH|^~\\&|A|B\rPID|1||ID1\r")
	m, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	b := m.Bytes()
	m.Release()
	if string(b) != "MSH|^~\\&|A|B\rPID|1||ID1\r" || string(data) != string(b) {
		t.Errorf("parsed bytes changed: %q", b)
	}
}

// TestReleaseDifferential applies the same random edits to two clones of each test message,
// one editing in freshly allocated blocks and one in blocks that released messages filled
// with delimiters and line ends, and requires byte-identical results after every edit.
func TestReleaseDifferential(t *testing.T) {
	files, err := filepath.Glob("testdata/*.hl7")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test messages: %v", err)
	}
	poison := func() {
		// Messages whose edits filled their blocks with delimiters, released. (SetRaw refuses
		// line ends; edits never read past a segment's length, whatever the block holds.)
		for range 8 {
			m := mustParse(t, "MSH|^~\\&|A\rZZZ|1\r")
			for i := 2; i < 12; i++ {
				if err := m.SetRaw(fmt.Sprintf("ZZZ-%d", i), strings.Repeat("^~&\\", 50)); err != nil {
					t.Fatal(err)
				}
				if err := m.SetRaw("ZZZ-1", strings.Repeat("|^", 100)); err != nil {
					t.Fatal(err)
				}
			}
			m.Release()
		}
	}
	rng := rand.New(rand.NewPCG(6, 1))
	texts := []string{"", "X", "LONGER VALUE WITH SPACES", "A^B", `""`, "a|b", strings.Repeat("Z", 300), "ÄÖ", "12.5"}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		base, err := Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]int{}
		for _, s := range base.Segments() {
			names[s.Name()]++
		}
		var segNames []string
		for n := range names {
			segNames = append(segNames, n)
		}
		slices.Sort(segNames) // map order is random: sort for a repeatable run
		for round := range 20 {
			poison()
			fresh, pooled := base.Clone(), base.Clone()
			var ops []string
			for range 25 {
				op := randomEdit(rng, segNames, names, texts)
				ops = append(ops, op.String())
				freshBlocks.Store(true)
				errF := op.apply(fresh)
				freshBlocks.Store(false)
				errP := op.apply(pooled)
				if fmt.Sprint(errF) != fmt.Sprint(errP) {
					t.Fatalf("%s round %d: %s: error %v with fresh blocks, %v with pooled ones", f, round, op, errF, errP)
				}
				if !bytes.Equal(fresh.Bytes(), pooled.Bytes()) {
					t.Fatalf("%s round %d after %s:\nfresh  %q\npooled %q", f, round, strings.Join(ops, "; "), fresh.Bytes(), pooled.Bytes())
				}
				for i := range fresh.NumSegments() {
					if a, b := fresh.Segment(i).Name(), pooled.Segment(i).Name(); a != b {
						t.Fatalf("%s round %d: segment %d is %s with fresh blocks, %s with pooled ones", f, round, i, a, b)
					}
				}
			}
			fresh.Release()
			pooled.Release()
		}
	}
}

type editOp struct {
	kind, path, text string
	at               int
}

func (o editOp) String() string { return fmt.Sprintf("%s(%s, %d, %q)", o.kind, o.path, o.at, o.text) }

func (o editOp) apply(m *Message) error {
	switch o.kind {
	case "set":
		return m.Set(o.path, o.text)
	case "setraw":
		return m.SetRaw(o.path, o.text)
	case "delete":
		return m.Delete(o.path)
	case "value":
		// Segment.SetRawValue over a value just read, as transform steps write.
		p, err := ParsePath(o.path)
		if err != nil {
			return err
		}
		i := m.find(p.Segment, p.Occurrence)
		if i < 0 {
			return nil
		}
		_, err = m.Segment(i).SetRawValue(m.Segment(i).Value(p), o.text)
		return err
	case "insert":
		return m.InsertSegment(min(o.at, m.NumSegments()), o.text)
	case "remove":
		m.RemoveSegment(o.at % max(m.NumSegments(), 1))
		return nil
	}
	return fmt.Errorf("unknown edit %q", o.kind)
}

func randomEdit(rng *rand.Rand, segNames []string, counts map[string]int, texts []string) editOp {
	name := segNames[rng.IntN(len(segNames))]
	path := name
	if n := counts[name]; n > 1 {
		path += fmt.Sprintf("[%d]", 1+rng.IntN(n))
	}
	path += fmt.Sprintf("-%d", 3+rng.IntN(20))
	switch rng.IntN(3) {
	case 1:
		path += fmt.Sprintf(".%d", 1+rng.IntN(5))
	case 2:
		path += fmt.Sprintf("[%d].%d.%d", 1+rng.IntN(2), 1+rng.IntN(3), 1+rng.IntN(2))
	}
	text := texts[rng.IntN(len(texts))]
	switch k := rng.IntN(10); {
	case k < 4:
		return editOp{kind: "set", path: path, text: text}
	case k < 6:
		return editOp{kind: "value", path: path, text: strings.ReplaceAll(text, "|", "")}
	case k < 7:
		return editOp{kind: "setraw", path: path, text: text}
	case k < 8:
		return editOp{kind: "delete", path: path}
	case k < 9:
		return editOp{kind: "insert", at: 1 + rng.IntN(40), text: "ZIN|1|" + strings.ReplaceAll(text, "|", "^")}
	}
	return editOp{kind: "remove", at: 1 + rng.IntN(40)}
}
