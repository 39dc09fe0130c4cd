package market

import (
	"strconv"
	"strings"
	"unicode"
)

// maxYears bounds the years of experience ParseExperience accepts.
const maxYears = 60

// ParseExperience reads the experience field of a posting and returns the
// required range of years ([Range]: Max 0 = no upper bound). It accepts:
//
//	3-5年, 1-3年                 {3, 5}, {1, 3}
//	10年以上, 5年及以上          {10, 0}: ten years or more
//	1年以下, 1年以内, 少于1年    {0, 1}
//	3年                          {3, 3}
//	应届生, 应届毕业生, 在校/应届  {0, 1}: new graduates (Max 0 would mean unbounded,
//	                              so a new-graduate post reads as "under one year")
//	经验不限, 不限, 无经验, ""    {}: no requirement (无经验 is zhaopin.com's "no
//	                              experience needed", not "must have none")
//
// Anything else returns a *ParseError with Field "experience".
func ParseExperience(s string) (Range, error) {
	t := foldPosting(s)
	bad := func(msg string) (Range, error) {
		return Range{}, &ParseError{Field: "experience", Input: s, Msg: msg}
	}
	t = strings.TrimPrefix(t, "工作经验")
	t = strings.TrimPrefix(t, "经验")
	t = strings.TrimSuffix(t, "工作经验")
	t = strings.TrimSuffix(t, "经验")
	t = strings.TrimSpace(t)
	switch t {
	case "", "不限", "无", "无经验", "无需经验", "无要求", "any", "none":
		return Range{}, nil
	case "应届", "应届生", "应届毕业生", "在校/应届", "在校生", "在校", "实习生", "graduate":
		return Range{Min: 0, Max: 1}, nil
	}
	var openHigh, openLow bool
	switch {
	case strings.HasPrefix(t, "少于"):
		t, openLow = strings.TrimPrefix(t, "少于"), true
	case strings.HasPrefix(t, "超过"):
		t, openHigh = strings.TrimPrefix(t, "超过"), true
	}
	for _, suf := range [...]string{"及以上", "以上"} {
		if !openLow && !openHigh && strings.HasSuffix(t, suf) {
			t, openHigh = strings.TrimSuffix(t, suf), true
		}
	}
	for _, suf := range [...]string{"以下", "以内"} {
		if !openLow && !openHigh && strings.HasSuffix(t, suf) {
			t, openLow = strings.TrimSuffix(t, suf), true
		}
	}
	t = strings.TrimSuffix(t, "年")
	if t == "" {
		return bad("no number of years")
	}
	year := func(x string) (float64, bool) {
		x = strings.TrimSuffix(strings.TrimSpace(x), "年")
		if x == "" || strings.IndexFunc(x, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }) >= 0 {
			return 0, false
		}
		v, err := strconv.ParseFloat(x, 64)
		return v, err == nil && v >= 0 && v <= maxYears
	}
	lo, hi, isRange := strings.Cut(t, "-")
	a, ok := year(lo)
	if !ok {
		return bad("not a number of years")
	}
	if !isRange {
		switch {
		case openHigh:
			return Range{Min: a}, nil
		case openLow:
			if a == 0 {
				return bad("less than zero years")
			}
			return Range{Max: a}, nil
		}
		return Range{Min: a, Max: a}, nil
	}
	if openHigh || openLow {
		return bad("a range cannot be open")
	}
	b, ok := year(hi)
	switch {
	case !ok:
		return bad("not a number of years")
	case b == 0:
		return bad("upper bound zero")
	case a > b:
		return bad("minimum above maximum")
	}
	return Range{Min: a, Max: b}, nil
}

// FormatExperience writes r in the canonical form that ParseExperience reads
// back to the same value: "不限", "3-5年", "10年以上", "1年以下", "3年".
func FormatExperience(r Range) string {
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	switch {
	case r.Min == 0 && r.Max == 0:
		return "不限"
	case r.Max == 0:
		return num(r.Min) + "年以上"
	case r.Min == 0:
		return num(r.Max) + "年以下"
	case r.Min == r.Max:
		return num(r.Min) + "年"
	}
	return num(r.Min) + "-" + num(r.Max) + "年"
}

