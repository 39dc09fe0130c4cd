package binio

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sample() []byte {
	var w Writer
	w.Uvarint(300)
	w.Varint(-5)
	w.Int(7)
	w.Bool(true)
	w.Byte(9)
	w.Float64(math.NaN())
	w.Float64s([]float64{1.5, math.Inf(-1)})
	w.Uint32s([]uint32{0, math.MaxUint32})
	w.String("数据")
	w.Strings([]string{"a", ""})
	w.Bytes([]byte{1, 2})
	return w.B
}

func readSample(r *Reader) []any {
	return []any{r.Uvarint(), r.Varint(), r.Int(0, 10), r.Bool(), r.Byte(), math.Float64bits(r.Float64()),
		r.Float64s(), r.Uint32s(), r.String(), r.Strings(), r.Bytes()}
}

func TestRoundTrip(t *testing.T) {
	r := NewReader(sample())
	got := readSample(r)
	require.NoError(t, r.Done())
	assert.Equal(t, []any{uint64(300), int64(-5), 7, true, byte(9), math.Float64bits(math.NaN()),
		[]float64{1.5, math.Inf(-1)}, []uint32{0, math.MaxUint32}, "数据", []string{"a", ""}, []byte{1, 2}}, got)
}

func TestTruncatedIsAnError(t *testing.T) {
	b := sample()
	for cut := range len(b) {
		r := NewReader(b[:cut])
		readSample(r)
		assert.ErrorIs(t, r.Done(), ErrCorrupt, "cut at %d", cut)
	}
	r := NewReader(append(sample(), 0))
	readSample(r)
	assert.ErrorIs(t, r.Done(), ErrCorrupt, "trailing byte")
}

func TestCountBoundsAllocation(t *testing.T) {
	var w Writer
	w.Uvarint(1 << 40) // a damaged length
	r := NewReader(w.B)
	assert.Nil(t, r.Float64s())
	assert.ErrorIs(t, r.Err(), ErrCorrupt)
	r = NewReader([]byte{5})
	r.Int(0, 2)
	assert.ErrorIs(t, r.Err(), ErrCorrupt, "out of range")
}

func TestFrame(t *testing.T) {
	body := sample()
	frame := AppendFrame(nil, "TEST", 2, body)
	v, got, n, err := ReadFrame(bytes.NewReader(frame), "TEST", 2, 1<<20)
	require.NoError(t, err)
	assert.Equal(t, uint64(2), v)
	assert.Equal(t, body, got)
	assert.Equal(t, int64(len(frame)), n)

	for cut := range len(frame) {
		_, _, _, err := ReadFrame(bytes.NewReader(frame[:cut]), "TEST", 2, 1<<20)
		assert.ErrorIs(t, err, ErrCorrupt, "cut at %d", cut)
	}
	for i := range frame {
		bad := bytes.Clone(frame)
		bad[i] ^= 0x10
		_, _, _, err := ReadFrame(bytes.NewReader(bad), "TEST", 2, 1<<20)
		assert.ErrorIs(t, err, ErrCorrupt, "flip at %d", i)
	}
	_, _, _, err = ReadFrame(bytes.NewReader(frame), "TEST", 1, 1<<20)
	assert.ErrorIs(t, err, ErrCorrupt, "newer version")
	_, _, _, err = ReadFrame(bytes.NewReader(frame), "TEST", 2, 3)
	assert.ErrorIs(t, err, ErrCorrupt, "body over the limit")
	boom := errors.New("disk")
	_, _, _, err = ReadFrame(io.MultiReader(bytes.NewReader(frame[:6]), errReader{boom}), "TEST", 2, 1<<20)
	assert.ErrorIs(t, err, boom, "the reader's own error comes through")
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func FuzzReader(f *testing.F) {
	f.Add(sample())
	f.Add(AppendFrame(nil, "TEST", 1, sample()))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := NewReader(b)
		readSample(r)
		_ = r.Done()
		_, _, _, _ = ReadFrame(bytes.NewReader(b), "TEST", 1, 1<<16)
	})
}

// A frame reads alike from every kind of reader: one that says how much
// it holds (its body allocated at once), a file (after other bytes), and
// a plain stream; a length longer than what the input holds is an error.
func TestFrameFromReaders(t *testing.T) {
	body := bytes.Repeat([]byte("twoway"), 1<<19) // 3 MiB: beyond the first growth step
	frame := AppendFrame(nil, "TEST", 1, body)
	path := filepath.Join(t.TempDir(), "frame")
	require.NoError(t, os.WriteFile(path, append([]byte("xyz"), frame...), 0o600))
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	_, err = f.Seek(3, io.SeekStart)
	require.NoError(t, err)
	for name, r := range map[string]io.Reader{
		"bytes.Reader": bytes.NewReader(frame), "bytes.Buffer": bytes.NewBuffer(bytes.Clone(frame)),
		"file": f, "stream": io.MultiReader(bytes.NewReader(frame)),
	} {
		v, got, n, err := ReadFrame(r, "TEST", 1, 1<<30)
		require.NoError(t, err, name)
		assert.Equal(t, uint64(1), v)
		assert.Equal(t, int64(len(frame)), n, name)
		assert.True(t, bytes.Equal(body, got), name)
	}
	// A header claiming more than the input holds: read as a stream, and
	// truncated.
	lying := AppendFrame(nil, "TEST", 1, body)
	_, _, _, err = ReadFrame(bytes.NewReader(lying[:len(lying)/2]), "TEST", 1, 1<<30)
	assert.ErrorContains(t, err, "truncated body")
}
