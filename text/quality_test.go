package text

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/realdata"
)

const zhilianFile = "jobs-zh/zhilian_2020_python_beijing.jsonl"

// zhilianPosting is the part of a zhilian posting the quality check reads.
type zhilianPosting struct {
	JobName   string `json:"jobname"`
	JobDetail string `json:"job_detail"`
	JobSkills string `json:"job_skills"`
}

func readZhilian(tb testing.TB) []zhilianPosting {
	tb.Helper()
	f, err := os.Open(realdata.Require(tb, zhilianFile))
	require.NoError(tb, err)
	defer f.Close()
	var out []zhilianPosting
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for line := 1; sc.Scan(); line++ {
		var p zhilianPosting
		require.NoError(tb, json.Unmarshal(sc.Bytes(), &p), "%s line %d", zhilianFile, line)
		out = append(out, p)
	}
	require.NoError(tb, sc.Err())
	return out
}

// skillRecall is the result of the extraction check.
type skillRecall struct {
	extracted, extractedLabels  int // skills extracted; of which among the posting's labels
	labels, found               int // all labels
	occurring, occurringFound   int // labels whose text or a known variant occurs in the posting
	misses, occurringMissesList []string
}

// checkSkillRecall extracts canonical skills from jobname + job_detail with
// tk and compares them with the posting's job_skills labels.
func checkSkillRecall(tk *Tokenizer, posts []zhilianPosting) skillRecall {
	var r skillRecall
	v := tk.Vocabulary()
	for i, p := range posts {
		text := p.JobName + "\n" + p.JobDetail
		got := tk.Skills(text)
		terms := tk.Terms(text)
		cleaned := Clean(text)
		seen := map[string]bool{}
		r.extracted += len(got)
		var labelSet []string
		for _, raw := range SplitLabels(p.JobSkills) {
			labelSet = append(labelSet, v.Normalize(raw))
		}
		for _, g := range got {
			if slices.Contains(labelSet, g) {
				r.extractedLabels++
			}
		}
		for _, raw := range SplitLabels(p.JobSkills) {
			label := v.Normalize(raw)
			if label == "" || seen[label] {
				continue
			}
			seen[label] = true
			r.labels++
			hit := slices.Contains(got, label) || slices.Contains(terms, label)
			if hit {
				r.found++
			}
			occurs := occursIn(cleaned, raw) || occursIn(cleaned, label)
			if k, ok := v.keys[Fold(label)]; ok && !occurs {
				for _, s := range v.entries[k].Variants {
					if occursIn(cleaned, s) {
						occurs = true
						break
					}
				}
			}
			if occurs {
				r.occurring++
				if hit {
					r.occurringFound++
				} else {
					r.occurringMissesList = append(r.occurringMissesList, fmt.Sprintf("#%d %q", i+1, raw))
				}
			} else if !hit {
				r.misses = append(r.misses, raw)
			}
		}
	}
	return r
}

func TestSkillRecallZhilian(t *testing.T) {
	posts := readZhilian(t)
	r := checkSkillRecall(DefaultTokenizer(), posts)
	all := float64(r.found) / float64(r.labels)
	occ := float64(r.occurringFound) / float64(r.occurring)
	t.Logf("%s: %d postings, %d labels; recall over all labels %.3f (%d/%d)", zhilianFile, len(posts), r.labels, all, r.found, r.labels)
	t.Logf("labels occurring in the text literally or as a known variant: %d (%.2f of labels); recall %.3f (%d/%d)",
		r.occurring, float64(r.occurring)/float64(r.labels), occ, r.occurringFound, r.occurring)
	t.Logf("extracted %.1f skills per posting; %.2f of them are among the posting's own labels (labels are few, so this understates precision)",
		float64(r.extracted)/float64(len(posts)), float64(r.extractedLabels)/float64(r.extracted))
	t.Logf("misses among occurring labels: %s", strings.Join(r.occurringMissesList, ", "))
	slices.SortFunc(r.misses, func(a, b string) int { return cmp.Compare(a, b) })
	t.Logf("labels not in the text (not counted above): %s", strings.Join(r.misses, ", "))
	require.GreaterOrEqual(t, occ, 0.95)
}

