package allocate

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// maxRelaxation caps the adaptive ω.
const maxRelaxation = 1.95

// starEvery is the period, in sweeps, of the star line searches (see
// solver.star): they cost about half a sweep and correct slow directions,
// which plain sweeps move along only slowly in between.
const starEvery = 2

// driftLimit is the largest |ln x| of a scaling ratio before its potential
// absorbs it (and the kernel is recomputed), so that ratios and kernels stay
// far from overflow.
const driftLimit = 20

// Stats says how a [Fit] or a [Refresh] ended.
type Stats struct {
	// Sweeps counts the sweeps of a Fit (every seeker, then every job) or
	// the rounds of a Refresh.
	Sweeps int `json:"sweeps"`
	// Residual is the largest relative marginal violation
	// |n_x − μ_x0 − Σ_y μ_xy| / n_x of the returned potentials (for a
	// Refresh: over the participants of its last round, measured before
	// their update).
	Residual float64 `json:"residual"`
	// Converged reports that Residual reached Config.Tolerance (a Fit) or
	// that no participant was left to update (a Refresh).
	Converged bool `json:"converged"`
	// Updates counts the participant updates.
	Updates int64 `json:"updates"`
	// PairTerms counts the pair terms summed: the work done.
	PairTerms int64 `json:"pair_terms"`
}

// Fit solves the market of g (see the package documentation) from scratch
// and returns its potentials. It fails only when ctx is done or Progress
// returns an error; a fit that reaches MaxSweeps returns its last
// potentials with Stats.Converged false.
func Fit(ctx context.Context, g *Graph) (*Potentials, error) {
	s := newSolver(g)
	if err := s.run(ctx); err != nil {
		return nil, err
	}
	return s.potentials(), nil
}

// solver holds the state of a Fit. The potentials are kept as reference
// potentials u, v (in surplus units) and scaling ratios xa, xb: the current
// √μ_x0 of seeker i is exp(−u_i/2β)·xa_i. The kernels absorb the reference
// potentials,
//
//	ka_ij = exp((Φ_ij − u_i − v_j) / 2β)
//
// so that μ_ij = ka_ij·xa_i·xb_j and every stored number is of the order of
// a mass, whatever β.
type solver struct {
	g      *Graph
	cfg    Config
	beta   float64
	u, v   []float64
	xa, xb []float64
	next   []float64 // the A half-sweep's output
	ra, rb []float64 // exp(−u/β), exp(−v/β): unmatched masses at the reference
	ka, kb []float64 // kernels in pair order and in transposed order

	cutA, cutB         []int
	chunkRes, chunkDft []float64
	chunkRel           []bool
	gp, gq, gn         []float64 // per component: Σ μ_i0, Σ μ_0j, Σ n_i − Σ m_j

	// Per seeker, from its last half-sweep: the sum s of its kernel terms,
	// and its dominant pair (−1: none), one that holds more than half of its
	// mass.
	sumA     []float64
	domA     []int32
	starPtr  []int   // members of centre c: starMem[starPtr[c]:starPtr[c+1]]
	starMem  []int32 // scratch of star
	starFill []int
	starStep []float64 // e^τ per centre

	stats Stats
	start time.Time
}

func newSolver(g *Graph) *solver {
	s := &solver{g: g, cfg: g.cfg}
	S, J := len(g.seekers), len(g.jobs)
	s.u, s.v = make([]float64, S), make([]float64, J)
	s.xa, s.xb, s.next = make([]float64, S), make([]float64, J), make([]float64, S)
	s.ra, s.rb = make([]float64, S), make([]float64, J)
	s.ka, s.kb = make([]float64, len(g.col)), make([]float64, len(g.col))
	s.cutA, s.cutB = chunking(g.rowPtr), chunking(g.colPtr)
	n := max(len(s.cutA), len(s.cutB))
	s.chunkRes, s.chunkDft, s.chunkRel = make([]float64, n), make([]float64, n), make([]bool, n)
	s.gp, s.gq, s.gn = make([]float64, g.comps), make([]float64, g.comps), make([]float64, g.comps)
	s.sumA, s.domA = make([]float64, S), make([]int32, S)
	return s
}

