// Package sim is the round-based two-sided market simulator of the
// evaluation suite. Every figure it produces is simulated.
//
// # World
//
// A [World] is a synthetic market (package internal/synth) split in time:
// the first Warmup days of its events are the history every contender
// learns from; the following Rounds days are simulated, one round a day,
// with the market's latent truth deciding what people do. New participants
// arrive during the rounds (their registration day), and participants turn
// urgent and back (the market's urgency days).
//
// # Round
//
// In each round every registered participant is active with a probability
// proportional to its activity (three times higher while urgent). Active
// participants, in a shuffled order that mixes the two sides, ask the
// [Recommender] for K candidates of the other side and then act on each one
// exactly as the generator's behaviour model does (synth.ViewChance,
// synth.ContactChance): they view, and contact a candidate they accept at
// most once. The contacted participant replies if it accepts the actor,
// with probability synth.ReplyChance(reply rate, capacity, load), where
// load is its contacts this round plus half of the previous load: replies
// fall as inbound load passes capacity. A reply to a contact is a mutual
// match. With Config.Decline, a contacted participant who does not accept
// the actor may say so (a Reject event) instead of staying silent.
//
// # Finite room
//
// With Config.Room the market's room is finite, as on a real platform:
// a seeker leaves with probability Room.SeekerLeave after each match (it
// found a job), and a job fills and closes once it has made its headcount
// of matches. A participant who leaves stops acting at once (the rest of
// its current list is shown but not acted on), is never active again, and
// may no longer be shown: the simulator ignores and counts it. Departures
// are announced to recommenders that implement [Leaver].
//
// # Events as they happen
//
// A [Learner] receives a round's interactions after the round. A
// [Watcher] receives each interaction as it happens, before the next
// requester asks, as a host's event log would (a recommender may be both).
// A [StateReader] may read the simulator's own state during a run (the
// load of every participant, who left): only ceilings that are allowed to
// know the latent truth use it.
//
// # Fair comparison
//
// [World.Run] runs one recommender on a fresh copy of the world state, so
// contenders run in the same process on the same data one after the other.
// Random decisions are common random numbers: whether a given participant
// is active in a round, views a given candidate, contacts it, or is answered
// is decided by a hash of (seed, round, participant, candidate, purpose),
// so two recommenders that show the same candidates get the same outcome.
package sim

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
)

// Config describes a simulation.
type Config struct {
	// Market is the synthetic population. Its Days and Events are
	// overwritten: Days = Warmup + Rounds, and Events is chosen so that
	// the warm-up days hold about HistoryEvents events.
	Market synth.Config `json:"market"`
	// HistoryEvents is the number of events in the warm-up history; 0 means
	// 40 per participant.
	HistoryEvents int `json:"history_events"`
	// Warmup is the number of days of history; 0 means 14.
	Warmup int `json:"warmup"`
	// Rounds is the number of simulated rounds (days); 0 means 10.
	Rounds int `json:"rounds"`
	// K is the number of candidates shown to each active participant per
	// round; 0 means 10.
	K int `json:"k"`
	// ActiveShare is the mean share of registered participants active in
	// a round; 0 means 0.25. At most 1.
	ActiveShare float64 `json:"active_share"`
	// Decline is the probability that a contacted participant who does
	// not accept the actor declines explicitly: a Reject event from it to
	// the actor, at the time of the contact. 0 (the zero value): silence.
	// At most 1.
	Decline float64 `json:"decline"`
	// Room makes the market's room finite (people leave once matched, jobs
	// fill). The zero value: nobody leaves.
	Room Room `json:"room"`
}

// Room is how much room a simulated market leaves: how participants leave
// it once matched. The zero Room means nobody ever leaves.
type Room struct {
	// SeekerLeave is the probability that a seeker leaves the market
	// after each of its matches (it found a job), in [0, 1]. 0: never.
	SeekerLeave float64 `json:"seeker_leave"`
	// Headcount is the mean number of matches after which a job is filled
	// and closes. Each job's own headcount is drawn uniformly from
	// 1 … 2·Headcount−1 (a hash of the seed and the job, so the same for
	// every run). 0: jobs never fill. Matches of the history do not count.
	Headcount int `json:"headcount"`
}

