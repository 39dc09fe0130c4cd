package recall_test

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/kelindar/bitmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/internal/cputime"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/recall"
	"github.com/twowayrec/twoway/recall/recalltest"
)

// exactVector returns a vector whose float32 dot products with another
// such vector are exact: quarter-integers in [−2, 2] times 2^e for e in
// [−3, 3] (so norms vary by a factor of 64 and the norm bound prunes).
func exactVector(rng *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	scale := float32(math.Ldexp(1, rng.IntN(7)-3))
	for d := range v {
		v[d] = float32(rng.IntN(17)-8) / 4 * scale
	}
	return v
}

// bruteForce ranks every allowed candidate with a vector by exact float64
// dot product, ties by index, and keeps the best k.
func bruteForce(q []float32, cands [][]float32, allowed bitmap.Bitmap, requester uint32, k int) []recall.Candidate {
	var all []recall.Candidate
	for j, v := range cands {
		if len(v) == 0 || !allowed.Contains(uint32(j)) || uint32(j) == requester {
			continue
		}
		var s float64
		for d := range v {
			s += float64(q[d]) * float64(v[d])
		}
		all = append(all, recall.Candidate{Index: uint32(j), Score: s})
	}
	slices.SortFunc(all, func(a, b recall.Candidate) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Index, b.Index))
	})
	return all[:min(k, len(all))]
}

// vectorFixture gives every participant of the conformance fixture a
// vector and builds both directions of vector recall.
func vectorFixture(t *testing.T, f *fixture, dim int) (seekers, recruiters *recall.Vectors, vecs [][]float32) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 5))
	vecs = make([][]float32, len(f.profiles))
	for i := range vecs {
		vecs[i] = exactVector(rng, dim)
	}
	split := func(side market.Side) (q, c [][]float32) {
		q, c = make([][]float32, len(vecs)), make([][]float32, len(vecs))
		for i, p := range f.profiles {
			if p.Side == side {
				q[i] = vecs[i]
			} else {
				c[i] = vecs[i]
			}
		}
		return q, c
	}
	var err error
	q, c := split(market.Seeker)
	seekers, err = recall.NewVectors(recall.VectorsConfig{Side: market.Seeker, Queries: q, Candidates: c})
	require.NoError(t, err)
	q, c = split(market.Recruiter)
	recruiters, err = recall.NewVectors(recall.VectorsConfig{Name: "emb", Side: market.Recruiter, Queries: q, Candidates: c})
	require.NoError(t, err)
	return seekers, recruiters, vecs
}

