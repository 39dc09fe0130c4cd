package rank

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/realdata"
	"github.com/twowayrec/twoway/internal/speeddating"
	"github.com/twowayrec/twoway/sparse"
)

// This file evaluates the package on real two-sided decisions: the
// Columbia speed-dating experiment (../shared/data/speeddating). A row is
// person iid's decision `dec` about partner pid. The model sees only
//
//   - the partner's own profile (from the partner's own survey rows: age,
//     race, field, career, goal, how often they go out and on dates, and
//     their stated preference weights pf_o_*),
//   - the mean ratings the partner received from OTHER raters in visible
//     ("training") pairs, never from the row's rater,
//   - pair features: same race, age gap, int_corr.
//
// It never reads the row's own ratings, like, prob, match or dec_o:
// rowColumns is the complete list of columns read from the predicted row,
// and the rating means skip every row of the same rater.
//
// Protocol. Waves are closed markets. Visible rows are every row of the
// training waves plus, in the test waves, the meetings in the first half
// of each evening (order <= round/2). Hidden rows are the second half of
// the test waves' evenings: later decisions predicted from earlier
// information. Partner rating means use visible rows only.
//
//   - Global, issue protocol: fit on the training waves only; test on every
//     row of the test waves.
//   - Global vs hierarchical on the hidden rows: both fitted on all visible
//     rows (so both see the same data), the hierarchical model adding a
//     correction per rater (entity = iid) learned from that rater's own
//     early decisions.
//
// L2 and the prior precision λ are chosen on a validation split (train
// waves 1–7, test waves 8–10) by hidden-row log-loss, then the models are
// refitted for train waves 1–10, test waves 11–14.

// rowColumns are the only columns read from the row being predicted.
var rowColumns = []string{"age", "age_o", "race_o", "samerace", "int_corr",
	"pf_o_att", "pf_o_sin", "pf_o_int", "pf_o_fun", "pf_o_amb", "pf_o_sha"}

// ratingColumns are the ratings a partner receives; only their means over
// other raters' visible rows are used.
var ratingColumns = []string{"attr", "sinc", "intel", "fun", "amb", "shar", "like"}

// rowNum reads an allowed column of the predicted row; reading any other
// column is a bug in this test (a potential leak) and panics.
func rowNum(r *speeddating.Row, col string) float64 {
	if !slices.Contains(rowColumns, col) {
		panic("speed-dating features read column " + col + " of the predicted row")
	}
	return r.Num(col)
}

type sdSplit struct {
	trainMax       int // training waves are 1..trainMax
	testLo, testHi int // test waves
}

func (s sdSplit) inTest(r *speeddating.Row) bool { return r.Wave >= s.testLo && r.Wave <= s.testHi }
func (s sdSplit) inTrain(r *speeddating.Row) bool {
	return r.Wave <= s.trainMax
}

// visible reports whether a row is known at fitting time.
func (s sdSplit) visible(r *speeddating.Row) bool {
	return s.inTrain(r) || (s.inTest(r) && 2*r.Order <= r.Round)
}

// sdFeaturizer turns rows into named features.
type sdFeaturizer struct {
	profile map[int]*speeddating.Row // person → one of their own rows
	// received[p][c] holds (rater, rating) pairs of column c for partner p
	// from visible rows.
	received map[int]map[string][]rated
	// raterMean[j][c] is rater j's mean visible rating in column c.
	raterMean map[int]map[string]float64
}

type rated struct {
	rater int
	v     float64
}

func newSDFeaturizer(tab *speeddating.Table, s sdSplit) *sdFeaturizer {
	f := &sdFeaturizer{profile: map[int]*speeddating.Row{}, received: map[int]map[string][]rated{}, raterMean: map[int]map[string]float64{}}
	raterCount := map[int]map[string]float64{}
	for i := range tab.Rows {
		r := &tab.Rows[i]
		if _, ok := f.profile[r.IID]; !ok {
			f.profile[r.IID] = r
		}
		if !s.visible(r) {
			continue
		}
		m := f.received[r.PID]
		if m == nil {
			m = map[string][]rated{}
			f.received[r.PID] = m
		}
		if f.raterMean[r.IID] == nil {
			f.raterMean[r.IID], raterCount[r.IID] = map[string]float64{}, map[string]float64{}
		}
		for _, c := range ratingColumns {
			if v := r.Num(c); !math.IsNaN(v) {
				m[c] = append(m[c], rated{r.IID, v})
				f.raterMean[r.IID][c] += v
				raterCount[r.IID][c]++
			}
		}
	}
	for j, m := range f.raterMean {
		for c := range m {
			m[c] /= raterCount[j][c]
		}
	}
	return f
}

