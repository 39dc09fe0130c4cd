package match_test

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/cputime"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/rank"
	"github.com/twowayrec/twoway/text"
)

// textCatalog builds a Catalog of m with package text's encoder (content
// vectors of title, text, skills, city, industry, education, experience and
// salary) and ContentFromText.
func textCatalog(tb testing.TB, m *synth.Market) *match.Catalog {
	tb.Helper()
	enc, err := text.NewEncoder(m.Profiles, text.EncoderConfig{})
	require.NoError(tb, err)
	c := match.NewCatalog(match.CatalogConfig{FeatureName: match.FeatureNames(enc)})
	for i := range m.Profiles {
		require.NoError(tb, c.Set(uint32(i), match.ContentFromText(enc, nil, &m.Profiles[i])))
	}
	return c
}

// BenchmarkOneWay1000 scores 1,000 candidates for one requester with a
// reused buffer, in each direction, on a simulated market whose content
// vectors come from package text. It checks the scores against OneWay.
func BenchmarkOneWay1000(b *testing.B) {
	m, err := synth.Generate(synth.Config{Seed: 1, Seekers: 2000, Jobs: 1000, Events: 200_000, Days: 14})
	require.NoError(b, err)
	cat := textCatalog(b, m)
	samples, err := match.Samples(match.SampleConfig{Seed: 1}, synthInteractions(m), m.Side, synthOthers(m))
	require.NoError(b, err)
	im, err := match.FitInterest(context.Background(), match.InterestConfig{}, cat, samples)
	require.NoError(b, err)
	lo, hi := m.Jobs()
	var jobs, seekers []uint32
	for j := lo; j < hi; j++ {
		jobs = append(jobs, j)
	}
	for s := uint32(0); s < 1000; s++ {
		seekers = append(seekers, s)
	}
	for _, bc := range []struct {
		name       string
		requester  uint32
		candidates []uint32
	}{
		{"seeker→1000jobs", 7, jobs},
		{"job→1000seekers", lo + 7, seekers},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var buf match.Buffer
			dst := im.OneWayBatch(nil, &buf, bc.requester, bc.candidates, nil)
			for _, i := range []int{0, 1, 500, 999} {
				require.InDelta(b, im.OneWay(bc.requester, bc.candidates[i]), dst[i], 1e-12)
			}
			var nnz int
			for _, c := range bc.candidates {
				cc, _ := cat.Content(c)
				nnz += cc.Vector.Len()
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			b.ReportAllocs()
			cpu0, cpuOK := cputime.Thread()
			n := 0
			for b.Loop() {
				dst = im.OneWayBatch(dst, &buf, bc.requester, bc.candidates, nil)
				n++
			}
			if cpu1, _ := cputime.Thread(); cpuOK && n > 0 {
				b.ReportMetric(float64(cpu1-cpu0)/float64(n), "cpu-ns/op")
			}
			b.ReportMetric(float64(nnz)/float64(len(bc.candidates)), "content-nnz/cand")
			if math.IsNaN(dst[0]) || dst[0] < 0 || dst[0] > 1 {
				b.Fatalf("bad score %v", dst[0])
			}
		})
	}
}

// BenchmarkFitInterestLarge fits the interest models of both sides on the
// simulated synth.Large market (100,000 seekers, 20,000 jobs, 5,000,000
// events): samples from the events, a global model per side and a
// correction per user. Content vectors are either plain one-hot skills,
// city, industry and education ("onehot") or package text's encoder over
// every field and the description ("text"). Run it with -benchtime 1x; it
// needs several GB.
func BenchmarkFitInterestLarge(b *testing.B) {
	if testing.Short() {
		b.Skip("large market")
	}
	m, err := synth.Generate(synth.Large())
	require.NoError(b, err)
	events := synthInteractions(m)
	others := synthOthers(m)
	for _, content := range []string{"onehot", "text"} {
		b.Run(content, func(b *testing.B) {
			var cat *match.Catalog
			if content == "text" {
				cat = textCatalog(b, m)
			} else {
				cat = synthCatalog(b, m)
			}
			benchmarkFit(b, m, cat, events, others)
		})
	}
}

