// Package evalsim holds what the simulated evaluations and benchmarks of
// the urgency and exposure models share: their markets, with events in
// activity's form, and the single-feature baseline that a learned model is
// compared with. Every figure computed on
// it is simulated.
package evalsim

import (
	"testing"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/rank"
)

// Config is the evaluation market: 5,000 seekers, 1,000 jobs and 400,000
// events over 30 days, seed 1.
func Config() synth.Config {
	return synth.Config{Seed: 1, Seekers: 5000, Jobs: 1000, Events: 400_000, Days: 30}
}

// Bench is the small market the benchmarks fit on: 1,500 seekers, 500
// jobs and 60,000 events over 30 days, seed 1.
func Bench() synth.Config {
	return synth.Config{Seed: 1, Seekers: 1500, Jobs: 500, Events: 60_000, Days: 30}
}

// Market generates the market of cfg and returns it with its events as
// activity events (actor and target are Dict indices). It stops the test
// or benchmark t when generation fails.
func Market(t testing.TB, cfg synth.Config) (*synth.Market, []activity.Event) {
	t.Helper()
	m, err := synth.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m, Events(m)
}

// Events returns m's events as activity events, in order.
func Events(m *synth.Market) []activity.Event {
	evs := make([]activity.Event, len(m.Events))
	for i, e := range m.Events {
		evs[i] = activity.Event{Actor: m.Pairs[i].Actor, Target: m.Pairs[i].Target, Action: e.Action, Time: e.Time}
	}
	return evs
}

// BestSingleFeature picks, on the training rows, the feature (and sign)
// with the highest AUC, and returns its name and its AUC on the test rows:
// the baseline a model must beat. Rows are indexed like names.
func BestSingleFeature(names []string, train [][]float64, trainY []bool, test [][]float64, testY []bool) (string, float64) {
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
