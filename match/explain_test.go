package match_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/factor"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/rank"
	"github.com/twowayrec/twoway/recall"
	"github.com/twowayrec/twoway/sparse"
	"github.com/twowayrec/twoway/text"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// explainMarket is a market of six jobs and six seekers written so that
// its explanations need every reason kind and every form of the fields:
// the same and different cities with a district, pay in a range, open
// upwards, up to a figure, over 14 months, negotiable and unstated,
// experience in a range, open, any and unstated, every education level
// that matters, Chinese and English titles and skills, tags that rules
// expand, industries and a host attribute.
func explainMarket() []market.Profile {
	reg := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	pay := func(lo, hi float64) market.Salary { return market.Salary{Min: lo, Max: hi} }
	yrs := func(lo, hi float64) market.Range { return market.Range{Min: lo, Max: hi} }
	ps := []market.Profile{
		{ID: "job-go-bj", Side: market.Recruiter, Title: "Go后端开发工程师", City: "北京", District: "海淀区",
			Skills: []string{"Go", "MySQL", "Kubernetes", "Redis"}, Tags: []string{"五险一金", "远程"}, Industry: "互联网",
			Experience: yrs(3, 5), Education: market.EducationBachelor, Salary: market.Salary{Min: 25000, Max: 35000, Months: 14},
			Text: "负责后端服务开发，熟悉微服务和Docker。", Attributes: map[string]float64{"remote": 1}},
		{ID: "job-data-sh", Side: market.Recruiter, Title: "数据分析师", City: "上海",
			Skills: []string{"Python", "SQL", "数据分析"}, Tags: []string{"双休"}, Industry: "电子商务",
			Experience: yrs(1, 3), Education: market.EducationBachelor, Salary: pay(15000, 22000),
			Text: "使用Tableau制作报表，懂机器学习优先。"},
		{ID: "job-ml-sh", Side: market.Recruiter, Title: "Machine Learning Engineer", City: "上海",
			Skills: []string{"Python", "Machine Learning", "PyTorch"}, Industry: "人工智能",
			Experience: yrs(5, 0), Education: market.EducationMaster, Salary: market.Salary{Negotiable: true},
			Text: "Build recommendation models with deep learning and Spark."},
		{ID: "job-java-nj", Side: market.Recruiter, Title: "Java开发工程师", City: "南京",
			Skills: []string{"Java", "Spring Boot", "MySQL"}, Tags: []string{"五险一金"}, Industry: "互联网",
			Salary: pay(12000, 0), Text: "参与订单系统开发。"},
		{ID: "job-intern-bj", Side: market.Recruiter, Title: "数据实习生", City: "北京", District: "朝阳区",
			Skills: []string{"Excel", "SQL"}, Tags: []string{"双休"}, Education: market.EducationAssociate,
			Salary: pay(0, 4000), Text: "协助整理数据报表。", Attributes: map[string]float64{"remote": 1}},
		{ID: "job-fe-sz", Side: market.Recruiter, Title: "Frontend Developer", City: "深圳",
			Skills: []string{"JavaScript", "React", "CSS"}, Industry: "互联网",
			Experience: yrs(1, 3), Education: market.EducationBachelor, Salary: pay(18000, 30000),
			Text: "Build web pages with React and TypeScript."},

		{ID: "li.wei", Side: market.Seeker, Title: "Go开发", City: "北京",
			Skills: []string{"Go", "Redis", "Docker"}, Tags: []string{"远程"}, Industry: "互联网",
			Experience: yrs(4, 4), Education: market.EducationBachelor, Salary: pay(28000, 28000),
			Text: "做过Kubernetes集群运维和MySQL调优。", Attributes: map[string]float64{"remote": 1}},
		{ID: "chen.jing", Side: market.Seeker, Title: "数据分析", City: "上海",
			Skills: []string{"Python", "SQL", "Excel"}, Tags: []string{"双休"},
			Experience: yrs(2, 2), Education: market.EducationBachelor, Salary: pay(16000, 20000),
			Text: "熟悉Tableau和数据分析。"},
		{ID: "dan", Side: market.Seeker, Title: "Machine Learning Engineer", City: "上海",
			Skills: []string{"Python", "machine learning", "PyTorch"}, Industry: "人工智能",
			Experience: yrs(6, 6), Education: market.EducationDoctorate, Salary: market.Salary{Negotiable: true},
			Text: "Deep learning research, recommendation models."},
		{ID: "he.tao", Side: market.Seeker, Title: "Java后端开发", City: "南京",
			Skills: []string{"Java", "Spring Boot", "MySQL"}, Text: "三年订单系统开发。"},
		{ID: "amy", Side: market.Seeker, Title: "Frontend Engineer", City: "深圳",
			Skills: []string{"JavaScript", "React"}, Experience: yrs(1, 1), Education: market.EducationAssociate,
			Salary: pay(20000, 25000), Text: "React and CSS animations."},
		{ID: "wu.min", Side: market.Seeker, Title: "数据开发工程师", City: "北京",
			Skills: []string{"SQL", "Hive", "Spark", "Python"}, Tags: []string{"五险一金"},
			Experience: yrs(3, 3), Education: market.EducationMaster, Salary: pay(22000, 30000),
			Text: "搭建数据仓库，熟悉Excel。"},
	}
	for i := range ps {
		ps[i].Registered = reg
	}
	return ps
}