// Location is where a job is: city, district and business zone, as in
// "南京·雨花台区·南京南站". Empty fields are unknown.
type Location struct {
	City     string `json:"city,omitempty"`
	District string `json:"district,omitempty"`
	Zone     string `json:"zone,omitempty"`
}

// String returns the location in the canonical form "city·district·zone",
// leaving out empty trailing parts.
func (l Location) String() string {
	parts := []string{l.City, l.District, l.Zone}
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	return strings.Join(parts, "·")
}

// ParseLocation reads a location field: "南京·雨花台区·南京南站" (boss),
// "北京-海淀区" (zhaopin), "上海" and returns up to three parts: city,
// district, business zone. The separators "·", "-" and "/" are accepted
// (spaces around parts are trimmed, spaces inside kept), a trailing "市" on the city is dropped ("北京市" → "北京"), and
// an empty field returns the zero Location and no error. More than three
// parts, or an empty part between separators, return a *ParseError with
// Field "location".
func ParseLocation(s string) (Location, error) {
	t := foldPosting(s)
	if t == "" {
		return Location{}, nil
	}
	// foldPosting lower-cases Latin letters; keep the original spelling of
	// place names by splitting the trimmed original. Spaces are not
	// separators ("Hong Kong"); they are trimmed around parts.
	var parts []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool {
		switch r {
		case '·', '•', '・', '-', '－', '/', '／':
			return true
		}
		return false
	}) {
		if p = strings.TrimSpace(strings.ReplaceAll(p, "\u3000", " ")); p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return Location{}, &ParseError{Field: "location", Input: s, Msg: "no place name"}
	}
	if len(parts) > 3 {
		return Location{}, &ParseError{Field: "location", Input: s, Msg: "more than city, district and zone"}
	}
	for _, p := range parts {
		if !validPlace(p) {
			return Location{}, &ParseError{Field: "location", Input: s, Msg: "not a place name"}
		}
	}
	var l Location
	l.City = parts[0]
	if c := strings.TrimSuffix(l.City, "市"); c != "" {
		l.City = c
	}
	if len(parts) > 1 {
		l.District = parts[1]
	}
	if len(parts) > 2 {
		l.Zone = parts[2]
	}
	return l, nil
}

