package recall

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kelindar/bitmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/market"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func fixedClock() time.Time { return t0 }

// randomEvents returns events from actors [0, actors) to targets
// [actors, actors+targets) with random actions and times.
func randomEvents(seed uint64, actors, targets, n int) []Event {
	rng := rand.New(rand.NewPCG(seed, 1))
	acts := market.Actions()
	evs := make([]Event, n)
	for k := range evs {
		evs[k] = Event{
			Actor:  uint32(rng.IntN(actors)),
			Target: uint32(actors + rng.IntN(targets)),
			Action: acts[rng.IntN(len(acts))],
			Time:   t0.Add(-time.Duration(rng.IntN(30*24)) * time.Hour),
		}
	}
	return evs
}

// denseR computes the interest matrix by its definition.
func denseR(evs []Event, half time.Duration, dim int) [][]float64 {
	w := market.DefaultActionWeights()
	r := make([][]float64, dim)
	for i := range r {
		r[i] = make([]float64, dim)
	}
	for _, e := range evs {
		f := 1.0
		if half > 0 {
			f = math.Pow(2, -float64(t0.Sub(e.Time))/float64(half))
		}
		r[e.Actor][e.Target] += w.Of(e.Action) * f
	}
	for u := range r {
		for i := range r[u] {
			if r[u][i] <= 0 {
				r[u][i] = 0
			}
		}
	}
	return r
}

func fitted(t *testing.T, evs []Event, half time.Duration) *Interest {
	t.Helper()
	x, err := NewInterest(InterestConfig{HalfLife: half, Clock: fixedClock})
	require.NoError(t, err)
	require.NoError(t, x.Fit(context.Background(), slices.Values(evs)))
	return x
}

// bruteTop returns the nonzero similarities of row i in table order.
func bruteTop(sims []float64, self int) []Neighbour {
	var out []Neighbour
	for j, s := range sims {
		if j != self && s > 0 {
			out = append(out, Neighbour{uint32(j), s})
		}
	}
	slices.SortFunc(out, func(a, b Neighbour) int {
		if a.Similarity != b.Similarity {
			if a.Similarity > b.Similarity {
				return -1
			}
			return 1
		}
		return int(a.Index) - int(b.Index)
	})
	return out
}

func assertNeighbours(t *testing.T, want, got []Neighbour, what string) {
	t.Helper()
	require.Lenf(t, got, len(want), "%s", what)
	for k := range want {
		// Similarities are stored as float32; equal scores may swap order
		// by rounding, so compare the similarity at each rank and the set.
		assert.InDeltaf(t, want[k].Similarity, got[k].Similarity, 1e-6*max(1, want[k].Similarity), "%s rank %d", what, k)
	}
	ws, gs := map[uint32]float64{}, map[uint32]float64{}
	for k := range want {
		ws[want[k].Index], gs[got[k].Index] = want[k].Similarity, got[k].Similarity
	}
	for j, s := range ws {
		assert.InDeltaf(t, s, gs[j], 1e-6*max(1, s), "%s neighbour %d", what, j)
	}
}

func TestItemCFEqualsBruteForce(t *testing.T) {
	const actors, targets = 40, 25
	dim := actors + targets
	for _, seed := range []uint64{1, 2, 3} {
		evs := randomEvents(seed, actors, targets, 400)
		x := fitted(t, evs, 7*24*time.Hour)
		r := denseR(evs, 7*24*time.Hour, dim)
		cf, err := NewItemCF(x, CFConfig{Neighbours: dim, Workers: 2})
		require.NoError(t, err)
		require.NoError(t, cf.Fit(context.Background()))
		deg := func(u int) (d int) {
			for _, v := range r[u] {
				if v > 0 {
					d++
				}
			}
			return d
		}
		norm := make([]float64, dim)
		for i := range dim {
			for u := range dim {
				norm[i] += r[u][i] * r[u][i]
			}
			norm[i] = math.Sqrt(norm[i])
		}
		for i := actors; i < dim; i++ {
			sims := make([]float64, dim)
			for j := actors; j < dim; j++ {
				var num float64
				for u := range actors {
					if r[u][i] > 0 && r[u][j] > 0 {
						num += r[u][i] * r[u][j] / math.Log(1+float64(deg(u)))
					}
				}
				if num > 0 {
					sims[j] = num / (norm[i] * norm[j])
				}
			}
			assertNeighbours(t, bruteTop(sims, i), cf.Neighbours(uint32(i)), "item-CF")
		}
	}
}

