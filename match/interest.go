package match

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/rank"
	"github.com/twowayrec/twoway/sparse"
)

// InterestConfig configures [FitInterest].
type InterestConfig struct {
	// Global trains each side's global model (the content feature model:
	// which features of the other side's profiles predict attention). Zero:
	// rank's defaults with L2 = 1e-3.
	Global rank.Config `json:"global"`
	// UserPrior is κ, the strength of the Gaussian prior that ties a
	// user's correction to the global model (see [Interest]). Zero: 2.
	UserPrior float64 `json:"user_prior"`
	// MinUserSamples is the fewest samples a user needs to get a
	// correction of their own; users with fewer use the global model.
	// Zero: 3.
	MinUserSamples int `json:"min_user_samples"`
	// UserIterations bounds the L-BFGS iterations of one user's fit.
	// Zero: 50.
	UserIterations int `json:"user_iterations"`
	// Workers is the number of goroutines fitting users. Zero: GOMAXPROCS.
	Workers int `json:"workers"`
}

func (c InterestConfig) withDefaults() InterestConfig {
	if c.Global.L2 == 0 {
		c.Global.L2 = 1e-3
	}
	if c.UserPrior == 0 {
		c.UserPrior = 2
	}
	if c.MinUserSamples == 0 {
		c.MinUserSamples = 3
	}
	if c.UserIterations == 0 {
		c.UserIterations = 50
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c
}

// Validate returns an error naming the first invalid field.
func (c InterestConfig) Validate() error {
	if err := c.Global.Validate(); err != nil {
		return fmt.Errorf("%w: InterestConfig.Global: %w", ErrConfig, err)
	}
	switch {
	case !(c.UserPrior >= 0) || math.IsInf(c.UserPrior, 0):
		return fmt.Errorf("%w: InterestConfig.UserPrior = %v: want a finite value >= 0", ErrConfig, c.UserPrior)
	case c.MinUserSamples < 0:
		return fmt.Errorf("%w: InterestConfig.MinUserSamples = %d: want >= 0", ErrConfig, c.MinUserSamples)
	case c.UserIterations < 0:
		return fmt.Errorf("%w: InterestConfig.UserIterations = %d: want >= 0", ErrConfig, c.UserIterations)
	case c.Workers < 0:
		return fmt.Errorf("%w: InterestConfig.Workers = %d: want >= 0", ErrConfig, c.Workers)
	}
	return nil
}

// Interest is the fitted interest model of both sides of the market: for
// each side a global logistic regression (the side's content feature model)
// and, for each user with enough samples, a personal correction on top of it
// (a hierarchical global + per-user model, as in GLMix):
//
//	P(a attends to b) = σ(g_s·x + b_s + u_a·x + c_a),   x = Features(a, b), s = side of a
//
// g_s, b_s are the global weights and intercept of side s; u_a, c_a are a's
// correction, fitted on a's samples alone with the global score as a fixed
// offset and the Gaussian prior u_a, c_a ~ N(0, 1/κ) (κ = UserPrior), i.e.
// by minimising
//
//	Σ_i s_i ℓ(y_i, g_s·x_i + b_s + u·x_i + c) + (κ/2)(‖u‖² + c²)
//
// so a user with few (weighted) samples stays near the side's global
// preference and a heavy user gets their own. Users with no correction (new
// users) use the global model. A correction only has weights on features
// that occur in the user's own samples, so it is small and sparse.
//
// An Interest is an immutable value, safe for concurrent use; [Interest.Update]
// returns a new one that shares everything but the updated user.
type Interest struct {
	cfg   InterestConfig
	feat  Featurizer
	sides [3]*rank.Model // by market.Side; nil: no data for that side
	users [][]*userModel // chunks of userChunk, by global index
}

const userChunk = 1024

// userModel is one user's correction u·x + c.
type userModel struct {
	w       sparse.Vector
	bias    float64
	samples int
}

// FitInterest fits the interest models of both sides from samples, with feat
// giving the features of a user's view of a target and each user's side.
// The global fits use rank's parallel batch trainer; the per-user fits run
// on Workers goroutines. It returns ctx's error when cancelled, an error
// naming the sample whose user has no known side, and ErrNoSamples when
// samples is empty. The result is the same for the same inputs whatever the
// number of workers.
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
	var maxUser uint32
	for _, s := range samples {
		maxUser = max(maxUser, s.User)
	}
	m.users = make([][]*userModel, int(maxUser)/userChunk+1)
	var buf sparse.Vector
	for _, side := range []market.Side{market.Seeker, market.Recruiter} {
		ss := bySide[side]
		if len(ss) == 0 {
			continue
		}
		slices.SortStableFunc(ss, func(a, b Sample) int { return cmp.Compare(a.User, b.User) })
		var d rank.Dataset
		for _, s := range ss {
			buf = feat.Features(buf, s.User, s.Target)
			if err := d.Add(buf, label(s.Attended), s.Weight); err != nil {
				return nil, fmt.Errorf("%w: sample (user %d, target %d): %w", ErrContent, s.User, s.Target, err)
			}
		}
		g, err := rank.Fit(ctx, c.Global, &d)
		if errors.Is(err, rank.ErrEmpty) {
			continue // every weight zero: nothing to learn on this side
		}
		if err != nil {
			return nil, fmt.Errorf("match: fitting the %v side's global model: %w", side, err)
		}
		m.sides[side] = g
		if err := m.fitUsers(ctx, &d, ss); err != nil {
			return nil, err
		}
	}
	if m.sides[market.Seeker] == nil && m.sides[market.Recruiter] == nil {
		return nil, ErrNoSamples
	}
	return m, nil
}

