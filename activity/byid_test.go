package activity

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// namedMemory is an IDStore over a Memory: each ID gets its own index.
type namedMemory struct {
	*Memory
	mu  sync.Mutex
	ids map[string]uint32
}

func (n *namedMemory) index(id string) uint32 {
	n.mu.Lock()
	defer n.mu.Unlock()
	ix, ok := n.ids[id]
	if !ok {
		ix = uint32(len(n.ids))
		n.ids[id] = ix
	}
	return ix
}

func (n *namedMemory) AddID(ctx context.Context, id string, bucket int64, set CounterSet, at int64) error {
	return n.Add(ctx, n.index(id), bucket, set, at)
}

func (n *namedMemory) ReadID(ctx context.Context, id string, first int64, dst []uint32) (int64, error) {
	return n.Read(ctx, n.index(id), first, dst)
}

// ByID passes the Store kit, keys by name, and reports a participant
// without a name as an error.
func TestByID(t *testing.T) {
	ctx := context.Background()
	s := &namedMemory{Memory: NewMemory(8), ids: map[string]uint32{}}
	name := func(u uint32) (string, bool) { return "p" + strconv.Itoa(int(u)), true }
	require.NoError(t, CheckStore(ctx, ByID(s, name)))
	_, ok := s.ids["p1048576"]
	assert.True(t, ok, "the kit's far participant was counted under its name")

	// Two processes that gave one participant different indices share its
	// counters by name.
	a := ByID(s, func(u uint32) (string, bool) { return map[uint32]string{0: "anna", 1: "bo"}[u], true })
	b := ByID(s, func(u uint32) (string, bool) { return map[uint32]string{0: "bo", 1: "anna"}[u], true })
	require.NoError(t, a.Add(ctx, 0, 5, CounterSet(0).With(Views), 0))
	dst := make([]uint32, NumCounters)
	_, err := b.Read(ctx, 1, 5, dst)
	require.NoError(t, err)
	assert.Equal(t, uint32(1), dst[Views], "anna's view, read under B's index of anna")

	none := ByID(s, func(uint32) (string, bool) { return "", false })
	assert.ErrorContains(t, none.Add(ctx, 3, 5, CounterSet(0).With(Views), 0), "participant 3 has no ID")
	_, err = none.Read(ctx, 3, 5, dst)
	assert.Error(t, err)
}
