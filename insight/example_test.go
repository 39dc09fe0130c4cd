package insight_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/twowayrec/twoway/insight"
	"github.com/twowayrec/twoway/market"
)

// postings is a small market: data analysts in 北京 and Java developers in
// 南京, with salaries in yuan a month.
func postings() []market.Profile {
	at := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	var ps []market.Profile
	add := func(id, title, company, city, industry string, lo, hi float64, exp market.Range, skills ...string) {
		ps = append(ps, market.Profile{
			ID: id, Side: market.Recruiter, Title: title, Company: company, City: city, Industry: industry,
			Experience: exp, Education: market.EducationBachelor, Salary: market.Salary{Min: lo, Max: hi},
			Skills: skills, Registered: at,
		})
	}
	junior, senior := market.Range{Min: 1, Max: 3}, market.Range{Min: 3, Max: 5}
	add("a1", "数据分析师", "甲科技", "北京", "移动互联网", 10000, 15000, junior, "SQL", "Excel")
	add("a2", "数据分析师", "乙金融", "北京", "金融", 12000, 18000, junior, "SQL", "Python")
	add("a3", "高级数据分析师", "丙科技", "北京", "移动互联网", 20000, 30000, senior, "SQL", "Python", "Hive")
	add("a4", "数据分析师（商业）", "丁电商", "北京", "电子商务", 15000, 25000, senior, "SQL", "Python", "Tableau")
	add("a5", "数据分析师", "戊科技", "北京", "移动互联网", 15000, 20000, senior, "SQL", "Python", "Hive")
	add("j1", "Java开发工程师", "己软件", "南京", "计算机软件", 12000, 18000, junior, "Java", "Spring", "MySQL")
	add("j2", "Java开发工程师/架构师", "庚软件", "南京", "计算机软件", 20000, 35000, senior, "Java", "Spring", "Redis")
	add("j3", "Java开发工程师", "辛银行", "南京", "金融", 0, 0, junior, "Java", "Oracle")
	ps[len(ps)-1].Salary = market.Salary{Negotiable: true} // 面议
	return ps
}

func ExampleTitleKey() {
	fmt.Println(insight.TitleKey("高级Java开发工程师（研发平台）/架构师"))
	fmt.Println(insight.TitleKey("数据分析师-CR2017-SH2909"))
	// Output:
	// java开发工程师
	// 数据分析师
}

func ExampleMarket_SuggestSalary() {
	m, err := insight.New(insight.Config{}, postings(), nil)
	if err != nil {
		panic(err)
	}
	s, err := m.SuggestSalary(&market.Profile{Title: "数据分析师", City: "北京",
		Experience: market.Range{Min: 3, Max: 5}, Education: market.EducationBachelor})
	if err != nil {
		panic(err)
	}
	fmt.Printf("P25 %.0f  P50 %.0f  P75 %.0f  from %d comparable postings\n", s.P25, s.P50, s.P75, s.Comparable)
	for _, g := range s.Basis {
		fmt.Printf("%-32s n=%d P50 %6.0f weight %.2f\n", g.Scope, g.Count, g.P50, g.Weight)
	}
	// Output:
	// P25 17560  P50 19207  P75 21783  from 5 comparable postings
	// title+city+experience+education  n=3 P50  20000 weight 0.38
	// title+city+experience            n=3 P50  20000 weight 0.23
	// title+city                       n=5 P50  17500 weight 0.20
	// city+experience                  n=3 P50  20000 weight 0.07
	// city                             n=5 P50  17500 weight 0.06
	// title                            n=5 P50  17500 weight 0.03
	// market                           n=7 P50  17500 weight 0.03
}

