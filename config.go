package twoway

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"math"
	"time"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/exposure"
	"github.com/twowayrec/twoway/factor"
	"github.com/twowayrec/twoway/fusion"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/recall"
	"github.com/twowayrec/twoway/text"
	"github.com/twowayrec/twoway/urgency"
)

// ProfileSource streams the host's profiles for Fit. A host that keeps its
// profiles in a database implements it over a cursor; errors end the Fit.
type ProfileSource interface {
	Profiles(ctx context.Context) iter.Seq2[market.Profile, error]
}

// ProfileSourceFunc adapts a function to ProfileSource.
type ProfileSourceFunc func(ctx context.Context) iter.Seq2[market.Profile, error]

// Profiles calls f(ctx).
func (f ProfileSourceFunc) Profiles(ctx context.Context) iter.Seq2[market.Profile, error] {
	return f(ctx)
}

// EventSource streams the host's behaviour log for Fit, in any order.
type EventSource interface {
	Events(ctx context.Context) iter.Seq2[market.Event, error]
}

// EventSourceFunc adapts a function to EventSource.
type EventSourceFunc func(ctx context.Context) iter.Seq2[market.Event, error]

// Events calls f(ctx).
func (f EventSourceFunc) Events(ctx context.Context) iter.Seq2[market.Event, error] { return f(ctx) }

// Progress reports one stage of a Fit.
//
// Each stage reports its start (Done false, Fraction 0) and its end (Done
// true, Fraction 1). The "match" stage, most of a Fit's time (the
// behaviour counts, the collaborative evidence of five folds, and each
// side's interest model), the "urgency" stage, and with latent factors
// or allocation the "factors" and "allocation" stages also report as
// they advance: Step names the work ("evidence", "seeker model:
// entities", "inputs", "seeker factors", "embeddings", "graph", …), Iteration of Iterations counts it where it has counts
// (folds, samples, L-BFGS iterations of the global model, whose
// Iterations is a bound it usually stops short of, entities), Fraction is
// the share of the stage done and Remaining the time the stage still needs
// at its pace so far.
type Progress struct {
	Stage   string        // "profiles", "events", "text", "recall", "factors", "match", "urgency", "exposure", "allocation", "ranking", "swap"
	Done    bool          // the stage finished (false: it started, or is under way)
	Elapsed time.Duration // since the Fit started

	Step                  string        // within the stage; "" at its start and end
	Iteration, Iterations int           // of Step
	Fraction              float64       // of the stage done, in [0, 1]
	Remaining             time.Duration // estimate of the stage's time left; 0 when none yet
}

// RecallConfig configures the recall stage of the Engine.
type RecallConfig struct {
	// HalfLife of the interest matrix's time decay. Zero: 30 days.
	HalfLife time.Duration `json:"half_life"`
	// ItemCF, UserCF, Swing configure the collaborative recallers.
	ItemCF recall.CFConfig    `json:"item_cf"`
	UserCF recall.CFConfig    `json:"user_cf"`
	Swing  recall.SwingConfig `json:"swing"`
	// Content is how many candidates the content recallers (inverted
	// index, fresh) return. Zero: 200.
	Content int `json:"content"`
	// Collaborative is how many candidates the collaborative recallers
	// (item-CF, user-CF, Swing, hot) return, merged by reciprocal-rank
	// fusion. Zero: 200.
	Collaborative int `json:"collaborative"`
	// IndexPath, when set, keeps the inverted index on disk there.
	// Empty: in memory.
	IndexPath string `json:"index_path,omitempty"`
}

