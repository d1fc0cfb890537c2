package engine

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/courier-hl7/courier/hl7"
	"github.com/courier-hl7/courier/internal/connector"
	"github.com/courier-hl7/courier/internal/store"
)

// ChannelConfig is one channel: a source, optional validation, the channel's steps, and its
// destinations, each with its own steps and its own ordered queue.
type ChannelConfig struct {
	Name   string
	Source connector.Source // nil: the channel receives only from other channels
	// Parser reads inbound messages (default character set, terminators, size limit).
	Parser    hl7.Parser
	Validator Validator // nil: no validation
	Processor Processor // nil: every message goes on unchanged
	AckMode   AckMode
	// AckTimeout bounds how long an after-delivery channel waits for its first destination
	// (default 30s).
	AckTimeout time.Duration
	// DedupeWindow is how long a control ID (with MSH-3 and MSH-4) is remembered to recognise
	// resends; zero disables duplicate detection.
	DedupeWindow time.Duration
	Destinations []DestinationConfig
	// Version is any text that changes when the channel's configuration changes: a reload
	// restarts only channels whose Version changed.
	Version string
}

// DestinationConfig is one destination of a channel.
type DestinationConfig struct {
	Name      string
	Dest      connector.Destination
	Processor Processor // nil: the channel's output is sent as it is
	Retry     RetryPolicy
	// OrderBy, when set, keeps order per value of this path (PID-3) instead of one strict
	// queue: messages of different patients are delivered in parallel.
	OrderBy *hl7.Path
	// Parallel is how many keys are delivered at once with OrderBy (default 8).
	Parallel int
	// SendTimeout bounds one attempt (default 30s).
	SendTimeout time.Duration
	// Batch is how many entries a strict queue claims at once (default 32).
	Batch int
}

// channel is a running channel.
type channel struct {
	e     *Engine
	cfg   ChannelConfig
	log   *slog.Logger
	dests []*destination

	mu       sync.Mutex
	state    ChannelState
	errText  string
	sourceUp bool
	cancel   context.CancelFunc
	workers  sync.WaitGroup
	// storing counts the commits of messages acknowledged immediately that are still under
	// way: a stop waits for them, so that an orderly shutdown loses none of them.
	storing pendingCommits

	// failMu guards when a message the store refused was last logged, and how many were not
	// since (see notStored).
	failMu     sync.Mutex
	failLogged time.Time
	failQuiet  int

	waitMu  sync.Mutex
	waiters map[waitKey]chan connector.Response // after-delivery
}

type waitKey struct {
	msg  int64
	dest string
}

// ChannelState is what a channel is doing.
type ChannelState string

const (
	StateStopped  ChannelState = "stopped"
	StateStarting ChannelState = "starting"
	StateRunning  ChannelState = "running"
	StatePaused   ChannelState = "paused" // source stopped, destinations delivering
	StateFailed   ChannelState = "failed" // could not start; see the error
)

var _ connector.Receiver = (*channel)(nil)

// prepared is an inbound message made ready to store.
type prepared struct {
	msgs     []*store.NewMessage
	ack      *hl7.Message // acknowledgement to send when stored; nil for none
	parsed   *hl7.Message
	negative bool // the acknowledgement is AE/AR/CE/CR
	reason   string
}

