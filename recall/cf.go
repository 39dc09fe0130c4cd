package recall

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
)

// CFConfig configures a collaborative recaller ([ItemCF], [UserCF],
// [Swing]). Caps bound the cost of Fit on heavy rows and columns; when no
// row or column exceeds them the similarities are exact.
type CFConfig struct {
	// Neighbours is the number of neighbours kept per participant by Fit.
	// Zero: 50.
	Neighbours int `json:"neighbours"`
	// MaxItemsPerActor caps the row of each actor that Fit reads: the
	// heaviest entries (ties by index) are kept. Zero: 200.
	MaxItemsPerActor int `json:"max_items_per_actor"`
	// MaxActorsPerItem caps the column of each target that Fit reads, the
	// same way. Zero: 200.
	MaxActorsPerItem int `json:"max_actors_per_item"`
	// Workers is the number of goroutines Fit uses. Zero: GOMAXPROCS.
	Workers int `json:"workers"`
}

func (c *CFConfig) resolve(name string) error {
	for _, f := range [...]struct {
		field string
		p     *int
		def   int
	}{{"Neighbours", &c.Neighbours, 50}, {"MaxItemsPerActor", &c.MaxItemsPerActor, 200}, {"MaxActorsPerItem", &c.MaxActorsPerItem, 200}, {"Workers", &c.Workers, runtime.GOMAXPROCS(0)}} {
		if *f.p < 0 {
			return fmt.Errorf("%w: %s.%s %d is negative", ErrConfig, name, f.field, *f.p)
		}
		if *f.p == 0 {
			*f.p = f.def
		}
	}
	return nil
}

// Neighbour is one precomputed neighbour and its similarity.
type Neighbour struct {
	Index      uint32  `json:"index"`
	Similarity float64 `json:"similarity"`
}

// table is an immutable neighbour table in CSR form, sorted per row by
// similarity descending, ties by index.
type table struct {
	ptr []int
	nb  []uint32
	sim []float32
}

func (t *table) of(i uint32) ([]uint32, []float32) {
	if int(i)+1 >= len(t.ptr) {
		return nil, nil
	}
	a, b := t.ptr[i], t.ptr[i+1]
	return t.nb[a:b], t.sim[a:b]
}

func (t *table) neighbours(i uint32) []Neighbour {
	nb, sim := t.of(i)
	out := make([]Neighbour, len(nb))
	for k := range nb {
		out[k] = Neighbour{nb[k], float64(sim[k])}
	}
	return out
}

func (t *table) size() int { return len(t.nb) }

// csr is a compressed sparse set of rows.
type csr struct {
	ptr []int
	idx []uint32
	val []float64
}

func (c *csr) at(i int) ([]uint32, []float64) {
	a, b := c.ptr[i], c.ptr[i+1]
	return c.idx[a:b], c.val[a:b]
}

// capRows keeps in each row the limit heaviest entries (ties by smaller
// index), still sorted by index. Rows within the limit are shared, not
// copied.
func capRows(ptr []int, idx []uint32, val []float64, limit int) csr {
	n := len(ptr) - 1
	out := csr{ptr: make([]int, n+1)}
	heavy := false
	for i := range n {
		l := min(ptr[i+1]-ptr[i], limit)
		out.ptr[i+1] = out.ptr[i] + l
		heavy = heavy || l < ptr[i+1]-ptr[i]
	}
	if !heavy {
		return csr{ptr: ptr, idx: idx, val: val}
	}
	out.idx = make([]uint32, out.ptr[n])
	out.val = make([]float64, out.ptr[n])
	var s []entry
	for i := range n {
		a, b := ptr[i], ptr[i+1]
		o := out.ptr[i]
		if b-a <= limit {
			copy(out.idx[o:], idx[a:b])
			copy(out.val[o:], val[a:b])
			continue
		}
		s = s[:0]
		for p := a; p < b; p++ {
			s = append(s, entry{idx[p], val[p]})
		}
		slices.SortFunc(s, func(x, y entry) int {
			if c := cmp.Compare(y.w, x.w); c != 0 {
				return c
			}
			return cmp.Compare(x.ix, y.ix)
		})
		s = s[:limit]
		slices.SortFunc(s, func(x, y entry) int { return cmp.Compare(x.ix, y.ix) })
		for k, e := range s {
			out.idx[o+k], out.val[o+k] = e.ix, e.w
		}
	}
	return out
}

