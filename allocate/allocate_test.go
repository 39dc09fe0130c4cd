package allocate

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// market is a test market: its pairs and masses, and the graph built from
// them.
type market struct {
	pairs  []Pair
	masses []Mass
}

// randomMarket returns S seekers (indices 0 … S−1) and J jobs (S … S+J−1);
// each pair exists with probability density; job masses are drawn from
// [1, 4) when capacities is set, seeker masses stay 1.
func randomMarket(seed uint64, S, J int, density float64, capacities bool) market {
	r := rand.New(rand.NewPCG(seed, 1))
	var m market
	for i := range S {
		for j := range J {
			if r.Float64() < density {
				m.pairs = append(m.pairs, Pair{Seeker: uint32(i), Job: uint32(S + j), Act: r.Float64(), Answer: r.Float64()})
			}
		}
	}
	if capacities {
		for j := range J {
			m.masses = append(m.masses, Mass{Participant: uint32(S + j), Mass: 1 + 3*r.Float64()})
		}
	}
	return m
}

func build(t testing.TB, cfg Config, m market) *Graph {
	t.Helper()
	b, err := NewBuilder(cfg)
	require.NoError(t, err)
	for _, p := range m.pairs {
		require.NoError(t, b.Add(p))
	}
	for _, ms := range m.masses {
		require.NoError(t, b.SetMass(ms))
	}
	g, err := b.Build()
	require.NoError(t, err)
	return g
}

func fit(t testing.TB, g *Graph) *Potentials {
	t.Helper()
	p, err := Fit(context.Background(), g)
	require.NoError(t, err)
	return p
}

// violations returns the largest relative marginal violation of p over
// g's participants, computed from Score and Unmatched only.
func violations(p *Potentials, g *Graph, m market) float64 {
	matched := map[uint32]float64{}
	for _, pr := range m.pairs {
		mu := p.Score(pr.Seeker, []uint32{pr.Job}, []float64{p.Surplus(pr.Act, pr.Answer)}, nil)[0]
		matched[pr.Seeker] += mu
		matched[pr.Job] += mu
	}
	var worst float64
	for _, ix := range append(append(append([]uint32{}, g.seekers...), g.jobs...), g.isolated...) {
		n := g.Mass(ix)
		worst = max(worst, math.Abs(n-p.Unmatched(ix)-matched[ix])/n)
	}
	return worst
}

// dualNewton maximises the Choo–Siow dual of g's market with gonum's Newton method, an
// independent solver of the same convex problem, and returns √μ_x0 for the
// seekers and the jobs.
func dualNewton(t *testing.T, g *Graph) (A, B []float64) {
	S, J := len(g.seekers), len(g.jobs)
	beta := g.Temperature()
	type edge struct {
		i, j int
		k    float64
	}
	var edges []edge
	for i := range S {
		for e := g.rowPtr[i]; e < g.rowPtr[i+1]; e++ {
			edges = append(edges, edge{i, int(g.col[e]), math.Exp(g.phi[e] / (2 * beta))})
		}
	}
	negD := func(x []float64) float64 {
		a, b := x[:S], x[S:]
		var d float64
		for i := range S {
			d += g.nMass[i]*a[i] - math.Exp(2*a[i])/2
		}
		for j := range J {
			d += g.mMass[j]*b[j] - math.Exp(2*b[j])/2
		}
		for _, e := range edges {
			d -= e.k * math.Exp(a[e.i]+b[e.j])
		}
		return -d
	}
	grad := func(gr, x []float64) {
		a, b := x[:S], x[S:]
		for i := range S {
			gr[i] = -(g.nMass[i] - math.Exp(2*a[i]))
		}
		for j := range J {
			gr[S+j] = -(g.mMass[j] - math.Exp(2*b[j]))
		}
		for _, e := range edges {
			mu := e.k * math.Exp(a[e.i]+b[e.j])
			gr[e.i] += mu
			gr[S+e.j] += mu
		}
	}
	hess := func(h *mat.SymDense, x []float64) {
		a, b := x[:S], x[S:]
		for k := range S + J {
			for l := range S + J {
				h.SetSym(k, l, 0)
			}
		}
		for i := range S {
			h.SetSym(i, i, 2*math.Exp(2*a[i]))
		}
		for j := range J {
			h.SetSym(S+j, S+j, 2*math.Exp(2*b[j]))
		}
		for _, e := range edges {
			mu := e.k * math.Exp(a[e.i]+b[e.j])
			h.SetSym(e.i, e.i, h.At(e.i, e.i)+mu)
			h.SetSym(S+e.j, S+e.j, h.At(S+e.j, S+e.j)+mu)
			h.SetSym(e.i, S+e.j, mu)
		}
	}
	res, err := optimize.Minimize(optimize.Problem{Func: negD, Grad: grad, Hess: hess}, make([]float64, S+J),
		&optimize.Settings{GradientThreshold: 1e-12, MajorIterations: 1000}, &optimize.Newton{})
	require.NoError(t, err)
	A, B = make([]float64, S), make([]float64, J)
	for i := range S {
		A[i] = math.Exp(res.X[i])
	}
	for j := range J {
		B[j] = math.Exp(res.X[S+j])
	}
	return A, B
}

