package match

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/twowayrec/twoway/market"
)

// ReasonKind says what a [Reason] is about.
type ReasonKind uint8

// The kinds of reasons. The first six are the pair features of a Catalog;
// ReasonContent is one feature of the candidate's content vector.
const (
	ReasonSharedSkills ReasonKind = iota + 1 // skills both have
	ReasonSharedTags                         // tags both have, expanded tags included
	ReasonCity                               // same city
	ReasonSalary                             // offered pay against expected pay
	ReasonExperience                         // years of experience against the required range
	ReasonEducation                          // education against the required minimum
	ReasonContent                            // a feature of the candidate's content (a term, a field)
)

var reasonNames = [...]string{"", "shared-skills", "shared-tags", "city", "salary", "experience", "education", "content"}

// String returns the kind's name ("shared-skills"), or "ReasonKind(n)".
func (k ReasonKind) String() string {
	if k >= ReasonSharedSkills && k <= ReasonContent {
		return reasonNames[k]
	}
	return "ReasonKind(" + strconv.Itoa(int(k)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (k ReasonKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Reason is one feature's contribution to a one-way match, as data.
type Reason struct {
	Kind ReasonKind `json:"kind"`
	// Contribution is weight × value in the requester's model, in
	// log-odds: positive raised the match, negative lowered it.
	Contribution float64 `json:"contribution"`
	// Value is the feature's value: a fit or cosine in [0, 1] for the pair
	// features, the content weight for ReasonContent.
	Value float64 `json:"value"`
	// Terms are the shared skills or tags (sorted), or for ReasonContent
	// the feature's name.
	Terms []string `json:"terms,omitempty"`
	// Expanded lists the Terms that are shared only thanks to
	// association-rule tag expansion.
	Expanded []string `json:"expanded,omitempty"`
	// Text says it in words for the requester ("3 shared skills: go,
	// mysql, redis").
	Text string `json:"text"`
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
	// Reasons are the features that raised the match, largest
	// contribution first; Concerns those that lowered it, most negative
	// first. Ties are broken by kind, then terms.
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
}

// Explain explains the two-way match of requester a and candidate b under
// agg, with urgencies ua and ub (NaN: unknown), keeping the top reasons and
// the top concerns of each direction (top <= 0 keeps all). Words come from the Catalog when m's Featurizer is
// one; other Featurizers give ReasonContent reasons named "feature j".
func (m *Interest) Explain(agg NamedAggregator, a, b uint32, ua, ub float64, top int) Explanation {
	f := m.direction(a, b, top)
	bk := m.direction(b, a, top)
	p := Pair{Forward: f.Match, Backward: bk.Match, RequesterUrgency: ua, CandidateUrgency: ub}
	return Explanation{Forward: f, Backward: bk, Pair: p, Aggregator: agg.Name, TwoWay: agg.Aggregate(p)}
}

func (m *Interest) direction(a, b uint32, top int) Direction {
	d := Direction{Requester: a, Candidate: b, Side: m.feat.Side(a), Match: m.OneWay(a, b)}
	d.Personal, _ = m.HasCorrection(a)
	x, w, base, ok := m.contributions(a, b)
	if !ok {
		return d
	}
	d.Base = base
	cat, _ := m.feat.(*Catalog)
	var ca, cb Content
	if cat != nil {
		ca, _ = cat.Content(a)
		cb, _ = cat.Content(b)
	}
	for k, j := range x.Idx {
		r := Reason{Contribution: w[k] * x.Val[k], Value: x.Val[k]}
		if r.Contribution == 0 {
			continue
		}
		if cat != nil && j < NumPairFeatures {
			describePair(&r, int(j), d.Side, &ca, &cb)
		} else {
			r.Kind = ReasonContent
			name := "feature " + strconv.Itoa(int(j))
			if cat != nil {
				cj := j - NumPairFeatures
				name = "feature " + strconv.Itoa(int(cj))
				if cat.cfg.FeatureName != nil {
					name = cat.cfg.FeatureName(cb.Side, cj)
				}
			}
			r.Terms = []string{name}
			r.Text = name
		}
		if r.Contribution > 0 {
			d.Reasons = append(d.Reasons, r)
		} else {
			d.Concerns = append(d.Concerns, r)
		}
	}
	byStrength := func(p, q Reason) int {
		if c := cmp.Compare(math.Abs(q.Contribution), math.Abs(p.Contribution)); c != 0 {
			return c
		}
		if c := cmp.Compare(p.Kind, q.Kind); c != 0 {
			return c
		}
		return cmp.Compare(strings.Join(p.Terms, ","), strings.Join(q.Terms, ","))
	}
	slices.SortFunc(d.Reasons, byStrength)
	slices.SortFunc(d.Concerns, byStrength)
	if top > 0 {
		d.Reasons = d.Reasons[:min(top, len(d.Reasons))]
		d.Concerns = d.Concerns[:min(top, len(d.Concerns))]
	}
	return d
}

// describePair fills the kind, terms and words of pair feature j for a
// requester on side s (content a) looking at candidate content b.
func describePair(r *Reason, j int, s market.Side, a, b *Content) {
	seeker, job := a, b
	if s == market.Recruiter {
		seeker, job = b, a
	}
	you := s == market.Seeker // the requester is the seeker
	switch j {
	case FeatureSharedSkills:
		r.Kind = ReasonSharedSkills
		r.Terms = sharedTerms(a.Skills, b.Skills)
		r.Text = fmt.Sprintf("%d shared skills: %s", len(r.Terms), strings.Join(r.Terms, ", "))
	case FeatureSharedTags:
		r.Kind = ReasonSharedTags
		// shared terms beyond the shared skills (those have their own reason)
		all := sharedTerms(slices.Concat(a.Tags, a.Skills, a.Expanded), slices.Concat(b.Tags, b.Skills, b.Expanded))
		skills := sharedTerms(a.Skills, b.Skills)
		for _, t := range all {
			if !slices.Contains(skills, t) {
				r.Terms = append(r.Terms, t)
			}
		}
		for _, t := range r.Terms {
			if slices.Contains(a.Expanded, t) || slices.Contains(b.Expanded, t) {
				r.Expanded = append(r.Expanded, t)
			}
		}
		r.Text = fmt.Sprintf("shared tags: %s", strings.Join(r.Terms, ", "))
		if len(r.Expanded) > 0 {
			r.Text += fmt.Sprintf(" (%s by tag expansion)", strings.Join(r.Expanded, ", "))
		}
	case FeatureSameCity:
		r.Kind = ReasonCity
		r.Terms = []string{strings.TrimSpace(a.City)}
		r.Text = "both in " + r.Terms[0]
	case FeatureSalaryFit:
		r.Kind = ReasonSalary
		switch {
		case !seeker.Salary.Known() || !job.Salary.Known():
			r.Text = "salary not stated on both sides"
		case you:
			r.Text = fmt.Sprintf("pays %s a month; you expect %s (fit %.0f%%)", money(job.Salary), money(seeker.Salary), 100*r.Value)
		default:
			r.Text = fmt.Sprintf("expects %s a month; you pay %s (fit %.0f%%)", money(seeker.Salary), money(job.Salary), 100*r.Value)
		}
	case FeatureExperienceFit:
		r.Kind = ReasonExperience
		req := years(job.Experience)
		if you {
			r.Text = fmt.Sprintf("asks %s of experience; you have %g (fit %.0f%%)", req, seeker.Experience.Min, 100*r.Value)
		} else {
			r.Text = fmt.Sprintf("has %g years of experience; you ask %s (fit %.0f%%)", seeker.Experience.Min, req, 100*r.Value)
		}
	case FeatureEducationFit:
		r.Kind = ReasonEducation
		if you {
			r.Text = fmt.Sprintf("asks %s or above; you have %s (fit %.0f%%)", job.Education, seeker.Education, 100*r.Value)
		} else {
			r.Text = fmt.Sprintf("has %s; you ask %s or above (fit %.0f%%)", seeker.Education, job.Education, 100*r.Value)
		}
	}
}

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

func money(s market.Salary) string {
	k := func(x float64) string { return strconv.FormatFloat(x/1000, 'f', -1, 64) + "k" }
	if s.Max > s.Min {
		return k(s.Min) + "–" + k(s.Max)
	}
	return k(max(s.Min, s.Max))
}

func years(r market.Range) string {
	switch {
	case r.Min == 0 && !r.Bounded():
		return "any years"
	case !r.Bounded():
		return strconv.FormatFloat(r.Min, 'f', -1, 64) + "+ years"
	case r.Min == r.Max:
		return strconv.FormatFloat(r.Min, 'f', -1, 64) + " years"
	}
	return strconv.FormatFloat(r.Min, 'f', -1, 64) + "–" + strconv.FormatFloat(r.Max, 'f', -1, 64) + " years"
}
