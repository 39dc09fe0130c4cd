package exposure

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/binio"
	"github.com/twowayrec/twoway/market"
)

// Add ignores amounts it cannot count: a NaN, infinite or negative amount
// used to make the load, and with it the penalty, NaN.
func TestLedgerIgnoresUncountableAmounts(t *testing.T) {
	c, err := New(Config{})
	require.NoError(t, err)
	l := c.Ledger()
	l.Add(3, t0, 1)
	for _, n := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -1, -math.SmallestNonzeroFloat64} {
		l.Add(3, t0, n)
		assert.Equal(t, 1.0, l.Load(3, t0), "after adding %v", n)
	}
	for _, at := range []time.Time{{}, market.MinTime.Add(-time.Nanosecond), market.MaxTime, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)} {
		l.Add(3, at, 1)
		assert.Equal(t, 1.0, l.Load(3, t0), "after adding at %v", at)
	}
	fresh := NewLedger(time.Hour)
	fresh.Add(1<<20, t0, math.NaN())
	fresh.Add(1<<20, time.Time{}, 1)
	fresh.Add(MaxIndex+1, t0, 1)
	fresh.Add(math.MaxUint32, t0, 1)
	assert.Zero(t, fresh.Len(), "an ignored amount grows nothing, nor does an index above MaxIndex (it asked for 64 GB)")
	l.Add(2, t0, math.MaxFloat64)
	l.Add(2, t0, math.MaxFloat64)
	assert.Equal(t, math.MaxFloat64, l.Load(2, t0), "an overflowing load saturates")

	v := c.Judge(3, 0.2, t0)
	assert.False(t, math.IsNaN(v.Penalty))
	assert.InDelta(t, 1-0.8*(1-1/(50*0.8)), v.Penalty, 1e-12)
	assert.Equal(t, 1.0, c.Judge(2, 0, t0).Penalty)
}

// A ledger fed hostile amounts, times and pairs still encodes what
// UnmarshalBinary accepts, and decodes to the same loads.
func TestControllerBinaryRoundTripHostile(t *testing.T) {
	now := t0
	cfg := Config{Clock: func() time.Time { return now }}
	c, err := New(cfg)
	require.NoError(t, err)
	l := c.Ledger()
	for i, n := range []float64{math.NaN(), math.Inf(1), math.Inf(-1), -3, 0, 1e308, 1e308, 2} {
		l.Add(uint32(i%3), t0.Add(time.Duration(i)*time.Minute), n)
	}
	l.Add(5, time.Time{}, 1)
	l.Add(6, market.MinTime.Add(-time.Hour), 1)
	l.Add(7, market.MaxTime.Add(time.Hour), 1)
	l.Add(8, market.MinTime, 1)
	c.ServedTo(9, []uint32{9, 10}) // a requester shown itself
	assert.Equal(t, 2, c.ServeExpected(11, []uint32{1, 12}, []float64{math.NaN(), math.Inf(1)}))
	for _, bad := range []time.Time{{}, market.MinTime.Add(-time.Nanosecond), market.MaxTime} {
		now = bad
		assert.Zero(t, c.ServedTo(13, []uint32{14}), "clock %v", bad)
		assert.Zero(t, c.ServeExpected(13, []uint32{14}, []float64{1}), "clock %v", bad)
		c.Served([]uint32{14})
	}
	now = market.MinTime
	assert.Equal(t, 1, c.ServedTo(13, []uint32{15}), "the epoch is a valid clock")
	now = t0.Add(time.Hour)

	b, err := c.AppendBinary(nil)
	require.NoError(t, err)
	d, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, d.UnmarshalBinary(b))
	for cand := range uint32(l.Len()) {
		x := l.Load(cand, now)
		assert.False(t, math.IsNaN(x) || math.IsInf(x, 0) || x < 0, "load of %d: %v", cand, x)
		assert.Equal(t, x, d.Ledger().Load(cand, now), "load of %d", cand)
		v := c.Judge(cand, 0.5, now)
		assert.False(t, math.IsNaN(v.Penalty), "penalty of %d", cand)
	}
	assert.Zero(t, l.Load(14, now), "nothing served under a bad clock")
	again, err := d.AppendBinary(nil)
	require.NoError(t, err)
	assert.Equal(t, b, again)
	assert.Zero(t, d.ServedTo(9, []uint32{9}), "the self-pair is remembered")
}

// ledgerBlob encodes a controller state in format 1 by hand: entries
// (load, Unix nanoseconds) and repeat pairs (key, Unix nanoseconds).
func ledgerBlob(entries [][2]any, pairs [][2]int64) []byte {
	w := binio.Writer{}
	w.Uvarint(1)
	w.Uvarint(uint64(len(entries)))
	for _, e := range entries {
		w.Float64(e[0].(float64))
		w.Varint(e[1].(int64))
	}
	w.Uvarint(uint64(len(pairs)))
	for _, p := range pairs {
		w.Uvarint(uint64(p[0]))
		w.Varint(p[1])
	}
	return w.B
}

