package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestExamples checks every configuration in examples/ and runs its channel tests, as the
// README tells users to: `courier lint examples/*/courier.yaml` and `courier test examples/`.
func TestExamples(t *testing.T) {
	configs, err := filepath.Glob("../../examples/*/courier.yaml")
	if err != nil || len(configs) < 4 {
		t.Fatalf("examples: %v %v", configs, err)
	}
	code, out, errOut := run(t, "", append([]string{"lint"}, configs...)...)
	if code != 0 || strings.Count(out, ": ok (") != len(configs) {
		t.Fatalf("lint: %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = run(t, "", "test", "../../examples")
	if code != 0 || !strings.Contains(out, " passed, 0 failed") {
		t.Fatalf("courier test examples: %d\n%s\n%s", code, out, errOut)
	}
	// -v lists each passing test once, as "PASS name".
	code, out, _ = run(t, "", "test", "-v", "../../examples/split-orders")
	if code != 0 || !strings.HasPrefix(out, "PASS ") || strings.Contains(out, "ok    PASS") {
		t.Errorf("courier test -v: %d\n%s", code, out)
	}
}

func TestTestCommandReportsFailures(t *testing.T) {
	dir := t.TempDir()
	writeAt(t, filepath.Join(dir, "courier.yaml"), "channels:\n  - name: c\n    steps:\n      - type: set\n        path: PID-5.1\n        value: X\n    destinations:\n      - name: d\n        type: channel\n        channel: e\n  - name: e\n")
	writeAt(t, filepath.Join(dir, "c.test.yaml"), "channel: c\ntests:\n  - name: wrong expectation\n    input: |\n      MSH|^~\\&|A|B|C|D|20260101||ADT^A01|1|P|2.5\n      PID|1||1||DOE\n    expect:\n      destinations:\n        d:\n          - paths: {PID-5.1: DOE}\n")
	code, out, _ := run(t, "", "test", dir)
	if code != 1 || !strings.HasPrefix(out, "FAIL wrong expectation (") || !strings.Contains(out, `PID-5.1 is "X", want "DOE"`) || !strings.Contains(out, "0 passed, 1 failed") {
		t.Errorf("%d\n%s", code, out)
	}
	code, _, errOut := run(t, "", "test", t.TempDir())
	if code != 1 || !strings.Contains(errOut, "no test files") {
		t.Errorf("empty folder: %d %s", code, errOut)
	}
}
