package text

import (
	"sync"
	"unicode/utf8"

	"github.com/go-ego/gse"
)

// vocabularyFreq is the dictionary frequency given to the Chinese terms of
// the default vocabulary that gse's dictionary lacks (数据分析, 机器学习,
// 大数据…), high enough that the shortest-path segmenter keeps them whole.
const vocabularyFreq = 20000

// segmenter returns the process-wide gse segmenter: gse's embedded
// simplified-Chinese dictionary plus the Chinese terms of the default
// vocabulary, loaded on first use and never modified afterwards (gse's
// lookups only read it, so it is safe for concurrent use).
//
// It sets NotLoadHMM, so loading never touches gse's package-global HMM
// model, and the tokenizer only calls Segment, which does not use it.
var segmenter = sync.OnceValue(func() *gse.Segmenter {
	seg := &gse.Segmenter{NotLoadHMM: true, SkipLog: true}
	seg.Dict = gse.NewDict()
	seg.Init() // with NotLoadHMM set, only fills in default frequencies
	// The vocabulary's words go first: gse keeps the first frequency it
	// sees for a word.
	for _, e := range DefaultVocabulary().entries {
		for _, s := range append([]string{e.Canonical}, e.Variants...) {
			if hanOnly(s) && utf8.RuneCountInString(s) >= 2 {
				if err := seg.Dict.AddToken(seg.ToToken(s, vocabularyFreq, "nz")); err != nil {
					panic("text: adding " + s + " to the gse dictionary: " + err.Error())
				}
			}
		}
	}
	if err := seg.LoadDictEmbed("zh_s"); err != nil {
		panic("text: loading gse dictionary: " + err.Error())
	}
	return seg
})

// hanOnly reports whether s consists of Chinese ideographs only.
func hanOnly(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !isHan(r) {
			return false
		}
	}
	return true
}
