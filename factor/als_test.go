package factor

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// randomData returns a rows × cols interest matrix with about density of
// the cells set (every row and column at least once), weights in (0, 5].
func randomData(t testing.TB, seed uint64, rows, cols int, density float64) CSR {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 9))
	var cells []Cell
	for u := range rows {
		cells = append(cells, Cell{uint32(u), uint32(u % cols), 1 + 4*rng.Float64()})
		for i := range cols {
			if rng.Float64() < density {
				cells = append(cells, Cell{uint32(u), uint32(i), 0.1 + 4.9*rng.Float64()})
			}
		}
	}
	for i := range cols {
		cells = append(cells, Cell{uint32(i % rows), uint32(i), 1})
	}
	m, err := FromCells(rows, cols, cells)
	require.NoError(t, err)
	return m
}

// directRow solves the normal equations of row u exactly with gonum/mat:
//
//	(YᵀCᵘY + λI) x = YᵀCᵘp(u) − (YᵀCᵘY)·m
//
// with every column in the loss (dense Cᵘ: 1 off the row's cells; a
// negative cell is p = 0 with confidence 1 + α·|value|).
func directRow(t *testing.T, k int, ys []float64, cols int, idx []uint32, val []float64, alpha, lambda float64, m []float64) []float64 {
	t.Helper()
	c := make([]float64, cols)
	p := make([]float64, cols)
	for i := range c {
		c[i] = 1
	}
	for q, i := range idx {
		c[i] = 1 + alpha*math.Abs(val[q])
		if val[q] > 0 {
			p[i] = 1
		}
	}
	Y := mat.NewDense(cols, k, append([]float64(nil), ys...))
	var cy mat.Dense
	cy.Apply(func(i, _ int, v float64) float64 { return c[i] * v }, Y)
	var A mat.Dense
	A.Mul(Y.T(), &cy) // YᵀCY
	b := mat.NewVecDense(k, nil)
	b.MulVec(cy.T(), mat.NewVecDense(cols, p))
	if m != nil {
		var am mat.VecDense
		am.MulVec(&A, mat.NewVecDense(k, m))
		b.SubVec(b, &am)
	}
	for d := range k {
		A.Set(d, d, A.At(d, d)+lambda)
	}
	var x mat.VecDense
	require.NoError(t, x.SolveVec(&A, b))
	return x.RawVector().Data
}

// TestALSAgreesWithNormalEquations checks one ALS half-sweep of each side
// against a direct solve of every row's normal equations, to 1e-6: with
// CGSteps ≥ Factors the conjugate-gradient solver is exact up to rounding.
func TestALSAgreesWithNormalEquations(t *testing.T) {
	t.Run("interest", func(t *testing.T) {
		testALSAgreesWithNormalEquations(t, Data{Interest: randomData(t, 1, 40, 25, 0.2)})
	})
	// With negatives: the cells of another random matrix, those that are
	// not interest cells, become preferences 0 of confidence 1 + α·w.
	t.Run("negatives", func(t *testing.T) {
		neg := randomData(t, 2, 40, 25, 0.3)
		d := Data{Interest: randomData(t, 1, 40, 25, 0.2), Negatives: &neg}
		s := testALSAgreesWithNormalEquations(t, d)
		n := 0
		for u := range 40 {
			_, val := s.rows.m.Row(u)
			for _, v := range val {
				if v < 0 {
					n++
				}
			}
		}
		assert.Greater(t, n, 100, "negative training cells")
	})
}

func testALSAgreesWithNormalEquations(t *testing.T, d Data) *state {
	const k = 6
	rows, cols := d.Interest.Rows, d.Interest.Cols
	tr, err := New(Config{Factors: k, CGSteps: k, Alpha: 3, Regularization: 0.5, Holdout: -1, Workers: 3, Seed: 7})
	require.NoError(t, err)
	s := tr.newState(&d)
	ctx := context.Background()
	// Rows given the random initial columns.
	require.NoError(t, s.solve(ctx, &s.rows, &s.cols))
	for u := range rows {
		idx, val := s.rows.m.Row(u)
		want := directRow(t, k, s.cols.eff, cols, idx, val, 3, 0.5, nil)
		assert.InDeltaSlicef(t, want, s.rows.own[u*k:u*k+k], 1e-6, "row %d", u)
	}
	// Columns given those rows.
	require.NoError(t, s.solve(ctx, &s.cols, &s.rows))
	for i := range cols {
		idx, val := s.cols.m.Row(i)
		want := directRow(t, k, s.rows.eff, rows, idx, val, 3, 0.5, nil)
		assert.InDeltaSlicef(t, want, s.cols.own[i*k:i*k+k], 1e-6, "column %d", i)
	}
	return s
}

