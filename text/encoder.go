package text

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/twowayrec/twoway/internal/parallel"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/sparse"
)

// FeatureKind says which field of a profile a content feature comes from.
type FeatureKind uint8

const (
	KindText       FeatureKind = iota // a weighted term of Profile.Text
	KindTitle                         // a term of Profile.Title
	KindSkill                         // a canonical skill, declared or found in Title/Text
	KindTag                           // a tag, declared or added by association rules
	KindCity                          // Profile.City
	KindDistrict                      // Profile.District
	KindIndustry                      // one industry of Profile.Industry
	KindEducation                     // an education level (see Encoder)
	KindExperience                    // a band of years of experience
	KindSalary                        // a band of monthly salary
	KindAttribute                     // a host attribute of Profile.Attributes
	numKinds
)

var kindNames = [...]string{"text", "title", "skill", "tag", "city", "district", "industry", "education", "experience", "salary", "attribute"}

// String returns the kind's name ("skill", "city").
func (k FeatureKind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("FeatureKind(%d)", uint8(k))
}

// Feature names one dimension of the content vectors.
type Feature struct {
	Kind  FeatureKind `json:"kind"`
	Value string      `json:"value"` // "java", "北京", ">=bachelor", "3-5", "8000-12000", "age"
}

// String returns "kind: value" ("skill: java", "city: 北京"); a character
// bigram of the text block is "text: 数据 (characters)".
func (f Feature) String() string {
	if b, ok := Bigram(f.Value); ok && f.Kind == KindText {
		return f.Kind.String() + ": " + b + " (characters)"
	}
	return f.Kind.String() + ": " + f.Value
}

// Weights are the host-set importance of each field in a content vector.
// Each field's block is scaled to unit length and multiplied by its weight,
// so the dot product of two content vectors is the weighted sum of the
// fields' cosines. A zero weight leaves the field out; if every weight is
// zero, [DefaultWeights] apply.
type Weights struct {
	Text       float64 `json:"text"`
	Title      float64 `json:"title"`
	Skills     float64 `json:"skills"`
	Tags       float64 `json:"tags"`
	City       float64 `json:"city"`
	District   float64 `json:"district"`
	Industry   float64 `json:"industry"`
	Education  float64 `json:"education"`
	Experience float64 `json:"experience"`
	Salary     float64 `json:"salary"`
	Attributes float64 `json:"attributes"`
}

// DefaultWeights returns the weights used when none are set. The text
// block weighs 1.5 (it was 1 before it held character bigrams; chosen
// on validation, see the root package's Config.Text).
func DefaultWeights() Weights {
	return Weights{Text: 1.5, Title: 1, Skills: 1.5, Tags: 0.5, City: 1, District: 0.25, Industry: 0.5,
		Education: 0.5, Experience: 0.5, Salary: 0.5, Attributes: 0.5}
}

func (w Weights) of(k FeatureKind) float64 {
	switch k {
	case KindText:
		return w.Text
	case KindTitle:
		return w.Title
	case KindSkill:
		return w.Skills
	case KindTag:
		return w.Tags
	case KindCity:
		return w.City
	case KindDistrict:
		return w.District
	case KindIndustry:
		return w.Industry
	case KindEducation:
		return w.Education
	case KindExperience:
		return w.Experience
	case KindSalary:
		return w.Salary
	case KindAttribute:
		return w.Attributes
	}
	return 0
}

