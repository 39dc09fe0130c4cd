package match_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/internal/synth"
	"github.com/twowayrec/twoway/market"
	"github.com/twowayrec/twoway/match"
	"github.com/twowayrec/twoway/sparse"
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

// tinyFeatures is a Featurizer of 12 participants (0–7 seekers, 8–11
// jobs) with a few features per pair and no text, for fuzzing the decoder
// without loading the segmenter.
type tinyFeatures struct{}

func (tinyFeatures) Side(ix uint32) market.Side {
	switch {
	case ix < 8:
		return market.Seeker
	case ix < 12:
		return market.Recruiter
	}
	return 0
}

func (tinyFeatures) Features(dst sparse.Vector, a, b uint32) sparse.Vector {
	dst.Idx, dst.Val = append(dst.Idx[:0], 0, 1+b%3, 4+(a+b)%2), append(dst.Val[:0], 1, 1, 0.5)
	return dst
}

// FuzzReadInterest decodes interest models. Its seed is a model of 12
// participants fitted over tinyFeatures: a small seed keeps the fuzzer's
// minimisation of each new input short, and a featurizer without text
// keeps each worker's start short.
func FuzzReadInterest(f *testing.F) {
	var samples []match.Sample
	for u := range uint32(12) {
		for k := range uint32(6) {
			t := (u + k) % 4
			if u >= 8 {
				t = k % 8
			} else {
				t += 8
			}
			samples = append(samples, match.Sample{User: u, Target: t, Attended: (u+k)%3 == 0, Weight: 1})
		}
	}
	im, err := match.FitInterest(context.Background(), match.InterestConfig{}, tinyFeatures{}, samples)
	require.NoError(f, err)
	var buf bytes.Buffer
	_, err = im.WriteTo(&buf)
	require.NoError(f, err)
	f.Logf("seed: %d bytes", buf.Len())
	f.Add(buf.Bytes())
	f.Add([]byte("TWMATCHI\x01\x00\x06"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := match.ReadInterest(bytes.NewReader(data), tinyFeatures{})
		if err != nil {
			require.ErrorIs(t, err, match.ErrCorrupt)
			return
		}
		_ = m.OneWay(0, 9)
	})
}

// contentFeatures is tinyFeatures with two content features (indices from
// NumPairFeatures on), whose indices move when an evidence feature is
// added.
type contentFeatures struct{ tinyFeatures }

func (contentFeatures) Features(dst sparse.Vector, a, b uint32) sparse.Vector {
	dst.Idx = append(dst.Idx[:0], 0, 1+b%3, match.NumPairFeatures+b%4, match.NumPairFeatures+4+a%2)
	dst.Val = append(dst.Val[:0], 1, 1, 1, 0.5)
	return dst
}

// A model saved before the taste evidence (version 3, written by the
// commit before it, testdata/interest-v3.bin: FitInterest on
// contentFeatures with generosity, attractiveness and user-CF evidence)
// reads with weight 0 on taste and its content weights where the content
// features now are: it scores every pair as it did then
// (interest-v3.json), with any taste evidence.
func TestReadInterestVersion3(t *testing.T) {
	data, err := os.ReadFile("testdata/interest-v3.bin")
	require.NoError(t, err)
	raw, err := os.ReadFile("testdata/interest-v3.json")
	require.NoError(t, err)
	var want [][]float64
	require.NoError(t, json.Unmarshal(raw, &want))
	im, err := match.ReadInterest(bytes.NewReader(data), contentFeatures{})
	require.NoError(t, err)
	for u := range uint32(12) {
		var cands []uint32
		var ev []match.Evidence
		for c := range uint32(12) {
			cands = append(cands, c)
			var e match.Evidence
			e[match.EvidenceGenerous] = float64(u%5) - 2
			e[match.EvidenceAttract] = float64(c%3) - 1
			e[match.EvidenceUserCF] = float64((u+c)%4) / 4
			e[match.EvidenceTaste] = 0.5
			ev = append(ev, e)
		}
		assert.Equal(t, want[u], im.OneWayBatch(nil, new(match.Buffer), u, cands, ev), "participant %d", u)
	}
}
