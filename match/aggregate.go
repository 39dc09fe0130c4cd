package match

import (
	"encoding/json"
	"fmt"
	"math"
)

// Pair holds what a two-way aggregator combines for one requester A and one
// candidate B.
//
// Forward is A's one-way match for B (A's interest model applied to B's
// content), Backward is B's one-way match for A. Both are probabilities in
// [0, 1]; values outside are clamped and NaN counts as 0.
//
// RequesterUrgency and CandidateUrgency are the demand urgencies of A and B
// in [0, 1] (package urgency). NaN means "unknown"; an aggregator that does
// not use urgency ignores them.
type Pair struct {
	Forward          float64 `json:"forward"`
	Backward         float64 `json:"backward"`
	RequesterUrgency float64 `json:"requester_urgency"`
	CandidateUrgency float64 `json:"candidate_urgency"`
}

// MarshalJSON encodes p with unknown (NaN) values as null: encoding/json
// refuses NaN, and urgencies are often unknown.
func (p Pair) MarshalJSON() ([]byte, error) {
	return json.Marshal(pairJSON{nullable(p.Forward), nullable(p.Backward), nullable(p.RequesterUrgency), nullable(p.CandidateUrgency)})
}

// UnmarshalJSON decodes what MarshalJSON encodes: null or a missing value
// is NaN.
func (p *Pair) UnmarshalJSON(b []byte) error {
	var v pairJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Pair{orNaN(v.Forward), orNaN(v.Backward), orNaN(v.RequesterUrgency), orNaN(v.CandidateUrgency)}
	return nil
}

type pairJSON struct {
	Forward          *float64 `json:"forward"`
	Backward         *float64 `json:"backward"`
	RequesterUrgency *float64 `json:"requester_urgency"`
	CandidateUrgency *float64 `json:"candidate_urgency"`
}

