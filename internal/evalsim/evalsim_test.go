package evalsim

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBestSingleFeature(t *testing.T) {
	// Feature "b" separates the labels negatively; "a" is noise.
	names := []string{"a", "b"}
	train := [][]float64{{1, 4}, {0, 3}, {1, 1}, {0, 0}}
	y := []bool{false, false, true, true}
	name, auc := BestSingleFeature(names, train, y, [][]float64{{0, 9}, {1, 2}}, []bool{false, true})
	assert.Equal(t, "b", name)
	assert.Equal(t, 1.0, auc, "the sign chosen on training rows carries to the test rows")
}

func TestMarket(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 400,000 events")
	}
	m, evs := Market(t, Config())
	require.Len(t, evs, len(m.Events))
	assert.Equal(t, 6000, len(m.Profiles))
	assert.Equal(t, m.Pairs[7].Actor, evs[7].Actor)
	assert.Equal(t, m.Events[7].Time, evs[7].Time)
}
