package insight

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/text"
)

var registered = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// job returns a posting; pay 0 means 面议.
func job(id, title, company, city, industry string, pay float64, skills ...string) market.Profile {
	p := market.Profile{ID: id, Side: market.Recruiter, Title: title, Company: company, City: city,
		Industry: industry, Skills: skills, Registered: registered}
	if pay == 0 {
		p.Salary.Negotiable = true
	} else {
		p.Salary = market.Salary{Min: pay * 0.8, Max: pay * 1.2}
	}
	return p
}

func person(id, title, city string, skills ...string) market.Profile {
	return market.Profile{ID: id, Side: market.Seeker, Title: title, City: city, Skills: skills, Registered: registered}
}

func TestConfigValidation(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{K: -1}, "K"},
		{Config{Shrinkage: -1}, "Shrinkage"},
		{Config{Shrinkage: math.NaN()}, "Shrinkage"},
		{Config{MinGroup: -2}, "MinGroup"},
		{Config{MinShare: 1.5}, "MinShare"},
		{Config{MinShare: math.NaN()}, "MinShare"},
		{Config{MaxItems: -1}, "MaxItems"},
	} {
		_, err := New(tc.cfg, nil, nil)
		require.Error(t, err, tc.field)
		assert.ErrorIs(t, err, ErrConfig)
		assert.Contains(t, err.Error(), "field "+tc.field)
	}
	m, err := New(Config{}, nil, nil)
	require.NoError(t, err)
	assert.Equal(t, Config{K: 5, Shrinkage: 5, MinGroup: 10, MinShare: 0.05, MaxItems: 20, Vocabulary: text.DefaultVocabulary()}, m.cfg)
}

func TestNewRejectsInvalidProfile(t *testing.T) {
	bad := job("j1", "数据分析师", "甲", "北京", "", 10000)
	bad.Salary.Min = math.NaN()
	_, err := New(Config{}, []market.Profile{bad}, nil)
	require.Error(t, err)
	var fe *market.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "j1", fe.ID)
	assert.Equal(t, "Salary.Min", fe.Field)
}

func TestTitleKey(t *testing.T) {
	for in, want := range map[string]string{
		"数据分析师":               "数据分析师",
		"高级数据分析师（北京）":         "数据分析师",
		"数据分析师-CR2017-SH2909": "数据分析师",
		"Java开发工程师/Java架构师":   "java开发工程师",
		"中高级JAVA开发工程师【急招】":    "java开发工程师",
		"Senior Data Analyst": "dataanalyst",
		"C++ 工程师":             "c++工程师",
		"Ｊａｖａ工程师":             "java工程师",
		"":                    "",
		"()":                  "",
		"资深高级":                "",
	} {
		assert.Equal(t, want, TitleKey(in), in)
	}
}

func FuzzTitleKey(f *testing.F) {
	for _, s := range []string{"高级Java开发工程师（研发平台）", "数据分析师-CR2017", "Senior Data Analyst", "(", "高高级级", "C#/.NET"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := TitleKey(s)
		for _, r := range k {
			if !(r == '+' || r == '#' || unicode.IsDigit(r) || unicode.IsLetter(r)) {
				t.Fatalf("TitleKey(%q) = %q keeps %q", s, k, r)
			}
		}
		for _, w := range seniorityWords {
			assert.NotContains(t, k, w)
		}
		_ = titleSimilarity(k, TitleKey(s+s))
	})
}

func TestQuantileLeaveOneOut(t *testing.T) {
	s := []float64{1, 2, 3, 4, 10}
	assert.InDelta(t, 3, quantile(s, 0.5, -1), 1e-12)
	assert.InDelta(t, 2, quantile(s, 0.25, -1), 1e-12)
	for skip := range s {
		rest := append(append([]float64{}, s[:skip]...), s[skip+1:]...)
		for _, p := range []float64{0, 0.25, 0.5, 0.75, 1} {
			assert.InDelta(t, quantile(rest, p, -1), quantile(s, p, skip), 1e-12, "skip %d p %v", skip, p)
		}
	}
	assert.True(t, math.IsNaN(quantile(nil, 0.5, -1)))
	assert.True(t, math.IsNaN(quantile([]float64{1}, 0.5, 0)))
}

