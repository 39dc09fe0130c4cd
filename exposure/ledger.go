package exposure

import (
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/twowayrec/twoway/market"
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
// Impressions are stamped in [market.MinTime, market.MaxTime), the Unix
// epoch included: a candidate never shown holds load 0 at the epoch, which
// is exactly what an impression-free history decays to, so no time is
// reserved as an "empty" marker. [Ledger.Add] ignores what it cannot count
// (see there), so every load stays finite and non-negative.
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

// entry is one candidate's counter. The zero entry (load 0 at the epoch)
// is a candidate never shown: with times in [minNano, maxNano), adding n at
// t to it gives load n at t, and reading it gives 0, as for an empty slot,
// so it needs no marker (an impression at the epoch itself is counted).
type entry struct {
	load float64 // finite, non-negative
	at   int64   // Unix nanoseconds of the newest impression, in [minNano, maxNano)
}

// The times a ledger counts, in Unix nanoseconds: [market.MinTime,
// market.MaxTime), where differences of two times cannot overflow.
var (
	minNano = market.MinTime.UnixNano()
	maxNano = market.MaxTime.UnixNano()
)

// countable reports whether Add counts n impressions at at.
func countable(at time.Time, n float64) bool {
	return market.CheckTime(at) == nil && n >= 0 && !math.IsInf(n, 0)
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

// MaxIndex is the largest candidate index a Ledger counts, the bound of
// recall.MaxIndex: the ledger is a dense table by index, so one stray
// index near 2^32 would ask for tens of gigabytes.
const MaxIndex = 1<<28 - 1

// Add records n impressions of candidate at time at. Add has no error to
// return, so it ignores, recording nothing, a candidate above [MaxIndex],
// an amount that is not a finite non-negative number (NaN, ±Inf, negative)
// and a time outside [market.MinTime, market.MaxTime) (such as the zero
// time.Time): counting
// them would make loads NaN or infinite, and with them every penalty. A
// load that would overflow stays at math.MaxFloat64. Every load therefore
// stays finite and non-negative, and [Controller.AppendBinary] always
// encodes what [Controller.UnmarshalBinary] accepts.
func (l *Ledger) Add(candidate uint32, at time.Time, n float64) {
	if !countable(at, n) || candidate > MaxIndex {
		return
	}
	t := at.UnixNano()
	l.ensure(candidate)
	l.mu.RLock()
	s := &l.stripes[candidate%uint32(len(l.stripes))]
	s.Lock()
	e := &l.entries[candidate]
	if t >= e.at {
		e.load = e.load*l.decay(t-e.at) + n
		e.at = t
	} else {
		e.load += n * l.decay(e.at-t)
	}
	e.load = min(e.load, math.MaxFloat64) // +Inf after an overflow
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
