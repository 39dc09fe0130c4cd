// Package sparse is the sparse feature vector that text produces and rank
// learns from: sorted uint32 indices with float64 values.
//
// It is its own package, depending on the standard library only, so that
// text (content vectors) and rank (logistic regression) share one type
// without either importing the other.
//
// # Invariants
//
// A valid Vector has len(Idx) == len(Val), Idx strictly increasing (sorted,
// no duplicates) and finite values. Functions that take vectors assume
// validity; [Vector.Check] verifies it and [FromMap] and [Builder] produce it.
package sparse

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Vector is a sparse vector. The zero value is the empty vector.
type Vector struct {
	Idx []uint32
	Val []float64
}

// ErrInvalid is wrapped by the errors of Check.
var ErrInvalid = errors.New("sparse: invalid vector")

// Len returns the number of stored entries.
func (v Vector) Len() int { return len(v.Idx) }

// Check verifies the invariants and returns an error naming the first
// violation.
func (v Vector) Check() error {
	if len(v.Idx) != len(v.Val) {
		return fmt.Errorf("%w: %d indices, %d values", ErrInvalid, len(v.Idx), len(v.Val))
	}
	for i, x := range v.Val {
		if i > 0 && v.Idx[i] <= v.Idx[i-1] {
			return fmt.Errorf("%w: index %d at position %d not above %d", ErrInvalid, v.Idx[i], i, v.Idx[i-1])
		}
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("%w: value %v at index %d", ErrInvalid, x, v.Idx[i])
		}
	}
	return nil
}

// Clone returns a deep copy of v.
func (v Vector) Clone() Vector {
	return Vector{Idx: slices.Clone(v.Idx), Val: slices.Clone(v.Val)}
}

// Get returns the value at index i (0 when absent).
func (v Vector) Get(i uint32) float64 {
	if k, ok := slices.BinarySearch(v.Idx, i); ok {
		return v.Val[k]
	}
	return 0
}

// Dot returns the inner product of two sparse vectors by merging them.
func Dot(a, b Vector) float64 {
	var s float64
	i, j := 0, 0
	for i < len(a.Idx) && j < len(b.Idx) {
		switch {
		case a.Idx[i] < b.Idx[j]:
			i++
		case a.Idx[i] > b.Idx[j]:
			j++
		default:
			s += a.Val[i] * b.Val[j]
			i++
			j++
		}
	}
	return s
}

// DotDense returns the inner product of v with a dense weight vector w.
// Indices beyond len(w) contribute 0.
func DotDense(v Vector, w []float64) float64 {
	var s float64
	for k, i := range v.Idx {
		if int(i) < len(w) {
			s += v.Val[k] * w[i]
		}
	}
	return s
}

// Norm returns the Euclidean norm of v. It does not overflow or underflow
// where the norm itself is representable: when the plain sum of squares
// leaves the float64 range (values near 1e±154 or beyond) it is computed
// scaled by the largest |value|, as math.Hypot does. A norm beyond
// MaxFloat64 is +Inf.
func (v Vector) Norm() float64 {
	var s float64
	for _, x := range v.Val {
		s += x * x
	}
	if (s > minSumSq && s <= math.MaxFloat64) || math.IsNaN(s) {
		return math.Sqrt(s)
	}
	big := maxAbs(v.Val)
	if big == 0 || math.IsInf(big, 0) {
		return big
	}
	return big * math.Sqrt(scaledSumSq(v.Val, big))
}

// minSumSq is the sum of squares below which Norm rescales: below it the
// squares of the smallest values have lost precision or underflowed.
const minSumSq = 0x1p-600

// maxAbs returns the largest |x| of xs (0 for none).
func maxAbs(xs []float64) float64 {
	var m float64
	for _, x := range xs {
		m = max(m, math.Abs(x))
	}
	return m
}

// scaledCopy returns v with every value divided by its largest |value|
// (v itself when that is 0), in new storage.
func scaledCopy(v Vector) Vector {
	big := maxAbs(v.Val)
	if big == 0 {
		return v
	}
	val := make([]float64, len(v.Val))
	for i, x := range v.Val {
		val[i] = x / big
	}
	return Vector{Idx: v.Idx, Val: val}
}

// scaledSumSq returns Σ (x/big)², which lies in [1, len(xs)].
func scaledSumSq(xs []float64, big float64) float64 {
	var s float64
	for _, x := range xs {
		y := x / big
		s += y * y
	}
	return s
}