// Config configures an Engine. Every field's zero value is documented and
// sensible, so the zero Config gives a working in-memory Engine.
type Config struct {
	// Profiles, when set, is read by Fit: the host's full set of profiles.
	// Nil: Fit uses the profiles given to Upsert.
	Profiles ProfileSource `json:"-"`
	// Events, when set, is read by Fit: the host's behaviour log. Nil: the
	// Engine keeps every event given to Record and Fit uses them.
	Events EventSource `json:"-"`
	// Realtime keeps the real-time behaviour counters (package activity;
	// docs/architecture.md §3, "Real-time and full state"). Set a
	// shared store (Redis, …) to run several Engines on one state; when it
	// implements activity.IDStore, the Engine counts by string ID (the
	// same in every process) instead of by dense index. Nil: in memory.
	Realtime activity.Store `json:"-"`
	// Seen, Blocked, Ledger and EventIDs share the rest of the serving
	// state between Engines (several servers of one market; see the
	// "Shared serving state" section of shared.go): the pairs each actor
	// contacted, the pairs blocked by a rejection, the exposure ledger, and
	// the IDs of recorded events. Each nil: this process's own, as without
	// them. Ledger's HalfLife and RepeatWindow must equal Exposure's.
	Seen     PairStore     `json:"-"`
	Blocked  PairStore     `json:"-"`
	Ledger   ExposureStore `json:"-"`
	EventIDs EventIDStore  `json:"-"`
	// Journal, when set, is the shared journal of the market's writes
	// (see journal.go and Sync): Upsert, Remove and Record append to it and
	// every Engine on it applies the same writes in the same order, so
	// that the per-process parts of the serving state agree between
	// servers. Set it with the shared stores above (EventIDs above all: it
	// makes a write retried on another server count once in the shared
	// counters). Nil: each Engine's writes are its own.
	Journal Journal `json:"-"`

	// Clock gives "now". Nil: time.Now.
	Clock func() time.Time `json:"-"`
	// Seed seeds every random choice (negative sampling). Zero is a seed.
	Seed uint64 `json:"seed"`
	// Logger receives Fit's progress and skipped records. Nil: silent.
	Logger *slog.Logger `json:"-"`
	// OnProgress, when set, is called at the start and end of each Fit
	// stage and as the match, urgency, factors and allocation stages
	// advance (see Progress), from the
	// goroutine of the Fit, one call at a time; it must return quickly.
	OnProgress func(Progress) `json:"-"`

	// ActionWeights is how much interest each action shows. Nil:
	// market.DefaultActionWeights().
	ActionWeights *market.ActionWeights `json:"action_weights,omitempty"`
	// Aggregator names the two-way aggregator (match.Aggregators). Empty:
	// DefaultAggregator, "contact-cost": the probability of a match
	// discounted by the contacts it takes (match.ContactCost; see
	// DefaultAggregator why); "product" is the probability of a match
	// alone, "urgency-geometric" the patent's urgency weighting in a form
	// that stays the geometric mean when urgencies are equal,
	// "urgency-weighted" its weighted sum.
	Aggregator string `json:"aggregator"`
	// ContactCost is the cost c of one contact, in matches, of the
	// "contact-cost" aggregator (Config.Aggregator or Request.Aggregator):
	// the larger, the more a candidate who leaves contacts unanswered
	// falls. Zero: match.DefaultContactCost (0.2); it must be finite and
	// not negative. It has no effect on the other aggregators.
	ContactCost float64 `json:"contact_cost,omitempty"`
	// Reasons is how many reasons per direction explanations keep. Zero: 3.
	Reasons int `json:"reasons"`
	// Language is the language of explanations: text.Chinese ("zh") or
	// text.English ("en"); Request.Language overrides it per request.
	// Empty: Chinese, the language of the markets the library is built
	// for.
	Language text.Language `json:"language,omitempty"`
	// WarmTokenizer loads the Chinese segmenter's dictionary in New
	// (about a second), so that the first request does not pay for it.
	// Zero (false): on first use.
	WarmTokenizer bool `json:"warm_tokenizer,omitempty"`
	// EventIDRetention is how long the IDs of recorded events
	// (market.Event.ID) are remembered: an event delivered again within
	// it is acknowledged and not counted again. Zero: 7 days. Events
	// without an ID are never de-duplicated. The memory is this process's;
	// Config.EventIDs shares it between Engines.
	EventIDRetention time.Duration `json:"event_id_retention"`
	// Unknown is what Record does with an event naming a profile the
	// Engine does not know yet: RejectUnknown (the zero value: the batch
	// fails), SkipUnknown or ParkUnknown.
	Unknown UnknownPolicy `json:"unknown,omitempty"`
	// ParkLimit bounds the events parked by ParkUnknown; beyond it they
	// are skipped. Zero: 100,000.
	ParkLimit int `json:"park_limit,omitempty"`
	// Observer, when set, receives the Engine's measurements: every
	// request's recall sizes, filter removals and stage latencies, every
	// Record batch, every Fit stage. Nil: none. It is called on the
	// goroutine of the call it reports and must not block.
	Observer Observer `json:"-"`
	// LearnRanking makes each Fit (after the first) learn fusion's ranking
	// from outcomes: every pair that one side attended to (or was shown)
	// since the previous Fit, labelled by whether it became a mutual chat,
	// with the features the previous state gave it (so no label leaks into
	// its own features). With too few outcomes of both kinds the weighted
	// sum of Fusion.Weights stays. Zero (false): the weighted sum.
	LearnRanking bool `json:"learn_ranking"`
	// HideViewed also hides from a requester the profiles they viewed or
	// favourited. Zero (false): only contacted (chat, apply, reply, hire)
	// and rejected profiles are hidden; a viewed job may come back.
	HideViewed bool `json:"hide_viewed"`
	// ExclusionRefresh is how often the recall-time exclusion bitmap of
	// over-exposed candidates is rebuilt. Zero: one minute.
	ExclusionRefresh time.Duration `json:"exclusion_refresh"`

	// Text configures the content vectors. The defaults were chosen on
	// validation (the Chinese weak-label retrieval task of package
	// benchmarks/retrieval: lagou 2017, validation queries of seed 2, 300
	// queries, 4,852 postings; the simulator's validation markets, seeds
	// 101 and 102, simulated; speed dating, validation waves 11–14):
	//   - the text block weighs all of a profile's words (title, skills,
	//     tags and free text; text.EncoderConfig.FreeTextOnly false): the
	//     Engine's precision@10 went from 0.251 to 0.270 with structured
	//     queries and from 0.240 to 0.266 with text-only ones, and the
	//     simulator made 369 and 310 matches instead of 361 and 309;
	//   - it holds character bigrams of Chinese beside the segmenter's
	//     words (text.EncoderConfig.NoHanBigrams false) and weighs 1.5
	//     (text.DefaultWeights): precision@10 0.270 → 0.278 structured and
	//     0.266 → 0.281 text-only (the text TF-IDF cosine 0.266, bag of
	//     words 0.262); simulator (10 rounds) 435 and 436 → 435 and 439
	//     matches; speed dating AUC(match) women/men 0.756/0.758 →
	//     0.757/0.759 (its text is English: the weight alone);
	//   - host attributes are standardised over the fitted profiles
	//     (text.EncoderConfig.RawAttributes false): speed dating's sign-up
	//     answers mix an income of 50,000 with 1–10 ratings, and raw the
	//     income alone filled the attribute block. On the validation waves
	//     (TestEngineValidation in benchmarks/dating, split seeds 1–8)
	//     AUC(match) women / men 0.7360 / 0.7397 → 0.7377 / 0.7413 in the
	//     mean (up on 5 and 6 of the 8 seeds; seed 1 alone 0.7618 /
	//     0.7542 → 0.7686 / 0.7621), GAUC(match) 0.7019 / 0.7161 →
	//     0.6974 / 0.7127: a small gain on the pooled figure the Engine is
	//     judged by, for a fix of the encoding itself. The retrieval task's
	//     precision@10 is unchanged (0.278 structured, 0.281 text-only,
	//     validation seed 2) and the simulator's profiles have no
	//     attributes. On the test waves 1–10 (seed 1), computed once after
	//     the choice, it is a tie: 0.7831 / 0.7782 against 0.784 / 0.780
	//     (the best floor, harmonic, 0.7560).
	Text    text.EncoderConfig `json:"text"`
	Rules   text.RuleConfig    `json:"rules"`
	Recall  RecallConfig       `json:"recall"`
	Samples match.SampleConfig `json:"samples"`
	// Evidence configures the behaviour counts behind the interest
	// models' evidence features (match.Evidence): what a positive action
	// is and how rates are smoothed.
	Evidence match.BehaviourConfig `json:"evidence"`
	// Taste configures the signed neighbourhood evidence of both one-way
	// models (match.Taste, match.EvidenceTaste: how much the people whose
	// yes and no agree with the actor's went for the target beyond their
	// own habit); Neighbours −1 turns it off. It is on because it raised
	// both validation figures: on speed dating's validation waves 11–14
	// (mean over split seeds 1 to 8; TestEngineValidation in
	// benchmarks/dating, variant "taste-off") AUC(match) women / men
	// 0.7392 / 0.7366 against 0.7370 / 0.7350 off, GAUC 0.6966 / 0.7069
	// against 0.6892 / 0.7028; on the simulator's validation markets
	// (simulated, seeds 101 to 105, 1,500 seekers × 300 jobs, 10 rounds;
	// TestConfigValidation in benchmarks/enginesim) 449, 444, 435, 428, 434
	// matches (2,190; 1,396 in the first three rounds) against 454, 447,
	// 430, 423, 424 off (2,178; 1,386). Its neighbours (50) and shrinkage
	// (5) were not moved by validation: 20 neighbours, shrinkage 2 or 10
	// change dating's AUC(match) by at most 0.0004.
	// Item-CF and user-CF over the interest matrix see positive actions
	// only; on speed dating an offline logistic model of the same rates
	// lost 0.003 AUC(match) with a positive-only user-CF feature and
	// gained 0.009 with this signed one (TestDatingCeiling in
	// benchmarks/dating).
	Taste    match.TasteConfig    `json:"taste"`
	Interest match.InterestConfig `json:"interest"`
	Activity activity.Config      `json:"activity"`
	Urgency  urgency.Config       `json:"urgency"`
	Exposure exposure.Config      `json:"exposure"`
	Fusion   fusion.Config        `json:"fusion"`
	// Allocation configures the market-level reranker (TU matching).
	// Zero: off.
	Allocation AllocationConfig `json:"allocation"`
	// Factors configures the latent factors (two-sided matrix
	// factorisation) as evidence, recall source and cold-start factors.
	// Zero: DefaultFactorUse.
	Factors FactorConfig `json:"factors"`
	// Embedder, when set, turns profiles into vectors (the host's text
	// encoder or an LLM embedding service): at each Fit every profile, at
	// each Upsert after it the batch, under Embed's timeout. Their cosine is
	// an evidence feature of both one-way models (match.EvidenceEmbedding)
	// and they are a recall source ("embeddings"). An embedder that fails
	// or times out never fails a Fit, an Upsert or a request: the profiles
	// it missed have no embedding (the feature is 0, the other features
	// decide), counted in Stats.EmbedFailed and reported to an Observer
	// that implements EmbedObserver. After a Fit at which it embedded
	// nothing, Upserts do not call it until the next Fit. Nil: no
	// embeddings.
	Embedder factor.Embedder `json:"-"`
	// Embed configures the calls of Embedder (batch size, timeout per
	// batch). Zero Timeout: 10 seconds.
	Embed factor.EmbedConfig `json:"embed"`
}