// fitScratch is one Fit worker's dense accumulator.
type fitScratch struct {
	acc     []float64
	touched []uint32
	top     topK
	inter   []uint32
}

func (s *fitScratch) add(j uint32, x float64) {
	if s.acc[j] == 0 {
		s.touched = append(s.touched, j)
	}
	s.acc[j] += x
}

// buildTable runs score(i, scratch) for every i in [0, n) on workers
// goroutines; score fills scratch.acc/touched with raw scores and norm
// turns a raw score into the similarity (NaN or ≤ 0: dropped). The best k
// per row are kept.
func buildTable(ctx context.Context, n, k, workers int, score func(i uint32, s *fitScratch), norm func(i, j uint32, raw float64) float64) (*table, error) {
	rows := make([][]Candidate, n)
	err := forEach(ctx, workers, n, func(i int, sp **fitScratch) {
		if *sp == nil {
			*sp = &fitScratch{acc: make([]float64, n)}
		}
		s := *sp
		s.touched = s.touched[:0]
		score(uint32(i), s)
		if len(s.touched) == 0 {
			return
		}
		s.top.reset(k)
		for _, j := range s.touched {
			if sim := norm(uint32(i), j, s.acc[j]); sim > 0 && !math.IsInf(sim, 0) {
				s.top.push(Candidate{Index: j, Score: sim})
			}
			s.acc[j] = 0
		}
		rows[i] = s.top.appendSorted(nil)
	})
	if err != nil {
		return nil, err
	}
	t := &table{ptr: make([]int, n+1)}
	for i, r := range rows {
		t.ptr[i+1] = t.ptr[i] + len(r)
	}
	t.nb = make([]uint32, t.ptr[n])
	t.sim = make([]float32, t.ptr[n])
	for i, r := range rows {
		for k, c := range r {
			t.nb[t.ptr[i]+k], t.sim[t.ptr[i]+k] = c.Index, float32(c.Score)
		}
	}
	return t, nil
}

// recallScratch is one request's dense accumulator, pooled.
type recallScratch struct {
	acc     []float64
	touched []uint32
	hist    []Entry
	hist2   []Entry
	top     topK
}

type scratchPool struct{ p sync.Pool }

func (sp *scratchPool) get(n int) *recallScratch {
	s, _ := sp.p.Get().(*recallScratch)
	if s == nil {
		s = &recallScratch{}
	}
	if len(s.acc) < n {
		s.acc = make([]float64, n)
	}
	s.touched = s.touched[:0]
	return s
}

func (sp *scratchPool) put(s *recallScratch) { sp.p.Put(s) }

func (s *recallScratch) add(j uint32, x float64) {
	if int(j) >= len(s.acc) {
		s.acc = slices.Grow(s.acc, int(j)+1-len(s.acc))[:int(j)+1]
	}
	if s.acc[j] == 0 {
		s.touched = append(s.touched, j)
	}
	s.acc[j] += x
}

// collect pushes every touched index in req.Allowed (not the requester)
// into the top-K, clears the accumulator, and appends the result to dst.
func (s *recallScratch) collect(req Request, dst []Candidate) []Candidate {
	s.top.reset(req.K)
	for _, j := range s.touched {
		if v := s.acc[j]; v > 0 && j != req.Requester && req.Allowed.Contains(j) {
			s.top.push(Candidate{Index: j, Score: v})
		}
		s.acc[j] = 0
	}
	s.touched = s.touched[:0]
	return s.top.appendSorted(dst)
}

