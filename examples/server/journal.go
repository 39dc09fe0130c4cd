package main

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twowayrec/twoway"
)

// journalSyncer applies the shared journal's new entries (twoway.Engine.Sync):
// once when the server opens (after the snapshot, which records where it
// left the journal), every Config.JournalSync in the background, and
// before every recommendation and explanation (syncFor), so that an answer
// includes every write acknowledged by any server before the request.
type journalSyncer struct {
	engine   *twoway.Engine
	interval time.Duration
	timeout  time.Duration
	log      *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	failing atomic.Bool // the last Sync failed
	lastErr atomic.Pointer[string]
}

func newJournalSyncer(eng *twoway.Engine, cfg Config) *journalSyncer {
	ctx, cancel := context.WithCancel(context.Background())
	return &journalSyncer{engine: eng, interval: cfg.JournalSync, timeout: 4 * cfg.RedisTimeout, log: cfg.Logger, ctx: ctx, cancel: cancel}
}

// start catches up once (a Redis that does not answer does not stop the
// start: the loop keeps trying) and starts the background loop.
func (j *journalSyncer) start() {
	start := time.Now()
	if err := j.sync(j.ctx); err != nil {
		j.log.Warn("journal: catching up at start failed; trying again", "err", err, "every", j.interval)
	} else {
		j.log.Info("journal: caught up", "offset", j.engine.JournalOffset().String(), "elapsed", time.Since(start))
	}
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		t := time.NewTicker(j.interval)
		defer t.Stop()
		for {
			select {
			case <-j.ctx.Done():
				return
			case <-t.C:
			}
			if err := j.sync(j.ctx); err != nil && j.ctx.Err() == nil {
				j.log.Warn("journal: sync failed", "err", err)
			}
		}
	}()
}

func (j *journalSyncer) stop() {
	j.cancel()
	j.wg.Wait()
}

// sync applies the journal to its end within the syncer's timeout.
func (j *journalSyncer) sync(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, j.timeout)
	defer cancel()
	err := j.engine.Sync(ctx)
	j.failing.Store(err != nil)
	if err != nil {
		msg := err.Error()
		j.lastErr.Store(&msg)
	}
	return err
}

// syncFor catches up before answering a request. When the journal cannot
// be read the request is answered from what this process has applied (its
// list may miss the latest writes of other servers), and the failure is
// logged and shown in /healthz.
func (j *journalSyncer) syncFor(ctx context.Context) {
	if j == nil {
		return
	}
	if err := j.sync(ctx); err != nil && ctx.Err() == nil {
		j.log.Warn("journal: answering without the latest entries", "err", err)
	}
}

// status describes the journal for /healthz: the offset applied, and
// whether the last Sync failed.
func (j *journalSyncer) status() (offset string, failing bool, detail string) {
	offset = j.engine.JournalOffset().String()
	if j.failing.Load() {
		if p := j.lastErr.Load(); p != nil {
			return offset, true, "journal unavailable: " + *p
		}
		return offset, true, "journal unavailable"
	}
	return offset, false, "ok"
}
