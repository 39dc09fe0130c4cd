package match

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/twowayrec/twoway/internal/binio"
	"github.com/twowayrec/twoway/market"
)

// TasteConfig configures [Taste].
type TasteConfig struct {
	// Neighbours is the number of neighbours kept per participant. Zero:
	// 50; −1 turns taste off (no neighbours, the evidence is 0).
	Neighbours int `json:"neighbours"`
	// Shrink is the significance weight of a similarity: it is multiplied
	// by n/(n+Shrink) for n targets in common. Zero: 5.
	Shrink float64 `json:"shrink"`
	// MaxDeciders caps the participants read per target when similarities
	// are computed (the same subset for every Fit: those with the smallest
	// hash of the pair). Zero: 200.
	MaxDeciders int `json:"max_deciders"`
	// Workers is the number of goroutines NewTaste uses. Zero (or less):
	// GOMAXPROCS.
	Workers int `json:"workers"`
}

func (c TasteConfig) withDefaults() TasteConfig {
	if c.Neighbours == 0 {
		c.Neighbours = 50
	}
	if c.Shrink == 0 {
		c.Shrink = 5
	}
	if c.MaxDeciders == 0 {
		c.MaxDeciders = 200
	}
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c
}

// Validate reports a configuration error, wrapping ErrConfig.
func (c TasteConfig) Validate() error {
	switch {
	case c.Neighbours < -1:
		return fmt.Errorf("%w: TasteConfig.Neighbours %d (−1 is off)", ErrConfig, c.Neighbours)
	case !(c.Shrink >= 0) || math.IsInf(c.Shrink, 0):
		return fmt.Errorf("%w: TasteConfig.Shrink %v", ErrConfig, c.Shrink)
	case c.MaxDeciders < 0:
		return fmt.Errorf("%w: TasteConfig.MaxDeciders %d", ErrConfig, c.MaxDeciders)
	}
	return nil
}

// Taste is signed, mean-centred neighbourhood collaborative filtering
// over what participants were shown and what they did about it (the
// pair states of a [Behaviour]): the evidence [EvidenceTaste].
//
// Each participant a has a decision x(a, c) ∈ {0, 1} on every target c it
// had an event with (1 when it acted positively), centred on its own
// generosity g(a) (the smoothed share of its pairs it acted on, as the
// generosity evidence): d(a, c) = x(a, c) − g(a). Two participants of
// one side are alike when they agreed on the targets both met, passing
// over as well as acting:
//
//	sim(a, a') = Σ d(a,c)·d(a',c) / √(Σ d(a,c)² · Σ d(a',c)²) · n/(n + Shrink)
//
// over the n common targets c. Each participant keeps its Neighbours
// most similar (sim > 0). The taste of a for target b is then how much
// a's neighbours who met b liked it beyond their own generosity:
//
//	taste(a, b) = Σ sim(a,a')·d₋(a',b) / (1 + Σ sim(a,a'))
//
// over the neighbours a' that met b, with d₋(a', b) = x(a', b) − g₋(a'),
// the generosity g₋ of a' on its other pairs (so that one decision is not
// measured against a habit it is part of): positive when people who agree with
// a said yes to b more often than they say yes, negative when they passed
// it over, 0 when none of them met it. Unlike item-CF and user-CF over
// the interest matrix, which see positive actions only, taste learns from
// what people passed over too (GroupLens's mean-centred neighbourhood
// prediction, with decisions for ratings).
//
// The neighbour lists are fixed when the Taste is built; the decisions
// d(a', b) are read from the Behaviour as it stands (live), so a
// neighbour's decision recorded after the build counts at once. Score
// reads each neighbour's row of the Behaviour once for all targets
// (sorted), ScoreToward the target's column (the Behaviour keeps its pairs
// by actor and by target) against each actor's neighbours, so a request
// costs O(neighbours · (row + targets)) rather than a lookup per pair.
type Taste struct {
	b    *Behaviour
	skip func(actor, target uint32) bool
	nbr  [][]neighbour // by participant, sorted by index
}

