package congested

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/allocate"
)

func TestGenerateProtocol(t *testing.T) {
	m := Generate(4, 3, 0.8, 7)
	require.Len(t, m.Like, 4)
	require.Len(t, m.LikeBack, 3)
	for i := range 4 {
		for j := range 3 {
			p := m.Like[i][j]
			// (1−λ)U + λ·ramp with ramp 1, 0.5, 0 over the jobs.
			ramp := 1 - float64(j)/2
			assert.GreaterOrEqual(t, p, 0.8*ramp)
			assert.LessOrEqual(t, p, 0.8*ramp+0.2)
		}
	}
	assert.Equal(t, Generate(4, 3, 0.8, 7), m, "seeded")
	assert.NotEqual(t, Generate(4, 3, 0.8, 8).Like, m.Like)
}

func TestExpectedMatchesByHand(t *testing.T) {
	m := &Market{Seekers: 2, Jobs: 2,
		Like:     [][]float64{{0.5, 1}, {1, 0.5}},
		LikeBack: [][]float64{{1, 0.5}, {0.5, 1}}}
	// Everyone ranks the other side in index order: seeker 0 puts job 0
	// first, seeker 1 job 0 first; job 0 seeker 0 first, job 1 seeker 0.
	e := byScore([][]float64{{2, 1}, {2, 1}}, [][]float64{{2, 1}, {2, 1}})
	// Σ p·e·q·e: (0,0) .5·1·1·1 + (0,1) 1·½·.5·1 + (1,0) 1·1·.5·½ + (1,1) .5·½·1·½.
	assert.InDelta(t, 0.5+0.25+0.25+0.125, m.ExpectedMatches(e), 1e-15)
}

// TestLibraryReproducesPaperTU: the library, given the paper's surplus
// (Sum) at the paper's temperature (β = 1, that is Beta = 1 / mean Φ),
// finds the paper's equilibrium: two independent implementations of the
// same model agree.
func TestLibraryReproducesPaperTU(t *testing.T) {
	m := Generate(30, 20, 0.5, 3)
	mu, err := PaperTUMatching(m, 1, 10000)
	require.NoError(t, err)
	var mean float64
	for i := range m.Seekers {
		for j := range m.Jobs {
			mean += m.Like[i][j] + m.LikeBack[j][i]
		}
	}
	mean /= float64(m.Seekers * m.Jobs)
	seeker, job, st, err := LibraryScores(m, allocate.Config{Surplus: allocate.Sum, Beta: 1 / mean, Tolerance: 1e-12})
	require.NoError(t, err)
	require.True(t, st.Converged)
	for i := range m.Seekers {
		for j := range m.Jobs {
			assert.InDelta(t, mu[i][j], seeker[i][j], 1e-8, "μ(%d, %d) from the seeker's request", i, j)
			assert.InDelta(t, mu[i][j], job[j][i], 1e-8, "μ(%d, %d) from the job's request", i, j)
		}
	}
}

// TestMustShow runs the small instance of the claim: 100×100 at λ = 0.5 on
// one seed, the library at least as good as the paper's TU in the same
// run and at least 1.3 times the product ranking.
func TestMustShow(t *testing.T) {
	r, err := Main(Config{Sizes: [][2]int{{100, 100}}, Lambdas: []float64{0.5}, Seeds: []uint64{1}})
	require.NoError(t, err)
	require.Equal(t, []string{"one-way", "product", "TU (paper)", "library (allocate)"}, r.Methods)
	oneWay, product, paper, library := r.Mean(0, 0), r.Mean(0, 1), r.Mean(0, 2), r.Mean(0, 3)
	t.Logf("one-way %.2f, product %.2f, TU (paper) %.2f, library %.2f", oneWay, product, paper, library)
	assert.GreaterOrEqual(t, library, paper)
	assert.GreaterOrEqual(t, library, 1.3*product)
	assert.Greater(t, product, oneWay)
	md := r.Markdown(3, 2, 1)
	assert.Contains(t, md, "| 100×100 | 0.5 |")
	assert.Contains(t, md, "simulated")
}

func TestFormulationsSmall(t *testing.T) {
	m := Generate(30, 30, 0.5, 11)
	var got []float64
	for _, meth := range []Method{Product(), Sinkhorn(0.05, 500), SocialWelfare(30, 0.1), Library("library", allocate.Config{})} {
		e, err := meth.Policy(m)
		require.NoError(t, err, meth.Name)
		v := m.ExpectedMatches(e)
		require.False(t, math.IsNaN(v))
		got = append(got, v)
	}
	t.Logf("product %.2f, Sinkhorn %.2f, SW %.2f, library %.2f", got[0], got[1], got[2], got[3])
	assert.Greater(t, got[2], got[0], "SW improves on its start, the product ranking")
	assert.Greater(t, got[3], got[0])
}

func TestMarkdownDeterministic(t *testing.T) {
	cfg := Config{Sizes: [][2]int{{20, 10}}, Lambdas: []float64{0, 0.8}, Seeds: []uint64{1, 2}}
	a, err := MainMarkdown(cfg)
	require.NoError(t, err)
	b, err := MainMarkdown(cfg)
	require.NoError(t, err)
	assert.Equal(t, a, b)
	assert.Equal(t, 2+2, strings.Count(a, "\n|"), "header, rule and one row per λ")
}

func TestPaperTUNotConverged(t *testing.T) {
	_, err := PaperTUMatching(Generate(10, 10, 0.5, 1), 1, 2)
	assert.ErrorIs(t, err, ErrNotConverged)
}
