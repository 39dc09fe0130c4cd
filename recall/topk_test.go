package recall

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTopK checks the buffered selection against a full sort, with many
// tied scores (the index's compatibility steps make ties common), NaNs
// dropped, and k below, at and above the number of offers.
func TestTopK(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	var top topK
	for trial := range 300 {
		n := rng.IntN(900)
		k := 1 + rng.IntN(250)
		levels := 1 + rng.IntN(20) // few levels: many ties
		offers := make([]Candidate, n)
		for i, j := range rng.Perm(n) {
			score := float64(rng.IntN(levels)) / 2
			if rng.IntN(50) == 0 {
				score = math.NaN()
			}
			offers[i] = Candidate{Index: uint32(j), Score: score}
		}
		top.reset(k)
		for _, c := range offers {
			top.push(c)
		}
		got := top.appendSorted([]Candidate{{Index: 1 << 30}})
		require.Equal(t, uint32(1<<30), got[0].Index, "trial %d: dst's prefix kept", trial)
		got = got[1:]

		want := slices.DeleteFunc(slices.Clone(offers), func(c Candidate) bool { return math.IsNaN(c.Score) })
		sortCandidates(want)
		want = want[:min(k, len(want))]
		require.Equal(t, want, got, "trial %d: n %d, k %d", trial, n, k)
	}
}

// TestSelectBest checks the selection's contract directly: c[:k] are the
// best k, c[k-1] the k-th best, on sorted, reversed and constant-score input.
func TestSelectBest(t *testing.T) {
	for _, n := range []int{1, 2, 3, 10, 257} {
		for _, shape := range []string{"ascending", "descending", "tied"} {
			c := make([]Candidate, n)
			for i := range c {
				switch shape {
				case "ascending":
					c[i] = Candidate{Index: uint32(i), Score: float64(i)}
				case "descending":
					c[i] = Candidate{Index: uint32(i), Score: float64(n - i)}
				default:
					c[i] = Candidate{Index: uint32(n - i), Score: 1}
				}
			}
			want := slices.Clone(c)
			sortCandidates(want)
			for k := 1; k <= n; k++ {
				got := slices.Clone(c)
				selectBest(got, k)
				require.Equal(t, want[k-1], got[k-1], "%s n %d k %d", shape, n, k)
				best := slices.Clone(got[:k])
				sortCandidates(best)
				require.Equal(t, want[:k], best, "%s n %d k %d", shape, n, k)
			}
		}
	}
}

// BenchmarkTopK offers 36,000 scored documents for k = 200, as the
// inverted index does for one request on the Large market (text scores
// plus compatibility steps of 0.5, in document order).
func BenchmarkTopK(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 5))
	offers := make([]Candidate, 36000)
	for i := range offers {
		offers[i] = Candidate{Index: uint32(i), Score: rng.ExpFloat64() + float64(rng.IntN(8))/2}
	}
	var top topK
	var dst []Candidate
	b.ReportAllocs()
	for b.Loop() {
		top.reset(200)
		for _, c := range offers {
			if floor, ok := top.bound(); ok && c.Score < floor {
				continue // the index's own test before compatibility
			}
			top.push(c)
		}
		dst = top.appendSorted(dst[:0])
	}
}
