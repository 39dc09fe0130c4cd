package match_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/match"
)

func TestInterestRoundTrip(t *testing.T) {
	f := newSynthFixture(t, synth.Small())
	im := fitSynth(t, f, match.InterestConfig{})
	var buf bytes.Buffer
	n, err := im.WriteTo(&buf)
	require.NoError(t, err)
	assert.Equal(t, int64(buf.Len()), n)
	saved := bytes.Clone(buf.Bytes())
	back, err := match.ReadInterest(&buf, f.cat)
	require.NoError(t, err)
	lo, hi := f.m.Jobs()
	for s := uint32(0); s < 300; s += 13 {
		for j := lo; j < hi; j += 11 {
			require.Equal(t, im.OneWay(s, j), back.OneWay(s, j))
			require.Equal(t, im.OneWay(j, s), back.OneWay(j, s))
		}
		a, na := im.HasCorrection(s)
		b, nb := back.HasCorrection(s)
		require.Equal(t, a, b)
		require.Equal(t, na, nb)
	}
	// every truncation and a flipped byte are errors, never panics
	for _, cut := range []int{0, 5, 10, 11, 40, len(saved) / 2, len(saved) - 1} {
		_, err := match.ReadInterest(bytes.NewReader(saved[:cut]), f.cat)
		require.ErrorIs(t, err, match.ErrCorrupt, "cut at %d", cut)
	}
	bad := bytes.Clone(saved)
	bad[len(bad)/2] ^= 0x40
	_, err = match.ReadInterest(bytes.NewReader(bad), f.cat)
	require.ErrorIs(t, err, match.ErrCorrupt)
	_, err = match.ReadInterest(bytes.NewReader([]byte("TWRANKLR\x01\x00\x02")), f.cat)
	require.ErrorIs(t, err, match.ErrCorrupt)
}

func FuzzReadInterest(f *testing.F) {
	fx := newSynthFixture(f, synth.Small())
	im := fitSynth(f, fx, match.InterestConfig{})
	var buf bytes.Buffer
	_, err := im.WriteTo(&buf)
	require.NoError(f, err)
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:100])
	f.Add([]byte("TWMATCHI\x01\x00\x06"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := match.ReadInterest(bytes.NewReader(data), fx.cat)
		if err != nil {
			require.ErrorIs(t, err, match.ErrCorrupt)
			return
		}
		_ = m.OneWay(0, 300)
	})
}
