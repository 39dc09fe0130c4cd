package match_test

import (
	"context"
	"fmt"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/text"
)

// An explanation in English and in Chinese: facts in words, each a reason
// or a concern by its net contribution, generic title words (开发) apart
// from the shared skills, and the same data rendered in the other language
// by Localize.
func ExampleInterest_Explain() {
	ps := exampleMarket()
	var dict market.Dict
	for i := range ps {
		if _, err := dict.Index(ps[i].ID); err != nil {
			panic(err)
		}
	}
	enc, err := text.NewEncoder(ps, text.EncoderConfig{})
	if err != nil {
		panic(err)
	}
	cat := match.NewCatalog(match.CatalogConfig{FeatureName: match.FeatureNames(enc)})
	for i := range ps {
		if err := cat.Set(uint32(i), match.ContentFromText(enc, nil, &ps[i])); err != nil {
			panic(err)
		}
	}
	samples, err := match.Samples(match.SampleConfig{}, exampleInteractions(ps), cat.Side, nil)
	if err != nil {
		panic(err)
	}
	im, err := match.FitInterest(context.Background(), match.InterestConfig{}, cat, samples)
	if err != nil {
		panic(err)
	}
	ana, _ := dict.Lookup("ana")
	goJob, _ := dict.Lookup("job-go")
	agg := match.NamedAggregator{Name: "harmonic", Aggregate: match.Harmonic}
	en := im.Explain(agg, ana, goJob, 0.5, 0.5, match.ExplainOptions{Top: 3, Language: text.English, Encoder: enc})
	for _, x := range []match.Explanation{en, en.Localize(text.Chinese, nil)} {
		fmt.Printf("[%s] ana → job-go %.2f\n", x.Language, x.Forward.Match)
		for _, r := range x.Forward.Reasons {
			fmt.Printf("  + %s\n", r.Text)
		}
		for _, r := range x.Forward.Concerns {
			fmt.Printf("  - %s\n", r.Text)
		}
	}
	// Output:
	// [en] ana → job-go 0.93
	//   + alike in what the profiles say
	//   + 2 shared skills: go, kubernetes
	//   + the job title mentions backend development
	//   - both in 北京
	//   - asks for a bachelor's degree or above (you have a bachelor's degree)
	//   - pays 25k–35k a month (you expect 28k)
	// [zh] ana → job-go 0.93
	//   + 双方资料内容相近
	//   + 共同技能：go、kubernetes
	//   + 职位名称提到：后端开发
	//   - 同在北京
	//   - 要求本科及以上，你是本科
	//   - 月薪25k–35k，你期望28k
}
