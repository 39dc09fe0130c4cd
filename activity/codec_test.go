package activity

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"slices"
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

// filledMemory is a store of n buckets after a few thousand Adds to
// participants spread over several slabs (one slab left empty), with
// buckets out of order, gaps longer than the ring and last-activity-only
// Adds.
func filledMemory(t testing.TB, n int) *Memory {
	t.Helper()
	m := NewMemory(n)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 4000 {
		user := uint32(rng.IntN(600))
		if user>>slabBits == 1 {
			user += 1 << slabBits // slab 1 stays empty
		}
		bucket := int64(rng.IntN(3 * n))
		if i%97 == 0 {
			bucket += int64(10 * n)
		}
		set := CounterSet(rng.Uint32()) & (1<<NumCounters - 1)
		require.NoError(t, m.Add(context.Background(), user, bucket, set, int64(1700000000+i)))
	}
	return m
}

// readAll reads every participant's counters over a span of buckets.
func readAll(t testing.TB, m *Memory, n int) [][]uint32 {
	t.Helper()
	out := make([][]uint32, 900)
	for u := range out {
		dst := make([]uint32, 14*n*NumCounters)
		last, err := m.Read(context.Background(), uint32(u), -int64(n), dst)
		require.NoError(t, err)
		out[u] = append(dst, uint32(last), uint32(last>>32))
	}
	return out
}

// A restored Memory reads exactly as the one encoded, encodes to the same
// bytes, and takes Adds as it would have.
func TestMemoryBinaryRoundTrip(t *testing.T) {
	const n = 9
	m := filledMemory(t, n)
	orig := readAll(t, m, n)
	b, err := m.AppendBinary(nil)
	require.NoError(t, err)
	g := NewMemory(n)
	require.NoError(t, g.Add(context.Background(), 5, 1, 1, 1), "what was there before is replaced")
	require.NoError(t, g.UnmarshalBinary(b))
	sameReads(t, orig, readAll(t, g, n), "restored")
	again, err := g.AppendBinary(nil)
	require.NoError(t, err)
	assert.Equal(t, b, again)
	for _, s := range []*Memory{m, g} {
		require.NoError(t, s.Add(context.Background(), 17, 40, 3, 1800000000))
		require.NoError(t, s.Add(context.Background(), 2000, 2, 1, 0)) // a new slab
	}
	sameReads(t, readAll(t, m, n), readAll(t, g, n), "after more Adds")

	live := filledMemory(t, n)
	aside := NewMemory(n)
	require.NoError(t, aside.UnmarshalBinary(b))
	require.NoError(t, live.Replace(aside))
	sameReads(t, orig, readAll(t, live, n), "Replace moves the counters")
	sameReads(t, readAll(t, NewMemory(n), n), readAll(t, aside, n), "and leaves the other empty")
	require.Error(t, live.Replace(NewMemory(n+1)))

	empty, err := NewMemory(n).AppendBinary(nil)
	require.NoError(t, err)
	e := NewMemory(n)
	require.NoError(t, e.UnmarshalBinary(empty))
	sameReads(t, readAll(t, NewMemory(n), n), readAll(t, e, n), "empty")
}

// sameReads reports the first participant whose reads differ.
func sameReads(t *testing.T, want, got [][]uint32, what string) {
	t.Helper()
	for u := range want {
		if !slices.Equal(want[u], got[u]) {
			t.Errorf("%s: participant %d reads differently", what, u)
			return
		}
	}
}

// A damaged or foreign encoding is an error wrapping ErrCorrupt and leaves
// the store as it was.
func TestMemoryUnmarshalDamaged(t *testing.T) {
	const n = 9
	b, err := filledMemory(t, n).AppendBinary(nil)
	require.NoError(t, err)
	g := filledMemory(t, n)
	want := readAll(t, g, n)
	require.ErrorIs(t, NewMemory(n+1).UnmarshalBinary(b), ErrCorrupt, "another bucket count")
	for _, cut := range []int{0, 1, 3, len(b) / 2, len(b) - 1} {
		require.ErrorIs(t, g.UnmarshalBinary(b[:cut]), ErrCorrupt, "cut at %d", cut)
	}
	require.ErrorIs(t, g.UnmarshalBinary(append(bytes.Clone(b), 0)), ErrCorrupt, "trailing byte")
	bad := bytes.Clone(b)
	bad[0] = 7
	require.ErrorIs(t, g.UnmarshalBinary(bad), ErrCorrupt, "format")
	sameReads(t, want, readAll(t, g, n), "after the failures")
}

func FuzzMemoryUnmarshal(f *testing.F) {
	b, err := filledMemory(f, 3).AppendBinary(nil)
	require.NoError(f, err)
	f.Add(b)
	f.Add(b[:len(b)/3])
	f.Fuzz(func(t *testing.T, data []byte) {
		m := NewMemory(3)
		if err := m.UnmarshalBinary(data); err != nil {
			require.ErrorIs(t, err, ErrCorrupt)
			return
		}
		again, err := m.AppendBinary(nil)
		require.NoError(t, err)
		g := NewMemory(3)
		require.NoError(t, g.UnmarshalBinary(again))
		sameReads(t, readAll(t, m, 3), readAll(t, g, 3), "re-encoded")
	})
}
