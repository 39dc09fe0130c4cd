package match

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/text"
)

// kind is one reason kind's name and its words in each language. The words
// are a function of the reason's data alone (Terms, Labels, Expanded,
// Values) and of who reads it, so that [Explanation.Localize] can render
// a reason again; a kind's words in both languages sit side by side here.
type kind struct {
	name   string
	en, zh func(w *wording) string
}

// kinds holds every kind, by ReasonKind. Sentences leave out their
// subject, the candidate, say "you" to the requester, and put the
// requester's side of a comparison in brackets in English ("pays 12k–18k a
// month (you expect 18k–25k)") and after a comma in Chinese ("月薪12k–18k，
// 你期望18k–25k"), so that a list of reasons can be joined with "; " or
// "；".
var kinds = [numReasonKinds]kind{
	ReasonSimilar: {name: "similar",
		en: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "little alike in what the profiles say"
			}
			return "alike in what the profiles say"
		},
		zh: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "双方资料内容相差较大"
			}
			return "双方资料内容相近"
		},
	},
	ReasonPopular: {name: "popular",
		en: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "few of the people shown it act on it (about " + w.percent() + ")"
			}
			return "many of the people shown it act on it (about " + w.percent() + ")"
		},
		zh: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "看到的人中很少有积极回应（约" + w.percent() + "）"
			}
			return "看到的人中很多有积极回应（约" + w.percent() + "）"
		},
	},
	ReasonResponsive: {name: "responsive",
		en: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "you answer few contacts (about " + w.percent() + ")"
			}
			return "you answer most contacts (about " + w.percent() + ")"
		},
		zh: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "你很少回复联系（约" + w.percent() + "）"
			}
			return "你常回复联系（约" + w.percent() + "）"
		},
	},
	ReasonContactedYou: {name: "contacted-you",
		en: func(w *wording) string { return "contacted you first" },
		zh: func(w *wording) string { return "已主动联系你" },
	},
	ReasonGenerosity: {name: "generosity",
		en: func(w *wording) string { return "you act on about " + w.percent() + " of the profiles you are shown" },
		zh: func(w *wording) string { return "你对约" + w.percent() + "看到的资料有积极行动" },
	},
	ReasonLikeYourChoices: {name: "like-your-choices",
		en: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "unlike the profiles you chose before"
			}
			return "like the profiles you chose before"
		},
		zh: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "与你以前选择的不同"
			}
			return "与你以前选择的相似"
		},
	},
	ReasonPeersChose: {name: "peers-chose",
		en: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "people who choose like you passed over it"
			}
			return "people who choose like you acted on it"
		},
		zh: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "和你选择相似的人没有选择TA"
			}
			return "和你选择相似的人选择了TA"
		},
	},
	ReasonTaste: {name: "taste",
		en: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "unlike what people with your choices go for"
			}
			return "fits the tastes your choices show"
		},
		zh: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "不太符合你的选择所体现的偏好"
			}
			return "符合你的选择所体现的偏好"
		},
	},
	ReasonTheirTaste: {name: "their-taste",
		en: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "its choices so far lean away from profiles like yours"
			}
			return "its choices so far lean toward profiles like yours"
		},
		zh: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "TA以往的选择与你的资料不太相符"
			}
			return "TA以往的选择偏向你这样的资料"
		},
	},
	ReasonEmbedding: {name: "embedding",
		en: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "the profiles read differently"
			}
			return "the profiles read alike"
		},
		zh: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "双方资料语义差别较大"
			}
			return "双方资料语义相近"
		},
	},
	ReasonPeersAgree: {name: "peers-agree",
		en: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "people who decide as you do passed it over more than they usually do"
			}
			return "people who decide as you do said yes to it more than they usually do"
		},
		zh: func(w *wording) string {
			if w.r.Contribution < 0 {
				return "和你取舍相近的人比平时更少选择TA"
			}
			return "和你取舍相近的人比平时更多选择TA"
		},
	},
	ReasonSharedSkills: {name: "shared-skills",
		en: func(w *wording) string { return w.count("shared skill", "shared skills") + ": " + w.list() },
		zh: func(w *wording) string { return "共同技能：" + w.list() },
	},
	ReasonSharedTags: {name: "shared-tags",
		en: func(w *wording) string {
			s := w.count("shared tag", "shared tags") + ": " + w.list()
			switch {
			case len(w.r.Expanded) == len(w.r.Terms):
				s += " (by tag expansion)"
			case len(w.r.Expanded) > 0:
				s += " (" + strings.Join(w.labelsOf(w.r.Expanded), ", ") + " by tag expansion)"
			}
			return s
		},
		zh: func(w *wording) string {
			s := "共同标签：" + w.list()
			switch {
			case len(w.r.Expanded) == len(w.r.Terms):
				s += "（由关联规则扩展而来）"
			case len(w.r.Expanded) > 0:
				s += zhJoin("（", strings.Join(w.labelsOf(w.r.Expanded), "、"), "由关联规则扩展而来）")
			}
			return s
		},
	},
	ReasonCity: {name: "city",
		en: func(w *wording) string {
			v := &w.r.Values
			switch {
			case v.CandidateCity == "":
				return "city not stated"
			case v.CandidateCity == v.RequesterCity:
				return "both in " + v.CandidateCity + w.district(", ", "")
			case v.RequesterCity == "":
				return "in " + v.CandidateCity + w.district(", ", "")
			case w.you == market.Recruiter:
				return "lives in " + v.CandidateCity + w.district(", ", "") + " (the job is in " + v.RequesterCity + ")"
			}
			return "in " + v.CandidateCity + w.district(", ", "") + " (you are in " + v.RequesterCity + ")"
		},
		zh: func(w *wording) string {
			v := &w.r.Values
			switch {
			case v.CandidateCity == "":
				return "未写城市"
			case v.CandidateCity == v.RequesterCity:
				return zhJoin("同在", v.CandidateCity, w.district("（", "）"))
			case w.you == market.Recruiter:
				s := zhJoin("人在", v.CandidateCity, w.district("（", "）"))
				if v.RequesterCity != "" {
					s += zhJoin("，职位在", v.RequesterCity)
				}
				return s
			}
			s := zhJoin("工作地点在", v.CandidateCity, w.district("（", "）"))
			if v.RequesterCity != "" {
				s += zhJoin("，你在", v.RequesterCity)
			}
			return s
		},
	},
	ReasonSalary: {name: "salary",
		en: func(w *wording) string {
			e, o := w.r.Values.Expected, w.r.Values.Offered
			if w.you == market.Seeker {
				var offer, expect string
				switch {
				case o.Known():
					offer = "pays " + moneyEN(o) + " a month" + monthsEN(o)
				case o.Negotiable:
					offer = "pay negotiable"
				default:
					offer = "pay not stated"
				}
				switch {
				case e.Known():
					expect = "you expect " + moneyEN(e)
				case e.Negotiable:
					expect = "your expectation is negotiable"
				default:
					expect = "you state no expected pay"
				}
				return offer + " (" + expect + ")"
			}
			var expect, offer string
			switch {
			case e.Known():
				expect = "expects " + moneyEN(e) + " a month"
			case e.Negotiable:
				expect = "expected pay negotiable"
			default:
				expect = "states no expected pay"
			}
			switch {
			case o.Known():
				offer = "you pay " + moneyEN(o) + monthsEN(o)
			case o.Negotiable:
				offer = "your pay is negotiable"
			default:
				offer = "you state no pay"
			}
			return expect + " (" + offer + ")"
		},
		zh: func(w *wording) string {
			e, o := w.r.Values.Expected, w.r.Values.Offered
			if w.you == market.Seeker {
				var offer, expect string
				switch {
				case o.Known():
					offer = "月薪" + moneyZH(o) + monthsZH(o)
				case o.Negotiable:
					offer = "薪资面议"
				default:
					offer = "未写薪资"
				}
				switch {
				case e.Known():
					expect = "你期望" + moneyZH(e)
				case e.Negotiable:
					expect = "你期望面议"
				default:
					expect = "你未写期望薪资"
				}
				return offer + "，" + expect
			}
			var expect, offer string
			switch {
			case e.Known():
				expect = "期望月薪" + moneyZH(e)
			case e.Negotiable:
				expect = "期望薪资面议"
			default:
				expect = "未写期望薪资"
			}
			switch {
			case o.Known():
				offer = "你给" + moneyZH(o) + monthsZH(o)
			case o.Negotiable:
				offer = "你的薪资面议"
			default:
				offer = "你未写薪资"
			}
			return expect + "，" + offer
		},
	},
	ReasonExperience: {name: "experience",
		en: func(w *wording) string {
			y, req := w.r.Values.Years, w.r.Values.Required
			if w.you == market.Seeker {
				s := "no experience required"
				if !anyYears(req) {
					s = "asks for " + yearsEN(req) + " of experience"
				}
				if y > 0 {
					return s + " (you have " + pluralEN(y, "year", "years") + ")"
				}
				return s + " (you list none)"
			}
			s := "lists no experience"
			if y > 0 {
				s = "has " + pluralEN(y, "year", "years") + " of experience"
			}
			if anyYears(req) {
				return s + " (you accept any)"
			}
			return s + " (you ask for " + yearsEN(req) + ")"
		},
		zh: func(w *wording) string {
			y, req := w.r.Values.Years, w.r.Values.Required
			if w.you == market.Seeker {
				s := "经验不限"
				if !anyYears(req) {
					s = "要求" + yearsZH(req) + "经验"
				}
				if y > 0 {
					return s + "，你有" + num(y) + "年经验"
				}
				return s + "，你未写工作年限"
			}
			s := "未写工作年限"
			if y > 0 {
				s = "有" + num(y) + "年经验"
			}
			if anyYears(req) {
				return s + "，你经验不限"
			}
			return s + "，你要求" + yearsZH(req)
		},
	},
	ReasonEducation: {name: "education",
		en: func(w *wording) string {
			have, req := w.r.Values.Education, w.r.Values.MinEducation
			if w.you == market.Seeker {
				s := "no degree required"
				if req != market.EducationAny {
					s = "asks for " + educationMinEN(req)
				}
				if have == market.EducationAny {
					return s + " (you state none)"
				}
				return s + " (you have " + educationEN(have) + ")"
			}
			s := "states no education"
			if have != market.EducationAny {
				s = "has " + educationEN(have)
			}
			if req == market.EducationAny {
				return s + " (you require none)"
			}
			return s + " (you ask for " + educationMinEN(req) + ")"
		},
		zh: func(w *wording) string {
			have, req := w.r.Values.Education, w.r.Values.MinEducation
			if w.you == market.Seeker {
				s := "学历不限"
				if req != market.EducationAny {
					s = "要求" + educationMinZH(req)
				}
				if have == market.EducationAny {
					return s + "，你未写学历"
				}
				return s + "，你是" + educationZH(have)
			}
			s := "未写学历"
			if have != market.EducationAny {
				s = educationZH(have) + "学历"
			}
			if req == market.EducationAny {
				return s + "，你学历不限"
			}
			return s + "，你要求" + educationMinZH(req)
		},
	},
	ReasonContent: {name: "content",
		en: func(w *wording) string { return w.name("feature") },
		zh: func(w *wording) string { return w.name("特征") },
	},
	ReasonSkills: {name: "skills",
		en: func(w *wording) string {
			if w.you == market.Seeker {
				return "asks for " + w.list()
			}
			return "knows " + w.list()
		},
		zh: func(w *wording) string {
			if w.you == market.Seeker {
				return "技能要求：" + w.list()
			}
			return "掌握技能：" + w.list()
		},
	},
	ReasonTags: {name: "tags",
		en: func(w *wording) string { return "tagged " + w.list() },
		zh: func(w *wording) string { return "标签：" + w.list() },
	},
	ReasonSharedWords: {name: "shared-words",
		en: func(w *wording) string { return "both mention " + w.list() },
		zh: func(w *wording) string { return "都提到：" + w.list() },
	},
	ReasonTitle: {name: "title",
		en: func(w *wording) string {
			if w.you == market.Seeker {
				return "the job title mentions " + w.list()
			}
			return "their job title mentions " + w.list()
		},
		zh: func(w *wording) string {
			if w.you == market.Seeker {
				return "职位名称提到：" + w.list()
			}
			return "意向职位提到：" + w.list()
		},
	},
	ReasonText: {name: "text",
		en: func(w *wording) string {
			switch l := w.list(); {
			case w.you == market.Seeker && l == "":
				return "the wording of the posting"
			case w.you == market.Seeker:
				return "the posting mentions " + l
			case l == "":
				return "the wording of their profile"
			default:
				return "their profile mentions " + l
			}
		},
		zh: func(w *wording) string {
			switch l := w.list(); {
			case w.you == market.Seeker && l == "":
				return "职位信息的用词"
			case w.you == market.Seeker:
				return "职位信息提到：" + l
			case l == "":
				return "简历的用词"
			default:
				return "简历提到：" + l
			}
		},
	},
	ReasonIndustry: {name: "industry",
		en: func(w *wording) string {
			in := "in the "
			if w.you == market.Recruiter {
				in = "from the "
			}
			return in + w.list() + " " + w.noun("industry", "industries")
		},
		zh: func(w *wording) string {
			if w.you == market.Seeker {
				return "所属行业：" + w.list()
			}
			return "行业背景：" + w.list()
		},
	},
	ReasonAttribute: {name: "attribute",
		en: func(w *wording) string { return "profile " + w.noun("attribute", "attributes") + ": " + w.list() },
		zh: func(w *wording) string { return "资料属性：" + w.list() },
	},
}

