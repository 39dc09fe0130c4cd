package twoway

import (
	"cmp"
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/kelindar/bitmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/exposure"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
)

// Issue 18: Response says what each filter removed, and a request with
// eligible candidates never comes back empty: an over-asked candidate
// falls in the ranking (Answer < 1) but stays, unless the host sets a hard
// cap.
func TestFilteredCountsAndNeverEmpty(t *testing.T) {
	m := tinyMarket(t)
	ctx := context.Background()
	for _, hardCap := range []float64{0, 0.5} {
		e, err := New(Config{Clock: endOf(m), Seed: 7, Exposure: exposure.Config{HardCap: hardCap}})
		require.NoError(t, err)
		require.NoError(t, e.Upsert(ctx, m.Profiles...))
		require.NoError(t, e.Record(ctx, m.Events...))
		require.NoError(t, e.Fit(ctx))
		s := m.Profiles[0].ID
		e.mu.RLock()
		ix, _ := e.dict.Lookup(s)
		seen, blocked := len(uniq(e.seen[ix])), len(uniq(e.blocked[ix]))
		e.mu.RUnlock()
		// Every job is served to every seeker many times: all over-asked.
		for range 3 {
			for i := 1; i < m.NumSeekers; i++ {
				_, err := e.Recommend(ctx, Request{ID: m.Profiles[i].ID, N: 20})
				require.NoError(t, err)
			}
		}
		e.excl.Store(nil) // rebuild the recall-time exclusions now
		resp, err := e.Recommend(ctx, Request{ID: s, N: 10, DryRun: true})
		require.NoError(t, err)
		f := resp.Filtered
		assert.Equal(t, m.NumJobs, f.Eligible)
		assert.Equal(t, seen, f.Seen)
		assert.Equal(t, blocked, f.Blocked)
		assert.False(t, math.IsNaN(resp.Urgency))
		if hardCap == 0 {
			assert.Zero(t, f.Excluded, "no hard cap: nobody excluded")
			assert.Len(t, resp.Results, 10, "never empty while candidates are eligible")
			low := 0
			for _, r := range resp.Results {
				if r.Answer < 1 {
					low++
				}
			}
			assert.Positive(t, low, "over-asked candidates answer less, and stay")
		} else {
			assert.Positive(t, f.Excluded, "the hard cap excludes over-asked candidates")
			assert.LessOrEqual(t, f.Allowed, f.Eligible-f.Excluded)
		}
		resp, err = e.Recommend(ctx, Request{ID: s, N: 10, DryRun: true, Cities: []string{"nowhere"}})
		require.NoError(t, err)
		assert.Empty(t, resp.Results)
		assert.Equal(t, m.NumJobs, resp.Filtered.City, "the city filter removed everyone")
		assert.False(t, math.IsNaN(resp.Urgency), "the urgency comes back when nothing is left")
		require.NoError(t, e.Close())
	}
}

func uniq(xs []uint32) map[uint32]bool {
	out := map[uint32]bool{}
	for _, x := range xs {
		out[x] = true
	}
	return out
}

// A participant nobody knows anything about gets documented priors, never
// NaN: capacity (the side's mean), evidence (the side's base rates), the
// congestion factor (1 without load).
func TestFallbacksWithoutHistory(t *testing.T) {
	m := tinyMarket(t)
	e := newEngine(t, m, true)
	ctx := context.Background()
	at := endOf(m)()
	require.NoError(t, e.Upsert(ctx, market.Profile{ID: "new-job", Side: market.Recruiter, Title: m.Profiles[m.NumSeekers].Title,
		Skills: m.Profiles[m.NumSeekers].Skills, City: m.Profiles[0].City, Registered: at.Add(-time.Hour)}))
	x, err := e.Explain(ctx, m.Profiles[0].ID, "new-job")
	require.NoError(t, err)
	for _, v := range []float64{x.Forward.Match, x.Backward.Match, x.TwoWay, x.Answer} {
		assert.False(t, math.IsNaN(v) || math.IsInf(v, 0), "%v", v)
	}
	assert.Equal(t, 1.0, x.Answer, "no load, no congestion")
	st := e.state.Load()
	ix, _ := e.dict.Lookup("new-job")
	assert.Zero(t, st.capTable.Get(ix), "no capacity estimate of its own")
	assert.Positive(t, st.capPrior[market.Recruiter], "the side's prior stands in")
}

