package exposure

import (
	"fmt"
	"math"
	"time"

	"github.com/kelindar/bitmap"
)

// ServeExpected records that candidates were shown to requester at
// Config.Clock(), expected[i] being the probability that the requester
// contacts candidates[i] (its forward one-way match): each candidate's
// ledger load grows by expected[i], unless the same requester was shown it
// within Config.RepeatWindow; a NaN, infinite or negative expected[i]
// counts 0. With Config.Off, or a clock outside [market.MinTime,
// market.MaxTime) (see [Ledger.Add]), it records nothing. It returns the
// number of candidates counted.
func (c *Controller) ServeExpected(requester uint32, candidates []uint32, expected []float64) int {
	if c.cfg.Off {
		return 0
	}
	if len(expected) != len(candidates) {
		panic(fmt.Sprintf("exposure: ServeExpected: %d candidates, %d expectations", len(candidates), len(expected)))
	}
	now := c.cfg.Clock()
	if !countable(now, 0) {
		return 0
	}
	t := now.UnixNano()
	n := 0
	for i, cand := range candidates {
		x := expected[i]
		if !(x > 0) || math.IsInf(x, 0) {
			x = 0
		}
		if c.repeats.first(requester, cand, t) {
			c.ledger.Add(cand, now, x)
			n++
		}
	}
	return n
}

// Congestion writes to answer[i] the share g ∈ (0, 1] of one more contact
// that candidates[i] can answer at now (see the package section "Capacity
// and congestion"), given its capacity capacity[i] (answers per day) and
// the contacts it received in the last day recent[i] (nil: none known),
// and sets in excluded (when not nil) the candidates at or past the hard
// cap. With Config.Off every g is 1 and nobody is excluded. It panics if
// the slices' lengths differ.
func (c *Controller) Congestion(candidates []uint32, capacity, recent []float64, now time.Time, answer []float64, excluded *bitmap.Bitmap) {
	if len(capacity) != len(candidates) || len(answer) != len(candidates) || (recent != nil && len(recent) != len(candidates)) {
		panic(fmt.Sprintf("exposure: Congestion: %d candidates, %d capacities, %d recent, %d outputs", len(candidates), len(capacity), len(recent), len(answer)))
	}
	if c.cfg.Off {
		for i := range answer {
			answer[i] = 1
		}
		return
	}
	t := now.UnixNano()
	c.ledger.mu.RLock()
	defer c.ledger.mu.RUnlock()
	for i, cand := range candidates {
		c.congest(i, cand, c.ledger.load(cand, t), capacity, recent, answer, excluded)
	}
}

// CongestionFrom is [Controller.Congestion] with the ledger loads given
// (loads[i] for candidates[i], decayed amounts as [Ledger.Load] returns
// them) instead of read from the controller's own ledger: for a ledger
// that several processes share. It panics if the slices' lengths differ.
func (c *Controller) CongestionFrom(candidates []uint32, loads, capacity, recent []float64, answer []float64, excluded *bitmap.Bitmap) {
	if len(loads) != len(candidates) || len(capacity) != len(candidates) || len(answer) != len(candidates) || (recent != nil && len(recent) != len(candidates)) {
		panic(fmt.Sprintf("exposure: CongestionFrom: %d candidates, %d loads, %d capacities, %d recent, %d outputs", len(candidates), len(loads), len(capacity), len(recent), len(answer)))
	}
	if c.cfg.Off {
		for i := range answer {
			answer[i] = 1
		}
		return
	}
	for i, cand := range candidates {
		c.congest(i, cand, loads[i], capacity, recent, answer, excluded)
	}
}

// congest sets answer[i] (and cand's bit in excluded at the hard cap) from
// its ledger load.
func (c *Controller) congest(i int, cand uint32, ledgerLoad float64, capacity, recent, answer []float64, excluded *bitmap.Bitmap) {
	load := ledgerLoad * c.rate()
	if recent != nil && recent[i] > load {
		load = recent[i]
	}
	answer[i] = congestion(capacity[i], load)
	if excluded != nil && c.cfg.HardCap > 0 && load >= c.cfg.HardCap*capacity[i] {
		excluded.Set(cand)
	}
}

// rate turns a ledger load into expected contacts per day: ln 2 / H, H in
// days.
func (c *Controller) rate() float64 {
	return math.Ln2 / (float64(c.cfg.HalfLife) / float64(24*time.Hour))
}

// congestion is g = min(1, C/L), 1 for an unknown capacity or no load.
func congestion(capacity, load float64) float64 {
	if !(capacity > 0) || math.IsInf(capacity, 0) || !(load > capacity) {
		return 1
	}
	return capacity / load
}

// LoadRate returns candidate's ledger load at now as a rate of expected
// contacts per day (λ · ln 2 / H).
func (c *Controller) LoadRate(candidate uint32, now time.Time) float64 {
	return c.ledger.Load(candidate, now) * math.Ln2 / (float64(c.cfg.HalfLife) / float64(24*time.Hour))
}

// HardExclusions sets in dst (cleared first) every participant whose
// ledger load rate reaches Config.HardCap times its capacity
// (capacity[i] for participant i; past its end, prior), for the recall-time
// filter; nothing without a hard cap or with Config.Off.
func (c *Controller) HardExclusions(capacity []float64, prior float64, now time.Time, dst *bitmap.Bitmap) {
	dst.Clear()
	if c.cfg.Off || c.cfg.HardCap <= 0 {
		return
	}
	t := now.UnixNano()
	rate := math.Ln2 / (float64(c.cfg.HalfLife) / float64(24*time.Hour))
	c.ledger.mu.RLock()
	defer c.ledger.mu.RUnlock()
	for i := range c.ledger.entries {
		cp := prior
		if i < len(capacity) {
			cp = capacity[i]
		}
		if cp > 0 && c.ledger.load(uint32(i), t)*rate >= c.cfg.HardCap*cp {
			dst.Set(uint32(i))
		}
	}
}
