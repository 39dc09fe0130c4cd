package twoway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/internal/binio"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
)

// tinyMarket is a small synthetic market (simulated) for snapshot tests.
func tinyMarket(t testing.TB) *synth.Market {
	t.Helper()
	m, err := synth.Generate(synth.Config{Seed: 9, Seekers: 60, Jobs: 20, Events: 2500, Days: 8})
	require.NoError(t, err)
	return m
}

// responses answers a dry-run, explained request for every active
// participant and encodes the answers as JSON (NaN as null, floats exact).
func responses(t *testing.T, e *Engine, m *synth.Market) []string {
	t.Helper()
	var out []string
	for _, p := range m.Profiles {
		resp, err := e.Recommend(context.Background(), Request{ID: p.ID, N: 10, DryRun: true, Explain: true})
		if errors.Is(err, ErrInactive) {
			out = append(out, "inactive")
			continue
		}
		require.NoError(t, err)
		b, err := json.Marshal(resp)
		require.NoError(t, err)
		out = append(out, string(b))
	}
	return out
}

// saveLoad saves e and loads the snapshot into a new Engine with cfg.
func saveLoad(t *testing.T, e *Engine, cfg Config) (*Engine, []byte) {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, e.Save(&buf))
	f, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, f.Close()) })
	require.NoError(t, f.Load(context.Background(), bytes.NewReader(buf.Bytes())))
	return f, buf.Bytes()
}

// Issue 15: after events recorded since the last Fit, a loaded Engine
// recommended differently for every requester checked. The snapshot now
// holds the fitted models and the real-time state since the Fit.
func TestSaveLoadExactAfterActivitySinceFit(t *testing.T) {
	m := tinyMarket(t)
	now := endOf(m)()
	cfg := Config{Clock: func() time.Time { return now }, Seed: 7}
	e, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, e.Close()) })
	ctx := context.Background()
	require.NoError(t, e.Upsert(ctx, m.Profiles...))
	require.NoError(t, e.Record(ctx, m.Events...))
	require.NoError(t, e.Fit(ctx))

	// After the Fit: served lists (ledger, repeat memory), events of
	// every kind (overlay, sets, counters, recent matches, online
	// updates pending and applied), a changed profile, a new one and a
	// removed one.
	now = now.Add(time.Hour)
	for i := 0; i < len(m.Profiles); i += 3 {
		_, err := e.Recommend(ctx, Request{ID: m.Profiles[i].ID, N: 5})
		require.NoError(t, err)
	}
	s0, j0, j1 := m.Profiles[0].ID, m.Profiles[m.NumSeekers].ID, m.Profiles[m.NumSeekers+1].ID
	require.NoError(t, e.Record(ctx,
		market.Event{Actor: s0, Target: j0, Action: market.View, Time: now},
		market.Event{Actor: s0, Target: j0, Action: market.Apply, Time: now},
		market.Event{Actor: j0, Target: s0, Action: market.Reply, Time: now},
		market.Event{Actor: m.Profiles[1].ID, Target: j1, Action: market.Reject, Time: now},
		market.Event{Actor: m.Profiles[2].ID, Target: j1, Action: market.Favourite, Time: now},
	))
	_, err = e.Recommend(ctx, Request{ID: s0, N: 5}) // applies s0's online update
	require.NoError(t, err)
	changed := m.Profiles[m.NumSeekers+2]
	changed.Skills = append([]string{"Kubernetes"}, changed.Skills...)
	newcomer := market.Profile{ID: "new-seeker", Side: market.Seeker, Title: "数据分析师", Skills: []string{"SQL", "Python"},
		City: m.Profiles[0].City, Registered: now}
	require.NoError(t, e.Upsert(ctx, changed, newcomer))
	require.NoError(t, e.Remove(ctx, m.Profiles[m.NumSeekers+3].ID))

	f, snap := saveLoad(t, e, cfg)
	assert.Equal(t, responses(t, e, m), responses(t, f, m), "every requester's answer, scores and explanations")
	for _, g := range []*Engine{e, f} {
		resp, err := g.Recommend(ctx, Request{ID: "new-seeker", N: 10, DryRun: true})
		require.NoError(t, err)
		require.NotEmpty(t, resp.Results)
	}

	// The same future: serving (ledger), more events and a refit give the
	// same answers on both.
	for _, g := range []*Engine{e, f} {
		for i := 1; i < len(m.Profiles); i += 4 {
			_, err := g.Recommend(ctx, Request{ID: m.Profiles[i].ID, N: 5})
			require.NoError(t, err)
		}
		require.NoError(t, g.Record(ctx, market.Event{Actor: m.Profiles[5].ID, Target: j1, Action: market.Chat, Time: now}))
	}
	assert.Equal(t, responses(t, e, m), responses(t, f, m), "after serving and recording on both")

	// A loaded Engine saves the same bytes (the snapshot is canonical).
	var again bytes.Buffer
	g, _ := saveLoad(t, f, cfg)
	require.NoError(t, g.Save(&again))
	var fresh bytes.Buffer
	require.NoError(t, f.Save(&fresh))
	assert.Equal(t, fresh.Bytes(), again.Bytes(), "save of a loaded Engine is byte-identical")
	assert.NotEmpty(t, snap)

	require.NoError(t, e.Fit(ctx))
	require.NoError(t, f.Fit(ctx))
	assert.Equal(t, responses(t, e, m), responses(t, f, m), "after refitting both")
}

