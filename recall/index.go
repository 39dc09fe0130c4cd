package recall

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/text"
)

// IndexConfig configures the inverted [Index].
type IndexConfig struct {
	// Path is the directory of an on-disk index: opened when it exists,
	// created otherwise. Empty: in memory.
	Path string `json:"path,omitempty"`
	// Analyzer names the bleve analyzer of the text fields. Empty:
	// text.BleveAnalyzer, the gse-backed tokeniser of package text (so
	// queries and content vectors cut words the same way).
	Analyzer string `json:"analyzer,omitempty"`
	// Rules, when not nil, expands the requester's skills and tags by
	// association rules; each implied item is queried with its confidence
	// as weight.
	Rules *text.Rules `json:"-"`
	// Interest, when not nil, supplies learned preferences: the skills and
	// titles of the profiles the requester attended to most are queried
	// too, weighted by how much it attended to them.
	Interest *Interest `json:"-"`
	// PreferenceProfiles is how many of the requester's most attended
	// profiles shape its learned preferences. Zero: 20.
	PreferenceProfiles int `json:"preference_profiles"`
	// PreferenceTerms is how many learned skills are queried. Zero: 10.
	PreferenceTerms int `json:"preference_terms"`
}

// Index is inverted-index recall with bleve over the profiles of both
// sides: a requester's query, built from its own profile and learned
// preferences, searches the other side.
//
// # Query
//
// A candidate must be on the other side and match at least one content
// clause; compatibility clauses only add to its score:
//
//	content:       title ~ requester's title            (boost 3)
//	               skills ~ each requester skill         (boost 2)
//	               tags/skills ~ each expanded item      (boost 1.5 × confidence)
//	               skills/title ~ each learned skill     (boost 1 × share)
//	               text ~ requester's title and skills   (boost 0.5)
//	compatibility: same city (1), same industry (0.5), experience fits (1),
//	               salary fits (1), education fits (0.5)
//
// where "fits" reads the requester's side: a seeker's years at or above a
// posting's minimum, its expected pay at or below the posting's maximum,
// its education at or above the requirement; a recruiter the same from the
// other end. Hits come sorted by bleve's score, ties by index, and are
// filtered by req.Allowed page by page until K are found or the hits run
// out, so filtering happens before truncation.
//
// # Updates
//
// Upsert, UpsertBatch and Remove change the index while requests are
// served (bleve is safe for concurrent use). The query-side fields of every
// upserted profile are also kept in memory: a requester must have been
// upserted in this process for its query to be built, also when the index
// was reopened from disk (the Engine upserts every profile at start).
type Index struct {
	cfg IndexConfig
	idx bleve.Index

	mu       sync.RWMutex
	profiles []*indexed // by index; nil when unknown

	closeOnce sync.Once
	closeErr  error
}

// indexed holds the fields a query is built from.
type indexed struct {
	side       market.Side
	title      string
	skills     []string
	tags       []string
	city       string
	industry   string
	experience market.Range
	salary     market.Salary
	education  market.Education
}

// Field names of the indexed documents.
const (
	fieldSide      = "side"
	fieldTitle     = "title"
	fieldSkills    = "skills"
	fieldTags      = "tags"
	fieldText      = "text"
	fieldCity      = "city"
	fieldIndustry  = "industry"
	fieldExpMin    = "exp_min"
	fieldExpMax    = "exp_max"
	fieldSalaryMin = "salary_min"
	fieldSalaryMax = "salary_max"
	fieldEducation = "education"
)

