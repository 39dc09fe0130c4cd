package sparse

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func dense(v Vector, n int) []float64 {
	d := make([]float64, n)
	for k, i := range v.Idx {
		d[i] = v.Val[k]
	}
	return d
}

func randVec(r *rand.Rand, n int) Vector {
	var b Builder
	for range r.IntN(n) {
		b.Add(uint32(r.IntN(n)), r.NormFloat64())
	}
	return b.Vector(Vector{})
}

func TestAgainstDense(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 40
	for range 200 {
		a, b := randVec(r, n), randVec(r, n)
		require.NoError(t, a.Check())
		require.NoError(t, b.Check())
		da, db := dense(a, n), dense(b, n)
		var dot, na, nb float64
		for i := range n {
			dot += da[i] * db[i]
			na += da[i] * da[i]
			nb += db[i] * db[i]
		}
		assert.InDelta(t, dot, Dot(a, b), 1e-12)
		assert.InDelta(t, dot, DotDense(a, db), 1e-12)
		if na > 0 && nb > 0 {
			assert.InDelta(t, dot/math.Sqrt(na*nb), Cosine(a, b), 1e-12)
		}
		sum := AddTo(Vector{}, a, -0.5, b)
		require.NoError(t, sum.Check())
		ds := dense(sum, n)
		for i := range n {
			assert.InDelta(t, da[i]-0.5*db[i], ds[i], 1e-12)
		}
	}
}

func TestEdgeCases(t *testing.T) {
	assert.Equal(t, 0.0, Cosine(Vector{}, Vector{Idx: []uint32{1}, Val: []float64{2}}), "zero vector cosine is 0, not NaN")
	assert.ErrorIs(t, Vector{Idx: []uint32{2, 1}, Val: []float64{1, 1}}.Check(), ErrInvalid)
	assert.ErrorIs(t, Vector{Idx: []uint32{1}, Val: []float64{math.NaN()}}.Check(), ErrInvalid)
	assert.ErrorIs(t, Vector{Idx: []uint32{1}}.Check(), ErrInvalid)
	v := FromMap(map[uint32]float64{3: 1, 1: 2, 7: 0})
	assert.Equal(t, []uint32{1, 3}, v.Idx)
	assert.Equal(t, 2.0, v.Get(1))
	assert.Equal(t, 0.0, v.Get(7))
	v.Normalize()
	assert.InDelta(t, 1, v.Norm(), 1e-12)
}

func BenchmarkDot(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	x, y := randVec(r, 2000), randVec(r, 2000)
	b.ReportAllocs()
	for b.Loop() {
		_ = Dot(x, y)
	}
}

func TestExtremeValuesNoOverflow(t *testing.T) {
	for _, x := range []float64{1e200, -1e200, math.MaxFloat64, 1e-200, 5e-324} {
		v := Vector{Idx: []uint32{1, 4}, Val: []float64{x, x}}
		if c := Cosine(v, v); math.Abs(c-1) > 1e-12 {
			t.Errorf("Cosine(%v, itself) = %v, want 1", v, c)
		}
		w := Vector{Idx: []uint32{1}, Val: []float64{x}}
		if c := Cosine(v, w); math.Abs(c-math.Sqrt(0.5)) > 1e-12 {
			t.Errorf("Cosine(%v, %v) = %v, want √½", v, w, c)
		}
		if n, want := w.Norm(), math.Abs(x); n != want {
			t.Errorf("Norm(%v) = %v, want %v", w, n, want)
		}
		u := v.Clone()
		u.Normalize()
		if n := u.Norm(); math.Abs(n-1) > 1e-12 {
			t.Errorf("Normalize(%v) = %v, norm %v", v, u, n)
		}
	}
	if n := (Vector{Idx: []uint32{0, 1}, Val: []float64{3e200, 4e200}}).Norm(); math.Abs(n-5e200) > 1e188 {
		t.Errorf("Norm {3e200, 4e200} = %v", n)
	}
	if n := (Vector{Idx: []uint32{0, 1}, Val: []float64{3, 4}}).Norm(); n != 5 {
		t.Errorf("Norm {3, 4} = %v", n)
	}
	m := FromMap(map[uint32]float64{1: math.MaxFloat64})
	var b Builder
	b.Add(2, math.MaxFloat64)
	b.Add(2, math.MaxFloat64)
	b.Add(3, -math.MaxFloat64)
	b.Add(3, -math.MaxFloat64)
	b.Add(5, math.NaN())
	if v := FromMap(map[uint32]float64{3: math.Inf(1), 4: math.NaN()}); v.Check() != nil || len(v.Idx) != 1 || v.Val[0] != math.MaxFloat64 {
		t.Errorf("FromMap {Inf, NaN} = %v", v)
	}
	for _, v := range []Vector{m, b.Vector(Vector{})} {
		if err := v.Check(); err != nil {
			t.Errorf("Builder/FromMap gave %v: %v", v, err)
		}
	}
	if v := b.Vector(Vector{}); v.Val[0] != math.MaxFloat64 || v.Val[1] != -math.MaxFloat64 {
		t.Errorf("overflowed sums = %v, want ±MaxFloat64", v.Val)
	}
}
