package match

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/text"
)

// ReasonKind says what fact a [Reason] is about. The kinds are stable:
// their numbers and names (the JSON form) never change meaning, and new
// kinds are added at the end. A host that renders its own sentences
// switches on Kind and reads Terms, Labels, Expanded and Values; the
// fields each kind fills are listed with the constants.
type ReasonKind uint8

// The kinds of reasons. Each reason is one fact about the pair, with the
// contributions of every feature about that fact merged into it (see
// [Interest.Explain]). "The candidate" is the participant being explained
// to the requester ("you").
const (
	// ReasonSharedSkills: skills both have (Terms), from the shared-skills
	// pair feature and the candidate's skill features. Generic title
	// words ([GenericTerm]) are never counted as shared skills.
	ReasonSharedSkills ReasonKind = iota + 1
	// ReasonSharedTags: tags (and skills tagged on one side only) both
	// have beyond the shared skills (Terms); Expanded lists those shared
	// only thanks to association-rule tag expansion.
	ReasonSharedTags
	// ReasonCity: where both are. Terms holds the candidate's city;
	// Values the requester's and the candidate's city and the
	// candidate's district. From the same-city pair feature and the
	// candidate's city and district features.
	ReasonCity
	// ReasonSalary: the seeker's expected pay against the job's offer
	// (Values.Expected, Values.Offered), from the salary-fit pair
	// feature and the candidate's salary bands.
	ReasonSalary
	// ReasonExperience: the seeker's years against the job's required
	// range (Values.Years, Values.Required), from the experience-fit pair
	// feature and the candidate's experience bands.
	ReasonExperience
	// ReasonEducation: the seeker's education against the job's minimum
	// (Values.Education, Values.MinEducation), from the education-fit
	// pair feature and the candidate's education features.
	ReasonEducation
	// ReasonContent: a feature the explanation has no words for (a
	// Featurizer other than a Catalog, or a Catalog explained without an
	// [ExplainOptions.Encoder]); Terms holds its name as given by
	// CatalogConfig.FeatureName, or "feature j".
	ReasonContent
	// ReasonSkills: skills of the candidate the requester does not have
	// (Terms): what a job asks for, what a seeker knows.
	ReasonSkills
	// ReasonTags: tags of the candidate the requester does not have
	// (Terms).
	ReasonTags
	// ReasonSharedWords: generic title words ([GenericTerm]: 开发, 数据,
	// engineer) both have (Terms), strongest first.
	ReasonSharedWords
	// ReasonTitle: words of the candidate's job title (Terms), strongest
	// first.
	ReasonTitle
	// ReasonText: words of the candidate's description, and generic words
	// of the candidate that are not title words (Terms), strongest first.
	ReasonText
	// ReasonIndustry: the candidate's industries (Terms).
	ReasonIndustry
	// ReasonAttribute: host attributes of the candidate's profile
	// (Terms, their names).
	ReasonAttribute
	// ReasonSimilar: how alike the two profiles are as a whole, their
	// free texts and their titles (the similarity pair features); Value
	// is the content similarity (the dot product of the content vectors).
	ReasonSimilar
	// ReasonPopular: what the other side did about the candidate:
	// Value is the candidate's attractiveness, the (smoothed) share of
	// the people shown it who acted positively on it.
	ReasonPopular
	// ReasonResponsive: how the requester answers contacts (in a
	// backward direction: the candidate's answer to the requester);
	// Value is the (smoothed) share of contacts answered positively.
	ReasonResponsive
	// ReasonContactedYou: the candidate has contacted the requester
	// already, so acting on it is an answer.
	ReasonContactedYou
	// ReasonGenerosity: how often the requester acts on what they are
	// shown; Value is the (smoothed) share.
	ReasonGenerosity
	// ReasonLikeYourChoices: the candidate is like the profiles the
	// requester acted on before (item-CF affinity, Value).
	ReasonLikeYourChoices
	// ReasonPeersChose: people who act like the requester acted on the
	// candidate (user-CF affinity, Value).
	ReasonPeersChose
	// ReasonTaste: the requester's latent tastes, learned from everyone's
	// choices by the two-sided factor model, point to the candidate;
	// Value is that model's probability that the requester attends to it.
	ReasonTaste
	// ReasonTheirTaste: the candidate's latent tastes point to the
	// requester; Value is the probability that the candidate attends to
	// the requester.
	ReasonTheirTaste
	// ReasonEmbedding: the host's embeddings of the two profiles are
	// alike; Value is their cosine.
	ReasonEmbedding
	// ReasonPeersAgree: people whose yes and no agree with the
	// requester's went for the candidate more (or less) than they usually
	// do (the taste evidence, Value: match.Taste's score, in (−1, 1)).
	ReasonPeersAgree

	numReasonKinds // one past the last kind
)

