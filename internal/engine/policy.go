package engine

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// AckMode says when a channel acknowledges what it receives.
type AckMode string

const (
	// AckAfterStore acknowledges positively once the message and its queue entries are durably
	// stored. The default, and the only mode that never loses an acknowledged message.
	AckAfterStore AckMode = "after-store"
	// AckAfterDelivery answers with the first destination's response (the downstream
	// acknowledgement), waiting up to the channel's ACK timeout; the message is stored first.
	AckAfterDelivery AckMode = "after-delivery"
	// AckImmediate acknowledges before the message is stored. Unsafe: a crash or a full disk
	// loses messages that were acknowledged. For senders that cannot wait.
	AckImmediate AckMode = "immediate"
	// AckNone sends no acknowledgement.
	AckNone AckMode = "none"
)

// ParseAckMode reads an ACK mode name.
func ParseAckMode(s string) (AckMode, error) {
	switch m := AckMode(s); m {
	case AckAfterStore, AckAfterDelivery, AckImmediate, AckNone:
		return m, nil
	case "":
		return AckAfterStore, nil
	}
	return "", fmt.Errorf("unknown ack mode %q: use after-store, after-delivery, immediate or none", s)
}

// RetryPolicy says how a destination retries a failed delivery.
type RetryPolicy struct {
	Initial    time.Duration // first wait (default 1s)
	Max        time.Duration // longest wait (default 5m)
	Multiplier float64       // growth per attempt (default 2)
	Jitter     float64       // ± fraction of randomness (default 0.2)
	// MaxAttempts gives up after this many attempts; 0 retries forever.
	MaxAttempts int
	// MoveOn lets a strict queue go on past a message that gave up; by default it holds the
	// queue (head-of-line blocking) until an operator retries or skips the message.
	MoveOn bool
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Initial <= 0 {
		p.Initial = time.Second
	}
	if p.Max <= 0 {
		p.Max = 5 * time.Minute
	}
	if p.Max < p.Initial {
		p.Max = p.Initial
	}
	if p.Multiplier < 1 {
		p.Multiplier = 2
	}
	if p.Jitter < 0 || p.Jitter >= 1 {
		p.Jitter = 0.2
	}
	return p
}

// Delay returns how long to wait after the given failed attempt (1 for the first): Initial ×
// Multiplier^(attempt-1), capped at Max, then moved by up to ±Jitter at random.
func (p RetryPolicy) Delay(attempt int) time.Duration {
	p = p.withDefaults()
	d := float64(p.Initial)
	for i := 1; i < attempt && d < float64(p.Max); i++ {
		d *= p.Multiplier
	}
	d = min(d, float64(p.Max))
	if p.Jitter > 0 {
		d *= 1 + p.Jitter*(2*rand.Float64()-1)
	}
	return time.Duration(d)
}

// GiveUp reports whether a delivery that failed attempt times gives up.
func (p RetryPolicy) GiveUp(attempt int) bool {
	return p.MaxAttempts > 0 && attempt >= p.MaxAttempts
}