func TestVectorsConformance(t *testing.T) {
	f := newFixture(t, 1, 60, 40, 1500)
	seekers, recruiters, _ := vectorFixture(t, f, 12)
	t.Run("seekers", func(t *testing.T) { recalltest.Run(t, seekers, f.requests(t, 8, 0, 1, 2, 7)...) })
	t.Run("recruiters", func(t *testing.T) { recalltest.Run(t, recruiters, f.requests(t, 8, 65, 70, 99)...) })
	// Requests from the other side get nothing, and are still valid.
	t.Run("other side", func(t *testing.T) {
		recalltest.Run(t, seekers, append(f.requests(t, 5, 65), f.requests(t, 5, 3)...)...)
	})
	// A newcomer (no vector) gets nothing; through RecallVector it gets
	// candidates.
	nc := f.newcomer(t, market.Seeker)
	req := f.requests(t, 5, nc)[0]
	got, err := seekers.Recall(context.Background(), req, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
	q := seekers.Query(0)
	got, err = seekers.RecallVector(context.Background(), req, q, nil)
	require.NoError(t, err)
	assert.Len(t, got, 5)
	assert.Equal(t, "vectors", seekers.String())
	assert.Equal(t, "emb", recruiters.String())
	assert.Equal(t, 12, seekers.Dim())
	assert.Equal(t, 40, seekers.Len())
	assert.Equal(t, 4*(100+60*16+40+40+40*16), seekers.Bytes(), "rows of 12 padded to 16")
	assert.Nil(t, seekers.Query(70), "a job has no seeker-side query")
}

// TestVectorsAgreeWithBruteForce compares exact recall with a brute-force
// float64 ranking on random tables, filters, K and dimensions, with
// values whose float32 products are exact, so that scores and tie order
// must agree to the bit.
func TestVectorsAgreeWithBruteForce(t *testing.T) { agreeWithBruteForce(t) }

// TestVectorsWithoutAVX2 runs the brute-force comparisons with gonum's
// kernel, the one machines without AVX2 and FMA use.
func TestVectorsWithoutAVX2(t *testing.T) {
	defer recall.WithoutAVX2()()
	t.Run("exact", agreeWithBruteForce)
	t.Run("approximate", approximateScores)
}

func agreeWithBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	ctx := context.Background()
	for trial := range 60 {
		n := 50 + rng.IntN(400)
		dim := 1 + rng.IntN(40)
		queries, cands := make([][]float32, n), make([][]float32, n)
		for i := range n {
			switch rng.IntN(5) {
			case 0: // neither
			case 1, 2:
				queries[i] = exactVector(rng, dim)
			default:
				cands[i] = exactVector(rng, dim)
				if rng.IntN(10) == 0 { // duplicates make ties
					cands[i] = slices.Clone(cands[max(0, i-1)])
					if len(cands[i]) == 0 {
						cands[i] = exactVector(rng, dim)
					}
				}
			}
		}
		v, err := recall.NewVectors(recall.VectorsConfig{Side: market.Recruiter, Queries: queries, Candidates: cands})
		require.NoError(t, err)
		for range 10 {
			var allowed bitmap.Bitmap
			density := rng.Float64()
			for i := range n + rng.IntN(3) - 1 {
				if rng.Float64() < density {
					allowed.Set(uint32(i))
				}
			}
			u := uint32(rng.IntN(n))
			k := 1 + rng.IntN(60)
			req := recall.Request{Requester: u, Side: market.Recruiter, K: k, Allowed: allowed}
			q := queries[u]
			if q == nil {
				q = exactVector(rng, dim)
				got, err := v.Recall(ctx, req, nil)
				require.NoError(t, err)
				require.Empty(t, got)
			}
			want := bruteForce(q, cands, allowed, u, k)
			got, err := v.RecallVector(ctx, req, q, nil)
			require.NoError(t, err)
			require.Equalf(t, want, got, "trial %d: n %d dim %d k %d", trial, n, dim, k)
			if queries[u] != nil {
				got, err = v.Recall(ctx, req, nil)
				require.NoError(t, err)
				require.Equal(t, want, got)
			}
		}
	}
}

// TestVectorsApproximateScores checks agreement with brute force on
// ordinary Gaussian vectors, where float32 rounding makes scores differ
// from float64 in the last bits: every returned score is within 1e-5
// (relative) of its exact value and no left-out candidate beats the K-th
// by more than that.
func TestVectorsApproximateScores(t *testing.T) { approximateScores(t) }

func approximateScores(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	const n, dim, k = 3000, 64, 100
	cands := make([][]float32, n)
	for i := 1; i < n; i++ {
		cands[i] = make([]float32, dim)
		s := math.Exp(rng.NormFloat64())
		for d := range cands[i] {
			cands[i][d] = float32(s * rng.NormFloat64())
		}
	}
	q := make([]float32, dim)
	for d := range q {
		q[d] = float32(rng.NormFloat64())
	}
	v, err := recall.NewVectors(recall.VectorsConfig{Side: market.Seeker, Queries: [][]float32{q}, Candidates: cands})
	require.NoError(t, err)
	var allowed bitmap.Bitmap
	for i := range n {
		allowed.Set(uint32(i))
	}
	got, err := v.Recall(context.Background(), recall.Request{Requester: 0, Side: market.Seeker, K: k, Allowed: allowed}, nil)
	require.NoError(t, err)
	want := bruteForce(q, cands, allowed, 0, n)
	require.Len(t, got, k)
	exact := map[uint32]float64{}
	for _, c := range want {
		exact[c.Index] = c.Score
	}
	tol := func(s float64) float64 { return 1e-5 * (1 + math.Abs(s)) }
	for _, c := range got {
		require.InDelta(t, exact[c.Index], c.Score, tol(c.Score))
	}
	kth := got[k-1].Score
	in := map[uint32]bool{}
	for _, c := range got {
		in[c.Index] = true
	}
	for _, c := range want {
		if !in[c.Index] {
			require.LessOrEqualf(t, c.Score, kth+tol(kth), "candidate %d (%.6f) left out above the K-th (%.6f)", c.Index, c.Score, kth)
		}
	}
}

