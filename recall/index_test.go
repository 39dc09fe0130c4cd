package recall_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/recall"
	"github.com/twowayrec/twoway/recall/recalltest"
	"github.com/twowayrec/twoway/text"
)

// jobMarket: seekers 0–2, jobs 10–15.
func jobMarket() map[uint32]market.Profile {
	s := func(id, title, city string, skills ...string) market.Profile {
		return market.Profile{ID: id, Side: market.Seeker, Title: title, City: city, Skills: skills, Registered: day0,
			Experience: market.Range{Min: 3, Max: 3}, Salary: market.Salary{Min: 15000, Max: 20000}, Education: market.EducationBachelor}
	}
	j := func(id, title, city, txt string, skills ...string) market.Profile {
		return market.Profile{ID: id, Side: market.Recruiter, Title: title, City: city, Skills: skills, Text: txt, Registered: day0,
			Experience: market.Range{Min: 1, Max: 5}, Salary: market.Salary{Min: 15000, Max: 30000}, Education: market.EducationBachelor}
	}
	return map[uint32]market.Profile{
		0:  s("s0", "Java开发工程师", "南京", "Java", "SpringBoot", "MySQL"),
		1:  s("s1", "数据分析师", "北京", "SQL", "Python", "数据分析"),
		2:  {ID: "s2", Side: market.Seeker, Title: "实习生", Registered: day0},
		10: j("j10", "高级Java工程师", "南京", "负责后端开发", "Java", "SpringBoot", "Redis"),
		11: j("j11", "Java后端开发", "上海", "微服务架构", "Java", "MySQL"),
		12: j("j12", "数据分析专员", "北京", "数据报表与分析", "SQL", "Excel", "数据分析"),
		13: j("j13", "Python数据工程师", "北京", "数据管道", "Python", "Spark"),
		14: j("j14", "前端开发", "南京", "Vue 页面", "JavaScript", "Vue"),
		15: j("j15", "产品经理", "深圳", "需求分析", "Axure"),
	}
}

func openIndex(t *testing.T, cfg recall.IndexConfig, profiles map[uint32]market.Profile) (*recall.Index, *recall.Population) {
	t.Helper()
	x, err := recall.OpenIndex(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { x.Close() })
	pop := &recall.Population{}
	ixs := slices.Sorted(func(yield func(uint32) bool) {
		for ix := range profiles {
			if !yield(ix) {
				return
			}
		}
	})
	var ps []market.Profile
	for _, ix := range ixs {
		p := profiles[ix]
		ps = append(ps, p)
		require.NoError(t, pop.Upsert(ix, &p))
	}
	require.NoError(t, x.UpsertBatch(ixs, ps))
	return x, pop
}

func indexRequest(t *testing.T, pop *recall.Population, u uint32, side market.Side, k int) recall.Request {
	t.Helper()
	mask, err := pop.Mask(nil, recall.Filter{Requester: u, Side: side})
	require.NoError(t, err)
	return recall.Request{Requester: u, Side: side, K: k, Allowed: mask}
}

func indices(c []recall.Candidate) []uint32 {
	out := make([]uint32, len(c))
	for i := range c {
		out[i] = c[i].Index
	}
	return out
}

func TestIndexRecallsByContent(t *testing.T) {
	x, pop := openIndex(t, recall.IndexConfig{}, jobMarket())
	n, err := x.Len()
	require.NoError(t, err)
	assert.Equal(t, 9, n)
	got, err := x.Recall(context.Background(), indexRequest(t, pop, 0, market.Seeker, 3), nil)
	require.NoError(t, err)
	require.NotEmpty(t, got)
	assert.Equal(t, uint32(10), got[0].Index, "Java in 南京 with SpringBoot: %v", got)
	assert.Contains(t, indices(got), uint32(11))
	got, err = x.Recall(context.Background(), indexRequest(t, pop, 1, market.Seeker, 2), nil)
	require.NoError(t, err)
	assert.ElementsMatch(t, []uint32{12, 13}, indices(got))
	// A recruiter finds seekers.
	got, err = x.Recall(context.Background(), indexRequest(t, pop, 12, market.Recruiter, 5), nil)
	require.NoError(t, err)
	require.NotEmpty(t, got)
	assert.Equal(t, uint32(1), got[0].Index)
	// Nothing to search with, or unknown: no result.
	for _, u := range []uint32{2, 99} {
		got, err = x.Recall(context.Background(), indexRequest(t, pop, u, market.Seeker, 5), nil)
		require.NoError(t, err)
		assert.Empty(t, got)
	}
}

