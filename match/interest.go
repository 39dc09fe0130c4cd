package match

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync/atomic"

	"github.com/twowayrec/twoway/internal/parallel"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/rank"
	"github.com/twowayrec/twoway/sparse"
)

// InterestConfig configures [FitInterest].
type InterestConfig struct {
	// Model configures rank's hierarchical (global + per-user) logistic
	// regression fitted for each side. Its zero fields take rank's
	// defaults (documented on rank.HierarchicalConfig: prior precision
	// Lambda 1, one pass, GOMAXPROCS workers), except two that the
	// interest model sets differently: Model.Global.L2, zero: 1e-3 (a
	// content vector has many rare terms), and Model.MinRows, zero: 3 (a
	// user needs three samples for a correction of their own).
	Model rank.HierarchicalConfig `json:"model"`
	// ItemLambda is the prior precision of the per-candidate effect (the
	// random effect of each target, GLMix's per-item term): the effect of
	// a candidate with n rows is shrunk toward 0 like a user's intercept.
	// Zero: 1. Negative: no per-candidate effect.
	ItemLambda float64 `json:"item_lambda"`
	// ItemMinRows is the fewest rows a candidate needs for an effect of
	// its own. Zero: 3.
	ItemMinRows int `json:"item_min_rows"`
	// GlobalPrior is the prior precision of each side's global weights in
	// units of sample weight (rows, with balanced samples): the global
	// fit's L2 on its mean log-loss is max(Model.Global.L2, GlobalPrior/W),
	// W the side's total sample weight, so that a small market's few rows
	// cannot push a weight far (the prior N(0, 1/GlobalPrior) on each
	// weight outweighs them), while a market with more than
	// GlobalPrior/Model.Global.L2 rows (3,000 by default) keeps
	// Model.Global.L2. Zero: DefaultGlobalPrior. Negative: none beyond
	// Model.Global.L2.
	GlobalPrior float64 `json:"global_prior,omitempty"`
	// FixLambda takes Model.Lambda and Model.InterceptOnly as given. Zero
	// (false): when Model.LambdaGrid is nil it is {1, 10, 100}, so the
	// prior of the per-user corrections is chosen on held-out rows of each
	// Fit among those and intercept-only corrections (rank's
	// HierarchicalConfig.LambdaGrid): on speed dating's validation waves
	// and on the simulator, neither a weak prior (users with a dozen rows
	// overfit their feature weights) nor intercept-only (users of a large
	// market have tastes of their own) was best on both.
	FixLambda bool `json:"fix_lambda"`
	// Progress, if not nil, is called as FitInterest advances: for each
	// side in turn, as its feature rows are built ("rows", every
	// hundredth of its samples) and then at each step of rank's fit
	// (Model.Progress's steps: "global", "lambda", "entities"). Calls come
	// one at a time; it must return quickly.
	Progress func(InterestProgress) `json:"-"`
}

// InterestProgress reports how far FitInterest has come: the side being
// fitted and rank's progress on it (Step "rows" while its samples become
// feature rows: Done of Total samples).
type InterestProgress struct {
	Side market.Side
	rank.HierarchicalProgress
}

func (c InterestConfig) withDefaults() InterestConfig {
	if c.Model.Global.L2 == 0 {
		c.Model.Global.L2 = 1e-3
	}
	if c.Model.MinRows == 0 {
		c.Model.MinRows = 3
	}
	if c.ItemLambda == 0 {
		c.ItemLambda = 1
	}
	if c.ItemMinRows == 0 {
		c.ItemMinRows = 3
	}
	if c.GlobalPrior == 0 {
		c.GlobalPrior = DefaultGlobalPrior
	}
	if !c.FixLambda && c.Model.LambdaGrid == nil {
		c.Model.LambdaGrid = []float64{1, 10, 100}
	}
	if c.FixLambda {
		c.Model.LambdaGrid = nil
	}
	return c
}

// Lambda returns the prior precision and intercept-only setting of side
// s's per-user corrections, as fitted (chosen on held-out rows unless
// FixLambda); ok is false when the side has no model.
func (m *Interest) Lambda(s market.Side) (lambda float64, interceptOnly, ok bool) {
	if !s.Valid() || m.sides[s] == nil {
		return 0, false, false
	}
	c := m.sides[s].Config()
	return c.Lambda, c.InterceptOnly, true
}

