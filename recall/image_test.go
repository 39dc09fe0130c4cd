package recall_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/recall"
)

// liveProfiles lists a market's profiles as UpsertBatch and DecodeImage
// take them.
func liveProfiles(profiles map[uint32]market.Profile) ([]uint32, []market.Profile) {
	ixs := slices.Sorted(func(yield func(uint32) bool) {
		for ix := range profiles {
			if !yield(ix) {
				return
			}
		}
	})
	ps := make([]market.Profile, len(ixs))
	for k, ix := range ixs {
		ps[k] = profiles[ix]
	}
	return ixs, ps
}

func synthProfiles(t *testing.T) map[uint32]market.Profile {
	t.Helper()
	m, err := synth.Generate(synth.Config{Seed: 5, Seekers: 400, Jobs: 150, Events: 1000, Days: 7})
	require.NoError(t, err)
	out := make(map[uint32]market.Profile, len(m.Profiles))
	for i, p := range m.Profiles {
		out[uint32(i)] = p
	}
	return out
}

// recallAll returns every requester's candidates (index and score).
func recallAll(t *testing.T, x *recall.Index, pop *recall.Population, profiles map[uint32]market.Profile) [][]recall.Candidate {
	t.Helper()
	ixs, _ := liveProfiles(profiles)
	var out [][]recall.Candidate
	for _, ix := range ixs {
		got, err := x.Recall(context.Background(), indexRequest(t, pop, ix, profiles[ix].Side, 50), nil)
		require.NoError(t, err)
		out = append(out, got)
	}
	return out
}

func TestImageRecallsExactly(t *testing.T) {
	profiles := synthProfiles(t)
	x, pop := openIndex(t, recall.IndexConfig{}, profiles)
	// Some churn first, so that the image holds emptied lists and gaps.
	ixs, ps := liveProfiles(profiles)
	require.NoError(t, x.Remove(ixs[3]))
	delete(profiles, ixs[3])
	pop.Remove(ixs[3])
	p := ps[10]
	p.Skills = append(p.Skills, "一个很少见的技能")
	require.NoError(t, x.Upsert(ixs[10], &p))
	profiles[ixs[10]] = p
	require.NoError(t, x.Remove(ixs[10]))
	require.NoError(t, x.Upsert(ixs[10], &ps[10]))
	profiles[ixs[10]] = ps[10]
	want := recallAll(t, x, pop, profiles)

	data, err := x.AppendImage(nil)
	require.NoError(t, err)
	y, err := recall.OpenIndex(recall.IndexConfig{})
	require.NoError(t, err)
	defer y.Close()
	ixs, ps = liveProfiles(profiles)
	img, err := y.DecodeImage(data, ixs, ps)
	require.NoError(t, err)
	y.Install(img)
	assert.Equal(t, want, recallAll(t, y, pop, profiles), "recall answers bit for bit from the installed image")
	assert.Equal(t, x.Stats().Postings, y.Stats().Postings)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, y.Backfilled(ctx))
	n, err := y.Len()
	require.NoError(t, err)
	assert.Equal(t, len(ps), n, "bleve holds every profile after the backfill")
	again, err := y.AppendImage(nil)
	require.NoError(t, err)
	assert.Equal(t, data, again, "an installed image encodes as it was")
}

func TestImageWritesDuringTheBackfillWin(t *testing.T) {
	profiles := synthProfiles(t)
	x, pop := openIndex(t, recall.IndexConfig{}, profiles)
	data, err := x.AppendImage(nil)
	require.NoError(t, err)
	dir := t.TempDir() + "/index"
	y, err := recall.OpenIndex(recall.IndexConfig{Path: dir})
	require.NoError(t, err)
	ixs, ps := liveProfiles(profiles)
	img, err := y.DecodeImage(data, ixs, ps)
	require.NoError(t, err)
	y.Install(img)
	// While bleve fills: change the last profile, remove the one before.
	last, prev := ixs[len(ixs)-1], ixs[len(ixs)-2]
	p := ps[len(ps)-1]
	p.Title, p.Skills = "量子计算研究员", []string{"量子计算"}
	require.NoError(t, y.Upsert(last, &p))
	profiles[last] = p
	require.NoError(t, y.Remove(prev))
	delete(profiles, prev)
	pop.Remove(prev)
	require.NoError(t, y.Close(), "an on-disk index finishes its backfill before closing")

	z, err := recall.OpenIndex(recall.IndexConfig{Path: dir})
	require.NoError(t, err)
	defer z.Close()
	n, err := z.Len()
	require.NoError(t, err)
	assert.Equal(t, len(profiles), n)
	// The reopened index (refilled from bleve) recalls as a fresh one.
	fresh, _ := openIndex(t, recall.IndexConfig{}, profiles)
	for _, ix := range []uint32{ixs[0], ixs[1], ixs[len(ixs)/2], last} {
		req := indexRequest(t, pop, ix, profiles[ix].Side, 30)
		want, err := fresh.Recall(context.Background(), req, nil)
		require.NoError(t, err)
		got, err := z.Recall(context.Background(), req, nil)
		require.NoError(t, err)
		assert.Equal(t, indices(want), indices(got), "requester %d", ix)
	}
	q, err := z.Recall(context.Background(), indexRequest(t, pop, ixs[0], market.Seeker, 1000), nil)
	require.NoError(t, err)
	assert.NotContains(t, indices(q), prev, "the removed profile did not come back with the backfill")
}

