package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/market"
)

// logBuffer is a log destination that several goroutines may write.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// send sends a request with the given headers and returns the answer with
// its body read.
func (c *client) send(method, path string, header http.Header, body []byte) (*http.Response, []byte) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	require.NoError(c.t, err)
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	return resp, b
}

// A refit of an empty market is the client's doing: the job fails, and
// the answer is engineError's 409 (as a recommendation's would be), logged
// as a warning, not a server error.
func TestRefitEmptyMarket(t *testing.T) {
	var log logBuffer
	_, c := startServer(t, Config{Logger: log.logger()})
	var job refitJob
	status := c.do("POST", "/v1/refit?wait=30s", nil, &job)
	require.Equal(t, http.StatusConflict, status, "%+v", job)
	assert.Equal(t, jobFailed, job.Status)
	assert.Contains(t, job.Error, "empty market")
	require.Equal(t, http.StatusOK, c.do("GET", "/v1/refit/"+job.ID, nil, &job), "GET answers the job whatever its state")
	assert.Equal(t, jobFailed, job.Status)

	assert.NotContains(t, log.String(), "level=ERROR")
	assert.Contains(t, log.String(), "level=WARN")
	assert.Contains(t, log.String(), "empty market")
	m := c.scrape()
	assert.Equal(t, 1.0, metricValue(m, "twoway_server_refits_total", "outcome", "failed"))
	assert.Zero(t, metricValue(m, "twoway_http_requests_total", "code", "500"))
}

// A refit whose Fit succeeded but whose snapshot could not be written is
// done (its models are served), with snapshot_error saying why, not
// failed.
func TestRefitSnapshotNotSaved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "snaps")
	require.NoError(t, os.Mkdir(dir, 0o700))
	var log logBuffer
	_, c := startServer(t, Config{SnapshotPath: filepath.Join(dir, "engine.snap"), Logger: log.logger()})
	t.Cleanup(func() { require.NoError(t, os.MkdirAll(dir, 0o700)) }) // before the Server's Close saves
	now := time.Now()
	c.upsert(tinyMarket(now, 3)...)
	require.NoError(t, os.RemoveAll(dir))

	var job refitJob
	status := c.do("POST", "/v1/refit?wait=3m", nil, &job)
	require.Equal(t, http.StatusOK, status, "%+v", job)
	assert.Equal(t, jobDone, job.Status)
	assert.Empty(t, job.Error)
	assert.Empty(t, job.Snapshot)
	assert.Contains(t, job.SnapshotError, "save snapshot")
	assert.Contains(t, log.String(), "the snapshot was not saved")

	var h healthResponse
	require.Equal(t, http.StatusOK, c.do("GET", "/healthz", nil, &h))
	assert.Equal(t, uint64(1), h.ModelVersion, "the new models are served")
	status, _ = c.raw("GET", "/v1/explanations/s-li/job-00", "", "", nil)
	assert.Equal(t, http.StatusOK, status, "explanations need a fit: there is one")
	assert.Equal(t, 1.0, metricValue(c.scrape(), "twoway_server_refits_total", "outcome", outcomeSnapshotFailed))
}

// A -snapshot whose directory is missing, not a directory or (for a
// non-root user) not writable stops the start with a message naming it.
func TestSnapshotDirChecked(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "plain")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	for _, tc := range []struct{ name, path, contains string }{
		{"missing", filepath.Join(dir, "nowhere", "engine.snap"), "create it"},
		{"not a directory", filepath.Join(file, "engine.snap"), "not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(context.Background(), Config{Token: testToken, SnapshotPath: tc.path})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.path)
			assert.Contains(t, err.Error(), tc.contains)
		})
	}
	t.Run("run", func(t *testing.T) {
		path := filepath.Join(dir, "nowhere", "engine.snap")
		err := runFails(t, path, "the server started listening without a snapshot directory")
		assert.Contains(t, err.Error(), path)
	})
	srv, err := Open(context.Background(), Config{Token: testToken, SnapshotPath: filepath.Join(dir, "engine.snap")})
	require.NoError(t, err)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "the check leaves no file behind")
	require.NoError(t, srv.Close())
	if os.Geteuid() != 0 { // root writes anywhere
		t.Run("not writable", func(t *testing.T) {
			ro := filepath.Join(dir, "ro")
			require.NoError(t, os.Mkdir(ro, 0o500))
			_, err := Open(context.Background(), Config{Token: testToken, SnapshotPath: filepath.Join(ro, "engine.snap")})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "not writable")
		})
	}
}