// ErrConfig is wrapped by errors about a bad Config.
var ErrConfig = errors.New("sim: invalid config")

func (c Config) withDefaults() (Config, error) {
	bad := func(field string, v any) error { return fmt.Errorf("%w: %s = %v", ErrConfig, field, v) }
	switch {
	case c.HistoryEvents < 0:
		return c, bad("HistoryEvents", c.HistoryEvents)
	case c.Warmup < 0 || c.Warmup > 365:
		return c, bad("Warmup", c.Warmup)
	case c.Rounds < 0 || c.Rounds > 365:
		return c, bad("Rounds", c.Rounds)
	case c.K < 0 || c.K > 1000:
		return c, bad("K", c.K)
	case !(c.ActiveShare >= 0 && c.ActiveShare <= 1):
		return c, bad("ActiveShare", c.ActiveShare)
	case !(c.Decline >= 0 && c.Decline <= 1):
		return c, bad("Decline", c.Decline)
	case !(c.Room.SeekerLeave >= 0 && c.Room.SeekerLeave <= 1):
		return c, bad("Room.SeekerLeave", c.Room.SeekerLeave)
	case c.Room.Headcount < 0 || c.Room.Headcount > 1000:
		return c, bad("Room.Headcount", c.Room.Headcount)
	}
	if c.Warmup == 0 {
		c.Warmup = 14
	}
	if c.Rounds == 0 {
		c.Rounds = 10
	}
	if c.K == 0 {
		c.K = 10
	}
	if c.ActiveShare == 0 {
		c.ActiveShare = 0.25
	}
	if c.HistoryEvents == 0 {
		c.HistoryEvents = 40 * (c.Market.Seekers + c.Market.Jobs)
	}
	return c, nil
}

// Interaction is one event between two participants, by index.
type Interaction struct {
	Actor, Target uint32
	Action        market.Action
	Time          time.Time
}

// World is the shared, read-only starting point of every run.
type World struct {
	Config  Config
	Market  *synth.Market
	History []Interaction // warm-up events, time-ordered
	// Start is the first instant of round 0.
	Start time.Time
}

// Cold returns a copy of w whose market opens with profiles only, as a new
// platform would: the same participants, latent truth and rounds, no
// history. The copy shares w's Market (read-only).
func (w *World) Cold() *World {
	c := *w
	c.History = nil
	return &c
}

// Headcount returns the number of matches after which job ix fills under
// Config.Room (0: never; always 0 for seekers).
func (w *World) Headcount(ix uint32) int {
	h := w.Config.Room.Headcount
	if h == 0 || w.Market.Side(ix) != market.Recruiter {
		return 0
	}
	return 1 + int(w.uniform(-2, ix, ix, purposeHeadcount)*float64(2*h-1))
}

// NewWorld generates the market and cuts its history.
func NewWorld(cfg Config) (*World, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	mc := c.Market
	mc.Days = c.Warmup + c.Rounds
	// The generator spreads events evenly over its days; generate enough
	// that the warm-up days hold HistoryEvents.
	mc.Events = int(math.Ceil(float64(c.HistoryEvents) * float64(mc.Days) / float64(c.Warmup)))
	m, err := synth.Generate(mc)
	if err != nil {
		return nil, fmt.Errorf("sim: market: %w", err)
	}
	w := &World{Config: c, Market: m, Start: m.Config.Start.Add(time.Duration(c.Warmup) * 24 * time.Hour)}
	for i, e := range m.Events {
		if !e.Time.Before(w.Start) {
			break
		}
		w.History = append(w.History, Interaction{m.Pairs[i].Actor, m.Pairs[i].Target, e.Action, e.Time})
	}
	w.Market.Events, w.Market.Pairs = nil, nil // the simulated days are replaced by rounds
	return w, nil
}

// Day returns the market day of round r.
func (w *World) Day(r int) int { return w.Config.Warmup + r }