func TestSuggestSalaryShrinksTowardBroaderGroups(t *testing.T) {
	ps := []market.Profile{
		job("a", "数据分析师", "甲", "北京", "", 10000),
		job("b", "Java工程师", "乙", "北京", "", 20000),
		job("c", "Java工程师", "丙", "北京", "", 20000),
		job("d", "产品经理", "丁", "北京", "", 20000),
		job("e", "产品经理", "戊", "北京", "", 20000),
		job("f", "数据分析师", "己", "北京", "", 0), // 面议
	}
	m, err := New(Config{}, ps, nil)
	require.NoError(t, err)
	s, err := m.SuggestSalary(&market.Profile{Title: "高级数据分析师", City: "北京"})
	require.NoError(t, err)
	assert.Equal(t, 1, s.Comparable)
	assert.Equal(t, 1, s.Negotiable)
	assert.Equal(t, 12, s.Months)
	// Chain: t+c+x+e, t+c+x, t+c (1 posting at 10000 each), c+x, c (5 at
	// median 20000), t (1 at 10000), market (5 at 20000); w = n/(n+5).
	assert.InDelta(t, 15545.910493827161, s.P50, 1e-6)
	total := 0.0
	for _, g := range s.Basis {
		total += g.Weight
	}
	assert.InDelta(t, 1, total, 1e-12)
	assert.Equal(t, "title+city+experience+education", s.Basis[0].Scope)
	assert.InDelta(t, 1.0/6, s.Basis[0].Weight, 1e-12)

	// An exact group far larger than the prior strength dominates.
	for i := range 200 {
		ps = append(ps, job(fmt.Sprint("x", i), "数据分析师", fmt.Sprint("公司", i), "北京", "", 10000))
	}
	m, err = New(Config{}, ps, nil)
	require.NoError(t, err)
	s, err = m.SuggestSalary(&market.Profile{Title: "数据分析师", City: "北京"})
	require.NoError(t, err)
	assert.InDelta(t, 10000, s.P50, 10000*0.01)
}

func TestSuggestSalaryMonthsAndNegotiable(t *testing.T) {
	p16 := job("a", "工程师", "甲", "南京", "", 12000)
	p16.Salary.Months = 16 // pays 16000 a month in 12-month terms
	ps := []market.Profile{p16, job("b", "工程师", "乙", "南京", "", 16000)}
	m, err := New(Config{Shrinkage: 1e-9}, ps, nil)
	require.NoError(t, err)
	s, err := m.SuggestSalary(&market.Profile{Title: "工程师", City: "南京"})
	require.NoError(t, err)
	assert.InDelta(t, 16000, s.P50, 1e-3)
	assert.InDelta(t, 16000, s.P25, 1e-3)
	s, err = m.SuggestSalary(&market.Profile{Title: "工程师", City: "南京", Salary: market.Salary{Months: 16}})
	require.NoError(t, err)
	assert.Equal(t, 16, s.Months)
	assert.InDelta(t, 12000, s.P50, 1e-3, "the same yearly pay over 16 months")

	only := []market.Profile{job("n", "工程师", "甲", "南京", "", 0)}
	m, err = New(Config{}, only, nil)
	require.NoError(t, err)
	_, err = m.SuggestSalary(&market.Profile{Title: "工程师", City: "南京"})
	assert.ErrorIs(t, err, ErrNoPostings)
	assert.Equal(t, 1, m.Stats().Negotiable)
}

func TestSuggestSalaryUnknownTitleAndEmptyMarket(t *testing.T) {
	empty, err := New(Config{}, nil, nil)
	require.NoError(t, err)
	_, err = empty.SuggestSalary(&market.Profile{Title: "数据分析师"})
	assert.ErrorIs(t, err, ErrNoPostings)
	_, err = empty.EvaluateSalary()
	assert.ErrorIs(t, err, ErrNoPostings)

	m, err := New(Config{}, []market.Profile{job("a", "数据分析师", "甲", "北京", "", 10000), job("b", "数据分析师", "乙", "北京", "", 20000)}, nil)
	require.NoError(t, err)
	s, err := m.SuggestSalary(&market.Profile{Title: "宇航员", City: "北京"})
	require.NoError(t, err, "an unknown title is answered from the city")
	assert.Equal(t, 0, s.Comparable)
	assert.InDelta(t, 15000, s.P50, 1e-9)
	_, err = m.SuggestSalary(nil)
	assert.ErrorIs(t, err, ErrEmptyQuery)
}