// TestALSJointStepAgreesWithNormalEquations checks the hybrid half-sweep,
// one conjugate-gradient solve of the own factors W and the feature
// factors E together, against a direct solve of the joint normal
// equations, to 1e-6:
//
//	(M_u + λ_w I) w_u + M_u A_u E                 = Yᵀ Cᵘ p(u)       for each u
//	Σ_u A_uᵀ M_u w_u + (Σ_u A_uᵀ M_u A_u + λ I) E = Σ_u A_uᵀ Yᵀ Cᵘ p(u)
//
// (A_uᵀ M_u A_u is the Kronecker product (a_u a_uᵀ) ⊗ M_u for row u's
// feature vector a_u.)
func TestALSJointStepAgreesWithNormalEquations(t *testing.T) {
	const rows, cols, k, F = 14, 12, 3, 4
	rng := rand.New(rand.NewPCG(3, 3))
	var fc []Cell
	for u := range rows {
		fc = append(fc, Cell{uint32(u), uint32(u % F), 1})
		if rng.IntN(2) == 0 {
			fc = append(fc, Cell{uint32(u), uint32(rng.IntN(F)), 0.5 + rng.Float64()})
		}
	}
	feat, err := FromCells(rows, F, fc)
	require.NoError(t, err)
	d := Data{Interest: randomData(t, 2, rows, cols, 0.3), RowFeatures: &feat}
	const alpha, lambda, own = 2.0, 0.3, 4.0
	n := (rows + F) * k
	tr, err := New(Config{Factors: k, CGSteps: 2 * n, Alpha: alpha, Regularization: lambda, OwnRegularization: own, Holdout: -1, Seed: 5})
	require.NoError(t, err)
	s := tr.newState(&d)
	require.NoError(t, s.solve(context.Background(), &s.rows, &s.cols))

	// The joint system, unknowns [w_0 … w_{rows−1}, e_0 … e_{F−1}].
	H := mat.NewDense(n, n, nil)
	g := mat.NewVecDense(n, nil)
	add := func(r, c int, v float64) { H.Set(r, c, H.At(r, c)+v) }
	Y := mat.NewDense(cols, k, append([]float64(nil), s.cols.eff...))
	for u := range rows {
		idx, val := s.rows.m.Row(u)
		c := make([]float64, cols)
		p := make([]float64, cols)
		for i := range c {
			c[i] = 1
		}
		for q, i := range idx {
			c[i], p[i] = 1+alpha*val[q], 1
		}
		var cy mat.Dense
		cy.Apply(func(i, _ int, v float64) float64 { return c[i] * v }, Y)
		var M mat.Dense
		M.Mul(Y.T(), &cy)
		var b mat.VecDense
		b.MulVec(cy.T(), mat.NewVecDense(cols, p))
		fi, fv := feat.Row(u)
		wu := u * k
		for x := range k {
			for y := range k {
				add(wu+x, wu+y, M.At(x, y))
			}
			add(wu+x, wu+x, own)
			g.SetVec(wu+x, b.AtVec(x))
		}
		for qa, fa := range fi {
			ef := (rows + int(fa)) * k
			for x := range k {
				for y := range k {
					add(wu+x, ef+y, fv[qa]*M.At(x, y))
					add(ef+x, wu+y, fv[qa]*M.At(x, y))
				}
				g.SetVec(ef+x, g.AtVec(ef+x)+fv[qa]*b.AtVec(x))
			}
			for qb, fb := range fi {
				eg := (rows + int(fb)) * k
				for x := range k {
					for y := range k {
						add(ef+x, eg+y, fv[qa]*fv[qb]*M.At(x, y))
					}
				}
			}
		}
	}
	for f := range F {
		for x := range k {
			add((rows+f)*k+x, (rows+f)*k+x, lambda)
		}
	}
	var want mat.VecDense
	require.NoError(t, want.SolveVec(H, g))
	got := append(append([]float64(nil), s.rows.own...), s.rows.ff...)
	assert.InDeltaSlice(t, want.RawVector().Data, got, 1e-6)
	// Effective factors are own + features.
	for u := range rows {
		x := append([]float64(nil), s.rows.own[u*k:u*k+k]...)
		featureSum(&feat, u, s.rows.ff, k, x)
		assert.InDeltaSlice(t, x, s.rows.eff[u*k:u*k+k], 1e-12)
	}
}