// OpenIndex opens the index at cfg.Path (creating it when absent) or, with
// no Path, creates one in memory. Close it when done.
func OpenIndex(cfg IndexConfig) (*Index, error) {
	if cfg.PreferenceProfiles < 0 {
		return nil, fmt.Errorf("%w: IndexConfig.PreferenceProfiles %d is negative", ErrConfig, cfg.PreferenceProfiles)
	}
	if cfg.PreferenceTerms < 0 {
		return nil, fmt.Errorf("%w: IndexConfig.PreferenceTerms %d is negative", ErrConfig, cfg.PreferenceTerms)
	}
	if cfg.PreferenceProfiles == 0 {
		cfg.PreferenceProfiles = 20
	}
	if cfg.PreferenceTerms == 0 {
		cfg.PreferenceTerms = 10
	}
	if cfg.Analyzer == "" {
		if err := text.RegisterBleve(); err != nil {
			return nil, err
		}
		cfg.Analyzer = text.BleveAnalyzer
	}
	m := indexMapping(cfg.Analyzer)
	var idx bleve.Index
	var err error
	switch {
	case cfg.Path == "":
		// Scorch in memory: bleve.NewMemOnly's upsidedown/gtreap store
		// costs about 60 times more time and memory per document.
		idx, err = bleve.NewUsing("", m, scorch.Name, scorch.Name, nil)
	default:
		if _, serr := os.Stat(cfg.Path); serr == nil {
			idx, err = bleve.Open(cfg.Path)
		} else if errors.Is(serr, os.ErrNotExist) {
			idx, err = bleve.New(cfg.Path, m)
		} else {
			err = serr
		}
	}
	if err != nil {
		return nil, fmt.Errorf("recall: index %q: %w", cfg.Path, err)
	}
	return &Index{cfg: cfg, idx: idx}, nil
}

func indexMapping(analyzer string) mapping.IndexMapping {
	textField := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = analyzer
		f.Store, f.IncludeInAll, f.IncludeTermVectors, f.DocValues = false, false, false, false
		return f
	}
	keyword := func() *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Store, f.IncludeInAll, f.IncludeTermVectors, f.DocValues = false, false, false, false
		return f
	}
	numeric := func() *mapping.FieldMapping {
		f := bleve.NewNumericFieldMapping()
		f.Store, f.IncludeInAll, f.DocValues = false, false, false
		return f
	}
	doc := bleve.NewDocumentStaticMapping()
	for name, f := range map[string]*mapping.FieldMapping{
		fieldSide: keyword(), fieldTitle: textField(), fieldSkills: textField(), fieldTags: textField(),
		fieldText: textField(), fieldCity: keyword(), fieldIndustry: keyword(),
		fieldExpMin: numeric(), fieldExpMax: numeric(), fieldSalaryMin: numeric(), fieldSalaryMax: numeric(), fieldEducation: numeric(),
	} {
		doc.AddFieldMappingsAt(name, f)
	}
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = analyzer
	m.StoreDynamic, m.IndexDynamic, m.DocValuesDynamic = false, false, false
	return m
}

func docID(ix uint32) string { return fmt.Sprintf("%010d", ix) }

func parseDocID(id string) (uint32, bool) {
	v, err := strconv.ParseUint(id, 10, 32)
	return uint32(v), err == nil
}

func document(p *market.Profile) map[string]any {
	d := map[string]any{
		fieldSide: p.Side.String(), fieldTitle: p.Title, fieldSkills: p.Skills, fieldTags: p.Tags,
		fieldText: p.Text, fieldCity: p.City, fieldIndustry: p.Industry,
		fieldExpMin: p.Experience.Min, fieldEducation: float64(p.Education),
	}
	if p.Experience.Bounded() {
		d[fieldExpMax] = p.Experience.Max
	}
	if p.Salary.Known() {
		d[fieldSalaryMin], d[fieldSalaryMax] = p.Salary.Min, p.Salary.Max
	}
	return d
}

func (x *Index) remember(ix uint32, p *market.Profile) {
	in := &indexed{side: p.Side, title: p.Title, skills: slices.Clone(p.Skills), tags: slices.Clone(p.Tags),
		city: p.City, industry: p.Industry, experience: p.Experience, salary: p.Salary, education: p.Education}
	if int(ix) >= len(x.profiles) {
		x.profiles = slices.Grow(x.profiles, int(ix)+1-len(x.profiles))[:int(ix)+1]
	}
	x.profiles[ix] = in
}

// Upsert indexes profile p as participant ix, replacing what was indexed
// for ix. It validates p first (a *market.FieldError) and then changes
// nothing on error.
func (x *Index) Upsert(ix uint32, p *market.Profile) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := x.idx.Index(docID(ix), document(p)); err != nil {
		return fmt.Errorf("recall: index profile %q: %w", p.ID, err)
	}
	x.mu.Lock()
	x.remember(ix, p)
	x.mu.Unlock()
	return nil
}

