package sim

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
)

func world(t testing.TB) *World {
	t.Helper()
	w, err := NewWorld(Config{Market: synth.Config{Seed: 2, Seekers: 400, Jobs: 100}, Rounds: 4})
	require.NoError(t, err)
	return w
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{Market: synth.Config{Seekers: 10, Jobs: 5}, Rounds: -1},
		{Market: synth.Config{Seekers: 10, Jobs: 5}, K: 5000},
		{Market: synth.Config{Seekers: 10, Jobs: 5}, ActiveShare: 1.5},
		{Market: synth.Config{Seekers: 10, Jobs: 5}, Warmup: -2},
	} {
		_, err := NewWorld(c)
		assert.True(t, errors.Is(err, ErrConfig), "%+v: %v", c, err)
	}
	_, err := NewWorld(Config{Market: synth.Config{Seekers: 0, Jobs: 5}})
	assert.ErrorIs(t, err, synth.ErrConfig)
}

func TestWorld(t *testing.T) {
	w := world(t)
	require.NotEmpty(t, w.History)
	assert.Nil(t, w.Market.Events, "the simulated days are replaced by rounds")
	for i, e := range w.History {
		require.True(t, e.Time.Before(w.Start))
		if i > 0 {
			require.False(t, e.Time.Before(w.History[i-1].Time))
		}
	}
	assert.InDelta(t, float64(w.Config.HistoryEvents), float64(len(w.History)), 0.1*float64(w.Config.HistoryEvents))
	assert.Equal(t, 14, w.Day(0))
}

// scripted returns a fixed list per request, with the mistakes the
// simulator must ignore: the requester, its own side, duplicates, and more
// than K.
type scripted struct {
	w   *World
	out []uint32
}

func (s *scripted) Recommend(req Request) []uint32 {
	m := s.w.Market
	s.out = s.out[:0]
	s.out = append(s.out, req.User) // self
	lo, hi := m.Jobs()
	if m.Side(req.User) == market.Recruiter {
		lo, hi = m.Seekers()
	}
	s.out = append(s.out, (req.User+1)%uint32(m.NumSeekers)) // a seeker: wrong side for seekers
	for c := lo; c < hi && len(s.out) < 3*req.K; c += 3 {
		s.out = append(s.out, c, c) // duplicate
	}
	return s.out
}

func TestRunInvariants(t *testing.T) {
	w := world(t)
	rec := &scripted{w: w}
	res := w.Run("scripted", rec, nil)
	require.Len(t, res.Rounds, w.Config.Rounds)
	var imp, rep int
	for _, st := range res.Rounds {
		assert.LessOrEqual(t, st.Impressions, st.Active*w.Config.K)
		assert.LessOrEqual(t, st.Views, st.Impressions)
		assert.LessOrEqual(t, st.Contacts, st.Views)
		assert.LessOrEqual(t, st.Replies, st.Contacts)
		assert.LessOrEqual(t, st.Overloaded, st.Contacted)
		assert.Positive(t, st.Invalid, "self and duplicates are ignored and counted")
		imp += st.Impressions
		rep += st.Replies
	}
	var exp, mat int
	for i := range res.Exposure {
		exp += res.Exposure[i]
		mat += res.Matches[i]
		if res.FirstMatch[i] >= 0 {
			assert.Positive(t, res.Matches[i])
		}
	}
	assert.Equal(t, imp, exp, "exposure adds up to impressions")
	assert.Equal(t, 2*rep, mat, "each reply is a match for two participants")
}

// oracle shows the candidates the requester and the candidate would both
// accept first, by affinity: the best a recommender could know.
type oracle struct {
	w   *World
	out []uint32
}

func (o *oracle) Recommend(req Request) []uint32 {
	m := o.w.Market
	lo, hi := m.Jobs()
	if m.Side(req.User) == market.Recruiter {
		lo, hi = m.Seekers()
	}
	type cand struct {
		ix    uint32
		score float64
	}
	var cs []cand
	for c := lo; c < hi; c++ {
		if !o.w.Registered(c, req.Round) {
			continue
		}
		s := m.Affinity(req.User, c) + m.Affinity(c, req.User)
		if m.Mutual(req.User, c) {
			s += 100
		}
		cs = append(cs, cand{c, s})
	}
	slices.SortFunc(cs, func(a, b cand) int { return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.ix, b.ix)) })
	o.out = o.out[:0]
	for _, c := range cs[:min(req.K, len(cs))] {
		o.out = append(o.out, c.ix)
	}
	return o.out
}