// String returns the kind's name ("shared-skills"), or "ReasonKind(n)".
func (k ReasonKind) String() string {
	if k >= ReasonSharedSkills && k < numReasonKinds {
		return kinds[k].name
	}
	return "ReasonKind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (k ReasonKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler: it reads the names
// String returns, and nothing else.
func (k *ReasonKind) UnmarshalText(b []byte) error {
	for i := ReasonSharedSkills; i < numReasonKinds; i++ {
		if kinds[i].name == string(b) {
			*k = i
			return nil
		}
	}
	return fmt.Errorf("match: unknown reason kind %q", b)
}

// Reason is one fact's contribution to a one-way match, as data and in
// words.
type Reason struct {
	Kind ReasonKind `json:"kind"`
	// Contribution is the sum of weight × value, in the requester's model,
	// of every feature about this fact, in log-odds: positive raised the
	// match, negative lowered it.
	Contribution float64 `json:"contribution"`
	// Value is the pair feature's value (a fit or cosine in [0, 1]) for the
	// kinds built on one (shared skills and tags, city, salary,
	// experience, education), else the sum of the values of the content
	// features merged into the reason.
	Value float64 `json:"value"`
	// Terms are the canonical terms of the fact (skills, tags, words,
	// industries, the city), sorted, except for the kinds of words
	// (ReasonSharedWords, ReasonTitle, ReasonText), which list the
	// strongest first (ties by term) and whose Text names the first five;
	// for ReasonContent the feature's name.
	Terms []string `json:"terms,omitempty"`
	// Labels are Terms as the reader of the explanation's language sees
	// them (text.Vocabulary.Display: "machine learning" for 机器学习 in
	// English), one per term.
	Labels []string `json:"labels,omitempty"`
	// Expanded lists the Terms that are shared only thanks to
	// association-rule tag expansion.
	Expanded []string `json:"expanded,omitempty"`
	// Values are the structured facts behind the reason (cities, pay,
	// years, education), for the kinds that have them.
	Values Values `json:"values,omitzero"`
	// Text says it in words for the requester, in the explanation's
	// language ("3 shared skills: go, mysql, redis"; "共同技能：go、mysql、
	// redis").
	Text string `json:"text"`
}

// Values are the structured facts of a reason, so that a host can render
// its own sentences ([EducationLabel], [ExperienceLabel] and [SalaryLabel]
// give the field values in words). Which fields a kind fills is listed
// with the [ReasonKind] constants; the others stay zero (and are left out
// of JSON). Seeker and job are the two participants whichever of them
// asks.
type Values struct {
	RequesterCity string `json:"requester_city,omitempty"` // ReasonCity
	CandidateCity string `json:"candidate_city,omitempty"` // ReasonCity
	District      string `json:"district,omitempty"`       // ReasonCity: the candidate's
	// Expected is the seeker's expected monthly pay and Offered the job's
	// offer (ReasonSalary); the zero Salary is not stated.
	Expected market.Salary `json:"expected,omitzero"`
	Offered  market.Salary `json:"offered,omitzero"`
	// Years is the seeker's years of experience (0: none stated) and
	// Required the job's range (zero: any) (ReasonExperience).
	Years    float64      `json:"years,omitempty"`
	Required market.Range `json:"required,omitzero"`
	// Education is the seeker's (EducationAny: not stated) and
	// MinEducation the job's minimum (EducationAny: none)
	// (ReasonEducation).
	Education    market.Education `json:"education,omitempty"`
	MinEducation market.Education `json:"min_education,omitempty"`
}

// Direction explains one side's one-way match.
type Direction struct {
	Requester uint32 `json:"requester"`
	Candidate uint32 `json:"candidate"`
	// RequesterID and CandidateID are the participants' string IDs when
	// the caller knows them (the Engine fills them in; Interest.Explain,
	// which sees only indices, leaves them empty).
	RequesterID string      `json:"requester_id,omitempty"`
	CandidateID string      `json:"candidate_id,omitempty"`
	Side        market.Side `json:"side"` // the requester's side
	Match       float64     `json:"match"`
	// Personal says whether the requester's own correction was used
	// (false: the side's global preference).
	Personal bool `json:"personal"`
	// Base is the model's intercept (log-odds) for this requester: with
	// every reason and concern kept, σ(Base + Σ contributions) = Match.
	Base float64 `json:"base"`
	// Reasons are the facts that raised the match, largest contribution
	// first; Concerns those that lowered it, most negative first. Ties
	// are broken by kind, then terms. A fact is on one side only: its
	// net contribution decides which.
	Reasons  []Reason `json:"reasons"`
	Concerns []Reason `json:"concerns,omitempty"`
}

// Explanation explains a two-way match: each direction's one-way match with
// its top reasons, and the aggregate.
type Explanation struct {
	Forward    Direction `json:"forward"`  // the requester's view of the candidate
	Backward   Direction `json:"backward"` // the candidate's view of the requester
	Pair       Pair      `json:"pair"`
	Aggregator string    `json:"aggregator"`
	TwoWay     float64   `json:"two_way"`
	// Answer is the share of one more contact the candidate can answer
	// now (ExplainOptions.Answer); Pair.Backward is Backward.Match times
	// it, so TwoWay is the aggregate of what the ranking used.
	Answer float64 `json:"answer"`
	// Language is the language of every Text and Labels.
	Language text.Language `json:"language,omitempty"`
}

// ExplainOptions configure [Interest.Explain]. The zero value keeps every
// reason, in Chinese, with content features named by the Catalog.
type ExplainOptions struct {
	// Top keeps the top reasons and the top concerns of each direction;
	// zero or negative keeps all.
	Top int `json:"top,omitempty"`
	// Answer is the share of one more contact the candidate can answer
	// now (its congestion, package exposure), which multiplies the
	// backward match in the two-way match. Zero: 1.
	Answer float64 `json:"answer,omitempty"`
	// Language of the words: text.Chinese ("zh") or text.English ("en").
	// Empty means Chinese, the language of the postings the library is
	// built for; any other language gets English.
	Language text.Language `json:"language,omitempty"`
	// Encoder is the text encoder that built the Catalog's content
	// vectors: with it, content features are facts in words ("the job
	// title mentions 数据分析", "in 北京") merged with the pair features
	// about the same fact. Nil: content features are ReasonContent
	// reasons named by CatalogConfig.FeatureName.
	Encoder *text.Encoder `json:"-"`
	// Vocabulary shows terms in Language (Vocabulary.Display). Nil: the
	// Encoder's tokenizer's vocabulary, or text.DefaultVocabulary().
	Vocabulary *text.Vocabulary `json:"-"`
	// Generic reports whether a term is a generic title word that is not
	// a skill. Nil: [GenericTerm].
	Generic func(term string) bool `json:"-"`
}

// language returns the language of the words.
func (o *ExplainOptions) language() text.Language {
	switch o.Language {
	case "", text.Chinese:
		return text.Chinese
	}
	return text.English
}

func (o *ExplainOptions) vocabulary() *text.Vocabulary {
	switch {
	case o.Vocabulary != nil:
		return o.Vocabulary
	case o.Encoder != nil:
		return o.Encoder.Tokenizer().Vocabulary()
	}
	return text.DefaultVocabulary()
}

// Explain explains the two-way match of requester a and candidate b under
// agg, with urgencies ua and ub (NaN: unknown), in the words and with the
// number of reasons opt asks for.
//
// Each direction's features become facts: a skill, a tag, a word, the
// city, the pay, the years of experience, the education, an industry.
// Every feature about one fact is merged into it (the shared-skills pair
// feature's contribution is split evenly over the shared skills, then each
// skill's own content feature is added), so a fact is a reason or a
// concern by its net contribution, never both. Term facts are grouped by
// kind into one reason per kind and side. Words come from opt.Encoder when
// m's Featurizer is a Catalog; other Featurizers give ReasonContent
// reasons named "feature j".
func (m *Interest) Explain(agg NamedAggregator, a, b uint32, ua, ub float64, opt ExplainOptions) Explanation {
	f := m.direction(a, b, &opt, false)
	bk := m.direction(b, a, &opt, true) // b answering a contact from a
	g := opt.Answer
	if !(g > 0) || g > 1 {
		g = 1
	}
	p := Pair{Forward: f.Match, Backward: bk.Match * g, RequesterUrgency: ua, CandidateUrgency: ub}
	return Explanation{Forward: f, Backward: bk, Pair: p, Aggregator: agg.Name, TwoWay: agg.Aggregate(p), Answer: g, Language: opt.language()}
}

// Localize returns a copy of x with every Text and Labels in language lang
// (text.Chinese, text.English; others get English), re-rendered from the
// structured reasons alone; vocab shows the terms (nil:
// text.DefaultVocabulary()). It is how a host shows one explanation in
// several languages without explaining twice, and it shows that a reason's
// data suffices to render it.
func (x Explanation) Localize(lang text.Language, vocab *text.Vocabulary) Explanation {
	o := ExplainOptions{Language: lang, Vocabulary: vocab}
	l, v := o.language(), o.vocabulary()
	for _, d := range []*Direction{&x.Forward, &x.Backward} {
		d.Reasons, d.Concerns = slices.Clone(d.Reasons), slices.Clone(d.Concerns)
		for _, rs := range [][]Reason{d.Reasons, d.Concerns} {
			for i := range rs {
				r := &rs[i]
				if r.Kind != ReasonContent {
					r.Labels = labels(v, l, r.Terms)
				}
				r.Text = say(l, d.Side, r)
			}
		}
	}
	x.Language = l
	return x
}

func (m *Interest) direction(a, b uint32, opt *ExplainOptions, answer bool) Direction {
	d := Direction{Requester: a, Candidate: b, Side: m.feat.Side(a), Match: m.oneWay(a, b, answer)}
	d.Personal, _ = m.HasCorrection(a)
	x, w, base, ok := m.contributions(a, b, answer)
	if !ok {
		return d
	}
	d.Base = base
	fs := newFacts(m.feat, a, b, d.Side, opt)
	fs.answer = answer
	for k, j := range x.Idx {
		fs.add(j, x.Val[k], w[k]*x.Val[k])
	}
	fs.fill(&d, opt)
	return d
}

// fill puts fs's reasons into d: worded in opt's language, split into
// reasons (a positive contribution) and concerns, strongest first (ties by
// kind, then terms), at most opt.Top of each when it is set.
func (fs *facts) fill(d *Direction, opt *ExplainOptions) {
	lang, vocab := opt.language(), opt.vocabulary()
	for _, r := range fs.reasons() {
		if r.Kind != ReasonContent {
			r.Labels = labels(vocab, lang, r.Terms)
		}
		r.Text = say(lang, d.Side, &r)
		if r.Contribution > 0 {
			d.Reasons = append(d.Reasons, r)
		} else {
			d.Concerns = append(d.Concerns, r)
		}
	}
	byStrength := func(p, q Reason) int {
		return cmp.Or(cmp.Compare(math.Abs(q.Contribution), math.Abs(p.Contribution)), cmp.Compare(p.Kind, q.Kind), slices.Compare(p.Terms, q.Terms))
	}
	slices.SortFunc(d.Reasons, byStrength)
	slices.SortFunc(d.Concerns, byStrength)
	if opt.Top > 0 {
		d.Reasons = d.Reasons[:min(opt.Top, len(d.Reasons))]
		d.Concerns = d.Concerns[:min(opt.Top, len(d.Concerns))]
	}
}

// labels returns terms as a reader of lang sees them: the vocabulary's
// display form, or for a Chinese generic title word without an English name
// in the vocabulary, its name in genericNamesEN.
func labels(v *text.Vocabulary, lang text.Language, terms []string) []string {
	if len(terms) == 0 {
		return nil
	}
	out := make([]string, len(terms))
	for i, t := range terms {
		if out[i] = v.Display(t, lang); out[i] == "" {
			out[i] = t
		}
		if lang == text.English && out[i] == text.Clean(t) {
			if en, ok := genericNamesEN[out[i]]; ok {
				out[i] = en // a generic word the vocabulary has no English name for
			}
		}
	}
	return out
}

// sharedTerms returns the terms both a and b hold (trimmed, sorted,
// unique), as the Catalog counts them.
func sharedTerms(a, b []string) []string {
	var out []string
	for _, x := range a {
		x = strings.TrimSpace(x)
		if x != "" && slices.ContainsFunc(b, func(y string) bool { return strings.TrimSpace(y) == x }) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
