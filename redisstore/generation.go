package redisstore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

func (s *Store) generationKey() string { return s.cfg.Namespace + ":{gen}" }
func (s *Store) rebuildingKey() string { return s.cfg.Namespace + ":{gen}:rebuilding" }

// Generation returns the namespace's generation marker and the generation
// being rebuilt, each "" when its key is missing.
func (s *Store) Generation(ctx context.Context) (gen, rebuilding string, err error) {
	if err := s.gate(); err != nil {
		return "", "", err
	}
	vals, err := s.rdb.MGet(ctx, s.generationKey(), s.rebuildingKey()).Result()
	if err = s.observe(ctx, err, "generation"); err != nil {
		return "", "", err
	}
	str := func(v any) string {
		x, _ := v.(string)
		return x
	}
	return str(vals[0]), str(vals[1]), nil
}

// newGenerationScript: KEYS[1] marker, KEYS[2] lease; ARGV[1] generation,
// ARGV[2] lease in milliseconds. It writes both keys when the marker is
// missing and returns 1, else returns 0.
var newGenerationScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 1
`)

// NewGeneration writes gen as the namespace's generation marker if it has
// none, together with a rebuilding lease of gen that expires after lease,
// atomically, and reports whether it did: of several processes that find
// the marker missing, exactly one wins and rebuilds.
func (s *Store) NewGeneration(ctx context.Context, gen string, lease time.Duration) (bool, error) {
	if gen == "" {
		return false, errors.New("redisstore: new generation: empty generation")
	}
	if err := s.gate(); err != nil {
		return false, err
	}
	n, err := newGenerationScript.Run(ctx, s.rdb, []string{s.generationKey(), s.rebuildingKey()}, gen, lease.Milliseconds()).Int()
	if err = s.observe(ctx, err, "new generation"); err != nil {
		return false, err
	}
	return n == 1, nil
}

// leaseScript: KEYS[1] marker, KEYS[2] lease; ARGV[1] generation, ARGV[2]
// lease in milliseconds (0: release). It acts only while the marker is
// ARGV[1], and releases only its own lease.
var leaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
elseif redis.call('GET', KEYS[2]) == ARGV[1] then
  redis.call('DEL', KEYS[2])
end
return 1
`)

// Rebuilding takes or renews the rebuilding lease of generation gen for
// lease (lease <= 0: releases it). It does nothing and returns false when
// the marker is no longer gen (the data was lost again, or another process
// started a generation).
func (s *Store) Rebuilding(ctx context.Context, gen string, lease time.Duration) (bool, error) {
	if err := s.gate(); err != nil {
		return false, err
	}
	ms := max(lease.Milliseconds(), 0)
	n, err := leaseScript.Run(ctx, s.rdb, []string{s.generationKey(), s.rebuildingKey()}, gen, ms).Int()
	if err = s.observe(ctx, err, "rebuilding lease"); err != nil {
		return false, err
	}
	return n == 1, nil
}
