package contender

import (
	"github.com/twowayrec/twoway/benchmarks/sim"
	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
)

// Oracle is the ceiling of the simulator comparisons: it reads the latent
// truth that no real recommender sees and steers each requester toward
// candidates who will answer and still have room. For requester a and
// candidate c on day d it ranks by the probability that showing c makes a
// match now,
//
//	P(a views c) · P(a contacts c | viewed) · [c accepts a on d] · P(c answers | load)
//	  = ViewChance(u, θa) · ContactChance(u, θa, urgent a) · [Affinity(c, a) > θc(d)]
//	    · ReplyChance(rate c, capacity c, load c + 1)
//
// with u = Affinity(a, c), θ the acceptance thresholds (relaxed while
// urgent), and load c the simulator's live load of c ([sim.State]), which
// rises with every contact the run has sent it, this round's included.
// Candidates who left the market or whom a already contacted are never
// shown; ties go to the lower index.
//
// It is a greedy, truth-aware ranking, not a proven upper bound: it does
// not plan across requesters (a seeker it matches may leave and free
// nobody else's room). It is a sim.StateReader and must be run through
// World.Run, which attaches the state.
//
// [NewObserverOracle] is the same ranking by an observer who knows all of
// that except the terms of the affinities that synth.Hidden names: it
// ranks by the expected chance of a match instead of the certain one, and
// so tells how much of the oracle's lead no recommender could take from
// the history.
type Oracle struct {
	w        *sim.World
	observer bool
	hidden   synth.Hidden
	st       *sim.State
	cands    []uint32
	scores   []float64
	order    []int
	out      []uint32
}

// NewOracle returns the oracle ceiling over w.
func NewOracle(w *sim.World) *Oracle { return &Oracle{w: w} }

// NewObserverOracle returns the oracle over w for an observer to whom h is
// hidden: for requester a and candidate c it ranks by
//
//	ViewChance(ū, θa) · ContactChance(ū, θa, urgent a) · AcceptChance(c, a, d, h)
//	  · ReplyChance(rate c, capacity c, load c + 1)
//
// with ū = KnownAffinity(a, c, h), the hidden terms at their mean (so the
// requester's own view is a plug-in estimate, its acceptance by c an exact
// expectation).
func NewObserverOracle(w *sim.World, h synth.Hidden) *Oracle {
	return &Oracle{w: w, observer: true, hidden: h}
}

// Attach implements sim.StateReader.
func (o *Oracle) Attach(s *sim.State) { o.st = s }

// Recommend implements sim.Recommender.
func (o *Oracle) Recommend(req sim.Request) []uint32 {
	if o.st == nil {
		panic("contender: Oracle used outside World.Run (no state attached)")
	}
	m := o.w.Market
	a := req.User
	lo, hi := m.Jobs()
	if m.Side(a) == market.Recruiter {
		lo, hi = m.Seekers()
	}
	day := o.w.Day(req.Round)
	th := m.ThresholdOn(a, day)
	urgent := m.UrgentOn(a, day)
	o.cands, o.scores = o.cands[:0], o.scores[:0]
	for c := lo; c < hi; c++ {
		if !o.w.Registered(c, req.Round) || o.st.Gone(c) || o.st.Contacted(a, c) {
			continue
		}
		var p float64
		if o.observer {
			u := m.KnownAffinity(a, c, o.hidden)
			p = synth.ViewChance(u, th) * synth.ContactChance(u, th, urgent) * m.AcceptChance(c, a, day, o.hidden)
		} else {
			u := m.Affinity(a, c)
			p = synth.ViewChance(u, th) * synth.ContactChance(u, th, urgent)
			if !m.AcceptsOn(c, a, day) {
				p = 0
			}
		}
		if p > 0 {
			p *= synth.ReplyChance(m.ReplyRate(c), m.Capacity(c), o.st.Load(c)+1)
		}
		o.cands = append(o.cands, c)
		o.scores = append(o.scores, p)
	}
	o.out = TopK(o.out, o.cands, o.scores, req.K, &o.order)
	return o.out
}
