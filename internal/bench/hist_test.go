package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestHistogramBuckets: every value falls in a bucket whose bounds hold it, buckets are in
// order, and a bucket is at most 1/64 of its values wide.
func TestHistogramBuckets(t *testing.T) {
	vals := []time.Duration{0, 1, 63, 64, 65, 127, 128, 129, 255, 256, 1000, 999_999, time.Millisecond, time.Second, time.Hour, 1<<62 + 12345}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		vals = append(vals, time.Duration(r.Int64N(int64(10*time.Second))))
	}
	for _, v := range vals {
		i := bucket(v)
		lo := time.Duration(0)
		if i > 0 {
			lo = upper(i-1) + 1
		}
		if v < lo || v > upper(i) {
			t.Fatalf("%d in bucket %d = [%d, %d]", v, i, lo, upper(i))
		}
		if w := upper(i) - lo + 1; v >= 64 && float64(w) > float64(v)/64+1 {
			t.Fatalf("bucket of %d is %d wide", v, w)
		}
		if i >= len(histogram{}.counts) {
			t.Fatalf("%d: bucket %d out of range", v, i)
		}
	}
}

// TestHistogramQuantiles compares quantiles with those of the sorted values.
func TestHistogramQuantiles(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var h, a, b histogram
	var all []time.Duration
	for i := range 50000 {
		d := time.Duration(r.ExpFloat64() * float64(2*time.Millisecond))
		all = append(all, d)
		h.add(d)
		if i%2 == 0 {
			a.add(d)
		} else {
			b.add(d)
		}
	}
	a.merge(&b)
	slices.Sort(all)
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		want := all[int(q*float64(len(all)))]
		for name, hh := range map[string]*histogram{"one": &h, "merged": &a} {
			got := hh.quantile(q)
			if got < want || float64(got-want) > float64(want)/64+1 {
				t.Errorf("%s: quantile %v = %v, want %v within 1/64 above", name, q, got, want)
			}
		}
	}
	if h.max != all[len(all)-1] || h.quantile(1) != h.max {
		t.Errorf("max %v, quantile(1) %v, want %v", h.max, h.quantile(1), all[len(all)-1])
	}
	var empty histogram
	if empty.quantile(0.99) != 0 {
		t.Errorf("empty: %v", empty.quantile(0.99))
	}
}
