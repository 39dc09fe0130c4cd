package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/redisstore/redistest"
)

// Every kind of bad input is a clear 4xx, and a refused request changes
// nothing.
func TestValidation(t *testing.T) {
	now := time.Now()
	_, c := startServer(t, Config{MaxBodyBytes: 4096})
	c.upsert(tinyMarket(now, 4)...)
	ev := func(actor, target string, a market.Action) market.Event {
		return market.Event{Actor: actor, Target: target, Action: a, Time: now.Add(-time.Minute)}
	}
	goodEvents, err := json.Marshal(eventsRequest{Events: []market.Event{ev("s-li", "job-00", market.View)}})
	require.NoError(t, err)
	newProfile, err := json.Marshal(profilesRequest{Profiles: []market.Profile{{ID: "s-new", Side: market.Seeker, Registered: now}}})
	require.NoError(t, err)

	for _, tc := range []struct {
		name        string
		method      string
		path        string
		token       string
		contentType string
		body        string
		status      int
		contains    string
	}{
		{"no token", "PUT", "/v1/profiles", "", "application/json", string(newProfile), 401, "missing bearer token"},
		{"wrong token", "PUT", "/v1/profiles", "wrong-token-0123456789", "application/json", string(newProfile), 401, "wrong bearer token"},
		{"token prefix", "PUT", "/v1/profiles", testToken[:10], "", string(newProfile), 401, "wrong"},
		{"no token on events", "POST", "/v1/events", "", "", string(goodEvents), 401, "bearer"},
		{"no token on refit", "POST", "/v1/refit", "", "", "", 401, "bearer"},
		{"no token on remove", "DELETE", "/v1/profiles/s-li", "", "", "", 401, "bearer"},
		{"bad JSON", "POST", "/v1/events", testToken, "", `{"events": [`, 400, "bad JSON"},
		{"empty body", "POST", "/v1/events", testToken, "", ``, 400, "empty body"},
		{"unknown field", "POST", "/v1/events", testToken, "", `{"evnts": []}`, 400, "unknown field"},
		{"trailing data", "POST", "/v1/events", testToken, "", string(goodEvents) + `{}`, 400, "data after"},
		{"wrong type", "PUT", "/v1/profiles", testToken, "", `{"profiles": {"id": 1}}`, 400, "profiles"},
		{"bad side", "PUT", "/v1/profiles", testToken, "", `{"profiles": [{"id": "x", "side": "alien"}]}`, 400, "alien"},
		{"bad action", "POST", "/v1/events", testToken, "", `{"events": [{"actor": "s-li", "target": "job-00", "action": "wink", "time": "2026-01-01T00:00:00Z"}]}`, 400, "wink"},
		{"invalid UTF-8", "PUT", "/v1/profiles", testToken, "", "{\"profiles\": [{\"id\": \"s-\xff\", \"side\": \"seeker\"}]}", 400, "not valid UTF-8"},
		{"not JSON", "POST", "/v1/events", testToken, "text/plain", string(goodEvents), 415, "application/json"},
		{"too large", "POST", "/v1/events", testToken, "", `{"events": [` + strings.Repeat(" ", 5000) + `]}`, 413, "larger than 4096"},
		{"no events", "POST", "/v1/events", testToken, "", `{"events": []}`, 400, "no events"},
		{"unknown actor", "POST", "/v1/events", testToken, "", `{"events": [{"actor": "s-li", "target": "job-00", "action": "view", "time": "2026-01-01T00:00:00Z"}, {"actor": "ghost", "target": "job-00", "action": "view", "time": "2026-01-01T00:00:00Z"}]}`, 422, "record 1"},
		{"same side", "POST", "/v1/events", testToken, "", `{"events": [{"actor": "s-li", "target": "s-chen", "action": "view", "time": "2026-01-01T00:00:00Z"}]}`, 422, "record 0"},
		{"invalid profile", "PUT", "/v1/profiles", testToken, "", `{"profiles": [{"id": "s-x", "side": "seeker", "salary": {"min": 3000, "max": 1000}}]}`, 422, "Salary"},
		{"side change", "PUT", "/v1/profiles", testToken, "", `{"profiles": [{"id": "s-li", "side": "recruiter", "registered": "2026-01-01T00:00:00Z"}]}`, 422, "side"},
		{"remove unknown", "DELETE", "/v1/profiles/ghost", testToken, "", "", 404, "ghost"},
		{"unknown requester", "GET", "/v1/recommendations/ghost", "", "", "", 404, "unknown requester"},
		{"wrong side", "GET", "/v1/recommendations/s-li?side=recruiter", "", "", "", 409, "other side"},
		{"bad n", "GET", "/v1/recommendations/s-li?n=0", "", "", "", 400, "n="},
		{"huge n", "GET", "/v1/recommendations/s-li?n=100000", "", "", "", 400, "n="},
		{"bad bool", "GET", "/v1/recommendations/s-li?explain=maybe", "", "", "", 400, "explain"},
		{"unknown parameter", "GET", "/v1/recommendations/s-li?limit=3", "", "", "", 400, "unknown parameter"},
		{"repeated parameter", "GET", "/v1/recommendations/s-li?n=3&n=500", "", "", "", 400, "given 2 times"},
		{"bad query escape", "GET", "/v1/recommendations/s-li?n=%zz", "", "", "", 400, "bad query"},
		{"anonymous dry_run=false", "GET", "/v1/recommendations/s-li?dry_run=false", "", "", "", 401, "dry_run=false"},
		{"wrong token on a read", "GET", "/v1/recommendations/s-li", "wrong-token-0123456789", "", "", 401, "wrong bearer token"},
		{"unknown aggregator", "GET", "/v1/recommendations/s-li?aggregator=median", "", "", "", 400, "median"},
		{"invalid UTF-8 in path", "GET", "/v1/recommendations/s-%FF", "", "", "", 400, "UTF-8"},
		{"invalid UTF-8 in query", "GET", "/v1/recommendations/s-li?city=%FF", "", "", "", 400, "UTF-8"},
		{"explain before fit", "GET", "/v1/explanations/s-li/job-00", "", "", "", 409, "refit"},
		{"explain same side", "GET", "/v1/explanations/s-li/s-chen", "", "", "", 409, "both"},
		{"no route", "GET", "/v1/nothing", "", "", "", 404, ""},
		{"wrong method", "GET", "/v1/refit", "", "", "", 405, ""},
		{"snapshot without path", "POST", "/v1/snapshot", testToken, "", "", 409, "no snapshot path"},
		// Endpoints that take no query parameters refuse any, before they
		// do anything (the events and the profile are not stored).
		{"query on health", "GET", "/healthz?verbose=1", "", "", "", 400, `unknown parameter (GET /healthz takes none)`},
		{"query on explain", "GET", "/v1/explanations/s-li/job-00?lang=en", "", "", "", 400, "takes none"},
		{"query on upsert", "PUT", "/v1/profiles?dry_run=true", testToken, "application/json", string(newProfile), 400, "takes none"},
		{"query on remove", "DELETE", "/v1/profiles/s-li?force=1", testToken, "", "", 400, "takes none"},
		{"query on events", "POST", "/v1/events?async=1", testToken, "", string(goodEvents), 400, "takes none"},
		{"query on refit status", "GET", "/v1/refit/job-1?wait=1s", "", "", "", 400, "takes none"},
		{"query on snapshot", "POST", "/v1/snapshot?path=/tmp/x", testToken, "", "", 400, "takes none"},
		{"query on reload", "POST", "/v1/reload?file=x", testToken, "", "", 400, "takes none"},
		{"bad query on events", "POST", "/v1/events?%zz", testToken, "", string(goodEvents), 400, "bad query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := c.raw(tc.method, tc.path, tc.token, tc.contentType, []byte(tc.body))
			assert.Equal(t, tc.status, status, "body: %s", body)
			assert.Contains(t, string(body), tc.contains)
			var e apiError
			require.NoError(t, json.Unmarshal(body, &e), "a JSON error body: %s", body)
			assert.NotEmpty(t, e.Message)
		})
	}

	// Nothing of the refused requests was stored: s-new and s-x do not
	// exist, s-li is still a seeker, and job-00 is still recommended to
	// s-li (no View was recorded).
	status, _ := c.recommend("s-new", "")
	assert.Equal(t, http.StatusNotFound, status)
	status, _ = c.recommend("s-x", "")
	assert.Equal(t, http.StatusNotFound, status)
	status, resp := c.recommend("s-li", "?side=seeker&dry_run=true&n=10")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, ids(resp), "job-00")

	// The 422 names the bad record.
	status, body := c.raw("POST", "/v1/events", testToken, "", []byte(`{"events": [{"actor": "s-li", "target": "job-00", "action": "view", "time": "2026-01-01T00:00:00Z"}, {"actor": "ghost", "target": "job-00", "action": "view", "time": "2026-01-01T00:00:00Z"}]}`))
	require.Equal(t, http.StatusUnprocessableEntity, status)
	var e apiError
	require.NoError(t, json.Unmarshal(body, &e))
	require.NotNil(t, e.Index)
	assert.Equal(t, 1, *e.Index)
	assert.Equal(t, "Actor", e.Field)

	// The metrics counted the refusals as 4xx and nothing as 5xx.
	var n4, n5 float64
	for _, m := range c.scrape()["twoway_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "code" && strings.HasPrefix(l.GetValue(), "4") {
				n4 += m.GetCounter().GetValue()
			}
			if l.GetName() == "code" && strings.HasPrefix(l.GetValue(), "5") {
				n5 += m.GetCounter().GetValue()
			}
		}
	}
	assert.Zero(t, n5)
	assert.GreaterOrEqual(t, n4, 30.0)
}

