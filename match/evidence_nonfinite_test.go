package match_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
)

// NaN or infinite evidence counts as missing: scores stay in [0, 1] and
// equal those without evidence.
func TestOneWayNonFiniteEvidenceIsMissing(t *testing.T) {
	f := newSynthFixture(t, synth.Small())
	m := fitSynth(t, f, match.InterestConfig{})
	lo, hi := f.m.Jobs()
	cands := []uint32{lo, lo + 1, hi - 1}
	var buf match.Buffer
	for _, bad := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		var ev match.Evidence
		for i := range ev {
			ev[i] = bad
		}
		evs := []match.Evidence{ev, ev, ev}
		zeros := make([]match.Evidence, len(cands))
		for _, a := range []uint32{0, 17} {
			for _, b := range cands {
				got := m.OneWayWith(a, b, &ev)
				require.True(t, got >= 0 && got <= 1, "OneWayWith(%d, %d) with %v evidence = %v", a, b, bad, got)
				assert.Equal(t, m.OneWayWith(a, b, &match.Evidence{}), got)
			}
			got := m.OneWayBatch(nil, &buf, a, cands, evs)
			assert.Equal(t, m.OneWayBatch(nil, &buf, a, cands, zeros), got, "OneWayBatch")
		}
		got := m.OneWayToward(nil, &buf, []uint32{0, 17}, lo, evs[:2])
		assert.Equal(t, m.OneWayToward(nil, &buf, []uint32{0, 17}, lo, zeros[:2]), got, "OneWayToward")
	}
}

// Self-interactions and same-side interactions are no training rows.
func TestSamplesSkipsSelfAndSameSide(t *testing.T) {
	side := func(i uint32) market.Side {
		switch {
		case i < 3:
			return market.Seeker
		case i < 6:
			return market.Recruiter
		}
		return 0
	}
	others := func(s market.Side) []uint32 {
		if s == market.Seeker {
			return []uint32{3, 4, 5}
		}
		return []uint32{0, 1, 2}
	}
	events := []match.Interaction{
		{Actor: 0, Target: 0, Action: market.Chat},
		{Actor: 0, Target: 1, Action: market.Chat},
		{Actor: 4, Target: 5, Action: market.Reject},
		{Actor: 0, Target: 3, Action: market.View},
	}
	got, err := match.Samples(match.SampleConfig{RawWeights: true}, events, side, others)
	require.NoError(t, err)
	for _, s := range got {
		assert.NotEqual(t, s.User, s.Target, "self-interaction %+v", s)
		assert.NotEqual(t, side(s.User), side(s.Target), "same-side %+v", s)
	}
	require.NotEmpty(t, got)
	assert.Equal(t, match.Sample{User: 0, Target: 3, Attended: true, Weight: 1}, got[0])
	// Without a side function only self-interactions are skipped.
	got, err = match.Samples(match.SampleConfig{RawWeights: true}, events[:1], nil, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
}
