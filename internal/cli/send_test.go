package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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

// TestSendFileProblems checks that send says so, and exits 1, when a file is not what the
// operator meant: not HL7, empty, a batch whose counts do not match, a missing file among
// others (refused before anything is sent), a folder; and that it refuses flags that would
// hang it or send nothing.
func TestSendFileProblems(t *testing.T) {
	recv := t.TempDir()
	addr := startListen(t, "--out", recv)
	dir := t.TempDir()
	junk, empty, badBatch := filepath.Join(dir, "notes.txt"), filepath.Join(dir, "empty.hl7"), filepath.Join(dir, "batch.hl7")
	writeAt(t, junk, "hello, this is not HL7\n")
	writeAt(t, empty, "")
	writeAt(t, badBatch, "BHS|^~\\&|A|B\r"+twoMessages+"BTS|3\r")
	good := writeFile(t, "two.hl7", twoMessages)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name    string
		args    []string
		out     string // in standard output
		errOut  string // in standard error
		sentNow int    // messages the listener gets from this run
	}{
		{"not HL7", []string{junk}, "1 file problem(s)", junk + ":1:1: hl7: line 1 col 1 (byte 0): message does not start with an MSH segment", 0},
		{"empty", []string{empty}, "0 message(s) sent", empty + ": no HL7 message in it", 0},
		{"batch counts", []string{badBatch}, "2 message(s) sent, 0 not accepted", "BTS-1 is 3 but the batch begun by BHS at line 1 holds 2 messages", 2},
		{"missing file", []string{good, filepath.Join(dir, "nosuch.hl7")}, "", "open " + filepath.Join(dir, "nosuch.hl7") + ": no such file or directory", 0},
		{"folder", []string{dir}, "", dir + " is a folder: name the files in it", 0},
		{"no connection", []string{"--concurrency", "0", good}, "", "--concurrency 0: give 1 or more connections", 0},
		{"negative rate", []string{"--rate", "-5", good}, "", "--rate -5: give a positive number", 0},
	} {
		before := countFiles(t, recv)
		var out, errOut bytes.Buffer
		code := Main(ctx, append([]string{"send", "--to", addr, "--quiet"}, tc.args...), strings.NewReader(""), &out, &errOut)
		if code != 1 || !strings.Contains(out.String(), tc.out) || !strings.Contains(errOut.String(), tc.errOut) {
			t.Errorf("%s: exit %d, out %q, err %q; want exit 1, %q in out and %q in err", tc.name, code, out.String(), errOut.String(), tc.out, tc.errOut)
		}
		if got := countFiles(t, recv) - before; got != tc.sentNow {
			t.Errorf("%s: the listener got %d message(s), want %d", tc.name, got, tc.sentNow)
		}
	}
}

// TestSendNamesRefusedMessages checks that each message not accepted is named, with the code
// and the receiver's reason, unless --quiet is given.
func TestSendNamesRefusedMessages(t *testing.T) {
	f := writeFile(t, "two.hl7", twoMessages)
	refusing := startListen(t, "--ack", "AR", "--text", "unknown patient")
	code, _, errOut := run(t, "", "send", "--to", refusing, f)
	for _, want := range []string{f + ":1: answered AR: unknown patient\n", f + ":4: answered AR: unknown patient\n"} {
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("exit %d, err %q; want %q", code, errOut, want)
		}
	}
	code, _, errOut = run(t, "", "send", "--to", refusing, "--quiet", f)
	if code != 1 || strings.Contains(errOut, "answered") {
		t.Errorf("--quiet: exit %d, err %q", code, errOut)
	}
}

func countFiles(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func TestListenAddr(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"2575", ":2575"},
		{":2575", ":2575"},
		{"127.0.0.1:6661", "127.0.0.1:6661"},
		{"[::1]:6661", "[::1]:6661"},
		{"localhost", "localhost"},
		{"70000", "70000"}, // not a port: net.Listen says so
	} {
		if got := listenAddr(tc.in); got != tc.want {
			t.Errorf("listenAddr(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
