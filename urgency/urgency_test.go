package urgency

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/rank"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func ev(a, b uint32, act market.Action, d time.Duration) activity.Event {
	return activity.Event{Actor: a, Target: b, Action: act, Time: t0.Add(d)}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Recent: -1}, "Recent"},
		{Config{Horizon: -1}, "Horizon"},
		{Config{MinHistory: math.Inf(1)}, "MinHistory"},
		{Config{Prior: 1.5}, "Prior"},
		{Config{L2: math.NaN()}, "L2"},
	} {
		_, err := NewRecent(tc.cfg)
		require.Error(t, err, tc.field)
		assert.ErrorIs(t, err, ErrConfig)
		assert.Contains(t, err.Error(), tc.field)
	}
}

func TestRecentKeepsLastAttended(t *testing.T) {
	score := map[uint32]float64{10: 1, 11: 2, 12: 3, 13: 4, 14: math.NaN()}
	r, err := NewRecent(Config{Recent: 3, OneWay: func(_, target uint32) float64 { return score[target] }})
	require.NoError(t, err)
	assert.Equal(t, MatchStats{}, r.Stats(1))
	r.Record(ev(1, 10, market.View, 0))
	r.Record(ev(1, 10, market.Impression, 0)) // not attention
	r.Record(ev(1, 10, market.Reply, 0))      // not attention
	st := r.Stats(1)
	assert.Equal(t, 1, st.N)
	assert.InDelta(t, 1, st.Mean, 1e-12)
	assert.Zero(t, st.Variance)
	r.Record(ev(1, 11, market.Favourite, 0))
	r.Record(ev(1, 12, market.Chat, 0))
	r.Record(ev(1, 13, market.Apply, 0)) // pushes out 10
	r.Record(ev(1, 14, market.View, 0))  // NaN score: ignored
	st = r.Stats(1)
	assert.Equal(t, 3, st.N)
	assert.InDelta(t, 3, st.Mean, 1e-12)
	assert.InDelta(t, 2.0/3, st.Variance, 1e-12)

	none, err := NewRecent(Config{})
	require.NoError(t, err)
	none.Record(ev(1, 10, market.View, 0))
	assert.Equal(t, MatchStats{}, none.Stats(1))
}

func TestLabelsMutualChat(t *testing.T) {
	day := 24 * time.Hour
	log := []activity.Event{
		ev(1, 2, market.Chat, -2*day), // 1↔2 mutual before the cut-off: does not count
		ev(2, 1, market.Reply, -day),
		ev(2, 1, market.Chat, day),   //   … nor does a later chat of the same pair
		ev(3, 4, market.Apply, -day), // 3↔4 completes after the cut-off: counts
		ev(4, 3, market.Reply, 2*day),
		ev(5, 6, market.Chat, day), //   5→6 only: no
		ev(6, 5, market.View, 2*day),
		ev(7, 8, market.Chat, 3*day), // 7↔8 completes after the horizon: no
		ev(8, 7, market.Chat, 8*day),
		ev(10, 9, market.Reply, 7*day), // 9↔10 completes at the horizon, out of order
		ev(9, 10, market.Chat, 6*day),
	}
	got, err := Labels(log, t0, Config{}, 12)
	require.NoError(t, err)
	want := make([]bool, 12)
	want[3], want[4], want[9], want[10] = true, true, true, true
	assert.Equal(t, want, got)
	_, err = Labels(log, t0, Config{Horizon: -1}, 0)
	assert.ErrorIs(t, err, ErrConfig)
}

func TestInputsBatchMatchesLive(t *testing.T) {
	tr, err := activity.New(activity.Config{Clock: func() time.Time { return t0 }})
	require.NoError(t, err)
	cfg := Config{OneWay: func(u, v uint32) float64 { return float64(v) / 10 }}
	log := []activity.Event{
		ev(1, 20, market.View, -3*time.Hour),
		ev(1, 22, market.Chat, -time.Hour),
		ev(1, 21, market.View, -2*time.Hour), // out of order
		ev(1, 23, market.View, time.Hour),    // after the cut-off
	}
	ins, err := Inputs(tr, cfg, log, t0, 2)
	require.NoError(t, err)
	require.Len(t, ins, 23) // 23 appears only after the cut-off
	assert.Equal(t, 3, ins[1].Match.N)
	assert.InDelta(t, 2.1, ins[1].Match.Mean, 1e-12)
	assert.InDelta(t, 2.0/300, ins[1].Match.Variance, 1e-12)

	// The live path over the same events, recorded in time order.
	r, err := NewRecent(cfg)
	require.NoError(t, err)
	for _, e := range []activity.Event{log[0], log[2], log[1]} {
		require.NoError(t, tr.Record(context.Background(), e))
		r.Record(e)
	}
	var live Input
	require.NoError(t, Live(context.Background(), tr, r, 1, t0, &live))
	assert.Equal(t, ins[1].Match, live.Match)
	assert.Equal(t, ins[1].Activity.Counts, live.Activity.Counts)
	names := VectorNames(tr.VectorNames())
	assert.Len(t, live.Vector(nil), len(names))
	assert.Equal(t, "log_match_n", names[len(names)-1])
}

