package rank

import (
	"errors"
	"math"
	"slices"

	"github.com/twowayrec/twoway/sparse"
)

// Errors returned by the trainers and decoders.
var (
	// ErrEmpty is returned when there is nothing to learn from.
	ErrEmpty = errors.New("rank: no training rows")
	// ErrCorrupt is wrapped by the errors of ReadFrom for a truncated,
	// damaged or foreign stream.
	ErrCorrupt = errors.New("rank: corrupt model data")
	// ErrVersion is wrapped when a stream was written by a newer format
	// version than this package reads.
	ErrVersion = errors.New("rank: unsupported model format version")
)

// Model is a fitted logistic-regression model:
//
//	P(y=1 | x) = σ(b + Σ_j w_j x_j),   σ(z) = 1 / (1 + e^(−z))
//
// A Model is an immutable value: every method is safe for concurrent use,
// and nothing in this package changes a Model after it is returned. To
// refresh a served model, build a new one and swap an atomic.Pointer.
// The zero Model predicts 0.5 for everything.
type Model struct {
	w    []float64
	bias float64
}

// NewModel returns a model with the given weights (copied) and intercept.
// It panics if a value is not finite (a programmer error: fitted models
// never hold one).
func NewModel(weights []float64, bias float64) *Model {
	for _, x := range weights {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			panic("rank: NewModel: non-finite weight")
		}
	}
	if math.IsNaN(bias) || math.IsInf(bias, 0) {
		panic("rank: NewModel: non-finite bias")
	}
	return &Model{w: slices.Clone(weights), bias: bias}
}

// Dim returns the number of feature weights. Features at indices >= Dim
// have weight 0.
func (m *Model) Dim() int { return len(m.w) }

// Bias returns the intercept b.
func (m *Model) Bias() float64 { return m.bias }

// Weight returns w_j (0 for j >= Dim).
func (m *Model) Weight(j uint32) float64 {
	if int(j) < len(m.w) {
		return m.w[j]
	}
	return 0
}

// Weights returns a copy of the weight vector.
func (m *Model) Weights() []float64 { return slices.Clone(m.w) }

// Score returns the log-odds b + w·x. Indices beyond Dim contribute 0. It
// does not allocate.
func (m *Model) Score(x sparse.Vector) float64 {
	return m.bias + sparse.DotDense(x, m.w)
}

// Predict returns the probability σ(b + w·x) that the label is 1. It does
// not allocate.
func (m *Model) Predict(x sparse.Vector) float64 { return Sigmoid(m.Score(x)) }

// PredictOffset returns σ(offset + b + w·x): the prediction for a row whose
// score has a fixed offset, as in [Dataset.AddOffset].
func (m *Model) PredictOffset(x sparse.Vector, offset float64) float64 {
	return Sigmoid(offset + m.Score(x))
}

// Sigmoid returns 1/(1+e^(−z)), computed without overflow for any z.
func Sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	e := math.Exp(z)
	return e / (1 + e)
}

// logLoss returns −[y log σ(z) + (1−y) log(1−σ(z))] computed stably:
// log(1+e^z) − y z.
func logLoss(z, y float64) float64 {
	return softplus(z) - y*z
}

// lossSigmoid returns logLoss(z, y) and Sigmoid(z) from one exponential,
// bit for bit the values of the two functions.
func lossSigmoid(z, y float64) (loss, p float64) {
	t := math.Exp(-math.Abs(z))
	if z >= 0 {
		// For z = 0 softplus's log1p(e^0) is this z + log1p(t) exactly.
		return z + math.Log1p(t) - y*z, 1 / (1 + t)
	}
	return math.Log1p(t) - y*z, t / (1 + t)
}

// softplus returns log(1+e^z) without overflow.
func softplus(z float64) float64 {
	if z > 0 {
		return z + math.Log1p(math.Exp(-z))
	}
	return math.Log1p(math.Exp(z))
}
