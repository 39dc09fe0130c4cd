package recall

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/internal/binio"
	"github.com/twowayrec/twoway/market"
)

// encodedInterest is a fitted matrix with overlay events after its Fit, and
// its encoding.
func encodedInterest(t testing.TB) (*Interest, []byte) {
	x, err := NewInterest(InterestConfig{HalfLife: 72 * time.Hour, Clock: fixedClock})
	require.NoError(t, err)
	evs := randomEvents(3, 30, 20, 400)
	require.NoError(t, x.Fit(t.Context(), func(yield func(Event) bool) {
		for _, e := range evs {
			if !yield(e) {
				return
			}
		}
	}))
	for _, e := range randomEvents(4, 40, 25, 60) { // overlay, with new participants
		e.Time = t0.Add(time.Duration(e.Target) * time.Minute)
		require.NoError(t, x.Record(e))
	}
	b, err := x.MarshalBinary()
	require.NoError(t, err)
	return x, b
}

func TestInterestBinaryRoundTrip(t *testing.T) {
	x, b := encodedInterest(t)
	y, err := NewInterest(InterestConfig{HalfLife: 72 * time.Hour, Clock: fixedClock})
	require.NoError(t, err)
	require.NoError(t, y.UnmarshalBinary(b))
	assert.Equal(t, x.Stats(), y.Stats())
	for u := range uint32(70) {
		assert.Equal(t, x.History(u, nil), y.History(u, nil), "history of %d", u)
		assert.Equal(t, x.Popularity(u), y.Popularity(u), "popularity of %d", u)
	}
	again, err := y.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, b, again, "re-encoding gives the same bytes")

	// Item-CF fitted on the decoded matrix equals one fitted on the original.
	for _, m := range []*Interest{x, y} {
		cf, err := NewItemCF(m, CFConfig{})
		require.NoError(t, err)
		require.NoError(t, cf.Fit(t.Context()))
	}
}

func TestInterestBinaryDamage(t *testing.T) {
	_, b := encodedInterest(t)
	y, err := NewInterest(InterestConfig{Clock: fixedClock})
	require.NoError(t, err)
	before, _ := y.MarshalBinary()
	for _, cut := range []int{0, 1, 5, len(b) / 3, len(b) / 2, len(b) - 1} {
		assert.ErrorIs(t, y.UnmarshalBinary(b[:cut]), ErrCorrupt, "cut at %d", cut)
	}
	assert.ErrorIs(t, y.UnmarshalBinary(append(bytes.Clone(b), 0)), ErrCorrupt, "trailing byte")
	after, _ := y.MarshalBinary()
	assert.Equal(t, before, after, "a failed decode leaves the matrix unchanged")
}

func FuzzInterestUnmarshal(f *testing.F) {
	_, b := encodedInterest(f)
	f.Add(b[:min(len(b), 300)])
	f.Add([]byte{1, 2, 0, 0, 0, 1, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		y, err := NewInterest(InterestConfig{Clock: fixedClock})
		require.NoError(t, err)
		if y.UnmarshalBinary(data) == nil {
			// Whatever decodes re-encodes to a canonical form that
			// decodes to the same state.
			canon, err := y.MarshalBinary()
			require.NoError(t, err)
			require.NoError(t, y.UnmarshalBinary(canon))
			again, err := y.MarshalBinary()
			require.NoError(t, err)
			assert.Equal(t, canon, again)
		}
	})
}

// TestInterestBinaryOverlayTargetInRange decodes an overlay event whose
// target has no popularity slot (a well-formed but inconsistent image):
// it is refused as corrupt instead of decoding and panicking in the next
// Fit.
func TestInterestBinaryOverlayTargetInRange(t *testing.T) {
	w := binio.Writer{}
	w.Uvarint(interestFormat)
	w.Int(0)     // dimension
	w.Varint(0)  // reference time
	w.Varint(0)  // newest
	w.Int(0)     // events
	w.Uvarint(1) // one overlay actor, 0
	w.Uvarint(1) // with one event
	w.Uvarint(5) // on target 5
	w.Byte(byte(market.View))
	w.Varint(t0.UnixNano())
	w.Float64s([]float64{0, 1}) // popularity of targets 0 and 1 only
	x, err := NewInterest(InterestConfig{Clock: fixedClock})
	require.NoError(t, err)
	require.ErrorIs(t, x.UnmarshalBinary(w.B), ErrCorrupt)
	require.NotPanics(t, func() { _ = x.Fit(t.Context(), func(func(Event) bool) {}) })
}
