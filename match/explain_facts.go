package match

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/text"
)

// This file turns the features of one direction into facts. To add a
// reason kind for a new feature: add the constant (explain.go), its entry
// in kinds with the words of both languages (explain_words.go), and map the
// feature to a fact in facts.add below (a structured fact through
// facts.structured, or a term fact through facts.term).

// termFact is everything said about one term (a skill, tag or word) in one
// direction.
type termFact struct {
	term         string
	contribution float64
	value        float64 // sum of the content values merged in
	sharedSkill  bool    // in both skill sets
	sharedTag    bool    // in both term sets beyond the shared skills
	expanded     bool    // shared only thanks to tag expansion
	skill, tag   bool    // the candidate has a skill / tag feature for it
	title, text  bool    // the candidate has a title / text feature for it
}

// structFact is a fact of one of the structured kinds (city, pay,
// experience, education), or a member of a group (an industry, an
// attribute, an unnamed feature) named by key.
type structFact struct {
	kind         ReasonKind
	key          string // the term for grouped kinds
	contribution float64
	value        float64
}

// facts collects the facts of requester a's view of candidate b.
type facts struct {
	cat      *Catalog // nil: not a Catalog, every feature is ReasonContent
	enc      *text.Encoder
	generic  func(string) bool
	side     market.Side // the requester's
	ca, cb   Content     // the requester's and the candidate's content
	pair     [NumPairFeatures]float64
	terms    map[string]*termFact
	structs  map[ReasonKind]*structFact // city, salary, experience, education
	grouped  []*structFact              // industry, attribute and content facts by key
	district string
	answer   bool // the requester would be answering a contact (a backward direction)
}

func newFacts(feat Featurizer, a, b uint32, side market.Side, opt *ExplainOptions) *facts {
	fs := &facts{side: side, terms: map[string]*termFact{}, structs: map[ReasonKind]*structFact{}, generic: opt.Generic}
	if fs.generic == nil {
		fs.generic = GenericTerm
	}
	if cat, ok := feat.(*Catalog); ok {
		fs.cat, fs.enc = cat, opt.Encoder
		fs.ca, _ = cat.Content(a)
		fs.cb, _ = cat.Content(b)
	}
	return fs
}

// add merges feature j (value x, contribution c = weight × x) into its fact.
func (fs *facts) add(j uint32, x, c float64) {
	if fs.cat == nil {
		fs.group(ReasonContent, "feature "+strconv.Itoa(int(j)), x, c)
		return
	}
	if j < NumPairFeatures {
		fs.pair[j] = x
		switch j {
		case FeatureSharedSkills:
			fs.shared(sharedTerms(fs.ca.Skills, fs.cb.Skills), nil, c, true)
		case FeatureSharedTags:
			all := sharedTerms(slices.Concat(fs.ca.Tags, fs.ca.Skills, fs.ca.Expanded), slices.Concat(fs.cb.Tags, fs.cb.Skills, fs.cb.Expanded))
			skills := sharedTerms(fs.ca.Skills, fs.cb.Skills)
			var beyond []string
			for _, t := range all {
				if _, isSkill := slices.BinarySearch(skills, t); !isSkill {
					beyond = append(beyond, t)
				}
			}
			fs.shared(beyond, slices.Concat(fs.ca.Expanded, fs.cb.Expanded), c, false)
		case FeatureSameCity:
			fs.structured(ReasonCity, c)
		case FeatureSalaryFit:
			fs.structured(ReasonSalary, c)
		case FeatureExperienceFit:
			fs.structured(ReasonExperience, c)
		case FeatureEducationFit:
			fs.structured(ReasonEducation, c)
		case FeatureContentSim, FeatureTextSim, FeatureTitleSim:
			fs.structured(ReasonSimilar, c)
		case FeatureAnswering + EvidenceAnswering:
			if fs.answer {
				fs.structured(ReasonResponsive, c) // the context of every answer
			} else {
				fs.structured(ReasonContactedYou, c)
			}
		case FeatureAnswering + EvidenceRespond:
			fs.structured(ReasonResponsive, c)
		case FeatureAnswering + EvidenceGenerous:
			fs.structured(ReasonGenerosity, c)
		case FeatureAnswering + EvidenceAttract, FeatureAnswering + EvidenceExposure:
			fs.structured(ReasonPopular, c)
		case FeatureAnswering + EvidenceItemCF:
			fs.structured(ReasonLikeYourChoices, c)
		case FeatureAnswering + EvidenceUserCF:
			fs.structured(ReasonPeersChose, c)
		case FeatureAnswering + EvidenceFactorForward:
			fs.structured(ReasonTaste, c)
		case FeatureAnswering + EvidenceFactorBackward:
			fs.structured(ReasonTheirTaste, c)
		case FeatureAnswering + EvidenceEmbedding:
			fs.structured(ReasonEmbedding, c)
		case FeatureAnswering + EvidenceTaste:
			fs.structured(ReasonPeersAgree, c)
		default: // a pair feature without words yet
			fs.group(ReasonContent, "pair feature "+strconv.Itoa(int(j)), x, c)
		}
		return
	}
	cj := j - NumPairFeatures
	if fs.enc == nil || int(cj) >= fs.enc.Len() {
		name := "feature " + strconv.Itoa(int(cj))
		if fs.cat.cfg.FeatureName != nil {
			name = fs.cat.cfg.FeatureName(fs.cb.Side, cj)
		}
		fs.group(ReasonContent, name, x, c)
		return
	}
	f := fs.enc.Feature(cj)
	switch f.Kind {
	case text.KindText:
		if _, ok := text.Bigram(f.Value); ok {
			// Shared characters, not a word: part of how alike the texts are.
			fs.structured(ReasonSimilar, c)
			return
		}
		fs.term(f.Value, x, c).text = true
	case text.KindTitle:
		fs.term(f.Value, x, c).title = true
	case text.KindSkill:
		fs.term(f.Value, x, c).skill = true
	case text.KindTag:
		fs.term(f.Value, x, c).tag = true
	case text.KindCity:
		fs.structured(ReasonCity, c)
	case text.KindDistrict:
		fs.structured(ReasonCity, c)
		fs.district = f.Value
	case text.KindSalary:
		fs.structured(ReasonSalary, c)
	case text.KindExperience:
		fs.structured(ReasonExperience, c)
	case text.KindEducation:
		fs.structured(ReasonEducation, c)
	case text.KindIndustry:
		fs.group(ReasonIndustry, f.Value, x, c)
	case text.KindAttribute:
		fs.group(ReasonAttribute, f.Value, x, c)
	default:
		fs.group(ReasonContent, f.String(), x, c)
	}
}

