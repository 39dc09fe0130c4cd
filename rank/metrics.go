package rank

import (
	"cmp"
	"math"
	"slices"
)

// AUC returns the area under the ROC curve of scores against binary labels:
// the probability that a random positive scores above a random negative,
// with a tie counting one half (the Mann–Whitney statistic with mid-ranks):
//
//	AUC = (Σ_{i positive} rank_i − P(P+1)/2) / (P·N)
//
// rank_i is the 1-based ascending rank, tied scores sharing their mean
// rank. It returns NaN when there are no positives or no negatives (the
// AUC is undefined), including for empty input. NaN scores rank below
// every number. It panics if the slices differ in length.
func AUC(scores []float64, labels []bool) float64 {
	if len(scores) != len(labels) {
		panic("rank: AUC: slice lengths do not match")
	}
	rows := make([]scored, len(scores))
	for i, s := range scores {
		rows[i] = scored{s, labels[i]}
	}
	return auc(rows)
}

// scored is one (score, label) row; sorting these directly is several
// times faster than sorting indices into two slices.
type scored struct {
	score float64
	pos   bool
}

// auc computes the AUC of rows (which it sorts).
func auc(rows []scored) float64 {
	slices.SortFunc(rows, func(a, b scored) int { return cmp.Compare(a.score, b.score) })
	var pos, neg, rankSum float64
	for k := 0; k < len(rows); {
		e := k
		for e < len(rows) && cmp.Compare(rows[e].score, rows[k].score) == 0 {
			e++
		}
		mid := float64(k+1+e) / 2 // mean of ranks k+1 … e
		for _, r := range rows[k:e] {
			if r.pos {
				pos++
				rankSum += mid
			} else {
				neg++
			}
		}
		k = e
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

// GAUC returns the group AUC: the AUC computed within each group (for
// example each user's own impressions) and averaged with every group
// weighing the same. Groups whose rows are all positive or all negative
// have no AUC and are skipped; n is the number of groups that counted. It
// returns NaN and 0 when no group counts (including empty input). It
// panics if the slices differ in length.
func GAUC(groups []uint32, scores []float64, labels []bool) (gauc float64, n int) {
	return gaucWeighted(groups, scores, labels, false)
}

// GAUCBySamples is GAUC with each group weighted by its number of rows,
// the definition common in industry (Zhou et al., "Deep Interest Network").
func GAUCBySamples(groups []uint32, scores []float64, labels []bool) (gauc float64, n int) {
	return gaucWeighted(groups, scores, labels, true)
}

func gaucWeighted(groups []uint32, scores []float64, labels []bool, bySamples bool) (float64, int) {
	if len(groups) != len(scores) || len(scores) != len(labels) {
		panic("rank: GAUC: slice lengths do not match")
	}
	order := make([]int, len(groups))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(groups[a], groups[b]) })
	var sum, wsum float64
	n := 0
	var rows []scored
	for k := 0; k < len(order); {
		e := k
		for e < len(order) && groups[order[e]] == groups[order[k]] {
			e++
		}
		rows = rows[:0]
		for _, i := range order[k:e] {
			rows = append(rows, scored{scores[i], labels[i]})
		}
		if a := auc(rows); !math.IsNaN(a) {
			w := 1.0
			if bySamples {
				w = float64(e - k)
			}
			sum += w * a
			wsum += w
			n++
		}
		k = e
	}
	if n == 0 {
		return math.NaN(), 0
	}
	return sum / wsum, n
}

// LogLoss returns the mean negative log-likelihood of probabilities p for
// labels y:
//
//	−(1/n) Σ_i [y_i log p_i + (1−y_i) log(1−p_i)]
//
// with p clipped to [1e-15, 1−1e-15] so that a confident mistake costs
// about 34.5 rather than +Inf. It returns NaN for empty input. It panics if
// the slices differ in length.
func LogLoss(p []float64, labels []bool) float64 {
	if len(p) != len(labels) {
		panic("rank: LogLoss: slice lengths do not match")
	}
	if len(p) == 0 {
		return math.NaN()
	}
	const eps = 1e-15
	var s float64
	for i, q := range p {
		q = min(max(q, eps), 1-eps)
		if labels[i] {
			s -= math.Log(q)
		} else {
			s -= math.Log1p(-q)
		}
	}
	return s / float64(len(p))
}
