// Package retrieval measures content retrieval on real Chinese job
// postings with weak labels: a seeker profile built from one posting asks
// for jobs, and the relevant jobs are the other postings of the same
// category. It compares, in one run and on the same queries, the
// twoway.Engine's content path (driven through its public API), package
// text's TF-IDF cosine, and two plain bag-of-words baselines.
//
// # Task
//
// A [Corpus] is a file of postings with a category per posting (lagou's
// secondType, [ReadLagou2017]). Queries are a seeded sample of postings.
// Each query is asked in two forms ([Variants]):
//
//   - "title, skills and text": a seeker profile with the posting's
//     Title, Skills, Tags (lagou's position labels) and Text;
//   - "text only": the same words in Text alone (title, then skills and
//     labels, then the posting's text), no Title, Skills or Tags, as a
//     résumé upload gives.
//
// Relevant = every other posting with the same category; the query's own
// posting is never a candidate.
//
// # Rankers
//
//   - Engine: every posting upserted as a recruiter and every query as a
//     seeker, one Fit (no events: content only), then Recommend (DryRun,
//     N = K+1) for each query seeker; results ranked by the Engine's
//     order, postings it did not return tie below them;
//   - text TF-IDF: package text's tokenizer (gse) over title, skills,
//     labels and text (AllText), TF-IDF fitted on the postings
//     (text.FitWeighting), cosine;
//   - bag of words: strings.FieldsFunc on non-letter, non-digit runes,
//     lower case, the same TF-IDF and cosine;
//   - character bigrams: every pair of adjacent letters or digits (the
//     usual segmenter-free baseline for Chinese), the same TF-IDF;
//   - random: seeded scores (its precision is the categories' base rate).
//
// The text baselines read all the words whatever the form, so their
// figures are the same for both forms.
//
// # Metrics
//
// P@K, NDCG@K and Hit@K (a relevant posting in the top K) per query
// (package rank; ties as a random order), their means with 95% bootstrap
// intervals over queries, and the bootstrap interval of the Engine's P@K
// minus each baseline's on the same resamples.
package retrieval

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/rank"
	"github.com/twowayrec/twoway/sparse"
	"github.com/twowayrec/twoway/text"
)

// Lagou2017File is the lagou 2017 data-analyst crawl inside the shared
// data directory.
const Lagou2017File = "jobs-zh/lagou_2017_data_analyst.csv"

// Lagou2017Source says where that file comes from, for skip messages.
const Lagou2017Source = "real job postings (data-analyst jobs) crawled from lagou.com in 2017 by a third party: " +
	Lagou2017File + " in the shared data directory (../shared/data beside the repository, or $TWOWAY_DATA)"

// Corpus is a file of postings with one category each.
type Corpus struct {
	// Source names the file.
	Source string
	// Postings are the recruiter profiles (market.ReadPostings, duplicates
	// within the file dropped) that have a category; Categories[i] is
	// Postings[i]'s.
	Postings   []market.Profile
	Categories []string
	// Report is the parsing report; Uncategorised counts parsed postings
	// left out for lack of a category.
	Report        market.PostingReport
	Uncategorised int
	byID          []sortedID
}

// ErrNoCategory is returned when a file has no category column.
var ErrNoCategory = errors.New("retrieval: no category column")

// OpenLagou2017 reads a lagou 2017 file (ReadLagou2017) from path.
func OpenLagou2017(path string) (*Corpus, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	base := filepath.Base(path)
	return ReadLagou2017(f, strings.TrimSuffix(base, filepath.Ext(base)))
}

// ReadLagou2017 reads postings in the lagou 2017 format
// (market.Lagou2017) from r, source naming the file, and gives each the
// category in its secondType column (joined by positionId).
func ReadLagou2017(r io.Reader, source string) (*Corpus, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("retrieval: %s: %w", source, err)
	}
	ps, rep, err := market.ReadPostings(bytes.NewReader(raw), market.PostingConfig{Format: market.Lagou2017, Source: source})
	if err != nil {
		return nil, fmt.Errorf("retrieval: %s: %w", source, err)
	}
	cats, err := categories(bytes.NewReader(raw), "positionId", "secondType")
	if err != nil {
		return nil, fmt.Errorf("retrieval: %s: %w", source, err)
	}
	c := &Corpus{Source: source, Report: rep}
	for _, p := range ps {
		id := strings.TrimPrefix(p.ID, source+":")
		if i := strings.IndexByte(id, '~'); i >= 0 {
			id = id[:i]
		}
		cat := cats[id]
		if cat == "" {
			c.Uncategorised++
			continue
		}
		c.Postings = append(c.Postings, p)
		c.Categories = append(c.Categories, cat)
	}
	return c, nil
}

