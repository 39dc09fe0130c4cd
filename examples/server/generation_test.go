package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/examples/server/internal/redistest"
)

// dumpCounters returns every counter key of namespace ns with its value
// (a bucket hash's fields, a last-activity time), without expiries.
func dumpCounters(t *testing.T, rdb *redis.Client, ns string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	iter := rdb.Scan(ctx, 0, ns+":{u*", 1000).Iterator()
	for iter.Next(ctx) {
		key := iter.Val()
		typ, err := rdb.Type(ctx, key).Result()
		require.NoError(t, err)
		switch typ {
		case "hash":
			h, err := rdb.HGetAll(ctx, key).Result()
			require.NoError(t, err)
			out[key] = redis.NewMapStringStringResult(h, nil).String()
		default:
			v, err := rdb.Get(ctx, key).Result()
			require.NoError(t, err)
			out[key] = v
		}
	}
	require.NoError(t, iter.Err())
	return out
}

// After a FLUSHALL the counters come back: the next /healthz finds the
// generation marker missing, says "rebuilding" (503) while the Engine
// replays its log into Redis, then "ok"; every counter key holds what it
// held before, and recommendations are what they were.
func TestRedisFlushRebuildsCounters(t *testing.T) {
	rs := redistest.Start(t)
	now := time.Now().UTC().Truncate(time.Second)
	// Checked by /healthz only, so that the test sees the rebuild begin;
	// a fixed clock, so that scores do not drift between the lists compared.
	_, c := startServer(t, Config{RedisAddr: rs.Addr, Namespace: "flush", GenerationCheck: time.Hour,
		Engine: twoway.Config{Clock: func() time.Time { return now }}})
	c.upsert(tinyMarket(now, 6)...)
	status, _ := c.record(history(now, 6)...)
	require.Equal(t, http.StatusOK, status)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer rdb.Close()
	before := dumpCounters(t, rdb, "flush")
	require.NotEmpty(t, before)

	var h healthResponse
	require.Equal(t, http.StatusOK, c.do("GET", "/healthz", nil, &h))
	assert.Equal(t, "ok", h.Status)
	assert.Contains(t, h.Counters, "ok (generation")
	status, want := c.recommend("s-li", "?n=10&dry_run=true")
	require.Equal(t, http.StatusOK, status)

	require.NoError(t, rdb.FlushAll(context.Background()).Err())
	require.Empty(t, dumpCounters(t, rdb, "flush"))
	require.Equal(t, http.StatusServiceUnavailable, c.do("GET", "/healthz", nil, &h))
	assert.Equal(t, "rebuilding", h.Status)
	assert.Contains(t, h.Counters, "rebuilding")
	t.Logf("after FLUSHALL: %s", h.Counters)
	require.Eventually(t, func() bool {
		return c.do("GET", "/healthz", nil, &h) == http.StatusOK
	}, 10*time.Second, 20*time.Millisecond, "the rebuild ends")
	assert.Equal(t, "ok", h.Status)

	assert.Equal(t, before, dumpCounters(t, rdb, "flush"), "every counter is back")
	status, got := c.recommend("s-li", "?n=10&dry_run=true")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, scored(want), scored(got))
	var m metricsJSON
	require.Equal(t, http.StatusOK, c.do("GET", "/metrics", nil, &m))
	assert.Equal(t, int64(2), m.CounterRebuilds, "at the start (an empty Redis) and after the FLUSHALL")
}

// A restart of a Redis without persistence is noticed by the periodic
// check alone (no /healthz needed), and the counters are rebuilt.
func TestRedisRestartRebuildsCounters(t *testing.T) {
	rs := redistest.Start(t)
	now := time.Now()
	_, c := startServer(t, Config{RedisAddr: rs.Addr, Namespace: "restart2", GenerationCheck: 50 * time.Millisecond,
		RedisTimeout: 500 * time.Millisecond, RedisCooldown: 50 * time.Millisecond})
	c.upsert(tinyMarket(now, 6)...)
	status, _ := c.record(history(now, 6)...)
	require.Equal(t, http.StatusOK, status)
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr, MaxRetries: -1})
	defer rdb.Close()
	before := dumpCounters(t, rdb, "restart2")
	require.NotEmpty(t, before)

	rs.Restart()
	require.Eventually(t, func() bool {
		return len(dumpCounters(t, rdb, "restart2")) == len(before)
	}, 10*time.Second, 20*time.Millisecond, "the counters come back")
	require.Eventually(t, func() bool {
		var m metricsJSON
		return c.do("GET", "/metrics", nil, &m) == http.StatusOK && m.CounterRebuilds == 2
	}, 10*time.Second, 20*time.Millisecond, "the rebuild ends")
	assert.Equal(t, before, dumpCounters(t, rdb, "restart2"))
	var h healthResponse
	require.Equal(t, http.StatusOK, c.do("GET", "/healthz", nil, &h))
	assert.Equal(t, "ok", h.Status)
}
