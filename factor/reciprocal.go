package factor

import (
	"context"
	"fmt"

	"github.com/twowayrec/twoway/market"
)

// TwoSided is the input of a two-sided fit: each side's interest in the
// other, in local indices (seeker s is row s of SeekerInterest and column
// s of JobInterest; job j is column j of SeekerInterest and row j of
// JobInterest), and optionally each side's content features (one row per
// participant of that side).
type TwoSided struct {
	// SeekerInterest is seekers × jobs: what seekers attended to.
	SeekerInterest CSR
	// JobInterest is jobs × seekers: what recruiters (through their
	// postings) attended to.
	JobInterest CSR
	// SeekerFeatures has one row per seeker; nil: none.
	SeekerFeatures *CSR
	// JobFeatures has one row per job; nil: none.
	JobFeatures *CSR
	// SeekerNegatives (SeekerInterest's shape) and JobNegatives
	// (JobInterest's) are each direction's observed non-interest: pairs
	// shown and passed over or turned down (see Data.Negatives); nil:
	// none.
	SeekerNegatives, JobNegatives *CSR
}

// Reciprocal is a two-sided factor model (LFRR, Neve & Palomares 2019):
// one [Model] per direction, each fitted on one side's interest in the
// other, so that a pair gets two one-way estimates,
//
//	forward  = the requester's interest in the candidate
//	backward = the candidate's interest in the requester
//
// which a two-way aggregator combines. It is immutable and safe for
// concurrent use.
type Reciprocal struct {
	seeker, recruiter *Model
}

// FitTwoSided fits the seekers' model (rows: seekers, columns: jobs) and
// the recruiters' model (rows: jobs, columns: seekers), one after the
// other, each on every worker. Config.Progress reports both, with
// Progress.Side telling which. The second model's seed is derived from
// Seed. Errors are those of [Trainer.Fit], naming SeekerInterest,
// JobInterest, SeekerFeatures or JobFeatures; the two interest matrices
// must have transposed shapes.
func (t *Trainer) FitTwoSided(ctx context.Context, d TwoSided) (*Reciprocal, error) {
	si, ji := &d.SeekerInterest, &d.JobInterest
	if si.Rows != ji.Cols || si.Cols != ji.Rows {
		return nil, &DataError{Matrix: "JobInterest", Row: -1, Col: -1, Field: "Rows",
			Value: fmt.Sprintf("%d × %d, want %d × %d (the transpose of SeekerInterest's shape)", ji.Rows, ji.Cols, si.Cols, si.Rows), Err: errShape}
	}
	fwd := Data{Interest: d.SeekerInterest, RowFeatures: d.SeekerFeatures, ColFeatures: d.JobFeatures, Negatives: d.SeekerNegatives}
	bwd := Data{Interest: d.JobInterest, RowFeatures: d.JobFeatures, ColFeatures: d.SeekerFeatures, Negatives: d.JobNegatives}
	if err := checkData(&fwd, "SeekerInterest", "SeekerFeatures", "JobFeatures", "SeekerNegatives"); err != nil {
		return nil, err
	}
	if err := checkData(&bwd, "JobInterest", "JobFeatures", "SeekerFeatures", "JobNegatives"); err != nil {
		return nil, err
	}
	for _, d := range []*Data{&fwd, &bwd} {
		if err := t.checkMethod(d); err != nil {
			return nil, err
		}
	}
	r := &Reciprocal{}
	for _, dir := range []struct {
		side market.Side
		data *Data
		seed uint64
		out  **Model
	}{{market.Seeker, &fwd, t.cfg.Seed, &r.seeker}, {market.Recruiter, &bwd, mix(t.cfg.Seed ^ 0x5eed), &r.recruiter}} {
		c := t.cfg
		c.Seed = dir.seed
		if p := t.cfg.Progress; p != nil {
			side := dir.side
			c.Progress = func(pr Progress) error { pr.Side = side; return p(pr) }
		}
		s := (&Trainer{cfg: c}).newState(dir.data)
		m, err := s.run(ctx)
		if err != nil {
			return nil, err
		}
		*dir.out = m
	}
	return r, nil
}

