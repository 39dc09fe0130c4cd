package twoway

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twowayrec/twoway/factor"
	"github.com/twowayrec/twoway/internal/binio"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/recall"
	"github.com/twowayrec/twoway/sparse"
)

// FactorUse says whether Fit learns latent factors.
type FactorUse string

// The uses of latent factors.
const (
	// FactorsDefault (the zero value) is DefaultFactorUse.
	FactorsDefault FactorUse = ""
	// FactorsOn makes every Fit learn the two-sided factor model.
	FactorsOn FactorUse = "on"
	// FactorsOff leaves latent factors out.
	FactorsOff FactorUse = "off"
)

// DefaultFactorUse is what FactorsDefault means. See FactorConfig.Use for
// the measurement behind it.
const DefaultFactorUse = FactorsOff

// FactorConfig configures the Engine's latent factors (package factor):
// a two-sided implicit matrix factorisation of the interest matrix, one
// model per direction (seekers' interest in jobs, recruiters' in seekers),
// fitted by every Fit on the matrix's confidence weights. The factors are
//
//   - a recall source ("factors"): exact vector recall (recall.Vectors) of
//     the candidates with the largest sum of both directions' factor
//     scores, under the request's hard filters, merged with the
//     collaborative recallers by reciprocal-rank fusion;
//   - with hybrid factors (the default), a participant's factor is its own
//     plus the sum of its content features' factors (LightFM), so that a
//     profile upserted after the Fit gets factors from its content alone
//     and is recalled without history;
//   - with Evidence, evidence of both one-way models too: the forward and
//     backward factor probabilities of a pair (match.EvidenceFactorForward
//     and EvidenceFactorBackward), out of fold for the training rows, as
//     the item-CF and user-CF evidence is, so that no training row's own
//     label enters its features; Explain names them ("taste",
//     "their-taste").
//
// A Fit fits the model once on everything; the out-of-fold evidence fits
// it once more per fold of the collaborative evidence: six fits per Fit
// with Evidence.
type FactorConfig struct {
	// Use: FactorsOn, FactorsOff, or FactorsDefault (DefaultFactorUse).
	// The figures that follow are of the factors as evidence and recall
	// (Evidence), as every Fit used them before Evidence was a choice;
	// Evidence's table has the factors as recall only.
	// The default is off because the factors did not raise matches on the
	// simulator's validation markets (seeds 101 to 105, 1,500 seekers ×
	// 300 jobs, 10 rounds; TestFactorsValidation in benchmarks/enginesim):
	// matches off / on with λ = 50 per seed 435 / 441, 439 / 430,
	// 424 / 417, 426 / 420, 429 / 430 (2,153 against 2,138 in all); with
	// λ = 150 (the best of 8 or 16 factors, λ = 150 and α = 3 on seeds 101
	// and 102, and the Engine's λ since) 452, 435, 417, 426, 425 (2,155:
	// a tie; on the test markets, seeds 1 to 5, computed once after
	// choosing: 2,037 off, 2,035 on, TestFactorsTestSplit). Under the
	// contact-cost aggregator (the default since) the tie holds: 2,162
	// off against 2,155 on (validation, see PassedOver's table; 2,154 as
	// evidence only, NoRecall), 2,041 against 2,037 on the test markets
	// (per seed −4, +5, −2, −3, 0). They
	// raise most one-way AUCs against the latent truth (seed 101 forward
	// 0.891 → 0.921 seekers, 0.880 → 0.897 jobs) and reciprocal factor
	// recall beat every neighbourhood recaller offline (recall@50 of mutual
	// acceptances on seed 101: 0.847 against user-CF's 0.706 for seekers,
	// 0.509 against item-CF's 0.430 for jobs; measured before the character
	// bigrams and the other-side sampled negatives), but more accurate
	// one-way matches did not turn into more matches. On speed dating's
	// validation waves they lower GAUC (0.742 / 0.739 → 0.718 / 0.705).
	Use FactorUse `json:"use,omitempty"`
	// Model configures the factor models. Zero fields take package
	// factor's defaults, except Factors (zero: 32 here), Seed (zero:
	// Config.Seed) and, for ALS, Regularization (zero: λ = 150 here, the
	// best variant on the validation markets above: 2,155 matches against
	// package factor's λ 50's 2,138).
	Model factor.Config `json:"model"`
	// Plain turns hybrid factors off: participants' own factors only, and
	// no factors for profiles unknown at the Fit. Zero (false): hybrid,
	// with each profile's content vector (text.Encoder) as its features.
	Plain bool `json:"plain,omitempty"`
	// NoRecall leaves vector recall out: the factors are evidence (and
	// cold-start factors) only, so it needs Evidence. Zero (false): vector
	// recall is a collaborative source, asked for Recall.Collaborative
	// candidates like the others.
	NoRecall bool `json:"no_recall,omitempty"`
	// Evidence makes the factors evidence of both one-way models as well
	// as a recall source (see FactorConfig). Zero (false): recall and
	// cold-start factors only; the one-way matches do not read the
	// factors, and a Fit fits the model once instead of six times: on a
	// market of 5,000 seekers, 1,000 jobs and 200,000 events
	// (BenchmarkFitFactors, medians of 5 runs on 2 cores) a Fit takes
	// 3.98 s with factors off, 4.48 s on and 9.30 s with Evidence,
	// allocating 2.3, 2.5 and 3.3 GiB; a request (BenchmarkRecommendFactors)
	// 589, 660 and 667 µs.
	//
	// It stays off because the evidence lowered matches and the yield of
	// contacts on the validation markets (simulated, seeds 101 to 105,
	// 1,500 seekers × 300 jobs, 10 rounds; TestConfigValidation in
	// benchmarks/enginesim, variants "default", "factors" and
	// "factor-evidence"):
	//
	//	                       101  102  103  104  105  total  first 3 rounds  per 1,000 contacts
	//	factors off            454  447  430  423  424  2,178  1,386           136.0
	//	on: recall only        449  449  429  430  428  2,185  1,394           136.5
	//	on, forward evidence   439  445  425  433  430  2,172  1,399
	//	on, with Evidence      437  443  421  426  428  2,155  1,395           130.0
	//
	// ("forward evidence": the forward factor probability as evidence and
	// not the backward one, measured once with a local change, not
	// offered). On the test markets (seeds 1 to 5, TestFactorsTestSplit,
	// run once after this choice) factors on, recall only, make 2,074
	// matches against 2,067 off (per seed +1, +8, +1, −2, −1): a tie, as
	// on validation. With the evidence the Engine sends more contacts (16,574
	// against 16,002 recall only) to jobs that answer fewer. On speed
	// dating's validation waves 11–14 (mean over split seeds 1 to 8;
	// TestEngineValidation in benchmarks/dating) AUC(match) women / men is
	// 0.7370 / 0.7350 without the evidence (recall changes none of the
	// pairs that harness scores) and 0.7372 / 0.7347 with it, GAUC 0.6892
	// / 0.7028 against 0.6851 / 0.7091.
	//
	// With the taste evidence on (Config.Taste, the default since), the
	// validation runs give 449 444 435 428 434 = 2,190 matches off, 448 446
	// 435 435 429 = 2,193 as recall only and 444 434 423 426 441 = 2,168
	// with Evidence (136.5, 137.3 and 130.8 per 1,000 contacts): the same
	// picture.
	Evidence bool `json:"evidence,omitempty"`
	// PassedOver is the weight w of the pairs its actor turned down (an
	// action of negative weight, whatever else it did) or was shown and
	// left (an impression and no action of positive weight), as negatives
	// of the actor's factor model: preference 0 with confidence 1 + α·w
	// (factor.Data.Negatives) instead of an unobserved pair's confidence
	// 1, so that the factors learn from what people saw and left, not only
	// from what they never saw. The out-of-fold evidence leaves each
	// fold's negatives out of its fit. Zero: none; it must be finite and
	// not negative, and needs ALS.
	//
	// It stays off by default: on the validation markets (simulated, seeds
	// 101 to 105, 10 rounds; TestFactorsValidation, variants "passed0.3"
	// to "passed10") the matches per seed were, with factors on as evidence
	// and recall (Evidence),
	//
	//	                 101  102  103  104  105  total
	//	factors off      441  446  417  430  428  2,162
	//	on, none         449  439  416  422  429  2,155
	//	PassedOver 0.3   438  432  418  428  432  2,148
	//	PassedOver 1     441  434  428  431  425  2,159
	//	PassedOver 3     439  440  423  433  419  2,154
	//	PassedOver 10    435  437  421  437  417  2,147
	//
	// a tie, though they sharpen the forward factor evidence (the seekers'
	// forward AUC against the latent truth on seed 101: 0.912 on, 0.919
	// with weight 1); on speed dating's validation waves 11–14 AUC(match)
	// women / men 0.762 / 0.754 off, 0.764 / 0.754 on, 0.758 / 0.750 with
	// weight 1.
	PassedOver float64 `json:"passed_over,omitempty"`
}

