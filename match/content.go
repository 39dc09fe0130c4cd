package match

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/sparse"
	"github.com/twowayrec/twoway/text"
)

// Content is what the match compares of one participant: the content vector
// of the profile (from package text's vectoriser and field encoders) and the
// structured fields behind the pair features and the explanations.
//
// Vector's indices are the content feature space of the participant's side,
// shared by every profile of that side; they need not be dense. Skills and
// Tags are canonical terms (text's normaliser); Tags include the tags added by
// association-rule expansion, and Expanded lists which ones those are.
type Content struct {
	Side       market.Side      `json:"side"`
	Vector     sparse.Vector    `json:"vector"`
	Skills     []string         `json:"skills,omitempty"`
	Tags       []string         `json:"tags,omitempty"`
	Expanded   []string         `json:"expanded,omitempty"`
	City       string           `json:"city,omitempty"`
	Experience market.Range     `json:"experience"`
	Education  market.Education `json:"education,omitempty"`
	Salary     market.Salary    `json:"salary"`
}

// ContentOf returns the Content of profile p with content vector v (which it
// keeps, not copies). Skills and tags are taken as written in p; pass them
// through text's normaliser first for overlaps to count variants as one.
func ContentOf(p *market.Profile, v sparse.Vector) Content {
	return Content{
		Side: p.Side, Vector: v,
		Skills: slices.Clone(p.Skills), Tags: slices.Clone(p.Tags),
		City: p.City, Experience: p.Experience, Education: p.Education, Salary: p.Salary,
	}
}

// The pair features: the first NumPairFeatures entries of every feature
// vector a [Catalog] produces. They are symmetric in the two participants
// (the seeker's expectation is compared with the job's offer whichever side
// asks), so one interest-model code serves both directions; the weights a
// side's model learns for them say how much that side cares.
const (
	// FeatureSharedSkills is the cosine of the two skill sets,
	// |S_a ∩ S_b| / √(|S_a|·|S_b|), 0 when either is empty.
	FeatureSharedSkills = iota
	// FeatureSharedTags counts the shared terms beyond the shared skills:
	// with U the set of skills, tags and expanded tags of a participant
	// and S its skills,
	//
	//	(|U_a ∩ U_b| − |S_a ∩ S_b|) / √(|U_a|·|U_b|)
	//
	// so shared tags count, and so do the overlaps that association-rule
	// expansion creates (a seeker's "sql" inferred from "数据分析" meeting
	// a job's "sql"), while two shared skills are not counted twice.
	FeatureSharedTags
	// FeatureSameCity is 1 when both cities are known and equal, else 0.
	FeatureSameCity
	// FeatureSalaryFit is 1 when the job's maximum monthly pay reaches the
	// seeker's expected minimum, offer/expectation below it, and 1/2 when
	// either side states no figure (面议 or blank).
	FeatureSalaryFit
	// FeatureExperienceFit is 1 when the seeker's years lie in the job's
	// range (or the job asks for any), falls linearly to 0 below the
	// minimum (0 years short of a 5-year minimum is 0), and falls by half
	// when the seeker exceeds the maximum by the maximum plus one year.
	FeatureExperienceFit
	// FeatureEducationFit is 1 when the seeker's education meets the job's
	// minimum (or the job asks for any), 1/2 when the seeker's is not
	// stated, and 1 − gap/3 (floored at 0) for a gap of that many levels.
	FeatureEducationFit
	// FeatureContentSim is the dot product of the two content vectors:
	// the weighted sum of the cosines of every field's block (package
	// text's Encoder), the content similarity of the pair.
	FeatureContentSim
	// FeatureTextSim is the dot product of the two free-text blocks
	// (text's weighted terms of Profile.Text, the résumé and the job
	// description): their cosine times the text weight squared.
	FeatureTextSim
	// FeatureTitleSim is the dot product of the two title blocks.
	FeatureTitleSim
	// FeatureAnswering is the first of the NumEvidence behavioural
	// features ([Evidence]): evidence feature i is at FeatureAnswering+i.
	// Content alone gives them 0; the interest model adds the evidence
	// of the pair.
	FeatureAnswering
	// NumPairFeatures is the number of pair features; a candidate's
	// content feature j is at index NumPairFeatures + j.
	NumPairFeatures = FeatureAnswering + NumEvidence
)