// explainFixture is the fitted market of the golden tests.
type explainFixture struct {
	ps  []market.Profile
	ix  map[string]uint32
	enc *text.Encoder
	cat *match.Catalog
	im  *match.Interest
}

func newExplainFixture(t *testing.T) *explainFixture {
	t.Helper()
	ps := explainMarket()
	f := &explainFixture{ps: ps, ix: map[string]uint32{}}
	for i := range ps {
		f.ix[ps[i].ID] = uint32(i)
	}
	var err error
	f.enc, err = text.NewEncoder(ps, text.EncoderConfig{})
	require.NoError(t, err)
	var sets [][]string
	for i := range ps {
		c := match.ContentFromText(f.enc, nil, &ps[i])
		sets = append(sets, slices.Concat(c.Skills, c.Tags))
	}
	rules, err := text.MineRules(sets, text.RuleConfig{MinConfidence: 0.6})
	require.NoError(t, err)
	f.cat = match.NewCatalog(match.CatalogConfig{FeatureName: match.FeatureNames(f.enc), Kinds: match.FeatureKinds(f.enc)})
	for i := range ps {
		require.NoError(t, f.cat.Set(uint32(i), match.ContentFromText(f.enc, rules, &ps[i])))
	}
	inter := explainInteractions(ps)
	samples, err := match.Samples(match.SampleConfig{}, inter, f.cat.Side, nil)
	require.NoError(t, err)
	// The evidence of the pairs: behaviour counts and collaborative
	// affinities, as the Engine gives them.
	beh := match.NewBehaviour(match.BehaviourConfig{})
	x, err := recall.NewInterest(recall.InterestConfig{Clock: func() time.Time { return explainNow }})
	require.NoError(t, err)
	for _, e := range inter {
		beh.Record(e.Actor, e.Target, ps[e.Actor].Side, e.Action, e.Time)
	}
	require.NoError(t, x.Fit(context.Background(), func(yield func(recall.Event) bool) {
		for _, e := range inter {
			if !yield(recall.Event{Actor: e.Actor, Target: e.Target, Action: e.Action, Time: time.Unix(0, e.Time)}) {
				return
			}
		}
	}))
	item, err := recall.NewItemCF(x, recall.CFConfig{})
	require.NoError(t, err)
	user, err := recall.NewUserCF(x, recall.CFConfig{})
	require.NoError(t, err)
	require.NoError(t, item.Fit(context.Background()))
	require.NoError(t, user.Fit(context.Background()))
	mf, emb := explainFactors(t, ps, x)
	taste, err := match.NewTaste(context.Background(), beh, match.TasteConfig{}, nil)
	require.NoError(t, err)
	cf := func(dst *match.Evidence, a, b uint32) {
		one := []uint32{b}
		dst[match.EvidenceItemCF] = match.CF(item.Affinity(a, one, nil)[0])
		dst[match.EvidenceUserCF] = match.CF(user.Affinity(a, one, nil)[0])
		dst[match.EvidenceTaste] = taste.Score(nil, a, one)[0]
		mf(dst, a, b)
		dst[match.EvidenceEmbedding] = emb(a, b)
	}
	beh.AttachEvidence(samples, inter)
	for i := range samples {
		cf(&samples[i].Evidence, samples[i].User, samples[i].Target)
	}
	f.im, err = match.FitInterest(context.Background(), match.InterestConfig{}, f.cat, samples)
	require.NoError(t, err)
	f.im.SetEvidence(func(dst *match.Evidence, a, b uint32, answer bool) {
		cf(dst, a, b)
		beh.Evidence(dst, a, b, answer || beh.Contacted(a, b), nil)
	})
	return f
}

