package match_test

import (
	"context"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/rank"
	"github.com/twowayrec/twoway/sparse"
)

func TestFits(t *testing.T) {
	k := func(lo, hi float64) market.Salary { return market.Salary{Min: lo, Max: hi} }
	salary := []struct {
		name            string
		expected, offer market.Salary
		want            float64
	}{
		{"offer reaches expectation", k(20000, 25000), k(18000, 22000), 1},
		{"offer above", k(20000, 0), k(30000, 40000), 1},
		{"offer short", k(20000, 25000), k(10000, 15000), 0.75},
		{"offer with only a minimum", k(20000, 0), k(10000, 0), 0.5},
		{"negotiable", k(20000, 25000), market.Salary{Negotiable: true}, 0.5},
		{"unknown expectation", market.Salary{}, k(10000, 15000), 0.5},
	}
	for _, c := range salary {
		assert.InDelta(t, c.want, match.SalaryFit(c.expected, c.offer), 1e-12, c.name)
	}
	yrs := func(y float64) market.Range { return market.Range{Min: y, Max: y} }
	exp := []struct {
		name           string
		have, required market.Range
		want           float64
	}{
		{"within", yrs(4), market.Range{Min: 3, Max: 5}, 1},
		{"any", yrs(0), market.Range{}, 1},
		{"open above", yrs(12), market.Range{Min: 10}, 1},
		{"short by 1 of 4", yrs(3), market.Range{Min: 4, Max: 6}, 0.75},
		{"fresh graduate for 5+", yrs(0), market.Range{Min: 5}, 0},
		{"over by max+1 halves", yrs(7), market.Range{Min: 1, Max: 3}, 0.5},
	}
	for _, c := range exp {
		assert.InDelta(t, c.want, match.ExperienceFit(c.have, c.required), 1e-12, c.name)
	}
	edu := []struct {
		have, required market.Education
		want           float64
	}{
		{market.EducationMaster, market.EducationBachelor, 1},
		{market.EducationBachelor, market.EducationBachelor, 1},
		{market.EducationAssociate, market.EducationAny, 1},
		{market.EducationAny, market.EducationBachelor, 0.5},
		{market.EducationAssociate, market.EducationBachelor, 2.0 / 3},
		{market.EducationPrimary, market.EducationDoctorate, 0},
	}
	for _, c := range edu {
		assert.InDelta(t, c.want, match.EducationFit(c.have, c.required), 1e-12, "%v for %v", c.have, c.required)
	}
}

func catalogPair(t *testing.T) *match.Catalog {
	c := match.NewCatalog(match.CatalogConfig{FeatureName: func(s market.Side, j uint32) string { return "term" + string(rune('A'+j)) }})
	seeker := match.Content{
		Side: market.Seeker, Vector: sparse.Vector{Idx: []uint32{0, 2}, Val: []float64{1, 0.5}},
		Skills: []string{"go", "mysql", "redis"}, Tags: []string{"远程"}, Expanded: []string{"kubernetes"},
		City: "北京", Experience: market.Range{Min: 4, Max: 4}, Education: market.EducationBachelor,
		Salary: market.Salary{Min: 20000, Max: 25000},
	}
	job := match.Content{
		Side: market.Recruiter, Vector: sparse.Vector{Idx: []uint32{1, 3}, Val: []float64{0.7, 0.7}},
		Skills: []string{"go", "kubernetes", "mysql", "grpc"}, Tags: []string{"远程", "五险一金"},
		City: "北京", Experience: market.Range{Min: 3, Max: 5}, Education: market.EducationMaster,
		Salary: market.Salary{Min: 15000, Max: 22000},
	}
	require.NoError(t, c.Set(0, seeker))
	require.NoError(t, c.Set(5, job))
	return c
}

func TestCatalogFeatures(t *testing.T) {
	c := catalogPair(t)
	x := c.Features(sparse.Vector{}, 0, 5)
	require.NoError(t, x.Check())
	// skills: {go, mysql, redis} ∩ {go, kubernetes, mysql, grpc} = 2 → 2/√12
	assert.InDelta(t, 2/math.Sqrt(12), x.Get(match.FeatureSharedSkills), 1e-12)
	// terms: seeker {go, mysql, redis, 远程, kubernetes} (5), job {go, kubernetes, mysql, grpc, 远程, 五险一金} (6):
	// 4 shared, minus 2 shared skills → 2/√30 (远程, and kubernetes by expansion)
	assert.InDelta(t, 2/math.Sqrt(30), x.Get(match.FeatureSharedTags), 1e-12)
	assert.InDelta(t, 1, x.Get(match.FeatureSameCity), 0)
	assert.InDelta(t, 1, x.Get(match.FeatureSalaryFit), 0) // 22k ≥ 20k
	assert.InDelta(t, 1, x.Get(match.FeatureExperienceFit), 0)
	assert.InDelta(t, 0.5+1.0/6, x.Get(match.FeatureEducationFit), 1e-12) // one level short: 1 − 1/3
	// then the job's content shifted
	assert.InDelta(t, 0.7, x.Get(match.NumPairFeatures+1), 0)
	assert.InDelta(t, 0.7, x.Get(match.NumPairFeatures+3), 0)

	// the same pair features in the other direction
	y := c.Features(sparse.Vector{}, 5, 0)
	for j := uint32(0); j < match.NumPairFeatures; j++ {
		assert.InDelta(t, x.Get(j), y.Get(j), 0, "pair feature %d", j)
	}
	assert.InDelta(t, 1, y.Get(match.NumPairFeatures+0), 0)
	assert.Equal(t, match.NumPairFeatures+4, c.Dim(market.Seeker)) // job content up to index 3
	assert.Equal(t, match.NumPairFeatures+3, c.Dim(market.Recruiter))

	// unknown participants have empty content; bad content is refused
	z := c.Features(sparse.Vector{}, 0, 99)
	assert.InDelta(t, 0.5, z.Get(match.FeatureSalaryFit), 0)
	assert.Equal(t, market.Side(0), c.Side(99))
	err := c.Set(1, match.Content{Side: 0})
	require.ErrorIs(t, err, match.ErrContent)
	assert.Contains(t, err.Error(), "Side")
	err = c.Set(1, match.Content{Side: market.Seeker, Vector: sparse.Vector{Idx: []uint32{3, 1}, Val: []float64{1, 1}}})
	require.ErrorIs(t, err, match.ErrContent)
	assert.Contains(t, err.Error(), "participant 1: field Vector")
	_, ok := c.Content(1)
	assert.False(t, ok, "nothing stored on error")
}

