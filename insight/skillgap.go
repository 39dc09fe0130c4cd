package insight

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/twowayrec/twoway/market"
)

// Matcher scores how well a seeker fits a posting from the seeker's side
// (a one-way match; higher is better). The Engine passes its fitted
// interest model; tests pass a [MatcherFunc]. Match must be safe for
// concurrent use, must not modify its arguments and must return a finite
// number: [Market.SkillGap] returns an error wrapping [ErrMatcher] for a
// NaN or infinite one (or two whose difference overflows).
type Matcher interface {
	Match(seeker, posting *market.Profile) float64
}

// MatcherFunc adapts a function to [Matcher].
type MatcherFunc func(seeker, posting *market.Profile) float64

// Match returns f(seeker, posting).
func (f MatcherFunc) Match(seeker, posting *market.Profile) float64 { return f(seeker, posting) }

// GapQuery asks which skills a seeker lacks for a target: one posting (Job)
// or a title in a city (Title, City).
type GapQuery struct {
	Seeker *market.Profile `json:"seeker"`
	// Job is the target posting; when nil, Title (and City, "" for
	// anywhere) name the target.
	Job   *market.Profile `json:"job,omitempty"`
	Title string          `json:"title,omitempty"`
	City  string          `json:"city,omitempty"`
	// Matcher scores the one-way match; nil means requirement coverage:
	// the share-weighted fraction of the target's skills the seeker has.
	Matcher Matcher `json:"-"`
}

// SkillNeed is one skill of a target, with how much it matters.
type SkillNeed struct {
	Skill string `json:"skill"`
	// Share is the share of comparable postings asking for the skill,
	// among those that list skills.
	Share float64 `json:"share"`
	// Premium is the relative pay premium of comparable postings asking for
	// the skill over those listing skills but not this one (P50 with / P50 without − 1);
	// 0 unless both sides have at least 5 postings stating a salary.
	Premium float64 `json:"premium"`
	// Gain is how much the seeker's one-way match rises with the skill
	// added (0 for a skill the seeker has).
	Gain float64 `json:"gain"`
	// Importance ranks the skills:
	//
	//	Importance = Share·(1 + max(Premium, 0)) + Gain/G
	//
	// where G is the largest Gain among the target's skills (the last
	// term is 0 when G ≤ 0).
	Importance float64 `json:"importance"`
}

// SkillGap is the answer to a [GapQuery].
type SkillGap struct {
	// Scope is the comparable postings; shares and premiums come from
	// WithSkills of them, those that list skills. Postings is 0 for a Job
	// whose title no posting shares.
	Scope      Scope `json:"scope"`
	WithSkills int   `json:"with_skills"`
	// Missing are the target's skills the seeker lacks, most important
	// first; Have those the seeker has, most important first.
	Missing []SkillNeed `json:"missing"`
	Have    []SkillNeed `json:"have"`
	// Match is the seeker's one-way match for the target as it stands.
	Match float64 `json:"match"`
}

// minPremiumGroup is the least number of priced postings on each side of a
// pay-premium comparison.
const minPremiumGroup = 5