// explainFactors fits a two-sided factor model on the golden market's
// interest matrix and embeds its profiles with the reference embedder, and
// returns the functions that give a pair's factor evidence and embedding
// cosine (fitted on every pair: the explanations, not the model's
// accuracy, are under test).
func explainFactors(t *testing.T, ps []market.Profile, x *recall.Interest) (func(*match.Evidence, uint32, uint32), func(a, b uint32) float64) {
	t.Helper()
	local := make([]int, len(ps))
	var n [3]int
	for i := range ps {
		local[i] = n[ps[i].Side]
		n[ps[i].Side]++
	}
	var cells [3][]factor.Cell
	for i := range ps {
		for _, e := range x.History(uint32(i), nil) {
			cells[ps[i].Side] = append(cells[ps[i].Side], factor.Cell{Row: uint32(local[i]), Col: uint32(local[e.Index]), Value: e.Weight})
		}
	}
	si, err := factor.FromCells(n[market.Seeker], n[market.Recruiter], cells[market.Seeker])
	require.NoError(t, err)
	ji, err := factor.FromCells(n[market.Recruiter], n[market.Seeker], cells[market.Recruiter])
	require.NoError(t, err)
	tr, err := factor.New(factor.Config{Factors: 2, Holdout: -1, Iterations: 5})
	require.NoError(t, err)
	rec, err := tr.FitTwoSided(context.Background(), factor.TwoSided{SeekerInterest: si, JobInterest: ji})
	require.NoError(t, err)
	h, err := factor.NewHashEmbedder(factor.HashConfig{})
	require.NoError(t, err)
	vecs, err := h.Embed(context.Background(), ps)
	require.NoError(t, err)
	mf := func(dst *match.Evidence, a, b uint32) {
		fw, bw := rec.Match(ps[a].Side, local[a], local[b])
		dst[match.EvidenceFactorForward] = math.Log(fw.Probability / (1 - fw.Probability))
		dst[match.EvidenceFactorBackward] = math.Log(bw.Probability / (1 - bw.Probability))
	}
	emb := func(a, b uint32) float64 {
		va, vb := vecs[a], vecs[b]
		na, nb := factor.Dot(va, va), factor.Dot(vb, vb)
		if na == 0 || nb == 0 {
			return 0
		}
		return factor.Dot(va, vb) / math.Sqrt(na*nb)
	}
	return mf, emb
}

// explainNow is the time of the golden market's events.
var explainNow = time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)

// explainInteractions: everyone was shown everyone on the other side; a
// participant chats with those sharing two declared skills, views those
// sharing one or the city, rejects the rest in another city, and passes
// over what is left.
func explainInteractions(ps []market.Profile) []match.Interaction {
	var out []match.Interaction
	for a := range ps {
		for b := range ps {
			if ps[a].Side == ps[b].Side {
				continue
			}
			at := explainNow.Add(time.Duration(len(out)) * time.Minute).UnixNano()
			out = append(out, match.Interaction{Actor: uint32(a), Target: uint32(b), Action: market.Impression, Time: at})
			shared := 0
			for _, s := range ps[a].Skills {
				for _, t := range ps[b].Skills {
					if strings.EqualFold(s, t) {
						shared++
					}
				}
			}
			var act market.Action
			switch {
			case shared >= 2:
				act = market.Chat
			case shared == 1 || ps[a].City == ps[b].City:
				act = market.View
			case (a+b)%3 == 0:
				act = market.Reject
			default:
				continue
			}
			out = append(out, match.Interaction{Actor: uint32(a), Target: uint32(b), Action: act, Time: at + int64(time.Second)})
		}
	}
	return out
}

// explainPairs are the seeker–job pairs of the golden files.
var explainPairs = [][2]string{
	{"li.wei", "job-go-bj"},      // same city and district, shared skills, expanded tags, 14 months' pay
	{"chen.jing", "job-data-sh"}, // a data analyst: generic title words, Chinese skills
	{"dan", "job-ml-sh"},         // English: machine learning, negotiable pay, 5+ years
	{"he.tao", "job-java-nj"},    // nothing stated by the seeker; any experience, any education, 12k+
	{"amy", "job-fe-sz"},         // English frontend
	{"wu.min", "job-intern-bj"},  // over-qualified for an internship paying up to 4k
	{"li.wei", "job-data-sh"},    // a poor match: concerns
}

// render writes the explanations of every pair in both directions, with
// every reason and concern.
func (f *explainFixture) render(t *testing.T, opt match.ExplainOptions) (string, []match.Explanation) {
	t.Helper()
	var b strings.Builder
	var all []match.Explanation
	agg := match.NamedAggregator{Name: "harmonic", Aggregate: match.Harmonic}
	for _, p := range explainPairs {
		s, j := f.ix[p[0]], f.ix[p[1]]
		x := f.im.Explain(agg, s, j, 0.5, 0.5, opt)
		all = append(all, x)
		fmt.Fprintf(&b, "## %s ↔ %s: two-way %.2f (%s)\n", p[0], p[1], x.TwoWay, x.Aggregator)
		for _, d := range []match.Direction{x.Forward, x.Backward} {
			fmt.Fprintf(&b, "%s → %s %.2f (base %+.2f)\n", f.ps[d.Requester].ID, f.ps[d.Candidate].ID, d.Match, d.Base)
			for _, r := range d.Reasons {
				fmt.Fprintf(&b, "  + %-13s %+.2f  %s\n", r.Kind, r.Contribution, r.Text)
			}
			for _, r := range d.Concerns {
				fmt.Fprintf(&b, "  - %-13s %+.2f  %s\n", r.Kind, r.Contribution, r.Text)
			}
		}
		b.WriteString("\n")
	}
	return b.String(), all
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -run %s -update to create it", t.Name())
	assert.Equal(t, string(want), got, "explanations changed; if that is intended, run go test ./match -run %s -update and review the diff", t.Name())
}