// Issue 15: a never-fitted Engine lost the activity part of its scores.
func TestSaveLoadExactNeverFitted(t *testing.T) {
	m := tinyMarket(t)
	cfg := Config{Clock: endOf(m), Seed: 7}
	e := newEngine(t, m, false)
	for i := 0; i < 30; i += 2 {
		_, err := e.Recommend(context.Background(), Request{ID: m.Profiles[i].ID, N: 4})
		require.NoError(t, err)
	}
	f, _ := saveLoad(t, e, cfg)
	assert.Equal(t, responses(t, e, m), responses(t, f, m))
	assert.False(t, f.state.Load().fitted)
}

func TestSaveLoadExactWithLearnedRanking(t *testing.T) {
	m := tinyMarket(t)
	cut := m.Events[0].Time.AddDate(0, 0, 5)
	now := cut
	cfg := Config{Clock: func() time.Time { return now }, Seed: 7, LearnRanking: true}
	e, err := New(cfg)
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
	now = endOf(m)()
	require.NoError(t, e.Record(ctx, m.Events[k:]...))
	require.NoError(t, e.Fit(ctx))
	require.NotNil(t, e.state.Load().learned)
	f, _ := saveLoad(t, e, cfg)
	require.NotNil(t, f.state.Load().learned)
	assert.Equal(t, responses(t, e, m), responses(t, f, m))
}

func TestSaveLoadExactOnDiskIndex(t *testing.T) {
	m := tinyMarket(t)
	cfg := Config{Clock: endOf(m), Seed: 7}
	cfg.Recall.IndexPath = t.TempDir() + "/a"
	e, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, e.Close()) })
	ctx := context.Background()
	require.NoError(t, e.Upsert(ctx, m.Profiles...))
	require.NoError(t, e.Record(ctx, m.Events...))
	require.NoError(t, e.Fit(ctx))
	cfg.Recall.IndexPath = t.TempDir() + "/b"
	f, _ := saveLoad(t, e, cfg)
	assert.Equal(t, responses(t, e, m), responses(t, f, m))
}

