package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/courier-hl7/courier/internal/store"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Group commit.
//
// Every write goes through one goroutine, the committer, which owns the only write
// connection. A caller wraps its work in a request and waits. The committer runs each
// request as it arrives, in the transaction it has open, and commits when the disk is free
// to sync it:
//
//   - The commit does not wait for the disk (synchronous=NORMAL: SQLite appends the
//     transaction's frames to the WAL file and returns). The committer hands the batch to
//     the syncer, a second goroutine, which fsyncs the WAL file and only then answers the
//     batch's callers. An fsync covers every frame written before it started, so a caller is
//     answered after an fsync that covers its commit, as with synchronous=FULL.
//   - While that fsync runs, the committer opens the next transaction and runs the requests
//     that arrive in it: they could not be answered before the fsync ends anyway. It commits
//     once the syncer is free (or the batch holds MaxBatch requests, or holds no durable
//     request). So there is one commit per fsync, batches grow with the load and with the
//     disk's latency, and the CPU works on one batch while the disk works on the last:
//     durability does not cap throughput.
//
// Requests run without a savepoint each, which would cost a copy of every page they touch.
// When one fails, the transaction is rolled back, its caller gets the error, and the other
// requests of the batch run again: a request's function must give the same result when run
// twice. Errors after which SQLite may have ended the transaction (a full disk, an I/O
// error) fail the whole batch.
//
// Requests that need no durability (claims: a lease lost with the machine's power is
// harmless, since its worker is gone too) are answered as soon as their batch commits.
//
// A request that the committer has not taken yet can be cancelled by its context; once
// taken, it runs to the end and its caller waits for the answer, because an error must mean
// that nothing was stored.

// Request states.
const (
	reqQueued int32 = iota
	reqTaken
	reqCancelled
)

// request is one caller's work for the committer.
type request struct {
	// run does the work in the open transaction. It may run more than once (when another
	// request of its batch fails), so it must set its results, not add to them.
	run func(w *writer) error
	// durable requests are answered once their commit is synced to disk.
	durable bool
	state   atomic.Int32
	done    chan error
}

// do runs fn in the committer and returns its error, or the transaction's.
func (s *Store) do(ctx context.Context, durable bool, fn func(w *writer) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.leave()
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &request{run: fn, durable: durable, done: make(chan error, 1)}
	select {
	case s.reqs <- r:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		if r.state.CompareAndSwap(reqQueued, reqCancelled) {
			return ctx.Err()
		}
		return <-r.done
	}
}

// commitLoop is the committer. It runs until Close, which first waits for every caller, so
// that no transaction is open when it ends.
func (s *Store) commitLoop() {
	defer close(s.done)
	var handed int64 // batches handed to the syncer
	for {
		select {
		case r := <-s.reqs:
			s.add(r)
		case <-s.quit:
			return
		}
		for len(s.batch) > 0 {
			select {
			case r := <-s.reqs:
				s.add(r)
				if len(s.batch) < s.batchN {
					continue
				}
			default:
				if len(s.batch) < s.batchN && s.batchDurable() && handed > s.synced.Load() {
					// The batch can only be answered after the fsync in flight: go on
					// gathering until the syncer is free.
					select {
					case r := <-s.reqs:
						s.add(r)
					case <-s.syncWake:
					}
					continue
				}
			}
			if s.commit() {
				handed++
			}
		}
	}
}

// batchDurable reports whether a request of the open batch waits for fsync.
func (s *Store) batchDurable() bool {
	for _, r := range s.batch {
		if r.durable {
			return true
		}
	}
	return false
}

// add runs r in the open transaction, opening one if needed.
func (s *Store) add(r *request) {
	if !r.state.CompareAndSwap(reqQueued, reqTaken) {
		return // cancelled while queued
	}
	defer s.busySince(time.Now())
	if err := s.broken.Load(); err != nil {
		r.done <- *err
		return
	}
	if len(s.batch) == 0 {
		if err := s.w.begin(); err != nil {
			r.done <- s.failed(classify(err))
			return
		}
	}
	s.batch = append(s.batch, r)
	s.runFrom(len(s.batch) - 1)
}

