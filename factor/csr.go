package factor

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/twowayrec/twoway/market"
)

// ErrData is wrapped by every *DataError: input matrices that are
// malformed, hold a non-finite or non-positive weight, or name an index
// out of range.
var ErrData = errors.New("factor: invalid data")

// DataError reports one bad piece of an input matrix: which matrix
// ("Interest", "RowFeatures", "ColFeatures", or a caller's name), which
// row and column (−1 when the problem is not about one cell), which field
// of [CSR] and why. Err is one of market.ErrNaN (also for ±Inf),
// market.ErrOutOfRange, [ErrNotPositive], [ErrUnsorted] or, for a
// feature matrix of the wrong shape, a shape mismatch.
type DataError struct {
	Matrix   string
	Row, Col int
	Field    string
	Value    string
	Err      error
}

// ErrNotPositive is the reason of a *DataError for an interest weight (or
// a history weight) that is zero or negative.
var ErrNotPositive = errors.New("factor: weight not positive")

// ErrUnsorted is the reason of a *DataError for column indices of a row
// that are not strictly increasing, or row pointers that decrease.
var ErrUnsorted = errors.New("factor: not strictly increasing")

// Error names the matrix, row, column and field, and says why.
func (e *DataError) Error() string {
	where := e.Matrix
	if e.Row >= 0 {
		where += " row " + strconv.Itoa(e.Row)
	}
	if e.Col >= 0 {
		where += " column " + strconv.Itoa(e.Col)
	}
	s := fmt.Sprintf("factor: %s: field %s: %s", where, e.Field, trimPrefix(e.Err))
	if e.Value != "" {
		s += ": " + e.Value
	}
	return s
}

// Unwrap returns the reason.
func (e *DataError) Unwrap() error { return e.Err }

// Is reports whether target is ErrData, so that errors.Is(err, ErrData)
// holds for every *DataError.
func (e *DataError) Is(target error) bool { return target == ErrData }

func trimPrefix(err error) string {
	if err == nil {
		return "invalid"
	}
	s := err.Error()
	for i := 0; i < len(s)-1; i++ {
		if s[i] == ':' && s[i+1] == ' ' {
			return s[i+2:]
		}
	}
	return s
}

// CSR is a sparse matrix in compressed sparse rows, built by the caller:
// row r holds the columns Idx[Ptr[r]:Ptr[r+1]] (strictly increasing, each
// below Cols) with the values Val[Ptr[r]:Ptr[r+1]]. The interest matrix
// given to a fit has positive, finite values (confidence weights, see
// [Config]); feature matrices may hold any finite value.
//
// The zero CSR is a matrix without rows (Ptr may be nil when Rows is 0).
// Rows and Cols are at most 2²⁸ (see [FromCells]); a fit refuses larger
// shapes with a [DataError] naming the field. A CSR is read, never modified, by this package; a fit keeps no
// reference to it after it returns.
type CSR struct {
	Rows, Cols int
	Ptr        []int
	Idx        []uint32
	Val        []float64
}

// Cell is one entry of a matrix: the value at (Row, Col).
type Cell struct {
	Row, Col uint32
	Value    float64
}

// maxDim bounds Rows and Cols: a fit allocates dense factor arrays of
// Rows×Factors and Cols×Factors, so a shape is limited to 2²⁸ (indices up
// to 2²⁸−1, the bound recall.MaxIndex uses); larger shapes are refused
// with a [DataError] naming Rows or Cols rather than asking for tens of
// gigabytes. A decoder refuses the same absurd sizes.
const maxDim = 1 << 28

// FromCells builds a CSR of the given shape (rows and cols 0 to 2²⁸) from cells in any order,
// summing the values of repeated (row, column) pairs. It returns a
// *DataError naming the cell (by its position in cells) for an index out
// of range or a non-finite value. Cells summing to zero are kept.
func FromCells(rows, cols int, cells []Cell) (CSR, error) {
	if rows < 0 || rows > maxDim {
		return CSR{}, &DataError{Matrix: "cells", Row: -1, Col: -1, Field: "Rows", Value: strconv.Itoa(rows), Err: market.ErrOutOfRange}
	}
	if cols < 0 || cols > maxDim {
		return CSR{}, &DataError{Matrix: "cells", Row: -1, Col: -1, Field: "Cols", Value: strconv.Itoa(cols), Err: market.ErrOutOfRange}
	}
	for k, c := range cells {
		name := "cells[" + strconv.Itoa(k) + "]"
		switch {
		case int64(c.Row) >= int64(rows):
			return CSR{}, &DataError{Matrix: name, Row: int(c.Row), Col: int(c.Col), Field: "Row", Value: strconv.FormatUint(uint64(c.Row), 10), Err: market.ErrOutOfRange}
		case int64(c.Col) >= int64(cols):
			return CSR{}, &DataError{Matrix: name, Row: int(c.Row), Col: int(c.Col), Field: "Col", Value: strconv.FormatUint(uint64(c.Col), 10), Err: market.ErrOutOfRange}
		case math.IsNaN(c.Value) || math.IsInf(c.Value, 0):
			return CSR{}, &DataError{Matrix: name, Row: int(c.Row), Col: int(c.Col), Field: "Value", Value: fmt.Sprint(c.Value), Err: market.ErrNaN}
		}
	}
	s := slices.Clone(cells)
	slices.SortFunc(s, func(a, b Cell) int { return cmp.Or(cmp.Compare(a.Row, b.Row), cmp.Compare(a.Col, b.Col)) })
	m := CSR{Rows: rows, Cols: cols, Ptr: make([]int, rows+1)}
	for k := 0; k < len(s); {
		r, c, sum := s[k].Row, s[k].Col, 0.0
		for ; k < len(s) && s[k].Row == r && s[k].Col == c; k++ {
			sum += s[k].Value
		}
		if math.IsInf(sum, 0) {
			return CSR{}, &DataError{Matrix: "cells", Row: int(r), Col: int(c), Field: "Value", Value: "sum " + fmt.Sprint(sum), Err: market.ErrNaN}
		}
		m.Idx = append(m.Idx, c)
		m.Val = append(m.Val, sum)
		m.Ptr[r+1]++
	}
	for r := range rows {
		m.Ptr[r+1] += m.Ptr[r]
	}
	return m, nil
}