// sample returns a corpus of n of c's postings chosen by seed, in c's
// order.
func (c *Corpus) sample(n int, seed uint64) *Corpus {
	idx := make([]int, len(c.Postings))
	for i := range idx {
		idx[i] = i
	}
	key := func(i int) uint64 { return mix(seed ^ mix(uint64(i)+0x9a)) }
	slices.SortFunc(idx, func(a, b int) int { return cmp.Or(cmp.Compare(key(a), key(b)), cmp.Compare(a, b)) })
	idx = idx[:n]
	slices.Sort(idx)
	out := &Corpus{Source: c.Source, Report: c.Report, Uncategorised: c.Uncategorised}
	for _, i := range idx {
		out.Postings = append(out.Postings, c.Postings[i])
		out.Categories = append(out.Categories, c.Categories[i])
	}
	return out
}

// categories maps the id column to the category column of a CSV.
func categories(r io.Reader, idCol, catCol string) (map[string]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	head, err := cr.Read()
	if err != nil {
		return nil, err
	}
	id, cat := -1, -1
	for i, h := range head {
		switch strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")) {
		case idCol:
			id = i
		case catCol:
			cat = i
		}
	}
	if id < 0 || cat < 0 {
		return nil, fmt.Errorf("%w: need %s and %s", ErrNoCategory, idCol, catCol)
	}
	out := map[string]string{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			continue // a malformed row: market's reader rejects it too
		}
		if id < len(rec) && cat < len(rec) {
			if k, v := strings.TrimSpace(rec[id]), strings.TrimSpace(rec[cat]); k != "" && v != "" {
				out[k] = v
			}
		}
	}
}

// Variant is one form of a query.
type Variant string

// The query forms.
const (
	Structured Variant = "title, skills and text"
	TextOnly   Variant = "text only"
)

// Variants lists the query forms in report order.
func Variants() []Variant { return []Variant{Structured, TextOnly} }

// QueryProfile returns the seeker profile of query form v built from
// posting p, with ID id.
func QueryProfile(p *market.Profile, v Variant, id string) market.Profile {
	q := market.Profile{ID: id, Side: market.Seeker, Registered: p.Registered}
	switch v {
	case TextOnly:
		q.Text = AllText(p)
	default:
		q.Title, q.Skills, q.Tags, q.Text = p.Title, slices.Clone(p.Skills), slices.Clone(p.Tags), p.Text
	}
	return q
}

// AllText returns a profile's words as one text: title, skills, tags and
// text, in that order.
func AllText(p *market.Profile) string {
	parts := []string{p.Title}
	if len(p.Skills) > 0 {
		parts = append(parts, strings.Join(p.Skills, "、"))
	}
	if len(p.Tags) > 0 {
		parts = append(parts, strings.Join(p.Tags, "、"))
	}
	if p.Text != "" {
		parts = append(parts, p.Text)
	}
	return strings.Join(parts, "。")
}

// Config configures Evaluate.
type Config struct {
	// Seed chooses the queries and seeds the random baseline and the
	// bootstrap. Zero is a valid seed.
	Seed uint64 `json:"seed"`
	// Queries is the number of query postings; 0 means 300.
	Queries int `json:"queries"`
	// Postings, when positive, keeps a seeded sample of that many of the
	// corpus's postings (pool and queries; for quick runs). 0: all.
	Postings int `json:"postings"`
	// K is the cut-off; 0 means 10.
	K int `json:"k"`
	// Bootstrap is the number of bootstrap resamples; 0 means 1000.
	Bootstrap int `json:"bootstrap"`
	// Engine configures the Engine; its Clock is replaced.
	Engine twoway.Config `json:"-"`
}

// Figure is a mean over queries with its 95% bootstrap interval.
type Figure struct {
	Mean float64 `json:"mean"`
	Lo   float64 `json:"lo"`
	Hi   float64 `json:"hi"`
}

