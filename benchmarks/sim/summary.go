package sim

import (
	"math"

	"github.com/twowayrec/twoway/benchmarks/metric"
	"github.com/twowayrec/twoway/market"
)

// SideSummary holds the market metrics of one side.
type SideSummary struct {
	// ShareMatched is the share of the side's participants active in at
	// least one round who got at least one mutual match.
	ShareMatched float64 `json:"share_matched"`
	// ExposureGini is the Gini coefficient of impressions received over the
	// side's participants registered by the last round.
	ExposureGini float64 `json:"exposure_gini"`
	// Coverage is the share of those participants shown at least once.
	Coverage float64 `json:"coverage"`
	// InboundGini is the Gini coefficient of contacts received over the
	// same participants.
	InboundGini float64 `json:"inbound_gini"`
}

// Summary condenses a Result.
type Summary struct {
	Name string `json:"name"`
	// MatchesPerRound is the mean number of mutual matches per round.
	MatchesPerRound float64 `json:"matches_per_round"`
	// ReplyRate is replies per contact.
	ReplyRate float64 `json:"reply_rate"`
	// ContactsPerRound is the mean number of contacts per round.
	ContactsPerRound float64 `json:"contacts_per_round"`
	// Matches is the number of mutual matches over the run, MatchesFirst3
	// over its first three rounds (all of them if fewer).
	Matches       int `json:"matches"`
	MatchesFirst3 int `json:"matches_first3"`
	// MatchesPer1000Contacts is 1000 × matches / contacts.
	MatchesPer1000Contacts float64 `json:"matches_per_1000_contacts"`
	// Requests is the number of lists asked for; EmptyShare and ShortShare
	// the shares of them with no valid candidate and with fewer than K.
	Requests   int     `json:"requests"`
	EmptyShare float64 `json:"empty_share"`
	ShortShare float64 `json:"short_share"`
	// Invalid and Repeats are the totals of the rounds' counters.
	Invalid int `json:"invalid"`
	Repeats int `json:"repeats"`
	// Left is the number of participants who left the market (Room).
	Left int `json:"left"`
	// OverloadedJobs is Overloaded for jobs only.
	OverloadedJobs float64 `json:"overloaded_jobs"`
	// Overloaded is the share of contacted participants whose load
	// exceeded their capacity at the end of a round (pooled over rounds).
	Overloaded float64 `json:"overloaded"`
	// RoundsToMatchUrgent and RoundsToMatchCalm are the mean number of
	// rounds from a participant's first active round to its first match
	// (0: matched in the first active round), over participants that
	// matched, for those urgent and not urgent in their first active round;
	// MatchedUrgent and MatchedCalm are the shares of those groups that
	// matched at all.
	RoundsToMatchUrgent float64 `json:"rounds_to_match_urgent"`
	RoundsToMatchCalm   float64 `json:"rounds_to_match_calm"`
	MatchedUrgent       float64 `json:"matched_urgent"`
	MatchedCalm         float64 `json:"matched_calm"`
	// Seekers and Jobs are the per-side figures.
	Seekers SideSummary `json:"seekers"`
	Jobs    SideSummary `json:"jobs"`
}

// Summarize computes the Summary of r in world w.
func (w *World) Summarize(r *Result) Summary {
	s := Summary{Name: r.Name}
	var contacts, replies, over, contacted, overJobs, contactedJobs, empty, short float64
	for i, st := range r.Rounds {
		contacts += float64(st.Contacts)
		replies += float64(st.Replies)
		over += float64(st.Overloaded)
		contacted += float64(st.Contacted)
		overJobs += float64(st.OverloadedJobs)
		contactedJobs += float64(st.ContactedJobs)
		empty += float64(st.Empty)
		short += float64(st.Short)
		s.Requests += st.Active
		s.Invalid += st.Invalid
		s.Repeats += st.Repeats
		s.Left += st.Left
		s.Matches += st.Replies
		if i < 3 {
			s.MatchesFirst3 += st.Replies
		}
	}
	s.MatchesPer1000Contacts = 1000 * ratio(replies, contacts)
	s.EmptyShare = ratio(empty, float64(s.Requests))
	s.ShortShare = ratio(short, float64(s.Requests))
	s.OverloadedJobs = ratio(overJobs, contactedJobs)
	rounds := float64(len(r.Rounds))
	s.MatchesPerRound = replies / rounds
	s.ContactsPerRound = contacts / rounds
	s.ReplyRate = ratio(replies, contacts)
	s.Overloaded = ratio(over, contacted)
	var tU, tC, nU, nC, mU, mC float64
	for i, fa := range r.FirstActive {
		if fa < 0 {
			continue
		}
		fm := r.FirstMatch[i]
		if r.UrgentAtFirst[i] {
			nU++
			if fm >= 0 {
				mU++
				tU += float64(max(0, fm-fa))
			}
		} else {
			nC++
			if fm >= 0 {
				mC++
				tC += float64(max(0, fm-fa))
			}
		}
	}
	s.RoundsToMatchUrgent, s.RoundsToMatchCalm = ratio(tU, mU), ratio(tC, mC)
	s.MatchedUrgent, s.MatchedCalm = ratio(mU, nU), ratio(mC, nC)
	s.Seekers = w.side(r, market.Seeker)
	s.Jobs = w.side(r, market.Recruiter)
	return s
}

func (w *World) side(r *Result, side market.Side) SideSummary {
	var exp, in []float64
	var active, matched, shown float64
	last := w.Config.Rounds - 1
	for i := range r.Exposure {
		ix := uint32(i)
		if w.Market.Side(ix) != side {
			continue
		}
		if w.Registered(ix, last) {
			exp = append(exp, float64(r.Exposure[i]))
			in = append(in, float64(r.Inbound[i]))
			if r.Exposure[i] > 0 {
				shown++
			}
		}
		if r.FirstActive[i] >= 0 {
			active++
			if r.Matches[i] > 0 {
				matched++
			}
		}
	}
	return SideSummary{ShareMatched: ratio(matched, active), ExposureGini: metric.Gini(exp), Coverage: ratio(shown, float64(len(exp))),
		InboundGini: metric.Gini(in)}
}

// ExposureOf returns the impressions received by the side's participants
// registered by the last round, for Lorenz curves.
func (w *World) ExposureOf(r *Result, side market.Side) []float64 {
	var exp []float64
	for i := range r.Exposure {
		ix := uint32(i)
		if w.Market.Side(ix) == side && w.Registered(ix, w.Config.Rounds-1) {
			exp = append(exp, float64(r.Exposure[i]))
		}
	}
	return exp
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return math.NaN()
	}
	return a / b
}
