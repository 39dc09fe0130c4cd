package match_test

import (
	"context"
	"fmt"
	"time"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/text"
)

// exampleMarket is a tiny market: four job postings and six seekers.
func exampleMarket() []market.Profile {
	reg := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	job := func(id, title, city string, skills []string, exp market.Range, edu market.Education, lo, hi float64) market.Profile {
		return market.Profile{ID: id, Side: market.Recruiter, Title: title, City: city, Skills: skills,
			Experience: exp, Education: edu, Salary: market.Salary{Min: lo, Max: hi}, Registered: reg}
	}
	seeker := func(id, title, city string, skills []string, years float64, edu market.Education, want float64) market.Profile {
		return market.Profile{ID: id, Side: market.Seeker, Title: title, City: city, Skills: skills,
			Experience: market.Range{Min: years, Max: years}, Education: edu, Salary: market.Salary{Min: want, Max: want}, Registered: reg}
	}
	return []market.Profile{
		job("job-go", "Go后端开发工程师", "北京", []string{"Go", "MySQL", "Kubernetes"}, market.Range{Min: 3, Max: 5}, market.EducationBachelor, 25000, 35000),
		job("job-java", "Java开发工程师", "北京", []string{"Java", "Spring Boot", "MySQL"}, market.Range{Min: 1, Max: 3}, market.EducationBachelor, 15000, 25000),
		job("job-data", "数据分析师", "上海", []string{"Python", "SQL", "数据分析"}, market.Range{Min: 1, Max: 3}, market.EducationBachelor, 15000, 22000),
		job("job-ml", "算法工程师", "上海", []string{"Python", "机器学习"}, market.Range{Min: 3, Max: 5}, market.EducationMaster, 30000, 45000),
		seeker("ana", "Go开发", "北京", []string{"Go", "Kubernetes", "Redis"}, 4, market.EducationBachelor, 28000),
		seeker("bo", "Java开发", "北京", []string{"Java", "Spring Boot"}, 2, market.EducationBachelor, 18000),
		seeker("chen", "数据分析", "上海", []string{"Python", "SQL", "Excel"}, 2, market.EducationBachelor, 16000),
		seeker("dan", "机器学习", "上海", []string{"Python", "机器学习", "PyTorch"}, 4, market.EducationMaster, 35000),
		seeker("eve", "Go开发", "上海", []string{"Go", "MySQL"}, 1, market.EducationAssociate, 15000),
		seeker("fei", "Java开发", "上海", []string{"Java", "MySQL", "Redis"}, 6, market.EducationBachelor, 30000),
	}
}

// exampleInteractions: everyone was shown everyone on the other side; a
// participant chats with those sharing two skills and a city, views those
// sharing one skill, and passes over the rest.
func exampleInteractions(ps []market.Profile) []match.Interaction {
	var out []match.Interaction
	for a := range ps {
		for b := range ps {
			if ps[a].Side == ps[b].Side {
				continue
			}
			out = append(out, match.Interaction{Actor: uint32(a), Target: uint32(b), Action: market.Impression})
			shared := 0
			for _, s := range ps[a].Skills {
				for _, t := range ps[b].Skills {
					if s == t {
						shared++
					}
				}
			}
			switch {
			case shared >= 2 && ps[a].City == ps[b].City:
				out = append(out, match.Interaction{Actor: uint32(a), Target: uint32(b), Action: market.Chat})
			case shared >= 1:
				out = append(out, match.Interaction{Actor: uint32(a), Target: uint32(b), Action: market.View})
			}
		}
	}
	return out
}