// Explain's reasons add up to the one-way match: σ(intercept + Σ
// contributions) = Match, and the words name the shared skills and the
// expanded tag.
func TestExplain(t *testing.T) {
	c := catalogPair(t)
	// a few more participants so that both sides have something to learn
	for i, sk := range [][]string{{"java"}, {"python", "sql"}, {"go", "mysql"}} {
		require.NoError(t, c.Set(uint32(1+i), match.Content{Side: market.Seeker, Skills: sk, City: "上海"}))
		require.NoError(t, c.Set(uint32(6+i), match.Content{Side: market.Recruiter, Skills: sk, City: "北京"}))
	}
	var samples []match.Sample
	for s := uint32(0); s < 4; s++ {
		for j := uint32(5); j < 9; j++ {
			x := c.Features(sparse.Vector{}, s, j)
			attended := x.Get(match.FeatureSharedSkills) > 0.3
			samples = append(samples, match.Sample{User: s, Target: j, Attended: attended, Weight: 1})
			x = c.Features(sparse.Vector{}, j, s)
			samples = append(samples, match.Sample{User: j, Target: s, Attended: x.Get(match.FeatureSharedSkills) > 0.3, Weight: 1})
		}
	}
	im, err := match.FitInterest(context.Background(), match.InterestConfig{}, c, samples)
	require.NoError(t, err)
	ex := im.Explain(match.Aggregators()[3], 0, 5, math.NaN(), math.NaN(), match.ExplainOptions{Language: "en"})
	assert.Equal(t, "harmonic", ex.Aggregator)
	assert.InDelta(t, match.Harmonic(ex.Pair), ex.TwoWay, 0)
	assert.InDelta(t, im.OneWay(0, 5), ex.Forward.Match, 0)
	assert.InDelta(t, im.OneWay(5, 0), ex.Backward.Match, 0)
	var skills *match.Reason
	for i, r := range ex.Forward.Reasons {
		if r.Kind == match.ReasonSharedSkills {
			skills = &ex.Forward.Reasons[i]
		}
		assert.Greater(t, r.Contribution, 0.0)
	}
	for _, r := range ex.Forward.Concerns {
		assert.Less(t, r.Contribution, 0.0)
	}
	require.NotNil(t, skills, "shared skills explain the seeker's interest: %+v", ex.Forward)
	assert.Equal(t, []string{"go", "mysql"}, skills.Terms)
	assert.Equal(t, "2 shared skills: go, mysql", skills.Text)
	for _, d := range []match.Direction{ex.Forward, ex.Backward} {
		for _, r := range append(append([]match.Reason{}, d.Reasons...), d.Concerns...) {
			if r.Kind == match.ReasonSharedTags {
				assert.Equal(t, []string{"kubernetes", "远程"}, r.Terms)
				assert.Equal(t, []string{"kubernetes"}, r.Expanded)
				assert.Contains(t, r.Text, "kubernetes by tag expansion")
			}
			if r.Kind == match.ReasonContent {
				assert.Regexp(t, "^term[A-D]$", r.Text)
			}
			assert.NotEmpty(t, r.Text)
		}
	}
	for _, d := range []match.Direction{ex.Forward, ex.Backward} {
		z := d.Base
		for _, r := range append(append([]match.Reason{}, d.Reasons...), d.Concerns...) {
			z += r.Contribution
		}
		assert.InDelta(t, d.Match, rank.Sigmoid(z), 1e-12, "contributions add up")
	}
	top := im.Explain(match.Aggregators()[1], 0, 5, 0.9, 0.1, match.ExplainOptions{Top: 1})
	assert.LessOrEqual(t, len(top.Forward.Reasons), 1)
	assert.LessOrEqual(t, len(top.Forward.Concerns), 1)
	assert.InDelta(t, (0.9*top.Pair.Forward+0.1*top.Pair.Backward)/1.0, top.TwoWay, 1e-12)
}
