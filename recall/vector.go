package recall

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"

	"github.com/twowayrec/twoway/market"
)

// VectorsConfig configures [Vectors]: one direction of vector recall,
// requesters of Side against candidates of the other side. Rows are
// plain float32 vectors indexed by the global participant index (a nil or
// empty row: no vector); every non-empty row of both tables has the same
// length. Typical sources are the factors of package factor (a requester's
// row factor against the candidates' column factors of the requester
// side's model) or a host's embeddings.
type VectorsConfig struct {
	// Name is the recaller's name (String, merge hits). Zero: "vectors".
	Name string `json:"name"`
	// Side is the requesters' side: requests from the other side get no
	// candidates. Required.
	Side market.Side `json:"side"`
	// Queries[u] is requester u's vector.
	Queries [][]float32 `json:"-"`
	// Candidates[j] is candidate j's vector.
	Candidates [][]float32 `json:"-"`
}

// Vectors is exact vector recall: the K allowed candidates with the
// largest inner product with the requester's vector,
//
//	score(j) = qᵀ v_j
//
// computed in float32 over every allowed candidate (an AVX2 and FMA
// assembly kernel on amd64 where the processor has them, gonum's Sgemv
// elsewhere), ties by index. It is exact: rows are stored by norm,
// largest first, and a request stops once ‖q‖·‖v‖ cannot beat the K-th
// score, but in 64 dimensions that bound (like bounds over clusters of
// rows) rarely stops before the end, so a request reads every allowed row:
// for K = 200 of 20,000 candidates of 64 dimensions (5 MB), 0.20 ms per
// request at the median on the shared 2-core development machine (0.30 ms
// with gonum's Sgemv; 128 dimensions 0.32 ms; the factor package's
// BenchmarkVectorRecallLarge, 5 interleaved runs). No approximate index
// is built. Rows are stored padded with zeros to a multiple of 8
// dimensions (Bytes counts the padding).
//
// Scores are finite: every row's Euclidean norm is at most 2^63 ≈ 9.2e18
// (a little less for rows of millions of dimensions: [NewVectors]), so
// that by Cauchy–Schwarz every partial sum of a float32 dot product stays
// below 2^126 with its rounding, under float32's largest value 2^128. The
// bound is checked once per row when the tables are copied (and once per
// RecallVector query), not per dot product: the scoring loop is the same
// as without it.
//
// The allowed bitmap is applied before any dot product, so filtered
// candidates cost nothing and K come back whenever K allowed candidates
// have a vector. A requester without a vector, or from the other side,
// gets no candidates. [Vectors.RecallVector] takes the query vector from
// the caller instead (a cold-start or folded-in vector).
//
// Vectors copies both tables at construction into contiguous storage and
// never changes afterwards: it is safe for concurrent use; to refresh,
// build a new one and swap it.
type Vectors struct {
	name string
	side market.Side
	dim  int
	pad  int       // row stride: dim rounded up to dotLanes, zeros beyond dim
	qpos []int32   // global index → query row, −1 when none
	q    []float32 // query rows, pad apart
	cand []uint32  // global index of each candidate row, by norm descending
	norm []float32 // ‖v‖ of each candidate row, rounded up
	data []float32 // candidate rows, pad apart
	pool sync.Pool // *vscratch
}

