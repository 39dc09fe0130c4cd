package urgency

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/market"
)

// Config configures the urgency model and the recent-attention tracker.
// The zero value is valid; each field documents its default.
type Config struct {
	// Recent is how many recently attended profiles (viewed, favourited or
	// contacted) are remembered per participant for the match statistics.
	// Zero means 20.
	Recent int `json:"recent"`
	// Horizon is the span after the cut-off of the default label: the
	// participant takes part in a mutual chat within it. Zero means 7 days.
	Horizon time.Duration `json:"horizon"`
	// MinHistory is the shrinkage constant of the prior: a participant with
	// history n ([History]: events made or received in the longest activity
	// window) gets w·model + (1−w)·prior with w = n/(n+MinHistory), so a
	// participant with no history gets the prior. Zero means 5; negative
	// means no shrinkage.
	MinHistory float64 `json:"min_history"`
	// Prior is the urgency assumed without history, in (0,1). Zero means
	// the share of positive labels among the training users whose history
	// is below MinHistory (the overall share if fewer than 30 such users).
	Prior float64 `json:"prior"`
	// L2 is the ridge penalty of the logistic regression on standardised
	// features (rank.Config.L2). Zero means 1e-2; negative means none.
	L2 float64 `json:"l2"`
	// OneWay returns user's one-way match for target (from package match,
	// for example), called once per attention event. It must be safe for
	// concurrent use. Nil means no match statistics (they stay 0).
	OneWay func(user, target uint32) float64 `json:"-"`
	// OneWayBatch, when set, is OneWay for one user and several targets,
	// appending OneWay(user, targets[i]) to dst[:0] and returning it
	// (package match's Interest.OneWayBatch, for example). RecordAll (a
	// Fit's replay) calls it once per user instead of OneWay per event. It
	// must be safe for concurrent use and agree with OneWay. Nil: OneWay.
	OneWayBatch func(user uint32, targets []uint32, dst []float64) []float64 `json:"-"`
}

// ErrConfig is wrapped by every error for an invalid Config.
var ErrConfig = errors.New("urgency: invalid config")

func (c Config) withDefaults() (Config, error) {
	bad := func(field string, v any, want string) (Config, error) {
		return c, fmt.Errorf("%w: %s = %v: %s", ErrConfig, field, v, want)
	}
	notFinite := func(x float64) bool { return math.IsNaN(x) || math.IsInf(x, 0) }
	switch {
	case c.Recent < 0 || c.Recent > 1<<16:
		return bad("Recent", c.Recent, "must be in [0, 65536]")
	case c.Horizon < 0:
		return bad("Horizon", c.Horizon, "must not be negative")
	case notFinite(c.MinHistory):
		return bad("MinHistory", c.MinHistory, "must be finite")
	case notFinite(c.Prior) || c.Prior < 0 || c.Prior >= 1:
		return bad("Prior", c.Prior, "must be in (0,1), or 0 for the base rate")
	case notFinite(c.L2):
		return bad("L2", c.L2, "must be finite")
	}
	if c.Recent == 0 {
		c.Recent = 20
	}
	if c.Horizon == 0 {
		c.Horizon = 7 * 24 * time.Hour
	}
	switch {
	case c.MinHistory == 0:
		c.MinHistory = 5
	case c.MinHistory < 0:
		c.MinHistory = 0
	}
	switch {
	case c.L2 == 0:
		c.L2 = 1e-2
	case c.L2 < 0:
		c.L2 = 0
	}
	return c, nil
}

// MatchStats summarises the one-way match of the profiles a participant
// attended recently.
type MatchStats struct {
	N        int     // profiles remembered (at most Config.Recent)
	Mean     float64 // mean one-way match; 0 when N = 0
	Variance float64 // population variance; 0 when N < 2
}

// Input is everything the urgency model reads about one participant.
type Input struct {
	Activity activity.Features
	Match    MatchStats
}

// Vector appends the model's input vector to dst: the activity vector,
// then 1 if there are match statistics, their mean, variance and ln(1+N).
func (in *Input) Vector(dst []float64) []float64 {
	dst = in.Activity.Vector(dst)
	return append(dst, bit(in.Match.N > 0), in.Match.Mean, in.Match.Variance, math.Log1p(float64(in.Match.N)))
}

// numMatch is the number of entries Input.Vector appends after the
// activity vector.
const numMatch = 4

// Check returns an error wrapping ErrCorrupt unless in can be scored: its
// Activity passes [activity.Features.Check] (so the zero Input fails) and
// its match statistics are finite with N ≥ 0.
func (in *Input) Check() error {
	if err := in.Activity.Check(); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if ms := in.Match; ms.N < 0 || math.IsNaN(ms.Mean) || math.IsInf(ms.Mean, 0) || math.IsNaN(ms.Variance) || math.IsInf(ms.Variance, 0) {
		return fmt.Errorf("%w: match statistics %+v", ErrCorrupt, ms)
	}
	return nil
}

