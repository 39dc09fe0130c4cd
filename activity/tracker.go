package activity

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/twowayrec/twoway/market"
)

const day = 24 * time.Hour

// Tracker computes behaviour features: in real time from a [Store] it
// updates with [Tracker.Record], and in batch from a log with
// [Tracker.Batch]. It is safe for concurrent use.
type Tracker struct {
	cfg       Config
	store     Store
	bucketSec int64
	spans     [MaxWindows]int64 // window lengths in buckets
	buckets   int               // buckets read per participant
	names     []string

	regMu      sync.RWMutex
	registered []int64 // Unix seconds; 0 unknown

	bufs sync.Pool // *[]uint32 of buckets*NumCounters
}

// New returns a Tracker for cfg, or an error wrapping ErrConfig that names
// the bad field.
func New(cfg Config) (*Tracker, error) {
	c, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	t := &Tracker{cfg: c, bucketSec: int64(c.Bucket / time.Second)}
	for i, w := range c.Windows {
		t.spans[i] = int64(w / c.Bucket)
	}
	t.buckets = int(t.spans[len(c.Windows)-1]) + 1
	t.store = c.Store
	if t.store == nil {
		t.store = NewMemory(t.buckets)
	} else if m, ok := t.store.(*Memory); ok && m.Buckets() < t.buckets {
		return nil, configError("Store", "Memory keeps %d buckets, the windows need %d", m.Buckets(), t.buckets)
	}
	t.names = vectorNames(c.Windows)
	n := t.buckets * NumCounters
	t.bufs.New = func() any { b := make([]uint32, n); return &b }
	return t, nil
}

// Config returns the Tracker's configuration with defaults filled in.
func (t *Tracker) Config() Config {
	c := t.cfg
	c.Windows = slices.Clone(c.Windows)
	return c
}

// Store returns the store the Tracker counts in.
func (t *Tracker) Store() Store { return t.store }

// Retention is the span of time the tracker reads back from now: events
// older than Retention before now no longer change any feature (a store
// may drop them).
func (t *Tracker) Retention() time.Duration { return time.Duration(t.buckets) * t.cfg.Bucket }

// VectorNames returns the names of the entries of [Features.Vector] for
// this Tracker's windows.
func (t *Tracker) VectorNames() []string { return slices.Clone(t.names) }

// Register records when user registered, for DaysSinceRegistered. A zero
// time forgets it. A user above [MaxIndex] is ignored (the registration
// times are a dense table).
func (t *Tracker) Register(user uint32, at time.Time) {
	if user > MaxIndex {
		return
	}
	var s int64
	if !at.IsZero() {
		s = at.Unix()
	}
	t.regMu.Lock()
	if int(user) >= len(t.registered) {
		t.registered = slices.Grow(t.registered, int(user)+1-len(t.registered))[:int(user)+1]
	}
	t.registered[user] = s
	t.regMu.Unlock()
}