// Ranked is one ranker's figures on one query form.
type Ranked struct {
	Name      string `json:"name"`
	Precision Figure `json:"precision"`
	NDCG      Figure `json:"ndcg"`
	Hit       Figure `json:"hit"`
	// EngineMinus is the Engine's P@K minus this ranker's (the Engine's
	// own row: zero), with its bootstrap interval.
	EngineMinus Figure `json:"engine_minus"`
	precision   []float64
}

// VariantResult holds the rankers of one query form.
type VariantResult struct {
	Variant Variant  `json:"variant"`
	Rankers []Ranked `json:"rankers"` // Engine first
	// Returned is the mean number of postings the Engine returned per
	// query (at most K, after dropping the query's own posting).
	Returned float64 `json:"returned"`
}

// Result is Evaluate's outcome.
type Result struct {
	Source     string          `json:"source"`
	Postings   int             `json:"postings"`
	Categories int             `json:"categories"`
	Queries    int             `json:"queries"`
	K          int             `json:"k"`
	BaseRate   float64         `json:"base_rate"` // mean share of relevant postings per query
	Variants   []VariantResult `json:"variants"`
}

// Evaluate runs the task on c.
func Evaluate(ctx context.Context, c *Corpus, cfg Config) (*Result, error) {
	if cfg.Queries == 0 {
		cfg.Queries = 300
	}
	if cfg.K == 0 {
		cfg.K = 10
	}
	if cfg.Bootstrap == 0 {
		cfg.Bootstrap = 1000
	}
	if cfg.Queries < 0 || cfg.K < 0 || cfg.Bootstrap < 0 || cfg.Postings < 0 {
		return nil, fmt.Errorf("retrieval: invalid Config: Queries %d, K %d, Bootstrap %d, Postings %d", cfg.Queries, cfg.K, cfg.Bootstrap, cfg.Postings)
	}
	if cfg.Postings > 0 && cfg.Postings < len(c.Postings) {
		c = c.sample(cfg.Postings, cfg.Seed)
	}
	n := len(c.Postings)
	if n < 2 {
		return nil, fmt.Errorf("retrieval: %s: %d categorised postings", c.Source, n)
	}
	// Queries: a seeded sample of postings, in index order.
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	key := func(i int) uint64 { return mix(cfg.Seed ^ mix(uint64(i)+0x51)) }
	slices.SortFunc(order, func(a, b int) int { return cmp.Or(cmp.Compare(key(a), key(b)), cmp.Compare(a, b)) })
	queries := slices.Clone(order[:min(cfg.Queries, n)])
	slices.Sort(queries)
	res := &Result{Source: c.Source, Postings: n, Queries: len(queries), K: cfg.K}
	cats := map[string]bool{}
	for _, cat := range c.Categories {
		cats[cat] = true
	}
	res.Categories = len(cats)
	gains := make([][]float64, len(queries))
	for qi, p := range queries {
		g := make([]float64, n)
		rel := 0
		for j := range n {
			if j != p && c.Categories[j] == c.Categories[p] {
				g[j] = 1
				rel++
			}
		}
		gains[qi] = g
		res.BaseRate += float64(rel) / float64(n-1)
	}
	res.BaseRate /= float64(len(queries))

	engine, err := newEngine(ctx, c, queries, cfg)
	if err != nil {
		return nil, err
	}
	defer engine.Close()
	tok := text.DefaultTokenizer()
	tfidf, err := newCosine(c.Postings, tok.Terms)
	if err != nil {
		return nil, err
	}
	bow, err := newCosine(c.Postings, fields)
	if err != nil {
		return nil, err
	}
	bigram, err := newCosine(c.Postings, bigrams)
	if err != nil {
		return nil, err
	}
	for _, v := range Variants() {
		vr := VariantResult{Variant: v}
		type ranker struct {
			name  string
			score func(qi, p int, dst []float64) ([]float64, error)
		}
		rankers := []ranker{
			{"Engine", func(qi, p int, dst []float64) ([]float64, error) {
				dst, got, err := engineScores(ctx, engine, c, queryID(p, v), p, cfg.K, dst)
				vr.Returned += float64(got)
				return dst, err
			}},
			{"text TF-IDF", func(_, p int, dst []float64) ([]float64, error) {
				return tfidf.scores(AllText(&c.Postings[p]), dst), nil
			}},
			{"bag of words", func(_, p int, dst []float64) ([]float64, error) { return bow.scores(AllText(&c.Postings[p]), dst), nil }},
			{"character bigrams", func(_, p int, dst []float64) ([]float64, error) {
				return bigram.scores(AllText(&c.Postings[p]), dst), nil
			}},
			{"random", func(_, p int, dst []float64) ([]float64, error) {
				dst = dst[:0]
				for j := range n {
					dst = append(dst, float64(mix(cfg.Seed^mix(uint64(p)<<32|uint64(j)))>>11)/(1<<53))
				}
				return dst, nil
			}},
		}
		var scores []float64
		for _, rk := range rankers {
			r := Ranked{Name: rk.name}
			var ndcg, hit []float64
			for qi, p := range queries {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				if scores, err = rk.score(qi, p, scores); err != nil {
					return nil, err
				}
				scores[p] = math.Inf(-1) // never the query's own posting
				g := gains[qi]
				g[p] = 0
				r.precision = append(r.precision, rank.PrecisionAt(scores, g, cfg.K))
				ndcg = append(ndcg, rank.NDCGAt(scores, g, cfg.K))
				hit = append(hit, rank.HitAt(scores, g, cfg.K))
			}
			r.Precision = bootstrapMean(r.precision, cfg.Bootstrap, cfg.Seed)
			r.NDCG = bootstrapMean(ndcg, cfg.Bootstrap, cfg.Seed)
			r.Hit = bootstrapMean(hit, cfg.Bootstrap, cfg.Seed)
			vr.Rankers = append(vr.Rankers, r)
		}
		vr.Returned /= float64(len(queries))
		for i := range vr.Rankers {
			vr.Rankers[i].EngineMinus = bootstrapDiff(vr.Rankers[0].precision, vr.Rankers[i].precision, cfg.Bootstrap, cfg.Seed)
		}
		res.Variants = append(res.Variants, vr)
	}
	return res, nil
}