func TestUserCFEqualsBruteForce(t *testing.T) {
	const actors, targets = 30, 40
	dim := actors + targets
	for _, seed := range []uint64{4, 5} {
		evs := randomEvents(seed, actors, targets, 300)
		x := fitted(t, evs, 0)
		r := denseR(evs, 0, dim)
		cf, err := NewUserCF(x, CFConfig{Neighbours: dim, Workers: 2})
		require.NoError(t, err)
		require.NoError(t, cf.Fit(context.Background()))
		colDeg := make([]int, dim)
		norm := make([]float64, dim)
		for u := range dim {
			for i := range dim {
				if r[u][i] > 0 {
					colDeg[i]++
				}
				norm[u] += r[u][i] * r[u][i]
			}
			norm[u] = math.Sqrt(norm[u])
		}
		for u := range actors {
			sims := make([]float64, dim)
			for v := range actors {
				var num float64
				for i := range dim {
					if r[u][i] > 0 && r[v][i] > 0 {
						num += r[u][i] * r[v][i] / math.Log(1+float64(colDeg[i]))
					}
				}
				if num > 0 {
					sims[v] = num / (norm[u] * norm[v])
				}
			}
			assertNeighbours(t, bruteTop(sims, u), cf.Neighbours(uint32(u)), "user-CF")
		}
	}
}

// TestSwingFormula checks Swing on a hand-made graph, computed by hand.
//
// Actors 0, 1, 2; targets 10, 11, 12.
//
//	I(0) = {10, 11, 12}, I(1) = {10, 11}, I(2) = {10, 11, 12}
//
// Pairs over U(10) ∩ U(11) = {0,1,2}: {0,1} overlap |{10,11}| = 2,
// {0,2} overlap 3, {1,2} overlap 2. With Alpha = 1, Beta = 0:
//
//	sim(10, 11) = 1/(1+2) + 1/(1+3) + 1/(1+2) = 11/12
//	sim(10, 12) = pairs over {0, 2}: 1/(1+3) = 1/4
//	sim(11, 12) = 1/4
//
// With Beta = 0.5, w(0) = w(2) = 1/√3, w(1) = 1/√2:
//
//	sim(10, 11) = (1/√6)/3 + (1/3)/4 + (1/√6)/3
func TestSwingFormula(t *testing.T) {
	var evs []Event
	for u, items := range [][]uint32{{10, 11, 12}, {10, 11}, {10, 11, 12}} {
		for _, i := range items {
			evs = append(evs, Event{Actor: uint32(u), Target: i, Action: market.View, Time: t0})
		}
	}
	x := fitted(t, evs, 0)
	for _, tc := range []struct {
		beta           float64
		s1011, s1012   float64
		neighboursOf12 int
	}{
		{0, 11.0 / 12, 1.0 / 4, 2},
		{0.5, 2/math.Sqrt(6)/3 + 1.0/12, 1.0 / 3 / 4, 2},
	} {
		sw, err := NewSwing(x, SwingConfig{Beta: tc.beta})
		require.NoError(t, err)
		require.NoError(t, sw.Fit(context.Background()))
		n10 := sw.Neighbours(10)
		require.Len(t, n10, 2)
		assert.Equal(t, uint32(11), n10[0].Index)
		assert.InDelta(t, tc.s1011, n10[0].Similarity, 1e-6)
		assert.Equal(t, uint32(12), n10[1].Index)
		assert.InDelta(t, tc.s1012, n10[1].Similarity, 1e-6)
		n12 := sw.Neighbours(12)
		require.Len(t, n12, tc.neighboursOf12)
		assert.InDelta(t, tc.s1012, n12[0].Similarity, 1e-6)
		assert.InDelta(t, tc.s1012, n12[1].Similarity, 1e-6)
		assert.Equal(t, []uint32{10, 11}, []uint32{n12[0].Index, n12[1].Index}, "ties by index")
	}
}

