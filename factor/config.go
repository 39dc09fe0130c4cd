package factor

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/twowayrec/twoway/market"
)

// ErrConfig is wrapped by every configuration error; the message names
// the field.
var ErrConfig = errors.New("factor: invalid config")

// ErrDiverged is returned by a fit whose factors stopped being finite.
var ErrDiverged = errors.New("factor: fit diverged")

// ErrEmpty is returned by a fit whose interest matrix has no cell to
// learn from.
var ErrEmpty = errors.New("factor: no interest cells")

// Method is the learning method of a [Trainer].
type Method uint8

const (
	// ALS is weighted alternating least squares with the conjugate-gradient
	// solver (the zero value).
	ALS Method = iota
	// BPR is Bayesian personalised ranking by stochastic gradient ascent.
	BPR
)

// String returns "als" or "bpr".
func (m Method) String() string {
	switch m {
	case ALS:
		return "als"
	case BPR:
		return "bpr"
	}
	return fmt.Sprintf("Method(%d)", uint8(m))
}

// MarshalText encodes the method as "als" or "bpr".
func (m Method) MarshalText() ([]byte, error) {
	if m > BPR {
		return nil, fmt.Errorf("%w: Method %d", ErrConfig, uint8(m))
	}
	return []byte(m.String()), nil
}

// UnmarshalText reads "als", "bpr" or "" (ALS).
func (m *Method) UnmarshalText(b []byte) error {
	switch string(b) {
	case "als", "ALS", "":
		*m = ALS
	case "bpr", "BPR":
		*m = BPR
	default:
		return fmt.Errorf("%w: Method %q: want \"als\" or \"bpr\"", ErrConfig, b)
	}
	return nil
}

// Config configures a [Trainer]. The zero value of every field is a
// documented default, so Config{} is a usable configuration.
//
// # Confidence
//
// Cell (u, i) of the interest matrix holds a weight r_ui > 0 (the interest
// matrix's decayed action weights). ALS turns it into a preference p_ui = 1
// with confidence
//
//	c_ui = 1 + Alpha · r_ui
//
// and every pair (u, i) without a cell into p_ui = 0 with confidence 1
// (Hu, Koren & Volinsky 2008); a pair in Data.Negatives with weight w and
// no interest cell into p_ui = 0 with confidence 1 + Alpha · w. BPR uses
// only which cells exist, and takes no negatives.
type Config struct {
	// Method is ALS or BPR. Zero: ALS.
	Method Method `json:"method"`
	// Factors is the number of latent dimensions k. Zero: 64.
	Factors int `json:"factors"`
	// Iterations bounds the ALS sweeps (both sides solved once) or the BPR
	// epochs (as many sampled triples as training cells). Zero: 15 for
	// ALS, 40 for BPR. Early stopping may end the fit sooner.
	Iterations int `json:"iterations"`
	// Regularization is λ, the L2 penalty on every factor (and on the
	// feature factors of hybrid models). Zero: 50 for ALS, 0.01 for BPR
	// (ALS's penalty competes with sums of confidences, BPR's with single
	// gradient steps; both defaults were chosen on the simulated markets of
	// internal/synth by held-out AUC and recall, see the package
	// documentation). Too large a value collapses ALS toward popularity;
	// early stopping then keeps the best sweep.
	Regularization float64 `json:"regularization"`
	// OwnRegularization is the L2 penalty on a participant's own factor in
	// a hybrid model (one with features): larger than Regularization, it
	// shrinks the own factor so that the features carry what participants
	// share. Zero: 10 × Regularization. Without features it is not used.
	OwnRegularization float64 `json:"own_regularization"`
	// Alpha scales interest weights into ALS confidences (see above). Zero:
	// 10.
	Alpha float64 `json:"alpha"`
	// CGSteps is the number of conjugate-gradient steps per row and sweep
	// (Takács, Pilászy & Tikk 2011), each warm-started from the previous
	// sweep's solution. Zero: 3. CGSteps ≥ Factors solves every row's
	// normal equations exactly (up to rounding).
	CGSteps int `json:"cg_steps"`
	// LearningRate is BPR's step size η. Zero: 0.05.
	LearningRate float64 `json:"learning_rate"`
	// Holdout is the share of interest cells held out of training to stop
	// early and to calibrate probabilities (a cell is held out only when
	// its row keeps at least one training cell). Zero: 0.05. Negative: no
	// holdout; the fit runs Iterations and calibrates on training cells.
	Holdout float64 `json:"holdout"`
	// Patience is the number of iterations without a better held-out AUC
	// after which the fit stops and returns the best iteration's factors.
	// Zero: 2.
	Patience int `json:"patience"`
	// Negatives is the number of non-cells sampled per held-out cell for
	// the held-out AUC and the calibration. Zero: 10.
	Negatives int `json:"negatives"`
	// InitScale is the standard deviation of the initial factors, divided
	// by √Factors. Zero: 0.1.
	InitScale float64 `json:"init_scale"`
	// Workers is the number of goroutines a fit uses. Zero: GOMAXPROCS.
	// The work is cut the same way whatever its value, so a fit is
	// bit-identical for any number of workers.
	Workers int `json:"workers"`
	// Seed seeds every random choice (initial factors, the holdout, BPR's
	// samples). Zero is a valid seed.
	Seed uint64 `json:"seed"`
	// Progress, if not nil, is called after every iteration from the
	// goroutine that called Fit. A non-nil error stops the fit, and Fit
	// returns it wrapped. Nil: no reports.
	Progress func(Progress) error `json:"-"`
}