// A two-way match of a seeker and a job, with its explanation in both
// directions.
func Example() {
	ps := exampleMarket()
	var dict market.Dict
	for i := range ps {
		if _, err := dict.Index(ps[i].ID); err != nil {
			panic(err)
		}
	}
	// Content vectors from package text; the Catalog holds every profile.
	enc, err := text.NewEncoder(ps, text.EncoderConfig{})
	if err != nil {
		panic(err)
	}
	// Association rules mined from the skills expand every profile's tags.
	var skillSets [][]string
	for i := range ps {
		skillSets = append(skillSets, match.ContentFromText(enc, nil, &ps[i]).Skills)
	}
	rules, err := text.MineRules(skillSets, text.RuleConfig{MinConfidence: 0.6})
	if err != nil {
		panic(err)
	}
	cat := match.NewCatalog(match.CatalogConfig{FeatureName: match.FeatureNames(enc)})
	for i := range ps {
		if err := cat.Set(uint32(i), match.ContentFromText(enc, rules, &ps[i])); err != nil {
			panic(err)
		}
	}
	// Interest models of both sides, learned from behaviour.
	samples, err := match.Samples(match.SampleConfig{}, exampleInteractions(ps), cat.Side, nil)
	if err != nil {
		panic(err)
	}
	im, err := match.FitInterest(context.Background(), match.InterestConfig{}, cat, samples)
	if err != nil {
		panic(err)
	}

	ana, _ := dict.Lookup("ana")
	c, _ := cat.Content(ana)
	fmt.Printf("ana: skills %v, expanded by rules %v\n", c.Skills, c.Expanded)
	goJob, _ := dict.Lookup("job-go")
	javaJob, _ := dict.Lookup("job-java")
	for _, j := range []uint32{goJob, javaJob} {
		id, _ := dict.ID(j)
		fmt.Printf("ana → %s: one-way %.2f, back %.2f, harmonic %.2f\n", id,
			im.OneWay(ana, j), im.OneWay(j, ana), im.TwoWay(match.Harmonic, ana, j, 0.5, 0.5))
	}

	// ana is urgent (0.9), the Go job is not (0.2).
	ex := im.Explain(match.NamedAggregator{Name: "urgency-weighted", Aggregate: match.UrgencyWeighted}, ana, goJob, 0.9, 0.2, match.ExplainOptions{Top: 2, Language: text.English, Encoder: enc})
	fmt.Printf("two-way (%s) %.2f\n", ex.Aggregator, ex.TwoWay)
	for _, d := range []match.Direction{ex.Forward, ex.Backward} {
		from, _ := dict.ID(d.Requester)
		to, _ := dict.ID(d.Candidate)
		fmt.Printf("%s → %s %.2f\n", from, to, d.Match)
		for _, r := range d.Reasons {
			fmt.Printf("  + %-13s %.2f  %s\n", r.Kind, r.Contribution, r.Text)
		}
		for _, r := range d.Concerns {
			fmt.Printf("  - %-13s %.2f  %s\n", r.Kind, r.Contribution, r.Text)
		}
	}
	// Output:
	// ana: skills [go kubernetes redis 开发], expanded by rules [mysql]
	// ana → job-go: one-way 0.93, back 0.99, harmonic 0.95
	// ana → job-java: one-way 0.14, back 0.18, harmonic 0.16
	// two-way (urgency-weighted) 0.94
	// ana → job-go 0.93
	//   + similar       5.36  alike in what the profiles say
	//   + shared-skills 0.51  2 shared skills: go, kubernetes
	//   - city          -0.31  both in 北京
	//   - education     -0.16  asks for a bachelor's degree or above (you have a bachelor's degree)
	// job-go → ana 0.99
	//   + similar       7.74  alike in what the profiles say
	//   + skills        0.23  knows redis
	//   - city          -0.57  both in 北京
	//   - education     -0.02  has a bachelor's degree (you ask for a bachelor's degree or above)
}

// The aggregators side by side for one pair: the seeker likes the job a lot
// (0.9), the recruiter is lukewarm (0.3).
func ExampleAggregators() {
	p := match.NoUrgency(0.9, 0.3)
	for _, a := range match.Aggregators() {
		fmt.Printf("%-16s %.3f\n", a.Name, a.Aggregate(p))
	}
	// Output:
	// one-way          0.900
	// urgency-weighted 0.600
	// mean             0.600
	// harmonic         0.450
	// geometric        0.520
	// urgency-geometric 0.520
	// product          0.270
	// minimum          0.300
	// contact-cost     0.162
}

// With urgencies, each side's one-way match is weighted by that side's
// urgency: an urgent recruiter's lukewarm view counts more.
func ExampleUrgencyWeighted() {
	calm := match.Pair{Forward: 0.9, Backward: 0.3, RequesterUrgency: 0.5, CandidateUrgency: 0.5}
	urgentRecruiter := match.Pair{Forward: 0.9, Backward: 0.3, RequesterUrgency: 0.2, CandidateUrgency: 0.8}
	fmt.Printf("%.2f %.2f\n", match.UrgencyWeighted(calm), match.UrgencyWeighted(urgentRecruiter))
	// Output: 0.60 0.42
}

// Taste scores a target by what the people who decide like the actor did
// about it. In tasteMarket seekers 0 and 1 agreed on postings 10–13, and
// seeker 1 said yes to posting 14, which seeker 0 has not met; seeker 2,
// who decided the other way every time, passed it over and is no
// neighbour of seeker 0.
func ExampleTaste() {
	b := tasteMarket()
	taste, err := match.NewTaste(context.Background(), b, match.TasteConfig{}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, s := range taste.Score(nil, 0, []uint32{14, 15}) {
		fmt.Printf("posting %d: %+.3f\n", 14+i, s)
	}
	// Output:
	// posting 14: +0.153
	// posting 15: +0.000
}