// runFrom runs the requests of the batch from i on. A request that fails is answered and
// dropped, and the batch starts again without it.
func (s *Store) runFrom(i int) {
	w := s.w
	for i < len(s.batch) {
		r := s.batch[i]
		clear(w.reqCounts)
		err := w.run(r.run)
		if err == nil {
			for k, n := range w.reqCounts {
				w.counts[k] += n
			}
			i++
			continue
		}
		if fatal(err) {
			s.abort(err)
			return
		}
		if rerr := w.rollback(); rerr != nil {
			s.abort(rerr)
			return
		}
		w.reset()
		r.done <- err
		s.batch = append(s.batch[:i], s.batch[i+1:]...)
		if len(s.batch) == 0 {
			return
		}
		if err := w.begin(); err != nil {
			s.abort(err)
			return
		}
		i = 0
	}
}

// commit commits the open batch, answers its requests that need no fsync and hands the
// others to the syncer; it reports whether it handed any.
func (s *Store) commit() bool {
	defer s.busySince(time.Now())
	if err := s.w.flush(); err != nil {
		s.abort(err)
		return false
	}
	if err := s.w.commitTx(); err != nil {
		s.abort(err)
		return false
	}
	s.commits.Add(1)
	select {
	case s.ckptWake <- struct{}{}:
	default:
	}
	var job syncJob
	for _, r := range s.batch {
		if r.durable {
			job = append(job, r)
		} else {
			r.done <- nil
		}
	}
	clear(s.batch)
	s.batch = s.batch[:0]
	if len(job) == 0 {
		return false
	}
	s.syncq <- job
	return true
}

// busySince adds the time since start to the committer's busy time.
func (s *Store) busySince(start time.Time) { s.busy.Add(int64(time.Since(start))) }

// syncJob is the durable requests of one committed batch, waiting for fsync.
type syncJob []*request

// syncLoop is the syncer. It fsyncs the WAL for every committed batch (one fsync for all
// the batches waiting) and answers their callers. It ends when the committer has ended.
func (s *Store) syncLoop() {
	defer close(s.syncDone)
	for job := range s.syncq {
		jobs := []syncJob{job}
	drain:
		for {
			select {
			case j, ok := <-s.syncq:
				if !ok {
					break drain
				}
				jobs = append(jobs, j)
			default:
				break drain
			}
		}
		err := s.sync()
		for _, j := range jobs {
			for _, r := range j {
				r.done <- err
			}
		}
		s.synced.Add(int64(len(jobs)))
		select {
		case s.syncWake <- struct{}{}:
		default:
		}
	}
}

// syncWAL is the fsync of the WAL that makes commits durable: syncData, replaced by tests
// that record what a power loss at that moment would leave on disk.
var syncWAL = syncData

// sync makes every committed transaction durable. A failed fsync may have lost written
// data that the kernel will not report again, so the store stops accepting writes: it is
// safe only after a restart, which recovers from the WAL on disk.
func (s *Store) sync() error {
	if err := s.broken.Load(); err != nil {
		return *err
	}
	if err := syncWAL(s.wal); err != nil {
		err = fmt.Errorf("store I/O error: fsync of %s failed, restart Courier once the volume is healthy: %w", s.wal.Name(), err)
		s.broken.CompareAndSwap(nil, &err)
		s.log.Error("store stopped", "err", err)
		return err
	}
	s.syncs.Add(1)
	return nil
}

// abort rolls the open transaction back and fails every request of the batch with err.
func (s *Store) abort(err error) {
	err = s.failed(classify(err))
	_ = s.w.rollback()
	s.w.reset()
	for _, r := range s.batch {
		r.done <- err
	}
	clear(s.batch)
	s.batch = s.batch[:0]
}

// failed logs a failed transaction and returns err. While the disk is full every batch
// fails: it logs the first failure, then one line per interval with how many it did not log.
func (s *Store) failed(err error) error {
	if now := time.Now(); now.Sub(s.failLogged) >= failLogEvery {
		s.log.Error("store commit failed", "requests", len(s.batch), "err", err, "failures_not_logged", s.failQuiet)
		s.failLogged, s.failQuiet = now, 0
	} else {
		s.failQuiet++
	}
	return err
}