// TestALSLossDecreases: every ALS sweep lowers the objective (each CG
// step from a warm start lowers its quadratic), with and without features.
func TestALSLossDecreases(t *testing.T) {
	d := Data{Interest: randomData(t, 4, 60, 40, 0.1)}
	feat, err := FromCells(60, 3, []Cell{{0, 0, 1}, {1, 1, 1}, {2, 2, 1}, {5, 0, 2}, {7, 1, 1}})
	require.NoError(t, err)
	for name, data := range map[string]Data{"plain": d, "hybrid": {Interest: d.Interest, RowFeatures: &feat}} {
		t.Run(name, func(t *testing.T) {
			var losses []float64
			tr, err := New(Config{Factors: 8, Iterations: 8, Holdout: -1, Progress: func(p Progress) error {
				losses = append(losses, p.Loss)
				return nil
			}})
			require.NoError(t, err)
			_, err = tr.Fit(context.Background(), data)
			require.NoError(t, err)
			require.Len(t, losses, 8)
			for i := 1; i < len(losses); i++ {
				assert.LessOrEqualf(t, losses[i], losses[i-1]+1e-12, "sweep %d: %v", i+1, losses)
			}
		})
	}
}

// TestNegativesMerge: a negative cell that is also an interest cell is
// dropped (the interest cell wins), one that is a held-out interest cell
// too (held-out cells stay out of training), and the others enter
// training negated.
func TestNegativesMerge(t *testing.T) {
	full, err := FromCells(2, 4, []Cell{{0, 0, 2}, {0, 1, 1}, {1, 3, 1}})
	require.NoError(t, err)
	// (0, 1) is held out: training has (0, 0) and (1, 3).
	train, err := FromCells(2, 4, []Cell{{0, 0, 2}, {1, 3, 1}})
	require.NoError(t, err)
	neg, err := FromCells(2, 4, []Cell{{0, 0, 5}, {0, 1, 5}, {0, 2, 0.5}, {1, 0, 1}, {1, 3, 4}})
	require.NoError(t, err)
	got := withNegatives(train, full, &neg)
	assert.Equal(t, []int{0, 2, 4}, got.Ptr)
	assert.Equal(t, []uint32{0, 2, 0, 3}, got.Idx)
	assert.Equal(t, []float64{2, -0.5, -1, 1}, got.Val)
}

// TestNegativesLowerTheirPairs: on the same interest matrix, the pairs
// given as negatives score lower, relative to the unobserved pairs, than
// without them; BPR refuses negatives.
func TestNegativesLowerTheirPairs(t *testing.T) {
	const rows, cols = 60, 40
	in := randomData(t, 3, rows, cols, 0.15)
	rng := rand.New(rand.NewPCG(5, 5))
	var cells []Cell
	for u := range rows {
		idx, _ := in.Row(u)
		for i := range cols {
			if _, hit := slices.BinarySearch(idx, uint32(i)); !hit && rng.Float64() < 0.2 {
				cells = append(cells, Cell{uint32(u), uint32(i), 1})
			}
		}
	}
	neg, err := FromCells(rows, cols, cells)
	require.NoError(t, err)
	ctx := context.Background()
	tr, err := New(Config{Factors: 8, Holdout: -1, Seed: 1})
	require.NoError(t, err)
	// gap is the mean score of the unobserved pairs less that of the
	// negatives.
	gap := func(m *Model) float64 {
		var sn, so float64
		var nn, no int
		for u := range rows {
			idx, _ := in.Row(u)
			nidx, _ := neg.Row(u)
			for i := range cols {
				if _, hit := slices.BinarySearch(idx, uint32(i)); hit {
					continue
				}
				if _, hit := slices.BinarySearch(nidx, uint32(i)); hit {
					sn += m.Score(u, i)
					nn++
				} else {
					so += m.Score(u, i)
					no++
				}
			}
		}
		return so/float64(no) - sn/float64(nn)
	}
	plain, err := tr.Fit(ctx, Data{Interest: in})
	require.NoError(t, err)
	with, err := tr.Fit(ctx, Data{Interest: in, Negatives: &neg})
	require.NoError(t, err)
	assert.InDelta(t, 0, gap(plain), 0.05, "without negatives they are unobserved pairs like the others")
	assert.Greater(t, gap(with), gap(plain)+0.05)

	bpr, err := New(Config{Method: BPR, Factors: 8})
	require.NoError(t, err)
	_, err = bpr.Fit(ctx, Data{Interest: in, Negatives: &neg})
	require.ErrorIs(t, err, ErrConfig)
}
