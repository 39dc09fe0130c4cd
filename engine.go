package twoway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kelindar/bitmap"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/exposure"
	"github.com/twowayrec/twoway/fusion"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/recall"
	"github.com/twowayrec/twoway/text"
)

// Engine is two-way recommendation end to end: it holds the market's
// profiles, takes behaviour events in real time, refits its models on
// demand, and answers "whom should this person see next?" for anyone on
// either side. It is safe for concurrent use: Recommend, Record, Upsert and
// Fit may all run at once.
//
// # State
//
// The fitted state (content vectors, association rules, CF neighbours,
// interest, urgency and saturation models) is one immutable value built by
// Fit and swapped in atomically: a request sees the old state or the new one,
// never half of each. The real-time state (behaviour counters, exposure
// ledger, interest-matrix overlay, already-seen sets) is updated by Record
// and Recommend at once, so the very next request sees it. Several Engines
// share the counters, the seen and blocked pairs, the ledger and the event
// IDs through the stores of Config (see shared.go and
// docs/architecture.md, "Several servers, one market").
//
// # Locks
//
// The Engine's own state (profiles, the log, the per-participant sets) is
// under mu; Fit and Load serialise on fitMu, taken before mu; every
// package the Engine calls guards its own parts and calls nothing that
// locks while holding them, except along the order written down in
// docs/architecture.md ("Locks"). No lock is taken twice on one goroutine.
//
// # Before the first Fit
//
// Recommend answers from cold-start recall: fresh profiles of the other side
// and, once events arrive, the most attended ones, ranked by recall score
// (no two-way scores yet: Response.Fitted is false).
type Engine struct {
	cfg     Config
	given   Config // cfg as New received it, before its defaults (Reload's second Engine)
	agg     match.NamedAggregator
	policy  *fusion.Policy
	tracker *activity.Tracker
	control *exposure.Controller
	pop     recall.Population
	fresh   *recall.Fresh
	index   *recall.Index // content recall over every profile, kept current by Upsert and Remove

	dict market.Dict

	mu       sync.RWMutex
	profiles []market.Profile // by index; ID "" for an index not (yet) holding a profile
	removed  []bool
	log      []event                  // retained behaviour log (Config.Events == nil)
	acts     map[uint32][]uint32      // positions in actLog() of each actor's events, for online interest updates
	extLog   []event                  // with Config.Events: what acts indexes (the Fit's log, then every event since)
	seen     map[uint32][]uint32      // targets each actor contacted (see addSets)
	blocked  map[uint32][]uint32      // participants each one rejected or was rejected by
	dirty    map[uint32]bool          // actors whose interest correction is stale
	others   map[market.Side][]uint32 // for a participant of each side, the active ones of the other (negative sampling); nil: rebuild
	fitting  bool
	during   []event  // events recorded while a Fit runs, replayed into its state
	upserted []uint32 // profiles upserted while a Fit runs

	fitMu sync.Mutex
	state atomic.Pointer[state]

	// countMu keeps the in-memory counters and the log in step for Save:
	// a write holds it (read) from its counters to its log entry, and Save
	// (write) while it encodes both. Taken before syncMu and mu.
	countMu sync.RWMutex

	exclMu sync.Mutex
	excl   atomic.Pointer[exclusions]

	pinging atomic.Bool // a Ping probe is running

	idMu    sync.Mutex // guards ids, parked and the counts below; a leaf: nothing else is locked under it
	ids     *eventIDs
	parked  []market.Event
	skipped int // events skipped for naming unknown profiles
	dupes   int // events acknowledged as duplicates

	embeds embedCounters // Config.Embedder's calls and failures

	// Config.Journal: syncMu lets one goroutine at a time apply entries
	// (held across the journal's and the real-time store's calls, never
	// taken by a request unless it appends an interest update; taken
	// before fitMu and mu); journalAt, under mu, is the last entry applied.
	syncMu    sync.Mutex
	journalAt Offset
}

