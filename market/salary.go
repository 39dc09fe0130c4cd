package market

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Factors that turn a pay rate quoted per day, hour or year into the monthly
// pay of [Salary].
//
// A daily rate is multiplied by WorkingDaysPerMonth, the statutory average
// number of paid working days in a month in China (人社部: 365 days minus
// 104 weekend days minus 11 public holidays, divided by 12 = 20.83; the
// 21.75 used for pay conversion counts the paid holidays as well):
//
//	monthly = daily × 21.75
//	monthly = hourly × 21.75 × 8
//	monthly = yearly / 12
const (
	WorkingDaysPerMonth = 21.75
	WorkingHoursPerDay  = 8
)

// maxMonthlySalary bounds what ParseSalary accepts: 10 million yuan a month
// is far above any posting and catches unit mistakes (a yearly figure read
// as monthly thousands).
const maxMonthlySalary = 1e7

// ParseSalary reads the salary field of a posting and returns the monthly pay
// range in yuan. It accepts:
//
//	15k-30k, 15-25K, 4K-5K, 20-40K·16薪   thousands (k) a month; ·16薪 sets Months
//	1.5-2万, 10-15万/年, 4-6千/月         ten-thousands (万), thousands (千), per year
//	8000-10000元/月, 8000-10000           yuan; a bare number of 1000 or more is yuan
//	200元/天, 150-200元/天, 50元/小时     daily and hourly rates, converted with
//	                                      WorkingDaysPerMonth and WorkingHoursPerDay
//	15k以上, 2k以下, 10k                  open ranges (Max 0 = no upper bound) and one figure
//	面议, 薪资面议                        negotiable: Salary{Negotiable: true}, not an error
//
// Full-width characters are folded, and "~", "至", "—" are read as "-". Values
// are rounded to the fen (0.01 yuan). An empty field returns the zero Salary
// (unknown) and no error. Anything else returns a *ParseError with Field
// "salary".
func ParseSalary(s string) (Salary, error) {
	t := foldPosting(s)
	if t == "" {
		return Salary{}, nil
	}
	if strings.Contains(t, "面议") || t == "negotiable" {
		return Salary{Negotiable: true}, nil
	}
	bad := func(msg string) (Salary, error) {
		return Salary{}, &ParseError{Field: "salary", Input: s, Msg: msg}
	}
	months := 0
	period, periodSet := 1.0, false
	openHigh, openLow := false, false
	// Strip suffixes in any order: months paid, period, open bound.
	for changed := true; changed; {
		changed = false
		t = strings.TrimRight(t, " ·.,*/")
		if strings.HasSuffix(t, "薪") {
			body := strings.TrimSuffix(t, "薪")
			i := len(body)
			for i > 0 && body[i-1] >= '0' && body[i-1] <= '9' {
				i--
			}
			if i == len(body) {
				return bad("no number before 薪")
			}
			m, err := strconv.Atoi(body[i:])
			if err != nil || m < 12 || m > 24 {
				return bad("months paid must be 12 to 24")
			}
			if months != 0 {
				return bad("months paid given twice")
			}
			months = m
			t = body[:i]
			changed = true
			continue
		}
		for _, p := range [...]struct {
			suffix string
			factor float64
		}{
			{"/月", 1}, {"每月", 1}, {"/month", 1},
			{"/天", WorkingDaysPerMonth}, {"/日", WorkingDaysPerMonth}, {"每天", WorkingDaysPerMonth}, {"/day", WorkingDaysPerMonth},
			{"/小时", WorkingDaysPerMonth * WorkingHoursPerDay}, {"/时", WorkingDaysPerMonth * WorkingHoursPerDay}, {"/hour", WorkingDaysPerMonth * WorkingHoursPerDay},
			{"/年", 1.0 / 12}, {"每年", 1.0 / 12}, {"/year", 1.0 / 12},
		} {
			if strings.HasSuffix(t, p.suffix) {
				if periodSet {
					return bad("period given twice")
				}
				period, periodSet = p.factor, true
				t = strings.TrimSuffix(t, p.suffix)
				changed = true
				break
			}
		}
		if changed {
			continue
		}
		for _, suf := range [...]string{"及以上", "以上", "起"} {
			if strings.HasSuffix(t, suf) && !openHigh && !openLow {
				openHigh, t, changed = true, strings.TrimSuffix(t, suf), true
				break
			}
		}
		if changed {
			continue
		}
		for _, suf := range [...]string{"以下", "以内"} {
			if strings.HasSuffix(t, suf) && !openHigh && !openLow {
				openLow, t, changed = true, strings.TrimSuffix(t, suf), true
				break
			}
		}
	}
	t = strings.TrimSpace(t)
	if t == "" {
		return bad("no figure")
	}
	lo, hi, found := strings.Cut(t, "-")
	if found && (openHigh || openLow) {
		return bad("a range cannot be open")
	}
	a, ua, err := salaryFigure(lo)
	if err != nil {
		return bad(err.Error())
	}
	b, ub := a, ua
	if found {
		if b, ub, err = salaryFigure(hi); err != nil {
			return bad(err.Error())
		}
	}
	// A unit written on one side only applies to both: "15-25K", "1.5-2万".
	switch {
	case ua == 0 && ub != 0:
		ua = ub
	case ub == 0 && ua != 0:
		ub = ua
	case ua == 0 && ub == 0:
		if max(a, b) < 1000 && !periodSet {
			return bad("no unit (k, 万, 元)")
		}
		ua, ub = 1, 1
	}
	a, b = roundFen(a*ua*period), roundFen(b*ub*period)
	if math.IsNaN(a) || math.IsNaN(b) || math.IsInf(a, 0) || math.IsInf(b, 0) || a > maxMonthlySalary || b > maxMonthlySalary {
		return bad("implausible amount")
	}
	out := Salary{Min: a, Max: b, Months: months}
	switch {
	case openHigh:
		out.Max = 0
	case openLow:
		out.Min = 0
	}
	if out.Max == 0 && out.Min == 0 {
		return bad("zero pay")
	}
	if out.Max > 0 && out.Min > out.Max {
		return bad("minimum above maximum")
	}
	return out, nil
}

