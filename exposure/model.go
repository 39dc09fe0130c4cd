package exposure

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/rank"
)

// Contact is one contact (Chat or Apply) a participant received, labelled
// for the default saturation label.
type Contact struct {
	Recipient, Sender uint32
	At                time.Time
	// Unanswered: the recipient sent the sender no answer (a Reply, a
	// Reject, a Hire or a contact back: market.Action.Answers) within
	// Config.AnswerWithin of the contact. A decline answers: a recruiter
	// who says no is not flooded.
	Unanswered bool
}

// Labels returns the default training labels at cutoff: every contact
// received in (cutoff, cutoff+Window], labelled Unanswered when the
// recipient sent the sender no answer (market.Action.Answers) in [At,
// At+AnswerWithin]. The
// probability of that label given the recipient's features at cutoff is
// the saturation: the chance that one more contact is wasted. Contacts are
// returned in time order (ties by recipient, sender). It returns an error
// wrapping ErrConfig for an invalid cfg.
func Labels(events []activity.Event, cutoff time.Time, cfg Config) ([]Contact, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	end := cutoff.Add(c.Window)
	replies := make(map[uint64][]time.Time)
	var out []Contact
	for i := range events {
		e := &events[i]
		if e.Action.Answers() && e.Time.After(cutoff) {
			k := uint64(e.Actor)<<32 | uint64(e.Target)
			replies[k] = append(replies[k], e.Time)
		}
		if e.Action.Contact() && e.Time.After(cutoff) && !e.Time.After(end) {
			out = append(out, Contact{Recipient: e.Target, Sender: e.Actor, At: e.Time})
		}
	}
	for _, rs := range replies {
		slices.SortFunc(rs, time.Time.Compare)
	}
	for i := range out {
		ct := &out[i]
		rs := replies[uint64(ct.Recipient)<<32|uint64(ct.Sender)]
		j := sort.Search(len(rs), func(j int) bool { return !rs[j].Before(ct.At) })
		ct.Unanswered = j == len(rs) || rs[j].Sub(ct.At) > c.AnswerWithin
	}
	slices.SortFunc(out, func(a, b Contact) int {
		if x := a.At.Compare(b.At); x != 0 {
			return x
		}
		if x := cmp.Compare(a.Recipient, b.Recipient); x != 0 {
			return x
		}
		return cmp.Compare(a.Sender, b.Sender)
	})
	return out, nil
}

// Example is one training row: the recipient's features at a cut-off and
// whether the contact received after it went unanswered.
type Example struct {
	Features   *activity.Features // read during Fit, not retained
	Unanswered bool
}

// Examples pairs each contact with its recipient's features (features by
// participant index, at the contacts' cut-off). It returns an error naming
// the first contact whose recipient has no features.
func Examples(features []activity.Features, contacts []Contact) ([]Example, error) {
	out := make([]Example, len(contacts))
	for i, c := range contacts {
		if int(c.Recipient) >= len(features) {
			return nil, fmt.Errorf("exposure: contact %d (%d→%d): no features for recipient %d", i, c.Sender, c.Recipient, c.Recipient)
		}
		out[i] = Example{Features: &features[c.Recipient], Unanswered: c.Unanswered}
	}
	return out, nil
}

// Training is the input of [Fit].
type Training struct {
	// Names names the entries of activity.Features.Vector
	// (activity.Tracker.VectorNames).
	Names []string
	// Examples are the labelled rows; several cut-offs may be mixed.
	Examples []Example
}

// ErrNoData is returned by Fit when there is nothing to learn from.
var ErrNoData = errors.New("exposure: no labelled contacts of both kinds")

// Model is a fitted saturation model: a logistic regression on the
// standardised behaviour-feature vector of the recipient,
//
//	raw(x) = σ(b + Σ_j w_j (x_j − μ_j)/σ_j)
//	saturation = w·raw + (1 − w)·prior,   w = n/(n + MinHistory)
//
// where n is the participant's [History]: so a participant who has
// received few contacts gets about the prior. It wraps a
// [rank.Standardized] of kind "exposure". A Model is immutable and safe
// for concurrent use; refresh by fitting a new one and swapping an
// atomic.Pointer.
type Model struct {
	s *rank.Standardized
}

// kind is the rank.Standardized kind of a saturation model.
const kind = "exposure"

