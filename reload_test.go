package twoway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/synth"
)

// reloadMarket is a fitter (a) and a server (b) of one market on one
// journal and shared in-memory stores: b started from a's first Fit, and
// both took writes since. a has fitted a second time and saved snap2; more
// events came through both after that save.
type reloadMarket struct {
	m            *synth.Market
	cfg          Config
	a, b         *Engine
	snap1, snap2 []byte
}

func newReloadMarket(t *testing.T) *reloadMarket {
	t.Helper()
	ctx := context.Background()
	m := tinyMarket(t)
	stores := newSharedStores(t)
	cfg := stores.config()
	cfg.Clock, cfg.Seed, cfg.Journal = endOf(m), 7, &MemoryJournal{}
	rm := &reloadMarket{m: m, cfg: cfg}
	rm.a, rm.b = rm.engine(t), rm.engine(t)
	a, b := rm.a, rm.b
	n := len(m.Events)
	require.NoError(t, a.Upsert(ctx, m.Profiles...))
	require.NoError(t, a.Record(ctx, m.Events[:n/3]...))
	require.NoError(t, a.Fit(ctx))
	rm.snap1 = save(t, a)
	require.NoError(t, b.Load(ctx, bytes.NewReader(rm.snap1)))
	require.NoError(t, b.Sync(ctx))
	// Events through either server, and requests (whose online updates are
	// journal entries too).
	for i := n / 3; i < 2*n/3; i += 40 {
		e := []*Engine{a, b}[(i/40)%2]
		require.NoError(t, e.Record(ctx, m.Events[i:min(i+40, 2*n/3)]...))
		_, err := e.Recommend(ctx, Request{ID: m.Events[i].Actor, N: 10})
		require.NoError(t, err)
	}
	require.NoError(t, a.Fit(ctx))
	rm.snap2 = save(t, a)
	for i := 2 * n / 3; i < n; i += 40 {
		e := []*Engine{b, a}[(i/40)%2]
		require.NoError(t, e.Record(ctx, m.Events[i:min(i+40, n)]...))
		_, err := e.Recommend(ctx, Request{ID: m.Events[i].Actor, N: 10})
		require.NoError(t, err)
	}
	require.NoError(t, a.Sync(ctx))
	require.NoError(t, b.Sync(ctx))
	return rm
}

func (rm *reloadMarket) engine(t *testing.T) *Engine {
	t.Helper()
	e, err := New(rm.cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, e.Close()) })
	return e
}

func save(t *testing.T, e *Engine) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, e.Save(&buf))
	return buf.Bytes()
}

// lists answers a dry run for each of the first n profiles on every Engine
// of es, syncing all before each request (a request appends its
// requester's online update, which the others must apply first), and
// returns each Engine's answers.
func (rm *reloadMarket) lists(t *testing.T, n int, es ...*Engine) [][]string {
	t.Helper()
	ctx := context.Background()
	out := make([][]string, len(es))
	for _, p := range rm.m.Profiles[:n] {
		for k, e := range es {
			for _, o := range es {
				require.NoError(t, o.Sync(ctx))
			}
			resp, err := e.Recommend(ctx, Request{ID: p.ID, N: 10, DryRun: true})
			if err != nil {
				out[k] = append(out[k], p.ID+": "+err.Error())
				continue
			}
			out[k] = append(out[k], p.ID+": "+jsonOf(t, idsOf(resp.Results))+" "+jsonOf(t, forwardOf(resp.Results)))
		}
	}
	return out
}

// A server that Reloads the fitter's second snapshot, while it serves,
// serves what the fitter serves and what an Engine started from that
// snapshot serves: every list and forward score of 40 requesters equal,
// the fitter's model version, and the events of both servers kept.
func TestReloadServesTheFittersModels(t *testing.T) {
	ctx := context.Background()
	rm := newReloadMarket(t)
	a, b := rm.a, rm.b
	require.Equal(t, uint64(2), a.Stats().ModelVersion)
	require.Equal(t, uint64(1), b.Stats().ModelVersion)
	before := rm.lists(t, 40, a, b)
	assert.NotEqual(t, before[0], before[1], "the second Fit changes no list: the test shows nothing")

	// Requests and writes keep coming while b reloads.
	wd := newWatchdog(t, 20*time.Second)
	defer wd.stop()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for k := range 2 {
		wg.Go(func() {
			for i := k; ; i += 2 {
				select {
				case <-stop:
					return
				default:
				}
				p := rm.m.Profiles[i%len(rm.m.Profiles)]
				_, err := b.Recommend(ctx, Request{ID: p.ID, N: 10, DryRun: true})
				if err != nil && !errors.Is(err, ErrInactive) {
					t.Errorf("Recommend %s during the reload: %v", p.ID, err)
					return
				}
				wd.tick()
			}
		})
	}
	require.NoError(t, b.Reload(ctx, bytes.NewReader(rm.snap2)))
	close(stop)
	wg.Wait()

	assert.Equal(t, uint64(2), b.Stats().ModelVersion)
	assert.Equal(t, a.Stats().Events, b.Stats().Events)
	c := rm.engine(t)
	require.NoError(t, c.Load(ctx, bytes.NewReader(rm.snap2)))
	require.NoError(t, c.Sync(ctx))
	after := rm.lists(t, 40, a, b, c)
	assert.Equal(t, after[0], after[1], "the reloaded server and the fitter")
	assert.Equal(t, after[2], after[1], "the reloaded server and one started from the snapshot")
}

