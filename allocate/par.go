package allocate

import (
	"sync"
	"sync/atomic"
)

// chunkPairs is the number of pairs a chunk of rows aims at: enough to
// amortise the hand-out, small enough to balance two to a few dozen cores.
const chunkPairs = 1 << 14

// chunking cuts rows 0 … n−1, whose pairs are ptr[i] … ptr[i+1], into
// consecutive chunks of about chunkPairs pairs (and at most 4096 rows). The
// cut depends only on ptr, never on the number of workers.
func chunking(ptr []int) []int {
	n := len(ptr) - 1
	cuts := []int{0}
	start := 0
	for i := range n {
		if ptr[i+1]-ptr[start] >= chunkPairs || i+1-start >= 4096 {
			cuts = append(cuts, i+1)
			start = i + 1
		}
	}
	if cuts[len(cuts)-1] != n {
		cuts = append(cuts, n)
	}
	return cuts
}

// forChunks runs f(c, lo, hi) for every chunk c = [cuts[c], cuts[c+1]) on
// up to workers goroutines. Chunks are handed out by an atomic counter, so
// which goroutine runs a chunk varies, but the chunks never do: results
// written per row, or reduced per chunk, are the same for any number of
// workers.
func forChunks(workers int, cuts []int, f func(c, lo, hi int)) {
	chunks := len(cuts) - 1
	if chunks <= 0 {
		return
	}
	workers = max(1, min(workers, chunks))
	if workers == 1 {
		for c := range chunks {
			f(c, cuts[c], cuts[c+1])
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				c := int(next.Add(1)) - 1
				if c >= chunks {
					return
				}
				f(c, cuts[c], cuts[c+1])
			}
		})
	}
	wg.Wait()
}
