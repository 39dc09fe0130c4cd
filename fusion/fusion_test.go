package fusion

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/rank"
	"github.com/twowayrec/twoway/sparse"
)

var now = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func list(kind Kind, name string, idx ...uint32) []Candidate {
	out := make([]Candidate, len(idx))
	for i, x := range idx {
		out[i] = Candidate{Index: x, Kind: kind, Sources: []Source{{Name: name, Score: float64(len(idx) - i)}}, TwoWay: 0.5, Activity: 0.5}
	}
	return out
}

func TestNewValidates(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Pool: -1}, "Config.Pool"},
		{Config{CollaborativeShare: 1.5}, "Config.CollaborativeShare"},
		{Config{MinTwoWay: math.NaN()}, "Config.MinTwoWay"},
		{Config{Weights: &Weights{TwoWay: math.Inf(1)}}, "Config.Weights.TwoWay"},
	} {
		_, err := New(tc.cfg)
		assert.ErrorContains(t, err, tc.want)
	}
	p, err := New(Config{})
	require.NoError(t, err)
	assert.Equal(t, 200, p.Config().Pool)
}

func TestCollaborativeShareFollowsUrgencyAndNewness(t *testing.T) {
	p, err := New(Config{})
	require.NoError(t, err)
	old := now.Add(-90 * 24 * time.Hour)
	assert.InDelta(t, 0.4, p.CollaborativeShare(Requester{Urgency: 0, Registered: old}, now), 1e-12)
	assert.InDelta(t, 0.55, p.CollaborativeShare(Requester{Urgency: 0.5, Registered: old}, now), 1e-12)
	assert.InDelta(t, 0.7, p.CollaborativeShare(Requester{Urgency: 1, Registered: old}, now), 1e-12)
	assert.InDelta(t, 0.1, p.CollaborativeShare(Requester{Urgency: 1, Registered: now.Add(-time.Hour)}, now), 1e-12)
}

func TestSelectRatioDedupAndFill(t *testing.T) {
	p, err := New(Config{Pool: 10})
	require.NoError(t, err)
	content := list(Content, "index", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)
	collab := list(Collaborative, "item-cf", 101, 102, 103, 104, 105, 106, 107, 3)
	calm := p.Select(Requester{Urgency: 0}, now, content, collab)
	urgent := p.Select(Requester{Urgency: 1}, now, content, collab)
	// count counts the candidates taken from the list of kind k (a candidate
	// found by both lists later carries both kinds; its first source says
	// which list it was taken from).
	count := func(cs []Candidate, k Kind) (n int) {
		for _, c := range cs {
			if (c.Sources[0].Name == "item-cf") == (k == Collaborative) {
				n++
			}
		}
		return n
	}
	require.Len(t, calm, 10)
	require.Len(t, urgent, 10)
	assert.Equal(t, 4, count(calm, Collaborative), "40%% collaborative at urgency 0")
	assert.Equal(t, 7, count(urgent, Collaborative), "70%% collaborative at urgency 1")
	// 3 is in both lists: taken once, with both kinds and both sources.
	for k, c := range calm {
		if c.Index == 3 {
			assert.Equal(t, Content|Collaborative, c.Kind)
			assert.Equal(t, []string{"index", "item-cf"}, []string{c.Sources[0].Name, c.Sources[1].Name})
			// The candidates share one array of sources: 3's second source
			// did not overwrite the next candidate's.
			require.Less(t, k+1, len(calm))
			require.Len(t, calm[k+1].Sources, 1)
		}
	}
	// Every candidate's sources are exactly those the lists gave it.
	given := map[uint32][]Source{}
	for _, l := range [][]Candidate{content, collab} {
		for _, c := range l {
			given[c.Index] = append(given[c.Index], c.Sources...)
		}
	}
	for _, c := range calm {
		assert.Equal(t, given[c.Index], c.Sources, "candidate %d", c.Index)
	}
	// A short collaborative list is filled from content.
	short := p.Select(Requester{Urgency: 1}, now, content, list(Collaborative, "swing", 200))
	assert.Len(t, short, 10)
	seen := map[uint32]bool{}
	for _, c := range short {
		assert.False(t, seen[c.Index], "duplicate %d", c.Index)
		seen[c.Index] = true
	}
	// Select does not alias the caller's Sources.
	calm[0].Sources[0].Name = "changed"
	assert.Equal(t, "index", content[0].Sources[0].Name)
}

