package twoway

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/exposure"
	"github.com/twowayrec/twoway/market"
)

// The in-memory stores pass their conformance kits.
func TestMemoryStoresConform(t *testing.T) {
	ctx := context.Background()
	require.NoError(t, CheckPairStore(ctx, &MemoryPairs{}))
	led, err := NewMemoryExposure(24*time.Hour, time.Hour)
	require.NoError(t, err)
	require.NoError(t, CheckExposureStore(ctx, led))
	ids, err := NewMemoryEventIDs(time.Hour)
	require.NoError(t, err)
	require.NoError(t, CheckEventIDStore(ctx, ids))

	_, err = NewMemoryExposure(0, time.Hour)
	assert.ErrorIs(t, err, ErrConfig)
	_, err = NewMemoryEventIDs(-time.Second)
	assert.ErrorIs(t, err, ErrConfig)
}

// The kits catch a store that breaks its contract.
func TestKitsCatchBrokenStores(t *testing.T) {
	ctx := context.Background()
	assert.ErrorContains(t, CheckPairStore(ctx, forgetfulPairs{}), "Targets(check-a)")
	ids, err := NewMemoryEventIDs(time.Hour)
	require.NoError(t, err)
	assert.ErrorContains(t, CheckEventIDStore(ctx, alwaysFresh{ids}), "want [true true false]")
}

type forgetfulPairs struct{}

func (forgetfulPairs) AddPairs(context.Context, []Pair) error            { return nil }
func (forgetfulPairs) Targets(context.Context, string) ([]string, error) { return nil, nil }

type alwaysFresh struct{ *MemoryEventIDs }

func (a alwaysFresh) Claim(ctx context.Context, ids []string, at time.Time, fresh []bool) error {
	err := a.MemoryEventIDs.Claim(ctx, ids, at, fresh)
	for i := range fresh {
		fresh[i] = true
	}
	return err
}

// sharedStores is one market's shared serving state, as two servers of it
// would share through Redis.
type sharedStores struct {
	counters *activity.Memory
	seen     *MemoryPairs
	blocked  *MemoryPairs
	ledger   *MemoryExposure
	ids      *MemoryEventIDs
}

func newSharedStores(t *testing.T) *sharedStores {
	led, err := NewMemoryExposure(exposure.DefaultHalfLife, exposure.DefaultHalfLife)
	require.NoError(t, err)
	ids, err := NewMemoryEventIDs(7 * 24 * time.Hour)
	require.NoError(t, err)
	return &sharedStores{counters: activity.NewMemory(64), seen: &MemoryPairs{}, blocked: &MemoryPairs{}, ledger: led, ids: ids}
}

func (s *sharedStores) config() Config {
	return Config{Realtime: s.counters, Seen: s.seen, Blocked: s.blocked, Ledger: s.ledger, EventIDs: s.ids}
}

// sharedMarket starts an Engine on cfg with two seekers and three jobs,
// upserted in one order (so every Engine gives them the same indices).
func sharedMarket(t testing.TB, cfg Config, at time.Time) *Engine {
	cfg.Clock = func() time.Time { return at }
	e, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, e.Close()) })
	require.NoError(t, e.Upsert(context.Background(),
		market.Profile{ID: "s1", Side: market.Seeker, Title: "Go developer", Skills: []string{"go"}, Registered: at},
		market.Profile{ID: "s2", Side: market.Seeker, Title: "Go developer", Skills: []string{"go"}, Registered: at},
		market.Profile{ID: "j1", Side: market.Recruiter, Title: "Go engineer", Skills: []string{"go"}, Registered: at},
		market.Profile{ID: "j2", Side: market.Recruiter, Title: "Go engineer", Skills: []string{"go"}, Registered: at},
		market.Profile{ID: "j3", Side: market.Recruiter, Title: "Go engineer", Skills: []string{"go"}, Registered: at}))
	return e
}

func resultIDs(t *testing.T, e *Engine, id string) []string {
	t.Helper()
	resp, err := e.Recommend(context.Background(), Request{ID: id, N: 10, DryRun: true})
	require.NoError(t, err)
	var out []string
	for _, r := range resp.Results {
		out = append(out, r.ID)
	}
	slices.Sort(out)
	return out
}