func TestEvaluateSalaryLeavesOneOut(t *testing.T) {
	// Two postings, each is predicted from the other only.
	m, err := New(Config{}, []market.Profile{job("a", "甲", "x", "北京", "", 10000), job("b", "乙", "y", "北京", "", 20000)}, nil)
	require.NoError(t, err)
	ev, err := m.EvaluateSalary()
	require.NoError(t, err)
	assert.Equal(t, 2, ev.Postings)
	assert.InDelta(t, 10000, ev.MedianAbsError, 1e-9)
	assert.InDelta(t, 10000, ev.BaselineMedianAbsError, 1e-9)

	// Pay set by title and experience; the suggestion must beat the city median.
	r := rand.New(rand.NewPCG(1, 2))
	titles := map[string]float64{"数据分析师": 12000, "java开发工程师": 20000, "算法工程师": 30000, "测试工程师": 9000}
	names := []string{"数据分析师", "java开发工程师", "算法工程师", "测试工程师"}
	var ps []market.Profile
	for i := range 2000 {
		title := names[r.IntN(len(names))]
		yrs := float64(r.IntN(4) * 2)
		p := job(fmt.Sprint("p", i), title, fmt.Sprint("c", i), []string{"北京", "南京"}[i%2], "", titles[title]*(1+yrs/10)*(0.9+0.2*r.Float64()))
		p.Experience = market.Range{Min: yrs, Max: yrs + 2}
		ps = append(ps, p)
	}
	m, err = New(Config{}, ps, nil)
	require.NoError(t, err)
	ev, err = m.EvaluateSalary()
	require.NoError(t, err)
	assert.Equal(t, 2000, ev.Postings)
	assert.Less(t, ev.MedianAbsError, ev.BaselineMedianAbsError/2)
	assert.InDelta(t, 0.5, ev.Coverage, 0.1)
}

// analysts is a small market of data-analyst and Java postings in two cities.
func analysts() []market.Profile {
	var ps []market.Profile
	for i := range 15 {
		skills := []string{"SQL", "Python"}
		if i%3 == 0 {
			skills = append(skills, "Hive")
		}
		if i%4 == 0 {
			skills = append(skills, "Tableau")
		}
		pay := 15000.0
		if i%3 == 0 {
			pay = 25000
		}
		p := job(fmt.Sprint("da", i), "数据分析师", fmt.Sprint("数据公司", i), "北京", "移动互联网,金融", pay, skills...)
		p.Education = market.EducationBachelor
		p.Experience = market.Range{Min: 1, Max: 3}
		if i%2 == 0 {
			p.Experience = market.Range{Min: 3, Max: 5}
		}
		p.Tags = []string{"五险一金"}
		ps = append(ps, p)
	}
	for i := range 6 {
		ps = append(ps, job(fmt.Sprint("j", i), "Java开发工程师", fmt.Sprint("软件公司", i), "南京", "计算机软件", 18000, "Java", "Spring", "MySQL"))
	}
	ps = append(ps, job("j6", "Java开发工程师", "软件公司9", "南京", "", 0, "Java", "Redis"))
	return ps
}

