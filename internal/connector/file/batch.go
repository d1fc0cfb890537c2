package file

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/connector"
)

// windowLayout names a group by the wall-clock minute its window opens.
const windowLayout = "20060102-1504"

// maxBatchSeq bounds the batches of one window. Numbers are written with four digits so that
// group names sort in time order, as the engine flushes due groups in name order.
const maxBatchSeq = 9999

// batchDestination gathers messages into batch files (connector.Batcher). The engine holds
// each claimed entry in the group Group names, asks Due when to deliver it, and calls Flush.
//
// A group is a window of the schedule, [fire time, next fire time), named by its opening fire
// time in the destination's zone: 20261127-0200. When max_messages flushes a group before its
// window ends, the window goes on in a new group with a number, 20261127-0200-0002, and so on.
// Which numbers are used up is known from two places: the folder (a group whose file exists
// has been written, so Group moves on to the next number) and, with a data directory, a small
// state file there that Flush updates before each file it writes. The folder alone is not
// enough: the system that takes the batches often moves them away, and after a restart the
// window's numbering would start again at the first batch's name and control ID (FHS-11),
// which receivers that check for duplicate files refuse. After a crash between writing a file
// and recording it, the held entries keep their group and are written to the same file
// again, while new entries start the next number.
type batchDestination struct {
	d        *destination // folder template, options, zone
	name     *template
	sched    *cronSchedule
	max      int
	envelope string
	env      hl7.Envelope // the configured FHS/BHS fields

	mu      sync.Mutex
	nextSeq map[string]int // window name → lowest batch number not known to be written
	// state is the file that keeps the batch numbers used, per window, across restarts and
	// reloads, in the data directory; empty without one (channel tests).
	state     string
	stateWarn sync.Once // an unreadable state file is reported once
}

// keptWindows bounds the windows the state file remembers: a flush retried after later
// windows were written (the engine goes on with other groups when one fails) still finds its
// window, and the file stays small.
const keptWindows = 32

// seqState is the content of the state file.
type seqState struct {
	// Windows maps a window name to the lowest batch number not yet used in it.
	Windows map[string]int `json:"windows"`
}

// stateLocks serialises the reads and writes of each state file within the process: across a
// reload, the old and the new instance of a destination work on the same file for a moment.
var stateLocks sync.Map // path → *sync.Mutex

// batchStatePath returns the state file of a channel's batch destination in dataDir: a folder
// per channel, a file per destination, names escaped so that no two give the same path
// ("." too: a name is never "." or "..", and "lab.out"/"x" is not "lab"/"out.x").
func batchStatePath(dataDir, channel, dest string) string {
	if dataDir == "" {
		return ""
	}
	esc := func(s string) string { return strings.ReplaceAll(url.PathEscape(s), ".", "%2E") }
	return filepath.Join(dataDir, "file-batches", esc(channel), esc(dest)+".json")
}

func (b *batchDestination) lockState() func() {
	mu, _ := stateLocks.LoadOrStore(b.state, new(sync.Mutex))
	mu.(*sync.Mutex).Lock()
	return mu.(*sync.Mutex).Unlock
}

// readState reads the state file; a missing one is empty. The caller holds the lock.
func (b *batchDestination) readState() (map[string]int, error) {
	data, err := os.ReadFile(b.state)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string]int{}, nil
	}
	if err != nil {
		return nil, err
	}
	var st seqState
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("%s: %w", b.state, err)
	}
	if st.Windows == nil {
		st.Windows = map[string]int{}
	}
	return st.Windows, nil
}

// usedBelow returns the lowest batch number of window that the state file does not record as
// used (1 when none is), reading the file each time: another instance of this destination
// may have written to it since. An unreadable file is reported once, and the folder alone
// then tells which numbers are used.
func (b *batchDestination) usedBelow(window string) int {
	if b.state == "" {
		return 1
	}
	defer b.lockState()()
	w, err := b.readState()
	if err != nil {
		b.stateWarn.Do(func() {
			b.d.log.Warn("batch numbering of earlier runs unreadable; numbering from the files in the folder until the next batch is written", "err", err)
		})
		return 1
	}
	return max(w[window], 1)
}

// reserve records, before a batch file is written, that the numbers of window below next are
// used: if the record cannot be made, nothing is written, so that the retried flush does not
// deliver a file whose number a restart could give again. Windows already recorded are kept
// (a retried flush of an older window does not erase a newer one), up to keptWindows.
func (b *batchDestination) reserve(window string, next int) error {
	if b.state == "" {
		return nil
	}
	defer b.lockState()()
	w, err := b.readState()
	if err != nil {
		w = map[string]int{} // damaged: replaced by what this instance knows
	}
	if w[window] >= next {
		return nil
	}
	w[window] = next
	if len(w) > keptWindows {
		names := make([]string, 0, len(w))
		for k := range w {
			names = append(names, k)
		}
		slices.Sort(names) // window names sort in time order
		for _, k := range names[:len(names)-keptWindows] {
			delete(w, k)
		}
	}
	data, err := json.Marshal(seqState{Windows: w})
	if err != nil {
		return err
	}
	opts := writeOpts{fileMode: 0o640, dirMode: 0o750}
	_, err = writeAtomic(filepath.Dir(b.state), filepath.Base(b.state), func(wr io.Writer) error {
		_, err := wr.Write(data)
		return err
	}, opts, existsOverwrite)
	return err
}

