package market_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
)

func TestParseSalary(t *testing.T) {
	day := market.WorkingDaysPerMonth
	for _, tc := range []struct {
		in   string
		want market.Salary
	}{
		// every form of the issue
		{"15k-30k", market.Salary{Min: 15000, Max: 30000}},
		{"15-25K", market.Salary{Min: 15000, Max: 25000}},
		{"20-40K·16薪", market.Salary{Min: 20000, Max: 40000, Months: 16}},
		{"4K-5K", market.Salary{Min: 4000, Max: 5000}},
		{"1.5-2万", market.Salary{Min: 15000, Max: 20000}},
		{"8000-10000元/月", market.Salary{Min: 8000, Max: 10000}},
		{"200元/天", market.Salary{Min: 200 * day, Max: 200 * day}},
		{"面议", market.Salary{Negotiable: true}},
		// forms seen in the real files and on other sites
		{"薪资面议", market.Salary{Negotiable: true}},
		{"150-200元/天", market.Salary{Min: 150 * day, Max: 200 * day}},
		{"15k以上", market.Salary{Min: 15000}},
		{"2k以下", market.Salary{Max: 2000}},
		{"10-15万/年", market.Salary{Min: 100000.0 / 12 * 1, Max: 150000.0 / 12}},
		{"4-6千/月", market.Salary{Min: 4000, Max: 6000}},
		{"8000-10000", market.Salary{Min: 8000, Max: 10000}},
		{"50元/小时", market.Salary{Min: 50 * day * 8, Max: 50 * day * 8}},
		{"10k", market.Salary{Min: 10000, Max: 10000}},
		{"１５Ｋ－２５Ｋ", market.Salary{Min: 15000, Max: 25000}},
		{"15k~25k·13薪", market.Salary{Min: 15000, Max: 25000, Months: 13}},
		{"15-25k 14薪", market.Salary{Min: 15000, Max: 25000, Months: 14}},
		{"", market.Salary{}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := market.ParseSalary(tc.in)
			require.NoError(t, err)
			assert.InDelta(t, tc.want.Min, got.Min, 0.005)
			assert.InDelta(t, tc.want.Max, got.Max, 0.005)
			assert.Equal(t, tc.want.Months, got.Months)
			assert.Equal(t, tc.want.Negotiable, got.Negotiable)
		})
	}
}

func TestParseSalaryErrors(t *testing.T) {
	for _, in := range []string{
		"很多钱", "k-k", "15-", "-15k", "30k-15k", "15-25", "15k-25k·8薪", "15k-25k·16薪·16薪",
		"15k-25k以上", "0k-0k", "1e9k", "15k-25k/天/月", "NaNk", "薪", "元/天", "99999999999k",
	} {
		t.Run(in, func(t *testing.T) {
			_, err := market.ParseSalary(in)
			require.Error(t, err)
			var pe *market.ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "salary", pe.Field)
			assert.Equal(t, in, pe.Input)
			assert.ErrorIs(t, err, market.ErrUnparsable)
			assert.Contains(t, err.Error(), "salary")
		})
	}
}

func TestFormatSalary(t *testing.T) {
	for _, tc := range []struct {
		s    market.Salary
		want string
	}{
		{market.Salary{Negotiable: true}, "面议"},
		{market.Salary{Min: 15000, Max: 25000, Months: 14}, "15000-25000元·14薪"},
		{market.Salary{Min: 15000}, "15000元以上"},
		{market.Salary{Max: 2000}, "2000元以下"},
		{market.Salary{Min: 4350, Max: 4350}, "4350元"},
		{market.Salary{}, ""},
	} {
		assert.Equal(t, tc.want, market.FormatSalary(tc.s))
		back, err := market.ParseSalary(tc.want)
		require.NoError(t, err)
		assert.Equal(t, tc.s, back, tc.want)
	}
}

func TestSalaryMethods(t *testing.T) {
	s := market.Salary{Min: 20000, Max: 40000, Months: 16}
	lo, hi := s.Annual()
	assert.InDelta(t, 320000, lo, 0)
	assert.InDelta(t, 640000, hi, 0)
	assert.InDelta(t, 30000, s.Mid(), 0)
	assert.True(t, s.Known())
	open := market.Salary{Min: 15000}
	assert.InDelta(t, 15000, open.Mid(), 0, "open range: Mid is Min")
	lo, hi = open.Annual()
	assert.InDelta(t, 180000, lo, 0)
	assert.InDelta(t, 0, hi, 0)
	assert.False(t, market.Salary{Negotiable: true}.Known())
	assert.False(t, market.Salary{}.Known())
}

