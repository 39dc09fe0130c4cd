package factor

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/floats"
)

// Data is the input of one fit: the interest matrix (rows × columns, a
// positive confidence weight per cell, see [Config]) and, for a hybrid
// model, the content features of its rows and of its columns.
//
// RowFeatures has one row per interest row (Rows == Interest.Rows) and one
// column per feature (a skill, a title word, a tag, …) with any finite
// value; ColFeatures likewise for the interest columns. Either may be nil.
// With features, a participant's factor is its own factor plus the sum of
// its features' factors (see the package documentation, Hybrid factors).
//
// Negatives, when not nil, has Interest's shape and holds observed
// non-interest: pairs the row was shown and passed over or turned down,
// each with a positive weight w. ALS makes such a pair a preference
// p_ui = 0 with confidence 1 + Alpha·w instead of the unobserved pairs'
// 0 with confidence 1 (see [Config], Confidence), so that what a
// participant saw and left weighs more than what it never saw. A pair
// with a cell in Interest keeps its cell and ignores the negative one.
// BPR does not take negatives.
type Data struct {
	Interest    CSR
	RowFeatures *CSR
	ColFeatures *CSR
	Negatives   *CSR
}

// side is the training state of one side of the matrix: its rows' cells,
// own and effective factors, and features.
type side struct {
	n         int
	m         CSR    // training cells of this side's rows (weights r)
	active    []bool // rows with at least one training cell
	own       []float64
	eff       []float64 // own + features' factors; aliases own without features
	feat      *CSR      // n × F, nil without features
	featT     CSR       // F × n, active rows only
	ff        []float64 // F × k feature factors
	rw, pw    []float64 // n × k: own factors' residual and direction (joint CG)
	apw       []float64 // n × k
	res, p    []float64 // F × k: feature factors' residual and direction
	ap        []float64 // F × k
	lambdaOwn float64
}

// state is one fit in progress.
type state struct {
	cfg        resolved
	k          int
	rows, cols side
	held       []heldCell
	negs       []uint32 // Negatives per held cell; noNegative where none was found
	nnzAll     int
	nnzTrain   int
	scratch    [][]float64 // per worker: 8 vectors of k
	bpr        *bprState
}

type heldCell struct{ row, col uint32 }

const noNegative = math.MaxUint32

// Fit learns a factor model of d. It returns a *DataError naming the
// matrix, cell and field for bad input, [ErrEmpty] for an interest matrix
// without cells, an error wrapping [ErrConfig] for features with BPR, one
// wrapping [ErrDiverged] when the factors stop being finite (weights or a
// learning rate far too large), ctx.Err() when ctx is done, or the error
// of Config.Progress (wrapped).
//
// Fit is deterministic: the same Config (Seed included) and Data give a
// bit-identical Model whatever Config.Workers is.
func (t *Trainer) Fit(ctx context.Context, d Data) (*Model, error) {
	if err := checkData(&d, "Interest", "RowFeatures", "ColFeatures", "Negatives"); err != nil {
		return nil, err
	}
	if err := t.checkMethod(&d); err != nil {
		return nil, err
	}
	s := t.newState(&d)
	return s.run(ctx)
}

// checkMethod refuses what BPR cannot use: features and negatives.
func (t *Trainer) checkMethod(d *Data) error {
	if t.cfg.Method != BPR {
		return nil
	}
	if d.RowFeatures != nil || d.ColFeatures != nil {
		return fmt.Errorf("%w: Config.Method = bpr: features (hybrid factors) need ALS", ErrConfig)
	}
	if d.Negatives != nil {
		return fmt.Errorf("%w: Config.Method = bpr: negatives (pairs passed over) need ALS", ErrConfig)
	}
	return nil
}

