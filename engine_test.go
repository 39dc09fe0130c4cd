package twoway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/exposure"
	"github.com/twowayrec/twoway/internal/binio"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/text"
)

// smallMarket is synth.Small(): 300 seekers, 100 jobs, 20,000 events over
// 14 simulated days (synthetic data).
func smallMarket(t testing.TB) *synth.Market {
	t.Helper()
	m, err := synth.Generate(synth.Small())
	require.NoError(t, err)
	return m
}

// endOf returns a clock fixed just after the market's last event.
func endOf(m *synth.Market) func() time.Time {
	at := m.Events[len(m.Events)-1].Time.Add(time.Hour)
	return func() time.Time { return at }
}

func newEngine(t testing.TB, m *synth.Market, fit bool) *Engine {
	t.Helper()
	e, err := New(Config{Clock: endOf(m), Seed: 7})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, e.Close()) })
	ctx := context.Background()
	require.NoError(t, e.Upsert(ctx, m.Profiles...))
	require.NoError(t, e.Record(ctx, m.Events...))
	if fit {
		require.NoError(t, e.Fit(ctx))
	}
	return e
}

func checkResponse(t *testing.T, e *Engine, m *synth.Market, resp *Response, n int) {
	t.Helper()
	ix, _ := m.Dict.Lookup(resp.Requester)
	require.Len(t, resp.Results, n)
	seen := map[string]bool{}
	for i, r := range resp.Results {
		cx, ok := m.Dict.Lookup(r.ID)
		require.True(t, ok, r.ID)
		assert.Equal(t, resp.Side.Other(), m.Profiles[cx].Side, "%s is on the other side", r.ID)
		assert.NotEqual(t, resp.Requester, r.ID)
		assert.False(t, seen[r.ID], "duplicate %s", r.ID)
		seen[r.ID] = true
		assert.NotEmpty(t, r.Sources, "result %d has sources", i)
		if i > 0 {
			assert.GreaterOrEqual(t, resp.Results[i-1].Score, r.Score, "sorted by score")
		}
		if resp.Fitted {
			for _, v := range []float64{r.TwoWay, r.Forward, r.Backward} {
				assert.True(t, v >= 0 && v <= 1, "match in [0,1]: %v", v)
			}
		}
	}
	// Nothing the requester already contacted or rejected comes back.
	for k, p := range m.Pairs {
		if a := m.Events[k].Action; p.Actor == ix && (a.Contact() || a == market.Reply || a == market.Hire || a == market.Reject) {
			id, _ := m.Dict.ID(p.Target)
			assert.False(t, seen[id], "%s was already contacted by %s", id, resp.Requester)
		}
	}
}

func TestEngineEndToEnd(t *testing.T) {
	m := smallMarket(t)
	e := newEngine(t, m, true)
	ctx := context.Background()
	for _, id := range []string{m.Profiles[0].ID, m.Profiles[m.NumSeekers].ID} {
		resp, err := e.Recommend(ctx, Request{ID: id, N: 10, Explain: true, DryRun: true})
		require.NoError(t, err)
		assert.True(t, resp.Fitted)
		checkResponse(t, e, m, resp, 10)
		for _, r := range resp.Results {
			require.NotNil(t, r.Explanation)
			assert.InDelta(t, r.TwoWay, r.Explanation.TwoWay, 1e-9, "explanation agrees with the score")
			assert.Equal(t, [4]string{id, r.ID, r.ID, id}, [4]string{r.Explanation.Forward.RequesterID,
				r.Explanation.Forward.CandidateID, r.Explanation.Backward.RequesterID, r.Explanation.Backward.CandidateID})
		}
		b, err := json.Marshal(resp)
		require.NoError(t, err, "a response with explanations encodes as JSON")
		var back struct {
			Results []struct {
				Explanation struct {
					Forward struct {
						RequesterID string `json:"requester_id"`
					} `json:"forward"`
				} `json:"explanation"`
			} `json:"results"`
		}
		require.NoError(t, json.Unmarshal(b, &back))
		assert.Equal(t, id, back.Results[0].Explanation.Forward.RequesterID)
		x, err := e.Explain(ctx, id, resp.Results[0].ID)
		require.NoError(t, err)
		assert.Equal(t, resp.Results[0].ID, x.Forward.CandidateID)
		assert.Equal(t, id, x.Backward.CandidateID)
	}
}

