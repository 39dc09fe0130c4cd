package twoway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
)

// MemoryJournal passes its kit; journals that break the contract fail it.
func TestMemoryJournalConforms(t *testing.T) {
	ctx := context.Background()
	require.NoError(t, CheckJournal(ctx, &MemoryJournal{}))
	assert.ErrorContains(t, CheckJournal(ctx, inclusiveJournal{&MemoryJournal{}}), "Read(after")
	assert.ErrorContains(t, CheckJournal(ctx, sharingJournal{&MemoryJournal{}}), "Append must not keep the caller's data", "a journal that keeps the caller's buffer")
}

// inclusiveJournal reads from the offset itself, not after it.
type inclusiveJournal struct{ *MemoryJournal }

func (j inclusiveJournal) Read(ctx context.Context, after Offset, limit int) ([]JournalEntry, error) {
	if after.Lo > 0 {
		after.Lo--
	}
	return j.MemoryJournal.Read(ctx, after, limit)
}

// sharingJournal keeps the caller's buffer instead of a copy.
type sharingJournal struct{ *MemoryJournal }

func (j sharingJournal) Append(_ context.Context, data []byte) (Offset, error) {
	if len(data) == 0 {
		return Offset{}, errors.New("empty")
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.entries = append(j.entries, data)
	return Offset{Lo: uint64(len(j.entries))}, nil
}

func TestOffsetParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Offset
		bad  bool
	}{{"0-0", Offset{}, false}, {"1700000000000-3", Offset{1700000000000, 3}, false}, {"12", Offset{Hi: 12}, false},
		{"", Offset{}, true}, {"1-x", Offset{}, true}, {"-1", Offset{}, true}} {
		got, err := ParseOffset(c.in)
		if c.bad {
			assert.Error(t, err, c.in)
			continue
		}
		require.NoError(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
		assert.Equal(t, got, must(ParseOffset(got.String())), "String round-trips")
	}
	assert.Equal(t, -1, Offset{1, 9}.Compare(Offset{2, 0}))
	assert.Equal(t, 1, Offset{1, 9}.Compare(Offset{1, 8}))
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// journalCluster is N Engines of one market on a MemoryJournal and shared
// in-memory stores, beside one reference Engine without a journal (and
// its own in-memory state) that takes the same writes in the same order.
type journalCluster struct {
	ref     *Engine
	servers []*Engine
	journal *MemoryJournal
	stores  *sharedStores
	clock   func() time.Time
}

func newJournalCluster(t *testing.T, m *synth.Market, n int, stores *sharedStores, j *MemoryJournal, snap []byte) *journalCluster {
	t.Helper()
	ctx := context.Background()
	c := &journalCluster{journal: j, stores: stores, clock: endOf(m)}
	ref, err := New(Config{Clock: c.clock, Seed: 7})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, ref.Close()) })
	c.ref = ref
	for range n {
		cfg := c.stores.config()
		cfg.Clock, cfg.Seed, cfg.Journal = c.clock, 7, c.journal
		e, err := New(cfg)
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, e.Close()) })
		c.servers = append(c.servers, e)
	}
	if snap != nil {
		require.NoError(t, ref.Load(ctx, bytes.NewReader(snap)))
		for _, e := range c.servers {
			require.NoError(t, e.Load(ctx, bytes.NewReader(snap)))
		}
	}
	return c
}

// topIDs is the requester's top 10, in order, as served (not a dry run).
func topIDs(t *testing.T, e *Engine, id string) ([]string, error) {
	t.Helper()
	resp, err := e.Recommend(context.Background(), Request{ID: id, N: 10})
	if err != nil {
		return nil, err
	}
	out := make([]string, len(resp.Results))
	for i, r := range resp.Results {
		out[i] = r.ID
	}
	return out, nil
}

