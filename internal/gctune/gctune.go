// Package gctune sets how often the Go garbage collector runs in the courier binary.
//
// Go collects when the heap has grown by GOGC percent (100 by default) over what the last
// collection found live. Courier's live heap is small: 2–3 MiB for `courier serve` at
// thousands of messages per second, its bulk being SQLite's page caches, which the collector
// does not manage. With so small a heap the collector runs dozens of times a second under
// load, and each run costs CPU on every core and a pause at its start and end: on a 2-core
// machine, MLLP acknowledgements at half of peak load had a p99 of 1.8–2.4 ms with the default
// and 1.3–1.6 ms with GOGC=400 (four alternated pairs), and the engine acknowledged 10–15 %
// more messages per second (see docs/BENCHMARKS.md).
//
// Go's heap goal is the live heap plus GOGC percent of what the collector scans: the live
// heap, goroutine stacks and globals. Start lets the heap grow by up to Headroom over the
// live heap, with GOGC between 100 and 400: 400 while the scanned memory is under a quarter of
// Headroom (12 MiB more for 3 MiB scanned), falling to Go's own 100 once it is as large as
// Headroom. A process holding much memory — ten thousand idle connections' stacks, a 16 MiB
// message being transformed — thus grows no more than Go's default would let it, and a small
// one trades a few MiB for far fewer collections. The percentage is recomputed after each
// collection.
//
// An operator who sets GOGC or GOMEMLIMIT in the environment decides alone: Start does
// nothing then.
package gctune

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

const (
	// Headroom is how far above the live heap the collector lets the heap grow.
	Headroom = 32 << 20
	// MinPercent and MaxPercent bound the GOGC percentage Start sets.
	MinPercent = 100
	MaxPercent = 400
)

// Percent returns the GOGC percentage for scanned bytes of live heap, stacks and globals.
func Percent(scanned uint64) int {
	if scanned == 0 {
		return MaxPercent
	}
	p := Headroom * 100 / scanned
	return int(min(max(p, MinPercent), MaxPercent))
}

var once sync.Once

// Start tunes the collector for the rest of the process's life, unless GOGC or GOMEMLIMIT is
// set in the environment. It reports whether it did.
func Start() bool {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return false
	}
	once.Do(func() {
		t := &tuner{sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}}
		t.adjust()
		t.arm()
	})
	return true
}

// tuner recomputes the percentage after each collection, from the finalizer of an object
// that the collection found unreachable (the finalizer arms a new one).
type tuner struct{ sample []metrics.Sample }

// sentinel is big enough and holds a pointer, so that it is not batched with other small
// objects by the allocator and is freed by the first collection after it is dropped.
type sentinel struct {
	t *tuner
	_ [2]uint64
}

func (t *tuner) arm() {
	runtime.SetFinalizer(&sentinel{t: t}, func(s *sentinel) {
		s.t.adjust()
		s.t.arm()
	})
}

func (t *tuner) adjust() {
	metrics.Read(t.sample)
	var scanned uint64
	for _, s := range t.sample {
		if s.Value.Kind() == metrics.KindUint64 {
			scanned += s.Value.Uint64()
		}
	}
	debug.SetGCPercent(Percent(scanned)) // once per collection: cheap, and it undoes a change made by anyone else
}