func TestFitAgainstNewton(t *testing.T) {
	for _, tc := range []struct {
		name    string
		surplus Surplus
		beta    float64
		m       market
	}{
		{"product dense", Product, 0.5, randomMarket(1, 5, 4, 1, true)},
		{"sum sparse", Sum, 0.3, randomMarket(2, 6, 5, 0.5, true)},
		{"product unit masses", Product, 1, randomMarket(3, 4, 6, 0.8, false)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := build(t, Config{Surplus: tc.surplus, Beta: tc.beta, Tolerance: 1e-13}, tc.m)
			p := fit(t, g)
			require.True(t, p.Stats().Converged, "%+v", p.Stats())
			assert.Less(t, violations(p, g, tc.m), 1e-9, "marginals")
			A, B := dualNewton(t, g)
			for _, pr := range tc.m.pairs {
				i, j := g.loc[pr.Seeker]&locMask, g.loc[pr.Job]&locMask
				want := math.Exp(p.Surplus(pr.Act, pr.Answer)/(2*g.Temperature())) * A[i] * B[j]
				got := p.Score(pr.Seeker, []uint32{pr.Job}, []float64{p.Surplus(pr.Act, pr.Answer)}, nil)[0]
				assert.InDelta(t, want, got, 1e-7, "μ of %v", pr)
			}
			for i, ix := range g.seekers {
				assert.InDelta(t, A[i]*A[i], p.Unmatched(ix), 1e-7, "μ_i0 of seeker %d", ix)
			}
			for j, ix := range g.jobs {
				assert.InDelta(t, B[j]*B[j], p.Unmatched(ix), 1e-7, "μ_0j of job %d", ix)
			}
		})
	}
}

// TestFitPrimalOptimal checks the equilibrium against the primal problem
// directly: no feasible perturbation of μ raises W (W is concave, so a
// local maximum is the global one).
func TestFitPrimalOptimal(t *testing.T) {
	m := randomMarket(4, 4, 3, 1, true)
	g := build(t, Config{Beta: 0.4, Tolerance: 1e-13}, m)
	p := fit(t, g)
	beta := g.Temperature()
	mu := make([]float64, len(m.pairs))
	phi := make([]float64, len(m.pairs))
	for k, pr := range m.pairs {
		phi[k] = p.Surplus(pr.Act, pr.Answer)
		mu[k] = p.Score(pr.Seeker, []uint32{pr.Job}, phi[k:k+1], nil)[0]
	}
	xlogx := func(x float64) float64 { return x * math.Log(x) }
	W := func(mu []float64) float64 {
		rows, cols := map[uint32]float64{}, map[uint32]float64{}
		var w float64
		for k, pr := range m.pairs {
			if mu[k] <= 0 {
				return math.Inf(-1)
			}
			w += mu[k]*phi[k] - 2*beta*xlogx(mu[k])
			rows[pr.Seeker] += mu[k]
			cols[pr.Job] += mu[k]
		}
		for ix, s := range rows {
			u0 := g.Mass(ix) - s
			if u0 <= 0 {
				return math.Inf(-1)
			}
			w -= beta * xlogx(u0)
		}
		for ix, s := range cols {
			u0 := g.Mass(ix) - s
			if u0 <= 0 {
				return math.Inf(-1)
			}
			w -= beta * xlogx(u0)
		}
		return w
	}
	w0 := W(mu)
	require.False(t, math.IsInf(w0, 0))
	r := rand.New(rand.NewPCG(5, 5))
	trial := make([]float64, len(mu))
	for range 2000 {
		step := math.Pow(10, -1-4*r.Float64())
		for k := range mu {
			trial[k] = mu[k] * (1 + step*(2*r.Float64()-1))
		}
		assert.LessOrEqual(t, W(trial), w0+1e-12, "a perturbation of size %g raised W", step)
	}
}