// EncoderConfig configures [NewEncoder].
type EncoderConfig struct {
	// Weights of the fields. All zero (the zero value) means
	// DefaultWeights(). Negative or non-finite weights are errors.
	Weights Weights `json:"weights"`
	// Weighting configures the TF-IDF/BM25 weighting of Profile.Text. The
	// zero value is TF-IDF over every term.
	Weighting WeightingConfig `json:"weighting"`
	// MinCount drops categorical values (cities, industries, skills, tags,
	// title terms) seen on fewer profiles at fit time. Zero means 1.
	MinCount int `json:"min_count,omitempty"`
	// AttributeScale divides each host attribute it names before encoding
	// (age 30 with scale 10 becomes 3), and that attribute is then encoded
	// as given, not standardised (see RawAttributes).
	AttributeScale map[string]float64 `json:"attribute_scale,omitempty"`
	// RawAttributes encodes host attributes as given. False (the zero
	// value): each attribute that AttributeScale does not name is
	// standardised over the fitted profiles that have it, (x − mean)/sd,
	// so that attributes in different units (an age of 30, an income of
	// 50,000, a 1–10 rating) weigh alike in their block instead of the
	// largest drowning the others after the block's scaling to unit
	// length, and a profile without the attribute reads as the mean (0)
	// rather than as a value of 0. An attribute with one value on every
	// profile that has it (a one-hot indicator) is kept as given. Chosen
	// on validation: see the Engine's Config.Text.
	RawAttributes bool `json:"raw_attributes,omitempty"`
	// CategoricalIDF weighs skills, tags and title terms by their smoothed
	// inverse document frequency over the fitted profiles,
	// ln((1 + N) / (1 + df)) + 1, so that terms on most profiles (开发,
	// 数据) count less than rare ones. False (the zero value): each counts 1.
	CategoricalIDF bool `json:"categorical_idf,omitempty"`
	// FreeTextOnly makes the text block weigh the words of Profile.Text
	// alone. False (the zero value): the words of the title, skills and
	// tags too, so that a profile whose words are all in its free text (a
	// pasted résumé) and one with structured fields are compared like for
	// like (chosen on validation: see the Engine's Config.Text).
	FreeTextOnly bool `json:"free_text_only,omitempty"`
	// NoHanBigrams leaves character bigrams out of the text block. False
	// (the zero value): every pair of adjacent Chinese ideographs in the
	// block's fields is a term of its own beside the segmenter's words
	// (数据可视化 adds 数据, 据可, 可视, 视化), weighted by the same TF-IDF, so
	// that two texts segmented differently, or using words the dictionary
	// lacks, still meet (the usual segmenter-free signal for Chinese
	// retrieval; text without ideographs is unchanged). Chosen on
	// validation: see the Engine's Config.Text. The key is always written,
	// so that an encoder saved before the option existed decodes without
	// bigrams, as it was fitted.
	NoHanBigrams bool `json:"no_han_bigrams"`
	// Tokenizer splits Title and Text. Nil means DefaultTokenizer().
	Tokenizer *Tokenizer `json:"-"`
	// Rules expand each profile's tags and skills with the consequents of
	// association rules, weighted by confidence. Nil: no expansion.
	Rules *Rules `json:"-"`
}

// Bands of years of experience and of monthly salary (CNY) that the
// experience and salary features cover. A band is [lo, next lo).
var (
	experienceBands = []float64{0, 1, 3, 5, 10}
	salaryBands     = []float64{0, 3000, 5000, 8000, 12000, 18000, 25000, 35000, 50000}
)

// Encoder turns a profile into one content feature vector: weighted text
// terms, title terms, canonical skills, tags (expanded by association
// rules), city, district, industry, education, experience and salary
// bands, and host attributes. It is fitted on a set of profiles (which
// fixes the feature dictionary and the text weighting) and is then
// immutable and safe for concurrent use.
//
// # Feature space
//
// Indices are laid out as: education levels, experience bands, salary
// bands, then every categorical feature (attribute, city, district,
// industry, skill, tag, title term) sorted by kind and value, then the
// terms of the text weighting in its order. [Encoder.Feature] names any
// index ({Kind: KindSkill, Value: "java"} prints as "skill: java"),
// [Encoder.Index] finds one. Values not seen at fit time are dropped.
//
// # Two-sided fields
//
// Education, experience and salary are encoded so that the dot product of
// a seeker's and a posting's vectors measures fit:
//   - Education: a seeker has every level up to their own
//     (">=associate", ">=bachelor" for a bachelor), a posting only its
//     minimum, so the product is 1 exactly when the seeker meets it.
//   - Experience and salary: a range spreads unit mass over the bands it
//     overlaps, in proportion to the overlap (an open range, equally over
//     the bands above its minimum), so overlapping ranges give a positive
//     product and disjoint ones 0. Unknown ranges add nothing.
type Encoder struct {
	cfg       EncoderConfig
	w         Weights
	tok       *Tokenizer
	text      *Weighting
	features  []Feature
	index     map[Feature]uint32
	textStart uint32
	catIDF    []float64 // per categorical feature, when cfg.CategoricalIDF
	// attrMean and attrSD standardise attribute feature i as
	// (x − attrMean[i]) / attrSD[i] where attrSD[i] > 0 (nil: none).
	attrMean, attrSD []float64
	builders         sync.Pool // *encodeScratch
}