func TestFilterRelaxesWithUrgency(t *testing.T) {
	p, err := New(Config{MinTwoWay: 0.4, UrgentMinTwoWay: 0.2, MinActivity: 0.1, UrgentMinActivity: 0.5, MaxSaturation: 0.95})
	require.NoError(t, err)
	c := Candidate{Index: 1, TwoWay: 0.3, Activity: 0.3}
	ok, why := p.Keep(Requester{Urgency: 0}, &c)
	assert.False(t, ok)
	assert.Equal(t, "two-way match below threshold", why)
	ok, why = p.Keep(Requester{Urgency: 1}, &c)
	assert.False(t, ok, "urgent requesters want active candidates")
	assert.Equal(t, "candidate not active enough", why)
	c.Activity = 0.6
	ok, _ = p.Keep(Requester{Urgency: 1}, &c)
	assert.True(t, ok)
	c.Saturation = 0.99
	ok, why = p.Keep(Requester{Urgency: 1}, &c)
	assert.False(t, ok)
	assert.Equal(t, "saturated", why)
	c.Saturation, c.Excluded = 0, true
	ok, _ = p.Keep(Requester{}, &c)
	assert.False(t, ok)
}

func TestRankOrderCapAndParts(t *testing.T) {
	p, err := New(Config{MaxPerCompany: 2, Weights: &classic})
	require.NoError(t, err)
	var pool []Candidate
	for i := range 6 {
		pool = append(pool, Candidate{Index: uint32(i), Company: fmt.Sprint("c", i%2), TwoWay: float64(i) / 10})
	}
	pool = append(pool, Candidate{Index: 9, TwoWay: 0.9, Saturation: 0.9, Penalty: 0.5})
	var dropped []string
	res := p.Rank(Requester{}, now, pool, 0, func(c *Candidate, why string) { dropped = append(dropped, fmt.Sprint(c.Index, ":", why)) })
	got := []uint32{}
	for _, r := range res {
		got = append(got, r.Index)
	}
	// 9 has the best match but its saturation and penalty sink it.
	assert.Equal(t, []uint32{5, 4, 3, 2, 9}, got)
	assert.Equal(t, []string{"1:company cap", "0:company cap"}, dropped)
	r := res[0]
	sum := 0.0
	for _, k := range partOrder {
		sum += r.Parts[k]
	}
	assert.InDelta(t, r.Score, sum, 1e-12)
	assert.Len(t, p.Rank(Requester{}, now, pool, 2, nil), 2)
}

// classic are the weights of the weighted sum before the two-way match
// became a calibrated probability (the default is now TwoWay alone).
var classic = Weights{TwoWay: 1, Activity: 0.2, Urgency: 0.1, Saturation: 0.3, Freshness: 0.05, UrgentBoost: 1}

func TestDefaultRanksByTwoWay(t *testing.T) {
	p, err := New(Config{})
	require.NoError(t, err)
	res := p.Rank(Requester{Urgency: 1}, now, []Candidate{
		{Index: 1, TwoWay: 0.30, Activity: 0, Saturation: 0.9},
		{Index: 2, TwoWay: 0.29, Activity: 1},
	}, 0, nil)
	require.Len(t, res, 2, "nobody is dropped for saturation by default")
	assert.Equal(t, uint32(1), res[0].Index)
	assert.Equal(t, 0.30, res[0].Score)
}

