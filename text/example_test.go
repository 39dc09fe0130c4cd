package text_test

import (
	"fmt"
	"time"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/sparse"
	"github.com/twowayrec/twoway/text"
)

func ExampleTokenizer() {
	tk := text.DefaultTokenizer()
	fmt.Printf("%q\n", tk.Terms("1、熟悉SpringBoot/MyBatis框架，了解Go语言、K8s和Node.js"))
	fmt.Printf("%q\n", tk.Skills("精通C++与C#，熟悉机器学习（ML）"))
	// Output:
	// ["熟悉" "spring boot" "mybatis" "框架" "了解" "go" "kubernetes" "node.js"]
	// ["c++" "c#" "机器学习"]
}

func ExampleVocabulary_Extend() {
	v, err := text.DefaultVocabulary().Extend(text.Entry{Canonical: "区块链", Variants: []string{"blockchain"}})
	if err != nil {
		panic(err)
	}
	tk, err := text.NewTokenizer(text.TokenizerConfig{Vocabulary: v})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%q\n", tk.Terms("BlockChain与golang"))
	// Output:
	// ["区块链" "go"]
}

func ExampleWeighting_Vectorize() {
	tk := text.DefaultTokenizer()
	// "Python爬虫" is one vocabulary term, so python is rarer than mysql.
	docs := [][]string{
		tk.Terms("Java后端开发，熟悉Spring Boot与MySQL"),
		tk.Terms("数据分析师，熟悉SQL与Python"),
		tk.Terms("Python爬虫开发，熟悉MySQL"),
	}
	w, err := text.FitWeighting(docs, text.WeightingConfig{Scheme: text.BM25})
	if err != nil {
		panic(err)
	}
	buf := sparse.Vector{Idx: make([]uint32, 0, 32), Val: make([]float64, 0, 32)} // reused: no allocation
	buf = w.Vectorize(buf, tk.Terms("熟悉Python和MySQL"))
	for k, i := range buf.Idx {
		fmt.Printf("%s %.3f\n", w.Term(i), buf.Val[k])
	}
	// Output:
	// mysql 0.429
	// python 0.895
	// 熟悉 0.122
}

func ExampleMineRules() {
	postings := [][]string{
		{"数据分析", "sql", "excel"},
		{"数据分析", "sql", "python"},
		{"数据分析", "sql"},
		{"数据分析", "excel"},
		{"java", "spring boot", "mysql"},
		{"java", "spring boot"},
	}
	rules, err := text.MineRules(postings, text.RuleConfig{MinSupport: 0.3, MinConfidence: 0.6})
	if err != nil {
		panic(err)
	}
	for _, r := range rules.From("数据分析") {
		fmt.Println(r)
	}
	for _, x := range rules.Expand([]string{"java"}) {
		fmt.Printf("expand java: %s %.2f\n", x.Item, x.Weight)
	}
	// Output:
	// 数据分析 ⇒ sql (conf 0.75, lift 1.50, n 3)
	// expand java: spring boot 1.00
}

func ExampleEncoder() {
	reg := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	profiles := []market.Profile{
		{ID: "job-1", Side: market.Recruiter, Title: "Java开发工程师", City: "南京", Education: market.EducationBachelor,
			Experience: market.Range{Min: 3, Max: 5}, Skills: []string{"Java", "SpringBoot"}, Registered: reg},
		{ID: "job-2", Side: market.Recruiter, Title: "数据分析师", City: "北京", Education: market.EducationMaster,
			Experience: market.Range{Min: 1, Max: 3}, Skills: []string{"SQL"}, Registered: reg},
		{ID: "ann", Side: market.Seeker, Title: "Java工程师", City: "南京", Education: market.EducationBachelor,
			Experience: market.Range{Min: 4, Max: 4}, Skills: []string{"java", "Spring Boot"}, Registered: reg},
	}
	enc, err := text.NewEncoder(profiles, text.EncoderConfig{})
	if err != nil {
		panic(err)
	}
	vec := make([]sparse.Vector, len(profiles))
	for i := range profiles {
		vec[i] = enc.Encode(sparse.Vector{}, &profiles[i])
	}
	fmt.Printf("ann·job-1 %.2f, ann·job-2 %.2f\n", sparse.Dot(vec[2], vec[0]), sparse.Dot(vec[2], vec[1]))
	// Features both share, named for explanations.
	for k, i := range vec[2].Idx {
		if x := vec[0].Get(i); x > 0 && vec[2].Val[k] > 0 {
			fmt.Println("shared", enc.Feature(i))
		}
	}
	// Output:
	// ann·job-1 5.78, ann·job-2 0.00
	// shared education: >=bachelor
	// shared experience: 3-5
	// shared title: java
	// shared title: 工程师
	// shared skill: java
	// shared skill: spring boot
	// shared city: 南京
	// shared text: 工程 (characters)
	// shared text: 程师 (characters)
	// shared text: java
	// shared text: spring boot
	// shared text: 工程师
}
