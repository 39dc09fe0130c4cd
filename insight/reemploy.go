package insight

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/twowayrec/twoway/market"
)

// Background is a person's working past, for [Market.Reemployment].
type Background struct {
	// Titles are the person's past job titles.
	Titles []string `json:"titles"`
	// Skills are the person's skills.
	Skills []string `json:"skills,omitempty"`
	// City narrows the answer to postings in one city; "" means anywhere.
	City string `json:"city,omitempty"`
}

// Employer is a company or an industry whose postings value a background.
type Employer struct {
	Name string `json:"name"`
	// Postings is the number of relevant postings, Relevance the sum of
	// their relevance (see [Market.Reemployment]).
	Postings  int     `json:"postings"`
	Relevance float64 `json:"relevance"`
	// Pay is the median 12-month-equivalent monthly midpoint the relevant
	// postings offer (0 when none states one).
	Pay float64 `json:"pay"`
	// Titles are up to three titles of the relevant postings, most
	// relevant first.
	Titles []string `json:"titles"`
}

// Destination is a company or industry where seekers wanting a comparable
// title applied or were hired, counted in people (k-anonymous).
type Destination struct {
	Name   string    `json:"name"`
	People Headcount `json:"people"`
}

// WentTo is where seekers went, from the market's Apply and Hire events.
type WentTo struct {
	// Companies and Industries are those where at least Config.K seekers
	// wanting a comparable title (the same title key as a past title)
	// applied or were hired, most people first, at most Config.MaxItems.
	Companies  []Destination `json:"companies,omitempty"`
	Industries []Destination `json:"industries,omitempty"`
	// Suppressed is the number of companies and industries left out
	// because fewer than K such people went there.
	Suppressed int `json:"suppressed,omitempty"`
}

// Reemployment is where a background is valued.
type Reemployment struct {
	// Postings is the number of relevant postings.
	Postings int `json:"postings"`
	// Companies and Industries rank employers by the summed relevance of
	// their postings, at most Config.MaxItems each.
	Companies  []Employer `json:"companies"`
	Industries []Employer `json:"industries"`
	// WentTo is where people who want such work applied or were hired;
	// every figure is over at least Config.K people.
	WentTo WentTo `json:"went_to"`
}

// minRelevance is the least relevance of a posting to count.
const minRelevance = 0.4

