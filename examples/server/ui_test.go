package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/text"
)

// The demo's copy of the quick start's market is the quick start's file.
func TestQuickstartMarketCopy(t *testing.T) {
	want, err := os.ReadFile("../quickstart/market.json")
	require.NoError(t, err)
	assert.True(t, bytes.Equal(want, quickstartJSON), "demo/quickstart.json differs from ../quickstart/market.json: copy it again")
}

// quickDemo opens a server on the quick start's market (the fallback of
// the demo, which needs no data directory).
func quickDemo(t *testing.T) (*Server, *client) {
	t.Helper()
	t.Setenv("TWOWAY_DATA", t.TempDir()) // no jobs-zh there: the quick start's market
	srv, c := startServer(t, Config{Demo: &DemoConfig{Now: quickstartNow}})
	require.NotNil(t, srv.demo)
	require.False(t, srv.demo.Real)
	return srv, c
}

// The UI's files are served with a strict Content-Security-Policy, and / leads to them.
func TestUIFiles(t *testing.T) {
	_, c := startServer(t, Config{})
	status, body := c.raw("GET", "/ui/", "", "", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, string(body), `<script src="app.js" defer>`)
	for _, f := range []string{"/ui/app.js", "/ui/app.css"} {
		status, _ := c.raw("GET", f, "", "", nil)
		assert.Equal(t, http.StatusOK, status, f)
	}
	req, err := http.NewRequest("GET", c.base+"/ui/", nil)
	require.NoError(t, err)
	resp, err := c.http.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "script-src 'self'")
	assert.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))
	noRedirect := *c.http
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err = noRedirect.Get(c.base + "/")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "/ui/", resp.Header.Get("Location"))

	// Without the UI, none of it is served.
	_, off := startServer(t, Config{NoUI: true})
	status, _ = off.raw("GET", "/ui/", "", "", nil)
	assert.Equal(t, http.StatusNotFound, status)
	status, _ = off.raw("GET", "/v1/ui/session", "", "", nil)
	assert.Equal(t, http.StatusNotFound, status)
}

