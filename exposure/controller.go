package exposure

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/kelindar/bitmap"
)

// Config configures the saturation model ([Fit]) and the exposure
// controller ([New]). The zero value is valid; each field documents its
// default.
type Config struct {
	// Window is the span after the cut-off in which received contacts are
	// labelled (the "next window" of the default label). Zero means 24h.
	Window time.Duration `json:"window"`
	// AnswerWithin is how long after a contact a Reply still answers it for
	// the label. Zero means 72h. The log must extend Window+AnswerWithin
	// past the cut-off for the labels to be final.
	AnswerWithin time.Duration `json:"answer_within"`
	// MinHistory is the shrinkage constant of the prior: a participant with
	// history n ([History]: contacts received in the longest activity
	// window) gets w·model + (1−w)·prior with w = n/(n+MinHistory). Zero
	// means 3; negative means no shrinkage.
	MinHistory float64 `json:"min_history"`
	// Prior is the saturation assumed without history, in (0,1). Zero means
	// the share of unanswered contacts among the training examples whose
	// history is below MinHistory (the overall share if fewer than 30).
	Prior float64 `json:"prior"`
	// L2 is the ridge penalty of the logistic regression on standardised
	// features (rank.Config.L2). Zero means 1e-2; negative means none.
	L2 float64 `json:"l2"`

	// HalfLife is the half-life of the exposure ledger. Zero means 6h
	// (DefaultHalfLife).
	HalfLife time.Duration `json:"half_life"`
	// Capacity is the ledger load (decayed impressions, see [Ledger]) a
	// candidate with saturation 0 may carry before exclusion. Zero means
	// 50.
	Capacity float64 `json:"capacity"`
	// Gamma shapes how fast saturation shrinks the budget (see
	// [Controller]). Zero means 1.
	Gamma float64 `json:"gamma"`
	// MaxSaturation excludes a candidate whatever the ledger says once its
	// saturation reaches it, in (0,1]. Zero means 0.95.
	MaxSaturation float64 `json:"max_saturation"`
	// Off switches exposure control off: the ledger counts nothing,
	// every congestion factor is 1 and nobody is excluded. Zero (false):
	// on.
	Off bool `json:"off"`
	// HardCap excludes a candidate at recall once the contacts per day
	// steered to it reach HardCap times its capacity ([Controller.Congestion]).
	// Zero: no hard cap; over-asked candidates fall in the ranking through
	// their congestion factor but stay eligible, so lists never empty.
	HardCap float64 `json:"hard_cap"`
	// CapacityStrength is the shrinkage of [Capacity] toward the side's
	// mean, in pseudo-days. Zero: 7.
	CapacityStrength float64 `json:"capacity_strength"`
	// RepeatWindow is how long a (requester, candidate) impression counts
	// once in the ledger: serving the same candidate to the same requester
	// again within it adds nothing ([Controller.ServedTo]), so reloading a
	// list does not drain anybody's budget. Zero means HalfLife.
	RepeatWindow time.Duration `json:"repeat_window"`
	// Clock gives "now" for [Controller.Served]. Nil means time.Now.
	Clock func() time.Time `json:"-"`
}

// DefaultHalfLife is the ledger's half-life when Config.HalfLife is zero.
// The ledger weighs each impression by the requester's P(positive action |
// shown), so its best half-life depends on how that probability is
// scaled. It was 24h while the interest models' odds were inflated by the
// action weights (match.SampleConfig.RawWeights); with calibrated
// probabilities, on the simulator's validation markets (seeds 101 to 105,
// 1,500 seekers × 300 jobs, 10 rounds; simulated) the matches were 2,141
// at 24h, 2,163 at 6h and 2,163 at 3h (first three rounds 1,396 at 6h,
// 1,368 at 3h), against 2,162 for the inflated odds at 24h (and 2,147 at
// 6h). A RepeatWindow of 24h beside 6h made 2,157. At 6h the matches per
// 1,000 contacts are 135.5 (134.9 before). TestConfigValidation in
// benchmarks/enginesim, variants default, hl3 … hl24, rw24, raw and
// raw-hl24 (the previous default).
const DefaultHalfLife = 6 * time.Hour

// ErrConfig is wrapped by every error for an invalid Config.
var ErrConfig = errors.New("exposure: invalid config")

