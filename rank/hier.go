package rank

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/twowayrec/twoway/sparse"
)

// HierarchicalConfig sets up [FitHierarchical]. The zero value is valid.
//
// # Model and prior
//
// The score of a row x of entity e (a user, a job) is
//
//	z = o + g(x) + b_e + β_e·x,   g(x) = b + w·x   (the global model)
//
// The global model is fitted by [Fit] with Config Global on every row. Each
// entity's correction (b_e, β_e) is then the MAP estimate under the prior
// b_e ~ N(0, 1/λ_b), β_e ~ N(0, I/λ), from the entity's own rows only,
// with the global score held fixed as an offset:
//
//	minimise  Σ_{i ∈ e} s_i ℓ(y_i, o_i + g(x_i) + b_e + β_e·x_i) + (λ_b/2) b_e² + (λ/2) ‖β_e‖²
//
// λ is Lambda and λ_b InterceptLambda. The entity intercept b_e captures
// how generous the entity is overall (it moves every score of the entity
// alike, so it changes calibration and AUC across entities but not the
// entity's own ranking); β_e captures personal taste and needs more rows.
// InterceptOnly drops β_e.
//
// The data term is a sum (not a mean), so the prior weighs the same
// against 1 row or 1,000: an entity with few rows stays close to the
// global model and one with many rows gets its own. For the intercept
// alone, with Fisher information I ≈ p(1−p) per row, the correction is
// about n·I/(n·I + λ) of the entity's own maximum-likelihood correction:
// with λ = 1 and p ≈ 0.3, 5 rows keep half of it and 50 rows 91%.
// Only features that occur in the entity's rows can get a correction
// (the others have no data and the prior keeps them at 0), so each
// correction is sparse and costs memory in proportion to its rows.
//
// This is the random-effect part of GLMix (Zhang et al., KDD 2016). With
// Passes > 1 the global model is refitted with the corrections as offsets
// and the corrections refitted again (coordinate descent, "backfitting").
type HierarchicalConfig struct {
	// Global configures the global model's fit. Its zero value is
	// documented on Config.
	Global Config `json:"global"`
	// Lambda is the prior precision λ of every correction (> 0). Zero: 1.
	Lambda float64 `json:"lambda"`
	// InterceptLambda is the prior precision λ_b of each entity's
	// intercept (> 0). Zero: Lambda.
	InterceptLambda float64 `json:"intercept_lambda"`
	// InterceptOnly restricts corrections to the intercept b_e. Zero
	// (false): intercept and feature weights.
	InterceptOnly bool `json:"intercept_only"`
	// MinRows is the fewest rows an entity needs to get a correction.
	// Zero: 1.
	MinRows int `json:"min_rows"`
	// Passes is the number of global/entity rounds. Zero: 1.
	Passes int `json:"passes"`
	// Workers bounds the goroutines that fit entities in parallel (each
	// entity is fitted on one goroutine). Zero: GOMAXPROCS. The result
	// does not depend on it.
	Workers int `json:"workers"`
	// EntityMaxIterations bounds L-BFGS iterations per entity. Zero: 100.
	EntityMaxIterations int `json:"entity_max_iterations"`
	// EntityTolerance is the gradient tolerance per entity. Zero: 1e-6.
	EntityTolerance float64 `json:"entity_tolerance"`
	// LambdaGrid, when set, chooses Lambda on held-out rows instead of
	// taking it as given: for a sample of entities with enough rows (at
	// most SelectEntities, chosen by a hash of the entity), every fifth
	// row (by a hash of the row's position) is held out, each entity's
	// correction is fitted on the rest with every λ of the grid and with
	// InterceptOnly (the limit λ → ∞: no feature weights), and the choice
	// with the lowest weighted log-loss on the held-out rows is used for
	// every entity. InterceptLambda stays as given. Nil: Lambda and
	// InterceptOnly as given. The choice is kept in the model's
	// configuration (Hierarchical.Config).
	LambdaGrid []float64 `json:"lambda_grid,omitempty"`
	// SelectEntities bounds the entities LambdaGrid's choice looks at.
	// Zero: 2000.
	SelectEntities int `json:"select_entities,omitempty"`
	// Progress, if not nil, is called as FitHierarchical advances: after
	// each L-BFGS iteration of the global model, after each candidate of
	// LambdaGrid, and each time another hundredth of the entities is
	// fitted. Calls come one at a time (never concurrently), from the
	// fitting goroutines, so it must return quickly. Global.Progress is
	// still called as well.
	Progress func(HierarchicalProgress) `json:"-"`
}

