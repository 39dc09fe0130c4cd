package text

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/sparse"
)

var corpus = [][]string{
	{"java", "spring boot", "mysql", "java"},
	{"python", "数据分析", "sql"},
	{"java", "redis"},
	{"python", "机器学习"},
}

func TestWeightingTFIDF(t *testing.T) {
	w, err := FitWeighting(corpus, WeightingConfig{Unnormalized: true})
	require.NoError(t, err)
	assert.Equal(t, 8, w.Len())
	j, ok := w.Index("java")
	require.True(t, ok)
	assert.Equal(t, "java", w.Term(j))
	assert.Equal(t, 2, w.DF(j))
	idfJava := math.Log(5.0/3.0) + 1
	idfMySQL := math.Log(5.0/2.0) + 1
	v := w.Vectorize(sparse.Vector{}, []string{"java", "mysql", "java", "unknown"})
	require.NoError(t, v.Check())
	assert.InDelta(t, 2*idfJava, v.Get(j), 1e-12)
	m, _ := w.Index("mysql")
	assert.InDelta(t, idfMySQL, v.Get(m), 1e-12)
	assert.Equal(t, 2, v.Len())
	assert.Equal(t, []string{"java", "mysql"}, w.Keywords([]string{"mysql", "java", "java"}, 5))
}

func TestWeightingBM25Normalized(t *testing.T) {
	w, err := FitWeighting(corpus, WeightingConfig{Scheme: BM25})
	require.NoError(t, err)
	v := w.Vectorize(sparse.Vector{}, []string{"python", "sql", "sql"})
	require.NoError(t, v.Check())
	assert.InDelta(t, 1, v.Norm(), 1e-12)
	// BM25 by hand, before normalisation.
	n, avg := 4.0, 11.0/4.0
	idf := func(df float64) float64 { return math.Log(1 + (n-df+0.5)/(df+0.5)) }
	norm := 1 - 0.75 + 0.75*3/avg
	py := idf(2) * 1 * 2.2 / (1 + 1.2*norm)
	sq := idf(1) * 2 * 2.2 / (2 + 1.2*norm)
	s, _ := w.Index("sql")
	assert.InDelta(t, sq/math.Hypot(py, sq), v.Get(s), 1e-12)
}

func TestWeightingConfigErrors(t *testing.T) {
	for _, cfg := range []WeightingConfig{{Scheme: 9}, {MinDF: -1}, {MaxDF: 2}, {MaxTerms: -1}, {K1: math.NaN()}, {B: 2}} {
		_, err := FitWeighting(corpus, cfg)
		var ce *ConfigError
		assert.ErrorAs(t, err, &ce, "%+v", cfg)
	}
	w, err := FitWeighting(corpus, WeightingConfig{MinDF: 2})
	require.NoError(t, err)
	assert.Equal(t, 2, w.Len()) // java, python
	w, err = FitWeighting(corpus, WeightingConfig{MaxTerms: 1})
	require.NoError(t, err)
	assert.Equal(t, "java", w.Term(0))
}

func TestVectorizeReusesBuffer(t *testing.T) {
	w, err := FitWeighting(corpus, WeightingConfig{})
	require.NoError(t, err)
	buf := sparse.Vector{Idx: make([]uint32, 0, 16), Val: make([]float64, 0, 16)}
	allocs := testing.AllocsPerRun(100, func() {
		buf = w.Vectorize(buf, []string{"java", "sql", "java", "redis", "nope"})
	})
	assert.Zero(t, allocs)
	assert.Equal(t, 3, buf.Len())
}

func profile(id string, side market.Side, title, city string, edu market.Education, exp market.Range, sal market.Salary, skills ...string) market.Profile {
	return market.Profile{ID: id, Side: side, Title: title, City: city, Education: edu, Experience: exp, Salary: sal,
		Skills: skills, Registered: time.Unix(0, 0)}
}

