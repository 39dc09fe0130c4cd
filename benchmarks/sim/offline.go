package sim

import (
	"cmp"
	"slices"

	"github.com/twowayrec/twoway/benchmarks/metric"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/rank"
)

// Scorer scores candidates for a requester (higher is better), writing one
// score per candidate into dst[:0]. Offline evaluation ranks the whole other
// side with it.
type Scorer interface {
	Score(a uint32, cands []uint32, dst []float64) []float64
}

// Offline is the offline ranking quality of one scorer at the start of
// round 0: every sampled user ranks every registered participant of the
// other side. One-way relevance is "the user would accept the candidate"
// (synth.Market.Accepts), reciprocal relevance is a mutual acceptance
// (synth.Market.Mutual), both from the latent truth.
type Offline struct {
	Name string `json:"name"`
	// OneWay and Mutual are indexed by the requester's market.Side.
	OneWay [3]metric.Summary `json:"one_way"`
	Mutual [3]metric.Summary `json:"mutual"`
	// RecallAt[s][i] is the mean recall of mutual acceptances in the top
	// Ks[i] for requesters of side s.
	Ks       []int        `json:"ks"`
	RecallAt [3][]float64 `json:"recall_at"`
}

// SampleUsers returns up to perSide participants of each side registered
// by round 0, chosen by the world's seed, in increasing index order.
func (w *World) SampleUsers(perSide int) []uint32 {
	var out []uint32
	for _, s := range []market.Side{market.Seeker, market.Recruiter} {
		var ids []uint32
		for i := range w.Market.Profiles {
			ix := uint32(i)
			if w.Market.Side(ix) == s && w.Registered(ix, 0) {
				ids = append(ids, ix)
			}
		}
		slices.SortFunc(ids, func(a, b uint32) int {
			return cmp.Or(cmp.Compare(w.uniform(-1, a, a, purposeOrder), w.uniform(-1, b, b, purposeOrder)), cmp.Compare(a, b))
		})
		ids = ids[:min(perSide, len(ids))]
		slices.Sort(ids)
		out = append(out, ids...)
	}
	return out
}

// EvaluateOffline scores every registered other-side participant for each
// of users and summarises the rankings at cut-off k, and recall at each of
// ks for the recall curves.
func (w *World) EvaluateOffline(name string, s Scorer, users []uint32, k int, ks []int) Offline {
	m := w.Market
	var pool [3][]uint32
	for i := range m.Profiles {
		ix := uint32(i)
		if w.Registered(ix, 0) {
			pool[m.Side(ix)] = append(pool[m.Side(ix)], ix)
		}
	}
	var one, mut [3]metric.Ranking
	for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
		one[sd].K, mut[sd].K = k, k
	}
	recall := [3][][]float64{}
	for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
		recall[sd] = make([][]float64, len(ks))
	}
	var scores, gOne, gMut []float64
	for _, a := range users {
		sd := m.Side(a)
		cands := pool[sd.Other()]
		scores = s.Score(a, cands, scores)
		gOne, gMut = gOne[:0], gMut[:0]
		for _, c := range cands {
			acc := m.Accepts(a, c)
			gOne = append(gOne, b2f(acc))
			gMut = append(gMut, b2f(acc && m.Accepts(c, a)))
		}
		one[sd].Add(a, scores, gOne)
		mut[sd].Add(a, scores, gMut)
		for i, kk := range ks {
			recall[sd][i] = append(recall[sd][i], rank.RecallAt(scores, gMut, kk))
		}
	}
	o := Offline{Name: name, Ks: ks}
	for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
		o.OneWay[sd], o.Mutual[sd] = one[sd].Summary(), mut[sd].Summary()
		for i := range ks {
			v, _ := rank.Mean(recall[sd][i])
			o.RecallAt[sd] = append(o.RecallAt[sd], v)
		}
	}
	return o
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