// checkData validates d, naming the matrices as given.
func checkData(d *Data, interest, rowFeat, colFeat, negatives string) error {
	if err := d.Interest.check(interest, true); err != nil {
		return err
	}
	if n := d.Negatives; n != nil {
		if n.Rows != d.Interest.Rows || n.Cols != d.Interest.Cols {
			return &DataError{Matrix: negatives, Row: -1, Col: -1, Field: "Rows",
				Value: fmt.Sprintf("%d × %d, want %d × %d (the shape of %s)", n.Rows, n.Cols, d.Interest.Rows, d.Interest.Cols, interest), Err: errShape}
		}
		if err := n.check(negatives, true); err != nil {
			return err
		}
	}
	if d.Interest.NNZ() == 0 {
		return fmt.Errorf("%w: %s has %d rows, %d columns and no cell", ErrEmpty, interest, d.Interest.Rows, d.Interest.Cols)
	}
	for _, f := range []struct {
		name string
		m    *CSR
		rows int
	}{{rowFeat, d.RowFeatures, d.Interest.Rows}, {colFeat, d.ColFeatures, d.Interest.Cols}} {
		if f.m == nil {
			continue
		}
		if f.m.Rows != f.rows {
			return &DataError{Matrix: f.name, Row: -1, Col: -1, Field: "Rows", Value: fmt.Sprintf("%d, want %d (one per %s row or column)", f.m.Rows, f.rows, interest), Err: errShape}
		}
		if err := f.m.check(f.name, false); err != nil {
			return err
		}
	}
	return nil
}

var errShape = fmt.Errorf("factor: shape mismatch")

// newState splits the holdout, samples the validation negatives and
// initialises the factors.
func (t *Trainer) newState(d *Data) *state {
	c := t.cfg
	k := c.Factors
	s := &state{cfg: c, k: k, nnzAll: d.Interest.NNZ()}
	full := &d.Interest
	// Holdout: a cell is held out when its hash falls below the share and
	// its row keeps a training cell.
	train := CSR{Rows: full.Rows, Cols: full.Cols, Ptr: make([]int, full.Rows+1)}
	train.Idx = make([]uint32, 0, full.NNZ())
	train.Val = make([]float64, 0, full.NNZ())
	for u := range full.Rows {
		idx, val := full.Row(u)
		kept := 0
		for p, i := range idx {
			last := p == len(idx)-1
			if c.Holdout > 0 && !(last && kept == 0) && unit(hash3(c.Seed, tagHoldout, uint32(u), i)) < c.Holdout {
				s.held = append(s.held, heldCell{uint32(u), i})
				continue
			}
			train.Idx = append(train.Idx, i)
			train.Val = append(train.Val, val[p])
			kept++
		}
		train.Ptr[u+1] = len(train.Idx)
	}
	if d.Negatives != nil {
		train = withNegatives(train, *full, d.Negatives)
	}
	s.nnzTrain = train.NNZ()
	// Validation negatives: uniform columns that are not cells of the row.
	if len(s.held) > 0 {
		s.negs = make([]uint32, len(s.held)*c.Negatives)
		for h, hc := range s.held {
			idx, _ := full.Row(int(hc.row))
			for q := range c.Negatives {
				s.negs[h*c.Negatives+q] = sampleNegative(c.Seed, tagNegative, hc.row, uint32(h*c.Negatives+q), full.Cols, idx)
			}
		}
	}
	s.rows = newSide(train, d.RowFeatures, k, c)
	s.cols = newSide(train.transpose(), d.ColFeatures, k, c)
	// Initial factors: the columns (solved second) random, the rows zero
	// for ALS; both random for BPR.
	scale := c.InitScale / math.Sqrt(float64(k))
	initSide := func(sd *side, tag uint64) {
		for u := range sd.n {
			if !sd.active[u] {
				continue
			}
			for j := range k {
				sd.own[u*k+j] = scale * normal(hash3(c.Seed, tag, uint32(u), uint32(2*j)), hash3(c.Seed, tag, uint32(u), uint32(2*j+1)))
			}
		}
	}
	initSide(&s.cols, tagColInit)
	if c.Method == BPR {
		initSide(&s.rows, tagRowInit)
	}
	s.rows.refresh(k)
	s.cols.refresh(k)
	s.scratch = make([][]float64, c.Workers)
	for w := range s.scratch {
		s.scratch[w] = make([]float64, 8*k)
	}
	return s
}