func TestEncoder(t *testing.T) {
	profiles := []market.Profile{
		profile("j1", market.Recruiter, "Java开发工程师", "南京", market.EducationBachelor, market.Range{Min: 3, Max: 5}, market.Salary{Min: 15000, Max: 25000}, "Java", "SpringBoot"),
		profile("j2", market.Recruiter, "数据分析师", "北京", market.EducationMaster, market.Range{Min: 1, Max: 3}, market.Salary{Min: 8000, Max: 12000}, "SQL", "数据分析"),
		profile("s1", market.Seeker, "Java工程师", "南京", market.EducationBachelor, market.Range{Min: 4, Max: 4}, market.Salary{Min: 18000, Max: 20000}, "java", "Spring Boot", "MySQL"),
		profile("s2", market.Seeker, "数据分析", "北京", market.EducationAssociate, market.Range{Min: 2, Max: 2}, market.Salary{Min: 9000, Max: 10000}, "sql"),
	}
	profiles[0].Text = "负责后端开发，熟悉Redis"
	profiles[2].Text = "三年Java后端开发经验，熟悉Redis和MySQL"
	profiles[0].Industry = "互联网,金融"
	enc, err := NewEncoder(profiles, EncoderConfig{})
	require.NoError(t, err)
	vecs := make([]sparse.Vector, len(profiles))
	for i := range profiles {
		vecs[i] = enc.Encode(sparse.Vector{}, &profiles[i])
		require.NoError(t, vecs[i].Check())
	}
	// The Java seeker fits the Java posting better than the analyst posting.
	assert.Greater(t, sparse.Dot(vecs[2], vecs[0]), sparse.Dot(vecs[2], vecs[1]))
	assert.Greater(t, sparse.Dot(vecs[3], vecs[1]), sparse.Dot(vecs[3], vecs[0]))
	// Named features.
	i, ok := enc.Index(Feature{KindSkill, "spring boot"})
	require.True(t, ok)
	assert.Equal(t, "skill: spring boot", enc.Feature(i).String())
	assert.Positive(t, vecs[0].Get(i))
	assert.Positive(t, vecs[2].Get(i))
	c, ok := enc.Index(Feature{KindCity, "南京"})
	require.True(t, ok)
	assert.InDelta(t, DefaultWeights().City, vecs[0].Get(c), 1e-12)
	// Education: the bachelor seeker meets the bachelor posting, the
	// associate seeker does not meet the master posting.
	e, _ := enc.Index(Feature{KindEducation, ">=bachelor"})
	assert.Positive(t, vecs[2].Get(e)*vecs[0].Get(e))
	m, _ := enc.Index(Feature{KindEducation, ">=master"})
	assert.Zero(t, vecs[3].Get(m))
	// Text terms are in the space too.
	r, ok := enc.Index(Feature{KindText, "redis"})
	require.True(t, ok)
	assert.Equal(t, Feature{KindText, "redis"}, enc.Feature(r))
	// Determinism.
	again := enc.Encode(sparse.Vector{}, &profiles[2])
	assert.Equal(t, vecs[2], again)

	_, err = NewEncoder(profiles, EncoderConfig{Weights: Weights{City: -1}})
	assert.ErrorContains(t, err, "Weights.city")
}

func TestOverlap(t *testing.T) {
	for _, tc := range []struct {
		a, b market.Range
		want float64
	}{
		{market.Range{Min: 3, Max: 5}, market.Range{Min: 4, Max: 4}, 1},
		{market.Range{Min: 3, Max: 5}, market.Range{Min: 1, Max: 3}, 0},
		{market.Range{Min: 1, Max: 5}, market.Range{Min: 3, Max: 7}, 0.5},
		{market.Range{Min: 10}, market.Range{Min: 12, Max: 12}, 1},
		{market.Range{Min: 1, Max: 2}, market.Range{Min: 3, Max: 4}, 0},
		{market.Range{}, market.Range{Min: 3, Max: 4}, 0},
	} {
		assert.InDelta(t, tc.want, ExperienceOverlap(tc.a, tc.b), 1e-12, "%v %v", tc.a, tc.b)
		assert.InDelta(t, tc.want, ExperienceOverlap(tc.b, tc.a), 1e-12)
	}
	assert.InDelta(t, 0.5, SalaryOverlap(market.Salary{Min: 10000, Max: 20000}, market.Salary{Min: 15000, Max: 30000}), 1e-12)
	assert.Zero(t, SalaryOverlap(market.Salary{Negotiable: true}, market.Salary{Min: 1, Max: 2}))
}

