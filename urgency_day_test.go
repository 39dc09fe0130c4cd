package twoway

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/synth"
)

// Issue 18: urgency was never estimated on a young market (its inputs were
// taken a horizon before the Fit, before the market opened), so every
// requester got the same urgency. On a 3-day-old market it varies.
func TestUrgencyOnAYoungMarket(t *testing.T) {
	m, err := synth.Generate(synth.Config{Seed: 4, Seekers: 200, Jobs: 60, Events: 6000, Days: 3, ArrivalShare: -1})
	require.NoError(t, err)
	// A new platform: everybody signed up when it opened.
	for i := range m.Profiles {
		m.Profiles[i].Registered = m.Events[0].Time
	}
	e := newEngine(t, m, true)
	require.NotNil(t, e.state.Load().urgency, "an urgency model was fitted")
	seen := map[float64]bool{}
	for i := 0; i < len(m.Profiles); i += 5 {
		resp, err := e.Recommend(context.Background(), Request{ID: m.Profiles[i].ID, N: 1, DryRun: true})
		require.NoError(t, err)
		require.False(t, math.IsNaN(resp.Urgency), "%s has an urgency", m.Profiles[i].ID)
		seen[math.Round(resp.Urgency*1000)/1000] = true
	}
	assert.Greater(t, len(seen), 10, "urgency varies across requesters (distinct values to 3 decimals)")
}

// Issue 17: after a Fit with no events the Engine said Fitted yet answered
// Forward 0, Backward 0 in recall order, and Explain said ErrNotFitted.
// Now it ranks by the content similarity of the pair, says Forward and
// Backward are unknown (NaN, JSON null), and explains the content.
func TestColdStartRanksByContent(t *testing.T) {
	m, err := synth.Generate(synth.Config{Seed: 6, Seekers: 40, Jobs: 15})
	require.NoError(t, err)
	at := m.Config.Start.Add(24 * time.Hour)
	e, err := New(Config{Clock: func() time.Time { return at }, Seed: 7})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, e.Close()) })
	ctx := context.Background()
	require.NoError(t, e.Upsert(ctx, m.Profiles...))
	require.NoError(t, e.Fit(ctx)) // profiles only: no events
	resp, err := e.Recommend(ctx, Request{ID: m.Profiles[0].ID, N: 10, DryRun: true, Explain: true})
	require.NoError(t, err)
	require.True(t, resp.Fitted)
	require.Len(t, resp.Results, 10)
	for i, r := range resp.Results {
		assert.True(t, math.IsNaN(r.Forward) && math.IsNaN(r.Backward), "unknown one-way matches")
		assert.Positive(t, r.TwoWay, "content similarity")
		if i > 0 {
			assert.GreaterOrEqual(t, resp.Results[i-1].TwoWay, r.TwoWay, "ranked by it")
		}
		require.NotNil(t, r.Explanation)
		assert.Equal(t, "content", r.Explanation.Aggregator)
		assert.InDelta(t, r.TwoWay, r.Explanation.TwoWay, 1e-12)
	}
	assert.NotEmpty(t, resp.Results[0].Explanation.Forward.Reasons, "the shared content, in words")
	b, err := json.Marshal(resp)
	require.NoError(t, err, "unknown matches encode as null")
	assert.Contains(t, string(b), `"forward":null`)
	x, err := e.Explain(ctx, m.Profiles[0].ID, resp.Results[0].ID)
	require.NoError(t, err)
	assert.True(t, math.IsNaN(x.Forward.Match))
}