// TestExplainGolden renders the explanations of the hand-written market in
// Chinese and English against testdata/explain.zh.golden and
// explain.en.golden, and checks what every explanation must hold: the
// contributions add up, no fact is both a reason and a concern, generic
// title words are never skills, the words come from the data alone
// (Localize gives the same sentences), and every reason kind occurs.
func TestExplainGolden(t *testing.T) {
	f := newExplainFixture(t)
	seen := map[match.ReasonKind]bool{}
	byLang := map[text.Language][]match.Explanation{}
	for _, lang := range []text.Language{text.Chinese, text.English} {
		out, xs := f.render(t, match.ExplainOptions{Language: lang, Encoder: f.enc})
		golden(t, "explain."+string(lang)+".golden", out)
		byLang[lang] = xs
		for _, x := range xs {
			assert.Equal(t, lang, x.Language)
			for _, d := range []match.Direction{x.Forward, x.Backward} {
				checkDirection(t, d)
				for _, r := range slices.Concat(d.Reasons, d.Concerns) {
					seen[r.Kind] = true
				}
			}
		}
	}
	// The zero options speak Chinese.
	zero, _ := f.render(t, match.ExplainOptions{Encoder: f.enc})
	zh, _ := f.render(t, match.ExplainOptions{Language: text.Chinese, Encoder: f.enc})
	assert.Equal(t, zh, zero)

	// Without an Encoder, content features keep the Catalog's names
	// (ReasonContent) and the pair features their words.
	raw, xs := f.render(t, match.ExplainOptions{Language: text.English})
	golden(t, "explain.noencoder.golden", raw)
	for _, x := range xs {
		for _, d := range []match.Direction{x.Forward, x.Backward} {
			checkDirection(t, d)
			for _, r := range slices.Concat(d.Reasons, d.Concerns) {
				seen[r.Kind] = true
			}
		}
	}

	// Localize renders from the data alone: Chinese → English gives the
	// English explanation, and back.
	for i := range byLang[text.Chinese] {
		zh, en := byLang[text.Chinese][i], byLang[text.English][i]
		assert.Equal(t, en, zh.Localize(text.English, f.enc.Tokenizer().Vocabulary()), "pair %v", explainPairs[i])
		assert.Equal(t, zh, en.Localize(text.Chinese, nil), "pair %v", explainPairs[i])
	}

	var missing []string
	for k := match.ReasonSharedSkills; k.String() != fmt.Sprintf("ReasonKind(%d)", k); k++ {
		if !seen[k] {
			missing = append(missing, k.String())
		}
	}
	assert.Empty(t, missing, "reason kinds the golden market does not exercise")
}

// checkDirection checks the invariants of one direction, kept in full.
func checkDirection(t *testing.T, d match.Direction) {
	t.Helper()
	z := d.Base
	facts := map[string]string{} // fact → "reason" or "concern"
	for _, side := range []struct {
		name string
		rs   []match.Reason
	}{{"reason", d.Reasons}, {"concern", d.Concerns}} {
		for _, r := range side.rs {
			z += r.Contribution
			assert.NotEmpty(t, r.Text)
			if side.name == "reason" {
				assert.Greater(t, r.Contribution, 0.0, r.Text)
			} else {
				assert.Less(t, r.Contribution, 0.0, r.Text)
			}
			keys := []string{r.Kind.String()} // a structured fact
			switch r.Kind {
			case match.ReasonCity, match.ReasonSalary, match.ReasonExperience, match.ReasonEducation:
			default:
				keys = nil
				for _, term := range r.Terms {
					keys = append(keys, "term "+term)
				}
			}
			for _, k := range keys {
				if other, dup := facts[k]; dup {
					t.Errorf("%d → %d: %s is a %s and a %s", d.Requester, d.Candidate, k, other, side.name)
				}
				facts[k] = side.name
			}
			switch r.Kind {
			case match.ReasonSharedSkills, match.ReasonSharedTags, match.ReasonSkills, match.ReasonTags:
				for _, term := range r.Terms {
					assert.False(t, match.GenericTerm(term), "generic %q in %s: %s", term, r.Kind, r.Text)
				}
			}
			if r.Kind != match.ReasonContent {
				assert.Len(t, r.Labels, len(r.Terms), r.Text)
			}
		}
	}
	assert.InDelta(t, d.Match, rank.Sigmoid(z), 1e-12, "σ(base + Σ contributions) = match")
}