// features returns the raw features of row r: "n:" numeric (to be
// standardised; missing ones become an "m:" indicator) and "c:"
// categorical.
func (f *sdFeaturizer) features(r *speeddating.Row) []Feature {
	var out []Feature
	num := func(name string, v float64) {
		if math.IsNaN(v) {
			out = append(out, Feature{"m:" + name, 1})
			return
		}
		out = append(out, Feature{"n:" + name, v})
	}
	cat := func(name string, v float64) {
		if math.IsNaN(v) {
			out = append(out, Feature{"c:" + name + "=?", 1})
			return
		}
		out = append(out, Feature{fmt.Sprintf("c:%s=%g", name, v), 1})
	}
	pg := fmt.Sprintf("|pg=%d", 1-r.Gender) // partner's gender
	// Partner profile.
	p := f.profile[r.PID]
	pnum := func(c string) float64 {
		if p == nil {
			return math.NaN()
		}
		return p.Num(c)
	}
	num("p_age", rowNum(r, "age_o"))
	cat("p_race", rowNum(r, "race_o"))
	for _, c := range []string{"field_cd", "career_c", "goal"} {
		cat("p_"+c, pnum(c))
	}
	num("p_go_out", pnum("go_out"))
	num("p_date", pnum("date"))
	// Stated weights are 100-point allocations in most waves and 1–10
	// scores in others: use each weight's share of the six.
	pf := []string{"pf_o_att", "pf_o_sin", "pf_o_int", "pf_o_fun", "pf_o_amb", "pf_o_sha"}
	var total float64
	for _, c := range pf {
		total += rowNum(r, c)
	}
	for _, c := range pf {
		num(c+pg, rowNum(r, c)/total)
	}
	// Partner's mean received ratings from other raters.
	for _, c := range ratingColumns {
		// Raw mean, and mean of each rating minus its rater's own mean
		// (raters differ in how generous they are).
		var s, sc, n float64
		for _, x := range f.received[r.PID][c] {
			if x.rater != r.IID {
				s += x.v
				sc += x.v - f.raterMean[x.rater][c]
				n++
			}
		}
		v, vc := math.NaN(), math.NaN()
		if n > 0 {
			v, vc = s/n, sc/n
		}
		num("recv_"+c+pg, v)
		num("recv_centred_"+c+pg, vc)
	}
	// Pair features.
	cat("samerace", rowNum(r, "samerace"))
	gap := rowNum(r, "age_o") - rowNum(r, "age")
	num("age_gap"+pg, gap)
	num("abs_age_gap", math.Abs(gap))
	num("int_corr", rowNum(r, "int_corr"))
	out = append(out, Feature{"c:partner_gender" + pg, 1})
	return out
}

// sdEncoder standardises numeric features with statistics of the fitting
// rows and maps names to indices.
type sdEncoder struct {
	dict      *Dictionary
	mean, std map[string]float64
	b         sparse.Builder
}

func newSDEncoder(rows [][]Feature) *sdEncoder {
	e := &sdEncoder{mean: map[string]float64{}, std: map[string]float64{}}
	e.dict, _ = NewDictionary(1 << 16)
	sum, sq, cnt := map[string]float64{}, map[string]float64{}, map[string]float64{}
	for _, fs := range rows {
		for _, f := range fs {
			if strings.HasPrefix(f.Name, "n:") {
				sum[f.Name] += f.Value
				sq[f.Name] += f.Value * f.Value
				cnt[f.Name]++
			}
		}
	}
	for name, n := range cnt {
		m := sum[name] / n
		e.mean[name] = m
		e.std[name] = math.Sqrt(max(sq[name]/n-m*m, 1e-12))
	}
	for _, fs := range rows {
		e.encode(fs, true)
	}
	return e
}

