package input

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/recall"
	"github.com/twowayrec/twoway/text"
)

// Query is the query of GET /v1/recommendations/{id}.
type Query struct {
	Side       market.Side // 0: not given
	N          int         // 0: not given
	Explain    bool
	DryRun     *bool // nil: not given
	Aggregator string
	Cities     []string
	Language   text.Language // "": not given; else text.Chinese or text.English
	// Filters are the structured filters on the candidates (salary_min,
	// salary_max, experience_min, experience_max, min_education,
	// max_education, industry and workplace, repeatable, and unstated).
	Filters recall.Facets
	Exclude []string // exclude, repeatable: IDs not to return
	Cursor  string   // cursor: the previous page's next
}

// repeatable are the parameters that may be given more than once.
var repeatable = map[string]bool{"city": true, "industry": true, "workplace": true, "exclude": true}

// Encode writes q as a query string that ParseQuery reads back as q.
func (q Query) Encode() string {
	v := url.Values{}
	if q.Side != 0 {
		v.Set("side", q.Side.String())
	}
	if q.N != 0 {
		v.Set("n", strconv.Itoa(q.N))
	}
	if q.Explain {
		v.Set("explain", "true")
	}
	if q.DryRun != nil {
		v.Set("dry_run", strconv.FormatBool(*q.DryRun))
	}
	if q.Aggregator != "" {
		v.Set("aggregator", q.Aggregator)
	}
	for _, c := range q.Cities {
		v.Add("city", c)
	}
	if q.Language != "" {
		v.Set("lang", string(q.Language))
	}
	f := &q.Filters
	for _, n := range [...]struct {
		key string
		v   float64
	}{{"salary_min", f.SalaryMin}, {"salary_max", f.SalaryMax}, {"experience_min", f.ExperienceMin}, {"experience_max", f.ExperienceMax}} {
		if n.v != 0 {
			v.Set(n.key, strconv.FormatFloat(n.v, 'g', -1, 64))
		}
	}
	if f.MinEducation != market.EducationAny {
		v.Set("min_education", f.MinEducation.String())
	}
	if f.MaxEducation != market.EducationAny {
		v.Set("max_education", f.MaxEducation.String())
	}
	for _, ind := range f.Industries {
		v.Add("industry", ind)
	}
	for _, w := range f.Workplaces {
		v.Add("workplace", w.String())
	}
	if f.Unstated {
		v.Set("unstated", "true")
	}
	for _, id := range q.Exclude {
		v.Add("exclude", id)
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	return v.Encode()
}

// ParseQuery reads the raw query of a recommendation request: side, n (1
// to maxN), explain, dry_run, aggregator (checked by aggregator, which
// returns why a name is unknown), city (repeatable), lang (zh or en: the
// explanations' language), the structured filters (salary_min,
// salary_max, experience_min, experience_max, min_education,
// max_education, industry and workplace, both repeatable, unstated),
// exclude (repeatable) and cursor. Every other parameter may be given
// once; an unknown one, a malformed query, invalid UTF-8 and invalid
// filters are refused; of several bad parameters the first in name order
// is reported. A refusal is a 400.
func ParseQuery(raw string, maxN int, aggregator func(name string) error) (Query, *Error) {
	var q Query
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return q, Errorf(http.StatusBadRequest, "bad query: %v", err)
	}
	for _, key := range slices.Sorted(maps.Keys(vals)) {
		vs := vals[key]
		if !utf8.ValidString(key) {
			return q, Errorf(http.StatusBadRequest, "a query parameter's name is not valid UTF-8")
		}
		for _, v := range vs {
			if !utf8.ValidString(v) {
				return q, Errorf(http.StatusBadRequest, "query parameter %s is not valid UTF-8", key)
			}
		}
		if len(vs) > 1 && !repeatable[key] {
			return q, Errorf(http.StatusBadRequest, "query parameter %s given %d times (only city, industry, workplace and exclude may repeat)", key, len(vs))
		}
		v := vs[0]
		switch key {
		case "side":
			err = q.Side.UnmarshalText([]byte(v))
		case "n":
			q.N, err = strconv.Atoi(v)
			if err == nil && (q.N < 1 || q.N > maxN) {
				err = fmt.Errorf("want 1 to %d", maxN)
			}
		case "explain":
			q.Explain, err = strconv.ParseBool(v)
		case "dry_run":
			var b bool
			if b, err = strconv.ParseBool(v); err == nil {
				q.DryRun = &b
			}
		case "aggregator":
			q.Aggregator = v
			err = aggregator(v)
		case "city":
			q.Cities = vs
		case "lang":
			switch l := text.Language(v); l {
			case text.Chinese, text.English:
				q.Language = l
			default:
				err = fmt.Errorf("want %s or %s", text.Chinese, text.English)
			}
		case "salary_min":
			q.Filters.SalaryMin, err = parseBound(v)
		case "salary_max":
			q.Filters.SalaryMax, err = parseBound(v)
		case "experience_min":
			q.Filters.ExperienceMin, err = parseBound(v)
		case "experience_max":
			q.Filters.ExperienceMax, err = parseBound(v)
		case "min_education":
			err = q.Filters.MinEducation.UnmarshalText([]byte(v))
		case "max_education":
			err = q.Filters.MaxEducation.UnmarshalText([]byte(v))
		case "industry":
			q.Filters.Industries = vs
		case "workplace":
			for _, w := range vs {
				var x market.Workplace
				if err = x.UnmarshalText([]byte(w)); err != nil || x == market.WorkplaceUnknown {
					err = fmt.Errorf("want onsite, remote or hybrid")
					v = w
					break
				}
				q.Filters.Workplaces = append(q.Filters.Workplaces, x)
			}
		case "unstated":
			q.Filters.Unstated, err = strconv.ParseBool(v)
		case "exclude":
			for i, id := range vs {
				if err = market.CheckID(id); err != nil {
					err = fmt.Errorf("value %d: %w", i+1, err)
					v = market.Shorten(id)
					break
				}
			}
			q.Exclude = vs
		case "cursor":
			q.Cursor = v
			if v == "" {
				err = errors.New("empty (leave it out for the first page)")
			}
		default:
			err = errors.New("unknown parameter (want side, n, explain, dry_run, aggregator, city, lang, salary_min, salary_max, experience_min, experience_max, min_education, max_education, industry, workplace, unstated, exclude, cursor)")
		}
		if err != nil {
			return q, Errorf(http.StatusBadRequest, "query parameter %s=%q: %v", key, market.Shorten(v), err)
		}
	}
	if err := q.Filters.Validate(); err != nil {
		return q, Errorf(http.StatusBadRequest, "filters: %v", err)
	}
	return q, nil
}

// parseBound reads a filter bound: a finite number (Facets.Validate
// checks the rest).
func parseBound(v string) (float64, error) {
	x, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, errors.New("want a number")
	}
	return x, nil
}
