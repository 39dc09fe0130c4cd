package factor

import (
	"fmt"
	"math"
	"strconv"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/sparse"
	"gonum.org/v1/gonum/mat"
)

// Model is a fitted factor model of one interest matrix: a factor x_u per
// row and y_i per column (k = Factors each), the score of a pair
//
//	s(u, i) = x_uᵀ y_i
//
// and a probability from a logistic calibration of the score (see
// [Model.Calibrate]). A hybrid model also holds one factor per content
// feature, so that a row or column unknown at fit gets a factor from its
// features ([Model.RowFromFeatures]), and any row can be refolded from a
// live history ([Model.FoldInRow]).
//
// Factors are stored as float32; scores are computed in float64 from them.
// A Model is immutable: every method is safe for concurrent use, and the
// slices it returns are views that must not be modified.
type Model struct {
	method     Method
	k          int
	rows, cols int
	x, y       []float32 // rows × k, cols × k
	e, h       []float32 // row features × k, column features × k
	fr, fc     int       // number of row and column features (0: none)
	gx, gy     []float64 // k × k Gram matrices of the active rows' and columns' factors
	alpha      float64
	lambda     float64
	ownRow     float64 // penalty of a row's own factor in fold-in
	ownCol     float64
	calA, calB float64
	report     Report
}

// Report describes how a model was fitted.
type Report struct {
	// Method is the learning method.
	Method Method `json:"method"`
	// Factors is k.
	Factors int `json:"factors"`
	// Iterations is the number of iterations run.
	Iterations int `json:"iterations"`
	// Best is the iteration whose factors the model holds (the one with
	// the best held-out AUC, or the last without a holdout).
	Best int `json:"best"`
	// Validation is the held-out AUC at Best: the share of (held-out cell,
	// sampled non-cell) pairs of a row ranked correctly. 0 when not
	// measured (HeldOut is 0, or no row had a non-cell to sample).
	Validation float64 `json:"validation"`
	// Loss is the training objective at Best (see [Progress]); 0 for ALS
	// fits without Config.Progress, which skip computing it.
	Loss float64 `json:"loss"`
	// Train and HeldOut count the training and held-out cells.
	Train   int `json:"train"`
	HeldOut int `json:"held_out"`
}

func (s *state) newModel() *Model {
	c := s.cfg
	m := &Model{method: c.Method, k: s.k, rows: s.rows.n, cols: s.cols.n, alpha: c.Alpha, lambda: c.Regularization,
		ownRow: s.rows.lambdaOwn, ownCol: s.cols.lambdaOwn}
	m.x = make([]float32, len(s.rows.eff))
	m.y = make([]float32, len(s.cols.eff))
	if s.rows.feat != nil {
		m.fr = s.rows.feat.Cols
		m.e = make([]float32, len(s.rows.ff))
	}
	if s.cols.feat != nil {
		m.fc = s.cols.feat.Cols
		m.h = make([]float32, len(s.cols.ff))
	}
	m.report = Report{Method: c.Method, Factors: s.k, Train: s.nnzTrain, HeldOut: len(s.held)}
	return m
}

// snapshot copies the current factors into m.
func (m *Model) snapshot(s *state) {
	to32(m.x, s.rows.eff)
	to32(m.y, s.cols.eff)
	if m.e != nil {
		to32(m.e, s.rows.ff)
	}
	if m.h != nil {
		to32(m.h, s.cols.ff)
	}
}

func to32(dst []float32, src []float64) {
	for i, v := range src {
		dst[i] = float32(v)
	}
}

// finish computes the Gram matrices of the stored factors and the
// calibration.
func (m *Model) finish(s *state) {
	m.gx = gram32(m.x, s.rows.active, m.k)
	m.gy = gram32(m.y, s.cols.active, m.k)
	m.calibrate(s)
}

