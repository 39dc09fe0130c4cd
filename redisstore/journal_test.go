package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/redisstore"
	"github.com/twowayrec/twoway/redisstore/redistest"
)

// The Redis journal passes the library's kit on one redis-server and on a
// Redis Cluster of three masters.
func TestJournalConforms(t *testing.T) {
	srv := redistest.Start(t)
	j, err := redisstore.NewJournal(newClient(t, srv), redisstore.Config{Namespace: "kitj"})
	require.NoError(t, err)
	require.NoError(t, twoway.CheckJournal(context.Background(), j))
	assert.Equal(t, "kitj:{journal}", j.Key())
}

func TestJournalConformsOnCluster(t *testing.T) {
	c := redistest.StartCluster(t, 3)
	st, err := redisstore.New(c.Client(t), redisstore.Config{Namespace: "kitjc"})
	require.NoError(t, err)
	require.NoError(t, twoway.CheckJournal(context.Background(), st.Journal()))
}

// A journal whose Redis is down refuses appends at once (the cooldown),
// and an entry another program wrote into the stream reads as empty data.
func TestJournalOutageAndForeignEntries(t *testing.T) {
	ctx := context.Background()
	srv := redistest.Start(t)
	rdb := newClient(t, srv)
	j, err := redisstore.NewJournal(rdb, redisstore.Config{Namespace: "kitjo", Cooldown: time.Minute})
	require.NoError(t, err)
	_, err = j.Append(ctx, []byte(`{"v":1}`))
	require.NoError(t, err)
	require.NoError(t, rdb.XAdd(ctx, &redis.XAddArgs{Stream: j.Key(), Values: []any{"other", "x"}}).Err())
	got, err := j.Read(ctx, twoway.Offset{}, 10)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Empty(t, got[1].Data)

	srv.Stop()
	_, err = j.Append(ctx, []byte("x"))
	require.Error(t, err)
	start := time.Now()
	_, err = j.Append(ctx, []byte("x"))
	require.ErrorIs(t, err, redisstore.ErrUnavailable)
	_, err = j.Read(ctx, twoway.Offset{}, 1)
	require.ErrorIs(t, err, redisstore.ErrUnavailable)
	assert.Less(t, time.Since(start), 100*time.Millisecond, "fails fast in the cooldown")
	_, err = redisstore.NewJournal(nil, redisstore.Config{})
	assert.ErrorIs(t, err, redisstore.ErrConfig)
}

// AddIDOnce counts an event once per participant however often it is
// given, from any client: a retry after a process failed halfway fills in
// what is missing and adds nothing twice.
func TestAddIDOnce(t *testing.T) {
	ctx := context.Background()
	c := redistest.StartCluster(t, 3)
	a, err := redisstore.New(c.Client(t), redisstore.Config{Namespace: "once", Buckets: 4})
	require.NoError(t, err)
	b, err := redisstore.New(c.Client(t), redisstore.Config{Namespace: "once", Buckets: 4})
	require.NoError(t, err)
	set := activity.CounterSet(0).With(activity.Contacts).With(activity.Actions)
	added, err := a.AddIDOnce(ctx, "s{1}", 100, set, 1_700_000_000, "ev-1")
	require.NoError(t, err)
	assert.True(t, added)
	added, err = b.AddIDOnce(ctx, "s{1}", 100, set, 1_700_000_000, "ev-1")
	require.NoError(t, err)
	assert.False(t, added, "the same event from another client")
	added, err = b.AddIDOnce(ctx, "j1", 100, set, 0, "ev-1")
	require.NoError(t, err)
	assert.True(t, added, "the same event for its other participant")
	added, err = b.AddIDOnce(ctx, "s{1}", 100, set, 1_700_000_100, "ev-2")
	require.NoError(t, err)
	assert.True(t, added)
	dst := make([]uint32, activity.NumCounters)
	last, err := a.ReadID(ctx, "s{1}", 100, dst)
	require.NoError(t, err)
	assert.Equal(t, uint32(2), dst[activity.Contacts], "ev-1 once, ev-2 once")
	assert.Equal(t, int64(1_700_000_100), last)
	_, err = a.AddIDOnce(ctx, "s1", 100, set, 0, "")
	assert.Error(t, err, "an empty key")
	// Through a Tracker: a repeated event with an ID counts once.
	tr, err := activity.New(activity.Config{Store: activity.ByID(a, func(u uint32) (string, bool) { return []string{"x", "y"}[u], true })})
	require.NoError(t, err)
	require.True(t, tr.Once())
	at := time.Now()
	for range 3 {
		require.NoError(t, tr.Record(ctx, activity.Event{Actor: 0, Target: 1, Action: market.Chat, Time: at, ID: "ev-9"}))
	}
	require.NoError(t, tr.Record(ctx, activity.Event{Actor: 0, Target: 1, Action: market.Chat, Time: at}))
	_, err = a.ReadID(ctx, "x", at.Unix()/86400, dst)
	require.NoError(t, err)
	assert.Equal(t, uint32(2), dst[activity.Contacts], "the event with an ID once, the one without once")
}