func (s *solver) run(ctx context.Context) error {
	g := s.g
	s.start = time.Now()
	// Start unmatched: μ_x0 = n_x.
	s.beta = g.beta
	for i, n := range g.nMass {
		s.u[i], s.xa[i] = -s.beta*math.Log(n), 1
	}
	for j, m := range g.mMass {
		s.v[j], s.xb[j] = -s.beta*math.Log(m), 1
	}
	if len(g.col) == 0 {
		s.stats = Stats{Converged: true}
		return nil
	}
	return s.solve(ctx, s.cfg.MaxSweeps)
}

// solve runs sweeps until the residual is at most Tolerance or limit sweeps
// are done.
func (s *solver) solve(ctx context.Context, limit int) error {
	b, tol := s.beta, s.cfg.Tolerance
	s.absorb(b)
	omega := s.cfg.Relaxation
	adaptive := omega == 0
	if adaptive {
		omega = 1
	}
	// Adaptive relaxation (Hageman & Young): over each window of sweeps at
	// one ω, the residual's rate λ gives the Jacobi radius μ of the
	// linearised iteration through (λ + ω − 1)² = λ ω² μ², hence the
	// optimal ω = 2 / (1 + √(1 − μ²)); ω only grows, unless the residual
	// grows over a whole window, which halves ω − 1 and caps ω below the
	// value that failed.
	winStart, winRes := 0, math.NaN()
	ceiling := maxRelaxation // an ω whose window diverged is never reached again
	exactB := false          // the jobs' marginals hold exactly (after a plain B half-sweep)
	var res float64
	for done := 0; done < limit; done++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		resA, driftA, _ := s.half(true, omega)
		if exactB && resA <= tol {
			// The state before this half-sweep has converged: keep it.
			s.stats.Residual, s.stats.Converged = resA, true
			return nil
		}
		s.xa, s.next = s.next, s.xa
		if done%starEvery == 0 {
			s.star()
		}
		s.gauge()
		resB, driftB, relaxed := s.half(false, omega)
		exactB = !relaxed
		res = max(resA, resB)
		s.stats.Sweeps++
		s.stats.Residual = res
		if omega > 1 && res <= tol {
			omega, adaptive = 1, false // finish with plain sweeps, whose end state is exact on one side
		}
		if adaptive {
			switch w := done + 1 - winStart; {
			case w == 2:
				winRes = resA // skip the first sweep of a window: the change of ω
			case w == 2+relaxWindow:
				next := adaptOmega(omega, winRes, resA, relaxWindow)
				if next < omega {
					ceiling = omega
				}
				omega = min(next, 1+0.9*(ceiling-1))
				winStart = done + 1
			}
		}
		if max(driftA, driftB) > driftLimit {
			s.absorb(b)
			exactB = false
		}
		if s.cfg.Progress != nil {
			err := s.cfg.Progress(Progress{Sweep: s.stats.Sweeps, Residual: res, Relaxation: omega,
				Updated: len(s.xa) + len(s.xb), Elapsed: time.Since(s.start)})
			if err != nil {
				return fmt.Errorf("allocate: fit stopped by Progress: %w", err)
			}
		}
	}
	s.stats.Residual = res
	return nil
}

// gauge maximises the dual along the direction that shifts every seeker's
// potential of a connected component one way and every job's the other,
// which leaves every μ_ij unchanged and moves only the unmatched masses:
// with P = Σ μ_i0, Q = Σ μ_0j and Δ = Σ n_i − Σ m_j over the component,
// the step multiplies the seekers' √μ_i0 by e^t and the jobs' √μ_0j by
// e^−t with
//
//	X = e^{2t} solving P X² − Δ X − Q = 0.
//
// When nearly everyone is matched, P and Q are tiny and plain sweeps move
// along this direction very slowly (it is the slow mode of balanced
// markets); this exact line search removes it at O(participants).
func (s *solver) gauge() {
	g := s.g
	clear(s.gp)
	clear(s.gq)
	clear(s.gn)
	for i, c := range g.compA {
		s.gp[c] += s.ra[i] * s.xa[i] * s.xa[i]
		s.gn[c] += g.nMass[i]
	}
	for j, c := range g.compB {
		s.gq[c] += s.rb[j] * s.xb[j] * s.xb[j]
		s.gn[c] -= g.mMass[j]
	}
	for c := range s.gp {
		s.gp[c] = math.Exp(gaugeStep(s.gp[c], s.gq[c], s.gn[c])) // e^t
	}
	for i, c := range g.compA {
		s.xa[i] *= s.gp[c]
	}
	for j, c := range g.compB {
		s.xb[j] /= s.gp[c]
	}
}

