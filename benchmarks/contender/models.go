package contender

import (
	"context"
	"errors"
	"fmt"

	"github.com/twowayrec/twoway/benchmarks/sim"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/rank"
	"github.com/twowayrec/twoway/sparse"
)

// Models are the one-way match models of both sides, fitted on a world's
// history. Forward[s] gives P(a contacts c | a was shown c) for a
// requester a of side s; Backward[s] gives P(c answers a | a contacted c)
// for a responder c of side s. They are immutable after FitModels.
type Models struct {
	Forward  [3]*rank.Model // indexed by market.Side
	Backward [3]*rank.Model
	// Rows counts the training rows of each model (Forward then Backward,
	// seekers then jobs).
	Rows [4]int
}

// FitModels fits the four models on w's history with the features f and a
// board built from the history alone.
func FitModels(ctx context.Context, w *sim.World, f *Features) (*Models, error) {
	return FitModelsOn(ctx, w, f, w.History)
}

// ErrNoRows is wrapped by FitModelsOn's error when a model has no
// training row (a log without impressions or contacts on some side).
var ErrNoRows = errors.New("contender: no training rows")

// FitModelsOn fits the four models on the time-ordered log events of w
// (the history and, for nightly refits, the rounds observed so far) with
// the features f and a board built from log alone.
func FitModelsOn(ctx context.Context, w *sim.World, f *Features, log []sim.Interaction) (*Models, error) {
	bd := newBoardFrom(w, log)
	contacted := map[sim.Pair]bool{}
	replied := map[sim.Pair]bool{}
	for _, e := range log {
		switch {
		case e.Action.Contact():
			contacted[sim.Pair{Actor: e.Actor, Target: e.Target}] = true
		case e.Action == market.Reply:
			replied[sim.Pair{Actor: e.Actor, Target: e.Target}] = true
		}
	}
	var fwd, bwd [3]rank.Dataset
	shown := map[sim.Pair]bool{}
	var x []float64
	var v sparse.Vector
	label := func(b bool) float64 { return b2f(b) }
	for _, e := range log {
		p := sim.Pair{Actor: e.Actor, Target: e.Target}
		switch {
		case e.Action == market.Impression && !shown[p]:
			shown[p] = true
			x = f.Pair(x, bd, e.Actor, e.Target)
			v = dense(v, x)
			if err := fwd[w.Market.Side(e.Actor)].Add(v, label(contacted[p]), 1); err != nil {
				return nil, fmt.Errorf("contender: forward row: %w", err)
			}
		case e.Action.Contact():
			// The responder's view of the actor.
			x = f.Pair(x, bd, e.Target, e.Actor)
			v = dense(v, x)
			if err := bwd[w.Market.Side(e.Target)].Add(v, label(replied[sim.Pair{Actor: e.Target, Target: e.Actor}]), 1); err != nil {
				return nil, fmt.Errorf("contender: backward row: %w", err)
			}
		}
	}
	m := &Models{}
	cfg := rank.Config{L2: 1e-4, Dim: NumPair, Workers: 1}
	for k, s := range []market.Side{market.Seeker, market.Recruiter} {
		for j, d := range []*rank.Dataset{&fwd[s], &bwd[s]} {
			if d.Len() == 0 {
				return nil, fmt.Errorf("%w: %s, side %v", ErrNoRows, []string{"forward", "backward"}[j], s)
			}
			mod, err := rank.Fit(ctx, cfg, d)
			if err != nil {
				return nil, fmt.Errorf("contender: fit %v: %w", s, err)
			}
			if j == 0 {
				m.Forward[s] = mod
			} else {
				m.Backward[s] = mod
			}
			m.Rows[j*2+k] = d.Len()
		}
	}
	return m, nil
}
