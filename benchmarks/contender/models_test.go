package contender

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/rank"
)

// TestLibraryModelsTrackLatentTruth fits package urgency's and package
// exposure's models on a small world's history and checks them against
// the latent truth at the start of round 0 (simulated): urgency against
// who is urgent that day, saturation against the capacity each
// participant has (low capacity = easily flooded).
func TestLibraryModelsTrackLatentTruth(t *testing.T) {
	w, f, m := smallWorld(t)
	ctx := context.Background()
	u, err := FitUrgency(ctx, w, f, m)
	require.NoError(t, err)
	urg, err := u.table(activityEvents(w.History), w.Start, nil)
	require.NoError(t, err)
	day := w.Day(0)
	var scores []float64
	var labels []bool
	for i := range w.Market.Profiles {
		ix := uint32(i)
		if !w.Registered(ix, 0) {
			continue
		}
		scores = append(scores, urg[ix])
		labels = append(labels, w.Market.UrgentOn(ix, day-1))
	}
	aucU, nU := rank.AUC(scores, labels), len(labels)
	x, err := FitExposure(ctx, w)
	require.NoError(t, err)
	c, err := x.newControl()
	require.NoError(t, err)
	require.NoError(t, c.refresh(activityEvents(w.History), w.Start))
	bd := NewBoard(w)
	scores, labels = scores[:0], labels[:0]
	for i := range w.Market.Profiles {
		ix := uint32(i)
		if bd.Inbound[ix] == 0 {
			continue
		}
		scores = append(scores, c.sat[ix])
		labels = append(labels, w.Market.ReplyRate(ix)*min(1, w.Market.Capacity(ix)/bd.Inbound[ix]*float64(w.Config.Warmup)) < 0.3)
	}
	aucS := rank.AUC(scores, labels)
	t.Logf("simulated: urgency AUC vs latent urgent (day before round 0) %.3f over %d users; saturation AUC vs latent low answer chance %.3f over %d", aucU, nU, aucS, len(scores))
	assert.Greater(t, aucU, 0.55)
	assert.Greater(t, aucS, 0.6)
}