func TestIndexConformance(t *testing.T) {
	x, pop := openIndex(t, recall.IndexConfig{}, jobMarket())
	recalltest.Run(t, x, indexRequest(t, pop, 0, market.Seeker, 2), indexRequest(t, pop, 1, market.Seeker, 1), indexRequest(t, pop, 10, market.Recruiter, 1))
}

func TestIndexUpdatesWhileServing(t *testing.T) {
	x, pop := openIndex(t, recall.IndexConfig{}, jobMarket())
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() { // requests keep flowing
		for {
			select {
			case <-stop:
				return
			default:
			}
			_, err := x.Recall(ctx, indexRequest(t, pop, 0, market.Seeker, 5), nil)
			assert.NoError(t, err)
		}
	})
	// j14 becomes a Java job; j10 is removed.
	p := jobMarket()[14]
	p.Title, p.Skills = "Java架构师", []string{"Java", "SpringBoot"}
	require.NoError(t, x.Upsert(14, &p))
	require.NoError(t, x.Remove(10))
	pop.Remove(10)
	close(stop)
	wg.Wait()
	got, err := x.Recall(ctx, indexRequest(t, pop, 0, market.Seeker, 5), nil)
	require.NoError(t, err)
	assert.NotContains(t, indices(got), uint32(10))
	assert.Equal(t, uint32(14), got[0].Index)
	bad := market.Profile{ID: "bad", Side: market.Recruiter}
	var fe *market.FieldError
	require.ErrorAs(t, x.Upsert(20, &bad), &fe)
}

func TestIndexOnDisk(t *testing.T) {
	dir := t.TempDir() + "/index"
	profiles := jobMarket()
	x, pop := openIndex(t, recall.IndexConfig{Path: dir}, profiles)
	want, err := x.Recall(context.Background(), indexRequest(t, pop, 0, market.Seeker, 5), nil)
	require.NoError(t, err)
	require.NoError(t, x.Close())
	y, err := recall.OpenIndex(recall.IndexConfig{Path: dir})
	require.NoError(t, err)
	defer y.Close()
	n, err := y.Len()
	require.NoError(t, err)
	assert.Equal(t, len(profiles), n, "documents survive reopening")
	got, err := y.Recall(context.Background(), indexRequest(t, pop, 0, market.Seeker, 5), nil)
	require.NoError(t, err)
	assert.Equal(t, indices(want), indices(got))
}