// ItemCF is item-based collaborative recall (U2I2I): the requester's
// history is expanded through precomputed target-to-target neighbours.
//
// Fit computes, for every pair of targets i, j attended to by common
// actors, the cosine similarity with inverse-user-frequency correction:
//
//	sim(i, j) = Σ_{u ∈ U(i) ∩ U(j)} R[u][i]·R[u][j] / ln(1 + |I(u)|)
//	            ─────────────────────────────────────────────────────
//	                          ‖R[·][i]‖ · ‖R[·][j]‖
//
// where U(i) is who attended to i, I(u) what u attended to, and the norms
// are column norms. Heavy actors count less (the ln term), so that one
// user who clicks everything does not make everything similar. The
// Neighbours best j are kept per i.
//
// Recall scores a candidate j for requester u as
//
//	score(j) = Σ_{i ∈ I(u)} R[u][i] · sim(i, j)
//
// # Incremental
//
// u's history I(u), R[u][·] is read live from the [Interest] (matrix plus
// overlay), so a recorded event changes u's next recall at once. The
// neighbour lists, the norms and the IUF weights change only at Fit; a
// target first attended to after the last Fit has no neighbours yet.
type ItemCF struct {
	name  string
	x     *Interest
	cfg   CFConfig
	tab   atomic.Pointer[table]
	pool  scratchPool
	score func(ctx context.Context, m *matrix, cfg CFConfig) (*table, error)
}

// NewItemCF returns an item-CF recaller over x. It has no neighbours until
// Fit. It returns an error wrapping [ErrConfig] naming the field of an
// invalid cfg, or for a nil x.
func NewItemCF(x *Interest, cfg CFConfig) (*ItemCF, error) {
	if x == nil {
		return nil, fmt.Errorf("%w: NewItemCF: the *Interest is nil", ErrConfig)
	}
	if err := cfg.resolve("CFConfig"); err != nil {
		return nil, err
	}
	r := &ItemCF{name: "itemcf", x: x, cfg: cfg, score: fitItemCF}
	r.tab.Store(&table{})
	return r, nil
}

// Fit recomputes the neighbour lists from x's current matrix (call
// Interest.Fit first) on cfg.Workers goroutines. On error (ctx done) the
// previous lists stay.
func (r *ItemCF) Fit(ctx context.Context) error {
	t, err := r.score(ctx, r.x.base.Load(), r.cfg)
	if err != nil {
		return err
	}
	r.tab.Store(t)
	return nil
}

// String returns "itemcf" or "swing".
func (r *ItemCF) String() string { return r.name }

// Neighbours returns the fitted neighbours of target i, most similar first.
func (r *ItemCF) Neighbours(i uint32) []Neighbour { return r.tab.Load().neighbours(i) }

// Size returns the number of stored neighbour pairs.
func (r *ItemCF) Size() int { return r.tab.Load().size() }

// Recall implements Recaller.
func (r *ItemCF) Recall(ctx context.Context, req Request, dst []Candidate) ([]Candidate, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	if req.K <= 0 {
		return dst, nil
	}
	t := r.tab.Load()
	s := r.pool.get(len(t.ptr))
	defer r.pool.put(s)
	s.hist = r.x.history(req.Requester, s.hist[:0])
	for _, h := range s.hist {
		nb, sim := t.of(h.Index)
		for k, j := range nb {
			s.add(j, h.Weight*float64(sim[k]))
		}
	}
	return s.collect(req, dst), nil
}

