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
// ErrCorrupt that names the entry and the field (a load that is NaN,
// infinite or negative, a time outside [market.MinTime, market.MaxTime),
// repeat pairs out of order), and the controller is then unchanged. The
// format is the one older builds wrote, whose ledger lost impressions
// stamped at the Unix epoch: an entry with load 0 at the epoch is a
// candidate never shown, and one with a load at the epoch (which they
// wrote but read back as empty) now counts.
func (c *Controller) UnmarshalBinary(data []byte) error {
	r := binio.NewReader(data)
	if v := r.Uvarint(); r.Err() == nil && v != controllerFormat {
		r.Fail("controller format %d (this build reads %d)", v, controllerFormat)
	}
	n := r.Count(9)
	entries := make([]entry, n)
	for i := 0; i < n && r.Err() == nil; i++ {
		e := entry{load: r.Float64(), at: r.Varint()}
		switch {
		case r.Err() != nil:
		case math.IsNaN(e.load) || math.IsInf(e.load, 0) || e.load < 0:
			r.Fail("ledger entry %d (candidate %d): load %v: not a finite non-negative number", i, i, e.load)
		case e.at < minNano || e.at >= maxNano:
			r.Fail("ledger entry %d (candidate %d): time %d ns: outside [market.MinTime, market.MaxTime)", i, i, e.at)
		}
		entries[i] = e
	}
	np := r.Count(2)
	keys := make([]uint64, 0, np)
	ats := make([]int64, 0, np)
	for i := 0; i < np && r.Err() == nil; i++ {
		k, at := r.Uvarint(), r.Varint()
		switch {
		case r.Err() != nil:
		case i > 0 && k <= keys[i-1]:
			r.Fail("repeat pair %d: key %d: not above the previous key %d", i, k, keys[i-1])
		case at < minNano || at >= maxNano:
			r.Fail("repeat pair %d (requester %d, candidate %d): time %d ns: outside [market.MinTime, market.MaxTime)", i, uint32(k>>32), uint32(k), at)
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
