// Package engine runs Courier's channels: it receives messages from sources, stores them
// before acknowledging, and delivers them to destinations in order with retries. The store is
// the only shared state; the engine keeps in memory only what it can rebuild from the store.
package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/courier-hl7/courier/internal/connector"
	"github.com/courier-hl7/courier/internal/store"
	"github.com/prometheus/client_golang/prometheus"
)

// Options configure an Engine.
type Options struct {
	Store store.Store
	// NodeID names this node in leases; stable across restarts so that a node can take back
	// its own leases after a crash (each destination worker's lease owner is
	// NodeID/channel/destination). Default: the host name.
	NodeID     string
	Logger     *slog.Logger
	Registerer prometheus.Registerer // nil: metrics are kept but not exported
}

// Engine runs channels.
type Engine struct {
	store   store.Store
	nodeID  string
	log     *slog.Logger
	metrics *Metrics

	mu       sync.Mutex
	channels map[string]*channel
	order    []string
	ctx      context.Context // lives until Stop
	cancel   context.CancelFunc
	statsWG  sync.WaitGroup
}

// New returns an engine with no channels.
func New(opts Options) (*Engine, error) {
	if opts.Store == nil {
		return nil, errors.New("engine: a store is required")
	}
	if opts.NodeID == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "courier"
		}
		opts.NodeID = h
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &Engine{
		store: opts.Store, nodeID: opts.NodeID, log: opts.Logger, metrics: NewMetrics(opts.Registerer),
		channels: map[string]*channel{}, ctx: ctx, cancel: cancel,
	}
	e.statsWG.Add(1)
	go e.statsLoop(ctx)
	return e, nil
}

// Metrics returns the engine's metrics.
func (e *Engine) Metrics() *Metrics { return e.metrics }

// Store returns the engine's store.
func (e *Engine) Store() store.Store { return e.store }