func ids(r recommendationsJSON) []string {
	out := make([]string, len(r.Results))
	for i, x := range r.Results {
		out[i] = x.ID
	}
	return out
}

// The whole flow over HTTP with Redis: profiles, events, refit, both
// sides' recommendations with explanations, removal, health and metrics.
func TestEndToEndRedis(t *testing.T) {
	rs := redistest.Start(t)
	dir := t.TempDir()
	snap := filepath.Join(dir, "engine.snap")
	now := time.Now()
	_, c := startServer(t, Config{RedisAddr: rs.Addr, Namespace: "e2e", SnapshotPath: snap, IndexPath: filepath.Join(dir, "index")})

	var h healthResponse
	require.Equal(t, http.StatusOK, c.do("GET", "/healthz", nil, &h))
	assert.Equal(t, "ok", h.Status)
	assert.Contains(t, h.Realtime, "redis")

	c.upsert(tinyMarket(now, 10)...)
	evs := history(now, 10)
	status, rec := c.record(evs...)
	require.Equal(t, http.StatusOK, status, "%+v", rec)
	assert.Equal(t, len(evs), rec.Recorded)
	assert.DirExists(t, filepath.Join(dir, "index"), "the inverted index is on disk")

	fit := c.refit()
	assert.Equal(t, snap, fit.Snapshot)
	assert.FileExists(t, snap)

	// A seeker: jobs, with both directions' reasons.
	status, resp := c.recommend("s-chen", "?side=seeker&n=5&explain=true")
	require.Equal(t, http.StatusOK, status)
	assert.True(t, resp.Fitted)
	require.NotEmpty(t, resp.Results)
	for _, r := range resp.Results {
		assert.True(t, strings.HasPrefix(r.ID, "job-"), r.ID)
		require.NotNil(t, r.Explanation, r.ID)
		assert.Equal(t, "s-chen", r.Explanation.Forward.From)
		assert.Equal(t, r.ID, r.Explanation.Backward.From)
		require.NotNil(t, r.TwoWay)
		assert.InDelta(t, *r.TwoWay, *r.Explanation.TwoWay, 1e-9)
	}
	// A job: seekers.
	status, resp = c.recommend("job-01", "?side=recruiter&n=3")
	require.Equal(t, http.StatusOK, status)
	require.NotEmpty(t, resp.Results)
	for _, r := range resp.Results {
		assert.True(t, strings.HasPrefix(r.ID, "s-"), r.ID)
	}
	// One explanation on its own.
	var x explanationJSON
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/explanations/s-li/job-05", nil, &x))
	assert.Equal(t, "s-li", x.Forward.From)
	assert.Equal(t, "job-05", x.Forward.To)
	require.NotNil(t, x.Forward.Match)

	// A removed job is no longer recommended and cannot ask.
	require.Equal(t, http.StatusOK, c.do("DELETE", "/v1/profiles/job-06", nil, nil))
	status, resp = c.recommend("s-chen", "?n=50&dry_run=1")
	require.Equal(t, http.StatusOK, status)
	assert.NotContains(t, ids(resp), "job-06")
	status, _ = c.recommend("job-06", "")
	assert.Equal(t, http.StatusConflict, status)

	m := c.scrape()
	assert.Equal(t, float64(len(evs)), metricValue(m, "twoway_events_total", "outcome", "recorded"))
	assert.Equal(t, 1.0, metricValue(m, "twoway_server_refits_total", "outcome", "done"))
	assert.Equal(t, 1.0, metricValue(m, "twoway_server_realtime_up"))
	assert.Equal(t, 3.0, metricValue(m, "twoway_http_requests_total", "route", "GET /v1/recommendations/{id}", "code", "200"))
}

