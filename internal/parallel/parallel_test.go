package parallel

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every index is covered once, whatever the workers and chunk size, and
// each worker's scratch is its own.
func TestChunksCoversEveryIndexOnce(t *testing.T) {
	for _, c := range []struct{ workers, chunk, n int }{
		{1, 1, 0}, {1, 1, 7}, {3, 1, 7}, {3, 2, 7}, {4, 256, 1000}, {8, 3, 5}, {0, 0, 9}, {2, 1000, 3},
	} {
		hits := make([]atomic.Int32, c.n)
		var workers atomic.Int32
		err := Chunks(context.Background(), c.workers, c.chunk, c.n, func(lo, hi int, seen *bool) {
			require.LessOrEqual(t, hi-lo, max(1, c.chunk))
			require.Less(t, lo, hi)
			if !*seen {
				*seen = true
				workers.Add(1)
			}
			for i := lo; i < hi; i++ {
				hits[i].Add(1)
			}
		})
		require.NoError(t, err)
		for i := range hits {
			assert.Equal(t, int32(1), hits[i].Load(), "index %d of %+v", i, c)
		}
		assert.LessOrEqual(t, int(workers.Load()), max(1, c.workers), "%+v", c)
	}
}

// A cancelled context stops the loop before its next range and is
// returned.
func TestChunksStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Int32
	err := Chunks(ctx, 2, 1, 1000, func(lo, hi int, _ *struct{}) {
		if ran.Add(1) == 10 {
			cancel()
		}
	})
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, int(ran.Load()), 1000)
	assert.ErrorIs(t, Chunks(ctx, 2, 1, 5, func(int, int, *struct{}) { t.Fatal("ran after cancel") }), context.Canceled)
}