// Validate returns an error naming the first invalid field.
func (c InterestConfig) Validate() error {
	if err := c.Model.Validate(); err != nil {
		return fmt.Errorf("%w: InterestConfig.Model: %w", ErrConfig, err)
	}
	if math.IsNaN(c.ItemLambda) || math.IsInf(c.ItemLambda, 0) {
		return fmt.Errorf("%w: InterestConfig.ItemLambda = %v: want a finite value", ErrConfig, c.ItemLambda)
	}
	if c.ItemMinRows < 0 {
		return fmt.Errorf("%w: InterestConfig.ItemMinRows = %d: want >= 0", ErrConfig, c.ItemMinRows)
	}
	if math.IsNaN(c.GlobalPrior) || math.IsInf(c.GlobalPrior, 0) {
		return fmt.Errorf("%w: InterestConfig.GlobalPrior = %v: want a finite value", ErrConfig, c.GlobalPrior)
	}
	return nil
}

// DefaultGlobalPrior is InterestConfig.GlobalPrior when it is zero. It was
// chosen on speed dating's validation waves 11–14 (real; mean over split
// seeds 1–8; benchmarks/dating). Fitted on each evening alone
// (TestSmallMarketValidation: 9 to 22 people a side, a few hundred
// decisions), the Engine's AUC(match) for women / men requesting rises
// from 0.631 / 0.657 without the prior to 0.695 / 0.704 (prior 1: 0.679 /
// 0.696; 10: 0.694 / 0.708; 100: 0.698 / 0.709), and the forward log-loss
// from 0.666 / 0.640, no better than the base rate's 0.663 / 0.669, to
// 0.584 / 0.607. On the fourteen waves together (TestEngineValidation,
// about 2,700 rows a side) AUC(match) is 0.7369 / 0.7359 against 0.7377 /
// 0.7371 without it (prior 10: 0.7319 / 0.7324). The simulator's markets
// have far more rows than 3/Model.Global.L2, and their matches are
// unchanged (2,163 on validation).
//
// Checked again once a training row stopped counting as an answer to a
// contact made at the same instant as its decision ([Behaviour.AttachEvidence]):
// on one evening alone 0.7084 / 0.7117 with the prior, against 0.6636 /
// 0.6656 without it (prior 1: 0.6954 / 0.7019; 10: 0.7102 / 0.7117; 100:
// 0.7132 / 0.7102), where the best floor (harmonic, the best mean of the
// four, one choice for every evening) has 0.7066 / 0.7066; on the fourteen
// waves 0.7370 / 0.7350, against 0.7377 / 0.7358 without it (prior 10:
// 0.7329 / 0.7301). The prior stays 3.
const DefaultGlobalPrior = 3

// Interest is the fitted interest model of both sides of the market: for
// each side, rank's hierarchical logistic regression, a global model (the
// side's model of which features of a pair predict a positive action) and,
// for each user with enough samples, a personal correction on top of it
// (GLMix's per-user random effect), plus for each candidate with enough
// samples an effect of its own (GLMix's per-item random effect):
//
//	P(a acts positively on b) = σ(b_s + g_s·x + c_a + u_a·x + d_s,b),   x = Features(a, b), s = side of a
//
// g_s, b_s are the global weights and intercept of side s; u_a, c_a are
// a's correction, the MAP estimate from a's samples alone with the global
// score as a fixed offset and the prior (c_a, u_a) ~ N(0, I/λ):
//
//	minimise  Σ_i s_i ℓ(y_i, b_s + g_s·x_i + c + u·x_i) + (λ/2)(c² + ‖u‖²)
//
// and d_s,b is b's effect on side s's actors, fitted last with every other
// term as the offset and the prior d ~ N(0, 1/ItemLambda). So a user with
// few (weighted) samples stays near the side's global preference and a
// heavy user gets their own; a candidate everybody passes over gets a
// negative effect. Users without a correction (new users) use the global
// model. A correction has weights only on features of the user's own
// samples, so it is small and sparse.
//
// x holds the pair features (content fits and similarities, and the
// behavioural [Evidence] of the pair) and the candidate's content vector.
// The evidence of a pair comes from the function given to
// [Interest.SetEvidence] when a caller passes none.
//
// The global models are immutable; [Interest.Update] replaces one user's
// correction in place under a lock. Every method is safe for concurrent
// use; a prediction running during an Update sees the old or the new
// correction.
type Interest struct {
	cfg      InterestConfig
	feat     Featurizer
	sides    [3]*rank.Hierarchical // by market.Side; nil: no data for that side
	items    [3][]float64          // per actor side: the per-candidate effect by target index; nil: none
	evidence func(dst *Evidence, actor, target uint32, answer bool)
}

