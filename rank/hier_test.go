package rank

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/sparse"
)

// entityProblem returns rows of `entities` entities over 8 features. The
// truth is a global model plus, per entity, its own intercept shift and
// its own weight on feature 0. Entity e has between 1 and maxRows rows.
func entityProblem(seed uint64, entities, maxRows int) (*Dataset, []uint32) {
	rng := rand.New(rand.NewPCG(seed, 2))
	global := []float64{1, -1, 0.5, 0, 0.8, -0.3, 0.2, 0}
	d := &Dataset{}
	var ent []uint32
	for e := range entities {
		shift, own := 1.5*rng.NormFloat64(), 1.5*rng.NormFloat64()
		n := 1 + rng.IntN(maxRows)
		for range n {
			x := sparse.Vector{Idx: []uint32{0, uint32(1 + rng.IntN(7))}, Val: []float64{rng.NormFloat64(), 1}}
			z := -0.2 + sparse.DotDense(x, global) + shift + own*x.Val[0]
			y := 0.0
			if rng.Float64() < Sigmoid(z) {
				y = 1
			}
			if err := d.Add(x, y, 1); err != nil {
				panic(err)
			}
			ent = append(ent, uint32(1000+e))
		}
	}
	return d, ent
}

func TestHierarchicalHelpsWithPersonalEffects(t *testing.T) {
	train, entTrain := entityProblem(5, 200, 60)
	// Hold out every 4th row.
	tr, te := &Dataset{}, &Dataset{}
	var etr, ete []uint32
	for i := range train.Len() {
		if i%4 == 0 {
			require.NoError(t, te.Add(train.Row(i), train.Label[i], 1))
			ete = append(ete, entTrain[i])
		} else {
			require.NoError(t, tr.Add(train.Row(i), train.Label[i], 1))
			etr = append(etr, entTrain[i])
		}
	}
	ctx := context.Background()
	h, err := FitHierarchical(ctx, HierarchicalConfig{Global: Config{L2: 1e-4}}, tr, etr)
	require.NoError(t, err)
	var pg, ph []float64
	var labels []bool
	for i := range te.Len() {
		pg = append(pg, h.Global().Predict(te.Row(i)))
		ph = append(ph, h.Predict(ete[i], te.Row(i)))
		labels = append(labels, te.Label[i] == 1)
	}
	lg, lh := LogLoss(pg, labels), LogLoss(ph, labels)
	gg, _ := GAUC(ete, pg, labels)
	gh, _ := GAUC(ete, ph, labels)
	t.Logf("held-out log-loss global %.4f hierarchical %.4f; GAUC %.4f → %.4f", lg, lh, gg, gh)
	assert.Less(t, lh, lg-0.02)
	assert.Greater(t, gh, gg+0.02)
}

// TestCorrectionIsMAP checks that each correction satisfies the
// stationarity conditions of the documented objective:
//
//	Σ_i s_i (σ(z_i) − y_i) + λ_b b_e = 0,   Σ_i s_i (σ(z_i) − y_i) x_i + λ β_e = 0
func TestCorrectionIsMAP(t *testing.T) {
	d, ent := entityProblem(8, 20, 30)
	for _, tc := range []struct {
		lambda, interceptLambda float64
		interceptOnly           bool
	}{{2.5, 0, false}, {2.5, 0.4, false}, {7, 30, false}, {1, 3, true}} {
		t.Run(fmt.Sprintf("λ=%g λb=%g only=%v", tc.lambda, tc.interceptLambda, tc.interceptOnly), func(t *testing.T) {
			h, err := FitHierarchical(context.Background(), HierarchicalConfig{
				Lambda: tc.lambda, InterceptLambda: tc.interceptLambda, InterceptOnly: tc.interceptOnly, EntityTolerance: 1e-9}, d, ent)
			require.NoError(t, err)
			lb := tc.interceptLambda
			if lb == 0 {
				lb = tc.lambda
			}
			grads := map[uint32]map[int64]float64{} // entity → feature (−1 = intercept) → gradient
			for i := range d.Len() {
				e := ent[i]
				if grads[e] == nil {
					grads[e] = map[int64]float64{}
				}
				r := d.Weight[i] * (h.Predict(e, d.Row(i)) - d.Label[i])
				grads[e][-1] += r
				x := d.Row(i)
				for k, j := range x.Idx {
					grads[e][int64(j)] += r * x.Val[k]
				}
			}
			for e, g := range grads {
				c := h.Correction(e)
				require.NotNil(t, c)
				assert.InDelta(t, 0, g[-1]+lb*c.Bias, 1e-6, "entity %d intercept", e)
				if tc.interceptOnly {
					assert.Zero(t, c.Weights.Len())
					continue
				}
				for j, gj := range g {
					if j >= 0 {
						assert.InDelta(t, 0, gj+tc.lambda*c.Weights.Get(uint32(j)), 1e-6, "entity %d feature %d", e, j)
					}
				}
			}
		})
	}
}

