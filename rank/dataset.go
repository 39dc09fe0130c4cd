package rank

import (
	"fmt"
	"math"

	"github.com/twowayrec/twoway/sparse"
)

// Dataset is a set of labelled, weighted training rows stored in compressed
// sparse row (CSR) form, so that a million rows cost three flat slices
// rather than two million small ones. The zero Dataset is empty and ready
// for Add.
//
// Row i has features Idx[Ptr[i]:Ptr[i+1]] with values Val[Ptr[i]:Ptr[i+1]],
// label Label[i] in [0,1] (1 = positive; fractional labels are soft
// targets), sample weight Weight[i] >= 0 and an optional fixed Offset[i]
// added to the row's score (nil means 0 for every row). Offsets are how the
// hierarchical model trains a per-entity correction on top of a global
// score, and how a global model is refitted around per-entity corrections.
//
// # Shared vectors
//
// Rows often repeat a block of features: in a recommender's training rows,
// the candidate's content vector appears in every row that shows that
// candidate. Such a block can be stored once, in Shared, and referred to
// by index: row i's features are then its own entries followed by the
// entries of Shared's vector Ref[i] (none when Ref[i] is -1), every own
// index being below every index of the shared vector. The model and its
// fit are those of the rows written out in full; the batch objective
// ([Fit], [FitHierarchical]) computes a shared vector's score and its
// gradient once per evaluation instead of once per row, and the rows cost
// their own entries only. [Dataset.AddShared] adds such a row.
type Dataset struct {
	Ptr    []int
	Idx    []uint32
	Val    []float64
	Label  []float64
	Weight []float64
	Offset []float64
	// Shared holds the vectors that rows refer to by Ref. Nil: none.
	Shared *Shared
	// Ref[i] is the index in Shared of row i's shared vector, or -1 when
	// it has none. Nil: no row has one.
	Ref []int32
}

// Shared is a table of feature vectors in CSR form (vector k has indices
// Idx[Ptr[k]:Ptr[k+1]] and values Val[Ptr[k]:Ptr[k+1]]) that the rows of
// a [Dataset] share. The zero Shared is empty and ready for Add.
type Shared struct {
	Ptr []int
	Idx []uint32
	Val []float64
}

// Len returns the number of vectors.
func (s *Shared) Len() int { return max(0, len(s.Ptr)-1) }

// Vector returns vector k, sharing s's storage.
func (s *Shared) Vector(k int) sparse.Vector {
	a, b := s.Ptr[k], s.Ptr[k+1]
	return sparse.Vector{Idx: s.Idx[a:b:b], Val: s.Val[a:b:b]}
}

// Add appends x (copied) and returns its index, or an error when x is not
// a valid vector or the table is full (2³¹−1 vectors); s is unchanged
// then.
func (s *Shared) Add(x sparse.Vector) (int32, error) {
	k := s.Len()
	if err := x.Check(); err != nil {
		return -1, fmt.Errorf("rank: shared vector %d: %w", k, err)
	}
	if k >= math.MaxInt32 {
		return -1, fmt.Errorf("rank: shared vector %d: the table is full", k)
	}
	if len(s.Ptr) == 0 {
		s.Ptr = append(s.Ptr, 0)
	}
	s.Idx = append(s.Idx, x.Idx...)
	s.Val = append(s.Val, x.Val...)
	s.Ptr = append(s.Ptr, len(s.Idx))
	return int32(k), nil
}

// check verifies the table's shape and every vector.
func (s *Shared) check() error {
	n := s.Len()
	if len(s.Ptr) == 0 && len(s.Idx) == 0 && len(s.Val) == 0 {
		return nil
	}
	if len(s.Ptr) == 0 || s.Ptr[0] != 0 || s.Ptr[n] != len(s.Idx) || len(s.Idx) != len(s.Val) {
		return fmt.Errorf("rank: dataset: Shared has %d offsets, %d indices and %d values (want Ptr from 0 to len(Idx) = len(Val))", len(s.Ptr), len(s.Idx), len(s.Val))
	}
	for k := range n {
		if s.Ptr[k+1] < s.Ptr[k] || s.Ptr[k+1] > len(s.Idx) {
			return fmt.Errorf("rank: shared vector %d: Ptr %d to %d: want a range of the %d entries", k, s.Ptr[k], s.Ptr[k+1], len(s.Idx))
		}
		if err := s.Vector(k).Check(); err != nil {
			return fmt.Errorf("rank: shared vector %d: %w", k, err)
		}
	}
	return nil
}