// maxListed is how many words a sentence of the kinds of words names; the
// rest are counted.
const maxListed = 5

// wording is what a kind's words see: the reason, the requester's side
// and the language.
type wording struct {
	r    *Reason
	you  market.Side // the requester's side
	lang text.Language
}

// say returns reason r in language lang for a requester on side you.
func say(lang text.Language, you market.Side, r *Reason) string {
	if r.Kind < ReasonSharedSkills || r.Kind >= numReasonKinds {
		return r.Kind.String()
	}
	w := &wording{r: r, you: you, lang: lang}
	if lang == text.Chinese {
		return kinds[r.Kind].zh(w)
	}
	return kinds[r.Kind].en(w)
}

// percent returns the reason's Value as a whole percentage ("34%").
func (w *wording) percent() string {
	return strconv.Itoa(int(math.Round(100*min(max(w.r.Value, 0), 1)))) + "%"
}

// labelsOf returns the labels of the given terms of the reason.
func (w *wording) labelsOf(terms []string) []string {
	out := make([]string, 0, len(terms))
	for _, t := range terms {
		l := t
		for i, u := range w.r.Terms {
			if u == t && i < len(w.r.Labels) {
				l = w.r.Labels[i]
			}
		}
		out = append(out, l)
	}
	return out
}

