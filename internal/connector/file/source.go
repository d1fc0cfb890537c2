// Package file reads HL7 files from a folder (the file source) and writes messages to files,
// one per message or one batch file per group of messages (the file destination).
package file

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/config"
	"github.com/courier-hl7/courier/internal/connector"
)

const (
	keyPath        = "path"
	keyGlob        = "glob"
	keyPoll        = "poll"
	keyMinAge      = "min_age"
	keyAfter       = "after"
	keyDoneDir     = "done_dir"
	keyErrorDir    = "error_dir"
	keySort        = "sort"
	keyMaxFileSize = "max_file_size"
	keyChunk       = "chunk_messages"
)

// What the source does with a file once its messages are stored (`after`).
const (
	afterMove   = "move"
	afterDelete = "delete"
	afterKeep   = "keep"
)

// SourceSpec describes the file source.
func SourceSpec() config.Spec {
	return config.Spec{
		Name:    "file",
		Summary: "Reads HL7 files from a folder: single messages, files of many messages, and FHS/BHS batch files.",
		Description: "Polls a folder for files whose names match `glob`. A file is read once its size and modification " +
			"time have not changed for `min_age`, so that files still being written are left alone; names that start " +
			"with `.` or end in `.tmp` or `.part` are never read, so writers that write under such a name and rename " +
			"when done are always safe. Empty files and anything that is not a regular file are skipped.\n\n" +
			"A file is read as a stream of messages, one after another or inside FHS/BHS batch envelopes, with CR, " +
			"LF or CR LF line ends. All its messages are stored in one commit together with a mark that the file was " +
			"read, so a file is processed once even across crashes and restarts: a file whose mark is already " +
			"stored (Courier stopped after storing it but before moving it) is moved or deleted without being read " +
			"again. Messages that do not parse are stored too, with status ERROR. Files of more than " +
			"`chunk_messages` messages are committed in chunks, each with its own mark, and a file interrupted by a " +
			"stop or a crash resumes after its last stored chunk.\n\n" +
			"After its messages are stored a file is moved to `done_dir`, deleted, or kept where it is (`after`). A " +
			"file that holds no HL7 message at all, or is larger than `max_file_size`, is moved to `error_dir` " +
			"without being read; so is a file whose structure has problems (text outside any message, a message too " +
			"large to read, a BTS-1 or FTS-1 count that does not match, a missing BTS or FTS): its messages are " +
			"stored, and the file goes to `error_dir` instead of being moved to `done_dir` or deleted, so that " +
			"nothing it held is lost. Next to each file moved there a `<name>.error.txt` says why. With `after: keep` " +
			"files are never moved: such problems are only logged.\n\n" +
			"Files are cut into messages with the `auto` line-end rule; each message is then parsed with the " +
			"channel's settings (`charset` for messages without MSH-18, `terminators`, `max_message_size`).",
		Fields: []config.Field{
			{Name: keyPath, Type: config.String, Required: true,
				Description: "Folder to read. A relative folder is relative to the directory of the configuration file.",
				Example:     "/data/inbound/adt"},
			{Name: keyGlob, Type: config.List, Elem: &config.Field{Type: config.String}, Default: []string{"*.hl7"},
				Description: "File name patterns to read, in Go `path/filepath.Match` syntax (`*`, `?`, `[a-z]`), matched " +
					"against names in the folder (not its subfolders). Matching is case-sensitive: list `*.HL7` too for " +
					"senders that write upper-case names.",
				Example: []string{"*.hl7", "*.HL7", "ADT_*.txt"}},
			{Name: keyPoll, Type: config.Duration, Default: "5s", Min: config.Bound(0.01),
				Description: "How often the folder is listed.", Example: "30s"},
			{Name: keyMinAge, Type: config.Duration, Default: "2s", Min: config.Bound(0),
				Description: "A file is read only once its size and modification time have stayed the same for this " +
					"long (measured on Courier's clock, so a share's clock does not matter). 0 reads files as soon as " +
					"they are seen. A file that stops inside a segment (its last byte is not a CR or LF) waits ten " +
					"times as long: a writer that pauses mid-message must not have half a message read. A writer that pauses between messages for longer than this still has its file read in two " +
					"parts, the second lost: such writers should write under a temporary name (`.part`, `.tmp`, or a " +
					"leading `.`) and rename the file when it is complete.",
				Example: "10s"},
			{Name: keyAfter, Type: config.String, Default: afterMove, Enum: []string{afterMove, afterDelete, afterKeep},
				Description: "What to do with a file once its messages are stored: `move` it to `done_dir`, `delete` it, or " +
					"`keep` it where it is (the stored file mark keeps it from being read again, until its content or " +
					"modification time changes).",
				Example: afterDelete},
			{Name: keyDoneDir, Type: config.String, Default: "",
				Description: "With `after: move`, where read files go. Empty: the folder `done` inside `path`. A relative " +
					"folder is relative to the directory of the configuration file. A file whose name is taken there " +
					"gets a number: `ADT.hl7`, `ADT-1.hl7`...",
				Example: "/data/archive/adt"},
			{Name: keyErrorDir, Type: config.String, Default: "",
				Description: "With `after: move` or `delete`, where files go that hold no HL7 message, are larger than " +
					"`max_file_size`, or have structural problems (see above). Empty: the folder `error` inside `path`.",
				Example: "/data/inbound/adt-rejected"},
			{Name: keySort, Type: config.String, Default: "name", Enum: []string{"name", "mtime"},
				Description: "Order in which the files ready at one poll are read: by `name`, or by modification time " +
					"(`mtime`, oldest first, then by name).",
				Example: "mtime"},
			{Name: keyMaxFileSize, Type: config.Size, Default: "0", Min: config.Bound(0),
				Description: "Files larger than this are not read and go to `error_dir`. 0: no limit (reading is " +
					"streamed, so memory does not grow with the file; see `chunk_messages`).",
				Example: "512MiB"},
			{Name: keyChunk, Type: config.Int, Default: 10000, Min: config.Bound(1), Max: config.Bound(1 << 20), Advanced: true,
				Description: "Most messages stored in one commit. A file with more is committed in chunks of this many, " +
					"each with its own mark (a stop or crash resumes after the last stored chunk; only a file that " +
					"changes while it is read is read again from the start). Memory use is about three times the " +
					"size of one chunk's messages.",
				Example: 2000},
		},
		Examples: []string{
			"type: file\npath: /data/inbound/adt\n",
			"type: file\npath: inbound/lab\nglob: [\"*.hl7\", \"*.HL7\"]\npoll: 10s\nmin_age: 5s\nafter: move\ndone_dir: archive/lab\nerror_dir: rejected/lab\nsort: mtime\n",
			"type: file\npath: /mnt/share/billing\nafter: keep\nmax_file_size: 512MiB\n",
		},
	}
}

