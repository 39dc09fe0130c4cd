package match

import (
	"slices"
	"strings"

	"github.com/twowayrec/twoway/text"
)

// genericWords are the generic title words of [GenericTerm], as canonical
// terms of text's vocabulary (lower case), sorted.
var genericWords = sorted(
	// Chinese: functions, fields and seniority that job titles carry
	// (Java后端开发工程师 → 后端开发, 开发; 高级数据分析师 → 高级, 数据, 分析).
	"中级", "互联网", "产品", "分析", "初级", "前端", "后台", "后端", "岗位", "平台", "技术",
	"数据", "研发", "移动互联网", "管理岗", "系统", "职位", "计算机", "资深", "软件",
	"运营", "实习", "高级",
	// English: the same words in English titles (Senior Data Engineer,
	// Backend Developer).
	"analysis", "back end", "backend", "data", "development", "engineering",
	"front end", "frontend", "full stack", "fullstack", "head", "junior", "principal",
	"senior", "software", "staff",
)

// roleSuffixes end the names of roles: a term that is one of them or ends
// in one (工程师, 数据分析师, 产品经理, 后端开发, python开发; engineer,
// data engineer) names a job, not a skill.
var roleSuffixes = []string{
	"专员", "主管", "分析师", "助理", "实习生", "工程师", "开发", "总监", "架构师",
	"经理", "设计师", "讲师", "顾问",
	"analyst", "architect", "assistant", "associate", "consultant", "designer",
	"developer", "director", "engineer", "intern", "internship", "lead", "manager",
	"officer", "programmer", "specialist",
}

// genericNamesEN are English names of the Chinese generic words that
// text's vocabulary has none for, so that an English explanation says
// "both mention development", not 开发.
var genericNamesEN = map[string]string{
	"专员": "specialist", "中级": "mid-level", "主管": "supervisor", "互联网": "internet",
	"产品": "product", "分析": "analysis", "分析师": "analyst", "初级": "junior",
	"前端": "frontend", "助理": "assistant", "后台": "backend", "后端": "backend",
	"实习": "internship", "实习生": "intern", "岗位": "position", "工程师": "engineer",
	"平台": "platform", "开发": "development", "总监": "director", "技术": "technology",
	"数据": "data", "架构师": "architect", "研发": "R&D", "移动互联网": "mobile internet",
	"管理岗": "management", "系统": "systems", "经理": "manager", "职位": "position",
	"计算机": "computing", "讲师": "instructor", "设计师": "designer", "资深": "senior",
	"软件": "software", "运营": "operations", "顾问": "consultant", "高级": "senior",
}

func sorted(ws ...string) []string {
	slices.Sort(ws)
	return ws
}

// GenericTerm reports whether term is a generic title word: a word that
// names a role, a broad field or function, or a seniority, rather than
// something a person can do. Job titles are full of them, so the tokenizer
// finds them as skills in most profiles of a field, and "4 shared skills:
// mysql, redis, 后端开发, 开发" says less than "2 shared skills: mysql,
// redis".
//
// The rule is explicit, not a frequency (java on a Java market is on most
// profiles and still a skill), so it gives the same answer on every market
// and every Fit. A term is generic when, after text.Clean, it is
//
//   - one of the words of [GenericTerms] (开发, 数据, 分析, 后端开发, 高级;
//     data, senior, backend, development), or
//   - a role: one of the role words or a term ending in one (工程师,
//     分析师, 经理, 专员, 开发, 产品经理, 数据分析师, 后端开发, python开发;
//     engineer, developer, analyst, manager, data engineer), Latin ones
//     as a whole word.
//
// Specific compounds stay skills: 数据分析, 数据挖掘, 大数据, 数据库,
// 机器学习, 测试, data analysis. Explanations show generic words as words of
// the title or description ([ReasonTitle], [ReasonText]) and never count
// them as shared skills; ExplainOptions.Generic replaces this rule.
func GenericTerm(term string) bool {
	t := text.Clean(term)
	if _, ok := slices.BinarySearch(genericWords, t); ok {
		return true
	}
	for _, s := range roleSuffixes {
		if t == s {
			return true
		}
		if rest, ok := strings.CutSuffix(t, s); ok && rest != "" {
			if s[0] >= 0x80 || strings.HasSuffix(rest, " ") {
				return true // 数据分析师; "data engineer", not "leadengineer"
			}
		}
	}
	return false
}

// GenericTerms returns the words of [GenericTerm] and then its role words,
// each list sorted.
func GenericTerms() []string {
	return slices.Concat(genericWords, sorted(slices.Clone(roleSuffixes)...))
}
