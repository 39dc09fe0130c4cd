package contender

import (
	"context"
	"fmt"
	"time"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/benchmarks/sim"
	"github.com/twowayrec/twoway/sparse"
	"github.com/twowayrec/twoway/urgency"
)

// Urgency is the library's urgency model (package urgency) fitted on a
// world's history: inputs at the cut-off day Warmup − 7 (activity features
// and the one-way match statistics of what each participant attended,
// scored by the fitted Forward models), labelled by the default label (a
// mutual chat completed within the 7 days after the cut-off). It is
// immutable after FitUrgency.
type Urgency struct {
	w     *sim.World
	model *urgency.Model
	cfg   urgency.Config
	n     int
	// Users is the number of participants the model learned from.
	Users int
}

// FitUrgency fits the urgency model on w's history.
func FitUrgency(ctx context.Context, w *sim.World, f *Features, m *Models) (*Urgency, error) {
	bd := NewBoard(w) // read-only below: the OneWay callback may run concurrently
	oneWay := func(user, target uint32) float64 {
		var x [NumPair]float64
		z := f.Pair(x[:0], bd, user, target)
		return m.Forward[w.Market.Side(user)].Predict(dense(sparse.Vector{}, z))
	}
	cfg := urgency.Config{OneWay: oneWay}
	tr, err := newTracker(w)
	if err != nil {
		return nil, err
	}
	evs := activityEvents(w.History)
	cutoff := w.Start.Add(-7 * 24 * time.Hour)
	n := len(w.Market.Profiles)
	ins, err := urgency.Inputs(tr, cfg, evs, cutoff, n)
	if err != nil {
		return nil, fmt.Errorf("contender: urgency inputs: %w", err)
	}
	labels, err := urgency.Labels(evs, cutoff, cfg, n)
	if err != nil {
		return nil, err
	}
	var users []uint32
	for i := range n {
		if w.Market.RegisteredDay(uint32(i)) <= w.Market.Day(cutoff) {
			users = append(users, uint32(i))
		}
	}
	model, err := urgency.Fit(ctx, cfg, urgency.Training{Names: urgency.VectorNames(tr.VectorNames()), Inputs: ins, Users: users, Labels: labels})
	if err != nil {
		return nil, fmt.Errorf("contender: urgency model: %w", err)
	}
	return &Urgency{w: w, model: model, cfg: cfg, n: n, Users: len(users)}, nil
}

// table computes every participant's urgency at now from log.
func (u *Urgency) table(log []activity.Event, now time.Time, dst []float64) ([]float64, error) {
	tr, err := newTracker(u.w)
	if err != nil {
		return nil, err
	}
	ins, err := urgency.Inputs(tr, u.cfg, log, now, u.n)
	if err != nil {
		return nil, err
	}
	dst = append(dst[:0], make([]float64, len(ins))...)
	u.model.UrgencyAll(ins, dst)
	return dst, nil
}
