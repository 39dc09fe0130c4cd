package factor_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/factor"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/rank"
	"github.com/twowayrec/twoway/sparse"
)

// blockData is a rows × cols interest matrix with planted structure: rows
// and columns belong to one of groups groups, and a row attends mostly to
// columns of its group, with weights in (0, 5].
func blockData(t testing.TB, seed uint64, rows, cols, groups, perRow int) factor.CSR {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 1))
	var cells []factor.Cell
	for u := range rows {
		for range perRow {
			i := rng.IntN(cols)
			if rng.Float64() < 0.85 { // same group
				i = (i/groups)*groups + u%groups
				if i >= cols {
					i -= groups
				}
			}
			cells = append(cells, factor.Cell{Row: uint32(u), Col: uint32(i), Value: 0.5 + 4.5*rng.Float64()})
		}
	}
	m, err := factor.FromCells(rows, cols, cells)
	require.NoError(t, err)
	return m
}

// groupFeatures gives every participant one feature for its group and one
// of noise.
func groupFeatures(t testing.TB, n, groups int) factor.CSR {
	t.Helper()
	var cells []factor.Cell
	for u := range n {
		cells = append(cells, factor.Cell{Row: uint32(u), Col: uint32(u % groups), Value: 1},
			factor.Cell{Row: uint32(u), Col: uint32(groups + u%7), Value: 0.5})
	}
	m, err := factor.FromCells(n, groups+7, cells)
	require.NoError(t, err)
	return m
}

func modelBytes(t testing.TB, m *factor.Model) []byte {
	t.Helper()
	var b bytes.Buffer
	n, err := m.WriteTo(&b)
	require.NoError(t, err)
	require.Equal(t, int64(b.Len()), n)
	return b.Bytes()
}

func fit(t testing.TB, cfg factor.Config, d factor.Data) *factor.Model {
	t.Helper()
	tr, err := factor.New(cfg)
	require.NoError(t, err)
	m, err := tr.Fit(context.Background(), d)
	require.NoError(t, err)
	return m
}

func TestFitDeterministicWhateverTheWorkers(t *testing.T) {
	im := blockData(t, 1, 300, 120, 6, 8)
	rf, cf := groupFeatures(t, 300, 6), groupFeatures(t, 120, 6)
	for name, tc := range map[string]struct {
		cfg  factor.Config
		data factor.Data
	}{
		"als":        {factor.Config{Factors: 8, Iterations: 4, Seed: 3}, factor.Data{Interest: im}},
		"als-hybrid": {factor.Config{Factors: 8, Iterations: 4, Seed: 3}, factor.Data{Interest: im, RowFeatures: &rf, ColFeatures: &cf}},
		"bpr":        {factor.Config{Method: factor.BPR, Factors: 8, Iterations: 4, Seed: 3}, factor.Data{Interest: im}},
	} {
		t.Run(name, func(t *testing.T) {
			var want []byte
			for _, w := range []int{1, 2, 5} {
				cfg := tc.cfg
				cfg.Workers = w
				got := modelBytes(t, fit(t, cfg, tc.data))
				if want == nil {
					want = got
					continue
				}
				assert.Truef(t, bytes.Equal(want, got), "%d workers give a different model", w)
			}
			other := tc.cfg
			other.Seed = 4
			assert.False(t, bytes.Equal(want, modelBytes(t, fit(t, other, tc.data))), "another seed gives the same model")
		})
	}
}

func TestEarlyStoppingKeepsTheBestIteration(t *testing.T) {
	im := blockData(t, 2, 400, 150, 5, 6)
	var vals []float64
	var bests []int
	m := fit(t, factor.Config{Factors: 16, Iterations: 30, Patience: 2, Regularization: 1, Progress: func(p factor.Progress) error {
		vals = append(vals, p.Validation)
		bests = append(bests, p.Best)
		assert.Positive(t, p.Elapsed)
		return nil
	}}, factor.Data{Interest: im})
	r := m.Report()
	require.Equal(t, len(vals), r.Iterations)
	best := 0
	for i, v := range vals {
		require.False(t, math.IsNaN(v))
		if v > vals[best] {
			best = i
		}
	}
	assert.Equal(t, best+1, r.Best)
	assert.Equal(t, vals[best], r.Validation)
	assert.Equal(t, r.Best, bests[len(bests)-1])
	if r.Iterations < 30 {
		assert.Equal(t, r.Best+2, r.Iterations, "stops Patience iterations after the best")
	}
	assert.Positive(t, r.HeldOut)
	assert.Equal(t, im.NNZ(), r.Train+r.HeldOut)
	assert.Greater(t, r.Validation, 0.75, "planted groups are easy to rank")
}

func TestNoHoldoutRunsEveryIteration(t *testing.T) {
	im := blockData(t, 2, 100, 50, 5, 6)
	var n int
	m := fit(t, factor.Config{Factors: 4, Iterations: 5, Holdout: -1, Progress: func(p factor.Progress) error {
		n++
		assert.True(t, math.IsNaN(p.Validation))
		assert.Equal(t, p.Iteration, p.Best)
		return nil
	}}, factor.Data{Interest: im})
	assert.Equal(t, 5, n)
	assert.Equal(t, factor.Report{Method: factor.ALS, Factors: 4, Iterations: 5, Best: 5, Loss: m.Report().Loss, Train: im.NNZ()}, m.Report())
}

func TestProgressAndContextStopTheFit(t *testing.T) {
	im := blockData(t, 2, 100, 50, 5, 6)
	stop := errors.New("enough")
	tr, err := factor.New(factor.Config{Factors: 4, Progress: func(p factor.Progress) error {
		if p.Iteration == 2 {
			return stop
		}
		return nil
	}})
	require.NoError(t, err)
	_, err = tr.Fit(context.Background(), factor.Data{Interest: im})
	require.ErrorIs(t, err, stop)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, method := range []factor.Method{factor.ALS, factor.BPR} {
		tr, err := factor.New(factor.Config{Method: method, Factors: 4})
		require.NoError(t, err)
		_, err = tr.Fit(ctx, factor.Data{Interest: im})
		require.ErrorIs(t, err, context.Canceled)
	}
}

// trainingAUC is the mean over rows of the AUC of the model's scores of
// the row's cells against every other column.
func trainingAUC(m *factor.Model, im factor.CSR) float64 {
	var sum float64
	n := 0
	for u := range im.Rows {
		idx, _ := im.Row(u)
		if len(idx) == 0 || len(idx) == im.Cols {
			continue
		}
		scores := make([]float64, im.Cols)
		labels := make([]bool, im.Cols)
		for i := range im.Cols {
			scores[i] = m.Score(u, i)
		}
		for _, i := range idx {
			labels[i] = true
		}
		sum += rank.AUC(scores, labels)
		n++
	}
	return sum / float64(n)
}

// TestBPRTrainingAUCRisesMonotonically fits BPR for 1, 2, …, 12 epochs (a
// fit of e epochs is the first e epochs of a longer one: the sampling of
// each epoch depends only on the seed and the epoch) and checks that the
// training AUC never falls.
func TestBPRTrainingAUCRisesMonotonically(t *testing.T) {
	im := blockData(t, 5, 200, 80, 4, 10)
	d := factor.Data{Interest: im}
	var aucs []float64
	var last []byte
	for e := 1; e <= 12; e++ {
		m := fit(t, factor.Config{Method: factor.BPR, Factors: 8, Iterations: e, Holdout: -1, LearningRate: 0.05, Seed: 1}, d)
		aucs = append(aucs, trainingAUC(m, im))
		last = modelBytes(t, m)
	}
	t.Logf("training AUC by epoch: %.4f", aucs)
	for e := 1; e < len(aucs); e++ {
		assert.GreaterOrEqualf(t, aucs[e], aucs[e-1], "epoch %d: AUC fell", e+1)
	}
	assert.Greater(t, aucs[len(aucs)-1], aucs[0]+0.05)
	assert.Greater(t, aucs[len(aucs)-1], 0.85)
	// Prefix property: the same 12 epochs with a Progress callback agree.
	var losses []float64
	m := fit(t, factor.Config{Method: factor.BPR, Factors: 8, Iterations: 12, Holdout: -1, LearningRate: 0.05, Seed: 1,
		Progress: func(p factor.Progress) error { losses = append(losses, p.Loss); return nil }}, d)
	assert.Equal(t, last, modelBytes(t, m))
	assert.Less(t, losses[len(losses)-1], losses[0], "BPR loss falls")
}

