package match_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
)

func TestAggregators(t *testing.T) {
	nan := math.NaN()
	cases := []struct {
		name string
		agg  match.Aggregator
		p    match.Pair
		want float64
	}{
		{"one-way", match.OneWay, match.NoUrgency(0.8, 0.1), 0.8},
		{"mean", match.Mean, match.NoUrgency(0.8, 0.2), 0.5},
		{"urgency-weighted without urgencies is the mean", match.UrgencyWeighted, match.NoUrgency(0.8, 0.2), 0.5},
		{"urgency-weighted with equal urgencies is the mean", match.UrgencyWeighted, match.Pair{Forward: 0.8, Backward: 0.2, RequesterUrgency: 0.9, CandidateUrgency: 0.9}, 0.5},
		{"urgency-weighted, one unknown urgency is 1/2", match.UrgencyWeighted, match.Pair{Forward: 0.8, Backward: 0.2, RequesterUrgency: 0.5, CandidateUrgency: nan}, 0.5},
		// (0.9·0.8 + 0.1·0.2) / 1.0 = 0.74
		{"urgency-weighted leans to the urgent side", match.UrgencyWeighted, match.Pair{Forward: 0.8, Backward: 0.2, RequesterUrgency: 0.9, CandidateUrgency: 0.1}, 0.74},
		// (0.2·0.8 + 0.6·0.2) / 0.8 = 0.35
		{"urgency-weighted, candidate urgent", match.UrgencyWeighted, match.Pair{Forward: 0.8, Backward: 0.2, RequesterUrgency: 0.2, CandidateUrgency: 0.6}, 0.35},
		{"urgency-weighted, both urgencies zero", match.UrgencyWeighted, match.Pair{Forward: 0.8, Backward: 0.2}, 0.5},
		{"harmonic", match.Harmonic, match.NoUrgency(0.8, 0.2), 2 * 0.8 * 0.2 / 1.0},
		{"harmonic of zeros", match.Harmonic, match.NoUrgency(0, 0), 0},
		{"geometric", match.Geometric, match.NoUrgency(0.8, 0.2), 0.4},
		{"product", match.Product, match.NoUrgency(0.8, 0.2), 0.16},
		{"minimum", match.Minimum, match.NoUrgency(0.8, 0.2), 0.2},
		// 0.8·0.2 · 0.2/(0.2+0.2) = 0.08
		{"contact-cost", match.ContactCost(0.2), match.NoUrgency(0.8, 0.2), 0.08},
		{"contact-cost of a silent candidate", match.ContactCost(0.2), match.NoUrgency(0.8, 0), 0},
		{"contact-cost 0 is the product", match.ContactCost(0), match.NoUrgency(0.8, 0.2), 0.16},
		{"contact-cost NaN is 0", match.ContactCost(nan), match.NoUrgency(0.8, 0.2), 0.16},
		{"contact-cost negative is 0", match.ContactCost(-1), match.NoUrgency(0.8, 0.2), 0.16},
		{"NaN one-way counts as 0", match.Mean, match.NoUrgency(nan, 0.6), 0.3},
		{"out of range is clamped", match.Product, match.NoUrgency(1.5, -0.5), 0},
		{"out of range is clamped above", match.Minimum, match.NoUrgency(1.5, 2), 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.InDelta(t, c.want, c.agg(c.p), 1e-12)
		})
	}
}

// Every aggregator stays in [0, 1] and is monotone in each one-way match.
func TestAggregatorsRangeAndMonotone(t *testing.T) {
	grid := []float64{math.NaN(), -1, 0, 0.1, 0.3, 0.5, 0.7, 0.9, 1, 2}
	urg := []float64{math.NaN(), 0, 0.3, 1}
	for _, a := range match.Aggregators() {
		for _, ua := range urg {
			for _, ub := range urg {
				for i, f := range grid {
					for _, b := range grid {
						p := match.Pair{Forward: f, Backward: b, RequesterUrgency: ua, CandidateUrgency: ub}
						s := a.Aggregate(p)
						require.Truef(t, s >= 0 && s <= 1, "%s(%+v) = %v", a.Name, p, s)
						if i > 0 {
							lower := p
							lower.Forward = grid[i-1]
							require.LessOrEqualf(t, a.Aggregate(lower), s+1e-15, "%s not monotone at %+v", a.Name, p)
						}
					}
				}
			}
		}
	}
}

// ContactCost orders two candidates of the same match probability by how
// often they answer, keeps the product's order where answers are common,
// and is non-decreasing in the backward match.
func TestContactCost(t *testing.T) {
	agg := match.ContactCost(match.DefaultContactCost)
	// F·B = 0.08 for both: the one who answers half its contacts first.
	answers := agg(match.NoUrgency(0.16, 0.5))
	rarely := agg(match.NoUrgency(0.8, 0.1))
	assert.Greater(t, answers, rarely)
	assert.InDelta(t, 0.08*0.5/0.7, answers, 1e-12)
	assert.InDelta(t, 0.08*0.1/0.3, rarely, 1e-12)
	// Where both answer often, the product's order stands.
	assert.Greater(t, agg(match.NoUrgency(0.6, 0.7)), agg(match.NoUrgency(0.5, 0.8)))
	grid := []float64{math.NaN(), -1, 0, 0.01, 0.05, 0.1, 0.3, 0.5, 0.9, 1, 2}
	for _, c := range []float64{0, 0.05, 0.2, 1, 10} {
		a := match.ContactCost(c)
		for _, f := range grid {
			for i := 1; i < len(grid); i++ {
				hi, lo := a(match.NoUrgency(f, grid[i])), a(match.NoUrgency(f, grid[i-1]))
				require.LessOrEqualf(t, lo, hi+1e-15, "c %v, F %v: B %v → %v", c, f, grid[i-1], grid[i])
				require.LessOrEqualf(t, hi, match.Product(match.NoUrgency(f, grid[i]))+1e-15, "never above the product")
			}
		}
	}
}