func (t *Tracker) registeredAt(user uint32) int64 {
	t.regMu.RLock()
	defer t.regMu.RUnlock()
	if int(user) < len(t.registered) {
		return t.registered[user]
	}
	return 0
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

func (t *Tracker) bucket(at time.Time) int64 { return floorDiv(at.Unix(), t.bucketSec) }

// workHours reports whether at falls in working hours.
func (t *Tracker) workHours(at time.Time) bool {
	l := at.In(t.cfg.Location)
	wd := l.Weekday()
	if wd == time.Saturday || wd == time.Sunday {
		return false
	}
	h := l.Hour()
	return h >= t.cfg.WorkStart && h < t.cfg.WorkEnd
}

// sets returns the counters an event adds to its actor and to its target.
func (t *Tracker) sets(e *Event) (actor, target CounterSet) {
	switch e.Action {
	case market.Impression:
		return 0, target.With(ImpressionsReceived)
	case market.View:
		actor, target = actor.With(Views), target.With(ViewsReceived)
	case market.Favourite:
		actor, target = actor.With(Favourites), target.With(FavouritesReceived)
	case market.Chat, market.Apply:
		actor, target = actor.With(Contacts), target.With(ContactsReceived)
	case market.Reply:
		actor, target = actor.With(Replies), target.With(RepliesReceived)
	}
	actor = actor.With(Actions)
	if t.workHours(e.Time) {
		actor = actor.With(WorkHourActions)
	}
	return actor, target
}

// ErrFuture is wrapped by the error Record returns for an event stamped
// more than one Config.Bucket after Config.Clock().
var ErrFuture = errors.New("activity: event time in the future")

// Record counts one event in O(1): one [Store.Add] for the actor (with its
// last-activity time, unless the action is Impression) and one for the
// target. It returns a *market.FieldError for an invalid action, an actor
// or target above [MaxIndex] (wrapping market.ErrOutOfRange), an actor
// equal to the target, a zero time or a time more than one bucket after
// Config.Clock() (wrapping ErrFuture), and the store's error otherwise. With [Memory] it
// does not allocate once both participants have been seen.
func (t *Tracker) Record(ctx context.Context, e Event) error {
	if err := e.check(); err != nil {
		return err
	}
	if now := t.cfg.Clock(); e.Time.Sub(now) > t.cfg.Bucket {
		// One event stamped far ahead would advance the participant's
		// ring and wipe their real counts.
		return &market.FieldError{Record: "event", ID: fmt.Sprintf("%d→%d", e.Actor, e.Target), Field: "Time",
			Value: e.Time.Format(time.RFC3339), Err: ErrFuture}
	}
	b := t.bucket(e.Time)
	actor, target := t.sets(&e)
	add := t.store.Add
	if once, ok := t.store.(OnceStore); ok && e.ID != "" {
		add = func(ctx context.Context, user uint32, bucket int64, set CounterSet, at int64) error {
			_, err := once.AddOnce(ctx, user, bucket, set, at, e.ID)
			return err
		}
	}
	if actor != 0 {
		if err := add(ctx, e.Actor, b, actor, e.Time.Unix()); err != nil {
			return fmt.Errorf("activity: recording %d→%d actor: %w", e.Actor, e.Target, err)
		}
	}
	if err := add(ctx, e.Target, b, target, 0); err != nil {
		return fmt.Errorf("activity: recording %d→%d target: %w", e.Actor, e.Target, err)
	}
	return nil
}

// Once reports whether the Tracker's store counts an event with an ID
// once however often it is recorded (it is a [OnceStore]).
func (t *Tracker) Once() bool {
	_, ok := t.store.(OnceStore)
	return ok
}

func (e *Event) check() error {
	fe := func(field, value string, err error) error {
		return &market.FieldError{Record: "event", ID: fmt.Sprintf("%d→%d", e.Actor, e.Target), Field: field, Value: value, Err: err}
	}
	switch {
	case !e.Action.Valid():
		return fe("Action", fmt.Sprint(uint8(e.Action)), market.ErrUnknownAction)
	case e.Actor > MaxIndex:
		return fe("Actor", fmt.Sprintf("%d (at most %d)", e.Actor, MaxIndex), market.ErrOutOfRange)
	case e.Target > MaxIndex:
		return fe("Target", fmt.Sprintf("%d (at most %d)", e.Target, MaxIndex), market.ErrOutOfRange)
	case e.Actor == e.Target:
		return fe("Target", fmt.Sprint(e.Target), market.ErrSelf)
	case market.CheckTime(e.Time) != nil:
		return fe("Time", e.Time.String(), market.CheckTime(e.Time))
	}
	return nil
}

// FeaturesNow is [Tracker.Features] at Config.Clock().
func (t *Tracker) FeaturesNow(ctx context.Context, user uint32, dst *Features) error {
	return t.Features(ctx, user, t.cfg.Clock(), dst)
}

// Features writes user's real-time features at now into dst: NumWindows,
// WindowDays, Counts, Active, DaysSinceActive, Registered and
// DaysSinceRegistered. It leaves the log-only fields of dst as they are, so
// a caller may start from a [Tracker.Batch] result and refresh it. Counts in
// buckets after now's bucket are not read. With [Memory] it does not
// allocate.
func (t *Tracker) Features(ctx context.Context, user uint32, now time.Time, dst *Features) error {
	bp := t.bufs.Get().(*[]uint32)
	defer t.bufs.Put(bp)
	buf := *bp
	cur := t.bucket(now)
	n := t.buckets
	last, err := t.store.Read(ctx, user, cur-int64(n-1), buf)
	if err != nil {
		return fmt.Errorf("activity: reading %d: %w", user, err)
	}
	t.fill(dst, user, now, cur, buf, last)
	return nil
}

func (t *Tracker) fill(dst *Features, user uint32, now time.Time, cur int64, buf []uint32, last int64) {
	n := t.buckets
	nowSec := float64(now.UnixNano()) / 1e9
	f := (nowSec - float64(cur*t.bucketSec)) / float64(t.bucketSec) // fraction of the current bucket elapsed
	f = min(max(f, 0), 1)
	nw := len(t.cfg.Windows)
	dst.NumWindows = nw
	for w := range nw {
		dst.WindowDays[w] = float64(t.cfg.Windows[w]) / float64(day)
	}
	for c := range NumCounters {
		row := buf[c*n : (c+1)*n]
		var sum float64
		j := int64(0) // buckets summed so far, newest first
		for w := range nw {
			k := t.spans[w]
			for ; j < k; j++ {
				sum += float64(row[n-1-int(j)])
			}
			dst.Counts[w][c] = sum + (1-f)*float64(row[n-1-int(k)])
		}
	}
	longestDays := dst.WindowDays[nw-1]
	reg := t.registeredAt(user)
	dst.Registered = reg != 0
	dst.DaysSinceRegistered = 0
	if reg != 0 {
		dst.DaysSinceRegistered = max(0, nowSec-float64(reg)) / 86400
	}
	dst.Active = last != 0
	switch {
	case last != 0:
		dst.DaysSinceActive = max(0, nowSec-float64(last)) / 86400
	case reg != 0:
		dst.DaysSinceActive = dst.DaysSinceRegistered
	default:
		dst.DaysSinceActive = longestDays
	}
}

// Batch computes the features of participants 0 … n-1 (and of any larger
// index in the log) at the cut-off now from a log in any order: events after
// now are ignored, exact duplicates are counted once, and the counters are
// replayed through a fresh [Memory], so the counter features equal what
// [Tracker.Features] gives after recording the same events. It also fills
// the log-only features. It does not touch the Tracker's own store. An
// invalid event (also one with an index above [MaxIndex]) is an error
// naming its position, and n outside 0 … MaxIndex+1 an error wrapping
// market.ErrOutOfRange; nothing is returned then.
func (t *Tracker) Batch(events []Event, now time.Time, n int) ([]Features, error) {
	if n < 0 || n > MaxIndex+1 {
		return nil, fmt.Errorf("activity: batch: n %d outside 0 to %d: %w", n, MaxIndex+1, market.ErrOutOfRange)
	}
	evs := make([]Event, 0, len(events))
	size := n
	for i := range events {
		e := &events[i]
		if err := e.check(); err != nil {
			return nil, fmt.Errorf("activity: batch event %d: %w", i, err)
		}
		if e.Time.After(now) {
			continue
		}
		evs = append(evs, *e)
		size = max(size, int(e.Actor)+1, int(e.Target)+1)
	}
	slices.SortFunc(evs, compareEvents)
	evs = slices.CompactFunc(evs, func(a, b Event) bool { return compareEvents(a, b) == 0 })

	c := t.cfg
	c.Store = NewMemory(t.buckets)
	c.Clock = func() time.Time { return now }
	replay, err := New(c) // c was valid for t, so it is valid here
	if err != nil {
		panic(err)
	}
	replay.registered = t.snapshotRegistered()
	nb := t.buckets * NumCounters
	ctx := context.Background()
	for i := range evs {
		if err := replay.Record(ctx, evs[i]); err != nil {
			return nil, fmt.Errorf("activity: batch replay: %w", err)
		}
	}
	out := make([]Features, size)
	buf := make([]uint32, nb)
	cur := t.bucket(now)
	for u := range out {
		last, _ := replay.store.Read(ctx, uint32(u), cur-int64(t.buckets-1), buf)
		replay.fill(&out[u], uint32(u), now, cur, buf, last)
	}
	t.logFeatures(evs, now, out)
	return out, nil
}

func (t *Tracker) snapshotRegistered() []int64 {
	t.regMu.RLock()
	defer t.regMu.RUnlock()
	return slices.Clone(t.registered)
}

func compareEvents(a, b Event) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Actor, b.Actor); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Target, b.Target); c != 0 {
		return c
	}
	return cmp.Compare(a.Action, b.Action)
}

