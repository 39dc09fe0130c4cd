package exposure

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/twowayrec/twoway/internal/binio"
	"github.com/twowayrec/twoway/rank"
)

// ErrCorrupt is wrapped by the errors of ReadModel for a truncated,
// damaged or foreign stream.
var ErrCorrupt = errors.New("exposure: corrupt model data")

// WriteTo writes m in the binary format of rank.Standardized.WriteTo;
// [ReadModel] reads it back into a model that scores identically.
func (m *Model) WriteTo(w io.Writer) (int64, error) { return m.s.WriteTo(w) }

// ReadModel reads a model written by [Model.WriteTo], or the JSON form
// (format "twoway/exposure", version 1) that this package wrote before the
// model moved to rank.Standardized. A stream that is not one, is damaged,
// holds inconsistent values or holds another kind of model (package
// urgency's) is an error wrapping ErrCorrupt, never a panic.
func ReadModel(r io.Reader) (*Model, error) {
	s, err := rank.ReadStandardized(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if s.Kind() != kind {
		return nil, fmt.Errorf("%w: a %q model, want %q", ErrCorrupt, s.Kind(), kind)
	}
	return &Model{s}, nil
}

// controllerFormat is the version of the encoding of Controller.AppendBinary.
const controllerFormat = 1

// AppendBinary appends the controller's real-time state to b
// (encoding.BinaryAppender): every ledger entry (load and time of the
// newest impression, bit-exact) and the (requester, candidate) pairs
// counted within Config.RepeatWindow, sorted. The configuration is not
// written: decode into a Controller made by New with the same Config.
func (c *Controller) AppendBinary(b []byte) ([]byte, error) {
	w := binio.Writer{B: b}
	w.Uvarint(controllerFormat)
	l := c.ledger
	l.mu.RLock()
	w.Uvarint(uint64(len(l.entries)))
	for i := range l.entries {
		s := &l.stripes[uint32(i)%uint32(len(l.stripes))]
		s.Lock()
		e := l.entries[i]
		s.Unlock()
		w.Float64(e.load)
		w.Varint(e.at)
	}
	l.mu.RUnlock()
	type pair struct {
		key uint64
		at  int64
	}
	var pairs []pair
	c.repeats.each(func(k uint64, at int64) { pairs = append(pairs, pair{k, at}) })
	slices.SortFunc(pairs, func(a, b pair) int { return cmp.Compare(a.key, b.key) })
	w.Uvarint(uint64(len(pairs)))
	for _, p := range pairs {
		w.Uvarint(p.key)
		w.Varint(p.at)
	}
	return w.B, nil
}

// UnmarshalBinary replaces the controller's ledger and repeat memory with
// those encoded by AppendBinary. Damaged data is an error wrapping
// ErrCorrupt, and the controller is then unchanged.
func (c *Controller) UnmarshalBinary(data []byte) error {
	r := binio.NewReader(data)
	if v := r.Uvarint(); r.Err() == nil && v != controllerFormat {
		r.Fail("controller format %d (this build reads %d)", v, controllerFormat)
	}
	n := r.Count(9)
	entries := make([]entry, n)
	for i := range entries {
		e := entry{load: r.Float64(), at: r.Varint()}
		if r.Err() == nil && (!(e.load >= 0) || math.IsInf(e.load, 0) || e.at < 0) {
			r.Fail("ledger entry %d: load %v at %d", i, e.load, e.at)
		}
		entries[i] = e
	}
	np := r.Count(2)
	keys := make([]uint64, 0, np)
	ats := make([]int64, 0, np)
	for i := 0; i < np && r.Err() == nil; i++ {
		k, at := r.Uvarint(), r.Varint()
		if r.Err() == nil && (uint32(k>>32) == uint32(k) || (i > 0 && k <= keys[i-1])) {
			r.Fail("repeat pair %d: key %d", i, k)
		}
		keys, ats = append(keys, k), append(ats, at)
	}
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	c.ledger.mu.Lock()
	c.ledger.entries = entries
	c.ledger.mu.Unlock()
	c.repeats.reset()
	for i, k := range keys {
		c.repeats.set(k, ats[i])
	}
	return nil
}
