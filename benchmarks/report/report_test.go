package report

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/benchmarks/dating"
)

// small is a report small enough for a unit test: the Engine section
// runs two Engine contenders on a tiny market, and few text queries.
func small(seed uint64) Config {
	return Config{Seed: seed, Seekers: 300, Jobs: 80, Rounds: 3, OfflineUsers: 20,
		EngineSeekers: 100, EngineJobs: 30, EngineRounds: 2, EngineVariants: []string{"Engine default", "Engine default, exposure off"},
		TextQueries: 10, TextPostings: 300, Bootstrap: 20, DatingSeeds: 2}
}

// TestDeterministic runs the whole suite twice with the same seed and
// checks that every file (report.md and the PNG plots) is byte-identical,
// and that another seed gives another report.
func TestDeterministic(t *testing.T) {
	ctx := context.Background()
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	var progress bytes.Buffer
	require.NoError(t, Run(ctx, small(7), a, &progress))
	require.NoError(t, Run(ctx, small(7), b, nil))
	other := small(8)
	other.SkipRealData, other.SkipEngine = true, true // only "another seed, another report" is checked
	require.NoError(t, Run(ctx, other, c, nil))
	assert.Contains(t, progress.String(), "simulated", "progress lines")
	files, err := os.ReadDir(a)
	require.NoError(t, err)
	names := map[string]bool{}
	for _, f := range files {
		names[f.Name()] = true
		x, err := os.ReadFile(filepath.Join(a, f.Name()))
		require.NoError(t, err)
		y, err := os.ReadFile(filepath.Join(b, f.Name()))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(x, y), "%s differs between two runs with the same seed%s", f.Name(), firstDifference(x, y))
	}
	for _, want := range []string{"report.md", "matches_per_round.png", "lorenz_seekers.png", "lorenz_jobs.png", "recall_seekers.png", "recall_jobs.png",
		"engine_matches_warm.png", "engine_matches_cold.png"} {
		assert.True(t, names[want], "wrote %s", want)
	}
	x, _ := os.ReadFile(filepath.Join(a, "report.md"))
	z, _ := os.ReadFile(filepath.Join(c, "report.md"))
	assert.NotEqual(t, string(x), string(z), "another seed, another report")
	md := string(x)
	for _, want := range []string{"simulated", "Most mutual matches per round", "| harmonic +exposure |", "Gini seekers", "R@50",
		"## Engine", "#### warm start (simulated)", "#### cold start (simulated)", "| Engine default | engine |", "| oracle | ceiling |", "| oracle, noise hidden | observer |", "| oracle, latent hidden | observer |",
		"| content | floor |"} {
		assert.Contains(t, md, want)
	}
	if i := strings.Index(md, "### Speed dating through the Engine (real: "+dating.File+")"); i >= 0 {
		section := md[i:]
		if j := strings.Index(section[1:], "\n### "); j >= 0 {
			section = section[:j+1]
		}
		if !strings.Contains(section, "Not run:") { // the real data is there
			for _, want := range []string{"| women | forward |", "| men | backward |", "base rate's log-loss", "Reliability: in each tenth"} {
				assert.Contains(t, section, want, "the speed-dating section's calibration")
			}
		}
	}
	assert.NotContains(t, md, "| **", "the harness passed for every Engine contender")
	assert.False(t, strings.Contains(md, "NaN"), "no NaN printed")
}

// TestTinyMarket: a market so small that some metrics are undefined still
// gives a report (undefined values print as "—", plots skip them).
func TestTinyMarket(t *testing.T) {
	out := t.TempDir()
	require.NoError(t, Run(context.Background(), Config{Seed: 1, Seekers: 40, Jobs: 10, Rounds: 2, OfflineUsers: 5, SkipRealData: true,
		EngineVariants: []string{"Engine default"}}, out, nil))
	md, err := os.ReadFile(filepath.Join(out, "report.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "Skipped (Config.SkipRealData)")
	assert.Contains(t, string(md), "| Engine default | engine |")
}

// firstDifference describes the first line where two text files differ
// (nothing for binary files), so that a failure says what moved.
func firstDifference(x, y []byte) string {
	if bytes.IndexByte(x, 0) >= 0 || bytes.Equal(x, y) {
		return ""
	}
	a, b := strings.Split(string(x), "\n"), strings.Split(string(y), "\n")
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return fmt.Sprintf(": line %d\n first:  %s\n second: %s", i+1, a[i], b[i])
		}
	}
	return fmt.Sprintf(": %d lines against %d", len(a), len(b))
}
