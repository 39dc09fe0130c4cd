package allocate

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// agree asserts that two potentials describe the same equilibrium: the
// unmatched masses of every participant agree to within tol relative to
// the participant's mass.
func agree(t *testing.T, want, got *Potentials, tol float64, msg string) {
	t.Helper()
	require.Equal(t, want.Len(), got.Len(), msg)
	worst := 0.0
	for x := range uint32(want.Len()) {
		if n := want.Mass(x); n > 0 {
			worst = max(worst, math.Abs(want.Unmatched(x)-got.Unmatched(x))/n)
		}
	}
	assert.Less(t, worst, tol, msg)
}

func TestRefreshMasses(t *testing.T) {
	m := randomMarket(50, 200, 60, 0.2, true)
	cfg := Config{Tolerance: 1e-10}
	g := build(t, cfg, m)
	prev := fit(t, g)
	// The ledger fills three jobs and frees one.
	h, err := g.WithMasses([]Mass{{200, 0.2}, {201, 0.05}, {230, g.Mass(230) / 3}, {259, g.Mass(259) + 2}})
	require.NoError(t, err)
	assert.Equal(t, 0.2, h.Mass(200))
	assert.NotEqual(t, 0.2, g.Mass(200), "g unchanged")
	ref := fit(t, h)
	got, err := Refresh(context.Background(), h, prev, nil)
	require.NoError(t, err)
	require.True(t, got.Stats().Converged, "%+v", got.Stats())
	agree(t, ref, got, 1e-7, "refresh vs fit")
	assert.Less(t, violations(got, h, m), 1e-7, "marginals after refresh")
	assert.Less(t, got.Stats().PairTerms, ref.Stats().PairTerms, "refresh cheaper than a fit")
	t.Logf("refresh: %+v; fit: %+v", got.Stats(), ref.Stats())
	assert.Equal(t, prev.Temperature(), got.Temperature())
}

func TestRefreshPairs(t *testing.T) {
	m := randomMarket(51, 150, 50, 0.2, true)
	cfg := Config{Tolerance: 1e-10}
	prev := fit(t, build(t, cfg, m))
	// Re-score one seeker's pairs, drop another's first pair, add a new
	// seeker with two pairs.
	var changed []uint32
	var next market
	next.masses = m.masses
	dropped := false
	for _, p := range m.pairs {
		switch {
		case p.Seeker == 3:
			p.Act = min(1, p.Act*1.5)
			changed = append(changed, p.Seeker, p.Job)
		case p.Seeker == 4 && !dropped:
			dropped = true
			changed = append(changed, p.Seeker, p.Job)
			continue
		}
		next.pairs = append(next.pairs, p)
	}
	next.pairs = append(next.pairs, Pair{Seeker: 1000, Job: 150, Act: 0.9, Answer: 0.9}, Pair{Seeker: 1000, Job: 151, Act: 0.2, Answer: 0.7})
	changed = append(changed, 150, 151, 5000) // 5000 is in no graph: ignored
	h := build(t, cfg, next)
	// Refresh keeps prev's temperature; fit the reference at the same one
	// (Beta is relative to the mean surplus, which the new pairs moved).
	mean := h.Temperature() / DefaultBeta
	ref := fit(t, build(t, Config{Tolerance: 1e-10, Beta: prev.Temperature() / mean}, next))
	require.InDelta(t, prev.Temperature(), ref.Temperature(), 1e-15)
	got, err := Refresh(context.Background(), h, prev, changed)
	require.NoError(t, err)
	require.True(t, got.Stats().Converged, "%+v", got.Stats())
	agree(t, ref, got, 1e-7, "refresh vs fit")
	assert.Less(t, violations(got, h, next), 1e-7, "marginals after refresh")
	assert.Positive(t, got.Mass(1000))
}

func TestRefreshNothingChanged(t *testing.T) {
	m := randomMarket(52, 40, 20, 0.3, true)
	g := build(t, Config{Tolerance: 1e-10}, m)
	prev := fit(t, g)
	got, err := Refresh(context.Background(), g, prev, nil)
	require.NoError(t, err)
	assert.Zero(t, got.Stats().Sweeps)
	assert.True(t, got.Stats().Converged)
	for x := range uint32(prev.Len()) {
		assert.Equal(t, prev.Potential(x), got.Potential(x))
	}
}

func TestRefreshRoundsBound(t *testing.T) {
	m := randomMarket(53, 80, 30, 0.3, true)
	g := build(t, Config{Tolerance: 1e-12, RefreshRounds: 2, MaxSweeps: 1}, m)
	prev := fit(t, g)
	h, err := g.WithMasses([]Mass{{80, 0.1}})
	require.NoError(t, err)
	got, err := Refresh(context.Background(), h, prev, nil)
	require.NoError(t, err)
	assert.LessOrEqual(t, got.Stats().Sweeps, 3, "two rounds and one sweep")
	assert.False(t, got.Stats().Converged)
}

func TestRefreshErrors(t *testing.T) {
	m := randomMarket(54, 10, 5, 0.5, false)
	prev := fit(t, build(t, Config{Surplus: Sum}, m))
	_, err := Refresh(context.Background(), build(t, Config{}, m), prev, nil)
	assert.ErrorIs(t, err, ErrMismatch)
	p, err := Refresh(context.Background(), build(t, Config{}, m), nil, nil)
	require.NoError(t, err, "nil prev is a Fit")
	assert.True(t, p.Stats().Converged)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	g := build(t, Config{Surplus: Sum}, m)
	h, err := g.WithMasses([]Mass{{10, 3}})
	require.NoError(t, err)
	_, err = Refresh(ctx, h, prev, nil)
	assert.ErrorIs(t, err, context.Canceled)
}

func TestExactUpdate(t *testing.T) {
	// One participant, two partners: the update solves n = x² + x·s.
	phi := []float64{0.3, 0.9}
	other := []float64{0.1, -0.2}
	beta := 0.05
	u, _ := exactUpdate(2, 0, beta, phi, []uint32{0, 1}, nil, other)
	x := math.Exp(-u / (2 * beta))
	s := math.Exp((phi[0]-other[0])/(2*beta)) + math.Exp((phi[1]-other[1])/(2*beta))
	assert.InDelta(t, 2, x*x+x*s, 1e-12)
	// Huge s: no overflow, still exact in log space.
	u, _ = exactUpdate(1, 0, 1e-4, []float64{1}, []uint32{0}, nil, []float64{0})
	assert.False(t, math.IsNaN(u) || math.IsInf(u, 0))
	assert.InDelta(t, 1, u, 1e-3, "μ_x0 ≈ e^{-Φ/β}·…: ũ ≈ Φ")
	// No partner: unmatched.
	u, _ = exactUpdate(3, 7, 0.5, nil, nil, nil, nil)
	assert.InDelta(t, -0.5*math.Log(3), u, 1e-15)
}
