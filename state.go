package twoway

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/allocate"
	"github.com/twowayrec/twoway/exposure"
	"github.com/twowayrec/twoway/fusion"
	"github.com/twowayrec/twoway/internal/parallel"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/recall"
	"github.com/twowayrec/twoway/text"
	"github.com/twowayrec/twoway/urgency"
)

// state is what one Fit built. Its models are immutable; the recall
// objects and the catalog take real-time updates through their own
// concurrency-safe methods (Record, Set), which is how Record and Upsert
// reach the state that requests read.
type state struct {
	at     time.Time     // the Fit's reference time; zero before the first Fit
	took   time.Duration // how long the Fit took
	fitted bool
	// version numbers the Fits behind the models: each Fit's is one more
	// than the models it replaced, and Save and Load carry it, so every
	// process serving one fitter's snapshots reports the fitter's number.
	version uint64

	encoder   *text.Encoder
	rules     *text.Rules
	catalog   *match.Catalog
	interest  *match.Interest  // nil: no samples yet
	behaviour *match.Behaviour // behaviour counts of every participant, in real time
	taste     *match.Taste     // neighbours over behaviour's decisions; nil: no evidence

	matrix *recall.Interest
	itemCF *recall.ItemCF
	swing  *recall.ItemCF
	userCF *recall.UserCF
	hot    *recall.Hot
	collab *recall.Merger // item-CF, user-CF, Swing, hot by reciprocal-rank fusion

	potentials *allocate.Potentials // the market reranker's prices; nil: off
	factors    *factors             // latent factors and embeddings; nil: off (its mu is a leaf lock)

	policy  *fusion.Policy // the Engine's policy, or one with a learned ranker
	learned *fusion.Learned

	urgency    *urgency.Model  // nil: every urgency is unknown
	recent     *urgency.Recent // recent one-way match statistics
	saturation *exposure.Model // nil: every saturation is 0
	// By participant, the behaviour features at the Fit (their log-only
	// fields are what the real-time counters are read on top of) and the
	// recent-match statistics at the Fit: together the urgency inputs the
	// Fit computed (urgency.Input), kept apart so the features are held once.
	features []activity.Features
	matches  []urgency.MatchStats

	// Serving tables, by participant: built at Fit, refreshed for the
	// actor and target of every recorded event, read for every candidate
	// (a read is one atomic load instead of scoring a feature vector).
	urgTable    *activity.Table // urgency; NaN before a model exists
	satTable    *activity.Table // saturation; 0 before a model exists
	actTable    *activity.Table // activity score, 2^(−days since last action / 3)
	capTable    *activity.Table // capacity, answers per day (exposure.Capacity); 0: the side's prior
	recentTable *activity.Table // contacts received in the last day
	capPrior    [3]float64      // per side: the mean capacity, for participants without history
}

// newRecall builds the recall objects of a state over matrix.
func (e *Engine) newRecall(st *state) error {
	var err error
	rc := e.cfg.Recall
	if st.itemCF, err = recall.NewItemCF(st.matrix, rc.ItemCF); err != nil {
		return fmt.Errorf("%w: Recall.ItemCF: %w", ErrConfig, err)
	}
	if st.userCF, err = recall.NewUserCF(st.matrix, rc.UserCF); err != nil {
		return fmt.Errorf("%w: Recall.UserCF: %w", ErrConfig, err)
	}
	if st.swing, err = recall.NewSwing(st.matrix, rc.Swing); err != nil {
		return fmt.Errorf("%w: Recall.Swing: %w", ErrConfig, err)
	}
	st.hot = recall.NewHot(st.matrix)
	return st.newCollab()
}

