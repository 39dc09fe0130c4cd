package rank

import (
	"math"
	"testing"
)

// TestLossSigmoid checks the fused loss and probability against logLoss and
// Sigmoid bit for bit, across the range and at the edges.
func TestLossSigmoid(t *testing.T) {
	zs := []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, 0.5, -0.5, 3, -3, 36, -36, 700, -700, 800, -800, math.Inf(1), math.Inf(-1)}
	for i := range 2000 {
		zs = append(zs, float64(i-1000)/37)
	}
	for _, z := range zs {
		for _, y := range []float64{0, 1, 0.3} {
			l, p := lossSigmoid(z, y)
			wl, wp := logLoss(z, y), Sigmoid(z)
			if !(l == wl || math.IsNaN(l) && math.IsNaN(wl)) || !(p == wp || math.IsNaN(p) && math.IsNaN(wp)) {
				t.Fatalf("z %v y %v: (%v, %v), want (%v, %v)", z, y, l, p, wl, wp)
			}
		}
	}
}
