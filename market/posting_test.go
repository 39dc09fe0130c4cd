package market_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/realdata"
	"github.com/twowayrec/twoway/market"
)

// postingFiles are the files of ../shared/data/jobs-zh (see its README).
var postingFiles = []string{
	"boss_2019_java.csv",
	"boss_2024_java_nanjing.csv",
	"lagou_2017_data_analyst.csv",
	"lagou_2019_data_analyst.csv",
	"lagou_2019_java.csv",
	"zhilian_2020_python_beijing.jsonl",
}

// TestRealPostingsParse reads every file of real postings and requires that
// at least 99% of the data rows of each parse, that the repeated header
// lines of boss_2024_java_nanjing.csv are rejected as headers, and that every
// profile is a valid recruiter.
func TestRealPostingsParse(t *testing.T) {
	for _, name := range postingFiles {
		t.Run(name, func(t *testing.T) {
			path := realdata.Require(t, "jobs-zh/"+name)
			ps, rep, err := market.LoadPostingFile(path, market.PostingConfig{})
			require.NoError(t, err)
			rejected := 0
			for _, n := range rep.Rejected {
				rejected += n
			}
			assert.Equal(t, rep.Rows, rep.Parsed+rejected, "rows = parsed + rejected")
			assert.Equal(t, rep.Parsed-rep.Duplicates, len(ps), "returned = parsed - duplicates")
			assert.GreaterOrEqual(t, rep.Coverage(), 0.99, "share of data rows parsed; rejected %v; first errors %v", rep.Rejected, rep.Errors)
			ids := make(map[string]bool, len(ps))
			for i := range ps {
				p := &ps[i]
				require.NoError(t, p.Validate())
				assert.Equal(t, market.Recruiter, p.Side)
				assert.NotEmpty(t, p.Title, p.ID)
				assert.True(t, strings.HasPrefix(p.ID, strings.TrimSuffix(name, filepath.Ext(name))+":"), p.ID)
				assert.False(t, ids[p.ID], "duplicate ID %s", p.ID)
				ids[p.ID] = true
				assert.True(t, p.Salary.Known() || p.Salary.Negotiable, "%s: salary %+v", p.ID, p.Salary)
			}
			if name == "boss_2024_java_nanjing.csv" {
				assert.Equal(t, 20, rep.Rejected[market.RejectHeader], "repeated header lines")
				for _, e := range rep.Errors {
					assert.Equal(t, market.RejectHeader, e.Reason, e.Error())
				}
			} else {
				assert.Zero(t, rep.Rejected[market.RejectHeader])
			}
			t.Logf("%s: rows %d, parsed %d, rejected %v, duplicates %d (%d across), negotiable %d",
				name, rep.Rows, rep.Parsed, rep.Rejected, rep.Duplicates, rep.DuplicatesAcross, rep.Negotiable)
		})
	}
}