func TestFitSparseMarginals(t *testing.T) {
	m := randomMarket(6, 60, 40, 0.15, true)
	m.masses = append(m.masses, Mass{Participant: 500, Mass: 2}) // isolated
	for _, s := range []Surplus{Product, Sum} {
		for _, beta := range []float64{0.05, 0.3, 3} {
			g := build(t, Config{Surplus: s, Beta: beta, Tolerance: 1e-11}, m)
			p := fit(t, g)
			require.True(t, p.Stats().Converged, "%v β %v: %+v", s, beta, p.Stats())
			assert.Less(t, violations(p, g, m), 1e-9, "%v β %v", s, beta)
			assert.InDelta(t, 2, p.Unmatched(500), 1e-12, "isolated participant unmatched")
			assert.Zero(t, p.Utility(500))
		}
	}
}

func TestRelaxationSameEquilibrium(t *testing.T) {
	m := randomMarket(7, 60, 40, 0.3, true)
	plain := fit(t, build(t, Config{Beta: 0.05, Relaxation: 1, Tolerance: 1e-11, MaxSweeps: 20000}, m))
	adaptive := fit(t, build(t, Config{Beta: 0.05, Tolerance: 1e-11, MaxSweeps: 20000}, m))
	fixed := fit(t, build(t, Config{Beta: 0.05, Relaxation: 1.7, Tolerance: 1e-11, MaxSweeps: 20000}, m))
	for k, p := range []*Potentials{plain, adaptive, fixed} {
		t.Logf("%d: %+v", k, p.Stats())
	}
	for _, p := range []*Potentials{plain, adaptive, fixed} {
		require.True(t, p.Stats().Converged, "%+v", p.Stats())
	}
	for x := range uint32(100) {
		assert.InDelta(t, plain.Unmatched(x), adaptive.Unmatched(x), 1e-8, "participant %d", x)
		assert.Positive(t, plain.Mass(x))
		assert.InDelta(t, plain.Unmatched(x), fixed.Unmatched(x), 1e-8, "participant %d", x)
	}
	t.Logf("sweeps: plain %d, adaptive %d, ω=1.7 %d", plain.Stats().Sweeps, adaptive.Stats().Sweeps, fixed.Stats().Sweeps)
}

func TestWorkersBitIdentical(t *testing.T) {
	m := randomMarket(8, 300, 120, 0.9, true) // ≈ 32,000 pairs: several chunks
	var ref *Potentials
	for _, w := range []int{1, 2, 7} {
		p := fit(t, build(t, Config{Workers: w}, m))
		if ref == nil {
			ref = p
			require.Greater(t, len(chunking(build(t, Config{}, m).rowPtr)), 2, "want several chunks")
			continue
		}
		assert.Equal(t, ref.Stats(), p.Stats(), "workers %d", w)
		for x := range ref.u {
			require.Equal(t, math.Float64bits(ref.u[x]), math.Float64bits(p.u[x]), "workers %d, participant %d", w, x)
		}
	}
}