// Featurizer turns a requester and a candidate (global indices) into the
// feature vector of the requester's interest model. Features writes the
// vector into dst's storage and returns it (so a caller reusing dst does not
// allocate); it must be safe for concurrent use and deterministic. Side
// returns a participant's side, 0 when unknown.
//
// [Catalog] is the recruiting-market Featurizer; tests and hosts with other
// markets (the speed-dating evaluation) supply their own.
type Featurizer interface {
	Features(dst sparse.Vector, requester, candidate uint32) sparse.Vector
	Side(participant uint32) market.Side
}

// SplitFeaturizer is a Featurizer whose features of (requester, candidate)
// are the pair's own, all below NumPairFeatures, followed by a vector of
// the candidate alone, the same whoever the requester: PairFeatures
// followed by CandidateFeatures is Features. [FitInterest] then stores a
// candidate's vector once instead of in every training row that shows it
// (rank.Dataset's shared vectors): the model is the same, and the
// training rows of a side hold the pair features only. [Catalog] is one.
type SplitFeaturizer interface {
	Featurizer
	// PairFeatures writes Features' entries below NumPairFeatures.
	PairFeatures(dst sparse.Vector, requester, candidate uint32) sparse.Vector
	// CandidateFeatures writes the rest of Features: the candidate's own
	// vector, every index at least NumPairFeatures.
	CandidateFeatures(dst sparse.Vector, candidate uint32) sparse.Vector
}

// CatalogConfig configures a Catalog.
type CatalogConfig struct {
	// FeatureName names content feature j of side s in explanations (for
	// example text's vocabulary term). Nil: content features are named
	// "feature j".
	FeatureName func(s market.Side, j uint32) string `json:"-"`
	// Kinds gives the field of content feature j (text.Encoder's
	// Feature(j).Kind, see [FeatureKinds]), for the text and title
	// similarity features; features past its end are free-text terms. Nil:
	// every feature counts as text.
	Kinds []text.FeatureKind `json:"-"`
}

// Catalog holds the Content of every participant, indexed by the global
// market.Dict index, and is the Featurizer of the recruiting market. It is
// safe for concurrent use: Set may run while Features and Explain read.
type Catalog struct {
	cfg   CatalogConfig
	mu    sync.RWMutex
	items []item
	terms map[string]uint32 // skills, tags and cities, interned from 1
	words []string          // words[id-1] is the term of id
	dim   [3]int            // per side: 1 + the largest content index
}

type item struct {
	c      Content
	skills []uint32 // interned, sorted, unique
	tags   []uint32 // skills, tags and expanded tags together
	city   uint32   // 0 unknown
}

// NewCatalog returns an empty Catalog.
func NewCatalog(cfg CatalogConfig) *Catalog {
	return &Catalog{cfg: cfg, terms: make(map[string]uint32)}
}

