package text

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-ego/gse"
)

// Token is one term of a text and where it came from.
type Token struct {
	// Term is the normalised term: lower case, half-width, and the
	// canonical form when the vocabulary knows it ("spring boot" for
	// "SpringBoot"). It is never empty, never bare punctuation, and always
	// valid UTF-8.
	Term string `json:"term"`
	// Start and End are the byte offsets of the term's source in the text
	// (End exclusive). A term the vocabulary assembled from several pieces
	// ("Spring Boot") spans all of them.
	Start int `json:"start"`
	End   int `json:"end"`
	// Skill reports whether Term is a canonical term of the vocabulary.
	Skill bool `json:"skill,omitempty"`

	part bool // a known part of the previous term, emitted for skills and search
}

// TokenizerConfig configures a [Tokenizer]. The zero value is the default:
// precise mode, stop words removed, the default vocabulary.
type TokenizerConfig struct {
	// Search selects gse's search mode for Chinese: a long word is
	// followed by the shorter dictionary words inside it (中华人民共和国 →
	// 中华, 华人, 人民, 共和, 共和国, 中华人民共和国), and a vocabulary term
	// made of known parts is followed by them (python爬虫 → python, 爬虫),
	// which suits an inverted index. False (the zero value): precise mode,
	// one segmentation, which suits content vectors.
	Search bool `json:"search,omitempty"`
	// KeepStopWords keeps Chinese and English stop words (的, 和, the, and).
	// False (the zero value): they are removed. Vocabulary terms are never
	// stop words.
	KeepStopWords bool `json:"keep_stop_words,omitempty"`
	// StopWords are removed in addition to the built-in lists; matched
	// after normalisation (lower case, half-width). Nil: none.
	StopWords []string `json:"stop_words,omitempty"`
	// MaxPhrase is the longest run of pieces the vocabulary may join into
	// one term ("spring" + "boot" is 2). Zero means 4.
	MaxPhrase int `json:"max_phrase,omitempty"`
	// Vocabulary normalises terms. Nil means [DefaultVocabulary]. Not
	// serialised: a host sets it in code.
	Vocabulary *Vocabulary `json:"-"`
}

// Tokenizer splits Chinese and English text into normalised terms. It
// wraps gse: runs of Chinese ideographs are segmented with gse's
// dictionary (shortest-path, no HMM), everything else with rules that
// keep programming terms whole (C++, C#, .NET, Node.js, Vue3, K8s, 3.5),
// fold full-width forms and case, skip HTML tags and entities and drop
// list markers (1、 ①) and punctuation. Pieces the vocabulary knows,
// alone or joined ("Spring Boot", "Go语言"), become their canonical term;
// stop words are removed.
//
// A Tokenizer is immutable and safe for concurrent use. gse's dictionary
// is loaded once per process, on first use (about a second), and shared.
type Tokenizer struct {
	search    bool
	keepStop  bool
	maxPhrase int
	vocab     *Vocabulary
	stop      map[string]struct{}
	scratch   sync.Pool // *tokScratch
}

// tokScratch holds per-call buffers.
type tokScratch struct {
	raw  []rawToken
	key  []byte
	han  []byte
	lang Language // of the text being tokenised, "" until senseFits asks
}

// rawToken is a piece before normalisation.
type rawToken struct {
	term       string
	start, end int
	sub        bool // a word inside the next longer piece (search mode)
}

