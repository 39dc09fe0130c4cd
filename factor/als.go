package factor

import (
	"context"
	"errors"
	"math"
	"sync/atomic"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
	"gonum.org/v1/gonum/floats"
)

// gemv sets out = G v for the k × k matrix G, with gonum's BLAS
// (assembly kernels on amd64).
func gemv(k int, g, v, out []float64) {
	gonum.Implementation{}.Dgemv(blas.NoTrans, k, k, 1, g, k, v, 1, 0, out, 1)
}

// alsSweep solves the rows with the columns fixed, then the columns with
// the rows fixed.
func (s *state) alsSweep(ctx context.Context) error {
	if err := s.solve(ctx, &s.rows, &s.cols); err != nil {
		return err
	}
	return s.solve(ctx, &s.cols, &s.rows)
}

// gram returns G = Σ_{i active} y_i y_iᵀ (k × k, both triangles) of o's
// effective factors, summed in fixed chunks.
func (s *state) gram(ctx context.Context, o *side) ([]float64, error) {
	k := s.k
	const chunk = 1024
	parts := make([][]float64, (o.n+chunk-1)/chunk)
	err := forChunks(ctx, s.cfg.Workers, o.n, chunk, func(lo, hi, _ int) {
		g := make([]float64, k*k)
		for i := lo; i < hi; i++ {
			if !o.active[i] {
				continue
			}
			y := o.eff[i*k : i*k+k]
			for a, ya := range y {
				if ya != 0 {
					floats.AddScaled(g[a*k+a:a*k+k], ya, y[a:])
				}
			}
		}
		parts[lo/chunk] = g
	})
	if err != nil {
		return nil, err
	}
	g := make([]float64, k*k)
	for _, p := range parts {
		floats.Add(g, p)
	}
	for a := range k {
		for b := a + 1; b < k; b++ {
			g[b*k+a] = g[a*k+b]
		}
	}
	return g, nil
}

// applyM sets out = (G + λI) v + Σ_i α·|r_i| (y_iᵀ v) y_i over the cells
// (idx, val) of one row: the matrix of the row's normal equations,
//
//	M_u = YᵀY + Yᵀ(Cᵘ − I)Y + λI,   Cᵘ − I = diag(α·|r_ui|),
//
// applied to v without forming it. A cell r_ui < 0 is a negative (see
// Data.Negatives): preference 0 with confidence 1 + α·|r_ui|.
func applyM(k int, g, ys []float64, idx []uint32, val []float64, alpha float64, v, out []float64, lambda float64) {
	gemv(k, g, v, out)
	for p, i := range idx {
		y := ys[int(i)*k : int(i)*k+k]
		floats.AddScaled(out, alpha*math.Abs(val[p])*floats.Dot(y, v), y)
	}
	if lambda != 0 {
		floats.AddScaled(out, lambda, v)
	}
}

// rhs sets b = Σ_i c_ui p_ui y_i = Yᵀ Cᵘ p(u) for one row: negative
// cells (p_ui = 0) add nothing.
func rhs(k int, ys []float64, idx []uint32, val []float64, alpha float64, b []float64) {
	clear(b)
	for p, i := range idx {
		if val[p] > 0 {
			floats.AddScaled(b, 1+alpha*val[p], ys[int(i)*k:int(i)*k+k])
		}
	}
}

// solve updates sd's factors with o's fixed: one ALS half-sweep.
//
// Without features, row u's factor x_u minimises
//
//	Σ_i c_ui (p_ui − x_uᵀ y_i)² + λ ‖x_u‖²
//
// whose normal equations are (M_u + λI) x_u = Yᵀ Cᵘ p(u), with M_u as in
// applyM (λ = 0); CGSteps conjugate-gradient steps from the previous x_u
// approach the solution, row by row. Inactive rows (no training cell) are
// outside the loss; their factor is zero.
//
// With features the side is solved jointly, see solveJoint.
func (s *state) solve(ctx context.Context, sd, o *side) error {
	k, alpha, steps := s.k, s.cfg.Alpha, s.cfg.CGSteps
	g, err := s.gram(ctx, o)
	if err != nil {
		return err
	}
	if sd.feat != nil {
		if err := s.solveJoint(ctx, sd, o, g); err != nil {
			return err
		}
		sd.refresh(k)
		return nil
	}
	lambda := sd.lambdaOwn
	var bad atomic.Bool
	err = forChunks(ctx, s.cfg.Workers, sd.n, 64, func(lo, hi, w int) {
		sc := s.scratch[w]
		b, r, p, ap := sc[:k], sc[2*k:3*k], sc[3*k:4*k], sc[4*k:5*k]
		for u := lo; u < hi; u++ {
			x := sd.own[u*k : u*k+k]
			if !sd.active[u] {
				clear(x)
				continue
			}
			idx, val := sd.m.Row(u)
			rhs(k, o.eff, idx, val, alpha, b)
			if !cg(func(v, out []float64) { applyM(k, g, o.eff, idx, val, alpha, v, out, lambda) }, b, x, r, p, ap, steps) {
				bad.Store(true)
			}
		}
	})
	if err == nil && bad.Load() {
		err = errNonFinite
	}
	return err
}

