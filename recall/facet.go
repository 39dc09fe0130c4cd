package recall

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kelindar/bitmap"
	"github.com/twowayrec/twoway/market"
)

// Facets are structured filters on the candidates' profiles: pay,
// experience, education, industry and workplace. Every set facet must
// hold for a candidate to be kept. The zero Facets keeps everyone.
//
// A facet reads the candidate's profile as it says of itself: a posting's
// offered pay, required experience and minimum education; a seeker's
// expected pay, years of work and highest education. A candidate whose
// profile does not state a filtered field (面议 pay, no industry, no
// workplace, a seeker without years or education) is dropped unless
// Unstated is set. A posting with no experience or education requirement
// states one: it has no requirement, and passes every experience range and
// sits at EducationAny for the education facets.
type Facets struct {
	// SalaryMin and SalaryMax keep candidates whose monthly pay range
	// (yuan) overlaps [SalaryMin, SalaryMax]; 0 leaves that end open.
	// An open range of the candidate's ("15k以上") reaches to infinity.
	SalaryMin float64 `json:"salary_min,omitempty"`
	SalaryMax float64 `json:"salary_max,omitempty"`
	// ExperienceMin and ExperienceMax keep candidates whose years of
	// experience (a seeker's years, a posting's required range) overlap
	// [ExperienceMin, ExperienceMax]; 0 leaves that end open.
	ExperienceMin float64 `json:"experience_min,omitempty"`
	ExperienceMax float64 `json:"experience_max,omitempty"`
	// MinEducation and MaxEducation keep candidates whose education (a
	// seeker's highest level, a posting's minimum) lies in [MinEducation,
	// MaxEducation]; EducationAny leaves that end open. A recruiter asks
	// for seekers with MinEducation; a seeker asks for postings that do
	// not require more than they have with MaxEducation.
	MinEducation market.Education `json:"min_education,omitempty"`
	MaxEducation market.Education `json:"max_education,omitempty"`
	// Industries keeps candidates with one of these industries (compared
	// case-insensitively with each item of the profile's Industry, a
	// comma-separated list: market.SplitList).
	Industries []string `json:"industries,omitempty"`
	// Workplaces keeps candidates with one of these workplaces.
	Workplaces []market.Workplace `json:"workplaces,omitempty"`
	// Unstated keeps candidates whose profile does not state a filtered
	// field.
	Unstated bool `json:"unstated,omitempty"`
}

// FacetCounts counts, among the participants a facet filter looked at, how
// many each facet removed (a participant failing several counts in each).
type FacetCounts struct {
	Salary     int `json:"salary"`
	Experience int `json:"experience"`
	Education  int `json:"education"`
	Industry   int `json:"industry"`
	Workplace  int `json:"workplace"`
}

// IsZero reports whether f filters nothing.
func (f Facets) IsZero() bool { return f.set() == 0 }

// Validate checks f and returns a *market.FieldError (Record "request")
// naming the first invalid field: NaN, infinite or negative bounds, a
// minimum above its maximum, an undefined education or workplace, an
// empty or invalid UTF-8 industry.
func (f *Facets) Validate() error {
	fe := func(field, value string, err error) error {
		return &market.FieldError{Record: "request", Field: "Filters." + field, Value: value, Err: err}
	}
	for _, r := range [...]struct {
		name     string
		min, max float64
	}{{"Salary", f.SalaryMin, f.SalaryMax}, {"Experience", f.ExperienceMin, f.ExperienceMax}} {
		for _, b := range [...]struct {
			field string
			v     float64
		}{{r.name + "Min", r.min}, {r.name + "Max", r.max}} {
			switch {
			case math.IsNaN(b.v) || math.IsInf(b.v, 0):
				return fe(b.field, fmt.Sprint(b.v), market.ErrNaN)
			case b.v < 0:
				return fe(b.field, fmt.Sprint(b.v), market.ErrNegative)
			}
		}
		if r.max > 0 && r.min > r.max {
			return fe(r.name+"Min", fmt.Sprintf("%v > %v", r.min, r.max), market.ErrInverted)
		}
	}
	for _, e := range [...]struct {
		field string
		v     market.Education
	}{{"MinEducation", f.MinEducation}, {"MaxEducation", f.MaxEducation}} {
		if !e.v.Valid() {
			return fe(e.field, strconv.Itoa(int(e.v)), market.ErrOutOfRange)
		}
	}
	if f.MaxEducation != market.EducationAny && f.MinEducation > f.MaxEducation {
		return fe("MinEducation", f.MinEducation.String()+" > "+f.MaxEducation.String(), market.ErrInverted)
	}
	for i, s := range f.Industries {
		switch {
		case !utf8.ValidString(s):
			return fe(fmt.Sprintf("Industries[%d]", i), strconv.QuoteToASCII(s), market.ErrInvalidUTF8)
		case strings.TrimSpace(s) == "":
			return fe(fmt.Sprintf("Industries[%d]", i), s, market.ErrEmpty)
		}
	}
	for i, w := range f.Workplaces {
		if !w.Valid() || w == market.WorkplaceUnknown {
			return fe(fmt.Sprintf("Workplaces[%d]", i), strconv.Itoa(int(w)), market.ErrOutOfRange)
		}
	}
	return nil
}