var _ connector.Batcher = (*batchDestination)(nil)

// Send is not used: the engine delivers a Batcher's messages with Flush. It fails, so that a
// caller that does not know about batches cannot bypass the batch file.
func (b *batchDestination) Send(context.Context, *connector.Outbound) (connector.Response, error) {
	return connector.Response{}, errors.New("file destination in batch mode: messages are gathered and written by Flush, not sent one by one")
}

// Close implements connector.Destination.
func (b *batchDestination) Close(context.Context) error { return nil }

// Group names the batch that an entry held at now joins: the schedule window that contains
// now, with the first batch number whose file does not exist yet.
func (b *batchDestination) Group(now time.Time) string {
	start := b.sched.prev(now)
	if start.IsZero() {
		start = now.In(b.d.loc).Truncate(time.Minute) // parseCron accepts only schedules that fire
	}
	base := start.In(b.d.loc).Format(windowLayout)
	b.mu.Lock()
	defer b.mu.Unlock()
	seq := max(b.nextSeq[base], b.usedBelow(base))
	for ; seq < maxBatchSeq; seq++ {
		// Only a file known to exist uses the number up; on any other answer the flush will
		// tell what is wrong with the folder.
		if _, err := os.Lstat(b.filePath(start, seq, groupName(base, seq))); err != nil {
			break
		}
	}
	for k := range b.nextSeq {
		if k != base {
			delete(b.nextSeq, k)
		}
	}
	b.nextSeq[base] = seq
	return groupName(base, seq)
}

// MaxMessages implements connector.BatchLimit: a group holds at most max_messages.
func (b *batchDestination) MaxMessages() int { return b.max }

// Due reports that a group must be written once it holds max_messages, or once its window
// has closed (the next fire time after its opening has come); otherwise it returns that time.
func (b *batchDestination) Due(group string, held int, now time.Time) (bool, time.Time) {
	if b.max > 0 && held >= b.max {
		return true, time.Time{}
	}
	start, _, ok := b.parseGroup(group)
	if !ok {
		return true, time.Time{} // not a name this destination gives: deliver rather than hold forever
	}
	fire := b.sched.next(start)
	if fire.IsZero() || !now.Before(fire) {
		return true, time.Time{}
	}
	return false, fire
}

// Flush writes a group's messages into its batch file, atomically. The same group always
// goes to the same file with the same content: its name comes from the group, and FHS-7 from
// the messages (the latest received time), so a flush retried after a crash rewrites the file
// unchanged.
func (b *batchDestination) Flush(ctx context.Context, group string, msgs []*connector.Outbound) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	var stamp time.Time
	for _, out := range msgs {
		if out.Received.After(stamp) {
			stamp = out.Received
		}
	}
	start, seq, ok := b.parseGroup(group)
	if !ok {
		start, seq = stamp, 1
	}
	if stamp.IsZero() {
		stamp = start
	}
	full := b.filePath(start, seq, group)
	base := start.In(b.d.loc).Format(windowLayout)
	kind, err := batchKind(msgs)
	if err != nil {
		return fmt.Errorf("file destination: batch %s: %w", group, err)
	}
	var write func(io.Writer) error
	if kind == bodyJSON {
		write, err = ndjson(msgs)
	} else {
		write, err = b.hl7Batch(msgs, full, stamp, group)
	}
	if err != nil {
		return fmt.Errorf("file destination: batch %s: %w", group, err)
	}
	if ok {
		if err := b.reserve(base, seq+1); err != nil {
			return fmt.Errorf("file destination: batch %s: nothing written: the batch numbering could not be recorded in %s (check that the data directory is writable; the batch is tried again): %w", group, b.state, err)
		}
	}
	if _, err := writeAtomic(filepath.Dir(full), filepath.Base(full), write, b.d.opts, existsOverwrite); err != nil {
		return fmt.Errorf("file destination: batch %s: %w", group, err)
	}
	if ok {
		b.mu.Lock()
		if b.nextSeq[base] <= seq {
			b.nextSeq[base] = seq + 1
		}
		b.mu.Unlock()
	}
	b.d.log.Info("batch written", "group", group, "file", full, "messages", len(msgs))
	return nil
}

