package recall

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/twowayrec/twoway/internal/binio"
	"github.com/twowayrec/twoway/market"
)

// ErrCorrupt is wrapped by the errors of the decoders of this package's
// fitted state ([Interest.UnmarshalBinary]).
var ErrCorrupt = errors.New("recall: corrupt fitted state")

// interestFormat is the version of the encoding of AppendBinary.
const interestFormat = 1

// AppendBinary appends the matrix and the overlay of events since its Fit
// to b (encoding.BinaryAppender): rows, reference and newest time, the
// overlay's events per actor in the order they were recorded, and the
// overlay's popularity exactly as summed, so that a matrix decoded by
// UnmarshalBinary answers every read bit for bit as this one. The
// configuration (weights, half-life) is not written: decode into an
// Interest made by NewInterest with the same InterestConfig.
func (x *Interest) AppendBinary(b []byte) ([]byte, error) {
	w := binio.Writer{B: b}
	w.Uvarint(interestFormat)
	x.mu.RLock()
	defer x.mu.RUnlock()
	m := x.base.Load()
	w.Int(m.n)
	w.Varint(m.ref)
	w.Varint(m.newest)
	w.Int(m.events)
	for u := range m.n {
		idx, val := m.row(uint32(u))
		w.Uvarint(uint64(len(idx)))
		prev := uint32(0)
		for k, j := range idx {
			w.Uvarint(uint64(j - prev)) // sorted: gaps are small
			prev = j
			w.Float64(val[k])
		}
	}
	w.Uvarint(uint64(len(x.delta)))
	for _, evs := range x.delta {
		w.Uvarint(uint64(len(evs)))
		for _, e := range evs {
			w.Uvarint(uint64(e.target))
			w.Byte(byte(e.action))
			w.Varint(e.t)
		}
	}
	w.Float64s(x.pop)
	return w.B, nil
}

// MarshalBinary is AppendBinary(nil) (encoding.BinaryMarshaler).
func (x *Interest) MarshalBinary() ([]byte, error) { return x.AppendBinary(nil) }

// UnmarshalBinary replaces x's matrix and overlay with those encoded in
// data by AppendBinary. Damaged data is an error wrapping ErrCorrupt that
// says what is wrong, and x is then unchanged.
func (x *Interest) UnmarshalBinary(data []byte) error {
	r := binio.NewReader(data)
	if v := r.Uvarint(); r.Err() == nil && v != interestFormat {
		r.Fail("interest matrix format %d (this build reads %d)", v, interestFormat)
	}
	m := &matrix{}
	m.n = r.Int(0, MaxIndex+1)
	m.ref = r.Varint()
	m.newest = r.Varint()
	m.events = r.Int(0, math.MaxInt)
	if r.Err() == nil && m.n > r.Len() {
		r.Fail("dimension %d larger than the data", m.n) // every row takes a byte
	}
	if r.Err() == nil {
		m.rowPtr = make([]int, m.n+1)
	}
	for u := 0; u < m.n && r.Err() == nil; u++ {
		k := r.Count(9)
		prev := uint32(0)
		for i := range k {
			gap := r.Uvarint()
			j := uint64(prev) + gap
			if r.Err() == nil && (j >= uint64(m.n) || (i > 0 && gap == 0)) {
				r.Fail("row %d: index %d out of order or range", u, j)
			}
			v := r.Float64()
			if r.Err() == nil && !(v > 0 && !math.IsInf(v, 0)) {
				r.Fail("row %d: weight %v is not positive and finite", u, v)
			}
			prev = uint32(j)
			m.rowIdx = append(m.rowIdx, prev)
			m.rowVal = append(m.rowVal, v)
		}
		m.rowPtr[u+1] = len(m.rowIdx)
		if k > 0 {
			m.actors++
		}
	}
	nd := r.Count(1)
	var delta [][]rawEvent
	count := 0
	if r.Err() == nil && nd > 0 {
		delta = make([][]rawEvent, nd)
	}
	for u := 0; u < nd && r.Err() == nil; u++ {
		k := r.Count(3)
		if k > 0 && r.Err() == nil {
			delta[u] = make([]rawEvent, k)
		}
		for i := 0; i < k && r.Err() == nil; i++ {
			e := rawEvent{target: r.Uint32(), action: market.Action(r.Byte()), t: r.Varint()}
			if r.Err() == nil && (!e.action.Valid() || e.target == uint32(u)) {
				r.Fail("overlay event %d of actor %d: action %d, target %d", i, u, e.action, e.target)
			}
			delta[u][i] = e
			count++
		}
	}
	pop := r.Float64s()
	for i, p := range pop {
		if math.IsNaN(p) || math.IsInf(p, 0) {
			r.Fail("overlay popularity of %d is %v", i, p)
			break
		}
	}
	// Record sizes the popularity for every overlay target (and Fit adds
	// to it): a target beyond it is an image no Interest wrote.
	for u := 0; u < len(delta) && r.Err() == nil; u++ {
		for _, e := range delta[u] {
			if int64(e.target) >= int64(len(pop)) {
				r.Fail("overlay event of actor %d: target %d has no popularity (%d targets)", u, e.target, len(pop))
				break
			}
		}
	}
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	m.transpose()
	x.mu.Lock()
	x.base.Store(m)
	x.delta, x.pop, x.nd = delta, slices.Clip(pop), count
	// The popularity is recomputed from the cells (images written before
	// the overlay followed them hold raw sums); the stored one sizes it.
	x.repop(m)
	x.mu.Unlock()
	return nil
}

