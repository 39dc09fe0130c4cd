package insight

import (
	"math"
	"slices"
)

// quantile returns the p-quantile of the ascending slice s with linear
// interpolation between order statistics (R's type 7):
//
//	h = p·(n−1),  Q(p) = s[⌊h⌋] + (h − ⌊h⌋)·(s[⌊h⌋+1] − s[⌊h⌋])
//
// skip ≥ 0 leaves out the element at that index (leave-one-out without a
// copy); skip < 0 uses every element. It returns NaN when nothing is left.
func quantile(s []float64, p float64, skip int) float64 {
	n := len(s)
	if skip >= 0 {
		n--
	}
	if n <= 0 {
		return math.NaN()
	}
	at := func(r int) float64 {
		if skip >= 0 && r >= skip {
			return s[r+1]
		}
		return s[r]
	}
	h := p * float64(n-1)
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return at(n - 1)
	}
	f := h - float64(lo)
	return at(lo) + f*(at(lo+1)-at(lo))
}

// median returns the median of values (any order; NaNs ignored), or NaN.
func median(values []float64) float64 {
	s := make([]float64, 0, len(values))
	for _, v := range values {
		if !math.IsNaN(v) {
			s = append(s, v)
		}
	}
	slices.Sort(s)
	return quantile(s, 0.5, -1)
}

// indexOf returns the index of one element equal to v in the ascending
// slice s, or -1.
func indexOf(s []float64, v float64) int {
	i, ok := slices.BinarySearch(s, v)
	if !ok {
		return -1
	}
	return i
}