// NNZ returns the number of stored cells.
func (m *CSR) NNZ() int { return len(m.Idx) }

// Row returns the columns and values of row r (views into m).
func (m *CSR) Row(r int) ([]uint32, []float64) {
	a, b := m.Ptr[r], m.Ptr[r+1]
	return m.Idx[a:b:b], m.Val[a:b:b]
}

// Check verifies the structure of m (shape, pointers, sorted in-range
// column indices) and that every value is finite. It returns a *DataError
// naming the first problem.
func (m *CSR) Check() error { return m.check("CSR", false) }

// check is Check with the matrix's name for errors and, when positive is
// set, the requirement that every value be > 0.
func (m *CSR) check(name string, positive bool) error {
	bad := func(row, col int, field, value string, err error) error {
		return &DataError{Matrix: name, Row: row, Col: col, Field: field, Value: value, Err: err}
	}
	if m.Rows == 0 && m.Ptr == nil && len(m.Idx) == 0 && len(m.Val) == 0 && m.Cols >= 0 && m.Cols <= maxDim {
		return nil // the zero CSR: no rows
	}
	switch {
	case m.Rows < 0 || m.Rows > maxDim:
		return bad(-1, -1, "Rows", strconv.Itoa(m.Rows), market.ErrOutOfRange)
	case m.Cols < 0 || m.Cols > maxDim:
		return bad(-1, -1, "Cols", strconv.Itoa(m.Cols), market.ErrOutOfRange)
	case len(m.Ptr) != m.Rows+1:
		return bad(-1, -1, "Ptr", fmt.Sprintf("length %d for %d rows", len(m.Ptr), m.Rows), market.ErrOutOfRange)
	case m.Ptr[0] != 0:
		return bad(-1, -1, "Ptr", fmt.Sprintf("Ptr[0] = %d", m.Ptr[0]), market.ErrOutOfRange)
	case len(m.Idx) != len(m.Val):
		return bad(-1, -1, "Val", fmt.Sprintf("%d values for %d indices", len(m.Val), len(m.Idx)), market.ErrOutOfRange)
	case m.Ptr[m.Rows] != len(m.Idx):
		return bad(-1, -1, "Ptr", fmt.Sprintf("Ptr[%d] = %d for %d cells", m.Rows, m.Ptr[m.Rows], len(m.Idx)), market.ErrOutOfRange)
	}
	for r := range m.Rows {
		a, b := m.Ptr[r], m.Ptr[r+1]
		if b < a || b > len(m.Idx) {
			return bad(r, -1, "Ptr", fmt.Sprintf("Ptr[%d] = %d after %d", r+1, b, a), ErrUnsorted)
		}
		for p := a; p < b; p++ {
			c, v := m.Idx[p], m.Val[p]
			switch {
			case int64(c) >= int64(m.Cols):
				return bad(r, int(c), "Idx", fmt.Sprintf("%d for %d columns", c, m.Cols), market.ErrOutOfRange)
			case p > a && c <= m.Idx[p-1]:
				return bad(r, int(c), "Idx", fmt.Sprintf("%d after %d", c, m.Idx[p-1]), ErrUnsorted)
			case math.IsNaN(v) || math.IsInf(v, 0):
				return bad(r, int(c), "Val", fmt.Sprint(v), market.ErrNaN)
			case positive && v <= 0:
				return bad(r, int(c), "Val", fmt.Sprint(v), ErrNotPositive)
			}
		}
	}
	return nil
}

// transpose returns mᵀ; rows are visited in order, so the columns of the
// result come out sorted.
func (m *CSR) transpose() CSR {
	t := CSR{Rows: m.Cols, Cols: m.Rows, Ptr: make([]int, m.Cols+1), Idx: make([]uint32, len(m.Idx)), Val: make([]float64, len(m.Val))}
	for _, c := range m.Idx {
		t.Ptr[c+1]++
	}
	for c := range m.Cols {
		t.Ptr[c+1] += t.Ptr[c]
	}
	next := slices.Clone(t.Ptr[:m.Cols])
	for r := range m.Rows {
		for p := m.Ptr[r]; p < m.Ptr[r+1]; p++ {
			c := m.Idx[p]
			q := next[c]
			t.Idx[q], t.Val[q] = uint32(r), m.Val[p]
			next[c]++
		}
	}
	return t
}