func ExampleMarket_Requirements() {
	m, err := insight.New(insight.Config{MinGroup: 3}, postings(), nil)
	if err != nil {
		panic(err)
	}
	r, err := m.Requirements(insight.RequirementsQuery{Title: "数据分析师", City: "北京"})
	if err != nil {
		panic(err)
	}
	fmt.Println("postings:", r.Scope.Postings)
	for _, f := range r.Skills {
		fmt.Printf("%s %.0f%%\n", f.Name, 100*f.Share)
	}
	for _, f := range r.Experience {
		fmt.Printf("%s %.0f%%\n", f.Name, 100*f.Share)
	}
	for _, rule := range r.Rules {
		fmt.Println(rule)
	}
	// Output:
	// postings: 5
	// SQL 100%
	// Python 80%
	// Hive 40%
	// 3-5年 60%
	// 1-3年 40%
	// Hive ⇒ Python (conf 1.00, lift 1.25, n 2)
	// Python ⇒ Hive (conf 0.50, lift 1.25, n 2)
}

func ExampleMarket_Requirements_unknownTitle() {
	m, err := insight.New(insight.Config{}, postings(), nil)
	if err != nil {
		panic(err)
	}
	_, err = m.Requirements(insight.RequirementsQuery{Title: "数据工程师"})
	fmt.Println(errors.Is(err, insight.ErrUnknownTitle))
	fmt.Println(err)

	empty, _ := insight.New(insight.Config{}, nil, nil)
	_, err = empty.Requirements(insight.RequirementsQuery{Title: "数据分析师"})
	fmt.Println(err)
	// Output:
	// true
	// insight: no posting with a title comparable to "数据工程师"; closest known titles: Java开发工程师, 数据分析师
	// insight: no postings in the market
}

func ExampleMarket_SkillGap() {
	m, err := insight.New(insight.Config{MinGroup: 3}, postings(), nil)
	if err != nil {
		panic(err)
	}
	me := market.Profile{ID: "me", Side: market.Seeker, Skills: []string{"sql", "Excel"}}
	g, err := m.SkillGap(insight.GapQuery{Seeker: &me, Title: "数据分析师", City: "北京"})
	if err != nil {
		panic(err)
	}
	for _, n := range g.Missing {
		fmt.Printf("missing %s: share %.0f%%, pay premium %+.0f%%\n", n.Skill, 100*n.Share, 100*n.Premium)
	}
	for _, n := range g.Have {
		fmt.Printf("have %s: share %.0f%%\n", n.Skill, 100*n.Share)
	}
	fmt.Printf("match %.2f\n", g.Match)
	// Output:
	// missing Python: share 80%, pay premium +0%
	// missing Hive: share 40%, pay premium +0%
	// missing Tableau: share 20%, pay premium +0%
	// have SQL: share 100%
	// have Excel: share 20%
	// match 0.46
}

func ExampleMarket_City() {
	m, err := insight.New(insight.Config{}, postings(), nil)
	if err != nil {
		panic(err)
	}
	v, err := m.City("北京")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s: %d postings, %d companies\n", v.City, v.Postings, v.Companies)
	for _, ind := range v.Industries {
		fmt.Printf("%s %d (%.0f%%), P50 %.0f\n", ind.Industry, ind.Postings, 100*ind.Share, ind.P50)
	}
	// Output:
	// 北京: 5 postings, 5 companies
	// 移动互联网 3 (60%), P50 17500
	// 电子商务 1 (20%), P50 20000
	// 金融 1 (20%), P50 15000
}

func ExampleMarket_Reemployment() {
	m, err := insight.New(insight.Config{}, postings(), nil)
	if err != nil {
		panic(err)
	}
	r, err := m.Reemployment(insight.Background{Titles: []string{"Java工程师"}, Skills: []string{"Java", "Spring"}})
	if err != nil {
		panic(err)
	}
	for _, e := range r.Industries {
		fmt.Printf("%s: postings %d, relevance %.2f\n", e.Name, e.Postings, e.Relevance)
	}
	// Output:
	// 计算机软件: postings 2, relevance 1.38
	// 金融: postings 1, relevance 0.61
}
