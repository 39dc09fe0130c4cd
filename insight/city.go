package insight

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// CityView is supply and demand in one city: which titles are posted, how
// many seekers want them, which are shortest in supply, and the industry
// structure. Only active postings and seekers count.
type CityView struct {
	City      string `json:"city"`
	Postings  int    `json:"postings"`
	Companies int    `json:"companies"`
	// SeekersKnown reports whether the market holds any seeker; without
	// seekers there is no supply side and Shortest is empty.
	SeekersKnown bool `json:"seekers_known"`
	// Seekers is the number of active seekers in the city who belong to a
	// group of at least Config.K wanting one title (one [TitleKey]), posted
	// in the city or not. Smaller groups are left out of the total as they
	// are out of Titles, so that the total minus the titles shown is never
	// the size of a suppressed group.
	Seekers Headcount `json:"seekers"`
	// Titles are the most posted titles, at most Config.MaxItems.
	Titles []TitleSupply `json:"titles"`
	// Shortest are the titles with the most postings per seeker, at most
	// Config.MaxItems (empty without seekers).
	Shortest []TitleSupply `json:"shortest,omitempty"`
	// Industries is the industry structure: postings and pay per industry,
	// most postings first, at most Config.MaxItems. A posting listing two
	// industries ("移动互联网,金融") counts in both.
	Industries []IndustryShare `json:"industries"`
}

// TitleSupply is demand (postings) and supply (seekers) for one title.
type TitleSupply struct {
	Title    string `json:"title"`
	Postings int    `json:"postings"`
	// Seekers wanting this title (same title key) in the city.
	Seekers Headcount `json:"seekers"`
	// PerSeeker is Postings over Seekers. When Seekers is suppressed it is
	// Postings/K, a lower bound that reveals nothing about the group; 0 when
	// the market holds no seekers.
	PerSeeker float64 `json:"per_seeker"`
	// Pay is the median 12-month-equivalent monthly midpoint offered
	// (0 when no posting states one).
	Pay float64 `json:"pay"`
	// ExpectedPay is the median monthly pay the seekers expect, published
	// by the quantile rules of the package doc (Privacy): the mean of the K
	// stated pays around the median, rounded to 500 yuan, over a group of
	// at least K seekers of whom at least K state a pay that spreads by a
	// tenth of the figure or more; 0 otherwise.
	ExpectedPay float64 `json:"expected_pay,omitempty"`
}

// IndustryShare is one industry of a city.
type IndustryShare struct {
	Industry  string  `json:"industry"`
	Postings  int     `json:"postings"`
	Share     float64 `json:"share"` // of the city's postings
	Companies int     `json:"companies"`
	// Paid is the number of postings stating a salary; P25, P50 and P75
	// their 12-month-equivalent monthly midpoints (0 when Paid is 0).
	Paid int     `json:"paid"`
	P25  float64 `json:"p25"`
	P50  float64 `json:"p50"`
	P75  float64 `json:"p75"`
}