// The UI's JSON on the quick start's market: the session, the search, a
// board in both languages, acting (token only) and what it changes, why a
// candidate is not shown, the market's charts and the Engine page.
func TestUIEndpoints(t *testing.T) {
	_, c := quickDemo(t)
	var session sessionJSON
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/ui/session", nil, &session))
	assert.True(t, session.Fitted)
	assert.Equal(t, 10, session.Demo.Seekers)
	assert.Equal(t, 8, session.Demo.Postings)
	assert.Equal(t, quickstartNow, session.Now, "the frozen demo clock")
	require.NotEmpty(t, session.Seeker)

	var found struct{ Participants []cardJSON }
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/ui/participants?side=recruiter&q=java", nil, &found))
	require.NotEmpty(t, found.Participants)
	for _, p := range found.Participants {
		assert.Equal(t, market.Recruiter, p.Side)
		assert.Contains(t, strings.ToLower(p.ID+p.Title), "java")
	}

	seeker := "li.wei"
	var en, zh boardJSON
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/ui/board/"+seeker+"?lang=en", nil, &en))
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/ui/board/"+seeker+"?lang=zh", nil, &zh))
	require.NotEmpty(t, en.Results)
	assert.Equal(t, text.English, en.Language)
	assert.Equal(t, "Java开发工程师", en.Requester.Title)
	first := en.Results[0]
	assert.True(t, first.Card.Known)
	assert.NotEmpty(t, first.Card.Title)
	require.NotNil(t, first.Explanation)
	require.NotNil(t, zh.Results[0].Explanation)
	assert.NotEqual(t, first.Explanation.Forward.Reasons[0].Text, zh.Results[0].Explanation.Forward.Reasons[0].Text, "the languages differ")
	assert.Equal(t, 8, en.Filtered.Eligible)
	assert.NotNil(t, first.Answer)

	// Acting needs the token.
	act := actRequest{Actor: seeker, Target: first.ID, Action: market.Chat}
	body, err := json.Marshal(act)
	require.NoError(t, err)
	status, _ := c.raw("POST", "/v1/ui/act", "", "application/json", body)
	assert.Equal(t, http.StatusUnauthorized, status)
	var rec eventsResponse
	require.Equal(t, http.StatusOK, c.do("POST", "/v1/ui/act", act, &rec))
	assert.Equal(t, 1, rec.Recorded)

	// Both lists changed: the job left the seeker's list and is hidden as
	// contacted; the seeker is in the job's list with "contacted you".
	var after boardJSON
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/ui/board/"+seeker+"?lang=en", nil, &after))
	assert.NotContains(t, ids2(after.Results), first.ID)
	require.NotEmpty(t, after.Hidden)
	assert.Equal(t, first.ID, after.Hidden[0].Card.ID)
	assert.Equal(t, hiddenContacted, after.Hidden[0].Reason)
	assert.Equal(t, quickstartNow, after.Hidden[0].Time)
	assert.Contains(t, after.Hidden[0].Text, "already contacted")
	var theirs boardJSON
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/ui/board/"+first.ID+"?lang=en&n=20", nil, &theirs))
	assert.Contains(t, ids2(theirs.Results), seeker)

	// Why the job is not shown now, and where the seeker is in its list.
	var why pairJSON
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/ui/pair/"+seeker+"/"+first.ID+"?lang=en", nil, &why))
	assert.False(t, why.Shown)
	require.NotEmpty(t, why.Why)
	assert.Equal(t, hiddenContacted, why.Why[0].Code)
	require.NotNil(t, why.Explanation)
	assert.NotEmpty(t, why.Forward, "the pair's history")
	var back pairJSON
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/ui/pair/"+first.ID+"/"+seeker+"?n=20", nil, &back))
	assert.True(t, back.Shown)
	assert.Positive(t, back.Rank)
	status, _ = c.raw("GET", "/v1/ui/pair/"+seeker+"/he.tao", "", "", nil)
	assert.Equal(t, http.StatusConflict, status, "both seekers")
	status, _ = c.raw("GET", "/v1/ui/board/"+seeker+"?lang=fr", "", "", nil)
	assert.Equal(t, http.StatusBadRequest, status)
	status, _ = c.raw("GET", "/v1/ui/board/"+seeker+"?limit=3", "", "", nil)
	assert.Equal(t, http.StatusBadRequest, status)

	// The market page: every chart of the list, those about postings with
	// data (10 seekers are too few for the figures about people).
	var m marketJSON
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/ui/market?lang=en", nil, &m))
	assert.NotEmpty(t, m.City)
	var got []string
	for _, ch := range m.Charts {
		got = append(got, ch.ID)
		switch ch.ID {
		case "went":
			assert.Empty(t, ch.SVG, "fewer than k people: nothing shown")
			assert.Contains(t, ch.Empty, "at least 5 people")
		case "cities", "salary", "industries", "employers":
			require.NotEmpty(t, ch.SVG, ch.ID)
			assert.Equal(t, strings.Count(ch.SVG, `class="mark`), len(ch.Rows), "%s: a mark per row", ch.ID)
		}
	}
	assert.Equal(t, marketCharts, got)
	status, _ = c.raw("GET", "/v1/ui/market?city=Atlantis", "", "", nil)
	assert.Equal(t, http.StatusNotFound, status)

	// The Engine page.
	var e engineJSON
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/ui/engine?lang=en", nil, &e))
	assert.True(t, e.Stats.Fitted)
	assert.Equal(t, 10, e.Stats.Seekers)
	assert.Equal(t, "ok", e.Health)
	require.NotNil(t, e.LastFit)
	assert.True(t, e.LastFit.Finished)
	require.NotEmpty(t, e.Charts)
	assert.Contains(t, e.Charts[0].SVG, `data-chart="chart-fit-stages"`)
}

