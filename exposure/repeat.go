package exposure

import (
	"sync"
	"time"
)

// repeats remembers when each (requester, candidate) pair was last counted
// in the ledger, so that a pair served again within the window is not
// counted again: a requester who reloads a list a hundred times has seen
// its candidates once. Entries older than the window are swept as the map
// grows, so memory is bounded by the pairs served within about two
// windows.
type repeats struct {
	window int64 // nanoseconds
	shards [64]repeatShard
}

type repeatShard struct {
	mu    sync.Mutex
	at    map[uint64]int64 // pair → Unix nanoseconds when it was counted
	adds  int              // since the last sweep
	limit int              // sweep when adds reaches it
}

func newRepeats(window time.Duration) *repeats {
	r := &repeats{window: int64(window)}
	for i := range r.shards {
		r.shards[i].at = map[uint64]int64{}
		r.shards[i].limit = 1024
	}
	return r
}

func pairKey(requester, candidate uint32) uint64 { return uint64(requester)<<32 | uint64(candidate) }

// first reports whether the pair was not counted within the window before
// t, and records t as its counting time if so.
func (r *repeats) first(requester, candidate uint32, t int64) bool {
	k := pairKey(requester, candidate)
	s := &r.shards[(k*0x9e3779b97f4a7c15)>>58]
	s.mu.Lock()
	defer s.mu.Unlock()
	if last, ok := s.at[k]; ok && t-last < r.window && t >= last {
		return false
	}
	s.at[k] = t
	if s.adds++; s.adds >= s.limit {
		for key, last := range s.at {
			if t-last >= r.window {
				delete(s.at, key)
			}
		}
		s.adds = 0
		s.limit = max(1024, len(s.at)) // amortised: a sweep per as many adds as entries kept
	}
	return true
}

// each calls f for every remembered pair, in no particular order.
func (r *repeats) each(f func(key uint64, at int64)) {
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		for k, t := range s.at {
			f(k, t)
		}
		s.mu.Unlock()
	}
}

// set remembers that key was counted at t (decoding).
func (r *repeats) set(key uint64, t int64) {
	s := &r.shards[(key*0x9e3779b97f4a7c15)>>58]
	s.mu.Lock()
	s.at[key] = t
	s.mu.Unlock()
}

// reset forgets every pair.
func (r *repeats) reset() {
	for i := range r.shards {
		s := &r.shards[i]
		s.mu.Lock()
		s.at = map[uint64]int64{}
		s.adds, s.limit = 0, 1024
		s.mu.Unlock()
	}
}
