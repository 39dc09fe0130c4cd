package rank

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"

	"github.com/twowayrec/twoway/sparse"
)

// FTRLConfig sets up the online trainer [FTRL]. Only Dim is required.
type FTRLConfig struct {
	// Dim is the number of feature weights; every vector passed in must use
	// indices below it. Required (> 0).
	Dim int `json:"dim"`
	// Alpha is the per-coordinate learning-rate scale α. Zero: 0.1.
	Alpha float64 `json:"alpha"`
	// Beta is the learning-rate smoothing β. Zero: 1.
	Beta float64 `json:"beta"`
	// L1 is the L1 penalty λ₁ ≥ 0; it gives exact zeros. Zero: none.
	L1 float64 `json:"l1"`
	// L2 is the L2 penalty λ₂ ≥ 0. Zero: none.
	L2 float64 `json:"l2"`
	// NoIntercept drops the intercept. Zero (false): learn one (it is
	// not penalised).
	NoIntercept bool `json:"no_intercept"`
	// Seed fixes the row order that [FTRL.Train] shuffles each epoch.
	// Zero is a valid seed.
	Seed uint64 `json:"seed"`
}

// Validate returns an error naming the first invalid field.
func (c FTRLConfig) Validate() error {
	bad := func(v float64) bool { return !(v >= 0) || math.IsInf(v, 0) }
	switch {
	case c.Dim <= 0 || c.Dim > MaxDim:
		return fmt.Errorf("rank: FTRLConfig.Dim = %d: want 1 to %d", c.Dim, MaxDim)
	case bad(c.Alpha):
		return fmt.Errorf("rank: FTRLConfig.Alpha = %v: want a finite value >= 0", c.Alpha)
	case bad(c.Beta):
		return fmt.Errorf("rank: FTRLConfig.Beta = %v: want a finite value >= 0", c.Beta)
	case bad(c.L1):
		return fmt.Errorf("rank: FTRLConfig.L1 = %v: want a finite value >= 0", c.L1)
	case bad(c.L2):
		return fmt.Errorf("rank: FTRLConfig.L2 = %v: want a finite value >= 0", c.L2)
	}
	return nil
}

// FTRL is the online logistic-regression trainer FTRL-proximal (McMahan et
// al., "Ad click prediction: a view from the trenches", 2013), with a
// per-coordinate learning rate. For every coordinate i it keeps z_i and
// n_i (the sum of squared gradients) and uses the weight
//
//	w_i = 0                                               if |z_i| ≤ λ₁
//	w_i = −(z_i − sgn(z_i) λ₁) / ((β + √n_i)/α + λ₂)       otherwise
//
// After predicting p = σ(b + w·x) for a row with label y and sample weight
// s, each coordinate with g_i = s (p − y) x_i is updated by
//
//	σ_i = (√(n_i + g_i²) − √n_i) / α,   z_i += g_i − σ_i w_i,   n_i += g_i²
//
// The intercept is one more coordinate with x = 1 and no penalty.
//
// An FTRL is safe for concurrent use: Update, Predict and Model may be
// called from many goroutines (a mutex serialises them). Update and Predict
// do not allocate.
type FTRL struct {
	cfg     FTRLConfig
	mu      sync.RWMutex
	z, n    []float64 // length Dim+1; the last entry is the intercept
	updates int64
}

// NewFTRL returns an online trainer with every weight 0.
func NewFTRL(cfg FTRLConfig) (*FTRL, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Alpha == 0 {
		cfg.Alpha = 0.1
	}
	if cfg.Beta == 0 {
		cfg.Beta = 1
	}
	return &FTRL{cfg: cfg, z: make([]float64, cfg.Dim+1), n: make([]float64, cfg.Dim+1)}, nil
}

// weight returns w_i from z_i and n_i with penalties l1, l2.
func (f *FTRL) weight(i int, l1, l2 float64) float64 {
	z := f.z[i]
	if math.Abs(z) <= l1 {
		return 0
	}
	s := l1
	if z < 0 {
		s = -l1
	}
	return -(z - s) / ((f.cfg.Beta+math.Sqrt(f.n[i]))/f.cfg.Alpha + l2)
}

func (f *FTRL) score(x sparse.Vector) float64 {
	d := f.cfg.Dim
	var z float64
	if !f.cfg.NoIntercept {
		z = f.weight(d, 0, 0)
	}
	for k, j := range x.Idx {
		if int(j) >= d {
			panic(fmt.Sprintf("rank: FTRL: feature index %d beyond Dim %d", j, d))
		}
		z += f.weight(int(j), f.cfg.L1, f.cfg.L2) * x.Val[k]
	}
	return z
}

// Predict returns the current probability σ(b + w·x). It panics if x uses
// an index >= Dim (a programmer error: encoders bound their indices).
func (f *FTRL) Predict(x sparse.Vector) float64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return Sigmoid(f.score(x))
}

// Update learns from one row — features x, label y in [0,1], sample weight
// s >= 0 — and returns the probability predicted before the update (the
// progressive-validation prediction). It panics on an index >= Dim, a
// non-finite feature value, a label outside [0,1] or a negative or
// non-finite weight (programmer errors; [FTRL.Train] reports them as
// errors). A row whose update would overflow (a gradient or a squared
// gradient sum beyond the float64 range, as feature values near 1e200
// give) is not learned: the model is left exactly as before the row, the
// prediction is still returned, and [FTRL.Train] reports it as an error.
// So the weights are always finite.
func (f *FTRL) Update(x sparse.Vector, y, s float64) float64 {
	return f.UpdateOffset(x, y, s, 0)
}