func fitItemCF(ctx context.Context, m *matrix, cfg CFConfig) (*table, error) {
	rows := capRows(m.rowPtr, m.rowIdx, m.rowVal, cfg.MaxItemsPerActor)
	cols := capRows(m.colPtr, m.colIdx, m.colVal, cfg.MaxActorsPerItem)
	iuf := make([]float64, m.n)
	for u := range m.n {
		if d := m.rowPtr[u+1] - m.rowPtr[u]; d > 0 {
			iuf[u] = 1 / math.Log(1+float64(d))
		}
	}
	norm := columnNorms(m.colPtr, m.colVal)
	return buildTable(ctx, m.n, cfg.Neighbours, cfg.Workers, func(i uint32, s *fitScratch) {
		us, ws := cols.at(int(i))
		for a, u := range us {
			f := ws[a] * iuf[u]
			js, wj := rows.at(int(u))
			for b, j := range js {
				if j != i {
					s.add(j, f*wj[b])
				}
			}
		}
	}, func(i, j uint32, raw float64) float64 { return raw / (norm[i] * norm[j]) })
}

func columnNorms(ptr []int, val []float64) []float64 {
	n := len(ptr) - 1
	out := make([]float64, n)
	for i := range n {
		var s float64
		for _, v := range val[ptr[i]:ptr[i+1]] {
			s += v * v
		}
		out[i] = math.Sqrt(s)
	}
	return out
}

// UserCF is user-based collaborative recall (U2U2I): targets attended to
// by the requester's most similar actors.
//
// Fit computes, for every pair of actors u, v with common targets, the
// cosine similarity with inverse-item-frequency correction:
//
//	sim(u, v) = Σ_{i ∈ I(u) ∩ I(v)} R[u][i]·R[v][i] / ln(1 + |U(i)|)
//	            ─────────────────────────────────────────────────────
//	                          ‖R[u][·]‖ · ‖R[v][·]‖
//
// and keeps the Neighbours best v per u. Recall scores a candidate i as
//
//	score(i) = Σ_{v ∈ N(u)} sim(u, v) · R[v][i]
//
// # Incremental
//
// Neighbours' rows R[v][·] are read live (matrix plus overlay), so their
// new events count at once. When the requester has events recorded since
// the last Fit, its neighbours are recomputed on the fly from its live row
// against the fitted columns (the same formula, norms and caps), so a
// requester's own new event, even its first one, changes its next recall.
// The fitted columns, norms and IIF weights change only at Fit.
type UserCF struct {
	x    *Interest
	cfg  CFConfig
	fit  atomic.Pointer[userFit]
	pool scratchPool
}

type userFit struct {
	tab  *table
	m    *matrix
	cols csr
	iif  []float64
	norm []float64 // row norms
}

// NewUserCF returns a user-CF recaller over x. It has no neighbours until
// Fit. It returns an error wrapping [ErrConfig] naming the field of an
// invalid cfg, or for a nil x.
func NewUserCF(x *Interest, cfg CFConfig) (*UserCF, error) {
	if x == nil {
		return nil, fmt.Errorf("%w: NewUserCF: the *Interest is nil", ErrConfig)
	}
	if err := cfg.resolve("CFConfig"); err != nil {
		return nil, err
	}
	r := &UserCF{x: x, cfg: cfg}
	r.fit.Store(&userFit{tab: &table{}, m: x.base.Load(), cols: csr{ptr: []int{0}}})
	return r, nil
}

// Fit recomputes the neighbour lists from x's current matrix (call
// Interest.Fit first) on cfg.Workers goroutines. On error (ctx done) the
// previous lists stay.
func (r *UserCF) Fit(ctx context.Context) error {
	m := r.x.base.Load()
	rows := capRows(m.rowPtr, m.rowIdx, m.rowVal, r.cfg.MaxItemsPerActor)
	f := r.derive(m)
	t, err := buildTable(ctx, m.n, r.cfg.Neighbours, r.cfg.Workers, func(u uint32, s *fitScratch) {
		is, wi := rows.at(int(u))
		for a, i := range is {
			g := wi[a] * f.iif[i]
			vs, wv := f.cols.at(int(i))
			for b, v := range vs {
				if v != u {
					s.add(v, g*wv[b])
				}
			}
		}
	}, func(u, v uint32, raw float64) float64 { return raw / (f.norm[u] * f.norm[v]) })
	if err != nil {
		return err
	}
	f.tab = t
	r.fit.Store(f)
	return nil
}

