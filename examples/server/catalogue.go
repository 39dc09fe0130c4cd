package main

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twowayrec/twoway/insight"
	"github.com/twowayrec/twoway/market"
)

// catalogue is the web UI's view of the market: every profile and the
// latest actions of every pair given to this process (through the API or
// the demo), and the insight.Market built from them. The Engine looks a
// profile up by ID (Engine.Profile) but neither lists nor searches them,
// nor shows a pair's history, so the UI keeps this copy; a server started
// from a snapshot has here only the profiles upserted since (cards of the
// others come from Engine.Profile, but search does not find them).
type catalogue struct {
	hideViewed bool // the Engine's Config.HideViewed

	mu       sync.RWMutex
	profiles map[string]market.Profile
	out, in  map[string]map[string]*pairRecord // actor → target → record; target → actor → the same record
	moves    []market.Event                    // Apply and Hire, for insight's WentTo
	dirty    bool                              // changed since the insight.Market was built

	market atomic.Pointer[marketView]
}

// pairRecord is what one participant did to another.
type pairRecord struct {
	actions uint32                 // bit a: the actor did Action a at least once
	last    [market.Hire + 1]int64 // Unix seconds of the latest of each action
}

// marketView is one built insight.Market (or why there is none).
type marketView struct {
	m     *insight.Market
	err   error
	built time.Time
}

func newCatalogue(hideViewed bool) *catalogue {
	return &catalogue{
		hideViewed: hideViewed,
		profiles:   map[string]market.Profile{},
		out:        map[string]map[string]*pairRecord{},
		in:         map[string]map[string]*pairRecord{},
	}
}

// upsert keeps the profiles (called after the Engine accepted them). The
// methods that change the catalogue do nothing on a nil one (no UI).
func (c *catalogue) upsert(ps ...market.Profile) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range ps {
		p.Text = "" // the UI never shows the description; it is the bulk of a posting
		c.profiles[p.ID] = p
	}
	c.dirty = true
}

// remove forgets a profile (its pairs stay: the Engine keeps its history).
func (c *catalogue) remove(id string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.profiles, id)
	c.dirty = true
}

// record keeps the events (called after the Engine logged them).
func (c *catalogue) record(evs ...market.Event) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, ev := range evs {
		if !ev.Action.Valid() {
			continue
		}
		m := c.out[ev.Actor]
		if m == nil {
			m = map[string]*pairRecord{}
			c.out[ev.Actor] = m
		}
		r := m[ev.Target]
		if r == nil {
			r = &pairRecord{}
			m[ev.Target] = r
			in := c.in[ev.Target]
			if in == nil {
				in = map[string]*pairRecord{}
				c.in[ev.Target] = in
			}
			in[ev.Actor] = r
		}
		r.actions |= 1 << ev.Action
		r.last[ev.Action] = max(r.last[ev.Action], ev.Time.Unix())
		if ev.Action == market.Apply || ev.Action == market.Hire {
			c.moves = append(c.moves, ev)
			c.dirty = true
		}
	}
}

// profile returns the profile with id, when the catalogue has it.
func (c *catalogue) profile(id string) (market.Profile, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	p, ok := c.profiles[id]
	return p, ok
}

// search returns up to n active profiles of side (0: both) whose ID,
// title, company or city contains q (case-folded; "" matches all), those
// with the most recorded actions first, then by ID.
func (c *catalogue) search(side market.Side, q string, n int) []market.Profile {
	q = strings.ToLower(strings.TrimSpace(q))
	c.mu.RLock()
	type hit struct {
		p       market.Profile
		actions int
	}
	var hits []hit
	for _, p := range c.profiles {
		if p.Inactive || (side != 0 && p.Side != side) {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(p.ID+"\x00"+p.Title+"\x00"+p.Company+"\x00"+p.City), q) {
			continue
		}
		hits = append(hits, hit{p, len(c.out[p.ID])})
	}
	c.mu.RUnlock()
	slices.SortFunc(hits, func(a, b hit) int {
		if x := cmp.Compare(b.actions, a.actions); x != 0 {
			return x
		}
		return cmp.Compare(a.p.ID, b.p.ID)
	})
	out := make([]market.Profile, 0, min(n, len(hits)))
	for _, h := range hits[:min(n, len(hits))] {
		out = append(out, h.p)
	}
	return out
}

// The reasons a pair is hidden from a requester, as the Engine decides
// (already contacted, rejected either way, viewed with HideViewed).
const (
	hiddenContacted  = "contacted"   // the requester chatted, applied, replied or hired
	hiddenDeclined   = "declined"    // the requester rejected the candidate
	hiddenDeclinedBy = "declined_by" // the candidate rejected the requester
	hiddenViewed     = "viewed"      // the requester viewed or favourited it (Config.HideViewed)
)

