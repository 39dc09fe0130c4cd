package twoway

import (
	"bytes"
	"context"
	"errors"
	"math"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/factor"
	"github.com/twowayrec/twoway/internal/binio"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/recall"
	"github.com/twowayrec/twoway/recall/recalltest"
)

// factorConfig is a configuration with latent factors (a small, quick
// model) and, when emb is not nil, that embedder.
// factorConfig is the configuration of the factor tests: factors on, as
// evidence too (FactorConfig.Evidence), with a small, quick model.
func factorConfig(m *synth.Market, emb factor.Embedder) Config {
	return Config{Clock: endOf(m), Seed: 7, Embedder: emb,
		Factors: FactorConfig{Use: FactorsOn, Evidence: true, Model: factor.Config{Factors: 8, Iterations: 6}}}
}

func fitted(t *testing.T, m *synth.Market, cfg Config) *Engine {
	t.Helper()
	e, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, e.Close()) })
	ctx := context.Background()
	require.NoError(t, e.Upsert(ctx, m.Profiles...))
	require.NoError(t, e.Record(ctx, m.Events...))
	require.NoError(t, e.Fit(ctx))
	return e
}

func hashEmbedder(t testing.TB) *factor.HashEmbedder {
	h, err := factor.NewHashEmbedder(factor.HashConfig{Dim: 64})
	require.NoError(t, err)
	return h
}

// With factors on, Fit reports the factors stage, every participant has
// factors, the factor evidence is in both one-way models, vector recall is a
// source, and Explain names the factor evidence.
func TestFactorsInFit(t *testing.T) {
	m := tinyMarket(t)
	cfg := factorConfig(m, hashEmbedder(t))
	cfg.Reasons = 100 // every reason, to see the factor evidence named
	var steps []string
	var mu sync.Mutex
	cfg.OnProgress = func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		if p.Stage == "factors" && p.Step != "" && !slices.Contains(steps, p.Step) {
			steps = append(steps, p.Step)
		}
	}
	e := fitted(t, m, cfg)
	assert.Equal(t, []string{"embeddings", "seeker factors", "recruiter factors"}, steps)
	st := e.state.Load()
	require.NotNil(t, st.factors)
	require.NotNil(t, st.factors.rec)
	require.NotNil(t, st.factors.emb)
	s := e.Stats()
	assert.True(t, s.Factors)
	assert.True(t, s.Embeddings)
	assert.Positive(t, s.FactorBytes)
	assert.EqualValues(t, 1, s.EmbedCalls)
	assert.Zero(t, s.EmbedFailed)

	// Recall from the factors, and the factor evidence in the scores and
	// the explanations.
	fromFactors, named := factorSourcesAndReasons(t, e, m)
	assert.Positive(t, fromFactors, "vector recall found results")
	assert.True(t, named[match.ReasonTaste] || named[match.ReasonTheirTaste], "the factor evidence is named: %v", named)
	assert.True(t, named[match.ReasonEmbedding], "the embedding cosine is named")
	w := st.interest.Global(market.Seeker)
	assert.NotZero(t, w.Weight(match.FeatureAnswering+match.EvidenceFactorForward), "the seekers' model learned a weight for the MF forward evidence")
}

// Without FactorConfig.Evidence (the default with factors on), the
// factors recall candidates but stay out of the one-way matches: no factor
// evidence in the training rows (no weight on it), at serving or in the
// explanations, and a snapshot that loads the same way.
func TestFactorsRecallOnly(t *testing.T) {
	m := tinyMarket(t)
	cfg := factorConfig(m, nil)
	cfg.Factors.Evidence = false
	e := fitted(t, m, cfg)
	st := e.state.Load()
	require.NotNil(t, st.factors)
	require.NotNil(t, st.factors.rec)
	assert.False(t, st.factors.evident)
	for _, side := range []market.Side{market.Seeker, market.Recruiter} {
		w := st.interest.Global(side)
		for _, j := range []int{match.EvidenceFactorForward, match.EvidenceFactorBackward} {
			assert.Zero(t, w.Weight(uint32(match.FeatureAnswering+j)), "%v: no weight on factor evidence %d", side, j)
		}
	}
	var ev match.Evidence
	st.factors.fill(&ev, 0, uint32(m.NumSeekers))
	assert.Zero(t, ev[match.EvidenceFactorForward])
	assert.Zero(t, ev[match.EvidenceFactorBackward])

	fromFactors, named := factorSourcesAndReasons(t, e, m)
	assert.False(t, named[match.ReasonTaste] || named[match.ReasonTheirTaste], "no factor reason without factor evidence: %v", named)
	assert.Positive(t, fromFactors, "vector recall found results")

	f, _ := saveLoad(t, e, cfg)
	assert.False(t, f.state.Load().factors.evident, "the snapshot keeps the factors out of the matches")
	assert.Equal(t, responses(t, e, m), responses(t, f, m))

	bad := FactorConfig{Use: FactorsOn, NoRecall: true}
	require.ErrorIs(t, bad.defaults(1), ErrConfig, "no recall and no evidence")
	bad.Evidence = true
	require.NoError(t, bad.defaults(1))
}