// Three Engines on one journal and one set of shared stores give the lists
// one Engine gives, when each event goes to a random one of them (10%
// delivered twice, to another random one), profiles are upserted and
// removed through any of them, and requests go round-robin, each after a
// Sync: every top 10 identical, every counter and ledger load equal, every
// event in every log once.
func TestJournalEnginesAgree(t *testing.T) {
	ctx := context.Background()
	m := tinyMarket(t)
	half := len(m.Events) / 2
	// A fitter on the journal and the shared stores builds the snapshot
	// every Engine starts from.
	stores, j := newSharedStores(t), &MemoryJournal{}
	fcfg := stores.config()
	fcfg.Clock, fcfg.Seed, fcfg.Journal = endOf(m), 7, j
	fitter, err := New(fcfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fitter.Close()) })
	require.NoError(t, fitter.Upsert(ctx, m.Profiles...))
	require.NoError(t, fitter.Record(ctx, m.Events[:half]...))
	require.NoError(t, fitter.Fit(ctx))
	assert.Equal(t, Offset{Lo: 2}, fitter.JournalOffset(), "two writes: one Upsert, one Record")
	var snap bytes.Buffer
	require.NoError(t, fitter.Save(&snap))

	c := newJournalCluster(t, m, 3, stores, j, snap.Bytes())
	for _, e := range c.servers {
		assert.Equal(t, Offset{Lo: 2}, e.JournalOffset(), "the snapshot's offset")
	}

	rng := rand.New(rand.NewPCG(3, 4))
	requesters := []string{}
	for _, p := range m.Profiles {
		requesters = append(requesters, p.ID)
	}
	same, total, rr := 0, 0, 0
	ask := func() {
		id := requesters[rng.IntN(len(requesters))]
		srv := c.servers[rr%len(c.servers)]
		rr++
		require.NoError(t, srv.Sync(ctx))
		want, werr := topIDs(t, c.ref, id)
		got, gerr := topIDs(t, srv, id)
		require.Equal(t, werr == nil, gerr == nil, "request %d for %s: %v / %v", total, id, werr, gerr)
		total++
		if assert.Equal(t, want, got, "request %d for %s on server %d", total, id, (rr-1)%len(c.servers)) {
			same++
		}
	}
	dupes := 0
	for k, ev := range m.Events[half:] {
		ev.ID = fmt.Sprintf("ev-%d", k)
		require.NoError(t, c.ref.Record(ctx, ev))
		require.NoError(t, c.servers[rng.IntN(3)].Record(ctx, ev))
		if rng.Float64() < 0.1 {
			dupes++
			require.NoError(t, c.ref.Record(ctx, ev))
			require.NoError(t, c.servers[rng.IntN(3)].Record(ctx, ev))
		}
		switch {
		case k%40 == 0:
			ask()
		case k == 300:
			// A newcomer upserted through one server, removed later through another.
			p := market.Profile{ID: "newcomer", Side: market.Seeker, Title: "数据分析师", Skills: []string{"SQL", "Python"}, Registered: c.clock().Add(-time.Hour)}
			require.NoError(t, c.ref.Upsert(ctx, p))
			require.NoError(t, c.servers[1].Upsert(ctx, p))
			requesters = append(requesters, p.ID)
		case k == 900:
			require.NoError(t, c.ref.Remove(ctx, m.Profiles[5].ID))
			require.NoError(t, c.servers[2].Remove(ctx, m.Profiles[5].ID))
		}
	}
	for range 30 {
		ask()
	}
	t.Logf("identical top-10 lists: %d of %d requests; %d events delivered twice; journal %d entries", same, total, dupes, c.journal.Len())
	assert.Equal(t, total, same)
	assert.Positive(t, dupes)

	// Every process holds every event once, as the reference does.
	want := c.ref.Stats()
	for i, e := range c.servers {
		require.NoError(t, e.Sync(ctx))
		got := e.Stats()
		assert.Equal(t, want.Events, got.Events, "server %d: events in its log", i)
		assert.Equal(t, want.Seekers, got.Seekers, "server %d", i)
		assert.Equal(t, want.Removed, got.Removed, "server %d", i)
		assert.Equal(t, want.Pending, got.Pending, "server %d: the interest overlay", i)
		assert.Equal(t, c.journal.Len(), int(e.JournalOffset().Lo), "server %d applied the whole journal", i)
	}
	// The shared counters count every event once: as the reference's own.
	now := c.clock()
	for _, p := range append(m.Profiles, market.Profile{ID: "newcomer"}) {
		rx, _, ok, _ := c.ref.lookup(p.ID)
		require.True(t, ok, p.ID)
		sx, _, ok, _ := c.servers[0].lookup(p.ID)
		require.True(t, ok, p.ID)
		var fr, fs activity.Features
		require.NoError(t, c.ref.tracker.Features(ctx, rx, now, &fr))
		require.NoError(t, c.servers[0].tracker.Features(ctx, sx, now, &fs))
		require.Equal(t, fr.Counts, fs.Counts, "counters of %s", p.ID)
	}
	// The ledger is global: the shared one holds what the reference's holds.
	l := c.ref.control.Ledger()
	for _, p := range m.Profiles {
		rx, _, _, _ := c.ref.lookup(p.ID)
		load := []float64{0}
		require.NoError(t, c.stores.ledger.Loads(ctx, now, []string{p.ID}, load))
		assert.InDelta(t, l.Load(rx, now), load[0], 1e-9, "ledger of %s", p.ID)
	}
}

