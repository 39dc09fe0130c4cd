package insight

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/twowayrec/twoway/market"
)

// Scope says which postings an answer was computed from.
type Scope struct {
	// Title is the title asked about and TitleKey its [TitleKey].
	Title    string `json:"title"`
	TitleKey string `json:"title_key"`
	// Titles is "exact" when only postings with the same title key were
	// used, "containing" when there were fewer than Config.MinGroup of them
	// and postings whose key contains it ("商业数据分析师" for "数据分析师")
	// were added.
	Titles string `json:"titles"`
	// City is the city asked about ("" for the whole market). CityWidened
	// reports that fewer than Config.MinGroup comparable postings were in
	// the city, so the answer covers every city.
	City        string `json:"city,omitempty"`
	CityWidened bool   `json:"city_widened,omitempty"`
	// Postings is the number of postings the answer was computed from.
	Postings int `json:"postings"`
}

// UnknownTitleError reports a title no posting is comparable to, with the
// closest known titles. It wraps ErrUnknownTitle.
type UnknownTitleError struct {
	Title string
	// Closest are up to five known titles with the most similar keys
	// (character-bigram Dice coefficient), most similar first.
	Closest []string
}

// Error names the title and the closest known titles.
func (e *UnknownTitleError) Error() string {
	if len(e.Closest) == 0 {
		return fmt.Sprintf("insight: no posting with a title comparable to %q", e.Title)
	}
	return fmt.Sprintf("insight: no posting with a title comparable to %q; closest known titles: %s",
		e.Title, strings.Join(e.Closest, ", "))
}

// Unwrap returns ErrUnknownTitle.
func (e *UnknownTitleError) Unwrap() error { return ErrUnknownTitle }

// comparable returns the postings comparable to title in city ("" for
// anywhere), widening as [Scope] describes. Errors: ErrNoPostings,
// ErrEmptyQuery, *UnknownTitleError.
func (m *Market) comparable(title, city string) ([]int32, Scope, error) {
	sc := Scope{Title: title, TitleKey: TitleKey(title), Titles: "exact", City: city}
	if len(m.postings) == 0 {
		return nil, sc, ErrNoPostings
	}
	if sc.TitleKey == "" {
		return nil, sc, fmt.Errorf("%w: title %q has no letters or digits", ErrEmptyQuery, title)
	}
	ids := slices.Clone(m.byTitle[sc.TitleKey])
	if len(ids) < m.cfg.MinGroup {
		for _, k := range m.titleKeys() {
			if k != sc.TitleKey && strings.Contains(k, sc.TitleKey) {
				ids = append(ids, m.byTitle[k]...)
				sc.Titles = "containing"
			}
		}
		slices.Sort(ids)
	}
	if len(ids) == 0 {
		return nil, sc, &UnknownTitleError{Title: title, Closest: m.closestTitles(sc.TitleKey, 5)}
	}
	if city != "" {
		in := make([]int32, 0, len(ids))
		for _, i := range ids {
			if m.postings[i].p.City == city {
				in = append(in, i)
			}
		}
		if len(in) >= m.cfg.MinGroup {
			ids = in
		} else {
			sc.CityWidened = true
		}
	}
	sc.Postings = len(ids)
	return ids, sc, nil
}

// titleKeys returns every title key, sorted.
func (m *Market) titleKeys() []string {
	keys := make([]string, 0, len(m.byTitle))
	for k := range m.byTitle {
		if k != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// closestTitles returns up to n known titles most similar to key.
func (m *Market) closestTitles(key string, n int) []string {
	type cand struct {
		key string
		sim float64
	}
	var cs []cand
	for _, k := range m.titleKeys() {
		if s := titleSimilarity(key, k); s > 0 {
			cs = append(cs, cand{k, s})
		}
	}
	slices.SortFunc(cs, func(a, b cand) int {
		if c := cmp.Compare(b.sim, a.sim); c != 0 {
			return c
		}
		if c := cmp.Compare(len(m.byTitle[b.key]), len(m.byTitle[a.key])); c != 0 {
			return c
		}
		return cmp.Compare(a.key, b.key)
	})
	out := make([]string, 0, n)
	for _, c := range cs[:min(n, len(cs))] {
		out = append(out, m.titleNames.name(c.key))
	}
	return out
}

// Frequency is how many of the postings in an answer's scope ask for one
// thing (a skill, a tag, an experience range, an education level).
type Frequency struct {
	Name  string  `json:"name"`
	Count int     `json:"count"`
	Share float64 `json:"share"` // Count over the postings that state the field
}

// frequencies turns counts over total postings into a ranked list of at most
// limit entries with share ≥ minShare and count ≥ minCount, named by name.
func frequencies(counts map[string]int, total, limit, minCount int, minShare float64, name func(string) string) []Frequency {
	var out []Frequency
	if total == 0 {
		return nil
	}
	for _, c := range topCounts(counts) {
		share := float64(c.n) / float64(total)
		if share < minShare || c.n < minCount || len(out) == limit {
			break
		}
		out = append(out, Frequency{Name: name(c.key), Count: c.n, Share: share})
	}
	return out
}

// experienceLabel writes a required experience range as postings do:
// "不限", "1-3年", "10年以上".
func experienceLabel(r market.Range) string {
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	switch {
	case r.Min == 0 && !r.Bounded():
		return "不限"
	case !r.Bounded():
		return f(r.Min) + "年以上"
	case r.Min == r.Max:
		return f(r.Min) + "年"
	}
	return f(r.Min) + "-" + f(r.Max) + "年"
}

var educationLabels = [...]string{"不限", "初中及以下", "高中/中专", "大专", "本科", "硕士", "博士"}

// educationLabel names a required education level as postings do ("本科").
func educationLabel(e market.Education) string {
	if int(e) < len(educationLabels) {
		return educationLabels[e]
	}
	return e.String()
}