// VectorNames returns the names of Vector's entries given the activity
// vector's names (activity.Tracker.VectorNames).
func VectorNames(activityNames []string) []string {
	return append(slices.Clone(activityNames), "has_match", "match_mean", "match_variance", "log_match_n")
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// attended reports whether an action expresses attention to its target.
func attended(a market.Action) bool {
	return a == market.View || a == market.Favourite || a.Contact()
}

// Recent remembers, per participant, the one-way match (Config.OneWay) of
// the last Config.Recent profiles they attended (viewed, favourited or
// contacted), in the order the events were recorded. It is safe for
// concurrent use; [Recent.Record] is O(1) plus one OneWay call.
type Recent struct {
	size        int
	oneWay      func(user, target uint32) float64
	oneWayBatch func(user uint32, targets []uint32, dst []float64) []float64 // OneWay per target when Config has none

	mu    sync.RWMutex // guards the users slice header
	users []*attention
}

type attention struct {
	mu     sync.Mutex
	next   int // ring position of the next score
	n      int
	scores []float64
}

// NewRecent returns an empty tracker, or an error wrapping ErrConfig.
func NewRecent(cfg Config) (*Recent, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &Recent{size: c.Recent, oneWay: c.OneWay, oneWayBatch: c.OneWayBatch}
	if r.oneWayBatch == nil && r.oneWay != nil {
		r.oneWayBatch = func(user uint32, targets []uint32, dst []float64) []float64 {
			dst = dst[:0]
			for _, t := range targets {
				dst = append(dst, r.oneWay(user, t))
			}
			return dst
		}
	}
	return r, nil
}

// Record remembers e's target if e is an attention action and OneWay is
// set; other events are ignored, and so are events whose actor is above
// activity.MaxIndex (the rings are a dense table by actor).
func (r *Recent) Record(e activity.Event) {
	if r.oneWay == nil || !attended(e.Action) || e.Actor > activity.MaxIndex {
		return
	}
	s := r.oneWay(e.Actor, e.Target)
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return
	}
	a := r.getOrCreate(e.Actor)
	a.mu.Lock()
	a.scores[a.next] = s
	a.next = (a.next + 1) % len(a.scores)
	a.n = min(a.n+1, len(a.scores))
	a.mu.Unlock()
}

// RecordAll records events as Record would one by one in this order (the
// Fit's replay of a log), but computes OneWay only for what the end state
// keeps: each actor's last Config.Recent attention events with a finite
// score, on GOMAXPROCS goroutines, with one OneWayBatch call per actor
// when it is set (more only when some scores are not finite). Stats
// afterwards equal those of the one-by-one replay up to the rounding of a
// sum taken in another order. Like Record it ignores events whose actor
// is above activity.MaxIndex.
// It returns ctx's error when ctx ends first; r then holds a part of the
// events.
func (r *Recent) RecordAll(ctx context.Context, events []activity.Event) error {
	if r.oneWay == nil {
		return nil
	}
	byActor := map[uint32][]int{}
	var actors []uint32
	for i := range events {
		if !attended(events[i].Action) || events[i].Actor > activity.MaxIndex {
			continue
		}
		a := events[i].Actor
		if _, ok := byActor[a]; !ok {
			actors = append(actors, a)
		}
		byActor[a] = append(byActor[a], i)
	}
	slices.Sort(actors)
	next := make(chan uint32)
	var wg sync.WaitGroup
	for range max(1, min(runtime.GOMAXPROCS(0), len(actors))) {
		wg.Go(func() {
			kept := make([]float64, 0, r.size)
			var targets []uint32
			var scores []float64
			for actor := range next {
				idx := byActor[actor]
				kept = kept[:0]
				// Newest first, in chunks of the scores still wanted: the
				// last r.size with a finite score are kept.
				for end := len(idx); end > 0 && len(kept) < r.size; {
					start := max(0, end-(r.size-len(kept)))
					targets = targets[:0]
					for k := end - 1; k >= start; k-- {
						targets = append(targets, events[idx[k]].Target)
					}
					end = start
					scores = r.oneWayBatch(actor, targets, scores[:0])
					for _, s := range scores {
						if !math.IsNaN(s) && !math.IsInf(s, 0) {
							kept = append(kept, s)
						}
					}
				}
				if len(kept) == 0 {
					continue
				}
				a := r.getOrCreate(actor)
				a.mu.Lock()
				for k := len(kept) - 1; k >= 0; k-- { // oldest first, as Record
					a.scores[a.next] = kept[k]
					a.next = (a.next + 1) % len(a.scores)
					a.n = min(a.n+1, len(a.scores))
				}
				a.mu.Unlock()
			}
		})
	}
	var err error
	for _, a := range actors {
		if err = ctx.Err(); err != nil {
			break
		}
		next <- a
	}
	close(next)
	wg.Wait()
	return err
}

func (r *Recent) get(user uint32) *attention {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if int(user) < len(r.users) {
		return r.users[user]
	}
	return nil
}

