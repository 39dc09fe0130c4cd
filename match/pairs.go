package match

import (
	"cmp"
	"slices"
)

// pairStates holds the state bits of every directed pair that has an
// event: for each actor (by global index) its targets in increasing order,
// each entry target<<8 | state. Looking a pair up is a binary search in the
// actor's row; a pair costs 8 bytes (a map of pairs cost about 25), and the
// rows of a decoded table are windows of one array. The owner locks.
type pairStates struct {
	rows [][]uint64
	n    int
}

func entryTarget(e uint64) uint32 { return uint32(e >> 8) }

// findTarget returns where target is, or would be, in row.
func findTarget(row []uint64, target uint32) (int, bool) {
	return slices.BinarySearchFunc(row, target, func(e uint64, t uint32) int { return cmp.Compare(entryTarget(e), t) })
}

// get returns the state of pair (actor, target), 0 if it has none.
func (p *pairStates) get(actor, target uint32) uint8 {
	if int(actor) >= len(p.rows) {
		return 0
	}
	row := p.rows[actor]
	if i, ok := findTarget(row, target); ok {
		return uint8(row[i])
	}
	return 0
}

// set sets the state of pair (actor, target) to st ≠ 0.
func (p *pairStates) set(actor, target uint32, st uint8) {
	if int(actor) >= len(p.rows) {
		p.rows = slices.Grow(p.rows, int(actor)+1-len(p.rows))[:actor+1]
	}
	row := p.rows[actor]
	e := uint64(target)<<8 | uint64(st)
	i, ok := findTarget(row, target)
	if ok {
		row[i] = e
		return
	}
	p.rows[actor] = slices.Insert(row, i, e)
	p.n++
}

// len returns the number of pairs.
func (p *pairStates) len() int { return p.n }

// all calls f for every pair in increasing pairOf order.
func (p *pairStates) all(f func(key uint64, st uint8)) {
	for a, row := range p.rows {
		for _, e := range row {
			f(pairOf(uint32(a), entryTarget(e)), uint8(e))
		}
	}
}

// pairsBuilder builds a table from pairs given in increasing pairOf order,
// into one array of exactly their number.
type pairsBuilder struct {
	p          pairStates
	flat       []uint64
	cur, start int
}

// newPairsBuilder returns a builder for np pairs among participants
// 0 … n-1.
func newPairsBuilder(n, np int) *pairsBuilder {
	return &pairsBuilder{p: pairStates{rows: make([][]uint64, n)}, flat: make([]uint64, 0, np), cur: -1}
}

// add adds pair key (above every key added before; both participants
// below n) with state st.
func (b *pairsBuilder) add(key uint64, st uint8) {
	if a := int(key >> 32); a != b.cur {
		b.close()
		b.cur, b.start = a, len(b.flat)
	}
	b.flat = append(b.flat, uint64(uint32(key))<<8|uint64(st))
}

func (b *pairsBuilder) close() {
	if b.cur >= 0 {
		b.p.rows[b.cur] = b.flat[b.start:len(b.flat):len(b.flat)]
	}
}

// done returns the table.
func (b *pairsBuilder) done() pairStates {
	b.close()
	b.p.n = len(b.flat)
	return b.p
}

// transpose returns the table of p by target: row t holds the actors
// that have a pair with t (in increasing order), with its state, for
// participants 0 … n-1.
func (p *pairStates) transpose(n int) pairStates {
	counts := make([]int, n)
	for _, row := range p.rows {
		for _, e := range row {
			if t := int(entryTarget(e)); t < n {
				counts[t]++
			}
		}
	}
	flat := make([]uint64, p.n)
	start := make([]int, n+1)
	for t, c := range counts {
		start[t+1] = start[t] + c
	}
	next := slices.Clone(start[:n])
	for a, row := range p.rows {
		for _, e := range row {
			if t := int(entryTarget(e)); t < n {
				flat[next[t]] = uint64(a)<<8 | uint64(uint8(e))
				next[t]++
			}
		}
	}
	out := pairStates{rows: make([][]uint64, n), n: start[n]}
	for t := range n {
		if start[t+1] > start[t] {
			out.rows[t] = flat[start[t]:start[t+1]:start[t+1]]
		}
	}
	return out
}
