package twoway

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/synth"
)

// midMarket is a mid-size simulated market: 5,000 seekers, 1,000 jobs,
// 200,000 events over 30 days, seed 3.
func midMarket(b *testing.B) *synth.Market {
	m, err := synth.Generate(synth.Config{Seed: 3, Seekers: 5000, Jobs: 1000, Events: 200_000, Days: 30})
	require.NoError(b, err)
	return m
}

// BenchmarkRecommendFactors measures Recommend with latent factors off
// and on (the Engine's defaults otherwise) on midMarket, and checks every
// answer is full.
//
//	nice -n 19 go test -run '^$' -bench RecommendFactors -benchtime 2000x .
func BenchmarkRecommendFactors(b *testing.B) {
	m := midMarket(b)
	for _, v := range []struct {
		name string
		use  FactorUse
	}{{"off", FactorsOff}, {"on", FactorsOn}} {
		b.Run("factors="+v.name, func(b *testing.B) {
			e, ctx := factorBenchEngine(b, m, v.use)
			require.NoError(b, e.Fit(ctx))
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				resp, err := e.Recommend(ctx, Request{ID: m.Profiles[(i*7919)%len(m.Profiles)].ID, N: 10, DryRun: true})
				if err != nil || len(resp.Results) != 10 {
					b.Fatal(err, resp)
				}
				i++
			}
		})
	}
}

// BenchmarkFitFactors measures a Fit with latent factors off and on on
// midMarket (the factors add six two-sided fits: one per fold of the
// out-of-fold evidence and one on everything).
//
//	nice -n 19 go test -run '^$' -bench FitFactors -benchtime 1x .
func BenchmarkFitFactors(b *testing.B) {
	m := midMarket(b)
	for _, v := range []struct {
		name string
		use  FactorUse
	}{{"off", FactorsOff}, {"on", FactorsOn}} {
		b.Run("factors="+v.name, func(b *testing.B) {
			e, ctx := factorBenchEngine(b, m, v.use)
			b.ReportAllocs()
			for b.Loop() {
				require.NoError(b, e.Fit(ctx))
			}
			if v.use == FactorsOn && !e.Stats().Factors {
				b.Fatal("no factors after the Fit")
			}
		})
	}
}

// factorBenchEngine returns an Engine with latent factors used as use,
// holding m's profiles and events, not fitted.
func factorBenchEngine(b *testing.B, m *synth.Market, use FactorUse) (*Engine, context.Context) {
	b.Helper()
	e, err := New(Config{Clock: endOf(m), Seed: 7, Factors: FactorConfig{Use: use}})
	require.NoError(b, err)
	b.Cleanup(func() { e.Close() })
	ctx := context.Background()
	require.NoError(b, e.Upsert(ctx, m.Profiles...))
	require.NoError(b, e.Record(ctx, m.Events...))
	return e, ctx
}
