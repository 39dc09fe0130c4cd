package recall_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kelindar/bitmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/recall"
	"github.com/twowayrec/twoway/recall/recalltest"
)

var day0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// fixture is a small random two-sided market: seekers [0, seekers), jobs
// [seekers, seekers+jobs), events both ways, everything fitted.
type fixture struct {
	profiles []market.Profile
	events   []recall.Event
	pop      *recall.Population
	x        *recall.Interest
	item     *recall.ItemCF
	user     *recall.UserCF
	swing    *recall.ItemCF
	hot      *recall.Hot
	fresh    *recall.Fresh
}

var cities = []string{"北京", "上海", "南京", "深圳"}

func newFixture(t testing.TB, seed uint64, seekers, jobs, events int) *fixture {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 2))
	f := &fixture{pop: &recall.Population{}}
	for i := range seekers + jobs {
		p := market.Profile{ID: fmt.Sprint(i), Side: market.Seeker, City: cities[rng.IntN(len(cities))],
			Registered: day0.Add(-time.Duration(rng.IntN(1000)) * time.Hour), Inactive: rng.IntN(10) == 0}
		if i >= seekers {
			p.Side = market.Recruiter
		}
		f.profiles = append(f.profiles, p)
		require.NoError(t, f.pop.Upsert(uint32(i), &p))
	}
	acts := market.Actions()
	for range events {
		s, j := uint32(rng.IntN(seekers)), uint32(seekers+rng.IntN(jobs))
		// Skewed popularity: low job indices are hot.
		if rng.IntN(2) == 0 {
			j = uint32(seekers + rng.IntN(1+jobs/5))
		}
		e := recall.Event{Actor: s, Target: j, Action: acts[rng.IntN(len(acts))], Time: day0.Add(-time.Duration(rng.IntN(500)) * time.Hour)}
		if rng.IntN(4) == 0 {
			e.Actor, e.Target = j, s
		}
		f.events = append(f.events, e)
	}
	var err error
	f.x, err = recall.NewInterest(recall.InterestConfig{HalfLife: 14 * 24 * time.Hour, Clock: func() time.Time { return day0 }})
	require.NoError(t, err)
	require.NoError(t, f.x.Fit(context.Background(), slices.Values(f.events)))
	f.item, err = recall.NewItemCF(f.x, recall.CFConfig{Neighbours: 10})
	require.NoError(t, err)
	f.user, err = recall.NewUserCF(f.x, recall.CFConfig{Neighbours: 10})
	require.NoError(t, err)
	f.swing, err = recall.NewSwing(f.x, recall.SwingConfig{CFConfig: recall.CFConfig{Neighbours: 10}, Beta: 0.5})
	require.NoError(t, err)
	for _, r := range []interface{ Fit(context.Context) error }{f.item, f.user, f.swing} {
		require.NoError(t, r.Fit(context.Background()))
	}
	f.hot = recall.NewHot(f.x)
	f.hot.Refresh()
	f.fresh, err = recall.NewFresh(f.pop, recall.FreshConfig{})
	require.NoError(t, err)
	return f
}

// newcomer adds a participant with no history and returns its index.
func (f *fixture) newcomer(t testing.TB, side market.Side) uint32 {
	t.Helper()
	ix := uint32(len(f.profiles))
	p := market.Profile{ID: fmt.Sprint(ix), Side: side, City: cities[0], Registered: day0}
	f.profiles = append(f.profiles, p)
	require.NoError(t, f.pop.Upsert(ix, &p))
	return ix
}

// requests returns requests of both sides with a filter that keeps most of
// the other side.
func (f *fixture) requests(t testing.TB, k int, who ...uint32) []recall.Request {
	t.Helper()
	var reqs []recall.Request
	for _, u := range who {
		side := f.profiles[u].Side
		mask, err := f.pop.Mask(nil, recall.Filter{Requester: u, Side: side, ActiveOnly: true})
		require.NoError(t, err)
		reqs = append(reqs, recall.Request{Requester: u, Side: side, K: k, Allowed: mask})
	}
	return reqs
}

func TestConformance(t *testing.T) {
	f := newFixture(t, 1, 60, 40, 1500)
	reqs := f.requests(t, 8, 0, 1, 2, 7, 65, 70)
	for name, r := range map[string]recall.Recaller{
		"itemcf": f.item, "usercf": f.user, "swing": f.swing, "hot": f.hot, "fresh": f.fresh,
	} {
		t.Run(name, func(t *testing.T) { recalltest.Run(t, r, reqs...) })
	}
	t.Run("func", func(t *testing.T) {
		recalltest.Run(t, recall.RecallerFunc(f.item.Recall), reqs...)
	})
	for _, m := range []recall.MergeMethod{recall.Sequential, recall.Snake, recall.Weighted, recall.RRF} {
		merger, err := recall.NewMerger(recall.MergeConfig{Method: m, Sources: []recall.Source{
			{Name: "itemcf", Recaller: f.item}, {Name: "usercf", Recaller: f.user, Weight: 2}, {Name: "hot", Recaller: f.hot},
		}})
		require.NoError(t, err)
		t.Run("merge-"+m.String(), func(t *testing.T) {
			recalltest.RunWith(t, merger, recalltest.Options{ListScores: true}, reqs...)
		})
	}
	// Cold start: a requester with no history.
	cold, err := recall.NewColdStart(f.x, f.fresh, f.hot)
	require.NoError(t, err)
	t.Run("coldstart", func(t *testing.T) {
		recalltest.RunWith(t, cold, recalltest.Options{ListScores: true}, f.requests(t, 8, f.newcomer(t, market.Seeker), f.newcomer(t, market.Recruiter))...)
	})
}

