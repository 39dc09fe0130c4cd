package text

import (
	"testing"
	"unicode/utf8"

	"github.com/twowayrec/twoway/sparse"
)

var fuzzSeeds = []string{
	"熟悉SpringBoot/MyBatis框架", "C++、C#、Node.js、.NET、Vue3、K8s", "１、ＪＡＶＡ ②Python3.8",
	"<p>&nbsp;数据分析&amp;</p>", "\xff\xfe\x80熟悉", "a+b c++ #", ".", "&#x4e2d;", "", "中华人民共和国", "⾯试⼊职⺟",
	"R&D, R&amp;D, AT&T; CI/CD A/B tests C/C++", "bachelor's don’t it's", "go live in Go; excel at Excel, IDEA",
}

// FuzzTokenizer checks that any bytes tokenise without panicking into
// valid, non-empty UTF-8 terms with offsets inside the input, in both modes.
func FuzzTokenizer(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	search, err := NewTokenizer(TokenizerConfig{Search: true})
	if err != nil {
		f.Fatal(err)
	}
	segmenter() // load gse's dictionary before the fuzzer's per-input deadline starts
	f.Fuzz(func(t *testing.T, s string) {
		for _, tk := range []*Tokenizer{DefaultTokenizer(), search} {
			for _, tok := range tk.Tokens(s) {
				if tok.Term == "" || !utf8.ValidString(tok.Term) {
					t.Fatalf("bad term %q from %q", tok.Term, s)
				}
				if tok.Start < 0 || tok.End > len(s) || tok.Start >= tok.End {
					t.Fatalf("bad offsets %d-%d of %d for %q", tok.Start, tok.End, len(s), tok.Term)
				}
			}
			for _, sk := range tk.Skills(s) {
				if !utf8.ValidString(sk) || !tk.Vocabulary().Known(sk) {
					t.Fatalf("bad skill %q", sk)
				}
			}
		}
	})
}

// FuzzVectorize checks that any bytes vectorise without panicking into a
// valid vector (sorted unique indices, finite values, unit length or empty).
func FuzzVectorize(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	tk := DefaultTokenizer()
	var docs [][]string
	for _, s := range fuzzSeeds {
		docs = append(docs, tk.Terms(s))
	}
	w, err := FitWeighting(docs, WeightingConfig{Scheme: BM25})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		terms := tk.Terms(s)
		v := w.Vectorize(sparse.Vector{}, terms)
		if err := v.Check(); err != nil {
			t.Fatal(err)
		}
		if n := v.Norm(); v.Len() > 0 && (n < 0.999999 || n > 1.000001) {
			t.Fatalf("norm %v", n)
		}
		// Fitting on the fuzzed document itself covers every term.
		w2, err := FitWeighting([][]string{terms}, WeightingConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if v2 := w2.Vectorize(sparse.Vector{}, terms); v2.Check() != nil {
			t.Fatal(v2.Check())
		}
	})
}

// FuzzFold checks Fold, Clean and SplitLabels on arbitrary bytes.
func FuzzFold(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if k := Fold(s); !utf8.ValidString(k) || Fold(k) != k {
			t.Fatalf("Fold(%q) = %q, not valid or not idempotent", s, k)
		}
		if c := Clean(s); !utf8.ValidString(c) || Clean(c) != c {
			t.Fatalf("Clean(%q) = %q", s, c)
		}
		for _, l := range SplitLabels(s) {
			if l == "" {
				t.Fatal("empty label")
			}
		}
	})
}
