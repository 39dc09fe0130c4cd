package redisstore_test

import (
	"context"
	"math"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/exposure"
	"github.com/twowayrec/twoway/redisstore"
	"github.com/twowayrec/twoway/redisstore/redistest"
)

func newClient(t *testing.T, srv *redistest.Server) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, DialTimeout: 200 * time.Millisecond, ReadTimeout: 500 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// The shared-state stores pass the library's conformance kits against a
// real redis-server.
func TestSharedStoresConform(t *testing.T) {
	srv := redistest.Start(t)
	sharedStoresConform(t, newClient(t, srv))
}

// The same on a Redis Cluster of three masters, which refuses a script or
// command whose keys span slots.
func TestSharedStoresConformOnCluster(t *testing.T) {
	c := redistest.StartCluster(t, 3)
	rdb := c.Client(t)
	sharedStoresConform(t, rdb)
	st, err := redisstore.New(rdb, redisstore.Config{Namespace: "kitc", Buckets: 8})
	require.NoError(t, err)
	require.NoError(t, activity.CheckStore(context.Background(), st))
	// The kit's participants landed on more than one master.
	var masters atomic.Int32 // ForEachMaster calls concurrently
	require.NoError(t, rdb.ForEachMaster(context.Background(), func(ctx context.Context, m *redis.Client) error {
		n, err := m.DBSize(ctx).Result()
		if n > 0 {
			masters.Add(1)
		}
		return err
	}))
	assert.Greater(t, masters.Load(), int32(1))
}

func sharedStoresConform(t *testing.T, rdb redis.UniversalClient) {
	ctx := context.Background()

	seen, err := redisstore.NewPairs(rdb, "seen", redisstore.Config{Namespace: "kit"})
	require.NoError(t, err)
	require.NoError(t, twoway.CheckPairStore(ctx, seen))
	// Another kind in the same namespace is another set.
	blocked, err := redisstore.NewPairs(rdb, "blocked", redisstore.Config{Namespace: "kit"})
	require.NoError(t, err)
	got, err := blocked.Targets(ctx, "check-a")
	require.NoError(t, err)
	assert.Empty(t, got)

	led, err := redisstore.NewLedger(rdb, redisstore.Config{Namespace: "kit", RepeatWindow: time.Hour})
	require.NoError(t, err)
	require.NoError(t, twoway.CheckExposureStore(ctx, led))

	ids, err := redisstore.NewEventIDs(rdb, redisstore.Config{Namespace: "kit"})
	require.NoError(t, err)
	require.NoError(t, twoway.CheckEventIDStore(ctx, ids))
}

// Keys carry the participant's ID as a hash tag, so a participant's keys
// live in one Redis Cluster slot.
func TestSharedKeysAreHashTagged(t *testing.T) {
	srv := redistest.Start(t)
	rdb := newClient(t, srv)
	ctx := context.Background()
	seen, err := redisstore.NewPairs(rdb, "seen", redisstore.Config{Namespace: "tw"})
	require.NoError(t, err)
	require.NoError(t, seen.AddPairs(ctx, []twoway.Pair{{From: "s1", To: "j1"}}))
	led, err := redisstore.NewLedger(rdb, redisstore.Config{Namespace: "tw"})
	require.NoError(t, err)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	n, err := led.Serve(ctx, "s1", at, []string{"j1"}, []float64{0.5})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	ids, err := redisstore.NewEventIDs(rdb, redisstore.Config{Namespace: "tw"})
	require.NoError(t, err)
	require.NoError(t, ids.Claim(ctx, []string{"e1"}, at, make([]bool, 1)))

	keys, err := rdb.Keys(ctx, "tw:*").Result()
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{"tw:{s1}:seen", "tw:{j1}:led", "tw:{j1}:rep:s1", "tw:ev:{e1}"}, keys)
	ttl, err := rdb.PTTL(ctx, "tw:{j1}:led").Result()
	require.NoError(t, err)
	assert.InDelta(t, (20 * exposure.DefaultHalfLife).Seconds(), ttl.Seconds(), 5, "a ledger entry expires once decayed to nothing (20 half-lives)")
	ttl, err = rdb.PTTL(ctx, "tw:ev:{e1}").Result()
	require.NoError(t, err)
	assert.InDelta(t, (7 * 24 * time.Hour).Seconds(), ttl.Seconds(), 5)
}