// shown returns the labels of the reason's terms (the terms themselves
// where there are no labels).
func (w *wording) shown() []string {
	if len(w.r.Labels) == len(w.r.Terms) {
		return w.r.Labels
	}
	return w.r.Terms
}

// list names the reason's terms; for the kinds of words, at most
// maxListed of them, leaving out fragments (a single Chinese character, a
// number) and words inside another listed one: "开发, 数据 and 3 more";
// "开发、数据等5项"; "" when every word is a fragment.
func (w *wording) list() string {
	ls := w.shown()
	if !words(w.r.Kind) {
		if w.lang == text.Chinese {
			return strings.Join(ls, "、")
		}
		return strings.Join(ls, ", ")
	}
	var keep []string
	for i, l := range ls {
		if !fragment(w.r.Terms[i]) && !within(w.r.Terms[i], w.r.Terms) {
			keep = append(keep, l)
		}
	}
	ls = keep
	if w.lang == text.Chinese {
		if len(ls) > maxListed {
			return strings.Join(ls[:maxListed], "、") + "等" + strconv.Itoa(len(ls)) + "项"
		}
		return strings.Join(ls, "、")
	}
	if len(ls) > maxListed {
		return strings.Join(ls[:maxListed], ", ") + " and " + strconv.Itoa(len(ls)-maxListed) + " more"
	}
	return strings.Join(ls, ", ")
}

