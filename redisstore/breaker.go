package redisstore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// breaker is the fail-fast cooldown every store of the package shares the
// code of: after Redis failed, calls are refused with ErrUnavailable until
// the cooldown has passed. Its mutex is a leaf.
type breaker struct {
	rdb      redis.UniversalClient
	cooldown time.Duration
	clock    func() time.Time

	mu      sync.Mutex
	downTil time.Time // fail fast until then
	lastErr error     // the failure that opened the cooldown
}

func newBreaker(rdb redis.UniversalClient, cfg Config) *breaker {
	return &breaker{rdb: rdb, cooldown: cfg.Cooldown, clock: cfg.Clock}
}

// Ping asks Redis whether it is there, whatever the cooldown, and closes
// the cooldown when it answers.
func (b *breaker) Ping(ctx context.Context) error {
	err := b.rdb.Ping(ctx).Err()
	if err == nil {
		b.mu.Lock()
		b.downTil, b.lastErr = time.Time{}, nil
		b.mu.Unlock()
		return nil
	}
	return b.observe(ctx, err, "ping")
}

// Err returns the failure that opened the current cooldown, wrapping
// ErrUnavailable, or nil when the store is not cooling down. It does not
// ask Redis.
func (b *breaker) Err() error { return b.gate() }

// gate returns an error wrapping ErrUnavailable during the cooldown.
func (b *breaker) gate() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.lastErr != nil && b.clock().Before(b.downTil) {
		return fmt.Errorf("%w (retry after %s): %w", ErrUnavailable, b.downTil.Format(time.RFC3339Nano), b.lastErr)
	}
	return nil
}

// observe opens the cooldown on a failure of Redis itself (not on the
// caller's cancelled context) and wraps err with the operation.
func (b *breaker) observe(ctx context.Context, err error, op string) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("redisstore: %s: %w", op, err)
	}
	b.mu.Lock()
	b.downTil = b.clock().Add(b.cooldown)
	b.lastErr = err
	b.mu.Unlock()
	return fmt.Errorf("redisstore: %s: %w", op, err)
}