func TestParseExperience(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want market.Range
	}{
		{"3-5年", market.Range{Min: 3, Max: 5}},
		{"经验不限", market.Range{}},
		{"不限", market.Range{}},
		{"无经验", market.Range{}},
		{"", market.Range{}},
		{"应届生", market.Range{Min: 0, Max: 1}},
		{"应届毕业生", market.Range{Min: 0, Max: 1}},
		{"在校/应届", market.Range{Min: 0, Max: 1}},
		{"1年以下", market.Range{Max: 1}},
		{"1年以内", market.Range{Max: 1}},
		{"少于1年", market.Range{Max: 1}},
		{"10年以上", market.Range{Min: 10}},
		{"5年及以上", market.Range{Min: 5}},
		{"3年", market.Range{Min: 3, Max: 3}},
		{"0.5-1年", market.Range{Min: 0.5, Max: 1}},
		{"３－５年", market.Range{Min: 3, Max: 5}},
		{"经验3-5年", market.Range{Min: 3, Max: 5}},
		{"1-3年经验", market.Range{Min: 1, Max: 3}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := market.ParseExperience(tc.in)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
	for _, in := range []string{"十年", "5-3年", "0-0年", "3-5年以上", "年", "0年以下", "100年以上", "x-5年", "3-y年"} {
		_, err := market.ParseExperience(in)
		var pe *market.ParseError
		require.ErrorAs(t, err, &pe, in)
		assert.Equal(t, "experience", pe.Field)
		assert.Equal(t, in, pe.Input)
	}
}

func TestFormatExperience(t *testing.T) {
	for _, tc := range []struct {
		r    market.Range
		want string
	}{
		{market.Range{}, "不限"},
		{market.Range{Min: 3, Max: 5}, "3-5年"},
		{market.Range{Min: 10}, "10年以上"},
		{market.Range{Max: 1}, "1年以下"},
		{market.Range{Min: 2, Max: 2}, "2年"},
	} {
		assert.Equal(t, tc.want, market.FormatExperience(tc.r))
		back, err := market.ParseExperience(tc.want)
		require.NoError(t, err)
		assert.Equal(t, tc.r, back)
	}
}

func TestRange(t *testing.T) {
	r := market.Range{Min: 3, Max: 5}
	assert.True(t, r.Bounded())
	assert.True(t, r.Contains(3))
	assert.True(t, r.Contains(5))
	assert.False(t, r.Contains(5.5))
	assert.False(t, r.Contains(2))
	open := market.Range{Min: 10}
	assert.False(t, open.Bounded())
	assert.True(t, open.Contains(40))
	assert.True(t, market.Range{}.Contains(0))
}

func TestParseEducation(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want market.Education
	}{
		{"大专", market.EducationAssociate},
		{"本科", market.EducationBachelor},
		{"本科及以上", market.EducationBachelor},
		{"硕士", market.EducationMaster},
		{"博士", market.EducationDoctorate},
		{"学历不限", market.EducationAny},
		{"不限", market.EducationAny},
		{"", market.EducationAny},
		{"中专/中技", market.EducationSecondary},
		{"高中", market.EducationSecondary},
		{"初中及以下", market.EducationPrimary},
		{"Bachelor", market.EducationBachelor},
	} {
		got, err := market.ParseEducation(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	_, err := market.ParseEducation("小学毕业证")
	var pe *market.ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, "education", pe.Field)
	assert.EqualError(t, err, `market: cannot parse education "小学毕业证"`)
	assert.True(t, market.EducationBachelor > market.EducationAssociate, "levels are ordered")
}

func TestParseLocation(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want market.Location
	}{
		{"南京·雨花台区·南京南站", market.Location{City: "南京", District: "雨花台区", Zone: "南京南站"}},
		{"北京-海淀区", market.Location{City: "北京", District: "海淀区"}},
		{"上海", market.Location{City: "上海"}},
		{"北京市", market.Location{City: "北京"}},
		{" 南京 · 江宁区 ", market.Location{City: "南京", District: "江宁区"}},
		{"Hong Kong", market.Location{City: "Hong Kong"}},
		{"San Francisco - SoMa", market.Location{City: "San Francisco", District: "SoMa"}},
		{"", market.Location{}},
	} {
		got, err := market.ParseLocation(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	for _, in := range []string{"a·b·c·d", "·", "南京\x00"} {
		_, err := market.ParseLocation(in)
		var pe *market.ParseError
		require.ErrorAs(t, err, &pe, in)
		assert.Equal(t, "location", pe.Field)
	}
	assert.Equal(t, "南京·雨花台区·南京南站", market.Location{City: "南京", District: "雨花台区", Zone: "南京南站"}.String())
	assert.Equal(t, "南京", market.Location{City: "南京"}.String())
}

func TestParseHeadcount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want market.Headcount
	}{
		{"0-20人", market.Headcount{Min: 0, Max: 20}},
		{"150-500人", market.Headcount{Min: 150, Max: 500}},
		{"10000人以上", market.Headcount{Min: 10000}},
		{"少于15人", market.Headcount{Max: 15}},
		{"15人以下", market.Headcount{Max: 15}},
	} {
		got, err := market.ParseHeadcount(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		back, err := market.ParseHeadcount(got.String())
		require.NoError(t, err)
		assert.Equal(t, got, back)
	}
	for _, in := range []string{"", "很多人", "500-150人", "20-人", "0人以下", "10-20人以上", "9999999999人"} {
		_, err := market.ParseHeadcount(in)
		var pe *market.ParseError
		require.ErrorAs(t, err, &pe, in)
		assert.Equal(t, "company size", pe.Field)
	}
}

func TestParseCompanyInfo(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want market.CompanyInfo
	}{
		{"互联网,已上市,10000人以上", market.CompanyInfo{Industry: "互联网", Stage: "已上市", Size: market.Headcount{Min: 10000}}},
		{"计算机软件,不需要融资,10000人以上", market.CompanyInfo{Industry: "计算机软件", Stage: "不需要融资", Size: market.Headcount{Min: 10000}}},
		{"智能硬件,0-20人", market.CompanyInfo{Industry: "智能硬件", Size: market.Headcount{Max: 20}}},
		{"互联网,D轮及以上,1000-9999人", market.CompanyInfo{Industry: "互联网", Stage: "D轮及以上", Size: market.Headcount{Min: 1000, Max: 9999}}},
		{"电力/热力/燃气/水利，已上市", market.CompanyInfo{Industry: "电力/热力/燃气/水利", Stage: "已上市"}},
	} {
		got, err := market.ParseCompanyInfo(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
	for _, in := range []string{"", ",,", "a,b", "A轮,B轮", "0-20人,20-99人"} {
		_, err := market.ParseCompanyInfo(in)
		var pe *market.ParseError
		require.ErrorAs(t, err, &pe, in)
		assert.Equal(t, "company_info", pe.Field)
	}
}

func TestNormalizeTitle(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"高级Java开发工程师（研发平台）", "高级java开发工程师"},
		{"Java开发工程师(研发OD招聘)", "java开发工程师"},
		{"JAVA 开发工程师", "java开发工程师"},
		{"【急招】数据分析师", "数据分析师"},
		{"Ｊａｖａ工程师", "java工程师"},
		{"(急招)", "急招"},
		{"Java开发工程师/Java架构师", "java开发工程师java架构师"},
	} {
		assert.Equal(t, tc.want, market.NormalizeTitle(tc.in), tc.in)
	}
}

