package activity

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
)

// monday is Monday 2 March 2026, 00:00 UTC.
var monday = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func at(dayOffset int, hhmm string) time.Time {
	d, err := time.Parse("15:04", hhmm)
	if err != nil {
		panic(err)
	}
	return monday.AddDate(0, 0, dayOffset).Add(time.Duration(d.Hour())*time.Hour + time.Duration(d.Minute())*time.Minute)
}

func ev(actor, target uint32, a market.Action, t time.Time) Event {
	return Event{Actor: actor, Target: target, Action: a, Time: t}
}

// newTracker returns a tracker for cfg; without a Clock, its clock stands
// two months after monday, so that the hand-built logs are in the past
// whatever the machine's date.
func newTracker(t testing.TB, cfg Config) *Tracker {
	t.Helper()
	if cfg.Clock == nil {
		cfg.Clock = func() time.Time { return monday.AddDate(0, 2, 0) }
	}
	tr, err := New(cfg)
	require.NoError(t, err)
	return tr
}

func record(t testing.TB, tr *Tracker, evs ...Event) {
	t.Helper()
	for _, e := range evs {
		require.NoError(t, tr.Record(context.Background(), e))
	}
}

func features(t testing.TB, tr *Tracker, user uint32, now time.Time) Features {
	t.Helper()
	var f Features
	require.NoError(t, tr.Features(context.Background(), user, now, &f))
	return f
}

func TestMondayIsMonday(t *testing.T) {
	require.Equal(t, time.Monday, monday.Weekday())
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		cfg   Config
		field string
	}{
		{"bucket below a second", Config{Bucket: time.Millisecond}, "Bucket"},
		{"window not a multiple", Config{Windows: []time.Duration{36 * time.Hour}}, "Windows[0]"},
		{"windows not ascending", Config{Windows: []time.Duration{7 * day, day}}, "Windows[1]"},
		{"too many windows", Config{Windows: []time.Duration{day, 2 * day, 3 * day, 4 * day, 5 * day}}, "Windows"},
		{"negative gap", Config{SessionGap: -time.Second}, "SessionGap"},
		{"work end before start", Config{WorkStart: 10, WorkEnd: 8}, "WorkEnd"},
		{"work start past 24", Config{WorkStart: 25, WorkEnd: 26}, "WorkStart"},
		{"memory too small", Config{Store: NewMemory(3)}, "Store"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.cfg)
			require.Error(t, err)
			assert.ErrorIs(t, err, ErrConfig)
			assert.Contains(t, err.Error(), tc.field)
		})
	}
	assert.Equal(t, 31, Config{}.Buckets())
	assert.Equal(t, 0, Config{Bucket: -1}.Buckets())
}

func TestRecordRejectsBadEvents(t *testing.T) {
	tr := newTracker(t, Config{})
	ctx := context.Background()
	var fe *market.FieldError
	err := tr.Record(ctx, ev(1, 1, market.View, at(0, "10:00")))
	require.ErrorAs(t, err, &fe)
	assert.ErrorIs(t, err, market.ErrSelf)
	assert.Equal(t, "1→1", fe.ID)
	assert.ErrorIs(t, tr.Record(ctx, ev(1, 2, 0, at(0, "10:00"))), market.ErrUnknownAction)
	assert.ErrorIs(t, tr.Record(ctx, ev(1, 2, market.View, time.Time{})), market.ErrZeroTime)
	// An event stamped days ahead of the clock is refused: it would wipe
	// the participant's ring.
	clocked := newTracker(t, Config{Clock: func() time.Time { return at(0, "12:00") }})
	record(t, clocked, ev(1, 2, market.View, at(0, "11:00")), ev(1, 2, market.View, at(1, "11:00")))
	err = clocked.Record(ctx, ev(1, 2, market.View, at(3, "12:00")))
	assert.ErrorIs(t, err, ErrFuture)
	require.ErrorAs(t, err, &fe)
	assert.Equal(t, "Time", fe.Field)
	f := features(t, clocked, 1, at(0, "12:00"))
	assert.InDelta(t, 1, f.Count(0, Views), 1e-12)
	_, err = tr.Batch([]Event{ev(1, 2, market.View, at(0, "10:00")), ev(3, 3, market.View, at(0, "10:00"))}, at(1, "00:00"), 0)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "batch event 1")
}