type encodeScratch struct {
	b      sparse.Builder
	terms  []string
	skills []string
	tv     sparse.Vector
	seen   map[uint32]float64
	keys   []uint32 // seen's keys, sorted
}

// NewEncoder fits an encoder on profiles.
func NewEncoder(profiles []market.Profile, cfg EncoderConfig) (*Encoder, error) {
	w := cfg.Weights
	if w == (Weights{}) {
		w = DefaultWeights()
	}
	for k := range numKinds {
		if x := w.of(k); !(x >= 0) || math.IsInf(x, 0) {
			return nil, &ConfigError{Field: "EncoderConfig.Weights." + k.String(), Value: x, Reason: "must be finite and >= 0"}
		}
	}
	if cfg.MinCount < 0 {
		return nil, &ConfigError{Field: "EncoderConfig.MinCount", Value: cfg.MinCount, Reason: "must be >= 0"}
	}
	for name, s := range cfg.AttributeScale {
		if !(s > 0) || math.IsInf(s, 0) {
			return nil, &ConfigError{Field: "EncoderConfig.AttributeScale[" + name + "]", Value: s, Reason: "must be finite and > 0"}
		}
	}
	minCount := max(cfg.MinCount, 1)
	e := &Encoder{cfg: cfg, w: w, tok: cfg.Tokenizer, index: map[Feature]uint32{}}
	if e.tok == nil {
		e.tok = DefaultTokenizer()
	}
	e.builders.New = func() any { return &encodeScratch{seen: map[uint32]float64{}} }
	for lvl := market.EducationPrimary; lvl.Valid(); lvl++ {
		e.add(Feature{KindEducation, ">=" + lvl.String()})
	}
	for i := range experienceBands {
		e.add(Feature{KindExperience, bandName(experienceBands, i)})
	}
	for i := range salaryBands {
		e.add(Feature{KindSalary, bandName(salaryBands, i)})
	}
	counts := map[Feature]int{}
	attrs := map[string]*moments{} // every attribute's values (after AttributeScale)
	// The profiles' words are found on every core (the tokenizer is safe
	// for concurrent use) and counted in profile order.
	docs := make([][]string, len(profiles))
	skillsOf := make([][]string, len(profiles))
	_ = parallel.Chunks(context.Background(), runtime.GOMAXPROCS(0), 64, len(profiles), func(lo, hi int, _ *struct{}) {
		for i := lo; i < hi; i++ {
			docs[i], skillsOf[i] = e.words(&profiles[i], nil, nil)
		}
	})
	for i := range profiles {
		p := &profiles[i]
		seen := map[Feature]bool{}
		skills := skillsOf[i]
		skillsOf[i] = nil
		e.categorical(p, skills, func(f Feature, x float64) {
			if f.Kind == KindAttribute {
				m := attrs[f.Value]
				if m == nil {
					m = &moments{}
					attrs[f.Value] = m
				}
				m.add(x)
				return
			}
			if !seen[f] {
				seen[f] = true
				counts[f]++
			}
		})
	}
	var cat []Feature
	for f, c := range counts {
		if c >= minCount {
			cat = append(cat, f)
		}
	}
	for name, m := range attrs {
		if m.nonzero || e.standardises(name, m) {
			cat = append(cat, Feature{KindAttribute, name})
		}
	}
	slices.SortFunc(cat, func(a, b Feature) int { return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Value, b.Value)) })
	for _, f := range cat {
		e.add(f)
	}
	for i, f := range e.features {
		if m := attrs[f.Value]; f.Kind == KindAttribute && e.standardises(f.Value, m) {
			if e.attrSD == nil {
				e.attrMean, e.attrSD = make([]float64, len(e.features)), make([]float64, len(e.features))
			}
			e.attrMean[i], e.attrSD[i] = m.mean, m.sd()
		}
	}
	if cfg.CategoricalIDF {
		e.catIDF = make([]float64, len(e.features))
		for i, f := range e.features {
			e.catIDF[i] = math.Log(float64(1+len(profiles))/float64(1+counts[f])) + 1
		}
	}
	var err error
	if e.text, err = FitWeighting(docs, cfg.Weighting); err != nil {
		return nil, err
	}
	e.textStart = uint32(len(e.features))
	return e, nil
}