// Set stores the content of participant ix, replacing what was there. It
// keeps content's slices: do not modify them afterwards. It returns an
// error wrapping ErrContent, and stores nothing, when the side is invalid
// or the vector is not a valid sparse.Vector, and one that also wraps a
// [market.FieldError] with [market.ErrOutOfRange] when ix is above
// [MaxIndex] (the catalog is a dense table sized by the largest index).
func (c *Catalog) Set(ix uint32, content Content) error {
	if ix > MaxIndex {
		return fmt.Errorf("%w: %w", ErrContent, &market.FieldError{Record: "participant", ID: fmt.Sprint(ix), Field: "index", Value: fmt.Sprintf("%d (at most %d)", ix, MaxIndex), Err: market.ErrOutOfRange})
	}
	if !content.Side.Valid() {
		return fmt.Errorf("%w: participant %d: field Side: %v", ErrContent, ix, content.Side)
	}
	if err := content.Vector.Check(); err != nil {
		return fmt.Errorf("%w: participant %d: field Vector: %w", ErrContent, ix, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	it := item{c: content}
	it.skills = c.internSet(content.Skills)
	it.tags = c.internSet(slices.Concat(content.Tags, content.Skills, content.Expanded))
	if city := strings.TrimSpace(content.City); city != "" {
		it.city = c.intern("city:" + city)
	}
	if int(ix) >= len(c.items) {
		c.items = slices.Grow(c.items, int(ix)+1-len(c.items))[:int(ix)+1]
	}
	c.items[ix] = it
	if n := content.Vector.Len(); n > 0 {
		c.dim[content.Side] = max(c.dim[content.Side], int(content.Vector.Idx[n-1])+1)
	}
	return nil
}

func (c *Catalog) intern(w string) uint32 {
	if id, ok := c.terms[w]; ok {
		return id
	}
	c.words = append(c.words, w)
	id := uint32(len(c.words))
	c.terms[w] = id
	return id
}

func (c *Catalog) internSet(ws []string) []uint32 {
	out := make([]uint32, 0, len(ws))
	for _, w := range ws {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, c.intern("term:"+w))
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Content returns the stored content of participant ix and whether there is
// one.
func (c *Catalog) Content(ix uint32) (Content, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if int(ix) >= len(c.items) || !c.items[ix].c.Side.Valid() {
		return Content{}, false
	}
	return c.items[ix].c, true
}

// Len returns one more than the largest participant index that holds
// content, 0 when none does.
func (c *Catalog) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.items)
}

// Side returns the side of participant ix, 0 when it has no content.
func (c *Catalog) Side(ix uint32) market.Side {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if int(ix) >= len(c.items) {
		return 0
	}
	return c.items[ix].c.Side
}

// Dim returns the size of the feature space of a requester on side s:
// NumPairFeatures plus the content dimension of the other side.
func (c *Catalog) Dim(s market.Side) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if !s.Valid() {
		return NumPairFeatures
	}
	return NumPairFeatures + c.dim[s.Other()]
}

// Features writes requester a's view of candidate b: the pair features at
// indices [0, NumPairFeatures), then b's content vector shifted by
// NumPairFeatures. A participant without content counts as empty. It does
// not allocate when dst has room for NumPairFeatures + b's content entries.
func (c *Catalog) Features(dst sparse.Vector, a, b uint32) sparse.Vector {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.features(dst, a, b)
}

// item returns participant ix's item, nil when it has none; c.mu held.
func (c *Catalog) item(ix uint32) *item {
	if int(ix) < len(c.items) {
		return &c.items[ix]
	}
	return nil
}

// features is Features with c.mu held for reading.
func (c *Catalog) features(dst sparse.Vector, a, b uint32) sparse.Vector {
	return c.appendContent(c.pairOnly(dst, a, b), c.item(b))
}

// pairOnly writes the pair features of (a, b) into dst: Features without
// b's content vector. c.mu held for reading.
func (c *Catalog) pairOnly(dst sparse.Vector, a, b uint32) sparse.Vector {
	ia, ib := c.item(a), c.item(b)
	var pf [NumPairFeatures]float64
	pairFeatures(&pf, ia, ib)
	if ia != nil && ib != nil {
		c.similarity(&pf, ia.c.Vector, ib.c.Vector)
	}
	dst.Idx, dst.Val = dst.Idx[:0], dst.Val[:0]
	for j, x := range pf {
		if x != 0 {
			dst.Idx, dst.Val = append(dst.Idx, uint32(j)), append(dst.Val, x)
		}
	}
	return dst
}

