package retrieval

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/internal/realdata"
	"github.com/twowayrec/twoway/market"
)

const lagou = `city,companyFullName,companyId,companyLabelList,companyShortName,companySize,businessZones,firstType,secondType,education,industryField,positionId,positionAdvantage,positionName,positionLables,salary,workYear
上海,甲科技有限公司,1,[],甲,50-150人,['张江'],技术,数据开发,本科,移动互联网,101,大数据平台,数据开发工程师,"['Hadoop', 'Spark']",15k-25k,3-5年
北京,乙科技有限公司,2,[],乙,50-150人,[],技术,数据分析,本科,金融,102,业务分析,数据分析师,"['SQL', '数据分析']",10k-15k,1-3年
北京,丙科技有限公司,3,[],丙,50-150人,[],技术,,本科,金融,103,无类别,数据分析师,"['SQL']",10k-15k,1-3年
`

func TestReadLagou2017(t *testing.T) {
	c, err := ReadLagou2017(strings.NewReader(lagou), "tiny")
	require.NoError(t, err)
	require.Len(t, c.Postings, 2)
	assert.Equal(t, []string{"数据开发", "数据分析"}, c.Categories)
	assert.Equal(t, 1, c.Uncategorised)
	assert.Equal(t, "tiny:101", c.Postings[0].ID)
	assert.Equal(t, []string{"hadoop", "spark"}, lower(c.Postings[0].Tags))
	_, err = ReadLagou2017(strings.NewReader("positionName,salary\nx,1k-2k\n"), "bad")
	assert.Error(t, err)
}

func lower(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strings.ToLower(s)
	}
	return out
}

func TestTermsAndQueries(t *testing.T) {
	assert.Equal(t, []string{"数据分析师", "python", "sql"}, fields("数据分析师，Python/SQL"))
	assert.Equal(t, []string{"数据", "据分", "分析", "py", "yt", "th", "ho", "on", "r"}, bigrams("数据分析 python, R"))
	p := market.Profile{ID: "j", Side: market.Recruiter, Title: "数据分析师", Skills: []string{"SQL"}, Tags: []string{"金融"}, Text: "五险一金", Registered: time.Unix(0, 0)}
	assert.Equal(t, "数据分析师。SQL。金融。五险一金", AllText(&p))
	q := QueryProfile(&p, TextOnly, "q")
	assert.Equal(t, market.Profile{ID: "q", Side: market.Seeker, Text: AllText(&p), Registered: p.Registered}, q)
	s := QueryProfile(&p, Structured, "q")
	assert.Equal(t, p.Title, s.Title)
	assert.Equal(t, p.Skills, s.Skills)
	assert.Equal(t, p.Tags, s.Tags)
	assert.Equal(t, market.Seeker, s.Side)
}

// small is a corpus of two categories whose titles and tags tell them
// apart.
func small() *Corpus {
	c := &Corpus{Source: "small"}
	kinds := []struct{ cat, title, tag string }{{"dev", "Go后端开发工程师", "Go"}, {"data", "数据分析师", "SQL"}}
	for i := range 24 {
		k := kinds[i%2]
		c.Postings = append(c.Postings, market.Profile{ID: fmt.Sprintf("small:%02d", i), Side: market.Recruiter, Title: k.title,
			Tags: []string{k.tag}, City: "上海", Text: "五险一金 带薪年假", Registered: time.Date(2017, 5, 1, 0, 0, 0, 0, time.UTC)})
		c.Categories = append(c.Categories, k.cat)
	}
	return c
}

func TestEvaluateSmall(t *testing.T) {
	res, err := Evaluate(context.Background(), small(), Config{Seed: 1, Queries: 6, K: 5, Bootstrap: 50})
	require.NoError(t, err)
	assert.Equal(t, 6, res.Queries)
	assert.InDelta(t, 11.0/23, res.BaseRate, 1e-12)
	require.Len(t, res.Variants, 2)
	for _, v := range res.Variants {
		require.Len(t, v.Rankers, 5)
		assert.Equal(t, "Engine", v.Rankers[0].Name)
		assert.LessOrEqual(t, v.Returned, 5.0)
		for _, r := range v.Rankers {
			assert.True(t, r.Precision.Mean >= 0 && r.Precision.Mean <= 1, "%s %s", v.Variant, r.Name)
			assert.LessOrEqual(t, r.Precision.Lo, r.Precision.Mean+1e-12)
			assert.GreaterOrEqual(t, r.Precision.Hi, r.Precision.Mean-1e-12)
		}
		assert.Zero(t, v.Rankers[0].EngineMinus.Mean)
		assert.Equal(t, 1.0, v.Rankers[1].Precision.Mean, "text TF-IDF separates the two kinds by title and tags")
	}
	for i := 1; i < 5; i++ {
		a, b := res.Variants[0].Rankers[i], res.Variants[1].Rankers[i]
		assert.Equal(t, a.Precision, b.Precision, "%s reads all words in either form", a.Name)
		assert.Equal(t, a.NDCG, b.NDCG, a.Name)
	}
}

// TestRealLagou2017 runs the task on the real lagou 2017 postings (small
// sizes; the report runs the full one).
func TestRealLagou2017(t *testing.T) {
	p, ok := realdata.Path(Lagou2017File)
	if !ok {
		t.Skipf("real data absent: this test needs %s", Lagou2017Source)
	}
	c, err := OpenLagou2017(p)
	require.NoError(t, err)
	assert.Greater(t, len(c.Postings), 4000)
	res, err := Evaluate(context.Background(), c, Config{Seed: 1, Queries: 40, Bootstrap: 50})
	require.NoError(t, err)
	assert.Greater(t, res.Categories, 20)
	for _, v := range res.Variants {
		for _, r := range v.Rankers {
			t.Logf("real (%s): %s, %s: P@10 %.3f", Lagou2017File, v.Variant, r.Name, r.Precision.Mean)
		}
		assert.Greater(t, v.Rankers[1].Precision.Mean, 2*res.BaseRate, "text TF-IDF beats the base rate")
	}
}
