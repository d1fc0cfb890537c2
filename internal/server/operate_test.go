package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/courier-hl7/courier/mllp"
)

// syncBuffer is a log destination that several goroutines write and a test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSecondServeOnOneStoreRefused: a second serve on the store of a running one is refused
// with an error naming the process that holds it. Started, it would take the first one's
// leases back as its own (both have the node name kept beside the store) and send the
// entries in flight again, out of order. Once the first one stops, the store is free.
func TestSecondServeOnOneStoreRefused(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	cfg := "server:\n  data_dir: %q\nchannels:\n  - name: adt\n    source: {type: mllp, listen: %q}\n"
	first, second := filepath.Join(dir, "first.yaml"), filepath.Join(dir, "second.yaml")
	writeConfig(t, first, fmt.Sprintf(cfg, data, freeAddr(t)))
	writeConfig(t, second, fmt.Sprintf(cfg, data, freeAddr(t)))

	a := startRun(first, io.Discard, nil)
	a.waitStarted(t)
	b := startRun(second, io.Discard, nil)
	select {
	case err := <-b.done:
		if !errors.Is(err, errStoreInUse) {
			t.Fatalf("second serve: %v, want %v", err, errStoreInUse)
		}
		for _, want := range []string{"process " + strconv.Itoa(os.Getpid()), filepath.Join(data, "courier.db.lock"), "data_dir"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("second serve: %q does not say %q", err, want)
			}
		}
	case <-b.started:
		b.stop(t)
		a.stop(t)
		t.Fatal("a second serve started on the store of a running one")
	case <-time.After(15 * time.Second):
		b.stop(t)
		a.stop(t)
		t.Fatal("the second serve neither started nor returned within 15 s")
	}
	a.stop(t)

	c := startRun(second, io.Discard, nil)
	c.waitStarted(t)
	c.stop(t)
}

// TestReloadWarnsWhatItDoesNotApply: a reload that renames a destination holding queued
// messages says that they wait for a destination that no longer runs (nothing delivers
// them), and a reload that changes server or store settings says that they apply only
// after a restart, naming them. Both were silent: the log said only "configuration
// reloaded".
func TestReloadWarnsWhatItDoesNotApply(t *testing.T) {
	dir := t.TempDir()
	in, down := freeAddr(t), freeAddr(t)
	host, port, _ := net.SplitHostPort(down)
	cfg := `server:
  data_dir: %q
  log: {level: %s}
store:
  delete_after: %s
channels:
  - name: adt
    source: {type: mllp, listen: %q}
    destinations:
      - name: %s
        type: mllp
        host: %s
        port: %s
        connect_timeout: 200ms
        retry: {initial: 1s, max: 1s}
`
	file := filepath.Join(dir, "courier.yaml")
	data := filepath.Join(dir, "data")
	writeConfig(t, file, fmt.Sprintf(cfg, data, "info", "0", in, "ehr", host, port))
	logs := &syncBuffer{}
	reload := make(chan struct{})
	r := startRun(file, logs, reload)
	r.waitStarted(t)
	defer r.stop(t)

	c := &mllp.Client{Addr: in}
	defer c.Close()
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	resp, err := c.Send(sctx, []byte("MSH|^~\\&|A|B|C|D|20261127083000||ADT^A01^ADT_A01|R1|P|2.5\rPID|1||P1^^^H^MR||DOE^JO\r"))
	scancel()
	if err != nil || !resp.Accepted() {
		t.Fatalf("send: %v %s", err, resp.Code)
	}
	if strings.Contains(logs.String(), "not running") {
		t.Fatalf("a warning about a destination not running before any was removed:\n%s", logs)
	}

	writeConfig(t, file, fmt.Sprintf(cfg, data, "warn", "720h", in, "ehr-new", host, port))
	select {
	case reload <- struct{}{}:
	case <-time.After(10 * time.Second):
		t.Fatal("reload not taken within 10 s")
	}
	want := []string{
		"entries wait for a destination that is not running",
		"destination=ehr ",
		"waiting=1",
		"settings=server.log.level,store.delete_after",
		"configuration reloaded",
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := logs.String()
		missing := ""
		for _, w := range want {
			if !strings.Contains(got, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("within 10 s of the reload, the log does not say %q:\n%s", missing, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRestartOnly lists the settings a reload does not apply.
func TestRestartOnly(t *testing.T) {
	base := Settings{NodeID: "n", DataDir: "d", LogFormat: "text", MetricsListen: "127.0.0.1:9090",
		ShutdownTimeout: time.Second, StoreDriver: "sqlite", StorePath: "d/courier.db"}
	for _, tc := range []struct {
		name   string
		change func(*Settings)
		want   string
	}{
		{"none", func(*Settings) {}, ""},
		{"node", func(s *Settings) { s.NodeID = "m" }, "server.node_id"},
		{"data dir and path", func(s *Settings) { s.DataDir, s.StorePath = "e", "e/courier.db" }, "server.data_dir,store.path"},
		{"log", func(s *Settings) { s.LogLevel, s.LogFormat = 4, "json" }, "server.log.level,server.log.format"},
		{"metrics", func(s *Settings) { s.MetricsListen = "" }, "server.metrics_listen"},
		{"shutdown", func(s *Settings) { s.ShutdownTimeout = 2 * time.Second }, "server.shutdown_timeout"},
		{"driver", func(s *Settings) { s.StoreDriver = "postgres" }, "store.driver"},
		{"retention", func(s *Settings) { s.PruneContent, s.DeleteAfter = time.Hour, 2*time.Hour }, "store.prune_content_after,store.delete_after"},
	} {
		next := base
		tc.change(&next)
		if got := strings.Join(restartOnly(base, next), ","); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestStoreFilesPrivate: the store's files, which hold message content as received, are not
// readable by other users of the machine, also when store.path puts them in a folder open to
// all. SQLite alone creates them with 0644 less the umask.
func TestStoreFilesPrivate(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "shared")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(open, "courier.db")
	file := filepath.Join(dir, "courier.yaml")
	writeConfig(t, file, fmt.Sprintf("server:\n  data_dir: %q\nstore:\n  path: %q\nchannels:\n  - name: adt\n    source: {type: mllp, listen: %q}\n",
		filepath.Join(dir, "data"), db, freeAddr(t)))
	r := startRun(file, io.Discard, nil)
	r.waitStarted(t)
	defer r.stop(t)
	for _, name := range []string{db, db + "-wal", db + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if perm := fi.Mode().Perm(); perm&0o007 != 0 {
			t.Errorf("%s has permissions %v: readable by other users", filepath.Base(name), perm)
		}
	}
}
