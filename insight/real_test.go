package insight

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/internal/realdata"
	"github.com/twowayrec/twoway/market"
)

// jobsZh returns the real postings directory or skips.
func jobsZh(t testing.TB) string {
	t.Helper()
	return filepath.Dir(realdata.Require(t, "jobs-zh/boss_2024_java_nanjing.csv"))
}

// loadJobsZh loads every real posting file (duplicates across files dropped
// by the loader) or skips.
func loadJobsZh(t testing.TB) []market.Profile {
	t.Helper()
	ps, _, err := market.LoadPostingDir(jobsZh(t))
	require.NoError(t, err)
	require.NotEmpty(t, ps)
	return ps
}

// TestRealSalaryLeaveOneOut predicts every real posting's pay from the
// others, pooled over all files and per file, against the city median.
func TestRealSalaryLeaveOneOut(t *testing.T) {
	dir := jobsZh(t)
	ps := loadJobsZh(t)
	m, err := New(Config{}, ps, nil)
	require.NoError(t, err)
	ev, err := m.EvaluateSalary()
	require.NoError(t, err)
	t.Logf("pooled (%d postings, %+v): suggestion MAE %.0f (%.1f%%), city-median baseline MAE %.0f (%.1f%%), P25–P75 coverage %.3f",
		ev.Postings, m.Stats(), ev.MedianAbsError, 100*ev.MedianAbsPctError, ev.BaselineMedianAbsError, 100*ev.BaselineMedianAbsPctError, ev.Coverage)
	assert.Greater(t, ev.Postings, 10000)
	assert.Less(t, ev.MedianAbsError, 0.8*ev.BaselineMedianAbsError)
	assert.InDelta(t, 0.5, ev.Coverage, 0.15)

	// The chain the issue names first (title before city), for comparison.
	issue, err := build(Config{}, ps, nil, []salaryLevel{byTitle | byCity | byExp | byEdu, byTitle | byCity | byExp, byTitle | byCity, byTitle, byCity, 0})
	require.NoError(t, err)
	ie, err := issue.EvaluateSalary()
	require.NoError(t, err)
	t.Logf("pooled, title before city: MAE %.0f (%.1f%%), coverage %.3f", ie.MedianAbsError, 100*ie.MedianAbsPctError, ie.Coverage)
	assert.LessOrEqual(t, ev.MedianAbsError, ie.MedianAbsError)

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		if _, err := market.PostingFormatOf(e.Name()); err != nil {
			continue
		}
		ps, _, err := market.LoadPostingFile(filepath.Join(dir, e.Name()), market.PostingConfig{})
		require.NoError(t, err)
		m, err := New(Config{}, ps, nil)
		require.NoError(t, err)
		ev, err := m.EvaluateSalary()
		require.NoError(t, err)
		t.Logf("%-36s %5d postings: suggestion MAE %6.0f (%4.1f%%)  baseline MAE %6.0f (%4.1f%%)  coverage %.3f",
			e.Name(), ev.Postings, ev.MedianAbsError, 100*ev.MedianAbsPctError, ev.BaselineMedianAbsError, 100*ev.BaselineMedianAbsPctError, ev.Coverage)
		assert.LessOrEqual(t, ev.MedianAbsError, ev.BaselineMedianAbsError, e.Name())
	}
}

// formatRequirements writes a JD-assistant answer for a log.
func formatRequirements(r Requirements) string {
	var b strings.Builder
	fmt.Fprintf(&b, "scope %+v; %d list skills, %d list tags\n", r.Scope, r.WithSkills, r.WithTags)
	list := func(name string, fs []Frequency) {
		parts := make([]string, 0, len(fs))
		for _, f := range fs {
			parts = append(parts, fmt.Sprintf("%s %.0f%%", f.Name, 100*f.Share))
		}
		fmt.Fprintf(&b, "%s: %s\n", name, strings.Join(parts, ", "))
	}
	list("skills", r.Skills)
	list("tags", r.Tags)
	list("experience", r.Experience)
	list("education", r.Education)
	fmt.Fprintf(&b, "pay (%d priced): P25 %.0f  P50 %.0f  P75 %.0f\n", r.Pay.Count, r.Pay.P25, r.Pay.P50, r.Pay.P75)
	for _, rule := range r.Rules {
		fmt.Fprintf(&b, "rule %v\n", rule)
	}
	return b.String()
}

