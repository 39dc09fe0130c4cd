package twoway

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

func BenchmarkFitSmall(b *testing.B) {
	m := smallMarket(b)
	e := newEngine(b, m, true) // warms the tokeniser's dictionary
	b.ReportAllocs()
	for b.Loop() {
		require.NoError(b, e.Fit(context.Background()))
	}
}

func BenchmarkRecommendSmall(b *testing.B) {
	m := smallMarket(b)
	e := newEngine(b, m, true)
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		resp, err := e.Recommend(ctx, Request{ID: m.Profiles[i%len(m.Profiles)].ID, N: 10, DryRun: true})
		if err != nil || len(resp.Results) == 0 {
			b.Fatal(err, resp)
		}
		i++
	}
}