func TestEngineBeatsRandomOnMutualMatches(t *testing.T) {
	// Simulated: synth.Small's ground truth says which pairs would both
	// accept. The Engine's top 10 must hold more of them than chance.
	m := smallMarket(t)
	e := newEngine(t, m, true)
	ctx := context.Background()
	hits, shown, base := 0, 0, 0.0
	for ix := 0; ix < m.NumSeekers; ix += 3 {
		resp, err := e.Recommend(ctx, Request{ID: m.Profiles[ix].ID, N: 10, DryRun: true})
		require.NoError(t, err)
		for _, r := range resp.Results {
			cx, _ := m.Dict.Lookup(r.ID)
			if m.Mutual(uint32(ix), cx) {
				hits++
			}
			shown++
		}
		base += float64(len(m.MutualFor(uint32(ix)))) / float64(m.NumJobs)
	}
	rate := float64(hits) / float64(shown)
	chance := base / float64((m.NumSeekers+2)/3)
	t.Logf("simulated (synth.Small): mutual-match precision@10 %.3f vs chance %.3f (%d shown)", rate, chance, shown)
	assert.Greater(t, rate, 1.5*chance)
}

func TestRecommendBeforeFitIsColdStart(t *testing.T) {
	m := smallMarket(t)
	e := newEngine(t, m, false)
	resp, err := e.Recommend(context.Background(), Request{ID: m.Profiles[1].ID, N: 5, DryRun: true})
	require.NoError(t, err)
	assert.False(t, resp.Fitted)
	checkResponse(t, e, m, resp, 5)
	assert.True(t, math.IsNaN(resp.Results[0].TwoWay))
	_, err = e.Explain(context.Background(), m.Profiles[1].ID, resp.Results[0].ID)
	assert.ErrorIs(t, err, ErrNotFitted)
}

func TestRecommendErrors(t *testing.T) {
	m := smallMarket(t)
	e := newEngine(t, m, true)
	ctx := context.Background()
	_, err := e.Recommend(ctx, Request{ID: "nobody"})
	assert.ErrorIs(t, err, ErrUnknownRequester)
	_, err = e.Recommend(ctx, Request{ID: m.Profiles[0].ID, Side: market.Recruiter})
	assert.ErrorIs(t, err, ErrWrongSide)
	require.NoError(t, e.Remove(ctx, m.Profiles[2].ID))
	_, err = e.Recommend(ctx, Request{ID: m.Profiles[2].ID})
	assert.ErrorIs(t, err, ErrInactive)
	_, err = e.Recommend(ctx, Request{ID: m.Profiles[0].ID, Aggregator: "nope"})
	assert.Error(t, err)
	assert.Error(t, e.Remove(ctx, "nobody"))

	empty, err := New(Config{})
	require.NoError(t, err)
	p := m.Profiles[0]
	require.NoError(t, empty.Upsert(ctx, p))
	_, err = empty.Recommend(ctx, Request{ID: p.ID})
	assert.ErrorIs(t, err, ErrEmptyMarket)
	require.NoError(t, empty.Fit(ctx), "a one-sided market fits (content only)")
	_, err = empty.Recommend(ctx, Request{ID: p.ID})
	assert.ErrorIs(t, err, ErrEmptyMarket)
	none, err := New(Config{})
	require.NoError(t, err)
	assert.ErrorIs(t, none.Fit(ctx), ErrEmptyMarket, "nothing to fit")
}

func TestRecordBatchIsAllOrNothing(t *testing.T) {
	m := smallMarket(t)
	e := newEngine(t, m, false)
	ctx := context.Background()
	seeker, job := m.Profiles[0].ID, m.Profiles[m.NumSeekers].ID
	at := endOf(m)()
	before := len(e.log)
	err := e.Record(ctx,
		market.Event{Actor: seeker, Target: job, Action: market.View, Time: at},
		market.Event{Actor: seeker, Target: m.Profiles[1].ID, Action: market.Chat, Time: at}, // same side
	)
	var be *BatchError
	require.ErrorAs(t, err, &be)
	assert.Equal(t, 1, be.Index)
	assert.ErrorIs(t, err, market.ErrSameSide)
	assert.Len(t, e.log, before, "nothing of the batch was stored")
	err = e.Record(ctx, market.Event{Actor: seeker, Target: "ghost", Action: market.View, Time: at})
	assert.ErrorIs(t, err, market.ErrUnknownID)
	err = e.Record(ctx, market.Event{Actor: seeker, Target: job, Action: market.View})
	assert.ErrorIs(t, err, market.ErrZeroTime)
	err = e.Record(ctx, market.Event{Actor: seeker, Target: job, Action: market.View, Time: at.AddDate(0, 0, 3)})
	assert.ErrorIs(t, err, market.ErrOutOfRange)
	assert.ErrorContains(t, err, "field Time")
	assert.Len(t, e.log, before)

	bad := m.Profiles[0]
	bad.ID = "x"
	bad.Salary.Min = math.NaN()
	err = e.Upsert(ctx, m.Profiles[3], bad)
	assert.ErrorIs(t, err, market.ErrNaN)
	assert.ErrorContains(t, err, `profile "x": field Salary.Min`)
	_, _, known, _ := e.lookup("x")
	assert.False(t, known)
	flip := m.Profiles[0]
	flip.Side = market.Recruiter
	err = e.Upsert(ctx, flip)
	assert.ErrorIs(t, err, market.ErrSideChange)
	assert.ErrorContains(t, err, fmt.Sprintf(`profile %q: field Side: a profile cannot change side: recruiter, was seeker`, flip.ID))
	twice := m.Profiles[1]
	twice.ID = "new-in-batch"
	other := twice
	other.Side = market.Recruiter
	err = e.Upsert(ctx, twice, other)
	assert.ErrorIs(t, err, market.ErrSideChange)
	assert.ErrorContains(t, err, "recruiter, seeker earlier in the batch")
}