func (e *sdEncoder) encode(fs []Feature, grow bool) sparse.Vector {
	std := make([]Feature, 0, len(fs))
	for _, f := range fs {
		if strings.HasPrefix(f.Name, "n:") {
			s, ok := e.std[f.Name]
			if !ok {
				continue
			}
			f.Value = (f.Value - e.mean[f.Name]) / s
		}
		std = append(std, f)
	}
	v, err := e.dict.Encode(sparse.Vector{}, &e.b, grow, std...)
	if err != nil {
		panic(err)
	}
	return v.Clone()
}

type sdData struct {
	d      *Dataset
	entity []uint32
	rows   []*speeddating.Row
}

func sdBuild(enc *sdEncoder, feats map[*speeddating.Row][]Feature, rows []*speeddating.Row) sdData {
	out := sdData{d: &Dataset{}, rows: rows}
	for _, r := range rows {
		y := 0.0
		if r.Dec {
			y = 1
		}
		if err := out.d.Add(enc.encode(feats[r], false), y, 1); err != nil {
			panic(err)
		}
		out.entity = append(out.entity, uint32(r.IID))
	}
	return out
}

type sdScores struct{ auc, gauc, logloss float64 }

func sdEval(predict func(i int) float64, test sdData) sdScores {
	p := make([]float64, test.d.Len())
	l := make([]bool, len(p))
	for i := range p {
		p[i] = predict(i)
		l[i] = test.d.Label[i] == 1
	}
	g, _ := GAUC(test.entity, p, l)
	return sdScores{AUC(p, l), g, LogLoss(p, l)}
}

// sdPrepared is one split's encoded datasets.
type sdPrepared struct {
	dim                     int
	train, vis, all, hidden sdData
}

func sdPrepare(tab *speeddating.Table, s sdSplit) *sdPrepared {
	f := newSDFeaturizer(tab, s)
	feats := map[*speeddating.Row][]Feature{}
	var train, vis, all, hidden []*speeddating.Row
	for i := range tab.Rows {
		r := &tab.Rows[i]
		if r.Wave > s.testHi {
			continue
		}
		feats[r] = f.features(r)
		if s.inTrain(r) {
			train = append(train, r)
		}
		if s.visible(r) {
			vis = append(vis, r)
		}
		if s.inTest(r) {
			all = append(all, r)
			if !s.visible(r) {
				hidden = append(hidden, r)
			}
		}
	}
	visFeats := make([][]Feature, len(vis))
	for i, r := range vis {
		visFeats[i] = feats[r]
	}
	enc := newSDEncoder(visFeats)
	return &sdPrepared{
		dim:   enc.dict.Len(),
		train: sdBuild(enc, feats, train), vis: sdBuild(enc, feats, vis),
		all: sdBuild(enc, feats, all), hidden: sdBuild(enc, feats, hidden),
	}
}

func predictWith(m *Model, d sdData) func(int) float64 {
	return func(i int) float64 { return m.Predict(d.d.Row(i)) }
}

// hier fits the hierarchical model on the visible rows and scores the
// hidden ones.
func (p *sdPrepared) hier(t testing.TB, l2 float64, hc HierarchicalConfig) (sdScores, *Hierarchical) {
	hc.Global = Config{L2: l2, Dim: p.dim}
	h, err := FitHierarchical(context.Background(), hc, p.vis.d, p.vis.entity)
	require.NoError(t, err)
	return sdEval(func(i int) float64 { return h.Predict(p.hidden.entity[i], p.hidden.d.Row(i)) }, p.hidden), h
}

func (p *sdPrepared) global(t testing.TB, l2 float64, d sdData) *Model {
	m, err := Fit(context.Background(), Config{L2: l2, Dim: p.dim}, d.d)
	require.NoError(t, err)
	return m
}

