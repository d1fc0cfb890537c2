// Package sqlite is Courier's embedded message store: one SQLite database file in WAL mode,
// written by one committer goroutine that groups concurrent requests into shared, fsync'd
// transactions, and read through a separate pool of connections.
//
// The schema, its invariants and the migration policy are described in docs/format/store.md.
// The package implements store.Store and passes the conformance suite in package storetest.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/courier-hl7/courier/internal/store"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver
)

// Options configures a Store. The zero value is usable.
type Options struct {
	// Codec seals content on its way in and opens it on the way out (default store.PlainCodec).
	Codec store.Codec
	// Logger receives the store's own events (open, migrations, failed commits); it never
	// receives message content. Default: slog.Default().
	Logger *slog.Logger
	// BusyTimeout is how long a connection waits for a lock held by another process (the
	// CLI inspecting a live database, a backup). Default 5s.
	BusyTimeout time.Duration
	// MaxBatch is the largest number of requests the committer puts in one transaction.
	// Default 256.
	MaxBatch int
	// Readers is the number of read connections (default 4). Reads never wait for the writer.
	Readers int
	// CacheKiB is SQLite's page cache per connection in KiB (default 32768 for the writer,
	// a quarter of it for each reader).
	CacheKiB int
	// Now is the clock for operator actions, events without a time of their own and claims
	// without ClaimRequest.Now. Queue decisions use the times the caller passes; the clock is
	// only a default. Default time.Now.
	Now func() time.Time
}

// Store is the SQLite implementation of store.Store.
type Store struct {
	path   string
	codec  store.Codec
	log    *slog.Logger
	now    func() time.Time
	rdb    *sql.DB // readers: query_only connections
	wdb    *sql.DB // the writer pool, of one connection, held by the committer
	cdb    *sql.DB // the checkpointer's connection
	w      *writer
	reqs   chan *request
	quit   chan struct{}
	done   chan struct{}
	batchN int

	batch    []*request    // the committer's open transaction
	wal      *os.File      // the WAL file, fsynced by the syncer
	syncq    chan syncJob  // committed batches waiting for fsync
	synced   atomic.Int64  // batches synced
	syncWake chan struct{} // the syncer's signal that it finished an fsync
	syncDone chan struct{}
	ckptWake chan struct{} // the committer's signal that it committed
	ckptQuit chan struct{}
	ckptDone chan struct{}
	broken   atomic.Pointer[error] // set when an fsync failed: the store takes no more writes

	failLogged time.Time // the committer's last log of a failed commit
	failQuiet  int       // failed commits not logged since

	gate     sync.RWMutex // held for reading by every call, for writing by Close
	closed   bool
	inflight sync.WaitGroup

	// commits and syncs count committed transactions and fsyncs; tests use them to see
	// group commit and pruning in small transactions at work. busy is the committer's time
	// spent running requests and committing, in nanoseconds: benchmarks report it per
	// message, since the committer is the one serial part of every write.
	commits, syncs, busy atomic.Int64
}

var _ store.Store = (*Store)(nil)

// applicationID marks a database file as a Courier store ("Cour").
const applicationID = 0x436f7572

