package exposure

import (
	"math"
	"testing"
	"time"

	"github.com/kelindar/bitmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCongestion(t *testing.T) {
	now := t0
	c, err := New(Config{Clock: func() time.Time { return now }, HalfLife: 24 * time.Hour})
	require.NoError(t, err)
	// 20 requesters are shown candidate 7 with a 0.5 chance of contact
	// each: 10 expected contacts; the rate per day is 10·ln2/1 day.
	for r := range uint32(20) {
		assert.Equal(t, 1, c.ServeExpected(r, []uint32{7}, []float64{0.5}))
	}
	assert.Zero(t, c.ServeExpected(3, []uint32{7}, []float64{0.5}), "a repeat within the window")
	rate := 10 * math.Ln2
	assert.InDelta(t, rate, c.LoadRate(7, now), 1e-9)

	g := make([]float64, 4)
	var excl bitmap.Bitmap
	c.Congestion([]uint32{7, 7, 8, 7}, []float64{2, 100, 2, math.NaN()}, []float64{0, 0, 0, 0}, now, g, &excl)
	assert.InDelta(t, 2/rate, g[0], 1e-9, "capacity 2 against the load")
	assert.Equal(t, 1.0, g[1], "room to spare")
	assert.Equal(t, 1.0, g[2], "nothing steered to 8")
	assert.Equal(t, 1.0, g[3], "unknown capacity: no congestion, never NaN")
	assert.Zero(t, excl.Count(), "no hard cap: nobody excluded")

	// The recent contacts count as load too.
	c.Congestion([]uint32{8}, []float64{2}, []float64{8}, now, g[:1], nil)
	assert.InDelta(t, 0.25, g[0], 1e-12)

	// A hard cap excludes at the cap, at request time and at recall.
	hc, err := New(Config{Clock: func() time.Time { return now }, HardCap: 2})
	require.NoError(t, err)
	for r := range uint32(20) {
		hc.ServeExpected(r, []uint32{7}, []float64{0.5})
	}
	excl.Clear()
	hc.Congestion([]uint32{7}, []float64{3}, nil, now, g[:1], &excl)
	assert.True(t, excl.Contains(7), "load 6.9 ≥ 2 × capacity 3")
	var rec bitmap.Bitmap
	hc.HardExclusions([]float64{0, 0, 0, 0, 0, 0, 0, 3}, 5, now, &rec)
	assert.True(t, rec.Contains(7))

	// Off: nothing counted, every factor 1.
	off, err := New(Config{Clock: func() time.Time { return now }, Off: true})
	require.NoError(t, err)
	assert.Zero(t, off.ServeExpected(1, []uint32{7}, []float64{1}))
	off.Congestion([]uint32{7}, []float64{0.1}, []float64{100}, now, g[:1], nil)
	assert.Equal(t, 1.0, g[0])
}
