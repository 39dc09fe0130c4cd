package allocate

import (
	"context"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// The scale benchmarks share one simulated graph the size of
// internal/synth.Large() (100,000 seekers, 20,000 jobs, ≈ 10.5M recalled
// pairs, see largeMarket) and its fit, made once per process.
var large struct {
	once   sync.Once
	pairs  []Pair
	masses []Mass
	graph  *Graph
	pot    *Potentials
}

func largeGraph(b *testing.B) (*Graph, []Pair) {
	large.once.Do(func() {
		large.pairs, large.masses = largeMarket().generate()
		large.graph = buildScale(b, Config{}, large.pairs, large.masses)
	})
	return large.graph, large.pairs
}

func largePotentials(b *testing.B) *Potentials {
	g, _ := largeGraph(b)
	if large.pot == nil {
		p, err := Fit(context.Background(), g)
		if err != nil {
			b.Fatal(err)
		}
		large.pot = p
	}
	return large.pot
}

// checkMarginals recomputes, from Score and Unmatched alone, the marginal
// of every 97th seeker and every 13th job (the jobs' from their columns)
// and fails when one is off by more than tol relative to its mass.
func checkMarginals(b *testing.B, g *Graph, p *Potentials, tol float64) {
	b.Helper()
	var worst float64
	one := make([]float64, 1)
	for i := 0; i < len(g.seekers); i += 97 {
		ix := g.seekers[i]
		var sum float64
		for e := g.rowPtr[i]; e < g.rowPtr[i+1]; e++ {
			one[0] = g.phi[e]
			sum += p.Score(ix, g.jobs[g.col[e]:g.col[e]+1], one, one)[0]
		}
		worst = max(worst, math.Abs(g.nMass[i]-p.Unmatched(ix)-sum)/g.nMass[i])
	}
	for j := 0; j < len(g.jobs); j += 13 {
		ix := g.jobs[j]
		var sum float64
		for t := g.colPtr[j]; t < g.colPtr[j+1]; t++ {
			one[0] = g.phi[g.tperm[t]]
			sum += p.Score(ix, g.seekers[g.trow[t]:g.trow[t]+1], one, one)[0]
		}
		worst = max(worst, math.Abs(g.mMass[j]-p.Unmatched(ix)-sum)/g.mMass[j])
	}
	if worst > tol {
		b.Fatalf("a marginal is off by %g of its mass (tolerance %g)", worst, tol)
	}
}

// BenchmarkBuildLarge builds the graph of the large market from its pairs
// and masses (what a Fit of the Engine pays before solving).
func BenchmarkBuildLarge(b *testing.B) {
	_, pairs := largeGraph(b)
	b.ReportAllocs()
	var g *Graph
	for b.Loop() {
		g = buildScale(b, Config{}, pairs, large.masses)
	}
	if g.Pairs() != large.graph.Pairs() || g.Seekers() != 100_000 || g.Jobs() != 20_000 {
		b.Fatalf("graph of %d pairs, %d seekers, %d jobs", g.Pairs(), g.Seekers(), g.Jobs())
	}
	b.ReportMetric(float64(g.Pairs()), "pairs")
}

// BenchmarkFitLarge solves the large market from scratch with the default
// Config (GOMAXPROCS workers).
func BenchmarkFitLarge(b *testing.B) {
	g, _ := largeGraph(b)
	b.ReportAllocs()
	var p *Potentials
	for b.Loop() {
		var err error
		if p, err = Fit(context.Background(), g); err != nil {
			b.Fatal(err)
		}
	}
	st := p.Stats()
	if !st.Converged || st.Residual > DefaultTolerance {
		b.Fatalf("not converged: %+v", st)
	}
	checkMarginals(b, g, p, 10*DefaultTolerance)
	large.pot = p
	b.ReportMetric(float64(st.Sweeps), "sweeps")
	b.ReportMetric(st.Residual, "residual")
}

// BenchmarkRefreshLarge: the ledger halves the remaining capacity of 1% of
// the jobs (200, spread over the market); WithMasses and Refresh from the
// fitted potentials.
func BenchmarkRefreshLarge(b *testing.B) {
	g, _ := largeGraph(b)
	prev := largePotentials(b)
	var ms []Mass
	for j := 0; j < len(g.jobs); j += 100 {
		ms = append(ms, Mass{Participant: g.jobs[j], Mass: g.mMass[j] / 2})
	}
	b.ReportAllocs()
	var p *Potentials
	var h *Graph
	for b.Loop() {
		var err error
		if h, err = g.WithMasses(ms); err != nil {
			b.Fatal(err)
		}
		if p, err = Refresh(context.Background(), h, prev, nil); err != nil {
			b.Fatal(err)
		}
	}
	st := p.Stats()
	if !st.Converged {
		b.Fatalf("not converged: %+v", st)
	}
	checkMarginals(b, h, p, 10*DefaultTolerance)
	for _, m := range ms[:5] {
		if p.Matched(m.Participant) > prev.Matched(m.Participant)+1e-9 {
			b.Fatalf("job %d: capacity halved, matches rose %v → %v", m.Participant, prev.Matched(m.Participant), p.Matched(m.Participant))
		}
	}
	b.ReportMetric(float64(st.PairTerms)/float64(prev.Stats().PairTerms), "work/fit")
	b.ReportMetric(float64(st.Sweeps), "rounds+sweeps")
}

// BenchmarkScore400 is one request's allocation work: the surplus of 400
// candidates from their forward and backward probabilities, then Score, on
// the large market's potentials.
func BenchmarkScore400(b *testing.B) {
	g, _ := largeGraph(b)
	p := largePotentials(b)
	r := rand.New(rand.NewPCG(7, 7))
	const n = 400
	cands := make([]uint32, n)
	fwd, bwd := make([]float64, n), make([]float64, n)
	for k := range cands {
		cands[k] = g.jobs[r.IntN(len(g.jobs))]
		fwd[k], bwd[k] = r.Float64(), r.Float64()*0.3
	}
	phi, dst := make([]float64, n), make([]float64, n)
	b.ReportAllocs()
	req := 0
	for b.Loop() {
		requester := g.seekers[req%len(g.seekers)]
		req += 7919
		for k := range cands {
			phi[k] = p.Surplus(fwd[k], bwd[k])
		}
		dst = p.Score(requester, cands, phi, dst)
	}
	requester := g.seekers[(req-7919)%len(g.seekers)]
	want := math.Exp((phi[0] - p.Potential(requester) - p.Potential(cands[0])) / (2 * p.Temperature()))
	if got := dst[0]; math.Abs(got-min(want, p.Mass(requester), p.Mass(cands[0]))) > 1e-12*max(1, want) {
		b.Fatalf("score %v, want %v", got, want)
	}
}
