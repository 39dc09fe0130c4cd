package twoway

import (
	"context"
	"iter"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
)

// The per-participant sets of a log are windows of one array each, sized
// exactly: later events append to one participant's list without touching
// its neighbours', and the lists hold what event-by-event appends give
// (the actors' lists: positions in the log).
func TestSetsAreExactWindows(t *testing.T) {
	e, err := New(Config{})
	require.NoError(t, err)
	defer e.Close()
	log := []event{
		{actor: 1, target: 2, action: market.Chat, at: 10},
		{actor: 3, target: 2, action: market.Reject, at: 11},
		{actor: 1, target: 4, action: market.View, at: 12},
		{actor: 3, target: 4, action: market.Apply, at: 13},
		{actor: 1, target: 2, action: market.Reply, at: 14},
	}
	acts, seen, blocked := e.sets(log)
	want, wantSeen, wantBlocked := map[uint32][]uint32{}, map[uint32][]uint32{}, map[uint32][]uint32{}
	for k, ev := range log {
		e.addSets(want, wantSeen, wantBlocked, ev, uint32(k))
	}
	assert.Equal(t, want, acts)
	assert.Equal(t, map[uint32][]uint32{1: {0, 2, 4}, 3: {1, 3}}, acts)
	assert.Equal(t, wantSeen, seen)
	assert.Equal(t, wantBlocked, blocked)
	for k, l := range acts {
		assert.Equal(t, len(l), cap(l), "actor %d", k)
	}

	neighbour := append([]uint32(nil), acts[3]...)
	e.addSets(acts, seen, blocked, event{actor: 1, target: 5, action: market.Chat, at: 15}, 5)
	e.addSets(acts, seen, blocked, event{actor: 2, target: 3, action: market.Reject, at: 16}, 6)
	assert.Equal(t, neighbour, acts[3])
	assert.Equal(t, []uint32{0, 2, 4, 5}, acts[1])
	assert.Equal(t, []uint32{2, 2, 5}, seen[1])
	assert.Equal(t, []uint32{4}, seen[3])
	assert.ElementsMatch(t, []uint32{2, 2}, blocked[3])
}

// Engine.acts holds, for every actor, the positions of exactly its events
// in the log it indexes, in order: after a Fit that events arrived during,
// after later events, with the Engine's own log and with Config.Events (the
// host's log: acts then indexes the Fit's copy of it and what came since).
func TestActsIndexTheirLog(t *testing.T) {
	m := smallMarket(t)
	ctx := context.Background()
	for _, external := range []bool{false, true} {
		t.Run(map[bool]string{false: "own log", true: "Config.Events"}[external], func(t *testing.T) {
			var during atomic.Pointer[func()]
			cfg := Config{Clock: endOf(m), Seed: 7, OnProgress: func(p Progress) {
				if p.Stage == "exposure" && !p.Done && p.Step == "" {
					if f := during.Swap(nil); f != nil {
						(*f)()
					}
				}
			}}
			if external {
				cfg.Events = EventSourceFunc(func(context.Context) iter.Seq2[market.Event, error] {
					return func(yield func(market.Event, error) bool) {
						for _, ev := range m.Events[:len(m.Events)/2] {
							if !yield(ev, nil) {
								return
							}
						}
					}
				})
			}
			e, err := New(cfg)
			require.NoError(t, err)
			defer e.Close()
			require.NoError(t, e.Upsert(ctx, m.Profiles...))
			if !external {
				require.NoError(t, e.Record(ctx, m.Events[:len(m.Events)/2]...))
			}
			rest := m.Events[len(m.Events)/2:]
			f := func() { require.NoError(t, e.Record(ctx, rest[:10]...)) }
			during.Store(&f)
			require.NoError(t, e.Fit(ctx))
			require.NoError(t, e.Record(ctx, rest[10:20]...))

			e.mu.RLock()
			defer e.mu.RUnlock()
			log := e.actLog()
			require.Len(t, log, len(m.Events)/2+20, "the Fit's log, 10 events during it, 10 after")
			byActor := map[uint32][]uint32{}
			for k, ev := range log {
				byActor[ev.actor] = append(byActor[ev.actor], uint32(k))
			}
			assert.Equal(t, byActor, e.acts)
			last := log[len(log)-1]
			id := func(ix uint32) string { return e.profiles[ix].ID }
			assert.Equal(t, rest[19].Actor, id(last.actor))
			assert.Equal(t, rest[19].Target, id(last.target))
		})
	}
}
