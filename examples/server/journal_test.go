package main

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