// Paths no route serves and wrong methods answer the API's JSON error
// with the mux's status (405 keeps Allow), and are counted under the
// route "unmatched", not under their paths.
func TestUnroutedJSON(t *testing.T) {
	_, c := startServer(t, Config{})
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/v1/recommendations/", 404, ""},
		{"GET", "/v1/nothing", 404, ""},
		{"GET", "/nothing/at/all", 404, ""},
		{"GET", "/v1//nothing", 404, ""}, // redirected to /v1/nothing first
		{"POST", "/v1/recommendations/x", 405, "GET"},
		{"GET", "/v1/profiles", 405, "PUT"},
		{"OPTIONS", "/v1/events", 405, "POST"},
		{"DELETE", "/v1/refit/1", 405, "GET"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			resp, body := c.send(tc.method, tc.path, nil, nil)
			require.Equal(t, tc.status, resp.StatusCode, "%s", body)
			assert.Equal(t, "application/json; charset=utf-8", resp.Header.Get("Content-Type"))
			var e apiError
			require.NoError(t, json.Unmarshal(body, &e), "a JSON error body: %s", body)
			assert.NotEmpty(t, e.Message)
			if tc.allow != "" {
				assert.Contains(t, resp.Header.Get("Allow"), tc.allow)
				assert.Contains(t, e.Message, tc.allow)
			}
		})
	}
	resp, _ := c.send("GET", "/healthz", nil, nil)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "a routed request is served as before")

	routes := map[string]bool{}
	for _, m := range c.scrape()["twoway_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" {
				routes[l.GetValue()] = true
			}
		}
	}
	assert.True(t, routes["unmatched"])
	for r := range routes {
		assert.True(t, r == "unmatched" || strings.Contains(r, " /"), "route label %q is a pattern or unmatched", r)
		assert.NotContains(t, r, "nothing")
		assert.NotContains(t, r, "/x")
	}
}

// A body that does not arrive within the read timeout is a 408 whose
// message names no socket address; another failed read names none either.
func TestSlowBody(t *testing.T) {
	srv, _ := startServer(t, Config{})
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.Config.ReadTimeout = 300 * time.Millisecond
	hs.Start()
	t.Cleanup(hs.Close)

	conn, err := net.Dial("tcp", hs.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "PUT /v1/profiles HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer "+testToken+
		"\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"profiles\": [")
	require.NoError(t, err)
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusRequestTimeout, resp.StatusCode, "%s", body)
	var e apiError
	require.NoError(t, json.Unmarshal(body, &e), "%s", body)
	assert.Contains(t, e.Message, "read timeout")
	assert.NotContains(t, e.Message, "127.0.0.1")
	assert.NotContains(t, e.Message, "tcp")

	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
	reset := bodyReadError(&net.OpError{Op: "read", Net: "tcp", Source: addr, Addr: addr, Err: syscall.ECONNRESET})
	assert.Equal(t, http.StatusBadRequest, reset.Status)
	assert.NotContains(t, reset.Message, "127.0.0.1")
	assert.Contains(t, reset.Message, "connection reset")
	assert.Equal(t, http.StatusRequestTimeout, bodyReadError(os.ErrDeadlineExceeded).Status)
	assert.Equal(t, http.StatusBadRequest, bodyReadError(errors.New("unexpected EOF")).Status)
}

// The authorization scheme is case-insensitive (RFC 7235): "bearer" and
// "BEARER" are Bearer; the token itself is not.
func TestBearerSchemeCase(t *testing.T) {
	now := time.Now()
	_, c := startServer(t, Config{})
	body, err := json.Marshal(profilesRequest{Profiles: []market.Profile{{ID: "s-x", Side: market.Seeker, Registered: now.Add(-time.Hour)}}})
	require.NoError(t, err)
	for _, tc := range []struct {
		auth   string
		status int
	}{
		{"Bearer " + testToken, 200},
		{"bearer " + testToken, 200},
		{"BEARER " + testToken, 200},
		{"bEaReR  " + testToken, 200},
		{"bearer " + strings.ToUpper(testToken), 401},
		{"Basic " + testToken, 401},
		{"bearer" + testToken, 401},
		{testToken, 401},
	} {
		resp, b := c.send("PUT", "/v1/profiles", http.Header{"Authorization": {tc.auth}, "Content-Type": {"application/json"}}, body)
		assert.Equal(t, tc.status, resp.StatusCode, "%q: %s", tc.auth, b)
	}
	resp, b := c.send("GET", "/v1/recommendations/s-x?dry_run=false", http.Header{"Authorization": {"bearer " + testToken}}, nil)
	assert.NotEqual(t, http.StatusUnauthorized, resp.StatusCode, "a read with the token in lower case is the holder's: %s", b)
}

