package evaluate

import (
	"fmt"
	"math"
	"strings"

	"github.com/twowayrec/twoway/rank"
)

// Calibration says how well forecast probabilities agree with what
// happened: log-loss and Brier score over every forecast, and a
// reliability table (equal-width bins of the forecast, each with its mean
// forecast and the share of positives among its outcomes). A calibrated
// forecaster's bins lie on the diagonal: Mean ≈ Observed in every bin.
type Calibration struct {
	N        int     // forecasts scored (finite, in [0, 1])
	Skipped  int     // forecasts left out: NaN or outside [0, 1]
	Mean     float64 // mean forecast
	Observed float64 // share of positive outcomes
	LogLoss  float64 // mean negative log-likelihood (rank.LogLoss)
	Brier    float64 // mean squared error of the forecast
	// Base is the log-loss of forecasting the constant BaseRate for every
	// outcome: the floor a forecaster must beat (NaN when BaseRate was not
	// given).
	Base, BaseRate float64
	Bins           []Bin
}

// Bin is one bin of a reliability table: the forecasts in [Lo, Hi) (the
// last bin includes 1).
type Bin struct {
	Lo, Hi   float64
	N        int
	Mean     float64 // mean forecast of the bin (NaN when empty)
	Observed float64 // share of positives of the bin (NaN when empty)
}

// Calibrate scores forecasts p of outcomes y with bins equal-width bins
// (0 means 10). base is the constant forecast that sets Calibration.Base
// (NaN: none), typically the training share of positives. A forecast that
// is NaN or outside [0, 1] is counted in Skipped and left out. It returns
// an error when the slices differ in length or bins is negative.
func Calibrate(p []float64, y []bool, bins int, base float64) (Calibration, error) {
	if len(p) != len(y) {
		return Calibration{}, fmt.Errorf("evaluate: Calibrate: %d forecasts, %d outcomes", len(p), len(y))
	}
	if bins < 0 {
		return Calibration{}, fmt.Errorf("evaluate: Calibrate: %d bins", bins)
	}
	if bins == 0 {
		bins = 10
	}
	c := Calibration{Bins: make([]Bin, bins), Base: math.NaN(), BaseRate: base}
	for i := range c.Bins {
		c.Bins[i].Lo, c.Bins[i].Hi = float64(i)/float64(bins), float64(i+1)/float64(bins)
	}
	var ps []float64
	var ys []bool
	var sum, pos, sq float64
	sums := make([]float64, bins)
	poss := make([]float64, bins)
	for i, q := range p {
		if !(q >= 0 && q <= 1) {
			c.Skipped++
			continue
		}
		ps, ys = append(ps, q), append(ys, y[i])
		yi := b2f(y[i])
		sum += q
		pos += yi
		sq += (q - yi) * (q - yi)
		k := min(int(q*float64(bins)), bins-1)
		c.Bins[k].N++
		sums[k] += q
		poss[k] += yi
	}
	c.N = len(ps)
	if c.N == 0 {
		c.Mean, c.Observed, c.LogLoss, c.Brier = math.NaN(), math.NaN(), math.NaN(), math.NaN()
	} else {
		n := float64(c.N)
		c.Mean, c.Observed, c.LogLoss, c.Brier = sum/n, pos/n, rank.LogLoss(ps, ys), sq/n
		if base >= 0 && base <= 1 {
			cs := make([]float64, len(ps))
			for i := range cs {
				cs[i] = base
			}
			c.Base = rank.LogLoss(cs, ys)
		}
	}
	for k := range c.Bins {
		b := &c.Bins[k]
		b.Mean, b.Observed = math.NaN(), math.NaN()
		if b.N > 0 {
			b.Mean, b.Observed = sums[k]/float64(b.N), poss[k]/float64(b.N)
		}
	}
	return c, nil
}

// Table returns the reliability table as text, one line per non-empty
// bin: its range, count, mean forecast and observed share.
func (c Calibration) Table() string {
	var sb strings.Builder
	for _, b := range c.Bins {
		if b.N == 0 {
			continue
		}
		fmt.Fprintf(&sb, "[%.1f, %.1f) n %4d  forecast %.3f  observed %.3f\n", b.Lo, b.Hi, b.N, b.Mean, b.Observed)
	}
	return sb.String()
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