// In English, skills show their English names; in Chinese their Chinese
// ones; the identity (Terms) is the same.
func TestExplainLabels(t *testing.T) {
	f := newExplainFixture(t)
	agg := match.NamedAggregator{Name: "harmonic", Aggregate: match.Harmonic}
	find := func(x match.Explanation, term string) (match.Reason, bool) {
		for _, r := range slices.Concat(x.Forward.Reasons, x.Forward.Concerns) {
			if slices.Contains(r.Terms, term) {
				return r, true
			}
		}
		return match.Reason{}, false
	}
	s, j := f.ix["dan"], f.ix["job-ml-sh"]
	en := f.im.Explain(agg, s, j, 0.5, 0.5, match.ExplainOptions{Language: text.English, Encoder: f.enc})
	zh := f.im.Explain(agg, s, j, 0.5, 0.5, match.ExplainOptions{Language: text.Chinese, Encoder: f.enc})
	r, ok := find(en, "机器学习")
	require.True(t, ok, "dan and the ML job share 机器学习: %+v", en.Forward)
	assert.Equal(t, match.ReasonSharedSkills, r.Kind)
	assert.Contains(t, r.Labels, "machine learning")
	assert.Contains(t, r.Text, "machine learning")
	assert.NotContains(t, r.Text, "机器学习")
	r, ok = find(zh, "机器学习")
	require.True(t, ok)
	assert.Contains(t, r.Text, "机器学习")
}

// A host decodes the JSON of an explanation and gets the same data back;
// the shape keeps its old fields.
func TestExplainJSON(t *testing.T) {
	f := newExplainFixture(t)
	agg := match.NamedAggregator{Name: "harmonic", Aggregate: match.Harmonic}
	x := f.im.Explain(agg, f.ix["li.wei"], f.ix["job-go-bj"], 0.5, 0.5, match.ExplainOptions{Language: text.English, Encoder: f.enc})
	b, err := json.Marshal(x)
	require.NoError(t, err)
	var back match.Explanation
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, x, back)
	var shape map[string]any
	require.NoError(t, json.Unmarshal(b, &shape))
	assert.Equal(t, "en", shape["language"])
	fwd := shape["forward"].(map[string]any)
	for _, k := range []string{"requester", "candidate", "side", "match", "personal", "base", "reasons"} {
		assert.Contains(t, fwd, k)
	}
	var salary map[string]any
	for _, r := range fwd["reasons"].([]any) {
		r := r.(map[string]any)
		for _, k := range []string{"kind", "contribution", "value", "text"} {
			assert.Contains(t, r, k)
		}
		if r["kind"] == "salary" {
			salary = r
		}
	}
	if salary == nil {
		for _, r := range fwd["concerns"].([]any) {
			if r := r.(map[string]any); r["kind"] == "salary" {
				salary = r
			}
		}
	}
	require.NotNil(t, salary, "li.wei's view has a salary fact")
	assert.Equal(t, map[string]any{
		"expected": map[string]any{"min": 28000.0, "max": 28000.0},
		"offered":  map[string]any{"min": 25000.0, "max": 35000.0, "months": 14.0},
	}, salary["values"])

	var k match.ReasonKind
	require.NoError(t, k.UnmarshalText([]byte("shared-words")))
	assert.Equal(t, match.ReasonSharedWords, k)
	assert.Error(t, k.UnmarshalText([]byte("nonsense")))
}

// Explanations without a Catalog (another Featurizer) name features
// "feature j", in both languages; Top keeps the strongest.
func TestExplainOtherFeaturizer(t *testing.T) {
	feat := pairFeaturizer{}
	var samples []match.Sample
	for u := uint32(0); u < 4; u++ {
		for v := uint32(4); v < 8; v++ {
			samples = append(samples, match.Sample{User: u, Target: v, Attended: (u+v)%2 == 0, Weight: 1},
				match.Sample{User: v, Target: u, Attended: (u+v)%3 == 0, Weight: 1})
		}
	}
	im, err := match.FitInterest(context.Background(), match.InterestConfig{}, feat, samples)
	require.NoError(t, err)
	agg := match.NamedAggregator{Name: "mean", Aggregate: match.Mean}
	x := im.Explain(agg, 0, 4, 0.5, 0.5, match.ExplainOptions{})
	checkDirection(t, x.Forward)
	checkDirection(t, x.Backward)
	for _, r := range slices.Concat(x.Forward.Reasons, x.Forward.Concerns) {
		assert.Equal(t, match.ReasonContent, r.Kind)
		assert.Regexp(t, `^feature \d$`, r.Text)
	}
	top := im.Explain(agg, 0, 4, 0.5, 0.5, match.ExplainOptions{Top: 1})
	assert.LessOrEqual(t, len(top.Forward.Reasons), 1)
	assert.LessOrEqual(t, len(top.Forward.Concerns), 1)
	if len(top.Forward.Reasons) == 1 {
		assert.Equal(t, x.Forward.Reasons[0], top.Forward.Reasons[0])
	}
}

// pairFeaturizer is a market of 8 participants (0–3 seekers, 4–7 jobs)
// whose features are the two indices' bits.
type pairFeaturizer struct{}

