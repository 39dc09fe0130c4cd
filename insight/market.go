package insight

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/text"
)

// Errors of the queries. Each query wraps them with the offending input, so
// errors.Is(err, ErrUnknownTitle) answers "did the title match nothing?".
var (
	// ErrNoPostings: the market holds no posting (or none with a stated
	// salary, for salary questions).
	ErrNoPostings = errors.New("insight: no postings in the market")
	// ErrUnknownTitle: no posting is comparable to the title asked about.
	ErrUnknownTitle = errors.New("insight: no posting with a comparable title")
	// ErrUnknownCity: no posting is in the city asked about.
	ErrUnknownCity = errors.New("insight: no posting in the city")
	// ErrEmptyQuery: the query names nothing to look for.
	ErrEmptyQuery = errors.New("insight: empty query")
	// ErrMatcher: a [Matcher] returned NaN or ±Inf, or two scores whose
	// difference (a [SkillNeed] Gain) overflows.
	ErrMatcher = errors.New("insight: Matcher score not finite")
)

// Market is an immutable snapshot of a market's postings, seekers and
// events, indexed for the insight queries. Build it with [New]; rebuild it
// when the market changes. All methods are safe for concurrent use.
type Market struct {
	cfg      Config
	postings []posting
	seekers  []seeker

	byTitle map[string][]int32     // title key → postings
	byCity  map[string][]int32     // city → postings
	salary  map[groupKey][]float64 // ascending 12-month-equivalent pay per group
	chain   []salaryLevel          // salary groups, narrowest first
	vocab   *text.Vocabulary

	titleNames nameCounter // title key → most frequent spelling
	skillNames nameCounter // skill key → most frequent spelling
	tagNames   nameCounter

	// went[title key][company] is the number of distinct seekers wanting
	// that title who applied to or were hired at a posting of the company
	// (from events): the groups [Market.Reemployment]'s WentTo is summed
	// from. industriesOf[company] are the industries its postings list;
	// every company with a posting has an entry (nil when none lists one).
	went         map[string]map[string]int
	industriesOf map[string][]string
	duplicates   int
	negotiable   int
	negotiableAt map[[2]string]int // (title key, city) → postings without a salary
}

// posting is a recruiter profile prepared for the queries.
type posting struct {
	p      *market.Profile
	title  string // TitleKey
	exp    int8   // experience band
	skills []string
	tags   []string
	// pay is the 12-month-equivalent monthly midpoint: Mid·Months/12
	// (Months 0 = 12); NaN when the salary is negotiable or unknown.
	pay float64
}

// seeker is a seeker profile prepared for the queries.
type seeker struct {
	p      *market.Profile
	title  string
	skills []string
}

// Stats describes what a Market was built from, for the operator: its
// counts are raw, not k-anonymous (see the package doc, Privacy), and are
// not for publication.
type Stats struct {
	Postings   int `json:"postings"`   // postings kept
	Duplicates int `json:"duplicates"` // repeated postings dropped (see Config.KeepDuplicates)
	Negotiable int `json:"negotiable"` // kept postings with no stated salary (面议)
	Seekers    int `json:"seekers"`
	Titles     int `json:"titles"` // distinct title keys among the postings
	Cities     int `json:"cities"`
}

// New builds a Market from profiles of both sides and, optionally, the
// events between them (used only for where seekers applied and were hired).
// Profiles are checked with [market.Profile.Validate] (a zero Registered
// time is accepted: insight does not use it); the first invalid profile is
// returned as its *market.FieldError. Events naming unknown profiles are
// ignored. New copies what it keeps: later changes to profiles do not
// affect the Market.
func New(cfg Config, profiles []market.Profile, events []market.Event) (*Market, error) {
	return build(cfg, profiles, events, salaryChain)
}

