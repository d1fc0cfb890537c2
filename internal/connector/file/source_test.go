package file

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/courier-hl7/courier/internal/connector"
)

const fastPoll = "poll: 10ms\nmin_age: 0s\n"

func TestSourceReadsFiles(t *testing.T) {
	base := t.TempDir()
	in := filepath.Join(base, "in")
	cr := adts("CR", 2, "\r")
	lf := adts("LF", 2, "\n")
	crlf := adts("CRLF", 2, "\r\n")
	batch := adts("B", 3, "\r")
	single := adt("ONE", "\r")
	writeFile(t, filepath.Join(in, "a_cr.hl7"), strings.Join(cr, ""))
	writeFile(t, filepath.Join(in, "b_lf.hl7"), strings.Join(lf, "")+"\n\n")
	writeFile(t, filepath.Join(in, "c_crlf.hl7"), strings.Join(crlf, "")+"\x1a")
	writeFile(t, filepath.Join(in, "d_batch.hl7"), "FHS|^~\\&|SENDAPP\rBHS|^~\\&|SENDAPP\r"+strings.Join(batch, "")+"BTS|3\rFTS|1\r")
	writeFile(t, filepath.Join(in, "e_single.hl7"), single)
	// Names a writer uses while writing, an empty file, and a name the glob does not match.
	skipped := []string{".hidden.hl7", "f.hl7.tmp", "g.hl7.part", "h.txt", "i_empty.hl7"}
	for _, name := range skipped[:4] {
		writeFile(t, filepath.Join(in, name), single)
	}
	writeFile(t, filepath.Join(in, "i_empty.hl7"), "")

	s := mustSource(t, base, "path: in\nglob: [\"*.hl7\", \"*.tmp\", \"*.part\"]\n"+fastPoll)
	r := newTestReceiver()
	startSource(t, s, r)
	waitFor(t, 5*time.Second, "five files stored", func() bool { return len(r.fileCommits()) == 5 })
	waitFor(t, 5*time.Second, "five files moved", func() bool { return len(listDir(t, filepath.Join(in, "done"))) == 5 })

	var want []string
	for _, group := range [][]string{cr, lf, crlf, batch, {single}} {
		want = append(want, group...)
	}
	if got := r.messages(); !slices.Equal(got, want) {
		t.Errorf("messages:\n got %q\nwant %q", got, want)
	}
	for _, c := range r.fileCommits() {
		if !strings.HasPrefix(c.file, in+string(filepath.Separator)) || !strings.HasPrefix(c.key, "file1:") {
			t.Errorf("commit file %q key %q", c.file, c.key)
		}
	}
	if got, want := listDir(t, filepath.Join(in, "done")), []string{"a_cr.hl7", "b_lf.hl7", "c_crlf.hl7", "d_batch.hl7", "e_single.hl7"}; !slices.Equal(got, want) {
		t.Errorf("done: %q, want %q", got, want)
	}
	for _, name := range skipped {
		if !exists(filepath.Join(in, name)) {
			t.Errorf("%s was touched", name)
		}
	}
	if exists(filepath.Join(in, "error")) {
		t.Errorf("error folder created: %q", listDir(t, filepath.Join(in, "error")))
	}
}

// TestSourcePartialFile drives the polls with a clock of its own: a file is read only once
// its size and modification time have stayed the same for min_age.
func TestSourcePartialFile(t *testing.T) {
	base := t.TempDir()
	s := mustSource(t, base, "path: .\nmin_age: 1s\npoll: 1m\n")
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	r := newTestReceiver()
	ctx := context.Background()
	path := filepath.Join(base, "growing.hl7")
	msgs := adts("G", 3, "\r")

	writeFile(t, path, msgs[0]+msgs[1][:20])
	if wait := s.scan(ctx, r); wait != time.Second {
		t.Errorf("first pass waits %v, want 1s (min_age)", wait)
	}
	now = now.Add(2 * time.Second)
	appendFile(t, path, msgs[1][20:])
	if wait := s.scan(ctx, r); wait != time.Second {
		t.Errorf("pass after growth waits %v, want 1s", wait)
	}
	now = now.Add(600 * time.Millisecond)
	appendFile(t, path, msgs[2])
	s.scan(ctx, r)
	now = now.Add(999 * time.Millisecond)
	if wait := s.scan(ctx, r); wait != time.Millisecond {
		t.Errorf("pass 1ms before ready waits %v, want 1ms", wait)
	}
	if c, a := r.stats(); c != 0 || a != 0 {
		t.Fatalf("a growing file was read: %d commits, %d attempts", c, a)
	}
	now = now.Add(time.Millisecond)
	s.scan(ctx, r)
	if got := r.messages(); !slices.Equal(got, msgs) {
		t.Errorf("messages: got %q, want %q", got, msgs)
	}
	if !exists(filepath.Join(base, "done", "growing.hl7")) {
		t.Errorf("not moved to done")
	}
}

// TestSourcePausedWriter: a file that stops inside a segment is not read at min_age, but
// waits ten times as long (10 s here), so that a writer pausing mid-message does not have
// half a message read; a file without its last line end is still read in the end.
func TestSourcePausedWriter(t *testing.T) {
	base := t.TempDir()
	s := mustSource(t, base, "path: .\nmin_age: 1s\npoll: 1m\n")
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	s.now = func() time.Time { return now }
	r := newTestReceiver()
	ctx := context.Background()
	path := filepath.Join(base, "paused.hl7")
	msgs := adts("P", 3, "\r")

	writeFile(t, path, msgs[0]+msgs[1][:20]) // the writer pauses inside message 2
	s.scan(ctx, r)
	now = now.Add(5 * time.Second) // well past min_age
	if wait := s.scan(ctx, r); wait != 5*time.Second {
		t.Errorf("an unended file waits %v more, want 5s (10 s in all)", wait)
	}
	if c, a := r.stats(); c != 0 || a != 0 {
		t.Fatalf("a file stopping inside a segment was read at min_age: %d commits, %d attempts", c, a)
	}
	appendFile(t, path, msgs[1][20:]+msgs[2]) // the writer comes back and finishes
	s.scan(ctx, r)
	now = now.Add(time.Second)
	s.scan(ctx, r)
	if got := r.messages(); !slices.Equal(got, msgs) {
		t.Errorf("messages: got %q, want %q", got, msgs)
	}

	// A file that really ends without a line end is read once it stays unchanged for 10 s.
	last := adts("Q", 1, "\r")[0]
	writeFile(t, filepath.Join(base, "noend.hl7"), strings.TrimSuffix(last, "\r"))
	s.scan(ctx, r)
	now = now.Add(10 * time.Second)
	s.scan(ctx, r)
	if got := r.messages(); len(got) != 4 {
		t.Errorf("a file without its last line end was not read after 10 s: %d messages", len(got))
	}
}

func appendFile(t testing.TB, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

func TestSourceAfter(t *testing.T) {
	for _, tc := range []struct {
		name, config string
		gone         bool   // the file left the folder
		moved        string // where it went, relative to base
	}{
		{"move", "after: move\n", true, "in/done/x.hl7"},
		{"move to done_dir", "after: move\ndone_dir: archive/adt\n", true, "archive/adt/x.hl7"},
		{"delete", "after: delete\n", true, ""},
		{"keep", "after: keep\n", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			path := filepath.Join(base, "in", "x.hl7")
			writeFile(t, path, adt("X1", "\r"))
			s := mustSource(t, base, "path: in\n"+fastPoll+tc.config)
			r := newTestReceiver()
			startSource(t, s, r)
			waitFor(t, 5*time.Second, "the file stored", func() bool { return len(r.fileCommits()) == 1 })
			if tc.gone {
				waitFor(t, 5*time.Second, "the file gone", func() bool { return !exists(path) })
			} else {
				// Several more polls: a kept file is not read again.
				key := r.fileCommits()[0].key
				time.Sleep(100 * time.Millisecond) // ten polls
				if !exists(path) {
					t.Fatalf("kept file is gone")
				}
				if c, a := r.stats(); c != 1 || a != 1 {
					t.Errorf("kept file: %d commits, %d attempts; want 1, 1 (key %s)", c, a, key)
				}
			}
			if tc.moved != "" && !exists(filepath.Join(base, tc.moved)) {
				t.Errorf("%s missing; base holds %q", tc.moved, listDir(t, filepath.Join(base, "in")))
			}
			if tc.name == "delete" && exists(filepath.Join(base, "in", "done")) {
				t.Errorf("done folder created with after: delete")
			}
		})
	}
}