func (pairFeaturizer) Features(dst sparse.Vector, a, b uint32) sparse.Vector {
	dst.Idx, dst.Val = dst.Idx[:0], dst.Val[:0]
	for j := range uint32(3) {
		if (a^b)>>j&1 == 1 {
			dst.Idx, dst.Val = append(dst.Idx, j), append(dst.Val, 1)
		}
	}
	dst.Idx, dst.Val = append(dst.Idx, 3), append(dst.Val, float64(b%4)/4)
	return dst
}

func (pairFeaturizer) Side(ix uint32) market.Side {
	switch {
	case ix < 4:
		return market.Seeker
	case ix < 8:
		return market.Recruiter
	}
	return 0
}

func TestGenericTerm(t *testing.T) {
	for _, term := range []string{"开发", "数据", "分析", "分析师", "后端开发", "工程师", "数据分析师", "产品经理",
		"测试工程师", "高级", "engineer", "developer", "Data", "Senior", "data engineer", "team lead", "backend"} {
		assert.True(t, match.GenericTerm(term), term)
	}
	for _, term := range []string{"数据分析", "数据挖掘", "大数据", "数据库", "机器学习", "测试", "java", "go",
		"mysql", "data analysis", "machine learning", "leadership", "react"} {
		assert.False(t, match.GenericTerm(term), term)
	}
	ws := match.GenericTerms()
	assert.Contains(t, ws, "开发")
	assert.Contains(t, ws, "engineer")
	ws[0] = "changed"
	assert.NotEqual(t, "changed", match.GenericTerms()[0], "a copy")
}

