package insight

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
)

// TestSimulatedCityViews checks supply and demand and k-anonymity on a
// simulated market (internal/synth, which has seekers and events), against
// counts taken directly from the profiles.
func TestSimulatedCityViews(t *testing.T) {
	cfg := synth.Small()
	cfg.Seekers, cfg.Jobs = 2000, 400
	sm, err := synth.Generate(cfg)
	require.NoError(t, err)
	m, err := New(Config{}, sm.Profiles, sm.Events)
	require.NoError(t, err)
	require.NotEmpty(t, m.Cities())
	city := m.Cities()[0].City
	v, err := m.City(city)
	require.NoError(t, err)
	assert.True(t, v.SeekersKnown)
	require.NotEmpty(t, v.Shortest)

	// Brute force: seekers per title key in the city.
	want := map[string]int{}
	for i := range sm.Profiles {
		p := &sm.Profiles[i]
		if p.Side == market.Seeker && p.City == city && !p.Inactive {
			want[TitleKey(p.Title)]++
		}
	}
	shown, suppressed := 0, 0
	for _, ts := range v.Titles {
		n := want[TitleKey(ts.Title)]
		if n < 5 {
			assert.Equal(t, Headcount{Suppressed: true}, ts.Seekers, ts.Title)
			assert.Zero(t, ts.ExpectedPay, ts.Title)
			assert.InDelta(t, float64(ts.Postings)/5, ts.PerSeeker, 1e-12)
			suppressed++
		} else {
			assert.Equal(t, Headcount{N: n}, ts.Seekers, ts.Title)
			assert.InDelta(t, float64(ts.Postings)/float64(n), ts.PerSeeker, 1e-12)
			shown++
		}
	}
	t.Logf("simulated %s: %d postings, seekers %+v, %d titles shown, %d suppressed; shortest supply: %s %.2f postings/seeker",
		city, v.Postings, v.Seekers, shown, suppressed, v.Shortest[0].Title, v.Shortest[0].PerSeeker)
	for i := 1; i < len(v.Shortest); i++ {
		assert.GreaterOrEqual(t, v.Shortest[i-1].PerSeeker, v.Shortest[i].PerSeeker)
	}

	// Destinations from simulated applications: every shown company holds
	// at least k distinct people. Most (title, company) groups of this
	// market are smaller than k, so look for a title with a shown one.
	var r Reemployment
	var title string
	for _, ts := range v.Titles {
		r, err = m.Reemployment(Background{Titles: []string{ts.Title}})
		require.NoError(t, err)
		if title = ts.Title; len(r.WentTo.Companies) > 0 {
			break
		}
	}
	require.NotEmpty(t, r.WentTo.Companies)
	require.NotEmpty(t, r.WentTo.Industries)
	for _, d := range append(r.WentTo.Companies, r.WentTo.Industries...) {
		assert.GreaterOrEqual(t, d.People.N, 5)
		assert.False(t, d.People.Suppressed)
	}
	t.Logf("simulated: where people wanting %s went: %d companies and %d industries shown (top %+v), %d (title, company) pairs not shown",
		title, len(r.WentTo.Companies), len(r.WentTo.Industries), r.WentTo.Industries[0], r.WentTo.Suppressed)
}
