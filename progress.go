package twoway

import (
	"sync"
	"time"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
)

// reporter sends a Fit's Progress to Config.OnProgress, the Observer and
// the Logger, one call at a time.
type reporter struct {
	e          *Engine
	start      time.Time
	mu         sync.Mutex
	stageName  string
	stageStart time.Time
	lastLog    time.Time
}

// stage reports the start or the end of a stage.
func (r *reporter) stage(name string, done bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	p := Progress{Stage: name, Done: done, Elapsed: now.Sub(r.start)}
	if done {
		p.Fraction = 1
	} else {
		r.stageName, r.stageStart = name, now
	}
	r.send(p)
	if done {
		r.e.cfg.Logger.Info("twoway: fit", "stage", name, "elapsed", p.Elapsed)
	}
}

// step reports the stage under way: fraction of it done, and the step's
// iteration of iterations.
func (r *reporter) step(step string, iteration, iterations int, fraction float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	fraction = min(max(fraction, 0), 1)
	p := Progress{Stage: r.stageName, Elapsed: now.Sub(r.start), Step: step,
		Iteration: iteration, Iterations: iterations, Fraction: fraction}
	if fraction >= 0.01 {
		in := now.Sub(r.stageStart)
		p.Remaining = time.Duration(float64(in) * (1 - fraction) / fraction)
	}
	r.send(p)
	if now.Sub(r.lastLog) >= 10*time.Second {
		r.lastLog = now
		r.e.cfg.Logger.Info("twoway: fit", "stage", p.Stage, "step", step, "iteration", iteration,
			"of", iterations, "fraction", fraction, "remaining", p.Remaining.Round(time.Second), "elapsed", p.Elapsed)
	}
}

func (r *reporter) send(p Progress) {
	if r.e.cfg.OnProgress != nil {
		r.e.cfg.OnProgress(p)
	}
	r.e.cfg.Observer.Fit(p)
}

// The match stage's parts, in order: the behaviour counts and samples,
// the five folds of collaborative evidence, then each side's interest
// model.
type matchPart int

const (
	partBehaviour matchPart = iota
	partEvidence
	partSeeker
	partRecruiter
	numMatchParts
)

// matchShares are the parts' shares of the match stage's time, and
// modelShares the steps' shares of a side's model, measured on a simulated
// market a quarter of synth.Large's size (25,000 seekers, 5,000 jobs,
// 1,250,000 events: 33 s of match stage on the development machine).
// Fraction and Remaining are only as good as these shares on other
// markets.
var (
	matchShares = [numMatchParts]float64{0.05, 0.21, 0.29, 0.45}
	modelShares = map[string]float64{"rows": 0.12, "global": 0.45, "lambda": 0.18, "entities": 0.25}
	modelSteps  = []string{"rows", "global", "lambda", "entities"}
)

// matchFraction is the share of the match stage done when part is
// fraction f done.
func matchFraction(part matchPart, f float64) float64 {
	done := 0.0
	for p := range part {
		done += matchShares[p]
	}
	return done + matchShares[part]*min(max(f, 0), 1)
}

// interestProgress adapts match's progress of the interest models to the
// match stage's.
func (r *reporter) interestProgress(p match.InterestProgress) {
	part := partSeeker
	if p.Side == market.Recruiter {
		part = partRecruiter
	}
	f := 0.0
	for _, s := range modelSteps {
		if s == p.Step {
			if p.Total > 0 {
				f += modelShares[s] * float64(p.Done) / float64(p.Total)
			}
			break
		}
		f += modelShares[s]
	}
	r.step(p.Side.String()+" model: "+p.Step, p.Done, p.Total, matchFraction(part, f))
}
