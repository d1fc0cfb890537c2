package reliability

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// channelName is the one channel every test configures.
const channelName = "rel"

// config is the courier.yaml a test runs: one channel with an MLLP source on 127.0.0.1 and
// MLLP destinations to the test's receivers.
type config struct {
	SourcePort  int
	MetricsPort int    // 0: no metrics endpoint
	Dedupe      string // dedupe_window; "" keeps the default (24h)
	Shutdown    string // shutdown_timeout; "" keeps the default (10s)
	Dests       []destConfig
}

// destConfig is one MLLP destination. Zero fields keep Courier's defaults.
type destConfig struct {
	Name        string
	Port        int
	OrderBy     string
	Parallel    int
	Connections int
	Claim       int
	Timeout     string // one delivery attempt
	ACKTimeout  string
	Retry       retryConfig
}

type retryConfig struct {
	Initial, Max string
	Multiplier   float64
	Jitter       float64
	MaxAttempts  int
	OnGiveUp     string
}

// yaml renders the configuration. Logs are at debug level, so that the PHI check reads
// everything Courier can log.
func (c config) yaml(dataDir string) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("server:")
	p("  node_id: reliability")
	p("  data_dir: %q", dataDir)
	p("  log:")
	p("    level: debug")
	p("    format: json")
	if c.Shutdown != "" {
		p("  shutdown_timeout: %s", c.Shutdown)
	}
	if c.MetricsPort != 0 {
		p("  metrics_listen: %q", fmt.Sprintf("127.0.0.1:%d", c.MetricsPort))
	}
	p("channels:")
	p("  - name: %s", channelName)
	p("    source:")
	p("      type: mllp")
	p("      listen: %q", fmt.Sprintf("127.0.0.1:%d", c.SourcePort))
	if c.Dedupe != "" {
		p("    dedupe_window: %s", c.Dedupe)
	}
	p("    destinations:")
	for _, d := range c.Dests {
		p("      - name: %s", d.Name)
		p("        type: mllp")
		p("        host: 127.0.0.1")
		p("        port: %d", d.Port)
		if d.OrderBy != "" {
			p("        order_by: %s", d.OrderBy)
		}
		if d.Parallel != 0 {
			p("        parallel: %d", d.Parallel)
		}
		if d.Connections != 0 {
			p("        connections: %d", d.Connections)
		}
		if d.Claim != 0 {
			p("        claim_size: %d", d.Claim)
		}
		if d.Timeout != "" {
			p("        timeout: %s", d.Timeout)
		}
		if d.ACKTimeout != "" {
			p("        ack_timeout: %s", d.ACKTimeout)
		}
		r := d.Retry
		if r == (retryConfig{}) {
			continue
		}
		p("        retry:")
		if r.Initial != "" {
			p("          initial: %s", r.Initial)
		}
		if r.Max != "" {
			p("          max: %s", r.Max)
		}
		if r.Multiplier != 0 {
			p("          multiplier: %g", r.Multiplier)
		}
		if r.Jitter != 0 {
			p("          jitter: %g", r.Jitter)
		}
		if r.MaxAttempts != 0 {
			p("          max_attempts: %d", r.MaxAttempts)
		}
		if r.OnGiveUp != "" {
			p("          on_give_up: %s", r.OnGiveUp)
		}
	}
	return b.String()
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// courier runs `courier serve` as a child process, again and again on the same data
// directory and ports. Its stdout and stderr go to one log file for the whole test.
type courier struct {
	t           testing.TB
	dir         string
	cfgPath     string
	dataDir     string
	dbPath      string
	addr        string // the MLLP source
	metricsAddr string // "" without metrics
	logPath     string
	logFile     *os.File

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the current process has exited
	exitErr error
	starts  []time.Time     // when each process was spawned
	ready   []time.Duration // spawn to listening, per start
}

