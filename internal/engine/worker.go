package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/courier-hl7/courier/internal/connector"
	"github.com/courier-hl7/courier/internal/store"
)

// destination is a running destination: a worker that claims its queue's entries in order,
// sends them and records what happened.
type destination struct {
	ch    *channel
	cfg   DestinationConfig
	log   *slog.Logger
	owner string
	wake  chan struct{}
}

func (d *destination) wakeUp() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

const (
	pollInterval = 2 * time.Second // claims are also tried this often, for work another node queued
	storeBackoff = 500 * time.Millisecond
)

// run delivers until ctx is done. A send in flight when ctx ends is allowed to finish (up to
// its timeout) and its outcome is recorded.
func (d *destination) run(ctx context.Context) {
	batcher, _ := d.cfg.Dest.(connector.Batcher)
	errWait := storeBackoff
	for ctx.Err() == nil {
		var next time.Time
		var err error
		if batcher != nil {
			next, err = d.batchRound(ctx, batcher)
		} else {
			next, err = d.round(ctx)
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			d.log.Error("destination queue", "err", err)
			sleep(ctx, errWait)
			errWait = min(errWait*2, 30*time.Second)
			continue
		}
		errWait = storeBackoff
		if next.IsZero() {
			continue // there may be more right away
		}
		d.idle(ctx, next)
	}
}

// idle waits until woken, until next, or for the poll interval.
func (d *destination) idle(ctx context.Context, next time.Time) {
	wait := pollInterval
	if !next.Equal(farFuture) {
		if w := time.Until(next); w < wait {
			wait = max(w, time.Millisecond)
		}
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-d.wake:
	case <-t.C:
	}
}

var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// round claims and delivers one batch. It returns when to look again: zero for "at once",
// farFuture for "when woken or polled", or the time the next entry is due.
func (d *destination) round(ctx context.Context) (time.Time, error) {
	keyed := d.cfg.OrderBy != nil
	max := d.cfg.Batch
	if keyed {
		max = d.cfg.Parallel
	}
	timeout := d.sendTimeout()
	req := store.ClaimRequest{
		Channel: d.ch.cfg.Name, Destination: d.cfg.Name, Owner: d.owner,
		Lease: timeout*time.Duration(max) + 30*time.Second, Max: max, Keyed: keyed, Now: time.Now(),
	}
	if keyed {
		req.Lease = timeout + 30*time.Second
	}
	res, err := d.ch.e.store.Claim(ctx, req)
	if err != nil {
		return time.Time{}, fmt.Errorf("claim: %w", err)
	}
	if len(res.Entries) == 0 {
		if !res.NextDue.IsZero() {
			return res.NextDue, nil
		}
		return farFuture, nil
	}
	// Sends run to completion even when shutting down; only their own timeout stops them.
	sctx := context.WithoutCancel(ctx)
	outcomes := make([]store.Outcome, len(res.Entries))
	if keyed {
		var wg sync.WaitGroup
		for i, e := range res.Entries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				outcomes[i] = d.deliver(sctx, e)
			}()
		}
		wg.Wait()
	} else {
		failed := false
		for i, e := range res.Entries {
			if failed || ctx.Err() != nil {
				// Order: nothing after a failed entry goes before it is delivered.
				outcomes[i] = store.Outcome{EntryID: e.ID, Token: e.Token, Kind: store.OutcomeRelease}
				continue
			}
			outcomes[i] = d.deliver(sctx, e)
			failed = outcomes[i].Kind == store.OutcomeRetry || outcomes[i].Kind == store.OutcomeFailed && !outcomes[i].MoveOn
		}
	}
	d.recordUntilStored(ctx, sctx, res.Entries, outcomes)
	return time.Time{}, nil
}