// Len returns the number of rows.
func (d *Dataset) Len() int { return len(d.Label) }

// Row returns the features of row i. A row without a shared vector is
// returned as a vector sharing d's storage; one with a shared vector is
// written out into a new vector (see [Dataset.AppendRow] to reuse one).
func (d *Dataset) Row(i int) sparse.Vector {
	if d.ref(i) < 0 {
		return d.own(i)
	}
	return d.AppendRow(sparse.Vector{}, i)
}

// AppendRow writes the features of row i, its own entries and then its
// shared vector's, into dst's storage (grown as needed) and returns it.
func (d *Dataset) AppendRow(dst sparse.Vector, i int) sparse.Vector {
	x := d.own(i)
	dst.Idx, dst.Val = append(dst.Idx[:0], x.Idx...), append(dst.Val[:0], x.Val...)
	if r := d.ref(i); r >= 0 {
		y := d.Shared.Vector(int(r))
		dst.Idx, dst.Val = append(dst.Idx, y.Idx...), append(dst.Val, y.Val...)
	}
	return dst
}

// own returns row i's own entries (without its shared vector), sharing
// d's storage.
func (d *Dataset) own(i int) sparse.Vector {
	a, b := d.Ptr[i], d.Ptr[i+1]
	return sparse.Vector{Idx: d.Idx[a:b:b], Val: d.Val[a:b:b]}
}

// ref returns the index of row i's shared vector, -1 for none.
func (d *Dataset) ref(i int) int32 {
	if d.Ref == nil {
		return -1
	}
	return d.Ref[i]
}

// Add appends a row with features x, label y and sample weight w. It
// returns an error naming the row and the field when x is not a valid
// vector, y is outside [0,1] or w is negative or not finite; the dataset
// is unchanged then.
func (d *Dataset) Add(x sparse.Vector, y, w float64) error {
	return d.AddOffset(x, y, w, 0)
}

// AddOffset is Add with a fixed offset added to the row's score.
func (d *Dataset) AddOffset(x sparse.Vector, y, w, offset float64) error {
	return d.AddShared(x, -1, y, w, offset)
}

// AddShared appends a row whose features are x followed by d.Shared's
// vector ref (-1: none; see Dataset's "Shared vectors"), with label y,
// sample weight w and a fixed offset. Besides Add's errors it returns one
// when ref is out of range or x has an index not below every index of the
// shared vector; the dataset is unchanged then.
func (d *Dataset) AddShared(x sparse.Vector, ref int32, y, w, offset float64) error {
	n := d.Len()
	if err := x.Check(); err != nil {
		return fmt.Errorf("rank: row %d: features: %w", n, err)
	}
	if err := d.checkRef(n, x, ref); err != nil {
		return err
	}
	if !(y >= 0 && y <= 1) {
		return fmt.Errorf("rank: row %d: label %v outside [0,1]", n, y)
	}
	if !(w >= 0) || math.IsInf(w, 0) {
		return fmt.Errorf("rank: row %d: weight %v is not a finite non-negative number", n, w)
	}
	if math.IsNaN(offset) || math.IsInf(offset, 0) {
		return fmt.Errorf("rank: row %d: offset %v is not finite", n, offset)
	}
	if len(d.Ptr) == 0 {
		d.Ptr = append(d.Ptr, 0)
	}
	if offset != 0 && d.Offset == nil {
		d.Offset = make([]float64, n, cap(d.Label))
	}
	d.Idx = append(d.Idx, x.Idx...)
	d.Val = append(d.Val, x.Val...)
	d.Ptr = append(d.Ptr, len(d.Idx))
	d.Label = append(d.Label, y)
	d.Weight = append(d.Weight, w)
	if d.Offset != nil {
		d.Offset = append(d.Offset, offset)
	}
	if ref >= 0 && d.Ref == nil {
		d.Ref = make([]int32, n, cap(d.Label))
		for i := range d.Ref {
			d.Ref[i] = -1
		}
	}
	if d.Ref != nil {
		d.Ref = append(d.Ref, ref)
	}
	return nil
}

