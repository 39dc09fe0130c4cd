package factor_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kelindar/bitmap"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/factor"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/recall"
)

// simMarket is a simulated market fitted for offline ranking: the interest
// matrix, the three neighbourhood recallers, and the same interest split
// per side as factor input (seekers × jobs, jobs × seekers, local
// indices: seeker s is row s, job j is row j − NumSeekers).
type simMarket struct {
	m                   *synth.Market
	x                   *recall.Interest
	item, swing         *recall.ItemCF
	user                *recall.UserCF
	data                factor.TwoSided
	seekerFeat, jobFeat factor.CSR
}

func newSimMarket(t testing.TB, cfg synth.Config) *simMarket {
	t.Helper()
	sm := newSimMarketNoCF(t, cfg)
	var err error
	sm.item, err = recall.NewItemCF(sm.x, recall.CFConfig{})
	require.NoError(t, err)
	sm.user, err = recall.NewUserCF(sm.x, recall.CFConfig{})
	require.NoError(t, err)
	sm.swing, err = recall.NewSwing(sm.x, recall.SwingConfig{Beta: 0.5})
	require.NoError(t, err)
	for _, r := range []interface{ Fit(context.Context) error }{sm.item, sm.user, sm.swing} {
		require.NoError(t, r.Fit(context.Background()))
	}
	return sm
}

// newSimMarketNoCF is newSimMarket without the neighbourhood recallers.
func newSimMarketNoCF(t testing.TB, cfg synth.Config) *simMarket {
	t.Helper()
	m, err := synth.Generate(cfg)
	require.NoError(t, err)
	events := make([]recall.Event, len(m.Events))
	for i, e := range m.Events {
		events[i] = recall.Event{Actor: m.Pairs[i].Actor, Target: m.Pairs[i].Target, Action: e.Action, Time: e.Time}
	}
	clock := func() time.Time { return m.Events[len(m.Events)-1].Time }
	x, err := recall.NewInterest(recall.InterestConfig{HalfLife: 14 * 24 * time.Hour, Clock: clock})
	require.NoError(t, err)
	require.NoError(t, x.Fit(context.Background(), slices.Values(events)))
	sm := &simMarket{m: m, x: x}
	ns, nj := m.NumSeekers, m.NumJobs
	sm.data.SeekerInterest = sideCSR(x, 0, ns, uint32(ns), nj)
	sm.data.JobInterest = sideCSR(x, uint32(ns), nj, 0, ns)
	sm.seekerFeat, sm.jobFeat = profileFeatures(t, m)
	return sm
}

// sideCSR reads the interest rows of participants [lo, lo+n) whose targets
// are in [tlo, tlo+tn), in local indices.
func sideCSR(x *recall.Interest, lo uint32, n int, tlo uint32, tn int) factor.CSR {
	c := factor.CSR{Rows: n, Cols: tn, Ptr: make([]int, n+1)}
	var h []recall.Entry
	for u := range n {
		h = x.History(lo+uint32(u), h[:0])
		for _, e := range h {
			if e.Index >= tlo && e.Index < tlo+uint32(tn) {
				c.Idx = append(c.Idx, e.Index-tlo)
				c.Val = append(c.Val, e.Weight)
			}
		}
		c.Ptr[u+1] = len(c.Idx)
	}
	return c
}

// profileFeatures encodes every profile's skills, tags, city and title as
// one-hot content features, one vocabulary per side.
func profileFeatures(t testing.TB, m *synth.Market) (seekers, jobs factor.CSR) {
	t.Helper()
	build := func(lo, n int) factor.CSR {
		vocab := map[string]uint32{}
		var cells []factor.Cell
		for r := range n {
			p := &m.Profiles[lo+r]
			words := []string{"city:" + p.City, "title:" + p.Title, "industry:" + p.Industry}
			for _, s := range p.Skills {
				words = append(words, "skill:"+s)
			}
			for _, s := range p.Tags {
				words = append(words, "tag:"+s)
			}
			slices.Sort(words)
			words = slices.Compact(words)
			for _, w := range words {
				f, ok := vocab[w]
				if !ok {
					f = uint32(len(vocab))
					vocab[w] = f
				}
				cells = append(cells, factor.Cell{Row: uint32(r), Col: f, Value: 1})
			}
		}
		c, err := factor.FromCells(n, len(vocab), cells)
		require.NoError(t, err)
		return c
	}
	return build(0, m.NumSeekers), build(m.NumSeekers, m.NumJobs)
}

