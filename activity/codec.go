package activity

import (
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/twowayrec/twoway/internal/binio"
)

// ErrCorrupt is wrapped by the errors of this package's decoders
// ([Features.UnmarshalBinary], [Table.UnmarshalBinary]).
var ErrCorrupt = errors.New("activity: corrupt data")

const (
	featuresFormat = 1
	tableFormat    = 1
)

// AppendBinary appends f to b (encoding.BinaryAppender), every number
// bit-exact; windows beyond NumWindows are not written (they are zero).
func (f *Features) AppendBinary(b []byte) ([]byte, error) {
	w := binio.Writer{B: b}
	w.Uvarint(featuresFormat)
	w.Int(f.NumWindows)
	for i := range min(max(f.NumWindows, 0), MaxWindows) {
		w.Float64(f.WindowDays[i])
		for _, c := range f.Counts[i] {
			w.Float64(c)
		}
	}
	w.Bool(f.Active)
	w.Float64(f.DaysSinceActive)
	w.Bool(f.Registered)
	for _, x := range [...]float64{f.DaysSinceRegistered, f.Sessions, f.SessionMinutes, f.ActionsPerSession,
		f.HourEntropy, f.AnsweredContacts, f.AnswerHours} {
		w.Float64(x)
	}
	return w.B, nil
}

// UnmarshalBinary sets f to the Features that AppendBinary encoded in
// data, or returns an error wrapping ErrCorrupt (f is then unchanged),
// also when the decoded Features fail [Features.Check] (no windows, a NaN,
// infinite or negative count).
func (f *Features) UnmarshalBinary(data []byte) error {
	r := binio.NewReader(data)
	if v := r.Uvarint(); r.Err() == nil && v != featuresFormat {
		r.Fail("features format %d (this build reads %d)", v, featuresFormat)
	}
	var g Features
	g.NumWindows = r.Int(0, MaxWindows)
	for i := range g.NumWindows {
		g.WindowDays[i] = r.Float64()
		for c := range g.Counts[i] {
			g.Counts[i][c] = r.Float64()
		}
	}
	g.Active = r.Bool()
	g.DaysSinceActive = r.Float64()
	g.Registered = r.Bool()
	for _, x := range [...]*float64{&g.DaysSinceRegistered, &g.Sessions, &g.SessionMinutes, &g.ActionsPerSession,
		&g.HourEntropy, &g.AnsweredContacts, &g.AnswerHours} {
		*x = r.Float64()
	}
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if err := g.Check(); err != nil {
		return err
	}
	*f = g
	return nil
}

// AppendBinary appends the table to b (encoding.BinaryAppender): its
// default and every entry, bit-exact.
func (t *Table) AppendBinary(b []byte) ([]byte, error) {
	w := binio.Writer{B: b}
	w.Uvarint(tableFormat)
	w.Float64(t.def)
	t.mu.RLock()
	w.Uvarint(uint64(len(t.vals)))
	for i := range t.vals {
		w.Float64(math.Float64frombits(t.vals[i].Load()))
	}
	t.mu.RUnlock()
	return w.B, nil
}

// UnmarshalBinary replaces the table's default and entries with those that
// AppendBinary encoded in data, or returns an error wrapping ErrCorrupt
// (the table is then unchanged).
func (t *Table) UnmarshalBinary(data []byte) error {
	r := binio.NewReader(data)
	if v := r.Uvarint(); r.Err() == nil && v != tableFormat {
		r.Fail("table format %d (this build reads %d)", v, tableFormat)
	}
	def := r.Float64()
	n := r.Count(8)
	vals := make([]atomic.Uint64, n)
	for i := range vals {
		vals[i].Store(math.Float64bits(r.Float64()))
	}
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	t.mu.Lock()
	t.def, t.vals = def, vals
	t.mu.Unlock()
	return nil
}

const memoryFormat = 1

