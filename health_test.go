package twoway

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/internal/synth"
)

func TestPingReportsAStuckEngine(t *testing.T) {
	m, err := synth.Generate(synth.Config{Seed: 5, Seekers: 20, Jobs: 8, Events: 300, Days: 5})
	require.NoError(t, err)
	e := newEngine(t, m, true)
	ctx := context.Background()
	require.NoError(t, e.Ping(ctx))

	// A lock held for ever (what the deadlock of issue 15 did): the probe
	// cannot finish, Ping says so within its deadline, and a second Ping
	// answers at once while the first probe is stuck.
	e.mu.Lock()
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, e.Ping(short), ErrStalled)
	start := time.Now()
	assert.ErrorIs(t, e.Ping(ctx), ErrStalled)
	assert.Less(t, time.Since(start), time.Second, "a second Ping does not wait behind a stuck probe")
	e.mu.Unlock()
	require.Eventually(t, func() bool { return e.Ping(ctx) == nil }, 10*time.Second, 10*time.Millisecond)
}

func TestRebuildCountersAfterStoreLoss(t *testing.T) {
	m, err := synth.Generate(synth.Config{Seed: 5, Seekers: 30, Jobs: 10, Events: 800, Days: 5})
	require.NoError(t, err)
	store := &flushable{}
	store.Store(activity.NewMemory(64))
	e, err := New(Config{Clock: endOf(m), Seed: 7, Realtime: store})
	require.NoError(t, err)
	defer e.Close()
	ctx := context.Background()
	require.NoError(t, e.Upsert(ctx, m.Profiles...))
	require.NoError(t, e.Record(ctx, m.Events...))
	require.NoError(t, e.Fit(ctx))
	var before activity.Features
	ix := m.Pairs[len(m.Pairs)-1].Actor
	require.NoError(t, e.tracker.Features(ctx, ix, endOf(m)(), &before))
	require.NotZero(t, before.Counts, "the actor of the last event has counts")
	want, err := e.Recommend(ctx, Request{ID: m.Profiles[ix].ID, DryRun: true})
	require.NoError(t, err)

	// The store loses everything (a FLUSHALL).
	store.Store(activity.NewMemory(64))
	var lost activity.Features
	require.NoError(t, e.tracker.Features(ctx, ix, endOf(m)(), &lost))
	require.Zero(t, lost.Counts)

	require.NoError(t, e.RebuildCounters(ctx))
	var after activity.Features
	require.NoError(t, e.tracker.Features(ctx, ix, endOf(m)(), &after))
	assert.Equal(t, before, after)
	got, err := e.Recommend(ctx, Request{ID: m.Profiles[ix].ID, DryRun: true})
	require.NoError(t, err)
	assert.Equal(t, want.Results, got.Results)
}

// flushable is a real-time store that can lose its data at once, as a
// Redis FLUSHALL does.
type flushable struct {
	atomic.Pointer[activity.Memory]
}

func (f *flushable) Add(ctx context.Context, user uint32, bucket int64, set activity.CounterSet, at int64) error {
	return f.Load().Add(ctx, user, bucket, set, at)
}

func (f *flushable) Read(ctx context.Context, user uint32, first int64, dst []uint32) (int64, error) {
	return f.Load().Read(ctx, user, first, dst)
}

// A Ping right after a finished one never reports a stall (the probe's
// slot is free before the first Ping returns).
func TestPingBackToBack(t *testing.T) {
	m, err := synth.Generate(synth.Config{Seed: 5, Seekers: 10, Jobs: 4, Events: 80, Days: 3})
	require.NoError(t, err)
	e := newEngine(t, m, false)
	for range 200 {
		require.NoError(t, e.Ping(context.Background()))
	}
}