// The demo refuses what it cannot do.
func TestDemoConfig(t *testing.T) {
	for _, cfg := range []Config{
		{Token: testToken, Demo: &DemoConfig{}, SnapshotPath: "/tmp/x.snap"},
		{Token: testToken, Demo: &DemoConfig{}, RedisAddr: "127.0.0.1:1"},
		{Token: testToken, Demo: &DemoConfig{Seekers: -1}},
	} {
		_, err := Open(context.Background(), cfg)
		assert.ErrorIs(t, err, errConfig)
	}
	var stderr bytes.Buffer
	cfg, err := ParseConfig([]string{"-demo", "-demo-postings", "500", "-demo-seekers", "300", "-ui=false", "-admin-addr", "off"},
		func(k string) string { return map[string]string{"TWOWAY_TOKEN": testToken}[k] }, &stderr)
	require.NoError(t, err)
	require.NotNil(t, cfg.Demo)
	assert.Equal(t, 500, cfg.Demo.MaxPostings)
	assert.Equal(t, 300, cfg.Demo.Seekers)
	assert.True(t, cfg.NoUI)
	assert.Equal(t, "off", cfg.AdminAddr)
}

// On the real postings, the demo keeps real postings as the recruiters
// and simulated seekers, maps the simulated history onto the postings, and
// starts its clock at the end of the history.
func TestDemoRealPostings(t *testing.T) {
	dir, ok := findPostings()
	if !ok {
		t.Skip("no jobs-zh in $TWOWAY_DATA or shared/data above the working directory: the real Chinese postings (see ../../shared/data/README.md)")
	}
	m, err := buildDemo(DemoConfig{MaxPostings: 400, Seekers: 200})
	require.NoError(t, err)
	assert.True(t, m.Real)
	assert.Equal(t, dir, m.Source)
	assert.Equal(t, 400, m.Postings)
	assert.Equal(t, 200, m.Seekers)
	ids := map[string]market.Side{}
	for _, p := range m.Profiles {
		ids[p.ID] = p.Side
		if p.Side == market.Recruiter {
			assert.Contains(t, p.ID, ":", "a real posting's ID is its file and row key")
		}
	}
	require.NotEmpty(t, m.Events)
	for _, ev := range m.Events {
		require.Contains(t, ids, ev.Actor)
		require.Contains(t, ids, ev.Target)
		require.NotEqual(t, ids[ev.Actor], ids[ev.Target])
		require.True(t, ev.Time.Before(m.End))
	}
	again, err := buildDemo(DemoConfig{MaxPostings: 400, Seekers: 200})
	require.NoError(t, err)
	assert.Equal(t, m.Events, again.Events, "seeded: the same demo every time")
}

// An asynchronous refit: 202 at once, followed by GET; a second POST
// while one runs is 409; bad waits are 400; an unknown job is 404.
func TestRefitJobs(t *testing.T) {
	now := time.Now()
	snap := t.TempDir() + "/e.snap"
	_, c := startServer(t, Config{SnapshotPath: snap})
	c.upsert(tinyMarket(now, 10)...)
	status, _ := c.record(history(now, 10)...)
	require.Equal(t, http.StatusOK, status)

	var job refitJob
	status = c.do("POST", "/v1/refit", nil, &job)
	require.Equal(t, http.StatusAccepted, status)
	assert.Equal(t, "1", job.ID)
	assert.Equal(t, jobRunning, job.Status)
	// A second refit while the first runs (if it still does) is refused.
	var second refitConflict
	if status := c.do("POST", "/v1/refit", nil, &second); status == http.StatusConflict {
		assert.Equal(t, "1", second.Job.ID)
	} else {
		assert.Equal(t, http.StatusAccepted, status, "the first had finished")
	}
	require.Eventually(t, func() bool {
		var j refitJob
		return c.do("GET", "/v1/refit/1", nil, &j) == http.StatusOK && j.Status == jobDone
	}, time.Minute, 20*time.Millisecond)
	var done refitJob
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/refit/1", nil, &done))
	assert.Equal(t, snap, done.Snapshot)
	assert.Positive(t, done.FitSeconds)
	require.NotEmpty(t, done.Stages)
	for _, st := range done.Stages {
		assert.True(t, st.Done, st.Stage)
	}
	assert.Equal(t, finalStage, done.Stages[len(done.Stages)-1].Stage)
	assert.Equal(t, 1.0, done.Fraction, "the last stage ended")
	assert.Empty(t, done.Step)
	stages := map[string]bool{}
	for _, st := range done.Stages {
		assert.False(t, stages[st.Stage], "%s listed once (steps inside a stage are not stages)", st.Stage)
		stages[st.Stage] = true
	}
	assert.FileExists(t, snap)

	// wait= waits for the job.
	c.refitWaitingForIdle(t)
	job = c.refit()
	assert.Equal(t, jobDone, job.Status)

	for _, q := range []string{"?wait=forever", "?wait=-1s", "?wait=10m", "?wait=1s&wait=2s", "?n=3"} {
		status, _ := c.raw("POST", "/v1/refit"+q, testToken, "", nil)
		assert.Equal(t, http.StatusBadRequest, status, q)
	}
	status, _ = c.raw("GET", "/v1/refit/999", "", "", nil)
	assert.Equal(t, http.StatusNotFound, status)
}

