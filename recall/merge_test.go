package recall

import (
	"context"
	"math"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func list(pairs ...float64) []Candidate {
	var out []Candidate
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, Candidate{Index: uint32(pairs[i]), Score: pairs[i+1]})
	}
	return out
}

func mergedIndices(c []Candidate) []uint32 {
	out := make([]uint32, len(c))
	for i := range c {
		out[i] = c[i].Index
	}
	return out
}

func TestMerge(t *testing.T) {
	a := list(1, 9, 2, 8, 3, 7)       // source a
	b := list(3, 0.9, 4, 0.5, 5, 0.1) // source b
	src := []Source{{Name: "a"}, {Name: "b"}}
	for _, tc := range []struct {
		name   string
		cfg    MergeConfig
		k      int
		want   []uint32
		scores []float64
	}{
		{"sequential", MergeConfig{Method: Sequential, Sources: src}, 10, []uint32{1, 2, 3, 4, 5}, []float64{1, 1.0 / 2, 1.0 / 3, 1.0 / 4, 1.0 / 5}},
		{"sequential quota", MergeConfig{Method: Sequential, Sources: []Source{{Name: "a", Quota: 1}, {Name: "b"}}}, 10, []uint32{1, 3, 4, 5}, nil},
		{"sequential k", MergeConfig{Method: Sequential, Sources: src}, 2, []uint32{1, 2}, nil},
		{"snake", MergeConfig{Method: Snake, Sources: src}, 10, []uint32{1, 3, 2, 4, 5}, nil},
		{"snake quota", MergeConfig{Method: Snake, Sources: []Source{{Name: "a"}, {Name: "b", Quota: 2}}}, 10, []uint32{1, 3, 2, 4}, nil},
		// Weighted: a normalised by 9, b by 0.9: 1→1, 2→8/9, 3→7/9+1, 4→5/9, 5→1/9.
		{"weighted", MergeConfig{Method: Weighted, Sources: src}, 10, []uint32{3, 1, 2, 4, 5}, []float64{7.0/9 + 1, 1, 8.0 / 9, 0.5 / 0.9, 0.1 / 0.9}},
		// Weight 3 on a: 1 → 3·9/9 = 3; 3 → 3·7/9 + 1 ≈ 3.33 comes first.
		{"weighted weights", MergeConfig{Method: Weighted, Sources: []Source{{Name: "a", Weight: 3}, {Name: "b"}}}, 2, []uint32{3, 1}, []float64{3*7.0/9 + 1, 3}},
		// RRF with k = 60: 3 → 1/63 + 1/61.
		{"rrf", MergeConfig{Method: RRF, Sources: src}, 3, []uint32{3, 1, 2}, []float64{1.0/63 + 1.0/61, 1.0 / 61, 1.0 / 62}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Merge(nil, tc.cfg, [][]Candidate{a, b}, tc.k)
			require.NoError(t, err)
			assert.Equal(t, tc.want, mergedIndices(got))
			for i, s := range tc.scores {
				assert.InDelta(t, s, got[i].Score, 1e-12, "score %d", i)
			}
		})
	}
}

func TestMergeHits(t *testing.T) {
	a := list(1, 9, 2, 8)
	b := list(2, 5, 1, 4)
	for _, m := range []MergeMethod{Sequential, Snake, Weighted, RRF} {
		got, err := Merge(nil, MergeConfig{Method: m, Sources: []Source{{Name: "a"}, {Name: "b"}}}, [][]Candidate{a, b}, 5)
		require.NoError(t, err)
		require.Len(t, got, 2, m.String())
		for _, c := range got {
			require.Len(t, c.Hits, 2, "%v: both sources found %d", m, c.Index)
			assert.Equal(t, "a", c.Hits[0].Source, "hits in source order")
			assert.Equal(t, "b", c.Hits[1].Source)
		}
		byIndex := map[uint32]Candidate{got[0].Index: got[0], got[1].Index: got[1]}
		assert.Equal(t, []Hit{{"a", 0, 9}, {"b", 1, 4}}, byIndex[1].Hits, m.String())
		assert.Equal(t, []Hit{{"a", 1, 8}, {"b", 0, 5}}, byIndex[2].Hits, m.String())
	}
}

