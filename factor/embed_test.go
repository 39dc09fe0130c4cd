package factor_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/factor"
	"github.com/twowayrec/twoway/market"
)

func cosine(a, b []float32) float64 {
	na, nb := math.Sqrt(factor.Dot(a, a)), math.Sqrt(factor.Dot(b, b))
	if na == 0 || nb == 0 {
		return 0
	}
	return factor.Dot(a, b) / (na * nb)
}

func TestHashEmbedder(t *testing.T) {
	e, err := factor.NewHashEmbedder(factor.HashConfig{Dim: 128, Seed: 1})
	require.NoError(t, err)
	assert.Equal(t, 128, e.Dim())
	profiles := []market.Profile{
		{ID: "a", Title: "Java后端开发工程师", Skills: []string{"Java", "MySQL", "SpringBoot"}},
		{ID: "b", Title: "Senior Java Engineer", Skills: []string{"java", " mysql ", "Redis"}},
		{ID: "c", Title: "数据分析师", Skills: []string{"SQL", "Python", "Tableau"}, Tags: []string{"五险一金"}},
		{ID: "empty"},
	}
	vecs, err := e.Embed(context.Background(), profiles)
	require.NoError(t, err)
	require.Len(t, vecs, 4)
	for i := range 3 {
		require.Len(t, vecs[i], 128)
		assert.InDelta(t, 1, math.Sqrt(factor.Dot(vecs[i], vecs[i])), 1e-6, "unit length")
	}
	assert.Nil(t, vecs[3], "a profile without tokens has no vector")
	assert.Greater(t, cosine(vecs[0], vecs[1]), cosine(vecs[0], vecs[2]), "shared skills and words bring profiles closer")
	assert.Greater(t, cosine(vecs[0], vecs[1]), 0.3)
	// Deterministic, and concurrent calls agree.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			again, err := e.Embed(context.Background(), profiles)
			assert.NoError(t, err)
			assert.Equal(t, vecs, again)
		})
	}
	wg.Wait()
	// Another seed, other vectors; the Text option adds the text's words.
	e2, err := factor.NewHashEmbedder(factor.HashConfig{Dim: 128, Seed: 2})
	require.NoError(t, err)
	other, err := e2.Embed(context.Background(), profiles[:1])
	require.NoError(t, err)
	assert.NotEqual(t, vecs[0], other[0])
	et, err := factor.NewHashEmbedder(factor.HashConfig{Dim: 128, Seed: 1, Text: true})
	require.NoError(t, err)
	withText, err := et.Embed(context.Background(), []market.Profile{{ID: "t", Text: "熟悉 Kubernetes 和 Go"}})
	require.NoError(t, err)
	assert.Len(t, withText[0], 128)
	// Invalid UTF-8 names the profile and field; the others are embedded.
	bad := []market.Profile{profiles[0], {ID: "bad", Skills: []string{"\xff"}}}
	got, err := e.Embed(context.Background(), bad)
	var pe *factor.ProfileError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 1, pe.Index)
	assert.Equal(t, "bad", pe.ID)
	var fe *market.FieldError
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "Skills", fe.Field)
	assert.Equal(t, vecs[0], got[0])
	assert.Nil(t, got[1])
	// A done context is an error wrapping its cause.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = e.Embed(ctx, profiles)
	require.ErrorIs(t, err, context.Canceled)
	_, err = factor.NewHashEmbedder(factor.HashConfig{Dim: -1})
	require.ErrorIs(t, err, factor.ErrConfig)
	d, err := factor.NewHashEmbedder(factor.HashConfig{})
	require.NoError(t, err)
	assert.Equal(t, 256, d.Dim())
}

func profilesN(n int) []market.Profile {
	out := make([]market.Profile, n)
	for i := range out {
		out[i] = market.Profile{ID: fmt.Sprintf("p%02d", i), Title: "Go engineer", Skills: []string{fmt.Sprint("skill", i%4)}}
	}
	return out
}