// downJournal fails every call, as a journal whose store is down.
type downJournal struct{ *MemoryJournal }

var errDown = errors.New("journal down")

func (downJournal) Append(context.Context, []byte) (Offset, error) { return Offset{}, errDown }

// A write the journal refuses is refused: nothing of it is applied in the
// process, and the shared counters do not count it.
func TestJournalAppendFailureLeavesNothing(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	stores := newSharedStores(t)
	j := &MemoryJournal{}
	cfg := stores.config()
	cfg.Journal = j
	e := sharedMarket(t, cfg, at)
	require.NoError(t, e.Record(ctx, market.Event{ID: "e1", Actor: "s1", Target: "j1", Action: market.View, Time: at}))
	before, off := e.Stats(), e.JournalOffset()
	var fBefore activity.Features
	require.NoError(t, e.tracker.Features(ctx, 0, at, &fBefore))

	e.cfg.Journal = downJournal{j}
	err := e.Record(ctx, market.Event{ID: "e2", Actor: "s1", Target: "j2", Action: market.Chat, Time: at})
	require.ErrorIs(t, err, errDown)
	require.ErrorIs(t, err, ErrJournal)
	err = e.Upsert(ctx, market.Profile{ID: "s9", Side: market.Seeker, Title: "Go developer", Registered: at})
	require.ErrorIs(t, err, errDown)
	require.ErrorIs(t, e.Remove(ctx, "j3"), errDown)
	after := e.Stats()
	assert.Equal(t, before.Events, after.Events, "the refused event is in no log")
	assert.Equal(t, before.Seekers, after.Seekers)
	assert.Equal(t, before.Recruiters, after.Recruiters, "j3 is still there")
	assert.Equal(t, off, e.JournalOffset())
	var fAfter activity.Features
	require.NoError(t, e.tracker.Features(ctx, 0, at, &fAfter))
	assert.Equal(t, fBefore.Counts, fAfter.Counts, "the shared counters did not count the refused event")
	targets, err := stores.seen.Targets(ctx, "s1")
	require.NoError(t, err)
	assert.NotContains(t, targets, "j2", "nor did the shared pairs")
	// Recommend still answers (the interest update waits for the journal).
	_, err = e.Recommend(ctx, Request{ID: "s1", N: 3, DryRun: true})
	require.NoError(t, err)
	// Bad input is refused before the journal, naming the record and field.
	e.cfg.Journal = j
	err = e.Record(ctx, market.Event{Actor: "s1", Target: "s2", Action: market.Chat, Time: at})
	var be *BatchError
	require.ErrorAs(t, err, &be)
	assert.ErrorContains(t, err, "record 0")
	assert.Equal(t, off, e.JournalOffset(), "an invalid batch is not appended")
}