// Reemployment answers a person out of work: which companies and industries
// post jobs that value their past titles and skills. A posting's relevance
// is
//
//	r = t                 if the posting lists no skills
//	r = (t + o) / 2       otherwise
//
// where t is the largest similarity (character-bigram Dice coefficient of
// [TitleKey]s, 1 for equal keys) between a past title and the posting's
// title, and o is the share of the posting's skills the person has.
// Postings with r ≥ 0.4 count. Employers are ranked by Σr: many relevant
// postings, closely relevant.
//
// Errors: ErrEmptyQuery without titles or skills, ErrNoPostings for an
// empty market, ErrUnknownTitle (wrapped with the background) when no
// posting is relevant.
func (m *Market) Reemployment(b Background) (Reemployment, error) {
	var out Reemployment
	var keys []string
	for _, t := range b.Titles {
		if k := TitleKey(t); k != "" {
			keys = append(keys, k)
		}
	}
	var names nameCounter
	skills := names.keys(b.Skills, m.skillKey)
	switch {
	case len(keys) == 0 && len(skills) == 0:
		return out, fmt.Errorf("%w: no past title or skill", ErrEmptyQuery)
	case len(m.postings) == 0:
		return out, ErrNoPostings
	}
	// Title similarity per distinct posting title key, computed once.
	titleSim := map[string]float64{}
	for k := range m.byTitle {
		s := 0.0
		for _, q := range keys {
			s = max(s, titleSimilarity(q, k))
		}
		titleSim[k] = s
	}
	type acc struct {
		Employer
		pays   []float64
		titles map[string]float64
	}
	companies, industries := map[string]*acc{}, map[string]*acc{}
	add := func(to map[string]*acc, name string, r float64, p *posting) {
		a := to[name]
		if a == nil {
			a = &acc{Employer: Employer{Name: name}, titles: map[string]float64{}}
			to[name] = a
		}
		a.Postings++
		a.Relevance += r
		if !math.IsNaN(p.pay) {
			a.pays = append(a.pays, p.pay)
		}
		a.titles[p.title] = max(a.titles[p.title], r)
	}
	for i := range m.postings {
		p := &m.postings[i]
		if p.p.Inactive || (b.City != "" && p.p.City != b.City) {
			continue
		}
		r := titleSim[p.title]
		if len(p.skills) > 0 {
			common := 0
			for _, s := range p.skills {
				if _, ok := slices.BinarySearch(skills, s); ok {
					common++
				}
			}
			r = (r + float64(common)/float64(len(p.skills))) / 2
		}
		if r < minRelevance {
			continue
		}
		out.Postings++
		if p.p.Company != "" {
			add(companies, p.p.Company, r, p)
		}
		for _, ind := range splitList(p.p.Industry) {
			add(industries, ind, r, p)
		}
	}
	if out.Postings == 0 {
		return out, fmt.Errorf("%w: titles %q, skills %q", ErrUnknownTitle, b.Titles, b.Skills)
	}
	rank := func(from map[string]*acc) []Employer {
		list := make([]Employer, 0, len(from))
		for _, a := range from {
			a.Pay = finite(median(a.pays))
			ts := make([]counted, 0, len(a.titles))
			for k, r := range a.titles {
				ts = append(ts, counted{k, int(r * 1e6)})
			}
			slices.SortFunc(ts, func(x, y counted) int {
				if c := cmp.Compare(y.n, x.n); c != 0 {
					return c
				}
				return cmp.Compare(x.key, y.key)
			})
			for _, t := range ts[:min(3, len(ts))] {
				a.Titles = append(a.Titles, m.titleNames.name(t.key))
			}
			list = append(list, a.Employer)
		}
		slices.SortFunc(list, func(x, y Employer) int {
			if c := cmp.Compare(y.Relevance, x.Relevance); c != 0 {
				return c
			}
			return cmp.Compare(x.Name, y.Name)
		})
		return list[:min(len(list), m.cfg.MaxItems)]
	}
	out.Companies = rank(companies)
	out.Industries = rank(industries)
	var sc, si int
	out.WentTo.Companies, sc = m.destinations(keys, func(p *market.Profile) []string {
		if p.Company == "" {
			return nil
		}
		return []string{p.Company}
	})
	out.WentTo.Industries, si = m.destinations(keys, func(p *market.Profile) []string { return splitList(p.Industry) })
	out.WentTo.Suppressed = sc + si
	return out, nil
}

// destinations counts, per company and per industry (group returns a
// posting's groups), the distinct seekers whose wanted title key equals
// one of keys and who applied to or were hired by a posting of the group;
// groups with fewer than K such seekers are suppressed and counted.
func (m *Market) destinations(keys []string, group func(p *market.Profile) []string) ([]Destination, int) {
	people := map[string]map[int32]bool{}
	for j, seekers := range m.went {
		p := m.postings[j].p
		for _, s := range seekers {
			if !slices.Contains(keys, m.seekers[s].title) {
				continue
			}
			for _, g := range group(p) {
				if people[g] == nil {
					people[g] = map[int32]bool{}
				}
				people[g][s] = true
			}
		}
	}
	var out []Destination
	suppressed := 0
	for g, set := range people {
		if !m.shown(len(set)) {
			suppressed++
			continue
		}
		out = append(out, Destination{Name: g, People: m.headcount(len(set))})
	}
	slices.SortFunc(out, func(a, b Destination) int {
		if c := cmp.Compare(b.People.N, a.People.N); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out[:min(len(out), m.cfg.MaxItems)], suppressed
}
