package rank

import (
	"cmp"
	"fmt"
	"math"
	"slices"
)

// The ranking metrics below score one query: the candidates shown to one
// user, with the model's scores and each candidate's relevance gain (0 =
// not relevant; any gain > 0 is relevant; NDCG uses the gain itself, the
// others only whether it is positive). Candidates are ranked by score,
// highest first, NaN scores last.
//
// # Ties
//
// Tied scores say nothing about the order between the tied candidates, so
// each metric returns its expected value over a uniformly random order of
// every group of tied scores (McSherry & Najork, "Computing information
// retrieval performance measures efficiently in the presence of tied
// scores", 2008). The result never depends on input order, and a
// constant scorer gets exactly the score of a random ranking.
//
// # Empty and degenerate input
//
// Recall, NDCG, AveragePrecision, ReciprocalRank and Hit are NaN for a
// query without any relevant candidate (including an empty query): the
// metric is undefined there, and [Mean] skips it. Precision@k of such a
// query is 0. Precision@k divides by k even when fewer than k candidates
// exist. Relevant items the scorer never saw cannot be counted: give them
// score −Inf to include them. A k <= 0 or slices of different lengths are
// programmer errors and panic.

// tieGroups returns the indices of scores ordered best first and the
// boundaries of groups of equal scores: group t is order[bounds[t]:bounds[t+1]].
func tieGroups(scores []float64) (order, bounds []int) {
	order = make([]int, len(scores))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := cmp.Compare(scores[b], scores[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	bounds = append(bounds, 0)
	for k := 1; k < len(order); k++ {
		if cmp.Compare(scores[order[k]], scores[order[k-1]]) != 0 {
			bounds = append(bounds, k)
		}
	}
	if len(order) > 0 {
		bounds = append(bounds, len(order))
	}
	return order, bounds
}

func checkQuery(name string, scores, gains []float64, k int) {
	if len(scores) != len(gains) {
		panic("rank: " + name + ": slice lengths do not match")
	}
	if k <= 0 {
		panic(fmt.Sprintf("rank: %s: k = %d: must be positive", name, k))
	}
}

// relevantCount counts gains > 0.
func relevantCount(gains []float64) int {
	n := 0
	for _, g := range gains {
		if g > 0 {
			n++
		}
	}
	return n
}

// expectedHitsAt returns the expected number of relevant candidates in the
// top k.
func expectedHitsAt(scores, gains []float64, k int) float64 {
	order, bounds := tieGroups(scores)
	var hits float64
	for t := 0; t+1 < len(bounds) && bounds[t] < k; t++ {
		a, b := bounds[t], bounds[t+1]
		r := 0
		for _, i := range order[a:b] {
			if gains[i] > 0 {
				r++
			}
		}
		taken := min(b, k) - a
		hits += float64(r) * float64(taken) / float64(b-a)
	}
	return hits
}

// PrecisionAt returns the expected share of the top k that is relevant:
// E[hits in top k] / k.
func PrecisionAt(scores, gains []float64, k int) float64 {
	checkQuery("PrecisionAt", scores, gains, k)
	return expectedHitsAt(scores, gains, k) / float64(k)
}

// RecallAt returns the expected share of the relevant candidates that are
// in the top k: E[hits in top k] / R. NaN when R = 0.
func RecallAt(scores, gains []float64, k int) float64 {
	checkQuery("RecallAt", scores, gains, k)
	R := relevantCount(gains)
	if R == 0 {
		return math.NaN()
	}
	return expectedHitsAt(scores, gains, k) / float64(R)
}

// HitAt returns the probability that at least one relevant candidate is in
// the top k (1 or 0 without ties). NaN when there is no relevant
// candidate. The hit rate is the [Mean] of HitAt over queries.
func HitAt(scores, gains []float64, k int) float64 {
	checkQuery("HitAt", scores, gains, k)
	if relevantCount(gains) == 0 {
		return math.NaN()
	}
	order, bounds := tieGroups(scores)
	for t := 0; t+1 < len(bounds) && bounds[t] < k; t++ {
		a, b := bounds[t], bounds[t+1]
		g, r := b-a, 0
		for _, i := range order[a:b] {
			if gains[i] > 0 {
				r++
			}
		}
		if r == 0 {
			continue
		}
		m := min(b, k) - a // slots of this group inside the top k
		// P(no relevant among m drawn from g with r relevant) = C(g−r, m)/C(g, m).
		miss := 1.0
		for j := range m {
			miss *= float64(g-r-j) / float64(g-j)
			if miss <= 0 {
				miss = 0
				break
			}
		}
		return 1 - miss
	}
	return 0
}

// NDCGAt returns the normalised discounted cumulative gain at k with
// linear gains:
//
//	DCG@k = Σ_{p=1..k} gain(p) / log₂(p+1),   NDCG@k = DCG@k / IDCG@k
//
// where IDCG@k is the DCG@k of the best order. Inside a tie group every
// position gets the group's mean gain. NaN when no gain is positive, and
// only then: negative and NaN gains count as 0, +Inf counts as
// MaxFloat64, and gains near the float64 range are scaled down first (NDCG
// does not depend on the scale of the gains), so the result is in [0, 1].
func NDCGAt(scores, gains []float64, k int) float64 {
	checkQuery("NDCGAt", scores, gains, k)
	var top float64
	for _, g := range gains {
		if g > top {
			top = g
		}
	}
	scale := 1.0
	if top > 1e300 {
		scale = 1 / min(top, math.MaxFloat64)
	}
	gain := func(g float64) float64 {
		if !(g > 0) {
			return 0
		}
		return min(g, math.MaxFloat64) * scale
	}
	order, bounds := tieGroups(scores)
	var dcg float64
	for t := 0; t+1 < len(bounds) && bounds[t] < k; t++ {
		a, b := bounds[t], bounds[t+1]
		var sum float64
		for _, i := range order[a:b] {
			sum += gain(gains[i])
		}
		mean := sum / float64(b-a)
		for p := a; p < min(b, k); p++ {
			dcg += mean / math.Log2(float64(p)+2)
		}
	}
	ideal := make([]float64, 0, len(gains))
	for _, g := range gains {
		if g > 0 {
			ideal = append(ideal, gain(g))
		}
	}
	if len(ideal) == 0 {
		return math.NaN()
	}
	slices.SortFunc(ideal, func(x, y float64) int { return cmp.Compare(y, x) })
	var idcg float64
	for p, g := range ideal[:min(k, len(ideal))] {
		idcg += g / math.Log2(float64(p)+2)
	}
	return min(1, dcg/idcg)
}

// AveragePrecisionAt returns the average precision at k:
//
//	AP@k = (1/min(R, k)) Σ_{p=1..k} rel(p) · Precision@p
//
// in expectation over tie orders (exact, by linearity). MAP@k is the
// [Mean] of AP@k over queries. NaN when R = 0.
func AveragePrecisionAt(scores, gains []float64, k int) float64 {
	checkQuery("AveragePrecisionAt", scores, gains, k)
	R := relevantCount(gains)
	if R == 0 {
		return math.NaN()
	}
	order, bounds := tieGroups(scores)
	var sum float64
	above := 0 // relevant candidates in earlier groups
	for t := 0; t+1 < len(bounds) && bounds[t] < k; t++ {
		a, b := bounds[t], bounds[t+1]
		g, r := b-a, 0
		for _, i := range order[a:b] {
			if gains[i] > 0 {
				r++
			}
		}
		if r > 0 {
			pr := float64(r) / float64(g)
			var pair float64 // P(two given positions of the group both relevant)
			if g > 1 {
				pr2 := float64(r) * float64(r-1) / (float64(g) * float64(g-1))
				pair = pr2
			}
			for j := range min(b, k) - a {
				// E[rel(p) · (relevant at or above p)] for p = a+j+1.
				e := pr*float64(1+above) + float64(j)*pair
				sum += e / float64(a+j+1)
			}
		}
		above += r
	}
	return sum / float64(min(R, k))
}

// ReciprocalRank returns the expected 1/p of the best-ranked relevant
// candidate at 1-based position p. MRR is the [Mean] of ReciprocalRank
// over queries. NaN when there is no relevant candidate.
func ReciprocalRank(scores, gains []float64) float64 {
	if len(scores) != len(gains) {
		panic("rank: ReciprocalRank: slice lengths do not match")
	}
	order, bounds := tieGroups(scores)
	for t := 0; t+1 < len(bounds); t++ {
		a, b := bounds[t], bounds[t+1]
		g, r := b-a, 0
		for _, i := range order[a:b] {
			if gains[i] > 0 {
				r++
			}
		}
		if r == 0 {
			continue
		}
		// P(first relevant at offset j) = r/(g−j) · Π_{i<j} (1 − r/(g−i)).
		var rr float64
		none := 1.0
		for j := 0; j <= g-r; j++ {
			pj := none * float64(r) / float64(g-j)
			rr += pj / float64(a+j+1)
			none *= 1 - float64(r)/float64(g-j)
		}
		return rr
	}
	return math.NaN()
}

// Mean returns the mean of the values that are not NaN and how many there
// were; NaN and 0 when none. Use it to turn per-query metrics into MRR,
// MAP@k, hit rate, mean NDCG@k and so on.
func Mean(values []float64) (mean float64, n int) {
	var s float64
	for _, v := range values {
		if !math.IsNaN(v) {
			s += v
			n++
		}
	}
	if n == 0 {
		return math.NaN(), 0
	}
	return s / float64(n), n
}
