package rank

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/twowayrec/twoway/sparse"
)

func TestModelRoundTrip(t *testing.T) {
	m := NewModel([]float64{0, 1.5, 0, -2, 0, 1e-300}, -0.25)
	var buf bytes.Buffer
	n, err := m.WriteTo(&buf)
	require.NoError(t, err)
	assert.Equal(t, int64(buf.Len()), n)
	// Followed by other data: ReadFrom must stop at the model's end.
	buf.WriteString("trailer")
	var got Model
	rn, err := got.ReadFrom(&buf)
	require.NoError(t, err)
	assert.Equal(t, n, rn)
	assert.Equal(t, m.Weights(), got.Weights())
	assert.Equal(t, m.Bias(), got.Bias())
	rest, _ := io.ReadAll(&buf)
	assert.Equal(t, "trailer", string(rest))
}

func TestModelDecodeErrors(t *testing.T) {
	m := NewModel([]float64{1, 0, 2}, 0.5)
	var buf bytes.Buffer
	_, err := m.WriteTo(&buf)
	require.NoError(t, err)
	good := buf.Bytes()
	for cut := range len(good) {
		_, err := ReadModel(bytes.NewReader(good[:cut]))
		require.ErrorIs(t, err, ErrCorrupt, "cut at %d", cut)
	}
	for i := range good {
		bad := bytes.Clone(good)
		bad[i] ^= 0x10
		_, err := ReadModel(bytes.NewReader(bad))
		require.Error(t, err, "flipped byte %d", i)
	}
	foreign := []byte("PK\x03\x04 this is a zip file, not a model")
	_, err = ReadModel(bytes.NewReader(foreign))
	require.ErrorIs(t, err, ErrCorrupt)
	assert.Contains(t, err.Error(), "magic")

	newer := bytes.Clone(good)
	newer[8] = 9
	_, err = ReadModel(bytes.NewReader(newer))
	require.ErrorIs(t, err, ErrVersion)

	// A failed read leaves the receiver unchanged.
	keep := NewModel([]float64{7}, 1)
	_, err = keep.ReadFrom(bytes.NewReader(good[:10]))
	require.Error(t, err)
	assert.Equal(t, []float64{7}, keep.Weights())
}

type failWriter struct{ after int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.after < len(p) {
		n := w.after
		w.after = 0
		return n, errors.New("disk full")
	}
	w.after -= len(p)
	return len(p), nil
}

func TestWriteError(t *testing.T) {
	_, err := NewModel([]float64{1, 2}, 0).WriteTo(&failWriter{after: 12})
	require.EqualError(t, err, "disk full")
}

func TestHierarchicalRoundTrip(t *testing.T) {
	d, ent := entityProblem(21, 30, 40)
	h, err := FitHierarchical(context.Background(), HierarchicalConfig{Global: Config{L2: 1e-3}}, d, ent)
	require.NoError(t, err)
	var buf bytes.Buffer
	_, err = h.WriteTo(&buf)
	require.NoError(t, err)
	got, err := ReadHierarchical(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, h.Entities(), got.Entities())
	for i := range d.Len() {
		assert.Equal(t, h.Score(ent[i], d.Row(i)), got.Score(ent[i], d.Row(i)))
	}
	good := buf.Bytes()
	for cut := 0; cut < len(good); cut += 7 {
		_, err := ReadHierarchical(bytes.NewReader(good[:cut]))
		require.ErrorIs(t, err, ErrCorrupt)
	}
	_, err = ReadModel(bytes.NewReader(good))
	require.ErrorIs(t, err, ErrCorrupt, "a hierarchical stream is not a plain model")
}

func FuzzReadModel(f *testing.F) {
	for _, m := range []*Model{NewModel(nil, 0), NewModel([]float64{1, 0, -3.5}, 2), NewModel(make([]float64, 100), -1)} {
		var buf bytes.Buffer
		if _, err := m.WriteTo(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte("TWRANKLR\x01\x00\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ReadModel(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error %v wraps neither ErrCorrupt nor ErrVersion", err)
			}
			return
		}
		// Whatever decodes must be a usable model that re-encodes to the
		// same bytes.
		for _, w := range m.Weights() {
			if math.IsNaN(w) || math.IsInf(w, 0) {
				t.Fatal("non-finite weight decoded")
			}
		}
		_ = m.Predict(sparse.Vector{Idx: []uint32{0, 5}, Val: []float64{1, 1}})
		var buf bytes.Buffer
		if _, err := m.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), data[:buf.Len()]) {
			t.Fatal("re-encoding differs")
		}
	})
}

func FuzzReadHierarchical(f *testing.F) {
	d, ent := entityProblem(3, 4, 6)
	h, err := FitHierarchical(context.Background(), HierarchicalConfig{Global: Config{L2: 1e-2}}, d, ent)
	if err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := h.WriteTo(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ReadHierarchical(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error %v wraps neither ErrCorrupt nor ErrVersion", err)
			}
			return
		}
		for _, e := range h.Entities() {
			_ = h.Predict(e, sparse.Vector{Idx: []uint32{0}, Val: []float64{1}})
		}
	})
}

func TestDictionaryRoundTrip(t *testing.T) {
	d, err := NewDictionary(10)
	require.NoError(t, err)
	for _, n := range []string{"city=杭州", "skill=Go", ""} {
		_, err := d.Index(n)
		require.NoError(t, err)
	}
	var buf bytes.Buffer
	_, err = d.WriteTo(&buf)
	require.NoError(t, err)
	got, err := ReadDictionary(bytes.NewReader(buf.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, d.Names(), got.Names())
	i, ok := got.Lookup("skill=Go")
	assert.True(t, ok)
	assert.Equal(t, uint32(1), i)
	good := buf.Bytes()
	for cut := range len(good) {
		_, err := ReadDictionary(bytes.NewReader(good[:cut]))
		require.ErrorIs(t, err, ErrCorrupt)
	}
}

func FuzzReadDictionary(f *testing.F) {
	d, _ := NewDictionary(5)
	_, _ = d.Index("a")
	_, _ = d.Index("bb")
	var buf bytes.Buffer
	if _, err := d.WriteTo(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := ReadDictionary(bytes.NewReader(data))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error %v wraps neither ErrCorrupt nor ErrVersion", err)
			}
			return
		}
		for i, n := range d.Names() {
			if j, ok := d.Lookup(n); !ok || int(j) != i {
				t.Fatalf("name %q at %d looks up as %d, %v", n, i, j, ok)
			}
		}
	})
}
