package text

import (
	"fmt"
	"sync"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// Names under which [RegisterBleve] registers the analyzers in bleve's
// registry.
const (
	// BleveAnalyzer tokenises like [DefaultTokenizer] (precise mode): the
	// same terms as the content vectors.
	BleveAnalyzer = "twoway/text"
	// BleveSearchAnalyzer uses gse's search mode, adding the shorter
	// dictionary words inside long Chinese words, for higher recall.
	BleveSearchAnalyzer = "twoway/text-search"
)

var registerBleve = sync.OnceValue(func() error {
	for name, search := range map[string]bool{BleveAnalyzer: false, BleveSearchAnalyzer: true} {
		err := registry.RegisterAnalyzer(name, func(map[string]interface{}, *registry.Cache) (analysis.Analyzer, error) {
			if !search {
				return NewBleveAnalyzer(DefaultTokenizer()), nil
			}
			t, err := searchTokenizer()
			if err != nil {
				return nil, err
			}
			return NewBleveAnalyzer(t), nil
		})
		if err != nil {
			return fmt.Errorf("text: registering bleve analyzer %s: %w", name, err)
		}
	}
	return nil
})

var searchTokenizer = sync.OnceValues(func() (*Tokenizer, error) {
	return NewTokenizer(TokenizerConfig{Search: true})
})

// RegisterBleve registers the analyzers [BleveAnalyzer] and
// [BleveSearchAnalyzer] in bleve's global registry, so that an index
// mapping can name them (mapping.DefaultAnalyzer = text.BleveAnalyzer).
// bleve's registry is process-wide and refuses duplicate names, so
// RegisterBleve does its work once; every call returns the same result and
// it is safe to call from several goroutines and packages.
func RegisterBleve() error { return registerBleve() }

// NewBleveAnalyzer returns a bleve analyzer backed by t, for a host that
// registers its own tokenizer (custom vocabulary or stop words) under its
// own name. Tokens carry byte offsets into the field and 1-based positions.
func NewBleveAnalyzer(t *Tokenizer) analysis.Analyzer { return bleveAnalyzer{t} }

type bleveAnalyzer struct{ t *Tokenizer }

// Analyze implements analysis.Analyzer.
func (a bleveAnalyzer) Analyze(input []byte) analysis.TokenStream {
	s := string(input)
	var out analysis.TokenStream
	pos := 0
	a.t.each(s, false, func(tok Token) {
		pos++
		typ := analysis.AlphaNumeric
		if r, _ := utf8.DecodeRuneInString(tok.Term); isHan(r) {
			typ = analysis.Ideographic
		}
		out = append(out, &analysis.Token{Term: []byte(tok.Term), Start: tok.Start, End: tok.End, Position: pos, Type: typ})
	})
	return out
}
