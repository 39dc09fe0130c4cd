// Package enginesim runs a [twoway.Engine] as a contender of the market
// simulator (package sim), driven only through the Engine's public API,
// exactly as a host drives it. Every figure it produces is simulated.
//
// # What the host does
//
// A [Contender] owns one Engine and a simulated clock (Config.Clock of the
// Engine reads it):
//
//   - at construction it upserts every profile registered by round 0, with
//     the observable fields only (synth's profiles: title, skills, city,
//     salary, … never the latent truth), and records the world's history
//     (none for a cold world, [sim.World.Cold]);
//   - at the start of each round (night) it upserts the day's new arrivals
//     and calls Fit;
//   - for each request it sets the clock to the request's time and calls
//     Recommend (N = K);
//   - it records each interaction as it happens ([sim.Watcher]), one
//     Record call per event: Impression for every candidate shown, View,
//     Apply (seeker) or Chat (recruiter) for a contact, Reply for a
//     positive answer and Reject for an explicit decline; when a
//     participant leaves the market ([sim.Leaver]) it upserts its profile
//     with Inactive set.
//
// Every error the Engine returns is counted in [Stats], never hidden: a
// correct harness and Engine give zero record, upsert and recommend errors.
package enginesim

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/twowayrec/twoway"
	"github.com/twowayrec/twoway/benchmarks/sim"
	"github.com/twowayrec/twoway/market"
)

// Config configures a Contender.
type Config struct {
	// Engine is the Engine's configuration. Its Clock is replaced by the
	// contender's simulated clock; everything else is used as given.
	Engine twoway.Config
	// Aggregator, when set, is passed as Request.Aggregator on every
	// request (one of match.Aggregators' names). "": the Engine's own.
	Aggregator string
	// HistoryBatch is how many history events go into one Record call when
	// the history is fed. Zero: 1000.
	HistoryBatch int
	// OnFit, when set, is called after each nightly Fit with the round and
	// the Fit's wall time and error (for progress lines only: timings never
	// enter a report).
	OnFit func(round int, took time.Duration, err error)
}

// Stats counts what the contender did and every error the Engine returned.
type Stats struct {
	Upserts   int `json:"upserts"`    // profiles upserted (arrivals and departures included)
	Records   int `json:"records"`    // events recorded without error
	Requests  int `json:"requests"`   // Recommend calls
	Fits      int `json:"fits"`       // Fit calls
	Empty     int `json:"empty"`      // Recommend answered no result
	Short     int `json:"short"`      // Recommend answered fewer than K (Empty included)
	Unfitted  int `json:"unfitted"`   // answers with Response.Fitted false
	UnknownID int `json:"unknown_id"` // result IDs the world does not know (a harness failure)
	// Errors per call; FirstError is the first error of any kind, "" if none.
	RecordErrors    int    `json:"record_errors"`
	UpsertErrors    int    `json:"upsert_errors"`
	RecommendErrors int    `json:"recommend_errors"`
	FitErrors       int    `json:"fit_errors"`
	FirstError      string `json:"first_error,omitempty"`
}

// Errors returns the total number of errors.
func (s Stats) Errors() int { return s.RecordErrors + s.UpsertErrors + s.RecommendErrors + s.FitErrors }

// Contender is a sim.Recommender, sim.Watcher and sim.Leaver over one
// twoway.Engine. It is used from the simulator's goroutine only.
type Contender struct {
	name    string
	w       *sim.World
	cfg     Config
	engine  *twoway.Engine
	ctx     context.Context
	clock   atomic.Int64 // unix nanoseconds
	round   int          // the round prepared (−1: none)
	upTo    int          // profiles registered by this market day are upserted
	stats   Stats
	out     []uint32
	lastErr error
	left    map[uint32]bool
}