// UpdateOffset is Update for a row whose score has a fixed offset added;
// it also panics on a non-finite offset.
func (f *FTRL) UpdateOffset(x sparse.Vector, y, s, offset float64) float64 {
	if err := checkFTRLRow(x, y, s, offset); err != nil {
		panic(err.Error())
	}
	p, _ := f.update(x, y, s, offset)
	return p
}

// checkFTRLRow returns an error naming the first bad field of a row.
func checkFTRLRow(x sparse.Vector, y, s, offset float64) error {
	switch {
	case !(y >= 0 && y <= 1):
		return fmt.Errorf("rank: FTRL.Update: label %v: want 0 to 1", y)
	case !(s >= 0) || math.IsInf(s, 0):
		return fmt.Errorf("rank: FTRL.Update: weight %v: want a finite value >= 0", s)
	case math.IsNaN(offset) || math.IsInf(offset, 0):
		return fmt.Errorf("rank: FTRL.Update: offset %v: want a finite value", offset)
	}
	for k, v := range x.Val {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("rank: FTRL.Update: feature %d value %v: want a finite value", x.Idx[k], v)
		}
	}
	return nil
}

// errFTRLOverflow reports a row whose update would leave a non-finite
// coordinate; the model is unchanged.
var errFTRLOverflow = fmt.Errorf("rank: FTRL.Update: the update overflows the float64 range (feature values too large); row not learned")

// update applies one checked row and returns the prediction before it. If
// any updated coordinate would be non-finite it changes nothing and
// returns errFTRLOverflow. It does not allocate: a first pass checks every
// new coordinate, a second applies them.
func (f *FTRL) update(x sparse.Vector, y, s, offset float64) (float64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := Sigmoid(offset + f.score(x))
	r := s * (p - y)
	alpha := f.cfg.Alpha
	next := func(i int, g, l1, l2 float64) (z, n float64) {
		w := f.weight(i, l1, l2)
		ni := f.n[i]
		sigma := (math.Sqrt(ni+g*g) - math.Sqrt(ni)) / alpha
		return f.z[i] + g - sigma*w, ni + g*g
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if !finite(r) {
		return p, errFTRLOverflow
	}
	for k, j := range x.Idx {
		if z, n := next(int(j), r*x.Val[k], f.cfg.L1, f.cfg.L2); !finite(z) || !finite(n) {
			return p, errFTRLOverflow
		}
	}
	if !f.cfg.NoIntercept {
		if z, n := next(f.cfg.Dim, r, 0, 0); !finite(z) || !finite(n) {
			return p, errFTRLOverflow
		}
	}
	for k, j := range x.Idx {
		f.z[j], f.n[j] = next(int(j), r*x.Val[k], f.cfg.L1, f.cfg.L2)
	}
	if !f.cfg.NoIntercept {
		f.z[f.cfg.Dim], f.n[f.cfg.Dim] = next(f.cfg.Dim, r, 0, 0)
	}
	f.updates++
	return p, nil
}

// Updates returns the number of rows learned so far.
func (f *FTRL) Updates() int64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.updates
}

// Model returns an immutable snapshot of the current weights.
func (f *FTRL) Model() *Model {
	f.mu.RLock()
	defer f.mu.RUnlock()
	d := f.cfg.Dim
	w := make([]float64, d)
	for i := range w {
		w[i] = f.weight(i, f.cfg.L1, f.cfg.L2)
	}
	var b float64
	if !f.cfg.NoIntercept {
		b = f.weight(d, 0, 0)
	}
	return &Model{w: w, bias: b}
}

// Train makes epochs passes over d, in an order shuffled with the Seed of
// the config (the same seed gives the same model), honouring row weights
// and offsets. It checks d first and returns an error naming a bad row; it
// returns ctx.Err() (wrapped) when cancelled, keeping what was learned. A
// row whose update would overflow (see [FTRL.Update]) stops training with
// an error naming it; the model keeps what was learned before that row,
// so its weights stay finite.
func (f *FTRL) Train(ctx context.Context, d *Dataset, epochs int) error {
	if err := d.Check(); err != nil {
		return err
	}
	if m := d.maxIndex(); m > f.cfg.Dim {
		return fmt.Errorf("rank: dataset uses feature index %d but FTRLConfig.Dim = %d", m-1, f.cfg.Dim)
	}
	rng := rand.New(rand.NewPCG(f.cfg.Seed, 0x6674726c))
	order := make([]int, d.Len())
	for i := range order {
		order[i] = i
	}
	var row sparse.Vector
	for range epochs {
		rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		for k, i := range order {
			if k%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("rank: FTRL.Train: %w", err)
				}
			}
			row = d.AppendRow(row, i)
			x, off := row, d.offset(i)
			err := checkFTRLRow(x, d.Label[i], d.Weight[i], off)
			if err == nil {
				_, err = f.update(x, d.Label[i], d.Weight[i], off)
			}
			if err != nil {
				return fmt.Errorf("rank: FTRL.Train: row %d: %s", i, strings.TrimPrefix(err.Error(), "rank: FTRL.Update: "))
			}
		}
	}
	return nil
}
