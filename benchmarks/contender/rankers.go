package contender

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/benchmarks/sim"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/rank"
)

// ScoreFunc scores candidates for requester a, writing one score per
// candidate into dst[:0] (higher is better) and returning it.
type ScoreFunc func(a uint32, cands []uint32, dst []float64) []float64

// Ranked is a recommender that scores every registered participant of the
// other side that the requester has not contacted yet and shows the top K
// (ties by index). It keeps its own Board. With exposure control (package
// exposure) it recomputes every participant's saturation at the start of
// each round from its own event log, multiplies scores by 1 − penalty of
// its own exposure.Controller, drops excluded candidates and records what
// it shows in the controller's ledger.
type Ranked struct {
	Name    string
	Board   *Board
	control *control
	urgency *Urgency
	log     []activity.Event // history and observed rounds, when a model needs them
	refit   *Features        // nightly refits of the one-way models, when not nil
	seen    []sim.Interaction
	gone    map[uint32]bool // participants who left the market
	score   ScoreFunc
	w       *sim.World
	pool    [3][]uint32 // registered participants per side, for poolRound
	poolRnd int
	cands   []uint32
	scores  []float64
	order   []int
	out     []uint32
}

// Options adds the library's models to a Ranked recommender.
type Options struct {
	// Exposure, when not nil, adds exposure control.
	Exposure *Exposure
	// Urgency, when not nil, gives the board package urgency's urgencies
	// (recomputed at the start of each round) instead of its estimate.
	Urgency *Urgency
	// Refit, when not nil, refits the one-way models (FitModelsOn with
	// these features) at the start of every round on the history and the
	// rounds observed so far, as a host refits nightly; the board's Models
	// hold the latest fit (nil while no side has training rows yet: see
	// [TwoWayLive] for the fallback).
	Refit *Features
}

// NewRanked returns a Ranked recommender named name over w with its own
// board, scoring with the function that mk builds from that board.
func NewRanked(name string, w *sim.World, o Options, mk func(*Board) ScoreFunc) (*Ranked, error) {
	bd := NewBoard(w)
	r := &Ranked{Name: name, Board: bd, score: mk(bd), w: w, poolRnd: -1, urgency: o.Urgency, refit: o.Refit, gone: map[uint32]bool{}}
	if o.Refit != nil {
		r.seen = slices.Clone(w.History)
	}
	if o.Exposure != nil {
		c, err := o.Exposure.newControl()
		if err != nil {
			return nil, err
		}
		r.control = c
	}
	if o.Exposure != nil || o.Urgency != nil {
		r.log = activityEvents(w.History)
	}
	return r, nil
}

// Score scores cands for a (without exposure control): the sim.Scorer
// used by offline evaluation.
func (r *Ranked) Score(a uint32, cands []uint32, dst []float64) []float64 {
	return r.score(a, cands, dst)
}

// Observe implements sim.Learner.
func (r *Ranked) Observe(round int, events []sim.Interaction) {
	r.Board.Observe(round, events)
	if r.log != nil {
		r.log = append(r.log, activityEvents(events)...)
	}
	if r.refit != nil {
		r.seen = append(r.seen, events...)
	}
}

// Left implements sim.Leaver: ix is no longer recommended.
func (r *Ranked) Left(_ int, ix uint32, _ time.Time) { r.gone[ix] = true }

// Recommend implements sim.Recommender.
func (r *Ranked) Recommend(req sim.Request) []uint32 {
	if r.poolRnd != req.Round {
		if err := r.Prepare(req.Round); err != nil {
			panic(fmt.Sprintf("contender: %s: %v", r.Name, err)) // events come from the simulator: a bug
		}
	}
	a := req.User
	r.cands = r.cands[:0]
	for _, c := range r.pool[r.w.Market.Side(a).Other()] {
		if !r.Board.Contacted(a, c) && !r.gone[c] {
			r.cands = append(r.cands, c)
		}
	}
	r.scores = r.score(a, r.cands, r.scores)
	if r.control != nil {
		r.cands, r.scores = r.control.apply(r.cands, r.scores, req.Time)
	}
	r.out = TopK(r.out, r.cands, r.scores, req.K, &r.order)
	if r.control != nil {
		r.control.ctl.Served(r.out)
	}
	return r.out
}

// Prepare readies the recommender for round: the pool of registered
// participants, and, with the library's models, every participant's
// saturation and urgency at the start of the round from the history and
// the rounds observed so far. Recommend calls it at each new round; call
// it before using Score on its own (offline evaluation).
func (r *Ranked) Prepare(round int) error {
	r.poolRnd = round
	for _, s := range []market.Side{market.Seeker, market.Recruiter} {
		r.pool[s] = r.pool[s][:0]
	}
	for i := range r.w.Market.Profiles {
		ix := uint32(i)
		if r.w.Registered(ix, round) {
			s := r.w.Market.Side(ix)
			r.pool[s] = append(r.pool[s], ix)
		}
	}
	day := r.w.Start.Add(time.Duration(round) * 24 * time.Hour)
	if r.refit != nil {
		m, err := FitModelsOn(context.Background(), r.w, r.refit, r.seen)
		switch {
		case err == nil:
			r.Board.Models = m
		case !errors.Is(err, ErrNoRows):
			return fmt.Errorf("refit: %w", err)
		}
	}
	if r.control != nil {
		if err := r.control.refresh(r.log, day); err != nil {
			return fmt.Errorf("saturation: %w", err)
		}
	}
	if r.urgency != nil {
		u, err := r.urgency.table(r.log, day, r.Board.urgency)
		if err != nil {
			return fmt.Errorf("urgency: %w", err)
		}
		r.Board.urgency = u
	}
	return nil
}