// Receive implements connector.Receiver: it runs one message through the pipeline, stores it
// and returns the acknowledgement to send.
func (c *channel) Receive(ctx context.Context, in *connector.Inbound) (connector.Reply, error) {
	start := time.Now()
	c.e.metrics.Received.WithLabelValues(c.cfg.Name).Inc()
	p := c.prepare(ctx, in)
	if c.cfg.AckMode == AckImmediate && !in.Durable {
		// Documented as unsafe: the acknowledgement leaves before the commit. A crash or a
		// full disk loses the message; a stop waits for the commit (waitStoring).
		c.storing.add()
		go func() {
			defer c.storing.done()
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if _, err := c.commit(cctx, p, nil); err != nil {
				c.log.Error("message acknowledged immediately could not be stored", "control_id", controlID(p), "err", err)
			}
		}()
		return c.reply(p, connector.Reply{Stored: false}, start), nil
	}
	receipts, err := c.commit(ctx, p, nil)
	if err != nil {
		return c.notStored(p, err, start)
	}
	r := receipts[0]
	if r.Duplicate {
		c.e.metrics.Duplicates.WithLabelValues(c.cfg.Name).Inc()
		c.log.Info("duplicate message; original acknowledgement replayed", "control_id", controlID(p), "original", r.ID)
		rep := connector.Reply{Stored: true, Duplicate: true, MessageID: r.ID, Ack: r.Ack}
		if rep.Ack == nil && p.ack != nil {
			// Retention removed the original's content, its acknowledgement with it. The
			// message is stored all the same: answer the resend as the pipeline answers it
			// now, or the sender waits for an answer and sends it again for as long as the
			// window lasts.
			rep.Ack = p.ack.Bytes()
		}
		if c.cfg.AckMode == AckNone || p.ack == nil {
			rep.Ack = nil
		}
		c.countAck(rep.Ack)
		return rep, nil
	}
	rep := connector.Reply{Stored: true, MessageID: r.ID}
	if c.cfg.AckMode == AckAfterDelivery && !p.negative && len(p.msgs[0].Entries) > 0 {
		return c.awaitDelivery(ctx, p, rep, start), nil
	}
	return c.reply(p, rep, start), nil
}

// ReceiveFile implements connector.Receiver: every message of a file in one commit, with the
// file's mark.
func (c *channel) ReceiveFile(ctx context.Context, file, key string, ins []*connector.Inbound) ([]connector.Reply, error) {
	start := time.Now()
	ps := make([]*prepared, len(ins))
	var all []*store.NewMessage
	for i, in := range ins {
		c.e.metrics.Received.WithLabelValues(c.cfg.Name).Inc()
		ps[i] = c.prepare(ctx, in)
		all = append(all, ps[i].msgs...)
	}
	req := &store.ReceiveRequest{Messages: all, DedupeWindow: c.cfg.DedupeWindow, File: &store.FileMark{Channel: c.cfg.Name, Key: key}}
	receipts, err := c.e.store.Receive(ctx, req)
	if err != nil {
		c.e.metrics.StoreFail.WithLabelValues(c.cfg.Name).Add(float64(len(ins)))
		return nil, fmt.Errorf("%w: %s: %w", connector.ErrNotStored, file, err)
	}
	c.wakeAll()
	reps := make([]connector.Reply, len(ins))
	k := 0
	for i, p := range ps {
		r := receipts[k]
		k += len(p.msgs)
		reps[i] = connector.Reply{Stored: true, Duplicate: r.Duplicate, MessageID: r.ID}
		if r.Duplicate {
			c.e.metrics.Duplicates.WithLabelValues(c.cfg.Name).Inc()
		}
		c.e.metrics.ReceiveDur.WithLabelValues(c.cfg.Name).Observe(time.Since(start).Seconds())
	}
	return reps, nil
}

// FileSeen implements connector.Receiver.
func (c *channel) FileSeen(ctx context.Context, key string) (bool, error) {
	return c.e.store.FileSeen(ctx, c.cfg.Name, key)
}

// commit stores a prepared message and wakes the destinations.
func (c *channel) commit(ctx context.Context, p *prepared, file *store.FileMark) ([]store.Receipt, error) {
	receipts, err := c.e.store.Receive(ctx, &store.ReceiveRequest{Messages: p.msgs, File: file, DedupeWindow: c.cfg.DedupeWindow})
	if err != nil {
		return nil, err
	}
	if len(receipts) > 0 && receipts[0].SameContentAs != 0 {
		c.e.metrics.SameBody.WithLabelValues(c.cfg.Name).Inc()
		c.log.Warn("same content as a recent message under another control ID; delivered and flagged",
			"control_id", controlID(p), "same_as", receipts[0].SameContentAs)
	}
	c.wakeAll()
	return receipts, nil
}

// notStored answers a message the store refused: never positively.
// notStoredLogEvery is the least time between two logs of messages the store refused.
const notStoredLogEvery = 10 * time.Second