// AppendBinary appends the store's counters to b (encoding.BinaryAppender):
// its bucket count, then for every participant that has a ring (in index
// order) its bookkeeping and its non-zero counters, so that a store
// restored by UnmarshalBinary reads exactly as this one and a Tracker on
// it computes the same features without replaying the events. Each
// participant is read under its own lock: with Adds running meanwhile the
// result holds each participant's counts at some moment of the call.
func (m *Memory) AppendBinary(b []byte) ([]byte, error) {
	w := binio.Writer{B: b}
	w.Uvarint(memoryFormat)
	w.Uvarint(uint64(m.n))
	chunks := *m.chunks.Load()
	w.Uvarint(uint64(len(chunks)))
	size := m.n * NumCounters
	for k := range chunks {
		sl := chunks[k].Load()
		w.Bool(sl != nil)
		if sl == nil {
			continue
		}
		for i := range sl.rings {
			r := &sl.rings[i]
			counts := sl.counts[i*size : (i+1)*size]
			r.mu.Lock()
			w.Bool(r.started)
			w.Varint(r.newest)
			w.Varint(r.last)
			nz := 0
			for _, c := range counts {
				if c != 0 {
					nz++
				}
			}
			w.Uvarint(uint64(nz))
			prev := -1
			for j, c := range counts {
				if c != 0 {
					w.Uvarint(uint64(j - prev)) // gap to the previous non-zero counter
					w.Uvarint(uint64(c))
					prev = j
				}
			}
			r.mu.Unlock()
		}
	}
	return w.B, nil
}

// UnmarshalBinary replaces the store's counters with those AppendBinary
// encoded in data, all at once, or returns an error wrapping ErrCorrupt
// (the store is then unchanged). The encoding must be of a store with the
// same number of buckets. Restore a store before it takes Adds: an Add
// running during the replacement may count into the counters replaced.
func (m *Memory) UnmarshalBinary(data []byte) error {
	r := binio.NewReader(data)
	if v := r.Uvarint(); r.Err() == nil && v != memoryFormat {
		r.Fail("memory store format %d (this build reads %d)", v, memoryFormat)
	}
	if n := r.Uvarint(); r.Err() == nil && n != uint64(m.n) {
		r.Fail("memory store of %d buckets, this one keeps %d", n, m.n)
	}
	// Each slab is at least one byte; each participant's ring, three.
	nchunks := r.Count(1 + 3<<slabBits)
	size := m.n * NumCounters
	chunks := make([]atomic.Pointer[slab], nchunks)
	for k := 0; k < nchunks && r.Err() == nil; k++ {
		if !r.Bool() {
			continue
		}
		sl := &slab{counts: make([]uint32, (1<<slabBits)*size)}
		for i := 0; i < len(sl.rings) && r.Err() == nil; i++ {
			g := &sl.rings[i]
			g.started = r.Bool()
			g.newest = r.Varint()
			g.last = r.Varint()
			nz := r.Count(2)
			counts := sl.counts[i*size : (i+1)*size]
			j := -1
			for range nz {
				gap := r.Uvarint()
				c := r.Uvarint()
				if r.Err() != nil {
					break
				}
				if gap == 0 || gap > uint64(size-1-j) || c == 0 || c > math.MaxUint32 {
					r.Fail("participant %d: counter entry (gap %d, count %d) out of range", k<<slabBits+i, gap, c)
					break
				}
				j += int(gap)
				counts[j] = uint32(c)
			}
		}
		chunks[k].Store(sl)
	}
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	m.grow.Lock()
	m.chunks.Store(&chunks)
	m.grow.Unlock()
	return nil
}

// Replace makes m hold o's counters, at once, and leaves o empty: a store
// decoded aside (UnmarshalBinary) takes the place of a live one without
// holding it up for the decode. o must keep as many buckets as m.
func (m *Memory) Replace(o *Memory) error {
	if o.n != m.n {
		return fmt.Errorf("activity: Memory.Replace: %d buckets for a store of %d", o.n, m.n)
	}
	o.grow.Lock()
	chunks := o.chunks.Swap(new([]atomic.Pointer[slab]))
	o.grow.Unlock()
	m.grow.Lock()
	m.chunks.Store(chunks)
	m.grow.Unlock()
	return nil
}
