package activity

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twowayrec/twoway/internal/cputime"
	"github.com/twowayrec/twoway/market"
)

// benchEvents returns n seeded events among users seekers and jobs, spread
// over 30 days before monday, in time order.
func benchEvents(n, seekers, jobs int) []Event {
	rng := rand.New(rand.NewPCG(1, 2))
	acts := []market.Action{market.Impression, market.View, market.View, market.Favourite, market.Chat, market.Reply}
	evs := make([]Event, n)
	step := 30 * day / time.Duration(n)
	for i := range evs {
		s := uint32(rng.IntN(seekers))
		j := uint32(seekers + rng.IntN(jobs))
		a, b := s, j
		if rng.IntN(3) == 0 {
			a, b = j, s
		}
		evs[i] = Event{Actor: a, Target: b, Action: acts[rng.IntN(len(acts))], Time: monday.Add(-30*day + time.Duration(i)*step)}
	}
	return evs
}

// BenchmarkRecord measures the real-time update of one event (actor and
// target counters) on the in-memory store, once every participant exists.
func BenchmarkRecord(b *testing.B) {
	const n = 1 << 16
	evs := benchEvents(n, 100_000, 20_000)
	tr, err := New(Config{Clock: func() time.Time { return monday }})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, e := range evs { // warm up: create every participant's ring
		if err := tr.Record(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	cpu := cputime.Start()
	for b.Loop() {
		if err := tr.Record(ctx, evs[i&(n-1)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	cpu.Report(b)
	b.StopTimer()
	// Check: the last event's target saw it counted.
	e := evs[(i-1)&(n-1)]
	var f Features
	if err := tr.Features(ctx, e.Target, monday, &f); err != nil {
		b.Fatal(err)
	}
	var received float64
	for c := ViewsReceived; c <= ImpressionsReceived; c++ {
		received += f.Count(f.Longest(), c)
	}
	if received < 1 {
		b.Fatalf("target %d has no received counts", e.Target)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkFeatures measures reading one participant's real-time features.
func BenchmarkFeatures(b *testing.B) {
	const n = 1 << 16
	evs := benchEvents(n, 1000, 200)
	tr, err := New(Config{Clock: func() time.Time { return monday }})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, e := range evs {
		if err := tr.Record(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	var f Features
	u := uint32(0)
	cpu := cputime.Start()
	for b.Loop() {
		if err := tr.Features(ctx, u%1200, monday, &f); err != nil {
			b.Fatal(err)
		}
		u++
	}
	cpu.Report(b)
	if f.NumWindows != 3 || !f.Active {
		b.Fatalf("features not filled: %+v", f)
	}
}

// BenchmarkRecordParallel measures Record from GOMAXPROCS goroutines at
// once on one shared tracker.
func BenchmarkRecordParallel(b *testing.B) {
	const n = 1 << 16
	evs := benchEvents(n, 100_000, 20_000)
	tr, err := New(Config{Clock: func() time.Time { return monday }})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, e := range evs {
		if err := tr.Record(ctx, e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var next atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		i := int(next.Add(1) * 7919)
		for pb.Next() {
			if err := tr.Record(ctx, evs[i&(n-1)]); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