// within reports whether term is part of another of terms (开发 of 后端开发,
// data of "data analysis"), so that a sentence need not name both.
func within(term string, terms []string) bool {
	for _, u := range terms {
		if u == term || !strings.Contains(u, term) {
			continue
		}
		r, _ := utf8.DecodeRuneInString(term)
		if !isLatin(r) {
			return true
		}
		for _, f := range strings.Fields(u) {
			if f == term {
				return true
			}
		}
	}
	return false
}

// fragment reports whether a word says nothing alone: a single Chinese
// character (优, 做: pieces of a phrase the segmenter split), or no letter
// at all (a number).
func fragment(term string) bool {
	n, letters := 0, 0
	for _, r := range term {
		n++
		if unicode.IsLetter(r) {
			letters++
		}
	}
	if letters == 0 {
		return true
	}
	r, _ := utf8.DecodeRuneInString(term)
	return n == 1 && isHan(r)
}

// count is "1 shared skill", "3 shared skills".
func (w *wording) count(one, many string) string {
	return pluralEN(float64(len(w.r.Terms)), one, many)
}

// noun is one or many by the number of terms.
func (w *wording) noun(one, many string) string {
	if len(w.r.Terms) == 1 {
		return one
	}
	return many
}

// district is the candidate's district between open and close, or "".
func (w *wording) district(open, close string) string {
	if d := w.r.Values.District; d != "" {
		return open + d + close
	}
	return ""
}

