package server

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
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
	writeConfig(t, file, cfg)
	r := startRun(file, io.Discard, nil)
	t.Cleanup(func() { r.stop(t) })
	return r.waitStarted(t), r.ctx
}

// run is one Run in the background.
type run struct {
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan error
	started chan *engine.Engine
}

func startRun(file string, logs io.Writer, reload <-chan struct{}) *run {
	ctx, cancel := context.WithCancel(context.Background())
	r := &run{ctx: ctx, cancel: cancel, done: make(chan error, 1), started: make(chan *engine.Engine, 1)}
	go func() {
		r.done <- Run(ctx, RunOptions{File: file, Out: io.Discard, Logs: logs, Reload: reload,
			Started: func(e *engine.Engine) { r.started <- e }})
	}()
	return r
}

// stop cancels the run and waits at most 15 s for it to return.
func (r *run) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case <-r.done:
	case <-time.After(15 * time.Second):
		t.Error("Run did not return within 15 s of cancel")
	}
}

// waitStarted returns the run's engine once every channel started.
func (r *run) waitStarted(t *testing.T) *engine.Engine {
	t.Helper()
	select {
	case e := <-r.started:
		return e
	case err := <-r.done:
		t.Fatalf("Run: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("not started within 15 s")
	}
	return nil
}

func writeConfig(t *testing.T, file, cfg string) {
	t.Helper()
	if err := os.WriteFile(file, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
}
