package metric

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
)

// giniBrute is the mean-absolute-difference definition:
// G = Σ_i Σ_j |x_i − x_j| / (2 n² μ).
func giniBrute(x []float64) float64 {
	var s, d float64
	for _, a := range x {
		s += a
		for _, b := range x {
			d += math.Abs(a - b)
		}
	}
	n := float64(len(x))
	if s == 0 {
		return 0
	}
	return d / (2 * n * n * (s / n))
}

func TestGini(t *testing.T) {
	for _, tc := range []struct {
		in   []float64
		want float64
	}{
		{nil, 0}, {[]float64{0, 0}, 0}, {[]float64{3, 3, 3}, 0}, {[]float64{0, 0, 1}, 2.0 / 3}, {[]float64{0, 0, 0, 5}, 0.75},
	} {
		assert.InDelta(t, tc.want, Gini(tc.in), 1e-12, "%v", tc.in)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for range 100 {
		x := make([]float64, 1+rng.IntN(40))
		for i := range x {
			x[i] = math.Floor(rng.ExpFloat64() * 10)
		}
		assert.InDelta(t, giniBrute(x), Gini(x), 1e-9)
	}
	assert.Panics(t, func() { Gini([]float64{1, -1}) })
	assert.Panics(t, func() { Gini([]float64{math.NaN()}) })
}

func TestLorenz(t *testing.T) {
	xs, ys := Lorenz([]float64{2, 2, 2, 2}, 4)
	assert.Equal(t, []float64{0, 0.25, 0.5, 0.75, 1}, xs)
	for i := range xs {
		assert.InDelta(t, xs[i], ys[i], 1e-12, "equal shares lie on the diagonal")
	}
	_, ys = Lorenz([]float64{0, 0, 0, 4}, 4)
	assert.Equal(t, []float64{0, 0, 0, 0, 1}, ys)
	_, ys = Lorenz(nil, 2)
	assert.Equal(t, []float64{0, 0.5, 1}, ys)
	// Twice the area between the diagonal and the curve is the Gini
	// coefficient when the curve is sampled at every participant.
	x := []float64{1, 5, 0, 9, 2, 2, 7, 0, 3, 11}
	xs, ys = Lorenz(x, len(x))
	var area float64
	for i := 1; i < len(xs); i++ {
		area += (xs[i] - xs[i-1]) * (ys[i] + ys[i-1]) / 2
	}
	assert.InDelta(t, Gini(x), 1-2*area, 1e-12)
}

func TestRanking(t *testing.T) {
	r := Ranking{K: 2}
	r.Add(1, []float64{3, 2, 1}, []float64{1, 0, 0})
	r.Add(2, []float64{3, 2, 1}, []float64{0, 0, 1})
	r.Add(3, []float64{1, 1}, []float64{0, 0}) // no relevant candidate
	s := r.Summary()
	assert.Equal(t, 3, s.Users)
	assert.Equal(t, 2, s.Relevant)
	assert.InDelta(t, (0.5+0+0)/3, s.Precision, 1e-12)
	assert.InDelta(t, 0.5, s.Recall, 1e-12)
	assert.InDelta(t, (1+1.0/3)/2, s.MRR, 1e-12)
	assert.InDelta(t, 0.5, s.GAUC, 1e-12) // user 1: AUC 1, user 2: AUC 0
}

func ExampleGini() {
	fmt.Printf("%.3f %.3f %.3f\n", Gini([]float64{5, 5, 5, 5}), Gini([]float64{0, 0, 0, 20}), Gini([]float64{1, 2, 3, 4}))
	// Output: 0.000 0.750 0.250
}
