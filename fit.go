package twoway

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/exposure"
	"github.com/twowayrec/twoway/fusion"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/rank"
	"github.com/twowayrec/twoway/recall"
	"github.com/twowayrec/twoway/text"
	"github.com/twowayrec/twoway/urgency"
)

// Fit rebuilds the fitted state from all profiles and events: content
// vectors and association rules, the interest matrix and CF neighbours, the
// interest models of both sides, and the urgency and saturation models. It
// reads Config.Profiles and Config.Events when set, else what Upsert and
// Record gave. The new state is swapped in atomically at the end; Recommend,
// Record and Upsert keep working during the Fit, and the events and profiles
// they bring meanwhile are carried into the new state. One Fit runs at a
// time; a second waits. On error (or ctx done) the previous state stays.
//
// A model with nothing to learn from yet (no events, no mutual chats) is
// left out and its documented fallback applies: one-way matches from the
// content only, urgency unknown, saturation 0.
//
// Cores: the long steps of a Fit (text analysis, the collaborative tables,
// the out-of-fold evidence of the training rows, the rows themselves, the
// models' fits) run on GOMAXPROCS goroutines and put their results
// together in a fixed order, so the fitted state does not depend on the
// number of cores (TestFitSameForAnyWorkers). On internal/synth.Large() a
// Fit takes about two minutes on 2 cores (README, Speed).
//
// Memory: the serving state and the new one coexist until the swap, and
// each side's interest model is fitted on its training rows held at once
// (every row's pair features, and each candidate's content vector once:
// match.SplitFeaturizer). On internal/synth.Large() (120,000
// participants, 5M events) the live heap peaks at about 2.5 GiB
// (BenchmarkLargeFitPeak; 4.0 GiB while every row held its candidate's
// vector), so with the default GOGC the process may reach twice that or
// more; a host with less memory to spare sets GOMEMLIMIT (README, Speed).
func (e *Engine) Fit(ctx context.Context) error {
	e.fitMu.Lock()
	defer e.fitMu.Unlock()
	return e.fit(ctx, e.cfg.Clock())
}

