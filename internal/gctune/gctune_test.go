package gctune

import (
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	for _, tc := range []struct {
		scanned uint64
		want    int
	}{
		{0, MaxPercent},
		{1 << 20, MaxPercent},
		{3 << 20, MaxPercent},
		{8 << 20, MaxPercent},       // a quarter of Headroom
		{16 << 20, 200},             // half
		{32 << 20, MinPercent},      // as large as Headroom
		{1 << 30, MinPercent},       // far larger
		{10 << 20, 320},             // in between: 32/10
		{Headroom*100/250 + 1, 249}, // rounding down
	} {
		if got := Percent(tc.scanned); got != tc.want {
			t.Errorf("Percent(%d MiB) = %d, want %d", tc.scanned>>20, got, tc.want)
		}
	}
}

// TestStartFollowsLiveHeap runs the tuner in this process: with a small live heap it sets
// MaxPercent, and after each collection it lowers the percentage when the live heap grows.
func TestStartFollowsLiveHeap(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set: Start leaves the collector alone")
	}
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })
	runtime.GC()
	if !Start() {
		t.Fatal("Start did nothing with GOGC and GOMEMLIMIT unset")
	}
	waitPercent(t, func(p int) bool { return p == MaxPercent }, "MaxPercent with a small live heap")

	// 64 MiB kept live: after the next collections the percentage falls to MinPercent.
	big := make([][]byte, 64)
	for i := range big {
		big[i] = make([]byte, 1<<20)
		big[i][0] = 1
	}
	waitPercent(t, func(p int) bool { return p == MinPercent }, "MinPercent with 64 MiB live")
	runtime.KeepAlive(big)
	big = nil

	waitPercent(t, func(p int) bool { return p == MaxPercent }, "MaxPercent again once the 64 MiB is garbage")

	// Goroutine stacks count too: the collector scans them, and Go's heap goal grows with
	// them. 4,000 goroutines waiting 40 calls deep use 40 MiB of stack or more, with little
	// heap.
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range 4000 {
		wg.Go(func() { deep(40, release) })
	}
	waitPercent(t, func(p int) bool { return p == MinPercent }, "MinPercent with 4,000 goroutines' stacks")
	close(release)
	wg.Wait()
}

// deep waits for release under depth calls, each with a quarter KiB of stack in use.
func deep(depth int, release chan struct{}) byte {
	var pad [256]byte
	pad[depth%len(pad)] = byte(depth)
	if depth == 0 {
		<-release
		return pad[0]
	}
	return deep(depth-1, release) + pad[depth%len(pad)]
}

// waitPercent collects until the GC percentage satisfies ok (the tuner runs in a finalizer,
// after a collection), for at most 5 s.
func waitPercent(t *testing.T, ok func(int) bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; i < 500 && time.Now().Before(deadline); i++ {
		runtime.GC()
		time.Sleep(time.Millisecond) // the finalizer goroutine runs the tuner
		p := debug.SetGCPercent(-1)
		debug.SetGCPercent(p)
		if ok(p) {
			return
		}
	}
	p := debug.SetGCPercent(-1)
	debug.SetGCPercent(p)
	t.Fatalf("GC percent %d, want %s", p, what)
}

// TestStartRespectsEnvironment: with GOGC set, Start changes nothing.
func TestStartRespectsEnvironment(t *testing.T) {
	t.Setenv("GOGC", "150")
	if Start() {
		t.Fatal("Start tuned the collector with GOGC set")
	}
}
