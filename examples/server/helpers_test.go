package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/market"
)

const testToken = "test-token-0123456789abcdef"

// client talks to one server in tests.
type client struct {
	t     testing.TB
	base  string
	token string
	http  *http.Client
}

func newClient(t testing.TB, base string) *client {
	return &client{t: t, base: base, token: testToken, http: &http.Client{Timeout: 30 * time.Second}}
}

// startServer opens a Server for cfg (the test token filled in) behind
// httptest and closes both at the end of the test.
func startServer(t testing.TB, cfg Config) (*Server, *client) {
	t.Helper()
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	srv, err := Open(context.Background(), cfg)
	require.NoError(t, err)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		hs.Close()
		require.NoError(t, srv.Close())
	})
	return srv, newClient(t, hs.URL)
}

// raw sends a request with a raw body and returns the status and body.
func (c *client) raw(method, path, token, contentType string, body []byte) (int, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	require.NoError(c.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp.StatusCode, b
}

// do sends v as JSON (nil: no body) with the client's token and decodes
// the answer into out (when not nil). It returns the status.
func (c *client) do(method, path string, v, out any) int {
	c.t.Helper()
	var body []byte
	if v != nil {
		var err error
		body, err = json.Marshal(v)
		require.NoError(c.t, err)
	}
	status, b := c.raw(method, path, c.token, "application/json", body)
	if out != nil {
		require.NoError(c.t, json.Unmarshal(b, out), "status %d body %s", status, b)
	}
	return status
}

func (c *client) upsert(ps ...market.Profile) {
	c.t.Helper()
	var out map[string]any
	status := c.do("PUT", "/v1/profiles", profilesRequest{Profiles: ps}, &out)
	require.Equal(c.t, http.StatusOK, status, "upsert: %v", out)
}

func (c *client) record(evs ...market.Event) (int, eventsResponse) {
	c.t.Helper()
	var out eventsResponse
	status := c.do("POST", "/v1/events", eventsRequest{Events: evs}, &out)
	return status, out
}

func (c *client) recommend(id, query string) (int, recommendationsJSON) {
	c.t.Helper()
	var out recommendationsJSON
	status := c.do("GET", "/v1/recommendations/"+id+query, nil, &out)
	return status, out
}

// tinyMarket is a hand-written market: seekers and job postings in Chinese
// and English, all registered an hour before now.
func tinyMarket(now time.Time, jobs int) []market.Profile {
	reg := now.Add(-time.Hour)
	ps := []market.Profile{
		{ID: "s-li", Side: market.Seeker, Title: "Java后端开发工程师", City: "南京", Skills: []string{"Java", "Spring Boot", "MySQL"},
			Experience: market.Range{Min: 4, Max: 4}, Education: market.EducationBachelor, Salary: market.Salary{Min: 20000, Max: 28000}, Registered: reg},
		{ID: "s-chen", Side: market.Seeker, Title: "数据分析师", City: "北京", Skills: []string{"SQL", "Python", "数据分析"},
			Experience: market.Range{Min: 2, Max: 2}, Education: market.EducationMaster, Salary: market.Salary{Min: 15000, Max: 22000}, Registered: reg},
		{ID: "s-smith", Side: market.Seeker, Title: "Backend Engineer (Go)", City: "上海", Skills: []string{"Go", "Redis", "Kubernetes"},
			Experience: market.Range{Min: 6, Max: 6}, Education: market.EducationBachelor, Salary: market.Salary{Min: 30000, Max: 40000}, Registered: reg},
	}
	titles := []struct{ title, city, skill string }{
		{"Java开发工程师", "南京", "Java"}, {"数据分析师", "北京", "SQL"}, {"Go Developer", "上海", "Go"},
		{"算法工程师", "北京", "机器学习"}, {"产品经理", "上海", "Axure"},
	}
	for i := range jobs {
		tt := titles[i%len(titles)]
		ps = append(ps, market.Profile{
			ID: fmt.Sprintf("job-%02d", i), Side: market.Recruiter, Title: tt.title, City: tt.city,
			Company: fmt.Sprintf("公司%d", i%7), Skills: []string{tt.skill},
			Experience: market.Range{Min: 1, Max: 5}, Salary: market.Salary{Min: 15000, Max: 30000},
			Registered: reg.Add(time.Duration(i) * time.Second),
		})
	}
	return ps
}

func twowayRequest(id string, n int) twoway.Request {
	return twoway.Request{ID: id, N: n, DryRun: true}
}

// history is two days of behaviour on tinyMarket(now, jobs): seekers see
// every job, attend to their own kind's and pass over the others, and the
// jobs answer them.
func history(now time.Time, jobs int) []market.Event {
	var evs []market.Event
	at := now.Add(-48 * time.Hour)
	add := func(a, b string, act market.Action) {
		at = at.Add(7 * time.Minute)
		evs = append(evs, market.Event{Actor: a, Target: b, Action: act, Time: at})
	}
	for round := range 3 {
		for i := range jobs {
			job := fmt.Sprintf("job-%02d", i)
			seeker := []string{"s-li", "s-chen", "s-smith", "", ""}[i%5]
			for _, s := range []string{"s-li", "s-chen", "s-smith"} {
				add(s, job, market.Impression)
			}
			if seeker == "" || round > 1 {
				continue
			}
			add(seeker, job, market.View)
			add(seeker, job, market.Chat)
			add(job, seeker, market.Reply)
			add(job, seeker, market.Chat)
		}
	}
	return evs
}

// scrape reads GET /metrics, parsed as the Prometheus text format.
func (c *client) scrape() map[string]*dto.MetricFamily {
	c.t.Helper()
	status, body := c.raw("GET", "/metrics", "", "", nil)
	require.Equal(c.t, http.StatusOK, status, "%s", body)
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(bytes.NewReader(body))
	require.NoError(c.t, err, "the Prometheus text format")
	return mfs
}

// metricValue sums the samples of the family name whose labels include
// labels ("name", "value", …): a counter's, gauge's or untyped value, a
// histogram's sample count. A missing family is 0.
func metricValue(mfs map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	mf := mfs[name]
	if mf == nil {
		return 0
	}
	sum := 0.0
next:
	for _, m := range mf.GetMetric() {
		for i := 0; i+1 < len(labels); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == labels[i] && l.GetValue() == labels[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		}
	}
	return sum
}

// refit runs a refit job and waits for it (POST /v1/refit?wait=), requiring
// that it finished.
func (c *client) refit() refitJob {
	c.t.Helper()
	var job refitJob
	status := c.do("POST", "/v1/refit?wait=3m", nil, &job)
	require.Equal(c.t, http.StatusOK, status, "refit: %+v", job)
	require.Equal(c.t, jobDone, job.Status)
	return job
}