// UnmarshalBinary refuses loads and times the ledger cannot hold, naming
// the entry and the field, and leaves the controller as it was.
func TestControllerUnmarshalRefusesNonFinite(t *testing.T) {
	c, err := New(Config{})
	require.NoError(t, err)
	c.Ledger().Add(1, t0, 2)
	ok := t0.UnixNano()
	for _, tc := range []struct {
		name  string
		blob  []byte
		field string
	}{
		{"NaN load", ledgerBlob([][2]any{{1.0, ok}, {math.NaN(), ok}}, nil), "ledger entry 1 (candidate 1): load NaN"},
		{"+Inf load", ledgerBlob([][2]any{{math.Inf(1), ok}}, nil), "ledger entry 0 (candidate 0): load +Inf"},
		{"-Inf load", ledgerBlob([][2]any{{math.Inf(-1), ok}}, nil), "load -Inf"},
		{"negative load", ledgerBlob([][2]any{{-1.0, ok}}, nil), "load -1"},
		{"time before the epoch", ledgerBlob([][2]any{{1.0, int64(-1)}}, nil), "ledger entry 0 (candidate 0): time -1 ns"},
		{"time at MaxTime", ledgerBlob([][2]any{{1.0, market.MaxTime.UnixNano()}}, nil), "time"},
		{"pair time before the epoch", ledgerBlob(nil, [][2]int64{{1<<32 | 2, -5}}), "repeat pair 0 (requester 1, candidate 2): time -5 ns"},
		{"pairs out of order", ledgerBlob(nil, [][2]int64{{3, ok}, {3, ok}}), "repeat pair 1: key 3"},
	} {
		err := c.UnmarshalBinary(tc.blob)
		require.ErrorIs(t, err, ErrCorrupt, tc.name)
		assert.Contains(t, err.Error(), tc.field, tc.name)
		assert.Equal(t, 2.0, c.Ledger().Load(1, t0), "%s: a failed decode changes nothing", tc.name)
	}

	// A NaN patched into a real encoding is refused as well.
	b, err := c.AppendBinary(nil)
	require.NoError(t, err)
	// Format (1 byte), entry count (uvarint 1024: 2 bytes), entry 0's load,
	// entry 0's time (the zero varint: 1 byte), entry 1's load.
	binary.LittleEndian.PutUint64(b[3+8+1:], math.Float64bits(math.NaN()))
	err = c.UnmarshalBinary(b)
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), "ledger entry 1 (candidate 1): load NaN")
}

// An impression stamped at the Unix epoch (market.MinTime, a valid event
// time) used to be lost: time 0 marked an empty slot.
func TestLedgerCountsImpressionsAtTheEpoch(t *testing.T) {
	const h = time.Hour
	l := NewLedger(h)
	l.Add(5, market.MinTime, 1)
	assert.Equal(t, 1.0, l.Load(5, market.MinTime))
	l.Add(5, market.MinTime, 1)
	assert.Equal(t, 2.0, l.Load(5, market.MinTime), "a second impression at the epoch adds")
	assert.InDelta(t, 1, l.Load(5, market.MinTime.Add(h)), 1e-12)
	l.Add(5, market.MinTime.Add(h), 1)
	assert.InDelta(t, 2, l.Load(5, market.MinTime.Add(h)), 1e-12)
	l.Add(5, market.MinTime, 2) // an older impression, added decayed
	assert.InDelta(t, 3, l.Load(5, market.MinTime.Add(h)), 1e-12)
	assert.Zero(t, l.Load(4, market.MinTime), "a candidate never shown")

	now := market.MinTime
	c, err := New(Config{HalfLife: h, Capacity: 2, Clock: func() time.Time { return now }})
	require.NoError(t, err)
	assert.Equal(t, 1, c.ServedTo(1, []uint32{7}))
	c.Served([]uint32{7})
	assert.True(t, c.Judge(7, 0, now).Excluded, "two impressions at the epoch reach a capacity of 2")
	b, err := c.AppendBinary(nil)
	require.NoError(t, err)
	d, err := New(c.Config())
	require.NoError(t, err)
	require.NoError(t, d.UnmarshalBinary(b))
	assert.Equal(t, 2.0, d.Ledger().Load(7, now))
	assert.Zero(t, d.ServedTo(1, []uint32{7}), "the pair counted at the epoch is remembered")
}

// The encoding did not change: data in format 1 as older builds wrote it
// decodes, and re-encodes to the same bytes.
func TestControllerDecodesFormat1(t *testing.T) {
	at := t0.UnixNano()
	old := ledgerBlob([][2]any{
		{0.0, int64(0)}, // never shown
		{2.5, int64(0)}, // shown at the epoch, which older builds read as empty
		{1.0, at},
	}, [][2]int64{{4<<32 | 2, at}})
	c, err := New(Config{HalfLife: time.Hour})
	require.NoError(t, err)
	require.NoError(t, c.UnmarshalBinary(old))
	assert.Zero(t, c.Ledger().Load(0, t0))
	assert.Equal(t, 2.5, c.Ledger().Load(1, market.MinTime))
	assert.Equal(t, 1.0, c.Ledger().Load(2, t0))
	assert.InDelta(t, 0.5, c.Ledger().Load(2, t0.Add(time.Hour)), 1e-12)
	now := t0
	c.cfg.Clock = func() time.Time { return now }
	assert.Zero(t, c.ServedTo(4, []uint32{2}), "the pair is remembered")
	b, err := c.AppendBinary(nil)
	require.NoError(t, err)
	assert.Equal(t, old, b)
}