// salaryFigure reads "15", "1.5万", "8000元", "20k" and returns the number and
// the unit's multiplier, 0 when no unit is written.
func salaryFigure(s string) (v, unit float64, err error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasSuffix(s, "元"):
		s, unit = strings.TrimSuffix(s, "元"), 1
	case strings.HasSuffix(s, "k"):
		s, unit = strings.TrimSuffix(s, "k"), 1000
	case strings.HasSuffix(s, "千"):
		s, unit = strings.TrimSuffix(s, "千"), 1000
	case strings.HasSuffix(s, "w"):
		s, unit = strings.TrimSuffix(s, "w"), 10000
	case strings.HasSuffix(s, "万"):
		s, unit = strings.TrimSuffix(s, "万"), 10000
	}
	s = strings.TrimSpace(s)
	if s == "" || strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }) >= 0 {
		return 0, 0, errSyntax
	}
	v, err = strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, 0, errSyntax
	}
	return v, unit, nil
}

type syntaxError struct{}

func (syntaxError) Error() string { return "not a number with a unit" }

var errSyntax error = syntaxError{}

func roundFen(v float64) float64 { return math.Round(v*100) / 100 }

// FormatSalary writes s in the canonical form that ParseSalary reads back to
// the same value: "面议", "8000-10000元", "15000元以上", "2000元以下",
// "10000元", with "·16薪" appended when Months is set. The zero Salary
// formats as "".
func FormatSalary(s Salary) string {
	if s.Negotiable {
		return "面议"
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	var out string
	switch {
	case s.Min == 0 && s.Max == 0:
		return ""
	case s.Max == 0:
		out = num(s.Min) + "元以上"
	case s.Min == 0:
		out = num(s.Max) + "元以下"
	case s.Min == s.Max:
		out = num(s.Min) + "元"
	default:
		out = num(s.Min) + "-" + num(s.Max) + "元"
	}
	if s.Months != 0 {
		out += "·" + strconv.Itoa(s.Months) + "薪"
	}
	return out
}

// foldPosting trims s, folds full-width ASCII to half width, lower-cases
// Latin letters and reads the dashes and tildes of range notation as "-".
func foldPosting(s string) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
			r -= 0xFEE0
		case r == 0x3000: // ideographic space
			r = ' '
		}
		switch r {
		case '~', '～', '至', '—', '–', '－', '〜':
			r = '-'
		case '•', '・':
			r = '·'
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.TrimSpace(b.String())
}