func (c *channel) notStored(p *prepared, err error, start time.Time) (connector.Reply, error) {
	c.e.metrics.StoreFail.WithLabelValues(c.cfg.Name).Inc()
	// While the store refuses (a full disk), every message fails alike: the first is logged,
	// then one line per notStoredLogEvery with how many were not (the metric counts all).
	c.failMu.Lock()
	now := time.Now()
	logIt, quiet := now.Sub(c.failLogged) >= notStoredLogEvery, c.failQuiet
	if logIt {
		c.failLogged, c.failQuiet = now, 0
	} else {
		c.failQuiet++
	}
	c.failMu.Unlock()
	if logIt {
		c.log.Error("message not stored; answered negatively", "control_id", controlID(p), "err", err, "not_logged_since_last", quiet)
	}
	rep := connector.Reply{}
	if c.cfg.AckMode != AckNone && p.parsed != nil && !p.parsed.IsACK() {
		code := hl7.AckAR
		if p.parsed.AckMode() == hl7.EnhancedMode {
			code = hl7.AckCR
		}
		if a, aerr := p.parsed.ACK(hl7.AckOptions{Code: code, Text: "message not stored, send it again later",
			Errors: []hl7.AckError{{Code: hl7.ErrCodeInternal, Text: "Courier could not store the message; it was not accepted"}}}); aerr == nil {
			rep.Ack = a.Bytes()
		}
	}
	c.countAck(rep.Ack)
	c.e.metrics.ReceiveDur.WithLabelValues(c.cfg.Name).Observe(time.Since(start).Seconds())
	return rep, fmt.Errorf("%w: %w", connector.ErrNotStored, err)
}

// reply finishes a stored message's answer.
func (c *channel) reply(p *prepared, rep connector.Reply, start time.Time) connector.Reply {
	if c.cfg.AckMode != AckNone && p.ack != nil {
		rep.Ack = p.ack.Bytes()
	}
	c.countAck(rep.Ack)
	c.e.metrics.ReceiveDur.WithLabelValues(c.cfg.Name).Observe(time.Since(start).Seconds())
	return rep
}

// awaitDelivery waits for the first destination's answer and returns it to the sender.
func (c *channel) awaitDelivery(ctx context.Context, p *prepared, rep connector.Reply, start time.Time) connector.Reply {
	first := ""
	for _, e := range p.msgs[0].Entries {
		if e.State == store.EntryPending {
			first = e.Destination
			break
		}
	}
	if first == "" {
		return c.reply(p, rep, start)
	}
	key := waitKey{msg: rep.MessageID, dest: first}
	ch := c.waiter(key)
	defer c.dropWaiter(key)
	timeout := c.cfg.AckTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	var text string
	select {
	case resp := <-ch:
		if resp.OK && len(resp.Raw) > 0 {
			if a, err := hl7.Parse(resp.Raw); err == nil && a.IsACK() {
				// The downstream acknowledgement, answering our sender's control ID.
				if err := a.Set("MSA-2", p.parsed.ControlID()); err == nil {
					rep.Ack = a.Bytes()
					c.countAck(rep.Ack)
					c.e.metrics.ReceiveDur.WithLabelValues(c.cfg.Name).Observe(time.Since(start).Seconds())
					return rep
				}
			}
		}
		if resp.OK {
			return c.reply(p, rep, start)
		}
		text = "destination " + first + " refused the message"
		if resp.Text != "" {
			text += ": " + resp.Text
		}
	case <-t.C:
		text = "no answer from destination " + first + " within " + timeout.String() + "; the message is stored and will be delivered"
	case <-ctx.Done():
		text = "shutting down; the message is stored and will be delivered"
	}
	code := hl7.AckAE
	if a, err := p.parsed.ACK(hl7.AckOptions{Code: code, Text: clip(text, 80), Errors: []hl7.AckError{{Code: hl7.ErrCodeInternal, Text: text}}}); err == nil {
		rep.Ack = a.Bytes()
	}
	c.countAck(rep.Ack)
	c.e.metrics.ReceiveDur.WithLabelValues(c.cfg.Name).Observe(time.Since(start).Seconds())
	return rep
}

func (c *channel) waiter(k waitKey) chan connector.Response {
	c.waitMu.Lock()
	defer c.waitMu.Unlock()
	if c.waiters == nil {
		c.waiters = map[waitKey]chan connector.Response{}
	}
	ch := make(chan connector.Response, 1)
	c.waiters[k] = ch
	return ch
}

func (c *channel) dropWaiter(k waitKey) {
	c.waitMu.Lock()
	delete(c.waiters, k)
	c.waitMu.Unlock()
}