func TestMergeConfigErrors(t *testing.T) {
	for field, cfg := range map[string]MergeConfig{
		"Method": {Method: 9},
		"RRFK":   {RRFK: -1},
		"Name":   {Sources: []Source{{}}},
		"repeat": {Sources: []Source{{Name: "a"}, {Name: "a"}}},
		"Quota":  {Sources: []Source{{Name: "a", Quota: -1}}},
		"Weight": {Sources: []Source{{Name: "a", Weight: -1}}},
	} {
		_, err := Merge(nil, cfg, make([][]Candidate, len(cfg.Sources)), 3)
		require.ErrorIs(t, err, ErrConfig, field)
		if field != "repeat" {
			assert.ErrorContains(t, err, field)
		}
	}
	_, err := NewMerger(MergeConfig{Sources: []Source{{Name: "a"}}})
	require.ErrorContains(t, err, "Recaller")
	_, err = Merge(nil, MergeConfig{Sources: []Source{{Name: "a"}}}, nil, 3)
	require.ErrorIs(t, err, ErrConfig)
}

func TestMergeMethodText(t *testing.T) {
	for _, m := range []MergeMethod{Sequential, Snake, Weighted, RRF} {
		b, err := m.MarshalText()
		require.NoError(t, err)
		var back MergeMethod
		require.NoError(t, back.UnmarshalText(b))
		assert.Equal(t, m, back)
	}
	var m MergeMethod
	require.ErrorIs(t, m.UnmarshalText([]byte("best")), ErrConfig)
	_, err := MergeMethod(7).MarshalText()
	require.Error(t, err)
	assert.Equal(t, "MergeMethod(7)", MergeMethod(7).String())
}

func FuzzMergeMethodText(f *testing.F) {
	for _, s := range []string{"sequential", "snake", "weighted", "rrf", "", "RRF", "snake\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var m MergeMethod
		if err := m.UnmarshalText([]byte(s)); err != nil {
			return
		}
		b, err := m.MarshalText()
		require.NoError(t, err)
		assert.Equal(t, s, string(b))
	})
}

// FuzzMerge checks the merge invariants on arbitrary lists: at most k,
// unique, Recaller order, and every candidate's hits name sources that
// hold it at that rank.
func FuzzMerge(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, uint8(0), uint8(5), uint8(0))
	f.Add([]byte{3, 3, 1, 9, 2, 2, 0, 0, 1}, uint8(3), uint8(3), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, method, k, quota uint8) {
		var lists [][]Candidate
		var cur []Candidate
		seen := map[uint32]bool{}
		for i := 0; i+1 < len(data); i += 2 {
			if data[i] == 0 { // a zero starts the next list
				lists, cur, seen = append(lists, cur), nil, map[uint32]bool{}
				continue
			}
			ix := uint32(data[i] % 16)
			if seen[ix] {
				continue
			}
			seen[ix] = true
			cur = append(cur, Candidate{Index: ix, Score: float64(data[i+1])})
		}
		lists = append(lists, cur)
		if len(lists) > 4 {
			lists = lists[:4]
		}
		src := make([]Source, len(lists))
		for i := range lists {
			sortCandidates(lists[i])
			src[i] = Source{Name: string(rune('a' + i)), Quota: int(quota % 4)}
		}
		cfg := MergeConfig{Method: MergeMethod(method % 4), Sources: src}
		got, err := Merge(nil, cfg, lists, int(k%10))
		require.NoError(t, err)
		require.LessOrEqual(t, len(got), int(k%10))
		ids := map[uint32]bool{}
		for i, c := range got {
			require.False(t, ids[c.Index], "duplicate %d", c.Index)
			ids[c.Index] = true
			if i > 0 {
				require.False(t, worse(got[i-1], c), "order at %d", i)
			}
			require.NotEmpty(t, c.Hits)
			for _, h := range c.Hits {
				l := lists[h.Source[0]-'a']
				require.Less(t, h.Rank, len(l))
				require.Equal(t, c.Index, l[h.Rank].Index)
			}
		}
	})
}

