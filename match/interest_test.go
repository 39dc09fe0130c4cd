package match_test

import (
	"context"
	"errors"
	"math"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/rank"
	"github.com/twowayrec/twoway/sparse"
)

// On a synthetic market (simulated), the interest models rank held-out
// pairs by the latent ground truth in both directions, and the two-way
// aggregators rank mutual acceptance better than one-way.
func TestInterestLearnsSyntheticPreferences(t *testing.T) {
	f := newSynthFixture(t, synth.Small())
	im := fitSynth(t, f, match.InterestConfig{})
	pairs := f.heldOutPairs(6000)
	require.Greater(t, len(pairs), 3000)
	var fwd, bwd []float64
	var sAcc, jAcc, mutual []bool
	for _, p := range pairs {
		s, j := p[0], p[1]
		fwd = append(fwd, im.OneWay(s, j))
		bwd = append(bwd, im.OneWay(j, s))
		sAcc = append(sAcc, f.m.Accepts(s, j))
		jAcc = append(jAcc, f.m.Accepts(j, s))
		mutual = append(mutual, f.m.Mutual(s, j))
	}
	seekerAUC, jobAUC := rank.AUC(fwd, sAcc), rank.AUC(bwd, jAcc)
	t.Logf("simulated (synth.Small): one-way AUC of acceptance on %d held-out pairs: seekers %.3f, jobs %.3f", len(pairs), seekerAUC, jobAUC)
	assert.Greater(t, seekerAUC, 0.7)
	assert.Greater(t, jobAUC, 0.7)
	oneWay := rank.AUC(fwd, mutual)
	for _, a := range match.Aggregators()[1:] {
		sc := make([]float64, len(fwd))
		for i := range fwd {
			sc[i] = a.Aggregate(match.NoUrgency(fwd[i], bwd[i]))
		}
		auc := rank.AUC(sc, mutual)
		t.Logf("simulated: AUC of mutual acceptance, %s %.3f vs one-way %.3f", a.Name, auc, oneWay)
		assert.Greater(t, auc, oneWay, a.Name)
	}
}

// The fit is the same whatever the number of workers, and OneWayBatch
// agrees with OneWay.
func TestInterestDeterministicAndBatch(t *testing.T) {
	f := newSynthFixture(t, synth.Small())
	one := fitSynth(t, f, match.InterestConfig{Model: rank.HierarchicalConfig{Workers: 1, Global: rank.Config{Workers: 1}}})
	two := fitSynth(t, f, match.InterestConfig{Model: rank.HierarchicalConfig{Workers: 2, Global: rank.Config{Workers: 2}}})
	lo, hi := f.m.Jobs()
	var cands []uint32
	for j := lo; j < hi; j++ {
		cands = append(cands, j)
	}
	var buf match.Buffer
	var dst []float64
	for _, s := range []uint32{0, 1, 17, 123} {
		dst = one.OneWayBatch(dst, &buf, s, cands, nil)
		for i, j := range cands {
			require.Equal(t, one.OneWay(s, j), two.OneWay(s, j), "seeker %d job %d", s, j)
			require.InDelta(t, one.OneWay(s, j), dst[i], 1e-12)
		}
	}
	// the job side too
	seekers := []uint32{0, 1, 2, 3, 250}
	dst = one.OneWayBatch(dst, &buf, lo, seekers, nil)
	for i, s := range seekers {
		require.InDelta(t, one.OneWay(lo, s), dst[i], 1e-12)
	}
	// OneWayToward: every job's view of one seeker, every seeker's of one
	// job, and actors of both sides (and unknown ones) in one call.
	allSeekers := make([]uint32, 0, lo)
	for s := range lo {
		allSeekers = append(allSeekers, s)
	}
	corrected := 0
	for _, tc := range []struct {
		target uint32
		actors []uint32
	}{{0, cands}, {123, cands}, {lo, allSeekers}, {hi - 1, allSeekers}, {5, append([]uint32{lo, 3, hi + 100, lo + 1}, cands[:5]...)}} {
		dst = one.OneWayToward(dst, &buf, tc.actors, tc.target, nil)
		require.Len(t, dst, len(tc.actors))
		for i, a := range tc.actors {
			require.InDelta(t, one.OneWay(a, tc.target), dst[i], 1e-12, "actor %d target %d", a, tc.target)
			if ok, _ := one.HasCorrection(a); ok {
				corrected++
			}
		}
	}
	assert.Greater(t, corrected, 100, "personal corrections are exercised")
	allocs := testing.AllocsPerRun(10, func() { dst = one.OneWayToward(dst, &buf, allSeekers, lo, nil) })
	assert.Zero(t, allocs, "OneWayToward with a reused Buffer and dst")
}

