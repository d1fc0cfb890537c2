package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The tests in this file check Courier's MLLP against software Courier did not write: Debian's
// python3-hl7 (its mllp_send client and its asyncio MLLP server). .ci/run installs the package.

const pythonHL7 = "/usr/bin/python3"

func needPythonHL7(t *testing.T) {
	t.Helper()
	err := exec.Command(pythonHL7, "-c", "import hl7.mllp").Run()
	if _, lerr := exec.LookPath("mllp_send"); err != nil || lerr != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("python3-hl7 is required under CI (apt-get install python3-hl7): %v %v", err, lerr)
		}
		t.Skip("python3-hl7 is not installed (apt-get install python3-hl7); skipping the interoperability test")
	}
}

// interopMessages are synthetic messages of several shapes, CR-terminated.
func interopMessages() []string {
	var msgs []string
	for i := 1; i <= 25; i++ {
		msgs = append(msgs, fmt.Sprintf("MSH|^~\\&|PYHL7|TEST|COURIER|TEST|20261127%06d||ADT^A%02d^ADT_A01|INTEROP%03d|P|2.5.1\r"+
			"EVN|A%02d|20261127120000\rPID|1||MRN%04d^^^TEST^MR||TESTPATIENT^NUMBER%d^Q||19800101|F|||%d Main St^^Springfield^IL^62701\r"+
			"PV1|1|I|4N^%d^1\rOBX|1|ST|NOTE^Note^L||escaped \\T\\ text with \\F\\ and \\S\\ inside||||||F\r",
			i, 1+i%8, i, 1+i%8, i, i, i, i))
	}
	return msgs
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing listens on %s", addr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestInteropMLLPSendToCourierListen sends a file with python-hl7's mllp_send to
// `courier listen`, and checks that every message arrived byte for byte and that mllp_send
// understood every acknowledgement.
func TestInteropMLLPSendToCourierListen(t *testing.T) {
	needPythonHL7(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "received")
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- Main(ctx, []string{"listen", addr, "--out", out, "--quiet"}, strings.NewReader(""), &stdout, &stderr)
	}()
	defer func() { cancel(); <-done }()
	waitListening(t, addr)

	msgs := interopMessages()
	var file bytes.Buffer
	for _, m := range msgs {
		file.WriteString("\x0b" + m + "\x1c\r")
	}
	in := filepath.Join(dir, "messages.mllp")
	if err := os.WriteFile(in, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("mllp_send", "-p", fmt.Sprint(port), "-f", in, "127.0.0.1")
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mllp_send: %v\n%s", err, got)
	}
	// mllp_send prints each acknowledgement it received.
	if n := strings.Count(string(got), "MSA|AA|INTEROP"); n != len(msgs) {
		t.Errorf("mllp_send printed %d AA acknowledgements, want %d:\n%s", n, len(msgs), got)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.hl7"))
	if len(files) != len(msgs) {
		t.Fatalf("courier listen wrote %d messages, want %d", len(files), len(msgs))
	}
	for i, f := range files {
		b, _ := os.ReadFile(f)
		// mllp_send strips the message's final CR before framing it (hl7/client.py read_stream):
		// the listener must have kept everything else byte for byte.
		if want := strings.TrimSuffix(msgs[i], "\r"); string(b) != want {
			t.Errorf("message %d differs:\n got %q\nwant %q", i+1, b, want)
		}
	}
}

// TestInteropCourierSendToPythonServer sends with `courier send` to an MLLP server written with
// python-hl7, and checks that every message arrived and every acknowledgement was accepted.
func TestInteropCourierSendToPythonServer(t *testing.T) {
	needPythonHL7(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "received")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	srv := exec.Command(pythonHL7, "testdata/pyhl7_server.py", fmt.Sprint(port), out)
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var srvErr bytes.Buffer
	srv.Stderr = &srvErr
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		ready <- sc.Scan() && sc.Text() == "ready"
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("python server did not start: %s", srvErr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("python server did not start in time: %s", srvErr.String())
	}

	msgs := interopMessages()
	// The file holds the messages one after another, LF-terminated as files often are.
	var file bytes.Buffer
	for _, m := range msgs {
		file.WriteString(strings.ReplaceAll(m, "\r", "\n"))
	}
	in := filepath.Join(dir, "messages.hl7")
	if err := os.WriteFile(in, file.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	code, sout, serr := run(t, "", "send", "--to", fmt.Sprintf("127.0.0.1:%d", port), "--quiet", "--concurrency", "1", in)
	if code != 0 || !strings.Contains(sout, fmt.Sprintf("%d message(s) sent, 0 not accepted", len(msgs))) || !strings.Contains(sout, fmt.Sprintf("answers: AA %d", len(msgs))) {
		t.Fatalf("courier send: %d\n%s\n%s\npython: %s", code, sout, serr, srvErr.String())
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.hl7"))
	if len(files) != len(msgs) {
		t.Fatalf("the python server received %d messages, want %d", len(files), len(msgs))
	}
	for i, f := range files {
		b, _ := os.ReadFile(f)
		// python-hl7 writes segments joined by CR, without the last terminator.
		want := strings.TrimSuffix(strings.ReplaceAll(strings.ReplaceAll(msgs[i], "\r", "\n"), "\n", "\r"), "\r")
		if strings.TrimSuffix(string(b), "\r") != want {
			t.Errorf("message %d differs:\n got %q\nwant %q", i+1, b, want)
		}
	}
}
