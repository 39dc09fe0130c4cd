package insight

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
)

// applicants returns n seekers wanting title in city, each applying to the
// postings targets, with IDs prefix0, prefix1, ….
func applicants(prefix, title, city string, n int, targets ...string) ([]market.Profile, []market.Event) {
	var ps []market.Profile
	var es []market.Event
	for i := range n {
		s := person(fmt.Sprint(prefix, i), title, city)
		ps = append(ps, s)
		for _, t := range targets {
			es = append(es, market.Event{Actor: s.ID, Target: t, Action: market.Apply, Time: registered})
		}
	}
	return ps, es
}

// destination returns the figure of name in ds, or 0 when it is not listed.
func destination(ds []Destination, name string) int {
	for _, d := range ds {
		if d.Name == name {
			return d.People.N
		}
	}
	return 0
}

// Attack: Reemployment([Java]) shows 5 people at a company; adding a title
// whose group there is suppressed (1 person) must not change the figure,
// or the difference is that person.
func TestPrivacyUnionOfTitlesRevealsNoSuppressedGroup(t *testing.T) {
	ps := []market.Profile{
		job("p1", "Java开发工程师", "链科", "杭州", "金融", 20000, "Java"),
		job("p2", "区块链架构师", "链科", "杭州", "金融", 30000, "Solidity"),
	}
	java, e1 := applicants("java", "Java开发工程师", "杭州", 5, "p1")
	chain, e2 := applicants("chain", "区块链架构师", "杭州", 1, "p2")
	m, err := New(Config{}, slices.Concat(ps, java, chain), slices.Concat(e1, e2))
	require.NoError(t, err)

	alone, err := m.Reemployment(Background{Titles: []string{"Java开发工程师"}})
	require.NoError(t, err)
	require.Equal(t, 5, destination(alone.WentTo.Companies, "链科"), "precondition: 5 Java people are shown")
	both, err := m.Reemployment(Background{Titles: []string{"Java开发工程师", "区块链架构师"}})
	require.NoError(t, err)
	assert.Equal(t, alone.WentTo.Companies, both.WentTo.Companies, "the suppressed 区块链架构师 group must not show in the difference")
	assert.Equal(t, alone.WentTo.Industries, both.WentTo.Industries)
	// Asking twice for one title counts it once.
	twice, err := m.Reemployment(Background{Titles: []string{"Java开发工程师", "java开发工程师"}})
	require.NoError(t, err)
	assert.Equal(t, alone.WentTo, twice.WentTo)
}

// Attack: WentTo.Suppressed counted the small groups that have someone in
// them, so one person wanting a title who applied to a company (1 < k)
// showed as Suppressed 0 → 1. The answer must be the same as without them.
func TestPrivacyWentToSuppressedRevealsNoSmallGroup(t *testing.T) {
	ps := []market.Profile{
		job("p1", "Java开发工程师", "链科", "杭州", "金融", 20000, "Java"),
		job("p2", "Java开发工程师", "大厂", "杭州", "互联网", 20000, "Java"),
		job("p3", "区块链架构师", "币行", "杭州", "金融", 30000, "Solidity"),
	}
	java, e1 := applicants("java", "Java开发工程师", "杭州", 5, "p2")
	lone, e2 := applicants("lone", "Java开发工程师", "杭州", 1, "p1")
	few, e3 := applicants("few", "Java开发工程师", "杭州", 4, "p3")
	for _, k := range []int{2, 5} {
		without, err := New(Config{K: k}, slices.Concat(ps, java), e1)
		require.NoError(t, err)
		for _, extra := range []struct {
			name   string
			people []market.Profile
			events []market.Event
		}{{"one person at 链科", lone, e2}, {"k-1 people at 币行", few[:k-1], e3[:k-1]}, {"both", slices.Concat(lone, few[:k-1]), slices.Concat(e2, e3[:k-1])}} {
			with, err := New(Config{K: k}, slices.Concat(ps, java, extra.people), slices.Concat(e1, extra.events))
			require.NoError(t, err)
			for _, titles := range [][]string{{"Java开发工程师"}, {"Java开发工程师", "区块链架构师"}} {
				a, err := without.Reemployment(Background{Titles: titles})
				require.NoError(t, err)
				b, err := with.Reemployment(Background{Titles: titles})
				require.NoError(t, err)
				assert.Equal(t, a.WentTo, b.WentTo, "k %d, %s, titles %q", k, extra.name, titles)
				assert.Equal(t, 3*len(titles)-1, b.WentTo.Suppressed, "k %d, %s: the pairs of %q and 3 companies, less 大厂's group", k, extra.name, titles)
			}
		}
	}
}

