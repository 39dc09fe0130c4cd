package contender

import (
	"context"
	"fmt"
	"time"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/benchmarks/sim"
	"github.com/twowayrec/twoway/exposure"
)

// Exposure is the library's exposure control fitted on a world: the
// saturation model of package exposure (trained on the contacts received
// after cut-offs on history days 3, 5, 7 and 9, labelled unanswered within
// 72 h) and the controller settings every "+exposure" contender uses with
// its own ledger. It is immutable after FitExposure.
type Exposure struct {
	w     *sim.World
	model *exposure.Model
	cfg   exposure.Config
	n     int
	// Examples is the number of labelled contacts the model learned from.
	Examples int
}

// FitExposure fits the saturation model on w's history.
func FitExposure(ctx context.Context, w *sim.World) (*Exposure, error) {
	tr, err := newTracker(w)
	if err != nil {
		return nil, err
	}
	evs := activityEvents(w.History)
	cfg := exposure.Config{}
	var exs []exposure.Example
	for _, day := range []int{3, 5, 7, 9} {
		if day+4 > w.Config.Warmup {
			break
		}
		cutoff := w.Market.Config.Start.Add(time.Duration(day) * 24 * time.Hour)
		feats, err := tr.Batch(evs, cutoff, len(w.Market.Profiles))
		if err != nil {
			return nil, fmt.Errorf("contender: exposure features: %w", err)
		}
		contacts, err := exposure.Labels(evs, cutoff, cfg)
		if err != nil {
			return nil, err
		}
		for _, c := range contacts {
			exs = append(exs, exposure.Example{Features: &feats[c.Recipient], Unanswered: c.Unanswered})
		}
	}
	model, err := exposure.Fit(ctx, cfg, exposure.Training{Names: tr.VectorNames(), Examples: exs})
	if err != nil {
		return nil, fmt.Errorf("contender: exposure model: %w", err)
	}
	return &Exposure{w: w, model: model, cfg: cfg, n: len(w.Market.Profiles), Examples: len(exs)}, nil
}

func newTracker(w *sim.World) (*activity.Tracker, error) {
	tr, err := activity.New(activity.Config{})
	if err != nil {
		return nil, err
	}
	for i := range w.Market.Profiles {
		tr.Register(uint32(i), w.Market.Profiles[i].Registered)
	}
	return tr, nil
}

func activityEvents(in []sim.Interaction) []activity.Event {
	out := make([]activity.Event, len(in))
	for i, e := range in {
		out[i] = activity.Event{Actor: e.Actor, Target: e.Target, Action: e.Action, Time: e.Time}
	}
	return out
}

// control is one recommender's exposure state: the saturation table of
// the current round and its own controller (ledger).
type control struct {
	x    *Exposure
	tr   *activity.Tracker
	sat  []float64
	now  time.Time
	ctl  *exposure.Controller
	sats []float64
	pens []float64
}

func (x *Exposure) newControl() (*control, error) {
	tr, err := newTracker(x.w)
	if err != nil {
		return nil, err
	}
	c := &control{x: x, tr: tr, sat: make([]float64, x.n)}
	cfg := x.cfg
	cfg.Clock = func() time.Time { return c.now }
	if c.ctl, err = exposure.New(cfg); err != nil {
		return nil, err
	}
	return c, nil
}

// refresh recomputes every participant's saturation at now from log.
func (c *control) refresh(log []activity.Event, now time.Time) error {
	feats, err := c.tr.Batch(log, now, c.x.n)
	if err != nil {
		return err
	}
	c.x.model.SaturationAll(feats, c.sat)
	return nil
}

// apply multiplies scores by 1 − penalty and drops excluded candidates,
// compacting cands and scores in place.
func (c *control) apply(cands []uint32, scores []float64, now time.Time) ([]uint32, []float64) {
	c.now = now
	c.sats, c.pens = c.sats[:0], c.pens[:0]
	for _, cand := range cands {
		c.sats = append(c.sats, c.sat[cand])
		c.pens = append(c.pens, 0)
	}
	c.ctl.Penalties(cands, c.sats, now, c.pens, nil)
	k := 0
	for i, cand := range cands {
		if c.pens[i] >= 1 {
			continue // excluded
		}
		cands[k], scores[k] = cand, scores[i]*(1-c.pens[i])
		k++
	}
	return cands[:k], scores[:k]
}
