package match_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
)

// tasteMarket: seekers 0–3, jobs 10–15. Seekers 0 and 1 agree on jobs
// 10–13 (yes, yes, no, no); seeker 2 decides the other way on each; seeker 3
// met nothing. On job 14, seeker 1 said yes and seeker 2 no; nobody met job 15.
func tasteMarket() *match.Behaviour {
	b := match.NewBehaviour(match.BehaviourConfig{})
	at := int64(1e18)
	decide := func(a, t uint32, yes bool) {
		b.Record(a, t, market.Seeker, market.Impression, at)
		if yes {
			b.Record(a, t, market.Seeker, market.Apply, at+1)
		} else {
			b.Record(a, t, market.Seeker, market.Reject, at+1)
		}
	}
	for j, yes := range []bool{true, true, false, false} {
		decide(0, uint32(10+j), yes)
		decide(1, uint32(10+j), yes)
		decide(2, uint32(10+j), !yes)
	}
	decide(1, 14, true)
	decide(2, 14, false)
	return b
}

func TestTasteFollowsAgreeingPeers(t *testing.T) {
	b := tasteMarket()
	ta, err := match.NewTaste(context.Background(), b, match.TasteConfig{}, nil)
	require.NoError(t, err)
	got := ta.Score(nil, 0, []uint32{14, 15, 10})
	require.Len(t, got, 3)
	// Seeker 0 agrees with 1 (who said yes to 14) and disagrees with 2
	// (not a neighbour: its similarity is negative), so 14 scores above 0.
	assert.Greater(t, got[0], 0.0, "job 14: the agreeing peer said yes")
	assert.Zero(t, got[1], "job 15: no neighbour met it")

	// The score by hand: generosity with prior strength 5 toward the
	// seekers' base rate, (acted + 0.5)/(shown + 1) over every seeker pair.
	const k = 5.0
	base := (7 + 0.5) / (14 + 1) // 14 seeker pairs, 7 positive
	gen := func(acted, shown float64) float64 { return (acted + k*base) / (shown + k) }
	d0 := []float64{1 - gen(2, 4), 1 - gen(2, 4), -gen(2, 4), -gen(2, 4)} // seeker 0 on 10–13
	g1 := gen(3, 5)                                                       // seeker 1, all pairs
	d1 := []float64{1 - g1, 1 - g1, -g1, -g1}
	var dot, n0, n1 float64
	for i := range d0 {
		dot += d0[i] * d1[i]
		n0 += d0[i] * d0[i]
		n1 += d1[i] * d1[i]
	}
	sim := dot / math.Sqrt(n0*n1) * 4 / (4 + 5) // 4 common targets, Shrink 5
	sim = float64(float32(sim))                 // kept as float32
	want := sim * (1 - gen(2, 4)) / (1 + sim)   // seeker 1 on 14, its generosity without it
	assert.InDelta(t, want, got[0], 1e-6)

	// Unknown participants and the other direction's form.
	assert.Equal(t, []float64{0, 0}, ta.Score(nil, 99, []uint32{10, 14}))
	assert.Equal(t, []float64{got[0], 0, 0}, ta.ScoreToward(nil, []uint32{0, 3, 99}, 14))
	var nilTaste *match.Taste
	assert.Equal(t, []float64{0}, nilTaste.Score(nil, 0, []uint32{14}))
	assert.Equal(t, []float64{0}, nilTaste.ScoreToward(nil, []uint32{0}, 14))
}

func TestTasteReadsDecisionsLive(t *testing.T) {
	b := tasteMarket()
	ta, err := match.NewTaste(context.Background(), b, match.TasteConfig{}, nil)
	require.NoError(t, err)
	require.Zero(t, ta.Score(nil, 0, []uint32{15})[0])
	b.Record(1, 15, market.Seeker, market.Impression, 2e18)
	b.Record(1, 15, market.Seeker, market.Reject, 2e18+1)
	assert.Less(t, ta.Score(nil, 0, []uint32{15})[0], 0.0, "the neighbour passed job 15 over after the build")
}