// New returns a contender named name over w: it creates the Engine,
// upserts the profiles registered by round 0 and records w's history.
// ctx is used for every call to the Engine during the run. Close the
// contender after the run.
func New(ctx context.Context, name string, w *sim.World, cfg Config) (*Contender, error) {
	c := &Contender{name: name, w: w, cfg: cfg, ctx: ctx, round: -1, left: map[uint32]bool{}}
	if c.cfg.HistoryBatch == 0 {
		c.cfg.HistoryBatch = 1000
	}
	if c.cfg.HistoryBatch < 0 {
		return nil, fmt.Errorf("enginesim: HistoryBatch: negative (%d)", c.cfg.HistoryBatch)
	}
	ec := cfg.Engine
	ec.Clock = c.now
	c.set(w.Start)
	if len(w.History) > 0 {
		c.set(w.History[0].Time)
	}
	e, err := twoway.New(ec)
	if err != nil {
		return nil, fmt.Errorf("enginesim: %s: %w", name, err)
	}
	c.engine = e
	// Profiles registered by round 0, then the history in time order.
	c.upTo = w.Day(0)
	var batch []market.Profile
	for i := range w.Market.Profiles {
		if w.Market.RegisteredDay(uint32(i)) <= c.upTo {
			batch = append(batch, w.Market.Profiles[i])
		}
	}
	if err := e.Upsert(ctx, batch...); err != nil {
		e.Close()
		return nil, fmt.Errorf("enginesim: %s: upsert: %w", name, err)
	}
	c.stats.Upserts += len(batch)
	evs := make([]market.Event, 0, c.cfg.HistoryBatch)
	for i, h := range w.History {
		evs = append(evs, c.event(h))
		if len(evs) == c.cfg.HistoryBatch || i == len(w.History)-1 {
			c.set(h.Time)
			if err := e.Record(ctx, evs...); err != nil {
				e.Close()
				return nil, fmt.Errorf("enginesim: %s: history: %w", name, err)
			}
			c.stats.Records += len(evs)
			evs = evs[:0]
		}
	}
	return c, nil
}

// Engine returns the contender's Engine (for inspection after a run).
func (c *Contender) Engine() *twoway.Engine { return c.engine }

// Stats returns the counts so far.
func (c *Contender) Stats() Stats { return c.stats }

// Close releases the Engine.
func (c *Contender) Close() error { return c.engine.Close() }

func (c *Contender) now() time.Time { return time.Unix(0, c.clock.Load()).UTC() }

func (c *Contender) set(t time.Time) {
	// The clock never goes back: events of one list share the request time.
	if n := t.UnixNano(); n > c.clock.Load() {
		c.clock.Store(n)
	}
}

func (c *Contender) fail(counter *int, err error) {
	*counter++
	if c.stats.FirstError == "" {
		c.stats.FirstError = err.Error()
	}
	c.lastErr = err
}

// LastError returns the most recent error the Engine returned (nil: none).
func (c *Contender) LastError() error { return c.lastErr }

func (c *Contender) id(ix uint32) string { return c.w.Market.Profiles[ix].ID }

func (c *Contender) event(e sim.Interaction) market.Event {
	return market.Event{Actor: c.id(e.Actor), Target: c.id(e.Target), Action: e.Action, Time: e.Time}
}

// prepare runs the night before round r: the day's arrivals are upserted
// and the Engine is refitted.
func (c *Contender) prepare(r int) {
	c.round = r
	c.set(c.w.Start.Add(time.Duration(r) * 24 * time.Hour))
	day := c.w.Day(r)
	var batch []market.Profile
	for i := range c.w.Market.Profiles {
		d := c.w.Market.RegisteredDay(uint32(i))
		if d > c.upTo && d <= day {
			batch = append(batch, c.w.Market.Profiles[i])
		}
	}
	c.upTo = day
	if len(batch) > 0 {
		if err := c.engine.Upsert(c.ctx, batch...); err != nil {
			c.fail(&c.stats.UpsertErrors, fmt.Errorf("round %d: upsert arrivals: %w", r, err))
		} else {
			c.stats.Upserts += len(batch)
		}
	}
	t0 := time.Now()
	err := c.engine.Fit(c.ctx)
	c.stats.Fits++
	if err != nil {
		c.fail(&c.stats.FitErrors, fmt.Errorf("round %d: fit: %w", r, err))
	}
	if c.cfg.OnFit != nil {
		c.cfg.OnFit(r, time.Since(t0), err)
	}
}

