package recall_test

import (
	"context"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kelindar/bitmap"
	"github.com/twowayrec/twoway/internal/cputime"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/recall"
)

// The large benchmarks run on synth.Large(): 100,000 seekers, 20,000 jobs,
// 5,000,000 simulated events. The market is generated once per process.
//
//	go test -run '^$' -bench Large -benchtime 1x -count 5 ./recall/

var large struct {
	once   sync.Once
	m      *synth.Market
	events []recall.Event
	pop    *recall.Population
	err    error
}

func loadLarge(b *testing.B) {
	b.Helper()
	large.once.Do(func() {
		m, err := synth.Generate(synth.Large())
		if err != nil {
			large.err = err
			return
		}
		large.m = m
		large.events = make([]recall.Event, len(m.Events))
		for i, e := range m.Events {
			large.events[i] = recall.Event{Actor: m.Pairs[i].Actor, Target: m.Pairs[i].Target, Action: e.Action, Time: e.Time}
		}
		large.pop = &recall.Population{}
		for i := range m.Profiles {
			if err := large.pop.Upsert(uint32(i), &m.Profiles[i]); err != nil {
				large.err = err
				return
			}
		}
	})
	if large.err != nil {
		b.Fatal(large.err)
	}
}

// threadCPU is the calling thread's CPU time (wall time where the platform
// has no thread clock). The caller holds runtime.LockOSThread.
func threadCPU() time.Duration {
	if d, ok := cputime.Thread(); ok {
		return d
	}
	return time.Duration(time.Now().UnixNano())
}

func largeClock() time.Time {
	return large.m.Events[len(large.m.Events)-1].Time
}

func newLargeInterest(b *testing.B) *recall.Interest {
	b.Helper()
	x, err := recall.NewInterest(recall.InterestConfig{HalfLife: 14 * 24 * time.Hour, Clock: largeClock})
	if err != nil {
		b.Fatal(err)
	}
	if err := x.Fit(context.Background(), slices.Values(large.events)); err != nil {
		b.Fatal(err)
	}
	return x
}

// peakHeap runs f and returns the peak of live heap objects above the
// level before f, sampled every millisecond.
func peakHeap(f func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if v := read(); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	})
	f()
	close(done)
	wg.Wait()
	if v := read(); v > peak.Load() {
		peak.Store(v)
	}
	if peak.Load() < base {
		return 0
	}
	return peak.Load() - base
}

type fitter interface{ Fit(context.Context) error }

func BenchmarkFitLarge(b *testing.B) {
	loadLarge(b)
	b.Run("interest", func(b *testing.B) {
		b.ReportAllocs()
		var x *recall.Interest
		var peak uint64
		for b.Loop() {
			peak = max(peak, peakHeap(func() { x = newLargeInterest(b) }))
		}
		st := x.Stats()
		if st.Events != len(large.events) || st.Cells == 0 {
			b.Fatalf("stats %+v", st)
		}
		b.ReportMetric(float64(peak)/1e6, "peak-MB")
		b.ReportMetric(float64(st.Cells), "cells")
	})
	x := newLargeInterest(b)
	for _, tc := range []struct {
		name string
		make func() (fitter, func() int)
	}{
		{"itemcf", func() (fitter, func() int) { r, _ := recall.NewItemCF(x, recall.CFConfig{}); return r, r.Size }},
		{"usercf", func() (fitter, func() int) { r, _ := recall.NewUserCF(x, recall.CFConfig{}); return r, r.Size }},
		{"swing", func() (fitter, func() int) {
			r, _ := recall.NewSwing(x, recall.SwingConfig{Beta: 0.5})
			return r, r.Size
		}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var peak uint64
			var size func() int
			for b.Loop() {
				var r fitter
				r, size = tc.make()
				peak = max(peak, peakHeap(func() {
					if err := r.Fit(context.Background()); err != nil {
						b.Fatal(err)
					}
				}))
			}
			if size() == 0 {
				b.Fatal("no neighbours")
			}
			b.ReportMetric(float64(peak)/1e6, "peak-MB")
			b.ReportMetric(float64(size()), "pairs")
		})
	}
}

