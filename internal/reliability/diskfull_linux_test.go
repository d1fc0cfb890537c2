package reliability

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// mountTmpfs mounts a tmpfs of the given size (mount option, e.g. "64m") in a temporary
// directory and unmounts it at the end of the test. Mounting needs root: without it the test
// is skipped, unless CI is set, where it must run and fails instead.
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	cannot := func(format string, args ...any) {
		t.Helper()
		if inCI() {
			t.Fatalf("CI is set, so this test must run, but: "+format, args...)
		}
		t.Skipf("skipped: "+format+" (run as root; with CI=true this is a failure)", args...)
	}
	if os.Geteuid() != 0 {
		cannot("mounting a %s tmpfs for the data directory needs root", size)
	}
	mnt := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size="+size+",mode=0700"); err != nil {
		cannot("mount a %s tmpfs on %s: %v", size, mnt, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, 0); err != nil {
			t.Errorf("unmount %s: %v; detaching it", mnt, err)
			_ = syscall.Unmount(mnt, syscall.MNT_DETACH)
		}
	})
	return mnt
}

// fill writes a file in dir until the file system has no space left, and returns its path
// and size.
func fill(t *testing.T, dir string) (string, int64) {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("create the filler: %v", err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	var size int64
	for chunk := len(buf); chunk >= 512; {
		n, err := f.Write(buf[:chunk])
		size += int64(n)
		switch {
		case errors.Is(err, syscall.ENOSPC):
			chunk /= 2
		case err != nil:
			t.Fatalf("fill the file system: %v", err)
		}
	}
	return path, size
}

// TestDiskFull is RELIABILITY test 4. The data directory is on a 64 MiB tmpfs. While four
// senders stream, and a delivery is in flight (the receiver holds its answer until the store
// has refused a message), a filler file takes every free byte. Courier must fail closed: once
// the store refuses, sends are answered AR (or not at all) within 1 s, an AA only ever for a
// message the store committed, and the process stays up. When the filler is deleted it
// recovers by itself: positive ACKs within 5 s, deliveries within 10 s, and the checker finds
// no acknowledged message lost and, as nothing crashed, nothing delivered twice.
//
// Whether the held delivery's outcome is written while the disk is full depends on SQLite:
// a small transaction can still fit in WAL blocks the file already has. In most runs it does
// not, and the test exercises the engine's path for a record that fails.
func TestDiskFull(t *testing.T) {
	mnt := mountTmpfs(t, "64m")
	rcv := newReceiver(t, "ehr")
	c := newCourier(t, config{Dests: []destConfig{{Name: "ehr", Port: rcv.port(), Timeout: "5s", ACKTimeout: "4s", Claim: 4,
		Retry: retryConfig{Initial: "100ms", Max: "1s"}}}}, filepath.Join(mnt, "data"))
	c.start()
	s := startSenders(t, c.addr, senderOpts{Prefix: "F", N: 4, Keys: 20, Pause: 20 * time.Millisecond})
	time.Sleep(time.Second)
	if s.ackedCount() == 0 {
		t.Fatal("nothing acknowledged before the disk was filled")
	}

	// A delivery is in flight when the disk fills: the receiver holds its answer until the
	// store has refused a message, so that Courier records that delivery on a full disk.
	rcv.pause()
	if !waitFor(5*time.Second, func() bool { return rcv.holding() > 0 }) {
		t.Fatal("no delivery reached the receiver within 5s")
	}
	filledAt := time.Now()
	filler, size := fill(t, mnt)
	// The store fails when it next needs a new block; wait (bounded) for the first refusal.
	var firstNeg answer
	if !waitFor(20*time.Second, func() bool {
		for _, a := range s.answersSince(filledAt) {
			if a.Code != "AA" {
				firstNeg = a
				return true
			}
		}
		return false
	}) {
		t.Fatalf("every message was still acknowledged 20s after the disk was filled (%d bytes of filler)", size)
	}
	rcv.resume()
	time.Sleep(3 * time.Second) // stay full
	if !c.running() {
		t.Fatalf("courier exited while the disk was full: %v", c.exitError())
	}
	freedAt := time.Now()
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}

	// Recovery without a restart.
	var recovered time.Duration
	if !waitFor(10*time.Second, func() bool {
		for _, a := range s.answersSince(freedAt) {
			if a.Code == "AA" && a.Sent.After(freedAt) {
				recovered = a.Got.Sub(freedAt)
				return true
			}
		}
		return false
	}) {
		t.Error("no positive ACK within 10s after space was freed")
	}
	if recovered > 5*time.Second {
		t.Errorf("positive ACKs resumed %v after space was freed, target ≤ 5s", recovered)
	}
	time.Sleep(2 * time.Second)
	s.Stop()
	// Full: every send that started between the first refusal and the deletion of the
	// filler, whenever its answer came. Counting only the answers that came before the
	// filler was deleted would miss a Courier that waits for space instead of refusing: its
	// answers come after the deletion, and they would look like the recovery's. Each such
	// send must be answered (or dropped) within 1 s. An AA among them is correct only for a
	// message the store did commit: SQLite can still commit into WAL blocks it already owns
	// once a checkpoint lets it restart the log from its beginning. The checker below proves
	// each such message stored; any other AA is a failure.
	var positives []string
	slowest := time.Duration(0)
	late := 0
	codes := map[string]int{}
	for _, a := range s.answersSince(firstNeg.Got) {
		if a.Sent.Before(firstNeg.Got) || !a.Sent.Before(freedAt) {
			continue
		}
		code := a.Code
		if code == "" {
			code = "no answer"
		}
		codes[code]++
		if a.Code == "AA" {
			positives = append(positives, a.Ctrl)
		}
		took := a.Got.Sub(a.Sent)
		slowest = max(slowest, took)
		if took > time.Second {
			late++
			if late <= 5 {
				t.Errorf("%s, sent %v after the first refusal while the disk was full, was answered %s only %v later (%v after the filler was deleted); target ≤ 1s",
					a.Ctrl, a.Sent.Sub(firstNeg.Got).Round(time.Millisecond), code, took.Round(time.Millisecond), a.Got.Sub(freedAt).Round(time.Millisecond))
			}
		}
	}
	if late > 5 {
		t.Errorf("%d sends made while the disk was full were answered after more than 1s", late)
	}
	if codes["AR"]+codes["no answer"]+codes["AE"] == 0 {
		t.Errorf("no send was refused while the disk was full (answers: %v)", codes)
	}

	f := check(t, c, s, checkSpec{Drain: 90 * time.Second, Targets: []target{{R: rcv}}})
	stored := map[string]bool{}
	for _, sm := range c.stored() {
		stored[sm.Meta.ControlID] = true
	}
	for _, ctrl := range positives {
		if !stored[ctrl] {
			t.Errorf("%s was acknowledged AA while the disk was full and is not in the store", ctrl)
		}
	}
	// Deliveries resume by themselves too. After 3 s of store errors the destination's worker
	// waits at most 4 s before it tries the store again (its backoff doubles from 0.5 s), and
	// retries its receiver within retry.max (1 s).
	delivery := time.Duration(0)
	if at := rcv.firstAccepted(freedAt); !at.IsZero() {
		delivery = at.Sub(freedAt)
	}
	if delivery > 10*time.Second {
		t.Errorf("deliveries resumed %v after space was freed, want within 10s", delivery)
	}
	if len(c.startTimes()) != 1 {
		t.Errorf("courier was started %d times, want once", len(c.startTimes()))
	}
	if _, err := c.term(15 * time.Second); err != nil {
		t.Errorf("courier exited with %v after SIGTERM, want status 0", err)
	}
	c.assertNoPHI()
	t.Logf("figures: filler %d MiB; first refusal %v after filling; answers to sends while full (%v): %v (%d AA, each for a message the store committed), slowest answer %v; "+
		"positive ACKs resumed %v after space was freed, deliveries %v after; %v",
		size>>20, firstNeg.Got.Sub(filledAt).Round(time.Millisecond), freedAt.Sub(firstNeg.Got).Round(time.Millisecond), codes, len(positives),
		slowest.Round(time.Millisecond), recovered.Round(time.Millisecond), delivery.Round(time.Millisecond), f)
}
