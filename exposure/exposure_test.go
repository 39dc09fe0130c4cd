package exposure

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kelindar/bitmap"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/rank"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestLedgerDecay(t *testing.T) {
	l := NewLedger(time.Hour)
	assert.Equal(t, time.Hour, l.HalfLife())
	assert.Zero(t, l.Load(5, t0))
	l.Add(5, t0, 1)
	assert.InDelta(t, 1, l.Load(5, t0), 1e-12)
	assert.InDelta(t, 0.5, l.Load(5, t0.Add(time.Hour)), 1e-12)
	assert.InDelta(t, 0.25, l.Load(5, t0.Add(2*time.Hour)), 1e-12)
	l.Add(5, t0.Add(time.Hour), 2)
	assert.InDelta(t, 2.5, l.Load(5, t0.Add(time.Hour)), 1e-12)
	// Out of order: an impression an hour before the newest counts ½ then.
	l.Add(5, t0, 1)
	assert.InDelta(t, 3, l.Load(5, t0.Add(time.Hour)), 1e-12)
	// A read before the newest impression sees it undecayed.
	assert.InDelta(t, 3, l.Load(5, t0), 1e-12)
	assert.Zero(t, l.Load(4, t0))
	assert.Zero(t, l.Load(1<<20, t0))
	assert.GreaterOrEqual(t, l.Len(), 6)
	assert.Panics(t, func() { NewLedger(0) })
}

func TestLedgerOrderIndependent(t *testing.T) {
	a, b := NewLedger(3*time.Hour), NewLedger(3*time.Hour)
	times := []time.Duration{0, 5 * time.Hour, time.Hour, 30 * time.Minute, 7 * time.Hour, 2 * time.Hour}
	for _, d := range times {
		a.Add(1, t0.Add(d), 1)
	}
	for i := len(times) - 1; i >= 0; i-- {
		b.Add(1, t0.Add(times[i]), 1)
	}
	now := t0.Add(10 * time.Hour)
	var want float64
	for _, d := range times {
		want += math.Exp2(-(10*time.Hour - d).Hours() / 3)
	}
	assert.InDelta(t, want, a.Load(1, now), 1e-12)
	assert.InDelta(t, want, b.Load(1, now), 1e-12)
}

func TestControllerRule(t *testing.T) {
	c, err := New(Config{Capacity: 10, Gamma: 1, MaxSaturation: 0.9, HalfLife: time.Hour})
	require.NoError(t, err)
	l := c.Ledger()
	l.Add(1, t0, 4) // load 4
	l.Add(2, t0, 6) // load 6
	for _, tc := range []struct {
		name     string
		cand     uint32
		s        float64
		excluded bool
		penalty  float64
		budget   float64
	}{
		{"fresh and unsaturated", 9, 0, false, 0, 10},
		{"unknown saturation reads 0", 9, math.NaN(), false, 0, 10},
		{"saturation alone", 9, 0.3, false, 0.3, 7},
		{"load 4 of budget 10", 1, 0, false, 0.4, 10},
		{"load 4 of budget 5", 1, 0.5, false, 1 - 0.5*(1-0.8), 5},
		{"load 6 of budget 5: over", 2, 0.5, true, 1, 5},
		{"over the saturation cap", 9, 0.9, true, 1, 1},
		{"clamped above 1", 9, 1.5, true, 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := c.Judge(tc.cand, tc.s, t0)
			assert.Equal(t, tc.excluded, v.Excluded)
			assert.InDelta(t, tc.penalty, v.Penalty, 1e-12)
			assert.InDelta(t, tc.budget, v.Budget, 1e-9)
		})
	}
	// The threshold adapts: with load 4, saturation 0.6 or more excludes
	// (budget 10·0.4 = 4 ≤ load), 0.59 does not.
	assert.True(t, c.Judge(1, 0.6, t0).Excluded)
	assert.False(t, c.Judge(1, 0.59, t0).Excluded)
	// Decay frees the budget: an hour later load 6 is 3.
	assert.False(t, c.Judge(2, 0.5, t0.Add(time.Hour)).Excluded)

	cands := []uint32{1, 2, 9}
	pen := make([]float64, 3)
	var excl bitmap.Bitmap
	c.Penalties(cands, []float64{0, 0.5, 0.3}, t0, pen, &excl)
	assert.InDeltaSlice(t, []float64{0.4, 1, 0.3}, pen, 1e-12)
	assert.Equal(t, 1, excl.Count())
	assert.True(t, excl.Contains(2))
	assert.Panics(t, func() { c.Penalties(cands, []float64{0}, t0, pen, nil) })

	sat := make([]float64, 12)
	sat[2], sat[7] = 0.5, 0.95
	var all bitmap.Bitmap
	all.Set(11) // cleared first
	c.Exclusions(sat, t0, &all)
	var got []uint32
	all.Range(func(x uint32) { got = append(got, x) })
	assert.Equal(t, []uint32{2, 7}, got)
}