// derive computes what a fit of m holds beside its neighbour table.
func (r *UserCF) derive(m *matrix) *userFit {
	f := &userFit{m: m, cols: capRows(m.colPtr, m.colIdx, m.colVal, r.cfg.MaxActorsPerItem), iif: make([]float64, m.n), norm: columnNorms(m.rowPtr, m.rowVal)}
	for i := range m.n {
		if d := m.colPtr[i+1] - m.colPtr[i]; d > 0 {
			f.iif[i] = 1 / math.Log(1+float64(d))
		}
	}
	return f
}

// Neighbours returns the fitted neighbours of actor u, most similar first.
func (r *UserCF) Neighbours(u uint32) []Neighbour { return r.fit.Load().tab.neighbours(u) }

// Size returns the number of stored neighbour pairs.
func (r *UserCF) Size() int { return r.fit.Load().tab.size() }

// Recall implements Recaller.
func (r *UserCF) Recall(ctx context.Context, req Request, dst []Candidate) ([]Candidate, error) {
	if err := ctx.Err(); err != nil {
		return dst, err
	}
	if req.K <= 0 {
		return dst, nil
	}
	f := r.fit.Load()
	s := r.pool.get(f.m.n)
	defer r.pool.put(s)
	nb, sim := f.tab.of(req.Requester)
	var live []Candidate
	if r.x.overlaid(req.Requester) {
		live = r.liveNeighbours(f, req.Requester, s)
		nb, sim = nil, nil
	}
	for k := range max(len(nb), len(live)) {
		var v uint32
		var w float64
		if live != nil {
			v, w = live[k].Index, live[k].Score
		} else {
			v, w = nb[k], float64(sim[k])
		}
		s.hist2 = r.x.history(v, s.hist2[:0])
		for _, h := range s.hist2 {
			s.add(h.Index, w*h.Weight)
		}
	}
	return s.collect(req, dst), nil
}

// liveNeighbours computes u's neighbours from its live row against the
// fitted columns.
func (r *UserCF) liveNeighbours(f *userFit, u uint32, s *recallScratch) []Candidate {
	s.hist = r.x.history(u, s.hist[:0])
	var nu float64
	for _, h := range s.hist {
		nu += h.Weight * h.Weight
	}
	nu = math.Sqrt(nu)
	if len(s.hist) > r.cfg.MaxItemsPerActor {
		slices.SortFunc(s.hist, func(a, b Entry) int {
			if c := cmp.Compare(b.Weight, a.Weight); c != 0 {
				return c
			}
			return cmp.Compare(a.Index, b.Index)
		})
		s.hist = s.hist[:r.cfg.MaxItemsPerActor]
	}
	for _, h := range s.hist {
		if int(h.Index) >= len(f.iif) {
			continue
		}
		g := h.Weight * f.iif[h.Index]
		vs, wv := f.cols.at(int(h.Index))
		for b, v := range vs {
			if v != u {
				s.add(v, g*wv[b])
			}
		}
	}
	s.top.reset(r.cfg.Neighbours)
	for _, v := range s.touched {
		if raw := s.acc[v]; raw > 0 && nu > 0 && f.norm[v] > 0 {
			s.top.push(Candidate{Index: v, Score: raw / (nu * f.norm[v])})
		}
		s.acc[v] = 0
	}
	s.touched = s.touched[:0]
	return s.top.appendSorted(nil)
}