// Kinds of bodies a batch file can gather.
const (
	bodyHL7  = iota // HL7 v2 (ER7): an FHS/BHS batch file
	bodyJSON        // JSON (an `encode: json` or `fhir` step): one document per line (NDJSON)
)

// batchKind tells what a group's bodies are. One file holds one kind: HL7 v2 messages in an
// FHS/BHS envelope, or JSON documents one per line (NDJSON, the format of FHIR Bulk Data
// files). XML documents have no batch form that receivers agree on, so they are refused.
func batchKind(msgs []*connector.Outbound) (int, error) {
	kind, first := -1, int64(0)
	for _, out := range msgs {
		k := bodyHL7
		switch ct := out.ContentType; {
		case ct == "":
		case ct == "application/json" || strings.HasSuffix(ct, "+json"):
			k = bodyJSON
		default:
			return 0, fmt.Errorf("message %d is %s, which cannot be gathered into a batch file: "+
				"write such messages one per file (no `batch`), or encode them as JSON (written one per line)", out.MessageID, ct)
		}
		switch {
		case kind < 0:
			kind, first = k, out.MessageID
		case k != kind:
			return 0, fmt.Errorf("message %d is %s but message %d is %s: one batch file holds one kind; "+
				"give each kind its own destination", out.MessageID, kindName(k), first, kindName(kind))
		}
	}
	return max(kind, bodyHL7), nil
}

func kindName(k int) string {
	if k == bodyJSON {
		return "JSON"
	}
	return "HL7 v2"
}

// ndjson returns the writer of a JSON batch: each document compacted onto one line, ended by
// LF. Every document is checked first, so that one that is not JSON fails the flush before
// anything is written.
func ndjson(msgs []*connector.Outbound) (func(io.Writer) error, error) {
	var buf bytes.Buffer
	for _, out := range msgs {
		if err := json.Compact(&buf, out.Content); err != nil {
			return nil, fmt.Errorf("message %d cannot be written into a batch file: its content is labelled %s but is not JSON: %w", out.MessageID, out.ContentType, err)
		}
		buf.WriteByte('\n')
	}
	return func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	}, nil
}

// hl7Batch returns the writer of an HL7 v2 batch file. Every message is parsed first, so
// that one that cannot go into a batch file fails the flush before anything is written.
func (b *batchDestination) hl7Batch(msgs []*connector.Outbound, full string, stamp time.Time, group string) (func(io.Writer) error, error) {
	ms := make([]*hl7.Message, len(msgs))
	for i, out := range msgs {
		m, err := hl7.Parse(toCR(out.Content))
		if err != nil {
			return nil, fmt.Errorf("message %d cannot be written into a batch file: %w", out.MessageID, err)
		}
		ms[i] = m
	}
	env := b.env
	env.Time = stamp.In(b.d.loc)
	env.ControlID = group
	return func(w io.Writer) error {
		hw := hl7.NewWriter(terminated(w, b.d.term))
		if b.envelope == envelopeFile {
			fe := env
			fe.Name = filepath.Base(full)
			fhs, err := fe.FHS()
			if err != nil {
				return err
			}
			if err := hw.BeginFile(fhs); err != nil {
				return err
			}
		}
		if b.envelope != envelopeNone {
			bhs, err := env.BHS()
			if err != nil {
				return err
			}
			if err := hw.BeginBatch(bhs); err != nil {
				return err
			}
		}
		for _, m := range ms {
			if err := hw.Write(m); err != nil {
				return err
			}
		}
		return hw.Close()
	}, nil
}

// filePath returns the file of batch seq of the window opened at start.
func (b *batchDestination) filePath(start time.Time, seq int, group string) string {
	v := tmplValues{date: start.In(b.d.loc), seq: int64(seq), group: group}
	return filepath.Join(b.d.folder(v), filepath.FromSlash(b.name.expand(v)))
}

// groupName returns the name of batch seq of a window.
func groupName(window string, seq int) string {
	if seq <= 1 {
		return window
	}
	return fmt.Sprintf("%s-%04d", window, seq)
}

// parseGroup reads a group name back: the instant its window opened and its number.
func (b *batchDestination) parseGroup(g string) (time.Time, int, bool) {
	if len(g) < len(windowLayout) {
		return time.Time{}, 0, false
	}
	w, err := time.Parse(windowLayout, g[:len(windowLayout)])
	if err != nil {
		return time.Time{}, 0, false
	}
	seq := 1
	if rest := g[len(windowLayout):]; rest != "" {
		if rest[0] != '-' {
			return time.Time{}, 0, false
		}
		n, err := strconv.Atoi(rest[1:])
		if err != nil || n < 2 || groupName(g[:len(windowLayout)], n) != g {
			return time.Time{}, 0, false
		}
		seq = n
	}
	// The same mapping from wall clock to instant as the schedule's, so that the name of a
	// window opened at a repeated or skipped time reads back as that window.
	return wallTime(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), b.d.loc), seq, true
}
