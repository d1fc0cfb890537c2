package mllp

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// pacer keeps a sender on its schedule. time.Sleep wakes up to a millisecond late when the
// runtime is idle (the poller waits in whole milliseconds), which turns an even schedule
// into bursts: every sender due within the same millisecond sends at once, and the latency
// measured is that of a burst, not of the load. A timerfd read through the runtime's poller
// wakes within microseconds of its time without holding a thread or a P while it waits.
type pacer struct {
	f  *os.File
	fd int
}

func newPacer() (*pacer, error) {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &pacer{f: os.NewFile(uintptr(fd), "timerfd"), fd: fd}, nil
}

// sleepUntil waits until at.
func (p *pacer) sleepUntil(at time.Time) error {
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(int64(d))}
	if err := unix.TimerfdSettime(p.fd, 0, &spec, nil); err != nil {
		return err
	}
	var n [8]byte // the number of expirations
	_, err := p.f.Read(n[:])
	return err
}

func (p *pacer) Close() error { return p.f.Close() }
