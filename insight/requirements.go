package insight

import (
	"math"
	"slices"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/text"
)

// RequirementsQuery asks what postings for a title ask for.
type RequirementsQuery struct {
	Title string `json:"title"`
	// City narrows the answer to one city; "" means the whole market.
	City string `json:"city,omitempty"`
	// Level narrows the answer to postings in the same experience band as
	// this range (不限/应届, 1–3, 3–5, 5–10, 10+ years). The zero Range means
	// every level.
	Level market.Range `json:"level"`
}

// Requirements is what comparable postings ask for, for a recruiter writing
// a job description. Every list is ranked by count, ties by name.
type Requirements struct {
	Scope Scope `json:"scope"`
	// LevelWidened reports that fewer than Config.MinGroup comparable
	// postings were at the level asked for, so every level is counted.
	LevelWidened bool `json:"level_widened,omitempty"`
	// WithSkills and WithTags are the postings that list any skill or tag:
	// a posting without the field says nothing about skills (several
	// crawls have no skill column), so skill and tag shares are of these.
	WithSkills int `json:"with_skills"`
	WithTags   int `json:"with_tags"`
	// Skills and Tags list those asked for by at least Config.MinShare of
	// the postings listing skills (tags) and by at least two postings, at
	// most Config.MaxItems each.
	Skills []Frequency `json:"skills"`
	Tags   []Frequency `json:"tags"`
	// Experience and Education list every required experience range ("3-5年")
	// and minimum education ("本科") with their frequencies.
	Experience []Frequency `json:"experience"`
	Education  []Frequency `json:"education"`
	// Pay is the quartiles of the postings' 12-month-equivalent monthly
	// midpoints (Count: postings with a stated salary).
	Pay SalaryGroup `json:"pay"`
	// Rules are association rules among the skills and tags of these
	// postings ("Hadoop + Spark ⇒ Hive"), mined by [text.MineRules]: what a
	// posting asking for the antecedent usually asks for as well. Items are
	// shown in their most frequent spelling.
	Rules []text.Rule `json:"rules,omitempty"`
}

// Requirements answers the job-description assistant's question: for a
// title (and optionally a city and level), the skills, tags, experience and
// education comparable postings ask for, how often, what they pay, and the
// association rules among their skills and tags. Comparable postings are
// those with the same [TitleKey], widened as [Scope] describes when there
// are fewer than Config.MinGroup.
//
// Errors: ErrNoPostings for an empty market, ErrEmptyQuery for a title with
// no letters or digits, *UnknownTitleError (wrapping ErrUnknownTitle, with
// the closest known titles) when no posting is comparable.
func (m *Market) Requirements(q RequirementsQuery) (Requirements, error) {
	ids, sc, err := m.comparable(q.Title, q.City)
	if err != nil {
		return Requirements{Scope: sc}, err
	}
	var out Requirements
	if q.Level != (market.Range{}) {
		band := expBand(q.Level)
		at := slices.DeleteFunc(slices.Clone(ids), func(i int32) bool { return m.postings[i].exp != band })
		if len(at) >= m.cfg.MinGroup {
			ids = at
		} else {
			out.LevelWidened = true
		}
	}
	sc.Postings = len(ids)
	out.Scope = sc
	skills, tags, exp, edu := map[string]int{}, map[string]int{}, map[string]int{}, map[string]int{}
	var pays []float64
	for _, i := range ids {
		p := &m.postings[i]
		if len(p.skills) > 0 {
			out.WithSkills++
		}
		if len(p.tags) > 0 {
			out.WithTags++
		}
		for _, s := range p.skills {
			skills[s]++
		}
		for _, t := range p.tags {
			tags[t]++
		}
		exp[experienceLabel(p.p.Experience)]++
		edu[educationLabel(p.p.Education)]++
		if !math.IsNaN(p.pay) {
			pays = append(pays, p.pay)
		}
	}
	n := len(ids)
	out.Skills = frequencies(skills, out.WithSkills, m.cfg.MaxItems, 2, m.cfg.MinShare, m.skillNames.name)
	out.Tags = frequencies(tags, out.WithTags, m.cfg.MaxItems, 2, m.cfg.MinShare, m.tagNames.name)
	same := func(s string) string { return s }
	out.Experience = frequencies(exp, n, math.MaxInt, 0, 0, same)
	out.Education = frequencies(edu, n, math.MaxInt, 0, 0, same)
	slices.Sort(pays)
	out.Pay = SalaryGroup{Scope: scopeName(sc), Count: len(pays),
		P25: finite(quantile(pays, 0.25, -1)), P50: finite(quantile(pays, 0.5, -1)), P75: finite(quantile(pays, 0.75, -1)), Weight: 1}
	if out.Rules, err = m.rules(ids); err != nil {
		return out, err
	}
	return out, nil
}

// scopeName names a scope's postings as SalaryGroup.Scope does.
func scopeName(sc Scope) string {
	if sc.City != "" && !sc.CityWidened {
		return "title+city"
	}
	return "title"
}
