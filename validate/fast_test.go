package validate

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/courier-hl7/courier/hl7/dict"
)

// sepFlagsByByte is sepFlags written the obvious way, one byte at a time.
func sepFlagsByByte(w uint64, seps ...byte) uint64 {
	var t uint64
	for k := 0; k < 8; k++ {
		c := byte(w >> (8 * k))
		for _, s := range seps {
			if c == s {
				t |= 0x80 << (8 * k)
			}
		}
	}
	return t
}

// TestSepFlags checks that sepFlags flags exactly the bytes that are separators, wherever they
// are in the word: every byte value at every position, next to separators and to the bytes
// that fool the usual "has a zero byte" test (a separator XOR 1 just above a separator).
func TestSepFlags(t *testing.T) {
	for _, d := range []string{"|~^", "#*$", "!\"'", "}{/"} {
		m1, m2, m3 := swarLo*uint64(d[0]), swarLo*uint64(d[1]), swarLo*uint64(d[2])
		for _, fill := range []byte{'A', 0, 0xFF, 0x80, d[0], d[1] ^ 1, d[2] ^ 1} {
			for k := 0; k < 8; k++ {
				for v := 0; v < 256; v++ {
					var b [8]byte
					for i := range b {
						b[i] = fill
					}
					b[k] = byte(v)
					w := binary.LittleEndian.Uint64(b[:])
					if got, want := sepFlags(w, m1, m2, m3), sepFlagsByByte(w, d[0], d[1], d[2]); got != want {
						t.Fatalf("separators %q, word % x: got %016x, want %016x", d, b, got, want)
					}
				}
			}
		}
		r := rand.New(rand.NewPCG(1, 2))
		alphabet := []byte{d[0], d[1], d[2], d[0] ^ 1, d[1] ^ 1, d[2] ^ 1, d[0] + 1, 0, 1, 'A', 0x7F, 0x80, 0xFF}
		for range 100000 {
			var b [8]byte
			for i := range b {
				b[i] = alphabet[r.IntN(len(alphabet))]
			}
			w := binary.LittleEndian.Uint64(b[:])
			if got, want := sepFlags(w, m1, m2, m3), sepFlagsByByte(w, d[0], d[1], d[2]); got != want {
				t.Fatalf("separators %q, word % x: got %016x, want %016x", d, b, got, want)
			}
		}
	}
}

// TestSplitEdges checks the segment splitter where its words end: segments shorter than a
// word, of a word exactly and a byte longer, separators in the last bytes, empty fields and
// components in runs, fields beyond the definition. Issues show their offset.
func TestSplitEdges(t *testing.T) {
	tests := []struct {
		seg  string
		want []string
	}{
		{"PV1", []string{"E 101 PV1-2 @137: PV1-2 (Patient Class) is required but missing"}},
		{"PV1|", []string{"E 101 PV1-2 @138: PV1-2 (Patient Class) is required but missing"}},
		{"PV1|1", []string{"E 101 PV1-2 @139: PV1-2 (Patient Class) is required but missing"}},
		{"PV1|X|", []string{"E 102 PV1-1 @138: PV1-1 (Set ID - PV1): \"X\" is not a sequence ID (SI): expected a non-negative whole number", "E 101 PV1-2 @140: PV1-2 (Patient Class) is required but empty"}},
		{"PV1|1|Q", []string{"W 103 PV1-2 @140: PV1-2 (Patient Class): \"Q\" is not in HL7 table 0004 (Patient Class)"}},
		{"PV1|1|QQ", []string{"W 102 PV1-2 @140: PV1-2 (Patient Class) is 2 characters long; 2.5.1 allows at most 1", "W 103 PV1-2 @140: PV1-2 (Patient Class): \"QQ\" is not in HL7 table 0004 (Patient Class)"}},
		{"PV1|1|QQQ", []string{"W 102 PV1-2 @140: PV1-2 (Patient Class) is 3 characters long; 2.5.1 allows at most 1", "W 103 PV1-2 @140: PV1-2 (Patient Class): \"QQQ\" is not in HL7 table 0004 (Patient Class)"}},
		{"PV1|1|I|A~B", []string{"E 102 PV1-3 @142: PV1-3 (Assigned Patient Location) has 2 repetitions; 2.5.1 allows only one"}},
		{"PV1|1|I~O", []string{"E 102 PV1-2 @140: PV1-2 (Patient Class) has 2 repetitions; 2.5.1 allows only one"}},
		{"PV1|1|I|^^^^^^^^^^^^^^^^", nil},
		{"PV1|1|I||||||||||||||||||||||||||||||||||||||||||||||||||||X", []string{"W 102 PV1-54 @193: PV1-54 is not defined in 2.5.1, where PV1 has 52 fields: a receiver of this version ignores them"}},
		{"PV1|1|I|4E^401^1^^^^^^^^^Z", nil},
		{"PV1|1|I|4E^401^1|A|B|C|D|E", nil},
		{"PV1|1|I|4E^401^1|ABCDEFGHIJKLMNOP", []string{"W 102 PV1-4 @151: PV1-4 (Admission Type) is 16 characters long; 2.5.1 allows at most 2", "W 103 PV1-4 @151: PV1-4 (Admission Type): \"ABCDEFGHIJKLMNOP\" is not in HL7 table 0007 (Admission Type)"}},
	}
	v := mustValidator(t, Options{})
	for _, tt := range tests {
		res := v.Validate(mustParse(t, msg(msh251, evn, pid, tt.seg)))
		var got []string
		for _, is := range res.Issues {
			got = append(got, fmt.Sprintf("%s %s %s @%d: %s", is.Severity, is.Code, is.Path, is.Offset, is.Message))
		}
		sameLines(t, tt.seg, got, tt.want)
	}
}

