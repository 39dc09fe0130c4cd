package activity

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
)

// Table is a dense per-participant table of float64 values with atomic
// reads and writes: the serving copy of a value derived from the features,
// such as urgency or saturation, so that ranking 1,000 candidates reads
// 1,000 numbers instead of scoring 1,000 feature vectors. Writers refresh
// entries (after a participant's events, or periodically); readers never
// block. Participants without an entry read as the table's default. The
// zero Table is not usable; call [NewTable].
type Table struct {
	def  float64
	mu   sync.RWMutex // guards the slice header (growth)
	vals []atomic.Uint64
}

// NewTable returns a table of n entries, all def (a negative n is 0).
func NewTable(n int, def float64) *Table {
	t := &Table{def: def, vals: make([]atomic.Uint64, max(n, 0))}
	b := math.Float64bits(def)
	for i := range t.vals {
		t.vals[i].Store(b)
	}
	return t
}

// Default returns the value of participants without an entry.
func (t *Table) Default() float64 { return t.def }

// Len returns the number of entries.
func (t *Table) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.vals)
}

// Get returns the value of user (the default past the end).
func (t *Table) Get(user uint32) float64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if int(user) >= len(t.vals) {
		return t.def
	}
	return math.Float64frombits(t.vals[user].Load())
}

// GetAll writes the value of users[i] to dst[i]. It panics if the lengths
// differ.
func (t *Table) GetAll(users []uint32, dst []float64) {
	if len(users) != len(dst) {
		panic(fmt.Sprintf("activity: Table.GetAll: %d users, %d outputs", len(users), len(dst)))
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	for i, u := range users {
		if int(u) < len(t.vals) {
			dst[i] = math.Float64frombits(t.vals[u].Load())
		} else {
			dst[i] = t.def
		}
	}
}

// Set stores v for user, growing the table if needed. A user above
// [MaxIndex] is ignored (the table is dense; Get returns the default for
// them).
func (t *Table) Set(user uint32, v float64) {
	if user > MaxIndex {
		return
	}
	t.mu.RLock()
	if int(user) < len(t.vals) {
		t.vals[user].Store(math.Float64bits(v))
		t.mu.RUnlock()
		return
	}
	t.mu.RUnlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	if int(user) >= len(t.vals) {
		grown := make([]atomic.Uint64, max(int(user)+1, 2*len(t.vals), 1024))
		for i := range t.vals {
			grown[i].Store(t.vals[i].Load())
		}
		b := math.Float64bits(t.def)
		for i := len(t.vals); i < len(grown); i++ {
			grown[i].Store(b)
		}
		t.vals = grown
	}
	t.vals[user].Store(math.Float64bits(v))
}

// Values appends every entry, by index, to dst and returns the extended
// slice: a dense copy for passes over the whole population.
func (t *Table) Values(dst []float64) []float64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	for i := range t.vals {
		dst = append(dst, math.Float64frombits(t.vals[i].Load()))
	}
	return dst
}
