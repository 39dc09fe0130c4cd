package synth

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/twowayrec/twoway/market"
)

// ErrConfig is wrapped by every error Generate returns for a bad Config.
var ErrConfig = errors.New("synth: invalid config")

// Config describes a synthetic market. The zero value of every field but
// Seekers and Jobs means a documented default; [Large] and [Small] are the
// two markets the project benchmarks on.
type Config struct {
	// Seed seeds every random choice (math/rand/v2 PCG). Zero is a valid
	// seed. The same Config gives the same Market, byte for byte.
	Seed uint64 `json:"seed"`
	// Seekers is the number of job seekers; at least 1.
	Seekers int `json:"seekers"`
	// Jobs is the number of job postings (the recruiter side); at least 1.
	Jobs int `json:"jobs"`
	// Events is the number of behaviour events to generate; 0 generates
	// profiles only. Generation stops at exactly this many events.
	Events int `json:"events"`
	// Days is the length of the simulated period; 0 means 30.
	Days int `json:"days"`
	// Start is the first instant of the period; the zero value means
	// 2026-01-05 00:00 UTC (a Monday). Hours of the day are market-local.
	Start time.Time `json:"start"`
	// ReplyRates is an empirical distribution of recruiters' reply rates in
	// [0, 1]: each job's base reply rate is drawn uniformly from it. nil or
	// empty means [DefaultReplyRates]. The benchmarks module passes the
	// real resumeProcessRate values of lagou_2019_data_analyst.csv.
	ReplyRates []float64 `json:"reply_rates,omitempty"`
	// SeekerReplyRate is the mean reply rate of seekers (spread ±0.15,
	// clipped to [0.05, 1]); 0 means 0.6.
	SeekerReplyRate float64 `json:"seeker_reply_rate"`
	// UrgentShare is the long-run share of participants who are urgent on
	// a given day (more active, less picky, contact more); 0 means 0.15,
	// a negative value means nobody is ever urgent. At most 0.9.
	UrgentShare float64 `json:"urgent_share"`
	// UrgentDays is the mean length of an urgent period in days; 0 means 5.
	UrgentDays float64 `json:"urgent_days"`
	// ArrivalShare is the share of profiles that register during the
	// period (new arrivals) rather than before it; 0 means 0.2, a negative
	// value means everybody is registered before Start. At most 0.9.
	ArrivalShare float64 `json:"arrival_share"`
	// Noise is the standard deviation of the pair-specific part of every
	// affinity (taste nobody can observe); 0 means 0.5, negative means none.
	Noise float64 `json:"noise"`
	// Impressions is the number of candidates shown in one browsing
	// session; 0 means 10.
	Impressions int `json:"impressions"`
}

// Large is the scale market: 100,000 seekers, 20,000 jobs and 5,000,000
// events over 30 days, seed 1.
func Large() Config {
	return Config{Seed: 1, Seekers: 100_000, Jobs: 20_000, Events: 5_000_000}
}

// Small is a market for unit tests: 300 seekers, 100 jobs and 20,000
// events over 14 days, seed 1.
func Small() Config {
	return Config{Seed: 1, Seekers: 300, Jobs: 100, Events: 20_000, Days: 14}
}

// DefaultReplyRates returns the reply-rate distribution used when
// Config.ReplyRates is empty: the 20 ventile midpoints (2.5%, 7.5%, …,
// 97.5% quantiles) of resumeProcessRate/100 over the 1,829 postings of
// lagou_2019_data_analyst.csv (real data: 36% of postings process no
// résumé at all, 29% process every one).
func DefaultReplyRates() []float64 {
	return []float64{0, 0, 0, 0, 0, 0, 0, 0.02, 0.08, 0.14, 0.30, 0.50, 0.68, 0.88, 1, 1, 1, 1, 1, 1}
}