// With Config.Allocation on, each Fit prices the market (TU matching over
// the recalled pairs) and requests rank by the priced share; the
// potentials survive Save/Load.
func TestAllocationReranks(t *testing.T) {
	m := tinyMarket(t)
	cfg := Config{Clock: endOf(m), Seed: 7, Allocation: AllocationConfig{On: true, Candidates: 20}}
	e, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, e.Close()) })
	ctx := context.Background()
	require.NoError(t, e.Upsert(ctx, m.Profiles...))
	require.NoError(t, e.Record(ctx, m.Events...))
	require.NoError(t, e.Fit(ctx))
	st := e.state.Load()
	require.NotNil(t, st.potentials)
	require.True(t, st.potentials.Stats().Converged)
	resp, err := e.Recommend(ctx, Request{ID: m.Profiles[0].ID, N: 10, DryRun: true, Explain: true})
	require.NoError(t, err)
	require.Len(t, resp.Results, 10)
	for i, r := range resp.Results {
		assert.True(t, r.TwoWay > 0 && r.TwoWay < 1, "%v", r.TwoWay)
		if i > 0 {
			assert.GreaterOrEqual(t, resp.Results[i-1].TwoWay, r.TwoWay)
		}
	}
	f, _ := saveLoad(t, e, cfg)
	require.NotNil(t, f.state.Load().potentials)
	assert.Equal(t, responses(t, e, m), responses(t, f, m))
}

// The allocation stage recalls and scores participants on every core but
// adds them to the graph in profile order: the same Fit on one core and on
// several prices the market identically.
func TestAllocationSameForAnyWorkers(t *testing.T) {
	m := tinyMarket(t)
	cfg := Config{Clock: endOf(m), Seed: 7, Allocation: AllocationConfig{On: true, Candidates: 20}}
	fit := func(procs int) []string {
		return answersOnCores(t, m, cfg, procs, func(e *Engine) { require.NotNil(t, e.state.Load().potentials) })
	}
	assert.Equal(t, fit(1), fit(3))
}

// A Fit analyses the profiles' text, scores the training rows'
// collaborative evidence and builds the interest models' rows on every
// core, each in windows or batches, and puts the results together in a
// fixed order: the same Fit on one core and on three gives the same
// answers (scores, explanations) to every participant.
func TestFitSameForAnyWorkers(t *testing.T) {
	m := tinyMarket(t)
	cw, gb := contentWindow, cfGroupBatch
	contentWindow, cfGroupBatch = 7, 2
	defer func() { contentWindow, cfGroupBatch = cw, gb }()
	cfg := Config{Clock: endOf(m), Seed: 7}
	assert.Equal(t, answersOnCores(t, m, cfg, 1, nil), answersOnCores(t, m, cfg, 3, nil))
}

// answersOnCores fits a new Engine on m with GOMAXPROCS procs, calls check
// (when not nil) on it and returns its responses.
func answersOnCores(t *testing.T, m *synth.Market, cfg Config, procs int, check func(*Engine)) []string {
	t.Helper()
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	e, err := New(cfg)
	require.NoError(t, err)
	defer func() { assert.NoError(t, e.Close()) }()
	ctx := context.Background()
	require.NoError(t, e.Upsert(ctx, m.Profiles...))
	require.NoError(t, e.Record(ctx, m.Events...))
	require.NoError(t, e.Fit(ctx))
	if check != nil {
		check(e)
	}
	return responses(t, e, m)
}