func init() {
	connector.MustRegisterSource(SourceSpec(), NewSource)
}

// NewSource builds a file source from its configuration.
func NewSource(n *config.Node, deps connector.Deps) (connector.Source, error) {
	var errs config.Errors
	s := &source{
		dir:      resolve(deps.BaseDir, n.String(keyPath)),
		globs:    n.Strings(keyGlob),
		poll:     n.Duration(keyPoll),
		minAge:   n.Duration(keyMinAge),
		after:    n.String(keyAfter),
		byMtime:  n.String(keySort) == "mtime",
		maxSize:  n.Size(keyMaxFileSize),
		chunk:    n.Int(keyChunk),
		log:      deps.Logger,
		now:      time.Now,
		watch:    map[string]observation{},
		known:    map[string]knownFile{},
		reported: map[string]string{},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("source", "file", "path", s.dir)
	if len(s.globs) == 0 {
		errs = append(errs, n.Errorf(keyGlob, "give at least one file name pattern, like \"*.hl7\""))
	}
	for _, g := range s.globs {
		if strings.ContainsAny(g, `/\`) {
			errs = append(errs, n.Errorf(keyGlob, "pattern %q has a path separator: patterns match names inside the folder; put the folder in path", g))
		} else if _, err := filepath.Match(g, ""); err != nil {
			errs = append(errs, n.Errorf(keyGlob, "pattern %q: %v", g, err))
		}
	}
	s.doneDir = filepath.Join(s.dir, "done")
	if n.Has(keyDoneDir) && n.String(keyDoneDir) != "" {
		if s.after != afterMove {
			errs = append(errs, n.Errorf(keyDoneDir, "done_dir applies with after: move, not after: %s", s.after))
		}
		s.doneDir = resolve(deps.BaseDir, n.String(keyDoneDir))
	}
	s.errorDir = filepath.Join(s.dir, "error")
	if n.Has(keyErrorDir) && n.String(keyErrorDir) != "" {
		if s.after == afterKeep {
			errs = append(errs, n.Errorf(keyErrorDir, "error_dir applies with after: move or delete; with after: keep files are never moved"))
		}
		s.errorDir = resolve(deps.BaseDir, n.String(keyErrorDir))
	}
	for _, d := range []struct{ key, dir string }{{keyDoneDir, s.doneDir}, {keyErrorDir, s.errorDir}} {
		if d.dir == s.dir {
			errs = append(errs, n.Errorf(d.key, "%s must not be the folder that is read (%s)", d.key, s.dir))
		}
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// resolve makes p absolute against base, the configuration file's directory.
func resolve(base, p string) string {
	p = filepath.FromSlash(p)
	if !filepath.IsAbs(p) {
		p = filepath.Join(base, p)
	}
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return filepath.Clean(p)
}

// source polls a folder. Start runs one polling goroutine; its state (the maps) is owned by
// that goroutine, and Start waits for a previous one to end before starting another.
type source struct {
	dir, doneDir, errorDir string
	globs                  []string
	poll, minAge           time.Duration
	after                  string
	byMtime                bool
	maxSize                int64
	chunk                  int
	log                    *slog.Logger
	now                    func() time.Time

	mu      sync.Mutex
	running bool
	cancel  context.CancelFunc
	done    chan struct{} // closed when the polling goroutine ends

	watch    map[string]observation // files seen and not yet handled, by name
	known    map[string]knownFile   // files handled that stay in the folder, by name
	reported map[string]string      // name → problem last logged at error level
}

var _ connector.Source = (*source)(nil)

// observation is what a poll saw of a file, and since when it has looked like that.
type observation struct {
	size  int64
	mtime time.Time
	since time.Time
}

// knownFile is a file that stays in the folder after it was handled: kept (after: keep),
// rejected but not movable, or stored but not movable or deletable. While its size and
// modification time stay the same it is not opened again; a rejected or stored one is only
// moved (or deleted) again, without asking the store or logging it as "already stored" at
// every poll.
type knownFile struct {
	size     int64
	mtime    time.Time
	rejected []error // why it goes to error_dir; nil for a kept or stored file
	stored   bool    // its messages are stored; it is still to be moved or deleted
	problems []error // with stored: its structural problems, which send it to error_dir
}

// Start checks that the folder exists and starts polling it in the background.
func (s *source) Start(ctx context.Context, r connector.Receiver) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return fmt.Errorf("file source %s: already started", s.dir)
	}
	if s.done != nil {
		// A Stop whose deadline passed left the previous run storing a file.
		select {
		case <-s.done:
		case <-ctx.Done():
			return fmt.Errorf("file source %s: the previous run is still storing a file: %w", s.dir, ctx.Err())
		}
	}
	info, err := os.Stat(s.dir)
	if err != nil {
		return fmt.Errorf("file source: folder to read: %w", err)
	}
	if !info.IsDir() {
		return fmt.Errorf("file source: %s is not a folder", s.dir)
	}
	// The run outlives Start's context (an API request that resumed the channel); Stop ends it.
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	s.running, s.cancel, s.done = true, cancel, done
	go func() {
		defer close(done)
		s.run(rctx, r)
	}()
	return nil
}

// Stop stops polling and waits until the file in progress is stored or abandoned: a commit
// under way finishes, reading stops between messages, and an interrupted file is resumed at
// the next Start. If ctx ends first Stop returns its error and the commit still finishes.
func (s *source) Stop(ctx context.Context) error {
	s.mu.Lock()
	cancel, done := s.cancel, s.done
	s.running, s.cancel = false, nil
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("file source %s: stop: a file is still being stored: %w", s.dir, ctx.Err())
	}
}

// run polls until ctx ends.
func (s *source) run(ctx context.Context, r connector.Receiver) {
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		t.Reset(s.scan(ctx, r))
	}
}

// scan lists the folder once, handles every file that is ready, and returns how long to wait
// before the next pass: the poll interval, or less when a file becomes ready sooner.
func (s *source) scan(ctx context.Context, r connector.Receiver) time.Duration {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		s.problem("", "cannot list the folder; will try again", err)
		return s.poll
	}
	s.resolved("")
	now := s.now()
	wait := s.poll
	var ready []candidate
	present := make(map[string]bool, len(entries))
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || ignored(name) || !s.matches(name) {
			continue
		}
		info, err := e.Info()
		if err != nil || info.Size() == 0 {
			continue // gone since the listing, or empty: a writer may have just created it
		}
		present[name] = true
		size, mtime := info.Size(), info.ModTime()
		if k, ok := s.known[name]; ok {
			if k.size == size && k.mtime.Equal(mtime) {
				switch {
				case k.rejected != nil:
					s.reject(ctx, r, name, info, "", k.rejected)
				case k.stored:
					s.finish(name, info, k.problems)
				}
				continue
			}
			delete(s.known, name)
		}
		o, ok := s.watch[name]
		if !ok || o.size != size || !o.mtime.Equal(mtime) {
			o = observation{size: size, mtime: mtime, since: now}
			s.watch[name] = o
		}
		if age := now.Sub(o.since); age < s.minAge {
			wait = min(wait, s.minAge-age)
			continue
		} else if need := s.unendedAge(); age < need && !endsWithLineEnd(filepath.Join(s.dir, name), size) {
			// The file stops inside a segment: more likely a writer that paused than a file
			// without its last line end. It gets a longer wait, so that a pause longer than
			// min_age does not have half a message read as a message and the rest lost.
			wait = min(wait, need-age)
			continue
		}
		ready = append(ready, candidate{name: name, size: size, mtime: mtime})
	}
	for name := range s.watch {
		if !present[name] {
			delete(s.watch, name)
		}
	}
	for name := range s.known {
		if !present[name] {
			delete(s.known, name)
		}
	}
	for name := range s.reported {
		if name != "" && !present[name] {
			delete(s.reported, name)
		}
	}
	slices.SortFunc(ready, func(a, b candidate) int {
		if s.byMtime {
			if c := a.mtime.Compare(b.mtime); c != 0 {
				return c
			}
		}
		return strings.Compare(a.name, b.name)
	})
	for _, c := range ready {
		if ctx.Err() != nil {
			break
		}
		s.handle(ctx, r, c)
	}
	return max(wait, time.Millisecond)
}

// unendedFactor multiplies min_age for a file that does not end with a line end (see scan).
const unendedFactor = 10

// unendedAge is how long a file that stops inside a segment must stay unchanged: ten times
// min_age (none when min_age is 0: files are read as soon as they are seen).
func (s *source) unendedAge() time.Duration {
	return unendedFactor * s.minAge
}

// endsWithLineEnd reports whether the file of the given size ends with CR or LF (a file that
// cannot be read says yes: opening it will report the problem).
func endsWithLineEnd(path string, size int64) bool {
	f, err := os.Open(path)
	if err != nil {
		return true
	}
	defer f.Close()
	var b [1]byte
	if _, err := f.ReadAt(b[:], size-1); err != nil {
		return true
	}
	return b[0] == '\r' || b[0] == '\n'
}

// candidate is a file that is ready to read.
type candidate struct {
	name  string
	size  int64
	mtime time.Time
}

// ignored reports whether a name is one writers use while writing.
func ignored(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasSuffix(name, ".tmp") || strings.HasSuffix(name, ".part")
}

func (s *source) matches(name string) bool {
	for _, g := range s.globs {
		if ok, _ := filepath.Match(g, name); ok {
			return true
		}
	}
	return false
}

// handle reads one file, stores its messages and moves it on. Whatever fails leaves the file
// in place for the next poll.
func (s *source) handle(ctx context.Context, r connector.Receiver, c candidate) {
	path := filepath.Join(s.dir, c.name)
	f, err := os.Open(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.problem(c.name, "cannot open the file; will try again", err)
		}
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		s.problem(c.name, "cannot read the file; will try again", err)
		return
	}
	if info.Size() != c.size || !info.ModTime().Equal(c.mtime) {
		return // it changed since the listing: the next pass starts its min_age again
	}
	if s.maxSize > 0 && info.Size() > s.maxSize {
		why := fmt.Errorf("the file is %d bytes, more than max_file_size (%d bytes); it was not read", info.Size(), s.maxSize)
		s.reject(ctx, r, c.name, info, "", []error{why})
		return
	}
	key, err := fileKey(f, c.name, info)
	if err != nil {
		s.problem(c.name, "cannot read the file; will try again", err)
		return
	}
	seen, err := r.FileSeen(ctx, key)
	if err != nil {
		if ctx.Err() == nil {
			s.problem(c.name, "cannot ask the store whether the file was read; will try again", err)
		}
		return
	}
	if seen {
		// Stored before, then Courier stopped before it could move the file: move it now.
		hadProblems, err := r.FileSeen(ctx, key+problemsSuffix)
		if err != nil {
			s.problem(c.name, "cannot ask the store whether the file was read; will try again", err)
			return
		}
		var problems []error
		if hadProblems {
			problems = []error{errors.New("the file was stored before with structural problems (see the log of that time)")}
		}
		level := slog.LevelInfo
		if s.after == afterKeep {
			level = slog.LevelDebug // every kept file, at every start
		}
		s.log.Log(ctx, level, "file already stored; not read again", "file", c.name)
		s.finish(c.name, info, problems)
		return
	}
	res, err := s.read(ctx, r, f, path, c.name, key, info)
	switch {
	case err != nil && ctx.Err() != nil:
		s.log.Info("stopped while reading a file; it is read again at the next start", "file", c.name, "err", err)
	case err != nil:
		s.problem(c.name, "file not stored; it stays in the folder and is read again at the next poll", err)
	case res.stopped:
		s.log.Info("stopped while reading a file; it resumes after its last stored chunk", "file", c.name, "stored", res.stored)
	case res.messages == 0:
		s.reject(ctx, r, c.name, info, key, append([]error{errors.New("no HL7 message found in the file")}, res.problems...))
	default:
		s.resolved(c.name)
		if len(res.problems) > 0 {
			s.log.Warn("file stored, with problems in its structure", "file", c.name, "messages", res.messages, "problems", logText(res.problems))
		} else {
			s.log.Info("file stored", "file", c.name, "messages", res.messages, "chunks", res.chunks)
		}
		s.finish(c.name, info, res.problems)
	}
}

// problemsSuffix marks, in the store, a file that was stored with structural problems, so
// that a file found already stored after a restart still goes to error_dir.
const problemsSuffix = "#problems"

// chunkKey is the mark of a file's first offset messages, committed together with the chunk
// that ends there.
func chunkKey(key string, offset int) string { return key + "#" + strconv.Itoa(offset) }

// fileKeyHead is how much of each end of a file goes into its key.
const fileKeyHead = 64 << 10

// fileKey identifies a file's content where it lies: a SHA-256 over its name in the folder,
// size, modification time, and its first and last 64 KiB. Name, size and time make a file
// dropped again (a deliberate resend, a daily file under the same name) a new file, and a file
// found in place after a restart the same one; the two ends catch a rewrite that kept size and
// time on a file system with coarse timestamps. Reading the whole file for a full hash would
// double the I/O of large files for what size and time already tell.
func fileKey(f *os.File, name string, info fs.FileInfo) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%d\x00", name, info.Size(), info.ModTime().UnixNano())
	size := info.Size()
	head := min(size, fileKeyHead)
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, head)); err != nil {
		return "", fmt.Errorf("read for the file key: %w", err)
	}
	if tail := min(size-head, fileKeyHead); tail > 0 {
		if _, err := io.Copy(h, io.NewSectionReader(f, size-tail, tail)); err != nil {
			return "", fmt.Errorf("read for the file key: %w", err)
		}
	}
	return "file1:" + hex.EncodeToString(h.Sum(nil)), nil
}

// readResult is what reading a file did.
type readResult struct {
	messages int // in the file
	stored   int // stored by this read (after any resumed chunks)
	chunks   int
	problems []error // structural problems, with positions
	stopped  bool    // the source was stopped before the file was done
}

// read streams the file's messages to the receiver, in chunks of s.chunk, resuming after
// the chunks a previous read stored.
func (s *source) read(ctx context.Context, r connector.Receiver, f *os.File, path, name, key string, info fs.FileInfo) (readResult, error) {
	var res readResult
	resume, err := s.resumeOffset(ctx, r, key)
	if err != nil {
		return res, err
	}
	if resume > 0 {
		s.log.Info("resuming a file after its stored chunks", "file", name, "offset", resume)
	}
	rd := hl7.NewReader(f)
	n := 0 // messages read, skipped ones included
	next := func() (*connector.Inbound, int, error) {
		for {
			if ctx.Err() != nil {
				return nil, 0, ctx.Err()
			}
			_, err := rd.Next()
			if err == io.EOF {
				return nil, 0, nil
			}
			raw := rd.Raw()
			if err != nil {
				var pe *hl7.ParseError
				if !errors.As(err, &pe) {
					return nil, 0, fmt.Errorf("read: %w", err)
				}
				if raw == nil || errors.Is(err, hl7.ErrBatch) {
					res.problems = append(res.problems, splitErrors(err)...)
				}
				// A message that does not parse is still handed over: the channel stores it
				// with status ERROR.
				if raw == nil {
					continue
				}
			}
			i := n
			n++
			if i < resume {
				continue
			}
			return &connector.Inbound{Raw: raw, File: path, ReceivedAt: s.now()}, i, nil
		}
	}
	var chunk []*connector.Inbound
	cur, _, err := next()
	for err == nil && cur != nil {
		chunk = append(chunk, cur)
		var i int
		cur, i, err = next()
		if err != nil || cur == nil || len(chunk) < s.chunk {
			continue
		}
		// A full chunk with more to come: commit it with the mark of its end.
		if err := s.commit(ctx, r, path, chunkKey(key, i), chunk); err != nil {
			return res, err
		}
		res.stored += len(chunk)
		res.chunks++
		chunk = nil
	}
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		res.stopped = true
		return res, nil
	}
	if err != nil {
		return res, err
	}
	res.messages = n
	if n == 0 {
		return res, nil
	}
	if now, err := f.Stat(); err != nil || now.Size() != info.Size() || !now.ModTime().Equal(info.ModTime()) {
		return res, fmt.Errorf("the file changed while it was read; it is read again from the start once it stays the same for min_age")
	}
	if len(res.problems) > 0 {
		if err := s.commit(ctx, r, path, key+problemsSuffix, nil); err != nil {
			return res, err
		}
	}
	if err := s.commit(ctx, r, path, key, chunk); err != nil {
		return res, err
	}
	res.stored += len(chunk)
	res.chunks++
	return res, nil
}

// commit stores messages with a mark. A stop does not interrupt a commit under way.
func (s *source) commit(ctx context.Context, r connector.Receiver, path, key string, msgs []*connector.Inbound) error {
	if _, err := r.ReceiveFile(context.WithoutCancel(ctx), path, key, msgs); err != nil {
		return fmt.Errorf("store %d messages: %w", len(msgs), err)
	}
	return nil
}

// maxChunks bounds the chunk marks looked up for one file.
const maxChunks = 1 << 24

// resumeOffset returns how many messages of the file earlier reads stored, by looking up the
// marks of its chunks in order. Marks name the message offset where a chunk ends, so a change
// of chunk_messages can only make a resumed file start earlier (storing some messages twice,
// which duplicate detection catches), never skip messages.
func (s *source) resumeOffset(ctx context.Context, r connector.Receiver, key string) (int, error) {
	off := 0
	for range maxChunks {
		seen, err := r.FileSeen(ctx, chunkKey(key, off+s.chunk))
		if err != nil {
			return 0, err
		}
		if !seen {
			break
		}
		off += s.chunk
	}
	return off, nil
}

// splitErrors returns the errors joined in err.
func splitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, splitErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// logText describes problems for the log without quoting the file: a ParseError's Detail may
// hold the start of a line of it, which may be patient data. The note next to a file moved
// to error_dir has the details.
func logText(problems []error) string {
	texts := make([]string, len(problems))
	for i, err := range problems {
		var pe *hl7.ParseError
		if !errors.As(err, &pe) {
			texts[i] = err.Error()
			continue
		}
		t := fmt.Sprintf("line %d col %d", pe.Line, pe.Column)
		if pe.SegmentName != "" {
			t += " (" + pe.SegmentName + ")"
		}
		texts[i] = t + ": " + pe.Err.Error()
	}
	return strings.Join(texts, "; ")
}

// finish moves a stored file on: to error_dir when it had problems, else as `after` says.
// A file that cannot be moved or deleted is remembered as stored, so that the next polls
// only try again.
func (s *source) finish(name string, info fs.FileInfo, problems []error) {
	path := filepath.Join(s.dir, name)
	delete(s.watch, name)
	done := true
	switch {
	case s.after == afterKeep:
		s.known[name] = knownFile{size: info.Size(), mtime: info.ModTime()}
		return
	case len(problems) > 0:
		done = s.moved(name, keyErrorDir, problems)
	case s.after == afterMove:
		done = s.moved(name, keyDoneDir, nil)
	case s.after == afterDelete:
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.problem(name, "stored, but cannot delete the file; will try again", err)
			done = false
			break
		}
		s.resolved(name)
		if err := syncDir(s.dir); err != nil {
			s.problem(name, "deleted, but the folder could not be synced", err)
		}
	}
	if done {
		delete(s.known, name)
		return
	}
	s.known[name] = knownFile{size: info.Size(), mtime: info.ModTime(), stored: true, problems: problems}
}

// moved moves a stored file to done_dir or error_dir (key names which), logs failures, and
// reports whether the file left the folder.
func (s *source) moved(name, key string, problems []error) bool {
	dir := s.doneDir
	if key == keyErrorDir {
		dir = s.errorDir
	}
	dst, err := s.moveTo(dir, name, problems)
	switch {
	case err != nil && dst == "":
		s.problem(name, "stored, but cannot move the file to "+key+"; will try again", err)
		return false
	case err != nil:
		s.log.Error("file moved to "+key+", but", "file", name, "err", err)
	}
	return true
}

// reject handles a file that holds nothing to store: it goes to error_dir with its reasons,
// or, with after: keep, stays, marked in the store so that it is not read again (key is
// computed here when empty).
func (s *source) reject(ctx context.Context, r connector.Receiver, name string, info fs.FileInfo, key string, why []error) {
	delete(s.watch, name)
	if s.after == afterKeep {
		if key == "" {
			f, err := os.Open(filepath.Join(s.dir, name))
			if err != nil {
				s.problem(name, "cannot open the file; will try again", err)
				return
			}
			key, err = fileKey(f, name, info)
			f.Close()
			if err != nil {
				s.problem(name, "cannot read the file; will try again", err)
				return
			}
		}
		if err := s.commit(ctx, r, filepath.Join(s.dir, name), key, nil); err != nil {
			s.problem(name, "cannot mark the file as read; will try again", err)
			return
		}
		s.known[name] = knownFile{size: info.Size(), mtime: info.ModTime()}
		s.log.Warn("file not read; it stays in the folder (after: keep)", "file", name, "why", logText(why))
		return
	}
	dst, err := s.moveTo(s.errorDir, name, why)
	if err != nil && dst == "" {
		s.known[name] = knownFile{size: info.Size(), mtime: info.ModTime(), rejected: why}
		s.problem(name, "cannot move the file to error_dir; will try again", err)
		return
	}
	delete(s.known, name)
	s.log.Warn("file not read; moved to error_dir", "file", name, "why", logText(why), "note", dst+".error.txt")
	if err != nil {
		s.log.Error("file moved to error_dir, but", "file", name, "err", err)
	}
}

// moveTo moves a file of the folder into dir under a free name, with a note next to it
// (<name>.error.txt) when why is not empty.
func (s *source) moveTo(dir, name string, why []error) (string, error) {
	if err := mkdirAllSync(dir, 0o750); err != nil {
		return "", err
	}
	dst, err := linkUnique(filepath.Join(s.dir, name), dir, name, maxSuffix, false)
	if err != nil {
		return "", err
	}
	s.resolved(name)
	var errs []error
	if len(why) > 0 {
		lines := make([]string, len(why))
		for i, e := range why {
			lines[i] = e.Error()
		}
		note := fmt.Sprintf("%s was moved here by Courier at %s.\n\n%s\n", name, s.now().Format(time.RFC3339), strings.Join(lines, "\n"))
		if err := os.WriteFile(dst+".error.txt", []byte(note), 0o640); err != nil {
			errs = append(errs, fmt.Errorf("write the note: %w", err))
		}
	}
	errs = append(errs, syncDir(dir), syncDir(s.dir))
	return dst, errors.Join(errs...)
}

// problem logs a failure about a file (name, or "" for the folder) at error level the first
// time it happens, and at debug level while it repeats poll after poll.
func (s *source) problem(name, msg string, err error) {
	text := msg + ": " + err.Error()
	if s.reported[name] == text {
		s.log.Debug(msg, "file", name, "err", err)
		return
	}
	s.reported[name] = text
	s.log.Error(msg, "file", name, "err", err)
}

// resolved forgets a problem logged about name.
func (s *source) resolved(name string) { delete(s.reported, name) }