// The words of every kind and form, for a seeker (you = seeker) and a
// recruiter reading them, rendered by Localize from hand-made reasons: the
// sentences a host would get for these facts.
func TestExplainWords(t *testing.T) {
	pay := func(lo, hi float64) market.Salary { return market.Salary{Min: lo, Max: hi} }
	for _, c := range []struct {
		you    market.Side
		r      match.Reason
		en, zh string
	}{
		{market.Seeker, match.Reason{Kind: match.ReasonSharedSkills, Terms: []string{"go"}}, "1 shared skill: go", "共同技能：go"},
		{market.Seeker, match.Reason{Kind: match.ReasonSharedSkills, Terms: []string{"go", "机器学习"}}, "2 shared skills: go, machine learning", "共同技能：go、机器学习"},
		{market.Seeker, match.Reason{Kind: match.ReasonSharedTags, Terms: []string{"kubernetes", "远程"}, Expanded: []string{"kubernetes"}},
			"2 shared tags: kubernetes, 远程 (kubernetes by tag expansion)", "共同标签：kubernetes、远程（kubernetes 由关联规则扩展而来）"},
		{market.Seeker, match.Reason{Kind: match.ReasonSharedTags, Terms: []string{"sql"}, Expanded: []string{"sql"}},
			"1 shared tag: sql (by tag expansion)", "共同标签：sql（由关联规则扩展而来）"},
		{market.Seeker, match.Reason{Kind: match.ReasonCity, Values: match.Values{RequesterCity: "北京", CandidateCity: "北京", District: "海淀区"}},
			"both in 北京, 海淀区", "同在北京（海淀区）"},
		{market.Seeker, match.Reason{Kind: match.ReasonCity, Values: match.Values{RequesterCity: "北京", CandidateCity: "Austin"}},
			"in Austin (you are in 北京)", "工作地点在 Austin，你在北京"},
		{market.Recruiter, match.Reason{Kind: match.ReasonCity, Values: match.Values{RequesterCity: "北京", CandidateCity: "上海"}},
			"lives in 上海 (the job is in 北京)", "人在上海，职位在北京"},
		{market.Seeker, match.Reason{Kind: match.ReasonCity, Values: match.Values{CandidateCity: "上海"}}, "in 上海", "工作地点在上海"},
		{market.Seeker, match.Reason{Kind: match.ReasonCity}, "city not stated", "未写城市"},
		{market.Seeker, match.Reason{Kind: match.ReasonSalary, Values: match.Values{Expected: pay(18000, 25000), Offered: pay(12000, 18000)}},
			"pays 12k–18k a month (you expect 18k–25k)", "月薪12k–18k，你期望18k–25k"},
		{market.Seeker, match.Reason{Kind: match.ReasonSalary, Values: match.Values{Expected: pay(12500, 0), Offered: market.Salary{Min: 20000, Max: 40000, Months: 16}}},
			"pays 20k–40k a month, 16 months a year (you expect 12.5k+)", "月薪20k–40k·16薪，你期望12.5k以上"},
		{market.Seeker, match.Reason{Kind: match.ReasonSalary, Values: match.Values{Offered: market.Salary{Negotiable: true}}},
			"pay negotiable (you state no expected pay)", "薪资面议，你未写期望薪资"},
		{market.Seeker, match.Reason{Kind: match.ReasonSalary, Values: match.Values{Expected: pay(800, 800), Offered: pay(0, 2000)}},
			"pays up to 2k a month (you expect 800)", "月薪2k以下，你期望800"},
		{market.Seeker, match.Reason{Kind: match.ReasonSalary, Values: match.Values{Expected: market.Salary{Negotiable: true}}},
			"pay not stated (your expectation is negotiable)", "未写薪资，你期望面议"},
		{market.Recruiter, match.Reason{Kind: match.ReasonSalary, Values: match.Values{Expected: pay(18000, 25000), Offered: pay(12000, 18000)}},
			"expects 18k–25k a month (you pay 12k–18k)", "期望月薪18k–25k，你给12k–18k"},
		{market.Recruiter, match.Reason{Kind: match.ReasonSalary, Values: match.Values{Expected: market.Salary{Negotiable: true}, Offered: market.Salary{Negotiable: true}}},
			"expected pay negotiable (your pay is negotiable)", "期望薪资面议，你的薪资面议"},
		{market.Recruiter, match.Reason{Kind: match.ReasonSalary}, "states no expected pay (you state no pay)", "未写期望薪资，你未写薪资"},
		{market.Seeker, match.Reason{Kind: match.ReasonExperience, Values: match.Values{Years: 1, Required: market.Range{Min: 1, Max: 3}}},
			"asks for 1–3 years of experience (you have 1 year)", "要求1–3年经验，你有1年经验"},
		{market.Seeker, match.Reason{Kind: match.ReasonExperience, Values: match.Values{Years: 2.5, Required: market.Range{Min: 5}}},
			"asks for 5+ years of experience (you have 2.5 years)", "要求5年以上经验，你有2.5年经验"},
		{market.Seeker, match.Reason{Kind: match.ReasonExperience, Values: match.Values{Required: market.Range{Min: 1, Max: 1}}},
			"asks for 1 year of experience (you list none)", "要求1年经验，你未写工作年限"},
		{market.Seeker, match.Reason{Kind: match.ReasonExperience, Values: match.Values{Years: 3, Required: market.Range{Max: 2}}},
			"asks for up to 2 years of experience (you have 3 years)", "要求2年以内经验，你有3年经验"},
		{market.Seeker, match.Reason{Kind: match.ReasonExperience, Values: match.Values{Years: 3}}, "no experience required (you have 3 years)", "经验不限，你有3年经验"},
		{market.Recruiter, match.Reason{Kind: match.ReasonExperience, Values: match.Values{Years: 1, Required: market.Range{Min: 3, Max: 5}}},
			"has 1 year of experience (you ask for 3–5 years)", "有1年经验，你要求3–5年"},
		{market.Recruiter, match.Reason{Kind: match.ReasonExperience}, "lists no experience (you accept any)", "未写工作年限，你经验不限"},
		{market.Seeker, match.Reason{Kind: match.ReasonEducation, Values: match.Values{Education: market.EducationMaster, MinEducation: market.EducationBachelor}},
			"asks for a bachelor's degree or above (you have a master's degree)", "要求本科及以上，你是硕士"},
		{market.Seeker, match.Reason{Kind: match.ReasonEducation, Values: match.Values{MinEducation: market.EducationAssociate}},
			"asks for an associate degree or above (you state none)", "要求大专及以上，你未写学历"},
		{market.Seeker, match.Reason{Kind: match.ReasonEducation, Values: match.Values{Education: market.EducationSecondary}},
			"no degree required (you have a secondary-school education)", "学历不限，你是高中/中专"},
		{market.Recruiter, match.Reason{Kind: match.ReasonEducation, Values: match.Values{Education: market.EducationDoctorate, MinEducation: market.EducationMaster}},
			"has a doctorate (you ask for a master's degree or above)", "博士学历，你要求硕士及以上"},
		{market.Recruiter, match.Reason{Kind: match.ReasonEducation}, "states no education (you require none)", "未写学历，你学历不限"},
		{market.Seeker, match.Reason{Kind: match.ReasonContent, Terms: []string{"feature 7"}}, "feature 7", "feature 7"},
		{market.Seeker, match.Reason{Kind: match.ReasonSkills, Terms: []string{"docker", "机器学习"}}, "asks for docker, machine learning", "技能要求：docker、机器学习"},
		{market.Recruiter, match.Reason{Kind: match.ReasonSkills, Terms: []string{"docker"}}, "knows docker", "掌握技能：docker"},
		{market.Seeker, match.Reason{Kind: match.ReasonTags, Terms: []string{"双休"}}, "tagged 双休", "标签：双休"},
		{market.Seeker, match.Reason{Kind: match.ReasonSharedWords, Terms: []string{"开发", "数据"}}, "both mention development, data", "都提到：开发、数据"},
		{market.Seeker, match.Reason{Kind: match.ReasonSharedWords, Terms: []string{"开发", "后端开发", "data", "data analysis", "dat"}},
			"both mention backend development, data analysis, dat", "都提到：后端开发、数据分析、dat"},
		{market.Seeker, match.Reason{Kind: match.ReasonTitle, Terms: []string{"数据分析", "工程师"}}, "the job title mentions data analysis, engineer", "职位名称提到：数据分析、工程师"},
		{market.Recruiter, match.Reason{Kind: match.ReasonTitle, Terms: []string{"engineer"}}, "their job title mentions engineer", "意向职位提到：engineer"},
		{market.Seeker, match.Reason{Kind: match.ReasonText, Terms: []string{"报表", "优", "a", "b", "c", "d", "e", "2024"}},
			"the posting mentions 报表, a, b, c, d and 1 more", "职位信息提到：报表、a、b、c、d等6项"},
		{market.Seeker, match.Reason{Kind: match.ReasonText, Terms: []string{"优", "3"}}, "the wording of the posting", "职位信息的用词"},
		{market.Recruiter, match.Reason{Kind: match.ReasonText, Terms: []string{"集群"}}, "their profile mentions 集群", "简历提到：集群"},
		{market.Recruiter, match.Reason{Kind: match.ReasonText, Terms: []string{"做"}}, "the wording of their profile", "简历的用词"},
		{market.Seeker, match.Reason{Kind: match.ReasonIndustry, Terms: []string{"互联网"}}, "in the internet industry", "所属行业：互联网"},
		{market.Recruiter, match.Reason{Kind: match.ReasonIndustry, Terms: []string{"互联网", "金融"}}, "from the internet, 金融 industries", "行业背景：互联网、金融"},
		{market.Seeker, match.Reason{Kind: match.ReasonAttribute, Terms: []string{"remote"}}, "profile attribute: remote", "资料属性：remote"},
		{market.Seeker, match.Reason{Kind: match.ReasonAttribute, Terms: []string{"age", "remote"}}, "profile attributes: age, remote", "资料属性：age、remote"},
	} {
		x := match.Explanation{Forward: match.Direction{Side: c.you, Reasons: []match.Reason{c.r}}}
		en := x.Localize(text.English, nil).Forward.Reasons[0]
		zh := x.Localize(text.Chinese, nil).Forward.Reasons[0]
		assert.Equal(t, c.en, en.Text, "%s %s", c.you, c.r.Kind)
		assert.Equal(t, c.zh, zh.Text, "%s %s", c.you, c.r.Kind)
		assert.Equal(t, c.r.Terms, en.Terms, "Localize keeps the data")
		assert.Empty(t, x.Forward.Reasons[0].Text, "Localize does not touch its receiver")
	}
	// Any other language gets English.
	x := match.Explanation{Forward: match.Direction{Side: market.Seeker, Reasons: []match.Reason{{Kind: match.ReasonSharedSkills, Terms: []string{"go"}}}}}
	assert.Equal(t, "1 shared skill: go", x.Localize("fr", nil).Forward.Reasons[0].Text)
	assert.Equal(t, text.English, x.Localize("fr", nil).Language)
}

