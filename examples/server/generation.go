package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/redisstore"
)

// counterGuard notices that Redis lost the real-time counters and rebuilds
// them from the Engine's behaviour log (redisstore's package doc has the
// generation marker it reads). It checks the marker when the server opens,
// every Config.GenerationCheck, and on every GET /healthz:
//
//   - the marker is the generation this process counts into: nothing to do;
//   - it is missing: the data is gone; this process writes a new generation
//     (SET NX: one process of several wins) and, if it won, calls
//     Engine.RebuildCounters in the background, holding the rebuilding
//     lease while it runs;
//   - it is another generation (another process rebuilt after a loss, or
//     this process just started): this process adopts it.
//
// A rebuild that fails (Redis went away in the middle) is tried again at
// the next check that reaches Redis, unless the marker went missing again,
// which starts a new generation.
type counterGuard struct {
	store    *redisstore.Store
	engine   *twoway.Engine
	log      *slog.Logger
	interval time.Duration
	timeout  time.Duration // of one check's round trips
	lease    time.Duration // of the rebuilding key; renewed every interval

	ctx    context.Context // cancelled by stop
	cancel context.CancelFunc
	wg     sync.WaitGroup // the ticker and the rebuilds

	checking sync.Mutex // one check at a time (TryLock: a health check does not queue)

	mu      sync.Mutex
	stopped bool        // stop was called: no rebuild starts any more
	gen     string      // the generation this process counts into; "" until a check reached Redis
	own     string      // the last generation this process wrote (and rebuilt)
	other   string      // another process's generation being rebuilt, as last seen
	running *rebuildRun // this process's rebuild, nil when none runs
	failed  string      // the generation whose rebuild failed, to be tried again
	lastErr error       // that failure

	rebuilds atomic.Int64 // rebuilds finished
}

// rebuildRun is one Engine.RebuildCounters in the background.
type rebuildRun struct {
	gen    string
	since  time.Time
	cancel context.CancelFunc
	done   chan struct{}
}

func newCounterGuard(store *redisstore.Store, engine *twoway.Engine, cfg Config) *counterGuard {
	ctx, cancel := context.WithCancel(context.Background())
	return &counterGuard{
		store: store, engine: engine, log: cfg.Logger,
		interval: cfg.GenerationCheck, timeout: cfg.RedisTimeout,
		lease: max(30*time.Second, 3*cfg.GenerationCheck),
		ctx:   ctx, cancel: cancel,
	}
}

// start checks the marker once now and, when that starts a rebuild (a
// Redis without this deployment's counters), waits for it: no event can
// be recorded before the replay has read the log, so none is counted
// twice. Then it checks every interval until stop.
func (g *counterGuard) start() {
	ctx, cancel := context.WithTimeout(g.ctx, g.timeout)
	if err := g.check(ctx); err != nil {
		g.log.Warn("real-time counters: generation check failed; trying again", "err", err, "every", g.interval)
	}
	cancel()
	g.mu.Lock()
	run := g.running
	g.mu.Unlock()
	if run != nil {
		<-run.done
	}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		t := time.NewTicker(g.interval)
		defer t.Stop()
		for {
			select {
			case <-g.ctx.Done():
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(g.ctx, g.timeout)
			if err := g.check(ctx); err != nil && g.ctx.Err() == nil {
				g.log.Debug("real-time counters: generation check failed", "err", err)
			}
			cancel()
		}
	}()
}

// stop ends the ticker and any rebuild, and waits for them.
func (g *counterGuard) stop() {
	g.mu.Lock()
	g.stopped = true
	g.mu.Unlock()
	g.cancel()
	g.wg.Wait()
}

