package text

import (
	"strings"
	"unicode/utf8"
)

// caseEvidence says which spelling of an ambiguous word shows that the
// skill is meant.
type caseEvidence uint8

const (
	capitalMidSentence caseEvidence = iota // "in Go", "Advanced Excel skills"
	allCaps                                // "IDEA", "REST": a capital first letter is not enough
	noCase                                 // "CV" is spelled alike in both senses
)

// senseRule says when an English word that is also a skill's name means
// the skill ("Go", "Excel") and when the common word ("go live", "excel
// at", "from scratch", "an idea"). The evidence is read in this order, the
// first that applies deciding:
//
//  1. a Chinese ideograph next to the word, or a Chinese text
//     ([DetectLanguage]): the skill (Chinese postings name skills in Latin
//     letters);
//  2. a word of notNext just after it, or of notPrev just before it: the
//     common word;
//  3. its spelling (see caseEvidence), away from the start of a sentence:
//     the skill;
//  4. a word of next just after it or of prev just before it: the skill;
//  5. a list with another skill ("Python, Go and Java", "NLP/CV"): the
//     skill;
//  6. otherwise skill.
type senseRule struct {
	skill            bool
	spelling         caseEvidence
	next, prev       []string
	notNext, notPrev []string
}

// senseRules are the ambiguous words, by folded spelling. A word not
// listed is a skill wherever the vocabulary knows it.
var senseRules = map[string]*senseRule{
	"go": {
		next: []string{"developer", "developers", "engineer", "engineers", "programming", "programmer", "programmers",
			"language", "lang", "code", "backend", "services", "microservices", "module", "modules", "routines",
			"goroutines", "sdk", "stack", "toolchain", "binaries", "experience"},
		prev: []string{"in", "using", "with", "golang"},
		notNext: []string{"live", "through", "beyond", "ahead", "over", "back", "out", "above", "far", "wrong", "into",
			"forward", "after", "down", "up", "to", "on", "from", "for", "the", "a", "an", "get", "home", "abroad",
			"further", "public", "viral", "hand", "extra", "together", "along", "away", "without"},
		notPrev: []string{"let's", "lets", "let", "will", "can", "must", "would", "should", "could", "may", "might",
			"we", "you", "they", "i", "the"},
	},
	"excel": {
		next:    []string{"spreadsheets", "spreadsheet", "formulas", "vba", "macros", "pivot", "skills", "sheets", "workbooks", "reports", "dashboards"},
		prev:    []string{"ms", "microsoft", "in", "using", "with", "advanced"},
		notNext: []string{"at", "in", "as", "when", "under", "on", "beyond"},
		notPrev: []string{"to", "will", "you", "who", "we", "they", "can"},
	},
	"idea": {
		spelling: allCaps,
		next:     []string{"plugin", "plugins", "ide"},
		prev:     []string{"jetbrains"},
		notPrev:  []string{"an", "the", "no", "good", "great", "new", "any", "your", "our", "my", "main", "one", "every", "this", "that", "general", "clear"},
	},
	"scratch": {
		notPrev: []string{"from", "a", "the", "no"},
		next:    []string{"programming", "projects", "coding"},
	},
	"rest": {
		spelling: allCaps,
		next:     []string{"api", "apis", "services", "service", "endpoints", "endpoint", "interface", "interfaces", "architecture"},
		notPrev:  []string{"the", "a", "at", "of", "and"},
	},
	"cv": {
		spelling: noCase,
		next:     []string{"model", "models", "algorithm", "algorithms", "engineer", "engineers", "research", "researcher", "tasks", "pipeline", "pipelines"},
		notPrev:  []string{"your", "a", "the", "our", "my", "full", "updated"},
	},
	"windows": {
		next:    []string{"server", "servers", "desktop", "administration"},
		notPrev: []string{"time", "maintenance", "release", "delivery", "booking", "launch"},
	},
	"flash":     {notNext: []string{"sale", "sales", "deal", "deals"}},
	"idle":      {spelling: allCaps},
	"spring":    {next: []string{"boot", "cloud", "mvc", "framework", "batch", "security", "data"}, notPrev: []string{"this", "next", "last"}},
	"swift":     {notNext: []string{"response", "responses", "action", "decision", "decisions"}, notPrev: []string{"a", "be"}},
	"rust":      {},
	"ruby":      {},
	"snowflake": {next: []string{"schema"}},
	"sap":       {spelling: allCaps},
	"r":         {skill: true, notNext: []string{"d"}},
	"c":         {skill: true, notNext: []string{"level", "suite", "corp"}},
}