// appendContent appends ib's content vector shifted by NumPairFeatures.
func (c *Catalog) appendContent(dst sparse.Vector, ib *item) sparse.Vector {
	if ib != nil {
		for k, j := range ib.c.Vector.Idx {
			dst.Idx, dst.Val = append(dst.Idx, j+NumPairFeatures), append(dst.Val, ib.c.Vector.Val[k])
		}
	}
	return dst
}

// PairFeatures writes the pair features of requester a's view of
// candidate b (Features up to index NumPairFeatures), for
// [SplitFeaturizer].
func (c *Catalog) PairFeatures(dst sparse.Vector, a, b uint32) sparse.Vector {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.pairOnly(dst, a, b)
}

// CandidateFeatures writes b's content vector shifted by NumPairFeatures
// (the rest of Features, the same for every requester), for
// [SplitFeaturizer].
func (c *Catalog) CandidateFeatures(dst sparse.Vector, b uint32) sparse.Vector {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.appendContent(sparse.Vector{Idx: dst.Idx[:0], Val: dst.Val[:0]}, c.item(b))
}

var emptyItem item

// Similarity writes the content cosine of participant a with each of
// candidates (the cosine of their content vectors: FeatureContentSim over
// the product of their norms, in [0, 1] for the non-negative vectors of
// package text) into dst, grown as needed, and returns it. A participant
// without content has similarity 0.
func (c *Catalog) Similarity(a uint32, candidates []uint32, dst []float64) []float64 {
	dst = slices.Grow(dst[:0], len(candidates))[:len(candidates)]
	clear(dst)
	c.mu.RLock()
	defer c.mu.RUnlock()
	ia := c.item(a)
	if ia == nil {
		return dst
	}
	na := norm(ia.c.Vector)
	if na == 0 {
		return dst
	}
	d := dense(nil, ia.c.Vector)
	var pf [NumPairFeatures]float64
	for i, b := range candidates {
		if ib := c.item(b); ib != nil {
			if nb := norm(ib.c.Vector); nb > 0 {
				c.similarityDense(&pf, d, ib.c.Vector)
				dst[i] = pf[FeatureContentSim] / (na * nb)
			}
		}
	}
	return dst
}

func norm(v sparse.Vector) float64 {
	s := 0.0
	for _, x := range v.Val {
		s += x * x
	}
	return math.Sqrt(s)
}

// kind returns the field of content feature j.
func (c *Catalog) kind(j uint32) text.FeatureKind {
	if int(j) < len(c.cfg.Kinds) {
		return c.cfg.Kinds[j]
	}
	return text.KindText
}

// similarity sets the content, text and title similarity features of pf
// from the two content vectors (a merge of their sorted indices).
func (c *Catalog) similarity(pf *[NumPairFeatures]float64, a, b sparse.Vector) {
	var all, txt, title float64
	i, j := 0, 0
	for i < len(a.Idx) && j < len(b.Idx) {
		switch x, y := a.Idx[i], b.Idx[j]; {
		case x < y:
			i++
		case x > y:
			j++
		default:
			p := a.Val[i] * b.Val[j]
			all += p
			switch c.kind(x) {
			case text.KindText:
				txt += p
			case text.KindTitle:
				title += p
			}
			i++
			j++
		}
	}
	pf[FeatureContentSim], pf[FeatureTextSim], pf[FeatureTitleSim] = all, txt, title
}

// similarityDense is similarity with a laid out densely (dense[j] = a's
// value of feature j, 0 past its end).
func (c *Catalog) similarityDense(pf *[NumPairFeatures]float64, dense []float64, b sparse.Vector) {
	var all, txt, title float64
	val := b.Val[:len(b.Idx)]
	for k, j := range b.Idx {
		if int(j) >= len(dense) {
			break // indices are sorted
		}
		if x := dense[j]; x != 0 {
			p := x * val[k]
			all += p
			switch c.kind(j) {
			case text.KindText:
				txt += p
			case text.KindTitle:
				title += p
			}
		}
	}
	pf[FeatureContentSim], pf[FeatureTextSim], pf[FeatureTitleSim] = all, txt, title
}