func TestServedUsesClock(t *testing.T) {
	now := t0
	c, err := New(Config{Clock: func() time.Time { return now }, Capacity: 2})
	require.NoError(t, err)
	c.Served([]uint32{3, 3, 4})
	assert.InDelta(t, 2, c.Ledger().Load(3, now), 1e-12)
	assert.True(t, c.Judge(3, 0, now).Excluded)
	assert.False(t, c.Judge(4, 0, now).Excluded)
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg   Config
		field string
	}{
		{Config{Window: -1}, "Window"},
		{Config{AnswerWithin: -1}, "AnswerWithin"},
		{Config{MinHistory: math.NaN()}, "MinHistory"},
		{Config{Prior: 1}, "Prior"},
		{Config{L2: math.Inf(1)}, "L2"},
		{Config{HalfLife: -1}, "HalfLife"},
		{Config{Capacity: -1}, "Capacity"},
		{Config{Gamma: -1}, "Gamma"},
		{Config{MaxSaturation: 2}, "MaxSaturation"},
	} {
		_, err := New(tc.cfg)
		require.Error(t, err, tc.field)
		assert.ErrorIs(t, err, ErrConfig)
		assert.Contains(t, err.Error(), tc.field)
	}
	c, err := New(Config{})
	require.NoError(t, err)
	d := c.Config()
	assert.Equal(t, 24*time.Hour, d.Window)
	assert.Equal(t, 72*time.Hour, d.AnswerWithin)
	assert.Equal(t, 50.0, d.Capacity)
	assert.Equal(t, 0.95, d.MaxSaturation)
}

func TestLabels(t *testing.T) {
	cut := t0
	ev := func(a, b uint32, act market.Action, d time.Duration) activity.Event {
		return activity.Event{Actor: a, Target: b, Action: act, Time: cut.Add(d)}
	}
	log := []activity.Event{
		ev(2, 1, market.Chat, -time.Hour),      // before the window
		ev(3, 1, market.Chat, 2*time.Hour),     // answered after 1 h
		ev(1, 3, market.Reply, 3*time.Hour),    //
		ev(4, 1, market.Apply, 5*time.Hour),    // answered after 80 h: too late
		ev(1, 4, market.Reply, 85*time.Hour),   //
		ev(5, 1, market.Chat, 6*time.Hour),     // reply before it does not count
		ev(1, 5, market.Reply, time.Hour),      //
		ev(6, 2, market.View, 2*time.Hour),     // not a contact
		ev(7, 2, market.Chat, 23*time.Hour),    // unanswered
		ev(8, 2, market.Chat, 25*time.Hour),    // after the window
		ev(3, 1, market.Chat, 2*time.Hour),     // duplicate delivery: labelled twice
		ev(2, 7, market.Reply, 24*time.Hour+1), // replies to 7 after the window: still answers it
		ev(9, 2, market.Chat, 24*time.Hour),    // window end is inclusive
		ev(2, 9, market.Reply, 24*time.Hour+time.Minute),
	}
	got, err := Labels(log, cut, Config{})
	require.NoError(t, err)
	type lab struct {
		r, s uint32
		u    bool
	}
	var short []lab
	for _, c := range got {
		short = append(short, lab{c.Recipient, c.Sender, c.Unanswered})
	}
	assert.Equal(t, []lab{{1, 3, false}, {1, 3, false}, {1, 4, true}, {1, 5, true}, {2, 7, false}, {2, 9, false}}, short)
	_, err = Labels(log, cut, Config{Window: -1})
	assert.ErrorIs(t, err, ErrConfig)
}