// NewTokenizer returns a tokenizer configured by cfg. It does not load
// gse's dictionary; the first call that tokenises does.
func NewTokenizer(cfg TokenizerConfig) (*Tokenizer, error) {
	if cfg.MaxPhrase < 0 {
		return nil, &ConfigError{Field: "TokenizerConfig.MaxPhrase", Value: cfg.MaxPhrase, Reason: "must be >= 0"}
	}
	for i, s := range cfg.StopWords {
		if !utf8.ValidString(s) {
			return nil, &ConfigError{Field: "TokenizerConfig.StopWords", Value: i, Reason: "invalid UTF-8"}
		}
	}
	t := &Tokenizer{search: cfg.Search, keepStop: cfg.KeepStopWords, maxPhrase: cfg.MaxPhrase, vocab: cfg.Vocabulary}
	if t.maxPhrase == 0 {
		t.maxPhrase = 4
	}
	if t.vocab == nil {
		t.vocab = DefaultVocabulary()
	}
	if !t.keepStop {
		t.stop = make(map[string]struct{}, len(defaultStopWords())+len(cfg.StopWords))
		for w := range defaultStopWords() {
			t.stop[w] = struct{}{}
		}
		for _, w := range cfg.StopWords {
			t.stop[Clean(w)] = struct{}{}
		}
	}
	t.scratch.New = func() any { return new(tokScratch) }
	return t, nil
}

var defaultTokenizer = sync.OnceValue(func() *Tokenizer {
	t, err := NewTokenizer(TokenizerConfig{})
	if err != nil {
		panic(err) // the zero config is valid
	}
	return t
})

// DefaultTokenizer returns the shared tokenizer with the zero
// [TokenizerConfig]: precise mode, stop words removed, default vocabulary.
func DefaultTokenizer() *Tokenizer { return defaultTokenizer() }

// Vocabulary returns the vocabulary t normalises with.
func (t *Tokenizer) Vocabulary() *Vocabulary { return t.vocab }

// Terms returns the terms of s in order.
func (t *Tokenizer) Terms(s string) []string {
	return t.AppendTerms(nil, s)
}

// AppendTerms appends the terms of s to dst and returns it.
func (t *Tokenizer) AppendTerms(dst []string, s string) []string {
	t.each(s, false, func(tok Token) { dst = append(dst, tok.Term) })
	return dst
}

// scan tokenises s once and appends its terms (as AppendTerms) to terms
// and its distinct skills (as Skills) to skills.
func (t *Tokenizer) scan(s string, terms, skills []string) ([]string, []string) {
	t.each(s, true, func(tok Token) {
		if !tok.part || t.search {
			terms = append(terms, tok.Term)
		}
		if tok.Skill && !containsString(skills, tok.Term) {
			skills = append(skills, tok.Term)
		}
	})
	return terms, skills
}

// Tokens returns the tokens of s in order.
func (t *Tokenizer) Tokens(s string) []Token {
	return t.AppendTokens(nil, s)
}

// AppendTokens appends the tokens of s to dst and returns it. Offsets are
// into s.
func (t *Tokenizer) AppendTokens(dst []Token, s string) []Token {
	t.each(s, false, func(tok Token) {
		tok.part = false
		dst = append(dst, tok)
	})
	return dst
}

// Skills returns the distinct canonical vocabulary terms found in s, in
// order of first occurrence: the dictionary matches of skill extraction.
// A term made of several known pieces ("python爬虫") also yields the
// pieces ("python", "爬虫").
func (t *Tokenizer) Skills(s string) []string {
	var out []string
	t.each(s, true, func(tok Token) {
		if tok.Skill && !containsString(out, tok.Term) {
			out = append(out, tok.Term)
		}
	})
	return out
}