// errNonFinite is returned by a solve that met an infinite or NaN value;
// run reports it as ErrDiverged.
var errNonFinite = errors.New("factor: non-finite value in a solve")

// cg runs at most steps conjugate-gradient steps on A x = b from x, with
// apply(v, out) setting out = A v (A symmetric positive definite). r, p
// and ap are scratch vectors of x's length. It returns false, leaving x
// as it was at that step, when it meets a value that is not finite.
func cg(apply func(v, out []float64), b, x, r, p, ap []float64, steps int) bool {
	apply(x, ap)
	for d := range r {
		r[d] = b[d] - ap[d]
	}
	copy(p, r)
	rs := floats.Dot(r, r)
	for range steps {
		if math.IsNaN(rs) || math.IsInf(rs, 0) {
			return false
		}
		if rs < 1e-30 {
			return true
		}
		apply(p, ap)
		pap := floats.Dot(p, ap)
		if math.IsNaN(pap) || math.IsInf(pap, 0) {
			return false
		}
		if !(pap > 0) {
			return true
		}
		a := rs / pap
		floats.AddScaled(x, a, p)
		floats.AddScaled(r, -a, ap)
		rsn := floats.Dot(r, r)
		beta := rsn / rs
		for d := range p {
			p[d] = r[d] + beta*p[d]
		}
		rs = rsn
	}
	return !math.IsNaN(rs) && !math.IsInf(rs, 0)
}

// solveJoint updates the own factors W and the feature factors E of a
// hybrid side together, with the other side fixed. With x_u = w_u + A_u E
// (A_u: row u's features) they minimise
//
//	Σ_{u active} [ Σ_i c_ui (p_ui − x_uᵀ y_i)² + λ_w ‖w_u‖² ] + λ ‖E‖²_F
//
// a quadratic whose normal equations couple every row that shares a
// feature:
//
//	(M_u + λ_w I) w_u + M_u A_u E                     = Yᵀ Cᵘ p(u)        for each u
//	Σ_u A_uᵀ M_u w_u + (Σ_u A_uᵀ M_u A_u + λ I) E     = Σ_u A_uᵀ Yᵀ Cᵘ p(u)
//
// CGSteps conjugate-gradient steps on the whole system (W and E as one
// vector), warm-started from the current factors, approach the solution.
// One step applies every active row's M_u once, the cost of a step of the
// plain row solve; solving the blocks in turn instead would leave the
// shared part to the own factors and converge far more slowly.
func (s *state) solveJoint(ctx context.Context, sd, o *side, g []float64) error {
	k, alpha, lambda, W := s.k, s.cfg.Alpha, s.cfg.Regularization, s.cfg.Workers
	lw := sd.lambdaOwn
	F := sd.feat.Cols
	n := sd.n
	E, RE, PE, APE := sd.ff, sd.res, sd.p, sd.ap
	RW, PW, APW := sd.rw, sd.pw, sd.apw
	// rows runs f on every active row with scratch space.
	rows := func(f func(u int, idx []uint32, val []float64, sc []float64)) error {
		return forChunks(ctx, W, n, 64, func(lo, hi, w int) {
			sc := s.scratch[w]
			for u := lo; u < hi; u++ {
				if sd.active[u] {
					idx, val := sd.m.Row(u)
					f(u, idx, val, sc)
				}
			}
		})
	}
	// gather sets out_f = Σ_u A_uf Q_u + c·in_f for every feature.
	gather := func(out, Q []float64, c float64, in []float64) error {
		return forChunks(ctx, W, F, 64, func(lo, hi, _ int) {
			for f := lo; f < hi; f++ {
				o := out[f*k : f*k+k]
				clear(o)
				us, vals := sd.featT.Row(f)
				for q, u := range us {
					floats.AddScaled(o, vals[q], Q[int(u)*k:int(u)*k+k])
				}
				floats.AddScaled(o, c, in[f*k:f*k+k])
			}
		})
	}
	// dot is ⟨a, b⟩ over both blocks, summed in fixed chunks.
	dot := func(aw, bw, ae, be []float64) (float64, error) {
		sw, err := sumChunks(ctx, W, n, 1024, func(lo, hi, _ int) float64 { return floats.Dot(aw[lo*k:hi*k], bw[lo*k:hi*k]) })
		if err != nil {
			return 0, err
		}
		se, err := sumChunks(ctx, W, F, 1024, func(lo, hi, _ int) float64 { return floats.Dot(ae[lo*k:hi*k], be[lo*k:hi*k]) })
		return sw + se, err
	}
	// Residual: RW_u = b_u − M_u x_u − λ_w w_u, RE = Σ_u A_uᵀ (b_u − M_u x_u) − λ E,
	// with b_u − M_u x_u kept in APW as scratch.
	if err := rows(func(u int, idx []uint32, val []float64, sc []float64) {
		x, b := sc[5*k:6*k], sc[6*k:7*k]
		w := sd.own[u*k : u*k+k]
		copy(x, w)
		featureSum(sd.feat, u, E, k, x)
		d := APW[u*k : u*k+k]
		applyM(k, g, o.eff, idx, val, alpha, x, d, 0)
		rhs(k, o.eff, idx, val, alpha, b)
		floats.SubTo(d, b, d)
		r := RW[u*k : u*k+k]
		copy(r, d)
		floats.AddScaled(r, -lw, w)
	}); err != nil {
		return err
	}
	if err := gather(RE, APW, -lambda, E); err != nil {
		return err
	}
	copy(PW, RW)
	copy(PE, RE)
	rs, err := dot(RW, RW, RE, RE)
	if err != nil {
		return err
	}
	for range s.cfg.CGSteps {
		if math.IsNaN(rs) || math.IsInf(rs, 0) {
			return errNonFinite
		}
		if rs < 1e-30 {
			break
		}
		// AP: q_u = M_u (p_u + A_u P_E) into APW; APE = Σ A_uᵀ q_u + λ P_E;
		// then APW_u = q_u + λ_w p_u.
		if err := rows(func(u int, idx []uint32, val []float64, sc []float64) {
			z := sc[5*k : 6*k]
			copy(z, PW[u*k:u*k+k])
			featureSum(sd.feat, u, PE, k, z)
			applyM(k, g, o.eff, idx, val, alpha, z, APW[u*k:u*k+k], 0)
		}); err != nil {
			return err
		}
		if err := gather(APE, APW, lambda, PE); err != nil {
			return err
		}
		floats.AddScaled(APW, lw, PW)
		pap, err := dot(PW, APW, PE, APE)
		if err != nil {
			return err
		}
		if math.IsNaN(pap) || math.IsInf(pap, 0) {
			return errNonFinite
		}
		if !(pap > 0) {
			break
		}
		a := rs / pap
		floats.AddScaled(sd.own, a, PW)
		floats.AddScaled(E, a, PE)
		floats.AddScaled(RW, -a, APW)
		floats.AddScaled(RE, -a, APE)
		rsn, err := dot(RW, RW, RE, RE)
		if err != nil {
			return err
		}
		beta := rsn / rs
		for q := range PW {
			PW[q] = RW[q] + beta*PW[q]
		}
		for q := range PE {
			PE[q] = RE[q] + beta*PE[q]
		}
		rs = rsn
	}
	return nil
}