// quickElems returns the elements of some segments of version ver, with their components and
// sub-components: what quickOK is asked about.
func quickElems(t testing.TB, v *Validator, ver string) []*elemSpec {
	d, _ := dict.Lookup(ver)
	vs := v.spec(d)
	var out []*elemSpec
	var add func(e *elemSpec, depth int)
	add = func(e *elemSpec, depth int) {
		out = append(out, e)
		if depth < 2 && e.typ != nil {
			for i := range e.typ.comps {
				add(&e.typ.comps[i], depth+1)
			}
		}
	}
	for _, name := range []string{"MSH", "PID", "PV1", "ORC", "OBR", "OBX", "NK1", "IN1", "TQ1", "SPM"} {
		s := vs.segment(name)
		if s == nil {
			continue
		}
		for i := range s.fields {
			add(&s.fields[i], 0)
		}
	}
	if len(out) == 0 {
		t.Fatalf("no elements in %s", ver)
	}
	return out
}

// FuzzQuickOK checks that quickOK, which accepts plainly right values without the full check,
// accepts nothing the full check reports: for every element of a few segments, in three
// versions, a value quickOK accepts as a field or a component gets no issue from checkValue
// and component.
func FuzzQuickOK(f *testing.F) {
	for _, s := range []string{"1", "NM", "CE", "CWE", "L", "LN", "99LAB", "HL70078", "HL7", "2.5.1", "2.8", "20260101", "202602301200",
		"1 Main St", "DOE", `""`, "F", "Q", "1.5", "-1", "ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ", "A&B", `A\F\B`, "12:30", "0830"} {
		f.Add(s)
	}
	v, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	versions := []string{"2.3", "2.5.1", "2.7"}
	elems := map[string][]*elemSpec{}
	for _, ver := range versions {
		elems[ver] = quickElems(f, v, ver)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if s == "" || bytes.ContainsAny([]byte(s), "|^~\r\n") {
			return // quickOK is only asked about values with no separator of their level
		}
		b := []byte(s)
		for _, ver := range versions {
			m := mustParse(t, msg(`MSH|^~\&|A|B|C|D|202601021530||ORU^R01^ORU_R01|1|P|`+ver, `OBX|1|ST|X||`+s))
			d, _ := dict.Lookup(ver)
			r := run{v: v, m: m, sc: new(scratch), vs: v.spec(d), d: m.Delimiters(), si: 1, seg: m.Segment(1), segName: "OBX"}
			r.sc.setClasses(r.d)
			r.segHasEsc = bytes.IndexByte(b, '\\') >= 0
			r.segHasSub = bytes.IndexByte(b, '&') >= 0
			for _, e := range elems[ver] {
				if e.typ == nil || !r.quickOK(e, b) {
					continue
				}
				r.res.Issues = nil
				if e.composite() {
					r.component(e, b, lvComp, 5, loc{comp: 1}) // quickOK is asked about composites as components
				} else {
					r.checkValue(e, e.typ, b, lvRep, 5, loc{})
					r.component(e, b, lvComp, 5, loc{comp: 1})
				}
				if len(r.res.Issues) > 0 {
					t.Fatalf("%s: quickOK accepts %q for %s (%s), which the full check reports: %v", ver, s, e.name, e.typName, r.res.Issues)
				}
			}
		}
	})
}
