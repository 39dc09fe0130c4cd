package match_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/sparse"
)

func TestCatalogRoundTrip(t *testing.T) {
	m, err := synth.Generate(synth.Config{Seed: 3, Seekers: 300, Jobs: 120, Events: 2000, Days: 7})
	require.NoError(t, err)
	c := textCatalog(t, m)
	// A gap in the indices, and a content with every field set.
	require.NoError(t, c.Set(uint32(len(m.Profiles)+5), match.Content{
		Side: market.Seeker, Vector: sparse.Vector{Idx: []uint32{0, 7}, Val: []float64{0.5, math.SmallestNonzeroFloat64}},
		Skills: []string{"go"}, Tags: []string{"远程"}, Expanded: []string{"docker"}, City: "北京",
		Experience: market.Range{Min: 1, Max: 3}, Education: market.EducationMaster,
		Salary: market.Salary{Min: 10000, Max: 20000, Months: 14, Negotiable: true},
	}))
	data, err := c.AppendBinary(nil)
	require.NoError(t, err)

	d := match.NewCatalog(match.CatalogConfig{})
	require.NoError(t, d.Set(0, match.Content{Side: market.Recruiter}), "decoding replaces what was there")
	require.NoError(t, d.UnmarshalBinary(data))
	for ix := range uint32(len(m.Profiles) + 7) {
		want, ok := c.Content(ix)
		got, gok := d.Content(ix)
		require.Equal(t, ok, gok, "participant %d", ix)
		if !ok {
			continue
		}
		assert.True(t, match.EqualContent(want, got), "participant %d: %+v, want %+v", ix, got, want)
	}
	for _, s := range []market.Side{market.Seeker, market.Recruiter} {
		assert.Equal(t, c.Dim(s), d.Dim(s))
	}
	// Same features for every pair of a sample.
	for a := uint32(0); a < uint32(len(m.Profiles)); a += 7 {
		for b := uint32(1); b < uint32(len(m.Profiles)); b += 11 {
			assert.Equal(t, c.Features(sparse.Vector{}, a, b), d.Features(sparse.Vector{}, a, b), "pair %d, %d", a, b)
		}
	}
	again, err := d.AppendBinary(nil)
	require.NoError(t, err)
	assert.Equal(t, data, again, "encoding is deterministic")
}

func TestCatalogUnmarshalDamaged(t *testing.T) {
	c := catalogPair(t)
	data, err := c.AppendBinary(nil)
	require.NoError(t, err)
	before, _ := c.Content(0)
	for cut := range len(data) {
		err := c.UnmarshalBinary(data[:cut])
		require.ErrorIs(t, err, match.ErrContent, "cut at %d", cut)
	}
	bad := append([]byte(nil), data...)
	bad[0] = 9
	assert.ErrorContains(t, c.UnmarshalBinary(bad), "version 9")
	after, _ := c.Content(0)
	assert.True(t, match.EqualContent(before, after), "a failed decode leaves the catalog as it was")
	assert.ErrorContains(t, c.UnmarshalBinary(append(data, 0)), "trailing")
}

func FuzzCatalogUnmarshal(f *testing.F) {
	c := match.NewCatalog(match.CatalogConfig{})
	_ = c.Set(2, match.Content{Side: market.Seeker, Vector: sparse.Vector{Idx: []uint32{1, 4}, Val: []float64{1, 2}},
		Skills: []string{"go", "sql"}, City: "上海", Salary: market.Salary{Min: 1, Max: 2}})
	_ = c.Set(5, match.Content{Side: market.Recruiter, Tags: []string{"go"}})
	data, _ := c.AppendBinary(nil)
	f.Add(data)
	f.Fuzz(func(t *testing.T, b []byte) {
		d := match.NewCatalog(match.CatalogConfig{})
		if err := d.UnmarshalBinary(b); err != nil {
			return
		}
		out, err := d.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		e := match.NewCatalog(match.CatalogConfig{})
		if err := e.UnmarshalBinary(out); err != nil {
			t.Fatalf("re-encoded catalog does not decode: %v", err)
		}
	})
}