func TestRequirements(t *testing.T) {
	m, err := New(Config{}, analysts(), nil)
	require.NoError(t, err)
	r, err := m.Requirements(RequirementsQuery{Title: "数据分析师", City: "北京"})
	require.NoError(t, err)
	assert.Equal(t, Scope{Title: "数据分析师", TitleKey: "数据分析师", Titles: "exact", City: "北京", Postings: 15}, r.Scope)
	assert.Equal(t, 15, r.WithSkills)
	assert.Equal(t, 15, r.WithTags)
	require.Len(t, r.Skills, 4)
	assert.Equal(t, Frequency{Name: "Python", Count: 15, Share: 1}, r.Skills[0])
	assert.Equal(t, Frequency{Name: "SQL", Count: 15, Share: 1}, r.Skills[1])
	assert.Equal(t, Frequency{Name: "Hive", Count: 5, Share: 5.0 / 15}, r.Skills[2])
	assert.Equal(t, Frequency{Name: "Tableau", Count: 4, Share: 4.0 / 15}, r.Skills[3])
	assert.Equal(t, []Frequency{{Name: "3-5年", Count: 8, Share: 8.0 / 15}, {Name: "1-3年", Count: 7, Share: 7.0 / 15}}, r.Experience)
	assert.Equal(t, []Frequency{{Name: "本科", Count: 15, Share: 1}}, r.Education)
	assert.Equal(t, []Frequency{{Name: "五险一金", Count: 15, Share: 1}}, r.Tags)
	assert.Equal(t, 15, r.Pay.Count)
	assert.InDelta(t, 15000, r.Pay.P50, 1e-9)
	// Hive and Tableau meet in postings 0 and 12; SQL, Python and 五险一金
	// are in every posting (lift 1), so no rule involves them.
	require.Len(t, r.Rules, 2)
	assert.Equal(t, text.Rule{Antecedent: []string{"Tableau"}, Consequent: "Hive", Count: 2, Support: 2.0 / 15, Confidence: 0.5, Lift: 1.5}, r.Rules[0])
	assert.Equal(t, []string{"Hive"}, r.Rules[1].Antecedent)
	assert.InDelta(t, 0.4, r.Rules[1].Confidence, 1e-12)

	// Level narrows when enough postings remain, else widens and says so.
	r, err = m.Requirements(RequirementsQuery{Title: "数据分析师", City: "北京", Level: market.Range{Min: 3, Max: 5}})
	require.NoError(t, err)
	assert.True(t, r.LevelWidened, "8 postings at 3-5 years < MinGroup 10")
	m5, err := New(Config{MinGroup: 5}, analysts(), nil)
	require.NoError(t, err)
	r, err = m5.Requirements(RequirementsQuery{Title: "数据分析师", Level: market.Range{Min: 3, Max: 5}})
	require.NoError(t, err)
	assert.False(t, r.LevelWidened)
	assert.Equal(t, 8, r.Scope.Postings)

	// Java in 南京 has 7 < MinGroup postings there: widened to every city.
	r, err = m.Requirements(RequirementsQuery{Title: "java开发工程师", City: "南京"})
	require.NoError(t, err)
	assert.True(t, r.Scope.CityWidened)
	assert.Equal(t, 7, r.Scope.Postings)
	assert.Zero(t, r.WithTags)
	assert.Empty(t, r.Tags, "no posting lists tags: no shares")
	assert.Equal(t, "Java", r.Skills[0].Name)
}

func TestRequirementsBadInput(t *testing.T) {
	empty, err := New(Config{}, nil, nil)
	require.NoError(t, err)
	_, err = empty.Requirements(RequirementsQuery{Title: "数据分析师"})
	assert.ErrorIs(t, err, ErrNoPostings)

	m, err := New(Config{}, analysts(), nil)
	require.NoError(t, err)
	_, err = m.Requirements(RequirementsQuery{Title: "  ()  "})
	assert.ErrorIs(t, err, ErrEmptyQuery)
	_, err = m.Requirements(RequirementsQuery{Title: "数据工程师"})
	require.ErrorIs(t, err, ErrUnknownTitle)
	var ute *UnknownTitleError
	require.ErrorAs(t, err, &ute)
	assert.Equal(t, []string{"Java开发工程师", "数据分析师"}, ute.Closest, "工程师 shares two bigrams, 分析师 one")
	assert.Contains(t, err.Error(), `"数据工程师"`)
	assert.Contains(t, err.Error(), "数据分析师")

	// A title contained in known keys widens to them.
	r, err := m.Requirements(RequirementsQuery{Title: "分析师"})
	require.NoError(t, err)
	assert.Equal(t, "containing", r.Scope.Titles)
	assert.Equal(t, 15, r.Scope.Postings)
}