// The labels of field values a host renders its own sentences with.
func TestFieldLabels(t *testing.T) {
	for _, c := range []struct {
		e        market.Education
		required bool
		zh, en   string
	}{
		{market.EducationBachelor, true, "本科及以上", "a bachelor's degree or above"},
		{market.EducationBachelor, false, "本科", "a bachelor's degree"},
		{market.EducationAny, true, "学历不限", "no degree required"},
		{market.EducationAny, false, "未写学历", "not stated"},
		{market.EducationAssociate, true, "大专及以上", "an associate degree or above"},
		{market.EducationDoctorate, false, "博士", "a doctorate"},
	} {
		assert.Equal(t, c.zh, match.EducationLabel(c.e, text.Chinese, c.required))
		assert.Equal(t, c.en, match.EducationLabel(c.e, text.English, c.required))
	}
	for _, c := range []struct {
		r      market.Range
		zh, en string
	}{
		{market.Range{}, "经验不限", "any experience"},
		{market.Range{Min: 1, Max: 3}, "1–3年", "1–3 years"},
		{market.Range{Min: 5}, "5年以上", "5+ years"},
		{market.Range{Min: 1, Max: 1}, "1年", "1 year"},
	} {
		assert.Equal(t, c.zh, match.ExperienceLabel(c.r, text.Chinese))
		assert.Equal(t, c.en, match.ExperienceLabel(c.r, text.English))
	}
	for _, c := range []struct {
		s      market.Salary
		zh, en string
	}{
		{market.Salary{Min: 12000, Max: 18000, Months: 14}, "12k–18k·14薪", "12k–18k a month, 14 months a year"},
		{market.Salary{Min: 15000}, "15k以上", "15k+ a month"},
		{market.Salary{Negotiable: true}, "面议", "negotiable"},
		{market.Salary{}, "未写", "not stated"},
	} {
		assert.Equal(t, c.zh, match.SalaryLabel(c.s, text.Chinese))
		assert.Equal(t, c.en, match.SalaryLabel(c.s, text.English))
	}
}
