package main

import (
	"context"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/redisstore/redistest"
)

// dumpCounters returns every counter key of namespace ns with its value
// (a bucket hash's fields, a last-activity time), without expiries.
func dumpCounters(t *testing.T, rdb *redis.Client, ns string) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	iter := rdb.Scan(ctx, 0, ns+":{*}:c:*", 1000).Iterator() // counters by string ID
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
	assert.Equal(t, 2.0, metricValue(c.scrape(), "twoway_server_counter_rebuilds_total"), "at the start (an empty Redis) and after the FLUSHALL")
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
		return metricValue(c.scrape(), "twoway_server_counter_rebuilds_total") == 2
	}, 10*time.Second, 20*time.Millisecond, "the rebuild ends")
	assert.Equal(t, before, dumpCounters(t, rdb, "restart2"))
	var h healthResponse
	require.Equal(t, http.StatusOK, c.do("GET", "/healthz", nil, &h))
	assert.Equal(t, "ok", h.Status)
}

// Two servers on one Redis: after a FLUSHALL exactly one of them rebuilds
// (the one whose check writes the new generation first), the other adopts
// the new generation without replaying anything, so no counter is counted
// twice; while a rebuild holds the lease, the other server says
// "rebuilding" too.
func TestFlushWithTwoServersRebuildsOnce(t *testing.T) {
	rs := redistest.Start(t)
	now := time.Now().UTC().Truncate(time.Second)
	snap := filepath.Join(t.TempDir(), "engine.snap")
	cfg := Config{RedisAddr: rs.Addr, Namespace: "pair", GenerationCheck: time.Hour, SnapshotPath: snap,
		Engine: twoway.Config{Clock: func() time.Time { return now }}}
	_, a := startServer(t, cfg)
	a.upsert(tinyMarket(now, 6)...)
	status, _ := a.record(history(now, 6)...)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, http.StatusOK, a.do("POST", "/v1/snapshot", nil, nil))
	_, b := startServer(t, cfg) // the same log, from the snapshot; adopts A's generation
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer rdb.Close()
	before := dumpCounters(t, rdb, "pair")
	require.NotEmpty(t, before)
	rebuilds := func(c *client) float64 {
		return metricValue(c.scrape(), "twoway_server_counter_rebuilds_total")
	}
	require.Equal(t, 1.0, rebuilds(a), "A filled the empty Redis at its start")
	require.Zero(t, rebuilds(b), "B found A's generation")

	require.NoError(t, rdb.FlushAll(context.Background()).Err())
	var h healthResponse
	require.Equal(t, http.StatusServiceUnavailable, a.do("GET", "/healthz", nil, &h))
	assert.Equal(t, "rebuilding", h.Status)
	require.Eventually(t, func() bool { return rebuilds(a) == 2 }, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, http.StatusOK, b.do("GET", "/healthz", nil, &h), "%+v", h)
	assert.Zero(t, rebuilds(b), "B adopted A's new generation instead of replaying its log again")
	assert.Equal(t, before, dumpCounters(t, rdb, "pair"), "every counter once")

	// Another process holding the rebuilding lease (as one in the middle
	// of its rebuild does) is reported by both.
	gen, err := rdb.Get(context.Background(), "pair:{gen}").Result()
	require.NoError(t, err)
	require.NoError(t, rdb.Set(context.Background(), "pair:{gen}:rebuilding", gen+"-other", time.Minute).Err())
	for _, c := range []*client{a, b} {
		require.Equal(t, http.StatusServiceUnavailable, c.do("GET", "/healthz", nil, &h))
		assert.Equal(t, "rebuilding", h.Status)
		assert.Contains(t, h.Counters, "another server process")
	}
	require.NoError(t, rdb.Del(context.Background(), "pair:{gen}:rebuilding").Err())
	for _, c := range []*client{a, b} {
		require.Equal(t, http.StatusOK, c.do("GET", "/healthz", nil, &h), "%+v", h)
	}
}