func containsString(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// each tokenises s and calls emit for every token in order. With parts
// set, a term the vocabulary assembled from several pieces ("python爬虫")
// is followed by the vocabulary terms among its pieces ("python", "爬虫").
func (t *Tokenizer) each(s string, parts bool, emit func(Token)) {
	sc := t.scratch.Get().(*tokScratch)
	sc.lang = ""
	sc.raw = t.split(sc, sc.raw[:0], s)
	t.normalise(sc, s, parts || t.search, emit)
	clear(sc.raw) // drop references to s
	sc.raw = sc.raw[:0]
	t.scratch.Put(sc)
}

// normalise joins the raw pieces the vocabulary knows, maps them to
// canonical terms, drops stop words and emits the rest.
func (t *Tokenizer) normalise(sc *tokScratch, s string, parts bool, emit func(Token)) {
	raw := sc.raw
	for i := 0; i < len(raw); {
		best, entry := t.match(sc, s, i, len(raw))
		if best == i && !t.senseFits(sc, s, i) {
			best = -1 // "go live", "excel at": the common word, not the skill
		}
		if best < 0 {
			if _, stop := t.stop[raw[i].term]; !stop {
				emit(Token{Term: raw[i].term, Start: raw[i].start, End: raw[i].end})
			}
			if parts {
				t.hanParts(sc, s, raw[i].start, raw[i].end, emit)
			}
			i++
			continue
		}
		whole := t.vocab.entries[entry].Canonical
		emit(Token{Term: whole, Start: raw[i].start, End: raw[best].end, Skill: true})
		if parts && best > i {
			latin := true
			for j := i; j <= best; j++ {
				latin = latin && raw[j].term[0] < utf8.RuneSelf
			}
			for j := i; j <= best; {
				limit := best + 1
				if j == i {
					limit = best // not the whole span again
				}
				b, e := t.match(sc, s, j, limit)
				if b < 0 {
					j++
					continue
				}
				// The parts of an English phrase count only when they are
				// words of its term: "Spring Boot" → spring, but "Power BI"
				// is not BI and "web crawler" not web.
				if part := t.vocab.entries[e].Canonical; !latin || hasWord(whole, part) {
					emit(Token{Term: part, Start: raw[j].start, End: raw[b].end, Skill: true, part: true})
				}
				j = b + 1
			}
		}
		if parts {
			t.hanParts(sc, s, raw[i].start, raw[best].end, emit)
		}
		i = best + 1
	}
}

// hasWord reports whether w is one of the space-separated words of s, or
// a run of them ("spring" in "spring boot").
func hasWord(s, w string) bool {
	for i := 0; ; {
		k := strings.Index(s[i:], w)
		if k < 0 {
			return false
		}
		a, b := i+k, i+k+len(w)
		if (a == 0 || s[a-1] == ' ') && (b == len(s) || s[b] == ' ') {
			return true
		}
		i = a + 1
	}
}

// hanParts emits the vocabulary terms inside the Chinese text s[a:b] that
// do not span all of it: 大数据分析 yields 数据分析, 全栈工程师 yields 全栈.
// Only windows of two or more ideographs are tried.
func (t *Tokenizer) hanParts(sc *tokScratch, s string, a, b int, emit func(Token)) {
	if b-a < 9 { // fewer than three ideographs
		return
	}
	for i := a; i < b; {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !isHan(r) {
			i += n
			continue
		}
		sc.key = sc.key[:0]
		for j := i; j < b; {
			r2, n2 := utf8.DecodeRuneInString(s[j:])
			if !isHan(r2) {
				break
			}
			sc.key = append(sc.key, s[j:j+n2]...)
			j += n2
			if j-i >= 6 && !(i == a && j == b) {
				if e, ok := t.vocab.lookupKey(sc.key); ok {
					emit(Token{Term: t.vocab.entries[e].Canonical, Start: i, End: j, Skill: true, part: true})
				}
			}
			if !t.vocab.isPrefix(sc.key) {
				break
			}
		}
		i += n
	}
}

// match finds the longest run of pieces raw[i..best] (best < limit) whose
// joined fold key the vocabulary knows. It returns best = -1 when none.
func (t *Tokenizer) match(sc *tokScratch, s string, i, limit int) (best int, entry int32) {
	raw := sc.raw
	best = -1
	sc.key = appendFolded(sc.key[:0], raw[i].term)
	for k := i; k < limit; {
		if e, ok := t.vocab.lookupKey(sc.key); ok {
			best, entry = k, e
		}
		if raw[k].sub || k+1 >= limit || raw[k+1].sub || k+1-i >= t.maxPhrase || len(sc.key) >= t.vocab.maxKey ||
			!t.vocab.isPrefix(sc.key) || raw[k+1].start < raw[k].end || !joinable(s[raw[k].end:raw[k+1].start]) {
			break
		}
		k++
		sc.key = appendFolded(sc.key, raw[k].term)
	}
	return best, entry
}

// joinable reports whether the text between two pieces lets the vocabulary
// join them into one term: nothing, or spaces, hyphens, underscores, dots.
func joinable(gap string) bool {
	for i := 0; i < len(gap); i++ {
		switch gap[i] {
		case ' ', '\t', '-', '_', '.':
		default:
			return false
		}
	}
	return true
}

// split cuts s into raw pieces.
func (t *Tokenizer) split(sc *tokScratch, dst []rawToken, s string) []rawToken {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '<':
				if n := htmlTag(s[i:]); n > 0 {
					i += n
					continue
				}
			case c == '&':
				if n := htmlEntity(s[i:]); n > 0 {
					i += n
					continue
				}
			case c == '.':
				// A leading dot starts a word only in names like ".NET".
				if i+1 < len(s) && isLetterAt(s, i+1) && (i == 0 || !isWordBefore(s, i)) {
					var end int
					dst, end = t.word(dst, s, i)
					i = end
					continue
				}
			}
			if isWordRune(rune(c)) {
				var end int
				dst, end = t.word(dst, s, i)
				i = end
				continue
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case isHan(r):
			j := i + n
			for j < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[j:])
				if !isHan(r2) {
					break
				}
				j += n2
			}
			dst = t.han(sc, dst, s, i, j)
			i = j
		case isWordRune(foldRune(r)):
			var end int
			dst, end = t.word(dst, s, i)
			i = end
		default:
			i += n
		}
	}
	return dst
}

