package redisstore_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/redisstore"
	"github.com/twowayrec/twoway/redisstore/redistest"
)

func newStore(t *testing.T, srv *redistest.Server, cfg redisstore.Config) (*redisstore.Store, *redis.Client) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, DialTimeout: 200 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	s, err := redisstore.New(rdb, cfg)
	require.NoError(t, err)
	return s, rdb
}

// The Store passes the activity package's conformance kit against a real
// redis-server.
func TestCheckStore(t *testing.T) {
	srv := redistest.Start(t)
	s, _ := newStore(t, srv, redisstore.Config{Namespace: "t1", Buckets: 8})
	require.NoError(t, activity.CheckStore(context.Background(), s))
	// By string ID (activity.IDStore), as an Engine counts.
	byID, _ := newStore(t, srv, redisstore.Config{Namespace: "t1id", Buckets: 8})
	name := func(u uint32) (string, bool) { return "p-" + strconv.Itoa(int(u)), true }
	require.NoError(t, activity.CheckStore(context.Background(), activity.ByID(byID, name)))
}

// Two namespaces on one Redis do not see each other's counters; one
// namespace seen through two clients (two server processes) shares them.
func TestNamespacesAndSharing(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	a, _ := newStore(t, srv, redisstore.Config{Namespace: "shared"})
	b, _ := newStore(t, srv, redisstore.Config{Namespace: "shared"})
	other, _ := newStore(t, srv, redisstore.Config{Namespace: "other"})

	set := activity.CounterSet(0).With(activity.Views).With(activity.Actions)
	require.NoError(t, a.Add(ctx, 7, 100, set, 1234))
	require.NoError(t, a.Add(ctx, 7, 101, set, 1000))

	dst := make([]uint32, 2*activity.NumCounters)
	last, err := b.Read(ctx, 7, 100, dst)
	require.NoError(t, err)
	assert.Equal(t, int64(1234), last, "last-activity time only rises")
	assert.Equal(t, uint32(1), dst[int(activity.Views)*2+0])
	assert.Equal(t, uint32(1), dst[int(activity.Views)*2+1])
	assert.Equal(t, uint32(0), dst[int(activity.Contacts)*2+0])

	last, err = other.Read(ctx, 7, 100, dst)
	require.NoError(t, err)
	assert.Zero(t, last)
	for i, v := range dst {
		assert.Zero(t, v, "entry %d", i)
	}
}

// Buckets expire Buckets+1 buckets after their last write.
func TestBucketExpiry(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	s, rdb := newStore(t, srv, redisstore.Config{Namespace: "ttl", Bucket: time.Hour, Buckets: 3})
	require.NoError(t, s.Add(ctx, 1, 5, activity.CounterSet(0).With(activity.Views), 0))
	ttl, err := rdb.PTTL(ctx, "ttl:{u1}:b:5").Result()
	require.NoError(t, err)
	assert.InDelta(t, (4 * time.Hour).Seconds(), ttl.Seconds(), 5)
	n, err := rdb.Exists(ctx, "ttl:{u1}:last").Result()
	require.NoError(t, err)
	assert.Zero(t, n, "at = 0 leaves the last-activity time alone")
}

// Concurrent Adds from many goroutines all count (HINCRBY in one script).
func TestConcurrentAdds(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	s, _ := newStore(t, srv, redisstore.Config{Namespace: "conc"})
	set := activity.CounterSet(0).With(activity.Contacts).With(activity.Actions)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				assert.NoError(t, s.Add(ctx, 3, 42, set, int64(g*100+i)))
			}
		})
	}
	wg.Wait()
	dst := make([]uint32, activity.NumCounters)
	last, err := s.Read(ctx, 3, 42, dst)
	require.NoError(t, err)
	assert.Equal(t, uint32(400), dst[activity.Contacts])
	assert.Equal(t, uint32(400), dst[activity.Actions])
	assert.Equal(t, int64(749), last)
}

// When Redis goes away the Store fails fast with ErrUnavailable during the
// cooldown, and works again once Redis is back and the cooldown has passed.
func TestOutageAndRecovery(t *testing.T) {
	srv := redistest.Start(t)
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s, _ := newStore(t, srv, redisstore.Config{Namespace: "out", Cooldown: time.Minute, Clock: clock})
	set := activity.CounterSet(0).With(activity.Views)
	require.NoError(t, s.Add(ctx, 1, 1, set, 10))

	srv.Stop()
	err := s.Add(ctx, 1, 1, set, 11)
	require.Error(t, err)
	assert.NotErrorIs(t, err, redisstore.ErrUnavailable, "the first failure is Redis's own")
	dst := make([]uint32, activity.NumCounters)
	_, err = s.Read(ctx, 1, 1, dst)
	assert.ErrorIs(t, err, redisstore.ErrUnavailable, "during the cooldown the Store fails fast")
	assert.Error(t, s.Ping(ctx))

	srv.Restart()
	_, err = s.Read(ctx, 1, 1, dst)
	assert.ErrorIs(t, err, redisstore.ErrUnavailable, "still cooling down")
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	require.NoError(t, s.Add(ctx, 1, 1, set, 12))
	_, err = s.Read(ctx, 1, 1, dst)
	require.NoError(t, err)
	assert.Equal(t, uint32(1), dst[activity.Views], "the restarted Redis lost the old counts (no persistence)")

	// Ping closes the cooldown at once.
	srv.Stop()
	require.Error(t, s.Add(ctx, 1, 1, set, 13))
	srv.Restart()
	require.NoError(t, s.Ping(ctx))
	require.NoError(t, s.Add(ctx, 1, 1, set, 14))
}

func TestConfigErrors(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	for _, tc := range []struct {
		name string
		cfg  redisstore.Config
	}{
		{"bucket", redisstore.Config{Bucket: time.Millisecond}},
		{"buckets", redisstore.Config{Buckets: -1}},
		{"cooldown", redisstore.Config{Cooldown: -time.Second}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := redisstore.New(rdb, tc.cfg)
			assert.ErrorIs(t, err, redisstore.ErrConfig)
		})
	}
	_, err := redisstore.New(nil, redisstore.Config{})
	assert.True(t, errors.Is(err, redisstore.ErrConfig))
}
