package twoway

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/urgency"
)

// TestWithOneWayBatch checks the batched one-way match the Fit's replay of
// recent attention uses against OneWay pair by pair, on a fitted Engine.
func TestWithOneWayBatch(t *testing.T) {
	m := smallMarket(t)
	e := newEngine(t, m, true)
	st := e.state.Load()
	require.NotNil(t, st.interest)
	uc := st.withOneWay(urgency.Config{})
	var dst []float64
	for a := range uint32(40) {
		targets := []uint32{uint32(m.NumSeekers) + a%7, uint32(m.NumSeekers) + 3*a%11, 5 + a, uint32(m.NumSeekers) + 50}
		if int(a) >= m.NumSeekers {
			t.Fatal("the test's actors are seekers")
		}
		dst = uc.OneWayBatch(a, targets, dst)
		require.Len(t, dst, len(targets))
		for i, b := range targets {
			assert.InDelta(t, uc.OneWay(a, b), dst[i], 1e-9, "actor %d target %d", a, b)
		}
	}
}
