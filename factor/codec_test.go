package factor_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twowayrec/twoway/factor"
	"github.com/twowayrec/twoway/market"
)

// smallModel is a hybrid model of a 6 × 5 matrix with 3 factors.
func smallModel(t testing.TB) *factor.Model {
	t.Helper()
	im, err := factor.FromCells(6, 5, []factor.Cell{{0, 0, 1}, {0, 1, 2}, {1, 1, 1}, {2, 2, 3}, {3, 3, 1}, {4, 4, 1}, {5, 0, 2}, {5, 4, 1}})
	require.NoError(t, err)
	rf, err := factor.FromCells(6, 2, []factor.Cell{{0, 0, 1}, {3, 1, 1}})
	require.NoError(t, err)
	return fit(t, factor.Config{Factors: 3, Iterations: 2, Holdout: -1}, factor.Data{Interest: im, RowFeatures: &rf})
}

func tableBytes(t testing.TB, tb *factor.Table) []byte {
	t.Helper()
	var b bytes.Buffer
	n, err := tb.WriteTo(&b)
	require.NoError(t, err)
	require.Equal(t, int64(b.Len()), n)
	return b.Bytes()
}

func reciprocalBytes(t testing.TB, r *factor.Reciprocal) []byte {
	t.Helper()
	var b bytes.Buffer
	n, err := r.WriteTo(&b)
	require.NoError(t, err)
	require.Equal(t, int64(b.Len()), n)
	return b.Bytes()
}

func smallReciprocal(t testing.TB) *factor.Reciprocal {
	t.Helper()
	si, err := factor.FromCells(4, 3, []factor.Cell{{0, 0, 1}, {1, 1, 2}, {2, 2, 1}, {3, 0, 1}})
	require.NoError(t, err)
	ji, err := factor.FromCells(3, 4, []factor.Cell{{0, 1, 1}, {1, 2, 1}, {2, 3, 2}})
	require.NoError(t, err)
	tr, err := factor.New(factor.Config{Factors: 2, Iterations: 2, Holdout: -1})
	require.NoError(t, err)
	r, err := tr.FitTwoSided(context.Background(), factor.TwoSided{SeekerInterest: si, JobInterest: ji})
	require.NoError(t, err)
	return r
}

func TestModelRoundTrip(t *testing.T) {
	m := smallModel(t)
	b := modelBytes(t, m)
	var got factor.Model
	n, err := got.ReadFrom(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, int64(len(b)), n)
	assert.Equal(t, b, modelBytes(t, &got))
	assert.Equal(t, m.Report(), got.Report())
	for u := range m.Rows() {
		for i := range m.Cols() {
			assert.Equal(t, m.Score(u, i), got.Score(u, i))
			assert.Equal(t, m.Probability(u, i), got.Probability(u, i))
		}
	}
	// Objects can follow each other in one stream.
	stream := append(append([]byte(nil), b...), b...)
	r := bytes.NewReader(stream)
	for range 2 {
		var m2 factor.Model
		_, err := m2.ReadFrom(r)
		require.NoError(t, err)
	}
	assert.Zero(t, r.Len())
}

// damaged checks that every truncation and every single-bit flip of b is
// an error wrapping ErrCorrupt (or ErrVersion), and that decode leaves
// its receiver unchanged on error.
func damaged(t *testing.T, b []byte, decode func([]byte) error) {
	t.Helper()
	for cut := range len(b) {
		err := decode(b[:cut])
		require.Errorf(t, err, "truncated at %d", cut)
		require.ErrorIsf(t, err, factor.ErrCorrupt, "truncated at %d", cut)
	}
	for i := range len(b) {
		for bit := range 8 {
			c := bytes.Clone(b)
			c[i] ^= 1 << bit
			err := decode(c)
			require.Errorf(t, err, "bit %d of byte %d", bit, i)
		}
	}
}

func TestModelDamageIsAnError(t *testing.T) {
	b := modelBytes(t, smallModel(t))
	keep := smallModel(t)
	before := modelBytes(t, keep)
	damaged(t, b, func(c []byte) error {
		_, err := keep.ReadFrom(bytes.NewReader(c))
		return err
	})
	assert.Equal(t, before, modelBytes(t, keep), "a failed ReadFrom changed the model")
	// Foreign data and a newer version.
	var m factor.Model
	_, err := m.ReadFrom(bytes.NewReader([]byte("TWRANKLR\x01\x00xxxxxxxx")))
	require.ErrorIs(t, err, factor.ErrCorrupt)
	assert.Contains(t, err.Error(), "magic")
	newer := bytes.Clone(b)
	binary.LittleEndian.PutUint16(newer[8:], 9)
	_, err = m.ReadFrom(bytes.NewReader(newer))
	require.ErrorIs(t, err, factor.ErrVersion)
	// A stream whose CRC is right but whose content is impossible (a NaN
	// factor) is still an error.
	nan := bytes.Clone(b)
	off := len(nan) - 4 - 2*9*8 - 4 // the last float32 factor before the Gram matrices
	binary.LittleEndian.PutUint32(nan[off:], 0x7fc00000)
	binary.LittleEndian.PutUint32(nan[len(nan)-4:], crc32.ChecksumIEEE(nan[:len(nan)-4]))
	_, err = m.ReadFrom(bytes.NewReader(nan))
	require.ErrorIs(t, err, factor.ErrCorrupt)
	assert.Contains(t, err.Error(), "NaN")
}