// Fit trains a saturation model on t. It returns ErrNoData without rows of
// both labels, an error naming the field for a bad cfg, and an error naming
// the example that is malformed.
func Fit(ctx context.Context, cfg Config, t Training) (*Model, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(t.Examples) == 0 {
		return nil, ErrNoData
	}
	n := len(t.Examples)
	d := rank.StandardizedData{
		Kind: kind, Names: t.Names,
		Rows: make([][]float64, n), Labels: make([]bool, n), History: make([]float64, n),
	}
	for i, ex := range t.Examples {
		if ex.Features == nil {
			return nil, fmt.Errorf("exposure: example %d: nil features", i)
		}
		d.Rows[i] = ex.Features.Vector(make([]float64, 0, ex.Features.VectorLen()))
		if len(d.Rows[i]) != len(t.Names) {
			return nil, fmt.Errorf("exposure: example %d: %d features but %d names", i, len(d.Rows[i]), len(t.Names))
		}
		d.Labels[i] = ex.Unanswered
		d.History[i] = History(ex.Features)
	}
	s, err := rank.FitStandardized(ctx, rank.StandardizedConfig{L2: c.L2, Prior: c.Prior, MinHistory: c.MinHistory}, d)
	var re *rank.RowError
	switch {
	case errors.Is(err, rank.ErrEmpty):
		return nil, ErrNoData
	case errors.As(err, &re):
		return nil, fmt.Errorf("exposure: example %d: %w", re.Row, re.Err)
	case err != nil:
		return nil, fmt.Errorf("exposure: fit: %w", err)
	}
	return &Model{s}, nil
}

// Names returns the names of the features the model reads.
func (m *Model) Names() []string { return m.s.Names() }

// Prior returns the saturation given to a participant without history.
func (m *Model) Prior() float64 { return m.s.Prior() }

// Coefficient is one feature's weight in standardised units.
type Coefficient = rank.Coefficient

// Coefficients returns the weights, largest magnitude first (ties by
// name).
func (m *Model) Coefficients() []Coefficient { return m.s.Coefficients() }

// RawVector returns σ(b + w·standardised(x)) for a vector laid out as
// activity.Features.Vector, without the prior. It panics if len(x) differs
// from the model's dimension.
func (m *Model) RawVector(x []float64) float64 {
	if len(x) != m.s.Dim() {
		panic(fmt.Sprintf("exposure: Model.RawVector: %d features, model has %d", len(x), m.s.Dim()))
	}
	return m.s.Raw(x)
}

// Saturation returns the participant's saturation in [0,1], shrunk toward
// the prior when few contacts were received (see [Model]); the prior
// itself for features the model cannot read (nil, failing
// activity.Features.Check, another number of windows). It does not
// allocate.
func (m *Model) Saturation(f *activity.Features) float64 {
	if f == nil || f.Check() != nil || f.VectorLen() != m.s.Dim() {
		return m.s.Prior() // features the model cannot read (zero, damaged, another window count)
	}
	var buf [activity.MaxVectorLen]float64
	if v := m.s.Predict(f.Vector(buf[:0]), History(f)); !math.IsNaN(v) {
		return v
	}
	return m.s.Prior()
}

// SaturationAll writes the saturation of fs[i] to dst[i]. It panics if
// the lengths differ.
func (m *Model) SaturationAll(fs []activity.Features, dst []float64) {
	if len(fs) != len(dst) {
		panic(fmt.Sprintf("exposure: SaturationAll: %d features, %d outputs", len(fs), len(dst)))
	}
	for i := range fs {
		dst[i] = m.Saturation(&fs[i])
	}
}

// History is the amount of history the prior's shrinkage weighs: the
// contacts the participant received in the longest activity window; 0
// when f has no window (or more than activity.MaxWindows).
func History(f *activity.Features) float64 {
	if f.NumWindows < 1 || f.NumWindows > activity.MaxWindows {
		return 0
	}
	return f.Count(f.Longest(), activity.ContactsReceived)
}

// Table returns a serving table (see activity.Table) holding the
// saturation of every participant in fs, by index, with the prior for
// everyone else.
func (m *Model) Table(fs []activity.Features) *activity.Table {
	t := activity.NewTable(len(fs), m.s.Prior())
	for i := range fs {
		t.Set(uint32(i), m.Saturation(&fs[i]))
	}
	return t
}

// Refresh recomputes the saturation of users at now from tr's real-time
// counters on top of their last batch features (batch[u]'s log-only
// features; batch may be nil or short) and stores it in t. Call it for the
// participants an event touched, or periodically.
func (m *Model) Refresh(ctx context.Context, tr *activity.Tracker, batch []activity.Features, users []uint32, now time.Time, t *activity.Table) error {
	var f activity.Features
	for _, u := range users {
		f = activity.Features{}
		if int(u) < len(batch) {
			f = batch[u]
		}
		if err := tr.Features(ctx, u, now, &f); err != nil {
			return err
		}
		t.Set(u, m.Saturation(&f))
	}
	return nil
}