// on reports whether factors are used.
func (c *FactorConfig) on() bool {
	u := c.Use
	if u == FactorsDefault {
		u = DefaultFactorUse
	}
	return u == FactorsOn
}

// engineFactorRegularization is the Engine's ALS penalty λ when
// FactorConfig.Model leaves it zero (see FactorConfig.Model).
const engineFactorRegularization = 150

func (c *FactorConfig) defaults(seed uint64) error {
	switch c.Use {
	case FactorsDefault, FactorsOn, FactorsOff:
	default:
		return fmt.Errorf("%w: Factors.Use: %q (want %q, %q or empty)", ErrConfig, c.Use, FactorsOn, FactorsOff)
	}
	if !(c.PassedOver >= 0) || math.IsInf(c.PassedOver, 1) {
		return fmt.Errorf("%w: Factors.PassedOver: %v (want a finite weight >= 0)", ErrConfig, c.PassedOver)
	}
	if c.PassedOver > 0 && c.Model.Method == factor.BPR {
		return fmt.Errorf("%w: Factors.PassedOver: %v with Model.Method bpr (negatives need ALS)", ErrConfig, c.PassedOver)
	}
	if c.Model.Factors == 0 {
		c.Model.Factors = 32
	}
	if c.Model.Seed == 0 {
		c.Model.Seed = seed
	}
	if c.Model.Regularization == 0 && c.Model.Method == factor.ALS {
		c.Model.Regularization = engineFactorRegularization
	}
	if c.Model.Progress != nil {
		return fmt.Errorf("%w: Factors.Model.Progress: set Config.OnProgress instead", ErrConfig)
	}
	if c.NoRecall && !c.Evidence && c.on() {
		return fmt.Errorf("%w: Factors.NoRecall without Factors.Evidence leaves the factors nothing to do", ErrConfig)
	}
	if !c.Plain && c.Model.Method == factor.BPR {
		return fmt.Errorf("%w: Factors.Model.Method = bpr needs Factors.Plain (hybrid factors need ALS)", ErrConfig)
	}
	if err := c.Model.Validate(); err != nil {
		return fmt.Errorf("%w: Factors.Model: %w", ErrConfig, err)
	}
	return nil
}

