package contender

import "github.com/twowayrec/twoway/match"

// Pair is what an aggregator combines (match.Pair): the two one-way
// matches and the two urgencies.
type Pair = match.Pair

// Aggregators returns the aggregators of package match, one-way first:
// one-way, urgency-weighted (the patent's), mean, harmonic (RECON),
// geometric, product and minimum.
func Aggregators() []match.NamedAggregator { return match.Aggregators() }
