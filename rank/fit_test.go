package rank

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/twowayrec/twoway/sparse"
)

// synthetic returns a fixed logistic problem: n rows over dim features, nnz
// non-zeros per row, labels drawn from a true model, sample weights in
// [0.5, 2).
func synthetic(seed uint64, n, dim, nnz int) (*Dataset, []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	truth := make([]float64, dim+1)
	for j := range truth {
		truth[j] = rng.NormFloat64()
	}
	d := &Dataset{}
	var b sparse.Builder
	var x sparse.Vector
	for range n {
		b.Reset()
		for range nnz {
			b.Add(uint32(rng.IntN(dim)), rng.NormFloat64())
		}
		x = b.Vector(x)
		z := truth[dim] + sparse.DotDense(x, truth[:dim])
		y := 0.0
		if rng.Float64() < Sigmoid(z) {
			y = 1
		}
		if err := d.Add(x, y, 0.5+1.5*rng.Float64()); err != nil {
			panic(err)
		}
	}
	return d, truth
}

// newtonReference solves the same objective as Fit (L2 only) by plain
// Newton/IRLS iterations on dense gonum/mat matrices: an independent
// implementation to check the L-BFGS solver against.
func newtonReference(d *Dataset, dim int, l2 float64, intercept bool) []float64 {
	n := d.Len()
	p := dim + 1
	X := mat.NewDense(n, p, nil)
	var W float64
	for i := range n {
		row := d.Row(i)
		for k, j := range row.Idx {
			X.Set(i, int(j), row.Val[k])
		}
		if intercept {
			X.Set(i, dim, 1)
		}
		W += d.Weight[i]
	}
	beta := mat.NewVecDense(p, nil)
	for iter := 0; iter < 100; iter++ {
		z := mat.NewVecDense(n, nil)
		z.MulVec(X, beta)
		grad := mat.NewVecDense(p, nil)
		H := mat.NewSymDense(p, nil)
		r := mat.NewVecDense(n, nil)
		D := mat.NewDense(n, p, nil)
		for i := range n {
			mu := Sigmoid(z.AtVec(i) + d.offset(i))
			r.SetVec(i, d.Weight[i]*(mu-d.Label[i])/W)
			s := d.Weight[i] * mu * (1 - mu) / W
			for j := range p {
				D.Set(i, j, s*X.At(i, j))
			}
		}
		grad.MulVec(X.T(), r)
		var XtDX mat.Dense
		XtDX.Mul(X.T(), D)
		for a := range p {
			for b := a; b < p; b++ {
				H.SetSym(a, b, XtDX.At(a, b))
			}
		}
		for j := range dim {
			grad.SetVec(j, grad.AtVec(j)+l2*beta.AtVec(j))
			H.SetSym(j, j, H.At(j, j)+l2)
		}
		if !intercept {
			H.SetSym(dim, dim, 1)
			grad.SetVec(dim, 0)
		}
		var step mat.VecDense
		var chol mat.Cholesky
		if !chol.Factorize(H) {
			panic("Hessian not positive definite")
		}
		if err := chol.SolveVecTo(&step, grad); err != nil {
			panic(err)
		}
		beta.SubVec(beta, &step)
		if mat.Norm(&step, math.Inf(1)) < 1e-14 {
			break
		}
	}
	return beta.RawVector().Data
}

func TestFitMatchesNewton(t *testing.T) {
	for _, tc := range []struct {
		name      string
		n, dim    int
		l2        float64
		intercept bool
	}{
		{"ridge", 2000, 20, 0.01, true},
		{"weak ridge", 2000, 20, 1e-4, true},
		{"no intercept", 1500, 12, 0.05, false},
		{"unpenalised", 3000, 8, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := synthetic(7, tc.n, tc.dim, 5)
			want := newtonReference(d, tc.dim, tc.l2, tc.intercept)
			m, err := Fit(context.Background(), Config{L2: tc.l2, NoIntercept: !tc.intercept, Dim: tc.dim, Tolerance: 1e-10, MaxIterations: 1000}, d)
			require.NoError(t, err)
			for j := range tc.dim {
				assert.InDelta(t, want[j], m.Weight(uint32(j)), 1e-6, "w[%d]", j)
			}
			assert.InDelta(t, want[tc.dim], m.Bias(), 1e-6, "bias")
		})
	}
}

