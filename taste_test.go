package twoway

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/match"
)

func TestTasteConfigRefused(t *testing.T) {
	_, err := New(Config{Taste: match.TasteConfig{Shrink: -1}})
	require.ErrorIs(t, err, ErrConfig)
	assert.ErrorContains(t, err, "Taste")
}

// A fitted Engine gives both directions' taste evidence from its
// neighbours, and none with Taste off; an Engine that never fitted gives 0.
func TestTasteEvidenceServed(t *testing.T) {
	m := tinyMarket(t)
	taste := func(e *Engine) (nonzero int) {
		st := e.state.Load()
		for _, p := range m.Profiles {
			a, ok := e.dict.Lookup(p.ID)
			require.True(t, ok)
			var cands []uint32
			for _, q := range m.Profiles {
				if q.Side != p.Side {
					c, _ := e.dict.Lookup(q.ID)
					cands = append(cands, c)
				}
			}
			fwd := make([]match.Evidence, len(cands))
			st.collabFrom(fwd, a, cands)
			bwd := make([]match.Evidence, len(cands))
			st.collabToward(bwd, cands, a)
			for i := range cands {
				for _, v := range []float64{fwd[i][match.EvidenceTaste], bwd[i][match.EvidenceTaste]} {
					require.True(t, v > -1 && v < 1, "taste %v", v)
					if v != 0 {
						nonzero++
					}
				}
			}
		}
		return nonzero
	}
	assert.Zero(t, taste(newEngine(t, m, false)), "before the first Fit")
	e := newEngine(t, m, true)
	assert.Positive(t, taste(e), "the fitted Engine's taste evidence")

	cfg := Config{Clock: endOf(m), Seed: 7, Taste: match.TasteConfig{Neighbours: -1}}
	off, err := New(cfg)
	require.NoError(t, err)
	defer off.Close()
	require.NoError(t, off.Upsert(context.Background(), m.Profiles...))
	require.NoError(t, off.Record(context.Background(), m.Events...))
	require.NoError(t, off.Fit(context.Background()))
	assert.Zero(t, taste(off), "Taste off")
}