// Two servers on one Redis: an event recorded through A changes the
// real-time features B reads. B starts from A's snapshot, as a second
// process of one deployment would: the same participants under the same
// indices and the same fitted models, and the counters in Redis (not
// replayed from the snapshot's log).
func TestTwoServersShareRedis(t *testing.T) {
	rs := redistest.Start(t)
	now := time.Now()
	snap := filepath.Join(t.TempDir(), "engine.snap")
	clock := func() time.Time { return now } // urgencies compared across servers do not drift with time
	_, a := startServer(t, Config{RedisAddr: rs.Addr, Namespace: "shared", SnapshotPath: snap, Engine: twoway.Config{Clock: clock}})
	// A simulated fortnight (a history long enough for the urgency model to
	// have urgent and calm participants to learn from).
	m, err := synth.Generate(synth.Config{Seed: 1, Seekers: 60, Jobs: 30, Events: 4000, Days: 14,
		Start: now.Truncate(time.Hour).AddDate(0, 0, -14)})
	require.NoError(t, err)
	a.upsert(m.Profiles...)
	status, _ := a.record(m.Events...)
	require.Equal(t, http.StatusOK, status)
	a.refit()
	seeker := m.Profiles[0].ID
	lo, _ := m.Jobs()

	bs, b := startServer(t, Config{RedisAddr: rs.Addr, Namespace: "shared", SnapshotPath: snap, Engine: twoway.Config{Clock: clock}})
	_, lone := startServer(t, Config{SnapshotPath: snap, Engine: twoway.Config{Clock: clock}}) // the same snapshot, counters in its own memory
	urgencyOf := func(c *client, id string) float64 {
		t.Helper()
		status, resp := c.recommend(id, "?n=3&dry_run=true")
		require.Equal(t, http.StatusOK, status)
		require.True(t, resp.Fitted)
		require.NotNil(t, resp.Urgency, "fitted urgency model")
		return *resp.Urgency
	}
	before := urgencyOf(b, seeker)
	assert.InDelta(t, urgencyOf(a, seeker), before, 1e-12, "A and B agree")
	assert.InDelta(t, urgencyOf(lone, seeker), before, 1e-12, "the in-memory server replayed the same counters")

	// Through A only: a burst of the seeker's activity right now.
	var burst []market.Event
	for i := range 10 {
		job := m.Profiles[int(lo)+i].ID
		burst = append(burst,
			market.Event{Actor: seeker, Target: job, Action: market.View, Time: now.Add(-time.Minute)},
			market.Event{Actor: seeker, Target: job, Action: market.Favourite, Time: now.Add(-time.Minute)})
	}
	status, _ = a.record(burst...)
	require.Equal(t, http.StatusOK, status)

	after := urgencyOf(b, seeker)
	t.Logf("%s's urgency read by B: %.6f before A's events, %.6f after", seeker, before, after)
	// The change may be small, but it is far above rounding (the in-memory
	// server, below, reproduces "before" to the last bit).
	assert.Greater(t, math.Abs(after-before), 1e-12, "B reads A's events from Redis")
	// A moved the same way; not to the same value, because A also keeps
	// in its own memory the one-way matches of what the seeker just
	// attended to (urgency's recent-attention inputs), which Redis does
	// not share.
	inA := urgencyOf(a, seeker)
	assert.Equal(t, after > before, inA > before, "A (%.6f) and B (%.6f) moved the same way", inA, after)
	assert.InDelta(t, before, urgencyOf(lone, seeker), 1e-12, "a server with its own in-memory store does not see them")

	// The seen pairs are shared too: a chat recorded through A removes the
	// job from the seeker's lists on B; an event delivered to both servers
	// is counted once.
	status, resp := b.recommend(seeker, "?n=5&dry_run=true")
	require.Equal(t, http.StatusOK, status)
	require.NotEmpty(t, resp.Results)
	top := resp.Results[0].ID
	chat := market.Event{ID: "chat-1", Actor: seeker, Target: top, Action: market.Chat, Time: now.Add(-time.Minute)}
	status, _ = a.record(chat)
	require.Equal(t, http.StatusOK, status)
	status, _ = b.record(chat)
	require.Equal(t, http.StatusOK, status)
	status, resp = b.recommend(seeker, "?n=50&dry_run=true")
	require.Equal(t, http.StatusOK, status)
	for _, r := range resp.Results {
		assert.NotEqual(t, top, r.ID, "the chat through A hides %s from %s on B", top, seeker)
	}
	assert.Equal(t, 1, bs.engine.Stats().Duplicates, "B acknowledged A's event as a duplicate")
}