func TestBandMass(t *testing.T) {
	m := bandMass(experienceBands, 2, 4, true)
	assert.InDeltaSlice(t, []float64{0, 0.5, 0.5, 0, 0}, m, 1e-12)
	m = bandMass(experienceBands, 5, 0, false)
	assert.InDeltaSlice(t, []float64{0, 0, 0, 0.5, 0.5}, m, 1e-12)
	m = bandMass(experienceBands, 12, 12, true)
	assert.InDeltaSlice(t, []float64{0, 0, 0, 0, 1}, m, 1e-12)
}

func TestExtractSkills(t *testing.T) {
	tk := DefaultTokenizer()
	texts := []string{
		"负责Python爬虫开发，熟悉Scrapy框架，工作地点北京",
		"负责数据分析，熟悉SQL，工作地点北京",
		"负责Java后端开发，工作地点上海",
		"Applicants are required to know Svelte and Deno; based in Austin.",
		"Required: Python and SQL; based in Austin.",
	}
	docs := make([][]string, len(texts))
	for i, s := range texts {
		docs[i] = tk.Terms(s)
	}
	w, err := FitWeighting(docs, WeightingConfig{})
	require.NoError(t, err)
	in := texts[0]
	dict := ExtractSkills(tk, nil, in, 5)
	assert.Equal(t, tk.Skills(in), dict)
	assert.Contains(t, dict, "python")
	got := ExtractSkills(tk, w, in, 5)
	assert.Equal(t, dict, got[:len(dict)])
	for _, kw := range got[len(dict):] {
		assert.NotContains(t, []string{"负责", "熟悉", "工作", "地点", "北京"}, kw, "verbs, job-ad words and places are not skills")
	}
	en := ExtractSkills(tk, w, texts[3], 5)
	assert.ElementsMatch(t, []string{"svelte", "deno"}, en, "Latin names capitalised mid-sentence; not applicants, required, based, Austin")
}

func TestEncoderConcurrent(t *testing.T) {
	profiles := []market.Profile{
		profile("j1", market.Recruiter, "Python爬虫工程师", "北京", market.EducationBachelor, market.Range{Min: 1, Max: 3}, market.Salary{Min: 10000, Max: 20000}, "Python", "Scrapy"),
		profile("s1", market.Seeker, "数据分析", "北京", market.EducationMaster, market.Range{Min: 2, Max: 2}, market.Salary{Min: 12000, Max: 15000}, "SQL", "Excel"),
	}
	profiles[0].Text = "负责数据抓取，熟悉Redis、MongoDB"
	profiles[1].Tags = []string{"五险一金"}
	rules, err := MineRules([][]string{{"python", "爬虫"}, {"python", "爬虫"}, {"sql", "excel"}}, RuleConfig{MinSupport: 0.5})
	require.NoError(t, err)
	enc, err := NewEncoder(profiles, EncoderConfig{Rules: rules, AttributeScale: map[string]float64{"age": 10}})
	require.NoError(t, err)
	want := []sparse.Vector{enc.Encode(sparse.Vector{}, &profiles[0]), enc.Encode(sparse.Vector{}, &profiles[1])}
	// Rule expansion adds 爬虫 to the posting's tags, weighted by confidence.
	i, ok := enc.Index(Feature{KindTag, "爬虫"})
	require.True(t, ok)
	assert.Positive(t, want[0].Get(i))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			var buf sparse.Vector
			for k := range 40 {
				p := (g + k) % 2
				buf = enc.Encode(buf, &profiles[p])
				assert.Equal(t, want[p], buf)
			}
		})
	}
	wg.Wait()
}

