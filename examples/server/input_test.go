package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/market"
)

// A key given twice in one object (as encoding/json compares keys:
// case-insensitively, with Unicode folding) is a 400 naming the key, the
// object and the record, and nothing of the batch is stored. Keys of a
// map (attributes) are compared exactly, as they are decoded.
func TestDuplicateKeys(t *testing.T) {
	now := time.Now()
	_, c := startServer(t, Config{})
	c.upsert(tinyMarket(now, 2)...)
	const reg = `"registered": "2026-01-01T00:00:00Z"`
	for _, tc := range []struct {
		name     string
		path     string
		body     string
		status   int
		contains string
		index    int // -1: none
		record   string
		field    string
	}{
		{"side twice", "/v1/profiles", `{"profiles": [{"id": "x1", "side": "seeker", "side": "recruiter", ` + reg + `}]}`,
			400, `key "side" given twice in profiles[0]`, 0, "x1", "side"},
		{"side in two cases", "/v1/profiles", `{"profiles": [{"id": "ok", "side": "seeker", ` + reg + `}, {"id": "x2", "side": "seeker", "Side": "recruiter", ` + reg + `}]}`,
			400, `as "side" and "Side"`, 1, "x2", "Side"},
		{"unicode folding", "/v1/profiles", `{"profiles": [{"id": "x3", "side": "seeker", "\u017fide": "recruiter", ` + reg + `}]}`,
			400, "given twice in profiles[0]", 0, "x3", "ſide"},
		{"nested object", "/v1/profiles", `{"profiles": [{"id": "x4", "side": "seeker", "salary": {"min": 1, "MIN": 9}, ` + reg + `}]}`,
			400, "profiles[0].salary", 0, "x4", "MIN"},
		{"top level", "/v1/profiles", `{"profiles": [], "Profiles": [{"id": "x5", "side": "seeker", ` + reg + `}]}`,
			400, "the top-level object", -1, "", "Profiles"},
		{"attribute twice", "/v1/profiles", `{"profiles": [{"id": "x6", "side": "seeker", "attributes": {"age": 30, "age": 31}, ` + reg + `}]}`,
			400, "profiles[0].attributes", 0, "x6", "age"},
		{"attribute named id twice", "/v1/profiles", `{"profiles": [{"id": "x8", "side": "seeker", "attributes": {"id": 1, "id": 2}, ` + reg + `}]}`,
			400, "profiles[0].attributes", 0, "x8", "id"}, // not the record's ID: the record is named
		{"id twice", "/v1/profiles", `{"profiles": [{"id": "x9", "side": "seeker", "ID": "x10", ` + reg + `}]}`,
			400, "given twice in profiles[0]", 0, "", "ID"}, // a twice-given ID names no record
		{"event actor twice", "/v1/events", `{"events": [{"actor": "s-li", "target": "job-00", "action": "view", "ACTOR": "s-chen", "time": "2026-01-01T00:00:00Z"}]}`,
			400, "events[0]", 0, "", "ACTOR"}, // an actor given twice names no record: the index does
		{"event time twice", "/v1/events", `{"events": [{"actor": "s-li", "target": "job-00", "action": "view", "time": "2026-01-01T00:00:00Z", "Time": "2026-01-02T00:00:00Z"}]}`,
			400, "events[0]", 0, "s-li→job-00", "Time"},
		{"attributes differing in case are two attributes", "/v1/profiles", `{"profiles": [{"id": "x7", "side": "seeker", "attributes": {"age": 30, "Age": 31}, ` + reg + `}]}`,
			200, "", -1, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := c.raw("PUT", tc.path, testToken, "application/json", []byte(tc.body))
			if tc.path == "/v1/events" {
				status, body = c.raw("POST", tc.path, testToken, "application/json", []byte(tc.body))
			}
			require.Equal(t, tc.status, status, "%s", body)
			if tc.status == 200 {
				return
			}
			var e apiError
			require.NoError(t, json.Unmarshal(body, &e))
			assert.Contains(t, e.Message, tc.contains)
			assert.Equal(t, tc.record, e.Record)
			assert.Equal(t, tc.field, e.Field)
			if tc.index < 0 {
				assert.Nil(t, e.Index)
			} else if assert.NotNil(t, e.Index) {
				assert.Equal(t, tc.index, *e.Index)
			}
		})
	}
	for _, id := range []string{"ok", "x1", "x2", "x3", "x4", "x5", "x6", "x8", "x9", "x10"} {
		status, _ := c.recommend(id, "")
		assert.Equal(t, http.StatusNotFound, status, "%s was stored from a refused batch", id)
	}
	assert.Zero(t, metricValue(c.scrape(), "twoway_events_total", "outcome", "recorded"))
}

