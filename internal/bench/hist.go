package bench

import (
	"math/bits"
	"time"
)

// histogram counts latencies in logarithmic buckets: 64 per power of two, so a quantile
// is read within 1/64 (1.6 %) of the true value, in a fixed 32 KiB whatever the run's
// length. A slice of every latency would grow with the run (8 bytes a message) and show up
// as the memory growth a long run is meant to rule out.
type histogram struct {
	counts [64 * 64]uint64
	n      uint64
	max    time.Duration
}

// bucket returns the index of d's bucket. Below 64 ns there is one bucket per value;
// above, a value v of bit length L is kept to its top 7 bits, m = v >> (L-7), in [64, 128),
// and the bucket is 64 + 64·(L-7) + (m-64).
func bucket(d time.Duration) int {
	v := uint64(max(d, 0))
	if v < 64 {
		return int(v)
	}
	s := bits.Len64(v) - 7
	return 64 + 64*s + int(v>>uint(s)) - 64
}

// upper returns the largest value in bucket i.
func upper(i int) time.Duration {
	if i < 64 {
		return time.Duration(i)
	}
	s, m := (i-64)/64, uint64((i-64)%64+64)
	return time.Duration((m+1)<<uint(s) - 1)
}

func (h *histogram) add(d time.Duration) {
	h.counts[bucket(d)]++
	h.n++
	h.max = max(h.max, d)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile returns the upper bound of the bucket holding the value of rank q·n (never more
// than the largest value seen).
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q * float64(h.n))
	if rank >= h.n {
		rank = h.n - 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen > rank {
			return min(upper(i), h.max)
		}
	}
	return h.max
}
