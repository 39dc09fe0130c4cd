package rank

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/twowayrec/twoway/sparse"
)

// sharedProblem is a recommender-shaped problem: every row has a few own
// features (indices below pairDim) and the content vector of one of items
// candidates (indices from pairDim on), with the label drawn from a true
// model over both. It returns the rows written out in full and the same
// rows with the candidates' vectors shared, and each row's entity.
func sharedProblem(seed uint64, rows, items, entities int) (full, shared *Dataset, entity []uint32) {
	return sharedProblemSized(seed, rows, items, entities, 6, 200, 12)
}

// sharedProblemSized is sharedProblem with pairDim own features (each
// present with probability ½) and contentNNZ of contentDim content
// features per candidate.
func sharedProblemSized(seed uint64, rows, items, entities, pairDim, contentDim, contentNNZ int) (full, shared *Dataset, entity []uint32) {
	rng := rand.New(rand.NewPCG(seed, 7))
	truth := make([]float64, pairDim+contentDim)
	for j := range truth {
		truth[j] = rng.NormFloat64() * 0.7
	}
	content := make([]sparse.Vector, items)
	for k := range content {
		seen := map[uint32]bool{}
		var v sparse.Vector
		for len(v.Idx) < contentNNZ {
			j := uint32(pairDim + rng.IntN(contentDim))
			if !seen[j] {
				seen[j] = true
				v.Idx = append(v.Idx, j)
			}
		}
		slices.Sort(v.Idx)
		v.Val = make([]float64, len(v.Idx))
		for q := range v.Val {
			v.Val[q] = rng.Float64()
		}
		content[k] = v
	}
	full, shared = &Dataset{}, &Dataset{Shared: &Shared{}}
	refs := make([]int32, items)
	for k, v := range content {
		var err error
		if refs[k], err = shared.Shared.Add(v); err != nil {
			panic(err)
		}
	}
	for i := range rows {
		var own sparse.Vector
		for j := range pairDim {
			if rng.IntN(2) == 0 {
				own.Idx = append(own.Idx, uint32(j))
				own.Val = append(own.Val, rng.NormFloat64())
			}
		}
		k := rng.IntN(items + 1) // items: a row without a candidate vector
		var x sparse.Vector
		x.Idx, x.Val = append(x.Idx, own.Idx...), append(x.Val, own.Val...)
		ref := int32(-1)
		if k < items {
			x.Idx, x.Val = append(x.Idx, content[k].Idx...), append(x.Val, content[k].Val...)
			ref = refs[k]
		}
		p := Sigmoid(sparse.DotDense(x, truth) - 0.5)
		y := 0.0
		if rng.Float64() < p {
			y = 1
		}
		w := 0.5 + rng.Float64()
		off := 0.0
		if i%3 == 0 {
			off = 0.25
		}
		if err := full.AddOffset(x, y, w, off); err != nil {
			panic(err)
		}
		if err := shared.AddShared(own, ref, y, w, off); err != nil {
			panic(err)
		}
		entity = append(entity, uint32(i%entities))
	}
	return full, shared, entity
}

func closeTo(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for j := range got {
		if math.Abs(got[j]-want[j]) > tol*(1+math.Abs(want[j])) {
			t.Fatalf("%s[%d] = %.12g, want %.12g (written-out rows)", what, j, got[j], want[j])
		}
	}
}

func TestSharedRowsAreTheWrittenOutRows(t *testing.T) {
	full, shared, _ := sharedProblem(1, 500, 40, 10)
	if err := shared.Check(); err != nil {
		t.Fatal(err)
	}
	if got, want := shared.maxIndex(), full.maxIndex(); got != want {
		t.Fatalf("maxIndex %d, want %d", got, want)
	}
	var buf sparse.Vector
	for i := range full.Len() {
		want := full.Row(i)
		for _, got := range []sparse.Vector{shared.Row(i), shared.AppendRow(buf, i)} {
			if !equalVectors(got, want) {
				t.Fatalf("row %d: %v, want %v", i, got, want)
			}
		}
		buf = shared.AppendRow(buf, i)
	}
}