// NewReciprocal pairs two fitted models: seeker's rows are the recruiter
// model's columns and the other way round. It returns an error when the
// shapes or the numbers of factors do not fit together.
func NewReciprocal(seeker, recruiter *Model) (*Reciprocal, error) {
	if seeker == nil || recruiter == nil {
		return nil, fmt.Errorf("factor: NewReciprocal: nil model")
	}
	if seeker.rows != recruiter.cols || seeker.cols != recruiter.rows || seeker.k != recruiter.k {
		return nil, fmt.Errorf("factor: NewReciprocal: seeker model %d × %d (k %d) and recruiter model %d × %d (k %d) are not transposed",
			seeker.rows, seeker.cols, seeker.k, recruiter.rows, recruiter.cols, recruiter.k)
	}
	return &Reciprocal{seeker: seeker, recruiter: recruiter}, nil
}

// Model returns the interest model of side: for market.Seeker the seekers'
// interest in jobs (rows seekers), for market.Recruiter the recruiters'
// interest in seekers (rows jobs). It returns nil for an invalid side.
func (r *Reciprocal) Model(side market.Side) *Model {
	switch side {
	case market.Seeker:
		return r.seeker
	case market.Recruiter:
		return r.recruiter
	}
	return nil
}

// Estimate is one one-way estimate: the factor score and its calibrated
// probability ([Model.Calibrate]).
type Estimate struct {
	Score       float64 `json:"score"`
	Probability float64 `json:"probability"`
}

// Match returns the forward estimate (the requester's interest in the
// candidate, from side's model) and the backward one (the candidate's
// interest in the requester, from the other side's model). requester is a
// local index of side, candidate of the other side. It panics if side is
// invalid or an index is out of range.
func (r *Reciprocal) Match(side market.Side, requester, candidate int) (forward, backward Estimate) {
	f, b := r.Model(side), r.Model(side.Other())
	if f == nil || b == nil {
		panic(fmt.Sprintf("factor: Match: invalid side %v", side))
	}
	fs, bs := f.Score(requester, candidate), b.Score(candidate, requester)
	return Estimate{fs, f.Calibrate(fs)}, Estimate{bs, b.Calibrate(bs)}
}

// Bytes returns the memory of both models' factors.
func (r *Reciprocal) Bytes() int { return r.seeker.Bytes() + r.recruiter.Bytes() }

// Vectors returns the rows for reciprocal vector recall of side's
// requesters (local indices of each side): query u is [f·x_u ; b·y'_u] and
// candidate j is [y_j ; x'_j], where x, y are the factors of side's model
// and x', y' those of the other side's, so that
//
//	queryᵀ candidate = f·(u's interest in j) + b·(j's interest in u)
//
// a weighted sum of the forward and backward scores as one inner product
// of 2k dimensions (give the rows to recall.NewVectors at the participants'
// global indices). f = 1, b = 0 gives plain forward recall in 2k
// dimensions; use the side's model's rows directly for that. The rows are
// new slices (2k float32 each) that the caller owns.
func (r *Reciprocal) Vectors(side market.Side, f, b float64) (queries, candidates [][]float32) {
	m, o := r.Model(side), r.Model(side.Other())
	if m == nil || o == nil {
		panic(fmt.Sprintf("factor: Vectors: invalid side %v", side))
	}
	k := m.k
	queries = make([][]float32, m.rows)
	for u := range queries {
		q := make([]float32, 2*k)
		for d, v := range m.Row(u) {
			q[d] = float32(f * float64(v))
		}
		for d, v := range o.Col(u) {
			q[k+d] = float32(b * float64(v))
		}
		queries[u] = q
	}
	candidates = make([][]float32, m.cols)
	for j := range candidates {
		c := make([]float32, 2*k)
		copy(c, m.Col(j))
		copy(c[k:], o.Row(j))
		candidates[j] = c
	}
	return queries, candidates
}