// SkillGap answers a [GapQuery]: the skills the target asks for that the
// seeker lacks, ranked by how often comparable postings ask for them, how
// much more those postings pay, and how much each raises the one-way match;
// and the seeker's skills that count. The target's skills are the Job's
// skills, or for a title the skills at least Config.MinShare of comparable
// postings ask for (at most Config.MaxItems).
//
// Errors: ErrEmptyQuery without a seeker or target; for a title target the
// errors of [Market.Requirements] (ErrNoPostings, *UnknownTitleError);
// ErrMatcher, naming the seeker, the posting and the field (Match, or the
// Gain of a skill), when the Matcher returns NaN or ±Inf (as it may for a
// profile holding NaN) or a Gain overflows; no partial answer is returned.
func (m *Market) SkillGap(q GapQuery) (SkillGap, error) {
	var out SkillGap
	if q.Seeker == nil {
		return out, fmt.Errorf("%w: no seeker", ErrEmptyQuery)
	}
	title, city := q.Title, q.City
	if q.Job != nil {
		title, city = q.Job.Title, q.Job.City
	}
	if q.Job == nil && title == "" {
		return out, fmt.Errorf("%w: no job and no title", ErrEmptyQuery)
	}
	ids, sc, err := m.comparable(title, city)
	if err != nil {
		// A posting whose title nobody shares still has its own skills.
		if q.Job == nil || !(errors.Is(err, ErrUnknownTitle) || errors.Is(err, ErrNoPostings)) {
			return SkillGap{Scope: sc}, err
		}
		ids, sc.Postings = nil, 0
	}
	out.Scope = sc

	// Only postings that list skills say anything about skills.
	ids = slices.DeleteFunc(slices.Clone(ids), func(i int32) bool { return len(m.postings[i].skills) == 0 })
	out.WithSkills = len(ids)
	counts := map[string]int{}
	for _, i := range ids {
		for _, s := range m.postings[i].skills {
			counts[s]++
		}
	}
	share := func(k string) float64 {
		if len(ids) == 0 {
			return 0
		}
		return float64(counts[k]) / float64(len(ids))
	}
	// The target's skills, as keys.
	var target []string
	if q.Job != nil {
		var names nameCounter
		target = names.keys(q.Job.Skills, m.skillKey)
	} else {
		for _, f := range topCounts(counts) {
			if share(f.key) < m.cfg.MinShare || len(target) == m.cfg.MaxItems {
				break
			}
			target = append(target, f.key)
		}
	}
	var names nameCounter
	have := map[string]bool{}
	for _, k := range names.keys(q.Seeker.Skills, m.skillKey) {
		have[k] = true
	}
	name := func(k string) string {
		if q.Job != nil {
			for _, s := range q.Job.Skills {
				if m.skillKey(s) == k {
					return s
				}
			}
		}
		return m.skillNames.name(k)
	}

	// One-way match: the Matcher, or share-weighted coverage.
	weight := func(k string) float64 { return max(share(k), m.cfg.MinShare) }
	total := 0.0
	for _, k := range target {
		total += weight(k)
	}
	targetProfile := m.targetProfile(q, title, city, target, name)
	match := func(extra string) (float64, error) {
		if q.Matcher != nil {
			s := *q.Seeker
			if extra != "" {
				s.Skills = append(slices.Clone(s.Skills), name(extra))
			}
			x := q.Matcher.Match(&s, targetProfile)
			if math.IsNaN(x) || math.IsInf(x, 0) {
				field := "Match"
				if extra != "" {
					field = fmt.Sprintf("Gain of skill %q (the match with it added)", name(extra))
				}
				return 0, fmt.Errorf("%w: seeker %q, posting %q: %s = %v", ErrMatcher, q.Seeker.ID, targetProfile.ID, field, x)
			}
			return x, nil
		}
		got := 0.0
		for _, k := range target {
			if have[k] || k == extra {
				got += weight(k)
			}
		}
		if total == 0 {
			return 0, nil
		}
		return got / total, nil
	}
	if out.Match, err = match(""); err != nil {
		return SkillGap{}, err
	}

	needs := make([]SkillNeed, 0, len(target))
	g := 0.0
	for _, k := range target {
		n := SkillNeed{Skill: name(k), Share: share(k), Premium: m.premium(ids, k)}
		if !have[k] {
			with, err := match(k)
			if err != nil {
				return SkillGap{}, err
			}
			if n.Gain = with - out.Match; math.IsInf(n.Gain, 0) {
				return SkillGap{}, fmt.Errorf("%w: seeker %q, posting %q: Gain of skill %q = %v − %v overflows", ErrMatcher, q.Seeker.ID, targetProfile.ID, n.Skill, with, out.Match)
			}
		}
		g = max(g, n.Gain)
		needs = append(needs, n)
	}
	for i := range needs {
		needs[i].Importance = needs[i].Share * (1 + max(needs[i].Premium, 0))
		if g > 0 {
			needs[i].Importance += needs[i].Gain / g
		}
		if have[target[i]] {
			out.Have = append(out.Have, needs[i])
		} else {
			out.Missing = append(out.Missing, needs[i])
		}
	}
	byImportance := func(a, b SkillNeed) int {
		if c := cmp.Compare(b.Importance, a.Importance); c != 0 {
			return c
		}
		return cmp.Compare(a.Skill, b.Skill)
	}
	slices.SortFunc(out.Missing, byImportance)
	slices.SortFunc(out.Have, byImportance)
	return out, nil
}

// targetProfile is the posting a Matcher scores against: the Job itself, or
// a typical posting for the title (its city and most asked-for skills).
func (m *Market) targetProfile(q GapQuery, title, city string, target []string, name func(string) string) *market.Profile {
	if q.Job != nil {
		return q.Job
	}
	p := &market.Profile{ID: "insight:" + title + "@" + city, Side: market.Recruiter, Title: title, City: city}
	for _, k := range target {
		p.Skills = append(p.Skills, name(k))
	}
	return p
}

// premium returns P50(pay | skill) / P50(pay | no skill) − 1 over postings
// ids, or 0 when either side has fewer than minPremiumGroup priced postings.
func (m *Market) premium(ids []int32, skill string) float64 {
	var with, without []float64
	for _, i := range ids {
		p := &m.postings[i]
		if math.IsNaN(p.pay) {
			continue
		}
		if _, ok := slices.BinarySearch(p.skills, skill); ok {
			with = append(with, p.pay)
		} else {
			without = append(without, p.pay)
		}
	}
	if len(with) < minPremiumGroup || len(without) < minPremiumGroup {
		return 0
	}
	return median(with)/median(without) - 1
}