func TestVectorsErrors(t *testing.T) {
	_, err := recall.NewVectors(recall.VectorsConfig{})
	require.ErrorIs(t, err, recall.ErrConfig)
	assert.Contains(t, err.Error(), "VectorsConfig.Side")
	_, err = recall.NewVectors(recall.VectorsConfig{Side: market.Seeker, Queries: [][]float32{{1, 2}}, Candidates: [][]float32{nil, {1, 2, 3}}})
	require.ErrorIs(t, err, recall.ErrConfig)
	assert.Contains(t, err.Error(), "Candidates[1] has length 3, want 2")
	_, err = recall.NewVectors(recall.VectorsConfig{Side: market.Seeker, Queries: [][]float32{{1, float32(math.NaN())}}})
	require.ErrorIs(t, err, recall.ErrConfig)
	assert.Contains(t, err.Error(), "Queries[0][1] is NaN")
	v, err := recall.NewVectors(recall.VectorsConfig{Side: market.Seeker, Queries: [][]float32{{1, 0}}, Candidates: [][]float32{nil, {1, 1}, {2, 0}}})
	require.NoError(t, err)
	all := bitmap.Bitmap{}
	all.Set(1)
	all.Set(2)
	req := recall.Request{Requester: 0, Side: market.Seeker, K: 5, Allowed: all}
	got, err := v.Recall(context.Background(), req, nil)
	require.NoError(t, err)
	assert.Equal(t, []recall.Candidate{{Index: 2, Score: 2}, {Index: 1, Score: 1}}, got)
	_, err = v.RecallVector(context.Background(), req, []float32{1}, nil)
	require.ErrorContains(t, err, "query vector of length 1, want 2")
	_, err = v.RecallVector(context.Background(), req, []float32{1, float32(math.Inf(-1))}, nil)
	require.ErrorContains(t, err, "-Inf")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = v.RecallVector(ctx, req, []float32{1, 1}, nil)
	require.ErrorIs(t, err, context.Canceled)
	// An empty table recalls nothing.
	empty, err := recall.NewVectors(recall.VectorsConfig{Side: market.Seeker})
	require.NoError(t, err)
	got, err = empty.RecallVector(context.Background(), req, nil, nil)
	require.NoError(t, err)
	assert.Empty(t, got)
}

// BenchmarkVectors measures one exact request for K = 200 of 20,000
// candidates of 64 dimensions (Gaussian, log-normal norms), with every
// candidate allowed and with a fifth of them.
func BenchmarkVectors(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const nq, nc, dim = 1000, 20000, 64
	queries, cands := make([][]float32, nq+nc), make([][]float32, nq+nc)
	for i := range queries {
		v := make([]float32, dim)
		s := math.Exp(0.5 * rng.NormFloat64())
		for d := range v {
			v[d] = float32(s * rng.NormFloat64())
		}
		if i < nq {
			queries[i] = v
		} else {
			cands[i] = v
		}
	}
	v, err := recall.NewVectors(recall.VectorsConfig{Side: market.Seeker, Queries: queries, Candidates: cands})
	if err != nil {
		b.Fatal(err)
	}
	for _, share := range []int{1, 5} {
		var allowed bitmap.Bitmap
		for i := nq; i < nq+nc; i++ {
			if rng.IntN(share) == 0 {
				allowed.Set(uint32(i))
			}
		}
		b.Run(map[int]string{1: "all", 5: "fifth"}[share], func(b *testing.B) {
			b.ReportAllocs()
			var dst []recall.Candidate
			i := 0
			cpu := cputime.Start()
			for b.Loop() {
				u := uint32(i % nq)
				i++
				var err error
				dst, err = v.Recall(context.Background(), recall.Request{Requester: u, Side: market.Seeker, K: 200, Allowed: allowed}, dst[:0])
				if err != nil || len(dst) != 200 {
					b.Fatalf("%d results, %v", len(dst), err)
				}
			}
			cpu.Report(b)
			if want := bruteForce(queries[(i-1)%nq], cands, allowed, uint32((i-1)%nq), 1)[0].Index; dst[0].Index != want {
				b.Fatalf("best %d, brute force %d", dst[0].Index, want)
			}
		})
	}
}