// TestMergeHugeK asks for more candidates than any list holds, up to
// math.MaxInt: huge K means "all of them", and no allocation is sized by K
// (K = MaxInt panicked in makeslice, K = 1e9 allocated 8 GB).
func TestMergeHugeK(t *testing.T) {
	a := list(1, 9, 2, 8, 3, 7)
	b := list(3, 0.9, 4, 0.5, 5, 0.1)
	for _, k := range []struct {
		name string
		k    int
	}{{"MaxInt", math.MaxInt}, {"1e9", 1e9}, {"MaxInt-1", math.MaxInt - 1}} {
		for _, m := range []MergeMethod{Sequential, Snake, Weighted, RRF} {
			t.Run(k.name+"/"+m.String(), func(t *testing.T) {
				cfg := MergeConfig{Method: m, Sources: []Source{{Name: "a"}, {Name: "b", Quota: math.MaxInt}}}
				got, err := Merge([]Candidate{{Index: 99}}, cfg, [][]Candidate{a, b}, k.k)
				require.NoError(t, err)
				require.Len(t, got, 6, "the prefix and all 5 distinct candidates")
				assert.Equal(t, uint32(99), got[0].Index)

				src := func(l []Candidate) Recaller {
					return RecallerFunc(func(_ context.Context, req Request, dst []Candidate) ([]Candidate, error) {
						return append(dst, l[:min(len(l), req.K)]...), nil
					})
				}
				mg, err := NewMerger(MergeConfig{Method: m, Sources: []Source{{Name: "a", Recaller: src(a)}, {Name: "b", Recaller: src(b)}}})
				require.NoError(t, err)
				got, err = mg.Recall(context.Background(), Request{K: k.k}, nil)
				require.NoError(t, err)
				assert.Len(t, got, 5)
			})
		}
	}
}

// TestMergeAllocatesByInput checks that Merge's memory follows the lists,
// not K: K = 2^24 over 6 candidates once allocated 128 MB.
func TestMergeAllocatesByInput(t *testing.T) {
	lists := [][]Candidate{list(1, 9, 2, 8, 3, 7), list(3, 0.9, 4, 0.5, 5, 0.1)}
	cfg := MergeConfig{Method: Sequential, Sources: []Source{{Name: "a"}, {Name: "b"}}}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 4 {
		_, err := Merge(nil, cfg, lists, 1<<24)
		require.NoError(t, err)
	}
	runtime.ReadMemStats(&after)
	// A few kilobytes; the margin is for whatever else the process runs.
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(16<<20), "bytes allocated by 4 merges of 6 candidates")
}

// TestMergeKeepsInputs checks that Merge reads its lists and changes
// nothing of them: quotas shorter than the lists used to truncate the
// caller's lists in place.
func TestMergeKeepsInputs(t *testing.T) {
	mk := func() [][]Candidate {
		a := list(1, 9, 2, 8, 3, 7, 6, 6)
		a[0].Hits = []Hit{{Source: "upstream", Rank: 0, Score: 9}}
		return [][]Candidate{a, list(3, 0.9, 4, 0.5, 5, 0.1), list(7, 2, 1, 1)}
	}
	want := mk()
	for _, m := range []MergeMethod{Sequential, Snake, Weighted, RRF} {
		for _, k := range []int{1, 3, 100} {
			lists := mk()
			inner := make([][]Candidate, len(lists)) // the same backing arrays
			copy(inner, lists)
			cfg := MergeConfig{Method: m, Sources: []Source{{Name: "a", Quota: 2}, {Name: "b", Quota: 1}, {Name: "c"}}}
			_, err := Merge(nil, cfg, lists, k)
			require.NoError(t, err)
			assert.Equal(t, want, lists, "%v, k = %d: lists changed", m, k)
			assert.Equal(t, want, inner, "%v, k = %d: lists' contents changed", m, k)
		}
	}
}