// TestRealPostingsFields checks, on known rows of the real files, that the
// columns land in the right Profile fields.
func TestRealPostingsFields(t *testing.T) {
	byID := func(t *testing.T, name string) map[string]market.Profile {
		path := realdata.Require(t, "jobs-zh/"+name)
		ps, _, err := market.LoadPostingFile(path, market.PostingConfig{KeepDuplicates: true})
		require.NoError(t, err)
		m := make(map[string]market.Profile, len(ps))
		for _, p := range ps {
			m[p.ID] = p
		}
		return m
	}
	t.Run("boss2024", func(t *testing.T) {
		path := realdata.Require(t, "jobs-zh/boss_2024_java_nanjing.csv")
		ps, _, err := market.LoadPostingFile(path, market.PostingConfig{})
		require.NoError(t, err)
		var xiaomi *market.Profile
		for i := range ps {
			if ps[i].Company == "小米" && strings.HasPrefix(ps[i].Title, "高级Java开发工程师") {
				xiaomi = &ps[i]
				break
			}
		}
		require.NotNil(t, xiaomi, "the 小米 posting of the file's first lines")
		assert.Equal(t, "南京", xiaomi.City)
		assert.Equal(t, "建邺区", xiaomi.District)
		assert.Equal(t, "江东", xiaomi.Zone)
		assert.Equal(t, "互联网", xiaomi.Industry)
		assert.Equal(t, market.Salary{Min: 20000, Max: 40000, Months: 16}, xiaomi.Salary)
		assert.Equal(t, market.Range{Min: 3, Max: 5}, xiaomi.Experience)
		assert.Equal(t, market.EducationBachelor, xiaomi.Education)
		assert.Contains(t, xiaomi.Skills, "MyBatis")
		assert.InDelta(t, 10000, xiaomi.Attributes["company_size_min"], 0)
		assert.Equal(t, time.Date(2024, 1, 1, 0, 0, 0, 0, market.ChinaStandardTime), xiaomi.Registered)
		// The later crawls of the file write skills in skill_tags.
		withSkills := 0
		for _, p := range ps {
			if len(p.Skills) > 0 {
				withSkills++
			}
		}
		assert.Greater(t, float64(withSkills)/float64(len(ps)), 0.9)
	})
	t.Run("lagou2017", func(t *testing.T) {
		m := byID(t, "lagou_2017_data_analyst.csv")
		p, ok := m["lagou_2017_data_analyst:2537336"]
		require.True(t, ok)
		assert.Equal(t, "数据分析师", p.Title)
		assert.Equal(t, "上海", p.City)
		assert.Equal(t, "张江", p.Zone)
		assert.Equal(t, market.EducationMaster, p.Education)
		assert.Equal(t, market.Range{Min: 0, Max: 1}, p.Experience, "应届毕业生")
		assert.Equal(t, market.Salary{Min: 7000, Max: 9000}, p.Salary)
		assert.Equal(t, []string{"分析师", "数据分析", "数据挖掘", "数据"}, p.Tags)
		assert.Equal(t, "移动互联网", p.Industry)
	})
	t.Run("lagou2019", func(t *testing.T) {
		path := realdata.Require(t, "jobs-zh/lagou_2019_data_analyst.csv")
		ps, _, err := market.LoadPostingFile(path, market.PostingConfig{})
		require.NoError(t, err)
		p := ps[0]
		assert.Equal(t, "Senior Data Analyst", p.Title)
		assert.Equal(t, "东城区", p.District)
		assert.Equal(t, []string{"数据分析", "SQL", "数据库"}, p.Skills)
		assert.InDelta(t, 1.0, p.Attributes["resume_process_rate"], 1e-12)
		assert.InDelta(t, 1, p.Attributes["resume_process_days"], 0)
		assert.InDelta(t, 39.894495, p.Attributes["latitude"], 1e-9)
		withRate := 0
		for _, p := range ps {
			if r, ok := p.Attributes["resume_process_rate"]; ok {
				withRate++
				assert.True(t, r >= 0 && r <= 1, "%s: rate %v", p.ID, r)
			}
		}
		assert.Equal(t, len(ps), withRate)
	})
	t.Run("zhilian2020", func(t *testing.T) {
		path := realdata.Require(t, "jobs-zh/zhilian_2020_python_beijing.jsonl")
		ps, rep, err := market.LoadPostingFile(path, market.PostingConfig{})
		require.NoError(t, err)
		p := ps[0]
		assert.Equal(t, "大数据分析工程师", p.Title)
		assert.Equal(t, "北京", p.City)
		assert.Equal(t, "海淀区", p.District)
		assert.Equal(t, []string{"需求分析", "数据挖掘", "数据分析"}, p.Skills)
		assert.Contains(t, p.Tags, "五险一金")
		assert.Contains(t, p.Text, "岗位职责")
		assert.Equal(t, time.Date(2020, 2, 22, 22, 58, 3, 0, market.ChinaStandardTime), p.Registered)
		assert.Equal(t, 13, rep.Negotiable, "薪资面议 rows")
		neg := 0
		for _, p := range ps {
			if p.Salary.Negotiable {
				neg++
				assert.Zero(t, p.Salary.Min)
			}
		}
		assert.Positive(t, neg)
	})
	t.Run("listing2019", func(t *testing.T) {
		m := byID(t, "lagou_2019_java.csv")
		p, ok := m["lagou_2019_java:5178589"]
		require.True(t, ok)
		assert.Equal(t, "中高级java工程师", p.Title)
		assert.Equal(t, "链上科技", p.Company)
		assert.Equal(t, []string{"零食水果", "14薪", "六险一金", "扁平管理"}, p.Tags)
		assert.Equal(t, market.Salary{Min: 20000, Max: 40000}, p.Salary)
	})
}

