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
// Three things make it fast and safe at small β:
//
//   - Temperature stages (ε-scaling): β_k = β·2^k, from the first at or
//     above the largest Φ down to β, each solved to 10⁻³ and warm-starting
//     the next with the potentials ũ held fixed.
//   - Absorption: the kernel stores exp((Φ_ij − ũ_i − ũ_j)/2β) for
//     reference potentials and the sweeps update ratios near 1, so nothing
//     overflows whatever Φ/β; a ratio that drifts past e^±20 is absorbed.
//   - Over-relaxation: each potential moves ω times the plain step in
//     log space, ω from Young's formula 2/(1 + √(1 − ρ)) with ρ the rate of
//     the first plain sweeps of the stage, unless that step would lower the
//     participant's term n t − r e^{2t}/2 − s e^t of the dual, in which
//     case it takes the plain step; so the dual never decreases.
//
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
// potential moved by more than Tolerance·2β. A job's mass change touches its
// column, its partners' rows and whatever moves beyond; the unaffected rest
// of the market is never read.
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
//   - Product beats Sum at every Beta from 0.01 to 0.2 on all six markets
//     (at Beta 0.05: 72.73 against 65.55 expected matches on 200×100,
//     λ = 0.8; 56.63 against 48.10 on 100×100, λ = 0.8).
//   - Expected matches fall as Beta grows past 0.05 (200×100, λ = 0.8:
//     72.73 at 0.05, 68.65 at 0.1, 58.69 at 0.2) and gain at most 1.5%
//     below it (73.83 at 0.01), while a Fit of a graph the size of
//     internal/synth.Large() (10.5M pairs) needs 87 sweeps at 0.1, 153 at
//     0.05 and 298 at 0.03 to a tolerance of 1e-6: 0.05 is the coldest
//     temperature that keeps that Fit within its budget.
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