// han segments the ideographs s[i:j] with gse.
func (t *Tokenizer) han(sc *tokScratch, dst []rawToken, s string, i, j int) []rawToken {
	if j-i <= 3 { // one ideograph
		term := s[i:j]
		if r, _ := utf8.DecodeRuneInString(term); foldRune(r) != r {
			term = string(foldRune(r))
		}
		return append(dst, rawToken{term: term, start: i, end: j})
	}
	seg := segmenter()
	sc.han = append(sc.han[:0], s[i:j]...)
	// Radicals used as ideographs (⾯试) are folded in place: both forms
	// take three bytes in UTF-8, so offsets stay those of s.
	folded := false
	for k := 0; k < len(sc.han); {
		r, n := utf8.DecodeRune(sc.han[k:])
		if f := foldRune(r); f != r && utf8.RuneLen(f) == n {
			utf8.EncodeRune(sc.han[k:], f)
			folded = true
		}
		k += n
	}
	src := s
	if folded {
		src = s[:i] + string(sc.han) + s[j:] // rare: only texts with radicals pay for the copy
	}
	for _, sg := range seg.Segment(sc.han) {
		a, b := i+sg.Start(), i+sg.End()
		if t.search {
			dst = appendSubwords(dst, src, a, sg.Token())
		}
		dst = append(dst, rawToken{term: src[a:b], start: a, end: b})
	}
	return dst
}

// appendSubwords appends the dictionary words inside tok (gse's search
// mode), tok starting at byte a of s.
func appendSubwords(dst []rawToken, s string, a int, tok *gse.Token) []rawToken {
	subs := tok.Segments()
	if len(subs) <= 1 {
		return dst
	}
	for _, sub := range subs {
		sa, sb := a+sub.Start(), a+sub.End()
		dst = appendSubwords(dst, s, sa, sub.Token())
		if sb-sa > 3 || len(sub.Token().Segments()) > 0 {
			dst = append(dst, rawToken{term: s[sa:sb], start: sa, end: sb, sub: true})
		}
	}
	return dst
}

