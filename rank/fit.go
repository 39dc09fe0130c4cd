package rank

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/twowayrec/twoway/sparse"
	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/optimize"
)

// Config sets up the batch trainer [Fit]. The zero Config is valid: plain
// weighted maximum likelihood with an intercept, no penalty, Dim taken from
// the data, at most 200 L-BFGS iterations, gradient tolerance 1e-6.
//
// # Objective
//
// Fit minimises, over weights w and intercept b,
//
//	f(w, b) = (1/W) Σ_i s_i ℓ(y_i, o_i + b + w·x_i) + (L2/2) ‖w‖² + L1 Σ_j (√(w_j² + ε²) − ε)
//	ℓ(y, z) = log(1 + e^z) − y z            (the negative log-likelihood)
//	W       = Σ_i s_i                        (sum of sample weights)
//
// with s_i the sample weight, o_i the row offset and ε = L1Smoothing. The
// data term is a weighted mean, so L2 does not have to change with the
// number of rows. The intercept is never penalised. L1 is smoothed (a
// pseudo-Huber penalty) because L-BFGS needs a differentiable objective:
// weights are driven close to zero but not exactly to zero; the online
// trainer [FTRL] gives exact zeros.
type Config struct {
	// L2 is the ridge penalty λ₂ ≥ 0. Zero: none (the fit may then diverge
	// on separable data and stop at MaxIterations).
	L2 float64 `json:"l2"`
	// L1 is the (smoothed) lasso penalty λ₁ ≥ 0. Zero: none.
	L1 float64 `json:"l1"`
	// L1Smoothing is ε in the smoothed L1 penalty. Zero: 1e-4.
	L1Smoothing float64 `json:"l1_smoothing"`
	// NoIntercept drops the intercept b (it stays 0). Zero (false): fit b.
	NoIntercept bool `json:"no_intercept"`
	// Dim is the number of feature weights (0 to [MaxDim], the largest a
	// saved model can hold); rows may only use indices below it. Zero: one
	// more than the largest index in the data, which must then be below
	// MaxDim.
	Dim int `json:"dim"`
	// MaxIterations bounds the L-BFGS major iterations. Zero: 200. Hitting
	// the bound is not an error: the best point found is returned.
	MaxIterations int `json:"max_iterations"`
	// Tolerance stops the fit when the largest gradient component falls
	// below it. Zero: 1e-6.
	Tolerance float64 `json:"tolerance"`
	// Memory is the number of L-BFGS correction pairs kept. Zero: 15.
	Memory int `json:"memory"`
	// Workers bounds the goroutines that evaluate the objective. Zero:
	// GOMAXPROCS. The rows are always cut into the same chunks and the
	// partial sums added in the same order, so the fitted model is
	// bit-identical whatever the number of workers.
	Workers int `json:"workers"`
	// Start, if not nil, is the starting point (warm start, e.g. the
	// previous day's model when refitting): its weights below Dim and its
	// intercept. Nil: all zeros. The optimum does not depend on it, only
	// the time to reach it.
	Start *Model `json:"-"`
	// Progress, if not nil, is called after every L-BFGS iteration from the
	// goroutine that called Fit. A non-nil error stops the fit and Fit
	// returns it wrapped. Nil: no reports.
	Progress func(Progress) error `json:"-"`
}

// Progress reports one iteration of a batch fit.
type Progress struct {
	Iteration   int     // major iterations done
	Evaluations int     // objective evaluations done
	Loss        float64 // objective f at the current point
	GradNorm    float64 // largest absolute gradient component
}