func TestSkillGap(t *testing.T) {
	m, err := New(Config{}, analysts(), nil)
	require.NoError(t, err)
	me := person("s1", "数据分析师", "北京", "sql", "Excel")
	g, err := m.SkillGap(GapQuery{Seeker: &me, Title: "数据分析师", City: "北京"})
	require.NoError(t, err)
	assert.Equal(t, 15, g.WithSkills)
	require.Len(t, g.Missing, 3)
	assert.Equal(t, "Python", g.Missing[0].Skill, "asked by every posting")
	assert.Equal(t, "Hive", g.Missing[1].Skill, "pays a premium")
	assert.InDelta(t, 25000.0/15000-1, g.Missing[1].Premium, 1e-9)
	assert.Equal(t, "Tableau", g.Missing[2].Skill)
	require.Len(t, g.Have, 1)
	assert.Equal(t, "SQL", g.Have[0].Skill)
	// Coverage: SQL (1) of SQL+Python+Hive+Tableau (1+1+1/3+4/15).
	assert.InDelta(t, 1/2.6, g.Match, 1e-9)
	assert.InDelta(t, 1/2.6, g.Missing[0].Gain, 1e-9)
	assert.InDelta(t, 2, g.Missing[0].Importance, 1e-9)
	assert.Zero(t, g.Missing[2].Premium, "4 postings ask for Tableau: too few for a premium")

	// A Matcher decides the gain: here only Tableau helps.
	mt := MatcherFunc(func(s, p *market.Profile) float64 {
		for _, k := range s.Skills {
			if k == "Tableau" {
				return 1
			}
		}
		return 0
	})
	g, err = m.SkillGap(GapQuery{Seeker: &me, Title: "数据分析师", City: "北京", Matcher: mt})
	require.NoError(t, err)
	assert.Equal(t, "Tableau", g.Missing[0].Skill)
	assert.InDelta(t, 1, g.Missing[0].Gain, 1e-12)

	// A specific job: its own skills, even with a title nobody shares.
	target := job("t", "宇航员", "航天", "北京", "", 50000, "Rust", "SQL")
	g, err = m.SkillGap(GapQuery{Seeker: &me, Job: &target})
	require.NoError(t, err)
	assert.Equal(t, 0, g.Scope.Postings)
	require.Len(t, g.Missing, 1)
	assert.Equal(t, "Rust", g.Missing[0].Skill)
	assert.InDelta(t, 0.5, g.Match, 1e-12)

	_, err = m.SkillGap(GapQuery{Seeker: &me})
	assert.ErrorIs(t, err, ErrEmptyQuery)
	_, err = m.SkillGap(GapQuery{Title: "数据分析师"})
	assert.ErrorIs(t, err, ErrEmptyQuery)
	_, err = m.SkillGap(GapQuery{Seeker: &me, Title: "宇航员"})
	assert.ErrorIs(t, err, ErrUnknownTitle)
}

// A Matcher's NaN (here from a NaN the seeker's profile holds) used to
// come back as a NaN Match, Gain and Importance with a nil error.
func TestSkillGapRefusesNonFiniteMatch(t *testing.T) {
	m, err := New(Config{}, analysts(), nil)
	require.NoError(t, err)
	me := person("s1", "数据分析师", "北京", "sql", "Excel")
	me.Attributes = map[string]float64{"score": math.NaN()}
	byAttribute := MatcherFunc(func(s, p *market.Profile) float64 { return s.Attributes["score"] })
	withSkill := func(skill string, x float64) Matcher {
		return MatcherFunc(func(s, p *market.Profile) float64 {
			if slices.Contains(s.Skills, skill) {
				return x
			}
			return 0.5
		})
	}
	target := job("t", "宇航员", "航天", "北京", "", 50000, "Rust", "SQL")
	for _, tc := range []struct {
		name  string
		q     GapQuery
		field string
	}{
		{"NaN input", GapQuery{Seeker: &me, Title: "数据分析师", City: "北京", Matcher: byAttribute}, `seeker "s1", posting "insight:数据分析师@北京": Match = NaN`},
		{"NaN with a skill", GapQuery{Seeker: &me, Title: "数据分析师", Matcher: withSkill("Python", math.NaN())}, `Gain of skill "Python" (the match with it added) = NaN`},
		{"+Inf with a skill", GapQuery{Seeker: &me, Job: &target, Matcher: withSkill("Rust", math.Inf(1))}, `posting "t": Gain of skill "Rust" (the match with it added) = +Inf`},
		{"-Inf", GapQuery{Seeker: &me, Job: &target, Matcher: MatcherFunc(func(s, p *market.Profile) float64 { return math.Inf(-1) })}, "Match = -Inf"},
		{"overflowing gain", GapQuery{Seeker: &me, Job: &target, Matcher: MatcherFunc(func(s, p *market.Profile) float64 {
			if slices.Contains(s.Skills, "Rust") {
				return math.MaxFloat64
			}
			return -math.MaxFloat64
		})}, `Gain of skill "Rust"`},
	} {
		g, err := m.SkillGap(tc.q)
		require.ErrorIs(t, err, ErrMatcher, tc.name)
		assert.Contains(t, err.Error(), tc.field, tc.name)
		assert.Equal(t, SkillGap{}, g, tc.name)
	}
	// A finite Matcher is unaffected.
	g, err := m.SkillGap(GapQuery{Seeker: &me, Job: &target, Matcher: withSkill("Rust", 0.9)})
	require.NoError(t, err)
	assert.InDelta(t, 0.4, g.Missing[0].Gain, 1e-12)
}