// TestLoadPostingDir checks that duplicates are found across files, and
// logs the per-file parse table (go test -run TestLoadPostingDir -v).
func TestLoadPostingDir(t *testing.T) {
	path := realdata.Require(t, "jobs-zh/boss_2019_java.csv")
	all, reps, err := market.LoadPostingDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, reps, len(postingFiles))
	var table strings.Builder
	table.WriteString("\n| file | format | rows | parsed | rejected by reason | duplicates (within + across files) | 面议 | coverage |\n|---|---|---:|---:|---|---:|---:|---:|\n")
	for _, r := range reps {
		var rej []string
		for _, reason := range r.Reasons() {
			rej = append(rej, fmt.Sprintf("%s: %d", reason, r.Rejected[reason]))
		}
		if len(rej) == 0 {
			rej = []string{"none"}
		}
		fmt.Fprintf(&table, "| %s | %s | %d | %d | %s | %d (%d + %d) | %d | %.2f%% |\n", r.Source, r.Format, r.Rows, r.Parsed,
			strings.Join(rej, ", "), r.Duplicates, r.Duplicates-r.DuplicatesAcross, r.DuplicatesAcross, r.Negotiable, 100*r.Coverage())
	}
	t.Log(table.String())
	total, dups, across := 0, 0, 0
	for i, r := range reps {
		assert.Equal(t, strings.TrimSuffix(postingFiles[i], filepath.Ext(postingFiles[i])), r.Source)
		total += r.Parsed
		dups += r.Duplicates
		across += r.DuplicatesAcross
	}
	assert.Equal(t, total-dups, len(all))
	assert.Positive(t, across, "the 2019 lagou files share postings")
	keys := make(map[string]bool, len(all))
	for i := range all {
		k := market.DuplicateKey(&all[i])
		assert.False(t, keys[k], "duplicate returned: %s", all[i].ID)
		keys[k] = true
	}
}

func TestReadPostingsSynthetic(t *testing.T) {
	const boss = "address,company,company_info,job_name,job_time,need,salary\n" +
		"上海·浦东新区·张江,示例科技,\"互联网,B轮,100-499人\",Go开发工程师,\"1-3年,本科\",\"Go,Kubernetes\",15-25K·14薪\n" +
		"address,company,company_info,job_name,job_time,need,salary,skill_tags\n" +
		"上海·浦东新区·张江,示例科技,\"互联网,B轮,100-499人\",Go开发工程师（后端）,\"1-3年,本科\",,15-25K·14薪,\"Go\"\n" +
		"上海,示例科技,\"互联网,B轮,100-499人\",实习生,\"5天/周,6个月,本科\",,150-200元/天,\n" +
		"上海,示例科技,,,\"1-3年,本科\",,10-15K,\n" +
		"上海,示例科技,,测试,\"1-3年,本科\",,很多钱,\n" +
		"上海,示例科技,,测试,\"十年,本科\",,10-15K,\n" +
		"上海,示例科技,,测试,\"1-3年,小学毕业\",,10-15K,\n" +
		"上海·a·b·c,示例科技,,测试,\"1-3年,本科\",,10-15K,\n" +
		"上海\n"
	ps, rep, err := market.ReadPostings(strings.NewReader(boss), market.PostingConfig{Format: market.Boss2024, Source: "t"})
	require.NoError(t, err)
	assert.Equal(t, 10, rep.Rows)
	assert.Equal(t, 3, rep.Parsed)
	assert.Equal(t, 1, rep.Duplicates, "title in brackets differs only")
	assert.Equal(t, map[market.RejectReason]int{
		market.RejectHeader: 1, market.RejectTitle: 1, market.RejectSalary: 1, market.RejectExperience: 1,
		market.RejectEducation: 1, market.RejectLocation: 1, market.RejectColumns: 1,
	}, rep.Rejected)
	assert.Equal(t, []market.RejectReason{ // sorted by name
		market.RejectEducation, market.RejectExperience, market.RejectLocation, market.RejectSalary,
		market.RejectColumns, market.RejectTitle, market.RejectHeader,
	}, rep.Reasons())
	assert.InDelta(t, 3.0/9, rep.Coverage(), 1e-12)
	require.Len(t, ps, 2)
	assert.Equal(t, market.Salary{Min: 15000, Max: 25000, Months: 14}, ps[0].Salary)
	assert.Equal(t, []string{"Go", "Kubernetes"}, ps[0].Skills)
	intern := ps[1]
	assert.Equal(t, market.Salary{Min: 150 * market.WorkingDaysPerMonth, Max: 200 * market.WorkingDaysPerMonth}, intern.Salary)
	assert.Equal(t, market.Range{}, intern.Experience)
	assert.Equal(t, []string{"实习", "5天/周", "6个月"}, intern.Tags)
	for _, e := range rep.Errors {
		assert.Contains(t, e.Error(), "postings t row ")
	}
	var pe *market.ParseError
	for _, e := range rep.Errors {
		if e.Reason == market.RejectSalary {
			require.ErrorAs(t, e, &pe)
			assert.Equal(t, "salary", pe.Field)
			assert.Equal(t, "很多钱", pe.Input)
			assert.ErrorIs(t, e, market.ErrUnparsable)
		}
	}

	// KeepDuplicates returns the duplicate with a distinct ID.
	ps, _, err = market.ReadPostings(strings.NewReader(boss), market.PostingConfig{Format: market.Boss2024, KeepDuplicates: true})
	require.NoError(t, err)
	require.Len(t, ps, 3)
	assert.NotEqual(t, ps[0].ID, ps[1].ID)
	assert.True(t, strings.HasPrefix(ps[0].ID, "boss2024:h"), ps[0].ID)
}

