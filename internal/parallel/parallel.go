// Package parallel runs the chunks of a loop on several goroutines: the
// one shape of parallel loop the library's fits share (text analysis,
// collaborative tables, training rows, evidence). Each worker keeps its own
// scratch value, so a loop body that reuses buffers does not allocate per
// index; callers that need a result independent of the number of workers
// write each index's result to its own place and combine in index order.
package parallel

import (
	"context"
	"sync"
	"sync/atomic"
)

// Chunks calls f(lo, hi, scratch) for consecutive ranges [lo, hi) that
// cover [0, n), at most chunk indices each, on up to workers goroutines
// (at least one; no more than there are chunks). The ranges are handed
// out by an atomic counter, so a worker that finishes early takes the
// next; each worker has its own scratch, zero at its start. ctx is checked
// before each range: Chunks returns ctx.Err() (nil when every range ran).
// chunk < 1 counts as 1.
func Chunks[S any](ctx context.Context, workers, chunk, n int, f func(lo, hi int, scratch *S)) error {
	chunk = max(1, chunk)
	workers = max(1, min(workers, (n+chunk-1)/chunk))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var s S
			for ctx.Err() == nil {
				lo := int(next.Add(int64(chunk))) - chunk
				if lo >= n {
					return
				}
				f(lo, min(lo+chunk, n), &s)
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}