// moments are the running mean and sum of squared deviations of one
// attribute's values (Welford's update).
type moments struct {
	n, mean, m2 float64
	nonzero     bool // some value is not 0
}

func (m *moments) add(x float64) {
	m.n++
	d := x - m.mean
	m.mean += d / m.n
	m.m2 += d * (x - m.mean)
	m.nonzero = m.nonzero || x != 0
}

// sd is the population standard deviation, 0 for fewer than two values.
func (m *moments) sd() float64 {
	if m.n < 2 || !(m.m2 > 0) {
		return 0
	}
	return math.Sqrt(m.m2 / m.n)
}

// standardises reports whether attribute name, with values m, is
// standardised: not RawAttributes, not named by AttributeScale, and not
// one value on every profile that has it.
func (e *Encoder) standardises(name string, m *moments) bool {
	if e.cfg.RawAttributes || m == nil {
		return false
	}
	if _, scaled := e.cfg.AttributeScale[name]; scaled {
		return false
	}
	sd := m.sd()
	return sd > 0 && !math.IsInf(sd, 0) && sd > 1e-12*max(1, math.Abs(m.mean))
}

func (e *Encoder) add(f Feature) {
	e.index[f] = uint32(len(e.features))
	e.features = append(e.features, f)
}

func bandName(b []float64, i int) string {
	if i+1 < len(b) {
		return fmt.Sprintf("%g-%g", b[i], b[i+1])
	}
	return fmt.Sprintf("%g+", b[i])
}

// Len returns the dimension of the content vectors.
func (e *Encoder) Len() int { return len(e.features) + e.text.Len() }

// Feature returns the name of index i. It panics if i >= Len().
func (e *Encoder) Feature(i uint32) Feature {
	if i >= e.textStart {
		return Feature{KindText, e.text.Term(i - e.textStart)}
	}
	return e.features[i]
}

// Index returns the index of f and whether the encoder knows it.
func (e *Encoder) Index(f Feature) (uint32, bool) {
	if f.Kind == KindText {
		i, ok := e.text.Index(f.Value)
		return i + e.textStart, ok
	}
	i, ok := e.index[f]
	return i, ok
}

// Weighting returns the fitted weighting of Profile.Text.
func (e *Encoder) Weighting() *Weighting { return e.text }

// Tokenizer returns the tokenizer the encoder splits text with.
func (e *Encoder) Tokenizer() *Tokenizer { return e.tok }

// Weights returns the field weights in use.
func (e *Encoder) Weights() Weights { return e.w }

// maxStandardised bounds a standardised attribute, in deviations from the
// fitted mean: a value further out encodes as ±maxStandardised.
const maxStandardised = 1e6