func TestSpeedDatingEvaluation(t *testing.T) {
	if testing.Short() {
		t.Skip("real-data evaluation skipped in -short mode")
	}
	tab, err := speeddating.Open(realdata.Require(t, speeddating.File))
	require.NoError(t, err)

	// Choose L2 and the priors on the validation split only.
	val := sdPrepare(tab, sdSplit{trainMax: 7, testLo: 8, testHi: 10})
	bestL2, bestLoss := 0.0, math.Inf(1)
	for _, l2 := range []float64{1e-3, 3e-3, 1e-2, 3e-2, 1e-1} {
		r := sdEval(predictWith(val.global(t, l2, val.vis), val.hidden), val.hidden)
		t.Logf("validation L2=%-6g global(visible) hidden-row log-loss %.4f AUC %.4f GAUC %.4f", l2, r.logloss, r.auc, r.gauc)
		if r.logloss < bestLoss {
			bestL2, bestLoss = l2, r.logloss
		}
	}
	type family struct {
		name  string
		grid  []HierarchicalConfig
		best  HierarchicalConfig
		score float64
	}
	families := []*family{{name: "per-rater intercept only"}, {name: "per-rater intercept + taste, one λ"}, {name: "per-rater intercept + taste, λ_b and λ"}}
	for _, lb := range []float64{0.3, 1, 3, 10, 30} {
		families[0].grid = append(families[0].grid, HierarchicalConfig{InterceptLambda: lb, InterceptOnly: true})
		families[1].grid = append(families[1].grid, HierarchicalConfig{Lambda: lb})
		for _, l := range []float64{10, 30, 100, 300} {
			families[2].grid = append(families[2].grid, HierarchicalConfig{InterceptLambda: lb, Lambda: l})
		}
	}
	families[1].grid = append(families[1].grid, HierarchicalConfig{Lambda: 100})
	for _, f := range families {
		f.score = math.Inf(1)
		for _, hc := range f.grid {
			r, _ := val.hier(t, bestL2, hc)
			t.Logf("validation %s λ_b=%g λ=%g: hidden-row log-loss %.4f AUC %.4f GAUC %.4f", f.name, hc.InterceptLambda, hc.Lambda, r.logloss, r.auc, r.gauc)
			if r.logloss < f.score {
				f.best, f.score = hc, r.logloss
			}
		}
	}

	test := sdPrepare(tab, sdSplit{trainMax: 10, testLo: 11, testHi: 14})
	t.Logf("rows: train waves 1–10 %d; visible (waves 1–10 + first halves of 11–14) %d; test waves 11–14 %d, of which hidden second halves %d",
		test.train.d.Len(), test.vis.d.Len(), test.all.d.Len(), test.hidden.d.Len())
	t.Logf("| model | fitted on | tested on | AUC | GAUC (per rater) | log-loss |")
	t.Logf("|---|---|---|---|---|---|")
	row := func(name, fit, on string, s sdScores) {
		t.Logf("| %s | %s | %s | %.4f | %.4f | %.4f |", name, fit, on, s.auc, s.gauc, s.logloss)
	}
	g1 := test.global(t, bestL2, test.train)
	issue := sdEval(predictWith(g1, test.all), test.all)
	row(fmt.Sprintf("global LR (L2=%g)", bestL2), "waves 1–10", "all rows of waves 11–14", issue)
	row("global LR", "waves 1–10", "hidden halves of 11–14", sdEval(predictWith(g1, test.hidden), test.hidden))
	gv := test.global(t, bestL2, test.vis)
	global := sdEval(predictWith(gv, test.hidden), test.hidden)
	row("global LR", "visible rows", "hidden halves of 11–14", global)
	for _, f := range families {
		r, h := test.hier(t, bestL2, f.best)
		lb := f.best.InterceptLambda
		if lb == 0 {
			lb = f.best.Lambda
		}
		name := fmt.Sprintf("hierarchical: %s (λ_b=%g", f.name, lb)
		if !f.best.InterceptOnly {
			name += fmt.Sprintf(", λ=%g", f.best.Lambda)
		}
		row(name+")", "visible rows", "hidden halves of 11–14", r)
		// The hierarchical model's global part is the same fit as gv.
		require.InDeltaSlice(t, gv.Weights(), h.Global().Weights(), 1e-9)
	}

	// Sanity, not tuned numbers: partner profile and reputation predict
	// decisions well above chance (0.5).
	require.Greater(t, issue.auc, 0.6)
	require.Greater(t, issue.gauc, 0.6)
}
