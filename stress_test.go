package twoway

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
)

var stressFor = flag.Duration("stress", 12*time.Second, "how long TestStressWatchdog runs its operations")

// watchdog fails the test with a dump of every goroutine when no operation
// has completed for stall, instead of letting a deadlock hang until the
// test binary's timeout. Operations call tick after each completion; stop
// ends the watch.
type watchdog struct {
	done  atomic.Int64 // completed operations
	stopc chan struct{}
	wg    sync.WaitGroup
	fired atomic.Bool
}

func newWatchdog(t *testing.T, stall time.Duration) *watchdog {
	t.Helper()
	w := &watchdog{stopc: make(chan struct{})}
	w.wg.Go(func() {
		last, since := w.done.Load(), time.Now()
		tk := time.NewTicker(stall / 10)
		defer tk.Stop()
		for {
			select {
			case <-w.stopc:
				return
			case <-tk.C:
			}
			if n := w.done.Load(); n != last {
				last, since = n, time.Now()
				continue
			}
			if time.Since(since) >= stall {
				w.fired.Store(true)
				var dump bytes.Buffer
				_ = pprof.Lookup("goroutine").WriteTo(&dump, 2)
				// A deadlocked test cannot return: print the dump and end the
				// process with a failure, as the test binary's own timeout
				// would, but after stall instead of ten minutes.
				fmt.Fprintf(os.Stderr, "--- FAIL: %s: no operation completed for %v (%d done); goroutines:\n%s",
					t.Name(), stall, last, dump.String())
				os.Exit(2)
			}
		}
	})
	return w
}

func (w *watchdog) tick() { w.done.Add(1) }

func (w *watchdog) stop() {
	close(w.stopc)
	w.wg.Wait()
}

// TestStressWatchdog runs every operation of the Engine at once for
// -stress (12 s by default): two requesters, an event stream, upserts,
// removals and re-additions, Fit and Save in a loop. It fails with a
// goroutine dump when no operation completes for 5 s, and checks at the end
// that the Engine still serves and that its snapshot loads.
func TestStressWatchdog(t *testing.T) {
	if testing.Short() {
		t.Skip("stress test: skipped with -short")
	}
	m, err := synth.Generate(synth.Config{Seed: 11, Seekers: 160, Jobs: 50, Events: 6000, Days: 10})
	require.NoError(t, err)
	e := newEngine(t, m, true)
	ctx := context.Background()
	now := endOf(m)()
	wd := newWatchdog(t, 5*time.Second)
	defer wd.stop()
	deadline := time.Now().Add(*stressFor)
	var ops [6]atomic.Int64
	var wg sync.WaitGroup
	run := func(k int, op func(i int) error) {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline); i++ {
				if err := op(i); err != nil {
					t.Errorf("operation %d, call %d: %v", k, i, err)
					return
				}
				ops[k].Add(1)
				wd.tick()
			}
		})
	}
	for g := range 2 {
		run(0, func(i int) error {
			ix := (g*89 + i*37) % len(m.Profiles)
			_, err := e.Recommend(ctx, Request{ID: m.Profiles[ix].ID, N: 10, DryRun: i%2 == 0, Explain: i%5 == 0})
			if errors.Is(err, ErrInactive) {
				return nil // removed by the remover below
			}
			return err
		})
	}
	run(1, func(i int) error {
		s, j := m.Profiles[i%m.NumSeekers].ID, m.Profiles[m.NumSeekers+(i*13)%m.NumJobs].ID
		act := []market.Action{market.Impression, market.View, market.Apply, market.Reply, market.Reject}[i%5]
		actor, target := s, j
		if act == market.Reply {
			actor, target = j, s
		}
		return e.Record(ctx, market.Event{Actor: actor, Target: target, Action: act, Time: now})
	})
	run(2, func(i int) error {
		return e.Upsert(ctx, m.Profiles[(i*7)%len(m.Profiles)], m.Profiles[(i*11+3)%len(m.Profiles)])
	})
	run(3, func(i int) error {
		// Remove a job, then bring it back with the next Upsert of it.
		p := m.Profiles[m.NumSeekers+(i*5)%m.NumJobs]
		if err := e.Remove(ctx, p.ID); err != nil {
			return err
		}
		return e.Upsert(ctx, p)
	})
	run(4, func(int) error { return e.Fit(ctx) })
	run(5, func(int) error { return e.Save(io.Discard) })
	wg.Wait()
	for k := range ops {
		require.Positive(t, ops[k].Load(), "operation %d completed at least once", k)
	}
	t.Logf("operations completed: recommend %d, record %d, upsert %d, remove %d, fit %d, save %d",
		ops[0].Load(), ops[1].Load(), ops[2].Load(), ops[3].Load(), ops[4].Load(), ops[5].Load())

	// Still serving, and its snapshot loads into a new Engine.
	_, err = e.Recommend(ctx, Request{ID: m.Profiles[0].ID, DryRun: true})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, e.Save(&buf))
	f, err := New(Config{Clock: endOf(m), Seed: 7})
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, f.Load(ctx, &buf))
}