// NewVectors validates cfg and copies its tables. It returns an error
// wrapping [ErrConfig] naming the field, and the index and position of a
// row of the wrong length or with a non-finite value, or the index of a
// row whose Euclidean norm is above 2^63·exp(−(dim+1)·2^−24) (2^63 ≈
// 9.2e18 for short rows; 0.94·2^63 for a million dimensions): the dot
// products of two such rows could overflow float32 and score +Inf. Scale
// such vectors down first (inner-product ranking does not change when
// every query or every candidate is scaled by the same positive factor).
func NewVectors(cfg VectorsConfig) (*Vectors, error) {
	if !cfg.Side.Valid() {
		return nil, fmt.Errorf("%w: VectorsConfig.Side %d: want Seeker or Recruiter", ErrConfig, cfg.Side)
	}
	v := &Vectors{name: cfg.Name, side: cfg.Side}
	if v.name == "" {
		v.name = "vectors"
	}
	check := func(field string, rows [][]float32) (int, error) {
		n := 0
		for i, r := range rows {
			if len(r) == 0 {
				continue
			}
			if v.dim == 0 {
				v.dim = len(r)
			}
			if len(r) != v.dim {
				return 0, fmt.Errorf("%w: VectorsConfig.%s[%d] has length %d, want %d", ErrConfig, field, i, len(r), v.dim)
			}
			for d, x := range r {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					return 0, fmt.Errorf("%w: VectorsConfig.%s[%d][%d] is %v", ErrConfig, field, i, d, x)
				}
			}
			if nr, limit := norm32(r), maxVectorNorm(v.dim); nr > limit {
				return 0, fmt.Errorf("%w: VectorsConfig.%s[%d] has norm %.3g, above %.3g (its float32 dot products could overflow)", ErrConfig, field, i, nr, limit)
			}
			n++
		}
		if len(rows) > math.MaxUint32 {
			return 0, fmt.Errorf("%w: VectorsConfig.%s has %d rows", ErrConfig, field, len(rows))
		}
		return n, nil
	}
	nq, err := check("Queries", cfg.Queries)
	if err != nil {
		return nil, err
	}
	nc, err := check("Candidates", cfg.Candidates)
	if err != nil {
		return nil, err
	}
	v.pad = padded(v.dim)
	v.qpos = make([]int32, len(cfg.Queries))
	v.q = make([]float32, nq*v.pad) // zero: every row's padding stays 0
	next := 0
	for i, r := range cfg.Queries {
		v.qpos[i] = -1
		if len(r) > 0 {
			v.qpos[i] = int32(next)
			copy(v.q[next*v.pad:], r)
			next++
		}
	}
	// Candidates by norm, largest first (ties by index), so that a request
	// can stop once ‖q‖·‖v‖ cannot beat the K-th score.
	type row struct {
		norm float64
		ix   uint32
	}
	order := make([]row, 0, nc)
	for i, r := range cfg.Candidates {
		if len(r) > 0 {
			order = append(order, row{norm32(r), uint32(i)})
		}
	}
	slices.SortFunc(order, func(a, b row) int { return cmp.Or(cmp.Compare(b.norm, a.norm), cmp.Compare(a.ix, b.ix)) })
	v.cand = make([]uint32, len(order))
	v.norm = make([]float32, len(order))
	v.data = make([]float32, nc*v.pad)
	for r, o := range order {
		v.cand[r] = o.ix
		v.norm[r] = math.Nextafter32(float32(o.norm*normSlack(v.dim)), float32(math.Inf(1)))
		copy(v.data[r*v.pad:], cfg.Candidates[o.ix])
	}
	return v, nil
}

// String returns the configured name.
func (v *Vectors) String() string { return v.name }

// Dim returns the vectors' length (0 when both tables are empty).
func (v *Vectors) Dim() int { return v.dim }

// Bytes returns the memory of the copied tables.
func (v *Vectors) Bytes() int {
	return 4 * (len(v.qpos) + len(v.q) + len(v.cand) + len(v.norm) + len(v.data))
}

// Len returns the number of candidates with a vector.
func (v *Vectors) Len() int { return len(v.cand) }

// Query returns requester u's vector (a view that must not be modified),
// or nil when u has none.
func (v *Vectors) Query(u uint32) []float32 {
	r := v.queryRow(u)
	if r == nil {
		return nil
	}
	return r[:v.dim:v.dim]
}

// queryRow returns requester u's stored row with its zero padding (v.pad
// long), or nil when u has none.
func (v *Vectors) queryRow(u uint32) []float32 {
	if int64(u) >= int64(len(v.qpos)) || v.qpos[u] < 0 {
		return nil
	}
	p := int(v.qpos[u]) * v.pad
	return v.q[p : p+v.pad : p+v.pad]
}

// Recall implements Recaller with the requester's stored vector.
func (v *Vectors) Recall(ctx context.Context, req Request, dst []Candidate) ([]Candidate, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	if req.K <= 0 || req.Side != v.side {
		return dst, nil
	}
	q := v.queryRow(req.Requester)
	if q == nil {
		return dst, nil
	}
	return v.recall(ctx, req, q, dst)
}

// RecallVector is Recall with the query vector q given by the caller (for
// a requester unknown when the tables were built, or one whose vector was
// refreshed since). It keeps the Recaller contract, and returns an error
// when q's length differs from Dim, q holds a non-finite value or its norm
// is above the bound of [NewVectors]. q is only read.
func (v *Vectors) RecallVector(ctx context.Context, req Request, q []float32, dst []Candidate) ([]Candidate, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	if req.K <= 0 || req.Side != v.side || len(v.cand) == 0 {
		return dst, nil
	}
	if len(q) != v.dim {
		return dst, fmt.Errorf("recall: %s: query vector of length %d, want %d", v.name, len(q), v.dim)
	}
	for d, x := range q {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return dst, fmt.Errorf("recall: %s: query vector [%d] is %v", v.name, d, x)
		}
	}
	if nq, limit := norm32(q), maxVectorNorm(v.dim); nq > limit {
		return dst, fmt.Errorf("recall: %s: query vector has norm %.3g, above %.3g (its float32 dot products could overflow)", v.name, nq, limit)
	}
	if v.pad == v.dim {
		return v.recall(ctx, req, q, dst)
	}
	padq := make([]float32, v.pad)
	copy(padq, q)
	return v.recall(ctx, req, padq, dst)
}