// TestVectorsRefuseOverflow gives rows whose components are finite but
// whose float32 dot products overflow (the scores were +Inf, although the
// Recaller contract promises finite scores): NewVectors refuses them,
// naming the table and row, and RecallVector refuses such a query. Rows
// just below the bound score finitely with both kernels.
func TestVectorsRefuseOverflow(t *testing.T) {
	big := float32(2e19) // 2e19 · 2e19 = 4e38 > math.MaxFloat32
	for _, tc := range []struct {
		name, want string
		cfg        recall.VectorsConfig
	}{
		{"candidate", "VectorsConfig.Candidates[2] has norm", recall.VectorsConfig{Side: market.Seeker,
			Queries: [][]float32{{1, 0}}, Candidates: [][]float32{nil, {1, 1}, {big, 0}}}},
		{"query", "VectorsConfig.Queries[1] has norm", recall.VectorsConfig{Side: market.Seeker,
			Queries: [][]float32{{1, 0}, {0, big}}, Candidates: [][]float32{nil, {1, 1}}}},
		// Every component is small enough alone; the row's norm is not.
		{"many components", "VectorsConfig.Candidates[1] has norm", recall.VectorsConfig{Side: market.Seeker,
			Queries: [][]float32{{1, 0}}, Candidates: [][]float32{nil, slices.Repeat([]float32{1e19}, 64)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "many components" {
				tc.cfg.Queries[0] = make([]float32, 64)
			}
			_, err := recall.NewVectors(tc.cfg)
			require.ErrorIs(t, err, recall.ErrConfig)
			assert.ErrorContains(t, err, tc.want)
		})
	}

	// Just below the bound (2^63, a little less for long rows): query and
	// candidate of norm ≈ 2^63 score ≈ 2^126, finite.
	const dim = 16
	edge := float32(0x1p63 / 4 * 0.9999) // norm of 16 such components: 0.9999 · 2^63
	row := slices.Repeat([]float32{edge}, dim)
	for _, kernel := range []string{"default", "gonum"} {
		t.Run(kernel, func(t *testing.T) {
			if kernel == "gonum" {
				defer recall.WithoutAVX2()()
			}
			v, err := recall.NewVectors(recall.VectorsConfig{Side: market.Seeker, Queries: [][]float32{row}, Candidates: [][]float32{nil, row, slices.Repeat([]float32{-edge}, dim)}})
			require.NoError(t, err)
			var all bitmap.Bitmap
			all.Set(1)
			all.Set(2)
			req := recall.Request{Requester: 0, Side: market.Seeker, K: 5, Allowed: all}
			got, err := v.Recall(context.Background(), req, nil)
			require.NoError(t, err)
			require.Len(t, got, 2)
			for _, c := range got {
				assert.False(t, math.IsInf(c.Score, 0) || math.IsNaN(c.Score), "candidate %d scored %v", c.Index, c.Score)
			}
			assert.InEpsilon(t, float64(dim)*float64(edge)*float64(edge), got[0].Score, 1e-5)

			_, err = v.RecallVector(context.Background(), req, []float32{big, big, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, nil)
			require.ErrorContains(t, err, "query vector has norm")
		})
	}
}