// Cosine returns the cosine similarity of a and b, in [−1, 1]. It is
// defined as 0 when either vector is zero (where the formula would be
// 0/0). Vectors with values near the float64 range are compared scaled,
// so the result is never NaN for valid vectors.
func Cosine(a, b Vector) float64 {
	na, nb := a.Norm(), b.Norm()
	if na == 0 || nb == 0 {
		return 0
	}
	d, n := Dot(a, b), na*nb
	if math.IsInf(d, 0) || math.IsInf(n, 0) || n < minSumSq || math.IsInf(na, 0) || math.IsInf(nb, 0) {
		// Scale each vector by its largest |value| first (copies: only
		// vectors near the float64 range come here).
		sa, sb := scaledCopy(a), scaledCopy(b)
		d = Dot(sa, sb)
		n = math.Sqrt(scaledSumSq(sa.Val, 1)) * math.Sqrt(scaledSumSq(sb.Val, 1))
	}
	c := d / n
	return max(-1, min(1, c))
}

// Scale multiplies every value of v by f in place.
func (v Vector) Scale(f float64) {
	for i := range v.Val {
		v.Val[i] *= f
	}
}

// Normalize scales v in place to unit Euclidean norm; a zero vector is left
// unchanged. Values near the float64 range are scaled down (or up) first,
// so a valid non-zero vector always comes out with unit norm.
func (v Vector) Normalize() {
	n := v.Norm()
	if n == 0 || math.IsNaN(n) {
		return
	}
	if math.IsInf(n, 0) || n < 0x1p-500 || n > 0x1p500 {
		big := maxAbs(v.Val)
		for i := range v.Val {
			v.Val[i] /= big
		}
		n = v.Norm()
	}
	v.Scale(1 / n)
}

// AddTo returns dst set to a + f·b, reusing dst's storage. Entries that
// become exactly zero are kept, so the pattern is the union of a and b.
func AddTo(dst Vector, a Vector, f float64, b Vector) Vector {
	dst.Idx, dst.Val = dst.Idx[:0], dst.Val[:0]
	i, j := 0, 0
	for i < len(a.Idx) || j < len(b.Idx) {
		switch {
		case j == len(b.Idx) || (i < len(a.Idx) && a.Idx[i] < b.Idx[j]):
			dst.Idx, dst.Val = append(dst.Idx, a.Idx[i]), append(dst.Val, a.Val[i])
			i++
		case i == len(a.Idx) || b.Idx[j] < a.Idx[i]:
			dst.Idx, dst.Val = append(dst.Idx, b.Idx[j]), append(dst.Val, f*b.Val[j])
			j++
		default:
			dst.Idx, dst.Val = append(dst.Idx, a.Idx[i]), append(dst.Val, a.Val[i]+f*b.Val[j])
			i++
			j++
		}
	}
	return dst
}

// FromMap builds a vector from index → value, dropping zeros; non-finite
// values are handled as by [Builder] (±Inf clamped, NaN dropped).
func FromMap(m map[uint32]float64) Vector {
	var b Builder
	for i, x := range m {
		b.Add(i, x)
	}
	return b.Vector(Vector{})
}

// Builder accumulates (index, value) pairs in any order, with repeats, and
// turns them into a valid Vector whose values at repeated indices are
// summed. The vector is always valid: a sum beyond the float64 range (or
// an infinite value) is clamped to ±MaxFloat64, and a NaN sum (a NaN
// value, or +Inf and −Inf at one index) is dropped like a zero sum. The zero
// Builder is ready to use; Reset reuses its storage.
type Builder struct {
	pairs []pair
}

type pair struct {
	i uint32
	x float64
}

// Add adds x at index i.
func (b *Builder) Add(i uint32, x float64) { b.pairs = append(b.pairs, pair{i, x}) }

// Len returns the number of pairs added since the last Reset.
func (b *Builder) Len() int { return len(b.pairs) }

// Reset forgets every pair, keeping the storage.
func (b *Builder) Reset() { b.pairs = b.pairs[:0] }

// Vector writes the accumulated vector into dst (reusing its storage) and
// returns it. Sums that are exactly zero or NaN are dropped; sums beyond
// ±MaxFloat64 are clamped. The Builder keeps its
// pairs until Reset.
func (b *Builder) Vector(dst Vector) Vector {
	slices.SortFunc(b.pairs, func(p, q pair) int { return cmp.Compare(p.i, q.i) })
	// Room for every distinct index at once, so that a vector kept for
	// long holds no spare capacity from growing.
	n := 0
	for k := range b.pairs {
		if k == 0 || b.pairs[k].i != b.pairs[k-1].i {
			n++
		}
	}
	if cap(dst.Idx) < n {
		dst.Idx = make([]uint32, 0, n)
	}
	if cap(dst.Val) < n {
		dst.Val = make([]float64, 0, n)
	}
	dst.Idx, dst.Val = dst.Idx[:0], dst.Val[:0]
	for k := 0; k < len(b.pairs); {
		i, s := b.pairs[k].i, 0.0
		for ; k < len(b.pairs) && b.pairs[k].i == i; k++ {
			s += b.pairs[k].x
		}
		if s != 0 && !math.IsNaN(s) {
			s = max(-math.MaxFloat64, min(math.MaxFloat64, s)) // overflowed sums
			dst.Idx, dst.Val = append(dst.Idx, i), append(dst.Val, s)
		}
	}
	return dst
}