func (e *Engine) fit(ctx context.Context, at time.Time) (err error) {
	start := time.Now()
	rep := &reporter{e: e, start: start}
	stage := rep.stage

	stage("profiles", false)
	if e.cfg.Profiles != nil {
		var batch []market.Profile
		for p, err := range e.cfg.Profiles.Profiles(ctx) {
			if err != nil {
				return fmt.Errorf("twoway: fit: profile source: %w", err)
			}
			batch = append(batch, p)
		}
		if err := e.Upsert(ctx, batch...); err != nil {
			return fmt.Errorf("twoway: fit: profile source: %w", err)
		}
	}
	e.mu.Lock()
	e.fitting, e.during, e.upserted = true, nil, nil
	profiles := slices.Clone(e.profiles)
	removed := slices.Clone(e.removed)
	var log []event
	if e.cfg.Events == nil {
		// The log only grows, by appends past this length, and no
		// element changes: the Fit reads this prefix without a copy.
		log = e.log[:len(e.log):len(e.log)]
	}
	e.mu.Unlock()
	defer func() {
		if err != nil {
			e.mu.Lock()
			e.fitting, e.during, e.upserted = false, nil, nil
			e.mu.Unlock()
		}
	}()
	stage("profiles", true)

	if e.cfg.Events != nil {
		stage("events", false)
		if log, err = e.readEvents(ctx, "fit", &e.dict, profiles); err != nil {
			return err
		}
		stage("events", true)
	}

	prev := e.state.Load()
	st := &state{at: at, fitted: true, policy: e.policy, version: prev.version + 1}
	n := len(profiles)
	sideOf := func(ix uint32) market.Side {
		if int(ix) < n {
			return profiles[ix].Side
		}
		return 0
	}

	stage("text", false)
	var active []market.Profile
	var transactions [][]string
	voc := text.DefaultVocabulary()
	if e.cfg.Text.Tokenizer != nil {
		voc = e.cfg.Text.Tokenizer.Vocabulary()
	}
	for i, p := range profiles {
		if p.ID == "" || removed[i] {
			continue
		}
		active = append(active, p)
		var items []string
		for _, s := range slices.Concat(p.Skills, p.Tags) {
			if t := voc.Normalize(s); t != "" {
				items = append(items, t)
			}
		}
		slices.Sort(items)
		if items = slices.Compact(items); len(items) > 0 {
			transactions = append(transactions, items)
		}
	}
	if len(active) == 0 {
		return fmt.Errorf("twoway: fit: %w: no active profile", ErrEmptyMarket)
	}
	if st.rules, err = text.MineRules(transactions, e.cfg.Rules); err != nil {
		return fmt.Errorf("%w: Rules: %w", ErrConfig, err)
	}
	tc := e.cfg.Text
	if tc.Rules == nil {
		tc.Rules = st.rules
	}
	if st.encoder, err = text.NewEncoder(active, tc); err != nil {
		return fmt.Errorf("%w: Text: %w", ErrConfig, err)
	}
	st.catalog = match.NewCatalog(match.CatalogConfig{FeatureName: match.FeatureNames(st.encoder), Kinds: match.FeatureKinds(st.encoder)})
	err = st.setContents(ctx, profiles)
	stage("text", true)
	if err != nil {
		return err
	}

	stage("recall", false)
	if st.matrix, err = e.newMatrix(at); err != nil {
		return err
	}
	if err := st.matrix.Fit(ctx, func(yield func(recall.Event) bool) {
		for _, ev := range log {
			if !yield(recall.Event{Actor: ev.actor, Target: ev.target, Action: ev.action, Time: ev.time()}) {
				return
			}
		}
	}); err != nil {
		return fmt.Errorf("twoway: fit: interest matrix: %w", err)
	}
	if err := e.newRecall(st); err != nil {
		return err
	}
	for _, f := range []func(context.Context) error{st.itemCF.Fit, st.userCF.Fit, st.swing.Fit} {
		if err := f(ctx); err != nil {
			return fmt.Errorf("twoway: fit: collaborative recall: %w", err)
		}
	}
	st.hot.Refresh()
	stage("recall", true)

	passed := e.passedOver(log) // the factor models' negatives, here and per fold
	if e.cfg.Factors.on() || e.cfg.Embedder != nil {
		stage("factors", false)
		if err := e.factorStage(ctx, st, profiles, removed, passed, rep); err != nil {
			return err
		}
		stage("factors", true)
	}

	stage("match", false)
	rep.step("behaviour", 0, len(log), 0)
	// The behaviour counts, in time order (the log is in arrival order).
	ordered := slices.Clone(log)
	slices.SortStableFunc(ordered, func(a, b event) int { return cmp.Compare(a.at, b.at) })
	st.behaviour = match.NewBehaviour(e.cfg.Evidence)
	for _, ev := range ordered {
		st.behaviour.Record(ev.actor, ev.target, ev.side, ev.action, ev.at)
	}
	if st.taste, err = match.NewTaste(ctx, st.behaviour, e.cfg.Taste, nil); err != nil {
		return fmt.Errorf("twoway: fit: taste: %w", err)
	}
	interactions := make([]match.Interaction, len(ordered))
	for i, ev := range ordered {
		interactions[i] = match.Interaction{Actor: ev.actor, Target: ev.target, Action: ev.action, Time: ev.at}
	}
	others := candidatesBySide(profiles, removed)
	samples, err := samplesOf(e.cfg.Samples, interactions, sideOf, others)
	if err != nil {
		return fmt.Errorf("twoway: fit: interest samples: %w", err)
	}
	st.behaviour.AttachEvidence(samples, interactions)
	rep.step("evidence", 0, cfFolds, matchFraction(partEvidence, 0))
	if err := e.cfEvidence(ctx, st, sideOf, at, log, passed, samples, func(done int) {
		rep.step("evidence", done, cfFolds, matchFraction(partEvidence, float64(done)/cfFolds))
	}); err != nil {
		return err
	}
	ic := e.cfg.Interest
	if inner := ic.Progress; inner != nil {
		ic.Progress = func(p match.InterestProgress) { rep.interestProgress(p); inner(p) }
	} else {
		ic.Progress = rep.interestProgress
	}
	st.interest, err = match.FitInterest(ctx, ic, st.catalog, samples)
	if errors.Is(err, match.ErrNoSamples) {
		st.interest, err = nil, nil
	}
	if err != nil {
		return fmt.Errorf("twoway: fit: interest models: %w", err)
	}
	st.setEvidence()
	stage("match", true)

	stage("urgency", false)
	// An event stamped ahead of the Fit's clock (Record accepts one up to
	// a day ahead: servers' clocks drift) counts as happening at the Fit,
	// as the real-time counters count it, rather than as not yet
	// happened, which would leave its actor inactive until the next Fit.
	aevents := make([]activity.Event, len(log))
	for i, ev := range log {
		t := ev.time()
		if t.After(at) {
			t = at
		}
		aevents[i] = activity.Event{Actor: ev.actor, Target: ev.target, Action: ev.action, Time: t}
	}
	slices.SortStableFunc(aevents, func(a, b activity.Event) int { return a.Time.Compare(b.Time) })
	// The urgency stage's steps start at these fractions of it (measured
	// on matchShares' market, two runs: features 21%, the replay of recent
	// attention 23%, labels 3%, the training inputs 41%, the model 12%).
	rep.step("features", 0, 0, 0)
	if st.features, err = e.tracker.Batch(aevents, at, n); err != nil {
		return fmt.Errorf("twoway: fit: behaviour features: %w", err)
	}
	uc := e.cfg.Urgency
	if st.interest != nil {
		uc = st.withOneWay(uc)
	}
	if st.recent, err = urgency.NewRecent(uc); err != nil {
		return fmt.Errorf("%w: Urgency: %w", ErrConfig, err)
	}
	rep.step("recent", 0, 0, 0.21)
	if err := st.recent.RecordAll(ctx, aevents); err != nil {
		return err
	}
	if st.urgency, err = e.fitUrgency(ctx, uc, aevents, at, n, rep); err != nil {
		return err
	}
	// The serving inputs: features at the Fit plus the recent-match
	// statistics replayed above.
	st.matches = make([]urgency.MatchStats, n)
	for i := range st.matches {
		st.matches[i] = st.recent.Stats(uint32(i))
	}
	if st.urgency != nil {
		ins := make([]urgency.Input, n) // for the table only
		for i := range ins {
			ins[i] = st.input(uint32(i))
		}
		st.urgTable = st.urgency.Table(ins)
	} else {
		st.urgTable = activity.NewTable(0, math.NaN())
	}
	st.actTable = activity.NewTable(n, 0)
	for i := range st.features {
		st.actTable.Set(uint32(i), activityScore(&st.features[i]))
	}
	sides := make([]market.Side, n)
	for i := range profiles {
		sides[i] = profiles[i].Side
	}
	rep.step("capacities", 0, 0, 0.99)
	e.capacities(st, sides)
	stage("urgency", true)

	stage("exposure", false)
	if st.saturation, err = e.fitSaturation(ctx, aevents, at, n); err != nil {
		return err
	}
	if st.saturation != nil {
		st.satTable = st.saturation.Table(st.features)
	} else {
		st.satTable = activity.NewTable(0, 0)
	}
	stage("exposure", true)

	if e.cfg.Allocation.On {
		stage("allocation", false)
		var span time.Duration // how far back the log reaches
		if len(aevents) > 0 {
			span = at.Sub(aevents[0].Time)
		}
		if err := e.allocation(ctx, st, profiles, removed, span, rep); err != nil {
			return err
		}
		stage("allocation", true)
	}

	if e.cfg.LearnRanking && prev.fitted && prev.interest != nil {
		stage("ranking", false)
		if err := e.learnRanking(ctx, prev, st, log, profiles); err != nil {
			return err
		}
		stage("ranking", true)
	}

	stage("swap", false)
	acts, seen, blocked := e.sets(log)
	// Catch up with what Record and Upsert did during the Fit, in two
	// passes. The first runs without the write lock (st is not published
	// yet, so only this goroutine touches it): the events and profiles so
	// far, and the real-time store read for their participants, so that a
	// slow store or a long text analysis does not hold back every request
	// (they wait behind the write lock). The second, under the lock, does
	// the same for only what arrived since. e.during and e.upserted only
	// grow until the swap: their first elements never change.
	e.mu.RLock()
	during := e.during[:len(e.during):len(e.during)]
	upserted := slices.Clone(e.upserted)
	contents := make([]market.Profile, len(upserted))
	for k, ix := range upserted {
		contents[k] = e.profiles[ix]
	}
	e.mu.RUnlock()
	// The events recorded meanwhile follow the Fit's log: in e.log, every
	// event appended since the Fit took its prefix is in e.during, in order;
	// with Config.Events they are appended to the Fit's log, which
	// becomes e.extLog.
	next := uint32(len(log))
	catchUp := func(evs []event, ixs []uint32, profile func(k int) *market.Profile) {
		touched := make([]uint32, 0, 2*len(evs))
		for _, ev := range evs {
			st.record(ev)
			if e.cfg.Events != nil {
				log = append(log, ev)
			}
			e.addSets(acts, seen, blocked, ev, next)
			next++
			touched = append(touched, ev.actor, ev.target)
		}
		for k, ix := range ixs {
			st.setContent(ix, profile(k))
		}
		slices.Sort(touched)
		if err := e.refresh(ctx, st, slices.Compact(touched), e.cfg.Clock()); err != nil {
			e.cfg.Logger.Warn("twoway: fit: real-time features unavailable", "err", err)
		}
	}
	catchUp(during, upserted, func(k int) *market.Profile { return &contents[k] })
	e.mu.Lock()
	late := e.upserted[len(upserted):]
	catchUp(e.during[len(during):], late, func(k int) *market.Profile { return &e.profiles[late[k]] })
	st.factors.carry(prev.factors, e.upserted)
	dirty := make(map[uint32]bool)
	for _, ev := range e.during {
		dirty[ev.actor] = true
	}
	e.acts, e.seen, e.blocked, e.dirty = acts, seen, blocked, dirty
	if e.cfg.Events != nil {
		e.extLog = log
	}
	e.fitting, e.during, e.upserted = false, nil, nil
	st.took = time.Since(start)
	e.publish(st)
	e.mu.Unlock()
	e.excl.Store(nil)
	stage("swap", true)
	return nil
}