func TestColdStartOnlyWithoutHistory(t *testing.T) {
	f := newFixture(t, 2, 30, 20, 300)
	cold, err := recall.NewColdStart(f.x, nil, f.hot)
	require.NoError(t, err)
	newcomer := f.newcomer(t, market.Seeker)
	req := f.requests(t, 5, newcomer)[0]
	got, err := cold.Recall(context.Background(), req, nil)
	require.NoError(t, err)
	require.Len(t, got, 5)
	hot, _ := f.hot.Recall(context.Background(), req, nil)
	for i := range got {
		assert.Equal(t, hot[i].Index, got[i].Index)
		assert.Equal(t, []recall.Hit{{Source: "hot", Rank: i, Score: hot[i].Score}}, got[i].Hits)
	}
	require.NoError(t, f.x.Record(recall.Event{Actor: newcomer, Target: 35, Action: market.View, Time: day0}))
	got, err = cold.Recall(context.Background(), req, nil)
	require.NoError(t, err)
	assert.Empty(t, got, "a requester with history is left to the collaborative recallers")
}

// TestTypedNilRecallers: an interface holding a nil pointer counts as nil:
// NewColdStart leaves that source out (as it does a nil interface) and
// NewMerger refuses it with ErrConfig instead of a panic at the first
// request.
func TestTypedNilRecallers(t *testing.T) {
	f := newFixture(t, 2, 30, 20, 300)
	var noIndex *recall.Fresh
	cold, err := recall.NewColdStart(f.x, noIndex, f.hot)
	require.NoError(t, err)
	req := f.requests(t, 5, f.newcomer(t, market.Seeker))[0]
	got, err := cold.Recall(context.Background(), req, nil)
	require.NoError(t, err)
	hot, err := f.hot.Recall(context.Background(), req, nil)
	require.NoError(t, err)
	require.Len(t, got, len(hot))
	for i := range got {
		assert.Equal(t, hot[i].Index, got[i].Index)
	}
	_, err = recall.NewMerger(recall.MergeConfig{Sources: []recall.Source{{Name: "fresh", Recaller: noIndex}}})
	require.ErrorIs(t, err, recall.ErrConfig)
	assert.Contains(t, err.Error(), "Sources[0].Recaller is nil")
}

// TestFiltersNeverLeak is the filter property test: for random filters,
// no recaller returns a participant that the filter's definition, checked
// on the profiles directly, excludes; and when the unfiltered source holds
// at least K allowed candidates, K come back.
func TestFiltersNeverLeak(t *testing.T) {
	f := newFixture(t, 3, 80, 50, 2500)
	n := len(f.profiles)
	rng := rand.New(rand.NewPCG(7, 7))
	recallers := map[string]recall.Recaller{"itemcf": f.item, "usercf": f.user, "swing": f.swing, "hot": f.hot, "fresh": f.fresh}
	for trial := range 300 {
		u := uint32(rng.IntN(n))
		side := f.profiles[u].Side
		filter := recall.Filter{Requester: u, Side: side, ActiveOnly: rng.IntN(2) == 0}
		for _, c := range cities {
			if rng.IntN(3) == 0 {
				filter.Cities = append(filter.Cities, c)
			}
		}
		var seen, blocked, exclude bitmap.Bitmap
		for i := range n {
			switch rng.IntN(12) {
			case 0:
				seen.Set(uint32(i))
			case 1:
				blocked.Set(uint32(i))
			case 2:
				exclude.Set(uint32(i))
			}
		}
		filter.Seen, filter.Blocked, filter.Exclude = seen, blocked, exclude
		mask, err := f.pop.Mask(nil, filter)
		require.NoError(t, err)
		allowed := func(i uint32) bool {
			p := f.profiles[i]
			return i != u && p.Side == side.Other() && (!filter.ActiveOnly || !p.Inactive) &&
				(len(filter.Cities) == 0 || slices.Contains(filter.Cities, p.City)) &&
				!seen.Contains(i) && !blocked.Contains(i) && !exclude.Contains(i)
		}
		for i := range uint32(n) + 5 {
			require.Equalf(t, int(i) < n && allowed(i), mask.Contains(i), "trial %d: mask at %d", trial, i)
		}
		k := 1 + rng.IntN(10)
		for name, r := range recallers {
			got, err := r.Recall(context.Background(), recall.Request{Requester: u, Side: side, K: k, Allowed: mask}, nil)
			require.NoError(t, err)
			for _, c := range got {
				require.Truef(t, allowed(c.Index), "trial %d: %s leaked %d", trial, name, c.Index)
			}
			// Unfiltered source: everything of the other side.
			all, err := r.Recall(context.Background(), recall.Request{Requester: u, Side: side, K: n, Allowed: sideMask(t, f, u, side)}, nil)
			require.NoError(t, err)
			avail := 0
			for _, c := range all {
				if allowed(c.Index) {
					avail++
				}
			}
			require.Equalf(t, min(k, avail), len(got), "trial %d: %s returned %d of %d allowed (K=%d)", trial, name, len(got), avail, k)
		}
	}
}

