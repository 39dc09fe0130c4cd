package recall

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/blevesearch/bleve/v2"
	"github.com/kelindar/bitmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
)

// churnedIndex indexes synth.Small's profiles, then replaces and removes
// some of them (in batches and one by one), so that the cache has been
// through every update path. It returns the index and the profiles that
// should be in it.
func churnedIndex(t *testing.T, path string) (*Index, map[uint32]market.Profile) {
	t.Helper()
	m, err := synth.Generate(synth.Small())
	require.NoError(t, err)
	x, err := OpenIndex(IndexConfig{Path: path})
	require.NoError(t, err)
	live := map[uint32]market.Profile{}
	var ixs []uint32
	for i := range m.Profiles {
		ixs = append(ixs, uint32(i))
		live[uint32(i)] = m.Profiles[i]
	}
	require.NoError(t, x.UpsertBatch(ixs, m.Profiles))
	rng := rand.New(rand.NewPCG(3, 4))
	// A large batch of replacements (the merge paths), some with another
	// profile's content.
	var bix []uint32
	var bps []market.Profile
	for range 60 {
		ix := uint32(rng.IntN(len(m.Profiles)))
		p := m.Profiles[ix]
		q := m.Profiles[rng.IntN(len(m.Profiles))]
		if q.Side == p.Side {
			p.Title, p.Skills, p.Text = q.Title, q.Skills, q.Text
		}
		bix, bps = append(bix, ix), append(bps, p)
		live[ix] = p
	}
	require.NoError(t, x.UpsertBatch(bix, bps))
	// Single replacements, removals and additions.
	for range 20 {
		ix := uint32(rng.IntN(len(m.Profiles)))
		p, ok := live[ix]
		if !ok {
			continue
		}
		p.Skills = append(slices.Clone(p.Skills), "Rust")
		require.NoError(t, x.Upsert(ix, &p))
		live[ix] = p
		gone := uint32(rng.IntN(len(m.Profiles)))
		require.NoError(t, x.Remove(gone))
		delete(live, gone)
	}
	extra := m.Profiles[0]
	extra.ID = "extra"
	require.NoError(t, x.Upsert(uint32(len(m.Profiles)+5), &extra))
	live[uint32(len(m.Profiles)+5)] = extra
	return x, live
}

// bleveLists reads every posting of the analysed fields back from bleve.
func bleveLists(t *testing.T, x *Index) map[listKey][]posting {
	t.Helper()
	adv, err := x.idx.Advanced()
	require.NoError(t, err)
	r, err := adv.Reader()
	require.NoError(t, err)
	defer r.Close()
	out := map[listKey][]posting{}
	for f, field := range textFields {
		dict, err := r.FieldDict(field)
		require.NoError(t, err)
		for {
			de, err := dict.Next()
			require.NoError(t, err)
			if de == nil {
				break
			}
			tfr, err := r.TermFieldReader(context.Background(), []byte(de.Term), field, true, true, false)
			require.NoError(t, err)
			for {
				td, err := tfr.Next(nil)
				require.NoError(t, err)
				if td == nil {
					break
				}
				ext, err := r.ExternalID(td.ID)
				require.NoError(t, err)
				ix, ok := parseDocID(ext)
				require.True(t, ok)
				side := x.profiles[ix].side
				k := listKey{side, uint8(f), de.Term}
				out[k] = append(out[k], posting{ix, float32(math.Sqrt(float64(td.Freq)) * float64(float32(td.Norm)))})
			}
			require.NoError(t, tfr.Close())
		}
		require.NoError(t, dict.Close())
	}
	for k := range out {
		slices.SortFunc(out[k], func(a, b posting) int { return cmpDoc(a, b.doc) })
	}
	return out
}

// cacheLists returns the cache's non-empty lists.
func cacheLists(x *Index) map[listKey][]posting {
	out := map[listKey][]posting{}
	for id, l := range x.cache.lists {
		if len(l) > 0 {
			out[x.cache.keys[id]] = l
		}
	}
	return out
}

func TestCacheMirrorsBleve(t *testing.T) {
	x, live := churnedIndex(t, "")
	defer x.Close()
	want := bleveLists(t, x)
	got := cacheLists(x)
	require.Equal(t, len(want), len(got), "number of non-empty lists")
	for k, w := range want {
		require.Equal(t, w, got[k], "list %v", k)
	}
	// Forward lists, columns and side counts agree with the live profiles.
	var docs [3]int
	for ix := range x.cache.col {
		p, ok := live[uint32(ix)]
		c := x.cache.col[ix]
		if !ok {
			assert.Zero(t, c.side, "removed %d", ix)
			assert.Empty(t, x.cache.fwd[ix])
			continue
		}
		docs[p.Side]++
		assert.Equal(t, p.Side, c.side)
		assert.Equal(t, p.City, keyOf(x.cache.names, c.city))
		for _, id := range x.cache.fwd[ix] {
			_, found := slices.BinarySearchFunc(x.cache.lists[id], uint32(ix), cmpDoc)
			assert.True(t, found, "doc %d missing from its list %v", ix, x.cache.keys[id])
		}
	}
	assert.Equal(t, docs, x.cache.docs)
	st := x.Stats()
	assert.Equal(t, docs[market.Seeker], st.Seekers)
	assert.Equal(t, docs[market.Recruiter], st.Recruiters)
	assert.Equal(t, len(want), st.Lists)
	n := 0
	for _, l := range want {
		n += len(l)
	}
	assert.Equal(t, n, st.Postings)
}

