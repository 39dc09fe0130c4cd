package evaluate

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/market"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func day(d int) time.Time { return t0.Add(time.Duration(d) * 24 * time.Hour) }

func tiny() ([]market.Profile, []market.Event) {
	var ps []market.Profile
	for _, id := range []string{"s1", "s2", "s3"} {
		ps = append(ps, market.Profile{ID: id, Side: market.Seeker, Title: "Go developer", City: "上海", Skills: []string{"Go"}, Registered: t0})
	}
	for _, id := range []string{"j1", "j2", "j3"} {
		ps = append(ps, market.Profile{ID: id, Side: market.Recruiter, Title: "Go后端开发", City: "上海", Skills: []string{"Go", "MySQL"}, Registered: t0})
	}
	ev := func(a, b string, act market.Action, d int) market.Event {
		return market.Event{Actor: a, Target: b, Action: act, Time: day(d)}
	}
	return ps, []market.Event{
		ev("s1", "j1", market.Impression, 1), ev("s1", "j1", market.Apply, 1), ev("j1", "s1", market.Reply, 1),
		ev("s2", "j1", market.Apply, 2), ev("j1", "s2", market.Reject, 2),
		ev("s3", "j2", market.Impression, 2), ev("s1", "j2", market.Impression, 2),
		// test period
		ev("s1", "j2", market.Apply, 5), ev("j2", "s1", market.Reply, 5), ev("s1", "j3", market.Impression, 5),
		ev("s2", "j3", market.Apply, 6), ev("s2", "j2", market.Impression, 6),
	}
}

func TestSplitAndQueries(t *testing.T) {
	ps, evs := tiny()
	sp := SplitByTime(evs, day(4))
	assert.Len(t, sp.Train, 7)
	assert.Len(t, sp.Test, 5)
	qs, err := FromLog(ps, sp.Test)
	require.NoError(t, err)
	require.Len(t, qs, 3)
	assert.Equal(t, Query{Requester: "j2", Side: market.Recruiter, Candidates: []string{"s1"}, Relevant: []bool{true}, Mutual: []bool{true}}, qs[0])
	assert.Equal(t, Query{Requester: "s1", Side: market.Seeker, Candidates: []string{"j2", "j3"}, Relevant: []bool{true, false}, Mutual: []bool{true, false}}, qs[1])
	assert.Equal(t, Query{Requester: "s2", Side: market.Seeker, Candidates: []string{"j2", "j3"}, Relevant: []bool{false, true}, Mutual: []bool{false, false}}, qs[2])

	all, err := AllCandidates(ps, sp.Train, sp.Test)
	require.NoError(t, err)
	require.Len(t, all, 3)
	assert.Equal(t, []string{"j3"}, all[1].Candidates, "s1 knew j1 and j2 from training")
	assert.Equal(t, []string{"j2", "j3"}, all[2].Candidates)
	assert.Equal(t, []bool{false, true}, all[2].Relevant)

	_, err = FromLog(ps[:5], sp.Test)
	assert.ErrorIs(t, err, ErrUnknown)
}

func TestFloorsAndMetrics(t *testing.T) {
	ps, evs := tiny()
	sp := SplitByTime(evs, day(4))
	qs, err := FromLog(ps, sp.Test)
	require.NoError(t, err)
	r := FitRates(sp.Train, 0)
	// Train pairs: s1→j1 +, j1→s1 +, s2→j1 +, j1→s2 −, s3→j2 −, s1→j2 −: prior 3/6.
	assert.InDelta(t, 0.5, r.Prior, 1e-12)
	assert.InDelta(t, (1+1.0)/(2+2), r.Generosity("s1"), 1e-12)
	assert.InDelta(t, (0+1.0)/(2+2), r.Attractiveness("j2"), 1e-12)
	ctx := context.Background()
	for _, f := range Floors(sp.Train, 1) {
		res, err := Evaluate(ctx, f.Name, f.Ranker, qs, 1)
		require.NoError(t, err)
		require.Len(t, res.Scored, 3)
		p, err := PrecisionAtK(ctx, f.Ranker, qs, 1)
		require.NoError(t, err)
		assert.True(t, p >= 0 && p <= 1, "%s precision@1 %v", f.Name, p)
	}
	// A perfect ranker and its mirror image.
	truth := RankerFunc(func(_ context.Context, q *Query, dst []float64) ([]float64, error) {
		dst = dst[:0]
		for _, rel := range q.Relevant {
			dst = append(dst, b2f(rel))
		}
		return dst, nil
	})
	worst := RankerFunc(func(_ context.Context, q *Query, dst []float64) ([]float64, error) {
		dst = dst[:0]
		for _, rel := range q.Relevant {
			dst = append(dst, -b2f(rel))
		}
		return dst, nil
	})
	p, err := PrecisionAtK(ctx, truth, qs, 1)
	require.NoError(t, err)
	assert.Equal(t, 1.0, p)
	best, err := Evaluate(ctx, "truth", truth, qs, 1)
	require.NoError(t, err)
	assert.Equal(t, 1.0, best.OneWay[market.Seeker].GAUC)
	bad, err := Evaluate(ctx, "worst", worst, qs, 1)
	require.NoError(t, err)
	iv, err := BootstrapDiff(best, bad, market.Seeker, false, GAUC, 200, 3)
	require.NoError(t, err)
	assert.Equal(t, 1.0, iv.Diff)
	assert.True(t, iv.Excludes0())
	// NaN (not ranked) sorts below every score.
	nan := RankerFunc(func(_ context.Context, q *Query, dst []float64) ([]float64, error) {
		dst = dst[:0]
		for _, rel := range q.Relevant {
			if rel {
				dst = append(dst, 0)
			} else {
				dst = append(dst, math.NaN())
			}
		}
		return dst, nil
	})
	nr, err := Evaluate(ctx, "nan", nan, qs, 1)
	require.NoError(t, err)
	assert.Equal(t, 1.0, nr.OneWay[market.Seeker].GAUC)
}

// Example: evaluate a fitted Engine on a host's own log, LightFM style.
func Example() {
	profiles, events := tiny()
	split := SplitByTime(events, day(4))
	queries, err := FromLog(profiles, split.Test)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	engine, err := twoway.New(twoway.Config{Clock: func() time.Time { return day(4) }})
	if err != nil {
		panic(err)
	}
	defer engine.Close()
	if err := engine.Upsert(ctx, profiles...); err != nil {
		panic(err)
	}
	if err := engine.Record(ctx, split.Train...); err != nil {
		panic(err)
	}
	if err := engine.Fit(ctx); err != nil {
		panic(err)
	}
	rankers := append([]Named{{"Engine", EngineRanker(engine, "", 0)}}, Floors(split.Train, 1)...)
	for _, r := range rankers {
		p, err := PrecisionAtK(ctx, r.Ranker, queries, 1)
		if err != nil {
			panic(err)
		}
		if r.Name == "Engine" {
			// The Engine's figure moves as the library improves; the
			// floors' are fixed by the log.
			fmt.Printf("%-8s precision@1 in [0, 1]: %v\n", r.Name, p >= 0 && p <= 1)
			continue
		}
		fmt.Printf("%-8s precision@1 %.2f\n", r.Name, p)
	}
	// Output:
	// Engine   precision@1 in [0, 1]: true
	// random   precision@1 1.00
	// one-way  precision@1 0.67
	// product  precision@1 0.67
	// harmonic precision@1 0.67
}