// HierarchicalProgress reports how far FitHierarchical has come.
type HierarchicalProgress struct {
	Pass, Passes int // the global/entity round, from 0, of Passes
	// Step is "global" (iterations of the global model's L-BFGS; Total is
	// Global.MaxIterations, a bound it usually stops well short of),
	// "lambda" (candidates of LambdaGrid tried, with intercept-only) or
	// "entities" (entities whose correction is fitted, of all entities).
	Step        string
	Done, Total int
}

// progress serializes the calls of HierarchicalConfig.Progress.
type progress struct {
	mu sync.Mutex
	fn func(HierarchicalProgress)
	p  HierarchicalProgress
}

func (p *progress) report(step string, done, total int) {
	if p == nil || p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.p.Step, p.p.Done, p.p.Total = step, done, total
	p.fn(p.p)
}

// reportCount reports step with the count done read under the lock, so
// that reports from several workers never go backwards (a worker that
// counted 10 may reach the lock after one that counted 20).
func (p *progress) reportCount(step string, done *atomic.Int64, total int) {
	if p == nil || p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.p.Step, p.p.Done, p.p.Total = step, int(done.Load()), total
	p.fn(p.p)
}

func (c HierarchicalConfig) withDefaults() HierarchicalConfig {
	if c.Lambda == 0 {
		c.Lambda = 1
	}
	if c.InterceptLambda == 0 {
		c.InterceptLambda = c.Lambda
	}
	if c.MinRows == 0 {
		c.MinRows = 1
	}
	if c.Passes == 0 {
		c.Passes = 1
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.EntityMaxIterations == 0 {
		c.EntityMaxIterations = 100
	}
	if c.EntityTolerance == 0 {
		c.EntityTolerance = 1e-6
	}
	if c.SelectEntities == 0 {
		c.SelectEntities = 2000
	}
	return c
}

// Validate returns an error naming the first invalid field.
func (c HierarchicalConfig) Validate() error {
	if err := c.Global.Validate(); err != nil {
		return fmt.Errorf("rank: HierarchicalConfig.Global: %w", err)
	}
	switch {
	case !(c.Lambda >= 0) || math.IsInf(c.Lambda, 0):
		return fmt.Errorf("rank: HierarchicalConfig.Lambda = %v: want a finite value > 0", c.Lambda)
	case !(c.InterceptLambda >= 0) || math.IsInf(c.InterceptLambda, 0):
		return fmt.Errorf("rank: HierarchicalConfig.InterceptLambda = %v: want a finite value > 0", c.InterceptLambda)
	case c.MinRows < 0:
		return fmt.Errorf("rank: HierarchicalConfig.MinRows = %d: want >= 0", c.MinRows)
	case c.Passes < 0:
		return fmt.Errorf("rank: HierarchicalConfig.Passes = %d: want >= 0", c.Passes)
	case c.Workers < 0:
		return fmt.Errorf("rank: HierarchicalConfig.Workers = %d: want >= 0", c.Workers)
	case c.EntityMaxIterations < 0:
		return fmt.Errorf("rank: HierarchicalConfig.EntityMaxIterations = %d: want >= 0", c.EntityMaxIterations)
	case !(c.EntityTolerance >= 0) || math.IsInf(c.EntityTolerance, 0):
		return fmt.Errorf("rank: HierarchicalConfig.EntityTolerance = %v: want a finite value >= 0", c.EntityTolerance)
	case c.SelectEntities < 0:
		return fmt.Errorf("rank: HierarchicalConfig.SelectEntities = %d: want >= 0", c.SelectEntities)
	}
	for i, l := range c.LambdaGrid {
		if !(l > 0) || math.IsInf(l, 0) {
			return fmt.Errorf("rank: HierarchicalConfig.LambdaGrid[%d] = %v: want a finite value > 0", i, l)
		}
	}
	return nil
}

// Correction is one entity's learned correction to the global model. It
// is an immutable value: do not modify its slices.
type Correction struct {
	Bias    float64
	Weights sparse.Vector // over the global feature indices
	Rows    int           // rows it was fitted on
}

// Score returns b_e + β_e·x.
func (c *Correction) Score(x sparse.Vector) float64 { return c.Bias + sparse.Dot(c.Weights, x) }

// Hierarchical is a global model plus per-entity corrections (see
// [HierarchicalConfig]). The global model is immutable; the table of
// corrections is guarded by a lock so that [Hierarchical.UpdateEntity]
// can replace one entity's correction while others predict. All methods
// are safe for concurrent use. Obtain one from [FitHierarchical] or
// [ReadHierarchical]; the zero value has no global model and panics.
type Hierarchical struct {
	cfg    HierarchicalConfig
	global *Model
	mu     sync.RWMutex
	corr   map[uint32]*Correction
}

// Config returns the configuration the model was fitted with (with
// LambdaGrid's choice in Lambda and InterceptOnly).
func (h *Hierarchical) Config() HierarchicalConfig { return h.cfg }

// Global returns the global model.
func (h *Hierarchical) Global() *Model { return h.global }

// Correction returns entity e's correction, or nil when it has none (a new
// or rare entity: it is scored by the global model alone).
func (h *Hierarchical) Correction(e uint32) *Correction {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return h.corr[e]
}

// Entities returns the entities that have a correction, ascending.
func (h *Hierarchical) Entities() []uint32 {
	h.mu.RLock()
	defer h.mu.RUnlock()
	es := make([]uint32, 0, len(h.corr))
	for e := range h.corr {
		es = append(es, e)
	}
	slices.Sort(es)
	return es
}

// Score returns the log-odds of x for entity e: global score plus e's
// correction (if any).
func (h *Hierarchical) Score(e uint32, x sparse.Vector) float64 {
	z := h.global.Score(x)
	if c := h.Correction(e); c != nil {
		z += c.Score(x)
	}
	return z
}

// Predict returns the probability σ(Score(e, x)).
func (h *Hierarchical) Predict(e uint32, x sparse.Vector) float64 { return Sigmoid(h.Score(e, x)) }

// FitHierarchical fits the global model on every row of d and then one
// correction per entity, entity[i] being the entity of row i. Entities are
// fitted in parallel (HierarchicalConfig.Workers) and the result is
// deterministic. Errors are those of [Fit], or name the bad field.
func FitHierarchical(ctx context.Context, cfg HierarchicalConfig, d *Dataset, entity []uint32) (*Hierarchical, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	if err := d.Check(); err != nil {
		return nil, err
	}
	if len(entity) != d.Len() {
		return nil, fmt.Errorf("rank: FitHierarchical: %d entities for %d rows", len(entity), d.Len())
	}
	groups := groupRows(entity)
	dim := c.Global.Dim
	if m := d.maxIndex(); dim == 0 {
		dim = m
	} else if m > dim {
		return nil, fmt.Errorf("rank: dataset uses feature index %d but HierarchicalConfig.Global.Dim = %d", m-1, dim)
	}
	if dim > MaxDim {
		return nil, fmt.Errorf("rank: dataset uses feature index %d: want below MaxDim (%d)", dim-1, MaxDim)
	}
	h := &Hierarchical{cfg: c, corr: make(map[uint32]*Correction)}
	var x []float64 // global parameters, warm start across passes
	globalData := *d
	var pr *progress
	if c.Progress != nil {
		pr = &progress{fn: c.Progress, p: HierarchicalProgress{Passes: c.Passes}}
	}
	for pass := range c.Passes {
		if pr != nil {
			pr.p.Pass = pass
		}
		if pass > 0 {
			// Refit the global model around the corrections.
			off := make([]float64, d.Len())
			var row sparse.Vector
			for i := range off {
				off[i] = d.offset(i)
				if cr := h.corr[entity[i]]; cr != nil {
					row = d.AppendRow(row, i)
					off[i] += cr.Score(row)
				}
			}
			globalData.Offset = off
		}
		gc := c.Global.withDefaults()
		gc.Dim = dim
		if pr != nil {
			inner, total := gc.Progress, gc.MaxIterations
			gc.Progress = func(p Progress) error {
				pr.report("global", p.Iteration, total)
				if inner != nil {
					return inner(p)
				}
				return nil
			}
		}
		var err error
		x, err = minimize(ctx, gc, &globalData, dim, x)
		if err != nil {
			return nil, err
		}
		h.global = &Model{w: slices.Clone(x[:dim]), bias: x[dim]}
		if pass == 0 && len(c.LambdaGrid) > 0 {
			if c, err = selectLambda(ctx, c, h.global, d, groups, pr); err != nil {
				return nil, err
			}
			h.cfg = c
		}
		corrs, err := fitEntities(ctx, c, h.global, d, groups, pr)
		if err != nil {
			return nil, err
		}
		h.corr = corrs
	}
	return h, nil
}

// selectLambda returns c with the Lambda (or InterceptOnly) of
// c.LambdaGrid that predicts held-out rows best (see
// HierarchicalConfig.LambdaGrid), and LambdaGrid cleared.
func selectLambda(ctx context.Context, c HierarchicalConfig, global *Model, d *Dataset, groups []group, pr *progress) (HierarchicalConfig, error) {
	hash := func(x uint64) uint64 {
		x ^= x >> 33
		x *= 0xff51afd7ed558ccd
		x ^= x >> 33
		x *= 0xc4ceb9fe1a85ec53
		return x ^ x>>33
	}
	need := max(2*c.MinRows, 5)
	var pick []group
	for _, g := range groups {
		if len(g.rows) >= need {
			pick = append(pick, g)
		}
	}
	slices.SortFunc(pick, func(a, b group) int {
		return cmp.Or(cmp.Compare(hash(uint64(a.entity)), hash(uint64(b.entity))), cmp.Compare(a.entity, b.entity))
	})
	pick = pick[:min(len(pick), c.SelectEntities)]
	grid := append(slices.Clone(c.LambdaGrid), math.Inf(1)) // +Inf: intercept only
	c.LambdaGrid = nil
	if len(pick) == 0 {
		return c, nil
	}
	// Split each entity's rows; train and held-out rows as groups.
	train := make([]group, len(pick))
	held := make([][]int, len(pick))
	for k, g := range pick {
		train[k].entity = g.entity
		for _, i := range g.rows {
			if hash(uint64(i)^0x5bd1e995)%5 == 0 {
				held[k] = append(held[k], i)
			} else {
				train[k].rows = append(train[k].rows, i)
			}
		}
	}
	loss := make([]float64, len(grid))
	var row sparse.Vector
	for q, l := range grid {
		cq := c
		if math.IsInf(l, 1) {
			cq.InterceptOnly = true
		} else {
			cq.Lambda, cq.InterceptOnly = l, false
		}
		cq.MinRows = 1
		corrs, err := fitEntities(ctx, cq, global, d, train, nil)
		if err != nil {
			return c, err
		}
		for k, g := range train {
			cr := corrs[g.entity]
			for _, i := range held[k] {
				row = d.AppendRow(row, i)
				z := d.offset(i) + global.Score(row)
				if cr != nil {
					z += cr.Score(row)
				}
				loss[q] += d.Weight[i] * logLoss(z, d.Label[i])
			}
		}
		pr.report("lambda", q+1, len(grid))
	}
	best := 0
	for q := range grid {
		if loss[q] < loss[best] {
			best = q
		}
	}
	if math.IsInf(grid[best], 1) {
		c.InterceptOnly = true
	} else {
		c.Lambda, c.InterceptOnly = grid[best], false
	}
	return c, nil
}

// group is the rows of one entity.
type group struct {
	entity uint32
	rows   []int
}

func groupRows(entity []uint32) []group {
	order := make([]int, len(entity))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(entity[a], entity[b]) })
	var gs []group
	for k := 0; k < len(order); {
		e := k
		for e < len(order) && entity[order[e]] == entity[order[k]] {
			e++
		}
		gs = append(gs, group{entity: entity[order[k]], rows: order[k:e]})
		k = e
	}
	return gs
}

func fitEntities(ctx context.Context, c HierarchicalConfig, global *Model, d *Dataset, groups []group, pr *progress) (map[uint32]*Correction, error) {
	out := make([]*Correction, len(groups))
	errs := make([]error, len(groups))
	var done atomic.Int64
	step := max(1, len(groups)/100)
	pr.report("entities", 0, len(groups))
	next := make(chan int, len(groups))
	for g := range groups {
		next <- g
	}
	close(next)
	var wg sync.WaitGroup
	for range max(1, min(c.Workers, len(groups))) {
		wg.Go(func() {
			for g := range next {
				switch {
				case len(groups[g].rows) < c.MinRows:
				case ctx.Err() != nil:
					errs[g] = fmt.Errorf("rank: fit entities: %w", ctx.Err())
				default:
					out[g], errs[g] = fitCorrection(ctx, c, global, d, groups[g].rows)
					if errs[g] != nil {
						errs[g] = fmt.Errorf("rank: entity %d: %w", groups[g].entity, errs[g])
					}
				}
				if n := done.Add(1); n%int64(step) == 0 {
					pr.reportCount("entities", &done, len(groups))
				}
			}
		})
	}
	wg.Wait()
	if n := int(done.Load()); n%step != 0 {
		pr.report("entities", n, len(groups))
	}
	m := make(map[uint32]*Correction, len(groups))
	for g, cr := range out {
		if errs[g] != nil {
			return nil, errs[g]
		}
		if cr != nil {
			m[groups[g].entity] = cr
		}
	}
	return m, nil
}

// fitCorrection fits one entity's correction from rows of d with the
// global score as offset, in a compact local feature space: local index
// 0 is the correction's intercept (a constant feature), 1… the features
// that occur in the rows.
func fitCorrection(ctx context.Context, c HierarchicalConfig, global *Model, d *Dataset, rows []int) (*Correction, error) {
	var feats []uint32
	var row sparse.Vector
	if !c.InterceptOnly {
		for _, i := range rows {
			row = d.AppendRow(row, i)
			feats = append(feats, row.Idx...)
		}
	}
	// Sized exactly: per row, an intercept entry and the row's features
	// (growing by appends made most of an entity fit's garbage).
	entries := len(rows) + len(feats)
	slices.Sort(feats)
	feats = slices.Compact(feats)
	local := &Dataset{
		Ptr: make([]int, 0, len(rows)+1), Idx: make([]uint32, 0, entries), Val: make([]float64, 0, entries),
		Label: make([]float64, 0, len(rows)), Weight: make([]float64, 0, len(rows)), Offset: make([]float64, 0, len(rows)),
	}
	var W float64
	idx := make([]uint32, 0, 16)
	val := make([]float64, 0, 16)
	// One uniform penalty λ on the local parameters θ; the intercept's
	// own precision λ_b comes from giving its constant feature the value
	// c = √(λ/λ_b), so that b_e = c·θ₀ and (λ/2)θ₀² = (λ_b/2)b_e².
	scale := math.Sqrt(c.Lambda / c.InterceptLambda)
	for _, i := range rows {
		row = d.AppendRow(row, i)
		x := row
		idx, val = append(idx[:0], 0), append(val[:0], scale)
		if !c.InterceptOnly {
			for k, j := range x.Idx {
				p, _ := slices.BinarySearch(feats, j)
				idx = append(idx, uint32(p+1))
				val = append(val, x.Val[k])
			}
		}
		off := d.offset(i) + global.Score(x)
		if err := local.AddOffset(sparse.Vector{Idx: idx, Val: val}, d.Label[i], d.Weight[i], off); err != nil {
			return nil, err
		}
		W += d.Weight[i]
	}
	if W == 0 {
		return nil, nil
	}
	// Config's objective is a weighted mean, so λ/W there is λ here.
	lc := Config{
		L2: c.Lambda / W, NoIntercept: true, Dim: len(feats) + 1,
		MaxIterations: c.EntityMaxIterations, Tolerance: c.EntityTolerance / W, Workers: 1,
		// Entity problems are small and well conditioned by the prior:
		// 5 correction pairs converge as fast as 15 with a third of the
		// memory.
		Memory: 5,
	}
	x, err := minimize(ctx, lc.withDefaults(), local, len(feats)+1, nil)
	if err != nil {
		return nil, err
	}
	cr := &Correction{Bias: scale * x[0], Rows: len(rows)}
	nz := 0
	for _, v := range x[1:] {
		if v != 0 {
			nz++
		}
	}
	if nz > 0 { // sized exactly: the corrections of every entity stay in memory
		cr.Weights.Idx, cr.Weights.Val = make([]uint32, 0, nz), make([]float64, 0, nz)
	}
	for k, j := range feats {
		if v := x[k+1]; v != 0 {
			cr.Weights.Idx = append(cr.Weights.Idx, j)
			cr.Weights.Val = append(cr.Weights.Val, v)
		}
	}
	return cr, nil
}

