// Package congested measures market-level allocation on the congested
// synthetic markets of Tomita, Togashi, Hashizume & Ohsaka ("Fast and
// examination-agnostic reciprocal recommendation in matching markets",
// RecSys 2023; the protocol as in the authors' code,
// CyberAgentAILab/FairReciprocalRecommendation, src/market.py). Every figure
// it produces is simulated.
//
// # Protocol
//
// A market has S seekers and J jobs. Seeker i likes job j with probability
//
//	p_ij = clip((1 − λ)·U_ij + λ·(1 − j/(J−1)), 0, 1),   U_ij ~ uniform(0, 1),
//
// and job j likes seeker i with q_ji, drawn the same way with the ramp over
// seekers: a common popularity ramp (participant 0 most popular) mixed in
// by λ, so that λ = 0 is idiosyncratic taste and λ = 0.8 a market where
// everyone wants the same few. A recommender gives every participant a
// ranking of the whole other side; each examines the candidate at rank r
// with probability v(r) = 1/r. A match needs both to examine each other and
// both to like each other, so the expected number of matches is
//
//	E[matches] = Σ_ij p_ij·e_ij·q_ji·e_ji,   e_ij = E[v(rank of j in i's list)].
//
// # Contenders
//
//   - One-way: each ranks the other side by its own preference.
//   - Product: each ranks by p_ij·q_ji, the probability that both like.
//   - TU (paper): the TU matching of Tomita et al., implemented here from
//     the paper, independently of the library: Φ = p + q, β = 1, unit
//     masses, dense IPFP to 1e-9, each participant ranks by μ.
//   - Library: package allocate's Fit on the complete graph (both
//     probabilities per pair, unit masses), each participant ranking its
//     candidates by Potentials.Score.
//
// For the choice of formulation, [Formulations] also measures the
// social-welfare optimum of Su, Bayoumi & Joachims (WWW 2022), maximised by
// Frank–Wolfe over stochastic rankings (Tomita & Yokoyama, RecSys 2024),
// and an entropic optimal-transport (Sinkhorn) allocation with capacity
// inequalities.
package congested

import (
	"cmp"
	"math/rand/v2"
	"slices"
)

// Market is one congested market.
type Market struct {
	Seekers, Jobs int
	// Like[i][j] is p_ij, the probability that seeker i likes job j.
	Like [][]float64
	// LikeBack[j][i] is q_ji, the probability that job j likes seeker i.
	LikeBack [][]float64
}

// Generate draws the market of the protocol for the given sizes, λ and
// seed (math/rand/v2 PCG; the seekers' preferences first, row by row, then
// the jobs').
func Generate(seekers, jobs int, lambda float64, seed uint64) *Market {
	r := rand.New(rand.NewPCG(seed, 0xc0a6e57ed))
	ramp := func(k, n int) float64 {
		if n == 1 {
			return 1
		}
		return 1 - float64(k)/float64(n-1)
	}
	draw := func(rows, cols int) [][]float64 {
		out := make([][]float64, rows)
		for a := range out {
			out[a] = make([]float64, cols)
			for b := range out[a] {
				out[a][b] = min(1, max(0, (1-lambda)*r.Float64()+lambda*ramp(b, cols)))
			}
		}
		return out
	}
	m := &Market{Seekers: seekers, Jobs: jobs}
	m.Like = draw(seekers, jobs)
	m.LikeBack = draw(jobs, seekers)
	return m
}

// Examination is a policy's examination probabilities: Seekers[i][j] is
// e_ij, the probability that seeker i examines job j, and Jobs[j][i] the
// probability that job j examines seeker i.
type Examination struct {
	Seekers, Jobs [][]float64
}

// ExpectedMatches returns Σ_ij p_ij·e_ij·q_ji·e_ji.
func (m *Market) ExpectedMatches(e Examination) float64 {
	var sum float64
	for i := range m.Seekers {
		for j := range m.Jobs {
			sum += m.Like[i][j] * e.Seekers[i][j] * m.LikeBack[j][i] * e.Jobs[j][i]
		}
	}
	return sum
}

// examine returns the examination probabilities 1/rank of rankings by
// score, highest first (ties by index).
func examine(score [][]float64) [][]float64 {
	out := make([][]float64, len(score))
	idx := []int{}
	for a, row := range score {
		idx = idx[:0]
		for b := range row {
			idx = append(idx, b)
		}
		slices.SortFunc(idx, func(x, y int) int { return cmp.Or(cmp.Compare(row[y], row[x]), cmp.Compare(x, y)) })
		out[a] = make([]float64, len(row))
		for rank, b := range idx {
			out[a][b] = 1 / float64(rank+1)
		}
	}
	return out
}

// byScore is the policy in which seekers rank jobs by seeker[i][j] and jobs
// rank seekers by job[j][i].
func byScore(seeker, job [][]float64) Examination {
	return Examination{Seekers: examine(seeker), Jobs: examine(job)}
}

// transpose returns the J×S transpose of an S×J matrix.
func transpose(a [][]float64) [][]float64 {
	if len(a) == 0 {
		return nil
	}
	out := make([][]float64, len(a[0]))
	for j := range out {
		out[j] = make([]float64, len(a))
		for i := range a {
			out[j][i] = a[i][j]
		}
	}
	return out
}