func TestBadDataIsAnErrorNamingTheCell(t *testing.T) {
	good := func() factor.CSR {
		return factor.CSR{Rows: 2, Cols: 3, Ptr: []int{0, 2, 3}, Idx: []uint32{0, 2, 1}, Val: []float64{1, 2, 3}}
	}
	feat := func() *factor.CSR {
		return &factor.CSR{Rows: 2, Cols: 1, Ptr: []int{0, 1, 1}, Idx: []uint32{0}, Val: []float64{1}}
	}
	for name, tc := range map[string]struct {
		data        func() factor.Data
		matrix      string
		row, col    int
		field       string
		reason      error
		messagePart string
	}{
		"NaN confidence": {func() factor.Data { m := good(); m.Val[1] = math.NaN(); return factor.Data{Interest: m} }, "Interest", 0, 2, "Val", market.ErrNaN, "Interest row 0 column 2: field Val"},
		"Inf confidence": {func() factor.Data { m := good(); m.Val[2] = math.Inf(1); return factor.Data{Interest: m} }, "Interest", 1, 1, "Val", market.ErrNaN, "+Inf"},
		"zero weight":    {func() factor.Data { m := good(); m.Val[0] = 0; return factor.Data{Interest: m} }, "Interest", 0, 0, "Val", factor.ErrNotPositive, "row 0 column 0"},
		"negative":       {func() factor.Data { m := good(); m.Val[0] = -1; return factor.Data{Interest: m} }, "Interest", 0, 0, "Val", factor.ErrNotPositive, "-1"},
		"column out of range": {func() factor.Data { m := good(); m.Idx[2] = 3; return factor.Data{Interest: m} }, "Interest", 1, 3, "Idx", market.ErrOutOfRange,
			"3 for 3 columns"},
		"unsorted":      {func() factor.Data { m := good(); m.Idx[0], m.Idx[1] = 2, 0; return factor.Data{Interest: m} }, "Interest", 0, 0, "Idx", factor.ErrUnsorted, "0 after 2"},
		"short Ptr":     {func() factor.Data { m := good(); m.Ptr = m.Ptr[:2]; return factor.Data{Interest: m} }, "Interest", -1, -1, "Ptr", market.ErrOutOfRange, "length 2 for 2 rows"},
		"Ptr decreases": {func() factor.Data { m := good(); m.Ptr = []int{0, 3, 2}; return factor.Data{Interest: m} }, "Interest", -1, -1, "Ptr", market.ErrOutOfRange, "Ptr[2]"},
		"values short":  {func() factor.Data { m := good(); m.Val = m.Val[:2]; return factor.Data{Interest: m} }, "Interest", -1, -1, "Val", market.ErrOutOfRange, "2 values for 3 indices"},
		"feature NaN": {func() factor.Data {
			f := feat()
			f.Val[0] = math.NaN()
			return factor.Data{Interest: good(), RowFeatures: f}
		}, "RowFeatures", 0, 0, "Val", market.ErrNaN, "RowFeatures row 0 column 0"},
		"feature rows": {func() factor.Data { return factor.Data{Interest: good(), ColFeatures: feat()} }, "ColFeatures", -1, -1, "Rows", nil, "2, want 3"},
		"negative weight zero": {func() factor.Data {
			n := good()
			n.Val[1] = 0
			return factor.Data{Interest: good(), Negatives: &n}
		}, "Negatives", 0, 2, "Val", factor.ErrNotPositive, "Negatives row 0 column 2"},
		"negatives shape": {func() factor.Data {
			n := factor.CSR{Rows: 2, Cols: 2, Ptr: []int{0, 0, 0}}
			return factor.Data{Interest: good(), Negatives: &n}
		}, "Negatives", -1, -1, "Rows", nil, "2 × 2, want 2 × 3"},
	} {
		t.Run(name, func(t *testing.T) {
			tr, err := factor.New(factor.Config{Factors: 2})
			require.NoError(t, err)
			_, err = tr.Fit(context.Background(), tc.data())
			require.Error(t, err)
			require.ErrorIs(t, err, factor.ErrData)
			var de *factor.DataError
			require.ErrorAs(t, err, &de)
			assert.Equal(t, tc.matrix, de.Matrix)
			assert.Equal(t, tc.row, de.Row)
			assert.Equal(t, tc.col, de.Col)
			assert.Equal(t, tc.field, de.Field)
			if tc.reason != nil {
				assert.ErrorIs(t, err, tc.reason)
			}
			assert.Contains(t, err.Error(), tc.messagePart)
		})
	}
	tr, err := factor.New(factor.Config{})
	require.NoError(t, err)
	_, err = tr.Fit(context.Background(), factor.Data{Interest: factor.CSR{Rows: 3, Cols: 2, Ptr: make([]int, 4)}})
	require.ErrorIs(t, err, factor.ErrEmpty)
	_, err = tr.Fit(context.Background(), factor.Data{})
	require.ErrorIs(t, err, factor.ErrEmpty)
	bpr, err := factor.New(factor.Config{Method: factor.BPR})
	require.NoError(t, err)
	_, err = bpr.Fit(context.Background(), factor.Data{Interest: good(), RowFeatures: feat()})
	require.ErrorIs(t, err, factor.ErrConfig)
}

