package allocate

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/internal/synth"
)

// scaleMarket describes a synthetic recalled-pair graph (simulated):
// seekers 0 … S−1 and jobs S … S+J−1 of one Dict; every seeker recalls
// perSeeker jobs and every job perJob seekers, drawn in proportion to
// popularity (half within the participant's job family), the union being
// the graph; calibrated probabilities from a latent logistic model; seekers
// of mass 1, jobs of a log-normal capacity (median 3 answers a day).
type scaleMarket struct {
	S, J              int
	perSeeker, perJob int
	seed              uint64
}

// largeMarket is a graph the size of internal/synth.Large(): 100,000
// seekers and 20,000 jobs, about 110 candidates per seeker and 600 per job
// (≈ 12M pairs).
func largeMarket() scaleMarket {
	c := synth.Large()
	return scaleMarket{S: c.Seekers, J: c.Jobs, perSeeker: 80, perJob: 150, seed: c.Seed}
}

const families = 24

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// generate returns the pairs (sorted by seeker, then job) and the jobs'
// masses.
func (sm scaleMarket) generate() ([]Pair, []Mass) {
	r := rand.New(rand.NewPCG(sm.seed, 0x5ca1e))
	type person struct {
		family  int
		quality float64 // attractiveness to the other side
		taste   float64 // own pickiness
	}
	mk := func(n int) []person {
		ps := make([]person, n)
		for k := range ps {
			ps[k] = person{family: r.IntN(families), quality: r.NormFloat64(), taste: r.NormFloat64()}
		}
		return ps
	}
	seekers, jobs := mk(sm.S), mk(sm.J)
	// Recall weights ∝ exp(quality): popular participants are recalled by many.
	type sampler struct {
		cum   []float64
		index []int
	}
	build := func(ps []person, filter func(p person) bool) sampler {
		var s sampler
		var c float64
		for k, p := range ps {
			if filter(p) {
				c += math.Exp(1.2 * p.quality)
				s.cum = append(s.cum, c)
				s.index = append(s.index, k)
			}
		}
		return s
	}
	draw := func(s sampler, r *rand.Rand) int {
		x := r.Float64() * s.cum[len(s.cum)-1]
		k, _ := slices.BinarySearch(s.cum, x)
		return s.index[min(k, len(s.index)-1)]
	}
	all := func(person) bool { return true }
	jobsAll, seekersAll := build(jobs, all), build(seekers, all)
	jobsFam, seekersFam := make([]sampler, families), make([]sampler, families)
	for f := range families {
		jobsFam[f] = build(jobs, func(p person) bool { return p.family == f })
		seekersFam[f] = build(seekers, func(p person) bool { return p.family == f })
	}
	rows := make([][]uint32, sm.S)
	for i, p := range seekers {
		for k := range sm.perSeeker {
			s := jobsAll
			if k%2 == 0 {
				s = jobsFam[p.family]
			}
			rows[i] = append(rows[i], uint32(draw(s, r)))
		}
	}
	for j, p := range jobs {
		for k := range sm.perJob {
			s := seekersAll
			if k%2 == 0 {
				s = seekersFam[p.family]
			}
			i := draw(s, r)
			rows[i] = append(rows[i], uint32(j))
		}
	}
	pairs := make([]Pair, 0, sm.S*(sm.perSeeker+sm.perJob*sm.J/sm.S))
	for i, row := range rows {
		slices.Sort(row)
		row = slices.Compact(row)
		for _, j := range row {
			a, b := seekers[i], jobs[j]
			fit := -1.0
			if a.family == b.family {
				fit = 1
			}
			noise := hashNormal(sm.seed, uint32(i), j)
			act := sigmoid(-2.2 + 0.8*b.quality - 0.3*a.taste + fit + 0.5*noise)
			answer := sigmoid(-3 + 0.8*a.quality - 0.3*b.taste + fit + 0.5*hashNormal(sm.seed+1, j, uint32(i)))
			pairs = append(pairs, Pair{Seeker: uint32(i), Job: uint32(sm.S) + j, Act: act, Answer: answer})
		}
	}
	masses := make([]Mass, sm.J)
	for j := range masses {
		masses[j] = Mass{Participant: uint32(sm.S + j), Mass: min(30, math.Exp(math.Log(3)+0.6*r.NormFloat64()))}
	}
	return pairs, masses
}

// hashNormal is a standard normal deviate from a hash of (seed, a, b).
func hashNormal(seed uint64, a, b uint32) float64 {
	h := seed ^ uint64(a)<<32 ^ uint64(b)
	mix := func(x uint64) uint64 {
		x += 0x9e3779b97f4a7c15
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
		x = (x ^ (x >> 27)) * 0x94d049bb133111eb
		return x ^ (x >> 31)
	}
	h1, h2 := mix(h), mix(h^0xabcdef)
	u1 := (float64(h1>>11) + 0.5) / (1 << 53)
	u2 := float64(h2>>11) / (1 << 53)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

func buildScale(t testing.TB, cfg Config, pairs []Pair, masses []Mass) *Graph {
	t.Helper()
	b, err := NewBuilder(cfg)
	require.NoError(t, err)
	for _, p := range pairs {
		if err := b.Add(p); err != nil {
			require.NoError(t, err)
		}
	}
	for _, m := range masses {
		require.NoError(t, b.SetMass(m))
	}
	g, err := b.Build()
	require.NoError(t, err)
	return g
}