// Issue 19: two Engines sharing one set of stores serve one market. A chat
// recorded on A removes the pair from B's lists, a rejection on A blocks
// it both ways on B, the exposure ledger counts both Engines' lists, and
// an event delivered to both is counted once in the shared counters.
func TestTwoEnginesShareServingState(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	shared := newSharedStores(t)
	a := sharedMarket(t, shared.config(), at)
	b := sharedMarket(t, shared.config(), at)
	require.Equal(t, []string{"j1", "j2", "j3"}, resultIDs(t, b, "s1"))

	require.NoError(t, a.Record(ctx, market.Event{ID: "e1", Actor: "s1", Target: "j1", Action: market.Chat, Time: at}))
	assert.Equal(t, []string{"j2", "j3"}, resultIDs(t, b, "s1"), "the chat on A hides j1 from s1 on B")
	assert.Equal(t, []string{"j1", "j2", "j3"}, resultIDs(t, b, "s2"), "other requesters are not affected")

	require.NoError(t, a.Record(ctx, market.Event{ID: "e2", Actor: "j2", Target: "s2", Action: market.Reject, Time: at}))
	assert.Equal(t, []string{"j1", "j3"}, resultIDs(t, b, "s2"), "j2 rejected s2 on A: blocked both ways on B")
	assert.NotContains(t, resultIDs(t, b, "j2"), "s2")

	// The ledger is global: a list served on A and one on B both count.
	_, err := a.Recommend(ctx, Request{ID: "s2", N: 10})
	require.NoError(t, err)
	_, err = b.Recommend(ctx, Request{ID: "s1", N: 10})
	require.NoError(t, err)
	loads := make([]float64, 3)
	require.NoError(t, shared.ledger.Loads(ctx, at, []string{"j1", "j2", "j3"}, loads))
	// Before a Fit every impression counts 0.1 expected contacts.
	assert.InDelta(t, 0.1, loads[0], 1e-9, "j1: served by A to s2")
	assert.InDelta(t, 0.1, loads[1], 1e-9, "j2: served by B to s1")
	assert.InDelta(t, 0.2, loads[2], 1e-9, "j3: served by both")
	// Neither Engine's own ledger counted anything: the shared one did.
	assert.Zero(t, a.control.Ledger().Len())
	assert.Zero(t, b.control.Ledger().Len())

	// An event delivered to both Engines (and again to A) counts once in
	// the shared counters, and each Engine still takes it into its own
	// state.
	ev := market.Event{ID: "e3", Actor: "s2", Target: "j3", Action: market.Apply, Time: at}
	require.NoError(t, a.Record(ctx, ev))
	require.NoError(t, b.Record(ctx, ev))
	require.NoError(t, a.Record(ctx, ev))
	s2, ok := a.dict.Lookup("s2")
	require.True(t, ok)
	s2b, _ := b.dict.Lookup("s2")
	require.Equal(t, s2, s2b)
	dst := make([]uint32, activity.NumCounters)
	bucket := at.Unix() / int64(a.tracker.Config().Bucket/time.Second)
	_, err = shared.counters.Read(ctx, s2, bucket, dst)
	require.NoError(t, err)
	assert.Equal(t, uint32(1), dst[activity.Actions], "s2's actions: the event counted once")
	assert.Equal(t, 1, a.Stats().Duplicates)
	assert.Equal(t, 1, b.Stats().Duplicates)
	assert.Len(t, b.log, 1, "B keeps the event in its own log")
	assert.Len(t, a.log, 3)
	assert.Equal(t, []string{"j1"}, resultIDs(t, b, "s2"), "j3 applied to on B, j2 blocked")
}

// A store that fails does not stop the Engine: Record keeps the events in
// this process and returns the error; Recommend answers from this
// process's state and reports StoreErr; nothing panics.
func TestSharedStoreFailureDegrades(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	down := errors.New("store down")
	obs := &requestLog{}
	e := sharedMarket(t, Config{Seen: failingPairs{down}, Blocked: failingPairs{down}, Ledger: failingLedger{down}, EventIDs: failingIDs{down}, Observer: obs}, at)
	err := e.Record(ctx, market.Event{ID: "e1", Actor: "s1", Target: "j1", Action: market.Chat, Time: at})
	assert.ErrorIs(t, err, down)
	assert.Len(t, e.log, 1, "the event is kept in this process")
	assert.Equal(t, []string{"j2", "j3"}, resultIDs(t, e, "s1"), "this process's seen set still applies")
	_, err = e.Recommend(ctx, Request{ID: "s2"})
	require.NoError(t, err)
	assert.True(t, obs.last().StoreErr)
	require.NoError(t, e.Fit(ctx))
	_, err = e.Explain(ctx, "s2", "j1")
	require.NoError(t, err, "Explain reads the ledger too")
	_, err = e.Recommend(ctx, Request{ID: "s2"})
	require.NoError(t, err)
	assert.True(t, obs.last().StoreErr)
}

