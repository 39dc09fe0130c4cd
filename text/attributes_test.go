package text_test

import (
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/sparse"
	"github.com/twowayrec/twoway/text"
)

// attrProfiles are four profiles with attributes in different units: age
// (20, 30, 40; d has none), income (30,000 to 90,000), children (0, 2, 4:
// a 0 that is a value, not a blank) and a one-hot race code. The format-1
// fixture (testdata/encoder-format1.bin) was fitted on them with the
// zero EncoderConfig by the encoder of before the standardisation.
func attrProfiles() []market.Profile {
	return []market.Profile{
		{ID: "a", Side: market.Seeker, Title: "analyst", Attributes: map[string]float64{"age": 20, "income": 30000, "children": 0, "race_1": 1}},
		{ID: "b", Side: market.Seeker, Title: "analyst", Attributes: map[string]float64{"age": 30, "income": 60000, "children": 2, "race_2": 1}},
		{ID: "c", Side: market.Recruiter, Title: "analyst", Attributes: map[string]float64{"age": 40, "income": 90000, "children": 4, "race_1": 1}},
		{ID: "d", Side: market.Recruiter, Title: "analyst", Attributes: map[string]float64{"income": 60000}},
	}
}

// attrValues returns the attribute entries of p's content vector, by name.
func attrValues(t *testing.T, enc *text.Encoder, p *market.Profile) map[string]float64 {
	t.Helper()
	v := enc.Encode(sparse.Vector{}, p)
	out := map[string]float64{}
	for k, i := range v.Idx {
		if f := enc.Feature(i); f.Kind == text.KindAttribute {
			out[f.Value] = v.Val[k]
		}
	}
	return out
}

func TestAttributesStandardised(t *testing.T) {
	ps := attrProfiles()
	enc, err := text.NewEncoder(ps, text.EncoderConfig{})
	require.NoError(t, err)
	w := text.DefaultWeights().Attributes

	// a: age −1.2247 sd (mean 30 over a, b, c), income −1.4142 sd (mean
	// 60,000 over all four), children −1.2247 sd, race_1 one-hot kept as 1;
	// the block is then scaled to unit length times the weight.
	za, zi, zc := -10/math.Sqrt(200.0/3), -30000/math.Sqrt(450e6), -2/math.Sqrt(8.0/3)
	n := math.Sqrt(za*za + zi*zi + zc*zc + 1)
	got := attrValues(t, enc, &ps[0])
	require.Len(t, got, 4)
	assert.InDelta(t, w*za/n, got["age"], 1e-12)
	assert.InDelta(t, w*zi/n, got["income"], 1e-12)
	assert.InDelta(t, w*zc/n, got["children"], 1e-12, "a 0 that was given is a value below the mean, not a blank")
	assert.InDelta(t, w/n, got["race_1"], 1e-12, "an indicator with one value is kept as given")

	// b is at the mean of every standardised attribute: only its race
	// code is left. d has income only, at the mean: no attribute at all,
	// and its missing age reads as the mean.
	assert.Equal(t, map[string]float64{"race_2": w}, attrValues(t, enc, &ps[1]))
	assert.Empty(t, attrValues(t, enc, &ps[3]))

	// Units no longer matter: a's age and income are both about −1.2 to
	// −1.4 sd, where raw the income drowned the age.
	raw, err := text.NewEncoder(ps, text.EncoderConfig{RawAttributes: true})
	require.NoError(t, err)
	r := attrValues(t, raw, &ps[0])
	assert.Less(t, math.Abs(r["age"]), 1e-3*math.Abs(r["income"]), "raw: the income drowns the age")
	assert.NotContains(t, r, "children", "raw: a 0 is left out")
	assert.Greater(t, math.Abs(got["age"]), 0.5*math.Abs(got["income"]))

	// An attribute AttributeScale names is encoded as given, divided.
	scaled, err := text.NewEncoder(ps, text.EncoderConfig{AttributeScale: map[string]float64{"age": 10}})
	require.NoError(t, err)
	s := attrValues(t, scaled, &ps[1])
	require.Contains(t, s, "age")
	assert.InDelta(t, w*3/math.Sqrt(9+1), s["age"], 1e-12, "b's age 30 / 10 = 3 beside race_2's 1")
}

func TestAttributesBinaryRoundTrip(t *testing.T) {
	ps := attrProfiles()
	enc, err := text.NewEncoder(ps, text.EncoderConfig{})
	require.NoError(t, err)
	b, err := enc.AppendBinary(nil)
	require.NoError(t, err)
	dec, err := text.DecodeEncoder(b, nil, nil)
	require.NoError(t, err)
	unseen := market.Profile{ID: "e", Side: market.Seeker, Attributes: map[string]float64{"age": 55, "income": 10000, "pets": 3}}
	for _, p := range append(ps, unseen) {
		assert.Equal(t, enc.Encode(sparse.Vector{}, &p), dec.Encode(sparse.Vector{}, &p), "profile %s", p.ID)
	}
	again, err := dec.AppendBinary(nil)
	require.NoError(t, err)
	assert.Equal(t, b, again)

	// An encoder saved before the standardisation (format 1) decodes with
	// raw attributes, exactly as it was fitted.
	old, err := os.ReadFile("testdata/encoder-format1.bin")
	require.NoError(t, err)
	dec1, err := text.DecodeEncoder(old, nil, nil)
	require.NoError(t, err)
	raw, err := text.NewEncoder(ps, text.EncoderConfig{RawAttributes: true})
	require.NoError(t, err)
	for _, p := range append(ps, unseen) {
		assert.Equal(t, raw.Encode(sparse.Vector{}, &p), dec1.Encode(sparse.Vector{}, &p), "profile %s", p.ID)
	}
	for cut := range len(b) {
		_, err := text.DecodeEncoder(b[:cut], nil, nil)
		require.ErrorIs(t, err, text.ErrCorrupt, "cut at %d", cut)
	}
}