// recallAt50 is the mean, over sampled requesters of one side with
// history and at least one mutual acceptance they have not attended to
// yet, of the share of those mutual acceptances in the top 50 of rank
// (candidates: the other side minus the requester's history).
func (sm *simMarket) recallAt50(t testing.TB, side market.Side, requesters int, rank func(u uint32, allowed bitmap.Bitmap) []uint32) float64 {
	t.Helper()
	m := sm.m
	lo, hi := m.Jobs()
	ulo, uhi := m.Seekers()
	if side == market.Recruiter {
		lo, hi, ulo, uhi = ulo, uhi, lo, hi
	}
	rng := rand.New(rand.NewPCG(11, uint64(side)))
	var sum float64
	n := 0
	for tries := 0; n < requesters && tries < 50*requesters; tries++ {
		u := ulo + uint32(rng.IntN(int(uhi-ulo)))
		hist := sm.x.History(u, nil)
		if len(hist) == 0 {
			continue
		}
		var allowed bitmap.Bitmap
		for j := lo; j < hi; j++ {
			allowed.Set(j)
		}
		for _, e := range hist {
			allowed.Remove(e.Index)
		}
		var truth []uint32
		for _, j := range m.MutualFor(u) {
			if allowed.Contains(j) {
				truth = append(truth, j)
			}
		}
		if len(truth) == 0 {
			continue
		}
		got := rank(u, allowed)
		hits := 0
		for _, j := range got[:min(50, len(got))] {
			if _, ok := slices.BinarySearch(truth, j); ok {
				hits++
			}
		}
		sum += float64(hits) / float64(len(truth))
		n++
	}
	require.Positive(t, n)
	return sum / float64(n)
}

func recallerRank(r recall.Recaller, side market.Side) func(uint32, bitmap.Bitmap) []uint32 {
	return func(u uint32, allowed bitmap.Bitmap) []uint32 {
		got, err := r.Recall(context.Background(), recall.Request{Requester: u, Side: side, K: 50, Allowed: allowed}, nil)
		if err != nil {
			panic(err)
		}
		out := make([]uint32, len(got))
		for i, c := range got {
			out[i] = c.Index
		}
		return out
	}
}

// vectorRecallers returns, per side, a recall.Vectors over the model's
// factors placed at the participants' global indices: the requester
// side's model, or with reciprocal both models' concatenated rows
// (forward + backward score).
func (sm *simMarket) vectorRecallers(t testing.TB, r *factor.Reciprocal, reciprocal bool) map[market.Side]*recall.Vectors {
	t.Helper()
	ns, n := sm.m.NumSeekers, len(sm.m.Profiles)
	out := map[market.Side]*recall.Vectors{}
	for _, side := range []market.Side{market.Seeker, market.Recruiter} {
		m := r.Model(side)
		qs, cs := m.RowFactors(), m.ColFactors()
		if reciprocal {
			qs, cs = r.Vectors(side, 1, 1)
		}
		qoff, coff := 0, ns
		if side == market.Recruiter {
			qoff, coff = ns, 0
		}
		queries, candidates := make([][]float32, n), make([][]float32, n)
		copy(queries[qoff:], qs)
		copy(candidates[coff:], cs)
		v, err := recall.NewVectors(recall.VectorsConfig{Name: "mf", Side: side, Queries: queries, Candidates: candidates})
		require.NoError(t, err)
		out[side] = v
	}
	return out
}