// toy builds a log where participants 0–19 contact and chat a lot (and get
// mutual chats afterwards) and 20–39 barely act.
func toy(t *testing.T) ([]Input, []bool, []string) {
	t.Helper()
	tr, err := activity.New(activity.Config{Clock: func() time.Time { return t0 }})
	require.NoError(t, err)
	var log []activity.Event
	for u := range uint32(40) {
		k := 1
		if u < 20 {
			k = 8 + int(u%5)
		}
		for i := range k {
			log = append(log, ev(u, 100+uint32(i), market.View, -time.Duration(i+1)*time.Hour))
		}
	}
	ins, err := Inputs(tr, Config{}, log, t0, 40)
	require.NoError(t, err)
	labels := make([]bool, len(ins))
	for u := range 20 {
		labels[u] = u != 3 // one noisy label keeps the data from being separable
	}
	labels[25] = true
	return ins, labels, VectorNames(tr.VectorNames())
}

func TestFitRanksActiveUsersUrgent(t *testing.T) {
	ins, labels, names := toy(t)
	m, err := Fit(context.Background(), Config{MinHistory: -1}, Training{Names: names, Inputs: ins, Labels: labels})
	require.NoError(t, err)
	for u := range 20 {
		assert.Greater(t, m.Urgency(&ins[u]), m.Urgency(&ins[20+u]), "user %d", u)
	}
	out := make([]float64, 40)
	m.UrgencyAll(ins[:40], out)
	for u, s := range out {
		assert.True(t, s >= 0 && s <= 1, "user %d: %v", u, s)
	}
	assert.Equal(t, names, m.Names())
	assert.Len(t, m.Coefficients(), len(names))
	assert.Panics(t, func() { m.RawVector(nil) })
	assert.Panics(t, func() { m.UrgencyAll(ins, out[:1]) })
}

func TestPrior(t *testing.T) {
	ins, labels, names := toy(t)
	m, err := Fit(context.Background(), Config{Prior: 0.2}, Training{Names: names, Inputs: ins, Labels: labels})
	require.NoError(t, err)
	assert.Equal(t, 0.2, m.Prior())
	// Participant 200 never appeared: no history, urgency = prior.
	var none Input
	none.Activity.NumWindows = 3
	none.Activity.WindowDays = [activity.MaxWindows]float64{1, 7, 30}
	assert.InDelta(t, 0.2, m.Urgency(&none), 1e-12)
	// Shrinkage: one event of history is weighted 1/(1+5).
	one := ins[25]
	raw := m.RawVector(one.Vector(nil))
	n := History(&one.Activity)
	assert.InDelta(t, 1.0, n, 1e-12) // one view made
	assert.InDelta(t, n/(n+5)*raw+5/(n+5)*0.2, m.Urgency(&one), 1e-12)

	// The default prior is the label rate among low-history users, here
	// fewer than 30 of them (20–39): the overall rate.
	users := make([]uint32, 40)
	for i := range users {
		users[i] = uint32(i)
	}
	m2, err := Fit(context.Background(), Config{}, Training{Names: names, Inputs: ins, Labels: labels, Users: users})
	require.NoError(t, err)
	assert.InDelta(t, 20.0/40, m2.Prior(), 1e-12)
}

