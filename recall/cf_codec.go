package recall

import (
	"fmt"
	"math"

	"github.com/twowayrec/twoway/internal/binio"
)

// The neighbour tables of the collaborative recallers, so that a fitted
// recaller can be saved and restored without refitting (a refit of the
// three at synth.Large()'s scale costs tens of CPU seconds).

const tableFormat = 1

// appendTable writes t (nil or without rows: not fitted): per row its neighbour count,
// then each neighbour's index and its similarity, bit-exact.
func appendTable(b []byte, t *table) []byte {
	w := binio.Writer{B: b}
	w.Uvarint(tableFormat)
	fittedRows := t != nil && len(t.ptr) > 0
	w.Bool(fittedRows)
	if !fittedRows {
		return w.B
	}
	n := len(t.ptr) - 1
	w.Uvarint(uint64(n))
	for i := range n {
		w.Uvarint(uint64(t.ptr[i+1] - t.ptr[i]))
	}
	for k := range t.nb {
		w.Uvarint(uint64(t.nb[k]))
		w.Uvarint(uint64(math.Float32bits(t.sim[k])))
	}
	return w.B
}

// decodeTable reads what appendTable wrote, for a matrix of dimension n:
// every neighbour index below n, every similarity finite and positive.
func decodeTable(data []byte, n int) (*table, error) {
	r := binio.NewReader(data)
	if v := r.Uvarint(); r.Err() == nil && v != tableFormat {
		r.Fail("neighbour table format %d (this build reads %d)", v, tableFormat)
	}
	if !r.Bool() {
		if err := r.Done(); err != nil {
			return nil, fmt.Errorf("%w: neighbour table: %w", ErrCorrupt, err)
		}
		return &table{}, nil
	}
	rows := r.Count(1)
	if r.Err() == nil && rows != n {
		r.Fail("neighbour table of %d rows for a matrix of dimension %d", rows, n)
	}
	t := &table{ptr: make([]int, rows+1)}
	for i := 0; i < rows && r.Err() == nil; i++ {
		l := r.Count(2) // each neighbour: at least a byte of index and one of similarity
		t.ptr[i+1] = t.ptr[i] + l
	}
	if r.Err() == nil && t.ptr[rows] > r.Len()/2 {
		r.Fail("neighbour table: %d neighbours in %d bytes", t.ptr[rows], r.Len())
	}
	if r.Err() == nil {
		t.nb = make([]uint32, t.ptr[rows])
		t.sim = make([]float32, t.ptr[rows])
	}
	for k := 0; k < len(t.nb) && r.Err() == nil; k++ {
		j := r.Uvarint()
		s := math.Float32frombits(r.Uint32())
		if r.Err() != nil {
			break
		}
		if j >= uint64(n) || !(s > 0) || math.IsInf(float64(s), 0) {
			r.Fail("neighbour table: entry %d (index %d, similarity %v) out of range", k, j, s)
			break
		}
		t.nb[k], t.sim[k] = uint32(j), s
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: neighbour table: %w", ErrCorrupt, err)
	}
	return t, nil
}

// AppendBinary appends the fitted neighbour table to b
// (encoding.BinaryAppender; nothing of the interest matrix, which has a
// codec of its own).
func (r *ItemCF) AppendBinary(b []byte) ([]byte, error) {
	return appendTable(b, r.tab.Load()), nil
}

// UnmarshalBinary installs the neighbour table AppendBinary encoded, in
// place of a Fit, or returns an error wrapping ErrCorrupt (the recaller is
// then unchanged). The table must be of a matrix of the dimension of the
// recaller's interest matrix now (the matrix restored first).
func (r *ItemCF) UnmarshalBinary(data []byte) error {
	t, err := decodeTable(data, r.x.base.Load().n)
	if err != nil {
		return err
	}
	r.tab.Store(t)
	return nil
}

// AppendBinary appends the fitted neighbour table to b
// (encoding.BinaryAppender); the rest of the fit is recomputed from the
// interest matrix by UnmarshalBinary.
func (r *UserCF) AppendBinary(b []byte) ([]byte, error) {
	var t *table
	if f := r.fit.Load(); f != nil {
		t = f.tab
	}
	return appendTable(b, t), nil
}

// UnmarshalBinary installs the neighbour table AppendBinary encoded, in
// place of a Fit, with the per-actor data a Fit derives from the interest
// matrix (restore the matrix first), or returns an error wrapping
// ErrCorrupt (the recaller is then unchanged).
func (r *UserCF) UnmarshalBinary(data []byte) error {
	m := r.x.base.Load()
	t, err := decodeTable(data, m.n)
	if err != nil {
		return err
	}
	if len(t.ptr) == 0 {
		r.fit.Store(&userFit{tab: t, m: m, cols: csr{ptr: []int{0}}})
		return nil
	}
	f := r.derive(m)
	f.tab = t
	r.fit.Store(f)
	return nil
}
