// Package contender holds the recommenders the evaluation suite compares
// on the simulator ([sim.World]): baselines (random, popularity, content
// similarity) and the library's two-way rankers (one-way, harmonic,
// product, the patent's urgency-weighted sum, … from package match), each
// with and without exposure control.
//
// # Two-way rankers
//
// A two-way ranker needs, for requester A and candidate B, A's one-way
// match for B (Forward) and B's for A (Backward). Here both are logistic
// models (package rank) of observable pair features (skill coverage, same
// city, pay against expectation, experience and education fit, B's
// popularity, observed responsiveness and activity) fitted on the world's
// history: Forward is P(A contacts B | A was shown B), learned from each
// side's impressions; Backward is P(B answers A | A contacted B), learned
// from the contacts each side received. Both models are fitted once per
// world and shared, immutable, by every two-way ranker, so rankers differ
// only in how they aggregate (match.Aggregators) and in exposure control.
//
// # Urgency and exposure
//
// The urgency-weighted aggregator needs each side's urgency: package
// urgency's model ([FitUrgency]), recomputed for everyone at the start of
// each round, or, for rankers built without it, [Board]'s behaviour
// estimate recent/(recent + baseline) actions per day. Exposure control is package exposure's: the saturation model fitted
// on the history ([FitExposure]) and one exposure.Controller (ledger,
// budget, penalty) per recommender.
package contender

import (
	"math"
	"time"

	"github.com/twowayrec/twoway/benchmarks/sim"
	"github.com/twowayrec/twoway/market"
)

// Board is the behaviour state a recommender keeps: counts per
// participant from the history and every observed round. Each recommender
// owns its own Board (their rounds differ).
type Board struct {
	w *sim.World
	// Totals per participant.
	Inbound   []float64 // contacts received
	Answered  []float64 // replies given to contacts received
	Actions   []float64 // views, favourites, contacts and replies made
	Interest  []float64 // views, favourites and contacts received
	recent    []float64 // actions made, halved every round (urgency)
	baseline  []float64 // actions per day over the history
	contacted map[sim.Pair]struct{}
	about     [][3]float64 // per participant: log1p(Inbound)/3, ReplyRate, log1p(Actions)/3
	// Models are the latest nightly one-way models of a recommender with
	// Options.Refit (nil: none yet, or no refits).
	Models *Models
	// urgency, when not nil, is every participant's urgency from package
	// urgency's model; it replaces the behaviour estimate.
	urgency []float64
}

// NewBoard builds a Board from the world's history.
func NewBoard(w *sim.World) *Board { return newBoardFrom(w, w.History) }

// newBoardFrom builds a Board from a time-ordered log that starts with the
// world's history (its recent activity is counted back from the end of
// the history, as for NewBoard; later events count as recent).
func newBoardFrom(w *sim.World, log []sim.Interaction) *Board {
	n := len(w.Market.Profiles)
	b := &Board{w: w, Inbound: make([]float64, n), Answered: make([]float64, n), Actions: make([]float64, n),
		Interest: make([]float64, n), recent: make([]float64, n), baseline: make([]float64, n),
		contacted: make(map[sim.Pair]struct{})}
	start := w.Market.Config.Start
	for _, e := range log {
		b.add(e)
		// Recent activity and load at the end of the history: events of
		// the last days weigh 1/2^age.
		age := max(0, w.Config.Warmup-1-int(e.Time.Sub(start)/(24*time.Hour)))
		f := math.Pow(0.5, float64(age))
		if e.Action != market.Impression {
			b.recent[e.Actor] += f
		}
	}
	for i := range b.baseline {
		b.baseline[i] = b.Actions[i] / float64(w.Config.Warmup)
	}
	b.about = make([][3]float64, n)
	b.refresh()
	return b
}

func (b *Board) add(e sim.Interaction) {
	switch e.Action {
	case market.Impression:
		return
	case market.Reply:
		b.Answered[e.Actor]++
	case market.View, market.Favourite:
		b.Interest[e.Target]++
	}
	if e.Action.Contact() {
		b.Inbound[e.Target]++
		b.Interest[e.Target]++
		b.contacted[sim.Pair{Actor: e.Actor, Target: e.Target}] = struct{}{}
	}
	b.Actions[e.Actor]++
}

// Observe updates the board with one round.
func (b *Board) Observe(_ int, events []sim.Interaction) {
	for i := range b.recent {
		b.recent[i] *= 0.5
	}
	for _, e := range events {
		b.add(e)
		if e.Action != market.Impression {
			b.recent[e.Actor]++
		}
	}
	b.refresh()
}

// refresh recomputes the per-participant features of the board.
func (b *Board) refresh() {
	for i := range b.about {
		b.about[i] = [3]float64{math.Log1p(b.Inbound[i]) / 3, b.ReplyRate(uint32(i)), math.Log1p(b.Actions[i]) / 3}
	}
}

// Contacted reports whether a has contacted c.
func (b *Board) Contacted(a, c uint32) bool {
	_, ok := b.contacted[sim.Pair{Actor: a, Target: c}]
	return ok
}

// ReplyRate is the smoothed share of contacts ix answered: (answered+1)/(inbound+2).
func (b *Board) ReplyRate(ix uint32) float64 { return (b.Answered[ix] + 1) / (b.Inbound[ix] + 2) }

// Urgency estimates ix's urgency in [0, 1): recent/(recent + baseline),
// recent being actions in the last rounds (halved every round, so about
// two rounds' worth) per round and baseline the history's actions per day
// (+0.5 so that newcomers are not urgent by default).
//
// When the recommender uses package urgency, the model's value replaces
// this estimate.
func (b *Board) Urgency(ix uint32) float64 {
	if int(ix) < len(b.urgency) {
		return b.urgency[ix]
	}
	r := b.recent[ix] / 2
	return r / (r + b.baseline[ix] + 0.5)
}