type event struct {
	actor, target uint32
	action        market.Action
	side          market.Side // the actor's
	at            int64       // unix nanoseconds
}

func (e event) time() time.Time { return time.Unix(0, e.at).UTC() }

// interaction returns ev as a match.Interaction.
func (ev event) interaction() match.Interaction {
	return match.Interaction{Actor: ev.actor, Target: ev.target, Action: ev.action, Time: ev.at}
}

type exclusions struct {
	bm bitmap.Bitmap
	at time.Time
}

// New returns an Engine for cfg, or an error wrapping ErrConfig naming the
// bad field. The only resource it takes is the inverted index (bleve, which
// runs background goroutines of its own, and opens files when
// Config.Recall.IndexPath is set); Close releases it.
func New(cfg Config) (*Engine, error) {
	given := cfg
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	agg, _ := aggregator(cfg, aggName(cfg.Aggregator))
	e := &Engine{
		cfg:     cfg,
		given:   given,
		agg:     agg,
		acts:    make(map[uint32][]uint32),
		seen:    make(map[uint32][]uint32),
		blocked: make(map[uint32][]uint32),
		dirty:   make(map[uint32]bool),
		ids:     newEventIDs(cfg.EventIDRetention),
	}
	if cfg.WarmTokenizer {
		text.Warm()
	}
	var err error
	if e.policy, err = fusion.New(cfg.Fusion); err != nil {
		return nil, fmt.Errorf("%w: Fusion: %w", ErrConfig, err)
	}
	acfg := cfg.Activity
	if ids, ok := acfg.Store.(activity.IDStore); ok {
		// Count by string ID: dense indices differ between processes.
		acfg.Store = activity.ByID(ids, e.dict.ID)
	}
	if e.tracker, err = activity.New(acfg); err != nil {
		return nil, fmt.Errorf("%w: Activity: %w", ErrConfig, err)
	}
	if e.control, err = exposure.New(cfg.Exposure); err != nil {
		return nil, fmt.Errorf("%w: Exposure: %w", ErrConfig, err)
	}
	// What Config reports: the names and the parts' configurations with
	// the defaults they filled in (the host's activity store, not the
	// by-ID wrapper around it).
	e.cfg.Aggregator = aggName(cfg.Aggregator)
	if e.cfg.Language == "" {
		e.cfg.Language = text.Chinese
	}
	e.cfg.Activity = e.tracker.Config()
	e.cfg.Activity.Store = cfg.Activity.Store
	e.cfg.Exposure = e.control.Config()
	if err := e.checkShared(); err != nil {
		return nil, err
	}
	if e.fresh, err = recall.NewFresh(&e.pop, recall.FreshConfig{Clock: cfg.Clock}); err != nil {
		return nil, fmt.Errorf("%w: Recall: %w", ErrConfig, err)
	}
	st, err := e.emptyState(cfg.Clock())
	if err != nil {
		return nil, err
	}
	if e.index, err = recall.OpenIndex(recall.IndexConfig{Path: cfg.Recall.IndexPath}); err != nil {
		return nil, fmt.Errorf("twoway: inverted index: %w", err)
	}
	e.publish(st)
	return e, nil
}

// publish makes st the state that requests read, and points the inverted
// index's query expansion (association rules) and learned preferences
// (the interest matrix) at st's. The caller holds e.mu, except in New.
func (e *Engine) publish(st *state) {
	e.state.Store(st)
	e.index.SetPreferences(st.rules, st.matrix)
}

// Close releases the inverted index (flushing it when on disk; an on-disk
// index first takes the profiles a Load left to index in the background).
// The Engine must not be used afterwards.
func (e *Engine) Close() error { return e.index.Close() }

func aggName(n string) string {
	if n == "" {
		return DefaultAggregator
	}
	return n
}