// Redis goes away in the middle: health says degraded (503) with a
// message, events are accepted but flagged (202), recommendations are still
// served and flagged; when Redis is back everything recovers by itself.
func TestRedisRestart(t *testing.T) {
	rs := redistest.Start(t)
	now := time.Now()
	_, c := startServer(t, Config{RedisAddr: rs.Addr, Namespace: "restart", RedisCooldown: 100 * time.Millisecond, RedisTimeout: 200 * time.Millisecond})
	c.upsert(tinyMarket(now, 5)...)
	status, _ := c.record(market.Event{Actor: "job-01", Target: "s-li", Action: market.View, Time: now.Add(-time.Minute)})
	require.Equal(t, http.StatusOK, status)

	rs.Stop()
	var h healthResponse
	require.Equal(t, http.StatusServiceUnavailable, c.do("GET", "/healthz", nil, &h))
	assert.Equal(t, "degraded", h.Status)
	assert.Contains(t, h.Realtime, "unavailable")
	assert.Contains(t, h.Realtime, rs.Addr)

	status, rec := c.record(market.Event{Actor: "job-02", Target: "s-li", Action: market.View, Time: now.Add(-time.Minute)})
	assert.Equal(t, http.StatusAccepted, status)
	assert.Equal(t, 1, rec.Recorded)
	assert.Contains(t, rec.Degraded, "real-time store failed")

	start := time.Now()
	status, resp := c.recommend("s-chen", "?n=5&dry_run=true")
	require.Equal(t, http.StatusOK, status, "served without real-time features")
	assert.NotEmpty(t, resp.Results)
	assert.Contains(t, resp.Degraded, "real-time features unavailable")
	assert.Less(t, time.Since(start), 3*time.Second, "the outage costs one timeout per cooldown, not one per candidate")

	assert.Equal(t, 1.0, metricValue(c.scrape(), "twoway_server_realtime_failures_total"))

	rs.Restart()
	require.Eventually(t, func() bool {
		return c.do("GET", "/healthz", nil, &h) == http.StatusOK
	}, 10*time.Second, 50*time.Millisecond, "health recovers when Redis is back")
	assert.Equal(t, "ok", h.Status)
	time.Sleep(150 * time.Millisecond) // past any cooldown
	status, rec = c.record(market.Event{Actor: "job-03", Target: "s-li", Action: market.View, Time: now.Add(-time.Minute)})
	assert.Equal(t, http.StatusOK, status, "%+v", rec)
	assert.Empty(t, rec.Degraded)
	status, resp = c.recommend("s-chen", "?n=5&dry_run=true")
	require.Equal(t, http.StatusOK, status)
	assert.Empty(t, resp.Degraded)
	for _, r := range resp.Results {
		if r.ID == "job-03" {
			require.NotNil(t, r.Activity)
			assert.InDelta(t, 1, *r.Activity, 0.01, "counted in the restarted Redis")
		}
	}
}

