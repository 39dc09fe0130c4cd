package contender

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/sparse"
)

// TestTopK checks the heap selection against a full sort, with ties and NaN.
func TestTopK(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var order []int
	for trial := range 200 {
		n := rng.IntN(60)
		cands := make([]uint32, n)
		scores := make([]float64, n)
		for i := range cands {
			cands[i] = uint32(rng.IntN(1000))
			scores[i] = float64(rng.IntN(8))
			if rng.IntN(10) == 0 {
				scores[i] = math.NaN()
			}
		}
		// Distinct candidates, as the simulator gives.
		slices.Sort(cands)
		cands = slices.Compact(cands)
		scores = scores[:len(cands)]
		rng.Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
		k := rng.IntN(12)
		idx := make([]int, len(cands))
		for i := range idx {
			idx[i] = i
		}
		key := func(i int) float64 {
			if math.IsNaN(scores[i]) {
				return math.Inf(-1)
			}
			return scores[i]
		}
		slices.SortFunc(idx, func(x, y int) int {
			if c := cmp.Compare(key(y), key(x)); c != 0 {
				return c
			}
			return cmp.Compare(cands[x], cands[y])
		})
		var want []uint32
		for _, i := range idx[:min(k, len(idx))] {
			want = append(want, cands[i])
		}
		got := TopK(nil, cands, scores, k, &order)
		if len(want) == 0 {
			assert.Empty(t, got, "trial %d", trial)
			continue
		}
		assert.Equal(t, want, got, "trial %d", trial)
	}
}

// TestTwoWayMatchesModels checks the inlined scoring against the models'
// own Predict on the features of both directions.
func TestTwoWayMatchesModels(t *testing.T) {
	w, f, m := smallWorld(t)
	bd := NewBoard(w)
	score := TwoWay(f, m, func(p Pair) float64 { return p.Forward*10 + p.Backward })(bd)
	lo, _ := w.Market.Seekers()
	jlo, jhi := w.Market.Jobs()
	var cands []uint32
	for c := jlo; c < jhi; c += 7 {
		cands = append(cands, c)
	}
	got := score(lo+3, cands, nil)
	var x []float64
	var v sparse.Vector
	for i, c := range cands {
		x = f.Pair(x, bd, lo+3, c)
		pf := m.Forward[market.Seeker].Predict(dense(v, x))
		x = f.Pair(x, bd, c, lo+3)
		pb := m.Backward[market.Recruiter].Predict(dense(v, x))
		assert.InDelta(t, pf*10+pb, got[i], 1e-9)
	}
}