// refitWaitingForIdle waits until no refit job runs.
func (c *client) refitWaitingForIdle(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool {
		var j refitJob
		status := c.do("POST", "/v1/refit?wait=1m", nil, &j)
		return status == http.StatusOK
	}, 2*time.Minute, 50*time.Millisecond)
}

// A chart draws a mark per row with its value, escapes every text, and
// scales its axis to the largest value.
func TestDrawBars(t *testing.T) {
	svg := drawBars("c", `pay <&> "quoted"`, []bar{
		{Label: "数据分析师", Value: 20000, Lo: 12000, Hi: 25000, Text: "12k–25k"},
		{Label: `<script>alert(1)</script>`, Value: 3, Text: "3"},
	}, yuan)
	assert.Equal(t, 2, strings.Count(svg, `class="mark`))
	assert.Contains(t, svg, `data-value="20000"`)
	assert.Contains(t, svg, `data-lo="12000"`)
	assert.NotContains(t, svg, "<script>")
	assert.Contains(t, svg, "&lt;script&gt;")
	assert.Contains(t, svg, "pay &lt;&amp;&gt; &#34;quoted&#34;")
	assert.Contains(t, svg, ">25k<", "the axis reaches the largest value")
	for _, tc := range []struct {
		top  float64
		step float64
		n    int
	}{{1, 0.2, 5}, {7, 2, 4}, {1061, 500, 3}, {0.38, 0.1, 4}, {30000, 10000, 3}} {
		step, n := niceTicks(tc.top)
		assert.InDelta(t, tc.step, step, 1e-9, "top %v", tc.top)
		assert.Equal(t, tc.n, n, "top %v", tc.top)
	}
}

// TestUICardsAfterARestart: a server started from another's snapshot has
// none of its profiles in the UI's catalogue; the cards come from the
// Engine (Engine.Profile), so the board still names the requester.
func TestUICardsAfterARestart(t *testing.T) {
	now := time.Now()
	snap := t.TempDir() + "/e.snap"
	first, err := Open(context.Background(), Config{Token: testToken, SnapshotPath: snap})
	require.NoError(t, err)
	require.NoError(t, first.Engine().Upsert(context.Background(), tinyMarket(now, 4)...))
	require.NoError(t, first.Close()) // saves the snapshot

	srv, c := startServer(t, Config{SnapshotPath: snap})
	_, inCatalogue := srv.ui.profile("s-li")
	require.False(t, inCatalogue, "the restarted server's catalogue starts empty")
	var board boardJSON
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/ui/board/s-li?lang=en", nil, &board))
	assert.True(t, board.Requester.Known, "the card comes from the Engine")
	assert.Equal(t, "Java后端开发工程师", board.Requester.Title)
	assert.Equal(t, market.Seeker, board.Requester.Side)
}
