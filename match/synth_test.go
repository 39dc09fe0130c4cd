package match_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/sparse"
)

// synthCatalog builds a Catalog of a synthetic market with a plain content
// vector per profile (one-hot skills, city and industry, and the education
// level), standing in for package text's vectoriser.
func synthCatalog(tb testing.TB, m *synth.Market) *match.Catalog {
	tb.Helper()
	terms := map[string]uint32{}
	term := func(s string) uint32 {
		if id, ok := terms[s]; ok {
			return id
		}
		id := uint32(len(terms)) + 1
		terms[s] = id
		return id
	}
	c := match.NewCatalog(match.CatalogConfig{})
	var b sparse.Builder
	for i := range m.Profiles {
		p := &m.Profiles[i]
		b.Reset()
		for _, s := range p.Skills {
			b.Add(term("skill:"+s), 1/float64(len(p.Skills)))
		}
		if p.City != "" {
			b.Add(term("city:"+p.City), 1)
		}
		if p.Industry != "" {
			b.Add(term("industry:"+p.Industry), 1)
		}
		b.Add(0, float64(p.Education)/6)
		require.NoError(tb, c.Set(uint32(i), match.ContentOf(p, b.Vector(sparse.Vector{}))))
	}
	return c
}

func synthInteractions(m *synth.Market) []match.Interaction {
	out := make([]match.Interaction, len(m.Events))
	for i, e := range m.Events {
		out[i] = match.Interaction{Actor: m.Pairs[i].Actor, Target: m.Pairs[i].Target, Action: e.Action}
	}
	return out
}

func synthOthers(m *synth.Market) func(market.Side) []uint32 {
	var seekers, jobs []uint32
	for i := range m.Profiles {
		if m.Side(uint32(i)) == market.Seeker {
			seekers = append(seekers, uint32(i))
		} else {
			jobs = append(jobs, uint32(i))
		}
	}
	return func(s market.Side) []uint32 {
		if s == market.Seeker {
			return jobs
		}
		return seekers
	}
}

type synthFixture struct {
	m       *synth.Market
	cat     *match.Catalog
	samples []match.Sample
}

func newSynthFixture(tb testing.TB, cfg synth.Config) *synthFixture {
	tb.Helper()
	m, err := synth.Generate(cfg)
	require.NoError(tb, err)
	cat := synthCatalog(tb, m)
	samples, err := match.Samples(match.SampleConfig{Seed: 1}, synthInteractions(m), m.Side, synthOthers(m))
	require.NoError(tb, err)
	return &synthFixture{m: m, cat: cat, samples: samples}
}

// heldOutPairs returns up to n (seeker, job) pairs that never met in the
// events, in a fixed order.
func (f *synthFixture) heldOutPairs(n int) [][2]uint32 {
	met := map[[2]uint32]bool{}
	for _, p := range f.m.Pairs {
		met[[2]uint32{p.Actor, p.Target}] = true
		met[[2]uint32{p.Target, p.Actor}] = true
	}
	var out [][2]uint32
	lo, hi := f.m.Jobs()
	for s := uint32(0); s < uint32(f.m.NumSeekers) && len(out) < n; s++ {
		for j := lo; j < hi && len(out) < n; j += 7 {
			if !met[[2]uint32{s, j}] {
				out = append(out, [2]uint32{s, j})
			}
		}
	}
	return out
}

func fitSynth(tb testing.TB, f *synthFixture, cfg match.InterestConfig) *match.Interest {
	tb.Helper()
	im, err := match.FitInterest(context.Background(), cfg, f.cat, f.samples)
	require.NoError(tb, err)
	return im
}
