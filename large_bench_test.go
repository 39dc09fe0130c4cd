package twoway

import (
	"bufio"
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twowayrec/twoway/internal/cputime"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
)

// The large benchmarks run the Engine on synth.Large(): 100,000 seekers,
// 20,000 jobs and 5,000,000 events (synthetic). Building it takes minutes,
// so it is built once per process and only when a Large benchmark runs:
//
//	go test -run '^$' -bench 'Large' -benchtime 2000x -timeout 60m .
//
// To iterate faster, TWOWAY_LARGE_SNAPSHOT may name a snapshot file (put
// it under /tmp, never in the repository): largeEngine then loads the
// fitted Engine from it when it exists (Engine.Load, waiting until bleve
// holds every profile so that no backfill runs beside the benchmark), and
// otherwise builds and fits the Engine as usual and Saves it there. A
// loaded Engine recommends exactly as the fitted one (BenchmarkLargeSaveLoad
// and the snapshot tests check it), but the file goes stale whenever a
// change alters what Fit computes or the snapshot's format: delete it then.
// BenchmarkLargeBuild's upsert, record and fit figures are zero for a
// loaded Engine.
//
// TWOWAY_LARGE_ALLOCATION=1 turns the market-level reranker on
// (Config.Allocation); BenchmarkLargeBuild then reports the allocation
// stage's time (allocation-s; allocation-graph-s of it recalling and
// scoring the rows, the rest the IPFP fit), and the Recommend benchmarks
// measure requests ranked by it. Give such a run its own snapshot file.
// TWOWAY_LARGE_ALLOCATION_WINDOW sets Config.Allocation.Window (a Go
// duration: "-1ns" prices every seeker, "72h" those active in three days).

var large struct {
	once   sync.Once
	m      *synth.Market
	e      *Engine
	upsert time.Duration // Upsert of every profile, one batch
	record time.Duration // Record of the whole log, in batches of 1,000
	fit    time.Duration
	stages map[string]time.Duration // each Fit stage's time
	heap   uint64                   // live heap after Fit and GC
	rss    uint64                   // resident set after Fit
	err    error
}

