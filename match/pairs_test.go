package match

import (
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pairStates against a map: the same states after random sets, every pair
// in increasing key order, and a built table equal to the set one.
func TestPairStatesAgainstAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var p pairStates
	want := map[uint64]uint8{}
	for range 5000 {
		a, tg, st := uint32(rng.IntN(60)), uint32(rng.IntN(1<<20)%300), uint8(1+rng.IntN(15))
		p.set(a, tg, st)
		want[pairOf(a, tg)] = st
		assert.Equal(t, st, p.get(a, tg))
	}
	assert.Equal(t, uint8(0), p.get(1000, 1))
	assert.Equal(t, len(want), p.len())
	var keys []uint64
	var states []uint8
	p.all(func(k uint64, st uint8) {
		keys, states = append(keys, k), append(states, st)
		assert.Equal(t, want[k], st)
	})
	assert.Equal(t, slices.Sorted(maps.Keys(want)), keys)

	b := newPairsBuilder(300, len(keys))
	for i, k := range keys {
		b.add(k, states[i])
	}
	q := b.done()
	require.Equal(t, p.len(), q.len())
	for k, st := range want {
		assert.Equal(t, st, q.get(uint32(k>>32), uint32(k)))
	}
	// A built row is a window of the shared array: growing it moves it.
	row := slices.Clone(q.rows[1])
	q.set(0, 299, 3)
	q.set(0, 298, 3)
	assert.Equal(t, row, q.rows[1])
}
