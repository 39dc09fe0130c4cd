package strategy

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/benchmarks/sim"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
)

func TestEvaluate(t *testing.T) {
	ctx := context.Background()
	w, err := sim.NewWorld(sim.Config{Market: synth.Config{Seed: 5, Seekers: 400, Jobs: 100}, Rounds: 2})
	require.NoError(t, err)
	set, err := Build(ctx, w)
	require.NoError(t, err)
	defer set.Close()
	users := w.SampleUsers(30)
	ks := []int{10, 50, 100}
	curves, err := Evaluate(ctx, w, set, users, ks)
	require.NoError(t, err)
	require.Len(t, curves, len(set.Strategies))
	for _, c := range curves {
		for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
			t.Logf("%-14s %-9v users %2d empty %2d recall %v", c.Name, sd, c.Users[sd], c.Empty[sd], c.RecallAt[sd])
			for i := 1; i < len(ks); i++ {
				assert.GreaterOrEqual(t, c.RecallAt[sd][i], c.RecallAt[sd][i-1], "%s: recall grows with k", c.Name)
			}
			assert.LessOrEqual(t, c.RecallAt[sd][len(ks)-1], 1.0)
		}
	}
	// Jobs side: 100 jobs, so recall@100 of a seeker's mutual jobs by a
	// strategy that returns every job is 1; hot ranks every attended job.
	var content Curve
	for _, c := range curves {
		if c.Name == "content index" {
			content = c
		}
	}
	assert.Greater(t, content.RecallAt[market.Seeker][0], 0.05, "the content index finds mutual jobs")
}
