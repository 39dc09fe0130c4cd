package enginesim

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/factor"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
)

// The latent embedder gives a seeker and a job vectors whose dot product
// is the sum of both directions' latent terms, and names a profile it
// cannot place.
func TestLatentEmbedder(t *testing.T) {
	m, err := synth.Generate(synth.Config{Seed: 3, Seekers: 30, Jobs: 10})
	require.NoError(t, err)
	ps := m.Profiles
	s, j := uint32(4), uint32(m.NumSeekers+2)
	vs, err := latentEmbedder(m).Embed(context.Background(), []market.Profile{ps[s], ps[j]})
	require.NoError(t, err)
	require.Len(t, vs, 2)
	var dot float64
	for i := range vs[0] {
		dot += float64(vs[0][i]) * float64(vs[1][i])
	}
	ts, rs := m.Latent(s)
	tj, rj := m.Latent(j)
	var want float64
	for i := range ts {
		want += ts[i]*rj[i] + tj[i]*rs[i]
	}
	assert.InDelta(t, want, dot, 1e-5)

	_, err = latentEmbedder(m).Embed(context.Background(), []market.Profile{ps[s], {ID: "x1"}})
	var pe *factor.ProfileError
	require.True(t, errors.As(err, &pe), "%v", err)
	assert.Equal(t, 1, pe.Index)
	_, err = latentEmbedder(m).Embed(context.Background(), []market.Profile{{ID: "j999999"}})
	require.True(t, errors.As(err, &pe), "%v", err)
}
