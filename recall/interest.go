package recall

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twowayrec/twoway/internal/parallel"
	"github.com/twowayrec/twoway/market"
)

// Event is a behaviour event in index form: Actor did Action to Target at
// Time. Actor and Target are global indices on opposite sides, at most
// [MaxIndex].
type Event struct {
	Actor  uint32        `json:"actor"`
	Target uint32        `json:"target"`
	Action market.Action `json:"action"`
	Time   time.Time     `json:"time"`
}

// IndexEvent converts a market.Event to index form through d, adding
// neither ID: both must already be in d (ErrUnknown otherwise, wrapped in a
// *market.FieldError naming the field).
func IndexEvent(d *market.Dict, e *market.Event) (Event, error) {
	if err := e.Validate(); err != nil {
		return Event{}, err
	}
	a, ok := d.Lookup(e.Actor)
	if !ok {
		return Event{}, &market.FieldError{Record: "event", ID: e.Key(), Field: "Actor", Value: e.Actor, Err: market.ErrUnknownID}
	}
	t, ok := d.Lookup(e.Target)
	if !ok {
		return Event{}, &market.FieldError{Record: "event", ID: e.Key(), Field: "Target", Value: e.Target, Err: market.ErrUnknownID}
	}
	return Event{Actor: a, Target: t, Action: e.Action, Time: e.Time}, nil
}

// InterestConfig configures the interest matrix.
type InterestConfig struct {
	// Weights is how much interest each action expresses. Nil: the
	// market.DefaultActionWeights (view 1 < favourite 2 < chat 3 < reply 4).
	Weights *market.ActionWeights `json:"weights,omitempty"`
	// HalfLife is the time after which an event counts half. Zero: no decay.
	HalfLife time.Duration `json:"half_life"`
	// Clock gives "now", the reference time of decay at Fit. Nil: time.Now.
	Clock func() time.Time `json:"-"`
}

// Interest is the interest matrix R: R[u][i] is how much actor u attended
// to target i, the sum over u's events on i of
//
//	weight(action) · 2^(−(T − time)/HalfLife)
//
// where T is the reference time of the last Fit (Clock at Fit). Cells whose
// sum is ≤ 0 (rejections outweighing interest) are dropped. Row u holds
// everything u attended to; column i everyone who attended to i. Both
// sides live in one matrix, indexed by the global index: a seeker's row
// holds jobs, a recruiter's row holds seekers.
//
// # Fit and Record
//
// Fit rebuilds the matrix from the full event log (compressed sparse rows
// and columns, built with both cores). Record adds one event at once to a
// per-actor overlay, so that the actor's history, the target's popularity
// and every recaller that reads them see it on the next request. A Fit
// drops from the overlay the events at or before the newest event time of
// its input (they are in the new matrix) and keeps later ones.
//
// Interest is safe for concurrent use.
type Interest struct {
	weights [9]float64
	half    float64 // half-life in nanoseconds, 0: no decay
	clock   func() time.Time
	workers int

	base atomic.Pointer[matrix]

	mu    sync.RWMutex
	delta [][]rawEvent    // per actor, events recorded since base
	pop   []float64       // per target, popularity added since base
	neg   map[uint32]bool // actors with an overlay event of negative weight
	nd    int             // number of overlay events
}

type rawEvent struct {
	target uint32
	action market.Action
	t      int64
}

// matrix is an immutable interest matrix in CSR (by actor) and CSC (by
// target) form. Entries of a row are sorted by index.
type matrix struct {
	n              int // dimension: 1 + the largest index
	rowPtr         []int
	rowIdx         []uint32
	rowVal         []float64
	colPtr         []int
	colIdx         []uint32
	colVal         []float64
	colSum         []float64 // popularity: Σ_u R[u][i]
	ref            int64     // reference time T (unix nanoseconds)
	newest         int64     // newest event time in the input
	events, actors int
}

func (m *matrix) row(u uint32) ([]uint32, []float64) {
	if int(u) >= m.n {
		return nil, nil
	}
	a, b := m.rowPtr[u], m.rowPtr[u+1]
	return m.rowIdx[a:b], m.rowVal[a:b]
}