// EmbedStats reports one call of Config.Embedder's embeddings: at a Fit
// (every profile) or an Upsert (the batch).
type EmbedStats struct {
	Op                      string // "fit" or "upsert"
	Profiles                int
	Embedded, Empty, Failed int // as factor.Embeddings counts them
	Duration                time.Duration
}

// EmbedObserver is an Observer that also receives the embedder's counts
// (reached by type assertion on Config.Observer).
type EmbedObserver interface {
	Embed(EmbedStats)
}

// factors is the latent-factor part of a state: the two-sided model in
// local indices (each side's participants at the Fit, in index order),
// vector recall, cold-start factors and the host's embeddings. The
// model, the index maps and the recallers are immutable; cold and live
// are guarded by mu, a leaf lock (nothing is locked under it; callers may
// hold Engine.mu).
type factors struct {
	rec     *factor.Reciprocal // nil: embeddings only
	local   []int32            // global index → local index in its side; −1: none
	sides   []market.Side      // global index → side, for those with a local index
	global  [3][]uint32        // side → local index → global index
	hybrid  bool
	recall  bool               // vector recall is a source (FactorConfig.NoRecall false)
	evident bool               // the factors are evidence of the one-way matches (FactorConfig.Evidence)
	vectors [3]*recall.Vectors // by requester side: reciprocal factor recall
	emb     *factor.Table      // embeddings by global index at the Fit; nil: none
	embRec  [3]*recall.Vectors // by requester side: embedding recall

	mu   sync.RWMutex
	cold map[uint32]coldFactors // participants without a local index
	live map[uint32][]float32   // embeddings of profiles upserted since the Fit
}

// coldFactors are the factors of a participant unknown at the Fit, from
// its content features: row in its side's model, col as a column of the
// other side's model.
type coldFactors struct {
	side     market.Side
	row, col []float32
}

// localOf returns ix's local index, or −1.
func (f *factors) localOf(ix uint32) int {
	if int(ix) < len(f.local) {
		return int(f.local[ix])
	}
	return -1
}

