package twoway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
)

// ErrOtherMarket is wrapped by the error of Reload when the snapshot's
// market is not the Engine's: after both were brought to one journal
// offset, their participants or their logs differ (the snapshot was saved
// by a process of another market or another journal, or this process
// missed entries, for example across a trimmed journal). The Engine keeps
// serving what it served; restart it from the snapshot (New and Load)
// instead.
var ErrOtherMarket = errors.New("twoway: reload: the snapshot is of another market")

// Reload swaps the fitted models of a snapshot (written by Save, usually
// on the process that fits) into this running Engine. It is how the
// servers of one market take a new Fit without refitting and without a
// restart: one process fits and saves, the others Reload what it saved.
//
// The snapshot is decoded beside the serving state, into a second Engine
// with this one's configuration (an in-memory index, no Observer), which
// is brought to the end of Config.Journal; then, with this Engine's
// journal application paused, both are brought to the same journal
// offset, and the loaded state replaces the served one in one atomic
// step. Requests running meanwhile are served by the old models
// throughout, and those that start after Reload returns by the new ones;
// writes (Upsert, Remove, Record) that arrive during the final step wait
// for it. Afterwards the Engine recommends exactly as an Engine started
// from the snapshot (New, Load, Sync) would at the same journal offset,
// and Stats.ModelVersion is the snapshot's.
//
// The real-time state of the Engine's own (its exposure ledger, event IDs
// and parked events, and, without Config.Realtime, its behaviour
// counters) is kept: it is the same market's, and the loaded models read
// it from then on.
//
// Reload needs Config.Journal: that is what makes the snapshot's market
// and this Engine's the same at one offset. On an empty Engine it is Load.
// A corrupt snapshot is an error wrapping ErrCorruptSnapshot, one without
// fitted models an error wrapping ErrBadRequest, one of another market an
// error wrapping ErrOtherMarket; in every case the Engine is unchanged.
// The decode holds a second copy of the market in memory until Reload
// returns.
func (e *Engine) Reload(ctx context.Context, r io.Reader) error {
	if e.empty() {
		err := e.Load(ctx, r)
		if !errors.Is(err, ErrNotEmpty) {
			return err
		}
		// A write got in first: it is a running Engine after all, but
		// Load consumed the reader.
		return fmt.Errorf("twoway: reload: the Engine received its first write during the reload; reload again: %w", err)
	}
	if e.cfg.Journal == nil {
		return fmt.Errorf("%w: Reload of a running Engine needs Config.Journal (without it, restart from the snapshot with New and Load)", ErrConfig)
	}
	cfg := e.given
	cfg.Observer, cfg.OnProgress = nil, nil
	cfg.Recall.IndexPath = ""
	cfg.Journal = readOnlyJournal{e.cfg.Journal} // the shadow only applies
	shadow, err := New(cfg)
	if err != nil {
		return fmt.Errorf("twoway: reload: %w", err)
	}
	defer shadow.Close()
	if err := shadow.Load(ctx, r); err != nil {
		return fmt.Errorf("twoway: reload: %w", err)
	}
	shadow.idMu.Lock()
	shadow.parked = nil // the fitter's, appended by the fitter
	shadow.idMu.Unlock()
	if !shadow.state.Load().fitted {
		return fmt.Errorf("%w: reload: the snapshot holds no fitted models", ErrBadRequest)
	}
	// Most of the journal since the snapshot is applied here, with this
	// Engine still applying entries; the paused step below has only the
	// last few to do.
	if err := shadow.Sync(ctx); err != nil {
		return fmt.Errorf("twoway: reload: bringing the snapshot to the journal's end: %w", err)
	}

	upserted, err := e.swapIn(ctx, shadow)
	if upserted {
		// Events parked for profiles the final step applied.
		err = errors.Join(err, e.recordParked(ctx))
	}
	return err
}

// swapIn brings e and shadow to one journal offset with e's application
// of entries paused, checks that they hold the same market and publishes
// shadow's state in e. upserted reports whether e applied a profile entry.
func (e *Engine) swapIn(ctx context.Context, shadow *Engine) (upserted bool, err error) {
	e.syncMu.Lock()
	defer e.syncMu.Unlock()
	shadow.syncMu.Lock()
	defer shadow.syncMu.Unlock()
	at, sat := e.JournalOffset(), shadow.JournalOffset()
	switch at.Compare(sat) {
	case -1:
		if _, upserted, err = e.syncLocked(ctx, sat, false); err != nil {
			return upserted, fmt.Errorf("twoway: reload: bringing the Engine to the snapshot's journal offset %v: %w", sat, err)
		}
	case 1:
		if _, _, err = shadow.syncLocked(ctx, at, false); err != nil {
			return false, fmt.Errorf("twoway: reload: bringing the snapshot to the Engine's journal offset %v: %w", at, err)
		}
	}

	e.fitMu.Lock()
	defer e.fitMu.Unlock()
	shadow.mu.RLock()
	defer shadow.mu.RUnlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := sameMarket(e, shadow); err != nil {
		return upserted, err
	}
	e.dirty = maps.Clone(shadow.dirty)
	e.publish(shadow.state.Load())
	e.excl.Store(nil)
	return upserted, nil
}

// sameMarket checks that e and o hold the same participants, profiles
// removed alike, and the same log, at the same journal offset. Both mu
// are held.
func sameMarket(e, o *Engine) error {
	if e.journalAt != o.journalAt {
		return fmt.Errorf("%w: at journal offset %v, the snapshot at %v", ErrOtherMarket, e.journalAt, o.journalAt)
	}
	if n, m := e.dict.Len(), o.dict.Len(); n != m {
		return fmt.Errorf("%w: %d participants, the snapshot's market %d", ErrOtherMarket, n, m)
	}
	for ix := range uint32(e.dict.Len()) {
		if a, b := e.id(ix), o.id(ix); a != b {
			return fmt.Errorf("%w: participant %d is %q, in the snapshot's market %q", ErrOtherMarket, ix, a, b)
		}
	}
	if !slices.Equal(e.removed, o.removed) || len(e.profiles) != len(o.profiles) {
		return fmt.Errorf("%w: the removed profiles differ", ErrOtherMarket)
	}
	if !slices.Equal(e.log, o.log) {
		return fmt.Errorf("%w: the behaviour logs differ (%d events, the snapshot's market %d)", ErrOtherMarket, len(e.log), len(o.log))
	}
	return nil
}

// readOnlyJournal is the journal of Reload's second Engine, which applies
// entries but must never append one.
type readOnlyJournal struct{ Journal }

func (readOnlyJournal) Append(context.Context, []byte) (Offset, error) {
	return Offset{}, errors.New("twoway: reload: the snapshot's Engine does not append")
}