// The server's paths and bodies agree on IDs: an ID a PUT accepts can be
// read and deleted through a path (percent-encoded), and one that no path
// can carry (more than market.MaxIDLen bytes, ".", "..", "/") is refused with
// a 400 in the body and in the path alike.
func TestIDsAgreeBetweenPathsAndBodies(t *testing.T) {
	now := time.Now()
	_, c := startServer(t, Config{})
	c.upsert(tinyMarket(now, 2)...)
	longest := strings.Repeat("中", market.MaxIDLen/3) + strings.Repeat("x", market.MaxIDLen%3) // 256 bytes
	require.Len(t, longest, market.MaxIDLen)
	tooLong := longest + "y"
	profile := func(id string) []byte {
		b, err := json.Marshal(profilesRequest{Profiles: []market.Profile{{ID: id, Side: market.Seeker, Registered: now.Add(-time.Hour)}}})
		require.NoError(t, err)
		return b
	}

	for _, id := range []string{longest, "a/b", "/lead", "trail/", "a//b", "a%2Fb", "a?b#c", "...", "a b", "\x01"} {
		status, body := c.raw("PUT", "/v1/profiles", testToken, "", profile(id))
		require.Equal(t, http.StatusOK, status, "PUT %q: %s", id, body)
		path := "/v1/recommendations/" + url.PathEscape(id) + "?dry_run=true"
		status, body = c.raw("GET", path, "", "", nil)
		var resp recommendationsJSON
		require.Equal(t, http.StatusOK, status, "GET %q: %s", id, body)
		require.NoError(t, json.Unmarshal(body, &resp))
		assert.Equal(t, id, resp.Requester)
		status, body = c.raw("DELETE", "/v1/profiles/"+url.PathEscape(id), testToken, "", nil)
		assert.Equal(t, http.StatusOK, status, "DELETE %q: %s", id, body)
	}

	for _, tc := range []struct {
		name, id, contains string
	}{
		{"257 bytes", tooLong, "longer than 256 bytes"},
		{"dot", ".", "URL path"},
		{"dot dot", "..", "URL path"},
		{"slash", "/", "URL path"}, // found by FuzzPathID: net/http answers /v1/recommendations/%2F with 404
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := c.raw("PUT", "/v1/profiles", testToken, "", profile(tc.id))
			require.Equal(t, http.StatusBadRequest, status, "%s", body)
			var e apiError
			require.NoError(t, json.Unmarshal(body, &e))
			assert.Contains(t, e.Message, tc.contains)
			assert.Equal(t, "ID", e.Field)
			assert.Equal(t, tc.id, e.Record)
			require.NotNil(t, e.Index)
			assert.Zero(t, *e.Index)
		})
	}
	for _, path := range []string{
		"GET /v1/recommendations/" + url.PathEscape(tooLong),
		"DELETE /v1/profiles/" + url.PathEscape(tooLong),
		"GET /v1/explanations/s-li/" + url.PathEscape(tooLong),
		"GET /v1/explanations/" + url.PathEscape(tooLong) + "/job-00",
	} {
		method, p, _ := strings.Cut(path, " ")
		status, body := c.raw(method, p, testToken, "", nil)
		assert.Equal(t, http.StatusBadRequest, status, "%s: %s", path, body)
		assert.Contains(t, string(body), "longer than 256 bytes", path)
	}
}

