package rank

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/twowayrec/twoway/sparse"
)

// Standardized is a logistic regression on a dense feature vector whose
// columns are standardised to mean 0 and variance 1, with its prediction
// shrunk toward a prior by the amount of evidence n behind the row:
//
//	raw(x)     = σ(b + Σ_j w_j (x_j − μ_j)/σ_j)
//	p(x, n)    = s·raw(x) + (1 − s)·prior,   s = n/(n + MinHistory)
//
// so a participant with little history gets about the prior. It is the
// model behind the urgency and saturation scores; Kind names which (it is
// saved with the model and checked by readers). For scoring the
// standardisation is folded into the weights:
//
//	z = b + Σ w_j (x_j − μ_j)/σ_j = (b − Σ w'_j μ_j) + Σ w'_j x_j,   w'_j = w_j/σ_j
//
// A Standardized is immutable and safe for concurrent use.
type Standardized struct {
	kind       string
	names      []string
	mean       []float64
	scale      []float64 // 1/σ_j, 0 for a constant feature
	w          []float64 // on standardised features
	bias       float64
	wRaw       []float64 // w_j/σ_j, on raw features
	biasRaw    float64   // b − Σ_j w_j μ_j/σ_j
	prior      float64
	minHistory float64
}

// StandardizedConfig sets up [FitStandardized]. The zero value is valid:
// no penalty, the prior learned from the data, no shrinkage.
type StandardizedConfig struct {
	// L2 is the ridge penalty on the standardised weights (Config.L2),
	// >= 0. Zero: none.
	L2 float64 `json:"l2"`
	// Prior is the prediction without evidence, in (0,1). Zero: the
	// positive rate among the rows whose History is below MinHistory,
	// clamped to [0.001, 0.999], or the overall rate when fewer than 30
	// rows are below it.
	Prior float64 `json:"prior"`
	// MinHistory is the shrinkage constant: a row with evidence n is
	// weighted n/(n+MinHistory) against the prior. Zero: no shrinkage
	// (the prediction is raw(x)).
	MinHistory float64 `json:"min_history"`
}

// Validate returns an error naming the first invalid field.
func (c StandardizedConfig) Validate() error {
	switch {
	case !(c.L2 >= 0) || math.IsInf(c.L2, 0):
		return fmt.Errorf("rank: StandardizedConfig.L2 = %v: want a finite value >= 0", c.L2)
	case !(c.Prior >= 0 && c.Prior < 1):
		return fmt.Errorf("rank: StandardizedConfig.Prior = %v: want a value in (0,1), or 0 to learn it", c.Prior)
	case !(c.MinHistory >= 0) || math.IsInf(c.MinHistory, 0):
		return fmt.Errorf("rank: StandardizedConfig.MinHistory = %v: want a finite value >= 0", c.MinHistory)
	}
	return nil
}

// StandardizedData is the input of [FitStandardized].
type StandardizedData struct {
	// Kind names what the model predicts ("urgency", "saturation"): at
	// most 256 bytes, saved with the model.
	Kind string
	// Names names the columns of every row (at most 65,536 of them).
	Names []string
	// Rows are the feature vectors, len(Names) values each. They are read,
	// not modified or retained.
	Rows [][]float64
	// Labels holds each row's label.
	Labels []bool
	// History holds each row's amount of evidence n (see [Standardized]),
	// used for the learned prior; nil means 0 for every row.
	History []float64
}

// RowError reports a bad row of [StandardizedData]; Row indexes Rows.
type RowError struct {
	Row int
	Err error
}

// Error returns "rank: row N: " followed by the cause.
func (e *RowError) Error() string { return fmt.Sprintf("rank: row %d: %v", e.Row, e.Err) }

// Unwrap returns the cause.
func (e *RowError) Unwrap() error { return e.Err }

const (
	// maxStandardizedDim bounds the columns of a Standardized model.
	maxStandardizedDim = 1 << 16
	// maxKindLen bounds StandardizedData.Kind.
	maxKindLen = 256
)

// FitStandardized standardises the columns of d.Rows, fits a logistic
// regression on them with [Fit] and returns the model with the
// standardisation folded in. It returns an error wrapping [ErrEmpty]
// without rows of both labels, a [*RowError] for a row of the wrong length
// or with a value that is not finite, and an error naming the field for a
// bad cfg or d.
func FitStandardized(ctx context.Context, cfg StandardizedConfig, d StandardizedData) (*Standardized, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case len(d.Kind) == 0 || len(d.Kind) > maxKindLen:
		return nil, fmt.Errorf("rank: StandardizedData.Kind %q: want 1 to %d bytes", d.Kind, maxKindLen)
	case len(d.Names) == 0 || len(d.Names) > maxStandardizedDim:
		return nil, fmt.Errorf("rank: StandardizedData.Names: %d names, want 1 to %d", len(d.Names), maxStandardizedDim)
	case len(d.Labels) != len(d.Rows) || (d.History != nil && len(d.History) != len(d.Rows)):
		return nil, fmt.Errorf("rank: StandardizedData: %d rows, %d labels, %d history values", len(d.Rows), len(d.Labels), len(d.History))
	}
	for j, name := range d.Names {
		if len(name) > maxNameLen {
			return nil, fmt.Errorf("rank: StandardizedData.Names[%d]: %d bytes, want at most %d", j, len(name), maxNameLen)
		}
	}
	var pos int
	for _, y := range d.Labels {
		if y {
			pos++
		}
	}
	if pos == 0 || pos == len(d.Rows) {
		return nil, fmt.Errorf("%w: %d rows, %d positive: need rows of both labels", ErrEmpty, len(d.Rows), pos)
	}
	for i, r := range d.Rows {
		if len(r) != len(d.Names) {
			return nil, &RowError{i, fmt.Errorf("%d features but %d names", len(r), len(d.Names))}
		}
		for j, x := range r {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, &RowError{i, fmt.Errorf("feature %d (%s) is %v", j, d.Names[j], x)}
			}
		}
	}
	prior := cfg.Prior
	if prior == 0 {
		prior = lowHistoryRate(d, cfg.MinHistory, float64(pos)/float64(len(d.Rows)))
	}
	mean, scale := standardisation(d.Rows)
	var ds Dataset
	idx := make([]uint32, len(d.Names))
	for j := range idx {
		idx[j] = uint32(j)
	}
	z := make([]float64, len(d.Names))
	for i, r := range d.Rows {
		for j, x := range r {
			z[j] = (x - mean[j]) * scale[j]
		}
		y := 0.0
		if d.Labels[i] {
			y = 1
		}
		if err := ds.Add(sparse.Vector{Idx: idx, Val: z}, y, 1); err != nil {
			return nil, &RowError{i, err}
		}
	}
	lr, err := Fit(ctx, Config{L2: cfg.L2, Dim: len(d.Names)}, &ds)
	if err != nil {
		return nil, err
	}
	return newStandardized(d.Kind, slices.Clone(d.Names), mean, scale, lr.Weights(), lr.Bias(), prior, cfg.MinHistory), nil
}