// maxVectorNorm is the largest Euclidean norm of a row of dim floats:
// with ‖q‖, ‖v‖ ≤ L, every partial sum of a float32 dot product, each of
// its dim+1 steps rounding at most twice (1+2^−24 each, gonum's Sgemv
// without FMA), is at most L²·(1+2^−24)^(2(dim+1)) ≤ L²·exp(2(dim+1)·2^−24)
// = 2^126 < math.MaxFloat32, so no score overflows.
func maxVectorNorm(dim int) float64 { return 0x1p63 * math.Exp(-float64(dim+1)/(1<<24)) }

// vectorBlock is the number of candidates scored between two looks at
// ctx.
const vectorBlock = 4096

// normSlack covers the rounding of a float32 dot product of length d
// (at most d·2⁻²⁴ of Σ|q_d v_d| ≤ ‖q‖‖v‖ each way) and of the norms, so
// that a candidate skipped by its norm bound could not have been kept.
func normSlack(dim int) float64 { return 1 + float64(4*dim+8)/(1<<24) }

// vhit is a kept candidate of the top-K heap: 8 bytes, cheap to move.
type vhit struct {
	s float32
	j uint32
}

// vworse reports whether a ranks after b: lower score, or the same score
// and a higher index.
func vworse(a, b vhit) bool { return a.s < b.s || (a.s == b.s && a.j > b.j) }

// vscratch is one request's scratch space, pooled.
type vscratch struct {
	h      []vhit
	scores [vectorRun]float32
}

// vectorRun is the number of candidate rows scored by one matrix–vector
// product when most of them are allowed.
const vectorRun = 256

// recall ranks the allowed candidates for q, a query padded to v.pad.
func (v *Vectors) recall(ctx context.Context, req Request, q []float32, dst []Candidate) ([]Candidate, error) {
	sc, _ := v.pool.Get().(*vscratch)
	if sc == nil {
		sc = &vscratch{}
	}
	defer v.pool.Put(sc)
	h := sc.h[:0]
	k := req.K
	pad := v.pad
	allowed := req.Allowed
	// bound·‖v_r‖ bounds every score from row r on: rows are stored by
	// norm, largest first.
	bound := norm32(q) * normSlack(v.dim)
	push := func(c vhit) {
		if len(h) < k {
			h = append(h, c)
			for i := len(h) - 1; i > 0; {
				up := (i - 1) / 2
				if !vworse(h[i], h[up]) {
					break
				}
				h[i], h[up] = h[up], h[i]
				i = up
			}
			return
		}
		if vworse(h[0], c) {
			h[0] = c
			siftDown(h, 0)
		}
	}
	for lo := 0; lo < len(v.cand); lo += vectorRun {
		if lo%vectorBlock == 0 && lo > 0 && ctx.Err() != nil {
			return dst, ctx.Err()
		}
		if len(h) == k && bound*float64(v.norm[lo]) < float64(h[0].s) {
			break // no later row can beat the worst kept score
		}
		hi := min(lo+vectorRun, len(v.cand))
		cand := v.cand[lo:hi]
		// The run's allowed rows, as bits.
		var okm [vectorRun / 64]uint64
		n := 0
		for r, j := range cand {
			if w := int(j >> 6); w < len(allowed) && allowed[w]&(1<<(j&63)) != 0 && j != req.Requester {
				okm[r>>6] |= 1 << (r & 63)
				n++
			}
		}
		if n == 0 {
			continue
		}
		s := sc.scores[:len(cand)]
		if 4*n >= len(cand) {
			// Most rows allowed: one product for the whole run.
			dotRows(v.data[lo*pad:hi*pad], pad, q, s)
		}
		for wi, w := range okm {
			for ; w != 0; w &= w - 1 {
				r := wi<<6 | bits.TrailingZeros64(w)
				if 4*n < len(cand) {
					p := (lo + r) * pad
					dotRows(v.data[p:p+pad], pad, q, s[r:r+1])
				}
				if len(h) < k || s[r] >= h[0].s {
					push(vhit{s[r], cand[r]})
				}
			}
		}
	}
	sc.h = h
	// Heapsort: the worst kept goes to the back, so h ends best first.
	for n := len(h) - 1; n > 0; n-- {
		h[0], h[n] = h[n], h[0]
		siftDown(h[:n], 0)
	}
	for _, c := range h {
		dst = append(dst, Candidate{Index: c.j, Score: float64(c.s)})
	}
	return dst, nil
}

// siftDown restores the heap order (worst at the root) below i.
func siftDown(h []vhit, i int) {
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && vworse(h[l], h[m]) {
			m = l
		}
		if r < len(h) && vworse(h[r], h[m]) {
			m = r
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// norm32 returns the Euclidean norm of x in float64.
func norm32(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}