// A process that applies an entry another appended does not count it in
// the shared stores again; an event retried on a second process after the
// first appended it is acknowledged and counted once; a profile upserted
// on one process is known on the other before its events are validated.
func TestJournalCountsOnce(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	stores := newSharedStores(t)
	j := &MemoryJournal{}
	cfg := stores.config()
	cfg.Journal = j
	a := sharedMarket(t, cfg, at)
	b, err := New(Config{Realtime: stores.counters, Seen: stores.seen, Blocked: stores.blocked, Ledger: stores.ledger,
		EventIDs: stores.ids, Journal: j, Clock: func() time.Time { return at }})
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, b.Close()) })
	require.NoError(t, b.Sync(ctx))
	assert.Equal(t, a.JournalOffset(), b.JournalOffset(), "b applied a's upserts")

	require.NoError(t, a.Upsert(ctx, market.Profile{ID: "s3", Side: market.Seeker, Title: "Go developer", Registered: at}))
	ev := market.Event{ID: "e1", Actor: "s3", Target: "j1", Action: market.Chat, Time: at}
	require.NoError(t, b.Record(ctx, ev), "b knows s3 from the journal")
	require.NoError(t, a.Record(ctx, ev), "a redelivery on a")
	require.NoError(t, b.Record(ctx, ev), "and again on b")
	require.NoError(t, a.Sync(ctx))
	assert.Equal(t, 1, a.Stats().Events)
	assert.Equal(t, 1, b.Stats().Events)
	ix, _, _, _ := a.lookup("s3")
	var f activity.Features
	require.NoError(t, a.tracker.Features(ctx, ix, at, &f))
	total := 0.0
	for _, w := range f.Counts {
		for _, x := range w {
			total += x
		}
	}
	bix, _, _, _ := b.lookup("s3")
	var fb activity.Features
	require.NoError(t, b.tracker.Features(ctx, bix, at, &fb))
	assert.Equal(t, f.Counts, fb.Counts)
	// One chat: in each window, one chat made (plus its derived counts);
	// a second count would double every figure.
	var once activity.Features
	mem := activity.NewMemory(64)
	tr, err := activity.New(activity.Config{Store: mem, Clock: func() time.Time { return at }})
	require.NoError(t, err)
	tr.Register(0, at)
	tr.Register(1, at)
	require.NoError(t, tr.Record(ctx, activity.Event{Actor: 0, Target: 1, Action: market.Chat, Time: at}))
	require.NoError(t, tr.Features(ctx, 0, at, &once))
	assert.Equal(t, once.Counts, f.Counts, "the chat counted once in the shared counters")
	assert.Positive(t, total)
}

