package urgency

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/activity"
	"github.com/twowayrec/twoway/market"
)

// Urgency of an input it cannot score is the prior: no panic, no NaN.
func TestUrgencyInvalidInputIsPrior(t *testing.T) {
	ins, labels, names := toy(t)
	m, err := Fit(context.Background(), Config{}, Training{Names: names, Inputs: ins, Labels: labels})
	require.NoError(t, err)
	good := ins[5]
	u := m.Urgency(&good)
	require.False(t, math.IsNaN(u))
	for name, mod := range map[string]func(*Input){
		"zero":             func(in *Input) { *in = Input{} },
		"NumWindows 0":     func(in *Input) { in.Activity.NumWindows = 0 },
		"NumWindows 99":    func(in *Input) { in.Activity.NumWindows = 99 },
		"NumWindows -1":    func(in *Input) { in.Activity.NumWindows = -1 },
		"fewer windows":    func(in *Input) { in.Activity.NumWindows-- },
		"NaN count":        func(in *Input) { in.Activity.Counts[0][0] = math.NaN() },
		"negative count":   func(in *Input) { in.Activity.Counts[0][0] = -5 },
		"Inf count":        func(in *Input) { in.Activity.Counts[2][0] = math.Inf(1) },
		"NaN mean":         func(in *Input) { in.Match.Mean = math.NaN() },
		"negative N":       func(in *Input) { in.Match.N = -3 },
		"zero window days": func(in *Input) { in.Activity.WindowDays[0] = 0 },
	} {
		in := good
		mod(&in)
		var got float64
		require.NotPanics(t, func() { got = m.Urgency(&in) }, name)
		if name == "zero window days" {
			assert.False(t, math.IsNaN(got), name)
			continue
		}
		assert.Equal(t, m.Prior(), got, name)
		if name != "fewer windows" { // valid, but not the model's dimension
			assert.Error(t, in.Check(), name)
		}
	}
	assert.Equal(t, m.Prior(), m.Urgency(nil))
	assert.Zero(t, History(&activity.Features{}))
	assert.Zero(t, History(&activity.Features{NumWindows: 99}))
}

// The Input decoder refuses what Urgency cannot score.
func TestInputUnmarshalRejectsInvalid(t *testing.T) {
	ins, _, _ := toy(t)
	for name, mod := range map[string]func(*Input){
		"zero":           func(in *Input) { *in = Input{} },
		"NaN count":      func(in *Input) { in.Activity.Counts[0][1] = math.NaN() },
		"negative count": func(in *Input) { in.Activity.Counts[1][0] = -1 },
		"Inf mean":       func(in *Input) { in.Match.Mean = math.Inf(-1) },
	} {
		in := ins[5]
		mod(&in)
		b, err := in.AppendBinary(nil)
		require.NoError(t, err)
		back := ins[7]
		assert.ErrorIs(t, back.UnmarshalBinary(b), ErrCorrupt, name)
		assert.Equal(t, ins[7], back, name)
	}
	b, err := ins[5].AppendBinary(nil)
	require.NoError(t, err)
	var back Input
	require.NoError(t, back.UnmarshalBinary(b))
	assert.Equal(t, ins[5], back)
}

// An actor above activity.MaxIndex is ignored rather than sizing the dense
// rings by it.
func TestRecentRecordHugeActorIgnored(t *testing.T) {
	r, err := NewRecent(Config{OneWay: func(u, t uint32) float64 { return 0.5 }})
	require.NoError(t, err)
	r.Record(activity.Event{Actor: math.MaxUint32, Target: 1, Action: market.View, Time: t0})
	r.Record(activity.Event{Actor: activity.MaxIndex + 1, Target: 1, Action: market.View, Time: t0})
	require.NoError(t, r.RecordAll(context.Background(), []activity.Event{{Actor: math.MaxUint32 - 1, Target: 1, Action: market.View, Time: t0}}))
	assert.Equal(t, MatchStats{}, r.Stats(math.MaxUint32))
	r.mu.RLock()
	n := len(r.users)
	r.mu.RUnlock()
	assert.Zero(t, n)
	r.Record(activity.Event{Actor: 3, Target: 1, Action: market.View, Time: t0})
	assert.Equal(t, 1, r.Stats(3).N)
}

// Labels refuses a negative n and an index that would size its output at
// gigabytes, instead of panicking in makeslice or allocating.
func TestLabelsRefusesBadSizes(t *testing.T) {
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	_, err := Labels(nil, at, Config{}, -3)
	assert.ErrorIs(t, err, market.ErrOutOfRange)
	huge := []activity.Event{{Actor: 0, Target: activity.MaxIndex + 1, Action: market.Chat, Time: at}}
	_, err = Labels(huge, at, Config{}, 2)
	assert.ErrorIs(t, err, market.ErrOutOfRange)
	got, err := Labels([]activity.Event{{Actor: 0, Target: 1, Action: market.Chat, Time: at.Add(time.Hour)}, {Actor: 1, Target: 0, Action: market.Reply, Time: at.Add(2 * time.Hour)}}, at, Config{}, 3)
	require.NoError(t, err)
	assert.Equal(t, []bool{true, true, false}, got)
}