// Open opens the store at path, creating the file and its directory if needed, and brings
// its schema up to date. A database written by a newer Courier is refused.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	if opts.Codec == nil {
		opts.Codec = store.PlainCodec{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	if opts.Readers <= 0 {
		opts.Readers = 4
	}
	if opts.CacheKiB <= 0 {
		opts.CacheKiB = 32 << 10
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if path == "" {
		return nil, errors.New("open store: no path given")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
	}

	// The writer: WAL, with commits synced by the syncer rather than by SQLite (see
	// commit.go), and no checkpoints of its own: the checkpointer runs them. Foreign keys
	// are declared but not enforced: every insert of an entry or an event would look its
	// message up, and the store's own code is the only writer (Prune deletes children
	// itself; an invariant test checks that none is orphaned).
	wdb, err := sql.Open("sqlite", dsn(path, opts.BusyTimeout, opts.CacheKiB,
		"journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(0)", "temp_store(MEMORY)",
		fmt.Sprintf("journal_size_limit(%d)", walSizeLimit), "wal_autocheckpoint(0)",
		// Deleted content is overwritten with zeros: pruned messages (patient data) must not
		// stay readable in the file's free pages.
		"secure_delete(1)"))
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(0)
	wdb.SetConnMaxIdleTime(0)

	s := &Store{
		path:     path,
		codec:    opts.Codec,
		log:      opts.Logger,
		now:      opts.Now,
		wdb:      wdb,
		reqs:     make(chan *request, opts.MaxBatch),
		quit:     make(chan struct{}),
		done:     make(chan struct{}),
		batchN:   opts.MaxBatch,
		syncq:    make(chan syncJob, 64),
		syncWake: make(chan struct{}, 1),
		syncDone: make(chan struct{}),
		ckptWake: make(chan struct{}, 1),
		ckptQuit: make(chan struct{}),
		ckptDone: make(chan struct{}),
	}
	conn, err := wdb.Conn(ctx)
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, classify(err))
	}
	var mode string
	if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		conn.Close()
		wdb.Close()
		if err == nil {
			err = fmt.Errorf("journal mode is %q, not wal", mode)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	version, err := migrate(ctx, conn, s.now())
	if err == nil {
		s.w, err = newWriter(ctx, conn)
	}
	if err == nil {
		s.wal, err = openWAL(path)
	}
	if err != nil {
		conn.Close()
		wdb.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}

	// Readers see committed data only; query_only guards against a write slipping past the
	// committer.
	rdb, err := sql.Open("sqlite", dsn(path, opts.BusyTimeout, max(opts.CacheKiB/4, 1024),
		"query_only(1)", "temp_store(MEMORY)"))
	if err != nil {
		s.w.close()
		wdb.Close()
		s.wal.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	rdb.SetMaxOpenConns(opts.Readers)
	rdb.SetMaxIdleConns(opts.Readers)
	s.rdb = rdb

	// The checkpointer copies the WAL into the database beside the committer. With
	// synchronous=NORMAL a checkpoint syncs the WAL before it copies and the database after.
	// Its busy timeout bounds how long a restarting checkpoint holds up the committer.
	cdb, err := sql.Open("sqlite", dsn(path, restartWait, 1024, "synchronous(NORMAL)"))
	if err != nil {
		s.w.close()
		wdb.Close()
		rdb.Close()
		s.wal.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	cdb.SetMaxOpenConns(1)
	s.cdb = cdb

	go s.commitLoop()
	go s.syncLoop()
	go s.checkpointLoop()
	s.log.Info("store open", "path", path, "schema", version)
	return s, nil
}

// openWAL opens the WAL file for the syncer, and syncs the directory once so that the
// files' names are durable too. SQLite keeps the WAL file (the same inode) while any
// connection is open, and the store holds its writer connection until Close.
func openWAL(path string) (*os.File, error) {
	wal, err := os.Open(path + "-wal")
	if err != nil {
		return nil, fmt.Errorf("open WAL: %w", err)
	}
	dir, err := os.Open(filepath.Dir(path))
	if err == nil {
		err = dir.Sync()
		dir.Close()
	}
	if err == nil {
		err = wal.Sync()
	}
	if err != nil {
		wal.Close()
		return nil, fmt.Errorf("sync store directory: %w", err)
	}
	return wal, nil
}

// checkpointEvery is the least time between two checkpoints: each syncs the WAL and the
// database, so they gather the commits of a while.
const checkpointEvery = 200 * time.Millisecond

// walRestartAt is the WAL content past which the checkpointer has the writer restart it. A
// PASSIVE checkpoint copies frames but cannot rewind the WAL: only a writer does, when it
// begins after a complete checkpoint and finds no reader on a snapshot of the WAL. Under
// steady load the committer begins its next transaction before a checkpoint running beside
// it catches up, so the WAL would grow without end.
const walRestartAt = 8 << 20

// walSizeLimit is the WAL file's journal_size_limit: when the writer restarts the WAL, SQLite
// truncates a longer file to it. The checkpoints restart the WAL at about walRestartAt, so
// the file is cut back only after a stretch in which the WAL could not be restarted.
const walSizeLimit = 4 * walRestartAt

// restartEvery is the time between two checkpoints while the WAL grows past walRestartAt
// between them: a store writing tens of MB a second restarts it before its file grows far
// past walRestartAt.
const restartEvery = 50 * time.Millisecond

// walFrameBytes is the size of a WAL frame: a 24-byte header and a page of the default size,
// which the store keeps.
const walFrameBytes = 24 + 4096

// restartWait is how long a restarting checkpoint waits for the writer's transaction and
// for readers on older snapshots before it gives up until the next round. The committer
// waits meanwhile, so it is short.
const restartWait = 500 * time.Millisecond

// idleTruncate is how long the store goes without a commit before the checkpointer
// truncates the WAL, giving its space back while nothing is written.
const idleTruncate = time.Second

// checkpointLoop is the checkpointer: after commits, at most every checkpointEvery, it
// copies the WAL into the database (PASSIVE: it waits for neither readers nor the writer).
// When the WAL holds more than walRestartAt anyway, it then runs a RESTART checkpoint,
// which has little left to copy: it takes the gate between two of the committer's
// transactions, waits (at most restartWait) for the readers of older snapshots, and leaves
// the WAL so that the writer's next transaction starts it again from its beginning; the next
// round comes after restartEvery.
//
// RESTART, not TRUNCATE: the WAL file keeps its size and its blocks, so the frames written
// after a restart overwrite blocks the file has; the syncer's fdatasync then changes no file
// size and skips the file system's journal. And the writer, which restarts the WAL itself,
// keeps its page cache, where a WAL emptied by another connection makes it drop the cache
// and read every page it needs again. Once no commit has come for idleTruncate, the
// checkpointer truncates the WAL to give its space back.
func (s *Store) checkpointLoop() {
	defer close(s.ckptDone)
	idle := time.NewTimer(idleTruncate)
	defer idle.Stop()
	for {
		select {
		case <-s.ckptWake:
		case <-idle.C:
			// Nothing was committed for a while: copy what is left and empty the WAL.
			// The next commit wakes the loop again.
			s.exclusiveCheckpoint("TRUNCATE")
			select {
			case <-s.ckptWake:
			case <-s.ckptQuit:
				return
			}
		case <-s.ckptQuit:
			return
		}
		wait := checkpointEvery
		if _, frames := s.checkpoint("PASSIVE"); frames*walFrameBytes > walRestartAt {
			s.exclusiveCheckpoint("RESTART")
			wait = restartEvery
		}
		select {
		case <-time.After(wait):
		case <-s.ckptQuit:
			return
		}
		idle.Reset(idleTruncate)
	}
}

// exclusiveCheckpoint runs a RESTART or TRUNCATE checkpoint, which needs the write lock,
// between two of the committer's transactions (see txnGate).
func (s *Store) exclusiveCheckpoint(mode string) {
	s.w.gate.take()
	defer s.w.gate.release()
	s.checkpoint(mode)
}

// checkpoint runs one wal_checkpoint in the given mode; busy means it could not finish
// (another round will), frames is the number of frames in the WAL.
func (s *Store) checkpoint(mode string) (busy bool, frames int) {
	var b, copied int
	if err := s.cdb.QueryRow("PRAGMA wal_checkpoint("+mode+")").Scan(&b, &frames, &copied); err != nil {
		if isBusy(err) {
			return true, 0
		}
		s.log.Warn("store checkpoint failed", "mode", mode, "err", classify(err))
		return true, 0
	}
	return b != 0, frames
}

// dsn builds a modernc.org/sqlite data source name with pragmas run on every new connection.
func dsn(path string, busy time.Duration, cacheKiB int, pragmas ...string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", fmt.Sprintf("cache_size(-%d)", cacheKiB))
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
}

// enter admits a call unless the store is closed; leave must follow.
func (s *Store) enter() error {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.closed {
		return store.ErrClosed
	}
	s.inflight.Add(1)
	return nil
}

func (s *Store) leave() { s.inflight.Done() }

// Close waits for the calls in progress, stops the committer and closes the database. Calls
// after Close return store.ErrClosed; closing twice is harmless.
func (s *Store) Close() error {
	s.gate.Lock()
	if s.closed {
		s.gate.Unlock()
		return nil
	}
	s.closed = true
	s.gate.Unlock()

	s.inflight.Wait()
	close(s.quit)
	<-s.done
	close(s.syncq)
	<-s.syncDone
	close(s.ckptQuit)
	<-s.ckptDone
	// The last connection to close checkpoints the WAL into the database.
	errs := []error{s.cdb.Close(), s.rdb.Close(), s.w.close(), s.wdb.Close(), s.wal.Close()}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	s.log.Info("store closed", "path", s.path)
	return nil
}

// nanos converts a time to the stored form: Unix nanoseconds, with 0 for the zero time.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromNanos is the inverse of nanos. Times come back in UTC.
func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

// seal passes content through the codec; nil (absent) content stays nil and is stored as NULL.
func (s *Store) seal(b []byte) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	sealed, err := s.codec.Seal(b)
	if err != nil {
		return nil, fmt.Errorf("seal content: %w", err)
	}
	if sealed == nil {
		sealed = []byte{}
	}
	return sealed, nil
}

// open is the inverse of seal.
func (s *Store) open(b []byte) ([]byte, error) {
	if b == nil {
		return nil, nil
	}
	plain, err := s.codec.Open(b)
	if err != nil {
		return nil, fmt.Errorf("open content: %w", err)
	}
	if plain == nil {
		plain = []byte{}
	}
	return plain, nil
}