// NewInterest returns an empty matrix. It validates cfg and returns an
// error naming the field.
func NewInterest(cfg InterestConfig) (*Interest, error) {
	w := market.DefaultActionWeights()
	if cfg.Weights != nil {
		w = *cfg.Weights
	}
	if err := w.Validate(); err != nil {
		return nil, fmt.Errorf("%w: InterestConfig.Weights: %w", ErrConfig, err)
	}
	if cfg.HalfLife < 0 {
		return nil, fmt.Errorf("%w: InterestConfig.HalfLife %v is negative", ErrConfig, cfg.HalfLife)
	}
	x := &Interest{weights: w.Table(), half: float64(cfg.HalfLife), clock: cfg.Clock, workers: runtime.GOMAXPROCS(0)}
	if x.clock == nil {
		x.clock = time.Now
	}
	x.base.Store(&matrix{rowPtr: []int{0}, colPtr: []int{0}, ref: x.clock().UnixNano()})
	return x, nil
}

// weight returns the decayed weight of an action at time t against the
// reference time ref.
func (x *Interest) weight(a market.Action, t, ref int64) float64 {
	w := x.weights[a]
	if w == 0 || x.half == 0 {
		return w
	}
	// Events after the reference time weigh more; cap the factor at 2^30
	// so that a clock far in the future cannot overflow.
	return w * math.Exp2(max(-1100, min(30, -float64(ref-t)/x.half)))
}

func checkEvent(e *Event) error {
	fe := func(field, value string, err error) error {
		return &market.FieldError{Record: "event", ID: fmt.Sprintf("%d→%d", e.Actor, e.Target), Field: field, Value: value, Err: err}
	}
	switch {
	case e.Actor > MaxIndex:
		return fe("Actor", fmt.Sprintf("%d (at most %d)", e.Actor, MaxIndex), market.ErrOutOfRange)
	case e.Target > MaxIndex:
		return fe("Target", fmt.Sprintf("%d (at most %d)", e.Target, MaxIndex), market.ErrOutOfRange)
	case e.Actor == e.Target:
		return fe("Target", fmt.Sprint(e.Target), market.ErrSelf)
	case !e.Action.Valid():
		return fe("Action", fmt.Sprint(uint8(e.Action)), market.ErrUnknownAction)
	case market.CheckTime(e.Time) != nil:
		return fe("Time", e.Time.String(), market.CheckTime(e.Time))
	}
	return nil
}

// Record adds one event to the overlay. It returns a *market.FieldError
// naming the field for an invalid event (an Actor or Target above
// [MaxIndex], self-event, unknown action, zero time) and then changes
// nothing.
func (x *Interest) Record(e Event) error {
	if err := checkEvent(&e); err != nil {
		return err
	}
	t := e.Time.UnixNano()
	x.mu.Lock()
	if int(e.Actor) >= len(x.delta) {
		x.delta = slices.Grow(x.delta, int(e.Actor)+1-len(x.delta))[:int(e.Actor)+1]
	}
	if int(e.Target) >= len(x.pop) {
		x.pop = slices.Grow(x.pop, int(e.Target)+1-len(x.pop))[:int(e.Target)+1]
	}
	m := x.base.Load()
	if w := x.weight(e.Action, t, m.ref); w > 0 && !x.neg[e.Actor] {
		// Every overlay event of the cell is positive and the matrix's
		// cell is: the cell's sum stays positive and grows by w.
		x.pop[e.Target] += w
	} else if w != 0 {
		old := m.cell(e.Actor, e.Target) + x.overlaySum(m, e.Actor, e.Target)
		x.pop[e.Target] += max(0, old+w) - max(0, old)
		if w < 0 {
			if x.neg == nil {
				x.neg = map[uint32]bool{}
			}
			x.neg[e.Actor] = true
		}
	}
	x.delta[e.Actor] = append(x.delta[e.Actor], rawEvent{e.Target, e.Action, t})
	x.nd++
	x.mu.Unlock()
	return nil
}

// Pending returns the number of events recorded since the last Fit that the
// matrix does not hold yet.
func (x *Interest) Pending() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.nd
}

// The overlay's popularity follows the cells: a cell (u, i) adds
// max(0, matrix cell + u's overlay events on i) to i's popularity, as the
// next Fit's matrix will (it drops sums ≤ 0), and pop[i] holds the
// difference from the matrix's column sum. So a live Reject lowers a
// target's popularity by at most what its actor had given it, never below
// what a Fit would leave.

// cell returns m's weight of (u, i), 0 when the cell is absent.
func (m *matrix) cell(u, i uint32) float64 {
	idx, val := m.row(u)
	if k, ok := slices.BinarySearch(idx, i); ok {
		return val[k]
	}
	return 0
}

