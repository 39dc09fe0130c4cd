package twoway

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 20: a Fit reports inside its long stages, with the fraction of the
// stage done rising to 1 and an estimate of the time left.
func TestFitProgress(t *testing.T) {
	m := tinyMarket(t)
	var got []Progress
	e, err := New(Config{Clock: endOf(m), Seed: 7, OnProgress: func(p Progress) { got = append(got, p) }})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, e.Close()) })
	ctx := context.Background()
	require.NoError(t, e.Upsert(ctx, m.Profiles...))
	require.NoError(t, e.Record(ctx, m.Events...))
	require.NoError(t, e.Fit(ctx))

	var stages []string
	steps := map[string][]Progress{}
	open := ""
	for i, p := range got {
		assert.GreaterOrEqual(t, p.Fraction, 0.0, "%+v", p)
		assert.LessOrEqual(t, p.Fraction, 1.0, "%+v", p)
		assert.GreaterOrEqual(t, p.Remaining, 0*p.Remaining)
		if i > 0 {
			assert.GreaterOrEqual(t, p.Elapsed, got[i-1].Elapsed)
		}
		switch {
		case p.Step == "" && !p.Done:
			assert.Empty(t, open, "stage %s starts inside %s", p.Stage, open)
			open = p.Stage
			stages = append(stages, p.Stage)
			assert.Zero(t, p.Fraction)
		case p.Step == "" && p.Done:
			assert.Equal(t, open, p.Stage)
			assert.Equal(t, 1.0, p.Fraction)
			open = ""
		default:
			assert.Equal(t, open, p.Stage, "step %q outside its stage", p.Step)
			if prev := steps[p.Stage]; len(prev) > 0 {
				assert.GreaterOrEqual(t, p.Fraction, prev[len(prev)-1].Fraction, "%s: %q after %q", p.Stage, p.Step, prev[len(prev)-1].Step)
			}
			steps[p.Stage] = append(steps[p.Stage], p)
		}
	}
	assert.Equal(t, []string{"profiles", "text", "recall", "match", "urgency", "exposure", "swap"}, stages)
	names := func(ps []Progress) map[string]bool {
		out := map[string]bool{}
		for _, p := range ps {
			out[p.Step] = true
		}
		return out
	}
	match := names(steps["match"])
	for _, s := range []string{"behaviour", "evidence", "seeker model: rows", "seeker model: global", "seeker model: entities",
		"recruiter model: global", "recruiter model: entities"} {
		assert.True(t, match[s], "match step %q reported", s)
	}
	for _, s := range []string{"features", "recent", "labels", "inputs", "model", "capacities"} {
		assert.True(t, names(steps["urgency"])[s], "urgency step %q reported", s)
	}
	var lastEntities Progress
	for _, p := range steps["match"] {
		if strings.HasSuffix(p.Step, "model: entities") && p.Step[:6] == "seeker" {
			lastEntities = p
		}
	}
	assert.Positive(t, lastEntities.Iterations)
	assert.Equal(t, lastEntities.Iterations, lastEntities.Iteration, "every seeker's correction counted")
	folds := steps["match"]
	maxFold := 0
	for _, p := range folds {
		if p.Step == "evidence" {
			maxFold = max(maxFold, p.Iteration)
			assert.Equal(t, cfFolds, p.Iterations)
		}
	}
	assert.Equal(t, cfFolds, maxFold)
}