// occursIn reports whether label occurs in text (both in Clean form) as a
// whole word: a Latin letter or digit at either end of the label must not
// continue into a letter or digit of the text ("sql" does not occur in
// "mysql", "java" does not occur in "javascript"), nor into + or # ("c"
// does not occur in "c++").
func occursIn(text, label string) bool {
	label = Clean(label)
	if label == "" {
		return false
	}
	for off := 0; ; {
		i := strings.Index(text[off:], label)
		if i < 0 {
			return false
		}
		a, b := off+i, off+i+len(label)
		first, _ := utf8.DecodeRuneInString(label)
		last, _ := utf8.DecodeLastRuneInString(label)
		before, _ := utf8.DecodeLastRuneInString(text[:a])
		after, _ := utf8.DecodeRuneInString(text[b:])
		okBefore := a == 0 || !(isWordRune(first) && isWordRune(before))
		okAfter := b == len(text) || !(isWordRune(last) && (isWordRune(after) || after == '+' || after == '#'))
		if okBefore && okAfter {
			return true
		}
		off = a + 1
	}
}

// TestSkillRecallZhilianHeldOut repeats the check with a vocabulary that
// never saw the zhilian file's labels: the generated entries carried by at
// least two postings of the other files, plus the alias table. (gse's
// dictionary still holds the default vocabulary's Chinese words, so
// segmentation is not fully held out.)
func TestSkillRecallZhilianHeldOut(t *testing.T) {
	posts := readZhilian(t)
	entries, err := parseSkillsTSV(skillsTSV)
	require.NoError(t, err)
	outside := parseOutside(t)
	var kept []Entry
	for _, e := range entries {
		if outside[e.Canonical] >= 2 {
			kept = append(kept, e)
		}
	}
	v, err := NewVocabulary(append(kept, aliases...))
	require.NoError(t, err)
	tk, err := NewTokenizer(TokenizerConfig{Vocabulary: v})
	require.NoError(t, err)
	r := checkSkillRecall(tk, posts)
	t.Logf("held-out vocabulary (%d entries): recall over all labels %.3f (%d/%d); over occurring labels %.3f (%d/%d)",
		v.Len(), float64(r.found)/float64(r.labels), r.found, r.labels,
		float64(r.occurringFound)/float64(r.occurring), r.occurringFound, r.occurring)
	t.Logf("misses among occurring labels: %s", strings.Join(r.occurringMissesList, ", "))
	require.GreaterOrEqual(t, float64(r.occurringFound)/float64(r.occurring), 0.9)
}

// parseOutside reads the third column of skills.tsv: postings outside the
// zhilian file.
func parseOutside(t *testing.T) map[string]int {
	m := map[string]int{}
	for _, line := range strings.Split(skillsTSV, "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 3 || strings.HasPrefix(line, "#") {
			continue
		}
		var n int
		_, err := fmt.Sscan(f[2], &n)
		require.NoError(t, err, line)
		m[f[0]] = n
	}
	return m
}

// TestRealTextTerms tokenises every zhilian posting in both modes and
// checks that no term is punctuation or symbols only, none is a stop
// word, and every term is valid UTF-8.
func TestRealTextTerms(t *testing.T) {
	posts := readZhilian(t)
	search, err := NewTokenizer(TokenizerConfig{Search: true})
	require.NoError(t, err)
	n := 0
	for i, p := range posts {
		for _, tk := range []*Tokenizer{DefaultTokenizer(), search} {
			for _, term := range tk.Terms(p.JobName + "\n" + p.JobDetail) {
				n++
				require.True(t, utf8.ValidString(term), "posting %d: %q", i+1, term)
				require.True(t, strings.IndexFunc(term, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0,
					"posting %d: bare punctuation term %q", i+1, term)
				if _, stop := tk.stop[term]; stop {
					require.True(t, tk.Vocabulary().Known(term), "posting %d: stop word %q kept", i+1, term)
				}
			}
		}
	}
	t.Logf("%d terms checked", n)
}