// withDefaults validates c and fills in the defaults.
func (c Config) withDefaults() (Config, error) {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("%w: %s = %v: %s", ErrConfig, field, v, want)
	}
	switch {
	case c.Seekers < 1:
		return c, bad("Seekers", c.Seekers, "must be at least 1")
	case c.Jobs < 1:
		return c, bad("Jobs", c.Jobs, "must be at least 1")
	case c.Seekers+c.Jobs > 1<<31:
		return c, bad("Seekers+Jobs", c.Seekers+c.Jobs, "must be below 2^31")
	case c.Events < 0:
		return c, bad("Events", c.Events, "must not be negative")
	case c.Days < 0 || c.Days > 3650:
		return c, bad("Days", c.Days, "must be in [0, 3650]")
	case c.Impressions < 0 || c.Impressions > 1000:
		return c, bad("Impressions", c.Impressions, "must be in [0, 1000]")
	}
	for _, f := range []struct {
		name string
		v    float64
		max  float64
	}{{"SeekerReplyRate", c.SeekerReplyRate, 1}, {"UrgentShare", c.UrgentShare, 0.9},
		{"UrgentDays", c.UrgentDays, 3650}, {"ArrivalShare", c.ArrivalShare, 0.9}, {"Noise", c.Noise, 10}} {
		if math.IsNaN(f.v) || f.v > f.max {
			return c, bad(f.name, f.v, fmt.Sprintf("must be a number at most %v", f.max))
		}
	}
	if c.SeekerReplyRate < 0 {
		return c, bad("SeekerReplyRate", c.SeekerReplyRate, "must not be negative")
	}
	if c.UrgentDays < 0 {
		return c, bad("UrgentDays", c.UrgentDays, "must not be negative")
	}
	for i, r := range c.ReplyRates {
		if !(r >= 0 && r <= 1) {
			return c, bad(fmt.Sprintf("ReplyRates[%d]", i), r, "must be in [0, 1]")
		}
	}
	if c.Days == 0 {
		c.Days = 30
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	}
	if len(c.ReplyRates) == 0 {
		c.ReplyRates = DefaultReplyRates()
	}
	if c.SeekerReplyRate == 0 {
		c.SeekerReplyRate = 0.6
	}
	switch {
	case c.UrgentShare == 0:
		c.UrgentShare = 0.15
	case c.UrgentShare < 0:
		c.UrgentShare = 0
	}
	if c.UrgentDays == 0 {
		c.UrgentDays = 5
	}
	switch {
	case c.ArrivalShare == 0:
		c.ArrivalShare = 0.2
	case c.ArrivalShare < 0:
		c.ArrivalShare = 0
	}
	switch {
	case c.Noise == 0:
		c.Noise = 0.5
	case c.Noise < 0:
		c.Noise = 0
	}
	if c.Impressions == 0 {
		c.Impressions = 10
	}
	return c, nil
}

// Pair is an event's actor and target as Dict indices.
type Pair struct {
	Actor, Target uint32
}

// Market is a generated market: observable profiles and events, and the
// latent ground truth behind them. It is immutable after Generate and safe
// for concurrent reads.
type Market struct {
	// Config is the configuration with every default filled in.
	Config Config
	// Profiles holds every participant; Profiles[i] has Dict index i.
	// Seekers come first (indices 0 … NumSeekers-1), then jobs.
	Profiles []market.Profile
	// Events are the behaviour events in time order (ties in the order
	// they were generated). Their IDs are the Profiles' IDs.
	Events []market.Event
	// Pairs[i] holds the Dict indices of Events[i]'s actor and target.
	Pairs []Pair
	// Dict maps every profile ID to its index. It is shared: a caller who
	// adds IDs to it changes it for every user of this Market.
	Dict *market.Dict
	// NumSeekers and NumJobs count the two sides.
	NumSeekers, NumJobs int

	people []person
	vocab  []string // skill vocabulary; person.skills index it
}