// factorSourcesAndReasons asks for 10 results, explained, for each of
// m's first 20 profiles and returns how many results vector recall
// ("factors") found and the kinds of reason the explanations named.
func factorSourcesAndReasons(t *testing.T, e *Engine, m *synth.Market) (int, map[match.ReasonKind]bool) {
	t.Helper()
	fromFactors, named := 0, map[match.ReasonKind]bool{}
	for _, p := range m.Profiles[:20] {
		resp, err := e.Recommend(context.Background(), Request{ID: p.ID, N: 10, DryRun: true, Explain: true})
		require.NoError(t, err)
		for _, r := range resp.Results {
			for _, src := range r.Sources {
				if src.Name == "factors" {
					fromFactors++
				}
			}
			require.NotNil(t, r.Explanation)
			for _, d := range []match.Direction{r.Explanation.Forward, r.Explanation.Backward} {
				for _, why := range slices.Concat(d.Reasons, d.Concerns) {
					named[why.Kind] = true
				}
			}
		}
	}
	return fromFactors, named
}

// The same Fit twice gives the same factors (Config.Seed).
func TestFactorsDeterministic(t *testing.T) {
	m := tinyMarket(t)
	a, b := fitted(t, m, factorConfig(m, nil)), fitted(t, m, factorConfig(m, nil))
	fa, fb := a.state.Load().factors, b.state.Load().factors
	require.NotNil(t, fa.rec)
	var x, y bytes.Buffer
	_, err := fa.rec.WriteTo(&x)
	require.NoError(t, err)
	_, err = fb.rec.WriteTo(&y)
	require.NoError(t, err)
	assert.Equal(t, x.Bytes(), y.Bytes())
	assert.Equal(t, responses(t, a, m), responses(t, b, m))
}

// A cancelled context stops a Fit in the factors stage, leaving the
// previous state.
func TestFactorsFitCancelled(t *testing.T) {
	m := tinyMarket(t)
	cfg := factorConfig(m, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg.OnProgress = func(p Progress) {
		if p.Stage == "factors" && p.Step != "" {
			cancel()
		}
	}
	e, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, e.Close()) })
	require.NoError(t, e.Upsert(context.Background(), m.Profiles...))
	require.NoError(t, e.Record(context.Background(), m.Events...))
	err = e.Fit(ctx)
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, e.state.Load().fitted)
}

// A profile upserted after the Fit gets factors from its content (hybrid
// factors): it is recalled by vector recall as a requester, scored with
// factor evidence, and recalled for others.
func TestFactorsColdStart(t *testing.T) {
	m := tinyMarket(t)
	e := fitted(t, m, factorConfig(m, nil))
	ctx := context.Background()
	job := m.Profiles[m.NumSeekers]
	newcomer := market.Profile{ID: "cold-seeker", Side: market.Seeker, Title: job.Title, Skills: job.Skills, Tags: job.Tags,
		City: job.City, Registered: endOf(m)()}
	require.NoError(t, e.Upsert(ctx, newcomer))
	st := e.state.Load()
	ix, ok := e.dict.Lookup("cold-seeker")
	require.True(t, ok)
	row := st.factors.rowOf(ix, market.Seeker)
	require.Len(t, row, 8, "factors from the content features")
	assert.NotZero(t, factor.Dot(row, row))

	resp, err := e.Recommend(ctx, Request{ID: "cold-seeker", N: 10, DryRun: true})
	require.NoError(t, err)
	require.NotEmpty(t, resp.Results)
	fromFactors := false
	for _, r := range resp.Results {
		for _, src := range r.Sources {
			fromFactors = fromFactors || src.Name == "factors"
		}
	}
	assert.True(t, fromFactors, "the newcomer's factors recall candidates")
	var ev match.Evidence
	st.factors.fill(&ev, ix, uint32(m.NumSeekers))
	_, calB := st.factors.rec.Model(market.Seeker).Calibration()
	assert.NotEqual(t, calB, ev[match.EvidenceFactorForward], "a factor score, not the no-factor prior")
}

