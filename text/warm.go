package text

// Warm loads, now, what the first tokenisation would otherwise load: gse's
// embedded dictionary with the default vocabulary's Chinese terms added
// (about a second), the default vocabulary and the stop
// words. Without it the first call that tokenises pays that second, which
// in a server is the first request.
//
// Warm is safe to call many times and from many goroutines: the work is
// done once per process, and a call made while another is loading waits
// for it. Every [Tokenizer] shares what it loads. It does no I/O (the
// dictionary is embedded in the binary) and starts no goroutine.
func Warm() {
	DefaultVocabulary()
	defaultStopWords()
	segmenter()
	DefaultTokenizer()
}