func TestShrinkageBySampleCount(t *testing.T) {
	// Global data: balanced. Entities say yes to everything, with 1, 5, 50
	// rows: their intercept corrections grow with their row count.
	d := &Dataset{}
	var ent []uint32
	x := sparse.Vector{Idx: []uint32{0}, Val: []float64{1}}
	for i := range 2000 {
		require.NoError(t, d.Add(x, float64(i%2), 1))
		ent = append(ent, 0)
	}
	for e, n := range []int{1, 5, 50} {
		for range n {
			require.NoError(t, d.Add(x, 1, 1))
			ent = append(ent, uint32(e+1))
		}
	}
	h, err := FitHierarchical(context.Background(), HierarchicalConfig{}, d, ent)
	require.NoError(t, err)
	b1 := h.Correction(1).Score(x)
	b5 := h.Correction(2).Score(x)
	b50 := h.Correction(3).Score(x)
	t.Logf("correction with 1, 5, 50 rows: %.3f %.3f %.3f", b1, b5, b50)
	assert.Greater(t, b1, 0.0)
	assert.Greater(t, b5, b1)
	assert.Greater(t, b50, b5)
	assert.Nil(t, h.Correction(99), "unknown entity: global model only")
	assert.Equal(t, h.Global().Score(x), h.Score(99, x))
}

func TestHierarchicalDeterministicAndPasses(t *testing.T) {
	d, ent := entityProblem(13, 50, 20)
	ctx := context.Background()
	a, err := FitHierarchical(ctx, HierarchicalConfig{Workers: 1}, d, ent)
	require.NoError(t, err)
	b, err := FitHierarchical(ctx, HierarchicalConfig{Workers: 4}, d, ent)
	require.NoError(t, err)
	for i := range d.Len() {
		require.Equal(t, a.Score(ent[i], d.Row(i)), b.Score(ent[i], d.Row(i)))
	}
	// Backfitting does not make the training objective worse.
	p3, err := FitHierarchical(ctx, HierarchicalConfig{Passes: 3}, d, ent)
	require.NoError(t, err)
	loss := func(h *Hierarchical) float64 {
		var p []float64
		var l []bool
		for i := range d.Len() {
			p = append(p, h.Predict(ent[i], d.Row(i)))
			l = append(l, d.Label[i] == 1)
		}
		return LogLoss(p, l)
	}
	assert.LessOrEqual(t, loss(p3), loss(a)+1e-9)

	_, err = FitHierarchical(ctx, HierarchicalConfig{}, d, ent[:3])
	require.ErrorContains(t, err, "entities for")
	_, err = FitHierarchical(ctx, HierarchicalConfig{Lambda: -1}, d, ent)
	require.ErrorContains(t, err, "HierarchicalConfig.Lambda")
}

