package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/redisstore"
	"github.com/twowayrec/twoway/redisstore/redistest"
)

// The journal's flags: -journal needs Redis, a cluster has no database
// number, -fixed-clock is RFC 3339 and fixes the Engine's clock.
func TestJournalFlags(t *testing.T) {
	getenv := func(string) string { return "" }
	var stderr bytes.Buffer
	cfg, err := ParseConfig([]string{"-redis-addr", "10.0.0.1:7000, 10.0.0.2:7000", "-journal", "-journal-sync", "250ms",
		"-fixed-clock", "2026-03-02T09:00:00Z"}, getenv, &stderr)
	require.NoError(t, err)
	assert.True(t, cfg.Journal)
	assert.Equal(t, 250*time.Millisecond, cfg.JournalSync)
	assert.Equal(t, []string{"10.0.0.1:7000", "10.0.0.2:7000"}, cfg.redisAddrs())
	cfg.Token = testToken
	require.NoError(t, cfg.fill())
	assert.Equal(t, time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC), cfg.Engine.Clock())

	_, err = ParseConfig([]string{"-fixed-clock", "yesterday"}, getenv, &stderr)
	assert.ErrorContains(t, err, "-fixed-clock")
	for name, c := range map[string]Config{
		"Journal needs RedisAddr":      {Journal: true},
		"a cluster has database 0":     {RedisAddr: "a:1,b:2", RedisDB: 3},
		"an empty address in the list": {RedisAddr: "a:1,,b:2"},
		"JournalSync":                  {RedisAddr: "a:1", JournalSync: -time.Second},
	} {
		c.Token = testToken
		_, err := Open(context.Background(), c)
		assert.ErrorIs(t, err, errConfig, name)
	}
}

// Two servers of one market on one journal: the fitter refits and saves
// its snapshot; the other takes it with POST /v1/reload while serving, and
// then reports the fitter's model version in /healthz and gives the
// fitter's lists. With -journal-trim the fitter's second save trims the
// journal through its first snapshot's offset. A corrupt snapshot is 400
// and changes nothing.
func TestReloadFromTheFitter(t *testing.T) {
	rs := redistest.Start(t)
	now := time.Now().UTC().Truncate(time.Second)
	dir := t.TempDir()
	open := func(name string, trim bool) *client {
		_, c := startServer(t, Config{RedisAddr: rs.Addr, Namespace: "reload", Journal: true, JournalTrim: trim,
			SnapshotPath: filepath.Join(dir, name+".snap"), GenerationCheck: time.Hour, FixedClock: now})
		return c
	}
	fitter, server := open("fitter", true), open("server", false)
	fitter.upsert(tinyMarket(now, 8)...)
	status, _ := server.record(history(now, 8)...)
	require.Equal(t, http.StatusOK, status)
	fitter.refit()
	require.Equal(t, http.StatusOK, fitter.do("POST", "/v1/snapshot", nil, nil))

	var h healthResponse
	require.Equal(t, http.StatusOK, server.do("GET", "/healthz", nil, &h))
	assert.Zero(t, h.ModelVersion)
	assert.Empty(t, h.ModelFitAt)

	snap, err := os.ReadFile(filepath.Join(dir, "fitter.snap"))
	require.NoError(t, err)
	corrupt := bytes.Clone(snap)
	corrupt[len(corrupt)/2] ^= 1
	status, body := server.raw("POST", "/v1/reload", testToken, "application/octet-stream", corrupt)
	assert.Equal(t, http.StatusBadRequest, status, "%s", body)
	status, _ = server.raw("POST", "/v1/reload", "", "application/octet-stream", snap)
	assert.Equal(t, http.StatusUnauthorized, status)

	var rr reloadResponse
	status, body = server.raw("POST", "/v1/reload", testToken, "application/octet-stream", snap)
	require.Equal(t, http.StatusOK, status, "%s", body)
	require.NoError(t, json.Unmarshal(body, &rr))
	assert.Equal(t, uint64(1), rr.ModelVersion)
	require.Equal(t, http.StatusOK, server.do("GET", "/healthz", nil, &h))
	assert.Equal(t, uint64(1), h.ModelVersion)
	assert.Equal(t, now.Format(time.RFC3339), h.ModelFitAt)
	for _, id := range []string{"s-li", "s-chen", "s-smith", "job-00", "job-03"} {
		_, want := fitter.recommend(id, "?n=10&dry_run=true")
		_, got := server.recommend(id, "?n=10&dry_run=true")
		assert.Equal(t, scored(want), scored(got), id)
	}

	// The second save trims through the first's offset: a Read from
	// before it fails, one from after it does not.
	first := rr.JournalOffset
	fitter.refit()
	require.Equal(t, http.StatusOK, fitter.do("POST", "/v1/snapshot", nil, nil))
	rdb := redis.NewClient(&redis.Options{Addr: rs.Addr})
	defer rdb.Close()
	j, err := redisstore.NewJournal(rdb, redisstore.Config{Namespace: "reload"})
	require.NoError(t, err)
	_, err = j.Read(context.Background(), twoway.Offset{}, 10)
	require.ErrorIs(t, err, twoway.ErrJournalTrimmed)
	mark, err := rdb.Get(context.Background(), j.Key()+":trimmed").Result()
	require.NoError(t, err)
	assert.LessOrEqual(t, must(twoway.ParseOffset(mark)).Compare(must(twoway.ParseOffset(first))), 0,
		"trimmed through the first snapshot's offset at most")
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
