package contender

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/benchmarks/sim"
	"github.com/twowayrec/twoway/internal/synth"
)

func smallWorld(t testing.TB) (*sim.World, *Features, *Models) {
	t.Helper()
	w, err := sim.NewWorld(sim.Config{Market: synth.Config{Seed: 3, Seekers: 600, Jobs: 150}, Rounds: 4})
	require.NoError(t, err)
	f := NewFeatures(w)
	m, err := FitModels(context.Background(), w, f)
	require.NoError(t, err)
	return w, f, m
}