func TestUpdateEntity(t *testing.T) {
	d, ent := entityProblem(17, 30, 25)
	ctx := context.Background()
	h, err := FitHierarchical(ctx, HierarchicalConfig{}, d, ent)
	require.NoError(t, err)
	target := ent[0]
	// The entity's own rows, refitted online, give the same correction as
	// the batch fit.
	own := &Dataset{}
	for i := range d.Len() {
		if ent[i] == target {
			require.NoError(t, own.Add(d.Row(i), d.Label[i], d.Weight[i]))
		}
	}
	before := map[uint32]*Correction{}
	for _, e := range h.Entities() {
		before[e] = h.Correction(e)
	}
	require.NoError(t, h.UpdateEntity(ctx, target, own))
	got := h.Correction(target)
	assert.InDelta(t, before[target].Bias, got.Bias, 1e-9)
	// New evidence moves it, and nobody else changes.
	for range 20 {
		require.NoError(t, own.Add(sparse.Vector{Idx: []uint32{1}, Val: []float64{1}}, 1, 1))
	}
	require.NoError(t, h.UpdateEntity(ctx, target, own))
	assert.Greater(t, h.Correction(target).Weights.Get(1), before[target].Weights.Get(1))
	for e, c := range before {
		if e != target {
			assert.Same(t, c, h.Correction(e))
		}
	}
	require.NoError(t, h.UpdateEntity(ctx, target, &Dataset{}))
	assert.Nil(t, h.Correction(target))
	err = h.UpdateEntity(ctx, target, &Dataset{Ptr: []int{0, 1}, Idx: []uint32{400}, Val: []float64{1}, Label: []float64{1}, Weight: []float64{1}})
	require.ErrorContains(t, err, "beyond the global model's Dim")
}

func TestHierarchicalConcurrent(t *testing.T) {
	d, ent := entityProblem(19, 10, 20)
	ctx := context.Background()
	h, err := FitHierarchical(ctx, HierarchicalConfig{}, d, ent)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range d.Len() {
				if g == 0 && i%10 == 0 {
					one := &Dataset{}
					_ = one.Add(d.Row(i), d.Label[i], 1)
					assert.NoError(t, h.UpdateEntity(ctx, ent[i], one))
				}
				p := h.Predict(ent[i], d.Row(i))
				assert.False(t, math.IsNaN(p))
			}
		})
	}
	wg.Wait()
}

// TestInsertFeatures: a model with features inserted scores every vector,
// laid out the new way, exactly as the original scored it.
func TestInsertFeatures(t *testing.T) {
	d, ent := entityProblem(3, 40, 12)
	h, err := FitHierarchical(context.Background(), HierarchicalConfig{}, d, ent)
	require.NoError(t, err)
	const at, n = 3, 2
	g := h.InsertFeatures(at, n)
	require.Equal(t, h.Global().Dim()+n, g.Global().Dim())
	require.Equal(t, h.Entities(), g.Entities())
	rng := rand.New(rand.NewPCG(9, 9))
	for range 200 {
		var old, moved sparse.Vector
		for j := range uint32(8) {
			if rng.IntN(2) == 0 {
				continue
			}
			v := rng.NormFloat64()
			old.Idx, old.Val = append(old.Idx, j), append(old.Val, v)
			nj := j
			if j >= at {
				nj += n
			}
			moved.Idx, moved.Val = append(moved.Idx, nj), append(moved.Val, v)
		}
		// The new features carry any value: their weight is 0.
		moved.Idx, moved.Val = append(moved.Idx, at), append(moved.Val, 0)
		moved = sparse.Vector{Idx: append([]uint32{}, moved.Idx...), Val: append([]float64{}, moved.Val...)}
		slicesSortVector(&moved)
		e := uint32(1000 + rng.IntN(41))
		assert.InDelta(t, h.Score(e, old), g.Score(e, moved), 1e-12)
	}
	// The original is untouched.
	assert.Equal(t, 8, h.Global().Dim())
}

// slicesSortVector sorts v's entries by index.
func slicesSortVector(v *sparse.Vector) {
	type ent struct {
		i uint32
		x float64
	}
	es := make([]ent, len(v.Idx))
	for k := range es {
		es[k] = ent{v.Idx[k], v.Val[k]}
	}
	slices.SortFunc(es, func(a, b ent) int { return cmp.Compare(a.i, b.i) })
	for k, e := range es {
		v.Idx[k], v.Val[k] = e.i, e.x
	}
}
