package factor

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
)

// forChunks runs f(lo, hi, w) for the chunks [lo, hi) of [0, n) cut every
// chunk indices, on up to workers goroutines; w in [0, workers) names the
// goroutine (for its scratch space). Chunks are handed out by an atomic
// counter, so which goroutine runs a chunk varies, but the chunks never
// do: results written per index, or reduced per chunk in chunk order, are
// the same for any number of workers. It stops handing out chunks when
// ctx is done and returns ctx.Err().
func forChunks(ctx context.Context, workers, n, chunk int, f func(lo, hi, w int)) error {
	if n <= 0 {
		return ctx.Err()
	}
	chunks := (n + chunk - 1) / chunk
	workers = max(1, min(workers, chunks))
	if workers == 1 {
		for c := range chunks {
			if ctx.Err() != nil {
				break
			}
			f(c*chunk, min(n, (c+1)*chunk), 0)
		}
		return ctx.Err()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				c := int(next.Add(1)) - 1
				if c >= chunks {
					return
				}
				f(c*chunk, min(n, (c+1)*chunk), w)
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}

// sumChunks returns Σ f(lo, hi, w) over the chunks of forChunks, added in
// chunk order, so the sum is bit-identical for any number of workers.
func sumChunks(ctx context.Context, workers, n, chunk int, f func(lo, hi, w int) float64) (float64, error) {
	if n <= 0 {
		return 0, ctx.Err()
	}
	part := make([]float64, (n+chunk-1)/chunk)
	err := forChunks(ctx, workers, n, chunk, func(lo, hi, w int) { part[lo/chunk] = f(lo, hi, w) })
	var s float64
	for _, v := range part {
		s += v
	}
	return s, err
}

// mix is the SplitMix64 finaliser: a bijective hash of 64 bits.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// hash3 hashes a seed, a purpose tag and two indices.
func hash3(seed uint64, tag uint64, a, b uint32) uint64 {
	return mix(mix(seed^tag*0xd1b54a32d192ed03) ^ (uint64(a)<<32 | uint64(b)))
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// normal returns a standard normal deviate from two hashes (Box–Muller).
func normal(h1, h2 uint64) float64 {
	u1 := (float64(h1>>11) + 0.5) / (1 << 53)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*unit(h2))
}

// Hash tags: each random choice has its own stream.
const (
	tagRowInit uint64 = iota + 1
	tagColInit
	tagHoldout
	tagNegative
	tagCalibration
	tagBPR
	tagStratum
)