// overlaySum returns the weight of u's overlay events on i against m's
// reference time. x.mu must be held.
func (x *Interest) overlaySum(m *matrix, u, i uint32) float64 {
	s := 0.0
	if int(u) < len(x.delta) {
		for _, e := range x.delta[u] {
			if e.target == i {
				s += x.weight(e.action, e.t, m.ref)
			}
		}
	}
	return s
}

// repop recomputes pop and neg from the overlay against matrix m. x.mu
// must be held for writing and pop be sized for every overlay target.
func (x *Interest) repop(m *matrix) {
	clear(x.pop)
	clear(x.neg)
	sums := map[uint32]float64{}
	for u, evs := range x.delta {
		if len(evs) == 0 {
			continue
		}
		clear(sums)
		for _, e := range evs {
			w := x.weight(e.action, e.t, m.ref)
			sums[e.target] += w
			if w < 0 {
				if x.neg == nil {
					x.neg = map[uint32]bool{}
				}
				x.neg[uint32(u)] = true
			}
		}
		for i, s := range sums {
			base := m.cell(uint32(u), i)
			x.pop[i] += max(0, base+s) - base
		}
	}
}

// Fit rebuilds the matrix from events, the full log. It returns the first
// invalid event's error (a *market.FieldError, as Record's) or ctx.Err()
// and then keeps the previous matrix. Recalls and Records may run during
// Fit.
func (x *Interest) Fit(ctx context.Context, events iter.Seq[Event]) error {
	ref := x.clock().UnixNano()
	type cell struct {
		actor, target uint32
		w             float64
	}
	var cells []cell
	n, newest, count := 0, int64(math.MinInt64), 0
	for e := range events {
		if err := checkEvent(&e); err != nil {
			return err
		}
		count++
		if count&0xffff == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		t := e.Time.UnixNano()
		newest = max(newest, t)
		n = max(n, int(e.Actor)+1, int(e.Target)+1)
		if w := x.weight(e.Action, t, ref); w != 0 {
			cells = append(cells, cell{e.Actor, e.Target, w})
		}
	}
	// Counting sort by actor, then sort each row by target and sum repeats.
	m := &matrix{n: n, ref: ref, newest: newest, events: count}
	m.rowPtr = make([]int, n+1)
	for _, c := range cells {
		m.rowPtr[c.actor+1]++
	}
	for i := 1; i <= n; i++ {
		m.rowPtr[i] += m.rowPtr[i-1]
	}
	idx := make([]uint32, len(cells))
	val := make([]float64, len(cells))
	next := slices.Clone(m.rowPtr[:n])
	for _, c := range cells {
		p := next[c.actor]
		idx[p], val[p] = c.target, c.w
		next[c.actor]++
	}
	cells = nil
	// Per row: sort by target, merge repeats, drop sums <= 0. Rows are
	// compacted in place into a new pointer array.
	kept := make([]int, n)
	if err := forEach(ctx, x.workers, n, func(u int, scratch *[]entry) {
		a, b := m.rowPtr[u], m.rowPtr[u+1]
		s := (*scratch)[:0]
		for p := a; p < b; p++ {
			s = append(s, entry{idx[p], val[p]})
		}
		slices.SortFunc(s, func(x, y entry) int { return cmp.Compare(x.ix, y.ix) })
		k := a
		for q := 0; q < len(s); {
			j, sum := s[q].ix, 0.0
			for ; q < len(s) && s[q].ix == j; q++ {
				sum += s[q].w
			}
			if sum > 0 {
				idx[k], val[k] = j, sum
				k++
			}
		}
		kept[u] = k - a
		*scratch = s
	}); err != nil {
		return err
	}
	ptr := make([]int, n+1)
	for u := range n {
		ptr[u+1] = ptr[u] + kept[u]
	}
	m.rowIdx = make([]uint32, ptr[n])
	m.rowVal = make([]float64, ptr[n])
	for u := range n {
		a := m.rowPtr[u]
		copy(m.rowIdx[ptr[u]:ptr[u+1]], idx[a:a+kept[u]])
		copy(m.rowVal[ptr[u]:ptr[u+1]], val[a:a+kept[u]])
		if kept[u] > 0 {
			m.actors++
		}
	}
	m.rowPtr = ptr
	idx, val = nil, nil
	m.transpose()
	if err := ctx.Err(); err != nil {
		return err
	}
	// Swap, and keep only the overlay events the new matrix lacks.
	x.mu.Lock()
	x.base.Store(m)
	x.nd = 0
	for u, evs := range x.delta {
		k := 0
		for _, e := range evs {
			if e.t > newest {
				evs[k] = e
				k++
			}
		}
		if k == 0 {
			x.delta[u] = nil
		} else {
			x.delta[u] = evs[:k]
		}
		x.nd += k
	}
	x.repop(m)
	x.mu.Unlock()
	return nil
}

