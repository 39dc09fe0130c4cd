package text_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/sparse"
	"github.com/twowayrec/twoway/text"
)

func fittedText(t testing.TB) ([]market.Profile, *text.Rules, *text.Encoder) {
	t.Helper()
	m, err := synth.Generate(synth.Config{Seed: 2, Seekers: 120, Jobs: 40})
	require.NoError(t, err)
	var txs [][]string
	for _, p := range m.Profiles {
		txs = append(txs, append(append([]string(nil), p.Skills...), p.Tags...))
	}
	rules, err := text.MineRules(txs, text.RuleConfig{})
	require.NoError(t, err)
	enc, err := text.NewEncoder(m.Profiles, text.EncoderConfig{Rules: rules, CategoricalIDF: true,
		Weighting: text.WeightingConfig{Scheme: text.BM25}, AttributeScale: map[string]float64{"age": 10}})
	require.NoError(t, err)
	return m.Profiles, rules, enc
}

func TestEncoderAndRulesBinaryRoundTrip(t *testing.T) {
	profiles, rules, enc := fittedText(t)
	rb, err := rules.AppendBinary(nil)
	require.NoError(t, err)
	rules2, err := text.DecodeRules(rb)
	require.NoError(t, err)
	assert.Equal(t, rules.All(), rules2.All())
	eb, err := enc.AppendBinary(nil)
	require.NoError(t, err)
	enc2, err := text.DecodeEncoder(eb, nil, rules2)
	require.NoError(t, err)
	require.Equal(t, enc.Len(), enc2.Len())
	for i := range uint32(enc.Len()) {
		require.Equal(t, enc.Feature(i), enc2.Feature(i))
	}
	for i := range profiles {
		p := &profiles[i]
		assert.Equal(t, enc.Encode(sparse.Vector{}, p), enc2.Encode(sparse.Vector{}, p), "profile %s", p.ID)
		assert.Equal(t, rules.Expand(append(append([]string(nil), p.Skills...), p.Tags...)),
			rules2.Expand(append(append([]string(nil), p.Skills...), p.Tags...)))
	}
	again, err := enc2.AppendBinary(nil)
	require.NoError(t, err)
	assert.Equal(t, eb, again)

	for _, cut := range []int{0, 1, len(eb) / 2, len(eb) - 1} {
		_, err := text.DecodeEncoder(eb[:cut], nil, nil)
		assert.ErrorIs(t, err, text.ErrCorrupt, "encoder cut at %d", cut)
	}
	for _, cut := range []int{0, 1, len(rb) / 2, len(rb) - 1} {
		_, err := text.DecodeRules(rb[:cut])
		assert.ErrorIs(t, err, text.ErrCorrupt, "rules cut at %d", cut)
	}
}

func FuzzDecodeEncoder(f *testing.F) {
	var enc *text.Encoder
	{
		ps := []market.Profile{{ID: "a", Side: market.Seeker, Title: "Go工程师", Skills: []string{"go"}, City: "北京"}}
		var err error
		enc, err = text.NewEncoder(ps, text.EncoderConfig{})
		if err != nil {
			f.Fatal(err)
		}
	}
	eb, _ := enc.AppendBinary(nil)
	f.Add(eb)
	f.Fuzz(func(t *testing.T, data []byte) {
		if e, err := text.DecodeEncoder(data, nil, nil); err == nil {
			_, _ = e.AppendBinary(nil)
		}
		if r, err := text.DecodeRules(data); err == nil {
			_, _ = r.AppendBinary(nil)
		}
	})
}
