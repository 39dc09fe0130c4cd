package enginesim

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/rank"
)

// ProbeConfig sizes a Probe.
type ProbeConfig struct {
	// Users is the number of requesters per side; 0 means 100.
	Users int `json:"users"`
	// Candidates is the number of candidates per requester; 0 means 40.
	Candidates int `json:"candidates"`
	// Seed chooses the pairs. Zero is a valid seed.
	Seed uint64 `json:"seed"`
}

// ProbeResult is how well the Engine's one-way matches track the latent
// truth, per requester side (indexed by market.Side).
type ProbeResult struct {
	// Forward[s] is the AUC of Explanation.Forward.Match (the requester's
	// one-way match for the candidate) against synth's Accepts(requester,
	// candidate), pooled over the pairs of requesters of side s; Backward[s]
	// the AUC of Explanation.Backward.Match against Accepts(candidate,
	// requester).
	Forward, Backward [3]float64
	// Pairs[s] is the number of pairs probed; Positives[s] how many of
	// them the requester accepts, and BackPositives[s] how many accept the
	// requester.
	Pairs, Positives, BackPositives [3]int
}

// Probe asks the contender's Engine, through Explain, for the two one-way
// matches of a seeded sample of pairs: Users participants of each side
// still in the market at the end of the run, each with Candidates
// participants of the other side drawn uniformly among those still in
// the market, and compares them with the latent truth. Run it after the
// run (Explain applies pending online updates, which would otherwise
// perturb the run). It needs a fitted Engine.
func Probe(ctx context.Context, c *Contender, cfg ProbeConfig) (*ProbeResult, error) {
	return probe(c, cfg, func(a, b uint32) (float64, float64, error) {
		x, err := c.engine.Explain(ctx, c.id(a), c.id(b))
		if err != nil {
			return 0, 0, fmt.Errorf("enginesim: probe %s→%s: %w", c.id(a), c.id(b), err)
		}
		return x.Forward.Match, x.Backward.Match, nil
	})
}

// ProbeCeiling scores the pairs Probe draws (the same cfg and contender
// state give the same pairs) with the simulator's own acceptance chances
// instead of the Engine's matches: noise with only each pair's noise
// hidden (synth.HideNoise: the Bayes ceiling of any one-way model, which
// cannot know the noise), latent with the latent taste·trait term hidden
// too (synth.HideLatent: the ceiling of a model that knows every other
// term exactly, thresholds and qualities included, and nothing of the
// latent one). The chances are the non-urgent ones, as Accepts decides.
// Every figure is simulated.
func ProbeCeiling(c *Contender, cfg ProbeConfig) (noise, latent *ProbeResult, err error) {
	m := c.w.Market
	// Day −1 lies before the market: nobody is urgent, so AcceptChance
	// uses Threshold, as Accepts does.
	chance := func(h synth.Hidden) func(a, b uint32) (float64, float64, error) {
		return func(a, b uint32) (float64, float64, error) {
			return m.AcceptChance(a, b, -1, h), m.AcceptChance(b, a, -1, h), nil
		}
	}
	if noise, err = probe(c, cfg, chance(synth.HideNoise)); err != nil {
		return nil, nil, err
	}
	if latent, err = probe(c, cfg, chance(synth.HideLatent)); err != nil {
		return nil, nil, err
	}
	return noise, latent, nil
}

// probe draws Probe's pairs and scores each with score (the requester's
// one-way match for the candidate, and the candidate's for the
// requester).
func probe(c *Contender, cfg ProbeConfig, score func(a, b uint32) (fwd, bwd float64, err error)) (*ProbeResult, error) {
	if cfg.Users == 0 {
		cfg.Users = 100
	}
	if cfg.Candidates == 0 {
		cfg.Candidates = 40
	}
	if cfg.Users < 0 || cfg.Candidates < 0 {
		return nil, fmt.Errorf("enginesim: invalid ProbeConfig %+v", cfg)
	}
	w, m := c.w, c.w.Market
	last := w.Config.Rounds - 1
	var pool [3][]uint32
	for i := range m.Profiles {
		ix := uint32(i)
		if w.Registered(ix, last) && !c.left[ix] {
			pool[m.Side(ix)] = append(pool[m.Side(ix)], ix)
		}
	}
	key := func(salt, x uint64) uint64 { return mix(cfg.Seed ^ mix(salt<<40^x)) }
	pick := func(from []uint32, n int, salt uint64) []uint32 {
		s := slices.Clone(from)
		slices.SortFunc(s, func(a, b uint32) int {
			return cmp.Or(cmp.Compare(key(salt, uint64(a)), key(salt, uint64(b))), cmp.Compare(a, b))
		})
		s = s[:min(n, len(s))]
		slices.Sort(s)
		return s
	}
	res := &ProbeResult{}
	for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
		var fs, bs []float64
		var fl, bl []bool
		for _, a := range pick(pool[sd], cfg.Users, 1) {
			for _, b := range pick(pool[sd.Other()], cfg.Candidates, 2+uint64(a)) {
				f, bk, err := score(a, b)
				if err != nil {
					return nil, err
				}
				fs, fl = append(fs, f), append(fl, m.Accepts(a, b))
				bs, bl = append(bs, bk), append(bl, m.Accepts(b, a))
			}
		}
		res.Forward[sd], res.Backward[sd] = rank.AUC(fs, fl), rank.AUC(bs, bl)
		res.Pairs[sd] = len(fs)
		for i := range fl {
			if fl[i] {
				res.Positives[sd]++
			}
			if bl[i] {
				res.BackPositives[sd]++
			}
		}
	}
	return res, nil
}

func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