// aggregator returns the aggregator called name (not empty), with cfg's
// contact cost for "contact-cost".
func aggregator(cfg Config, name string) (match.NamedAggregator, error) {
	if name == "contact-cost" {
		return match.NamedAggregator{Name: name, Aggregate: match.ContactCost(cfg.ContactCost)}, nil
	}
	f, err := match.AggregatorByName(name)
	return match.NamedAggregator{Name: name, Aggregate: f}, err
}

// DefaultAggregator is the two-way aggregator of Config.Aggregator "":
// "contact-cost" (match.ContactCost with Config.ContactCost, 0.2 by
// default), the probability that both say yes (the product of the
// calibrated one-way matches, with the candidate's congestion in the
// backward one) discounted by the contacts a match with this candidate
// takes, B/(B + c). Chosen on validation figures only (simulated:
// TestAggregatorValidation in benchmarks/enginesim, validation seeds 101
// to 105, 1,500 seekers × 300 jobs, declines and leaving on, 10 rounds;
// real: speed dating's validation waves 11–14):
//
//	                       matches (seeds 101–105)      contacts/round   per 1,000 contacts   AUC(match) women / men
//	product                435 439 424 426 429 = 2,153  1,720            125.2                0.757 / 0.759
//	contact-cost, c 0.2    441 446 417 430 428 = 2,162  1,603            134.9                0.762 / 0.754
//	contact-cost, c 0.5    433 442 425 426 437 = 2,163  1,590            136.0                0.765 / 0.751
//	one-way                382 405 382 397 386 = 1,952  2,358             82.8
//
// Later, with host attributes standardised (Config.Text), larger costs
// (TWOWAY_AGGREGATORS=contact-cost:1,… in TestAggregatorValidation;
// contacts per round ≈, from per-seed figures) and speed dating as the
// mean over split seeds 1–8 (TestEngineValidation in benchmarks/dating,
// variants product and cost0.5 … cost5):
//
//	                       matches (seeds 101–105)      contacts/round   per 1,000 contacts   AUC(match) women / men, seeds 1–8
//	product                                                                                   0.7385 / 0.7418
//	contact-cost, c 0.2                                                                       0.7377 / 0.7413
//	contact-cost, c 0.5                                                                       0.7368 / 0.7391
//	contact-cost, c 1      439 438 414 424 425 = 2,140  ≈1,578           135.6                0.7353 / 0.7379
//	contact-cost, c 2      438 445 418 424 435 = 2,160  ≈1,573           137.3                0.7342 / 0.7367
//	contact-cost, c 5      439 452 424 420 436 = 2,171  ≈1,566           138.6                0.7330 / 0.7355
//
// A larger c buys a few matches per 1,000 contacts (1.67× the one-way
// aggregator's at c 5) and costs speed dating 0.005 of AUC(match) on
// both sides, steadily: c stays 0.2.
//
// The discount makes as many matches as the product with 7% fewer contacts
// (every seed: 0.131 / 0.141 / 0.121 / 0.139 / 0.144 answered against
// 0.119 / 0.128 / 0.115 / 0.130 / 0.136), and on speed dating it ranks as
// the product does within the waves' noise (mean of the two sides 0.758
// both; c 0.2 over 0.5 for the men's side and GAUC). Before it, the product
// was chosen over the harmonic mean (2,118 matches on the same seeds,
// though 0.760 / 0.764 on speed dating) and over the patent's
// urgency-weighted sum (0.69–0.71 on speed dating: it falls to the mean
// when urgencies are equal). Weighting B harder still (F·B^5, F·B^8 on
// seeds 101 and 102: 0.144 and 0.150 per contact at the same matches)
// costs speed dating's men 0.07 of AUC(match): not taken. The test
// figures, computed once after this choice: on the simulator's test seeds
// 1 to 5 (TestAggregatorTestSplit; simulated) 2,041 matches against the
// product's 2,037 with 15,929 contacts against 16,958 (128.1 against 120.1
// per 1,000 contacts; 1.64× the one-way aggregator's 78.1, the product
// 1.54×); on speed dating's test waves 1–10 AUC(match) 0.784 / 0.780
// against the product's 0.780 / 0.782.
//
// Once the one-way probabilities were calibrated (balanced samples,
// match.SampleConfig.RawWeights), c was checked again: on speed dating's
// validation waves (mean over split seeds 1–8) AUC(match) women / men was
// 0.7377 / 0.7371 at c 0.2, 0.7387 / 0.7381 at 0.1, 0.7394 / 0.7384 at
// 0.05 and 0.7396 / 0.7375 for the product; on the validation markets
// (ledger half-life 24h then) 2,141, 2,145 and 2,143 matches at c 0.2,
// 0.1 and 0.05. All within 0.002 and 4 matches: c stays 0.2. The test
// figures with those defaults (calibrated samples,
// InterestConfig.GlobalPrior, exposure.DefaultHalfLife 6h), computed
// once: on the simulator's test seeds 1 to 5, 2,032 matches against the
// product's 2,028, 127.9 against 118.2 per 1,000 contacts (1.61× the
// one-way aggregator's 79.4); on speed dating's test waves (seed 1)
// Engine − best floor +0.023 / +0.020.
//
// Once a training row became an answer only when the contact came before
// the decision (match.Behaviour), the choice was checked again on
// validation (AUC(match) women / men, mean over split seeds 1–8; "one
// evening": each validation wave fitted alone, TestSmallMarketValidation):
//
//	                 matches (seeds 101–105)      per 1,000 contacts   AUC(match)       one evening
//	contact-cost     454 447 430 423 424 = 2,178  136.0                0.7370 / 0.7350  0.708 / 0.712
//	harmonic         451 442 417 426 421 = 2,157  141.3                0.7410 / 0.7389  0.720 / 0.721
//	product                                                            0.7398 / 0.7374  0.712 / 0.711
//
// The harmonic mean ranks real decisions a little better (most on one
// evening's market) and makes fewer matches on four of the five
// simulated markets; the default stays the probability of a match per
// contact. A host with a market of a few hundred decisions may prefer
// "harmonic". The test figures, computed once after this check (at
// 592a7c8): on the simulator's test seeds 1 to 5, 2,067 matches (402 406
// 422 414 423) against the product's 2,055 and the one-way aggregator's
// 1,888, 130.5 against 119.9 and 80.9 per 1,000 contacts (1.61× the
// one-way's); on speed dating's test waves Engine − best floor +0.022 /
// +0.017 on seed 1 and +0.017 / +0.017 in the mean over split seeds 1–8;
// on the test waves each fitted alone (TestSmallMarketTest) AUC(match)
// 0.7280 / 0.7175 against "harmonic"'s 0.7265 / 0.7262 and the harmonic
// floor's 0.7128.
//
// With the taste evidence (Config.Taste) and speed dating's field
// categories as Title (benchmarks/dating.Profile), checked again on
// validation (TestAggregatorValidation and TestConfigValidation, seeds
// 101–105; TestEngineValidation and TestSmallMarketValidation):
//
//	                 matches (seeds 101–105)      per 1,000 contacts   AUC(match)       one evening
//	contact-cost     449 444 435 428 434 = 2,190  136.5                0.7440 / 0.7415  0.717 / 0.722
//	harmonic         453 450 421 425 420 = 2,169  141.3                0.7474 / 0.7453  0.732 / 0.732
//	product                                                            0.7467 / 0.7441  0.721 / 0.719
//
// The same trade as before: "harmonic" ranks real decisions better and
// yields more matches per contact, and makes fewer matches (on three of
// the five markets, 21 in all); the default stays. The test figures,
// computed once after this check: on the simulator's test seeds 1 to 5,
// 2,075 matches against the product's 2,058 and the one-way aggregator's
// 1,896, 130.9 against 119.9 and 81.1 per 1,000 contacts (1.61× the
// one-way's; TestAggregatorTestSplit); on speed dating's test waves
// Engine − best floor +0.023 / +0.019 on seed 1 and +0.017 / +0.018 in the
// mean over split seeds 1–8 (TestEngineTestSplit); each test wave fitted
// alone, 0.7293 / 0.7238 against "harmonic"'s 0.7295 / 0.7298.
const DefaultAggregator = "contact-cost"

