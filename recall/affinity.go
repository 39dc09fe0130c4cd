package recall

import (
	"slices"
	"sync"
)

// Affinity scores of the collaborative recallers: the collaborative
// evidence of one pair, for an interest model's features. Both read the
// fitted matrix only (the overlay of events since the Fit is left out,
// so that a pair's affinity changes at Fit, as its neighbours do), and
// both directions of a request cost one pass over a few neighbour lists
// per pair:
//
//	item affinity(u, v) = Σ_{h ∈ N(v)} sim(v, h) · R[u][h]   (v's neighbours that u attended)
//	user affinity(u, v) = Σ_{w ∈ N(u)} sim(u, w) · R[w][v]   (u's neighbours who attended v)
//
// with N the fitted neighbour lists and sim their similarities, R the
// fitted interest matrix. A participant the fit did not see scores 0.

// marks is a pooled dense map from index to weight with the indices set.
type marks struct {
	w   []float64
	set []uint32
}

func (m *marks) put(i uint32, x float64) {
	if int(i) >= len(m.w) {
		m.w = slices.Grow(m.w, int(i)+1-len(m.w))[:int(i)+1]
	}
	if m.w[i] == 0 {
		m.set = append(m.set, i)
	}
	m.w[i] += x
}

func (m *marks) get(i uint32) float64 {
	if int(i) < len(m.w) {
		return m.w[i]
	}
	return 0
}

func (m *marks) reset() {
	for _, i := range m.set {
		m.w[i] = 0
	}
	m.set = m.set[:0]
}

var markPool = sync.Pool{New: func() any { return new(marks) }}

func getMarks() *marks { return markPool.Get().(*marks) }

func putMarks(m *marks) {
	m.reset()
	markPool.Put(m)
}

// Affinity writes item affinity(u, targets[i]) to dst[i] (grown as
// needed) and returns it.
func (r *ItemCF) Affinity(u uint32, targets []uint32, dst []float64) []float64 {
	dst = slices.Grow(dst[:0], len(targets))[:len(targets)]
	t, m := r.tab.Load(), r.x.base.Load()
	mk := getMarks()
	defer putMarks(mk)
	idx, val := m.row(u)
	for k, h := range idx {
		mk.put(h, val[k])
	}
	for i, v := range targets {
		nb, sim := t.of(v)
		s := 0.0
		for k, h := range nb {
			if w := mk.get(h); w != 0 {
				s += float64(sim[k]) * w
			}
		}
		dst[i] = s
	}
	return dst
}

// AffinityToward writes item affinity(actors[i], v) to dst[i] (grown as
// needed) and returns it: the backward direction of a request.
func (r *ItemCF) AffinityToward(actors []uint32, v uint32, dst []float64) []float64 {
	dst = slices.Grow(dst[:0], len(actors))[:len(actors)]
	t, m := r.tab.Load(), r.x.base.Load()
	mk := getMarks()
	defer putMarks(mk)
	nb, sim := t.of(v)
	for k, h := range nb {
		mk.put(h, float64(sim[k]))
	}
	for i, u := range actors {
		idx, val := m.row(u)
		s := 0.0
		for k, h := range idx {
			if w := mk.get(h); w != 0 {
				s += w * val[k]
			}
		}
		dst[i] = s
	}
	return dst
}

// Affinity writes user affinity(u, targets[i]) to dst[i] (grown as
// needed) and returns it.
func (r *UserCF) Affinity(u uint32, targets []uint32, dst []float64) []float64 {
	dst = slices.Grow(dst[:0], len(targets))[:len(targets)]
	f := r.fit.Load()
	mk := getMarks()
	defer putMarks(mk)
	nb, sim := f.tab.of(u)
	for k, w := range nb {
		idx, val := f.m.row(w)
		for q, v := range idx {
			mk.put(v, float64(sim[k])*val[q])
		}
	}
	for i, v := range targets {
		dst[i] = mk.get(v)
	}
	return dst
}

// AffinityToward writes user affinity(actors[i], v) to dst[i] (grown as
// needed) and returns it: the backward direction of a request.
func (r *UserCF) AffinityToward(actors []uint32, v uint32, dst []float64) []float64 {
	dst = slices.Grow(dst[:0], len(actors))[:len(actors)]
	f := r.fit.Load()
	mk := getMarks()
	defer putMarks(mk)
	// Column v of the fitted matrix: who attended v, and how much.
	if int(v) < f.m.n {
		for p := f.m.colPtr[v]; p < f.m.colPtr[v+1]; p++ {
			mk.put(f.m.colIdx[p], f.m.colVal[p])
		}
	}
	for i, u := range actors {
		nb, sim := f.tab.of(u)
		s := 0.0
		for k, w := range nb {
			if x := mk.get(w); x != 0 {
				s += float64(sim[k]) * x
			}
		}
		dst[i] = s
	}
	return dst
}
