package allocate_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/twowayrec/twoway/allocate"
)

func TestMassBounds(t *testing.T) {
	b, err := allocate.NewBuilder(allocate.Config{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []float64{1e300, 1e-300, allocate.MaxMass * 1.01, allocate.MinMass / 2, 0, -1, math.NaN(), math.Inf(1)} {
		err := b.SetMass(allocate.Mass{Participant: 1, Mass: m})
		var me *allocate.MassError
		if !errors.As(err, &me) || !errors.Is(err, allocate.ErrInput) {
			t.Errorf("SetMass(%v) = %v, want a *MassError", m, err)
		}
	}
	for _, m := range []float64{allocate.MinMass, allocate.MaxMass, 1} {
		if err := b.SetMass(allocate.Mass{Participant: 1, Mass: m}); err != nil {
			t.Errorf("SetMass(%v) = %v", m, err)
		}
	}
}

// TestExtremeInputsStayFinite fits markets at the edges of the accepted
// inputs: masses at MinMass and MaxMass side by side, and probabilities
// near 1e-160 (below MinProbability, so counted as 0).
func TestExtremeInputsStayFinite(t *testing.T) {
	for name, tc := range map[string]struct {
		prob func(r *rand.Rand) float64
		mass func(x uint32) float64
	}{
		"mixed mass": {func(r *rand.Rand) float64 { return r.Float64() }, func(x uint32) float64 {
			if x%2 == 0 {
				return allocate.MinMass
			}
			return allocate.MaxMass
		}},
		"huge mass": {func(r *rand.Rand) float64 { return r.Float64() }, func(x uint32) float64 {
			if x >= 50 {
				return allocate.MaxMass
			}
			return 1
		}},
		"tiny prob": {func(r *rand.Rand) float64 { return 1e-160 * r.Float64() }, func(uint32) float64 { return 1 }},
	} {
		t.Run(name, func(t *testing.T) {
			const nS, nJ = 50, 20
			b, err := allocate.NewBuilder(allocate.Config{})
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(rand.NewPCG(5, 6))
			for i := range nS {
				perm := r.Perm(nJ)
				for k := range 5 {
					if err := b.Add(allocate.Pair{Seeker: uint32(i), Job: uint32(nS + perm[k]), Act: tc.prob(r), Answer: tc.prob(r)}); err != nil {
						t.Fatal(err)
					}
				}
			}
			for x := range uint32(nS + nJ) {
				if err := b.SetMass(allocate.Mass{Participant: x, Mass: tc.mass(x)}); err != nil {
					t.Fatal(err)
				}
			}
			g, err := b.Build()
			if err != nil {
				t.Fatal(err)
			}
			p, err := allocate.Fit(context.Background(), g)
			if err != nil {
				t.Fatal(err)
			}
			for x := range uint32(nS + nJ) {
				if u := p.Potential(x); math.IsNaN(u) || math.IsInf(u, 0) {
					t.Fatalf("potential of %d = %v", x, u)
				}
			}
			t.Logf("sweeps %d converged %v residual %g", p.Stats().Sweeps, p.Stats().Converged, p.Stats().Residual)
			if !p.Stats().Converged {
				t.Errorf("not converged: %+v", p.Stats())
			}
			for _, s := range p.Score(0, []uint32{nS, nS + 1, 1 << 27}, []float64{p.Surplus(0.5, 0.5), p.Surplus(1e-160, 1), math.Inf(1)}, nil) {
				if math.IsNaN(s) || s < 0 {
					t.Fatalf("score %v", s)
				}
			}
			data, err := p.AppendBinary(nil)
			if err != nil {
				t.Fatal(err)
			}
			var q allocate.Potentials
			if err := q.UnmarshalBinary(data); err != nil {
				t.Fatalf("round trip: %v", err)
			}
		})
	}
}