// rowOf returns ix's factor as a row of side's model (ix is of side); nil
// when it has none.
func (f *factors) rowOf(ix uint32, side market.Side) []float32 {
	if l := f.localOf(ix); l >= 0 {
		return f.rec.Model(side).Row(l)
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.cold[ix].row
}

// colOf returns ix's factor as a column of the model of the side
// opposite to ix's (side is ix's own side); nil when it has none.
func (f *factors) colOf(ix uint32, side market.Side) []float32 {
	if l := f.localOf(ix); l >= 0 {
		return f.rec.Model(side.Other()).Col(l)
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.cold[ix].col
}

// logit returns the log-odds of side's model that requester a (of side)
// attends to candidate b: the calibrated score a·s + b of a pair whose
// factors are missing is the model's at score 0.
func (f *factors) logit(side market.Side, a, b uint32) float64 {
	m := f.rec.Model(side)
	ca, cb := m.Calibration()
	x, y := f.rowOf(a, side), f.colOf(b, side.Other())
	s := 0.0
	if len(x) > 0 && len(x) == len(y) {
		s = factor.Dot(x, y)
	}
	return ca*s + cb
}

// embedding returns ix's embedding, nil when none.
func (f *factors) embedding(ix uint32) []float32 {
	f.mu.RLock()
	v, ok := f.live[ix]
	f.mu.RUnlock()
	if ok {
		return v
	}
	if f.emb != nil && f.emb.Has(int(ix)) {
		return f.emb.Row(int(ix))
	}
	return nil
}

// cosine returns the cosine of a's and b's embeddings, 0 when either has
// none or is zero.
func (f *factors) cosine(a, b uint32) float64 {
	x, y := f.embedding(a), f.embedding(b)
	if len(x) == 0 || len(x) != len(y) {
		return 0
	}
	xx, yy := factor.Dot(x, x), factor.Dot(y, y)
	if !(xx > 0 && yy > 0) {
		return 0
	}
	return factor.Dot(x, y) / math.Sqrt(xx*yy)
}

// sideOf returns ix's side as f knows it (fitted or cold-start), 0 when
// it has no factors.
func (f *factors) sideOf(ix uint32) market.Side {
	if int(ix) < len(f.sides) && f.sides[ix].Valid() {
		return f.sides[ix]
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.cold[ix].side
}

// fill sets the factor and embedding entries of ev, actor a's view of
// target b. A pair without factors on both sides keeps its factor
// entries (0, as the training rows of such pairs have them).
func (f *factors) fill(ev *match.Evidence, a, b uint32) {
	if f == nil {
		return
	}
	if f.rec != nil && f.evident {
		if side := f.sideOf(a); side.Valid() && f.sideOf(b) == side.Other() {
			ev[match.EvidenceFactorForward] = f.logit(side, a, b)
			ev[match.EvidenceFactorBackward] = f.logit(side.Other(), b, a)
		}
	}
	ev[match.EvidenceEmbedding] = f.cosine(a, b)
}

// localIndex numbers each side's participants (those with a profile that
// is not removed) in index order.
func localIndex(profiles []market.Profile, removed []bool) (local []int32, sides []market.Side, global [3][]uint32) {
	local = make([]int32, len(profiles))
	sides = make([]market.Side, len(profiles))
	for i, p := range profiles {
		local[i] = -1
		if p.ID == "" || removed[i] || !p.Side.Valid() {
			continue
		}
		local[i], sides[i] = int32(len(global[p.Side])), p.Side
		global[p.Side] = append(global[p.Side], uint32(i))
	}
	return local, sides, global
}

// twoSided builds the factor package's input from an interest matrix: each
// side's rows in f's local indices, and with hybrid each participant's
// content vector as its features.
//
// neg, with weight w > 0, are the negatives (passedOver's pairs): each
// becomes a cell of weight w of its actor's side's negatives.
func twoSided(m *recall.Interest, f *factors, features func(ix uint32) []factorFeature, neg []pair, w float64) (factor.TwoSided, error) {
	local, global := f.local, f.global
	var d factor.TwoSided
	var hist []recall.Entry
	var negCells [3][]factor.Cell
	if w > 0 {
		for _, p := range neg {
			a, t := p.actor, p.target
			if int(a) >= len(local) || int(t) >= len(local) || local[a] < 0 || local[t] < 0 || f.sides[t] != f.sides[a].Other() {
				continue
			}
			negCells[f.sides[a]] = append(negCells[f.sides[a]], factor.Cell{Row: uint32(local[a]), Col: uint32(local[t]), Value: w})
		}
	}
	for _, s := range []market.Side{market.Seeker, market.Recruiter} {
		var cells []factor.Cell
		for l, g := range global[s] {
			hist = m.History(g, hist[:0])
			for _, en := range hist {
				if int(en.Index) < len(local) && local[en.Index] >= 0 && en.Weight > 0 {
					cells = append(cells, factor.Cell{Row: uint32(l), Col: uint32(local[en.Index]), Value: en.Weight})
				}
			}
		}
		c, err := factor.FromCells(len(global[s]), len(global[s.Other()]), cells)
		if err != nil {
			return d, err
		}
		var nc *factor.CSR
		if len(negCells[s]) > 0 {
			n, err := factor.FromCells(len(global[s]), len(global[s.Other()]), negCells[s])
			if err != nil {
				return d, err
			}
			nc = &n
		}
		if s == market.Seeker {
			d.SeekerInterest, d.SeekerNegatives = c, nc
		} else {
			d.JobInterest, d.JobNegatives = c, nc
		}
		if features == nil {
			continue
		}
		var fc []factor.Cell
		dim := 0
		for l, g := range global[s] {
			for _, x := range features(g) {
				fc = append(fc, factor.Cell{Row: uint32(l), Col: x.j, Value: x.v})
				dim = max(dim, int(x.j)+1)
			}
		}
		f, err := factor.FromCells(len(global[s]), max(dim, 1), fc)
		if err != nil {
			return d, err
		}
		if s == market.Seeker {
			d.SeekerFeatures = &f
		} else {
			d.JobFeatures = &f
		}
	}
	return d, nil
}

// pair is an (actor, target) pair of global indices.
type pair struct{ actor, target uint32 }

// passedOver returns the pairs of log whose actor took an action of
// negative weight on the target (a Reject, whatever else it did: an
// explicit no after a view is a no, as for the interest samples), or was
// shown it (an impression) and took no action of positive weight, sorted:
// the negatives of the factor models (FactorConfig.PassedOver). A pair
// whose interest weights still sum above zero keeps its interest cell
// (factor.Data.Negatives). Without PassedOver it returns nil.
func (e *Engine) passedOver(log []event) []pair {
	if e.cfg.Factors.PassedOver == 0 {
		return nil
	}
	w := e.cfg.ActionWeights.Table()
	type mark struct{ seen, positive, no bool }
	by := map[pair]mark{}
	for _, ev := range log {
		p := pair{ev.actor, ev.target}
		m := by[p]
		switch x := w[ev.action]; {
		case x > 0:
			m.positive = true
		case x < 0:
			m.no = true
		case ev.action == market.Impression:
			m.seen = true
		}
		by[p] = m
	}
	var out []pair
	for p, m := range by {
		if m.no || (m.seen && !m.positive) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b pair) int { return cmp.Or(cmp.Compare(a.actor, b.actor), cmp.Compare(a.target, b.target)) })
	return out
}

type factorFeature struct {
	j uint32
	v float64
}

// contentFeatures returns ix's content vector as factor features: its
// finite positive entries.
func (st *state) contentFeatures(ix uint32) []factorFeature {
	c, ok := st.catalog.Content(ix)
	if !ok {
		return nil
	}
	out := make([]factorFeature, 0, len(c.Vector.Idx))
	for k, j := range c.Vector.Idx {
		if v := c.Vector.Val[k]; v > 0 && !math.IsInf(v, 0) {
			out = append(out, factorFeature{j, v})
		}
	}
	return out
}

// fitFactors fits the two-sided model of interest matrix m. report, when
// not nil, gets every iteration.
// f gives the local indices; neg are the negatives (passedOver's pairs,
// those of the matrix's events).
func (e *Engine) fitFactors(ctx context.Context, st *state, m *recall.Interest, f *factors, neg []pair, report func(factor.Progress)) (*factor.Reciprocal, error) {
	fc := e.cfg.Factors
	var feats func(uint32) []factorFeature
	if !fc.Plain {
		feats = st.contentFeatures
	}
	d, err := twoSided(m, f, feats, neg, fc.PassedOver)
	if err != nil {
		return nil, fmt.Errorf("twoway: fit: factors: %w", err)
	}
	if d.SeekerInterest.NNZ() == 0 || d.JobInterest.NNZ() == 0 {
		return nil, factor.ErrEmpty
	}
	cfg := fc.Model
	if report != nil {
		cfg.Progress = func(p factor.Progress) error { report(p); return nil }
	}
	tr, err := factor.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: Factors.Model: %w", ErrConfig, err)
	}
	rec, err := tr.FitTwoSided(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("twoway: fit: factors: %w", err)
	}
	return rec, nil
}

// buildFactors fits the state's factor model on its interest matrix and
// builds vector recall, with the embeddings already in f (or a new f).
func (e *Engine) buildFactors(ctx context.Context, st *state, f *factors, neg []pair, rep *reporter) error {
	iters := 15
	if tr, err := factor.New(e.cfg.Factors.Model); err == nil {
		iters = tr.Config().Iterations
	}
	rec, err := e.fitFactors(ctx, st, st.matrix, f, neg, func(p factor.Progress) {
		share := 0.0
		if p.Side == market.Recruiter {
			share = 0.5
		}
		rep.step(p.Side.String()+" factors", p.Iteration, iters, share+0.5*min(float64(p.Iteration)/float64(iters), 1))
	})
	if errors.Is(err, factor.ErrEmpty) {
		e.cfg.Logger.Info("twoway: fit: factors left out: an empty side of the interest matrix")
		return nil
	}
	if err != nil {
		return err
	}
	f.rec, f.hybrid, f.recall, f.evident = rec, !e.cfg.Factors.Plain, !e.cfg.Factors.NoRecall, e.cfg.Factors.Evidence
	return nil
}

// recallers builds f's vector recallers over n participants.
func (f *factors) recallers(n int) error {
	for _, s := range []market.Side{market.Seeker, market.Recruiter} {
		if f.rec != nil && f.recall {
			q, c := f.rec.Vectors(s, 1, 1)
			queries, cands := make([][]float32, n), make([][]float32, n)
			for l, g := range f.global[s] {
				queries[g] = q[l]
			}
			for l, g := range f.global[s.Other()] {
				cands[g] = c[l]
			}
			v, err := recall.NewVectors(recall.VectorsConfig{Name: "factors", Side: s, Queries: queries, Candidates: cands})
			if err != nil {
				return fmt.Errorf("twoway: factors: vector recall: %w", err)
			}
			f.vectors[s] = v
		}
		if f.emb != nil {
			rows := f.emb.Rows()
			v, err := recall.NewVectors(recall.VectorsConfig{Name: "embeddings", Side: s, Queries: rows, Candidates: rows})
			if err != nil {
				return fmt.Errorf("twoway: embeddings: vector recall: %w", err)
			}
			f.embRec[s] = v
		}
	}
	return nil
}

// recaller returns the vector recaller of f's factors (or, with emb, of
// its embeddings): a requester with a fitted vector is recalled by
// recall.Vectors, one upserted since the Fit by its cold-start vector.
func (f *factors) recaller(emb bool) recall.Recaller {
	return recall.RecallerFunc(func(ctx context.Context, req recall.Request, dst []recall.Candidate) ([]recall.Candidate, error) {
		if !req.Side.Valid() {
			return dst, nil
		}
		v := f.vectors[req.Side]
		if emb {
			v = f.embRec[req.Side]
		}
		if v == nil {
			return dst, nil
		}
		if v.Query(req.Requester) != nil {
			return v.Recall(ctx, req, dst)
		}
		var q []float32
		if emb {
			f.mu.RLock()
			q = f.live[req.Requester]
			f.mu.RUnlock()
		} else {
			row, col := f.rowOf(req.Requester, req.Side), f.colOf(req.Requester, req.Side)
			if len(row) > 0 && len(col) == len(row) {
				q = slices.Concat(row, col)
			}
		}
		if len(q) != v.Dim() {
			return dst, nil
		}
		return v.RecallVector(ctx, req, q, dst)
	})
}

// setCold computes the cold-start factors of ix (of side), a participant
// without a local index, from its content features. Without hybrid
// factors, or for a fitted participant, it does nothing.
func (st *state) setCold(ix uint32, side market.Side) {
	f := st.factors
	if f == nil || f.rec == nil || !f.hybrid || f.localOf(ix) >= 0 || !side.Valid() {
		return
	}
	var v sparse.Vector
	for _, x := range st.contentFeatures(ix) {
		v.Idx, v.Val = append(v.Idx, x.j), append(v.Val, x.v)
	}
	own, other := f.rec.Model(side), f.rec.Model(side.Other())
	row, err1 := own.RowFromFeatures(v, nil)
	col, err2 := other.ColFromFeatures(v, nil)
	if err1 != nil || err2 != nil {
		// Content vectors are finite and sorted (features past a model's
		// are ignored): this does not happen; leave ix without factors.
		return
	}
	f.mu.Lock()
	if f.cold == nil {
		f.cold = map[uint32]coldFactors{}
	}
	f.cold[ix] = coldFactors{side, row, col}
	f.mu.Unlock()
}

// embedCounters count the embedder's failures since New.
type embedCounters struct {
	calls, failed, profiles atomic.Int64
}

// embed embeds profiles with Config.Embedder under its timeout; failures
// are counted and reported, never returned (except ctx's end at a Fit).
func (e *Engine) embed(ctx context.Context, op string, profiles []market.Profile) (factor.Embeddings, error) {
	start := time.Now()
	out, err := factor.EmbedAll(ctx, e.cfg.Embedder, profiles, e.cfg.Embed)
	e.embeds.calls.Add(1)
	e.embeds.profiles.Add(int64(len(profiles)))
	e.embeds.failed.Add(int64(out.Failed))
	if out.Failed > 0 {
		e.cfg.Logger.Warn("twoway: "+op+": embedder failed; those profiles fall back to the other features", "failed", out.Failed, "of", len(profiles), "err", out.Err)
	}
	if o, ok := e.cfg.Observer.(EmbedObserver); ok {
		o.Embed(EmbedStats{Op: op, Profiles: len(profiles), Embedded: out.Embedded, Empty: out.Empty, Failed: out.Failed, Duration: time.Since(start)})
	}
	return out, err
}

// embedUpserted embeds a batch being upserted after a Fit and stores the
// vectors in the current state's live embeddings. It never fails.
func (e *Engine) embedUpserted(ctx context.Context, profiles []market.Profile) {
	st := e.state.Load()
	if e.cfg.Embedder == nil || st.factors == nil || st.factors.emb == nil || len(profiles) == 0 {
		return
	}
	out, err := e.embed(ctx, "upsert", profiles)
	if err != nil || out.Table == nil {
		return
	}
	f := st.factors
	got := map[uint32][]float32{}
	for i := range profiles {
		if !out.Table.Has(i) || out.Table.Dim() != f.emb.Dim() {
			continue
		}
		if ix, ok := e.dict.Lookup(profiles[i].ID); ok {
			got[ix] = slices.Clone(out.Table.Row(i))
		}
	}
	f.store(got)
	// A Fit that swapped its state in meanwhile carried over only what
	// was stored before its swap: store into its state too.
	if now := e.state.Load(); now != st && now.factors != nil && now.factors.emb != nil && now.factors.emb.Dim() == f.emb.Dim() {
		now.factors.store(got)
	}
}

// store adds embeddings to f's live ones.
func (f *factors) store(got map[uint32][]float32) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.live == nil {
		f.live = map[uint32][]float32{}
	}
	maps.Copy(f.live, got)
}