// hidden is one candidate the Engine will not show a requester, and why.
type hidden struct {
	ID     string
	Reason string
	Action market.Action // the action that hides it
	Time   time.Time
}

// contactActions are the actions that put the target in the actor's
// already-contacted set (twoway.Config.HideViewed's doc).
var contactActions = []market.Action{market.Chat, market.Apply, market.Reply, market.Hire}

// hiddenFor returns why the Engine hides each candidate it hides from id,
// as far as the catalogue saw their history, the latest first.
func (c *catalogue) hiddenFor(id string) []hidden {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []hidden
	for target, r := range c.out[id] {
		if h, ok := c.hiddenPair(target, r, c.in[id][target]); ok {
			out = append(out, h)
		}
	}
	for actor, r := range c.in[id] {
		if _, both := c.out[id][actor]; both {
			continue // judged above
		}
		if h, ok := c.hiddenPair(actor, nil, r); ok {
			out = append(out, h)
		}
	}
	slices.SortFunc(out, func(a, b hidden) int {
		if x := b.Time.Compare(a.Time); x != 0 {
			return x
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out
}

// why returns why the Engine hides candidate from requester (false: it
// does not, as far as the catalogue knows).
func (c *catalogue) why(requester, candidate string) (hidden, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.hiddenPair(candidate, c.out[requester][candidate], c.out[candidate][requester])
}

// hiddenPair judges one pair from the requester's side: mine is what the
// requester did to the candidate, theirs what the candidate did to the
// requester (either may be nil).
func (c *catalogue) hiddenPair(candidate string, mine, theirs *pairRecord) (hidden, bool) {
	at := func(r *pairRecord, a market.Action) time.Time { return time.Unix(r.last[a], 0).UTC() }
	has := func(r *pairRecord, a market.Action) bool { return r != nil && r.actions&(1<<a) != 0 }
	switch {
	case has(mine, market.Reject):
		return hidden{candidate, hiddenDeclined, market.Reject, at(mine, market.Reject)}, true
	case has(theirs, market.Reject):
		return hidden{candidate, hiddenDeclinedBy, market.Reject, at(theirs, market.Reject)}, true
	}
	var best hidden
	for _, a := range contactActions {
		if has(mine, a) && at(mine, a).After(best.Time) {
			best = hidden{candidate, hiddenContacted, a, at(mine, a)}
		}
	}
	if best.Reason != "" {
		return best, true
	}
	if c.hideViewed {
		for _, a := range []market.Action{market.View, market.Favourite} {
			if has(mine, a) && at(mine, a).After(best.Time) {
				best = hidden{candidate, hiddenViewed, a, at(mine, a)}
			}
		}
	}
	return best, best.Reason != ""
}

// history returns what each of a and b did to the other: the actions and
// the time of the latest of each, in the order of market.Actions.
func (c *catalogue) history(a, b string) (ab, ba []actionAt) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	list := func(r *pairRecord) []actionAt {
		out := []actionAt{}
		if r == nil {
			return out
		}
		for _, act := range market.Actions() {
			if r.actions&(1<<act) != 0 {
				out = append(out, actionAt{act, time.Unix(r.last[act], 0).UTC()})
			}
		}
		return out
	}
	return list(c.out[a][b]), list(c.out[b][a])
}

type actionAt struct {
	Action market.Action `json:"action"`
	Time   time.Time     `json:"time"`
}

// insight returns the insight.Market of the catalogue, building it when
// none was built yet. The market is rebuilt at each refit (rebuild), not at
// every change: insight's privacy rules protect one published market
// against any number of queries, not the difference of two markets a
// person apart, so the figures change at a coarse cadence.
func (c *catalogue) insight() *marketView {
	if v := c.market.Load(); v != nil {
		return v
	}
	return c.rebuild()
}

// rebuild builds the insight.Market from the catalogue now, when anything
// changed since the last build.
func (c *catalogue) rebuild() *marketView {
	c.mu.Lock()
	if v := c.market.Load(); v != nil && !c.dirty {
		c.mu.Unlock()
		return v
	}
	ps := make([]market.Profile, 0, len(c.profiles))
	for _, p := range c.profiles {
		ps = append(ps, p)
	}
	moves := slices.Clone(c.moves)
	c.dirty = false // a change from now on is for the next build
	c.mu.Unlock()
	// insight's answers do not depend on the order of the profiles, but
	// sort them all the same so that a build is reproducible.
	slices.SortFunc(ps, func(a, b market.Profile) int { return cmp.Compare(a.ID, b.ID) })
	m, err := insight.New(insight.Config{}, ps, moves)
	v := &marketView{m: m, err: err, built: time.Now()}
	c.market.Store(v)
	return v
}