// TestDivergenceIsAnError: weights so large that the confidences overflow
// make the factors non-finite; the fit says so instead of returning NaN
// scores.
func TestDivergenceIsAnError(t *testing.T) {
	im := blockData(t, 3, 50, 20, 2, 4)
	im.Val = slices.Clone(im.Val)
	for q := range im.Val {
		im.Val[q] = 1e306
	}
	tr, err := factor.New(factor.Config{Factors: 4, Alpha: 1000})
	require.NoError(t, err)
	_, err = tr.Fit(context.Background(), factor.Data{Interest: im})
	require.ErrorIs(t, err, factor.ErrDiverged)
	assert.Contains(t, err.Error(), "iteration 1")
	bpr, err := factor.New(factor.Config{Method: factor.BPR, Factors: 4, LearningRate: 1e200, InitScale: 1e100})
	require.NoError(t, err)
	_, err = bpr.Fit(context.Background(), factor.Data{Interest: im})
	require.ErrorIs(t, err, factor.ErrDiverged)
}

func TestConfigErrorsNameTheField(t *testing.T) {
	for field, cfg := range map[string]factor.Config{
		"Method":            {Method: 7},
		"Factors":           {Factors: -1},
		"Iterations":        {Iterations: -2},
		"Regularization":    {Regularization: math.NaN()},
		"OwnRegularization": {OwnRegularization: -1},
		"Alpha":             {Alpha: math.Inf(1)},
		"CGSteps":           {CGSteps: -1},
		"LearningRate":      {LearningRate: -0.1},
		"Holdout":           {Holdout: 0.5},
		"Patience":          {Patience: -1},
		"Negatives":         {Negatives: 5000},
		"InitScale":         {InitScale: math.NaN()},
		"Workers":           {Workers: -3},
	} {
		_, err := factor.New(cfg)
		require.ErrorIsf(t, err, factor.ErrConfig, "%s", field)
		assert.Contains(t, err.Error(), "Config."+field)
		assert.ErrorIs(t, cfg.Validate(), factor.ErrConfig)
	}
	tr, err := factor.New(factor.Config{})
	require.NoError(t, err)
	c := tr.Config()
	assert.Equal(t, factor.Config{Factors: 64, Iterations: 15, Regularization: 50, OwnRegularization: 500, Alpha: 10, CGSteps: 3,
		LearningRate: 0.05, Holdout: 0.05, Patience: 2, Negatives: 10, InitScale: 0.1, Workers: c.Workers}, c)
	tr, err = factor.New(factor.Config{Method: factor.BPR, Holdout: -1})
	require.NoError(t, err)
	assert.Equal(t, 40, tr.Config().Iterations)
	assert.Equal(t, 0.01, tr.Config().Regularization)
	assert.Equal(t, 0.0, tr.Config().Holdout)
	var m factor.Method
	require.NoError(t, m.UnmarshalText([]byte("bpr")))
	assert.Equal(t, factor.BPR, m)
	require.ErrorIs(t, m.UnmarshalText([]byte("svd")), factor.ErrConfig)
	b, err := factor.ALS.MarshalText()
	require.NoError(t, err)
	assert.Equal(t, "als", string(b))
}