// Recommend implements sim.Recommender: Recommend for the requester at
// the request's time. An error gives an empty list (and is counted).
func (c *Contender) Recommend(req sim.Request) []uint32 {
	if req.Round != c.round {
		c.prepare(req.Round)
	}
	c.set(req.Time)
	c.stats.Requests++
	resp, err := c.engine.Recommend(c.ctx, twoway.Request{ID: c.id(req.User), N: req.K, Aggregator: c.cfg.Aggregator})
	c.out = c.out[:0]
	if err != nil {
		c.fail(&c.stats.RecommendErrors, fmt.Errorf("round %d: recommend %s: %w", req.Round, c.id(req.User), err))
		c.stats.Empty++
		c.stats.Short++
		return c.out
	}
	if !resp.Fitted {
		c.stats.Unfitted++
	}
	for _, r := range resp.Results {
		ix, ok := c.w.Market.Dict.Lookup(r.ID)
		if !ok {
			c.stats.UnknownID++
			continue
		}
		c.out = append(c.out, ix)
	}
	if len(resp.Results) < req.K {
		c.stats.Short++
		if len(resp.Results) == 0 {
			c.stats.Empty++
		}
	}
	return c.out
}

// Happened implements sim.Watcher: the event is recorded at once.
func (c *Contender) Happened(r int, e sim.Interaction) {
	c.set(e.Time)
	if err := c.engine.Record(c.ctx, c.event(e)); err != nil {
		c.fail(&c.stats.RecordErrors, fmt.Errorf("round %d: record %s %s→%s: %w", r, e.Action, c.id(e.Actor), c.id(e.Target), err))
		return
	}
	c.stats.Records++
}

// Left implements sim.Leaver: the participant's profile is upserted with
// Inactive set (a filled job, a seeker who found work).
func (c *Contender) Left(r int, ix uint32, at time.Time) {
	c.set(at)
	c.left[ix] = true
	p := c.w.Market.Profiles[ix]
	p.Inactive = true
	if err := c.engine.Upsert(c.ctx, p); err != nil {
		c.fail(&c.stats.UpsertErrors, fmt.Errorf("round %d: upsert %s inactive: %w", r, p.ID, err))
		return
	}
	c.stats.Upserts++
}

// ExposureOff returns cfg with exposure control switched off, for the
// "exposure off" contenders: Exposure.Off (the ledger counts nothing,
// every congestion factor is 1, nobody is excluded), and neither exposure
// nor fusion drops anybody for saturation.
func ExposureOff(cfg twoway.Config) twoway.Config {
	cfg.Exposure.Off = true
	cfg.Exposure.MaxSaturation = 1
	cfg.Fusion.MaxSaturation = 1
	return cfg
}

// ErrHarness is wrapped by [Check]'s errors.
var ErrHarness = errors.New("enginesim: harness invariant violated")

// Check returns an error wrapping ErrHarness when the run broke one of the
// harness's invariants: an Engine call failed, a result named an unknown
// participant, or the simulator ignored a candidate (wrong side, not
// registered, left, the requester itself, a duplicate) or saw a candidate
// shown again after the requester had contacted it.
func Check(s Stats, sum sim.Summary) error {
	var errs []error
	if s.Errors() > 0 {
		errs = append(errs, fmt.Errorf("%w: %d Engine errors (record %d, upsert %d, recommend %d, fit %d), first: %s",
			ErrHarness, s.Errors(), s.RecordErrors, s.UpsertErrors, s.RecommendErrors, s.FitErrors, s.FirstError))
	}
	if s.UnknownID > 0 {
		errs = append(errs, fmt.Errorf("%w: %d results with unknown IDs", ErrHarness, s.UnknownID))
	}
	if sum.Invalid > 0 {
		errs = append(errs, fmt.Errorf("%w: the simulator ignored %d candidates", ErrHarness, sum.Invalid))
	}
	if sum.Repeats > 0 {
		errs = append(errs, fmt.Errorf("%w: %d candidates shown after the requester had contacted them", ErrHarness, sum.Repeats))
	}
	return errors.Join(errs...)
}