// TestEmbedAllFallsBack checks the fallback policy: every kind of failure
// of a host's embedder (an error for the batch, an error naming one
// profile with partial results, a timeout, a vector of the wrong length or
// with NaN, a wrong number of vectors) loses only the profiles concerned,
// never fails the call, and is counted and reported.
func TestEmbedAllFallsBack(t *testing.T) {
	ref, err := factor.NewHashEmbedder(factor.HashConfig{Dim: 8})
	require.NoError(t, err)
	profiles := profilesN(20)
	flaky := factor.EmbedderFunc(func(ctx context.Context, ps []market.Profile) ([][]float32, error) {
		vecs, err := ref.Embed(ctx, ps)
		if err != nil {
			return nil, err
		}
		switch ps[0].ID {
		case "p00": // the whole batch fails
			return nil, errors.New("service unavailable")
		case "p04": // one profile fails, the others are returned
			vecs[1] = nil
			return vecs, &factor.ProfileError{Index: 1, ID: ps[1].ID, Err: errors.New("text too long")}
		case "p08": // too slow: the batch times out
			<-ctx.Done()
			return nil, fmt.Errorf("embedding service: %w", ctx.Err())
		case "p12": // a vector of the wrong length and one with NaN
			vecs[0] = vecs[0][:5]
			vecs[2][3] = float32(math.NaN())
			return vecs, nil
		case "p16": // the wrong number of vectors
			return vecs[:2], nil
		}
		return vecs, nil
	})
	res, err := factor.EmbedAll(context.Background(), flaky, profiles, factor.EmbedConfig{Batch: 4, Timeout: 20 * time.Millisecond})
	require.NoError(t, err, "failures of the embedder never fail the call")
	require.NotNil(t, res.Table)
	assert.Equal(t, 20, res.Table.Len())
	assert.Equal(t, 8, res.Table.Dim())
	// Failed: batch 0 (4), p05 (1), batch 2 (4), p12 and p14 (2), batch 4 (4).
	assert.Equal(t, 15, res.Failed)
	assert.Equal(t, 5, res.Embedded)
	assert.Equal(t, 0, res.Empty)
	for i, want := range []bool{false, false, false, false, true, false, true, true, false, false, false, false, false, true, false, true, false, false, false, false} {
		assert.Equalf(t, want, res.Table.Has(i), "profile %d", i)
	}
	require.Error(t, res.Err)
	var pe *factor.ProfileError
	require.ErrorAs(t, res.Err, &pe)
	msg := res.Err.Error()
	for _, part := range []string{"service unavailable", `"p05" (position 5): text too long`, "deadline exceeded", `"p12" (position 12): vector of length 5, want 8`, `"p14" (position 14): vector[3] is NaN`, "2 vectors for 4 profiles"} {
		assert.Contains(t, msg, part)
	}
	// A vector for every profile: no error.
	ok, err := factor.EmbedAll(context.Background(), ref, append(profiles, market.Profile{ID: "none"}), factor.EmbedConfig{})
	require.NoError(t, err)
	assert.Equal(t, 20, ok.Embedded)
	assert.Equal(t, 1, ok.Empty)
	assert.NoError(t, ok.Err)
	// MaxErrors bounds what is kept, not what is counted.
	failing := factor.EmbedderFunc(func(context.Context, []market.Profile) ([][]float32, error) { return nil, errors.New("down") })
	all, err := factor.EmbedAll(context.Background(), failing, profiles, factor.EmbedConfig{Batch: 1, MaxErrors: 3})
	require.NoError(t, err)
	assert.Equal(t, 20, all.Failed)
	assert.Len(t, all.Err.(interface{ Unwrap() []error }).Unwrap(), 3)
	// The caller's own context ends the call.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = factor.EmbedAll(ctx, ref, profiles, factor.EmbedConfig{})
	require.ErrorIs(t, err, context.Canceled)
	_, err = factor.EmbedAll(context.Background(), ref, profiles, factor.EmbedConfig{Batch: -1})
	require.ErrorIs(t, err, factor.ErrConfig)
}

// TestEmbedAllStoresUnitVectors checks that EmbedAll scales the host's
// vectors to unit length (so that recall by dot product ranks by cosine,
// and a vector near float32's largest value cannot overflow a dot
// product), keeps their direction, and counts the zero vector as Empty.
func TestEmbedAllStoresUnitVectors(t *testing.T) {
	in := [][]float32{{3, 4}, {3e38, -3e38}, {0, 0}, {1e-30, 0}}
	host := factor.EmbedderFunc(func(ctx context.Context, ps []market.Profile) ([][]float32, error) {
		out := make([][]float32, len(ps))
		for i := range ps {
			out[i] = append([]float32(nil), in[i]...)
		}
		return out, nil
	})
	res, err := factor.EmbedAll(context.Background(), host, profilesN(len(in)), factor.EmbedConfig{})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Embedded)
	assert.Equal(t, 1, res.Empty, "the zero vector has no direction")
	assert.False(t, res.Table.Has(2))
	want := [][]float32{{0.6, 0.8}, {float32(math.Sqrt2 / 2), -float32(math.Sqrt2 / 2)}, nil, {1, 0}}
	for i, w := range want {
		if w == nil {
			continue
		}
		got := res.Table.Row(i)
		require.Len(t, got, 2)
		assert.InDelta(t, 1, factor.Dot(got, got), 1e-6, "row %d has unit length", i)
		assert.InDelta(t, w[0], got[0], 1e-6, "row %d", i)
		assert.InDelta(t, w[1], got[1], 1e-6, "row %d", i)
		assert.InDelta(t, 1, cosine(got, in[i][:]), 1e-6, "row %d keeps its direction", i)
	}
}