func TestRecordChangesNextRecommendation(t *testing.T) {
	m := smallMarket(t)
	e := newEngine(t, m, true)
	ctx := context.Background()
	seeker := m.Profiles[5].ID
	first, err := e.Recommend(ctx, Request{ID: seeker, N: 5, DryRun: true})
	require.NoError(t, err)
	top := first.Results[0].ID
	require.NoError(t, e.Record(ctx, market.Event{Actor: seeker, Target: top, Action: market.Chat, Time: endOf(m)()}))
	second, err := e.Recommend(ctx, Request{ID: seeker, N: 5, DryRun: true})
	require.NoError(t, err)
	for _, r := range second.Results {
		assert.NotEqual(t, top, r.ID, "a contacted job is not recommended again")
	}
	// A rejection blocks the pair both ways.
	job := first.Results[1].ID
	require.NoError(t, e.Record(ctx, market.Event{Actor: job, Target: seeker, Action: market.Reject, Time: endOf(m)()}))
	third, err := e.Recommend(ctx, Request{ID: seeker, N: 5, DryRun: true})
	require.NoError(t, err)
	for _, r := range third.Results {
		assert.NotEqual(t, job, r.ID)
	}
}

// Exposure control spreads what is handed out: serving every seeker's
// list counts the expected contacts in the ledger, and candidates steered
// many contacts get a lower Answer, so the most shown job is shown less
// often than without exposure control, and lists stay full (simulated).
func TestExposureLedgerSpreadsRecommendations(t *testing.T) {
	m := smallMarket(t)
	serve := func(off bool) (maxShown, distinct int, minAnswer float64) {
		e, err := New(Config{Clock: endOf(m), Seed: 7, Exposure: exposure.Config{Off: off}})
		require.NoError(t, err)
		defer e.Close()
		ctx := context.Background()
		require.NoError(t, e.Upsert(ctx, m.Profiles...))
		require.NoError(t, e.Record(ctx, m.Events...))
		require.NoError(t, e.Fit(ctx))
		count := map[string]int{}
		minAnswer = 1
		for ix := range m.NumSeekers {
			resp, err := e.Recommend(ctx, Request{ID: m.Profiles[ix].ID, N: 10})
			require.NoError(t, err)
			require.Len(t, resp.Results, 10, "lists never empty out")
			for _, r := range resp.Results {
				count[r.ID]++
				minAnswer = min(minAnswer, r.Answer)
				assert.True(t, r.Answer > 0 && r.Answer <= 1, "answer in (0, 1]: %v", r.Answer)
			}
		}
		for _, c := range count {
			maxShown = max(maxShown, c)
		}
		return maxShown, len(count), minAnswer
	}
	offMax, offDistinct, offAnswer := serve(true)
	onMax, onDistinct, onAnswer := serve(false)
	t.Logf("simulated: most shown job %d times with exposure control, %d without; %d and %d distinct jobs shown", onMax, offMax, onDistinct, offDistinct)
	assert.Equal(t, 1.0, offAnswer, "without exposure control every Answer is 1")
	assert.Less(t, onAnswer, 1.0, "some candidate was steered more contacts than it answers")
	assert.Less(t, onMax, offMax)
	assert.GreaterOrEqual(t, onDistinct, offDistinct)
}