// TestWindowCounts checks the per-window counts, including the interpolated
// oldest bucket, on a hand-built log.
func TestWindowCounts(t *testing.T) {
	tr := newTracker(t, Config{})
	record(t, tr,
		ev(1, 2, market.View, at(-40, "10:00")), // outside every window
		ev(1, 2, market.View, at(-30, "10:00")), // oldest, partial bucket of the 30-day window
		ev(1, 3, market.View, at(-10, "10:00")),
		ev(1, 3, market.Favourite, at(-3, "10:00")),
		ev(1, 4, market.View, at(-1, "09:00")), // yesterday: partial bucket of the 1-day window
		ev(1, 4, market.Chat, at(0, "08:00")),
		ev(1, 5, market.Apply, at(0, "09:00")),
		ev(2, 1, market.Reply, at(0, "10:00")),
		ev(3, 1, market.View, at(0, "10:30")),
		ev(4, 1, market.Impression, at(0, "11:00")),
	)
	now := at(0, "12:00") // half way through today's bucket
	f := features(t, tr, 1, now)
	require.Equal(t, 3, f.NumWindows)
	assert.Equal(t, [MaxWindows]float64{1, 7, 30, 0}, f.WindowDays)
	// 1 day: today's chat+apply, plus half of yesterday's view.
	assert.InDelta(t, 2.5, f.Count(0, Actions), 1e-12)
	assert.InDelta(t, 0.5, f.Count(0, Views), 1e-12)
	assert.InDelta(t, 2, f.Count(0, Contacts), 1e-12)
	// 7 days: + favourite on day -3.
	assert.InDelta(t, 4, f.Count(1, Actions), 1e-12)
	assert.InDelta(t, 1, f.Count(1, Favourites), 1e-12)
	// 30 days: + view on day -10 + half of the view on day -30.
	assert.InDelta(t, 5.5, f.Count(2, Actions), 1e-12)
	assert.InDelta(t, 2.5, f.Count(2, Views), 1e-12)
	// Received.
	assert.InDelta(t, 1, f.Count(0, RepliesReceived), 1e-12)
	assert.InDelta(t, 1, f.Count(0, ViewsReceived), 1e-12)
	assert.InDelta(t, 1, f.Count(0, ImpressionsReceived), 1e-12)
	assert.Zero(t, f.Count(2, Replies))
	// Ratios on the longest window.
	assert.InDelta(t, 2/2.5, f.ViewToContact(2), 1e-12)
	assert.InDelta(t, 1/2.5, f.ViewToFavourite(2), 1e-12)
	// Trend: ln((1 + 2.5·30) / (1 + 5.5)).
	assert.InDelta(t, math.Log(76/6.5), f.Trend(), 1e-12)
	// Work hours, Monday–Friday 09–18 UTC: day -40 is Wed 10:00 (outside
	// the window), day -30 Sat 10:00 (no), day -10 Fri 10:00 (yes),
	// day -3 Fri 10:00 (yes), day -1 Sun 09:00 (no), today 08:00 (no),
	// 09:00 (yes).
	assert.InDelta(t, 3, f.Count(2, WorkHourActions), 1e-12)
	assert.InDelta(t, 3/5.5, f.WorkHoursShare(), 1e-12)
	assert.True(t, f.Active)
	assert.InDelta(t, 3.0/24, f.DaysSinceActive, 1e-9) // last action 09:00

	// An Impression is not activity of its actor.
	g := features(t, tr, 4, now)
	assert.False(t, g.Active)
	assert.Zero(t, g.Count(2, Actions))
	h := features(t, tr, 5, now)
	assert.False(t, h.Active)
	assert.InDelta(t, 1, h.Count(0, ContactsReceived), 1e-12)
}

func TestEmptyWindowsAndUnknownUser(t *testing.T) {
	tr := newTracker(t, Config{})
	record(t, tr, ev(1, 2, market.View, at(-45, "10:00")))
	now := at(0, "12:00")
	f := features(t, tr, 1, now)
	for w := range f.NumWindows {
		for c := range NumCounters {
			assert.Zero(t, f.Count(w, Counter(c)), "window %d counter %v", w, Counter(c))
		}
	}
	assert.True(t, f.Active)
	assert.InDelta(t, 45+2.0/24, f.DaysSinceActive, 1e-9)
	assert.Zero(t, f.ViewToContact(2))
	assert.Zero(t, f.WorkHoursShare())
	assert.Zero(t, f.ReplyRate())
	assert.Zero(t, f.Trend())

	// Never seen: zero counts, recency from registration or the longest window.
	u := features(t, tr, 99, now)
	assert.False(t, u.Active)
	assert.False(t, u.Registered)
	assert.InDelta(t, 30, u.DaysSinceActive, 1e-12)
	tr.Register(99, at(-5, "12:00"))
	u = features(t, tr, 99, now)
	assert.True(t, u.Registered)
	assert.InDelta(t, 5, u.DaysSinceRegistered, 1e-12)
	assert.InDelta(t, 5, u.DaysSinceActive, 1e-12)
}