func TestFitRecoversTruth(t *testing.T) {
	d, truth := synthetic(3, 20000, 10, 4)
	m, err := Fit(context.Background(), Config{}, d)
	require.NoError(t, err)
	for j := range 10 {
		assert.InDelta(t, truth[j], m.Weight(uint32(j)), 0.15, "w[%d]", j)
	}
	assert.InDelta(t, truth[10], m.Bias(), 0.15)
}

func TestFitDeterministicAcrossWorkers(t *testing.T) {
	d, _ := synthetic(11, 3000, 50, 6)
	var first *Model
	for _, w := range []int{1, 2, 3, 8} {
		m, err := Fit(context.Background(), Config{L2: 1e-3, Workers: w}, d)
		require.NoError(t, err)
		if first == nil {
			first = m
			continue
		}
		assert.Equal(t, first.Weights(), m.Weights(), "workers=%d", w)
		assert.Equal(t, first.Bias(), m.Bias(), "workers=%d", w)
	}
}

func TestFitOffsetAndWeights(t *testing.T) {
	// A row with weight 2 is the same as the row twice.
	d1, d2 := &Dataset{}, &Dataset{}
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range 300 {
		x := sparse.Vector{Idx: []uint32{0, uint32(1 + i%3)}, Val: []float64{rng.NormFloat64(), 1}}
		y := float64(rng.IntN(2))
		require.NoError(t, d1.AddOffset(x, y, 2, 0.3))
		require.NoError(t, d2.AddOffset(x, y, 1, 0.3))
		require.NoError(t, d2.AddOffset(x, y, 1, 0.3))
	}
	cfg := Config{L2: 0.01, Tolerance: 1e-10}
	m1, err := Fit(context.Background(), cfg, d1)
	require.NoError(t, err)
	m2, err := Fit(context.Background(), cfg, d2)
	require.NoError(t, err)
	for j := range 4 {
		assert.InDelta(t, m2.Weight(uint32(j)), m1.Weight(uint32(j)), 1e-7)
	}
	want := newtonReference(d1, 4, 0.01, true)
	assert.InDelta(t, want[4], m1.Bias(), 1e-6)
}

func TestFitL1ShrinksIrrelevant(t *testing.T) {
	// Features 5..9 are pure noise: L1 drives them near zero.
	rng := rand.New(rand.NewPCG(9, 9))
	d := &Dataset{}
	for range 4000 {
		var b sparse.Builder
		for j := range 10 {
			b.Add(uint32(j), rng.NormFloat64())
		}
		x := b.Vector(sparse.Vector{})
		z := x.Val[0] - x.Val[1] + 0.5*x.Val[2]
		y := 0.0
		if rng.Float64() < Sigmoid(z) {
			y = 1
		}
		require.NoError(t, d.Add(x, y, 1))
	}
	m, err := Fit(context.Background(), Config{L1: 0.02, Tolerance: 1e-9, MaxIterations: 2000}, d)
	require.NoError(t, err)
	for j := 5; j < 10; j++ {
		assert.Less(t, math.Abs(m.Weight(uint32(j))), 5e-3, "noise w[%d]", j)
	}
	assert.Greater(t, m.Weight(0), 0.5)
}

func TestFitCancelAndProgress(t *testing.T) {
	d, _ := synthetic(1, 2000, 30, 5)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	_, err := Fit(ctx, Config{Progress: func(p Progress) error {
		calls++
		assert.Equal(t, calls, p.Iteration)
		if calls == 3 {
			cancel()
		}
		return nil
	}}, d)
	require.ErrorIs(t, err, context.Canceled)
	assert.Equal(t, 3, calls)

	stop := errors.New("enough")
	_, err = Fit(context.Background(), Config{Progress: func(p Progress) error {
		if p.Iteration == 2 {
			return stop
		}
		return nil
	}}, d)
	require.ErrorIs(t, err, stop)
}

