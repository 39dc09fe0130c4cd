package allocate

import (
	"bytes"
	"errors"
	"io"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPotentialsBinaryRoundTrip(t *testing.T) {
	m := randomMarket(60, 8, 5, 0.6, true)
	m.masses = append(m.masses, Mass{Participant: 30, Mass: 2})
	p := fit(t, build(t, Config{Surplus: Sum}, m))
	b, err := p.AppendBinary([]byte("prefix"))
	require.NoError(t, err)
	require.Equal(t, "prefix", string(b[:6]))
	var q Potentials
	require.NoError(t, q.UnmarshalBinary(b[6:]))
	assert.Equal(t, p.surplus, q.surplus)
	assert.Equal(t, p.Stats(), q.Stats())
	assert.Equal(t, math.Float64bits(p.beta), math.Float64bits(q.beta))
	require.Equal(t, p.Len(), q.Len())
	for x := range p.u {
		assert.Equal(t, math.Float64bits(p.u[x]), math.Float64bits(q.u[x]), "participant %d", x)
		assert.Equal(t, math.Float64bits(p.mass[x]), math.Float64bits(q.mass[x]))
	}
	// WriteTo / ReadFrom, two frames back to back.
	var buf bytes.Buffer
	n1, err := p.WriteTo(&buf)
	require.NoError(t, err)
	n2, err := p.WriteTo(&buf)
	require.NoError(t, err)
	var r1, r2 Potentials
	k1, err := r1.ReadFrom(&buf)
	require.NoError(t, err)
	k2, err := r2.ReadFrom(&buf)
	require.NoError(t, err)
	assert.Equal(t, []int64{n1, n2}, []int64{k1, k2})
	assert.Equal(t, r1, r2)
	_, err = r1.ReadFrom(&buf)
	assert.ErrorIs(t, err, ErrCorrupt, "no more frames")

	frame := b[6:]
	for cut := range len(frame) {
		h := q
		assert.ErrorIs(t, h.UnmarshalBinary(frame[:cut]), ErrCorrupt, "cut at %d", cut)
		assert.Equal(t, q, h, "unchanged on error")
	}
	assert.ErrorIs(t, q.UnmarshalBinary(append(bytes.Clone(frame), 0)), ErrCorrupt, "trailing byte")
	bad := bytes.Clone(frame)
	bad[len(bad)/2] ^= 0x40
	assert.ErrorIs(t, q.UnmarshalBinary(bad), ErrCorrupt, "flipped bit")
	bad = bytes.Clone(frame)
	bad[0] = 'T'
	assert.ErrorIs(t, q.UnmarshalBinary(bad), ErrCorrupt, "foreign magic")
}

func TestPotentialsEmptyRoundTrip(t *testing.T) {
	var zero Potentials
	b, err := zero.AppendBinary(nil)
	require.NoError(t, err)
	var q Potentials
	require.NoError(t, q.UnmarshalBinary(b))
	assert.Zero(t, q.Len())
	assert.Equal(t, 1.0, q.Temperature())
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestReadFromReaderError(t *testing.T) {
	var q Potentials
	_, err := q.ReadFrom(failingReader{})
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrCorrupt, "the reader's own error, as it is")
	_, err = q.ReadFrom(io.LimitReader(bytes.NewReader(nil), 0))
	assert.ErrorIs(t, err, ErrCorrupt)
}

// FuzzPotentialsUnmarshal: damaged input never panics; whatever decodes
// encodes again to potentials that decode the same, and scores no NaN.
func FuzzPotentialsUnmarshal(f *testing.F) {
	b, err := NewBuilder(Config{})
	if err != nil {
		f.Fatal(err)
	}
	_ = b.Add(Pair{Seeker: 0, Job: 2, Act: 0.5, Answer: 0.25})
	_ = b.Add(Pair{Seeker: 1, Job: 2, Act: 0.9, Answer: 0.5})
	g, err := b.Build()
	if err != nil {
		f.Fatal(err)
	}
	p, err := Fit(f.Context(), g)
	if err != nil {
		f.Fatal(err)
	}
	seed, _ := p.AppendBinary(nil)
	f.Add(seed)
	var zero Potentials
	empty, _ := zero.AppendBinary(nil)
	f.Add(empty)
	f.Add([]byte(potentialsMagic))
	f.Fuzz(func(t *testing.T, data []byte) {
		var q Potentials
		if q.UnmarshalBinary(data) != nil {
			return
		}
		again, err := q.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		var r Potentials
		if err := r.UnmarshalBinary(again); err != nil {
			t.Fatalf("re-encoded potentials do not decode: %v", err)
		}
		for x := range uint32(min(q.Len(), 64) + 1) {
			for _, phi := range []float64{0, 0.5, -1, math.Inf(-1)} {
				if s := q.Score(x, []uint32{0, x + 1}, []float64{phi, phi}, nil); math.IsNaN(s[0]) || math.IsNaN(s[1]) {
					t.Fatalf("NaN score for participant %d", x)
				}
			}
			if math.IsNaN(q.Matched(x)) || math.IsNaN(q.Utility(x)) {
				t.Fatalf("NaN for participant %d", x)
			}
		}
	})
}
