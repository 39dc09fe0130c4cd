package rank

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAUC(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name   string
		scores []float64
		labels []bool
		want   float64
	}{
		{"textbook", []float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true}, 0.75},
		{"perfect", []float64{0.1, 0.2, 0.8, 0.9}, []bool{false, false, true, true}, 1},
		{"reversed", []float64{0.9, 0.8, 0.2, 0.1}, []bool{false, false, true, true}, 0},
		{"all tied", []float64{1, 1, 1}, []bool{true, false, false}, 0.5},
		// pairs (pos,neg): (.5,.5)=½ (.5,.2)=1 (.9,.5)=1 (.9,.2)=1 → 3.5/4
		{"one tie", []float64{0.5, 0.5, 0.2, 0.9}, []bool{true, false, false, true}, 0.875},
		{"NaN lowest", []float64{nan, 0.1}, []bool{true, false}, 0},
		{"only positives", []float64{0.1, 0.2}, []bool{true, true}, nan},
		{"only negatives", []float64{0.1}, []bool{false}, nan},
		{"empty", nil, nil, nan},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := AUC(tc.scores, tc.labels)
			if math.IsNaN(tc.want) {
				assert.True(t, math.IsNaN(got), "got %v", got)
				return
			}
			assert.InDelta(t, tc.want, got, 1e-12)
		})
	}
	assert.Panics(t, func() { AUC([]float64{1}, nil) })
}

func TestAUCAgainstPairs(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for range 200 {
		n := 1 + rng.IntN(30)
		s := make([]float64, n)
		l := make([]bool, n)
		for i := range s {
			s[i] = float64(rng.IntN(5)) // many ties
			l[i] = rng.IntN(2) == 1
		}
		var num, den float64
		for i := range n {
			for j := range n {
				if l[i] && !l[j] {
					den++
					switch {
					case s[i] > s[j]:
						num++
					case s[i] == s[j]:
						num += 0.5
					}
				}
			}
		}
		got := AUC(s, l)
		if den == 0 {
			assert.True(t, math.IsNaN(got))
			continue
		}
		assert.InDelta(t, num/den, got, 1e-12)
	}
}

func TestGAUC(t *testing.T) {
	groups := []uint32{1, 1, 1, 2, 2, 3, 3}
	scores := []float64{0.9, 0.1, 0.5, 0.2, 0.8, 0.3, 0.4}
	labels := []bool{true, false, false, true, false, true, true}
	g, n := GAUC(groups, scores, labels)
	assert.InDelta(t, 0.5, g, 1e-12) // group 1: 1, group 2: 0, group 3 skipped
	assert.Equal(t, 2, n)
	g, n = GAUCBySamples(groups, scores, labels)
	assert.InDelta(t, 0.6, g, 1e-12) // (3·1 + 2·0)/5
	assert.Equal(t, 2, n)
	g, n = GAUC(nil, nil, nil)
	assert.True(t, math.IsNaN(g))
	assert.Equal(t, 0, n)
	assert.Panics(t, func() { GAUC([]uint32{1}, nil, nil) })
}

func TestLogLoss(t *testing.T) {
	assert.InDelta(t, -(math.Log(0.9)+math.Log(0.8))/2, LogLoss([]float64{0.9, 0.2}, []bool{true, false}), 1e-12)
	assert.InDelta(t, math.Log(2), LogLoss([]float64{0.5, 0.5, 0.5}, []bool{true, false, true}), 1e-12)
	assert.InDelta(t, -math.Log(1e-15), LogLoss([]float64{0}, []bool{true}), 1e-9, "clipped, not +Inf")
	assert.InDelta(t, -math.Log(1e-15), LogLoss([]float64{1}, []bool{false}), 1e-3, "clipped, not +Inf")
	assert.True(t, math.IsNaN(LogLoss(nil, nil)))
}