// gram32 returns Σ_{u active} x_u x_uᵀ in float64.
func gram32(x []float32, active []bool, k int) []float64 {
	g := make([]float64, k*k)
	row := make([]float64, k)
	for u, ok := range active {
		if !ok {
			continue
		}
		for j := range k {
			row[j] = float64(x[u*k+j])
		}
		for a := range k {
			ra := row[a]
			if ra == 0 {
				continue
			}
			ga := g[a*k : a*k+k]
			for b := a; b < k; b++ {
				ga[b] += ra * row[b]
			}
		}
	}
	for a := range k {
		for b := a + 1; b < k; b++ {
			g[b*k+a] = g[a*k+b]
		}
	}
	return g
}

// calibrate fits P(cell | s) = σ(a·s + b) on the held-out cells against
// their sampled non-cells (without a holdout: on a sample of training
// cells, which is optimistic), then moves b so that the probabilities
// refer to the density of the whole matrix, π = cells / (rows × cols),
// rather than to the sample's share of positives ȳ (prior correction,
// King & Zeng 2001):
//
//	b ← b + logit(π) − logit(ȳ)
func (m *Model) calibrate(s *state) {
	var sc []float64
	var lab []bool
	S := s.cfg.Negatives
	add := func(u, i uint32, label bool) {
		sc = append(sc, m.Score(int(u), int(i)))
		lab = append(lab, label)
	}
	if len(s.held) > 0 {
		// At most maxCalibration held-out cells (every step-th), each with
		// its negatives: two parameters need no more.
		step := (len(s.held) + maxCalibration - 1) / maxCalibration
		for h := 0; h < len(s.held); h += step {
			hc := s.held[h]
			add(hc.row, hc.col, true)
			for _, j := range s.negs[h*S : (h+1)*S] {
				if j != noNegative {
					add(hc.row, j, false)
				}
			}
		}
	} else {
		share := math.Min(1, maxCalibration/float64(s.nnzTrain))
		n := uint32(0)
		for u := range s.rows.n {
			idx, val := s.rows.m.Row(u)
			for p, i := range idx {
				if val[p] < 0 || unit(hash3(s.cfg.Seed, tagCalibration, uint32(u), i)) >= share {
					continue
				}
				add(uint32(u), i, true)
				for range S {
					if j := sampleNegative(s.cfg.Seed, tagCalibration, uint32(u), n, s.cols.n, idx); j != noNegative {
						add(uint32(u), j, false)
					}
					n++
				}
			}
		}
	}
	pi := float64(s.nnzAll) / (float64(m.rows) * float64(m.cols))
	m.calA, m.calB = fitLogistic(sc, lab)
	pos := 0
	for _, l := range lab {
		if l {
			pos++
		}
	}
	if pos > 0 && pos < len(lab) && pi > 0 && pi < 1 {
		ybar := float64(pos) / float64(len(lab))
		m.calB += logit(pi) - logit(ybar)
	}
}

// maxCalibration bounds the positive cells the calibration is fitted on.
const maxCalibration = 20000

func logit(p float64) float64 { return math.Log(p / (1 - p)) }