// person is the latent state of one participant.
type person struct {
	family    uint8
	city      uint8
	edu       market.Education
	skills    []uint16 // sorted vocabulary indices
	exp       float64  // seeker: years; job: required minimum
	expMax    float64  // job: required maximum, 0 unbounded
	salary    float64  // seeker: expected monthly pay; job: offered (mid)
	quality   float64  // attractiveness to the other side
	taste     [latentDim]float64
	trait     [latentDim]float64
	threshold float64 // affinity above which this person accepts
	capacity  float64 // contacts per day answered at the full rate
	replyRate float64 // probability of answering an accepted contact
	activity  float64 // relative number of sessions per day
	regDay    int     // day of registration (negative: before Start)
	urgent    []uint64
}

const latentDim = 4

// Side returns the side of participant ix. It panics if ix is out of range.
func (m *Market) Side(ix uint32) market.Side {
	if int(ix) >= len(m.people) {
		panic(fmt.Sprintf("synth: index %d out of range [0, %d)", ix, len(m.people)))
	}
	if int(ix) < m.NumSeekers {
		return market.Seeker
	}
	return market.Recruiter
}

// Latent returns copies of participant ix's latent taste and trait: the
// latent term of Affinity(a, b) is 0.5·taste(a)·trait(b). Only oracle
// experiments read them (a recommender must learn them from behaviour).
// It panics if ix is out of range.
func (m *Market) Latent(ix uint32) (taste, trait []float64) {
	m.Side(ix)
	p := &m.people[ix]
	return slices.Clone(p.taste[:]), slices.Clone(p.trait[:])
}

// Seekers returns the index range of seekers: [0, NumSeekers).
func (m *Market) Seekers() (lo, hi uint32) { return 0, uint32(m.NumSeekers) }

// Jobs returns the index range of jobs: [NumSeekers, NumSeekers+NumJobs).
func (m *Market) Jobs() (lo, hi uint32) {
	return uint32(m.NumSeekers), uint32(m.NumSeekers + m.NumJobs)
}

// Family returns the latent job family of participant ix (0 … Families()-1):
// the kind of work a seeker wants or a job offers.
func (m *Market) Family(ix uint32) int { return int(m.people[ix].family) }

// Families returns the number of job families.
func Families() int { return len(families) }

// Capacity returns how many contacts per day participant ix answers at the
// full reply rate; above it the reply probability falls as capacity/load.
func (m *Market) Capacity(ix uint32) float64 { return m.people[ix].capacity }

// ReplyRate returns the probability that ix answers a contact it accepts
// while not overloaded.
func (m *Market) ReplyRate(ix uint32) float64 { return m.people[ix].replyRate }

// Activity returns ix's relative browsing activity (sessions per day are
// proportional to it, times 3 while urgent).
func (m *Market) Activity(ix uint32) float64 { return m.people[ix].activity }

// Day returns the day of the period that t falls in (0 for Start's day);
// negative before Start.
func (m *Market) Day(t time.Time) int {
	d := t.Sub(m.Config.Start)
	day := int(d / (24 * time.Hour))
	if d < 0 && d%(24*time.Hour) != 0 {
		day--
	}
	return day
}

// RegisteredDay returns the day ix registered (negative: before Start).
func (m *Market) RegisteredDay(ix uint32) int { return m.people[ix].regDay }

// UrgentOn reports whether ix is urgent on day (0 … Days-1). Outside the
// period it reports false.
func (m *Market) UrgentOn(ix uint32, day int) bool {
	if day < 0 || day >= m.Config.Days {
		return false
	}
	u := m.people[ix].urgent
	return u[day/64]&(1<<(day%64)) != 0
}

// Urgent reports whether ix is urgent at time t.
func (m *Market) Urgent(ix uint32, t time.Time) bool { return m.UrgentOn(ix, m.Day(t)) }

// UrgentRelax is how much an urgent participant lowers its acceptance
// threshold.
const UrgentRelax = 0.6