// newCourier writes cfg (its SourcePort and MetricsPort are filled in when zero) and returns a
// courier that is not started. dataDir "" puts the data directory in the test's temporary
// directory. The process is killed at the end of the test, and its log shown if the test
// failed.
func newCourier(t testing.TB, cfg config, dataDir string) *courier {
	t.Helper()
	dir := t.TempDir()
	if dataDir == "" {
		dataDir = filepath.Join(dir, "data")
	}
	if cfg.SourcePort == 0 {
		cfg.SourcePort = freePort(t)
	}
	c := &courier{
		t: t, dir: dir, cfgPath: filepath.Join(dir, "courier.yaml"), dataDir: dataDir,
		dbPath: filepath.Join(dataDir, "courier.db"), addr: fmt.Sprintf("127.0.0.1:%d", cfg.SourcePort),
		logPath: filepath.Join(dir, "courier.log"),
	}
	if cfg.MetricsPort != 0 {
		c.metricsAddr = fmt.Sprintf("127.0.0.1:%d", cfg.MetricsPort)
	}
	if err := os.WriteFile(c.cfgPath, []byte(cfg.yaml(dataDir)), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	c.logFile = f
	t.Cleanup(func() {
		if c.running() {
			c.signal(syscall.SIGKILL)
			c.waitExit(10 * time.Second)
		}
		if t.Failed() {
			t.Logf("courier.yaml:\n%s\nlast lines of the courier log (%s):\n%s", cfg.yaml(dataDir), c.logPath, c.logTail(64<<10))
		}
		f.Close()
	})
	return c
}

// start spawns the process and waits (bounded) until its MLLP source accepts connections.
// It returns the time from spawn to listening.
func (c *courier) start() time.Duration {
	c.t.Helper()
	c.mu.Lock()
	if c.cmd != nil && !closed(c.exited) {
		c.mu.Unlock()
		c.t.Fatal("courier is already running")
	}
	fmt.Fprintf(c.logFile, "--- reliability harness: start %d\n", len(c.starts)+1)
	cmd := exec.Command(courierBin, "serve", "--config", c.cfgPath)
	cmd.Dir = c.dir
	cmd.Stdout, cmd.Stderr = c.logFile, c.logFile
	cmd.SysProcAttr = childAttr()
	spawn := time.Now()
	if err := cmd.Start(); err != nil {
		c.mu.Unlock()
		c.t.Fatalf("start courier: %v", err)
	}
	exited := make(chan struct{})
	c.cmd, c.exited, c.exitErr = cmd, exited, nil
	c.starts = append(c.starts, spawn)
	c.mu.Unlock()
	go func() {
		err := cmd.Wait()
		c.mu.Lock()
		c.exitErr = err
		c.mu.Unlock()
		close(exited)
	}()

	deadline := spawn.Add(20 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", c.addr, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			break
		}
		if closed(exited) {
			c.t.Fatalf("courier exited before listening on %s: %v", c.addr, c.exitError())
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("courier not listening on %s after 20s: %v", c.addr, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	d := time.Since(spawn)
	c.mu.Lock()
	c.ready = append(c.ready, d)
	c.mu.Unlock()
	return d
}

// closed reports whether ch is closed.
func closed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// running reports whether a process is running.
func (c *courier) running() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cmd != nil && !closed(c.exited)
}

// exitError returns how the last process exited (nil while it runs, or for status 0).
func (c *courier) exitError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exitErr
}

// signal sends sig to the running process, if any.
func (c *courier) signal(sig os.Signal) {
	c.mu.Lock()
	cmd := c.cmd
	c.mu.Unlock()
	if cmd != nil && cmd.Process != nil {
		_ = cmd.Process.Signal(sig)
	}
}

// waitExit waits up to d for the current process to exit and reports whether it did.
func (c *courier) waitExit(d time.Duration) bool {
	c.mu.Lock()
	exited := c.exited
	c.mu.Unlock()
	if exited == nil {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-exited:
		return true
	case <-t.C:
		return false
	}
}

// kill sends SIGKILL and waits for the process to be gone. It returns when it was reaped.
func (c *courier) kill() time.Time {
	c.t.Helper()
	c.signal(syscall.SIGKILL)
	if !c.waitExit(10 * time.Second) {
		c.t.Fatal("courier still running 10s after SIGKILL")
	}
	return time.Now()
}

// term sends SIGTERM and waits up to limit for the process to exit. It returns how long the
// exit took and the exit error (nil for status 0). Past limit it kills the process and fails.
func (c *courier) term(limit time.Duration) (time.Duration, error) {
	c.t.Helper()
	start := time.Now()
	c.signal(syscall.SIGTERM)
	if !c.waitExit(limit) {
		c.signal(syscall.SIGKILL)
		c.waitExit(10 * time.Second)
		c.t.Fatalf("courier still running %v after SIGTERM", limit)
	}
	return time.Since(start), c.exitError()
}

// cpuTime returns the user and system CPU time the running process has used so far, from
// /proc/PID/stat (Linux); ok is false elsewhere or when no process runs.
func (c *courier) cpuTime() (d time.Duration, ok bool) {
	c.mu.Lock()
	cmd := c.cmd
	c.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return 0, false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
	if err != nil {
		return 0, false
	}
	// Fields after the command name (which may contain spaces) start at state, field 3;
	// utime and stime are fields 14 and 15, in clock ticks (100 per second on Linux).
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return time.Duration(ut+st) * 10 * time.Millisecond, true
}

// startTimes returns when each process was spawned.
func (c *courier) startTimes() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Time(nil), c.starts...)
}