func queryID(p int, v Variant) string {
	if v == TextOnly {
		return fmt.Sprintf("query-%d-text", p)
	}
	return fmt.Sprintf("query-%d", p)
}

// newEngine upserts the postings and both forms of every query, and fits.
func newEngine(ctx context.Context, c *Corpus, queries []int, cfg Config) (*twoway.Engine, error) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range c.Postings {
		if c.Postings[i].Registered.After(now) {
			now = c.Postings[i].Registered
		}
	}
	ec := cfg.Engine
	ec.Clock = func() time.Time { return now }
	e, err := twoway.New(ec)
	if err != nil {
		return nil, fmt.Errorf("retrieval: engine: %w", err)
	}
	profiles := slices.Clone(c.Postings)
	for _, p := range queries {
		for _, v := range Variants() {
			profiles = append(profiles, QueryProfile(&c.Postings[p], v, queryID(p, v)))
		}
	}
	if err := e.Upsert(ctx, profiles...); err != nil {
		e.Close()
		return nil, fmt.Errorf("retrieval: engine: upsert: %w", err)
	}
	if err := e.Fit(ctx); err != nil {
		e.Close()
		return nil, fmt.Errorf("retrieval: engine: fit: %w", err)
	}
	return e, nil
}

// engineScores asks the Engine for query id's top k+1 and scores the
// postings it returned by their order (first highest); the others are
// −Inf. It returns how many postings other than the query's own came back.
func engineScores(ctx context.Context, e *twoway.Engine, c *Corpus, id string, self, k int, dst []float64) ([]float64, int, error) {
	resp, err := e.Recommend(ctx, twoway.Request{ID: id, N: k + 1, DryRun: true})
	if err != nil {
		return nil, 0, fmt.Errorf("retrieval: engine: %s: %w", id, err)
	}
	dst = dst[:0]
	for range c.Postings {
		dst = append(dst, math.Inf(-1))
	}
	got := 0
	for i, r := range resp.Results {
		j, ok := indexOf(c, r.ID)
		if !ok {
			return nil, 0, fmt.Errorf("retrieval: engine returned %q, not a posting", r.ID)
		}
		if j == self || got == k {
			continue
		}
		dst[j] = float64(len(resp.Results) - i)
		got++
	}
	return dst, got, nil
}