// word scans a Latin-script word or number starting at s[i] and appends it
// unless it is a list marker. It returns the end of the scanned text.
func (t *Tokenizer) word(dst []rawToken, s string, i int) ([]rawToken, int) {
	start, j := i, i
	lower := true // s[start:j] is already the folded form
	letters := 0
	for j < len(s) {
		r, n := utf8.DecodeRuneInString(s[j:])
		f := foldRune(r)
		switch {
		case isWordRune(f):
			letters++
		case (f == '.' || f == '-' || f == '_') && j+n < len(s) && isWordAt(s, j+n) && (letters > 0 || f == '.'):
			// inside a word: node.js, 3.5, t-sql, x86_64; or .net
		case (f == '+' || f == '#') && letters > 0:
			k := j
			for k < len(s) {
				r2, n2 := utf8.DecodeRuneInString(s[k:])
				if f2 := foldRune(r2); f2 != '+' && f2 != '#' {
					break
				}
				if r2 != '+' && r2 != '#' {
					lower = false
				}
				k += n2
			}
			if k < len(s) && isWordAt(s, k) { // a+b: an operator, not C++
				return t.emitWord(dst, s, start, j, lower), j
			}
			return t.emitWord(dst, s, start, k, lower), k
		case f == '&' && letters > 0:
			// R&D, Q&A, AT&T are one term, also as R&amp;D in crawled HTML.
			k := j + n
			if strings.HasPrefix(s[j:], "&amp;") {
				k = j + len("&amp;")
			}
			e := asciiLetters(s, k)
			if j-start > 3 || e == k || e-k > 3 || asciiLetters(s, start) != j || (e < len(s) && isWordAt(s, e)) {
				return t.emitWord(dst, s, start, j, lower), j
			}
			if k-j > 1 || hasUpper(s[k:e]) {
				lower = false
			}
			letters += e - k
			j = e
			continue
		case f == '/' && letters > 0 && j+1 < len(s) && isWordAt(s, j+1):
			// A/B, CI/CD, TCP/IP, C/S are one term when the vocabulary
			// or the list of slash compounds knows it; Java/Python is two.
			e := j + 1
			for e < len(s) && (isASCIIAlnum(s[e])) {
				e++
			}
			if !t.slashCompound(s[start:e]) {
				return t.emitWord(dst, s, start, j, lower), j
			}
			if hasUpper(s[j:e]) {
				lower = false
			}
			letters += e - j - 1
			j = e
			continue
		case (r == '\'' || r == '’') && letters > 0 && j+n < len(s) && isLetterAt(s, j+n):
			// bachelor's → bachelor; don't, o'reilly stay whole (with an
			// ASCII apostrophe), so that stop words can drop don't.
			e := asciiLetters(s, j+n)
			if e > j+n && (e == len(s) || !isWordAt(s, e)) {
				if e == j+n+1 && (s[j+n] == 's' || s[j+n] == 'S') && !possessiveStop(s[start:j]) {
					return t.emitWord(dst, s, start, j, lower), e
				}
				if r != '\'' || hasUpper(s[j:e]) {
					lower = false
				}
				return t.emitWord(dst, s, start, e, lower), e
			}
			return t.emitWord(dst, s, start, j, lower), j
		default:
			return t.emitWord(dst, s, start, j, lower), j
		}
		if f != r {
			lower = false
		}
		j += n
	}
	return t.emitWord(dst, s, start, j, lower), j
}

func (t *Tokenizer) emitWord(dst []rawToken, s string, a, b int, lower bool) []rawToken {
	if a >= b || isListMarker(s, a, b) {
		return dst
	}
	term := s[a:b]
	if !lower {
		var sb strings.Builder
		sb.Grow(b - a)
		for i := 0; i < len(term); {
			r, n := utf8.DecodeRuneInString(term[i:])
			switch {
			case r == '’':
				r = '\''
			case r == '&' && strings.HasPrefix(term[i:], "&amp;"):
				n = len("&amp;")
			}
			sb.WriteRune(foldRune(r))
			i += n
		}
		term = sb.String()
	}
	if strings.Trim(term, ".-_+#") == "" {
		return dst
	}
	return append(dst, rawToken{term: term, start: a, end: b})
}