// Attack: an industry's figure minus the shown figures of its companies is
// the number of people at the suppressed ones (2 at 小链 here, the only
// other company of the industry).
func TestPrivacyIndustryMinusCompaniesRevealsNoSuppressedGroup(t *testing.T) {
	ps := []market.Profile{
		job("x", "Java开发工程师", "大链", "杭州", "金融", 20000, "Java"),
		job("y", "Java开发工程师", "小链", "杭州", "金融", 20000, "Java"),
	}
	big, e1 := applicants("big", "Java开发工程师", "杭州", 5, "x")
	small, e2 := applicants("small", "Java开发工程师", "杭州", 2, "y")
	m, err := New(Config{}, slices.Concat(ps, big, small), slices.Concat(e1, e2))
	require.NoError(t, err)
	r, err := m.Reemployment(Background{Titles: []string{"Java开发工程师"}})
	require.NoError(t, err)
	require.Equal(t, 5, destination(r.WentTo.Companies, "大链"), "precondition")
	assert.Equal(t, 0, destination(r.WentTo.Companies, "小链"))
	assert.Equal(t, 5, destination(r.WentTo.Industries, "金融"), "金融 minus 大链 would be the 2 people at 小链")
}

// Attack: a city's total seekers minus its shown per-title counts is the
// size of the suppressed groups (2 Java seekers, 2 seekers of a title no
// posting in the city has).
func TestPrivacyCityTotalMinusTitlesRevealsNoSuppressedGroup(t *testing.T) {
	ps := []market.Profile{
		job("a", "数据分析师", "甲", "北京", "金融", 20000),
		job("b", "Java开发工程师", "乙", "北京", "金融", 20000),
	}
	analysts, _ := applicants("da", "数据分析师", "北京", 5)
	javas, _ := applicants("java", "Java开发工程师", "北京", 2)
	pms, _ := applicants("pm", "产品经理", "北京", 2)
	m, err := New(Config{}, slices.Concat(ps, analysts, javas, pms), nil)
	require.NoError(t, err)
	v, err := m.City("北京")
	require.NoError(t, err)
	shown := 0
	for _, ts := range v.Titles {
		shown += ts.Seekers.N
	}
	require.Equal(t, 5, shown, "precondition: only the 数据分析师 group is shown")
	assert.Equal(t, Headcount{N: 5}, v.Seekers, "the total minus the shown titles must not reveal 4 people in small groups")
}

// Attack: a median over exactly k people is the middle person's own stated
// pay.
func TestPrivacyMedianIsNotOnePersonsPay(t *testing.T) {
	ps := []market.Profile{job("a", "数据分析师", "甲", "北京", "金融", 20000)}
	var pays []float64
	for i, mid := range []float64{12000, 15000, 21000, 24000, 30000} {
		s := person(fmt.Sprint("s", i), "数据分析师", "北京")
		s.Salary = market.Salary{Min: mid - 1000, Max: mid + 1000}
		ps = append(ps, s)
		pays = append(pays, mid)
	}
	m, err := New(Config{}, ps, nil)
	require.NoError(t, err)
	v, err := m.City("北京")
	require.NoError(t, err)
	require.Len(t, v.Titles, 1)
	got := v.Titles[0].ExpectedPay
	require.NotZero(t, got, "5 people with spread-out pay are shown")
	assert.NotContains(t, pays, got, "the figure must not be one person's own pay")
	assert.InDelta(t, 20500, got, 1e-9, "mean of the 5 (20,400) rounded to 500")
}

// Attack: when every person of the group states the same pay, any quantile
// is each one's own pay (homogeneity), however many they are.
func TestPrivacyQuantileNeedsSpread(t *testing.T) {
	ps := []market.Profile{job("a", "数据分析师", "甲", "北京", "金融", 20000)}
	for i := range 6 {
		s := person(fmt.Sprint("s", i), "数据分析师", "北京")
		s.Salary = market.Salary{Min: 20000, Max: 30000}
		ps = append(ps, s)
	}
	m, err := New(Config{}, ps, nil)
	require.NoError(t, err)
	v, err := m.City("北京")
	require.NoError(t, err)
	require.Len(t, v.Titles, 1)
	assert.Equal(t, Headcount{N: 6}, v.Titles[0].Seekers)
	assert.Zero(t, v.Titles[0].ExpectedPay, "6 people all stating 25,000: the figure would be each one's pay")
}