func indexOf(c *Corpus, id string) (int, bool) {
	i, ok := slices.BinarySearchFunc(c.sorted(), id, func(x sortedID, id string) int { return cmp.Compare(x.id, id) })
	if !ok {
		return 0, false
	}
	return c.sorted()[i].ix, true
}

type sortedID struct {
	id string
	ix int
}

// sorted returns the postings' IDs in order (built on first use; Evaluate
// uses a Corpus from one goroutine).
func (c *Corpus) sorted() []sortedID {
	if len(c.byID) != len(c.Postings) {
		c.byID = make([]sortedID, len(c.Postings))
		for i := range c.Postings {
			c.byID[i] = sortedID{c.Postings[i].ID, i}
		}
		slices.SortFunc(c.byID, func(a, b sortedID) int { return cmp.Compare(a.id, b.id) })
	}
	return c.byID
}

// cosine is a TF-IDF cosine over the postings with one way of cutting
// text into terms.
type cosine struct {
	terms func(string) []string
	w     *text.Weighting
	docs  []sparse.Vector
}

func newCosine(postings []market.Profile, terms func(string) []string) (*cosine, error) {
	docs := make([][]string, len(postings))
	for i := range postings {
		docs[i] = terms(AllText(&postings[i]))
	}
	w, err := text.FitWeighting(docs, text.WeightingConfig{})
	if err != nil {
		return nil, fmt.Errorf("retrieval: weighting: %w", err)
	}
	c := &cosine{terms: terms, w: w, docs: make([]sparse.Vector, len(docs))}
	for i, d := range docs {
		c.docs[i] = w.Vectorize(sparse.Vector{}, d)
	}
	return c, nil
}

func (c *cosine) scores(query string, dst []float64) []float64 {
	q := c.w.Vectorize(sparse.Vector{}, c.terms(query))
	dst = dst[:0]
	for _, d := range c.docs {
		dst = append(dst, sparse.Dot(q, d))
	}
	return dst
}

func wordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// fields cuts s at every rune that is not a letter or a digit, in lower
// case: the plain bag of words (for Chinese text without spaces, a
// "word" is a whole clause between punctuation marks).
func fields(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !wordRune(r) })
}

// bigrams returns every pair of adjacent letters or digits within the
// fields of s, and single-rune fields as they are.
func bigrams(s string) []string {
	var out []string
	for _, f := range fields(s) {
		rs := []rune(f)
		if len(rs) == 1 {
			out = append(out, f)
			continue
		}
		for i := 0; i+1 < len(rs); i++ {
			out = append(out, string(rs[i:i+2]))
		}
	}
	return out
}

// bootstrapMean returns the mean of xs (NaN ignored) with a 95%
// percentile interval over n resamples.
func bootstrapMean(xs []float64, n int, seed uint64) Figure {
	m, _ := rank.Mean(xs)
	lo, hi := bootstrap(len(xs), n, seed, func(w []int) float64 {
		var s, c float64
		for i, x := range xs {
			if !math.IsNaN(x) {
				s += float64(w[i]) * x
				c += float64(w[i])
			}
		}
		return s / c
	})
	return Figure{Mean: m, Lo: lo, Hi: hi}
}

// bootstrapDiff returns mean(a) − mean(b) over queries where both are
// numbers, with its interval on the same resamples.
func bootstrapDiff(a, b []float64, n int, seed uint64) Figure {
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	return bootstrapMean(d, n, seed)
}

func bootstrap(size, n int, seed uint64, stat func(w []int) float64) (lo, hi float64) {
	if size == 0 || n == 0 {
		return math.NaN(), math.NaN()
	}
	w := make([]int, size)
	vals := make([]float64, 0, n)
	state := seed ^ 0xb007
	for range n {
		clear(w)
		for range size {
			state = mix(state)
			w[int(state%uint64(size))]++
		}
		if v := stat(w); !math.IsNaN(v) {
			vals = append(vals, v)
		}
	}
	if len(vals) == 0 {
		return math.NaN(), math.NaN()
	}
	slices.SortFunc(vals, cmp.Compare[float64])
	q := func(p float64) float64 {
		pos := p * float64(len(vals)-1)
		i := int(pos)
		if i+1 >= len(vals) {
			return vals[len(vals)-1]
		}
		return vals[i] + (pos-float64(i))*(vals[i+1]-vals[i])
	}
	return q(0.025), q(0.975)
}

func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