func nullable(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func orNaN(x *float64) float64 {
	if x == nil {
		return math.NaN()
	}
	return *x
}

// NoUrgency returns a Pair of two one-way matches with both urgencies
// unknown (NaN).
func NoUrgency(forward, backward float64) Pair {
	return Pair{Forward: forward, Backward: backward, RequesterUrgency: math.NaN(), CandidateUrgency: math.NaN()}
}

// Aggregator turns the two one-way matches of a pair (and, for some, the two
// urgencies) into a two-way match in [0, 1]. Every aggregator of this
// package is a pure function, safe for concurrent use, returns a value in
// [0, 1] for any input (NaN included) and is monotone non-decreasing in each
// one-way match.
type Aggregator func(Pair) float64

// unit clamps x to [0, 1], mapping NaN to 0.
func unit(x float64) float64 {
	if !(x > 0) { // also NaN
		return 0
	}
	return min(x, 1)
}

// OneWay ignores the candidate's side: the two-way match is A's one-way
// match for B. It is the baseline the two-way aggregators are compared with.
func OneWay(p Pair) float64 { return unit(p.Forward) }

// UrgencyWeighted is the patent's aggregator: the linear sum of the two
// one-way matches, each weighted by the urgency of the side whose preference
// it is, normalised by the sum of the weights:
//
//	uA = RequesterUrgency, uB = CandidateUrgency   (unknown → 1/2)
//	S  = (uA·Forward + uB·Backward) / (uA + uB)     if uA + uB > 0
//	S  = (Forward + Backward) / 2                   otherwise
//
// Reasoning. The patent (CN105488662) weights each side's one-way match by
// that side's demand urgency and sums them: the preference of the party who
// needs the deal now is the one that decides whether contact turns into a
// conversation, so it counts more. Dividing by uA + uB makes the sum a convex
// combination: the score stays in [0, 1], stays comparable between pairs of
// different urgency levels (a pair of two urgent users does not outrank a
// better-suited pair just for being urgent; fusion adds urgency as its own
// signal), and with equal urgencies, in particular with both unknown, it is
// exactly the arithmetic mean of the two one-way matches. An unknown urgency
// is taken as 1/2, the middle of its range, so one known urgency of 1/2 and
// one unknown also give the mean.
func UrgencyWeighted(p Pair) float64 {
	f, b := unit(p.Forward), unit(p.Backward)
	ua, ub := urgencyOrHalf(p.RequesterUrgency), urgencyOrHalf(p.CandidateUrgency)
	if s := ua + ub; s > 0 {
		return unit((ua*f + ub*b) / s)
	}
	return (f + b) / 2
}

func urgencyOrHalf(u float64) float64 {
	if math.IsNaN(u) {
		return 0.5
	}
	return unit(u)
}

// UrgencyGeometric is the patent's urgency weighting in a form that keeps
// its strength when urgencies are equal: the urgency-weighted geometric
// mean
//
//	S = F^(uA/(uA+uB)) · B^(uB/(uA+uB))
//
// with uA, uB the requester's and the candidate's urgencies (unknown: ½).
// Equal urgencies give the geometric mean √(F·B), which ranks one
// requester's candidates as the product F·B (the probability that both say
// yes) does; an urgent requester leans on its own match, an urgent
// candidate on its answer. The weighted sum (UrgencyWeighted) falls to the
// arithmetic mean instead, the weakest rule on every measurement.
func UrgencyGeometric(p Pair) float64 {
	f, b := unit(p.Forward), unit(p.Backward)
	ua, ub := urgencyOrHalf(p.RequesterUrgency), urgencyOrHalf(p.CandidateUrgency)
	s := ua + ub
	if s <= 0 {
		ua, ub, s = 0.5, 0.5, 1
	}
	wa, wb := ua/s, ub/s
	switch {
	case f == 0 && wa > 0, b == 0 && wb > 0:
		return 0
	}
	return unit(math.Pow(f, wa) * math.Pow(b, wb))
}

// Mean is the arithmetic mean of the two one-way matches; it is
// UrgencyWeighted without urgencies.
func Mean(p Pair) float64 { return (unit(p.Forward) + unit(p.Backward)) / 2 }

// Harmonic is the harmonic mean of the two one-way matches, as in RECON
// (Pizzato et al., 2010):
//
//	S = 2·F·B / (F + B),   0 when F + B = 0
//
// It is pulled toward the smaller of the two, so a pair scores high only
// when both sides are interested.
func Harmonic(p Pair) float64 {
	f, b := unit(p.Forward), unit(p.Backward)
	if f+b == 0 {
		return 0
	}
	return unit(2 * f * b / (f + b))
}

// Geometric is the geometric mean √(F·B) of the two one-way matches.
func Geometric(p Pair) float64 { return math.Sqrt(unit(p.Forward) * unit(p.Backward)) }

// Product is F·B: the probability that both say yes when the two decisions
// are independent.
func Product(p Pair) float64 { return unit(p.Forward) * unit(p.Backward) }

// DefaultContactCost is the contact cost c of the "contact-cost" aggregator
// ([ContactCost]): a contact costs a fifth of a match. It was chosen on
// validation figures; see twoway.DefaultAggregator for them.
const DefaultContactCost = 0.2

// ContactCost returns the aggregator that discounts the probability of a
// match by the contacts it takes:
//
//	S = F·B / (1 + c/B) = F·B · B/(B + c),   0 when B = 0
//
// with F the requester's one-way match (the probability that it contacts
// the candidate), B the candidate's (the probability that it answers a
// contact positively) and c ≥ 0 the cost of one contact, in matches. A
// candidate who answers one contact in 1/B takes 1/B contacts, c/B of cost,
// per match; B/(B + c) is the share of a match's worth left beside that
// cost. So two candidates with the same probability of a match F·B are
// ordered by how rarely they leave a contact unanswered, and a candidate
// who rarely answers (or is already over-asked: its B carries its
// congestion) falls further than the product says. The discount is strong
// where answers are rare (B = 0.05, c = 0.2: B/(B+c) = 0.2) and mild where
// they are common (B = 0.5: 0.71), so a market in which most contacts go
// unanswered gets fewer wasted contacts while one in which most are
// answered keeps nearly the product's order. c = 0 is [Product]. S is in
// [0, 1] and non-decreasing in F and in B. A negative, NaN or infinite c
// is taken as 0.
func ContactCost(c float64) Aggregator {
	if !(c > 0) || math.IsInf(c, 1) {
		c = 0
	}
	return func(p Pair) float64 {
		f, b := unit(p.Forward), unit(p.Backward)
		if b == 0 {
			return 0
		}
		return unit(f * b * b / (b + c))
	}
}

// Minimum is min(F, B): a pair is as good as its less interested side.
func Minimum(p Pair) float64 { return min(unit(p.Forward), unit(p.Backward)) }

// NamedAggregator is an Aggregator with the name hosts use in a Config and
// reports print.
type NamedAggregator struct {
	Name      string
	Aggregate Aggregator
}

// Aggregators returns every aggregator of this package, one-way first, in a
// fixed order, for side-by-side comparison. The slice is new on every call.
//
// Names: "one-way", "urgency-weighted", "mean", "harmonic", "geometric",
// "urgency-geometric", "product", "minimum", "contact-cost" (with
// DefaultContactCost).
func Aggregators() []NamedAggregator {
	return []NamedAggregator{
		{"one-way", OneWay},
		{"urgency-weighted", UrgencyWeighted},
		{"mean", Mean},
		{"harmonic", Harmonic},
		{"geometric", Geometric},
		{"urgency-geometric", UrgencyGeometric},
		{"product", Product},
		{"minimum", Minimum},
		{"contact-cost", ContactCost(DefaultContactCost)},
	}
}

// AggregatorByName returns the aggregator called name (see [Aggregators]);
// the empty name is "urgency-weighted", the patent's default. An unknown name
// is an error wrapping ErrUnknownAggregator.
func AggregatorByName(name string) (Aggregator, error) {
	if name == "" {
		return UrgencyWeighted, nil
	}
	for _, a := range Aggregators() {
		if a.Name == name {
			return a.Aggregate, nil
		}
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownAggregator, name)
}