func TestRankingMetricsHand(t *testing.T) {
	s := []float64{0.9, 0.8, 0.7, 0.6, 0.5}
	g := []float64{1, 0, 1, 0, 0} // relevant at ranks 1 and 3
	assert.InDelta(t, 1.0, PrecisionAt(s, g, 1), 1e-12)
	assert.InDelta(t, 0.5, PrecisionAt(s, g, 2), 1e-12)
	assert.InDelta(t, 2.0/3, PrecisionAt(s, g, 3), 1e-12)
	assert.InDelta(t, 0.2, PrecisionAt(s, g, 10), 1e-12, "divides by k")
	assert.InDelta(t, 0.5, RecallAt(s, g, 1), 1e-12)
	assert.InDelta(t, 1.0, RecallAt(s, g, 3), 1e-12)
	assert.InDelta(t, 1.0, HitAt(s, g, 1), 1e-12)
	assert.InDelta(t, 1.5/(1+1/math.Log2(3)), NDCGAt(s, g, 3), 1e-12)
	assert.InDelta(t, 1/(1+1/math.Log2(3)), NDCGAt(s, g, 2), 1e-12)
	assert.InDelta(t, (1+2.0/3)/2, AveragePrecisionAt(s, g, 5), 1e-12)
	assert.InDelta(t, 0.5, AveragePrecisionAt(s, g, 2), 1e-12, "(1/1)/min(2,2)")
	assert.InDelta(t, 1.0, ReciprocalRank(s, g), 1e-12)

	// Graded gains: 3 at rank 2, 1 at rank 1 → DCG = 1 + 3/log2(3); IDCG = 3 + 1/log2(3).
	assert.InDelta(t, (1+3/math.Log2(3))/(3+1/math.Log2(3)), NDCGAt([]float64{2, 1}, []float64{1, 3}, 2), 1e-12)

	s2, g2 := []float64{0.9, 0.8}, []float64{0, 1}
	assert.InDelta(t, 0.5, ReciprocalRank(s2, g2), 1e-12)
	assert.InDelta(t, 0.0, HitAt(s2, g2, 1), 1e-12)
	assert.InDelta(t, 0.0, AveragePrecisionAt(s2, g2, 1), 1e-12)

	// All four tied, one relevant: expectations over the 4 orders.
	s3, g3 := []float64{1, 1, 1, 1}, []float64{1, 0, 0, 0}
	assert.InDelta(t, 0.25, PrecisionAt(s3, g3, 1), 1e-12)
	assert.InDelta(t, 0.5, HitAt(s3, g3, 2), 1e-12) // 1 − C(3,2)/C(4,2)
	assert.InDelta(t, (1+1.0/2+1.0/3+1.0/4)/4, ReciprocalRank(s3, g3), 1e-12)
	assert.InDelta(t, (1+1.0/2+1.0/3+1.0/4)/4, AveragePrecisionAt(s3, g3, 4), 1e-12)
	assert.InDelta(t, 0.25, NDCGAt(s3, g3, 1), 1e-12)

	// Undefined and empty.
	for _, v := range []float64{
		RecallAt(nil, nil, 3), HitAt(nil, nil, 1), NDCGAt(nil, nil, 2),
		AveragePrecisionAt(nil, nil, 2), ReciprocalRank(nil, nil),
		RecallAt([]float64{1}, []float64{0}, 1),
	} {
		assert.True(t, math.IsNaN(v))
	}
	assert.Equal(t, 0.0, PrecisionAt(nil, nil, 3))
	assert.Panics(t, func() { PrecisionAt(s, g, 0) })
	assert.Panics(t, func() { NDCGAt(s, g[:1], 1) })

	m, n := Mean([]float64{math.NaN(), 1, 0})
	assert.InDelta(t, 0.5, m, 1e-12)
	assert.Equal(t, 2, n)
	m, n = Mean(nil)
	assert.True(t, math.IsNaN(m))
	assert.Equal(t, 0, n)
}

// strictMetrics computes every ranking metric for one strict order (no
// ties) by the textbook definitions.
func strictMetrics(order []int, gains []float64, k int) [6]float64 {
	R := relevantCount(gains)
	var hits, ap, rr, dcg float64
	for p, i := range order {
		rel := gains[i] > 0
		if p < k {
			dcg += max(gains[i], 0) / math.Log2(float64(p)+2)
			if rel {
				hits++
				ap += hits / float64(p+1)
			}
		}
		if rel && rr == 0 {
			rr = 1 / float64(p+1)
		}
	}
	hit := 0.0
	if hits > 0 {
		hit = 1
	}
	return [6]float64{hits / float64(k), hits / float64(R), hit, dcg, ap / float64(min(R, k)), rr}
}

