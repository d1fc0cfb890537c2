package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/engine"
	"github.com/courier-hl7/courier/mllp"
)

// TestEditedMessagesUnderLoad runs a channel whose steps edit every message and a destination
// whose steps edit it again, fed by concurrent senders. The memory of a message's edits is
// given back once the store (channel) or the receiver (destination) has what it needs
// (hl7.Message.Release), and the next messages edit in it: a message read after its memory was
// given back would arrive with bytes of another message. Every delivered file must be exactly
// what the steps make of its own input.
func TestEditedMessagesUnderLoad(t *testing.T) {
	const senders, perSender, obx = 4, 50, 12
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := fmt.Sprintf(`server:
  data_dir: %q
channels:
  - name: lab
    source:
      type: mllp
      listen: %q
    steps:
      - type: set
        path: OBX[*]-3.4
        expr: 'upper(value) + "-" + PID["3.1"]'
      - type: set
        path: PID-5.1
        expr: 'upper(PID["5.1"])'
    destinations:
      - name: out
        type: file
        path: %q
        file_name: "{{MSH-10}}.hl7"
        steps:
          - type: set
            path: OBX[*]-5
            expr: 'seg["5"] + "/" + MSH["10"]'
`, filepath.Join(dir, "data"), addr, filepath.Join(dir, "out"))
	file := filepath.Join(dir, "courier.yaml")
	if err := os.WriteFile(file, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	started := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, RunOptions{File: file, Out: &strings.Builder{}, Logs: io.Discard,
			Started: func(*engine.Engine) { close(started) }})
	}()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("Run did not return within 15 s of cancel")
		}
	}()
	select {
	case <-started:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	case <-time.After(15 * time.Second):
		t.Fatal("not started within 15 s")
	}

	message := func(n int) (in, want string) {
		var b, w strings.Builder
		fmt.Fprintf(&b, "MSH|^~\\&|LIS|LAB|EHR|HOSP|20261127083000||ORU^R01^ORU_R01|C%04d|P|2.5.1\r", n)
		fmt.Fprintf(&b, "PID|1||P%04d^^^HOSP^MR||name%04d^given||19800101|F\r", n, n)
		fmt.Fprintf(&w, "MSH|^~\\&|LIS|LAB|EHR|HOSP|20261127083000||ORU^R01^ORU_R01|C%04d|P|2.5.1\r", n)
		fmt.Fprintf(&w, "PID|1||P%04d^^^HOSP^MR||NAME%04d^given||19800101|F\r", n, n)
		b.WriteString("OBR|1|||24331-1^LIPID PANEL^LN\r")
		w.WriteString("OBR|1|||24331-1^LIPID PANEL^LN\r")
		for k := 1; k <= obx; k++ {
			fmt.Fprintf(&b, "OBX|%d|NM|%d^TEST %d^L^code%d-%d||%d.%d|mg/dL|||||F\r", k, k, k, n, k, n, k)
			fmt.Fprintf(&w, "OBX|%d|NM|%d^TEST %d^L^CODE%d-%d-P%04d||%d.%d/C%04d|mg/dL|||||F\r", k, k, k, n, k, n, n, k, n)
		}
		return b.String(), w.String()
	}

	var wg sync.WaitGroup
	errs := make(chan error, senders)
	for s := range senders {
		wg.Go(func() {
			c := &mllp.Client{Addr: addr}
			defer c.Close()
			for i := range perSender {
				in, _ := message(s*perSender + i)
				sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
				resp, err := c.Send(sctx, []byte(in))
				scancel()
				if err != nil || !resp.Accepted() {
					errs <- fmt.Errorf("message %d: %v %s %s", s*perSender+i, err, resp.Code, resp.Text)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "out")
	const total = senders * perSender
	deadline := time.Now().Add(30 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(out, "*.hl7"))
		if len(files) == total {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d messages delivered within 30 s", len(files), total)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for n := range total {
		_, want := message(n)
		got, err := os.ReadFile(filepath.Join(out, fmt.Sprintf("C%04d.hl7", n)))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Fatalf("message %d delivered as\n%q\nwant\n%q", n, got, want)
		}
	}
}
