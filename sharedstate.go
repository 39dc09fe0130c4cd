package twoway

import (
	"context"
	"fmt"
	"time"

	"github.com/kelindar/bitmap"
)

// The Engine's side of the shared serving state (Config.Seen, Blocked,
// Ledger, EventIDs). None of these calls holds an Engine lock: a store may
// be remote and slow, and its own locks are leaves.
//
// When a store fails, the Engine degrades rather than stops serving: Record
// keeps the events in this process (as it does for Config.Realtime) and
// returns the store's error; Recommend and Explain answer from this
// process's own sets and, for the ledger, with no load beyond the
// candidates' recent contacts, log a warning (Config.Logger) and set
// RequestStats.StoreErr. A store that fails fast (the redisstore module's
// cooldown) bounds what an outage costs each call.

// checkShared validates the shared stores of cfg against the Engine's
// exposure configuration.
func (e *Engine) checkShared() error {
	if e.cfg.Ledger == nil {
		return nil
	}
	ec := e.control.Config()
	if h, w := e.cfg.Ledger.HalfLife(), e.cfg.Ledger.RepeatWindow(); h != ec.HalfLife || w != ec.RepeatWindow {
		return fmt.Errorf("%w: Ledger: half-life %v and repeat window %v, but Exposure.HalfLife is %v and Exposure.RepeatWindow %v",
			ErrConfig, h, w, ec.HalfLife, ec.RepeatWindow)
	}
	return nil
}

// id returns the string ID of index ix ("" if none).
func (e *Engine) id(ix uint32) string {
	id, _ := e.dict.ID(ix)
	return id
}

// claimShared claims the IDs of a batch in Config.EventIDs (ids[k] is the
// k-th event's, "" none) and returns, by position, the events another
// Engine (or an earlier call) already recorded, nil when none. Such an
// event is a duplicate for the shared counters (Config.Realtime), which
// must not count it again, but this process's own state (log, interest
// overlay, sets) has not seen it and takes it. When the store fails, no
// event counts as claimed elsewhere and the error is returned.
func (e *Engine) claimShared(ctx context.Context, ids []string) ([]bool, error) {
	if e.cfg.EventIDs == nil {
		return nil, nil
	}
	var pos []int
	var claim []string
	for k, id := range ids {
		if id != "" {
			pos, claim = append(pos, k), append(claim, id)
		}
	}
	if len(claim) == 0 {
		return nil, nil
	}
	fresh := make([]bool, len(claim))
	if err := e.cfg.EventIDs.Claim(ctx, claim, e.cfg.Clock(), fresh); err != nil {
		return nil, fmt.Errorf("shared event IDs: %w", err)
	}
	var elsewhere []bool
	for j, k := range pos {
		if !fresh[j] {
			if elsewhere == nil {
				elsewhere = make([]bool, len(ids))
			}
			elsewhere[k] = true
		}
	}
	return elsewhere, nil
}

// sharePairs adds the seen and blocked pairs of batch to Config.Seen and
// Config.Blocked (pairEffect's rule, as addSets).
func (e *Engine) sharePairs(ctx context.Context, batch []event) error {
	if e.cfg.Seen == nil && e.cfg.Blocked == nil {
		return nil
	}
	var seen, blocked []Pair
	for _, ev := range batch {
		a, t := e.id(ev.actor), e.id(ev.target)
		switch e.pairEffect(ev.action) {
		case pairBlocked:
			blocked = append(blocked, Pair{a, t}, Pair{t, a})
		case pairSeen:
			seen = append(seen, Pair{a, t})
		}
	}
	var errs []error
	if e.cfg.Seen != nil && len(seen) > 0 {
		if err := e.cfg.Seen.AddPairs(ctx, seen); err != nil {
			errs = append(errs, fmt.Errorf("shared seen pairs: %w", err))
		}
	}
	if e.cfg.Blocked != nil && len(blocked) > 0 {
		if err := e.cfg.Blocked.AddPairs(ctx, blocked); err != nil {
			errs = append(errs, fmt.Errorf("shared blocked pairs: %w", err))
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// sharedSets adds to seen and blocked the pairs of requester ix that the
// shared stores hold (IDs this Engine does not know yet are left out).
func (e *Engine) sharedSets(ctx context.Context, ix uint32, seen, blocked *bitmap.Bitmap) error {
	id := e.id(ix)
	var firstErr error
	for _, s := range []struct {
		store PairStore
		dst   *bitmap.Bitmap
		name  string
	}{{e.cfg.Seen, seen, "seen"}, {e.cfg.Blocked, blocked, "blocked"}} {
		if s.store == nil {
			continue
		}
		targets, err := s.store.Targets(ctx, id)
		if err != nil {
			if firstErr == nil {
				firstErr = fmt.Errorf("twoway: shared %s pairs of %q: %w", s.name, id, err)
			}
			continue
		}
		for _, t := range targets {
			if tx, ok := e.dict.Lookup(t); ok {
				s.dst.Set(tx)
			}
		}
	}
	return firstErr
}

// serve counts a served list in the exposure ledger: the shared one when
// configured, else this process's.
func (e *Engine) serve(ctx context.Context, ix uint32, served []uint32, expected []float64) error {
	if e.cfg.Ledger == nil {
		e.control.ServeExpected(ix, served, expected)
		return nil
	}
	if e.control.Config().Off || len(served) == 0 {
		return nil
	}
	ids := make([]string, len(served))
	for i, c := range served {
		ids[i] = e.id(c)
	}
	if _, err := e.cfg.Ledger.Serve(ctx, e.id(ix), e.cfg.Clock(), ids, expected); err != nil {
		return fmt.Errorf("twoway: shared exposure ledger: %w", err)
	}
	return nil
}

// congestion writes to answer[i] the share of one more contact idx[i] can
// answer at now (exposure.Controller.Congestion) from the shared ledger
// when configured, else this process's, and sets the candidates at the
// hard cap in excluded (when not nil). When the shared ledger fails, the
// loads count as 0 (the recent contacts still count) and the error is
// returned.
func (e *Engine) congestion(ctx context.Context, idx []uint32, caps, recent []float64, now time.Time, answer []float64, excluded *bitmap.Bitmap) error {
	if e.cfg.Ledger == nil || e.control.Config().Off {
		e.control.Congestion(idx, caps, recent, now, answer, excluded)
		return nil
	}
	ids := make([]string, len(idx))
	for i, c := range idx {
		ids[i] = e.id(c)
	}
	loads := make([]float64, len(idx))
	err := e.cfg.Ledger.Loads(ctx, now, ids, loads)
	if err != nil {
		clear(loads)
		err = fmt.Errorf("twoway: shared exposure ledger: %w", err)
	}
	e.control.CongestionFrom(idx, loads, caps, recent, answer, excluded)
	return err
}

// warnShared logs a shared store's failure on the request path.
func (e *Engine) warnShared(err error) {
	e.cfg.Logger.Warn("twoway: shared serving state unavailable; answering from this process's", "err", err)
}
