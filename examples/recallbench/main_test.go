package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/internal/synth"
)

var update = flag.Bool("update", false, "rewrite the sample files in sample/")

// sampleConfig is the simulated market of the sample files: small enough
// to commit (a few hundred KB), large enough for every strategy to find
// something.
var sampleConfig = synth.Config{Seed: 3, Seekers: 120, Jobs: 40, Events: 4000, Days: 14}

// sampleFiles returns the sample files, by name: profiles.jsonl (one
// market.Profile per line) and events.csv (actor,target,action,time), the
// formats a user would bring.
func sampleFiles(t *testing.T) map[string][]byte {
	t.Helper()
	m, err := synth.Generate(sampleConfig)
	require.NoError(t, err)
	var pj bytes.Buffer
	for _, p := range m.Profiles {
		b, err := json.Marshal(p)
		require.NoError(t, err)
		pj.Write(append(b, '\n'))
	}
	var ec bytes.Buffer
	ec.WriteString("actor,target,action,time\n")
	for _, e := range m.Events {
		fmt.Fprintf(&ec, "%s,%s,%s,%s\n", e.Actor, e.Target, e.Action, e.Time.UTC().Format(time.RFC3339))
	}
	return map[string][]byte{"profiles.jsonl": pj.Bytes(), "events.csv": ec.Bytes()}
}

// The committed sample files are what internal/synth generates for
// sampleConfig, byte for byte (go generate, or go test -run
// TestSampleFiles -update, rewrites them), and stay small.
func TestSampleFiles(t *testing.T) {
	total := 0
	for name, want := range sampleFiles(t) {
		path := filepath.Join("sample", name)
		if *update {
			require.NoError(t, os.MkdirAll("sample", 0o755))
			require.NoError(t, os.WriteFile(path, want, 0o644))
		}
		got, err := os.ReadFile(path)
		require.NoError(t, err, "go test -run TestSampleFiles -update writes it")
		assert.True(t, bytes.Equal(want, got), "%s differs from what internal/synth generates: run go generate in examples/recallbench", path)
		total += len(got)
	}
	assert.Less(t, total, 400<<10, "the sample files stay a few hundred KB")
}

// readmeCommands returns the shell commands of README.md's sh blocks.
func readmeCommands(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	var cmds []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case line == "```sh":
			in = true
		case line == "```":
			in = false
		case in && strings.TrimSpace(line) != "":
			cmds = append(cmds, strings.TrimSpace(line))
		}
	}
	return cmds
}

// readmeBlock returns the first plain ``` block of README.md after the
// line that starts with after.
func readmeBlock(t *testing.T, after string) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	require.NoError(t, err)
	s := string(b)
	i := strings.Index(s, "\n"+after)
	require.GreaterOrEqual(t, i, 0, "README.md has no line starting %q", after)
	s = s[i:]
	start := strings.Index(s, "\n```\n")
	require.GreaterOrEqual(t, start, 0)
	s = s[start+5:]
	end := strings.Index(s, "```\n")
	require.GreaterOrEqual(t, end, 0)
	return s[:end]
}

// Every command of the README, run as written from a clean clone: cd into
// this directory, then go run on the committed sample files (in process,
// through run). The README shows the output it prints, which must be
// every row per strategy and side, every metric a share in [0, 1], the
// collaborative strategies finding something, and the same table byte for
// byte on a second run.
func TestReadmeCommands(t *testing.T) {
	cmds := readmeCommands(t)
	require.NotEmpty(t, cmds)
	ran := 0
	for _, cmd := range cmds {
		switch f := strings.Fields(cmd); {
		case len(f) == 2 && f[0] == "cd":
			wd, err := os.Getwd()
			require.NoError(t, err)
			assert.True(t, strings.HasSuffix(filepath.ToSlash(wd), "/"+f[1]), "%q: the test runs in %s", cmd, wd)
		case len(f) >= 3 && f[0] == "go" && f[1] == "run" && f[2] == ".":
			var out, stderr bytes.Buffer
			require.NoError(t, run(context.Background(), f[3:], &out, &stderr), "%s: %s", cmd, stderr.String())
			assert.Equal(t, readmeBlock(t, "This is the command"), out.String(), "README.md shows what %q prints", cmd)
			checkTable(t, out.String())
			var again bytes.Buffer
			require.NoError(t, run(context.Background(), f[3:], &again, &stderr))
			assert.Equal(t, out.String(), again.String(), "deterministic")
			ran++
		default:
			t.Errorf("README.md command %q: the test does not know how to run it", cmd)
		}
	}
	assert.Equal(t, 1, ran, "README.md runs the program once")
}