// readEvents reads Config.Events for a Fit or a Load (op), keeping the
// events between participants of dict with profiles on opposite sides. An
// invalid event is an error naming it; events naming unknown or same-side
// participants are skipped and counted in the log (a host's log outlives
// deleted profiles).
func (e *Engine) readEvents(ctx context.Context, op string, dict *market.Dict, profiles []market.Profile) ([]event, error) {
	var log []event
	skipped := 0
	i := 0
	for ev, err := range e.cfg.Events.Events(ctx) {
		if err != nil {
			return nil, fmt.Errorf("twoway: %s: event source: %w", op, err)
		}
		if err := ev.Validate(); err != nil {
			return nil, fmt.Errorf("twoway: %s: event source: event %d: %w", op, i, err)
		}
		i++
		a, okA := dict.Lookup(ev.Actor)
		t, okT := dict.Lookup(ev.Target)
		if !okA || !okT || int(a) >= len(profiles) || int(t) >= len(profiles) ||
			profiles[a].ID == "" || profiles[t].ID == "" || profiles[a].Side == profiles[t].Side {
			skipped++
			continue
		}
		log = append(log, event{actor: a, target: t, action: ev.Action, side: profiles[a].Side, at: ev.Time.UnixNano()})
	}
	if skipped > 0 {
		e.cfg.Logger.Warn("twoway: "+op+": skipped events between unknown or same-side participants", "skipped", skipped, "kept", len(log))
	}
	return log, nil
}