// name is an unnamed feature's name, or the word for "feature" alone.
func (w *wording) name(feature string) string {
	if len(w.r.Terms) > 0 {
		return w.r.Terms[0]
	}
	return feature
}

// pluralEN is "1 year", "1.5 years", "3 years".
func pluralEN(n float64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return num(n) + " " + many
}

// num formats a count or a number of years: 3, 1.5.
func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// anyYears reports whether a required range asks for nothing.
func anyYears(r market.Range) bool { return r.Min == 0 && !r.Bounded() }

// yearsEN is a required range: "3 years", "1–3 years", "5+ years".
func yearsEN(r market.Range) string {
	switch {
	case !r.Bounded():
		return num(r.Min) + "+ years"
	case r.Min == r.Max:
		return pluralEN(r.Min, "year", "years")
	case r.Min == 0:
		return "up to " + pluralEN(r.Max, "year", "years")
	}
	return num(r.Min) + "–" + num(r.Max) + " years"
}

// yearsZH is a required range: "3年", "1–3年", "5年以上".
func yearsZH(r market.Range) string {
	switch {
	case !r.Bounded():
		return num(r.Min) + "年以上"
	case r.Min == r.Max:
		return num(r.Min) + "年"
	case r.Min == 0:
		return num(r.Max) + "年以内"
	}
	return num(r.Min) + "–" + num(r.Max) + "年"
}

// money is a monthly amount: "12k", "12.5k", "800".
func money(x float64) string {
	if x >= 1000 {
		return num(x/1000) + "k"
	}
	return num(x)
}

// moneyEN is a known monthly range: "12k–18k", "15k+", "up to 2k".
func moneyEN(s market.Salary) string {
	switch {
	case s.Max == 0:
		return money(s.Min) + "+"
	case s.Min == 0:
		return "up to " + money(s.Max)
	case s.Min == s.Max:
		return money(s.Min)
	}
	return money(s.Min) + "–" + money(s.Max)
}

// moneyZH is a known monthly range: "12k–18k", "15k以上", "2k以下".
func moneyZH(s market.Salary) string {
	switch {
	case s.Max == 0:
		return money(s.Min) + "以上"
	case s.Min == 0:
		return money(s.Max) + "以下"
	case s.Min == s.Max:
		return money(s.Min)
	}
	return money(s.Min) + "–" + money(s.Max)
}

// monthsEN is ", 14 months a year" beyond the usual 12, else "".
func monthsEN(s market.Salary) string {
	if s.Months > 12 {
		return ", " + strconv.Itoa(s.Months) + " months a year"
	}
	return ""
}