func keyOf(names map[string]uint32, n uint32) string {
	for s, v := range names {
		if v == n {
			return s
		}
	}
	return ""
}

func TestCacheReloadedFromDisk(t *testing.T) {
	dir := t.TempDir() + "/index"
	x, live := churnedIndex(t, dir)
	before := cacheLists(x)
	requesters := slices.Sorted(func(yield func(uint32) bool) {
		for ix := range live {
			if !yield(ix) {
				return
			}
		}
	})
	recallAll := func(x *Index) [][]Candidate {
		var out [][]Candidate
		for _, u := range requesters[:40] {
			var all bitmap.Bitmap
			for ix, p := range live {
				if p.Side != live[u].Side {
					all.Set(ix)
				}
			}
			got, err := x.Recall(context.Background(), Request{Requester: u, Side: live[u].Side, K: 50, Allowed: all}, nil)
			require.NoError(t, err)
			out = append(out, got)
		}
		return out
	}
	want := recallAll(x)
	require.NoError(t, x.Close())
	y, err := OpenIndex(IndexConfig{Path: dir})
	require.NoError(t, err)
	defer y.Close()
	assert.Equal(t, before, cacheLists(y), "postings read back from bleve's dictionaries")
	for ix, p := range live {
		in := y.profiles[ix]
		require.NotNil(t, in, "profile %d", ix)
		assert.Equal(t, p.Title, in.title)
		assert.Equal(t, p.City, in.city)
		assert.Equal(t, p.Experience, in.experience)
		assert.Equal(t, p.Education, in.education)
		assert.Equal(t, len(p.Skills), len(in.skills))
	}
	assert.Equal(t, want, recallAll(y), "the same candidates and scores without upserting again")
}

// TestRecallScores recomputes every returned score from the definition in
// Index's documentation, term by term, without the accumulator.
func TestRecallScores(t *testing.T) {
	x, live := churnedIndex(t, "")
	defer x.Close()
	checked := 0
	for u, p := range live {
		if checked > 60 {
			break
		}
		var all bitmap.Bitmap
		for ix, q := range live {
			if q.Side != p.Side {
				all.Set(ix)
			}
		}
		got, err := x.Recall(context.Background(), Request{Requester: u, Side: p.Side, K: 1000, Allowed: all}, nil)
		require.NoError(t, err)
		cls, in := x.clauses(u, nil)
		for _, c := range got {
			var s float32
			for _, k := range cls {
				if i, ok := slices.BinarySearchFunc(x.cache.lists[k.list], c.Index, cmpDoc); ok {
					s += k.w * x.cache.lists[k.list][i].impact
				}
			}
			require.NotZero(t, s, "candidate %d holds no query term", c.Index)
			compat := compatibility(in, x.cache.name(in.city), x.cache.name(in.industry), &x.cache.col[c.Index])
			require.LessOrEqual(t, compat, compatibilityBound(in, x.cache.name(in.city), x.cache.name(in.industry)))
			want := float64(s) + compat
			assert.InDelta(t, want, c.Score, 1e-4, "requester %d candidate %d", u, c.Index)
		}
		checked++
	}
}

// TestQueryMatchesRecall checks that the bleve query of Index.Query, run
// by bleve, matches exactly the documents that Recall scores.
func TestQueryMatchesRecall(t *testing.T) {
	x, live := churnedIndex(t, "")
	defer x.Close()
	checked := 0
	for u, p := range live {
		if checked > 40 {
			break
		}
		q := x.Query(u)
		var all bitmap.Bitmap
		for ix, o := range live {
			if o.Side != p.Side {
				all.Set(ix)
			}
		}
		got, err := x.Recall(context.Background(), Request{Requester: u, Side: p.Side, K: len(live), Allowed: all}, nil)
		require.NoError(t, err)
		if q == nil {
			assert.Empty(t, got)
			continue
		}
		res, err := x.idx.Search(bleve.NewSearchRequestOptions(q, len(live)+10, 0, false))
		require.NoError(t, err)
		var hits []uint32
		for _, h := range res.Hits {
			ix, ok := parseDocID(h.ID)
			require.True(t, ok)
			hits = append(hits, ix)
		}
		slices.Sort(hits)
		ids := make([]uint32, len(got))
		for i, c := range got {
			ids[i] = c.Index
		}
		slices.Sort(ids)
		require.Equal(t, hits, ids, "requester %d", u)
		checked++
	}
	assert.Greater(t, checked, 20)
}