func TestFromCells(t *testing.T) {
	m, err := factor.FromCells(3, 4, []factor.Cell{{2, 1, 1}, {0, 3, 2}, {2, 1, 0.5}, {0, 0, 1}})
	require.NoError(t, err)
	assert.Equal(t, factor.CSR{Rows: 3, Cols: 4, Ptr: []int{0, 2, 2, 3}, Idx: []uint32{0, 3, 1}, Val: []float64{1, 2, 1.5}}, m)
	require.NoError(t, m.Check())
	_, err = factor.FromCells(3, 4, []factor.Cell{{0, 0, 1}, {3, 0, 1}})
	var de *factor.DataError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "cells[1]", de.Matrix)
	assert.Equal(t, "Row", de.Field)
	_, err = factor.FromCells(3, 4, []factor.Cell{{0, 4, 1}})
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "Col", de.Field)
	_, err = factor.FromCells(3, 4, []factor.Cell{{0, 1, math.NaN()}})
	require.ErrorIs(t, err, market.ErrNaN)
	_, err = factor.FromCells(-1, 4, nil)
	require.ErrorIs(t, err, factor.ErrData)
}

// TestCalibration checks that probabilities are monotone in the score,
// higher for held-out-like cells than for random pairs, and average to
// about the density of the matrix over all pairs.
func TestCalibration(t *testing.T) {
	im := blockData(t, 7, 500, 200, 5, 6)
	m := fit(t, factor.Config{Factors: 16, Regularization: 1}, factor.Data{Interest: im})
	a, b := m.Calibration()
	assert.Positive(t, a, "a higher score means a likelier cell")
	assert.False(t, math.IsNaN(b))
	var mean float64
	for u := range im.Rows {
		for i := range im.Cols {
			p := m.Probability(u, i)
			require.True(t, p > 0 && p < 1)
			mean += p
		}
	}
	mean /= float64(im.Rows * im.Cols)
	density := float64(im.NNZ()) / float64(im.Rows*im.Cols)
	t.Logf("mean probability %.4f, density %.4f", mean, density)
	assert.InDelta(t, density, mean, density/2)
	assert.Less(t, m.Calibrate(-1), m.Calibrate(0))
	assert.Less(t, m.Calibrate(0), m.Calibrate(1))
	assert.True(t, math.IsNaN(m.Calibrate(math.NaN())))
}

// TestColdStartFromFeatures holds every cell of a seventh of the columns
// out of the fit, then checks that their factors from features alone rank
// the rows that attend to them above the others.
func TestColdStartFromFeatures(t *testing.T) {
	const rows, cols, groups = 400, 150, 5
	full := blockData(t, 9, rows, cols, groups, 8)
	cold := func(i uint32) bool { return i%7 == 3 }
	var cells []factor.Cell
	for u := range rows {
		idx, val := full.Row(u)
		for p, i := range idx {
			if !cold(i) {
				cells = append(cells, factor.Cell{Row: uint32(u), Col: i, Value: val[p]})
			}
		}
	}
	warm, err := factor.FromCells(rows, cols, cells)
	require.NoError(t, err)
	rf, cf := groupFeatures(t, rows, groups), groupFeatures(t, cols, groups)
	m := fit(t, factor.Config{Factors: 8, Regularization: 1}, factor.Data{Interest: warm, RowFeatures: &rf, ColFeatures: &cf})
	assert.Equal(t, groups+7, m.ColFeatures())
	var aucs []float64
	for i := range cols {
		if !cold(uint32(i)) {
			continue
		}
		fi, fv := cf.Row(i)
		y, err := m.ColFromFeatures(sparse.Vector{Idx: fi, Val: fv}, nil)
		require.NoError(t, err)
		// The model's own column i (no training cell) is the same factor.
		assert.InDeltaSlice(t, toF64(y), toF64(m.Col(i)), 1e-6)
		scores := make([]float64, rows)
		labels := make([]bool, rows)
		for u := range rows {
			scores[u] = factor.Dot(m.Row(u), y)
			idx, _ := full.Row(u)
			_, labels[u] = slices.BinarySearch(idx, uint32(i))
		}
		if auc := rank.AUC(scores, labels); !math.IsNaN(auc) {
			aucs = append(aucs, auc)
		}
	}
	mean, _ := rank.Mean(aucs)
	t.Logf("cold columns: mean AUC %.3f over %d", mean, len(aucs))
	assert.Greater(t, mean, 0.75)
	// Unknown features contribute nothing; bad values are errors.
	y, err := m.ColFromFeatures(sparse.Vector{Idx: []uint32{1000}, Val: []float64{1}}, nil)
	require.NoError(t, err)
	assert.Equal(t, make([]float32, 8), y)
	_, err = m.RowFromFeatures(sparse.Vector{Idx: []uint32{0}, Val: []float64{math.NaN()}}, nil)
	require.ErrorIs(t, err, market.ErrNaN)
	// A model without features gives the zero vector.
	plain := fit(t, factor.Config{Factors: 4}, factor.Data{Interest: warm})
	x, err := plain.RowFromFeatures(sparse.Vector{Idx: []uint32{0}, Val: []float64{1}}, make([]float32, 9))
	require.NoError(t, err)
	assert.Equal(t, make([]float32, 4), x)
}

