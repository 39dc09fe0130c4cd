// Package realdata finds the real evaluation data (../shared/data beside the
// repository, or the directory named by $TWOWAY_DATA) for tests, benchmarks
// and reports. The data is never committed into the repository.
//
// The data directory holds speeddating/ and jobs-zh/ (its README.md tells
// where each file comes from); [Files] lists the files the tests read.
// Tests that need one call [Require], which skips with a message naming the
// file, what it is, where it was looked for and how to provide it.
package realdata

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// EnvVar names the environment variable that overrides the data directory.
const EnvVar = "TWOWAY_DATA"

// files describes the files of the data directory that tests read.
var files = map[string]string{
	"speeddating/speed_dating_waves01-14.csv":   "the Columbia speed-dating experiment (Fisman & Iyengar, 2002–2004), waves 1–14: real two-sided decisions",
	"jobs-zh/boss_2019_java.csv":                "Java postings crawled from BOSS直聘 in 2019",
	"jobs-zh/boss_2024_java_nanjing.csv":        "Java postings in 南京 crawled from BOSS直聘 in 2024",
	"jobs-zh/lagou_2017_data_analyst.csv":       "data-analyst postings crawled from 拉勾 in 2017",
	"jobs-zh/lagou_2019_data_analyst.csv":       "data-analyst postings crawled from 拉勾 in 2019, with the recruiters' resumeProcessRate",
	"jobs-zh/lagou_2019_java.csv":               "Java postings crawled from 拉勾 in 2019",
	"jobs-zh/zhilian_2020_python_beijing.jsonl": "Python postings in 北京 with their full text, crawled from 智联招聘 in 2020",
}

// Files returns the paths, inside the data directory, of the real data
// files the tests read, sorted.
func Files() []string { return slices.Sorted(maps.Keys(files)) }

// Describe says what the data file rel is and where it comes from, or ""
// for a file Files does not list.
func Describe(rel string) string { return files[rel] }

// Dir returns the data directory (the one holding speeddating/ and jobs-zh/)
// and whether it exists. It looks at $TWOWAY_DATA first, then for
// shared/data in the working directory and each of its parents.
func Dir() (string, bool) {
	if d := os.Getenv(EnvVar); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d, true
		}
		return d, false
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for d := wd; ; d = filepath.Dir(d) {
		c := filepath.Join(d, "shared", "data")
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c, true
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// Path returns the path of rel (e.g. "speeddating/speed_dating_waves01-14.csv")
// inside the data directory and whether that file exists.
func Path(rel string) (string, bool) {
	d, ok := Dir()
	if !ok {
		return "", false
	}
	p := filepath.Join(d, filepath.FromSlash(rel))
	_, err := os.Stat(p)
	return p, err == nil
}

// Require returns the path of rel, or skips the test or benchmark with
// [Missing]'s message when the file is absent.
func Require(tb testing.TB, rel string) string {
	tb.Helper()
	p, ok := Path(rel)
	if !ok {
		tb.Skip(Missing(rel))
	}
	return p
}

// Missing is the message of a test skipped for want of rel: which file,
// what it is, where it was looked for, and how to provide it.
func Missing(rel string) string {
	var b strings.Builder
	b.WriteString("real data " + rel + " not found")
	if what := Describe(rel); what != "" {
		b.WriteString(" (" + what + ")")
	}
	wd, _ := os.Getwd()
	switch d, ok := Dir(); {
	case os.Getenv(EnvVar) != "" && !ok:
		b.WriteString(": $" + EnvVar + " is " + d + ", which is not a directory")
	case ok:
		b.WriteString(": not in " + d)
	default:
		b.WriteString(": no shared/data in " + wd + " or any directory above it, and $" + EnvVar + " is not set")
	}
	b.WriteString("; put the shared data directory (speeddating/, jobs-zh/; its README.md says where each file comes from) at ../shared/data beside the repository, or set $" + EnvVar + " to it")
	return b.String()
}