// factorStage builds st.factors: the host's embeddings of every profile,
// the two-sided factor model, vector recall, and the collaborative merge
// with them.
func (e *Engine) factorStage(ctx context.Context, st *state, profiles []market.Profile, removed []bool, neg []pair, rep *reporter) error {
	f := &factors{}
	f.local, f.sides, f.global = localIndex(profiles, removed)
	n := len(profiles)
	if e.cfg.Embedder != nil {
		rep.step("embeddings", 0, 0, 0)
		var ps []market.Profile
		var ixs []int
		for i, p := range profiles {
			if p.ID != "" && !removed[i] {
				ps, ixs = append(ps, p), append(ixs, i)
			}
		}
		out, err := e.embed(ctx, "fit", ps)
		if err != nil {
			return fmt.Errorf("twoway: fit: embeddings: %w", err)
		}
		if out.Embedded > 0 {
			rows := make([][]float32, n)
			for k, i := range ixs {
				if out.Table.Has(k) {
					rows[i] = out.Table.Row(k)
				}
			}
			if f.emb, err = factor.NewTable(rows); err != nil {
				return fmt.Errorf("twoway: fit: embeddings: %w", err)
			}
		}
	}
	if e.cfg.Factors.on() {
		if err := e.buildFactors(ctx, st, f, neg, rep); err != nil {
			return err
		}
	}
	if err := f.recallers(n); err != nil {
		return err
	}
	st.factors = f
	return st.newCollab()
}

