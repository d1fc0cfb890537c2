package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// startListen runs `courier listen` in-process on a free loopback port until the test ends.
func startListen(t *testing.T, args ...string) string {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut bytes.Buffer
	go func() {
		done <- Main(ctx, append([]string{"listen", addr, "--quiet"}, args...), strings.NewReader(""), &out, &errOut)
	}()
	t.Cleanup(func() { cancel(); <-done })
	waitListening(t, addr)
	return addr
}

func TestSendAndListen(t *testing.T) {
	f := writeFile(t, "two.hl7", twoMessages)
	addr := startListen(t)
	code, out, errOut := run(t, "", "send", "--to", addr, "--concurrency", "2", f)
	if code != 0 || !strings.Contains(out, "2 message(s) sent, 0 not accepted") || !strings.Contains(out, "answers: AA 1, CA 1") {
		t.Errorf("send: %d %q %q", code, out, errOut)
	}

	// A receiver that refuses: exit status 1, and the refused messages in the failures file.
	refusing := startListen(t, "--ack", "AE", "--text", "unknown patient")
	failures := filepath.Join(t.TempDir(), "failed.hl7")
	code, out, _ = run(t, "", "send", "--to", refusing, "--quiet", "--failures", failures, f)
	if code != 1 || !strings.Contains(out, "2 message(s) sent, 2 not accepted") || !strings.Contains(out, "answers: AE 2") {
		t.Errorf("send to AE: %d %q", code, out)
	}
	b, _ := os.ReadFile(failures)
	if strings.Count(string(b), "MSH|") != 2 {
		t.Errorf("failures file: %q", b)
	}

	// A receiver that answers too late: timeouts.
	slow := startListen(t, "--delay", "2s")
	code, out, _ = run(t, "", "send", "--to", slow, "--quiet", "--timeout", "200ms", f)
	if code != 1 || !strings.Contains(out, "timeout") {
		t.Errorf("send to a slow receiver: %d %q", code, out)
	}

	// Nothing listening.
	code, out, _ = run(t, "", "send", "--to", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "--quiet", "--timeout", "500ms", "--connect-timeout", "500ms", f)
	if code != 1 || !strings.Contains(out, "not accepted") {
		t.Errorf("send to nothing: %d %q", code, out)
	}
	code, _, errOut = run(t, "", "send", f)
	if code != 1 || !strings.Contains(errOut, "--to HOST:PORT is required") {
		t.Errorf("no --to: %d %q", code, errOut)
	}
}