// failingEmbedder errors on every call; blockingEmbedder waits for its
// context (the timeout) and returns its error.
var failingEmbedder = factor.EmbedderFunc(func(ctx context.Context, ps []market.Profile) ([][]float32, error) {
	return nil, errors.New("embedding service down")
})

var blockingEmbedder = factor.EmbedderFunc(func(ctx context.Context, ps []market.Profile) ([][]float32, error) {
	<-ctx.Done()
	return nil, ctx.Err()
})

type embedCount struct {
	observer
	mu    sync.Mutex
	stats []EmbedStats
}

func (o *embedCount) Embed(s EmbedStats) { o.mu.Lock(); o.stats = append(o.stats, s); o.mu.Unlock() }

// An embedder that errors or times out never fails a Fit, an Upsert or a
// request: the other features decide, and the failures are counted.
func TestEmbedderFailuresFallBack(t *testing.T) {
	m := tinyMarket(t)
	base := fitted(t, m, factorConfig(m, nil))
	for _, tc := range []struct {
		name string
		emb  factor.Embedder
	}{{"errors", failingEmbedder}, {"times out", blockingEmbedder}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := factorConfig(m, tc.emb)
			cfg.Embed.Timeout = time.Millisecond
			obs := &embedCount{}
			cfg.Observer = obs
			e := fitted(t, m, cfg)
			ctx := context.Background()
			s := e.Stats()
			assert.EqualValues(t, 1, s.EmbedCalls)
			assert.EqualValues(t, len(m.Profiles), s.EmbedFailed, "every profile counted as failed")
			assert.False(t, s.Embeddings)
			// Without embeddings the answers are those of the Engine
			// without an embedder.
			assert.Equal(t, responses(t, base, m), responses(t, e, m))
			require.NoError(t, e.Upsert(ctx, market.Profile{ID: "late", Side: market.Seeker, Title: "Go", Registered: endOf(m)()}))
			_, err := e.Recommend(ctx, Request{ID: "late", N: 5, DryRun: true})
			require.NoError(t, err)
			assert.EqualValues(t, 1, e.Stats().EmbedCalls, "after a Fit without embeddings, Upsert does not embed (no dimension to match)")
			obs.mu.Lock()
			defer obs.mu.Unlock()
			require.NotEmpty(t, obs.stats)
			assert.Equal(t, "fit", obs.stats[0].Op)
			assert.Equal(t, len(m.Profiles), obs.stats[0].Failed)
		})
	}
}

// An embedder that fails after the Fit (at an Upsert) leaves the newcomer
// without an embedding and the Upsert succeeds.
func TestEmbedderFailsAtUpsert(t *testing.T) {
	m := tinyMarket(t)
	h := hashEmbedder(t)
	var broken sync.Mutex
	down := false
	emb := factor.EmbedderFunc(func(ctx context.Context, ps []market.Profile) ([][]float32, error) {
		broken.Lock()
		d := down
		broken.Unlock()
		if d {
			return nil, errors.New("down")
		}
		return h.Embed(ctx, ps)
	})
	e := fitted(t, m, factorConfig(m, emb))
	broken.Lock()
	down = true
	broken.Unlock()
	ctx := context.Background()
	require.NoError(t, e.Upsert(ctx, market.Profile{ID: "late", Side: market.Seeker, Title: "Go", Registered: endOf(m)()}))
	ix, _ := e.dict.Lookup("late")
	assert.Nil(t, e.state.Load().factors.embedding(ix))
	assert.EqualValues(t, 1, e.Stats().EmbedFailed)
	_, err := e.Recommend(ctx, Request{ID: "late", N: 5, DryRun: true})
	require.NoError(t, err)
}