func TestImageReinstallDropsWhatIsGone(t *testing.T) {
	profiles := jobMarket()
	dir := t.TempDir() + "/index"
	x, _ := openIndex(t, recall.IndexConfig{Path: dir}, profiles)
	require.NoError(t, x.Close())
	// Reopened: bleve and the cache hold all nine; the image has eight.
	y, err := recall.OpenIndex(recall.IndexConfig{Path: dir})
	require.NoError(t, err)
	defer y.Close()
	delete(profiles, 15)
	small, _ := openIndex(t, recall.IndexConfig{}, profiles)
	data, err := small.AppendImage(nil)
	require.NoError(t, err)
	ixs, ps := liveProfiles(profiles)
	img, err := y.DecodeImage(data, ixs, ps)
	require.NoError(t, err)
	y.Install(img)
	require.NoError(t, y.Backfilled(context.Background()))
	n, err := y.Len()
	require.NoError(t, err)
	assert.Equal(t, 8, n, "bleve holds exactly the image's profiles")
}

func TestImageRefusesWhatIsNotItsOwn(t *testing.T) {
	profiles := jobMarket()
	x, _ := openIndex(t, recall.IndexConfig{}, profiles)
	data, err := x.AppendImage(nil)
	require.NoError(t, err)
	ixs, ps := liveProfiles(profiles)
	for _, tc := range []struct {
		name string
		ixs  []uint32
		ps   func() []market.Profile
		want string
	}{
		{"a profile missing", ixs[1:], func() []market.Profile { return ps[1:] }, "9 documents for 8 profiles"},
		{"another city", ixs, func() []market.Profile {
			c := slices.Clone(ps)
			c[0].City = "广州"
			return c
		}, "does not match profile"},
		{"another side", ixs, func() []market.Profile {
			c := slices.Clone(ps)
			c[0].Side = market.Recruiter
			return c
		}, "does not match profile"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := x.DecodeImage(data, tc.ixs, tc.ps())
			require.ErrorIs(t, err, recall.ErrCorrupt)
			assert.ErrorContains(t, err, tc.want)
		})
	}
	other, err := recall.OpenIndex(recall.IndexConfig{Analyzer: "standard"})
	require.NoError(t, err)
	defer other.Close()
	_, err = other.DecodeImage(data, ixs, ps)
	assert.ErrorContains(t, err, `this index uses "standard"`)
	for cut := range len(data) {
		_, err := x.DecodeImage(data[:cut], ixs, ps)
		require.ErrorIs(t, err, recall.ErrCorrupt, "cut at %d", cut)
	}
}

func FuzzDecodeImage(f *testing.F) {
	profiles := jobMarket()
	x, err := recall.OpenIndex(recall.IndexConfig{})
	if err != nil {
		f.Fatal(err)
	}
	defer x.Close()
	ixs, ps := liveProfiles(profiles)
	if err := x.UpsertBatch(ixs, ps); err != nil {
		f.Fatal(err)
	}
	data, err := x.AppendImage(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Fuzz(func(t *testing.T, b []byte) {
		img, err := x.DecodeImage(b, ixs, ps)
		if err != nil {
			return
		}
		y, err := recall.OpenIndex(recall.IndexConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer y.Close()
		y.Install(img)
		pop := &recall.Population{}
		for k, ix := range ixs {
			_ = pop.Upsert(ix, &ps[k])
		}
		for _, ix := range ixs {
			if _, err := y.Recall(context.Background(), recall.Request{Requester: ix, Side: ps[0].Side, K: 5}, nil); err != nil {
				t.Fatal(err)
			}
		}
	})
}
