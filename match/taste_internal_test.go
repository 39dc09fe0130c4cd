package match

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// The heap keeps what sorting by similarity (then index) and cutting at k
// keeps, ties included.
func TestNeighbourHeapKeepsTheBest(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 200 {
		n, k := r.IntN(300), r.IntN(60)
		all := make([]neighbour, n)
		for i := range all {
			all[i] = neighbour{uint32(i), float32(r.IntN(20)) / 20} // many ties
		}
		r.Shuffle(n, func(i, j int) { all[i], all[j] = all[j], all[i] })
		var h neighbourHeap
		for _, o := range all {
			h.offer(o, k)
		}
		want := slices.Clone(all)
		slices.SortFunc(want, func(x, y neighbour) int { return cmp.Or(cmp.Compare(y.sim, x.sim), cmp.Compare(x.ix, y.ix)) })
		want = append([]neighbour{}, want[:min(k, n)]...)
		got := append([]neighbour{}, h...)
		byIx := func(x, y neighbour) int { return cmp.Compare(x.ix, y.ix) }
		slices.SortFunc(want, byIx)
		slices.SortFunc(got, byIx)
		require.Equal(t, want, got, "trial %d: n %d, k %d", trial, n, k)
	}
}