// TestCapacityMonotone: raising a job's capacity never lowers its expected
// matches.
func TestCapacityMonotone(t *testing.T) {
	for seed := range uint64(4) {
		m := randomMarket(10+seed, 30, 12, 0.4, true)
		g := build(t, Config{Tolerance: 1e-12}, m)
		base := fit(t, g)
		for j := range uint32(12) {
			job := 30 + j
			for _, factor := range []float64{1.01, 1.5, 4} {
				h, err := g.WithMasses([]Mass{{Participant: job, Mass: g.Mass(job) * factor}})
				require.NoError(t, err)
				p := fit(t, h)
				assert.GreaterOrEqual(t, p.Matched(job), base.Matched(job)-1e-10,
					"seed %d job %d capacity ×%v: matches %v → %v", seed, job, factor, base.Matched(job), p.Matched(job))
			}
		}
	}
}

// TestSymmetry: the two sides play the same role; swapping them (and
// the two probabilities) gives the same equilibrium, and identical
// participants get identical potentials.
func TestSymmetry(t *testing.T) {
	m := randomMarket(20, 25, 18, 0.5, true)
	var swapped market
	for _, p := range m.pairs {
		swapped.pairs = append(swapped.pairs, Pair{Seeker: p.Job, Job: p.Seeker, Act: p.Answer, Answer: p.Act})
	}
	swapped.masses = m.masses
	for _, s := range []Surplus{Product, Sum} {
		a := fit(t, build(t, Config{Surplus: s, Tolerance: 1e-12}, m))
		b := fit(t, build(t, Config{Surplus: s, Tolerance: 1e-12}, swapped))
		for x := range uint32(43) {
			assert.InDelta(t, a.Unmatched(x), b.Unmatched(x), 1e-9, "%v participant %d", s, x)
		}
	}
	// A market of identical seekers and identical jobs.
	var same market
	for i := range 4 {
		for j := range 3 {
			same.pairs = append(same.pairs, Pair{Seeker: uint32(i), Job: uint32(4 + j), Act: 0.6, Answer: 0.3})
		}
	}
	p := fit(t, build(t, Config{Tolerance: 1e-12}, same))
	for i := range uint32(4) {
		assert.InDelta(t, p.Potential(0), p.Potential(i), 1e-12)
	}
	for j := range uint32(3) {
		assert.InDelta(t, p.Potential(4), p.Potential(4+j), 1e-12)
	}
}

func TestDegenerateGraphs(t *testing.T) {
	ctx := context.Background()
	t.Run("empty", func(t *testing.T) {
		b, err := NewBuilder(Config{})
		require.NoError(t, err)
		g, err := b.Build()
		require.NoError(t, err)
		p, err := Fit(ctx, g)
		require.NoError(t, err)
		assert.True(t, p.Stats().Converged)
		assert.Zero(t, p.Len())
		assert.Equal(t, []float64{1, 1}, p.Score(3, []uint32{4, 5}, []float64{0, 5}, nil), "neutral, capped at 1")
	})
	t.Run("masses only", func(t *testing.T) {
		g := build(t, Config{}, market{masses: []Mass{{Participant: 2, Mass: 3}, {Participant: 0, Mass: 0.5}}})
		p := fit(t, g)
		assert.Equal(t, 3, p.Len())
		assert.InDelta(t, 3, p.Unmatched(2), 1e-12)
		assert.InDelta(t, 0.5, p.Unmatched(0), 1e-12)
		assert.Zero(t, p.Mass(1))
		assert.Equal(t, 1.0, p.Unmatched(1), "absent")
	})
	t.Run("zero surplus everywhere", func(t *testing.T) {
		m := market{pairs: []Pair{{Seeker: 0, Job: 1, Act: 0, Answer: 0.5}, {Seeker: 2, Job: 1, Act: 0.3, Answer: 0}}}
		g := build(t, Config{Beta: 0.2, Tolerance: 1e-12}, m)
		assert.Equal(t, 0.2, g.Temperature(), "β = Beta when every Φ is 0")
		p := fit(t, g)
		assert.Less(t, violations(p, g, m), 1e-9)
	})
	t.Run("single pair", func(t *testing.T) {
		m := market{pairs: []Pair{{Seeker: 7, Job: 3, Act: 1, Answer: 1}}}
		g := build(t, Config{Tolerance: 1e-13}, m)
		p := fit(t, g)
		// One pair: μ_10 = μ_01 = x², μ = x²·e^{Φ/2β}, x² + μ = 1.
		k := math.Exp(1 / (2 * g.Temperature()))
		want := k / (1 + k)
		got := p.Score(7, []uint32{3}, []float64{1}, nil)[0]
		assert.InDelta(t, want, got, 1e-12)
		assert.InDelta(t, want, p.Matched(3), 1e-12)
	})
	t.Run("duplicates merge", func(t *testing.T) {
		pr := Pair{Seeker: 0, Job: 1, Act: 0.5, Answer: 0.5}
		g := build(t, Config{}, market{pairs: []Pair{pr, pr, pr}})
		assert.Equal(t, 1, g.Pairs())
	})
}

