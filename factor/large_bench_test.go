package factor_test

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kelindar/bitmap"
	"github.com/twowayrec/twoway/factor"
	"github.com/twowayrec/twoway/internal/cputime"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/recall"
)

// The large benchmarks run on synth.Large(): 100,000 seekers, 20,000
// jobs, 5,000,000 simulated events, with 64 factors. The market, its
// interest matrix and the per-side matrices are built once per process.
//
//	go test -run '^$' -bench 'ALSLarge|BPRLarge' -benchtime 1x -count 5 ./factor/
//	go test -run '^$' -bench VectorRecallLarge -benchtime 2000x -count 5 ./factor/

var large struct {
	once sync.Once
	sm   *simMarket
	pop  *recall.Population
}

func loadLarge(b *testing.B) *simMarket {
	b.Helper()
	large.once.Do(func() {
		large.sm = newSimMarketNoCF(b, synth.Large())
		large.pop = &recall.Population{}
		for i := range large.sm.m.Profiles {
			if err := large.pop.Upsert(uint32(i), &large.sm.m.Profiles[i]); err != nil {
				b.Fatal(err)
			}
		}
	})
	if large.sm == nil {
		b.Fatal("large market not built")
	}
	return large.sm
}

// BenchmarkALSLarge measures ALS sweeps (rows then columns, 64 factors,
// CGSteps 3, Config.Workers = GOMAXPROCS) of each direction and of the
// hybrid seekers' model, as Fit with Iterations = 2 and the default
// holdout: ns/op is the whole fit (holdout split, transposes, two sweeps,
// calibration), iteration-s the mean wall time of the two sweeps
// including the held-out evaluation after each (Progress.Elapsed), and
// iteration-cpu-s the process CPU time of the second (all goroutines: on
// an idle machine about Workers × its wall time). It checks that two
// sweeps rank held-out cells well and reports the memory of the factors.
func BenchmarkALSLarge(b *testing.B) {
	sm := loadLarge(b)
	for _, tc := range []struct {
		name string
		data factor.Data
	}{
		{"seekers", factor.Data{Interest: sm.data.SeekerInterest}},
		{"recruiters", factor.Data{Interest: sm.data.JobInterest}},
		{"seekers-hybrid", factor.Data{Interest: sm.data.SeekerInterest, RowFeatures: &sm.seekerFeat, ColFeatures: &sm.jobFeat}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var sweeps, sweepCPU time.Duration
			var m *factor.Model
			var peak uint64
			cpu := cputime.Start()
			for b.Loop() {
				sweeps, sweepCPU = 0, 0
				// The second sweep's CPU time is the process clock between
				// the two reports (before the first, the fit's set-up).
				var last time.Duration
				tr, err := factor.New(factor.Config{Iterations: 2, Patience: 2, Progress: func(p factor.Progress) error {
					sweeps += p.Elapsed
					now, _ := cputime.Process()
					if p.Iteration == 2 {
						sweepCPU = now - last
					}
					last = now
					return nil
				}})
				if err != nil {
					b.Fatal(err)
				}
				peak = max(peak, peakHeap(func() {
					if m, err = tr.Fit(context.Background(), tc.data); err != nil {
						b.Fatal(err)
					}
				}))
			}
			cpu.Report(b)
			b.ReportMetric(float64(peak)/1e6, "fit-peak-MB")
			if v := m.Report().Validation; !(v > 0.8) {
				b.Fatalf("held-out AUC %.4f after two sweeps", v)
			}
			b.ReportMetric(sweeps.Seconds()/2, "iteration-s")
			b.ReportMetric(sweepCPU.Seconds(), "iteration-cpu-s")
			b.ReportMetric(m.Report().Validation, "heldout-auc")
			b.ReportMetric(float64(m.Bytes())/1e6, "factors-MB")
			b.ReportMetric(float64(tc.data.Interest.NNZ()), "cells")
		})
	}
}