// fitted is the state the request benchmarks share, fitted once.
var fitted struct {
	once                sync.Once
	x                   *recall.Interest
	item, swing         *recall.ItemCF
	user                *recall.UserCF
	hot                 *recall.Hot
	fresh               *recall.Fresh
	merged              *recall.Merger
	requesters          []uint32
	seen                []bitmap.Bitmap
	exclude             bitmap.Bitmap
	cities              [][]string
	seekers, recruiters int
}

func fitLarge(b *testing.B) {
	loadLarge(b)
	fitted.once.Do(func() {
		f := &fitted
		f.x = newLargeInterest(b)
		f.item, _ = recall.NewItemCF(f.x, recall.CFConfig{})
		f.user, _ = recall.NewUserCF(f.x, recall.CFConfig{})
		f.swing, _ = recall.NewSwing(f.x, recall.SwingConfig{Beta: 0.5})
		for _, r := range []fitter{f.item, f.user, f.swing} {
			if err := r.Fit(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
		f.hot = recall.NewHot(f.x)
		f.hot.Refresh()
		f.fresh, _ = recall.NewFresh(large.pop, recall.FreshConfig{})
		var err error
		f.merged, err = recall.NewMerger(recall.MergeConfig{Method: recall.RRF, Sources: []recall.Source{
			{Name: "itemcf", Recaller: f.item, Quota: 100}, {Name: "usercf", Recaller: f.user, Quota: 100},
			{Name: "swing", Recaller: f.swing, Quota: 100}, {Name: "hot", Recaller: f.hot, Quota: 50},
		}})
		if err != nil {
			b.Fatal(err)
		}
		// 2,000 requesters with history, both sides, seeded; filters: the
		// requester's city plus one other, active only, already seen (the
		// requester's history), and 5% of the market over-exposed.
		rng := rand.New(rand.NewPCG(42, 42))
		m := large.m
		for len(f.requesters) < 2000 {
			u := uint32(rng.IntN(len(m.Profiles)))
			h := f.x.History(u, nil)
			if len(h) == 0 {
				continue
			}
			var seen bitmap.Bitmap
			for _, e := range h {
				seen.Set(e.Index)
			}
			other := m.Profiles[rng.IntN(len(m.Profiles))].City
			f.requesters = append(f.requesters, u)
			f.seen = append(f.seen, seen)
			f.cities = append(f.cities, []string{m.Profiles[u].City, other})
			if m.Profiles[u].Side == market.Seeker {
				f.seekers++
			} else {
				f.recruiters++
			}
		}
		for i := range m.Profiles {
			if rng.IntN(20) == 0 {
				f.exclude.Set(uint32(i))
			}
		}
	})
}

// BenchmarkRecallLarge measures one request end to end with every filter
// on: building the allowed bitmap (Population.Mask) and recalling K = 200.
// It reports the median and p99 latency over the requests it made (wall
// clock, and the CPU time of the request's thread, which leaves out the
// time a loaded machine keeps the thread descheduled), and checks that no
// candidate breaks the filter.
func BenchmarkRecallLarge(b *testing.B) {
	fitLarge(b)
	f := &fitted
	for _, tc := range []struct {
		name string
		r    recall.Recaller
	}{
		{"itemcf", f.item}, {"usercf", f.user}, {"swing", f.swing}, {"hot", f.hot}, {"fresh", f.fresh}, {"merged-rrf", f.merged},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var mask bitmap.Bitmap
			var dst []recall.Candidate
			var lat, cpu []time.Duration
			var returned, checked int
			i := 0
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for b.Loop() {
				k := i % len(f.requesters)
				i++
				u := f.requesters[k]
				side := large.m.Profiles[u].Side
				start, startCPU := time.Now(), threadCPU()
				var err error
				mask, err = large.pop.Mask(mask, recall.Filter{Requester: u, Side: side, ActiveOnly: true, Cities: f.cities[k], Seen: f.seen[k], Exclude: f.exclude})
				if err != nil {
					b.Fatal(err)
				}
				dst, err = tc.r.Recall(context.Background(), recall.Request{Requester: u, Side: side, K: 200, Allowed: mask}, dst[:0])
				lat = append(lat, time.Since(start))
				cpu = append(cpu, threadCPU()-startCPU)
				if err != nil {
					b.Fatal(err)
				}
				returned += len(dst)
				if k < 50 { // check a sample outside the hot path's cost
					checked++
					for _, c := range dst {
						p := large.m.Profiles[c.Index]
						if c.Index == u || p.Side == side || p.Inactive || !slices.Contains(f.cities[k], p.City) || f.seen[k].Contains(c.Index) || f.exclude.Contains(c.Index) {
							b.Fatalf("candidate %d leaks through the filter", c.Index)
						}
					}
				}
			}
			slices.Sort(lat)
			slices.Sort(cpu)
			pct := func(d []time.Duration, q int) float64 {
				return float64(d[min(len(d)-1, len(d)*q/100)].Nanoseconds()) / 1e3
			}
			b.ReportMetric(pct(lat, 50), "p50-µs")
			b.ReportMetric(pct(lat, 99), "p99-µs")
			b.ReportMetric(pct(cpu, 50), "cpu-p50-µs")
			b.ReportMetric(pct(cpu, 99), "cpu-p99-µs")
			b.ReportMetric(float64(returned)/float64(len(lat)), "results/req")
		})
	}
}