// checkTable checks the printed table of the sample market.
func checkTable(t *testing.T, out string) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3+14, "summary, blank line, header, 7 strategies × 2 sides")
	assert.Contains(t, lines[0], "160 profiles, 4000 events: 3200 train")
	header := strings.Fields(lines[2])
	assert.Equal(t, []string{"side", "strategy", "users", "returned", "empty", "recall@5", "recall@20", "NDCG@20", "MRR", "GAUC"}, header)
	best := map[string]float64{}
	for _, line := range lines[3:] {
		// Strategy names may hold a space ("content index"): read the
		// numbers from the right.
		f := strings.Fields(line)
		require.GreaterOrEqual(t, len(f), 10, line)
		side, name := f[0], strings.Join(f[1:len(f)-8], " ")
		assert.Contains(t, []string{"seeker", "recruiter"}, side)
		for _, cell := range f[len(f)-5:] {
			v, err := strconv.ParseFloat(cell, 64)
			require.NoError(t, err, line)
			assert.True(t, v >= 0 && v <= 1, "%s: %v out of [0,1]", line, v)
		}
		r20, _ := strconv.ParseFloat(f[len(f)-4], 64)
		r5, _ := strconv.ParseFloat(f[len(f)-5], 64)
		assert.GreaterOrEqual(t, r20, r5, "recall grows with k: %s", line)
		best[name] = max(best[name], r20)
	}
	for _, name := range []string{"content index", "user-CF", "item-CF", "Swing", "hot", "hybrid RRF", "hybrid snake"} {
		assert.Contains(t, best, name)
	}
	assert.Greater(t, best["item-CF"], 0.0)
	assert.Greater(t, best["hybrid RRF"], 0.0)
}

// CSV profiles work too, and bad input is an error naming the file and
// the record.
func TestCSVAndErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	profiles := write("profiles.csv", `id,side,title,city,skills,experience,education,salary
s1,seeker,Java后端开发,南京,Java|MySQL,3-5年,本科,15k-25k
s2,seeker,Data Analyst,北京,SQL|Python,1-3年,硕士,12k-18k
s3,seeker,Java Engineer,南京,Java|Spring,3-5年,本科,18k-25k
j1,recruiter,Java开发工程师,南京,Java|Spring Boot,3-5年,本科,18-30K·14薪
j2,recruiter,数据分析师,北京,SQL|Python,1-3年,本科,15-25K
j3,recruiter,Java架构师,南京,Java|MySQL,5-10年,本科,30-50K
`)
	var ev strings.Builder
	ev.WriteString("actor,target,action,time\n")
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	add := func(i int, a, b, act string) {
		fmt.Fprintf(&ev, "%s,%s,%s,%s\n", a, b, act, t0.Add(time.Duration(i)*time.Hour).Format(time.RFC3339))
	}
	add(0, "s1", "j1", "chat")
	add(1, "s1", "j3", "chat")
	add(2, "s3", "j1", "chat")
	add(3, "s2", "j2", "apply")
	add(4, "j1", "s1", "reply")
	add(5, "s3", "j3", "chat") // test: s3 contacts j3, which s1 (like s3) contacted; j1 answers s1 (test too)
	events := write("events.csv", ev.String())

	var out, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"-profiles", profiles, "-events", events, "-split", "0.8", "-k", "1,2"}, &out, &stderr))
	t.Logf("\n%s", out.String())
	assert.Contains(t, out.String(), "requesters with a relevant test candidate: 1 seekers, 1 recruiters")
	for _, line := range strings.Split(out.String(), "\n") {
		if f := strings.Fields(line); len(f) > 5 && f[0] == "seeker" && f[1] == "user-CF" {
			assert.Equal(t, "1.000", f[5], "s3's neighbour s1 contacted j3: user-CF recalls it first")
		}
	}

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no files", nil, "required"},
		{"bad split", []string{"-profiles", profiles, "-events", events, "-split", "1"}, "-split"},
		{"bad k", []string{"-profiles", profiles, "-events", events, "-k", "10,x"}, "-k"},
		{"bad extension", []string{"-profiles", write("p.txt", "x"), "-events", events}, "unknown extension"},
		{"missing file", []string{"-profiles", filepath.Join(dir, "nope.csv"), "-events", events}, "nope.csv"},
		{"bad profile", []string{"-profiles", write("bad.csv", "id,side\ns1,alien\n"), "-events", events}, "bad.csv"},
		{"unknown actor", []string{"-profiles", profiles, "-events", write("ghost.csv", "actor,target,action,time\nghost,j1,view,2026-03-02T09:00:00Z\ns1,j1,view,2026-03-02T10:00:00Z\n")}, "event 1"},
		{"too few events", []string{"-profiles", profiles, "-events", write("one.csv", "actor,target,action,time\ns1,j1,view,2026-03-02T09:00:00Z\n")}, "at least 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), tc.args, &out, &stderr)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