// checkRef returns an error naming row i when ref is neither -1 (none)
// nor the index of a vector of d.Shared, or own has an index not below
// every index of that vector.
func (d *Dataset) checkRef(i int, own sparse.Vector, ref int32) error {
	switch {
	case ref == -1:
		return nil
	case ref < -1:
		return fmt.Errorf("rank: row %d: shared vector %d: want -1 (none) or an index", i, ref)
	}
	n := 0
	if d.Shared != nil {
		n = d.Shared.Len()
	}
	if int(ref) >= n {
		return fmt.Errorf("rank: row %d: shared vector %d does not exist (%d shared vectors)", i, ref, n)
	}
	if err := ordered(own, d.Shared.Vector(int(ref))); err != nil {
		return fmt.Errorf("rank: row %d: %w", i, err)
	}
	return nil
}

// ordered returns an error when an index of own is not below every index
// of shared.
func ordered(own, shared sparse.Vector) error {
	if own.Len() > 0 && shared.Len() > 0 && own.Idx[own.Len()-1] >= shared.Idx[0] {
		return fmt.Errorf("features: index %d is not below the shared vector's first index %d", own.Idx[own.Len()-1], shared.Idx[0])
	}
	return nil
}

// Check verifies the dataset's shape and values and returns an error naming
// the first bad row and field. Fit calls it, so a hand-built Dataset gets
// the same validation as one filled by Add.
func (d *Dataset) Check() error {
	n := len(d.Label)
	if n == 0 {
		return ErrEmpty
	}
	if len(d.Ptr) != n+1 || d.Ptr[0] != 0 || d.Ptr[n] != len(d.Idx) {
		return fmt.Errorf("rank: dataset: Ptr has %d entries for %d rows (want %d, starting at 0, ending at len(Idx)=%d)", len(d.Ptr), n, n+1, len(d.Idx))
	}
	if len(d.Idx) != len(d.Val) {
		return fmt.Errorf("rank: dataset: %d indices but %d values", len(d.Idx), len(d.Val))
	}
	if len(d.Weight) != n {
		return fmt.Errorf("rank: dataset: %d weights for %d rows", len(d.Weight), n)
	}
	if d.Offset != nil && len(d.Offset) != n {
		return fmt.Errorf("rank: dataset: %d offsets for %d rows", len(d.Offset), n)
	}
	if d.Ref != nil {
		if len(d.Ref) != n {
			return fmt.Errorf("rank: dataset: %d shared-vector references for %d rows", len(d.Ref), n)
		}
		if d.Shared != nil {
			if err := d.Shared.check(); err != nil {
				return err
			}
		}
	}
	for i := range n {
		if d.Ptr[i+1] < d.Ptr[i] || d.Ptr[i+1] > len(d.Idx) {
			return fmt.Errorf("rank: row %d: Ptr %d to %d: want a range of the %d entries", i, d.Ptr[i], d.Ptr[i+1], len(d.Idx))
		}
		if err := d.own(i).Check(); err != nil {
			return fmt.Errorf("rank: row %d: features: %w", i, err)
		}
		if err := d.checkRef(i, d.own(i), d.ref(i)); err != nil {
			return err
		}
		if y := d.Label[i]; !(y >= 0 && y <= 1) {
			return fmt.Errorf("rank: row %d: label %v outside [0,1]", i, y)
		}
		if w := d.Weight[i]; !(w >= 0) || math.IsInf(w, 0) {
			return fmt.Errorf("rank: row %d: weight %v is not a finite non-negative number", i, w)
		}
		if d.Offset != nil {
			if o := d.Offset[i]; math.IsNaN(o) || math.IsInf(o, 0) {
				return fmt.Errorf("rank: row %d: offset %v is not finite", i, o)
			}
		}
	}
	return nil
}

// maxIndex returns one more than the largest feature index (0 when there
// are no features).
func (d *Dataset) maxIndex() int {
	m := 0
	for i := range d.Label {
		if a, b := d.Ptr[i], d.Ptr[i+1]; b > a {
			m = max(m, int(d.Idx[b-1])+1)
		}
	}
	for i := range d.Ref {
		if r := d.Ref[i]; r >= 0 {
			if x := d.Shared.Vector(int(r)); x.Len() > 0 {
				m = max(m, int(x.Idx[x.Len()-1])+1)
			}
		}
	}
	return m
}

func (d *Dataset) offset(i int) float64 {
	if d.Offset == nil {
		return 0
	}
	return d.Offset[i]
}