func (r *Recent) getOrCreate(user uint32) *attention {
	if a := r.get(user); a != nil {
		return a
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if int(user) >= len(r.users) {
		grown := make([]*attention, max(int(user)+1, 2*len(r.users), 1024))
		copy(grown, r.users)
		r.users = grown
	}
	if r.users[user] == nil {
		r.users[user] = &attention{scores: make([]float64, r.size)}
	}
	return r.users[user]
}

// Stats returns user's match statistics.
func (r *Recent) Stats(user uint32) MatchStats {
	a := r.get(user)
	if a == nil {
		return MatchStats{}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	st := MatchStats{N: a.n}
	if a.n == 0 {
		return st
	}
	for _, s := range a.scores[:a.n] {
		st.Mean += s
	}
	st.Mean /= float64(a.n)
	for _, s := range a.scores[:a.n] {
		st.Variance += (s - st.Mean) * (s - st.Mean)
	}
	st.Variance /= float64(a.n)
	return st
}

// Live fills dst with user's real-time input at now: activity features
// from tr (keeping dst's log-only fields, see activity.Tracker.Features)
// and match statistics from r (r may be nil).
func Live(ctx context.Context, tr *activity.Tracker, r *Recent, user uint32, now time.Time, dst *Input) error {
	if err := tr.Features(ctx, user, now, &dst.Activity); err != nil {
		return err
	}
	dst.Match = MatchStats{}
	if r != nil {
		dst.Match = r.Stats(user)
	}
	return nil
}

// Inputs computes the inputs of participants 0 … n-1 (and any larger index
// in the log) at cutoff from a log in any order, the batch path: activity
// features from tr.Batch, and match statistics from replaying the
// attention events up to cutoff, in time order, through a fresh [Recent].
func Inputs(tr *activity.Tracker, cfg Config, events []activity.Event, cutoff time.Time, n int) ([]Input, error) {
	rec, err := NewRecent(cfg)
	if err != nil {
		return nil, err
	}
	fs, err := tr.Batch(events, cutoff, n)
	if err != nil {
		return nil, fmt.Errorf("urgency: %w", err)
	}
	out := make([]Input, len(fs))
	for i := range fs {
		out[i].Activity = fs[i]
	}
	if rec.oneWay == nil {
		return out, nil
	}
	var att []activity.Event
	for i := range events {
		if attended(events[i].Action) && !events[i].Time.After(cutoff) {
			att = append(att, events[i])
		}
	}
	slices.SortStableFunc(att, func(a, b activity.Event) int {
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Actor, b.Actor); c != 0 {
			return c
		}
		return cmp.Compare(a.Target, b.Target)
	})
	if err := rec.RecordAll(context.Background(), att); err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Match = rec.Stats(uint32(i))
	}
	return out, nil
}

// Labels returns the default label for participants 0 … n-1 (and any
// larger index in the log): true when the participant takes part in a
// mutual chat that completes in (cutoff, cutoff+Horizon]. A pair's chat
// becomes mutual at the first moment both have sent the other a Chat,
// Apply or Reply; a pair already mutual at cutoff does not count again.
// A negative n, or an event index above activity.MaxIndex, is an error
// wrapping market.ErrOutOfRange.
func Labels(events []activity.Event, cutoff time.Time, cfg Config, n int) ([]bool, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if n < 0 || n > activity.MaxIndex+1 {
		return nil, fmt.Errorf("urgency: Labels: n = %d: want 0 to %d: %w", n, activity.MaxIndex+1, market.ErrOutOfRange)
	}
	end := cutoff.Add(c.Horizon)
	var evs []activity.Event
	size := n
	for i := range events {
		e := events[i]
		if e.Actor > activity.MaxIndex || e.Target > activity.MaxIndex {
			return nil, fmt.Errorf("urgency: Labels: event %d (%d→%d): index above %d: %w", i, e.Actor, e.Target, activity.MaxIndex, market.ErrOutOfRange)
		}
		if (e.Action.Contact() || e.Action == market.Reply || e.Action == market.Hire) && !e.Time.After(end) {
			evs = append(evs, e)
			size = max(size, int(e.Actor)+1, int(e.Target)+1)
		}
	}
	slices.SortStableFunc(evs, func(a, b activity.Event) int { return a.Time.Compare(b.Time) })
	dirs := make(map[uint64]uint8) // bit 0: low→high sent, bit 1: high→low
	out := make([]bool, size)
	for _, e := range evs {
		lo, hi, bitv := e.Actor, e.Target, uint8(1)
		if lo > hi {
			lo, hi, bitv = hi, lo, 2
		}
		k := uint64(lo)<<32 | uint64(hi)
		before := dirs[k]
		after := before | bitv
		dirs[k] = after
		if before != 3 && after == 3 && e.Time.After(cutoff) {
			out[lo], out[hi] = true, true
		}
	}
	return out, nil
}