// TestRankingTiesAgainstEnumeration checks the tie-aware formulas against
// the average over every order of every tie group.
func TestRankingTiesAgainstEnumeration(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for trial := range 300 {
		n := 1 + rng.IntN(7)
		s := make([]float64, n)
		g := make([]float64, n)
		for i := range s {
			s[i] = float64(rng.IntN(3))
			if rng.IntN(2) == 0 {
				g[i] = float64(1 + rng.IntN(3))
			}
		}
		k := 1 + rng.IntN(n+1)
		if relevantCount(g) == 0 {
			continue
		}
		// Enumerate all permutations, keep those consistent with the scores.
		var sum [6]float64
		count := 0
		perm := make([]int, n)
		for i := range perm {
			perm[i] = i
		}
		var rec func(int)
		rec = func(a int) {
			if a == n {
				for p := 1; p < n; p++ {
					if s[perm[p]] > s[perm[p-1]] {
						return
					}
				}
				m := strictMetrics(perm, g, k)
				for j := range sum {
					sum[j] += m[j]
				}
				count++
				return
			}
			for b := a; b < n; b++ {
				perm[a], perm[b] = perm[b], perm[a]
				rec(a + 1)
				perm[a], perm[b] = perm[b], perm[a]
			}
		}
		rec(0)
		ideal := append([]float64(nil), g...)
		idealOrder := make([]int, n)
		for i := range idealOrder {
			idealOrder[i] = i
		}
		// IDCG via sorting gains descending.
		for a := range ideal {
			for b := a + 1; b < len(ideal); b++ {
				if ideal[b] > ideal[a] {
					ideal[a], ideal[b] = ideal[b], ideal[a]
				}
			}
		}
		idcg := strictMetrics(idealOrder, ideal, k)[3]
		want := func(j int) float64 { return sum[j] / float64(count) }
		assert.InDelta(t, want(0), PrecisionAt(s, g, k), 1e-12, "trial %d precision", trial)
		assert.InDelta(t, want(1), RecallAt(s, g, k), 1e-12, "trial %d recall", trial)
		assert.InDelta(t, want(2), HitAt(s, g, k), 1e-12, "trial %d hit", trial)
		assert.InDelta(t, want(3)/idcg, NDCGAt(s, g, k), 1e-12, "trial %d ndcg", trial)
		assert.InDelta(t, want(4), AveragePrecisionAt(s, g, k), 1e-12, "trial %d ap", trial)
		assert.InDelta(t, want(5), ReciprocalRank(s, g), 1e-12, "trial %d rr", trial)
	}
}

func TestNDCGOddGains(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		scores, gains []float64
	}{
		{[]float64{3, 2, 1}, []float64{1, nan, 0}},
		{[]float64{1, 2}, []float64{math.Inf(1), 1}},
		{[]float64{1, 2}, []float64{1e308, 1e308}},
		{[]float64{2, 1}, []float64{1e308, 1e-300}},
	} {
		got := NDCGAt(c.scores, c.gains, 3)
		if math.IsNaN(got) || got < 0 || got > 1 {
			t.Errorf("NDCGAt(%v, %v) = %v, want a value in [0, 1]", c.scores, c.gains, got)
		}
	}
	if got := NDCGAt([]float64{3, 2, 1}, []float64{1, nan, 0}, 3); got != 1 {
		t.Errorf("NDCG with a NaN gain ranked second = %v, want 1", got)
	}
	if got := NDCGAt([]float64{1, 2}, []float64{nan, nan}, 2); !math.IsNaN(got) {
		t.Errorf("NDCG without a positive gain = %v, want NaN", got)
	}
	assert.PanicsWithValue(t, "rank: NDCGAt: k = 0: must be positive", func() { NDCGAt([]float64{1}, []float64{1}, 0) })
}