type neighbour struct {
	ix  uint32
	sim float32
}

// NewTaste computes every participant's neighbours from b's pair states
// as they stand, leaving out the pairs skip reports (nil: none), which
// Score leaves out too: the out-of-fold form, for training rows whose own
// pair must not enter their evidence.
func NewTaste(ctx context.Context, b *Behaviour, cfg TasteConfig, skip func(actor, target uint32) bool) (*Taste, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	t := &Taste{b: b, skip: skip}
	if cfg.Neighbours < 0 {
		return t, nil
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	n := len(b.pairs.rows)
	gen := make([]float64, n)
	for a := range n {
		gen[a] = b.generosity(uint32(a), 0, 0)
	}
	type decision struct {
		ix  uint32
		dev float32
	}
	// The columns: who met each target (the Behaviour's by-target table),
	// with the centred decision, at most MaxDeciders each.
	cols := make([][]decision, len(b.cols.rows))
	flat := make([]decision, 0, b.cols.n)
	var col []decision
	for c, entries := range b.cols.rows {
		col = col[:0]
		for _, e := range entries {
			a := entryTarget(e)
			if int(a) < n && (skip == nil || !skip(a, uint32(c))) {
				col = append(col, decision{a, float32(stateValue(uint8(e)) - gen[a])})
			}
		}
		if len(col) > cfg.MaxDeciders {
			slices.SortFunc(col, func(x, y decision) int {
				return cmp.Compare(mixPair(x.ix, uint32(c)), mixPair(y.ix, uint32(c)))
			})
			col = col[:cfg.MaxDeciders]
			slices.SortFunc(col, func(x, y decision) int { return cmp.Compare(x.ix, y.ix) })
		}
		start := len(flat)
		flat = append(flat, col...)
		cols[c] = flat[start:len(flat):len(flat)]
	}
	t.nbr = make([][]neighbour, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range cfg.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One record per participant, so that an update touches one
			// cache line rather than four.
			acc := make([]simSums, n)
			var touched []uint32
			top := make(neighbourHeap, 0, cfg.Neighbours)
			for {
				a := int(next.Add(1) - 1)
				if a >= n || (a%1024 == 0 && ctx.Err() != nil) {
					return
				}
				touched = touched[:0]
				for _, e := range b.pairs.rows[a] {
					c := entryTarget(e)
					if int(c) >= len(cols) || (skip != nil && skip(uint32(a), c)) {
						continue
					}
					d := stateValue(uint8(e)) - gen[a]
					for _, o := range cols[c] {
						if o.ix == uint32(a) {
							continue
						}
						s := &acc[o.ix]
						if s.cnt == 0 {
							touched = append(touched, o.ix)
						}
						od := float64(o.dev)
						s.dot += d * od
						s.na += d * d
						s.nb += od * od
						s.cnt++
					}
				}
				top = top[:0]
				for _, o := range touched {
					s := &acc[o]
					if den := s.na * s.nb; den > 0 && s.dot > 0 {
						// A cosine rounded above 1 is 1, and a similarity
						// that float32 cannot hold is none: the table
						// keeps similarities in (0, 1].
						k := float64(s.cnt)
						if sim := float32(min(s.dot/math.Sqrt(den), 1) * k / (k + cfg.Shrink)); sim > 0 {
							top.offer(neighbour{o, sim}, cfg.Neighbours)
						}
					}
					*s = simSums{}
				}
				if len(top) > 0 {
					list := slices.Clone(top)
					slices.SortFunc(list, func(x, y neighbour) int { return cmp.Compare(x.ix, y.ix) })
					t.nbr[a] = list
				}
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return t, nil
}

// simSums are the sums of one pair of participants' similarity in
// NewTaste: Σ d·d', Σ d², Σ d'² and the number of common targets.
type simSums struct {
	dot, na, nb float64
	cnt         int32
}

// neighbourHeap keeps the best neighbours offered (higher similarity,
// then lower index), the worst of them at the root.
type neighbourHeap []neighbour

// worse reports whether x ranks below y.
func worse(x, y neighbour) bool { return x.sim < y.sim || (x.sim == y.sim && x.ix > y.ix) }

// offer adds o when fewer than k are kept or o beats the worst kept.
func (h *neighbourHeap) offer(o neighbour, k int) {
	s := *h
	if len(s) < k {
		s = append(s, o)
		for i := len(s) - 1; i > 0; {
			p := (i - 1) / 2
			if !worse(s[i], s[p]) {
				break
			}
			s[i], s[p] = s[p], s[i]
			i = p
		}
		*h = s
		return
	}
	if k == 0 || !worse(s[0], o) {
		return
	}
	s[0] = o
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(s) && worse(s[l], s[m]) {
			m = l
		}
		if r < len(s) && worse(s[r], s[m]) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
}

// stateValue is a pair state's decision: 1 when positive, else 0.
func stateValue(st uint8) float64 {
	if st&pairPositive != 0 {
		return 1
	}
	return 0
}

func mixPair(a, b uint32) uint64 {
	x := uint64(a)<<32 | uint64(b)
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// generosity returns participant a's smoothed generosity (as the
// evidence's), with shown pairs of which acted positive left out of its
// counts; under b.mu.
func (b *Behaviour) generosity(a uint32, shown, acted float64) float64 {
	var ca Counts
	if int(a) < len(b.counts) {
		ca = b.counts[a]
	}
	s := market.Seeker
	if int(a) < len(b.side) && b.side[a].Valid() {
		s = b.side[a]
	}
	gen0, _, _ := b.rates(s)
	return b.smooth(ca.Acted-acted, ca.Shown-shown, gen0)
}

// Score returns actor's taste for each of targets, appended to dst[:0].
func (t *Taste) Score(dst []float64, actor uint32, targets []uint32) []float64 {
	dst = slices.Grow(dst[:0], len(targets))[:len(targets)]
	clear(dst)
	if t == nil || int(actor) >= len(t.nbr) || len(t.nbr[actor]) == 0 || len(targets) == 0 {
		return dst
	}
	// The targets in increasing order, each with its sums, so that every
	// neighbour's row (sorted by target) is read in one pass.
	acc := make([]tasteSum, len(targets))
	for i, c := range targets {
		acc[i] = tasteSum{target: c, pos: int32(i)}
	}
	slices.SortFunc(acc, func(x, y tasteSum) int { return cmp.Compare(x.target, y.target) })
	t.b.mu.RLock()
	defer t.b.mu.RUnlock()
	rows := t.b.pairs.rows
	for _, o := range t.nbr[actor] {
		if int(o.ix) >= len(rows) {
			continue
		}
		row := rows[o.ix]
		if len(row) > 8*len(acc) {
			for k := range acc {
				if i, ok := findTarget(row, acc[k].target); ok {
					t.add(&acc[k].sum, o, acc[k].target, uint8(row[i]))
				}
			}
			continue
		}
		for i, k := 0, 0; i < len(row) && k < len(acc); {
			switch c := entryTarget(row[i]); {
			case c < acc[k].target:
				i++
			case c > acc[k].target:
				k++
			default:
				t.add(&acc[k].sum, o, c, uint8(row[i]))
				k++ // a target may repeat in targets: the next copy gets it too
				if k < len(acc) && acc[k].target == c {
					continue
				}
				i++
			}
		}
	}
	for _, a := range acc {
		dst[a.pos] = a.sum.value()
	}
	return dst
}

// ScoreToward returns each of actors' taste for target, appended to
// dst[:0].
func (t *Taste) ScoreToward(dst []float64, actors []uint32, target uint32) []float64 {
	dst = slices.Grow(dst[:0], len(actors))[:len(actors)]
	clear(dst)
	if t == nil {
		return dst
	}
	t.b.mu.RLock()
	defer t.b.mu.RUnlock()
	var col []uint64 // who met target, by actor
	if int(target) < len(t.b.cols.rows) {
		col = t.b.cols.rows[target]
	}
	if len(col) == 0 {
		return dst
	}
	for q, a := range actors {
		if int(a) >= len(t.nbr) {
			continue
		}
		nb := t.nbr[a]
		var s tasteSum
		if len(col) > 8*len(nb) {
			for _, o := range nb {
				if i, ok := findTarget(col, o.ix); ok {
					t.add(&s.sum, o, target, uint8(col[i]))
				}
			}
		} else {
			for i, k := 0, 0; i < len(col) && k < len(nb); {
				switch x := entryTarget(col[i]); {
				case x < nb[k].ix:
					i++
				case x > nb[k].ix:
					k++
				default:
					t.add(&s.sum, nb[k], target, uint8(col[i]))
					i++
					k++
				}
			}
		}
		dst[q] = s.sum.value()
	}
	return dst
}

// tasteSum is one target's sums in Score.
type tasteSum struct {
	target uint32
	pos    int32 // in the caller's targets
	sum    weighted
}

// weighted holds Σ sim·d₋ and Σ sim.
type weighted struct{ num, den float64 }

func (w weighted) value() float64 {
	if w.den == 0 {
		return 0
	}
	return w.num / (1 + w.den)
}

// add counts neighbour o's decision st on target c into w, under t.b.mu.
func (t *Taste) add(w *weighted, o neighbour, c uint32, st uint8) {
	if t.skip != nil && t.skip(o.ix, c) {
		return
	}
	s, x := float64(o.sim), stateValue(st)
	w.num += s * (x - t.b.generosity(o.ix, 1, x))
	w.den += s
}

const tasteFormat = 1

// AppendBinary appends the neighbour lists to dst
// (encoding.BinaryAppender); the decisions stay with the Behaviour, which
// has its own encoding. A nil Taste appends an empty table.
func (t *Taste) AppendBinary(dst []byte) ([]byte, error) {
	w := binio.Writer{B: dst}
	w.Uvarint(tasteFormat)
	var nbr [][]neighbour
	if t != nil {
		nbr = t.nbr
	}
	w.Uvarint(uint64(len(nbr)))
	for _, list := range nbr {
		w.Uvarint(uint64(len(list)))
		prev := uint32(0)
		for i, o := range list {
			gap := o.ix - prev
			if i == 0 {
				gap = o.ix
			}
			w.Uvarint(uint64(gap))
			w.Uvarint(uint64(math.Float32bits(o.sim)))
			prev = o.ix
		}
	}
	return w.B, nil
}

// DecodeTaste returns the Taste that AppendBinary encoded, reading its
// decisions from b (the Behaviour it was built on, restored), or an error
// wrapping ErrCorrupt: a neighbour list out of order, a participant out of
// range, or a similarity outside (0, 1].
func DecodeTaste(b *Behaviour, data []byte) (*Taste, error) {
	r := binio.NewReader(data)
	if v := r.Uvarint(); r.Err() == nil && v != tasteFormat {
		r.Fail("taste format %d (this build reads %d)", v, tasteFormat)
	}
	n := r.Count(1)
	if r.Err() == nil && n > MaxIndex+1 {
		r.Fail("%d participants (at most %d)", n, MaxIndex+1)
	}
	t := &Taste{b: b, nbr: make([][]neighbour, n)}
	for a := 0; a < n && r.Err() == nil; a++ {
		k := r.Count(2)
		if k == 0 {
			continue
		}
		list := make([]neighbour, k)
		ix := uint64(0)
		for i := 0; i < k && r.Err() == nil; i++ {
			gap := r.Uvarint()
			if i > 0 && gap == 0 {
				r.Fail("participant %d: neighbour %d repeats the one before", a, i)
			}
			ix += gap
			sim := math.Float32frombits(r.Uint32())
			if r.Err() == nil && (ix >= uint64(n) || ix == uint64(a) || !(sim > 0 && sim <= 1)) {
				r.Fail("participant %d: neighbour %d: index %d, similarity %v", a, i, ix, sim)
			}
			list[i] = neighbour{uint32(ix), sim}
		}
		t.nbr[a] = list
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: taste: %w", ErrCorrupt, err)
	}
	return t, nil
}