// slashCompounds are terms written with a slash that are one thing, not
// two: A/B (testing), B/S and C/S (architectures, not the C language),
// I/O, N/A, W/O, 24/7. Compounds the vocabulary knows (CI/CD, TCP/IP) are
// kept whole as well.
var slashCompounds = map[string]bool{"a/b": true, "b/s": true, "c/s": true, "i/o": true, "n/a": true, "w/o": true, "24/7": true}

// slashCompound reports whether the word w, which holds one slash, is one
// term (see slashCompounds). It does not allocate.
func (t *Tokenizer) slashCompound(w string) bool {
	var buf [32]byte
	key := buf[:0]
	for i := 0; i < len(w); i++ {
		c := w[i]
		switch {
		case c == '.' || c == '-' || c == '_':
			continue
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c >= utf8.RuneSelf:
			return false
		}
		if len(key) == cap(key) {
			return false
		}
		key = append(key, c)
	}
	if slashCompounds[string(key)] {
		return true
	}
	_, ok := t.vocab.keys[string(key)]
	return ok
}

// possessiveStop reports whether w + "'s" is a contraction the stop words
// drop whole (it's, that's, let's) rather than a possessive.
func possessiveStop(w string) bool {
	switch strings.ToLower(w) {
	case "it", "that", "there", "here", "what", "let", "he", "she", "who", "where", "how":
		return true
	}
	return false
}

// asciiLetters returns the end of the run of ASCII letters at s[i:].
func asciiLetters(s string, i int) int {
	for i < len(s) && ('a' <= s[i] && s[i] <= 'z' || 'A' <= s[i] && s[i] <= 'Z') {
		i++
	}
	return i
}

func isASCIIAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// hasUpper reports whether s holds an ASCII capital letter.
func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// isListMarker reports whether the number s[a:b] numbers a list item:
// at most two digits followed by 、 . ． ) ） or a closing bracket.
func isListMarker(s string, a, b int) bool {
	if b-a > 2 {
		return false
	}
	for i := a; i < b; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	if b == len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[b:])
	switch r {
	case '、', '.', '．', ')', '）', '】', ']', '，', ',':
		return true
	}
	return false
}

// isWordAt reports whether the rune at s[i] is a word rune after folding.
func isWordAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return isWordRune(foldRune(r))
}

// isLetterAt reports whether the rune at s[i] is a letter (not Han).
func isLetterAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	r = foldRune(r)
	return isWordRune(r) && unicode.IsLetter(r)
}

// isWordBefore reports whether the rune before s[i] is a word rune.
func isWordBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return isWordRune(foldRune(r))
}

// htmlTag returns the length of an HTML tag or comment at the start of s
// (<br>, </p>, <div class="x">, <!-- -->), or 0.
func htmlTag(s string) int {
	if len(s) < 3 {
		return 0
	}
	c := s[1]
	if !(c == '/' || c == '!' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
		return 0
	}
	limit := min(len(s), 512)
	for i := 2; i < limit; i++ {
		switch s[i] {
		case '>':
			return i + 1
		case '<', '\n':
			return 0
		}
	}
	return 0
}

// htmlEntity returns the length of an HTML entity at the start of s
// (&nbsp; &amp; &#160; &#x4e2d;), or 0.
func htmlEntity(s string) int {
	limit := min(len(s), 12)
	for i := 1; i < limit; i++ {
		c := s[i]
		switch {
		case c == ';':
			if i > 1 {
				return i + 1
			}
			return 0
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '#' && i == 1:
		default:
			return 0
		}
	}
	return 0
}