// Encode writes the content vector of p into dst, reusing its storage,
// and returns it. Its values are always finite: a standardised attribute
// is clamped to ±10⁶ deviations from the fitted mean, and each block is
// scaled to unit length without overflow.
func (e *Encoder) Encode(dst sparse.Vector, p *market.Profile) sparse.Vector {
	sc := e.builders.Get().(*encodeScratch)
	defer e.builders.Put(sc)
	sc.b.Reset()
	// Categorical blocks: collect per kind (the largest value of a
	// feature met twice), then scale each to unit length. The norms are
	// summed in feature order, never in the map's order, so that a
	// profile always encodes to the same bits (Attributes is a map: its
	// order changes from one run to the next).
	clear(sc.seen)
	sc.terms, sc.skills = sc.terms[:0], sc.skills[:0]
	if e.w.Text > 0 || e.w.Skills > 0 || e.w.Tags > 0 {
		sc.terms, sc.skills = e.words(p, sc.terms, sc.skills)
	}
	e.categorical(p, sc.skills, func(f Feature, x float64) {
		i, ok := e.index[f]
		if !ok {
			return
		}
		if e.catIDF != nil && (f.Kind == KindSkill || f.Kind == KindTag || f.Kind == KindTitle) {
			x *= e.catIDF[i]
		}
		if f.Kind == KindAttribute {
			if e.attrSD != nil && e.attrSD[i] > 0 {
				// Clamped: a value far outside the fitted range (or a
				// tiny deviation) must not overflow to ±Inf.
				x = max(-maxStandardised, min(maxStandardised, (x-e.attrMean[i])/e.attrSD[i]))
			}
			if x == 0 {
				return
			}
		}
		if old, dup := sc.seen[i]; !dup || x > old {
			sc.seen[i] = x
		}
	})
	sc.keys = sc.keys[:0]
	for i := range sc.seen {
		sc.keys = append(sc.keys, i)
	}
	slices.Sort(sc.keys)
	// A block whose sum of squares leaves the float64 range is rescaled
	// by its largest |x| first (as math.Hypot does); other blocks encode
	// bit for bit as before.
	var big, sq [numKinds]float64
	for _, i := range sc.keys {
		k := e.features[i].Kind
		x := sc.seen[i]
		sq[k] += x * x
		big[k] = max(big[k], math.Abs(x))
	}
	var scaled [numKinds]bool
	for k := range sq {
		if scaled[k] = big[k] > 0 && !(sq[k] > 0x1p-600 && sq[k] <= math.MaxFloat64); scaled[k] {
			sq[k] = 0
		}
	}
	for _, i := range sc.keys {
		if k := e.features[i].Kind; scaled[k] {
			x := sc.seen[i] / big[k]
			sq[k] += x * x
		}
	}
	for _, i := range sc.keys {
		k := e.features[i].Kind
		switch {
		case big[k] == 0:
		case scaled[k]:
			sc.b.Add(i, sc.seen[i]/big[k]*e.w.of(k)/math.Sqrt(sq[k]))
		default:
			sc.b.Add(i, sc.seen[i]*e.w.of(k)/math.Sqrt(sq[k]))
		}
	}
	e.education(p, func(f Feature, x float64) { sc.b.Add(e.index[f], x*e.w.Education) })
	e.bands(KindExperience, experienceBands, p.Experience.Min, p.Experience.Max, p.Experience.Bounded(), &sc.b)
	if p.Salary.Known() {
		hi := p.Salary.Max
		e.bands(KindSalary, salaryBands, p.Salary.Min, hi, hi > 0, &sc.b)
	}
	if e.w.Text > 0 && len(sc.terms) > 0 {
		sc.tv = e.text.Vectorize(sc.tv, sc.terms)
		var big, n float64
		for _, x := range sc.tv.Val {
			n += x * x
			big = max(big, math.Abs(x))
		}
		switch {
		case big == 0 || math.IsInf(big, 0) || math.IsNaN(big):
		case n > 0x1p-600 && n <= math.MaxFloat64:
			n = math.Sqrt(n)
			for k, i := range sc.tv.Idx {
				sc.b.Add(e.textStart+i, sc.tv.Val[k]*e.w.Text/n)
			}
		default: // rescaled, as for the categorical blocks
			n = 0
			for _, x := range sc.tv.Val {
				n += (x / big) * (x / big)
			}
			n = math.Sqrt(n)
			for k, i := range sc.tv.Idx {
				sc.b.Add(e.textStart+i, sc.tv.Val[k]/big*e.w.Text/n)
			}
		}
	}
	clear(sc.terms)
	clear(sc.skills)
	return sc.b.Vector(dst)
}

// words appends the terms of p's text block to terms, and the skills
// found in p.Text to skills: the terms of Profile.Text, and unless
// FreeTextOnly those of the title, skills and tags too.
func (e *Encoder) words(p *market.Profile, terms, skills []string) ([]string, []string) {
	terms, skills = e.tok.scan(p.Text, terms, skills)
	terms = e.bigrams(terms, p.Text)
	if e.cfg.FreeTextOnly {
		return terms, skills
	}
	n := len(skills) // skills are the free text's only
	terms, skills = e.tok.scan(p.Title, terms, skills)
	terms = e.bigrams(terms, p.Title)
	for _, v := range p.Skills {
		terms, skills = e.tok.scan(v, terms, skills)
		terms = e.bigrams(terms, v)
	}
	for _, v := range p.Tags {
		terms, skills = e.tok.scan(v, terms, skills)
		terms = e.bigrams(terms, v)
	}
	return terms, skills[:n]
}