type uniform struct {
	w    *World
	seed uint64
	out  []uint32
}

func (u *uniform) Recommend(req Request) []uint32 {
	m := u.w.Market
	lo, hi := m.Jobs()
	if m.Side(req.User) == market.Recruiter {
		lo, hi = m.Seekers()
	}
	u.out = u.out[:0]
	for i := 0; len(u.out) < req.K && i < 50; i++ {
		c := lo + uint32(mix(u.seed^uint64(req.Round)<<40^uint64(req.User)<<20^uint64(i))%uint64(hi-lo))
		if u.w.Registered(c, req.Round) && !slices.Contains(u.out, c) {
			u.out = append(u.out, c)
		}
	}
	return u.out
}

// TestSimulatorRewardsQuality checks that the simulator responds to what
// is shown: knowing the latent truth gives far more mutual matches than
// random candidates, and fewer invalid entries than none.
func TestSimulatorRewardsQuality(t *testing.T) {
	w := world(t)
	good := w.Summarize(w.Run("oracle", &oracle{w: w}, nil))
	rnd := w.Summarize(w.Run("random", &uniform{w: w, seed: 1}, nil))
	t.Logf("simulated matches/round: oracle %.1f, random %.1f", good.MatchesPerRound, rnd.MatchesPerRound)
	assert.Greater(t, good.MatchesPerRound, 3*rnd.MatchesPerRound)
	assert.Greater(t, good.ReplyRate, rnd.ReplyRate)
	assert.Less(t, rnd.Jobs.ExposureGini, good.Jobs.ExposureGini, "random spreads exposure more evenly")
}

// TestCommonRandomNumbers: the same recommendations give the same
// outcome, and runs do not disturb each other.
func TestCommonRandomNumbers(t *testing.T) {
	w := world(t)
	a := w.Run("a", &uniform{w: w, seed: 9}, nil)
	b := w.Run("b", &oracle{w: w}, nil)
	c := w.Run("c", &uniform{w: w, seed: 9}, nil)
	assert.Equal(t, a.Rounds, c.Rounds)
	assert.Equal(t, a.Matches, c.Matches)
	assert.Equal(t, a.Exposure, c.Exposure)
	assert.NotEqual(t, a.Rounds, b.Rounds)
}

func TestOffline(t *testing.T) {
	w := world(t)
	users := w.SampleUsers(15)
	require.Len(t, users, 30)
	assert.True(t, slices.IsSorted(users[:15]))
	truth := scorerFunc(func(a uint32, cands []uint32, dst []float64) []float64 {
		dst = dst[:0]
		for _, c := range cands {
			dst = append(dst, b2f(w.Market.Mutual(a, c)))
		}
		return dst
	})
	o := w.EvaluateOffline("truth", truth, users, 10, []int{10, 50})
	for _, sd := range []market.Side{market.Seeker, market.Recruiter} {
		assert.InDelta(t, 1, o.Mutual[sd].GAUC, 1e-12, "the truth ranks mutual acceptances first")
		assert.InDelta(t, 1, o.Mutual[sd].MRR, 1e-12)
	}
	flat := scorerFunc(func(a uint32, cands []uint32, dst []float64) []float64 {
		return append(dst[:0], make([]float64, len(cands))...)
	})
	f := w.EvaluateOffline("flat", flat, users, 10, []int{10})
	assert.InDelta(t, 0.5, f.Mutual[market.Seeker].GAUC, 1e-12, "a constant scorer is random")
}

type scorerFunc func(a uint32, cands []uint32, dst []float64) []float64

func (f scorerFunc) Score(a uint32, cands []uint32, dst []float64) []float64 { return f(a, cands, dst) }

func ExampleWorld_Run() {
	w, err := NewWorld(Config{Market: synth.Config{Seed: 1, Seekers: 200, Jobs: 50}, Rounds: 2})
	if err != nil {
		panic(err)
	}
	m := w.Market
	// Show everyone the first K registered participants of the other side.
	first := RecommenderFunc(func(req Request) []uint32 {
		lo, hi := m.Jobs()
		if m.Side(req.User) == market.Recruiter {
			lo, hi = m.Seekers()
		}
		var out []uint32
		for c := lo; c < hi && len(out) < req.K; c++ {
			if w.Registered(c, req.Round) {
				out = append(out, c)
			}
		}
		return out
	})
	res := w.Run("first K", first, nil)
	s := w.Summarize(res)
	fmt.Println("rounds:", len(res.Rounds), "history events:", len(w.History))
	fmt.Printf("matches per round: %.1f, reply rate %.3f\n", s.MatchesPerRound, s.ReplyRate)
	fmt.Printf("exposure Gini, jobs: %.2f\n", s.Jobs.ExposureGini)
	// Output:
	// rounds: 2 history events: 10041
	// matches per round: 1.0, reply rate 0.077
	// exposure Gini, jobs: 0.80
}

