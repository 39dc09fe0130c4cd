package twoway

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
)

func dedupeMarket(t *testing.T, cfg Config) (*Engine, time.Time) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	cfg.Clock = func() time.Time { return at }
	e, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, e.Close()) })
	require.NoError(t, e.Upsert(context.Background(),
		market.Profile{ID: "s1", Side: market.Seeker, Title: "Go developer", Registered: at},
		market.Profile{ID: "j1", Side: market.Recruiter, Title: "Go engineer", Registered: at}))
	return e, at
}

// Issue 19: when several servers consume one event stream, or a queue
// redelivers, an event with an ID is counted once.
func TestEventIDsAreCountedOnce(t *testing.T) {
	e, at := dedupeMarket(t, Config{})
	ctx := context.Background()
	ev := market.Event{ID: "e-1", Actor: "s1", Target: "j1", Action: market.Apply, Time: at}
	for range 3 {
		require.NoError(t, e.Record(ctx, ev, ev))
	}
	require.NoError(t, e.Record(ctx, market.Event{Actor: "s1", Target: "j1", Action: market.View, Time: at}))
	assert.Len(t, e.log, 2, "the event with an ID once, the one without once")
	assert.Equal(t, 5, e.Stats().Duplicates)

	// The retention window: after it the same ID counts again.
	e2, at2 := dedupeMarket(t, Config{EventIDRetention: time.Hour})
	require.NoError(t, e2.Record(ctx, market.Event{ID: "x", Actor: "s1", Target: "j1", Action: market.View, Time: at2.Add(-3 * time.Hour)}))
	require.NoError(t, e2.Record(ctx, market.Event{ID: "x", Actor: "s1", Target: "j1", Action: market.View, Time: at2}))
	assert.Len(t, e2.log, 2)

	bad := market.Event{ID: string(bytes.Repeat([]byte{'i'}, market.MaxIDLen+1)), Actor: "s1", Target: "j1", Action: market.View, Time: at}
	assert.ErrorIs(t, e.Record(ctx, bad), market.ErrIDTooLong)
}

// Issue 19: events naming a profile not upserted yet (profiles and events
// on different streams) can be skipped or parked instead of failing the
// batch.
func TestUnknownParticipantPolicies(t *testing.T) {
	ctx := context.Background()
	e, at := dedupeMarket(t, Config{})
	early := market.Event{Actor: "s2", Target: "j1", Action: market.Apply, Time: at}
	known := market.Event{Actor: "s1", Target: "j1", Action: market.View, Time: at}
	assert.ErrorIs(t, e.Record(ctx, known, early), market.ErrUnknownID, "rejected by default")
	assert.Empty(t, e.log, "nothing of the batch stored")

	s, _ := dedupeMarket(t, Config{Unknown: SkipUnknown})
	require.NoError(t, s.Record(ctx, known, early))
	assert.Len(t, s.log, 1)
	assert.Equal(t, 1, s.Stats().Skipped)

	p, at := dedupeMarket(t, Config{Unknown: ParkUnknown, ParkLimit: 1})
	require.NoError(t, p.Record(ctx, known, early, market.Event{Actor: "s3", Target: "j1", Action: market.View, Time: at}))
	assert.Len(t, p.log, 1)
	st := p.Stats()
	assert.Equal(t, 1, st.Parked, "one parked")
	assert.Equal(t, 1, st.Skipped, "the other over ParkLimit")
	require.NoError(t, p.Upsert(ctx, market.Profile{ID: "s2", Side: market.Seeker, Registered: at}))
	assert.Len(t, p.log, 2, "the parked event is recorded once its profile arrives")
	assert.Zero(t, p.Stats().Parked)
}