func TestBuilderErrors(t *testing.T) {
	b, err := NewBuilder(Config{})
	require.NoError(t, err)
	require.NoError(t, b.Add(Pair{Seeker: 3, Job: 7, Act: 0.5, Answer: 0.5}))
	for _, tc := range []struct {
		pair Pair
		want string
	}{
		{Pair{Seeker: 3, Job: 8, Act: math.NaN(), Answer: 0.5}, "pair (seeker 3, job 8): Act: NaN"},
		{Pair{Seeker: 3, Job: 8, Act: 0.5, Answer: math.Inf(1)}, "pair (seeker 3, job 8): Answer: +Inf"},
		{Pair{Seeker: 3, Job: 8, Act: 1.5, Answer: 0.5}, "Act: 1.5 outside [0, 1]"},
		{Pair{Seeker: 3, Job: 8, Act: 0.5, Answer: -0.1}, "Answer: -0.1 outside [0, 1]"},
		{Pair{Seeker: 7, Job: 8, Act: 0.5, Answer: 0.5}, "pair (seeker 7, job 8): Seeker: the participant is a job"},
		{Pair{Seeker: 9, Job: 3, Act: 0.5, Answer: 0.5}, "Job: the participant is a seeker"},
		{Pair{Seeker: 4, Job: 4, Act: 0.5, Answer: 0.5}, "the same participant"},
		{Pair{Seeker: MaxIndex + 1, Job: 4, Act: 0.5, Answer: 0.5}, "Seeker: index above"},
	} {
		err := b.Add(tc.pair)
		require.Error(t, err, "%+v", tc.pair)
		assert.ErrorIs(t, err, ErrInput)
		var pe *PairError
		require.True(t, errors.As(err, &pe))
		assert.Equal(t, [2]uint32{tc.pair.Seeker, tc.pair.Job}, [2]uint32{pe.Pair.Seeker, pe.Pair.Job})
		assert.Contains(t, err.Error(), tc.want)
	}
	for _, m := range []Mass{{1, math.NaN()}, {1, 0}, {1, -2}, {1, math.Inf(1)}, {MaxIndex + 1, 1}} {
		err := b.SetMass(m)
		assert.ErrorIs(t, err, ErrInput, "%+v", m)
		var me *MassError
		assert.True(t, errors.As(err, &me))
		assert.Contains(t, err.Error(), "participant")
	}
	require.NoError(t, b.Add(Pair{Seeker: 3, Job: 7, Act: 0.5, Answer: 0.4}))
	_, err = b.Build()
	assert.ErrorIs(t, err, ErrInput)
	assert.Contains(t, err.Error(), "pair (seeker 3, job 7): added twice with different surpluses")

	g := build(t, Config{}, randomMarket(1, 3, 2, 1, false))
	_, err = g.WithMasses([]Mass{{Participant: 40, Mass: 1}})
	assert.ErrorIs(t, err, ErrInput)
	assert.Contains(t, err.Error(), "participant 40")
	_, err = g.WithMasses([]Mass{{Participant: 1, Mass: math.NaN()}})
	assert.ErrorIs(t, err, ErrInput)
}

