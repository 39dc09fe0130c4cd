package activity

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
)

// Store is the real-time feature store: per participant and time bucket, a
// small array of counters. A [Tracker] decides the buckets and
// counters; a Store only adds and reads them, so the same Tracker can run on
// [Memory] in one process or on a shared store (Redis, …) across several.
//
// Participants are global dense indices; buckets are integers (Unix time
// divided by the bucket width). Counters never go negative and start at 0.
//
// Add must be atomic per call with respect to Read of the same participant
// (a reader sees all of one Add or none of it) and safe for concurrent use.
// A Store may drop counts for buckets older than it keeps (a store keeping n
// buckets per participant need not remember bucket b once it has seen bucket
// b+n for that participant); Read then reports 0 for them.
//
// Implementations must not retain dst. Errors are the store's own (network,
// timeouts); Memory never fails.
type Store interface {
	// Add adds 1 to every counter in set for user in bucket, and raises the
	// user's last-activity time to at (Unix seconds) if at is later than the
	// one stored; at = 0 leaves it alone.
	Add(ctx context.Context, user uint32, bucket int64, set CounterSet, at int64) error
	// Read fills dst with user's counts in buckets first, first+1, …,
	// first+n-1, where n = len(dst)/NumCounters, counter-major:
	// dst[int(c)*n+i] is counter c in bucket first+i. It returns the user's
	// last-activity time (Unix seconds, 0 if never). len(dst) must be a
	// multiple of NumCounters.
	Read(ctx context.Context, user uint32, first int64, dst []uint32) (last int64, err error)
}

// Memory is the in-memory [Store]: for each participant a ring of the last n
// buckets of counters, guarded by a mutex of its own. Participants are
// allocated in slabs of 256 consecutive indices (about 1.4 KB per
// participant, 350 KB per slab, with the default windows: 165 MB for the
// 120,000 participants of synth.Large), so that a participant's lock, bucket bookkeeping and
// counters sit in two cache-friendly places. The zero value is not usable;
// call [NewMemory].
type Memory struct {
	n      int
	grow   sync.Mutex                             // serialises creating slabs and growing
	chunks atomic.Pointer[[]atomic.Pointer[slab]] // replaced when grown
}

const slabBits = 8

// slab holds 1<<slabBits consecutive participants.
type slab struct {
	rings  [1 << slabBits]ring
	counts []uint32 // participant-major, then slot-major: [p][slot][counter]
}

type ring struct {
	mu      sync.Mutex
	started bool  // a bucket has been counted
	newest  int64 // newest bucket held; slots hold buckets newest-n+1 … newest
	last    int64 // last activity, Unix seconds
}

// NewMemory returns an empty store keeping n buckets per participant (see
// [Config.Buckets]). It panics if n < 1.
func NewMemory(n int) *Memory {
	if n < 1 {
		panic(fmt.Sprintf("activity: NewMemory(%d): need at least one bucket", n))
	}
	m := &Memory{n: n}
	m.chunks.Store(new([]atomic.Pointer[slab]))
	return m
}

// Buckets returns how many buckets per participant m keeps.
func (m *Memory) Buckets() int { return m.n }

// get returns user's ring and counters, or nil if its slab does not exist.
func (m *Memory) get(user uint32) (*ring, []uint32) {
	chunks := *m.chunks.Load()
	k := int(user >> slabBits)
	if k >= len(chunks) {
		return nil, nil
	}
	sl := chunks[k].Load()
	if sl == nil {
		return nil, nil
	}
	i := int(user & (1<<slabBits - 1))
	size := m.n * NumCounters
	return &sl.rings[i], sl.counts[i*size : (i+1)*size : (i+1)*size]
}

func (m *Memory) getOrCreate(user uint32) (*ring, []uint32) {
	if r, c := m.get(user); r != nil {
		return r, c
	}
	m.grow.Lock()
	chunks := *m.chunks.Load()
	k := int(user >> slabBits)
	if k >= len(chunks) {
		// Slabs are only created under m.grow, so the copy misses none.
		grown := make([]atomic.Pointer[slab], max(k+1, 2*len(chunks), 16))
		for i := range chunks {
			grown[i].Store(chunks[i].Load())
		}
		m.chunks.Store(&grown)
		chunks = grown
	}
	if chunks[k].Load() == nil {
		chunks[k].Store(&slab{counts: make([]uint32, (1<<slabBits)*m.n*NumCounters)})
	}
	m.grow.Unlock()
	return m.get(user)
}

func (m *Memory) slot(b int64) int {
	s := b % int64(m.n)
	if s < 0 {
		s += int64(m.n)
	}
	return int(s)
}

// Add implements [Store]. It never fails and does not allocate once the
// participant has been seen.
func (m *Memory) Add(_ context.Context, user uint32, bucket int64, set CounterSet, at int64) error {
	r, counts := m.getOrCreate(user)
	r.mu.Lock()
	if at > r.last {
		r.last = at
	}
	if set != 0 {
		switch {
		case !r.started:
			r.started, r.newest = true, bucket
		case bucket > r.newest:
			// Clear the slots of the buckets skipped over.
			steps := min(bucket-r.newest, int64(m.n))
			for b := bucket - steps + 1; b <= bucket; b++ {
				s := m.slot(b) * NumCounters
				clear(counts[s : s+NumCounters])
			}
			r.newest = bucket
		}
		if bucket > r.newest-int64(m.n) {
			s := m.slot(bucket) * NumCounters
			for c := range NumCounters {
				if set&(1<<c) != 0 {
					counts[s+c]++
				}
			}
		}
	}
	r.mu.Unlock()
	return nil
}

// Read implements [Store]. It never fails and does not allocate.
func (m *Memory) Read(_ context.Context, user uint32, first int64, dst []uint32) (int64, error) {
	if len(dst)%NumCounters != 0 {
		panic(fmt.Sprintf("activity: Memory.Read: len(dst) = %d, not a multiple of %d", len(dst), NumCounters))
	}
	clear(dst)
	r, counts := m.get(user)
	if r == nil {
		return 0, nil
	}
	n := len(dst) / NumCounters
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.started {
		return r.last, nil
	}
	lo := max(first, r.newest-int64(m.n)+1)
	hi := min(first+int64(n)-1, r.newest)
	for b := lo; b <= hi; b++ {
		s := m.slot(b) * NumCounters
		i := int(b - first)
		for c := range NumCounters {
			dst[c*n+i] = counts[s+c]
		}
	}
	return r.last, nil
}
