package rank

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/twowayrec/twoway/sparse"
)

// benchProblem returns rows × nnz binary features out of dim, labelled by
// a fixed sparse true model (seeded), so that every run fits the same data.
func benchProblem(rows, nnz, dim int) (*Dataset, []float64) {
	rng := rand.New(rand.NewPCG(42, uint64(rows)))
	truth := make([]float64, dim)
	for j := range truth {
		truth[j] = 2 * rng.NormFloat64() / math.Sqrt(float64(nnz))
	}
	d := &Dataset{
		Ptr:    make([]int, 1, rows+1),
		Idx:    make([]uint32, 0, rows*nnz),
		Val:    make([]float64, 0, rows*nnz),
		Label:  make([]float64, 0, rows),
		Weight: make([]float64, 0, rows),
	}
	var b sparse.Builder
	var x sparse.Vector
	for range rows {
		b.Reset()
		for b.Len() < nnz {
			b.Add(uint32(rng.IntN(dim)), 1)
		}
		x = b.Vector(x)
		for k := range x.Val {
			x.Val[k] = 1 // a repeated index is still a binary feature
		}
		y := 0.0
		if rng.Float64() < Sigmoid(sparse.DotDense(x, truth)) {
			y = 1
		}
		d.Idx = append(d.Idx, x.Idx...)
		d.Val = append(d.Val, x.Val...)
		d.Ptr = append(d.Ptr, len(d.Idx))
		d.Label = append(d.Label, y)
		d.Weight = append(d.Weight, 1)
	}
	return d, truth
}

func trainAUC(m interface{ Predict(sparse.Vector) float64 }, d *Dataset, n int) float64 {
	n = min(n, d.Len())
	s := make([]float64, n)
	l := make([]bool, n)
	for i := range n {
		s[i] = m.Predict(d.Row(i))
		l[i] = d.Label[i] == 1
	}
	return AUC(s, l)
}

// BenchmarkFit fits L2-regularised LR with L-BFGS on rows × 50 non-zeros
// out of 100,000 features, stopping at gradient 1e-6 or 100 iterations.
// It reports the training AUC and the L-BFGS iterations beside the time.
func BenchmarkFit(b *testing.B) {
	for _, rows := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			d, _ := benchProblem(rows, 50, 100_000)
			b.ReportAllocs()
			var m *Model
			iters := 0
			cfg := Config{L2: 1e-5, MaxIterations: 100, Progress: func(p Progress) error { iters = p.Iteration; return nil }}
			for b.Loop() {
				var err error
				if m, err = Fit(context.Background(), cfg, d); err != nil {
					b.Fatal(err)
				}
			}
			auc := trainAUC(m, d, 100_000)
			if auc < 0.75 {
				b.Fatalf("training AUC %.3f: the fit is wrong", auc)
			}
			b.ReportMetric(auc, "trainAUC")
			b.ReportMetric(float64(iters), "iterations")
		})
	}
}