func TestSaveLoadIdentical(t *testing.T) {
	m := smallMarket(t)
	e := newEngine(t, m, true)
	ctx := context.Background()
	var buf bytes.Buffer
	require.NoError(t, e.Save(&buf))
	snap := buf.Bytes()

	f, err := New(Config{Clock: endOf(m), Seed: 7})
	require.NoError(t, err)
	require.NoError(t, f.Load(ctx, bytes.NewReader(snap)))
	for _, ix := range []int{0, 17, m.NumSeekers, m.NumSeekers + 9} {
		req := Request{ID: m.Profiles[ix].ID, N: 10, DryRun: true, Explain: true}
		a, err := e.Recommend(ctx, req)
		require.NoError(t, err)
		b, err := f.Recommend(ctx, req)
		require.NoError(t, err)
		require.Equal(t, len(a.Results), len(b.Results))
		for i := range a.Results {
			assert.Equal(t, a.Results[i].ID, b.Results[i].ID)
			assert.Equal(t, a.Results[i].Score, b.Results[i].Score)
		}
	}

	// Damage anywhere is an error, never a panic, and leaves the Engine as it was.
	for _, cut := range []int{0, 5, len(snap) / 2, len(snap) - 1} {
		assert.ErrorIs(t, f.Load(ctx, bytes.NewReader(snap[:cut])), ErrCorruptSnapshot, "cut at %d", cut)
	}
	flipped := bytes.Clone(snap)
	flipped[len(flipped)/2] ^= 0x40
	assert.ErrorIs(t, f.Load(ctx, bytes.NewReader(flipped)), ErrCorruptSnapshot)
	_, err = f.Recommend(ctx, Request{ID: m.Profiles[0].ID, DryRun: true})
	assert.NoError(t, err)
}

// asciiMarket is a hand-written market of 3 seekers and 3 jobs with
// English fields only (no Chinese text, so the segmenter's dictionary is
// never loaded) and a few days of events: the fuzz targets' seed.
func asciiMarket() ([]market.Profile, []market.Event, time.Time) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	ps := []market.Profile{
		{ID: "s1", Side: market.Seeker, Title: "Go developer", City: "Austin", Skills: []string{"go", "sql"}, Registered: at},
		{ID: "s2", Side: market.Seeker, Title: "Data analyst", City: "Austin", Skills: []string{"python", "sql"}, Registered: at},
		{ID: "s3", Side: market.Seeker, Title: "Java engineer", City: "Boston", Skills: []string{"java"}, Registered: at},
		{ID: "j1", Side: market.Recruiter, Title: "Backend engineer", City: "Austin", Skills: []string{"go", "kubernetes"}, Registered: at},
		{ID: "j2", Side: market.Recruiter, Title: "BI analyst", City: "Austin", Skills: []string{"sql", "tableau"}, Registered: at},
		{ID: "j3", Side: market.Recruiter, Title: "Java developer", City: "Boston", Skills: []string{"java", "spring"}, Registered: at},
	}
	var evs []market.Event
	for d := range 3 {
		t := at.Add(time.Duration(d)*24*time.Hour + time.Hour)
		for _, e := range [][3]string{{"s1", "j1", "view"}, {"s1", "j1", "apply"}, {"j1", "s1", "reply"}, {"s2", "j2", "view"},
			{"s2", "j1", "view"}, {"s3", "j3", "apply"}, {"j3", "s3", "reject"}, {"s2", "j3", "impression"}, {"j2", "s2", "view"}} {
			var a market.Action
			if err := a.UnmarshalText([]byte(e[2])); err != nil {
				panic(err)
			}
			evs = append(evs, market.Event{Actor: e[0], Target: e[1], Action: a, Time: t})
			t = t.Add(time.Minute)
		}
	}
	return ps, evs, at.Add(4 * 24 * time.Hour)
}