func largeEngine(b *testing.B) (*synth.Market, *Engine) {
	b.Helper()
	large.once.Do(func() {
		m, err := synth.Generate(synth.Large())
		if err != nil {
			large.err = err
			return
		}
		cfg := Config{Clock: endOf(m), Seed: 1}
		cfg.Allocation.On = os.Getenv("TWOWAY_LARGE_ALLOCATION") == "1"
		if w := os.Getenv("TWOWAY_LARGE_ALLOCATION_WINDOW"); w != "" {
			if cfg.Allocation.Window, large.err = time.ParseDuration(w); large.err != nil {
				return
			}
		}
		large.stages = map[string]time.Duration{}
		var started time.Duration
		cfg.OnProgress = func(p Progress) {
			switch {
			case p.Step == "" && !p.Done:
				started = p.Elapsed
			case p.Done:
				large.stages[p.Stage] = p.Elapsed - started
			case p.Stage == "allocation" && p.Step == "fit":
				large.stages["allocation graph"] = p.Elapsed - started
			}
		}
		e, err := New(cfg)
		if err != nil {
			large.err = err
			return
		}
		if large.err = buildLarge(context.Background(), e, m, os.Getenv("TWOWAY_LARGE_SNAPSHOT")); large.err != nil {
			return
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		large.heap, large.rss = ms.HeapAlloc, rss()
		large.m, large.e = m, e
	})
	if large.err != nil {
		b.Fatal(large.err)
	}
	return large.m, large.e
}

// buildLarge fills e with m: loaded from the snapshot file snap when it
// exists (waiting for bleve's backfill), else upserted, recorded and
// fitted (timed in large), and saved to snap when it is set.
func buildLarge(ctx context.Context, e *Engine, m *synth.Market, snap string) error {
	if snap != "" {
		if f, err := os.Open(snap); err == nil {
			defer f.Close()
			if err := e.Load(ctx, f); err != nil {
				return err
			}
			return e.index.Backfilled(ctx)
		}
	}
	start := time.Now()
	if err := e.Upsert(ctx, m.Profiles...); err != nil {
		return err
	}
	large.upsert = time.Since(start)
	start = time.Now()
	if err := recordMarket(ctx, e, m); err != nil {
		return err
	}
	large.record = time.Since(start)
	start = time.Now()
	if err := e.Fit(ctx); err != nil {
		return err
	}
	large.fit = time.Since(start)
	if snap != "" {
		return saveFile(e, snap)
	}
	return nil
}

// saveFile saves e's snapshot to the file path, through a temporary file
// renamed into place so that an interrupted Save leaves no partial file.
func saveFile(e *Engine, path string) error {
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	w := bufio.NewWriter(f)
	if err := e.Save(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// rss reads the resident set size from /proc (0 where there is none).
func rss() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseUint(f[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

// BenchmarkLargeBuild reports the one-off costs: upserting the 120,000
// profiles (analysis and indexing), recording the 5M-event log and the
// Fit, and the memory held after it.
func BenchmarkLargeBuild(b *testing.B) {
	largeEngine(b)
	for b.Loop() {
	}
	b.ReportMetric(large.upsert.Seconds(), "upsert-s")
	b.ReportMetric(large.fit.Seconds(), "fit-s")
	for _, stage := range []string{"text", "recall", "factors", "match", "urgency", "exposure"} {
		if d, ok := large.stages[stage]; ok {
			b.ReportMetric(d.Seconds(), stage+"-s")
		}
	}
	if d, ok := large.stages["allocation"]; ok {
		b.ReportMetric(d.Seconds(), "allocation-s")
		if g, ok := large.stages["allocation graph"]; ok {
			b.ReportMetric(g.Seconds(), "allocation-graph-s")
		}
	}
	b.ReportMetric(float64(5_000_000)/large.record.Seconds(), "record-events/s")
	b.ReportMetric(float64(large.heap)/(1<<30), "heap-GiB")
	b.ReportMetric(float64(large.rss)/(1<<30), "rss-GiB")
}

// BenchmarkLargeFitPeak fits a fresh Engine on synth.Large() (not the
// shared one of the other Large benchmarks) and measures the live heap at
// every Progress step of the Fit, after a forced collection: peak-live-GiB
// is the largest, logged with its step. The collections slow the Fit, so
// time it with BenchmarkLargeBuild; the resident set a process reaches is
// about the peak times GOGC's factor (2 by default) unless GOMEMLIMIT caps
// it.
func BenchmarkLargeFitPeak(b *testing.B) {
	m, err := synth.Generate(synth.Large())
	if err != nil {
		b.Fatal(err)
	}
	var peak uint64
	var at, last string
	cfg := Config{Clock: endOf(m), Seed: 1}
	cfg.OnProgress = func(p Progress) {
		step := p.Stage + ": " + p.Step
		if step == last {
			return
		}
		last = step
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapAlloc > peak {
			peak, at = ms.HeapAlloc, step
		}
	}
	for b.Loop() {
		e, err := New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		if err := feedMarket(context.Background(), e, m); err != nil {
			b.Fatal(err)
		}
		if err := e.Fit(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("peak live heap %.2f GiB at %q", float64(peak)/(1<<30), at)
	b.ReportMetric(float64(peak)/(1<<30), "peak-live-GiB")
}

// requesters draws active requesters from both sides (4 seekers : 1 job).
func requesters(m *synth.Market, n int) []string {
	r := rand.New(rand.NewPCG(11, 12))
	ids := make([]string, n)
	for i := range ids {
		ix := r.IntN(m.NumSeekers)
		if i%5 == 4 {
			ix = m.NumSeekers + r.IntN(m.NumJobs)
		}
		ids[i] = m.Profiles[ix].ID
	}
	return ids
}

// BenchmarkLargeRecommend measures one request at a time: ns/op is the
// mean; p50-ms and p99-ms are from the per-request latencies.
func BenchmarkLargeRecommend(b *testing.B) {
	m, e := largeEngine(b)
	ctx := context.Background()
	ids := requesters(m, 4096)
	var lat []time.Duration
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		start := time.Now()
		resp, err := e.Recommend(ctx, Request{ID: ids[i%len(ids)], N: 10, DryRun: true})
		lat = append(lat, time.Since(start))
		if err != nil || len(resp.Results) == 0 {
			b.Fatalf("request %d: %v (%d results)", i, err, len(resp.Results))
		}
		i++
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
}

// BenchmarkLargeRecommendParallel measures throughput with GOMAXPROCS
// goroutines (2 on the development machine).
func BenchmarkLargeRecommendParallel(b *testing.B) {
	m, e := largeEngine(b)
	ctx := context.Background()
	ids := requesters(m, 4096)
	var next sync.Mutex
	i := 0
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			next.Lock()
			id := ids[i%len(ids)]
			i++
			next.Unlock()
			if _, err := e.Recommend(ctx, Request{ID: id, N: 10, DryRun: true}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkLargeRecommendBatch measures RecommendBatch on batches of 64
// requests: ns/op is per request, to compare with
// BenchmarkLargeRecommendParallel (the same requests, one Recommend each,
// GOMAXPROCS goroutines).
func BenchmarkLargeRecommendBatch(b *testing.B) {
	m, e := largeEngine(b)
	ctx := context.Background()
	ids := requesters(m, 4096)
	const size = 64
	batch := make([]Request, size)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%size == 0 {
			for j := range batch {
				batch[j] = Request{ID: ids[(i+j)%len(ids)], N: 10, DryRun: true}
			}
			out, err := e.RecommendBatch(ctx, batch)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range out {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		}
		i++
	}
}

// BenchmarkLargeRecommendFiltered is BenchmarkLargeRecommend with
// structured filters on (pay and experience ranges, a minimum education),
// whose pass over the other side's active participants is the extra cost.
func BenchmarkLargeRecommendFiltered(b *testing.B) {
	m, e := largeEngine(b)
	ctx := context.Background()
	ids := requesters(m, 4096)
	f := Filters{SalaryMin: 8000, ExperienceMax: 10, MinEducation: market.EducationAssociate, Unstated: true}
	var lat []time.Duration
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		start := time.Now()
		_, err := e.Recommend(ctx, Request{ID: ids[i%len(ids)], N: 10, DryRun: true, Filters: f})
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatalf("request %d: %v", i, err)
		}
		i++
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
}

// BenchmarkLargeSaveLoad reports the Save of the fitted large Engine, the
// snapshot's size, the Load of it into a new Engine (the models and the
// index's posting cache restored, no refit, no profile analysed) and the
// time until bleve holds every profile (backfill-s, from the Load's start),
// and checks that the loaded Engine recommends
// exactly as the saved one for 1,000 requesters (the same IDs in the same
// order with the same scores). Each run does one Save and one Load
// whatever b.N (about a minute: run it with -count 1 or 2). It runs before
// BenchmarkLargeRecord, which changes the Engine.
func BenchmarkLargeSaveLoad(b *testing.B) {
	m, e := largeEngine(b)
	ctx := context.Background()
	var buf bytes.Buffer
	start := time.Now()
	if err := e.Save(&buf); err != nil {
		b.Fatal(err)
	}
	save := time.Since(start)
	f, err := New(Config{Clock: endOf(m), Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	start = time.Now()
	cpu0, _ := cputime.Process()
	if err := f.Load(ctx, bytes.NewReader(buf.Bytes())); err != nil {
		b.Fatal(err)
	}
	load := time.Since(start)
	cpu1, _ := cputime.Process() // every goroutine's, the GC's too: what Load costs however busy the machine
	loadCPU := cpu1 - cpu0
	// Bleve fills behind the loaded Engine while the check below runs
	// requests on it.
	var filled time.Duration
	fillErr := make(chan error, 1)
	go func() {
		err := f.index.Backfilled(ctx)
		filled = time.Since(start)
		fillErr <- err
	}()
	size := buf.Len()
	buf = bytes.Buffer{} // the snapshot's bytes are not kept while comparing
	for i, id := range requesters(m, 1000) {
		want, err := e.Recommend(ctx, Request{ID: id, N: 10, DryRun: true})
		if err != nil {
			b.Fatal(err)
		}
		got, err := f.Recommend(ctx, Request{ID: id, N: 10, DryRun: true})
		if err != nil {
			b.Fatal(err)
		}
		if len(got.Results) != len(want.Results) {
			b.Fatalf("requester %d (%s): %d results after Load, %d before", i, id, len(got.Results), len(want.Results))
		}
		for k := range want.Results {
			if g, w := got.Results[k], want.Results[k]; g.ID != w.ID || g.Score != w.Score {
				b.Fatalf("requester %d (%s), result %d: %s %v after Load, %s %v before", i, id, k, g.ID, g.Score, w.ID, w.Score)
			}
		}
	}
	if err := <-fillErr; err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
	}
	b.ReportMetric(save.Seconds(), "save-s")
	b.ReportMetric(load.Seconds(), "load-s")
	b.ReportMetric(loadCPU.Seconds(), "load-cpu-s")
	b.ReportMetric(filled.Seconds(), "backfill-s")
	b.ReportMetric(float64(size)/(1<<20), "snapshot-MiB")
}

// BenchmarkLargeRecord measures Record of one event at a time on the
// fitted large Engine (the real-time path: counters, overlay, seen sets).
func BenchmarkLargeRecord(b *testing.B) {
	m, e := largeEngine(b)
	ctx := context.Background()
	at := endOf(m)()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ev := m.Events[i%len(m.Events)]
		ev.Time = at
		if err := e.Record(ctx, ev); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