// withNegatives merges the negative cells of neg that are not cells of
// full into train, stored with their weights negated: a training cell of
// value v < 0 is a preference 0 with confidence 1 + α·|v| (see applyM).
func withNegatives(train, full CSR, neg *CSR) CSR {
	out := CSR{Rows: train.Rows, Cols: train.Cols, Ptr: make([]int, train.Rows+1)}
	out.Idx = make([]uint32, 0, train.NNZ()+neg.NNZ())
	out.Val = make([]float64, 0, train.NNZ()+neg.NNZ())
	for u := range train.Rows {
		ti, tv := train.Row(u)
		ni, nv := neg.Row(u)
		fi, _ := full.Row(u)
		p, q := 0, 0
		for p < len(ti) || q < len(ni) {
			if q == len(ni) || (p < len(ti) && ti[p] < ni[q]) {
				out.Idx, out.Val = append(out.Idx, ti[p]), append(out.Val, tv[p])
				p++
				continue
			}
			if p < len(ti) && ti[p] == ni[q] {
				q++ // the interest cell wins
				continue
			}
			if _, held := slices.BinarySearch(fi, ni[q]); !held {
				out.Idx, out.Val = append(out.Idx, ni[q]), append(out.Val, -nv[q])
			}
			q++
		}
		out.Ptr[u+1] = len(out.Idx)
	}
	return out
}

// sampleNegative draws a column below cols that is not in row (sorted),
// from the hash stream (seed, tag, u, n); after 32 failed draws it gives
// noNegative.
func sampleNegative(seed, tag uint64, u, n uint32, cols int, row []uint32) uint32 {
	for try := range uint64(32) {
		h := hash3(seed+try*0x9e3779b97f4a7c15, tag, u, n)
		j := uint32((h >> 32) * uint64(cols) >> 32)
		if _, found := slices.BinarySearch(row, j); !found {
			return j
		}
	}
	return noNegative
}

func newSide(m CSR, feat *CSR, k int, c resolved) side {
	sd := side{n: m.Rows, m: m, active: make([]bool, m.Rows), own: make([]float64, m.Rows*k), feat: feat, lambdaOwn: c.Regularization}
	for u := range m.Rows {
		sd.active[u] = m.Ptr[u+1] > m.Ptr[u]
	}
	sd.eff = sd.own
	if feat != nil {
		sd.lambdaOwn = c.OwnRegularization
		sd.eff = make([]float64, m.Rows*k)
		// Transpose the features of active rows only: inactive rows are
		// outside the loss.
		act := CSR{Rows: feat.Rows, Cols: feat.Cols, Ptr: make([]int, feat.Rows+1)}
		for u := range feat.Rows {
			if sd.active[u] {
				idx, val := feat.Row(u)
				act.Idx = append(act.Idx, idx...)
				act.Val = append(act.Val, val...)
			}
			act.Ptr[u+1] = len(act.Idx)
		}
		sd.featT = act.transpose()
		F := feat.Cols
		sd.ff = make([]float64, F*k)
		sd.rw = make([]float64, m.Rows*k)
		sd.pw = make([]float64, m.Rows*k)
		sd.apw = make([]float64, m.Rows*k)
		sd.res = make([]float64, F*k)
		sd.p = make([]float64, F*k)
		sd.ap = make([]float64, F*k)
	}
	return sd
}

// refresh sets the effective factors to own + Σ features' factors.
func (sd *side) refresh(k int) {
	if sd.feat == nil {
		return
	}
	for u := range sd.n {
		x := sd.eff[u*k : (u+1)*k]
		copy(x, sd.own[u*k:(u+1)*k])
		featureSum(sd.feat, u, sd.ff, k, x)
	}
}