// BenchmarkBPRLarge measures BPR epochs of the seekers' model (64
// factors, as many samples as training cells), as Fit with Iterations =
// 2; epoch-s is their mean. It checks that the epochs' mean loss falls.
func BenchmarkBPRLarge(b *testing.B) {
	sm := loadLarge(b)
	b.ReportAllocs()
	var epochs time.Duration
	var losses []float64
	var m *factor.Model
	for b.Loop() {
		epochs, losses = 0, losses[:0]
		tr, err := factor.New(factor.Config{Method: factor.BPR, Iterations: 2, Progress: func(p factor.Progress) error {
			epochs += p.Elapsed
			losses = append(losses, p.Loss)
			return nil
		}})
		if err != nil {
			b.Fatal(err)
		}
		if m, err = tr.Fit(context.Background(), factor.Data{Interest: sm.data.SeekerInterest}); err != nil {
			b.Fatal(err)
		}
	}
	if len(losses) != 2 || !(losses[1] < losses[0]) {
		b.Fatalf("BPR losses %v", losses)
	}
	b.ReportMetric(epochs.Seconds()/2, "epoch-s")
	b.ReportMetric(m.Report().Validation, "heldout-auc")
}

var largeVectors struct {
	once       sync.Once
	model      *factor.Reciprocal
	fit        time.Duration
	plain      *recall.Vectors // seekers' factors against jobs'
	recip      *recall.Vectors // forward + backward, 128 dimensions
	requesters []uint32
	seen       []bitmap.Bitmap
	cities     [][]string
	exclude    bitmap.Bitmap
	jobs       bitmap.Bitmap
}