func TestFitErrors(t *testing.T) {
	ins, labels, names := toy(t)
	_, err := Fit(context.Background(), Config{}, Training{Names: names, Inputs: ins, Labels: make([]bool, len(ins))})
	assert.ErrorIs(t, err, ErrNoData)
	_, err = Fit(context.Background(), Config{}, Training{Names: names, Inputs: ins, Labels: labels, Users: []uint32{999}})
	assert.ErrorContains(t, err, "user 999")
	_, err = Fit(context.Background(), Config{}, Training{Names: names[:3], Inputs: ins, Labels: labels})
	assert.ErrorContains(t, err, "names")
	_, err = Fit(context.Background(), Config{}, Training{Names: names, Users: []uint32{}})
	assert.ErrorIs(t, err, ErrNoData)
}

// TestRecentConcurrent records and reads at once; run with -race.
func TestRecentConcurrent(t *testing.T) {
	r, err := NewRecent(Config{Recent: 5, OneWay: func(u, v uint32) float64 { return 1 }})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 3000 {
				r.Record(ev(uint32((g*1000+i)%2000), 5000, market.View, 0))
				_ = r.Stats(uint32(i % 2000))
			}
		})
	}
	wg.Wait()
	for u := range uint32(2000) {
		st := r.Stats(u)
		assert.InDelta(t, 1, st.Mean, 1e-12)
		assert.Zero(t, st.Variance)
	}
}

