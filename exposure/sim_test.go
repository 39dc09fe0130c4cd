package exposure

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/internal/evalsim"
	"github.com/twowayrec/twoway/rank"
)

// TestSimulatedSaturationAUC trains the saturation model on the contacts
// received in the day after each of six cut-offs by 80% of the users of a
// simulated market, labelled unanswered within 72 h, and reports its AUC on
// the contacts of the held-out 20% of recipients, against the best single
// raw feature (chosen on the training rows). All figures are simulated.
func TestSimulatedSaturationAUC(t *testing.T) {
	if testing.Short() {
		t.Skip("simulated evaluation: skipped with -short")
	}
	m, evs := evalsim.Market(t, evalsim.Config())
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
	feature, base := evalsim.BestSingleFeature(names, trX, trY, teX, teY)
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