// Save → Load with factors, embeddings, a cold-start profile and one
// embedded since the Fit gives identical answers; a damaged factor section
// is a clear error.
func TestSaveLoadExactWithFactors(t *testing.T) {
	m := tinyMarket(t)
	cfg := factorConfig(m, hashEmbedder(t))
	e := fitted(t, m, cfg)
	ctx := context.Background()
	require.NoError(t, e.Upsert(ctx, market.Profile{ID: "late", Side: market.Seeker, Title: "数据分析师", Skills: []string{"SQL"}, Registered: endOf(m)()}))
	f, snap := saveLoad(t, e, cfg)
	assert.Equal(t, responses(t, e, m), responses(t, f, m))
	for _, id := range []string{"late"} {
		a, err := e.Recommend(ctx, Request{ID: id, N: 10, DryRun: true, Explain: true})
		require.NoError(t, err)
		b, err := f.Recommend(ctx, Request{ID: id, N: 10, DryRun: true, Explain: true})
		require.NoError(t, err)
		assert.Equal(t, a.Results, b.Results)
	}
	// A loaded Engine saves the same bytes.
	g, _ := saveLoad(t, f, cfg)
	var again, fresh bytes.Buffer
	require.NoError(t, g.Save(&again))
	require.NoError(t, f.Save(&fresh))
	assert.Equal(t, fresh.Bytes(), again.Bytes(), "canonical")

	// Damage inside the factor section.
	st := e.state.Load()
	var w binio.Writer
	require.NoError(t, st.factors.appendBinary(&w))
	sec := w.B
	_, err := decodeFactors(sec, e.profiles, snapVersion)
	require.NoError(t, err)
	for _, cut := range []int{1, len(sec) / 2, len(sec) - 1} {
		_, err := decodeFactors(sec[:cut], e.profiles, snapVersion)
		assert.Error(t, err, "cut at %d", cut)
	}
	// A version 7 section (no evidence flag: the factors were always
	// evidence then) decodes with the factors as evidence.
	r := binio.NewReader(sec)
	require.True(t, r.Bool())
	r.Bytes()
	flags := len(sec) - r.Len() // hybrid, recall, evidence
	require.True(t, st.factors.evident)
	v7 := slices.Concat(sec[:flags+2], sec[flags+3:])
	old, err := decodeFactors(v7, e.profiles, 7)
	require.NoError(t, err)
	assert.True(t, old.evident, "a version 7 section's factors are evidence")
	// A snapshot for fewer profiles than the factors name.
	_, err = decodeFactors(sec, e.profiles[:10], snapVersion)
	assert.ErrorContains(t, err, "out of range")
	// The whole snapshot with a damaged factor model: a corrupt-snapshot
	// error naming the factors.
	s, err := parseSnapshot(mustBody(t, snap), snapVersion)
	require.NoError(t, err)
	require.NotNil(t, s.factors)
	s.factors = slices.Clone(s.factors)
	s.factors[20] ^= 0xff
	h, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, h.Close()) })
	_, err = h.build(ctx, s)
	require.ErrorIs(t, err, ErrCorruptSnapshot)
	assert.ErrorContains(t, err, "factors")
}

// mustBody returns a snapshot's body.
func mustBody(t *testing.T, snap []byte) []byte {
	t.Helper()
	_, body, _, err := binio.ReadFrame(bytes.NewReader(snap), snapMagic, snapVersion, maxSnapBody)
	require.NoError(t, err)
	return body
}

// FuzzDecodeFactors: a damaged factor section is an error, never a panic,
// and whatever decodes encodes to a section that decodes to the same.
func FuzzDecodeFactors(f *testing.F) {
	m, err := synth.Generate(synth.Config{Seed: 9, Seekers: 12, Jobs: 5, Events: 300, Days: 4})
	require.NoError(f, err)
	cfg := Config{Clock: endOf(m), Seed: 7, Embedder: hashEmbedder(f),
		Factors: FactorConfig{Use: FactorsOn, Evidence: true, Model: factor.Config{Factors: 2, Iterations: 2}}}
	e, err := New(cfg)
	require.NoError(f, err)
	f.Cleanup(func() { e.Close() })
	ctx := context.Background()
	require.NoError(f, e.Upsert(ctx, m.Profiles...))
	require.NoError(f, e.Record(ctx, m.Events...))
	require.NoError(f, e.Fit(ctx))
	require.NoError(f, e.Upsert(ctx, market.Profile{ID: "late", Side: market.Seeker, Title: "Go", Skills: []string{"Go"}, Registered: endOf(m)()}))
	var w binio.Writer
	require.NoError(f, e.state.Load().factors.appendBinary(&w))
	f.Add(w.B)
	f.Add([]byte{})
	profiles := slices.Clone(e.profiles)
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, err := decodeFactors(b, profiles, snapVersion)
		if err != nil {
			return
		}
		var again, twice binio.Writer
		require.NoError(t, fs.appendBinary(&again))
		gs, err := decodeFactors(again.B, profiles, snapVersion)
		require.NoError(t, err)
		require.NoError(t, gs.appendBinary(&twice))
		assert.Equal(t, again.B, twice.B)
	})
}

