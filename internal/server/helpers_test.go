package server

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/engine"
)

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startServe writes cfg as dir/courier.yaml and runs it as serve does, until the end of the
// test (then it cancels the run and waits for it). It returns the engine once every channel
// started, and the run's context.
func startServe(t *testing.T, dir, cfg string) (*engine.Engine, context.Context) {
	t.Helper()
	file := filepath.Join(dir, "courier.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan *engine.Engine, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, RunOptions{File: file, Out: &strings.Builder{}, Logs: io.Discard,
			Started: func(e *engine.Engine) { started <- e }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("Run did not return within 15 s of cancel")
		}
	})
	select {
	case e := <-started:
		return e, ctx
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("not started within 15 s")
	}
	return nil, nil
}