func toF64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

// TestFoldIn checks FoldInRow against a direct solve of the row's normal
// equations with the model's column factors, and that a folded-in history
// ranks its own columns high.
func TestFoldIn(t *testing.T) {
	im := blockData(t, 11, 300, 100, 4, 8)
	cfg := factor.Config{Factors: 6, Regularization: 2, Alpha: 3, Holdout: -1}
	m := fit(t, cfg, factor.Data{Interest: im})
	idx, val := im.Row(17)
	x, err := m.FoldInRow(sparse.Vector{Idx: idx, Val: val}, sparse.Vector{}, nil)
	require.NoError(t, err)
	// Direct: (YᵀCY + λI) x = YᵀCp over every column with a cell.
	k := 6
	A := make([]float64, k*k)
	bvec := make([]float64, k)
	for i := range im.Cols {
		y := toF64(m.Col(i))
		c, p := 1.0, 0.0
		if q, ok := slices.BinarySearch(idx, uint32(i)); ok {
			c, p = 1+3*val[q], 1
		}
		for a := range k {
			bvec[a] += c * p * y[a]
			for b := range k {
				A[a*k+b] += c * y[a] * y[b]
			}
		}
	}
	for a := range k {
		A[a*k+a] += 2
	}
	want := solve(t, k, A, bvec)
	assert.InDeltaSlice(t, want, toF64(x), 1e-5)
	// Errors name the entry.
	_, err = m.FoldInRow(sparse.Vector{Idx: []uint32{100}, Val: []float64{1}}, sparse.Vector{}, nil)
	var de *factor.DataError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "history", de.Matrix)
	assert.Equal(t, 100, de.Col)
	_, err = m.FoldInCol(sparse.Vector{Idx: []uint32{3}, Val: []float64{-1}}, sparse.Vector{}, nil)
	require.ErrorIs(t, err, factor.ErrNotPositive)
	empty, err := m.FoldInRow(sparse.Vector{}, sparse.Vector{}, nil)
	require.NoError(t, err)
	assert.Equal(t, make([]float32, 6), empty)
}

// solve solves the k × k system A x = b by Gaussian elimination.
func solve(t *testing.T, k int, A, b []float64) []float64 {
	t.Helper()
	a := slices.Clone(A)
	x := slices.Clone(b)
	for c := range k {
		p := c
		for r := c + 1; r < k; r++ {
			if math.Abs(a[r*k+c]) > math.Abs(a[p*k+c]) {
				p = r
			}
		}
		for j := range k {
			a[c*k+j], a[p*k+j] = a[p*k+j], a[c*k+j]
		}
		x[c], x[p] = x[p], x[c]
		for r := range k {
			if r == c {
				continue
			}
			f := a[r*k+c] / a[c*k+c]
			for j := range k {
				a[r*k+j] -= f * a[c*k+j]
			}
			x[r] -= f * x[c]
		}
	}
	for c := range k {
		x[c] /= a[c*k+c]
	}
	return x
}