// With factors and an embedder, Recommend (and Explain), Record, Upsert of
// new profiles (cold-start factors, embeddings), Fit and Save run at once
// (run under -race).
func TestFactorsConcurrent(t *testing.T) {
	m := tinyMarket(t)
	e := fitted(t, m, factorConfig(m, hashEmbedder(t)))
	ctx := context.Background()
	now := endOf(m)()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 2 {
		wg.Go(func() {
			for i := range 30 {
				ix := (g*37 + i*11) % len(m.Profiles)
				if _, err := e.Recommend(ctx, Request{ID: m.Profiles[ix].ID, N: 5, Explain: i%3 == 0}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 60 {
			s, j := m.Profiles[i%m.NumSeekers].ID, m.Profiles[m.NumSeekers+i%m.NumJobs].ID
			if err := e.Record(ctx, market.Event{Actor: s, Target: j, Action: market.View, Time: now}); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Go(func() {
		for i := range 20 {
			p := market.Profile{ID: "new-" + strconv.Itoa(i), Side: market.Seeker, Title: "数据分析师", Skills: []string{"SQL"}, Registered: now}
			if err := e.Upsert(ctx, p); err != nil {
				errs <- err
				return
			}
			if _, err := e.Recommend(ctx, Request{ID: p.ID, N: 5}); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Go(func() {
		if err := e.Fit(ctx); err != nil {
			errs <- err
		}
	})
	wg.Go(func() {
		var b bytes.Buffer
		if err := e.Save(&b); err != nil {
			errs <- err
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The newcomers, upserted before, during or after the Fit, have
	// factors and embeddings in the new state.
	st := e.state.Load()
	for i := range 20 {
		ix, ok := e.dict.Lookup("new-" + strconv.Itoa(i))
		require.True(t, ok)
		assert.NotEmpty(t, st.factors.rowOf(ix, market.Seeker), "new-%d", i)
		assert.NotEmpty(t, st.factors.embedding(ix), "new-%d: embedded at the Fit, or at its Upsert and carried over", i)
	}
}

// The factor and embedding recallers keep the Recaller contract
// (recalltest), for requesters with fitted vectors and for a newcomer
// with cold-start ones.
func TestFactorRecallersConform(t *testing.T) {
	m := tinyMarket(t)
	e := fitted(t, m, factorConfig(m, hashEmbedder(t)))
	ctx := context.Background()
	require.NoError(t, e.Upsert(ctx, market.Profile{ID: "cold", Side: market.Seeker, Title: "数据分析师", Skills: []string{"SQL", "Python"}, Registered: endOf(m)()}))
	cold, _ := e.dict.Lookup("cold")
	var reqs []recall.Request
	for _, ix := range []uint32{0, 7, uint32(m.NumSeekers), uint32(m.NumSeekers + 3), cold} {
		side := e.pop.Side(ix)
		reqs = append(reqs, recall.Request{Requester: ix, Side: side, K: 8, Allowed: e.pop.Active(nil, side.Other())})
	}
	f := e.state.Load().factors
	t.Run("factors", func(t *testing.T) { recalltest.Run(t, f.recaller(false), reqs...) })
	// The newcomer was embedded at its Upsert.
	t.Run("embeddings", func(t *testing.T) { recalltest.Run(t, f.recaller(true), reqs...) })
}

// The Engine's ALS penalty is its own default (λ 150, chosen on the
// simulator's validation markets) unless set; BPR keeps package factor's.
func TestFactorDefaults(t *testing.T) {
	c := FactorConfig{Use: FactorsOn}
	require.NoError(t, c.defaults(3))
	assert.Equal(t, float64(engineFactorRegularization), c.Model.Regularization)
	assert.Equal(t, 32, c.Model.Factors)
	assert.Equal(t, uint64(3), c.Model.Seed)
	c = FactorConfig{Use: FactorsOn, Model: factor.Config{Regularization: 20}}
	require.NoError(t, c.defaults(3))
	assert.Equal(t, 20.0, c.Model.Regularization)
	c = FactorConfig{Use: FactorsOn, Plain: true, Model: factor.Config{Method: factor.BPR}}
	require.NoError(t, c.defaults(3))
	assert.Zero(t, c.Model.Regularization, "BPR: package factor's default")
}

// FactorConfig.PassedOver: the pairs shown and left, or turned down, are
// the factor models' negatives; their factor scores fall against the
// other pairs without a cell.
func TestFactorsPassedOver(t *testing.T) {
	for _, bad := range []float64{-1, math.NaN(), math.Inf(1)} {
		c := FactorConfig{Use: FactorsOn, PassedOver: bad}
		require.ErrorIs(t, c.defaults(1), ErrConfig, "PassedOver %v", bad)
	}
	c := FactorConfig{Use: FactorsOn, PassedOver: 1, Model: factor.Config{Method: factor.BPR}}
	require.ErrorIs(t, c.defaults(1), ErrConfig, "BPR takes no negatives")

	e, err := New(Config{Factors: FactorConfig{Use: FactorsOn, PassedOver: 1}})
	require.NoError(t, err)
	defer e.Close()
	ev := func(a, b uint32, act market.Action) event { return event{actor: a, target: b, action: act} }
	log := []event{
		ev(1, 10, market.Impression),                         // shown, left: a negative
		ev(1, 11, market.Impression), ev(1, 11, market.View), // shown, viewed: not
		ev(1, 12, market.View), ev(1, 12, market.Reject), // viewed, then turned down: a negative
		ev(2, 10, market.Reject),                                   // turned down: a negative
		ev(2, 11, market.Chat),                                     // never shown here, acted on: not
		ev(3, 13, market.Impression), ev(3, 13, market.Impression), // twice shown: one negative
	}
	assert.Equal(t, []pair{{1, 10}, {1, 12}, {2, 10}, {3, 13}}, e.passedOver(log))
	off, err := New(Config{Factors: FactorConfig{Use: FactorsOn}})
	require.NoError(t, err)
	defer off.Close()
	assert.Nil(t, off.passedOver(log), "no PassedOver, no negatives")

	m := tinyMarket(t)
	gap := func(cfg Config) float64 {
		en := fitted(t, m, cfg)
		st := en.state.Load()
		f := st.factors
		require.NotNil(t, f.rec)
		var log []event
		for _, x := range m.Events {
			a, ok1 := en.dict.Lookup(x.Actor)
			b, ok2 := en.dict.Lookup(x.Target)
			require.True(t, ok1 && ok2)
			log = append(log, event{actor: a, target: b, action: x.Action})
		}
		neg := e.passedOver(log)
		require.NotEmpty(t, neg)
		isNeg := map[pair]bool{}
		for _, p := range neg {
			isNeg[p] = true
		}
		var hist []recall.Entry
		var sn, so float64
		var nn, no int
		for _, a := range f.global[market.Seeker] {
			hist = st.matrix.History(a, hist[:0])
			cell := map[uint32]bool{}
			for _, h := range hist {
				cell[h.Index] = true
			}
			for _, b := range f.global[market.Recruiter] {
				if cell[b] {
					continue
				}
				s := f.rec.Model(market.Seeker).Score(int(f.local[a]), int(f.local[b]))
				if isNeg[pair{a, b}] {
					sn, nn = sn+s, nn+1
				} else {
					so, no = so+s, no+1
				}
			}
		}
		require.Positive(t, nn)
		return so/float64(no) - sn/float64(nn)
	}
	cfg := factorConfig(m, nil)
	without := gap(cfg)
	cfg.Factors.PassedOver = 1
	with := gap(cfg)
	t.Logf("mean factor score of the pairs without a cell less that of the passed-over ones: %.4f without negatives, %.4f with", without, with)
	assert.Greater(t, with, without)
}