// readyTimes returns spawn-to-listening times, one per start.
func (c *courier) readyTimes() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.ready...)
}

// logTail returns the last n bytes of the log.
func (c *courier) logTail(n int64) string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return err.Error()
	}
	if int64(len(b)) > n {
		b = b[int64(len(b))-n:]
	}
	return string(b)
}

// cli runs `courier ARGS... --db <the store>` and returns its standard output. A failure
// fails the test.
func (c *courier) cli(args ...string) []byte {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, courierBin, append(args, "--db", c.dbPath)...)
	cmd.Dir = c.dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		c.t.Fatalf("courier %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	return stdout.Bytes()
}

// storedMessage is what `courier messages list --json` says of a message.
type storedMessage struct {
	ID   int64
	Meta struct {
		ControlID string
		PatientID string
	}
	Status        string
	SameContentAs int64
}

// stored lists every stored message of the channel, oldest first, with `courier messages
// list`.
func (c *courier) stored() []storedMessage {
	c.t.Helper()
	out := c.cli("messages", "list", "--channel", channelName, "--limit", "10000000", "--json")
	var ms []storedMessage
	if err := json.Unmarshal(out, &ms); err != nil {
		c.t.Fatalf("courier messages list --json: %v", err)
	}
	for i, j := 0, len(ms)-1; i < j; i, j = i+1, j-1 {
		ms[i], ms[j] = ms[j], ms[i]
	}
	return ms
}

// metric scrapes /metrics and returns the value of the series name{channel="rel"} (0 when
// absent).
func (c *courier) metric(name string) float64 {
	c.t.Helper()
	if c.metricsAddr == "" {
		c.t.Fatal("metrics are not enabled in this configuration")
	}
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + c.metricsAddr + "/metrics")
	if err != nil {
		c.t.Fatalf("scrape metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		c.t.Fatalf("scrape metrics: %v", err)
	}
	want := name + `{channel="` + channelName + `"} `
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), want); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				c.t.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	return 0
}

// assertNoPHI fails the test if the log contains the canary patient name or an MRN of the
// test messages: logs carry metadata only (RELIABILITY test 19 in miniature).
func (c *courier) assertNoPHI() {
	c.t.Helper()
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		c.t.Fatal(err)
	}
	if len(b) == 0 {
		c.t.Error("the courier log is empty: the PHI check would prove nothing")
	}
	for _, canary := range []string{canaryFamily, canaryGiven, mrnPrefix} {
		if i := bytes.Index(b, []byte(canary)); i >= 0 {
			start := max(bytes.LastIndexByte(b[:i], '\n')+1, 0)
			end := bytes.IndexByte(b[i:], '\n')
			if end < 0 {
				end = len(b) - i
			}
			c.t.Errorf("the courier log contains patient data (%q) in: %s", canary, b[start:i+end])
		}
	}
}