// TestSourceOnceAcrossRestart keeps the file in place: the mark the first source stored keeps
// a second source (a restart, with the same store) from reading it again.
func TestSourceOnceAcrossRestart(t *testing.T) {
	base := t.TempDir()
	writeFile(t, filepath.Join(base, "in", "x.hl7"), strings.Join(adts("R", 2, "\r"), ""))
	r := newTestReceiver()
	cfg := "path: in\nafter: keep\n" + fastPoll

	first := mustSource(t, base, cfg)
	if err := first.Start(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the file stored", func() bool { return len(r.fileCommits()) == 1 })
	stopSource(t, first)
	key := r.fileCommits()[0].key

	second := mustSource(t, base, cfg)
	startSource(t, second, r)
	waitFor(t, 5*time.Second, "the second source to look the file up", func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.seenAsks[key] >= 2
	})
	stopSource(t, second)
	if c, a := r.stats(); c != 1 || a != 1 {
		t.Errorf("%d commits, %d attempts; want the file stored once", c, a)
	}
	if len(r.messages()) != 2 {
		t.Errorf("messages: %q", r.messages())
	}
}

func TestSourceRetriesAfterReceiverError(t *testing.T) {
	base := t.TempDir()
	path := filepath.Join(base, "x.hl7")
	writeFile(t, path, adt("E1", "\r"))
	s := mustSource(t, base, "path: .\n"+fastPoll)
	r := newTestReceiver()
	r.fail = 2
	startSource(t, s, r)
	waitFor(t, 5*time.Second, "two failed attempts", func() bool { _, a := r.stats(); return a >= 2 })
	if c, _ := r.stats(); c == 0 && !exists(path) {
		t.Fatalf("the file left the folder although it was not stored")
	}
	waitFor(t, 5*time.Second, "the file stored on a later poll", func() bool { return exists(filepath.Join(base, "done", "x.hl7")) })
	if c, a := r.stats(); c != 1 || a != 3 {
		t.Errorf("%d commits, %d attempts; want 1, 3", c, a)
	}
	if exists(path) {
		t.Errorf("the file is still in the folder")
	}
}

// TestSourceSeenFile is a crash after the commit and before the move: the file is moved (to
// done, or to error_dir if it was stored with problems) without being read again.
func TestSourceSeenFile(t *testing.T) {
	for _, tc := range []struct {
		name     string
		problems bool
		dest     string
	}{
		{"clean", false, "done"},
		{"with problems", true, "error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			path := filepath.Join(base, "x.hl7")
			writeFile(t, path, adt("S1", "\r"))
			r := newTestReceiver()
			r.marks[keyOf(t, base, "x.hl7")] = true
			if tc.problems {
				r.marks[keyOf(t, base, "x.hl7")+problemsSuffix] = true
			}
			s := mustSource(t, base, "path: .\n"+fastPoll)
			startSource(t, s, r)
			waitFor(t, 5*time.Second, "the file moved", func() bool { return exists(filepath.Join(base, tc.dest, "x.hl7")) })
			if c, a := r.stats(); c != 0 || a != 0 {
				t.Errorf("%d commits, %d attempts; want none", c, a)
			}
		})
	}
}