// fitLargeVectors fits the two-sided model with the default Config (early
// stopping on the held-out AUC) once, and samples 2,000 seekers with
// history, with the filters of recall's BenchmarkRecallLarge.
func fitLargeVectors(b *testing.B) {
	sm := loadLarge(b)
	largeVectors.once.Do(func() {
		v := &largeVectors
		tr, err := factor.New(factor.Config{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if v.model, err = tr.FitTwoSided(context.Background(), sm.data); err != nil {
			b.Fatal(err)
		}
		v.fit = time.Since(start)
		m := sm.m
		ns, n := m.NumSeekers, len(m.Profiles)
		place := func(qs, cs [][]float32) (q, c [][]float32) {
			q, c = make([][]float32, n), make([][]float32, n)
			copy(q, qs)
			copy(c[ns:], cs)
			return q, c
		}
		sk := v.model.Model(market.Seeker)
		q, c := place(sk.RowFactors(), sk.ColFactors())
		if v.plain, err = recall.NewVectors(recall.VectorsConfig{Name: "mf", Side: market.Seeker, Queries: q, Candidates: c}); err != nil {
			b.Fatal(err)
		}
		q, c = place(v.model.Vectors(market.Seeker, 1, 1))
		if v.recip, err = recall.NewVectors(recall.VectorsConfig{Name: "mf-reciprocal", Side: market.Seeker, Queries: q, Candidates: c}); err != nil {
			b.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(42, 42))
		for len(v.requesters) < 2000 {
			u := uint32(rng.IntN(ns))
			h := sm.x.History(u, nil)
			if len(h) == 0 {
				continue
			}
			var seen bitmap.Bitmap
			for _, e := range h {
				seen.Set(e.Index)
			}
			v.requesters = append(v.requesters, u)
			v.seen = append(v.seen, seen)
			v.cities = append(v.cities, []string{m.Profiles[u].City, m.Profiles[rng.IntN(n)].City})
		}
		for i := range n {
			if rng.IntN(20) == 0 {
				v.exclude.Set(uint32(i))
			}
		}
		for j := ns; j < n; j++ {
			v.jobs.Set(uint32(j))
		}
	})
}

// BenchmarkVectorRecallLarge measures one exact vector recall of K = 200
// jobs for a seeker: "all" with every job allowed but the seeker's
// history (the whole 20,000 scored), "filtered" with the filters of
// recall's BenchmarkRecallLarge (the seeker's city and one other, active
// only, seen, 5% excluded; the bitmap built by Population.Mask, inside
// the timing), and "reciprocal-all" over the 128-dimensional forward +
// backward rows. It reports the median and p99 latency (wall clock, and
// the mean CPU time of the request's thread), checks every result against the
// filter, and checks a sample against brute force.
func BenchmarkVectorRecallLarge(b *testing.B) {
	fitLargeVectors(b)
	v := &largeVectors
	sm := large.sm
	ns := uint32(sm.m.NumSeekers)
	sk := v.model.Model(market.Seeker)
	for _, tc := range []struct {
		name     string
		r        *recall.Vectors
		filtered bool
	}{{"all", v.plain, false}, {"filtered", v.plain, true}, {"reciprocal-all", v.recip, false}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			var mask bitmap.Bitmap
			var dst []recall.Candidate
			var lat []time.Duration
			var cpu time.Duration
			returned, i := 0, 0
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for b.Loop() {
				k := i % len(v.requesters)
				i++
				u := v.requesters[k]
				start, startCPU := time.Now(), threadCPU()
				if tc.filtered {
					var err error
					mask, err = large.pop.Mask(mask, recall.Filter{Requester: u, Side: market.Seeker, ActiveOnly: true, Cities: v.cities[k], Seen: v.seen[k], Exclude: v.exclude})
					if err != nil {
						b.Fatal(err)
					}
				} else {
					mask = append(mask[:0], v.jobs...)
					mask.AndNot(v.seen[k])
				}
				var err error
				dst, err = tc.r.Recall(context.Background(), recall.Request{Requester: u, Side: market.Seeker, K: 200, Allowed: mask}, dst[:0])
				lat = append(lat, time.Since(start))
				cpu += threadCPU() - startCPU
				if err != nil {
					b.Fatal(err)
				}
				returned += len(dst)
				for _, c := range dst {
					if !mask.Contains(c.Index) || c.Index < ns {
						b.Fatalf("candidate %d breaks the filter", c.Index)
					}
				}
				if k < 20 && tc.r == v.plain { // brute force on a sample, outside the hot path's cost
					checkBruteForce(b, sk, u, ns, mask, dst)
				}
			}
			slices.Sort(lat)
			pct := func(q int) float64 {
				return float64(lat[min(len(lat)-1, len(lat)*q/100)].Nanoseconds()) / 1e3
			}
			b.ReportMetric(pct(50), "p50-µs")
			b.ReportMetric(pct(99), "p99-µs")
			// The thread's CPU clock ticks too coarsely for one request:
			// report the mean over all of them.
			b.ReportMetric(float64(cpu.Nanoseconds())/1e3/float64(len(lat)), "cpu-µs/req")
			b.ReportMetric(float64(returned)/float64(len(lat)), "results/req")
			b.ReportMetric(float64(tc.r.Bytes())/1e6, "vectors-MB")
			if tc.name == "all" {
				b.ReportMetric(v.fit.Seconds(), "twosided-fit-s")
				b.ReportMetric(float64(v.model.Bytes())/1e6, "twosided-factors-MB")
				b.ReportMetric(float64(v.model.Model(market.Seeker).Report().Iterations), "seeker-iterations")
			}
		})
	}
}

// checkBruteForce ranks every allowed job by the model's float64 score
// and checks that got holds the best 200, up to float32 rounding.
func checkBruteForce(b *testing.B, m *factor.Model, u, ns uint32, allowed bitmap.Bitmap, got []recall.Candidate) {
	b.Helper()
	var all []float64
	allowed.Range(func(j uint32) {
		if j >= ns {
			all = append(all, m.Score(int(u), int(j-ns)))
		}
	})
	slices.Sort(all)
	slices.Reverse(all)
	want := min(200, len(all))
	if len(got) != want {
		b.Fatalf("%d results, brute force has %d", len(got), want)
	}
	kth := all[want-1]
	for r, c := range got {
		exact := m.Score(int(u), int(c.Index-ns))
		tol := 1e-5 * (1 + math.Abs(exact))
		if math.Abs(c.Score-exact) > tol || math.Abs(c.Score-all[r]) > 2e-5*(1+math.Abs(all[r])) || exact < kth-tol {
			b.Fatalf("result %d: job %d score %v, exact %v, brute force rank score %v", r, c.Index, c.Score, exact, all[r])
		}
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
