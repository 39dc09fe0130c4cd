package match_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
)

func TestSamples(t *testing.T) {
	// participants 0-2 are seekers, 10-14 jobs
	side := func(ix uint32) market.Side {
		if ix < 10 {
			return market.Seeker
		}
		return market.Recruiter
	}
	jobs := []uint32{10, 11, 12, 13, 14}
	seekers := []uint32{0, 1, 2}
	others := func(s market.Side) []uint32 {
		if s == market.Seeker {
			return jobs
		}
		return seekers
	}
	ev := func(a, b uint32, act market.Action) match.Interaction {
		return match.Interaction{Actor: a, Target: b, Action: act}
	}
	events := []match.Interaction{
		// seeker 0: shown 10, 11, 12; viewed then chatted 10; viewed 11; 12 passed over
		ev(0, 10, market.Impression), ev(0, 11, market.Impression), ev(0, 12, market.Impression),
		ev(0, 10, market.View), ev(0, 10, market.Chat), ev(0, 11, market.View),
		// seeker 1: rejected 13 after viewing it
		ev(1, 13, market.View), ev(1, 13, market.Reject), ev(1, 10, market.Apply),
		// job 14: viewed seeker 2, no impressions recorded → sampled negatives
		ev(14, 2, market.View),
	}
	got, err := match.Samples(match.SampleConfig{SampledNegatives: 1, Seed: 7, RawWeights: true}, events, side, others)
	require.NoError(t, err)
	want := []match.Sample{
		{User: 0, Target: 10, Attended: true, Weight: 3}, // chat outweighs view
		{User: 0, Target: 11, Attended: true, Weight: 1},
		{User: 0, Target: 12, Attended: false, Weight: 1}, // passed over
		{User: 1, Target: 10, Attended: true, Weight: 3},
		{User: 1, Target: 13, Attended: false, Weight: 2}, // rejected after viewing: a no, weighted |reject|
	}
	require.GreaterOrEqual(t, len(got), len(want)+1)
	assert.Equal(t, want, got[:len(want)])
	// job 14's sampled negative: one seeker other than 2
	rest := got[len(want):]
	require.Len(t, rest, 2)
	var pos, neg match.Sample
	for _, s := range rest {
		if s.Attended {
			pos = s
		} else {
			neg = s
		}
	}
	assert.Equal(t, match.Sample{User: 14, Target: 2, Attended: true, Weight: 1}, pos)
	assert.Equal(t, uint32(14), neg.User)
	assert.Contains(t, []uint32{0, 1}, neg.Target)
	assert.InDelta(t, 1, neg.Weight, 0)

	// same seed, same samples; events in another order, same samples
	rev := make([]match.Interaction, len(events))
	for i, e := range events {
		rev[len(events)-1-i] = e
	}
	again, err := match.Samples(match.SampleConfig{SampledNegatives: 1, Seed: 7, RawWeights: true}, rev, side, others)
	require.NoError(t, err)
	assert.Equal(t, got, again)

	// a pure reject is a negative weighted by |reject|
	only, err := match.Samples(match.SampleConfig{RawWeights: true}, []match.Interaction{ev(1, 13, market.Reject)}, side, others)
	require.NoError(t, err)
	assert.Equal(t, []match.Sample{{User: 1, Target: 13, Weight: 2}}, only)

	// Balanced (the default): each user's positives and negatives each
	// average weight 1, keeping their ratios within the class.
	bal, err := match.Samples(match.SampleConfig{SampledNegatives: 1, Seed: 7}, events, side, others)
	require.NoError(t, err)
	require.Len(t, bal, len(got))
	wantBal := []float64{1.5, 0.5, 1, 1, 1} // seeker 0: chat 3 and view 1 of mean 2; the rest alone in their class
	for i, w := range wantBal {
		assert.Equal(t, got[i].Target, bal[i].Target)
		assert.Equal(t, got[i].Attended, bal[i].Attended)
		assert.InDelta(t, w, bal[i].Weight, 1e-15, "sample %d", i)
	}
	for _, s := range bal[len(wantBal):] {
		assert.InDelta(t, 1, s.Weight, 1e-15, "job 14's view and its sampled negative")
	}
	only, err = match.Samples(match.SampleConfig{}, []match.Interaction{ev(1, 13, market.Reject)}, side, others)
	require.NoError(t, err)
	assert.Equal(t, []match.Sample{{User: 1, Target: 13, Weight: 1}}, only)

	// no sampling when SampledNegatives < 0
	none, err := match.Samples(match.SampleConfig{SampledNegatives: -1}, []match.Interaction{ev(14, 2, market.View)}, side, others)
	require.NoError(t, err)
	assert.Len(t, none, 1)

	_, err = match.Samples(match.SampleConfig{}, []match.Interaction{ev(0, 10, market.View), ev(0, 11, 0)}, side, others)
	require.ErrorIs(t, err, match.ErrContent)
	assert.Contains(t, err.Error(), "interaction 1 (actor 0, target 11): field Action")

	_, err = match.Samples(match.SampleConfig{PassedOverWeight: math.NaN()}, events, side, others)
	require.ErrorIs(t, err, match.ErrConfig)
	assert.Contains(t, err.Error(), "PassedOverWeight")
}
