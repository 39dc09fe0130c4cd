package contender

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"github.com/twowayrec/twoway/benchmarks/sim"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/sparse"
)

// Features holds the observable features of every participant of a world:
// what a recommender may look at (profiles), never the latent truth.
type Features struct {
	w       *sim.World
	skills  [][]uint32 // sorted skill ids
	city    []uint32
	title   []uint32
	content []sparse.Vector // unit-length content vector: skills, city, title, industry
	pay     []float64       // monthly pay midpoint, 0 when unknown
	expMin  []float64
	expMax  []float64 // 0: unbounded
	edu     []float64
}

// NewFeatures reads the world's profiles.
func NewFeatures(w *sim.World) *Features {
	n := len(w.Market.Profiles)
	f := &Features{w: w, skills: make([][]uint32, n), city: make([]uint32, n), title: make([]uint32, n), content: make([]sparse.Vector, n),
		pay: make([]float64, n), expMin: make([]float64, n), expMax: make([]float64, n), edu: make([]float64, n)}
	ids := map[string]uint32{}
	id := func(kind, s string) uint32 {
		k := kind + ":" + strings.ToLower(strings.TrimSpace(s))
		v, ok := ids[k]
		if !ok {
			v = uint32(len(ids))
			ids[k] = v
		}
		return v
	}
	var b sparse.Builder
	for i := range w.Market.Profiles {
		p := &w.Market.Profiles[i]
		for _, s := range p.Skills {
			f.skills[i] = append(f.skills[i], id("skill", s))
		}
		slices.Sort(f.skills[i])
		f.skills[i] = slices.Compact(f.skills[i])
		if p.Salary.Known() {
			f.pay[i] = p.Salary.Mid()
		}
		f.expMin[i], f.expMax[i], f.edu[i] = p.Experience.Min, p.Experience.Max, float64(p.Education)
		f.city[i] = id("city", p.City)
		f.title[i] = id("title", market.NormalizeTitle(p.Title))
		b.Reset()
		for _, s := range f.skills[i] {
			b.Add(s, 1)
		}
		b.Add(f.city[i], 1)
		b.Add(f.title[i], 1)
		if p.Industry != "" {
			b.Add(id("industry", p.Industry), 0.5)
		}
		v := b.Vector(sparse.Vector{})
		v.Normalize()
		f.content[i] = v
	}
	return f
}

// Content returns the content similarity of a and c: the cosine of their
// content vectors.
func (f *Features) Content(a, c uint32) float64 { return sparse.Dot(f.content[a], f.content[c]) }

// NumPair is the number of pair features.
const NumPair = 10

// numShared is the number of pair features that do not depend on the
// direction (the first ones).
const numShared = 7

// Pair appends to dst[:0] the pair features of a looking at c (opposite
// sides): skill coverage of the job's skills, Jaccard of skills, same
// city, same normalised title, log pay ratio (offer/expected, clipped to
// ±1), experience fit, education gap, and c's popularity, observed reply
// rate and activity from the board.
func (f *Features) Pair(dst []float64, bd *Board, a, c uint32) []float64 {
	dst = f.shared(dst[:0], a, c)
	return f.about(dst, bd, c)
}

// shared appends the direction-free pair features of a and c.
func (f *Features) shared(dst []float64, a, c uint32) []float64 {
	m := f.w.Market
	seeker, job := a, c
	if m.Side(a) == market.Recruiter {
		seeker, job = c, a
	}
	inter := intersect(f.skills[seeker], f.skills[job])
	cov, jac := 0.0, 0.0
	if n := len(f.skills[job]); n > 0 {
		cov = float64(inter) / float64(n)
	}
	if u := len(f.skills[seeker]) + len(f.skills[job]) - inter; u > 0 {
		jac = float64(inter) / float64(u)
	}
	pay := 0.0
	if f.pay[seeker] > 0 && f.pay[job] > 0 {
		pay = max(-1, min(1, math.Log(f.pay[job]/f.pay[seeker])))
	}
	expFit := 1.0
	years, lo, hi := f.expMin[seeker], f.expMin[job], f.expMax[job]
	switch {
	case years < lo:
		expFit = max(-1, 1-0.5*(lo-years))
	case hi > 0 && years > hi:
		expFit = max(-1, 1-0.25*(years-hi))
	}
	edu := 0.0
	if f.edu[job] > 0 && f.edu[seeker] > 0 {
		edu = max(-2, min(2, f.edu[seeker]-f.edu[job]))
	}
	return append(dst, cov, jac, b2f(f.city[a] == f.city[c]), b2f(f.title[a] == f.title[c]), pay, expFit, edu)
}

// about appends the features of the looked-at participant c.
func (f *Features) about(dst []float64, bd *Board, c uint32) []float64 {
	a := &bd.about[c]
	return append(dst, a[0], a[1], a[2])
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func intersect(a, b []uint32) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch cmp.Compare(a[i], b[j]) {
		case -1:
			i++
		case 1:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

// dense turns x into a sparse vector with indices 0 … len(x)-1 (all kept,
// so the vector's layout never changes).
func dense(dst sparse.Vector, x []float64) sparse.Vector {
	dst.Idx, dst.Val = dst.Idx[:0], dst.Val[:0]
	for i, v := range x {
		dst.Idx = append(dst.Idx, uint32(i))
		dst.Val = append(dst.Val, v)
	}
	return dst
}