// recordUntilStored records outcomes, retrying with backoff while the store refuses (a full
// disk): the worker still holds the leases, and dropping the outcomes would send delivered
// messages again and stall the queue until the leases expired. It gives up only when the
// engine stops; the leases then expire and the entries are delivered again (at least once).
func (d *destination) recordUntilStored(ctx, sctx context.Context, entries []*store.Entry, outcomes []store.Outcome) {
	wait := storeBackoff
	for {
		err := d.record(sctx, entries, outcomes)
		if err == nil {
			return
		}
		d.log.Error("cannot record delivery outcomes; retrying", "entries", len(outcomes), "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, 10*time.Second)
	}
}

// record stores outcomes, then tells after-delivery senders and metrics.
func (d *destination) record(ctx context.Context, entries []*store.Entry, outcomes []store.Outcome) error {
	errs, err := d.ch.e.store.Record(ctx, outcomes)
	if err != nil {
		return fmt.Errorf("record outcomes: %w", err)
	}
	for i, o := range outcomes {
		if i < len(errs) && errs[i] != nil {
			if errors.Is(errs[i], store.ErrStaleLease) {
				d.log.Warn("lease lost before the outcome was recorded; the new owner delivers the message", "entry", o.EntryID)
				continue
			}
			d.log.Error("record outcome", "entry", o.EntryID, "err", errs[i])
			continue
		}
		switch o.Kind {
		case store.OutcomeSent, store.OutcomeFailed:
			d.ch.delivered(entries[i].MessageID, d.cfg.Name, connector.Response{OK: o.Kind == store.OutcomeSent, Code: o.ResponseCode, Raw: o.Response, Text: o.Error})
		case store.OutcomeFiltered:
			// Nothing is to be delivered: an after-delivery sender gets the channel's own
			// positive acknowledgement, not a timeout saying the message will be delivered.
			d.ch.delivered(entries[i].MessageID, d.cfg.Name, connector.Response{OK: true})
		}
	}
	return nil
}

func (d *destination) sendTimeout() time.Duration {
	if d.cfg.SendTimeout > 0 {
		return d.cfg.SendTimeout
	}
	return 30 * time.Second
}

// deliver runs the destination's steps on one entry and sends the result.
func (d *destination) deliver(ctx context.Context, e *store.Entry) store.Outcome {
	started := time.Now()
	o := store.Outcome{EntryID: e.ID, Token: e.Token, Started: started}
	outs, filtered, err := d.outbound(ctx, e)
	if filtered {
		o.Kind, o.Finished = store.OutcomeFiltered, time.Now()
		return o
	}
	var resp connector.Response
	if err == nil {
		for _, out := range outs {
			sctx, cancel := context.WithTimeout(ctx, d.sendTimeout())
			resp, err = d.cfg.Dest.Send(sctx, out)
			cancel()
			if err != nil || !resp.OK {
				break
			}
		}
		if len(outs) == 1 && string(outs[0].Content) != string(e.Content) {
			o.Sent = outs[0].Content
		}
		releaseOutbound(outs)
	}
	o.Finished = time.Now()
	o.Response, o.ResponseCode = resp.Raw, resp.Code
	d.ch.e.metrics.SendDur.WithLabelValues(d.ch.cfg.Name, d.cfg.Name).Observe(o.Finished.Sub(started).Seconds())
	if err == nil && resp.OK {
		o.Kind = store.OutcomeSent
		d.ch.e.metrics.Sent.WithLabelValues(d.ch.cfg.Name, d.cfg.Name).Inc()
		return o
	}
	switch {
	case err != nil:
		o.Error = err.Error()
	case resp.Text != "":
		o.Error = fmt.Sprintf("receiver answered %s: %s", resp.Code, resp.Text)
	default:
		o.Error = "receiver answered " + resp.Code
	}
	d.ch.e.metrics.Failed.WithLabelValues(d.ch.cfg.Name, d.cfg.Name).Inc()
	attempt := e.Attempts + 1
	// What the receiver said can repeat patient data (a name in an error text): logs carry
	// only the kind of failure and the answer's code; the full text is in the message's
	// history (courier messages show).
	kind, code := "no answer", resp.Code
	switch {
	case err == nil:
		kind = "refused"
	case errors.Is(err, connector.ErrUnreachable):
		kind = "cannot connect"
	}
	if d.cfg.Retry.GiveUp(attempt) {
		o.Kind, o.MoveOn = store.OutcomeFailed, d.cfg.Retry.MoveOn
		d.ch.e.metrics.GaveUp.WithLabelValues(d.ch.cfg.Name, d.cfg.Name).Inc()
		d.log.Error("delivery gave up", "message", e.MessageID, "control_id", e.Meta.ControlID, "attempts", attempt, "failure", kind, "code", code)
		return o
	}
	o.Kind = store.OutcomeRetry
	o.NextAttemptAt = o.Finished.Add(d.cfg.Retry.Delay(attempt))
	d.log.Warn("delivery failed; will retry", "message", e.MessageID, "control_id", e.Meta.ControlID, "attempt", attempt, "retry_at", o.NextAttemptAt.Format("2006-01-02T15:04:05.000Z07:00"), "failure", kind, "code", code)
	return o
}

// outbound turns an entry into what to send, after the destination's steps.
func (d *destination) outbound(ctx context.Context, e *store.Entry) ([]*connector.Outbound, bool, error) {
	base := connector.Outbound{Content: e.Content, MessageID: e.MessageID, EntryID: e.ID, Attempt: e.Attempts + 1, Meta: e.Meta, Received: e.ReceivedAt}
	m, perr := d.ch.cfg.Parser.Parse(e.Content)
	if perr == nil {
		base.Message = m
	}
	if d.cfg.Processor == nil {
		return []*connector.Outbound{&base}, false, nil
	}
	if perr != nil {
		return nil, false, fmt.Errorf("destination steps: the message does not parse: %w", perr)
	}
	res, err := d.cfg.Processor.Process(ctx, m.Clone())
	if err != nil {
		return nil, false, fmt.Errorf("destination steps: %w", err)
	}
	if res.Filtered || len(res.Outputs) == 0 {
		return nil, true, nil
	}
	outs := make([]*connector.Outbound, 0, len(res.Outputs))
	for _, r := range res.Outputs {
		o := base
		o.Message = r.Message
		if r.Body != nil {
			o.Content, o.ContentType = r.Body, r.ContentType
		} else {
			o.Content = r.Message.Bytes()
		}
		outs = append(outs, &o)
	}
	return outs, false, nil
}

// releaseOutbound gives back the memory of the messages behind outs once they are sent
// (hl7.Message.Release). Destinations send synchronously and keep nothing of a message after
// Send or Flush returns; what an outcome keeps (Content, the response) is not the message's
// edited memory: Content is the Bytes of an edited message, a slice of its own, or the stored
// content the message was parsed from.
func releaseOutbound(outs []*connector.Outbound) {
	for _, o := range outs {
		if o.Message != nil {
			o.Message.Release()
		}
	}
}

// batchRound holds claimed entries in the destination's current group and flushes groups
// that are due.
func (d *destination) batchRound(ctx context.Context, b connector.Batcher) (time.Time, error) {
	st := d.ch.e.store
	now := time.Now()
	// Every held entry counts (a group is due at max_messages, 5000 say), and none is read.
	counts, err := st.HeldGroups(ctx, d.ch.cfg.Name, d.cfg.Name)
	if err != nil {
		return time.Time{}, fmt.Errorf("held entries: %w", err)
	}
	group := b.Group(now)
	claimMax := 256
	if bl, ok := b.(connector.BatchLimit); ok && bl.MaxMessages() > 0 {
		// No more than the group has room for: a full group is flushed below, and the
		// next round holds into the group that follows it.
		claimMax = min(claimMax, max(bl.MaxMessages()-counts[group], 0))
	}
	var res store.ClaimResult
	if claimMax > 0 {
		res, err = st.Claim(ctx, store.ClaimRequest{Channel: d.ch.cfg.Name, Destination: d.cfg.Name, Owner: d.owner, Lease: time.Minute, Max: claimMax, Now: now})
		if err != nil {
			return time.Time{}, fmt.Errorf("claim: %w", err)
		}
	}
	if len(res.Entries) > 0 {
		outcomes := make([]store.Outcome, len(res.Entries))
		for i, e := range res.Entries {
			outcomes[i] = store.Outcome{EntryID: e.ID, Token: e.Token, Kind: store.OutcomeHeld, Group: group, Started: now, Finished: now}
		}
		if _, err := st.Record(ctx, outcomes); err != nil {
			return time.Time{}, fmt.Errorf("hold: %w", err)
		}
		counts[group] += len(res.Entries)
	}
	groups := make([]string, 0, len(counts))
	for g := range counts {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	next := farFuture
	flushed := false
	for _, g := range groups {
		due, at := b.Due(g, counts[g], now)
		if !due {
			if !at.IsZero() && at.Before(next) {
				next = at
			}
			continue
		}
		if err := d.flush(ctx, b, g); err != nil {
			d.log.Error("batch delivery failed; will retry", "group", g, "err", err)
			retry := now.Add(d.cfg.Retry.Delay(1))
			if retry.Before(next) {
				next = retry
			}
			continue
		}
		flushed = true
	}
	if len(res.Entries) > 0 || claimMax == 0 && flushed {
		// More may be waiting: entries were held, or a full group was just flushed.
		return time.Time{}, nil
	}
	return next, nil
}

// flush delivers one group of held entries and records them sent.
func (d *destination) flush(ctx context.Context, b connector.Batcher, group string) error {
	entries, err := d.ch.e.store.Held(ctx, d.ch.cfg.Name, d.cfg.Name, group)
	if err != nil || len(entries) == 0 {
		return err
	}
	outs := make([]*connector.Outbound, 0, len(entries))
	for _, e := range entries {
		o, filtered, err := d.outbound(ctx, e)
		if err != nil {
			return err
		}
		if !filtered {
			outs = append(outs, o...)
		}
	}
	started := time.Now()
	err = b.Flush(context.WithoutCancel(ctx), group, outs)
	releaseOutbound(outs)
	if err != nil {
		return err
	}
	finished := time.Now()
	outcomes := make([]store.Outcome, len(entries))
	for i, e := range entries {
		outcomes[i] = store.Outcome{EntryID: e.ID, Token: e.Token, Kind: store.OutcomeSent, Started: started, Finished: finished, ResponseCode: "BATCH " + group}
	}
	d.ch.e.metrics.Sent.WithLabelValues(d.ch.cfg.Name, d.cfg.Name).Add(float64(len(entries)))
	d.recordUntilStored(ctx, context.WithoutCancel(ctx), entries, outcomes)
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