// Progress reports one iteration of a fit.
type Progress struct {
	// Iteration is the number of iterations done, from 1.
	Iteration int
	// Loss is the training objective after the iteration: for ALS the
	// weighted squared error over every pair plus the penalties, divided
	// by the number of training cells; for BPR the mean −ln σ(x̂_uij) over
	// the epoch's triples (before each update).
	Loss float64
	// Validation is the held-out AUC after the iteration; NaN without a
	// holdout.
	Validation float64
	// Best is the iteration with the best Validation so far (the current
	// one without a holdout).
	Best int
	// Elapsed is the wall time of the iteration.
	Elapsed time.Duration
	// Side is the direction of a two-sided fit ([Trainer.FitTwoSided]):
	// market.Seeker for the seekers' model, market.Recruiter for the
	// recruiters'; 0 for [Trainer.Fit].
	Side market.Side
}

// resolved is a validated Config with its defaults filled in.
type resolved struct {
	Config
}

// Validate checks c and returns an error wrapping [ErrConfig] that names
// the first bad field.
func (c Config) Validate() error {
	_, err := c.resolve()
	return err
}

func (c Config) resolve() (resolved, error) {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: Config.%s = %v: %s", ErrConfig, field, v, want)
	}
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case c.Method > BPR:
		return resolved{}, bad("Method", c.Method, "want ALS or BPR")
	case c.Factors < 0 || c.Factors > 4096:
		return resolved{}, bad("Factors", c.Factors, "want 0 (64) to 4096")
	case c.Iterations < 0:
		return resolved{}, bad("Iterations", c.Iterations, "want >= 0")
	case !finite(c.Regularization) || c.Regularization < 0:
		return resolved{}, bad("Regularization", c.Regularization, "want a finite value >= 0")
	case !finite(c.OwnRegularization) || c.OwnRegularization < 0:
		return resolved{}, bad("OwnRegularization", c.OwnRegularization, "want a finite value >= 0")
	case !finite(c.Alpha) || c.Alpha < 0:
		return resolved{}, bad("Alpha", c.Alpha, "want a finite value >= 0")
	case c.CGSteps < 0:
		return resolved{}, bad("CGSteps", c.CGSteps, "want >= 0")
	case !finite(c.LearningRate) || c.LearningRate < 0:
		return resolved{}, bad("LearningRate", c.LearningRate, "want a finite value >= 0")
	case !finite(c.Holdout) || c.Holdout >= 0.5:
		return resolved{}, bad("Holdout", c.Holdout, "want a finite value below 0.5")
	case c.Patience < 0:
		return resolved{}, bad("Patience", c.Patience, "want >= 0")
	case c.Negatives < 0 || c.Negatives > 1000:
		return resolved{}, bad("Negatives", c.Negatives, "want 0 (10) to 1000")
	case !finite(c.InitScale) || c.InitScale < 0:
		return resolved{}, bad("InitScale", c.InitScale, "want a finite value >= 0")
	case c.Workers < 0:
		return resolved{}, bad("Workers", c.Workers, "want >= 0")
	}
	if c.Factors == 0 {
		c.Factors = 64
	}
	if c.Iterations == 0 {
		c.Iterations = 15
		if c.Method == BPR {
			c.Iterations = 40
		}
	}
	if c.Regularization == 0 {
		c.Regularization = 50
		if c.Method == BPR {
			c.Regularization = 0.01
		}
	}
	if c.OwnRegularization == 0 {
		c.OwnRegularization = 10 * c.Regularization
	}
	if c.Alpha == 0 {
		c.Alpha = 10
	}
	if c.CGSteps == 0 {
		c.CGSteps = 3
	}
	if c.LearningRate == 0 {
		c.LearningRate = 0.05
	}
	switch {
	case c.Holdout == 0:
		c.Holdout = 0.05
	case c.Holdout < 0:
		c.Holdout = 0
	}
	if c.Patience == 0 {
		c.Patience = 2
	}
	if c.Negatives == 0 {
		c.Negatives = 10
	}
	if c.InitScale == 0 {
		c.InitScale = 0.1
	}
	if c.Workers == 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	return resolved{c}, nil
}

// Trainer fits factor models with one validated Config. It holds no
// other state: one Trainer may run several fits at once.
type Trainer struct {
	cfg resolved
}

// New validates cfg and returns a Trainer; the error wraps [ErrConfig]
// and names the field. New does no work and starts no goroutines.
func New(cfg Config) (*Trainer, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	return &Trainer{cfg: r}, nil
}

// Config returns the configuration with every default filled in.
func (t *Trainer) Config() Config { return t.cfg.Config }