// bigramMark starts every character-bigram term of the text weighting, so
// that a bigram (数据 as two characters) is never the segmenter's word
// 数据: the two count separately. It sorts before every word.
const bigramMark = "\x00"

// bigrams appends the character bigrams of s's runs of ideographs to
// terms (unless NoHanBigrams), each as bigramMark + the two characters,
// after folding full-width forms as the tokenizer does.
func (e *Encoder) bigrams(terms []string, s string) []string {
	if e.cfg.NoHanBigrams {
		return terms
	}
	var buf [1 + 2*utf8.UTFMax]byte
	prev := rune(-1) // the previous ideograph (folded), -1 after anything else
	for _, r := range s {
		r = foldRune(r)
		if !isHan(r) {
			prev = -1
			continue
		}
		if prev >= 0 {
			b := utf8.AppendRune(utf8.AppendRune(append(buf[:0], bigramMark...), prev), r)
			terms = append(terms, string(b))
		}
		prev = r
	}
	return terms
}

// Bigram reports whether term, a term of the text weighting (the Value of
// a KindText feature), is a character bigram (see
// EncoderConfig.NoHanBigrams), and returns its two characters.
func Bigram(term string) (string, bool) {
	return strings.CutPrefix(term, bigramMark)
}

// categorical calls f for every categorical feature of p with its raw
// value (before block scaling); textSkills are the skills found in p.Text.
func (e *Encoder) categorical(p *market.Profile, textSkills []string, f func(Feature, float64)) {
	if e.w.City > 0 && p.City != "" {
		f(Feature{KindCity, Clean(p.City)}, 1)
	}
	if e.w.District > 0 && p.District != "" {
		f(Feature{KindDistrict, Clean(p.District)}, 1)
	}
	if e.w.Industry > 0 {
		for _, ind := range splitList(p.Industry) {
			f(Feature{KindIndustry, ind}, 1)
		}
	}
	if e.w.Attributes > 0 {
		for name, x := range p.Attributes {
			if s, ok := e.cfg.AttributeScale[name]; ok {
				x /= s
			}
			if !math.IsNaN(x) && !math.IsInf(x, 0) { // 0 too: standardised, it is not the mean
				f(Feature{KindAttribute, name}, x)
			}
		}
	}
	vocab := e.tok.Vocabulary()
	var skills []string
	if e.w.Skills > 0 || e.w.Tags > 0 {
		for _, s := range p.Skills {
			if c := vocab.Normalize(s); c != "" {
				skills = append(skills, c)
				if e.w.Skills > 0 {
					f(Feature{KindSkill, c}, 1)
				}
			}
		}
	}
	if p.Title != "" && (e.w.Title > 0 || e.w.Skills > 0 || e.w.Tags > 0) {
		// Title skills are the title's own vocabulary terms, without the
		// parts of compound terms that text skills include.
		e.tok.each(p.Title, false, func(tk Token) {
			if e.w.Title > 0 {
				f(Feature{KindTitle, tk.Term}, 1)
			}
			if tk.Skill {
				skills = append(skills, tk.Term)
				if e.w.Skills > 0 {
					f(Feature{KindSkill, tk.Term}, 1)
				}
			}
		})
	}
	if e.w.Skills > 0 || e.w.Tags > 0 {
		for _, s := range textSkills {
			skills = append(skills, s)
			if e.w.Skills > 0 {
				f(Feature{KindSkill, s}, 1)
			}
		}
	}
	if e.w.Tags > 0 {
		var tags []string
		for _, t := range p.Tags {
			if c := vocab.Normalize(t); c != "" {
				tags = append(tags, c)
				f(Feature{KindTag, c}, 1)
			}
		}
		if e.cfg.Rules != nil {
			for _, x := range e.cfg.Rules.Expand(append(tags, skills...)) {
				f(Feature{KindTag, x.Item}, x.Weight)
			}
		}
	}
}

