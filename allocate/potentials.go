package allocate

import "math"

// Potentials are the fitted dual variables of a market, one per
// participant, and what a request needs to apply them: the temperature and
// the surplus. They are immutable and safe for concurrent use; refresh by
// building new ones ([Refresh]) and swapping a pointer.
//
// A participant that was not in the fitted graph has the neutral potential
// of a participant of mass 1 whom nobody competes for: ũ = 0, μ_x0 = 1,
// Utility 0, Matched 0. The zero Potentials are those of an empty market at
// temperature 1.
type Potentials struct {
	surplus Surplus
	beta    float64
	u       []float64 // ũ_x = −β ln μ_x0, by global index
	mass    []float64 // n_x by global index; 0: absent
	stats   Stats
}

// temp returns β (1 for the zero Potentials).
func (p *Potentials) temp() float64 {
	if p.beta > 0 {
		return p.beta
	}
	return 1
}

// at returns x's potential and mass, neutral when x is absent.
func (p *Potentials) at(x uint32) (u, n float64) {
	if int(x) < len(p.mass) && p.mass[x] > 0 {
		return p.u[x], p.mass[x]
	}
	return 0, 1
}

// Score writes to dst, for each candidate c of requester r, the expected
// match mass of the pair in the fitted market,
//
//	μ_rc = exp((Φ_rc − ũ_r − ũ_c) / 2β), capped at min(n_r, n_c),
//
// where surplus[k] is Φ of (r, candidates[k]) (from [Potentials.Surplus]),
// and returns dst. It reuses dst's storage when it is large enough; it
// panics when surplus and candidates differ in length. The cost is
// O(len(candidates)): two table look-ups and one exp each.
//
// For a pair of the fitted graph, μ_rc is the pair's mass in the
// equilibrium: Σ_c μ_rc + μ_r0 = n_r, so with n_r = 1 it is the probability
// that r's match, if any, is c, and ranking by it steers r toward the
// candidates whose capacity others do not already claim. For any other pair
// it is the mass the pair would get at the fitted prices (exact to first
// order in μ_rc). Within one request ũ_r is constant, so the order is that
// of the pair's surplus net of the candidate's price, Φ_rc − ũ_c.
//
// A NaN surplus scores 0 (the score of a pair that cannot match), and so
// does −Inf; +Inf scores the cap. Scores are never NaN.
func (p *Potentials) Score(requester uint32, candidates []uint32, surplus []float64, dst []float64) []float64 {
	if len(surplus) != len(candidates) {
		panic("allocate: Score: surplus and candidates differ in length")
	}
	if cap(dst) < len(candidates) {
		dst = make([]float64, len(candidates))
	}
	dst = dst[:len(candidates)]
	ur, nr := p.at(requester)
	inv := 1 / (2 * p.temp())
	for k, c := range candidates {
		phi := surplus[k]
		uc, nc := p.at(c)
		if math.IsNaN(phi) {
			dst[k] = 0
			continue
		}
		dst[k] = min(math.Exp((phi-ur-uc)*inv), nr, nc)
	}
	return dst
}

// Surplus returns Φ(forward, backward) with the fitted surplus, for a
// request from either side: forward is the requester's calibrated
// probability of acting on the candidate, backward the candidate's of
// answering. Probabilities are clamped to [0, 1]; NaN, and a value below
// [MinProbability], count as 0.
func (p *Potentials) Surplus(forward, backward float64) float64 {
	clamp := func(v float64) float64 {
		if math.IsNaN(v) {
			return 0
		}
		return floorProbability(min(max(v, 0), 1))
	}
	return p.surplus.Of(clamp(forward), clamp(backward))
}

// Kind returns the fitted surplus.
func (p *Potentials) Kind() Surplus { return p.surplus }

// Temperature returns the fitted β.
func (p *Potentials) Temperature() float64 { return p.temp() }

// Potential returns ũ_x = −β ln μ_x0, the dual variable of x's marginal (0
// when x is absent).
func (p *Potentials) Potential(x uint32) float64 {
	u, _ := p.at(x)
	return u
}

// Utility returns x's equilibrium utility per unit of mass,
//
//	U_x = −β ln(μ_x0 / n_x) ≥ 0,
//
// the share of surplus x commands: 0 for a participant nobody competes
// for, large for one many want (0 when x is absent).
func (p *Potentials) Utility(x uint32) float64 {
	u, n := p.at(x)
	return max(0, u+p.temp()*math.Log(n))
}

// Unmatched returns μ_x0 = exp(−ũ_x/β), x's expected unmatched mass (1
// when x is absent).
func (p *Potentials) Unmatched(x uint32) float64 {
	u, n := p.at(x)
	return min(n, math.Exp(-u/p.temp()))
}

// Matched returns n_x − μ_x0, x's expected number of matches in the
// fitted market (0 when x is absent).
func (p *Potentials) Matched(x uint32) float64 {
	_, n := p.at(x)
	return n - p.Unmatched(x)
}

// Mass returns x's mass in the fitted graph, or 0 when x is absent.
func (p *Potentials) Mass(x uint32) float64 {
	if int(x) < len(p.mass) {
		return p.mass[x]
	}
	return 0
}

// Len returns one more than the largest participant index with a
// potential (0 for empty potentials).
func (p *Potentials) Len() int { return len(p.mass) }

// Stats returns how the fit that made p ended.
func (p *Potentials) Stats() Stats { return p.stats }
