package allocate

import (
	"context"
	"fmt"
	"math"
	"time"
)

// refreshChunk is the number of participants a worker takes at a time in a
// Refresh round.
const refreshChunk = 64

// refreshShare: once a round would update more than 1/refreshShare of a
// side, Refresh switches to full sweeps (warm-started, relaxed, with the
// gauge steps of a Fit), which cost less per participant than exact
// updates and converge faster than rounds on a market-wide change.
const refreshShare = 4

// Refresh re-solves the market of g starting from prev, the potentials of
// an earlier graph of the same market (mini-batch IPFP): it updates only
// the participants whose marginal may be violated, round after round, and
// costs the pairs of those participants instead of a Fit's sweeps over the
// whole graph.
//
// The first round takes the participants of g whose mass differs from
// prev's (the exposure ledger moved), those that prev does not know, and
// those listed in changed: the participants whose pairs changed, both ends
// of every pair added, removed or re-scored (indices not in g are
// ignored). Each round updates the participants of one side exactly (each
// one's marginal then holds, computed in log space), and the next round
// takes those of the other side whose partners' potentials moved by more
// than Tolerance (in units of 2β, so that every μ of theirs moved by less).
// Rounds stop when nobody is left. When a round would take more than a quarter of a side,
// or after RefreshRounds rounds, Refresh continues with full sweeps as a
// Fit's (relaxed, with the gauge and star steps, at most MaxSweeps),
// warm-started from the rounds' potentials. Stats counts rounds and sweeps together.
//
// Refresh keeps prev's temperature (a Fit recomputes it from the graph's
// mean surplus) and needs prev fitted with g's surplus ([ErrMismatch]
// otherwise). A nil prev is a Fit.
func Refresh(ctx context.Context, g *Graph, prev *Potentials, changed []uint32) (*Potentials, error) {
	if prev == nil {
		return Fit(ctx, g)
	}
	if prev.surplus != g.cfg.Surplus {
		return nil, fmt.Errorf("%w: potentials of surplus %v, graph of surplus %v", ErrMismatch, prev.surplus, g.cfg.Surplus)
	}
	start := time.Now()
	beta := prev.temp()
	S, J := len(g.seekers), len(g.jobs)
	u, v := make([]float64, S), make([]float64, J)
	activeA, activeB := make([]bool, S), make([]bool, J)
	init := func(ixs []uint32, ms, pot []float64, active []bool) {
		for k, ix := range ixs {
			if int(ix) < len(prev.mass) && prev.mass[ix] > 0 {
				pot[k] = prev.u[ix]
				active[k] = prev.mass[ix] != ms[k]
			} else {
				pot[k] = -beta * math.Log(ms[k])
				active[k] = true
			}
		}
	}
	init(g.seekers, g.nMass, u, activeA)
	init(g.jobs, g.mMass, v, activeB)
	for _, ix := range changed {
		if int(ix) >= len(g.loc) {
			continue
		}
		switch l := g.loc[ix]; l &^ locMask {
		case locSeeker:
			activeA[l&locMask] = true
		case locJob:
			activeB[l&locMask] = true
		}
	}
	var st Stats
	st.Converged = true
	moveTol := 2 * beta * g.cfg.Tolerance
	var list []int
	var res, moved []float64
	full := false
	seekers := true
	for idle := 0; idle < 2; seekers = !seekers {
		active, pot, other, mass := activeA, u, v, g.nMass
		if !seekers {
			active, pot, other, mass = activeB, v, u, g.mMass
		}
		list = list[:0]
		for k, a := range active {
			if a {
				list = append(list, k)
				active[k] = false
			}
		}
		if len(list) == 0 {
			idle++
			continue
		}
		idle = 0
		if st.Sweeps == g.cfg.RefreshRounds || len(list)*refreshShare > len(active) {
			// Rounds exhausted, or the change has reached a large share of
			// the market: full sweeps from here.
			for _, k := range list {
				active[k] = true
			}
			full = true
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res = append(res[:0], make([]float64, len(list))...)
		moved = append(moved[:0], make([]float64, len(list))...)
		cuts := make([]int, 0, len(list)/refreshChunk+2)
		for c := 0; c < len(list); c += refreshChunk {
			cuts = append(cuts, c)
		}
		cuts = append(cuts, len(list))
		terms := make([]int64, len(cuts))
		forChunks(g.cfg.Workers, cuts, func(c, lo, hi int) {
			for q := lo; q < hi; q++ {
				k := list[q]
				var nu, r float64
				if seekers {
					nu, r = exactUpdate(mass[k], pot[k], beta, g.phi[g.rowPtr[k]:g.rowPtr[k+1]], g.col[g.rowPtr[k]:g.rowPtr[k+1]], nil, other)
				} else {
					nu, r = exactUpdate(mass[k], pot[k], beta, g.phi, g.trow[g.colPtr[k]:g.colPtr[k+1]], g.tperm[g.colPtr[k]:g.colPtr[k+1]], other)
				}
				res[q], moved[q] = r, math.Abs(nu-pot[k])
				pot[k] = nu
				if seekers {
					terms[c] += int64(g.rowPtr[k+1] - g.rowPtr[k])
				} else {
					terms[c] += int64(g.colPtr[k+1] - g.colPtr[k])
				}
			}
		})
		st.Sweeps++
		st.Updates += int64(len(list))
		st.Residual = 0
		for q, k := range list {
			st.Residual = max(st.Residual, res[q])
			if moved[q] <= moveTol {
				continue
			}
			if seekers {
				for e := g.rowPtr[k]; e < g.rowPtr[k+1]; e++ {
					activeB[g.col[e]] = true
				}
			} else {
				for t := g.colPtr[k]; t < g.colPtr[k+1]; t++ {
					activeA[g.trow[t]] = true
				}
			}
		}
		for _, t := range terms {
			st.PairTerms += t
		}
		if g.cfg.Progress != nil {
			err := g.cfg.Progress(Progress{Sweep: st.Sweeps, Residual: st.Residual,
				Relaxation: 1, Updated: len(list), Elapsed: time.Since(start)})
			if err != nil {
				return nil, fmt.Errorf("allocate: refresh stopped by Progress: %w", err)
			}
		}
	}
	if full && len(g.col) > 0 {
		s := newSolver(g)
		copy(s.u, u)
		copy(s.v, v)
		for i := range s.xa {
			s.xa[i] = 1
		}
		for j := range s.xb {
			s.xb[j] = 1
		}
		s.beta, s.start = beta, start
		s.stats = st
		s.stats.Converged = false
		if err := s.solve(ctx, g.cfg.MaxSweeps); err != nil {
			return nil, err
		}
		p := s.potentials()
		p.beta = beta
		for _, iso := range g.isolated {
			p.u[iso] = -beta * math.Log(p.mass[iso])
		}
		return p, nil
	}
	p := newPotentials(g)
	p.beta = beta
	for _, iso := range g.isolated {
		p.u[iso] = -beta * math.Log(p.mass[iso])
	}
	for i, ix := range g.seekers {
		p.u[ix] = u[i]
	}
	for j, ix := range g.jobs {
		p.u[ix] = v[j]
	}
	p.stats = st
	return p, nil
}

// exactUpdate returns the potential that makes one participant's marginal
// hold exactly given its partners' potentials, computed in log space,
//
//	ln s = ln Σ_y exp((Φ_xy − ũ_y) / 2β),  √μ_x0 = 2n / (s + √(s² + 4n)),
//
// and the relative residual of the old potential u0. The pairs are phi[k]
// with partner idx[k], or phi[perm[k]] when perm is not nil.
func exactUpdate(n, u0, beta float64, phi []float64, idx []uint32, perm []uint32, other []float64) (u, res float64) {
	inv := 1 / (2 * beta)
	at := func(k int) float64 {
		if perm != nil {
			return (phi[perm[k]] - other[idx[k]]) * inv
		}
		return (phi[k] - other[idx[k]]) * inv
	}
	m := math.Inf(-1)
	for k := range idx {
		m = max(m, at(k))
	}
	logS := math.Inf(-1)
	if !math.IsInf(m, -1) {
		var sum float64
		for k := range idx {
			sum += math.Exp(at(k) - m)
		}
		logS = m + math.Log(sum)
	}
	// Residual of u0: n − μ_x0 − Σ_y μ_xy, with Σ_y μ_xy = exp(ln s − u0/2β).
	res = math.Abs(n-math.Exp(-u0/beta)-math.Exp(logS-u0*inv)) / n
	if math.IsNaN(res) || res > math.MaxFloat64 {
		res = math.MaxFloat64
	}
	var logX float64 // ln √μ_x0
	switch {
	case math.IsInf(logS, -1):
		logX = 0.5 * math.Log(n)
	case logS > 0.5*math.Log(4*n):
		w := math.Exp(math.Log(4*n) - 2*logS) // 4n/s² < 1
		logX = math.Log(2*n) - logS - math.Log(1+math.Sqrt(1+w))
	default:
		s := math.Exp(logS)
		logX = math.Log(2 * n / (s + math.Sqrt(s*s+4*n)))
	}
	return -2 * beta * logX, res
}

// gaugeStep returns t, the exact maximiser of the dual along a gauge
// direction: the seekers' √μ_i0 times e^t, the jobs' √μ_0j times e^−t, with
// P = Σ μ_i0, Q = Σ μ_0j and Δ = Σ n_i − Σ m_j; X = e^{2t} solves
// P X² − Δ X − Q = 0. It returns 0 when P or Q is 0.
func gaugeStep(p, q, d float64) float64 {
	if !(p > 0) || !(q > 0) || math.IsInf(p, 0) || math.IsInf(q, 0) {
		return 0
	}
	root := math.Sqrt(d*d + 4*p*q)
	var x float64
	if d >= 0 {
		x = (d + root) / (2 * p)
	} else {
		x = 2 * q / (root - d)
	}
	return 0.5 * math.Log(x)
}