func equalVectors(a, b sparse.Vector) bool {
	if a.Len() != b.Len() {
		return false
	}
	for k := range a.Idx {
		if a.Idx[k] != b.Idx[k] || a.Val[k] != b.Val[k] {
			return false
		}
	}
	return true
}

// The batch fit of shared rows is the fit of the written-out rows: only
// the order of the floating-point sums differs.
func TestFitSharedMatchesWrittenOut(t *testing.T) {
	full, shared, _ := sharedProblem(2, 3000, 60, 30)
	for _, workers := range []int{1, 3} {
		c := Config{L2: 1e-3, Workers: workers, Tolerance: 1e-9}
		want, err := Fit(context.Background(), c, full)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Fit(context.Background(), c, shared)
		if err != nil {
			t.Fatal(err)
		}
		closeTo(t, "weights", got.Weights(), want.Weights(), 1e-6)
		closeTo(t, "bias", []float64{got.Bias()}, []float64{want.Bias()}, 1e-6)
	}
	// Bit-identical across worker counts, as for written-out rows.
	a, _ := Fit(context.Background(), Config{L2: 1e-3, Workers: 1}, shared)
	b, _ := Fit(context.Background(), Config{L2: 1e-3, Workers: 4}, shared)
	for j, w := range a.Weights() {
		if b.Weights()[j] != w {
			t.Fatalf("weight %d: %v with 1 worker, %v with 4", j, w, b.Weights()[j])
		}
	}
}

func TestFitHierarchicalSharedMatchesWrittenOut(t *testing.T) {
	full, shared, entity := sharedProblem(3, 4000, 50, 40)
	c := HierarchicalConfig{
		Global: Config{L2: 1e-3, Tolerance: 1e-9}, Passes: 2, LambdaGrid: []float64{1, 10},
		EntityTolerance: 1e-9, MinRows: 5,
	}
	want, err := FitHierarchical(context.Background(), c, full, entity)
	if err != nil {
		t.Fatal(err)
	}
	got, err := FitHierarchical(context.Background(), c, shared, entity)
	if err != nil {
		t.Fatal(err)
	}
	if got.Config().Lambda != want.Config().Lambda || got.Config().InterceptOnly != want.Config().InterceptOnly {
		t.Fatalf("chose λ %v (intercept only %v), want %v (%v)", got.Config().Lambda, got.Config().InterceptOnly, want.Config().Lambda, want.Config().InterceptOnly)
	}
	closeTo(t, "global weights", got.Global().Weights(), want.Global().Weights(), 1e-5)
	if len(got.Entities()) != len(want.Entities()) || len(want.Entities()) == 0 {
		t.Fatalf("%d corrections, want %d (> 0)", len(got.Entities()), len(want.Entities()))
	}
	for i := range full.Len() {
		g, w := got.Score(entity[i], full.Row(i)), want.Score(entity[i], full.Row(i))
		if math.Abs(g-w) > 1e-5*(1+math.Abs(w)) {
			t.Fatalf("row %d: score %.10g, want %.10g", i, g, w)
		}
	}
}

