package urgency

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/rank"
	"github.com/twowayrec/twoway/sparse"
)

// Training is the input of [Fit].
type Training struct {
	// Names names the entries of Input.Vector ([VectorNames]).
	Names []string
	// Inputs holds every participant's input at the cut-off, by index
	// ([Inputs]).
	Inputs []Input
	// Users are the participants to learn from (for example the training
	// split of the users); nil means all of Inputs.
	Users []uint32
	// Labels holds every participant's label, by index ([Labels]).
	Labels []bool
}

// ErrNoData is returned by Fit when there is nothing to learn from.
var ErrNoData = errors.New("urgency: no labelled users of both kinds")

// Model is a fitted urgency model: a logistic regression on the
// standardised input vector,
//
//	raw(x) = σ(b + Σ_j w_j (x_j − μ_j)/σ_j)
//	urgency = w·raw + (1 − w)·prior,   w = n/(n + MinHistory)
//
// where n is the participant's [History], so a participant with little
// history gets about the prior (by default the label's rate among the
// low-history training users, see Config.Prior). A Model is immutable and safe for
// concurrent use; refresh by fitting a new one and swapping an
// atomic.Pointer.
type Model struct {
	names      []string
	mean       []float64
	scale      []float64 // 1/σ_j, 0 for a constant feature
	w          []float64 // on standardised features
	bias       float64
	wRaw       []float64 // w_j/σ_j, on raw features
	biasRaw    float64   // b − Σ_j w_j μ_j/σ_j
	prior      float64
	minHistory float64
}

// Fit trains an urgency model on t. It returns ErrNoData without users of
// both labels and an error naming the user whose input or label is
// missing.
func Fit(ctx context.Context, cfg Config, t Training) (*Model, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	users := t.Users
	if users == nil {
		users = make([]uint32, len(t.Inputs))
		for i := range users {
			users[i] = uint32(i)
		}
	}
	if len(users) == 0 {
		return nil, ErrNoData
	}
	rows := make([][]float64, len(users))
	labels := make([]float64, len(users))
	var pos float64
	for i, u := range users {
		if int(u) >= len(t.Inputs) || int(u) >= len(t.Labels) {
			return nil, fmt.Errorf("urgency: user %d: no input or label", u)
		}
		rows[i] = t.Inputs[u].Vector(nil)
		if len(rows[i]) != len(t.Names) {
			return nil, fmt.Errorf("urgency: user %d: %d features but %d names", u, len(rows[i]), len(t.Names))
		}
		if t.Labels[u] {
			labels[i] = 1
			pos++
		}
	}
	if pos == 0 || pos == float64(len(rows)) {
		return nil, ErrNoData
	}
	m := &Model{names: slices.Clone(t.Names), minHistory: c.MinHistory, prior: c.Prior}
	if m.prior == 0 {
		m.prior = lowHistoryRate(t, users, c.MinHistory, pos/float64(len(rows)))
	}
	m.mean, m.scale = standardise(rows)
	var d rank.Dataset
	idx := make([]uint32, len(t.Names))
	for j := range idx {
		idx[j] = uint32(j)
	}
	for i, r := range rows {
		if err := d.Add(sparse.Vector{Idx: idx, Val: r}, labels[i], 1); err != nil {
			return nil, fmt.Errorf("urgency: user %d: %w", users[i], err)
		}
	}
	lr, err := rank.Fit(ctx, rank.Config{L2: c.L2, Dim: len(t.Names)}, &d)
	if err != nil {
		return nil, fmt.Errorf("urgency: fit: %w", err)
	}
	return newModel(m.names, m.mean, m.scale, lr.Weights(), lr.Bias(), m.prior, m.minHistory), nil
}

// newModel assembles a model and folds the standardisation into the
// weights for scoring:
//
//	z = b + Σ w_j (x_j − μ_j)/σ_j = (b − Σ w'_j μ_j) + Σ w'_j x_j,   w'_j = w_j/σ_j
func newModel(names []string, mean, scale, w []float64, bias, prior, minHistory float64) *Model {
	m := &Model{names: names, mean: mean, scale: scale, w: w, bias: bias, prior: prior, minHistory: minHistory}
	m.wRaw, m.biasRaw = make([]float64, len(w)), bias
	for j, wj := range w {
		m.wRaw[j] = wj * scale[j]
		m.biasRaw -= m.wRaw[j] * mean[j]
	}
	return m
}

// standardise rewrites rows in place to (x−μ)/σ per column and returns μ
// and 1/σ (0 for a constant column, which then contributes nothing).
func standardise(rows [][]float64) (mean, scale []float64) {
	d := len(rows[0])
	mean, scale = make([]float64, d), make([]float64, d)
	n := float64(len(rows))
	for _, r := range rows {
		for j, x := range r {
			mean[j] += x
		}
	}
	for j := range mean {
		mean[j] /= n
	}
	for _, r := range rows {
		for j, x := range r {
			scale[j] += (x - mean[j]) * (x - mean[j])
		}
	}
	for j := range scale {
		sd := math.Sqrt(scale[j] / n)
		scale[j] = 0
		if sd > 1e-12 {
			scale[j] = 1 / sd
		}
	}
	for _, r := range rows {
		for j := range r {
			r[j] = (r[j] - mean[j]) * scale[j]
		}
	}
	return mean, scale
}

// Names returns the names of the features the model reads.
func (m *Model) Names() []string { return slices.Clone(m.names) }

// Prior returns the urgency given to a participant without history.
func (m *Model) Prior() float64 { return m.prior }

// Coefficient is one feature's weight in standardised units.
type Coefficient struct {
	Name   string
	Weight float64
}

// Coefficients returns the weights, largest magnitude first (ties by
// name).
func (m *Model) Coefficients() []Coefficient {
	out := make([]Coefficient, len(m.w))
	for j, w := range m.w {
		out[j] = Coefficient{m.names[j], w}
	}
	slices.SortFunc(out, func(a, b Coefficient) int {
		if c := cmp.Compare(math.Abs(b.Weight), math.Abs(a.Weight)); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	return out
}

// RawVector returns σ(b + w·standardised(x)) for a vector laid out as
// Input.Vector, without the prior. It panics if len(x) differs from the
// model's dimension.
func (m *Model) RawVector(x []float64) float64 {
	if len(x) != len(m.w) {
		panic(fmt.Sprintf("urgency: Model.RawVector: %d features, model has %d", len(x), len(m.w)))
	}
	z := m.biasRaw
	w := m.wRaw[:len(x)]
	for j, v := range x {
		z += w[j] * v
	}
	return rank.Sigmoid(z)
}

// Urgency returns the participant's urgency in [0,1], shrunk toward the
// prior when there is little history (see [Model]). It does not allocate.
func (m *Model) Urgency(in *Input) float64 {
	var buf [activity.MaxVectorLen + 4]float64
	raw := m.RawVector(in.Vector(buf[:0]))
	if m.minHistory == 0 {
		return raw
	}
	n := History(&in.Activity)
	w := n / (n + m.minHistory)
	return w*raw + (1-w)*m.prior
}

// UrgencyAll writes the urgency of ins[i] to dst[i]. It panics if the
// lengths differ.
func (m *Model) UrgencyAll(ins []Input, dst []float64) {
	if len(ins) != len(dst) {
		panic(fmt.Sprintf("urgency: UrgencyAll: %d inputs, %d outputs", len(ins), len(dst)))
	}
	for i := range ins {
		dst[i] = m.Urgency(&ins[i])
	}
}

// History is the amount of history the prior's shrinkage weighs: the
// events of the longest activity window the participant took part in,
// made (all but Impression) or received (including impressions).
func History(f *activity.Features) float64 {
	c := &f.Counts[f.Longest()]
	return c[activity.Actions] + c[activity.ViewsReceived] + c[activity.FavouritesReceived] +
		c[activity.ContactsReceived] + c[activity.RepliesReceived] + c[activity.ImpressionsReceived]
}

// lowHistoryRate returns the share of positive labels among the users whose
// History is below minHistory, or overall when there are fewer than 30 of
// them.
func lowHistoryRate(t Training, users []uint32, minHistory, overall float64) float64 {
	var n, pos float64
	for _, u := range users {
		if History(&t.Inputs[u].Activity) < minHistory {
			n++
			if t.Labels[u] {
				pos++
			}
		}
	}
	if n < 30 {
		return overall
	}
	return min(max(pos/n, 1e-3), 1-1e-3)
}

// Table returns a serving table (see activity.Table) holding the urgency
// of every participant in ins, by index, with the prior for everyone else.
func (m *Model) Table(ins []Input) *activity.Table {
	t := activity.NewTable(len(ins), m.prior)
	for i := range ins {
		t.Set(uint32(i), m.Urgency(&ins[i]))
	}
	return t
}

// Refresh recomputes the urgency of users at now from the real-time state
// (tr and rec, see [Live]) on top of their last batch inputs (batch[u]'s
// log-only features; batch may be nil or short) and stores it in t. Call
// it for the participants an event touched, or periodically.
func (m *Model) Refresh(ctx context.Context, tr *activity.Tracker, rec *Recent, batch []Input, users []uint32, now time.Time, t *activity.Table) error {
	var in Input
	for _, u := range users {
		in = Input{}
		if int(u) < len(batch) {
			in = batch[u]
		}
		if err := Live(ctx, tr, rec, u, now, &in); err != nil {
			return err
		}
		t.Set(u, m.Urgency(&in))
	}
	return nil
}
