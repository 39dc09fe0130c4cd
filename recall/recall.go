package recall

import (
	"cmp"
	"context"
	"errors"
	"math"
	"slices"

	"github.com/kelindar/bitmap"
	"github.com/twowayrec/twoway/market"
)

// MaxIndex is the largest participant index the package stores: an
// event's Actor or Target ([Interest.Record], [Interest.Fit]) or a
// profile's index ([Population.Upsert], [Index.Upsert],
// [Index.UpsertBatch]) above it is refused with a *market.FieldError
// wrapping market.ErrOutOfRange. Tables are indexed by participant (dense
// slices up to the largest index), so their memory follows the largest
// index, not the number of participants: a Population keeps 96 bytes per
// index below its largest, an Index about 72, an Interest's overlay 32.
// The bound keeps one stray index near 2^32 from asking for hundreds of
// gigabytes; indices should still be dense, as a market.Dict hands them
// out from 0. It is the bound of packages allocate, match, activity,
// exposure and factor too (their own constants, equal). A request may
// name any index: one the package does not hold gets no candidates.
const MaxIndex = 1<<28 - 1

// Request asks for the candidates of one requester. Participants are the
// global dense indices of one [market.Dict] that spans both sides.
type Request struct {
	// Requester is the index of the participant asking.
	Requester uint32
	// Side is the requester's side; candidates come from Side.Other().
	Side market.Side
	// K is the number of candidates wanted. K <= 0 asks for nothing; a K
	// above the number of candidates (up to math.MaxInt) asks for all of
	// them: the recallers of this package size nothing by K.
	K int
	// Allowed is the set of participants that may be returned: every hard
	// filter already applied (other side, not self, active, city, seen,
	// blocked, over-exposed). Build it with [Population.Mask]. A recaller
	// returns only members of Allowed and looks past filtered candidates, so
	// that K come back when K allowed candidates exist in its source. A nil
	// Allowed allows nothing.
	Allowed bitmap.Bitmap
}

// Hit is one source's opinion of a candidate: which source found it, at
// which 0-based rank and with which score in that source's own scale.
type Hit struct {
	Source string  `json:"source"`
	Rank   int     `json:"rank"`
	Score  float64 `json:"score"`
}

// Candidate is one recalled participant.
type Candidate struct {
	// Index is the candidate's global index.
	Index uint32 `json:"index"`
	// Score is the recaller's score: higher is better. Scores of different
	// recallers are on different scales; a [Merger] puts them on one.
	Score float64 `json:"score"`
	// Hits lists the sources that found the candidate, in the order of the
	// merger's sources. Single recallers leave it nil; a [Merger] fills it.
	Hits []Hit `json:"hits,omitempty"`
}

// Recaller finds candidates for one requester.
//
// Recall appends at most req.K candidates to dst and returns the extended
// slice, like append. The contract every implementation keeps (and
// recalltest.Run checks):
//
//   - Every appended candidate is in req.Allowed, is not req.Requester, and
//     appears once.
//   - Appended candidates are ordered by Score descending, ties by Index
//     ascending; scores are finite. Ranking is deterministic: the same state
//     and request give the same slice.
//   - Filtering happens before truncation: if the recaller's source has at
//     least K allowed candidates, K are returned.
//   - dst[:len(dst)] is never modified. Recall keeps no reference to dst,
//     to the returned slice or to req.Allowed after it returns; the caller
//     owns all of them (and may reuse Allowed for the next request).
//   - Zero results with a nil error is a normal answer (nothing known
//     about the requester, everything filtered).
//   - If ctx is done before or during the call, Recall returns dst
//     unchanged-or-extended and ctx.Err(); callers discard the result.
//   - An error for a request that names an index the recaller does not know
//     is not allowed: an unknown requester has no history and gets zero
//     results.
//
// Implementations are safe for concurrent use, including concurrently with
// their own Record, Fit and Upsert methods.
type Recaller interface {
	Recall(ctx context.Context, req Request, dst []Candidate) ([]Candidate, error)
}

// RecallerFunc adapts an ordinary function to the Recaller interface. The
// function must keep the Recaller contract itself.
type RecallerFunc func(ctx context.Context, req Request, dst []Candidate) ([]Candidate, error)

