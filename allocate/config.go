package allocate

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"
)

// ErrConfig is wrapped by every configuration error; the message names the
// field.
var ErrConfig = errors.New("allocate: invalid config")

// ErrInput is wrapped by every error about a pair or a mass handed to a
// [Builder] or to [Graph.WithMasses]; the message names the record and the
// field ([PairError], [MassError]).
var ErrInput = errors.New("allocate: invalid input")

// ErrMismatch is returned by [Refresh] when the previous potentials were
// fitted with another surplus than the graph's.
var ErrMismatch = errors.New("allocate: potentials and graph disagree")

// Surplus names the joint surplus Φ of a pair, computed from its two
// calibrated probabilities: p, that the seeker acts on the job when shown
// it, and q, that the job answers the seeker when contacted. Both
// surpluses are symmetric in p and q, so a request from either side computes
// the same Φ from its forward and backward probabilities.
type Surplus uint8

const (
	// Product is Φ = p·q, the probability that the pair matches when both
	// look at each other: the expected matches of a unit of attention spent
	// on the pair (the zero value, and the default: it wins on the congested
	// markets, see the package documentation).
	Product Surplus = iota
	// Sum is Φ = p + q, the surplus of Tomita et al. (RecSys 2023).
	Sum
)

// String returns "product" or "sum".
func (s Surplus) String() string {
	switch s {
	case Product:
		return "product"
	case Sum:
		return "sum"
	}
	return fmt.Sprintf("Surplus(%d)", uint8(s))
}

// MarshalText encodes the surplus as "product" or "sum".
func (s Surplus) MarshalText() ([]byte, error) {
	if s > Sum {
		return nil, fmt.Errorf("%w: Surplus %d", ErrConfig, uint8(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads "product", "sum" or "" (Product).
func (s *Surplus) UnmarshalText(b []byte) error {
	switch string(b) {
	case "product", "":
		*s = Product
	case "sum":
		*s = Sum
	default:
		return fmt.Errorf("%w: Surplus %q: want \"product\" or \"sum\"", ErrConfig, b)
	}
	return nil
}

// Of returns Φ(p, q). It does not check its arguments: a [Builder] rejects
// probabilities outside [0, 1], and [Potentials.Surplus] clamps them.
func (s Surplus) Of(p, q float64) float64 {
	if s == Sum {
		return p + q
	}
	return p * q
}

// Config configures the allocation. The zero value of every field is a
// documented default, so Config{} is a usable configuration. Hosts may load
// it from JSON.
type Config struct {
	// Surplus is the joint surplus Φ of a pair. Zero: Product.
	Surplus Surplus `json:"surplus"`
	// Beta is the temperature relative to the market: the entropic
	// regularisation is β = Beta × (the mean Φ over the graph's pairs), so
	// that scaling every probability by one factor changes nothing but the
	// scale of Φ. Small values approach the surplus-maximising assignment
	// (and need more sweeps); large ones spread each participant's mass
	// over all its pairs. Zero: 0.05, chosen by measurement (see the package
	// documentation). When every pair has Φ = 0, β = Beta.
	Beta float64 `json:"beta"`
	// Tolerance stops a fit when no participant's marginal is violated by
	// more than Tolerance times its mass:
	//
	//	|n_x − μ_x0 − Σ_y μ_xy| ≤ Tolerance · n_x   for every participant x
	//
	// Zero: 1e-6.
	Tolerance float64 `json:"tolerance"`
	// MaxSweeps bounds the sweeps of a Fit (a sweep updates every seeker,
	// then every job). A fit that reaches it
	// returns its last potentials with Stats.Converged false. Zero: 3000.
	MaxSweeps int `json:"max_sweeps"`
	// Relaxation is the over-relaxation factor ω of the sweeps, in [1, 2):
	// each potential moves ω times the step of plain IPFP (in log space),
	// unless that would lower the dual objective, in which case it takes
	// the plain step. 1 is plain IPFP. Zero: adaptive, re-estimated every
	// few sweeps from the observed rate of convergence (Hageman & Young).
	Relaxation float64 `json:"relaxation"`
	// RefreshRounds bounds the rounds of a [Refresh]: each round updates the
	// participants whose marginal may have moved, on one side of the
	// market; after them Refresh continues with full sweeps. Zero: 24.
	RefreshRounds int `json:"refresh_rounds"`
	// Workers is the number of goroutines of a fit. Zero: GOMAXPROCS. The
	// work is cut the same way whatever its value, so a fit gives
	// bit-identical potentials for any number of workers.
	Workers int `json:"workers"`
	// Progress, if not nil, is called after every sweep of a Fit and every
	// round of a Refresh, from the goroutine that called it. A non-nil error
	// stops the fit, which returns it wrapped. Nil: no reports.
	Progress func(Progress) error `json:"-"`
}

// Progress reports one sweep of a [Fit] or one round of a [Refresh].
type Progress struct {
	// Sweep counts the sweeps (Fit) or rounds (Refresh) done, from 1.
	Sweep int
	// Residual is the largest relative marginal violation seen in the sweep
	// (each participant's, measured just before its update).
	Residual float64
	// Relaxation is the sweep's ω.
	Relaxation float64
	// Updated is the number of participants updated in the sweep.
	Updated int
	// Elapsed is the wall time since the fit began.
	Elapsed time.Duration
}

// Defaults of the zero Config.
const (
	DefaultBeta          = 0.05
	DefaultTolerance     = 1e-6
	DefaultMaxSweeps     = 3000
	DefaultRefreshRounds = 24
)

// Validate checks c and returns an error wrapping [ErrConfig] that names
// the first bad field.
func (c Config) Validate() error {
	_, err := c.resolve()
	return err
}

// resolve validates c and fills in its defaults.
func (c Config) resolve() (Config, error) {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: Config.%s = %v: %s", ErrConfig, field, v, want)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case c.Surplus > Sum:
		return c, bad("Surplus", c.Surplus, "want Product or Sum")
	case !finite(c.Beta) || c.Beta < 0:
		return c, bad("Beta", c.Beta, "want a finite value >= 0")
	case !finite(c.Tolerance) || c.Tolerance < 0 || c.Tolerance >= 1:
		return c, bad("Tolerance", c.Tolerance, "want a value in [0, 1)")
	case c.MaxSweeps < 0:
		return c, bad("MaxSweeps", c.MaxSweeps, "want >= 0")
	case !finite(c.Relaxation) || c.Relaxation != 0 && (c.Relaxation < 1 || c.Relaxation >= 2):
		return c, bad("Relaxation", c.Relaxation, "want 0 (adaptive) or a value in [1, 2)")
	case c.RefreshRounds < 0:
		return c, bad("RefreshRounds", c.RefreshRounds, "want >= 0")
	case c.Workers < 0:
		return c, bad("Workers", c.Workers, "want >= 0")
	}
	if c.Beta == 0 {
		c.Beta = DefaultBeta
	}
	if c.Tolerance == 0 {
		c.Tolerance = DefaultTolerance
	}
	if c.MaxSweeps == 0 {
		c.MaxSweeps = DefaultMaxSweeps
	}
	if c.RefreshRounds == 0 {
		c.RefreshRounds = DefaultRefreshRounds
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return c, nil
}
