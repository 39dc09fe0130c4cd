package twoway

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kelindar/bitmap"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/allocate"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/recall"
)

// AllocationConfig configures the market-level reranker (package allocate:
// TU matching by IPFP over the graph of recalled pairs).
type AllocationConfig struct {
	// On turns the reranker on: each Fit builds the graph of the recalled
	// jobs of every seeker in the Window (Candidates each, both directions' calibrated
	// matches) with the jobs' capacities as masses, fits the potentials,
	// and requests rank by the expected match mass of each pair at those
	// prices instead of the two-way match alone. Zero (false): off, because on the simulator's
	// validation markets it made fewer matches than the Engine without it
	// (1,960 against 2,153 on seeds 101 to 105, 1,500 × 300, 10 rounds;
	// simulated): it raises the reply rate by half, but seekers
	// shown the jobs nobody else claims contact 40% less. A higher
	// Allocate.Beta narrows the loss (421 at 2 on seed 101, measured when
	// the graph also held the jobs' rows and every seeker).
	On bool `json:"on"`
	// Candidates is how many recalled jobs of each seeker enter the
	// graph, taken in turn from content and collaborative
	// recall. Zero: 50 (on the simulator's validation seeds 101 and 102,
	// 1,500 × 300, 10 rounds, when the graph also held the jobs' rows:
	// 394 / 405 matches, against 394 / 408 with 100 and 393 / 405 with 25;
	// 393 / 404 without the jobs' rows; TestAllocationValidation in
	// benchmarks/enginesim). The stage costs one request's recall and
	// scoring per seeker in the Window: on internal/synth.Large (100,000
	// seekers, 20,000 jobs, 2 cores) 16.4 s with the default Window, 15.8 s
	// of it building the graph (36.4 s with every seeker, in the same
	// session).
	Candidates int `json:"candidates"`
	// Window leaves dormant seekers out of the graph: a seeker enters it
	// when its last action (or, if it never acted, its registration) lies
	// within Window before the Fit, and every seeker enters while the log
	// is younger than Window (a young market shows nobody dormant). A
	// dormant seeker claims no job's capacity; should it come back, its
	// own requests are ranked at the fitted prices as anyone's (a
	// request's order does not depend on the requester's potential), and
	// in a recruiter's request it is priced as a seeker nobody competes
	// for. Zero: 7 days. Negative: every active seeker enters. On
	// internal/synth.Large (30 days, 100,000 seekers) 7 days keeps the
	// 39,204 seekers who acted in the last week and those registered in
	// it, and costs 0.45× the stage with every seeker; matches are about
	// the same: on the simulator's validation seeds 101 to 105 it made
	// 404, 408, 402, 375, 371 against 393, 404, 404, 383, 367 with every
	// seeker (1,960 against 1,951; simulated).
	Window time.Duration `json:"window"`
	// Allocate configures the fit (surplus, temperature, tolerance).
	Allocate allocate.Config `json:"allocate"`
}

// defaultAllocationWindow is AllocationConfig.Window's zero value.
const defaultAllocationWindow = 7 * 24 * time.Hour

// dormant reports whether seeker f lies outside the graph's window
// (AllocationConfig.Window) at a Fit whose log starts span before it.
func dormant(f *activity.Features, window, span time.Duration) bool {
	if window < 0 || span < window {
		return false
	}
	return f.DaysSinceActive*24*float64(time.Hour) > float64(window)
}