func TestRealRequirements(t *testing.T) {
	m, err := New(Config{}, loadJobsZh(t), nil)
	require.NoError(t, err)
	for _, q := range []struct {
		query RequirementsQuery
		skill string // must be among the top skills
	}{
		{RequirementsQuery{Title: "数据分析师", City: "北京"}, "SQL"},
		{RequirementsQuery{Title: "Java开发工程师", City: "南京"}, "Java"},
	} {
		r, err := m.Requirements(q.query)
		require.NoError(t, err)
		t.Logf("JD assistant for %s in %s:\n%s", q.query.Title, q.query.City, formatRequirements(r))
		assert.False(t, r.Scope.CityWidened)
		assert.GreaterOrEqual(t, r.Scope.Postings, 50)
		assert.True(t, slices.ContainsFunc(r.Skills[:min(5, len(r.Skills))], func(f Frequency) bool {
			return strings.EqualFold(f.Name, q.skill)
		}), "%s among the top skills of %v", q.skill, r.Skills)
		assert.NotEmpty(t, r.Education)
		assert.NotEmpty(t, r.Experience)
		assert.Greater(t, r.Pay.P50, 5000.0)
	}
	_, err = m.Requirements(RequirementsQuery{Title: "宇航员", City: "北京"})
	assert.ErrorIs(t, err, ErrUnknownTitle)
	t.Logf("unknown title: %v", err)
}

func TestRealCityIndustryStructure(t *testing.T) {
	m, err := New(Config{}, loadJobsZh(t), nil)
	require.NoError(t, err)
	cs := m.Cities()
	require.NotEmpty(t, cs)
	for _, city := range []string{"北京", "南京"} {
		v, err := m.City(city)
		require.NoError(t, err)
		var b strings.Builder
		fmt.Fprintf(&b, "%s: %d postings, %d companies\n", v.City, v.Postings, v.Companies)
		for _, ind := range v.Industries {
			fmt.Fprintf(&b, "  %-12s %5d postings (%4.1f%%) %4d companies, pay P25/P50/P75 %6.0f %6.0f %6.0f (%d priced)\n",
				ind.Industry, ind.Postings, 100*ind.Share, ind.Companies, ind.P25, ind.P50, ind.P75, ind.Paid)
		}
		fmt.Fprintf(&b, "  most posted titles:")
		for _, ts := range v.Titles[:min(8, len(v.Titles))] {
			fmt.Fprintf(&b, " %s %d (P50 %.0f);", ts.Title, ts.Postings, ts.Pay)
		}
		t.Log(b.String())
		require.NotEmpty(t, v.Industries)
		assert.Empty(t, v.Shortest, "no seekers in the real data")
	}
}

func TestRealSkillGapAndReemployment(t *testing.T) {
	m, err := New(Config{}, loadJobsZh(t), nil)
	require.NoError(t, err)
	me := market.Profile{ID: "me", Side: market.Seeker, Title: "数据分析师", City: "北京", Skills: []string{"Excel", "SQL"}}
	g, err := m.SkillGap(GapQuery{Seeker: &me, Title: "数据分析师", City: "北京"})
	require.NoError(t, err)
	require.NotEmpty(t, g.Missing)
	for _, n := range g.Missing[:min(6, len(g.Missing))] {
		t.Logf("missing %-10s share %.2f premium %+.2f gain %.3f importance %.3f", n.Skill, n.Share, n.Premium, n.Gain, n.Importance)
	}
	for _, n := range g.Have {
		t.Logf("have    %-10s share %.2f", n.Skill, n.Share)
	}
	r, err := m.Reemployment(Background{Titles: []string{"Java开发工程师"}, Skills: []string{"Java", "Spring", "MySQL"}, City: "南京"})
	require.NoError(t, err)
	for _, e := range r.Industries[:min(5, len(r.Industries))] {
		t.Logf("industry %-10s %4d postings relevance %.1f P50 %.0f", e.Name, e.Postings, e.Relevance, e.Pay)
	}
	for _, e := range r.Companies[:min(5, len(r.Companies))] {
		t.Logf("company  %-20s %4d postings relevance %.1f P50 %.0f %v", e.Name, e.Postings, e.Relevance, e.Pay, e.Titles)
	}
	assert.NotEmpty(t, r.Companies)
}
