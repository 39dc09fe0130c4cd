package text

import (
	"unicode"
	"unicode/utf8"
)

// ExtractSkills returns the skills of a free text: the canonical
// vocabulary terms tk finds in it ([Tokenizer.Skills]), then up to
// keywords of its highest-weighted terms under w that are not already
// listed, skipping numbers and single characters (TF-IDF keywords stand in
// for skills the vocabulary does not know yet). w may be nil, or keywords
// 0, for dictionary matches only.
func ExtractSkills(tk *Tokenizer, w *Weighting, s string, keywords int) []string {
	terms, skills := tk.scan(s, nil, nil)
	if w == nil || keywords <= 0 {
		return skills
	}
	added := 0
	for _, kw := range w.Keywords(terms, len(terms)) {
		if added == keywords {
			break
		}
		if containsString(skills, kw) || utf8.RuneCountInString(kw) < 2 || isNumber(kw) {
			continue
		}
		skills = append(skills, kw)
		added++
	}
	return skills
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
