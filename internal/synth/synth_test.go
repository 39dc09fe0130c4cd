package synth

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/market"
)

func small(t *testing.T) *Market {
	t.Helper()
	m, err := Generate(Small())
	require.NoError(t, err)
	return m
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*Config)
		field string
	}{
		{"no seekers", func(c *Config) { c.Seekers = 0 }, "Seekers"},
		{"no jobs", func(c *Config) { c.Jobs = -1 }, "Jobs"},
		{"negative events", func(c *Config) { c.Events = -5 }, "Events"},
		{"too many days", func(c *Config) { c.Days = 5000 }, "Days"},
		{"impressions", func(c *Config) { c.Impressions = 2000 }, "Impressions"},
		{"reply rate above 1", func(c *Config) { c.ReplyRates = []float64{0.5, 1.5} }, "ReplyRates[1]"},
		{"reply rate NaN", func(c *Config) { c.ReplyRates = []float64{math.NaN()} }, "ReplyRates[0]"},
		{"urgent share", func(c *Config) { c.UrgentShare = 0.95 }, "UrgentShare"},
		{"arrival NaN", func(c *Config) { c.ArrivalShare = math.NaN() }, "ArrivalShare"},
		{"seeker reply", func(c *Config) { c.SeekerReplyRate = -0.1 }, "SeekerReplyRate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Small()
			tc.edit(&c)
			_, err := Generate(c)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrConfig))
			assert.Contains(t, err.Error(), tc.field+" =")
		})
	}
}

func TestDefaults(t *testing.T) {
	m := small(t)
	c := m.Config
	assert.Equal(t, 14, c.Days)
	assert.Equal(t, time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC), c.Start)
	assert.Equal(t, DefaultReplyRates(), c.ReplyRates)
	assert.InDelta(t, 0.15, c.UrgentShare, 1e-12)
	assert.InDelta(t, 0.5, c.Noise, 1e-12)
	assert.Equal(t, 10, c.Impressions)
	l := Large()
	assert.Equal(t, []int{100_000, 20_000, 5_000_000}, []int{l.Seekers, l.Jobs, l.Events})
}

func TestMarketShape(t *testing.T) {
	m := small(t)
	c := m.Config
	require.Len(t, m.Profiles, c.Seekers+c.Jobs)
	require.Len(t, m.Events, c.Events, "exactly Config.Events events")
	require.Len(t, m.Pairs, len(m.Events))
	require.Equal(t, len(m.Profiles), m.Dict.Len())
	vocab := map[string]bool{}
	for _, s := range m.Vocabulary() {
		vocab[s] = true
	}
	assert.True(t, vocab["Java"] && vocab["机器学习"], "Chinese and English skill names")
	for i := range m.Profiles {
		p := &m.Profiles[i]
		require.NoError(t, p.Validate())
		ix, ok := m.Dict.Lookup(p.ID)
		require.True(t, ok)
		require.Equal(t, uint32(i), ix, "Profiles[i] has index i")
		require.Equal(t, p.Side, m.Side(ix))
		require.NotEmpty(t, p.Skills)
		require.NotEmpty(t, p.Title)
		require.NotEmpty(t, p.City)
		for _, s := range p.Skills {
			require.True(t, vocab[s], "skill %q in vocabulary", s)
		}
	}
	side := func(id string) (market.Side, bool) {
		ix, ok := m.Dict.Lookup(id)
		if !ok {
			return 0, false
		}
		return m.Side(ix), true
	}
	end := c.Start.Add(time.Duration(c.Days) * 24 * time.Hour)
	actions := map[market.Action]int{}
	for i := range m.Events {
		e := &m.Events[i]
		require.NoError(t, market.ValidateEventSides(e, side))
		if i > 0 {
			require.False(t, e.Time.Before(m.Events[i-1].Time), "event %d out of order", i)
		}
		require.True(t, !e.Time.Before(c.Start) && e.Time.Before(end), "event %d at %v outside the period", i, e.Time)
		a, _ := m.Dict.Lookup(e.Actor)
		b, _ := m.Dict.Lookup(e.Target)
		require.Equal(t, Pair{a, b}, m.Pairs[i])
		require.GreaterOrEqual(t, m.Day(e.Time), m.RegisteredDay(a), "actor acts after registering")
		actions[e.Action]++
	}
	for _, a := range []market.Action{market.Impression, market.View, market.Favourite, market.Chat, market.Apply, market.Reply, market.Reject} {
		assert.Positive(t, actions[a], "some %v events", a)
	}
	assert.Greater(t, actions[market.Impression], actions[market.View])
	assert.Greater(t, actions[market.View], actions[market.Chat])
}