// Times outside [market.MinTime, market.MaxTime) are a 400 naming the
// record and the field, never a 202 "real-time store failed", and nothing
// of the batch is stored: the snapshot still loads.
func TestTimesOutOfRange(t *testing.T) {
	now := time.Now()
	snap := filepath.Join(t.TempDir(), "engine.snap")
	_, c := startServer(t, Config{SnapshotPath: snap})
	c.upsert(tinyMarket(now, 2)...)
	good := `{"actor": "s-li", "target": "job-00", "action": "view", "time": "2026-01-01T00:00:00Z"}`
	for _, tc := range []struct {
		name, method, path, body, field, record string
		index                                   int
	}{
		{"event in 1000", "POST", "/v1/events", `{"events": [` + good + `, {"actor": "s-li", "target": "job-01", "action": "chat", "time": "1000-01-01T00:00:00Z"}]}`, "Time", "s-li→job-01", 1},
		{"event in year 1", "POST", "/v1/events", `{"events": [{"actor": "s-li", "target": "job-01", "action": "chat", "time": "0001-01-01T00:00:01Z"}]}`, "Time", "s-li→job-01", 0},
		{"event in 2300", "POST", "/v1/events", `{"events": [{"actor": "s-li", "target": "job-01", "action": "chat", "time": "2300-01-01T00:00:00Z"}]}`, "Time", "s-li→job-01", 0},
		{"registered in 9999", "PUT", "/v1/profiles", `{"profiles": [{"id": "s-future", "side": "seeker", "registered": "9999-01-01T00:00:00Z"}]}`, "Registered", "s-future", 0},
		{"registered in 1969", "PUT", "/v1/profiles", `{"profiles": [{"id": "s-past", "side": "seeker", "registered": "1969-12-31T23:59:59Z"}]}`, "Registered", "s-past", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := c.raw(tc.method, tc.path, testToken, "application/json", []byte(tc.body))
			require.Equal(t, http.StatusBadRequest, status, "%s", body)
			var e apiError
			require.NoError(t, json.Unmarshal(body, &e))
			assert.Contains(t, e.Message, "outside the supported range")
			assert.Equal(t, tc.field, e.Field)
			assert.Equal(t, tc.record, e.Record)
			require.NotNil(t, e.Index)
			assert.Equal(t, tc.index, *e.Index)
		})
	}
	m := c.scrape()
	assert.Zero(t, metricValue(m, "twoway_events_total", "outcome", "recorded"))
	assert.Zero(t, metricValue(m, "twoway_server_realtime_failures_total"))

	require.Equal(t, http.StatusOK, c.do("POST", "/v1/snapshot", nil, nil))
	srv, err := Open(context.Background(), Config{Token: testToken, SnapshotPath: snap})
	require.NoError(t, err, "the snapshot loads")
	require.NoError(t, srv.Close())
}