func sideMask(t *testing.T, f *fixture, u uint32, side market.Side) bitmap.Bitmap {
	m, err := f.pop.Mask(nil, recall.Filter{Requester: u, Side: side})
	require.NoError(t, err)
	return m
}

func TestPopulationUpsertRemove(t *testing.T) {
	var p recall.Population
	a := market.Profile{ID: "a", Side: market.Recruiter, City: "北京", Registered: day0}
	require.NoError(t, p.Upsert(3, &a))
	a.City, a.Inactive = "上海", true
	require.NoError(t, p.Upsert(3, &a))
	m, err := p.Mask(nil, recall.Filter{Requester: 0, Side: market.Seeker, Cities: []string{"北京"}})
	require.NoError(t, err)
	assert.False(t, m.Contains(3), "moved to 上海")
	m, _ = p.Mask(m, recall.Filter{Requester: 0, Side: market.Seeker, Cities: []string{"上海"}})
	assert.True(t, m.Contains(3))
	m, _ = p.Mask(m, recall.Filter{Requester: 0, Side: market.Seeker, ActiveOnly: true})
	assert.False(t, m.Contains(3), "inactive")
	assert.Equal(t, 1, p.Len())
	p.Remove(3)
	p.Remove(99)
	m, _ = p.Mask(m, recall.Filter{Requester: 0, Side: market.Seeker})
	assert.Equal(t, 0, m.Count())
	assert.Equal(t, 0, p.Len())
	_, err = p.Mask(nil, recall.Filter{})
	require.ErrorIs(t, err, recall.ErrConfig)
	bad := market.Profile{ID: "b"}
	var fe *market.FieldError
	require.ErrorAs(t, p.Upsert(4, &bad), &fe)
	assert.Equal(t, "Side", fe.Field)
}

// TestHugeK asks every recaller for K = math.MaxInt after a dst prefix:
// huge K means "every allowed candidate", like a K just above their
// number (Hot and Fresh computed len(dst)+K, which overflowed and gave
// nothing).
func TestHugeK(t *testing.T) {
	f := newFixture(t, 1, 60, 40, 1500)
	cold, err := recall.NewColdStart(f.x, f.fresh, f.hot)
	require.NoError(t, err)
	vectors, _, _ := vectorFixture(t, f, 8)
	prefix := []recall.Candidate{{Index: 1 << 20, Score: 1}}
	for name, r := range map[string]recall.Recaller{
		"itemcf": f.item, "usercf": f.user, "swing": f.swing, "hot": f.hot, "fresh": f.fresh, "coldstart": cold, "vectors": vectors,
	} {
		t.Run(name, func(t *testing.T) {
			u := uint32(0)
			if name == "coldstart" {
				u = f.newcomer(t, market.Seeker)
			}
			req := f.requests(t, 1000, u)[0]
			want, err := r.Recall(context.Background(), req, nil)
			require.NoError(t, err)
			require.NotEmpty(t, want)
			require.Less(t, len(want), 1000)
			req.K = math.MaxInt
			got, err := r.Recall(context.Background(), req, slices.Clip(slices.Clone(prefix)))
			require.NoError(t, err)
			assert.Equal(t, append(slices.Clone(prefix), want...), got)
		})
	}
}

// TestPopulationIndexBound upserts profiles at indices above MaxIndex:
// refused with an error naming the profile and its index, instead of a
// member table sized by the index (96 bytes per index below it: 412 GB
// for an index near 2^32). A nil profile is an error, not a panic.
func TestPopulationIndexBound(t *testing.T) {
	var p recall.Population
	a := market.Profile{ID: "a", Side: market.Recruiter, Registered: day0}
	for _, ix := range []uint32{recall.MaxIndex + 1, math.MaxUint32 - 1, math.MaxUint32} {
		err := p.Upsert(ix, &a)
		var fe *market.FieldError
		require.ErrorAs(t, err, &fe, "index %d", ix)
		assert.ErrorIs(t, err, market.ErrOutOfRange)
		assert.Equal(t, "a", fe.ID)
		assert.Equal(t, "index", fe.Field)
		assert.Contains(t, fe.Value, fmt.Sprint(ix))
	}
	assert.Equal(t, 0, p.Len())
	assert.ErrorContains(t, p.Upsert(1, nil), "nil profile")
	require.NoError(t, p.Upsert(1000, &a))
	assert.Equal(t, 1, p.Len())
}
