package congested

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/twowayrec/twoway/allocate"
)

// Method is a contender: it turns a market into a policy.
type Method struct {
	Name   string
	Policy func(m *Market) (Examination, error)
}

// OneWay ranks by one's own preference only.
func OneWay() Method {
	return Method{Name: "one-way", Policy: func(m *Market) (Examination, error) {
		return byScore(m.Like, m.LikeBack), nil
	}}
}

// Product ranks by p_ij·q_ji.
func Product() Method {
	return Method{Name: "product", Policy: func(m *Market) (Examination, error) {
		s := make([][]float64, m.Seekers)
		for i := range s {
			s[i] = make([]float64, m.Jobs)
			for j := range s[i] {
				s[i][j] = m.Like[i][j] * m.LikeBack[j][i]
			}
		}
		return byScore(s, transpose(s)), nil
	}}
}

// ErrNotConverged is returned by the paper's IPFP when it does not reach
// its tolerance within its iterations (the authors' code raises then too).
var ErrNotConverged = errors.New("congested: IPFP did not converge")

// PaperTUMatching returns the equilibrium μ (S×J) of the paper's TU
// matching: Choo–Siow with Φ_ij = p_ij + q_ji, scale β, unit masses,
// solved by the paper's IPFP
//
//	A ← √(1 + (KB/2)²) − KB/2,   B ← √(1 + (KᵀA/2)²) − KᵀA/2,   K = exp(Φ/2β),
//
// from A = B = 1, stopping when the largest step and the largest marginal
// violation are both below 1e-9 (at most maxit iterations).
func PaperTUMatching(m *Market, beta float64, maxit int) ([][]float64, error) {
	S, J := m.Seekers, m.Jobs
	K := make([][]float64, S)
	for i := range K {
		K[i] = make([]float64, J)
		for j := range K[i] {
			K[i][j] = math.Exp((m.Like[i][j] + m.LikeBack[j][i]) / (2 * beta))
		}
	}
	A, B := make([]float64, S), make([]float64, J)
	for i := range A {
		A[i] = 1
	}
	for j := range B {
		B[j] = 1
	}
	mu := make([][]float64, S)
	for i := range mu {
		mu[i] = make([]float64, J)
	}
	for range maxit {
		var step float64
		for i := range S {
			var kb float64
			for j := range J {
				kb += K[i][j] * B[j]
			}
			h := kb / 2
			a := math.Sqrt(1+h*h) - h
			step = max(step, math.Abs(a-A[i]))
			A[i] = a
		}
		for j := range J {
			var ka float64
			for i := range S {
				ka += K[i][j] * A[i]
			}
			h := ka / 2
			b := math.Sqrt(1+h*h) - h
			step = max(step, math.Abs(b-B[j]))
			B[j] = b
		}
		var valdiff float64
		colSum := make([]float64, J)
		for i := range S {
			var rowSum float64
			for j := range J {
				mu[i][j] = K[i][j] * A[i] * B[j]
				rowSum += mu[i][j]
				colSum[j] += mu[i][j]
			}
			valdiff = max(valdiff, math.Abs(1-rowSum-A[i]*A[i]))
		}
		for j := range J {
			valdiff = max(valdiff, math.Abs(1-colSum[j]-B[j]*B[j]))
		}
		if step < 1e-9 && valdiff < 1e-9 {
			return mu, nil
		}
	}
	return nil, fmt.Errorf("%w in %d iterations", ErrNotConverged, maxit)
}

// PaperTU is the paper's TU method: β = 1 (the authors' default), each
// participant ranks by μ.
func PaperTU() Method {
	return Method{Name: "TU (paper)", Policy: func(m *Market) (Examination, error) {
		mu, err := PaperTUMatching(m, 1, 10000)
		if err != nil {
			return Examination{}, err
		}
		return byScore(mu, transpose(mu)), nil
	}}
}

// LibraryGraph builds the allocate graph of a market: seekers are indices
// 0 … S−1, jobs S … S+J−1, every pair with Act = p_ij and Answer = q_ji,
// unit masses.
func LibraryGraph(m *Market, cfg allocate.Config) (*allocate.Graph, error) {
	b, err := allocate.NewBuilder(cfg)
	if err != nil {
		return nil, err
	}
	for i := range m.Seekers {
		for j := range m.Jobs {
			err := b.Add(allocate.Pair{Seeker: uint32(i), Job: uint32(m.Seekers + j), Act: m.Like[i][j], Answer: m.LikeBack[j][i]})
			if err != nil {
				return nil, err
			}
		}
	}
	return b.Build()
}