func (c *Config) defaults() error {
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Observer == nil {
		c.Observer = observer{}
	}
	if c.EventIDRetention == 0 {
		c.EventIDRetention = 7 * 24 * time.Hour
	}
	if c.EventIDRetention < 0 {
		return fmt.Errorf("%w: EventIDRetention: negative", ErrConfig)
	}
	switch c.Unknown {
	case "":
		c.Unknown = RejectUnknown
	case RejectUnknown, SkipUnknown, ParkUnknown:
	default:
		return fmt.Errorf("%w: Unknown: %q (want %q, %q or %q)", ErrConfig, c.Unknown, RejectUnknown, SkipUnknown, ParkUnknown)
	}
	if c.ParkLimit == 0 {
		c.ParkLimit = 100_000
	}
	if c.ParkLimit < 0 {
		return fmt.Errorf("%w: ParkLimit: negative", ErrConfig)
	}
	if c.ActionWeights == nil {
		w := market.DefaultActionWeights()
		c.ActionWeights = &w
	}
	if err := c.ActionWeights.Validate(); err != nil {
		return fmt.Errorf("%w: ActionWeights: %w", ErrConfig, err)
	}
	if c.Reasons == 0 {
		c.Reasons = 3
	}
	switch c.Language {
	case "", text.Chinese, text.English:
	default:
		return fmt.Errorf("%w: Language: %q (want %q or %q)", ErrConfig, c.Language, text.Chinese, text.English)
	}
	if c.Reasons < 0 {
		return fmt.Errorf("%w: Reasons: negative (%d)", ErrConfig, c.Reasons)
	}
	if c.ExclusionRefresh == 0 {
		c.ExclusionRefresh = time.Minute
	}
	if c.ExclusionRefresh < 0 {
		return fmt.Errorf("%w: ExclusionRefresh: negative", ErrConfig)
	}
	if c.Recall.HalfLife == 0 {
		c.Recall.HalfLife = 30 * 24 * time.Hour
	}
	if c.Recall.Content == 0 {
		c.Recall.Content = 200
	}
	if c.Recall.Collaborative == 0 {
		c.Recall.Collaborative = 200
	}
	if c.Recall.Content < 0 || c.Recall.Collaborative < 0 || c.Recall.HalfLife < 0 {
		return fmt.Errorf("%w: Recall: negative size or half-life", ErrConfig)
	}
	if c.Realtime != nil && c.Activity.Store != nil {
		return fmt.Errorf("%w: Realtime and Activity.Store are both set; set Realtime", ErrConfig)
	}
	if c.Realtime != nil {
		c.Activity.Store = c.Realtime
	}
	if c.Activity.Clock == nil {
		c.Activity.Clock = c.Clock
	}
	if c.Exposure.Clock == nil {
		c.Exposure.Clock = c.Clock
	}
	if c.Samples.Weights == (market.ActionWeights{}) {
		c.Samples.Weights = *c.ActionWeights
	}
	if c.Samples.Seed == 0 {
		c.Samples.Seed = c.Seed
	}
	if c.Evidence.Weights == (market.ActionWeights{}) {
		c.Evidence.Weights = *c.ActionWeights
	}
	if err := c.Samples.Validate(); err != nil {
		return fmt.Errorf("%w: Samples: %w", ErrConfig, err)
	}
	if err := c.Interest.Validate(); err != nil {
		return fmt.Errorf("%w: Interest: %w", ErrConfig, err)
	}
	if err := c.Taste.Validate(); err != nil {
		return fmt.Errorf("%w: Taste: %w", ErrConfig, err)
	}
	if err := c.Factors.defaults(c.Seed); err != nil {
		return err
	}
	if c.Embed.Timeout == 0 {
		c.Embed.Timeout = 10 * time.Second
	}
	if c.Embed.Timeout < 0 || c.Embed.Batch < 0 || c.Embed.MaxErrors < 0 {
		return fmt.Errorf("%w: Embed: negative timeout, batch or error count", ErrConfig)
	}
	if c.Allocation.Candidates < 0 {
		return fmt.Errorf("%w: Allocation.Candidates: negative (%d)", ErrConfig, c.Allocation.Candidates)
	}
	if _, err := match.AggregatorByName(c.Aggregator); err != nil {
		return fmt.Errorf("%w: Aggregator: %w", ErrConfig, err)
	}
	if !(c.ContactCost >= 0) || math.IsInf(c.ContactCost, 1) {
		return fmt.Errorf("%w: ContactCost: %v: must be finite and not negative", ErrConfig, c.ContactCost)
	}
	if c.ContactCost == 0 {
		c.ContactCost = match.DefaultContactCost
	}
	return nil
}
