package exposure

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Issue 15: 300 anonymous reads of one seeker's list drained the budget
// of every candidate shown. A pair now counts once per RepeatWindow.
func TestServedToCountsAPairOncePerWindow(t *testing.T) {
	now := t0
	c, err := New(Config{Clock: func() time.Time { return now }})
	require.NoError(t, err)
	cands := []uint32{10, 11, 12}
	assert.Equal(t, 3, c.ServedTo(1, cands))
	for range 300 {
		assert.Zero(t, c.ServedTo(1, cands), "the same requester again within the window")
	}
	assert.InDelta(t, 1, c.ledger.Load(10, now), 1e-12)
	assert.Equal(t, 3, c.ServedTo(2, cands), "another requester counts")
	assert.InDelta(t, 2, c.ledger.Load(10, now), 1e-12)

	now = now.Add(c.Config().RepeatWindow)
	assert.Equal(t, 3, c.ServedTo(1, cands), "after the window the pair counts again")
}

func TestRepeatMemoryIsSwept(t *testing.T) {
	r := newRepeats(time.Hour)
	for i := range uint32(100_000) {
		r.first(i, i+1, t0.UnixNano())
	}
	later := t0.Add(2 * time.Hour).UnixNano()
	for i := range uint32(100_000) {
		r.first(i+200_000, i, later)
	}
	n := 0
	r.each(func(uint64, int64) { n++ })
	assert.Less(t, n, 150_000, "pairs older than the window are swept as new ones arrive")
}

func TestControllerBinaryRoundTrip(t *testing.T) {
	now := t0
	cfg := Config{Clock: func() time.Time { return now }}
	c, err := New(cfg)
	require.NoError(t, err)
	for r := range uint32(20) {
		now = now.Add(time.Minute)
		c.ServedTo(r, []uint32{100 + r%7, 200 + r%3, 300})
	}
	b, err := c.AppendBinary(nil)
	require.NoError(t, err)
	d, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, d.UnmarshalBinary(b))
	for cand := range uint32(310) {
		assert.Equal(t, c.ledger.Load(cand, now), d.ledger.Load(cand, now), "load of %d", cand)
	}
	assert.Zero(t, d.ServedTo(3, []uint32{103, 200, 300}), "the decoded controller remembers the pairs")
	again, err := d.AppendBinary(nil)
	require.NoError(t, err)
	b2, _ := c.AppendBinary(nil)
	assert.Equal(t, b2, again)

	fresh, err := New(cfg)
	require.NoError(t, err)
	for _, cut := range []int{0, 1, len(b) / 2, len(b) - 1} {
		assert.ErrorIs(t, fresh.UnmarshalBinary(b[:cut]), ErrCorrupt, "cut at %d", cut)
	}
	assert.Zero(t, fresh.ledger.Len(), "a failed decode changes nothing")
}

func FuzzControllerUnmarshal(f *testing.F) {
	c, _ := New(Config{Clock: func() time.Time { return t0 }})
	c.ServedTo(1, []uint32{2, 3})
	b, _ := c.AppendBinary(nil)
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := New(Config{Clock: func() time.Time { return t0 }})
		require.NoError(t, err)
		if d.UnmarshalBinary(data) == nil {
			b, err := d.AppendBinary(nil)
			require.NoError(t, err)
			// What decodes re-encodes into what decodes, to the same bytes.
			e, err := New(Config{Clock: func() time.Time { return t0 }})
			require.NoError(t, err)
			require.NoError(t, e.UnmarshalBinary(b))
			again, err := e.AppendBinary(nil)
			require.NoError(t, err)
			require.Equal(t, b, again)
		}
	})
}