func (e *Engine) fitUrgency(ctx context.Context, uc urgency.Config, aevents []activity.Event, at time.Time, n int, rep *reporter) (*urgency.Model, error) {
	horizon := uc.Horizon
	if horizon == 0 {
		horizon = 7 * 24 * time.Hour
	}
	// A young market (a log shorter than two horizons) trains on the span
	// that exists: half of it for the inputs, half for the labels, at
	// least a day each. Before, the cut-off fell before the market opened
	// and every requester got the same urgency.
	if len(aevents) > 0 {
		if span := at.Sub(aevents[0].Time); span < 2*horizon {
			short := max(span/2, 24*time.Hour)
			e.cfg.Logger.Warn("twoway: fit: the log is shorter than two urgency horizons; urgency learns over half of it",
				"log", span.Round(time.Hour), "horizon", horizon, "used", short.Round(time.Hour))
			horizon = short
			uc.Horizon = short
		}
	}
	cutoff := at.Add(-horizon)
	rep.step("labels", 0, 0, 0.44)
	labels, err := urgency.Labels(aevents, cutoff, uc, n)
	if err != nil {
		return nil, fmt.Errorf("twoway: fit: urgency labels: %w", err)
	}
	rep.step("inputs", 0, 0, 0.47)
	inputs, err := urgency.Inputs(e.tracker, uc, aevents, cutoff, n)
	if err != nil {
		return nil, fmt.Errorf("twoway: fit: urgency inputs: %w", err)
	}
	rep.step("model", 0, 0, 0.88)
	m, err := urgency.Fit(ctx, uc, urgency.Training{
		Names:  urgency.VectorNames(e.tracker.VectorNames()),
		Inputs: inputs,
		Labels: labels,
	})
	if errors.Is(err, urgency.ErrNoData) {
		e.cfg.Logger.Info("twoway: fit: urgency model left out: no labelled users of both kinds")
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("twoway: fit: urgency model: %w", err)
	}
	return m, nil
}