func TestDeterministic(t *testing.T) {
	a, b := small(t), small(t)
	assert.Equal(t, a.Profiles, b.Profiles)
	assert.Equal(t, a.Events, b.Events)
	c := Small()
	c.Seed = 2
	other, err := Generate(c)
	require.NoError(t, err)
	assert.NotEqual(t, a.Events, other.Events, "another seed, other events")
	// Profiles do not depend on the number of events.
	c = Small()
	c.Events = 10
	fewer, err := Generate(c)
	require.NoError(t, err)
	assert.Equal(t, a.Profiles, fewer.Profiles)
	assert.Len(t, fewer.Events, 10)
}

func TestNoEvents(t *testing.T) {
	c := Small()
	c.Events = 0
	m, err := Generate(c)
	require.NoError(t, err)
	assert.Empty(t, m.Events)
	assert.Len(t, m.Profiles, 400)
}

func TestAffinityAndTruth(t *testing.T) {
	m := small(t)
	s, j := uint32(3), uint32(m.NumSeekers+7)
	assert.Equal(t, m.Affinity(s, j), m.Affinity(s, j), "deterministic")
	assert.NotEqual(t, m.Affinity(s, j), m.Affinity(j, s), "two directions differ")
	assert.Panics(t, func() { m.Affinity(1, 2) }, "same side")
	// MutualFor agrees with Mutual, pair by pair.
	for _, a := range []uint32{0, 5, uint32(m.NumSeekers + 1)} {
		got := m.MutualFor(a)
		var want []uint32
		lo, hi := m.Jobs()
		if m.Side(a) == market.Recruiter {
			lo, hi = m.Seekers()
		}
		for b := lo; b < hi; b++ {
			if m.Accepts(a, b) && m.Accepts(b, a) {
				want = append(want, b)
			}
		}
		assert.Equal(t, want, got)
	}
	// Acceptance is selective but not empty, and same-family pairs are
	// far likelier to match: observable features carry the latent signal.
	var same, sameN, diff, diffN int
	slo, shi := m.Seekers()
	jlo, jhi := m.Jobs()
	for a := slo; a < shi; a++ {
		for b := jlo; b < jhi; b++ {
			mu := m.Mutual(a, b)
			if m.Family(a) == m.Family(b) {
				sameN++
				if mu {
					same++
				}
			} else {
				diffN++
				if mu {
					diff++
				}
			}
		}
	}
	ps, pd := float64(same)/float64(sameN), float64(diff)/float64(diffN)
	t.Logf("mutual acceptance: same family %.3f, other family %.4f", ps, pd)
	assert.Greater(t, ps, 0.02)
	assert.Greater(t, ps, 5*pd)
}

func TestUrgency(t *testing.T) {
	m := small(t)
	lo, _ := m.Seekers()
	_, jhi := m.Jobs()
	var urgentDays, days int
	for ix := lo; ix < jhi; ix++ {
		for d := range m.Config.Days {
			days++
			if m.UrgentOn(ix, d) {
				urgentDays++
			}
		}
	}
	share := float64(urgentDays) / float64(days)
	assert.InDelta(t, 0.15, share, 0.05, "long-run urgent share")
	assert.False(t, m.UrgentOn(0, -1))
	assert.False(t, m.UrgentOn(0, m.Config.Days))
	// Urgent people start more sessions: impressions per person-day.
	var impU, impN float64
	for i, e := range m.Events {
		if e.Action != market.Impression {
			continue
		}
		if m.Urgent(m.Pairs[i].Actor, e.Time) {
			impU++
		} else {
			impN++
		}
	}
	rateU := impU / float64(urgentDays)
	rateN := impN / float64(days-urgentDays)
	t.Logf("impressions per person-day: urgent %.2f, not %.2f", rateU, rateN)
	assert.Greater(t, rateU, 2*rateN)
	// Nobody urgent when UrgentShare < 0.
	c := Small()
	c.UrgentShare = -1
	c.Events = 0
	calm, err := Generate(c)
	require.NoError(t, err)
	for ix := range uint32(len(calm.Profiles)) {
		for d := range c.Days {
			require.False(t, calm.UrgentOn(ix, d))
		}
	}
}

