package recall

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestDotRows checks the kernel and the gonum path against a float64 sum
// on every row count's remainder mod 4, strides wider than the rows,
// and lengths from one block of lanes to many.
func TestDotRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, n := range []int{8, 16, 64, 128, 200} {
		for _, stride := range []int{n, n + 8} {
			for _, m := range []int{1, 2, 3, 4, 5, 7, 8, 33} {
				a := make([]float32, (m-1)*stride+n)
				for i := range a {
					a[i] = float32(rng.NormFloat64())
				}
				x := make([]float32, n)
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
				got, ref := make([]float32, m), make([]float32, m)
				dotRows(a, stride, x, got)
				dotRowsGonum(a, stride, x, ref)
				for i := range m {
					var want, abs float64
					for d := range n {
						p := float64(a[i*stride+d]) * float64(x[d])
						want += p
						abs += math.Abs(p)
					}
					tol := abs * float64(n+8) / (1 << 24)
					if math.Abs(float64(got[i])-want) > tol || math.Abs(float64(ref[i])-want) > tol {
						t.Fatalf("n %d stride %d m %d row %d: kernel %v, gonum %v, float64 %v (tolerance %g)", n, stride, m, i, got[i], ref[i], want, tol)
					}
				}
			}
		}
	}
}

// TestDotRowsExact checks that both kernels give the exact sum on values
// whose products and partial sums are exact in float32, so any lane or
// row mixed up shows as a wrong integer.
func TestDotRowsExact(t *testing.T) {
	const n, m = 64, 9
	a := make([]float32, m*n)
	x := make([]float32, n)
	for d := range x {
		x[d] = float32(d%5 - 2)
	}
	want := make([]float32, m)
	for i := range m {
		for d := range n {
			a[i*n+d] = float32((i*7+d*3)%9 - 4)
			want[i] += a[i*n+d] * x[d]
		}
	}
	for _, f := range []struct {
		name string
		run  func(a []float32, stride int, x, y []float32)
	}{{"dotRows", dotRows}, {"dotRowsGonum", dotRowsGonum}} {
		got := make([]float32, m)
		f.run(a, n, x, got)
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%s row %d: %v, want %v", f.name, i, got[i], want[i])
			}
		}
	}
}

func TestDotRowsBadShape(t *testing.T) {
	for _, c := range []struct {
		a      []float32
		stride int
		x, y   []float32
	}{
		{make([]float32, 16), 8, make([]float32, 7), make([]float32, 2)}, // not a multiple of 8
		{make([]float32, 15), 8, make([]float32, 8), make([]float32, 2)}, // a too short
		{make([]float32, 16), 4, make([]float32, 8), make([]float32, 2)}, // stride < n
		{make([]float32, 16), 8, make([]float32, 0), make([]float32, 2)}, // empty x
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("dotRows(len(a) %d, stride %d, len(x) %d, len(y) %d) did not panic", len(c.a), c.stride, len(c.x), len(c.y))
				}
			}()
			dotRows(c.a, c.stride, c.x, c.y)
		}()
	}
}

// BenchmarkDotRows scores 20,000 rows of 64 floats (the factor package's
// large market) with dotRows and with gonum's Sgemv (the fallback, and
// what Vectors used before: SSE on amd64) as the baseline.
func BenchmarkDotRows(b *testing.B) {
	const n, m = 64, 20000
	rng := rand.New(rand.NewPCG(1, 1))
	a := make([]float32, m*n)
	for i := range a {
		a[i] = float32(rng.NormFloat64())
	}
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y := make([]float32, m)
	for _, f := range []struct {
		name string
		run  func(a []float32, stride int, x, y []float32)
	}{{"kernel", dotRows}, {"gonum", dotRowsGonum}} {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f.run(a, n, x, y)
			}
		})
	}
}
