package twoway

import (
	"context"
	"runtime"
	"sync"
)

// BatchResult is the answer to one request of a batch: its Response, or
// the error Recommend would have returned for it.
type BatchResult struct {
	Response *Response
	Err      error
}

// RecommendBatch answers many requests (a nightly e-mail of
// recommendations, a page with several lists), in order: results[i]
// answers reqs[i]. It does the work they share once: every answer reads
// the same fitted state (one Fit or Load landing in the middle of the
// batch does not split it), the active participants of each side are
// collected once instead of once per request, and up to GOMAXPROCS
// requests run at a time. Each request keeps its own errors, filters,
// cursor and ledger counts, exactly as with Recommend.
//
// The error is ctx's when it ends before the batch does; the requests not
// answered by then carry it too.
func (e *Engine) RecommendBatch(ctx context.Context, reqs []Request) ([]BatchResult, error) {
	out := make([]BatchResult, len(reqs))
	if len(reqs) == 0 {
		return out, ctx.Err()
	}
	sh := e.newShared()
	workers := min(runtime.GOMAXPROCS(0), len(reqs))
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(reqs) {
					return
				}
				if err := ctx.Err(); err != nil {
					out[i].Err = err
					continue
				}
				out[i].Response, out[i].Err = e.recommend(ctx, &reqs[i], sh)
			}
		})
	}
	wg.Wait()
	return out, ctx.Err()
}