func TestUrgencyRaisesActivityWeight(t *testing.T) {
	p, err := New(Config{Weights: &classic})
	require.NoError(t, err)
	pool := []Candidate{
		{Index: 1, TwoWay: 0.60, Activity: 0.0},
		{Index: 2, TwoWay: 0.55, Activity: 0.4},
	}
	calm := p.Rank(Requester{Urgency: 0}, now, pool, 0, nil)
	urgent := p.Rank(Requester{Urgency: 1}, now, pool, 0, nil)
	assert.Equal(t, uint32(2), calm[0].Index, "0.55+0.08 > 0.60")
	assert.Equal(t, uint32(2), urgent[0].Index)
	assert.Greater(t, urgent[0].Score-urgent[1].Score, calm[0].Score-calm[1].Score, "urgency widens the activity advantage")
}

func TestLearnedScorerAndNaN(t *testing.T) {
	// A learned scorer that cares about activity above all.
	s := ScorerFunc(func(x sparse.Vector) float64 { return x.Get(3) + 0.1*x.Get(0) })
	p, err := New(Config{Learned: s})
	require.NoError(t, err)
	pool := []Candidate{
		{Index: 1, TwoWay: 0.9},
		{Index: 2, TwoWay: 0.1, Activity: 0.8},
		{Index: 3, TwoWay: math.NaN()},
	}
	res := p.Rank(Requester{}, now, pool, 0, nil)
	require.Len(t, res, 3)
	assert.Equal(t, []uint32{2, 1, 3}, []uint32{res[0].Index, res[1].Index, res[2].Index})
	assert.Nil(t, res[0].Parts)
}

func TestFreshness(t *testing.T) {
	p, err := New(Config{FreshnessHalfLife: 24 * time.Hour})
	require.NoError(t, err)
	assert.Equal(t, 1.0, p.Freshness(now, now))
	assert.InDelta(t, 0.5, p.Freshness(now.Add(-24*time.Hour), now), 1e-12)
	assert.Equal(t, 0.0, p.Freshness(time.Time{}, now))
}

func BenchmarkRank200(b *testing.B) {
	p, err := New(Config{})
	require.NoError(b, err)
	pool := make([]Candidate, 200)
	for i := range pool {
		pool[i] = Candidate{Index: uint32(i), Company: fmt.Sprint("c", i%50), TwoWay: float64(i%17) / 17, Activity: float64(i%5) / 5}
	}
	b.ReportAllocs()
	for b.Loop() {
		res := p.Rank(Requester{Urgency: 0.3}, now, pool, 20, nil)
		if len(res) != 20 {
			b.Fatal(len(res))
		}
	}
}

func TestLearnRecoversThePreference(t *testing.T) {
	// Outcomes where mutual chats happen with active candidates of good
	// two-way match and almost never with saturated ones.
	var outs []Outcome
	for i := range 400 {
		tw, act, sat := float64(i%10)/10, float64(i%7)/7, float64(i%5)/5
		mutual := tw+act-2*sat > 0.6
		outs = append(outs, Outcome{Candidate: Candidate{Index: uint32(i), TwoWay: tw, Activity: act, Saturation: sat}, Mutual: mutual})
	}
	l, err := Learn(context.Background(), rank.Config{}, outs)
	require.NoError(t, err)
	assert.Equal(t, 400, l.Outcomes())
	w := l.Model().Weights()
	assert.Greater(t, w[0], 0.0, "two-way match helps")
	assert.Greater(t, w[3], 0.0, "activity helps")
	assert.Less(t, w[5], 0.0, "saturation hurts")
	p, err := New(Config{Learned: l})
	require.NoError(t, err)
	res := p.Rank(Requester{}, now, []Candidate{
		{Index: 1, TwoWay: 0.9, Activity: 0.9, Saturation: 0.8},
		{Index: 2, TwoWay: 0.7, Activity: 0.7},
	}, 0, nil)
	assert.Equal(t, uint32(2), res[0].Index)

	_, err = Learn(context.Background(), rank.Config{}, outs[:1])
	assert.ErrorIs(t, err, ErrNoOutcomes)
}