// GET /v1/explanations takes no query parameters: any is a 400.
func TestExplainRefusesQuery(t *testing.T) {
	now := time.Now()
	_, c := startServer(t, Config{})
	c.upsert(tinyMarket(now, 3)...)
	c.refit()
	for _, q := range []string{"?x=1", "?n=3", "?lang=en", "?x", "?a=%zz"} {
		status, body := c.raw("GET", "/v1/explanations/s-li/job-00"+q, "", "", nil)
		require.Equal(t, http.StatusBadRequest, status, "%s: %s", q, body)
		var e apiError
		require.NoError(t, json.Unmarshal(body, &e))
		assert.Contains(t, e.Message, "query", q)
	}
	for _, q := range []string{"", "?"} {
		status, body := c.raw("GET", "/v1/explanations/s-li/job-00"+q, "", "", nil)
		assert.Equal(t, http.StatusOK, status, "%q: %s", q, body)
	}
}

// Deleting one unknown profile is a 404 about that profile, not about a
// batch.
func TestRemoveUnknownProfile(t *testing.T) {
	now := time.Now()
	_, c := startServer(t, Config{})
	c.upsert(tinyMarket(now, 2)...)
	for _, id := range []string{"nobody", "ghost 2"} {
		status, body := c.raw("DELETE", "/v1/profiles/"+url.PathEscape(id), testToken, "", nil)
		require.Equal(t, http.StatusNotFound, status, "%s", body)
		var e apiError
		require.NoError(t, json.Unmarshal(body, &e))
		assert.Contains(t, e.Message, `no profile "`+id+`"`)
		assert.NotContains(t, e.Message, "batch")
		assert.NotContains(t, e.Message, "record 0")
		assert.Equal(t, id, e.Record)
		assert.Nil(t, e.Index)
	}
}

// Events of one batch with the same ID: the Engine records the first, and
// the answer counts one and lists the others as duplicates (differs when
// they are not the same event). An ID recorded by an earlier request is
// acknowledged as recorded, as at its first delivery, and not logged
// again.
func TestEventIDsTwiceInABatch(t *testing.T) {
	now := time.Now()
	srv, c := startServer(t, Config{})
	c.upsert(tinyMarket(now, 3)...)
	at := now.Add(-time.Minute)
	e1 := market.Event{ID: "ev-1", Actor: "s-li", Target: "job-00", Action: market.View, Time: at}
	other := market.Event{ID: "ev-1", Actor: "s-li", Target: "job-01", Action: market.Chat, Time: at}
	plain := market.Event{Actor: "s-chen", Target: "job-01", Action: market.View, Time: at}
	status, rec := c.record(e1, other, plain, e1)
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, 2, rec.Recorded)
	assert.Equal(t, []duplicateEvent{{Index: 1, First: 0, ID: "ev-1", Differs: true}, {Index: 3, First: 0, ID: "ev-1"}}, rec.Duplicates)
	assert.Equal(t, 2, srv.engine.Stats().Events, "what the answer says was recorded is what was logged")

	status, rec = c.record(e1) // a retry
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, 1, rec.Recorded)
	assert.Empty(t, rec.Duplicates)
	assert.Equal(t, 2, srv.engine.Stats().Events)
	assert.Equal(t, 3, srv.engine.Stats().Duplicates)

	// The duplicate is validated with the batch: a bad one refuses it.
	status, _ = c.record(market.Event{ID: "ev-2", Actor: "s-li", Target: "job-02", Action: market.View, Time: at}, market.Event{ID: "ev-2", Actor: "ghost", Target: "job-02", Action: market.View, Time: at})
	assert.Equal(t, http.StatusUnprocessableEntity, status)
	assert.Equal(t, 2, srv.engine.Stats().Events)
}
