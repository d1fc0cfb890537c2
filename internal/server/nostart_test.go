package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeExitsWhenNoChannelStarts: when every channel fails to start (here its port is
// taken), serve says so and returns an error instead of running with nothing to serve.
func TestServeExitsWhenNoChannelStarts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := t.TempDir()
	cfg := fmt.Sprintf("server:\n  data_dir: %q\nchannels:\n  - name: adt\n    source: {type: mllp, listen: %q}\n",
		filepath.Join(dir, "data"), ln.Addr().String())
	file := filepath.Join(dir, "courier.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	done := make(chan error, 1)
	go func() { done <- Run(context.Background(), RunOptions{File: file, Out: &out, Logs: io.Discard}) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "no channel started") || !strings.Contains(err.Error(), "address already in use") {
			t.Errorf("Run: %v, want an error saying no channel started, with the cause", err)
		}
		if !strings.Contains(out.String(), "failed") {
			t.Errorf("summary does not show the failed channel:\n%s", out.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run still running 15 s after every channel failed to start")
	}
}

// TestDefaultNodeID: without node_id, a node is named by a file beside the store's database,
// written once with the host name: the name stays when the host name changes later.
func TestDefaultNodeID(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "courier.db")
	host, _ := os.Hostname()
	id, err := defaultNodeID(db)
	if err != nil || id != host {
		t.Fatalf("first start: %q, %v; want the host name %q", id, err, host)
	}
	// Another host name later (a container started again) does not rename the node.
	if err := os.WriteFile(filepath.Join(dir, "node-id"), []byte("courier-7f3a\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if id, err := defaultNodeID(db); err != nil || id != "courier-7f3a" {
		t.Errorf("next start: %q, %v; want the kept name courier-7f3a", id, err)
	}
}