// Heavy users get a correction of their own, users without samples fall
// back to the global model, and Update changes one user only, in a copy.
func TestInterestHierarchyAndUpdate(t *testing.T) {
	f := newSynthFixture(t, synth.Small())
	im := fitSynth(t, f, match.InterestConfig{})
	perUser := map[uint32]int{}
	for _, s := range f.samples {
		perUser[s.User]++
	}
	var heavy uint32
	for u, n := range perUser {
		if n > perUser[heavy] || (n == perUser[heavy] && u < heavy) {
			heavy = u
		}
	}
	has, n := im.HasCorrection(heavy)
	require.True(t, has)
	assert.Equal(t, perUser[heavy], n)

	// a participant index with no samples at all uses the side's model
	newcomer := uint32(len(f.m.Profiles)) // beyond every sample
	require.NoError(t, f.cat.Set(newcomer, match.ContentOf(&f.m.Profiles[0], f.mustContent(t, 0).Vector)))
	has, _ = im.HasCorrection(newcomer)
	assert.False(t, has)
	lo, _ := f.m.Jobs()
	g := im.Global(market.Seeker)
	require.NotNil(t, g)

	// Update the newcomer: they now attend to job lo and pass over lo+1..lo+4.
	var mine []match.Sample
	mine = append(mine, match.Sample{User: newcomer, Target: lo, Attended: true, Weight: 3})
	for j := lo + 1; j < lo+5; j++ {
		mine = append(mine, match.Sample{User: newcomer, Target: j, Weight: 1})
	}
	before := im.OneWay(newcomer, lo)
	other := im.OneWay(heavy, lo)
	require.NoError(t, im.Update(context.Background(), newcomer, mine))
	has, n = im.HasCorrection(newcomer)
	assert.True(t, has)
	assert.Equal(t, 5, n)
	assert.Greater(t, im.OneWay(newcomer, lo), before, "the attended job scores higher after the update")
	assert.Greater(t, im.OneWay(newcomer, lo), im.OneWay(newcomer, lo+1))
	assert.Equal(t, other, im.OneWay(heavy, lo), "other users are unchanged")

	// too few samples remove the correction
	require.NoError(t, im.Update(context.Background(), newcomer, mine[:1]))
	has, _ = im.HasCorrection(newcomer)
	assert.False(t, has)
	assert.InDelta(t, before, im.OneWay(newcomer, lo), 1e-12, "back to the global model")

	err := im.Update(context.Background(), newcomer, []match.Sample{{User: 1, Target: lo, Weight: 1}})
	require.ErrorIs(t, err, match.ErrContent)
}

func (f *synthFixture) mustContent(t *testing.T, ix uint32) match.Content {
	c, ok := f.cat.Content(ix)
	require.True(t, ok)
	return c
}

func TestFitInterestErrors(t *testing.T) {
	f := newSynthFixture(t, synth.Small())
	ctx := context.Background()
	_, err := match.FitInterest(ctx, match.InterestConfig{}, f.cat, nil)
	require.ErrorIs(t, err, match.ErrNoSamples)

	_, err = match.FitInterest(ctx, match.InterestConfig{Model: rank.HierarchicalConfig{Lambda: -1}}, f.cat, f.samples)
	require.ErrorIs(t, err, match.ErrConfig)
	assert.Contains(t, err.Error(), "Lambda")

	_, err = match.FitInterest(ctx, match.InterestConfig{Model: rank.HierarchicalConfig{Workers: -2}}, f.cat, f.samples)
	require.ErrorIs(t, err, match.ErrConfig)
	assert.Contains(t, err.Error(), "Workers")

	bad := append([]match.Sample{{User: 1 << 30, Target: 0, Weight: 1}}, f.samples...)
	_, err = match.FitInterest(ctx, match.InterestConfig{}, f.cat, bad)
	require.ErrorIs(t, err, match.ErrContent)
	assert.Contains(t, err.Error(), "sample 0")

	bad = append([]match.Sample{{User: 0, Target: 400, Weight: math.NaN()}}, f.samples...)
	_, err = match.FitInterest(ctx, match.InterestConfig{}, f.cat, bad)
	require.ErrorIs(t, err, match.ErrContent)
	assert.Contains(t, err.Error(), "Weight")

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = match.FitInterest(cctx, match.InterestConfig{}, f.cat, f.samples)
	require.True(t, errors.Is(err, context.Canceled), "got %v", err)
}