// A shared ledger whose half-life or repeat window disagrees with the
// Engine's exposure configuration is a configuration error.
func TestSharedLedgerMustMatchExposure(t *testing.T) {
	led, err := NewMemoryExposure(time.Hour, time.Hour)
	require.NoError(t, err)
	_, err = New(Config{Ledger: led})
	assert.ErrorIs(t, err, ErrConfig)
	assert.ErrorContains(t, err, "Ledger")
}

type requestLog struct {
	mu    sync.Mutex
	stats []RequestStats
}

func (r *requestLog) Request(s RequestStats) {
	r.mu.Lock()
	r.stats = append(r.stats, s)
	r.mu.Unlock()
}
func (r *requestLog) Events(EventStats) {}
func (r *requestLog) Fit(Progress)      {}
func (r *requestLog) last() RequestStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats[len(r.stats)-1]
}

type failingPairs struct{ err error }

func (f failingPairs) AddPairs(context.Context, []Pair) error            { return f.err }
func (f failingPairs) Targets(context.Context, string) ([]string, error) { return nil, f.err }

type failingLedger struct{ err error }

func (f failingLedger) Serve(context.Context, string, time.Time, []string, []float64) (int, error) {
	return 0, f.err
}
func (f failingLedger) Loads(context.Context, time.Time, []string, []float64) error { return f.err }
func (failingLedger) HalfLife() time.Duration                                       { return exposure.DefaultHalfLife }
func (failingLedger) RepeatWindow() time.Duration                                   { return exposure.DefaultHalfLife }

type failingIDs struct{ err error }

func (f failingIDs) Claim(context.Context, []string, time.Time, []bool) error { return f.err }

// Two Engines on one set of shared stores, recording and recommending at
// once (each event sent to both, as two consumers of one stream would):
// no deadlock (a watchdog dumps the goroutines after 30 s without
// progress), no race, and afterwards both agree on what is hidden.
func TestTwoEnginesConcurrent(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	shared := newSharedStores(t)
	engines := []*Engine{sharedMarket(t, shared.config(), at), sharedMarket(t, shared.config(), at)}
	wd := newWatchdog(t, 30*time.Second)
	defer wd.stop()
	seekers, jobs := []string{"s1", "s2"}, []string{"j1", "j2", "j3"}
	var wg sync.WaitGroup
	for k, e := range engines {
		wg.Go(func() {
			for i := range 60 {
				ev := market.Event{ID: "v" + string(rune('a'+i%26)) + string(rune('0'+i/26)), Actor: seekers[i%2], Target: jobs[i%3], Action: market.View, Time: at}
				if i == 41 {
					ev = market.Event{ID: "chat", Actor: "s2", Target: "j2", Action: market.Chat, Time: at}
				}
				if err := e.Record(ctx, ev); err != nil {
					t.Errorf("engine %d, event %d: %v", k, i, err)
					return
				}
				wd.tick()
			}
		})
		wg.Go(func() {
			for i := range 60 {
				if _, err := e.Recommend(ctx, Request{ID: seekers[i%2], N: 3}); err != nil {
					t.Errorf("engine %d, request %d: %v", k, i, err)
					return
				}
				wd.tick()
			}
		})
	}
	wg.Wait()
	for _, e := range engines {
		assert.Equal(t, []string{"j1", "j3"}, resultIDs(t, e, "s2"))
	}
	assert.Equal(t, 60, engines[0].Stats().Duplicates+engines[1].Stats().Duplicates, "60 distinct IDs, each sent to both: one of each pair is a duplicate")
}

// plainErrors is a MemoryExposure whose Serve refuses bad calls with an
// error that does not wrap ErrBadRequest.
type plainErrors struct{ *MemoryExposure }

func (p plainErrors) Serve(ctx context.Context, requester string, at time.Time, candidates []string, expected []float64) (int, error) {
	if CheckServe(requester, at, candidates, expected) != nil {
		return 0, errors.New("no")
	}
	return p.MemoryExposure.Serve(ctx, requester, at, candidates, expected)
}

// The kit holds every store to CheckServe's errors.
func TestCheckExposureStoreWantsBadRequest(t *testing.T) {
	led, err := NewMemoryExposure(24*time.Hour, time.Hour)
	require.NoError(t, err)
	err = CheckExposureStore(context.Background(), plainErrors{led})
	require.Error(t, err)
	assert.ErrorContains(t, err, "ErrBadRequest")
}