// relaxWindow is the number of sweeps over which the adaptive relaxation
// measures the rate of convergence.
const relaxWindow = 6

// adaptOmega returns the relaxation for the next window given the current
// one and the residuals r0, r1 at the start and end of a window of w
// sweeps.
func adaptOmega(omega, r0, r1 float64, w int) float64 {
	if !(r0 > 0) || !(r1 >= 0) {
		return omega
	}
	lambda := math.Pow(r1/r0, 1/float64(w))
	switch {
	case lambda >= 1:
		if omega == 1 {
			return omega
		}
		return 1 + (omega-1)/2
	case lambda <= omega-1:
		return omega // complex regime: ω is at or past the optimum
	}
	mu2 := (lambda + omega - 1) * (lambda + omega - 1) / (lambda * omega * omega)
	if mu2 >= 1 {
		return maxRelaxation
	}
	return max(omega, min(maxRelaxation, 2/(1+math.Sqrt(1-mu2))))
}

// absorb folds the scaling ratios into the potentials and recomputes the
// kernels at temperature b.
func (s *solver) absorb(b float64) {
	g := s.g
	fold := func(u, x []float64) {
		for i := range u {
			u[i] -= 2 * s.beta * math.Log(x[i])
			x[i] = 1
		}
	}
	fold(s.u, s.xa)
	fold(s.v, s.xb)
	s.beta = b
	for i := range s.u {
		s.ra[i] = expClamp(-s.u[i] / b)
	}
	for j := range s.v {
		s.rb[j] = expClamp(-s.v[j] / b)
	}
	inv := 1 / (2 * b)
	forChunks(s.cfg.Workers, s.cutA, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			ui := s.u[i]
			for e := g.rowPtr[i]; e < g.rowPtr[i+1]; e++ {
				s.ka[e] = expClamp((g.phi[e] - ui - s.v[g.col[e]]) * inv)
			}
		}
	})
	forChunks(s.cfg.Workers, s.cutB, func(_, lo, hi int) {
		for t := g.colPtr[lo]; t < g.colPtr[hi]; t++ {
			s.kb[t] = s.ka[g.tperm[t]]
		}
	})
}

// expClamp is exp(min(x, 700)): kernels and masses stay finite.
func expClamp(x float64) float64 { return math.Exp(min(x, 700)) }

// half updates every seeker (a) or every job (!a) from the other side's
// ratios, with relaxation omega, and returns the largest relative residual
// before the update, the largest |ln x| after it, and whether any relaxed
// step was taken. Seekers are written to s.next, jobs in place.
func (s *solver) half(a bool, omega float64) (res, drift float64, relaxed bool) {
	g := s.g
	cuts, ptr, idx, k, mass, r, x, other, out := s.cutA, g.rowPtr, g.col, s.ka, g.nMass, s.ra, s.xa, s.xb, s.next
	if !a {
		cuts, ptr, idx, k, mass, r, x, other, out = s.cutB, g.colPtr, g.trow, s.kb, g.mMass, s.rb, s.xb, s.xa, s.xb
	}
	forChunks(s.cfg.Workers, cuts, func(c, lo, hi int) {
		var cres, cdrift float64
		crel := false
		for i := lo; i < hi; i++ {
			var sum, top float64
			best := int32(-1)
			kk, ii := k[ptr[i]:ptr[i+1]], idx[ptr[i]:ptr[i+1]]
			for e, kv := range kk {
				t := kv * other[ii[e]]
				sum += t
				if t > top {
					top, best = t, int32(e)
				}
			}
			n, ri, x0 := mass[i], r[i], x[i]
			cres = max(cres, math.Abs(n-ri*x0*x0-x0*sum)/n)
			xs := 2 * n / (sum + math.Sqrt(sum*sum+4*ri*n))
			if omega > 1 {
				var ok bool
				if xs, ok = relax(x0, xs, omega, n, ri, sum); ok {
					crel = true
				}
			}
			xs = min(max(xs, 1e-300), 1e300)
			if xs > 1e8 || xs < 1e-8 {
				cdrift = max(cdrift, math.Abs(math.Log(xs)))
			}
			out[i] = xs
			if a {
				if best >= 0 && 2*xs*top <= n {
					best = -1
				}
				s.sumA[i], s.domA[i] = sum, best
			}
		}
		s.chunkRes[c], s.chunkDft[c], s.chunkRel[c] = cres, cdrift, crel
	})
	for c := range len(cuts) - 1 {
		res, drift = max(res, s.chunkRes[c]), max(drift, s.chunkDft[c])
		relaxed = relaxed || s.chunkRel[c]
	}
	s.stats.Updates += int64(len(mass))
	s.stats.PairTerms += int64(len(idx))
	return res, drift, relaxed
}