// TestReplyFallsWithLoad checks the capacity mechanism from the events
// alone: among first contacts that the target accepts, the share answered
// (relative to the target's reply rate) is lower on days when the target
// received far more contacts than its capacity.
func TestReplyFallsWithLoad(t *testing.T) {
	c := Small()
	c.Seekers, c.Jobs, c.Events = 8000, 80, 300_000
	m, err := Generate(c)
	require.NoError(t, err)
	type key struct{ a, b uint32 }
	type dayKey struct {
		ix  uint32
		day int
	}
	replied := map[key]bool{}
	inbound := map[dayKey]float64{}
	for i, e := range m.Events {
		switch {
		case e.Action == market.Reply:
			replied[key{m.Pairs[i].Target, m.Pairs[i].Actor}] = true
		case e.Action.Contact():
			inbound[dayKey{m.Pairs[i].Target, m.Day(e.Time)}]++
		}
	}
	seen := map[key]bool{}
	var sum, n [2]float64
	for i, e := range m.Events {
		p := m.Pairs[i]
		k := key{p.Actor, p.Target}
		if !e.Action.Contact() || seen[k] {
			continue
		}
		seen[k] = true
		d := m.Day(e.Time)
		r := m.ReplyRate(p.Target)
		if r < 0.5 || !m.AcceptsOn(p.Target, p.Actor, d) || d >= c.Days-1 {
			continue
		}
		ratio := inbound[dayKey{p.Target, d}] / m.Capacity(p.Target)
		if ratio > 1 && ratio <= 2 {
			continue
		}
		over := 0
		if ratio > 2 {
			over = 1
		}
		n[over]++
		if replied[k] {
			sum[over] += 1 / r
		}
	}
	require.Positive(t, n[0])
	require.Positive(t, n[1], "some targets overloaded")
	under, over := sum[0]/n[0], sum[1]/n[1]
	t.Logf("replies/rate: day within capacity %.2f (n=%.0f), day above 2×capacity %.2f (n=%.0f)", under, n[0], over, n[1])
	assert.InDelta(t, 1, under, 0.2, "within capacity, replies at the base rate")
	assert.Less(t, over, 0.6*under)
}

func TestArrivals(t *testing.T) {
	m := small(t)
	var during int
	for ix := range uint32(len(m.Profiles)) {
		d := m.RegisteredDay(ix)
		assert.Equal(t, d, m.Day(m.Profiles[ix].Registered))
		if d >= 0 {
			during++
		}
	}
	assert.InDelta(t, 0.2, float64(during)/float64(len(m.Profiles)), 0.06)
}

func TestDay(t *testing.T) {
	m := small(t)
	s := m.Config.Start
	assert.Equal(t, 0, m.Day(s))
	assert.Equal(t, 0, m.Day(s.Add(23*time.Hour)))
	assert.Equal(t, 1, m.Day(s.Add(24*time.Hour)))
	assert.Equal(t, -1, m.Day(s.Add(-time.Second)))
	assert.Equal(t, -1, m.Day(s.Add(-24*time.Hour)))
	assert.Equal(t, -2, m.Day(s.Add(-24*time.Hour-time.Second)))
}

func BenchmarkGenerateSmall(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m, err := Generate(Small())
		if err != nil || len(m.Events) != Small().Events {
			b.Fatal("wrong market", err)
		}
	}
}

// BenchmarkGenerateLarge generates the 100,000 × 20,000 × 5,000,000 market.
// Run it alone: go test -run '^$' -bench GenerateLarge -benchtime 1x.
func BenchmarkGenerateLarge(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		m, err := Generate(Large())
		if err != nil || len(m.Events) != 5_000_000 || len(m.Profiles) != 120_000 {
			b.Fatal("wrong market", err)
		}
	}
}

// Latent's vectors are the ones Affinity uses: the latent term moves
// Affinity by exactly 0.5·taste·trait.
func TestLatentIsAffinitysTerm(t *testing.T) {
	m, err := Generate(Config{Seed: 5, Seekers: 20, Jobs: 10})
	if err != nil {
		t.Fatal(err)
	}
	a, b := uint32(3), uint32(m.NumSeekers+4)
	taste, _ := m.Latent(a)
	_, trait := m.Latent(b)
	var dot float64
	for i := range taste {
		dot += taste[i] * trait[i]
	}
	before := m.Affinity(a, b)
	saved := m.people[a].taste
	m.people[a].taste = [latentDim]float64{}
	without := m.Affinity(a, b)
	m.people[a].taste = saved
	if d := before - without - 0.5*dot; math.Abs(d) > 1e-12 {
		t.Fatalf("Affinity − Affinity without the taste = %v, want 0.5·taste·trait = %v", before-without, 0.5*dot)
	}
	taste[0] += 1
	if again, _ := m.Latent(a); again[0] == taste[0] {
		t.Fatal("Latent returned the market's own array")
	}
}
