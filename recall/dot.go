package recall

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas32"
)

// dotLanes is the row stride unit of the vector kernel: rows are stored
// padded with zeros to a multiple of it, so the kernel needs no tail.
const dotLanes = 8

// padded returns n rounded up to a multiple of dotLanes.
func padded(n int) int { return (n + dotLanes - 1) &^ (dotLanes - 1) }

// dotRows sets y[i] to the inner product of x with row i of a, the rows
// len(x) long and stride apart: y[i] = Σ_d a[i·stride+d]·x[d]. len(x) is
// a positive multiple of dotLanes, stride ≥ len(x), and a holds every row
// (len(a) ≥ (len(y)−1)·stride + len(x)); the callers guarantee it, and
// dotRows panics otherwise rather than read past a.
//
// On amd64 with AVX2 and FMA it runs an assembly kernel (four rows at a
// time share each load of x; eight lanes per row, fused multiply-add),
// about 3× gonum's SSE Sgemv on 64-dimensional rows (BenchmarkDotRows);
// elsewhere gonum's Sgemv. The two sum in different orders, so scores may
// differ in their last bits between machines, never by more than
// float32 rounding of a sum of len(x) products.
func dotRows(a []float32, stride int, x, y []float32) {
	n := len(x)
	if len(y) == 0 {
		return
	}
	if n == 0 || n%dotLanes != 0 || stride < n || len(a) < (len(y)-1)*stride+n {
		panic("recall: dotRows: bad shape")
	}
	if useAVX2 {
		dotRowsAVX2(&a[0], stride, &x[0], n, &y[0], len(y))
		return
	}
	dotRowsGonum(a, stride, x, y)
}

// dotRowsGonum is dotRows without the assembly kernel.
func dotRowsGonum(a []float32, stride int, x, y []float32) {
	blas32.Implementation().Sgemv(blas.NoTrans, len(y), len(x), 1, a, stride, x, 1, 0, y, 1)
}