func (c Config) withDefaults() (Config, error) {
	bad := func(field string, v any, want string) (Config, error) {
		return c, fmt.Errorf("%w: %s = %v: %s", ErrConfig, field, v, want)
	}
	notFinite := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }
	switch {
	case c.Window < 0:
		return bad("Window", c.Window, "must not be negative")
	case c.AnswerWithin < 0:
		return bad("AnswerWithin", c.AnswerWithin, "must not be negative")
	case notFinite(c.MinHistory):
		return bad("MinHistory", c.MinHistory, "must be finite")
	case notFinite(c.Prior) || c.Prior < 0 || c.Prior >= 1:
		return bad("Prior", c.Prior, "must be in (0,1), or 0 for the base rate")
	case notFinite(c.L2):
		return bad("L2", c.L2, "must be finite")
	case c.HalfLife < 0:
		return bad("HalfLife", c.HalfLife, "must not be negative")
	case c.RepeatWindow < 0:
		return bad("RepeatWindow", c.RepeatWindow, "must not be negative")
	case notFinite(c.HardCap) || c.HardCap < 0:
		return bad("HardCap", c.HardCap, "must be finite and not negative")
	case notFinite(c.CapacityStrength) || c.CapacityStrength < 0:
		return bad("CapacityStrength", c.CapacityStrength, "must be finite and not negative")
	case notFinite(c.Capacity) || c.Capacity < 0:
		return bad("Capacity", c.Capacity, "must be finite and not negative")
	case notFinite(c.Gamma) || c.Gamma < 0:
		return bad("Gamma", c.Gamma, "must be finite and not negative")
	case notFinite(c.MaxSaturation) || c.MaxSaturation < 0 || c.MaxSaturation > 1:
		return bad("MaxSaturation", c.MaxSaturation, "must be in (0,1]")
	}
	if c.Window == 0 {
		c.Window = 24 * time.Hour
	}
	if c.AnswerWithin == 0 {
		c.AnswerWithin = 72 * time.Hour
	}
	switch {
	case c.MinHistory == 0:
		c.MinHistory = 3
	case c.MinHistory < 0:
		c.MinHistory = 0
	}
	switch {
	case c.L2 == 0:
		c.L2 = 1e-2
	case c.L2 < 0:
		c.L2 = 0
	}
	if c.HalfLife == 0 {
		c.HalfLife = DefaultHalfLife
	}
	if c.RepeatWindow == 0 {
		c.RepeatWindow = c.HalfLife
	}
	if c.CapacityStrength == 0 {
		c.CapacityStrength = 7
	}
	if c.Capacity == 0 {
		c.Capacity = 50
	}
	if c.Gamma == 0 {
		c.Gamma = 1
	}
	if c.MaxSaturation == 0 {
		c.MaxSaturation = 0.95
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	return c, nil
}

// Controller turns each candidate's saturation s (from a [Model], in
// [0,1]) and ledger load L (decayed impressions the library handed out, see
// [Ledger]) into an exclusion decision and a penalty. With C =
// Config.Capacity, γ = Config.Gamma and S = Config.MaxSaturation:
//
//	budget   B = C · (1 − s)^γ          impressions the candidate may still carry
//	used     u = L / B                  (u = +∞ when B = 0 and L > 0; 0 when L = 0)
//	excluded   ⇔ s ≥ S  or  u ≥ 1      (L ≥ B)
//	penalty  p = 1 − (1 − s)·(1 − min(1, u))   in [0,1]; p = 1 when excluded
//
// The ledger threshold adapts to saturation: a candidate at saturation 0
// may carry C impressions, one at 0.5 (γ = 1) only C/2. Read the other way,
// the saturation threshold adapts to the ledger: a candidate is excluded
// once s ≥ min(S, 1 − (L/C)^(1/γ)), so the more the library has already
// shown someone, the less saturated they need to be to be held back. The
// penalty is for soft down-weighting (for example multiplying a ranking
// score by 1 − p); it grows with both s and the share of the budget used.
//
// A Controller is safe for concurrent use: requests read the ledger while
// [Controller.Served] adds to it.
type Controller struct {
	cfg     Config
	ledger  *Ledger
	repeats *repeats // pairs counted within Config.RepeatWindow
}

// New returns a Controller with an empty ledger, or an error wrapping
// ErrConfig naming the bad field.
func New(cfg Config) (*Controller, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Controller{cfg: c, ledger: NewLedger(c.HalfLife), repeats: newRepeats(c.RepeatWindow)}, nil
}

// Config returns the configuration with defaults filled in.
func (c *Controller) Config() Config { return c.cfg }

