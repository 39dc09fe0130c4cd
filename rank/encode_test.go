package rank

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/sparse"
)

func TestHasher(t *testing.T) {
	h, err := NewHasher(1<<10, false)
	require.NoError(t, err)
	var b sparse.Builder
	v := h.Encode(sparse.Vector{}, &b, Feature{"city=杭州", 1}, Feature{"skill=Go", 2}, Feature{"city=杭州", 1})
	require.NoError(t, v.Check())
	i, s := h.Index("city=杭州")
	assert.Equal(t, 1.0, s)
	assert.Equal(t, 2.0, v.Get(i), "repeats add up")
	j, _ := h.Index("skill=Go")
	assert.Equal(t, 2.0, v.Get(j))
	// AddField hashes the same bytes as "field=value".
	b.Reset()
	h.AddField(&b, "city", "杭州", 1)
	w := b.Vector(sparse.Vector{})
	assert.Equal(t, []uint32{i}, w.Idx)
	// Deterministic across instances; spread over the range.
	h2, _ := NewHasher(1<<10, false)
	seen := map[uint32]bool{}
	for k := range 2000 {
		name := fmt.Sprintf("tag=%d", k)
		a, _ := h.Index(name)
		c, _ := h2.Index(name)
		require.Equal(t, a, c)
		require.Less(t, a, uint32(1<<10))
		seen[a] = true
	}
	assert.Greater(t, len(seen), 800, "2000 names should fill most of 1024 buckets")
	// Signed hashing uses both signs.
	hs, _ := NewHasher(64, true)
	neg := 0
	for k := range 200 {
		if _, s := hs.Index(fmt.Sprint(k)); s < 0 {
			neg++
		}
	}
	assert.InDelta(t, 100, neg, 30)
	assert.Zero(t, testing.AllocsPerRun(100, func() { h.AddField(&b, "city", "杭州", 1); b.Reset() }))
	_, err = NewHasher(0, false)
	require.Error(t, err)
}

func TestDictionary(t *testing.T) {
	d, err := NewDictionary(3)
	require.NoError(t, err)
	var b sparse.Builder
	v, err := d.Encode(sparse.Vector{}, &b, true, Feature{"b", 1}, Feature{"a", 2})
	require.NoError(t, err)
	assert.Equal(t, []uint32{0, 1}, v.Idx)
	assert.Equal(t, []float64{1, 2}, v.Val)
	v, err = d.Encode(v, &b, false, Feature{"a", 5}, Feature{"unknown", 1})
	require.NoError(t, err)
	assert.Equal(t, []uint32{1}, v.Idx)
	assert.Equal(t, 2, d.Len(), "serving does not grow")
	_, err = d.Index("c")
	require.NoError(t, err)
	_, err = d.Index("d")
	require.ErrorContains(t, err, `cannot add feature "d"`)
	n, ok := d.Name(2)
	assert.True(t, ok)
	assert.Equal(t, "c", n)
	assert.Equal(t, []string{"b", "a", "c"}, d.Names())
	_, err = NewDictionary(0)
	require.Error(t, err)

	big, _ := NewDictionary(1000)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for k := range 500 {
				_, err := big.Index(fmt.Sprint(k))
				assert.NoError(t, err)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 500, big.Len())
}