// Scoring, explaining and updating run at the same time (run with -race).
func TestInterestConcurrentUse(t *testing.T) {
	f := newSynthFixture(t, synth.Small())
	im := fitSynth(t, f, match.InterestConfig{})
	lo, hi := f.m.Jobs()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			var buf match.Buffer
			var dst []float64
			cands := []uint32{lo, lo + 1, hi - 1}
			for s := uint32(w); s < 60; s += 4 {
				dst = im.OneWayBatch(dst, &buf, s, cands, nil)
				_ = im.Explain(match.Aggregators()[3], s, lo, 0.5, 0.5, match.ExplainOptions{Top: 3})
				if s%8 == 0 {
					err := im.Update(context.Background(), s, []match.Sample{{User: s, Target: lo, Attended: true, Weight: 1}, {User: s, Target: lo + 1, Weight: 1}, {User: s, Target: lo + 2, Weight: 1}})
					assert.NoError(t, err)
				}
			}
		})
	}
	wg.Go(func() {
		for j := lo; j < lo+20; j++ {
			c, _ := f.cat.Content(j)
			assert.NoError(t, f.cat.Set(j, c))
		}
	})
	wg.Wait()
}

// TestOneWayTowardWhileSettingDoesNotDeadlock is the regression test of
// issue 15's deadlock: OneWayToward held the catalog's read lock and took
// it again for every actor (through Catalog.Side), so a Catalog.Set waiting
// for the write lock in between blocked the nested read lock for ever.
func TestOneWayTowardWhileSettingDoesNotDeadlock(t *testing.T) {
	f := newSynthFixture(t, synth.Small())
	im := fitSynth(t, f, match.InterestConfig{})
	lo, hi := f.m.Jobs()
	seekers := make([]uint32, f.m.NumSeekers)
	for i := range seekers {
		seekers[i] = uint32(i)
	}
	done := make(chan struct{})
	var progress atomic.Int64
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			var buf match.Buffer
			var dst []float64
			for j := lo; ; j++ {
				select {
				case <-done:
					return
				default:
				}
				dst = im.OneWayToward(dst, &buf, seekers, lo+(j-lo)%(hi-lo), nil)
				progress.Add(1)
			}
		})
	}
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			j := lo + uint32(i)%(hi-lo)
			c, _ := f.cat.Content(j)
			assert.NoError(t, f.cat.Set(j, c))
			progress.Add(1)
		}
	})
	// Watchdog: the loops above must keep completing calls for 3 s; a
	// second without progress is a deadlock (a call takes microseconds).
	last, since := progress.Load(), time.Now()
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
		time.Sleep(50 * time.Millisecond)
		if n := progress.Load(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) > time.Second {
			var dump strings.Builder
			_ = pprof.Lookup("goroutine").WriteTo(&dump, 1)
			t.Fatalf("no call completed for 1 s: deadlock; goroutines:\n%s", dump.String())
		}
	}
	close(done)
	wg.Wait()
}

// The interest model's probabilities are probabilities of the pairs: fitted
// on balanced samples (the default, SampleConfig.RawWeights false), the
// mean forecast over each side's training pairs is their share of
// positives; on the raw action weights (a chat 3, a reject 2, a pass 1) a
// weighted fit inflates the odds, and the mean forecast lies above it.
func TestInterestCalibratedInTheLarge(t *testing.T) {
	f := newSynthFixture(t, synth.Small())
	raw, err := match.Samples(match.SampleConfig{Seed: 1, RawWeights: true}, synthInteractions(f.m), f.m.Side, synthOthers(f.m))
	require.NoError(t, err)
	for _, c := range []struct {
		name    string
		samples []match.Sample
	}{{"balanced", f.samples}, {"raw", raw}} {
		im, err := match.FitInterest(context.Background(), match.InterestConfig{}, f.cat, c.samples)
		require.NoError(t, err)
		var forecast, positive, n [3]float64
		for _, s := range c.samples {
			sd := f.m.Side(s.User)
			forecast[sd] += im.OneWay(s.User, s.Target)
			if s.Attended {
				positive[sd]++
			}
			n[sd]++
		}
		for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
			mean, share := forecast[sd]/n[sd], positive[sd]/n[sd]
			t.Logf("simulated (synth.Small), %s samples, %v side: mean forecast %.4f, share of positives %.4f over %.0f training pairs", c.name, sd, mean, share, n[sd])
			if c.name == "balanced" {
				assert.InDelta(t, share, mean, 0.01, "%v side", sd)
			} else {
				assert.Greater(t, mean-share, 0.02, "%v side: raw weights inflate the odds", sd)
			}
		}
	}
}