func label(attended bool) float64 {
	if attended {
		return 1
	}
	return 0
}

// fitUsers fits the correction of every user of one side. d holds the rows
// of ss (sorted by user) in the same order.
func (m *Interest) fitUsers(ctx context.Context, d *rank.Dataset, ss []Sample) error {
	type span struct {
		user   uint32
		lo, hi int
	}
	var spans []span
	for lo := 0; lo < len(ss); {
		hi := lo
		for hi < len(ss) && ss[hi].User == ss[lo].User {
			hi++
		}
		if hi-lo >= m.cfg.MinUserSamples {
			spans = append(spans, span{ss[lo].User, lo, hi})
		}
		lo = hi
	}
	global := m.sides[m.feat.Side(ss[0].User)]
	results := make([]*userModel, len(spans))
	errs := make([]error, len(spans))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(m.cfg.Workers, max(1, len(spans))) {
		wg.Go(func() {
			var fit userFit
			for k := range next {
				sp := spans[k]
				results[k], errs[k] = fit.fit(ctx, m.cfg, global, d, sp.lo, sp.hi)
			}
		})
	}
	for k := range spans {
		if ctx.Err() != nil {
			break
		}
		next <- k
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("match: fitting users: %w", err)
	}
	for k, sp := range spans {
		if errs[k] != nil {
			return fmt.Errorf("match: fitting user %d: %w", sp.user, errs[k])
		}
		m.setUser(sp.user, results[k])
	}
	return nil
}

// setUser stores u in place; only during construction.
func (m *Interest) setUser(user uint32, u *userModel) {
	ch := int(user) / userChunk
	for len(m.users) <= ch {
		m.users = append(m.users, nil)
	}
	if m.users[ch] == nil {
		m.users[ch] = make([]*userModel, userChunk)
	}
	m.users[ch][int(user)%userChunk] = u
}

func (m *Interest) user(user uint32) *userModel {
	ch := int(user) / userChunk
	if ch >= len(m.users) || m.users[ch] == nil {
		return nil
	}
	return m.users[ch][int(user)%userChunk]
}

// userFit is the scratch space of one worker's per-user fits.
type userFit struct {
	local map[uint32]uint32
	feats []uint32
	d     rank.Dataset
	buf   sparse.Builder
	row   sparse.Vector
}