func (e *Engine) fitSaturation(ctx context.Context, aevents []activity.Event, at time.Time, n int) (*exposure.Model, error) {
	ec := e.control.Config()
	cutoff := at.Add(-(ec.Window + ec.AnswerWithin))
	contacts, err := exposure.Labels(aevents, cutoff, ec)
	if err != nil {
		return nil, fmt.Errorf("twoway: fit: saturation labels: %w", err)
	}
	feats, err := e.tracker.Batch(aevents, cutoff, n)
	if err != nil {
		return nil, fmt.Errorf("twoway: fit: saturation features: %w", err)
	}
	examples, err := exposure.Examples(feats, contacts)
	if err != nil {
		return nil, fmt.Errorf("twoway: fit: saturation examples: %w", err)
	}
	m, err := exposure.Fit(ctx, ec, exposure.Training{Names: e.tracker.VectorNames(), Examples: examples})
	if errors.Is(err, exposure.ErrNoData) {
		e.cfg.Logger.Info("twoway: fit: saturation model left out: no labelled contacts of both kinds")
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("twoway: fit: saturation model: %w", err)
	}
	return m, nil
}

// samplesOf draws the interest models' training rows from interactions
// (match.Samples), the sampled negatives of a user of side s from
// candidates[s] (see candidatesBySide).
func samplesOf(cfg match.SampleConfig, interactions []match.Interaction, side func(uint32) market.Side, candidates map[market.Side][]uint32) ([]match.Sample, error) {
	return match.Samples(cfg, interactions, side, func(s market.Side) []uint32 { return candidates[s] })
}