// relax returns the over-relaxed step t0 + ω(t* − t0) in t = ln x, and
// true, when it does not lower the participant's term of the dual
//
//	F(t) = n·t − r·e^{2t}/2 − s·e^t
//
// (whose maximiser is the plain step x* = e^{t*}); otherwise x*, false.
func relax(x0, xs, omega, n, r, sum float64) (float64, bool) {
	t0, ts := math.Log(x0), math.Log(xs)
	t := t0 + omega*(ts-t0)
	x := math.Exp(t)
	if math.IsInf(x, 0) || x <= 0 {
		return xs, false
	}
	f0 := n*t0 - r*x0*x0/2 - sum*x0
	f := n*t - r*x*x/2 - sum*x
	if f >= f0 {
		return x, true
	}
	return xs, false
}

// potentials returns the fitted potentials by global index.
func (s *solver) potentials() *Potentials {
	g := s.g
	p := newPotentials(g)
	for i, ix := range g.seekers {
		p.u[ix] = s.u[i] - 2*s.beta*math.Log(s.xa[i])
	}
	for j, ix := range g.jobs {
		p.u[ix] = s.v[j] - 2*s.beta*math.Log(s.xb[j])
	}
	p.stats = s.stats
	return p
}

// newPotentials returns potentials at g's temperature with g's masses, every
// participant unmatched (ũ_x = −β ln n_x).
func newPotentials(g *Graph) *Potentials {
	p := &Potentials{surplus: g.cfg.Surplus, beta: g.beta,
		u: make([]float64, len(g.loc)), mass: make([]float64, len(g.loc))}
	set := func(ixs []uint32, ms []float64) {
		for k, ix := range ixs {
			p.mass[ix] = ms[k]
			p.u[ix] = -g.beta * math.Log(ms[k])
		}
	}
	set(g.seekers, g.nMass)
	set(g.jobs, g.mMass)
	set(g.isolated, g.isoMass)
	// Trim trailing absent indices, so the tables end at the last participant.
	n := len(p.mass)
	for n > 0 && p.mass[n-1] == 0 {
		n--
	}
	p.u, p.mass = slices.Clip(p.u[:n]), slices.Clip(p.mass[:n])
	return p
}