// allocation fits st's market potentials (AllocationConfig) over the pairs
// recall finds for every active seeker in the window (the log reaching
// span before the Fit), scored by st's models, with every active job's
// capacity as its mass.
func (e *Engine) allocation(ctx context.Context, st *state, profiles []market.Profile, removed []bool, span time.Duration, rep *reporter) error {
	ac := e.cfg.Allocation
	if !ac.On || st.interest == nil {
		return nil
	}
	k := ac.Candidates
	if k == 0 {
		k = 50
	}
	window := ac.Window
	if window == 0 {
		window = defaultAllocationWindow
	}
	b, err := allocate.NewBuilder(ac.Allocate)
	if err != nil {
		return fmt.Errorf("%w: Allocation.Allocate: %w", ErrConfig, err)
	}
	// The graph is the pairs the seekers' recall finds: a job's demand is
	// the seekers who would be shown it. Jobs' own recall adds few pairs
	// (8% on a 20,000 × 4,000 market) at a quarter of the stage's cost
	// (a job's content recall runs over every seeker's postings), and
	// leaving it out did not change matches on the simulator's validation
	// markets (393 / 404 against 394 / 405). One mask: a seeker's recall
	// may take every active job (the request's seen and exposure filters
	// do not apply to the market's graph); no requester is left out of it
	// (Requester: no participant).
	mask, err := e.pop.Mask(nil, recall.Filter{Requester: math.MaxUint32, Side: market.Seeker, ActiveOnly: true})
	if err != nil {
		return err
	}
	var todo []uint32
	for i, p := range profiles {
		if p.ID == "" || removed[i] || p.Inactive {
			continue
		}
		switch p.Side {
		case market.Seeker:
			if i < len(st.features) && dormant(&st.features[i], window, span) {
				continue
			}
			todo = append(todo, uint32(i))
		case market.Recruiter:
			// Every active job's mass is its capacity, recalled or not.
			c := st.capTable.Get(uint32(i))
			if !(c > 0) {
				c = st.capPrior[market.Recruiter]
			}
			// A host-set capacity of 1e15, say, is "unlimited": within the
			// masses allocate's fit converges on.
			c = min(max(c, allocate.MinMass), allocate.MaxMass)
			if err := b.SetMass(allocate.Mass{Participant: uint32(i), Mass: c}); err != nil {
				return fmt.Errorf("twoway: fit: allocation: %w", err)
			}
		}
	}
	// Seekers are recalled and scored in windows on every core, then added
	// to the graph in profile order, so the graph is the same for any
	// number of workers (a seeker's row has each job once).
	workers := max(1, runtime.GOMAXPROCS(0))
	rows := make([]allocationRow, min(len(todo), allocationWindow))
	bufs := make([]match.Buffer, workers)
	for lo := 0; lo < len(todo); lo += allocationWindow {
		rep.step("graph", lo, len(todo), allocationGraphShare*float64(lo)/float64(len(todo)))
		win := todo[lo:min(lo+allocationWindow, len(todo))]
		var next atomic.Int64
		var wg sync.WaitGroup
		for w := range min(workers, len(win)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					r := int(next.Add(1) - 1)
					if r >= len(win) || ctx.Err() != nil {
						return
					}
					rows[r] = e.allocationRow(ctx, st, &bufs[w], win[r], k, mask, rows[r])
				}
			}()
		}
		wg.Wait()
		if err := ctx.Err(); err != nil {
			return err
		}
		for r, ix := range win {
			row := &rows[r]
			for j, c := range row.cands {
				if err := b.Add(allocate.Pair{Seeker: ix, Job: c, Act: row.act[j], Answer: row.answer[j]}); err != nil {
					return fmt.Errorf("twoway: fit: allocation: %w", err)
				}
			}
		}
	}
	rep.step("fit", 0, 0, allocationGraphShare)
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

// allocationGraphShare is the share of the allocation stage spent
// recalling and scoring the graph's rows, the rest being the IPFP fit (for
// Progress; on synth.Large 66.8 s of 69.4 s).
const allocationGraphShare = 0.96

// allocationWindow is how many seekers the allocation stage recalls
// and scores between two additions to the graph (bounding the rows held
// at once).
const allocationWindow = 4096

// allocationRow is one seeker's recalled jobs with both directions'
// matches, as its own request would score them.
type allocationRow struct {
	cands       []uint32
	act, answer []float64 // P(the seeker acts), P(the job answers), per candidate
	ev          []match.Evidence
}

// allocationRow recalls up to k jobs for seeker ix (content and
// collaborative in turn, as a request's sources, without the request's
// seen and exposure filters) and scores both directions of each pair as
// its request scores them (with the pairs' live evidence), reusing row's
// storage.
func (e *Engine) allocationRow(ctx context.Context, st *state, buf *match.Buffer, ix uint32, k int, allowed bitmap.Bitmap, row allocationRow) allocationRow {
	req := recall.Request{Requester: ix, Side: market.Seeker, K: k, Allowed: allowed}
	idx, _ := e.index.Recall(ctx, req, nil)
	col, _ := st.collab.Recall(ctx, req, nil)
	seen := make(map[uint32]bool, len(idx)+len(col))
	row.cands = row.cands[:0]
	for i := 0; i < max(len(idx), len(col)) && len(row.cands) < k; i++ {
		for _, list := range [][]recall.Candidate{idx, col} {
			if i < len(list) && len(row.cands) < k {
				if c := list[i].Index; c != ix && !seen[c] {
					seen[c] = true
					row.cands = append(row.cands, c)
				}
			}
		}
	}
	row.act, row.answer = row.act[:0], row.answer[:0]
	if len(row.cands) == 0 {
		return row
	}
	row.ev = slices.Grow(row.ev[:0], len(row.cands))[:len(row.cands)]
	row.act = st.forwardMatch(row.act, buf, row.ev, ix, row.cands)
	row.answer = st.backwardMatch(row.answer, buf, row.ev, ix, row.cands)
	return row
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
