package twoway

import (
	"context"
	"fmt"
	"math"

	"github.com/kelindar/bitmap"

	"github.com/twowayrec/twoway/allocate"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/recall"
)

// AllocationConfig configures the market-level reranker (package allocate:
// TU matching by IPFP over the graph of recalled pairs).
type AllocationConfig struct {
	// On turns the reranker on: each Fit builds the graph of every active
	// participant's recalled candidates (Candidates each, both
	// directions' calibrated matches) with the participants' capacities
	// as masses, fits the potentials, and requests rank by the expected
	// match mass of each pair at those prices instead of the two-way
	// match alone. Zero (false): off.
	On bool `json:"on"`
	// Candidates is how many recalled candidates of each participant
	// enter the graph. Zero: 50.
	Candidates int `json:"candidates"`
	// Allocate configures the fit (surplus, temperature, tolerance).
	Allocate allocate.Config `json:"allocate"`
}

// allocation fits st's market potentials (AllocationConfig) over the pairs
// recall finds for every active participant, scored by st's models.
func (e *Engine) allocation(ctx context.Context, st *state, profiles []market.Profile, removed []bool) error {
	ac := e.cfg.Allocation
	if !ac.On || st.interest == nil {
		return nil
	}
	k := ac.Candidates
	if k == 0 {
		k = 50
	}
	b, err := allocate.NewBuilder(ac.Allocate)
	if err != nil {
		return fmt.Errorf("%w: Allocation.Allocate: %w", ErrConfig, err)
	}
	var buf match.Buffer
	added := map[uint64]bool{} // seeker<<32 | job: each pair once, as the seeker's request scores it
	for i, p := range profiles {
		if p.ID == "" || removed[i] || p.Inactive {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		ix := uint32(i)
		allowed, err := e.pop.Mask(nil, recall.Filter{Requester: ix, Side: p.Side, ActiveOnly: true})
		if err != nil {
			return err
		}
		cands := e.allocationCandidates(ctx, st, ix, p.Side, k, allowed)
		if len(cands) == 0 {
			continue
		}
		var fwd, bwd []float64
		if p.Side == market.Seeker {
			fwd = st.forwardMatch(nil, &buf, nil, ix, cands)
			bwd = st.backwardMatch(nil, &buf, nil, ix, cands)
		}
		for j, c := range cands {
			pair := allocate.Pair{Seeker: ix, Job: c}
			if p.Side == market.Recruiter {
				pair.Seeker, pair.Job = c, ix
			}
			key := uint64(pair.Seeker)<<32 | uint64(pair.Job)
			if added[key] {
				continue
			}
			added[key] = true
			if p.Side == market.Seeker {
				pair.Act, pair.Answer = fwd[j], bwd[j]
			} else {
				// A pair recalled by the job: the same two directions as the
				// seeker's request would score them.
				pair.Act, pair.Answer = st.interest.OneWay(c, ix), st.interest.OneWayAnswer(ix, c)
			}
			if err := b.Add(pair); err != nil {
				return fmt.Errorf("twoway: fit: allocation: %w", err)
			}
		}
		if p.Side == market.Recruiter {
			c := st.capTable.Get(ix)
			if !(c > 0) {
				c = st.capPrior[market.Recruiter]
			}
			if err := b.SetMass(allocate.Mass{Participant: ix, Mass: c}); err != nil {
				return fmt.Errorf("twoway: fit: allocation: %w", err)
			}
		}
	}
	g, err := b.Build()
	if err != nil {
		return fmt.Errorf("twoway: fit: allocation: %w", err)
	}
	if g.Pairs() == 0 {
		return nil
	}
	if st.potentials, err = allocate.Fit(ctx, g); err != nil {
		return fmt.Errorf("twoway: fit: allocation: %w", err)
	}
	return nil
}

// allocationCandidates recalls up to k candidates of ix (content and
// collaborative, as a request does, without the request's seen and
// exposure filters).
func (e *Engine) allocationCandidates(ctx context.Context, st *state, ix uint32, side market.Side, k int, allowed bitmap.Bitmap) []uint32 {
	req := recall.Request{Requester: ix, Side: side, K: k, Allowed: allowed}
	idx, _ := e.index.Recall(ctx, req, nil)
	col, _ := st.collab.Recall(ctx, req, nil)
	seen := make(map[uint32]bool, len(idx)+len(col))
	var out []uint32
	for _, list := range [][]recall.Candidate{idx, col} {
		for _, c := range list {
			if !seen[c.Index] && len(out) < 2*k {
				seen[c.Index] = true
				out = append(out, c.Index)
			}
		}
	}
	return out
}

// allocated replaces the pool's two-way matches with the pair's share of
// the requester's match at the fitted prices: with z = (Φ − ũ_r − ũ_c)/2β
// (allocate's expected match mass is e^z, capped by the masses), the
// two-way match is e^z / (1 + e^z), which orders one requester's
// candidates by their surplus net of their price, Φ − ũ_c, without the
// cap's ties.
func (st *state) allocated(ix uint32, idx []uint32, forward, backward []float64, twoWay []float64) {
	p := st.potentials
	inv := 1 / (2 * p.Temperature())
	ur := p.Potential(ix)
	for i, c := range idx {
		// The backward match without the congestion factor: the masses
		// carry the capacities, and the prices the competition for them.
		phi := p.Surplus(forward[i], backward[i])
		z := (phi - ur - p.Potential(c)) * inv
		switch {
		case math.IsNaN(z):
			twoWay[i] = 0
		case z > 0:
			twoWay[i] = 1 / (1 + math.Exp(-z))
		default:
			ez := math.Exp(z)
			twoWay[i] = ez / (1 + ez)
		}
	}
}