func keyOf(t testing.TB, dir, name string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	key, err := fileKey(f, name, info)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func TestSourceErrorDir(t *testing.T) {
	good := adts("P", 2, "\r")
	for _, tc := range []struct {
		name, config, content string
		stored                []string // messages stored
		errorDir              bool     // the file went to error_dir
		note                  string   // in its .error.txt
	}{
		{name: "not HL7", content: "hello, this is not HL7\n", errorDir: true,
			note: `no HL7 message found in the file` + "\n" + `hl7: line 1 col 1 (byte 0): message does not start with an MSH segment: found "hello, this is n" where a file starts with MSH, BHS or FHS`},
		{name: "UTF-16", content: "\xff\xfeM\x00S\x00H\x00", errorDir: true, note: "UTF-16"},
		{name: "too large", config: "max_file_size: 10B\n", content: good[0], errorDir: true,
			note: "more than max_file_size (10 bytes); it was not read"},
		{name: "count mismatch", content: "BHS|^~\\&\r" + strings.Join(good, "") + "BTS|3\r", stored: good, errorDir: true,
			note: "BTS-1 is 3 but the batch begun by BHS at line 1 holds 2 messages"},
		{name: "count mismatch with delete", config: "after: delete\n", content: "BHS|^~\\&\r" + strings.Join(good, "") + "BTS|3\r", stored: good, errorDir: true,
			note: "BTS-1 is 3"},
		{name: "cut short", content: "FHS|^~\\&\rBHS|^~\\&\r" + strings.Join(good, ""), stored: good, errorDir: true,
			note: "has no BTS; the file may have been cut short"},
		{name: "text before the first message", content: "garbage line\r" + strings.Join(good, ""), stored: good, errorDir: true,
			note: `found "garbage line"`},
		{name: "message that does not parse", content: "MSH|^~\\&|A\rP1|x\r" + good[0],
			stored: []string{"MSH|^~\\&|A\rP1|x\r", good[0]}},
		{name: "custom error_dir", config: "error_dir: rejected\n", content: "nothing\n", errorDir: true, note: "no HL7 message"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			writeFile(t, filepath.Join(base, "in", "x.hl7"), tc.content)
			s := mustSource(t, base, "path: in\n"+fastPoll+tc.config)
			r := newTestReceiver()
			startSource(t, s, r)
			errDir := filepath.Join(base, "in", "error")
			if strings.Contains(tc.config, "error_dir") {
				errDir = filepath.Join(base, "rejected")
			}
			dest := filepath.Join(base, "in", "done", "x.hl7")
			if tc.errorDir {
				dest = filepath.Join(errDir, "x.hl7")
			}
			waitFor(t, 5*time.Second, "the file moved to "+dest, func() bool { return exists(dest) })
			stopSource(t, s)
			if got := r.messages(); !slices.Equal(got, tc.stored) {
				t.Errorf("stored %q, want %q", got, tc.stored)
			}
			if !tc.errorDir {
				if exists(errDir) {
					t.Errorf("error folder holds %q", listDir(t, errDir))
				}
				return
			}
			note, err := os.ReadFile(dest + ".error.txt")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(note), tc.note) {
				t.Errorf("note:\n%s\nwant it to contain %q", note, tc.note)
			}
			if len(tc.stored) > 0 {
				var marked bool
				for _, c := range r.commits {
					marked = marked || strings.HasSuffix(c.key, problemsSuffix)
				}
				if !marked {
					t.Errorf("the file's problems were not marked in the store")
				}
			}
		})
	}
}

// TestSourceKeepRejected: with after: keep a file that holds no message stays where it is,
// is marked as read, and is not read again.
func TestSourceKeepRejected(t *testing.T) {
	base := t.TempDir()
	path := filepath.Join(base, "x.hl7")
	writeFile(t, path, "not HL7 at all\n")
	s := mustSource(t, base, "path: .\nafter: keep\n"+fastPoll)
	r := newTestReceiver()
	startSource(t, s, r)
	waitFor(t, 5*time.Second, "the file marked", func() bool { c, _ := r.stats(); return c == 1 })
	time.Sleep(100 * time.Millisecond) // several polls
	stopSource(t, s)
	if c, a := r.stats(); c != 1 || a != 1 || len(r.messages()) != 0 {
		t.Errorf("%d commits, %d attempts, messages %q; want one empty commit", c, a, r.messages())
	}
	if !exists(path) || exists(filepath.Join(base, "error")) {
		t.Errorf("the file moved: folder holds %q", listDir(t, base))
	}
}

