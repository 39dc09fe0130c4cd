package redisstore_test

import (
	"context"
	"slices"
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

// server is one application server of the market: an Engine whose shared
// serving state lives in Redis, on its own client (as in its own process).
type server struct {
	engine   *twoway.Engine
	counters *redisstore.Store
	ledger   *redisstore.Ledger
}

func newServer(t *testing.T, rdb redis.UniversalClient, at time.Time, reverse bool) *server {
	cfg := redisstore.Config{Namespace: "market"}
	counters, err := redisstore.New(rdb, cfg)
	require.NoError(t, err)
	seen, err := redisstore.NewPairs(rdb, "seen", cfg)
	require.NoError(t, err)
	blocked, err := redisstore.NewPairs(rdb, "blocked", cfg)
	require.NoError(t, err)
	ledger, err := redisstore.NewLedger(rdb, cfg)
	require.NoError(t, err)
	ids, err := redisstore.NewEventIDs(rdb, cfg)
	require.NoError(t, err)
	e, err := twoway.New(twoway.Config{
		Clock:    func() time.Time { return at },
		Realtime: counters, Seen: seen, Blocked: blocked, Ledger: ledger, EventIDs: ids,
	})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, e.Close()) })
	var ps []market.Profile
	for _, id := range []string{"s1", "s2"} {
		ps = append(ps, market.Profile{ID: id, Side: market.Seeker, Title: "Go developer", Skills: []string{"go"}, Registered: at})
	}
	for _, id := range []string{"j1", "j2", "j3"} {
		ps = append(ps, market.Profile{ID: id, Side: market.Recruiter, Title: "Go engineer", Skills: []string{"go"}, Registered: at})
	}
	if reverse {
		slices.Reverse(ps) // another process, which took the profiles in another order
	}
	require.NoError(t, e.Upsert(context.Background(), ps...))
	return &server{engine: e, counters: counters, ledger: ledger}
}

func (s *server) list(t *testing.T, id string) []string {
	t.Helper()
	resp, err := s.engine.Recommend(context.Background(), twoway.Request{ID: id, N: 10, DryRun: true})
	require.NoError(t, err)
	var out []string
	for _, r := range resp.Results {
		out = append(out, r.ID)
	}
	slices.Sort(out)
	return out
}

// Issue 19, "two servers, one market": two Engines over one Redis. A chat
// recorded on A removes the pair from B's lists and a rejection blocks it
// both ways; the exposure ledger counts the lists of both; an event
// delivered to both servers (and redelivered) is counted once in the
// shared counters.
func TestTwoServersOneMarket(t *testing.T) {
	srv := redistest.Start(t)
	twoServersOneMarket(t, newClient(t, srv), newClient(t, srv))
}

// The same over a Redis Cluster of three masters started by the test
// (each server with its own cluster client): every script and pipeline
// finds its keys in one slot.
func TestTwoServersOneMarketOnCluster(t *testing.T) {
	c := redistest.StartCluster(t, 3)
	twoServersOneMarket(t, c.Client(t), c.Client(t))
}

func twoServersOneMarket(t *testing.T, rdbA, rdbB redis.UniversalClient) {
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	a, b := newServer(t, rdbA, at, false), newServer(t, rdbB, at, true)
	require.Equal(t, []string{"j1", "j2", "j3"}, b.list(t, "s1"))

	require.NoError(t, a.engine.Record(ctx, market.Event{ID: "e1", Actor: "s1", Target: "j1", Action: market.Chat, Time: at}))
	assert.Equal(t, []string{"j2", "j3"}, b.list(t, "s1"), "the chat on A hides j1 from s1 on B")
	require.NoError(t, b.engine.Record(ctx, market.Event{ID: "e2", Actor: "j2", Target: "s2", Action: market.Reject, Time: at}))
	assert.Equal(t, []string{"j1", "j3"}, a.list(t, "s2"), "the rejection on B blocks the pair on A")
	assert.NotContains(t, a.list(t, "j2"), "s2")

	_, err := a.engine.Recommend(ctx, twoway.Request{ID: "s2", N: 10})
	require.NoError(t, err)
	_, err = b.engine.Recommend(ctx, twoway.Request{ID: "s1", N: 10})
	require.NoError(t, err)
	_, err = b.engine.Recommend(ctx, twoway.Request{ID: "s2", N: 10})
	require.NoError(t, err) // s2 again, on the other server: within the repeat window, not counted
	loads := make([]float64, 3)
	require.NoError(t, a.ledger.Loads(ctx, at, []string{"j1", "j2", "j3"}, loads))
	assert.InDelta(t, 0.1, loads[0], 1e-9, "j1: shown to s2 (twice, on two servers: once)")
	assert.InDelta(t, 0.1, loads[1], 1e-9, "j2: shown to s1 on B")
	assert.InDelta(t, 0.2, loads[2], 1e-9, "j3: shown to s1 and s2")

	ev := market.Event{ID: "e3", Actor: "s2", Target: "j3", Action: market.Apply, Time: at}
	require.NoError(t, a.engine.Record(ctx, ev))
	require.NoError(t, b.engine.Record(ctx, ev))
	require.NoError(t, b.engine.Record(ctx, ev))
	assert.Zero(t, a.engine.Stats().Duplicates)
	assert.Equal(t, 2, b.engine.Stats().Duplicates, "B: once claimed by A, once by B itself")
	// The Engines gave s2 different dense indices; the counters are by ID.
	dst := make([]uint32, activity.NumCounters)
	bucket := at.Unix() / int64((24 * time.Hour).Seconds())
	_, err = a.counters.ReadID(ctx, "s2", bucket, dst)
	require.NoError(t, err)
	assert.Equal(t, uint32(1), dst[activity.Actions], "s2's one action, counted once")
	assert.Equal(t, uint32(1), dst[activity.Contacts], "s2 applied once")
	_, err = a.counters.ReadID(ctx, "j3", bucket, dst)
	require.NoError(t, err)
	assert.Equal(t, uint32(1), dst[activity.ContactsReceived], "j3 received one contact")
	_, err = a.counters.ReadID(ctx, "s1", bucket, dst)
	require.NoError(t, err)
	assert.Equal(t, uint32(1), dst[activity.Actions], "s1's chat, counted by A under s1's ID")
	assert.Equal(t, []string{"j1"}, a.list(t, "s2"))
	assert.Equal(t, []string{"j1"}, b.list(t, "s2"))
}