// newCollab builds the merge of the collaborative recallers: item-CF,
// user-CF, Swing, hot and, when st has them, factor and embedding recall.
func (st *state) newCollab() error {
	sources := []recall.Source{
		{Name: "item-cf", Recaller: st.itemCF},
		{Name: "user-cf", Recaller: st.userCF},
		{Name: "swing", Recaller: st.swing},
		{Name: "hot", Recaller: st.hot, Weight: 0.5},
	}
	if f := st.factors; f != nil {
		if f.rec != nil && f.recall {
			sources = append(sources, recall.Source{Name: "factors", Recaller: f.recaller(false)})
		}
		if f.emb != nil {
			sources = append(sources, recall.Source{Name: "embeddings", Recaller: f.recaller(true)})
		}
	}
	var err error
	st.collab, err = recall.NewMerger(recall.MergeConfig{Method: recall.RRF, Sources: sources})
	return err
}

func (e *Engine) newMatrix(at time.Time) (*recall.Interest, error) {
	m, err := recall.NewInterest(recall.InterestConfig{
		Weights:  e.cfg.ActionWeights,
		HalfLife: e.cfg.Recall.HalfLife,
		Clock:    func() time.Time { return at },
	})
	if err != nil {
		return nil, fmt.Errorf("%w: Recall: %w", ErrConfig, err)
	}
	return m, nil
}

// emptyState is the state before the first Fit: an empty interest matrix
// that takes events in real time (so hot and CF histories work at once) and
// no models.
func (e *Engine) emptyState(now time.Time) (*state, error) {
	st := &state{policy: e.policy, behaviour: match.NewBehaviour(e.cfg.Evidence)}
	var err error
	if st.matrix, err = e.newMatrix(now); err != nil {
		return nil, err
	}
	if err := e.newRecall(st); err != nil {
		return nil, err
	}
	if st.recent, err = urgency.NewRecent(e.cfg.Urgency); err != nil {
		return nil, fmt.Errorf("%w: Urgency: %w", ErrConfig, err)
	}
	st.urgTable = activity.NewTable(0, math.NaN())
	st.satTable = activity.NewTable(0, 0)
	st.actTable = activity.NewTable(0, 0)
	st.capTable = activity.NewTable(0, 0)
	st.recentTable = activity.NewTable(0, 0)
	st.capPrior = defaultCapacity
	return st, nil
}

// defaultCapacity is the capacity prior of each side before any log: the
// contacts a participant is assumed to answer per day.
var defaultCapacity = [3]float64{0, 3, 5}

// capacities sets st's capacity priors (each side's mean throughput: the
// contacts a participant answers on a day it answers, over those that
// answered) and fills its capacity table from st's behaviour counts and its
// recent-load table from st.features.
func (e *Engine) capacities(st *state, sides []market.Side) {
	st.capPrior = defaultCapacity
	for _, s := range []market.Side{market.Seeker, market.Recruiter} {
		if c, n := st.behaviour.MeanThroughput(s); n >= 5 && c > 0 {
			st.capPrior[s] = c
		}
	}
	st.capTable = activity.NewTable(len(sides), 0)
	st.recentTable = activity.NewTable(len(st.features), 0)
	strength := e.control.Config().CapacityStrength
	for i, s := range sides {
		if s.Valid() {
			st.capTable.Set(uint32(i), st.behaviour.Throughput(uint32(i), st.capPrior[s], strength))
		}
	}
	for i := range st.features {
		st.recentTable.Set(uint32(i), recentContacts(&st.features[i]))
	}
}

// recentContacts returns the contacts f's participant received over its
// shortest window, per day.
func recentContacts(f *activity.Features) float64 {
	if f.NumWindows == 0 || !(f.WindowDays[0] > 0) {
		return 0
	}
	return f.Counts[0][activity.ContactsReceived] / f.WindowDays[0]
}

// input returns participant ix's urgency input at the Fit (zero for a
// participant the Fit did not know).
func (st *state) input(ix uint32) urgency.Input {
	var in urgency.Input
	if int(ix) < len(st.features) {
		in.Activity = st.features[ix]
	}
	if int(ix) < len(st.matches) {
		in.Match = st.matches[ix]
	}
	return in
}