// TestSourceStopDuringLargeFile stops the source while the third chunk of a file is being
// stored: Stop waits for that commit, nothing more is stored, and the next Start resumes
// after the stored chunks, so every message is stored exactly once.
func TestSourceStopDuringLargeFile(t *testing.T) {
	base := t.TempDir()
	msgs := adts("L", 95, "\r")
	path := filepath.Join(base, "big.hl7")
	writeFile(t, path, strings.Join(msgs, ""))
	s := mustSource(t, base, "path: .\nchunk_messages: 10\n"+fastPoll)
	r := newTestReceiver()
	r.gate = make(chan struct{}, 200)
	r.gate <- struct{}{}
	r.gate <- struct{}{}
	if err := s.Start(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the third chunk held", func() bool { _, a := r.stats(); return a == 3 })

	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- s.Stop(ctx)
	}()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a chunk was being stored", err)
	case <-time.After(50 * time.Millisecond):
	}
	r.gate <- struct{}{}
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("Stop: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Stop did not return after the commit")
	}
	if c, a := r.stats(); c != 3 || a != 3 {
		t.Fatalf("after Stop: %d commits, %d attempts; want 3 chunks", c, a)
	}
	if got := r.messages(); !slices.Equal(got, msgs[:30]) {
		t.Fatalf("stored before Stop: %d messages", len(got))
	}
	if !exists(path) {
		t.Fatal("an unfinished file left the folder")
	}

	close(r.gate)
	startSource(t, s, r)
	waitFor(t, 5*time.Second, "the file done", func() bool { return exists(filepath.Join(base, "done", "big.hl7")) })
	if got := r.messages(); !slices.Equal(got, msgs) {
		t.Errorf("stored %d messages, want each of the %d once", len(got), len(msgs))
	}
	var keys []string
	for _, c := range r.commits {
		keys = append(keys, c.key[strings.IndexByte(c.key, '#')+1:])
	}
	want := []string{"10", "20", "30", "40", "50", "60", "70", "80", "90", keyOf(t, filepath.Join(base, "done"), "big.hl7")}
	if !slices.Equal(keys, want) {
		t.Errorf("marks %q, want %q", keys, want)
	}
}

