package activity

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFeaturesBinaryRoundTrip(t *testing.T) {
	f := Features{NumWindows: 2, Active: true, DaysSinceActive: 1.5, Registered: true, DaysSinceRegistered: 30,
		Sessions: 3, SessionMinutes: 12.5, ActionsPerSession: 4, HourEntropy: 2.1, AnsweredContacts: 2, AnswerHours: 5}
	f.WindowDays[0], f.WindowDays[1] = 1, 7
	f.Counts[0][Views], f.Counts[1][Views], f.Counts[1][ContactsReceived] = 2, 9, 0.25
	b, err := f.AppendBinary(nil)
	require.NoError(t, err)
	var g Features
	require.NoError(t, g.UnmarshalBinary(b))
	assert.Equal(t, f, g)
	for cut := range len(b) {
		h := g
		assert.ErrorIs(t, h.UnmarshalBinary(b[:cut]), ErrCorrupt, "cut at %d", cut)
		assert.Equal(t, g, h, "unchanged on error")
	}
}

func TestTableBinaryRoundTrip(t *testing.T) {
	tab := NewTable(3, math.NaN())
	tab.Set(1, 0.25)
	tab.Set(2000, 1)
	b, err := tab.AppendBinary(nil)
	require.NoError(t, err)
	got := NewTable(0, 0)
	require.NoError(t, got.UnmarshalBinary(b))
	assert.Equal(t, tab.Len(), got.Len())
	assert.True(t, math.IsNaN(got.Default()))
	for _, u := range []uint32{0, 1, 2, 1999, 2000, 5000} {
		assert.Equal(t, math.Float64bits(tab.Get(u)), math.Float64bits(got.Get(u)), "entry %d", u)
	}
	assert.ErrorIs(t, got.UnmarshalBinary(b[:len(b)-1]), ErrCorrupt)
	assert.Equal(t, 0.25, got.Get(1), "unchanged on error")
}

func FuzzFeaturesUnmarshal(f *testing.F) {
	b, _ := (&Features{NumWindows: 1, Active: true}).AppendBinary(nil)
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var g Features
		_ = g.UnmarshalBinary(data)
		tab := NewTable(0, 0)
		_ = tab.UnmarshalBinary(data)
	})
}
