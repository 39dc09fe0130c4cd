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

// factorBenchVariants are the factor configurations of the factor
// benchmarks: off, on (recall and cold-start factors) and on as evidence
// too (FactorConfig.Evidence).
var factorBenchVariants = []struct {
	name string
	fc   FactorConfig
}{{"off", FactorConfig{Use: FactorsOff}}, {"on", FactorConfig{Use: FactorsOn}}, {"evidence", FactorConfig{Use: FactorsOn, Evidence: true}}}

// BenchmarkRecommendFactors measures Recommend with latent factors off,
// on and on as evidence (the Engine's defaults otherwise) on midMarket,
// and checks every answer is full.
//
//	nice -n 19 go test -run '^$' -bench RecommendFactors -benchtime 2000x .
func BenchmarkRecommendFactors(b *testing.B) {
	m := midMarket(b)
	for _, v := range factorBenchVariants {
		b.Run("factors="+v.name, func(b *testing.B) {
			e, ctx := factorBenchEngine(b, m, v.fc)
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

// BenchmarkFitFactors measures a Fit with latent factors off, on and on
// as evidence on midMarket (the factors add one two-sided fit on
// everything; as evidence five more, one per fold of the out-of-fold
// evidence).
//
//	nice -n 19 go test -run '^$' -bench FitFactors -benchtime 1x .
func BenchmarkFitFactors(b *testing.B) {
	m := midMarket(b)
	for _, v := range factorBenchVariants {
		b.Run("factors="+v.name, func(b *testing.B) {
			e, ctx := factorBenchEngine(b, m, v.fc)
			b.ReportAllocs()
			for b.Loop() {
				require.NoError(b, e.Fit(ctx))
			}
			if v.fc.Use == FactorsOn && !e.Stats().Factors {
				b.Fatal("no factors after the Fit")
			}
		})
	}
}

// factorBenchEngine returns an Engine with latent factors configured as
// fc, holding m's profiles and events, not fitted.
func factorBenchEngine(b *testing.B, m *synth.Market, fc FactorConfig) (*Engine, context.Context) {
	b.Helper()
	e, err := New(Config{Clock: endOf(m), Seed: 7, Factors: fc})
	require.NoError(b, err)
	b.Cleanup(func() { e.Close() })
	ctx := context.Background()
	require.NoError(b, e.Upsert(ctx, m.Profiles...))
	require.NoError(b, e.Record(ctx, m.Events...))
	return e, ctx
}