// delivered tells a waiting after-delivery sender what its first destination answered.
func (c *channel) delivered(msgID int64, dest string, resp connector.Response) {
	if c.cfg.AckMode != AckAfterDelivery {
		return
	}
	c.waitMu.Lock()
	ch := c.waiters[waitKey{msgID, dest}]
	c.waitMu.Unlock()
	if ch != nil {
		select {
		case ch <- resp:
		default:
		}
	}
}

func (c *channel) countAck(ack []byte) {
	if ack == nil {
		return
	}
	c.e.metrics.Acks.WithLabelValues(c.cfg.Name, ackCodeOf(ack)).Inc()
}

// ackCodeOf returns MSA-1 of an acknowledgement Courier built: the two letters after the
// first "MSA" and its field separator. It saves parsing the acknowledgement again per message.
func ackCodeOf(ack []byte) string {
	i := bytes.Index(ack, []byte("\rMSA"))
	if i < 0 || i+7 > len(ack) {
		if a, err := hl7.Parse(ack); err == nil {
			return a.Get("MSA-1")
		}
		return "?"
	}
	switch code := string(ack[i+5 : i+7]); code {
	case hl7.AckAA, hl7.AckAE, hl7.AckAR, hl7.AckCA, hl7.AckCE, hl7.AckCR:
		return code
	}
	return "?"
}