// FuzzLoad decodes snapshot bodies: parsing and building every model and
// real-time part with one Engine's configuration, which is everything of a
// Load that can fail on data (the frame's checksum, which random inputs
// cannot pass, is fuzzed in internal/binio; installing a built snapshot
// cannot fail). One Engine serves every input: building leaves it
// unchanged, so nothing leaks per input.
func FuzzLoad(f *testing.F) {
	ps, evs, now := asciiMarket()
	clock := func() time.Time { return now }
	ctx := context.Background()
	// Two seekers and two jobs, and their events: small seeds keep the
	// fuzzer's minimisation of each new input short.
	ps = slices.DeleteFunc(ps, func(p market.Profile) bool { return p.ID == "s3" || p.ID == "j3" })
	evs = slices.DeleteFunc(evs, func(e market.Event) bool {
		return e.Actor == "s3" || e.Target == "s3" || e.Actor == "j3" || e.Target == "j3"
	})
	for _, fit := range []bool{false, true} {
		e, err := New(Config{Clock: clock, Seed: 7})
		require.NoError(f, err)
		require.NoError(f, e.Upsert(ctx, ps...))
		require.NoError(f, e.Record(ctx, evs...))
		if fit {
			require.NoError(f, e.Fit(ctx))
			_, err := e.Recommend(ctx, Request{ID: "s1", N: 2})
			require.NoError(f, err)
		}
		var buf bytes.Buffer
		require.NoError(f, e.Save(&buf))
		require.NoError(f, e.Close())
		_, body, _, err := binio.ReadFrame(&buf, snapMagic, snapVersion, maxSnapBody)
		require.NoError(f, err)
		f.Logf("seed (fitted %v): %d bytes", fit, len(body))
		f.Add(body)
	}
	var dict market.Dict
	for _, p := range ps {
		_, _ = dict.Index(p.ID)
	}
	v1 := writeV1(ps, evs[:4], &dict, time.Time{})
	_, body, _, err := binio.ReadFrame(bytes.NewReader(v1), snapMagic, 1, maxSnapBody)
	require.NoError(f, err)
	f.Add(body)
	g, err := New(Config{Clock: clock})
	require.NoError(f, err)
	f.Cleanup(func() { g.Close() })
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, parse := range []func([]byte) (*snapshot, error){func(b []byte) (*snapshot, error) { return parseSnapshot(b, snapVersion) }, parseSnapshotV1} {
			s, err := parse(body)
			if err != nil {
				require.ErrorIs(t, err, ErrCorruptSnapshot)
				continue
			}
			if _, err := g.build(ctx, s); err != nil && !errors.Is(err, ErrCorruptSnapshot) {
				t.Fatalf("unexpected error kind: %v", err)
			}
		}
		require.True(t, g.empty())
	})
}