// pairFeatures fills pf for the pair (a, b); nil means no content.
func pairFeatures(pf *[NumPairFeatures]float64, a, b *item) {
	if a == nil {
		a = &emptyItem
	}
	if b == nil {
		b = &emptyItem
	}
	pairFeaturesCounted(pf, a, b, intersectCount(a.skills, b.skills), intersectCount(a.tags, b.tags))
}

// pairFeaturesCounted fills pf given the number of shared skills and of
// shared terms (skills, tags and expansions); a and b are not nil.
func pairFeaturesCounted(pf *[NumPairFeatures]float64, a, b *item, sharedSkills, sharedTerms int) {
	*pf = [NumPairFeatures]float64{}
	if sharedSkills > 0 {
		pf[FeatureSharedSkills] = float64(sharedSkills) / math.Sqrt(float64(len(a.skills))*float64(len(b.skills)))
	}
	if n := sharedTerms - sharedSkills; n > 0 {
		pf[FeatureSharedTags] = float64(n) / math.Sqrt(float64(len(a.tags))*float64(len(b.tags)))
	}
	if a.city != 0 && a.city == b.city {
		pf[FeatureSameCity] = 1
	}
	seeker, job := &a.c, &b.c
	if a.c.Side == market.Recruiter || b.c.Side == market.Seeker {
		seeker, job = job, seeker
	}
	pf[FeatureSalaryFit] = SalaryFit(seeker.Salary, job.Salary)
	pf[FeatureExperienceFit] = ExperienceFit(seeker.Experience, job.Experience)
	pf[FeatureEducationFit] = EducationFit(seeker.Education, job.Education)
}

// termSet is a bitset over interned term ids, for counting a requester's
// terms in many candidates without merging sorted lists.
type termSet []uint64

// fill sets the bits of ids, growing s to hold n ids, and returns it.
func (s termSet) fill(ids []uint32, n int) termSet {
	words := n/64 + 1
	s = slices.Grow(s[:0], words)[:words]
	clear(s)
	for _, id := range ids {
		s[id/64] |= 1 << (id % 64)
	}
	return s
}

// count returns how many of ids are in s.
func (s termSet) count(ids []uint32) int {
	n := 0
	for _, id := range ids {
		if w := int(id / 64); w < len(s) {
			n += int(s[w] >> (id % 64) & 1)
		}
	}
	return n
}

func intersectCount(a, b []uint32) int {
	n, i, j := 0, 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return n
}

// SalaryFit compares a seeker's expected monthly pay with a job's offer (see
// [FeatureSalaryFit]): 1 when offer.Max (or offer.Min when Max is 0) reaches
// expected.Min, offer/expectation below it, 1/2 when either is not known.
func SalaryFit(expected, offer market.Salary) float64 {
	if !expected.Known() || !offer.Known() {
		return 0.5
	}
	want := expected.Min
	if want <= 0 {
		want = expected.Max
	}
	top := max(offer.Max, offer.Min)
	if top >= want {
		return 1
	}
	return top / want
}

// ExperienceFit compares a seeker's years of experience (have.Min) with a
// job's required range (see [FeatureExperienceFit]).
func ExperienceFit(have, required market.Range) float64 {
	y := have.Min
	if y < required.Min {
		return max(0, 1-(required.Min-y)/required.Min)
	}
	if required.Bounded() && y > required.Max {
		return 1 / (1 + (y-required.Max)/(required.Max+1))
	}
	return 1
}

// EducationFit compares a seeker's education with a job's minimum (see
// [FeatureEducationFit]).
func EducationFit(have, required market.Education) float64 {
	switch {
	case required == market.EducationAny || have >= required:
		return 1
	case have == market.EducationAny:
		return 0.5
	}
	return max(0, 1-float64(required-have)/3)
}
