package urgency

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/internal/evalsim"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/rank"
)

// contentMatch is an observable stand-in for package match's one-way
// score: skill overlap (Jaccard) plus agreement of city and title. It reads
// only the profiles, never the simulator's latent affinities.
func contentMatch(m *synth.Market) func(user, target uint32) float64 {
	return func(user, target uint32) float64 {
		a, b := &m.Profiles[user], &m.Profiles[target]
		inter := 0
		for _, s := range a.Skills {
			if slices.Contains(b.Skills, s) {
				inter++
			}
		}
		union := len(a.Skills) + len(b.Skills) - inter
		var j float64
		if union > 0 {
			j = float64(inter) / float64(union)
		}
		if a.City == b.City {
			j += 0.5
		}
		if a.Title == b.Title {
			j += 0.5
		}
		return j
	}
}

// TestSimulatedUrgencyAUC trains the urgency model on 80% of the users of
// a simulated market at day 21 with the default label (mutual chat within
// the next 7 days) and reports its AUC on the held-out 20%, against the
// best single raw feature. All figures are simulated.
func TestSimulatedUrgencyAUC(t *testing.T) {
	if testing.Short() {
		t.Skip("simulated evaluation: skipped with -short")
	}
	m, evs := evalsim.Market(t, evalsim.Config())
	tr, err := activity.New(activity.Config{})
	require.NoError(t, err)
	for i := range m.Profiles {
		tr.Register(uint32(i), m.Profiles[i].Registered)
	}
	cfg := Config{OneWay: contentMatch(m)}
	cutoff := m.Config.Start.Add(21 * 24 * time.Hour)
	n := len(m.Profiles)
	inputs, err := Inputs(tr, cfg, evs, cutoff, n)
	require.NoError(t, err)
	labels, err := Labels(evs, cutoff, cfg, n)
	require.NoError(t, err)

	var train, test []uint32
	for u := range uint32(n) {
		if m.RegisteredDay(u) >= 21 {
			continue // not yet in the market at the cut-off
		}
		if u%5 == 0 {
			test = append(test, u)
		} else {
			train = append(train, u)
		}
	}
	names := VectorNames(tr.VectorNames())
	model, err := Fit(context.Background(), cfg, Training{Names: names, Inputs: inputs, Users: train, Labels: labels})
	require.NoError(t, err)

	rows := func(us []uint32) ([][]float64, []bool, []float64) {
		x := make([][]float64, len(us))
		y := make([]bool, len(us))
		s := make([]float64, len(us))
		for i, u := range us {
			x[i] = inputs[u].Vector(nil)
			y[i] = labels[u]
			s[i] = model.Urgency(&inputs[u])
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
	t.Logf("simulated (synth seed 1, 5,000 seekers + 1,000 jobs, 400k events, cut-off day 21): urgency AUC on %d held-out users (%d positive) = %.4f; best single raw feature %q AUC = %.4f; prior %.3f",
		len(test), pos, auc, feature, base, model.Prior())
	for _, c := range model.Coefficients()[:6] {
		t.Logf("  weight %-28s %+.3f", c.Name, c.Weight)
	}
	// The simulator's latent urgency on the cut-off day, which no feature
	// sees directly: how well does the score find the truly urgent?
	latent := make([]bool, len(test))
	for i, u := range test {
		latent[i] = m.UrgentOn(u, 20)
	}
	t.Logf("  AUC of the urgency score for the simulator's latent urgent state on day 20: %.4f", rank.AUC(teS, latent))

	// Ablation: the same model without the match statistics.
	plainIn, err := Inputs(tr, Config{}, evs, cutoff, n)
	require.NoError(t, err)
	plain, err := Fit(context.Background(), Config{}, Training{Names: names, Inputs: plainIn, Users: train, Labels: labels})
	require.NoError(t, err)
	plainS := make([]float64, len(test))
	for i, u := range test {
		plainS[i] = plain.Urgency(&plainIn[u])
	}
	t.Logf("  without the one-way match statistics: AUC %.4f", rank.AUC(plainS, teY))

	assert.GreaterOrEqual(t, auc, base, "the model should beat the best single feature")
	assert.Greater(t, auc, 0.5)
	for _, s := range teS {
		require.False(t, math.IsNaN(s))
		require.True(t, s >= 0 && s <= 1)
	}
}