// refresh recomputes the serving-table entries of users at now from the
// real-time counters, read once per user: the same inputs as
// urgency.Model.Refresh and exposure.Model.Refresh would read (the Fit's
// log-only features under the live counts, and the live recent-match
// statistics).
func (e *Engine) refresh(ctx context.Context, st *state, users []uint32, now time.Time) error {
	var in urgency.Input
	for _, u := range users {
		in = urgency.Input{}
		if int(u) < len(st.features) {
			in.Activity = st.features[u]
		}
		if err := urgency.Live(ctx, e.tracker, st.recent, u, now, &in); err != nil {
			return err
		}
		f := &in.Activity
		st.actTable.Set(u, activityScore(f))
		if side := e.pop.Side(u); side.Valid() {
			st.capTable.Set(u, st.behaviour.Throughput(u, st.capPrior[side], e.control.Config().CapacityStrength))
			st.recentTable.Set(u, recentContacts(f))
		}
		if st.urgency != nil {
			st.urgTable.Set(u, st.urgency.Urgency(&in))
		}
		if st.saturation != nil {
			st.satTable.Set(u, st.saturation.Saturation(f))
		}
	}
	return nil
}

// setContent computes and stores the content of profile p (index ix) with
// the state's encoder; before the first Fit there is none.
func (st *state) setContent(ix uint32, p *market.Profile) {
	if st.catalog == nil {
		return
	}
	// Content of a valid profile is always valid.
	_ = st.catalog.Set(ix, match.ContentFromText(st.encoder, st.rules, p))
	st.setCold(ix, p.Side)
}

// contentWindow is how many profiles setContents analyses at a time (a
// variable for tests).
var contentWindow = 4096

// setContents is setContent for every profile with an ID, in order: the
// profiles' text is analysed on every core, a window at a time, and the
// contents are set in profile order (the catalog interns their terms in
// that order, so the result does not depend on the number of workers).
// It stops at the first window after ctx is done and returns ctx.Err().
func (st *state) setContents(ctx context.Context, profiles []market.Profile) error {
	if st.catalog == nil {
		return nil
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	contents := make([]match.Content, min(len(profiles), contentWindow))
	for lo := 0; lo < len(profiles); lo += contentWindow {
		win := profiles[lo:min(lo+contentWindow, len(profiles))]
		if err := parallel.Chunks(ctx, workers, 1, len(win), func(k, _ int, _ *struct{}) {
			if win[k].ID != "" {
				contents[k] = match.ContentFromText(st.encoder, st.rules, &win[k])
			}
		}); err != nil {
			return err
		}
		for k := range win {
			if win[k].ID != "" {
				// Content of a valid profile is always valid.
				_ = st.catalog.Set(uint32(lo+k), contents[k])
				st.setCold(uint32(lo+k), win[k].Side)
			}
			contents[k] = match.Content{}
		}
	}
	return nil
}

// record applies one event to the state's real-time parts.
func (st *state) record(ev event) {
	t := ev.time()
	st.behaviour.Record(ev.actor, ev.target, ev.side, ev.action, ev.at)
	// The event was validated by Record; the matrix cannot reject it.
	_ = st.matrix.Record(recall.Event{Actor: ev.actor, Target: ev.target, Action: ev.action, Time: t})
	st.recent.Record(activity.Event{Actor: ev.actor, Target: ev.target, Action: ev.action, Time: t})
}

// setEvidence makes st's interest model read the evidence of a pair from
// st's behaviour counts (the actor answers when the target has contacted
// it).
func (st *state) setEvidence() {
	if st.interest == nil {
		return
	}
	b, item, user, f, taste := st.behaviour, st.itemCF, st.userCF, st.factors, st.taste
	st.interest.SetEvidence(func(dst *match.Evidence, actor, target uint32, answer bool) {
		var a [3]float64
		one := []uint32{target}
		dst[match.EvidenceItemCF] = match.CF(item.Affinity(actor, one, a[0:0:1])[0])
		dst[match.EvidenceUserCF] = match.CF(user.Affinity(actor, one, a[1:1:2])[0])
		dst[match.EvidenceTaste] = taste.Score(a[2:2:3], actor, one)[0]
		f.fill(dst, actor, target)
		b.Evidence(dst, actor, target, answer || b.Contacted(actor, target), nil)
	})
}
