package contender

import "math"

// Aggregator combines the two one-way matches of a pair (and the two
// urgencies) into one score.
//
// Stand-in: these mirror the definitions of package match
// (match.Aggregators) while that package is being rewritten; the suite
// switches to match's own functions once it builds again.
type Aggregator struct {
	Name      string
	Aggregate func(p Pair) float64
}

// Pair is what an aggregator combines.
type Pair struct {
	Forward, Backward                  float64
	RequesterUrgency, CandidateUrgency float64
}

func unit(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	return min(x, 1)
}

// Aggregators returns one-way, urgency-weighted, mean, harmonic,
// geometric, product and minimum, as package match defines them.
func Aggregators() []Aggregator {
	return []Aggregator{
		{"one-way", func(p Pair) float64 { return unit(p.Forward) }},
		{"urgency-weighted", func(p Pair) float64 {
			f, b := unit(p.Forward), unit(p.Backward)
			ua, ub := p.RequesterUrgency, p.CandidateUrgency
			if math.IsNaN(ua) {
				ua = 0.5
			}
			if math.IsNaN(ub) {
				ub = 0.5
			}
			ua, ub = unit(ua), unit(ub)
			if s := ua + ub; s > 0 {
				return unit((ua*f + ub*b) / s)
			}
			return (f + b) / 2
		}},
		{"mean", func(p Pair) float64 { return (unit(p.Forward) + unit(p.Backward)) / 2 }},
		{"harmonic", func(p Pair) float64 {
			f, b := unit(p.Forward), unit(p.Backward)
			if f+b == 0 {
				return 0
			}
			return 2 * f * b / (f + b)
		}},
		{"geometric", func(p Pair) float64 { return math.Sqrt(unit(p.Forward) * unit(p.Backward)) }},
		{"product", func(p Pair) float64 { return unit(p.Forward) * unit(p.Backward) }},
		{"minimum", func(p Pair) float64 { return min(unit(p.Forward), unit(p.Backward)) }},
	}
}