// Affinity returns how much a likes b (a latent utility; a and b on
// opposite sides). It is deterministic: the same pair always gets the same
// value. It panics if a and b are on the same side.
//
// A seeker s values job j by
//
//	1.0·[same family] + 0.9·(share of j's skills s has) + 0.7·[same city]
//	  + 0.6·tanh((pay_j − pay_s)/(0.3·pay_s)) + 0.5·quality_j + 0.5·taste_s·trait_j + noise
//
// and job j values seeker s by
//
//	1.0·[same family] + 1.2·(share of j's skills s has) + 0.4·[same city]
//	  + 0.5·experience fit + 0.4·education fit + 0.3·tanh((pay_j − pay_s)/(0.3·pay_s))
//	  + 0.5·quality_s + 0.5·taste_j·trait_s + noise
//
// where noise is pair-specific, normal with standard deviation Config.Noise.
func (m *Market) Affinity(a, b uint32) float64 {
	sa, sb := m.Side(a), m.Side(b)
	if sa == sb {
		panic(fmt.Sprintf("synth: Affinity of %d and %d: both on side %v", a, b, sa))
	}
	pa, pb := &m.people[a], &m.people[b]
	var u float64
	if pa.family == pb.family {
		u += 1.0
	}
	if sa == market.Seeker {
		if pa.city == pb.city {
			u += 0.7
		}
		u += 0.9 * coverage(pb.skills, pa.skills)
		u += 0.6 * math.Tanh((pb.salary-pa.salary)/(0.3*pa.salary))
	} else {
		if pa.city == pb.city {
			u += 0.4
		}
		u += 1.2 * coverage(pa.skills, pb.skills)
		u += 0.5 * expFit(pb.exp, pa.exp, pa.expMax)
		if pb.edu < pa.edu {
			u -= 0.4 * float64(pa.edu-pb.edu)
		}
		u += 0.3 * math.Tanh((pa.salary-pb.salary)/(0.3*pb.salary))
	}
	u += 0.5 * pb.quality
	for i := range latentDim {
		u += 0.5 * pa.taste[i] * pb.trait[i]
	}
	return u + m.Config.Noise*pairNormal(m.Config.Seed, a, b)
}

// Threshold returns the affinity above which ix accepts a participant
// while not urgent; urgent participants accept from Threshold − 0.6.
func (m *Market) Threshold(ix uint32) float64 { return m.people[ix].threshold }

// Accepts reports whether a would accept b (say yes to a contact from b,
// or contact b) when a is not urgent: Affinity(a, b) > Threshold(a).
func (m *Market) Accepts(a, b uint32) bool { return m.Affinity(a, b) > m.people[a].threshold }

// ThresholdOn returns ix's acceptance threshold on day: Threshold, less
// UrgentRelax if ix is urgent that day.
func (m *Market) ThresholdOn(ix uint32, day int) float64 {
	th := m.people[ix].threshold
	if m.UrgentOn(ix, day) {
		th -= UrgentRelax
	}
	return th
}

// AcceptsOn is Accepts with a's urgency on day taken into account:
// Affinity(a, b) > ThresholdOn(a, day).
func (m *Market) AcceptsOn(a, b uint32, day int) bool {
	return m.Affinity(a, b) > m.ThresholdOn(a, day)
}

// Hidden names what an observer of the market does not know, for
// [Market.AcceptChance]: the pair noise is always hidden.
type Hidden uint8

const (
	// HideNoise hides the pair noise only: the observer knows every other
	// term of Affinity and every threshold (the Bayes ceiling of a
	// one-way model).
	HideNoise Hidden = iota
	// HideLatent also hides the latent taste·trait term, which only
	// collaborative evidence can recover from the history: the observer
	// knows a's taste but not b's trait (drawn normal, standard deviation
	// traitSD per dimension).
	HideLatent
)

