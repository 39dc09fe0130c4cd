package text_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/sparse"
	"github.com/twowayrec/twoway/text"
)

func finiteProfiles() []market.Profile {
	reg := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	return []market.Profile{
		{ID: "a", Side: market.Seeker, Title: "Java", Skills: []string{"Java", "MySQL"}, Attributes: map[string]float64{"age": 30, "rating": 0}, Registered: reg},
		{ID: "b", Side: market.Seeker, Title: "Go", Skills: []string{"Python"}, Attributes: map[string]float64{"age": 40, "rating": 0.5}, Registered: reg},
		{ID: "c", Side: market.Seeker, Title: "Go", Skills: []string{"golang"}, Attributes: map[string]float64{"age": 20}, Registered: reg},
	}
}

func requireFinite(t *testing.T, v sparse.Vector) {
	t.Helper()
	require.NoError(t, v.Check())
	for _, x := range v.Val {
		require.False(t, math.IsNaN(x) || math.IsInf(x, 0), "value %v in %v", x, v)
	}
}

func TestEncodeExtremeAttributeFinite(t *testing.T) {
	ps := finiteProfiles()
	enc, err := text.NewEncoder(ps, text.EncoderConfig{})
	require.NoError(t, err)
	for _, x := range []float64{math.MaxFloat64, -math.MaxFloat64, 1e300, 1e-300} {
		p := ps[0]
		p.Attributes = map[string]float64{"rating": x, "age": -x}
		require.NoError(t, p.Validate())
		requireFinite(t, enc.Encode(sparse.Vector{}, &p))
	}
	// Raw attributes near the float64 range: the block norm must not overflow.
	raw, err := text.NewEncoder(ps, text.EncoderConfig{RawAttributes: true})
	require.NoError(t, err)
	p := ps[0]
	p.Attributes = map[string]float64{"rating": 1e300, "age": 1e300}
	v := raw.Encode(sparse.Vector{}, &p)
	requireFinite(t, v)
	require.Greater(t, v.Norm(), 0.0)
}

// replaceFloat replaces every little-endian occurrence of old in data by
// new and reports how many it replaced.
func replaceFloat(data []byte, old, new float64) int {
	var o, n [8]byte
	binary.LittleEndian.PutUint64(o[:], math.Float64bits(old))
	binary.LittleEndian.PutUint64(n[:], math.Float64bits(new))
	c := bytes.Count(data, o[:])
	copy(data, bytes.ReplaceAll(data, o[:], n[:]))
	return c
}

func TestDecodeEncoderRefusesNonFiniteIDF(t *testing.T) {
	ps := finiteProfiles()
	enc, err := text.NewEncoder(ps, text.EncoderConfig{CategoricalIDF: true})
	require.NoError(t, err)
	data, err := enc.AppendBinary(nil)
	require.NoError(t, err)
	idf := math.Log(4.0/2) + 1 // a feature on one profile of three
	for _, bad := range []float64{math.NaN(), math.Inf(1), -1} {
		d := bytes.Clone(data)
		require.Positive(t, replaceFloat(d, idf, bad))
		_, err := text.DecodeEncoder(d, nil, nil)
		require.True(t, errors.Is(err, text.ErrCorrupt), "idf %v: %v", bad, err)
	}
}

func TestDecodeEncoderTinyDeviationFinite(t *testing.T) {
	ps := finiteProfiles()
	enc, err := text.NewEncoder(ps, text.EncoderConfig{})
	require.NoError(t, err)
	data, err := enc.AppendBinary(nil)
	require.NoError(t, err)
	d := bytes.Clone(data)
	require.Positive(t, replaceFloat(d, math.Sqrt(200.0/3), 5e-324)) // sd of age, to the least subnormal
	e2, err := text.DecodeEncoder(d, nil, nil)
	if err != nil {
		require.True(t, errors.Is(err, text.ErrCorrupt), "%v", err)
		return
	}
	for i := range ps {
		requireFinite(t, e2.Encode(sparse.Vector{}, &ps[i]))
	}
}