func TestDuplicateKey(t *testing.T) {
	a := market.Profile{Company: "示例", Title: "Java 工程师", City: "南京", Salary: market.Salary{Min: 1, Max: 2}}
	b := a
	b.Title = "java工程师（急）"
	assert.Equal(t, market.DuplicateKey(&a), market.DuplicateKey(&b))
	b.Salary.Months = 13
	assert.NotEqual(t, market.DuplicateKey(&a), market.DuplicateKey(&b), "months paid differ")
}

// Fuzz tests: no panic, and every value a parser returns formats to text
// that parses back to the same value.

func FuzzParseSalary(f *testing.F) {
	for _, s := range []string{"15k-30k", "15-25K", "20-40K·16薪", "4K-5K", "1.5-2万", "8000-10000元/月",
		"200元/天", "面议", "15k以上", "2k以下", "10-15万/年", "50元/小时", "１５Ｋ", "", "k", "-", "·薪"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := market.ParseSalary(s)
		if err != nil {
			var pe *market.ParseError
			if !assert.ErrorAs(t, err, &pe) {
				return
			}
			assert.Equal(t, s, pe.Input)
			return
		}
		checkSalary(t, s, v)
		if v == (market.Salary{}) {
			return
		}
		text := market.FormatSalary(v)
		back, err := market.ParseSalary(text)
		require.NoError(t, err, "%q → %+v → %q", s, v, text)
		assert.Equal(t, v, back, "%q → %q", s, text)
	})
}