// The ledger keeps full precision through Lua (Redis' own number
// conversion keeps 14 digits) and a corrupt entry is an error, not a
// panic or a silent zero.
func TestLedgerPrecisionAndCorruption(t *testing.T) {
	srv := redistest.Start(t)
	rdb := newClient(t, srv)
	ctx := context.Background()
	led, err := redisstore.NewLedger(rdb, redisstore.Config{Namespace: "p"})
	require.NoError(t, err)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	x := 0.1234567890123456789
	_, err = led.Serve(ctx, "r", at, []string{"c"}, []float64{x})
	require.NoError(t, err)
	loads := make([]float64, 1)
	require.NoError(t, led.Loads(ctx, at, []string{"c"}, loads))
	assert.Equal(t, x, loads[0])
	_, err = led.Serve(ctx, "r2", at.Add(time.Hour), []string{"c"}, []float64{1})
	require.NoError(t, err)
	require.NoError(t, led.Loads(ctx, at.Add(time.Hour), []string{"c"}, loads))
	assert.InDelta(t, x*math.Exp2(-float64(time.Hour)/float64(exposure.DefaultHalfLife))+1, loads[0], 1e-12)

	require.NoError(t, rdb.HSet(ctx, "p:{c}:led", "l", "garbage").Err())
	err = led.Loads(ctx, at, []string{"c"}, loads)
	assert.ErrorContains(t, err, `candidate "c": corrupt ledger entry`)
}

// Every store fails fast during the cooldown after Redis went away, and
// works again after it.
func TestSharedStoresFailFast(t *testing.T) {
	srv := redistest.Start(t)
	rdb := newClient(t, srv)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	cfg := redisstore.Config{Namespace: "ff", Cooldown: time.Minute, Clock: clock}
	seen, err := redisstore.NewPairs(rdb, "seen", cfg)
	require.NoError(t, err)
	led, err := redisstore.NewLedger(rdb, cfg)
	require.NoError(t, err)
	ids, err := redisstore.NewEventIDs(rdb, cfg)
	require.NoError(t, err)

	srv.Stop()
	require.Error(t, seen.AddPairs(ctx, []twoway.Pair{{From: "a", To: "b"}}))
	_, err = seen.Targets(ctx, "a")
	assert.ErrorIs(t, err, redisstore.ErrUnavailable)
	_, err = led.Serve(ctx, "a", now, []string{"b"}, []float64{1})
	require.Error(t, err)
	assert.ErrorIs(t, led.Loads(ctx, now, []string{"b"}, make([]float64, 1)), redisstore.ErrUnavailable)
	require.Error(t, ids.Claim(ctx, []string{"e"}, now, make([]bool, 1)))
	assert.ErrorIs(t, ids.Claim(ctx, []string{"e"}, now, make([]bool, 1)), redisstore.ErrUnavailable)

	srv.Restart()
	require.NoError(t, seen.Ping(ctx), "Ping closes the cooldown")
	require.NoError(t, seen.AddPairs(ctx, []twoway.Pair{{From: "a", To: "b"}}))
	now = now.Add(2 * time.Minute)
	require.NoError(t, led.Loads(ctx, now, []string{"b"}, make([]float64, 1)), "after the cooldown")
}

func TestSharedConfigErrors(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"})
	defer rdb.Close()
	_, err := redisstore.NewPairs(rdb, "", redisstore.Config{})
	assert.ErrorIs(t, err, redisstore.ErrConfig)
	_, err = redisstore.NewPairs(rdb, "a:b", redisstore.Config{})
	assert.ErrorIs(t, err, redisstore.ErrConfig)
	_, err = redisstore.NewPairs(nil, "seen", redisstore.Config{})
	assert.ErrorIs(t, err, redisstore.ErrConfig)
	_, err = redisstore.NewLedger(rdb, redisstore.Config{HalfLife: -time.Hour})
	assert.ErrorIs(t, err, redisstore.ErrConfig)
	_, err = redisstore.NewEventIDs(rdb, redisstore.Config{Retention: -time.Hour})
	assert.ErrorIs(t, err, redisstore.ErrConfig)
}

