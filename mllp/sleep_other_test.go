//go:build !linux

package mllp

import "time"

// pacer keeps a sender on its schedule (see sleep_linux_test.go for why Linux uses a timerfd).
type pacer struct{}

func newPacer() (*pacer, error) { return &pacer{}, nil }

func (p *pacer) sleepUntil(at time.Time) error {
	time.Sleep(time.Until(at))
	return nil
}

func (p *pacer) Close() error { return nil }