// Registered reports whether ix has registered by round r.
func (w *World) Registered(ix uint32, r int) bool { return w.Market.RegisteredDay(ix) <= w.Day(r) }

// Request is what a recommender is asked in a round.
type Request struct {
	User  uint32    // the requester
	K     int       // how many candidates to return
	Round int       // 0 … Rounds-1
	Time  time.Time // the start of the round
}

// Recommender proposes candidates. Recommend returns up to req.K distinct
// participants of the other side, best first; the simulator ignores
// (and counts) anything else: the requester itself, the requester's side,
// unregistered participants, duplicates and entries beyond K. Recommend is
// called from one goroutine; the returned slice may be reused after the
// next call.
type Recommender interface {
	Recommend(req Request) []uint32
}

// Learner is an optional interface: a recommender that learns from what
// happens. Observe receives every interaction of round r (impressions,
// views, contacts, replies, declines) after the round, in the order they
// happened.
type Learner interface {
	Observe(r int, events []Interaction)
}

// Watcher is an optional interface: a recommender told of each
// interaction of round r as it happens, in order, before the next
// requester asks (as a host logs events). The events of one requester's
// list all carry the time of its request. Happened is called from the
// goroutine that calls Recommend.
type Watcher interface {
	Happened(r int, e Interaction)
}

// Leaver is an optional interface: a recommender told that participant ix
// left the market in round r at time at (see [Room]). From then on ix is
// never active and may not be shown.
type Leaver interface {
	Left(r int, ix uint32, at time.Time)
}

// StateReader is an optional interface for ceilings allowed to read the
// simulator's state (never for a contender that stands for a real
// recommender): Attach is called once at the start of a run with the
// run's live state.
type StateReader interface {
	Attach(s *State)
}

// State is the live state of one run, read-only for a [StateReader].
type State struct {
	w         *World
	load      []float64
	gone      []bool
	matches   []int
	contacted map[synth.Pair]struct{}
	round     int
}

// Load returns ix's current load: its contacts this round plus half of
// the previous load. A contact adds 1 before the reply is decided, so a
// contact now would be answered with probability
// synth.ReplyChance(rate, capacity, Load(ix)+1).
func (s *State) Load(ix uint32) float64 { return s.load[ix] }

// Gone reports whether ix has left the market.
func (s *State) Gone(ix uint32) bool { return s.gone[ix] }

// Matches returns ix's matches so far in this run.
func (s *State) Matches(ix uint32) int { return s.matches[ix] }

// Contacted reports whether a has contacted b (history included).
func (s *State) Contacted(a, b uint32) bool {
	_, ok := s.contacted[synth.Pair{Actor: a, Target: b}]
	return ok
}

// Round returns the current round.
func (s *State) Round() int { return s.round }

// RoundStats counts one round.
type RoundStats struct {
	Active      int `json:"active"`
	Impressions int `json:"impressions"`
	Views       int `json:"views"`
	Contacts    int `json:"contacts"`
	Replies     int `json:"replies"` // = mutual matches
	Declines    int `json:"declines"`
	Invalid     int `json:"invalid"` // recommendations the simulator ignored
	// Empty is the number of requests that got no valid candidate, Short
	// the number that got fewer than K (Empty included).
	Empty int `json:"empty"`
	Short int `json:"short"`
	// Repeats counts valid impressions of a candidate the requester had
	// contacted before (shown again, never contacted twice).
	Repeats int `json:"repeats"`
	// Left is the number of participants who left the market (Room).
	Left int `json:"left"`
	// Overloaded is the number of participants whose load exceeded their
	// capacity at the end of the round; Contacted the number who received
	// at least one contact in the round. OverloadedJobs and ContactedJobs
	// are the same for jobs only.
	Overloaded     int `json:"overloaded"`
	Contacted      int `json:"contacted"`
	OverloadedJobs int `json:"overloaded_jobs"`
	ContactedJobs  int `json:"contacted_jobs"`
}