// fitLogistic fits σ(a·s + b) to labels by Newton's method on the mean
// log-loss, with the scores standardised and a ridge of 1e-6 on the slope
// (which keeps it finite on separable data). Constant scores give a = 0.
func fitLogistic(s []float64, y []bool) (a, b float64) {
	n := float64(len(s))
	if n == 0 {
		return 0, 0
	}
	var mu, pos float64
	for i, v := range s {
		mu += v
		if y[i] {
			pos++
		}
	}
	mu /= n
	var sd float64
	for _, v := range s {
		sd += (v - mu) * (v - mu)
	}
	sd = math.Sqrt(sd / n)
	p0 := (pos + 0.5) / (n + 1)
	b = logit(p0)
	if sd == 0 {
		return 0, b
	}
	const ridge = 1e-6
	loss := func(a, b float64) float64 {
		var l float64
		for i, v := range s {
			z := a*(v-mu)/sd + b
			if y[i] {
				l += softplus(-z)
			} else {
				l += softplus(z)
			}
		}
		return l/n + ridge*a*a/2
	}
	cur := loss(a, b)
	for range 100 {
		var ga, gb, haa, hab, hbb float64
		for i, v := range s {
			z := (v - mu) / sd
			p := sigmoid(a*z + b)
			r := p
			if y[i] {
				r = p - 1
			}
			w := p * (1 - p)
			ga += r * z
			gb += r
			haa += w * z * z
			hab += w * z
			hbb += w
		}
		ga, gb = ga/n+ridge*a, gb/n
		haa, hab, hbb = haa/n+ridge, hab/n, hbb/n
		det := haa*hbb - hab*hab
		if !(det > 0) {
			break
		}
		da := (hbb*ga - hab*gb) / det
		db := (haa*gb - hab*ga) / det
		// Halve the step until the loss does not increase.
		t := 1.0
		for ; t > 1e-8; t /= 2 {
			if l := loss(a-t*da, b-t*db); l <= cur {
				a, b, cur = a-t*da, b-t*db, l
				break
			}
		}
		if t <= 1e-8 || math.Abs(t*da)+math.Abs(t*db) < 1e-12 {
			break
		}
	}
	return a / sd, b - a*mu/sd
}

// Method returns the learning method.
func (m *Model) Method() Method { return m.method }

// Factors returns k, the length of every factor.
func (m *Model) Factors() int { return m.k }

// Rows returns the number of rows the model was fitted on.
func (m *Model) Rows() int { return m.rows }

// Cols returns the number of columns the model was fitted on.
func (m *Model) Cols() int { return m.cols }

// RowFeatures returns the number of row features of a hybrid model (0:
// none).
func (m *Model) RowFeatures() int { return m.fr }

// ColFeatures returns the number of column features (0: none).
func (m *Model) ColFeatures() int { return m.fc }

// Report returns how the model was fitted.
func (m *Model) Report() Report { return m.report }

// Bytes returns the memory the model's factors and Gram matrices occupy.
func (m *Model) Bytes() int {
	return 4*(len(m.x)+len(m.y)+len(m.e)+len(m.h)) + 8*(len(m.gx)+len(m.gy))
}

// Row returns row u's factor x_u: a view of length k that must not be
// modified. Rows without any cell at fit hold the sum of their features'
// factors (zero without features). It panics if u is out of range.
func (m *Model) Row(u int) []float32 {
	if u < 0 || u >= m.rows {
		panic(fmt.Sprintf("factor: Row %d out of range [0, %d)", u, m.rows))
	}
	return m.x[u*m.k : (u+1)*m.k : (u+1)*m.k]
}

// Col returns column i's factor y_i, like Row.
func (m *Model) Col(i int) []float32 {
	if i < 0 || i >= m.cols {
		panic(fmt.Sprintf("factor: Col %d out of range [0, %d)", i, m.cols))
	}
	return m.y[i*m.k : (i+1)*m.k : (i+1)*m.k]
}

// RowFactors returns every row's factor by row (views that must not be
// modified), as recall.VectorsConfig takes them once placed at the rows'
// global indices.
func (m *Model) RowFactors() [][]float32 {
	out := make([][]float32, m.rows)
	for u := range out {
		out[u] = m.Row(u)
	}
	return out
}

// ColFactors returns every column's factor by column, like RowFactors.
func (m *Model) ColFactors() [][]float32 {
	out := make([][]float32, m.cols)
	for i := range out {
		out[i] = m.Col(i)
	}
	return out
}

// Score returns s(u, i) = x_uᵀ y_i. It panics if u or i is out of range
// (a participant unknown at fit: use [Model.RowFromFeatures] or
// [Model.FoldInRow] and [Dot]).
func (m *Model) Score(u, i int) float64 { return Dot(m.Row(u), m.Col(i)) }