func fitToy(t *testing.T, cfg Config) (*Model, []activity.Features, []string) {
	t.Helper()
	tr, err := activity.New(activity.Config{Clock: func() time.Time { return t0 }})
	require.NoError(t, err)
	// Recipients 0–9 answer everything; 10–19 receive many contacts and
	// answer none.
	var log []activity.Event
	for r := range uint32(20) {
		for k := range uint32(2 + r) {
			s := 100 + r*40 + k
			at := t0.Add(-time.Duration(k+1) * time.Hour)
			log = append(log, activity.Event{Actor: s, Target: r, Action: market.Chat, Time: at})
			if r < 10 {
				log = append(log, activity.Event{Actor: r, Target: s, Action: market.Reply, Time: at.Add(time.Minute)})
			}
		}
	}
	feats, err := tr.Batch(log, t0, 20)
	require.NoError(t, err)
	var exs []Example
	for r := range 20 {
		for range 3 {
			exs = append(exs, Example{Features: &feats[r], Unanswered: r >= 10})
		}
	}
	exs[0].Unanswered = true // one noisy label keeps the data from being separable
	exs[len(exs)-1].Unanswered = false
	m, err := Fit(context.Background(), cfg, Training{Names: tr.VectorNames(), Examples: exs})
	require.NoError(t, err)
	return m, feats, tr.VectorNames()
}

func TestFitSeparatesAnsweringFromFlooded(t *testing.T) {
	m, feats, names := fitToy(t, Config{MinHistory: -1})
	for r := range 10 {
		assert.Less(t, m.Saturation(&feats[r]), 0.5, "recipient %d answers", r)
		assert.Greater(t, m.Saturation(&feats[r+10]), 0.5, "recipient %d is flooded", r+10)
	}
	assert.Equal(t, names, m.Names())
	cs := m.Coefficients()
	require.Len(t, cs, len(names))
	assert.GreaterOrEqual(t, math.Abs(cs[0].Weight), math.Abs(cs[len(cs)-1].Weight))
	out := make([]float64, 20)
	m.SaturationAll(feats[:20], out)
	assert.InDelta(t, m.Saturation(&feats[3]), out[3], 0)
	assert.Panics(t, func() { m.RawVector([]float64{1}) })
}

func TestPriorForNoHistory(t *testing.T) {
	m, _, _ := fitToy(t, Config{Prior: 0.3})
	assert.Equal(t, 0.3, m.Prior())
	var none activity.Features
	none.NumWindows = 3
	none.WindowDays = [activity.MaxWindows]float64{1, 7, 30}
	assert.InDelta(t, 0.3, m.Saturation(&none), 1e-12, "no contacts received: the prior")
	m2, _, _ := fitToy(t, Config{})
	assert.InDelta(t, 0.5, m2.Prior(), 1e-12, "default prior: the training share of unanswered")
}

func TestFitErrors(t *testing.T) {
	_, err := Fit(context.Background(), Config{}, Training{})
	assert.ErrorIs(t, err, ErrNoData)
	var f activity.Features
	f.NumWindows = 1
	f.WindowDays[0] = 1
	_, err = Fit(context.Background(), Config{}, Training{Names: []string{"x"}, Examples: []Example{{Features: &f}}})
	assert.ErrorContains(t, err, "example 0")
	_, err = Examples(nil, []Contact{{Recipient: 3, Sender: 4}})
	assert.ErrorContains(t, err, "recipient 3")
	_, err = Fit(context.Background(), Config{Prior: -1}, Training{})
	assert.ErrorIs(t, err, ErrConfig)
}

// TestConcurrentServeAndJudge runs served lists, judgements and exclusion
// rebuilds at once; run with -race.
func TestConcurrentServeAndJudge(t *testing.T) {
	c, err := New(Config{Clock: func() time.Time { return t0 }})
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			cands := make([]uint32, 20)
			pen := make([]float64, 20)
			sat := make([]float64, 20)
			for i := range 500 {
				for k := range cands {
					cands[k] = uint32((g*7919 + i*31 + k*4099) % 5000)
				}
				c.Served(cands)
				c.Penalties(cands, sat, t0, pen, nil)
				if i%100 == 0 {
					var b bitmap.Bitmap
					c.Exclusions(nil, t0, &b)
				}
			}
		})
	}
	wg.Wait()
	var total float64
	for i := range uint32(5000) {
		total += c.Ledger().Load(i, t0)
	}
	assert.InDelta(t, 4*500*20, total, 1e-6)
}