// failLogEvery is the least time between two logs of failed commits.
const failLogEvery = 10 * time.Second

// errPanic wraps a panic inside a request, which aborts its batch.
type errPanic struct{ v any }

func (e errPanic) Error() string { return fmt.Sprintf("store request panicked: %v", e.v) }

// fatal reports whether err ends the transaction as a whole rather than one request.
func fatal(err error) bool {
	var p errPanic
	if errors.As(err, &p) {
		return true
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOMEM,
		sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CANTOPEN,
		sqlite3.SQLITE_READONLY, sqlite3.SQLITE_INTERRUPT, sqlite3.SQLITE_PROTOCOL:
		return true
	}
	return false
}

// isUnique reports whether err is the violation of a UNIQUE constraint.
func isUnique(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// isBusy reports whether err is SQLITE_BUSY or SQLITE_LOCKED: another connection held a lock
// past the busy timeout.
func isBusy(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	c := se.Code() & 0xff
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}

// classify gives storage failures a message that says what happened and what to do.
func classify(err error) error {
	var se *sqlite.Error
	if err == nil || !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_FULL:
		return fmt.Errorf("%w: free space on the store's volume, commits resume by themselves: %w", store.ErrFull, err)
	case sqlite3.SQLITE_IOERR:
		return fmt.Errorf("store I/O error, check the store's volume: %w", err)
	case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
		return fmt.Errorf("store database is corrupt, restore it from a backup: %w", err)
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("store database is locked by another process: %w", err)
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN:
		return fmt.Errorf("store database cannot be written, check permissions: %w", err)
	}
	return err
}

// writer is the committer's connection, with its prepared statements and what the current
// transaction adds up. Only the committer goroutine uses it.
type writer struct {
	conn  *sql.Conn
	stmts map[string]*sql.Stmt
	// gate hands the database to the checkpointer between two transactions.
	gate *txnGate

	// IDs are handed out here; sequences holds the high-water marks, written by flush.
	nextMsg, nextEntry       int64
	flushedMsg, flushedEntry int64
	counts, reqCounts        map[countKey]int

	// activeLanes are the key lanes known to have an active entry in the open transaction,
	// because a receive of it queued one: a new entry of such a lane is not its head, and
	// needs no look-up to know it. Only receives and claims leave the set valid (they make
	// no entry inactive); every other write calls forgetLanes first, and a rollback forgets
	// it too.
	activeLanes map[laneKey]bool
}

// laneKey names one key lane: a destination's entries with one order key.
type laneKey struct{ channel, destination, key string }

// forgetLanes drops what the transaction knows of active lanes; see writer.activeLanes.
func (w *writer) forgetLanes() { clear(w.activeLanes) }

// countKey names one row of queue_counts.
type countKey struct{ channel, destination, state string }

// newWriter prepares the committer's state from the database: the next IDs are past both
// the high-water marks and the rows present.
func newWriter(ctx context.Context, conn *sql.Conn) (*writer, error) {
	w := &writer{conn: conn, stmts: map[string]*sql.Stmt{}, gate: newTxnGate(),
		counts: map[countKey]int{}, reqCounts: map[countKey]int{}, activeLanes: map[laneKey]bool{}}
	err := conn.QueryRowContext(ctx, `SELECT
			max((SELECT next FROM sequences WHERE name = 'messages'), coalesce((SELECT max(id) FROM messages), 0) + 1),
			max((SELECT next FROM sequences WHERE name = 'entries'), coalesce((SELECT max(id) FROM entries), 0) + 1)`).
		Scan(&w.nextMsg, &w.nextEntry)
	if err != nil {
		return nil, fmt.Errorf("read sequences: %w", err)
	}
	w.flushedMsg, w.flushedEntry = w.nextMsg, w.nextEntry
	return w, nil
}