// build is New with a chain of salary groups, which must contain byCity
// (the evaluation's baseline) and end with the whole market (0).
func build(cfg Config, profiles []market.Profile, events []market.Event, chain []salaryLevel) (*Market, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := &Market{
		cfg:          cfg,
		byTitle:      map[string][]int32{},
		byCity:       map[string][]int32{},
		salary:       map[groupKey][]float64{},
		went:         map[string]map[string]int{},
		industriesOf: map[string][]string{},
		chain:        chain,
		negotiableAt: map[[2]string]int{},
		vocab:        cfg.Vocabulary,
	}
	seen := map[string]bool{}
	postingOf := map[string]int32{}
	seekerOf := map[string]int32{}
	for i := range profiles {
		p := profiles[i] // a copy
		if err := p.Validate(); err != nil && !errors.Is(err, market.ErrZeroTime) {
			return nil, fmt.Errorf("insight: profile %d: %w", i, err)
		}
		switch p.Side {
		case market.Recruiter:
			k := market.DuplicateKey(&p)
			if seen[k] && !cfg.KeepDuplicates {
				m.duplicates++
				continue
			}
			seen[k] = true
			q := posting{p: &p, title: TitleKey(p.Title), exp: expBand(p.Experience), pay: math.NaN()}
			q.skills = m.skillNames.keys(p.Skills, m.skillKey)
			q.tags = m.tagNames.keys(p.Tags, m.skillKey)
			if p.Salary.Known() {
				months := p.Salary.Months
				if months == 0 {
					months = 12
				}
				q.pay = p.Salary.Mid() * float64(months) / 12
			} else {
				m.negotiable++
				m.negotiableAt[[2]string{q.title, p.City}]++
			}
			id := int32(len(m.postings))
			postingOf[p.ID] = id
			m.postings = append(m.postings, q)
			m.titleNames.add(q.title, p.Title)
			m.byTitle[q.title] = append(m.byTitle[q.title], id)
			m.byCity[p.City] = append(m.byCity[p.City], id)
			if p.Company != "" {
				m.industriesOf[p.Company] = append(m.industriesOf[p.Company], splitList(p.Industry)...)
			}
			if !math.IsNaN(q.pay) {
				for _, l := range m.chain {
					g := l.key(q.title, p.City, q.exp, p.Education)
					m.salary[g] = append(m.salary[g], q.pay)
				}
			}
		case market.Seeker:
			seekerOf[p.ID] = int32(len(m.seekers))
			m.seekers = append(m.seekers, seeker{p: &p, title: TitleKey(p.Title), skills: m.skillNames.keys(p.Skills, m.skillKey)})
		}
	}
	for _, s := range m.salary {
		slices.Sort(s)
	}
	for c, inds := range m.industriesOf {
		slices.Sort(inds)
		m.industriesOf[c] = slices.Compact(inds)
	}
	// Distinct (seeker, company) pairs from Apply and Hire events.
	type wentPair struct {
		seeker  int32
		company string
	}
	pairs := map[wentPair]bool{}
	for _, e := range events {
		if e.Action != market.Hire && e.Action != market.Apply {
			continue
		}
		s, ok1 := seekerOf[e.Actor]
		j, ok2 := postingOf[e.Target]
		if !ok1 || !ok2 {
			s, ok1 = seekerOf[e.Target]
			j, ok2 = postingOf[e.Actor]
		}
		if !ok1 || !ok2 {
			continue
		}
		if c := m.postings[j].p.Company; c != "" && !pairs[wentPair{s, c}] {
			pairs[wentPair{s, c}] = true
			key := m.seekers[s].title
			if m.went[key] == nil {
				m.went[key] = map[string]int{}
			}
			m.went[key][c]++
		}
	}
	return m, nil
}

// skillKey returns the comparison key of a skill or tag: its canonical term
// in the vocabulary ("SpringBoot" and "Spring Boot" → "spring boot"), or its
// cleaned form when the vocabulary does not know it.
func (m *Market) skillKey(s string) string { return m.vocab.Normalize(s) }

// Stats reports what the Market holds.
func (m *Market) Stats() Stats {
	cities := 0
	for c := range m.byCity {
		if c != "" {
			cities++
		}
	}
	return Stats{
		Postings: len(m.postings), Duplicates: m.duplicates, Negotiable: m.negotiable,
		Seekers: len(m.seekers), Titles: len(m.byTitle), Cities: cities,
	}
}

// expBand buckets a required experience range by its minimum:
// 0 (不限, 应届, under a year), 1 (1–3 years), 2 (3–5), 3 (5–10), 4 (10+).
func expBand(r market.Range) int8 {
	switch {
	case r.Min < 1:
		return 0
	case r.Min < 3:
		return 1
	case r.Min < 5:
		return 2
	case r.Min < 10:
		return 3
	}
	return 4
}

// nameCounter remembers, for each key, how often each spelling was seen,
// so that results show the most frequent spelling of a skill or title.
type nameCounter map[string]map[string]int

// add records that spelling was seen for key.
func (c *nameCounter) add(key, spelling string) {
	if key == "" {
		return
	}
	if *c == nil {
		*c = nameCounter{}
	}
	if (*c)[key] == nil {
		(*c)[key] = map[string]int{}
	}
	(*c)[key][spelling]++
}

// keys returns the sorted distinct keys of raw, recording spellings.
func (c *nameCounter) keys(raw []string, key func(string) string) []string {
	out := make([]string, 0, len(raw))
	for _, r := range raw {
		k := key(r)
		if k == "" {
			continue
		}
		c.add(k, r)
		out = append(out, k)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// name returns the most frequent spelling of key (ties: the smallest), or key.
func (c nameCounter) name(key string) string {
	best, n := key, 0
	for s, k := range c[key] {
		if k > n || (k == n && s < best) {
			best, n = s, k
		}
	}
	return best
}

// counted is a key with a count, for ranked lists.
type counted struct {
	key string
	n   int
}

// topCounts returns the keys of counts ordered by count descending, then key.
func topCounts(counts map[string]int) []counted {
	out := make([]counted, 0, len(counts))
	for k, n := range counts {
		out = append(out, counted{k, n})
	}
	slices.SortFunc(out, func(a, b counted) int {
		if c := cmp.Compare(b.n, a.n); c != 0 {
			return c
		}
		return cmp.Compare(a.key, b.key)
	})
	return out
}