// Every active job enters the market's graph with its capacity estimate as
// its mass, whether or not any seeker's recall found it; seekers have
// mass 1 and enter when they acted (or, never having acted, registered)
// within AllocationConfig.Window of the Fit, or always with a negative
// Window.
func TestAllocationMasses(t *testing.T) {
	m := tinyMarket(t)
	at := endOf(m)()
	// Two seekers of known standing beside the market's: one who last
	// acted eight days before the Fit, one who registered an hour before
	// it and never acted.
	job := m.Profiles[m.NumSeekers].ID
	extra := []market.Profile{
		{ID: "dormant", Side: market.Seeker, Title: m.Profiles[0].Title, Skills: m.Profiles[0].Skills,
			City: m.Profiles[0].City, Registered: at.Add(-20 * 24 * time.Hour)},
		{ID: "newcomer", Side: market.Seeker, Title: m.Profiles[0].Title, Skills: m.Profiles[0].Skills,
			City: m.Profiles[0].City, Registered: at.Add(-time.Hour)},
	}
	old := market.Event{Actor: "dormant", Target: job, Action: market.View, Time: at.Add(-8 * 24 * time.Hour)}
	profiles := append(slices.Clone(m.Profiles), extra...)
	events := append([]market.Event{old}, m.Events...)
	require.Greater(t, at.Sub(m.Events[0].Time), 7*24*time.Hour, "the log spans the default window")
	// Expected standing of every seeker, from the log itself.
	last := map[string]time.Time{}
	for _, ev := range events {
		if ev.Action != market.Impression && ev.Time.After(last[ev.Actor]) {
			last[ev.Actor] = ev.Time
		}
	}
	inWindow := func(p market.Profile) bool {
		when, ok := last[p.ID]
		if !ok {
			when = p.Registered
		}
		return at.Sub(when) <= 7*24*time.Hour
	}
	for _, window := range []time.Duration{0, -1} {
		cfg := Config{Clock: endOf(m), Seed: 7, Allocation: AllocationConfig{On: true, Candidates: 20, Window: window}}
		e, err := New(cfg)
		require.NoError(t, err)
		ctx := context.Background()
		require.NoError(t, e.Upsert(ctx, profiles...))
		require.NoError(t, e.Record(ctx, events...))
		require.NoError(t, e.Fit(ctx))
		st := e.state.Load()
		require.NotNil(t, st.potentials)
		jobs, in, out := 0, 0, 0
		for _, p := range profiles {
			ix, ok := e.dict.Lookup(p.ID)
			require.True(t, ok, p.ID)
			if p.Side == market.Seeker {
				want := 1.0
				if window == 0 && !inWindow(p) {
					want = 0
					out++
				} else {
					in++
				}
				assert.Equal(t, want, st.potentials.Mass(ix), "window %v, seeker %s", window, p.ID)
				continue
			}
			want := st.capTable.Get(ix)
			if !(want > 0) {
				want = st.capPrior[market.Recruiter]
			}
			assert.Equal(t, want, st.potentials.Mass(ix), "job %s", p.ID)
			jobs++
		}
		require.Positive(t, jobs)
		require.Positive(t, in)
		if window == 0 {
			require.Positive(t, out, "the dormant seeker at least")
		}
		dix, _ := e.dict.Lookup("dormant")
		nix, _ := e.dict.Lookup("newcomer")
		assert.Equal(t, window != 0, st.potentials.Mass(dix) == 1, "dormant, window %v", window)
		assert.Equal(t, 1.0, st.potentials.Mass(nix), "newcomer, window %v", window)
		// A dormant seeker's request still ranks at the fitted prices.
		resp, err := e.Recommend(ctx, Request{ID: "dormant", N: 5, DryRun: true})
		require.NoError(t, err)
		assert.NotEmpty(t, resp.Results)
		require.NoError(t, e.Close())
	}
}