// Probability returns Calibrate(Score(u, i)).
func (m *Model) Probability(u, i int) float64 { return m.Calibrate(m.Score(u, i)) }

// Calibrate turns a score into a probability,
//
//	P(u attends to i | s) = σ(a·s + b)
//
// fitted at the end of the fit on held-out cells against uniformly
// sampled non-cells of the same rows, with b moved to the density of the
// whole matrix. It is "calibrated-ish": it estimates the chance that a
// pair with score s is a cell of the matrix, treating held-out cells as
// representative of all cells and every non-cell as a no; it is monotone
// in s, so it never changes a ranking. A NaN score gives NaN.
func (m *Model) Calibrate(s float64) float64 { return sigmoid(m.calA*s + m.calB) }

// Calibration returns the slope a and intercept b of [Model.Calibrate].
func (m *Model) Calibration() (a, b float64) { return m.calA, m.calB }

// Dot returns xᵀy accumulated in float64. It panics if the lengths differ.
func Dot(x, y []float32) float64 {
	if len(x) != len(y) {
		panic("factor: Dot: vector lengths differ")
	}
	var s float64
	for j, v := range x {
		s += float64(v) * float64(y[j])
	}
	return s
}

// RowFromFeatures appends to dst[:0] the factor of a row known only by
// its features f (a new profile: its skills, title words, tags):
//
//	x = Σ_f a_f e_f
//
// and returns it. Features at indices ≥ RowFeatures (unknown at fit)
// contribute nothing; a model without row features gives the zero vector.
// It returns a *DataError naming the entry for a non-finite value or an
// invalid vector.
func (m *Model) RowFromFeatures(f sparse.Vector, dst []float32) ([]float32, error) {
	x := make([]float64, m.k)
	if err := addFeatures(x, f, m.e, m.fr, m.k, "features"); err != nil {
		return dst, err
	}
	return appendVector(dst[:0], x), nil
}

// ColFromFeatures is RowFromFeatures for a column.
func (m *Model) ColFromFeatures(f sparse.Vector, dst []float32) ([]float32, error) {
	y := make([]float64, m.k)
	if err := addFeatures(y, f, m.h, m.fc, m.k, "features"); err != nil {
		return dst, err
	}
	return appendVector(dst[:0], y), nil
}

func appendVector(dst []float32, x []float64) []float32 {
	for _, v := range x {
		dst = append(dst, float32(v))
	}
	return dst
}

// checkVector validates a sparse vector given to a model.
func checkVector(v sparse.Vector, name string, limit int, positive bool) error {
	if len(v.Idx) != len(v.Val) {
		return &DataError{Matrix: name, Row: -1, Col: -1, Field: "Val", Value: fmt.Sprintf("%d values for %d indices", len(v.Val), len(v.Idx)), Err: market.ErrOutOfRange}
	}
	for p, j := range v.Idx {
		x := v.Val[p]
		switch {
		case p > 0 && j <= v.Idx[p-1]:
			return &DataError{Matrix: name, Row: -1, Col: int(j), Field: "Idx", Value: strconv.Itoa(int(j)), Err: ErrUnsorted}
		case limit >= 0 && int64(j) >= int64(limit):
			return &DataError{Matrix: name, Row: -1, Col: int(j), Field: "Idx", Value: fmt.Sprintf("%d for %d columns", j, limit), Err: market.ErrOutOfRange}
		case math.IsNaN(x) || math.IsInf(x, 0):
			return &DataError{Matrix: name, Row: -1, Col: int(j), Field: "Val", Value: fmt.Sprint(x), Err: market.ErrNaN}
		case positive && x <= 0:
			return &DataError{Matrix: name, Row: -1, Col: int(j), Field: "Val", Value: fmt.Sprint(x), Err: ErrNotPositive}
		}
	}
	return nil
}