// featureSum adds Σ_f A_uf E_f to dst.
func featureSum(a *CSR, u int, e []float64, k int, dst []float64) {
	idx, val := a.Row(u)
	for p, f := range idx {
		floats.AddScaled(dst, val[p], e[int(f)*k:int(f)*k+k])
	}
}

// run iterates, stops early, and builds the model of the best iteration.
func (s *state) run(ctx context.Context) (*Model, error) {
	c := s.cfg
	m := s.newModel()
	bestVal, best := math.Inf(-1), 0
	var lastLoss float64
	for it := 1; it <= c.Iterations; it++ {
		start := time.Now()
		var loss float64
		var err error
		if c.Method == BPR {
			loss, err = s.bprEpoch(ctx, it)
		} else {
			err = s.alsSweep(ctx)
			if err == nil && c.Progress != nil {
				loss, err = s.alsLoss(ctx)
			}
		}
		if errors.Is(err, errNonFinite) {
			return nil, fmt.Errorf("%w: the fit diverged at iteration %d (a non-finite value in a solve): lower Config.Alpha or scale the weights down", ErrDiverged, it)
		}
		if err != nil {
			return nil, err
		}
		if err := s.checkFinite(it); err != nil {
			return nil, err
		}
		val := math.NaN()
		if len(s.held) > 0 {
			if val, err = s.validate(ctx); err != nil {
				return nil, err
			}
		}
		measured := !math.IsNaN(val)
		improved := !measured || val > bestVal
		if improved {
			bestVal, best = val, it
			m.snapshot(s)
			lastLoss = loss
		}
		if c.Progress != nil {
			if err := c.Progress(Progress{Iteration: it, Loss: loss, Validation: val, Best: best, Elapsed: time.Since(start)}); err != nil {
				return nil, fmt.Errorf("factor: fit stopped by Progress: %w", err)
			}
		}
		m.report.Iterations = it
		if measured && it-best >= c.Patience {
			break
		}
	}
	m.report.Best = best
	if !math.IsInf(bestVal, -1) && !math.IsNaN(bestVal) {
		m.report.Validation = bestVal
	}
	m.report.Loss = lastLoss
	m.finish(s)
	return m, nil
}

// checkFinite returns an error when a factor is not finite: the fit
// diverged (weights so large that the confidences overflow, or a BPR
// learning rate too large).
func (s *state) checkFinite(it int) error {
	for _, sd := range []*side{&s.rows, &s.cols} {
		for _, v := range [][]float64{sd.eff, sd.ff} {
			for q, x := range v {
				if math.IsNaN(x) || math.IsInf(x, 0) {
					return fmt.Errorf("%w: the fit diverged at iteration %d (factor value %v at %d): lower Config.Alpha or Config.LearningRate, or scale the weights down", ErrDiverged, it, x, q)
				}
			}
		}
	}
	return nil
}

// validate returns the held-out AUC: the share of (held-out cell, sampled
// non-cell) pairs of a row that the current factors order correctly, ties
// counting one half.
func (s *state) validate(ctx context.Context) (float64, error) {
	k, S := s.k, s.cfg.Negatives
	var pairs int
	for _, j := range s.negs {
		if j != noNegative {
			pairs++
		}
	}
	if pairs == 0 {
		return math.NaN(), nil
	}
	X, Y := s.rows.eff, s.cols.eff
	sum, err := sumChunks(ctx, s.cfg.Workers, len(s.held), 512, func(lo, hi, _ int) float64 {
		var acc float64
		for h := lo; h < hi; h++ {
			hc := s.held[h]
			x := X[int(hc.row)*k : int(hc.row)*k+k]
			sp := floats.Dot(x, Y[int(hc.col)*k:int(hc.col)*k+k])
			for _, j := range s.negs[h*S : (h+1)*S] {
				if j == noNegative {
					continue
				}
				switch sn := floats.Dot(x, Y[int(j)*k:int(j)*k+k]); {
				case sn < sp:
					acc++
				case sn == sp:
					acc += 0.5
				}
			}
		}
		return acc
	})
	return sum / float64(pairs), err
}
