package insight

import (
	"cmp"
	"fmt"
	"math"
	"slices"
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
//
// Its figures are sums of groups: a group is the distinct seekers wanting
// one title (one [TitleKey]) who applied to or were hired at one company,
// and only groups of at least Config.K count. A company's figure is the sum
// of its groups for the titles asked about; an industry's figure the sum of
// the figures of the companies in it (a company is in every industry its
// postings list), so a person who went to two companies of an industry
// counts twice there. Every figure is therefore a sum of groups that are
// shown on their own as well: asking for one more title, or subtracting a
// company from its industry, never reveals a suppressed group.
type WentTo struct {
	// Companies and Industries are those with a non-zero figure (at least
	// Config.K people), most people first, at most Config.MaxItems.
	Companies  []Destination `json:"companies,omitempty"`
	Industries []Destination `json:"industries,omitempty"`
	// Suppressed is the number of (title, company) pairs not shown: over
	// the distinct titles asked about ([TitleKey]s) and every company with
	// a posting in the market, the pairs whose group has fewer than
	// Config.K people, empty ones included (titles × companies minus the
	// groups shown). It depends on the postings and the shown groups only,
	// so it does not tell an empty group from a small one; counting only
	// the non-empty small groups would reveal that someone wanting the
	// title went to a company, however few they are.
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
	out.WentTo = m.wentTo(keys)
	return out, nil
}

// wentTo sums, per company and per industry, the groups of seekers whose
// wanted title key is one of keys (see [WentTo]).
func (m *Market) wentTo(keys []string) WentTo {
	var out WentTo
	keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	companies := map[string]int{}
	shown := 0
	for _, k := range keys {
		for c, n := range m.went[k] {
			if m.shown(n) {
				companies[c] += n
				shown++
			}
		}
	}
	// Every pair not shown, empty or small alike: a function of the
	// postings and the shown groups only.
	out.Suppressed = len(keys)*len(m.industriesOf) - shown
	industries := map[string]int{}
	for c, n := range companies {
		for _, ind := range m.industriesOf[c] {
			industries[ind] += n
		}
	}
	out.Companies = m.destinations(companies)
	out.Industries = m.destinations(industries)
	return out
}

// destinations lists figures as Destinations, most people first (ties by
// name), at most Config.MaxItems.
func (m *Market) destinations(figures map[string]int) []Destination {
	out := make([]Destination, 0, len(figures))
	for name, n := range figures {
		out = append(out, Destination{Name: name, People: m.headcount(n)})
	}
	slices.SortFunc(out, func(a, b Destination) int {
		if c := cmp.Compare(b.People.N, a.People.N); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	if len(out) == 0 {
		return nil
	}
	return out[:min(len(out), m.cfg.MaxItems)]
}