// GlobalPrior bounds a small market's global weights (the prior's
// precision outweighs a few rows) and leaves a large market's fit as it
// was (GlobalPrior/W below Model.Global.L2).
func TestInterestGlobalPrior(t *testing.T) {
	f := newSynthFixture(t, synth.Small())
	norm := func(im *match.Interest) float64 {
		var s float64
		for _, w := range im.Global(market.Seeker).Weights() {
			s += w * w
		}
		return math.Sqrt(s)
	}
	small := f.samples[:120]
	fit := func(samples []match.Sample, prior float64) *match.Interest {
		im, err := match.FitInterest(context.Background(), match.InterestConfig{GlobalPrior: prior}, f.cat, samples)
		require.NoError(t, err)
		return im
	}
	free, held := fit(small, -1), fit(small, 3)
	t.Logf("120 rows: global weight norm %.2f without the prior, %.2f with GlobalPrior 3", norm(free), norm(held))
	assert.Less(t, norm(held), norm(free)/2)

	// The whole fixture: the seeker side's weight is far above 3/1e-3.
	var w float64
	for _, s := range f.samples {
		if f.m.Side(s.User) == market.Seeker {
			w += s.Weight
		}
	}
	require.Greater(t, w, 3/1e-3)
	a, b := fit(f.samples, -1), fit(f.samples, 3)
	assert.Equal(t, a.Global(market.Seeker).Weights(), b.Global(market.Seeker).Weights())

	_, err := match.FitInterest(context.Background(), match.InterestConfig{GlobalPrior: math.NaN()}, f.cat, small)
	require.ErrorIs(t, err, match.ErrConfig)
	assert.Contains(t, err.Error(), "GlobalPrior")
}

// onlyFeatures hides a Catalog's SplitFeaturizer methods: FitInterest then
// writes every training row out in full.
type onlyFeatures struct{ c *match.Catalog }

func (o onlyFeatures) Features(dst sparse.Vector, a, b uint32) sparse.Vector {
	return o.c.Features(dst, a, b)
}
func (o onlyFeatures) Side(p uint32) market.Side { return o.c.Side(p) }

// A Catalog's candidate vectors are stored once (SplitFeaturizer); the
// model is the one fitted on the rows written out, to the rounding of
// sums, with and without per-candidate effects.
func TestInterestSplitFeaturesMatchWrittenOut(t *testing.T) {
	f := newSynthFixture(t, synth.Small())
	var _ match.SplitFeaturizer = f.cat
	lo, hi := f.m.Jobs()
	for _, cfg := range []match.InterestConfig{{}, {ItemLambda: 5}} {
		ctx := context.Background()
		split, err := match.FitInterest(ctx, cfg, f.cat, f.samples)
		require.NoError(t, err)
		full, err := match.FitInterest(ctx, cfg, onlyFeatures{f.cat}, f.samples)
		require.NoError(t, err)
		var buf sparse.Vector
		for _, s := range []uint32{0, 1, 17, 123, 250} {
			for j := lo; j < hi; j += 3 {
				for _, p := range [][2]uint32{{s, j}, {j, s}} {
					require.InDelta(t, full.OneWay(p[0], p[1]), split.OneWay(p[0], p[1]), 1e-6, "%d toward %d, ItemLambda %v", p[0], p[1], cfg.ItemLambda)
				}
			}
			// PairFeatures then CandidateFeatures is Features.
			x := f.cat.Features(sparse.Vector{}, s, lo)
			buf = f.cat.PairFeatures(buf, s, lo)
			y := f.cat.CandidateFeatures(sparse.Vector{}, lo)
			require.Equal(t, x.Idx, append(slices.Clone(buf.Idx), y.Idx...))
			require.Equal(t, x.Val, append(slices.Clone(buf.Val), y.Val...))
		}
	}
}

// interestRows computes the training rows on every core and adds them in
// sample order: on one core and on three, with windows and batches that
// split the samples many times, the fitted models are the same to the
// last bit, with the shared candidate vectors and without.
func TestInterestSameForAnyWorkers(t *testing.T) {
	f := newSynthFixture(t, synth.Small())
	defer match.SetInterestWindow(97, 5)()
	lo, hi := f.m.Jobs()
	for _, feat := range []match.Featurizer{f.cat, onlyFeatures{f.cat}} {
		fit := func(procs int) []float64 {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			m, err := match.FitInterest(context.Background(), match.InterestConfig{ItemLambda: 5}, feat, f.samples)
			require.NoError(t, err)
			var out []float64
			for _, s := range []uint32{0, 1, 17, 123, 250} {
				for j := lo; j < hi; j += 3 {
					out = append(out, m.OneWay(s, j), m.OneWay(j, s))
				}
			}
			return out
		}
		require.Greater(t, len(f.samples), 10*97, "the samples cross many windows")
		require.Equal(t, fit(1), fit(3), "%T", feat)
	}
}