// traitSD is the standard deviation of every latent trait and taste
// coordinate (generate.go).
const traitSD = 0.7

// KnownAffinity returns Affinity(a, b) less the terms h hides (each of
// which has mean 0): the observer's expected affinity.
func (m *Market) KnownAffinity(a, b uint32, h Hidden) float64 {
	u := m.Affinity(a, b) - m.Config.Noise*pairNormal(m.Config.Seed, a, b)
	if h == HideLatent {
		pa, pb := &m.people[a], &m.people[b]
		for i := range latentDim {
			u -= 0.5 * pa.taste[i] * pb.trait[i]
		}
	}
	return u
}

// AcceptChance returns the probability that a accepts b on day (as
// AcceptsOn decides it) for an observer who knows the generator except
// what h hides: with u = KnownAffinity(a, b, h) and σ² the hidden terms'
// variance (Noise², plus 0.25·traitSD²·‖taste_a‖² with HideLatent),
//
//	Φ((u − ThresholdOn(a, day)) / σ)
//
// (the indicator when σ is 0). It panics as Affinity does.
func (m *Market) AcceptChance(a, b uint32, day int, h Hidden) float64 {
	u := m.KnownAffinity(a, b, h)
	v := m.Config.Noise * m.Config.Noise
	if h == HideLatent {
		for _, x := range m.people[a].taste {
			v += 0.25 * traitSD * traitSD * x * x
		}
	}
	z := u - m.ThresholdOn(a, day)
	if v == 0 {
		if z > 0 {
			return 1
		}
		return 0
	}
	return 0.5 * math.Erfc(-z/math.Sqrt(2*v))
}

// Mutual reports whether a and b would accept each other (both not urgent):
// the ground truth of a good two-way recommendation.
func (m *Market) Mutual(a, b uint32) bool { return m.Accepts(a, b) && m.Accepts(b, a) }

// MutualFor returns, in increasing index order, every participant on the
// other side that ix mutually accepts. It costs one pass over the other
// side (about 20 ms for a seeker of [Large]).
func (m *Market) MutualFor(ix uint32) []uint32 {
	lo, hi := m.Jobs()
	if m.Side(ix) == market.Recruiter {
		lo, hi = m.Seekers()
	}
	var out []uint32
	for b := lo; b < hi; b++ {
		if m.Mutual(ix, b) {
			out = append(out, b)
		}
	}
	return out
}

// Vocabulary returns the skill vocabulary (Chinese and English skill names)
// that profiles draw their Skills from, in a fixed order.
func (m *Market) Vocabulary() []string { return append([]string(nil), m.vocab...) }

// coverage returns the share of want (sorted) found in have (sorted); 0
// when want is empty.
func coverage(want, have []uint16) float64 {
	if len(want) == 0 {
		return 0
	}
	n, i, j := 0, 0, 0
	for i < len(want) && j < len(have) {
		switch {
		case want[i] < have[j]:
			i++
		case want[i] > have[j]:
			j++
		default:
			n++
			i++
			j++
		}
	}
	return float64(n) / float64(len(want))
}

// expFit scores years against a required range [lo, hi] (hi 0: unbounded):
// 1 inside, falling by 0.5 a year below and 0.25 a year above, at least −1.
func expFit(years, lo, hi float64) float64 {
	switch {
	case years < lo:
		return max(-1, 1-0.5*(lo-years))
	case hi > 0 && years > hi:
		return max(-1, 1-0.25*(years-hi))
	}
	return 1
}

// pairNormal returns a standard normal deviate determined by (seed, a, b)
// alone, so that affinities need no storage.
func pairNormal(seed uint64, a, b uint32) float64 {
	h := mix64(seed ^ mix64(uint64(a)<<32|uint64(b)))
	u1 := (float64(h>>40) + 0.5) / (1 << 24)
	u2 := float64(h&(1<<24-1)) / (1 << 24)
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}

// mix64 is the SplitMix64 finaliser.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
