package exposure

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/rank"
)

// simMarket is the simulated market of the evaluation: 5,000 seekers,
// 1,000 jobs, 400,000 events over 30 days, seed 1.
func simMarket(t testing.TB) (*synth.Market, []activity.Event) {
	t.Helper()
	m, err := synth.Generate(synth.Config{Seed: 1, Seekers: 5000, Jobs: 1000, Events: 400_000, Days: 30})
	require.NoError(t, err)
	evs := make([]activity.Event, len(m.Events))
	for i, e := range m.Events {
		evs[i] = activity.Event{Actor: m.Pairs[i].Actor, Target: m.Pairs[i].Target, Action: e.Action, Time: e.Time}
	}
	return m, evs
}

// bestSingleFeature picks, on the training rows, the feature (and sign)
// with the highest AUC, and returns its name and its AUC on the test rows.
func bestSingleFeature(names []string, train [][]float64, trainY []bool, test [][]float64, testY []bool) (string, float64) {
	col := func(rows [][]float64, j int, sign float64) []float64 {
		out := make([]float64, len(rows))
		for i, r := range rows {
			out[i] = sign * r[j]
		}
		return out
	}
	best, bestAUC, bestSign := 0, -1.0, 1.0
	for j := range names {
		for _, sign := range []float64{1, -1} {
			if a := rank.AUC(col(train, j, sign), trainY); a > bestAUC {
				best, bestAUC, bestSign = j, a, sign
			}
		}
	}
	return names[best], rank.AUC(col(test, best, bestSign), testY)
}

// TestSimulatedSaturationAUC trains the saturation model on the contacts
// received in the day after each of six cut-offs by 80% of the users of a
// simulated market, labelled unanswered within 72 h, and reports its AUC on
// the contacts of the held-out 20% of recipients, against the best single
// raw feature (chosen on the training rows). All figures are simulated.
func TestSimulatedSaturationAUC(t *testing.T) {
	if testing.Short() {
		t.Skip("simulated evaluation: skipped with -short")
	}
	m, evs := simMarket(t)
	tr, err := activity.New(activity.Config{})
	require.NoError(t, err)
	for i := range m.Profiles {
		tr.Register(uint32(i), m.Profiles[i].Registered)
	}
	cfg := Config{}
	// Six cut-offs two days apart (days 15 … 25); the contacts of the day
	// after each, with the recipients' features at that cut-off.
	type row struct {
		f *activity.Features
		c Contact
	}
	var train, test []row
	for day := 15; day <= 25; day += 2 {
		cutoff := m.Config.Start.Add(time.Duration(day) * 24 * time.Hour)
		feats, err := tr.Batch(evs, cutoff, len(m.Profiles))
		require.NoError(t, err)
		contacts, err := Labels(evs, cutoff, cfg)
		require.NoError(t, err)
		for _, c := range contacts {
			r := row{&feats[c.Recipient], c}
			if c.Recipient%5 == 0 {
				test = append(test, r)
			} else {
				train = append(train, r)
			}
		}
	}
	exs := make([]Example, len(train))
	for i, r := range train {
		exs[i] = Example{Features: r.f, Unanswered: r.c.Unanswered}
	}
	names := tr.VectorNames()
	model, err := Fit(context.Background(), cfg, Training{Names: names, Examples: exs})
	require.NoError(t, err)

	rows := func(rs []row) ([][]float64, []bool, []float64) {
		x := make([][]float64, len(rs))
		y := make([]bool, len(rs))
		s := make([]float64, len(rs))
		for i, r := range rs {
			x[i] = r.f.Vector(nil)
			y[i] = r.c.Unanswered
			s[i] = model.Saturation(r.f)
		}
		return x, y, s
	}
	trX, trY, _ := rows(train)
	teX, teY, teS := rows(test)
	auc := rank.AUC(teS, teY)
	feature, base := bestSingleFeature(names, trX, trY, teX, teY)
	var pos int
	for _, y := range teY {
		if y {
			pos++
		}
	}
	t.Logf("simulated (synth seed 1, 5,000 seekers + 1,000 jobs, 400k events, cut-offs days 15–25, next 24 h each): saturation AUC on %d held-out contacts (%d unanswered) = %.4f; best single raw feature %q AUC = %.4f; prior %.3f",
		len(test), pos, auc, feature, base, model.Prior())
	for _, c := range model.Coefficients()[:6] {
		t.Logf("  weight %-28s %+.3f", c.Name, c.Weight)
	}
	assert.GreaterOrEqual(t, auc, base, "the model should beat the best single feature")
	for _, s := range teS {
		require.False(t, math.IsNaN(s))
		require.True(t, s >= 0 && s <= 1)
	}
}