// An Engine loaded from a snapshot applies the journal from the
// snapshot's offset, and recommends as the one that kept running.
func TestJournalReplayFromSnapshot(t *testing.T) {
	ctx := context.Background()
	m := tinyMarket(t)
	stores, j := newSharedStores(t), &MemoryJournal{}
	cfg := stores.config()
	cfg.Clock, cfg.Seed, cfg.Journal = endOf(m), 7, j
	a, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, a.Close()) })
	require.NoError(t, a.Upsert(ctx, m.Profiles...))
	n := len(m.Events)
	require.NoError(t, a.Record(ctx, m.Events[:n/2]...))
	require.NoError(t, a.Fit(ctx))
	var snap bytes.Buffer
	require.NoError(t, a.Save(&snap))
	saved := a.JournalOffset()
	for i := n / 2; i < n; i += 50 {
		require.NoError(t, a.Record(ctx, m.Events[i:min(i+50, n)]...))
		_, err := a.Recommend(ctx, Request{ID: m.Events[i].Actor, N: 10})
		require.NoError(t, err)
	}
	b, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, b.Close()) })
	require.NoError(t, b.Load(ctx, &snap))
	assert.Equal(t, saved, b.JournalOffset())
	require.NoError(t, b.Sync(ctx))
	assert.Equal(t, a.JournalOffset(), b.JournalOffset())
	assert.Equal(t, a.Stats().Events, b.Stats().Events)
	// A health check makes no write: Ping's probe leaves the online
	// update of a stale requester to its own request.
	last := m.Profiles[len(m.Profiles)-1]
	other := m.Profiles[0]
	require.NotEqual(t, last.Side, other.Side)
	require.NoError(t, a.Record(ctx, market.Event{Actor: last.ID, Target: other.ID, Action: market.View, Time: m.Events[n-1].Time}))
	entries := j.Len()
	require.NoError(t, a.Ping(ctx))
	assert.Equal(t, entries, j.Len(), "Ping appended to the journal")
	_, err = a.Recommend(ctx, Request{ID: last.ID, N: 10, DryRun: true})
	require.NoError(t, err)
	assert.Equal(t, entries+1, j.Len(), "the requester's own request appends its online update")

	// Dry runs: served lists would count in the shared ledger, and the
	// second request see the first's impressions.
	for _, p := range m.Profiles[:40] {
		want, werr := a.Recommend(ctx, Request{ID: p.ID, N: 10, DryRun: true})
		require.NoError(t, b.Sync(ctx)) // a's online update of p, if it made one
		got, gerr := b.Recommend(ctx, Request{ID: p.ID, N: 10, DryRun: true})
		require.Equal(t, werr, gerr)
		if werr == nil {
			assert.Equal(t, idsOf(want.Results), idsOf(got.Results), p.ID)
			if !assert.Equal(t, forwardOf(want.Results), forwardOf(got.Results), p.ID) {
				ix, _, _, _ := a.lookup(p.ID)
				a.mu.RLock()
				da := a.dirty[ix]
				a.mu.RUnlock()
				b.mu.RLock()
				db := b.dirty[ix]
				b.mu.RUnlock()
				t.Logf("%s dirty a=%v b=%v", p.ID, da, db)
			}
		}
	}
}

// Recommend, Record, Upsert, Remove, Fit and Sync at once on two Engines
// of one journal (run under -race in CI): nothing deadlocks, and at the
// end both applied the whole journal and hold the same log.
func TestJournalConcurrent(t *testing.T) {
	ctx := context.Background()
	m := tinyMarket(t)
	stores, j := newSharedStores(t), &MemoryJournal{}
	cfg := stores.config()
	cfg.Clock, cfg.Seed, cfg.Journal = endOf(m), 7, j
	var es []*Engine
	for range 2 {
		e, err := New(cfg)
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, e.Close()) })
		es = append(es, e)
	}
	require.NoError(t, es[0].Upsert(ctx, m.Profiles...))
	require.NoError(t, es[1].Record(ctx, m.Events[:1000]...))
	require.NoError(t, es[0].Fit(ctx))
	wd := newWatchdog(t, 20*time.Second)
	defer wd.stop()
	var wg sync.WaitGroup
	run := func(f func(i int) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 40 {
				if err := f(i); err != nil {
					t.Error(err)
					return
				}
				wd.tick()
			}
		}()
	}
	rest := m.Events[1000:]
	run(func(i int) error { return es[i%2].Record(ctx, rest[i*10:i*10+10]...) })
	run(func(i int) error { return es[(i+1)%2].Record(ctx, rest[500+i*10:500+i*10+10]...) })
	run(func(i int) error {
		_, err := es[i%2].Recommend(ctx, Request{ID: m.Profiles[i].ID, N: 10})
		if errors.Is(err, ErrInactive) {
			err = nil
		}
		return err
	})
	run(func(i int) error { return es[i%2].Sync(ctx) })
	run(func(i int) error {
		return es[(i+1)%2].Upsert(ctx, market.Profile{ID: fmt.Sprintf("late-%d", i), Side: market.Recruiter, Title: "Go工程师", Registered: m.Events[0].Time})
	})
	run(func(i int) error {
		if i == 20 {
			return es[1].Fit(ctx)
		}
		if i == 30 {
			return es[0].Remove(ctx, m.Profiles[7].ID)
		}
		return nil
	})
	wg.Wait()
	for _, e := range es {
		require.NoError(t, e.Sync(ctx))
	}
	assert.Equal(t, uint64(j.Len()), es[0].JournalOffset().Lo)
	assert.Equal(t, es[0].JournalOffset(), es[1].JournalOffset())
	assert.Equal(t, 1800, es[0].Stats().Events)
	assert.Equal(t, es[0].Stats(), withoutFit(es[1].Stats(), es[0].Stats()))
}