// education calls f with the education features of p (see Encoder).
func (e *Encoder) education(p *market.Profile, f func(Feature, float64)) {
	if e.w.Education == 0 || p.Education == market.EducationAny || !p.Education.Valid() {
		return
	}
	if p.Side == market.Recruiter {
		f(Feature{KindEducation, ">=" + p.Education.String()}, 1)
		return
	}
	n := float64(p.Education - market.EducationAny)
	for lvl := market.EducationPrimary; lvl <= p.Education; lvl++ {
		f(Feature{KindEducation, ">=" + lvl.String()}, 1/math.Sqrt(n))
	}
}

// bands spreads unit mass of the range [lo, hi] (open above when !bounded)
// over the bands, scaled to unit length times the kind's weight.
func (e *Encoder) bands(kind FeatureKind, bands []float64, lo, hi float64, bounded bool, b *sparse.Builder) {
	w := e.w.of(kind)
	if w == 0 || (lo == 0 && !bounded) {
		return
	}
	mass := bandMass(bands, lo, hi, bounded)
	var sq float64
	for _, m := range mass {
		sq += m * m
	}
	if sq == 0 {
		return
	}
	n := math.Sqrt(sq)
	for i, m := range mass {
		if m > 0 {
			b.Add(e.index[Feature{kind, bandName(bands, i)}], m*w/n)
		}
	}
}

// bandMass returns how much of [lo, hi] falls in each band; a point range
// puts all its mass in its band, an open range spreads it equally over the
// bands from lo's upward.
func bandMass(bands []float64, lo, hi float64, bounded bool) []float64 {
	mass := make([]float64, len(bands))
	bandOf := func(x float64) int {
		i, _ := slices.BinarySearch(bands, x)
		if i == len(bands) || bands[i] > x {
			i--
		}
		return max(i, 0)
	}
	switch {
	case !bounded:
		first := bandOf(lo)
		for i := first; i < len(bands); i++ {
			mass[i] = 1 / float64(len(bands)-first)
		}
	case hi <= lo:
		mass[bandOf(lo)] = 1
	default:
		for i := range bands {
			top := math.Inf(1)
			if i+1 < len(bands) {
				top = bands[i+1]
			}
			if ov := math.Min(hi, top) - math.Max(lo, bands[i]); ov > 0 {
				mass[i] = ov / (hi - lo)
			}
		}
	}
	return mass
}

// splitList splits a list field ("移动互联网,金融", "电商/零售") into cleaned
// items.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(",，/、;；|", r) }) {
		if c := Clean(p); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// ExperienceOverlap returns how well two experience ranges agree, in [0, 1]:
// the length of their intersection over the length of the shorter (so a
// seeker's point inside a posting's range gives 1). Unknown ranges (the
// zero Range) give 0. Open ranges ({Min: 10}) extend to infinity.
func ExperienceOverlap(a, b market.Range) float64 {
	if a == (market.Range{}) || b == (market.Range{}) {
		return 0
	}
	return intervalOverlap(a.Min, a.Max, a.Bounded(), b.Min, b.Max, b.Bounded())
}

// SalaryOverlap returns how well two monthly salary ranges agree, in
// [0, 1], as ExperienceOverlap does. Negotiable or unknown salaries give 0.
func SalaryOverlap(a, b market.Salary) float64 {
	if !a.Known() || !b.Known() {
		return 0
	}
	return intervalOverlap(a.Min, a.Max, a.Max > 0, b.Min, b.Max, b.Max > 0)
}

func intervalOverlap(alo, ahi float64, ab bool, blo, bhi float64, bb bool) float64 {
	if !ab {
		ahi = math.Inf(1)
	}
	if !bb {
		bhi = math.Inf(1)
	}
	ahi, bhi = max(ahi, alo), max(bhi, blo)
	lo, hi := max(alo, blo), min(ahi, bhi)
	if hi < lo {
		return 0
	}
	shorter := min(ahi-alo, bhi-blo)
	if shorter == 0 || math.IsInf(shorter, 1) {
		return 1
	}
	return math.Min(1, (hi-lo)/shorter)
}
