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
type Dataset struct {
	Ptr    []int
	Idx    []uint32
	Val    []float64
	Label  []float64
	Weight []float64
	Offset []float64
}

// Len returns the number of rows.
func (d *Dataset) Len() int { return len(d.Label) }

// Row returns the features of row i as a vector sharing d's storage.
func (d *Dataset) Row(i int) sparse.Vector {
	a, b := d.Ptr[i], d.Ptr[i+1]
	return sparse.Vector{Idx: d.Idx[a:b:b], Val: d.Val[a:b:b]}
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
	n := d.Len()
	if err := x.Check(); err != nil {
		return fmt.Errorf("rank: row %d: features: %w", n, err)
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
	for i := range n {
		if d.Ptr[i+1] < d.Ptr[i] {
			return fmt.Errorf("rank: row %d: Ptr decreases", i)
		}
		if err := d.Row(i).Check(); err != nil {
			return fmt.Errorf("rank: row %d: features: %w", i, err)
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
	return m
}

func (d *Dataset) offset(i int) float64 {
	if d.Offset == nil {
		return 0
	}
	return d.Offset[i]
}