func TestReemployment(t *testing.T) {
	m, err := New(Config{}, analysts(), nil)
	require.NoError(t, err)
	r, err := m.Reemployment(Background{Titles: []string{"高级数据分析师"}, Skills: []string{"SQL", "Python", "Hive"}})
	require.NoError(t, err)
	assert.Equal(t, 15, r.Postings)
	require.Len(t, r.Companies, 15)
	assert.InDelta(t, 1, r.Companies[0].Relevance, 1e-12, "same title, has every skill asked")
	assert.Equal(t, []string{"数据分析师"}, r.Companies[0].Titles)
	assert.InDelta(t, (1+2.0/3)/2, r.Companies[14].Relevance, 1e-12, "SQL, Python, Tableau asked; Tableau missing")
	require.Len(t, r.Industries, 2)
	assert.Equal(t, "移动互联网", r.Industries[0].Name)
	assert.Equal(t, 15, r.Industries[0].Postings)

	r, err = m.Reemployment(Background{Skills: []string{"Java", "Spring", "MySQL"}})
	require.NoError(t, err)
	assert.Equal(t, "计算机软件", r.Industries[0].Name)

	_, err = m.Reemployment(Background{})
	assert.ErrorIs(t, err, ErrEmptyQuery)
	_, err = m.Reemployment(Background{Titles: []string{"宇航员"}})
	assert.ErrorIs(t, err, ErrUnknownTitle)
	empty, _ := New(Config{}, nil, nil)
	_, err = empty.Reemployment(Background{Titles: []string{"数据分析师"}})
	assert.ErrorIs(t, err, ErrNoPostings)
}

func TestCityIndustryStructure(t *testing.T) {
	m, err := New(Config{}, analysts(), nil)
	require.NoError(t, err)
	v, err := m.City("北京")
	require.NoError(t, err)
	assert.Equal(t, 15, v.Postings)
	assert.Equal(t, 15, v.Companies)
	assert.False(t, v.SeekersKnown)
	assert.Empty(t, v.Shortest)
	require.Len(t, v.Industries, 2)
	assert.Equal(t, IndustryShare{Industry: "移动互联网", Postings: 15, Share: 1, Companies: 15, Paid: 15,
		P25: 15000, P50: 15000, P75: 25000}, v.Industries[0])
	assert.Equal(t, "金融", v.Industries[1].Industry)
	require.Len(t, v.Titles, 1)
	assert.Equal(t, TitleSupply{Title: "数据分析师", Postings: 15, Seekers: Headcount{Suppressed: true}, Pay: 15000}, v.Titles[0])

	_, err = m.City("拉萨")
	assert.ErrorIs(t, err, ErrUnknownCity)
	_, err = m.City("")
	assert.ErrorIs(t, err, ErrEmptyQuery)
	empty, _ := New(Config{}, nil, nil)
	_, err = empty.City("北京")
	assert.ErrorIs(t, err, ErrNoPostings)

	cs := m.Cities()
	require.Len(t, cs, 2)
	assert.Equal(t, CitySummary{City: "北京", Postings: 15, Share: 15.0 / 22, Pay: 15000}, cs[0])
}