// Add registers a channel without starting it.
func (e *Engine) Add(cfg ChannelConfig) error {
	if cfg.Name == "" {
		return errors.New("engine: a channel needs a name")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.channels[cfg.Name]; ok {
		return fmt.Errorf("engine: channel %q already exists", cfg.Name)
	}
	e.channels[cfg.Name] = e.newChannel(cfg)
	e.order = append(e.order, cfg.Name)
	return nil
}

func (e *Engine) newChannel(cfg ChannelConfig) *channel {
	if cfg.AckMode == "" {
		cfg.AckMode = AckAfterStore
	}
	c := &channel{e: e, cfg: cfg, log: e.log.With("channel", cfg.Name), state: StateStopped}
	seen := map[string]bool{}
	for _, dc := range cfg.Destinations {
		if dc.Batch <= 0 {
			dc.Batch = 32
		}
		if dc.Parallel <= 0 {
			dc.Parallel = 8
		}
		dc.Retry = dc.Retry.withDefaults()
		if seen[dc.Name] {
			continue
		}
		seen[dc.Name] = true
		c.dests = append(c.dests, &destination{
			ch: c, cfg: dc, log: c.log.With("destination", dc.Name),
			owner: e.nodeID + "/" + cfg.Name + "/" + dc.Name, wake: make(chan struct{}, 1),
		})
	}
	return c
}

// Receiver returns the receiving side of a channel, for sources that live outside the
// engine's own configuration and for channel-to-channel delivery.
func (e *Engine) Receiver(name string) (connector.Receiver, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.channels[name]
	return c, ok
}

// Start starts every registered channel. A channel that fails to start is left failed and
// reported; the others run. The returned error joins the failures.
func (e *Engine) Start(ctx context.Context) error {
	var errs []error
	for _, name := range e.names() {
		if err := e.StartChannel(ctx, name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (e *Engine) names() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.order...)
}

func (e *Engine) channel(name string) (*channel, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c, ok := e.channels[name]
	if !ok {
		return nil, fmt.Errorf("engine: no channel %q", name)
	}
	return c, nil
}

// StartChannel starts a channel's destinations, then its source.
func (e *Engine) StartChannel(ctx context.Context, name string) error {
	c, err := e.channel(name)
	if err != nil {
		return err
	}
	return c.start(ctx)
}

// StopChannel stops a channel's source (finishing messages in flight), then its
// destinations (finishing sends in flight).
func (e *Engine) StopChannel(ctx context.Context, name string) error {
	c, err := e.channel(name)
	if err != nil {
		return err
	}
	return c.stop(ctx)
}

// PauseChannel stops a channel's source; its destinations go on delivering what is queued.
func (e *Engine) PauseChannel(ctx context.Context, name string) error {
	c, err := e.channel(name)
	if err != nil {
		return err
	}
	return c.pause(ctx)
}

// ResumeChannel starts a paused channel's source again.
func (e *Engine) ResumeChannel(ctx context.Context, name string) error {
	c, err := e.channel(name)
	if err != nil {
		return err
	}
	return c.resume(ctx)
}

// ChannelStatus is a channel's state for display.
type ChannelStatus struct {
	Name  string
	State ChannelState
	Error string
}

// Status returns every channel's state, in configuration order.
func (e *Engine) Status() []ChannelStatus {
	var out []ChannelStatus
	for _, name := range e.names() {
		c, err := e.channel(name)
		if err != nil {
			continue
		}
		c.mu.Lock()
		out = append(out, ChannelStatus{Name: name, State: c.state, Error: c.errText})
		c.mu.Unlock()
	}
	return out
}

// Reload replaces the channel set: channels whose Version changed, new channels and removed
// channels are stopped and started; the others keep running untouched. It returns the names
// of the channels it restarted, started and stopped.
func (e *Engine) Reload(ctx context.Context, cfgs []ChannelConfig) (changed []string, err error) {
	want := map[string]ChannelConfig{}
	for _, c := range cfgs {
		want[c.Name] = c
	}
	var errs []error
	for _, name := range e.names() {
		c, _ := e.channel(name)
		nc, keep := want[name]
		if keep && nc.Version == c.cfg.Version {
			continue
		}
		if err := c.stop(ctx); err != nil {
			errs = append(errs, err)
		}
		e.mu.Lock()
		delete(e.channels, name)
		e.order = remove(e.order, name)
		e.mu.Unlock()
		changed = append(changed, name)
	}
	for _, nc := range cfgs {
		e.mu.Lock()
		_, running := e.channels[nc.Name]
		e.mu.Unlock()
		if running {
			continue
		}
		if err := e.Add(nc); err != nil {
			errs = append(errs, err)
			continue
		}
		if !contains(changed, nc.Name) {
			changed = append(changed, nc.Name)
		}
		if err := e.StartChannel(ctx, nc.Name); err != nil {
			errs = append(errs, err)
		}
	}
	sort.Strings(changed)
	return changed, errors.Join(errs...)
}

// Stop shuts the engine down in order: sources stop accepting and finish what they hold,
// destinations finish their sends in flight and record them, destinations close. The store is
// left open for the caller to close last. ctx bounds the whole shutdown.
func (e *Engine) Stop(ctx context.Context) error {
	names := e.names()
	var errs []error
	// Sources first, all of them, so that nothing new arrives while queues drain.
	for _, name := range names {
		c, _ := e.channel(name)
		if err := c.stopSource(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	for _, name := range names {
		c, _ := e.channel(name)
		if err := c.stop(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	// A channel stopped before another may still have been handed messages by that one's
	// last sends (a channel destination): its immediate commits are waited for again.
	for _, name := range names {
		c, _ := e.channel(name)
		if err := c.waitStoring(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	e.cancel()
	e.statsWG.Wait()
	return errors.Join(errs...)
}

// statsLoop refreshes the queue gauges.
func (e *Engine) statsLoop(ctx context.Context) {
	defer e.statsWG.Done()
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		e.refreshQueueGauges(ctx, e.metrics, time.Now())
	}
}

// refreshQueueGauges sets the queue gauges of m from the store's statistics as of now.
func (e *Engine) refreshQueueGauges(ctx context.Context, m *Metrics, now time.Time) {
	stats, err := e.store.Stats(ctx)
	if err != nil {
		return
	}
	for _, s := range stats {
		m.QueueDepth.WithLabelValues(s.Channel, s.Destination).Set(float64(s.Pending))
		m.QueueError.WithLabelValues(s.Channel, s.Destination).Set(float64(s.Errors))
		age := 0.0
		if !s.Oldest.IsZero() {
			age = max(now.Sub(s.Oldest).Seconds(), 0)
		}
		m.QueueAge.WithLabelValues(s.Channel, s.Destination).Set(age)
		blocked := 0.0
		if s.BlockedBy != nil {
			blocked = 1
		}
		m.QueueBlock.WithLabelValues(s.Channel, s.Destination).Set(blocked)
	}
}

func remove(list []string, s string) []string {
	out := list[:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}