// mutualRecall returns recall@50 of mutual acceptances, per side, of the
// three neighbourhood recallers and of the factor models fitted with
// cfg: "mf" (the requester side's model), "mf-reciprocal" (forward +
// backward), with features when hybrid.
func (sm *simMarket) mutualRecall(t testing.TB, cfg factor.Config, hybrid bool, requesters int) map[market.Side]map[string]float64 {
	t.Helper()
	tr, err := factor.New(cfg)
	require.NoError(t, err)
	d := sm.data
	if hybrid {
		d.SeekerFeatures, d.JobFeatures = &sm.seekerFeat, &sm.jobFeat
	}
	r, err := tr.FitTwoSided(context.Background(), d)
	require.NoError(t, err)
	plain, recip := sm.vectorRecallers(t, r, false), sm.vectorRecallers(t, r, true)
	out := map[market.Side]map[string]float64{}
	for _, side := range []market.Side{market.Seeker, market.Recruiter} {
		out[side] = map[string]float64{}
		for name, rc := range map[string]recall.Recaller{"itemcf": sm.item, "usercf": sm.user, "swing": sm.swing, "mf": plain[side], "mf-reciprocal": recip[side]} {
			out[side][name] = sm.recallAt50(t, side, requesters, recallerRank(rc, side))
		}
	}
	return out
}

// simConfig is the simulated market of the recall comparison: the
// density per participant of synth.Large (50 events per seeker, 250 per
// job) at a twenty-fifth of its size.
func simConfig() synth.Config {
	return synth.Config{Seed: 1, Seekers: 4000, Jobs: 800, Events: 200_000, Days: 30}
}

// TestSimulatedMutualRecall checks, on a seeded simulated market, that the
// hybrid factor model with the default Config recalls at least as many
// mutual acceptances in its top 50 as the best neighbourhood recaller, on
// each side (offline ranking against the latent truth: the other side
// minus what the requester attended to, truth = synth's Mutual).
func TestSimulatedMutualRecall(t *testing.T) {
	sm := newSimMarket(t, simConfig())
	got := sm.mutualRecall(t, factor.Config{}, true, 300)
	for _, side := range []market.Side{market.Seeker, market.Recruiter} {
		f := got[side]
		best := max(f["itemcf"], f["usercf"], f["swing"])
		t.Logf("%v (simulated): item-CF %.4f user-CF %.4f Swing %.4f | MF %.4f, MF reciprocal %.4f", side, f["itemcf"], f["usercf"], f["swing"], f["mf"], f["mf-reciprocal"])
		require.GreaterOrEqualf(t, f["mf"], best, "%v: MF recall@50 below the best neighbourhood recaller", side)
	}
}

// BenchmarkSimulatedMutualRecall reports recall@50 of mutual acceptances
// per side (simulated) for the neighbourhood recallers and for ALS (plain
// and hybrid) and BPR with their default Config, on the market of
// TestSimulatedMutualRecall.
//
//	go test -run '^$' -bench SimulatedMutualRecall -benchtime 1x ./factor/
func BenchmarkSimulatedMutualRecall(b *testing.B) {
	sm := newSimMarket(b, simConfig())
	for _, tc := range []struct {
		name   string
		cfg    factor.Config
		hybrid bool
	}{{"als", factor.Config{}, false}, {"als-hybrid", factor.Config{}, true}, {"bpr", factor.Config{Method: factor.BPR}, false}} {
		b.Run(tc.name, func(b *testing.B) {
			var got map[market.Side]map[string]float64
			for b.Loop() {
				got = sm.mutualRecall(b, tc.cfg, tc.hybrid, 300)
			}
			for _, side := range []market.Side{market.Seeker, market.Recruiter} {
				f := got[side]
				best := max(f["itemcf"], f["usercf"], f["swing"])
				if f["mf"] < best && tc.hybrid {
					b.Errorf("%v: hybrid MF %.4f below the best neighbourhood recaller %.4f", side, f["mf"], best)
				}
				b.ReportMetric(f["mf"], side.String()+"-mf-recall@50")
				b.ReportMetric(f["mf-reciprocal"], side.String()+"-mfrecip-recall@50")
				b.ReportMetric(best, side.String()+"-bestcf-recall@50")
			}
		})
	}
}
