// Package allocate is market-level allocation for two-way recommendation:
// transferable-utility (TU) matching of the candidate pairs of a whole
// market, solved by IPFP, as used for reciprocal recommendation by Tomita,
// Togashi, Hashizume & Ohsaka ("Fast and examination-agnostic reciprocal
// recommendation in matching markets", RecSys 2023). Pairwise scores cannot
// stop everyone chasing the same few; the equilibrium of the market prices
// each participant by how much others want it, and a request that ranks by
// the equilibrium's match mass steers attention toward capacity nobody else
// claims.
//
// A host builds the sparse bipartite [Graph] of recalled pairs (seeker,
// job, and both calibrated probabilities) with each participant's mass,
// runs [Fit] at Fit time, and applies the resulting [Potentials] at request
// time in O(candidates) with [Potentials.Score]. As the load moves (the
// exposure ledger fills jobs' capacity), [Graph.WithMasses] and [Refresh]
// update the potentials for a fraction of a Fit's cost.
//
// # The model
//
// Seekers i have masses n_i (how many matches each can take: 1), jobs j
// masses m_j (a job's answers per day, or what is left of it). A candidate
// pair (i, j) has a surplus Φ_ij computed from its two probabilities, p
// that the seeker acts on the job and q that the job answers the seeker
// ([Product]: Φ = p·q, the default; [Sum]: Φ = p + q, Tomita et al.'s).
// The Choo–Siow model with temperature β (Galichon & Salanié 2022) chooses
// the matching μ ≥ 0 that maximises
//
//	W(μ) = Σ_ij μ_ij Φ_ij − β (Σ_ij 2 μ_ij ln μ_ij + Σ_i μ_i0 ln μ_i0 + Σ_j μ_0j ln μ_0j)
//
// subject to the marginals
//
//	μ_i0 + Σ_j μ_ij = n_i,   μ_0j + Σ_i μ_ij = m_j,
//
// where μ_i0 and μ_0j are the unmatched masses and the sums run over the
// graph's pairs only. Its solution is
//
//	μ_ij = √(μ_i0 μ_0j) · exp(Φ_ij / 2β) = exp((Φ_ij − ũ_i − ũ_j) / 2β),
//
// with one potential per participant, ũ_x = −β ln μ_x0: the whole
// equilibrium is the vector ũ. The equilibrium utility of a unit of x's
// mass is U_x = ũ_x + β ln n_x = −β ln(μ_x0 / n_x) ≥ 0 ([Potentials.Utility]).
//
// # IPFP
//
// With A_i = √μ_i0, B_j = √μ_0j and K_ij = exp(Φ_ij / 2β) the marginals
// read n_i = A_i² + A_i Σ_j K_ij B_j, a quadratic in A_i given B, so
//
//	A_i ← 2 n_i / (s_i + √(s_i² + 4 n_i)),   s_i = Σ_j K_ij B_j,
//
// and symmetrically for B. Alternating the two half-sweeps is block
// coordinate ascent on the concave dual
//
//	D(a, b) = Σ_i n_i a_i + Σ_j m_j b_j − ½ Σ_i e^{2a_i} − ½ Σ_j e^{2b_j} − Σ_ij K_ij e^{a_i + b_j}
//
// (a = ln A, b = ln B), whose gradient is the marginal violation; it
// converges to the unique equilibrium. The form 2n/(s + √(s² + 4n)) has no
// cancellation when s ≫ √n (a participant almost surely matched).
//
// Plain IPFP is slow at small β: when nearly everyone is matched, the
// dual is almost flat along directions that move unmatched masses without
// moving pairs, and the sweeps crawl along them (a 10×5 market of the tests
// needed 43,885 sweeps to a tolerance of 1e-6 with the gauge steps below
// but not the star steps; 17 with both). Four things make it fast and safe:
//
//   - Absorption: the kernel stores exp((Φ_ij − ũ_i − ũ_j)/2β) for
//     reference potentials and the sweeps update ratios near 1, so nothing
//     overflows whatever Φ/β; a ratio that drifts past e^±20 is absorbed.
//   - Gauge steps: after the seekers' half-sweep, an exact line search per
//     connected component along the direction that raises every seeker's
//     potential and lowers every job's (it leaves every μ_ij unchanged and
//     solves a quadratic).
//   - Star steps: every second sweep, an exact line search per job along
//     the same kind of direction restricted to the job and the seekers who
//     hold more than half their mass with it (each other's best option: the
//     flat directions of the example above). Stars are disjoint, so the
//     searches run in parallel.
//   - Over-relaxation: each potential moves ω times the plain step in log
//     space, ω re-estimated every six sweeps from the observed rate
//     (Hageman & Young's (λ + ω − 1)² = λ ω² μ², then ω = 2/(1 + √(1 − μ²))),
//     unless that step would lower the participant's term
//     n t − r e^{2t}/2 − s e^t of the dual, in which case it takes the plain
//     step.
//
// Every step is exact maximisation along a direction, or a relaxed one
// that does not lower its term, so the dual rises. Temperature stages
// (ε-scaling, solving at 2^k β first) were measured and dropped: with these
// steps a single stage took fewer sweeps on every market tried (on the
// graph of synth.Large()'s size, 112 sweeps against 177 with ten stages).
// A fit stops when every marginal holds to Config.Tolerance relative to the
// participant's mass, measured on the returned potentials.
//
// # Temperature
//
// β = Config.Beta × the mean Φ over the graph's pairs. Scaling every
// probability by one factor scales Φ and β alike and leaves μ unchanged,
// so a recalibration of the one-way models does not move the allocation.
// As β → 0, μ approaches the assignment that maximises the total surplus,
// and a requester's order, that of Φ_rc − ũ_c, ranks by surplus net of the
// candidates' prices; as β grows, μ spreads over all pairs and the order
// tends to that of Φ.
//
// # Requests
//
// For requester r and candidates c, [Potentials.Score] returns
//
//	μ_rc = min(exp((Φ_rc − ũ_r − ũ_c) / 2β), n_r, n_c),
//
// the expected match mass of the pair; Φ comes from the request's forward
// and backward probabilities through [Potentials.Surplus] (both surpluses
// are symmetric, so requests from either side agree). A participant absent
// from the graph gets the neutral potential ũ = 0 of an unmatched
// participant of mass 1.
//
// # Refresh
//
// [Refresh] is mini-batch IPFP: starting from earlier potentials it updates
// exactly (in log space) the participants whose mass or pairs changed, then,
// round after round on alternating sides, only the partners of those whose
// potential moved by more than Tolerance·2β, so that a local change is
// solved locally. Once a change has spread to a quarter of a side it
// continues with full sweeps, warm-started. Recalled-pair graphs are well
// connected: on the graph of synth.Large()'s size (simulated), a change of
// 0.1% or 1% of the jobs' capacities reached most seekers within two rounds,
// and the refresh to 1e-6 cost about three quarters of a Fit (85 rounds and
// sweeps, 0.75 of a Fit's pair terms: the slow tail of the convergence, not
// the start, dominates the cost).
//
// # Wiring it into a host
//
// At Fit time, after the one-way models are fitted:
//
//  1. Build the graph of the pairs the host would recall: for every
//     seeker its recalled jobs, and for every job its recalled seekers
//     (a pair recalled from both sides may be added twice with the same
//     probabilities), each with Act = P(seeker acts on job) and Answer =
//     P(job answers seeker), both calibrated. Participants are the global
//     indices of the market.Dict.
//  2. SetMass: 1 for a seeker (a host may give a seeker more), a job's
//     capacity per period (answers a day, estimated or host-set). Unset
//     masses are 1.
//  3. Fit, store the Potentials beside the other fitted models (they are
//     immutable; persist them with WriteTo or AppendBinary).
//
// At request time, for requester r and its candidates c_k, with the
// request's own forward and backward probabilities: surplus[k] =
// pot.Surplus(forward[k], backward[k]), then pot.Score(r, candidates,
// surplus, dst): the expected match mass, for ranking or as a factor
// beside the two-way score. Candidates absent from the fitted graph get the
// neutral potential.
//
// As the exposure ledger fills a job's capacity, call Graph.WithMasses with
// the remaining capacity (floored at a small positive value) of the
// participants that moved, then Refresh from the current potentials and
// swap the result in; list in Refresh's changed argument the participants
// whose pairs changed. The next Fit starts over.
//
// # Determinism and cost
//
// Rows are cut into chunks by their pair counts, never by the number of
// workers, and every sum runs in pair order, so potentials are bit-identical
// for any Config.Workers. A sweep costs two passes over the pairs (one per
// side); memory is 20 bytes per pair for the graph and 16 more while a Fit
// runs. A request costs one exp per candidate.
//
// # Surplus and temperature chosen by measurement
//
// The defaults were chosen on the congested synthetic markets of Tomita et
// al. (package congested of the benchmarks module: uniform preferences
// mixed with a common popularity ramp by λ, examination probability 1/rank,
// a match when both like and both examine; 100×100 and 200×100, λ = 0, 0.5,
// 0.8), on validation seeds 101–105, never on the seeds it reports
// (simulated figures, `go run ./congested/cmd/congested -tuning`):
//
//   - Product beats Sum at every Beta from 0.03 to 0.2 on all six markets,
//     at the default 0.05 by up to 18% (56.63 against 48.10 expected
//     matches on 100×100, λ = 0.8; 72.73 against 65.55 on 200×100,
//     λ = 0.8). Only at the coldest Betas, 0.01 and 0.02, is Sum ahead, in
//     three cells of the 200×100 markets with λ ≤ 0.5, by at most 0.7%.
//   - Expected matches fall as Beta grows past 0.05 (200×100, λ = 0.8:
//     72.73 at 0.05, 68.65 at 0.1, 58.69 at 0.2) and gain at most 1.5%
//     below it (73.83 at 0.01), while a Fit of a graph the size of
//     internal/synth.Large() (10.5M pairs) to a tolerance of 1e-6 took 53
//     sweeps (5 s) at 0.1, 112 (15 s) at 0.05 and 498 (45 s) at 0.03 on
//     the 2-core machine of the project: 0.05 is the coldest temperature
//     that keeps that Fit within its 30-second budget.
//
// Against the other formulations (same validation seeds,
// `go run ./congested/cmd/congested -formulations`): the entropic
// optimal-transport allocation (Sinkhorn with capacity inequalities), which
// has the same shape of one potential per participant, is within 1.1% of TU
// matching either way on the six markets. The social-welfare formulation of
// Su, Bayoumi & Joachims (WWW 2022), which maximises the expected matches
// themselves over a stochastic ranking per participant (by Frank–Wolfe, as
// Tomita & Yokoyama 2024), makes 1.6% to 16.7% more (TU reaches 0.984 to
// 0.857 of it; least on the most congested market, 200×100, λ = 0.8), but
// not in a shape a request can use: it needs the examination model (1/rank
// here) and keeps a distribution over rankings of all candidates per
// participant (state per pair, optimised over whole candidate lists), so it
// cannot be applied in O(candidates) to candidates recalled after the fit,
// nor refreshed locally. TU matching needs one potential per participant
// and no examination model (Tomita et al.'s "examination-agnostic"), and is
// what this package ships.
package allocate