// BenchmarkFTRLUpdate measures online updates of 50 non-zeros out of
// 100,000 features, cycling through 100,000 distinct rows.
func BenchmarkFTRLUpdate(b *testing.B) {
	d, _ := benchProblem(100_000, 50, 100_000)
	f, err := NewFTRL(FTRLConfig{Dim: 100_000, L1: 0.5, L2: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i, n := 0, 0
	var loss float64
	for b.Loop() {
		p := f.Update(d.Row(i), d.Label[i], 1)
		loss += logLoss(math.Log(p/(1-p)), d.Label[i])
		n++
		if i++; i == d.Len() {
			i = 0
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "updates/s")
	if n >= 50_000 && trainAUC(f, d, 20_000) < 0.7 {
		b.Fatalf("online model did not learn: AUC %.3f", trainAUC(f, d, 20_000))
	}
}

// BenchmarkPredict scores one 50-non-zero row with a 100,000-feature model.
func BenchmarkPredict(b *testing.B) {
	d, truth := benchProblem(10_000, 50, 100_000)
	m := NewModel(truth, 0)
	b.ReportAllocs()
	i := 0
	var sum float64
	for b.Loop() {
		sum += m.Predict(d.Row(i))
		if i++; i == d.Len() {
			i = 0
		}
	}
	if math.IsNaN(sum) || trainAUC(m, d, 10_000) < 0.75 {
		b.Fatal("predictions are wrong")
	}
}

// BenchmarkFitHierarchical fits a global model and 10,000 entity
// corrections (20 rows each, 10 non-zeros out of 10,000 features).
func BenchmarkFitHierarchical(b *testing.B) {
	d, _ := benchProblem(200_000, 10, 10_000)
	ent := make([]uint32, d.Len())
	for i := range ent {
		ent[i] = uint32(i % 10_000)
	}
	b.ReportAllocs()
	var h *Hierarchical
	for b.Loop() {
		var err error
		if h, err = FitHierarchical(context.Background(), HierarchicalConfig{Global: Config{L2: 1e-4}}, d, ent); err != nil {
			b.Fatal(err)
		}
	}
	if len(h.Entities()) != 10_000 {
		b.Fatalf("%d corrections", len(h.Entities()))
	}
}

// BenchmarkFitHierarchicalShared fits the same recommender-shaped rows
// (200,000 rows over 2,000 candidates; about 10 own features and a
// candidate vector of 80 per row, 5,000 entities) written out in full and
// with the candidates' vectors shared (Dataset.Shared): the sub-benchmarks
// are the ratio, and B/op the memory the rows' storage saves.
func BenchmarkFitHierarchicalShared(b *testing.B) {
	full, shared, ent := sharedProblemSized(1, 200_000, 2_000, 5_000, 20, 3_000, 80)
	for _, tc := range []struct {
		name string
		d    *Dataset
	}{{"rows=written-out", full}, {"rows=shared", shared}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := FitHierarchical(context.Background(), HierarchicalConfig{Global: Config{L2: 1e-4}}, tc.d, ent); err != nil {
					b.Fatal(err)
				}
			}
			entries := len(tc.d.Idx)
			if tc.d.Shared != nil {
				entries += len(tc.d.Shared.Idx)
			}
			b.ReportMetric(float64(12*entries)/(1<<20), "features-MiB")
		})
	}
}

// BenchmarkUpdateEntity refits one entity's correction from its 20 rows.
func BenchmarkUpdateEntity(b *testing.B) {
	d, _ := benchProblem(20_000, 10, 10_000)
	ent := make([]uint32, d.Len())
	for i := range ent {
		ent[i] = uint32(i % 1000)
	}
	h, err := FitHierarchical(context.Background(), HierarchicalConfig{Global: Config{L2: 1e-4}}, d, ent)
	if err != nil {
		b.Fatal(err)
	}
	own := &Dataset{}
	for i := 0; i < d.Len(); i += 1000 {
		if err := own.Add(d.Row(i), d.Label[i], 1); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := h.UpdateEntity(context.Background(), 0, own); err != nil {
			b.Fatal(err)
		}
	}
	if h.Correction(0).Rows != 20 {
		b.Fatal("wrong correction")
	}
}

// BenchmarkAUC computes the AUC of 1,000,000 scores.
func BenchmarkAUC(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	s := make([]float64, 1_000_000)
	l := make([]bool, len(s))
	for i := range s {
		l[i] = rng.IntN(2) == 0
		s[i] = rng.NormFloat64()
		if l[i] {
			s[i] += 1
		}
	}
	b.ReportAllocs()
	var a float64
	for b.Loop() {
		a = AUC(s, l)
	}
	// Two unit normals one apart: AUC = Φ(1/√2) ≈ 0.7602.
	if math.Abs(a-0.7602) > 0.003 {
		b.Fatalf("AUC %.4f", a)
	}
}