// BenchmarkRecordLarge measures incremental event updates on the fitted
// Large matrix: one goroutine, and all cores at once.
func BenchmarkRecordLarge(b *testing.B) {
	loadLarge(b)
	x := newLargeInterest(b)
	rng := rand.New(rand.NewPCG(5, 5))
	m := large.m
	evs := make([]recall.Event, 1<<16)
	t := largeClock()
	for i := range evs {
		s := uint32(rng.IntN(m.NumSeekers))
		j := uint32(m.NumSeekers + rng.IntN(m.NumJobs))
		evs[i] = recall.Event{Actor: s, Target: j, Action: market.View, Time: t.Add(time.Duration(i) * time.Second)}
	}
	b.Run("serial", func(b *testing.B) {
		i := 0
		start := time.Now()
		for b.Loop() {
			if err := x.Record(evs[i&(len(evs)-1)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(i)/time.Since(start).Seconds(), "events/s")
	})
	b.Run("parallel", func(b *testing.B) {
		var n atomic.Int64
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				if err := x.Record(evs[i&(len(evs)-1)]); err != nil {
					b.Error(err)
					return
				}
				i++
			}
			n.Add(int64(i))
		})
		b.ReportMetric(float64(n.Load())/time.Since(start).Seconds(), "events/s")
	})
	if x.Pending() == 0 {
		b.Fatal("nothing recorded")
	}
}

var largeIndex struct {
	once  sync.Once
	x     *recall.Index
	build time.Duration
	heap  uint64
	docs  int
	err   error
}

// indexSeekers is how many seekers the index benchmark indexes besides
// every job and every benchmark requester (all of them: lower it to
// benchmark a partial index quickly).
const indexSeekers = 100000