// validPlace reports whether p is valid UTF-8 made of letters, digits and
// the marks place names use (parentheses, "&", "'", ".").
func validPlace(p string) bool {
	for _, r := range p {
		if r == unicode.ReplacementChar || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

// Headcount is a company's number of employees; Max 0 = no upper bound.
type Headcount struct {
	Min int `json:"min"`
	Max int `json:"max,omitempty"`
}

// String returns the canonical form that ParseHeadcount reads back:
// "20-99人", "10000人以上", "15人以下".
func (h Headcount) String() string {
	switch {
	case h.Max == 0:
		return strconv.Itoa(h.Min) + "人以上"
	case h.Min == 0:
		return strconv.Itoa(h.Max) + "人以下"
	}
	return strconv.Itoa(h.Min) + "-" + strconv.Itoa(h.Max) + "人"
}

// ParseHeadcount reads a company size: "0-20人", "150-500人", "10000人以上",
// "2000人以上", "少于15人", "15人以下". It returns a *ParseError with Field
// "company size" for anything else, including an empty field.
func ParseHeadcount(s string) (Headcount, error) {
	t := foldPosting(s)
	bad := func() (Headcount, error) {
		return Headcount{}, &ParseError{Field: "company size", Input: s}
	}
	var openHigh, openLow bool
	if strings.HasPrefix(t, "少于") {
		t, openLow = strings.TrimPrefix(t, "少于"), true
	}
	if !openLow && strings.HasSuffix(t, "以上") {
		t, openHigh = strings.TrimSuffix(t, "以上"), true
	}
	if !openLow && !openHigh && strings.HasSuffix(t, "以下") {
		t, openLow = strings.TrimSuffix(t, "以下"), true
	}
	t = strings.TrimSuffix(t, "人")
	lo, hi, isRange := strings.Cut(t, "-")
	num := func(x string) (int, bool) {
		x = strings.TrimSuffix(x, "人")
		if x == "" || len(x) > 9 || strings.IndexFunc(x, func(r rune) bool { return r < '0' || r > '9' }) >= 0 {
			return 0, false
		}
		v, err := strconv.Atoi(x)
		return v, err == nil
	}
	a, ok := num(lo)
	if !ok {
		return bad()
	}
	switch {
	case isRange && (openHigh || openLow):
		return bad()
	case isRange:
		b, ok := num(hi)
		if !ok || b == 0 || a > b {
			return bad()
		}
		return Headcount{Min: a, Max: b}, nil
	case openHigh:
		return Headcount{Min: a}, nil
	case openLow && a > 0:
		return Headcount{Max: a}, nil
	}
	return bad()
}

// CompanyInfo is boss.zhipin.com's company summary
// "互联网,已上市,10000人以上": industry, funding stage and size. Empty
// fields are unknown.
type CompanyInfo struct {
	Industry string    `json:"industry,omitempty"` // 互联网, 计算机软件
	Stage    string    `json:"stage,omitempty"`    // 已上市, B轮, 未融资, 不需要融资
	Size     Headcount `json:"size"`               // zero: unknown
}

// ParseCompanyInfo reads a comma-separated company summary. The part that
// parses as a [Headcount] is the size, a part naming a funding stage (…轮,
// 已上市, 未融资, 不需要融资, 天使轮) is the stage, and the first other part
// is the industry; the boss data writes "智能硬件,0-20人" without a stage.
// An empty field, two sizes, two stages or two industries return a
// *ParseError with Field "company_info".
func ParseCompanyInfo(s string) (CompanyInfo, error) {
	bad := func(msg string) (CompanyInfo, error) {
		return CompanyInfo{}, &ParseError{Field: "company_info", Input: s, Msg: msg}
	}
	var c CompanyInfo
	var haveSize bool
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '|' })
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !validPlace(p) {
			return bad("invalid text")
		}
		if h, err := ParseHeadcount(p); err == nil {
			if haveSize {
				return bad("two sizes")
			}
			c.Size, haveSize = h, true
			continue
		}
		if fundingStage(p) {
			if c.Stage != "" {
				return bad("two funding stages")
			}
			c.Stage = p
			continue
		}
		if c.Industry != "" {
			return bad("two industries")
		}
		c.Industry = p
	}
	if c == (CompanyInfo{}) {
		return bad("empty")
	}
	return c, nil
}

func fundingStage(p string) bool {
	switch p {
	case "已上市", "上市公司", "未融资", "不需要融资", "天使轮", "战略融资":
		return true
	}
	return strings.HasSuffix(p, "轮") || strings.HasSuffix(p, "轮及以上")
}

// NormalizeTitle reduces a job title to the form used to compare postings:
// full-width folded, Latin letters lower-cased, text in brackets removed
// ("高级Java开发工程师（研发平台）" → "高级java开发工程师"), and everything
// but letters and digits dropped. A title made only of bracketed text keeps
// that text.
func NormalizeTitle(title string) string {
	t := foldPosting(title)
	var b strings.Builder
	depth := 0
	for _, r := range t {
		switch r {
		case '(', '[', '【', '{', '<', '《', '「':
			depth++
			continue
		case ')', ']', '】', '}', '>', '》', '」':
			if depth > 0 {
				depth--
			}
			continue
		}
		if depth == 0 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		for _, r := range t {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}

// DuplicateKey returns the key under which two postings are the same job:
// the company, the normalised title ([NormalizeTitle]), the city and the
// salary. Postings crawled twice, or by two sites, share it.
func DuplicateKey(p *Profile) string {
	company := NormalizeTitle(p.Company)
	return company + "\x1f" + NormalizeTitle(p.Title) + "\x1f" + p.City + "\x1f" + FormatSalary(p.Salary)
}