// candidatesBySide lists, for a participant of each side, the active
// participants of the other side, by index: the pool match.Samples draws a
// user's sampled negatives from (its others callback is given the user's
// own side).
func candidatesBySide(profiles []market.Profile, removed []bool) map[market.Side][]uint32 {
	out := map[market.Side][]uint32{}
	for i, p := range profiles {
		if p.ID != "" && !removed[i] && !p.Inactive {
			out[p.Side.Other()] = append(out[p.Side.Other()], uint32(i))
		}
	}
	return out
}

// sets builds the per-participant interaction, seen and blocked sets of a
// log; acts holds positions in log. Each kind's lists are windows of one
// array, sized by a first pass over the log and capped at their length, so
// that they hold no spare capacity and a later append to one list moves
// only that list.
func (e *Engine) sets(log []event) (acts, seen, blocked map[uint32][]uint32) {
	nActs, nSeen, nBlocked := map[uint32]int{}, map[uint32]int{}, map[uint32]int{}
	for _, ev := range log {
		nActs[ev.actor]++
		switch e.pairEffect(ev.action) {
		case pairBlocked:
			nBlocked[ev.actor]++
			nBlocked[ev.target]++
		case pairSeen:
			nSeen[ev.actor]++
		}
	}
	acts, seen, blocked = windows[uint32](nActs), windows[uint32](nSeen), windows[uint32](nBlocked)
	for k, ev := range log {
		e.addSets(acts, seen, blocked, ev, uint32(k))
	}
	return acts, seen, blocked
}

// windows returns, for each key of counts, an empty list with room for its
// count, all of them windows of one array.
func windows[T any](counts map[uint32]int) map[uint32][]T {
	total := 0
	for _, n := range counts {
		total += n
	}
	buf := make([]T, total)
	out := make(map[uint32][]T, len(counts))
	for k, n := range counts {
		out[k] = buf[:0:n]
		buf = buf[n:]
	}
	return out
}

// addSets adds one event, at position pos of its log, to the per-participant
// sets. A target counts as
// seen by its actor once contacted (chat, apply, reply, hire), or also once
// viewed or favourited with Config.HideViewed; a rejection blocks the pair
// both ways. Impressions only feed the interest model.
func (e *Engine) addSets(acts, seen, blocked map[uint32][]uint32, ev event, pos uint32) {
	acts[ev.actor] = append(acts[ev.actor], pos)
	switch e.pairEffect(ev.action) {
	case pairBlocked:
		blocked[ev.actor] = append(blocked[ev.actor], ev.target)
		blocked[ev.target] = append(blocked[ev.target], ev.actor)
	case pairSeen:
		seen[ev.actor] = append(seen[ev.actor], ev.target)
	}
}

// What an event does to its pair: nothing, the target becomes seen by the
// actor (not shown to it again), or the pair is blocked both ways.
const (
	pairNone = iota
	pairSeen
	pairBlocked
)

// pairEffect is the rule of the seen and blocked sets, in this process
// (addSets) and in the shared stores (sharePairs): a rejection blocks the
// pair; a contact (chat, apply, reply, hire), and with Config.HideViewed a
// view or favourite, makes the target seen.
func (e *Engine) pairEffect(a market.Action) int {
	switch a {
	case market.Reject:
		return pairBlocked
	case market.Chat, market.Apply, market.Reply, market.Hire:
		return pairSeen
	case market.View, market.Favourite:
		if e.cfg.HideViewed {
			return pairSeen
		}
	}
	return pairNone
}

// maxOutcomes caps the outcomes the learned ranker trains on (the newest).
const maxOutcomes = 200_000