// TestKAnonymity checks that every figure about people is suppressed below k.
func TestKAnonymity(t *testing.T) {
	ps := analysts()
	// 4 seekers want Java in 南京 (below k = 5); 5 want 数据分析师 in 北京.
	var events []market.Event
	for i := range 4 {
		s := person(fmt.Sprint("js", i), "Java开发工程师", "南京")
		s.Salary = market.Salary{Min: 10000, Max: 12000}
		ps = append(ps, s)
		events = append(events, market.Event{Actor: s.ID, Target: "j0", Action: market.Apply, Time: registered})
	}
	for i := range 5 {
		s := person(fmt.Sprint("ds", i), "数据分析师", "北京")
		s.Salary = market.Salary{Min: 20000 + 1000*float64(i), Max: 30000 + 1000*float64(i)}
		ps = append(ps, s)
		events = append(events, market.Event{Actor: "da0", Target: s.ID, Action: market.Hire, Time: registered})
	}
	m, err := New(Config{}, ps, events)
	require.NoError(t, err)

	nj, err := m.City("南京")
	require.NoError(t, err)
	assert.Equal(t, Headcount{Suppressed: true}, nj.Seekers)
	java := nj.Titles[0]
	assert.Equal(t, Headcount{Suppressed: true}, java.Seekers)
	assert.Zero(t, java.ExpectedPay, "expected pay of 4 people is not shown")
	assert.InDelta(t, 7.0/5, java.PerSeeker, 1e-12, "lower bound postings/k")

	bj, err := m.City("北京")
	require.NoError(t, err)
	assert.Equal(t, Headcount{N: 5}, bj.Seekers)
	assert.Equal(t, Headcount{N: 5}, bj.Titles[0].Seekers)
	assert.InDelta(t, 27000, bj.Titles[0].ExpectedPay, 1e-9, "mean of 25,000 … 29,000")
	assert.InDelta(t, 15.0/5, bj.Titles[0].PerSeeker, 1e-12)
	require.NotEmpty(t, bj.Shortest)

	r, err := m.Reemployment(Background{Titles: []string{"数据分析师"}})
	require.NoError(t, err)
	assert.Equal(t, WentTo{
		Companies:  []Destination{{Name: "数据公司0", People: Headcount{N: 5}}},
		Industries: []Destination{{Name: "移动互联网", People: Headcount{N: 5}}, {Name: "金融", People: Headcount{N: 5}}},
		Suppressed: 22 - 1, // the 22 companies with postings, less the one shown
	}, r.WentTo)
	r, err = m.Reemployment(Background{Titles: []string{"Java开发工程师"}})
	require.NoError(t, err)
	assert.Empty(t, r.WentTo.Companies, "4 people are fewer than k")
	assert.Empty(t, r.WentTo.Industries)
	assert.Equal(t, 22, r.WentTo.Suppressed, "every (title, company) pair: the small group at 软件公司0 and the 21 empty ones alike")

	// k = 1 disables suppression.
	m1, err := New(Config{K: 1}, ps, events)
	require.NoError(t, err)
	nj, err = m1.City("南京")
	require.NoError(t, err)
	assert.Equal(t, Headcount{N: 4}, nj.Titles[0].Seekers)
}

func TestDuplicatesDropped(t *testing.T) {
	a := job("a", "数据分析师", "甲", "北京", "", 10000)
	b := a
	b.ID = "b"
	m, err := New(Config{}, []market.Profile{a, b}, nil)
	require.NoError(t, err)
	assert.Equal(t, Stats{Postings: 1, Duplicates: 1, Titles: 1, Cities: 1}, m.Stats())
	m, err = New(Config{KeepDuplicates: true}, []market.Profile{a, b}, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, m.Stats().Postings)
}

func TestConcurrentQueries(t *testing.T) {
	m, err := New(Config{}, analysts(), nil)
	require.NoError(t, err)
	me := person("s", "数据分析师", "北京", "SQL")
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				_, e1 := m.SuggestSalary(&market.Profile{Title: "数据分析师", City: "北京"})
				_, e2 := m.Requirements(RequirementsQuery{Title: "数据分析师"})
				_, e3 := m.SkillGap(GapQuery{Seeker: &me, Title: "数据分析师"})
				_, e4 := m.City("北京")
				_, e5 := m.Reemployment(Background{Titles: []string{"数据分析师"}})
				if err := errors.Join(e1, e2, e3, e4, e5); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
}
