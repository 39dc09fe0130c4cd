package twoway

import (
	"context"
	"errors"
	"fmt"

	"github.com/twowayrec/twoway/activity"
)

// ErrStalled: Ping's probe did not finish in time (or an earlier probe
// never finished): the Engine cannot serve requests.
var ErrStalled = errors.New("twoway: engine stalled")

// Ping checks that the Engine can serve, for a host's health check: in a
// goroutine of its own it takes and releases the Engine's write lock (as
// Upsert and Record do) and answers a dry-run Recommend for the newest
// active participant (every lock and store a request reads), and waits for
// it until ctx is done. It returns nil when the probe finished (whatever the
// Recommend answered: an empty market is still a working Engine), ErrStalled
// wrapping ctx's error when it did not, and ErrStalled at once while an
// earlier probe is still running: a probe that never returns is itself the
// sign of a stuck Engine, and at most one is ever in flight.
//
// A host calls it with a short deadline (a second or two) from /healthz, so
// that a load balancer stops sending requests to a stuck process.
func (e *Engine) Ping(ctx context.Context) error {
	if !e.pinging.CompareAndSwap(false, true) {
		return fmt.Errorf("%w: an earlier probe has not returned", ErrStalled)
	}
	done := make(chan struct{})
	go func() {
		e.probe()
		// Free the slot before saying done, so that a Ping right after a
		// finished one never finds the slot still taken.
		e.pinging.Store(false)
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrStalled, ctx.Err())
	}
}

// probe exercises the request path (see Ping). It uses a context of its own,
// never cancelled: a cancelled request would return early and hide a stuck
// lock.
func (e *Engine) probe() {
	e.mu.Lock()
	id := ""
	for i := len(e.profiles) - 1; i >= 0; i-- {
		if p := e.profiles[i]; p.ID != "" && !e.removed[i] && !p.Inactive {
			id = p.ID
			break
		}
	}
	e.mu.Unlock()
	if id != "" {
		_, _ = e.Recommend(context.Background(), Request{ID: id, N: 1, DryRun: true, probe: true})
	}
}

// RebuildCounters refills the real-time behaviour counters
// (Config.Realtime) from the behaviour log, for a host whose shared store
// lost its data (a Redis FLUSHALL, a restart without persistence): it
// replays every event of the last activity.Tracker.Retention (older ones no
// longer change a feature) from the Engine's own log, or from Config.Events
// when set, then recomputes every participant's serving-table entries
// (activity, urgency, saturation). Call it after clearing the store, not on
// a store that still holds the counts: they would be counted twice. Events
// recorded while it runs are counted by Record as usual; an event recorded
// between the loss and the start of the replay is counted twice.
func (e *Engine) RebuildCounters(ctx context.Context) error {
	now := e.cfg.Clock()
	from := now.Add(-e.tracker.Retention())
	var evs []activity.Event
	if e.cfg.Events != nil {
		for ev, err := range e.cfg.Events.Events(ctx) {
			if err != nil {
				return fmt.Errorf("twoway: rebuild counters: event source: %w", err)
			}
			a, okA := e.dict.Lookup(ev.Actor)
			t, okT := e.dict.Lookup(ev.Target)
			if okA && okT && !ev.Time.Before(from) && ev.Validate() == nil {
				evs = append(evs, activity.Event{Actor: a, Target: t, Action: ev.Action, Time: ev.Time})
			}
		}
	} else {
		e.mu.RLock()
		for _, ev := range e.log {
			if t := ev.time(); !t.Before(from) {
				evs = append(evs, activity.Event{Actor: ev.actor, Target: ev.target, Action: ev.action, Time: t})
			}
		}
		e.mu.RUnlock()
	}
	for i, ev := range evs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := e.tracker.Record(ctx, ev); err != nil {
			return fmt.Errorf("twoway: rebuild counters: event %d of %d: %w", i, len(evs), err)
		}
	}
	e.mu.RLock()
	n := len(e.profiles)
	e.mu.RUnlock()
	users := make([]uint32, n)
	for i := range users {
		users[i] = uint32(i)
	}
	if err := e.refresh(ctx, e.state.Load(), users, now); err != nil {
		return fmt.Errorf("twoway: rebuild counters: %w", err)
	}
	e.excl.Store(nil)
	return nil
}