func TestFTRLTrainShared(t *testing.T) {
	full, shared, _ := sharedProblem(4, 800, 20, 10)
	dim := full.maxIndex()
	a, err := NewFTRL(FTRLConfig{Dim: dim, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := NewFTRL(FTRLConfig{Dim: dim, Seed: 5})
	if err := a.Train(context.Background(), full, 2); err != nil {
		t.Fatal(err)
	}
	if err := b.Train(context.Background(), shared, 2); err != nil {
		t.Fatal(err)
	}
	// The online trainer reads each row written out: identical bits.
	for i := range 50 {
		x := full.Row(i)
		if pa, pb := a.Predict(x), b.Predict(x); pa != pb {
			t.Fatalf("row %d: %v from written-out rows, %v from shared", i, pa, pb)
		}
	}
}

func TestSharedErrors(t *testing.T) {
	x := func(idx ...uint32) sparse.Vector {
		v := sparse.Vector{Idx: idx}
		for range idx {
			v.Val = append(v.Val, 1)
		}
		return v
	}
	var s Shared
	if _, err := s.Add(sparse.Vector{Idx: []uint32{3, 2}, Val: []float64{1, 1}}); err == nil || !strings.Contains(err.Error(), "shared vector 0") {
		t.Fatalf("unsorted shared vector: %v", err)
	}
	if _, err := s.Add(sparse.Vector{Idx: []uint32{2}, Val: []float64{math.NaN()}}); err == nil {
		t.Fatal("NaN in a shared vector accepted")
	}
	if s.Len() != 0 {
		t.Fatalf("a refused vector was kept: %d", s.Len())
	}
	if r, err := s.Add(x(5, 9)); err != nil || r != 0 {
		t.Fatalf("Add: %d, %v", r, err)
	}
	d := Dataset{Shared: &s}
	if err := d.Add(x(1), 1, 1); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		x    sparse.Vector
		ref  int32
		want string
	}{
		{"missing vector", x(1), 1, "row 1: shared vector 1 does not exist"},
		{"negative reference", x(1), -2, "row 1: shared vector -2"},
		{"own index past the shared", x(1, 5), 0, "row 1: features: index 5 is not below the shared vector's first index 5"},
	} {
		if err := d.AddShared(tc.x, tc.ref, 1, 1, 0); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if d.Len() != 1 || len(d.Idx) != 1 || d.Ref != nil {
			t.Fatalf("%s: the dataset changed: %d rows, %d entries, Ref %v", tc.name, d.Len(), len(d.Idx), d.Ref)
		}
	}
	if err := d.AddShared(x(1, 2), 0, 0, 1, 0); err != nil {
		t.Fatal(err)
	}
	if len(d.Ref) != 2 || d.Ref[0] != -1 || d.Ref[1] != 0 {
		t.Fatalf("Ref %v, want [-1 0]", d.Ref)
	}
	if err := d.Check(); err != nil {
		t.Fatal(err)
	}
	// A hand-built dataset is checked as thoroughly.
	for _, tc := range []struct {
		name string
		edit func(*Dataset)
		want string
	}{
		{"short Ref", func(d *Dataset) { d.Ref = d.Ref[:1] }, "1 shared-vector references for 2 rows"},
		{"dangling Ref", func(d *Dataset) { d.Ref = []int32{-1, 4} }, "row 1: shared vector 4 does not exist (1 shared vectors)"},
		{"no table", func(d *Dataset) { d.Shared = nil }, "row 1: shared vector 0 does not exist (0 shared vectors)"},
		{"bad table", func(d *Dataset) { d.Shared = &Shared{Ptr: []int{0, 2}, Idx: []uint32{5}, Val: []float64{1}} }, "Shared has"},
		{"table without offsets", func(d *Dataset) { d.Shared = &Shared{Idx: []uint32{5}, Val: []float64{1}} }, "Shared has 0 offsets, 1 indices"},
		{"offsets past the entries", func(d *Dataset) { d.Shared = &Shared{Ptr: []int{0, 3, 1}, Idx: []uint32{5}, Val: []float64{1}} }, "shared vector 0"},
		{"unordered", func(d *Dataset) { d.Shared = &Shared{Ptr: []int{0, 1}, Idx: []uint32{2}, Val: []float64{1}} }, "row 1: features: index 2 is not below"},
		{"NaN shared", func(d *Dataset) { d.Shared = &Shared{Ptr: []int{0, 1}, Idx: []uint32{5}, Val: []float64{math.NaN()}} }, "shared vector 0"},
	} {
		e := d
		e.Ref = append([]int32(nil), d.Ref...)
		tc.edit(&e)
		if err := e.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Fatalf("%s: %v, want %q", tc.name, err, tc.want)
		}
		if _, err := Fit(context.Background(), Config{}, &e); err == nil {
			t.Fatalf("%s: Fit accepted it", tc.name)
		}
	}
}