// facets is what a Population keeps of a profile for Facets.
type facets struct {
	salLo, salHi float64 // monthly; salHi +Inf for an open range
	expLo, expHi float64 // +Inf for an open range
	salary       bool    // the profile states pay
	experience   bool    // it states experience (a posting always does)
	education    market.Education
	eduStated    bool
	workplace    market.Workplace
	industries   []string
}

func facetsOf(p *market.Profile) facets {
	f := facets{education: p.Education, workplace: p.Workplace, industries: market.SplitList(p.Industry)}
	if p.Salary.Known() {
		f.salary, f.salLo, f.salHi = true, p.Salary.Min, p.Salary.Max
		if f.salHi == 0 {
			f.salHi = math.Inf(1)
		}
	}
	posting := p.Side == market.Recruiter
	f.expLo, f.expHi = p.Experience.Min, p.Experience.Max
	if !p.Experience.Bounded() {
		f.expHi = math.Inf(1)
	}
	// On a posting zero means "no requirement" (stated); on a seeker it
	// means the résumé does not say.
	f.experience = posting || p.Experience != (market.Range{})
	f.eduStated = posting || p.Education != market.EducationAny
	return f
}

// overlaps reports whether [lo, hi] meets [min, max] (max 0: open).
func overlaps(lo, hi, min, max float64) bool {
	return hi >= min && (max == 0 || lo <= max)
}

// The bits of fails and set: one per facet.
const (
	facetSalary uint8 = 1 << iota
	facetExperience
	facetEducation
	facetIndustry
	facetWorkplace
)

// set returns the bits of the facets f filters on.
func (f *Facets) set() uint8 {
	var out uint8
	if f.SalaryMin > 0 || f.SalaryMax > 0 {
		out |= facetSalary
	}
	if f.ExperienceMin > 0 || f.ExperienceMax > 0 {
		out |= facetExperience
	}
	if f.MinEducation != market.EducationAny || f.MaxEducation != market.EducationAny {
		out |= facetEducation
	}
	if len(f.Industries) > 0 {
		out |= facetIndustry
	}
	if len(f.Workplaces) > 0 {
		out |= facetWorkplace
	}
	return out
}

// fails returns the bits of set (the facets f filters on) that m fails.
func (f *Facets) fails(m *facets, set uint8) uint8 {
	var out uint8
	if set&facetSalary != 0 && !f.keep(m.salary, m.salary && overlaps(m.salLo, m.salHi, f.SalaryMin, f.SalaryMax)) {
		out |= facetSalary
	}
	if set&facetExperience != 0 && !f.keep(m.experience, m.experience && overlaps(m.expLo, m.expHi, f.ExperienceMin, f.ExperienceMax)) {
		out |= facetExperience
	}
	if set&facetEducation != 0 {
		in := m.education >= f.MinEducation && (f.MaxEducation == market.EducationAny || m.education <= f.MaxEducation)
		if !f.keep(m.eduStated, in) {
			out |= facetEducation
		}
	}
	if set&facetIndustry != 0 {
		in := false
		for _, want := range f.Industries {
			for _, have := range m.industries {
				in = in || strings.EqualFold(strings.TrimSpace(want), have)
			}
		}
		if !f.keep(len(m.industries) > 0, in) {
			out |= facetIndustry
		}
	}
	if set&facetWorkplace != 0 && !f.keep(m.workplace != market.WorkplaceUnknown, slices.Contains(f.Workplaces, m.workplace)) {
		out |= facetWorkplace
	}
	return out
}

// keep decides one facet: a stated field must be in the facet's range; an
// unstated one passes only with Unstated.
func (f *Facets) keep(stated, in bool) bool {
	if !stated {
		return f.Unstated
	}
	return in
}

// Facet removes from allowed the participants of considered that fail f,
// and counts into counts (when not nil) how many of considered each facet
// removed. considered is typically the active participants of the other
// side, allowed the request's mask built from them; f should be valid
// ([Facets.Validate]). A participant the Population does not know fails
// every facet. The cost is one pass over considered.
func (p *Population) Facet(considered bitmap.Bitmap, allowed *bitmap.Bitmap, f *Facets, counts *FacetCounts) {
	set := f.set()
	if set == 0 {
		return
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	considered.Range(func(ix uint32) {
		bits := set
		if int(ix) < len(p.member) && p.member[ix].side != 0 {
			bits = f.fails(&p.member[ix].facets, set)
		}
		if bits == 0 {
			return
		}
		allowed.Remove(ix)
		if counts != nil {
			for i, c := range [...]*int{&counts.Salary, &counts.Experience, &counts.Education, &counts.Industry, &counts.Workplace} {
				if bits&(1<<i) != 0 {
					*c++
				}
			}
		}
	})
}