func TestTwoSided(t *testing.T) {
	m, err := synth.Generate(synth.Small())
	require.NoError(t, err)
	ns, nj := m.NumSeekers, m.NumJobs
	var sc, jc []factor.Cell
	for i, p := range m.Pairs {
		if m.Events[i].Action == market.Reject {
			continue
		}
		if int(p.Actor) < ns {
			sc = append(sc, factor.Cell{Row: p.Actor, Col: p.Target - uint32(ns), Value: 1})
		} else {
			jc = append(jc, factor.Cell{Row: p.Actor - uint32(ns), Col: p.Target, Value: 1})
		}
	}
	si, err := factor.FromCells(ns, nj, sc)
	require.NoError(t, err)
	ji, err := factor.FromCells(nj, ns, jc)
	require.NoError(t, err)
	var sides []market.Side
	tr, err := factor.New(factor.Config{Factors: 8, Iterations: 3, Regularization: 5, Progress: func(p factor.Progress) error {
		sides = append(sides, p.Side)
		return nil
	}})
	require.NoError(t, err)
	r, err := tr.FitTwoSided(context.Background(), factor.TwoSided{SeekerInterest: si, JobInterest: ji})
	require.NoError(t, err)
	assert.Contains(t, sides, market.Seeker)
	assert.Contains(t, sides, market.Recruiter)
	seek, rec := r.Model(market.Seeker), r.Model(market.Recruiter)
	require.Equal(t, [2]int{ns, nj}, [2]int{seek.Rows(), seek.Cols()})
	require.Equal(t, [2]int{nj, ns}, [2]int{rec.Rows(), rec.Cols()})
	assert.Nil(t, r.Model(0))
	f, b := r.Match(market.Seeker, 5, 7)
	assert.Equal(t, seek.Score(5, 7), f.Score)
	assert.Equal(t, rec.Score(7, 5), b.Score)
	assert.Equal(t, seek.Calibrate(f.Score), f.Probability)
	f2, b2 := r.Match(market.Recruiter, 7, 5)
	assert.Equal(t, f, b2)
	assert.Equal(t, b, f2)
	assert.Equal(t, seek.Bytes()+rec.Bytes(), r.Bytes())
	// Shapes must be transposed; errors name the matrix.
	_, err = tr.FitTwoSided(context.Background(), factor.TwoSided{SeekerInterest: si, JobInterest: si})
	var de *factor.DataError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "JobInterest", de.Matrix)
	bad := ji
	bad.Val = slices.Clone(ji.Val)
	bad.Val[3] = math.NaN()
	_, err = tr.FitTwoSided(context.Background(), factor.TwoSided{SeekerInterest: si, JobInterest: bad})
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "JobInterest", de.Matrix)
	assert.True(t, strings.Contains(err.Error(), "NaN"))
	_, err = factor.NewReciprocal(seek, seek)
	require.Error(t, err)
}

func TestHugeShapeRefused(t *testing.T) {
	cells := []factor.Cell{{Row: 0, Col: 1<<31 - 1, Value: 1}, {Row: 1, Col: 0, Value: 1}}
	if _, err := factor.FromCells(2, 1<<31, cells); err == nil || !strings.Contains(err.Error(), "Cols") {
		t.Fatalf("factor.FromCells(2, 2^31) = %v, want an error naming Cols", err)
	}
	m := factor.CSR{Rows: 2, Cols: 1 << 31, Ptr: []int{0, 1, 2}, Idx: []uint32{1<<31 - 1, 0}, Val: []float64{1, 1}}
	tr, err := factor.New(factor.Config{Factors: 8, Iterations: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), factor.Data{Interest: m}); err == nil || !strings.Contains(err.Error(), "Cols") {
		t.Fatalf("Fit on 2 × 2^31 = %v, want an error naming Cols", err)
	}
	if _, err := factor.FromCells(1<<28, 1<<28, nil); err != nil {
		t.Fatalf("FromCells at the bound: %v", err)
	}
}
