package main

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
)

// The recommendation query carries the library's structured filters,
// exclusions and cursor: a filtered list holds only what passes, pages do
// not repeat, a damaged cursor is a 400.
func TestFiltersAndPages(t *testing.T) {
	now := time.Now()
	_, c := startServer(t, Config{})
	ps := tinyMarket(now, 12)
	for i := range ps {
		if ps[i].Side == market.Recruiter {
			ps[i].Workplace = []market.Workplace{market.WorkplaceOnsite, market.WorkplaceRemote, market.WorkplaceHybrid}[i%3]
			if i%2 == 0 {
				ps[i].Salary = market.Salary{Min: 35000, Max: 45000}
			}
		}
	}
	c.upsert(ps...)
	byID := map[string]market.Profile{}
	for _, p := range ps {
		byID[p.ID] = p
	}
	status, all := c.recommend("s-li", "?n=50&dry_run=true")
	require.Equal(t, 200, status)
	require.Len(t, all.Results, 12)

	status, remote := c.recommend("s-li", "?n=50&dry_run=true&workplace=remote&workplace=hybrid&salary_min=32000")
	require.Equal(t, 200, status)
	require.NotEmpty(t, remote.Results)
	for _, r := range remote.Results {
		p := byID[r.ID]
		assert.NotEqual(t, market.WorkplaceOnsite, p.Workplace, r.ID)
		assert.GreaterOrEqual(t, p.Salary.Max, 32000.0, r.ID)
	}
	assert.Positive(t, remote.Filtered.Facets["workplace"])
	assert.Positive(t, remote.Filtered.Facets["salary"])

	// Pages of 5 with the token (counted): every job once.
	var seen []string
	q := url.Values{"n": {"5"}}
	for page := 0; page < 10; page++ {
		status, resp := c.recommend("s-li", "?"+q.Encode())
		require.Equal(t, 200, status)
		assert.True(t, resp.Counted)
		for _, r := range resp.Results {
			seen = append(seen, r.ID)
		}
		if resp.Next == "" {
			break
		}
		q.Set("cursor", resp.Next)
	}
	assert.Len(t, seen, 12)
	slices.Sort(seen)
	assert.Len(t, slices.Compact(slices.Clone(seen)), 12, "no job twice")

	status, ex := c.recommend("s-li", "?n=50&dry_run=true&exclude=job-00&exclude=job-01&exclude=nobody")
	require.Equal(t, 200, status)
	assert.Len(t, ex.Results, 10)
	assert.Equal(t, 2, ex.Filtered.Request)

	for _, bad := range []string{"?cursor=AAAA", "?cursor=", "?salary_min=NaN", "?salary_min=-1", "?salary_min=9&salary_max=3",
		"?workplace=moon", "?workplace=", "?min_education=wizard", "?industry=", "?exclude=", "?unstated=maybe", "?cursor=a&cursor=b"} {
		status, _ := c.recommend("s-li", bad)
		assert.Equal(t, 400, status, bad)
	}
	// Another requester's cursor.
	_, first := c.recommend("s-li", "?n=2&dry_run=true")
	require.NotEmpty(t, first.Next)
	status, _ = c.recommend("s-chen", "?cursor="+url.QueryEscape(first.Next))
	assert.Equal(t, 400, status)
}
