package engine

import (
	"context"
	"errors"
	"fmt"
)

// start starts the destinations' workers, then the source.
func (c *channel) start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == StateRunning || c.state == StatePaused {
		return nil
	}
	c.state, c.errText = StateStarting, ""
	// Leases this node's workers held when it last stopped (a crash, kill -9) are taken back
	// at once rather than left to expire: nothing else can hold them.
	for _, d := range c.dests {
		n, err := c.e.store.ReleaseOwner(ctx, d.owner)
		if err != nil {
			c.state, c.errText = StateFailed, err.Error()
			return fmt.Errorf("channel %s: take back leases of %s: %w", c.cfg.Name, d.cfg.Name, err)
		}
		if n > 0 {
			d.log.Info("took back leases left by a previous run of this node", "entries", n)
		}
	}
	wctx, cancel := context.WithCancel(c.e.ctx)
	c.cancel = cancel
	for _, d := range c.dests {
		c.workers.Add(1)
		go func() {
			defer c.workers.Done()
			d.run(wctx)
		}()
	}
	if c.cfg.Source != nil {
		if err := c.cfg.Source.Start(ctx, c); err != nil {
			cancel()
			c.workers.Wait()
			c.state, c.errText = StateFailed, err.Error()
			c.log.Error("channel failed to start", "err", err)
			return fmt.Errorf("channel %s: start source: %w", c.cfg.Name, err)
		}
		c.sourceUp = true
	}
	c.state = StateRunning
	c.log.Info("channel started", "destinations", len(c.dests))
	return nil
}

// stopSource stops the source, if it runs: it finishes messages in flight.
func (c *channel) stopSource(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopSourceLocked(ctx)
}

func (c *channel) stopSourceLocked(ctx context.Context) error {
	if c.cfg.Source == nil || !c.sourceUp {
		return nil
	}
	c.sourceUp = false
	if err := c.cfg.Source.Stop(ctx); err != nil {
		return fmt.Errorf("channel %s: stop source: %w", c.cfg.Name, err)
	}
	return nil
}

// stop stops the source, then the workers (each finishes and records its send in flight),
// then closes the destinations.
func (c *channel) stop(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == StateStopped {
		return nil
	}
	errs := []error{c.stopSourceLocked(ctx), c.waitStoring(ctx)}
	if c.cancel != nil {
		c.cancel()
		done := make(chan struct{})
		go func() { c.workers.Wait(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			// Not a failure of the stop: those sends' entries stay leased to this node, which
			// takes them back when it starts again and sends them then (a receiver that did
			// get one sees it twice, as after a crash). The stop itself kept its deadline.
			c.log.Warn("stopped at the shutdown deadline with deliveries still waiting for their answer; they are sent again when Courier starts")
		}
	}
	for _, d := range c.dests {
		if err := d.cfg.Dest.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("channel %s: close destination %s: %w", c.cfg.Name, d.cfg.Name, err))
		}
	}
	c.state = StateStopped
	c.log.Info("channel stopped")
	return errors.Join(errs...)
}

// pause stops the source only.
func (c *channel) pause(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != StateRunning {
		return fmt.Errorf("channel %s is %s, not running", c.cfg.Name, c.state)
	}
	if err := c.stopSourceLocked(ctx); err != nil {
		return err
	}
	c.state = StatePaused
	c.log.Info("channel paused: source stopped, destinations delivering")
	return nil
}

// resume starts a paused channel's source again.
func (c *channel) resume(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != StatePaused {
		return fmt.Errorf("channel %s is %s, not paused", c.cfg.Name, c.state)
	}
	if c.cfg.Source != nil {
		if err := c.cfg.Source.Start(ctx, c); err != nil {
			return fmt.Errorf("channel %s: start source: %w", c.cfg.Name, err)
		}
		c.sourceUp = true
	}
	c.state = StateRunning
	c.log.Info("channel resumed")
	return nil
}