// TopK appends to dst[:0] the k candidates with the highest scores, best
// first; ties go to the lower index and NaN scores count as −Inf. order is
// scratch space. It selects with a size-k heap: O(n log k).
func TopK(dst []uint32, cands []uint32, scores []float64, k int, order *[]int) []uint32 {
	key := func(i int) float64 {
		if math.IsNaN(scores[i]) {
			return math.Inf(-1)
		}
		return scores[i]
	}
	// worse reports whether candidate i ranks below candidate j.
	worse := func(i, j int) bool {
		if c := cmp.Compare(key(i), key(j)); c != 0 {
			return c < 0
		}
		return cands[i] > cands[j]
	}
	h := (*order)[:0]
	down := func(i int) {
		for {
			l := 2*i + 1
			if l >= len(h) {
				return
			}
			if r := l + 1; r < len(h) && worse(h[r], h[l]) {
				l = r
			}
			if !worse(h[l], h[i]) {
				return
			}
			h[i], h[l] = h[l], h[i]
			i = l
		}
	}
	for i := range cands {
		switch {
		case len(h) < k:
			h = append(h, i)
			for j := len(h) - 1; j > 0; {
				p := (j - 1) / 2
				if !worse(h[j], h[p]) {
					break
				}
				h[j], h[p] = h[p], h[j]
				j = p
			}
		case k > 0 && worse(h[0], i):
			h[0] = i
			down(0)
		}
	}
	slices.SortFunc(h, func(x, y int) int {
		if worse(y, x) {
			return -1
		}
		if worse(x, y) {
			return 1
		}
		return 0
	})
	*order = h
	dst = dst[:0]
	for _, i := range h {
		dst = append(dst, cands[i])
	}
	return dst
}

// Random scores candidates uniformly at random (seeded).
func Random(seed uint64) func(*Board) ScoreFunc {
	return func(*Board) ScoreFunc {
		rng := rand.New(rand.NewPCG(seed, 0xc0ffee))
		return func(_ uint32, cands []uint32, dst []float64) []float64 {
			dst = dst[:0]
			for range cands {
				dst = append(dst, rng.Float64())
			}
			return dst
		}
	}
}

// Popular scores a candidate by the interest it has received (views,
// favourites, contacts), as observed so far.
func Popular() func(*Board) ScoreFunc {
	return func(bd *Board) ScoreFunc {
		return func(_ uint32, cands []uint32, dst []float64) []float64 {
			dst = dst[:0]
			for _, c := range cands {
				dst = append(dst, bd.Interest[c])
			}
			return dst
		}
	}
}

// Content scores a candidate by the cosine of the content vectors (skills,
// city, title, industry) of requester and candidate.
func Content(f *Features) func(*Board) ScoreFunc {
	return func(*Board) ScoreFunc {
		return func(a uint32, cands []uint32, dst []float64) []float64 {
			dst = dst[:0]
			for _, c := range cands {
				dst = append(dst, f.Content(a, c))
			}
			return dst
		}
	}
}

// TwoWayLive is TwoWay over the board's latest nightly models
// (Options.Refit): it follows Board.Models as they are refitted. While
// there are none (a cold market before its first impressions and
// contacts), both one-way matches are the content cosine of requester and
// candidate, so every aggregator ranks by content.
func TwoWayLive(f *Features, agg func(Pair) float64) func(*Board) ScoreFunc {
	return func(bd *Board) ScoreFunc {
		var cur *Models
		var score ScoreFunc
		return func(a uint32, cands []uint32, dst []float64) []float64 {
			if bd.Models == nil {
				dst = dst[:0]
				for _, c := range cands {
					x := f.Content(a, c)
					dst = append(dst, agg(Pair{Forward: x, Backward: x, RequesterUrgency: bd.Urgency(a), CandidateUrgency: bd.Urgency(c)}))
				}
				return dst
			}
			if bd.Models != cur {
				cur, score = bd.Models, TwoWay(f, bd.Models, agg)(bd)
			}
			return score(a, cands, dst)
		}
	}
}

// TwoWay scores a candidate with agg over the two one-way matches of the
// fitted models and the board's urgency estimates.
func TwoWay(f *Features, m *Models, agg func(Pair) float64) func(*Board) ScoreFunc {
	return func(bd *Board) ScoreFunc {
		var w [3][2][]float64 // [side][forward, backward] weights
		var b [3][2]float64
		for _, s := range []market.Side{market.Seeker, market.Recruiter} {
			w[s][0], b[s][0] = m.Forward[s].Weights(), m.Forward[s].Bias()
			w[s][1], b[s][1] = m.Backward[s].Weights(), m.Backward[s].Bias()
		}
		x := make([]float64, 0, NumPair+3)
		return func(a uint32, cands []uint32, dst []float64) []float64 {
			dst = dst[:0]
			sa := f.w.Market.Side(a)
			wf, bf := w[sa][0], b[sa][0]
			wb, bb := w[sa.Other()][1], b[sa.Other()][1]
			ua := bd.Urgency(a)
			aboutA := f.about(make([]float64, 0, 3), bd, a)
			for _, c := range cands {
				x = f.shared(x[:0], a, c)
				x = f.about(x, bd, c)
				zf, zb := bf, bb
				for i, v := range x[:numShared] {
					zf += wf[i] * v
					zb += wb[i] * v
				}
				for i, v := range x[numShared:] {
					zf += wf[numShared+i] * v
					zb += wb[numShared+i] * aboutA[i]
				}
				p := Pair{Forward: rank.Sigmoid(zf), Backward: rank.Sigmoid(zb), RequesterUrgency: ua, CandidateUrgency: bd.Urgency(c)}
				dst = append(dst, agg(p))
			}
			return dst
		}
	}
}