func TestSessionsAcrossMidnight(t *testing.T) {
	tr := newTracker(t, Config{})
	log := []Event{
		ev(1, 2, market.View, at(-2, "23:50")),
		ev(1, 3, market.View, at(-1, "00:10")), // 20 min later, next day: same session
		ev(1, 3, market.Chat, at(-1, "00:30")),
		ev(1, 4, market.View, at(-1, "02:00")), // 90 min gap: new session
		ev(1, 5, market.View, at(-1, "10:00")), // new session of one action
		ev(6, 1, market.Impression, at(-1, "10:05")),
	}
	fs, err := tr.Batch(log, at(0, "00:00"), 2)
	require.NoError(t, err)
	require.Len(t, fs, 7) // grown to the largest index in the log
	f := fs[1]
	assert.Equal(t, 3.0, f.Sessions)
	assert.InDelta(t, (40+0+0)/3.0, f.SessionMinutes, 1e-9)
	assert.InDelta(t, 5/3.0, f.ActionsPerSession, 1e-12)
	// Hours of the week: Sat 23h, Sun 00h ×2, Sun 02h, Sun 10h.
	p := []float64{1.0 / 5, 2.0 / 5, 1.0 / 5, 1.0 / 5}
	var h float64
	for _, x := range p {
		h -= x * math.Log2(x)
	}
	assert.InDelta(t, h, f.HourEntropy, 1e-12)
	// Participant 6 made only an impression: no sessions, no entropy.
	assert.Zero(t, fs[6].Sessions)
	assert.Zero(t, fs[6].HourEntropy)
	assert.False(t, fs[6].Active)

	// A shorter gap than every pause makes each action a session.
	tr2 := newTracker(t, Config{SessionGap: 10 * time.Minute})
	fs, err = tr2.Batch(log, at(0, "00:00"), 0)
	require.NoError(t, err)
	assert.Equal(t, 5.0, fs[1].Sessions)
	assert.Zero(t, fs[1].SessionMinutes)
}

func TestAnsweredContacts(t *testing.T) {
	tr := newTracker(t, Config{})
	log := []Event{
		ev(2, 1, market.Chat, at(-3, "10:00")),
		ev(1, 2, market.Reply, at(-3, "12:00")), // answers 2 after 2 h
		ev(3, 1, market.Apply, at(-2, "10:00")),
		ev(1, 3, market.Reply, at(-2, "09:00")), // before the contact: not an answer
		ev(4, 1, market.Chat, at(-1, "10:00")),
		ev(1, 4, market.Reply, at(0, "16:00")), // after now: not seen
		ev(5, 1, market.Chat, at(-1, "11:00")),
		ev(1, 5, market.Reply, at(-1, "15:00")), // 4 h
	}
	fs, err := tr.Batch(log, at(0, "12:00"), 6)
	require.NoError(t, err)
	f := fs[1]
	assert.InDelta(t, 4, f.Count(2, ContactsReceived), 1e-12)
	assert.Equal(t, 2.0, f.AnsweredContacts)
	assert.InDelta(t, 3, f.AnswerHours, 1e-12)
	assert.InDelta(t, 0.5, f.AnsweredShare(), 1e-12)
	// Real-time estimate: replies made (3 before now) over contacts received.
	assert.InDelta(t, 3, f.Count(2, Replies), 1e-12)
	assert.InDelta(t, 0.75, f.ReplyRate(), 1e-12)
	assert.InDelta(t, 1, fs[2].Count(2, RepliesReceived), 1e-12)
}

func TestOutOfOrderAndBatchAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	var log []Event
	for range 2000 {
		a := uint32(rng.IntN(20))
		b := 20 + uint32(rng.IntN(20))
		if rng.IntN(2) == 0 {
			a, b = b, a
		}
		act := market.Actions()[rng.IntN(len(market.Actions()))]
		log = append(log, ev(a, b, act, monday.Add(-time.Duration(rng.Int64N(int64(40*day))))))
	}
	now := monday.Add(7 * time.Hour)

	inOrder := newTracker(t, Config{})
	sorted := append([]Event(nil), log...)
	slicesSort(sorted)
	record(t, inOrder, sorted...)

	shuffled := newTracker(t, Config{})
	record(t, shuffled, log...)

	batch, err := inOrder.Batch(log, now, 40)
	require.NoError(t, err)
	for u := range uint32(40) {
		a := features(t, inOrder, u, now)
		b := features(t, shuffled, u, now)
		assert.Equal(t, a.Counts, b.Counts, "user %d", u)
		assert.Equal(t, a.DaysSinceActive, b.DaysSinceActive, "user %d", u)
		assert.Equal(t, a.Counts, batch[u].Counts, "user %d batch", u)
		assert.Equal(t, a.Active, batch[u].Active, "user %d batch", u)
	}
}

func slicesSort(evs []Event) {
	for i := 1; i < len(evs); i++ {
		for j := i; j > 0 && compareEvents(evs[j], evs[j-1]) < 0; j-- {
			evs[j], evs[j-1] = evs[j-1], evs[j]
		}
	}
}

func TestDuplicates(t *testing.T) {
	tr := newTracker(t, Config{})
	e := ev(1, 2, market.View, at(0, "10:00"))
	log := []Event{e, e, ev(1, 2, market.View, at(0, "10:01"))}
	fs, err := tr.Batch(log, at(0, "12:00"), 3)
	require.NoError(t, err)
	assert.InDelta(t, 2, fs[1].Count(0, Views), 1e-12, "batch drops the exact duplicate")
	assert.InDelta(t, 2, fs[2].Count(0, ViewsReceived), 1e-12)
	assert.Equal(t, 1.0, fs[1].Sessions)

	record(t, tr, log...)
	f := features(t, tr, 1, at(0, "12:00"))
	assert.InDelta(t, 3, f.Count(0, Views), 1e-12, "the real-time path counts every delivery")
}

func TestMemoryDropsTooOld(t *testing.T) {
	m := NewMemory(3)
	ctx := context.Background()
	set := CounterSet(0).With(Views)
	require.NoError(t, m.Add(ctx, 7, 10, set, 100))
	require.NoError(t, m.Add(ctx, 7, 12, set, 50)) // older last-activity is ignored
	require.NoError(t, m.Add(ctx, 7, 9, set, 0))   // 12-3: dropped
	require.NoError(t, m.Add(ctx, 7, 11, set, 0))
	dst := make([]uint32, 5*NumCounters)
	last, err := m.Read(ctx, 7, 8, dst)
	require.NoError(t, err)
	assert.Equal(t, int64(100), last)
	n := 5
	assert.Equal(t, []uint32{0, 0, 1, 1, 1}, dst[int(Views)*n:int(Views)*n+n])
	assert.Equal(t, []uint32{0, 0, 0, 0, 0}, dst[int(Actions)*n:int(Actions)*n+n])
	// Advancing by more than the ring clears it.
	require.NoError(t, m.Add(ctx, 7, 40, set, 0))
	_, err = m.Read(ctx, 7, 10, dst[:3*NumCounters])
	require.NoError(t, err)
	assert.Equal(t, make([]uint32, 3*NumCounters), dst[:3*NumCounters])
	assert.Panics(t, func() { _, _ = m.Read(ctx, 7, 0, make([]uint32, 5)) })
	assert.Panics(t, func() { NewMemory(0) })
}

func TestVectorNames(t *testing.T) {
	tr := newTracker(t, Config{Windows: []time.Duration{6 * time.Hour, 48 * time.Hour}, Bucket: time.Hour})
	names := tr.VectorNames()
	var f Features
	require.NoError(t, tr.Features(context.Background(), 1, monday, &f))
	v := f.Vector(nil)
	require.Len(t, v, len(names))
	require.Len(t, v, f.VectorLen())
	assert.Equal(t, "actions_6h", names[0])
	assert.Equal(t, "views_2d", names[NumCounters+1])
	for i, x := range v {
		assert.False(t, math.IsNaN(x) || math.IsInf(x, 0), names[i])
	}
}

// TestConcurrent records and reads at once; run with -race.
func TestConcurrent(t *testing.T) {
	tr := newTracker(t, Config{})
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				e := ev(uint32(g), uint32(10+i%50), market.View, monday.Add(time.Duration(i)*time.Minute))
				if err := tr.Record(ctx, e); err != nil {
					t.Error(err)
				}
				var f Features
				if err := tr.Features(ctx, uint32(10+i%50), monday.Add(2*day), &f); err != nil {
					t.Error(err)
				}
				tr.Register(uint32(100+g), monday)
			}
		})
	}
	wg.Wait()
	var total float64
	for u := range uint32(50) {
		f := features(t, tr, 10+u, monday.Add(2*day))
		total += f.Count(2, ViewsReceived)
	}
	assert.InDelta(t, 8000, total, 1e-9)
}