// TestSwingEqualsFormulaRandom checks Swing against its formula computed
// naively on a random graph.
func TestSwingEqualsFormulaRandom(t *testing.T) {
	const actors, targets = 25, 15
	dim := actors + targets
	evs := randomEvents(9, actors, targets, 200)
	x := fitted(t, evs, 0)
	r := denseR(evs, 0, dim)
	sw, err := NewSwing(x, SwingConfig{CFConfig: CFConfig{Neighbours: dim}, Alpha: 0.5, Beta: 0.3})
	require.NoError(t, err)
	require.NoError(t, sw.Fit(context.Background()))
	items := func(u int) (s []int) {
		for i, v := range r[u] {
			if v > 0 {
				s = append(s, i)
			}
		}
		return s
	}
	for i := actors; i < dim; i++ {
		sims := make([]float64, dim)
		for j := actors; j < dim; j++ {
			if j == i {
				continue
			}
			for u := range actors {
				for v := u + 1; v < actors; v++ {
					if r[u][i] > 0 && r[v][i] > 0 && r[u][j] > 0 && r[v][j] > 0 {
						common := 0
						for _, k := range items(u) {
							if r[v][k] > 0 {
								common++
							}
						}
						wu := math.Pow(float64(len(items(u))), -0.3)
						wv := math.Pow(float64(len(items(v))), -0.3)
						sims[j] += wu * wv / (0.5 + float64(common))
					}
				}
			}
		}
		assertNeighbours(t, bruteTop(sims, i), sw.Neighbours(uint32(i)), "swing")
	}
}

func allowAll(n int) bitmap.Bitmap {
	var b bitmap.Bitmap
	for i := range n {
		b.Set(uint32(i))
	}
	return b
}

// TestItemCFRecallScore checks Recall's score against its formula.
func TestItemCFRecallScore(t *testing.T) {
	const actors, targets = 20, 15
	evs := randomEvents(11, actors, targets, 150)
	x := fitted(t, evs, 0)
	cf, err := NewItemCF(x, CFConfig{})
	require.NoError(t, err)
	require.NoError(t, cf.Fit(context.Background()))
	u := uint32(3)
	want := map[uint32]float64{}
	for _, h := range x.History(u, nil) {
		for _, n := range cf.Neighbours(h.Index) {
			want[n.Index] += h.Weight * n.Similarity
		}
	}
	got, err := cf.Recall(context.Background(), Request{Requester: u, Side: market.Seeker, K: 100, Allowed: allowAll(actors + targets)}, nil)
	require.NoError(t, err)
	require.Len(t, got, len(want))
	for _, c := range got {
		assert.InDelta(t, want[c.Index], c.Score, 1e-9)
	}
}

// TestIncremental: a recorded event changes the requester's next recall
// without a Fit, for every CF recaller.
func TestIncremental(t *testing.T) {
	// Actors 0..2 all attended to targets 10 and 11; actor 5 is new.
	var evs []Event
	for u := range uint32(3) {
		evs = append(evs, Event{u, 10, market.Chat, t0}, Event{u, 11, market.Chat, t0})
	}
	evs = append(evs, Event{0, 12, market.View, t0})
	x := fitted(t, evs, 0)
	item, _ := NewItemCF(x, CFConfig{})
	user, _ := NewUserCF(x, CFConfig{})
	swing, _ := NewSwing(x, SwingConfig{})
	for _, r := range []interface{ Fit(context.Context) error }{item, user, swing} {
		require.NoError(t, r.Fit(context.Background()))
	}
	req := Request{Requester: 5, Side: market.Seeker, K: 10, Allowed: allowAll(20)}
	req.Allowed.Remove(10) // already seen
	for name, r := range map[string]Recaller{"itemcf": item, "usercf": user, "swing": swing} {
		got, err := r.Recall(context.Background(), req, nil)
		require.NoError(t, err)
		assert.Empty(t, got, name)
	}
	require.NoError(t, x.Record(Event{5, 10, market.Favourite, t0.Add(time.Minute)}))
	assert.Equal(t, 1, x.Pending())
	for name, r := range map[string]Recaller{"itemcf": item, "usercf": user, "swing": swing} {
		got, err := r.Recall(context.Background(), req, nil)
		require.NoError(t, err)
		require.NotEmpty(t, got, name)
		assert.Equal(t, uint32(11), got[0].Index, name)
	}
	// A Fit over the log that includes the event empties the overlay.
	require.NoError(t, x.Fit(context.Background(), slices.Values(append(evs, Event{5, 10, market.Favourite, t0.Add(time.Minute)}))))
	assert.Equal(t, 0, x.Pending())
	assert.Equal(t, []Entry{{10, 2}}, x.History(5, nil))
}