func TestSourceSortByMtime(t *testing.T) {
	for _, tc := range []struct {
		sort string
		want []string
	}{
		{"name", []string{"a.hl7", "b.hl7"}},
		{"mtime", []string{"b.hl7", "a.hl7"}},
	} {
		t.Run(tc.sort, func(t *testing.T) {
			base := t.TempDir()
			writeFile(t, filepath.Join(base, "a.hl7"), adt("A", "\r"))
			writeFile(t, filepath.Join(base, "b.hl7"), adt("B", "\r"))
			old := time.Now().Add(-time.Hour)
			if err := os.Chtimes(filepath.Join(base, "b.hl7"), old, old); err != nil {
				t.Fatal(err)
			}
			s := mustSource(t, base, "path: .\nmin_age: 0s\nsort: "+tc.sort+"\n")
			r := newTestReceiver()
			s.scan(context.Background(), r)
			var got []string
			for _, c := range r.fileCommits() {
				got = append(got, filepath.Base(c.file))
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("order %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSourceStartStop(t *testing.T) {
	base := t.TempDir()
	s := mustSource(t, base, "path: missing\n")
	err := s.Start(context.Background(), newTestReceiver())
	if err == nil || !strings.Contains(err.Error(), filepath.Join(base, "missing")) {
		t.Fatalf("Start on a missing folder: %v; want an error naming it", err)
	}
	if err := s.Stop(context.Background()); err != nil {
		t.Errorf("Stop after a failed Start: %v", err)
	}
	writeFile(t, filepath.Join(base, "plain"), "x")
	s = mustSource(t, base, "path: plain\n")
	if err := s.Start(context.Background(), newTestReceiver()); err == nil || !strings.Contains(err.Error(), "is not a folder") {
		t.Errorf("Start on a file: %v", err)
	}

	s = mustSource(t, base, "path: .\n"+fastPoll)
	r := newTestReceiver()
	for i := range 3 {
		if err := s.Start(context.Background(), r); err != nil {
			t.Fatalf("Start %d: %v", i, err)
		}
		if err := s.Start(context.Background(), r); err == nil {
			t.Errorf("a second Start while running succeeded")
		}
		name := filepath.Join(base, "f"+string(rune('0'+i))+".hl7")
		writeFile(t, name, adt("S", "\r"))
		waitFor(t, 5*time.Second, "the file read", func() bool { return !exists(name) })
		stopSource(t, s)
	}
	if c, _ := r.stats(); c != 3 {
		t.Errorf("%d commits over three runs, want 3", c)
	}
}

// TestFileKey: the key changes with the name, the content and the modification time, and
// not otherwise.
func TestFileKey(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("A", 200<<10)
	writeFile(t, filepath.Join(dir, "a"), big)
	mtime := time.Date(2026, 11, 27, 2, 0, 0, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "a"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	k1 := keyOf(t, dir, "a")
	if k2 := keyOf(t, dir, "a"); k2 != k1 {
		t.Errorf("key not stable: %s then %s", k1, k2)
	}
	// The same size and time, a different first or last byte.
	for _, edit := range []int{0, len(big) - 1} {
		b := []byte(big)
		b[edit] = 'B'
		writeFile(t, filepath.Join(dir, "a"), string(b))
		if err := os.Chtimes(filepath.Join(dir, "a"), mtime, mtime); err != nil {
			t.Fatal(err)
		}
		if keyOf(t, dir, "a") == k1 {
			t.Errorf("byte %d changed, key did not", edit)
		}
	}
	writeFile(t, filepath.Join(dir, "a"), big)
	if err := os.Chtimes(filepath.Join(dir, "a"), mtime.Add(time.Second), mtime.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if keyOf(t, dir, "a") == k1 {
		t.Errorf("time changed, key did not")
	}
	if err := os.Rename(filepath.Join(dir, "a"), filepath.Join(dir, "b")); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(dir, "b"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	if keyOf(t, dir, "b") == k1 {
		t.Errorf("name changed, key did not")
	}
}

// TestSourceLogsNoContent: problems are logged by position, never with the file's text,
// which may be patient data; the note in error_dir has the details.
func TestSourceLogsNoContent(t *testing.T) {
	base := t.TempDir()
	writeFile(t, filepath.Join(base, "a.hl7"), "SMITH^JOHN 19700101\n")
	writeFile(t, filepath.Join(base, "b.hl7"), "DOE^JANE\r"+adt("P1", "\r"))
	var logs bytes.Buffer
	var mu sync.Mutex
	s, err := newTestSourceDeps(t, "path: .\n"+fastPoll, connector.Deps{BaseDir: base, Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	r := newTestReceiver()
	startSource(t, s, r)
	waitFor(t, 5*time.Second, "both files in error_dir", func() bool {
		return exists(filepath.Join(base, "error", "a.hl7")) && exists(filepath.Join(base, "error", "b.hl7"))
	})
	stopSource(t, s)
	mu.Lock()
	defer mu.Unlock()
	for _, phi := range []string{"SMITH", "JOHN", "DOE", "JANE", "19700101"} {
		if strings.Contains(logs.String(), phi) {
			t.Errorf("the log holds %q:\n%s", phi, logs.String())
		}
	}
	if !strings.Contains(logs.String(), "line 1 col 1: message does not start with an MSH segment") {
		t.Errorf("the log does not say where:\n%s", logs.String())
	}
	note, err := os.ReadFile(filepath.Join(base, "error", "b.hl7.error.txt"))
	if err != nil || !strings.Contains(string(note), `found "DOE^JANE"`) {
		t.Errorf("note %q, %v", note, err)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestSourceStoredButNotMovable: a file whose messages are stored but that cannot be moved
// to done_dir (here a file stands where the folder should be) is moved again at each poll
// without being keyed, looked up in the store or logged as "already stored" again, and goes
// to done_dir once it can.
func TestSourceStoredButNotMovable(t *testing.T) {
	base := t.TempDir()
	writeFile(t, filepath.Join(base, "x.hl7"), adt("M1", "\r"))
	blocker := filepath.Join(base, "done")
	writeFile(t, blocker, "not a folder")
	var logs bytes.Buffer
	var mu sync.Mutex
	s, err := newTestSourceDeps(t, "path: .\n"+fastPoll, connector.Deps{BaseDir: base, Logger: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	r := newTestReceiver()
	startSource(t, s, r)
	waitFor(t, 5*time.Second, "the file stored", func() bool { c, _ := r.stats(); return c == 1 })
	time.Sleep(200 * time.Millisecond) // about 20 polls
	key := keyOf(t, base, "x.hl7")
	r.mu.Lock()
	asks := r.seenAsks[key]
	r.mu.Unlock()
	if asks != 1 {
		t.Errorf("the store was asked %d times whether the file was read; want 1 (before it was read)", asks)
	}
	if err := os.Remove(blocker); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "the file moved to done", func() bool { return exists(filepath.Join(base, "done", "x.hl7")) })
	stopSource(t, s)
	if c, a := r.stats(); c != 1 || a != 1 {
		t.Errorf("%d commits, %d attempts; want 1, 1", c, a)
	}
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(logs.String(), "cannot move the file to done_dir"); n != 1 {
		t.Errorf("the failed move was logged %d times; want once:\n%s", n, logs.String())
	}
	if strings.Contains(logs.String(), "already stored") {
		t.Errorf("the log says the file was already stored, poll after poll:\n%s", logs.String())
	}
}