func TestEncoderCategoricalIDF(t *testing.T) {
	var ps []market.Profile
	for i := range 10 {
		p := profile(strconv.Itoa(i), market.Seeker, "", "", 0, market.Range{}, market.Salary{}, "开发")
		if i == 0 {
			p.Skills = append(p.Skills, "Rust")
		}
		ps = append(ps, p)
	}
	for _, idf := range []bool{false, true} {
		enc, err := NewEncoder(ps, EncoderConfig{CategoricalIDF: idf})
		require.NoError(t, err)
		v := enc.Encode(sparse.Vector{}, &ps[0])
		common, _ := enc.Index(Feature{KindSkill, "开发"})
		rare, _ := enc.Index(Feature{KindSkill, "rust"})
		if !idf {
			assert.InDelta(t, v.Get(common), v.Get(rare), 1e-12)
			continue
		}
		// idf(开发) = ln(11/11)+1 = 1, idf(rust) = ln(11/2)+1.
		assert.InDelta(t, math.Log(11.0/2)+1, v.Get(rare)/v.Get(common), 1e-9)
		assert.InDelta(t, DefaultWeights().Skills, math.Hypot(v.Get(rare), v.Get(common)), 1e-9)
	}
}

// TestEncodeIsTheSameEveryTime: a profile's attributes are a map, whose
// order changes between iterations; the encoding must not (the block
// norm used to be summed in the map's order, so the same profile encoded
// to vectors that differed in their last bits, and models fitted on them
// differed by 1e-5 from one run to the next).
func TestEncodeIsTheSameEveryTime(t *testing.T) {
	names := []string{"age", "income", "attractive", "sincere", "intelligence", "fun", "ambition", "shared", "imprace", "imprelig", "date", "go_out"}
	vals := []float64{27, 1e-7, 3.3, 0.7, 1e3, 8.1, 0.003, 6.25, 9, 2.2, 5.5, 7.75}
	var ps []market.Profile
	for k := range 5 {
		attrs := map[string]float64{}
		for i := range names {
			attrs[names[(i+k)%len(names)]] = vals[(i+k)%len(vals)]
		}
		ps = append(ps, market.Profile{ID: fmt.Sprint("p", k), Side: market.Seeker, City: "北京", Attributes: attrs, Skills: []string{"sql", "python"}})
	}
	enc, err := NewEncoder(ps, EncoderConfig{})
	require.NoError(t, err)
	want := enc.Encode(sparse.Vector{}, &ps[0])
	require.Positive(t, len(want.Idx))
	for range 200 {
		p := ps[0]
		p.Attributes = map[string]float64{}
		for _, i := range rand.Perm(len(names)) { // insertion order varies too
			p.Attributes[names[i]] = ps[0].Attributes[names[i]]
		}
		got := enc.Encode(sparse.Vector{}, &p)
		require.Equal(t, want.Idx, got.Idx)
		for i := range want.Val {
			require.Equal(t, math.Float64bits(want.Val[i]), math.Float64bits(got.Val[i]), "value %d: %v and %v", i, want.Val[i], got.Val[i])
		}
	}
}

func TestKeywordsNonPositiveK(t *testing.T) {
	w, err := FitWeighting([][]string{{"go", "java"}, {"go"}}, WeightingConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{-1, 0, math.MinInt} {
		if got := w.Keywords([]string{"go", "java"}, k); got == nil || len(got) != 0 {
			t.Errorf("Keywords(k=%d) = %#v, want an empty slice", k, got)
		}
	}
	if got := w.Keywords([]string{"go", "java"}, math.MaxInt); len(got) != 2 {
		t.Errorf("Keywords(k=MaxInt) = %v", got)
	}
}
