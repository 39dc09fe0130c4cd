package activity

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
)

// The Features decoder refuses what Vector cannot use.
func TestFeaturesUnmarshalRejectsInvalid(t *testing.T) {
	good := Features{NumWindows: 2, Active: true}
	good.WindowDays[0], good.WindowDays[1] = 1, 7
	good.Counts[1][Views] = 3
	for name, mod := range map[string]func(*Features){
		"no windows":      func(f *Features) { f.NumWindows = 0 },
		"NaN count":       func(f *Features) { f.Counts[0][Views] = math.NaN() },
		"negative count":  func(f *Features) { f.Counts[1][Actions] = -1 },
		"Inf count":       func(f *Features) { f.Counts[1][Actions] = math.Inf(1) },
		"NaN window days": func(f *Features) { f.WindowDays[1] = math.NaN() },
		"NaN scalar":      func(f *Features) { f.Sessions = math.NaN() },
		"negative scalar": func(f *Features) { f.DaysSinceActive = -1 },
	} {
		f := good
		mod(&f)
		assert.ErrorIs(t, f.Check(), ErrCorrupt, name)
		b, err := f.AppendBinary(nil)
		require.NoError(t, err)
		g := good
		assert.ErrorIs(t, g.UnmarshalBinary(b), ErrCorrupt, name)
		assert.Equal(t, good, g, "%s: unchanged", name)
	}
	// NumWindows beyond MaxWindows is written as such and refused.
	f := good
	f.NumWindows = 99
	b, err := f.AppendBinary(nil)
	require.NoError(t, err)
	var g Features
	assert.ErrorIs(t, g.UnmarshalBinary(b), ErrCorrupt)
	assert.NoError(t, good.Check())
}

// A Config whose counters would need gigabytes per participant chunk is
// refused.
func TestConfigTooManyBuckets(t *testing.T) {
	for _, cfg := range []Config{
		{Bucket: time.Second},
		{Bucket: time.Minute, Windows: []time.Duration{30 * day}},
		{Windows: []time.Duration{time.Duration(math.MaxInt64 / int64(day) * int64(day))}},
	} {
		_, err := New(cfg)
		require.ErrorIs(t, err, ErrConfig, "%+v", cfg)
		assert.Contains(t, err.Error(), "Windows/Bucket")
		assert.Zero(t, cfg.Buckets())
	}
	assert.Equal(t, MaxBuckets, Config{Bucket: time.Hour, Windows: []time.Duration{(MaxBuckets - 1) * time.Hour}}.Buckets())
	_, err := New(Config{Bucket: time.Hour, Windows: []time.Duration{(MaxBuckets - 1) * time.Hour}})
	assert.NoError(t, err)
}

func TestIndicesAboveMaxIndex(t *testing.T) {
	ctx := context.Background()
	tr := newTracker(t, Config{})
	now := tr.cfg.Clock()
	for _, e := range []Event{
		{Actor: 0, Target: math.MaxUint32, Action: market.View, Time: now},
		{Actor: MaxIndex + 1, Target: 0, Action: market.View, Time: now},
	} {
		err := tr.Record(ctx, e)
		var fe *market.FieldError
		require.ErrorAs(t, err, &fe)
		assert.ErrorIs(t, err, market.ErrOutOfRange)
		_, err = tr.Batch([]Event{e}, now.Add(time.Hour), 2)
		require.ErrorAs(t, err, &fe)
		assert.ErrorIs(t, err, market.ErrOutOfRange)
	}
	for _, n := range []int{-5, math.MaxInt32, MaxIndex + 2} {
		fs, err := tr.Batch(nil, now, n)
		assert.ErrorIs(t, err, market.ErrOutOfRange, "n=%d", n)
		assert.Nil(t, fs)
	}
	fs, err := tr.Batch(nil, now, 0)
	require.NoError(t, err)
	assert.Empty(t, fs)

	tr.Register(math.MaxUint32, now)
	tr.Register(MaxIndex+1, now)
	assert.Empty(t, tr.registered)

	tb := NewTable(0, 0.5)
	tb.Set(math.MaxUint32, 1)
	tb.Set(MaxIndex+1, 1)
	assert.Equal(t, 0, tb.Len())
	assert.Equal(t, 0.5, tb.Get(math.MaxUint32))
}

// Vector clamps a NumWindows outside [1, MaxWindows] instead of panicking.
func TestVectorInvalidNumWindows(t *testing.T) {
	for _, n := range []int{-3, 0, MaxWindows + 1, 99} {
		f := Features{NumWindows: n, Active: true, Sessions: 2, WindowDays: [MaxWindows]float64{1, 7, 30, 60}}
		var v []float64
		require.NotPanics(t, func() { v = f.Vector([]float64{7}) }, "NumWindows %d", n)
		assert.Len(t, v, 1+f.VectorLen(), "NumWindows %d", n)
		assert.Equal(t, 7.0, v[0])
		for i, x := range v {
			assert.False(t, math.IsNaN(x), "NumWindows %d: entry %d", n, i)
		}
	}
	f := Features{Active: true}
	assert.Equal(t, numDerived, f.VectorLen())
	v := f.Vector(nil)
	assert.Equal(t, 1.0, v[5], "Active")
}

// A negative size makes an empty table, not a makeslice panic.
func TestNewTableNegativeSize(t *testing.T) {
	tab := NewTable(-5, 0.25)
	assert.Equal(t, 0.25, tab.Get(3))
	tab.Set(3, 0.5)
	assert.Equal(t, 0.5, tab.Get(3))
}