func TestReadPostingsErrors(t *testing.T) {
	_, _, err := market.ReadPostings(strings.NewReader("a,b\n"), market.PostingConfig{})
	assert.ErrorIs(t, err, market.ErrUnknownFormat)
	assert.Contains(t, err.Error(), "PostingConfig.Format")

	_, _, err = market.ReadPostings(strings.NewReader("a,b\n1,2\n"), market.PostingConfig{Format: market.Lagou2017})
	assert.ErrorIs(t, err, market.ErrUnknownFormat)
	assert.Contains(t, err.Error(), `"positionName"`)

	_, _, err = market.ReadPostings(strings.NewReader(""), market.PostingConfig{Format: market.Listing2019})
	assert.ErrorContains(t, err, "reading header")

	_, _, err = market.ReadPostings(&failingReader{}, market.PostingConfig{Format: market.Zhilian2020})
	assert.ErrorIs(t, err, errDisk)

	ps, rep, err := market.ReadPostings(strings.NewReader("{\"jobname\": 1}\nnot json\n\n{\"jobname\":\"x\",\"salary\":\"面议\",\"workingExp\":\"不限\",\"eduLevel\":\"本科\",\"name\":\"c\"}\n"),
		market.PostingConfig{Format: market.Zhilian2020})
	require.NoError(t, err)
	assert.Equal(t, 3, rep.Rows)
	assert.Equal(t, map[market.RejectReason]int{market.RejectColumns: 1, market.RejectSyntax: 1}, rep.Rejected)
	require.Len(t, ps, 1)
	assert.True(t, ps[0].Salary.Negotiable)
	assert.Equal(t, market.Zhilian2020.CrawlDate(), ps[0].Registered)

	_, _, err = market.LoadPostingFile("/nonexistent/x.csv", market.PostingConfig{})
	assert.ErrorIs(t, err, market.ErrUnknownFormat)
	_, _, err = market.LoadPostingFile("/nonexistent/boss_2024_x.csv", market.PostingConfig{})
	assert.Error(t, err)
}

var errDisk = errors.New("disk on fire")

type failingReader struct{}

func (*failingReader) Read([]byte) (int, error) { return 0, errDisk }

func TestPostingFormatOf(t *testing.T) {
	for _, tc := range []struct {
		name string
		want market.PostingFormat
	}{
		{"lagou_2017_data_analyst.csv", market.Lagou2017},
		{"/x/y/lagou_2019_data_analyst.csv", market.Lagou2019},
		{"lagou_2019_java.csv", market.Listing2019},
		{"boss_2019_java.csv", market.Listing2019},
		{"boss_2024_java_nanjing.csv", market.Boss2024},
		{"zhilian_2020_python_beijing.jsonl", market.Zhilian2020},
	} {
		got, err := market.PostingFormatOf(tc.name)
		require.NoError(t, err, tc.name)
		assert.Equal(t, tc.want, got, tc.name)
		assert.True(t, got.Valid())
		assert.False(t, got.CrawlDate().IsZero())
	}
	_, err := market.PostingFormatOf("README.md")
	assert.ErrorIs(t, err, market.ErrUnknownFormat)
	assert.Equal(t, "PostingFormat(0)", market.PostingFormat(0).String())
	assert.True(t, market.PostingFormat(0).CrawlDate().IsZero())
	assert.Equal(t, "boss2024", market.Boss2024.String())
	for f := market.Lagou2017; f <= market.Zhilian2020; f++ {
		b, err := f.MarshalText()
		require.NoError(t, err)
		var back market.PostingFormat
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, f, back)
	}
	_, err = market.PostingFormat(9).MarshalText()
	assert.ErrorIs(t, err, market.ErrUnknownFormat)
	_, err = market.ParsePostingFormat("monster2030")
	assert.ErrorIs(t, err, market.ErrUnknownFormat)
	b, err := json.Marshal(market.PostingConfig{Format: market.Lagou2019})
	require.NoError(t, err)
	assert.Contains(t, string(b), `"format":"lagou2019"`)
}

