package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out))
	got := out.String()
	for _, want := range []string{
		// typed fields of a boss posting
		"  Java后端开发工程师 @ 青禾数据 (计算机软件) in 南京·雨花台区·软件大道\n" +
			"  salary 18000-30000 CNY/month × 14 = 252000-420000 CNY/year; experience 3-5年; education ≥ bachelor\n" +
			"  skills Java, Spring Boot, MySQL, Redis\n",
		// a daily rate converted with 21.75 working days a month; internship schedule kept as tags
		"  salary 3262.5-4350 CNY/month × 12 = 39150-52200 CNY/year; experience 不限; education ≥ bachelor\n  skills C, Linux\n  tags 实习, 5天/周, 6个月\n",
		// 面议 is its own value
		"  salary negotiable (面议); experience 不限; education ≥ associate\n",
		// the report: the repeated header and the unreadable salary are rejected by reason, the recrawl is a duplicate
		"rows 7, parsed 5, duplicates dropped 1, coverage 83% of data rows\nrejected (bad salary): 1\nrejected (repeated header): 1\n",
		`market: postings boss-demo row 7: bad salary: market: cannot parse salary "薪水很高"`,
		// zhaopin JSON lines: ID from the URL, district from 北京-海淀区, 应届毕业生 as under one year
		"zhilian-demo:CC100001\n  Python开发工程师 @ 北辰云科技有限公司 (-) in 北京·海淀区\n" +
			"  salary 15000-20000 CNY/month × 12 = 180000-240000 CNY/year; experience 1年以下; education ≥ bachelor\n",
		"  salary 8000-10000 CNY/month × 12 = 96000-120000 CNY/year; experience 10年以上; education any\n",
		"rows 2, parsed 2, duplicates dropped 0, coverage 100% of data rows\n",
		// every salary form of the issue
		"20-40K·16薪 → 20000-40000 CNY/month × 16 = 320000-640000 CNY/year\n",
		"1.5-2万 → 15000-20000 CNY/month × 12 = 180000-240000 CNY/year\n",
		"200元/天 → 4350-4350 CNY/month × 12 = 52200-52200 CNY/year\n",
		"面议 → negotiable (面议)\n",
	} {
		assert.Contains(t, got, want)
	}
	assert.Equal(t, 6, strings.Count(got, "\n  salary "), "six postings printed (one duplicate dropped, one rejected)")
	assert.NotContains(t, got, "（急招）", "the recrawled duplicate is not printed")

	var again bytes.Buffer
	require.NoError(t, run(&again))
	assert.Equal(t, got, again.String(), "deterministic")
}
