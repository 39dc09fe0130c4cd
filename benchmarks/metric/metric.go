// Package metric holds the market metrics of the evaluation suite that
// package rank does not: inequality of exposure (Gini coefficient, Lorenz
// curve) and the aggregation of per-user ranking metrics into per-side
// tables. Ranking metrics themselves (Recall/Precision/NDCG@k, MRR, AUC,
// GAUC) are package rank's.
//
// # Gini
//
// For non-negative values x₁ ≤ … ≤ xₙ with sum S > 0,
//
//	G = (2·Σ i·xᵢ) / (n·S) − (n + 1)/n
//
// 0 when everybody gets the same exposure, (n − 1)/n when one participant
// gets all of it.
package metric

import (
	"math"
	"slices"

	"github.com/twowayrec/twoway/rank"
)

// Gini returns the Gini coefficient of values (see the package doc). It is
// 0 for empty input or an all-zero input. It panics on a negative or NaN
// value: exposure counts cannot be negative.
func Gini(values []float64) float64 {
	x := slices.Clone(values)
	for _, v := range x {
		if !(v >= 0) {
			panic("metric: Gini: negative or NaN value")
		}
	}
	slices.Sort(x)
	var s, w float64
	for i, v := range x {
		s += v
		w += float64(i+1) * v
	}
	n := float64(len(x))
	if s == 0 {
		return 0
	}
	return 2*w/(n*s) - (n+1)/n
}

// Lorenz returns the Lorenz curve of values at points+1 evenly spaced
// population shares 0, 1/points, …, 1: ys[i] is the share of the total held
// by the poorest share xs[i] of participants (linear between
// participants). For empty or all-zero input it returns the diagonal.
func Lorenz(values []float64, points int) (xs, ys []float64) {
	if points < 1 {
		panic("metric: Lorenz: points must be positive")
	}
	x := slices.Clone(values)
	slices.Sort(x)
	cum := make([]float64, len(x)+1)
	for i, v := range x {
		cum[i+1] = cum[i] + v
	}
	total := cum[len(x)]
	xs, ys = make([]float64, points+1), make([]float64, points+1)
	for i := range xs {
		p := float64(i) / float64(points)
		xs[i] = p
		if total == 0 || len(x) == 0 {
			ys[i] = p
			continue
		}
		pos := p * float64(len(x))
		k := int(math.Floor(pos))
		if k >= len(x) {
			ys[i] = 1
			continue
		}
		ys[i] = (cum[k] + (pos-float64(k))*x[k]) / total
	}
	return xs, ys
}

// Ranking accumulates per-user ranking metrics at a cut-off K, to report
// their means. Add one user's candidate scores and gains at a time; users
// without any relevant candidate count only in Precision (see package rank).
type Ranking struct {
	K                            int
	precision, recall, ndcg, mrr []float64
	groups                       []uint32
	scores                       []float64
	labels                       []bool
}

// Add records one user's query: scores of the candidates and their gains
// (> 0 relevant).
func (r *Ranking) Add(user uint32, scores, gains []float64) {
	r.precision = append(r.precision, rank.PrecisionAt(scores, gains, r.K))
	r.recall = append(r.recall, rank.RecallAt(scores, gains, r.K))
	r.ndcg = append(r.ndcg, rank.NDCGAt(scores, gains, r.K))
	r.mrr = append(r.mrr, rank.ReciprocalRank(scores, gains))
	for i := range scores {
		r.groups = append(r.groups, user)
		r.scores = append(r.scores, scores[i])
		r.labels = append(r.labels, gains[i] > 0)
	}
}

// Summary is the mean of each metric over the users added.
type Summary struct {
	Users     int     `json:"users"`    // users added
	Relevant  int     `json:"relevant"` // users with at least one relevant candidate
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	NDCG      float64 `json:"ndcg"`
	MRR       float64 `json:"mrr"`
	AUC       float64 `json:"auc"`  // pooled over all users' candidates
	GAUC      float64 `json:"gauc"` // per-user AUC, users weighted equally
}

// Summary returns the means.
func (r *Ranking) Summary() Summary {
	var s Summary
	s.Users = len(r.precision)
	s.Precision, _ = rank.Mean(r.precision)
	s.Recall, s.Relevant = rank.Mean(r.recall)
	s.NDCG, _ = rank.Mean(r.ndcg)
	s.MRR, _ = rank.Mean(r.mrr)
	s.AUC = rank.AUC(r.scores, r.labels)
	s.GAUC, _ = rank.GAUC(r.groups, r.scores, r.labels)
	return s
}
