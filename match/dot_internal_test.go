package match

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/sparse"
)

// correctionDot equals the dot product with the concatenated vector.
func TestCorrectionDot(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	randVec := func(n, dim int) sparse.Vector {
		seen := map[uint32]bool{}
		var v sparse.Vector
		for len(v.Idx) < n {
			j := uint32(rng.IntN(dim))
			if !seen[j] {
				seen[j] = true
				v.Idx = append(v.Idx, j)
			}
		}
		for i := range v.Idx {
			for k := i + 1; k < len(v.Idx); k++ {
				if v.Idx[k] < v.Idx[i] {
					v.Idx[i], v.Idx[k] = v.Idx[k], v.Idx[i]
				}
			}
		}
		for range v.Idx {
			v.Val = append(v.Val, rng.NormFloat64())
		}
		return v
	}
	for trial := range 400 {
		dim := 20 + rng.IntN(300)
		w := randVec(rng.IntN(min(dim, 200)), dim+NumPairFeatures)
		v := randVec(rng.IntN(min(dim, 40)), dim)
		var pf [NumPairFeatures]float64
		for j := range pf {
			pf[j] = rng.Float64()
		}
		x := make([]float64, dim+NumPairFeatures)
		copy(x, pf[:])
		dense := make([]float64, rng.IntN(dim+1)) // shorter than dim: the rest is 0
		for k, j := range v.Idx {
			if int(j) < len(dense) {
				x[NumPairFeatures+j] = v.Val[k]
				dense[j] = v.Val[k]
			}
		}
		want := 0.0
		for k, j := range w.Idx {
			want += w.Val[k] * x[j]
		}
		require.InDelta(t, want, correctionDot(w, &pf, dense), 1e-9, "trial %d: |w| %d |v| %d", trial, len(w.Idx), len(v.Idx))
	}
}

// BenchmarkCorrectionDot: a correction of 200 weights against a request's
// content laid out densely over 3,000 dimensions.
func BenchmarkCorrectionDot(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	var w sparse.Vector
	for j := uint32(0); len(w.Idx) < 200; j += 1 + uint32(rng.IntN(30)) {
		w.Idx = append(w.Idx, j)
		w.Val = append(w.Val, rng.NormFloat64())
	}
	var pf [NumPairFeatures]float64
	dense := make([]float64, 3000)
	for j := range dense {
		dense[j] = rng.Float64()
	}
	b.ReportAllocs()
	s := 0.0
	for b.Loop() {
		s += correctionDot(w, &pf, dense)
	}
	if s == 0 {
		b.Fatal("zero")
	}
}