// Reload refuses a corrupt snapshot, one without models, one of another
// market, and a running Engine without a journal; each time the Engine
// serves on as before. On an empty Engine it is Load.
func TestReloadRefusesAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	rm := newReloadMarket(t)
	b := rm.b
	want := rm.lists(t, 20, b)[0]
	check := func(name string, err, is error) {
		t.Helper()
		require.ErrorIs(t, err, is, name)
		assert.Equal(t, uint64(1), b.Stats().ModelVersion, name)
		assert.Equal(t, want, rm.lists(t, 20, b)[0], name)
	}

	corrupt := bytes.Clone(rm.snap2)
	corrupt[len(corrupt)/2] ^= 0x40
	check("corrupt", b.Reload(ctx, bytes.NewReader(corrupt)), ErrCorruptSnapshot)
	check("truncated", b.Reload(ctx, bytes.NewReader(rm.snap2[:len(rm.snap2)/3])), ErrCorruptSnapshot)

	unfitted, err := New(Config{Clock: rm.cfg.Clock})
	require.NoError(t, err)
	defer unfitted.Close()
	require.NoError(t, unfitted.Upsert(ctx, rm.m.Profiles...))
	check("unfitted", b.Reload(ctx, bytes.NewReader(save(t, unfitted))), ErrBadRequest)

	other, err := synth.Generate(synth.Config{Seed: 10, Seekers: 50, Jobs: 20, Events: 2000, Days: 8})
	require.NoError(t, err)
	o, err := New(Config{Clock: endOf(other)})
	require.NoError(t, err)
	defer o.Close()
	require.NoError(t, o.Upsert(ctx, other.Profiles...))
	require.NoError(t, o.Record(ctx, other.Events...))
	require.NoError(t, o.Fit(ctx))
	check("another market", b.Reload(ctx, bytes.NewReader(save(t, o))), ErrOtherMarket)

	// The same market without the journal: the snapshot replays the whole
	// journal over its own events, and the logs differ.
	solo, err := New(Config{Clock: rm.cfg.Clock, Seed: 7})
	require.NoError(t, err)
	defer solo.Close()
	require.NoError(t, solo.Upsert(ctx, rm.m.Profiles...))
	require.NoError(t, solo.Record(ctx, rm.m.Events...))
	require.NoError(t, solo.Fit(ctx))
	check("a journal-less copy", b.Reload(ctx, bytes.NewReader(save(t, solo))), ErrOtherMarket)

	noJournal, err := New(Config{Clock: rm.cfg.Clock})
	require.NoError(t, err)
	defer noJournal.Close()
	require.NoError(t, noJournal.Upsert(ctx, rm.m.Profiles...))
	require.ErrorIs(t, noJournal.Reload(ctx, bytes.NewReader(rm.snap2)), ErrConfig)

	fresh := rm.engine(t)
	require.NoError(t, fresh.Reload(ctx, bytes.NewReader(rm.snap2)), "Reload of an empty Engine loads")
	assert.Equal(t, uint64(2), fresh.Stats().ModelVersion)
}

// The model version counts Fits and survives Save and Load.
func TestModelVersion(t *testing.T) {
	ctx := context.Background()
	m := tinyMarket(t)
	e, err := New(Config{Clock: endOf(m), Seed: 7})
	require.NoError(t, err)
	defer e.Close()
	assert.Zero(t, e.Stats().ModelVersion)
	require.NoError(t, e.Upsert(ctx, m.Profiles...))
	require.NoError(t, e.Record(ctx, m.Events...))
	for v := range uint64(3) {
		require.NoError(t, e.Fit(ctx))
		assert.Equal(t, v+1, e.Stats().ModelVersion)
	}
	l, err := New(Config{Clock: endOf(m), Seed: 7})
	require.NoError(t, err)
	defer l.Close()
	require.NoError(t, l.Load(ctx, bytes.NewReader(save(t, e))))
	assert.Equal(t, uint64(3), l.Stats().ModelVersion)
	require.NoError(t, l.Fit(ctx))
	assert.Equal(t, uint64(4), l.Stats().ModelVersion)

	// Model says what Stats says of the models, before a Fit too.
	for _, x := range []*Engine{e, l} {
		st := x.Stats()
		assert.Equal(t, ModelInfo{Fitted: st.Fitted, FitAt: st.FitAt, FitTook: st.FitTook, Version: st.ModelVersion}, x.Model())
	}
	fresh, err := New(Config{})
	require.NoError(t, err)
	defer fresh.Close()
	assert.Equal(t, ModelInfo{}, fresh.Model())
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// A journal trimmed through the newest snapshot's offset strands only a
// process behind it: its Sync (and its Reload) fail with
// ErrJournalTrimmed, while one started from that snapshot catches up and
// serves what the fitter serves.
func TestJournalTrimStrandsOnlyTheLagging(t *testing.T) {
	ctx := context.Background()
	rm := newReloadMarket(t)
	j := rm.cfg.Journal.(*MemoryJournal)
	lag := rm.engine(t)
	require.NoError(t, lag.Load(ctx, bytes.NewReader(rm.snap1)))
	snap3 := save(t, rm.a)
	require.NoError(t, j.Trim(ctx, rm.a.JournalOffset()))
	require.ErrorIs(t, lag.Sync(ctx), ErrJournalTrimmed)
	require.ErrorIs(t, lag.Reload(ctx, bytes.NewReader(snap3)), ErrJournalTrimmed)

	fresh := rm.engine(t)
	require.NoError(t, fresh.Load(ctx, bytes.NewReader(snap3)))
	require.NoError(t, fresh.Sync(ctx))
	require.NoError(t, rm.a.Record(ctx, rm.m.Events[:30]...)) // after the trim: replayed as duplicates or new
	got := rm.lists(t, 20, rm.a, fresh)
	assert.Equal(t, got[0], got[1])
}