// standardisation returns the mean μ of every column of rows and 1/σ (0
// for a constant column, which then contributes nothing).
func standardisation(rows [][]float64) (mean, scale []float64) {
	d := len(rows[0])
	mean, scale = make([]float64, d), make([]float64, d)
	n := float64(len(rows))
	for _, r := range rows {
		for j, x := range r {
			mean[j] += x
		}
	}
	for j := range mean {
		mean[j] /= n
	}
	for _, r := range rows {
		for j, x := range r {
			scale[j] += (x - mean[j]) * (x - mean[j])
		}
	}
	for j := range scale {
		sd := math.Sqrt(scale[j] / n)
		scale[j] = 0
		if sd > 1e-12 {
			scale[j] = 1 / sd
		}
	}
	return mean, scale
}

// lowHistoryRate returns the share of positive labels among the rows whose
// History is below minHistory, or overall when there are fewer than 30 of
// them.
func lowHistoryRate(d StandardizedData, minHistory, overall float64) float64 {
	var n, pos float64
	for i, y := range d.Labels {
		var h float64
		if d.History != nil {
			h = d.History[i]
		}
		if h < minHistory {
			n++
			if y {
				pos++
			}
		}
	}
	if n < 30 {
		return overall
	}
	return min(max(pos/n, 1e-3), 1-1e-3)
}

// newStandardized assembles a model and folds the standardisation into
// the weights for scoring (see [Standardized]).
func newStandardized(kind string, names []string, mean, scale, w []float64, bias, prior, minHistory float64) *Standardized {
	s := &Standardized{kind: kind, names: names, mean: mean, scale: scale, w: w, bias: bias, prior: prior, minHistory: minHistory}
	s.wRaw, s.biasRaw = make([]float64, len(w)), bias
	for j, wj := range w {
		s.wRaw[j] = wj * scale[j]
		s.biasRaw -= s.wRaw[j] * mean[j]
	}
	return s
}

// Kind returns what the model predicts, as given to [FitStandardized].
func (s *Standardized) Kind() string { return s.kind }

// Dim returns the number of features the model reads.
func (s *Standardized) Dim() int { return len(s.w) }

// Names returns the names of the features the model reads.
func (s *Standardized) Names() []string { return slices.Clone(s.names) }

// Prior returns the prediction for a row without evidence.
func (s *Standardized) Prior() float64 { return s.prior }

// MinHistory returns the shrinkage constant (0: no shrinkage).
func (s *Standardized) MinHistory() float64 { return s.minHistory }

// Coefficient is one feature's weight in standardised units.
type Coefficient struct {
	Name   string
	Weight float64
}

// Coefficients returns the weights on the standardised features, largest
// magnitude first (ties by name).
func (s *Standardized) Coefficients() []Coefficient {
	out := make([]Coefficient, len(s.w))
	for j, w := range s.w {
		out[j] = Coefficient{s.names[j], w}
	}
	slices.SortFunc(out, func(a, b Coefficient) int {
		if c := cmp.Compare(math.Abs(b.Weight), math.Abs(a.Weight)); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}

// Raw returns raw(x) = σ(b + w·standardised(x)), without the prior. It
// does not allocate and panics if len(x) differs from Dim.
func (s *Standardized) Raw(x []float64) float64 {
	if len(x) != len(s.wRaw) {
		panic(fmt.Sprintf("rank: Standardized.Raw: %d features, model has %d", len(x), len(s.wRaw)))
	}
	z := s.biasRaw
	w := s.wRaw[:len(x)]
	for j, v := range x {
		z += w[j] * v
	}
	return Sigmoid(z)
}

// Predict returns p(x, n): raw(x) shrunk toward the prior for a row with
// evidence n (see [Standardized]). It does not allocate and panics if
// len(x) differs from Dim.
func (s *Standardized) Predict(x []float64, n float64) float64 {
	raw := s.Raw(x)
	if s.minHistory == 0 {
		return raw
	}
	w := n / (n + s.minHistory)
	return w*raw + (1-w)*s.prior
}