// Issue 15: a Load that failed after parsing left the Engine half-loaded;
// loading into a running Engine doubled its counters.
func TestLoadFailsCleanly(t *testing.T) {
	m := tinyMarket(t)
	cfg := Config{Clock: endOf(m), Seed: 7}
	e := newEngine(t, m, true)
	var buf bytes.Buffer
	require.NoError(t, e.Save(&buf))
	snap := buf.Bytes()

	f, err := New(cfg)
	require.NoError(t, err)
	defer f.Close()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, f.Load(cancelled, bytes.NewReader(snap)), context.Canceled)
	assert.True(t, f.empty(), "a cancelled Load leaves the Engine empty")

	// A damaged model inside a frame whose checksum is right: decoding the
	// saturation table fails after everything before it decoded.
	_, body, _, err := binio.ReadFrame(bytes.NewReader(snap), snapMagic, snapVersion, maxSnapBody)
	require.NoError(t, err)
	s, err := parseSnapshot(body, snapVersion)
	require.NoError(t, err)
	s.satTable = s.satTable[:len(s.satTable)-3]
	_, err = f.build(context.Background(), s)
	assert.ErrorIs(t, err, ErrCorruptSnapshot)
	assert.True(t, f.empty(), "a Load failing in a model leaves the Engine empty")

	// The same for the version 4 parts: the index image and the catalog.
	for name, damage := range map[string]func(s *snapshot){
		"index image":     func(s *snapshot) { s.image = s.image[:len(s.image)-3] },
		"content catalog": func(s *snapshot) { s.catalog = s.catalog[:len(s.catalog)-3] },
	} {
		s, err := parseSnapshot(body, snapVersion)
		require.NoError(t, err)
		damage(s)
		_, err = f.build(context.Background(), s)
		assert.ErrorIs(t, err, ErrCorruptSnapshot, name)
		assert.ErrorContains(t, err, name)
		assert.True(t, f.empty(), "a Load failing in the %s leaves the Engine empty", name)
	}

	for _, cut := range []int{0, 5, len(snap) / 2, len(snap) - 1} {
		assert.ErrorIs(t, f.Load(context.Background(), bytes.NewReader(snap[:cut])), ErrCorruptSnapshot, "cut at %d", cut)
	}
	flipped := bytes.Clone(snap)
	flipped[len(flipped)/2] ^= 0x40
	assert.ErrorIs(t, f.Load(context.Background(), bytes.NewReader(flipped)), ErrCorruptSnapshot)
	assert.True(t, f.empty())

	require.NoError(t, f.Load(context.Background(), bytes.NewReader(snap)), "the Engine is still new after the failures")
	assert.ErrorIs(t, f.Load(context.Background(), bytes.NewReader(snap)), ErrNotEmpty, "a second Load into a used Engine")
	assert.ErrorIs(t, e.Load(context.Background(), bytes.NewReader(snap)), ErrNotEmpty)
}