// indexLarge indexes every job of the Large market, the first
// indexSeekers seekers and every benchmark requester, in memory, in
// batches of 1,000, once per process.
func indexLarge(b *testing.B) {
	fitLarge(b)
	largeIndex.once.Do(func() {
		x, err := recall.OpenIndex(recall.IndexConfig{Interest: fitted.x})
		if err != nil {
			largeIndex.err = err
			return
		}
		m := large.m
		var ixs []uint32
		for i := range m.Profiles {
			if i < indexSeekers || i >= m.NumSeekers {
				ixs = append(ixs, uint32(i))
			}
		}
		for _, u := range fitted.requesters {
			if int(u) >= indexSeekers && int(u) < m.NumSeekers {
				ixs = append(ixs, u)
			}
		}
		slices.Sort(ixs)
		ixs = slices.Compact(ixs)
		start := time.Now()
		largeIndex.heap = peakHeap(func() {
			for lo := 0; lo < len(ixs); lo += 1000 {
				batch := ixs[lo:min(lo+1000, len(ixs))]
				ps := make([]market.Profile, len(batch))
				for k, ix := range batch {
					ps[k] = m.Profiles[ix]
				}
				if err := x.UpsertBatch(batch, ps); err != nil {
					largeIndex.err = err
					return
				}
			}
		})
		largeIndex.x, largeIndex.build, largeIndex.docs = x, time.Since(start), len(ixs)
	})
	if largeIndex.err != nil {
		b.Fatal(largeIndex.err)
	}
}

// BenchmarkIndexLarge reports the time and peak heap to index the
// profiles of the Large market (build-s, build-MB, docs) and, like
// BenchmarkRecallLarge, the latency of one filtered request for K = 200.
func BenchmarkIndexLarge(b *testing.B) {
	indexLarge(b)
	f := &fitted
	b.ReportAllocs()
	var mask bitmap.Bitmap
	var dst []recall.Candidate
	var lat []time.Duration
	returned, i := 0, 0
	for b.Loop() {
		k := i % len(f.requesters)
		i++
		u := f.requesters[k]
		side := large.m.Profiles[u].Side
		start := time.Now()
		var err error
		mask, err = large.pop.Mask(mask, recall.Filter{Requester: u, Side: side, ActiveOnly: true, Cities: f.cities[k], Seen: f.seen[k], Exclude: f.exclude})
		if err != nil {
			b.Fatal(err)
		}
		dst, err = largeIndex.x.Recall(context.Background(), recall.Request{Requester: u, Side: side, K: 200, Allowed: mask}, dst[:0])
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
		returned += len(dst)
		for _, c := range dst {
			if !mask.Contains(c.Index) {
				b.Fatalf("candidate %d leaks through the filter", c.Index)
			}
		}
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[min(len(lat)-1, len(lat)*99/100)].Nanoseconds())/1e3, "p99-µs")
	b.ReportMetric(float64(returned)/float64(len(lat)), "results/req")
	b.ReportMetric(largeIndex.build.Seconds(), "build-s")
	b.ReportMetric(float64(largeIndex.heap)/1e6, "build-MB")
	b.ReportMetric(float64(largeIndex.docs), "docs")
	b.ReportMetric(float64(largeIndex.x.Stats().Postings)/1e6, "postings-M")
}

// BenchmarkAffinityTowardLarge measures the backward direction's
// collaborative evidence of a request: each of 200 recalled candidates'
// item and user affinity toward the requester (ItemCF.AffinityToward and
// UserCF.AffinityToward), for the 2,000 requesters of BenchmarkRecallLarge.
func BenchmarkAffinityTowardLarge(b *testing.B) {
	fitLarge(b)
	f := &fitted
	cands := make([][]uint32, len(f.requesters))
	for k, u := range f.requesters {
		side := large.m.Profiles[u].Side
		mask, err := large.pop.Mask(nil, recall.Filter{Requester: u, Side: side, ActiveOnly: true})
		if err != nil {
			b.Fatal(err)
		}
		got, err := f.merged.Recall(context.Background(), recall.Request{Requester: u, Side: side, K: 200, Allowed: mask}, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range got {
			cands[k] = append(cands[k], c.Index)
		}
	}
	b.ReportAllocs()
	var dst []float64
	sum, i := 0.0, 0
	for b.Loop() {
		k := i % len(f.requesters)
		i++
		dst = f.item.AffinityToward(cands[k], f.requesters[k], dst)
		for _, x := range dst {
			sum += x
		}
		dst = f.user.AffinityToward(cands[k], f.requesters[k], dst)
		for _, x := range dst {
			sum += x
		}
	}
	if sum == 0 {
		b.Fatal("no affinity at all")
	}
}