// LibraryScores fits the library on the market and returns the scores each
// side ranks by: seeker[i][j] from seeker i's request, job[j][i] from job
// j's, both through Potentials.Score as a request would.
func LibraryScores(m *Market, cfg allocate.Config) (seeker, job [][]float64, st allocate.Stats, err error) {
	g, err := LibraryGraph(m, cfg)
	if err != nil {
		return nil, nil, st, err
	}
	p, err := allocate.Fit(context.Background(), g)
	if err != nil {
		return nil, nil, st, err
	}
	jobs := make([]uint32, m.Jobs)
	for j := range jobs {
		jobs[j] = uint32(m.Seekers + j)
	}
	seekers := make([]uint32, m.Seekers)
	for i := range seekers {
		seekers[i] = uint32(i)
	}
	seeker, job = make([][]float64, m.Seekers), make([][]float64, m.Jobs)
	phi := make([]float64, max(m.Seekers, m.Jobs))
	for i := range m.Seekers {
		for j := range m.Jobs {
			phi[j] = p.Surplus(m.Like[i][j], m.LikeBack[j][i])
		}
		seeker[i] = p.Score(uint32(i), jobs, phi[:m.Jobs], nil)
	}
	for j := range m.Jobs {
		for i := range m.Seekers {
			phi[i] = p.Surplus(m.LikeBack[j][i], m.Like[i][j]) // the job's forward, the seeker's backward
		}
		job[j] = p.Score(uint32(m.Seekers+j), seekers, phi[:m.Seekers], nil)
	}
	return seeker, job, p.Stats(), nil
}

// Library is package allocate with cfg: Fit on the complete graph, each
// participant ranking by Potentials.Score.
func Library(name string, cfg allocate.Config) Method {
	return Method{Name: name, Policy: func(m *Market) (Examination, error) {
		s, j, _, err := LibraryScores(m, cfg)
		if err != nil {
			return Examination{}, err
		}
		return byScore(s, j), nil
	}}
}

// SocialWelfare maximises the expected matches themselves (the
// social-welfare objective of Su, Bayoumi & Joachims, WWW 2022) over
// stochastic rankings, by alternating Frank–Wolfe steps as Tomita &
// Yokoyama (RecSys 2024): the gradient of E[matches] in job j's examination
// of seeker i is p_ij·e_ij·q_ji, and the linear maximisation over j's
// stochastic rankings is solved exactly by ranking seekers by it (the
// examination weights 1/r decrease), so each step mixes that ranking in
// with weight lr. It starts from the product ranking and needs the
// examination model (1/r) to be known; its policy is a distribution over
// rankings per participant, not one potential each.
func SocialWelfare(iterations int, lr float64) Method {
	return Method{Name: "SW (Su et al. objective, Frank–Wolfe)", Policy: func(m *Market) (Examination, error) {
		e, _ := Product().Policy(m)
		gS, gJ := make([][]float64, m.Seekers), make([][]float64, m.Jobs)
		for i := range gS {
			gS[i] = make([]float64, m.Jobs)
		}
		for j := range gJ {
			gJ[j] = make([]float64, m.Seekers)
		}
		mix := func(dst, step [][]float64) {
			for a := range dst {
				for b := range dst[a] {
					dst[a][b] = (1-lr)*dst[a][b] + lr*step[a][b]
				}
			}
		}
		for range iterations {
			for j := range m.Jobs {
				for i := range m.Seekers {
					gJ[j][i] = m.Like[i][j] * e.Seekers[i][j] * m.LikeBack[j][i]
				}
			}
			mix(e.Jobs, examine(gJ))
			for i := range m.Seekers {
				for j := range m.Jobs {
					gS[i][j] = m.Like[i][j] * e.Jobs[j][i] * m.LikeBack[j][i]
				}
			}
			mix(e.Seekers, examine(gS))
		}
		return e, nil
	}}
}

// Sinkhorn is the entropic optimal-transport allocation with capacity
// inequalities: μ = diag(a)·K·diag(b) with K = exp(Φ/β), Φ = p·q, β =
// betaRel × mean Φ, maximising Σ μΦ + β·H(μ) subject to Σ_j μ_ij ≤ 1 and
// Σ_i μ_ij ≤ 1, solved by Sinkhorn's iterations with the KL projections on
// the inequalities (a_i = min(1, 1/(Kb)_i), likewise b); each participant
// ranks by μ. Like TU matching it has one potential per participant; unlike
// it, a participant has no unmatched option inside the entropy.
func Sinkhorn(betaRel float64, iterations int) Method {
	return Method{Name: fmt.Sprintf("Sinkhorn OT (β = %g × mean Φ)", betaRel), Policy: func(m *Market) (Examination, error) {
		S, J := m.Seekers, m.Jobs
		var mean float64
		K := make([][]float64, S)
		for i := range K {
			K[i] = make([]float64, J)
			for j := range K[i] {
				K[i][j] = m.Like[i][j] * m.LikeBack[j][i]
				mean += K[i][j]
			}
		}
		beta := betaRel * mean / float64(S*J)
		// Work in log space: log μ_ij = Φ_ij/β + f_i + g_j.
		f, g := make([]float64, S), make([]float64, J)
		lse := func(vals func(k int) float64, n int) float64 {
			mx := math.Inf(-1)
			for k := range n {
				mx = max(mx, vals(k))
			}
			var s float64
			for k := range n {
				s += math.Exp(vals(k) - mx)
			}
			return mx + math.Log(s)
		}
		for range iterations {
			for i := range S {
				f[i] = min(0, -lse(func(j int) float64 { return K[i][j]/beta + g[j] }, J))
			}
			for j := range J {
				g[j] = min(0, -lse(func(i int) float64 { return K[i][j]/beta + f[i] }, S))
			}
		}
		mu := make([][]float64, S)
		for i := range mu {
			mu[i] = make([]float64, J)
			for j := range mu[i] {
				mu[i][j] = K[i][j]/beta + f[i] + g[j] // log μ: same order
			}
		}
		return byScore(mu, transpose(mu)), nil
	}}
}