// A version 3 snapshot (no index image, no catalog: Load analyses the
// profiles again) loads as exactly as a version 4 to 9 one (a fitted
// version 5 or older has model version 1; before version 7 Load replays
// the log into the in-memory counters and refits the collaborative
// neighbours; this Engine has no factors, whose section version 8
// changed; before version 9 Load rebuilds the taste neighbours); and a version 4 Load serves from the image at once while
// bleve fills behind it.
func TestLoadVersion3AndTheBackfill(t *testing.T) {
	m := tinyMarket(t)
	cfg := Config{Clock: endOf(m), Seed: 7}
	e := newEngine(t, m, true)
	require.NoError(t, e.Remove(context.Background(), m.Profiles[4].ID))
	var buf bytes.Buffer
	require.NoError(t, e.Save(&buf))
	_, body, _, err := binio.ReadFrame(bytes.NewReader(buf.Bytes()), snapMagic, snapVersion, maxSnapBody)
	require.NoError(t, err)
	s, err := parseSnapshot(body, snapVersion)
	require.NoError(t, err)
	require.NotNil(t, s.image)
	require.NotNil(t, s.catalog)
	require.Equal(t, uint64(1), e.Stats().ModelVersion)
	require.NotNil(t, s.counters)
	var tail, offset, model, counters binio.Writer
	offset.Uvarint(0) // version 5: the journal offset, zero without a journal
	offset.Uvarint(0)
	model.Uvarint(1) // version 6: the model version
	counters.Bool(true)
	counters.Bytes(s.counters) // version 7: the in-memory counters
	require.Len(t, s.cf, 3)
	counters.Bool(true)
	for _, b := range s.cf {
		counters.Bytes(b) // and the collaborative neighbours
	}
	require.NotNil(t, s.taste)
	var taste binio.Writer
	taste.Bytes(s.taste) // version 9: the taste neighbours
	tail.Bytes(s.image)
	tail.Bool(true)
	tail.Bytes(s.catalog)
	tail.B = append(tail.B, offset.B...)
	tail.B = append(tail.B, model.B...)
	tail.B = append(tail.B, counters.B...)
	tail.B = append(tail.B, taste.B...)
	require.True(t, bytes.HasSuffix(body, tail.B), "the version 4 to 9 parts come last")
	cut := func(parts ...binio.Writer) []byte {
		n := len(body)
		for _, p := range parts {
			n -= len(p.B)
		}
		return body[:n]
	}
	v3 := binio.AppendFrame(nil, snapMagic, 3, cut(tail))
	v4 := binio.AppendFrame(nil, snapMagic, 4, cut(offset, model, counters, taste))
	v5 := binio.AppendFrame(nil, snapMagic, 5, cut(model, counters, taste))
	v6 := binio.AppendFrame(nil, snapMagic, 6, cut(counters, taste))
	v8 := cut(taste)
	// Counters of other windows (another bucket count): the log is
	// replayed into them instead.
	other, err := activity.NewMemory(3).AppendBinary(nil)
	require.NoError(t, err)
	var foreign binio.Writer
	foreign.Bool(true)
	foreign.Bytes(other)
	foreign.Bool(false) // and the neighbours refitted
	v7other := binio.AppendFrame(nil, snapMagic, 7, append(bytes.Clone(cut(counters, taste)), foreign.B...))

	want := responses(t, e, m)
	for name, snap := range map[string][]byte{"version 3": v3, "version 4": v4, "version 5": v5, "version 6": v6, "version 7": binio.AppendFrame(nil, snapMagic, 7, v8), "version 8": binio.AppendFrame(nil, snapMagic, 8, v8), "version 9": buf.Bytes(), "version 7, counters of other windows": v7other} {
		f, err := New(cfg)
		require.NoError(t, err)
		require.NoError(t, f.Load(context.Background(), bytes.NewReader(snap)), name)
		var again bytes.Buffer
		require.NoError(t, f.Save(&again))
		assert.True(t, bytes.Equal(buf.Bytes(), again.Bytes()), "%s: a loaded Engine saves the same bytes (%d, want %d)", name, again.Len(), buf.Len())
		assert.Equal(t, want, responses(t, f, m), name)
		require.NoError(t, f.index.Backfilled(context.Background()))
		n, err := f.index.Len()
		require.NoError(t, err)
		assert.Equal(t, len(m.Profiles)-1, n, "%s: bleve holds every live profile", name)
		require.NoError(t, f.Close())
	}
	// Closing while bleve still fills neither hangs nor leaks.
	f, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, f.Load(context.Background(), bytes.NewReader(buf.Bytes())))
	require.NoError(t, f.Close())
}

// writeV1 writes a version 1 snapshot (profiles, log, fit time), the
// format of earlier releases.
func writeV1(profiles []market.Profile, events []market.Event, dict *market.Dict, fitAt time.Time) []byte {
	var w binio.Writer
	if fitAt.IsZero() {
		w.Varint(0)
	} else {
		w.Varint(fitAt.UnixNano())
	}
	w.Uvarint(uint64(len(profiles)))
	for _, p := range profiles {
		b, _ := json.Marshal(p)
		w.Byte(0)
		w.Bytes(b)
	}
	w.Uvarint(uint64(len(events)))
	for _, ev := range events {
		a, _ := dict.Lookup(ev.Actor)
		t, _ := dict.Lookup(ev.Target)
		w.Uvarint(uint64(a))
		w.Uvarint(uint64(t))
		w.Byte(byte(ev.Action))
		w.Varint(ev.Time.UnixNano())
	}
	return binio.AppendFrame(nil, snapMagic, 1, w.B)
}

func TestLoadVersion1Refits(t *testing.T) {
	m := tinyMarket(t)
	e := newEngine(t, m, true)
	f, err := New(Config{Clock: endOf(m), Seed: 7})
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, f.Load(context.Background(), bytes.NewReader(writeV1(m.Profiles, m.Events, m.Dict, e.state.Load().at))))
	assert.True(t, f.state.Load().fitted)
	assert.Equal(t, responses(t, e, m), responses(t, f, m), "a refit on the same data gives the same answers")
}