// addFeatures adds Σ_f a_f e_f to x for the features below n.
func addFeatures(x []float64, f sparse.Vector, e []float32, n, k int, name string) error {
	if err := checkVector(f, name, -1, false); err != nil {
		return err
	}
	for p, j := range f.Idx {
		if int64(j) >= int64(n) {
			continue
		}
		a := f.Val[p]
		for d, v := range e[int(j)*k : int(j)*k+k] {
			x[d] += a * float64(v)
		}
	}
	return nil
}

// FoldInRow appends to dst[:0] the factor of a row with the given history
// (column → interest weight r > 0, as in the fitted matrix) and features,
// computed against the fitted column factors: with m = Σ_f a_f e_f, the
// own factor w solves the row's ALS normal equations exactly,
//
//	(YᵀY + Yᵀ(Cᵘ − I)Y + λ_w I) w = Yᵀ Cᵘ p(u) − (YᵀY + Yᵀ(Cᵘ − I)Y) m
//
// and x = w + m (λ_w is OwnRegularization on a hybrid side, else
// Regularization). It gives a participant whose events came after the fit
// (or who is new) a current factor in O(k³ + |history|·k²). For a BPR model
// this is the least-squares factor that best explains the history given
// BPR's column factors. An empty history gives the features' factor alone.
// It returns a *DataError naming the entry for a column out of range, a
// weight that is not positive and finite, or an unsorted vector.
func (m *Model) FoldInRow(history, features sparse.Vector, dst []float32) ([]float32, error) {
	return foldIn(m.k, m.gy, m.y, m.cols, m.e, m.fr, m.alpha, m.ownRow, history, features, dst)
}

// FoldInCol is FoldInRow for a column, against the fitted row factors.
func (m *Model) FoldInCol(history, features sparse.Vector, dst []float32) ([]float32, error) {
	return foldIn(m.k, m.gx, m.x, m.rows, m.h, m.fc, m.alpha, m.ownCol, history, features, dst)
}

func foldIn(k int, g []float64, ys []float32, n int, e []float32, nf int, alpha, lambda float64, history, features sparse.Vector, dst []float32) ([]float32, error) {
	if err := checkVector(history, "history", n, true); err != nil {
		return dst, err
	}
	mv := make([]float64, k)
	if err := addFeatures(mv, features, e, nf, k, "features"); err != nil {
		return dst, err
	}
	if len(history.Idx) == 0 {
		return appendVector(dst[:0], mv), nil
	}
	// M = G + Σ α r y yᵀ; b = Σ (1 + α r) y − M m.
	M := mat.NewSymDense(k, nil)
	for a := range k {
		for c := a; c < k; c++ {
			M.SetSym(a, c, g[a*k+c])
		}
	}
	b := make([]float64, k)
	y := make([]float64, k)
	for p, i := range history.Idx {
		for d, v := range ys[int(i)*k : int(i)*k+k] {
			y[d] = float64(v)
		}
		r := history.Val[p]
		for d := range k {
			b[d] += (1 + alpha*r) * y[d]
		}
		for a := range k {
			if y[a] == 0 {
				continue
			}
			for c := a; c < k; c++ {
				M.SetSym(a, c, M.At(a, c)+alpha*r*y[a]*y[c])
			}
		}
	}
	for a := range k {
		var s float64
		for c := range k {
			s += M.At(a, c) * mv[c]
		}
		b[a] -= s
		M.SetSym(a, a, M.At(a, a)+lambda)
	}
	var chol mat.Cholesky
	if !chol.Factorize(M) {
		return dst, fmt.Errorf("factor: fold-in: normal equations not positive definite (Regularization is 0 and the history is degenerate)")
	}
	w := mat.NewVecDense(k, nil)
	if err := chol.SolveVecTo(w, mat.NewVecDense(k, b)); err != nil {
		return dst, fmt.Errorf("factor: fold-in: %w", err)
	}
	for d := range k {
		mv[d] += w.AtVec(d)
	}
	return appendVector(dst[:0], mv), nil
}
