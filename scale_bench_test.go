package twoway

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/twowayrec/twoway/internal/cputime"
	"github.com/twowayrec/twoway/internal/synth"
)

// BenchmarkScale measures how the Engine's costs grow with the market, on
// simulated markets shaped like synth.Large() (5 seekers to 1 job, 41.7
// events per participant) of 12,000, 30,000, 60,000 and 120,000
// participants: the Fit's wall time, the live heap the Engine holds after
// it (the generated market released, after a GC), the snapshot's size,
// the Load's wall time and process CPU time (every goroutine and the GC:
// the figure a busy machine does not inflate), and Recommend's p50 over 1,000 requests. The last
// sub-benchmark, "slopes", reports the least-squares slope of each against
// the number of participants on log-log axes (1: linear growth). One run
// per size whatever b.N (about 10 minutes in all; the largest holds about
// 7 GiB at its peak). With $TWOWAY_HEAP_PROFILE set, each size writes a
// heap profile of the fitted Engine to that path plus ".<participants>":
//
//	go test -run '^$' -bench '^BenchmarkScale$' -benchtime 1x -timeout 60m .
func BenchmarkScale(b *testing.B) {
	type row struct {
		n                        int
		fit, load, loadCPU       time.Duration
		heap, snapshot, p50, p99 float64
	}
	var rows []row
	for _, n := range []int{12_000, 30_000, 60_000, 120_000} {
		b.Run(fmt.Sprintf("participants=%d", n), func(b *testing.B) {
			r := row{n: n}
			e, clock, ids := scaleEngine(b, n) // the generated market is released
			defer e.Close()
			ctx := context.Background()
			start := time.Now()
			if err := e.Fit(ctx); err != nil {
				b.Fatal(err)
			}
			r.fit = time.Since(start)
			runtime.GC()
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			r.heap = float64(ms.HeapAlloc) / (1 << 20)
			if out := os.Getenv("TWOWAY_HEAP_PROFILE"); out != "" {
				if err := writeHeapProfile(fmt.Sprintf("%s.%d", out, n)); err != nil {
					b.Fatal(err)
				}
			}

			lat := make([]time.Duration, 0, len(ids))
			for _, id := range ids {
				start := time.Now()
				if _, err := e.Recommend(ctx, Request{ID: id, N: 10, DryRun: true}); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			slices.Sort(lat)
			r.p50 = float64(lat[len(lat)/2]) / 1e6
			r.p99 = float64(lat[len(lat)*99/100]) / 1e6

			var buf bytes.Buffer
			if err := e.Save(&buf); err != nil {
				b.Fatal(err)
			}
			r.snapshot = float64(buf.Len()) / (1 << 20)
			f, err := New(Config{Clock: clock, Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			start = time.Now()
			cpu0, _ := cputime.Process()
			if err := f.Load(ctx, &buf); err != nil {
				b.Fatal(err)
			}
			r.load = time.Since(start)
			cpu1, _ := cputime.Process()
			r.loadCPU = cpu1 - cpu0
			rows = append(rows, r)
			for b.Loop() {
			}
			b.ReportMetric(r.fit.Seconds(), "fit-s")
			b.ReportMetric(r.heap, "heap-MiB")
			b.ReportMetric(r.snapshot, "snapshot-MiB")
			b.ReportMetric(r.load.Seconds(), "load-s")
			b.ReportMetric(r.loadCPU.Seconds(), "load-cpu-s")
			b.ReportMetric(r.p50, "p50-ms")
			b.ReportMetric(r.p99, "p99-ms")
		})
	}
	b.Run("slopes", func(b *testing.B) {
		if len(rows) < 2 {
			b.Skip("needs two sizes or more (run the whole benchmark)")
		}
		slope := func(y func(row) float64) float64 {
			var xs, ys []float64
			for _, r := range rows {
				xs, ys = append(xs, math.Log(float64(r.n))), append(ys, math.Log(y(r)))
			}
			_, beta := stat.LinearRegression(xs, ys, nil, false)
			return beta
		}
		for b.Loop() {
		}
		b.ReportMetric(slope(func(r row) float64 { return r.fit.Seconds() }), "fit-slope")
		b.ReportMetric(slope(func(r row) float64 { return r.heap }), "heap-slope")
		b.ReportMetric(slope(func(r row) float64 { return r.snapshot }), "snapshot-slope")
		b.ReportMetric(slope(func(r row) float64 { return r.load.Seconds() }), "load-slope")
		b.ReportMetric(slope(func(r row) float64 { return r.p50 }), "p50-slope")
	})
}

// scaleEngine builds an unfitted Engine on a market of n participants
// shaped like synth.Large(), and returns it with the market's clock and
// 1,000 requesters; the market itself is not kept.
func scaleEngine(b *testing.B, n int) (*Engine, func() time.Time, []string) {
	b.Helper()
	m, err := synth.Generate(synth.Config{Seed: 1, Seekers: n * 5 / 6, Jobs: n / 6, Events: n * 125 / 3})
	if err != nil {
		b.Fatal(err)
	}
	clock := endOf(m)
	e, err := New(Config{Clock: clock, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	if err := feedMarket(context.Background(), e, m); err != nil {
		b.Fatal(err)
	}
	return e, clock, requesters(m, 1000)
}

// feedMarket upserts m's profiles into e and records its events
// (recordMarket), as a host replaying its log would.
func feedMarket(ctx context.Context, e *Engine, m *synth.Market) error {
	if err := e.Upsert(ctx, m.Profiles...); err != nil {
		return err
	}
	return recordMarket(ctx, e, m)
}

// recordMarket records m's events into e in batches of 1,000.
func recordMarket(ctx context.Context, e *Engine, m *synth.Market) error {
	for i := 0; i < len(m.Events); i += 1000 {
		if err := e.Record(ctx, m.Events[i:min(i+1000, len(m.Events))]...); err != nil {
			return err
		}
	}
	return nil
}
