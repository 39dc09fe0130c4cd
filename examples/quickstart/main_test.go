package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lists splits the output into the four recommendation lists, in order,
// each as the IDs it recommends.
func lists(t *testing.T, out string) [][]string {
	t.Helper()
	var all [][]string
	for _, block := range strings.Split(out, "\nFor ")[1:] {
		var ids []string
		for _, line := range strings.Split(block, "\n") {
			if f := strings.Fields(line); len(f) > 2 && strings.HasSuffix(f[0], ".") && f[2] == "two-way" {
				ids = append(ids, f[1])
			}
		}
		all = append(all, ids)
	}
	return all
}

func TestRun(t *testing.T) {
	got, err := quickstartOutput()
	require.NoError(t, err)
	assert.Contains(t, got, "A market of 10 seekers and 8 jobs with 56 past events; fitted.\n")
	ls := lists(t, got)
	require.Len(t, ls, 4, got)
	for i, l := range ls {
		assert.Len(t, l, 3, "list %d", i)
	}
	liBefore, jobBefore, liAfter, jobAfter := ls[0], ls[1], ls[2], ls[3]
	for _, l := range [][]string{liBefore, liAfter} {
		for _, id := range l {
			assert.True(t, strings.HasPrefix(id, "job-"), "a seeker gets jobs: %s", id)
		}
	}
	for _, l := range [][]string{jobBefore, jobAfter} {
		for _, id := range l {
			assert.False(t, strings.HasPrefix(id, "job-"), "a job gets seekers: %s", id)
		}
	}
	// li.wei (Java, 南京) is offered the Python job in 南京 and the Java job
	// in 上海 first; once he contacts one and the other rejects him, both go.
	assert.Contains(t, liBefore, "job-py-nj")
	assert.Contains(t, liBefore, "job-java-sh")
	assert.NotContains(t, liAfter, "job-py-nj")
	assert.NotContains(t, liAfter, "job-java-sh")
	// The Java job in 南京 is offered he.tao (Java, 南京) first; once it
	// starts a chat with him he leaves its list.
	assert.Equal(t, "he.tao", jobBefore[0])
	assert.NotContains(t, jobAfter, "he.tao")
	// Every result explains itself in both directions.
	assert.Equal(t, 12, strings.Count(got, "   why li.wei: ")+strings.Count(got, "   why job-java-nj: "))
	assert.Contains(t, got, "both in 南京")
	assert.Contains(t, got, "shared skills: java, mysql")
	assert.Contains(t, got, "you answer most contacts", "behavioural evidence has words")
	// The first result's reasons once more, in Chinese.
	assert.Contains(t, got, "\nIn Chinese (Explanation.Localize), li.wei → "+liBefore[0]+":\n   li.wei 的理由：")
	zh := got[strings.Index(got, "In Chinese (Explanation.Localize)"):]
	zh = zh[:strings.Index(zh, "\n\n")]
	assert.NotContains(t, zh, "shared", "the Chinese lines are in Chinese")
	assert.Contains(t, zh, "；")

	// The output is the same on every run.
	var again bytes.Buffer
	require.NoError(t, run(&again))
	assert.Equal(t, got, again.String())
}