// star maximises the dual along the gauge direction of each star: a job c
// with the seekers M(c) whose dominant pair (more than half their mass,
// after the seekers' half-sweep) is with c. Shifting every member's √μ_x0
// by e^τ and c's √μ_0c by e^−τ leaves the star's pairs unchanged and moves
// only the unmatched masses and the pairs leaving the star; the derivative
// of the dual along it is
//
//	g(τ) = Σ n_x − m_c − P e^{2τ} − O e^τ + Q e^{−2τ} + C e^{−τ},
//
// with P = Σ μ_x0 and O the members' other pairs, Q = μ_0c and C c's pairs
// outside the star. A seeker almost entirely matched with one job (each
// other's best option) leaves plain sweeps a direction of almost no
// curvature, which they cross in tens of thousands of sweeps; this exact
// line search crosses it at once. Stars are disjoint (a seeker has one
// dominant pair); their steps are computed from the same state and applied
// together (the coupling between two stars is a pair leaving both, which
// also enters each one's curvature, so the joint step still ascends). It
// runs between the seekers' and the jobs' half-sweeps, while the seekers'
// sums are fresh.
func (s *solver) star() {
	g := s.g
	dom, sums, xm, rm, mm, ptrM, idxM, km := s.domA, s.sumA, s.xa, s.ra, g.nMass, g.rowPtr, g.col, s.ka
	ptrC, idxC, kc, xc, rc, mc, cuts := g.colPtr, g.trow, s.kb, s.xb, s.rb, g.mMass, s.cutB
	// Group the members by centre (counting sort, members ascending).
	nc := len(xc)
	if cap(s.starPtr) < nc+1 {
		s.starPtr = make([]int, nc+1)
	}
	ptr := s.starPtr[:nc+1]
	clear(ptr)
	count := 0
	for x, e := range dom {
		if e >= 0 {
			ptr[idxM[ptrM[x]+int(e)]+1]++
			count++
		}
	}
	if count == 0 {
		return
	}
	for c := range nc {
		ptr[c+1] += ptr[c]
	}
	if cap(s.starMem) < count {
		s.starMem = make([]int32, count)
	}
	mem := s.starMem[:count]
	fill := s.starFill[:0]
	fill = append(fill, ptr[:nc]...)
	for x, e := range dom {
		if e >= 0 {
			c := idxM[ptrM[x]+int(e)]
			mem[fill[c]] = int32(x)
			fill[c]++
		}
	}
	s.starFill = fill
	if cap(s.starStep) < nc {
		s.starStep = make([]float64, nc)
	}
	steps := s.starStep[:nc]
	forChunks(s.cfg.Workers, cuts, func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			if ptr[c] == ptr[c+1] {
				continue
			}
			yc := xc[c]
			var total float64 // Σ over c's pairs, fresh
			for t := ptrC[c]; t < ptrC[c+1]; t++ {
				total += kc[t] * xm[idxC[t]]
			}
			var dn, p, o, inStar float64
			for _, x := range mem[ptr[c]:ptr[c+1]] {
				kx := km[ptrM[x]+int(dom[x])]
				dn += mm[x]
				p += rm[x] * xm[x] * xm[x]
				o += xm[x] * (sums[x] - kx*yc)
				inStar += kx * xm[x]
			}
			dn -= mc[c]
			q := rc[c] * yc * yc
			out := yc * max(0, total-inStar)
			steps[c] = math.Exp(starStep(dn, p, o, q, out))
		}
	})
	// Apply after every step is known: the steps read the members of other
	// stars, so that they do not depend on the order of the stars.
	forChunks(s.cfg.Workers, cuts, func(_, lo, hi int) {
		for c := lo; c < hi; c++ {
			if ptr[c] == ptr[c+1] {
				continue
			}
			e := steps[c]
			for _, x := range mem[ptr[c]:ptr[c+1]] {
				xm[x] *= e
			}
			xc[c] /= e
		}
	})
}

// starStep returns the root τ of g(τ) = d − p e^{2τ} − o e^τ + q e^{−2τ} +
// c e^{−τ} (decreasing), by Newton's method kept inside a bracket, or 0
// when g has no root (a side with nothing to give).
func starStep(d, p, o, q, c float64) float64 {
	if !(p > 0) || !(q > 0 || c > 0) {
		return 0
	}
	g := func(t float64) (float64, float64) {
		a, b := math.Exp(t), math.Exp(-t)
		return d - p*a*a - o*a + q*b*b + c*b, -2*p*a*a - o*a - 2*q*b*b - c*b
	}
	lo, hi := -1.0, 1.0
	for v, _ := g(lo); v < 0 && lo > -700; v, _ = g(lo) {
		lo *= 2
	}
	for v, _ := g(hi); v > 0 && hi < 700; v, _ = g(hi) {
		hi *= 2
	}
	t := 0.0
	for range 60 {
		v, dv := g(t)
		if v > 0 {
			lo = t
		} else {
			hi = t
		}
		next := t - v/dv
		if !(next > lo && next < hi) {
			next = (lo + hi) / 2
		}
		if math.Abs(next-t) < 1e-13 {
			return next
		}
		t = next
	}
	return t
}
