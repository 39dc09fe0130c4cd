package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/market"
)

// GET /metrics is the Prometheus text format and holds the Engine's series
// (through the server's twoway.Observer and Engine.Stats) and the server's:
// request latency per stage, recall sizes per source, candidates removed
// per filter, events recorded and rejected, Fit stage durations, ledger
// size and load, profiles per side, HTTP requests.
func TestMetrics(t *testing.T) {
	now := time.Now()
	_, c := startServer(t, Config{})
	c.upsert(tinyMarket(now, 10)...)
	evs := history(now, 10)
	status, _ := c.record(evs...)
	require.Equal(t, http.StatusOK, status)
	// A refused batch (an unknown actor) counts as rejected.
	status, _ = c.record(market.Event{Actor: "ghost", Target: "job-00", Action: market.View, Time: now.Add(-time.Minute)})
	require.Equal(t, http.StatusUnprocessableEntity, status)
	job := c.refit()
	require.NotEmpty(t, job.Stages)
	// Two counted reads (the ledger fills) and one dry run, for both sides.
	for _, q := range []string{"?n=5", "?n=5", "?n=5&dry_run=true"} {
		status, _ := c.recommend("s-li", q)
		require.Equal(t, http.StatusOK, status)
	}
	status, _ = c.recommend("job-00", "?n=3")
	require.Equal(t, http.StatusOK, status)

	status, body := c.raw("GET", "/metrics", "", "", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), "# TYPE twoway_request_duration_seconds histogram")
	m := c.scrape()

	// Requests: latency per stage, recall sizes per source, filters.
	for _, stage := range []string{"recall", "score", "rank", "total"} {
		assert.Equal(t, 3.0, metricValue(m, "twoway_request_duration_seconds", "side", "seeker", "stage", stage), "stage %s", stage)
	}
	assert.Equal(t, 1.0, metricValue(m, "twoway_request_duration_seconds", "side", "recruiter", "stage", "total"))
	for _, src := range []string{"index", "fresh", "collaborative"} {
		assert.Equal(t, 3.0, metricValue(m, "twoway_request_recalled_candidates", "side", "seeker", "source", src), "source %s", src)
	}
	assert.Equal(t, 2.0, metricValue(m, "twoway_requests_total", "side", "seeker", "fitted", "true", "dry_run", "false"))
	assert.Equal(t, 1.0, metricValue(m, "twoway_requests_total", "side", "seeker", "dry_run", "true"))
	// s-li chatted with its own kind of jobs in the history: those are
	// filtered as already contacted.
	assert.Positive(t, metricValue(m, "twoway_request_filtered_total", "side", "seeker", "filter", "seen"))
	assert.Equal(t, 4.0, metricValue(m, "twoway_request_results"))

	// Events.
	assert.Equal(t, float64(len(evs)), metricValue(m, "twoway_events_total", "outcome", "recorded"))
	assert.Equal(t, 1.0, metricValue(m, "twoway_events_total", "outcome", "rejected"))
	assert.Equal(t, 1.0, metricValue(m, "twoway_event_batches_total", "outcome", "ok"))
	assert.Equal(t, 1.0, metricValue(m, "twoway_event_batches_total", "outcome", "rejected"))

	// The Fit: every stage the job reported, once.
	for _, st := range job.Stages {
		assert.Equal(t, 1.0, metricValue(m, "twoway_fit_stage_duration_seconds", "stage", st.Stage), "stage %s", st.Stage)
	}
	assert.Equal(t, 1.0, metricValue(m, "twoway_fits_total"))
	assert.Equal(t, 1.0, metricValue(m, "twoway_fitted"))
	assert.Positive(t, metricValue(m, "twoway_last_fit_timestamp_seconds"))

	// Gauges from Engine.Stats.
	assert.Equal(t, 3.0, metricValue(m, "twoway_profiles", "side", "seeker"))
	assert.Equal(t, 10.0, metricValue(m, "twoway_profiles", "side", "recruiter"))
	assert.Equal(t, float64(len(evs)), metricValue(m, "twoway_events_logged"))
	assert.Positive(t, metricValue(m, "twoway_ledger_participants"), "the counted reads filled the ledger")
	assert.Positive(t, metricValue(m, "twoway_ledger_load", "side", "recruiter"))

	// The server's own.
	assert.Equal(t, 4.0, metricValue(m, "twoway_http_requests_total", "route", "GET /v1/recommendations/{id}", "code", "200"))
	assert.Equal(t, 4.0, metricValue(m, "twoway_http_request_duration_seconds", "route", "GET /v1/recommendations/{id}"))
	assert.Equal(t, 1.0, metricValue(m, "twoway_http_requests_total", "route", "POST /v1/events", "code", "422"))
	assert.Equal(t, 1.0, metricValue(m, "twoway_server_refits_total", "outcome", "done"))
	assert.Equal(t, 1.0, metricValue(m, "twoway_server_realtime_up"))
	assert.NotNil(t, m["go_goroutines"], "the Go runtime's series")
	for name := range m {
		assert.True(t, strings.HasPrefix(name, "twoway_") || strings.HasPrefix(name, "go_") || strings.HasPrefix(name, "process_") ||
			strings.HasPrefix(name, "promhttp_"), "unexpected series %s", name)
	}
}
