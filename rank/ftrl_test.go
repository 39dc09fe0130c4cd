package rank

import (
	"context"
	"math"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/sparse"
)

func TestFTRLFirstStepByHand(t *testing.T) {
	f, err := NewFTRL(FTRLConfig{Dim: 2})
	require.NoError(t, err)
	x := sparse.Vector{Idx: []uint32{0}, Val: []float64{1}}
	assert.InDelta(t, 0.5, f.Update(x, 1, 1), 1e-15)
	// g = −0.5 for feature 0 and the intercept: z = −0.5, n = 0.25,
	// w = 0.5 / ((β + √n)/α) = 0.5 / 15.
	m := f.Model()
	assert.InDelta(t, 0.5/15, m.Weight(0), 1e-15)
	assert.InDelta(t, 0.5/15, m.Bias(), 1e-15)
	assert.Equal(t, 0.0, m.Weight(1))
	assert.InDelta(t, Sigmoid(1.0/15), f.Predict(x), 1e-15)
	assert.Equal(t, int64(1), f.Updates())
}

func TestFTRLApproachesBatch(t *testing.T) {
	all, _ := synthetic(31, 25000, 30, 5)
	d, test := &Dataset{}, &Dataset{}
	for i := range all.Len() {
		dst := d
		if i >= 20000 {
			dst = test
		}
		require.NoError(t, dst.Add(all.Row(i), all.Label[i], all.Weight[i]))
	}
	ctx := context.Background()
	batch, err := Fit(ctx, Config{L2: 1e-4}, d)
	require.NoError(t, err)
	f, err := NewFTRL(FTRLConfig{Dim: 30, Alpha: 0.5, Seed: 1})
	require.NoError(t, err)
	require.NoError(t, f.Train(ctx, d, 3))
	online := f.Model()
	var pb, po []float64
	var l []bool
	for i := range test.Len() {
		pb = append(pb, batch.Predict(test.Row(i)))
		po = append(po, online.Predict(test.Row(i)))
		l = append(l, test.Label[i] == 1)
	}
	ab, ao := AUC(pb, l), AUC(po, l)
	t.Logf("held-out AUC batch %.4f online %.4f; log-loss %.4f %.4f", ab, ao, LogLoss(pb, l), LogLoss(po, l))
	assert.InDelta(t, ab, ao, 0.01)
	assert.InDelta(t, LogLoss(pb, l), LogLoss(po, l), 0.02)
}

func TestFTRLL1ExactZeros(t *testing.T) {
	d, _ := synthetic(33, 5000, 20, 3)
	// Add 10 pure-noise features 20..29 seen rarely.
	f, err := NewFTRL(FTRLConfig{Dim: 40, L1: 5, Seed: 2})
	require.NoError(t, err)
	require.NoError(t, f.Train(context.Background(), d, 1))
	m := f.Model()
	zeros := 0
	for j := range 40 {
		if m.Weight(uint32(j)) == 0 {
			zeros++
		}
	}
	assert.GreaterOrEqual(t, zeros, 20, "unused features 20..39 are exactly 0")
}

func TestFTRLTrainDeterministic(t *testing.T) {
	d, _ := synthetic(34, 2000, 10, 3)
	train := func(seed uint64) []float64 {
		f, err := NewFTRL(FTRLConfig{Dim: 10, Seed: seed})
		require.NoError(t, err)
		require.NoError(t, f.Train(context.Background(), d, 2))
		return f.Model().Weights()
	}
	assert.Equal(t, train(7), train(7))
	assert.NotEqual(t, train(7), train(8))

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f, _ := NewFTRL(FTRLConfig{Dim: 10})
	require.ErrorIs(t, f.Train(ctx, d, 1), context.Canceled)
	f, _ = NewFTRL(FTRLConfig{Dim: 3})
	require.ErrorContains(t, f.Train(context.Background(), d, 1), "FTRLConfig.Dim = 3")
}