// begin opens a write transaction. Another process may have written since the last one (the
// CLI on a live database): the next IDs move past its high-water marks, which it wrote in the
// same transactions as its rows.
func (w *writer) begin() error {
	w.gate.begin()
	if _, err := w.exec("BEGIN IMMEDIATE"); err != nil {
		w.gate.end()
		return err
	}
	w.forgetLanes()
	var nextMsg, nextEntry int64
	if err := w.queryRow(readSequencesSQL, nil, &nextMsg, &nextEntry); err != nil {
		w.rollback()
		return fmt.Errorf("read sequences: %w", err)
	}
	if nextMsg > w.nextMsg {
		w.nextMsg, w.flushedMsg = nextMsg, nextMsg
	}
	if nextEntry > w.nextEntry {
		w.nextEntry, w.flushedEntry = nextEntry, nextEntry
	}
	return nil
}

// commitTx commits the open transaction.
func (w *writer) commitTx() error {
	_, err := w.exec("COMMIT")
	if err == nil {
		w.gate.end()
	}
	return err
}

// rollback rolls the open transaction back. After some errors SQLite has already rolled
// back; a second rollback then fails harmlessly with "no transaction is active".
func (w *writer) rollback() error {
	_, err := w.exec("ROLLBACK")
	w.gate.end()
	return err
}

// txnGate hands the database over between the committer, which keeps a transaction open
// while it gathers a batch, and the checkpointer, whose RESTART and TRUNCATE checkpoints
// need the write lock. The checkpointer takes the gate: it waits until the committer's
// transaction ends, and the committer's next one begins when the checkpoint is over. Both
// wait on a condition variable, woken at once, where waiting on SQLite's lock would sleep in
// its busy handler (1, 2, 5, 10, 15, 20, 25 ms… between tries) on both sides.
type txnGate struct {
	mu   sync.Mutex
	cond *sync.Cond
	open bool // the committer has a transaction open
	want bool // the checkpointer waits for the gate, or holds it
}

func newTxnGate() *txnGate {
	g := &txnGate{}
	g.cond = sync.NewCond(&g.mu)
	return g
}

// begin waits until the checkpointer has not taken the gate, and marks a transaction open.
func (g *txnGate) begin() {
	g.mu.Lock()
	for g.want {
		g.cond.Wait()
	}
	g.open = true
	g.mu.Unlock()
}

// end marks the committer's transaction ended.
func (g *txnGate) end() {
	g.mu.Lock()
	g.open = false
	g.cond.Broadcast()
	g.mu.Unlock()
}

// take keeps the committer from beginning a transaction, and waits until it has none open.
func (g *txnGate) take() {
	g.mu.Lock()
	g.want = true
	for g.open {
		g.cond.Wait()
	}
	g.mu.Unlock()
}

// release lets the committer begin transactions again.
func (g *txnGate) release() {
	g.mu.Lock()
	g.want = false
	g.cond.Broadcast()
	g.mu.Unlock()
}

// messageID and entryID hand out the next IDs. IDs of a request that is rolled back are
// not used again: IDs are unique, not gapless.
func (w *writer) messageID() int64 { w.nextMsg++; return w.nextMsg - 1 }
func (w *writer) entryID() int64   { w.nextEntry++; return w.nextEntry - 1 }

// count records that n entries of a destination entered (n > 0) or left (n < 0) state.
func (w *writer) count(channel, destination string, state store.EntryState, n int) {
	w.reqCounts[countKey{channel, destination, string(state)}] += n
}

// move records one entry going from one state to another.
func (w *writer) move(channel, destination string, from, to store.EntryState) {
	if from != to {
		w.count(channel, destination, from, -1)
		w.count(channel, destination, to, 1)
	}
}

// reset forgets what a rolled-back transaction added up. The high-water marks are written
// again by the next commit, since the rollback may have undone their last write.
func (w *writer) reset() {
	clear(w.counts)
	w.forgetLanes()
	w.flushedMsg, w.flushedEntry = 0, 0
}

