package redisstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway"
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