// The stores derived from one Store share its cooldown: after one failed,
// all fail fast.
func TestDerivedStoresShareCooldown(t *testing.T) {
	srv := redistest.Start(t)
	rdb := newClient(t, srv)
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	st, err := redisstore.New(rdb, redisstore.Config{Namespace: "d", Cooldown: time.Minute, Clock: func() time.Time { return now }, RepeatWindow: time.Hour})
	require.NoError(t, err)
	seen, err := st.Pairs("seen")
	require.NoError(t, err)
	led, ids := st.Ledger(), st.EventIDs()
	assert.Equal(t, time.Hour, led.RepeatWindow())
	require.NoError(t, seen.AddPairs(ctx, []twoway.Pair{{From: "a", To: "b"}}))
	_, err = st.Pairs("c")
	assert.ErrorIs(t, err, redisstore.ErrConfig)

	srv.Stop()
	_, err = seen.Targets(ctx, "a")
	require.Error(t, err)
	assert.NotErrorIs(t, err, redisstore.ErrUnavailable, "the first failure is Redis's own")
	assert.ErrorIs(t, led.Loads(ctx, now, []string{"b"}, make([]float64, 1)), redisstore.ErrUnavailable)
	assert.ErrorIs(t, ids.Claim(ctx, []string{"e"}, now, make([]bool, 1)), redisstore.ErrUnavailable)
	assert.ErrorIs(t, st.Err(), redisstore.ErrUnavailable)
}

// An ID holding '{', '}' or '%' keeps its keys to itself: unescaped,
// the seen-set of participant "vic}:c:once:e1" was the key of "vic"'s
// marker for event "e1}:seen", so that event silently went uncounted for
// "vic"; and an ID starting with '}' spread one participant's keys over
// cluster slots. On a three-master cluster, so that a tag that does not
// hold the whole ID would fail with CROSSSLOT.
func TestHostileIDsKeepTheirOwnKeys(t *testing.T) {
	ctx := context.Background()
	c := redistest.StartCluster(t, 3)
	rdb := c.Client(t)
	cfg := redisstore.Config{Namespace: "tw", Buckets: 4}
	seen, err := redisstore.NewPairs(rdb, "seen", cfg)
	require.NoError(t, err)
	st, err := redisstore.New(rdb, cfg)
	require.NoError(t, err)
	set := activity.CounterSet(0).With(activity.Contacts)
	require.NoError(t, seen.AddPairs(ctx, []twoway.Pair{{From: "vic}:c:once:e1", To: "vic"}}))
	added, err := st.AddIDOnce(ctx, "vic", 100, set, 1_700_000_000, "e1}:seen")
	require.NoError(t, err)
	assert.True(t, added, "vic's event counts: the other ID's set is not its marker")
	got, err := seen.Targets(ctx, "vic}:c:once:e1")
	require.NoError(t, err)
	assert.Equal(t, []string{"vic"}, got)

	led, err := redisstore.NewLedger(rdb, redisstore.Config{Namespace: "tw", RepeatWindow: time.Hour})
	require.NoError(t, err)
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for _, id := range []string{"}j", "{j}", "j%7D", "j}", "%"} {
		n, err := led.Serve(ctx, "s1", at, []string{id}, []float64{0.5})
		require.NoError(t, err, "%q: its ledger and repeat keys share a slot", id)
		assert.Equal(t, 1, n, id)
		added, err := st.AddIDOnce(ctx, id, 100, set, 1_700_000_000, "ev")
		require.NoError(t, err, id)
		assert.True(t, added, "%q: its own marker", id)
	}
	loads := make([]float64, 5)
	require.NoError(t, led.Loads(ctx, at, []string{"}j", "{j}", "j%7D", "j}", "%"}, loads))
	assert.Equal(t, []float64{0.5, 0.5, 0.5, 0.5, 0.5}, loads, "\"j}\" and \"j%%7D\" are two participants")
}