// check reads the marker and acts on it (see counterGuard). When another
// check is under way it returns at once: that one's outcome will do.
func (g *counterGuard) check(ctx context.Context) error {
	if !g.checking.TryLock() {
		return nil
	}
	defer g.checking.Unlock()
	cur, other, err := g.store.Generation(ctx)
	if err != nil {
		return err
	}
	g.mu.Lock()
	mine, run, failed, own := g.gen, g.running, g.failed, g.own
	if other == own || (run != nil && other == run.gen) {
		other = "" // this process's own lease (or a stale one of it)
	}
	g.other = other
	g.mu.Unlock()
	switch {
	case cur == "":
		gen, err := newGeneration()
		if err != nil {
			return err
		}
		won, err := g.store.NewGeneration(ctx, gen, g.lease)
		if err != nil || !won {
			return err // lost the race: the next check adopts the winner's
		}
		if mine == "" {
			g.log.Info("real-time counters: no generation in Redis yet; filling it from the log", "generation", gen)
		} else {
			g.log.Warn("real-time counters: Redis lost its data (generation marker missing); rebuilding from the log",
				"old", mine, "new", gen)
		}
		g.stopRun(run) // lost again while rebuilding: start over
		g.rebuild(gen)
	case cur != mine:
		g.stopRun(run) // its counts would go into another generation's data
		g.mu.Lock()
		g.gen, g.failed, g.lastErr = cur, "", nil
		g.mu.Unlock()
		if mine != "" {
			g.log.Warn("real-time counters: another process started a new generation", "old", mine, "new", cur)
		}
	case failed == cur && run == nil:
		ok, err := g.store.Rebuilding(ctx, cur, g.lease)
		if err != nil || !ok {
			return err
		}
		g.log.Info("real-time counters: trying the failed rebuild again", "generation", cur)
		g.rebuild(cur)
	}
	return nil
}

// stopRun cancels run (nil: none) and waits for it to end.
func (g *counterGuard) stopRun(run *rebuildRun) {
	if run != nil {
		run.cancel()
		<-run.done
	}
}

// rebuild starts Engine.RebuildCounters for generation gen in the
// background. g.checking is held.
func (g *counterGuard) rebuild(gen string) {
	ctx, cancel := context.WithCancel(g.ctx)
	run := &rebuildRun{gen: gen, since: time.Now(), cancel: cancel, done: make(chan struct{})}
	g.mu.Lock()
	if g.stopped {
		g.mu.Unlock()
		cancel()
		return
	}
	g.gen, g.own, g.running, g.failed, g.lastErr = gen, gen, run, "", nil
	g.wg.Add(1) // under g.mu, so that stop's Wait cannot begin in between
	g.mu.Unlock()
	go func() {
		defer g.wg.Done()
		defer close(run.done)
		defer cancel()
		renewed := make(chan struct{})
		go func() { // keep the lease while the rebuild runs
			defer close(renewed)
			t := time.NewTicker(g.interval)
			defer t.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-t.C:
					rctx, rcancel := context.WithTimeout(ctx, g.timeout)
					_, _ = g.store.Rebuilding(rctx, gen, g.lease)
					rcancel()
				}
			}
		}()
		start := time.Now()
		err := g.engine.RebuildCounters(ctx)
		cancel()
		<-renewed
		rctx, rcancel := context.WithTimeout(context.WithoutCancel(g.ctx), g.timeout)
		_, _ = g.store.Rebuilding(rctx, gen, 0) // release the lease; expires by itself if this fails
		rcancel()
		g.mu.Lock()
		if g.running == run {
			g.running = nil
		}
		if err != nil && g.gen == gen && g.ctx.Err() == nil && !errors.Is(err, context.Canceled) {
			g.failed, g.lastErr = gen, err
		}
		g.mu.Unlock()
		switch {
		case err == nil:
			g.rebuilds.Add(1)
			g.log.Info("real-time counters rebuilt from the log", "generation", gen, "elapsed", time.Since(start))
		case errors.Is(err, context.Canceled):
			g.log.Info("real-time counters: rebuild stopped", "generation", gen)
		default:
			g.log.Error("real-time counters: rebuild failed; trying again at the next check", "generation", gen, "err", err)
		}
	}()
}

// counterStatus is what /healthz says about the counters.
type counterStatus struct {
	rebuilding bool // this or another process is rebuilding, or must try again
	detail     string
}

func (g *counterGuard) status() counterStatus {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case g.running != nil:
		return counterStatus{true, "rebuilding from the log since " + g.running.since.UTC().Format(time.RFC3339) +
			" (generation " + g.running.gen + "): urgency, activity and saturation are incomplete until it ends"}
	case g.failed != "":
		return counterStatus{true, "rebuilding: the last attempt failed (" + g.lastErr.Error() + "); trying again at the next check"}
	case g.other != "":
		return counterStatus{true, "rebuilding in another server process (generation " + g.other + ")"}
	case g.gen == "":
		return counterStatus{false, "generation not checked yet"}
	}
	return counterStatus{false, "ok (generation " + g.gen + ")"}
}

// newGeneration returns a random generation token.
func newGeneration() (string, error) {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}