// Recall calls f(ctx, req, dst).
func (f RecallerFunc) Recall(ctx context.Context, req Request, dst []Candidate) ([]Candidate, error) {
	return f(ctx, req, dst)
}

// Errors of the package.
var (
	// ErrConfig is wrapped by every configuration error; the message names
	// the field.
	ErrConfig = errors.New("recall: invalid config")
	// ErrUnknown is wrapped when an event or profile names an index the
	// caller has not registered.
	ErrUnknown = errors.New("recall: unknown participant")
)

// compareCandidates orders by score descending, then index ascending.
func compareCandidates(a, b Candidate) int {
	if c := cmp.Compare(b.Score, a.Score); c != 0 {
		return c
	}
	return cmp.Compare(a.Index, b.Index)
}

// sortCandidates sorts c in the Recaller order.
func sortCandidates(c []Candidate) { slices.SortFunc(c, compareCandidates) }

// topK keeps the best k candidates of a growing set. Offers go into a
// buffer of up to 2k; when it fills, a selection (quickselect, O(k)) keeps
// the best k and remembers the worst of them, below which later offers are
// dropped at once. Each kept offer costs an append instead of a heap's
// O(log k) sift, and the sort is left to the end.
type topK struct {
	k     int
	h     []Candidate // unordered; the best k are among them
	floor Candidate   // when full: an offer not better than floor cannot be kept
	full  bool        // h held k candidates at least once
}

// worse reports whether a ranks after b in the Recaller order.
func worse(a, b Candidate) bool {
	if a.Score != b.Score {
		return a.Score < b.Score
	}
	return a.Index > b.Index
}

func (t *topK) reset(k int) { t.k, t.h, t.full = k, t.h[:0], false }

// bound returns the score an offer must reach to be kept (ok false: any
// score is kept yet).
func (t *topK) bound() (score float64, ok bool) { return t.floor.Score, t.full }

// push offers a candidate; NaN scores are ignored.
func (t *topK) push(c Candidate) {
	if t.k <= 0 || math.IsNaN(c.Score) || (t.full && !worse(t.floor, c)) {
		return
	}
	t.h = append(t.h, c)
	if len(t.h)-t.k >= t.k { // len ≥ 2k without overflowing for a huge k
		t.shrink()
	}
}

// shrink keeps the best k of h.
func (t *topK) shrink() {
	if len(t.h) < t.k {
		return
	}
	selectBest(t.h, t.k)
	t.h = t.h[:t.k]
	t.floor, t.full = t.h[t.k-1], true
}

// selectBest reorders c so that c[:k] are its best k candidates in the
// Recaller order and c[k-1] is the k-th best (0 < k ≤ len(c)): Hoare's
// selection with a median-of-three pivot.
func selectBest(c []Candidate, k int) {
	lo, hi, n := 0, len(c)-1, k-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		// Median of three at mid: c[lo] ≤ c[mid] ≤ c[hi] in the order.
		if worse(c[lo], c[mid]) {
			c[lo], c[mid] = c[mid], c[lo]
		}
		if worse(c[mid], c[hi]) {
			c[mid], c[hi] = c[hi], c[mid]
			if worse(c[lo], c[mid]) {
				c[lo], c[mid] = c[mid], c[lo]
			}
		}
		p := c[mid]
		i, j := lo, hi
		for i <= j {
			for worse(p, c[i]) {
				i++
			}
			for worse(c[j], p) {
				j--
			}
			if i <= j {
				c[i], c[j] = c[j], c[i]
				i++
				j--
			}
		}
		switch {
		case n <= j:
			hi = j
		case n >= i:
			lo = i
		default:
			return // c[n] lies between the two parts: in place
		}
	}
}

// appendSorted appends the kept candidates to dst in Recaller order.
func (t *topK) appendSorted(dst []Candidate) []Candidate { return appendBest(dst, t.h, t.k) }

// appendBest appends the best k of c (reordered in place) to dst in
// Recaller order.
func appendBest(dst, c []Candidate, k int) []Candidate {
	if k <= 0 {
		return dst
	}
	if len(c) > k {
		selectBest(c, k)
		c = c[:k]
	}
	n := len(dst)
	dst = append(dst, c...)
	sortCandidates(dst[n:])
	return dst
}