func TestInterestRejectsBadEvents(t *testing.T) {
	x, err := NewInterest(InterestConfig{})
	require.NoError(t, err)
	var fe *market.FieldError
	for _, e := range []Event{
		{Actor: 1, Target: 1, Action: market.View, Time: t0},
		{Actor: 1, Target: 2, Action: 0, Time: t0},
		{Actor: 1, Target: 2, Action: market.View},
	} {
		require.ErrorAs(t, x.Record(e), &fe)
		require.ErrorAs(t, x.Fit(context.Background(), slices.Values([]Event{e})), &fe)
	}
	assert.Equal(t, 0, x.Pending())
	_, err = NewInterest(InterestConfig{HalfLife: -1})
	require.ErrorIs(t, err, ErrConfig)
	_, err = NewItemCF(x, CFConfig{Neighbours: -1})
	require.ErrorIs(t, err, ErrConfig)
	require.ErrorContains(t, err, "Neighbours")
	_, err = NewSwing(x, SwingConfig{Alpha: math.NaN()})
	require.ErrorContains(t, err, "Alpha")
}

// TestConcurrentRecordFitRecall runs recording, refitting and recalling at
// once (for -race) and checks every recall keeps the filter.
func TestConcurrentRecordFitRecall(t *testing.T) {
	const actors, targets = 50, 30
	evs := randomEvents(21, actors, targets, 800)
	x := fitted(t, evs, 24*time.Hour)
	item, _ := NewItemCF(x, CFConfig{Neighbours: 10})
	user, _ := NewUserCF(x, CFConfig{Neighbours: 10})
	swing, _ := NewSwing(x, SwingConfig{})
	hot := NewHot(x)
	ctx := context.Background()
	allowed := allowAll(actors + targets)
	for i := range actors {
		allowed.Remove(uint32(i))
	}
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() { // recorders
			rng := rand.New(rand.NewPCG(uint64(g), 3))
			for i := range 2000 {
				e := Event{Actor: uint32(rng.IntN(actors)), Target: uint32(actors + rng.IntN(targets)), Action: market.Chat, Time: t0.Add(time.Duration(i+1) * time.Second)}
				assert.NoError(t, x.Record(e))
			}
		})
	}
	wg.Go(func() { // refits
		for range 3 {
			assert.NoError(t, x.Fit(ctx, slices.Values(evs)))
			for _, r := range []interface{ Fit(context.Context) error }{item, user, swing} {
				assert.NoError(t, r.Fit(ctx))
			}
			hot.Refresh()
		}
	})
	for g := range 2 {
		wg.Go(func() { // requests
			for i := range 500 {
				u := uint32((i + g) % actors)
				for _, r := range []Recaller{item, user, swing, hot} {
					got, err := r.Recall(ctx, Request{Requester: u, Side: market.Seeker, K: 5, Allowed: allowed}, nil)
					assert.NoError(t, err)
					for _, c := range got {
						assert.True(t, allowed.Contains(c.Index))
					}
				}
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 4000, x.Pending(), "every recorded event is after the log's newest, so it stays in the overlay")
}

// TestInterestErrorsNameTheField checks that an event's error names the
// field at fault (a bad Target was reported as the Actor) and that the
// collaborative recallers' config errors name real types: CFConfig (the
// type of NewItemCF's and NewUserCF's cfg; there is no ItemCFConfig or
// UserCFConfig) and SwingConfig.
func TestInterestErrorsNameTheField(t *testing.T) {
	x, err := NewInterest(InterestConfig{})
	require.NoError(t, err)
	for _, tc := range []struct {
		e     Event
		field string
	}{
		{Event{Actor: 1, Target: math.MaxUint32, Action: market.View, Time: t0}, "Target"},
		{Event{Actor: math.MaxUint32, Target: 1, Action: market.View, Time: t0}, "Actor"},
		{Event{Actor: 1, Target: MaxIndex + 1, Action: market.View, Time: t0}, "Target"},
		{Event{Actor: MaxIndex + 1, Target: 1, Action: market.View, Time: t0}, "Actor"},
		{Event{Actor: math.MaxUint32, Target: math.MaxUint32, Action: market.View, Time: t0}, "Actor"},
	} {
		for what, err := range map[string]error{
			"Record": x.Record(tc.e),
			"Fit":    x.Fit(context.Background(), slices.Values([]Event{{Actor: 2, Target: 3, Action: market.View, Time: t0}, tc.e})),
		} {
			var fe *market.FieldError
			require.ErrorAs(t, err, &fe, "%s %v", what, tc.e)
			assert.Equal(t, tc.field, fe.Field, "%s %v: %v", what, tc.e, err)
			assert.ErrorIs(t, err, market.ErrOutOfRange)
			assert.Contains(t, fe.Value, fmt.Sprint(MaxIndex), "the message gives the bound")
		}
	}
	assert.Equal(t, 0, x.Pending())
	assert.Equal(t, 0, x.Stats().Dimension, "nothing was sized by the index")

	for _, tc := range []struct {
		name, want string
		err        func() error
	}{
		{"itemcf", "CFConfig.Neighbours", func() error { _, err := NewItemCF(x, CFConfig{Neighbours: -1}); return err }},
		{"usercf", "CFConfig.MaxItemsPerActor", func() error { _, err := NewUserCF(x, CFConfig{MaxItemsPerActor: -2}); return err }},
		{"swing", "SwingConfig.Workers", func() error {
			_, err := NewSwing(x, SwingConfig{CFConfig: CFConfig{Workers: -1}})
			return err
		}},
	} {
		err := tc.err()
		require.ErrorIs(t, err, ErrConfig, tc.name)
		assert.ErrorContains(t, err, ": "+tc.want+" ", tc.name)
		assert.NotContains(t, err.Error(), "ItemCFConfig", tc.name)
		assert.NotContains(t, err.Error(), "UserCFConfig", tc.name)
	}
}

// TestNilSources checks the constructors of the recallers over an
// Interest or a Population: a nil one is an error at construction (it
// crashed at the first Fit or Recall), except NewHot's, which returns no
// error and makes an empty source.
func TestNilSources(t *testing.T) {
	for name, err := range map[string]error{
		"NewItemCF":    func() error { _, err := NewItemCF(nil, CFConfig{}); return err }(),
		"NewUserCF":    func() error { _, err := NewUserCF(nil, CFConfig{}); return err }(),
		"NewSwing":     func() error { _, err := NewSwing(nil, SwingConfig{}); return err }(),
		"NewFresh":     func() error { _, err := NewFresh(nil, FreshConfig{}); return err }(),
		"NewColdStart": func() error { _, err := NewColdStart(nil, nil, nil); return err }(),
	} {
		require.ErrorIs(t, err, ErrConfig, name)
		assert.ErrorContains(t, err, name, name)
		assert.ErrorContains(t, err, "nil", name)
	}
	hot := NewHot(nil)
	require.NotPanics(t, hot.Refresh)
	got, err := hot.Recall(context.Background(), Request{Requester: 1, Side: market.Seeker, K: 5, Allowed: allowAll(10)}, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
	// The zero Hot is empty too (it dereferenced a nil order).
	var zero Hot
	require.NotPanics(t, zero.Refresh)
	got, err = zero.Recall(context.Background(), Request{Requester: 1, Side: market.Seeker, K: 5, Allowed: allowAll(10)}, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
}

// TestLivePopularityFollowsCells records events (rejections among them)
// after a Fit and checks that each target's popularity is the column sum
// of the actors' histories, as the next Fit makes it; that a live Reject
// never takes a target below what the Fit leaves (it used to make a
// viewed-then-rejected job's popularity −1 and drop it from Hot until the
// next Fit); and that an image keeps it.
func TestLivePopularityFollowsCells(t *testing.T) {
	const actors, targets = 40, 25
	t1 := t0.Add(time.Hour)
	// The fitted log holds positive actions only, so that its cells are
	// exactly what a Fit of the whole log starts from.
	var base []Event
	for _, e := range randomEvents(31, actors, targets, 600) {
		if market.DefaultActionWeights().Of(e.Action) > 0 {
			base = append(base, e)
		}
	}
	x := fitted(t, base, 0)
	live := randomEvents(32, actors, targets, 500)
	for k := range live {
		live[k].Time = t1.Add(time.Duration(k) * time.Second)
		require.NoError(t, x.Record(live[k]))
	}
	check := func(x *Interest, what string) {
		t.Helper()
		col := make([]float64, actors+targets)
		for u := range actors {
			for _, c := range x.History(uint32(u), nil) {
				col[c.Index] += c.Weight
			}
		}
		for i := actors; i < actors+targets; i++ {
			assert.InDelta(t, col[i], x.Popularity(uint32(i)), 1e-9, "%s: target %d: popularity is the histories' column sum", what, i)
		}
	}
	check(x, "live")
	refit := fitted(t, slices.Concat(base, live), 0)
	for i := actors; i < actors+targets; i++ {
		assert.InDelta(t, refit.Popularity(uint32(i)), x.Popularity(uint32(i)), 1e-9, "target %d: live popularity is the refit's", i)
	}
	// A Fit over the log's first half keeps the later events in the
	// overlay, and their popularity follows the new cells.
	require.NoError(t, x.Fit(context.Background(), slices.Values(slices.Concat(base, live[:250]))))
	require.Equal(t, 250, x.Pending())
	// (The refit's figures may differ now: the half's Fit dropped cells
	// whose rejections outweighed their interest, and later interest
	// starts again from zero, as History says.)
	check(x, "after a Fit of half")
	img, err := x.MarshalBinary()
	require.NoError(t, err)
	y, err := NewInterest(InterestConfig{Clock: fixedClock})
	require.NoError(t, err)
	require.NoError(t, y.UnmarshalBinary(img))
	check(y, "decoded")

	// One view, then another actor's Reject: the job stays popular (1)
	// and in Hot.
	z := fitted(t, []Event{{Actor: 1, Target: 10, Action: market.View, Time: t0}}, 0)
	require.NoError(t, z.Record(Event{Actor: 2, Target: 10, Action: market.Reject, Time: t1}))
	assert.Equal(t, 1.0, z.Popularity(10))
	hot := NewHot(z)
	hot.Refresh()
	got, err := hot.Recall(context.Background(), Request{Requester: 3, Side: market.Seeker, K: 5, Allowed: allowAll(20)}, nil)
	require.NoError(t, err)
	assert.Equal(t, []Candidate{{Index: 10, Score: 1}}, got)
	// The viewer's own Reject takes back what it gave, and no more.
	require.NoError(t, z.Record(Event{Actor: 1, Target: 10, Action: market.Reject, Time: t1}))
	assert.Equal(t, 0.0, z.Popularity(10))
	require.NoError(t, z.Record(Event{Actor: 1, Target: 10, Action: market.Reply, Time: t1}))
	assert.Equal(t, 3.0, z.Popularity(10), "view 1 − reject 2 + reply 4")
}
