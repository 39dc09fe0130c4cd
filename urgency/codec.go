package urgency

import (
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
var ErrCorrupt = errors.New("urgency: corrupt model data")

// WriteTo writes m in the binary format of rank.Standardized.WriteTo;
// [ReadModel] reads it back into a model that scores identically.
func (m *Model) WriteTo(w io.Writer) (int64, error) { return m.s.WriteTo(w) }

// ReadModel reads a model written by [Model.WriteTo], or the JSON form
// (format "twoway/urgency", version 1) that this package wrote before the
// model moved to rank.Standardized. A stream that is not one, is damaged,
// holds inconsistent values or holds another kind of model (package
// exposure's) is an error wrapping ErrCorrupt, never a panic.
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

// recentFormat is the version of the encoding of Recent.AppendBinary.
const recentFormat = 1

// AppendBinary appends what r remembers to b (encoding.BinaryAppender): per
// participant the ring of one-way matches of the profiles they attended
// last, with its position, bit-exact. The configuration (Config.Recent,
// Config.OneWay) is not written: decode into a Recent made by NewRecent
// with the same Config.
func (r *Recent) AppendBinary(b []byte) ([]byte, error) {
	w := binio.Writer{B: b}
	w.Uvarint(recentFormat)
	w.Int(r.size)
	r.mu.RLock()
	users := slices.Clone(r.users)
	r.mu.RUnlock()
	w.Uvarint(uint64(len(users)))
	for _, a := range users {
		if a == nil {
			w.Bool(false)
			continue
		}
		w.Bool(true)
		a.mu.Lock()
		w.Int(a.next)
		w.Int(a.n)
		for _, s := range a.scores[:a.n] {
			w.Float64(s)
		}
		a.mu.Unlock()
	}
	return w.B, nil
}

// UnmarshalBinary replaces what r remembers with what AppendBinary
// encoded. Damaged data, or data of a Recent of another size, is an error
// wrapping ErrCorrupt, and r is then unchanged.
func (r *Recent) UnmarshalBinary(data []byte) error {
	rd := binio.NewReader(data)
	if v := rd.Uvarint(); rd.Err() == nil && v != recentFormat {
		rd.Fail("recent-match format %d (this build reads %d)", v, recentFormat)
	}
	if size := rd.Int(0, math.MaxInt32); rd.Err() == nil && size != r.size {
		rd.Fail("remembers %d profiles per participant, this one %d", size, r.size)
	}
	n := rd.Count(1)
	users := make([]*attention, n)
	for i := 0; i < n && rd.Err() == nil; i++ {
		if !rd.Bool() {
			continue
		}
		a := &attention{next: rd.Int(0, r.size-1), n: rd.Int(0, r.size), scores: make([]float64, r.size)}
		for k := 0; k < a.n && rd.Err() == nil; k++ {
			if a.scores[k] = rd.Float64(); math.IsNaN(a.scores[k]) || math.IsInf(a.scores[k], 0) {
				rd.Fail("participant %d: score %v", i, a.scores[k])
			}
		}
		users[i] = a
	}
	if err := rd.Done(); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	r.mu.Lock()
	r.users = users
	r.mu.Unlock()
	return nil
}

// AppendBinary appends the input to b (encoding.BinaryAppender): its
// behaviour features (activity.Features.AppendBinary) and its match
// statistics, bit-exact.
func (in *Input) AppendBinary(b []byte) ([]byte, error) {
	fb, err := in.Activity.AppendBinary(nil)
	if err != nil {
		return b, err
	}
	w := binio.Writer{B: b}
	w.Bytes(fb)
	w.Int(in.Match.N)
	w.Float64(in.Match.Mean)
	w.Float64(in.Match.Variance)
	return w.B, nil
}

// UnmarshalBinary sets in to the input AppendBinary encoded in data, or
// returns an error wrapping ErrCorrupt (in is then unchanged), also when
// the decoded input fails [Input.Check].
func (in *Input) UnmarshalBinary(data []byte) error {
	r := binio.NewReader(data)
	var out Input
	if err := out.Activity.UnmarshalBinary(r.Bytes()); err != nil && r.Err() == nil {
		r.Fail("%v", err)
	}
	out.Match = MatchStats{N: r.Int(0, math.MaxInt32), Mean: r.Float64(), Variance: r.Float64()}
	if err := r.Done(); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if err := out.Check(); err != nil {
		return err
	}
	*in = out
	return nil
}