// A graceful shutdown in the middle of a stream of events loses none of
// the acknowledged ones: a new server loaded from the snapshot excludes
// every job the seeker was acknowledged to have contacted.
func TestGracefulShutdownKeepsEvents(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "engine.snap")
	env := map[string]string{"TWOWAY_TOKEN": testToken, "TWOWAY_SNAPSHOT": snap}
	getenv := func(k string) string { return env[k] }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan [2]string, 1)
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-admin-addr", "127.0.0.1:0"}, getenv, &syncWriter{w: &stderr},
			func(api, admin string) { addrc <- [2]string{api, admin} })
	}()
	addrs := <-addrc
	c := newClient(t, "http://"+addrs[0])
	// The admin listener serves pprof and the metrics; the API listener
	// does not serve pprof.
	admin := newClient(t, "http://"+addrs[1])
	status, body := admin.raw("GET", "/debug/pprof/", "", "", nil)
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), "goroutine")
	assert.NotEmpty(t, admin.scrape()["twoway_profiles"])
	status, _ = c.raw("GET", "/debug/pprof/", "", "", nil)
	assert.Equal(t, http.StatusNotFound, status)
	now := time.Now()
	const jobs = 80
	c.upsert(tinyMarket(now, jobs)...)

	// Two clients post chats with jobs 0…79 one at a time (a contacted job
	// is not recommended again); the server is asked to stop once 20 are
	// acknowledged.
	var mu sync.Mutex
	var acked, attempted []string
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			for i := g; i < jobs; i += 2 {
				job := fmt.Sprintf("job-%02d", i)
				body, _ := json.Marshal(eventsRequest{Events: []market.Event{{Actor: "s-li", Target: job, Action: market.Chat, Time: now.Add(-time.Minute)}}})
				req, _ := http.NewRequest("POST", c.base+"/v1/events", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+testToken)
				mu.Lock()
				attempted = append(attempted, job)
				mu.Unlock()
				resp, err := c.http.Do(req)
				if err != nil {
					return // the server has stopped listening
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					return
				}
				mu.Lock()
				acked = append(acked, job)
				if len(acked) == 20 {
					cancel()
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.NoError(t, <-done, "log:\n%s", stderr.String())
	require.GreaterOrEqual(t, len(acked), 20)
	t.Logf("acknowledged %d of %d attempted chats before the shutdown", len(acked), len(attempted))

	srv, err := Open(context.Background(), Config{Token: testToken, SnapshotPath: snap})
	require.NoError(t, err)
	defer srv.Close()
	resp, err := srv.Engine().Recommend(context.Background(), twowayRequest("s-li", jobs))
	require.NoError(t, err)
	shown := map[string]bool{}
	for _, r := range resp.Results {
		shown[r.ID] = true
	}
	require.NotEmpty(t, resp.Results)
	for _, job := range acked {
		assert.False(t, shown[job], "%s was contacted (acknowledged) but the restarted server shows it again", job)
	}
	for id := range shown {
		assert.False(t, slices.Contains(attempted, id) && slices.Contains(acked, id), id)
	}
}

// syncWriter serialises writes from the server's logger and the test.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestParseConfig(t *testing.T) {
	env := map[string]string{
		"TWOWAY_TOKEN": "secret-token-0123456789", "REDIS_ADDR": "10.0.0.5:6379", "REDIS_PASSWORD": "pw",
		"REDIS_DB": "2", "TWOWAY_SNAPSHOT": "/tmp/a.snap",
	}
	getenv := func(k string) string { return env[k] }
	var stderr bytes.Buffer
	cfg, err := ParseConfig([]string{"-redis-addr", "10.0.0.6:6380", "-max-body", "2048", "-health-timeout", "750ms", "-generation-check", "1m"}, getenv, &stderr)
	require.NoError(t, err)
	assert.Equal(t, 750*time.Millisecond, cfg.HealthTimeout)
	assert.Equal(t, time.Minute, cfg.GenerationCheck)
	assert.Equal(t, "10.0.0.6:6380", cfg.RedisAddr, "flags override the environment")
	assert.Equal(t, "pw", cfg.RedisPassword)
	assert.Equal(t, 2, cfg.RedisDB)
	assert.Equal(t, "/tmp/a.snap", cfg.SnapshotPath)
	assert.Equal(t, int64(2048), cfg.MaxBodyBytes)
	assert.Equal(t, "secret-token-0123456789", cfg.Token)

	_, err = ParseConfig([]string{"-token", "x"}, getenv, &stderr)
	assert.Error(t, err, "secrets have no flag")
	env["REDIS_DB"] = "two"
	_, err = ParseConfig(nil, getenv, &stderr)
	assert.ErrorIs(t, err, errConfig)

	for _, tc := range []struct {
		name string
		cfg  Config
		want string
	}{
		{"no token", Config{}, "Token is empty"},
		{"short token", Config{Token: "short"}, "shorter than 16"},
		{"negative body", Config{Token: testToken, MaxBodyBytes: -1}, "MaxBodyBytes"},
		{"negative cooldown", Config{Token: testToken, RedisCooldown: -1}, "RedisCooldown"},
		{"negative health timeout", Config{Token: testToken, HealthTimeout: -1}, "HealthTimeout"},
		{"negative generation check", Config{Token: testToken, GenerationCheck: -1}, "GenerationCheck"},
		{"store and redis", Config{Token: testToken, RedisAddr: "127.0.0.1:1", Engine: twoway.Config{Realtime: activity.NewMemory(31)}}, "both set"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(context.Background(), tc.cfg)
			require.ErrorIs(t, err, errConfig)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// A damaged snapshot stops the start with a clear error naming the file
// instead of serving an empty market, and never a panic: foreign bytes, an
// empty file, a real snapshot cut short or with a flipped byte, a
// directory; through Open and through run (the command's start).
func TestCorruptSnapshot(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.snap")
	now := time.Now()
	_, c := startServer(t, Config{SnapshotPath: good})
	c.upsert(tinyMarket(now, 3)...)
	status, _ := c.record(history(now, 3)...)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, http.StatusOK, c.do("POST", "/v1/snapshot", nil, nil))
	snap, err := os.ReadFile(good)
	require.NoError(t, err)
	require.Greater(t, len(snap), 64)

	flipped := bytes.Clone(snap)
	flipped[len(flipped)/2] ^= 0x40
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"foreign", []byte("not a snapshot")},
		{"empty", nil},
		{"header only", snap[:20]},
		{"cut in the middle", snap[:len(snap)/2]},
		{"last byte missing", snap[:len(snap)-1]},
		{"flipped byte", flipped},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".snap")
			require.NoError(t, os.WriteFile(path, tc.data, 0o600))
			_, err := Open(context.Background(), Config{Token: testToken, SnapshotPath: path})
			require.Error(t, err)
			assert.Contains(t, err.Error(), path)
			assert.ErrorIs(t, err, twoway.ErrCorruptSnapshot)
		})
	}
	t.Run("directory", func(t *testing.T) {
		_, err := Open(context.Background(), Config{Token: testToken, SnapshotPath: dir})
		require.Error(t, err)
		assert.Contains(t, err.Error(), dir)
	})
	t.Run("run", func(t *testing.T) {
		path := filepath.Join(dir, "cut-for-run.snap")
		require.NoError(t, os.WriteFile(path, snap[:len(snap)/3], 0o600))
		err := runFails(t, path, "the server started listening on a corrupt snapshot")
		assert.Contains(t, err.Error(), path)
		assert.Contains(t, err.Error(), "corrupt")
	})
	// The good one still loads.
	srv, err := Open(context.Background(), Config{Token: testToken, SnapshotPath: good})
	require.NoError(t, err)
	require.NoError(t, srv.Close())
}

// runFails runs the server with the test token and snapshot path as its
// environment, failing the test if it starts listening (why says what
// that would mean), and returns the error it stopped with.
func runFails(t *testing.T, snapshot, why string) error {
	t.Helper()
	env := map[string]string{"TWOWAY_TOKEN": testToken, "TWOWAY_SNAPSHOT": snapshot}
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"-addr", "127.0.0.1:0", "-admin-addr", "off"}, func(k string) string { return env[k] }, &stderr,
		func(string, string) { t.Error(why) })
	require.Error(t, err)
	return err
}