func benchmarkFit(b *testing.B, m *synth.Market, cat *match.Catalog, events []match.Interaction, others func(market.Side) []uint32) {
	var err error
	b.ReportAllocs()
	var im *match.Interest
	var samples []match.Sample
	cpu0, cpuOK := cputime.Process()
	n := 0
	for b.Loop() {
		samples, err = match.Samples(match.SampleConfig{Seed: 1}, events, m.Side, others)
		require.NoError(b, err)
		im, err = match.FitInterest(context.Background(), match.InterestConfig{}, cat, samples)
		require.NoError(b, err)
		n++
	}
	if cpu1, _ := cputime.Process(); cpuOK && n > 0 {
		b.ReportMetric((cpu1-cpu0).Seconds()/float64(n), "cpu-s/op")
	}
	users := map[uint32]bool{}
	corrected := 0
	for _, s := range samples {
		if !users[s.User] {
			users[s.User] = true
			if ok, _ := im.HasCorrection(s.User); ok {
				corrected++
			}
		}
	}
	b.ReportMetric(float64(len(samples)), "samples")
	b.ReportMetric(float64(len(users)), "users")
	b.ReportMetric(float64(corrected), "corrections")
	// every participant who acted: 97,914 of synth.Large's 120,000
	require.Greater(b, len(users), 90_000)
	// the fitted model ranks the ground truth: AUC of acceptance on a
	// fixed set of (seeker, job) pairs, and of the jobs' acceptance
	var sc, jsc []float64
	var acc, jacc []bool
	lo, _ := m.Jobs()
	for s := uint32(0); s < 2000; s++ {
		for k := uint32(0); k < 10; k++ {
			j := lo + (s*7919+k*104729)%uint32(m.NumJobs)
			sc = append(sc, im.OneWay(s, j))
			acc = append(acc, m.Accepts(s, j))
			jsc = append(jsc, im.OneWay(j, s))
			jacc = append(jacc, m.Accepts(j, s))
		}
	}
	auc, jauc := rank.AUC(sc, acc), rank.AUC(jsc, jacc)
	b.ReportMetric(auc, "seeker-AUC")
	b.ReportMetric(jauc, "job-AUC")
	require.Greater(b, auc, 0.65)
	require.Greater(b, jauc, 0.65)
}

// BenchmarkTasteLarge measures match.Taste on the simulated synth.Large
// market (100,000 seekers, 20,000 jobs, 5,000,000 events): "build" is one
// NewTaste over every pair (a Fit builds six: one for serving, one per
// fold of the out-of-fold evidence), with the size of its encoded
// neighbour lists, "score" one request's taste for 200 candidates in both
// directions (Score and ScoreToward).
func BenchmarkTasteLarge(b *testing.B) {
	if testing.Short() {
		b.Skip("large market")
	}
	m, err := synth.Generate(synth.Large())
	require.NoError(b, err)
	beh := match.NewBehaviour(match.BehaviourConfig{})
	for i, e := range m.Events {
		p := m.Pairs[i]
		beh.Record(p.Actor, p.Target, m.Side(p.Actor), e.Action, e.Time.UnixNano())
	}
	var ta *match.Taste
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			if ta, err = match.NewTaste(context.Background(), beh, match.TasteConfig{}, nil); err != nil {
				b.Fatal(err)
			}
		}
		// What the neighbour lists add to a snapshot.
		table, err := ta.AppendBinary(nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(table))/(1<<20), "table-MiB")
	})
	others := synthOthers(m)
	b.Run("score", func(b *testing.B) {
		r := rand.New(rand.NewPCG(3, 4))
		dst := make([]float64, 0, 200)
		cands := make([]uint32, 200)
		b.ReportAllocs()
		for b.Loop() {
			a := uint32(r.IntN(len(m.Profiles)))
			pool := others(m.Side(a))
			for i := range cands {
				cands[i] = pool[r.IntN(len(pool))]
			}
			dst = ta.Score(dst, a, cands)
			dst = ta.ScoreToward(dst, cands, a)
		}
	})
}
