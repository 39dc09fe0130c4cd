package urgency

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/rank"
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
// low-history training users, see Config.Prior). It wraps a
// [rank.Standardized] of kind "urgency". A Model is immutable and safe for
// concurrent use; refresh by fitting a new one and swapping an
// atomic.Pointer.
type Model struct {
	s *rank.Standardized
}

// kind is the rank.Standardized kind of an urgency model.
const kind = "urgency"

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
	d := rank.StandardizedData{
		Kind: kind, Names: t.Names,
		Rows: make([][]float64, len(users)), Labels: make([]bool, len(users)), History: make([]float64, len(users)),
	}
	for i, u := range users {
		if int(u) >= len(t.Inputs) || int(u) >= len(t.Labels) {
			return nil, fmt.Errorf("urgency: user %d: no input or label", u)
		}
		d.Rows[i] = t.Inputs[u].Vector(nil)
		if len(d.Rows[i]) != len(t.Names) {
			return nil, fmt.Errorf("urgency: user %d: %d features but %d names", u, len(d.Rows[i]), len(t.Names))
		}
		d.Labels[i] = t.Labels[u]
		d.History[i] = History(&t.Inputs[u].Activity)
	}
	s, err := rank.FitStandardized(ctx, rank.StandardizedConfig{L2: c.L2, Prior: c.Prior, MinHistory: c.MinHistory}, d)
	var re *rank.RowError
	switch {
	case errors.Is(err, rank.ErrEmpty):
		return nil, ErrNoData
	case errors.As(err, &re):
		return nil, fmt.Errorf("urgency: user %d: %w", users[re.Row], re.Err)
	case err != nil:
		return nil, fmt.Errorf("urgency: fit: %w", err)
	}
	return &Model{s}, nil
}

// Names returns the names of the features the model reads.
func (m *Model) Names() []string { return m.s.Names() }

// Prior returns the urgency given to a participant without history.
func (m *Model) Prior() float64 { return m.s.Prior() }

// Coefficient is one feature's weight in standardised units.
type Coefficient = rank.Coefficient

// Coefficients returns the weights, largest magnitude first (ties by
// name).
func (m *Model) Coefficients() []Coefficient { return m.s.Coefficients() }

// RawVector returns σ(b + w·standardised(x)) for a vector laid out as
// Input.Vector, without the prior. It panics if len(x) differs from the
// model's dimension.
func (m *Model) RawVector(x []float64) float64 {
	if len(x) != m.s.Dim() {
		panic(fmt.Sprintf("urgency: Model.RawVector: %d features, model has %d", len(x), m.s.Dim()))
	}
	return m.s.Raw(x)
}

// Urgency returns the participant's urgency in [0,1], shrunk toward the
// prior when there is little history (see [Model]). It does not allocate.
// For an input it cannot score (see [Input.Check]: the zero Input, a
// window count other than the model's, a NaN, infinite or negative count
// or match statistic) it returns the prior ([Model.Prior]); it never
// panics and never returns NaN.
func (m *Model) Urgency(in *Input) float64 {
	if in == nil || in.Check() != nil || in.Activity.VectorLen()+numMatch != m.s.Dim() {
		return m.s.Prior()
	}
	var buf [activity.MaxVectorLen + numMatch]float64
	u := m.s.Predict(in.Vector(buf[:0]), History(&in.Activity))
	if math.IsNaN(u) {
		return m.s.Prior()
	}
	return u
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
// made (all but Impression) or received (including impressions). It is 0
// when f has no windows or more than activity.MaxWindows (f fails
// [activity.Features.Check]) rather than panicking.
func History(f *activity.Features) float64 {
	if f.NumWindows < 1 || f.NumWindows > activity.MaxWindows {
		return 0
	}
	c := &f.Counts[f.Longest()]
	return c[activity.Actions] + c[activity.ViewsReceived] + c[activity.FavouritesReceived] +
		c[activity.ContactsReceived] + c[activity.RepliesReceived] + c[activity.ImpressionsReceived]
}

// Table returns a serving table (see activity.Table) holding the urgency
// of every participant in ins, by index, with the prior for everyone else.
func (m *Model) Table(ins []Input) *activity.Table {
	t := activity.NewTable(len(ins), m.s.Prior())
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
