package text

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Warm may run from many goroutines at once, and beside tokenisation
// (checked under -race); the segmenter it loaded keeps the vocabulary's
// Chinese terms whole.
func TestWarm(t *testing.T) {
	var wg sync.WaitGroup
	terms := make([][]string, 4)
	for i := range 8 {
		wg.Go(func() {
			Warm()
			if i < len(terms) {
				terms[i] = DefaultTokenizer().Terms("机器学习工程师，熟悉数据分析")
			}
		})
	}
	wg.Wait()
	for _, ts := range terms {
		assert.Equal(t, []string{"机器学习", "工程师", "熟悉", "数据分析"}, ts)
	}
	Warm() // again: nothing left to do
	assert.Equal(t, terms[0], DefaultTokenizer().Terms("机器学习工程师，熟悉数据分析"))
}