func TestIndexLearnedPreferencesAndRules(t *testing.T) {
	profiles := jobMarket()
	// Seeker 2 has no skills; it attended to Python/data jobs.
	interest, err := recall.NewInterest(recall.InterestConfig{})
	require.NoError(t, err)
	require.NoError(t, interest.Fit(context.Background(), slices.Values([]recall.Event{
		{Actor: 2, Target: 13, Action: market.Chat, Time: day0},
	})))
	profiles[16] = market.Profile{ID: "j16", Side: market.Recruiter, Title: "后端开发", Skills: []string{"Python", "Django"}, Registered: day0}
	x, pop := openIndex(t, recall.IndexConfig{Interest: interest}, profiles)
	got, err := x.Recall(context.Background(), indexRequest(t, pop, 2, market.Seeker, 5), nil)
	require.NoError(t, err)
	assert.ElementsMatch(t, []uint32{13, 16}, indices(got), "Python and Spark, learned from j13, reach the other Python job")
	plainLearn, popL := openIndex(t, recall.IndexConfig{}, profiles)
	got, err = plainLearn.Recall(context.Background(), indexRequest(t, popL, 2, market.Seeker, 5), nil)
	require.NoError(t, err)
	assert.Empty(t, got, "without preferences seeker 2 has nothing to search with")
	plainLearn.SetPreferences(nil, interest)
	got, err = plainLearn.Recall(context.Background(), indexRequest(t, popL, 2, market.Seeker, 5), nil)
	require.NoError(t, err)
	assert.ElementsMatch(t, []uint32{13, 16}, indices(got), "preferences set after opening")

	// Rules: Redis ⇒ MySQL; a seeker with only Redis reaches the MySQL job
	// through expansion.
	var tx [][]string
	for i := range 20 {
		tx = append(tx, []string{"Redis", "MySQL"}, []string{"Excel", fmt.Sprint("x", i)})
	}
	rules, err := text.MineRules(tx, text.RuleConfig{})
	require.NoError(t, err)
	require.NotZero(t, rules.Len())
	profiles[3] = market.Profile{ID: "s3", Side: market.Seeker, Skills: []string{"Redis"}, Registered: day0}
	y, pop2 := openIndex(t, recall.IndexConfig{Rules: rules}, profiles)
	got, err = y.Recall(context.Background(), indexRequest(t, pop2, 3, market.Seeker, 5), nil)
	require.NoError(t, err)
	assert.Equal(t, []uint32{10, 11}, indices(got), "Redis first, then MySQL by expansion")
	plain, pop3 := openIndex(t, recall.IndexConfig{}, profiles)
	got, err = plain.Recall(context.Background(), indexRequest(t, pop3, 3, market.Seeker, 5), nil)
	require.NoError(t, err)
	assert.Equal(t, []uint32{10}, indices(got), "without rules only the Redis job")
	plain.SetPreferences(rules, nil)
	got, err = plain.Recall(context.Background(), indexRequest(t, pop3, 3, market.Seeker, 5), nil)
	require.NoError(t, err)
	assert.Equal(t, []uint32{10, 11}, indices(got), "rules set after opening")
}

// TestIndexUpsertErrors checks UpsertBatch's and Upsert's errors on bad
// arguments: slices of different lengths (a panic before), an index above
// MaxIndex (a cache sized by the index before), a nil profile. Nothing is
// indexed.
func TestIndexUpsertErrors(t *testing.T) {
	x, err := recall.OpenIndex(recall.IndexConfig{})
	require.NoError(t, err)
	t.Cleanup(func() { x.Close() })
	ps := []market.Profile{jobMarket()[10], jobMarket()[11]}
	err = x.UpsertBatch([]uint32{10}, ps)
	require.ErrorContains(t, err, "1 indices for 2 profiles")
	err = x.UpsertBatch([]uint32{10, 11, 12}, ps)
	require.ErrorContains(t, err, "3 indices for 2 profiles")
	for _, ix := range []uint32{recall.MaxIndex + 1, math.MaxUint32 - 1} {
		err = x.UpsertBatch([]uint32{10, ix}, ps)
		var fe *market.FieldError
		require.ErrorAs(t, err, &fe, "index %d", ix)
		assert.ErrorIs(t, err, market.ErrOutOfRange)
		assert.Equal(t, "j11", fe.ID)
		assert.Equal(t, "index", fe.Field)
		require.ErrorAs(t, x.Upsert(ix, &ps[0]), &fe)
		assert.Equal(t, "j10", fe.ID)
	}
	require.ErrorContains(t, x.Upsert(3, nil), "nil profile")
	n, err := x.Len()
	require.NoError(t, err)
	assert.Zero(t, n)
	assert.Zero(t, x.Stats().Postings)
}
