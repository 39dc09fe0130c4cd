package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway"
)

// Anonymous reads cannot drain the exposure budget: hundreds of GETs and
// HEADs without the token, for one seeker, leave every requester's list
// exactly as it was (they are dry runs), an anonymous dry_run=false is 401,
// and a HEAD with the token counts nothing either; one GET with the token
// (the host's backend showing the list to its user) is counted, and the
// candidates it showed score lower for everyone after it.
func TestAnonymousReadsDoNotSpendExposure(t *testing.T) {
	now := time.Now().UTC().Truncate(time.Second)
	clock := func() time.Time { return now } // scores do not drift between the lists compared
	_, c := startServer(t, Config{Engine: twoway.Config{Clock: clock}})
	const jobs = 12
	c.upsert(tinyMarket(now, jobs)...)
	status, _ := c.record(history(now, jobs)...)
	require.Equal(t, http.StatusOK, status)
	c.refit()

	seekers := []string{"s-li", "s-chen", "s-smith"}
	lists := func() map[string]recommendationsJSON {
		t.Helper()
		out := map[string]recommendationsJSON{}
		for _, id := range seekers {
			status, resp := c.recommend(id, "?n=50&dry_run=true")
			require.Equal(t, http.StatusOK, status)
			assert.False(t, resp.Counted, "a dry run is not counted")
			out[id] = resp
		}
		return out
	}
	baseline := lists()
	for _, id := range seekers {
		require.NotEmpty(t, baseline[id].Results, id)
	}

	anon := newClient(t, c.base)
	anon.token = ""
	for i := range 300 {
		status, resp := anon.recommend("s-li", "?n=10")
		require.Equal(t, http.StatusOK, status)
		require.False(t, resp.Counted, "read %d without the token was counted", i)
	}
	for range 50 {
		status, body := anon.raw("HEAD", "/v1/recommendations/s-li?n=10&dry_run=false", "", "", nil)
		require.Equal(t, http.StatusOK, status, "%s", body)
		status, _ = c.raw("HEAD", "/v1/recommendations/s-li?n=10", testToken, "", nil)
		require.Equal(t, http.StatusOK, status)
	}
	status, body := anon.raw("GET", "/v1/recommendations/s-li?dry_run=false", "", "", nil)
	assert.Equal(t, http.StatusUnauthorized, status, "%s", body)
	assert.Contains(t, string(body), "dry_run=false")
	status, _ = anon.raw("GET", "/v1/recommendations/s-li", "wrong-token-0123456789", "", nil)
	assert.Equal(t, http.StatusUnauthorized, status, "a wrong token is refused, not read as anonymous")

	now2 := lists()
	for _, id := range seekers {
		assert.Equal(t, scored(baseline[id]), scored(now2[id]), "reads without the token changed %s's list", id)
	}

	// The backend's read counts: the ledger (Engine.Stats, exported as
	// twoway_ledger_*) holds the candidates it showed, which it did not
	// before.
	ledger := func() (participants, load float64) {
		m := c.scrape()
		return metricValue(m, "twoway_ledger_participants"), metricValue(m, "twoway_ledger_load", "side", "recruiter")
	}
	n0, l0 := ledger()
	status, shown := c.recommend("s-li", "?n=10")
	require.Equal(t, http.StatusOK, status)
	require.True(t, shown.Counted)
	require.NotEmpty(t, shown.Results)
	n1, l1 := ledger()
	assert.Greater(t, l1, l0, "one counted read adds the shown candidates' expected contacts to the ledger")
	assert.GreaterOrEqual(t, n1, n0)
	t.Logf("ledger: %.0f participants, load %.3f before the counted read; %.0f, %.3f after", n0, l0, n1, l1)
}

// scored lists a response's results as "id score".
func scored(r recommendationsJSON) []string {
	out := make([]string, len(r.Results))
	for i, x := range r.Results {
		out[i] = fmt.Sprintf("%s %.17g", x.ID, *x.Score)
	}
	return out
}