// carry brings into f what prev learned about the participants upserted
// while f's Fit ran: their embeddings (their cold-start factors were set
// by setContent).
func (f *factors) carry(prev *factors, upserted []uint32) {
	if f == nil || prev == nil || f.emb == nil {
		return
	}
	for _, ix := range upserted {
		prev.mu.RLock()
		v, ok := prev.live[ix]
		prev.mu.RUnlock()
		if ok && len(v) == f.emb.Dim() {
			f.mu.Lock()
			if f.live == nil {
				f.live = map[uint32][]float32{}
			}
			f.live[ix] = v
			f.mu.Unlock()
		}
	}
}

// appendBinary appends f's encoding to w (the snapshot's factor section):
//
//	model present bool, then its factor.Reciprocal stream (blob)
//	hybrid bool, vector recall bool, evidence bool (from snapshot
//	version 8; before it the factors were always evidence)
//	each side's participants in local order (seekers, recruiters: Uint32s)
//	embeddings present bool, then its factor.Table stream (blob)
//	cold-start factors: count, then per participant (ascending) index,
//	row and column (float32 blobs)
//	embeddings since the Fit: count, then per participant index, vector
func (f *factors) appendBinary(w *binio.Writer) error {
	w.Bool(f.rec != nil)
	if f.rec != nil {
		var b bytes.Buffer
		if _, err := f.rec.WriteTo(&b); err != nil {
			return err
		}
		w.Bytes(b.Bytes())
	}
	w.Bool(f.hybrid)
	w.Bool(f.recall)
	w.Bool(f.evident)
	w.Uint32s(f.global[market.Seeker])
	w.Uint32s(f.global[market.Recruiter])
	w.Bool(f.emb != nil)
	if f.emb != nil {
		var b bytes.Buffer
		if _, err := f.emb.WriteTo(&b); err != nil {
			return err
		}
		w.Bytes(b.Bytes())
	}
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, m := range []map[uint32][]float32{nil, f.live} {
		if m == nil {
			ixs := slices.Sorted(maps.Keys(f.cold))
			w.Uvarint(uint64(len(ixs)))
			for _, ix := range ixs {
				w.Uvarint(uint64(ix))
				w.Bytes(f32bytes(f.cold[ix].row))
				w.Bytes(f32bytes(f.cold[ix].col))
			}
			continue
		}
		ixs := slices.Sorted(maps.Keys(m))
		w.Uvarint(uint64(len(ixs)))
		for _, ix := range ixs {
			w.Uvarint(uint64(ix))
			w.Bytes(f32bytes(m[ix]))
		}
	}
	return nil
}