func TestReciprocalRoundTripAndDamage(t *testing.T) {
	r := smallReciprocal(t)
	b := reciprocalBytes(t, r)
	var got factor.Reciprocal
	n, err := got.ReadFrom(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, int64(len(b)), n)
	assert.Equal(t, b, reciprocalBytes(t, &got))
	f, bw := r.Match(market.Seeker, 1, 2)
	gf, gb := got.Match(market.Seeker, 1, 2)
	assert.Equal(t, f, gf)
	assert.Equal(t, bw, gb)
	damaged(t, b, func(c []byte) error {
		var x factor.Reciprocal
		_, err := x.ReadFrom(bytes.NewReader(c))
		return err
	})
	// Two models that do not fit together.
	var w bytes.Buffer
	var e encoderFor
	e.header(&w, "TWFACTRC")
	m := smallModel(t)
	_, _ = m.WriteTo(&w)
	_, _ = m.WriteTo(&w)
	binary.Write(&w, binary.LittleEndian, crc32.ChecksumIEEE(w.Bytes()))
	_, err = got.ReadFrom(&w)
	require.ErrorIs(t, err, factor.ErrCorrupt)
	assert.Contains(t, err.Error(), "not transposed")
}

// encoderFor writes a stream header by hand.
type encoderFor struct{}

func (encoderFor) header(w io.Writer, magic string) {
	w.Write([]byte(magic))
	binary.Write(w, binary.LittleEndian, uint16(1))
}

func TestTable(t *testing.T) {
	rows := [][]float32{{1, 2}, nil, {3, -4}, {}, {0, 0.5}}
	tb, err := factor.NewTable(rows)
	require.NoError(t, err)
	assert.Equal(t, 5, tb.Len())
	assert.Equal(t, 2, tb.Dim())
	assert.True(t, tb.Has(2))
	assert.False(t, tb.Has(1))
	assert.False(t, tb.Has(-1))
	assert.Nil(t, tb.Row(3))
	assert.Equal(t, []float32{3, -4}, tb.Row(2))
	assert.Equal(t, [][]float32{{1, 2}, nil, {3, -4}, nil, {0, 0.5}}, tb.Rows())
	rows[0][0] = 9
	assert.Equal(t, float32(1), tb.Row(0)[0], "NewTable copies")
	b := tableBytes(t, tb)
	var got factor.Table
	_, err = got.ReadFrom(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, tb.Rows(), got.Rows())
	damaged(t, b, func(c []byte) error {
		var x factor.Table
		_, err := x.ReadFrom(bytes.NewReader(c))
		return err
	})
	empty, err := factor.NewTable(make([][]float32, 3))
	require.NoError(t, err)
	_, err = got.ReadFrom(bytes.NewReader(tableBytes(t, empty)))
	require.NoError(t, err)
	assert.Equal(t, 3, got.Len())
	assert.Equal(t, 0, got.Dim())
	_, err = factor.NewTable([][]float32{{1}, {1, 2}})
	var de *factor.DataError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, 1, de.Row)
	_, err = factor.NewTable([][]float32{{1, float32(nan32())}})
	require.ErrorIs(t, err, market.ErrNaN)
}

func nan32() float64 { var z float64; return z / z }

// FuzzModelReadFrom decodes arbitrary bytes as a Model, a Reciprocal and
// a Table: never a panic, and whatever decodes writes back to the same
// bytes.
//
//	go test -run '^$' -fuzz FuzzModelReadFrom -fuzztime 60s ./factor/
func FuzzModelReadFrom(f *testing.F) {
	f.Add(modelBytes(f, smallModel(f)))
	f.Add(reciprocalBytes(f, smallReciprocal(f)))
	tb, err := factor.NewTable([][]float32{{1, 2}, nil, {3, 4}})
	require.NoError(f, err)
	f.Add(tableBytes(f, tb))
	f.Add([]byte("TWFACTMD\x01\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m factor.Model
		if n, err := m.ReadFrom(bytes.NewReader(b)); err == nil {
			var w bytes.Buffer
			if _, err := m.WriteTo(&w); err != nil || !bytes.Equal(w.Bytes(), b[:n]) {
				t.Fatalf("model round trip: %v", err)
			}
		}
		var r factor.Reciprocal
		if n, err := r.ReadFrom(bytes.NewReader(b)); err == nil {
			var w bytes.Buffer
			if _, err := r.WriteTo(&w); err != nil || !bytes.Equal(w.Bytes(), b[:n]) {
				t.Fatalf("reciprocal round trip: %v", err)
			}
		}
		var tt factor.Table
		if n, err := tt.ReadFrom(bytes.NewReader(b)); err == nil {
			var w bytes.Buffer
			if _, err := tt.WriteTo(&w); err != nil || !bytes.Equal(w.Bytes(), b[:n]) {
				t.Fatalf("table round trip: %v", err)
			}
		}
	})
}