// Config returns the Engine's configuration with defaults filled in:
// among them the aggregator's and the language's names, and the
// exposure and activity configurations as those parts use them (so a
// shared Ledger can be built from Config().Exposure's HalfLife and
// RepeatWindow).
func (e *Engine) Config() Config { return e.cfg }

// Upsert adds profiles or replaces them (matched by ID). The batch is
// validated first: one invalid profile (a *market.FieldError inside a
// *BatchError naming its position) and nothing of the batch is stored. A
// profile may not change side (market.ErrSideChange).
//
// With Config.Journal, the batch is appended to the journal after
// validation and then applied (see Sync); a failed append stores nothing
// and returns the journal's error.
func (e *Engine) Upsert(ctx context.Context, profiles ...market.Profile) error {
	if e.cfg.Journal != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := e.upsertJournal(ctx, profiles); err != nil {
			return err
		}
	} else {
		if err := e.upsert(ctx, profiles, nil); err != nil {
			return err
		}
		e.embedUpserted(ctx, profiles)
	}
	return e.recordParked(ctx)
}

// recordParked records the parked events (Config.Unknown ParkUnknown)
// whose profiles are now all known, each on its own (one that is invalid
// now, say on the same side, is skipped and counted).
func (e *Engine) recordParked(ctx context.Context) error {
	e.idMu.Lock()
	parked := e.parked
	e.parked = nil
	e.idMu.Unlock()
	if len(parked) == 0 {
		return nil
	}
	var ready, waiting []market.Event
	for _, ev := range parked {
		_, _, ka, _ := e.lookup(ev.Actor)
		_, _, kt, _ := e.lookup(ev.Target)
		if ka && kt {
			ready = append(ready, ev)
		} else {
			waiting = append(waiting, ev)
		}
	}
	e.idMu.Lock()
	e.parked = append(waiting, e.parked...)
	e.idMu.Unlock()
	var errs []error
	for _, ev := range ready {
		err := e.Record(ctx, ev)
		var be *BatchError
		if errors.As(err, &be) {
			e.idMu.Lock()
			e.skipped++
			e.idMu.Unlock()
			continue
		}
		if err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// upsert stores profiles; at, when not nil, is the journal entry they
// come from, recorded as applied under the same lock (unless the index
// failed: then the entry is to be applied again).
func (e *Engine) upsert(ctx context.Context, profiles []market.Profile, at *Offset) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range profiles {
		if err := profiles[i].Validate(); err != nil {
			return &BatchError{Index: i, Err: err}
		}
	}
	// The side check and the store under one lock: two concurrent Upserts
	// of one new ID on different sides cannot both pass.
	e.mu.Lock()
	defer e.mu.Unlock()
	if at != nil {
		defer func() {
			var be *BatchError
			if err == nil || errors.As(err, &be) {
				e.journalAt = *at
			}
		}()
	}
	if err := e.checkSides(profiles); err != nil {
		return err
	}
	ixs := make([]uint32, len(profiles))
	for i := range profiles {
		ix, err := e.dict.Index(profiles[i].ID)
		if err != nil { // validated above; cannot happen
			return &BatchError{Index: i, Err: err}
		}
		ixs[i] = ix
	}
	// The index first: it is the one part that can fail (disk), and it
	// indexes all of the batch or none of it.
	if err := e.index.UpsertBatch(ixs, profiles); err != nil {
		return fmt.Errorf("twoway: inverted index: %w", err)
	}
	e.others = nil
	st := e.state.Load()
	for i := range profiles {
		p := profiles[i].Clone()
		ix := ixs[i]
		for int(ix) >= len(e.profiles) {
			e.profiles = append(e.profiles, market.Profile{})
			e.removed = append(e.removed, false)
		}
		e.profiles[ix], e.removed[ix] = p, false
		if err := e.pop.Upsert(ix, &p); err != nil {
			return &BatchError{Index: i, Err: err}
		}
		e.tracker.Register(ix, p.Registered)
		st.setContent(ix, &p)
		if e.fitting {
			e.upserted = append(e.upserted, ix)
		}
	}
	return nil
}

// checkSides refuses a batch that moves a profile to the other side, or
// names one ID on both sides. e.mu is held (read or write).
func (e *Engine) checkSides(profiles []market.Profile) error {
	sides := make(map[string]market.Side, len(profiles)) // within the batch
	for i := range profiles {
		p := &profiles[i]
		if ix, ok := e.dict.Lookup(p.ID); ok && int(ix) < len(e.profiles) {
			if old := e.profiles[ix].Side; old != 0 && old != p.Side {
				return &BatchError{Index: i, Err: &market.FieldError{Record: "profile", ID: p.ID, Field: "Side",
					Value: fmt.Sprintf("%s, was %s", p.Side, old), Err: market.ErrSideChange}}
			}
		}
		if s, ok := sides[p.ID]; ok && s != p.Side {
			return &BatchError{Index: i, Err: &market.FieldError{Record: "profile", ID: p.ID, Field: "Side",
				Value: fmt.Sprintf("%s, %s earlier in the batch", p.Side, s), Err: market.ErrSideChange}}
		}
		sides[p.ID] = p.Side
	}
	return nil
}

// Remove removes the profiles with these IDs: they are no longer
// recommended and cannot ask for recommendations. Their index is kept (it is
// never reused) and their events stay in the log. Unknown IDs are an error
// naming the first one; nothing is removed then.
func (e *Engine) Remove(ctx context.Context, ids ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.cfg.Journal != nil {
		return e.removeJournal(ctx, ids)
	}
	return e.remove(ids, nil)
}

// removable returns the indices of ids, or an error naming the first
// unknown one. e.mu is held (read or write).
func (e *Engine) removable(ids []string) ([]uint32, error) {
	ixs := make([]uint32, len(ids))
	for i, id := range ids {
		ix, ok := e.dict.Lookup(id)
		if !ok || int(ix) >= len(e.profiles) || e.profiles[ix].ID == "" {
			return nil, &BatchError{Index: i, Err: &market.FieldError{Record: "profile", ID: id, Field: "ID", Value: id, Err: market.ErrUnknownID}}
		}
		ixs[i] = ix
	}
	return ixs, nil
}

// remove removes the profiles of ids; at, when not nil, is the journal
// entry they come from (see upsert).
func (e *Engine) remove(ids []string, at *Offset) (err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if at != nil {
		defer func() {
			var be *BatchError
			if err == nil || errors.As(err, &be) {
				e.journalAt = *at
			}
		}()
	}
	ixs, err := e.removable(ids)
	if err != nil {
		return err
	}
	e.others = nil
	for _, ix := range ixs {
		if err := e.index.Remove(ix); err != nil {
			return fmt.Errorf("twoway: inverted index: %w", err)
		}
		e.removed[ix] = true
		e.pop.Remove(ix)
	}
	return nil
}

// Record takes behaviour events in real time. The batch is validated first
// (fields, known participants on opposite sides): one invalid event and
// none of the batch is stored (the error is a *BatchError naming its
// position). Valid events update at once the behaviour counters, the
// interest-matrix overlay (collaborative recall), the already-seen and
// blocked sets, the recent-match statistics of urgency, and mark the actor's
// interest model for an online update before its next request.
//
// The behaviour counters live in Config.Realtime; when that store fails
// (a network error), Record still stores the events everywhere else and
// returns the store's error: the counters of the failed events are missing
// (they are not transactional with a remote store), nothing else is lost.
// The same holds for the shared seen and blocked pairs (Config.Seen,
// Config.Blocked) and event IDs (Config.EventIDs): an event whose ID
// another Engine already claimed is not counted again in the shared
// counters, but is taken into this Engine's own state.
// An event stamped later than Clock plus one counting bucket
// (Config.Activity.Bucket, a day by default) is invalid.
//
// With Config.Journal, Record first applies the journal to its end (so it
// validates against the profiles upserted anywhere), then appends the
// valid events that were not already applied (an ID applied within
// Config.EventIDRetention is a duplicate, acknowledged), applies them, and
// only then writes the shared counters and pairs for those that no other
// process counted (Config.EventIDs decides). A failed append stores
// nothing anywhere and returns the journal's error: the write was refused.
func (e *Engine) Record(ctx context.Context, events ...market.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	stats := EventStats{Events: len(events)}
	defer func() {
		stats.Duration = time.Since(start)
		e.cfg.Observer.Events(stats)
	}()
	batch := make([]event, 0, len(events))
	var unknown []market.Event // events naming an unknown profile (Skip, Park)
	var ids []string           // the batch's event IDs, by position in batch ("" none)
	var valid []market.Event   // the events of batch, as given (Config.Journal)
	if e.cfg.Journal != nil {
		if err := e.catchUp(ctx); err != nil {
			stats.StoreErr = true
			return err
		}
	}
	e.mu.RLock()
	side := func(id string) (market.Side, bool) {
		ix, ok := e.dict.Lookup(id)
		if !ok || int(ix) >= len(e.profiles) || e.profiles[ix].ID == "" {
			return 0, false
		}
		return e.profiles[ix].Side, true
	}
	latest := e.cfg.Clock().Add(e.tracker.Config().Bucket)
	for i := range events {
		ev := &events[i]
		if err := market.ValidateEventSides(ev, side); err != nil {
			if e.cfg.Unknown != RejectUnknown && unknownEvent(err) {
				unknown = append(unknown, *ev)
				continue
			}
			e.mu.RUnlock()
			stats.Rejected = true
			return &BatchError{Index: i, Err: err}
		}
		if ev.Time.After(latest) {
			e.mu.RUnlock()
			stats.Rejected = true
			return &BatchError{Index: i, Err: &market.FieldError{Record: "event", ID: ev.Key(), Field: "Time",
				Value: ev.Time.Format(time.RFC3339), Err: fmt.Errorf("%w: later than now plus one counting bucket", market.ErrOutOfRange)}}
		}
		a, _ := e.dict.Lookup(ev.Actor)
		t, _ := e.dict.Lookup(ev.Target)
		batch = append(batch, event{actor: a, target: t, action: ev.Action, side: e.profiles[a].Side, at: ev.Time.UnixNano()})
		ids = append(ids, ev.ID)
		if e.cfg.Journal != nil {
			valid = append(valid, *ev)
		}
	}
	e.mu.RUnlock()

	// The batch is valid: set aside the unknown ones and claim the IDs,
	// dropping what was recorded before (within the retention window).
	e.idMu.Lock()
	for _, ev := range unknown {
		if e.cfg.Unknown == ParkUnknown && len(e.parked) < e.cfg.ParkLimit {
			e.parked = append(e.parked, ev)
			stats.Parked++
		} else {
			e.skipped++
			stats.Skipped++
		}
	}
	if e.cfg.Journal != nil {
		e.idMu.Unlock()
		return e.recordJournal(ctx, valid, &stats)
	}
	kept, keptIDs := batch[:0], ids[:0]
	for k, ev := range batch {
		if ids[k] != "" && !e.ids.claim(ids[k], ev.at) {
			e.dupes++
			stats.Duplicates++
			continue
		}
		kept, keptIDs = append(kept, ev), append(keptIDs, ids[k])
	}
	batch, ids = kept, keptIDs
	e.idMu.Unlock()
	var errs []error
	// Then across Engines (Config.EventIDs), outside every lock: an event
	// another Engine recorded is not counted again in the shared counters.
	elsewhere, err := e.claimShared(ctx, ids)
	if err != nil {
		errs = append(errs, err)
		stats.StoreErr = true
	}
	if n := len(slices.DeleteFunc(slices.Clone(elsewhere), func(dup bool) bool { return !dup })); n > 0 {
		e.idMu.Lock()
		e.dupes += n
		e.idMu.Unlock()
		stats.Duplicates += n
	}

	// Counters first: a Fit that swaps in its state after the lock below
	// refreshes the touched participants from counters that hold these events.
	e.countMu.RLock()
	touched := make([]uint32, 0, 2*len(batch))
	for i, ev := range batch {
		if elsewhere != nil && elsewhere[i] && e.cfg.Realtime != nil {
			touched = append(touched, ev.actor, ev.target)
			continue
		}
		err := e.tracker.Record(ctx, activity.Event{Actor: ev.actor, Target: ev.target, Action: ev.action, Time: ev.time()})
		if err != nil {
			errs = append(errs, fmt.Errorf("event %d: real-time store: %w", i, err))
			stats.StoreErr = true
		}
		touched = append(touched, ev.actor, ev.target)
	}

	e.mu.Lock()
	st := e.state.Load()
	for _, ev := range batch {
		e.remember(ev)
		if e.fitting {
			e.during = append(e.during, ev)
		}
		st.record(ev)
	}
	e.mu.Unlock()
	e.countMu.RUnlock()
	if err := e.sharePairs(ctx, batch); err != nil {
		errs = append(errs, err)
		stats.StoreErr = true
	}

	if len(errs) == 0 {
		slices.Sort(touched)
		if err := e.refresh(ctx, st, slices.Compact(touched), e.cfg.Clock()); err != nil {
			errs = append(errs, fmt.Errorf("real-time store: %w", err))
		}
	}
	return errors.Join(errs...)
}

// remember appends one event to the log (Engine.log, or Engine.extLog
// with Config.Events), updates the per-participant sets (see addSets) and
// marks the actor's interest model stale. e.mu is held.
func (e *Engine) remember(ev event) {
	var pos int
	if e.cfg.Events == nil {
		pos, e.log = len(e.log), append(e.log, ev)
	} else {
		pos, e.extLog = len(e.extLog), append(e.extLog, ev)
	}
	e.addSets(e.acts, e.seen, e.blocked, ev, uint32(pos))
	e.dirty[ev.actor] = true
}

// actLog returns the events Engine.acts holds positions in: the retained
// log, or with Config.Events the Fit's log and every event since. e.mu is
// held.
func (e *Engine) actLog() []event {
	if e.cfg.Events == nil {
		return e.log
	}
	return e.extLog
}

// lookup returns the index and a copy of the profile of id, whether it is
// known, and whether it was removed.
func (e *Engine) lookup(id string) (ix uint32, p market.Profile, known, removed bool) {
	ix, ok := e.dict.Lookup(id)
	if !ok {
		return 0, market.Profile{}, false, false
	}
	e.mu.RLock()
	defer e.mu.RUnlock()
	if int(ix) >= len(e.profiles) || e.profiles[ix].ID == "" {
		return 0, market.Profile{}, false, false
	}
	return ix, e.profiles[ix], true, e.removed[ix]
}

// Profile returns a copy of the profile stored under id, as last upserted
// (an inactive one too), for a host that shows what the Engine knows (a
// server started from a snapshot has no other copy). An ID without a
// profile is ErrUnknownRequester, a removed profile ErrInactive; the copy
// shares no memory with the Engine.
func (e *Engine) Profile(id string) (market.Profile, error) {
	_, p, ok, removed := e.lookup(id)
	switch {
	case !ok:
		return market.Profile{}, &roleError{role: "profile", id: id}
	case removed:
		return market.Profile{}, &roleError{role: "profile", id: id, removed: true}
	}
	return p.Clone(), nil
}
