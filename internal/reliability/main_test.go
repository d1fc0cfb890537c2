package reliability

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Environment variables that size the suite. The defaults are the CI size.
const (
	// envCycles sets the number of kill -9 cycles of TestKill9 (default 5–8, 3 with -short).
	envCycles = "COURIER_RELIABILITY_CYCLES"
	// envSeed fixes the random seed (kill points, cycle count) to replay a run.
	envSeed = "COURIER_RELIABILITY_SEED"
	// envRace=1 builds the child binary with -race too (much slower; for local hunting).
	envRace = "COURIER_RELIABILITY_RACE"
	// envBin runs this courier binary instead of building ./cmd/courier (a release build,
	// or a binary built earlier while the tree does not compile).
	envBin = "COURIER_RELIABILITY_BIN"
)

// courierBin is the courier binary the tests run, built once by TestMain.
var courierBin string

// seed is the random seed of this run, logged by every test that uses randomness.
var seed uint64

func TestMain(m *testing.M) {
	flag.Parse()
	seed = uint64(time.Now().UnixNano())
	if v := os.Getenv(envSeed); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			fmt.Fprintf(os.Stderr, "reliability: %s=%q is not a number\n", envSeed, v)
			os.Exit(2)
		}
		seed = s
	}
	dir, err := os.MkdirTemp("", "courier-reliability-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		os.Exit(2)
	}
	if bin := os.Getenv(envBin); bin != "" {
		courierBin, err = filepath.Abs(bin)
	} else {
		courierBin, err = buildCourier(dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "reliability:", err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildCourier builds ./cmd/courier from the module root into dir.
func buildCourier(dir string) (string, error) {
	gotool := "go"
	if p, err := exec.LookPath("go"); err == nil {
		gotool = p
	} else if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		gotool = p
	}
	root := filepath.Join("..", "..")
	if out, err := exec.Command(gotool, "env", "GOMOD").Output(); err == nil {
		if mod := strings.TrimSpace(string(out)); mod != "" && mod != os.DevNull {
			root = filepath.Dir(mod)
		}
	}
	bin := filepath.Join(dir, "courier")
	args := []string{"build", "-o", bin}
	if os.Getenv(envRace) == "1" {
		args = append(args, "-race")
	}
	cmd := exec.Command(gotool, append(args, "./cmd/courier")...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build courier in %s: %w\n%s", root, err, out)
	}
	return bin, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// inCI reports whether the suite runs in CI (CI set to anything but false or 0), where
// tests that need root must run instead of skipping.
func inCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v != "" && v != "false" && v != "0"
}

// newRand returns a random source for one test, derived from the run's seed and the test's
// name so that tests do not share a sequence.
func newRand(t *testing.T) *rand.Rand {
	var h uint64 = 14695981039346656037
	for _, b := range []byte(t.Name()) {
		h = (h ^ uint64(b)) * 1099511628211
	}
	t.Logf("seed %d (replay with %s=%d)", seed, envSeed, seed)
	return rand.New(rand.NewPCG(seed, h))
}

// envInt reads a positive integer from the environment, or returns def.
func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive number", name, v)
	}
	return n
}
