package text

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ExtractSkills returns the skills of a free text: the canonical
// vocabulary terms tk finds in it ([Tokenizer.Skills]), then up to
// keywords of its highest-weighted terms under w that are not already
// listed and look like skills (TF-IDF keywords stand in for skills the
// vocabulary does not know yet). w may be nil, or keywords 0, for
// dictionary matches only.
//
// A keyword looks like a skill when it is
//
//   - not a spelling the vocabulary knows (those are matched in context:
//     "go live" names no skill, and neither does its keyword "go"), not a
//     number, and at least two characters long;
//   - not a word of job ads that names no skill (applicant, required,
//     experience, team, 负责, 经验, 岗位…) nor a place (Beijing, Austin,
//     北京);
//   - in Chinese, a noun by gse's dictionary (not a verb, adjective,
//     adverb, number, person or place name);
//   - in Latin letters, written like a technology's name somewhere in s:
//     with a digit or one of + # . / (vue3, c++; not R&D), with a capital inside
//     or in capitals (GraphQL, SAP), or capitalised away from the start of
//     a sentence (Kotlin).
func ExtractSkills(tk *Tokenizer, w *Weighting, s string, keywords int) []string {
	terms, skills := tk.scan(s, nil, nil)
	if w == nil || keywords <= 0 {
		return skills
	}
	added := 0
	var lower string // s with ASCII letters lower-cased, for writtenAsName
	for _, kw := range w.Keywords(terms, len(terms)) {
		if added == keywords {
			break
		}
		if containsString(skills, kw) || !tk.looksLikeSkill(kw, s, &lower) {
			continue
		}
		skills = append(skills, kw)
		added++
	}
	return skills
}

// looksLikeSkill reports whether the keyword kw of s looks like a skill
// (see ExtractSkills). *lower caches s with ASCII letters lower-cased.
func (t *Tokenizer) looksLikeSkill(kw, s string, lower *string) bool {
	if utf8.RuneCountInString(kw) < 2 || isNumber(kw) || notSkillWords[kw] || places[kw] {
		return false
	}
	var buf [64]byte
	if _, known := t.vocab.lookupKey(appendFolded(buf[:0], kw)); known {
		return false
	}
	if strings.IndexFunc(kw, isHan) >= 0 {
		_, pos, ok := segmenter().Find(kw)
		return !ok || nounTags[pos]
	}
	if strings.Contains(kw, "&") { // R&D, Q&A, P&L, M&A
		return false
	}
	if strings.ContainsAny(kw, "+#./") {
		return true
	}
	letters, digits := 0, 0
	for _, r := range kw {
		switch {
		case unicode.IsLetter(r):
			letters++
		case unicode.IsDigit(r):
			digits++
		}
	}
	if digits > 0 { // vue3, web3, but not q3
		return letters >= 2
	}
	if *lower == "" {
		*lower = asciiLower(s)
	}
	return writtenAsName(s, *lower, kw)
}

// asciiLower returns s with its ASCII capitals lower-cased (byte offsets
// unchanged).
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// writtenAsName reports whether the ASCII word kw (lower case) occurs in s
// (lower is s through asciiLower) with a capital inside it or in capitals
// (GraphQL, SAP), or capitalised away from the start of a sentence
// (Kotlin).
func writtenAsName(s, lower, kw string) bool {
	for i := 0; ; i += len(kw) {
		k := strings.Index(lower[i:], kw)
		if k < 0 {
			return false
		}
		i += k
		if (i > 0 && isWordBefore(s, i)) || (i+len(kw) < len(s) && isWordAt(s, i+len(kw))) {
			continue
		}
		surface := s[i : i+len(kw)]
		if hasUpper(surface[1:]) || ('A' <= surface[0] && surface[0] <= 'Z' && !sentenceStart(s, i)) {
			return true
		}
	}
}

// nounTags are gse's part-of-speech tags of nouns that may name a skill
// (common, proper and foreign nouns; not person, place or organisation
// names).
var nounTags = map[string]bool{"n": true, "nz": true, "nw": true, "eng": true, "x": true, "": true}

// notSkillWords are words of job ads and résumés that name no skill.
var notSkillWords = setOf(
	// English
	"applicant", "applicants", "candidate", "candidates", "required", "requirement", "requirements", "require",
	"requires", "responsibilities", "responsibility", "responsible", "experience", "experiences", "experienced",
	"year", "years", "team", "teams", "work", "working", "job", "jobs", "role", "roles", "position", "positions",
	"company", "companies", "salary", "benefits", "strong", "excellent", "good", "great", "ability", "abilities",
	"skill", "skills", "knowledge", "degree", "bachelor", "master", "masters", "phd", "preferred", "plus",
	"familiar", "familiarity", "proficient", "proficiency", "understanding", "solid", "hands-on", "including",
	"related", "field", "tool", "tools", "using", "build", "building", "develop", "developing", "development",
	"design", "designing", "support", "manage", "management", "project", "projects", "product", "products",
	"service", "services", "customer", "customers", "client", "clients", "business", "engineer", "engineers",
	"developer", "developers", "engineering", "senior", "junior", "lead", "manager", "managers", "intern",
	"internship", "full-time", "part-time", "remote", "onsite", "office", "location", "based", "hiring", "hire",
	"apply", "please", "send", "resume", "résumé", "letter", "cover", "email", "opportunity", "opportunities",
	"environment", "culture", "value", "values", "ideal", "nice", "bonus", "competitive", "equity", "health",
	"insurance", "vacation", "day", "days", "week", "weeks", "month", "months", "backend", "frontend",
	"full-stack", "fullstack", "computer", "science", "sciences", "server", "servers", "api", "apis", "ceo", "cto", "cfo", "coo", "vp", "hr", "inc", "ltd", "llc", "co", "team's",
	"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february", "march",
	"april", "june", "july", "august", "september", "october", "november", "december",
	// Chinese
	"负责", "熟悉", "经验", "要求", "岗位", "职位", "工作", "能力", "优先", "公司", "团队", "良好", "具备", "以上",
	"学历", "本科", "硕士", "博士", "大专", "相关", "专业", "项目", "业务", "参与", "完成", "进行", "提供", "客户",
	"沟通", "精通", "了解", "掌握", "熟练", "使用", "具有", "优秀", "薪资", "待遇", "福利", "招聘", "应聘", "简历",
	"面试", "申请", "职责", "描述", "任职", "资格", "工程师", "技术", "研发", "经理", "主管", "实习", "实习生",
	"全职", "兼职", "五险一金", "年终奖", "双休", "加班", "地点", "地址", "时间", "方向", "领域", "行业", "人员",
)

// places are city, country and region names that English job ads name.
var places = setOf(
	"beijing", "shanghai", "shenzhen", "guangzhou", "hangzhou", "nanjing", "chengdu", "wuhan", "xian", "xi'an",
	"suzhou", "tianjin", "chongqing", "hong", "kong", "taipei", "macau", "singapore", "tokyo", "seoul", "london",
	"berlin", "paris", "amsterdam", "dublin", "munich", "zurich", "toronto", "vancouver", "sydney", "melbourne",
	"bangalore", "york", "francisco", "seattle", "austin", "boston", "chicago", "angeles", "denver", "atlanta",
	"dallas", "miami", "china", "us", "usa", "uk", "eu", "emea", "apac", "europe", "asia", "america", "india",
	"japan", "germany", "canada", "australia", "worldwide",
)

func setOf(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

// isNumber reports whether s has no letters (3.5, 3-5, 985).
func isNumber(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return false
		}
	}
	return true
}