// withoutFit returns s with the Fit's fields of like (only one Engine fit).
func withoutFit(s, like Stats) Stats {
	s.FitAt, s.FitTook, s.Pending, s.Factors, s.FactorBytes = like.FitAt, like.FitTook, like.Pending, like.Factors, like.FactorBytes
	return s
}

func idsOf(rs []Recommendation) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func forwardOf(rs []Recommendation) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = r.Forward
	}
	return out
}

// onceMemory is an activity.Memory that counts an event with an ID once
// per participant (an activity.OnceStore, as redisstore.Store is).
type onceMemory struct {
	*activity.Memory
	mu   sync.Mutex
	seen map[string]bool
}

func (m *onceMemory) AddOnce(ctx context.Context, user uint32, bucket int64, set activity.CounterSet, at int64, key string) (bool, error) {
	m.mu.Lock()
	k := fmt.Sprint(user, "/", key)
	dup := m.seen[k]
	m.seen[k] = true
	m.mu.Unlock()
	if dup {
		return false, nil
	}
	return true, m.Add(ctx, user, bucket, set, at)
}

// A process that appended an event and died before it wrote the shared
// counters: the event is in the journal (every process applies it), and a
// retry on another process is acknowledged as a duplicate and fills in the
// counters, once, with a store that counts once.
func TestJournalRetryAfterAppendFillsCounters(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	stores := newSharedStores(t)
	counters := &onceMemory{Memory: stores.counters, seen: map[string]bool{}}
	j := &MemoryJournal{}
	cfg := stores.config()
	cfg.Realtime, cfg.Journal = counters, j
	b := sharedMarket(t, cfg, at)
	require.True(t, b.tracker.Once())
	ev := market.Event{ID: "e1", Actor: "s1", Target: "j1", Action: market.Chat, Time: at}
	// The dead process's append: the entry only.
	data, err := json.Marshal(journalRecord{V: journalVersion, Kind: kindRecord, Events: []market.Event{ev}})
	require.NoError(t, err)
	_, err = j.Append(ctx, data)
	require.NoError(t, err)
	require.NoError(t, b.Sync(ctx))
	assert.Equal(t, 1, b.Stats().Events, "applied from the journal")
	contacts := func() float64 {
		var f activity.Features
		require.NoError(t, b.tracker.Features(ctx, 0, at, &f))
		return f.Counts[0][activity.Contacts]
	}
	assert.Zero(t, contacts(), "nobody wrote the counters yet")
	require.NoError(t, b.Record(ctx, ev), "the retry")
	assert.Equal(t, 1, b.Stats().Events, "a duplicate: not applied again")
	one := contacts()
	assert.Positive(t, one, "the retry wrote the counters")
	require.NoError(t, b.Record(ctx, ev), "another retry")
	assert.Equal(t, one, contacts(), "and they count once")
	targets, err := stores.seen.Targets(ctx, "s1")
	require.NoError(t, err)
	assert.Equal(t, []string{"j1"}, targets, "the shared pairs too")
}