// listGap reports whether the text between two pieces lists them: spaces
// and at least one of , ， 、 / ; ； ( ) （ ） & + .
func listGap(gap string) bool {
	sep := false
	for _, r := range gap {
		switch r {
		case ' ', '\t':
		case ',', '，', '、', '/', ';', '；', '(', ')', '（', '）', '&', '+':
			sep = true
		default:
			return false
		}
	}
	return sep
}

// senseFits reports whether the single piece raw[i], which the vocabulary
// knows, means the skill in its context (see senseRule).
func (t *Tokenizer) senseFits(sc *tokScratch, s string, i int) bool {
	raw := sc.raw
	term := raw[i].term
	if len(term) > 9 || term[0] >= utf8.RuneSelf {
		return true
	}
	rule, ok := senseRules[term]
	if !ok {
		return true
	}
	a, b := raw[i].start, raw[i].end
	if hanBeside(s, a, b) || t.chineseText(sc, s) {
		return true
	}
	word := func(k int) string {
		if k < 0 || k >= len(raw) {
			return ""
		}
		return raw[k].term
	}
	if containsString(rule.notNext, word(i+1)) || containsString(rule.notPrev, word(i-1)) {
		return false
	}
	if surface := s[a:b]; !sentenceStart(s, a) || rule.spelling == allCaps {
		switch rule.spelling {
		case capitalMidSentence:
			if c := surface[0]; 'A' <= c && c <= 'Z' {
				return true
			}
		case allCaps:
			if len(surface) >= 2 && strings.ToUpper(surface) == surface {
				return true
			}
		}
	}
	if containsString(rule.next, word(i+1)) || containsString(rule.prev, word(i-1)) {
		return true
	}
	if t.listedWithSkill(sc, s, i, -1) || t.listedWithSkill(sc, s, i, +1) {
		return true
	}
	return rule.skill
}

// listedWithSkill reports whether the piece next to raw[i] in direction
// dir (−1 before, +1 after), past an "and" or "or", is a skill the
// vocabulary knows that is not itself ambiguous, listed with raw[i].
func (t *Tokenizer) listedWithSkill(sc *tokScratch, s string, i, dir int) bool {
	raw := sc.raw
	j := i + dir
	if j < 0 || j >= len(raw) {
		return false
	}
	gapOK := func(x, y int) bool { // pieces x before y
		return raw[x].end <= raw[y].start && (listGap(s[raw[x].end:raw[y].start]) || raw[y].term == "and" || raw[y].term == "or" ||
			raw[x].term == "and" || raw[x].term == "or")
	}
	lo, hi := min(i, j), max(i, j)
	if !gapOK(lo, hi) {
		return false
	}
	if w := raw[j].term; w == "and" || w == "or" {
		k := j + dir
		if k < 0 || k >= len(raw) {
			return false
		}
		lo2, hi2 := min(j, k), max(j, k)
		if raw[lo2].end > raw[hi2].start || strings.TrimSpace(s[raw[lo2].end:raw[hi2].start]) != "" {
			return false
		}
		j = k
	}
	if _, amb := senseRules[raw[j].term]; amb {
		return false
	}
	sc.key = appendFolded(sc.key[:0], raw[j].term)
	_, ok := t.vocab.lookupKey(sc.key)
	return ok
}

// hanBeside reports whether a Chinese ideograph touches s[a:b], with at
// most spaces between.
func hanBeside(s string, a, b int) bool {
	i := a
	for i > 0 && s[i-1] == ' ' {
		i--
	}
	if r, _ := utf8.DecodeLastRuneInString(s[:i]); isHan(r) {
		return true
	}
	j := b
	for j < len(s) && s[j] == ' ' {
		j++
	}
	r, _ := utf8.DecodeRuneInString(s[j:])
	return isHan(r)
}

// sentenceStart reports whether s[a:] starts a sentence, a line or a list
// item: only spaces, quotes or brackets stand between it and the start of
// s or one of . ! ? : ; • * - and their full-width forms.
func sentenceStart(s string, a int) bool {
	for a > 0 {
		r, n := utf8.DecodeLastRuneInString(s[:a])
		switch r {
		case ' ', '\t', '"', '\'', '(', '[', '“', '‘', '（':
			a -= n
		case '.', '!', '?', ':', ';', '\n', '\r', '•', '·', '*', '-', '–', '—', '。', '！', '？', '：', '；':
			return true
		default:
			return false
		}
	}
	return true
}

// chineseText reports whether s, the text being tokenised, is Chinese
// ([DetectLanguage]); computed once per text, when first asked.
func (t *Tokenizer) chineseText(sc *tokScratch, s string) bool {
	if sc.lang == "" {
		sc.lang = DetectLanguage(s)
	}
	return sc.lang == Chinese
}