func TestPeopleQuantile(t *testing.T) {
	seq := func(n int, step float64) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = 10000 + step*float64(i)
		}
		return s
	}
	for _, tc := range []struct {
		name   string
		values []float64
		p      float64
		k      int
		want   float64
		shown  bool
	}{
		{"fewer than k", seq(4, 1000), 0.5, 5, 0, false},
		{"exactly k: mean of all, rounded", []float64{12000, 15000, 21000, 24000, 30000}, 0.5, 5, 20500, true},
		{"median window in the middle", seq(11, 1000), 0.5, 5, 15000, true},
		{"even count: window rounds up", seq(10, 1000), 0.5, 5, 15000, true},
		{"low quartile window", seq(21, 1000), 0.25, 5, 15000, true},
		{"window clamped at the top", seq(6, 1000), 1, 5, 13000, true},
		{"no spread", []float64{20000, 20000, 20000, 20000, 20000, 20000}, 0.5, 5, 0, false},
		{"flat middle, spread group", []float64{10000, 20000, 20000, 20000, 20000, 20000, 90000}, 0.5, 5, 20000, true},
		{"spread below 10%", []float64{20000, 20400, 20800, 21200, 21600}, 0.5, 5, 0, false},
		{"spread at 10%", []float64{19000, 20000, 20000, 20000, 21000}, 0.5, 5, 20000, true},
		{"k = 1: exact median", []float64{12000, 15000, 21000}, 0.5, 1, 15000, true},
		{"k = 1: interpolated", []float64{12000, 15000}, 0.5, 1, 13500, true},
		{"NaNs ignored", []float64{math.NaN(), 12000, 15000, 21000, 24000, 30000}, 0.5, 5, 20500, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := peopleQuantile(slices.Clone(tc.values), tc.p, tc.k)
			assert.Equal(t, tc.shown, ok)
			assert.InDelta(t, tc.want, got, 1e-9)
		})
	}
}

// TestSimulatedPrivacyIsAdditive checks, on a simulated market with many
// small groups, that every published figure about people is a sum of shown
// groups: the figure for several titles is the sum of the figures for each,
// an industry's figure the sum of its companies', and a city's seekers the
// sum of its title groups of at least k. Differencing two answers then only
// ever yields sums of groups that are shown anyway.
func TestSimulatedPrivacyIsAdditive(t *testing.T) {
	cfg := synth.Small()
	cfg.Seekers, cfg.Jobs = 2000, 400
	sm, err := synth.Generate(cfg)
	require.NoError(t, err)
	m, err := New(Config{MaxItems: 1 << 20}, sm.Profiles, sm.Events)
	require.NoError(t, err)

	var titles []string
	for _, k := range m.titleKeys() {
		titles = append(titles, m.titleNames.name(k))
	}
	require.Greater(t, len(titles), 3)
	went := func(ts ...string) WentTo {
		r, err := m.Reemployment(Background{Titles: ts})
		require.NoError(t, err)
		return r.WentTo
	}
	rng := rand.New(rand.NewPCG(1, 2))
	suppressedSeen, checked := 0, 0
	for range 40 {
		a, b := titles[rng.IntN(len(titles))], titles[rng.IntN(len(titles))]
		if TitleKey(a) == TitleKey(b) {
			continue
		}
		wa, wb, both := went(a), went(b), went(a, b)
		for _, title := range []string{a, b} {
			for _, n := range m.went[TitleKey(title)] {
				if !m.shown(n) {
					suppressedSeen++
				}
			}
		}
		assert.Equal(t, wa.Suppressed+wb.Suppressed, both.Suppressed)
		for _, list := range [][3][]Destination{{wa.Companies, wb.Companies, both.Companies}, {wa.Industries, wb.Industries, both.Industries}} {
			for _, d := range list[2] {
				assert.Equal(t, destination(list[0], d.Name)+destination(list[1], d.Name), d.People.N, "%s + %s at %s", a, b, d.Name)
				checked++
			}
		}
	}
	require.Positive(t, suppressedSeen, "the simulated market must have small groups for this test to mean anything")
	require.Positive(t, checked, "and shown ones")
	t.Logf("%d destinations of title pairs checked; %d small groups left out", checked, suppressedSeen)

	// Industries are sums of their companies.
	companiesOf := map[string]map[string]bool{}
	for i := range m.postings {
		p := m.postings[i].p
		for _, ind := range splitList(p.Industry) {
			if companiesOf[ind] == nil {
				companiesOf[ind] = map[string]bool{}
			}
			companiesOf[ind][p.Company] = true
		}
	}
	industries := 0
	for _, title := range titles {
		w := went(title)
		for _, d := range w.Industries {
			sum := 0
			for c := range companiesOf[d.Name] {
				sum += destination(w.Companies, c)
			}
			assert.Equal(t, sum, d.People.N, d.Name)
			industries++
		}
	}
	require.Positive(t, industries)

	// A city's seekers are its title groups of at least k.
	for _, c := range m.Cities() {
		groups := map[string]int{}
		for i := range sm.Profiles {
			p := &sm.Profiles[i]
			if p.Side == market.Seeker && p.City == c.City && !p.Inactive {
				groups[TitleKey(p.Title)]++
			}
		}
		want := 0
		for _, n := range groups {
			if n >= 5 {
				want += n
			}
		}
		v, err := m.City(c.City)
		require.NoError(t, err)
		assert.Equal(t, want, v.Seekers.N, c.City)
		assert.Equal(t, want == 0, v.Seekers.Suppressed, c.City)
	}
}