// monthsZH is "·14薪" beyond the usual 12, else "".
func monthsZH(s market.Salary) string {
	if s.Months > 12 {
		return "·" + strconv.Itoa(s.Months) + "薪"
	}
	return ""
}

// The education levels in words: what a seeker has, and what a job asks
// for at least (EducationAny is handled by the callers).
var (
	educationNamesEN = [...]string{"", "a primary-school education", "a secondary-school education", "an associate degree", "a bachelor's degree", "a master's degree", "a doctorate"}
	educationNamesZH = [...]string{"", "初中及以下", "高中/中专", "大专", "本科", "硕士", "博士"}
	educationMinsEN  = [...]string{"", "a primary-school education or above", "a secondary-school education or above", "an associate degree or above", "a bachelor's degree or above", "a master's degree or above", "a doctorate"}
	educationMinsZH  = [...]string{"", "初中及以上", "高中/中专及以上", "大专及以上", "本科及以上", "硕士及以上", "博士"}
)

func educationEN(e market.Education) string    { return level(educationNamesEN[:], e) }
func educationZH(e market.Education) string    { return level(educationNamesZH[:], e) }
func educationMinEN(e market.Education) string { return level(educationMinsEN[:], e) }
func educationMinZH(e market.Education) string { return level(educationMinsZH[:], e) }

func level(names []string, e market.Education) string {
	if int(e) < len(names) && names[e] != "" {
		return names[e]
	}
	return e.String()
}

// EducationLabel is how education level e reads in lang: a seeker's
// ("本科", "a bachelor's degree"; EducationAny: "未写学历", "not stated"),
// or with required a job's minimum ("本科及以上", "a bachelor's degree or
// above"; EducationAny: "学历不限", "no degree required"). Languages other
// than text.Chinese get English.
func EducationLabel(e market.Education, lang text.Language, required bool) string {
	zh := lang == text.Chinese
	switch {
	case e == market.EducationAny && required && zh:
		return "学历不限"
	case e == market.EducationAny && required:
		return "no degree required"
	case e == market.EducationAny && zh:
		return "未写学历"
	case e == market.EducationAny:
		return "not stated"
	case required && zh:
		return educationMinZH(e)
	case required:
		return educationMinEN(e)
	case zh:
		return educationZH(e)
	}
	return educationEN(e)
}

// ExperienceLabel is how a job's required range of years reads in lang
// ("1–3年", "1–3 years"; "5年以上", "5+ years"; the zero Range "经验不限",
// "any experience").
func ExperienceLabel(r market.Range, lang text.Language) string {
	switch {
	case anyYears(r) && lang == text.Chinese:
		return "经验不限"
	case anyYears(r):
		return "any experience"
	case lang == text.Chinese:
		return yearsZH(r)
	}
	return yearsEN(r)
}

// SalaryLabel is how a monthly pay range reads in lang ("12k–18k·14薪",
// "12k–18k a month, 14 months a year"; "15k以上", "15k+ a month"; 面议:
// "面议", "negotiable"; the zero Salary "未写", "not stated").
func SalaryLabel(s market.Salary, lang text.Language) string {
	zh := lang == text.Chinese
	switch {
	case s.Known() && zh:
		return moneyZH(s) + monthsZH(s)
	case s.Known():
		return moneyEN(s) + " a month" + monthsEN(s)
	case s.Negotiable && zh:
		return "面议"
	case s.Negotiable:
		return "negotiable"
	case zh:
		return "未写"
	}
	return "not stated"
}

// zhJoin concatenates the parts of a Chinese sentence, with a space where a
// Chinese character meets a Latin letter (同在 Austin, 要求 Go), as
// Chinese typesetting asks; digits and punctuation join without one.
func zhJoin(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			last, _ := utf8.DecodeLastRuneInString(b.String())
			first, _ := utf8.DecodeRuneInString(p)
			if isHan(last) && isLatin(first) || isLatin(last) && isHan(first) {
				b.WriteByte(' ')
			}
		}
		b.WriteString(p)
	}
	return b.String()
}

func isHan(r rune) bool   { return unicode.Is(unicode.Han, r) }
func isLatin(r rune) bool { return r < utf8.RuneSelf && unicode.IsLetter(r) }