func TestAggregatorByName(t *testing.T) {
	for _, a := range match.Aggregators() {
		got, err := match.AggregatorByName(a.Name)
		require.NoError(t, err)
		assert.InDelta(t, a.Aggregate(match.NoUrgency(0.7, 0.4)), got(match.NoUrgency(0.7, 0.4)), 0)
	}
	def, err := match.AggregatorByName("")
	require.NoError(t, err)
	assert.InDelta(t, match.UrgencyWeighted(match.Pair{Forward: 0.9, Backward: 0.1, RequesterUrgency: 1}), def(match.Pair{Forward: 0.9, Backward: 0.1, RequesterUrgency: 1}), 0)
	_, err = match.AggregatorByName("median")
	require.ErrorIs(t, err, match.ErrUnknownAggregator)
	assert.Contains(t, err.Error(), `"median"`)
}

// Any float input, NaN and infinities included, gives every aggregator a
// value in [0, 1], and UrgencyWeighted lies between the two one-way
// matches (it is a convex combination).
func FuzzAggregators(f *testing.F) {
	f.Add(0.8, 0.2, 0.9, 0.1)
	f.Add(math.NaN(), 1.0, math.Inf(1), -1.0)
	f.Add(0.0, 0.0, 0.0, 0.0)
	f.Fuzz(func(t *testing.T, fw, bw, ua, ub float64) {
		p := match.Pair{Forward: fw, Backward: bw, RequesterUrgency: ua, CandidateUrgency: ub}
		for _, a := range match.Aggregators() {
			s := a.Aggregate(p)
			if !(s >= 0 && s <= 1) {
				t.Fatalf("%s(%+v) = %v", a.Name, p, s)
			}
		}
		clamp := func(x float64) float64 {
			if !(x > 0) {
				return 0
			}
			return min(x, 1)
		}
		lo, hi := min(clamp(fw), clamp(bw)), max(clamp(fw), clamp(bw))
		if s := match.UrgencyWeighted(p); s < lo-1e-15 || s > hi+1e-15 {
			t.Fatalf("UrgencyWeighted(%+v) = %v outside [%v, %v]", p, s, lo, hi)
		}
	})
}

func TestPairJSON(t *testing.T) {
	p := match.NoUrgency(0.25, 0.5)
	b, err := json.Marshal(match.Explanation{Forward: match.Direction{Side: market.Seeker}, Backward: match.Direction{Side: market.Recruiter}, Pair: p, TwoWay: 0.3})
	require.NoError(t, err, "unknown urgencies must not break encoding/json")
	assert.Contains(t, string(b), `"pair":{"forward":0.25,"backward":0.5,"requester_urgency":null,"candidate_urgency":null}`)
	var back match.Explanation
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, 0.25, back.Pair.Forward)
	assert.True(t, math.IsNaN(back.Pair.RequesterUrgency) && math.IsNaN(back.Pair.CandidateUrgency))
	q := match.Pair{Forward: 1, Backward: 0, RequesterUrgency: 0.75, CandidateUrgency: 0}
	b, err = json.Marshal(q)
	require.NoError(t, err)
	var q2 match.Pair
	require.NoError(t, json.Unmarshal(b, &q2))
	assert.Equal(t, q, q2)
	assert.Error(t, json.Unmarshal([]byte(`{"forward":"x"}`), &q2))
}

func TestUrgencyGeometric(t *testing.T) {
	p := match.Pair{Forward: 0.8, Backward: 0.2, RequesterUrgency: 0.5, CandidateUrgency: 0.5}
	assert.InDelta(t, 0.4, match.UrgencyGeometric(p), 1e-12, "equal urgencies: the geometric mean")
	p.RequesterUrgency, p.CandidateUrgency = math.NaN(), math.NaN()
	assert.InDelta(t, 0.4, match.UrgencyGeometric(p), 1e-12, "unknown urgencies: the geometric mean")
	p.RequesterUrgency, p.CandidateUrgency = 0.9, 0.1
	assert.InDelta(t, math.Pow(0.8, 0.9)*math.Pow(0.2, 0.1), match.UrgencyGeometric(p), 1e-12, "an urgent requester leans on its own match")
	p.Backward = 0
	assert.Zero(t, match.UrgencyGeometric(p))
	p.RequesterUrgency, p.CandidateUrgency = 0, 0
	p.Backward = 0.2
	assert.InDelta(t, 0.4, match.UrgencyGeometric(p), 1e-12, "both zero: equal weights")
}