func TestPostingDedup(t *testing.T) {
	var d market.PostingDedup
	a := market.Profile{Company: "示例科技", Title: "Java开发工程师", City: "南京", Salary: market.Salary{Min: 15000, Max: 25000}}
	b := a
	b.Title = "JAVA 开发工程师（急招）"
	c := a
	c.City = "上海"
	_, dup := d.Seen(&a, "crawl1")
	assert.False(t, dup)
	first, dup := d.Seen(&b, "crawl2")
	assert.True(t, dup)
	assert.Equal(t, "crawl1", first)
	_, dup = d.Seen(&c, "crawl2")
	assert.False(t, dup, "another city is another job")
}

func ExampleReadPostings() {
	const file = "address,company,company_info,job_name,job_time,need,salary\n" +
		"南京·雨花台区·南京南站,示例软件,\"计算机软件,A轮,20-99人\",Java开发工程师,\"3-5年,本科\",\"Java,Spring\",20-40K·16薪\n" +
		"address,company,company_info,job_name,job_time,need,salary\n" +
		"南京·建邺区·奥体,示例网络,\"互联网,0-20人\",数据分析师,\"经验不限,大专\",SQL,面议\n"
	ps, rep, err := market.ReadPostings(strings.NewReader(file), market.PostingConfig{Format: market.Boss2024, Source: "demo"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range ps {
		fmt.Println(p.Title, p.City, p.District, p.Zone, market.FormatSalary(p.Salary), market.FormatExperience(p.Experience), p.Education, p.Skills)
	}
	fmt.Printf("rows %d, parsed %d, rejected %v\n", rep.Rows, rep.Parsed, rep.Rejected)
	// Output:
	// Java开发工程师 南京 雨花台区 南京南站 20000-40000元·16薪 3-5年 bachelor [Java Spring]
	// 数据分析师 南京 建邺区 奥体 面议 不限 associate [SQL]
	// rows 3, parsed 2, rejected map[repeated header:1]
}

// A row whose own ID reads like a renamed duplicate ("5~2") does not
// collide with the renamed one, and a renamed ID stays within MaxIDLen;
// a JSON Lines row longer than the reader's limit is rejected alone, the
// other rows kept.
func TestReadPostingsIDsAndLongLines(t *testing.T) {
	hdr := "city,companyFullName,companySize,education,positionId,positionName,salary,workYear\n"
	long := strings.Repeat("9", market.MaxIDLen-len("lagou2017:"))
	csv := hdr +
		"北京,A公司,,本科,5,数据分析,10k-20k,3-5年\n" +
		"北京,B公司,,本科,5,数据工程,10k-20k,3-5年\n" +
		"北京,C公司,,本科,5~2,数据科学,10k-20k,3-5年\n" +
		"北京,D公司,,本科," + long + ",职位一,10k-20k,3-5年\n" +
		"北京,E公司,,本科," + long + ",职位二,10k-20k,3-5年\n"
	ps, rep, err := market.ReadPostings(strings.NewReader(csv), market.PostingConfig{Format: market.Lagou2017})
	require.NoError(t, err)
	require.Equal(t, 5, rep.Parsed)
	seen := map[string]bool{}
	for _, p := range ps {
		assert.False(t, seen[p.ID], "ID %q returned twice", p.ID)
		seen[p.ID] = true
		assert.NoError(t, p.Validate())
	}
	assert.Len(t, ps, 5)

	line := `{"jobname":"数据分析","salary":"10k-20k","workingExp":"","eduLevel":"","name":"A公司","jobarea":"北京"}`
	other := `{"jobname":"数据工程","salary":"10k-20k","workingExp":"","eduLevel":"","name":"B公司","jobarea":"北京"}`
	big := `{"jobname":"` + strings.Repeat("x", 17<<20) + `"}`
	ps, rep, err = market.ReadPostings(strings.NewReader(line+"\n"+big+"\n"+other), market.PostingConfig{Format: market.Zhilian2020})
	require.NoError(t, err, "one long line is a bad row, never fatal")
	assert.Equal(t, 3, rep.Rows)
	assert.Equal(t, 2, rep.Parsed)
	assert.Equal(t, 1, rep.Rejected[market.RejectSyntax])
	assert.Len(t, ps, 2)
}

// TestReadPostingsUnclosedQuote: a quote that opens a field and never
// closes takes, in a CSV reader, the lines after it as the rest of the
// field; the reader rejects that record's first line and reads the rows
// after it, wherever the runaway field would have ended. Multi-line quoted
// fields that close are read as written.
func TestReadPostingsUnclosedQuote(t *testing.T) {
	const header = "company_name,position_name,salary,city,work_years,education,advantage\n"
	row := func(company string) string {
		return company + ",Java开发,10k-20k,南京,3-5年,本科,五险一金\n"
	}
	companies := func(ps []market.Profile) (out []string) {
		for _, p := range ps {
			out = append(out, p.Company)
		}
		return out
	}
	for _, tc := range []struct {
		name, file string
		want       []string
		line       int // of the unclosed quote; 0: none
	}{
		{"a middle field, to the end of the file",
			header + row("A") + `B,"Java开发,10k-20k,南京,3-5年,本科,双休` + "\n" + row("C") + row("D") + row("E"),
			[]string{"A", "C", "D", "E"}, 3},
		{"the last field, to the end of the file",
			header + row("A") + `B,Java开发,10k-20k,南京,3-5年,本科,"双休` + "\n" + row("C") + row("D"),
			[]string{"A", "C", "D"}, 3},
		{"closed by a later row's quote",
			header + row("A") + "\n" + `B,"Java开发,10k-20k,南京,3-5年,本科,双休` + "\n" + row("C") + `D,Java开发,10k-20k,南京,3-5年,本科,"五险一金,双休"` + "\n" + row("E"),
			[]string{"A", "C", "D", "E"}, 4},
		{"multi-line fields that close",
			header + row("A") + "B,Java开发,10k-20k,南京,3-5年,本科,\"五险一金\r\n双休\"\r\n" + row("C") + "D,\"Java\n开发\",10k-20k,南京,3-5年,本科,双休",
			[]string{"A", "B", "C", "D"}, 0},
		{"a multi-line last field that closes at the end",
			header + row("A") + "B,Java开发,10k-20k,南京,3-5年,本科,\"五险一金\n双休\"",
			[]string{"A", "B"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps, rep, err := market.ReadPostings(strings.NewReader(tc.file), market.PostingConfig{Format: market.Listing2019})
			require.NoError(t, err)
			assert.Equal(t, tc.want, companies(ps))
			// The same bytes a byte at a time, and with the last read
			// returning io.EOF beside its data, read the same.
			for _, r := range []io.Reader{iotest.OneByteReader(strings.NewReader(tc.file)), iotest.DataErrReader(strings.NewReader(tc.file))} {
				again, rep2, err := market.ReadPostings(r, market.PostingConfig{Format: market.Listing2019})
				require.NoError(t, err)
				assert.Equal(t, tc.want, companies(again))
				assert.Equal(t, rep.Rejected, rep2.Rejected)
			}
			if tc.line == 0 {
				assert.Empty(t, rep.Rejected)
				return
			}
			assert.Equal(t, map[market.RejectReason]int{market.RejectSyntax: 1}, rep.Rejected)
			require.Len(t, rep.Errors, 1)
			assert.Contains(t, rep.Errors[0].Error(), fmt.Sprintf("line %d: a quote opens a field and does not close it", tc.line))
			assert.Equal(t, rep.Rows, rep.Parsed+1)
		})
	}
	ps, _, err := market.ReadPostings(strings.NewReader(header+"B,Java开发,10k-20k,南京,3-5年,本科,\"五险一金\n双休\"\n"), market.PostingConfig{Format: market.Listing2019})
	require.NoError(t, err)
	require.Len(t, ps, 1)
	assert.Equal(t, []string{"五险一金\n双休"}, ps[0].Tags, "a closed multi-line field is one field, newline kept")

	// Every line opens a quote: each would run to the end of the file, and
	// reading again after each would be quadratic; the bound on re-reading
	// stops it after a few.
	_, rep, err := market.ReadPostings(strings.NewReader(header+strings.Repeat(`B,"Java开发,10k-20k,南京`+"\n", 200_000)), market.PostingConfig{Format: market.Listing2019})
	require.NoError(t, err)
	assert.Less(t, rep.Rejected[market.RejectSyntax], 10)
	assert.Equal(t, rep.Rows, rep.Rejected[market.RejectSyntax]+rep.Rejected[market.RejectColumns])
}