type failingStore struct{}

var errDown = errors.New("store down")

func (failingStore) Add(context.Context, uint32, int64, CounterSet, int64) error { return errDown }
func (failingStore) Read(context.Context, uint32, int64, []uint32) (int64, error) {
	return 0, errDown
}

func TestStoreErrors(t *testing.T) {
	tr := newTracker(t, Config{Store: failingStore{}})
	assert.ErrorIs(t, tr.Record(context.Background(), ev(1, 2, market.View, monday)), errDown)
	var f Features
	assert.ErrorIs(t, tr.Features(context.Background(), 1, monday, &f), errDown)
}

func TestFeaturesNowUsesClock(t *testing.T) {
	now := at(0, "12:00")
	tr := newTracker(t, Config{Clock: func() time.Time { return now }})
	record(t, tr, ev(1, 2, market.View, at(0, "06:00")))
	var f Features
	require.NoError(t, tr.FeaturesNow(context.Background(), 1, &f))
	assert.InDelta(t, 0.25, f.DaysSinceActive, 1e-12)
}

func TestLn1p(t *testing.T) {
	for _, x := range []float64{0, 1e-9, 1e-3, 0.3, 0.5, 1, 1.5, 2, 3, 7.5, 100, 12345.678, 1e9, 1e200} {
		want := math.Log1p(x)
		assert.InDelta(t, want, ln1p(x), max(1e-11*want, 1e-15), "x = %v", x)
	}
	assert.Zero(t, ln1p(0))
	assert.True(t, math.IsNaN(ln1p(-1.5)))
	assert.True(t, math.IsNaN(ln1p(math.NaN())))
	assert.True(t, math.IsInf(ln1p(math.Inf(1)), 1))
}

func FuzzLn1p(f *testing.F) {
	f.Add(0.5)
	f.Add(1e6)
	f.Fuzz(func(t *testing.T, x float64) {
		if !(x >= 0) || math.IsInf(x, 0) {
			return
		}
		want := math.Log1p(x)
		got := ln1p(x)
		if math.Abs(got-want) > 1e-10*math.Max(want, 1e-300) && math.Abs(got-want) > 1e-15 {
			t.Fatalf("ln1p(%v) = %v, want %v", x, got, want)
		}
	})
}

func TestTable(t *testing.T) {
	tab := NewTable(3, 0.25)
	assert.Equal(t, 3, tab.Len())
	assert.Equal(t, 0.25, tab.Default())
	assert.Equal(t, 0.25, tab.Get(1))
	assert.Equal(t, 0.25, tab.Get(100))
	tab.Set(1, 0.5)
	tab.Set(5000, 0.75) // grows
	assert.GreaterOrEqual(t, tab.Len(), 5001)
	dst := make([]float64, 4)
	tab.GetAll([]uint32{0, 1, 5000, 4999}, dst)
	assert.Equal(t, []float64{0.25, 0.5, 0.75, 0.25}, dst)
	assert.Panics(t, func() { tab.GetAll([]uint32{1}, dst) })
	vals := tab.Values(nil)
	require.Len(t, vals, tab.Len())
	assert.Equal(t, []float64{0.25, 0.5, 0.25}, vals[:3])
	assert.Equal(t, 0.75, vals[5000])

	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 5000 {
				tab.Set(uint32(g*5000+i), float64(i))
				_ = tab.Get(uint32(i))
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 4999.0, tab.Get(3*5000+4999))
}

func TestCheckStoreMemory(t *testing.T) {
	require.NoError(t, CheckStore(context.Background(), NewMemory(8)))
}

// lossy drops every other add: CheckStore must notice.
type lossy struct {
	*Memory
	mu sync.Mutex
	n  int
}

func (l *lossy) Add(ctx context.Context, user uint32, bucket int64, set CounterSet, at int64) error {
	l.mu.Lock()
	l.n++
	skip := l.n%2 == 0
	l.mu.Unlock()
	if skip {
		return nil
	}
	return l.Memory.Add(ctx, user, bucket, set, at)
}

func TestCheckStoreCatchesLoss(t *testing.T) {
	err := CheckStore(context.Background(), &lossy{Memory: NewMemory(8)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CheckStore")
	assert.Error(t, CheckStore(context.Background(), failingStore{}))
}