// SetEvidence sets the function that gives the evidence of a pair when a
// caller passes none (OneWay, Explain, OneWayBatch and OneWayToward with
// nil evidence): f(dst, actor, target, answer) fills dst with actor's
// evidence about target, as an answer to a contact from target when answer
// is true (the backward direction of a two-way match), as observed
// otherwise. Nil: no evidence (zero). Call it before the model is shared:
// it is not safe to call concurrently with scoring.
func (m *Interest) SetEvidence(f func(dst *Evidence, actor, target uint32, answer bool)) {
	m.evidence = f
}

// itemEffect returns the per-candidate effect of target on actors of side s.
func (m *Interest) itemEffect(s market.Side, target uint32) float64 {
	if !s.Valid() {
		return 0
	}
	if t := m.items[s]; int(target) < len(t) {
		return t[target]
	}
	return 0
}

// addEvidence writes ev into the evidence slots of the pair features. A
// NaN or infinite entry counts as missing (0).
func addEvidence(pf *[NumPairFeatures]float64, ev *Evidence) {
	if ev != nil {
		for i, v := range ev {
			pf[FeatureAnswering+i] = finiteOr0(v)
		}
	}
}

// finiteOr0 returns v, or 0 when v is NaN or infinite: evidence that is
// not a number is treated as missing, so scores stay in [0, 1].
func finiteOr0(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// withEvidence appends ev to a feature vector x whose evidence slots are
// empty (a Featurizer leaves them 0), keeping the indices sorted.
func withEvidence(x sparse.Vector, ev *Evidence) sparse.Vector {
	if ev == nil || *ev == (Evidence{}) {
		return x
	}
	// Split at the first index past the evidence slots and insert.
	k := 0
	for k < x.Len() && x.Idx[k] < FeatureAnswering {
		k++
	}
	end := k
	for end < x.Len() && x.Idx[end] < NumPairFeatures {
		end++ // a Featurizer that writes evidence slots: replaced
	}
	tail := sparse.Vector{Idx: slices.Clone(x.Idx[end:]), Val: slices.Clone(x.Val[end:])}
	x.Idx, x.Val = x.Idx[:k], x.Val[:k]
	for i, v := range ev {
		if v = finiteOr0(v); v != 0 {
			x.Idx, x.Val = append(x.Idx, uint32(FeatureAnswering+i)), append(x.Val, v)
		}
	}
	x.Idx, x.Val = append(x.Idx, tail.Idx...), append(x.Val, tail.Val...)
	return x
}

// FitInterest fits the interest models of both sides from samples, with feat
// giving the features of a user's view of a target and each user's side.
// Both the global fits (rank's batch trainer) and the per-user fits run on
// all cores (Model.Global.Workers, Model.Workers); the result does not
// depend on the number of workers. It returns ctx's error when cancelled,
// an error naming the sample whose user has no known side or whose weight
// is bad, and ErrNoSamples when there is nothing to learn.
func FitInterest(ctx context.Context, cfg InterestConfig, feat Featurizer, samples []Sample) (*Interest, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	if len(samples) == 0 {
		return nil, ErrNoSamples
	}
	m := &Interest{cfg: c, feat: feat}
	bySide := [3][]Sample{}
	for i, s := range samples {
		side := feat.Side(s.User)
		if !side.Valid() {
			return nil, fmt.Errorf("%w: sample %d: user %d has no known side", ErrContent, i, s.User)
		}
		if !(s.Weight >= 0) || math.IsInf(s.Weight, 0) {
			return nil, fmt.Errorf("%w: sample %d (user %d, target %d): field Weight: %v", ErrContent, i, s.User, s.Target, s.Weight)
		}
		bySide[side] = append(bySide[side], s)
	}
	for _, side := range []market.Side{market.Seeker, market.Recruiter} {
		ss := bySide[side]
		if len(ss) == 0 {
			continue
		}
		report := func(rank.HierarchicalProgress) {}
		mc := c.Model
		if c.Progress != nil {
			report = func(p rank.HierarchicalProgress) { c.Progress(InterestProgress{Side: side, HierarchicalProgress: p}) }
			inner := mc.Progress
			mc.Progress = func(p rank.HierarchicalProgress) {
				report(p)
				if inner != nil {
					inner(p)
				}
			}
		}
		report(rank.HierarchicalProgress{Step: "rows", Total: len(ss)})
		d, entity, err := interestRows(feat, ss, func(done int) {
			report(rank.HierarchicalProgress{Step: "rows", Done: done, Total: len(ss)})
		})
		if err != nil {
			return nil, err
		}
		if c.GlobalPrior > 0 {
			var total float64
			for _, w := range d.Weight {
				total += w
			}
			if total > 0 {
				mc.Global.L2 = max(mc.Global.L2, c.GlobalPrior/total)
			}
		}
		h, err := rank.FitHierarchical(ctx, mc, d, entity)
		if errors.Is(err, rank.ErrEmpty) {
			continue // every weight zero: nothing to learn on this side
		}
		if err != nil {
			return nil, fmt.Errorf("match: fitting the %v side's interest model: %w", side, err)
		}
		m.sides[side] = h
		if c.ItemLambda > 0 {
			m.items[side] = fitItemEffects(h, d, entity, ss, c)
		}
	}
	if m.sides[market.Seeker] == nil && m.sides[market.Recruiter] == nil {
		return nil, ErrNoSamples
	}
	return m, nil
}

// interestRows builds the training rows of one side's samples ss and each
// row's entity (its user), reporting progress through done about every
// 1% of the rows. With a SplitFeaturizer a target's vector is stored once
// (rank.Dataset's shared vectors), not in every row that shows it.
func interestRows(feat Featurizer, ss []Sample, done func(int)) (*rank.Dataset, []uint32, error) {
	split, _ := feat.(SplitFeaturizer)
	row := func(buf sparse.Vector, s *Sample) sparse.Vector {
		if split != nil {
			return withEvidence(split.PairFeatures(buf, s.User, s.Target), &s.Evidence)
		}
		return withEvidence(feat.Features(buf, s.User, s.Target), &s.Evidence)
	}
	// The rows are computed on every core (Featurizers are safe for
	// concurrent use) and added to the dataset in sample order, so the
	// dataset does not depend on the number of workers.
	workers := max(1, runtime.GOMAXPROCS(0))
	// Size the dataset exactly (one extra pass over the features is
	// cheaper than growing millions of rows by doubling).
	var nnz atomic.Int64
	bg := context.Background()
	_ = parallel.Chunks(bg, workers, interestBatch, len(ss), func(lo, hi int, buf *sparse.Vector) {
		n := 0
		for i := lo; i < hi; i++ {
			*buf = row(*buf, &ss[i])
			n += buf.Len()
		}
		nnz.Add(int64(n))
	})
	d := &rank.Dataset{
		Ptr: make([]int, 0, len(ss)+1), Idx: make([]uint32, 0, nnz.Load()), Val: make([]float64, 0, nnz.Load()),
		Label: make([]float64, 0, len(ss)), Weight: make([]float64, 0, len(ss)),
	}
	var refs map[uint32]int32
	if split != nil {
		d.Shared, d.Ref, refs = &rank.Shared{}, make([]int32, 0, len(ss)), map[uint32]int32{}
	}
	entity := make([]uint32, 0, len(ss))
	every := max(1, len(ss)/100)
	var cand sparse.Vector
	rows := make([]sparse.Vector, min(len(ss), interestWindow)) // a window's rows, each slot's storage reused
	for lo := 0; lo < len(ss); lo += interestWindow {
		win := ss[lo:min(lo+interestWindow, len(ss))]
		_ = parallel.Chunks(bg, workers, interestBatch, len(win), func(a, b int, _ *struct{}) {
			for k := a; k < b; k++ {
				rows[k] = row(rows[k], &win[k])
			}
		})
		for k := range win {
			s := &win[k]
			ref := int32(-1)
			if split != nil {
				r, ok := refs[s.Target]
				if !ok {
					r = -1
					if cand = split.CandidateFeatures(cand, s.Target); cand.Len() > 0 {
						var err error
						if r, err = d.Shared.Add(cand); err != nil {
							return nil, nil, fmt.Errorf("%w: target %d's features: %w", ErrContent, s.Target, err)
						}
					}
					refs[s.Target] = r
				}
				ref = r
			}
			if err := d.AddShared(rows[k], ref, label(s.Attended), s.Weight, 0); err != nil {
				return nil, nil, fmt.Errorf("%w: sample (user %d, target %d): %w", ErrContent, s.User, s.Target, err)
			}
			entity = append(entity, s.User)
			if i := lo + k; (i+1)%every == 0 || i+1 == len(ss) {
				done(i + 1)
			}
		}
	}
	return d, entity, nil
}

// interestWindow is how many samples interestRows computes the rows of
// before adding them to the dataset; interestBatch how many a worker takes
// at a time. (Variables so that tests can cross windows with few samples.)
var (
	interestWindow = 16384
	interestBatch  = 256
)

func label(attended bool) float64 {
	if attended {
		return 1
	}
	return 0
}

// Update refits user's correction from samples (all of the user's samples
// that should count, typically [Samples] over the user's recent events)
// against the unchanged global model of the user's side: the online update
// after new events, without a full refit. Fewer than Model.MinRows samples
// remove the correction (the user falls back to the global model). Features
// beyond the global model's dimension (terms new since the fit) are left
// out. It returns an error wrapping ErrContent for a sample of another user
// or a user of unknown side; the model is then unchanged.
func (m *Interest) Update(ctx context.Context, user uint32, samples []Sample) error {
	side := m.feat.Side(user)
	if !side.Valid() {
		return fmt.Errorf("%w: user %d has no known side", ErrContent, user)
	}
	for i, s := range samples {
		if s.User != user {
			return fmt.Errorf("%w: sample %d is for user %d, not %d", ErrContent, i, s.User, user)
		}
	}
	h := m.sides[side]
	if h == nil {
		return nil // no model for this side yet: nothing to correct
	}
	dim := uint32(h.Global().Dim())
	var d rank.Dataset
	var buf sparse.Vector
	for i, s := range samples {
		buf = withEvidence(m.feat.Features(buf, s.User, s.Target), &s.Evidence)
		n := 0
		for n < buf.Len() && buf.Idx[n] < dim {
			n++
		}
		x := sparse.Vector{Idx: buf.Idx[:n], Val: buf.Val[:n]}
		if err := d.Add(x, label(s.Attended), s.Weight); err != nil {
			return fmt.Errorf("%w: sample %d (user %d, target %d): %w", ErrContent, i, s.User, s.Target, err)
		}
	}
	if err := h.UpdateEntity(ctx, user, &d); err != nil {
		return fmt.Errorf("match: updating user %d: %w", user, err)
	}
	return nil
}

// Global returns the global model of side s (the side's content feature
// model: how much each feature of a candidate predicts attention from
// users of side s), or nil when side s had no samples.
func (m *Interest) Global(s market.Side) *rank.Model {
	if !s.Valid() || m.sides[s] == nil {
		return nil
	}
	return m.sides[s].Global()
}

// correction returns user's model of their side and their correction (nil
// when they have none); h is nil when the side has no model.
func (m *Interest) correction(user uint32) (h *rank.Hierarchical, c *rank.Correction) {
	return m.correctionOn(m.feat.Side(user), user)
}

// correctionOn is correction for a user known to be on side s; it takes no
// lock of the Featurizer.
func (m *Interest) correctionOn(s market.Side, user uint32) (h *rank.Hierarchical, c *rank.Correction) {
	if !s.Valid() || m.sides[s] == nil {
		return nil, nil
	}
	h = m.sides[s]
	return h, h.Correction(user)
}

// HasCorrection reports whether user has a personal correction, and how
// many samples it was fitted on.
func (m *Interest) HasCorrection(user uint32) (bool, int) {
	if _, c := m.correction(user); c != nil {
		return true, c.Rows
	}
	return false, 0
}

// OneWay returns requester a's one-way match for candidate b: the
// probability in [0, 1] that a acts positively on b under a's interest
// model, with the pair's evidence from SetEvidence's function. A requester
// of unknown side or of a side without a model gets 0.5. It builds one
// feature vector; score many candidates with [Interest.OneWayBatch], which
// does not allocate.
func (m *Interest) OneWay(a, b uint32) float64 { return m.oneWay(a, b, false) }

// OneWayAnswer is OneWay for a's answer to a contact from b: the backward
// direction of b's two-way match with a.
func (m *Interest) OneWayAnswer(a, b uint32) float64 { return m.oneWay(a, b, true) }

func (m *Interest) oneWay(a, b uint32, answer bool) float64 {
	var ev Evidence
	if m.evidence != nil {
		m.evidence(&ev, a, b, answer)
	}
	return m.OneWayWith(a, b, &ev)
}

// OneWayWith is OneWay with the pair's evidence given (nil: none). A NaN
// or infinite evidence entry counts as missing (0), as in OneWayBatch and
// OneWayToward, so the result stays in [0, 1].
func (m *Interest) OneWayWith(a, b uint32, ev *Evidence) float64 {
	s := m.feat.Side(a)
	h, c := m.correctionOn(s, a)
	if h == nil {
		return 0.5
	}
	x := withEvidence(m.feat.Features(sparse.Vector{}, a, b), ev)
	z := h.Global().Score(x) + m.itemEffect(s, b)
	if c != nil {
		z += c.Score(x)
	}
	return rank.Sigmoid(z)
}

// Buffer is reusable scratch space for [Interest.OneWayBatch]. The zero
// Buffer is ready; a Buffer must not be used by two goroutines at once.
type Buffer struct {
	x      sparse.Vector
	w      []float64 // the requester's weights: global + correction, dense
	skills termSet   // the requester's skills
	terms  termSet   // the requester's skills, tags and expansions
	dense  []float64 // the requester's (OneWayBatch) or the target's (OneWayToward) content, dense
	ev     []Evidence
}

// evidenceFor returns ev, or (when nil and SetEvidence gave a function)
// the evidence of each pair (actor(i), target(i)) computed into buf.
func (m *Interest) evidenceFor(ev []Evidence, buf *Buffer, n int, pair func(i int) (actor, target uint32, answer bool)) []Evidence {
	if ev != nil {
		if len(ev) != n {
			panic(fmt.Sprintf("match: %d evidence entries for %d pairs", len(ev), n))
		}
		return ev
	}
	if m.evidence == nil {
		return nil
	}
	buf.ev = slices.Grow(buf.ev[:0], n)[:n]
	for i := range buf.ev {
		a, t, answer := pair(i)
		m.evidence(&buf.ev[i], a, t, answer)
	}
	return buf.ev
}

// dense lays v out densely in dst (grown and cleared) and returns it.
func dense(dst []float64, v sparse.Vector) []float64 {
	n := 0
	if k := len(v.Idx); k > 0 {
		n = int(v.Idx[k-1]) + 1
	}
	dst = slices.Grow(dst[:0], n)[:n]
	clear(dst)
	for k, j := range v.Idx {
		dst[j] = v.Val[k]
	}
	return dst
}

// OneWayBatch writes requester a's one-way match for each candidate into
// dst (grown if needed) and returns it; dst[i] is for candidates[i], with
// the pair's evidence ev[i] (nil: from SetEvidence's function, or none).
// With a reused Buffer, a dst of sufficient capacity and evidence given,
// it does not allocate.
//
// a's weights (the side's global weights plus a's correction) and content
// are laid out densely once per call; with a [Catalog] the feature vectors
// are not even built: each candidate costs its pair features and one pass
// over its content vector.
func (m *Interest) OneWayBatch(dst []float64, buf *Buffer, a uint32, candidates []uint32, ev []Evidence) []float64 {
	dst = slices.Grow(dst[:0], len(candidates))[:len(candidates)]
	s := m.feat.Side(a)
	h, c := m.correctionOn(s, a)
	if h == nil {
		for i := range dst {
			dst[i] = 0.5
		}
		return dst
	}
	ev = m.evidenceFor(ev, buf, len(candidates), func(i int) (uint32, uint32, bool) { return a, candidates[i], false })
	g := h.Global()
	bias := g.Bias()
	size := max(g.Dim(), NumPairFeatures)
	if c != nil {
		bias += c.Bias
		if n := c.Weights.Len(); n > 0 {
			size = max(size, int(c.Weights.Idx[n-1])+1)
		}
	}
	buf.w = slices.Grow(buf.w[:0], size)[:size]
	for j := range buf.w {
		buf.w[j] = g.Weight(uint32(j))
	}
	if c != nil {
		for k, j := range c.Weights.Idx {
			buf.w[j] += c.Weights.Val[k]
		}
	}
	w := buf.w
	if cat, ok := m.feat.(*Catalog); ok {
		cat.mu.RLock()
		defer cat.mu.RUnlock()
		ia := cat.item(a)
		if ia == nil {
			ia = &emptyItem
		}
		buf.skills = buf.skills.fill(ia.skills, len(cat.words))
		buf.terms = buf.terms.fill(ia.tags, len(cat.words))
		buf.dense = dense(buf.dense, ia.c.Vector)
		var pf [NumPairFeatures]float64
		wp := w[:NumPairFeatures:NumPairFeatures]
		wc := w[NumPairFeatures:] // content weights
		for i, b := range candidates {
			ib := cat.item(b)
			if ib == nil {
				ib = &emptyItem
			}
			pairFeaturesCounted(&pf, ia, ib, buf.skills.count(ib.skills), buf.terms.count(ib.tags))
			cat.similarityDense(&pf, buf.dense, ib.c.Vector)
			if ev != nil {
				addEvidence(&pf, &ev[i])
			}
			z := bias + m.itemEffect(s, b)
			for j, x := range pf {
				z += x * wp[j]
			}
			v := ib.c.Vector
			val := v.Val[:len(v.Idx)]
			for k, j := range v.Idx {
				if int(j) < len(wc) {
					z += val[k] * wc[j]
				}
			}
			dst[i] = rank.Sigmoid(z)
		}
		return dst
	}
	for i, b := range candidates {
		var e *Evidence
		if ev != nil {
			e = &ev[i]
		}
		buf.x = withEvidence(m.feat.Features(buf.x, a, b), e)
		dst[i] = rank.Sigmoid(bias + m.itemEffect(s, b) + sparse.DotDense(buf.x, w))
	}
	return dst
}

// OneWayToward writes each actor's one-way match for the one target b into
// dst (grown if needed) and returns it: dst[i] = OneWayWith(actors[i], b,
// &ev[i]) up to rounding (ev nil: OneWayAnswer(actors[i], b), each actor
// answering a contact from b).
// It is the backward half of a request's two-way scores (every
// candidate's view of the requester). With a [Catalog], b's side of the
// work is done once: b's content is dotted with each side's global
// weights once, and each actor adds its pair features and its correction.
// With a reused Buffer, a dst of sufficient capacity and evidence given,
// it does not allocate.
func (m *Interest) OneWayToward(dst []float64, buf *Buffer, actors []uint32, b uint32, ev []Evidence) []float64 {
	dst = slices.Grow(dst[:0], len(actors))[:len(actors)]
	ev = m.evidenceFor(ev, buf, len(actors), func(i int) (uint32, uint32, bool) { return actors[i], b, true })
	cat, ok := m.feat.(*Catalog)
	if !ok {
		for i, a := range actors {
			var e *Evidence
			if ev != nil {
				e = &ev[i]
			}
			dst[i] = m.OneWayWith(a, b, e)
		}
		return dst
	}
	cat.mu.RLock()
	defer cat.mu.RUnlock()
	ib := cat.item(b)
	if ib == nil {
		ib = &emptyItem
	}
	buf.skills = buf.skills.fill(ib.skills, len(cat.words))
	buf.terms = buf.terms.fill(ib.tags, len(cat.words))
	v := ib.c.Vector
	val := v.Val[:len(v.Idx)]
	// b's content, dense, for the actors' corrections and similarities.
	buf.dense = dense(buf.dense, v)
	var (
		side   *rank.Hierarchical // whose global part is laid out below
		global float64            // its bias plus its weights · b's content
		wp, pf [NumPairFeatures]float64
	)
	for i, a := range actors {
		ia := cat.item(a)
		if ia == nil {
			ia = &emptyItem
		}
		// The side from the item, not m.correction: cat.mu is held, and
		// Catalog.Side would take it a second time on this goroutine (a
		// writer waiting in between would deadlock both).
		s := ia.c.Side
		h, c := m.correctionOn(s, a)
		if h == nil {
			dst[i] = 0.5
			continue
		}
		if h != side {
			side = h
			g := h.Global()
			global = g.Bias()
			for k, j := range v.Idx {
				global += val[k] * g.Weight(NumPairFeatures+j)
			}
			for j := range wp {
				wp[j] = g.Weight(uint32(j))
			}
		}
		pairFeaturesCounted(&pf, ia, ib, buf.skills.count(ia.skills), buf.terms.count(ia.tags))
		cat.similarityDense(&pf, buf.dense, ia.c.Vector)
		if ev != nil {
			addEvidence(&pf, &ev[i])
		}
		z := global + m.itemEffect(s, b)
		for j, x := range pf {
			z += x * wp[j]
		}
		if c != nil {
			z += c.Bias + correctionDot(c.Weights, &pf, buf.dense)
		}
		dst[i] = rank.Sigmoid(z)
	}
	return dst
}

// correctionDot returns w · x for the feature vector x made of the pair
// features pf followed by a content vector laid out densely in dense
// (shifted by NumPairFeatures; indices beyond it are 0), with w sorted by
// index. It costs one pass over w.
//
// Indices are sorted, so the pair features' weights come first and the
// content's stop at the first index past dense: two loops without a
// branch per weight but the bound (the same sum, in the same order).
func correctionDot(w sparse.Vector, pf *[NumPairFeatures]float64, dense []float64) float64 {
	s := 0.0
	idx := w.Idx
	val := w.Val[:len(idx)]
	n := 0
	for ; n < len(idx) && idx[n] < NumPairFeatures; n++ {
		s += val[n] * pf[idx[n]]
	}
	idx, val = idx[n:], val[n:]
	for k, j := range idx {
		cj := j - NumPairFeatures
		if int(cj) >= len(dense) {
			break
		}
		s += val[k] * dense[cj]
	}
	return s
}

// TwoWay returns the two-way match of requester a and candidate b under
// aggregator agg, with the urgencies ua of a and ub of b (NaN: unknown):
// a's one-way match for b and b's answer to a contact from a.
func (m *Interest) TwoWay(agg Aggregator, a, b uint32, ua, ub float64) float64 {
	return agg(Pair{Forward: m.OneWay(a, b), Backward: m.OneWayAnswer(b, a), RequesterUrgency: ua, CandidateUrgency: ub})
}

// contributions returns, for a's view of b, the features x, the weight
// each feature carries in a's model (global + correction) and the
// intercept.
func (m *Interest) contributions(a, b uint32, answer bool) (x sparse.Vector, w []float64, bias float64, ok bool) {
	h, c := m.correction(a)
	if h == nil {
		return x, nil, 0, false
	}
	g := h.Global()
	bias = g.Bias() + m.itemEffect(m.feat.Side(a), b)
	if c != nil {
		bias += c.Bias
	}
	var ev Evidence
	if m.evidence != nil {
		m.evidence(&ev, a, b, answer)
	}
	x = withEvidence(m.feat.Features(sparse.Vector{}, a, b), &ev)
	w = make([]float64, x.Len())
	for k, j := range x.Idx {
		w[k] = g.Weight(j)
		if c != nil {
			w[k] += c.Weights.Get(j)
		}
	}
	return x, w, bias, true
}

// fitItemEffects fits each target's effect d on the actors of one side,
// with every other term of the model as a fixed offset: the MAP of
//
//	minimise  Σ_i s_i ℓ(y_i, o_i + d) + (λ/2) d²
//
// over the target's rows i (λ = ItemLambda), by Newton's method (the
// problem is one-dimensional and strictly convex). Targets with fewer than
// ItemMinRows rows get 0. rows[i] of d is ss[i]; entity[i] its user.
func fitItemEffects(h *rank.Hierarchical, d *rank.Dataset, entity []uint32, ss []Sample, c InterestConfig) []float64 {
	g := h.Global()
	off := make([]float64, d.Len())
	var x sparse.Vector
	for i := range off {
		x = d.AppendRow(x, i)
		z := g.Score(x)
		if cr := h.Correction(entity[i]); cr != nil {
			z += cr.Score(x)
		}
		off[i] = z
	}
	byTarget := map[uint32][]int{}
	n := 0
	for i, s := range ss {
		byTarget[s.Target] = append(byTarget[s.Target], i)
		n = max(n, int(s.Target)+1)
	}
	out := make([]float64, n)
	for t, rows := range byTarget {
		if len(rows) < c.ItemMinRows {
			continue
		}
		e := 0.0
		for range 30 {
			grad, hess := c.ItemLambda*e, c.ItemLambda
			for _, i := range rows {
				p := rank.Sigmoid(off[i] + e)
				grad += d.Weight[i] * (p - d.Label[i])
				hess += d.Weight[i] * p * (1 - p)
			}
			step := grad / hess
			e -= step
			if math.Abs(step) < 1e-9 {
				break
			}
		}
		out[t] = e
	}
	return out
}