// transpose fills the columns and the column sums from the rows; rows are
// visited in order, so columns come out sorted.
func (m *matrix) transpose() {
	n := m.n
	m.colPtr = make([]int, n+1)
	for _, j := range m.rowIdx {
		m.colPtr[j+1]++
	}
	for i := 1; i <= n; i++ {
		m.colPtr[i] += m.colPtr[i-1]
	}
	m.colIdx = make([]uint32, len(m.rowIdx))
	m.colVal = make([]float64, len(m.rowIdx))
	m.colSum = make([]float64, n)
	next := slices.Clone(m.colPtr[:n])
	for u := range n {
		for p := m.rowPtr[u]; p < m.rowPtr[u+1]; p++ {
			j := m.rowIdx[p]
			q := next[j]
			m.colIdx[q], m.colVal[q] = uint32(u), m.rowVal[p]
			m.colSum[j] += m.rowVal[p]
			next[j]++
		}
	}
}

// AppendBinary appends the order of the last Refresh to b
// (encoding.BinaryAppender): popular targets and their scores, bit-exact.
func (h *Hot) AppendBinary(b []byte) ([]byte, error) {
	w := binio.Writer{B: b}
	w.Uvarint(interestFormat)
	order := *h.order.Load()
	w.Uvarint(uint64(len(order)))
	for _, c := range order {
		w.Uvarint(uint64(c.Index))
		w.Float64(c.Score)
	}
	return w.B, nil
}

// UnmarshalBinary replaces the order with the one AppendBinary encoded in
// data, as if Refresh had computed it. Damaged data, or an order that is
// not by score descending then index ascending, is an error wrapping
// ErrCorrupt, and h is then unchanged.
func (h *Hot) UnmarshalBinary(data []byte) error {
	r := binio.NewReader(data)
	if v := r.Uvarint(); r.Err() == nil && v != interestFormat {
		r.Fail("hot format %d (this build reads %d)", v, interestFormat)
	}
	n := r.Count(9)
	order := make([]Candidate, 0, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		c := Candidate{Index: r.Uint32(), Score: r.Float64()}
		if r.Err() == nil && (!(c.Score > 0) || math.IsInf(c.Score, 0) ||
			(i > 0 && compareCandidates(order[i-1], c) >= 0)) {
			r.Fail("hot candidate %d (%d, %v) out of order", i, c.Index, c.Score)
		}
		order = append(order, c)
	}
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	h.order.Store(&order)
	return nil
}
