package factor

import (
	"fmt"
	"io"
	"math"
	"math/bits"

	"github.com/twowayrec/twoway/market"
)

// Table is an immutable table of float32 vectors of one length, by
// position, some of which may be absent: a participant's embeddings, or
// any factors a host wants to keep. It is what the Engine stores in its
// fitted state for the vectors of an [Embedder], and what
// [Table.WriteTo] persists.
type Table struct {
	dim  int
	has  []uint64  // bit i: row i present
	data []float32 // n × dim; absent rows are zero
	n    int
}

// NewTable copies rows into a table. A nil or empty row is absent; every
// other row must have the same length and finite values, or NewTable
// returns a *DataError naming the row and position.
func NewTable(rows [][]float32) (*Table, error) {
	t := &Table{n: len(rows), has: make([]uint64, (len(rows)+63)/64)}
	for i, r := range rows {
		if len(r) == 0 {
			continue
		}
		if t.dim == 0 {
			t.dim = len(r)
			t.data = make([]float32, len(rows)*t.dim)
		}
		if len(r) != t.dim {
			return nil, &DataError{Matrix: "table", Row: i, Col: -1, Field: "length", Value: fmt.Sprintf("%d, want %d", len(r), t.dim), Err: errShape}
		}
		for d, x := range r {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, &DataError{Matrix: "table", Row: i, Col: d, Field: "value", Value: fmt.Sprint(x), Err: market.ErrNaN}
			}
		}
		copy(t.data[i*t.dim:], r)
		t.has[i/64] |= 1 << (i % 64)
	}
	return t, nil
}

// Len returns the number of positions, present or not.
func (t *Table) Len() int { return t.n }

// Dim returns the vectors' length (0 when no row is present).
func (t *Table) Dim() int { return t.dim }

// Has reports whether row i is present.
func (t *Table) Has(i int) bool { return i >= 0 && i < t.n && t.has[i/64]&(1<<(i%64)) != 0 }

// Row returns row i (a view that must not be modified), or nil when it is
// absent or i is out of range.
func (t *Table) Row(i int) []float32 {
	if !t.Has(i) {
		return nil
	}
	return t.data[i*t.dim : (i+1)*t.dim : (i+1)*t.dim]
}

// Rows returns every row by position, nil where absent (views that must
// not be modified), as recall.VectorsConfig takes them.
func (t *Table) Rows() [][]float32 {
	out := make([][]float32, t.n)
	for i := range out {
		out[i] = t.Row(i)
	}
	return out
}

// Bytes returns the memory of the table's vectors and presence bits.
func (t *Table) Bytes() int { return 4*len(t.data) + 8*len(t.has) }

// WriteTo writes the table in the package's versioned binary format: the
// dimension, the number of positions, the presence bits and the present
// rows. It implements io.WriterTo.
func (t *Table) WriteTo(w io.Writer) (int64, error) {
	e := newEncoder(w)
	e.header(magicTable)
	e.u32(uint32(t.dim))
	e.u32(uint32(t.n))
	for _, b := range t.has {
		e.u64(b)
	}
	for i := range t.n {
		if t.Has(i) {
			e.f32s(t.Row(i))
		}
	}
	return e.finish()
}

// ReadFrom replaces t with a table read from r, as written by WriteTo,
// with the errors and guarantees of [Model.ReadFrom].
func (t *Table) ReadFrom(r io.Reader) (int64, error) {
	d := newDecoder(r)
	d.header(magicTable)
	dim := d.count("dimension", 1<<16)
	n := d.count("rows", maxDim-1)
	var got Table
	got.dim, got.n = dim, n
	for i := 0; i < (n+63)/64 && d.err == nil; i++ {
		got.has = append(got.has, d.u64())
	}
	if d.err == nil && n%64 != 0 && got.has[len(got.has)-1]>>(n%64) != 0 {
		d.fail("presence bits beyond row %d", n)
	}
	present := 0
	for _, b := range got.has {
		present += bits.OnesCount64(b)
	}
	if d.err == nil && present > 0 && dim == 0 {
		d.fail("%d rows present with dimension 0", present)
	}
	if d.err == nil && present == 0 && dim != 0 {
		d.fail("dimension %d without any row", dim)
	}
	var rows []float32
	if d.err == nil {
		rows = d.f32s(present*dim, "vectors")
	}
	nn, err := d.finish()
	if err != nil {
		return nn, err
	}
	if present > 0 {
		got.data = make([]float32, n*dim)
		p := 0
		for i := range n {
			if got.has[i/64]&(1<<(i%64)) != 0 {
				copy(got.data[i*dim:(i+1)*dim], rows[p*dim:(p+1)*dim])
				p++
			}
		}
	}
	*t = got
	return nn, nil
}