func checkSalary(t *testing.T, in string, v market.Salary) {
	t.Helper()
	for _, x := range []float64{v.Min, v.Max} {
		assert.False(t, math.IsNaN(x) || math.IsInf(x, 0) || x < 0, "%q: %+v", in, v)
	}
	if v.Max > 0 {
		assert.LessOrEqual(t, v.Min, v.Max, in)
	}
	p := market.Profile{ID: "x", Side: market.Recruiter, Salary: v, Registered: market.Boss2024.CrawlDate()}
	assert.NoError(t, p.Validate(), in)
}

func FuzzParseExperience(f *testing.F) {
	for _, s := range []string{"3-5年", "经验不限", "不限", "应届生", "1年以下", "10年以上", "3年", "0.5-1年", "少于1年", "", "年", "-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := market.ParseExperience(s)
		if err != nil {
			var pe *market.ParseError
			require.ErrorAs(t, err, &pe)
			return
		}
		assert.GreaterOrEqual(t, r.Min, 0.0)
		if r.Bounded() {
			assert.LessOrEqual(t, r.Min, r.Max)
		}
		text := market.FormatExperience(r)
		back, err := market.ParseExperience(text)
		require.NoError(t, err, "%q → %+v → %q", s, r, text)
		assert.Equal(t, r, back)
	})
}

func FuzzParseEducation(f *testing.F) {
	for _, s := range []string{"本科", "大专", "硕士", "博士", "学历不限", "中专/中技", "本科及以上", "", "bachelor"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := market.ParseEducation(s)
		if err != nil {
			var pe *market.ParseError
			require.ErrorAs(t, err, &pe)
			return
		}
		require.True(t, e.Valid())
		text, err := e.MarshalText()
		require.NoError(t, err)
		var back market.Education
		require.NoError(t, back.UnmarshalText(text))
		assert.Equal(t, e, back)
	})
}

func FuzzParseLocation(f *testing.F) {
	for _, s := range []string{"南京·雨花台区·南京南站", "北京-海淀区", "上海", "北京市", "a·b·c·d", "", "·", "市"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := market.ParseLocation(s)
		if err != nil {
			var pe *market.ParseError
			require.ErrorAs(t, err, &pe)
			return
		}
		for _, part := range []string{l.City, l.District, l.Zone} {
			assert.True(t, utf8.ValidString(part))
		}
		if l.City == "" {
			assert.Equal(t, market.Location{}, l)
			return
		}
		back, err := market.ParseLocation(l.String())
		require.NoError(t, err, "%q → %q", s, l.String())
		// A city written "市市" loses one 市 per round; compare after one.
		if !strings.HasSuffix(l.City, "市") {
			assert.Equal(t, l, back)
		}
	})
}

func FuzzParseCompanyInfo(f *testing.F) {
	for _, s := range []string{"互联网,已上市,10000人以上", "智能硬件,0-20人", "计算机软件,B轮,500-999人", "", ",", "少于15人"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := market.ParseCompanyInfo(s)
		if err != nil {
			var pe *market.ParseError
			require.ErrorAs(t, err, &pe)
			return
		}
		assert.NotEqual(t, market.CompanyInfo{}, c)
		if c.Size != (market.Headcount{}) {
			back, err := market.ParseHeadcount(c.Size.String())
			require.NoError(t, err)
			assert.Equal(t, c.Size, back)
		}
	})
}

func FuzzNormalizeTitle(f *testing.F) {
	for _, s := range []string{"高级Java开发工程师（研发平台）", "(急招)", "", "Ｊａｖａ", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := market.NormalizeTitle(s)
		assert.True(t, utf8.ValidString(n))
		assert.Equal(t, n, market.NormalizeTitle(n), "idempotent")
	})
}