// shared splits contribution c of a shared-terms pair feature evenly over
// terms (the feature counts them, so each adds the same), marking the
// terms of expanded as shared by expansion.
func (fs *facts) shared(terms, expanded []string, c float64, skills bool) {
	if len(terms) == 0 { // cannot happen for a Catalog's own features
		kind := ReasonSharedTags
		if skills {
			kind = ReasonSharedSkills
		}
		fs.group(kind, "", 0, c)
		return
	}
	each := c / float64(len(terms))
	for _, t := range terms {
		tf := fs.term(t, 0, each)
		if skills {
			tf.sharedSkill = true
		} else {
			tf.sharedTag = true
			tf.expanded = slices.Contains(expanded, t)
		}
	}
}

func (fs *facts) term(t string, x, c float64) *termFact {
	tf := fs.terms[t]
	if tf == nil {
		tf = &termFact{term: t}
		fs.terms[t] = tf
	}
	tf.contribution += c
	tf.value += x
	return tf
}

func (fs *facts) structured(k ReasonKind, c float64) {
	sf := fs.structs[k]
	if sf == nil {
		sf = &structFact{kind: k}
		fs.structs[k] = sf
	}
	sf.contribution += c
}

func (fs *facts) group(k ReasonKind, key string, x, c float64) {
	for _, g := range fs.grouped {
		if g.kind == k && g.key == key {
			g.contribution += c
			g.value += x
			return
		}
	}
	fs.grouped = append(fs.grouped, &structFact{kind: k, key: key, contribution: c, value: x})
}

// words reports whether k lists words, strongest first, rather than a set.
func words(k ReasonKind) bool {
	return k == ReasonSharedWords || k == ReasonTitle || k == ReasonText
}

// kindOf decides which kind of reason a term fact belongs to: a shared
// skill, a shared tag, the candidate's skill or tag, a shared generic
// word, a title word, a word of the description, in that order of
// precedence; generic title words are never skills or tags.
func (fs *facts) kindOf(tf *termFact) ReasonKind {
	specific := !fs.generic(tf.term)
	switch {
	case specific && tf.sharedSkill:
		return ReasonSharedSkills
	case specific && tf.sharedTag:
		return ReasonSharedTags
	case specific && tf.skill:
		return ReasonSkills
	case specific && tf.tag:
		return ReasonTags
	case tf.sharedSkill || tf.sharedTag:
		return ReasonSharedWords
	case tf.title:
		return ReasonTitle
	}
	return ReasonText
}