func (c Config) withDefaults() Config {
	if c.L1Smoothing == 0 {
		c.L1Smoothing = 1e-4
	}
	if c.MaxIterations == 0 {
		c.MaxIterations = 200
	}
	if c.Tolerance == 0 {
		c.Tolerance = 1e-6
	}
	if c.Memory == 0 {
		c.Memory = 15
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c
}

// Validate returns an error naming the first invalid field.
func (c Config) Validate() error {
	bad := func(v float64) bool { return !(v >= 0) || math.IsInf(v, 0) }
	switch {
	case bad(c.L2):
		return fmt.Errorf("rank: Config.L2 = %v: want a finite value >= 0", c.L2)
	case bad(c.L1):
		return fmt.Errorf("rank: Config.L1 = %v: want a finite value >= 0", c.L1)
	case bad(c.L1Smoothing):
		return fmt.Errorf("rank: Config.L1Smoothing = %v: want a finite value >= 0", c.L1Smoothing)
	case c.Dim < 0 || c.Dim > MaxDim:
		return fmt.Errorf("rank: Config.Dim = %d: want 0 to MaxDim (%d)", c.Dim, MaxDim)
	case c.MaxIterations < 0:
		return fmt.Errorf("rank: Config.MaxIterations = %d: want >= 0", c.MaxIterations)
	case bad(c.Tolerance):
		return fmt.Errorf("rank: Config.Tolerance = %v: want a finite value >= 0", c.Tolerance)
	case c.Memory < 0:
		return fmt.Errorf("rank: Config.Memory = %d: want >= 0", c.Memory)
	case c.Workers < 0:
		return fmt.Errorf("rank: Config.Workers = %d: want >= 0", c.Workers)
	}
	return nil
}

// chunkCount returns how many pieces n rows are cut into for parallel
// evaluation: up to 16, at least 256 rows each. It depends on n only, so
// the summation order (and so the fitted bits) never depends on the
// machine or the number of workers.
func chunkCount(n int) int { return max(1, min(16, n/256)) }

// objective evaluates f and ∇f of Config's objective over a dataset. The
// parameter vector is [w_0 … w_{dim−1}, b].
type objective struct {
	d         *Dataset
	dim       int
	l2, l1    float64
	eps       float64
	intercept bool
	invW      float64
	workers   int

	part [][]float64 // per-chunk gradient
	loss []float64   // per-chunk loss
	// The shared vectors' scores w·v_k at the current point, and per
	// chunk the sum of r_i = s_i(p_i − y_i) over its rows that refer to
	// vector k: the gradient of the shared entries is Σ_k (Σ_c r) v_k,
	// scattered once per evaluation. Nil without shared vectors.
	sharedZ []float64
	sharedR [][]float64
	lastX   []float64
	lastF   float64
	lastG   []float64
	valid   bool
	evals   int
}

func newObjective(d *Dataset, dim int, c Config) (*objective, error) {
	var W float64
	for _, s := range d.Weight {
		W += s
	}
	if !(W > 0) || math.IsInf(W, 0) {
		return nil, fmt.Errorf("%w: the sample weights sum to %v", ErrEmpty, W)
	}
	n := d.Len()
	k := chunkCount(n)
	o := &objective{
		d: d, dim: dim, l2: c.L2, l1: c.L1, eps: c.L1Smoothing,
		intercept: !c.NoIntercept, invW: 1 / W, workers: max(1, min(c.Workers, k)),
		part: make([][]float64, k), loss: make([]float64, k),
		lastX: make([]float64, dim+1), lastG: make([]float64, dim+1),
	}
	for i := range o.part {
		o.part[i] = make([]float64, dim+1)
	}
	if d.Ref != nil && d.Shared != nil && d.Shared.Len() > 0 {
		o.sharedZ = make([]float64, d.Shared.Len())
		o.sharedR = make([][]float64, k)
		for i := range o.sharedR {
			o.sharedR[i] = make([]float64, d.Shared.Len())
		}
	}
	return o, nil
}

// chunk accumulates the data term of rows [lo, hi) into g (and the rows'
// residuals on shared vectors into sr) and returns its loss.
func (o *objective) chunk(x, g, sr []float64, lo, hi int) float64 {
	clear(g)
	clear(sr)
	d := o.d
	w, b := x[:o.dim], x[o.dim]
	var loss float64
	for i := lo; i < hi; i++ {
		s := d.Weight[i]
		if s == 0 {
			continue
		}
		a, e := d.Ptr[i], d.Ptr[i+1]
		idx, val := d.Idx[a:e], d.Val[a:e]
		z := b + d.offset(i)
		for k, j := range idx {
			z += w[j] * val[k]
		}
		ref := d.ref(i)
		if ref >= 0 {
			z += o.sharedZ[ref]
		}
		y := d.Label[i]
		l, p := lossSigmoid(z, y)
		loss += s * l
		r := s * (p - y)
		for k, j := range idx {
			g[j] += r * val[k]
		}
		if ref >= 0 {
			sr[ref] += r
		}
		g[o.dim] += r
	}
	return loss
}

// chunkAt runs chunk c of k over n rows.
func (o *objective) chunkAt(x []float64, c, k, n int) {
	var sr []float64
	if o.sharedR != nil {
		sr = o.sharedR[c]
	}
	o.loss[c] = o.chunk(x, o.part[c], sr, c*n/k, (c+1)*n/k)
}

// eval computes f and ∇f at x into o.lastF and o.lastG.
func (o *objective) eval(x []float64) {
	if o.valid && slices.Equal(x, o.lastX) {
		return
	}
	o.evals++
	n := o.d.Len()
	k := len(o.part)
	if o.sharedZ != nil {
		w := x[:o.dim]
		for r := range o.sharedZ {
			o.sharedZ[r] = sparse.DotDense(o.d.Shared.Vector(r), w)
		}
	}
	if o.workers == 1 {
		for c := range k {
			o.chunkAt(x, c, k, n)
		}
	} else {
		var wg sync.WaitGroup
		next := make(chan int, k)
		for c := range k {
			next <- c
		}
		close(next)
		for range o.workers {
			wg.Go(func() {
				for c := range next {
					o.chunkAt(x, c, k, n)
				}
			})
		}
		wg.Wait()
	}
	g := o.lastG
	copy(g, o.part[0])
	f := o.loss[0]
	for c := 1; c < k; c++ {
		floats.Add(g, o.part[c])
		f += o.loss[c]
	}
	if o.sharedR != nil {
		sr := o.sharedR[0]
		for c := 1; c < k; c++ {
			floats.Add(sr, o.sharedR[c])
		}
		for r, rs := range sr {
			if rs != 0 {
				v := o.d.Shared.Vector(r)
				for q, j := range v.Idx {
					g[j] += rs * v.Val[q]
				}
			}
		}
	}
	f *= o.invW
	floats.Scale(o.invW, g)
	if !o.intercept {
		g[o.dim] = 0
	}
	for j, wj := range x[:o.dim] {
		if o.l2 != 0 {
			f += 0.5 * o.l2 * wj * wj
			g[j] += o.l2 * wj
		}
		if o.l1 != 0 {
			r := math.Sqrt(wj*wj + o.eps*o.eps)
			f += o.l1 * (r - o.eps)
			g[j] += o.l1 * wj / r
		}
	}
	o.lastF = f
	copy(o.lastX, x)
	o.valid = true
}

// progressRecorder adapts Config.Progress to gonum's Recorder.
type progressRecorder struct {
	fn func(Progress) error
}

func (progressRecorder) Init() error { return nil }

func (r progressRecorder) Record(loc *optimize.Location, op optimize.Operation, st *optimize.Stats) error {
	if op != optimize.MajorIteration {
		return nil
	}
	err := r.fn(Progress{
		Iteration:   st.MajorIterations,
		Evaluations: st.FuncEvaluations,
		Loss:        loc.F,
		GradNorm:    floats.Norm(loc.Gradient, math.Inf(1)),
	})
	if err != nil {
		return &progressError{err}
	}
	return nil
}

type progressError struct{ err error }

func (e *progressError) Error() string { return e.err.Error() }
func (e *progressError) Unwrap() error { return e.err }

// Fit trains a logistic-regression model on d with L-BFGS (gonum
// optimize) from the all-zero start, minimising the objective documented
// on [Config]. It is deterministic: the same data and Config give a
// bit-identical model. It returns ctx.Err() (wrapped) when ctx is cancelled
// and the error of Config.Progress when that stops the fit. Bad data gives
// an error naming the row and field; an empty dataset or all-zero weights
// give [ErrEmpty].
func Fit(ctx context.Context, cfg Config, d *Dataset) (*Model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	c := cfg.withDefaults()
	if err := d.Check(); err != nil {
		return nil, err
	}
	dim := c.Dim
	if m := d.maxIndex(); dim == 0 {
		dim = m
	} else if m > dim {
		return nil, fmt.Errorf("rank: dataset uses feature index %d but Config.Dim = %d", m-1, dim)
	}
	if dim > MaxDim {
		return nil, fmt.Errorf("rank: dataset uses feature index %d: want below MaxDim (%d)", dim-1, MaxDim)
	}
	var start []float64
	if c.Start != nil {
		start = make([]float64, dim+1)
		copy(start, c.Start.w)
		if !c.NoIntercept {
			start[dim] = c.Start.bias
		}
	}
	x, err := minimize(ctx, c, d, dim, start)
	if err != nil {
		return nil, err
	}
	return &Model{w: x[:dim:dim], bias: x[dim]}, nil
}

// minimize runs L-BFGS on the objective and returns [w, b]. init, if not
// nil, is the starting point.
func minimize(ctx context.Context, c Config, d *Dataset, dim int, init []float64) ([]float64, error) {
	o, err := newObjective(d, dim, c)
	if err != nil {
		return nil, err
	}
	p := optimize.Problem{
		Func: func(x []float64) float64 { o.eval(x); return o.lastF },
		Grad: func(g, x []float64) { o.eval(x); copy(g, o.lastG) },
		Status: func() (optimize.Status, error) {
			if err := ctx.Err(); err != nil {
				return optimize.Failure, err
			}
			return optimize.NotTerminated, nil
		},
	}
	settings := &optimize.Settings{
		GradientThreshold: c.Tolerance,
		MajorIterations:   c.MaxIterations,
		// Stop when 20 iterations in a row improve f by less than
		// 1e-15 relative: only a backstop, the gradient test decides.
		Converger: &optimize.FunctionConverge{Relative: 1e-15, Iterations: 20},
	}
	if c.Progress != nil {
		settings.Recorder = progressRecorder{c.Progress}
	}
	start := make([]float64, dim+1)
	if init != nil {
		copy(start, init)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("rank: fit: %w", err)
	}
	res, err := optimize.Minimize(p, start, settings, &optimize.LBFGS{Store: c.Memory})
	if cerr := ctx.Err(); cerr != nil {
		return nil, fmt.Errorf("rank: fit: %w", cerr)
	}
	var pe *progressError
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("rank: fit stopped by Progress: %w", pe.err)
	}
	if res == nil {
		return nil, fmt.Errorf("rank: fit: %w", err)
	}
	// Other terminations (iteration limit, a line search that can make no
	// more progress at machine precision) keep the best point found.
	x := res.Location.X
	for _, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("rank: fit diverged (status %v): %w", res.Status, err)
		}
	}
	if !o.intercept {
		x[dim] = 0
	}
	return x, nil
}