// While the log is younger than AllocationConfig.Window nobody is
// dormant: a market two days old prices every seeker, and a negative
// Candidates is a configuration error.
func TestAllocationWindowYoungMarket(t *testing.T) {
	m, err := synth.Generate(synth.Config{Seed: 9, Seekers: 60, Jobs: 20, Events: 1500, Days: 2})
	require.NoError(t, err)
	e, err := New(Config{Clock: endOf(m), Seed: 7, Allocation: AllocationConfig{On: true, Candidates: 20, Window: 24 * time.Hour * 3}})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, e.Close()) })
	ctx := context.Background()
	for i := range m.Profiles {
		m.Profiles[i].Registered = m.Events[0].Time.Add(-30 * 24 * time.Hour)
	}
	require.NoError(t, e.Upsert(ctx, m.Profiles...))
	require.NoError(t, e.Record(ctx, m.Events...))
	require.NoError(t, e.Fit(ctx))
	st := e.state.Load()
	require.NotNil(t, st.potentials)
	for i, p := range m.Profiles[:m.NumSeekers] {
		assert.Equal(t, 1.0, st.potentials.Mass(uint32(i)), "seeker %s", p.ID)
	}
	_, err = New(Config{Allocation: AllocationConfig{On: true, Candidates: -1}})
	assert.ErrorIs(t, err, ErrConfig)
	assert.ErrorContains(t, err, "Allocation.Candidates")
}

// andCount counts the bits two bitmaps share, as their intersection's
// Count does, for any lengths.
func TestAndCount(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for trial := range 200 {
		var a, b bitmap.Bitmap
		for range rng.IntN(300) {
			a.Set(uint32(rng.IntN(5000)))
		}
		for range rng.IntN(300) {
			b.Set(uint32(rng.IntN(1 + rng.IntN(5000))))
		}
		var x bitmap.Bitmap
		a.Clone(&x)
		x.And(b)
		assert.Equal(t, x.Count(), andCount(a, b), "trial %d", trial)
		assert.Equal(t, x.Count(), andCount(b, a), "trial %d", trial)
	}
	assert.Zero(t, andCount(nil, bitmap.Bitmap{1}))
}

// The default aggregator is the contact cost with Config.ContactCost
// (match.DefaultContactCost unless set), for the Config's aggregator and
// for a request's; a cost that is not a finite non-negative number is a
// configuration error.
func TestContactCostAggregator(t *testing.T) {
	for _, bad := range []float64{math.NaN(), -1, math.Inf(1)} {
		_, err := New(Config{ContactCost: bad})
		assert.ErrorIs(t, err, ErrConfig, "%v", bad)
		assert.ErrorContains(t, err, "ContactCost", "%v", bad)
	}
	m, err := synth.Generate(synth.Config{Seed: 11, Seekers: 60, Jobs: 20, Events: 1500, Days: 5})
	require.NoError(t, err)
	ctx := context.Background()
	for _, cost := range []float64{0, 1} {
		e, err := New(Config{Clock: endOf(m), Seed: 7, ContactCost: cost})
		require.NoError(t, err)
		require.NoError(t, e.Upsert(ctx, m.Profiles...))
		require.NoError(t, e.Record(ctx, m.Events...))
		require.NoError(t, e.Fit(ctx))
		want := cmp.Or(cost, match.DefaultContactCost)
		assert.Equal(t, want, e.Config().ContactCost)
		for _, agg := range []string{"", "contact-cost", "product"} {
			resp, err := e.Recommend(ctx, Request{ID: m.Profiles[0].ID, N: 10, DryRun: true, Aggregator: agg})
			require.NoError(t, err)
			require.NotEmpty(t, resp.Results)
			f := match.ContactCost(want)
			if agg == "product" {
				f = match.Product
			}
			for _, r := range resp.Results {
				require.False(t, math.IsNaN(r.Forward), r.ID)
				assert.InDelta(t, f(match.NoUrgency(r.Forward, r.Backward*r.Answer)), r.TwoWay, 1e-12, "cost %v, aggregator %q, %s", cost, agg, r.ID)
			}
		}
		require.NoError(t, e.Close())
	}
}

// A Recommendation's Score is always finite, so that it encodes as JSON:
// a learned model's NaN or an overflow is clamped, the order kept.
func TestFiniteScore(t *testing.T) {
	in := []float64{math.Inf(1), 2, 0, -3, math.Inf(-1), math.NaN()}
	want := []float64{math.MaxFloat64, 2, 0, -3, -math.MaxFloat64, -math.MaxFloat64}
	for i, s := range in {
		got := finiteScore(s)
		assert.Equal(t, want[i], got, "score %v", s)
		_, err := json.Marshal(Recommendation{ID: "x", Score: got})
		assert.NoError(t, err, "score %v encodes", s)
	}
}