// A value that does not decode inside a record of a batch (an unknown
// side, education or action, a bad time, the wrong JSON type) is a 400
// naming the record as a 422 does: its index, its ID when it can be read
// and the field's Go path; nothing of the batch is stored.
func TestBatchDecodeErrors(t *testing.T) {
	now := time.Now()
	_, c := startServer(t, Config{})
	c.upsert(tinyMarket(now, 2)...)
	const reg = `"registered": "2026-01-01T00:00:00Z"`
	ok := `{"id": "ok", "side": "seeker", ` + reg + `}`
	ev := `{"actor": "s-li", "target": "job-00", "action": "view", "time": "2026-01-01T00:00:00Z"}`
	for _, tc := range []struct {
		name, path, body       string
		index                  int
		record, field, contain string
	}{
		{"unknown side", "/v1/profiles", `{"profiles": [` + ok + `, {"id": "ok2", "side": "alien", ` + reg + `}]}`,
			1, "ok2", "Side", `unknown side "alien"`},
		{"unknown education", "/v1/profiles", `{"profiles": [` + ok + `, {"id": "ok2", "side": "seeker", "education": "wizard", ` + reg + `}]}`,
			1, "ok2", "Education", "wizard"},
		{"bad registered", "/v1/profiles", `{"profiles": [{"id": "ok3", "side": "seeker", "registered": "yesterday"}]}`,
			0, "ok3", "Registered", "yesterday"},
		{"wrong type nested", "/v1/profiles", `{"profiles": [` + ok + `, ` + ok + `, {"id": "ok4", "side": "seeker", "salary": {"min": "lots"}, ` + reg + `}]}`,
			2, "ok4", "Salary.Min", "want float64"},
		{"wrong type in a list", "/v1/profiles", `{"profiles": [{"id": "ok5", "side": "seeker", "skills": ["Go", 7], ` + reg + `}]}`,
			0, "ok5", "Skills[1]", "want string"},
		{"unknown nested key", "/v1/profiles", `{"profiles": [{"id": "ok6", "side": "seeker", "salary": {"bonus": 1}, ` + reg + `}]}`,
			0, "ok6", "Salary.bonus", `unknown field "bonus"`},
		{"unreadable ID", "/v1/profiles", `{"profiles": [` + ok + `, {"id": 42, "side": "seeker", ` + reg + `}]}`,
			1, "", "ID", "want string"},
		{"not an object", "/v1/profiles", `{"profiles": [` + ok + `, 5]}`,
			1, "", "", "want market.Profile"},
		{"unknown action", "/v1/events", `{"events": [` + ev + `, {"actor": "s-li", "target": "job-01", "action": "teleport", "time": "2026-01-01T00:00:00Z"}]}`,
			1, "s-li→job-01", "Action", `unknown action "teleport"`},
		{"bad event time", "/v1/events", `{"events": [{"actor": "s-li", "target": "job-01", "action": "view", "time": 12}]}`,
			0, "s-li→job-01", "Time", "not a JSON string"},
		{"unreadable actor", "/v1/events", `{"events": [` + ev + `, ` + ev + `, {"actor": ["s-li"], "target": "job-01", "action": "view", "time": "2026-01-01T00:00:00Z"}]}`,
			2, "", "Actor", "want string"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := "PUT"
			if tc.path == "/v1/events" {
				method = "POST"
			}
			status, body := c.raw(method, tc.path, testToken, "application/json", []byte(tc.body))
			require.Equal(t, http.StatusBadRequest, status, "%s", body)
			var e apiError
			require.NoError(t, json.Unmarshal(body, &e))
			assert.Contains(t, e.Message, tc.contain)
			assert.Contains(t, e.Message, fmt.Sprintf("[%d]", tc.index), "the message names the record's position")
			require.NotNil(t, e.Index, "%s", body)
			assert.Equal(t, tc.index, *e.Index)
			assert.Equal(t, tc.record, e.Record)
			assert.Equal(t, tc.field, e.Field)
		})
	}
	for _, id := range []string{"ok", "ok2", "ok3", "ok4", "ok5", "ok6"} {
		status, _ := c.recommend(id, "")
		assert.Equal(t, http.StatusNotFound, status, "%s was stored from a refused batch", id)
	}
	assert.Zero(t, metricValue(c.scrape(), "twoway_events_total", "outcome", "recorded"))

	// Errors outside the records are as before: no index.
	for _, body := range []string{`{"profiles": {"id": 1}}`, `{"profils": []}`, `{"profiles": [` + ok + `,`} {
		status, b := c.raw("PUT", "/v1/profiles", testToken, "application/json", []byte(body))
		require.Equal(t, http.StatusBadRequest, status, "%s", b)
		var e apiError
		require.NoError(t, json.Unmarshal(b, &e))
		assert.Nil(t, e.Index, "%s", b)
	}
}