// City describes one city's market. It returns an error wrapping
// ErrNoPostings for an empty market, ErrEmptyQuery for an empty city, and
// ErrUnknownCity when no active posting is in the city.
func (m *Market) City(city string) (CityView, error) {
	v := CityView{City: city, SeekersKnown: len(m.seekers) > 0}
	switch {
	case len(m.postings) == 0:
		return v, ErrNoPostings
	case city == "":
		return v, fmt.Errorf("%w: no city", ErrEmptyQuery)
	}
	type titleAcc struct {
		postings int
		pays     []float64
		seekers  int
		expected []float64
	}
	type industryAcc struct {
		postings  int
		companies map[string]bool
		pays      []float64
	}
	titles := map[string]*titleAcc{}
	industries := map[string]*industryAcc{}
	companies := map[string]bool{}
	for _, i := range m.byCity[city] {
		p := &m.postings[i]
		if p.p.Inactive {
			continue
		}
		v.Postings++
		companies[p.p.Company] = true
		t := titles[p.title]
		if t == nil {
			t = &titleAcc{}
			titles[p.title] = t
		}
		t.postings++
		if !math.IsNaN(p.pay) {
			t.pays = append(t.pays, p.pay)
		}
		for _, ind := range splitList(p.p.Industry) {
			a := industries[ind]
			if a == nil {
				a = &industryAcc{companies: map[string]bool{}}
				industries[ind] = a
			}
			a.postings++
			a.companies[p.p.Company] = true
			if !math.IsNaN(p.pay) {
				a.pays = append(a.pays, p.pay)
			}
		}
	}
	if v.Postings == 0 {
		return v, fmt.Errorf("%w: %q", ErrUnknownCity, city)
	}
	delete(companies, "")
	v.Companies = len(companies)
	// Seekers per title key, posted in the city or not: the city's total is
	// the sum of the groups of at least K (see shownTotal).
	groups := map[string]int{}
	for _, s := range m.seekers {
		if s.p.City != city || s.p.Inactive {
			continue
		}
		groups[s.title]++
		if t := titles[s.title]; t != nil {
			t.seekers++
			if s.p.Salary.Known() {
				t.expected = append(t.expected, s.p.Salary.Mid())
			}
		}
	}
	seekers, _ := m.shownTotal(groups)
	v.Seekers = m.headcount(seekers)

	rows := make([]TitleSupply, 0, len(titles))
	for key, t := range titles {
		r := TitleSupply{Title: m.titleNames.name(key), Postings: t.postings, Seekers: m.headcount(t.seekers), Pay: finite(median(t.pays))}
		if v.SeekersKnown {
			r.PerSeeker = float64(t.postings) / float64(max(r.Seekers.N, m.cfg.K))
		}
		r.ExpectedPay, _ = peopleQuantile(t.expected, 0.5, m.cfg.K)
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(a, b TitleSupply) int {
		if c := cmp.Compare(b.Postings, a.Postings); c != 0 {
			return c
		}
		return cmp.Compare(a.Title, b.Title)
	})
	v.Titles = rows[:min(len(rows), m.cfg.MaxItems)]
	if v.SeekersKnown {
		short := slices.Clone(rows)
		slices.SortStableFunc(short, func(a, b TitleSupply) int { return cmp.Compare(b.PerSeeker, a.PerSeeker) })
		v.Shortest = short[:min(len(short), m.cfg.MaxItems)]
	}

	for name, a := range industries {
		slices.Sort(a.pays)
		delete(a.companies, "")
		v.Industries = append(v.Industries, IndustryShare{
			Industry: name, Postings: a.postings, Share: float64(a.postings) / float64(v.Postings),
			Companies: len(a.companies), Paid: len(a.pays),
			P25: finite(quantile(a.pays, 0.25, -1)), P50: finite(quantile(a.pays, 0.5, -1)), P75: finite(quantile(a.pays, 0.75, -1)),
		})
	}
	slices.SortFunc(v.Industries, func(a, b IndustryShare) int {
		if c := cmp.Compare(b.Postings, a.Postings); c != 0 {
			return c
		}
		return cmp.Compare(a.Industry, b.Industry)
	})
	v.Industries = v.Industries[:min(len(v.Industries), m.cfg.MaxItems)]
	return v, nil
}

// CitySummary is one city's share of the market's active postings.
type CitySummary struct {
	City     string  `json:"city"`
	Postings int     `json:"postings"`
	Share    float64 `json:"share"`
	Pay      float64 `json:"pay"` // median 12-month-equivalent monthly midpoint; 0 if none stated
}

// Cities lists every city with active postings, most postings first (ties
// by name). Postings without a city are left out.
func (m *Market) Cities() []CitySummary {
	total := 0
	var out []CitySummary
	for city, ids := range m.byCity {
		c := CitySummary{City: city}
		var pays []float64
		for _, i := range ids {
			if p := &m.postings[i]; !p.p.Inactive {
				c.Postings++
				pays = append(pays, p.pay)
			}
		}
		total += c.Postings
		if city == "" || c.Postings == 0 {
			continue
		}
		c.Pay = finite(median(pays))
		out = append(out, c)
	}
	for i := range out {
		out[i].Share = float64(out[i].Postings) / float64(total)
	}
	slices.SortFunc(out, func(a, b CitySummary) int {
		if c := cmp.Compare(b.Postings, a.Postings); c != 0 {
			return c
		}
		return cmp.Compare(a.City, b.City)
	})
	return out
}

// finite returns x, or 0 for NaN (JSON has no NaN).
func finite(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return x
}