func TestTasteSkipsPairs(t *testing.T) {
	b := tasteMarket()
	// Leaving out seeker 1's pair with job 14 leaves seeker 0 nothing on it.
	ta, err := match.NewTaste(context.Background(), b, match.TasteConfig{}, func(a, t uint32) bool { return a == 1 && t == 14 })
	require.NoError(t, err)
	assert.Zero(t, ta.Score(nil, 0, []uint32{14})[0])
	// Leaving out everything seeker 0 met leaves it without neighbours.
	ta, err = match.NewTaste(context.Background(), b, match.TasteConfig{}, func(a, _ uint32) bool { return a == 0 })
	require.NoError(t, err)
	assert.Zero(t, ta.Score(nil, 0, []uint32{14})[0])
}

func TestTasteConfig(t *testing.T) {
	b := tasteMarket()
	off, err := match.NewTaste(context.Background(), b, match.TasteConfig{Neighbours: -1}, nil)
	require.NoError(t, err)
	assert.Equal(t, []float64{0}, off.Score(nil, 0, []uint32{14}), "Neighbours −1 is off")
	for _, c := range []match.TasteConfig{{Neighbours: -2}, {Shrink: -1}, {Shrink: math.NaN()}, {Shrink: math.Inf(1)}, {MaxDeciders: -1}} {
		_, err := match.NewTaste(context.Background(), b, c, nil)
		assert.ErrorIs(t, err, match.ErrConfig, "%+v", c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = match.NewTaste(ctx, b, match.TasteConfig{}, nil)
	assert.ErrorIs(t, err, context.Canceled)
}

// With MaxDeciders 1, each job keeps one of the seekers who met it; the
// scores stay finite and within (−1, 1).
func TestTasteMaxDeciders(t *testing.T) {
	b := tasteMarket()
	ta, err := match.NewTaste(context.Background(), b, match.TasteConfig{MaxDeciders: 1}, nil)
	require.NoError(t, err)
	for a := uint32(0); a < 4; a++ {
		for _, s := range ta.Score(nil, a, []uint32{10, 11, 12, 13, 14, 15}) {
			assert.True(t, s > -1 && s < 1, "seeker %d: %v", a, s)
		}
	}
}

func TestTasteBinary(t *testing.T) {
	b := tasteMarket()
	ta, err := match.NewTaste(context.Background(), b, match.TasteConfig{}, nil)
	require.NoError(t, err)
	data, err := ta.AppendBinary(nil)
	require.NoError(t, err)
	back, err := match.DecodeTaste(b, data)
	require.NoError(t, err)
	targets := []uint32{10, 11, 12, 13, 14, 15}
	for a := uint32(0); a < 4; a++ {
		assert.Equal(t, ta.Score(nil, a, targets), back.Score(nil, a, targets), "seeker %d", a)
	}
	again, err := back.AppendBinary(nil)
	require.NoError(t, err)
	assert.Equal(t, data, again)

	// Whatever the shrinkage, a built table decodes (similarities in (0, 1]).
	for _, shrink := range []float64{1e-300, 1e-9, 1, 1e300} {
		sh, err := match.NewTaste(context.Background(), b, match.TasteConfig{Shrink: shrink}, nil)
		require.NoError(t, err)
		table, err := sh.AppendBinary(nil)
		require.NoError(t, err)
		_, err = match.DecodeTaste(b, table)
		require.NoError(t, err, "Shrink %v", shrink)
	}

	var none *match.Taste
	empty, err := none.AppendBinary(nil)
	require.NoError(t, err)
	dec, err := match.DecodeTaste(b, empty)
	require.NoError(t, err)
	assert.Equal(t, []float64{0}, dec.Score(nil, 0, []uint32{14}))

	for i := range data {
		_, err := match.DecodeTaste(b, data[:i])
		assert.ErrorIs(t, err, match.ErrCorrupt, "cut at %d", i)
	}
	_, err = match.DecodeTaste(b, append(bytes.Clone(data), 0))
	assert.ErrorIs(t, err, match.ErrCorrupt, "a trailing byte")
	// Hand-made tables: format, then participants, then per participant
	// its neighbours as (index gap, float32 bits).
	table := func(parts ...uint64) []byte {
		var out []byte
		for _, p := range parts {
			out = binary.AppendUvarint(out, p)
		}
		return out
	}
	half := uint64(math.Float32bits(0.5))
	for name, bad := range map[string][]byte{
		"format":               table(2, 0),
		"index out of range":   table(1, 2, 1, 5, half, 0),
		"itself":               table(1, 2, 1, 0, half, 0),
		"repeated neighbour":   table(1, 3, 2, 1, half, 0, half, 0, 0),
		"similarity 0":         table(1, 2, 1, 1, 0, 0),
		"similarity above 1":   table(1, 2, 1, 1, uint64(math.Float32bits(1.5)), 0),
		"similarity NaN":       table(1, 2, 1, 1, uint64(math.Float32bits(float32(math.NaN()))), 0),
		"more than the data":   table(1, 1000),
		"similarity too large": table(1, 2, 1, 1, 1<<40, 0),
	} {
		_, err := match.DecodeTaste(b, bad)
		assert.ErrorIs(t, err, match.ErrCorrupt, name)
	}
	ok, err := match.DecodeTaste(b, table(1, 2, 1, 1, half, 0))
	require.NoError(t, err, "participant 0 with neighbour 1")
	assert.NotNil(t, ok)
}

// Score over many targets (in any order, repeats included), Score of one
// target and ScoreToward agree, on a random market where rows are both
// shorter and far longer than the targets asked about.
func TestTasteDirectionsAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	b := match.NewBehaviour(match.BehaviourConfig{})
	const seekers, jobs = 40, 300
	for a := uint32(0); a < seekers; a++ {
		met := 5 + r.IntN(jobs-5)
		if a%4 == 0 {
			met = 3
		}
		for _, j := range r.Perm(jobs)[:met] {
			job := uint32(seekers + j)
			b.Record(a, job, market.Seeker, market.Impression, 1e18)
			if r.IntN(3) == 0 {
				b.Record(a, job, market.Seeker, market.Apply, 1e18+1)
			}
		}
	}
	ta, err := match.NewTaste(context.Background(), b, match.TasteConfig{Neighbours: 10}, nil)
	require.NoError(t, err)
	var all []uint32
	for j := range jobs {
		all = append(all, uint32(seekers+j))
	}
	all = append(all, all[7], all[7], 5000) // repeats, and one never met
	r.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	nonzero := 0
	for a := uint32(0); a < seekers; a++ {
		many := ta.Score(nil, a, all)
		few := ta.Score(nil, a, all[:3])
		for i, c := range all {
			one := ta.Score(nil, a, []uint32{c})[0]
			require.Equal(t, one, many[i], "seeker %d, job %d", a, c)
			require.Equal(t, one, ta.ScoreToward(nil, []uint32{a}, c)[0], "seeker %d, job %d", a, c)
			if i < 3 {
				require.Equal(t, one, few[i])
			}
			if one != 0 {
				nonzero++
			}
		}
	}
	assert.Greater(t, nonzero, 1000)

	// A Behaviour restored from its encoding rebuilds the by-target table
	// that ScoreToward reads.
	data, err := b.AppendBinary(nil)
	require.NoError(t, err)
	restored := match.NewBehaviour(match.BehaviourConfig{})
	require.NoError(t, restored.UnmarshalBinary(data))
	tab, err := ta.AppendBinary(nil)
	require.NoError(t, err)
	back, err := match.DecodeTaste(restored, tab)
	require.NoError(t, err)
	actors := make([]uint32, seekers)
	for a := range actors {
		actors[a] = uint32(a)
	}
	for _, c := range all {
		require.Equal(t, ta.ScoreToward(nil, actors, c), back.ScoreToward(nil, actors, c), "job %d", c)
	}
}

// FuzzDecodeTaste decodes neighbour tables: an error wraps ErrCorrupt,
// and a table that decodes scores without panicking, within (−1, 1).
func FuzzDecodeTaste(f *testing.F) {
	b := tasteMarket()
	ta, err := match.NewTaste(context.Background(), b, match.TasteConfig{}, nil)
	require.NoError(f, err)
	seed, err := ta.AppendBinary(nil)
	require.NoError(f, err)
	f.Add(seed)
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := match.DecodeTaste(b, data)
		if err != nil {
			require.ErrorIs(t, err, match.ErrCorrupt)
			return
		}
		for a := uint32(0); a < 20; a++ {
			for _, s := range got.Score(nil, a, []uint32{10, 11, 12, 13, 14, 15, 0, 99}) {
				require.True(t, s > -1 && s < 1, "%v", s)
			}
			for _, s := range got.ScoreToward(nil, []uint32{0, 1, 2, 3, a}, 10+a%6) {
				require.True(t, s > -1 && s < 1, "%v", s)
			}
		}
	})
}
