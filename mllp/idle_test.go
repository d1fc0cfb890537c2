package mllp

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The idle-connection figures are measured with the clients in a child process (this test
// binary, re-run as TestIdleClientsHelper), so that only the server's memory is counted and
// each process needs one file descriptor per connection, not two.

const (
	helperAddrEnv = "MLLP_IDLE_HELPER_ADDR"
	helperConnEnv = "MLLP_IDLE_HELPER_CONNS"
)

// TestIdleClientsHelper is the client side of the idle-connection measurement: it runs only
// in the child process started by measureIdle.
func TestIdleClientsHelper(t *testing.T) {
	addr := os.Getenv(helperAddrEnv)
	if addr == "" {
		t.Skip("helper process for the idle-connection measurement")
	}
	n, err := strconv.Atoi(os.Getenv(helperConnEnv))
	if err != nil {
		t.Fatal(err)
	}
	raiseFileLimit(t, n)
	conns := make([]net.Conn, n)
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	frame := []byte(frameOf(string(testMessage("IDLE"))))
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 4096)
			for i := w; i < n; i += 8 {
				c, err := net.DialTimeout("tcp", addr, 10*time.Second)
				if err == nil {
					// One message each, so that every server connection has read, handled and
					// written before it goes idle.
					c.SetDeadline(time.Now().Add(30 * time.Second))
					if _, err = c.Write(frame); err == nil {
						_, err = c.Read(buf)
					}
				}
				if err != nil {
					mu.Lock()
					firstErr = err
					mu.Unlock()
					return
				}
				conns[i] = c
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		fmt.Println("error", firstErr)
		return
	}
	fmt.Println("ready")
	// Hold the connections until the parent closes our stdin.
	bufio.NewReader(os.Stdin).ReadString('\n')
}

// idleFigures are the server's memory costs per idle connection.
type idleFigures struct {
	heapStack float64 // live heap plus goroutine stacks
	rss       float64 // resident set size, after returning free memory to the OS
}

func residentBytes() float64 {
	data, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) < 2 {
		return 0
	}
	pages, _ := strconv.ParseFloat(f[1], 64)
	return pages * float64(os.Getpagesize())
}

func memNow() (heapStack, rss float64) {
	runtime.GC()
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc + ms.StackInuse), residentBytes()
}

// measureIdle serves n idle connections and returns the memory they cost the server.
func measureIdle(tb testing.TB, n int) idleFigures {
	raiseFileLimit(tb, n)
	cnt := newCounters()
	s := &Server{Handler: ackHandler, MaxConns: n + 10, MaxConnsPerIP: n + 10, Hooks: cnt.hooks()}
	addr := serve(tb, s)
	heap0, rss0 := memNow()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestIdleClientsHelper$")
	cmd.Env = append(os.Environ(), helperAddrEnv+"="+addr, helperConnEnv+"="+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		tb.Fatalf("helper: %q, %v", line, err)
	}
	eventually(tb, fmt.Sprintf("%d connections answered", n), func() bool {
		return cnt.opened.Load() == int64(n) && cnt.out.Load() == int64(n)
	})
	time.Sleep(50 * time.Millisecond) // let the last responses' goroutines park
	heap1, rss1 := memNow()
	return idleFigures{heapStack: (heap1 - heap0) / float64(n), rss: (rss1 - rss0) / float64(n)}
}

// TestIdleConnectionMemory checks the 16 KiB budget per idle connection (RELIABILITY.md test
// 9) on 500 connections; BenchmarkIdleConns measures 10,000.
func TestIdleConnectionMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process holding 500 connections")
	}
	const n = 500
	f := measureIdle(t, n)
	t.Logf("%d idle connections: %.0f bytes each (heap + stacks), %.0f bytes each (RSS)", n, f.heapStack, f.rss)
	if raceEnabled {
		return // the race detector's instrumentation inflates stacks and heap
	}
	if f.heapStack > 16<<10 {
		t.Errorf("an idle connection costs the server %.0f bytes of heap and stack, over the 16 KiB budget", f.heapStack)
	}
}

// BenchmarkIdleConns holds b.N idle connections and reports what each costs the server. Run
// it with a fixed count: go test -run=^$ -bench=IdleConns -benchtime=10000x ./mllp
func BenchmarkIdleConns(b *testing.B) {
	if b.N > 30000 {
		b.Skip("run with -benchtime=Nx, N ≤ 30000")
	}
	f := measureIdle(b, b.N)
	b.ReportMetric(f.heapStack, "heap+stack-B/conn")
	b.ReportMetric(f.rss, "rss-B/conn")
	b.ReportMetric(0, "ns/op")
}