// The statements of every transaction: the high-water marks read at its start, and the
// queue counts and marks written at its end.
const (
	readSequencesSQL = `SELECT (SELECT next FROM sequences WHERE name = 'messages'),
		(SELECT next FROM sequences WHERE name = 'entries')`
	addCountSQL = `INSERT INTO queue_counts (channel, destination, state, n) VALUES (?, ?, ?, ?)
		ON CONFLICT (channel, destination, state) DO UPDATE SET n = n + excluded.n`
	setSequenceSQL = `UPDATE sequences SET next = ? WHERE name = ?`
)

// flush writes what the transaction added up: queue counts and ID high-water marks.
func (w *writer) flush() error {
	for k, n := range w.counts {
		if n == 0 {
			continue
		}
		if _, err := w.exec(addCountSQL, k.channel, k.destination, k.state, n); err != nil {
			return fmt.Errorf("update queue counts: %w", err)
		}
	}
	clear(w.counts)
	if w.nextMsg != w.flushedMsg {
		if _, err := w.exec(setSequenceSQL, w.nextMsg, "messages"); err != nil {
			return fmt.Errorf("update sequences: %w", err)
		}
		w.flushedMsg = w.nextMsg
	}
	if w.nextEntry != w.flushedEntry {
		if _, err := w.exec(setSequenceSQL, w.nextEntry, "entries"); err != nil {
			return fmt.Errorf("update sequences: %w", err)
		}
		w.flushedEntry = w.nextEntry
	}
	return nil
}

var bg = context.Background()

// run calls fn, turning a panic into an error that aborts the batch (fn may have left the
// transaction half done).
func (w *writer) run(fn func(*writer) error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = errPanic{v}
		}
	}()
	return fn(w)
}

// stmt returns the prepared statement for q, preparing it on first use.
func (w *writer) stmt(q string) (*sql.Stmt, error) {
	if st, ok := w.stmts[q]; ok {
		return st, nil
	}
	st, err := w.conn.PrepareContext(bg, q)
	if err != nil {
		return nil, err
	}
	w.stmts[q] = st
	return st, nil
}

func (w *writer) exec(q string, args ...any) (sql.Result, error) {
	st, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(bg, args...)
}

func (w *writer) query(q string, args ...any) (*sql.Rows, error) {
	st, err := w.stmt(q)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(bg, args...)
}

// queryRow scans one row into dest; it returns sql.ErrNoRows when there is none.
func (w *writer) queryRow(q string, args []any, dest ...any) error {
	st, err := w.stmt(q)
	if err != nil {
		return err
	}
	return st.QueryRowContext(bg, args...).Scan(dest...)
}

// affected runs q and returns the number of rows it changed.
func (w *writer) affected(q string, args ...any) (int64, error) {
	res, err := w.exec(q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (w *writer) close() error {
	for _, st := range w.stmts {
		st.Close()
	}
	return w.conn.Close()
}

// maxList is the most values one statement takes in an IN list or a VALUES list; longer
// lists are cut into pieces of at most this many.
const maxList = 64

// listSize is the length a list of n values is padded to (n <= maxList): the next power of
// two, so that a handful of prepared statements serve every length.
func listSize(n int) int {
	size := 1
	for size < n {
		size *= 2
	}
	return size
}

// placeholders returns "(?, ?, ?)" for n values.
func placeholders(n int) string {
	return "(" + strings.TrimSuffix(strings.Repeat("?, ", n), ", ") + ")"
}

// rowPlaceholders returns rows groups of cols placeholders, comma-separated, for a VALUES list.
func rowPlaceholders(rows, cols int) string {
	one := placeholders(cols)
	return strings.TrimSuffix(strings.Repeat(one+", ", rows), ", ")
}

// inChunks calls fn with pieces of ids of at most maxList, each padded to listSize by
// repeating its last ID (harmless in an IN list), as arguments, with the IN list's
// placeholders.
func inChunks(ids []int64, fn func(in string, args []any) error) error {
	for len(ids) > 0 {
		n := min(len(ids), maxList)
		size := listSize(n)
		args := make([]any, size)
		for i := range size {
			args[i] = ids[min(i, n-1)]
		}
		if err := fn(placeholders(size), args); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}
