package insight

import (
	"math"
	"slices"
)

// Headcount is a number of people, shown only when it reaches Config.K
// (k-anonymity). A suppressed Headcount has N 0 and Suppressed true: the
// group may hold anywhere from 0 to K−1 people, and nothing else computed
// from those people is shown either. A total (a city's seekers, an
// industry's people) is the sum of the groups of at least K it covers, so
// it is suppressed only when every such group is small or empty.
type Headcount struct {
	N          int  `json:"n,omitempty"`
	Suppressed bool `json:"suppressed,omitempty"`
}

// The rules for quantiles of people's values (see the package doc, Privacy).
const (
	// payStep is the grid, in yuan a month, people's pay figures are
	// rounded to.
	payStep = 500
	// spreadDivisor sets the least spread of a group's values: the largest
	// minus the smallest must be at least the figure over spreadDivisor
	// (a tenth), or every member's value is close to the figure and it is
	// suppressed.
	spreadDivisor = 10
)

// headcount returns n as a Headcount under the market's k.
func (m *Market) headcount(n int) Headcount {
	if n < m.cfg.K {
		return Headcount{Suppressed: true}
	}
	return Headcount{N: n}
}

// shown reports whether a figure over n people may be shown.
func (m *Market) shown(n int) bool { return n >= m.cfg.K }

// shownTotal returns the sum of the groups of at least K people among
// sizes and the number of non-empty groups left out: a total that leaves
// the small groups out cannot be differenced against the groups shown.
func (m *Market) shownTotal(sizes map[string]int) (total, suppressed int) {
	for _, n := range sizes {
		switch {
		case m.shown(n):
			total += n
		case n > 0:
			suppressed++
		}
	}
	return total, suppressed
}

// peopleQuantile returns the p-quantile of values stated by people (any
// order, NaNs ignored) as it may be published under k, and whether it may:
//
//   - at least k values are needed;
//   - the figure is the mean of the k consecutive order statistics
//     x(a+1) … x(a+k) centred on the quantile's position,
//     a = clamp(round(p·(n−1) − (k−1)/2), 0, n−k), so that it is never
//     one person's own value but the average of k;
//   - it is rounded to the nearest payStep;
//   - it is suppressed when the values spread by less than a tenth of it
//     (max − min < figure/10): everyone in such a group stated about the
//     figure, so publishing it would publish each one's value.
//
// k ≤ 1 disables the rules: the exact quantile ([quantile]) of at least one
// value. values is sorted in place.
func peopleQuantile(values []float64, p float64, k int) (float64, bool) {
	values = slices.DeleteFunc(values, math.IsNaN)
	slices.Sort(values)
	n := len(values)
	if k <= 1 {
		if n == 0 {
			return 0, false
		}
		return quantile(values, p, -1), true
	}
	if n < k {
		return 0, false
	}
	a := int(math.Round(p*float64(n-1) - float64(k-1)/2))
	a = min(max(a, 0), n-k)
	sum := 0.0
	for _, v := range values[a : a+k] {
		sum += v
	}
	mean := sum / float64(k)
	if values[n-1]-values[0] < mean/spreadDivisor {
		return 0, false
	}
	fig := math.Round(mean/payStep) * payStep
	if fig <= 0 {
		return 0, false
	}
	return fig, true
}