// Result is what one recommender achieved.
type Result struct {
	Name   string       `json:"name"`
	Rounds []RoundStats `json:"rounds"`
	// Per participant (Dict index): impressions received, contacts
	// received, matches, the first round active and the first round with a
	// match (−1: none), and whether the participant was urgent in its first
	// active round.
	Exposure      []int  `json:"-"`
	Inbound       []int  `json:"-"`
	Matches       []int  `json:"-"`
	FirstActive   []int  `json:"-"`
	FirstMatch    []int  `json:"-"`
	UrgentAtFirst []bool `json:"-"`
	numSeekers    int
}

// hash-based common random numbers.
const (
	purposeActive uint64 = iota + 1
	purposeView
	purposeContact
	purposeReply
	purposeOrder
	purposeDecline
	purposeLeave
	purposeHeadcount
)

func (w *World) uniform(round int, a, b uint32, purpose uint64) float64 {
	h := mix(w.Config.Market.Seed ^ mix(uint64(round)<<8|purpose) ^ mix(uint64(a)<<32|uint64(b)))
	return float64(h>>11) / (1 << 53)
}

func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Progress, if not nil, is called after each round of a run.
type Progress func(name string, round, rounds int)

// Run simulates every round with rec and returns what happened. name labels
// the result.
func (w *World) Run(name string, rec Recommender, progress Progress) *Result {
	m, c := w.Market, w.Config
	n := len(m.Profiles)
	res := &Result{Name: name, Exposure: make([]int, n), Inbound: make([]int, n), Matches: make([]int, n), FirstActive: make([]int, n),
		FirstMatch: make([]int, n), UrgentAtFirst: make([]bool, n), numSeekers: m.NumSeekers}
	for i := range n {
		res.FirstActive[i], res.FirstMatch[i] = -1, -1
	}
	state := &State{w: w, load: make([]float64, n), gone: make([]bool, n), matches: res.Matches,
		contacted: make(map[synth.Pair]struct{})}
	contacted, load, gone := state.contacted, state.load, state.gone
	for _, e := range w.History {
		if e.Action.Contact() {
			contacted[synth.Pair{Actor: e.Actor, Target: e.Target}] = struct{}{}
		}
	}
	headcount := make([]int, n)
	for i := range n {
		headcount[i] = w.Headcount(uint32(i))
	}
	contactsThisRound := make([]int, n)
	meanActivity := 0.0
	for i := range n {
		meanActivity += m.Activity(uint32(i))
	}
	meanActivity /= float64(n)
	learner, _ := rec.(Learner)
	watcher, _ := rec.(Watcher)
	leaver, _ := rec.(Leaver)
	if sr, ok := rec.(StateReader); ok {
		sr.Attach(state)
	}
	order := make([]uint32, 0, n)
	keys := make([]uint64, n)
	seen := make(map[uint32]bool, c.K)
	for r := range c.Rounds {
		day := w.Day(r)
		state.round = r
		t0 := w.Start.Add(time.Duration(r) * 24 * time.Hour)
		var st RoundStats
		var events []Interaction
		emit := func(e Interaction) {
			if learner != nil {
				events = append(events, e)
			}
			if watcher != nil {
				watcher.Happened(r, e)
			}
		}
		leave := func(x uint32, at time.Time) {
			gone[x] = true
			st.Left++
			if leaver != nil {
				leaver.Left(r, x, at)
			}
		}
		// match counts a match for x and decides whether x leaves.
		match := func(x uint32, at time.Time) {
			res.Matches[x]++
			if res.FirstMatch[x] < 0 {
				res.FirstMatch[x] = r
			}
			switch {
			case m.Side(x) == market.Seeker && c.Room.SeekerLeave > 0:
				if w.uniform(r, x, uint32(res.Matches[x]), purposeLeave) < c.Room.SeekerLeave {
					leave(x, at)
				}
			case headcount[x] > 0 && res.Matches[x] >= headcount[x]:
				leave(x, at)
			}
		}
		for i := range load {
			load[i] *= 0.5
			contactsThisRound[i] = 0
		}
		order = order[:0]
		for i := range n {
			ix := uint32(i)
			if !w.Registered(ix, r) || gone[ix] {
				continue
			}
			p := c.ActiveShare * m.Activity(ix) / meanActivity
			if m.UrgentOn(ix, day) {
				p *= 3
			}
			if w.uniform(r, ix, ix, purposeActive) < p {
				order = append(order, ix)
				keys[ix] = mix(uint64(r)<<32 | uint64(ix) ^ purposeOrder ^ c.Market.Seed)
			}
		}
		slices.SortFunc(order, func(a, b uint32) int {
			if x := cmp.Compare(keys[a], keys[b]); x != 0 {
				return x
			}
			return cmp.Compare(a, b)
		})
		st.Active = len(order)
		for step, a := range order {
			if gone[a] {
				st.Active-- // left earlier in this round, after being drawn
				continue
			}
			if res.FirstActive[a] < 0 {
				res.FirstActive[a] = r
				res.UrgentAtFirst[a] = m.UrgentOn(a, day)
			}
			at := t0.Add(time.Duration(step) * 24 * time.Hour / time.Duration(len(order)+1))
			list := rec.Recommend(Request{User: a, K: c.K, Round: r, Time: at})
			clear(seen)
			th := m.ThresholdOn(a, day)
			urgent := m.UrgentOn(a, day)
			shown := 0
			for _, b := range list {
				if shown == c.K || b == a || int(b) >= n || m.Side(b) == m.Side(a) || !w.Registered(b, r) || gone[b] || seen[b] {
					st.Invalid++
					continue
				}
				seen[b] = true
				shown++
				st.Impressions++
				res.Exposure[b]++
				pair := synth.Pair{Actor: a, Target: b}
				_, done := contacted[pair]
				if done {
					st.Repeats++
				}
				emit(Interaction{a, b, market.Impression, at})
				if gone[a] {
					continue // left during this list: the rest is shown, not acted on
				}
				u := m.Affinity(a, b)
				if w.uniform(r, a, b, purposeView) >= synth.ViewChance(u, th) {
					continue
				}
				st.Views++
				emit(Interaction{a, b, market.View, at})
				if done || w.uniform(r, a, b, purposeContact) >= synth.ContactChance(u, th, urgent) {
					continue
				}
				contacted[pair] = struct{}{}
				st.Contacts++
				act := market.Chat
				if m.Side(a) == market.Seeker {
					act = market.Apply
				}
				emit(Interaction{a, b, act, at})
				load[b]++
				contactsThisRound[b]++
				res.Inbound[b]++
				if !m.AcceptsOn(b, a, day) {
					if c.Decline > 0 && w.uniform(r, b, a, purposeDecline) < c.Decline {
						st.Declines++
						emit(Interaction{b, a, market.Reject, at})
					}
					continue
				}
				if w.uniform(r, a, b, purposeReply) >= synth.ReplyChance(m.ReplyRate(b), m.Capacity(b), load[b]) {
					continue
				}
				st.Replies++
				emit(Interaction{b, a, market.Reply, at})
				match(a, at)
				match(b, at)
			}
			if shown < c.K {
				st.Short++
				if shown == 0 {
					st.Empty++
				}
			}
		}
		for i := range n {
			if contactsThisRound[i] > 0 {
				over := load[i] > m.Capacity(uint32(i))
				st.Contacted++
				if over {
					st.Overloaded++
				}
				if m.Side(uint32(i)) == market.Recruiter {
					st.ContactedJobs++
					if over {
						st.OverloadedJobs++
					}
				}
			}
		}
		res.Rounds = append(res.Rounds, st)
		if learner != nil {
			learner.Observe(r, events)
		}
		if progress != nil {
			progress(name, r+1, c.Rounds)
		}
	}
	return res
}

// Pair is a directed pair of participants.
type Pair = synth.Pair

// RecommenderFunc adapts a function to the Recommender interface.
type RecommenderFunc func(req Request) []uint32

// Recommend calls f(req).
func (f RecommenderFunc) Recommend(req Request) []uint32 { return f(req) }
