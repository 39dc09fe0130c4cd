package recall

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"os"
	"slices"
	"strconv"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
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
	// MaxTextTerms is how many terms of the requester's free text are
	// queried (the rarest on the other side). Zero: 24. Negative: none.
	MaxTextTerms int `json:"max_text_terms"`
}

// Index is inverted-index recall over the profiles of both sides: a
// requester's query, built from its own profile and learned preferences,
// searches the other side. Bleve is the index of record (analysis with the
// text package's analyzer, on-disk persistence); requests are scored from
// an in-memory cache of its postings, kept in step by every update.
//
// # Query
//
// A candidate must be on the other side and hold at least one content
// term; compatibility terms only add to its score:
//
//	content:       title ~ requester's title terms          (boost 3)
//	               skills ~ requester's skill terms          (boost 2)
//	               tags, skills ~ each expanded item's terms (boost 1.5 × confidence)
//	               skills, title ~ each learned skill term   (boost 1 × share)
//	               text ~ requester's title and skill terms  (boost 0.5)
//	               text, title ~ requester's free-text terms (boost 1; skills 0.5)
//	compatibility: same city (1), same industry (0.5), experience fits (1),
//	               salary fits (1), education fits (0.5)
//
// where "fits" reads the requester's side: a seeker's years at or above a
// posting's minimum, its expected pay at or below the posting's maximum,
// its education at or above the requirement; a recruiter the same from the
// other end. A content term t of field f adds boost × idf × impact, with
// idf = 1 + ln(N / (df + 1)) over the N documents of the other side and df
// of them holding t in f, and impact = sqrt(freq) / sqrt(field length),
// bleve's own term weight. Of the requester's free text (a résumé, a job
// description) the MaxTextTerms most specific terms are queried: those
// rarest in the other side's text, so that a text-only profile finds the
// profiles that speak of the same things. [Index.Query] returns the same query as a bleve
// query: it matches the same documents (bleve's own scores differ).
//
// Recall adds the content terms' postings into a dense accumulator, then
// keeps the best K of the accumulated documents that are in req.Allowed:
// filtering happens before truncation, and the cost is a few nanoseconds
// per posting of the requester's terms, whatever the filter.
//
// # Updates
//
// Upsert, UpsertBatch and Remove change bleve and the cache while requests
// are served; a request sees the index before or after an update, never
// half of it. Reopening an on-disk index refills the cache from bleve's
// term dictionaries and stored fields, so every document indexed earlier
// can be recalled and can request again without being upserted anew.
type Index struct {
	cfg      IndexConfig // Rules and Interest are guarded by mu
	idx      bleve.Index
	analyzer analysis.Analyzer
	items    sync.Map // rule item → its sorted terms

	wmu sync.Mutex // serialises writers: bleve and the cache change together

	// The backfill of an installed image (image.go), guarded by wmu:
	// profiles not yet in bleve, their order, documents to delete from
	// bleve, closed when the backfill ends (nil when none runs), and the
	// error that stopped it.
	pending map[uint32]*market.Profile
	order   []uint32
	stale   map[uint32]bool
	filled  chan struct{}
	closing bool
	fillErr error

	mu       sync.RWMutex
	profiles []*indexed // by index; nil when unknown
	cache    *postingCache

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
// no Path, creates one in memory. Close it when done. An index opened from
// disk is read back into the in-memory cache before OpenIndex returns.
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
	switch {
	case cfg.MaxTextTerms == 0:
		cfg.MaxTextTerms = 24
	case cfg.MaxTextTerms < 0:
		cfg.MaxTextTerms = 0
	}
	if cfg.Analyzer == "" {
		if err := text.RegisterBleve(); err != nil {
			return nil, err
		}
		cfg.Analyzer = text.BleveAnalyzer
	}
	m := indexMapping(cfg.Analyzer, cfg.Path != "")
	var idx bleve.Index
	var err error
	existing := false
	switch {
	case cfg.Path == "":
		// Scorch in memory: bleve.NewMemOnly's upsidedown/gtreap store
		// costs about 60 times more time and memory per document.
		idx, err = bleve.NewUsing("", m, scorch.Name, scorch.Name, nil)
	default:
		if _, serr := os.Stat(cfg.Path); serr == nil {
			idx, err = bleve.Open(cfg.Path)
			existing = true
		} else if errors.Is(serr, os.ErrNotExist) {
			idx, err = bleve.New(cfg.Path, m)
		} else {
			err = serr
		}
	}
	if err != nil {
		return nil, fmt.Errorf("recall: index %q: %w", cfg.Path, err)
	}
	a := idx.Mapping().AnalyzerNamed(cfg.Analyzer)
	if a == nil {
		idx.Close()
		return nil, fmt.Errorf("%w: IndexConfig.Analyzer %q is not a registered bleve analyzer", ErrConfig, cfg.Analyzer)
	}
	x := &Index{cfg: cfg, idx: idx, analyzer: a, cache: newPostingCache()}
	if existing {
		if err := x.load(); err != nil {
			idx.Close()
			return nil, fmt.Errorf("recall: index %q: %w", cfg.Path, err)
		}
	}
	return x, nil
}

