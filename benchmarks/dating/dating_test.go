package dating

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/benchmarks/contender"
)

func aggs() []Aggregator {
	var out []Aggregator
	for _, a := range contender.Aggregators() {
		f := a.Aggregate
		out = append(out, Aggregator{a.Name, func(x, y float64) float64 {
			return f(contender.Pair{Forward: x, Backward: y, RequesterUrgency: 0.5, CandidateUrgency: 0.5})
		}})
	}
	return out
}

func TestRealSpeedDating(t *testing.T) {
	tab, err := Open(requireData(t))
	require.NoError(t, err)
	res, err := Evaluate(context.Background(), Config{Seed: 1}, tab, aggs())
	require.NoError(t, err)
	require.Equal(t, len(res.Rankers), len(res.MutualMen))
	assert.Greater(t, res.TestRows, 1000)
	for i, name := range res.Rankers {
		t.Logf("%-18s oneway W auc %.3f gauc %.3f ndcg %.3f | M auc %.3f | mutual W ndcg %.3f mrr %.3f gauc %.3f | M ndcg %.3f mrr %.3f gauc %.3f\n", name,
			res.OneWayWomen[i].AUC, res.OneWayWomen[i].GAUC, res.OneWayWomen[i].NDCG, res.OneWayMen[i].AUC,
			res.MutualWomen[i].NDCG, res.MutualWomen[i].MRR, res.MutualWomen[i].GAUC, res.MutualMen[i].NDCG, res.MutualMen[i].MRR, res.MutualMen[i].GAUC)
	}
	// The learned one-way model predicts a person's own decisions far
	// better than chance.
	oneWay := 2
	require.Equal(t, "one-way", res.Rankers[oneWay])
	assert.Greater(t, res.OneWayWomen[oneWay].AUC, 0.65)
	assert.Greater(t, res.OneWayMen[oneWay].AUC, 0.65)
	assert.InDelta(t, 0.5, res.OneWayMen[0].GAUC, 1e-9, "a constant scorer is exactly random")
	// On matches (both said yes) the harmonic mean of the two directions
	// ranks better than one-way, on both sides (seed 1 split).
	harmonic := 5
	require.Equal(t, "harmonic", res.Rankers[harmonic])
	assert.Greater(t, res.MutualWomen[harmonic].GAUC, res.MutualWomen[oneWay].GAUC)
	assert.Greater(t, res.MutualMen[harmonic].GAUC, res.MutualMen[oneWay].GAUC)
}