// Ledger returns the controller's exposure ledger.
func (c *Controller) Ledger() *Ledger { return c.ledger }

// Served records that candidates were shown once each, at Config.Clock(),
// counting every call. A server answering requesters uses
// [Controller.ServedTo], which counts a pair once per Config.RepeatWindow.
// A clock outside [market.MinTime, market.MaxTime) counts nothing (see
// [Ledger.Add]).
func (c *Controller) Served(candidates []uint32) { c.ledger.AddAll(candidates, c.cfg.Clock()) }

// ServedTo records that candidates were shown to requester at
// Config.Clock(): each candidate's ledger load grows by one impression
// unless the same requester was already shown it within
// Config.RepeatWindow. It returns how many impressions it counted: none,
// remembering no pair, when the clock is outside [market.MinTime,
// market.MaxTime) (see [Ledger.Add]).
func (c *Controller) ServedTo(requester uint32, candidates []uint32) int {
	now := c.cfg.Clock()
	if !countable(now, 1) {
		return 0
	}
	t := now.UnixNano()
	n := 0
	for _, cand := range candidates {
		if c.repeats.first(requester, cand, t) {
			c.ledger.Add(cand, now, 1)
			n++
		}
	}
	return n
}

// Verdict is the controller's decision for one candidate.
type Verdict struct {
	Saturation float64 // s, as given (NaN read as 0)
	Load       float64 // L, the ledger load at now
	Budget     float64 // B = C·(1−s)^γ
	Penalty    float64 // p in [0,1]
	Excluded   bool
}

// Judge returns the verdict for candidate with saturation s at now. A NaN
// saturation (unknown) is read as 0; values outside [0,1] are clamped.
func (c *Controller) Judge(candidate uint32, s float64, now time.Time) Verdict {
	return c.judge(s, c.ledger.Load(candidate, now))
}

func (c *Controller) judge(s, load float64) Verdict {
	if math.IsNaN(s) {
		s = 0
	}
	s = min(max(s, 0), 1)
	v := Verdict{Saturation: s, Load: load}
	v.Budget = c.cfg.Capacity * math.Pow(1-s, c.cfg.Gamma)
	var u float64
	switch {
	case load <= 0:
		u = 0
	case v.Budget <= 0:
		u = math.Inf(1)
	default:
		u = load / v.Budget
	}
	v.Excluded = s >= c.cfg.MaxSaturation || u >= 1
	if v.Excluded {
		v.Penalty = 1
	} else {
		v.Penalty = 1 - (1-s)*(1-u)
	}
	return v
}

// Penalties judges candidates[i] with saturation[i] at now: it writes the
// penalty to penalties[i] and, if excluded is not nil, sets the excluded
// candidates' bits in it (other bits are left alone). It panics if the
// slices' lengths differ.
func (c *Controller) Penalties(candidates []uint32, saturation []float64, now time.Time, penalties []float64, excluded *bitmap.Bitmap) {
	if len(saturation) != len(candidates) || len(penalties) != len(candidates) {
		panic(fmt.Sprintf("exposure: Penalties: %d candidates, %d saturations, %d penalties", len(candidates), len(saturation), len(penalties)))
	}
	t := now.UnixNano()
	c.ledger.mu.RLock()
	defer c.ledger.mu.RUnlock()
	for i, cand := range candidates {
		v := c.judge(saturation[i], c.ledger.load(cand, t))
		penalties[i] = v.Penalty
		if v.Excluded && excluded != nil {
			excluded.Set(cand)
		}
	}
}

// Exclusions sets in dst the bit of every participant to exclude at recall
// at now, given the dense saturation table (saturation[i] for participant
// i; participants past its end count as saturation 0). It clears dst
// first. Cost: one pass over max(len(saturation), ledger length)
// participants, so rebuild it periodically rather than per request, and
// use [Controller.Penalties] on the few hundred recalled candidates.
func (c *Controller) Exclusions(saturation []float64, now time.Time, dst *bitmap.Bitmap) {
	dst.Clear()
	t := now.UnixNano()
	c.ledger.mu.RLock()
	defer c.ledger.mu.RUnlock()
	n := max(len(saturation), len(c.ledger.entries))
	for i := range n {
		s := 0.0
		if i < len(saturation) {
			s = saturation[i]
		}
		if c.judge(s, c.ledger.load(uint32(i), t)).Excluded {
			dst.Set(uint32(i))
		}
	}
}
