package evaluate

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCalibrateHandComputed(t *testing.T) {
	p := []float64{0.1, 0.2, 0.8, 0.9, math.NaN(), 1.5, 1}
	y := []bool{false, true, true, true, true, false, true}
	c, err := Calibrate(p, y, 2, 0.5)
	require.NoError(t, err)
	assert.Equal(t, 5, c.N)
	assert.Equal(t, 2, c.Skipped)
	assert.InDelta(t, (0.1+0.2+0.8+0.9+1)/5, c.Mean, 1e-12)
	assert.InDelta(t, 4.0/5, c.Observed, 1e-12)
	ll := -(math.Log(0.9) + math.Log(0.2) + math.Log(0.8) + math.Log(0.9) + math.Log(1-1e-15)) / 5
	assert.InDelta(t, ll, c.LogLoss, 1e-12)
	assert.InDelta(t, (0.01+0.64+0.04+0.01+0)/5, c.Brier, 1e-12)
	assert.InDelta(t, math.Log(2), c.Base, 1e-12)
	require.Len(t, c.Bins, 2)
	assert.Equal(t, Bin{Lo: 0, Hi: 0.5, N: 2, Mean: 0.15, Observed: 0.5}, roundBin(c.Bins[0]))
	assert.Equal(t, Bin{Lo: 0.5, Hi: 1, N: 3, Mean: 0.9, Observed: 1}, roundBin(c.Bins[1]))
	assert.Contains(t, c.Table(), "[0.5, 1.0) n    3  forecast 0.900  observed 1.000")
}

func roundBin(b Bin) Bin {
	r := func(x float64) float64 { return math.Round(x*1e9) / 1e9 }
	b.Mean, b.Observed = r(b.Mean), r(b.Observed)
	return b
}

func TestCalibrateEdges(t *testing.T) {
	_, err := Calibrate([]float64{0.5}, nil, 10, 0.5)
	require.Error(t, err)
	_, err = Calibrate(nil, nil, -1, 0.5)
	require.Error(t, err)
	c, err := Calibrate([]float64{math.NaN()}, []bool{true}, 0, math.NaN())
	require.NoError(t, err)
	assert.Len(t, c.Bins, 10)
	assert.Equal(t, 0, c.N)
	assert.True(t, math.IsNaN(c.LogLoss) && math.IsNaN(c.Base) && math.IsNaN(c.Bins[3].Mean))
	assert.Empty(t, c.Table())
	// The constant base-rate forecast scores its own log-loss exactly.
	c, err = Calibrate([]float64{0.25, 0.25, 0.25, 0.25}, []bool{true, false, false, false}, 4, 0.25)
	require.NoError(t, err)
	assert.InDelta(t, c.Base, c.LogLoss, 1e-15)
	assert.InDelta(t, c.Mean, c.Observed, 1e-15)
}