// prepare parses, validates and processes an inbound message and builds what to store and
// the acknowledgement. Every inbound message yields at least one message to store, even one
// that does not parse.
func (c *channel) prepare(ctx context.Context, in *connector.Inbound) *prepared {
	received := in.ReceivedAt
	if received.IsZero() {
		received = time.Now()
	}
	base := store.NewMessage{Channel: c.cfg.Name, ReceivedAt: received, Remote: in.Remote, File: in.File, Raw: in.Raw, Reprocessed: in.Reprocess}
	p := &prepared{}
	m, err := c.cfg.Parser.Parse(in.Raw)
	if err != nil {
		// Stored with its error, answered AR (CR in enhanced mode) with an ERR saying where.
		nm := base
		nm.Status, nm.Error = store.StatusError, err.Error()
		p.negative, p.reason = true, "parse"
		opts := hl7.AckOptions{Code: hl7.AckAR, Text: "message could not be parsed", Errors: []hl7.AckError{{Code: hl7.ErrCodeInternal, Text: err.Error()}}}
		var pe *hl7.ParseError
		if errors.As(err, &pe) {
			opts.Errors[0].Code, opts.Errors[0].Location = pe.Code(), pe.Location()
		}
		if h, herr := hl7.Parse(headerOf(in.Raw)); herr == nil {
			nm.Meta = metaOf(h)
			if h.AckMode() == hl7.EnhancedMode {
				opts.Code = hl7.AckCR
			}
		}
		p.ack = hl7.RejectRaw(in.Raw, opts)
		nm.Ack = p.ack.Bytes()
		p.msgs = []*store.NewMessage{&nm}
		c.e.metrics.Rejected.WithLabelValues(c.cfg.Name, "parse").Inc()
		c.log.Warn("message could not be parsed; stored with status ERROR and answered "+opts.Code, "remote", in.Remote, "file", in.File, "where", parseWhere(err))
		return p
	}
	p.parsed = m
	nm := base
	nm.Meta = metaOf(m)
	if id := m.ControlID(); id != "" && c.cfg.DedupeWindow > 0 && in.Reprocess == 0 {
		nm.DedupeKey = c.cfg.Name + "\x1f" + string(m.SendingApplication().Raw()) + "\x1f" + string(m.SendingFacility().Raw()) + "\x1f" + id
	}
	if c.cfg.DedupeWindow > 0 {
		nm.ContentSum = contentSum(m)
	}
	enhanced := m.AckMode() == hl7.EnhancedMode
	positive, negative := hl7.AckAA, hl7.AckAE
	if enhanced {
		positive, negative = hl7.AckCA, hl7.AckCE
	}
	fail := func(reason, text string, errs []hl7.AckError) *prepared {
		nm.Status, nm.Error = store.StatusError, text
		if nm.DedupeKey != "" {
			// A rejected message is the original only of resends with the same content: an
			// unchanged resend gets its negative acknowledgement again, a corrected one sent
			// under the same control ID is processed.
			nm.DedupeKey += "\x1frejected " + hex.EncodeToString(nm.ContentSum[:8])
		}
		p.negative, p.reason = true, reason
		p.ack = c.ack(m, hl7.AckOptions{Code: negative, Text: clip(text, 80), Errors: errs})
		if p.ack != nil {
			nm.Ack = p.ack.Bytes()
		}
		p.msgs = []*store.NewMessage{&nm}
		c.e.metrics.Rejected.WithLabelValues(c.cfg.Name, reason).Inc()
		attrs := []any{"reason", reason, "control_id", m.ControlID(), "type", m.Type() + "^" + m.Trigger(), "problems", len(errs)}
		if len(errs) > 0 {
			// The location and code, not the text: a text may quote the value (patient data).
			attrs = append(attrs, "first_at", errs[0].Location.String(), "first_code", errs[0].Code)
		}
		c.log.Warn("message rejected; stored with status ERROR", attrs...)
		return p
	}
	if c.cfg.Validator != nil {
		var errs []hl7.AckError
		for _, pr := range c.cfg.Validator.Validate(m) {
			if pr.Severity == "" || pr.Severity == "E" || pr.Severity == "F" {
				errs = append(errs, pr)
			}
		}
		if len(errs) > 0 {
			return fail("validation", fmt.Sprintf("%d validation error(s): %s", len(errs), errs[0].Text), errs)
		}
	}
	res := Pass(m)
	if c.cfg.Processor != nil {
		res, err = c.cfg.Processor.Process(ctx, m.Clone())
		if err != nil {
			return fail("transform", "channel steps failed: "+err.Error(), []hl7.AckError{{Code: hl7.ErrCodeInternal, Text: "channel steps failed: " + err.Error()}})
		}
	}
	p.ack = c.ack(m, hl7.AckOptions{Code: positive})
	if p.ack != nil {
		nm.Ack = p.ack.Bytes()
	}
	if res.Filtered || len(res.Outputs) == 0 {
		nm.Status, nm.Error = store.StatusFiltered, res.Reason
		p.msgs = []*store.NewMessage{&nm}
		c.e.metrics.Filtered.WithLabelValues(c.cfg.Name).Inc()
		return p
	}
	for i, out := range res.Outputs {
		msg := nm
		if i > 0 {
			// Every part of a split takes part in duplicate detection under a key of its own,
			// so that a resend of the whole is a duplicate part by part (the first part keeps
			// the message's key and acknowledgement, which Receive replays). Each part's
			// content is compared by itself: parts of one message are not resends of each
			// other, and a part resent under a new control ID is still flagged.
			msg.Ack = nil
			if msg.DedupeKey != "" {
				msg.DedupeKey += "\x1fpart " + strconv.Itoa(i+1)
			}
		}
		if len(res.Outputs) > 1 && c.cfg.DedupeWindow > 0 && out.Message != nil {
			msg.ContentSum = contentSum(out.Message)
		}
		if out.Message != nil && out.Message.Modified() {
			msg.Processed = out.Message.Bytes()
			msg.Meta = metaOf(out.Message)
			// A split part (SPLIT1-1) stays findable by the ID the sender knows (SPLIT1).
			msg.ReceivedControlID = nm.Meta.ControlID
		}
		msg.Entries = c.entries(out)
		msg.Status = store.StatusQueued
		if len(msg.Entries) == 0 {
			msg.Status = store.StatusReceived
		}
		p.msgs = append(p.msgs, &msg)
	}
	// What the store gets of the outputs is copied (Bytes of an edited message, metadata and
	// order keys as strings): their edits' memory goes back to the pool for the next messages
	// (hl7.Message.Release). The received message is not the steps' to give back.
	for _, out := range res.Outputs {
		if out.Message != nil && out.Message != m {
			out.Message.Release()
		}
	}
	return p
}

// entries builds the queue entries of one output: one per destination, FILTERED for those a
// route step left out.
func (c *channel) entries(out Output) []store.NewEntry {
	es := make([]store.NewEntry, 0, len(c.dests))
	for _, d := range c.dests {
		e := store.NewEntry{Destination: d.cfg.Name, State: store.EntryPending}
		if out.Destinations != nil && !contains(out.Destinations, d.cfg.Name) {
			e.State = store.EntryFiltered
		}
		if d.cfg.OrderBy != nil && out.Message != nil {
			e.OrderKey = out.Message.ValueAt(*d.cfg.OrderBy).String()
		}
		es = append(es, e)
	}
	return es
}

