package text

import (
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenizerTerms(t *testing.T) {
	tk := DefaultTokenizer()
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"mixed frameworks", "熟悉SpringBoot/MyBatis框架", []string{"熟悉", "spring boot", "mybatis", "框架"}},
		{"symbols in names", "C++、C#、Node.js、.NET、Vue3、K8s", []string{"c++", "c#", "node.js", ".net", "vue", "kubernetes"}},
		{"full width and case", "ＪＡＶＡ，Ｐｙｔｈｏｎ３", []string{"java", "python"}},
		{"go variants", "Go语言 golang GO", []string{"go", "go", "go"}},
		{"multi-word skill", "Spring Boot and spring-cloud", []string{"spring boot", "spring cloud"}},
		{"list markers", "1、负责开发\n2. 数据分析\n①熟悉Linux\n(3)沟通", []string{"负责", "开发", "数据分析", "熟悉", "linux", "沟通"}},
		{"numbers and versions", "3-5年经验，Python 3.8，985高校", []string{"3-5", "年", "经验", "python", "3.8", "985", "高校"}},
		{"html remnants", "<p>熟悉<b>MySQL</b>&nbsp;数据库</p><br/>", []string{"熟悉", "mysql", "数据库"}},
		{"operator is not c++", "a+b", []string{"b"}},
		{"machine learning", "了解机器学习ML与深度学习", []string{"了解", "机器学习", "机器学习", "深度学习"}},
		{"stop words", "the 的 and 和 Java", []string{"java"}},
		{"empty", "", nil},
		{"punctuation only", "，。！？……——（）《》", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, tk.Terms(tc.in))
		})
	}
}

func TestTokenizerOffsets(t *testing.T) {
	in := "熟悉 Spring Boot 和ＭｙＳＱＬ"
	toks := DefaultTokenizer().Tokens(in)
	require.Len(t, toks, 3)
	assert.Equal(t, Token{Term: "spring boot", Start: 7, End: 18, Skill: true}, toks[1])
	assert.Equal(t, "Spring Boot", in[toks[1].Start:toks[1].End])
	assert.Equal(t, "ＭｙＳＱＬ", in[toks[2].Start:toks[2].End])
	assert.Equal(t, "mysql", toks[2].Term)
}

func TestTokenizerSearchMode(t *testing.T) {
	tk, err := NewTokenizer(TokenizerConfig{Search: true})
	require.NoError(t, err)
	terms := tk.Terms("中华人民共和国")
	assert.Contains(t, terms, "中华人民共和国")
	assert.Contains(t, terms, "人民")
	assert.Greater(t, len(terms), 1)
}

func TestTokenizerKeepStopWordsAndExtra(t *testing.T) {
	keep, err := NewTokenizer(TokenizerConfig{KeepStopWords: true})
	require.NoError(t, err)
	assert.Equal(t, []string{"熟悉", "的", "java"}, keep.Terms("熟悉的Java"))
	extra, err := NewTokenizer(TokenizerConfig{StopWords: []string{"熟悉"}})
	require.NoError(t, err)
	assert.Equal(t, []string{"java"}, extra.Terms("熟悉的Java"))
	_, err = NewTokenizer(TokenizerConfig{MaxPhrase: -1})
	assert.ErrorContains(t, err, "MaxPhrase")
}

func TestTokenizerCustomVocabulary(t *testing.T) {
	v, err := DefaultVocabulary().Extend(Entry{Canonical: "区块链", Variants: []string{"blockchain", "block chain"}})
	require.NoError(t, err)
	tk, err := NewTokenizer(TokenizerConfig{Vocabulary: v})
	require.NoError(t, err)
	assert.Equal(t, []string{"区块链", "区块链", "java"}, tk.Terms("Blockchain、block chain、Java"))
	assert.Equal(t, []string{"区块链"}, tk.Skills("block chain 和 block-chain"))
}

func TestTokenizerConcurrent(t *testing.T) {
	tk := DefaultTokenizer()
	in := "岗位职责：1、负责Python爬虫开发；2、熟悉Django/Flask，了解K8s与Docker。"
	want := tk.Terms(in)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				assert.Equal(t, want, tk.Terms(in))
			}
		})
	}
	wg.Wait()
}

func TestTermsAreValid(t *testing.T) {
	for _, in := range []string{"\xff\xfe熟悉\x80Java", "C++\xc3", strings.Repeat("<", 600) + "java"} {
		for _, tok := range DefaultTokenizer().Tokens(in) {
			assert.True(t, utf8.ValidString(tok.Term), "%q", tok.Term)
			assert.NotEmpty(t, tok.Term)
		}
	}
}

func TestVocabulary(t *testing.T) {
	v := DefaultVocabulary()
	for in, want := range map[string]string{
		"golang": "go", "Go语言": "go", "K8S": "kubernetes", "js": "javascript", "Spring Boot": "spring boot",
		"springboot": "spring boot", "ＭｙＳＱＬ": "mysql", "ML": "机器学习", "机器学习": "机器学习", "C++": "c++",
	} {
		got, ok := v.Lookup(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	assert.Equal(t, "data mining x", v.Normalize("  Data   Mining X "))
	assert.True(t, v.Known("spring boot"))
	assert.False(t, v.Known("springboot"))
	_, err := NewVocabulary([]Entry{{Canonical: " "}})
	assert.ErrorIs(t, err, ErrVocabulary)
	assert.Greater(t, v.Len(), 500)
}

func TestFold(t *testing.T) {
	assert.Equal(t, "springboot", Fold("Spring-Boot"))
	assert.Equal(t, "nodejs", Fold("Node.js"))
	assert.Equal(t, "c++", Fold("Ｃ＋＋"))
	assert.Equal(t, "mysql", Fold("My\xffSQL"))
	assert.Equal(t, "a b", Clean(" A\u3000 b "))
}

func TestTokenizerRadicals(t *testing.T) {
	in := "⾯试通过后⼊职" // Kangxi radicals ⾯ (U+2FAF) and ⼊ (U+2F0A) typed for 面 and 入
	toks := DefaultTokenizer().Tokens(in)
	var terms []string
	for _, tok := range toks {
		terms = append(terms, tok.Term)
	}
	assert.Equal(t, DefaultTokenizer().Terms("面试通过后入职"), terms)
	assert.Equal(t, "⾯试", in[toks[0].Start:toks[0].End])
	assert.Equal(t, "面", DefaultTokenizer().Terms("⾯")[0])
}