func TestLearnedRoundTrip(t *testing.T) {
	var outs []Outcome
	for i := range 200 {
		tw := float64(i%10) / 10
		outs = append(outs, Outcome{Candidate: Candidate{Index: uint32(i), TwoWay: tw}, Mutual: tw > 0.5 && i%3 == 0})
	}
	l, err := Learn(context.Background(), rank.Config{}, outs)
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = l.WriteTo(&buf)
	require.NoError(t, err)
	b := buf.Bytes()
	got, err := ReadLearned(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, l.Outcomes(), got.Outcomes())
	x := Features(sparse.Vector{}, Requester{Urgency: 0.3}, &Candidate{TwoWay: 0.7, Activity: 0.2}, 0.5)
	assert.Equal(t, l.Score(x), got.Score(x))
	for _, cut := range []int{0, 4, len(b) / 2, len(b) - 1} {
		_, err := ReadLearned(bytes.NewReader(b[:cut]))
		assert.ErrorIs(t, err, ErrCorrupt, "cut at %d", cut)
	}
}

// The learned score is a probability; subtracting the exposure penalty
// from it made it negative (0.2 − 0.9). It is now P·(1 − penalty), in
// [0,1], and unpenalised candidates keep the linear model's order.
func TestLearnedScoreStaysAProbability(t *testing.T) {
	var outs []Outcome
	for i := range 300 {
		tw := float64(i%10) / 10
		outs = append(outs, Outcome{Candidate: Candidate{Index: uint32(i), TwoWay: tw}, Mutual: tw > 0.4 && i%3 != 0})
	}
	l, err := Learn(context.Background(), rank.Config{}, outs)
	require.NoError(t, err)
	p, err := New(Config{Learned: l})
	require.NoError(t, err)
	var pool []Candidate
	for i := range 40 {
		pool = append(pool, Candidate{Index: uint32(i), TwoWay: float64(i%8) / 8, Activity: float64(i%5) / 4, Penalty: []float64{0, 0.3, 0.9, 1, math.NaN(), 2}[i%6]})
	}
	res := p.Rank(Requester{Urgency: 0.4}, now, pool, 0, nil)
	require.Len(t, res, len(pool))
	var plain []Result
	for _, r := range res {
		assert.GreaterOrEqual(t, r.Score, 0.0, "candidate %d", r.Index)
		assert.LessOrEqual(t, r.Score, 1.0, "candidate %d", r.Index)
		x := Features(sparse.Vector{}, Requester{Urgency: 0.4}, &r.Candidate, 0)
		assert.InDelta(t, l.Score(x)*(1-clamp01(r.Penalty)), r.Score, 1e-15, "candidate %d", r.Index)
		if clamp01(r.Penalty) == 0 {
			plain = append(plain, r)
		}
	}
	require.Greater(t, len(plain), 5)
	for i := 1; i < len(plain); i++ {
		a := Features(sparse.Vector{}, Requester{Urgency: 0.4}, &plain[i-1].Candidate, 0)
		b := Features(sparse.Vector{}, Requester{Urgency: 0.4}, &plain[i].Candidate, 0)
		assert.GreaterOrEqual(t, l.Model().Score(a), l.Model().Score(b), "the linear model's order")
	}
	hit := p.Rank(Requester{}, now, []Candidate{{Index: 1, TwoWay: 0.1, Penalty: 0.9}}, 0, nil)
	assert.GreaterOrEqual(t, hit[0].Score, 0.0)

	// A Scorer that is not a probability: a penalty still lowers a
	// negative score.
	neg, err := New(Config{Learned: ScorerFunc(func(x sparse.Vector) float64 { return x.Get(0) - 1 })})
	require.NoError(t, err)
	r := neg.Rank(Requester{}, now, []Candidate{{Index: 1, TwoWay: 0.5}, {Index: 2, TwoWay: 0.5, Penalty: 0.5}}, 0, nil)
	assert.Equal(t, []float64{-0.5, -0.75}, []float64{r[0].Score, r[1].Score})
}