// UpdateEntity refits entity e's correction from its rows in d (all of
// them: the correction is replaced, not nudged) against the current global
// model, without touching any other entity, and swaps it in. Rows in d are
// the entity's whole history; fewer than MinRows rows (or zero total
// weight) remove its correction. Predictions running meanwhile see either
// the old or the new correction.
func (h *Hierarchical) UpdateEntity(ctx context.Context, e uint32, d *Dataset) error {
	var cr *Correction
	if d.Len() >= h.cfg.MinRows && d.Len() > 0 {
		if err := d.Check(); err != nil {
			return err
		}
		if m := d.maxIndex(); m > h.global.Dim() {
			return fmt.Errorf("rank: entity %d: feature index %d beyond the global model's Dim %d", e, m-1, h.global.Dim())
		}
		rows := make([]int, d.Len())
		for i := range rows {
			rows[i] = i
		}
		var err error
		if cr, err = fitCorrection(ctx, h.cfg, h.global, d, rows); err != nil {
			return fmt.Errorf("rank: entity %d: %w", e, err)
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if cr == nil {
		delete(h.corr, e)
	} else {
		h.corr[e] = cr
	}
	return nil
}

// InsertFeatures returns a copy of h whose feature indices from at on are
// moved up by n, with weight 0 for the n new features at [at, at+n), in
// the global model and in every correction: it scores every old feature
// vector exactly as h did once the vector is laid out the new way. It is
// how a decoder reads a model saved before its feature layout grew. It
// panics if n is negative or if the grown dimension would exceed [MaxDim]
// (such a model could not be saved or read back).
func (h *Hierarchical) InsertFeatures(at uint32, n int) *Hierarchical {
	if n < 0 {
		panic("rank: InsertFeatures: negative count")
	}
	if d := h.global.Dim(); int64(at) < int64(d) && n > MaxDim-d {
		panic(fmt.Sprintf("rank: InsertFeatures: %d features on top of %d exceed MaxDim (%d)", n, d, MaxDim))
	}
	shift := func(j uint32) uint32 {
		if j >= at {
			return j + uint32(n)
		}
		return j
	}
	w := h.global.w
	if int(at) < len(w) {
		w = slices.Concat(w[:at], make([]float64, n), w[at:])
	} else {
		w = slices.Clone(w)
	}
	out := &Hierarchical{cfg: h.cfg, global: &Model{w: w, bias: h.global.bias}, corr: make(map[uint32]*Correction)}
	h.mu.RLock()
	defer h.mu.RUnlock()
	for e, c := range h.corr {
		nc := &Correction{Bias: c.Bias, Rows: c.Rows, Weights: sparse.Vector{Idx: slices.Clone(c.Weights.Idx), Val: slices.Clone(c.Weights.Val)}}
		for k, j := range nc.Weights.Idx {
			nc.Weights.Idx[k] = shift(j)
		}
		out.corr[e] = nc
	}
	return out
}