func TestConfigValidate(t *testing.T) {
	assert.NoError(t, Config{}.Validate())
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Surplus: 9}, "Surplus"},
		{Config{Beta: -1}, "Beta"},
		{Config{Beta: math.NaN()}, "Beta"},
		{Config{Tolerance: 1}, "Tolerance"},
		{Config{Tolerance: -1e-9}, "Tolerance"},
		{Config{MaxSweeps: -1}, "MaxSweeps"},
		{Config{Relaxation: 0.5}, "Relaxation"},
		{Config{Relaxation: 2}, "Relaxation"},
		{Config{RefreshRounds: -3}, "RefreshRounds"},
		{Config{Workers: -1}, "Workers"},
	} {
		err := tc.cfg.Validate()
		assert.ErrorIs(t, err, ErrConfig, tc.field)
		assert.ErrorContains(t, err, "Config."+tc.field, tc.field)
		_, err = NewBuilder(tc.cfg)
		assert.ErrorIs(t, err, ErrConfig, tc.field)
	}
	// Hosts load Config from JSON; the surplus travels by name.
	in := Config{Surplus: Sum, Beta: 0.2, Tolerance: 1e-8, MaxSweeps: 50, Relaxation: 1.5, RefreshRounds: 3, Workers: 2}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"surplus":"sum"`)
	var out Config
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, in, out)
	assert.ErrorIs(t, json.Unmarshal([]byte(`{"surplus":"max"}`), &out), ErrConfig)
	var s Surplus
	require.NoError(t, s.UnmarshalText([]byte("sum")))
	assert.Equal(t, Sum, s)
	txt, err := Product.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "product", string(txt))
	assert.ErrorIs(t, s.UnmarshalText([]byte("min")), ErrConfig)
	_, err = Surplus(7).MarshalText()
	assert.ErrorIs(t, err, ErrConfig)
}

func TestScore(t *testing.T) {
	m := randomMarket(30, 6, 4, 1, true)
	g := build(t, Config{}, m)
	p := fit(t, g)
	cands := []uint32{6, 7, 99}
	phi := []float64{p.Surplus(0.5, 0.5), math.NaN(), p.Surplus(0.9, math.NaN())}
	dst := make([]float64, 1, 8)
	out := p.Score(0, cands, phi, dst)
	require.Len(t, out, 3)
	assert.Same(t, &dst[:1][0], &out[0], "dst reused")
	assert.Zero(t, out[1], "NaN surplus scores 0")
	assert.Zero(t, phi[2], "NaN backward probability counts as 0")
	assert.InDelta(t, math.Exp(-p.Potential(0)/(2*p.Temperature())), out[2], 1e-15, "absent candidate: neutral potential")
	assert.InDelta(t, math.Exp((phi[0]-p.Potential(0)-p.Potential(6))/(2*p.Temperature())), out[0], 1e-15)
	inf := p.Score(0, []uint32{6, 99}, []float64{math.Inf(1), math.Inf(-1)}, nil)
	assert.Equal(t, min(g.Mass(0), g.Mass(6)), inf[0], "+Inf surplus scores the cap")
	assert.Zero(t, inf[1])
	assert.Equal(t, 1.0, p.Surplus(3, 2), "probabilities clamped")
	assert.Panics(t, func() { p.Score(0, cands, phi[:2], nil) })
	var zero Potentials
	for _, v := range zero.Score(1, []uint32{2, 3}, []float64{0, -3}, nil) {
		assert.False(t, math.IsNaN(v))
	}
	assert.Equal(t, 1.0, zero.Temperature())
}

func TestFitStops(t *testing.T) {
	m := randomMarket(40, 40, 40, 0.5, false)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Fit(ctx, build(t, Config{}, m))
	assert.ErrorIs(t, err, context.Canceled)
	stop := errors.New("enough")
	calls := 0
	_, err = Fit(context.Background(), build(t, Config{Progress: func(pr Progress) error {
		calls++
		assert.Equal(t, calls, pr.Sweep)
		assert.False(t, math.IsNaN(pr.Residual))
		if calls == 3 {
			return stop
		}
		return nil
	}}, m))
	assert.ErrorIs(t, err, stop)
	assert.Equal(t, 3, calls)
	p := fit(t, build(t, Config{MaxSweeps: 2, Beta: 0.01}, m))
	assert.False(t, p.Stats().Converged)
	assert.LessOrEqual(t, p.Stats().Sweeps, 2)
	assert.Equal(t, build(t, Config{Beta: 0.01}, m).Temperature(), p.Temperature(), "potentials at the graph's temperature")
}
