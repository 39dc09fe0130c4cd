package market

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Education is a level of formal education, ordered from none to doctorate,
// so that levels compare with < and >. The zero value, EducationAny, means
// "not stated" on a seeker and "no requirement" (学历不限) on a posting.
type Education uint8

const (
	EducationAny       Education = iota // not stated / 学历不限
	EducationPrimary                    // 小学, 初中 and below
	EducationSecondary                  // 高中, 中专, 中技, 职高
	EducationAssociate                  // 大专 (junior college)
	EducationBachelor                   // 本科
	EducationMaster                     // 硕士, MBA
	EducationDoctorate                  // 博士

	maxEducation = EducationDoctorate
)

var educationNames = [...]string{"any", "primary", "secondary", "associate", "bachelor", "master", "doctorate"}

// String returns the level's English name ("bachelor"), or "Education(n)".
func (e Education) String() string {
	if e <= maxEducation {
		return educationNames[e]
	}
	return fmt.Sprintf("Education(%d)", uint8(e))
}

// Valid reports whether e is a defined level.
func (e Education) Valid() bool { return e <= maxEducation }

// MarshalText implements encoding.TextMarshaler.
func (e Education) MarshalText() ([]byte, error) {
	if !e.Valid() {
		return nil, fmt.Errorf("market: %w: education %d", ErrOutOfRange, uint8(e))
	}
	return []byte(e.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler; it accepts the English
// names and everything [ParseEducation] accepts.
func (e *Education) UnmarshalText(b []byte) error {
	for i, n := range educationNames {
		if n == string(b) {
			*e = Education(i)
			return nil
		}
	}
	v, err := ParseEducation(string(b))
	if err != nil {
		return err
	}
	*e = v
	return nil
}

// Range is a closed interval of years (work experience). Max == 0 means no
// upper bound, so the zero Range is "any"; {Min: 10} is "10 years or more".
type Range struct {
	Min float64 `json:"min"`
	Max float64 `json:"max,omitempty"`
}

// Bounded reports whether r has an upper bound.
func (r Range) Bounded() bool { return r.Max > 0 }

// Contains reports whether x lies in r.
func (r Range) Contains(x float64) bool {
	return x >= r.Min && (!r.Bounded() || x <= r.Max)
}

// Salary is a monthly pay range in yuan (CNY) and the number of monthly
// salaries paid per year (13薪, 16薪). Months == 0 means the usual 12.
// Negotiable (面议) means the posting states no figure; Min and Max are then 0.
// Max == 0 with Min > 0 is an open range ("15k以上"); Min == 0 with Max > 0
// is "up to Max" ("2k以下"). The zero Salary is unknown.
// On a seeker, Salary is the expected pay; on a posting, the offered pay.
// [ParseSalary] reads the raw forms of postings and [FormatSalary] writes
// the canonical one.
type Salary struct {
	Min        float64 `json:"min"`
	Max        float64 `json:"max"`
	Months     int     `json:"months,omitempty"`
	Negotiable bool    `json:"negotiable,omitempty"`
}

// Known reports whether s states a figure.
func (s Salary) Known() bool { return !s.Negotiable && (s.Min > 0 || s.Max > 0) }

// Annual returns the yearly pay range, Min and Max times the months paid.
func (s Salary) Annual() (lo, hi float64) {
	m := s.Months
	if m == 0 {
		m = 12
	}
	return s.Min * float64(m), s.Max * float64(m)
}

// Mid returns the midpoint of the monthly range; for an open range
// (Max == 0) it returns Min.
func (s Salary) Mid() float64 {
	if s.Max == 0 {
		return s.Min
	}
	return (s.Min + s.Max) / 2
}

// Profile is one participant of the market: a job seeker (their résumé) or a
// recruiter (one job posting). Fields mean the participant's own attributes
// on a seeker and the posting's requirements or offer on a recruiter.
//
// The zero value is not valid: ID and Side are required. Every other field
// may be empty, which means "unknown", never "zero".
type Profile struct {
	ID   string `json:"id"`
	Side Side   `json:"side"`

	Title    string `json:"title,omitempty"`    // job title (wanted, or offered)
	Company  string `json:"company,omitempty"`  // employer; on a seeker, the current one
	City     string `json:"city,omitempty"`     // 南京
	District string `json:"district,omitempty"` // 雨花台区
	Zone     string `json:"zone,omitempty"`     // business zone: 南京南站
	// Industry is one industry or a comma-separated list of them
	// ("互联网,电子商务"; ASCII, full-width or 、 commas: SplitList), each
	// item matched on its own by an industry filter; a "/" does not
	// separate items.
	Industry string `json:"industry,omitempty"`

	// Experience: a seeker's years of work ({Min: 3, Max: 3}), a posting's
	// required range ({Min: 3, Max: 5}).
	Experience Range `json:"experience"`
	// Education: a seeker's highest level, a posting's minimum.
	Education Education `json:"education,omitempty"`
	Salary    Salary    `json:"salary"`
	// Workplace: where a posting's work is done, or where a seeker wants
	// to work (on site, remote, hybrid). Zero: not stated.
	Workplace Workplace `json:"workplace,omitempty"`

	Skills []string `json:"skills,omitempty"` // hard skills: "Java", "机器学习"
	Tags   []string `json:"tags,omitempty"`   // soft skills, benefits, labels: "五险一金"
	Text   string   `json:"text,omitempty"`   // free text: résumé summary or job description

	// Attributes are host-defined numeric attributes (age, ratings…) that
	// the content encoders turn into features, keyed by name.
	Attributes map[string]float64 `json:"attributes,omitempty"`

	Registered time.Time `json:"registered"`
	// Inactive marks a closed profile: a filled job, a seeker who stopped
	// looking. The zero value is active.
	Inactive bool `json:"inactive,omitempty"`
}

// Clone returns a copy of p that shares no memory with it (its Skills,
// Tags and Attributes are copied).
func (p *Profile) Clone() Profile {
	c := *p
	c.Skills, c.Tags, c.Attributes = slices.Clone(p.Skills), slices.Clone(p.Tags), maps.Clone(p.Attributes)
	return c
}

// Validate checks p and returns a *FieldError naming the first invalid
// field, or nil. It checks: non-empty ID, valid UTF-8 in every string,
// an ID of at most MaxIDLen bytes, a valid side and education, finite
// non-negative numbers, Min <= Max in ranges, and a registration time in
// [MinTime, MaxTime).
func (p *Profile) Validate() error {
	fe := func(field, value string, err error) error {
		return &FieldError{Record: "profile", ID: p.ID, Field: field, Value: value, Err: err}
	}
	switch err := CheckID(p.ID); {
	case err == ErrInvalidUTF8:
		return &FieldError{Record: "profile", ID: strconv.QuoteToASCII(p.ID), Field: "ID", Err: err}
	case err != nil:
		return fe("ID", p.ID, err)
	}
	if !p.Side.Valid() {
		return fe("Side", strconv.Itoa(int(p.Side)), ErrUnknownSide)
	}
	for _, f := range [...]struct{ name, v string }{
		{"Title", p.Title}, {"Company", p.Company}, {"City", p.City}, {"District", p.District},
		{"Zone", p.Zone}, {"Industry", p.Industry}, {"Text", p.Text},
	} {
		if !utf8.ValidString(f.v) {
			return fe(f.name, strconv.QuoteToASCII(f.v), ErrInvalidUTF8)
		}
	}
	for _, l := range [...]struct {
		name string
		v    []string
	}{{"Skills", p.Skills}, {"Tags", p.Tags}} {
		for i, s := range l.v {
			if !utf8.ValidString(s) {
				return fe(fmt.Sprintf("%s[%d]", l.name, i), strconv.QuoteToASCII(s), ErrInvalidUTF8)
			}
		}
	}
	if err := checkRange("Experience", p.Experience.Min, p.Experience.Max, MaxExperience, fe); err != nil {
		return err
	}
	if !p.Education.Valid() {
		return fe("Education", strconv.Itoa(int(p.Education)), ErrOutOfRange)
	}
	if !p.Workplace.Valid() {
		return fe("Workplace", strconv.Itoa(int(p.Workplace)), ErrOutOfRange)
	}
	if err := checkRange("Salary", p.Salary.Min, p.Salary.Max, MaxSalary, fe); err != nil {
		return err
	}
	if p.Salary.Months < 0 || p.Salary.Months > 24 {
		return fe("Salary.Months", strconv.Itoa(p.Salary.Months), ErrOutOfRange)
	}
	for k, v := range p.Attributes {
		if !utf8.ValidString(k) {
			return fe("Attributes", strconv.QuoteToASCII(k), ErrInvalidUTF8)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fe("Attributes["+k+"]", fmt.Sprint(v), ErrNaN)
		}
	}
	if err := CheckTime(p.Registered); err != nil {
		return fe("Registered", timeValue(p.Registered), err)
	}
	return nil
}

// The largest figures a profile may state: a monthly pay of a billion
// yuan and 1,000 years of experience, far above any real figure (and above
// sentinels such as 99 or 999 years for "any"), so that only a unit or
// data error (1e308, which overflows Salary.Annual to +Inf and prints 300
// digits in an explanation) is refused, as ErrOutOfRange.
const (
	MaxSalary     = 1e9
	MaxExperience = 1000
)

// checkRange validates a [min, max] pair where max == 0 means unbounded,
// each end at most limit.
func checkRange(name string, lo, hi, limit float64, fe func(field, value string, err error) error) error {
	for _, f := range [...]struct {
		field string
		v     float64
	}{{name + ".Min", lo}, {name + ".Max", hi}} {
		switch {
		case math.IsNaN(f.v) || math.IsInf(f.v, 0):
			return fe(f.field, fmt.Sprint(f.v), ErrNaN)
		case f.v < 0:
			return fe(f.field, fmt.Sprint(f.v), ErrNegative)
		case f.v > limit:
			return fe(f.field, fmt.Sprintf("%v (at most %v)", f.v, limit), ErrOutOfRange)
		}
	}
	if hi > 0 && lo > hi {
		return fe(name, fmt.Sprintf("%v > %v", lo, hi), ErrInverted)
	}
	return nil
}

// timeValue formats t for a FieldError ("" for the zero time).
func timeValue(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}