// learnRanking fits fusion's learned ranker for st from the outcomes of the
// pairs attended to or shown since prev's Fit, with prev's features.
func (e *Engine) learnRanking(ctx context.Context, prev, st *state, log []event, profiles []market.Profile) error {
	type pair struct{ a, b uint32 }
	from := prev.at.UnixNano()
	contacted := map[pair]bool{}
	var order []pair
	seen := map[pair]bool{}
	for _, ev := range log {
		if ev.at <= from {
			continue
		}
		p := pair{ev.actor, ev.target}
		switch ev.action {
		case market.Chat, market.Apply, market.Reply:
			contacted[p] = true
		}
		if ev.action != market.Reject && !seen[p] {
			seen[p] = true
			order = append(order, p)
		}
	}
	if len(order) > maxOutcomes {
		order = order[len(order)-maxOutcomes:]
	}
	// prev's behaviour counts hold the outcomes themselves (they are
	// real-time): the evidence of each pair leaves the pair out, as for
	// the interest models' own training rows. Backward is the candidate
	// answering a contact.
	interactions := make([]match.Interaction, len(log))
	for i, ev := range log {
		interactions[i] = match.Interaction{Actor: ev.actor, Target: ev.target, Action: ev.action, Time: ev.at}
	}
	fwd := make([]match.Sample, len(order))
	bwd := make([]match.Sample, len(order))
	for k, p := range order {
		fwd[k], bwd[k] = match.Sample{User: p.a, Target: p.b}, match.Sample{User: p.b, Target: p.a}
	}
	prev.behaviour.AttachEvidence(fwd, interactions)
	prev.behaviour.AttachAnswerEvidence(bwd, interactions)
	outcomes := make([]fusion.Outcome, 0, len(order))
	for k, p := range order {
		var ru float64
		if prev.urgency != nil {
			ru = nanTo0(prev.urgTable.Get(p.a))
		}
		c := fusion.Candidate{
			Index: p.b, Forward: prev.interest.OneWayWith(p.a, p.b, &fwd[k].Evidence), Backward: prev.interest.OneWayWith(p.b, p.a, &bwd[k].Evidence),
			Urgency: nanTo0(prev.urgTable.Get(p.b)), Saturation: prev.satTable.Get(p.b), Activity: prev.actTable.Get(p.b),
		}
		c.TwoWay = e.agg.Aggregate(match.Pair{Forward: c.Forward, Backward: c.Backward, RequesterUrgency: ru, CandidateUrgency: c.Urgency})
		outcomes = append(outcomes, fusion.Outcome{
			Requester: fusion.Requester{Urgency: ru},
			Candidate: c,
			Freshness: e.policy.Freshness(profiles[p.b].Registered, prev.at),
			Mutual:    contacted[p] && contacted[pair{p.b, p.a}],
		})
	}
	learned, err := fusion.Learn(ctx, rank.Config{}, outcomes)
	if errors.Is(err, fusion.ErrNoOutcomes) {
		e.cfg.Logger.Info("twoway: fit: learned ranking left out", "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("twoway: fit: %w", err)
	}
	cfg := e.policy.Config()
	cfg.Learned = learned
	if st.policy, err = fusion.New(cfg); err != nil {
		return fmt.Errorf("twoway: fit: learned ranking: %w", err)
	}
	st.learned = learned
	return nil
}

// withOneWay returns uc with the interest models' one-way match, pair by
// pair and batched (one batch per user in a Fit's replay of recent
// attention: forwardMatch, as a request computes it), as the source of
// urgency's recent-match statistics.
func (st *state) withOneWay(uc urgency.Config) urgency.Config {
	type scratch struct {
		buf match.Buffer
		ev  []match.Evidence
	}
	var pool sync.Pool
	uc.OneWay = st.interest.OneWay
	uc.OneWayBatch = func(user uint32, targets []uint32, dst []float64) []float64 {
		s, _ := pool.Get().(*scratch)
		if s == nil {
			s = new(scratch)
		}
		s.ev = slices.Grow(s.ev[:0], len(targets))[:len(targets)]
		dst = st.forwardMatch(dst, &s.buf, s.ev, user, targets)
		pool.Put(s)
		return dst
	}
	return uc
}