func f32bytes(v []float32) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	}
	return b
}

// f32s decodes a float32 blob of length dim (any length when dim < 0).
func f32s(b []byte, dim int) ([]float32, error) {
	if len(b)%4 != 0 || (dim >= 0 && len(b) != 4*dim) {
		return nil, fmt.Errorf("a vector of %d bytes, want %d", len(b), 4*max(dim, 0))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		if math.IsNaN(float64(v[i])) || math.IsInf(float64(v[i]), 0) {
			return nil, fmt.Errorf("entry %d is %v", i, v[i])
		}
	}
	return v, nil
}

// decodeFactors reads a factor section written by appendBinary for a
// snapshot (of the given version) of the given profiles, and checks it
// against them. Errors say what is wrong (the caller wraps them as
// corrupt).
func decodeFactors(b []byte, profiles []market.Profile, version uint64) (*factors, error) {
	r := binio.NewReader(b)
	f := &factors{}
	if r.Bool() {
		blob := r.Bytes()
		if err := r.Err(); err != nil {
			return nil, err
		}
		f.rec = new(factor.Reciprocal)
		if _, err := f.rec.ReadFrom(bytes.NewReader(blob)); err != nil {
			return nil, fmt.Errorf("model: %w", err)
		}
	}
	f.hybrid, f.recall = r.Bool(), r.Bool()
	f.evident = true
	if version >= 8 {
		f.evident = r.Bool()
	}
	f.global[market.Seeker], f.global[market.Recruiter] = r.Uint32s(), r.Uint32s()
	if err := r.Err(); err != nil {
		return nil, err
	}
	n := len(profiles)
	f.local, f.sides = make([]int32, n), make([]market.Side, n)
	for i := range f.local {
		f.local[i] = -1
	}
	for _, s := range []market.Side{market.Seeker, market.Recruiter} {
		for l, g := range f.global[s] {
			if int(g) >= n || profiles[g].Side != s || f.local[g] >= 0 || (l > 0 && g <= f.global[s][l-1]) {
				return nil, fmt.Errorf("%v participant %d: index %d out of range, order or side", s, l, g)
			}
			f.local[g], f.sides[g] = int32(l), s
		}
	}
	k := 0
	if f.rec != nil {
		sm := f.rec.Model(market.Seeker)
		if sm.Rows() != len(f.global[market.Seeker]) || sm.Cols() != len(f.global[market.Recruiter]) {
			return nil, fmt.Errorf("model of %d × %d for %d seekers and %d jobs", sm.Rows(), sm.Cols(), len(f.global[market.Seeker]), len(f.global[market.Recruiter]))
		}
		k = sm.Factors()
	}
	if r.Bool() {
		blob := r.Bytes()
		if err := r.Err(); err != nil {
			return nil, err
		}
		f.emb = new(factor.Table)
		if _, err := f.emb.ReadFrom(bytes.NewReader(blob)); err != nil {
			return nil, fmt.Errorf("embeddings: %w", err)
		}
		if f.emb.Len() > n {
			return nil, fmt.Errorf("embeddings of %d participants, the snapshot has %d", f.emb.Len(), n)
		}
	}
	for part := range 2 {
		cnt := r.Count(3)
		prev := -1
		for i := 0; i < cnt && r.Err() == nil; i++ {
			ix := int(r.Uint32())
			a := r.Bytes()
			var c []byte
			if part == 0 {
				c = r.Bytes()
			}
			if r.Err() != nil {
				break
			}
			if ix <= prev || ix >= n {
				return nil, fmt.Errorf("participant %d out of order or range", ix)
			}
			prev = ix
			if part == 0 {
				if f.rec == nil || f.local[ix] >= 0 {
					return nil, fmt.Errorf("cold-start factors of participant %d, which has fitted ones or no model", ix)
				}
				row, err := f32s(a, k)
				if err != nil {
					return nil, fmt.Errorf("cold-start factors of participant %d: %w", ix, err)
				}
				col, err := f32s(c, k)
				if err != nil {
					return nil, fmt.Errorf("cold-start factors of participant %d: %w", ix, err)
				}
				if f.cold == nil {
					f.cold = map[uint32]coldFactors{}
				}
				f.cold[uint32(ix)] = coldFactors{profiles[ix].Side, row, col}
				continue
			}
			if f.emb == nil {
				return nil, fmt.Errorf("embedding of participant %d without embeddings", ix)
			}
			v, err := f32s(a, f.emb.Dim())
			if err != nil {
				return nil, fmt.Errorf("embedding of participant %d: %w", ix, err)
			}
			if f.live == nil {
				f.live = map[uint32][]float32{}
			}
			f.live[uint32(ix)] = v
		}
	}
	if err := r.Done(); err != nil {
		return nil, err
	}
	if err := f.recallers(n); err != nil {
		return nil, err
	}
	return f, nil
}