// entry is one cell of a row or column: an index and a weight.
type entry struct {
	ix uint32
	w  float64
}

// History appends to dst the current row of actor u, base plus overlay,
// as (target, weight) pairs sorted by target with weights > 0, and returns
// it.
func (x *Interest) History(u uint32, dst []Entry) []Entry { return x.history(u, dst) }

// Entry is one cell of the interest matrix seen from one side: the other
// participant's index and the interest weight.
type Entry struct {
	Index  uint32  `json:"index"`
	Weight float64 `json:"weight"`
}

// history reads the matrix and the overlay under the overlay's lock, so
// that a concurrent Fit (which swaps the matrix and prunes the overlay
// under the same lock) is seen entirely or not at all.
func (x *Interest) history(u uint32, dst []Entry) []Entry {
	x.mu.RLock()
	m := x.base.Load()
	idx, val := m.row(u)
	n := len(dst)
	for k, j := range idx {
		dst = append(dst, Entry{j, val[k]})
	}
	var evs []rawEvent
	if int(u) < len(x.delta) {
		evs = x.delta[u]
	}
	for _, e := range evs {
		dst = append(dst, Entry{e.target, x.weight(e.action, e.t, m.ref)})
	}
	x.mu.RUnlock()
	if len(evs) == 0 {
		return dst
	}
	// Merge repeats and drop non-positive sums.
	h := dst[n:]
	slices.SortStableFunc(h, func(a, b Entry) int { return cmp.Compare(a.Index, b.Index) })
	k := n
	for q := 0; q < len(h); {
		j, sum := h[q].Index, 0.0
		for ; q < len(h) && h[q].Index == j; q++ {
			sum += h[q].Weight
		}
		if sum > 0 {
			dst[k] = Entry{j, sum}
			k++
		}
	}
	return dst[:k]
}

// hasHistory reports whether u attended to anything (matrix or overlay).
func (x *Interest) hasHistory(u uint32) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if idx, _ := x.base.Load().row(u); len(idx) > 0 {
		return true
	}
	return int(u) < len(x.delta) && len(x.delta[u]) > 0
}

// overlaid reports whether u has overlay events.
func (x *Interest) overlaid(u uint32) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return int(u) < len(x.delta) && len(x.delta[u]) > 0
}

// Popularity returns target i's current popularity: the sum over actors
// of their current cell on i, matrix plus overlay, each cell counted when
// positive ([Interest.History]'s rows), as the next Fit will count it. A
// live Reject lowers it by at most what its actor had given i.
func (x *Interest) Popularity(i uint32) float64 {
	m := x.base.Load()
	p := 0.0
	if int(i) < len(m.colSum) {
		p = m.colSum[i]
	}
	x.mu.RLock()
	if int(i) < len(x.pop) {
		p += x.pop[i]
	}
	x.mu.RUnlock()
	return p
}

// Stats describes the fitted matrix.
type Stats struct {
	Events    int   `json:"events"`    // events in the last Fit's input
	Cells     int   `json:"cells"`     // non-zero cells
	Actors    int   `json:"actors"`    // rows with at least one cell
	Dimension int   `json:"dimension"` // 1 + the largest index seen
	Pending   int   `json:"pending"`   // overlay events not yet in the matrix
	Reference int64 `json:"reference"` // reference time T, unix nanoseconds
}

// Stats returns the matrix's size.
func (x *Interest) Stats() Stats {
	m := x.base.Load()
	return Stats{Events: m.events, Cells: len(m.rowIdx), Actors: m.actors, Dimension: m.n, Pending: x.Pending(), Reference: m.ref}
}

// forEach runs f(i, scratch) for i in [0, n) on workers goroutines, each
// with its own scratch, in chunks of 256 (parallel.Chunks). It checks ctx
// between chunks.
func forEach[S any](ctx context.Context, workers, n int, f func(i int, scratch *S)) error {
	return parallel.Chunks(ctx, workers, 256, n, func(lo, hi int, s *S) {
		for i := lo; i < hi; i++ {
			f(i, s)
		}
	})
}