// UpsertBatch indexes many profiles in one bleve batch (much faster than
// one Upsert each): ps[k] is participant ixs[k]. It validates every
// profile first and indexes nothing if one is invalid.
func (x *Index) UpsertBatch(ixs []uint32, ps []market.Profile) error {
	if len(ixs) != len(ps) {
		panic("recall: UpsertBatch: len(ixs) != len(ps)")
	}
	for k := range ps {
		if err := ps[k].Validate(); err != nil {
			return err
		}
	}
	b := x.idx.NewBatch()
	for k := range ps {
		if err := b.Index(docID(ixs[k]), document(&ps[k])); err != nil {
			return fmt.Errorf("recall: index profile %q: %w", ps[k].ID, err)
		}
	}
	if err := x.idx.Batch(b); err != nil {
		return fmt.Errorf("recall: index batch: %w", err)
	}
	x.mu.Lock()
	for k := range ps {
		x.remember(ixs[k], &ps[k])
	}
	x.mu.Unlock()
	return nil
}

// Remove deletes participant ix from the index. Removing an unknown index
// is not an error.
func (x *Index) Remove(ix uint32) error {
	if err := x.idx.Delete(docID(ix)); err != nil {
		return fmt.Errorf("recall: index remove %d: %w", ix, err)
	}
	x.mu.Lock()
	if int(ix) < len(x.profiles) {
		x.profiles[ix] = nil
	}
	x.mu.Unlock()
	return nil
}

// Len returns the number of indexed documents.
func (x *Index) Len() (int, error) {
	n, err := x.idx.DocCount()
	return int(n), err
}

// Close closes the index (flushing an on-disk one). Later calls return
// the first call's result.
func (x *Index) Close() error {
	x.closeOnce.Do(func() { x.closeErr = x.idx.Close() })
	return x.closeErr
}

func (x *Index) lookup(ix uint32) *indexed {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if int(ix) < len(x.profiles) {
		return x.profiles[ix]
	}
	return nil
}

// Query returns the bleve query built for requester ix, or nil when ix is
// unknown or has nothing to search with. It is exported for inspection
// (explanations, tests); Recall uses it.
func (x *Index) Query(ix uint32) query.Query {
	p := x.lookup(ix)
	if p == nil {
		return nil
	}
	var content []query.Query
	match := func(field, s string, boost float64) {
		if s == "" || boost <= 0 {
			return
		}
		q := bleve.NewMatchQuery(s)
		q.SetField(field)
		q.SetBoost(boost)
		content = append(content, q)
	}
	match(fieldTitle, p.title, 3)
	for _, s := range p.skills {
		match(fieldSkills, s, 2)
	}
	if x.cfg.Rules != nil {
		items := append(slices.Clone(p.skills), p.tags...)
		for _, e := range x.cfg.Rules.Expand(items) {
			match(fieldTags, e.Item, 1.5*e.Weight)
			match(fieldSkills, e.Item, 1.5*e.Weight)
		}
	}
	for _, t := range x.learned(ix) {
		match(fieldSkills, t.term, t.share)
		match(fieldTitle, t.term, t.share)
	}
	if words := joinNonEmpty(p.title, p.skills); words != "" {
		match(fieldText, words, 0.5)
	}
	if len(content) == 0 {
		return nil
	}
	side := bleve.NewTermQuery(p.side.Other().String())
	side.SetField(fieldSide)
	side.SetBoost(0) // the side decides membership, not rank
	must := bleve.NewConjunctionQuery(side, bleve.NewDisjunctionQuery(content...))
	var compat []query.Query
	term := func(field, v string, boost float64) {
		if v == "" {
			return
		}
		q := bleve.NewTermQuery(v)
		q.SetField(field)
		q.SetBoost(boost)
		compat = append(compat, q)
	}
	rng := func(field string, lo, hi float64, boost float64) {
		var pl, ph *float64
		if !math.IsInf(lo, -1) {
			pl = &lo
		}
		if !math.IsInf(hi, 1) {
			ph = &hi
		}
		t := true
		q := bleve.NewNumericRangeInclusiveQuery(pl, ph, &t, &t)
		q.SetField(field)
		q.SetBoost(boost)
		compat = append(compat, q)
	}
	term(fieldCity, p.city, 1)
	term(fieldIndustry, p.industry, 0.5)
	inf := math.Inf(1)
	if p.side == market.Seeker {
		if y := p.experience.Min; y > 0 {
			rng(fieldExpMin, -inf, y, 1) // the posting asks for at most y years
		}
		if p.salary.Known() {
			rng(fieldSalaryMax, p.salary.Min, inf, 1) // it pays at least the expectation
		}
		if p.education > market.EducationAny {
			rng(fieldEducation, -inf, float64(p.education), 0.5)
		}
	} else {
		if p.experience.Min > 0 || p.experience.Bounded() {
			hi := inf
			if p.experience.Bounded() {
				hi = p.experience.Max
			}
			rng(fieldExpMin, p.experience.Min, hi, 1)
		}
		if p.salary.Known() && p.salary.Max > 0 {
			rng(fieldSalaryMin, -inf, p.salary.Max, 1) // expects no more than offered
		}
		if p.education > market.EducationAny {
			rng(fieldEducation, float64(p.education), inf, 0.5)
		}
	}
	b := bleve.NewBooleanQuery()
	b.AddMust(must)
	if len(compat) > 0 {
		b.AddShould(compat...)
	}
	return b
}