// ack builds an acknowledgement honouring MSH-15 in enhanced mode (NE: never; ER: only
// errors; SU: only success). It returns nil when none is to be sent.
func (c *channel) ack(m *hl7.Message, opts hl7.AckOptions) *hl7.Message {
	if m.IsACK() {
		return nil // never acknowledge an acknowledgement
	}
	if m.AckMode() == hl7.EnhancedMode {
		positive := opts.Code == hl7.AckCA
		switch strings.ToUpper(m.AcceptAckType()) {
		case "NE":
			return nil
		case "ER":
			if positive {
				return nil
			}
		case "SU":
			if !positive {
				return nil
			}
		}
	}
	a, err := m.ACK(opts)
	if err != nil {
		c.log.Error("build acknowledgement", "err", err)
		return nil
	}
	return a
}

// waitStoring waits, until ctx ends, for the commits of messages acknowledged immediately.
func (c *channel) waitStoring(ctx context.Context) error {
	if err := c.storing.wait(ctx); err != nil {
		return fmt.Errorf("channel %s: messages acknowledged immediately still being stored at the shutdown deadline: %w", c.cfg.Name, err)
	}
	return nil
}

// pendingCommits counts commits under way. Unlike a sync.WaitGroup, it may be added to while
// another goroutine waits (a channel destination hands a message over during a stop).
type pendingCommits struct {
	mu   sync.Mutex
	n    int
	idle chan struct{} // closed when n drops to 0
}

func (p *pendingCommits) add() {
	p.mu.Lock()
	if p.n == 0 {
		p.idle = make(chan struct{})
	}
	p.n++
	p.mu.Unlock()
}

func (p *pendingCommits) done() {
	p.mu.Lock()
	p.n--
	if p.n == 0 {
		close(p.idle)
	}
	p.mu.Unlock()
}

// wait returns once no commit is under way, or with ctx's error.
func (p *pendingCommits) wait(ctx context.Context) error {
	p.mu.Lock()
	if p.n == 0 {
		p.mu.Unlock()
		return nil
	}
	idle := p.idle
	p.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *channel) wakeAll() {
	for _, d := range c.dests {
		d.wakeUp()
	}
}

// metaOf reads the header facts kept for search.
func metaOf(m *hl7.Message) store.Meta {
	return store.Meta{
		Type:            m.Type(),
		Trigger:         m.Trigger(),
		Structure:       m.Structure(),
		ControlID:       m.ControlID(),
		Version:         m.Version(),
		SendingApp:      m.SendingApplication().Comp(1).String(),
		SendingFacility: m.SendingFacility().Comp(1).String(),
		PatientID:       m.Get("PID-3[1].1"),
	}
}

// contentSum digests what a resend under a new control ID has in common with the original:
// every segment as it is, except that MSH-7 (the time of the message) and MSH-10 (its
// control ID) are left out. The store flags a message whose sum it has seen in the channel's
// duplicate window (store.Receipt.SameContentAs).
func contentSum(m *hl7.Message) [sha256.Size]byte {
	h := sha256.New()
	for i, seg := range m.Segments() {
		if i == 0 && seg.Name() == "MSH" {
			for n, f := range seg.Fields() {
				if n != 7 && n != 10 {
					h.Write(f.Raw())
				}
				h.Write([]byte{0x1f})
			}
		} else {
			h.Write(seg.Raw())
		}
		h.Write([]byte{'\r'})
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}

// headerOf returns the first line of raw (its MSH, when it has one).
func headerOf(raw []byte) []byte {
	for i, b := range raw {
		if b == '\r' || b == '\n' {
			return raw[:i]
		}
	}
	return raw
}

func controlID(p *prepared) string {
	if len(p.msgs) > 0 {
		return p.msgs[0].Meta.ControlID
	}
	return ""
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseWhere describes where a parse error is, without the bytes it quotes.
func parseWhere(err error) string {
	var pe *hl7.ParseError
	if !errors.As(err, &pe) {
		return "unknown"
	}
	return fmt.Sprintf("line %d col %d (byte %d): %v", pe.Line, pe.Column, pe.Offset, pe.Err)
}