func TestFitErrors(t *testing.T) {
	ctx := context.Background()
	good, _ := synthetic(1, 50, 5, 2)
	for _, tc := range []struct {
		name string
		cfg  Config
		d    *Dataset
		want string
	}{
		{"empty", Config{}, &Dataset{}, "no training rows"},
		{"negative L2", Config{L2: -1}, good, "Config.L2"},
		{"NaN L1", Config{L1: math.NaN()}, good, "Config.L1"},
		{"small Dim", Config{Dim: 2}, good, "Config.Dim = 2"},
		{"bad label", Config{}, &Dataset{Ptr: []int{0, 0}, Label: []float64{2}, Weight: []float64{1}}, "row 0: label 2"},
		{"bad weight", Config{}, &Dataset{Ptr: []int{0, 0}, Label: []float64{1}, Weight: []float64{math.Inf(1)}}, "row 0: weight"},
		{"zero weights", Config{}, &Dataset{Ptr: []int{0, 0}, Label: []float64{1}, Weight: []float64{0}}, "weights sum to 0"},
		{"bad ptr", Config{}, &Dataset{Ptr: []int{0}, Label: []float64{1}, Weight: []float64{1}}, "Ptr has 1 entries"},
		{"unsorted", Config{}, &Dataset{Ptr: []int{0, 2}, Idx: []uint32{3, 1}, Val: []float64{1, 1}, Label: []float64{1}, Weight: []float64{1}}, "row 0: features"},
		// A row past the entries whose last offset is right (it panicked).
		{"ptr past the entries", Config{}, &Dataset{Ptr: []int{0, 3, 1}, Idx: []uint32{1}, Val: []float64{1}, Label: []float64{1, 0}, Weight: []float64{1, 1}}, "row 0: Ptr 0 to 3: want a range of the 1 entries"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Fit(ctx, tc.cfg, tc.d)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	var d Dataset
	require.Error(t, d.Add(sparse.Vector{}, -0.5, 1))
	require.Error(t, d.Add(sparse.Vector{Idx: []uint32{1}}, 1, 1))
	require.Error(t, d.AddOffset(sparse.Vector{}, 1, 1, math.NaN()))
	assert.Equal(t, 0, d.Len(), "failed Adds leave the dataset unchanged")
}

func TestPredictCalibratedAndSafe(t *testing.T) {
	m := NewModel([]float64{1, -2}, 0.5)
	x := sparse.Vector{Idx: []uint32{0, 1, 7}, Val: []float64{1, 1, 100}}
	assert.InDelta(t, -0.5, m.Score(x), 1e-15, "index 7 beyond Dim counts 0")
	assert.InDelta(t, 1/(1+math.Exp(0.5)), m.Predict(x), 1e-15)
	assert.Equal(t, 1.0, Sigmoid(800))
	assert.Equal(t, 0.0, Sigmoid(-800))
	assert.InDelta(t, 0.5, (&Model{}).Predict(x), 0)
	assert.Panics(t, func() { NewModel([]float64{math.NaN()}, 0) })
}

func TestFitWarmStart(t *testing.T) {
	d, _ := synthetic(41, 5000, 40, 5)
	ctx := context.Background()
	iters := func(p *int) func(Progress) error {
		return func(pr Progress) error { *p = pr.Iteration; return nil }
	}
	var cold, warm int
	cfg := Config{L2: 1e-3, Tolerance: 1e-9, Progress: iters(&cold)}
	m, err := Fit(ctx, cfg, d)
	require.NoError(t, err)
	cfg.Start, cfg.Progress = m, iters(&warm)
	m2, err := Fit(ctx, cfg, d)
	require.NoError(t, err)
	assert.Less(t, warm, cold/2, "warm start at the optimum converges at once")
	for j := range 40 {
		assert.InDelta(t, m.Weight(uint32(j)), m2.Weight(uint32(j)), 1e-7)
	}
}

func TestFitHierarchicalCancel(t *testing.T) {
	d, ent := entityProblem(43, 50, 20)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := FitHierarchical(ctx, HierarchicalConfig{}, d, ent)
	require.ErrorIs(t, err, context.Canceled)
}

// HierarchicalConfig.Progress sees the global iterations, each candidate
// of the grid and the entities up to all of them, one call at a time.
func TestFitHierarchicalProgress(t *testing.T) {
	d, ent := entityProblem(47, 300, 20)
	var got []HierarchicalProgress
	inFlight := 0
	globalCalls := 0
	cfg := HierarchicalConfig{LambdaGrid: []float64{1, 10}, Workers: 4, MinRows: 3,
		Global: Config{Progress: func(Progress) error { globalCalls++; return nil }},
		Progress: func(p HierarchicalProgress) {
			inFlight++
			if inFlight != 1 {
				t.Error("concurrent Progress calls")
			}
			got = append(got, p)
			inFlight--
		}}
	_, err := FitHierarchical(context.Background(), cfg, d, ent)
	require.NoError(t, err)
	steps := map[string][]HierarchicalProgress{}
	var order []string
	for _, p := range got {
		if len(order) == 0 || order[len(order)-1] != p.Step {
			order = append(order, p.Step)
		}
		steps[p.Step] = append(steps[p.Step], p)
		assert.Equal(t, 1, p.Passes)
		assert.LessOrEqual(t, p.Done, p.Total, "%+v", p)
	}
	assert.Equal(t, []string{"global", "lambda", "entities"}, order)
	assert.Len(t, steps["global"], globalCalls, "every global iteration, and Global.Progress still called")
	assert.Equal(t, 200, steps["global"][0].Total, "the iteration bound")
	lam := steps["lambda"]
	assert.Equal(t, []int{1, 2, 3}, []int{lam[0].Done, lam[1].Done, lam[2].Done}, "two λ and intercept-only")
	ents := steps["entities"]
	last := ents[len(ents)-1]
	assert.Equal(t, 300, last.Total)
	assert.Equal(t, 300, last.Done, "every entity counted, those below MinRows too")
	for i := 1; i < len(ents); i++ {
		assert.GreaterOrEqual(t, ents[i].Done, ents[i-1].Done)
	}
}

func TestFitRefusesHugeDim(t *testing.T) {
	ctx := context.Background()
	var d Dataset
	require.NoError(t, d.Add(sparse.Vector{Idx: []uint32{0xFFFFFFF0}, Val: []float64{1}}, 1, 1))
	require.NoError(t, d.Add(sparse.Vector{Idx: []uint32{1}, Val: []float64{1}}, 0, 1))
	_, err := Fit(ctx, Config{MaxIterations: 2}, &d)
	require.ErrorContains(t, err, "MaxDim")
	_, err = FitHierarchical(ctx, HierarchicalConfig{}, &d, []uint32{0, 0})
	require.ErrorContains(t, err, "MaxDim")

	err = Config{Dim: 1 << 36}.Validate()
	require.ErrorContains(t, err, "Config.Dim")
	require.NoError(t, Config{Dim: MaxDim}.Validate())
}

func TestInsertFeaturesBeyondMaxDimPanics(t *testing.T) {
	var d Dataset
	require.NoError(t, d.Add(sparse.Vector{Idx: []uint32{1}, Val: []float64{1}}, 1, 1))
	require.NoError(t, d.Add(sparse.Vector{Idx: []uint32{1}, Val: []float64{1}}, 0, 1))
	h, err := FitHierarchical(context.Background(), HierarchicalConfig{}, &d, []uint32{0, 0})
	require.NoError(t, err)
	require.PanicsWithValue(t, "rank: InsertFeatures: 9223372036854775807 features on top of 2 exceed MaxDim (67108864)", func() { h.InsertFeatures(0, math.MaxInt) })
	require.Equal(t, 5, h.InsertFeatures(1, 3).Global().Dim())
}