// logFeatures fills the log-only features from evs, sorted by time, all at
// or before now.
func (t *Tracker) logFeatures(evs []Event, now time.Time, out []Features) {
	from := now.Add(-t.cfg.Windows[len(t.cfg.Windows)-1]) // window is (from, now]
	// Own actions per actor, in time order (CSR layout).
	start := make([]int, len(out)+1)
	for i := range evs {
		if evs[i].Action != market.Impression && evs[i].Time.After(from) {
			start[evs[i].Actor+1]++
		}
	}
	for u := 1; u <= len(out); u++ {
		start[u] += start[u-1]
	}
	times := make([]time.Time, start[len(out)])
	fillAt := slices.Clone(start[:len(out)])
	for i := range evs {
		if evs[i].Action != market.Impression && evs[i].Time.After(from) {
			times[fillAt[evs[i].Actor]] = evs[i].Time
			fillAt[evs[i].Actor]++
		}
	}
	var hours [168]int
	for u := range out {
		ts := times[start[u]:start[u+1]]
		if len(ts) == 0 {
			continue
		}
		f := &out[u]
		sessions, total := 1, 0.0
		first := ts[0]
		for i := 1; i < len(ts); i++ {
			if ts[i].Sub(ts[i-1]) > t.cfg.SessionGap {
				total += ts[i-1].Sub(first).Minutes()
				sessions++
				first = ts[i]
			}
		}
		total += ts[len(ts)-1].Sub(first).Minutes()
		f.Sessions = float64(sessions)
		f.SessionMinutes = total / float64(sessions)
		f.ActionsPerSession = float64(len(ts)) / float64(sessions)
		clear(hours[:])
		for _, at := range ts {
			l := at.In(t.cfg.Location)
			hours[int(l.Weekday())*24+l.Hour()]++
		}
		var h float64
		for _, k := range hours {
			if k > 0 {
				p := float64(k) / float64(len(ts))
				h -= p * math.Log2(p)
			}
		}
		f.HourEntropy = h + 0 // +0 turns -0 into 0
	}

	// Replies by pair (replier<<32 | contact's actor), in time order.
	replies := make(map[uint64][]time.Time)
	for i := range evs {
		if evs[i].Action.Answers() && evs[i].Time.After(from) {
			k := uint64(evs[i].Actor)<<32 | uint64(evs[i].Target)
			replies[k] = append(replies[k], evs[i].Time)
		}
	}
	latency := make([]float64, len(out))
	for i := range evs {
		e := &evs[i]
		if !e.Action.Contact() || !e.Time.After(from) {
			continue
		}
		rs := replies[uint64(e.Target)<<32|uint64(e.Actor)]
		j := sort.Search(len(rs), func(j int) bool { return !rs[j].Before(e.Time) })
		if j < len(rs) {
			out[e.Target].AnsweredContacts++
			latency[e.Target] += rs[j].Sub(e.Time).Hours()
		}
	}
	for u := range out {
		if out[u].AnsweredContacts > 0 {
			out[u].AnswerHours = latency[u] / out[u].AnsweredContacts
		}
	}
}