func TestFTRLErrorsAndPanics(t *testing.T) {
	for _, tc := range []struct {
		cfg  FTRLConfig
		want string
	}{
		{FTRLConfig{}, "FTRLConfig.Dim = 0"},
		{FTRLConfig{Dim: 3, Alpha: -1}, "FTRLConfig.Alpha"},
		{FTRLConfig{Dim: 3, Beta: math.NaN()}, "FTRLConfig.Beta"},
		{FTRLConfig{Dim: 3, L1: math.Inf(1)}, "FTRLConfig.L1"},
		{FTRLConfig{Dim: 3, L2: -2}, "FTRLConfig.L2"},
	} {
		_, err := NewFTRL(tc.cfg)
		require.ErrorContains(t, err, tc.want)
	}
	f, err := NewFTRL(FTRLConfig{Dim: 3})
	require.NoError(t, err)
	assert.Panics(t, func() { f.Update(sparse.Vector{Idx: []uint32{3}, Val: []float64{1}}, 1, 1) })
	assert.Panics(t, func() { f.Update(sparse.Vector{}, 2, 1) })
	assert.Panics(t, func() { f.Update(sparse.Vector{}, 1, -1) })
}

func TestFTRLNoAllocs(t *testing.T) {
	f, err := NewFTRL(FTRLConfig{Dim: 1000, L1: 0.1, L2: 0.1})
	require.NoError(t, err)
	x := sparse.Vector{Idx: []uint32{1, 10, 999}, Val: []float64{1, -2, 0.5}}
	assert.Zero(t, testing.AllocsPerRun(100, func() { f.Update(x, 1, 1) }))
	assert.Zero(t, testing.AllocsPerRun(100, func() { f.Predict(x) }))
	m := f.Model()
	assert.Zero(t, testing.AllocsPerRun(100, func() { m.Predict(x) }))
}

func TestFTRLConcurrent(t *testing.T) {
	f, err := NewFTRL(FTRLConfig{Dim: 16})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			x := sparse.Vector{Idx: []uint32{uint32(g), 8}, Val: []float64{1, 1}}
			for i := range 500 {
				f.Update(x, float64(i%2), 1)
				_ = f.Predict(x)
				if i%100 == 0 {
					_ = f.Model()
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(2000), f.Updates())
}

func TestFTRLNeverNonFinite(t *testing.T) {
	var d Dataset
	for i := range 10 {
		require.NoError(t, d.Add(sparse.Vector{Idx: []uint32{0}, Val: []float64{1e200}}, float64(i%2), 1))
	}
	f, err := NewFTRL(FTRLConfig{Dim: 1})
	require.NoError(t, err)
	err = f.Train(context.Background(), &d, 1)
	require.ErrorContains(t, err, "overflow")
	m := f.Model()
	for _, w := range append(m.Weights(), m.Bias()) {
		require.False(t, math.IsNaN(w) || math.IsInf(w, 0), "weight %v", w)
	}
	require.NotPanics(t, func() { NewModel(m.Weights(), m.Bias()) })

	// Update with an overflowing row leaves the model as it was.
	g, _ := NewFTRL(FTRLConfig{Dim: 4})
	g.Update(sparse.Vector{Idx: []uint32{1}, Val: []float64{1}}, 1, 1)
	before := g.Model()
	for range 10 {
		g.Update(sparse.Vector{Idx: []uint32{0}, Val: []float64{1e308}}, 1, 1)
	}
	require.Equal(t, before, g.Model())
	require.Equal(t, int64(1), g.Updates())

	// A NaN feature value is refused, not learned.
	require.PanicsWithValue(t, "rank: FTRL.Update: feature 0 value NaN: want a finite value", func() {
		g.Update(sparse.Vector{Idx: []uint32{0}, Val: []float64{math.NaN()}}, 1, 1)
	})
	require.Panics(t, func() { g.UpdateOffset(sparse.Vector{}, 1, 1, math.Inf(1)) })
	require.Equal(t, before, g.Model())
}
