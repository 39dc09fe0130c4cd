package recall

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The affinities equal their definitions, computed from the neighbour
// lists and the fitted matrix, in both directions.
func TestAffinityEqualsDefinition(t *testing.T) {
	evs := randomEvents(7, 30, 25, 500)
	x := fitted(t, evs, 72*time.Hour)
	item, err := NewItemCF(x, CFConfig{Neighbours: 8})
	require.NoError(t, err)
	user, err := NewUserCF(x, CFConfig{Neighbours: 8})
	require.NoError(t, err)
	require.NoError(t, item.Fit(t.Context()))
	require.NoError(t, user.Fit(t.Context()))
	m := x.base.Load()
	r := func(u, v uint32) float64 {
		idx, val := m.row(u)
		for k, j := range idx {
			if j == v {
				return val[k]
			}
		}
		return 0
	}
	itemDef := func(u, v uint32) float64 {
		s := 0.0
		for _, nb := range item.Neighbours(v) {
			s += nb.Similarity * r(u, nb.Index)
		}
		return s
	}
	userDef := func(u, v uint32) float64 {
		s := 0.0
		for _, nb := range user.Neighbours(u) {
			s += nb.Similarity * r(nb.Index, v)
		}
		return s
	}
	var targets, actors []uint32
	for v := uint32(30); v < 55; v++ {
		targets = append(targets, v)
	}
	for u := range uint32(30) {
		actors = append(actors, u)
	}
	nonzero := 0
	for _, u := range actors {
		ia := item.Affinity(u, targets, nil)
		ua := user.Affinity(u, targets, nil)
		for k, v := range targets {
			assert.InDelta(t, itemDef(u, v), ia[k], 1e-6, "item %d→%d", u, v)
			assert.InDelta(t, userDef(u, v), ua[k], 1e-6, "user %d→%d", u, v)
			if ia[k] > 0 && ua[k] > 0 {
				nonzero++
			}
		}
	}
	require.Greater(t, nonzero, 50, "the market has collaborative evidence")
	for _, v := range targets {
		ib := item.AffinityToward(actors, v, nil)
		ub := user.AffinityToward(actors, v, nil)
		for k, u := range actors {
			assert.InDelta(t, itemDef(u, v), ib[k], 1e-6, "item toward %d→%d", u, v)
			assert.InDelta(t, userDef(u, v), ub[k], 1e-6, "user toward %d→%d", u, v)
		}
	}
}