// fit fits one user's correction on rows [lo, hi) of d, whose global score
// is given by global. The user's features are renumbered densely (their
// last local index is the correction's intercept, a constant-1 feature, so
// that the prior applies to it too).
func (f *userFit) fit(ctx context.Context, c InterestConfig, global *rank.Model, d *rank.Dataset, lo, hi int) (*userModel, error) {
	if f.local == nil {
		f.local = make(map[uint32]uint32)
	}
	clear(f.local)
	f.feats = f.feats[:0]
	for i := lo; i < hi; i++ {
		for _, j := range d.Row(i).Idx {
			if _, ok := f.local[j]; !ok {
				f.local[j] = 0
				f.feats = append(f.feats, j)
			}
		}
	}
	slices.Sort(f.feats)
	for k, j := range f.feats {
		f.local[j] = uint32(k)
	}
	interceptIx := uint32(len(f.feats))
	f.d = rank.Dataset{Ptr: f.d.Ptr[:0], Idx: f.d.Idx[:0], Val: f.d.Val[:0], Label: f.d.Label[:0], Weight: f.d.Weight[:0], Offset: f.d.Offset[:0]}
	var wsum float64
	for i := lo; i < hi; i++ {
		x := d.Row(i)
		f.buf.Reset()
		for k, j := range x.Idx {
			f.buf.Add(f.local[j], x.Val[k])
		}
		f.buf.Add(interceptIx, 1)
		f.row = f.buf.Vector(f.row)
		if err := f.d.AddOffset(f.row, d.Label[i], d.Weight[i], global.Score(x)); err != nil {
			return nil, err
		}
		wsum += d.Weight[i]
	}
	if wsum == 0 {
		return nil, nil
	}
	// rank's objective is the weighted mean loss plus (L2/2)‖w‖²; the sum
	// form with prior κ divides by W = Σ s_i: L2 = κ / W.
	model, err := rank.Fit(ctx, rank.Config{
		L2: c.UserPrior / wsum, NoIntercept: true, Dim: int(interceptIx) + 1,
		MaxIterations: c.UserIterations, Tolerance: 1e-5, Workers: 1,
	}, &f.d)
	if err != nil {
		return nil, err
	}
	u := &userModel{bias: model.Weight(interceptIx), samples: hi - lo}
	for k, j := range f.feats {
		if w := model.Weight(uint32(k)); w != 0 {
			u.w.Idx = append(u.w.Idx, j)
			u.w.Val = append(u.w.Val, w)
		}
	}
	return u, nil
}

// Update returns a copy of m in which user's correction is refitted from
// samples (all of user's samples that should count, typically [Samples] over
// the user's recent events), against the unchanged global model of the
// user's side: the online update after new events, without a full refit.
// Fewer than MinUserSamples samples remove the user's correction (the user
// falls back to the global model). m itself is not changed; the copy shares
// all other users' corrections, so an update costs O(users/1024 + 1024)
// plus the user's fit.
func (m *Interest) Update(ctx context.Context, user uint32, samples []Sample) (*Interest, error) {
	side := m.feat.Side(user)
	if !side.Valid() {
		return nil, fmt.Errorf("%w: user %d has no known side", ErrContent, user)
	}
	for i, s := range samples {
		if s.User != user {
			return nil, fmt.Errorf("%w: sample %d is for user %d, not %d", ErrContent, i, s.User, user)
		}
	}
	global := m.sides[side]
	var u *userModel
	if global != nil && len(samples) >= m.cfg.MinUserSamples && len(samples) > 0 {
		var d rank.Dataset
		var buf sparse.Vector
		for i, s := range samples {
			buf = m.feat.Features(buf, s.User, s.Target)
			if err := d.Add(buf, label(s.Attended), s.Weight); err != nil {
				return nil, fmt.Errorf("%w: sample %d (user %d, target %d): %w", ErrContent, i, s.User, s.Target, err)
			}
		}
		var f userFit
		var err error
		if u, err = f.fit(ctx, m.cfg, global, &d, 0, d.Len()); err != nil {
			return nil, fmt.Errorf("match: updating user %d: %w", user, err)
		}
	}
	n := *m
	ch := int(user) / userChunk
	n.users = slices.Clone(m.users)
	for len(n.users) <= ch {
		n.users = append(n.users, nil)
	}
	if n.users[ch] == nil {
		n.users[ch] = make([]*userModel, userChunk)
	} else {
		n.users[ch] = slices.Clone(n.users[ch])
	}
	n.users[ch][int(user)%userChunk] = u
	return &n, nil
}

// Global returns the global model of side s (the side's content feature
// model: how much each feature of a candidate predicts attention from
// users of side s), or nil when side s had no samples.
func (m *Interest) Global(s market.Side) *rank.Model {
	if !s.Valid() {
		return nil
	}
	return m.sides[s]
}

