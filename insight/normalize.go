package insight

import (
	"slices"
	"strings"
	"unicode"
)

// fold lower-cases s and maps full-width ASCII (Ｊａｖａ, （）) to its
// half-width form.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 0xFF01 && r <= 0xFF5E {
			r -= 0xFEE0
		} else if r == 0x3000 {
			r = ' '
		}
		return unicode.ToLower(r)
	}, s)
}

// dropBracketed removes every (…), […], 【…】 and <…> span of s, brackets
// included; an unclosed bracket drops the rest of s.
func dropBracketed(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch r {
		case '(', '[', '【', '<', '《', '{':
			depth++
			continue
		case ')', ']', '】', '>', '》', '}':
			if depth > 0 {
				depth--
			}
			continue
		}
		if depth == 0 {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// seniorityWords are level words a title key drops: the level of a posting
// is read from its experience requirement, not from its title.
var seniorityWords = []string{"中高级", "高级", "资深", "初级", "中级"}

var englishSeniority = map[string]bool{"senior": true, "junior": true, "sr": true, "sr.": true, "jr": true, "jr.": true}

// TitleKey returns the comparison key of a job title: two postings are
// comparable when their keys are equal. It lower-cases and folds full-width
// letters, drops bracketed notes ("(南京)", "【急招】"), keeps the first of
// alternative titles ("Java开发工程师/Java架构师" → "java开发工程师"), drops a
// trailing code after a dash ("数据分析师-CR2017" → "数据分析师"), drops level
// words (高级, 资深, senior…) and removes spaces and punctuation other than
// '+' and '#' (C++, C#). It returns "" for a title with nothing left.
func TitleKey(title string) string {
	s := dropBracketed(fold(title))
	if i := strings.IndexAny(s, "/|,;、，；"); i >= 0 {
		s = s[:i]
	}
	if i := strings.IndexAny(s, "-_—–"); i > 0 {
		s = s[:i]
	}
	words := strings.Fields(s)
	kept := words[:0]
	for _, w := range words {
		if !englishSeniority[w] {
			kept = append(kept, w)
		}
	}
	s = strings.Join(kept, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '+' || r == '#' {
			return r
		}
		return -1
	}, s)
	for changed := true; changed; {
		changed = false
		for _, w := range seniorityWords {
			if strings.Contains(s, w) {
				s, changed = strings.ReplaceAll(s, w, ""), true
			}
		}
	}
	return s
}

// bigrams returns the set of rune bigrams of s (s itself when it has one rune).
func bigrams(s string) map[string]bool {
	rs := []rune(s)
	out := make(map[string]bool, len(rs))
	if len(rs) == 1 {
		out[s] = true
	}
	for i := 0; i+1 < len(rs); i++ {
		out[string(rs[i:i+2])] = true
	}
	return out
}

// titleSimilarity is the Dice coefficient of the rune bigrams of two title
// keys: 1 for equal keys, 0 for keys sharing no bigram. When both keys name
// a technology in Latin letters and they share none ("java开发工程师" and
// "ios开发工程师"), the coefficient is halved: the technology is what the
// titles are about.
func titleSimilarity(a, b string) float64 {
	if a == "" || b == "" {
		return 0
	}
	if a == b {
		return 1
	}
	ga, gb := bigrams(a), bigrams(b)
	common := 0
	for g := range ga {
		if gb[g] {
			common++
		}
	}
	d := 2 * float64(common) / float64(len(ga)+len(gb))
	wa, wb := latinWords(a), latinWords(b)
	if len(wa) > 0 && len(wb) > 0 && !slices.ContainsFunc(wa, func(w string) bool { return slices.Contains(wb, w) }) {
		d /= 2
	}
	return d
}

// latinWords returns the runs of Latin letters (with + and #) in s.
func latinWords(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r == '+' || r == '#')
	})
}

// splitList splits a multi-valued field ("移动互联网,金融", "电商、物流")
// into trimmed non-empty parts.
func splitList(s string) []string {
	parts := strings.FieldsFunc(s, func(r rune) bool {
		return r == ',' || r == '，' || r == '、' || r == '/' || r == '|' || r == ';' || r == '；'
	})
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
