package exposure

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Ledger counts the impressions the library itself has handed out, per
// candidate, as exponentially decaying counters: read at time now, a
// candidate's load is
//
//	L(now) = Σ_i n_i · 2^(−(now − t_i)/H)
//
// over the impressions n_i handed out at t_i, with H the half-life. One
// impression counts 1 now, ½ after H, ¼ after 2H. Adding is O(1) in any
// time order (an impression older than the newest one is added already
// decayed). A read at a time before the candidate's newest impression sees
// the load at that newest impression, undecayed.
//
// A Ledger is safe for concurrent use; adding and reading one candidate
// costs one short critical section on a stripe lock and does not allocate
// once the candidate's index is covered.
type Ledger struct {
	halfLife float64 // seconds

	mu      sync.RWMutex // guards the slice header; entries under stripes
	entries []entry
	stripes [64]sync.Mutex
}

type entry struct {
	load float64
	at   int64 // Unix nanoseconds of the newest impression; 0: none
}

// NewLedger returns an empty ledger with half-life halfLife. It panics if
// halfLife is not positive (New validates Config.HalfLife).
func NewLedger(halfLife time.Duration) *Ledger {
	if halfLife <= 0 {
		panic(fmt.Sprintf("exposure: NewLedger(%v): half-life must be positive", halfLife))
	}
	return &Ledger{halfLife: halfLife.Seconds()}
}

// HalfLife returns the ledger's half-life.
func (l *Ledger) HalfLife() time.Duration { return time.Duration(l.halfLife * float64(time.Second)) }

func (l *Ledger) decay(dt int64) float64 {
	return math.Exp2(-float64(dt) / 1e9 / l.halfLife)
}

// Add records n impressions of candidate at time at.
func (l *Ledger) Add(candidate uint32, at time.Time, n float64) {
	l.ensure(candidate)
	t := at.UnixNano()
	l.mu.RLock()
	s := &l.stripes[candidate%uint32(len(l.stripes))]
	s.Lock()
	e := &l.entries[candidate]
	switch {
	case e.at == 0:
		e.load, e.at = n, t
	case t >= e.at:
		e.load = e.load*l.decay(t-e.at) + n
		e.at = t
	default:
		e.load += n * l.decay(e.at-t)
	}
	s.Unlock()
	l.mu.RUnlock()
}

// AddAll records one impression of each candidate at time at: a list the
// library has just served.
func (l *Ledger) AddAll(candidates []uint32, at time.Time) {
	for _, c := range candidates {
		l.Add(c, at, 1)
	}
}

func (l *Ledger) ensure(candidate uint32) {
	l.mu.RLock()
	ok := int(candidate) < len(l.entries)
	l.mu.RUnlock()
	if ok {
		return
	}
	l.mu.Lock()
	if int(candidate) >= len(l.entries) {
		grown := make([]entry, max(int(candidate)+1, 2*len(l.entries), 1024))
		copy(grown, l.entries)
		l.entries = grown
	}
	l.mu.Unlock()
}

// Load returns candidate's decayed impression count at now (0 for a
// candidate never shown).
func (l *Ledger) Load(candidate uint32, now time.Time) float64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.load(candidate, now.UnixNano())
}

// load reads one entry; l.mu must be read-locked.
func (l *Ledger) load(candidate uint32, now int64) float64 {
	if int(candidate) >= len(l.entries) {
		return 0
	}
	s := &l.stripes[candidate%uint32(len(l.stripes))]
	s.Lock()
	e := l.entries[candidate]
	s.Unlock()
	if e.at == 0 {
		return 0
	}
	if now <= e.at {
		return e.load
	}
	return e.load * l.decay(now-e.at)
}

// Len returns one more than the largest candidate index the ledger covers.
func (l *Ledger) Len() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.entries)
}
