// Command postings shows twoway's preprocessing of real-looking data: it
// reads a handful of raw Chinese job postings (embedded below, written for
// this example in the layouts of two real job sites) into typed
// market.Profile values, and prints what the preprocessing understood, what
// it rejected and why, and which postings were the same job crawled twice.
//
// Run it with
//
//	go run ./examples/postings
package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/twowayrec/twoway/market"
)

// bossCSV is a crawl in the layout of boss.zhipin.com 2024: the header line
// repeats where a second crawl was appended, one posting appears in both
// crawls with a slightly different title, and one row has a salary nobody
// can read.
const bossCSV = `address,company,company_info,job_name,job_time,need,salary
南京·雨花台区·软件大道,青禾数据,"计算机软件,B轮,100-499人",Java后端开发工程师,"3-5年,本科","Java,Spring Boot,MySQL,Redis",18-30K·14薪
南京·建邺区·奥体,远帆科技,"互联网,已上市,10000人以上",数据分析师,"1-3年,硕士","SQL,Python,数据分析",15-25K
南京·江宁区·九龙湖,蓝鲸物联,"智能硬件,20-99人",嵌入式软件实习生,"5天/周,6个月,本科","C,Linux",150-200元/天
南京,小橘互娱,"游戏,未融资,0-20人",游戏策划,"经验不限,大专",,面议
address,company,company_info,job_name,job_time,need,salary
南京·雨花台区·软件大道,青禾数据,"计算机软件,B轮,100-499人",JAVA 后端开发工程师（急招）,"3-5年,本科","Java,Spring Boot",18-30K·14薪
南京·鼓楼区·新街口,星图咨询,"企业服务,A轮,20-99人",算法工程师,"5-10年,博士","机器学习,推荐系统",薪水很高
`

// zhilianJSONL is a crawl in the layout of zhaopin.com 2020: one JSON
// object a line, with the full job description.
const zhilianJSONL = `{"jobname":"Python开发工程师","name":"北辰云科技有限公司","jobarea":"北京-海淀区","salary":"1.5-2万","workingExp":"应届毕业生","eduLevel":"本科","size":"100-499人","job_skills":"Python\nDjango\nMySQL","job_highlights":"五险一金\n弹性工作","job_detail":"岗位职责：\n1、负责后台服务开发；\n任职要求：\n1、熟悉Python。","joburl":"https://jobs.example.com/CC100001.htm","crawltime":"Sat Feb 22 22:58:03 2020"}
{"jobname":"数据工程师","name":"北辰云科技有限公司","jobarea":"北京-朝阳区","salary":"8000-10000元/月","workingExp":"10年以上","eduLevel":"学历不限","size":"100-499人","job_skills":"Spark\nHive","job_highlights":"年底双薪","job_detail":"负责数据仓库建设。","joburl":"https://jobs.example.com/CC100002.htm","crawltime":"Sat Feb 22 22:59:20 2020"}
`

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "postings:", err)
		os.Exit(1)
	}
}

// run parses the embedded postings and writes what it found to w.
func run(w io.Writer) error {
	// One PostingDedup for both crawls: a job posted on two sites, or
	// crawled twice, is kept once.
	dedup := &market.PostingDedup{}
	for _, file := range []struct {
		source string
		format market.PostingFormat
		data   string
	}{
		{"boss-demo", market.Boss2024, bossCSV},
		{"zhilian-demo", market.Zhilian2020, zhilianJSONL},
	} {
		ps, rep, err := market.ReadPostings(strings.NewReader(file.data), market.PostingConfig{
			Format: file.format, Source: file.source, Dedup: dedup,
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "== %s (%s)\n", file.source, file.format)
		for _, p := range ps {
			printPosting(w, &p)
		}
		fmt.Fprintf(w, "rows %d, parsed %d, duplicates dropped %d, coverage %.0f%% of data rows\n", rep.Rows, rep.Parsed, rep.Duplicates, 100*rep.Coverage())
		for _, reason := range rep.Reasons() {
			fmt.Fprintf(w, "rejected (%s): %d\n", reason, rep.Rejected[reason])
		}
		for _, e := range rep.Errors {
			if e.Reason != market.RejectHeader {
				fmt.Fprintf(w, "  %v\n", e)
			}
		}
		fmt.Fprintln(w)
	}

	fmt.Fprintln(w, "== salary forms")
	for _, raw := range []string{"15k-30k", "15-25K", "20-40K·16薪", "4K-5K", "1.5-2万", "8000-10000元/月", "200元/天", "面议"} {
		s, err := market.ParseSalary(raw)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s → %s\n", raw, describeSalary(s))
	}
	return nil
}

func printPosting(w io.Writer, p *market.Profile) {
	loc := market.Location{City: p.City, District: p.District, Zone: p.Zone}
	fmt.Fprintf(w, "%s\n", p.ID)
	fmt.Fprintf(w, "  %s @ %s (%s) in %s\n", p.Title, p.Company, orDash(p.Industry), loc)
	education := "any"
	if p.Education != market.EducationAny {
		education = "≥ " + p.Education.String()
	}
	fmt.Fprintf(w, "  salary %s; experience %s; education %s\n", describeSalary(p.Salary), market.FormatExperience(p.Experience), education)
	if len(p.Skills) > 0 {
		fmt.Fprintf(w, "  skills %s\n", strings.Join(p.Skills, ", "))
	}
	if len(p.Tags) > 0 {
		fmt.Fprintf(w, "  tags %s\n", strings.Join(p.Tags, ", "))
	}
}

// describeSalary writes a Salary in words: the monthly range, the months
// paid and the yearly range.
func describeSalary(s market.Salary) string {
	switch {
	case s.Negotiable:
		return "negotiable (面议)"
	case !s.Known():
		return "unknown"
	}
	months := s.Months
	if months == 0 {
		months = 12
	}
	lo, hi := s.Annual()
	yuan := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	return fmt.Sprintf("%s-%s CNY/month × %d = %s-%s CNY/year", yuan(s.Min), yuan(s.Max), months, yuan(lo), yuan(hi))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