// HasCorrection reports whether user has a personal correction (and how
// many samples it was fitted on).
func (m *Interest) HasCorrection(user uint32) (bool, int) {
	if u := m.user(user); u != nil {
		return true, u.samples
	}
	return false, 0
}

// logit returns the log-odds of a's interest in b for features x.
func (m *Interest) logit(g *rank.Model, u *userModel, x sparse.Vector) float64 {
	z := g.Score(x)
	if u != nil {
		z += sparse.Dot(x, u.w) + u.bias
	}
	return z
}

// OneWay returns requester a's one-way match for candidate b: the
// probability in [0, 1] that a attends to b under a's interest model. A
// requester of unknown side or of a side without a model gets 0.5.
func (m *Interest) OneWay(a, b uint32) float64 {
	g := m.sides[sideIndex(m.feat.Side(a))]
	if g == nil {
		return 0.5
	}
	x := m.feat.Features(sparse.Vector{}, a, b)
	return rank.Sigmoid(m.logit(g, m.user(a), x))
}

func sideIndex(s market.Side) market.Side {
	if s.Valid() {
		return s
	}
	return 0
}

// Buffer is reusable scratch space for [Interest.OneWayBatch]. The zero
// Buffer is ready; a Buffer must not be used by two goroutines at once.
type Buffer struct {
	x sparse.Vector
	w []float64
}

// OneWayBatch writes requester a's one-way match for each candidate into
// dst (grown if needed) and returns it; dst[i] is for candidates[i]. With a
// reused Buffer and a dst of sufficient capacity it does not allocate. It
// combines a's correction with the global weights once, so each candidate
// costs one sparse feature build and one dense dot product.
func (m *Interest) OneWayBatch(dst []float64, buf *Buffer, a uint32, candidates []uint32) []float64 {
	dst = slices.Grow(dst[:0], len(candidates))[:len(candidates)]
	g := m.sides[sideIndex(m.feat.Side(a))]
	if g == nil {
		for i := range dst {
			dst[i] = 0.5
		}
		return dst
	}
	// w = global weights + a's correction, densely.
	dim := g.Dim()
	u := m.user(a)
	bias := g.Bias()
	if u != nil {
		bias += u.bias
		if n := u.w.Len(); n > 0 {
			dim = max(dim, int(u.w.Idx[n-1])+1)
		}
	}
	buf.w = slices.Grow(buf.w[:0], dim)[:dim]
	for j := range buf.w {
		buf.w[j] = g.Weight(uint32(j))
	}
	if u != nil {
		for k, j := range u.w.Idx {
			buf.w[j] += u.w.Val[k]
		}
	}
	if c, ok := m.feat.(*Catalog); ok {
		c.mu.RLock()
		defer c.mu.RUnlock()
		for i, b := range candidates {
			buf.x = c.features(buf.x, a, b)
			dst[i] = rank.Sigmoid(bias + sparse.DotDense(buf.x, buf.w))
		}
		return dst
	}
	for i, b := range candidates {
		buf.x = m.feat.Features(buf.x, a, b)
		dst[i] = rank.Sigmoid(bias + sparse.DotDense(buf.x, buf.w))
	}
	return dst
}

// TwoWay returns the two-way match of requester a and candidate b under
// aggregator agg, with the urgencies ua of a and ub of b (NaN: unknown).
func (m *Interest) TwoWay(agg Aggregator, a, b uint32, ua, ub float64) float64 {
	return agg(Pair{Forward: m.OneWay(a, b), Backward: m.OneWay(b, a), RequesterUrgency: ua, CandidateUrgency: ub})
}

// contributions returns, for a's view of b, the features x and the weight
// each feature carries in a's model (global + correction), plus the
// intercept.
func (m *Interest) contributions(a, b uint32) (x sparse.Vector, w []float64, bias float64, ok bool) {
	g := m.sides[sideIndex(m.feat.Side(a))]
	if g == nil {
		return x, nil, 0, false
	}
	x = m.feat.Features(sparse.Vector{}, a, b)
	u := m.user(a)
	w = make([]float64, x.Len())
	bias = g.Bias()
	if u != nil {
		bias += u.bias
	}
	for k, j := range x.Idx {
		w[k] = g.Weight(j)
		if u != nil {
			w[k] += u.w.Get(j)
		}
	}
	return x, w, bias, true
}