// alsLoss returns the ALS objective over the active rows and columns,
//
//	Σ_{u,i} c_ui (p_ui − x_uᵀ y_i)² + λ_w (‖W‖² + ‖V‖²) + λ (‖E‖² + ‖H‖²)
//
// computed as Σ_u x_uᵀ (YᵀY) x_u + Σ_cells [α r s² − 2 c s + c] (s = x_uᵀ
// y_i; for a negative cell α·|r|·s²), divided by the number of training
// cells.
func (s *state) alsLoss(ctx context.Context) (float64, error) {
	k, alpha := s.k, s.cfg.Alpha
	g, err := s.gram(ctx, &s.cols)
	if err != nil {
		return 0, err
	}
	X, Y := s.rows.eff, s.cols.eff
	loss, err := sumChunks(ctx, s.cfg.Workers, s.rows.n, 256, func(lo, hi, w int) float64 {
		gx := s.scratch[w][:k]
		var acc float64
		for u := lo; u < hi; u++ {
			if !s.rows.active[u] {
				continue
			}
			x := X[u*k : u*k+k]
			gemv(k, g, x, gx)
			acc += floats.Dot(x, gx)
			idx, val := s.rows.m.Row(u)
			for p, i := range idx {
				sc := floats.Dot(x, Y[int(i)*k:int(i)*k+k])
				if val[p] < 0 { // a negative: c·(0 − s)² less the s² counted above
					acc += -alpha * val[p] * sc * sc
					continue
				}
				c := 1 + alpha*val[p]
				acc += alpha*val[p]*sc*sc - 2*c*sc + c
			}
		}
		return acc
	})
	if err != nil {
		return 0, err
	}
	for _, sd := range []*side{&s.rows, &s.cols} {
		for u := range sd.n {
			if sd.active[u] {
				w := sd.own[u*k : u*k+k]
				loss += sd.lambdaOwn * floats.Dot(w, w)
			}
		}
		if sd.feat != nil {
			loss += s.cfg.Regularization * floats.Dot(sd.ff, sd.ff)
		}
	}
	return loss / float64(s.nnzTrain), nil
}