// indexMapping returns the mapping of the profile documents. With stored
// set (an on-disk index), every field but the free text is stored, so that
// a reopened index can rebuild its cache and the requesters' queries; an
// in-memory index is never reopened and stores nothing.
func indexMapping(analyzer string, stored bool) mapping.IndexMapping {
	textField := func(store bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = analyzer
		f.Store, f.IncludeInAll, f.IncludeTermVectors, f.DocValues = store && stored, false, false, false
		return f
	}
	keyword := func() *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Store, f.IncludeInAll, f.IncludeTermVectors, f.DocValues = stored, false, false, false
		return f
	}
	numeric := func() *mapping.FieldMapping {
		f := bleve.NewNumericFieldMapping()
		f.Store, f.IncludeInAll, f.DocValues = stored, false, false
		return f
	}
	doc := bleve.NewDocumentStaticMapping()
	for name, f := range map[string]*mapping.FieldMapping{
		fieldSide: keyword(), fieldTitle: textField(true), fieldSkills: textField(true), fieldTags: textField(true),
		fieldText: textField(false), fieldCity: keyword(), fieldIndustry: keyword(),
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

func newIndexed(p *market.Profile) *indexed {
	return &indexed{side: p.Side, title: p.Title, skills: slices.Clone(p.Skills), tags: slices.Clone(p.Tags),
		city: p.City, industry: p.Industry, experience: p.Experience, salary: p.Salary, education: p.Education}
}

// analyze returns the frequency of each term of the values and the
// number of tokens: a field's length as bleve counts it, over all the
// values of an array field.
func (x *Index) analyze(values ...string) (map[string]int, int) {
	terms := map[string]int{}
	n := 0
	for _, v := range values {
		if v == "" {
			continue
		}
		for _, tok := range x.analyzer.Analyze([]byte(v)) {
			terms[string(tok.Term)]++
			n++
		}
	}
	return terms, n
}

// newEntry starts participant ix's cache entry: its columns, no terms.
func newEntry(ix uint32, p *indexed) docEntry {
	c := column{side: p.side, edu: p.education, expMin: p.experience.Min}
	if p.salary.Known() {
		c.salKnown, c.salMin, c.salMax = true, p.salary.Min, p.salary.Max
	}
	return docEntry{doc: ix, col: c, city: p.city, industry: p.industry}
}

// entryOf analyses p, participant ix, for the cache (no lock needed).
func (x *Index) entryOf(ix uint32, p *indexed, txt string) docEntry {
	e := newEntry(ix, p)
	e.terms[fTitle], e.lens[fTitle] = x.analyze(p.title)
	e.terms[fSkills], e.lens[fSkills] = x.analyze(p.skills...)
	e.terms[fTags], e.lens[fTags] = x.analyze(p.tags...)
	e.terms[fText], e.lens[fText] = x.analyze(txt)
	return e
}

// Upsert indexes profile p as participant ix, replacing what was indexed
// for ix. It validates p and ix first (a *market.FieldError; an error for
// a nil p) and then changes nothing on error.
func (x *Index) Upsert(ix uint32, p *market.Profile) error {
	if p == nil {
		return fmt.Errorf("recall: Index.Upsert: nil profile for participant %d", ix)
	}
	return x.UpsertBatch([]uint32{ix}, []market.Profile{*p})
}

// UpsertBatch indexes many profiles in one bleve batch (much faster than
// one Upsert each): ps[k] is participant ixs[k]. It validates every
// profile and index first (a *market.FieldError naming the profile: an
// invalid field, an index above [MaxIndex]) and indexes nothing if one is
// invalid, or if the two slices differ in length. An index that appears
// twice keeps its last profile.
func (x *Index) UpsertBatch(ixs []uint32, ps []market.Profile) error {
	if len(ixs) != len(ps) {
		return fmt.Errorf("recall: Index.UpsertBatch: %d indices for %d profiles (ps[k] is participant ixs[k])", len(ixs), len(ps))
	}
	for k := range ps {
		if err := checkIndex(ixs[k], &ps[k]); err != nil {
			return err
		}
		if err := ps[k].Validate(); err != nil {
			return err
		}
	}
	last := make(map[uint32]int, len(ixs))
	for k, ix := range ixs {
		last[ix] = k
	}
	// Analysis is the slow part and needs no lock.
	ins := make([]*indexed, len(ps))
	es := make([]docEntry, 0, len(last))
	for k := range ps {
		ins[k] = newIndexed(&ps[k])
		if last[ixs[k]] == k {
			es = append(es, x.entryOf(ixs[k], ins[k], ps[k].Text))
		}
	}
	x.wmu.Lock()
	defer x.wmu.Unlock()
	b := x.idx.NewBatch()
	for k := range ps {
		if err := b.Index(docID(ixs[k]), document(&ps[k])); err != nil {
			return fmt.Errorf("recall: index profile %q: %w", ps[k].ID, err)
		}
	}
	if err := x.idx.Batch(b); err != nil {
		return fmt.Errorf("recall: index batch: %w", err)
	}
	x.unpend(ixs...) // bleve has their newest version
	x.mu.Lock()
	defer x.mu.Unlock()
	olds := make([]uint32, 0, len(es))
	for _, e := range es {
		olds = append(olds, e.doc)
	}
	x.cache.remove(olds)
	x.cache.add(es)
	for k, ix := range ixs {
		if last[ix] == k {
			x.remember(ix, ins[k])
		}
	}
	return nil
}

func (x *Index) remember(ix uint32, in *indexed) {
	if int(ix) >= len(x.profiles) {
		x.profiles = slices.Grow(x.profiles, int(ix)+1-len(x.profiles))[:int(ix)+1]
	}
	x.profiles[ix] = in
}

// Remove deletes participant ix from the index. Removing an unknown index
// is not an error.
func (x *Index) Remove(ix uint32) error {
	x.wmu.Lock()
	defer x.wmu.Unlock()
	if err := x.idx.Delete(docID(ix)); err != nil {
		return fmt.Errorf("recall: index remove %d: %w", ix, err)
	}
	x.unpend(ix)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.cache.remove([]uint32{ix})
	if int(ix) < len(x.profiles) {
		x.profiles[ix] = nil
	}
	return nil
}

// IndexStats describes the in-memory cache of an [Index].
type IndexStats struct {
	Seekers    int `json:"seekers"`    // seekers' documents
	Recruiters int `json:"recruiters"` // recruiters' (jobs') documents
	Lists      int `json:"lists"`      // non-empty posting lists (side, field, term)
	Postings   int `json:"postings"`   // entries over all lists, 8 bytes each
}

// Stats returns the cache's size. It walks every list: call it for
// monitoring, not per request.
func (x *Index) Stats() IndexStats {
	x.mu.RLock()
	defer x.mu.RUnlock()
	c := x.cache
	st := IndexStats{Seekers: c.docs[market.Seeker], Recruiters: c.docs[market.Recruiter]}
	for _, l := range c.lists {
		if len(l) > 0 {
			st.Lists++
			st.Postings += len(l)
		}
	}
	return st
}

// Len returns the number of indexed documents.
func (x *Index) Len() (int, error) {
	n, err := x.idx.DocCount()
	return int(n), err
}

// Close closes the index (flushing an on-disk one). An on-disk index
// finishes the backfill of an installed image first (so that reopening it
// finds every profile); an in-memory one stops it. Later calls return the
// first call's result.
func (x *Index) Close() error {
	x.closeOnce.Do(func() {
		x.wmu.Lock()
		x.closing = true
		done := x.filled
		x.wmu.Unlock()
		if done != nil {
			<-done
		}
		x.closeErr = x.idx.Close()
	})
	return x.closeErr
}

// load fills the cache and the query fields from an index opened from
// disk: postings from bleve's term dictionaries (frequency and norm),
// the rest from the stored fields.
func (x *Index) load() error {
	adv, err := x.idx.Advanced()
	if err != nil {
		return err
	}
	r, err := adv.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	all, err := r.DocIDReaderAll()
	if err != nil {
		return err
	}
	defer all.Close()
	byInternal := map[string]uint32{}
	var es []docEntry
	for {
		id, err := all.Next()
		if err != nil {
			return err
		}
		if id == nil {
			break
		}
		ext, err := r.ExternalID(id)
		if err != nil {
			return err
		}
		ix, ok := parseDocID(ext)
		if !ok || ix > MaxIndex {
			return fmt.Errorf("document %q: id is not a participant index (at most %d)", ext, MaxIndex)
		}
		doc, err := r.Document(ext)
		if err != nil {
			return fmt.Errorf("document %q: %w", ext, err)
		}
		in, err := storedProfile(doc)
		if err != nil {
			return fmt.Errorf("document %q: %w", ext, err)
		}
		byInternal[string(id)] = ix
		x.remember(ix, in)
		es = append(es, newEntry(ix, in))
	}
	// Postings, through bleve's dictionaries, per document.
	at := make(map[uint32]int, len(es))
	for i := range es {
		at[es[i].doc] = i
	}
	for f, field := range textFields {
		dict, err := r.FieldDict(field)
		if err != nil {
			return err
		}
		for {
			de, err := dict.Next()
			if err != nil {
				dict.Close()
				return err
			}
			if de == nil {
				break
			}
			tfr, err := r.TermFieldReader(context.Background(), []byte(de.Term), field, true, true, false)
			if err != nil {
				dict.Close()
				return err
			}
			for {
				td, err := tfr.Next(nil)
				if err != nil {
					tfr.Close()
					dict.Close()
					return err
				}
				if td == nil {
					break
				}
				ix, ok := byInternal[string(td.ID)]
				if !ok {
					continue
				}
				e := &es[at[ix]]
				if e.terms[f] == nil {
					e.terms[f] = map[string]int{}
				}
				e.terms[f][de.Term] = int(td.Freq)
				if td.Norm > 0 {
					e.lens[f] = int(math.Round(1 / (td.Norm * td.Norm)))
				}
			}
			tfr.Close()
		}
		dict.Close()
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.cache.add(es)
	return nil
}

// storedProfile reads back the query fields of a stored document.
func storedProfile(doc index.Document) (*indexed, error) {
	in := &indexed{}
	var err error
	num := func(f index.Field) float64 {
		nf, ok := f.(index.NumericField)
		if !ok {
			err = fmt.Errorf("field %s is not numeric", f.Name())
			return 0
		}
		v, e := nf.Number()
		if e != nil {
			err = fmt.Errorf("field %s: %w", f.Name(), e)
		}
		return v
	}
	var salMin, salMax float64
	doc.VisitFields(func(f index.Field) {
		v := string(f.Value())
		switch f.Name() {
		case fieldSide:
			s, e := market.ParseSide(v)
			if e != nil {
				err = fmt.Errorf("field side: %w", e)
			}
			in.side = s
		case fieldTitle:
			in.title = v
		case fieldSkills:
			in.skills = append(in.skills, v)
		case fieldTags:
			in.tags = append(in.tags, v)
		case fieldCity:
			in.city = v
		case fieldIndustry:
			in.industry = v
		case fieldExpMin:
			in.experience.Min = num(f)
		case fieldExpMax:
			in.experience.Max = num(f)
		case fieldSalaryMin:
			salMin = num(f)
		case fieldSalaryMax:
			salMax = num(f)
		case fieldEducation:
			in.education = market.Education(num(f))
		}
	})
	if err == nil && !in.side.Valid() {
		err = errors.New("no stored side (an index written before fields were stored: delete it and upsert again)")
	}
	in.salary = market.Salary{Min: salMin, Max: salMax}
	return in, err
}

func (x *Index) lookup(ix uint32) *indexed {
	if int(ix) < len(x.profiles) {
		return x.profiles[ix]
	}
	return nil
}

// clause is one weighted term of a request: a posting list of the cache
// and what each unit of impact in it is worth.
type clause struct {
	list int32
	w    float32
}

// terms returns requester ix's query as boosts of (field, term) pairs on
// the other side, in a deterministic order, and its query fields (nil when
// unknown). The caller holds x.mu.
func (x *Index) terms(ix uint32) ([]boosted, *indexed) {
	p := x.lookup(ix)
	if p == nil {
		return nil, nil
	}
	c := x.cache
	var q []boosted
	add := func(field uint8, term string, boost float64) {
		if boost > 0 && term != "" {
			q = append(q, boosted{field, term, boost})
		}
	}
	type textTerm struct {
		term string
		df   int
	}
	var texts []textTerm
	if int(ix) < len(c.fwd) {
		other := p.side.Other()
		for _, id := range c.fwd[ix] {
			k := c.keys[id]
			switch k.field {
			case fTitle:
				add(fTitle, k.term, 3)
				add(fText, k.term, 0.5)
			case fSkills:
				add(fSkills, k.term, 2)
				add(fText, k.term, 0.5)
			case fText:
				if x.cfg.MaxTextTerms > 0 {
					if l := c.list(listKey{other, fText, k.term}, false); l >= 0 && len(c.lists[l]) > 0 {
						texts = append(texts, textTerm{k.term, len(c.lists[l])})
					}
				}
			}
		}
	}
	// The most specific terms of the requester's own text: rarest first.
	slices.SortFunc(texts, func(a, b textTerm) int { return cmp.Or(cmp.Compare(a.df, b.df), cmp.Compare(a.term, b.term)) })
	for _, t := range texts[:min(len(texts), max(x.cfg.MaxTextTerms, 0))] {
		add(fText, t.term, 1)
		add(fTitle, t.term, 1)
		add(fSkills, t.term, 0.5)
	}
	if x.cfg.Rules != nil {
		items := append(slices.Clone(p.skills), p.tags...)
		for _, e := range x.cfg.Rules.Expand(items) {
			for _, t := range x.itemTerms(e.Item) {
				add(fTags, t, 1.5*e.Weight)
				add(fSkills, t, 1.5*e.Weight)
			}
		}
	}
	for _, t := range x.learned(ix) {
		add(fSkills, t.term, t.share)
		add(fTitle, t.term, t.share)
	}
	return q, p
}

// itemTerms returns the sorted terms of a rule item, analysed once per
// item and kept (rule items are a bounded vocabulary).
func (x *Index) itemTerms(item string) []string {
	if v, ok := x.items.Load(item); ok {
		return v.([]string)
	}
	terms, _ := x.analyze(item)
	v, _ := x.items.LoadOrStore(item, slices.Sorted(maps.Keys(terms)))
	return v.([]string)
}

// SetPreferences replaces the association rules and the interest matrix
// that queries are expanded and personalised with (IndexConfig.Rules and
// IndexConfig.Interest; nil turns either off), for instance after a refit.
// Requests that have started keep the ones they began with.
func (x *Index) SetPreferences(rules *text.Rules, interest *Interest) {
	x.mu.Lock()
	x.cfg.Rules, x.cfg.Interest = rules, interest
	x.mu.Unlock()
}

// boosted is one (field, term) of a query with its boost.
type boosted struct {
	field uint8
	term  string
	boost float64
}

// clauses turns the query of requester ix into weighted posting lists of
// the other side, one per list (boosts of the same term and field add
// up), ordered by field and term. The caller holds x.mu.
func (x *Index) clauses(ix uint32, dst []clause) ([]clause, *indexed) {
	q, p := x.terms(ix)
	if p == nil {
		return dst, nil
	}
	c := x.cache
	other := p.side.Other()
	n := float64(c.docs[other])
	// Boosts of the same list add up in float64, in an order that depends
	// on the boosts alone (the query's terms come in an order that depends
	// on when each term was first indexed), so that the sums are the same
	// after an on-disk index is reopened or a snapshot loaded.
	type boostOf struct {
		list int32
		w    float64
	}
	bs := make([]boostOf, 0, len(q))
	for _, b := range q {
		id := c.list(listKey{other, b.field, b.term}, false)
		if id < 0 || len(c.lists[id]) == 0 {
			continue
		}
		idf := 1 + math.Log(n/float64(len(c.lists[id])+1))
		bs = append(bs, boostOf{id, b.boost * idf})
	}
	// Ordered by field and term, not by list id (which depends on the
	// order terms were first seen).
	slices.SortFunc(bs, func(a, b boostOf) int {
		ka, kb := c.keys[a.list], c.keys[b.list]
		return cmp.Or(cmp.Compare(ka.field, kb.field), cmp.Compare(ka.term, kb.term), cmp.Compare(a.w, b.w))
	})
	for i := 0; i < len(bs); {
		k, sum := bs[i].list, 0.0
		for ; i < len(bs) && bs[i].list == k; i++ {
			sum += bs[i].w
		}
		dst = append(dst, clause{k, float32(sum)})
	}
	return dst, p
}

// compatibilityBound is the most compatibility can add for requester p:
// the weights of the terms that p's fields switch on (at most
// 1 + 0.5 + 1 + 1 + 0.5).
func compatibilityBound(p *indexed, city, industry uint32) float64 {
	s := 0.0
	if city != 0 {
		s++
	}
	if industry != 0 {
		s += 0.5
	}
	if p.experience.Min > 0 || (p.side == market.Recruiter && p.experience.Bounded()) {
		s++
	}
	if p.salary.Known() && (p.side == market.Seeker || p.salary.Max > 0) {
		s++
	}
	if p.education > market.EducationAny {
		s += 0.5
	}
	return s
}

// compatibility scores candidate column k against requester p, whose city
// and industry are interned as city and industry (0: none).
func compatibility(p *indexed, city, industry uint32, k *column) float64 {
	s := 0.0
	if city != 0 && k.city == city {
		s++
	}
	if industry != 0 && k.industry == industry {
		s += 0.5
	}
	if p.side == market.Seeker {
		if y := p.experience.Min; y > 0 && k.expMin <= y {
			s++ // the posting asks for at most y years
		}
		if p.salary.Known() && k.salKnown && k.salMax >= p.salary.Min {
			s++ // it pays at least the expectation
		}
		if p.education > market.EducationAny && k.edu <= p.education {
			s += 0.5
		}
		return s
	}
	if p.experience.Min > 0 || p.experience.Bounded() {
		if k.expMin >= p.experience.Min && (!p.experience.Bounded() || k.expMin <= p.experience.Max) {
			s++
		}
	}
	if p.salary.Known() && p.salary.Max > 0 && k.salKnown && k.salMin <= p.salary.Max {
		s++ // expects no more than offered
	}
	if p.education > market.EducationAny && k.edu >= p.education {
		s += 0.5
	}
	return s
}

// Query returns, as a bleve query, the query Recall runs for requester
// ix: it matches the same documents of the other side (bleve scores them
// its own way). It returns nil when ix is unknown or has nothing to
// search with. Use it to inspect a requester's query or to search bleve
// with extra clauses of the host's own.
func (x *Index) Query(ix uint32) query.Query {
	x.mu.RLock()
	q, p := x.terms(ix)
	x.mu.RUnlock()
	if p == nil || len(q) == 0 {
		return nil
	}
	var content []query.Query
	for _, b := range q {
		t := bleve.NewTermQuery(b.term)
		t.SetField(textFields[b.field])
		t.SetBoost(b.boost)
		content = append(content, t)
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
			rng(fieldExpMin, -inf, y, 1)
		}
		if p.salary.Known() {
			rng(fieldSalaryMax, p.salary.Min, inf, 1)
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
			rng(fieldSalaryMin, -inf, p.salary.Max, 1)
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

type learnedTerm struct {
	term  string
	share float64
}

// learned returns the requester's learned skill terms: the skill terms of
// its most attended profiles, weighted by attention, as shares of the
// best (which is 1). The caller holds x.mu.
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
	c := x.cache
	weight := map[string]float64{}
	for _, e := range h {
		if int(e.Index) < len(c.fwd) {
			for _, id := range c.fwd[e.Index] {
				if k := c.keys[id]; k.field == fSkills {
					weight[k.term] += e.Weight
				}
			}
		}
	}
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

// scratch is one request's working memory, pooled.
type scratch struct {
	acc     []float32
	clauses []clause
	top     topK
}

var scratches = sync.Pool{New: func() any { return new(scratch) }}

// Recall implements Recaller.
func (x *Index) Recall(ctx context.Context, req Request, dst []Candidate) ([]Candidate, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	if req.K <= 0 || req.Allowed.Count() == 0 {
		return dst, nil
	}
	s := scratches.Get().(*scratch)
	defer scratches.Put(s)
	x.mu.RLock()
	defer x.mu.RUnlock()
	var p *indexed
	s.clauses, p = x.clauses(req.Requester, s.clauses[:0])
	if p == nil || len(s.clauses) == 0 {
		return dst, nil
	}
	c := x.cache
	n := len(c.col)
	if len(s.acc) < n {
		s.acc = make([]float32, n)
	}
	// Lists are sorted by document, so the touched documents lie between
	// the smallest first and the largest last document: only that range
	// is scanned below (one side's block when sides were indexed apart).
	lo, hi := n, 0
	for _, k := range s.clauses {
		l := c.lists[k.list]
		lo, hi = min(lo, int(l[0].doc)), max(hi, int(l[len(l)-1].doc)+1)
		w := k.w
		for _, ps := range l {
			s.acc[ps.doc] += w * ps.impact
		}
	}
	acc := s.acc[lo:hi]
	if err := ctx.Err(); err != nil {
		clear(acc)
		return dst, err
	}
	city, industry := c.name(p.city), c.name(p.industry)
	bound := compatibilityBound(p, city, industry)
	top := &s.top
	top.reset(req.K)
	for d, v := range acc {
		if v == 0 {
			continue
		}
		acc[d] = 0
		d += lo
		ix := uint32(d)
		if ix == req.Requester || !req.Allowed.Contains(ix) {
			continue
		}
		if floor, ok := top.bound(); ok && float64(v)+bound < floor {
			continue // cannot enter, whatever its compatibility
		}
		score := float64(v) + compatibility(p, city, industry, &c.col[d])
		if math.IsInf(score, 0) {
			continue
		}
		top.push(Candidate{Index: ix, Score: score})
	}
	return top.appendSorted(dst), nil
}