// FuzzReadPostings feeds arbitrary bytes to every format: the reader never
// panics, the counts add up, and every profile it returns is valid.
func FuzzReadPostings(f *testing.F) {
	f.Add(uint8(4), "address,company,company_info,job_name,job_time,need,salary\n南京·雨花台区,a,\"互联网,0-20人\",Java,\"3-5年,本科\",Go,15-25K\n")
	f.Add(uint8(5), "{\"jobname\":\"x\",\"salary\":\"面议\",\"workingExp\":\"不限\",\"eduLevel\":\"本科\",\"name\":\"c\"}\n")
	f.Add(uint8(3), "company_name,position_name,salary,city,work_years,education,advantage,desc,mark\na,b,10k-20k,北京,1-3年,本科,\"x,y\",https://x/1.html,0\n")
	f.Add(uint8(1), "positionName,salary,workYear,education,city,companyFullName,positionId\nx,1k-2k,不限,本科,上海,c,1\n")
	f.Add(uint8(3), "company_name,position_name,salary,city,work_years,education\na,\"b,10k-20k,北京,1-3年,本科\nc,d,10k-20k,北京,1-3年,\"本科\n\ne,f,1k,北京,不限,\"x\ny\"\n")
	f.Fuzz(func(t *testing.T, format uint8, data string) {
		ps, rep, err := market.ReadPostings(strings.NewReader(data), market.PostingConfig{Format: market.PostingFormat(format % 6), Source: "fuzz"})
		if err != nil {
			return
		}
		rejected := 0
		for _, n := range rep.Rejected {
			rejected += n
		}
		assert.Equal(t, rep.Rows, rep.Parsed+rejected)
		assert.Equal(t, rep.Parsed-rep.Duplicates, len(ps))
		for i := range ps {
			assert.NoError(t, ps[i].Validate())
		}
	})
}

func ExampleParseSalary() {
	for _, raw := range []string{"15k-30k", "20-40K·16薪", "1.5-2万", "200元/天", "面议"} {
		s, err := market.ParseSalary(raw)
		if err != nil {
			fmt.Println(err)
			continue
		}
		lo, hi := s.Annual()
		fmt.Printf("%s → %+v, annual %.0f-%.0f\n", raw, s, lo, hi)
	}
	_, err := market.ParseSalary("很多钱")
	fmt.Println(err)
	// Output:
	// 15k-30k → {Min:15000 Max:30000 Months:0 Negotiable:false}, annual 180000-360000
	// 20-40K·16薪 → {Min:20000 Max:40000 Months:16 Negotiable:false}, annual 320000-640000
	// 1.5-2万 → {Min:15000 Max:20000 Months:0 Negotiable:false}, annual 180000-240000
	// 200元/天 → {Min:4350 Max:4350 Months:0 Negotiable:false}, annual 52200-52200
	// 面议 → {Min:0 Max:0 Months:0 Negotiable:true}, annual 0-0
	// market: cannot parse salary "很多钱": not a number with a unit
}

func ExampleParseLocation() {
	l, err := market.ParseLocation("南京·雨花台区·南京南站")
	fmt.Printf("%q %q %q %v\n", l.City, l.District, l.Zone, err)
	e, _ := market.ParseExperience("3-5年")
	fmt.Println(e, market.FormatExperience(e))
	// Output:
	// "南京" "雨花台区" "南京南站" <nil>
	// {3 5} 3-5年
}

func TestWorkplace(t *testing.T) {
	for in, want := range map[string]market.Workplace{
		"": market.WorkplaceUnknown, "remote": market.WorkplaceRemote, "远程办公": market.WorkplaceRemote,
		" On-site ": market.WorkplaceOnsite, "坐班": market.WorkplaceOnsite, "hybrid": market.WorkplaceHybrid, "混合办公": market.WorkplaceHybrid,
	} {
		got, err := market.ParseWorkplace(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := market.ParseWorkplace("moon")
	var pe *market.ParseError
	require.ErrorAs(t, err, &pe)
	for w := market.WorkplaceUnknown; w <= market.WorkplaceHybrid; w++ {
		b, err := w.MarshalText()
		require.NoError(t, err)
		var back market.Workplace
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, w, back)
	}
	_, err = market.Workplace(9).MarshalText()
	require.ErrorIs(t, err, market.ErrOutOfRange)
	p := market.Profile{ID: "j", Side: market.Recruiter, Workplace: 9, Registered: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	var fe *market.FieldError
	require.ErrorAs(t, p.Validate(), &fe)
	assert.Equal(t, "Workplace", fe.Field)
}