// SwingConfig configures [Swing].
type SwingConfig struct {
	CFConfig
	// Alpha smooths the overlap of two actors' histories in the Swing
	// denominator. Zero: 1.
	Alpha float64 `json:"alpha"`
	// Beta is the exponent of the actor weight w(u) = |I(u)|^(−Beta), which
	// discounts heavy actors. Zero: no actor weight (the original formula).
	Beta float64 `json:"beta"`
}

// NewSwing returns a Swing recaller over x. It has no neighbours until Fit.
// It returns an error wrapping [ErrConfig] naming the field of an invalid
// cfg, or for a nil x.
//
// Swing (Yang et al., "Large Scale Product Graph Construction for
// Recommendation in E-commerce", 2020) counts two targets as similar when
// many pairs of actors attended to both, and trusts a pair the less the
// more the two actors' histories overlap elsewhere:
//
//	sim(i, j) = Σ_{{u, v} ⊆ U(i) ∩ U(j), u < v}  w(u)·w(v) / (Alpha + |I(u) ∩ I(v)|)
//
// with w(u) = |I(u)|^(−Beta). Interest weights are ignored (a cell counts
// if it is positive). Recall and the incremental path are those of
// [ItemCF]: the requester's live history through the fitted lists.
func NewSwing(x *Interest, cfg SwingConfig) (*ItemCF, error) {
	if x == nil {
		return nil, fmt.Errorf("%w: NewSwing: the *Interest is nil", ErrConfig)
	}
	if err := cfg.resolve("SwingConfig"); err != nil {
		return nil, err
	}
	switch {
	case cfg.Alpha < 0 || math.IsNaN(cfg.Alpha) || math.IsInf(cfg.Alpha, 0):
		return nil, fmt.Errorf("%w: SwingConfig.Alpha %v must be finite and not negative", ErrConfig, cfg.Alpha)
	case cfg.Beta < 0 || math.IsNaN(cfg.Beta) || math.IsInf(cfg.Beta, 0):
		return nil, fmt.Errorf("%w: SwingConfig.Beta %v must be finite and not negative", ErrConfig, cfg.Beta)
	}
	if cfg.Alpha == 0 {
		cfg.Alpha = 1
	}
	alpha, beta := cfg.Alpha, cfg.Beta
	r := &ItemCF{name: "swing", x: x, cfg: cfg.CFConfig, score: func(ctx context.Context, m *matrix, cfg CFConfig) (*table, error) {
		return fitSwing(ctx, m, cfg, alpha, beta)
	}}
	r.tab.Store(&table{})
	return r, nil
}

func fitSwing(ctx context.Context, m *matrix, cfg CFConfig, alpha, beta float64) (*table, error) {
	rows := capRows(m.rowPtr, m.rowIdx, m.rowVal, cfg.MaxItemsPerActor)
	cols := capRows(m.colPtr, m.colIdx, m.colVal, cfg.MaxActorsPerItem)
	w := make([]float64, m.n)
	for u := range m.n {
		if d := m.rowPtr[u+1] - m.rowPtr[u]; d > 0 {
			w[u] = math.Pow(float64(d), -beta)
		}
	}
	return buildTable(ctx, m.n, cfg.Neighbours, cfg.Workers, func(i uint32, s *fitScratch) {
		us, _ := cols.at(int(i))
		for a := range us {
			ra, _ := rows.at(int(us[a]))
			for b := a + 1; b < len(us); b++ {
				rb, _ := rows.at(int(us[b]))
				s.inter = intersect(s.inter[:0], ra, rb)
				f := w[us[a]] * w[us[b]] / (alpha + float64(len(s.inter)))
				for _, j := range s.inter {
					if j != i {
						s.add(j, f)
					}
				}
			}
		}
	}, func(_, _ uint32, raw float64) float64 { return raw })
}

// intersect appends the common elements of two sorted lists to dst.
func intersect(dst, a, b []uint32) []uint32 {
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			dst = append(dst, a[i])
			i++
			j++
		}
	}
	return dst
}