func TestConcurrentRecommendRecordFit(t *testing.T) {
	m := smallMarket(t)
	e := newEngine(t, m, true)
	ctx := context.Background()
	now := endOf(m)()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 3 {
		wg.Go(func() {
			for i := range 40 {
				ix := (g*97 + i*31) % len(m.Profiles)
				resp, err := e.Recommend(ctx, Request{ID: m.Profiles[ix].ID, N: 5})
				if err != nil {
					errs <- err
					return
				}
				for _, r := range resp.Results {
					cx, _ := m.Dict.Lookup(r.ID)
					if m.Profiles[cx].Side == m.Profiles[ix].Side {
						errs <- errors.New("same-side result under concurrency")
						return
					}
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 200 {
			s, j := m.Profiles[i%m.NumSeekers].ID, m.Profiles[m.NumSeekers+i%m.NumJobs].ID
			if err := e.Record(ctx, market.Event{Actor: s, Target: j, Action: market.View, Time: now}); err != nil {
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
		// Profiles change while requests read them (online interest
		// updates sample negatives from the active participants).
		for i := range 50 {
			if err := e.Upsert(ctx, m.Profiles[(i*7)%len(m.Profiles)]); err != nil {
				errs <- err
				return
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// Every event recorded during the Fit is in the new state's log.
	assert.Equal(t, len(m.Events)+200, len(e.log))
}

func TestResponseJSONBeforeFit(t *testing.T) {
	m := smallMarket(t)
	e := newEngine(t, m, false)
	resp, err := e.Recommend(context.Background(), Request{ID: m.Profiles[0].ID, N: 2, DryRun: true})
	require.NoError(t, err)
	b, err := json.Marshal(resp)
	require.NoError(t, err, "NaN fields encode as null")
	var back struct {
		Urgency *float64 `json:"urgency"`
		Results []struct {
			ID     string   `json:"id"`
			TwoWay *float64 `json:"two_way"`
		} `json:"results"`
	}
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Nil(t, back.Urgency)
	require.Len(t, back.Results, 2)
	assert.Nil(t, back.Results[0].TwoWay)
	assert.Equal(t, resp.Results[0].ID, back.Results[0].ID)

	// Decoded as a Response, the nulls are unknown again (NaN), not 0,
	// and the known fields come back as they were.
	var again Response
	require.NoError(t, json.Unmarshal(b, &again))
	assert.True(t, math.IsNaN(again.Urgency), "urgency %v", again.Urgency)
	require.Len(t, again.Results, 2)
	for i, r := range again.Results {
		want := resp.Results[i]
		assert.Equal(t, want.ID, r.ID)
		assert.Equal(t, want.Activity, r.Activity)
		assert.Equal(t, want.Sources, r.Sources)
		for name, x := range map[string][2]float64{"two_way": {want.TwoWay, r.TwoWay}, "forward": {want.Forward, r.Forward},
			"backward": {want.Backward, r.Backward}, "urgency": {want.Urgency, r.Urgency}, "saturation": {want.Saturation, r.Saturation}} {
			if math.IsNaN(x[0]) {
				assert.True(t, math.IsNaN(x[1]), "%s: null decodes as NaN, got %v", name, x[1])
			} else {
				assert.Equal(t, x[0], x[1], name)
			}
		}
	}
	twice, err := json.Marshal(again)
	require.NoError(t, err)
	assert.JSONEq(t, string(b), string(twice), "decoding and encoding again gives the same JSON")
}

func TestLearnRanking(t *testing.T) {
	// Fit on the first 10 days of synth.Small, then on all 14 with
	// LearnRanking: the second Fit learns fusion's ranking from the
	// outcomes of days 11–14, scored by the first Fit's models.
	m := smallMarket(t)
	cut := m.Events[0].Time.AddDate(0, 0, 10)
	now := cut
	e, err := New(Config{Clock: func() time.Time { return now }, Seed: 7, LearnRanking: true})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, e.Close()) })
	ctx := context.Background()
	require.NoError(t, e.Upsert(ctx, m.Profiles...))
	k := 0
	for k < len(m.Events) && !m.Events[k].Time.After(cut) {
		k++
	}
	require.NoError(t, e.Record(ctx, m.Events[:k]...))
	require.NoError(t, e.Fit(ctx))
	assert.Nil(t, e.state.Load().learned, "the first Fit has no earlier state to learn from")

	now = endOf(m)()
	require.NoError(t, e.Record(ctx, m.Events[k:]...))
	require.NoError(t, e.Fit(ctx))
	l := e.state.Load().learned
	require.NotNil(t, l, "outcomes of both kinds in days 11–14")
	t.Logf("simulated: learned ranker on %d outcomes, weights %v", l.Outcomes(), l.Model().Weights())
	assert.Greater(t, l.Model().Weights()[0], 0.0, "a better two-way match makes a mutual chat likelier")
	resp, err := e.Recommend(ctx, Request{ID: m.Profiles[3].ID, N: 10, DryRun: true})
	require.NoError(t, err)
	checkResponse(t, e, m, resp, 10)
	assert.Nil(t, resp.Results[0].Parts, "a learned ranker has no weighted parts")
}

// TestProfile: Profile returns the stored profile as last upserted, as a
// copy the caller may change; unknown and removed IDs are errors.
func TestProfile(t *testing.T) {
	ctx := context.Background()
	e, err := New(Config{})
	require.NoError(t, err)
	defer e.Close()
	p := market.Profile{ID: "s-1", Side: market.Seeker, Title: "数据分析师", City: "北京",
		Skills: []string{"sql", "python"}, Attributes: map[string]float64{"age": 30},
		Registered: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	require.NoError(t, e.Upsert(ctx, p))
	got, err := e.Profile("s-1")
	require.NoError(t, err)
	assert.Equal(t, p.Title, got.Title)
	assert.Equal(t, p.Skills, got.Skills)
	got.Skills[0], got.Attributes["age"] = "changed", 99
	again, err := e.Profile("s-1")
	require.NoError(t, err)
	assert.Equal(t, []string{"sql", "python"}, again.Skills, "the caller's copy shares no memory with the Engine")
	assert.Equal(t, 30.0, again.Attributes["age"])

	p.Title, p.Inactive = "数据工程师", true
	require.NoError(t, e.Upsert(ctx, p))
	got, err = e.Profile("s-1")
	require.NoError(t, err)
	assert.Equal(t, "数据工程师", got.Title, "as last upserted")
	assert.True(t, got.Inactive, "an inactive profile is still returned")

	_, err = e.Profile("nobody")
	assert.ErrorIs(t, err, ErrUnknownRequester)
	assert.ErrorIs(t, err, market.ErrUnknownID)
	assert.EqualError(t, err, `twoway: unknown profile "nobody": market: unknown ID`)
	require.NoError(t, e.Remove(ctx, "s-1"))
	_, err = e.Profile("s-1")
	assert.ErrorIs(t, err, ErrInactive)
	assert.EqualError(t, err, `twoway: profile "s-1" was removed`)
}

// Explain's errors name the role of the ID at fault: an unknown or
// removed candidate matches the sentinels a requester's would, with
// "candidate" in its message; a participant with itself is a bad request.
func TestExplainErrorsNameTheRole(t *testing.T) {
	m := smallMarket(t)
	e := newEngine(t, m, true)
	ctx := context.Background()
	seeker, job := m.Profiles[0].ID, m.Profiles[m.NumSeekers].ID
	_, err := e.Explain(ctx, seeker, "nobody")
	assert.ErrorIs(t, err, ErrUnknownRequester)
	assert.ErrorIs(t, err, market.ErrUnknownID)
	assert.EqualError(t, err, `twoway: unknown candidate "nobody": market: unknown ID`)
	_, err = e.Explain(ctx, "nobody", job)
	assert.ErrorIs(t, err, ErrUnknownRequester)
	assert.Contains(t, err.Error(), `unknown requester "nobody"`)
	_, err = e.Explain(ctx, seeker, seeker)
	assert.ErrorIs(t, err, ErrBadRequest)
	assert.ErrorIs(t, err, market.ErrSelf)
	_, err = e.Explain(ctx, seeker, m.Profiles[1].ID)
	assert.ErrorIs(t, err, ErrWrongSide)
	require.NoError(t, e.Remove(ctx, job))
	_, err = e.Explain(ctx, seeker, job)
	assert.ErrorIs(t, err, ErrInactive)
	assert.EqualError(t, err, fmt.Sprintf("twoway: candidate %q was removed", job))
}

// TestFitCatchesUpWithWhatHappenedDuringIt: an event recorded and a
// profile upserted while a Fit runs are in the state the Fit swaps in:
// the pair is contacted in its behaviour counts and hidden from the
// requester, and the new job has content in its catalog.
func TestFitCatchesUpWithWhatHappenedDuringIt(t *testing.T) {
	m := smallMarket(t)
	var during atomic.Pointer[func()]
	e, err := New(Config{Clock: endOf(m), Seed: 7, OnProgress: func(p Progress) {
		if p.Stage == "exposure" && !p.Done && p.Step == "" {
			if f := during.Swap(nil); f != nil {
				(*f)()
			}
		}
	}})
	require.NoError(t, err)
	defer e.Close()
	ctx := context.Background()
	require.NoError(t, e.Upsert(ctx, m.Profiles...))
	require.NoError(t, e.Record(ctx, m.Events...))
	require.NoError(t, e.Fit(ctx))

	s, j := m.Profiles[0].ID, m.Profiles[m.NumSeekers].ID
	job := m.Profiles[m.NumSeekers+1]
	job.ID, job.Title = "j-during-fit", "区块链架构师"
	ran := false
	f := func() {
		ran = true
		require.NoError(t, e.Record(ctx, market.Event{Actor: s, Target: j, Action: market.Chat, Time: endOf(m)()}))
		require.NoError(t, e.Upsert(ctx, job))
	}
	during.Store(&f)
	require.NoError(t, e.Fit(ctx))
	require.True(t, ran, "the hook ran inside the Fit")

	st := e.state.Load()
	sx, _ := e.dict.Lookup(s)
	jx, _ := e.dict.Lookup(j)
	nx, ok := e.dict.Lookup(job.ID)
	require.True(t, ok)
	assert.True(t, st.behaviour.Contacted(jx, sx), "the chat is in the new state's counts (the job would be answering it)")
	_, has := st.catalog.Content(nx)
	assert.True(t, has, "the job upserted during the Fit has content")
	resp, err := e.Recommend(ctx, Request{ID: s, N: 50, DryRun: true})
	require.NoError(t, err)
	for _, r := range resp.Results {
		assert.NotEqual(t, j, r.ID, "a contacted job is not shown again")
	}
}

// TestSampledNegativesAreOnTheOtherSide: a user with positives and no
// negative gets sampled negatives, and they are participants of the other
// side (they were of the user's own side: a seeker's negatives were other
// seekers), active ones, never the user's own targets.
func TestSampledNegativesAreOnTheOtherSide(t *testing.T) {
	var profiles []market.Profile
	side := map[uint32]market.Side{}
	for i := range 12 {
		sd := market.Seeker
		if i%2 == 1 {
			sd = market.Recruiter
		}
		profiles = append(profiles, market.Profile{ID: fmt.Sprint("p", i), Side: sd, Inactive: i == 11})
		side[uint32(i)] = sd
	}
	removed := make([]bool, len(profiles))
	removed[9] = true
	interactions := []match.Interaction{
		{Actor: 0, Target: 1, Action: market.Apply}, // a seeker's positive
		{Actor: 3, Target: 2, Action: market.Chat},  // a recruiter's positive
	}
	samples, err := samplesOf(match.SampleConfig{SampledNegatives: 3, Seed: 1}, interactions, func(ix uint32) market.Side { return side[ix] }, candidatesBySide(profiles, removed))
	require.NoError(t, err)
	negatives := 0
	for _, s := range samples {
		assert.NotEqual(t, side[s.User], side[s.Target], "sample %+v: user and target on one side", s)
		if !s.Attended {
			negatives++
			assert.False(t, removed[s.Target] || profiles[s.Target].Inactive, "sample %+v: an inactive or removed negative", s)
			assert.False(t, s.User == 0 && s.Target == 1 || s.User == 3 && s.Target == 2, "sample %+v: the user's own target", s)
		}
	}
	assert.Equal(t, 6, negatives, "three per positive")
}

// Config reports the defaults that New and the Engine's parts filled in,
// so that a host can build what must agree with them (a shared Ledger)
// from it, and an Engine built from it is configured the same.
func TestConfigFillsDefaults(t *testing.T) {
	e, err := New(Config{})
	require.NoError(t, err)
	defer e.Close()
	c := e.Config()
	assert.Equal(t, DefaultAggregator, c.Aggregator)
	assert.Equal(t, text.Chinese, c.Language)
	assert.Equal(t, exposure.DefaultHalfLife, c.Exposure.HalfLife)
	assert.Equal(t, exposure.DefaultHalfLife, c.Exposure.RepeatWindow, "the repeat window defaults to the half-life")
	assert.Equal(t, 24*time.Hour, c.Activity.Bucket)
	assert.Nil(t, c.Activity.Store, "the host's store (none), not the Engine's wrapper")
	ledger, err := NewMemoryExposure(c.Exposure.HalfLife, c.Exposure.RepeatWindow)
	require.NoError(t, err)
	c.Ledger = ledger
	f, err := New(c)
	require.NoError(t, err, "an Engine from the reported configuration, with a ledger built from it")
	defer f.Close()
	g := f.Config()
	assert.Equal(t, c.Aggregator, g.Aggregator)
	assert.Equal(t, c.Exposure.HalfLife, g.Exposure.HalfLife)
	assert.Equal(t, c.Activity.Bucket, g.Activity.Bucket)
}

// An event stamped a minute ahead of the clock (clock skew between
// servers) makes its actor as active after a Fit as an event stamped a
// minute before it: the Fit counts it as happening at the Fit.
func TestFitCountsEventsStampedAheadAsNow(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	activityAfterFit := func(ahead time.Duration) float64 {
		e, err := New(Config{Clock: func() time.Time { return now }})
		require.NoError(t, err)
		defer e.Close()
		ctx := context.Background()
		reg := now.AddDate(0, 0, -10)
		var ps []market.Profile
		for i := range 5 {
			ps = append(ps, market.Profile{ID: fmt.Sprintf("s%d", i), Side: market.Seeker, Title: "Go开发", Skills: []string{"Go"}, Registered: reg},
				market.Profile{ID: fmt.Sprintf("j%d", i), Side: market.Recruiter, Title: "Go开发工程师", Skills: []string{"Go"}, Registered: reg})
		}
		require.NoError(t, e.Upsert(ctx, ps...))
		var evs []market.Event
		for i := range 5 {
			at := now.Add(-time.Duration(i+1) * time.Hour)
			if i == 0 {
				at = now.Add(ahead)
			}
			s, j := fmt.Sprintf("s%d", i), fmt.Sprintf("j%d", (i+1)%5)
			evs = append(evs, market.Event{Actor: s, Target: j, Action: market.Chat, Time: at},
				market.Event{Actor: j, Target: s, Action: market.Reply, Time: at.Add(time.Minute)})
		}
		require.NoError(t, e.Record(ctx, evs...))
		require.NoError(t, e.Fit(ctx))
		resp, err := e.Recommend(ctx, Request{ID: "j3", N: 10, DryRun: true})
		require.NoError(t, err)
		for _, r := range resp.Results {
			if r.ID == "s0" {
				return r.Activity
			}
		}
		t.Fatalf("s0 not recommended to j3: %+v", resp.Results)
		return 0
	}
	ahead, before := activityAfterFit(time.Minute), activityAfterFit(-2*time.Minute)
	assert.Positive(t, ahead, "an event a minute ahead is activity")
	assert.InDelta(t, before, ahead, 0.01)
}