func joinNonEmpty(title string, skills []string) string {
	s := title
	for _, k := range skills {
		if s != "" {
			s += " "
		}
		s += k
	}
	return s
}

type learnedTerm struct {
	term  string
	share float64
}

// learned returns the requester's learned skills: the skills of its most
// attended profiles, weighted by attention, as shares of the total (the
// best at most 1).
func (x *Index) learned(u uint32) []learnedTerm {
	if x.cfg.Interest == nil {
		return nil
	}
	h := x.cfg.Interest.History(u, nil)
	if len(h) == 0 {
		return nil
	}
	slices.SortFunc(h, func(a, b Entry) int {
		return cmp.Or(cmp.Compare(b.Weight, a.Weight), cmp.Compare(a.Index, b.Index))
	})
	h = h[:min(len(h), x.cfg.PreferenceProfiles)]
	weight := map[string]float64{}
	x.mu.RLock()
	for _, e := range h {
		if int(e.Index) < len(x.profiles) && x.profiles[e.Index] != nil {
			for _, s := range x.profiles[e.Index].skills {
				weight[s] += e.Weight
			}
		}
	}
	x.mu.RUnlock()
	terms := make([]learnedTerm, 0, len(weight))
	for s, w := range weight {
		terms = append(terms, learnedTerm{s, w})
	}
	slices.SortFunc(terms, func(a, b learnedTerm) int {
		return cmp.Or(cmp.Compare(b.share, a.share), cmp.Compare(a.term, b.term))
	})
	terms = terms[:min(len(terms), x.cfg.PreferenceTerms)]
	if len(terms) > 0 {
		top := terms[0].share
		for i := range terms {
			terms[i].share /= top
		}
	}
	return terms
}

// Recall implements Recaller.
func (x *Index) Recall(ctx context.Context, req Request, dst []Candidate) ([]Candidate, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	if req.K <= 0 || req.Allowed.Count() == 0 {
		return dst, nil
	}
	q := x.Query(req.Requester)
	if q == nil {
		return dst, nil
	}
	n0 := len(dst)
	size := 2*req.K + 16
	for from := 0; ; {
		sr := bleve.NewSearchRequestOptions(q, size, from, false)
		sr.SortBy([]string{"-_score", "_id"})
		res, err := x.idx.SearchInContext(ctx, sr)
		if err != nil {
			return dst[:n0], fmt.Errorf("recall: index search: %w", err)
		}
		for _, h := range res.Hits {
			ix, ok := parseDocID(h.ID)
			if !ok || ix == req.Requester || !req.Allowed.Contains(ix) || math.IsNaN(h.Score) || math.IsInf(h.Score, 0) {
				continue
			}
			dst = append(dst, Candidate{Index: ix, Score: h.Score})
			if len(dst)-n0 == req.K {
				return dst, nil
			}
		}
		if len(res.Hits) < size || uint64(from+size) >= res.Total {
			return dst, nil
		}
		from += size
		size = min(2*size, 4096)
	}
}
