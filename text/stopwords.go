package text

import (
	"sync"

	"github.com/go-ego/gse"
)

// englishStopWords are common English function words. Words that are also
// skills or job terms (it, go, r, c) are left out.
var englishStopWords = []string{
	"a", "an", "the", "and", "or", "but", "nor", "of", "to", "in", "on", "at", "by", "for", "with",
	"from", "into", "onto", "over", "under", "about", "as", "than", "then", "so", "if", "else",
	"is", "are", "was", "were", "be", "been", "being", "am", "do", "does", "did", "done",
	"have", "has", "had", "will", "would", "shall", "should", "can", "could", "may", "might", "must",
	"this", "that", "these", "those", "there", "here", "what", "which", "who", "whom", "whose",
	"when", "where", "why", "how", "i", "me", "my", "we", "us", "our", "you", "your", "he", "him",
	"his", "she", "her", "they", "them", "their", "its", "not", "no", "yes", "all", "any", "some",
	"such", "very", "also", "just", "only", "etc", "e.g", "i.e", "via", "per", "more", "most",
	"other", "each", "both", "either", "neither", "up", "down", "out", "off",
	// contractions, which the tokenizer keeps whole (possessive 's is cut)
	"don't", "doesn't", "didn't", "isn't", "aren't", "wasn't", "weren't", "can't", "cannot", "won't",
	"wouldn't", "shouldn't", "couldn't", "haven't", "hasn't", "hadn't", "mustn't", "i'm", "i've", "i'd",
	"i'll", "we're", "we've", "we'll", "we'd", "you're", "you've", "you'll", "you'd", "they're", "they've",
	"they'll", "they'd", "it's", "that's", "there's", "here's", "what's", "let's", "he's", "she's", "who's",
	"where's", "how's",
}

// defaultStopWords returns the built-in stop-word set: gse's embedded
// Chinese list (punctuation entries are irrelevant, punctuation never
// becomes a term) and englishStopWords. Built once, read-only after.
var defaultStopWords = sync.OnceValue(func() map[string]struct{} {
	var seg gse.Segmenter // only its stop-word map is used; no dictionary is loaded
	if err := seg.LoadStopEmbed(); err != nil {
		panic("text: gse stop words: " + err.Error())
	}
	m := make(map[string]struct{}, len(seg.StopWordMap)+len(englishStopWords))
	for w := range seg.StopWordMap {
		m[Clean(w)] = struct{}{}
	}
	for _, w := range englishStopWords {
		m[w] = struct{}{}
	}
	return m
})
