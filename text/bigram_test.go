package text_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/sparse"
	"github.com/twowayrec/twoway/text"
)

// textTerms returns the text-block features of p's vector under enc, split
// into words and bigrams (their two characters).
func textTerms(t *testing.T, enc *text.Encoder, p *market.Profile) (words, bigrams []string) {
	t.Helper()
	v := enc.Encode(sparse.Vector{}, p)
	for _, i := range v.Idx {
		f := enc.Feature(i)
		if f.Kind != text.KindText {
			continue
		}
		if b, ok := text.Bigram(f.Value); ok {
			bigrams = append(bigrams, b)
		} else {
			words = append(words, f.Value)
		}
	}
	return words, bigrams
}

func TestHanBigrams(t *testing.T) {
	profiles := []market.Profile{
		{ID: "a", Side: market.Seeker, Text: "擅长数据可视化 and SQL"},
		// Full-width letters and a Kangxi radical (⼈, U+2F08) fold as the tokenizer folds them.
		{ID: "b", Side: market.Recruiter, Title: "数据分析", Text: "ＳＱＬ 可视化 ⼈才"},
		{ID: "c", Side: market.Recruiter, Text: "Go and Kubernetes, no ideographs"},
	}
	enc, err := text.NewEncoder(profiles, text.EncoderConfig{})
	require.NoError(t, err)

	_, bg := textTerms(t, enc, &profiles[0])
	assert.ElementsMatch(t, []string{"擅长", "长数", "数据", "据可", "可视", "视化"}, bg,
		"adjacent ideographs of one run, never across a space or a Latin word")
	_, bg = textTerms(t, enc, &profiles[1])
	assert.ElementsMatch(t, []string{"数据", "据分", "分析", "可视", "视化", "人才"}, bg, "title and text, folded")
	words, bg := textTerms(t, enc, &profiles[2])
	assert.Empty(t, bg, "text without ideographs has no bigrams")
	assert.NotEmpty(t, words)

	i, ok := enc.Index(text.Feature{Kind: text.KindText, Value: "\x00数据"})
	require.True(t, ok, "a bigram is a text term of its own")
	assert.Equal(t, "text: 数据 (characters)", enc.Feature(i).String())
	_, isBigram := text.Bigram("数据")
	assert.False(t, isBigram, "the segmenter's word is not the bigram")

	// Shared characters raise the similarity of texts the segmenter splits differently.
	off, err := text.NewEncoder(profiles, text.EncoderConfig{NoHanBigrams: true})
	require.NoError(t, err)
	_, bg = textTerms(t, off, &profiles[0])
	assert.Empty(t, bg, "NoHanBigrams")
	for _, e := range []*text.Encoder{enc, off} {
		for i := range profiles {
			v := e.Encode(sparse.Vector{}, &profiles[i])
			for _, x := range v.Val {
				assert.False(t, x != x, "no NaN")
			}
		}
	}
}

// TestDecodeEncoderSavedBeforeBigrams: an encoder written before
// EncoderConfig.NoHanBigrams existed (its configuration has no such key)
// decodes without bigrams, and so encodes exactly as it was fitted (with
// BM25 the bigrams would otherwise lengthen every document).
func TestDecodeEncoderSavedBeforeBigrams(t *testing.T) {
	profiles := []market.Profile{
		{ID: "a", Side: market.Seeker, Title: "数据分析师", Text: "擅长数据可视化"},
		{ID: "b", Side: market.Recruiter, Title: "数据工程师", Text: "熟悉可视化工具"},
	}
	old, err := text.NewEncoder(profiles, text.EncoderConfig{NoHanBigrams: true, Weighting: text.WeightingConfig{Scheme: text.BM25}})
	require.NoError(t, err)
	data, err := old.AppendBinary(nil)
	require.NoError(t, err)
	// Rewrite the configuration (the second field, length-prefixed) without the key.
	_, n := binary.Uvarint(data)
	l, m := binary.Uvarint(data[n:])
	cfg := data[n+m : n+m+int(l)]
	require.True(t, bytes.Contains(cfg, []byte(`"no_han_bigrams":true`)), "the key is always written: %s", cfg)
	legacy := bytes.Replace(cfg, []byte(`,"no_han_bigrams":true`), nil, 1)
	require.NotEqual(t, cfg, legacy)
	var b []byte
	b = append(b, data[:n]...)
	b = binary.AppendUvarint(b, uint64(len(legacy)))
	b = append(b, legacy...)
	b = append(b, data[n+m+int(l):]...)

	dec, err := text.DecodeEncoder(b, nil, nil)
	require.NoError(t, err)
	for i := range profiles {
		assert.Equal(t, old.Encode(sparse.Vector{}, &profiles[i]), dec.Encode(sparse.Vector{}, &profiles[i]), profiles[i].ID)
		_, bg := textTerms(t, dec, &profiles[i])
		assert.Empty(t, bg)
	}
	// And one saved now round-trips with its bigrams.
	enc, err := text.NewEncoder(profiles, text.EncoderConfig{})
	require.NoError(t, err)
	data, err = enc.AppendBinary(nil)
	require.NoError(t, err)
	dec, err = text.DecodeEncoder(data, nil, nil)
	require.NoError(t, err)
	for i := range profiles {
		assert.Equal(t, enc.Encode(sparse.Vector{}, &profiles[i]), dec.Encode(sparse.Vector{}, &profiles[i]), profiles[i].ID)
	}
}