func TestModelRoundTrip(t *testing.T) {
	m, feats, _ := fitToy(t, Config{})
	var buf bytes.Buffer
	n, err := m.WriteTo(&buf)
	require.NoError(t, err)
	assert.Equal(t, int64(buf.Len()), n)
	got, err := ReadModel(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	for r := range feats {
		assert.Equal(t, m.Saturation(&feats[r]), got.Saturation(&feats[r]), "recipient %d", r)
	}
	for _, bad := range []string{
		``, `{`, `{"format":"twoway/urgency","version":1}`,
		`{"format":"twoway/exposure","version":9}`,
		`{"format":"twoway/exposure","version":1,"names":["a"],"mean":[0],"scale":[1],"weights":[1],"bias":0,"prior":1,"min_history":0}`,
		`{"format":"twoway/exposure","version":1,"names":["a"],"mean":[0],"scale":[1,2],"weights":[1],"bias":0,"prior":0.5,"min_history":0}`,
		`{"format":"twoway/exposure","version":1,"names":["a"],"mean":[1e308],"scale":[1e308],"weights":[1e308],"bias":0,"prior":0.5,"min_history":0}`,
	} {
		_, err := ReadModel(strings.NewReader(bad))
		assert.ErrorIs(t, err, ErrCorrupt, bad)
	}
}

// TestReadModelVersion1 loads a model saved in the JSON form this package
// wrote before the model moved to rank.Standardized (testdata/model_v1.json,
// the toy model with the default Config): it scores exactly as a fresh fit.
func TestReadModelVersion1(t *testing.T) {
	m, feats, _ := fitToy(t, Config{})
	old, err := os.ReadFile("testdata/model_v1.json")
	require.NoError(t, err)
	got, err := ReadModel(bytes.NewReader(old))
	require.NoError(t, err)
	for r := range feats {
		assert.Equal(t, m.Saturation(&feats[r]), got.Saturation(&feats[r]), "recipient %d", r)
	}
	assert.Equal(t, m.Coefficients(), got.Coefficients())
	assert.Equal(t, m.Prior(), got.Prior())

	// Another package's model, in either form, is refused.
	_, err = ReadModel(strings.NewReader(strings.Replace(string(old), "twoway/exposure", "twoway/urgency", 1)))
	assert.ErrorIs(t, err, ErrCorrupt)
	assert.ErrorContains(t, err, `want "exposure"`)
	s, err := rank.FitStandardized(context.Background(), rank.StandardizedConfig{}, rank.StandardizedData{
		Kind: "urgency", Names: []string{"x"}, Rows: [][]float64{{0}, {1}}, Labels: []bool{false, true},
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

// binaryModel returns a small saturation model in the current binary form.
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

func FuzzReadModel(f *testing.F) {
	f.Add(binaryModel(f))
	f.Add([]byte(`{"format":"twoway/exposure","version":1,"names":["a"],"mean":[0],"scale":[1],"weights":[1],"bias":0,"prior":0.5,"min_history":0}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadModel(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if s := m.RawVector(make([]float64, len(m.Names()))); !(s >= 0 && s <= 1) {
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

func TestTableAndRefresh(t *testing.T) {
	m, feats, _ := fitToy(t, Config{})
	tab := m.Table(feats)
	assert.Equal(t, m.Saturation(&feats[12]), tab.Get(12))
	assert.Equal(t, m.Prior(), tab.Get(1<<20))

	tr, err := activity.New(activity.Config{Clock: func() time.Time { return t0 }})
	require.NoError(t, err)
	for k := range uint32(30) {
		e := activity.Event{Actor: 500 + k, Target: 3, Action: market.Chat, Time: t0.Add(-time.Duration(k+1) * time.Minute)}
		require.NoError(t, tr.Record(context.Background(), e))
	}
	require.NoError(t, m.Refresh(context.Background(), tr, feats, []uint32{3}, t0, tab))
	f := feats[3]
	require.NoError(t, tr.Features(context.Background(), 3, t0, &f))
	assert.Equal(t, m.Saturation(&f), tab.Get(3))
	assert.NotEqual(t, m.Saturation(&feats[3]), tab.Get(3), "30 new unanswered contacts change the saturation")
}

// Features the model cannot read (the zero value, a damaged count,
// another number of windows) get the prior, never a panic or NaN
// (History indexed window -1 of the zero Features).
func TestSaturationOfUnreadableFeatures(t *testing.T) {
	m, feats, _ := fitToy(t, Config{})
	prior := m.Saturation(nil)
	assert.False(t, math.IsNaN(prior))
	nan := feats[0]
	nan.Counts[0][activity.ContactsReceived] = math.NaN()
	fewer := feats[0]
	fewer.NumWindows = 1
	for name, f := range map[string]*activity.Features{"zero": {}, "NaN count": &nan, "one window": &fewer} {
		assert.Equal(t, prior, m.Saturation(f), name)
	}
	assert.Zero(t, History(&activity.Features{}))
	assert.NotEqual(t, prior, m.Saturation(&feats[0]), "a readable participant is scored")
}