// both is a Learner, Watcher and Leaver that records what it is told.
type both struct {
	uniform
	happened, observed []Interaction
	left               []uint32
	leftRound          []int
}

func (b *both) Happened(_ int, e Interaction)       { b.happened = append(b.happened, e) }
func (b *both) Observe(_ int, events []Interaction) { b.observed = append(b.observed, events...) }
func (b *both) Left(r int, ix uint32, _ time.Time) {
	b.left = append(b.left, ix)
	b.leftRound = append(b.leftRound, r)
}

// TestRoomAndDecline: with finite room nobody acts or is shown after
// leaving, seekers leave after a match (SeekerLeave 1), jobs after their
// headcount; declines are Reject events from the contacted participant;
// a Watcher sees exactly the events a Learner sees, in the same order.
func TestRoomAndDecline(t *testing.T) {
	w, err := NewWorld(Config{Market: synth.Config{Seed: 2, Seekers: 400, Jobs: 100}, Rounds: 5, Decline: 0.5,
		Room: Room{SeekerLeave: 1, Headcount: 2}})
	require.NoError(t, err)
	rec := &both{uniform: uniform{w: w, seed: 3}}
	res := w.Run("room", rec, nil)
	assert.Equal(t, rec.observed, rec.happened, "watcher and learner see the same events")
	gone := map[uint32]int{}
	for i, ix := range rec.left {
		gone[ix] = rec.leftRound[i]
	}
	var declines, left, invalid int
	for _, st := range res.Rounds {
		declines += st.Declines
		left += st.Left
		invalid += st.Invalid
	}
	require.Positive(t, declines)
	require.Positive(t, left)
	assert.Len(t, rec.left, left)
	assert.Positive(t, invalid, "the uniform recommender shows some who left: ignored")
	for _, e := range rec.happened {
		if e.Action == market.Reject {
			assert.False(t, w.Market.AcceptsOn(e.Actor, e.Target, w.Market.Day(e.Time)), "a decline comes from someone who does not accept")
		}
	}
	for i, n := range res.Matches {
		ix := uint32(i)
		if w.Market.Side(ix) == market.Seeker {
			assert.LessOrEqual(t, n, 1, "a seeker leaves after its first match")
		} else if h := w.Headcount(ix); n >= h {
			_, ok := gone[ix]
			assert.True(t, ok, "job %d filled its headcount %d", ix, h)
			assert.Equal(t, h, n, "a filled job makes no more matches")
		}
		if n > 0 && w.Market.Side(ix) == market.Seeker {
			assert.Contains(t, gone, ix)
		}
	}
	// Nobody acts or is shown after leaving: no event of a later round
	// names them.
	for _, e := range rec.happened {
		r := w.Market.Day(e.Time) - w.Config.Warmup
		for _, x := range []uint32{e.Actor, e.Target} {
			if lr, ok := gone[x]; ok {
				assert.LessOrEqual(t, r, lr, "participant %d named in round %d after leaving in round %d", x, r, lr)
			}
		}
	}
}

func TestHeadcount(t *testing.T) {
	w, err := NewWorld(Config{Market: synth.Config{Seed: 2, Seekers: 50, Jobs: 2000}, Rounds: 1, Room: Room{Headcount: 3}})
	require.NoError(t, err)
	lo, hi := w.Market.Jobs()
	sum, seen := 0.0, map[int]bool{}
	for j := lo; j < hi; j++ {
		h := w.Headcount(j)
		require.True(t, h >= 1 && h <= 5, "headcount %d", h)
		sum += float64(h)
		seen[h] = true
	}
	assert.InDelta(t, 3, sum/float64(hi-lo), 0.15)
	assert.Len(t, seen, 5)
	assert.Zero(t, w.Headcount(0), "seekers have no headcount")
	cold := w.Cold()
	assert.Empty(t, cold.History)
	assert.NotEmpty(t, w.History, "Cold copies")
}