// reasons returns one reason per structured fact and per kind and sign of
// the term facts, unsorted, with no words yet.
func (fs *facts) reasons() []Reason {
	var out []Reason
	// Term facts: grouped by kind and by the sign of the net
	// contribution, strongest first within a group.
	type groupKey struct {
		kind     ReasonKind
		positive bool
	}
	groups := map[groupKey][]*termFact{}
	for _, tf := range fs.terms {
		if tf.contribution == 0 {
			continue
		}
		k := groupKey{fs.kindOf(tf), tf.contribution > 0}
		groups[k] = append(groups[k], tf)
	}
	for k, tfs := range groups {
		if words(k.kind) {
			slices.SortFunc(tfs, func(p, q *termFact) int {
				return cmp.Or(cmp.Compare(math.Abs(q.contribution), math.Abs(p.contribution)), strings.Compare(p.term, q.term))
			})
		} else {
			slices.SortFunc(tfs, func(p, q *termFact) int { return strings.Compare(p.term, q.term) })
		}
		r := Reason{Kind: k.kind}
		for _, tf := range tfs {
			r.Contribution += tf.contribution
			r.Value += tf.value
			r.Terms = append(r.Terms, tf.term)
			if tf.expanded {
				r.Expanded = append(r.Expanded, tf.term)
			}
		}
		switch k.kind {
		case ReasonSharedSkills:
			r.Value = fs.pair[FeatureSharedSkills]
		case ReasonSharedTags:
			r.Value = fs.pair[FeatureSharedTags]
		}
		out = append(out, r)
	}
	for k, sf := range fs.structs {
		if sf.contribution == 0 {
			continue
		}
		out = append(out, fs.structReason(k, sf))
	}
	// Grouped facts (industries, attributes, unnamed features): one
	// reason per kind and sign, except unnamed features, one each.
	byKind := map[groupKey]*Reason{}
	for _, g := range fs.grouped {
		if g.contribution == 0 {
			continue
		}
		if g.kind == ReasonContent || g.key == "" {
			r := Reason{Kind: g.kind, Contribution: g.contribution, Value: g.value}
			if g.key != "" {
				r.Terms = []string{g.key}
			}
			out = append(out, r)
			continue
		}
		k := groupKey{g.kind, g.contribution > 0}
		r := byKind[k]
		if r == nil {
			r = &Reason{Kind: g.kind}
			byKind[k] = r
		}
		r.Contribution += g.contribution
		r.Value += g.value
		r.Terms = append(r.Terms, g.key)
	}
	for _, r := range byKind {
		out = append(out, *r)
	}
	return out
}

// structReason builds the reason of a structured fact with its Values.
func (fs *facts) structReason(k ReasonKind, sf *structFact) Reason {
	r := Reason{Kind: k, Contribution: sf.contribution}
	seeker, job := &fs.ca, &fs.cb
	if fs.side == market.Recruiter {
		seeker, job = job, seeker
	}
	switch k {
	case ReasonCity:
		r.Value = fs.pair[FeatureSameCity]
		r.Values.RequesterCity = strings.TrimSpace(fs.ca.City)
		r.Values.CandidateCity = strings.TrimSpace(fs.cb.City)
		r.Values.District = fs.district
		if r.Values.CandidateCity != "" {
			r.Terms = []string{r.Values.CandidateCity}
		}
	case ReasonSalary:
		r.Value = fs.pair[FeatureSalaryFit]
		r.Values.Expected, r.Values.Offered = seeker.Salary, job.Salary
	case ReasonExperience:
		r.Value = fs.pair[FeatureExperienceFit]
		r.Values.Years, r.Values.Required = seeker.Experience.Min, job.Experience
	case ReasonEducation:
		r.Value = fs.pair[FeatureEducationFit]
		r.Values.Education, r.Values.MinEducation = seeker.Education, job.Education
	case ReasonSimilar:
		r.Value = fs.pair[FeatureContentSim]
	case ReasonPopular:
		r.Value = sigmoid(fs.pair[FeatureAnswering+EvidenceAttract])
	case ReasonResponsive:
		r.Value = sigmoid(fs.pair[FeatureAnswering+EvidenceRespond])
	case ReasonContactedYou:
		r.Value = 1
	case ReasonGenerosity:
		r.Value = sigmoid(fs.pair[FeatureAnswering+EvidenceGenerous])
	case ReasonLikeYourChoices:
		r.Value = math.Expm1(fs.pair[FeatureAnswering+EvidenceItemCF])
	case ReasonPeersChose:
		r.Value = math.Expm1(fs.pair[FeatureAnswering+EvidenceUserCF])
	case ReasonTaste:
		r.Value = sigmoid(fs.pair[FeatureAnswering+EvidenceFactorForward])
	case ReasonTheirTaste:
		r.Value = sigmoid(fs.pair[FeatureAnswering+EvidenceFactorBackward])
	case ReasonEmbedding:
		r.Value = fs.pair[FeatureAnswering+EvidenceEmbedding]
	case ReasonPeersAgree:
		r.Value = fs.pair[FeatureAnswering+EvidenceTaste]
	}
	return r
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }
