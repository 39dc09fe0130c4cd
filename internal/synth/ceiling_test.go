package synth

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestProbeCeilings measures how well a one-way model could rank "a would
// accept b" on the simulator's validation markets (seeds 101 and 102,
// 1,500 seekers × 300 jobs; 100 requesters per side × 40 uniform
// candidates, as the Engine section's probe draws them) if it knew the
// generator exactly, each person's threshold included, minus what it
// cannot see. Pooled AUC of Affinity − noise − Threshold against Accepts:
//
//   - everything but the pair noise: the Bayes ceiling (0.972–0.980);
//   - without the latent taste·trait term, which only collaborative
//     evidence (neighbours, factors) can recover: 0.909–0.948;
//   - without that term and the candidate's quality, which behaviour
//     evidence (attractiveness) estimates: 0.891–0.926.
//
// So a probe AUC of 0.95 (issue 17) needs much of the latent term from
// the history; content and rates alone stop at or below it.
func TestProbeCeilings(t *testing.T) {
	type pair struct {
		score float64
		yes   bool
	}
	auc := func(ps []pair) float64 {
		slices.SortFunc(ps, func(p, q pair) int { return cmp.Compare(p.score, q.score) })
		var pos, neg, ranks float64
		for i, p := range ps {
			if p.yes {
				pos++
				ranks += float64(i + 1)
			} else {
				neg++
			}
		}
		return (ranks - pos*(pos+1)/2) / (pos * neg)
	}
	for _, seed := range []uint64{101, 102} {
		m, err := Generate(Config{Seed: seed, Seekers: 1500, Jobs: 300})
		if err != nil {
			t.Fatal(err)
		}
		for _, seekers := range []bool{true, false} {
			r := rand.New(rand.NewPCG(seed, 9))
			var full, observable, content []pair
			for range 100 {
				a := uint32(r.IntN(m.NumSeekers))
				if !seekers {
					a = uint32(m.NumSeekers + r.IntN(m.NumJobs))
				}
				for range 40 {
					b := uint32(m.NumSeekers + r.IntN(m.NumJobs))
					if !seekers {
						b = uint32(r.IntN(m.NumSeekers))
					}
					u := m.Affinity(a, b) - m.Config.Noise*pairNormal(m.Config.Seed, a, b) - m.people[a].threshold
					var latent float64
					for i := range latentDim {
						latent += 0.5 * m.people[a].taste[i] * m.people[b].trait[i]
					}
					yes := m.Accepts(a, b)
					full = append(full, pair{u, yes})
					observable = append(observable, pair{u - latent, yes})
					content = append(content, pair{u - latent - 0.5*m.people[b].quality, yes})
				}
			}
			f, o, c := auc(full), auc(observable), auc(content)
			t.Logf("seed %d, requesters seekers %v: AUC ceiling %.3f, without the latent term %.3f, and without quality %.3f", seed, seekers, f, o, c)
			assert.GreaterOrEqual(t, f, 0.95, "seed %d seekers %v: the Bayes ceiling", seed, seekers)
			assert.Less(t, o, f-0.02, "seed %d seekers %v: the latent term carries part of the ranking", seed, seekers)
			assert.Less(t, c, o, "seed %d seekers %v: so does quality", seed, seekers)
		}
	}
}