func TestModelRoundTrip(t *testing.T) {
	ins, labels, names := toy(t)
	m, err := Fit(context.Background(), Config{}, Training{Names: names, Inputs: ins, Labels: labels})
	require.NoError(t, err)
	var buf bytes.Buffer
	n, err := m.WriteTo(&buf)
	require.NoError(t, err)
	assert.Equal(t, int64(buf.Len()), n)
	got, err := ReadModel(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	for u := range ins {
		assert.Equal(t, m.Urgency(&ins[u]), got.Urgency(&ins[u]), "user %d", u)
	}
	assert.Equal(t, m.Coefficients(), got.Coefficients())

	for _, bad := range []string{
		``, `{`, `[]`, `{"format":"twoway/exposure","version":1}`,
		`{"format":"twoway/urgency","version":2}`,
		`{"format":"twoway/urgency","version":1,"names":["a"],"mean":[0],"scale":[1],"weights":[1],"bias":0,"prior":0,"min_history":0}`,
		`{"format":"twoway/urgency","version":1,"names":["a","b"],"mean":[0],"scale":[1],"weights":[1],"bias":0,"prior":0.5,"min_history":0}`,
		`{"format":"twoway/urgency","version":1,"names":["a"],"mean":[0],"scale":[1],"weights":[1],"bias":0,"prior":0.5,"min_history":0,"extra":1}`,
	} {
		_, err := ReadModel(strings.NewReader(bad))
		assert.ErrorIs(t, err, ErrCorrupt, bad)
	}
}

// TestReadModelVersion1 loads a model saved in the JSON form this package
// wrote before the model moved to rank.Standardized (testdata/model_v1.json,
// the toy model with the default Config): it scores exactly as a fresh fit.
func TestReadModelVersion1(t *testing.T) {
	ins, labels, names := toy(t)
	m, err := Fit(context.Background(), Config{}, Training{Names: names, Inputs: ins, Labels: labels})
	require.NoError(t, err)
	old, err := os.ReadFile("testdata/model_v1.json")
	require.NoError(t, err)
	got, err := ReadModel(bytes.NewReader(old))
	require.NoError(t, err)
	for u := range ins {
		assert.Equal(t, m.Urgency(&ins[u]), got.Urgency(&ins[u]), "user %d", u)
	}
	assert.Equal(t, m.Coefficients(), got.Coefficients())
	assert.Equal(t, m.Prior(), got.Prior())

	// Another package's model, in either form, is refused.
	_, err = ReadModel(strings.NewReader(strings.Replace(string(old), "twoway/urgency", "twoway/exposure", 1)))
	assert.ErrorIs(t, err, ErrCorrupt)
	assert.ErrorContains(t, err, `want "urgency"`)
	s, err := rank.FitStandardized(context.Background(), rank.StandardizedConfig{}, rank.StandardizedData{
		Kind: "exposure", Names: []string{"x"}, Rows: [][]float64{{0}, {1}}, Labels: []bool{false, true},
	})
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = s.WriteTo(&buf)
	require.NoError(t, err)
	_, err = ReadModel(bytes.NewReader(buf.Bytes()))
	assert.ErrorIs(t, err, ErrCorrupt)
	_, err = ReadModel(bytes.NewReader(buf.Bytes()[:buf.Len()-1]))
	assert.ErrorIs(t, err, ErrCorrupt)
	assert.ErrorIs(t, err, rank.ErrCorrupt, "a damaged stream wraps rank's error too")
}

func FuzzReadModel(f *testing.F) {
	f.Add([]byte(`{"format":"twoway/urgency","version":1,"names":["a"],"mean":[0],"scale":[1],"weights":[1],"bias":0,"prior":0.5,"min_history":0}`))
	f.Add(binaryModel(f))
	f.Add([]byte(`{"format":"twoway/urgency","version":1,"names":["a"],"mean":[1e308],"scale":[1e308],"weights":[1e308],"bias":-1e308,"prior":0.5,"min_history":1e308}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadModel(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		x := make([]float64, len(m.Names()))
		if s := m.RawVector(x); !(s >= 0 && s <= 1) {
			t.Fatalf("raw score %v outside [0,1]", s)
		}
		var buf bytes.Buffer
		if _, err := m.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadModel(&buf); err != nil {
			t.Fatalf("re-reading a written model: %v", err)
		}
	})
}

// binaryModel returns a small urgency model in the current binary form.
func binaryModel(tb testing.TB) []byte {
	s, err := rank.FitStandardized(context.Background(), rank.StandardizedConfig{MinHistory: 2}, rank.StandardizedData{
		Kind: kind, Names: []string{"a", "b"}, Rows: [][]float64{{0, 1}, {1, 0}, {2, 2}, {1, 1}}, Labels: []bool{false, true, true, false},
	})
	require.NoError(tb, err)
	var buf bytes.Buffer
	_, err = (&Model{s}).WriteTo(&buf)
	require.NoError(tb, err)
	return buf.Bytes()
}

func TestTableAndRefresh(t *testing.T) {
	ins, labels, names := toy(t)
	m, err := Fit(context.Background(), Config{}, Training{Names: names, Inputs: ins, Labels: labels})
	require.NoError(t, err)
	tab := m.Table(ins)
	assert.Equal(t, m.Urgency(&ins[3]), tab.Get(3))
	assert.Equal(t, m.Prior(), tab.Get(100000))

	// After live events, Refresh moves participant 25 from its batch score
	// to its live one.
	tr, err := activity.New(activity.Config{Clock: func() time.Time { return t0 }})
	require.NoError(t, err)
	for i := range 12 {
		require.NoError(t, tr.Record(context.Background(), ev(25, 100+uint32(i), market.View, -time.Duration(i+1)*time.Minute)))
	}
	require.NoError(t, m.Refresh(context.Background(), tr, nil, ins, []uint32{25, 5000}, t0, tab))
	var live Input
	live.Activity = ins[25].Activity
	require.NoError(t, Live(context.Background(), tr, nil, 25, t0, &live))
	assert.Equal(t, m.Urgency(&live), tab.Get(25))
	assert.NotEqual(t, m.Urgency(&ins[25]), tab.Get(25))
	assert.InDelta(t, m.Prior(), tab.Get(5000), 1e-12, "no history: the prior")
	assert.ErrorIs(t, m.Refresh(context.Background(), failing(t), nil, nil, []uint32{1}, t0, tab), errDown)
}

var errDown = errors.New("store down")

type downStore struct{}

func (downStore) Add(context.Context, uint32, int64, activity.CounterSet, int64) error {
	return errDown
}
func (downStore) Read(context.Context, uint32, int64, []uint32) (int64, error) { return 0, errDown }

func failing(t *testing.T) *activity.Tracker {
	tr, err := activity.New(activity.Config{Store: downStore{}})
	require.NoError(t, err)
	return tr
}

func TestRecentAndInputBinaryRoundTrip(t *testing.T) {
	cfg := Config{Recent: 3, OneWay: func(u, target uint32) float64 { return float64(target) / 10 }}
	r, err := NewRecent(cfg)
	require.NoError(t, err)
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for i := range uint32(7) { // user 1 wraps its ring
		r.Record(activity.Event{Actor: 1, Target: 10 + i, Action: market.View, Time: at})
	}
	r.Record(activity.Event{Actor: 4, Target: 2, Action: market.Chat, Time: at})
	b, err := r.AppendBinary(nil)
	require.NoError(t, err)
	got, err := NewRecent(cfg)
	require.NoError(t, err)
	require.NoError(t, got.UnmarshalBinary(b))
	for u := range uint32(6) {
		assert.Equal(t, r.Stats(u), got.Stats(u), "user %d", u)
	}
	// The ring continues where it stopped.
	r.Record(activity.Event{Actor: 1, Target: 30, Action: market.View, Time: at})
	got.Record(activity.Event{Actor: 1, Target: 30, Action: market.View, Time: at})
	assert.Equal(t, r.Stats(1), got.Stats(1))
	other, _ := NewRecent(Config{Recent: 5})
	assert.ErrorIs(t, other.UnmarshalBinary(b), ErrCorrupt, "another ring size")
	assert.ErrorIs(t, got.UnmarshalBinary(b[:len(b)-1]), ErrCorrupt)

	in := Input{Match: MatchStats{N: 2, Mean: 0.4, Variance: 0.01}}
	in.Activity.NumWindows, in.Activity.Active = 1, true
	ib, err := in.AppendBinary(nil)
	require.NoError(t, err)
	var back Input
	require.NoError(t, back.UnmarshalBinary(ib))
	assert.Equal(t, in, back)
	assert.ErrorIs(t, back.UnmarshalBinary(ib[:len(ib)-2]), ErrCorrupt)
}

// sameStats checks that two trackers hold the same statistics for users
// 0 to n−1, up to the rounding of sums taken in another order.
func sameStats(t *testing.T, want, got *Recent, n uint32) {
	t.Helper()
	for u := range n {
		a, b := want.Stats(u), got.Stats(u)
		assert.Equal(t, a.N, b.N, "user %d", u)
		assert.InDelta(t, a.Mean, b.Mean, 1e-12, "user %d", u)
		assert.InDelta(t, a.Variance, b.Variance, 1e-12, "user %d", u)
	}
}

// RecordAll ends where Record one by one ends, computing only the scores
// the end state keeps.
func TestRecordAllMatchesRecord(t *testing.T) {
	calls := 0
	var mu sync.Mutex
	oneWay := func(u, v uint32) float64 {
		mu.Lock()
		calls++
		mu.Unlock()
		if v%17 == 0 {
			return math.NaN() // skipped, as by Record
		}
		return float64((u*31+v*7)%100) / 100
	}
	cfg := Config{OneWay: oneWay, Recent: 5}
	r := rand.New(rand.NewPCG(1, 2))
	var events []activity.Event
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 3000 {
		act := []market.Action{market.View, market.Impression, market.Apply, market.Favourite, market.Reply}[r.IntN(5)]
		events = append(events, activity.Event{Actor: uint32(r.IntN(60)), Target: 1000 + uint32(r.IntN(300)), Action: act, Time: t0.Add(time.Duration(i) * time.Minute)})
	}
	one, err := NewRecent(cfg)
	require.NoError(t, err)
	for _, e := range events {
		one.Record(e)
	}
	sequential := calls
	calls = 0
	all, err := NewRecent(cfg)
	require.NoError(t, err)
	require.NoError(t, all.RecordAll(context.Background(), events))
	sameStats(t, one, all, 61)
	assert.Less(t, calls, sequential/3, "only the kept scores are computed (%d of %d)", calls, sequential)

	// With OneWayBatch: one call per actor, the same statistics, and
	// OneWay never called.
	calls = 0
	var batches, scored int
	bcfg := cfg
	bcfg.OneWayBatch = func(u uint32, targets []uint32, dst []float64) []float64 {
		mu.Lock()
		batches++
		scored += len(targets)
		mu.Unlock()
		dst = dst[:0]
		for _, v := range targets {
			if v%17 == 0 {
				dst = append(dst, math.NaN())
				continue
			}
			dst = append(dst, float64((u*31+v*7)%100)/100)
		}
		return dst
	}
	batched, err := NewRecent(bcfg)
	require.NoError(t, err)
	require.NoError(t, batched.RecordAll(context.Background(), events))
	sameStats(t, one, batched, 61)
	assert.Zero(t, calls, "OneWay is not called when OneWayBatch is set")
	assert.Less(t, batches, 2*60, "about one batch per actor (%d)", batches)
	assert.Less(t, scored, sequential/3, "only the kept scores are computed (%d of %d)", scored, sequential)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	again, _ := NewRecent(cfg)
	assert.ErrorIs(t, again.RecordAll(ctx, events), context.Canceled)
}
