package fhir

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"

	"github.com/courier-hl7/courier/hl7"
)

// TestSlab checks that the slices a slab hands out are independent: an append beyond one's
// capacity does not write into the next.
func TestSlab(t *testing.T) {
	var s slab[Coding]
	a := s.many(2)
	b := s.many(1)
	b = append(b, Coding{Code: "b"})
	a = append(a, Coding{Code: "a1"}, Coding{Code: "a2"}, Coding{Code: "a3"}) // beyond its capacity of 2
	if b[0].Code != "b" {
		t.Errorf("appending to a overwrote b: %q", b[0].Code)
	}
	if len(a) != 3 || a[2].Code != "a3" {
		t.Errorf("a = %v", a)
	}
	seen := map[*Coding]bool{}
	for range 1000 {
		c := s.one()
		if *c != (Coding{}) || seen[c] {
			t.Fatalf("one returned a used element")
		}
		c.Code = "x"
		seen[c] = true
	}
}

// TestResourceIndex checks the index against a map, across its growth.
func TestResourceIndex(t *testing.T) {
	var x resourceIndex
	r := rand.New(rand.NewPCG(5, 6))
	for round := range 3 {
		x.reset()
		want := map[uuid]int{}
		for i := range 1000 {
			var u uuid
			for j := range u {
				u[j] = byte(r.IntN(256))
			}
			if round == 2 {
				u[0], u[1], u[2], u[3] = 0, 0, 0, byte(i%3) // colliding home slots
			}
			if _, ok := want[u]; ok {
				continue
			}
			if got := x.get(u); got != -1 {
				t.Fatalf("get of an absent id = %d", got)
			}
			x.put(u, i)
			want[u] = i
		}
		for u, i := range want {
			if got := x.get(u); got != i {
				t.Fatalf("get = %d, want %d", got, i)
			}
		}
	}
}

// TestConvertConcurrent converts the test messages from several goroutines with one
// Converter, whose scratch is pooled, and wants the Bundles of sequential conversions;
// a Bundle must also stay as it was while later conversions reuse the scratch.
func TestConvertConcurrent(t *testing.T) {
	c, err := NewConverter(goldenOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/*.hl7")
	var inputs [][]byte
	var want [][]byte
	var bundles []*Bundle
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := hl7.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.Convert(m)
		if err != nil {
			t.Fatal(err)
		}
		js, _ := b.JSON()
		inputs, want, bundles = append(inputs, data), append(want, js), append(bundles, b)
	}
	var wg sync.WaitGroup
	errs := make(chan string, 8*len(inputs))
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range 20 {
				i := (g + k) % len(inputs)
				m, err := hl7.Parse(inputs[i])
				if err != nil {
					errs <- files[i] + ": " + err.Error()
					return
				}
				b, err := c.Convert(m)
				if err != nil {
					errs <- files[i] + ": " + err.Error()
					return
				}
				if got, _ := b.JSON(); !bytes.Equal(got, want[i]) {
					errs <- files[i] + ": a concurrent conversion differs"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	for i, b := range bundles {
		if got, _ := b.JSON(); !bytes.Equal(got, want[i]) {
			t.Errorf("%s: the Bundle changed after later conversions", files[i])
		}
	}
}

// TestConvertEdited converts an edited message, whose text is not one string (conv.src is
// empty), and wants what its re-parsed bytes give.
func TestConvertEdited(t *testing.T) {
	c, err := NewConverter(goldenOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile("testdata/oru_r01.hl7")
	if err != nil {
		t.Fatal(err)
	}
	m, err := hl7.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Set("PID-5.1", "Edited"); err != nil {
		t.Fatal(err)
	}
	b, err := c.Convert(m)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := b.JSON()
	if !bytes.Contains(got, []byte(`"Edited"`)) {
		t.Errorf("the edit is not in the Bundle")
	}
	if want := mustConvert(t, c, m.Bytes()); !bytes.Equal(got, want) {
		t.Errorf("the edited message converts differently from its bytes:\n%s\n%s", got, want)
	}
}

// TestRewoundZero wants the slabs that a conversion to bytes keeps for the next one to be
// zero once rewound, up to their capacity, after every test and corpus message with every
// option set: a field that rewinding left set (see slab.rewindWith) would carry one
// message's data into the next conversion and keep it alive in the pool.
func TestRewoundZero(t *testing.T) {
	msgs := identityMessages(t)
	checked := 0
	for name, o := range identityOptions(t) {
		c, err := NewConverter(o)
		if err != nil {
			t.Fatal(err)
		}
		for f, data := range msgs {
			m, err := hl7.Parse(data)
			if err != nil {
				continue
			}
			if _, err := c.AppendJSON(nil, m); err != nil {
				continue
			}
			cv, _ := c.bytesPool.Get().(*conv)
			if cv == nil {
				continue // the pool was emptied by a collection
			}
			p := reflect.ValueOf(&cv.p).Elem()
			for i := 0; i < p.NumField(); i++ {
				buf := p.Field(i).FieldByName("buf")
				buf = buf.Slice(0, buf.Cap())
				for j := 0; j < buf.Len(); j++ {
					if !buf.Index(j).IsZero() {
						t.Fatalf("%s, options %s: element %d of slab %s is not zero after rewind", f, name, j, p.Type().Field(i).Name)
					}
				}
			}
			c.bytesPool.Put(cv)
			checked++
		}
	}
	if checked == 0 {
		t.Fatal("no slab checked")
	}
}
