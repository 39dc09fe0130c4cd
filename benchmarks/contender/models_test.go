package contender

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/benchmarks/sim"
	"github.com/twowayrec/twoway/rank"
)

// TestLibraryModelsTrackLatentTruth fits package urgency's and package
// exposure's models on a small world's history and checks them against
// the latent truth at the start of round 0 (simulated): urgency against
// who is urgent that day, saturation against the capacity each
// participant has (low capacity = easily flooded).
func TestLibraryModelsTrackLatentTruth(t *testing.T) {
	w, f, m := smallWorld(t)
	ctx := context.Background()
	u, err := FitUrgency(ctx, w, f, m)
	require.NoError(t, err)
	urg, err := u.table(activityEvents(w.History), w.Start, nil)
	require.NoError(t, err)
	day := w.Day(0)
	var scores []float64
	var labels []bool
	for i := range w.Market.Profiles {
		ix := uint32(i)
		if !w.Registered(ix, 0) {
			continue
		}
		scores = append(scores, urg[ix])
		labels = append(labels, w.Market.UrgentOn(ix, day-1))
	}
	aucU, nU := rank.AUC(scores, labels), len(labels)
	x, err := FitExposure(ctx, w)
	require.NoError(t, err)
	c, err := x.newControl()
	require.NoError(t, err)
	require.NoError(t, c.refresh(activityEvents(w.History), w.Start))
	bd := NewBoard(w)
	scores, labels = scores[:0], labels[:0]
	for i := range w.Market.Profiles {
		ix := uint32(i)
		if bd.Inbound[ix] == 0 {
			continue
		}
		scores = append(scores, c.sat[ix])
		labels = append(labels, w.Market.ReplyRate(ix)*min(1, w.Market.Capacity(ix)/bd.Inbound[ix]*float64(w.Config.Warmup)) < 0.3)
	}
	aucS := rank.AUC(scores, labels)
	t.Logf("simulated: urgency AUC vs latent urgent (day before round 0) %.3f over %d users; saturation AUC vs latent low answer chance %.3f over %d", aucU, nU, aucS, len(scores))
	assert.Greater(t, aucU, 0.55)
	assert.Greater(t, aucS, 0.6)
}

// TestRankedInSimulator runs every kind of contender on a small world:
// nothing they return is ignored by the simulator, two runs of the same
// contender are identical, and exposure control lowers the jobs' exposure
// Gini of the one-way ranker (simulated).
func TestRankedInSimulator(t *testing.T) {
	w, f, m := smallWorld(t)
	ctx := context.Background()
	x, err := FitExposure(ctx, w)
	require.NoError(t, err)
	u, err := FitUrgency(ctx, w, f, m)
	require.NoError(t, err)
	oneWay := Aggregators()[0]
	require.Equal(t, "one-way", oneWay.Name)
	run := func(name string, o Options, mk func(*Board) ScoreFunc) sim.Summary {
		r, err := NewRanked(name, w, o, mk)
		require.NoError(t, err)
		res := w.Run(name, r, nil)
		for _, st := range res.Rounds {
			require.Zero(t, st.Invalid, "%s returned something the simulator ignored", name)
		}
		return w.Summarize(res)
	}
	for _, c := range []struct {
		name string
		o    Options
		mk   func(*Board) ScoreFunc
	}{
		{"random", Options{}, Random(1)}, {"popularity", Options{}, Popular()}, {"content", Options{}, Content(f)},
		{"urgency-weighted", Options{Urgency: u, Exposure: x}, TwoWay(f, m, Aggregators()[1].Aggregate)},
	} {
		a, b := run(c.name, c.o, c.mk), run(c.name, c.o, c.mk)
		assert.Equal(t, a, b, "%s: deterministic", c.name)
	}
	plain := run("one-way", Options{}, TwoWay(f, m, oneWay.Aggregate))
	ctl := run("one-way +exposure", Options{Exposure: x}, TwoWay(f, m, oneWay.Aggregate))
	t.Logf("simulated jobs exposure Gini: one-way %.3f, +exposure %.3f", plain.Jobs.ExposureGini, ctl.Jobs.ExposureGini)
	assert.Less(t, ctl.Jobs.ExposureGini, plain.Jobs.ExposureGini)
}