// Issue 15: an event stamped 1000-01-01 was stored as 2169 and made the
// Engine's own snapshot unloadable. Such times are rejected by Record
// now, and a snapshot holding one is an error, never a panic.
func TestTimesOutsideTheRange(t *testing.T) {
	m := tinyMarket(t)
	e := newEngine(t, m, false)
	ctx := context.Background()
	s, j := m.Profiles[0].ID, m.Profiles[m.NumSeekers].ID
	for _, at := range []time.Time{time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}.Add(time.Second), market.MaxTime} {
		err := e.Record(ctx, market.Event{Actor: s, Target: j, Action: market.View, Time: at})
		var be *BatchError
		require.ErrorAs(t, err, &be, "%v", at)
		assert.True(t, errors.Is(err, market.ErrTimeRange) || errors.Is(err, market.ErrZeroTime), "%v: %v", at, err)
	}
	p := m.Profiles[1]
	p.Registered = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)
	assert.ErrorIs(t, e.Upsert(ctx, p), market.ErrTimeRange)

	// A snapshot whose event is out of range (written by a tool, say).
	bad := writeV1(m.Profiles, []market.Event{{Actor: s, Target: j, Action: market.View, Time: time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)}}, m.Dict, time.Time{})
	f, err := New(Config{Clock: endOf(m)})
	require.NoError(t, err)
	defer f.Close()
	assert.ErrorIs(t, f.Load(ctx, bytes.NewReader(bad)), ErrCorruptSnapshot)
}

// Issue 15: two concurrent Upserts of one new ID with different sides
// both succeeded, and the events recorded in between made the snapshot
// unloadable.
func TestConcurrentUpsertsCannotFlipASide(t *testing.T) {
	e, err := New(Config{})
	require.NoError(t, err)
	defer e.Close()
	ctx := context.Background()
	at := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for i := range 50 {
		id := "p" + string(rune('a'+i%26)) + time.Duration(i).String()
		errs := make(chan error, 2)
		for _, side := range []market.Side{market.Seeker, market.Recruiter} {
			go func() { errs <- e.Upsert(ctx, market.Profile{ID: id, Side: side, Registered: at}) }()
		}
		e1, e2 := <-errs, <-errs
		assert.True(t, (e1 == nil) != (e2 == nil), "exactly one side wins for %s: %v, %v", id, e1, e2)
		for _, err := range []error{e1, e2} {
			if err != nil {
				assert.ErrorIs(t, err, market.ErrSideChange)
			}
		}
	}
}

func TestExplainAndRequestErrors(t *testing.T) {
	m := tinyMarket(t)
	e := newEngine(t, m, true)
	ctx := context.Background()
	s, j := m.Profiles[0].ID, m.Profiles[m.NumSeekers].ID
	require.NoError(t, e.Remove(ctx, j))
	_, err := e.Explain(ctx, s, j)
	assert.ErrorIs(t, err, ErrInactive, "a removed candidate")
	_, err = e.Explain(ctx, j, s)
	assert.ErrorIs(t, err, ErrInactive, "a removed requester")
	for _, n := range []int{-1, MaxN + 1} {
		_, err = e.Recommend(ctx, Request{ID: s, N: n})
		assert.ErrorIs(t, err, ErrBadRequest, "N = %d", n)
	}
	_, err = e.Recommend(ctx, Request{ID: s, Aggregator: "nope"})
	assert.ErrorIs(t, err, ErrBadRequest)
}

// Issue 15: anonymous reads drained every candidate's budget. One
// requester reloading a list counts each candidate once per window.
func TestReloadingAListDoesNotDrainTheLedger(t *testing.T) {
	m := tinyMarket(t)
	e := newEngine(t, m, true)
	ctx := context.Background()
	other := m.Profiles[7].ID
	before, err := e.Recommend(ctx, Request{ID: other, N: 10, DryRun: true})
	require.NoError(t, err)
	for range 300 {
		_, err := e.Recommend(ctx, Request{ID: m.Profiles[3].ID, N: 10})
		require.NoError(t, err)
	}
	after, err := e.Recommend(ctx, Request{ID: other, N: 10, DryRun: true})
	require.NoError(t, err)
	assert.Len(t, after.Results, len(before.Results), "another requester's list keeps its length")
	now := e.cfg.Clock()
	for _, r := range after.Results {
		ix, _ := e.dict.Lookup(r.ID)
		assert.LessOrEqual(t, e.control.Ledger().Load(ix, now), 1.0+1e-9, "%s counted once", r.ID)
	}
}
